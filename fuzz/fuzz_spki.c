/*
 * Fuzz target for reading a peer's SubjectPublicKeyInfo in the crypto backend (scepkit_spki_info,
 * scepkit_verify_digest): every certificate and CSR the library checks hands its SPKI to the backend, and the
 * OpenSSL backend reads RSA and P-256/P-384 keys with its own DER code before falling back to OpenSSL's.
 * When the input reads, the type is one the library supports and the size is in range; verification runs with
 * a fixed digest and a signature from the input's tail (its answer is checked only to be a known outcome).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "scepkit/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t digest[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    scepkit_key_type type = SCEPKIT_KEY_NONE;
    size_t bits = 0;
    scepkit_bytes spki = {data, size};
    scepkit_err err = scepkit_spki_info(spki, &type, &bits);
    if (err == SCEPKIT_OK) {
        CHECK(type == SCEPKIT_KEY_RSA || type == SCEPKIT_KEY_EC_P256 || type == SCEPKIT_KEY_EC_P384);
        CHECK(type != SCEPKIT_KEY_RSA || (bits > 0 && bits <= SCEPKIT_MAX_RSA_BITS));
        CHECK(type == SCEPKIT_KEY_RSA || bits == 256 || bits == 384);
    } else {
        CHECK(err == SCEPKIT_ERR_KEY_PARSE || err == SCEPKIT_ERR_KEY_TYPE);
        CHECK(type == SCEPKIT_KEY_NONE && bits == 0);
    }
    /* the last 64 bytes (or fewer) double as a signature: garbage, so never a pass unless astronomically lucky */
    size_t sl = size < 64 ? size : 64;
    scepkit_bytes sig = {data + size - sl, sl};
    err = scepkit_verify_digest(spki, SCEPKIT_MD_SHA256, digest, sizeof digest, sig);
    CHECK(err == SCEPKIT_ERR_BAD_SIGNATURE || err == SCEPKIT_ERR_KEY_PARSE || err == SCEPKIT_ERR_KEY_TYPE ||
          err == SCEPKIT_ERR_DISABLED || err == SCEPKIT_ERR_ARG || err == SCEPKIT_OK);
    return 0;
}
