/*
 * The SCEP request handler (include/scepkit/server.h): RFC 8894 §4 operations, bytes in, bytes out.
 *
 * Thread safety: the handler struct is read-only after scepkit_server_init(); all per-request
 * memory comes from the caller's arena and output buffer. The only lock is `key_mu`, taken around
 * calls into the handler's own key ports unless the configuration declares them thread-safe. The
 * store, CA, policy and RNG ports are required to be thread-safe themselves.
 *
 * Transaction life cycle (store records, see store.h):
 *
 *   (none) --policy accepts--> IN_PROGRESS --CA issues--> ISSUED
 *                                   |        --CA queues--> PENDING(ca) --CertPoll, CA issues--> ISSUED
 *                                   |        --CA refuses-> REJECTED
 *                                   +--manual approval / policy PENDING--> PENDING --approve--> ISSUED
 *                                                                                  --reject---> REJECTED
 *
 * A failed challenge never creates a record. A record left IN_PROGRESS by a crash is retried once it is
 * older than `in_progress_timeout`: first by asking the store for a certificate already issued for that
 * transaction (cert_find_tx; the CA indexes it before the record says ISSUED), and only if there is none by
 * running the CA again. A record whose certificate the CA issued is never removed, even when recording the
 * outcome fails: only that recovery may finish it, so a transaction never yields two certificates.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen() */

#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/cms.h"
#include "scepkit/pem.h"
#include "scepkit/server.h"
#include "server/cbor_rec.h"
#include "server/server_internal.h"

#define DEFAULT_MAX_MESSAGE (64u * 1024u)
#define DEFAULT_MAX_PAYLOAD (64u * 1024u)

static const char CT_TEXT[] = "text/plain";
static const char CT_CA_CERT[] = "application/x-x509-ca-cert";
static const char CT_CA_RA_CERT[] = "application/x-x509-ca-ra-cert";
static const char CT_NEXT_CA_CERT[] = "application/x-x509-next-ca-cert";
static const char CT_PKI_MESSAGE[] = "application/x-pki-message";

/* Capability keywords in RFC 8894 §3.5.2's exact spelling (plus SHA-384, which strongSwan 5.9 looks for). */
static const char *const known_caps[] = {"AES",   "DES3",    "GetNextCACert", "POSTPKIOperation", "Renewal",
                                         "SHA-1", "SHA-256", "SHA-384",       "SHA-512",          "SCEPStandard"};

/* ---------------------------------------------------------------------------------------------- */
/* Configuration */

static size_t max_message(const scepkit_server *srv)
{
    return srv->cfg.max_message_size > 0 ? srv->cfg.max_message_size : DEFAULT_MAX_MESSAGE;
}

static size_t max_payload(const scepkit_server *srv)
{
    return srv->cfg.max_payload_size > 0 ? srv->cfg.max_payload_size : DEFAULT_MAX_PAYLOAD;
}

static int is_rsa_cert(scepkit_bytes der)
{
    scepkit_x509 c;
    scepkit_key_type type = SCEPKIT_KEY_NONE;
    size_t bits = 0;
    return scepkit_x509_parse(der, &c) == SCEPKIT_OK && scepkit_spki_info(c.spki, &type, &bits) == SCEPKIT_OK &&
           type == SCEPKIT_KEY_RSA;
}

static scepkit_err check_caps(const scepkit_server_config *cfg)
{
    for (size_t i = 0; i < cfg->cap_count; i++) {
        const char *c = cfg->caps[i];
        int known = 0;
        for (size_t k = 0; c != NULL && k < sizeof known_caps / sizeof known_caps[0]; k++) {
            known |= strcmp(c, known_caps[k]) == 0;
        }
        if (!known) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
        if (strcmp(c, "GetNextCACert") == 0 && cfg->next_ca_cert_count == 0) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
    }
    return SCEPKIT_OK;
}

static scepkit_err check_profiles(const scepkit_server_config *cfg)
{
    if (cfg->profiles == NULL || cfg->profile_count == 0) {
        return SCEPKIT_ERR_SERVER_CONFIG;
    }
    for (size_t i = 0; i < cfg->profile_count; i++) {
        const char *n = cfg->profiles[i].name;
        if (n == NULL || n[0] == '\0' || strlen(n) > SCEPKIT_PROFILE_NAME_MAX ||
            cfg->profiles[i].purpose > SCEPKIT_PURPOSE_ENCRYPTION) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->profiles[j].name, n) == 0) {
                return SCEPKIT_ERR_SERVER_CONFIG;
            }
        }
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_server_init(scepkit_server *srv, const scepkit_server_config *cfg)
{
    if (srv == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(srv, 0, sizeof *srv);
    if (cfg == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    const scepkit_store_ops *so = cfg->store.ops;
    if (cfg->ca_cert.ptr == NULL || cfg->ca.ops == NULL || cfg->ca.ops->issue == NULL || so == NULL ||
        so->tx_get == NULL || so->tx_create == NULL || so->tx_update == NULL || so->tx_remove == NULL ||
        cfg->rng.ops == NULL || (cfg->caps == NULL && cfg->cap_count > 0) ||
        (cfg->chain == NULL && cfg->chain_count > 0) || (cfg->next_ca_certs == NULL && cfg->next_ca_cert_count > 0) ||
        cfg->reply_sig_style > SCEPKIT_REPLY_SIG_NAMED) {
        return SCEPKIT_ERR_SERVER_CONFIG;
    }
    scepkit_err err = check_caps(cfg);
    if (err == SCEPKIT_OK) {
        err = check_profiles(cfg);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    srv->cfg = *cfg;
    err = scepkit_x509_parse(cfg->ca_cert, &srv->ca);
    if (err != SCEPKIT_OK) {
        return err;
    }
    int has_ra = cfg->ra_sign_cert.len > 0 || cfg->ra_enc_cert.len > 0;
    if (has_ra) {
        if (cfg->ra_sign_cert.ptr == NULL || cfg->ra_enc_cert.ptr == NULL || cfg->ra_sign_key.ops == NULL ||
            cfg->ra_enc_key.ops == NULL) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
        srv->ra_mode = 1;
        srv->sign_cert = cfg->ra_sign_cert;
        srv->sign_key = cfg->ra_sign_key;
        srv->enc_cert = cfg->ra_enc_cert;
        srv->enc_key = cfg->ra_enc_key;
    } else {
        if (cfg->ca_key.ops == NULL) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
        srv->sign_cert = cfg->ca_cert;
        srv->sign_key = cfg->ca_key;
        srv->enc_cert = cfg->ca_cert;
        srv->enc_key = cfg->ca_key;
    }
    scepkit_x509 tmp;
    if (!is_rsa_cert(srv->enc_cert) || scepkit_x509_parse(srv->sign_cert, &tmp) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SERVER_CONFIG; /* requests are encrypted with RSA key transport (RFC 8894 §3.2.2) */
    }
    srv->sign_is_rsa = is_rsa_cert(srv->sign_cert);
    for (size_t i = 0; i < cfg->next_ca_cert_count; i++) {
        if (scepkit_x509_parse(cfg->next_ca_certs[i], &tmp) != SCEPKIT_OK) {
            return SCEPKIT_ERR_SERVER_CONFIG;
        }
    }
    if (pthread_mutex_init(&srv->key_mu, NULL) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    srv->initialised = 1;
    return SCEPKIT_OK;
}

void scepkit_server_free(scepkit_server *srv)
{
    if (srv == NULL || !srv->initialised) {
        return;
    }
    pthread_mutex_destroy(&srv->key_mu);
    srv->initialised = 0;
}

scepkit_err scepkit_server_buffer_sizes(const scepkit_server *srv, size_t *scratch, size_t *response)
{
    if (srv == NULL || !srv->initialised || scratch == NULL || response == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *scratch = SCEPKIT_SERVER_SCRATCH(max_message(srv), max_payload(srv));
    *response = SCEPKIT_SERVER_RESPONSE_MAX(max_payload(srv));
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Per-request context */

typedef struct hctx {
    const scepkit_server *srv;
    scepkit_arena *arena;
    uint8_t *out;
    size_t cap;
    scepkit_server_response *resp;
    int64_t now;
    scepkit_scep_request req;
    scepkit_bytes msg;
    uint8_t key_hash[SCEPKIT_KEY_HASH_LEN];    /* CSR key (enrollment) */
    uint8_t signer_hash[SCEPKIT_KEY_HASH_LEN]; /* pkiMessage signer key */
    int signer_not_rsa;                        /* the signer cannot receive key transport (EC) */
    scepkit_bytes reply_password;              /* EC signer: the challengePassword keying a SUCCESS (PWRI) */
    int ca_issued;                             /* the CA issued a certificate during this request */
} hctx;

static scepkit_key locked(const scepkit_server *srv, skit_locked_key *lk, scepkit_key k)
{
    /* The mutex is the only mutable member; it is reached through a const handler by design. A key the
     * software CA also uses (CA mode) takes the CA's lock instead: two locks around one key port serialise
     * nothing (the CA would sign certificates while the handler decrypts with the same RSA context). */
    pthread_mutex_t *mu = NULL;
    if (!srv->cfg.keys_thread_safe) {
        mu = skit_softca_key_mutex(srv->cfg.ca, k);
        if (mu == NULL) {
            mu = (pthread_mutex_t *)(uintptr_t)&srv->key_mu;
        }
    }
    return skit_locked_key_port(lk, k, mu);
}

static scepkit_err arena_take(hctx *h, size_t n, uint8_t **p)
{
    void *v = NULL;
    scepkit_err err = scepkit_arena_alloc(h->arena, n, &v);
    *p = v;
    return err;
}

static scepkit_err put_body(hctx *h, const uint8_t *p, size_t n)
{
    h->resp->body_len = n;
    if (n > h->cap || (h->out == NULL && n > 0)) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    if (n > 0) {
        memmove(h->out, p, n);
    }
    return SCEPKIT_OK;
}

/* A short text answer (4xx/5xx). */
static scepkit_err text_reply(hctx *h, int status, scepkit_err cause, const char *text)
{
    h->resp->http_status = status;
    h->resp->content_type = CT_TEXT;
    h->resp->error = cause;
    h->resp->is_certrep = 0;
    return put_body(h, (const uint8_t *)text, strlen(text));
}

static void notify(hctx *h, scepkit_event_type type, scepkit_bytes subject, scepkit_bytes cert, scepkit_fail_info fi,
                   const char *reason, scepkit_err error)
{
    const scepkit_server_notify *n = &h->srv->cfg.notify;
    if (n->fn == NULL) {
        return;
    }
    scepkit_server_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.msg_type = h->req.type;
    ev.transaction_id = scepkit_bytes_str(h->req.transaction_id);
    ev.subject = subject;
    ev.cert = cert;
    ev.fail_info = fi;
    ev.reason = reason != NULL ? reason : "";
    ev.error = error;
    (void)n->fn(n->ctx, &ev); /* the answer does not depend on the hook (documented) */
}

static scepkit_md reply_md(scepkit_md req)
{
    switch (req) {
    case SCEPKIT_MD_SHA1:
    case SCEPKIT_MD_SHA256:
    case SCEPKIT_MD_SHA384:
    case SCEPKIT_MD_SHA512:
        return req;
    case SCEPKIT_MD_MD5:
        return SCEPKIT_MD_SHA1; /* legacy requester: the weakest digest we still sign with */
    default:
        return SCEPKIT_MD_SHA256;
    }
}

static scepkit_cipher reply_cipher(scepkit_cipher req)
{
    switch (req) {
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        return req;
    case SCEPKIT_CIPHER_DES_CBC:
        return SCEPKIT_CIPHER_DES_EDE3_CBC; /* reached only in legacy mode; single DES is never sent */
    default:
        return SCEPKIT_CIPHER_AES128_CBC;
    }
}

static scepkit_err failure(hctx *h, scepkit_fail_info fi, scepkit_err cause, const char *text);

static const char EC_NO_CHALLENGE[] =
    "an EC requester's reply is keyed by the challengePassword of its request (RFC 8894 "
    "section 3.1): send one, or sign with an RSA key";

/*
 * pkiMessage CertRep (RFC 8894 §3.3.2): signed attributes transactionID, messageType = CertRep (3),
 * pkiStatus, failInfo (FAILURE), failInfoText (optional), senderNonce (fresh), recipientNonce (the
 * request's senderNonce); for SUCCESS an EnvelopedData (to the requester's signer certificate) holding a
 * degenerate certs-only SignedData with the certificates or the CRL. An EC requester cannot receive key
 * transport: its SUCCESS goes to a PasswordRecipientInfo keyed by its challengePassword (RFC 8894 §3.1),
 * and without one it gets badAlg.
 */
static scepkit_err certrep(hctx *h, scepkit_pki_status status, scepkit_fail_info fi, const char *text,
                           const scepkit_bytes *certs, size_t cert_count, const scepkit_bytes *crls, size_t crl_count)
{
    const scepkit_server *srv = h->srv;
    if (status == SCEPKIT_STATUS_SUCCESS && h->signer_not_rsa && h->reply_password.len == 0) {
        return failure(h, SCEPKIT_FAIL_BAD_ALG, SCEPKIT_ERR_KEY_TYPE, EC_NO_CHALLENGE);
    }
    scepkit_scep_reply_params rp;
    memset(&rp, 0, sizeof rp);
    rp.transaction_id = scepkit_bytes_str(h->req.transaction_id);
    memcpy(rp.recipient_nonce, h->req.sender_nonce, SCEPKIT_NONCE_LEN);
    scepkit_err err = scepkit_rng_fill(srv->cfg.rng, rp.sender_nonce, SCEPKIT_NONCE_LEN);
    if (err != SCEPKIT_OK) {
        return text_reply(h, 500, err, "scepkit: random generator failed\n");
    }
    rp.status = status;
    rp.fail_info = fi;
    if (status == SCEPKIT_STATUS_FAILURE && text != NULL) {
        rp.fail_info_text = scepkit_bytes_str(text);
    }
    size_t payload = 0;
    if (status == SCEPKIT_STATUS_SUCCESS) {
        rp.certs = certs;
        rp.cert_count = cert_count;
        rp.crls = crls;
        rp.crl_count = crl_count;
        rp.recipient_cert = h->req.signer_cert;
        rp.password = h->reply_password; /* used for an EC requester only */
        rp.cipher = reply_cipher(h->req.cipher);
        for (size_t i = 0; i < cert_count; i++) {
            payload += certs[i].len;
        }
        for (size_t i = 0; i < crl_count; i++) {
            payload += crls[i].len;
        }
    }
    skit_locked_key lk;
    rp.signer_cert = srv->sign_cert;
    rp.signer_key = locked(srv, &lk, srv->sign_key);
    rp.md = reply_md(h->req.md);
    switch (srv->sign_is_rsa ? srv->cfg.reply_sig_style : SCEPKIT_REPLY_SIG_NAMED) {
    case SCEPKIT_REPLY_SIG_MIRROR:
        rp.sig_style = h->req.sig_style;
        break;
    case SCEPKIT_REPLY_SIG_NAMED:
        rp.sig_style = SCEPKIT_CMS_SIG_NAMED;
        break;
    default:
        rp.sig_style = SCEPKIT_CMS_SIG_RSA_ENCRYPTION;
        break;
    }
    rp.rng = srv->cfg.rng;
    rp.signing_time = h->now > 0 ? h->now : 0;

    /* The reply is written into the arena first so a too-small `out` still reports the exact size. */
    size_t mark = scepkit_arena_mark(h->arena);
    size_t room = SCEPKIT_SERVER_RESPONSE_MAX(payload);
    uint8_t *buf = NULL;
    err = arena_take(h, room, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = scepkit_scep_reply_write(&rp, h->arena, buf, room, &len);
    if (err == SCEPKIT_ERR_ARENA_EXHAUSTED) {
        return err;
    }
    if (err != SCEPKIT_OK) {
        scepkit_arena_release(h->arena, mark);
        return text_reply(h, 500, err, "scepkit: could not build the CertRep\n");
    }
    h->resp->http_status = 200;
    h->resp->content_type = CT_PKI_MESSAGE;
    h->resp->is_certrep = 1;
    h->resp->status = status;
    h->resp->fail_info = fi;
    err = put_body(h, buf, len);
    scepkit_arena_release(h->arena, mark);
    return err;
}

static scepkit_err failure(hctx *h, scepkit_fail_info fi, scepkit_err cause, const char *text)
{
    h->resp->error = cause;
    notify(h, SCEPKIT_EVENT_FAILURE, h->req.csr.subject, (scepkit_bytes){NULL, 0}, fi, text, cause);
    return certrep(h, SCEPKIT_STATUS_FAILURE, fi, text, NULL, 0, NULL, 0);
}

static scepkit_err pending(hctx *h)
{
    return certrep(h, SCEPKIT_STATUS_PENDING, SCEPKIT_FAIL_BAD_REQUEST, NULL, NULL, 0, NULL, 0);
}

/* SUCCESS with the issued certificate, plus the CA certificate and chain when configured. */
static scepkit_err success_cert(hctx *h, scepkit_bytes cert)
{
    const scepkit_server *srv = h->srv;
    scepkit_bytes certs[2 + 8];
    size_t n = 0;
    certs[n++] = cert;
    if (srv->cfg.include_ca_cert_in_certrep) {
        certs[n++] = srv->cfg.ca_cert;
        for (size_t i = 0; i < srv->cfg.chain_count && n < sizeof certs / sizeof certs[0]; i++) {
            certs[n++] = srv->cfg.chain[i];
        }
    }
    return certrep(h, SCEPKIT_STATUS_SUCCESS, SCEPKIT_FAIL_BAD_REQUEST, NULL, certs, n, NULL, 0);
}

static scepkit_err backend_failure(hctx *h, scepkit_err err)
{
    if (err == SCEPKIT_ERR_ARENA_EXHAUSTED) {
        return err;
    }
    return text_reply(h, 500, err, "scepkit: server back end failed, retry later\n");
}

/* ---------------------------------------------------------------------------------------------- */
/* GetCACaps, GetCACert, GetNextCACert */

static scepkit_err get_ca_caps(hctx *h)
{
    const scepkit_server *srv = h->srv;
    uint8_t *buf = NULL;
    size_t room = 512;
    scepkit_err err = arena_take(h, room, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    if (srv->cfg.caps == NULL) {
        const char *def = SCEPKIT_SERVER_DEFAULT_CAPS;
        len = strlen(def);
        memcpy(buf, def, len);
        if (srv->cfg.next_ca_cert_count > 0) {
            static const char nx[] = "\nGetNextCACert";
            memcpy(buf + len, nx, sizeof nx - 1);
            len += sizeof nx - 1;
        }
    } else {
        for (size_t i = 0; i < srv->cfg.cap_count; i++) {
            size_t n = strlen(srv->cfg.caps[i]);
            if (len + n + 1 > room) {
                return SCEPKIT_ERR_INTERNAL; /* impossible: keywords are checked at init */
            }
            if (i > 0) {
                buf[len++] = '\n';
            }
            memcpy(buf + len, srv->cfg.caps[i], n);
            len += n;
        }
    }
    h->resp->http_status = 200;
    h->resp->content_type = CT_TEXT;
    return put_body(h, buf, len);
}

static scepkit_err get_ca_cert(hctx *h)
{
    const scepkit_server *srv = h->srv;
    if (!srv->ra_mode) {
        h->resp->http_status = 200;
        h->resp->content_type = CT_CA_CERT;
        return put_body(h, srv->cfg.ca_cert.ptr, srv->cfg.ca_cert.len);
    }
    /* RA mode: degenerate certs-only SignedData (RFC 8894 §4.2.1.2) with RA signing, RA encryption, CA, chain. */
    scepkit_bytes certs[3 + 16];
    size_t n = 0;
    certs[n++] = srv->sign_cert;
    if (srv->enc_cert.len != srv->sign_cert.len ||
        memcmp(srv->enc_cert.ptr, srv->sign_cert.ptr, srv->enc_cert.len) != 0) {
        certs[n++] = srv->enc_cert;
    }
    certs[n++] = srv->cfg.ca_cert;
    for (size_t i = 0; i < srv->cfg.chain_count && n < sizeof certs / sizeof certs[0]; i++) {
        certs[n++] = srv->cfg.chain[i];
    }
    size_t room = 1024;
    for (size_t i = 0; i < n; i++) {
        room += certs[i].len;
    }
    uint8_t *buf = NULL;
    scepkit_err err = arena_take(h, room, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = scepkit_cms_certs_only_write(certs, n, NULL, 0, buf, room, &len);
    if (err != SCEPKIT_OK) {
        return text_reply(h, 500, err, "scepkit: could not build the CA certificate answer\n");
    }
    h->resp->http_status = 200;
    h->resp->content_type = CT_CA_RA_CERT;
    return put_body(h, buf, len);
}

/* GetNextCACert response (RFC 8894 §4.7.1): a SignedData signed with the current signing key whose
 * encapsulated content is a degenerate certificates-only SignedData holding the next CA (and RA) certificates
 * (the nesting jscep and xipki use and scepkit's client expects). */
static scepkit_err get_next_ca_cert(hctx *h)
{
    const scepkit_server *srv = h->srv;
    if (srv->cfg.next_ca_cert_count == 0) {
        return text_reply(h, 404, SCEPKIT_ERR_NOT_FOUND, "scepkit: no next CA certificate\n");
    }
    size_t room = 4096 + SCEPKIT_MAX_SIG_SIZE + 2 * srv->sign_cert.len;
    for (size_t i = 0; i < srv->cfg.next_ca_cert_count; i++) {
        room += srv->cfg.next_ca_certs[i].len;
    }
    uint8_t *buf = NULL;
    uint8_t *inner = NULL;
    size_t inner_len = 0;
    scepkit_err err = arena_take(h, room, &buf);
    if (err == SCEPKIT_OK) {
        err = arena_take(h, room, &inner);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_cms_certs_only_write(srv->cfg.next_ca_certs, srv->cfg.next_ca_cert_count, NULL, 0, inner, room,
                                       &inner_len);
    if (err != SCEPKIT_OK) {
        return text_reply(h, 500, err, "scepkit: could not build the next CA answer\n");
    }
    skit_locked_key lk;
    scepkit_cms_signed_params sp;
    memset(&sp, 0, sizeof sp);
    sp.md = SCEPKIT_MD_SHA256;
    sp.signer_cert = srv->sign_cert;
    sp.key = locked(srv, &lk, srv->sign_key);
    sp.with_signing_time = h->now > 0;
    sp.signing_time = h->now;
    sp.content.ptr = inner;
    sp.content.len = inner_len;
    sp.certs = &srv->sign_cert;
    sp.cert_count = 1;
    size_t len = 0;
    err = scepkit_cms_signed_write(&sp, h->arena, buf, room, &len);
    if (err == SCEPKIT_ERR_ARENA_EXHAUSTED) {
        return err;
    }
    if (err != SCEPKIT_OK) {
        return text_reply(h, 500, err, "scepkit: could not build the next CA answer\n");
    }
    h->resp->http_status = 200;
    h->resp->content_type = CT_NEXT_CA_CERT;
    return put_body(h, buf, len);
}

/* ---------------------------------------------------------------------------------------------- */
/* PKIOperation: enrollment */

/* The subjectAltName extension value (GeneralNames DER) of a certificate, empty when absent. */
static scepkit_bytes cert_san(const scepkit_x509 *cert)
{
    scepkit_x509_iter it = {0};
    scepkit_extension ext;
    while (scepkit_x509_next_extension(cert, &it, &ext) == SCEPKIT_OK) {
        if (skit_oid_find(ext.oid) == SKIT_OID_EXT_SUBJECT_ALT_NAME) {
            return ext.value;
        }
    }
    return (scepkit_bytes){NULL, 0};
}

/*
 * A renewal signer is valid when: issued by our CA (signature verifies with the CA key), inside its
 * validity, indexed in our store and not revoked, and the new request asks for the same subject and no
 * subjectAltName the old certificate did not have. Fail closed: any doubt is 0.
 */
static int renewal_signer_valid(hctx *h, char old_profile[SCEPKIT_PROFILE_NAME_MAX + 1])
{
    old_profile[0] = '\0';
    const scepkit_server *srv = h->srv;
    scepkit_x509 old;
    if (scepkit_x509_parse(h->req.signer_cert, &old) != SCEPKIT_OK) {
        return 0;
    }
    if (old.issuer.len != srv->ca.subject.len || memcmp(old.issuer.ptr, srv->ca.subject.ptr, old.issuer.len) != 0) {
        return 0;
    }
    if (scepkit_x509_verify_signature(&old, srv->ca.spki, 0) != SCEPKIT_OK) {
        return 0;
    }
    if (h->now < old.not_before || h->now >= old.not_after) {
        return 0;
    }
    if (!skit_name_equal_loose(h->req.csr.subject, old.subject) ||
        !skit_general_names_subset(h->req.csr.san, cert_san(&old))) {
        return 0;
    }
    const scepkit_store *st = &srv->cfg.store;
    if (st->ops->cert_get == NULL) {
        return 0;
    }
    size_t mark = scepkit_arena_mark(h->arena);
    uint8_t *buf = NULL;
    size_t cap = old.der.len + 1024;
    int ok = 0;
    if (arena_take(h, cap, &buf) == SCEPKIT_OK) {
        scepkit_store_cert rec;
        if (st->ops->cert_get(st->self, old.serial, buf, cap, &rec) == SCEPKIT_OK && !rec.revoked &&
            rec.cert.len == old.der.len && memcmp(rec.cert.ptr, old.der.ptr, old.der.len) == 0) {
            ok = 1;
            memcpy(old_profile, rec.profile, SCEPKIT_PROFILE_NAME_MAX + 1);
            old_profile[SCEPKIT_PROFILE_NAME_MAX] = '\0';
        }
    }
    scepkit_arena_release(h->arena, mark);
    return ok;
}

/* Runs the CA for a transaction held IN_PROGRESS (or PENDING) and records the outcome; answers the client
 * when `answer` is set. `prior` is the state the record has now (compare-and-set). */
static scepkit_err issue_and_record(hctx *h, scepkit_store_tx *tx, scepkit_tx_state prior, const scepkit_csr *csr,
                                    scepkit_bytes signer_cert, int answer)
{
    const scepkit_server *srv = h->srv;
    const scepkit_store *st = &srv->cfg.store;
    const scepkit_profile *profile =
        scepkit_profile_find(srv->cfg.profiles, srv->cfg.profile_count, scepkit_bytes_str(tx->profile));
    if (profile == NULL) {
        profile = scepkit_profile_for_request(srv->cfg.profiles, srv->cfg.profile_count, csr);
    }
    size_t cert_cap = max_payload(srv);
    uint8_t *cert = NULL;
    scepkit_err err = arena_take(h, cert_cap, &cert);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_ca_request cr;
    memset(&cr, 0, sizeof cr);
    cr.type = tx->msg_type;
    cr.csr = csr;
    cr.transaction_id = scepkit_bytes_str(tx->transaction_id);
    cr.signer_cert = signer_cert;
    cr.now = h->now;
    cr.not_after = tx->not_after;
    scepkit_ca_result res;
    memset(&res, 0, sizeof res);
    res.outcome = SCEPKIT_CA_REJECTED;
    res.fail_info = SCEPKIT_FAIL_BAD_REQUEST;
    err = srv->cfg.ca.ops->issue(srv->cfg.ca.self, &cr, profile, cert, cert_cap, &res);
    if (err != SCEPKIT_OK) {
        return err;
    }
    h->ca_issued = res.outcome == SCEPKIT_CA_ISSUED;
    scepkit_store_tx upd = *tx;
    upd.updated = h->now;
    upd.csr = (scepkit_bytes){NULL, 0};
    upd.signer_cert = (scepkit_bytes){NULL, 0};
    upd.cert = (scepkit_bytes){NULL, 0};
    upd.ca_pending = 0;
    switch (res.outcome) {
    case SCEPKIT_CA_ISSUED:
        if (res.cert_len == 0 || res.cert_len > cert_cap) {
            return SCEPKIT_ERR_INTERNAL;
        }
        upd.state = SCEPKIT_TX_ISSUED;
        upd.cert = (scepkit_bytes){cert, res.cert_len};
        if (!is_rsa_cert(signer_cert)) {
            /* An EC requester's CertPoll after approval needs the challengePassword to key its SUCCESS: the CSR
             * (which holds it) stays in the record, as it did while PENDING. */
            upd.csr = csr->der;
        }
        break;
    case SCEPKIT_CA_PENDING:
        upd.state = SCEPKIT_TX_PENDING;
        upd.ca_pending = 1;
        upd.csr = csr->der;
        upd.signer_cert = signer_cert;
        break;
    default:
        upd.state = SCEPKIT_TX_REJECTED;
        upd.fail_info = res.fail_info;
        skit_copy_text(upd.fail_text, sizeof upd.fail_text, res.fail_text,
                       strnlen(res.fail_text, sizeof res.fail_text));
        break;
    }
    if (prior != SCEPKIT_TX_PENDING || upd.state != SCEPKIT_TX_PENDING) {
        err = st->ops->tx_update(st->self, &upd, prior);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    *tx = upd;
    switch (upd.state) {
    case SCEPKIT_TX_ISSUED:
        notify(h, SCEPKIT_EVENT_ISSUED, csr->subject, upd.cert, SCEPKIT_FAIL_BAD_REQUEST, NULL, SCEPKIT_OK);
        return answer ? success_cert(h, upd.cert) : SCEPKIT_OK;
    case SCEPKIT_TX_PENDING:
        notify(h, SCEPKIT_EVENT_PENDING, csr->subject, (scepkit_bytes){NULL, 0}, SCEPKIT_FAIL_BAD_REQUEST,
               "queued by the CA", SCEPKIT_OK);
        return answer ? pending(h) : SCEPKIT_OK;
    default:
        notify(h, SCEPKIT_EVENT_REJECTED, csr->subject, (scepkit_bytes){NULL, 0}, upd.fail_info, upd.fail_text,
               SCEPKIT_OK);
        return answer ? certrep(h, SCEPKIT_STATUS_FAILURE, upd.fail_info, upd.fail_text, NULL, 0, NULL, 0) : SCEPKIT_OK;
    }
}

/* A CA-queued transaction: ask the CA again with the stored CSR (the CA answers idempotently per
 * transactionID). */
static scepkit_err retry_ca(hctx *h, scepkit_store_tx *tx)
{
    scepkit_csr csr;
    if (scepkit_csr_parse(tx->csr, &csr) != SCEPKIT_OK) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    return issue_and_record(h, tx, SCEPKIT_TX_PENDING, &csr, tx->signer_cert, 1);
}

/* A stale IN_PROGRESS transaction whose process died after the CA indexed the certificate but before the record
 * said ISSUED: finish it with that certificate (compare-and-set IN_PROGRESS -> ISSUED) and answer with it.
 * SCEPKIT_ERR_NOT_FOUND when nothing was issued for it (or the record changed meanwhile: the caller re-reads). */
static scepkit_err recover_issued(hctx *h, const scepkit_store_tx *tx, int by_signer)
{
    const scepkit_store *st = &h->srv->cfg.store;
    if (st->ops->cert_find_tx == NULL) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    size_t cap = max_payload(h->srv) + 1024;
    uint8_t *buf = NULL;
    scepkit_err err = arena_take(h, cap, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* Only a certificate issued since this transaction was created: an older one under the same transactionID
     * belongs to an earlier, finished transaction (clients that derive the transactionID from the key). */
    scepkit_store_cert rec;
    err = st->ops->cert_find_tx(st->self, scepkit_bytes_str(tx->transaction_id), tx->created, buf, cap, &rec);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return err;
    }
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    /* The transaction is bound to a key; a certificate for another key under its transactionID is not ours to
     * hand out (fail closed). */
    scepkit_x509 c;
    uint8_t kh[SCEPKIT_KEY_HASH_LEN];
    err = scepkit_x509_parse(rec.cert, &c);
    if (err == SCEPKIT_OK) {
        err = skit_key_hash(c.spki, kh);
    }
    if (err != SCEPKIT_OK || scepkit_ct_memcmp(kh, tx->key_hash, SCEPKIT_KEY_HASH_LEN) != 0) {
        return backend_failure(h, SCEPKIT_ERR_STORE_CORRUPT);
    }
    scepkit_store_tx upd = *tx;
    upd.state = SCEPKIT_TX_ISSUED;
    upd.updated = h->now;
    upd.ca_pending = 0;
    upd.cert = rec.cert;
    upd.signer_cert = (scepkit_bytes){NULL, 0};
    /* As issue_and_record(): an EC requester's record keeps the CSR, whose challengePassword keys CertPoll
     * replies (a CertPoll has none of its own: keep what the record holds). */
    upd.csr = !h->signer_not_rsa ? (scepkit_bytes){NULL, 0} : by_signer ? tx->csr : h->req.csr.der;
    err = st->ops->tx_update(st->self, &upd, SCEPKIT_TX_IN_PROGRESS);
    if (err == SCEPKIT_ERR_STORE_CONFLICT || err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    notify(h, SCEPKIT_EVENT_ISSUED, c.subject, upd.cert, SCEPKIT_FAIL_BAD_REQUEST, "recovered after a crash",
           SCEPKIT_OK);
    return success_cert(h, upd.cert);
}

/* The answer a known transaction gets. Returns SCEPKIT_ERR_NOT_FOUND when the caller should start over
 * (a stale IN_PROGRESS record was removed). */
static scepkit_err answer_known(hctx *h, scepkit_store_tx *tx, int by_signer)
{
    const scepkit_server *srv = h->srv;
    int key_ok = memcmp(tx->key_hash, h->key_hash, SCEPKIT_KEY_HASH_LEN) == 0;
    if (by_signer) {
        key_ok = memcmp(tx->key_hash, h->signer_hash, SCEPKIT_KEY_HASH_LEN) == 0 ||
                 memcmp(tx->signer_hash, h->signer_hash, SCEPKIT_KEY_HASH_LEN) == 0;
    }
    if (!key_ok) {
        return failure(h, SCEPKIT_FAIL_BAD_REQUEST, SCEPKIT_ERR_KEY_MISMATCH, "transactionID is bound to another key");
    }
    /* Clients that derive the transactionID from the key (micromdm's scepclient) reuse it when they renew with the
     * same key. A finished transaction followed by a request of another type (PKCSReq, then RenewalReq), or by one
     * signed with the very certificate that transaction issued, is not a retry: it is a new transaction. The old
     * record goes (its certificate stays in the issued index) and the request starts over. */
    if (!by_signer && tx->state == SCEPKIT_TX_ISSUED &&
        (tx->msg_type != h->req.type || (tx->cert.len == h->req.signer_cert.len && tx->cert.len != 0 &&
                                         memcmp(tx->cert.ptr, h->req.signer_cert.ptr, tx->cert.len) == 0))) {
        scepkit_err err = srv->cfg.store.ops->tx_remove(srv->cfg.store.self, scepkit_bytes_str(tx->transaction_id),
                                                        SCEPKIT_TX_ISSUED);
        if (err != SCEPKIT_OK && err != SCEPKIT_ERR_STORE_CONFLICT && err != SCEPKIT_ERR_NOT_FOUND) {
            return backend_failure(h, err);
        }
        return SCEPKIT_ERR_NOT_FOUND;
    }
    switch (tx->state) {
    case SCEPKIT_TX_ISSUED:
        return success_cert(h, tx->cert);
    case SCEPKIT_TX_REJECTED:
        return certrep(h, SCEPKIT_STATUS_FAILURE, tx->fail_info, tx->fail_text, NULL, 0, NULL, 0);
    case SCEPKIT_TX_PENDING:
        if (tx->ca_pending) {
            scepkit_err err = retry_ca(h, tx);
            return err == SCEPKIT_OK ? err : backend_failure(h, err);
        }
        return pending(h);
    default: {
        int64_t timeout = srv->cfg.in_progress_timeout > 0 ? srv->cfg.in_progress_timeout : 300;
        if (h->now - tx->updated <= timeout) {
            return pending(h); /* another thread or process is on it right now */
        }
        /* Left behind by a crash. If the CA had already issued, deliver that certificate; if not, remove the
         * record (compare-and-set) and start over; tx_create decides who wins. */
        scepkit_err err = recover_issued(h, tx, by_signer);
        if (err != SCEPKIT_ERR_NOT_FOUND) {
            return err;
        }
        err = srv->cfg.store.ops->tx_remove(srv->cfg.store.self, scepkit_bytes_str(tx->transaction_id),
                                            SCEPKIT_TX_IN_PROGRESS);
        if (err != SCEPKIT_OK && err != SCEPKIT_ERR_STORE_CONFLICT && err != SCEPKIT_ERR_NOT_FOUND) {
            return backend_failure(h, err);
        }
        return SCEPKIT_ERR_NOT_FOUND;
    }
    }
}

static size_t tx_buf_size(const hctx *h)
{
    return 2 * h->msg.len + max_payload(h->srv) + 4096;
}

static scepkit_err enroll(hctx *h)
{
    const scepkit_server *srv = h->srv;
    const scepkit_store *st = &srv->cfg.store;
    const scepkit_csr *csr = &h->req.csr;
    scepkit_err err = scepkit_csr_verify(csr, srv->cfg.allow_legacy);
    if (err != SCEPKIT_OK) {
        return failure(h, SCEPKIT_FAIL_BAD_MESSAGE_CHECK, err, "CSR signature does not verify");
    }
    err = skit_key_hash(csr->spki, h->key_hash);
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    scepkit_bytes txid = scepkit_bytes_str(h->req.transaction_id);
    uint8_t *txbuf = NULL;
    size_t txcap = tx_buf_size(h);
    err = arena_take(h, txcap, &txbuf);
    if (err != SCEPKIT_OK) {
        return err;
    }

    for (int round = 0; round < 3; round++) {
        /* A transaction we know: same key, same answer; never a second certificate. */
        scepkit_store_tx tx;
        err = st->ops->tx_get(st->self, txid, txbuf, txcap, &tx);
        if (err == SCEPKIT_OK) {
            err = answer_known(h, &tx, 0);
            if (err != SCEPKIT_ERR_NOT_FOUND) {
                return err;
            }
            continue;
        }
        if (err != SCEPKIT_ERR_NOT_FOUND) {
            return backend_failure(h, err);
        }

        /* Authorisation: renewal by a valid certificate, or the challenge policy. */
        scepkit_policy_decision dec;
        memset(&dec, 0, sizeof dec);
        dec.verdict = SCEPKIT_VERDICT_REJECT;
        dec.fail_info = SCEPKIT_FAIL_BAD_REQUEST;
        skit_copy_text(dec.reason, sizeof dec.reason, "no challenge policy configured", 29);
        char old_profile[SCEPKIT_PROFILE_NAME_MAX + 1];
        int renewal_ok = renewal_signer_valid(h, old_profile);
        if (renewal_ok && srv->cfg.renewal_skips_challenge) {
            dec.verdict = SCEPKIT_VERDICT_ACCEPT;
            dec.reason[0] = '\0';
            /* No challenge: the renewal is held to the profile the old certificate was issued under (which a
             * token or one-time password may have chosen), not to whatever keyUsage the new CSR asks for. */
            if (scepkit_profile_find(srv->cfg.profiles, srv->cfg.profile_count, scepkit_bytes_str(old_profile)) !=
                NULL) {
                memcpy(dec.profile, old_profile, sizeof old_profile);
            }
        } else if (srv->cfg.policy.ops != NULL && srv->cfg.policy.ops->check != NULL) {
            scepkit_policy_request pr;
            memset(&pr, 0, sizeof pr);
            pr.type = h->req.type;
            pr.csr = csr;
            pr.transaction_id = txid;
            pr.signer_cert = h->req.signer_cert;
            pr.renewal_signer_valid = renewal_ok;
            pr.now = h->now;
            pr.profiles = srv->cfg.profiles;
            pr.profile_count = srv->cfg.profile_count;
            err = srv->cfg.policy.ops->check(srv->cfg.policy.self, &pr, &dec);
            if (err != SCEPKIT_OK) {
                return backend_failure(h, err);
            }
            dec.reason[sizeof dec.reason - 1] = '\0';
            dec.profile[sizeof dec.profile - 1] = '\0';
        }
        if (dec.verdict != SCEPKIT_VERDICT_ACCEPT && dec.verdict != SCEPKIT_VERDICT_PENDING) {
            if (dec.fail_info > SCEPKIT_FAIL_BAD_CERT_ID) {
                dec.fail_info = SCEPKIT_FAIL_BAD_REQUEST;
            }
            notify(h, SCEPKIT_EVENT_REJECTED, csr->subject, (scepkit_bytes){NULL, 0}, dec.fail_info, dec.reason,
                   SCEPKIT_OK);
            h->resp->error = SCEPKIT_OK;
            return certrep(h, SCEPKIT_STATUS_FAILURE, dec.fail_info, dec.reason, NULL, 0, NULL, 0);
        }
        const scepkit_profile *profile = NULL;
        if (dec.profile[0] != '\0') {
            profile = scepkit_profile_find(srv->cfg.profiles, srv->cfg.profile_count, scepkit_bytes_str(dec.profile));
            if (profile == NULL) {
                return failure(h, SCEPKIT_FAIL_BAD_REQUEST, SCEPKIT_ERR_PROFILE, "unknown certificate profile");
            }
        } else {
            profile = scepkit_profile_for_request(srv->cfg.profiles, srv->cfg.profile_count, csr);
        }

        /* Claim the transaction: exactly one request (thread or process) gets past this point. */
        memset(&tx, 0, sizeof tx);
        memcpy(tx.transaction_id, h->req.transaction_id, sizeof tx.transaction_id);
        memcpy(tx.key_hash, h->key_hash, SCEPKIT_KEY_HASH_LEN);
        memcpy(tx.signer_hash, h->signer_hash, SCEPKIT_KEY_HASH_LEN);
        tx.state = SCEPKIT_TX_IN_PROGRESS;
        tx.msg_type = h->req.type;
        tx.created = h->now;
        tx.updated = h->now;
        skit_copy_text(tx.profile, sizeof tx.profile, profile->name, strlen(profile->name));
        tx.not_after = dec.not_after > 0 ? dec.not_after : 0;
        err = st->ops->tx_create(st->self, &tx);
        if (err == SCEPKIT_ERR_STORE_EXISTS) {
            continue; /* a concurrent retry won: answer from its record */
        }
        if (err != SCEPKIT_OK) {
            return backend_failure(h, err);
        }

        if (dec.verdict == SCEPKIT_VERDICT_PENDING || srv->cfg.manual_approval) {
            scepkit_store_tx upd = tx;
            upd.state = SCEPKIT_TX_PENDING;
            upd.csr = csr->der;
            upd.signer_cert = h->req.signer_cert;
            err = st->ops->tx_update(st->self, &upd, SCEPKIT_TX_IN_PROGRESS);
            if (err != SCEPKIT_OK) {
                (void)st->ops->tx_remove(st->self, txid, SCEPKIT_TX_IN_PROGRESS);
                return backend_failure(h, err);
            }
            notify(h, SCEPKIT_EVENT_PENDING, csr->subject, (scepkit_bytes){NULL, 0}, SCEPKIT_FAIL_BAD_REQUEST,
                   "waiting for approval", SCEPKIT_OK);
            return pending(h);
        }
        err = issue_and_record(h, &tx, SCEPKIT_TX_IN_PROGRESS, csr, h->req.signer_cert, 1);
        if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL && err != SCEPKIT_ERR_ARENA_EXHAUSTED) {
            /* Nothing decided (CA or store failed): forget the claim so a retry starts clean. Unless the CA
             * issued (the store failed after): then the claim stays and a retry after `in_progress_timeout`
             * delivers that certificate (recover_issued). */
            if (tx.state == SCEPKIT_TX_IN_PROGRESS && !h->ca_issued) {
                (void)st->ops->tx_remove(st->self, txid, SCEPKIT_TX_IN_PROGRESS);
            }
            return backend_failure(h, err);
        }
        return err;
    }
    return backend_failure(h, SCEPKIT_ERR_STORE_CONFLICT);
}

/* ---------------------------------------------------------------------------------------------- */
/* PKIOperation: CertPoll, GetCert, GetCRL */

static scepkit_err cert_poll(hctx *h)
{
    const scepkit_store *st = &h->srv->cfg.store;
    uint8_t *txbuf = NULL;
    size_t txcap = tx_buf_size(h);
    scepkit_err err = arena_take(h, txcap, &txbuf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_store_tx tx;
    err = st->ops->tx_get(st->self, scepkit_bytes_str(h->req.transaction_id), txbuf, txcap, &tx);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return failure(h, SCEPKIT_FAIL_BAD_CERT_ID, err, "no such transaction");
    }
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    /* An EC requester's SUCCESS is keyed by the challengePassword of the CSR the record keeps (certrep() answers
     * badAlg when there is none). */
    scepkit_csr csr;
    if (h->signer_not_rsa && tx.csr.len != 0 && scepkit_csr_parse(tx.csr, &csr) == SCEPKIT_OK && csr.has_challenge) {
        h->reply_password = csr.challenge;
    }
    err = answer_known(h, &tx, 1);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return failure(h, SCEPKIT_FAIL_BAD_CERT_ID, err, "transaction abandoned, enroll again");
    }
    return err;
}

static scepkit_err get_cert(hctx *h)
{
    const scepkit_ca *ca = &h->srv->cfg.ca;
    if (ca->ops->get_cert == NULL) {
        return failure(h, SCEPKIT_FAIL_BAD_REQUEST, SCEPKIT_ERR_UNSUPPORTED, "GetCert not supported");
    }
    size_t cap = max_payload(h->srv);
    uint8_t *buf = NULL;
    scepkit_err err = arena_take(h, cap, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = ca->ops->get_cert(ca->self, h->req.issuer, h->req.serial, buf, cap, &len);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return failure(h, SCEPKIT_FAIL_BAD_CERT_ID, err, "no such certificate");
    }
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    scepkit_bytes cert = {buf, len};
    return certrep(h, SCEPKIT_STATUS_SUCCESS, SCEPKIT_FAIL_BAD_REQUEST, NULL, &cert, 1, NULL, 0);
}

static scepkit_err get_crl(hctx *h)
{
    const scepkit_ca *ca = &h->srv->cfg.ca;
    if (ca->ops->get_crl == NULL) {
        return failure(h, SCEPKIT_FAIL_BAD_REQUEST, SCEPKIT_ERR_UNSUPPORTED, "GetCRL not supported");
    }
    size_t cap = max_payload(h->srv);
    uint8_t *buf = NULL;
    scepkit_err err = arena_take(h, cap, &buf);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = ca->ops->get_crl(ca->self, h->req.issuer, buf, cap, &len);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return failure(h, SCEPKIT_FAIL_BAD_CERT_ID, err, "not issued by this CA");
    }
    if (err != SCEPKIT_OK) {
        return backend_failure(h, err);
    }
    scepkit_bytes crl = {buf, len};
    return certrep(h, SCEPKIT_STATUS_SUCCESS, SCEPKIT_FAIL_BAD_REQUEST, NULL, NULL, 0, &crl, 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* PKIOperation */

/*
 * The `message` query value of a GET, as NDES accepts it: %XX escapes resolved, a ' ' (a '+' that a form
 * decoder turned into a space) restored to '+', the URL-safe alphabet ('-', '_') mapped to the standard one,
 * line breaks and padding dropped and the padding re-added. Writes the decoded bytes to `out` (cap >= in.len + 4).
 */
static scepkit_err decode_query(scepkit_bytes in, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    if (cap < in.len + 4) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%') {
            uint8_t v = 0;
            if (in.len - i < 3 || skit_unhex((const char *)in.ptr + i + 1, 2, &v, 1) != 0) {
                return SCEPKIT_ERR_ENCODING;
            }
            c = v;
            i += 2;
        }
        switch (c) {
        case ' ':
        case '-':
            c = '+';
            break;
        case '_':
            c = '/';
            break;
        case '\r':
        case '\n':
        case '\t':
        case '=':
            continue;
        default:
            break;
        }
        out[n++] = c;
    }
    while (n % 4 != 0) {
        out[n++] = '=';
    }
    return scepkit_base64_decode((scepkit_bytes){out, n}, SCEPKIT_B64_STD, out, cap, len);
}

static int needs_rsa_reply(scepkit_msg_type t)
{
    return t == SCEPKIT_MSG_PKCSREQ || t == SCEPKIT_MSG_RENEWALREQ || t == SCEPKIT_MSG_CERTPOLL ||
           t == SCEPKIT_MSG_GETCERT || t == SCEPKIT_MSG_GETCRL;
}

static scepkit_err pki_operation(hctx *h, scepkit_bytes message, scepkit_message_form form)
{
    const scepkit_server *srv = h->srv;
    size_t limit = max_message(srv);
    scepkit_bytes msg = message;
    if (form == SCEPKIT_MESSAGE_QUERY) {
        if (message.len > 3 * limit + 64) {
            return text_reply(h, 413, SCEPKIT_ERR_REQUEST_TOO_LARGE, "scepkit: message too large\n");
        }
        uint8_t *dec = NULL;
        scepkit_err err = arena_take(h, message.len + 4, &dec);
        if (err != SCEPKIT_OK) {
            return err;
        }
        size_t n = 0;
        err = decode_query(message, dec, message.len + 4, &n);
        if (err != SCEPKIT_OK) {
            return text_reply(h, 400, err, "scepkit: message parameter is not base64\n");
        }
        msg = (scepkit_bytes){dec, n};
    }
    if (msg.len > limit) {
        return text_reply(h, 413, SCEPKIT_ERR_REQUEST_TOO_LARGE, "scepkit: message too large\n");
    }
    if (msg.len == 0) {
        return text_reply(h, 400, SCEPKIT_ERR_ARG, "scepkit: empty message\n");
    }
    h->msg = msg;

    uint8_t *plain = NULL;
    size_t plain_cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(msg.len) + 64;
    scepkit_err err = arena_take(h, plain_cap, &plain);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_locked_key lk;
    scepkit_scep_open_request_params op;
    memset(&op, 0, sizeof op);
    op.recipient_cert = srv->enc_cert;
    op.recipient_key = locked(srv, &lk, srv->enc_key);
    op.rng = srv->cfg.rng;
    op.allow_legacy = srv->cfg.allow_legacy;
    err = scepkit_scep_request_open(msg, &op, plain, plain_cap, &h->req);
    h->req.transaction_id[SCEPKIT_TRANSACTION_ID_MAX] = '\0';
    if (h->req.reply_possible) {
        h->resp->msg_type = h->req.type;
        memcpy(h->resp->transaction_id, h->req.transaction_id, sizeof h->resp->transaction_id);
    }
    if (err != SCEPKIT_OK) {
        if (!h->req.reply_possible) {
            return text_reply(h, 400, err, "scepkit: not a SCEP pkiMessage\n");
        }
        if (err == SCEPKIT_ERR_KEY_WOULD_BLOCK) {
            return backend_failure(h, err);
        }
        return failure(h, scepkit_scep_fail_info_for(err), err, scepkit_strerror(err));
    }

    if (needs_rsa_reply(h->req.type) && !is_rsa_cert(h->req.signer_cert)) {
        /* An EC signer gets its SUCCESS through a PasswordRecipientInfo keyed by the challengePassword of its
         * CSR (RFC 8894 §3.1); CertPoll takes it from the stored CSR (cert_poll()). Refused before anything is
         * stored when no password can come: a renewal without challenge, GetCert, GetCRL. */
        h->signer_not_rsa = 1;
        if ((h->req.type == SCEPKIT_MSG_PKCSREQ || h->req.type == SCEPKIT_MSG_RENEWALREQ) && h->req.csr.has_challenge &&
            h->req.csr.challenge.len != 0) {
            h->reply_password = h->req.csr.challenge;
        } else if (h->req.type != SCEPKIT_MSG_CERTPOLL) {
            return failure(h, SCEPKIT_FAIL_BAD_ALG, SCEPKIT_ERR_KEY_TYPE, EC_NO_CHALLENGE);
        }
    }
    int64_t skew = srv->cfg.max_clock_skew == 0 ? 3600 : srv->cfg.max_clock_skew;
    if (skew > 0 && h->req.has_signing_time &&
        (h->req.signing_time > h->now + skew || h->req.signing_time < h->now - skew)) {
        return failure(h, SCEPKIT_FAIL_BAD_TIME, SCEPKIT_OK, "signingTime too far from the server's clock");
    }
    scepkit_x509 signer;
    err = scepkit_x509_parse(h->req.signer_cert, &signer);
    if (err == SCEPKIT_OK) {
        err = skit_key_hash(signer.spki, h->signer_hash);
    }
    if (err != SCEPKIT_OK) {
        return failure(h, SCEPKIT_FAIL_BAD_MESSAGE_CHECK, err, "signer certificate unreadable");
    }

    switch (h->req.type) {
    case SCEPKIT_MSG_PKCSREQ:
    case SCEPKIT_MSG_RENEWALREQ:
        return enroll(h);
    case SCEPKIT_MSG_CERTPOLL:
        return cert_poll(h);
    case SCEPKIT_MSG_GETCERT:
        return get_cert(h);
    case SCEPKIT_MSG_GETCRL:
        return get_crl(h);
    default:
        return failure(h, SCEPKIT_FAIL_BAD_REQUEST, SCEPKIT_ERR_SCEP_MESSAGE_TYPE, "messageType not handled here");
    }
}

static int op_is(scepkit_bytes op, const char *name)
{
    size_t n = strlen(name);
    return op.len == n && memcmp(op.ptr, name, n) == 0;
}

scepkit_err scepkit_server_handle(const scepkit_server *srv, scepkit_bytes operation, scepkit_bytes message,
                                  scepkit_message_form form, scepkit_arena *scratch, uint8_t *out, size_t cap,
                                  scepkit_server_response *resp)
{
    if (resp == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(resp, 0, sizeof *resp);
    if (srv == NULL || !srv->initialised || scratch == NULL || (out == NULL && cap > 0) ||
        (operation.ptr == NULL && operation.len > 0) || (message.ptr == NULL && message.len > 0) ||
        (form != SCEPKIT_MESSAGE_BODY && form != SCEPKIT_MESSAGE_QUERY)) {
        return SCEPKIT_ERR_ARG;
    }
    hctx h;
    memset(&h, 0, sizeof h);
    h.srv = srv;
    h.arena = scratch;
    h.out = out;
    h.cap = cap;
    h.resp = resp;
    size_t mark = scepkit_arena_mark(scratch);
    scepkit_err err = scepkit_clock_now(srv->cfg.clock, &h.now);
    if (err != SCEPKIT_OK) {
        err = text_reply(&h, 500, err, "scepkit: clock failed\n");
    } else if (op_is(operation, "GetCACaps")) {
        err = get_ca_caps(&h);
    } else if (op_is(operation, "GetCACert")) {
        err = get_ca_cert(&h);
    } else if (op_is(operation, "GetNextCACert")) {
        err = get_next_ca_cert(&h);
    } else if (op_is(operation, "PKIOperation")) {
        err = pki_operation(&h, message, form);
    } else {
        err = text_reply(&h, 400, SCEPKIT_ERR_UNSUPPORTED, "scepkit: unknown operation\n");
    }
    scepkit_arena_release(scratch, mark);
    scepkit_wipe(&h.req, sizeof h.req);
    return err;
}

/* ---------------------------------------------------------------------------------------------- */
/* Administration */

typedef struct admin_tx {
    uint8_t *buf;
    size_t cap;
    scepkit_store_tx tx;
} admin_tx;

static scepkit_err admin_load(const scepkit_server *srv, scepkit_bytes txid, scepkit_arena *scratch, admin_tx *a)
{
    const scepkit_store *st = &srv->cfg.store;
    void *v = NULL;
    a->cap = SCEPKIT_FILE_STORE_RECORD_MAX < 2 * max_message(srv) + max_payload(srv) + 4096
                 ? SCEPKIT_FILE_STORE_RECORD_MAX
                 : 2 * max_message(srv) + max_payload(srv) + 4096;
    scepkit_err err = scepkit_arena_alloc(scratch, a->cap, &v);
    if (err != SCEPKIT_OK) {
        return err;
    }
    a->buf = v;
    err = st->ops->tx_get(st->self, txid, a->buf, a->cap, &a->tx);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (a->tx.state != SCEPKIT_TX_PENDING) {
        return SCEPKIT_ERR_TX_STATE;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_server_approve(const scepkit_server *srv, scepkit_bytes transaction_id, scepkit_arena *scratch)
{
    if (srv == NULL || !srv->initialised || scratch == NULL || transaction_id.ptr == NULL || transaction_id.len == 0 ||
        transaction_id.len > SCEPKIT_TRANSACTION_ID_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    size_t mark = scepkit_arena_mark(scratch);
    admin_tx a;
    scepkit_server_response resp;
    memset(&resp, 0, sizeof resp);
    hctx h;
    memset(&h, 0, sizeof h);
    h.srv = srv;
    h.arena = scratch;
    h.resp = &resp;
    scepkit_err err = scepkit_clock_now(srv->cfg.clock, &h.now);
    if (err == SCEPKIT_OK) {
        err = admin_load(srv, transaction_id, scratch, &a);
    }
    scepkit_csr csr;
    if (err == SCEPKIT_OK && scepkit_csr_parse(a.tx.csr, &csr) != SCEPKIT_OK) {
        err = SCEPKIT_ERR_STORE_CORRUPT;
    }
    scepkit_store_tx tx;
    memset(&tx, 0, sizeof tx);
    if (err == SCEPKIT_OK) {
        /* Claim it first (PENDING -> IN_PROGRESS, compare-and-set): of two approvals racing (threads, or two
         * admin processes), only one runs the CA; the other finds it no longer pending. Checking the state at
         * load time alone would let both sign a certificate. */
        tx = a.tx;
        tx.state = SCEPKIT_TX_IN_PROGRESS;
        tx.ca_pending = 0;
        tx.updated = h.now;
        err = srv->cfg.store.ops->tx_update(srv->cfg.store.self, &tx, SCEPKIT_TX_PENDING);
        if (err == SCEPKIT_ERR_STORE_CONFLICT) {
            err = SCEPKIT_ERR_TX_STATE;
        }
    }
    if (err == SCEPKIT_OK) {
        h.req.type = a.tx.msg_type;
        memcpy(h.req.transaction_id, a.tx.transaction_id, sizeof h.req.transaction_id);
        h.msg = a.tx.csr;
        /* IN_PROGRESS -> ISSUED/REJECTED, or PENDING with ca_pending (the CA queued it: CertPoll asks the CA
         * from now on). */
        err = issue_and_record(&h, &tx, SCEPKIT_TX_IN_PROGRESS, &csr, a.tx.signer_cert, 0);
        if (err != SCEPKIT_OK && tx.state == SCEPKIT_TX_IN_PROGRESS && !h.ca_issued) {
            /* Nothing decided (CA or store failed): put the request back so it can be approved again. (If the CA
             * issued, the record stays IN_PROGRESS: the requester's next poll after `in_progress_timeout`
             * delivers that certificate, and no second approval can sign another.) */
            (void)srv->cfg.store.ops->tx_update(srv->cfg.store.self, &a.tx, SCEPKIT_TX_IN_PROGRESS);
        }
    }
    scepkit_arena_release(scratch, mark);
    return err;
}

scepkit_err scepkit_server_reject(const scepkit_server *srv, scepkit_bytes transaction_id, scepkit_fail_info fail_info,
                                  scepkit_bytes text, scepkit_arena *scratch)
{
    if (srv == NULL || !srv->initialised || scratch == NULL || transaction_id.ptr == NULL || transaction_id.len == 0 ||
        transaction_id.len > SCEPKIT_TRANSACTION_ID_MAX || fail_info > SCEPKIT_FAIL_BAD_CERT_ID ||
        (text.ptr == NULL && text.len > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    size_t mark = scepkit_arena_mark(scratch);
    admin_tx a;
    int64_t now = 0;
    scepkit_err err = scepkit_clock_now(srv->cfg.clock, &now);
    if (err == SCEPKIT_OK) {
        err = admin_load(srv, transaction_id, scratch, &a);
    }
    if (err == SCEPKIT_OK) {
        scepkit_store_tx upd = a.tx;
        upd.state = SCEPKIT_TX_REJECTED;
        upd.ca_pending = 0;
        upd.updated = now;
        upd.csr = (scepkit_bytes){NULL, 0};
        upd.signer_cert = (scepkit_bytes){NULL, 0};
        upd.fail_info = fail_info;
        skit_copy_text(upd.fail_text, sizeof upd.fail_text, (const char *)text.ptr, text.len);
        err = srv->cfg.store.ops->tx_update(srv->cfg.store.self, &upd, SCEPKIT_TX_PENDING);
        if (err == SCEPKIT_OK && srv->cfg.notify.fn != NULL) {
            scepkit_server_event ev;
            memset(&ev, 0, sizeof ev);
            ev.type = SCEPKIT_EVENT_REJECTED;
            ev.msg_type = a.tx.msg_type;
            ev.transaction_id = transaction_id;
            ev.fail_info = fail_info;
            ev.reason = upd.fail_text;
            (void)srv->cfg.notify.fn(srv->cfg.notify.ctx, &ev);
        }
    }
    scepkit_arena_release(scratch, mark);
    return err;
}

scepkit_err scepkit_server_revoke(const scepkit_server *srv, scepkit_bytes serial, int reason)
{
    if (srv == NULL || !srv->initialised || serial.ptr == NULL || serial.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    if (srv->cfg.ca.ops->revoke == NULL) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    return srv->cfg.ca.ops->revoke(srv->cfg.ca.self, serial, reason);
}
