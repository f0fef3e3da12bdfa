/* Certificate and CRL writer: openssl accepts what we issue (x509 -text, verify, crl -verify), our parser reads
 * it back, RSA and EC issuers, nothing signed unless it fits, arena and buffer limits, hostile parameters. */
#include <time.h>

#include "cms_helpers.h"

#include "der/der.h"
#include "der/oid.h"

/* ---------------------------------------------------------------------------------------------- */
/* A key port wrapper that counts signatures and can fail them. */

typedef struct counting_key {
    scepkit_key inner;
    int signs;
    int fail_sign;
} counting_key;

static scepkit_err ck_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    counting_key *k = self;
    return scepkit_key_public(k->inner, out, cap, len);
}

static scepkit_err ck_sign(void *self, scepkit_md md, const uint8_t *d, size_t dl, uint8_t *sig, size_t cap, size_t *sl)
{
    counting_key *k = self;
    k->signs++;
    if (k->fail_sign) {
        return SCEPKIT_ERR_KEY_WOULD_BLOCK;
    }
    return scepkit_key_sign_digest(k->inner, md, d, dl, sig, cap, sl);
}

static const scepkit_key_ops ck_ops = {ck_public, ck_sign, NULL};

static scepkit_key ck_port(counting_key *k)
{
    return (scepkit_key){&ck_ops, k};
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct issuer {
    scepkit_softkey sk;
    ts_det_rng rng;
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t spki_len;
} issuer;

static void issuer_load(issuer *is, const char *keyfile)
{
    char path[700];
    ts_det_rng_init(&is->rng, 5);
    cms_pki_path(keyfile, path, sizeof path);
    cms_load_key(&is->sk, path, ts_det_rng_port(&is->rng));
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(&is->sk), is->spki, sizeof is->spki, &is->spki_len),
                 SCEPKIT_OK);
}

static uint8_t *name_der(const char *text, size_t *len)
{
    scepkit_name_attr attrs[8];
    uint8_t oids[256];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str(text), attrs, 8, &n, oids, sizeof oids), SCEPKIT_OK,
                 "name %s", text);
    cr_assert_eq(scepkit_name_write(attrs, n, NULL, 0, len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(*len);
    cr_assert_eq(scepkit_name_write(attrs, n, out, *len, len), SCEPKIT_OK);
    return out;
}

static uint8_t *issue(const scepkit_x509_params *p, scepkit_key key, size_t *len)
{
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, sizeof mem);
    scepkit_err err = scepkit_x509_write(p, key, &a, NULL, 0, &need);
    cr_assert_eq(err, SCEPKIT_ERR_BUFFER_TOO_SMALL, "size pass: %s", scepkit_err_name(err));
    uint8_t *out = malloc(need);
    err = scepkit_x509_write(p, key, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "x509_write: %s", scepkit_err_name(err));
    cr_assert_leq(*len, need);
    cr_assert_eq(a.used, 0, "arena released");
    return out;
}

static void write_pem(const char *path, const uint8_t *der, size_t len, const char *label)
{
    char pem[16384];
    size_t n = 0;
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){der, len}, label, pem, sizeof pem, &n), SCEPKIT_OK);
    cr_assert_eq(ts_write_file(path, (const uint8_t *)pem, n), 0);
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* GeneralNames { dNSName "ee.example", iPAddress 127.0.0.1 } */
static const uint8_t san_der[] = {0x30, 0x12, 0x82, 0x0a, 'e',  'e',  '.', 'e', 'x', 'a',
                                  'm',  'p',  'l',  'e',  0x87, 0x04, 127, 0,   0,   1};
/* id-kp-clientAuth, id-kp-serverAuth */
static const uint8_t kp_client[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
static const uint8_t kp_server[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};

typedef struct pki {
    issuer ca;
    uint8_t *ca_name, *ee_name, *ca_cert, *ee_cert, *ee_der_openssl;
    size_t ca_name_len, ee_name_len, ca_cert_len, ee_cert_len, ee_der_len;
    scepkit_x509 ca_view, ee_openssl_view;
    int64_t now;
} pki;

static void ca_params(pki *k, scepkit_x509_params *p, const uint8_t *serial, size_t serial_len)
{
    memset(p, 0, sizeof *p);
    p->serial = (scepkit_bytes){serial, serial_len};
    p->issuer = (scepkit_bytes){k->ca_name, k->ca_name_len};
    p->subject = p->issuer;
    p->spki = (scepkit_bytes){k->ca.spki, k->ca.spki_len};
    p->not_before = k->now - 3600;
    p->not_after = k->now + 86400 * 3650LL;
    p->is_ca = 1;
    p->path_len = 0;
    p->key_usage = SCEPKIT_KU_KEY_CERT_SIGN | SCEPKIT_KU_CRL_SIGN | SCEPKIT_KU_DIGITAL_SIGNATURE;
    p->add_ski = 1;
}

static void ee_params(pki *k, scepkit_x509_params *p, const scepkit_bytes *ekus)
{
    static const uint8_t serial[] = {0x00, 0x00, 0x9a, 0xbc, 0xde}; /* leading zeros stripped, sign octet added */
    memset(p, 0, sizeof *p);
    p->serial = (scepkit_bytes){serial, sizeof serial};
    p->issuer = k->ca_view.subject;
    p->subject = (scepkit_bytes){k->ee_name, k->ee_name_len};
    p->spki = k->ee_openssl_view.spki;
    p->not_before = k->now - 60;
    p->not_after = k->now + 86400 * 365LL;
    p->path_len = -1;
    p->key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT;
    p->ekus = ekus;
    p->eku_count = 2;
    p->san_der = (scepkit_bytes){san_der, sizeof san_der};
    p->add_ski = 1;
    p->aki_key_id = k->ca_view.ski;
    p->crl_dp_uri = scepkit_bytes_str("http://127.0.0.1/ca.crl");
    p->aia_ca_issuers_uri = scepkit_bytes_str("http://127.0.0.1/ca.der");
    p->aia_ocsp_uri = scepkit_bytes_str("http://127.0.0.1/ocsp");
}

static void pki_make(pki *k, const char *ca_key)
{
    static const uint8_t ca_serial[] = {0x01};
    scepkit_x509_params p;
    memset(k, 0, sizeof *k);
    k->now = (int64_t)time(NULL);
    issuer_load(&k->ca, ca_key);
    k->ca_name = name_der("CN=scepkit writer CA,O=scepkit,C=US", &k->ca_name_len);
    k->ee_name = name_der("CN=ee.example,O=scepkit", &k->ee_name_len);
    ca_params(k, &p, ca_serial, sizeof ca_serial);
    k->ca_cert = issue(&p, scepkit_softkey_key(&k->ca.sk), &k->ca_cert_len);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){k->ca_cert, k->ca_cert_len}, &k->ca_view), SCEPKIT_OK);
    k->ee_der_openssl = cms_pki_der("ee.der", &k->ee_der_len);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){k->ee_der_openssl, k->ee_der_len}, &k->ee_openssl_view),
                 SCEPKIT_OK);
}

static void pki_free(pki *k)
{
    scepkit_softkey_free(&k->ca.sk);
    free(k->ca_name);
    free(k->ee_name);
    free(k->ca_cert);
    free(k->ee_cert);
    free(k->ee_der_openssl);
}

static void check_issued_pair(const char *ca_key, const char *dirname, const char *sig_text)
{
    pki k;
    scepkit_x509_params p;
    scepkit_bytes ekus[2] = {{kp_client, sizeof kp_client}, {kp_server, sizeof kp_server}};
    scepkit_x509 v;
    char dir[512], path[700], cmd[4096];
    static char out[65536];
    pki_make(&k, ca_key);
    ee_params(&k, &p, ekus);
    k.ee_cert = issue(&p, scepkit_softkey_key(&k.ca.sk), &k.ee_cert_len);

    /* Our own parser reads back every field, and the signatures verify with the right keys only. */
    cr_assert_eq(k.ca_view.version, 3);
    cr_assert(k.ca_view.is_ca && k.ca_view.path_len == 0 && k.ca_view.has_ski && k.ca_view.has_key_usage);
    cr_assert_eq(k.ca_view.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_CERT_SIGN | SCEPKIT_KU_CRL_SIGN);
    cr_assert_eq(scepkit_x509_verify_signature(&k.ca_view, k.ca_view.spki, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){k.ee_cert, k.ee_cert_len}, &v), SCEPKIT_OK);
    cr_assert_eq(v.version, 3);
    cr_assert_eq(v.serial.len, 4);
    cr_assert_eq(memcmp(v.serial.ptr, "\x00\x9a\xbc", 2), 0, "sign octet added before 0x9a");
    cr_assert_eq(v.not_before, p.not_before);
    cr_assert_eq(v.not_after, p.not_after);
    cr_assert_eq(v.issuer.len, k.ca_view.subject.len);
    cr_assert_eq(memcmp(v.issuer.ptr, k.ca_view.subject.ptr, v.issuer.len), 0);
    cr_assert_eq(v.subject.len, k.ee_name_len);
    cr_assert_eq(memcmp(v.subject.ptr, k.ee_name, k.ee_name_len), 0);
    cr_assert_eq(v.spki.len, k.ee_openssl_view.spki.len);
    cr_assert(!v.is_ca && v.has_key_usage && v.key_usage == p.key_usage);
    cr_assert(v.has_ski && v.ski.len == 20);
    cr_assert_eq(memcmp(v.ski.ptr, k.ee_openssl_view.ski.ptr, 20), 0, "SKI method (1) as openssl computes it");
    cr_assert_eq(v.unknown_critical, 0);
    cr_assert_eq(scepkit_x509_verify_signature(&v, k.ca_view.spki, 0), SCEPKIT_OK);
    scepkit_err wrong = scepkit_x509_verify_signature(&v, k.ee_openssl_view.spki, 0);
    cr_assert(wrong == SCEPKIT_ERR_BAD_SIGNATURE || wrong == SCEPKIT_ERR_ALGORITHM_MISMATCH, "%s",
              scepkit_err_name(wrong));
    size_t ext_count = 0;
    scepkit_x509_iter it = {{NULL, 0}, 0};
    scepkit_extension e;
    while (scepkit_x509_next_extension(&v, &it, &e) == SCEPKIT_OK) {
        ext_count++;
    }
    cr_assert_eq(ext_count, 7, "KU, EKU, SAN, SKI, AKI, CRL DP, AIA");

    /* openssl reads the same and verifies the chain. */
    ts_tmpdir(dirname, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    write_pem(path, k.ca_cert, k.ca_cert_len, "CERTIFICATE");
    snprintf(path, sizeof path, "%s/ee.pem", dir);
    write_pem(path, k.ee_cert, k.ee_cert_len, "CERTIFICATE");
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl verify -CAfile ca.pem ca.pem ee.pem 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl verify: %s", out);
    cr_assert(contains(out, "ee.pem: OK"), "%s", out);
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl x509 -in ee.pem -noout -text 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl x509: %s", out);
    static const char *const want[] = {"Version: 3 (0x2)",
                                       "Serial Number:",
                                       "Issuer: CN = scepkit writer CA, O = scepkit, C = US",
                                       "Subject: CN = ee.example, O = scepkit",
                                       "X509v3 Key Usage: critical",
                                       "Digital Signature, Key Encipherment",
                                       "TLS Web Client Authentication, TLS Web Server Authentication",
                                       "DNS:ee.example, IP Address:127.0.0.1",
                                       "X509v3 Subject Key Identifier",
                                       "X509v3 Authority Key Identifier",
                                       "URI:http://127.0.0.1/ca.crl",
                                       "OCSP - URI:http://127.0.0.1/ocsp",
                                       "CA Issuers - URI:http://127.0.0.1/ca.der"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert(contains(out, want[i]), "missing '%s' in:\n%s", want[i], out);
    }
    cr_assert(contains(out, sig_text), "signature algorithm %s in:\n%s", sig_text, out);
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl x509 -in ca.pem -noout -text 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl x509: %s", out);
    cr_assert(contains(out, "CA:TRUE, pathlen:0"), "%s", out);
    cr_assert(contains(out, "Certificate Sign, CRL Sign"), "%s", out);
    pki_free(&k);
}

Test(x509_write, rsa_issued_ca_and_leaf_pass_openssl_verify_and_read_back)
{
    check_issued_pair("ca.key", "x509w_rsa", "sha256WithRSAEncryption");
}

Test(x509_write, ec_issued_ca_and_leaf_pass_openssl_verify_and_read_back)
{
    check_issued_pair("ec.key", "x509w_ec", "ecdsa-with-SHA256");
}

Test(x509_write, sha384_and_sha512_name_their_digest_and_sha1_md5_are_refused)
{
    static const uint8_t serial[] = {0x42};
    pki k;
    scepkit_x509_params p;
    scepkit_x509 v;
    size_t len = 0;
    pki_make(&k, "ca.key");
    ca_params(&k, &p, serial, sizeof serial);
    p.md = SCEPKIT_MD_SHA384;
    uint8_t *c = issue(&p, scepkit_softkey_key(&k.ca.sk), &len);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){c, len}, &v), SCEPKIT_OK);
    cr_assert_eq(v.sig_md, SCEPKIT_MD_SHA384);
    cr_assert_eq(scepkit_x509_verify_signature(&v, v.spki, 0), SCEPKIT_OK);
    free(c);
    p.md = SCEPKIT_MD_SHA512;
    c = issue(&p, scepkit_softkey_key(&k.ca.sk), &len);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){c, len}, &v), SCEPKIT_OK);
    cr_assert_eq(v.sig_md, SCEPKIT_MD_SHA512);
    free(c);
    uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    scepkit_arena a;
    scepkit_arena_init(&a, mem, sizeof mem);
    p.md = SCEPKIT_MD_SHA1;
    cr_assert_eq(scepkit_x509_write(&p, scepkit_softkey_key(&k.ca.sk), &a, NULL, 0, &len), SCEPKIT_ERR_UNSUPPORTED);
    p.md = SCEPKIT_MD_MD5;
    cr_assert_eq(scepkit_x509_write(&p, scepkit_softkey_key(&k.ca.sk), &a, NULL, 0, &len), SCEPKIT_ERR_LEGACY_DISABLED);
    pki_free(&k);
}

Test(x509_write, dates_from_2050_use_generalized_time)
{
    static const uint8_t serial[] = {0x07};
    pki k;
    scepkit_x509_params p;
    scepkit_x509 v;
    size_t len = 0;
    pki_make(&k, "ca.key");
    ca_params(&k, &p, serial, sizeof serial);
    p.not_before = 2524607999; /* 2049-12-31T23:59:59Z: UTCTime */
    p.not_after = 2524608000;  /* 2050-01-01T00:00:00Z: GeneralizedTime */
    uint8_t *c = issue(&p, scepkit_softkey_key(&k.ca.sk), &len);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){c, len}, &v), SCEPKIT_OK);
    cr_assert_eq(v.not_before, p.not_before);
    cr_assert_eq(v.not_after, p.not_after);
    static const uint8_t utc[] = {0x17, 0x0d, '4', '9', '1', '2', '3', '1', '2', '3', '5', '9', '5', '9', 'Z'};
    static const uint8_t gen[] = {0x18, 0x0f, '2', '0', '5', '0', '0', '1', '0',
                                  '1',  '0',  '0', '0', '0', '0', '0', 'Z'};
    cr_assert_not_null(memmem(v.tbs.ptr, v.tbs.len, utc, sizeof utc));
    cr_assert_not_null(memmem(v.tbs.ptr, v.tbs.len, gen, sizeof gen));
    free(c);
    pki_free(&k);
}

/* ---------------------------------------------------------------------------------------------- */
/* CRLs */

static uint8_t *issue_crl(const scepkit_crl_params *p, scepkit_key key, size_t *len)
{
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, sizeof mem);
    scepkit_err err = scepkit_crl_write(p, key, &a, NULL, 0, &need);
    cr_assert_eq(err, SCEPKIT_ERR_BUFFER_TOO_SMALL, "size pass: %s", scepkit_err_name(err));
    uint8_t *out = malloc(need);
    err = scepkit_crl_write(p, key, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "crl_write: %s", scepkit_err_name(err));
    cr_assert_leq(*len, need);
    cr_assert_eq(a.used, 0);
    return out;
}

static void check_crl(const char *ca_key, const char *dirname)
{
    static const uint8_t s1[] = {0x12, 0x34}, s2[] = {0x00, 0xff, 0x01}, s3[] = {0x05};
    pki k;
    char dir[512], path[700], cmd[4096];
    static char out[65536];
    pki_make(&k, ca_key);
    scepkit_crl_entry entries[3] = {
        {{s1, sizeof s1}, k.now - 7200, 1},  /* keyCompromise */
        {{s2, sizeof s2}, k.now - 3600, -1}, /* no reason */
        {{s3, sizeof s3}, k.now - 60, 4},    /* superseded */
    };
    scepkit_crl_params p;
    memset(&p, 0, sizeof p);
    p.issuer = k.ca_view.subject;
    p.this_update = k.now - 60;
    p.next_update = k.now + 86400;
    p.crl_number = 0x1122334455ULL;
    p.aki_key_id = k.ca_view.ski;
    p.entries = entries;
    p.entry_count = 3;
    size_t len = 0;
    uint8_t *crl = issue_crl(&p, scepkit_softkey_key(&k.ca.sk), &len);

    ts_tmpdir(dirname, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    write_pem(path, k.ca_cert, k.ca_cert_len, "CERTIFICATE");
    snprintf(path, sizeof path, "%s/crl.pem", dir);
    write_pem(path, crl, len, "X509 CRL");
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl crl -in crl.pem -CAfile ca.pem -noout -text 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl crl: %s", out);
    static const char *const want[] = {
        "verify OK",           "Version 2 (0x1)",     "Issuer: CN = scepkit writer CA, O = scepkit, C = US",
        "X509v3 CRL Number",   "73588229205",         "X509v3 Authority Key Identifier",
        "Serial Number: 1234", "Serial Number: FF01", "Serial Number: 05",
        "Key Compromise",      "Superseded"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert(contains(out, want[i]), "missing '%s' in:\n%s", want[i], out);
    }
    /* The certificate openssl issued as serial 0x1234 by another CA is not this CRL's business, but the
     * revocation check must fire for a certificate our CA issued with a listed serial. */
    scepkit_x509_params ep;
    scepkit_bytes ekus[2] = {{kp_client, sizeof kp_client}, {kp_server, sizeof kp_server}};
    ee_params(&k, &ep, ekus);
    ep.serial = (scepkit_bytes){s1, sizeof s1};
    size_t ee_len = 0;
    uint8_t *ee = issue(&ep, scepkit_softkey_key(&k.ca.sk), &ee_len);
    snprintf(path, sizeof path, "%s/ee.pem", dir);
    write_pem(path, ee, ee_len, "CERTIFICATE");
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl verify -crl_check -CAfile ca.pem -CRLfile crl.pem ee.pem 2>&1", dir);
    cr_assert_neq(ts_run(cmd, out, sizeof out), 0, "a revoked certificate must not verify: %s", out);
    cr_assert(contains(out, "certificate revoked"), "%s", out);
    free(ee);
    free(crl);

    /* Empty CRL: revokedCertificates absent (RFC 5280 §5.1.2.6), still verifies. */
    p.entry_count = 0;
    p.entries = NULL;
    p.aki_key_id = (scepkit_bytes){NULL, 0};
    crl = issue_crl(&p, scepkit_softkey_key(&k.ca.sk), &len);
    snprintf(path, sizeof path, "%s/empty.pem", dir);
    write_pem(path, crl, len, "X509 CRL");
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl crl -in empty.pem -CAfile ca.pem -noout -text 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl crl (empty): %s", out);
    cr_assert(contains(out, "No Revoked Certificates"), "%s", out);
    free(crl);
    pki_free(&k);
}

Test(x509_write, rsa_crl_with_reasons_verifies_and_revokes_with_openssl)
{
    check_crl("ca.key", "x509w_crl_rsa");
}

Test(x509_write, ec_crl_with_reasons_verifies_and_revokes_with_openssl)
{
    check_crl("ec.key", "x509w_crl_ec");
}

/* ---------------------------------------------------------------------------------------------- */
/* Limits: arena, buffer, nothing signed unless it fits, wiped on failure. */

Test(x509_write, published_scratch_is_enough_and_every_smaller_arena_fails_cleanly)
{
    static const uint8_t serial[] = {0x01};
    pki k;
    scepkit_x509_params p;
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    uint8_t out[4096];
    size_t len = 0;
    scepkit_arena a;
    pki_make(&k, "ca.key");
    ca_params(&k, &p, serial, sizeof serial);
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_x509_write(&p, scepkit_softkey_key(&k.ca.sk), &a, out, sizeof out, &len), SCEPKIT_OK);
    size_t peak = a.peak;
    cr_assert_leq(peak, SCEPKIT_X509_WRITE_SCRATCH);
    for (size_t cap = 0; cap < peak; cap += 8) {
        counting_key ck = {scepkit_softkey_key(&k.ca.sk), 0, 0};
        scepkit_arena_init(&a, mem, cap);
        memset(out, 0x5a, sizeof out);
        cr_assert_eq(scepkit_x509_write(&p, ck_port(&ck), &a, out, sizeof out, &len), SCEPKIT_ERR_ARENA_EXHAUSTED,
                     "arena of %zu", cap);
        cr_assert_eq(len, 0);
        cr_assert_eq(ck.signs, 0);
        cr_assert_eq(a.used, 0);
    }
    /* the CRL writer has the same bound */
    scepkit_crl_params cp;
    memset(&cp, 0, sizeof cp);
    cp.issuer = p.issuer;
    cp.this_update = k.now;
    cp.next_update = k.now + 60;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_crl_write(&cp, scepkit_softkey_key(&k.ca.sk), &a, out, sizeof out, &len), SCEPKIT_OK);
    cr_assert_leq(a.peak, SCEPKIT_X509_WRITE_SCRATCH);
    scepkit_arena_init(&a, mem, a.peak - 16);
    cr_assert_eq(scepkit_crl_write(&cp, scepkit_softkey_key(&k.ca.sk), &a, out, sizeof out, &len),
                 SCEPKIT_ERR_ARENA_EXHAUSTED);
    pki_free(&k);
}

Test(x509_write, too_small_buffer_reports_the_size_and_signs_nothing)
{
    pki k;
    scepkit_x509_params p;
    scepkit_bytes ekus[2] = {{kp_client, sizeof kp_client}, {kp_server, sizeof kp_server}};
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    uint8_t out[4096];
    scepkit_arena a;
    size_t need = 0, len = 0;
    pki_make(&k, "ec.key"); /* ECDSA: the size pass reports an upper bound */
    ee_params(&k, &p, ekus);
    counting_key ck = {scepkit_softkey_key(&k.ca.sk), 0, 0};
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_x509_write(&p, ck_port(&ck), &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_gt(need, 0);
    for (size_t cap = 0; cap < need; cap += (cap < 64 ? 1 : 37)) {
        memset(out, 0, sizeof out);
        len = 0;
        cr_assert_eq(scepkit_x509_write(&p, ck_port(&ck), &a, out, cap, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
        cr_assert_eq(len, need, "cap %zu", cap);
        cr_assert(cms_all_zero(out, sizeof out), "nothing written at cap %zu", cap);
    }
    cr_assert_eq(ck.signs, 0, "nothing signed before it is known to fit");
    cr_assert_eq(scepkit_x509_write(&p, ck_port(&ck), &a, out, need, &len), SCEPKIT_OK);
    cr_assert_eq(ck.signs, 1);
    cr_assert_leq(len, need);
    cr_assert_geq(len, need - 2, "ECDSA signature at most 2 octets shorter than the bound");
    pki_free(&k);
}

Test(x509_write, key_port_failure_wipes_the_output)
{
    pki k;
    scepkit_x509_params p;
    scepkit_bytes ekus[2] = {{kp_client, sizeof kp_client}, {kp_server, sizeof kp_server}};
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    uint8_t out[4096];
    scepkit_arena a;
    size_t len = 0;
    pki_make(&k, "ca.key");
    ee_params(&k, &p, ekus);
    counting_key ck = {scepkit_softkey_key(&k.ca.sk), 0, 1};
    scepkit_arena_init(&a, mem, sizeof mem);
    memset(out, 0x5a, sizeof out);
    cr_assert_eq(scepkit_x509_write(&p, ck_port(&ck), &a, out, sizeof out, &len), SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(ck.signs, 1);
    cr_assert_eq(len, 0);
    cr_assert(cms_all_zero(out, sizeof out), "half-written certificate wiped");
    cr_assert_eq(a.used, 0);
    scepkit_crl_params cp;
    memset(&cp, 0, sizeof cp);
    cp.issuer = p.issuer;
    cp.this_update = k.now;
    cp.next_update = k.now + 60;
    memset(out, 0x5a, sizeof out);
    cr_assert_eq(scepkit_crl_write(&cp, ck_port(&ck), &a, out, sizeof out, &len), SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert(cms_all_zero(out, sizeof out), "half-written CRL wiped");
    pki_free(&k);
}

/* ---------------------------------------------------------------------------------------------- */

/* Extension { basicConstraints, SEQUENCE {} } and { 1.2.3.4, OCTET STRING { NULL } } */
static const uint8_t ext_bc[] = {0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff};
static const uint8_t ext_ku[] = {0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01,
                                 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x07, 0x80};
static const uint8_t ext_private[] = {0x30, 0x09, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x02, 0x05, 0x00};
static const uint8_t ext_trailing[] = {0x30, 0x09, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x02, 0x05, 0x00, 0x00};
static const uint8_t ext_false_crit[] = {0x30, 0x0c, 0x06, 0x03, 0x2a, 0x03, 0x04,
                                         0x01, 0x01, 0x00, 0x04, 0x02, 0x05, 0x00};

typedef enum mutation {
    M_ZERO_SERIAL,
    M_EMPTY_SERIAL,
    M_LONG_SERIAL,
    M_BAD_ISSUER,
    M_TRAILING_SUBJECT,
    M_BAD_SPKI,
    M_DATES_REVERSED,
    M_DATE_RANGE,
    M_BAD_EKU,
    M_BAD_SAN,
    M_EMPTY_SUBJECT_NO_SAN,
    M_BAD_URI,
    M_LONG_AKI,
    M_KU_BITS,
    M_PATHLEN,
    M_EXTRA_DUP_GENERATED,
    M_EXTRA_TWICE,
    M_EXTRA_FALSE_CRITICAL,
    M_EXTRA_TRAILING,
    M_MD_UNKNOWN,
} mutation;

Test(x509_write, hostile_parameters_fail_with_specific_errors_before_any_signature)
{
    static const uint8_t zero[] = {0, 0},
                         long_serial[] = {0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    static const uint8_t bad_name[] = {0x30, 0x05, 0x31, 0x00}, trailing_name[] = {0x30, 0x00, 0x00};
    static const uint8_t bad_oid[] = {0x80, 0x01}, empty_name[] = {0x30, 0x00}, long_id[65] = {1};
    static const uint8_t bad_spki[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    static const struct {
        mutation m;
        scepkit_err want;
    } cases[] = {
        {M_ZERO_SERIAL, SCEPKIT_ERR_ARG},
        {M_EMPTY_SERIAL, SCEPKIT_ERR_ARG},
        {M_LONG_SERIAL, SCEPKIT_ERR_ARG},
        {M_BAD_ISSUER, SCEPKIT_ERR_ARG},
        {M_TRAILING_SUBJECT, SCEPKIT_ERR_ARG},
        {M_BAD_SPKI, SCEPKIT_ERR_ARG},
        {M_DATES_REVERSED, SCEPKIT_ERR_ARG},
        {M_DATE_RANGE, SCEPKIT_ERR_DER_VALUE},
        {M_BAD_EKU, SCEPKIT_ERR_ARG},
        {M_BAD_SAN, SCEPKIT_ERR_ARG},
        {M_EMPTY_SUBJECT_NO_SAN, SCEPKIT_ERR_ARG},
        {M_BAD_URI, SCEPKIT_ERR_ARG},
        {M_LONG_AKI, SCEPKIT_ERR_ARG},
        {M_KU_BITS, SCEPKIT_ERR_ARG},
        {M_PATHLEN, SCEPKIT_ERR_ARG},
        {M_EXTRA_DUP_GENERATED, SCEPKIT_ERR_X509_EXTENSION},
        {M_EXTRA_TWICE, SCEPKIT_ERR_X509_EXTENSION},
        {M_EXTRA_FALSE_CRITICAL, SCEPKIT_ERR_X509_EXTENSION},
        {M_EXTRA_TRAILING, SCEPKIT_ERR_X509_EXTENSION},
        {M_MD_UNKNOWN, SCEPKIT_ERR_ARG},
    };
    pki k;
    scepkit_bytes ekus[2] = {{kp_client, sizeof kp_client}, {kp_server, sizeof kp_server}};
    scepkit_bytes bad_ekus[2] = {{kp_client, sizeof kp_client}, {bad_oid, sizeof bad_oid}};
    scepkit_bytes extras[2];
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    uint8_t out[4096];
    scepkit_arena a;
    pki_make(&k, "ca.key");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scepkit_x509_params p;
        size_t len = 99;
        ee_params(&k, &p, ekus);
        switch (cases[i].m) {
        case M_ZERO_SERIAL:
            p.serial = (scepkit_bytes){zero, sizeof zero};
            break;
        case M_EMPTY_SERIAL:
            p.serial = (scepkit_bytes){zero, 0};
            break;
        case M_LONG_SERIAL:
            p.serial = (scepkit_bytes){long_serial, sizeof long_serial};
            break;
        case M_BAD_ISSUER:
            p.issuer = (scepkit_bytes){bad_name, sizeof bad_name};
            break;
        case M_TRAILING_SUBJECT:
            p.subject = (scepkit_bytes){trailing_name, sizeof trailing_name};
            break;
        case M_BAD_SPKI:
            p.spki = (scepkit_bytes){bad_spki, sizeof bad_spki};
            break;
        case M_DATES_REVERSED:
            p.not_after = p.not_before - 1;
            break;
        case M_DATE_RANGE:
            p.not_after = 253402300800LL;
            break; /* year 10000 */
        case M_BAD_EKU:
            p.ekus = bad_ekus;
            break;
        case M_BAD_SAN:
            p.san_der = (scepkit_bytes){bad_name, sizeof bad_name};
            break;
        case M_EMPTY_SUBJECT_NO_SAN:
            p.subject = (scepkit_bytes){empty_name, sizeof empty_name};
            p.san_der = (scepkit_bytes){NULL, 0};
            break;
        case M_BAD_URI:
            p.crl_dp_uri = scepkit_bytes_str("http://\xc3\xa9.example/");
            break;
        case M_LONG_AKI:
            p.aki_key_id = (scepkit_bytes){long_id, sizeof long_id};
            break;
        case M_KU_BITS:
            p.key_usage = 1u << 9;
            break;
        case M_PATHLEN:
            p.is_ca = 1;
            p.path_len = 256;
            break;
        case M_EXTRA_DUP_GENERATED:
            extras[0] = (scepkit_bytes){ext_ku, sizeof ext_ku};
            p.extra_extensions = extras;
            p.extra_extension_count = 1;
            break;
        case M_EXTRA_TWICE:
            extras[0] = (scepkit_bytes){ext_private, sizeof ext_private};
            extras[1] = (scepkit_bytes){ext_private, sizeof ext_private};
            p.extra_extensions = extras;
            p.extra_extension_count = 2;
            break;
        case M_EXTRA_FALSE_CRITICAL:
            extras[0] = (scepkit_bytes){ext_false_crit, sizeof ext_false_crit};
            p.extra_extensions = extras;
            p.extra_extension_count = 1;
            break;
        case M_EXTRA_TRAILING:
            extras[0] = (scepkit_bytes){ext_trailing, sizeof ext_trailing};
            p.extra_extensions = extras;
            p.extra_extension_count = 1;
            break;
        case M_MD_UNKNOWN:
            p.md = (scepkit_md)77;
            break;
        }
        counting_key ck = {scepkit_softkey_key(&k.ca.sk), 0, 0};
        scepkit_arena_init(&a, mem, sizeof mem);
        memset(out, 0, sizeof out);
        scepkit_err err = scepkit_x509_write(&p, ck_port(&ck), &a, out, sizeof out, &len);
        cr_expect_eq(err, cases[i].want, "case %zu: %s, want %s", i, scepkit_err_name(err),
                     scepkit_err_name(cases[i].want));
        cr_expect_eq(ck.signs, 0, "case %zu signed", i);
        cr_expect_eq(len, 0, "case %zu", i);
        cr_expect(cms_all_zero(out, sizeof out), "case %zu left output", i);
    }
    /* a basicConstraints extra extension is passed through when is_ca is off (the writer does not make one) */
    scepkit_x509_params p;
    size_t len = 0;
    ee_params(&k, &p, ekus);
    extras[0] = (scepkit_bytes){ext_bc, sizeof ext_bc};
    p.extra_extensions = extras;
    p.extra_extension_count = 1;
    uint8_t *c = issue(&p, scepkit_softkey_key(&k.ca.sk), &len);
    scepkit_x509 v;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){c, len}, &v), SCEPKIT_OK);
    cr_assert(v.has_basic_constraints && v.is_ca);
    free(c);
    pki_free(&k);
}

Test(x509_write, hostile_crl_parameters_are_refused)
{
    static const uint8_t zero[] = {0x00}, s1[] = {0x01};
    pki k;
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    uint8_t out[4096];
    scepkit_arena a;
    size_t len;
    pki_make(&k, "ca.key");
    static const struct {
        int reason;
        int zero_serial;
        int reversed;
        scepkit_err want;
    } cases[] = {
        {7, 0, 0, SCEPKIT_ERR_ARG}, {11, 0, 0, SCEPKIT_ERR_ARG}, {-2, 0, 0, SCEPKIT_ERR_ARG},
        {1, 1, 0, SCEPKIT_ERR_ARG}, {1, 0, 1, SCEPKIT_ERR_ARG},  {10, 0, 0, SCEPKIT_OK},
        {0, 0, 0, SCEPKIT_OK},      {-1, 0, 0, SCEPKIT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scepkit_crl_entry e = {{cases[i].zero_serial ? zero : s1, 1}, k.now, cases[i].reason};
        scepkit_crl_params cp;
        memset(&cp, 0, sizeof cp);
        cp.issuer = k.ca_view.subject;
        cp.this_update = k.now;
        cp.next_update = cases[i].reversed ? k.now - 1 : k.now + 60;
        cp.entries = &e;
        cp.entry_count = 1;
        scepkit_arena_init(&a, mem, sizeof mem);
        scepkit_err err = scepkit_crl_write(&cp, scepkit_softkey_key(&k.ca.sk), &a, out, sizeof out, &len);
        cr_expect_eq(err, cases[i].want, "case %zu: %s", i, scepkit_err_name(err));
    }
    pki_free(&k);
}
