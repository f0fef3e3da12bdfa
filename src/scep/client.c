/* The SCEP client engine: a step-wise, resumable state machine that never blocks (docs/client.md). */
#include <string.h>

#include "der/der.h"
#include "scep/client_internal.h"
#include "scepkit/cms.h"
#include "scepkit/pem.h"

/* The self-signed signer of a device without a clock: valid 2000-01-01 .. 2049 (see client.h). */
#define NO_CLOCK_NOW 946688400
#define NO_CLOCK_DAYS 18262u
#define SELF_SIGNED_DAYS 30u

static int bytes_eq(scepkit_bytes a, scepkit_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static uint8_t *align16(uint8_t *p)
{
    uintptr_t u = (uintptr_t)p;
    return p + ((16u - (u & 15u)) & 15u);
}

static int op_valid(scepkit_client_op op)
{
    return op >= SCEPKIT_OP_GETCAPS && op <= SCEPKIT_OP_GETNEXTCA;
}

static int op_enrolls(scepkit_client_op op)
{
    return op == SCEPKIT_OP_ENROLL || op == SCEPKIT_OP_RENEW;
}

/* Ops that send a signed PKIOperation (and so need a key and the CA pinned). */
static int op_signs(scepkit_client_op op)
{
    return op_enrolls(op) || op == SCEPKIT_OP_GETCERT || op == SCEPKIT_OP_GETCRL;
}

scepkit_err skit_client_setup(scepkit_client *c, const scepkit_client_config *cfg, void *mem, size_t mem_len)
{
    if (c == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    if (cfg == NULL || mem == NULL || !op_valid(cfg->op) || (cfg->pins == NULL && cfg->pin_count != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    size_t m = cfg->max_message != 0 ? cfg->max_message : SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE;
    if (m < 1024 || m > ((size_t)1 << 26) || mem_len < SCEPKIT_CLIENT_MEM_SIZE(m)) {
        return SCEPKIT_ERR_ARG;
    }
    if (op_signs(cfg->op) && (cfg->key.ops == NULL || cfg->rng.ops == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    c->cfg = *cfg;
    c->mem = mem;
    c->mem_len = mem_len;
    c->m = m;
    uint8_t *p = mem;
    c->certs_buf = p;
    c->certs_cap = m;
    p += m;
    c->signer_buf = p;
    p += SCEPKIT_CLIENT_SIGNER_MAX;
    c->subject_buf = p;
    p += SCEPKIT_CLIENT_NAME_MAX;
    c->req_buf = align16(p);
    c->req_cap = 4 * m + 128;
    p = c->req_buf + c->req_cap;
    c->resp_buf = p;
    c->resp_cap = m;
    p += m;
    c->scratch_buf = align16(p);
    c->scratch_cap = (size_t)(((uint8_t *)mem + mem_len) - c->scratch_buf);
    c->phase = SKIT_PH_CAPS;
    return SCEPKIT_OK;
}

scepkit_err scepkit_client_init(scepkit_client *c, const scepkit_client_config *cfg, void *mem, size_t mem_len)
{
    scepkit_err err = skit_client_setup(c, cfg, mem, mem_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (op_enrolls(cfg->op) && cfg->csr.len == 0) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    if ((cfg->op == SCEPKIT_OP_RENEW || cfg->op == SCEPKIT_OP_GETCERT || cfg->op == SCEPKIT_OP_GETCRL) &&
        cfg->cert.len == 0) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    if (cfg->op == SCEPKIT_OP_GETCERT && cfg->serial.len == 0) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    /* A forced algorithm below the minimum is a configuration error: say so now, not after the first exchange. */
    scepkit_algs probe;
    err = scepkit_caps_choose(SCEPKIT_CAP_AES | SCEPKIT_CAP_SHA512 | SCEPKIT_CAP_POST, &cfg->policy, &probe);
out:
    if (err != SCEPKIT_OK && c != NULL) {
        memset(c, 0, sizeof *c);
    }
    return err;
}

void scepkit_client_free(scepkit_client *c)
{
    if (c == NULL) {
        return;
    }
    if (c->mem != NULL) {
        scepkit_wipe(c->mem, c->mem_len);
    }
    scepkit_wipe(c, sizeof *c);
}

/* ---------------------------------------------------------------------------------------------- */
/* Requests */

/* Clears the outcome of an earlier answer; what GetCACaps saw stays. */
static void reset_result(scepkit_client *c)
{
    scepkit_err caps_err = c->result.caps_err;
    int caps_status = c->result.caps_status;
    memset(&c->result, 0, sizeof c->result);
    c->result.caps_err = caps_err;
    c->result.caps_status = caps_status;
}

static void finish_done(scepkit_client *c, scepkit_pki_status st, scepkit_client_status *status)
{
    c->phase = SKIT_PH_DONE;
    c->result.pki_status = st;
    c->result.polls = c->polls;
    *status = SCEPKIT_CLIENT_DONE;
}

/* A GET without pkiMessage: GetCACaps, GetCACert, GetNextCACert (message = the CA identifier, if any). */
static scepkit_err build_simple_get(scepkit_client *c, const char *operation)
{
    size_t len = 0;
    scepkit_bytes ident = scepkit_bytes_str(c->cfg.ca_ident != NULL ? c->cfg.ca_ident : "");
    scepkit_err err = skit_http_query_build(operation, ident, 0, (char *)c->req_buf, c->req_cap, &len);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return SCEPKIT_ERR_REQUEST_TOO_LARGE;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    memset(&c->req, 0, sizeof c->req);
    c->req.method = SCEPKIT_HTTP_GET;
    c->req.operation = operation;
    c->req.query = (const char *)c->req_buf;
    c->req.query_len = len;
    return SCEPKIT_OK;
}

/* Copies `src` into a fixed region of the engine's memory. */
static scepkit_err keep(uint8_t *dst, size_t cap, scepkit_bytes src, size_t *len)
{
    if (src.len > cap) {
        return SCEPKIT_ERR_REQUEST_TOO_LARGE;
    }
    if (src.len != 0) {
        memmove(dst, src.ptr, src.len);
    }
    *len = src.len;
    return SCEPKIT_OK;
}

static scepkit_bytes signer_cert(const scepkit_client *c)
{
    return (scepkit_bytes){c->signer_buf, c->signer_len};
}

static scepkit_bytes ca_subject_of(const scepkit_client *c, scepkit_x509 *cax, scepkit_err *err)
{
    *err = scepkit_x509_parse(c->ca.certs[c->ca.ca], cax);
    return *err == SCEPKIT_OK ? cax->subject : (scepkit_bytes){NULL, 0};
}

/* Transaction ID and key hash from a public key; for a retry or a resumed enrollment they must not change. */
static scepkit_err bind_key(scepkit_client *c, scepkit_bytes spki)
{
    uint8_t h[32];
    size_t hl = 0;
    scepkit_err err = scepkit_digest(SCEPKIT_MD_SHA256, spki, h, sizeof h, &hl);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (c->transaction_id[0] != 0) {
        return scepkit_ct_memcmp(h, c->spki_hash, sizeof h) == 0 ? SCEPKIT_OK : SCEPKIT_ERR_KEY_MISMATCH;
    }
    size_t tl = 0;
    err = scepkit_scep_transaction_id(spki, c->transaction_id, sizeof c->transaction_id, &tl);
    if (err != SCEPKIT_OK) {
        c->transaction_id[0] = 0;
        return err;
    }
    memcpy(c->spki_hash, h, sizeof h);
    return SCEPKIT_OK;
}

/*
 * The two fields the engine needs from the caller's CSR, read with the DER reader alone so the engine works
 * in builds without the CSR parser (configs/firmware_client.h has SCEPKIT_WITH_CSR_PARSE 0):
 *
 *   CertificationRequest ::= SEQUENCE {                            -- RFC 2986 §4
 *       certificationRequestInfo SEQUENCE {
 *           version INTEGER, subject Name, subjectPKInfo SubjectPublicKeyInfo, attributes [0] ... },
 *       signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 *
 * The server checks the CSR fully; a CSR that is not even this shape is refused here.
 */
static scepkit_err csr_subject_spki(scepkit_bytes csr, scepkit_bytes *subject, scepkit_bytes *spki)
{
    skit_der top, outer, info;
    skit_tlv t;
    scepkit_err err;
    skit_der_init(&top, csr, 0);
    if ((err = skit_der_enter(&top, SKIT_TAG_SEQUENCE, &outer)) != SCEPKIT_OK ||
        (err = skit_der_done(&top)) != SCEPKIT_OK ||
        (err = skit_der_enter(&outer, SKIT_TAG_SEQUENCE, &info)) != SCEPKIT_OK ||
        (err = skit_der_expect(&info, SKIT_TAG_INTEGER, &t)) != SCEPKIT_OK) {
        return err;
    }
    if ((err = skit_der_expect(&info, SKIT_TAG_SEQUENCE, &t)) != SCEPKIT_OK) {
        return err;
    }
    *subject = t.raw;
    if ((err = skit_der_expect(&info, SKIT_TAG_SEQUENCE, &t)) != SCEPKIT_OK) {
        return err;
    }
    *spki = t.raw;
    return SCEPKIT_OK;
}

/*
 * Enrollment request (RFC 8894 §3.3.1): messageData is the PKCS#10. A first enrollment is signed by a
 * self-signed certificate over the CSR's key (§2.3); a renewal by the current certificate and its key,
 * as RenewalReq (17) when the server advertises "Renewal", else as PKCSReq (19) (§3.3.1.2: a server
 * without Renewal treats a PKCSReq signed by an existing certificate as a re-enrollment).
 */
static scepkit_err prepare_enroll(scepkit_client *c, scepkit_arena *a, scepkit_bytes *message_data)
{
    struct {
        scepkit_bytes subject, spki;
    } csr;
    scepkit_err err;
    if (c->cfg.csr.len == 0) {
        return SCEPKIT_ERR_ARG; /* a restored engine before PENDING needs the CSR again */
    }
    err = csr_subject_spki(c->cfg.csr, &csr.subject, &csr.spki);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (c->cfg.op == SCEPKIT_OP_ENROLL) {
        /* The self-signed signer is over the key port's key: the CSR must be for that key. */
        uint8_t *pub = NULL;
        size_t pub_len = 0;
        size_t mark = scepkit_arena_mark(a);
        err = scepkit_arena_alloc(a, SCEPKIT_MAX_SPKI_SIZE, (void **)&pub);
        if (err == SCEPKIT_OK) {
            err = scepkit_key_public(c->cfg.key, pub, SCEPKIT_MAX_SPKI_SIZE, &pub_len);
        }
        if (err == SCEPKIT_OK && !bytes_eq((scepkit_bytes){pub, pub_len}, csr.spki)) {
            err = SCEPKIT_ERR_KEY_MISMATCH;
        }
        scepkit_arena_release(a, mark);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    if ((err = bind_key(c, csr.spki)) != SCEPKIT_OK) {
        return err;
    }
    if ((err = keep(c->subject_buf, SCEPKIT_CLIENT_NAME_MAX, csr.subject, &c->subject_len)) != SCEPKIT_OK) {
        return err;
    }
    if (c->signer_len == 0) {
        if (c->cfg.op == SCEPKIT_OP_ENROLL) {
            int64_t now = c->cfg.now != 0 ? c->cfg.now : NO_CLOCK_NOW;
            unsigned days = c->cfg.now != 0 ? SELF_SIGNED_DAYS : NO_CLOCK_DAYS;
            size_t len = 0;
            err = scepkit_scep_self_signed(csr.subject, c->cfg.key, c->cfg.rng, now, days, a, c->signer_buf,
                                           SCEPKIT_CLIENT_SIGNER_MAX, &len);
            if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
                err = SCEPKIT_ERR_REQUEST_TOO_LARGE;
            }
            if (err != SCEPKIT_OK) {
                return err;
            }
            c->signer_len = len;
        } else {
            if ((err = keep(c->signer_buf, SCEPKIT_CLIENT_SIGNER_MAX, c->cfg.cert, &c->signer_len)) != SCEPKIT_OK) {
                return err;
            }
        }
    }
    if (c->cfg.op == SCEPKIT_OP_RENEW && c->algs.renewal && !c->cfg.renew_with_pkcsreq) {
        c->req_type = SCEPKIT_MSG_RENEWALREQ;
    } else {
        c->req_type = SCEPKIT_MSG_PKCSREQ;
    }
    *message_data = c->cfg.csr;
    return SCEPKIT_OK;
}

/* CertPoll (RFC 8894 §3.3.3): messageData IssuerAndSubject { issuer = the CA's name, subject = as requested }. */
static scepkit_err prepare_poll(scepkit_client *c, scepkit_arena *a, scepkit_bytes *message_data)
{
    scepkit_x509 cax;
    scepkit_err err;
    scepkit_bytes issuer = ca_subject_of(c, &cax, &err);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_bytes subject = {c->subject_buf, c->subject_len};
    if (issuer.len > SCEPKIT_CLIENT_NAME_MAX) {
        return SCEPKIT_ERR_REQUEST_TOO_LARGE; /* bounded so SCEPKIT_CLIENT_SCRATCH holds */
    }
    size_t need = 0;
    (void)scepkit_scep_issuer_and_subject_write(issuer, subject, NULL, 0, &need);
    uint8_t *buf = NULL;
    if (need == 0 || (err = scepkit_arena_alloc(a, need, (void **)&buf)) != SCEPKIT_OK) {
        return need == 0 ? SCEPKIT_ERR_INTERNAL : err;
    }
    size_t len = 0;
    if ((err = scepkit_scep_issuer_and_subject_write(issuer, subject, buf, need, &len)) != SCEPKIT_OK) {
        return err;
    }
    *message_data = (scepkit_bytes){buf, len};
    return SCEPKIT_OK;
}

/*
 * GetCert / GetCRL (RFC 8894 §3.3.4, §3.3.5): messageData IssuerAndSerialNumber. GetCert names the
 * certificate wanted (issuer defaults to the CA); GetCRL names a certificate whose CRL is wanted (ours by
 * default). Both are signed by our current certificate, and the reply is encrypted to it.
 */
static scepkit_err prepare_get(scepkit_client *c, scepkit_arena *a, scepkit_bytes *message_data)
{
    scepkit_x509 mine, cax;
    scepkit_err err = scepkit_x509_parse(c->cfg.cert, &mine);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((err = bind_key(c, mine.spki)) != SCEPKIT_OK) {
        return err;
    }
    if (c->signer_len == 0 &&
        (err = keep(c->signer_buf, SCEPKIT_CLIENT_SIGNER_MAX, c->cfg.cert, &c->signer_len)) != SCEPKIT_OK) {
        return err;
    }
    scepkit_bytes issuer = c->cfg.issuer;
    scepkit_bytes serial = c->cfg.serial;
    if (issuer.len == 0) {
        if (c->cfg.op == SCEPKIT_OP_GETCERT) {
            issuer = ca_subject_of(c, &cax, &err);
            if (err != SCEPKIT_OK) {
                return err;
            }
        } else {
            issuer = mine.issuer;
        }
    }
    if (serial.len == 0) {
        serial = mine.serial;
    }
    if (issuer.len > SCEPKIT_CLIENT_NAME_MAX || serial.len > 64) {
        return SCEPKIT_ERR_REQUEST_TOO_LARGE; /* bounded so SCEPKIT_CLIENT_SCRATCH holds */
    }
    size_t need = 0;
    (void)scepkit_scep_issuer_and_serial_write(issuer, serial, NULL, 0, &need);
    uint8_t *buf = NULL;
    if (need == 0 || (err = scepkit_arena_alloc(a, need, (void **)&buf)) != SCEPKIT_OK) {
        return need == 0 ? SCEPKIT_ERR_ARG : err;
    }
    size_t len = 0;
    if ((err = scepkit_scep_issuer_and_serial_write(issuer, serial, buf, need, &len)) != SCEPKIT_OK) {
        return err;
    }
    c->req_type = c->cfg.op == SCEPKIT_OP_GETCERT ? SCEPKIT_MSG_GETCERT : SCEPKIT_MSG_GETCRL;
    *message_data = (scepkit_bytes){buf, len};
    return SCEPKIT_OK;
}

/*
 * A PKIOperation (RFC 8894 §4.3): POST "?operation=PKIOperation" with the DER pkiMessage as body and
 * Content-Type application/x-pki-message, or GET "?operation=PKIOperation&message=<escaped base64>".
 * The DER goes to req_buf[0]; for GET it moves to the tail and is encoded forward in place (http.c).
 */
static scepkit_err build_pki_operation(scepkit_client *c, scepkit_msg_type type)
{
    scepkit_arena a;
    scepkit_arena_init(&a, c->scratch_buf, c->scratch_cap);
    scepkit_bytes message_data = {NULL, 0};
    scepkit_err err;
    size_t der_len = 0;

    if (type == SCEPKIT_MSG_CERTPOLL) {
        err = prepare_poll(c, &a, &message_data);
    } else if (op_enrolls(c->cfg.op)) {
        err = prepare_enroll(c, &a, &message_data);
    } else {
        err = prepare_get(c, &a, &message_data);
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if ((err = scepkit_rng_fill(c->cfg.rng, c->sender_nonce, sizeof c->sender_nonce)) != SCEPKIT_OK) {
        goto out;
    }
    scepkit_scep_request_params rp;
    memset(&rp, 0, sizeof rp);
    rp.type = type == SCEPKIT_MSG_CERTPOLL ? SCEPKIT_MSG_CERTPOLL : c->req_type;
    rp.transaction_id = scepkit_bytes_str(c->transaction_id);
    memcpy(rp.sender_nonce, c->sender_nonce, sizeof rp.sender_nonce);
    rp.message_data = message_data;
    rp.signer_cert = signer_cert(c);
    rp.signer_key = c->cfg.key;
    rp.md = c->algs.md;
    rp.sig_style = c->cfg.sig_style;
    rp.recipient_cert = c->ca.certs[c->ca.enc];
    rp.cipher = c->algs.cipher;
    rp.rng = c->cfg.rng;
    rp.signing_time = c->cfg.now;
    err = scepkit_scep_request_write(&rp, &a, c->req_buf, c->m, &der_len);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = SCEPKIT_ERR_REQUEST_TOO_LARGE;
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    memset(&c->req, 0, sizeof c->req);
    c->req.operation = "PKIOperation";
    if (c->algs.pki_method == SCEPKIT_HTTP_POST) {
        /* The query goes after the DER (the transport needs both). */
        size_t qlen = 0;
        char *q = (char *)c->req_buf + der_len;
        err = skit_http_query_build("PKIOperation", (scepkit_bytes){NULL, 0}, 0, q, c->req_cap - der_len, &qlen);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        c->req.method = SCEPKIT_HTTP_POST;
        c->req.query = q;
        c->req.query_len = qlen;
        c->req.body = (scepkit_bytes){c->req_buf, der_len};
        c->req.content_type = SCEPKIT_CT_PKI_MESSAGE;
    } else {
        uint8_t *tail = c->req_buf + c->req_cap - der_len;
        memmove(tail, c->req_buf, der_len);
        size_t qlen = 0;
        err = skit_http_query_build("PKIOperation", (scepkit_bytes){tail, der_len}, 1, (char *)c->req_buf, c->req_cap,
                                    &qlen);
        if (err != SCEPKIT_OK) {
            err = err == SCEPKIT_ERR_BUFFER_TOO_SMALL ? SCEPKIT_ERR_REQUEST_TOO_LARGE : err;
            goto out;
        }
        /* Clear the rest of the tail: no stale DER behind the text. */
        scepkit_wipe(c->req_buf + qlen + 1, c->req_cap - qlen - 1);
        c->req.method = SCEPKIT_HTTP_GET;
        c->req.query = (const char *)c->req_buf;
        c->req.query_len = qlen;
    }
out:
    scepkit_arena_release(&a, 0);
    if (err != SCEPKIT_OK) {
        memset(&c->req, 0, sizeof c->req);
    }
    return err;
}

/* Builds what the current phase sends. May finish instead (poll limit). */
static scepkit_err build_next(scepkit_client *c, scepkit_client_status *status)
{
    scepkit_err err;
    switch (c->phase) {
    case SKIT_PH_CAPS:
        err = build_simple_get(c, "GetCACaps");
        break;
    case SKIT_PH_CA:
        err = build_simple_get(c, "GetCACert");
        break;
    case SKIT_PH_REQ:
        if (c->cfg.op == SCEPKIT_OP_GETNEXTCA) {
            err = build_simple_get(c, "GetNextCACert");
        } else {
            err = build_pki_operation(c, SCEPKIT_MSG_NONE);
        }
        break;
    case SKIT_PH_POLL:
        if (c->cfg.max_polls != 0 && c->session_polls >= c->cfg.max_polls) {
            /* Still pending after the caller's limit: done for this session; the phase stays POLL so a saved
             * state resumes polling. */
            reset_result(c);
            c->result.pki_status = SCEPKIT_STATUS_PENDING;
            c->result.polls = c->polls;
            *status = SCEPKIT_CLIENT_DONE;
            return SCEPKIT_OK;
        }
        err = build_pki_operation(c, SCEPKIT_MSG_CERTPOLL);
        if (err == SCEPKIT_OK) {
            c->polls++;
            c->session_polls++;
        }
        break;
    default:
        return SCEPKIT_ERR_CLIENT_STATE;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->awaiting = 1;
    *status = SCEPKIT_CLIENT_SEND;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Responses */

static scepkit_err expect_200(const scepkit_http_response *r)
{
    if (r->err != SCEPKIT_OK) {
        return r->err;
    }
    return r->status == 200 ? SCEPKIT_OK : SCEPKIT_ERR_HTTP_STATUS;
}

static scepkit_err on_caps(scepkit_client *c, const scepkit_http_response *r)
{
    uint32_t caps = 0;
    c->result.caps_err = r->err;
    c->result.caps_status = r->err == SCEPKIT_OK ? r->status : 0;
    /* An error, a non-200 answer or a closed connection all mean "no capabilities" (RFC 8894 §3.5.2). */
    if (r->err == SCEPKIT_OK && r->status == 200) {
        scepkit_err err = scepkit_caps_parse(r->body, &caps);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    scepkit_algs algs;
    scepkit_err err = scepkit_caps_choose(caps, &c->cfg.policy, &algs);
    /* GETCAPS and GETCA report what the server offers; the choice matters only when something is sent. */
    if (err != SCEPKIT_OK && c->cfg.op != SCEPKIT_OP_GETCAPS && c->cfg.op != SCEPKIT_OP_GETCA) {
        return err;
    }
    c->caps = caps;
    c->caps_known = 1;
    if (err == SCEPKIT_OK) {
        c->algs = algs;
    }
    return SCEPKIT_OK;
}

/* Checks the CA against the configuration: pins, or the caller's explicit permission to go unpinned. */
static scepkit_err check_trust(const scepkit_client *c)
{
    if (c->cfg.pin_count == 0) {
        if (op_signs(c->cfg.op) || c->cfg.op == SCEPKIT_OP_GETNEXTCA) {
            return c->cfg.allow_unpinned ? SCEPKIT_OK : SCEPKIT_ERR_CA_UNPINNED;
        }
        return SCEPKIT_OK;
    }
    scepkit_err result = SCEPKIT_ERR_CA_PIN_MISMATCH;
    for (size_t i = 0; i < c->cfg.pin_count; i++) {
        scepkit_err e = scepkit_cacert_check_pin(&c->ca, c->cfg.pins[i]);
        if (e == SCEPKIT_OK) {
            result = SCEPKIT_OK;
        } else if (e != SCEPKIT_ERR_CA_PIN_MISMATCH) {
            return e;
        }
    }
    return result;
}

static scepkit_err on_ca(scepkit_client *c, const scepkit_http_response *r)
{
    scepkit_err err = expect_200(r);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_ca_certs got;
    if ((err = scepkit_cacert_parse(r->content_type, r->body, &got)) != SCEPKIT_OK) {
        return err;
    }
    /* Keep copies: the response buffer is reused. */
    size_t total = 0;
    for (size_t i = 0; i < got.count; i++) {
        total += got.certs[i].len;
    }
    if (total > c->certs_cap) {
        return SCEPKIT_ERR_RESPONSE_TOO_LARGE;
    }
    scepkit_ca_certs kept = got;
    size_t off = 0;
    for (size_t i = 0; i < got.count; i++) {
        memmove(c->certs_buf + off, got.certs[i].ptr, got.certs[i].len);
        kept.certs[i] = (scepkit_bytes){c->certs_buf + off, got.certs[i].len};
        off += got.certs[i].len;
    }
    c->ca = kept;
    c->certs_used = off;
    err = scepkit_cacert_verify(&c->ca, c->cfg.now, c->cfg.allow_legacy);
    if (err == SCEPKIT_OK) {
        err = check_trust(c);
    }
    if (err != SCEPKIT_OK) {
        memset(&c->ca, 0, sizeof c->ca);
        c->certs_used = 0;
    }
    return err;
}

static scepkit_err on_next_ca(scepkit_client *c, const scepkit_http_response *r)
{
    scepkit_err err = expect_200(r);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err =
        scepkit_nextca_open(r->content_type, r->body, &c->ca, c->cfg.allow_legacy, c->req_buf, c->req_cap, &c->next_ca);
    if (err == SCEPKIT_OK) {
        /* The next CA is usually not valid yet: the chain is checked without a clock. */
        err = scepkit_cacert_verify(&c->next_ca, 0, c->cfg.allow_legacy);
    }
    if (err != SCEPKIT_OK) {
        memset(&c->next_ca, 0, sizeof c->next_ca);
    }
    return err;
}

/* SUCCESS: find what was asked for in the certs-only content. */
static scepkit_err take_success(scepkit_client *c, const scepkit_scep_reply *rep)
{
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes cert, found = {NULL, 0};
    scepkit_err err;
    c->result.certs_only = rep->certs_only;
    c->result.reply_cipher = rep->cipher;
    if (c->req_type == SCEPKIT_MSG_GETCRL) {
        scepkit_bytes crl;
        err = scepkit_cms_next_crl(&rep->certs, &it, &crl);
        if (err == SCEPKIT_ERR_NOT_FOUND) {
            return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
        }
        if (err == SCEPKIT_OK) {
            c->result.crl = crl;
        }
        return err;
    }
    while ((err = scepkit_cms_next_cert(&rep->certs, &it, &cert)) == SCEPKIT_OK) {
        scepkit_x509 x;
        if (scepkit_x509_parse(cert, &x) != SCEPKIT_OK) {
            continue;
        }
        if (c->req_type == SCEPKIT_MSG_GETCERT) {
            if (found.len == 0) {
                found = cert; /* the first, unless one matches the serial asked for */
            }
            if (c->cfg.serial.len != 0 && bytes_eq(x.serial, c->cfg.serial)) {
                found = cert;
                break;
            }
            continue;
        }
        uint8_t h[32];
        size_t hl = 0;
        if (scepkit_digest(SCEPKIT_MD_SHA256, x.spki, h, sizeof h, &hl) == SCEPKIT_OK &&
            scepkit_ct_memcmp(h, c->spki_hash, sizeof h) == 0) {
            found = cert;
            break;
        }
    }
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_NOT_FOUND) {
        return err;
    }
    if (found.len == 0) {
        /* A certificate for a key we did not ask for is not ours to install. */
        return c->req_type == SCEPKIT_MSG_GETCERT ? SCEPKIT_ERR_SCEP_MESSAGE_DATA : SCEPKIT_ERR_KEY_MISMATCH;
    }
    c->result.cert = found;
    return SCEPKIT_OK;
}

static scepkit_err on_certrep(scepkit_client *c, const scepkit_http_response *r, scepkit_client_status *status)
{
    scepkit_err err = expect_200(r);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* RFC 8894 §4.3: the answer is application/x-pki-message; an empty or generic type is tolerated (the
     * message is verified anyway), anything else (an HTML error page) is not a CertRep. */
    if (r->content_type.len != 0 && !scepkit_http_content_type_is(r->content_type, SCEPKIT_CT_PKI_MESSAGE) &&
        !scepkit_http_content_type_is(r->content_type, "application/octet-stream")) {
        return SCEPKIT_ERR_HTTP_CONTENT_TYPE;
    }
    scepkit_bytes signers[2] = {c->ca.certs[c->ca.sign], c->ca.certs[c->ca.ca]};
    scepkit_scep_open_reply_params op;
    memset(&op, 0, sizeof op);
    op.transaction_id = scepkit_bytes_str(c->transaction_id);
    memcpy(op.sender_nonce, c->sender_nonce, sizeof op.sender_nonce);
    op.signer_certs = signers;
    op.signer_cert_count = c->ca.sign == c->ca.ca ? 1 : 2;
    op.our_cert = signer_cert(c);
    op.our_key = c->cfg.key;
    op.rng = c->cfg.rng;
    op.allow_legacy = c->cfg.allow_legacy;
    /* An EC requester's SUCCESS comes enveloped to its challengePassword (RFC 8894 §3.1): the caller's, never
     * from the state blob. An RSA requester's reply has no password recipient, so this stays unused. */
    op.password = c->cfg.challenge;
    scepkit_scep_reply rep;
    /* Decrypt into the request buffer: the request is no longer needed. */
    err = scepkit_scep_reply_open(r->body, &op, c->req_buf, c->req_cap, &rep);
    if (err != SCEPKIT_OK) {
        return err;
    }
    reset_result(c);
    switch (rep.status) {
    case SCEPKIT_STATUS_SUCCESS:
        err = take_success(c, &rep);
        if (err != SCEPKIT_OK) {
            reset_result(c);
            scepkit_wipe(c->req_buf, c->req_cap);
            return err;
        }
        finish_done(c, SCEPKIT_STATUS_SUCCESS, status);
        return SCEPKIT_OK;
    case SCEPKIT_STATUS_FAILURE:
        c->result.fail_info = rep.fail_info;
        memcpy(c->result.fail_text, rep.fail_info_text, sizeof c->result.fail_text);
        c->result.fail_text[sizeof c->result.fail_text - 1] = 0;
        finish_done(c, SCEPKIT_STATUS_FAILURE, status);
        return SCEPKIT_OK;
    case SCEPKIT_STATUS_PENDING:
        if (op_enrolls(c->cfg.op)) {
            c->phase = SKIT_PH_POLL;
            c->result.pki_status = SCEPKIT_STATUS_PENDING;
            c->result.polls = c->polls;
            *status = SCEPKIT_CLIENT_PENDING;
            return SCEPKIT_OK;
        }
        finish_done(c, SCEPKIT_STATUS_PENDING, status);
        return SCEPKIT_OK;
    default:
        return SCEPKIT_ERR_SCEP_STATUS;
    }
}

static scepkit_err on_response(scepkit_client *c, const scepkit_http_response *r, scepkit_client_status *status)
{
    scepkit_err err;
    *status = SCEPKIT_CLIENT_SEND;
    switch (c->phase) {
    case SKIT_PH_CAPS:
        if ((err = on_caps(c, r)) != SCEPKIT_OK) {
            return err;
        }
        if (c->cfg.op == SCEPKIT_OP_GETCAPS) {
            finish_done(c, SCEPKIT_STATUS_SUCCESS, status);
            return SCEPKIT_OK;
        }
        c->phase = SKIT_PH_CA;
        return SCEPKIT_OK;
    case SKIT_PH_CA:
        if ((err = on_ca(c, r)) != SCEPKIT_OK) {
            return err;
        }
        if (c->cfg.op == SCEPKIT_OP_GETCA) {
            finish_done(c, SCEPKIT_STATUS_SUCCESS, status);
            return SCEPKIT_OK;
        }
        if (c->cfg.op == SCEPKIT_OP_GETNEXTCA && !c->algs.next_ca) {
            return SCEPKIT_ERR_NOT_ADVERTISED;
        }
        c->phase = SKIT_PH_REQ;
        return SCEPKIT_OK;
    case SKIT_PH_REQ:
        if (c->cfg.op == SCEPKIT_OP_GETNEXTCA) {
            if ((err = on_next_ca(c, r)) != SCEPKIT_OK) {
                return err;
            }
            finish_done(c, SCEPKIT_STATUS_SUCCESS, status);
            return SCEPKIT_OK;
        }
        return on_certrep(c, r, status);
    case SKIT_PH_POLL:
        return on_certrep(c, r, status);
    default:
        return SCEPKIT_ERR_CLIENT_STATE;
    }
}

scepkit_err scepkit_client_step(scepkit_client *c, const scepkit_http_response *resp, scepkit_client_status *status)
{
    if (c == NULL || status == NULL || c->mem == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (c->phase == SKIT_PH_DONE) {
        return SCEPKIT_ERR_CLIENT_STATE;
    }
    if (resp != NULL && !c->awaiting) {
        return SCEPKIT_ERR_CLIENT_STATE;
    }
    if (resp != NULL && resp->body.ptr == NULL && resp->body.len != 0) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err;
    if (resp != NULL) {
        c->awaiting = 0; /* whatever happens, this request is answered: a retry builds a new one */
        memset(&c->req, 0, sizeof c->req);
        err = on_response(c, resp, status);
        if (err == SCEPKIT_ERR_KEY_WOULD_BLOCK) {
            /* A busy key port (secure element) while decrypting: the caller steps again with the same response. */
            c->awaiting = 1;
            return err;
        }
        if (err != SCEPKIT_OK || *status != SCEPKIT_CLIENT_SEND) {
            return err;
        }
    } else {
        c->awaiting = 0;
        memset(&c->req, 0, sizeof c->req);
    }
    return build_next(c, status);
}

const scepkit_http_request *scepkit_client_request(const scepkit_client *c)
{
    return (c != NULL && c->awaiting) ? &c->req : NULL;
}

scepkit_err scepkit_client_response_buffer(scepkit_client *c, uint8_t **buf, size_t *cap)
{
    if (c == NULL || buf == NULL || cap == NULL || c->mem == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *buf = c->resp_buf;
    *cap = c->resp_cap;
    return SCEPKIT_OK;
}

scepkit_err scepkit_client_run(scepkit_client *c, scepkit_transport transport, scepkit_client_status *status)
{
    if (c == NULL || status == NULL || transport.ops == NULL || transport.ops->exchange == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = scepkit_client_step(c, NULL, status);
    while (err == SCEPKIT_OK && *status == SCEPKIT_CLIENT_SEND) {
        scepkit_http_response resp;
        memset(&resp, 0, sizeof resp);
        resp.err = transport.ops->exchange(transport.self, &c->req, c->resp_buf, c->resp_cap, &resp);
        err = scepkit_client_step(c, &resp, status);
    }
    return err;
}

const scepkit_client_result *scepkit_client_result_get(const scepkit_client *c)
{
    return c != NULL ? &c->result : NULL;
}

uint32_t scepkit_client_caps(const scepkit_client *c, int *known)
{
    if (known != NULL) {
        *known = c != NULL ? c->caps_known : 0;
    }
    return c != NULL ? c->caps : 0;
}

const scepkit_algs *scepkit_client_algs(const scepkit_client *c)
{
    return c != NULL ? &c->algs : NULL;
}

scepkit_err scepkit_client_ca_certs(const scepkit_client *c, scepkit_ca_certs *out)
{
    if (c == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (c->ca.count == 0) {
        memset(out, 0, sizeof *out);
        return SCEPKIT_ERR_NOT_FOUND;
    }
    *out = c->ca;
    return SCEPKIT_OK;
}

scepkit_err scepkit_client_next_ca(const scepkit_client *c, scepkit_ca_certs *out)
{
    if (c == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (c->next_ca.count == 0) {
        memset(out, 0, sizeof *out);
        return SCEPKIT_ERR_NOT_FOUND;
    }
    *out = c->next_ca;
    return SCEPKIT_OK;
}

const char *scepkit_client_transaction_id(const scepkit_client *c)
{
    return c != NULL ? c->transaction_id : "";
}

/* ---------------------------------------------------------------------------------------------- */
/* Save / restore (the CBOR codec is in client_state.c) */

scepkit_err scepkit_client_save(const scepkit_client *c, uint8_t *out, size_t cap, size_t *len)
{
    if (c == NULL || len == NULL || c->mem == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_state_encode(c, out, cap, len);
}

static int cipher_ok(scepkit_cipher x)
{
    return x >= SCEPKIT_CIPHER_DES_EDE3_CBC && x <= SCEPKIT_CIPHER_AES256_CBC;
}

static int md_ok(scepkit_md x)
{
    return x >= SCEPKIT_MD_SHA1 && x <= SCEPKIT_MD_SHA512;
}

scepkit_err skit_client_after_load(scepkit_client *c)
{
    scepkit_err err;
    if (c->phase < SKIT_PH_CAPS || c->phase > SKIT_PH_DONE) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    if (c->phase == SKIT_PH_POLL && !op_enrolls(c->cfg.op)) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    if (c->phase >= SKIT_PH_CA && c->phase != SKIT_PH_DONE) {
        if (!c->caps_known) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
    }
    /* The algorithms are chosen once, from the capabilities (on_caps), and a blob saved at SKIT_PH_CA goes on to
     * SKIT_PH_REQ without choosing again: check them from SKIT_PH_CA on, for every op that sends a request. */
    int sends = c->cfg.op != SCEPKIT_OP_GETCAPS && c->cfg.op != SCEPKIT_OP_GETCA;
    if (sends && c->phase >= SKIT_PH_CA && c->phase != SKIT_PH_DONE) {
        /* What the blob says was chosen must still be acceptable to this caller. */
        scepkit_cipher min_cipher =
            c->cfg.policy.min_cipher != SCEPKIT_CIPHER_NONE ? c->cfg.policy.min_cipher : SCEPKIT_CIPHER_AES128_CBC;
        scepkit_md min_md = c->cfg.policy.min_md != SCEPKIT_MD_NONE ? c->cfg.policy.min_md : SCEPKIT_MD_SHA256;
        if (!cipher_ok(c->algs.cipher) || !md_ok(c->algs.md) ||
            (c->algs.pki_method != SCEPKIT_HTTP_GET && c->algs.pki_method != SCEPKIT_HTTP_POST)) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
        if (c->algs.cipher < min_cipher) {
            return SCEPKIT_ERR_CAPS_CIPHER;
        }
        if (c->algs.md < min_md) {
            return SCEPKIT_ERR_CAPS_DIGEST;
        }
    }
    if (c->phase >= SKIT_PH_REQ && c->phase != SKIT_PH_DONE) {
        if (c->ca.count == 0) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
        if ((err = scepkit_cacert_verify(&c->ca, c->cfg.now, c->cfg.allow_legacy)) != SCEPKIT_OK) {
            return err;
        }
        if ((err = check_trust(c)) != SCEPKIT_OK) {
            return err;
        }
    }
    if (c->ca.count != 0 && (c->phase < SKIT_PH_REQ || c->phase == SKIT_PH_DONE)) {
        /* Certificates restored in another phase are not used to sign or verify, but scepkit_client_ca_certs()
         * hands them out: the RA certificates must chain to the CA and the CA must match this caller's pins (both
         * without a clock, so a finished blob stays usable). */
        if ((err = scepkit_cacert_verify(&c->ca, 0, c->cfg.allow_legacy)) != SCEPKIT_OK ||
            (err = check_trust(c)) != SCEPKIT_OK) {
            return err;
        }
    }
    if (c->cfg.op == SCEPKIT_OP_ENROLL && c->transaction_id[0] != 0) {
        /* A first enrollment is for the signing key itself: the blob's key hash must be that key's, or the engine
         * would accept a certificate for some other key as ours. */
        uint8_t pub[SCEPKIT_MAX_SPKI_SIZE], h[32];
        size_t pub_len = 0, hl = 0;
        err = scepkit_key_public(c->cfg.key, pub, sizeof pub, &pub_len);
        if (err == SCEPKIT_OK) {
            err = scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){pub, pub_len}, h, sizeof h, &hl);
        }
        if (err == SCEPKIT_OK && scepkit_ct_memcmp(h, c->spki_hash, sizeof h) != 0) {
            err = SCEPKIT_ERR_KEY_MISMATCH;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    if (c->phase == SKIT_PH_POLL) {
        if (c->transaction_id[0] == 0 || c->signer_len == 0 || c->subject_len == 0) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
        if (c->req_type != SCEPKIT_MSG_PKCSREQ && c->req_type != SCEPKIT_MSG_RENEWALREQ) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_client_restore(scepkit_client *c, const scepkit_client_config *cfg, void *mem, size_t mem_len,
                                   scepkit_bytes blob)
{
    scepkit_client_config with_op;
    scepkit_err err;
    if (c == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    if (cfg == NULL || (blob.ptr == NULL && blob.len != 0)) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    with_op = *cfg;
    if (with_op.op == 0 && (err = skit_state_peek_op(blob, &with_op.op)) != SCEPKIT_OK) {
        goto out;
    }
    if ((err = skit_client_setup(c, &with_op, mem, mem_len)) != SCEPKIT_OK) {
        goto out;
    }
    if ((err = skit_state_decode(c, blob, 1)) != SCEPKIT_OK) {
        goto out;
    }
    err = skit_client_after_load(c);
out:
    if (err != SCEPKIT_OK && c != NULL) {
        scepkit_client_free(c);
    }
    return err;
}
