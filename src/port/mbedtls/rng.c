/*
 * The default DRBG (mbedTLS CTR_DRBG, AES-256 with derivation function) and the bridge from the
 * scepkit rng port to mbedTLS's f_rng callbacks.
 *
 * The CTR_DRBG is seeded (and reseeded) straight from the operating system's entropy source, not
 * through mbedtls_entropy_context: Debian's mbedTLS 2.28 enables HAVEGE, which makes that context
 * 38 KB, and the OS source is already conditioned. The DRBG state lives in the caller's
 * scepkit_drbg; nothing here is global.
 */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "port/mbedtls/mbed_port.h"

#define DRBG_MAGIC 0x44524247u /* "DRBG" */

typedef struct drbg_state {
    uint32_t magic;
    mbedtls_ctr_drbg_context ctr;
} drbg_state;

_Static_assert(sizeof(drbg_state) <= sizeof(((scepkit_drbg *)0)->opaque), "scepkit_drbg.opaque too small for mbedTLS");
_Static_assert(_Alignof(drbg_state) <= _Alignof(scepkit_drbg), "scepkit_drbg.opaque under-aligned for mbedTLS");

static drbg_state *state_of(scepkit_drbg *d)
{
    return (drbg_state *)(void *)&d->opaque;
}

void skit_rng_bridge_init(skit_rng_bridge *b, scepkit_rng rng)
{
    b->rng = rng;
    b->err = SCEPKIT_OK;
}

int skit_rng_bridge_f(void *p_rng, unsigned char *out, size_t len)
{
    skit_rng_bridge *b = p_rng;
    scepkit_err err;

    if (b == NULL) {
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    err = skit_random(b->rng, out, len);
    if (err != SCEPKIT_OK) {
        b->err = err;
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    return 0;
}

static int os_entropy(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    return skit_c_os_entropy(out, len) == 0 ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

scepkit_err scepkit_drbg_init(scepkit_drbg *d, scepkit_bytes pers)
{
    int ret;

    if (d == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(d, 0, sizeof *d);
    if (pers.ptr == NULL && pers.len != 0) {
        return SCEPKIT_ERR_ARG;
    }
    drbg_state *s = state_of(d);
    mbedtls_ctr_drbg_init(&s->ctr);
    ret = mbedtls_ctr_drbg_seed(&s->ctr, os_entropy, NULL, pers.ptr, pers.len);
    if (ret != 0) {
        mbedtls_ctr_drbg_free(&s->ctr);
        scepkit_wipe(d, sizeof *d);
        d->backend_err = ret;
        return ret == MBEDTLS_ERR_CTR_DRBG_INPUT_TOO_BIG ? SCEPKIT_ERR_ARG : SCEPKIT_ERR_RNG;
    }
    s->magic = DRBG_MAGIC;
    return SCEPKIT_OK;
}

static scepkit_err drbg_fill(void *self, uint8_t *out, size_t len)
{
    scepkit_drbg *d = self;

    if (d == NULL || (out == NULL && len != 0)) {
        return SCEPKIT_ERR_RNG;
    }
    drbg_state *s = state_of(d);
    if (s->magic != DRBG_MAGIC) {
        return SCEPKIT_ERR_RNG;
    }
    size_t done = 0;
    while (done < len) {
        size_t n = len - done;
        if (n > MBEDTLS_CTR_DRBG_MAX_REQUEST) {
            n = MBEDTLS_CTR_DRBG_MAX_REQUEST;
        }
        int ret = mbedtls_ctr_drbg_random(&s->ctr, out + done, n);
        if (ret != 0) {
            d->backend_err = ret;
            scepkit_wipe(out, len);
            return SCEPKIT_ERR_RNG;
        }
        done += n;
    }
    return SCEPKIT_OK;
}

static const scepkit_rng_ops drbg_ops = {drbg_fill};

scepkit_rng scepkit_drbg_rng(scepkit_drbg *d)
{
    scepkit_rng r = {&drbg_ops, d};
    return r;
}

void scepkit_drbg_free(scepkit_drbg *d)
{
    if (d == NULL) {
        return;
    }
    drbg_state *s = state_of(d);
    if (s->magic == DRBG_MAGIC) {
        mbedtls_ctr_drbg_free(&s->ctr); /* zeroizes the AES key and V, frees the mutex */
    }
    scepkit_wipe(d, sizeof *d);
}

int scepkit_drbg_backend_error(const scepkit_drbg *d)
{
    return d != NULL ? d->backend_err : 0;
}
