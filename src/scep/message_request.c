/*
 * SCEP requests (RFC 8894 §3.3): PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL. The client writes them; the
 * server opens them.
 *
 *   pkiMessage = SignedData {                                          (RFC 8894 §3.2)
 *       encapContentInfo { id-data, OCTET STRING { pkcsPKIEnvelope } },
 *       certificates { signer certificate },
 *       signerInfo { signedAttrs { contentType, messageDigest, [signingTime],
 *                                  messageType, transactionID, senderNonce } } }
 *   pkcsPKIEnvelope = EnvelopedData { KeyTransRecipientInfo (CA/RA cert), encryptedContent = messageData }
 */
#include <string.h>

#include "codec/cms_algs.h"
#include "scep/message_internal.h"

/* Largest messageData the reader accepts for the IssuerAndSubject / IssuerAndSerialNumber types. */
#define SMALL_DATA_MAX 65536

static bool is_request_type(scepkit_msg_type t)
{
    return t == SCEPKIT_MSG_PKCSREQ || t == SCEPKIT_MSG_RENEWALREQ || t == SCEPKIT_MSG_CERTPOLL ||
           t == SCEPKIT_MSG_GETCERT || t == SCEPKIT_MSG_GETCRL;
}

/*
 * IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }                       (RFC 8894 §3.3.3)
 * IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }           (RFC 5652 §10.2.4)
 * Strict DER, nothing after the SEQUENCE. Names are checked as SEQUENCEs only (their contents are the CA's
 * business: it compares them as bytes with what it issued).
 */
static scepkit_err read_small_data(scepkit_msg_type type, scepkit_bytes data, scepkit_bytes *issuer,
                                   scepkit_bytes *second)
{
    skit_der top, seq;
    skit_tlv a, b;
    skit_der_init(&top, data, 0);
    if (data.len > SMALL_DATA_MAX || skit_der_enter(&top, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK ||
        skit_der_done(&top) != SCEPKIT_OK || skit_der_expect(&seq, SKIT_TAG_SEQUENCE, &a) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
    }
    if (type == SCEPKIT_MSG_CERTPOLL) {
        if (skit_der_expect(&seq, SKIT_TAG_SEQUENCE, &b) != SCEPKIT_OK) {
            return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
        }
        *second = b.raw;
    } else {
        if (skit_der_expect(&seq, SKIT_TAG_INTEGER, &b) != SCEPKIT_OK || b.value.len == 0 ||
            (b.value.len > 1 && ((b.value.ptr[0] == 0x00 && (b.value.ptr[1] & 0x80) == 0) ||
                                 (b.value.ptr[0] == 0xff && (b.value.ptr[1] & 0x80) != 0)))) {
            return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
        }
        *second = b.value;
    }
    if (skit_der_done(&seq) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
    }
    *issuer = a.raw;
    return SCEPKIT_OK;
}

static scepkit_err check_message_data(scepkit_msg_type type, scepkit_bytes data)
{
    scepkit_bytes x, y;
    skit_tlv t;
    if (data.ptr == NULL || data.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    if (type == SCEPKIT_MSG_PKCSREQ || type == SCEPKIT_MSG_RENEWALREQ) {
        /* One DER SEQUENCE; the CSR itself is the caller's (it was made by scepkit_csr_write or given). */
        return skit_der_parse_one(data, 0, SKIT_TAG_SEQUENCE, &t) == SCEPKIT_OK ? SCEPKIT_OK
                                                                                : SCEPKIT_ERR_SCEP_MESSAGE_DATA;
    }
    return read_small_data(type, data, &x, &y);
}

static scepkit_err check_request_params(const scepkit_scep_request_params *p, scepkit_md *md, scepkit_cipher *cipher)
{
    if (!is_request_type(p->type)) {
        return SCEPKIT_ERR_SCEP_MESSAGE_TYPE;
    }
    if (skit_scep_check_txid(p->transaction_id) != SCEPKIT_OK || p->signer_cert.ptr == NULL ||
        p->recipient_cert.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *md = p->md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->md;
    if (*md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    if (skit_md_oid(*md) == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_ARG;
    }
    *cipher = p->cipher == SCEPKIT_CIPHER_NONE ? SCEPKIT_CIPHER_AES128_CBC : p->cipher;
    if (*cipher == SCEPKIT_CIPHER_DES_CBC) {
        return SCEPKIT_ERR_UNSUPPORTED; /* scepkit never encrypts with single DES */
    }
    if (skit_cipher_oid(*cipher) == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_ARG;
    }
    return check_message_data(p->type, p->message_data);
}

/* The SCEP signed attributes of a request (RFC 8894 §3.2.1): messageType, transactionID, senderNonce. */
static void request_attrs(skit_scep_attrs *a, const scepkit_scep_request_params *p)
{
    /* every request type is two decimal digits (17, 19..22) */
    const uint8_t type[2] = {(uint8_t)('0' + (unsigned)p->type / 10u), (uint8_t)('0' + (unsigned)p->type % 10u)};
    skit_scep_attrs_init(a);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, type, sizeof type);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_PRINTABLE_STRING, p->transaction_id.ptr,
                        p->transaction_id.len);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_SENDER_NONCE, SKIT_TAG_OCTET_STRING, p->sender_nonce, SCEPKIT_NONCE_LEN);
}

scepkit_err scepkit_scep_request_write(const scepkit_scep_request_params *params, scepkit_arena *scratch, uint8_t *out,
                                       size_t cap, size_t *len)
{
    skit_scep_attrs attrs;
    scepkit_cms_recipient rcpt;
    scepkit_cms_enveloped_params ep;
    scepkit_cms_signed_params sp;
    scepkit_md md = SCEPKIT_MD_NONE;
    scepkit_cipher cipher = SCEPKIT_CIPHER_NONE;
    size_t env_len = 0, need = 0, mark = 0;
    void *env = NULL;
    bool marked = false;
    scepkit_err err;

    skit_scep_attrs_init(&attrs);
    if (len != NULL) {
        *len = 0;
    }
    if (params == NULL || scratch == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = check_request_params(params, &md, &cipher);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    request_attrs(&attrs, params);
    err = attrs.err;
    if (err != SCEPKIT_OK) {
        goto out;
    }

    memset(&rcpt, 0, sizeof rcpt);
    rcpt.cert = params->recipient_cert;
    rcpt.pad = SCEPKIT_RSA_PKCS1_V15; /* what every SCEP CA decrypts (RFC 8894 §3.1 names rsaEncryption) */
    memset(&ep, 0, sizeof ep);
    ep.content = params->message_data;
    ep.cipher = cipher;
    ep.recipients = &rcpt;
    ep.recipient_count = 1;
    ep.rng = params->rng;
    err = scepkit_cms_enveloped_write(&ep, NULL, 0, &env_len);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
        goto out;
    }
    mark = scepkit_arena_mark(scratch);
    marked = true;
    err = scepkit_arena_alloc(scratch, env_len, &env);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    memset(env, 0, env_len);

    memset(&sp, 0, sizeof sp);
    sp.content = (scepkit_bytes){env, env_len};
    sp.md = md;
    sp.signer_cert = params->signer_cert;
    sp.key = params->signer_key;
    sp.sig_style = params->sig_style;
    sp.with_signing_time = params->signing_time != 0;
    sp.signing_time = params->signing_time;
    sp.attrs = attrs.list;
    sp.attr_count = attrs.count;
    sp.certs = &params->signer_cert;
    sp.cert_count = 1;
    /* Size pass over a placeholder of the envelope's exact length: nothing is encrypted or signed unless the
     * whole message fits (the CMS signer reports an upper bound for ECDSA). */
    err = scepkit_cms_signed_write(&sp, scratch, NULL, 0, &need);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
        goto out;
    }
    if (out == NULL || cap < need) {
        *len = need;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    err = scepkit_cms_enveloped_write(&ep, env, env_len, &env_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    sp.content.len = env_len;
    err = scepkit_cms_signed_write(&sp, scratch, out, cap, len);
out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL) {
        scepkit_wipe(out, cap);
    }
    skit_scep_attrs_free(&attrs);
    if (marked) {
        scepkit_arena_release(scratch, mark); /* wipes the envelope copy */
    }
    return err;
}

/* ---------------------------------------------------------------------------------------------- */

/* The certificate the SignerInfo names, among the certificates the message carries. */
static scepkit_err find_signer_cert(const scepkit_cms_signed *sd, scepkit_bytes *der)
{
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_x509 cert;
    scepkit_bytes c;
    scepkit_err err;
    if (sd->signer_count == 0) {
        return SCEPKIT_ERR_CMS_NO_SIGNER;
    }
    if (sd->signer_count > 1) {
        return SCEPKIT_ERR_CMS_SIGNER_COUNT;
    }
    while ((err = scepkit_cms_next_cert(sd, &it, &c)) == SCEPKIT_OK) {
        if (scepkit_x509_parse(c, &cert) == SCEPKIT_OK && scepkit_cms_id_matches(&sd->signer.sid, &cert)) {
            *der = c;
            return SCEPKIT_OK;
        }
    }
    return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND : err;
}

/* signingTime (RFC 5652 §11.3): UTCTime or GeneralizedTime, optional. */
static scepkit_err read_signing_time(const scepkit_cms_signer *s, int *has, int64_t *t)
{
    skit_tlv v;
    scepkit_err err = skit_scep_attr(s, SKIT_OID_SIGNING_TIME, &v);
    *has = 0;
    *t = 0;
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_OK;
    }
    if (err != SCEPKIT_OK || skit_der_time(&v, t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_ATTRIBUTE;
    }
    *has = 1;
    return SCEPKIT_OK;
}

/* Everything a CertRep FAILURE needs, read before the signature is checked (a server answers a message it
 * cannot verify too: badMessageCheck). */
static scepkit_err read_request_header(const scepkit_cms_signed *sd, scepkit_scep_request *out)
{
    size_t n = 0;
    int type = -1;
    const scepkit_cms_signer *s = &sd->signer;
    scepkit_err err = find_signer_cert(sd, &out->signer_cert);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_scep_attr_text(s, SKIT_OID_SCEP_TRANSACTION_ID, out->transaction_id, SCEPKIT_TRANSACTION_ID_MAX, &n);
    if (err == SCEPKIT_OK) {
        err = skit_scep_attr_nonce(s, SKIT_OID_SCEP_SENDER_NONCE, out->sender_nonce);
    }
    if (err == SCEPKIT_OK) {
        err = skit_scep_attr_number(s, SKIT_OID_SCEP_MESSAGE_TYPE, &type);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* A well-formed but unknown or non-request messageType can still be answered (FAILURE badRequest). */
    out->reply_possible = 1;
    out->md = s->md;
    out->sig_style = skit_oid_find(s->sig_alg_oid) == SKIT_OID_RSA_ENCRYPTION ? SCEPKIT_CMS_SIG_RSA_ENCRYPTION
                                                                              : SCEPKIT_CMS_SIG_NAMED;
    out->type = skit_scep_msg_type(type);
    if (!is_request_type(out->type)) {
        out->type = SCEPKIT_MSG_NONE;
        return SCEPKIT_ERR_SCEP_MESSAGE_TYPE;
    }
    return read_signing_time(s, &out->has_signing_time, &out->signing_time);
}

static scepkit_err read_message_data(scepkit_scep_request *out)
{
    scepkit_err err;
    switch (out->type) {
    case SCEPKIT_MSG_PKCSREQ:
    case SCEPKIT_MSG_RENEWALREQ:
        err = scepkit_csr_parse(out->message_data, &out->csr);
        if (err == SCEPKIT_ERR_DISABLED) {
            return err;
        }
        return err == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SCEP_MESSAGE_DATA;
    case SCEPKIT_MSG_CERTPOLL:
        return read_small_data(out->type, out->message_data, &out->issuer, &out->subject);
    case SCEPKIT_MSG_GETCERT:
    case SCEPKIT_MSG_GETCRL:
        return read_small_data(out->type, out->message_data, &out->issuer, &out->serial);
    default:
        return SCEPKIT_ERR_INTERNAL;
    }
}

/* On failure keep only what a CertRep FAILURE needs (and only if it was established). */
static void keep_reply_fields(scepkit_scep_request *out)
{
    scepkit_scep_request keep;
    memset(&keep, 0, sizeof keep);
    if (out->reply_possible) {
        keep.reply_possible = 1;
        keep.type = out->type;
        memcpy(keep.transaction_id, out->transaction_id, sizeof keep.transaction_id);
        memcpy(keep.sender_nonce, out->sender_nonce, sizeof keep.sender_nonce);
        keep.signer_cert = out->signer_cert;
        keep.md = out->md;
        keep.sig_style = out->sig_style;
        keep.cipher = out->cipher;
        keep.has_signing_time = out->has_signing_time;
        keep.signing_time = out->signing_time;
    }
    *out = keep;
}

scepkit_err scepkit_scep_request_open(scepkit_bytes msg, const scepkit_scep_open_request_params *params, uint8_t *plain,
                                      size_t cap, scepkit_scep_request *out)
{
    scepkit_cms_signed sd;
    scepkit_cms_verify_params vp;
    scepkit_err err;

    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (params == NULL || msg.ptr == NULL || (plain == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = scepkit_cms_signed_parse(msg, SCEPKIT_CMS_BER, &sd);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = read_request_header(&sd, out);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* The signature is checked with the certificate the request carries (RFC 8894 §2.3: self-signed or
     * previously issued); whether that certificate is acceptable is the server's policy. */
    memset(&vp, 0, sizeof vp);
    vp.allow_legacy = params->allow_legacy;
    vp.signer_certs = &out->signer_cert;
    vp.signer_cert_count = 1;
    err = scepkit_cms_signed_verify(&sd, &vp, NULL);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* Requests are always key transport to the CA/RA: no password. */
    err = skit_scep_open_envelope(&sd, params->recipient_cert, params->recipient_key, (scepkit_bytes){NULL, 0},
                                  params->rng, params->allow_legacy, plain, cap, &out->message_data, &out->cipher);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = read_message_data(out);
out:
    if (err != SCEPKIT_OK) {
        if (plain != NULL) {
            scepkit_wipe(plain, cap);
        }
        keep_reply_fields(out);
    }
    return err;
}
