/* The scripted fake SCEP server (see fake_scep.h). Test code: uses the heap. */
#include "fake_scep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fake_scep_init(fake_scep *f)
{
    memset(f, 0, sizeof *f);
    f->caps = "SCEPStandard\nRenewal\n";
    f->cacert_ct = SCEPKIT_CT_CA_CERT;
    f->serial = 0x1000;
}

void fake_scep_push(fake_scep *f, fake_action a, scepkit_fail_info fi, unsigned tamper)
{
    if (f->nscript < sizeof f->script / sizeof f->script[0]) {
        f->script[f->nscript].action = a;
        f->script[f->nscript].fail_info = fi;
        f->script[f->nscript].tamper = tamper;
        f->nscript++;
    }
}

static int hexv(char c)
{
    return (c >= '0' && c <= '9')   ? c - '0'
           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                    : -1;
}

/* The value of `name` in the query, percent-decoded into a fresh heap string. */
static char *query_param(const char *q, const char *name)
{
    size_t nl = strlen(name);
    const char *p = q;
    while (p != NULL && *p) {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            const char *end = strchr(v, '&');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            char *out = malloc(n + 1);
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                if (v[i] == '%' && i + 2 < n && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
                    out[k++] = (char)(hexv(v[i + 1]) * 16 + hexv(v[i + 2]));
                    i += 2;
                } else {
                    out[k++] = v[i];
                }
            }
            out[k] = 0;
            return out;
        }
        p = strchr(p, '&');
        if (p != NULL) {
            p++;
        }
    }
    return NULL;
}

static scepkit_err answer_text(uint8_t *buf, size_t cap, scepkit_http_response *resp, int status, const char *ct,
                               const uint8_t *body, size_t len)
{
    if (len > cap) {
        resp->err = SCEPKIT_ERR_RESPONSE_TOO_LARGE;
        return resp->err;
    }
    if (len) {
        memcpy(buf, body, len);
    }
    resp->err = SCEPKIT_OK;
    resp->status = status;
    resp->content_type = scepkit_bytes_str(ct);
    resp->body = (scepkit_bytes){buf, len};
    return SCEPKIT_OK;
}

/* Issues a certificate for `spki`/`subject`, signed by the CA. */
static scepkit_err issue(fake_scep *f, scepkit_bytes subject, scepkit_bytes spki)
{
    scepkit_x509 ca;
    scepkit_err err = scepkit_x509_parse(f->ca_cert, &ca);
    if (err != SCEPKIT_OK) {
        return err;
    }
    uint8_t serial[4] = {(uint8_t)(f->serial >> 24), (uint8_t)(f->serial >> 16), (uint8_t)(f->serial >> 8),
                         (uint8_t)f->serial};
    f->serial++;
    scepkit_x509_params xp;
    memset(&xp, 0, sizeof xp);
    xp.serial = (scepkit_bytes){serial, sizeof serial};
    xp.issuer = ca.subject;
    xp.subject = subject;
    xp.spki = spki;
    xp.not_before = 1700000000;
    xp.not_after = 2000000000;
    xp.path_len = -1;
    xp.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT;
    static uint8_t scratch[SCEPKIT_X509_WRITE_SCRATCH + 4096];
    scepkit_arena a;
    scepkit_arena_init(&a, scratch, sizeof scratch);
    return scepkit_x509_write(&xp, f->ca_key, &a, f->issued, sizeof f->issued, &f->issued_len);
}

static scepkit_err pki_operation(fake_scep *f, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                                 scepkit_http_response *resp)
{
    uint8_t *der = NULL;
    size_t der_len = 0;
    char *b64 = NULL;
    uint8_t *plain = NULL;
    scepkit_err err;
    size_t seen = f->nseen < FAKE_MAX_SEEN ? f->nseen : FAKE_MAX_SEEN - 1;
    f->nseen++;
    f->methods[seen] = req->method;
    if (req->method == SCEPKIT_HTTP_POST) {
        der = malloc(req->body.len ? req->body.len : 1);
        memcpy(der, req->body.ptr, req->body.len);
        der_len = req->body.len;
    } else {
        b64 = query_param(req->query, "message");
        if (b64 == NULL) {
            return answer_text(buf, cap, resp, 400, "text/plain", (const uint8_t *)"no message", 10);
        }
        size_t n = strlen(b64);
        der = malloc(n + 1);
        err = scepkit_base64_decode((scepkit_bytes){(const uint8_t *)b64, n}, SCEPKIT_B64_STD, der, n + 1, &der_len);
        free(b64);
        if (err != SCEPKIT_OK) {
            free(der);
            return answer_text(buf, cap, resp, 400, "text/plain", (const uint8_t *)"bad base64", 10);
        }
    }
    size_t step_i = f->pos < f->nscript ? f->pos : (f->nscript ? f->nscript - 1 : 0);
    fake_step st = f->nscript ? f->script[step_i] : (fake_step){FAKE_SUCCESS, SCEPKIT_FAIL_BAD_ALG, 0};
    f->pos++;
    if (st.action == FAKE_CLOSE) {
        free(der);
        resp->err = SCEPKIT_ERR_TRANSPORT;
        return resp->err;
    }
    if (st.action == FAKE_HTTP_500) {
        free(der);
        return answer_text(buf, cap, resp, 500, "text/plain; charset=utf-8", (const uint8_t *)"boom", 4);
    }
    scepkit_scep_open_request_params op;
    memset(&op, 0, sizeof op);
    op.recipient_cert = f->enc_cert;
    op.recipient_key = f->enc_key;
    op.rng = f->rng;
    op.allow_legacy = 1;
    plain = malloc(der_len + 16);
    scepkit_scep_request rq;
    err = scepkit_scep_request_open((scepkit_bytes){der, der_len}, &op, plain, der_len + 16, &rq);
    f->open_errors[seen] = err;
    if (err != SCEPKIT_OK) {
        free(der);
        free(plain);
        return answer_text(buf, cap, resp, 500, "text/plain", (const uint8_t *)"cannot open", 11);
    }
    f->types[seen] = rq.type;
    snprintf(f->tids[seen], sizeof f->tids[seen], "%s", rq.transaction_id);
    memcpy(f->nonces[seen], rq.sender_nonce, SCEPKIT_NONCE_LEN);
    f->ciphers[seen] = rq.cipher;
    f->mds[seen] = rq.md;
    if (rq.signer_cert.len <= sizeof f->last_signer) {
        memcpy(f->last_signer, rq.signer_cert.ptr, rq.signer_cert.len);
        f->last_signer_len = rq.signer_cert.len;
    }
    if ((rq.type == SCEPKIT_MSG_PKCSREQ || rq.type == SCEPKIT_MSG_RENEWALREQ) && rq.message_data.len <= sizeof f->csr) {
        memcpy(f->csr, rq.message_data.ptr, rq.message_data.len);
        f->csr_len = rq.message_data.len;
    }

    scepkit_scep_reply_params rp;
    memset(&rp, 0, sizeof rp);
    rp.transaction_id =
        (st.tamper & FAKE_T_TXID) ? scepkit_bytes_str("NOT-YOUR-TRANSACTION") : scepkit_bytes_str(rq.transaction_id);
    memcpy(rp.recipient_nonce, rq.sender_nonce, SCEPKIT_NONCE_LEN);
    if (st.tamper & FAKE_T_NONCE) {
        rp.recipient_nonce[0] ^= 0x01;
    }
    (void)scepkit_rng_fill(f->rng, rp.sender_nonce, SCEPKIT_NONCE_LEN);
    rp.status = st.action == FAKE_PENDING   ? SCEPKIT_STATUS_PENDING
                : st.action == FAKE_FAILURE ? SCEPKIT_STATUS_FAILURE
                                            : SCEPKIT_STATUS_SUCCESS;
    rp.fail_info = st.fail_info;
    if (st.action == FAKE_FAILURE) {
        rp.fail_info_text = scepkit_bytes_str("refused by the fake");
    }
    scepkit_bytes issued, crl;
    if (rq.type == SCEPKIT_MSG_GETCERT || rq.type == SCEPKIT_MSG_GETCRL) {
        if (rq.serial.len <= sizeof f->last_serial && rq.issuer.len <= sizeof f->last_issuer) {
            memcpy(f->last_serial, rq.serial.ptr, rq.serial.len);
            f->last_serial_len = rq.serial.len;
            memcpy(f->last_issuer, rq.issuer.ptr, rq.issuer.len);
            f->last_issuer_len = rq.issuer.len;
        }
    }
    if (rp.status == SCEPKIT_STATUS_SUCCESS && rq.type == SCEPKIT_MSG_GETCERT) {
        issued = (scepkit_bytes){f->issued, f->issued_len};
        rp.certs = &issued;
        rp.cert_count = 1;
        rp.recipient_cert = rq.signer_cert;
        rp.cipher = rq.cipher;
    } else if (rp.status == SCEPKIT_STATUS_SUCCESS && rq.type == SCEPKIT_MSG_GETCRL) {
        scepkit_x509 cax;
        err = scepkit_x509_parse(f->ca_cert, &cax);
        scepkit_crl_params cp;
        memset(&cp, 0, sizeof cp);
        cp.issuer = cax.subject;
        cp.this_update = 1700000000;
        cp.next_update = 2000000000;
        cp.crl_number = 7;
        static uint8_t cscratch[SCEPKIT_X509_WRITE_SCRATCH + 4096];
        scepkit_arena ca_ar;
        scepkit_arena_init(&ca_ar, cscratch, sizeof cscratch);
        if (err == SCEPKIT_OK) {
            err = scepkit_crl_write(&cp, f->ca_key, &ca_ar, f->crl, sizeof f->crl, &f->crl_len);
        }
        if (err != SCEPKIT_OK) {
            free(der);
            free(plain);
            return answer_text(buf, cap, resp, 500, "text/plain", (const uint8_t *)"cannot make a CRL", 17);
        }
        crl = (scepkit_bytes){f->crl, f->crl_len};
        rp.crls = &crl;
        rp.crl_count = 1;
        rp.recipient_cert = rq.signer_cert;
        rp.cipher = rq.cipher;
    } else if (rp.status == SCEPKIT_STATUS_SUCCESS) {
        scepkit_csr csr;
        err = scepkit_csr_parse((scepkit_bytes){f->csr, f->csr_len}, &csr);
        if (err == SCEPKIT_OK) {
            err = issue(f, csr.subject, (st.tamper & FAKE_T_OTHER_KEY) ? f->other_spki : csr.spki);
        }
        if (err != SCEPKIT_OK) {
            free(der);
            free(plain);
            return answer_text(buf, cap, resp, 500, "text/plain", (const uint8_t *)"cannot issue", 12);
        }
        issued = (scepkit_bytes){f->issued, f->issued_len};
        rp.certs = &issued;
        rp.cert_count = 1;
        rp.recipient_cert = rq.signer_cert;
        rp.cipher = rq.cipher;
    }
    if (st.tamper & FAKE_T_SIGNER) {
        rp.signer_cert = f->rogue_cert;
        rp.signer_key = f->rogue_key;
    } else {
        rp.signer_cert = f->sign_cert;
        rp.signer_key = f->sign_key;
    }
    rp.md = rq.md;
    rp.rng = f->rng;
    rp.signing_time = 1764000000;
    size_t scratch_len = SCEPKIT_SCEP_REPLY_SCRATCH(f->issued_len + 64);
    uint8_t *scratch = malloc(scratch_len);
    scepkit_arena a;
    scepkit_arena_init(&a, scratch, scratch_len);
    size_t len = 0;
    err = scepkit_scep_reply_write(&rp, &a, buf, cap, &len);
    free(scratch);
    free(der);
    free(plain);
    if (err != SCEPKIT_OK) {
        fprintf(stderr, "fake_scep: reply_write: %s\n", scepkit_err_name(err));
        return answer_text(buf, cap, resp, 500, "text/plain", (const uint8_t *)"cannot reply", 12);
    }
    resp->err = SCEPKIT_OK;
    resp->status = 200;
    resp->content_type = scepkit_bytes_str(SCEPKIT_CT_PKI_MESSAGE);
    resp->body = (scepkit_bytes){buf, len};
    return SCEPKIT_OK;
}

static scepkit_err exchange(void *self, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                            scepkit_http_response *resp)
{
    fake_scep *f = self;
    memset(resp, 0, sizeof *resp);
    f->exchanges++;
    if (req->query_len > f->max_query_len) {
        f->max_query_len = req->query_len;
    }
    if (strlen(req->query) != req->query_len) {
        resp->err = SCEPKIT_ERR_ARG;
        return resp->err;
    }
    char *op = query_param(req->query, "operation");
    scepkit_err err;
    if (op == NULL) {
        err = answer_text(buf, cap, resp, 400, "text/plain", (const uint8_t *)"no operation", 12);
    } else if (strcmp(op, "GetCACaps") == 0) {
        if (f->caps_close) {
            resp->err = SCEPKIT_ERR_TRANSPORT;
            err = resp->err;
        } else if (f->caps == NULL) {
            err = answer_text(buf, cap, resp, 404, "text/html", (const uint8_t *)"<html>no</html>", 15);
        } else {
            err = answer_text(buf, cap, resp, 200, "text/plain", (const uint8_t *)f->caps, strlen(f->caps));
        }
    } else if (strcmp(op, "GetCACert") == 0) {
        err = answer_text(buf, cap, resp, 200, f->cacert_ct, f->cacert.ptr, f->cacert.len);
    } else if (strcmp(op, "GetNextCACert") == 0) {
        if (f->nextca.len == 0) {
            err = answer_text(buf, cap, resp, 404, "text/plain", (const uint8_t *)"no", 2);
        } else {
            err = answer_text(buf, cap, resp, 200, SCEPKIT_CT_NEXT_CA_CERT, f->nextca.ptr, f->nextca.len);
        }
    } else if (strcmp(op, "PKIOperation") == 0) {
        err = pki_operation(f, req, buf, cap, resp);
    } else {
        err = answer_text(buf, cap, resp, 400, "text/plain", (const uint8_t *)"bad operation", 13);
    }
    free(op);
    return err;
}

static const scepkit_transport_ops fake_ops = {exchange};

scepkit_transport fake_scep_transport(fake_scep *f)
{
    scepkit_transport t = {&fake_ops, f};
    return t;
}
