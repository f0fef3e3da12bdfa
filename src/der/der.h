/*
 * DER reader and writer. Pure functions of their bytes: no crypto, no heap,
 * no global state (this layer builds and fuzzes without the backend).
 *
 * Reader: a cursor over a caller buffer. Every read is bounded by the
 * enclosing element; nesting is limited to SCEPKIT_DER_MAX_DEPTH. Strict DER
 * by default (definite minimal lengths). SKIT_DER_BER relaxes exactly this:
 * indefinite lengths (0x80 ... 00 00) and constructed OCTET STRINGs, as
 * `openssl cms -stream` and several SCEP peers send. Everything else stays
 * strict in BER mode too (a truncated element, a length that overruns its
 * parent, a missing end-of-contents, an EOC where none may be, are errors).
 *
 * Writer: forward, into the caller's buffer, results start at out[0].
 * open()/close() pairs; at close() the content is shifted if the length needs
 * more than one byte. With a NULL buffer (size-only pass) or once the buffer
 * is too small, the writer keeps counting: skit_derw_finish() reports the
 * size needed with SCEPKIT_ERR_BUFFER_TOO_SMALL. The first error is sticky,
 * so straight-line builders check once at the end.
 */
#ifndef SCEPKIT_DER_DER_H
#define SCEPKIT_DER_DER_H

#include <stdbool.h>

#include "scepkit/common.h"

/* Tag bytes (class | constructed | number) for the universal types used; context tags via macros. */
#define SKIT_TAG_BOOLEAN 0x01
#define SKIT_TAG_INTEGER 0x02
#define SKIT_TAG_BIT_STRING 0x03
#define SKIT_TAG_OCTET_STRING 0x04
#define SKIT_TAG_NULL 0x05
#define SKIT_TAG_OID 0x06
#define SKIT_TAG_ENUMERATED 0x0a
#define SKIT_TAG_UTF8_STRING 0x0c
#define SKIT_TAG_PRINTABLE_STRING 0x13
#define SKIT_TAG_T61_STRING 0x14
#define SKIT_TAG_IA5_STRING 0x16
#define SKIT_TAG_UTC_TIME 0x17
#define SKIT_TAG_GENERALIZED_TIME 0x18
#define SKIT_TAG_UNIVERSAL_STRING 0x1c
#define SKIT_TAG_BMP_STRING 0x1e
#define SKIT_TAG_SEQUENCE 0x30
#define SKIT_TAG_SET 0x31
#define SKIT_TAG_CONSTRUCTED 0x20
#define SKIT_TAG_CONTEXT 0x80
/* [n] IMPLICIT primitive / [n] constructed (EXPLICIT or IMPLICIT constructed), n < 31 */
#define SKIT_TAG_CTX(n) (0x80u | (unsigned)(n))
#define SKIT_TAG_CTX_CONS(n) (0xa0u | (unsigned)(n))

/* Only single-byte tags (number < 31) are supported: everything in PKIX/CMS/SCEP uses them.
 * A multi-byte tag (low bits 0x1f) is rejected with SCEPKIT_ERR_DER_TAG, and so is a universal tag
 * in the wrong form: SEQUENCE/SET must be constructed, every other universal type primitive, except
 * the constructed OCTET STRING (0x24) in BER mode. Tag 0x00 (end-of-contents) is never an element. */

#define SKIT_DER_BER 0x01u /* reader flag: BER-tolerant mode */

typedef struct skit_der {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last byte of this level */
    uint8_t depth;      /* nesting level of this cursor */
    uint8_t flags;      /* SKIT_DER_BER */
} skit_der;

typedef struct skit_tlv {
    uint8_t tag;         /* the identifier octet */
    bool indefinite;     /* BER: the element used an indefinite length */
    scepkit_bytes value; /* the contents (for indefinite: up to, not including, the EOC) */
    scepkit_bytes raw;   /* the whole element: identifier, length, contents (and EOC) */
} skit_tlv;

/* Starts a cursor over `in`. */
void skit_der_init(skit_der *d, scepkit_bytes in, unsigned flags);

/* True when bytes remain at this level. */
bool skit_der_more(const skit_der *d);

/* Tag of the next element without consuming it; SCEPKIT_ERR_DER_TRUNCATED at end. */
scepkit_err skit_der_peek(const skit_der *d, uint8_t *tag);

/* Reads the next element, whatever its tag. In BER mode an indefinite
 * constructed element is scanned (depth-limited) to find its EOC. */
scepkit_err skit_der_read(skit_der *d, skit_tlv *out);

/* Reads the next element and requires `tag` (SCEPKIT_ERR_DER_TAG otherwise; nothing consumed).
 * BER mode: asking for a primitive OCTET STRING (0x04) or a primitive [n] IMPLICIT tag (0x80|n) also
 * accepts its constructed form (0x24 / 0xa0|n), to be read with skit_octets_iter; out->tag tells which.
 * No function moves the cursor when it fails. */
scepkit_err skit_der_expect(skit_der *d, uint8_t tag, skit_tlv *out);

/* Reads an element with `tag` if it is next; sets *present. Absent is not an error. */
scepkit_err skit_der_optional(skit_der *d, uint8_t tag, skit_tlv *out, bool *present);

/* Reads a constructed element with `tag` and starts `child` over its contents (depth + 1). */
scepkit_err skit_der_enter(skit_der *d, uint8_t tag, skit_der *child);

/* Starts `child` over the contents of an element already read (must be constructed). */
scepkit_err skit_der_enter_tlv(const skit_der *parent, const skit_tlv *t, skit_der *child);

/* SCEPKIT_ERR_DER_TRAILING if bytes remain at this level. */
scepkit_err skit_der_done(const skit_der *d);

/* Parses exactly one element that must fill `in` (no trailing bytes). `tag` 0 accepts any tag. */
scepkit_err skit_der_parse_one(scepkit_bytes in, unsigned flags, uint8_t tag, skit_tlv *out);

/* ---- primitive value decoders (operate on the contents of a TLV) ---- */

/* INTEGER as a non-negative magnitude view without the leading 0x00 (DER-minimal check; negative
 * numbers -> SCEPKIT_ERR_DER_VALUE). Zero gives one byte 0x00. */
scepkit_err skit_der_uint_bytes(const skit_tlv *t, scepkit_bytes *mag);
/* INTEGER that must fit int64_t (may be negative). */
scepkit_err skit_der_int64(const skit_tlv *t, int64_t *v);
/* BOOLEAN (DER: 0x00 or 0xff only). */
scepkit_err skit_der_bool(const skit_tlv *t, bool *v);
/* BIT STRING: unused-bits count and the bytes after it; unused bits must be zero in DER. */
scepkit_err skit_der_bits(const skit_tlv *t, uint8_t *unused, scepkit_bytes *bits);
/* OID contents: checks base-128 well-formedness (no 0x80 leading octet, not empty, ends properly). */
scepkit_err skit_der_oid_check(scepkit_bytes oid);
/* UTCTime or GeneralizedTime (Z form, seconds present) to seconds since 1970 UTC. */
scepkit_err skit_der_time(const skit_tlv *t, int64_t *unix_seconds);

/* BER-safe OCTET STRING access: a primitive string is one segment; a constructed one (BER) is the
 * sequence of its primitive segments, nested to the depth limit. */
typedef struct skit_octets_iter {
    skit_der stack[4];
    uint8_t level;
    bool primitive_done;
    scepkit_bytes primitive;
} skit_octets_iter;
scepkit_err skit_octets_iter_init(skit_octets_iter *it, const skit_der *parent, const skit_tlv *t);
/* SCEPKIT_OK with the next segment, SCEPKIT_ERR_NOT_FOUND at the end. */
scepkit_err skit_octets_next(skit_octets_iter *it, scepkit_bytes *seg);
/* Total length of an OCTET STRING (any form). */
scepkit_err skit_octets_len(const skit_der *parent, const skit_tlv *t, size_t *len);
/* Copies the concatenated segments to out (cap); reports length (BUFFER_TOO_SMALL with size). */
scepkit_err skit_octets_copy(const skit_der *parent, const skit_tlv *t, uint8_t *out, size_t cap, size_t *len);

/* ---- writer ---- */

typedef struct skit_derw {
    uint8_t *buf; /* NULL in size-only mode */
    size_t cap;
    size_t pos;      /* logical length written so far (counts on past cap) */
    scepkit_err err; /* first error, sticky */
    uint8_t depth;
    struct {
        size_t content_start; /* where the content begins (after a 1-byte length placeholder) */
        uint8_t is_set;       /* sort children at close (DER SET OF) */
    } open[SCEPKIT_DER_MAX_DEPTH];
} skit_derw;

/* buf may be NULL for a size-only pass. */
void skit_derw_init(skit_derw *w, uint8_t *buf, size_t cap);
/* True while the bytes written so far are in the buffer (no overflow, not size-only). */
bool skit_derw_real(const skit_derw *w);
/* Opens a constructed element with `tag`. */
void skit_derw_open(skit_derw *w, uint8_t tag);
/* Opens a SET OF whose elements are sorted by their encodings when closed (X.690 11.6). */
void skit_derw_open_set(skit_derw *w, uint8_t tag);
/* Closes the innermost open element, fixing its length. */
void skit_derw_close(skit_derw *w);
/* A whole element: tag, length, contents. */
void skit_derw_tlv(skit_derw *w, uint8_t tag, const uint8_t *v, size_t len);
/* Bytes copied as they are (an already-encoded element). */
void skit_derw_raw(skit_derw *w, const uint8_t *v, size_t len);
/* Reserves `len` bytes and returns where they start (NULL when not real), for in-place output.
 * Fill them before the next close(): closing an element may move its content. */
uint8_t *skit_derw_reserve(skit_derw *w, size_t len);
void skit_derw_null(skit_derw *w);
void skit_derw_bool(skit_derw *w, bool v);
void skit_derw_int64(skit_derw *w, int64_t v);
/* Non-negative INTEGER from a big-endian magnitude (leading zeros stripped, 0x00 added if needed). */
void skit_derw_uint_bytes(skit_derw *w, uint8_t tag, const uint8_t *mag, size_t len);
/* BIT STRING with unused-bits count (0..7, and 0 when len is 0; else SCEPKIT_ERR_ARG). */
void skit_derw_bits(skit_derw *w, uint8_t unused, const uint8_t *v, size_t len);
/* Named bit list (KeyUsage style): bit 0 is the MSB of the first byte; trailing zero bits trimmed per DER. */
void skit_derw_named_bits(skit_derw *w, uint32_t bits);
/* OID from its contents bytes. */
void skit_derw_oid(skit_derw *w, scepkit_bytes oid);
/* UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 rule). */
void skit_derw_time(skit_derw *w, int64_t unix_seconds);
/* Sets the sticky error (if none yet; a hard error also replaces a pending BUFFER_TOO_SMALL, since a
 * bigger buffer would not help). */
void skit_derw_fail(skit_derw *w, scepkit_err e);
/* Ends writing: SCEPKIT_OK with *len, or the sticky error (BUFFER_TOO_SMALL with *len = size needed;
 * a size-only pass always ends so). Other errors leave *len = 0.
 * Unbalanced open() -> SCEPKIT_ERR_DER_WRITER_DEPTH. */
scepkit_err skit_derw_finish(skit_derw *w, size_t *len);

/* Encoded length of a TLV header for `len` content bytes (1 + length octets). */
size_t skit_der_header_len(size_t len);

#endif
