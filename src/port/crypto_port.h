/*
 * The internal crypto interface. Everything above src/port/ calls these and
 * never a backend header. A backend is one folder (src/port/mbedtls/, src/port/openssl/)
 * implementing this file plus the public functions of crypto.h and key.h.
 *
 * All functions return scepkit_err. Secrets passed in are never kept; secrets
 * produced (keys, plaintext) go only to caller buffers, and backend contexts
 * holding them are wiped before return on every path.
 */
#ifndef SCEPKIT_PORT_CRYPTO_PORT_H
#define SCEPKIT_PORT_CRYPTO_PORT_H

#include "scepkit/crypto.h"
#include "scepkit/key.h"

/* Streaming digest. Big enough for SHA-512 state in any backend (checked at build time). */
typedef struct skit_md_ctx {
    union {
        uint64_t u64[64];
        void *ptr;
    } opaque;
    scepkit_md md;
} skit_md_ctx;

/* init never fails on a valid md; free is safe after init and wipes. */
scepkit_err skit_md_init(skit_md_ctx *c, scepkit_md md);
scepkit_err skit_md_update(skit_md_ctx *c, const uint8_t *in, size_t len);
scepkit_err skit_md_finish(skit_md_ctx *c, uint8_t *out); /* writes scepkit_md_size(md) bytes */
void skit_md_free(skit_md_ctx *c);

/* One-shot digest: writes scepkit_md_size(md) bytes. MD5 allowed (callers decide about legacy). */
scepkit_err skit_md(scepkit_md md, const uint8_t *in, size_t len, uint8_t *out);

/* HMAC: writes scepkit_md_size(md) bytes. */
scepkit_err skit_hmac(scepkit_md md, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out);

/* PBKDF2 with HMAC-md (RFC 8018). */
scepkit_err skit_pbkdf2(scepkit_md md, const uint8_t *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
                        uint32_t iterations, uint8_t *out, size_t out_len);

/*
 * CBC with PKCS#7 padding, one shot. `key` is scepkit_cipher_key_size(c) bytes, `iv` the block size.
 * Encrypt: `cap` must be >= in_len rounded up to the next full block (always adds padding).
 *   Single DES encryption is refused (SCEPKIT_ERR_UNSUPPORTED).
 * Decrypt: in_len must be a non-zero multiple of the block size; padding is checked without
 *   data-dependent branches and any failure is SCEPKIT_ERR_DECRYPT (no oracle: same code for
 *   length and padding errors). `out` may be wiped on failure. cap >= in_len.
 *   Single DES requires `allow_legacy` (else SCEPKIT_ERR_LEGACY_DISABLED).
 */
scepkit_err skit_cbc_encrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t cap, size_t *out_len);
scepkit_err skit_cbc_decrypt(scepkit_cipher c, int allow_legacy, const uint8_t *key, const uint8_t *iv,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Streaming CBC decrypt for large or segmented (BER constructed OCTET STRING) content.
 * update() outputs whole blocks except the last one, which finish() unpads. If finish() fails, the
 * caller must discard everything update() produced. Do not copy an initialised context.
 */
typedef struct skit_cbc_ctx {
    union {
        uint64_t u64[96];
        void *ptr;
    } opaque;
    scepkit_cipher cipher;
    uint8_t pending[16];
    size_t pending_len;
    int decrypt;   /* 1 while a streaming decryption may continue */
    uint32_t live; /* the backend state in `opaque` holds a key schedule */
} skit_cbc_ctx;
scepkit_err skit_cbc_decrypt_init(skit_cbc_ctx *c, scepkit_cipher cipher, int allow_legacy, const uint8_t *key,
                                  const uint8_t *iv);
/* out must have room for in_len + 16 bytes */
scepkit_err skit_cbc_decrypt_update(skit_cbc_ctx *c, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);
/* out must have room for 16 bytes; checks padding (SCEPKIT_ERR_DECRYPT) */
scepkit_err skit_cbc_decrypt_finish(skit_cbc_ctx *c, uint8_t *out, size_t *out_len);
void skit_cbc_free(skit_cbc_ctx *c);

/* RSA key transport encryption to the public key in `spki` (DER SubjectPublicKeyInfo). */
scepkit_err skit_rsa_encrypt(scepkit_bytes spki, scepkit_rng rng, scepkit_rsa_pad pad, scepkit_md oaep_md,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* Fills from the rng port (checks NULL ops). */
scepkit_err skit_random(scepkit_rng rng, uint8_t *out, size_t len);

#endif
