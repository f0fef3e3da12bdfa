/*
 * The key port and rng port wrappers, and the padding-oracle-free CEK unwrap. Backend-independent:
 * no crypto library header here, only the ops tables.
 */
#include <string.h>

#include "port/crypto_port.h"

/* Largest RSA plaintext any supported key can produce (the modulus size). */
#define UNWRAP_BUF_MAX (SCEPKIT_MAX_RSA_BITS / 8)

scepkit_err skit_random(scepkit_rng rng, uint8_t *out, size_t len)
{
    if (rng.ops == NULL || rng.ops->fill == NULL || (out == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    if (len == 0) {
        return SCEPKIT_OK;
    }
    scepkit_err err = rng.ops->fill(rng.self, out, len);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, len);
        return SCEPKIT_ERR_RNG;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_rng_fill(scepkit_rng rng, uint8_t *out, size_t len)
{
    return skit_random(rng, out, len);
}

scepkit_err scepkit_key_public(scepkit_key key, uint8_t *out, size_t cap, size_t *len)
{
    if (len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (key.ops == NULL || key.ops->public_key == NULL) {
        return SCEPKIT_ERR_KEY_OP_MISSING;
    }
    return key.ops->public_key(key.self, out, cap, len);
}

scepkit_err scepkit_key_sign_digest(scepkit_key key, scepkit_md md, const uint8_t *digest, size_t digest_len,
                                    uint8_t *sig, size_t cap, size_t *sig_len)
{
    if (sig_len == NULL || digest == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *sig_len = 0;
    size_t want = scepkit_md_size(md);
    if (want == 0 || digest_len != want) {
        return SCEPKIT_ERR_ARG;
    }
    if (key.ops == NULL || key.ops->sign_digest == NULL) {
        return SCEPKIT_ERR_KEY_OP_MISSING;
    }
    return key.ops->sign_digest(key.self, md, digest, digest_len, sig, cap, sig_len);
}

scepkit_err scepkit_key_decrypt(scepkit_key key, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in,
                                size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (out_len == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (key.ops == NULL || key.ops->decrypt == NULL) {
        return SCEPKIT_ERR_KEY_OP_MISSING;
    }
    return key.ops->decrypt(key.self, pad, oaep_md, in, in_len, out, cap, out_len);
}

/* All ones when x == 0, else 0. No branch. */
static size_t ct_zero_mask(size_t x)
{
    /* top bit of (x | -x) is set exactly when x != 0 */
    size_t nz = (x | ((size_t)0 - x)) >> (sizeof(size_t) * 8u - 1u);
    return nz - 1u;
}

/*
 * RFC 3218 §2.3.2 (the random-CEK countermeasure to Bleichenbacher's attack, as in RFC 5652 §6.2.1
 * key transport):
 *   1. generate a random CEK of the expected length first, whatever the ciphertext;
 *   2. decrypt the encrypted key;
 *   3. if the decryption or its padding failed, or the length is wrong, continue with the random
 *      CEK as if it were the real one.
 * The failure then surfaces later as an ordinary content-decryption failure (or garbage), the
 * same as for a well-formed wrong key: the peer learns nothing from the padding.
 *
 * The selection is a masked copy. The only branch after the decryption is on errors that do
 * not depend on the ciphertext (missing op, would-block, RNG, arguments), taken the same way for
 * a valid and an invalid padding.
 */
scepkit_err scepkit_key_unwrap_cek(scepkit_key key, scepkit_rng rng, scepkit_rsa_pad pad, scepkit_md oaep_md,
                                   const uint8_t *in, size_t in_len, uint8_t *out, size_t cek_len)
{
    uint8_t plain[UNWRAP_BUF_MAX];
    uint8_t rnd[UNWRAP_BUF_MAX];
    size_t plen = 0;
    scepkit_err err = SCEPKIT_ERR_ARG;

    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(plain, 0, sizeof plain);
    memset(rnd, 0, sizeof rnd);
    if (cek_len == 0 || cek_len > sizeof plain || (in == NULL && in_len != 0)) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    if (key.ops == NULL || key.ops->decrypt == NULL) {
        err = SCEPKIT_ERR_KEY_OP_MISSING;
        goto out;
    }
    err = skit_random(rng, rnd, cek_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    scepkit_err derr = key.ops->decrypt(key.self, pad, oaep_md, in, in_len, plain, sizeof plain, &plen);

    /* Ciphertext-dependent outcomes: success, bad padding/length, plaintext too long. */
    size_t is_ok = ct_zero_mask((size_t)derr ^ (size_t)SCEPKIT_OK);
    size_t is_dec = ct_zero_mask((size_t)derr ^ (size_t)SCEPKIT_ERR_DECRYPT);
    size_t is_big = ct_zero_mask((size_t)derr ^ (size_t)SCEPKIT_ERR_BUFFER_TOO_SMALL);
    if ((is_ok | is_dec | is_big) == 0) {
        err = derr; /* e.g. SCEPKIT_ERR_KEY_WOULD_BLOCK: the caller retries the same call */
        goto out;
    }
    size_t good = is_ok & ct_zero_mask(plen ^ cek_len);
    uint8_t m = (uint8_t)(good & 0xffu);
    for (size_t i = 0; i < cek_len; i++) {
        out[i] = (uint8_t)((plain[i] & m) | (rnd[i] & (uint8_t)~m));
    }
    err = SCEPKIT_OK;
out:
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, cek_len);
    }
    scepkit_wipe(plain, sizeof plain);
    scepkit_wipe(rnd, sizeof rnd);
    return err;
}
