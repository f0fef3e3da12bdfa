/*
 * Flat CBOR records (RFC 8949) for the server's store files and challenge tokens.
 *
 * A record is either a definite-length map whose keys are small unsigned integers, or a
 * definite-length array read by position; every value is an unsigned integer, a byte string or a
 * text string. Nothing else is accepted on input (no tags, floats, negative integers, nesting,
 * indefinite lengths, duplicate keys, trailing bytes). Encoding uses libcbor's allocation-free
 * encoders, decoding its streaming decoder: no libcbor allocation happens anywhere (never
 * cbor_set_allocs, never the item API).
 */
#ifndef SCEPKIT_SERVER_CBOR_REC_H
#define SCEPKIT_SERVER_CBOR_REC_H

#include "scepkit/common.h"

typedef enum skit_rec_kind {
    SKIT_REC_UINT = 1,
    SKIT_REC_BYTES = 2,
    SKIT_REC_TEXT = 3,
} skit_rec_kind;

typedef struct skit_rec_field {
    uint64_t key; /* map key (ignored for arrays: position) */
    skit_rec_kind kind;
    uint64_t u;      /* UINT */
    scepkit_bytes b; /* BYTES/TEXT: a view (into the input when read) */
    int present;     /* write: emit it; read: it was found */
} skit_rec_field;

/* Writes the present fields as a definite map (keys as given, in the order given). `out` NULL: size only.
 * SCEPKIT_ERR_BUFFER_TOO_SMALL with *len = size needed. */
scepkit_err skit_rec_write_map(const skit_rec_field *f, size_t n, uint8_t *out, size_t cap, size_t *len);
/* Writes all n fields as a definite array, by position. */
scepkit_err skit_rec_write_array(const skit_rec_field *f, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Reads a map that fills `in` exactly. Keys matching a field (with the same kind) set it; unknown keys with
 * scalar values are skipped (forward compatibility). Anything else: SCEPKIT_ERR_STORE_CORRUPT. */
scepkit_err skit_rec_read_map(scepkit_bytes in, skit_rec_field *f, size_t n);
/* Reads an array of exactly n items of the fields' kinds, filling `in` exactly: else `bad`. */
scepkit_err skit_rec_read_array(scepkit_bytes in, skit_rec_field *f, size_t n, scepkit_err bad);

/* Uppercase hex of `in` into `out` (2*len+1 bytes, NUL-terminated). */
void skit_hex(const uint8_t *in, size_t len, char *out);
/* Hex (either case) to bytes: exactly `len` bytes expected. 0 on success, -1 otherwise. */
int skit_unhex(const char *in, size_t in_len, uint8_t *out, size_t len);

#endif
