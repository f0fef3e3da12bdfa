/* PKCS#10: writer, parser, verifier and iterators (include/scepkit/csr.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/csr.h"
#include "test_support.h"

/* ---------------------------------------------------------------------------------------------- */
/* helpers */

static scepkit_bytes B(const char *s)
{
    return scepkit_bytes_str(s);
}

static bool bytes_is(scepkit_bytes v, const void *p, size_t n)
{
    return v.len == n && (n == 0 || memcmp(v.ptr, p, n) == 0);
}

static bool str_is(scepkit_bytes v, const char *s)
{
    return bytes_is(v, s, strlen(s));
}

static bool oid_is(scepkit_bytes oid, skit_oid id)
{
    scepkit_bytes w = skit_oid_bytes(id);
    return bytes_is(oid, w.ptr, w.len);
}

typedef struct test_key {
    ts_det_rng rng;
    scepkit_softkey sk;
} test_key;

static void key_make(test_key *k, scepkit_key_type type, uint32_t seed)
{
    ts_det_rng_init(&k->rng, seed);
    scepkit_softkey_init(&k->sk, ts_det_rng_port(&k->rng));
    cr_assert_eq(scepkit_softkey_generate(&k->sk, type, 2048), SCEPKIT_OK);
}

static _Alignas(16) uint8_t arena_mem[SCEPKIT_CSR_WRITE_SCRATCH];

/* Writes a CSR into a fresh heap buffer (caller frees). */
static uint8_t *write_csr(const scepkit_csr_params *p, scepkit_key key, size_t *len)
{
    scepkit_arena a;
    scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
    size_t need = 0;
    cr_assert_eq(scepkit_csr_write(p, key, &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_gt(need, 0);
    uint8_t *out = malloc(need);
    cr_assert_not_null(out);
    scepkit_err e = scepkit_csr_write(p, key, &a, out, need, len);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_assert_leq(*len, need);
    cr_assert_eq(a.used, 0, "arena released");
    return out;
}

static char tmp_dir[512];

static void save(const char *name, const uint8_t *der, size_t len, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmp_dir, name);
    cr_assert_eq(ts_write_file(path, der, len), 0);
}

static const uint8_t ip4[4] = {192, 0, 2, 1};
static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* The full parameter set used by the round-trip tests. */
static void full_params(scepkit_csr_params *p, scepkit_name_attr *subj, scepkit_san *sans, scepkit_bytes *ekus)
{
    size_t n = 0;
    memset(p, 0, sizeof *p);
    cr_assert_eq(scepkit_name_from_string(B("CN=dev1,O=Acme,C=US"), subj, 8, &n, NULL, 0), SCEPKIT_OK);
    sans[0] = (scepkit_san){SCEPKIT_SAN_DNS, B("dev1.example.com")};
    sans[1] = (scepkit_san){SCEPKIT_SAN_EMAIL, B("ops@example.com")};
    sans[2] = (scepkit_san){SCEPKIT_SAN_URI, B("https://example.com/dev1")};
    sans[3] = (scepkit_san){SCEPKIT_SAN_IP, {ip4, sizeof ip4}};
    sans[4] = (scepkit_san){SCEPKIT_SAN_IP, {ip6, sizeof ip6}};
    sans[5] = (scepkit_san){SCEPKIT_SAN_UPN, B("dev1@example.com")};
    ekus[0] = skit_oid_bytes(SKIT_OID_KP_CLIENT_AUTH);
    ekus[1] = skit_oid_bytes(SKIT_OID_KP_SERVER_AUTH);
    p->subject = subj;
    p->subject_count = n;
    p->challenge = B("secret-123");
    p->sans = sans;
    p->san_count = 6;
    p->key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT;
    p->ekus = ekus;
    p->eku_count = 2;
}

/* Checks every field of a CSR written from full_params(). */
static void check_full(const scepkit_csr *c, const scepkit_csr_params *p, scepkit_key key, scepkit_key_type type)
{
    uint8_t name[128];
    size_t name_len = 0;
    cr_assert_eq(scepkit_name_write(p->subject, p->subject_count, name, sizeof name, &name_len), SCEPKIT_OK);
    cr_assert(bytes_is(c->subject, name, name_len));

    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t spki_len = 0;
    cr_assert_eq(scepkit_key_public(key, spki, sizeof spki, &spki_len), SCEPKIT_OK);
    cr_assert(bytes_is(c->spki, spki, spki_len));
    cr_assert_eq(c->key_type, type);
    cr_assert_eq(c->key_bits, type == SCEPKIT_KEY_RSA ? 2048u : type == SCEPKIT_KEY_EC_P256 ? 256u : 384u);

    cr_assert_eq(c->has_challenge, 1);
    cr_assert(bytes_is(c->challenge, p->challenge.ptr, p->challenge.len));
    cr_assert_eq(c->has_key_usage, 1);
    cr_assert_eq(c->key_usage, p->key_usage);
    cr_assert_eq(c->sig_alg, type == SCEPKIT_KEY_RSA ? SCEPKIT_SIG_RSA_PKCS1 : SCEPKIT_SIG_ECDSA);
    cr_assert_eq(c->sig_md, p->md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->md);

    scepkit_csr_iter it = {{NULL, 0}, 0};
    scepkit_san san;
    for (size_t i = 0; i < p->san_count; i++) {
        cr_assert_eq(scepkit_csr_next_san(c, &it, &san), SCEPKIT_OK);
        cr_assert_eq(san.type, p->sans[i].type);
        cr_assert(bytes_is(san.value, p->sans[i].value.ptr, p->sans[i].value.len), "san %zu", i);
    }
    cr_assert_eq(scepkit_csr_next_san(c, &it, &san), SCEPKIT_ERR_NOT_FOUND);

    scepkit_csr_iter ie = {{NULL, 0}, 0};
    scepkit_bytes oid;
    for (size_t i = 0; i < p->eku_count; i++) {
        cr_assert_eq(scepkit_csr_next_eku(c, &ie, &oid), SCEPKIT_OK);
        cr_assert(bytes_is(oid, p->ekus[i].ptr, p->ekus[i].len));
    }
    cr_assert_eq(scepkit_csr_next_eku(c, &ie, &oid), SCEPKIT_ERR_NOT_FOUND);

    scepkit_csr_iter ix = {{NULL, 0}, 0};
    scepkit_extension ext;
    static const skit_oid want_ext[] = {SKIT_OID_EXT_SUBJECT_ALT_NAME, SKIT_OID_EXT_KEY_USAGE,
                                        SKIT_OID_EXT_EXT_KEY_USAGE};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(scepkit_csr_next_extension(c, &ix, &ext), SCEPKIT_OK);
        cr_assert(oid_is(ext.oid, want_ext[i]));
        cr_assert_eq(ext.critical, want_ext[i] == SKIT_OID_EXT_KEY_USAGE);
    }
    cr_assert_eq(scepkit_csr_next_extension(c, &ix, &ext), SCEPKIT_ERR_NOT_FOUND);

    scepkit_csr_iter ia = {{NULL, 0}, 0};
    scepkit_csr_attribute attr;
    int seen = 0;
    while (scepkit_csr_next_attribute(c, &ia, &attr) == SCEPKIT_OK) {
        seen |= oid_is(attr.oid, SKIT_OID_CHALLENGE_PASSWORD)  ? 1
                : oid_is(attr.oid, SKIT_OID_EXTENSION_REQUEST) ? 2
                                                               : 4;
    }
    cr_assert_eq(seen, 3);
    cr_assert_eq(scepkit_csr_verify(c, 0), SCEPKIT_OK);
}

static void round_trip(scepkit_key_type type, scepkit_md md)
{
    test_key k;
    key_make(&k, type, 7);
    scepkit_csr_params p;
    scepkit_name_attr subj[8];
    scepkit_san sans[8];
    scepkit_bytes ekus[4];
    full_params(&p, subj, sans, ekus);
    p.md = md;
    size_t len = 0;
    uint8_t *der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    scepkit_csr c;
    scepkit_bytes b = {der, len};
    cr_assert_eq(scepkit_csr_parse(b, &c), SCEPKIT_OK);
    cr_assert(bytes_is(c.der, der, len));
    check_full(&c, &p, scepkit_softkey_key(&k.sk), type);
    free(der);
    scepkit_softkey_free(&k.sk);
}

Test(csr, round_trips_with_rsa_2048)
{
    round_trip(SCEPKIT_KEY_RSA, SCEPKIT_MD_NONE);
}

Test(csr, round_trips_with_p256)
{
    round_trip(SCEPKIT_KEY_EC_P256, SCEPKIT_MD_SHA256);
}

Test(csr, round_trips_with_p384_and_sha384)
{
    round_trip(SCEPKIT_KEY_EC_P384, SCEPKIT_MD_SHA384);
}

Test(csr, round_trips_with_p256_and_sha512)
{
    round_trip(SCEPKIT_KEY_EC_P256, SCEPKIT_MD_SHA512);
}

Test(csr, writes_a_minimal_request_and_a_prebuilt_subject)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 3);
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    size_t len = 0;
    uint8_t *der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(c.subject.len, 2); /* empty Name */
    cr_assert_eq(c.attributes.len, 0);
    cr_assert_eq(c.has_challenge, 0);
    cr_assert_eq(c.extensions.len, 0);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_OK);
    free(der);

    static const uint8_t name[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                                   0x04, 0x03, 0x0c, 0x04, 'd',  'e',  'v',  '1'};
    p.subject_der = (scepkit_bytes){name, sizeof name};
    der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert(bytes_is(c.subject, name, sizeof name));
    free(der);
    scepkit_softkey_free(&k.sk);
}

Test(csr, chooses_utf8_for_a_challenge_printable_cannot_hold)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 4);
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.challenge = B("p@ss_w\xc3\xb6rd");
    size_t len = 0;
    uint8_t *der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert(str_is(c.challenge, "p@ss_w\xc3\xb6rd"));
    cr_assert_eq(c.challenge.ptr[-2], SKIT_TAG_UTF8_STRING);
    free(der);

    p.challenge = B("Plain-Secret 1");
    der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(c.challenge.ptr[-2], SKIT_TAG_PRINTABLE_STRING);
    free(der);
    scepkit_softkey_free(&k.sk);
}

Test(csr, challenge_length_is_counted_in_characters)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 5);
    scepkit_arena a;
    scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
    char ch[2 * 256 + 1];
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    size_t need = 0;

    memset(ch, 'a', 256);
    p.challenge = (scepkit_bytes){(const uint8_t *)ch, 256};
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, NULL, 0, &need), SCEPKIT_ERR_CHALLENGE_TOO_LONG);
    p.challenge.len = 255;
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    for (int i = 0; i < 256; i++) {
        ch[2 * i] = (char)0xc3;
        ch[2 * i + 1] = (char)0xa9;
    }
    p.challenge.len = 2 * 255; /* 255 characters, 510 bytes */
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    p.challenge.len = 2 * 256;
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, NULL, 0, &need), SCEPKIT_ERR_CHALLENGE_TOO_LONG);
    cr_assert_eq(a.used, 0);
    scepkit_softkey_free(&k.sk);
}

typedef struct bad_params_case {
    const char *what;
    void (*set)(scepkit_csr_params *p);
    scepkit_err want;
} bad_params_case;

static const uint8_t ip5[5] = {1, 2, 3, 4, 5};
static scepkit_san bad_sans[SCEPKIT_CSR_MAX_SANS + 1];
static scepkit_bytes many_ekus[SCEPKIT_CSR_MAX_EKUS + 1];
static const uint8_t bad_oid[] = {0x2a, 0x80};

static void set_md5(scepkit_csr_params *p)
{
    p->md = SCEPKIT_MD_MD5;
}
static void set_sha1(scepkit_csr_params *p)
{
    p->md = SCEPKIT_MD_SHA1;
}
static void set_bad_md(scepkit_csr_params *p)
{
    p->md = (scepkit_md)42;
}
static void set_ip5(scepkit_csr_params *p)
{
    bad_sans[0] = (scepkit_san){SCEPKIT_SAN_IP, {ip5, sizeof ip5}};
    p->sans = bad_sans;
    p->san_count = 1;
}
static void set_dns_8bit(scepkit_csr_params *p)
{
    bad_sans[0] = (scepkit_san){SCEPKIT_SAN_DNS, B("b\xc3\xa4r.example")};
    p->sans = bad_sans;
    p->san_count = 1;
}
static void set_empty_dns(scepkit_csr_params *p)
{
    bad_sans[0] = (scepkit_san){SCEPKIT_SAN_DNS, {NULL, 0}};
    p->sans = bad_sans;
    p->san_count = 1;
}
static void set_unknown_san(scepkit_csr_params *p)
{
    bad_sans[0] = (scepkit_san){SCEPKIT_SAN_UNKNOWN, B("x")};
    p->sans = bad_sans;
    p->san_count = 1;
}
static void set_too_many_sans(scepkit_csr_params *p)
{
    for (size_t i = 0; i <= SCEPKIT_CSR_MAX_SANS; i++) {
        bad_sans[i] = (scepkit_san){SCEPKIT_SAN_DNS, B("a.example")};
    }
    p->sans = bad_sans;
    p->san_count = SCEPKIT_CSR_MAX_SANS + 1;
}
static void set_too_many_ekus(scepkit_csr_params *p)
{
    for (size_t i = 0; i <= SCEPKIT_CSR_MAX_EKUS; i++) {
        many_ekus[i] = skit_oid_bytes(SKIT_OID_KP_CLIENT_AUTH);
    }
    p->ekus = many_ekus;
    p->eku_count = SCEPKIT_CSR_MAX_EKUS + 1;
}
static void set_bad_eku(scepkit_csr_params *p)
{
    many_ekus[0] = (scepkit_bytes){bad_oid, sizeof bad_oid};
    p->ekus = many_ekus;
    p->eku_count = 1;
}
static void set_bad_ku(scepkit_csr_params *p)
{
    p->key_usage = 1u << 9;
}
static void set_bad_challenge(scepkit_csr_params *p)
{
    p->challenge = B("bad\xff");
}
static void set_bad_subject(scepkit_csr_params *p)
{
    static scepkit_name_attr a[1];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(B("C=USA"), a, 1, &n, NULL, 0), SCEPKIT_OK);
    p->subject = a;
    p->subject_count = n;
}
static void set_bad_subject_der(scepkit_csr_params *p)
{
    static const uint8_t junk[] = {0x30, 0x05, 0x00};
    p->subject_der = (scepkit_bytes){junk, sizeof junk};
}

Test(csr, writer_refuses_bad_parameters_before_signing)
{
    static const bad_params_case cases[] = {
        {"MD5", set_md5, SCEPKIT_ERR_LEGACY_DISABLED},
        {"SHA-1", set_sha1, SCEPKIT_ERR_UNSUPPORTED},
        {"unknown md", set_bad_md, SCEPKIT_ERR_ARG},
        {"IP of 5 bytes", set_ip5, SCEPKIT_ERR_SAN},
        {"8-bit dNSName", set_dns_8bit, SCEPKIT_ERR_SAN},
        {"empty dNSName", set_empty_dns, SCEPKIT_ERR_SAN},
        {"parse-only SAN type", set_unknown_san, SCEPKIT_ERR_SAN},
        {"65 SANs", set_too_many_sans, SCEPKIT_ERR_CSR_TOO_MANY},
        {"17 EKUs", set_too_many_ekus, SCEPKIT_ERR_CSR_TOO_MANY},
        {"malformed EKU OID", set_bad_eku, SCEPKIT_ERR_ARG},
        {"keyUsage bit 9", set_bad_ku, SCEPKIT_ERR_ARG},
        {"challenge not UTF-8", set_bad_challenge, SCEPKIT_ERR_ARG},
        {"C=USA", set_bad_subject, SCEPKIT_ERR_DN_SYNTAX},
        {"subject DER not one element", set_bad_subject_der, SCEPKIT_ERR_ARG},
    };
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 6);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scepkit_csr_params p;
        memset(&p, 0, sizeof p);
        cases[i].set(&p);
        scepkit_arena a;
        scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
        uint8_t out[2048];
        memset(out, 0, sizeof out);
        size_t len = 99;
        scepkit_err e = scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, sizeof out, &len);
        cr_expect_eq(e, cases[i].want, "%s: %s", cases[i].what, scepkit_err_name(e));
        cr_expect_eq(len, 0, "%s", cases[i].what);
        cr_expect_eq(a.used, 0, "%s", cases[i].what);
        for (size_t j = 0; j < sizeof out; j++) {
            cr_assert_eq(out[j], 0, "%s: byte %zu left in out", cases[i].what, j);
        }
    }
    scepkit_softkey_free(&k.sk);
}

/* ---------------------------------------------------------------------------------------------- */
/* openssl interop */

static void run_ok(const char *cmd, char *out, size_t cap)
{
    int rc = ts_run(cmd, out, cap);
    cr_assert_eq(rc, 0, "%s\n%s", cmd, out != NULL ? out : "");
}

static void openssl_reads_ours(scepkit_key_type type)
{
    ts_tmpdir(type == SCEPKIT_KEY_RSA ? "csr_ossl_rsa" : "csr_ossl_ec", tmp_dir, sizeof tmp_dir);
    test_key k;
    key_make(&k, type, 11);
    scepkit_csr_params p;
    scepkit_name_attr subj[8];
    scepkit_san sans[8];
    scepkit_bytes ekus[4];
    full_params(&p, subj, sans, ekus);
    size_t len = 0;
    uint8_t *der = write_csr(&p, scepkit_softkey_key(&k.sk), &len);
    char path[1024];
    char cmd[2048];
    static char text[16384];
    save("ours.der", der, len, path, sizeof path);

    snprintf(cmd, sizeof cmd, "openssl req -inform DER -in '%s' -verify -noout 2>&1", path);
    run_ok(cmd, text, sizeof text);
    cr_assert(strstr(text, "verify OK") != NULL, "%s", text);

    snprintf(cmd, sizeof cmd, "openssl req -inform DER -in '%s' -text -noout 2>&1", path);
    run_ok(cmd, text, sizeof text);
    static const char *want[] = {
        "Subject: CN = dev1, O = Acme, C = US",
        "challengePassword",
        ":secret-123",
        "X509v3 Key Usage: critical",
        "Digital Signature, Key Encipherment",
        "TLS Web Client Authentication, TLS Web Server Authentication",
        "DNS:dev1.example.com",
        "email:ops@example.com",
        "URI:https://example.com/dev1",
        "IP Address:192.0.2.1",
        "IP Address:2001:DB8:0:0:0:0:0:1",
        "UPN::dev1@example.com",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_expect(strstr(text, want[i]) != NULL, "missing '%s' in:\n%s", want[i], text);
    }
    cr_expect(strstr(text, type == SCEPKIT_KEY_RSA ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256") != NULL);
    free(der);
    scepkit_softkey_free(&k.sk);
}

Test(csr, openssl_verifies_and_shows_what_we_write_with_rsa)
{
    openssl_reads_ours(SCEPKIT_KEY_RSA);
}

Test(csr, openssl_verifies_and_shows_what_we_write_with_p256)
{
    openssl_reads_ours(SCEPKIT_KEY_EC_P256);
}

static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "attributes = attrs\n"
                                  "req_extensions = ext\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = host.example.com\n"
                                  "O = Example\n"
                                  "[attrs]\n"
                                  "challengePassword = s3cret-pw\n"
                                  "[ext]\n"
                                  "subjectAltName = DNS:host.example.com, IP:10.1.2.3, email:me@example.com, "
                                  "URI:http://example.com/\n"
                                  "extendedKeyUsage = clientAuth, serverAuth\n"
                                  "keyUsage = critical, digitalSignature, keyEncipherment\n";

/* A CSR from `openssl req -new` with `keyopt` (genpkey options) and `md` ("-sha256"...). */
static uint8_t *openssl_csr(const char *dir_name, const char *keyopt, const char *md, size_t *len)
{
    ts_tmpdir(dir_name, tmp_dir, sizeof tmp_dir);
    char path[1024];
    char cmd[4096];
    char log[4096];
    save("req.cnf", (const uint8_t *)openssl_cnf, strlen(openssl_cnf), path, sizeof path);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl genpkey %s -out k.pem 2>&1 && "
             "openssl req -new -config req.cnf -key k.pem %s -outform DER -out r.der 2>&1",
             tmp_dir, keyopt, md);
    run_ok(cmd, log, sizeof log);
    snprintf(path, sizeof path, "%s/r.der", tmp_dir);
    uint8_t *der = ts_read_file(path, len);
    cr_assert_not_null(der);
    return der;
}

static void check_openssl_csr(const uint8_t *der, size_t len, scepkit_key_type type, size_t bits, scepkit_md md)
{
    scepkit_csr c;
    scepkit_err e = scepkit_csr_parse((scepkit_bytes){der, len}, &c);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    char subject[128];
    size_t n = 0;
    cr_assert_eq(scepkit_name_format(c.subject, subject, sizeof subject, &n), SCEPKIT_OK);
    cr_assert_str_eq(subject, "CN=host.example.com, O=Example");
    cr_assert_eq(c.key_type, type);
    cr_assert_eq(c.key_bits, bits);
    cr_assert_eq(c.has_challenge, 1);
    cr_assert(str_is(c.challenge, "s3cret-pw"));
    cr_assert_eq(c.has_key_usage, 1);
    cr_assert_eq(c.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT);
    cr_assert_eq(c.sig_md, md);

    static const uint8_t ip[4] = {10, 1, 2, 3};
    const scepkit_san want[] = {{SCEPKIT_SAN_DNS, B("host.example.com")},
                                {SCEPKIT_SAN_IP, {ip, 4}},
                                {SCEPKIT_SAN_EMAIL, B("me@example.com")},
                                {SCEPKIT_SAN_URI, B("http://example.com/")}};
    scepkit_csr_iter it = {{NULL, 0}, 0};
    scepkit_san san;
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(scepkit_csr_next_san(&c, &it, &san), SCEPKIT_OK);
        cr_assert_eq(san.type, want[i].type);
        cr_assert(bytes_is(san.value, want[i].value.ptr, want[i].value.len));
    }
    cr_assert_eq(scepkit_csr_next_san(&c, &it, &san), SCEPKIT_ERR_NOT_FOUND);
    scepkit_csr_iter ie = {{NULL, 0}, 0};
    scepkit_bytes oid;
    cr_assert_eq(scepkit_csr_next_eku(&c, &ie, &oid), SCEPKIT_OK);
    cr_assert(oid_is(oid, SKIT_OID_KP_CLIENT_AUTH));
    cr_assert_eq(scepkit_csr_next_eku(&c, &ie, &oid), SCEPKIT_OK);
    cr_assert(oid_is(oid, SKIT_OID_KP_SERVER_AUTH));
    cr_assert_eq(scepkit_csr_next_eku(&c, &ie, &oid), SCEPKIT_ERR_NOT_FOUND);
    e = scepkit_csr_verify(&c, 0);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
}

Test(csr, parses_and_verifies_openssl_rsa_requests)
{
    size_t len = 0;
    uint8_t *der = openssl_csr("csr_from_ossl_rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "-sha256", &len);
    check_openssl_csr(der, len, SCEPKIT_KEY_RSA, 2048, SCEPKIT_MD_SHA256);
    free(der);
}

Test(csr, parses_and_verifies_openssl_ec_requests)
{
    size_t len = 0;
    uint8_t *der = openssl_csr("csr_from_ossl_p256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "-sha256", &len);
    check_openssl_csr(der, len, SCEPKIT_KEY_EC_P256, 256, SCEPKIT_MD_SHA256);
    free(der);
    der = openssl_csr("csr_from_ossl_p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384", "-sha384", &len);
    check_openssl_csr(der, len, SCEPKIT_KEY_EC_P384, 384, SCEPKIT_MD_SHA384);
    free(der);
}

Test(csr, verifies_sha1_requests_from_old_clients)
{
    size_t len = 0;
    uint8_t *der = openssl_csr("csr_from_ossl_sha1", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "-sha1", &len);
    check_openssl_csr(der, len, SCEPKIT_KEY_RSA, 2048, SCEPKIT_MD_SHA1);
    free(der);
}

/* Rewrites the signatureAlgorithm OID (outside the signed part) from shaNWithRSAEncryption to plain
 * rsaEncryption: same length, last byte 0x01. */
static void to_plain_rsa(uint8_t *der, size_t len)
{
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(c.sig_alg_oid.len, 9);
    der[c.sig_alg_oid.ptr - der + 8] = 0x01;
}

Test(csr, verifies_plain_rsa_encryption_from_the_digest_info)
{
    static const char *mds[] = {"-sha256", "-sha1", "-sha512"};
    for (size_t i = 0; i < 3; i++) {
        size_t len = 0;
        uint8_t *der = openssl_csr("csr_plain_rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", mds[i], &len);
        to_plain_rsa(der, len);
        scepkit_csr c;
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
        cr_assert_eq(c.sig_alg, SCEPKIT_SIG_RSA_PKCS1);
        cr_assert_eq(c.sig_md, SCEPKIT_MD_NONE);
        cr_assert(oid_is(c.sig_alg_oid, SKIT_OID_RSA_ENCRYPTION));
        cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_OK, "%s", mds[i]);
        /* and a bad signature is still bad under every candidate digest */
        der[len - 1] ^= 0x01;
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
        cr_assert_eq(scepkit_csr_verify(&c, 1), SCEPKIT_ERR_BAD_SIGNATURE);
        free(der);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Real requests (extracted from SCEP envelopes, see tests/vectors/csr/README.md) */

typedef struct real_csr {
    const char *file;
    const char *subject;
    const char *challenge;
    size_t attributes;
    size_t extensions;
} real_csr;

static const real_csr real_csrs[] = {
    {"certmonger.pkcsreq.csr.der", "CN=cm-vector, O=certmonger", "secret", 3, 2},
    {"micromdm-client.pkcsreq.csr.der", "C=US, O=scep-client, OU=MDM, CN=mm-vector", "secret", 1, 0},
    {"micromdm-client.pkcsreq-wrongchallenge.csr.der", "C=US, O=scep-client, OU=MDM, CN=mm-badchallenge",
     "wrong-challenge", 1, 0},
    {"micromdm-client.renewalreq.csr.der", "C=US, O=scep-client, OU=MDM, CN=mm-vector", "secret", 1, 0},
    {"strongswan-pki.pkcsreq-aes128.csr.der", "C=US, O=strongSwan, CN=ss-aes-vector", "secret", 1, 0},
    {"strongswan-pki.pkcsreq-des3.csr.der", "C=US, O=strongSwan, CN=ss-vector", "secret", 1, 0},
};

Test(csr, parses_and_verifies_the_real_requests)
{
    for (size_t i = 0; i < sizeof real_csrs / sizeof real_csrs[0]; i++) {
        const real_csr *r = &real_csrs[i];
        char name[256];
        snprintf(name, sizeof name, "csr/%s", r->file);
        size_t len = 0;
        uint8_t *der = ts_read_vector(name, &len);
        cr_assert_not_null(der, "%s", name);
        scepkit_csr c;
        scepkit_err e = scepkit_csr_parse((scepkit_bytes){der, len}, &c);
        cr_assert_eq(e, SCEPKIT_OK, "%s: %s", r->file, scepkit_err_name(e));
        char subject[256];
        size_t n = 0;
        cr_assert_eq(scepkit_name_format(c.subject, subject, sizeof subject, &n), SCEPKIT_OK);
        cr_expect_str_eq(subject, r->subject, "%s", r->file);
        cr_expect_eq(c.key_type, SCEPKIT_KEY_RSA, "%s", r->file);
        cr_expect_eq(c.key_bits, 2048, "%s", r->file);
        cr_expect_eq(c.has_challenge, 1);
        cr_expect(str_is(c.challenge, r->challenge), "%s", r->file);
        cr_expect_eq(c.sig_alg, SCEPKIT_SIG_RSA_PKCS1);
        cr_expect_eq(c.sig_md, SCEPKIT_MD_SHA256);
        size_t count = 0;
        scepkit_csr_iter it = {{NULL, 0}, 0};
        scepkit_csr_attribute attr;
        while ((e = scepkit_csr_next_attribute(&c, &it, &attr)) == SCEPKIT_OK) {
            count++;
        }
        cr_expect_eq(e, SCEPKIT_ERR_NOT_FOUND);
        cr_expect_eq(count, r->attributes, "%s", r->file);
        count = 0;
        scepkit_csr_iter ix = {{NULL, 0}, 0};
        scepkit_extension ext;
        while ((e = scepkit_csr_next_extension(&c, &ix, &ext)) == SCEPKIT_OK) {
            count++;
        }
        cr_expect_eq(e, SCEPKIT_ERR_NOT_FOUND);
        cr_expect_eq(count, r->extensions, "%s", r->file);
        e = scepkit_csr_verify(&c, 0);
        cr_expect_eq(e, SCEPKIT_OK, "%s: %s", r->file, scepkit_err_name(e));
        free(der);
    }
}

Test(csr, certmonger_request_verifies_with_plain_rsa_encryption_too)
{
    size_t len = 0;
    uint8_t *der = ts_read_vector("csr/certmonger.pkcsreq.csr.der", &len);
    cr_assert_not_null(der);
    to_plain_rsa(der, len);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(c.sig_md, SCEPKIT_MD_NONE);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_OK);
    /* the extensions of certmonger: basicConstraints (critical) and subjectKeyIdentifier */
    scepkit_csr_iter ix = {{NULL, 0}, 0};
    scepkit_extension ext;
    cr_assert_eq(scepkit_csr_next_extension(&c, &ix, &ext), SCEPKIT_OK);
    cr_assert(oid_is(ext.oid, SKIT_OID_EXT_BASIC_CONSTRAINTS));
    cr_assert_eq(ext.critical, 1);
    static const uint8_t ca_false[] = {0x30, 0x00};
    cr_assert(bytes_is(ext.value, ca_false, 2));
    cr_assert_eq(scepkit_csr_next_extension(&c, &ix, &ext), SCEPKIT_OK);
    cr_assert(oid_is(ext.oid, SKIT_OID_EXT_SUBJECT_KEY_ID));
    cr_assert_eq(ext.critical, 0);
    free(der);
}

/* ---------------------------------------------------------------------------------------------- */
/* Hostile input */

/* A signed P-256 request with everything in it, for mutation tests. */
static uint8_t *sample(size_t *len)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 21);
    scepkit_csr_params p;
    scepkit_name_attr subj[8];
    scepkit_san sans[8];
    scepkit_bytes ekus[4];
    full_params(&p, subj, sans, ekus);
    uint8_t *der = write_csr(&p, scepkit_softkey_key(&k.sk), len);
    scepkit_softkey_free(&k.sk);
    return der;
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

Test(csr, no_prefix_of_a_request_parses)
{
    size_t len = 0;
    uint8_t *der = sample(&len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n + 1);
        memcpy(cut, der, n);
        scepkit_csr c;
        memset(&c, 0xa5, sizeof c);
        scepkit_err e = scepkit_csr_parse((scepkit_bytes){cut, n}, &c);
        cr_assert_neq(e, SCEPKIT_OK, "prefix of %zu bytes parsed", n);
        cr_assert(all_zero(&c, sizeof c), "out not zeroed after an error");
        free(cut);
    }
    free(der);
}

Test(csr, rejects_trailing_bytes_and_overlong_lengths)
{
    size_t len = 0;
    uint8_t *der = sample(&len);
    uint8_t *big = malloc(len + 1);
    memcpy(big, der, len);
    big[len] = 0;
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){big, len + 1}, &c), SCEPKIT_ERR_DER_TRAILING);
    /* outer length one more than there is */
    cr_assert_eq(big[1], 0x82);
    big[3]++;
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){big, len + 1}, &c), SCEPKIT_OK);
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){big, len}, &c), SCEPKIT_OK);
    /* a 9-byte length field */
    static const uint8_t huge[] = {0x30, 0x89, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x30};
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){huge, sizeof huge}, &c), SCEPKIT_OK);
    /* non-minimal length */
    memcpy(big, der, len);
    static const uint8_t nonmin[] = {0x30, 0x81, 0x03, 0x02, 0x01, 0x00};
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){nonmin, sizeof nonmin}, &c), SCEPKIT_OK);
    free(big);
    free(der);
}

Test(csr, survives_a_nesting_bomb)
{
    enum { depth = 5000 };
    uint8_t *bomb = malloc(2 * depth);
    for (size_t i = 0; i < depth; i++) {
        bomb[2 * i] = 0x30;
        bomb[2 * i + 1] = 0x80; /* indefinite: not DER */
    }
    scepkit_csr c;
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){bomb, 2 * depth}, &c), SCEPKIT_OK);
    /* definite lengths, nested to the end: 30 7e 30 7c ... */
    size_t n = 0;
    for (size_t i = 0; i < 63; i++) {
        bomb[n++] = 0x30;
        bomb[n++] = (uint8_t)(124 - 2 * i);
    }
    cr_assert_neq(scepkit_csr_parse((scepkit_bytes){bomb, n}, &c), SCEPKIT_OK);
    free(bomb);
}

/* Offset of the first `pat` inside `der`. */
static size_t find(const uint8_t *der, size_t len, const uint8_t *pat, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(der + i, pat, n) == 0) {
            return i;
        }
    }
    cr_assert_fail("pattern not found");
    return 0;
}

Test(csr, rejects_wrong_tags_and_version_1)
{
    size_t len = 0;
    uint8_t *der = sample(&len);
    scepkit_csr c;
    size_t tbs = 4; /* 30 82 xx xx | 30 82 ... */
    cr_assert_eq(der[tbs], 0x30);
    der[tbs] = 0x31;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_ERR_DER_TAG);
    der[tbs] = 0x30;
    static const uint8_t v0[] = {0x02, 0x01, 0x00};
    size_t v = find(der, len, v0, 3);
    der[v + 2] = 1;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_ERR_CSR_VERSION);
    der[v + 2] = 0;
    der[v] = 0x0a; /* ENUMERATED */
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_ERR_DER_TAG);
    der[v] = 0x02;
    /* attributes [0] replaced by [1] */
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    size_t attrs = (size_t)(c.attributes.ptr - der);
    cr_assert_eq(der[attrs - 3], 0xa0); /* a0 81 xx */
    der[attrs - 3] = 0xa1;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_ERR_DER_TAG);
    free(der);
}

Test(csr, rejects_unknown_signature_algorithms_and_pss)
{
    size_t len = 0;
    uint8_t *der = ts_read_vector("csr/micromdm-client.pkcsreq.csr.der", &len);
    cr_assert_not_null(der);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    size_t last = (size_t)(c.sig_alg_oid.ptr - der) + 8;
    static const uint8_t others[] = {0x0a /* RSASSA-PSS */, 0x0e /* sha224WithRSA */, 0x02 /* md2WithRSA */,
                                     0x07 /* RSAES-OAEP */};
    for (size_t i = 0; i < sizeof others; i++) {
        der[last] = others[i];
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_ERR_UNKNOWN_ALGORITHM, "%02x",
                     others[i]);
    }
    der[last] = 0x0b;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    free(der);
}

Test(csr, a_flipped_bit_fails_verification)
{
    size_t len = 0;
    uint8_t *der = sample(&len);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_OK);
    /* in the signature: r's last byte */
    size_t sig = (size_t)(c.signature.ptr - der);
    der[sig + 5] ^= 0x01;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_BAD_SIGNATURE);
    der[sig + 5] ^= 0x01;
    /* in the signed part: the subject's CN */
    static const uint8_t cn[] = {'d', 'e', 'v', '1', 0x31};
    size_t at = find(der, len, cn, sizeof cn);
    der[at] = 'D';
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_BAD_SIGNATURE);
    free(der);

    /* RSA too */
    der = ts_read_vector("csr/strongswan-pki.pkcsreq-des3.csr.der", &len);
    der[len - 10] ^= 0x80;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_BAD_SIGNATURE);
    free(der);
}

Test(csr, verify_refuses_an_algorithm_that_does_not_fit_the_key)
{
    size_t len = 0;
    uint8_t *der = ts_read_vector("csr/micromdm-client.pkcsreq.csr.der", &len);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    c.sig_alg = SCEPKIT_SIG_ECDSA;
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_ALGORITHM_MISMATCH);
    c.sig_alg = SCEPKIT_SIG_RSA_PKCS1;
    c.sig_md = SCEPKIT_MD_MD5;
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_LEGACY_DISABLED);
    free(der);

    der = sample(&len);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    c.sig_alg = SCEPKIT_SIG_RSA_PKCS1;
    cr_assert_eq(scepkit_csr_verify(&c, 0), SCEPKIT_ERR_ALGORITHM_MISMATCH);
    free(der);
}

/* ---- hand-built requests for attribute/extension grammar (signature not checked by parse) ---- */

static const uint8_t p256_spki[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,
    12,   13,   14,   15,   16,   17,   18,   19,   20,   21,   22,   23,   24,   25,   26,   27,   28,   29,   30,
    31,   32,   33,   34,   35,   36,   37,   38,   39,   40,   41,   42,   43,   44,   45,   46,   47,   48,   49,
    50,   51,   52,   53,   54,   55,   56,   57,   58,   59,   60,   61,   62,   63,   64};

typedef void (*attrs_fn)(skit_derw *w);

/* CertificationRequest with the given attributes; signature ecdsa-with-SHA256 over nothing. */
static size_t build(attrs_fn fn, uint8_t *out, size_t cap)
{
    skit_derw w;
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(&w, 0);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_close(&w);
    skit_derw_raw(&w, p256_spki, sizeof p256_spki);
    skit_derw_open(&w, (uint8_t)SKIT_TAG_CTX_CONS(0));
    fn(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_ECDSA_SHA256));
    skit_derw_close(&w);
    static const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    skit_derw_bits(&w, 0, sig, sizeof sig);
    skit_derw_close(&w);
    size_t len = 0;
    cr_assert_eq(skit_derw_finish(&w, &len), SCEPKIT_OK);
    return len;
}

static void attr_open(skit_derw *w, skit_oid id)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(id));
    skit_derw_open(w, SKIT_TAG_SET);
}

static void attr_close(skit_derw *w)
{
    skit_derw_close(w);
    skit_derw_close(w);
}

static void challenge(skit_derw *w, uint8_t tag, const char *s)
{
    attr_open(w, SKIT_OID_CHALLENGE_PASSWORD);
    skit_derw_tlv(w, tag, (const uint8_t *)s, strlen(s));
    attr_close(w);
}

/* extensionRequest with one extension `id` holding `value` (DER) */
static void ext_req_open(skit_derw *w)
{
    attr_open(w, SKIT_OID_EXTENSION_REQUEST);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
}

static void ext_req_close(skit_derw *w)
{
    skit_derw_close(w);
    attr_close(w);
}

static void ext(skit_derw *w, skit_oid id, int critical, const uint8_t *value, size_t n)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(id));
    if (critical >= 0) {
        skit_derw_bool(w, critical != 0);
    }
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, value, n);
    skit_derw_close(w);
}

static const uint8_t san_dns[] = {0x30, 0x05, 0x82, 0x03, 'a', '.', 'b'};
static const uint8_t san_ip5[] = {0x30, 0x07, 0x87, 0x05, 1, 2, 3, 4, 5};
static const uint8_t san_nul[] = {0x30, 0x05, 0x82, 0x03, 'a', 0, 'b'};
static const uint8_t san_empty[] = {0x30, 0x00};
static const uint8_t san_bad_tag[] = {0x30, 0x03, 0x89, 0x01, 0x00};
static const uint8_t san_upn_int[] = {0x30, 0x13, 0xa0, 0x11, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
                                      0x82, 0x37, 0x14, 0x02, 0x03, 0xa0, 0x03, 0x02, 0x01, 0x05};
static const uint8_t san_other[] = {0x30, 0x0e, 0xa0, 0x0c, 0x06, 0x03, 0x2a, 0x03,
                                    0x04, 0xa0, 0x05, 0x0c, 0x03, 'x',  'y',  'z'};
static const uint8_t ku_ds[] = {0x03, 0x02, 0x07, 0x80};
static const uint8_t ku_bit9[] = {0x03, 0x03, 0x06, 0x00, 0x40};
static const uint8_t eku_ok[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
static const uint8_t eku_int[] = {0x30, 0x03, 0x02, 0x01, 0x00};
static const uint8_t eku_empty[] = {0x30, 0x00};

static void a_none(skit_derw *w)
{
    (void)w;
}
static void a_two_challenges(skit_derw *w)
{
    challenge(w, SKIT_TAG_PRINTABLE_STRING, "a");
    challenge(w, SKIT_TAG_PRINTABLE_STRING, "b");
}
static void a_challenge_two_values(skit_derw *w)
{
    attr_open(w, SKIT_OID_CHALLENGE_PASSWORD);
    skit_derw_tlv(w, SKIT_TAG_PRINTABLE_STRING, (const uint8_t *)"a", 1);
    skit_derw_tlv(w, SKIT_TAG_PRINTABLE_STRING, (const uint8_t *)"b", 1);
    attr_close(w);
}
static void a_challenge_no_value(skit_derw *w)
{
    attr_open(w, SKIT_OID_CHALLENGE_PASSWORD);
    attr_close(w);
}
static void a_challenge_bmp(skit_derw *w)
{
    challenge(w, SKIT_TAG_BMP_STRING, "\x00\x61");
}
static void a_challenge_empty(skit_derw *w)
{
    challenge(w, SKIT_TAG_UTF8_STRING, "");
}
static void a_challenge_not_printable(skit_derw *w)
{
    challenge(w, SKIT_TAG_PRINTABLE_STRING, "a_b");
}
static void a_challenge_t61(skit_derw *w)
{
    challenge(w, SKIT_TAG_T61_STRING, "a_b@c");
}
static void a_challenge_t61_8bit(skit_derw *w)
{
    challenge(w, SKIT_TAG_T61_STRING, "caf\xe9");
}
static void a_challenge_ia5(skit_derw *w)
{
    challenge(w, SKIT_TAG_IA5_STRING, "a_b@c");
}
static void a_challenge_bad_utf8(skit_derw *w)
{
    challenge(w, SKIT_TAG_UTF8_STRING, "a\xff");
}
static void a_challenge_256(skit_derw *w)
{
    char s[257];
    memset(s, 'x', 256);
    s[256] = 0;
    challenge(w, SKIT_TAG_PRINTABLE_STRING, s);
}
static void a_challenge_255(skit_derw *w)
{
    char s[256];
    memset(s, 'x', 255);
    s[255] = 0;
    challenge(w, SKIT_TAG_PRINTABLE_STRING, s);
}
static void a_challenge_nul(skit_derw *w)
{
    attr_open(w, SKIT_OID_CHALLENGE_PASSWORD);
    skit_derw_tlv(w, SKIT_TAG_UTF8_STRING, (const uint8_t *)"a\0b", 3);
    attr_close(w);
}
static void a_two_ext_requests(skit_derw *w)
{
    ext_req_open(w);
    ext(w, SKIT_OID_EXT_KEY_USAGE, 1, ku_ds, sizeof ku_ds);
    ext_req_close(w);
    ext_req_open(w);
    ext(w, SKIT_OID_EXT_EXT_KEY_USAGE, -1, eku_ok, sizeof eku_ok);
    ext_req_close(w);
}
static void a_dup_extension(skit_derw *w)
{
    ext_req_open(w);
    ext(w, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_dns, sizeof san_dns);
    ext(w, SKIT_OID_EXT_KEY_USAGE, 1, ku_ds, sizeof ku_ds);
    ext(w, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_dns, sizeof san_dns);
    ext_req_close(w);
}
#define EXT_CASE(fn, id, crit, val)                                                                                    \
    static void fn(skit_derw *w)                                                                                       \
    {                                                                                                                  \
        ext_req_open(w);                                                                                               \
        ext(w, id, crit, val, sizeof val);                                                                             \
        ext_req_close(w);                                                                                              \
    }
EXT_CASE(a_san_ip5, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_ip5)
EXT_CASE(a_san_nul, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_nul)
EXT_CASE(a_san_empty, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_empty)
EXT_CASE(a_san_bad_tag, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_bad_tag)
EXT_CASE(a_san_upn_int, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_upn_int)
EXT_CASE(a_san_other, SKIT_OID_EXT_SUBJECT_ALT_NAME, -1, san_other)
EXT_CASE(a_ku_bit9, SKIT_OID_EXT_KEY_USAGE, 1, ku_bit9)
EXT_CASE(a_ku_false, SKIT_OID_EXT_KEY_USAGE, 0, ku_ds)
EXT_CASE(a_eku_int, SKIT_OID_EXT_EXT_KEY_USAGE, -1, eku_int)
EXT_CASE(a_eku_empty, SKIT_OID_EXT_EXT_KEY_USAGE, -1, eku_empty)
EXT_CASE(a_unknown_ext, SKIT_OID_EXT_CRL_NUMBER, -1, eku_int)
static void a_ext_request_not_sequence(skit_derw *w)
{
    attr_open(w, SKIT_OID_EXTENSION_REQUEST);
    skit_derw_int64(w, 5);
    attr_close(w);
}
static void a_unknown_attr_empty_set(skit_derw *w)
{
    attr_open(w, SKIT_OID_UNSTRUCTURED_NAME);
    attr_close(w);
}
static void a_unknown_attr(skit_derw *w)
{
    attr_open(w, SKIT_OID_UNSTRUCTURED_NAME);
    skit_derw_tlv(w, SKIT_TAG_UTF8_STRING, (const uint8_t *)"x", 1);
    skit_derw_tlv(w, SKIT_TAG_UTF8_STRING, (const uint8_t *)"y", 1);
    attr_close(w);
}

typedef struct grammar_case {
    const char *what;
    attrs_fn fn;
    scepkit_err want;
} grammar_case;

Test(csr, parse_checks_attribute_and_extension_grammar)
{
    static const grammar_case cases[] = {
        {"no attributes", a_none, SCEPKIT_OK},
        {"two challengePasswords", a_two_challenges, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"challenge with two values", a_challenge_two_values, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"challenge with no value", a_challenge_no_value, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"BMPString challenge", a_challenge_bmp, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"empty challenge", a_challenge_empty, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"'_' in a PrintableString", a_challenge_not_printable, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"7-bit T61String challenge", a_challenge_t61, SCEPKIT_OK},
        {"8-bit T61String challenge", a_challenge_t61_8bit, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"IA5String challenge", a_challenge_ia5, SCEPKIT_OK},
        {"bad UTF-8 challenge", a_challenge_bad_utf8, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"NUL in challenge", a_challenge_nul, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"challenge of 256", a_challenge_256, SCEPKIT_ERR_CHALLENGE_TOO_LONG},
        {"challenge of 255", a_challenge_255, SCEPKIT_OK},
        {"two extensionRequests", a_two_ext_requests, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"duplicate extension", a_dup_extension, SCEPKIT_ERR_CSR_EXTENSION},
        {"SAN IP of 5 bytes", a_san_ip5, SCEPKIT_ERR_CSR_EXTENSION},
        {"SAN dNSName with NUL", a_san_nul, SCEPKIT_ERR_CSR_EXTENSION},
        {"empty GeneralNames", a_san_empty, SCEPKIT_ERR_CSR_EXTENSION},
        {"GeneralName [9]", a_san_bad_tag, SCEPKIT_ERR_CSR_EXTENSION},
        {"UPN holding an INTEGER", a_san_upn_int, SCEPKIT_ERR_CSR_EXTENSION},
        {"other otherName", a_san_other, SCEPKIT_OK},
        {"keyUsage bit 9", a_ku_bit9, SCEPKIT_ERR_CSR_EXTENSION},
        {"explicit critical FALSE", a_ku_false, SCEPKIT_OK},
        {"EKU holding an INTEGER", a_eku_int, SCEPKIT_ERR_CSR_EXTENSION},
        {"empty EKU", a_eku_empty, SCEPKIT_ERR_CSR_EXTENSION},
        {"unknown extension", a_unknown_ext, SCEPKIT_OK},
        {"extensionRequest not Extensions", a_ext_request_not_sequence, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"unknown attribute with empty SET", a_unknown_attr_empty_set, SCEPKIT_ERR_CSR_ATTRIBUTE},
        {"unknown multi-valued attribute", a_unknown_attr, SCEPKIT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t der[1024];
        size_t len = build(cases[i].fn, der, sizeof der);
        scepkit_csr c;
        scepkit_err e = scepkit_csr_parse((scepkit_bytes){der, len}, &c);
        cr_expect_eq(e, cases[i].want, "%s: got %s", cases[i].what, scepkit_err_name(e));
        if (e != SCEPKIT_OK) {
            continue;
        }
        /* whatever parsed iterates to the end without an error */
        scepkit_csr_iter it = {{NULL, 0}, 0};
        scepkit_san san;
        while ((e = scepkit_csr_next_san(&c, &it, &san)) == SCEPKIT_OK) {
        }
        cr_expect_eq(e, SCEPKIT_ERR_NOT_FOUND, "%s", cases[i].what);
        scepkit_csr_iter ix = {{NULL, 0}, 0};
        scepkit_extension x;
        while ((e = scepkit_csr_next_extension(&c, &ix, &x)) == SCEPKIT_OK) {
        }
        cr_expect_eq(e, SCEPKIT_ERR_NOT_FOUND, "%s", cases[i].what);
        /* the hand-made key and signature are not real ones */
        e = scepkit_csr_verify(&c, 0);
        cr_expect(e == SCEPKIT_ERR_KEY_PARSE || e == SCEPKIT_ERR_BAD_SIGNATURE, "%s: %s", cases[i].what,
                  scepkit_err_name(e));
    }
}

Test(csr, reads_the_other_name_and_critical_false_as_documented)
{
    uint8_t der[1024];
    size_t len = build(a_san_other, der, sizeof der);
    scepkit_csr c;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    scepkit_csr_iter it = {{NULL, 0}, 0};
    scepkit_san san;
    cr_assert_eq(scepkit_csr_next_san(&c, &it, &san), SCEPKIT_OK);
    cr_assert_eq(san.type, SCEPKIT_SAN_OTHER);
    cr_assert(bytes_is(san.value, san_other + 2, sizeof san_other - 2));

    len = build(a_ku_false, der, sizeof der);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert_eq(c.has_key_usage, 1);
    cr_assert_eq(c.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE);
    scepkit_csr_iter ix = {{NULL, 0}, 0};
    scepkit_extension x;
    cr_assert_eq(scepkit_csr_next_extension(&c, &ix, &x), SCEPKIT_OK);
    cr_assert_eq(x.critical, 0);

    len = build(a_challenge_t61, der, sizeof der);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){der, len}, &c), SCEPKIT_OK);
    cr_assert(str_is(c.challenge, "a_b@c"));
}

/* ---------------------------------------------------------------------------------------------- */
/* Memory: arena and output buffer */

static void arena_sizes(scepkit_key_type type)
{
    test_key k;
    key_make(&k, type, 31);
    scepkit_csr_params p;
    scepkit_name_attr subj[8];
    scepkit_san sans[8];
    scepkit_bytes ekus[4];
    full_params(&p, subj, sans, ekus);
    static uint8_t out[4096];
    scepkit_arena a;
    size_t len = 0;

    scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, sizeof out, &len), SCEPKIT_OK);
    size_t need = a.peak;
    cr_assert_leq(need, SCEPKIT_CSR_WRITE_SCRATCH);
    cr_assert_eq(a.used, 0);
    cr_assert(all_zero(arena_mem, sizeof arena_mem), "released scratch is wiped");

    for (size_t cap = 0; cap < need; cap++) {
        memset(out, 0, sizeof out);
        scepkit_arena_init(&a, arena_mem, cap);
        scepkit_err e = scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, sizeof out, &len);
        cr_assert_eq(e, SCEPKIT_ERR_ARENA_EXHAUSTED, "arena of %zu: %s", cap, scepkit_err_name(e));
        cr_assert_eq(a.used, 0);
        cr_assert(all_zero(out, sizeof out));
    }
    scepkit_arena_init(&a, arena_mem, need);
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, sizeof out, &len), SCEPKIT_OK);
    scepkit_softkey_free(&k.sk);
}

Test(csr, every_arena_below_the_need_fails_cleanly_for_p256)
{
    arena_sizes(SCEPKIT_KEY_EC_P256);
}

Test(csr, every_arena_below_the_need_fails_cleanly_for_rsa)
{
    arena_sizes(SCEPKIT_KEY_RSA);
}

Test(csr, a_short_buffer_reports_the_size_and_stays_empty)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P384, 41);
    scepkit_csr_params p;
    scepkit_name_attr subj[8];
    scepkit_san sans[8];
    scepkit_bytes ekus[4];
    full_params(&p, subj, sans, ekus);
    scepkit_arena a;
    scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
    size_t need = 0;
    size_t len = 0;
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = calloc(1, need);
    for (size_t cap = 0; cap < need; cap += (cap < 16 || need - cap < 16) ? 1 : 97) {
        cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, cap, &len),
                     SCEPKIT_ERR_BUFFER_TOO_SMALL);
        cr_assert_eq(len, need);
        cr_assert(all_zero(out, need));
    }
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&k.sk), &a, out, need, &len), SCEPKIT_OK);
    cr_assert_leq(len, need); /* ECDSA: the bound assumed the longest signature */
    cr_assert_geq(len + 2, need);
    free(out);
    scepkit_softkey_free(&k.sk);
}

/* A key port whose sign op fails: the request is wiped, the arena released. */
static scepkit_softkey *failing_inner;
static scepkit_err fk_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    (void)self;
    scepkit_key k = scepkit_softkey_key(failing_inner);
    return k.ops->public_key(k.self, out, cap, len);
}
static scepkit_err fk_sign(void *self, scepkit_md md, const uint8_t *d, size_t dl, uint8_t *sig, size_t cap, size_t *sl)
{
    (void)self;
    (void)md;
    (void)d;
    (void)dl;
    (void)sig;
    (void)cap;
    (void)sl;
    return SCEPKIT_ERR_KEY_WOULD_BLOCK;
}
static const scepkit_key_ops failing_ops = {fk_public, fk_sign, NULL};

Test(csr, a_failing_key_port_leaves_nothing_behind)
{
    test_key k;
    key_make(&k, SCEPKIT_KEY_EC_P256, 51);
    failing_inner = &k.sk;
    scepkit_key fk = {&failing_ops, NULL};
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.challenge = B("top-secret");
    scepkit_arena a;
    scepkit_arena_init(&a, arena_mem, sizeof arena_mem);
    static uint8_t out[2048];
    size_t len = 7;
    cr_assert_eq(scepkit_csr_write(&p, fk, &a, out, sizeof out, &len), SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(len, 0);
    cr_assert(all_zero(out, sizeof out));
    cr_assert_eq(a.used, 0);
    scepkit_key none = {NULL, NULL};
    cr_assert_neq(scepkit_csr_write(&p, none, &a, out, sizeof out, &len), SCEPKIT_OK);
    scepkit_softkey_free(&k.sk);
}
