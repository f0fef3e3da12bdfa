/*
 * Digests, HMAC and PBKDF2 over mbedTLS.
 *
 * The streaming digest keeps the algorithm's own context (not mbedtls_md_context_t) inside the
 * caller's skit_md_ctx: no heap, and init cannot fail on a valid algorithm.
 */
#include <string.h>

#include "port/mbedtls/mbed_port.h"

typedef union md_state {
    mbedtls_md5_context md5;
    mbedtls_sha1_context sha1;
    mbedtls_sha256_context sha256;
    mbedtls_sha512_context sha512;
} md_state;

_Static_assert(sizeof(md_state) <= sizeof(((skit_md_ctx *)0)->opaque), "skit_md_ctx.opaque too small for mbedTLS");
_Static_assert(_Alignof(md_state) <= _Alignof(skit_md_ctx), "skit_md_ctx.opaque under-aligned for mbedTLS");

static md_state *state_of(skit_md_ctx *c)
{
    return (md_state *)(void *)&c->opaque;
}

scepkit_err skit_mbed_md_type(scepkit_md md, mbedtls_md_type_t *out)
{
    switch (md) {
    case SCEPKIT_MD_MD5:
#if SCEPKIT_WITH_LEGACY_CRYPTO
        *out = MBEDTLS_MD_MD5;
        return SCEPKIT_OK;
#else
        return SCEPKIT_ERR_DISABLED;
#endif
    case SCEPKIT_MD_SHA1:
        *out = MBEDTLS_MD_SHA1;
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA256:
        *out = MBEDTLS_MD_SHA256;
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA384:
        *out = MBEDTLS_MD_SHA384;
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA512:
        *out = MBEDTLS_MD_SHA512;
        return SCEPKIT_OK;
    case SCEPKIT_MD_NONE:
    default:
        return SCEPKIT_ERR_UNSUPPORTED;
    }
}

scepkit_err skit_mbed_md_strong(scepkit_md md, mbedtls_md_type_t *out)
{
    /* MD5 collisions are practical: never for signatures or OAEP, whatever the legacy switch says. */
    if (md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    return skit_mbed_md_type(md, out);
}

scepkit_err skit_md_init(skit_md_ctx *c, scepkit_md md)
{
    mbedtls_md_type_t t;
    scepkit_err err;
    int ret = -1;

    if (c == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    c->md = SCEPKIT_MD_NONE;
    err = skit_mbed_md_type(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    md_state *s = state_of(c);
    switch (md) {
    case SCEPKIT_MD_MD5:
        mbedtls_md5_init(&s->md5);
        ret = skit_c_md5_starts(&s->md5);
        break;
    case SCEPKIT_MD_SHA1:
        mbedtls_sha1_init(&s->sha1);
        ret = skit_c_sha1_starts(&s->sha1);
        break;
    case SCEPKIT_MD_SHA256:
        mbedtls_sha256_init(&s->sha256);
        ret = skit_c_sha256_starts(&s->sha256, 0);
        break;
    case SCEPKIT_MD_SHA384:
        mbedtls_sha512_init(&s->sha512);
        ret = skit_c_sha512_starts(&s->sha512, 1);
        break;
    case SCEPKIT_MD_SHA512:
        mbedtls_sha512_init(&s->sha512);
        ret = skit_c_sha512_starts(&s->sha512, 0);
        break;
    case SCEPKIT_MD_NONE:
    default:
        break;
    }
    if (ret != 0) {
        scepkit_wipe(c, sizeof *c);
        return SCEPKIT_ERR_BACKEND;
    }
    c->md = md;
    return SCEPKIT_OK;
}

scepkit_err skit_md_update(skit_md_ctx *c, const uint8_t *in, size_t len)
{
    int ret = -1;

    if (c == NULL || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    if (len == 0) {
        return c->md != SCEPKIT_MD_NONE ? SCEPKIT_OK : SCEPKIT_ERR_ARG;
    }
    md_state *s = state_of(c);
    switch (c->md) {
    case SCEPKIT_MD_MD5:
        ret = skit_c_md5_update(&s->md5, in, len);
        break;
    case SCEPKIT_MD_SHA1:
        ret = skit_c_sha1_update(&s->sha1, in, len);
        break;
    case SCEPKIT_MD_SHA256:
        ret = skit_c_sha256_update(&s->sha256, in, len);
        break;
    case SCEPKIT_MD_SHA384:
    case SCEPKIT_MD_SHA512:
        ret = skit_c_sha512_update(&s->sha512, in, len);
        break;
    case SCEPKIT_MD_NONE:
    default:
        return SCEPKIT_ERR_ARG;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

scepkit_err skit_md_finish(skit_md_ctx *c, uint8_t *out)
{
    int ret = -1;
    uint8_t full[64];

    if (c == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    md_state *s = state_of(c);
    switch (c->md) {
    case SCEPKIT_MD_MD5:
        ret = skit_c_md5_finish(&s->md5, out);
        break;
    case SCEPKIT_MD_SHA1:
        ret = skit_c_sha1_finish(&s->sha1, out);
        break;
    case SCEPKIT_MD_SHA256:
        ret = skit_c_sha256_finish(&s->sha256, out);
        break;
    case SCEPKIT_MD_SHA384:
        /* mbedTLS writes 64 bytes for SHA-384 too: go through a full-size buffer. */
        ret = skit_c_sha512_finish(&s->sha512, full);
        if (ret == 0) {
            memcpy(out, full, 48);
        }
        scepkit_wipe(full, sizeof full);
        break;
    case SCEPKIT_MD_SHA512:
        ret = skit_c_sha512_finish(&s->sha512, out);
        break;
    case SCEPKIT_MD_NONE:
    default:
        return SCEPKIT_ERR_ARG;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

void skit_md_free(skit_md_ctx *c)
{
    if (c == NULL) {
        return;
    }
    /* The digest contexts own no heap memory: wiping is freeing. */
    scepkit_wipe(c, sizeof *c);
    c->md = SCEPKIT_MD_NONE;
}

scepkit_err skit_md(scepkit_md md, const uint8_t *in, size_t len, uint8_t *out)
{
    skit_md_ctx c;
    scepkit_err err;

    if (out == NULL || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_md_init(&c, md);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_md_update(&c, in, len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_md_finish(&c, out);
out:
    skit_md_free(&c);
    return err;
}

scepkit_err scepkit_digest(scepkit_md md, scepkit_bytes in, uint8_t *out, size_t cap, size_t *out_len)
{
    mbedtls_md_type_t t;
    scepkit_err err;

    if (out_len == NULL || (in.ptr == NULL && in.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    err = skit_mbed_md_type(md, &t);
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
    mbedtls_md_type_t t;
    scepkit_err err;

    if (out == NULL || (key == NULL && key_len != 0) || (in == NULL && len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_mbed_md_type(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* mbedtls_md_hmac() frees (and zeroizes) its context, pads included, before returning. */
    int ret = mbedtls_md_hmac(mbedtls_md_info_from_type(t), key != NULL ? key : empty, key_len, in != NULL ? in : empty,
                              len, out);
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

scepkit_err skit_pbkdf2(scepkit_md md, const uint8_t *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
                        uint32_t iterations, uint8_t *out, size_t out_len)
{
    static const uint8_t empty[1] = {0};
    mbedtls_md_type_t t;
    scepkit_err err;

    if (out == NULL || out_len == 0 || (uint64_t)out_len > UINT32_MAX || iterations == 0 ||
        (pw == NULL && pw_len != 0) || (salt == NULL && salt_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_mbed_md_type(md, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    int ret = skit_c_pbkdf2(t, pw != NULL ? pw : empty, pw_len, salt != NULL ? salt : empty, salt_len,
                            (unsigned int)iterations, (uint32_t)out_len, out);
    if (ret != 0) {
        scepkit_wipe(out, out_len);
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}
