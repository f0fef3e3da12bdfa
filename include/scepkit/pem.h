/**
 * @file pem.h
 * @brief Base64 (RFC 4648) and PEM (RFC 7468) text encodings.
 *
 * Pure functions of their bytes; no crypto backend needed.
 * Decoding is strict about the alphabet and padding but skips whitespace (CR, LF, space, tab).
 */
#ifndef SCEPKIT_PEM_H
#define SCEPKIT_PEM_H

#include "scepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Base64 alphabets. */
typedef enum scepkit_b64 {
    SCEPKIT_B64_STD = 0, /**< '+' '/' with '=' padding */
    SCEPKIT_B64_URL = 1, /**< '-' '_' without padding (decoding accepts padding) */
} scepkit_b64;

/** Encoded length (without NUL) for `n` input bytes. */
SCEPKIT_API size_t scepkit_base64_encoded_len(size_t n, scepkit_b64 alphabet);

/** Encodes; writes a NUL after the text when room allows (`*len` excludes it).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len` = size needed), SCEPKIT_ERR_ARG. */
SCEPKIT_API scepkit_err scepkit_base64_encode(scepkit_bytes in, scepkit_b64 alphabet, char *out, size_t cap,
                                              size_t *len);

/** Decodes; whitespace skipped. `out` may alias `in` (decoding in place).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_ENCODING (bad character, bad padding, non-zero trailing bits),
 *          SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len` = size needed), SCEPKIT_ERR_ARG. */
SCEPKIT_API scepkit_err scepkit_base64_decode(scepkit_bytes in, scepkit_b64 alphabet, uint8_t *out, size_t cap,
                                              size_t *len);

/**
 * Finds the first PEM block with `label` (e.g. "CERTIFICATE REQUEST"; NULL = any label) in `text`
 * and decodes it into `out`. `*label_out` (optional) views the label found inside `text`.
 * `*consumed` (optional) is the offset just past the END line (and its line break), to find the next block;
 * set only on success. Blocks with another label are skipped. `out` may alias `text` (decoding in place;
 * `*label_out` then points at overwritten bytes). Partial output is wiped on failure.
 * @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_ENCODING, SCEPKIT_ERR_BUFFER_TOO_SMALL.
 */
SCEPKIT_API scepkit_err scepkit_pem_decode(scepkit_bytes text, const char *label, uint8_t *out, size_t cap, size_t *len,
                                           scepkit_bytes *label_out, size_t *consumed);

/** Encodes DER as PEM with 64-character lines and a final newline, NUL-terminated (`*len` excludes the NUL).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len` = size needed without NUL), SCEPKIT_ERR_ARG. */
SCEPKIT_API scepkit_err scepkit_pem_encode(scepkit_bytes der, const char *label, char *out, size_t cap, size_t *len);

/** True when `data` looks like PEM text (starts, after whitespace, with "-----BEGIN "). */
SCEPKIT_API int scepkit_is_pem(scepkit_bytes data);

#ifdef __cplusplus
}
#endif
#endif
