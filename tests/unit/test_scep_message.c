/* SCEP pkiMessage layer: round trips of every request type and CertRep status with RSA and EC clients, every real
 * request and CertRep of tests/vectors opened as the server / client would, and hostile messages (each failure a
 * specific error, outputs wiped). */
#include <time.h>

#include "cms_helpers.h"

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/scep.h"

/* ---------------------------------------------------------------------------------------------- */
/* Fixtures: the vectors' CA (RSA 2048), an RSA client (a vector key) and an EC client (generated). */

typedef struct party {
    scepkit_softkey sk;
    uint8_t *cert;
    size_t cert_len;
} party;

typedef struct world {
    ts_det_rng rng;
    party ca;
    party rsa;
    party ec;
    uint8_t *ca_name;
    size_t ca_name_len;
    int64_t now;
} world;

static uint8_t *vec_pem_der(const char *name, const char *label, size_t *len)
{
    char path[700];
    cms_vector_path(name, path, sizeof path);
    return cms_pem_file_to_der(path, label, len);
}

static void load_vec_key(scepkit_softkey *sk, const char *name, scepkit_rng rng)
{
    char path[700];
    cms_vector_path(name, path, sizeof path);
    cms_load_key(sk, path, rng);
}

static uint8_t *make_name(const char *text, size_t *len)
{
    scepkit_name_attr attrs[8];
    uint8_t oids[256];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str(text), attrs, 8, &n, oids, sizeof oids), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(attrs, n, NULL, 0, len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(*len);
    cr_assert_eq(scepkit_name_write(attrs, n, out, *len, len), SCEPKIT_OK);
    return out;
}

static void self_signed(world *w, party *p, const char *dn)
{
    static uint8_t mem[SCEPKIT_SCEP_SELF_SIGNED_SCRATCH];
    scepkit_arena a;
    size_t nlen = 0, need = 0;
    uint8_t *name = make_name(dn, &nlen);
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_scep_self_signed((scepkit_bytes){name, nlen}, scepkit_softkey_key(&p->sk),
                                          ts_det_rng_port(&w->rng), w->now, 7, &a, NULL, 0, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    p->cert = malloc(need);
    scepkit_err err = scepkit_scep_self_signed((scepkit_bytes){name, nlen}, scepkit_softkey_key(&p->sk),
                                               ts_det_rng_port(&w->rng), w->now, 7, &a, p->cert, need, &p->cert_len);
    cr_assert_eq(err, SCEPKIT_OK, "self_signed: %s", scepkit_err_name(err));
    cr_assert_leq(a.peak, SCEPKIT_SCEP_SELF_SIGNED_SCRATCH);
    cr_assert_eq(a.used, 0);
    free(name);
}

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    w->now = (int64_t)time(NULL);
    ts_det_rng_init(&w->rng, 42);
    load_vec_key(&w->ca.sk, "keys/ca.key.pem", ts_det_rng_port(&w->rng));
    w->ca.cert = vec_pem_der("keys/ca.pem", "CERTIFICATE", &w->ca.cert_len);
    scepkit_x509 v;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){w->ca.cert, w->ca.cert_len}, &v), SCEPKIT_OK);
    w->ca_name = malloc(v.subject.len);
    memcpy(w->ca_name, v.subject.ptr, v.subject.len);
    w->ca_name_len = v.subject.len;
    load_vec_key(&w->rsa.sk, "keys/micromdm-client.key.pem", ts_det_rng_port(&w->rng));
    self_signed(w, &w->rsa, "CN=rsa client,O=scepkit");
    scepkit_softkey_init(&w->ec.sk, ts_det_rng_port(&w->rng));
    cr_assert_eq(scepkit_softkey_generate(&w->ec.sk, SCEPKIT_KEY_EC_P256, 0), SCEPKIT_OK);
    self_signed(w, &w->ec, "CN=ec client,O=scepkit");
}

static void world_free(world *w)
{
    party *ps[3] = {&w->ca, &w->rsa, &w->ec};
    for (size_t i = 0; i < 3; i++) {
        scepkit_softkey_free(&ps[i]->sk);
        free(ps[i]->cert);
    }
    free(w->ca_name);
}

static uint8_t *make_csr(world *w, party *p, const char *dn, size_t *len)
{
    static uint8_t mem[SCEPKIT_CSR_WRITE_SCRATCH];
    scepkit_name_attr attrs[8];
    uint8_t oids[256];
    size_t n = 0, need = 0;
    scepkit_arena a;
    scepkit_csr_params cp;
    (void)w;
    memset(&cp, 0, sizeof cp);
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str(dn), attrs, 8, &n, oids, sizeof oids), SCEPKIT_OK);
    cp.subject = attrs;
    cp.subject_count = n;
    cp.challenge = scepkit_bytes_str("s3cret");
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_csr_write(&cp, scepkit_softkey_key(&p->sk), &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_csr_write(&cp, scepkit_softkey_key(&p->sk), &a, out, need, len), SCEPKIT_OK);
    return out;
}

static uint8_t *write_request(const scepkit_scep_request_params *p, size_t *len)
{
    size_t scratch_len = SCEPKIT_SCEP_REQUEST_SCRATCH(p->message_data.len);
    uint8_t *mem = malloc(scratch_len);
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, scratch_len);
    scepkit_err err = scepkit_scep_request_write(p, &a, NULL, 0, &need);
    cr_assert_eq(err, SCEPKIT_ERR_BUFFER_TOO_SMALL, "request size pass: %s", scepkit_err_name(err));
    uint8_t *out = malloc(need);
    err = scepkit_scep_request_write(p, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "request_write: %s", scepkit_err_name(err));
    cr_assert_leq(*len, need);
    cr_assert_leq(a.peak, scratch_len);
    cr_assert_eq(a.used, 0);
    free(mem);
    return out;
}

static size_t payload_len(const scepkit_scep_reply_params *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->cert_count; i++) {
        n += p->certs[i].len;
    }
    for (size_t i = 0; i < p->crl_count; i++) {
        n += p->crls[i].len;
    }
    return n;
}

static uint8_t *write_reply(const scepkit_scep_reply_params *p, size_t *len)
{
    size_t scratch_len = SCEPKIT_SCEP_REPLY_SCRATCH(payload_len(p));
    uint8_t *mem = malloc(scratch_len);
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, scratch_len);
    scepkit_err err = scepkit_scep_reply_write(p, &a, NULL, 0, &need);
    cr_assert_eq(err, SCEPKIT_ERR_BUFFER_TOO_SMALL, "reply size pass: %s", scepkit_err_name(err));
    uint8_t *out = malloc(need);
    err = scepkit_scep_reply_write(p, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "reply_write: %s", scepkit_err_name(err));
    cr_assert_leq(*len, need);
    cr_assert_leq(a.peak, scratch_len);
    cr_assert_eq(a.used, 0);
    free(mem);
    return out;
}

static scepkit_err open_request(world *w, const uint8_t *msg, size_t len, int legacy, uint8_t **plain,
                                scepkit_scep_request *out)
{
    scepkit_scep_open_request_params op;
    memset(&op, 0, sizeof op);
    op.recipient_cert = (scepkit_bytes){w->ca.cert, w->ca.cert_len};
    op.recipient_key = scepkit_softkey_key(&w->ca.sk);
    op.rng = ts_det_rng_port(&w->rng);
    op.allow_legacy = legacy;
    size_t cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(len);
    *plain = malloc(cap + 1);
    return scepkit_scep_request_open((scepkit_bytes){msg, len}, &op, *plain, cap, out);
}

static void request_params(world *w, party *client, scepkit_scep_request_params *p, scepkit_msg_type type,
                           scepkit_bytes data)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    p->transaction_id = scepkit_bytes_str("TXID-0123456789abcdef+/=");
    for (size_t i = 0; i < SCEPKIT_NONCE_LEN; i++) {
        p->sender_nonce[i] = (uint8_t)(0xa0 + i);
    }
    p->message_data = data;
    p->signer_cert = (scepkit_bytes){client->cert, client->cert_len};
    p->signer_key = scepkit_softkey_key(&client->sk);
    p->recipient_cert = (scepkit_bytes){w->ca.cert, w->ca.cert_len};
    p->rng = ts_det_rng_port(&w->rng);
}

/* ---------------------------------------------------------------------------------------------- */

Test(scep_message, names_of_message_types_and_fail_infos)
{
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_PKCSREQ), "PKCSReq");
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_RENEWALREQ), "RenewalReq");
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_CERTREP), "CertRep");
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_CERTPOLL), "CertPoll");
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_GETCERT), "GetCert");
    cr_assert_str_eq(scepkit_msg_type_name(SCEPKIT_MSG_GETCRL), "GetCRL");
    cr_assert_str_eq(scepkit_msg_type_name((scepkit_msg_type)99), "unknown");
    cr_assert_str_eq(scepkit_fail_info_name(SCEPKIT_FAIL_BAD_ALG), "badAlg");
    cr_assert_str_eq(scepkit_fail_info_name(SCEPKIT_FAIL_BAD_MESSAGE_CHECK), "badMessageCheck");
    cr_assert_str_eq(scepkit_fail_info_name(SCEPKIT_FAIL_BAD_REQUEST), "badRequest");
    cr_assert_str_eq(scepkit_fail_info_name(SCEPKIT_FAIL_BAD_TIME), "badTime");
    cr_assert_str_eq(scepkit_fail_info_name(SCEPKIT_FAIL_BAD_CERT_ID), "badCertId");
    cr_assert_str_eq(scepkit_fail_info_name((scepkit_fail_info)5), "unknown");
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_BAD_SIGNATURE), SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_DECRYPT), SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_LEGACY_DISABLED), SCEPKIT_FAIL_BAD_ALG);
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_UNKNOWN_ALGORITHM), SCEPKIT_FAIL_BAD_ALG);
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_SCEP_MESSAGE_DATA), SCEPKIT_FAIL_BAD_REQUEST);
    cr_assert_eq(scepkit_scep_fail_info_for(SCEPKIT_ERR_SCEP_MESSAGE_TYPE), SCEPKIT_FAIL_BAD_REQUEST);
}

Test(scep_message, transaction_id_is_uppercase_hex_sha256_of_the_spki)
{
    size_t len = 0;
    uint8_t *spki = cms_vector_or_die("config/rsa2048.spki.der", &len);
    char txid[65], small[64], cmd[1024], out[256];
    size_t n = 0;
    cr_assert_eq(scepkit_scep_transaction_id((scepkit_bytes){spki, len}, txid, sizeof txid, &n), SCEPKIT_OK);
    cr_assert_eq(n, 64);
    cr_assert_eq(strlen(txid), 64);
    snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s/config/rsa2048.spki.der' | cut -c1-64 | tr a-f A-F",
             SCEPKIT_TEST_VECTORS);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0);
    cr_assert_eq(strncmp(out, txid, 64), 0, "%s vs %s", out, txid);
    cr_assert_eq(scepkit_scep_transaction_id((scepkit_bytes){spki, len}, small, sizeof small, &n),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 64);
    cr_assert_eq(scepkit_scep_transaction_id((scepkit_bytes){spki, 3}, txid, sizeof txid, &n), SCEPKIT_ERR_ARG);
    free(spki);
}

Test(scep_message, self_signed_signer_certificate_is_valid_and_openssl_reads_it)
{
    world w;
    scepkit_x509 v;
    char dir[512], path[700], cmd[4096];
    static char out[16384];
    world_init(&w);
    party *ps[2] = {&w.rsa, &w.ec};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(scepkit_x509_parse((scepkit_bytes){ps[i]->cert, ps[i]->cert_len}, &v), SCEPKIT_OK);
        cr_assert_eq(v.version, 3);
        cr_assert(v.has_basic_constraints && !v.is_ca);
        cr_assert(v.has_key_usage);
        cr_assert_eq(v.key_usage, SCEPKIT_KU_DIGITAL_SIGNATURE | (i == 0 ? SCEPKIT_KU_KEY_ENCIPHERMENT : 0u));
        cr_assert_eq(v.serial.len, 8);
        cr_assert_eq(v.not_before, w.now - 3600);
        cr_assert_eq(v.not_after, w.now + 7 * 86400);
        cr_assert_eq(v.issuer.len, v.subject.len);
        cr_assert_eq(memcmp(v.issuer.ptr, v.subject.ptr, v.issuer.len), 0);
        cr_assert_eq(scepkit_x509_verify_signature(&v, v.spki, 0), SCEPKIT_OK);
    }
    ts_tmpdir("scep_self_signed", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/self.der", dir);
    cr_assert_eq(ts_write_file(path, w.rsa.cert, w.rsa.cert_len), 0);
    snprintf(cmd, sizeof cmd,
             "openssl verify -check_ss_sig -partial_chain -trusted '%s' '%s' 2>&1 && "
             "openssl x509 -inform DER -in '%s' -noout -text 2>&1",
             path, path, path);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "Subject: CN = rsa client, O = scepkit"), "%s", out);
    cr_assert_not_null(strstr(out, "CA:FALSE"), "%s", out);
    world_free(&w);
}

Test(scep_message, message_data_writers_encode_issuer_and_subject_and_serial)
{
    world w;
    world_init(&w);
    size_t nlen = 0, len = 0, need = 0;
    uint8_t *subj = make_name("CN=x", &nlen);
    uint8_t buf[512];
    cr_assert_eq(scepkit_scep_issuer_and_subject_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                       (scepkit_bytes){subj, nlen}, NULL, 0, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(scepkit_scep_issuer_and_subject_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                       (scepkit_bytes){subj, nlen}, buf, sizeof buf, &len),
                 SCEPKIT_OK);
    cr_assert_eq(len, need);
    cr_assert_eq(len, 2 + w.ca_name_len + nlen);
    cr_assert_eq(buf[0], 0x30);
    cr_assert_eq(memcmp(buf + 2, w.ca_name, w.ca_name_len), 0);
    static const uint8_t serial[] = {0x00, 0x94, 0xff};
    cr_assert_eq(scepkit_scep_issuer_and_serial_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                      (scepkit_bytes){serial, sizeof serial}, buf, sizeof buf, &len),
                 SCEPKIT_OK);
    cr_assert_eq(len, 2 + w.ca_name_len + 2 + sizeof serial);
    cr_assert_eq(memcmp(buf + 2 + w.ca_name_len, "\x02\x03\x00\x94\xff", 5), 0);
    static const uint8_t nonminimal[] = {0x00, 0x01};
    cr_assert_eq(scepkit_scep_issuer_and_serial_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                      (scepkit_bytes){nonminimal, 2}, buf, sizeof buf, &len),
                 SCEPKIT_ERR_ARG);
    cr_assert_eq(scepkit_scep_issuer_and_subject_write((scepkit_bytes){w.ca_name, w.ca_name_len - 1},
                                                       (scepkit_bytes){subj, nlen}, buf, sizeof buf, &len),
                 SCEPKIT_ERR_ARG);
    free(subj);
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Round trips */

Test(scep_message, every_request_type_round_trips_with_rsa_and_ec_clients)
{
    static const struct {
        scepkit_msg_type type;
        scepkit_cipher cipher;
        scepkit_md md;
        scepkit_cms_sig_style style;
    } cases[] = {
        {SCEPKIT_MSG_PKCSREQ, SCEPKIT_CIPHER_NONE, SCEPKIT_MD_NONE, SCEPKIT_CMS_SIG_NAMED},
        {SCEPKIT_MSG_RENEWALREQ, SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_MD_SHA512, SCEPKIT_CMS_SIG_NAMED},
        {SCEPKIT_MSG_PKCSREQ, SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_RSA_ENCRYPTION},
        {SCEPKIT_MSG_CERTPOLL, SCEPKIT_CIPHER_AES192_CBC, SCEPKIT_MD_SHA384, SCEPKIT_CMS_SIG_NAMED},
        {SCEPKIT_MSG_GETCERT, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED},
        {SCEPKIT_MSG_GETCRL, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_RSA_ENCRYPTION},
    };
    world w;
    world_init(&w);
    party *clients[2] = {&w.rsa, &w.ec};
    for (size_t c = 0; c < 2; c++) {
        size_t csr_len = 0, ias_len = 0, iasn_len = 0, nlen = 0;
        uint8_t *csr = make_csr(&w, clients[c], "CN=device 7,O=scepkit", &csr_len);
        uint8_t *subj = make_name("CN=device 7,O=scepkit", &nlen);
        uint8_t ias[1024], iasn[1024];
        static const uint8_t serial[] = {0x02};
        cr_assert_eq(scepkit_scep_issuer_and_subject_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                           (scepkit_bytes){subj, nlen}, ias, sizeof ias, &ias_len),
                     SCEPKIT_OK);
        cr_assert_eq(scepkit_scep_issuer_and_serial_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                          (scepkit_bytes){serial, 1}, iasn, sizeof iasn, &iasn_len),
                     SCEPKIT_OK);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (c == 1 && cases[i].style == SCEPKIT_CMS_SIG_RSA_ENCRYPTION) {
                continue; /* plain rsaEncryption is an RSA-only style */
            }
            scepkit_bytes data = cases[i].type == SCEPKIT_MSG_CERTPOLL ? (scepkit_bytes){ias, ias_len}
                                 : (cases[i].type == SCEPKIT_MSG_GETCERT || cases[i].type == SCEPKIT_MSG_GETCRL)
                                     ? (scepkit_bytes){iasn, iasn_len}
                                     : (scepkit_bytes){csr, csr_len};
            scepkit_scep_request_params p;
            request_params(&w, clients[c], &p, cases[i].type, data);
            p.cipher = cases[i].cipher;
            p.md = cases[i].md;
            p.sig_style = cases[i].style;
            p.signing_time = i % 2 == 0 ? w.now : 0;
            size_t len = 0;
            uint8_t *msg = write_request(&p, &len);
            scepkit_scep_request r;
            uint8_t *plain = NULL;
            scepkit_err err = open_request(&w, msg, len, 0, &plain, &r);
            cr_assert_eq(err, SCEPKIT_OK, "client %zu case %zu: %s", c, i, scepkit_err_name(err));
            cr_assert(r.reply_possible);
            cr_assert_eq(r.type, cases[i].type);
            cr_assert_str_eq(r.transaction_id, "TXID-0123456789abcdef+/=");
            cr_assert_eq(memcmp(r.sender_nonce, p.sender_nonce, SCEPKIT_NONCE_LEN), 0);
            cr_assert_eq(r.signer_cert.len, p.signer_cert.len);
            cr_assert_eq(memcmp(r.signer_cert.ptr, p.signer_cert.ptr, p.signer_cert.len), 0);
            cr_assert_eq(r.md, cases[i].md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : cases[i].md);
            cr_assert_eq(r.sig_style, cases[i].style);
            cr_assert_eq(r.cipher,
                         cases[i].cipher == SCEPKIT_CIPHER_NONE ? SCEPKIT_CIPHER_AES128_CBC : cases[i].cipher);
            cr_assert_eq(r.has_signing_time, p.signing_time != 0);
            cr_assert_eq(r.signing_time, p.signing_time);
            cr_assert_eq(r.message_data.len, data.len);
            cr_assert_eq(memcmp(r.message_data.ptr, data.ptr, data.len), 0);
            if (cases[i].type == SCEPKIT_MSG_PKCSREQ || cases[i].type == SCEPKIT_MSG_RENEWALREQ) {
                cr_assert_eq(r.csr.subject.len, nlen);
                cr_assert_eq(scepkit_csr_verify(&r.csr, 0), SCEPKIT_OK);
            } else {
                cr_assert_eq(r.issuer.len, w.ca_name_len);
                cr_assert_eq(memcmp(r.issuer.ptr, w.ca_name, w.ca_name_len), 0);
                if (cases[i].type == SCEPKIT_MSG_CERTPOLL) {
                    cr_assert_eq(r.subject.len, nlen);
                } else {
                    cr_assert(r.serial.len == 1 && r.serial.ptr[0] == 0x02);
                }
            }
            free(plain);
            free(msg);
        }
        free(csr);
        free(subj);
    }
    world_free(&w);
}

/* Issues a certificate for the CSR with the CA key (the server engine does this through its CA port). */
static uint8_t *issue_for(world *w, const scepkit_csr *csr, size_t *len)
{
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    static const uint8_t serial[] = {0x10, 0x01};
    scepkit_arena a;
    scepkit_x509_params xp;
    size_t need = 0;
    memset(&xp, 0, sizeof xp);
    xp.serial = (scepkit_bytes){serial, sizeof serial};
    xp.issuer = (scepkit_bytes){w->ca_name, w->ca_name_len};
    xp.subject = csr->subject;
    xp.spki = csr->spki;
    xp.not_before = w->now - 60;
    xp.not_after = w->now + 86400;
    xp.path_len = -1;
    xp.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_x509_write(&xp, scepkit_softkey_key(&w->ca.sk), &a, NULL, 0, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_x509_write(&xp, scepkit_softkey_key(&w->ca.sk), &a, out, need, len), SCEPKIT_OK);
    return out;
}

static uint8_t *issue_crl(world *w, size_t *len)
{
    static uint8_t mem[SCEPKIT_X509_WRITE_SCRATCH];
    static const uint8_t serial[] = {0x05};
    scepkit_crl_entry e = {{serial, 1}, w->now - 10, 1};
    scepkit_crl_params cp;
    scepkit_arena a;
    size_t need = 0;
    memset(&cp, 0, sizeof cp);
    cp.issuer = (scepkit_bytes){w->ca_name, w->ca_name_len};
    cp.this_update = w->now;
    cp.next_update = w->now + 3600;
    cp.crl_number = 9;
    cp.entries = &e;
    cp.entry_count = 1;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_crl_write(&cp, scepkit_softkey_key(&w->ca.sk), &a, NULL, 0, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_crl_write(&cp, scepkit_softkey_key(&w->ca.sk), &a, out, need, len), SCEPKIT_OK);
    return out;
}

/* What the server answers to request `r` (same md and signature style, as the CA/RA). */
static void reply_params_for(world *w, const scepkit_scep_request *r, scepkit_scep_reply_params *rp)
{
    memset(rp, 0, sizeof *rp);
    rp->transaction_id = scepkit_bytes_str(r->transaction_id);
    memcpy(rp->recipient_nonce, r->sender_nonce, SCEPKIT_NONCE_LEN);
    for (size_t i = 0; i < SCEPKIT_NONCE_LEN; i++) {
        rp->sender_nonce[i] = (uint8_t)(0x30 + i);
    }
    rp->recipient_cert = r->signer_cert;
    rp->signer_cert = (scepkit_bytes){w->ca.cert, w->ca.cert_len};
    rp->signer_key = scepkit_softkey_key(&w->ca.sk);
    rp->md = r->md;
    rp->sig_style = r->sig_style;
    rp->cipher = r->cipher;
    rp->rng = ts_det_rng_port(&w->rng);
    rp->signing_time = w->now;
}

static scepkit_err open_reply_pw(world *w, party *client, const uint8_t *msg, size_t len, const char *txid,
                                 const uint8_t *nonce, const char *password, uint8_t **plain, scepkit_scep_reply *out)
{
    scepkit_scep_open_reply_params op;
    scepkit_bytes signers[1] = {{w->ca.cert, w->ca.cert_len}};
    memset(&op, 0, sizeof op);
    op.transaction_id = scepkit_bytes_str(txid);
    memcpy(op.sender_nonce, nonce, SCEPKIT_NONCE_LEN);
    op.signer_certs = signers;
    op.signer_cert_count = 1;
    op.our_cert = (scepkit_bytes){client->cert, client->cert_len};
    op.our_key = scepkit_softkey_key(&client->sk);
    op.rng = ts_det_rng_port(&w->rng);
    op.password = scepkit_bytes_str(password);
    size_t cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(len);
    *plain = malloc(cap + 1);
    return scepkit_scep_reply_open((scepkit_bytes){msg, len}, &op, *plain, cap, out);
}

static scepkit_err open_reply(world *w, party *client, const uint8_t *msg, size_t len, const char *txid,
                              const uint8_t *nonce, uint8_t **plain, scepkit_scep_reply *out)
{
    return open_reply_pw(w, client, msg, len, txid, nonce, NULL, plain, out);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

Test(scep_message, every_certrep_status_round_trips_and_ec_clients_get_success_by_challenge_password)
{
    world w;
    world_init(&w);
    party *clients[2] = {&w.rsa, &w.ec};
    for (size_t c = 0; c < 2; c++) {
        size_t csr_len = 0, len = 0;
        uint8_t *csr = make_csr(&w, clients[c], "CN=device 8", &csr_len);
        scepkit_scep_request_params p;
        request_params(&w, clients[c], &p, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){csr, csr_len});
        p.cipher = SCEPKIT_CIPHER_AES256_CBC;
        p.sig_style = c == 0 ? SCEPKIT_CMS_SIG_RSA_ENCRYPTION : SCEPKIT_CMS_SIG_NAMED;
        uint8_t *req = write_request(&p, &len);
        scepkit_scep_request r;
        uint8_t *rplain = NULL;
        cr_assert_eq(open_request(&w, req, len, 0, &rplain, &r), SCEPKIT_OK);

        /* SUCCESS with the issued certificate and the CA; SUCCESS with a CRL (GetCRL) */
        size_t issued_len = 0, crl_len = 0;
        uint8_t *issued = issue_for(&w, &r.csr, &issued_len);
        uint8_t *crl = issue_crl(&w, &crl_len);
        scepkit_bytes certs[2] = {{issued, issued_len}, {w.ca.cert, w.ca.cert_len}};
        scepkit_bytes crls[1] = {{crl, crl_len}};
        for (int kind = 0; kind < 2; kind++) {
            scepkit_scep_reply_params rp;
            reply_params_for(&w, &r, &rp);
            rp.status = SCEPKIT_STATUS_SUCCESS;
            if (kind == 0) {
                rp.certs = certs;
                rp.cert_count = 2;
            } else {
                rp.crls = crls;
                rp.crl_count = 1;
            }
            const char *pw = NULL;
            if (c == 1) {
                /* An EC client cannot receive RSA key transport: without a password the writer refuses (see
                 * docs/scep-messages.md); with the request's challengePassword it writes a PasswordRecipientInfo. */
                static uint8_t mem[SCEPKIT_SCEP_REPLY_SCRATCH(4096)];
                scepkit_arena a;
                size_t need = 0;
                scepkit_arena_init(&a, mem, sizeof mem);
                cr_assert_eq(scepkit_scep_reply_write(&rp, &a, NULL, 0, &need), SCEPKIT_ERR_KEY_TYPE);
                cr_assert(r.csr.has_challenge);
                rp.password = r.csr.challenge;
                pw = "s3cret";
            } else {
                rp.password = scepkit_bytes_str("ignored for an RSA requester");
            }
            size_t rlen = 0;
            uint8_t *rep = write_reply(&rp, &rlen);
            scepkit_scep_reply out;
            uint8_t *plain = NULL;
            scepkit_err err;
            if (c == 1) {
                /* wrong, missing password: an error, FAILURE status and nothing left in `plain` */
                static const struct {
                    const char *pw;
                    scepkit_err want;
                } bad[] = {{"s3creT", SCEPKIT_ERR_DECRYPT},
                           {"s3cret ", SCEPKIT_ERR_DECRYPT},
                           {NULL, SCEPKIT_ERR_CMS_NO_RECIPIENT}};
                for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                    err = open_reply_pw(&w, clients[c], rep, rlen, r.transaction_id, p.sender_nonce, bad[b].pw, &plain,
                                        &out);
                    cr_assert_eq(err, bad[b].want, "bad password %zu: %s", b, scepkit_err_name(err));
                    cr_assert_eq(out.status, SCEPKIT_STATUS_FAILURE);
                    cr_assert_eq(out.certs_only.len, 0);
                    cr_assert(all_zero(plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(rlen)), "plain wiped");
                    free(plain);
                    plain = NULL;
                }
                /* the envelope has exactly one recipient, a PasswordRecipientInfo */
                scepkit_cms_signed osd;
                scepkit_cms_enveloped env;
                scepkit_cms_iter rit = {{NULL, 0}, 0};
                scepkit_cms_recipient_info ri;
                cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){rep, rlen}, 0, &osd), SCEPKIT_OK);
                cr_assert_eq(scepkit_cms_enveloped_parse(osd.content, 0, &env), SCEPKIT_OK);
                cr_assert_eq(env.recipient_count, 1);
                cr_assert_eq(scepkit_cms_next_recipient(&env, &rit, &ri), SCEPKIT_OK);
                cr_assert_eq(ri.type, SCEPKIT_CMS_RI_PWRI);
            }
            err = open_reply_pw(&w, clients[c], rep, rlen, r.transaction_id, p.sender_nonce, pw, &plain, &out);
            cr_assert_eq(err, SCEPKIT_OK, "SUCCESS kind %d: %s", kind, scepkit_err_name(err));
            cr_assert_eq(out.status, SCEPKIT_STATUS_SUCCESS);
            cr_assert_eq(out.cipher, SCEPKIT_CIPHER_AES256_CBC);
            cr_assert_eq(out.md, SCEPKIT_MD_SHA256);
            cr_assert_eq(memcmp(out.sender_nonce, rp.sender_nonce, SCEPKIT_NONCE_LEN), 0);
            scepkit_cms_iter it = {{NULL, 0}, 0};
            scepkit_bytes got;
            if (kind == 0) {
                cr_assert_eq(scepkit_cms_next_cert(&out.certs, &it, &got), SCEPKIT_OK);
                cr_assert(got.len == issued_len && memcmp(got.ptr, issued, issued_len) == 0, "issued cert first");
                cr_assert_eq(scepkit_cms_next_cert(&out.certs, &it, &got), SCEPKIT_OK);
                cr_assert(got.len == w.ca.cert_len);
                cr_assert_eq(scepkit_cms_next_cert(&out.certs, &it, &got), SCEPKIT_ERR_NOT_FOUND);
            } else {
                cr_assert_eq(scepkit_cms_next_crl(&out.certs, &it, &got), SCEPKIT_OK);
                cr_assert(got.len == crl_len && memcmp(got.ptr, crl, crl_len) == 0);
            }
            /* the outer SignedData carries the signature style the requester used */
            scepkit_cms_signed sd;
            cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){rep, rlen}, 0, &sd), SCEPKIT_OK);
            cr_assert_eq(skit_oid_find(sd.signer.sig_alg_oid),
                         c == 0 ? SKIT_OID_RSA_ENCRYPTION : SKIT_OID_SHA256_WITH_RSA);
            free(plain);
            free(rep);
        }

        /* FAILURE with every failInfo (and a text), and PENDING */
        for (int fi = 0; fi <= 5; fi++) {
            scepkit_scep_reply_params rp;
            reply_params_for(&w, &r, &rp);
            if (fi == 5) {
                rp.status = SCEPKIT_STATUS_PENDING;
            } else {
                rp.status = SCEPKIT_STATUS_FAILURE;
                rp.fail_info = (scepkit_fail_info)fi;
                rp.fail_info_text = fi == 2 ? scepkit_bytes_str("challenge r\xc3\xa9jected") : (scepkit_bytes){NULL, 0};
            }
            size_t rlen = 0;
            uint8_t *rep = write_reply(&rp, &rlen);
            scepkit_scep_reply out;
            uint8_t *plain = NULL;
            scepkit_err err = open_reply(&w, clients[c], rep, rlen, r.transaction_id, p.sender_nonce, &plain, &out);
            cr_assert_eq(err, SCEPKIT_OK, "status case %d: %s", fi, scepkit_err_name(err));
            cr_assert_eq(out.status, rp.status);
            if (fi < 5) {
                cr_assert_eq(out.fail_info, (scepkit_fail_info)fi);
                cr_assert_str_eq(out.fail_info_text, fi == 2 ? "challenge r\xc3\xa9jected" : "");
            }
            cr_assert_eq(out.certs_only.len, 0);
            free(plain);
            free(rep);
        }
        free(issued);
        free(crl);
        free(rplain);
        free(req);
        free(csr);
    }
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Real requests (tests/vectors, captured from micromdm scepclient, strongSwan pki and certmonger) */

typedef struct req_vector {
    const char *file;
    scepkit_msg_type type;
    const char *txid;
    const char *nonce_hex;
    const char *csr_subject;
    scepkit_cipher cipher;
    scepkit_md md;
    scepkit_cms_sig_style style;
} req_vector;

static const req_vector req_vectors[] = {
    {"micromdm-client.pkcsreq.der", SCEPKIT_MSG_PKCSREQ,
     "H4sEbmDHTvFfNse6aUACX6n6ELQ=", "fc489d08f458b6625bff7c098ad2fccd", "C=US, O=scep-client, OU=MDM, CN=mm-vector",
     SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_NAMED},
    {"micromdm-client.pkcsreq-wrongchallenge.der", SCEPKIT_MSG_PKCSREQ,
     "diJTbj00+D+EJoodi76eskqcrO0=", "4bb7186accfa19ad0d5a758288f1d5a3",
     "C=US, O=scep-client, OU=MDM, CN=mm-badchallenge", SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_NAMED},
    {"micromdm-client.renewalreq.der", SCEPKIT_MSG_RENEWALREQ,
     "H4sEbmDHTvFfNse6aUACX6n6ELQ=", "8d960034663708b012219343b8f3c5a9", "C=US, O=scep-client, OU=MDM, CN=mm-vector",
     SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_NAMED},
    {"strongswan-pki.pkcsreq-des3.der", SCEPKIT_MSG_PKCSREQ, "792723AFBFD968E725370096E60A1719A37074DA",
     "c08184f4660eaec4db025998f9012e5e", "C=US, O=strongSwan, CN=ss-vector", SCEPKIT_CIPHER_DES_EDE3_CBC,
     SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED},
    {"strongswan-pki.pkcsreq-aes128.der", SCEPKIT_MSG_PKCSREQ, "AD8E64E626DFA842D138F30E3FE3C3273FFC32A6",
     "e408487b625c24555182a882f32118c1", "C=US, O=strongSwan, CN=ss-aes-vector", SCEPKIT_CIPHER_AES128_CBC,
     SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED},
    {"certmonger.pkcsreq.der", SCEPKIT_MSG_PKCSREQ,
     "35305637376118403418625993081976548596224657682262530794875225678777721575376",
     "b11138ee580fca50aef860104ccfbd75", "CN=cm-vector, O=certmonger", SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_MD_SHA256,
     SCEPKIT_CMS_SIG_RSA_ENCRYPTION},
};

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

Test(scep_message, every_real_request_opens_as_the_dumps_describe)
{
    world w;
    world_init(&w);
    for (size_t i = 0; i < sizeof req_vectors / sizeof req_vectors[0]; i++) {
        const req_vector *v = &req_vectors[i];
        size_t len = 0;
        uint8_t *msg = cms_vector_or_die(v->file, &len);
        uint8_t nonce[SCEPKIT_NONCE_LEN];
        hex_to_bytes(v->nonce_hex, nonce, sizeof nonce);
        scepkit_scep_request r;
        uint8_t *plain = NULL;
        scepkit_err err = open_request(&w, msg, len, 1, &plain, &r);
        cr_assert_eq(err, SCEPKIT_OK, "%s: %s", v->file, scepkit_err_name(err));
        cr_assert_eq(r.type, v->type, "%s", v->file);
        cr_assert_str_eq(r.transaction_id, v->txid, "%s", v->file);
        cr_assert_eq(memcmp(r.sender_nonce, nonce, sizeof nonce), 0, "%s nonce", v->file);
        cr_assert_eq(r.cipher, v->cipher, "%s cipher", v->file);
        cr_assert_eq(r.md, v->md, "%s md", v->file);
        cr_assert_eq(r.sig_style, v->style, "%s style", v->file);
        char subject[256];
        size_t sl = 0;
        cr_assert_eq(scepkit_name_format(r.csr.subject, subject, sizeof subject, &sl), SCEPKIT_OK);
        cr_assert_str_eq(subject, v->csr_subject, "%s subject", v->file);
        cr_assert_eq(scepkit_csr_verify(&r.csr, 0), SCEPKIT_OK, "%s CSR signature", v->file);
        /* the decrypted CSR is the one the dump tooling extracted */
        char csr_name[256];
        snprintf(csr_name, sizeof csr_name, "csr/%.*s.csr.der", (int)(strlen(v->file) - 4), v->file);
        size_t csr_len = 0;
        uint8_t *csr = cms_vector_or_die(csr_name, &csr_len);
        cr_assert(r.message_data.len == csr_len && memcmp(r.message_data.ptr, csr, csr_len) == 0, "%s", csr_name);
        free(csr);
        free(plain);

        /* without the legacy switch single DES is refused, and a FAILURE reply is still possible */
        err = open_request(&w, msg, len, 0, &plain, &r);
        if (v->cipher == SCEPKIT_CIPHER_DES_CBC) {
            cr_assert_eq(err, SCEPKIT_ERR_LEGACY_DISABLED, "%s: %s", v->file, scepkit_err_name(err));
            cr_assert(r.reply_possible);
            cr_assert_str_eq(r.transaction_id, v->txid);
            cr_assert_eq(memcmp(r.sender_nonce, nonce, sizeof nonce), 0);
            cr_assert_gt(r.signer_cert.len, 0);
            cr_assert_eq(r.message_data.len, 0);
            cr_assert_eq(scepkit_scep_fail_info_for(err), SCEPKIT_FAIL_BAD_ALG);
            cr_assert(cms_all_zero(plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(len)), "plaintext wiped");
        } else {
            cr_assert_eq(err, SCEPKIT_OK, "%s: %s", v->file, scepkit_err_name(err));
        }
        free(plain);
        free(msg);
    }
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Real CertReps from micromdm scepserver, opened as the client that asked */

typedef struct rep_vector {
    const char *file;
    const char *request; /* the request it answered: its signer certificate is the recipient */
    const char *key;     /* that client's key */
    const char *plain;   /* tests/vectors/cms/<...>.plain.der, NULL for FAILURE */
    const char *txid;
    const char *nonce_hex;
    const char *subject; /* of the first certificate delivered */
} rep_vector;

static const rep_vector rep_vectors[] = {
    {"micromdm-server.certrep-success.der", "micromdm-client.pkcsreq.der", "keys/micromdm-client.key.pem",
     "cms/micromdm-server.certrep-success.plain.der",
     "H4sEbmDHTvFfNse6aUACX6n6ELQ=", "fc489d08f458b6625bff7c098ad2fccd", "C=US, O=scep-client, OU=MDM, CN=mm-vector"},
    {"micromdm-server.certrep-success.get-replay.der", "micromdm-client.pkcsreq.der", "keys/micromdm-client.key.pem",
     "cms/micromdm-server.certrep-success.get-replay.plain.der",
     "H4sEbmDHTvFfNse6aUACX6n6ELQ=", "fc489d08f458b6625bff7c098ad2fccd", "C=US, O=scep-client, OU=MDM, CN=mm-vector"},
    {"micromdm-server.certrep-renewal.der", "micromdm-client.renewalreq.der", "keys/micromdm-client.key.pem",
     "cms/micromdm-server.certrep-renewal.plain.der",
     "H4sEbmDHTvFfNse6aUACX6n6ELQ=", "8d960034663708b012219343b8f3c5a9", "C=US, O=scep-client, OU=MDM, CN=mm-vector"},
    {"micromdm-server.certrep-success.certmonger.der", "certmonger.pkcsreq.der", "keys/certmonger.key.pem",
     "cms/micromdm-server.certrep-success.certmonger.plain.der",
     "35305637376118403418625993081976548596224657682262530794875225678777721575376",
     "b11138ee580fca50aef860104ccfbd75", "O=certmonger, CN=cm-vector"},
    {"micromdm-server.certrep-success.strongswan.der", "strongswan-pki.pkcsreq-des3.der", "keys/strongswan.key.pem",
     "cms/micromdm-server.certrep-success.strongswan.plain.der", "792723AFBFD968E725370096E60A1719A37074DA",
     "c08184f4660eaec4db025998f9012e5e", "C=US, O=strongSwan, CN=ss-vector"},
    {"micromdm-server.certrep-success.strongswan-aes.der", "strongswan-pki.pkcsreq-aes128.der",
     "keys/strongswan-aes.key.pem", "cms/micromdm-server.certrep-success.strongswan-aes.plain.der",
     "AD8E64E626DFA842D138F30E3FE3C3273FFC32A6", "e408487b625c24555182a882f32118c1",
     "C=US, O=strongSwan, CN=ss-aes-vector"},
    {"micromdm-server.certrep-failure-badrequest.der", "micromdm-client.pkcsreq-wrongchallenge.der",
     "keys/micromdm-client-wrongchallenge.key.pem", NULL,
     "diJTbj00+D+EJoodi76eskqcrO0=", "4bb7186accfa19ad0d5a758288f1d5a3", NULL},
};

typedef struct rep_fixture {
    uint8_t *msg, *req, *plain;
    size_t len, req_len;
    scepkit_scep_request r; /* the answered request, opened (its signer_cert is our certificate) */
    scepkit_softkey sk;
    scepkit_scep_open_reply_params op;
    scepkit_bytes signers[1];
    uint8_t *req_plain;
} rep_fixture;

static void rep_load(world *w, rep_fixture *f, const rep_vector *v)
{
    memset(f, 0, sizeof *f);
    f->msg = cms_vector_or_die(v->file, &f->len);
    f->req = cms_vector_or_die(v->request, &f->req_len);
    cr_assert_eq(open_request(w, f->req, f->req_len, 1, &f->req_plain, &f->r), SCEPKIT_OK, "%s", v->request);
    load_vec_key(&f->sk, v->key, ts_det_rng_port(&w->rng));
    f->signers[0] = (scepkit_bytes){w->ca.cert, w->ca.cert_len};
    memset(&f->op, 0, sizeof f->op);
    f->op.transaction_id = scepkit_bytes_str(v->txid);
    hex_to_bytes(v->nonce_hex, f->op.sender_nonce, SCEPKIT_NONCE_LEN);
    f->op.signer_certs = f->signers;
    f->op.signer_cert_count = 1;
    f->op.our_cert = f->r.signer_cert;
    f->op.our_key = scepkit_softkey_key(&f->sk);
    f->op.rng = ts_det_rng_port(&w->rng);
    f->op.allow_legacy = 1;
    f->plain = malloc(SCEPKIT_SCEP_OPEN_PLAIN_CAP(f->len));
}

static scepkit_err rep_open(rep_fixture *f, scepkit_scep_reply *out)
{
    return scepkit_scep_reply_open((scepkit_bytes){f->msg, f->len}, &f->op, f->plain,
                                   SCEPKIT_SCEP_OPEN_PLAIN_CAP(f->len), out);
}

static void rep_free(rep_fixture *f)
{
    scepkit_softkey_free(&f->sk);
    free(f->msg);
    free(f->req);
    free(f->plain);
    free(f->req_plain);
}

/* Zeroed output with status FAILURE, and plaintext wiped: what every failed open leaves. */
static void assert_reply_wiped(const scepkit_scep_reply *out, const uint8_t *plain, size_t cap, const char *what)
{
    scepkit_scep_reply z;
    memset(&z, 0, sizeof z);
    z.status = SCEPKIT_STATUS_FAILURE;
    cr_assert_eq(memcmp(out, &z, sizeof z), 0, "%s: output not wiped", what);
    cr_assert(cms_all_zero(plain, cap), "%s: plaintext not wiped", what);
}

Test(scep_message, every_real_certrep_opens_as_the_client_that_asked)
{
    world w;
    world_init(&w);
    for (size_t i = 0; i < sizeof rep_vectors / sizeof rep_vectors[0]; i++) {
        const rep_vector *v = &rep_vectors[i];
        rep_fixture f;
        scepkit_scep_reply out;
        rep_load(&w, &f, v);
        scepkit_err err = rep_open(&f, &out);
        cr_assert_eq(err, SCEPKIT_OK, "%s: %s", v->file, scepkit_err_name(err));
        cr_assert_eq(out.md, SCEPKIT_MD_SHA1, "%s", v->file);
        cr_assert_eq(memcmp(out.sender_nonce, f.op.sender_nonce, SCEPKIT_NONCE_LEN), 0, "micromdm echoes the nonce");
        if (v->plain == NULL) {
            cr_assert_eq(out.status, SCEPKIT_STATUS_FAILURE, "%s", v->file);
            cr_assert_eq(out.fail_info, SCEPKIT_FAIL_BAD_REQUEST, "%s", v->file);
            cr_assert_str_eq(out.fail_info_text, "");
        } else {
            cr_assert_eq(out.status, SCEPKIT_STATUS_SUCCESS, "%s", v->file);
            cr_assert_eq(out.cipher, SCEPKIT_CIPHER_DES_CBC, "%s", v->file);
            size_t pl = 0;
            uint8_t *want = cms_vector_or_die(v->plain, &pl);
            cr_assert(out.certs_only.len == pl && memcmp(out.certs_only.ptr, want, pl) == 0, "%s plaintext", v->file);
            free(want);
            scepkit_cms_iter it = {{NULL, 0}, 0};
            scepkit_bytes cert;
            scepkit_x509 x;
            char subject[256];
            size_t sl = 0;
            cr_assert_eq(scepkit_cms_next_cert(&out.certs, &it, &cert), SCEPKIT_OK);
            cr_assert_eq(scepkit_x509_parse(cert, &x), SCEPKIT_OK);
            cr_assert_eq(scepkit_name_format(x.subject, subject, sizeof subject, &sl), SCEPKIT_OK);
            cr_assert_str_eq(subject, v->subject, "%s", v->file);
            scepkit_x509 ca;
            cr_assert_eq(scepkit_x509_parse((scepkit_bytes){w.ca.cert, w.ca.cert_len}, &ca), SCEPKIT_OK);
            cr_assert_eq(scepkit_x509_verify_signature(&x, ca.spki, 0), SCEPKIT_OK, "issued by the vectors' CA");

            /* the legacy switch off: a clean refusal, nothing left behind */
            f.op.allow_legacy = 0;
            err = rep_open(&f, &out);
            cr_assert_eq(err, SCEPKIT_ERR_LEGACY_DISABLED, "%s: %s", v->file, scepkit_err_name(err));
            assert_reply_wiped(&out, f.plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(f.len), v->file);
        }
        rep_free(&f);
    }
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Hostile CertReps */

Test(scep_message, certrep_with_wrong_nonce_transaction_or_signer_is_refused)
{
    world w;
    world_init(&w);
    rep_fixture f;
    scepkit_scep_reply out;
    size_t cap = 0;
    rep_load(&w, &f, &rep_vectors[0]);
    cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(f.len);

    f.op.sender_nonce[15] ^= 1;
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_SCEP_NONCE_MISMATCH);
    assert_reply_wiped(&out, f.plain, cap, "nonce");
    f.op.sender_nonce[15] ^= 1;

    f.op.transaction_id = scepkit_bytes_str("H4sEbmDHTvFfNse6aUACX6n6ELQ");
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH);
    f.op.transaction_id = scepkit_bytes_str("H4sEbmDHTvFfNse6aUACX6n6ELR=");
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH);
    assert_reply_wiped(&out, f.plain, cap, "transaction");
    f.op.transaction_id = scepkit_bytes_str(rep_vectors[0].txid);

    /* signed by the CA, but only our own certificate is an acceptable signer */
    f.signers[0] = f.r.signer_cert;
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND);
    assert_reply_wiped(&out, f.plain, cap, "signer");
    f.signers[0] = (scepkit_bytes){w.ca.cert, w.ca.cert_len};
    f.op.signer_cert_count = 0;
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_ARG, "signer_certs are required");
    f.op.signer_cert_count = 1;

    /* a tampered signed attribute: the last byte of the transactionID value */
    uint8_t *pos = memmem(f.msg, f.len, "H4sEbmDHTvFfNse6aUACX6n6ELQ=", 28);
    cr_assert_not_null(pos);
    pos[27] = '-';
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_ERR_BAD_SIGNATURE);
    assert_reply_wiped(&out, f.plain, cap, "tampered");
    pos[27] = '=';
    cr_assert_eq(rep_open(&f, &out), SCEPKIT_OK);

    /* a wrong decryption key: garbage, never SUCCESS */
    scepkit_softkey other;
    load_vec_key(&other, "keys/certmonger.key.pem", ts_det_rng_port(&w.rng));
    f.op.our_key = scepkit_softkey_key(&other);
    scepkit_err err = rep_open(&f, &out);
    cr_assert(err == SCEPKIT_ERR_DECRYPT || err == SCEPKIT_ERR_SCEP_MESSAGE_DATA, "%s", scepkit_err_name(err));
    assert_reply_wiped(&out, f.plain, cap, "wrong key");
    scepkit_softkey_free(&other);
    rep_free(&f);
    world_free(&w);
}

Test(scep_message, truncated_messages_fail_at_every_length_and_leave_nothing)
{
    world w;
    world_init(&w);
    for (size_t i = 0; i < sizeof rep_vectors / sizeof rep_vectors[0]; i++) {
        rep_fixture f;
        scepkit_scep_reply out;
        rep_load(&w, &f, &rep_vectors[i]);
        size_t cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(f.len);
        size_t step = i == 0 ? 1 : 97; /* every length of one vector, a sample of the others */
        for (size_t n = 0; n < f.len; n += step) {
            scepkit_err err = scepkit_scep_reply_open((scepkit_bytes){f.msg, n}, &f.op, f.plain, cap, &out);
            cr_assert_neq(err, SCEPKIT_OK, "%s cut at %zu", rep_vectors[i].file, n);
            assert_reply_wiped(&out, f.plain, cap, rep_vectors[i].file);
        }
        rep_free(&f);
    }
    for (size_t i = 0; i < sizeof req_vectors / sizeof req_vectors[0]; i++) {
        size_t len = 0;
        uint8_t *msg = cms_vector_or_die(req_vectors[i].file, &len);
        size_t step = i == 0 ? 1 : 89;
        for (size_t n = 0; n < len; n += step) {
            scepkit_scep_request r;
            uint8_t *plain = NULL;
            scepkit_err err = open_request(&w, msg, n, 1, &plain, &r);
            cr_assert_neq(err, SCEPKIT_OK, "%s cut at %zu", req_vectors[i].file, n);
            cr_assert_eq(r.message_data.len, 0);
            cr_assert(cms_all_zero(plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(n)));
            if (!r.reply_possible) {
                cr_assert_eq(r.transaction_id[0], '\0');
            }
            free(plain);
        }
        free(msg);
    }
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Crafted messages: signed correctly by the right key, but with attributes a peer should not send. */

typedef struct attr_spec {
    skit_oid oid;
    uint8_t tag;
    const char *text; /* value bytes (strlen) */
    size_t len;       /* 0: strlen(text) */
} attr_spec;

static size_t build_attr(const attr_spec *s, uint8_t *out, size_t cap)
{
    skit_derw wr;
    size_t n = 0;
    skit_derw_init(&wr, out, cap);
    skit_derw_open(&wr, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&wr, skit_oid_bytes(s->oid));
    skit_derw_open(&wr, SKIT_TAG_SET);
    skit_derw_tlv(&wr, s->tag, (const uint8_t *)s->text, s->len != 0 ? s->len : strlen(s->text));
    skit_derw_close(&wr);
    skit_derw_close(&wr);
    cr_assert_eq(skit_derw_finish(&wr, &n), SCEPKIT_OK);
    return n;
}

/* A CertRep-shaped SignedData signed by the CA with exactly these SCEP attributes and `content`. */
static uint8_t *craft(world *w, const attr_spec *specs, size_t count, scepkit_bytes content, size_t *len)
{
    static uint8_t mem[SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(2048)];
    uint8_t abuf[8][256];
    scepkit_bytes attrs[8];
    scepkit_cms_signed_params sp;
    scepkit_arena a;
    size_t need = 0;
    for (size_t i = 0; i < count; i++) {
        attrs[i] = (scepkit_bytes){abuf[i], build_attr(&specs[i], abuf[i], sizeof abuf[i])};
    }
    memset(&sp, 0, sizeof sp);
    sp.content = content;
    sp.signer_cert = (scepkit_bytes){w->ca.cert, w->ca.cert_len};
    sp.key = scepkit_softkey_key(&w->ca.sk);
    sp.attrs = attrs;
    sp.attr_count = count;
    sp.certs = &sp.signer_cert;
    sp.cert_count = 1;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_cms_signed_write(&sp, &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_cms_signed_write(&sp, &a, out, need, len), SCEPKIT_OK);
    return out;
}

#define NONCE_A "AAAAAAAAAAAAAAAA"
#define NONCE_B "BBBBBBBBBBBBBBBB"

Test(scep_message, hostile_certrep_attributes_fail_with_specific_errors)
{
    enum { T, S, F, TX, SN, RN, FT };
    static const attr_spec base[] = {
        [T] = {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, "3", 0},
        [S] = {SKIT_OID_SCEP_PKI_STATUS, SKIT_TAG_PRINTABLE_STRING, "2", 0},
        [F] = {SKIT_OID_SCEP_FAIL_INFO, SKIT_TAG_PRINTABLE_STRING, "4", 0},
        [TX] = {SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_PRINTABLE_STRING, "TX1", 0},
        [SN] = {SKIT_OID_SCEP_SENDER_NONCE, SKIT_TAG_OCTET_STRING, NONCE_B, 0},
        [RN] = {SKIT_OID_SCEP_RECIPIENT_NONCE, SKIT_TAG_OCTET_STRING, NONCE_A, 0},
        [FT] = {SKIT_OID_SCEP_FAIL_INFO_TEXT, SKIT_TAG_UTF8_STRING, "no such certificate", 0},
    };
    static const struct {
        int drop;    /* index of base[] left out, -1 none */
        int replace; /* index replaced by `with`, -1 none */
        attr_spec with;
        scepkit_err want;
        scepkit_pki_status status; /* when want is OK */
    } cases[] = {
        {-1, -1, {0}, SCEPKIT_OK, SCEPKIT_STATUS_FAILURE},
        {T, -1, {0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, "99", 0}, SCEPKIT_ERR_SCEP_MESSAGE_TYPE, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, "19", 0}, SCEPKIT_ERR_SCEP_NOT_CERTREP, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, "3x", 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, "0003", 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_INTEGER, "\x03", 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1, T, {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_IA5_STRING, "3", 0}, SCEPKIT_OK, SCEPKIT_STATUS_FAILURE},
        {S, -1, {0}, SCEPKIT_ERR_SCEP_STATUS, 0},
        {-1, S, {SKIT_OID_SCEP_PKI_STATUS, SKIT_TAG_PRINTABLE_STRING, "1", 0}, SCEPKIT_ERR_SCEP_STATUS, 0},
        {-1, S, {SKIT_OID_SCEP_PKI_STATUS, SKIT_TAG_PRINTABLE_STRING, "3", 0}, SCEPKIT_OK, SCEPKIT_STATUS_PENDING},
        {F, -1, {0}, SCEPKIT_ERR_SCEP_STATUS, 0},
        {-1, F, {SKIT_OID_SCEP_FAIL_INFO, SKIT_TAG_PRINTABLE_STRING, "5", 0}, SCEPKIT_ERR_SCEP_STATUS, 0},
        {-1, F, {SKIT_OID_SCEP_FAIL_INFO, SKIT_TAG_PRINTABLE_STRING, "", 0}, SCEPKIT_ERR_SCEP_STATUS, 0},
        {TX, -1, {0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1,
         TX,
         {SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_PRINTABLE_STRING, "TX2", 0},
         SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH,
         0},
        {-1, TX, {SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_OCTET_STRING, "TX1", 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1, TX, {SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_UTF8_STRING, "TX1", 0}, SCEPKIT_OK, SCEPKIT_STATUS_FAILURE},
        {RN, -1, {0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1,
         RN,
         {SKIT_OID_SCEP_RECIPIENT_NONCE, SKIT_TAG_OCTET_STRING, NONCE_B, 0},
         SCEPKIT_ERR_SCEP_NONCE_MISMATCH,
         0},
        {-1,
         RN,
         {SKIT_OID_SCEP_RECIPIENT_NONCE, SKIT_TAG_OCTET_STRING, "AAAAAAAAAAAAAAA", 0},
         SCEPKIT_ERR_SCEP_ATTRIBUTE,
         0},
        {-1, RN, {SKIT_OID_SCEP_RECIPIENT_NONCE, SKIT_TAG_PRINTABLE_STRING, NONCE_A, 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {SN, -1, {0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
        {-1,
         FT,
         {SKIT_OID_SCEP_FAIL_INFO_TEXT, SKIT_TAG_UTF8_STRING, "bad \xff utf8", 0},
         SCEPKIT_ERR_SCEP_ATTRIBUTE,
         0},
        {-1, FT, {SKIT_OID_SCEP_FAIL_INFO_TEXT, SKIT_TAG_PRINTABLE_STRING, "text", 0}, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
    };
    world w;
    world_init(&w);
    scepkit_bytes signers[1] = {{w.ca.cert, w.ca.cert_len}};
    scepkit_scep_open_reply_params op;
    memset(&op, 0, sizeof op);
    op.transaction_id = scepkit_bytes_str("TX1");
    memcpy(op.sender_nonce, NONCE_A, SCEPKIT_NONCE_LEN);
    op.signer_certs = signers;
    op.signer_cert_count = 1;
    op.rng = ts_det_rng_port(&w.rng);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        attr_spec specs[8];
        size_t n = 0;
        for (int j = 0; j < (int)(sizeof base / sizeof base[0]); j++) {
            if (j == cases[i].drop) {
                continue;
            }
            specs[n++] = j == cases[i].replace ? cases[i].with : base[j];
        }
        size_t len = 0;
        uint8_t *msg = craft(&w, specs, n, (scepkit_bytes){(const uint8_t *)"", 0}, &len);
        scepkit_scep_reply out;
        uint8_t plain[64];
        memset(plain, 0x55, sizeof plain);
        scepkit_err err = scepkit_scep_reply_open((scepkit_bytes){msg, len}, &op, plain, sizeof plain, &out);
        cr_expect_eq(err, cases[i].want, "case %zu: %s, want %s", i, scepkit_err_name(err),
                     scepkit_err_name(cases[i].want));
        if (err == SCEPKIT_OK) {
            cr_expect_eq(out.status, cases[i].status, "case %zu", i);
            if (out.status == SCEPKIT_STATUS_FAILURE) {
                cr_expect_eq(out.fail_info, SCEPKIT_FAIL_BAD_CERT_ID);
                cr_expect_str_eq(out.fail_info_text, "no such certificate");
            }
        } else {
            cr_expect_eq(out.status, SCEPKIT_STATUS_FAILURE, "case %zu: never SUCCESS on error", i);
            cr_expect(cms_all_zero(plain, sizeof plain), "case %zu: plain wiped", i);
        }
        free(msg);
    }
    /* SUCCESS without an envelope */
    attr_spec ok[7];
    memcpy(ok, base, sizeof ok);
    ok[S].text = "0";
    size_t len = 0;
    uint8_t *msg = craft(&w, ok, 7, (scepkit_bytes){(const uint8_t *)"", 0}, &len);
    scepkit_scep_reply out;
    uint8_t plain[4096];
    cr_assert_eq(scepkit_scep_reply_open((scepkit_bytes){msg, len}, &op, plain, sizeof plain, &out),
                 SCEPKIT_ERR_CMS_NO_CONTENT);
    free(msg);
    world_free(&w);
}

/* Requests with a structure the messageType does not allow, and unknown types: answered with FAILURE. */
static uint8_t *craft_request(world *w, const char *type, scepkit_bytes data, int with_nonce, size_t *len)
{
    scepkit_cms_recipient rc = {{w->ca.cert, w->ca.cert_len}, SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, 0};
    scepkit_cms_enveloped_params ep;
    memset(&ep, 0, sizeof ep);
    ep.content = data;
    ep.recipients = &rc;
    ep.recipient_count = 1;
    ep.rng = ts_det_rng_port(&w->rng);
    size_t env_len = 0;
    cr_assert_eq(scepkit_cms_enveloped_write(&ep, NULL, 0, &env_len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *env = malloc(env_len);
    cr_assert_eq(scepkit_cms_enveloped_write(&ep, env, env_len, &env_len), SCEPKIT_OK);
    attr_spec specs[3] = {
        {SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, type, 0},
        {SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_PRINTABLE_STRING, "REQ1", 0},
        {SKIT_OID_SCEP_SENDER_NONCE, SKIT_TAG_OCTET_STRING, NONCE_A, 0},
    };
    /* signed by the RSA client with its self-signed certificate */
    static uint8_t mem[SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(2048)];
    uint8_t abuf[3][128];
    scepkit_bytes attrs[3];
    size_t n = with_nonce ? 3 : 2;
    for (size_t i = 0; i < n; i++) {
        attrs[i] = (scepkit_bytes){abuf[i], build_attr(&specs[i], abuf[i], sizeof abuf[i])};
    }
    scepkit_cms_signed_params sp;
    scepkit_arena a;
    size_t need = 0;
    memset(&sp, 0, sizeof sp);
    sp.content = (scepkit_bytes){env, env_len};
    sp.signer_cert = (scepkit_bytes){w->rsa.cert, w->rsa.cert_len};
    sp.key = scepkit_softkey_key(&w->rsa.sk);
    sp.attrs = attrs;
    sp.attr_count = n;
    sp.certs = &sp.signer_cert;
    sp.cert_count = 1;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_cms_signed_write(&sp, &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_cms_signed_write(&sp, &a, out, need, len), SCEPKIT_OK);
    free(env);
    return out;
}

Test(scep_message, hostile_requests_fail_with_specific_errors_and_say_whether_to_answer)
{
    world w;
    world_init(&w);
    size_t csr_len = 0, nlen = 0, ias_len = 0;
    uint8_t *csr = make_csr(&w, &w.rsa, "CN=h", &csr_len);
    uint8_t *name = make_name("CN=h", &nlen);
    uint8_t ias[512];
    cr_assert_eq(scepkit_scep_issuer_and_subject_write((scepkit_bytes){w.ca_name, w.ca_name_len},
                                                       (scepkit_bytes){name, nlen}, ias, sizeof ias, &ias_len),
                 SCEPKIT_OK);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    const struct {
        const char *type;
        scepkit_bytes data;
        int with_nonce;
        scepkit_err want;
        int reply_possible;
    } cases[] = {
        {"19", {csr, csr_len}, 1, SCEPKIT_OK, 1},
        {"99", {csr, csr_len}, 1, SCEPKIT_ERR_SCEP_MESSAGE_TYPE, 1},
        {"3", {csr, csr_len}, 1, SCEPKIT_ERR_SCEP_MESSAGE_TYPE, 1},
        {"19", {ias, ias_len}, 1, SCEPKIT_ERR_SCEP_MESSAGE_DATA, 1},
        {"20", {csr, csr_len}, 1, SCEPKIT_ERR_SCEP_MESSAGE_DATA, 1},
        {"21", {ias, ias_len}, 1, SCEPKIT_ERR_SCEP_MESSAGE_DATA, 1},
        {"22", {junk, sizeof junk}, 1, SCEPKIT_ERR_SCEP_MESSAGE_DATA, 1},
        {"20", {ias, ias_len}, 1, SCEPKIT_OK, 1},
        {"19", {csr, csr_len}, 0, SCEPKIT_ERR_SCEP_ATTRIBUTE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        uint8_t *msg = craft_request(&w, cases[i].type, cases[i].data, cases[i].with_nonce, &len);
        scepkit_scep_request r;
        uint8_t *plain = NULL;
        scepkit_err err = open_request(&w, msg, len, 0, &plain, &r);
        cr_expect_eq(err, cases[i].want, "case %zu: %s", i, scepkit_err_name(err));
        cr_expect_eq(r.reply_possible, cases[i].reply_possible, "case %zu", i);
        if (err != SCEPKIT_OK) {
            cr_expect_eq(r.message_data.len, 0);
            cr_expect(cms_all_zero(plain, SCEPKIT_SCEP_OPEN_PLAIN_CAP(len)), "case %zu plain wiped", i);
            if (r.reply_possible) {
                cr_expect_str_eq(r.transaction_id, "REQ1");
                cr_expect_eq(memcmp(r.sender_nonce, NONCE_A, SCEPKIT_NONCE_LEN), 0);
            }
        }
        free(plain);
        free(msg);
    }
    /* a signature that does not verify: still answerable (badMessageCheck) */
    size_t len = 0;
    uint8_t *msg = craft_request(&w, "19", (scepkit_bytes){csr, csr_len}, 1, &len);
    uint8_t *pos = memmem(msg, len, "REQ1", 4);
    cr_assert_not_null(pos);
    pos[3] = '2';
    scepkit_scep_request r;
    uint8_t *plain = NULL;
    scepkit_err err = open_request(&w, msg, len, 0, &plain, &r);
    cr_assert_eq(err, SCEPKIT_ERR_BAD_SIGNATURE);
    cr_assert(r.reply_possible);
    cr_assert_str_eq(r.transaction_id, "REQ2");
    cr_assert_eq(scepkit_scep_fail_info_for(err), SCEPKIT_FAIL_BAD_MESSAGE_CHECK);
    free(plain);
    free(msg);
    free(csr);
    free(name);
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* Writers: parameter checks, buffer and arena limits. */

Test(scep_message, writers_refuse_bad_parameters_and_report_sizes_without_signing)
{
    world w;
    world_init(&w);
    size_t csr_len = 0;
    uint8_t *csr = make_csr(&w, &w.rsa, "CN=p", &csr_len);
    static uint8_t mem[SCEPKIT_SCEP_REQUEST_SCRATCH(4096)];
    scepkit_arena a;
    uint8_t out[8192];
    size_t len = 0;
    scepkit_scep_request_params p;
    struct {
        int what;
        scepkit_err want;
    } cases[] = {
        {0, SCEPKIT_ERR_SCEP_MESSAGE_TYPE},
        {1, SCEPKIT_ERR_ARG},
        {2, SCEPKIT_ERR_ARG},
        {3, SCEPKIT_ERR_UNSUPPORTED},
        {4, SCEPKIT_ERR_LEGACY_DISABLED},
        {5, SCEPKIT_ERR_SCEP_MESSAGE_DATA},
        {6, SCEPKIT_ERR_ALGORITHM_MISMATCH},
        {7, SCEPKIT_ERR_ARG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        request_params(&w, &w.rsa, &p, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){csr, csr_len});
        switch (cases[i].what) {
        case 0:
            p.type = SCEPKIT_MSG_CERTREP;
            break;
        case 1:
            p.transaction_id = scepkit_bytes_str("under_score");
            break;
        case 2:
            p.transaction_id = (scepkit_bytes){NULL, 0};
            break;
        case 3:
            p.cipher = SCEPKIT_CIPHER_DES_CBC;
            break;
        case 4:
            p.md = SCEPKIT_MD_MD5;
            break;
        case 5:
            p.type = SCEPKIT_MSG_GETCERT;
            break;
        case 6:
            p.signer_cert = (scepkit_bytes){w.ec.cert, w.ec.cert_len};
            p.signer_key = scepkit_softkey_key(&w.ec.sk);
            p.sig_style = SCEPKIT_CMS_SIG_RSA_ENCRYPTION;
            break;
        case 7:
            p.recipient_cert = (scepkit_bytes){NULL, 0};
            break;
        }
        scepkit_arena_init(&a, mem, sizeof mem);
        memset(out, 0, sizeof out);
        scepkit_err err = scepkit_scep_request_write(&p, &a, out, sizeof out, &len);
        cr_expect_eq(err, cases[i].want, "case %zu: %s", i, scepkit_err_name(err));
        cr_expect(cms_all_zero(out, sizeof out));
        cr_expect_eq(len, 0);
    }
    /* an EC recipient certificate cannot take RSA key transport */
    request_params(&w, &w.rsa, &p, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){csr, csr_len});
    p.recipient_cert = (scepkit_bytes){w.ec.cert, w.ec.cert_len};
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_scep_request_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_KEY_TYPE);

    /* buffer too small: the size, nothing written; arena too small: a clean error */
    request_params(&w, &w.rsa, &p, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){csr, csr_len});
    size_t need = 0;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_scep_request_write(&p, &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    for (size_t cap = 0; cap < need; cap += 211) {
        memset(out, 0, sizeof out);
        cr_assert_eq(scepkit_scep_request_write(&p, &a, out, cap, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
        cr_assert_eq(len, need);
        cr_assert(cms_all_zero(out, sizeof out));
    }
    cr_assert_eq(scepkit_scep_request_write(&p, &a, out, need, &len), SCEPKIT_OK);
    size_t peak = a.peak;
    cr_assert_leq(peak, SCEPKIT_SCEP_REQUEST_SCRATCH(csr_len));
    for (size_t cap = 0; cap < peak; cap += 64) {
        scepkit_arena_init(&a, mem, cap);
        memset(out, 0, sizeof out);
        scepkit_err err = scepkit_scep_request_write(&p, &a, out, sizeof out, &len);
        cr_assert_eq(err, SCEPKIT_ERR_ARENA_EXHAUSTED, "arena %zu: %s", cap, scepkit_err_name(err));
        cr_assert(cms_all_zero(out, sizeof out));
        cr_assert_eq(a.used, 0);
    }

    /* reply writer: bad status, bad failInfo, text too long or not UTF-8, DES, SUCCESS without payload */
    scepkit_scep_reply_params rp;
    scepkit_bytes certs[1] = {{w.ca.cert, w.ca.cert_len}};
    char long_text[SCEPKIT_FAIL_TEXT_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    struct {
        int what;
        scepkit_err want;
    } rcases[] = {
        {0, SCEPKIT_ERR_ARG},
        {1, SCEPKIT_ERR_ARG},
        {2, SCEPKIT_ERR_ARG},
        {3, SCEPKIT_ERR_ARG},
        {4, SCEPKIT_ERR_LEGACY_DISABLED},
        {5, SCEPKIT_ERR_UNSUPPORTED},
        {6, SCEPKIT_ERR_ARG},
        {7, SCEPKIT_OK},
    };
    static uint8_t rmem[SCEPKIT_SCEP_REPLY_SCRATCH(4096)];
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        memset(&rp, 0, sizeof rp);
        rp.transaction_id = scepkit_bytes_str("T");
        rp.signer_cert = (scepkit_bytes){w.ca.cert, w.ca.cert_len};
        rp.signer_key = scepkit_softkey_key(&w.ca.sk);
        rp.rng = ts_det_rng_port(&w.rng);
        rp.status = SCEPKIT_STATUS_FAILURE;
        switch (rcases[i].what) {
        case 0:
            rp.status = (scepkit_pki_status)1;
            break;
        case 1:
            rp.fail_info = (scepkit_fail_info)5;
            break;
        case 2:
            rp.fail_info_text = scepkit_bytes_str(long_text);
            break;
        case 3:
            rp.fail_info_text = scepkit_bytes_str("\xc3");
            break;
        case 4:
        case 5:
            rp.status = SCEPKIT_STATUS_SUCCESS;
            rp.certs = certs;
            rp.cert_count = 1;
            rp.recipient_cert = (scepkit_bytes){w.rsa.cert, w.rsa.cert_len};
            rp.cipher = SCEPKIT_CIPHER_DES_CBC;
            rp.allow_legacy = rcases[i].what == 5;
            break;
        case 6:
            rp.status = SCEPKIT_STATUS_SUCCESS;
            rp.recipient_cert = (scepkit_bytes){w.rsa.cert, w.rsa.cert_len};
            break;
        case 7: /* the longest transactionID and failInfoText together */
            rp.fail_info_text = (scepkit_bytes){(const uint8_t *)long_text, SCEPKIT_FAIL_TEXT_MAX};
            rp.transaction_id = (scepkit_bytes){(const uint8_t *)long_text, SCEPKIT_TRANSACTION_ID_MAX};
            break;
        }
        scepkit_arena_init(&a, rmem, sizeof rmem);
        scepkit_err err = scepkit_scep_reply_write(&rp, &a, out, sizeof out, &len);
        cr_expect_eq(err, rcases[i].want, "reply case %zu: %s", i, scepkit_err_name(err));
    }
    free(csr);
    world_free(&w);
}

/* ---------------------------------------------------------------------------------------------- */
/* OpenSSL reads what we write: the request verifies and its envelope decrypts with the CA key to the CSR; the
 * CertRep verifies against the CA and decrypts with the client key to the certs-only SignedData. */

Test(scep_message, openssl_verifies_and_decrypts_our_request_and_certrep)
{
    world w;
    char dir[512], path[700], cmd[8192];
    static char out[16384];
    world_init(&w);
    ts_tmpdir("scep_openssl", dir, sizeof dir);
    size_t csr_len = 0, len = 0;
    uint8_t *csr = make_csr(&w, &w.rsa, "CN=openssl peer", &csr_len);
    scepkit_scep_request_params p;
    request_params(&w, &w.rsa, &p, SCEPKIT_MSG_PKCSREQ, (scepkit_bytes){csr, csr_len});
    p.cipher = SCEPKIT_CIPHER_AES256_CBC;
    p.signing_time = w.now;
    uint8_t *req = write_request(&p, &len);
    snprintf(path, sizeof path, "%s/req.der", dir);
    cr_assert_eq(ts_write_file(path, req, len), 0);
    snprintf(path, sizeof path, "%s/csr.der", dir);
    cr_assert_eq(ts_write_file(path, csr, csr_len), 0);
    snprintf(path, sizeof path, "%s/client.der", dir);
    cr_assert_eq(ts_write_file(path, w.rsa.cert, w.rsa.cert_len), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl x509 -inform DER -in client.der -out client.pem && "
             "openssl cms -verify -inform DER -in req.der -binary -CAfile client.pem -purpose any -out env.der "
             "2>&1 && openssl cms -decrypt -inform DER -in env.der -binary -recip '%s/keys/ca.pem' "
             "-inkey '%s/keys/ca.key.pem' -out csr.out 2>&1 && cmp csr.out csr.der 2>&1",
             dir, SCEPKIT_TEST_VECTORS, SCEPKIT_TEST_VECTORS);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl on our PKCSReq: %s", out);

    scepkit_scep_request r;
    uint8_t *rplain = NULL;
    cr_assert_eq(open_request(&w, req, len, 0, &rplain, &r), SCEPKIT_OK);
    size_t issued_len = 0, rlen = 0;
    uint8_t *issued = issue_for(&w, &r.csr, &issued_len);
    scepkit_bytes certs[1] = {{issued, issued_len}};
    scepkit_scep_reply_params rp;
    reply_params_for(&w, &r, &rp);
    rp.status = SCEPKIT_STATUS_SUCCESS;
    rp.certs = certs;
    rp.cert_count = 1;
    uint8_t *rep = write_reply(&rp, &rlen);
    snprintf(path, sizeof path, "%s/rep.der", dir);
    cr_assert_eq(ts_write_file(path, rep, rlen), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl cms -verify -inform DER -in rep.der -binary -CAfile '%s/keys/ca.pem' -purpose any "
             "-out renv.der 2>&1 && openssl pkey -in '%s/keys/micromdm-client.key.pem' -out client.key && "
             "openssl cms -decrypt -inform DER -in renv.der -binary -recip client.pem -inkey client.key "
             "-out certs.der 2>&1 && openssl pkcs7 -inform DER -in certs.der -print_certs -noout 2>&1",
             dir, SCEPKIT_TEST_VECTORS, SCEPKIT_TEST_VECTORS);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "openssl on our CertRep: %s", out);
    cr_assert_not_null(strstr(out, "subject=CN = openssl peer"), "%s", out);
    free(issued);
    free(rep);
    free(rplain);
    free(req);
    free(csr);
    world_free(&w);
}
