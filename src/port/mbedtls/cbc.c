/*
 * CBC with PKCS#7 padding over the mbedTLS block ciphers (AES, 3DES, DES).
 *
 * The padding is removed here, not by mbedtls_cipher, so that the check runs without a branch
 * or a memory index that depends on the pad byte, and so that every failure (length or
 * padding) is the same SCEPKIT_ERR_DECRYPT. Key schedules live in the caller's storage (one-shot:
 * on our stack) and are wiped on every path.
 */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/des.h>

#include "port/cbc_common.h"
#include "port/mbedtls/mbed_port.h"

#define CBC_MAGIC 0x43424321u /* "CBC!": the context holds a live key schedule */

typedef union cbc_keys {
    mbedtls_aes_context aes;
    mbedtls_des3_context des3;
    mbedtls_des_context des;
} cbc_keys;

typedef struct cbc_state {
    uint32_t magic;
    cbc_keys k;
} cbc_state;

_Static_assert(sizeof(cbc_state) <= sizeof(((skit_cbc_ctx *)0)->opaque), "skit_cbc_ctx.opaque too small for mbedTLS");
_Static_assert(_Alignof(cbc_state) <= _Alignof(skit_cbc_ctx), "skit_cbc_ctx.opaque under-aligned for mbedTLS");

static cbc_state *state_of(skit_cbc_ctx *c)
{
    return (cbc_state *)(void *)&c->opaque;
}

static scepkit_err keys_setup(cbc_keys *k, scepkit_cipher c, int decrypt, const uint8_t *key)
{
    int ret = -1;

    switch (c) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC: {
        unsigned int bits = (unsigned int)(scepkit_cipher_key_size(c) * 8u);
        mbedtls_aes_init(&k->aes);
        ret = decrypt ? mbedtls_aes_setkey_dec(&k->aes, key, bits) : mbedtls_aes_setkey_enc(&k->aes, key, bits);
        break;
    }
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        mbedtls_des3_init(&k->des3);
        ret = decrypt ? mbedtls_des3_set3key_dec(&k->des3, key) : mbedtls_des3_set3key_enc(&k->des3, key);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        /* decryption only: skit_cbc_allowed() refused encryption */
        mbedtls_des_init(&k->des);
        ret = mbedtls_des_setkey_dec(&k->des, key);
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

static void keys_free(cbc_keys *k, scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        mbedtls_aes_free(&k->aes);
        break;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        mbedtls_des3_free(&k->des3);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        mbedtls_des_free(&k->des);
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    scepkit_wipe(k, sizeof *k);
}

/* `len` is a multiple of the block size; `iv` is updated to chain the next call. */
static scepkit_err keys_crypt(cbc_keys *k, scepkit_cipher c, int decrypt, size_t len, uint8_t *iv, const uint8_t *in,
                              uint8_t *out)
{
    int ret = -1;

    switch (c) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        ret = mbedtls_aes_crypt_cbc(&k->aes, decrypt ? MBEDTLS_AES_DECRYPT : MBEDTLS_AES_ENCRYPT, len, iv, in, out);
        break;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        ret = mbedtls_des3_crypt_cbc(&k->des3, decrypt ? MBEDTLS_DES_DECRYPT : MBEDTLS_DES_ENCRYPT, len, iv, in, out);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        ret = decrypt ? mbedtls_des_crypt_cbc(&k->des, MBEDTLS_DES_DECRYPT, len, iv, in, out) : -1;
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

scepkit_err skit_cbc_encrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    cbc_keys k;
    uint8_t chain[16];
    uint8_t last[16];
    scepkit_err err;
    int have_keys = 0;

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
    memcpy(chain, iv, bs);
    err = keys_setup(&k, c, 0, key);
    have_keys = 1;
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (full > 0) {
        err = keys_crypt(&k, c, 0, full, chain, in, out);
        if (err != SCEPKIT_OK) {
            goto out;
        }
    }
    if (rem > 0) {
        memcpy(last, in + full, rem);
    }
    memset(last + rem, (int)(bs - rem), bs - rem);
    err = keys_crypt(&k, c, 0, bs, chain, last, out + full);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    *out_len = total;
out:
    if (have_keys) {
        keys_free(&k, c);
    }
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, cap < total ? cap : total);
    }
    scepkit_wipe(last, sizeof last);
    scepkit_wipe(chain, sizeof chain);
    return err;
}

scepkit_err skit_cbc_decrypt(scepkit_cipher c, int allow_legacy, const uint8_t *key, const uint8_t *iv,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    cbc_keys k;
    uint8_t chain[16];
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
    memcpy(chain, iv, bs);
    err = keys_setup(&k, c, 1, key);
    if (err == SCEPKIT_OK) {
        err = keys_crypt(&k, c, 1, in_len, chain, in, out);
    }
    keys_free(&k, c);
    scepkit_wipe(chain, sizeof chain);
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
    cbc_state *s = state_of(c);
    err = keys_setup(&s->k, cipher, 1, key);
    if (err != SCEPKIT_OK) {
        keys_free(&s->k, cipher);
        return err;
    }
    s->magic = CBC_MAGIC;
    c->cipher = cipher;
    memcpy(c->iv, iv, scepkit_cipher_block_size(cipher));
    c->pending_len = 0;
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
    cbc_state *s = state_of(c);
    if (s->magic != CBC_MAGIC || c->decrypt != 1) {
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
        err = keys_crypt(&s->k, c->cipher, 1, bs, c->iv, c->pending, out);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        done = bs;
        c->pending_len = 0;
    }
    if (todo > done) {
        size_t n = todo - done;
        err = keys_crypt(&s->k, c->cipher, 1, n, c->iv, in, out + done);
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
    cbc_state *s = state_of(c);
    if (s->magic != CBC_MAGIC || c->decrypt != 1) {
        return SCEPKIT_ERR_ARG;
    }
    c->decrypt = 0; /* finish is the last call whatever happens */
    size_t bs = scepkit_cipher_block_size(c->cipher);
    if (c->pending_len != bs) {
        /* empty input or not a multiple of the block size: same code as bad padding */
        return SCEPKIT_ERR_DECRYPT;
    }
    err = keys_crypt(&s->k, c->cipher, 1, bs, c->iv, c->pending, last);
    c->pending_len = 0;
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = SCEPKIT_ERR_DECRYPT;
    if (skit_cbc_unpad(last, bs, &pad) == 1u) {
        memcpy(out, last, bs - pad);
        *out_len = bs - pad;
        err = SCEPKIT_OK;
    }
out:
    scepkit_wipe(last, sizeof last);
    return err;
}

void skit_cbc_free(skit_cbc_ctx *c)
{
    if (c == NULL) {
        return;
    }
    cbc_state *s = state_of(c);
    if (s->magic == CBC_MAGIC) {
        keys_free(&s->k, c->cipher);
    }
    scepkit_wipe(c, sizeof *c);
}
