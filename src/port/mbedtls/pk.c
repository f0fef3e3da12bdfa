/*
 * Public-key operations with a peer's key: reading a SubjectPublicKeyInfo, verifying a signature
 * over a digest, RSA key-transport encryption.
 */
#include <string.h>

#include <mbedtls/asn1.h>

#include "port/mbedtls/mbed_port.h"

scepkit_err skit_mbed_pk_classify(const mbedtls_pk_context *pk, scepkit_key_type *type, size_t *bits)
{
    *type = SCEPKIT_KEY_NONE;
    *bits = 0;
    switch (mbedtls_pk_get_type(pk)) {
    case MBEDTLS_PK_RSA:
        *type = SCEPKIT_KEY_RSA;
        *bits = mbedtls_pk_get_bitlen(pk);
        return SCEPKIT_OK;
    case MBEDTLS_PK_ECKEY:
        /* id-ecPublicKey only: id-ecDH keys (MBEDTLS_PK_ECKEY_DH) must not sign */
        switch (skit_c_pk_ec_group(pk)) {
        case MBEDTLS_ECP_DP_SECP256R1:
            *type = SCEPKIT_KEY_EC_P256;
            *bits = 256;
            return SCEPKIT_OK;
        case MBEDTLS_ECP_DP_SECP384R1:
            *type = SCEPKIT_KEY_EC_P384;
            *bits = 384;
            return SCEPKIT_OK;
        default:
            return SCEPKIT_ERR_KEY_TYPE;
        }
    default:
        return SCEPKIT_ERR_KEY_TYPE;
    }
}

/*
 * RFC 5280 §4.1.2.7
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *        algorithm            AlgorithmIdentifier,
 *        subjectPublicKey     BIT STRING }
 *
 * mbedTLS checks the inside; we check that the outer SEQUENCE is the whole input (mbedTLS ignores
 * bytes after it) and that the input is DER, not PEM.
 */
scepkit_err skit_mbed_parse_spki(mbedtls_pk_context *pk, scepkit_bytes spki, int *backend_err)
{
    unsigned char *p;
    const unsigned char *end;
    size_t len = 0;
    int ret;

    *backend_err = 0;
    if (spki.ptr == NULL || spki.len == 0 || spki.ptr[0] != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) {
        return SCEPKIT_ERR_KEY_PARSE;
    }
    /* mbedtls_asn1_get_tag() takes a non-const cursor but never writes through it. */
    p = (unsigned char *)(uintptr_t)spki.ptr;
    end = spki.ptr + spki.len;
    ret = mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (ret != 0 || len != (size_t)(end - p)) {
        *backend_err = ret;
        return SCEPKIT_ERR_KEY_PARSE;
    }
    ret = mbedtls_pk_parse_public_key(pk, spki.ptr, spki.len);
    if (ret != 0) {
        *backend_err = ret;
        return SCEPKIT_ERR_KEY_PARSE;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_spki_info(scepkit_bytes spki, scepkit_key_type *type, size_t *bits)
{
    mbedtls_pk_context pk;
    scepkit_err err;
    int backend_err;

    if (type == NULL || bits == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *type = SCEPKIT_KEY_NONE;
    *bits = 0;
    mbedtls_pk_init(&pk);
    err = skit_mbed_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_mbed_pk_classify(&pk, type, bits);
out:
    mbedtls_pk_free(&pk);
    return err;
}

static scepkit_err rsa_public_size_ok(const mbedtls_pk_context *pk)
{
    size_t bits = mbedtls_pk_get_bitlen(pk);
    return (bits >= SKIT_RSA_PUBLIC_MIN_BITS && bits <= SCEPKIT_MAX_RSA_BITS) ? SCEPKIT_OK : SCEPKIT_ERR_KEY_TYPE;
}

/*
 * RSA: RFC 8017 §8.2.2 (RSASSA-PKCS1-v1_5), DigestInfo built by mbedTLS from `md`.
 * EC:  RFC 5480 §2.2 / RFC 3279 §2.2.3
 *   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 */
scepkit_err scepkit_verify_digest(scepkit_bytes spki, scepkit_md md, const uint8_t *digest, size_t digest_len,
                                  scepkit_bytes sig)
{
    mbedtls_pk_context pk;
    mbedtls_md_type_t t;
    scepkit_key_type type;
    size_t bits;
    int backend_err;
    scepkit_err err;

    if (digest == NULL || (sig.ptr == NULL && sig.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = skit_mbed_md_strong(md, &t);
    if (err == SCEPKIT_ERR_UNSUPPORTED) {
        return SCEPKIT_ERR_ARG;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (digest_len != scepkit_md_size(md)) {
        return SCEPKIT_ERR_ARG;
    }
    mbedtls_pk_init(&pk);
    err = skit_mbed_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_mbed_pk_classify(&pk, &type, &bits);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = SCEPKIT_ERR_BAD_SIGNATURE;
    switch (type) {
    case SCEPKIT_KEY_RSA: {
        scepkit_err size_err = rsa_public_size_ok(&pk);
        if (size_err != SCEPKIT_OK) {
            err = size_err;
            goto out;
        }
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
        /* mbedTLS reads exactly k bytes of signature: anything else must not reach it. */
        if (sig.len != mbedtls_rsa_get_len(rsa)) {
            goto out;
        }
        if (skit_c_rsa_v15_verify(rsa, t, (unsigned int)digest_len, digest, sig.ptr) == 0) {
            err = SCEPKIT_OK;
        }
        break;
    }
    case SCEPKIT_KEY_EC_P256:
    case SCEPKIT_KEY_EC_P384:
#if SCEPKIT_WITH_ECDSA
        /* Non-zero for a bad signature, malformed DER, trailing bytes after the SEQUENCE alike. */
        if (mbedtls_ecdsa_read_signature(mbedtls_pk_ec(pk), digest, digest_len, sig.ptr, sig.len) == 0) {
            err = SCEPKIT_OK;
        }
#else
        err = SCEPKIT_ERR_DISABLED;
#endif
        break;
    case SCEPKIT_KEY_NONE:
    default:
        err = SCEPKIT_ERR_KEY_TYPE;
        break;
    }
out:
    mbedtls_pk_free(&pk);
    return err;
}

/*
 * RFC 8017 §7.2.1 (RSAES-PKCS1-v1_5) and §7.1.1 (RSAES-OAEP, empty label, MGF1 with the same
 * digest as the OAEP hash, as RFC 8894 / RFC 3560 peers use it).
 */
scepkit_err skit_rsa_encrypt(scepkit_bytes spki, scepkit_rng rng, scepkit_rsa_pad pad, scepkit_md oaep_md,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    mbedtls_pk_context pk;
    mbedtls_md_type_t t = MBEDTLS_MD_NONE;
    skit_rng_bridge bridge;
    int padding;
    int backend_err;
    scepkit_err err;

    if (out_len == NULL || (in == NULL && in_len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (pad == SCEPKIT_RSA_PKCS1_V15) {
        padding = MBEDTLS_RSA_PKCS_V15;
    } else if (pad == SCEPKIT_RSA_OAEP) {
#if SCEPKIT_WITH_RSA_OAEP
        padding = MBEDTLS_RSA_PKCS_V21;
        err = skit_mbed_md_strong(oaep_md, &t);
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
    mbedtls_pk_init(&pk);
    err = skit_mbed_parse_spki(&pk, spki, &backend_err);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
        err = SCEPKIT_ERR_KEY_TYPE;
        goto out;
    }
    err = rsa_public_size_ok(&pk);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
    size_t k = mbedtls_rsa_get_len(rsa);
    if (out == NULL || cap < k) {
        *out_len = k;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    if (skit_c_rsa_set_padding(rsa, padding, t) != 0) {
        err = SCEPKIT_ERR_BACKEND;
        goto out;
    }
    skit_rng_bridge_init(&bridge, rng);
    int ret = skit_c_rsa_encrypt(rsa, skit_rng_bridge_f, &bridge, in_len, in, out);
    if (ret != 0) {
        if (bridge.err != SCEPKIT_OK) {
            err = SCEPKIT_ERR_RNG;
        } else if (ret == MBEDTLS_ERR_RSA_BAD_INPUT_DATA) {
            err = SCEPKIT_ERR_ARG; /* message too long for the modulus and padding */
        } else {
            err = SCEPKIT_ERR_BACKEND;
        }
        scepkit_wipe(out, k);
        goto out;
    }
    *out_len = k;
    err = SCEPKIT_OK;
out:
    mbedtls_pk_free(&pk);
    return err;
}
