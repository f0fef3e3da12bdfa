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

#include <openssl/err.h>
#include <openssl/evp.h>
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

/*
 * RFC 5280 §4.1.2.7
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *        algorithm            AlgorithmIdentifier,
 *        subjectPublicKey     BIT STRING }
 *
 * OpenSSL checks the inside; we check that the input is DER (not PEM) and that the outer SEQUENCE is the
 * whole input, then that d2i_PUBKEY() consumed all of it.
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
    const unsigned char *p = spki.ptr;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)spki.len);
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
