/* The client state blob: round trip, and every corrupt, truncated, foreign or out-of-range blob is refused with
 * a specific error (never SCEPKIT_OK, never a crash). */
#include "client_helpers.h"
#include "fake_scep.h"

#include <time.h>

#define MAXMSG 8192

static ts_det_rng rng;
static scepkit_softkey ca_key, dev_key;
static uint8_t *ca;
static size_t ca_len;
static fake_scep fake;
static uint8_t csr[4096];
static size_t csr_len;
static uint8_t pin[1][32];
static scepkit_client_config cfg;
static scepkit_client cl;
static uint8_t *mem;
static size_t mem_len;
static uint8_t blob[8192];
static size_t blob_len;

/* An engine PENDING after its PKCSReq, and its saved state in `blob`. */
static void setup(void)
{
    ts_det_rng_init(&rng, 7);
    scepkit_rng r = ts_det_rng_port(&rng);
    client_pki_key("ca.key", &ca_key, r);
    client_pki_key("dev.key", &dev_key, r);
    ca = client_pki_file("ca.der", &ca_len);
    fake_scep_init(&fake);
    fake.ca_cert = fake.cacert = fake.enc_cert = fake.sign_cert = (scepkit_bytes){ca, ca_len};
    fake.ca_key = fake.enc_key = fake.sign_key = scepkit_softkey_key(&ca_key);
    fake.rng = r;
    fake_scep_push(&fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&fake, FAKE_SUCCESS, 0, 0);

    scepkit_name_attr attrs[4];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str("CN=state-test"), attrs, 4, &n, NULL, 0), SCEPKIT_OK);
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.subject = attrs;
    p.subject_count = n;
    static uint8_t scratch[SCEPKIT_CSR_WRITE_SCRATCH];
    scepkit_arena a;
    scepkit_arena_init(&a, scratch, sizeof scratch);
    cr_assert_eq(scepkit_csr_write(&p, scepkit_softkey_key(&dev_key), &a, csr, sizeof csr, &csr_len), SCEPKIT_OK);

    client_pki_fingerprint("ca.der", pin[0]);
    memset(&cfg, 0, sizeof cfg);
    cfg.op = SCEPKIT_OP_ENROLL;
    cfg.pins = (const uint8_t(*)[32])pin;
    cfg.pin_count = 1;
    cfg.csr = (scepkit_bytes){csr, csr_len};
    cfg.key = scepkit_softkey_key(&dev_key);
    cfg.rng = r;
    cfg.now = (int64_t)time(NULL);
    cfg.max_message = MAXMSG;
    mem_len = SCEPKIT_CLIENT_MEM_SIZE(MAXMSG);
    mem = malloc(mem_len);
    cr_assert_eq(scepkit_client_init(&cl, &cfg, mem, mem_len), SCEPKIT_OK);
    scepkit_client_status st;
    cr_assert_eq(scepkit_client_run(&cl, fake_scep_transport(&fake), &st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    cr_assert_eq(scepkit_client_save(&cl, blob, sizeof blob, &blob_len), SCEPKIT_OK);
    scepkit_client_free(&cl);
    /* SCEPKIT_DUMP_STATE=DIR writes seeds for fuzz/corpus/state (a fresh engine and a PENDING one) */
    const char *dump = getenv("SCEPKIT_DUMP_STATE");
    if (dump != NULL) {
        char path[1024];
        uint8_t fresh[1024];
        size_t fresh_len = 0;
        cr_assert_eq(scepkit_client_init(&cl, &cfg, mem, mem_len), SCEPKIT_OK);
        cr_assert_eq(scepkit_client_save(&cl, fresh, sizeof fresh, &fresh_len), SCEPKIT_OK);
        scepkit_client_free(&cl);
        snprintf(path, sizeof path, "%s/fresh.cbor", dump);
        cr_assert_eq(ts_write_file(path, fresh, fresh_len), 0);
        snprintf(path, sizeof path, "%s/pending.cbor", dump);
        cr_assert_eq(ts_write_file(path, blob, blob_len), 0);
    }
}

static void teardown(void)
{
    scepkit_client_free(&cl);
    scepkit_softkey_free(&ca_key);
    scepkit_softkey_free(&dev_key);
    free(ca);
    free(mem);
}

static scepkit_err restore(const uint8_t *b, size_t n)
{
    scepkit_client_config c = cfg;
    c.csr = (scepkit_bytes){NULL, 0};
    scepkit_err e = scepkit_client_restore(&cl, &c, mem, mem_len, (scepkit_bytes){b, n});
    scepkit_client_free(&cl);
    return e;
}

/* Rewrites the trailing checksum so a deliberately edited blob gets past it. */
static void fix_sum(uint8_t *b, size_t n)
{
    uint8_t h[32];
    size_t hl = 0;
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){b, n - 16}, h, sizeof h, &hl), SCEPKIT_OK);
    memcpy(b + n - 16, h, 16);
}

TestSuite(client_state, .init = setup, .fini = teardown);

Test(client_state, a_saved_state_restores_and_finishes_the_enrollment)
{
    cr_assert_eq(scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){blob, blob_len}), SCEPKIT_OK);
    scepkit_client_status st;
    cr_assert_eq(scepkit_client_run(&cl, fake_scep_transport(&fake), &st), SCEPKIT_OK);
    cr_expect_eq(st, SCEPKIT_CLIENT_DONE);
    cr_expect_eq(scepkit_client_result_get(&cl)->pki_status, SCEPKIT_STATUS_SUCCESS);
    cr_expect_eq(fake.types[1], SCEPKIT_MSG_CERTPOLL);
}

Test(client_state, save_then_restore_then_save_gives_the_same_bytes)
{
    cr_assert_eq(scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){blob, blob_len}), SCEPKIT_OK);
    uint8_t again[8192];
    size_t n = 0;
    cr_assert_eq(scepkit_client_save(&cl, again, sizeof again, &n), SCEPKIT_OK);
    cr_expect_eq(n, blob_len);
    cr_expect_eq(memcmp(again, blob, n), 0);
    /* too small a buffer: the exact size, and the buffer wiped */
    size_t need = 0;
    cr_expect_eq(scepkit_client_save(&cl, again, n - 1, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_expect_eq(need, n);
}

Test(client_state, every_truncation_is_refused)
{
    for (size_t n = 0; n < blob_len; n++) {
        scepkit_err e = restore(blob, n);
        cr_expect(e == SCEPKIT_ERR_STATE_CORRUPT || e == SCEPKIT_ERR_STATE_FOREIGN || e == SCEPKIT_ERR_STATE_VERSION,
                  "length %zu: %s", n, scepkit_err_name(e));
    }
    uint8_t longer[8200];
    memcpy(longer, blob, blob_len);
    longer[blob_len] = 0;
    cr_expect_eq(restore(longer, blob_len + 1), SCEPKIT_ERR_STATE_CORRUPT, "trailing byte");
}

Test(client_state, every_single_bit_flip_is_refused)
{
    uint8_t b[8192];
    for (size_t i = 0; i < blob_len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(b, blob, blob_len);
            b[i] ^= (uint8_t)(1u << bit);
            scepkit_err e = restore(b, blob_len);
            cr_expect(e == SCEPKIT_ERR_STATE_CORRUPT || e == SCEPKIT_ERR_STATE_FOREIGN ||
                          e == SCEPKIT_ERR_STATE_VERSION,
                      "byte %zu bit %d: %s", i, bit, scepkit_err_name(e));
        }
    }
}

Test(client_state, foreign_and_other_version_blobs_are_told_apart)
{
    struct {
        const char *text;
        scepkit_err want;
    } rows[] = {
        {"", SCEPKIT_ERR_STATE_FOREIGN},
        {"{\"state\": 1}", SCEPKIT_ERR_STATE_FOREIGN},
        {"\x84\x6escepkit-server\x01\xa0\x40", SCEPKIT_ERR_STATE_FOREIGN}, /* another magic */
        {"\x83\x6escepkit-client\x01\xa0", SCEPKIT_ERR_STATE_FOREIGN},     /* array of 3 */
        {"\xa1\x01\x02", SCEPKIT_ERR_STATE_FOREIGN},                       /* a map */
        {"\x84\x6escepkit-client\x02\xa0\x40", SCEPKIT_ERR_STATE_VERSION}, /* version 2 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        scepkit_err e = restore((const uint8_t *)rows[i].text, strlen(rows[i].text));
        cr_expect_eq(e, rows[i].want, "row %zu: %s", i, scepkit_err_name(e));
    }
    /* the blob's own version byte changed to 2 */
    uint8_t b[8192];
    memcpy(b, blob, blob_len);
    cr_assert_eq(b[0], 0x84);
    cr_assert_eq(b[1], 0x6e);
    cr_assert_eq(b[16], 0x01);
    b[16] = 0x02;
    cr_expect_eq(restore(b, blob_len), SCEPKIT_ERR_STATE_VERSION);
}

/* Values that are well-formed CBOR with a good checksum but out of range, or settings the caller refuses. */
Test(client_state, out_of_range_values_and_refused_algorithms_are_rejected_even_with_a_good_checksum)
{
    uint8_t b[8192];
    size_t n = 0;
    struct {
        int phase;
        scepkit_cipher cipher;
        scepkit_md md;
        scepkit_err want;
    } rows[] = {
        {42, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_ERR_STATE_CORRUPT},
        {4, SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_SHA256, SCEPKIT_ERR_STATE_CORRUPT},
        {4, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_MD5, SCEPKIT_ERR_STATE_CORRUPT},
        {4, SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA256, SCEPKIT_ERR_CAPS_CIPHER},
        {4, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA1, SCEPKIT_ERR_CAPS_DIGEST},
        {4, SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_MD_SHA512, SCEPKIT_OK},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cr_assert_eq(scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){blob, blob_len}), SCEPKIT_OK);
        cl.phase = rows[i].phase;
        cl.algs.cipher = rows[i].cipher;
        cl.algs.md = rows[i].md;
        cr_assert_eq(scepkit_client_save(&cl, b, sizeof b, &n), SCEPKIT_OK);
        scepkit_client_free(&cl);
        scepkit_err e = restore(b, n);
        cr_expect_eq(e, rows[i].want, "row %zu: %s", i, scepkit_err_name(e));
    }
    /* another caller's pin */
    pin[0][0] ^= 1;
    cr_expect_eq(restore(blob, blob_len), SCEPKIT_ERR_CA_PIN_MISMATCH);
    pin[0][0] ^= 1;
    /* restored with another key than the one enrolling */
    scepkit_softkey other;
    client_pki_key("other.key", &other, ts_det_rng_port(&rng));
    scepkit_client_config ck = cfg;
    ck.key = scepkit_softkey_key(&other);
    cr_expect_eq(scepkit_client_restore(&cl, &ck, mem, mem_len, (scepkit_bytes){blob, blob_len}),
                 SCEPKIT_ERR_KEY_MISMATCH);
    scepkit_softkey_free(&other);
    /* a blob of another op */
    scepkit_client_config c = cfg;
    c.op = SCEPKIT_OP_RENEW;
    cr_expect_eq(scepkit_client_restore(&cl, &c, mem, mem_len, (scepkit_bytes){blob, blob_len}),
                 SCEPKIT_ERR_STATE_FOREIGN);
    /* an edited byte with the checksum fixed up: the transactionID's first character made unprintable */
    memcpy(b, blob, blob_len);
    uint8_t *t = memmem(b, blob_len, "\x0b\x78\x40", 3); /* key 11, text(64) */
    cr_assert_not_null(t);
    t[3] = 0x01;
    fix_sum(b, blob_len);
    cr_expect_eq(restore(b, blob_len), SCEPKIT_ERR_STATE_CORRUPT);
}

/* A blob saved between GetCACaps and GetCACert goes on to the request without choosing the algorithms again, so
 * the minimums are checked there too; and CA certificates restored in any phase must match the caller's pins. */
Test(client_state, a_blob_saved_before_the_request_cannot_bring_in_weak_algorithms_or_an_unpinned_ca)
{
    uint8_t b[8192];
    size_t n = 0;
    struct {
        int phase;
        scepkit_cipher cipher;
        scepkit_md md;
        scepkit_err want;
    } rows[] = {
        {2, SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA256, SCEPKIT_ERR_CAPS_CIPHER},
        {2, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA1, SCEPKIT_ERR_CAPS_DIGEST},
        {2, SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_SHA256, SCEPKIT_ERR_STATE_CORRUPT},
        {2, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_MD5, SCEPKIT_ERR_STATE_CORRUPT},
        {2, SCEPKIT_CIPHER_NONE, SCEPKIT_MD_NONE, SCEPKIT_ERR_STATE_CORRUPT},
        {2, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_OK},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cr_assert_eq(scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){blob, blob_len}), SCEPKIT_OK);
        cl.phase = rows[i].phase;
        cl.algs.cipher = rows[i].cipher;
        cl.algs.md = rows[i].md;
        cr_assert_eq(scepkit_client_save(&cl, b, sizeof b, &n), SCEPKIT_OK);
        scepkit_client_free(&cl);
        scepkit_err e = restore(b, n);
        cr_expect_eq(e, rows[i].want, "row %zu: %s", i, scepkit_err_name(e));
    }
    /* the CA certificates of a finished or not-yet-requesting blob, restored by a caller with another pin */
    static const int phases[] = {2, 5};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        cr_assert_eq(scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){blob, blob_len}), SCEPKIT_OK);
        cl.phase = phases[i];
        cr_assert_eq(scepkit_client_save(&cl, b, sizeof b, &n), SCEPKIT_OK);
        scepkit_client_free(&cl);
        cr_expect_eq(restore(b, n), SCEPKIT_OK, "phase %d with the right pin", phases[i]);
        pin[0][0] ^= 1;
        scepkit_err e = restore(b, n);
        pin[0][0] ^= 1;
        cr_expect_eq(e, SCEPKIT_ERR_CA_PIN_MISMATCH, "phase %d: %s", phases[i], scepkit_err_name(e));
    }
}
