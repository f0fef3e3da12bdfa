/*
 * The keyed CBC block ciphers of the OpenSSL port (AES, 3DES, and single DES from the legacy provider), for
 * src/port/cbc_common.c, which adds and checks the padding, streams and wipes.
 *
 * OpenSSL's own padding removal is switched off (EVP_CIPHER_CTX_set_padding(ctx, 0)): cbc_common.c adds and
 * checks the padding, without a branch or a memory index that depends on the pad byte, and every failure
 * (length or padding) is the same SCEPKIT_ERR_DECRYPT. EVP only ever sees whole blocks. The EVP_CIPHER_CTX (key
 * schedule, chaining value) lives on OpenSSL's heap, held by pointer in the caller's storage (one-shot: on our stack);
 * EVP_CIPHER_CTX_free() cleanses it, on every path.
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

typedef struct cbc_keys {
    EVP_CIPHER_CTX *ctx;
    /* single DES only: the private library context with the legacy provider, and the fetched cipher */
    OSSL_LIB_CTX *legacy;
    OSSL_PROVIDER *legacy_prov;
    EVP_CIPHER *fetched;
} cbc_keys;

typedef struct cbc_state {
    cbc_keys k;
} cbc_state;

_Static_assert(sizeof(cbc_state) <= sizeof(((skit_cbc_ctx *)0)->opaque), "skit_cbc_ctx.opaque too small for OpenSSL");
_Static_assert(_Alignof(cbc_state) <= _Alignof(skit_cbc_ctx), "skit_cbc_ctx.opaque under-aligned for OpenSSL");

static cbc_state *state_of(skit_cbc_ctx *c)
{
    return (cbc_state *)(void *)&c->opaque;
}

void skit_cbc_keys_release(skit_cbc_ctx *c)
{
    cbc_keys *k = &state_of(c)->k;
    EVP_CIPHER_CTX_free(k->ctx); /* cleanses the key schedule and chaining value */
    EVP_CIPHER_free(k->fetched);
    if (k->legacy_prov != NULL) {
        (void)OSSL_PROVIDER_unload(k->legacy_prov);
    }
    OSSL_LIB_CTX_free(k->legacy);
    scepkit_wipe(k, sizeof *k);
}

/* Sets up the (zeroed) state for c->cipher in one direction, with `key` and the first chaining value `iv`. */
scepkit_err skit_cbc_keys_setup(skit_cbc_ctx *c, int decrypt, const uint8_t *key, const uint8_t *iv)
{
    cbc_keys *k = &state_of(c)->k;
    const EVP_CIPHER *cipher = NULL;

    switch (c->cipher) {
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
scepkit_err skit_cbc_keys_crypt(skit_cbc_ctx *c, size_t len, const uint8_t *in, uint8_t *out)
{
    cbc_keys *k = &state_of(c)->k;
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
