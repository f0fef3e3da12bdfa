/**
 * @file key.h
 * @brief The key port, and the software key that ships with the library.
 *
 * "The library hashes, the key port signs." A private key is reached only
 * through a ::scepkit_key: a const ops table plus a context pointer. A secure
 * element, a TPM or an HSM implements the three operations; the library never
 * sees the private key.
 *
 * Supported key types: RSA 2048..SCEPKIT_MAX_RSA_BITS (PKCS#1 v1.5
 * signatures; PKCS#1 v1.5 and OAEP decryption), EC P-256 and P-384 (ECDSA).
 *
 * Security considerations:
 * - decrypt() with PKCS#1 v1.5 padding is a padding oracle if its result is
 *   shown to a peer. Code that unwraps a content-encryption key must use
 *   scepkit_key_unwrap_cek(), which hides padding failures (RFC 3218).
 * - scepkit_softkey keeps the private key in process memory (the crypto backend's heap);
 *   scepkit_softkey_free() wipes it.
 */
#ifndef SCEPKIT_KEY_H
#define SCEPKIT_KEY_H

#include "scepkit/common.h"
#include "scepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Key types. Values are stable. */
typedef enum scepkit_key_type {
    SCEPKIT_KEY_NONE = 0,
    SCEPKIT_KEY_RSA = 1,
    SCEPKIT_KEY_EC_P256 = 2,
    SCEPKIT_KEY_EC_P384 = 3,
} scepkit_key_type;

/** RSA encryption paddings for key transport. */
typedef enum scepkit_rsa_pad {
    SCEPKIT_RSA_PKCS1_V15 = 1,
    SCEPKIT_RSA_OAEP = 2,
} scepkit_rsa_pad;

/** Largest SubjectPublicKeyInfo DER the library handles (RSA-8192 plus headroom). */
#define SCEPKIT_MAX_SPKI_SIZE 1100
/** Largest signature (RSA-8192). */
#define SCEPKIT_MAX_SIG_SIZE 1024

/**
 * Key operations. `self` comes first on every call. A NULL op means "not
 * supported" (SCEPKIT_ERR_KEY_OP_MISSING). Any op may return
 * SCEPKIT_ERR_KEY_WOULD_BLOCK: the caller retries the same call later.
 */
typedef struct scepkit_key_ops {
    /** Writes the DER SubjectPublicKeyInfo to `out` (capacity `cap`), its length to `*len`.
     *  On SCEPKIT_ERR_BUFFER_TOO_SMALL `*len` holds the size needed. */
    scepkit_err (*public_key)(void *self, uint8_t *out, size_t cap, size_t *len);
    /** Signs a digest already computed by the library.
     *  RSA: PKCS#1 v1.5 over DigestInfo(md, digest). EC: DER ECDSA-Sig-Value.
     *  `md` is the digest algorithm that produced `digest` (`digest_len` = its size). */
    scepkit_err (*sign_digest)(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                               size_t cap, size_t *sig_len);
    /** RSA decryption for key transport. `oaep_md` is used only with SCEPKIT_RSA_OAEP (MGF1 with the same digest).
     *  Returns SCEPKIT_ERR_DECRYPT for any padding or length failure. */
    scepkit_err (*decrypt)(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t cap, size_t *out_len);
} scepkit_key_ops;

/** A key: ops plus the implementation's context. Copy it freely; it does not own `self`. */
typedef struct scepkit_key {
    const scepkit_key_ops *ops;
    void *self;
} scepkit_key;

/** Calls key.ops->public_key (checks for NULL ops). */
SCEPKIT_API scepkit_err scepkit_key_public(scepkit_key key, uint8_t *out, size_t cap, size_t *len);
/** Calls key.ops->sign_digest (checks for NULL ops and digest length). */
SCEPKIT_API scepkit_err scepkit_key_sign_digest(scepkit_key key, scepkit_md md, const uint8_t *digest,
                                                size_t digest_len, uint8_t *sig, size_t cap, size_t *sig_len);
/** Calls key.ops->decrypt (checks for NULL ops). */
SCEPKIT_API scepkit_err scepkit_key_decrypt(scepkit_key key, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in,
                                            size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/**
 * Unwraps a content-encryption key of exactly `cek_len` bytes without a padding oracle (RFC 3218 §2.3.2).
 * A random key of `cek_len` bytes is drawn first; if decryption fails for any reason that depends on the
 * ciphertext (bad padding, wrong length), the random key is returned with SCEPKIT_OK, so the failure shows
 * up later as an ordinary content-decryption failure. Errors that do not depend on the ciphertext
 * (missing op, would-block, RNG failure, bad arguments) are returned as such.
 * @param out receives `cek_len` bytes; wiped on error.
 */
SCEPKIT_API scepkit_err scepkit_key_unwrap_cek(scepkit_key key, scepkit_rng rng, scepkit_rsa_pad pad,
                                               scepkit_md oaep_md, const uint8_t *in, size_t in_len, uint8_t *out,
                                               size_t cek_len);

/**
 * Reads the key type and size (bits) from a DER SubjectPublicKeyInfo.
 * @return SCEPKIT_OK, SCEPKIT_ERR_KEY_PARSE, SCEPKIT_ERR_KEY_TYPE (other algorithms or curves).
 */
SCEPKIT_API scepkit_err scepkit_spki_info(scepkit_bytes spki, scepkit_key_type *type, size_t *bits);

/**
 * Verifies `sig` over `digest` with the public key in `spki` (DER SubjectPublicKeyInfo).
 * RSA keys: PKCS#1 v1.5 with DigestInfo(md). EC keys: DER ECDSA-Sig-Value.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_KEY_PARSE, SCEPKIT_ERR_KEY_TYPE,
 *         SCEPKIT_ERR_LEGACY_DISABLED (MD5), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_verify_digest(scepkit_bytes spki, scepkit_md md, const uint8_t *digest,
                                              size_t digest_len, scepkit_bytes sig);

/* ---------------------------------------------------------------------------------------------- */
/* Software key (over the crypto backend: mbedTLS or OpenSSL). */

/** Storage for a software key; treat as opaque. Do not copy an initialised one (two copies would free the
 *  same backend memory); share a pointer, or the ::scepkit_key from scepkit_softkey_key(). */
typedef struct scepkit_softkey {
    union {
        uint64_t u64[4];
        void *ptr;
    } opaque;        /**< the backend's key context (pointers into the backend's heap) */
    scepkit_rng rng; /**< for blinding and randomised padding */
    int backend_err; /**< raw backend code of the last failure */
    int initialised;
} scepkit_softkey;

/** Sets up an empty software key that will use `rng`. Cannot fail; free is safe afterwards. */
SCEPKIT_API void scepkit_softkey_init(scepkit_softkey *sk, scepkit_rng rng);

/**
 * Loads a private key from PEM or DER: PKCS#8 (plain or encrypted with `password`), PKCS#1 RSA, SEC1 EC.
 * PEM input must be NUL-terminated with the NUL counted in `key.len` or not (both accepted).
 * @return SCEPKIT_OK, SCEPKIT_ERR_KEY_PARSE, SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_ARG, SCEPKIT_ERR_DISABLED.
 */
SCEPKIT_API scepkit_err scepkit_softkey_parse(scepkit_softkey *sk, scepkit_bytes key, scepkit_bytes password);

/**
 * Generates a key: RSA with `bits` (2048..SCEPKIT_MAX_RSA_BITS, multiple of 8, e=65537), or EC P-256/P-384 (`bits`
 * ignored).
 * @return SCEPKIT_OK, SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_RNG, SCEPKIT_ERR_BACKEND, SCEPKIT_ERR_DISABLED.
 */
SCEPKIT_API scepkit_err scepkit_softkey_generate(scepkit_softkey *sk, scepkit_key_type type, size_t bits);

/** Writes the private key as PEM (NUL-terminated, `*len` excludes the NUL): PKCS#1 for RSA, SEC1 for EC.
 *  On SCEPKIT_ERR_BUFFER_TOO_SMALL (also with `out` NULL) `*len` is the capacity needed, NUL included. */
SCEPKIT_API scepkit_err scepkit_softkey_write_pem(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len);

/** Writes the private key as DER: PKCS#1 for RSA, SEC1 for EC.
 *  On SCEPKIT_ERR_BUFFER_TOO_SMALL (also with `out` NULL) `*len` is the size needed. */
SCEPKIT_API scepkit_err scepkit_softkey_write_der(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len);

/** Key type and bits of a loaded key. */
SCEPKIT_API scepkit_err scepkit_softkey_info(const scepkit_softkey *sk, scepkit_key_type *type, size_t *bits);

/** The key port of a loaded software key. */
SCEPKIT_API scepkit_key scepkit_softkey_key(scepkit_softkey *sk);

/** Raw backend code of the last failure (0 if none). */
SCEPKIT_API int scepkit_softkey_backend_error(const scepkit_softkey *sk);

/** Wipes and frees the key. Safe after init, after any failure, and twice. */
SCEPKIT_API void scepkit_softkey_free(scepkit_softkey *sk);

#ifdef __cplusplus
}
#endif
#endif
