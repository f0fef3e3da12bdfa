/* Key port: software key parse/generate/write, signatures and decryption checked against openssl, the
 * padding-oracle-free CEK unwrap, and the wrappers' handling of missing and blocking ops. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/crypto_port.h"
#include "test_support.h"

/* ---------------------------------------------------------------------------------------------- */
/* helpers */

static void run_ok(const char *cmd)
{
    char out[4096];
    int st = ts_run(cmd, out, sizeof out);
    cr_assert_eq(st, 0, "command failed (%d): %s\n%s", st, cmd, out);
}

static void write_or_die(const char *path, const uint8_t *data, size_t len)
{
    cr_assert_eq(ts_write_file(path, data, len), 0, "cannot write %s", path);
}

static uint8_t *read_or_die(const char *path, size_t *len)
{
    uint8_t *p = ts_read_file(path, len);
    cr_assert_not_null(p, "cannot read %s", path);
    return p;
}

static const scepkit_bytes no_password = {NULL, 0};

/* Key material made by openssl once per build tree (the keys are throw-away; the stamp avoids regenerating). */
static const char *keydir(void)
{
    static char dir[512];
    char stamp[600], cmd[8192];
    snprintf(dir, sizeof dir, "%s/key_material", SCEPKIT_TEST_TMPDIR);
    snprintf(stamp, sizeof stamp, "%s/done.v2", dir);
    size_t n;
    uint8_t *s = ts_read_file(stamp, &n);
    if (s != NULL) {
        free(s);
        return dir;
    }
    snprintf(cmd, sizeof cmd,
             "set -e; rm -rf '%s.tmp'; mkdir -p '%s.tmp'; cd '%s.tmp';"
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.p8.pem 2>/dev/null;"
             "openssl pkey -in rsa.p8.pem -outform DER -out rsa.p8.der;"
             "openssl rsa -in rsa.p8.pem -traditional -out rsa.p1.pem 2>/dev/null;"
             "openssl rsa -in rsa.p8.pem -traditional -outform DER -out rsa.p1.der 2>/dev/null;"
             "openssl pkcs8 -topk8 -in rsa.p8.pem -v2 des3 -v2prf hmacWithSHA256 -passout pass:s3cret "
             "-out rsa.enc.pem;"
             "openssl pkcs8 -topk8 -in rsa.p8.pem -v2 des3 -v2prf hmacWithSHA256 -passout pass:s3cret -outform DER "
             "-out rsa.enc.der;"
             "openssl pkcs8 -topk8 -in rsa.p8.pem -passout pass:s3cret -out rsa.aes.pem;"
             "openssl pkcs8 -topk8 -in rsa.p8.pem -v2 aes-128-cbc -v2prf hmacWithSHA512 -passout pass:s3cret "
             "-outform DER -out rsa.aes128.der;"
             "openssl pkey -in rsa.p8.pem -pubout -outform DER -out rsa.pub.der;"
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.p8.pem;"
             "openssl ec -in ec256.p8.pem -out ec256.sec1.pem 2>/dev/null;"
             "openssl ec -in ec256.p8.pem -outform DER -out ec256.sec1.der 2>/dev/null;"
             "openssl pkcs8 -topk8 -in ec256.p8.pem -v1 PBE-SHA1-3DES -passout pass:s3cret -out ec256.enc.pem;"
             "openssl pkcs8 -topk8 -in ec256.p8.pem -v2 aes-192-cbc -v2prf hmacWithSHA1 -passout pass:s3cret "
             "-out ec256.aes192.pem;"
             "openssl pkey -in ec256.p8.pem -pubout -outform DER -out ec256.pub.der;"
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.p8.pem;"
             "openssl pkey -in ec384.p8.pem -pubout -outform DER -out ec384.pub.der;"
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec521.p8.pem;"
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.p8.pem 2>/dev/null;"
             "openssl pkey -in rsa1024.p8.pem -pubout -outform DER -out rsa1024.pub.der;"
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out rsa512.p8.pem 2>/dev/null;"
             "openssl pkey -in rsa512.p8.pem -pubout -outform DER -out rsa512.pub.der;"
             "openssl genpkey -algorithm ED25519 -out ed25519.p8.pem;"
             "openssl pkey -in ed25519.p8.pem -pubout -outform DER -out ed25519.pub.der;"
             "cd ..; rm -rf '%s'; mv '%s.tmp' '%s'; touch '%s'",
             dir, dir, dir, dir, dir, dir, stamp);
    run_ok(cmd);
    return dir;
}

static uint8_t *read_key_file(const char *name, size_t *len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", keydir(), name);
    return read_or_die(path, len);
}

static scepkit_err parse_file(scepkit_softkey *sk, const char *name, const char *password, int count_nul)
{
    size_t n = 0;
    uint8_t *buf = read_key_file(name, &n); /* ts_read_file NUL-terminates */
    scepkit_bytes kb = {buf, n + (count_nul ? 1 : 0)};
    scepkit_err err = scepkit_softkey_parse(sk, kb, password != NULL ? scepkit_bytes_str(password) : no_password);
    free(buf);
    return err;
}

static scepkit_err parse_vector(scepkit_softkey *sk, const char *name)
{
    size_t n = 0;
    uint8_t *buf = ts_read_vector(name, &n);
    cr_assert_not_null(buf, "missing vector %s", name);
    scepkit_bytes kb = {buf, n};
    scepkit_err err = scepkit_softkey_parse(sk, kb, no_password);
    free(buf);
    return err;
}

static void expect_public_equals_file(scepkit_softkey *sk, const char *path)
{
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t spki_len = 0, want_len = 0;
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(sk), spki, sizeof spki, &spki_len), SCEPKIT_OK);
    uint8_t *want = read_or_die(path, &want_len);
    cr_assert_eq(spki_len, want_len, "%s", path);
    cr_assert_arr_eq(spki, want, want_len, "%s", path);
    free(want);
}

/* ---------------------------------------------------------------------------------------------- */
/* parse */

struct parse_case {
    const char *file;
    const char *password;
    scepkit_key_type type;
    size_t bits;
    const char *pub; /* expected SPKI, or NULL */
};

static const struct parse_case parse_cases[] = {
    {"rsa.p8.pem", NULL, SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.p8.der", NULL, SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.p1.pem", NULL, SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.p1.der", NULL, SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.enc.pem", "s3cret", SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.enc.der", "s3cret", SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    /* OpenSSL 3's default (PBES2, AES-256-CBC, hmacWithSHA256), and other AES/PRF pairs */
    {"rsa.aes.pem", "s3cret", SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"rsa.aes128.der", "s3cret", SCEPKIT_KEY_RSA, 2048, "rsa.pub.der"},
    {"ec256.aes192.pem", "s3cret", SCEPKIT_KEY_EC_P256, 256, "ec256.pub.der"},
    {"ec256.p8.pem", NULL, SCEPKIT_KEY_EC_P256, 256, "ec256.pub.der"},
    {"ec256.sec1.pem", NULL, SCEPKIT_KEY_EC_P256, 256, "ec256.pub.der"},
    {"ec256.sec1.der", NULL, SCEPKIT_KEY_EC_P256, 256, "ec256.pub.der"},
    {"ec256.enc.pem", "s3cret", SCEPKIT_KEY_EC_P256, 256, "ec256.pub.der"},
    {"ec384.p8.pem", NULL, SCEPKIT_KEY_EC_P384, 384, "ec384.pub.der"},
};

Test(softkey, parses_openssl_keys_in_every_supported_encoding, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 1);
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        int is_ec = c->type != SCEPKIT_KEY_RSA;
        /* PEM must work with and without the NUL counted; for DER the flag makes no difference to the length */
        for (int nul = 0; nul < 2; nul++) {
            scepkit_softkey sk;
            scepkit_softkey_init(&sk, ts_det_rng_port(&r));
            scepkit_err err = parse_file(&sk, c->file, c->password, nul && strstr(c->file, ".pem") != NULL);
            if (is_ec && !SCEPKIT_WITH_ECDSA) {
                cr_assert_eq(err, SCEPKIT_ERR_DISABLED, "%s", c->file);
                scepkit_softkey_free(&sk);
                continue;
            }
            cr_assert_eq(err, SCEPKIT_OK, "%s (nul %d): %s, backend -0x%04x", c->file, nul, scepkit_err_name(err),
                         (unsigned)-scepkit_softkey_backend_error(&sk));
            scepkit_key_type type;
            size_t bits;
            cr_assert_eq(scepkit_softkey_info(&sk, &type, &bits), SCEPKIT_OK);
            cr_assert_eq(type, c->type, "%s", c->file);
            cr_assert_eq(bits, c->bits, "%s", c->file);
            char pub[700];
            snprintf(pub, sizeof pub, "%s/%s", keydir(), c->pub);
            expect_public_equals_file(&sk, pub);
            scepkit_softkey_free(&sk);
            scepkit_softkey_free(&sk);
        }
    }
}

struct bad_parse {
    const char *file;
    const char *password;
    scepkit_err want;
};

static const struct bad_parse bad_parses[] = {
    {"rsa.enc.pem", "wrong", SCEPKIT_ERR_KEY_PARSE}, {"rsa.enc.pem", NULL, SCEPKIT_ERR_KEY_PARSE},
    {"rsa.enc.der", "wrong", SCEPKIT_ERR_KEY_PARSE}, {"rsa.aes.pem", "wrong", SCEPKIT_ERR_KEY_PARSE},
    {"rsa.aes.pem", NULL, SCEPKIT_ERR_KEY_PARSE},    {"rsa.aes128.der", "s3cret!", SCEPKIT_ERR_KEY_PARSE},
    {"rsa.pub.der", NULL, SCEPKIT_ERR_KEY_PARSE},    {"ed25519.p8.pem", NULL, SCEPKIT_ERR_KEY_PARSE},
    {"rsa1024.p8.pem", NULL, SCEPKIT_ERR_KEY_TYPE},
#if SCEPKIT_WITH_ECDSA
    {"ec521.p8.pem", NULL, SCEPKIT_ERR_KEY_TYPE},
#endif
};

Test(softkey, refuses_wrong_passwords_unknown_algorithms_and_small_keys, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 2);
    for (size_t i = 0; i < sizeof bad_parses / sizeof bad_parses[0]; i++) {
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, ts_det_rng_port(&r));
        scepkit_err err = parse_file(&sk, bad_parses[i].file, bad_parses[i].password, 0);
        cr_assert_eq(err, bad_parses[i].want, "%s: %s", bad_parses[i].file, scepkit_err_name(err));
        scepkit_key_type type;
        size_t bits;
        cr_assert_eq(scepkit_softkey_info(&sk, &type, &bits), SCEPKIT_ERR_ARG, "no key left behind");
        scepkit_softkey_free(&sk);
    }
}

/* Index of the contents of the next DER element at `*pos` (short or long length), advancing *pos past it. */
static size_t der_skip(const uint8_t *d, size_t *pos)
{
    size_t i = *pos + 1, len = d[i++];
    if (len & 0x80u) {
        size_t n = len & 0x7fu;
        len = 0;
        while (n-- > 0) {
            len = (len << 8) | d[i++];
        }
    }
    *pos = i + len;
    return i;
}

/* RFC 8017 A.1.2 RSAPrivateKey: version, n, e, d, p, q, dP, dQ, qInv. A key whose CRT values do not match would
 * leak its factors through a faulty signature: every backend must refuse it. */
Test(softkey, refuses_rsa_keys_with_inconsistent_private_values, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 8);
    size_t n = 0;
    uint8_t *der = read_key_file("rsa.p1.der", &n);
    static const char *const names[] = {"d", "p", "q", "dP", "dQ", "qInv"};
    for (size_t field = 3; field <= 8; field++) {
        size_t pos = 0;
        size_t body = der_skip(der, &pos); /* the SEQUENCE */
        pos = body;
        size_t start = 0, end = 0;
        for (size_t k = 0; k <= field; k++) {
            start = der_skip(der, &pos);
            end = pos;
        }
        cr_assert_gt(end, start);
        der[end - 1] ^= 0x02; /* the value stays positive, of the same length, and odd/even as before */
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, ts_det_rng_port(&r));
        cr_assert_eq(scepkit_softkey_parse(&sk, (scepkit_bytes){der, n}, no_password), SCEPKIT_ERR_KEY_PARSE, "%s",
                     names[field - 3]);
        scepkit_key_type type;
        size_t bits;
        cr_assert_eq(scepkit_softkey_info(&sk, &type, &bits), SCEPKIT_ERR_ARG, "no key left behind");
        scepkit_softkey_free(&sk);
        der[end - 1] ^= 0x02;
    }
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_assert_eq(scepkit_softkey_parse(&sk, (scepkit_bytes){der, n}, no_password), SCEPKIT_OK, "the intact key parses");
    scepkit_softkey_free(&sk);
    free(der);
}

/* RFC 5915 ECPrivateKey: version, privateKey, [0] parameters, [1] publicKey. A key whose stored public point is not
 * privateKey*G would publish a key its signatures do not verify under: every backend must refuse it. */
Test(softkey, refuses_ec_keys_whose_public_point_does_not_match, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 9);
    size_t n = 0;
    uint8_t *der = read_key_file("ec256.sec1.der", &n);
    size_t pos = 0;
    pos = der_skip(der, &pos); /* into the SEQUENCE */
    (void)der_skip(der, &pos); /* version */
    size_t d = der_skip(der, &pos);
    cr_assert_eq(pos - d, 32, "privateKey of P-256");
    for (size_t i = 0; i < 32; i += 7) {
        der[d + i] ^= 0x10;
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, ts_det_rng_port(&r));
        cr_assert_eq(scepkit_softkey_parse(&sk, (scepkit_bytes){der, n}, no_password), SCEPKIT_ERR_KEY_PARSE,
                     "privateKey byte %zu flipped", i);
        scepkit_key_type type;
        size_t bits;
        cr_assert_eq(scepkit_softkey_info(&sk, &type, &bits), SCEPKIT_ERR_ARG, "no key left behind");
        scepkit_softkey_free(&sk);
        der[d + i] ^= 0x10;
    }
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_assert_eq(scepkit_softkey_parse(&sk, (scepkit_bytes){der, n}, no_password), SCEPKIT_OK, "the intact key parses");
    scepkit_softkey_free(&sk);
    free(der);
}

Test(softkey, refuses_garbage_and_truncated_input, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 3);
    size_t n = 0, der_len = 0;
    uint8_t *pem = read_key_file("rsa.p8.pem", &n);
    uint8_t *der = read_key_file("rsa.p8.der", &der_len);
    static const uint8_t junk[] = "this is not a key at all";
    static const uint8_t zeros[64] = {0};
    static const uint8_t seq_junk[] = {0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x00};
    const struct {
        const char *what;
        const uint8_t *p;
        size_t len;
    } cases[] = {
        {"text", junk, sizeof junk - 1},
        {"text with NUL", junk, sizeof junk},
        {"zeros", zeros, sizeof zeros},
        {"SEQUENCE with a huge length", seq_junk, sizeof seq_junk},
        {"truncated DER", der, der_len / 2},
        {"truncated PEM", pem, n / 2},
        {"one byte", der, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, ts_det_rng_port(&r));
        scepkit_bytes kb = {cases[i].p, cases[i].len};
        cr_assert_eq(scepkit_softkey_parse(&sk, kb, no_password), SCEPKIT_ERR_KEY_PARSE, "%s", cases[i].what);
        scepkit_softkey_free(&sk);
    }
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    scepkit_bytes empty = {der, 0};
    cr_assert_eq(scepkit_softkey_parse(&sk, empty, no_password), SCEPKIT_ERR_ARG);
    scepkit_softkey_free(&sk);
    scepkit_bytes kb = {der, der_len};
    cr_assert_eq(scepkit_softkey_parse(&sk, kb, no_password), SCEPKIT_ERR_ARG, "parse after free needs init");
    free(der);
    free(pem);
}

Test(softkey, parses_the_captured_scep_keys, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    char cmd[2048], dir[512], pub[600];
    ts_det_rng r;
    ts_det_rng_init(&r, 4);
    const char *const names[] = {"keys/ca.key.pem", "keys/micromdm-client.key.pem", "keys/certmonger.key.pem"};
    for (size_t i = 0; i < 3; i++) {
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, ts_det_rng_port(&r));
        cr_assert_eq(parse_vector(&sk, names[i]), SCEPKIT_OK, "%s", names[i]);
        scepkit_key_type type;
        size_t bits;
        cr_assert_eq(scepkit_softkey_info(&sk, &type, &bits), SCEPKIT_OK);
        cr_assert_eq(type, SCEPKIT_KEY_RSA);
        cr_assert_eq(bits, 2048);
        scepkit_softkey_free(&sk);
    }
    /* the CA key matches the CA certificate */
    ts_tmpdir("softkey_ca", dir, sizeof dir);
    snprintf(pub, sizeof pub, "%s/ca.pub.der", dir);
    snprintf(cmd, sizeof cmd,
             "openssl x509 -in '%s/keys/ca.pem' -noout -pubkey | openssl pkey -pubin -outform DER -out '%s'",
             SCEPKIT_TEST_VECTORS, pub);
    run_ok(cmd);
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_assert_eq(parse_vector(&sk, "keys/ca.key.pem"), SCEPKIT_OK);
    expect_public_equals_file(&sk, pub);
    scepkit_softkey_free(&sk);
}

Test(softkey, free_is_safe_after_init_after_failure_twice_and_on_zeroed_storage)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 5);
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    scepkit_softkey_free(&sk);
    scepkit_softkey_free(&sk);
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    scepkit_bytes junk = scepkit_bytes_str("junk");
    scepkit_err err = scepkit_softkey_parse(&sk, junk, no_password);
    cr_assert_eq(err, SCEPKIT_WITH_SOFTKEY ? SCEPKIT_ERR_KEY_PARSE : SCEPKIT_ERR_DISABLED);
    scepkit_softkey_free(&sk);
    scepkit_softkey_free(&sk);
    scepkit_softkey z;
    memset(&z, 0, sizeof z);
    scepkit_softkey_free(&z);
    scepkit_softkey_free(NULL);
    /* ops on an empty key are refused, not crashes */
    uint8_t buf[64];
    size_t n = 0;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_assert_neq(scepkit_key_public(scepkit_softkey_key(&sk), buf, sizeof buf, &n), SCEPKIT_OK);
    cr_assert_neq(scepkit_softkey_write_pem(&sk, buf, sizeof buf, &n), SCEPKIT_OK);
    scepkit_softkey_free(&sk);
}

/* ---------------------------------------------------------------------------------------------- */
/* generate, write, sign: checked by openssl */

static void check_generated_key(scepkit_key_type type, size_t bits, const char *tag)
{
    char dir[512], cmd[4096], path[600], pubpem[600], pubder[600], msg[600], sigf[600], dg[600];
    ts_det_rng r;
    ts_det_rng_init(&r, 100 + (uint32_t)type);
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    scepkit_err err = scepkit_softkey_generate(&sk, type, bits);
    if (type != SCEPKIT_KEY_RSA && !SCEPKIT_WITH_ECDSA) {
        cr_assert_eq(err, SCEPKIT_ERR_DISABLED);
        scepkit_softkey_free(&sk);
        return;
    }
    cr_assert_eq(err, SCEPKIT_OK, "%s: %s", tag, scepkit_err_name(err));
    scepkit_key_type got_type;
    size_t got_bits;
    cr_assert_eq(scepkit_softkey_info(&sk, &got_type, &got_bits), SCEPKIT_OK);
    cr_assert_eq(got_type, type);

    ts_tmpdir(tag, dir, sizeof dir);

    /* PEM: size query, then the real write; openssl must accept the key */
    size_t need = 0, pem_len = 0;
    cr_assert_eq(scepkit_softkey_write_pem(&sk, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_gt(need, 100);
    uint8_t *pem = malloc(need);
    cr_assert_eq(scepkit_softkey_write_pem(&sk, pem, need - 1, &pem_len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(scepkit_softkey_write_pem(&sk, pem, need, &pem_len), SCEPKIT_OK);
    cr_assert_eq(pem_len, need - 1, "*len excludes the NUL");
    cr_assert_eq(pem[pem_len], 0);
    cr_assert_eq(strlen((char *)pem), pem_len);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    write_or_die(path, pem, pem_len);
    snprintf(cmd, sizeof cmd, "openssl pkey -check -noout -in '%s' 2>&1", path);
    run_ok(cmd);

    /* DER: same key; and parsing our own PEM back gives the same public key */
    size_t der_len = 0;
    cr_assert_eq(scepkit_softkey_write_der(&sk, NULL, 0, &der_len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *der = malloc(der_len);
    cr_assert_eq(scepkit_softkey_write_der(&sk, der, der_len, &der_len), SCEPKIT_OK);
    snprintf(path, sizeof path, "%s/key.der", dir);
    write_or_die(path, der, der_len);
    snprintf(cmd, sizeof cmd, "openssl pkey -check -noout -inform DER -in '%s' 2>&1", path);
    run_ok(cmd);

    snprintf(pubpem, sizeof pubpem, "%s/pub.pem", dir);
    snprintf(pubder, sizeof pubder, "%s/pub.der", dir);
    snprintf(cmd, sizeof cmd,
             "openssl pkey -in '%s/key.pem' -pubout -out '%s' && openssl pkey -in '%s/key.pem' "
             "-pubout -outform DER -out '%s'",
             dir, pubpem, dir, pubder);
    run_ok(cmd);
    expect_public_equals_file(&sk, pubder);

    scepkit_softkey again;
    scepkit_softkey_init(&again, ts_det_rng_port(&r));
    scepkit_bytes pb = {pem, pem_len};
    cr_assert_eq(scepkit_softkey_parse(&again, pb, no_password), SCEPKIT_OK, "our PEM without NUL parses");
    expect_public_equals_file(&again, pubder);
    scepkit_softkey_free(&again);

    /* sign a SHA-256 and a SHA-384 digest; openssl verifies both ways (dgst over the message, pkeyutl over the
     * digest); we verify too, and reject any flipped bit */
    static const char message[] = "scepkit signs this message";
    snprintf(msg, sizeof msg, "%s/msg", dir);
    snprintf(sigf, sizeof sigf, "%s/sig", dir);
    snprintf(dg, sizeof dg, "%s/digest", dir);
    write_or_die(msg, (const uint8_t *)message, strlen(message));
    const scepkit_md mds[] = {SCEPKIT_MD_SHA256, SCEPKIT_MD_SHA384};
    const char *const names[] = {"sha256", "sha384"};
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t spki_len = 0;
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(&sk), spki, sizeof spki, &spki_len), SCEPKIT_OK);
    scepkit_bytes spki_b = {spki, spki_len};
    for (size_t i = 0; i < 2; i++) {
        uint8_t digest[64], sig[SCEPKIT_MAX_SIG_SIZE];
        size_t dlen = scepkit_md_size(mds[i]), sig_len = 0;
        cr_assert_eq(skit_md(mds[i], (const uint8_t *)message, strlen(message), digest), SCEPKIT_OK);
        cr_assert_eq(scepkit_key_sign_digest(scepkit_softkey_key(&sk), mds[i], digest, dlen, sig, sizeof sig, &sig_len),
                     SCEPKIT_OK);
        write_or_die(sigf, sig, sig_len);
        write_or_die(dg, digest, dlen);
        snprintf(cmd, sizeof cmd, "openssl dgst -%s -verify '%s' -signature '%s' '%s' 2>&1", names[i], pubpem, sigf,
                 msg);
        run_ok(cmd);
        snprintf(cmd, sizeof cmd,
                 "openssl pkeyutl -verify -pubin -inkey '%s' -in '%s' -sigfile '%s' -pkeyopt digest:%s 2>&1", pubpem,
                 dg, sigf, names[i]);
        run_ok(cmd);

        scepkit_bytes sb = {sig, sig_len};
        cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen, sb), SCEPKIT_OK);
        for (size_t bit = 0; bit < sig_len * 8; bit += 61) {
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen, sb), SCEPKIT_ERR_BAD_SIGNATURE, "bit %zu",
                         bit);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        digest[0] ^= 1;
        cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen, sb), SCEPKIT_ERR_BAD_SIGNATURE);
        digest[0] ^= 1;
        scepkit_bytes shorter = {sig, sig_len - 1};
        cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen, shorter), SCEPKIT_ERR_BAD_SIGNATURE);
        cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen - 1, sb), SCEPKIT_ERR_ARG);

        /* openssl's signature verifies with us */
        snprintf(cmd, sizeof cmd, "openssl dgst -%s -sign '%s/key.pem' -out '%s' '%s' 2>&1", names[i], dir, sigf, msg);
        run_ok(cmd);
        size_t on = 0;
        uint8_t *osig = read_or_die(sigf, &on);
        scepkit_bytes ob = {osig, on};
        cr_assert_eq(scepkit_verify_digest(spki_b, mds[i], digest, dlen, ob), SCEPKIT_OK);
        free(osig);
    }

    /* MD5 is never signed; a digest of the wrong length is refused */
    uint8_t d16[16] = {0}, sig[SCEPKIT_MAX_SIG_SIZE];
    size_t sl = 0;
    cr_assert_eq(scepkit_key_sign_digest(scepkit_softkey_key(&sk), SCEPKIT_MD_MD5, d16, 16, sig, sizeof sig, &sl),
                 SCEPKIT_ERR_LEGACY_DISABLED);
    cr_assert_eq(scepkit_key_sign_digest(scepkit_softkey_key(&sk), SCEPKIT_MD_SHA256, d16, 16, sig, sizeof sig, &sl),
                 SCEPKIT_ERR_ARG);
    const scepkit_key_ops *ops = scepkit_softkey_key(&sk).ops;
    cr_assert_eq(ops->sign_digest(&sk, SCEPKIT_MD_SHA256, d16, 16, sig, sizeof sig, &sl), SCEPKIT_ERR_ARG,
                 "the op itself checks the length too");
    cr_assert_eq(scepkit_verify_digest(spki_b, SCEPKIT_MD_MD5, d16, 16, spki_b), SCEPKIT_ERR_LEGACY_DISABLED);
    /* a too-small signature buffer reports the size */
    uint8_t d32[32] = {0};
    cr_assert_eq(scepkit_key_sign_digest(scepkit_softkey_key(&sk), SCEPKIT_MD_SHA256, d32, 32, sig, 8, &sl),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_gt(sl, 8);

    free(pem);
    free(der);
    scepkit_softkey_free(&sk);
}

Test(softkey, generated_rsa_2048_is_accepted_by_openssl, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    check_generated_key(SCEPKIT_KEY_RSA, 2048, "gen_rsa2048");
}

Test(softkey, generated_p256_is_accepted_by_openssl, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    check_generated_key(SCEPKIT_KEY_EC_P256, 0, "gen_p256");
}

Test(softkey, generated_p384_is_accepted_by_openssl, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    check_generated_key(SCEPKIT_KEY_EC_P384, 0, "gen_p384");
}

Test(softkey, generate_refuses_sizes_and_types_outside_the_supported_set, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 6);
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_assert_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_RSA, 1024), SCEPKIT_ERR_KEY_TYPE);
    cr_assert_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_RSA, 2047), SCEPKIT_ERR_KEY_TYPE);
    cr_assert_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_RSA, SCEPKIT_MAX_RSA_BITS + 8), SCEPKIT_ERR_KEY_TYPE);
    cr_assert_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_NONE, 0), SCEPKIT_ERR_KEY_TYPE);
    cr_assert_eq(scepkit_softkey_generate(&sk, (scepkit_key_type)42, 0), SCEPKIT_ERR_KEY_TYPE);
#if SCEPKIT_WITH_ECDSA
    r.fail_after = r.calls;
    cr_assert_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_EC_P256, 0), SCEPKIT_ERR_RNG);
#endif
    scepkit_softkey_free(&sk);
}

Test(verify, refuses_rsa_keys_below_1024_bits_and_non_rsa_ec_keys)
{
    char path[700];
    size_t n = 0;
    uint8_t digest[32] = {0}, sig[128] = {0};
    scepkit_bytes sb = {sig, 64};

    snprintf(path, sizeof path, "%s/rsa512.pub.der", keydir());
    uint8_t *spki = read_or_die(path, &n);
    scepkit_bytes b = {spki, n};
    cr_assert_eq(scepkit_verify_digest(b, SCEPKIT_MD_SHA256, digest, 32, sb), SCEPKIT_ERR_KEY_TYPE);
    scepkit_key_type type;
    size_t bits;
    cr_assert_eq(scepkit_spki_info(b, &type, &bits), SCEPKIT_OK);
    cr_assert_eq(type, SCEPKIT_KEY_RSA);
    cr_assert_eq(bits, 512);
    free(spki);

    snprintf(path, sizeof path, "%s/rsa1024.pub.der", keydir());
    spki = read_or_die(path, &n);
    scepkit_bytes b1024 = {spki, n};
    scepkit_bytes s128 = {sig, 128};
    cr_assert_eq(scepkit_verify_digest(b1024, SCEPKIT_MD_SHA256, digest, 32, s128), SCEPKIT_ERR_BAD_SIGNATURE,
                 "1024 is accepted as a key size (the signature is still wrong)");
    free(spki);

    snprintf(path, sizeof path, "%s/ed25519.pub.der", keydir());
    spki = read_or_die(path, &n);
    scepkit_bytes bed = {spki, n};
    cr_assert_eq(scepkit_verify_digest(bed, SCEPKIT_MD_SHA256, digest, 32, sb), SCEPKIT_ERR_KEY_PARSE);
    cr_assert_eq(scepkit_spki_info(bed, &type, &bits), SCEPKIT_ERR_KEY_PARSE);
    free(spki);

    snprintf(path, sizeof path, "%s/ec384.pub.der", keydir());
    spki = read_or_die(path, &n);
    scepkit_bytes b384 = {spki, n};
    cr_assert_eq(scepkit_spki_info(b384, &type, &bits), SCEPKIT_OK);
    cr_assert_eq(type, SCEPKIT_KEY_EC_P384);
    cr_assert_eq(bits, 384);
    cr_assert_eq(scepkit_verify_digest(b384, SCEPKIT_MD_SHA256, digest, 32, sb),
                 SCEPKIT_WITH_ECDSA ? SCEPKIT_ERR_BAD_SIGNATURE : SCEPKIT_ERR_DISABLED);
    free(spki);

    scepkit_bytes junk = scepkit_bytes_str("junk");
    cr_assert_eq(scepkit_spki_info(junk, &type, &bits), SCEPKIT_ERR_KEY_PARSE);
}

/* Hostile SPKIs: every backend reads the SPKI of every certificate and CSR it checks (the OpenSSL one with its
 * own DER code for RSA and P-256/P-384 first). Truncations and trailing bytes are refused; single-bit damage
 * anywhere gives a refusal or a key of a supported type and size, never a crash or a sanitizer report. */
Test(verify, spki_reading_refuses_truncation_and_trailing_bytes_and_survives_bit_flips)
{
    static const char *const files[] = {"rsa.pub.der", "ec256.pub.der", "ec384.pub.der"};
    uint8_t digest[32] = {0}, sig[96] = {0};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[700];
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s", keydir(), files[f]);
        uint8_t *spki = read_or_die(path, &n);
        uint8_t *buf = malloc(n + 1);
        cr_assert_not_null(buf);
        scepkit_key_type type, want_type;
        size_t bits, want_bits;
        cr_assert_eq(scepkit_spki_info((scepkit_bytes){spki, n}, &want_type, &want_bits), SCEPKIT_OK, "%s", files[f]);
        for (size_t len = 0; len < n; len++) {
            memcpy(buf, spki, len);
            cr_assert_eq(scepkit_spki_info((scepkit_bytes){buf, len}, &type, &bits), SCEPKIT_ERR_KEY_PARSE,
                         "%s cut to %zu bytes", files[f], len);
            cr_assert_eq(scepkit_verify_digest((scepkit_bytes){buf, len}, SCEPKIT_MD_SHA256, digest, 32,
                                               (scepkit_bytes){sig, 64}),
                         SCEPKIT_ERR_KEY_PARSE, "%s cut to %zu bytes", files[f], len);
        }
        memcpy(buf, spki, n);
        buf[n] = 0;
        cr_assert_eq(scepkit_spki_info((scepkit_bytes){buf, n + 1}, &type, &bits), SCEPKIT_ERR_KEY_PARSE,
                     "%s with a trailing byte", files[f]);
        for (size_t i = 0; i < n; i++) {
            for (unsigned m = 0x01; m <= 0x80; m <<= 7) {
                memcpy(buf, spki, n);
                buf[i] ^= (uint8_t)m;
                scepkit_err e = scepkit_spki_info((scepkit_bytes){buf, n}, &type, &bits);
                cr_assert(e == SCEPKIT_OK || e == SCEPKIT_ERR_KEY_PARSE || e == SCEPKIT_ERR_KEY_TYPE,
                          "%s byte %zu ^%02x: %s", files[f], i, m, scepkit_err_name(e));
                if (e == SCEPKIT_OK) {
                    cr_assert(type == want_type, "%s byte %zu ^%02x changed the key type", files[f], i, m);
                    cr_assert(type != SCEPKIT_KEY_RSA || bits <= SCEPKIT_MAX_RSA_BITS);
                    cr_assert(type == SCEPKIT_KEY_RSA || bits == want_bits);
                }
                e = scepkit_verify_digest((scepkit_bytes){buf, n}, SCEPKIT_MD_SHA256, digest, 32,
                                          (scepkit_bytes){sig, want_type == SCEPKIT_KEY_RSA ? 64 : sizeof sig});
                cr_assert(e != SCEPKIT_OK, "%s byte %zu ^%02x: a zero signature verified", files[f], i, m);
            }
        }
        free(buf);
        free(spki);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* CEK unwrap (RFC 3218 §2.3.2) and the wrappers */

static void load_ca(scepkit_softkey *sk, scepkit_rng rng, uint8_t *spki, size_t cap, size_t *spki_len)
{
    scepkit_softkey_init(sk, rng);
    cr_assert_eq(parse_vector(sk, "keys/ca.key.pem"), SCEPKIT_OK);
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(sk), spki, cap, spki_len), SCEPKIT_OK);
}

Test(unwrap_cek, returns_the_real_key_for_a_valid_ciphertext, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 10);
    scepkit_softkey sk;
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE], cek[16], ct[256], out[16];
    size_t spki_len = 0, ct_len = 0;
    load_ca(&sk, ts_det_rng_port(&r), spki, sizeof spki, &spki_len);
    scepkit_bytes sb = {spki, spki_len};
    const scepkit_rsa_pad pads[] = {SCEPKIT_RSA_PKCS1_V15, SCEPKIT_RSA_OAEP};
    for (size_t i = 0; i < 2; i++) {
        if (pads[i] == SCEPKIT_RSA_OAEP && !SCEPKIT_WITH_RSA_OAEP) {
            continue;
        }
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), cek, sizeof cek), SCEPKIT_OK);
        cr_assert_eq(skit_rsa_encrypt(sb, ts_det_rng_port(&r), pads[i], SCEPKIT_MD_SHA256, cek, sizeof cek, ct,
                                      sizeof ct, &ct_len),
                     SCEPKIT_OK);
        cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r), pads[i], SCEPKIT_MD_SHA256,
                                            ct, ct_len, out, sizeof out),
                     SCEPKIT_OK);
        cr_assert_arr_eq(out, cek, sizeof cek, "pad %d", (int)pads[i]);
    }
    scepkit_softkey_free(&sk);
}

Test(unwrap_cek, hides_bad_padding_behind_a_random_key, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r, r1, r2;
    ts_det_rng_init(&r, 11);
    ts_det_rng_init(&r1, 1001);
    ts_det_rng_init(&r2, 2002);
    scepkit_softkey sk;
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE], cek[24], ct[256], bad[256], a[16], b[16];
    size_t spki_len = 0, ct_len = 0;
    load_ca(&sk, ts_det_rng_port(&r), spki, sizeof spki, &spki_len);
    scepkit_bytes sb = {spki, spki_len};
    cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), cek, sizeof cek), SCEPKIT_OK);
    cr_assert_eq(skit_rsa_encrypt(sb, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, cek, 16, ct,
                                  sizeof ct, &ct_len),
                 SCEPKIT_OK);

    /* a flipped ciphertext bit decrypts to noise: the padding check fails inside the key */
    memcpy(bad, ct, ct_len);
    bad[100] ^= 0x01;
    uint8_t plain[256];
    size_t plen = 0;
    cr_assert_eq(scepkit_key_decrypt(scepkit_softkey_key(&sk), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, bad, ct_len,
                                     plain, sizeof plain, &plen),
                 SCEPKIT_ERR_DECRYPT, "precondition: the raw decrypt does fail");
    cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r1), SCEPKIT_RSA_PKCS1_V15,
                                        SCEPKIT_MD_NONE, bad, ct_len, a, sizeof a),
                 SCEPKIT_OK);
    cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r2), SCEPKIT_RSA_PKCS1_V15,
                                        SCEPKIT_MD_NONE, bad, ct_len, b, sizeof b),
                 SCEPKIT_OK);
    cr_assert(memcmp(a, cek, 16) != 0, "not the real key");
    cr_assert(memcmp(a, b, 16) != 0, "a fresh random key each time");

    /* what the random key is: the first draw of the rng */
    ts_det_rng replay;
    ts_det_rng_init(&replay, 1001);
    uint8_t first[16];
    cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&replay), first, sizeof first), SCEPKIT_OK);
    cr_assert_arr_eq(a, first, sizeof first, "the random key is drawn first");

    /* a valid ciphertext of the wrong length (16 bytes, 24 expected) gives a random key, not a prefix */
    uint8_t c24[24];
    cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r1), SCEPKIT_RSA_PKCS1_V15,
                                        SCEPKIT_MD_NONE, ct, ct_len, c24, sizeof c24),
                 SCEPKIT_OK);
    cr_assert(memcmp(c24, cek, 16) != 0);

    /* a ciphertext of the wrong length gives a random key too */
    cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r1), SCEPKIT_RSA_PKCS1_V15,
                                        SCEPKIT_MD_NONE, ct, ct_len - 1, a, sizeof a),
                 SCEPKIT_OK);
    cr_assert(memcmp(a, cek, 16) != 0);

    /* OAEP: a v1.5 ciphertext fed as OAEP fails the OAEP check; same treatment */
    if (SCEPKIT_WITH_RSA_OAEP) {
        cr_assert_eq(scepkit_key_unwrap_cek(scepkit_softkey_key(&sk), ts_det_rng_port(&r1), SCEPKIT_RSA_OAEP,
                                            SCEPKIT_MD_SHA256, ct, ct_len, a, sizeof a),
                     SCEPKIT_OK);
        cr_assert(memcmp(a, cek, 16) != 0);
    }
    scepkit_softkey_free(&sk);
}

/* A fake key port: a script of answers. */
typedef struct fake_key {
    scepkit_err answer;
    int calls;
} fake_key;

static scepkit_err fake_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    fake_key *f = self;
    (void)out;
    (void)cap;
    (void)len;
    f->calls++;
    return f->answer;
}

static scepkit_err fake_sign(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                             size_t cap, size_t *sig_len)
{
    fake_key *f = self;
    (void)md;
    (void)digest;
    (void)digest_len;
    (void)sig;
    (void)cap;
    (void)sig_len;
    f->calls++;
    return f->answer;
}

static scepkit_err fake_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    fake_key *f = self;
    (void)pad;
    (void)oaep_md;
    (void)in;
    (void)in_len;
    (void)out;
    (void)cap;
    (void)out_len;
    f->calls++;
    return f->answer;
}

static const scepkit_key_ops fake_ops = {fake_public, fake_sign, fake_decrypt};
static const scepkit_key_ops no_ops = {NULL, NULL, NULL};

Test(key_port, missing_ops_are_reported)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 20);
    uint8_t buf[64], d[32] = {0}, in[256] = {0};
    size_t n = 0;
    scepkit_key nothing = {NULL, NULL};
    scepkit_key empty = {&no_ops, NULL};
    for (int i = 0; i < 2; i++) {
        scepkit_key k = i == 0 ? nothing : empty;
        cr_assert_eq(scepkit_key_public(k, buf, sizeof buf, &n), SCEPKIT_ERR_KEY_OP_MISSING);
        cr_assert_eq(scepkit_key_sign_digest(k, SCEPKIT_MD_SHA256, d, 32, buf, sizeof buf, &n),
                     SCEPKIT_ERR_KEY_OP_MISSING);
        cr_assert_eq(scepkit_key_decrypt(k, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, sizeof buf, &n),
                     SCEPKIT_ERR_KEY_OP_MISSING);
        memset(buf, 0xaa, 16);
        cr_assert_eq(
            scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
            SCEPKIT_ERR_KEY_OP_MISSING);
        for (int j = 0; j < 16; j++) {
            cr_assert_eq(buf[j], 0, "output wiped on error");
        }
    }
}

Test(key_port, would_block_and_other_ciphertext_independent_errors_are_propagated)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 21);
    fake_key f = {SCEPKIT_ERR_KEY_WOULD_BLOCK, 0};
    scepkit_key k = {&fake_ops, &f};
    uint8_t buf[64], d[48] = {0}, in[256] = {0};
    size_t n = 0;
    cr_assert_eq(scepkit_key_public(k, buf, sizeof buf, &n), SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(scepkit_key_sign_digest(k, SCEPKIT_MD_SHA384, d, 48, buf, sizeof buf, &n),
                 SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(scepkit_key_decrypt(k, SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA256, in, 256, buf, sizeof buf, &n),
                 SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(
        scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
        SCEPKIT_ERR_KEY_WOULD_BLOCK);
    cr_assert_eq(f.calls, 4);

    /* the wrapper checks the digest length before calling the port */
    cr_assert_eq(scepkit_key_sign_digest(k, SCEPKIT_MD_SHA384, d, 32, buf, sizeof buf, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(scepkit_key_sign_digest(k, SCEPKIT_MD_NONE, d, 0, buf, sizeof buf, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(f.calls, 4);

    const scepkit_err independent[] = {SCEPKIT_ERR_RNG, SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_BACKEND,
                                       SCEPKIT_ERR_DISABLED};
    for (size_t i = 0; i < sizeof independent / sizeof independent[0]; i++) {
        f.answer = independent[i];
        cr_assert_eq(
            scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
            independent[i]);
    }
    /* but a decryption failure is hidden */
    f.answer = SCEPKIT_ERR_DECRYPT;
    cr_assert_eq(
        scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
        SCEPKIT_OK);
}

Test(key_port, unwrap_reports_rng_failure_and_bad_arguments)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 22);
    fake_key f = {SCEPKIT_OK, 0};
    scepkit_key k = {&fake_ops, &f};
    uint8_t buf[32], in[256] = {0};
    r.fail_after = 0;
    cr_assert_eq(
        scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
        SCEPKIT_ERR_RNG);
    cr_assert_eq(f.calls, 0, "the random key is drawn before the key is used");
    r.fail_after = -1;
    cr_assert_eq(
        scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 0),
        SCEPKIT_ERR_ARG);
    cr_assert_eq(
        scepkit_key_unwrap_cek(k, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, NULL, 16),
        SCEPKIT_ERR_ARG);
    scepkit_rng none = {NULL, NULL};
    cr_assert_eq(scepkit_key_unwrap_cek(k, none, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, in, 256, buf, 16),
                 SCEPKIT_ERR_ARG);
}

Test(softkey, every_truncation_of_an_encrypted_key_is_refused, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 7);
    const char *const files[] = {"rsa.aes128.der", "rsa.enc.der"};
    for (size_t f = 0; f < 2; f++) {
        size_t n = 0;
        uint8_t *der = read_key_file(files[f], &n);
        for (size_t len = 1; len < n; len += (len < 200 ? 1 : 97)) {
            scepkit_softkey sk;
            scepkit_softkey_init(&sk, ts_det_rng_port(&r));
            scepkit_bytes kb = {der, len};
            cr_assert_eq(scepkit_softkey_parse(&sk, kb, scepkit_bytes_str("s3cret")), SCEPKIT_ERR_KEY_PARSE,
                         "%s cut to %zu", files[f], len);
            scepkit_softkey_free(&sk);
        }
        free(der);
    }
}
