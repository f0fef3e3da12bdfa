/*
 * CBC with PKCS#7 padding for every backend: which cipher may be used in which direction, the padding
 * (added here; removed here with a check that has no branch or memory index depending on the pad byte),
 * the one-shot and streaming functions of crypto_port.h, and their wiping. A backend's cbc.c supplies only
 * the keyed block cipher (skit_cbc_keys_*), so a fix here reaches every backend. Every failure that depends
 * on the ciphertext (length or padding) is the same SCEPKIT_ERR_DECRYPT.
 */
#include <string.h>

#include "port/cbc_common.h"

#define CBC_LIVE 0x43424321u /* "CBC!": skit_cbc_ctx.live while the backend holds a key schedule */

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

/* Zeroes `c` and schedules the key; on failure `c` is released and wiped. */
static scepkit_err start(skit_cbc_ctx *c, scepkit_cipher cipher, int decrypt, const uint8_t *key, const uint8_t *iv)
{
    memset(c, 0, sizeof *c);
    c->cipher = cipher;
    scepkit_err err = skit_cbc_keys_setup(c, decrypt, key, iv);
    if (err != SCEPKIT_OK) {
        skit_cbc_keys_release(c);
        scepkit_wipe(c, sizeof *c);
        return err;
    }
    c->live = CBC_LIVE;
    return SCEPKIT_OK;
}

void skit_cbc_free(skit_cbc_ctx *c)
{
    if (c == NULL) {
        return;
    }
    if (c->live == CBC_LIVE) {
        skit_cbc_keys_release(c);
    }
    scepkit_wipe(c, sizeof *c);
}

scepkit_err skit_cbc_encrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    skit_cbc_ctx x;
    uint8_t last[16];
    scepkit_err err;

    if (out_len == NULL || key == NULL || iv == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    err = skit_cbc_allowed(c, 0, 0);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t bs = scepkit_cipher_block_size(c);
    size_t rem = in_len % bs;
    size_t full = in_len - rem;
    if (full > SIZE_MAX - bs) {
        return SCEPKIT_ERR_ARG;
    }
    size_t total = full + bs; /* PKCS#7 always adds 1..bs bytes */
    if (out == NULL || cap < total) {
        *out_len = total;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    memset(last, 0, sizeof last);
    err = start(&x, c, 0, key, iv);
    if (err == SCEPKIT_OK && full > 0) {
        err = skit_cbc_keys_crypt(&x, full, in, out);
    }
    if (err == SCEPKIT_OK) {
        if (rem > 0) {
            memcpy(last, in + full, rem);
        }
        memset(last + rem, (int)(bs - rem), bs - rem);
        err = skit_cbc_keys_crypt(&x, bs, last, out + full);
    }
    skit_cbc_free(&x);
    scepkit_wipe(last, sizeof last);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, total);
        return err;
    }
    *out_len = total;
    return SCEPKIT_OK;
}

scepkit_err skit_cbc_decrypt(scepkit_cipher c, int allow_legacy, const uint8_t *key, const uint8_t *iv,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    skit_cbc_ctx x;
    scepkit_err err;
    size_t pad = 0;

    if (out_len == NULL || key == NULL || iv == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    err = skit_cbc_allowed(c, 1, allow_legacy);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t bs = scepkit_cipher_block_size(c);
    if (in_len == 0 || in_len % bs != 0) {
        return SCEPKIT_ERR_DECRYPT; /* same code as a padding failure */
    }
    if (out == NULL || cap < in_len) {
        *out_len = in_len;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    err = start(&x, c, 1, key, iv);
    if (err == SCEPKIT_OK) {
        err = skit_cbc_keys_crypt(&x, in_len, in, out);
    }
    skit_cbc_free(&x);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, in_len);
        return err;
    }
    err = SCEPKIT_ERR_DECRYPT;
    if (skit_cbc_unpad(out + in_len - bs, bs, &pad) == 1u) {
        err = SCEPKIT_OK;
        *out_len = in_len - pad;
    } else {
        scepkit_wipe(out, in_len);
    }
    return err;
}

scepkit_err skit_cbc_decrypt_init(skit_cbc_ctx *c, scepkit_cipher cipher, int allow_legacy, const uint8_t *key,
                                  const uint8_t *iv)
{
    scepkit_err err;

    if (c == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    if (key == NULL || iv == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_cbc_allowed(cipher, 1, allow_legacy);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = start(c, cipher, 1, key, iv);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->decrypt = 1;
    return SCEPKIT_OK;
}

scepkit_err skit_cbc_decrypt_update(skit_cbc_ctx *c, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    scepkit_err err = SCEPKIT_OK;

    if (c == NULL || out_len == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (c->live != CBC_LIVE || c->decrypt != 1) {
        return SCEPKIT_ERR_ARG;
    }
    size_t bs = scepkit_cipher_block_size(c->cipher);
    if (in_len == 0) {
        return SCEPKIT_OK;
    }
    if (in_len <= bs - c->pending_len) {
        memcpy(c->pending + c->pending_len, in, in_len);
        c->pending_len += in_len;
        return SCEPKIT_OK;
    }
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    /* Always hold back the last 1..bs bytes: the final block carries the padding for finish(). */
    size_t total = c->pending_len + in_len;
    size_t keep = total % bs != 0 ? total % bs : bs;
    size_t todo = total - keep; /* >= bs because total > bs */
    size_t done = 0;
    if (c->pending_len > 0) {
        size_t take = bs - c->pending_len;
        memcpy(c->pending + c->pending_len, in, take);
        in += take;
        in_len -= take;
        err = skit_cbc_keys_crypt(c, bs, c->pending, out);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        done = bs;
        c->pending_len = 0;
    }
    if (todo > done) {
        size_t n = todo - done;
        err = skit_cbc_keys_crypt(c, n, in, out + done);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        in += n;
        in_len -= n;
        done += n;
    }
    memcpy(c->pending, in, in_len);
    c->pending_len = in_len;
    *out_len = done;
out:
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, todo);
        c->decrypt = 0; /* the chain is broken: refuse further calls */
    }
    return err;
}

scepkit_err skit_cbc_decrypt_finish(skit_cbc_ctx *c, uint8_t *out, size_t *out_len)
{
    uint8_t last[16];
    scepkit_err err;
    size_t pad = 0;

    if (c == NULL || out == NULL || out_len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (c->live != CBC_LIVE || c->decrypt != 1) {
        return SCEPKIT_ERR_ARG;
    }
    c->decrypt = 0; /* finish is the last call whatever happens */
    size_t bs = scepkit_cipher_block_size(c->cipher);
    if (c->pending_len != bs) {
        /* empty input or not a multiple of the block size: same code as bad padding */
        return SCEPKIT_ERR_DECRYPT;
    }
    err = skit_cbc_keys_crypt(c, bs, c->pending, last);
    c->pending_len = 0;
    if (err == SCEPKIT_OK) {
        err = SCEPKIT_ERR_DECRYPT;
        if (skit_cbc_unpad(last, bs, &pad) == 1u) {
            memcpy(out, last, bs - pad);
            *out_len = bs - pad;
            err = SCEPKIT_OK;
        }
    }
    scepkit_wipe(last, sizeof last);
    return err;
}
