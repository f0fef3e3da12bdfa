/*
 * The backend-independent part of CBC, shared by every backend's cbc.c: which cipher may be used in
 * which direction, and the constant-time PKCS#7 padding check (one copy, so a fix reaches every backend).
 */
#include "port/cbc_common.h"

/* Which ciphers may be used in which direction. Depends only on the caller's choice, never on data. */
scepkit_err skit_cbc_allowed(scepkit_cipher c, int decrypt, int allow_legacy)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
#if SCEPKIT_WITH_LEGACY_CRYPTO
        if (!decrypt) {
            return SCEPKIT_ERR_UNSUPPORTED;
        }
        return allow_legacy ? SCEPKIT_OK : SCEPKIT_ERR_LEGACY_DISABLED;
#else
        (void)decrypt;
        (void)allow_legacy;
        return SCEPKIT_ERR_DISABLED;
#endif
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        return SCEPKIT_OK;
    case SCEPKIT_CIPHER_NONE:
    default:
        return SCEPKIT_ERR_UNSUPPORTED;
    }
}

/* 1 when a < b, else 0; a and b below 2^31. No branch. */
static uint32_t ct_lt(uint32_t a, uint32_t b)
{
    return (a - b) >> 31;
}

/* 1 when x != 0, else 0. No branch. */
static uint32_t ct_nonzero(uint32_t x)
{
    return (x | (0u - x)) >> 31;
}

/*
 * PKCS#7 (RFC 5652 §6.3): the last block ends in p bytes of value p, 1 <= p <= block size.
 * Looks at every byte of the last block whatever p is, and folds every test into one flag, so
 * neither time nor memory access depends on the pad value. Returns 1 when valid with the pad
 * length in *pad, 0 otherwise (*pad then 0).
 */
uint32_t skit_cbc_unpad(const uint8_t *last, size_t bs, size_t *pad)
{
    uint32_t p = last[bs - 1];
    uint32_t bad = (1u ^ ct_nonzero(p)) | ct_lt((uint32_t)bs, p); /* p == 0 or p > bs */

    for (uint32_t i = 0; i < (uint32_t)bs; i++) {
        /* byte at distance i from the end belongs to the padding when i < p */
        uint32_t in_pad = ct_lt(i, p);
        bad |= in_pad & ct_nonzero((uint32_t)(last[bs - 1u - i] ^ p));
    }
    uint32_t good = bad ^ 1u;
    *pad = (size_t)(p & (0u - good));
    return good;
}
