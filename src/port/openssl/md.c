/*
 * Digests, HMAC and PBKDF2 over OpenSSL 3 (EVP).
 *
 * The streaming digest holds an EVP_MD_CTX (OpenSSL's heap) by pointer inside the caller's skit_md_ctx;
 * EVP_MD_CTX_free() cleanses the digest state. init fails only when OpenSSL cannot allocate.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "port/openssl/ossl_port.h"

#define MD_MAGIC 0x4d44435au /* "MDCZ": the context holds a live EVP_MD_CTX */

typedef struct md_state {
    uint32_t magic;
    EVP_MD_CTX *ctx;
} md_state;

_Static_assert(sizeof(md_state) <= sizeof(((skit_md_ctx *)0)->opaque), "skit_md_ctx.opaque too small for OpenSSL");
_Static_assert(_Alignof(md_state) <= _Alignof(skit_md_ctx), "skit_md_ctx.opaque under-aligned for OpenSSL");

static md_state *state_of(skit_md_ctx *c)
{
    return (md_state *)(void *)&c->opaque;
}

int skit_ossl_take_error(void)
{
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    return (int)e;
}

scepkit_err skit_ossl_md(scepkit_md md, const EVP_MD **out)
{
    switch (md) {
    case SCEPKIT_MD_MD5:
#if SCEPKIT_WITH_LEGACY_CRYPTO
        *out = EVP_md5();
        return SCEPKIT_OK;
#else
        return SCEPKIT_ERR_DISABLED;
#endif
    case SCEPKIT_MD_SHA1:
        *out = EVP_sha1();
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA256:
        *out = EVP_sha256();
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA384:
        *out = EVP_sha384();
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA512:
        *out = EVP_sha512();
        return SCEPKIT_OK;
    case SCEPKIT_MD_NONE:
    default:
        return SCEPKIT_ERR_UNSUPPORTED;
    }
}

scepkit_err skit_ossl_md_strong(scepkit_md md, const EVP_MD **out)
{
    /* MD5 collisions are practical: never for signatures or OAEP, whatever the legacy switch says. */
    if (md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    return skit_ossl_md(md, out);
}

scepkit_err skit_md_init(skit_md_ctx *c, scepkit_md md)
{
    const EVP_MD *t = NULL;
    scepkit_err err;

    if (c == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    c->md = SCEPKIT_MD_NONE;
    err = skit_ossl_md(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    md_state *s = state_of(c);
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, t, NULL) != 1) {
        EVP_MD_CTX_free(s->ctx);
        (void)skit_ossl_take_error();
        scepkit_wipe(c, sizeof *c);
        return SCEPKIT_ERR_BACKEND;
    }
    s->magic = MD_MAGIC;
    c->md = md;
    return SCEPKIT_OK;
}

scepkit_err skit_md_update(skit_md_ctx *c, const uint8_t *in, size_t len)
{
    if (c == NULL || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    md_state *s = state_of(c);
    if (c->md == SCEPKIT_MD_NONE || s->magic != MD_MAGIC) {
        return SCEPKIT_ERR_ARG;
    }
    if (len == 0) {
        return SCEPKIT_OK;
    }
    if (EVP_DigestUpdate(s->ctx, in, len) != 1) {
        (void)skit_ossl_take_error();
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_md_finish(skit_md_ctx *c, uint8_t *out)
{
    unsigned int n = 0;

    if (c == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    md_state *s = state_of(c);
    if (c->md == SCEPKIT_MD_NONE || s->magic != MD_MAGIC) {
        return SCEPKIT_ERR_ARG;
    }
    if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != scepkit_md_size(c->md)) {
        (void)skit_ossl_take_error();
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

void skit_md_free(skit_md_ctx *c)
{
    if (c == NULL) {
        return;
    }
    md_state *s = state_of(c);
    if (s->magic == MD_MAGIC) {
        EVP_MD_CTX_free(s->ctx); /* the digest's freectx cleanses its state */
    }
    scepkit_wipe(c, sizeof *c);
    c->md = SCEPKIT_MD_NONE;
}

scepkit_err skit_md(scepkit_md md, const uint8_t *in, size_t len, uint8_t *out)
{
    static const uint8_t empty[1] = {0};
    const EVP_MD *t = NULL;
    unsigned int n = 0;
    scepkit_err err;

    if (out == NULL || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_ossl_md(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* EVP_Digest() keeps its context on the heap and frees (cleanses) it before returning. */
    if (EVP_Digest(in != NULL ? in : empty, len, out, &n, t, NULL) != 1 || n != scepkit_md_size(md)) {
        (void)skit_ossl_take_error();
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_digest(scepkit_md md, scepkit_bytes in, uint8_t *out, size_t cap, size_t *out_len)
{
    const EVP_MD *t = NULL;
    scepkit_err err;

    if (out_len == NULL || (in.ptr == NULL && in.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    err = skit_ossl_md(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t n = scepkit_md_size(md);
    if (out == NULL || cap < n) {
        *out_len = n;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    err = skit_md(md, in.ptr, in.len, out);
    if (err == SCEPKIT_OK) {
        *out_len = n;
    }
    return err;
}

scepkit_err skit_hmac(scepkit_md md, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out)
{
    static const uint8_t empty[1] = {0};
    const EVP_MD *t = NULL;
    scepkit_err err;
    size_t n = 0;

    if (out == NULL || (key == NULL && key_len != 0) || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_ossl_md(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* EVP_Q_mac() frees (and cleanses) its MAC context, pads included, before returning. */
    size_t want = scepkit_md_size(md);
    if (EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(t), NULL, key != NULL ? key : empty, key_len,
                  in != NULL ? in : empty, len, out, want, &n) == NULL ||
        n != want) {
        (void)skit_ossl_take_error();
        scepkit_wipe(out, want);
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_pbkdf2(scepkit_md md, const uint8_t *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
                        uint32_t iterations, uint8_t *out, size_t out_len)
{
    static const uint8_t empty[1] = {0};
    const EVP_MD *t = NULL;
    scepkit_err err;

    if (out == NULL || out_len == 0 || (uint64_t)out_len > UINT32_MAX || iterations == 0 ||
        (pw == NULL && pw_len != 0) || (salt == NULL && salt_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_ossl_md(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* PKCS5_PBKDF2_HMAC() counts in int. */
    if (pw_len > INT_MAX || salt_len > INT_MAX || out_len > INT_MAX || iterations > INT_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    if (PKCS5_PBKDF2_HMAC((const char *)(pw != NULL ? pw : empty), (int)pw_len, salt != NULL ? salt : empty,
                          (int)salt_len, (int)iterations, t, (int)out_len, out) != 1) {
        (void)skit_ossl_take_error();
        scepkit_wipe(out, out_len);
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}
