/*
 * The software key: an EVP_PKEY (OpenSSL's heap) held by pointer in the caller's scepkit_softkey, exposed
 * through the key port (public_key, sign_digest, decrypt).
 *
 * OpenSSL keeps the key material on its heap and cleanses it in EVP_PKEY_free(). Encodings of the private
 * key that OpenSSL hands back (OSSL_ENCODER_to_data) are cleansed before they are released.
 *
 * Randomness: EC keys are generated from the softkey's scepkit_rng (the private scalar is drawn from the
 * port, as with mbedTLS). RSA key generation, RSA blinding and the ECDSA nonce come from OpenSSL's own
 * DRBG (seeded from the OS), because OpenSSL 3.0 offers no way to hand it a per-call random source; the
 * port is therefore not consulted for those (docs/port.md, "The OpenSSL backend").
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "port/openssl/ossl_port.h"

#define SOFTKEY_MAGIC 0x534b4559 /* "SKEY" in scepkit_softkey.initialised */

#if SCEPKIT_WITH_SOFTKEY

typedef struct softkey_state {
    EVP_PKEY *pk;
} softkey_state;

_Static_assert(sizeof(softkey_state) <= sizeof(((scepkit_softkey *)0)->opaque),
               "scepkit_softkey.opaque too small for OpenSSL");
_Static_assert(_Alignof(softkey_state) <= _Alignof(scepkit_softkey),
               "scepkit_softkey.opaque under-aligned for OpenSSL");

/* Largest PEM input accepted without a counted NUL (the same bound as the mbedTLS port). */
#define SOFTKEY_PEM_MAX (64u * 1024u)
/* Largest RSA modulus in bytes. */
#define RSA_MAX_BYTES (SCEPKIT_MAX_RSA_BITS / 8)
/* Largest DER ECDSA-Sig-Value for P-384: SEQUENCE { INTEGER (49), INTEGER (49) }. */
#define ECDSA_SIG_MAX 110
/* Tries at drawing an EC private scalar below the group order (each fails with probability < 2^-32). */
#define EC_KEYGEN_TRIES 32

static softkey_state *state_of(scepkit_softkey *sk)
{
    return (softkey_state *)(void *)&sk->opaque;
}

static EVP_PKEY *pk_of(scepkit_softkey *sk)
{
    return state_of(sk)->pk;
}

static const softkey_state *state_of_const(const scepkit_softkey *sk)
{
    return (const softkey_state *)(const void *)&sk->opaque;
}

static const EVP_PKEY *pk_of_const(const scepkit_softkey *sk)
{
    return state_of_const(sk)->pk;
}

static int is_ready(const scepkit_softkey *sk)
{
    return sk != NULL && sk->initialised == SOFTKEY_MAGIC;
}

static int has_key(const scepkit_softkey *sk)
{
    return is_ready(sk) && pk_of_const(sk) != NULL;
}

static void drop_key(scepkit_softkey *sk)
{
    EVP_PKEY_free(state_of(sk)->pk); /* cleanses the key material */
    state_of(sk)->pk = NULL;
}

static int is_rsa(const EVP_PKEY *pk)
{
    return EVP_PKEY_is_a(pk, "RSA");
}

/* Keeps OpenSSL's last error as the raw code (non-zero), clears the queue. */
static void record_error(scepkit_softkey *sk)
{
    int e = skit_ossl_take_error();
    sk->backend_err = e != 0 ? e : -1;
}

/* Our own keys: RSA 2048..max, P-256/P-384 (and only when ECDSA is compiled in). */
static scepkit_err check_own_key(const EVP_PKEY *pk)
{
    scepkit_key_type type;
    size_t bits;
    scepkit_err err = skit_ossl_pk_classify(pk, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (type == SCEPKIT_KEY_RSA) {
        return (bits >= SKIT_RSA_PRIVATE_MIN_BITS && bits <= SCEPKIT_MAX_RSA_BITS) ? SCEPKIT_OK : SCEPKIT_ERR_KEY_TYPE;
    }
#if SCEPKIT_WITH_ECDSA
    return SCEPKIT_OK;
#else
    return SCEPKIT_ERR_DISABLED;
#endif
}

/* 1 when the key holds its private part (the decoder also yields public-only keys). */
static int has_private(const EVP_PKEY *pk)
{
    BIGNUM *bn = NULL;
    int ok = EVP_PKEY_get_bn_param(pk, is_rsa(pk) ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
    BN_clear_free(bn);
    return ok;
}

/*
 * The checks of mbedtls_rsa_check_privkey(), which the mbedTLS port runs (and, like it, no primality
 * tests): two primes only (RFC 8017 A.1.2 version 0), n = p*q, e odd with 1 < e < n, 1 < d < n,
 * d*e = 1 mod (p-1) and mod (q-1), dP = d mod (p-1), dQ = d mod (q-1), qInv*q = 1 mod p.
 */
static int rsa_consistent(const EVP_PKEY *pk)
{
    static const char *const names[8] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                         OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                                         OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                                         OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    BIGNUM *v[8] = {NULL};
    BIGNUM *extra = NULL;
    BN_CTX *ctx = BN_CTX_secure_new();
    int ok = ctx != NULL;

    for (size_t i = 0; i < 8 && ok; i++) {
        ok = EVP_PKEY_get_bn_param(pk, names[i], &v[i]) == 1;
    }
    /* a third prime: a multi-prime key, which the mbedTLS port does not read either */
    if (ok && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_FACTOR3, &extra) == 1) {
        ok = 0;
    }
    const BIGNUM *n = v[0], *e = v[1], *d = v[2], *p = v[3], *q = v[4], *dp = v[5], *dq = v[6], *qi = v[7];
    BIGNUM *t = NULL, *p1 = NULL, *q1 = NULL;
    if (ok) {
        BN_CTX_start(ctx);
        t = BN_CTX_get(ctx);
        p1 = BN_CTX_get(ctx);
        q1 = BN_CTX_get(ctx);
        ok = q1 != NULL && BN_mul(t, p, q, ctx) && BN_cmp(t, n) == 0 && BN_is_odd(e) && BN_cmp(e, BN_value_one()) > 0 &&
             BN_cmp(e, n) < 0 && BN_cmp(d, BN_value_one()) > 0 && BN_cmp(d, n) < 0 && BN_sub(p1, p, BN_value_one()) &&
             BN_sub(q1, q, BN_value_one()) && !BN_is_zero(p1) && !BN_is_zero(q1) && BN_mod_mul(t, d, e, p1, ctx) &&
             BN_is_one(t) && BN_mod_mul(t, d, e, q1, ctx) && BN_is_one(t) && BN_nnmod(t, d, p1, ctx) &&
             BN_cmp(t, dp) == 0 && BN_nnmod(t, d, q1, ctx) && BN_cmp(t, dq) == 0 && BN_mod_mul(t, qi, q, p, ctx) &&
             BN_is_one(t);
        BN_CTX_end(ctx); /* the secure context's values are cleared when it is freed */
    }
    BN_CTX_free(ctx);
    BN_clear_free(extra);
    for (size_t i = 0; i < 8; i++) {
        BN_clear_free(v[i]);
    }
    ERR_clear_error();
    return ok;
}

void scepkit_softkey_init(scepkit_softkey *sk, scepkit_rng rng)
{
    if (sk == NULL) {
        return;
    }
    memset(sk, 0, sizeof *sk);
    state_of(sk)->pk = NULL;
    sk->rng = rng;
    sk->initialised = SOFTKEY_MAGIC;
}

/* Passphrase callback when no password was given: an encrypted key then simply fails to decode. */
static int no_passphrase(char *buf, size_t size, size_t *len, const OSSL_PARAM params[], void *arg)
{
    (void)buf;
    (void)size;
    (void)params;
    (void)arg;
    *len = 0;
    return 0;
}

/*
 * Accepted encodings (OSSL_DECODER, input type fixed to DER or PEM by the first byte):
 *   RFC 5208 / RFC 5958  PrivateKeyInfo, EncryptedPrivateKeyInfo (PBES2 with AES or 3DES, PKCS#12 PBE)
 *   RFC 8017 A.1.2       RSAPrivateKey
 *   RFC 5915 §3          ECPrivateKey
 * PEM with or without its NUL counted (OpenSSL reads by length: no copy is needed).
 */
scepkit_err scepkit_softkey_parse(scepkit_softkey *sk, scepkit_bytes key, scepkit_bytes password)
{
    OSSL_DECODER_CTX *dctx = NULL;
    EVP_PKEY *pk = NULL;
    scepkit_err err = SCEPKIT_ERR_KEY_PARSE;

    if (!is_ready(sk) || key.ptr == NULL || key.len == 0 || (password.ptr == NULL && password.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    drop_key(sk);
    ERR_clear_error();
    int der = key.ptr[0] == 0x30; /* DER starts with a SEQUENCE tag */
    size_t in_len = key.len;
    if (!der) {
        if (key.ptr[key.len - 1] == '\0') {
            in_len--;
        } else if (key.len >= SOFTKEY_PEM_MAX) {
            return SCEPKIT_ERR_KEY_PARSE;
        }
    }
    dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, der ? "DER" : "PEM", NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
    if (dctx == NULL) {
        record_error(sk);
        return SCEPKIT_ERR_BACKEND;
    }
    int ok = password.len != 0 ? OSSL_DECODER_CTX_set_passphrase(dctx, password.ptr, password.len)
                               : OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL);
    const unsigned char *p = key.ptr;
    size_t left = in_len;
    if (ok != 1 || in_len == 0 || OSSL_DECODER_from_data(dctx, &p, &left) != 1 || pk == NULL || (der && left != 0)) {
        /* wrong password, unknown format, truncated: all one answer */
        record_error(sk);
        err = SCEPKIT_ERR_KEY_PARSE;
        goto out;
    }
    if (!has_private(pk)) {
        err = SCEPKIT_ERR_KEY_PARSE; /* a public key is not a private key, whatever its size */
        goto out;
    }
    err = check_own_key(pk);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* RSA: CRT parameters must match the key, or a faulty signature could leak the factors. EC: the public
     * point must be the private scalar's (EVP_PKEY_pairwise_check; for RSA that would also run primality tests,
     * about 28 ms for RSA-2048 on the project VM, hence rsa_consistent()). */
    if (is_rsa(pk)) {
        ok = rsa_consistent(pk);
    } else {
        EVP_PKEY_CTX *cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        ok = cctx != NULL && EVP_PKEY_pairwise_check(cctx) == 1;
        EVP_PKEY_CTX_free(cctx);
    }
    if (!ok) {
        record_error(sk);
        err = SCEPKIT_ERR_KEY_PARSE;
        goto out;
    }
    state_of(sk)->pk = pk;
    pk = NULL;
    err = SCEPKIT_OK;
out:
    OSSL_DECODER_CTX_free(dctx); /* cleanses the passphrase it cached */
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return err;
}

#if SCEPKIT_WITH_ECDSA
/*
 * EC key pair from the rng port: the private scalar d is drawn by rejection (uniform in [1, n-1], like
 * mbedTLS's mbedtls_ecp_gen_privkey), Q = d*G computed with the constant-time flag on d, and the pair
 * imported through OSSL_PARAM. SCEPKIT_ERR_RNG when the port fails.
 */
static scepkit_err ec_generate(scepkit_softkey *sk, scepkit_key_type type, EVP_PKEY **out)
{
    int p256 = type == SCEPKIT_KEY_EC_P256;
    const char *name = p256 ? "prime256v1" : "secp384r1";
    size_t nbytes = p256 ? 32 : 48;
    uint8_t buf[48];
    uint8_t pub[1 + 2 * 48];
    size_t pub_len = 0;
    EC_GROUP *group = NULL;
    EC_POINT *q = NULL;
    BIGNUM *d = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    scepkit_err err = SCEPKIT_ERR_BACKEND;

    *out = NULL;
    group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, p256 ? NID_X9_62_prime256v1 : NID_secp384r1);
    d = BN_secure_new();
    if (group == NULL || d == NULL) {
        goto out;
    }
    const BIGNUM *order = EC_GROUP_get0_order(group);
    int found = 0;
    for (int i = 0; i < EC_KEYGEN_TRIES && !found; i++) {
        if (skit_random(sk->rng, buf, nbytes) != SCEPKIT_OK) {
            err = SCEPKIT_ERR_RNG;
            goto out;
        }
        if (BN_bin2bn(buf, (int)nbytes, d) == NULL) {
            goto out;
        }
        found = !BN_is_zero(d) && BN_cmp(d, order) < 0;
    }
    if (!found) {
        err = SCEPKIT_ERR_RNG; /* the port keeps giving values out of range */
        goto out;
    }
    BN_set_flags(d, BN_FLG_CONSTTIME);
    q = EC_POINT_new(group);
    if (q == NULL || EC_POINT_mul(group, q, d, NULL, NULL, NULL) != 1) {
        goto out;
    }
    pub_len = EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL);
    if (pub_len == 0) {
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1) {
        goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld); /* the private scalar goes to its secure (clear-freed) block */
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
        EVP_PKEY_free(*out);
        *out = NULL;
        goto out;
    }
    err = SCEPKIT_OK;
out:
    if (err == SCEPKIT_ERR_BACKEND) {
        record_error(sk);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(q);
    BN_clear_free(d);
    EC_GROUP_free(group);
    scepkit_wipe(buf, sizeof buf);
    return err;
}
#endif

scepkit_err scepkit_softkey_generate(scepkit_softkey *sk, scepkit_key_type type, size_t bits)
{
    EVP_PKEY *pk = NULL;
    scepkit_err err = SCEPKIT_ERR_BACKEND;

    if (!is_ready(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    drop_key(sk);
    switch (type) {
    case SCEPKIT_KEY_RSA: {
        if (bits < SKIT_RSA_PRIVATE_MIN_BITS || bits > SCEPKIT_MAX_RSA_BITS || bits % 8 != 0) {
            return SCEPKIT_ERR_KEY_TYPE;
        }
        /* e = 65537, OpenSSL's default */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        if (ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) == 1 &&
            EVP_PKEY_generate(ctx, &pk) == 1) {
            err = SCEPKIT_OK;
        } else {
            record_error(sk);
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        EVP_PKEY_CTX_free(ctx);
        break;
    }
    case SCEPKIT_KEY_EC_P256:
    case SCEPKIT_KEY_EC_P384:
#if SCEPKIT_WITH_ECDSA
        err = ec_generate(sk, type, &pk);
        break;
#else
        return SCEPKIT_ERR_DISABLED;
#endif
    case SCEPKIT_KEY_NONE:
    default:
        return SCEPKIT_ERR_KEY_TYPE;
    }
    ERR_clear_error();
    if (err != SCEPKIT_OK) {
        return err;
    }
    state_of(sk)->pk = pk;
    return SCEPKIT_OK;
}

/* Encodes the private key (PKCS#1 for RSA, SEC1 for EC) as "DER" or "PEM" into a fresh OpenSSL buffer. */
static scepkit_err encode_key(scepkit_softkey *sk, const char *format, unsigned char **buf, size_t *buf_len)
{
    *buf = NULL;
    *buf_len = 0;
    OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(pk_of(sk), EVP_PKEY_KEYPAIR, format, "type-specific", NULL);
    int ok = ectx != NULL && OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0 &&
             OSSL_ENCODER_to_data(ectx, buf, buf_len) == 1 && *buf != NULL && *buf_len > 0;
    OSSL_ENCODER_CTX_free(ectx);
    if (!ok) {
        record_error(sk);
        if (*buf != NULL) {
            OPENSSL_clear_free(*buf, *buf_len);
        }
        *buf = NULL;
        *buf_len = 0;
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_softkey_write_der(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    scepkit_err err;

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = encode_key(sk, "DER", &buf, &buf_len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    *len = buf_len;
    if (out == NULL || cap < buf_len) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(out, buf, buf_len);
    }
    OPENSSL_clear_free(buf, buf_len);
    return err;
}

scepkit_err scepkit_softkey_write_pem(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    scepkit_err err;

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    /* "-----BEGIN RSA PRIVATE KEY-----" / "-----BEGIN EC PRIVATE KEY-----", 64-column base64 */
    err = encode_key(sk, "PEM", &buf, &buf_len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (out == NULL || cap < buf_len + 1) {
        *len = buf_len + 1; /* the NUL included */
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(out, buf, buf_len);
        out[buf_len] = 0;
        *len = buf_len;
    }
    OPENSSL_clear_free(buf, buf_len);
    return err;
}

scepkit_err scepkit_softkey_info(const scepkit_softkey *sk, scepkit_key_type *type, size_t *bits)
{
    if (type == NULL || bits == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_ossl_pk_classify(pk_of_const(sk), type, bits);
}

int scepkit_softkey_backend_error(const scepkit_softkey *sk)
{
    return sk != NULL ? sk->backend_err : 0;
}

void scepkit_softkey_free(scepkit_softkey *sk)
{
    if (sk == NULL) {
        return;
    }
    if (sk->initialised == SOFTKEY_MAGIC) {
        drop_key(sk); /* cleanses and frees the key on OpenSSL's heap */
    }
    scepkit_wipe(sk, sizeof *sk);
}

/* ---------------------------------------------------------------------------------------------- */
/* Key port. */

static scepkit_err op_public_key(void *self, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_softkey *sk = self;

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    int n = i2d_PUBKEY(pk_of(sk), NULL);
    if (n <= 0) {
        record_error(sk);
        return SCEPKIT_ERR_BACKEND;
    }
    *len = (size_t)n;
    if (out == NULL || cap < (size_t)n) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    unsigned char *p = out;
    if (i2d_PUBKEY(pk_of(sk), &p) != n) {
        record_error(sk);
        *len = 0;
        return SCEPKIT_ERR_BACKEND;
    }
    return SCEPKIT_OK;
}

/* A fresh EVP_PKEY_CTX on the softkey's key, initialised by `init` (sign or decrypt). */
static EVP_PKEY_CTX *op_ctx(scepkit_softkey *sk, int (*init)(EVP_PKEY_CTX *))
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk_of(sk), NULL);
    if (ctx != NULL && init(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/*
 * RSA: RFC 8017 §8.2.1 RSASSA-PKCS1-v1_5 over
 *   DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
 * EC: Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }   (RFC 3279 §2.2.3); OpenSSL 3.0 draws k
 *   from its own DRBG (mixed with the private key and the digest, BN_generate_dsa_nonce), not RFC 6979.
 * The padding and digest are set on a fresh context for every call: nothing is inherited from a decrypt.
 */
static scepkit_err op_sign_digest(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                                  size_t cap, size_t *sig_len)
{
    scepkit_softkey *sk = self;
    const EVP_MD *t = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    scepkit_err err;

    if (sig_len == NULL || digest == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *sig_len = 0;
    err = skit_ossl_md_strong(md, &t);
    if (err == SCEPKIT_ERR_UNSUPPORTED) {
        return SCEPKIT_ERR_ARG;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (digest_len != scepkit_md_size(md)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    EVP_PKEY *pk = pk_of(sk);
    if (is_rsa(pk)) {
        size_t k = (size_t)EVP_PKEY_get_size(pk);
        if (sig == NULL || cap < k) {
            *sig_len = k;
            return SCEPKIT_ERR_BUFFER_TOO_SMALL;
        }
        size_t n = cap;
        ctx = op_ctx(sk, EVP_PKEY_sign_init);
        if (ctx == NULL || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx, t) != 1 || EVP_PKEY_sign(ctx, sig, &n, digest, digest_len) != 1 ||
            n != k) {
            record_error(sk);
            scepkit_wipe(sig, k);
            EVP_PKEY_CTX_free(ctx);
            return SCEPKIT_ERR_BACKEND;
        }
        EVP_PKEY_CTX_free(ctx);
        *sig_len = k;
        return SCEPKIT_OK;
    }
#if SCEPKIT_WITH_ECDSA
    unsigned char buf[ECDSA_SIG_MAX];
    size_t n = sizeof buf;
    ctx = op_ctx(sk, EVP_PKEY_sign_init);
    if (ctx == NULL || EVP_PKEY_CTX_set_signature_md(ctx, t) != 1 ||
        EVP_PKEY_sign(ctx, buf, &n, digest, digest_len) != 1) {
        record_error(sk);
        EVP_PKEY_CTX_free(ctx);
        return SCEPKIT_ERR_BACKEND;
    }
    EVP_PKEY_CTX_free(ctx);
    *sig_len = n;
    if (sig == NULL || cap < n) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(sig, buf, n);
    return SCEPKIT_OK;
#else
    return SCEPKIT_ERR_DISABLED;
#endif
}

/*
 * RFC 8017 §7.2.2 (RSAES-PKCS1-v1_5) / §7.1.2 (RSAES-OAEP, empty label, MGF1 with `oaep_md`).
 * OpenSSL checks the padding in constant time. Implicit rejection (OpenSSL 3.2+, a synthetic plaintext
 * instead of an error) is switched off so that this op keeps its contract (SCEPKIT_ERR_DECRYPT for a bad
 * padding); scepkit_key_unwrap_cek() in key.c does the RFC 3218 countermeasure above it, for every backend.
 * Every failure that depends on the ciphertext becomes SCEPKIT_ERR_DECRYPT (the raw code goes to
 * backend_err, never to the peer).
 */
static scepkit_err op_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    scepkit_softkey *sk = self;
    const EVP_MD *t = NULL;
    uint8_t plain[RSA_MAX_BYTES];
    EVP_PKEY_CTX *ctx = NULL;
    int padding;
    scepkit_err err;

    if (out_len == NULL || (in == NULL && in_len != 0) || (out == NULL && cap != 0) || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (pad == SCEPKIT_RSA_PKCS1_V15) {
        padding = RSA_PKCS1_PADDING;
    } else if (pad == SCEPKIT_RSA_OAEP) {
#if SCEPKIT_WITH_RSA_OAEP
        padding = RSA_PKCS1_OAEP_PADDING;
        err = skit_ossl_md_strong(oaep_md, &t);
        if (err != SCEPKIT_OK) {
            return err == SCEPKIT_ERR_LEGACY_DISABLED ? SCEPKIT_ERR_UNSUPPORTED : err;
        }
#else
        (void)oaep_md;
        return SCEPKIT_ERR_DISABLED;
#endif
    } else {
        return SCEPKIT_ERR_ARG;
    }
    EVP_PKEY *pk = pk_of(sk);
    if (!is_rsa(pk)) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    sk->backend_err = 0;
    size_t k = (size_t)EVP_PKEY_get_size(pk);
    if (in_len != k || k > sizeof plain) {
        return SCEPKIT_ERR_DECRYPT;
    }
    unsigned int no_implicit = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_uint("implicit-rejection", &no_implicit),
        OSSL_PARAM_construct_end(),
    };
    ctx = op_ctx(sk, EVP_PKEY_decrypt_init);
    if (ctx == NULL || EVP_PKEY_CTX_set_rsa_padding(ctx, padding) != 1 ||
        (padding == RSA_PKCS1_PADDING && EVP_PKEY_CTX_set_params(ctx, params) != 1) ||
        (padding == RSA_PKCS1_OAEP_PADDING &&
         (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, t) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, t) != 1))) {
        /* does not depend on the ciphertext */
        record_error(sk);
        EVP_PKEY_CTX_free(ctx);
        return SCEPKIT_ERR_BACKEND;
    }
    size_t olen = sizeof plain;
    int ret = EVP_PKEY_decrypt(ctx, plain, &olen, in, in_len);
    err = SCEPKIT_ERR_DECRYPT;
    if (ret == 1 && olen <= cap) {
        if (olen > 0) {
            memcpy(out, plain, olen);
        }
        *out_len = olen;
        err = SCEPKIT_OK;
    } else {
        sk->backend_err = skit_ossl_take_error();
        if (out != NULL) {
            scepkit_wipe(out, cap);
        }
    }
    EVP_PKEY_CTX_free(ctx);
    scepkit_wipe(plain, sizeof plain);
    ERR_clear_error();
    return err;
}

static const scepkit_key_ops softkey_ops = {op_public_key, op_sign_digest, op_decrypt};

scepkit_key scepkit_softkey_key(scepkit_softkey *sk)
{
    scepkit_key k = {&softkey_ops, sk};
    return k;
}

#endif /* SCEPKIT_WITH_SOFTKEY; when off, src/port/softkey_off.c provides the API */
