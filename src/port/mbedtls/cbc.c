/*
 * The keyed CBC block ciphers of the mbedTLS port (AES, 3DES, single DES for decryption), for
 * src/port/cbc_common.c, which adds and checks the padding, streams and wipes. The key schedule and
 * the chaining value live in the caller's skit_cbc_ctx (one-shot: on the stack) and are wiped by
 * skit_cbc_keys_release() on every path.
 */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/des.h>

#include "port/cbc_common.h"
#include "port/mbedtls/mbed_port.h"

typedef struct cbc_state {
    int decrypt;
    uint8_t chain[16]; /* updated in place by mbedTLS */
    union {
        mbedtls_aes_context aes;
        mbedtls_des3_context des3;
        mbedtls_des_context des;
    } k;
} cbc_state;

_Static_assert(sizeof(cbc_state) <= sizeof(((skit_cbc_ctx *)0)->opaque), "skit_cbc_ctx.opaque too small for mbedTLS");
_Static_assert(_Alignof(cbc_state) <= _Alignof(skit_cbc_ctx), "skit_cbc_ctx.opaque under-aligned for mbedTLS");

static cbc_state *state_of(skit_cbc_ctx *c)
{
    return (cbc_state *)(void *)&c->opaque;
}

scepkit_err skit_cbc_keys_setup(skit_cbc_ctx *c, int decrypt, const uint8_t *key, const uint8_t *iv)
{
    cbc_state *s = state_of(c);
    int ret = -1;

    s->decrypt = decrypt;
    memcpy(s->chain, iv, scepkit_cipher_block_size(c->cipher));
    switch (c->cipher) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC: {
        unsigned int bits = (unsigned int)(scepkit_cipher_key_size(c->cipher) * 8u);
        mbedtls_aes_init(&s->k.aes);
        ret = decrypt ? mbedtls_aes_setkey_dec(&s->k.aes, key, bits) : mbedtls_aes_setkey_enc(&s->k.aes, key, bits);
        break;
    }
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        mbedtls_des3_init(&s->k.des3);
        ret = decrypt ? mbedtls_des3_set3key_dec(&s->k.des3, key) : mbedtls_des3_set3key_enc(&s->k.des3, key);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        /* decryption only: skit_cbc_allowed() refused encryption */
        mbedtls_des_init(&s->k.des);
        ret = decrypt ? mbedtls_des_setkey_dec(&s->k.des, key) : -1;
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

scepkit_err skit_cbc_keys_crypt(skit_cbc_ctx *c, size_t len, const uint8_t *in, uint8_t *out)
{
    cbc_state *s = state_of(c);
    int ret = -1;

    switch (c->cipher) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        ret = mbedtls_aes_crypt_cbc(&s->k.aes, s->decrypt ? MBEDTLS_AES_DECRYPT : MBEDTLS_AES_ENCRYPT, len, s->chain,
                                    in, out);
        break;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        ret = mbedtls_des3_crypt_cbc(&s->k.des3, s->decrypt ? MBEDTLS_DES_DECRYPT : MBEDTLS_DES_ENCRYPT, len, s->chain,
                                     in, out);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        ret = s->decrypt ? mbedtls_des_crypt_cbc(&s->k.des, MBEDTLS_DES_DECRYPT, len, s->chain, in, out) : -1;
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    return ret == 0 ? SCEPKIT_OK : SCEPKIT_ERR_BACKEND;
}

void skit_cbc_keys_release(skit_cbc_ctx *c)
{
    cbc_state *s = state_of(c);

    switch (c->cipher) {
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        mbedtls_aes_free(&s->k.aes);
        break;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        mbedtls_des3_free(&s->k.des3);
        break;
    case SCEPKIT_CIPHER_DES_CBC:
        mbedtls_des_free(&s->k.des);
        break;
    case SCEPKIT_CIPHER_NONE:
    default:
        break;
    }
    scepkit_wipe(s, sizeof *s);
}
