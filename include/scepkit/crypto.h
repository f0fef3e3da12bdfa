/**
 * @file crypto.h
 * @brief Algorithm identifiers, the random-number port and the default DRBG.
 *
 * Supported: SHA-1/256/384/512 (MD5 only for legacy display and legacy peers),
 * AES-128/192/256-CBC, DES-EDE3-CBC, single DES-CBC for decryption only and
 * only behind the legacy switch.
 *
 * Security considerations: the default DRBG (scepkit_drbg) is CTR_DRBG seeded
 * from the operating system's entropy source. It is not thread-safe: give each
 * thread its own, or wrap it in a locking scepkit_rng.
 */
#ifndef SCEPKIT_CRYPTO_H
#define SCEPKIT_CRYPTO_H

#include "scepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Message digests. Values are stable (they appear in serialized state). */
typedef enum scepkit_md {
    SCEPKIT_MD_NONE = 0,
    SCEPKIT_MD_MD5 = 1, /**< legacy only */
    SCEPKIT_MD_SHA1 = 2,
    SCEPKIT_MD_SHA256 = 3,
    SCEPKIT_MD_SHA384 = 4,
    SCEPKIT_MD_SHA512 = 5,
} scepkit_md;

/** Largest digest size in bytes (SHA-512). */
#define SCEPKIT_MD_MAX_SIZE 64

/** Digest size in bytes, 0 for SCEPKIT_MD_NONE or unknown values. */
SCEPKIT_API size_t scepkit_md_size(scepkit_md md);

/** Content-encryption ciphers (CBC with PKCS#7 padding). Values are stable. */
typedef enum scepkit_cipher {
    SCEPKIT_CIPHER_NONE = 0,
    SCEPKIT_CIPHER_DES_CBC = 1, /**< legacy, decrypt only */
    SCEPKIT_CIPHER_DES_EDE3_CBC = 2,
    SCEPKIT_CIPHER_AES128_CBC = 3,
    SCEPKIT_CIPHER_AES192_CBC = 4,
    SCEPKIT_CIPHER_AES256_CBC = 5,
} scepkit_cipher;

/** Key size in bytes of a cipher (0 for NONE/unknown). */
SCEPKIT_API size_t scepkit_cipher_key_size(scepkit_cipher c);
/** Block (and IV) size in bytes of a cipher (0 for NONE/unknown). */
SCEPKIT_API size_t scepkit_cipher_block_size(scepkit_cipher c);

/** Random-number port. `fill` writes `len` random bytes; it returns SCEPKIT_ERR_RNG on failure. */
typedef struct scepkit_rng_ops {
    scepkit_err (*fill)(void *self, uint8_t *out, size_t len);
} scepkit_rng_ops;

typedef struct scepkit_rng {
    const scepkit_rng_ops *ops;
    void *self;
} scepkit_rng;

/** Fills `out` from `rng`. @return SCEPKIT_OK, SCEPKIT_ERR_ARG, SCEPKIT_ERR_RNG. */
SCEPKIT_API scepkit_err scepkit_rng_fill(scepkit_rng rng, uint8_t *out, size_t len);

/** Storage for the default DRBG; treat as opaque. Sized for the backend (checked at build time).
 *  Do not copy or move an initialised DRBG: the backend state points into itself. */
typedef struct scepkit_drbg {
    union {
        uint64_t u64[200];
        void *ptr;
        long double ld;
    } opaque;
    int backend_err;
} scepkit_drbg;

/**
 * Seeds a CTR_DRBG from the OS entropy source, personalised by `pers` (may be empty).
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARG, SCEPKIT_ERR_RNG. scepkit_drbg_free() is safe after any result.
 */
SCEPKIT_API scepkit_err scepkit_drbg_init(scepkit_drbg *d, scepkit_bytes pers);

/** The rng port of an initialised DRBG. */
SCEPKIT_API scepkit_rng scepkit_drbg_rng(scepkit_drbg *d);

/** Wipes the DRBG state. Safe on a zeroed or freed struct. */
SCEPKIT_API void scepkit_drbg_free(scepkit_drbg *d);

/** Raw backend code of the last failure seen by this DRBG (0 if none). */
SCEPKIT_API int scepkit_drbg_backend_error(const scepkit_drbg *d);

/**
 * One-shot digest (public so tools can show fingerprints).
 * MD5 is allowed here because fingerprints are displayed with it; protocols refuse it without the legacy switch.
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARG, SCEPKIT_ERR_UNSUPPORTED, SCEPKIT_ERR_DISABLED, SCEPKIT_ERR_BACKEND.
 */
SCEPKIT_API scepkit_err scepkit_digest(scepkit_md md, scepkit_bytes in, uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
