/*
 * The default DRBG: an OpenSSL EVP_RAND "CTR-DRBG" (AES-256-CTR with derivation function), instantiated
 * without a parent so that OpenSSL seeds and reseeds it from the operating system's entropy source. The
 * EVP_RAND_CTX lives on OpenSSL's heap, held by pointer in the caller's scepkit_drbg; it is not shared with
 * OpenSSL's own per-thread DRBGs and nothing here is global. Like the mbedTLS port, it is not thread-safe
 * (no lock is enabled): one per thread, or a locking scepkit_rng around it.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "port/openssl/ossl_port.h"

#define DRBG_MAGIC 0x44524247u /* "DRBG" */

/*
 * Largest personalisation string: the same bound as the mbedTLS port (its CTR_DRBG takes at most 384 bytes
 * of seed material, 48 of which are entropy), so that both backends accept the same inputs. OpenSSL alone
 * would take far more.
 */
#define DRBG_MAX_PERS 336u
/* Bytes per generate request: below every CTR-DRBG's max_request (OpenSSL: 64 KiB). */
#define DRBG_CHUNK 4096u

typedef struct drbg_state {
    uint32_t magic;
    EVP_RAND_CTX *ctx;
} drbg_state;

_Static_assert(sizeof(drbg_state) <= sizeof(((scepkit_drbg *)0)->opaque), "scepkit_drbg.opaque too small for OpenSSL");
_Static_assert(_Alignof(drbg_state) <= _Alignof(scepkit_drbg), "scepkit_drbg.opaque under-aligned for OpenSSL");

static drbg_state *state_of(scepkit_drbg *d)
{
    return (drbg_state *)(void *)&d->opaque;
}

scepkit_err scepkit_drbg_init(scepkit_drbg *d, scepkit_bytes pers)
{
    static const uint8_t empty[1] = {0};
    EVP_RAND *rand = NULL;
    EVP_RAND_CTX *ctx = NULL;
    char cipher[] = "AES-256-CTR";
    unsigned int use_df = 1;
    int backend_err = 0;
    scepkit_err err = SCEPKIT_ERR_RNG;

    if (d == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(d, 0, sizeof *d);
    if (pers.ptr == NULL && pers.len != 0) {
        return SCEPKIT_ERR_ARG;
    }
    if (pers.len > DRBG_MAX_PERS) {
        /* OpenSSL's own code for this condition, so backend_error() says what happened */
        d->backend_err = (int)ERR_PACK(ERR_LIB_PROV, 0, PROV_R_PERSONALISATION_STRING_TOO_LONG);
        return SCEPKIT_ERR_ARG;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_construct_uint(OSSL_DRBG_PARAM_USE_DF, &use_df),
        OSSL_PARAM_construct_end(),
    };
    rand = EVP_RAND_fetch(NULL, "CTR-DRBG", NULL);
    if (rand != NULL) {
        ctx = EVP_RAND_CTX_new(rand, NULL); /* no parent: seeded from the OS */
    }
    EVP_RAND_free(rand); /* the context keeps its own reference */
    if (ctx == NULL || EVP_RAND_instantiate(ctx, 256, 0, pers.ptr != NULL ? pers.ptr : empty, pers.len, params) != 1) {
        backend_err = skit_ossl_take_error();
        goto out;
    }
    drbg_state *s = state_of(d);
    s->ctx = ctx;
    ctx = NULL;
    s->magic = DRBG_MAGIC;
    err = SCEPKIT_OK;
out:
    if (ctx != NULL) {
        (void)EVP_RAND_uninstantiate(ctx);
        EVP_RAND_CTX_free(ctx);
    }
    if (err != SCEPKIT_OK) {
        scepkit_wipe(d, sizeof *d);
        d->backend_err = backend_err != 0 ? backend_err : -1;
    }
    return err;
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
        if (n > DRBG_CHUNK) {
            n = DRBG_CHUNK;
        }
        if (EVP_RAND_generate(s->ctx, out + done, n, 256, 0, NULL, 0) != 1) {
            d->backend_err = skit_ossl_take_error();
            if (d->backend_err == 0) {
                d->backend_err = -1;
            }
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
        (void)EVP_RAND_uninstantiate(s->ctx); /* zeroizes key and V */
        EVP_RAND_CTX_free(s->ctx);
    }
    scepkit_wipe(d, sizeof *d);
}

int scepkit_drbg_backend_error(const scepkit_drbg *d)
{
    return d != NULL ? d->backend_err : 0;
}
