/* CMS EnvelopedData: our writer opened by `openssl cms -decrypt`, OpenSSL's output (DER, -stream BER, -keyid,
 * OAEP, PWRI, single DES) opened by us, and hostile input: specific errors, no output handed back. */
#include "cms_helpers.h"

static const char secret_text[] = "-----BEGIN CERTIFICATE REQUEST----- pretend PKCS#10, 61 bytes";

typedef struct rcpt_fixture {
    uint8_t *ee, *other, *ec;
    size_t ee_len, other_len, ec_len;
    scepkit_softkey ee_key, other_key;
    ts_det_rng rng;
} rcpt_fixture;

static void rf_load(rcpt_fixture *f)
{
    char path[700];
    memset(f, 0, sizeof *f);
    ts_det_rng_init(&f->rng, 21);
    f->ee = cms_pki_der("ee.der", &f->ee_len);
    f->other = cms_pki_der("other.der", &f->other_len);
    f->ec = cms_pki_der("ec.der", &f->ec_len);
    cms_pki_path("ee.key", path, sizeof path);
    cms_load_key(&f->ee_key, path, ts_det_rng_port(&f->rng));
    cms_pki_path("other.key", path, sizeof path);
    cms_load_key(&f->other_key, path, ts_det_rng_port(&f->rng));
}

static void rf_free(rcpt_fixture *f)
{
    scepkit_softkey_free(&f->ee_key);
    scepkit_softkey_free(&f->other_key);
    free(f->ee);
    free(f->other);
    free(f->ec);
}

static uint8_t *envelope_or_die(const scepkit_cms_enveloped_params *p, size_t *len)
{
    size_t need = 0;
    cr_assert_eq(scepkit_cms_enveloped_write(p, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    scepkit_err err = scepkit_cms_enveloped_write(p, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "enveloped_write: %s", scepkit_err_name(err));
    cr_assert_eq(*len, need);
    return out;
}

static scepkit_err open_with(const uint8_t *env, size_t len, unsigned flags, scepkit_key key, scepkit_bytes cert,
                             scepkit_bytes password, int legacy, uint8_t *out, size_t cap, size_t *got)
{
    ts_det_rng r;
    scepkit_cms_open_params op;
    ts_det_rng_init(&r, 99);
    memset(&op, 0, sizeof op);
    op.key = key;
    op.cert = cert;
    op.password = password;
    op.rng = ts_det_rng_port(&r);
    op.allow_legacy = legacy;
    return scepkit_cms_enveloped_open((scepkit_bytes){env, len}, flags, &op, out, cap, got);
}

static const scepkit_bytes none = {NULL, 0};

Test(cms_enveloped, writer_output_opens_with_openssl_for_every_cipher_and_padding)
{
    static const struct {
        scepkit_cipher cipher;
        scepkit_rsa_pad pad;
        scepkit_md oaep_md;
        int use_ski;
        const char *password;
    } cases[] = {
        {SCEPKIT_CIPHER_NONE, 0, SCEPKIT_MD_NONE, 0, NULL},
        {SCEPKIT_CIPHER_AES192_CBC, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, 0, NULL},
        {SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, 1, NULL},
        {SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, 0, NULL},
        {SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_RSA_OAEP, SCEPKIT_MD_NONE, 0, NULL},
        {SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA1, 0, NULL},
        {SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA512, 0, NULL},
        {SCEPKIT_CIPHER_AES128_CBC, 0, SCEPKIT_MD_NONE, 0, "challenge-pw"},
    };
    char dir[512], path[700], cmd[4096], out[8192];
    rcpt_fixture f;
    rf_load(&f);
    ts_tmpdir("cms_env_openssl", dir, sizeof dir);
    const char *pki = cms_pki_dir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scepkit_cms_recipient r[2];
        scepkit_cms_enveloped_params p;
        size_t len;
        memset(r, 0, sizeof r);
        memset(&p, 0, sizeof p);
        r[0].cert = (scepkit_bytes){f.other, f.other_len};
        r[1].cert = (scepkit_bytes){f.ee, f.ee_len};
        r[1].pad = cases[i].pad;
        r[1].oaep_md = cases[i].oaep_md;
        r[1].use_ski = cases[i].use_ski;
        p.content = scepkit_bytes_str(secret_text);
        p.cipher = cases[i].cipher;
        p.recipients = r;
        p.recipient_count = 2;
        p.rng = ts_det_rng_port(&f.rng);
        if (cases[i].password != NULL) {
            p.password = scepkit_bytes_str(cases[i].password);
            p.pbkdf2_iterations = 2048;
        }
        uint8_t *env = envelope_or_die(&p, &len);
        snprintf(path, sizeof path, "%s/e%zu.der", dir, i);
        cr_assert_eq(ts_write_file(path, env, len), 0);
        snprintf(cmd, sizeof cmd,
                 "openssl cms -decrypt -inform DER -in '%s' -recip '%s/ee.pem' -inkey '%s/ee.key' -binary 2>&1", path,
                 pki, pki);
        cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "case %zu: %s", i, out);
        cr_assert_str_eq(out, secret_text, "case %zu", i);
        if (cases[i].password != NULL) {
            snprintf(cmd, sizeof cmd, "openssl cms -decrypt -inform DER -in '%s' -pwri_password '%s' -binary 2>&1",
                     path, cases[i].password);
            cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "case %zu (password): %s", i, out);
            cr_assert_str_eq(out, secret_text, "case %zu", i);
        }
        /* and scepkit opens its own output for both recipients */
        uint8_t plain[256];
        size_t got;
        cr_assert_eq(
            open_with(env, len, 0, scepkit_softkey_key(&f.ee_key), r[1].cert, none, 0, plain, sizeof plain, &got),
            SCEPKIT_OK, "case %zu", i);
        cr_assert_eq(got, strlen(secret_text));
        cr_assert_eq(memcmp(plain, secret_text, got), 0);
        cr_assert_eq(
            open_with(env, len, 0, scepkit_softkey_key(&f.other_key), r[0].cert, none, 0, plain, sizeof plain, &got),
            SCEPKIT_OK, "case %zu other", i);
        cr_assert_eq(memcmp(plain, secret_text, got), 0);
        if (cases[i].password != NULL) {
            scepkit_key no_key = {NULL, NULL};
            cr_assert_eq(open_with(env, len, 0, no_key, none, p.password, 0, plain, sizeof plain, &got), SCEPKIT_OK);
            cr_assert_eq(memcmp(plain, secret_text, got), 0);
            memset(plain, 0, sizeof plain);
            cr_assert_eq(
                open_with(env, len, 0, no_key, none, scepkit_bytes_str("wrong-pw"), 0, plain, sizeof plain, &got),
                SCEPKIT_ERR_DECRYPT);
            cr_assert_eq(got, 0);
            cr_assert(cms_all_zero(plain, sizeof plain));
        }
        free(env);
    }
    rf_free(&f);
}

Test(cms_enveloped, openssl_envelopes_open_in_every_form)
{
    static const struct {
        const char *opts;
        unsigned flags;
        int legacy;
        int password;
    } cases[] = {
        {"-aes128", 0, 0, 0},
        {"-aes192", 0, 0, 0},
        {"-aes256 -stream", SCEPKIT_CMS_BER, 0, 0},
        {"-des3", 0, 0, 0},
        {"-aes128 -keyid", 0, 0, 0},
        {"-aes256 -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256", 0, 0, 0},
        {"-aes128 -keyopt rsa_padding_mode:oaep", 0, 0, 0},
        {"-des -provider legacy -provider default", 0, 1, 0},
        {"-des -stream -provider legacy -provider default", SCEPKIT_CMS_BER, 1, 0},
        {"-aes128 -pwri_password challenge", 0, 0, 1},
        {"-aes256 -pwri_password challenge -stream", SCEPKIT_CMS_BER, 0, 1},
    };
    char dir[512], path[700], cmd[4096];
    rcpt_fixture f;
    rf_load(&f);
    ts_tmpdir("cms_env_from_openssl", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    cr_assert_eq(ts_write_file(path, (const uint8_t *)secret_text, strlen(secret_text)), 0);
    const char *pki = cms_pki_dir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ep[700];
        size_t len, got;
        snprintf(ep, sizeof ep, "%s/o%zu.der", dir, i);
        if (cases[i].password) {
            snprintf(cmd, sizeof cmd, "openssl cms -encrypt -binary %s -in '%s' -outform DER -out '%s' 2>&1",
                     cases[i].opts, path, ep);
        } else {
            snprintf(cmd, sizeof cmd,
                     "openssl cms -encrypt -binary -in '%s' -recip '%s/ee.pem' %s -outform DER -out '%s' 2>&1", path,
                     pki, cases[i].opts, ep);
        }
        cms_run_ok(cmd);
        uint8_t *env = cms_read_or_die(ep, &len);
        uint8_t plain[256];
        scepkit_bytes cert = {f.ee, f.ee_len};
        scepkit_bytes pw = cases[i].password ? scepkit_bytes_str("challenge") : none;
        scepkit_err err;
        if (cases[i].flags != 0) {
            err = open_with(env, len, 0, scepkit_softkey_key(&f.ee_key), cert, pw, 1, plain, sizeof plain, &got);
            cr_assert_neq(err, SCEPKIT_OK, "case %zu: BER refused in DER mode", i);
        }
        if (cases[i].legacy) {
            memset(plain, 0, sizeof plain);
            err = open_with(env, len, cases[i].flags, scepkit_softkey_key(&f.ee_key), cert, pw, 0, plain, sizeof plain,
                            &got);
            cr_assert_eq(err, SCEPKIT_ERR_LEGACY_DISABLED, "case %zu: %s", i, scepkit_err_name(err));
            cr_assert(cms_all_zero(plain, sizeof plain));
        }
        err = open_with(env, len, cases[i].flags, scepkit_softkey_key(&f.ee_key), cert, pw, cases[i].legacy, plain,
                        sizeof plain, &got);
        cr_assert_eq(err, SCEPKIT_OK, "case %zu (%s): %s", i, cases[i].opts, scepkit_err_name(err));
        cr_assert_eq(got, strlen(secret_text), "case %zu", i);
        cr_assert_eq(memcmp(plain, secret_text, got), 0, "case %zu", i);
        free(env);
    }
    rf_free(&f);
}

Test(cms_enveloped, hostile_envelopes_are_each_a_specific_error_and_hand_nothing_back)
{
    rcpt_fixture f;
    scepkit_cms_recipient r;
    scepkit_cms_enveloped_params p;
    size_t len, got;
    uint8_t plain[256];
    rf_load(&f);
    memset(&r, 0, sizeof r);
    memset(&p, 0, sizeof p);
    r.cert = (scepkit_bytes){f.ee, f.ee_len};
    p.content = scepkit_bytes_str(secret_text);
    p.recipients = &r;
    p.recipient_count = 1;
    p.rng = ts_det_rng_port(&f.rng);
    uint8_t *good = envelope_or_die(&p, &len);
    uint8_t *m = malloc(len + 1);
    scepkit_key key = scepkit_softkey_key(&f.ee_key);
    scepkit_bytes cert = {f.ee, f.ee_len};

#define EXPECT_FAIL(buf, n, k, c, want)                                                                                \
    do {                                                                                                               \
        memset(plain, 0, sizeof plain);                                                                                \
        got = 12345;                                                                                                   \
        scepkit_err e_ = open_with(buf, n, 0, k, c, none, 0, plain, sizeof plain, &got);                               \
        cr_assert_eq(e_, want, "line %d: %s", __LINE__, scepkit_err_name(e_));                                         \
        cr_assert_eq(got, 0, "line %d", __LINE__);                                                                     \
        cr_assert(cms_all_zero(plain, sizeof plain), "line %d: output not wiped", __LINE__);                           \
    } while (0)

    /* wrong key: the unwrap continues with a random key and the content padding fails */
    EXPECT_FAIL(good, len, scepkit_softkey_key(&f.other_key), none, SCEPKIT_ERR_DECRYPT);
    /* a certificate that is not a recipient */
    EXPECT_FAIL(good, len, key, ((scepkit_bytes){f.other, f.other_len}), SCEPKIT_ERR_CMS_NO_RECIPIENT);
    /* bad padding: flip the last ciphertext byte (the padding block) */
    memcpy(m, good, len);
    m[len - 1] ^= 0x01;
    EXPECT_FAIL(m, len, key, cert, SCEPKIT_ERR_DECRYPT);
    /* damaged encrypted key (PKCS#1 v1.5 padding broken): same error as any other decryption failure */
    memcpy(m, good, len);
    static const uint8_t rsa_null[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
                                       0x01, 0x05, 0x00, 0x04, 0x82, 0x01, 0x00};
    uint8_t *ek = NULL;
    for (size_t i = 0; i + sizeof rsa_null <= len; i++) {
        if (memcmp(m + i, rsa_null, sizeof rsa_null) == 0) {
            ek = m + i + sizeof rsa_null;
        }
    }
    cr_assert_not_null(ek);
    ek[0] ^= 0x80;
    EXPECT_FAIL(m, len, key, cert, SCEPKIT_ERR_DECRYPT);
    /* unknown content cipher (aes128-CBC -> aes128-OFB) */
    static const uint8_t aes128[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02};
    memcpy(m, good, len);
    for (size_t i = 0; i + sizeof aes128 <= len; i++) {
        if (memcmp(m + i, aes128, sizeof aes128) == 0) {
            m[i + 8] = 0x03;
        }
    }
    EXPECT_FAIL(m, len, key, cert, SCEPKIT_ERR_UNKNOWN_ALGORITHM);
    /* unknown key-encryption algorithm (rsaEncryption -> 1.2.840.113549.1.1.3) */
    memcpy(m, good, len);
    for (size_t i = 0; i + sizeof rsa_null <= len; i++) {
        if (memcmp(m + i, rsa_null, sizeof rsa_null) == 0) {
            m[i + 8] = 0x03;
        }
    }
    EXPECT_FAIL(m, len, key, cert, SCEPKIT_ERR_UNKNOWN_ALGORITHM);
    /* overlong: a trailing byte */
    memcpy(m, good, len);
    m[len] = 0;
    EXPECT_FAIL(m, len + 1, key, cert, SCEPKIT_ERR_DER_TRAILING);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < len; cut++) {
        memset(plain, 0, sizeof plain);
        got = 1;
        cr_assert_neq(open_with(good, cut, SCEPKIT_CMS_BER, key, cert, none, 0, plain, sizeof plain, &got), SCEPKIT_OK);
        cr_assert_eq(got, 0);
        cr_assert(cms_all_zero(plain, sizeof plain));
    }
    /* a buffer smaller than the ciphertext: the size needed, and no key operation */
    uint8_t small[8];
    cr_assert_eq(open_with(good, len, 0, key, cert, none, 0, small, sizeof small, &got), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(got, 64);
    /* a key port without decrypt */
    scepkit_key_ops no_ops = {NULL, NULL, NULL};
    scepkit_key bare = {&no_ops, NULL};
    EXPECT_FAIL(good, len, bare, cert, SCEPKIT_ERR_KEY_OP_MISSING);
    /* the writer refuses single DES and non-RSA recipients */
    p.cipher = SCEPKIT_CIPHER_DES_CBC;
    cr_assert_eq(scepkit_cms_enveloped_write(&p, m, len, &got), SCEPKIT_ERR_UNSUPPORTED);
    p.cipher = SCEPKIT_CIPHER_NONE;
    r.cert = (scepkit_bytes){f.ec, f.ec_len};
    cr_assert_eq(scepkit_cms_enveloped_write(&p, m, len, &got), SCEPKIT_ERR_KEY_TYPE);
    size_t v1_len;
    uint8_t *v1 = cms_pki_der("v1.der", &v1_len);
    r.cert = (scepkit_bytes){v1, v1_len};
    r.use_ski = 1;
    cr_assert_eq(scepkit_cms_enveloped_write(&p, m, len, &got), SCEPKIT_ERR_X509_EXTENSION);
    /* RNG failure while writing: error, output wiped */
    ts_det_rng bad;
    ts_det_rng_init(&bad, 1);
    bad.fail_after = 0;
    r.use_ski = 0;
    p.rng = ts_det_rng_port(&bad);
    memset(m, 0x77, len);
    cr_assert_eq(scepkit_cms_enveloped_write(&p, m, len, &got), SCEPKIT_ERR_RNG);
    cr_assert(cms_all_zero(m, len));
#undef EXPECT_FAIL
    free(v1);
    free(m);
    free(good);
    rf_free(&f);
}

Test(cms_enveloped, empty_and_block_sized_contents_round_trip)
{
    rcpt_fixture f;
    rf_load(&f);
    static const size_t sizes[] = {0, 1, 15, 16, 17, 1000};
    static uint8_t content[1000];
    for (size_t i = 0; i < sizeof content; i++) {
        content[i] = (uint8_t)(i * 7);
    }
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        scepkit_cms_recipient r;
        scepkit_cms_enveloped_params p;
        size_t len, got;
        memset(&r, 0, sizeof r);
        memset(&p, 0, sizeof p);
        r.cert = (scepkit_bytes){f.ee, f.ee_len};
        p.content = (scepkit_bytes){content, sizes[s]};
        p.recipients = &r;
        p.recipient_count = 1;
        p.rng = ts_det_rng_port(&f.rng);
        p.cipher = SCEPKIT_CIPHER_DES_EDE3_CBC;
        uint8_t *env = envelope_or_die(&p, &len);
        uint8_t out[1024];
        cr_assert_eq(open_with(env, len, 0, scepkit_softkey_key(&f.ee_key), r.cert, none, 0, out, sizeof out, &got),
                     SCEPKIT_OK);
        cr_assert_eq(got, sizes[s]);
        cr_assert_eq(memcmp(out, content, got), 0);
        scepkit_cms_enveloped e;
        cr_assert_eq(scepkit_cms_enveloped_parse((scepkit_bytes){env, len}, 0, &e), SCEPKIT_OK);
        cr_assert_eq(e.encrypted_len, (sizes[s] / 8 + 1) * 8);
        free(env);
    }
    rf_free(&f);
}
