/* The SCEP client engine against a scripted fake server (tests/support/fake_scep.c) built from scepkit's own
 * pkiMessage functions: enrollment, PENDING -> CertPoll -> SUCCESS, FAILURE with each failInfo, tampered
 * answers, NDES-style RA certificates, renewal, long GET URLs, poll limits and resumption from a saved state. */
#include "client_helpers.h"
#include "fake_scep.h"

#include <time.h>

#define MAXMSG 16384
#define NOW ((int64_t)time(NULL)) /* the openssl PKI is made "now" */

typedef struct fx {
    ts_det_rng rng;
    scepkit_softkey ca_key, enc_key, sign_key, rogue_key, dev_key, other_key;
    uint8_t *ca, *ra_enc, *ra_sign, *rogue, *ndes, *other_spki;
    size_t ca_len, ra_enc_len, ra_sign_len, rogue_len, ndes_len, other_spki_len;
    fake_scep fake;
    uint8_t *mem;
    size_t mem_len;
    uint8_t csr[16384];
    size_t csr_len;
    uint8_t pin[1][32];
    scepkit_client_config cfg;
    scepkit_client cl;
} fx;

static fx F;

static void make_csr(fx *f, scepkit_softkey *key, size_t extra_sans)
{
    scepkit_name_attr attrs[8];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str("CN=dev1,O=scepkit"), attrs, 8, &n, NULL, 0), SCEPKIT_OK);
    static char names[SCEPKIT_CSR_MAX_SANS][80];
    scepkit_san sans[SCEPKIT_CSR_MAX_SANS];
    for (size_t i = 0; i < extra_sans && i < SCEPKIT_CSR_MAX_SANS; i++) {
        snprintf(names[i], sizeof names[i], "host-%02zu.a-rather-long-subdomain-name-for-testing.example.test", i);
        sans[i].type = SCEPKIT_SAN_DNS;
        sans[i].value = scepkit_bytes_str(names[i]);
    }
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.subject = attrs;
    p.subject_count = n;
    p.challenge = scepkit_bytes_str("secret");
    p.sans = sans;
    p.san_count = extra_sans;
    static uint8_t scratch[SCEPKIT_CSR_WRITE_SCRATCH];
    scepkit_arena a;
    scepkit_arena_init(&a, scratch, sizeof scratch);
    scepkit_err e = scepkit_csr_write(&p, scepkit_softkey_key(key), &a, f->csr, sizeof f->csr, &f->csr_len);
    cr_assert_eq(e, SCEPKIT_OK, "csr: %s", scepkit_err_name(e));
}

static void setup_fx(fx *f, int ndes)
{
    memset(f, 0, sizeof *f);
    ts_det_rng_init(&f->rng, 42);
    scepkit_rng rng = ts_det_rng_port(&f->rng);
    client_pki_key("ca.key", &f->ca_key, rng);
    client_pki_key("ra_enc.key", &f->enc_key, rng);
    client_pki_key("ra_sign.key", &f->sign_key, rng);
    client_pki_key("rogue_ca.key", &f->rogue_key, rng);
    client_pki_key("dev.key", &f->dev_key, rng);
    client_pki_key("other.key", &f->other_key, rng);
    f->ca = client_pki_file("ca.der", &f->ca_len);
    f->ra_enc = client_pki_file("ra_enc.der", &f->ra_enc_len);
    f->ra_sign = client_pki_file("ra_sign.der", &f->ra_sign_len);
    f->rogue = client_pki_file("rogue_ca.der", &f->rogue_len);
    f->ndes = client_pki_file("ndes.p7b", &f->ndes_len);
    f->other_spki = client_pki_file("other.spki.der", &f->other_spki_len);

    fake_scep *s = &f->fake;
    fake_scep_init(s);
    s->ca_cert = (scepkit_bytes){f->ca, f->ca_len};
    s->ca_key = scepkit_softkey_key(&f->ca_key);
    if (ndes) {
        s->cacert = (scepkit_bytes){f->ndes, f->ndes_len};
        s->cacert_ct = SCEPKIT_CT_CA_RA_CERT;
        s->enc_cert = (scepkit_bytes){f->ra_enc, f->ra_enc_len};
        s->enc_key = scepkit_softkey_key(&f->enc_key);
        s->sign_cert = (scepkit_bytes){f->ra_sign, f->ra_sign_len};
        s->sign_key = scepkit_softkey_key(&f->sign_key);
    } else {
        s->cacert = s->ca_cert;
        s->enc_cert = s->ca_cert;
        s->enc_key = s->ca_key;
        s->sign_cert = s->ca_cert;
        s->sign_key = s->ca_key;
    }
    s->rogue_cert = (scepkit_bytes){f->rogue, f->rogue_len};
    s->rogue_key = scepkit_softkey_key(&f->rogue_key);
    s->other_spki = (scepkit_bytes){f->other_spki, f->other_spki_len};
    s->rng = rng;

    make_csr(f, &f->dev_key, 0);
    client_pki_fingerprint("ca.der", f->pin[0]);
    f->mem_len = SCEPKIT_CLIENT_MEM_SIZE(MAXMSG);
    f->mem = malloc(f->mem_len);
    memset(&f->cfg, 0, sizeof f->cfg);
    f->cfg.op = SCEPKIT_OP_ENROLL;
    f->cfg.pins = (const uint8_t(*)[32])f->pin;
    f->cfg.pin_count = 1;
    f->cfg.csr = (scepkit_bytes){f->csr, f->csr_len};
    f->cfg.key = scepkit_softkey_key(&f->dev_key);
    f->cfg.rng = rng;
    f->cfg.now = NOW;
    f->cfg.max_message = MAXMSG;
}

static void setup_single(void)
{
    setup_fx(&F, 0);
}

static void setup_ndes(void)
{
    setup_fx(&F, 1);
}

static void teardown_fx(void)
{
    fx *f = &F;
    scepkit_client_free(&f->cl);
    scepkit_softkey_free(&f->ca_key);
    scepkit_softkey_free(&f->enc_key);
    scepkit_softkey_free(&f->sign_key);
    scepkit_softkey_free(&f->rogue_key);
    scepkit_softkey_free(&f->dev_key);
    scepkit_softkey_free(&f->other_key);
    free(f->ca);
    free(f->ra_enc);
    free(f->ra_sign);
    free(f->rogue);
    free(f->ndes);
    free(f->other_spki);
    free(f->mem);
}

static scepkit_err run(scepkit_client_status *st)
{
    return scepkit_client_run(&F.cl, fake_scep_transport(&F.fake), st);
}

static void init_ok(void)
{
    scepkit_err e = scepkit_client_init(&F.cl, &F.cfg, F.mem, F.mem_len);
    cr_assert_eq(e, SCEPKIT_OK, "init: %s", scepkit_err_name(e));
}

/* The issued certificate is for the dev key and verifies under the CA. */
static void expect_issued_for(scepkit_softkey *key)
{
    const scepkit_client_result *r = scepkit_client_result_get(&F.cl);
    cr_assert_eq(r->pki_status, SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 x, ca;
    cr_assert_eq(scepkit_x509_parse(r->cert, &x), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){F.ca, F.ca_len}, &ca), SCEPKIT_OK);
    cr_expect_eq(scepkit_x509_verify_signature(&x, ca.spki, 0), SCEPKIT_OK);
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t n = 0;
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(key), spki, sizeof spki, &n), SCEPKIT_OK);
    cr_expect(x.spki.len == n && memcmp(x.spki.ptr, spki, n) == 0, "issued for our key");
}

Test(client, enrolls_with_a_single_ca_certificate_over_post, .init = setup_single, .fini = teardown_fx)
{
    init_ok();
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    cr_expect_eq(F.fake.nseen, 1);
    cr_expect_eq(F.fake.types[0], SCEPKIT_MSG_PKCSREQ);
    cr_expect_eq(F.fake.methods[0], SCEPKIT_HTTP_POST);
    cr_expect_eq(F.fake.ciphers[0], SCEPKIT_CIPHER_AES128_CBC);
    cr_expect_eq(F.fake.mds[0], SCEPKIT_MD_SHA256);
    cr_expect_eq(F.fake.open_errors[0], SCEPKIT_OK);
    cr_expect_str_eq(F.fake.tids[0], scepkit_client_transaction_id(&F.cl));
    cr_expect_eq(strlen(F.fake.tids[0]), 64);
    cr_expect_eq(F.fake.exchanges, 3, "caps, CA, PKIOperation");
    /* once done, stepping again is a state error */
    cr_expect_eq(scepkit_client_step(&F.cl, NULL, &st), SCEPKIT_ERR_CLIENT_STATE);
}

Test(client, pending_then_certpoll_until_success_keeps_the_transaction_and_renews_nonces, .init = setup_single,
     .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    cr_expect_eq(scepkit_client_result_get(&F.cl)->pki_status, SCEPKIT_STATUS_PENDING);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    cr_expect_eq(scepkit_client_result_get(&F.cl)->polls, 2);
    cr_assert_eq(F.fake.nseen, 3);
    cr_expect_eq(F.fake.types[0], SCEPKIT_MSG_PKCSREQ);
    cr_expect_eq(F.fake.types[1], SCEPKIT_MSG_CERTPOLL);
    cr_expect_eq(F.fake.types[2], SCEPKIT_MSG_CERTPOLL);
    for (size_t i = 1; i < 3; i++) {
        cr_expect_str_eq(F.fake.tids[i], F.fake.tids[0]);
        cr_expect_neq(memcmp(F.fake.nonces[i], F.fake.nonces[i - 1], SCEPKIT_NONCE_LEN), 0, "fresh nonce %zu", i);
        cr_expect_eq(F.fake.open_errors[i], SCEPKIT_OK);
    }
}

Test(client, failure_reports_each_fail_info_as_data, .init = setup_single, .fini = teardown_fx)
{
    for (int fi = SCEPKIT_FAIL_BAD_ALG; fi <= SCEPKIT_FAIL_BAD_CERT_ID; fi++) {
        F.fake.nscript = 0;
        F.fake.pos = 0;
        fake_scep_push(&F.fake, FAKE_FAILURE, (scepkit_fail_info)fi, 0);
        scepkit_client_free(&F.cl);
        init_ok();
        scepkit_client_status st;
        cr_assert_eq(run(&st), SCEPKIT_OK, "failInfo %d", fi);
        cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
        const scepkit_client_result *r = scepkit_client_result_get(&F.cl);
        cr_expect_eq(r->pki_status, SCEPKIT_STATUS_FAILURE);
        cr_expect_eq(r->fail_info, (scepkit_fail_info)fi);
        cr_expect_str_eq(r->fail_text, "refused by the fake");
        cr_expect_eq(r->cert.len, 0);
    }
}

/* A tampered answer is an error; the engine stays put and the next run sends the request again. */
static void expect_refused_then_recovers(unsigned tamper, scepkit_err want)
{
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, tamper);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_expect_eq(e, want, "tamper %#x: %s, wanted %s", tamper, scepkit_err_name(e), scepkit_err_name(want));
    cr_expect_eq(scepkit_client_result_get(&F.cl)->cert.len, 0);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    cr_expect_eq(F.fake.nseen, 2);
    cr_expect_eq(F.fake.types[1], SCEPKIT_MSG_PKCSREQ, "the PKCSReq is sent again");
    cr_expect_str_eq(F.fake.tids[1], F.fake.tids[0]);
    cr_expect_neq(memcmp(F.fake.nonces[1], F.fake.nonces[0], SCEPKIT_NONCE_LEN), 0);
}

Test(client, a_reply_with_another_recipient_nonce_is_refused, .init = setup_single, .fini = teardown_fx)
{
    expect_refused_then_recovers(FAKE_T_NONCE, SCEPKIT_ERR_SCEP_NONCE_MISMATCH);
}

Test(client, a_reply_with_another_transaction_id_is_refused, .init = setup_single, .fini = teardown_fx)
{
    expect_refused_then_recovers(FAKE_T_TXID, SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH);
}

Test(client, a_certrep_signed_by_the_wrong_key_is_refused, .init = setup_single, .fini = teardown_fx)
{
    /* the rogue CA has the CA's very name: the signer is found by name and fails by signature, or is not found */
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, FAKE_T_SIGNER);
    init_ok();
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_expect(e == SCEPKIT_ERR_BAD_SIGNATURE || e == SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND, "%s", scepkit_err_name(e));
}

Test(client, a_certificate_for_another_key_is_not_accepted, .init = setup_single, .fini = teardown_fx)
{
    expect_refused_then_recovers(FAKE_T_OTHER_KEY, SCEPKIT_ERR_KEY_MISMATCH);
}

Test(client, http_errors_and_closed_connections_leave_the_engine_ready_to_resend, .init = setup_single,
     .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_HTTP_500, 0, 0);
    fake_scep_push(&F.fake, FAKE_CLOSE, 0, 0);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    cr_expect_eq(run(&st), SCEPKIT_ERR_HTTP_STATUS);
    cr_expect_eq(run(&st), SCEPKIT_ERR_TRANSPORT);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    expect_issued_for(&F.dev_key);
}

Test(client, ndes_style_ra_certificates_encrypt_to_the_encryption_ra_and_accept_the_signing_ra, .init = setup_ndes,
     .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    cr_assert_eq(run(&st), SCEPKIT_OK, "%s", scepkit_err_name(F.fake.open_errors[1]));
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    /* the fake decrypts with the RA encryption key only: both requests opened */
    cr_expect_eq(F.fake.open_errors[0], SCEPKIT_OK);
    cr_expect_eq(F.fake.open_errors[1], SCEPKIT_OK);
    scepkit_ca_certs cc;
    cr_assert_eq(scepkit_client_ca_certs(&F.cl, &cc), SCEPKIT_OK);
    cr_expect(cc.ra);
    cr_expect(cc.certs[cc.enc].len == F.ra_enc_len && memcmp(cc.certs[cc.enc].ptr, F.ra_enc, F.ra_enc_len) == 0);
    cr_expect(cc.certs[cc.sign].len == F.ra_sign_len && memcmp(cc.certs[cc.sign].ptr, F.ra_sign, F.ra_sign_len) == 0);
}

Test(client, ndes_replies_signed_by_the_encryption_ra_are_refused, .init = setup_ndes, .fini = teardown_fx)
{
    /* only the signing RA and the CA may sign CertReps */
    F.fake.sign_cert = (scepkit_bytes){F.ra_enc, F.ra_enc_len};
    F.fake.sign_key = scepkit_softkey_key(&F.enc_key);
    init_ok();
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_expect_eq(e, SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND, "%s", scepkit_err_name(e));
}

Test(client, the_ca_must_be_pinned_or_explicitly_trusted, .init = setup_single, .fini = teardown_fx)
{
    scepkit_client_status st;
    F.cfg.pin_count = 0;
    F.cfg.pins = NULL;
    init_ok();
    cr_expect_eq(run(&st), SCEPKIT_ERR_CA_UNPINNED);
    cr_expect_eq(F.fake.nseen, 0, "nothing sent to an untrusted CA");
    scepkit_client_free(&F.cl);
    F.pin[0][5] ^= 1;
    F.cfg.pins = (const uint8_t(*)[32])F.pin;
    F.cfg.pin_count = 1;
    init_ok();
    cr_expect_eq(run(&st), SCEPKIT_ERR_CA_PIN_MISMATCH);
    cr_expect_eq(F.fake.nseen, 0);
    scepkit_client_free(&F.cl);
    F.cfg.pin_count = 0;
    F.cfg.pins = NULL;
    F.cfg.allow_unpinned = 1;
    init_ok();
    cr_expect_eq(run(&st), SCEPKIT_OK);
    cr_expect_eq(st, SCEPKIT_CLIENT_DONE);
}

Test(client, a_server_without_caps_gets_nothing_below_the_minimum_and_des3_sha1_when_allowed, .init = setup_single,
     .fini = teardown_fx)
{
    F.fake.caps_close = 1; /* very old NDES closes the connection on GetCACaps */
    scepkit_client_status st;
    init_ok();
    cr_expect_eq(run(&st), SCEPKIT_ERR_CAPS_CIPHER);
    cr_expect_eq(F.fake.nseen, 0);
    scepkit_client_free(&F.cl);
    F.cfg.policy.min_cipher = SCEPKIT_CIPHER_DES_EDE3_CBC;
    F.cfg.policy.min_md = SCEPKIT_MD_SHA1;
    init_ok();
    cr_assert_eq(run(&st), SCEPKIT_OK);
    int known = 0;
    cr_expect_eq(scepkit_client_caps(&F.cl, &known), 0);
    cr_expect(known);
    cr_expect_eq(F.fake.ciphers[0], SCEPKIT_CIPHER_DES_EDE3_CBC);
    cr_expect_eq(F.fake.mds[0], SCEPKIT_MD_SHA1);
    cr_expect_eq(F.fake.methods[0], SCEPKIT_HTTP_GET, "no POSTPKIOperation: GET");
    expect_issued_for(&F.dev_key);
}

Test(client, a_get_url_longer_than_8_kb_is_built_and_understood, .init = setup_single, .fini = teardown_fx)
{
    make_csr(&F, &F.dev_key, SCEPKIT_CSR_MAX_SANS);
    F.cfg.csr = (scepkit_bytes){F.csr, F.csr_len};
    F.cfg.policy.force_get = 1;
    init_ok();
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_expect_eq(F.fake.methods[0], SCEPKIT_HTTP_GET);
    cr_expect_gt(F.fake.max_query_len, 8192, "query of %zu bytes", F.fake.max_query_len);
    expect_issued_for(&F.dev_key);
}

Test(client, a_request_larger_than_max_message_is_refused_locally, .init = setup_single, .fini = teardown_fx)
{
    make_csr(&F, &F.dev_key, SCEPKIT_CSR_MAX_SANS);
    F.cfg.csr = (scepkit_bytes){F.csr, F.csr_len};
    F.cfg.max_message = 4096;
    F.mem_len = SCEPKIT_CLIENT_MEM_SIZE(4096);
    init_ok();
    scepkit_client_status st;
    cr_expect_eq(run(&st), SCEPKIT_ERR_REQUEST_TOO_LARGE);
    cr_expect_eq(F.fake.nseen, 0);
}

Test(client, the_poll_limit_ends_the_session_still_pending, .init = setup_single, .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    F.cfg.max_polls = 2;
    init_ok();
    scepkit_client_status st;
    unsigned pendings = 0;
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(run(&st), SCEPKIT_OK);
        if (st == SCEPKIT_CLIENT_DONE) {
            break;
        }
        pendings++;
    }
    cr_expect_eq(st, SCEPKIT_CLIENT_DONE);
    cr_expect_eq(pendings, 3, "PKCSReq and two CertPolls said PENDING");
    const scepkit_client_result *r = scepkit_client_result_get(&F.cl);
    cr_expect_eq(r->pki_status, SCEPKIT_STATUS_PENDING);
    cr_expect_eq(r->polls, 2);
    cr_expect_eq(F.fake.nseen, 3);
}

Test(client, an_engine_resumes_polling_from_a_saved_state_with_the_same_transaction, .init = setup_single,
     .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    char tid[SCEPKIT_TRANSACTION_ID_MAX + 1];
    snprintf(tid, sizeof tid, "%s", scepkit_client_transaction_id(&F.cl));

    size_t need = 0;
    cr_assert_eq(scepkit_client_save(&F.cl, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_expect_leq(need, SCEPKIT_CLIENT_STATE_MAX(MAXMSG));
    uint8_t *blob = malloc(need);
    size_t len = 0;
    cr_assert_eq(scepkit_client_save(&F.cl, blob, need, &len), SCEPKIT_OK);
    cr_expect_eq(len, need);
    cr_expect_lt(len, 3000, "compact: %zu bytes", len);
    scepkit_client_free(&F.cl);

    /* power cycle: a new engine, no CSR, op taken from the blob */
    scepkit_client_config cfg = F.cfg;
    cfg.op = 0;
    cfg.csr = (scepkit_bytes){NULL, 0};
    scepkit_err e = scepkit_client_restore(&F.cl, &cfg, F.mem, F.mem_len, (scepkit_bytes){blob, len});
    cr_assert_eq(e, SCEPKIT_OK, "restore: %s", scepkit_err_name(e));
    cr_expect_str_eq(scepkit_client_transaction_id(&F.cl), tid);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    /* and again, from a state saved after the second answer */
    cr_assert_eq(scepkit_client_save(&F.cl, blob, need, &len), SCEPKIT_OK);
    scepkit_client_free(&F.cl);
    cr_assert_eq(scepkit_client_restore(&F.cl, &cfg, F.mem, F.mem_len, (scepkit_bytes){blob, len}), SCEPKIT_OK);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    cr_expect_eq(scepkit_client_result_get(&F.cl)->polls, 2, "polls counted across sessions");
    cr_assert_eq(F.fake.nseen, 3);
    cr_expect_eq(F.fake.types[1], SCEPKIT_MSG_CERTPOLL);
    cr_expect_eq(F.fake.types[2], SCEPKIT_MSG_CERTPOLL);
    cr_expect_str_eq(F.fake.tids[1], tid);
    cr_expect_str_eq(F.fake.tids[2], tid);
    free(blob);
}

Test(client, a_state_saved_while_a_request_was_outstanding_resends_it_after_restore, .init = setup_single,
     .fini = teardown_fx)
{
    fake_scep_push(&F.fake, FAKE_PENDING, 0, 0);
    fake_scep_push(&F.fake, FAKE_SUCCESS, 0, 0);
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_PENDING);
    /* drive by hand: the CertPoll is built, then the power goes before the answer arrives */
    cr_assert_eq(scepkit_client_step(&F.cl, NULL, &st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_SEND);
    const scepkit_http_request *rq = scepkit_client_request(&F.cl);
    cr_assert_not_null(rq);
    cr_expect_str_eq(rq->operation, "PKIOperation");
    uint8_t blob[8192];
    size_t len = 0;
    cr_assert_eq(scepkit_client_save(&F.cl, blob, sizeof blob, &len), SCEPKIT_OK);
    scepkit_client_free(&F.cl);
    scepkit_client_config cfg = F.cfg;
    cfg.csr = (scepkit_bytes){NULL, 0};
    cr_assert_eq(scepkit_client_restore(&F.cl, &cfg, F.mem, F.mem_len, (scepkit_bytes){blob, len}), SCEPKIT_OK);
    /* a response nobody asked for in this session is refused; stepping without one resends */
    scepkit_http_response bogus;
    memset(&bogus, 0, sizeof bogus);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    expect_issued_for(&F.dev_key);
    cr_expect_eq(scepkit_client_step(&F.cl, &bogus, &st), SCEPKIT_ERR_CLIENT_STATE);
}

Test(client, a_response_without_a_request_is_a_state_error, .init = setup_single, .fini = teardown_fx)
{
    init_ok();
    scepkit_http_response r;
    memset(&r, 0, sizeof r);
    scepkit_client_status st;
    cr_expect_eq(scepkit_client_step(&F.cl, &r, &st), SCEPKIT_ERR_CLIENT_STATE);
    cr_expect_null(scepkit_client_request(&F.cl));
}

Test(client, renewal_uses_renewalreq_signed_by_the_current_certificate, .init = setup_single, .fini = teardown_fx)
{
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    const scepkit_client_result *r = scepkit_client_result_get(&F.cl);
    uint8_t cur[4096];
    size_t cur_len = r->cert.len;
    memcpy(cur, r->cert.ptr, cur_len);
    scepkit_client_free(&F.cl);

    for (int with_renewal_cap = 1; with_renewal_cap >= 0; with_renewal_cap--) {
        F.fake.caps = with_renewal_cap ? "SCEPStandard\nRenewal" : "SCEPStandard";
        size_t before = F.fake.nseen;
        make_csr(&F, &F.other_key, 0); /* a new key */
        F.cfg.op = SCEPKIT_OP_RENEW;
        F.cfg.csr = (scepkit_bytes){F.csr, F.csr_len};
        F.cfg.cert = (scepkit_bytes){cur, cur_len};
        F.cfg.key = scepkit_softkey_key(&F.dev_key); /* the current key signs and decrypts */
        init_ok();
        cr_assert_eq(run(&st), SCEPKIT_OK);
        cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
        expect_issued_for(&F.other_key);
        cr_expect_eq(F.fake.types[before], with_renewal_cap ? SCEPKIT_MSG_RENEWALREQ : SCEPKIT_MSG_PKCSREQ);
        cr_expect(F.fake.last_signer_len == cur_len && memcmp(F.fake.last_signer, cur, cur_len) == 0,
                  "signed by the current certificate");
        scepkit_client_free(&F.cl);
    }
}

Test(client, enrollment_needs_a_csr_for_the_signing_key, .init = setup_single, .fini = teardown_fx)
{
    make_csr(&F, &F.other_key, 0);
    F.cfg.csr = (scepkit_bytes){F.csr, F.csr_len};
    init_ok();
    scepkit_client_status st;
    cr_expect_eq(run(&st), SCEPKIT_ERR_KEY_MISMATCH);
    cr_expect_eq(F.fake.nseen, 0);
}

Test(client, configuration_errors_are_reported_at_init, .init = setup_single, .fini = teardown_fx)
{
    scepkit_client_config c = F.cfg;
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, SCEPKIT_CLIENT_MEM_SIZE(MAXMSG) - 1), SCEPKIT_ERR_ARG);
    c.csr = (scepkit_bytes){NULL, 0};
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_ERR_ARG);
    c = F.cfg;
    c.op = SCEPKIT_OP_RENEW; /* no current certificate */
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_ERR_ARG);
    c = F.cfg;
    c.op = (scepkit_client_op)99;
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_ERR_ARG);
    c = F.cfg;
    c.policy.cipher = SCEPKIT_CIPHER_DES_EDE3_CBC; /* forced below the default minimum */
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_ERR_CAPS_CIPHER);
    c = F.cfg;
    c.key.ops = NULL;
    cr_expect_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_ERR_ARG);
}

Test(client, getcaps_and_getca_need_no_key_and_report_the_server, .init = setup_ndes, .fini = teardown_fx)
{
    scepkit_client_config c;
    memset(&c, 0, sizeof c);
    c.op = SCEPKIT_OP_GETCAPS;
    F.fake.caps = "Renewal\r\nSHA-1\r\nDES3\r\n";
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK, "a server below our minimum can still be asked what it offers");
    cr_expect_eq(st, SCEPKIT_CLIENT_DONE);
    cr_expect_eq(scepkit_client_caps(&F.cl, NULL), SCEPKIT_CAP_RENEWAL | SCEPKIT_CAP_SHA1 | SCEPKIT_CAP_DES3);
    cr_expect_eq(F.fake.exchanges, 1);
    scepkit_client_free(&F.cl);
    c.op = SCEPKIT_OP_GETCA;
    c.ca_ident = "NDES CA/1";
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    cr_assert_eq(run(&st), SCEPKIT_OK);
    scepkit_ca_certs cc;
    cr_assert_eq(scepkit_client_ca_certs(&F.cl, &cc), SCEPKIT_OK);
    cr_expect_eq(cc.count, 3);
    cr_expect(cc.ra);
}

Test(client, getnextca_verifies_the_answer_with_the_current_ca, .init = setup_single, .fini = teardown_fx)
{
    size_t n = 0;
    uint8_t *next = client_pki_file("nextca.der", &n);
    F.fake.nextca = (scepkit_bytes){next, n};
    F.fake.caps = "SCEPStandard\nGetNextCACert";
    scepkit_client_config c = F.cfg;
    c.op = SCEPKIT_OP_GETNEXTCA;
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    scepkit_client_status st;
    scepkit_err e = run(&st);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    scepkit_ca_certs nc;
    cr_assert_eq(scepkit_client_next_ca(&F.cl, &nc), SCEPKIT_OK);
    size_t nl = 0;
    uint8_t *want = client_pki_file("next.der", &nl);
    cr_expect(nc.certs[nc.ca].len == nl && memcmp(nc.certs[nc.ca].ptr, want, nl) == 0);
    free(want);
    scepkit_client_free(&F.cl);
    /* without the capability, the engine does not ask */
    F.fake.caps = "SCEPStandard";
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    cr_expect_eq(run(&st), SCEPKIT_ERR_NOT_ADVERTISED);
    free(next);
}

Test(client, getcert_and_getcrl_are_signed_by_our_certificate_and_name_issuer_and_serial, .init = setup_single,
     .fini = teardown_fx)
{
    init_ok();
    scepkit_client_status st;
    cr_assert_eq(run(&st), SCEPKIT_OK);
    uint8_t mine[4096];
    size_t mine_len = scepkit_client_result_get(&F.cl)->cert.len;
    memcpy(mine, scepkit_client_result_get(&F.cl)->cert.ptr, mine_len);
    scepkit_client_free(&F.cl);
    scepkit_x509 x, ca;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){mine, mine_len}, &x), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){F.ca, F.ca_len}, &ca), SCEPKIT_OK);

    scepkit_client_config c = F.cfg;
    c.op = SCEPKIT_OP_GETCERT;
    c.csr = (scepkit_bytes){NULL, 0};
    c.cert = (scepkit_bytes){mine, mine_len};
    c.serial = x.serial;
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    scepkit_err e = run(&st);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_assert_eq(st, SCEPKIT_CLIENT_DONE);
    const scepkit_client_result *r = scepkit_client_result_get(&F.cl);
    cr_expect(r->cert.len == mine_len && memcmp(r->cert.ptr, mine, mine_len) == 0);
    size_t last = F.fake.nseen - 1;
    cr_expect_eq(F.fake.types[last], SCEPKIT_MSG_GETCERT);
    cr_expect(F.fake.last_serial_len == x.serial.len && memcmp(F.fake.last_serial, x.serial.ptr, x.serial.len) == 0);
    cr_expect(F.fake.last_issuer_len == ca.subject.len &&
                  memcmp(F.fake.last_issuer, ca.subject.ptr, ca.subject.len) == 0,
              "issuer defaults to the CA");
    cr_expect(F.fake.last_signer_len == mine_len && memcmp(F.fake.last_signer, mine, mine_len) == 0);
    scepkit_client_free(&F.cl);

    c.op = SCEPKIT_OP_GETCRL;
    c.serial = (scepkit_bytes){NULL, 0};
    cr_assert_eq(scepkit_client_init(&F.cl, &c, F.mem, F.mem_len), SCEPKIT_OK);
    e = run(&st);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    r = scepkit_client_result_get(&F.cl);
    cr_expect(r->crl.len == F.fake.crl_len && memcmp(r->crl.ptr, F.fake.crl, F.fake.crl_len) == 0);
    cr_expect_eq(r->cert.len, 0);
    last = F.fake.nseen - 1;
    cr_expect_eq(F.fake.types[last], SCEPKIT_MSG_GETCRL);
    cr_expect(F.fake.last_serial_len == x.serial.len && memcmp(F.fake.last_serial, x.serial.ptr, x.serial.len) == 0,
              "GetCRL names our certificate");
    cr_expect(F.fake.last_issuer_len == x.issuer.len && memcmp(F.fake.last_issuer, x.issuer.ptr, x.issuer.len) == 0);
}
