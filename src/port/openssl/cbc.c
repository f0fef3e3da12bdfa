/*
 * CBC with PKCS#7 padding over OpenSSL's EVP ciphers (AES, 3DES, and single DES from the legacy provider).
 *
 * OpenSSL's own padding removal is switched off (EVP_CIPHER_CTX_set_padding(ctx, 0)): the padding is added
 * and removed here, so that the check runs without a branch or a memory index that depends on the pad byte,
 * and so that every failure (length or padding) is the same SCEPKIT_ERR_DECRYPT. EVP only ever sees whole
 * blocks. The EVP_CIPHER_CTX (key schedule, chaining value) lives on OpenSSL's heap, held by pointer in the
 * caller's storage (one-shot: on our stack); EVP_CIPHER_CTX_free() cleanses it, on every path.
 *
 * Single DES: OpenSSL 3 has it only in the "legacy" provider. It is loaded into a private OSSL_LIB_CTX made
 * for the one decryption (never into the default context: nothing global changes, and nothing else in the
 * process can reach DES through us), and only after the legacy checks passed. When the provider cannot be
 * loaded (e.g. a build without legacy.so) the answer is SCEPKIT_ERR_UNSUPPORTED.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "port/cbc_common.h"
#include "port/openssl/ossl_port.h"

#define CBC_MAGIC 0x43424321u /* "CBC!": the context holds a live cipher context */

typedef struct cbc_keys {
    EVP_CIPHER_CTX *ctx;
    /* single DES only: the private library context with the legacy provider, and the fetched cipher */
    OSSL_LIB_CTX *legacy;
    OSSL_PROVIDER *legacy_prov;
    EVP_CIPHER *fetched;
} cbc_keys;

typedef struct cbc_state {
    uint32_t magic;
    cbc_keys k;
} cbc_state;

_Static_assert(sizeof(cbc_state) <= sizeof(((skit_cbc_ctx *)0)->opaque), "skit_cbc_ctx.opaque too small for OpenSSL");
_Static_assert(_Alignof(cbc_state) <= _Alignof(skit_cbc_ctx), "skit_cbc_ctx.opaque under-aligned for OpenSSL");

static cbc_state *state_of(skit_cbc_ctx *c)
{
    return (cbc_state *)(void *)&c->opaque;
}

static void keys_free(cbc_keys *k)
{
    EVP_CIPHER_CTX_free(k->ctx); /* cleanses the key schedule and chaining value */
    EVP_CIPHER_free(k->fetched);
    if (k->legacy_prov != NULL) {
        (void)OSSL_PROVIDER_unload(k->legacy_prov);
    }
    OSSL_LIB_CTX_free(k->legacy);
    scepkit_wipe(k, sizeof *k);
}

/* Sets up `k` (zeroed by the caller) for `c` in one direction, with `key` and the first chaining value `iv`. */
static scepkit_err keys_setup(cbc_keys *k, scepkit_cipher c, int decrypt, const uint8_t *key, const uint8_t *iv)
{
    const EVP_CIPHER *cipher = NULL;

    switch (c) {
    case SCEPKIT_CIPHER_AES128_CBC:
        cipher = EVP_aes_128_cbc();
        break;
    case SCEPKIT_CIPHER_AES192_CBC:
        cipher = EVP_aes_192_cbc();
        break;
    case SCEPKIT_CIPHER_AES256_CBC:
        cipher = EVP_aes_256_cbc();
        break;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        cipher = EVP_des_ede3_cbc();
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        /* decryption only: skit_cbc_allowed() refused encryption */
        k->legacy = OSSL_LIB_CTX_new();
        if (k->legacy == NULL) {
            (void)skit_ossl_take_error();
            return SCEPKIT_ERR_BACKEND;
        }
        k->legacy_prov = OSSL_PROVIDER_load(k->legacy, "legacy");
        if (k->legacy_prov != NULL) {
            k->fetched = EVP_CIPHER_fetch(k->legacy, "DES-CBC", NULL);
        }
        if (k->fetched == NULL) {
            (void)skit_ossl_take_error();
            return SCEPKIT_ERR_UNSUPPORTED; /* no legacy provider here */
        }
        cipher = k->fetched;
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    k->ctx = EVP_CIPHER_CTX_new();
    if (k->ctx == NULL || EVP_CipherInit_ex2(k->ctx, cipher, key, iv, decrypt ? 0 : 1, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(k->ctx, 0) != 1) {
        (void)skit_ossl_take_error();
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

/* `len` is a multiple of the block size; the context chains to the next call. */
static scepkit_err keys_crypt(cbc_keys *k, size_t len, const uint8_t *in, uint8_t *out)
{
    while (len > 0) {
        /* EVP_CipherUpdate() counts in int: feed at most 1 GiB (a multiple of every block size) at a time. */
        size_t n = len > (1u << 30) ? (1u << 30) : len;
        int outl = 0;
        if (EVP_CipherUpdate(k->ctx, out, &outl, in, (int)n) != 1 || outl < 0 || (size_t)outl != n) {
            (void)skit_ossl_take_error();
            return SCEPKIT_ERR_BACKEND;
        }
        in += n;
        out += n;
        len -= n;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_cbc_encrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    cbc_keys k;
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
    memset(&k, 0, sizeof k);
    err = keys_setup(&k, c, 0, key, iv);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (full > 0) {
        err = keys_crypt(&k, full, in, out);
        if (err != SCEPKIT_OK) {
            goto out;
        }
    }
    if (rem > 0) {
        memcpy(last, in + full, rem);
    }
    memset(last + rem, (int)(bs - rem), bs - rem);
    err = keys_crypt(&k, bs, last, out + full);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    *out_len = total;
out:
    keys_free(&k);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, cap < total ? cap : total);
    }
    scepkit_wipe(last, sizeof last);
    return err;
}

scepkit_err skit_cbc_decrypt(scepkit_cipher c, int allow_legacy, const uint8_t *key, const uint8_t *iv,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    cbc_keys k;
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
    memset(&k, 0, sizeof k);
    err = keys_setup(&k, c, 1, key, iv);
    if (err == SCEPKIT_OK) {
        err = keys_crypt(&k, in_len, in, out);
    }
    keys_free(&k);
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
    err = keys_setup(&s->k, cipher, 1, key, iv);
    if (err != SCEPKIT_OK) {
        keys_free(&s->k);
        return err;
    }
    s->magic = CBC_MAGIC;
    c->cipher = cipher;
    memcpy(c->iv, iv, scepkit_cipher_block_size(cipher)); /* informational: the chain lives in the EVP context */
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
        err = keys_crypt(&s->k, bs, c->pending, out);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        done = bs;
        c->pending_len = 0;
    }
    if (todo > done) {
        size_t n = todo - done;
        err = keys_crypt(&s->k, n, in, out + done);
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
    err = keys_crypt(&s->k, bs, c->pending, last);
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
        keys_free(&s->k);
    }
    scepkit_wipe(c, sizeof *c);
}
