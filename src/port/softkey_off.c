/*
 * The software key with SCEPKIT_WITH_SOFTKEY off, for every backend: the API stays and every call that would
 * need a key says SCEPKIT_ERR_DISABLED (init, free and the key port still work, on an empty key). Each
 * backend's softkey.c compiles to nothing in that configuration.
 */
#include <string.h>

#include "port/crypto_port.h"

#if !SCEPKIT_WITH_SOFTKEY

void scepkit_softkey_init(scepkit_softkey *sk, scepkit_rng rng)
{
    if (sk != NULL) {
        memset(sk, 0, sizeof *sk);
        sk->rng = rng;
    }
}

scepkit_err scepkit_softkey_parse(scepkit_softkey *sk, scepkit_bytes key, scepkit_bytes password)
{
    (void)sk;
    (void)key;
    (void)password;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_softkey_generate(scepkit_softkey *sk, scepkit_key_type type, size_t bits)
{
    (void)sk;
    (void)type;
    (void)bits;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_softkey_write_pem(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    (void)sk;
    (void)out;
    (void)cap;
    (void)len;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_softkey_write_der(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    (void)sk;
    (void)out;
    (void)cap;
    (void)len;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_softkey_info(const scepkit_softkey *sk, scepkit_key_type *type, size_t *bits)
{
    (void)sk;
    (void)type;
    (void)bits;
    return SCEPKIT_ERR_DISABLED;
}

static scepkit_err op_public_key(void *self, uint8_t *out, size_t cap, size_t *len)
{
    (void)self;
    (void)out;
    (void)cap;
    (void)len;
    return SCEPKIT_ERR_DISABLED;
}

static scepkit_err op_sign_digest(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                                  size_t cap, size_t *sig_len)
{
    (void)self;
    (void)md;
    (void)digest;
    (void)digest_len;
    (void)sig;
    (void)cap;
    (void)sig_len;
    return SCEPKIT_ERR_DISABLED;
}

static scepkit_err op_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    (void)self;
    (void)pad;
    (void)oaep_md;
    (void)in;
    (void)in_len;
    (void)out;
    (void)cap;
    (void)out_len;
    return SCEPKIT_ERR_DISABLED;
}

static const scepkit_key_ops softkey_ops = {op_public_key, op_sign_digest, op_decrypt};

scepkit_key scepkit_softkey_key(scepkit_softkey *sk)
{
    scepkit_key k = {&softkey_ops, sk};
    return k;
}

int scepkit_softkey_backend_error(const scepkit_softkey *sk)
{
    return sk != NULL ? sk->backend_err : 0;
}

void scepkit_softkey_free(scepkit_softkey *sk)
{
    if (sk != NULL) {
        scepkit_wipe(sk, sizeof *sk);
    }
}

#endif
