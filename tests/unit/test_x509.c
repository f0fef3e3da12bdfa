/* X.509 certificate view: fields agree with openssl, signatures check against the issuer, hostile input fails. */
#include "cms_helpers.h"

#include "der/oid.h"

Test(x509, end_entity_fields_match_what_openssl_wrote)
{
    size_t n, cn;
    uint8_t *der = cms_pki_der("ee.der", &n);
    uint8_t *ca = cms_pki_der("ca.der", &cn);
    scepkit_x509 x, c;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){der, n}, &x), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){ca, cn}, &c), SCEPKIT_OK);
    cr_assert_eq(x.version, 3);
    cr_assert_eq(x.serial.len, 2);
    cr_assert_eq(x.serial.ptr[0], 0x12);
    cr_assert_eq(x.serial.ptr[1], 0x34);
    cr_assert(x.has_ski);
    cr_assert_eq(x.ski.len, 20);
    cr_assert(x.has_key_usage);
    cr_assert_eq(x.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT);
    cr_assert_eq(x.is_ca, 0);
    cr_assert_eq(x.sig_alg, SCEPKIT_SIG_RSA_PKCS1);
    cr_assert_eq(x.sig_md, SCEPKIT_MD_SHA256);
    cr_assert_lt(x.not_before, x.not_after);
    cr_assert_eq(x.not_after - x.not_before, 3650LL * 86400);
    cr_assert_eq(skit_oid_find(x.spki_alg_oid), SKIT_OID_RSA_ENCRYPTION);
    /* issuer of the EE is the subject of the CA, byte for byte */
    cr_assert_eq(x.issuer.len, c.subject.len);
    cr_assert_eq(memcmp(x.issuer.ptr, c.subject.ptr, c.subject.len), 0);
    cr_assert(scepkit_x509_matches_issuer_serial(&x, c.subject, x.serial));
    cr_assert_not(scepkit_x509_matches_issuer_serial(&c, c.subject, x.serial));
    cr_assert(c.is_ca);
    cr_assert(c.has_basic_constraints);
    cr_assert_eq(c.path_len, -1);
    cr_assert_eq(c.key_usage, SCEPKIT_KU_KEY_CERT_SIGN | SCEPKIT_KU_CRL_SIGN);
    char text[256];
    size_t tl;
    cr_assert_eq(scepkit_name_format(x.subject, text, sizeof text, &tl), SCEPKIT_OK);
    cr_assert_str_eq(text, "O=scepkit, CN=ee");
    /* extensions by iteration: SKI, keyUsage, and the AKI openssl adds */
    scepkit_x509_iter it = {{NULL, 0}, 0};
    scepkit_extension e;
    size_t count = 0;
    while (scepkit_x509_next_extension(&x, &it, &e) == SCEPKIT_OK) {
        count++;
    }
    char cmd[1024], out[256];
    snprintf(cmd, sizeof cmd, "openssl x509 -inform DER -in '%s/ee.der' -noout -text | grep -c 'X509v3 [A-Z]'",
             cms_pki_dir());
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0);
    cr_assert_eq(count, (size_t)atoi(out), "extension count %zu vs openssl %s", count, out);
    free(ca);
    free(der);
}

Test(x509, signatures_verify_against_the_issuer_only)
{
    size_t n, cn, en, on;
    uint8_t *der = cms_pki_der("ee.der", &n);
    uint8_t *ca = cms_pki_der("ca.der", &cn);
    uint8_t *ec = cms_pki_der("ec.der", &en);
    uint8_t *other = cms_pki_der("other.der", &on);
    scepkit_x509 x, c, e, o;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){der, n}, &x), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){ca, cn}, &c), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){ec, en}, &e), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){other, on}, &o), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_verify_signature(&x, c.spki, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_verify_signature(&c, c.spki, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_verify_signature(&e, e.spki, 0), SCEPKIT_OK);
    cr_assert_eq(e.sig_alg, SCEPKIT_SIG_ECDSA);
    cr_assert_eq(scepkit_x509_verify_signature(&x, o.spki, 0), SCEPKIT_ERR_BAD_SIGNATURE);
    cr_assert_eq(scepkit_x509_verify_signature(&x, e.spki, 0), SCEPKIT_ERR_ALGORITHM_MISMATCH);
    free(other);
    free(ec);
    free(ca);
    free(der);
}

Test(x509, version_1_certificate_has_no_extensions)
{
    size_t n;
    uint8_t *der = cms_pki_der("v1.der", &n);
    scepkit_x509 x;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){der, n}, &x), SCEPKIT_OK);
    cr_assert_eq(x.version, 1);
    cr_assert_eq(x.has_ski, 0);
    cr_assert_eq(x.extensions.len, 0);
    free(der);
}

Test(x509, hostile_certificates_fail_with_specific_errors)
{
    size_t n;
    uint8_t *der = cms_pki_der("ee.der", &n);
    uint8_t *m = malloc(n + 1);
    scepkit_x509 x;
    for (size_t cut = 0; cut < n; cut++) {
        cr_assert_neq(scepkit_x509_parse((scepkit_bytes){der, cut}, &x), SCEPKIT_OK, "prefix %zu", cut);
        cr_assert_null(x.der.ptr);
    }
    memcpy(m, der, n);
    m[n] = 0;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){m, n + 1}, &x), SCEPKIT_ERR_DER_TRAILING);
    /* version 3 -> 4 (INTEGER 2 -> 3 inside [0]) */
    static const uint8_t v3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
    uint8_t *p = NULL;
    for (size_t i = 0; i + sizeof v3 <= n; i++) {
        if (memcmp(m + i, v3, sizeof v3) == 0) {
            p = m + i;
            break;
        }
    }
    cr_assert_not_null(p);
    p[4] = 3;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){m, n}, &x), SCEPKIT_ERR_X509_VERSION);
    p[4] = 2;
    /* duplicate extension: turn the keyUsage OID (2.5.29.15) into a second SKI (2.5.29.14) */
    static const uint8_t ku[] = {0x06, 0x03, 0x55, 0x1d, 0x0f};
    p = NULL;
    for (size_t i = 0; i + sizeof ku <= n; i++) {
        if (memcmp(m + i, ku, sizeof ku) == 0) {
            p = m + i;
        }
    }
    cr_assert_not_null(p);
    p[4] = 0x0e;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){m, n}, &x), SCEPKIT_ERR_X509_EXTENSION);
    /* outer signature algorithm differing from the inner one */
    memcpy(m, der, n);
    static const uint8_t sha256rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    p = NULL;
    for (size_t i = 0; i + sizeof sha256rsa <= n; i++) {
        if (memcmp(m + i, sha256rsa, sizeof sha256rsa) == 0) {
            p = m + i;
        }
    }
    p[8] = 0x0c;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){m, n}, &x), SCEPKIT_ERR_DER_VALUE);
    free(m);
    free(der);
}
