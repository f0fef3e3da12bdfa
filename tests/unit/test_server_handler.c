/* SCEP server handler: every operation, every CertRep outcome and failInfo, replay, approval, renewal, GetCert,
 * GetCRL (checked with openssl), RA mode, challenge policies through the handler, the real captured requests of
 * tests/vectors, and hostile input (never a crash, nothing written to the store). */
#include <ctype.h>

#include "server_helpers.h"

#include "der/der.h"
#include "der/oid.h"

static const char *vec_keys(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/keys/%s", SCEPKIT_TEST_VECTORS, name);
    return out;
}

/* Parses a certificate and checks that openssl verifies it against the world's CA. */
static void check_issued(srv_world *w, const uint8_t *cert, size_t len, scepkit_x509 *v)
{
    char path[700], ca[700], cmd[8192];
    static char out[16384];
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){cert, len}, v), SCEPKIT_OK);
    scepkit_x509 cav;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){w->ca_cert, w->ca_cert_len}, &cav), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_verify_signature(v, cav.spki, 0), SCEPKIT_OK);
    snprintf(path, sizeof path, "%s/issued.der", w->dir);
    snprintf(ca, sizeof ca, "%s/ca.der", w->dir);
    cr_assert_eq(ts_write_file(path, cert, len), 0);
    cr_assert_eq(ts_write_file(ca, w->ca_cert, w->ca_cert_len), 0);
    snprintf(cmd, sizeof cmd,
             "openssl x509 -inform DER -in '%s' -out '%s.pem' && openssl x509 -inform DER -in '%s' -out '%s.pem' && "
             "openssl verify -CAfile '%s.pem' '%s.pem' 2>&1",
             path, path, ca, ca, ca, path);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
}

static int has_ext(const scepkit_x509 *v, skit_oid id, scepkit_bytes *value)
{
    scepkit_x509_iter it = {0};
    scepkit_extension e;
    while (scepkit_x509_next_extension(v, &it, &e) == SCEPKIT_OK) {
        if (skit_oid_find(e.oid) == id) {
            if (value != NULL) {
                *value = e.value;
            }
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* GetCACaps, GetCACert, GetNextCACert, configuration */

Test(server_handler, get_ca_caps_lists_the_default_keywords_one_per_line)
{
    srv_world w;
    srv_answer a;
    srv_world_init(&w, "srv_caps", NULL, NULL);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetCACaps", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_str_eq(a.resp.content_type, "text/plain");
    cr_assert_eq(a.len, strlen(SCEPKIT_SERVER_DEFAULT_CAPS));
    cr_assert_eq(memcmp(a.body, "AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard", a.len),
                 0);
    srv_answer_free(&a);
    srv_world_free(&w);
}

Test(server_handler, get_ca_caps_lists_configured_keywords_and_adds_get_next_ca_cert_when_configured)
{
    srv_world w;
    srv_answer a;
    static const char *const caps[] = {"POSTPKIOperation", "SHA-256", "AES", "SHA-384"};
    srv_world_init(&w, "srv_caps2", NULL, NULL);
    w.cfg.caps = caps;
    w.cfg.cap_count = 4;
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetCACaps", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.len, strlen("POSTPKIOperation\nSHA-256\nAES\nSHA-384"));
    cr_assert_eq(memcmp(a.body, "POSTPKIOperation\nSHA-256\nAES\nSHA-384", a.len), 0);
    srv_answer_free(&a);
    srv_world_free(&w);

    srv_world_init(&w, "srv_caps3", NULL, NULL);
    srv_world_next_ca(&w);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetCACaps", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_not_null(memmem(a.body, a.len, "\nGetNextCACert", 14));
    srv_answer_free(&a);
    srv_world_free(&w);
}

Test(server_handler, init_refuses_keywords_in_the_wrong_case_and_incomplete_configurations)
{
    static const char *const bad_case[] = {"aes"};
    static const char *const next_without_cert[] = {"GetNextCACert"};
    srv_world w;
    scepkit_server s;
    srv_world_init(&w, "srv_cfg", NULL, NULL);
    cr_assert_eq(scepkit_softca_init(&w.ca, &w.ca_cfg), SCEPKIT_OK);
    w.cfg.ca = scepkit_softca_port(&w.ca);
    cr_assert_eq(scepkit_server_init(&s, &w.cfg), SCEPKIT_OK);
    scepkit_server_free(&s);

    scepkit_server_config c = w.cfg;
    c.caps = bad_case;
    c.cap_count = 1;
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    c = w.cfg;
    c.caps = next_without_cert;
    c.cap_count = 1;
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    c = w.cfg;
    c.profile_count = 0;
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    scepkit_profile dup[2] = {{.name = "x"}, {.name = "x"}};
    c = w.cfg;
    c.profiles = dup;
    c.profile_count = 2;
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    c = w.cfg;
    c.ca_key = (scepkit_key){0};
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    c = w.cfg;
    c.store = (scepkit_store){0};
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    c = w.cfg;
    c.ra_sign_cert = w.cfg.ca_cert; /* RA half configured */
    cr_assert_eq(scepkit_server_init(&s, &c), SCEPKIT_ERR_SERVER_CONFIG);
    scepkit_server_free(&s);
    cr_assert_eq(scepkit_server_init(NULL, &c), SCEPKIT_ERR_ARG);
    cr_assert_eq(scepkit_server_init(&s, NULL), SCEPKIT_ERR_ARG);
    srv_world_free(&w);
}

Test(server_handler, get_ca_cert_in_ca_mode_is_the_der_ca_certificate)
{
    srv_world w;
    srv_answer a;
    srv_world_init(&w, "srv_cacert", NULL, NULL);
    srv_world_start(&w);
    /* certmonger asks with message=0, 1, ...: the answer does not depend on it */
    cr_assert_eq(srv_handle_form(&w, "GetCACert", (const uint8_t *)"1", 1, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_str_eq(a.resp.content_type, "application/x-x509-ca-cert");
    cr_assert_eq(a.len, w.ca_cert_len);
    cr_assert_eq(memcmp(a.body, w.ca_cert, a.len), 0);
    srv_answer_free(&a);
    srv_world_free(&w);
}

Test(server_handler, get_ca_cert_in_ra_mode_is_a_certs_only_chain_with_ra_and_ca)
{
    srv_world w;
    srv_answer a;
    srv_world_init(&w, "srv_racert", NULL, NULL);
    srv_world_ra_mode(&w);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetCACert", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_str_eq(a.resp.content_type, "application/x-x509-ca-ra-cert");
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){a.body, a.len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(sd.signer_count, 0);
    scepkit_cms_iter it = {0};
    scepkit_bytes c;
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_OK);
    cr_assert_eq(c.len, w.ra_cert_len);
    cr_assert_eq(memcmp(c.ptr, w.ra_cert, c.len), 0);
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_OK);
    cr_assert_eq(c.len, w.ca_cert_len);
    cr_assert_eq(memcmp(c.ptr, w.ca_cert, c.len), 0);
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_ERR_NOT_FOUND);
    srv_answer_free(&a);
    srv_world_free(&w);
}

Test(server_handler, get_next_ca_cert_is_signed_by_the_current_ca_and_carries_the_next_one)
{
    srv_world w;
    srv_answer a;
    srv_world_init(&w, "srv_next", NULL, NULL);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetNextCACert", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 404, "no next CA configured");
    srv_answer_free(&a);
    srv_world_free(&w);

    srv_world_init(&w, "srv_next2", NULL, NULL);
    srv_world_next_ca(&w);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetNextCACert", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_str_eq(a.resp.content_type, "application/x-x509-next-ca-cert");
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){a.body, a.len}, 0, &sd), SCEPKIT_OK);
    scepkit_bytes signer[1] = {{w.ca_cert, w.ca_cert_len}};
    scepkit_cms_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.signer_certs = signer;
    vp.signer_cert_count = 1;
    scepkit_x509 sv;
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, &sv), SCEPKIT_OK);
    /* the content is a degenerate certs-only SignedData with the next CA certificate */
    cr_assert(sd.has_content);
    scepkit_cms_signed inner;
    cr_assert_eq(scepkit_cms_signed_parse(sd.content, 0, &inner), SCEPKIT_OK);
    cr_assert_eq(inner.signer_count, 0);
    scepkit_cms_iter it = {0};
    scepkit_bytes c;
    cr_assert_eq(scepkit_cms_next_cert(&inner, &it, &c), SCEPKIT_OK);
    cr_assert_eq(c.len, w.next_cert_len);
    cr_assert_eq(memcmp(c.ptr, w.next_cert, c.len), 0);
    cr_assert_eq(scepkit_cms_next_cert(&inner, &it, &c), SCEPKIT_ERR_NOT_FOUND);
    /* openssl agrees: the signature verifies with the current CA as trust anchor */
    char path[700], ca[700], cmd[8192];
    static char out[8192];
    snprintf(path, sizeof path, "%s/next.p7", w.dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", srv_pki_dir());
    cr_assert_eq(ts_write_file(path, a.body, a.len), 0);
    snprintf(cmd, sizeof cmd,
             "openssl cms -verify -purpose any -inform DER -in '%s' -CAfile '%s' -certfile '%s' -out /dev/null 2>&1",
             path, ca, ca);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
    srv_answer_free(&a);
    srv_world_free(&w);
}

Test(server_handler, unknown_operation_is_400_and_arguments_are_checked)
{
    srv_world w;
    srv_answer a;
    srv_world_init(&w, "srv_unknown", NULL, NULL);
    srv_world_start(&w);
    cr_assert_eq(srv_handle(&w, "GetCAChain", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400);
    cr_assert_str_eq(a.resp.content_type, "text/plain");
    srv_answer_free(&a);
    cr_assert_eq(srv_handle(&w, "getcacaps", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400, "operation names are case-sensitive");
    srv_answer_free(&a);
    scepkit_server_response r;
    uint8_t mem[64], out[64];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    cr_assert_eq(
        scepkit_server_handle(NULL, scepkit_bytes_str("GetCACaps"), (scepkit_bytes){0}, 0, &ar, out, sizeof out, &r),
        SCEPKIT_ERR_ARG);
    cr_assert_eq(
        scepkit_server_handle(&w.srv, scepkit_bytes_str("GetCACaps"), (scepkit_bytes){0}, 0, NULL, out, sizeof out, &r),
        SCEPKIT_ERR_ARG);
    /* a too-small output buffer reports the size needed */
    cr_assert_eq(
        scepkit_server_handle(&w.srv, scepkit_bytes_str("GetCACert"), (scepkit_bytes){0}, 0, &ar, out, sizeof out, &r),
        SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(r.body_len, w.ca_cert_len);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* PKCSReq */

Test(server_handler, pkcsreq_with_the_right_challenge_is_issued_indexed_and_verifies_with_openssl)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    srv_world_init(&w, "srv_enroll", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    static const scepkit_san sans[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"dev1.example.com", 16}},
                                       {SCEPKIT_SAN_URI, {(const uint8_t *)"urn:x:1", 7}}};
    srv_client_csr_with(&w, &c, "CN=dev1,O=Acme,C=US", SRV_CHALLENGE, sans, 2, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    scepkit_csr csr;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c.csr, c.csr_len}, &csr), SCEPKIT_OK);
    cr_assert_eq(v.spki.len, csr.spki.len);
    cr_assert_eq(memcmp(v.spki.ptr, csr.spki.ptr, v.spki.len), 0, "the certificate certifies the CSR's key");
    cr_assert_eq(v.subject.len, csr.subject.len);
    cr_assert_eq(memcmp(v.subject.ptr, csr.subject.ptr, v.subject.len), 0);
    cr_assert_eq(v.serial.len, SCEPKIT_SOFTCA_SERIAL_LEN, "128-bit random serials");
    cr_assert(v.has_key_usage);
    cr_assert_eq(v.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT,
                 "general profile, never nonRepudiation");
    cr_assert(v.has_ski);
    cr_assert(!v.is_ca);
    scepkit_bytes eku, san;
    cr_assert(has_ext(&v, SKIT_OID_EXT_EXT_KEY_USAGE, &eku));
    scepkit_bytes client_auth = skit_oid_bytes(SKIT_OID_KP_CLIENT_AUTH);
    cr_assert_not_null(memmem(eku.ptr, eku.len, client_auth.ptr, client_auth.len), "clientAuth by default");
    cr_assert(has_ext(&v, SKIT_OID_EXT_SUBJECT_ALT_NAME, &san));
    cr_assert_eq(san.len, csr.san.len);
    cr_assert_eq(memcmp(san.ptr, csr.san.ptr, san.len), 0);
    cr_assert(has_ext(&v, SKIT_OID_EXT_AUTHORITY_KEY_ID, NULL));
    cr_assert_eq(v.not_after - v.not_before, 365 * 86400 + 300);

    /* indexed in the store, and the transaction recorded as ISSUED */
    scepkit_store st = scepkit_file_store_port(&w.fs);
    static uint8_t buf[65536];
    scepkit_store_cert rec;
    cr_assert_eq(st.ops->cert_get(st.self, v.serial, buf, sizeof buf, &rec), SCEPKIT_OK);
    cr_assert_eq(rec.cert.len, len);
    cr_assert_eq(memcmp(rec.cert.ptr, cert, len), 0);
    scepkit_store_tx tx;
    cr_assert_eq(st.ops->tx_get(st.self, scepkit_bytes_str(c.txid), buf, sizeof buf, &tx), SCEPKIT_OK);
    cr_assert_eq(tx.state, SCEPKIT_TX_ISSUED);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1);
    free(cert);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, wrong_or_missing_challenge_is_failure_bad_request_and_writes_nothing)
{
    srv_world w;
    srv_client c;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_world_init(&w, "srv_badchal", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 1);
    srv_client_csr(&w, &c, "CN=intruder", "wrong");
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    srv_client_csr(&w, &c, "CN=intruder", NULL);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_str_eq(w.events.last_reason, "challenge password missing");
    cr_assert_eq(srv_store_files(&w), 0);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_REJECTED], 2);
    /* the right one still works afterwards with the same transactionID: failures are not recorded */
    srv_client_csr(&w, &c, "CN=intruder", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, retried_pkcsreq_gets_the_same_certificate_and_never_a_second_one)
{
    srv_world w;
    srv_client c;
    uint8_t *c1 = NULL, *c2 = NULL;
    size_t l1 = 0, l2 = 0;
    srv_world_init(&w, "srv_retry", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 2);
    srv_client_csr(&w, &c, "CN=retry", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &c1, &l1, NULL), SCEPKIT_STATUS_SUCCESS);
    int files = srv_store_files(&w);
    /* the same request again (a new nonce, the same transactionID and key) */
    cr_assert_eq(srv_enroll(&w, &c, &c2, &l2, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(c1, c2, l1), 0, "the same certificate");
    cr_assert_eq(srv_store_files(&w), files, "nothing new in the store");
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1);
    /* even a retry whose challenge is now wrong (one-time passwords are used up) gets the same answer */
    uint8_t *c3 = NULL;
    size_t l3 = 0;
    char txid[sizeof c.txid];
    memcpy(txid, c.txid, sizeof txid);
    srv_client_csr_with(&w, &c, "CN=retry", "no longer valid", NULL, 0, 0, txid);
    cr_assert_eq(srv_enroll(&w, &c, &c3, &l3, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(memcmp(c1, c3, l1), 0);
    free(c1);
    free(c2);
    free(c3);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, a_transaction_id_is_bound_to_the_key_that_first_used_it)
{
    srv_world w;
    srv_client a, b;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_world_init(&w, "srv_txkey", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &a, 3);
    srv_client_load(&w, &b, 4);
    srv_client_csr_with(&w, &a, "CN=a", SRV_CHALLENGE, NULL, 0, 0, "shared-txid");
    srv_client_csr_with(&w, &b, "CN=b", SRV_CHALLENGE, NULL, 0, 0, "shared-txid");
    cr_assert_eq(srv_enroll(&w, &a, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    int files = srv_store_files(&w);
    cr_assert_eq(srv_enroll(&w, &b, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_eq(srv_store_files(&w), files);
    srv_client_free(&a);
    srv_client_free(&b);
    srv_world_free(&w);
}

Test(server_handler, signing_time_outside_the_skew_is_bad_time_and_writes_nothing)
{
    srv_world w;
    srv_client c;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_world_init(&w, "srv_badtime", NULL, NULL);
    w.cfg.max_clock_skew = 600;
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=clock", SRV_CHALLENGE);
    srv_req_opts o = {0};
    o.signing_time = w.clock.now - 601;
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_PKCSREQ, &o, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_TIME);
    o.signing_time = w.clock.now + 601;
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_PKCSREQ, &o, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_TIME);
    cr_assert_eq(srv_store_files(&w), 0);
    o.signing_time = w.clock.now + 599;
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_PKCSREQ, &o, NULL, NULL, &fi), SCEPKIT_STATUS_SUCCESS);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, request_without_signing_time_is_accepted)
{
    srv_world w;
    srv_client c;
    srv_world_init(&w, "srv_notime", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=notime", SRV_CHALLENGE);
    srv_req_opts o = {0};
    o.signing_time = -1;
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_PKCSREQ, &o, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, reply_uses_the_request_cipher_and_digest_and_plain_rsa_encryption_by_default)
{
    static const struct {
        scepkit_cipher cipher;
        scepkit_md md;
        scepkit_cms_sig_style style;
        scepkit_reply_sig_style reply_style;
        skit_oid expect_sig;
    } cases[] = {
        {SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_MD_SHA512, SCEPKIT_CMS_SIG_NAMED, SCEPKIT_REPLY_SIG_PLAIN,
         SKIT_OID_RSA_ENCRYPTION},
        {SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_RSA_ENCRYPTION, SCEPKIT_REPLY_SIG_PLAIN,
         SKIT_OID_RSA_ENCRYPTION},
        {SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED, SCEPKIT_REPLY_SIG_MIRROR,
         SKIT_OID_SHA256_WITH_RSA},
        {SCEPKIT_CIPHER_AES192_CBC, SCEPKIT_MD_SHA384, SCEPKIT_CMS_SIG_RSA_ENCRYPTION, SCEPKIT_REPLY_SIG_MIRROR,
         SKIT_OID_RSA_ENCRYPTION},
        {SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_RSA_ENCRYPTION, SCEPKIT_REPLY_SIG_NAMED,
         SKIT_OID_SHA256_WITH_RSA},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_world w;
        srv_client c;
        char name[64];
        snprintf(name, sizeof name, "srv_mirror%zu", i);
        srv_world_init(&w, name, NULL, NULL);
        w.cfg.reply_sig_style = cases[i].reply_style;
        srv_world_start(&w);
        srv_client_load(&w, &c, 5);
        srv_client_csr(&w, &c, "CN=mirror", SRV_CHALLENGE);
        srv_req_opts o = {cases[i].cipher, cases[i].md, cases[i].style, 0};
        size_t len = 0;
        uint8_t *msg = srv_request_opts(&w, &c, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){c.csr, c.csr_len}, &o, &len);
        srv_answer a;
        cr_assert_eq(srv_handle(&w, "PKIOperation", msg, len, &a), SCEPKIT_OK);
        scepkit_scep_reply rep;
        uint8_t *plain = NULL;
        cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_OK, "case %zu", i);
        cr_assert_eq(rep.status, SCEPKIT_STATUS_SUCCESS, "case %zu", i);
        cr_assert_eq(rep.cipher, cases[i].cipher, "case %zu", i);
        cr_assert_eq(rep.md, cases[i].md, "case %zu", i);
        scepkit_cms_signed sd;
        cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){a.body, a.len}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
        cr_assert_eq(skit_oid_find(sd.signer.sig_alg_oid), cases[i].expect_sig, "case %zu", i);
        free(plain);
        free(msg);
        srv_answer_free(&a);
        srv_client_free(&c);
        srv_world_free(&w);
    }
}

Test(server_handler, get_request_with_url_safe_or_escaped_base64_is_decoded_like_ndes)
{
    srv_world w;
    srv_client c;
    srv_world_init(&w, "srv_get", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 6);
    srv_client_csr(&w, &c, "CN=get", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    size_t b64len = scepkit_base64_encoded_len(len, SCEPKIT_B64_STD);
    char *b64 = malloc(b64len + 1);
    size_t n = 0;
    cr_assert_eq(scepkit_base64_encode((scepkit_bytes){msg, len}, SCEPKIT_B64_STD, b64, b64len + 1, &n), SCEPKIT_OK);
    /* 1: %-escaped standard base64 with line breaks (certmonger style) */
    char *esc = malloc(3 * n + 16);
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=') {
            e += (size_t)sprintf(esc + e, "%%%02X", (unsigned char)b64[i]);
        } else {
            esc[e++] = b64[i];
        }
        if (i % 64 == 63) {
            e += (size_t)sprintf(esc + e, "%%0A");
        }
    }
    srv_answer a;
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", (const uint8_t *)esc, e, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_SUCCESS);
    srv_answer_free(&a);
    /* 2: URL-safe alphabet without padding, and a '+' turned into ' ' by a form decoder */
    for (size_t i = 0; i < n; i++) {
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    }
    while (n > 0 && b64[n - 1] == '=') {
        n--;
    }
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", (const uint8_t *)b64, n, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_SUCCESS);
    srv_answer_free(&a);
    /* 3: not base64 at all */
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", (const uint8_t *)"%ZZ", 3, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400);
    srv_answer_free(&a);
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", (const uint8_t *)"a!b", 3, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400);
    srv_answer_free(&a);
    free(esc);
    free(b64);
    free(msg);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, broken_signature_is_bad_message_check_and_broken_csr_signature_too)
{
    srv_world w;
    srv_client c;
    srv_world_init(&w, "srv_badsig", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 7);
    srv_client_csr(&w, &c, "CN=badsig", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    msg[len - 1] ^= 0x01; /* the signature is the last element of the SignerInfo */
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, len, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert(a.resp.is_certrep);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(a.resp.fail_info, SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_OK);
    cr_assert_eq(rep.fail_info, SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    cr_assert_neq(rep.fail_info_text[0], '\0', "failInfoText says why");
    free(plain);
    free(msg);
    srv_answer_free(&a);

    c.csr[c.csr_len - 1] ^= 0x01; /* the CSR's own signature */
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    cr_assert_eq(srv_store_files(&w), 0);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Profiles */

Test(server_handler, profile_is_chosen_by_the_requested_key_usage_like_ndes_templates)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    scepkit_x509 v;
    srv_world_init(&w, "srv_profiles", NULL, NULL);
    w.profiles[2].non_repudiation = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr_with(&w, &c, "CN=signer", SRV_CHALLENGE, NULL, 0, SCEPKIT_KU_DIGITAL_SIGNATURE, NULL);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    check_issued(&w, cert, len, &v);
    cr_assert_eq(v.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE);
    cr_assert_eq(v.not_after - v.not_before, 30 * 86400 + 300, "the signing profile's 30 days");
    free(cert);
    /* a new transactionID: the same key with the same one would get the first certificate again */
    srv_client_csr_with(&w, &c, "CN=encrypter", SRV_CHALLENGE, NULL, 0, SCEPKIT_KU_KEY_ENCIPHERMENT, "enc-1");
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    check_issued(&w, cert, len, &v);
    cr_assert_eq(v.key_usage, SCEPKIT_KU_KEY_ENCIPHERMENT | SCEPKIT_KU_NON_REPUDIATION,
                 "nonRepudiation only because that profile asks for it (got %x)", v.key_usage);
    free(cert);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, profile_filters_subject_attributes_and_san_types_and_caps_validity)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    scepkit_x509 v;
    srv_world_init(&w, "srv_filter", NULL, NULL);
    static scepkit_bytes keep[2];
    keep[0] = skit_oid_bytes(SKIT_OID_AT_CN);
    keep[1] = skit_oid_bytes(SKIT_OID_AT_O);
    w.profiles[0].subject_attrs = keep;
    w.profiles[0].subject_attr_count = 2;
    w.profiles[0].san_types = SCEPKIT_PROFILE_SAN_DNS;
    w.profiles[0].allow_requested_validity = 1;
    w.profiles[0].max_validity = 10 * 86400;
    srv_world_start(&w);
    srv_client_load(&w, &c, 1);
    static const scepkit_san sans[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"ok.example", 10}},
                                       {SCEPKIT_SAN_EMAIL, {(const uint8_t *)"x@example", 9}}};
    srv_client_csr_with(&w, &c, "CN=filtered,OU=dropped,O=Acme,C=US", SRV_CHALLENGE, sans, 2, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    check_issued(&w, cert, len, &v);
    uint8_t want[256];
    size_t wl = srv_name("CN=filtered,O=Acme", want, sizeof want);
    cr_assert_eq(v.subject.len, wl);
    cr_assert_eq(memcmp(v.subject.ptr, want, wl), 0);
    scepkit_bytes san;
    cr_assert(has_ext(&v, SKIT_OID_EXT_SUBJECT_ALT_NAME, &san));
    cr_assert_not_null(memmem(san.ptr, san.len, "ok.example", 10));
    cr_assert_null(memmem(san.ptr, san.len, "x@example", 9), "email SAN not allowed by the profile");
    free(cert);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* PENDING, approval, CertPoll */

static scepkit_pki_status poll(srv_world *w, srv_client *c, uint8_t **cert, size_t *len, scepkit_fail_info *fi)
{
    uint8_t subj[512], data[1024];
    scepkit_csr csr;
    size_t dl = 0;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c->csr, c->csr_len}, &csr), SCEPKIT_OK);
    memcpy(subj, csr.subject.ptr, csr.subject.len);
    scepkit_x509 ca;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){w->ca_cert, w->ca_cert_len}, &ca), SCEPKIT_OK);
    cr_assert_eq(scepkit_scep_issuer_and_subject_write(ca.subject, (scepkit_bytes){subj, csr.subject.len}, data,
                                                       sizeof data, &dl),
                 SCEPKIT_OK);
    size_t ml = 0;
    uint8_t *msg = srv_request_opts(w, c, SCEPKIT_MSG_CERTPOLL, (scepkit_bytes){data, dl}, NULL, &ml);
    srv_answer a;
    cr_assert_eq(srv_handle(w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200, "HTTP %d %s", a.resp.http_status, scepkit_err_name(a.resp.error));
    cr_assert_eq(a.resp.msg_type, SCEPKIT_MSG_CERTPOLL);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(w, c, &a, &rep, &plain), SCEPKIT_OK);
    if (rep.status == SCEPKIT_STATUS_SUCCESS && cert != NULL) {
        *cert = srv_first_cert(&rep, len);
    }
    if (fi != NULL) {
        *fi = rep.fail_info;
    }
    scepkit_pki_status st = rep.status;
    free(plain);
    free(msg);
    srv_answer_free(&a);
    return st;
}

Test(server_handler, manual_approval_gives_pending_then_certpoll_success_after_approve)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    static uint8_t mem[SCEPKIT_SERVER_SCRATCH(65536, 65536)];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    srv_world_init(&w, "srv_pending", NULL, NULL);
    w.cfg.manual_approval = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 2);
    srv_client_csr(&w, &c, "CN=waiting", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_PENDING], 1);
    cr_assert_eq(poll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING, "a retried PKCSReq waits too");
    cr_assert_eq(scepkit_server_approve(&w.srv, scepkit_bytes_str("no-such-tx"), &ar), SCEPKIT_ERR_NOT_FOUND);
    cr_assert_eq(scepkit_server_approve(&w.srv, scepkit_bytes_str(c.txid), &ar), SCEPKIT_OK);
    cr_assert_eq(ar.used, 0);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1);
    cr_assert_eq(scepkit_server_approve(&w.srv, scepkit_bytes_str(c.txid), &ar), SCEPKIT_ERR_TX_STATE,
                 "approving twice is refused");
    cr_assert_eq(poll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    cr_assert_eq(poll(&w, &c, &again, &len2, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(len, len2);
    cr_assert_eq(memcmp(cert, again, len), 0);
    free(cert);
    free(again);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, manual_rejection_gives_failure_with_the_administrator_text)
{
    srv_world w;
    srv_client c;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    static uint8_t mem[SCEPKIT_SERVER_SCRATCH(65536, 65536)];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    srv_world_init(&w, "srv_reject", NULL, NULL);
    w.cfg.manual_approval = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 3);
    srv_client_csr(&w, &c, "CN=refused", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    cr_assert_eq(scepkit_server_reject(&w.srv, scepkit_bytes_str(c.txid), SCEPKIT_FAIL_BAD_REQUEST,
                                       scepkit_bytes_str("not on the inventory"), &ar),
                 SCEPKIT_OK);
    cr_assert_eq(scepkit_server_reject(&w.srv, scepkit_bytes_str(c.txid), SCEPKIT_FAIL_BAD_REQUEST,
                                       scepkit_bytes_str("again"), &ar),
                 SCEPKIT_ERR_TX_STATE);
    cr_assert_eq(scepkit_server_approve(&w.srv, scepkit_bytes_str(c.txid), &ar), SCEPKIT_ERR_TX_STATE);
    cr_assert_eq(poll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE, "the retry gets the same answer");
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 0);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, certpoll_for_an_unknown_transaction_is_bad_cert_id_and_another_key_is_refused)
{
    srv_world w;
    srv_client c, other;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_world_init(&w, "srv_pollunknown", NULL, NULL);
    w.cfg.manual_approval = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 4);
    srv_client_csr(&w, &c, "CN=nobody", SRV_CHALLENGE);
    cr_assert_eq(poll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_CERT_ID);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    srv_client_load(&w, &other, 5);
    srv_client_csr_with(&w, &other, "CN=nobody", SRV_CHALLENGE, NULL, 0, 0, c.txid);
    cr_assert_eq(poll(&w, &other, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE, "polling someone else's transaction");
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    srv_client_free(&c);
    srv_client_free(&other);
    srv_world_free(&w);
}

/* A CA port in front of the software CA that first fails, then queues, then issues. */
typedef struct flaky_ca {
    scepkit_ca inner;
    int fail;  /* calls to answer with an error */
    int queue; /* calls to answer PENDING */
    int calls;
} flaky_ca;

static scepkit_err flaky_issue(void *self, const scepkit_ca_request *req, const scepkit_profile *profile, uint8_t *out,
                               size_t cap, scepkit_ca_result *res)
{
    flaky_ca *f = self;
    f->calls++;
    if (f->fail > 0) {
        f->fail--;
        return SCEPKIT_ERR_IO;
    }
    if (f->queue > 0) {
        f->queue--;
        res->outcome = SCEPKIT_CA_PENDING;
        return SCEPKIT_OK;
    }
    return f->inner.ops->issue(f->inner.self, req, profile, out, cap, res);
}

static const scepkit_ca_ops flaky_ops = {flaky_issue, NULL, NULL, NULL};

Test(server_handler, a_failing_ca_gives_500_and_no_record_and_a_queueing_ca_is_asked_again_at_certpoll)
{
    srv_world w;
    srv_client c;
    static flaky_ca fca;
    uint8_t *cert = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    srv_world_init(&w, "srv_flaky", NULL, NULL);
    cr_assert_eq(scepkit_softca_init(&w.ca, &w.ca_cfg), SCEPKIT_OK);
    fca.inner = scepkit_softca_port(&w.ca);
    fca.fail = 1;
    fca.queue = 2;
    fca.calls = 0;
    w.cfg.ca = (scepkit_ca){&flaky_ops, &fca};
    cr_assert_eq(scepkit_server_init(&w.srv, &w.cfg), SCEPKIT_OK);
    srv_client_load(&w, &c, 6);
    srv_client_csr(&w, &c, "CN=flaky", SRV_CHALLENGE);

    size_t ml = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &ml);
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 500);
    cr_assert_eq(a.resp.error, SCEPKIT_ERR_IO);
    cr_assert_eq(srv_store_files(&w), 0, "the claim is removed: the retry starts clean");
    srv_answer_free(&a);
    free(msg);

    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING, "queued by the CA");
    cr_assert_eq(poll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING, "still queued");
    cr_assert_eq(poll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(fca.calls, 4);
    cr_assert_eq(srv_enroll(&w, &c, &again, &len2, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(fca.calls, 4, "answered from the store");
    cr_assert_eq(len, len2);
    cr_assert_eq(memcmp(cert, again, len), 0);
    free(cert);
    free(again);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, a_transaction_left_in_progress_waits_then_is_taken_over_after_the_timeout)
{
    srv_world w;
    srv_client c;
    static uint8_t buf[8192];
    srv_world_init(&w, "srv_stale", NULL, NULL);
    w.cfg.in_progress_timeout = 60;
    srv_world_start(&w);
    srv_client_load(&w, &c, 7);
    srv_client_csr(&w, &c, "CN=stale", SRV_CHALLENGE);
    /* what a process that crashed while issuing leaves behind */
    scepkit_csr csr;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c.csr, c.csr_len}, &csr), SCEPKIT_OK);
    scepkit_store_tx tx;
    memset(&tx, 0, sizeof tx);
    snprintf(tx.transaction_id, sizeof tx.transaction_id, "%s", c.txid);
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, csr.spki, tx.key_hash, sizeof tx.key_hash, &(size_t){0}),
                 SCEPKIT_OK);
    tx.state = SCEPKIT_TX_IN_PROGRESS;
    tx.msg_type = SCEPKIT_MSG_PKCSREQ;
    tx.created = w.clock.now;
    tx.updated = w.clock.now;
    scepkit_store st = scepkit_file_store_port(&w.fs);
    cr_assert_eq(st.ops->tx_create(st.self, &tx), SCEPKIT_OK);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING, "someone is on it");
    w.clock.now += 61;
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS, "abandoned: taken over");
    cr_assert_eq(st.ops->tx_get(st.self, scepkit_bytes_str(c.txid), buf, sizeof buf, &tx), SCEPKIT_OK);
    cr_assert_eq(tx.state, SCEPKIT_TX_ISSUED);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* A store that, once armed, behaves like a process that dies right after the CA indexed the certificate: the
 * transaction update to ISSUED never happens, and nothing else is written (no clean-up either). */
typedef struct crash_store {
    scepkit_store inner;
    int armed;
    int crashed;
} crash_store;

static scepkit_err c_cert_get(void *self, scepkit_bytes serial, uint8_t *buf, size_t cap, scepkit_store_cert *out)
{
    crash_store *x = self;
    return x->inner.ops->cert_get(x->inner.self, serial, buf, cap, out);
}
static scepkit_err c_cert_find_tx(void *self, scepkit_bytes id, int64_t since, uint8_t *buf, size_t cap,
                                  scepkit_store_cert *out)
{
    crash_store *x = self;
    return x->inner.ops->cert_find_tx(x->inner.self, id, since, buf, cap, out);
}
static scepkit_err c_tx_create(void *self, const scepkit_store_tx *tx)
{
    crash_store *x = self;
    return x->crashed ? SCEPKIT_ERR_IO : x->inner.ops->tx_create(x->inner.self, tx);
}
static scepkit_err c_tx_update(void *self, const scepkit_store_tx *tx, scepkit_tx_state expect)
{
    crash_store *x = self;
    if (x->armed && tx->state == SCEPKIT_TX_ISSUED) {
        x->crashed = 1;
    }
    return x->crashed ? SCEPKIT_ERR_IO : x->inner.ops->tx_update(x->inner.self, tx, expect);
}
static scepkit_err c_tx_remove(void *self, scepkit_bytes id, scepkit_tx_state expect)
{
    crash_store *x = self;
    return x->crashed ? SCEPKIT_ERR_IO : x->inner.ops->tx_remove(x->inner.self, id, expect);
}
static scepkit_err c_tx_get(void *self, scepkit_bytes id, uint8_t *buf, size_t cap, scepkit_store_tx *out)
{
    crash_store *x = self;
    return x->inner.ops->tx_get(x->inner.self, id, buf, cap, out);
}
static const scepkit_store_ops crash_ops = {.cert_get = c_cert_get,
                                            .cert_find_tx = c_cert_find_tx,
                                            .tx_create = c_tx_create,
                                            .tx_update = c_tx_update,
                                            .tx_get = c_tx_get,
                                            .tx_remove = c_tx_remove};

static scepkit_err count_issued(void *ctx, const scepkit_store_cert *rec)
{
    (void)rec;
    (*(int *)ctx)++;
    return SCEPKIT_OK;
}

Test(server_handler, a_crash_after_issuing_but_before_recording_the_transaction_delivers_that_certificate_on_retry)
{
    srv_world w;
    srv_client c;
    static crash_store x;
    static uint8_t buf[8192];
    srv_world_init(&w, "srv_crash_issue", NULL, NULL);
    w.cfg.in_progress_timeout = 60;
    memset(&x, 0, sizeof x);
    x.inner = scepkit_file_store_port(&w.fs);
    x.armed = 1;
    w.cfg.store = (scepkit_store){&crash_ops, &x}; /* the CA indexes into the file store itself */
    srv_world_start(&w);
    srv_client_load(&w, &c, 6);
    srv_client_csr(&w, &c, "CN=crashed", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, len, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 500, "the process 'died' before answering");
    srv_answer_free(&a);
    free(msg);
    scepkit_store st = scepkit_file_store_port(&w.fs);
    int n = 0;
    cr_assert_eq(st.ops->cert_each(st.self, count_issued, &n), SCEPKIT_OK);
    cr_assert_eq(n, 1, "the certificate was indexed");
    scepkit_store_tx tx;
    cr_assert_eq(st.ops->tx_get(st.self, scepkit_bytes_str(c.txid), buf, sizeof buf, &tx), SCEPKIT_OK);
    cr_assert_eq(tx.state, SCEPKIT_TX_IN_PROGRESS, "what the crash left behind");

    /* the server restarts; the client retries after in_progress_timeout */
    x.armed = 0;
    x.crashed = 0;
    w.clock.now += 61;
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    cr_assert_eq(srv_enroll(&w, &c, &cert, &cert_len, NULL), SCEPKIT_STATUS_SUCCESS);
    n = 0;
    cr_assert_eq(st.ops->cert_each(st.self, count_issued, &n), SCEPKIT_OK);
    cr_assert_eq(n, 1, "never a second certificate");
    cr_assert_eq(st.ops->tx_get(st.self, scepkit_bytes_str(c.txid), buf, sizeof buf, &tx), SCEPKIT_OK);
    cr_assert_eq(tx.state, SCEPKIT_TX_ISSUED);
    cr_assert_eq(tx.cert.len, cert_len);
    cr_assert_eq(memcmp(tx.cert.ptr, cert, cert_len), 0, "the retry got the certificate issued before the crash");
    scepkit_store_cert rec;
    cr_assert_eq(st.ops->cert_find_tx(st.self, scepkit_bytes_str(c.txid), 0, buf, sizeof buf, &rec), SCEPKIT_OK);
    cr_assert_eq(rec.cert.len, cert_len);
    cr_assert_eq(memcmp(rec.cert.ptr, cert, cert_len), 0);
    free(cert);

    /* and a further retry answers from the record, with the same certificate */
    cr_assert_eq(srv_enroll(&w, &c, &cert, &cert_len, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert_eq(cert_len, rec.cert.len);
    cr_assert_eq(memcmp(rec.cert.ptr, cert, cert_len), 0);
    free(cert);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Renewal */

/* Makes the client sign with throw-away key `index` and certificate `cert` (its CSR stays). */
static void set_signer(srv_world *w, srv_client *c, int index, const uint8_t *cert, size_t len)
{
    char path[700], name[32];
    scepkit_softkey_free(&c->sk);
    snprintf(name, sizeof name, "client%d.key", index);
    srv_pki_path(name, path, sizeof path);
    cms_load_key(&c->sk, path, scepkit_locked_rng_port(&w->rng));
    memcpy(c->cert, cert, len);
    c->cert_len = len;
}

Test(server_handler, renewalreq_signed_by_an_issued_certificate_skips_the_challenge_when_configured)
{
    srv_world w;
    srv_client c, renew;
    uint8_t *old = NULL, *fresh = NULL;
    size_t old_len = 0, fresh_len = 0;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_world_init(&w, "srv_renew", NULL, NULL);
    w.cfg.renewal_skips_challenge = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=renewer,O=Acme", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &old, &old_len, NULL), SCEPKIT_STATUS_SUCCESS);

    /* new key, same subject, no challenge; signed with the issued certificate and its (old) key */
    srv_client_load(&w, &renew, 1);
    srv_client_csr(&w, &renew, "CN=renewer,O=Acme", NULL);
    set_signer(&w, &renew, 0, old, old_len); /* signed with the old certificate and key */
    cr_assert_eq(srv_enroll_type(&w, &renew, SCEPKIT_MSG_RENEWALREQ, NULL, &fresh, &fresh_len, NULL),
                 SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v, ov;
    check_issued(&w, fresh, fresh_len, &v);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){old, old_len}, &ov), SCEPKIT_OK);
    cr_assert(v.serial.len != ov.serial.len || memcmp(v.serial.ptr, ov.serial.ptr, v.serial.len) != 0);
    cr_assert(v.spki.len != ov.spki.len || memcmp(v.spki.ptr, ov.spki.ptr, v.spki.len) != 0, "the new key");

    /* asking for another subject with the old certificate is not a renewal: the challenge is required */
    srv_client r2;
    srv_client_load(&w, &r2, 2);
    srv_client_csr(&w, &r2, "CN=someone else", NULL);
    set_signer(&w, &r2, 0, old, old_len);
    cr_assert_eq(srv_enroll_type(&w, &r2, SCEPKIT_MSG_RENEWALREQ, NULL, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);

    /* a revoked certificate cannot renew */
    cr_assert_eq(scepkit_server_revoke(&w.srv, ov.serial, 4), SCEPKIT_OK);
    srv_client r3;
    srv_client_load(&w, &r3, 3);
    srv_client_csr(&w, &r3, "CN=renewer,O=Acme", NULL);
    set_signer(&w, &r3, 0, old, old_len);
    cr_assert_eq(srv_enroll_type(&w, &r3, SCEPKIT_MSG_RENEWALREQ, NULL, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    free(old);
    free(fresh);
    srv_client_free(&c);
    srv_client_free(&renew);
    srv_client_free(&r2);
    srv_client_free(&r3);
    srv_world_free(&w);
}

Test(server_handler, renewal_without_a_challenge_keeps_the_old_certificates_profile)
{
    srv_world w;
    srv_client c, renew;
    uint8_t *old = NULL, *fresh = NULL;
    size_t old_len = 0, fresh_len = 0;
    srv_world_init(&w, "srv_renew_profile", NULL, NULL);
    w.cfg.renewal_skips_challenge = 1;
    srv_world_start(&w);
    /* first enrollment: a signing-only key usage picks the "signing" profile */
    srv_client_load(&w, &c, 0);
    srv_client_csr_with(&w, &c, "CN=signer,O=Acme", SRV_CHALLENGE, NULL, 0, SCEPKIT_KU_DIGITAL_SIGNATURE, NULL);
    cr_assert_eq(srv_enroll(&w, &c, &old, &old_len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 ov;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){old, old_len}, &ov), SCEPKIT_OK);
    uint8_t buf[4096];
    scepkit_store_cert rec;
    cr_assert_eq(w.cfg.store.ops->cert_get(w.cfg.store.self, ov.serial, buf, sizeof buf, &rec), SCEPKIT_OK);
    cr_assert_str_eq(rec.profile, "signing", "the index records the profile");

    /* the renewal, signed by the old certificate and without a challenge, asks for key encipherment too:
     * it stays within "signing" (digitalSignature only, 30 days) instead of getting "general" */
    srv_client_load(&w, &renew, 1);
    srv_client_csr_with(&w, &renew, "CN=signer,O=Acme", NULL, NULL, 0,
                        SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT, NULL);
    set_signer(&w, &renew, 0, old, old_len);
    cr_assert_eq(srv_enroll_type(&w, &renew, SCEPKIT_MSG_RENEWALREQ, NULL, &fresh, &fresh_len, NULL),
                 SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    check_issued(&w, fresh, fresh_len, &v);
    cr_assert(v.has_key_usage);
    cr_assert_eq(v.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE, "key usage 0x%x", (unsigned)v.key_usage);
    cr_assert_eq(v.not_after - v.not_before, ov.not_after - ov.not_before, "the signing profile's validity");
    cr_assert_eq(w.cfg.store.ops->cert_get(w.cfg.store.self, v.serial, buf, sizeof buf, &rec), SCEPKIT_OK);
    cr_assert_str_eq(rec.profile, "signing");
    free(old);
    free(fresh);
    srv_client_free(&c);
    srv_client_free(&renew);
    srv_world_free(&w);
}

/* An EC client (a device whose secure element only signs): a fresh P-256 key. */
static void ec_client(srv_world *w, srv_client *c)
{
    memset(c, 0, sizeof *c);
    scepkit_softkey_init(&c->sk, scepkit_locked_rng_port(&w->rng));
    cr_assert_eq(scepkit_softkey_generate(&c->sk, SCEPKIT_KEY_EC_P256, 0), SCEPKIT_OK);
}

Test(server_handler, ec_requester_with_a_challenge_gets_success_keyed_by_it_and_without_one_gets_bad_alg)
{
    srv_world w;
    srv_client c, renew;
    uint8_t *cert = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_REQUEST;
    srv_world_init(&w, "srv_ec", NULL, NULL);
    w.cfg.renewal_skips_challenge = 1;
    srv_world_start(&w);

    /* PKCSReq signed with ECDSA: SUCCESS enveloped to the challenge password, for the EC key requested */
    ec_client(&w, &c);
    srv_client_csr(&w, &c, "CN=ec device,O=Acme", SRV_CHALLENGE);
    c.reply_password = SRV_CHALLENGE;
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, &fi), SCEPKIT_STATUS_SUCCESS, "failInfo %d", (int)fi);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    scepkit_csr csr;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c.csr, c.csr_len}, &csr), SCEPKIT_OK);
    cr_assert_eq(v.spki.len, csr.spki.len);
    cr_assert_eq(memcmp(v.spki.ptr, csr.spki.ptr, v.spki.len), 0, "the certificate certifies the EC key");
    scepkit_key_type kt = SCEPKIT_KEY_NONE;
    size_t bits = 0;
    cr_assert_eq(scepkit_spki_info(v.spki, &kt, &bits), SCEPKIT_OK);
    cr_assert_eq(kt, SCEPKIT_KEY_EC_P256);
    /* a retry gets the same certificate, and CertPoll (challenge from the stored CSR) too */
    cr_assert_eq(srv_enroll(&w, &c, &again, &len2, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert(len2 == len && memcmp(again, cert, len) == 0);
    free(again);
    again = NULL;
    cr_assert_eq(poll(&w, &c, &again, &len2, &fi), SCEPKIT_STATUS_SUCCESS, "failInfo %d", (int)fi);
    cr_assert(len2 == len && memcmp(again, cert, len) == 0);
    free(again);
    again = NULL;

    /* renewal signed by the issued EC certificate without a challenge: no password to key the reply */
    ec_client(&w, &renew);
    srv_client_csr(&w, &renew, "CN=ec device,O=Acme", NULL);
    memcpy(c.csr, renew.csr, renew.csr_len); /* the new CSR, signed with the old key and certificate */
    c.csr_len = renew.csr_len;
    memcpy(c.txid, renew.txid, sizeof c.txid);
    memcpy(c.cert, cert, len);
    c.cert_len = len;
    int files = srv_store_files(&w);
    fi = SCEPKIT_FAIL_BAD_REQUEST;
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_RENEWALREQ, NULL, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_ALG);
    cr_assert_str_eq(w.events.last_reason, "an EC requester's reply is keyed by the challengePassword of its request "
                                           "(RFC 8894 section 3.1): send one, or sign with an RSA key");
    cr_assert_eq(srv_store_files(&w), files, "nothing stored, no certificate issued");
    free(cert);
    srv_client_free(&c);
    srv_client_free(&renew);
    srv_world_free(&w);
}

Test(server_handler, ec_requester_approved_manually_gets_success_at_certpoll_keyed_by_the_stored_challenge)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    static uint8_t mem[SCEPKIT_SERVER_SCRATCH(65536, 65536)];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    srv_world_init(&w, "srv_ec_pending", NULL, NULL);
    w.cfg.manual_approval = 1;
    srv_world_start(&w);
    ec_client(&w, &c);
    srv_client_csr(&w, &c, "CN=ec waiting", SRV_CHALLENGE);
    c.reply_password = SRV_CHALLENGE;
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    cr_assert_eq(poll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);
    cr_assert_eq(scepkit_server_approve(&w.srv, scepkit_bytes_str(c.txid), &ar), SCEPKIT_OK);
    cr_assert_eq(poll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    /* the wrong password cannot open it */
    c.reply_password = "not the challenge";
    uint8_t subj[512], data[1024];
    scepkit_csr csr;
    size_t dl = 0, ml = 0;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c.csr, c.csr_len}, &csr), SCEPKIT_OK);
    memcpy(subj, csr.subject.ptr, csr.subject.len);
    cr_assert_eq(
        scepkit_scep_issuer_and_subject_write(v.issuer, (scepkit_bytes){subj, csr.subject.len}, data, sizeof data, &dl),
        SCEPKIT_OK);
    uint8_t *msg = srv_request_opts(&w, &c, SCEPKIT_MSG_CERTPOLL, (scepkit_bytes){data, dl}, NULL, &ml);
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_SUCCESS);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_ERR_DECRYPT);
    cr_assert_eq(rep.status, SCEPKIT_STATUS_FAILURE);
    free(plain);
    free(msg);
    srv_answer_free(&a);
    free(cert);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* micromdm's scepclient derives the transactionID from the key, so a same-key renewal reuses it. */
Test(server_handler, same_key_renewals_reusing_the_transaction_id_get_new_certificates_and_retries_replay)
{
    srv_world w;
    srv_client c;
    uint8_t *c1 = NULL, *c2 = NULL, *c2b = NULL, *c3 = NULL;
    size_t l1 = 0, l2 = 0, l2b = 0, l3 = 0;
    srv_world_init(&w, "srv_samekey", NULL, NULL);
    w.cfg.renewal_skips_challenge = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=same-key,O=Acme", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &c1, &l1, NULL), SCEPKIT_STATUS_SUCCESS);

    set_signer(&w, &c, 0, c1, l1); /* same key, signed with the certificate just issued */
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_RENEWALREQ, NULL, &c2, &l2, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert(l2 != l1 || memcmp(c1, c2, l1) != 0, "a RenewalReq after the PKCSReq is a new transaction");

    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_RENEWALREQ, NULL, &c2b, &l2b, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert(l2b == l2 && memcmp(c2, c2b, l2) == 0, "a retry of the same renewal replays its certificate");

    set_signer(&w, &c, 0, c2, l2); /* the next renewal is signed with the certificate the last one issued */
    cr_assert_eq(srv_enroll_type(&w, &c, SCEPKIT_MSG_RENEWALREQ, NULL, &c3, &l3, NULL), SCEPKIT_STATUS_SUCCESS);
    cr_assert(l3 != l2 || memcmp(c2, c3, l2) != 0, "a renewal signed by the last certificate is new again");
    scepkit_x509 v;
    check_issued(&w, c3, l3, &v);
    free(c1);
    free(c2);
    free(c2b);
    free(c3);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, renewal_without_the_setting_still_needs_the_challenge)
{
    srv_world w;
    srv_client c, renew;
    uint8_t *old = NULL;
    size_t old_len = 0;
    srv_world_init(&w, "srv_renew2", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=renewer2", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &old, &old_len, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_load(&w, &renew, 1);
    srv_client_csr(&w, &renew, "CN=renewer2", NULL);
    set_signer(&w, &renew, 0, old, old_len);
    cr_assert_eq(srv_enroll_type(&w, &renew, SCEPKIT_MSG_RENEWALREQ, NULL, NULL, NULL, NULL), SCEPKIT_STATUS_FAILURE);
    free(old);
    srv_client_free(&c);
    srv_client_free(&renew);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* GetCert and GetCRL */

static srv_answer issuer_serial_op(srv_world *w, srv_client *c, scepkit_msg_type type, scepkit_bytes serial)
{
    scepkit_x509 ca;
    uint8_t data[1024];
    size_t dl = 0, ml = 0;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){w->ca_cert, w->ca_cert_len}, &ca), SCEPKIT_OK);
    cr_assert_eq(scepkit_scep_issuer_and_serial_write(ca.subject, serial, data, sizeof data, &dl), SCEPKIT_OK);
    uint8_t *msg = srv_request_opts(w, c, type, (scepkit_bytes){data, dl}, NULL, &ml);
    srv_answer a;
    cr_assert_eq(srv_handle(w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    free(msg);
    return a;
}

Test(server_handler, getcert_returns_an_issued_certificate_and_bad_cert_id_for_an_unknown_serial)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    srv_world_init(&w, "srv_getcert", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 2);
    srv_client_csr(&w, &c, "CN=getcert", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){cert, len}, &v), SCEPKIT_OK);
    srv_answer a = issuer_serial_op(&w, &c, SCEPKIT_MSG_GETCERT, v.serial);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_OK);
    cr_assert_eq(rep.status, SCEPKIT_STATUS_SUCCESS);
    size_t gl = 0;
    uint8_t *got = srv_first_cert(&rep, &gl);
    cr_assert_eq(gl, len);
    cr_assert_eq(memcmp(got, cert, len), 0);
    free(got);
    free(plain);
    srv_answer_free(&a);
    static const uint8_t unknown[] = {0x12, 0x34, 0x56};
    a = issuer_serial_op(&w, &c, SCEPKIT_MSG_GETCERT, (scepkit_bytes){unknown, sizeof unknown});
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_OK);
    cr_assert_eq(rep.status, SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(rep.fail_info, SCEPKIT_FAIL_BAD_CERT_ID);
    free(plain);
    srv_answer_free(&a);
    free(cert);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, getcrl_lists_a_revoked_serial_and_verifies_with_openssl)
{
    srv_world w;
    srv_client c, d;
    uint8_t *cert = NULL, *keep = NULL;
    size_t len = 0, keep_len = 0;
    srv_world_init(&w, "srv_getcrl", NULL, NULL);
    srv_world_start(&w);
    srv_client_load(&w, &c, 3);
    srv_client_csr(&w, &c, "CN=revoked", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_load(&w, &d, 4);
    srv_client_csr(&w, &d, "CN=kept", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &d, &keep, &keep_len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v, kv;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){cert, len}, &v), SCEPKIT_OK);
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){keep, keep_len}, &kv), SCEPKIT_OK);
    cr_assert_eq(scepkit_server_revoke(&w.srv, v.serial, 1), SCEPKIT_OK);
    cr_assert_eq(scepkit_server_revoke(&w.srv, v.serial, 1), SCEPKIT_OK, "revoking twice keeps the first");
    static const uint8_t unknown[] = {0x77};
    cr_assert_eq(scepkit_server_revoke(&w.srv, (scepkit_bytes){unknown, 1}, 1), SCEPKIT_ERR_NOT_FOUND);

    srv_answer a = issuer_serial_op(&w, &d, SCEPKIT_MSG_GETCRL, kv.serial);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(&w, &d, &a, &rep, &plain), SCEPKIT_OK);
    cr_assert_eq(rep.status, SCEPKIT_STATUS_SUCCESS);
    scepkit_cms_iter it = {0};
    scepkit_bytes crl;
    cr_assert_eq(scepkit_cms_next_crl(&rep.certs, &it, &crl), SCEPKIT_OK);
    char path[700], capath[700], cmd[4096], hex[64];
    static char out[16384];
    snprintf(path, sizeof path, "%s/crl.der", w.dir);
    srv_pki_path("ca.pem", capath, sizeof capath);
    cr_assert_eq(ts_write_file(path, crl.ptr, crl.len), 0);
    snprintf(cmd, sizeof cmd, "openssl crl -inform DER -in '%s' -CAfile '%s' -noout -text 2>&1", path, capath);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "verify OK"), "%s", out);
    for (size_t i = 0; i < v.serial.len; i++) {
        sprintf(hex + 2 * i, "%02X", v.serial.ptr[i]);
    }
    cr_assert_not_null(strstr(out, hex), "revoked serial %s listed:\n%s", hex, out);
    cr_assert_not_null(strstr(out, "Key Compromise"), "%s", out);
    for (size_t i = 0; i < kv.serial.len; i++) {
        sprintf(hex + 2 * i, "%02X", kv.serial.ptr[i]);
    }
    cr_assert_null(strstr(out, hex), "the kept certificate is not listed");
    cr_assert_not_null(strstr(out, "X509v3 CRL Number"), "%s", out);
    free(plain);
    srv_answer_free(&a);
    free(cert);
    free(keep);
    srv_client_free(&c);
    srv_client_free(&d);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* RA mode */

Test(server_handler, ra_mode_decrypts_with_the_ra_key_and_signs_replies_with_the_ra_certificate)
{
    srv_world w;
    srv_client c;
    uint8_t *cert = NULL;
    size_t len = 0;
    srv_world_init(&w, "srv_ra", NULL, NULL);
    srv_world_ra_mode(&w);
    w.cfg.include_ca_cert_in_certrep = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 5);
    srv_client_csr(&w, &c, "CN=via ra", SRV_CHALLENGE);
    size_t ml = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &ml);
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &plain), SCEPKIT_OK, "signed by the RA certificate");
    cr_assert_eq(rep.status, SCEPKIT_STATUS_SUCCESS);
    cert = srv_first_cert(&rep, &len);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    /* include_ca_cert_in_certrep: the CA certificate follows the issued one */
    scepkit_cms_iter it = {0};
    scepkit_bytes x;
    cr_assert_eq(scepkit_cms_next_cert(&rep.certs, &it, &x), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_next_cert(&rep.certs, &it, &x), SCEPKIT_OK);
    cr_assert_eq(x.len, w.ca_cert_len);
    cr_assert_eq(memcmp(x.ptr, w.ca_cert, x.len), 0);
    free(plain);
    srv_answer_free(&a);
    free(msg);
    free(cert);

    /* a request encrypted to the CA certificate instead of the RA: wrong recipient */
    w.cfg.ra_enc_cert = (scepkit_bytes){0};
    msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &ml); /* srv_enc_cert() is now the CA */
    w.cfg.ra_enc_cert = (scepkit_bytes){w.ra_cert, w.ra_cert_len};
    int files = srv_store_files(&w);
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, ml, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(a.resp.fail_info, SCEPKIT_FAIL_BAD_MESSAGE_CHECK, "%s", scepkit_err_name(a.resp.error));
    cr_assert_eq(srv_store_files(&w), files);
    srv_answer_free(&a);
    free(msg);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Challenge policies through the handler */

Test(server_handler, dynamic_challenge_token_naming_the_subject_is_issued_and_one_naming_another_is_refused)
{
    srv_world w;
    srv_client c;
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcde";
    scepkit_token_key keys[1] = {{7, {secret, sizeof secret}}};
    scepkit_policy_token tp = {keys, 1, {0}, {0}};
    srv_world_init(&w, "srv_token", NULL, NULL);
    w.profiles[1].allow_requested_validity = 1; /* the token's validity within the profile's bound */
    w.profiles[1].max_validity = 60 * 86400;
    tp.clock = (scepkit_clock){&srv_clock_ops, &w.clock};
    w.cfg.policy = scepkit_policy_token_port(&tp);
    srv_world_start(&w);
    srv_client_load(&w, &c, 6);

    /* the MDM side: a token for CN=device-42 with one DNS name, the signing profile, 10 days */
    uint8_t subj[256], sans[256];
    size_t sl = srv_name("CN=device-42,O=Acme", subj, sizeof subj);
    static const scepkit_san dns[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"device-42.acme", 14}}};
    srv_client_csr_with(&w, &c, "CN=device-42,O=Acme", "x", dns, 1, 0, NULL);
    scepkit_csr csr;
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c.csr, c.csr_len}, &csr), SCEPKIT_OK);
    memcpy(sans, csr.san.ptr, csr.san.len);
    scepkit_token_claims cl = {{subj, sl}, {sans, csr.san.len}, scepkit_bytes_str("signing"), w.clock.now + 3600, 10, 0,
                               {0}};
    char token[SCEPKIT_TOKEN_MAX_LEN + 1];
    size_t tl = 0;
    cr_assert_eq(scepkit_token_issue(&keys[0], &cl, token, sizeof token, &tl), SCEPKIT_OK);
    cr_assert_leq(tl, 255);

    uint8_t *cert = NULL;
    size_t len = 0;
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    srv_client_csr_with(&w, &c, "CN=device-42,O=Acme", token, dns, 1, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, &cert, &len, NULL), SCEPKIT_STATUS_SUCCESS);
    scepkit_x509 v;
    check_issued(&w, cert, len, &v);
    cr_assert_eq(v.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE, "the token's profile");
    cr_assert_eq(v.not_after - v.not_before, 10 * 86400 + 300, "the token's validity");
    free(cert);

    /* the same token, a CSR naming another subject */
    srv_client_free(&c);
    srv_client_load(&w, &c, 7);
    srv_client_csr_with(&w, &c, "CN=device-43,O=Acme", token, dns, 1, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_str_eq(w.events.last_reason, "subject differs from the one the challenge token names");
    /* ... or asking for a SAN the token does not allow */
    static const scepkit_san more[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"device-42.acme", 14}},
                                       {SCEPKIT_SAN_DNS, {(const uint8_t *)"bank.example", 12}}};
    srv_client_csr_with(&w, &c, "CN=device-42,O=Acme", token, more, 2, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    /* ... or once it has expired */
    w.clock.now += 3601;
    srv_client_csr_with(&w, &c, "CN=device-42,O=Acme", token, dns, 1, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_str_eq(w.events.last_reason, "challenge token expired");
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, single_use_token_enrolls_one_key_and_its_retries_but_no_other_key)
{
    srv_world w;
    srv_client c, d;
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcde";
    scepkit_token_key keys[1] = {{7, {secret, sizeof secret}}};
    scepkit_policy_token tp = {keys, 1, {0}, {0}};
    srv_world_init(&w, "srv_token_once", NULL, NULL);
    tp.clock = (scepkit_clock){&srv_clock_ops, &w.clock};
    tp.store = scepkit_file_store_port(&w.fs);
    w.cfg.policy = scepkit_policy_token_port(&tp);
    srv_world_start(&w);
    uint8_t subj[256];
    size_t sl = srv_name("CN=device-7,O=Acme", subj, sizeof subj);
    scepkit_token_claims cl = {{subj, sl}, {0}, {0}, w.clock.now + 3600, 0, 0, {0}};
    char token[SCEPKIT_TOKEN_MAX_LEN + 1];
    size_t tl = 0;
    cr_assert_eq(scepkit_token_issue(&keys[0], &cl, token, sizeof token, &tl), SCEPKIT_OK);

    srv_client_load(&w, &c, 6);
    srv_client_csr_with(&w, &c, "CN=device-7,O=Acme", token, NULL, 0, 0, NULL);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    /* the same device retries under a new transactionID (it lost its state): the same key, accepted */
    srv_client_csr_with(&w, &c, "CN=device-7,O=Acme", token, NULL, 0, 0, "device-7-second-attempt");
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    /* whoever else got hold of the token, with another key: refused, nothing recorded */
    int files = srv_store_files(&w);
    srv_client_load(&w, &d, 7);
    srv_client_csr_with(&w, &d, "CN=device-7,O=Acme", token, NULL, 0, 0, NULL);
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    cr_assert_eq(srv_enroll(&w, &d, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_str_eq(w.events.last_reason, "challenge token already used for another key");
    cr_assert_eq(srv_store_files(&w), files, "a refusal writes nothing");
    /* a reusable token (no store) would have let it through */
    tp.store = (scepkit_store){0};
    cr_assert_eq(srv_enroll(&w, &d, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_free(&c);
    srv_client_free(&d);
    srv_world_free(&w);
}

Test(server_handler, one_time_password_enrolls_once)
{
    srv_world w;
    srv_client c, d;
    scepkit_policy_otp po;
    srv_world_init(&w, "srv_otp", NULL, NULL);
    memset(&po, 0, sizeof po);
    po.store = scepkit_file_store_port(&w.fs);
    po.rng = scepkit_locked_rng_port(&w.rng);
    po.clock = (scepkit_clock){&srv_clock_ops, &w.clock};
    w.cfg.policy = scepkit_policy_otp_port(&po);
    srv_world_start(&w);
    char otp[64];
    size_t n = 0;
    cr_assert_eq(scepkit_otp_generate(&po, (scepkit_bytes){0}, otp, sizeof otp, &n), SCEPKIT_OK);
    cr_assert_eq(n, SCEPKIT_OTP_TEXT_LEN);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=otp one", otp);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS);
    srv_client_load(&w, &d, 1);
    srv_client_csr(&w, &d, "CN=otp two", otp);
    scepkit_fail_info fi = SCEPKIT_FAIL_BAD_ALG;
    cr_assert_eq(srv_enroll(&w, &d, NULL, NULL, &fi), SCEPKIT_STATUS_FAILURE, "used up");
    cr_assert_eq(fi, SCEPKIT_FAIL_BAD_REQUEST);
    srv_client_free(&c);
    srv_client_free(&d);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* The real captured requests (micromdm scepclient, certmonger, strongSwan pki) against their CA */

typedef struct vec_case {
    const char *file;
    const char *key;
    int legacy;
    scepkit_pki_status expect;
    scepkit_fail_info fail;
    scepkit_cipher reply_cipher;
} vec_case;

static void run_vector(const vec_case *vc, int idx)
{
    srv_world w;
    char kp[700], cp[700], name[64];
    snprintf(name, sizeof name, "srv_vec%d", idx);
    srv_world_init(&w, name, vec_keys("ca.key.pem", kp, sizeof kp), vec_keys("ca.pem", cp, sizeof cp));
    scepkit_policy_static_free(&w.pol);
    cr_assert_eq(scepkit_policy_static_init(&w.pol, scepkit_bytes_str("secret")), SCEPKIT_OK);
    w.cfg.allow_legacy = vc->legacy;
    size_t len = 0;
    uint8_t *msg = cms_vector_or_die(vc->file, &len);

    /* learn the request's signer, nonce and time as the client knows them */
    scepkit_scep_open_request_params op;
    memset(&op, 0, sizeof op);
    op.recipient_cert = (scepkit_bytes){w.ca_cert, w.ca_cert_len};
    op.recipient_key = scepkit_softkey_key(&w.ca_sk);
    op.rng = scepkit_locked_rng_port(&w.rng);
    op.allow_legacy = 1;
    uint8_t *plain = malloc(SCEPKIT_SCEP_OPEN_PLAIN_CAP(len));
    scepkit_scep_request req;
    cr_assert_eq(
        scepkit_scep_request_open((scepkit_bytes){msg, len}, &op, plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(len), &req),
        SCEPKIT_OK, "%s", vc->file);
    w.clock.now = req.signing_time + 2;
    srv_world_start(&w);

    srv_client c;
    memset(&c, 0, sizeof c);
    cms_load_key(&c.sk, vec_keys(vc->key, kp, sizeof kp), scepkit_locked_rng_port(&w.rng));
    memcpy(c.cert, req.signer_cert.ptr, req.signer_cert.len);
    c.cert_len = req.signer_cert.len;
    memcpy(c.nonce, req.sender_nonce, SCEPKIT_NONCE_LEN);
    snprintf(c.txid, sizeof c.txid, "%s", req.transaction_id);

    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", msg, len, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200, "%s: HTTP %d %s", vc->file, a.resp.http_status,
                 scepkit_err_name(a.resp.error));
    cr_assert_eq(a.resp.msg_type, req.type);
    scepkit_scep_reply rep;
    uint8_t *rplain = NULL;
    cr_assert_eq(srv_open_reply(&w, &c, &a, &rep, &rplain), SCEPKIT_OK, "%s", vc->file);
    cr_assert_eq(rep.status, vc->expect, "%s: status %d (%s)", vc->file, rep.status, rep.fail_info_text);
    if (vc->expect == SCEPKIT_STATUS_SUCCESS) {
        cr_assert_eq(rep.cipher, vc->reply_cipher, "%s", vc->file);
        size_t cl = 0;
        uint8_t *cert = srv_first_cert(&rep, &cl);
        scepkit_x509 v;
        check_issued(&w, cert, cl, &v);
        cr_assert_eq(v.spki.len, req.csr.spki.len);
        cr_assert_eq(memcmp(v.spki.ptr, req.csr.spki.ptr, v.spki.len), 0);
        scepkit_cms_signed sd;
        cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){a.body, a.len}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
        cr_assert_eq(skit_oid_find(sd.signer.sig_alg_oid), SKIT_OID_RSA_ENCRYPTION, "strongSwan needs this");
        free(cert);
    } else {
        cr_assert_eq(rep.fail_info, vc->fail, "%s", vc->file);
        cr_assert_eq(srv_store_files(&w), 0, "%s", vc->file);
    }
    free(rplain);
    free(plain);
    free(msg);
    srv_answer_free(&a);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, real_requests_from_micromdm_certmonger_and_strongswan_are_served)
{
    static const vec_case cases[] = {
        {"micromdm-client.pkcsreq.der", "micromdm-client.key.pem", 1, SCEPKIT_STATUS_SUCCESS, 0,
         SCEPKIT_CIPHER_DES_EDE3_CBC},
        {"micromdm-client.pkcsreq.der", "micromdm-client.key.pem", 0, SCEPKIT_STATUS_FAILURE, SCEPKIT_FAIL_BAD_ALG, 0},
        {"micromdm-client.pkcsreq-wrongchallenge.der", "micromdm-client-wrongchallenge.key.pem", 1,
         SCEPKIT_STATUS_FAILURE, SCEPKIT_FAIL_BAD_REQUEST, 0},
        {"micromdm-client.renewalreq.der", "micromdm-client.key.pem", 1, SCEPKIT_STATUS_SUCCESS, 0,
         SCEPKIT_CIPHER_DES_EDE3_CBC},
        {"certmonger.pkcsreq.der", "certmonger.key.pem", 0, SCEPKIT_STATUS_SUCCESS, 0, SCEPKIT_CIPHER_AES256_CBC},
        {"strongswan-pki.pkcsreq-aes128.der", "strongswan-aes.key.pem", 0, SCEPKIT_STATUS_SUCCESS, 0,
         SCEPKIT_CIPHER_AES128_CBC},
        {"strongswan-pki.pkcsreq-des3.der", "strongswan.key.pem", 0, SCEPKIT_STATUS_SUCCESS, 0,
         SCEPKIT_CIPHER_DES_EDE3_CBC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_vector(&cases[i], (int)i);
    }
}

Test(server_handler, certmonger_get_request_is_served_from_its_percent_encoded_query)
{
    srv_world w;
    char kp[700], cp[700];
    srv_world_init(&w, "srv_vec_get", vec_keys("ca.key.pem", kp, sizeof kp), vec_keys("ca.pem", cp, sizeof cp));
    scepkit_policy_static_free(&w.pol);
    cr_assert_eq(scepkit_policy_static_init(&w.pol, scepkit_bytes_str("secret")), SCEPKIT_OK);
    w.cfg.max_clock_skew = -1; /* the capture is older than the clock */
    srv_world_start(&w);
    size_t len = 0;
    uint8_t *msg = cms_vector_or_die("certmonger.pkcsreq.der", &len);
    size_t bl = scepkit_base64_encoded_len(len, SCEPKIT_B64_STD);
    char *b64 = malloc(bl + 1), *q = malloc(3 * bl + 1);
    size_t n = 0, qn = 0;
    cr_assert_eq(scepkit_base64_encode((scepkit_bytes){msg, len}, SCEPKIT_B64_STD, b64, bl + 1, &n), SCEPKIT_OK);
    for (size_t i = 0; i < n; i++) {
        qn += (size_t)(isalnum((unsigned char)b64[i]) ? sprintf(q + qn, "%c", b64[i])
                                                      : sprintf(q + qn, "%%%02X", (unsigned char)b64[i]));
    }
    srv_answer a;
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", (const uint8_t *)q, qn, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_SUCCESS, "%s", scepkit_err_name(a.resp.error));
    srv_answer_free(&a);
    free(b64);
    free(q);
    free(msg);
    srv_world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Hostile input */

Test(server_handler, hostile_input_gets_a_4xx_or_a_failure_certrep_and_writes_nothing)
{
    srv_world w;
    srv_client c;
    srv_world_init(&w, "srv_hostile", NULL, NULL);
    w.cfg.max_message_size = 8192;
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=hostile", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *good = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    /* The bit flips below use a request with a wrong challenge: a flip in bytes no signature covers (the
     * embedded self-signed certificate's own signature, unsigned fields) may leave a valid request, which must
     * then still end in FAILURE without a store write. */
    srv_client_csr(&w, &c, "CN=hostile", "not the challenge");
    size_t wlen = 0;
    uint8_t *wrong = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &wlen);

    /* garbage, empty, truncated CMS at many lengths, oversized */
    static const uint8_t garbage[] = "this is not DER at all";
    srv_answer a;
    cr_assert_eq(srv_handle(&w, "PKIOperation", garbage, sizeof garbage - 1, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400);
    srv_answer_free(&a);
    cr_assert_eq(srv_handle(&w, "PKIOperation", NULL, 0, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 400);
    srv_answer_free(&a);
    for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 97)) {
        cr_assert_eq(srv_handle(&w, "PKIOperation", good, cut, &a), SCEPKIT_OK);
        cr_assert(a.resp.http_status == 400 || (a.resp.http_status == 200 && a.resp.status == SCEPKIT_STATUS_FAILURE),
                  "cut %zu: HTTP %d", cut, a.resp.http_status);
        srv_answer_free(&a);
    }
    uint8_t *big = calloc(1, 8193);
    memcpy(big, good, len);
    cr_assert_eq(srv_handle(&w, "PKIOperation", big, 8193, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 413);
    srv_answer_free(&a);
    free(big);
    size_t ql = 3 * 8192 + 100;
    uint8_t *query = malloc(ql);
    memset(query, 'A', ql);
    cr_assert_eq(srv_handle_form(&w, "PKIOperation", query, ql, SCEPKIT_MESSAGE_QUERY, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 413);
    srv_answer_free(&a);
    free(query);

    /* every single-bit flip in the first 200 bytes and a sample after */
    uint8_t *m = malloc(wlen);
    for (size_t i = 0; i < wlen; i += (i < 200 ? 1 : 13)) {
        memcpy(m, wrong, wlen);
        m[i] ^= (uint8_t)(1u << (i % 8));
        cr_assert_eq(srv_handle(&w, "PKIOperation", m, wlen, &a), SCEPKIT_OK);
        cr_assert(a.resp.http_status == 400 || a.resp.http_status == 200, "flip %zu: HTTP %d", i, a.resp.http_status);
        if (a.resp.http_status == 200) {
            cr_assert(a.resp.is_certrep);
        }
        srv_answer_free(&a);
    }
    free(m);
    cr_assert_eq(srv_store_files(&w), 0, "nothing written");

    /* an unknown messageType (a CertRep sent to the server) */
    scepkit_scep_reply_params rp;
    memset(&rp, 0, sizeof rp);
    rp.transaction_id = scepkit_bytes_str(c.txid);
    rp.status = SCEPKIT_STATUS_PENDING;
    rp.signer_cert = (scepkit_bytes){c.cert, c.cert_len};
    rp.signer_key = scepkit_softkey_key(&c.sk);
    rp.rng = scepkit_locked_rng_port(&w.rng);
    static uint8_t mem[SCEPKIT_SCEP_REPLY_SCRATCH(0)];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    uint8_t rep[8192];
    size_t rl = 0;
    cr_assert_eq(scepkit_scep_reply_write(&rp, &ar, rep, sizeof rep, &rl), SCEPKIT_OK);
    cr_assert_eq(srv_handle(&w, "PKIOperation", rep, rl, &a), SCEPKIT_OK);
    cr_assert_eq(a.resp.http_status, 200);
    cr_assert(a.resp.is_certrep);
    cr_assert_eq(a.resp.status, SCEPKIT_STATUS_FAILURE);
    cr_assert_eq(a.resp.fail_info, SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_eq(a.resp.error, SCEPKIT_ERR_SCEP_MESSAGE_TYPE);
    srv_answer_free(&a);
    cr_assert_eq(srv_store_files(&w), 0, "nothing written");
    free(good);
    free(wrong);
    srv_client_free(&c);
    srv_world_free(&w);
}

Test(server_handler, every_smaller_arena_fails_cleanly_and_the_published_size_is_enough)
{
    srv_world w;
    srv_client c;
    srv_world_init(&w, "srv_arena", NULL, NULL);
    w.cfg.manual_approval = 1; /* keep the store small: PENDING */
    srv_world_start(&w);
    srv_client_load(&w, &c, 1);
    srv_client_csr(&w, &c, "CN=arena", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    size_t scratch = 0, outcap = 0;
    cr_assert_eq(scepkit_server_buffer_sizes(&w.srv, &scratch, &outcap), SCEPKIT_OK);
    uint8_t *mem = malloc(scratch), *out = malloc(outcap);
    scepkit_server_response r;
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, scratch);
    cr_assert_eq(scepkit_server_handle(&w.srv, scepkit_bytes_str("PKIOperation"), (scepkit_bytes){msg, len},
                                       SCEPKIT_MESSAGE_BODY, &ar, out, outcap, &r),
                 SCEPKIT_OK);
    cr_assert_eq(r.status, SCEPKIT_STATUS_PENDING);
    size_t peak = ar.peak;
    cr_assert_leq(peak, scratch);
    for (size_t cap = 0; cap < peak; cap += (cap < 4096 ? 512 : peak / 16 + 1)) {
        scepkit_arena_init(&ar, mem, cap);
        scepkit_err err = scepkit_server_handle(&w.srv, scepkit_bytes_str("PKIOperation"), (scepkit_bytes){msg, len},
                                                SCEPKIT_MESSAGE_BODY, &ar, out, outcap, &r);
        cr_assert(err == SCEPKIT_ERR_ARENA_EXHAUSTED || (err == SCEPKIT_OK && r.http_status == 200), "cap %zu: %s", cap,
                  scepkit_err_name(err));
        cr_assert_eq(ar.used, 0);
    }
    free(mem);
    free(out);
    free(msg);
    srv_client_free(&c);
    srv_world_free(&w);
}
