/*
 * Public-key operations with a peer's key: reading a SubjectPublicKeyInfo, verifying a signature over a
 * digest, RSA key-transport encryption.
 *
 * The encryption padding (EME-PKCS1-v1_5, EME-OAEP) is built here and the RSA operation is raw
 * (RSA_NO_PADDING): the random octets then come from the caller's scepkit_rng, as with the mbedTLS port
 * (a failing port gives SCEPKIT_ERR_RNG), not from OpenSSL's own DRBG. Only public data and the message
 * go through this padding; nothing here depends on a secret key.
 */
#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "port/openssl/ossl_port.h"

/* Largest modulus in bytes. */
#define RSA_MAX_BYTES (SCEPKIT_MAX_RSA_BITS / 8)

scepkit_err skit_ossl_pk_classify(const EVP_PKEY *pk, scepkit_key_type *type, size_t *bits)
{
    char group[64];
    size_t group_len = 0;

    *type = SCEPKIT_KEY_NONE;
    *bits = 0;
    /* EVP_PKEY_is_a() is exact: "RSA" is not "RSA-PSS", "EC" is not "SM2" */
    if (EVP_PKEY_is_a(pk, "RSA")) {
        int b = EVP_PKEY_get_bits(pk);
        if (b <= 0) {
            return SCEPKIT_ERR_KEY_PARSE;
        }
        *type = SCEPKIT_KEY_RSA;
        *bits = (size_t)b;
        return SCEPKIT_OK;
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        /* named curves only: explicit parameters have no group name */
        if (EVP_PKEY_get_group_name(pk, group, sizeof group, &group_len) != 1) {
            (void)skit_ossl_take_error();
            return SCEPKIT_ERR_KEY_TYPE;
        }
        if (strcmp(group, "prime256v1") == 0) {
            *type = SCEPKIT_KEY_EC_P256;
            *bits = 256;
            return SCEPKIT_OK;
        }
        if (strcmp(group, "secp384r1") == 0) {
            *type = SCEPKIT_KEY_EC_P384;
            *bits = 384;
            return SCEPKIT_OK;
        }
        return SCEPKIT_ERR_KEY_TYPE;
    }
    return SCEPKIT_ERR_KEY_PARSE;
}

/* ---------------------------------------------------------------------------------------------- */
/*
 * Fast path for the two SPKI shapes the library meets all the time (every certificate and CSR it
 * verifies, encrypts to, or sizes): rsaEncryption and id-ecPublicKey on P-256/P-384 with an
 * uncompressed point. OpenSSL 3.0's d2i_PUBKEY() runs the whole OSSL_DECODER machinery, about 70 µs
 * per call on the project VM; reading the key fields here and importing them with EVP_PKEY_fromdata()
 * takes a few µs. The fast path never rejects: anything it does not recognise exactly (other
 * algorithms or curves, RSA parameters other than NULL/absent, compressed points, non-minimal DER)
 * goes to d2i_PUBKEY(), which decides. What it accepts OpenSSL still validates on import (the EC
 * point must be on the curve).
 */

/* rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1, the two named curves */
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};

/* One DER element with `tag` at *p (definite, minimal length up to 2 length octets); advances *p. */
static int der_take(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **val, size_t *len)
{
    const uint8_t *q = *p;
    if (end - q < 2 || q[0] != tag) {
        return 0;
    }
    size_t l = q[1];
    q += 2;
    if (l & 0x80u) {
        size_t n = l & 0x7fu;
        if (n == 0 || n > 2 || (size_t)(end - q) < n || q[0] == 0) {
            return 0;
        }
        l = n == 1 ? q[0] : ((size_t)q[0] << 8) | q[1];
        if (l < 0x80u) {
            return 0; /* not minimal */
        }
        q += n;
    }
    if ((size_t)(end - q) < l) {
        return 0;
    }
    *val = q;
    *len = l;
    *p = q + l;
    return 1;
}

static int bytes_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, b_len) == 0;
}

/* A positive minimal DER INTEGER's magnitude (leading 0x00 removed); 0 when negative, zero or not minimal. */
static int der_uint(const uint8_t **v, size_t *len)
{
    if (*len == 0 || ((*v)[0] & 0x80u) != 0) {
        return 0;
    }
    if ((*v)[0] == 0) {
        if (*len == 1 || ((*v)[1] & 0x80u) == 0) {
            return 0;
        }
        (*v)++;
        (*len)--;
    }
    return 1;
}

static EVP_PKEY *import(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = params != NULL ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }   (RFC 8017 A.1.1) */
static EVP_PKEY *fast_rsa(const uint8_t *key, size_t key_len)
{
    const uint8_t *p = key, *end = key + key_len, *seq, *n, *e;
    size_t seq_len, n_len, e_len;
    if (!der_take(&p, end, 0x30, &seq, &seq_len) || p != end) {
        return NULL;
    }
    p = seq;
    end = seq + seq_len;
    if (!der_take(&p, end, 0x02, &n, &n_len) || !der_take(&p, end, 0x02, &e, &e_len) || p != end ||
        !der_uint(&n, &n_len) || !der_uint(&e, &e_len) || n_len > SCEPKIT_MAX_RSA_BITS / 8 || e_len > n_len ||
        (n[n_len - 1] & 1u) == 0 || (e[e_len - 1] & 1u) == 0 || (e_len == 1 && e[0] < 3)) {
        return NULL;
    }
    EVP_PKEY *k = NULL;
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bn_n != NULL && bn_e != NULL && bld != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1) {
        k = import("RSA", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return k;
}

/* ECPoint, uncompressed (RFC 5480 §2.2), on a named curve (RFC 5480 §2.1.1) */
static EVP_PKEY *fast_ec(const uint8_t *curve, size_t curve_len, const uint8_t *pt, size_t pt_len)
{
    const char *name;
    size_t coord;
    if (bytes_eq(curve, curve_len, oid_p256, sizeof oid_p256)) {
        name = "prime256v1";
        coord = 32;
    } else if (bytes_eq(curve, curve_len, oid_p384, sizeof oid_p384)) {
        name = "secp384r1";
        coord = 48;
    } else {
        return NULL;
    }
    if (pt_len != 1 + 2 * coord || pt[0] != 0x04) {
        return NULL;
    }
    EVP_PKEY *k = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld != NULL && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, pt_len) == 1) {
        k = import("EC", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    return k;
}

/* NULL when the fast path does not apply (or OpenSSL refused the import): the caller uses d2i_PUBKEY(). */
static EVP_PKEY *spki_fast(scepkit_bytes spki)
{
    const uint8_t *p = spki.ptr, *end = spki.ptr + spki.len, *seq, *alg, *oid, *bits;
    size_t seq_len, alg_len, oid_len, bits_len;
    if (!der_take(&p, end, 0x30, &seq, &seq_len) || p != end) {
        return NULL;
    }
    p = seq;
    end = seq + seq_len;
    if (!der_take(&p, end, 0x30, &alg, &alg_len) || !der_take(&p, end, 0x03, &bits, &bits_len) || p != end ||
        bits_len < 2 || bits[0] != 0) {
        return NULL;
    }
    const uint8_t *a = alg, *aend = alg + alg_len;
    if (!der_take(&a, aend, 0x06, &oid, &oid_len)) {
        return NULL;
    }
    if (bytes_eq(oid, oid_len, oid_rsa, sizeof oid_rsa)) {
        /* parameters NULL, or absent */
        if (a != aend && (aend - a != 2 || a[0] != 0x05 || a[1] != 0x00)) {
            return NULL;
        }
        return fast_rsa(bits + 1, bits_len - 1);
    }
    if (bytes_eq(oid, oid_len, oid_ec, sizeof oid_ec)) {
        const uint8_t *curve;
        size_t curve_len;
        if (!der_take(&a, aend, 0x06, &curve, &curve_len) || a != aend) {
            return NULL;
        }
        return fast_ec(curve, curve_len, bits + 1, bits_len - 1);
    }
    return NULL;
}

/*
 * RFC 5280 §4.1.2.7
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *        algorithm            AlgorithmIdentifier,
 *        subjectPublicKey     BIT STRING }
 *
 * We check that the input is DER (not PEM) and that the outer SEQUENCE is the whole input; then either the
 * fast path above reads it, or d2i_PUBKEY() checks the inside and must consume all of it.
 */
scepkit_err skit_ossl_parse_spki(EVP_PKEY **pk, scepkit_bytes spki, int *backend_err)
{
    *pk = NULL;
    *backend_err = 0;
    if (spki.ptr == NULL || spki.len < 2 || spki.ptr[0] != 0x30 || spki.len > (size_t)LONG_MAX) {
        return SCEPKIT_ERR_KEY_PARSE;
    }
    /* the outer length: short form, or long form with 1..4 octets */
    size_t hdr = 2, len = spki.ptr[1];
    if (len & 0x80u) {
        size_t n = len & 0x7fu;
        if (n == 0 || n > 4 || spki.len < 2 + n) {
            return SCEPKIT_ERR_KEY_PARSE;
        }
        len = 0;
        for (size_t i = 0; i < n; i++) {
            len = (len << 8) | spki.ptr[2 + i];
        }
        hdr += n;
    }
    if (len != spki.len - hdr) {
        return SCEPKIT_ERR_KEY_PARSE;
    }
    EVP_PKEY *k = spki_fast(spki);
    if (k != NULL) {
        *pk = k;
        return SCEPKIT_OK;
    }
    ERR_clear_error();
    const unsigned char *p = spki.ptr;
    k = d2i_PUBKEY(NULL, &p, (long)spki.len);
    if (k == NULL || p != spki.ptr + spki.len) {
        *backend_err = skit_ossl_take_error();
        EVP_PKEY_free(k);
        return SCEPKIT_ERR_KEY_PARSE;
    }
    *pk = k;
    return SCEPKIT_OK;
}

scepkit_err scepkit_spki_info(scepkit_bytes spki, scepkit_key_type *type, size_t *bits)
{
    EVP_PKEY *pk = NULL;
    scepkit_err err;
    int backend_err;

    if (type == NULL || bits == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *type = SCEPKIT_KEY_NONE;
    *bits = 0;
    err = skit_ossl_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_ossl_pk_classify(pk, type, bits);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return err;
}

static scepkit_err rsa_public_size_ok(size_t bits)
{
    return (bits >= SKIT_RSA_PUBLIC_MIN_BITS && bits <= SCEPKIT_MAX_RSA_BITS) ? SCEPKIT_OK : SCEPKIT_ERR_KEY_TYPE;
}

/*
 * RSA: RFC 8017 §8.2.2 (RSASSA-PKCS1-v1_5), DigestInfo built by OpenSSL from `md`.
 * EC:  RFC 5480 §2.2 / RFC 3279 §2.2.3
 *   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 * OpenSSL re-encodes the ECDSA signature and compares, so non-DER and trailing bytes are refused.
 */
scepkit_err scepkit_verify_digest(scepkit_bytes spki, scepkit_md md, const uint8_t *digest, size_t digest_len,
                                  scepkit_bytes sig)
{
    static const uint8_t empty[1] = {0};
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    const EVP_MD *t = NULL;
    scepkit_key_type type;
    size_t bits;
    int backend_err;
    scepkit_err err;

    if (digest == NULL || (sig.ptr == NULL && sig.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
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
    err = skit_ossl_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_ossl_pk_classify(pk, &type, &bits);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    switch (type) {
    case SCEPKIT_KEY_RSA:
        err = rsa_public_size_ok(bits);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = SCEPKIT_ERR_BAD_SIGNATURE;
        /* exactly k bytes of signature, as the mbedTLS port requires */
        if (EVP_PKEY_get_size(pk) <= 0 || sig.len != (size_t)EVP_PKEY_get_size(pk)) {
            goto out;
        }
        break;
    case SCEPKIT_KEY_EC_P256:
    case SCEPKIT_KEY_EC_P384:
#if SCEPKIT_WITH_ECDSA
        break;
#else
        err = SCEPKIT_ERR_DISABLED;
        goto out;
#endif
    case SCEPKIT_KEY_NONE:
    default:
        err = SCEPKIT_ERR_KEY_TYPE;
        goto out;
    }
    err = SCEPKIT_ERR_BAD_SIGNATURE;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        (type == SCEPKIT_KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(ctx, t) != 1) {
        err = SCEPKIT_ERR_BACKEND;
        goto out;
    }
    /* 1: valid; 0: invalid; < 0: malformed. Only 1 is a good signature. */
    if (EVP_PKEY_verify(ctx, sig.ptr != NULL ? sig.ptr : empty, sig.len, digest, digest_len) == 1) {
        err = SCEPKIT_OK;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return err;
}

/* out ^= MGF1(seed) over out_len bytes (RFC 8017 B.2.1). */
static scepkit_err mgf1_xor(scepkit_md md, const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    uint8_t block[SCEPKIT_MD_MAX_SIZE];
    size_t h = scepkit_md_size(md);
    scepkit_err err = SCEPKIT_OK;

    for (uint32_t counter = 0; out_len > 0 && err == SCEPKIT_OK; counter++) {
        uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8), (uint8_t)counter};
        skit_md_ctx m;
        err = skit_md_init(&m, md);
        if (err == SCEPKIT_OK) {
            err = skit_md_update(&m, seed, seed_len);
        }
        if (err == SCEPKIT_OK) {
            err = skit_md_update(&m, c, sizeof c);
        }
        if (err == SCEPKIT_OK) {
            err = skit_md_finish(&m, block);
        }
        skit_md_free(&m);
        size_t n = out_len < h ? out_len : h;
        for (size_t i = 0; i < n && err == SCEPKIT_OK; i++) {
            out[i] ^= block[i];
        }
        out += n;
        out_len -= n;
    }
    scepkit_wipe(block, sizeof block);
    return err;
}

/* RFC 8017 §7.2.1 step 2: EM = 0x00 || 0x02 || PS (non-zero random, >= 8 octets) || 0x00 || M */
static scepkit_err eme_pkcs1_v15(scepkit_rng rng, const uint8_t *in, size_t in_len, uint8_t *em, size_t k)
{
    if (k < 11 || in_len > k - 11) {
        return SCEPKIT_ERR_ARG; /* message too long for the modulus and padding */
    }
    size_t ps_len = k - in_len - 3;
    uint8_t *ps = em + 2;
    em[0] = 0x00;
    em[1] = 0x02;
    scepkit_err err = skit_random(rng, ps, ps_len);
    for (size_t i = 0; i < ps_len && err == SCEPKIT_OK; i++) {
        /* redraw zero octets; a port that keeps giving zeros is broken */
        for (int tries = 0; ps[i] == 0 && err == SCEPKIT_OK; tries++) {
            err = tries < 100 ? skit_random(rng, ps + i, 1) : SCEPKIT_ERR_RNG;
        }
    }
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_RNG;
    }
    em[2 + ps_len] = 0x00;
    if (in_len > 0) {
        memcpy(em + 3 + ps_len, in, in_len);
    }
    return SCEPKIT_OK;
}

/* RFC 8017 §7.1.1 step 2: EM = 0x00 || maskedSeed || maskedDB, empty label, MGF1 with the same digest. */
static scepkit_err eme_oaep(scepkit_rng rng, scepkit_md md, const uint8_t *in, size_t in_len, uint8_t *em, size_t k)
{
    size_t h = scepkit_md_size(md);
    if (k < 2 * h + 2 || in_len > k - 2 * h - 2) {
        return SCEPKIT_ERR_ARG;
    }
    uint8_t *seed = em + 1;
    uint8_t *db = em + 1 + h;
    size_t db_len = k - h - 1;
    scepkit_err err;

    em[0] = 0x00;
    memset(db, 0, db_len);
    err = skit_md(md, NULL, 0, db); /* lHash = Hash("") */
    if (err != SCEPKIT_OK) {
        return err;
    }
    db[db_len - in_len - 1] = 0x01;
    if (in_len > 0) {
        memcpy(db + db_len - in_len, in, in_len);
    }
    if (skit_random(rng, seed, h) != SCEPKIT_OK) {
        return SCEPKIT_ERR_RNG;
    }
    err = mgf1_xor(md, seed, h, db, db_len);
    if (err == SCEPKIT_OK) {
        err = mgf1_xor(md, db, db_len, seed, h);
    }
    return err;
}

/*
 * RFC 8017 §7.2.1 (RSAES-PKCS1-v1_5) and §7.1.1 (RSAES-OAEP, empty label, MGF1 with the same digest as
 * the OAEP hash, as RFC 8894 / RFC 3560 peers use it).
 */
scepkit_err skit_rsa_encrypt(scepkit_bytes spki, scepkit_rng rng, scepkit_rsa_pad pad, scepkit_md oaep_md,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t em[RSA_MAX_BYTES];
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    const EVP_MD *t = NULL;
    scepkit_key_type type;
    size_t bits = 0;
    size_t k = 0;
    int backend_err;
    scepkit_err err;

    if (out_len == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (pad == SCEPKIT_RSA_PKCS1_V15) {
        /* nothing to choose */
    } else if (pad == SCEPKIT_RSA_OAEP) {
#if SCEPKIT_WITH_RSA_OAEP
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
    (void)t;
    memset(em, 0, sizeof em);
    err = skit_ossl_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_ossl_pk_classify(pk, &type, &bits);
    if (err == SCEPKIT_OK && type != SCEPKIT_KEY_RSA) {
        err = SCEPKIT_ERR_KEY_TYPE;
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = rsa_public_size_ok(bits);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    k = (bits + 7) / 8;
    if (out == NULL || cap < k) {
        *out_len = k;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    err = pad == SCEPKIT_RSA_PKCS1_V15 ? eme_pkcs1_v15(rng, in, in_len, em, k)
                                       : eme_oaep(rng, oaep_md, in, in_len, em, k);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    size_t olen = cap;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
        EVP_PKEY_encrypt(ctx, out, &olen, em, k) != 1 || olen != k) {
        err = SCEPKIT_ERR_BACKEND;
        scepkit_wipe(out, k);
        goto out;
    }
    *out_len = k;
    err = SCEPKIT_OK;
out:
    scepkit_wipe(em, sizeof em);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return err;
}
