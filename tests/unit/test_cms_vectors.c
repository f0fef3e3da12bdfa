/* Real SCEP messages (micromdm, strongSwan pki, certmonger): every request and CertRep parses, its signature
 * verifies, its envelope opens to the bytes OpenSSL extracted, and single DES needs the legacy switch. */
#include "cms_helpers.h"

#include "der/oid.h"

typedef struct vec {
    const char *file;       /* the SignedData */
    const char *key;        /* the key that opens the envelope (NULL: no envelope) */
    const char *rcpt_cert;  /* our certificate for recipient matching (NULL: first recipient) */
    const char *plain;      /* expected plaintext (vectors/...) */
    size_t econtent_len;    /* from the dump */
    size_t plain_len;       /* from the dump */
    scepkit_md md;          /* digestAlgorithm from the dump */
    scepkit_cipher cipher;  /* from the dump */
    int sig_rsa_encryption; /* SignerInfo signatureAlgorithm is plain rsaEncryption */
    size_t cert_count;
} vec;

static const vec vectors[] = {
    {"micromdm-client.pkcsreq.der", "keys/ca.key.pem", "keys/ca.pem", "csr/micromdm-client.pkcsreq.csr.der", 1088, 677,
     SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0, 1},
    {"micromdm-client.pkcsreq-wrongchallenge.der", "keys/ca.key.pem", "keys/ca.pem",
     "csr/micromdm-client.pkcsreq-wrongchallenge.csr.der", 1104, 692, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0, 1},
    {"micromdm-client.renewalreq.der", "keys/ca.key.pem", "keys/ca.pem", "csr/micromdm-client.renewalreq.csr.der", 1088,
     677, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0, 1},
    {"strongswan-pki.pkcsreq-aes128.der", "keys/ca.key.pem", "keys/ca.pem", "csr/strongswan-pki.pkcsreq-aes128.csr.der",
     1090, 666, SCEPKIT_MD_SHA256, SCEPKIT_CIPHER_AES128_CBC, 0, 1},
    {"strongswan-pki.pkcsreq-des3.der", "keys/ca.key.pem", "keys/ca.pem", "csr/strongswan-pki.pkcsreq-des3.csr.der",
     1073, 0, SCEPKIT_MD_SHA256, SCEPKIT_CIPHER_DES_EDE3_CBC, 0, 1},
    {"certmonger.pkcsreq.der", "keys/ca.key.pem", "keys/ca.pem", "csr/certmonger.pkcsreq.csr.der", 1186, 757,
     SCEPKIT_MD_SHA256, SCEPKIT_CIPHER_AES256_CBC, 1, 1},
    {"micromdm-server.certrep-success.der", "keys/micromdm-client.key.pem", NULL,
     "cms/micromdm-server.certrep-success.plain.der", 1331, 909, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0, 2},
    {"micromdm-server.certrep-renewal.der", "keys/micromdm-client.key.pem", NULL,
     "cms/micromdm-server.certrep-renewal.plain.der", 1320, 909, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0, 2},
    {"micromdm-server.certrep-success.get-replay.der", "keys/micromdm-client.key.pem", NULL,
     "cms/micromdm-server.certrep-success.get-replay.plain.der", 1331, 909, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0,
     2},
    {"micromdm-server.certrep-success.certmonger.der", "keys/certmonger.key.pem", NULL,
     "cms/micromdm-server.certrep-success.certmonger.plain.der", 1319, 881, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0,
     2},
    {"micromdm-server.certrep-success.strongswan.der", "keys/strongswan.key.pem", NULL,
     "cms/micromdm-server.certrep-success.strongswan.plain.der", 1328, 0, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC, 0,
     2},
    {"micromdm-server.certrep-success.strongswan-aes.der", "keys/strongswan-aes.key.pem", NULL,
     "cms/micromdm-server.certrep-success.strongswan-aes.plain.der", 1341, 898, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_CBC,
     0, 2},
    {"micromdm-server.certrep-failure-badrequest.der", NULL, NULL, NULL, 0, 0, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_NONE, 0,
     1},
};

static void check_vector(const vec *v)
{
    size_t n, plen, env_len, got = 0, cert_count = 0;
    uint8_t *msg = cms_vector_or_die(v->file, &n);
    scepkit_cms_signed sd;
    scepkit_x509 signer;
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes cert;

    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, n}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK, "%s", v->file);
    cr_assert_eq(sd.signer_count, 1, "%s", v->file);
    cr_assert_eq(sd.has_content, 1, "%s", v->file);
    cr_assert_eq(sd.content_len, v->econtent_len, "%s: eContent length %zu", v->file, sd.content_len);
    cr_assert_eq(sd.signer.md, v->md, "%s", v->file);
    cr_assert_eq(sd.signer.sig_alg, SCEPKIT_SIG_RSA_PKCS1, "%s", v->file);
    cr_assert_eq(sd.signer.sig_md, v->sig_rsa_encryption ? SCEPKIT_MD_NONE : v->md, "%s", v->file);
    cr_assert_eq(sd.signer.sid.type, SCEPKIT_CMS_ID_ISSUER_SERIAL);
    while (scepkit_cms_next_cert(&sd, &it, &cert) == SCEPKIT_OK) {
        scepkit_x509 x;
        cr_assert_eq(scepkit_x509_parse(cert, &x), SCEPKIT_OK, "%s: certificate %zu", v->file, cert_count);
        cert_count++;
    }
    cr_assert_eq(cert_count, v->cert_count, "%s: %zu certificates", v->file, cert_count);

    /* Signed by the certificate it carries (requests) or by the CA (CertReps, which carry it). */
    cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, &signer), SCEPKIT_OK, "%s", v->file);
    cr_assert(scepkit_cms_id_matches(&sd.signer.sid, &signer));

    /* SCEP attributes are reachable: messageType and transactionID are there. */
    scepkit_bytes val;
    cr_assert_eq(scepkit_cms_find_attr(&sd.signer, skit_oid_bytes(SKIT_OID_SCEP_MESSAGE_TYPE), &val), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_find_attr(&sd.signer, skit_oid_bytes(SKIT_OID_SCEP_TRANSACTION_ID), &val), SCEPKIT_OK);

    if (v->key == NULL) {
        cr_assert_eq(sd.content_len, 0);
        free(msg);
        return;
    }
    uint8_t *env = malloc(sd.content_len);
    cr_assert_eq(scepkit_cms_content_copy(&sd, env, sd.content_len, &env_len), SCEPKIT_OK);
    cr_assert_eq(env_len, sd.content_len);

    char path[1024];
    ts_det_rng r;
    scepkit_softkey sk;
    ts_det_rng_init(&r, 3);
    cms_vector_path(v->key, path, sizeof path);
    cms_load_key(&sk, path, ts_det_rng_port(&r));
    scepkit_cms_open_params op;
    memset(&op, 0, sizeof op);
    op.key = scepkit_softkey_key(&sk);
    op.rng = ts_det_rng_port(&r);
    uint8_t *rcpt = NULL;
    if (v->rcpt_cert != NULL) {
        size_t rl;
        cms_vector_path(v->rcpt_cert, path, sizeof path);
        rcpt = cms_pem_file_to_der(path, "CERTIFICATE", &rl);
        op.cert = (scepkit_bytes){rcpt, rl};
    }

    scepkit_cms_enveloped e;
    cr_assert_eq(scepkit_cms_enveloped_parse((scepkit_bytes){env, env_len}, SCEPKIT_CMS_BER, &e), SCEPKIT_OK);
    cr_assert_eq(e.cipher, v->cipher, "%s: cipher %d", v->file, (int)e.cipher);
    cr_assert_eq(e.recipient_count, 1);

    size_t cap = e.encrypted_len;
    uint8_t *out = calloc(1, cap);
    if (v->cipher == SCEPKIT_CIPHER_DES_CBC) {
        /* Legacy switch off: refused before any key operation, nothing handed back. */
        cr_assert_eq(scepkit_cms_enveloped_open((scepkit_bytes){env, env_len}, SCEPKIT_CMS_BER, &op, out, cap, &got),
                     SCEPKIT_ERR_LEGACY_DISABLED, "%s", v->file);
        cr_assert_eq(got, 0);
        cr_assert(cms_all_zero(out, cap));
        op.allow_legacy = 1;
    }
    /* Strict DER mode refuses the BER constructed content some peers send; BER mode opens everything. */
    scepkit_err oe = scepkit_cms_enveloped_open((scepkit_bytes){env, env_len}, SCEPKIT_CMS_BER, &op, out, cap, &got);
    cr_assert_eq(oe, SCEPKIT_OK, "%s: %s", v->file, scepkit_err_name(oe));
    uint8_t *plain = cms_vector_or_die(v->plain, &plen);
    cr_assert_eq(got, plen, "%s: plaintext %zu bytes, expected %zu", v->file, got, plen);
    if (v->plain_len != 0) {
        cr_assert_eq(got, v->plain_len);
    }
    cr_assert_eq(memcmp(out, plain, plen), 0, "%s: plaintext differs", v->file);

    /* A CertRep's plaintext is a certs-only SignedData holding the issued certificate. */
    if (strstr(v->file, "certrep") != NULL) {
        scepkit_cms_signed co;
        scepkit_cms_iter ci = {{NULL, 0}, 0};
        scepkit_x509 x;
        cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){out, got}, SCEPKIT_CMS_BER, &co), SCEPKIT_OK);
        cr_assert_eq(co.signer_count, 0);
        cr_assert_eq(co.has_content, 0);
        cr_assert_eq(scepkit_cms_next_cert(&co, &ci, &cert), SCEPKIT_OK);
        cr_assert_eq(scepkit_x509_parse(cert, &x), SCEPKIT_OK);
        cr_assert_eq(scepkit_cms_signed_verify(&co, NULL, NULL), SCEPKIT_ERR_CMS_NO_SIGNER);
    }

    free(plain);
    free(out);
    free(rcpt);
    free(env);
    scepkit_softkey_free(&sk);
    free(msg);
}

Test(cms_vectors, every_real_scep_message_parses_verifies_and_opens)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        check_vector(&vectors[i]);
    }
}

Test(cms_vectors, certreps_verify_against_the_ca_certificate_supplied_by_the_caller)
{
    size_t n, cl;
    char path[1024];
    cms_vector_path("keys/ca.pem", path, sizeof path);
    uint8_t *ca = cms_pem_file_to_der(path, "CERTIFICATE", &cl);
    scepkit_bytes cas[1] = {{ca, cl}};
    scepkit_cms_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.signer_certs = cas;
    vp.signer_cert_count = 1;
    uint8_t *msg = cms_vector_or_die("micromdm-server.certrep-success.der", &n);
    scepkit_cms_signed sd;
    scepkit_x509 signer;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, n}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, &signer), SCEPKIT_OK);
    cr_assert_eq(signer.der.ptr, ca, "the signer view points into the caller's certificate");
    /* The client's own certificate is not the signer: verification against it alone fails closed. */
    cms_vector_path("keys/micromdm-client.cert.pem", path, sizeof path);
    size_t ml;
    uint8_t *mine = cms_pem_file_to_der(path, "CERTIFICATE", &ml);
    scepkit_bytes other[1] = {{mine, ml}};
    vp.signer_certs = other;
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, &signer), SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND);
    cr_assert_null(signer.der.ptr);
    free(mine);
    free(msg);
    free(ca);
}

Test(cms_vectors, ca_certificate_from_getcacert_parses)
{
    size_t n;
    uint8_t *der = cms_vector_or_die("micromdm-server.getcacert.der", &n);
    scepkit_x509 x;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){der, n}, &x), SCEPKIT_OK);
    cr_assert_eq(x.serial.len, 1);
    cr_assert_eq(x.serial.ptr[0], 1);
    cr_assert_eq(scepkit_x509_verify_signature(&x, x.spki, 0), SCEPKIT_OK, "self-signed CA verifies");
    free(der);
}

Test(cms_vectors, requests_open_with_the_ca_key_through_the_first_recipient_too)
{
    size_t n, env_len, got;
    char path[1024];
    uint8_t *msg = cms_vector_or_die("strongswan-pki.pkcsreq-aes128.der", &n);
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, n}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
    uint8_t env[4096];
    cr_assert_eq(scepkit_cms_content_copy(&sd, env, sizeof env, &env_len), SCEPKIT_OK);
    ts_det_rng r;
    scepkit_softkey sk;
    ts_det_rng_init(&r, 5);
    cms_vector_path("keys/ca.key.pem", path, sizeof path);
    cms_load_key(&sk, path, ts_det_rng_port(&r));
    scepkit_cms_open_params op;
    memset(&op, 0, sizeof op);
    op.key = scepkit_softkey_key(&sk);
    op.rng = ts_det_rng_port(&r);
    uint8_t out[4096];
    cr_assert_eq(scepkit_cms_enveloped_open((scepkit_bytes){env, env_len}, 0, &op, out, sizeof out, &got), SCEPKIT_OK);
    cr_assert_eq(got, 666);
    scepkit_softkey_free(&sk);
    free(msg);
}

/* The SCEP flow: the client encrypted to the self-signed certificate it sent in its request; the CertRep's
 * recipient is found by that certificate's issuerAndSerialNumber, and a different certificate finds nothing. */
Test(cms_vectors, certrep_recipient_is_found_by_the_certificate_of_the_request)
{
    size_t n, rn, env_len, got;
    char path[1024];
    uint8_t *req = cms_vector_or_die("micromdm-client.pkcsreq.der", &rn);
    uint8_t *msg = cms_vector_or_die("micromdm-server.certrep-success.der", &n);
    scepkit_cms_signed rq, sd;
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes mycert;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){req, rn}, SCEPKIT_CMS_BER, &rq), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_next_cert(&rq, &it, &mycert), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, n}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
    uint8_t env[4096], out[4096];
    cr_assert_eq(scepkit_cms_content_copy(&sd, env, sizeof env, &env_len), SCEPKIT_OK);
    ts_det_rng r;
    scepkit_softkey sk;
    ts_det_rng_init(&r, 9);
    cms_vector_path("keys/micromdm-client.key.pem", path, sizeof path);
    cms_load_key(&sk, path, ts_det_rng_port(&r));
    scepkit_cms_open_params op;
    memset(&op, 0, sizeof op);
    op.key = scepkit_softkey_key(&sk);
    op.rng = ts_det_rng_port(&r);
    op.allow_legacy = 1;
    op.cert = mycert;
    cr_assert_eq(scepkit_cms_enveloped_open((scepkit_bytes){env, env_len}, SCEPKIT_CMS_BER, &op, out, sizeof out, &got),
                 SCEPKIT_OK);
    cr_assert_eq(got, 909);
    /* The issued certificate (serial 03) is not the recipient. */
    cms_vector_path("keys/micromdm-client.cert.pem", path, sizeof path);
    size_t cl;
    uint8_t *issued = cms_pem_file_to_der(path, "CERTIFICATE", &cl);
    op.cert = (scepkit_bytes){issued, cl};
    memset(out, 0x5a, sizeof out);
    cr_assert_eq(scepkit_cms_enveloped_open((scepkit_bytes){env, env_len}, SCEPKIT_CMS_BER, &op, out, sizeof out, &got),
                 SCEPKIT_ERR_CMS_NO_RECIPIENT);
    cr_assert_eq(got, 0);
    cr_assert(cms_all_zero(out, sizeof out), "output wiped on error");
    free(issued);
    scepkit_softkey_free(&sk);
    free(msg);
    free(req);
}
