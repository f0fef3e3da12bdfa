/*
 * Encrypted PKCS#8 with PBES2 + PBKDF2 + AES-CBC, which mbedTLS 2.28 cannot read (it knows PBES2
 * only with DES and 3DES) but which is what OpenSSL 3 writes by default. The softkey parser tries
 * mbedTLS first and comes here only when that failed and a password was given.
 */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/platform.h>

#include "port/mbedtls/mbed_port.h"

/* A key file asking for more PBKDF2 rounds than this is refused rather than spun on. */
#define PBES2_MAX_ITERATIONS 10000000

static const uint8_t oid_pbes2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d};
static const uint8_t oid_pbkdf2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c};

struct oid_md {
    uint8_t last;
    scepkit_md md;
};
/* hmacWithSHA* = 1.2.840.113549.2.x (RFC 8018 B.1.1, B.1.2) */
static const uint8_t oid_hmac_prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02};
static const struct oid_md hmac_oids[] = {
    {0x07, SCEPKIT_MD_SHA1}, {0x09, SCEPKIT_MD_SHA256}, {0x0a, SCEPKIT_MD_SHA384}, {0x0b, SCEPKIT_MD_SHA512}};

struct oid_cipher {
    uint8_t last;
    scepkit_cipher c;
};
/* aes*-CBC = 2.16.840.1.101.3.4.1.x (RFC 8018 B.2.5) */
static const uint8_t oid_aes_prefix[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01};
static const struct oid_cipher aes_oids[] = {
    {0x02, SCEPKIT_CIPHER_AES128_CBC}, {0x16, SCEPKIT_CIPHER_AES192_CBC}, {0x2a, SCEPKIT_CIPHER_AES256_CBC}};

static int oid_is(const mbedtls_asn1_buf *oid, const uint8_t *want, size_t want_len)
{
    return oid->len == want_len && memcmp(oid->p, want, want_len) == 0;
}

static int oid_has_prefix(const mbedtls_asn1_buf *oid, const uint8_t *prefix, size_t prefix_len)
{
    return oid->len == prefix_len + 1 && memcmp(oid->p, prefix, prefix_len) == 0;
}

/*
 * RFC 5958 §3 / RFC 8018 A.2, A.4, B.2.5
 *   EncryptedPrivateKeyInfo ::= SEQUENCE {
 *       encryptionAlgorithm  AlgorithmIdentifier,      -- { id-PBES2, PBES2-params }
 *       encryptedData        OCTET STRING }
 *   PBES2-params ::= SEQUENCE {
 *       keyDerivationFunc AlgorithmIdentifier,         -- { id-PBKDF2, PBKDF2-params }
 *       encryptionScheme  AlgorithmIdentifier }        -- { aes*-CBC, OCTET STRING (SIZE(16)) }
 *   PBKDF2-params ::= SEQUENCE {
 *       salt           OCTET STRING,                   -- the "specified" choice only
 *       iterationCount INTEGER (1..MAX),
 *       keyLength      INTEGER (1..MAX) OPTIONAL,
 *       prf            AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }
 */
scepkit_err skit_mbed_pkcs8_pbes2_decrypt(const uint8_t *der, size_t der_len, scepkit_bytes password, uint8_t **plain,
                                          size_t *plain_len)
{
    unsigned char *p = (unsigned char *)(uintptr_t)der;
    const unsigned char *end = der + der_len;
    mbedtls_asn1_buf alg, params, kdf, kdf_params, enc, enc_params, prf, prf_params;
    size_t len = 0;
    int iterations = 0;
    int key_length = -1;
    scepkit_md md = SCEPKIT_MD_SHA1;
    scepkit_cipher cipher = SCEPKIT_CIPHER_NONE;
    uint8_t key[32];
    uint8_t *out = NULL;
    size_t out_len = 0;
    size_t ct_len = 0;
    scepkit_err err = SCEPKIT_ERR_KEY_PARSE;

    *plain = NULL;
    *plain_len = 0;
    memset(key, 0, sizeof key);
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        len != (size_t)(end - p)) {
        goto out;
    }
    if (mbedtls_asn1_get_alg(&p, end, &alg, &params) != 0 || !oid_is(&alg, oid_pbes2, sizeof oid_pbes2) ||
        params.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) {
        goto out;
    }
    const unsigned char *ct;
    if (mbedtls_asn1_get_tag(&p, end, &ct_len, MBEDTLS_ASN1_OCTET_STRING) != 0 || ct_len != (size_t)(end - p)) {
        goto out;
    }
    ct = p;

    /* PBES2-params */
    unsigned char *q = params.p;
    const unsigned char *qend = params.p + params.len;
    if (mbedtls_asn1_get_alg(&q, qend, &kdf, &kdf_params) != 0 || !oid_is(&kdf, oid_pbkdf2, sizeof oid_pbkdf2) ||
        kdf_params.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
        mbedtls_asn1_get_alg(&q, qend, &enc, &enc_params) != 0 || q != qend) {
        goto out;
    }
    for (size_t i = 0; i < sizeof aes_oids / sizeof aes_oids[0]; i++) {
        if (oid_has_prefix(&enc, oid_aes_prefix, sizeof oid_aes_prefix) && enc.p[enc.len - 1] == aes_oids[i].last) {
            cipher = aes_oids[i].c;
        }
    }
    if (cipher == SCEPKIT_CIPHER_NONE || enc_params.tag != MBEDTLS_ASN1_OCTET_STRING || enc_params.len != 16) {
        goto out;
    }

    /* PBKDF2-params */
    unsigned char *k = kdf_params.p;
    const unsigned char *kend = kdf_params.p + kdf_params.len;
    const unsigned char *salt;
    size_t salt_len;
    if (mbedtls_asn1_get_tag(&k, kend, &salt_len, MBEDTLS_ASN1_OCTET_STRING) != 0) {
        goto out;
    }
    salt = k;
    k += salt_len;
    if (mbedtls_asn1_get_int(&k, kend, &iterations) != 0 || iterations < 1 || iterations > PBES2_MAX_ITERATIONS) {
        goto out;
    }
    if (k < kend && *k == MBEDTLS_ASN1_INTEGER) {
        if (mbedtls_asn1_get_int(&k, kend, &key_length) != 0) {
            goto out;
        }
    }
    if (k < kend) {
        if (mbedtls_asn1_get_alg(&k, kend, &prf, &prf_params) != 0 || k != kend ||
            !oid_has_prefix(&prf, oid_hmac_prefix, sizeof oid_hmac_prefix)) {
            goto out;
        }
        md = SCEPKIT_MD_NONE;
        for (size_t i = 0; i < sizeof hmac_oids / sizeof hmac_oids[0]; i++) {
            if (prf.p[prf.len - 1] == hmac_oids[i].last) {
                md = hmac_oids[i].md;
            }
        }
        if (md == SCEPKIT_MD_NONE) {
            goto out;
        }
    }
    size_t klen = scepkit_cipher_key_size(cipher);
    if (key_length != -1 && (size_t)key_length != klen) {
        goto out;
    }
    if (ct_len == 0) {
        goto out;
    }

    out = mbedtls_calloc(1, ct_len);
    if (out == NULL) {
        err = SCEPKIT_ERR_BACKEND;
        goto out;
    }
    err = skit_pbkdf2(md, password.ptr, password.len, salt, salt_len, (uint32_t)iterations, key, klen);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* a wrong password shows up here as bad padding (or later as garbage DER) */
    err = skit_cbc_decrypt(cipher, 0, key, enc_params.p, ct, ct_len, out, ct_len, &out_len);
    if (err != SCEPKIT_OK) {
        err = SCEPKIT_ERR_KEY_PARSE;
        goto out;
    }
    *plain = out;
    *plain_len = out_len;
    out = NULL;
    err = SCEPKIT_OK;
out:
    if (out != NULL) {
        scepkit_wipe(out, ct_len);
        mbedtls_free(out);
    }
    scepkit_wipe(key, sizeof key);
    return err;
}
