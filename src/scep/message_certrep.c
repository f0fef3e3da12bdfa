/*
 * CertRep (RFC 8894 §3.3.2): the server writes it, the client opens it.
 *
 *   CertRep = SignedData {
 *       encapContentInfo { id-data, OCTET STRING { pkcsPKIEnvelope } },    -- SUCCESS
 *       encapContentInfo { id-data, OCTET STRING {} },                     -- FAILURE, PENDING (no envelope)
 *       certificates { CA/RA signer certificate, extra certificates },
 *       signerInfo { signedAttrs { contentType, messageDigest, [signingTime], messageType "3", pkiStatus,
 *                                  [failInfo], [failInfoText], transactionID, senderNonce, recipientNonce } } }
 *   pkcsPKIEnvelope = EnvelopedData (to the requester's signer certificate) {
 *       degenerate certs-only SignedData { issued certificate(s) or CRL } }
 *
 * RFC 8894 §3.1 lets a CA answer a requester whose key cannot decrypt (an EC key) with a PasswordRecipientInfo
 * (RFC 3211, RFC 5652 §6.2.4) keyed by the challengePassword the requester sent:
 *   PasswordRecipientInfo ::= SEQUENCE { version CMSVersion (0),
 *       keyDerivationAlgorithm [0] PBKDF2 { salt 16 bytes, iterationCount 10000, prf hmacWithSHA256 },
 *       keyEncryptionAlgorithm id-alg-PWRI-KEK { the content cipher, AES-128-CBC by default }, encryptedKey }
 * The requester's EC certificate cannot receive key transport, so such an envelope has the password recipient
 * only; an RSA requester always gets key transport (and no password recipient) as before.
 *
 * RFC 8894 §3.3.2 leaves the pkcsPKIEnvelope out for FAILURE and PENDING. The CMS writer always encapsulates
 * content, so "no content" is a zero-length eContent OCTET STRING, which is also what micromdm sends; the
 * reader accepts an absent eContent as well.
 */
#include <string.h>

#include "codec/charset.h"
#include "codec/cms_algs.h"
#include "scep/message_internal.h"

/* A non-NULL pointer for an empty content. */
static const uint8_t empty_content[1] = {0};

/* PBKDF2 iterations of a password-keyed CertRep (documented in scep.h and docs/scep-messages.md). */
#define SKIT_SCEP_PWRI_ITERATIONS 10000u

/* Whether a SUCCESS reply to `recipient_cert` goes to a password recipient: only for an EC requester that
 * gave a password (an RSA one keeps key transport; an EC one without a password cannot be answered). */
static scepkit_err use_password(const scepkit_scep_reply_params *p, bool *pwri)
{
    scepkit_x509 cert;
    scepkit_key_type type = SCEPKIT_KEY_NONE;
    size_t bits = 0;
    scepkit_err err = scepkit_x509_parse(p->recipient_cert, &cert);
    if (err == SCEPKIT_OK) {
        err = scepkit_spki_info(cert.spki, &type, &bits);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    *pwri = false;
    if (type == SCEPKIT_KEY_RSA) {
        return SCEPKIT_OK;
    }
    if ((type != SCEPKIT_KEY_EC_P256 && type != SCEPKIT_KEY_EC_P384) || p->password.len == 0) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    *pwri = true;
    return SCEPKIT_OK;
}

static scepkit_err check_reply_params(const scepkit_scep_reply_params *p, scepkit_md *md, scepkit_cipher *cipher)
{
    if (skit_scep_check_txid(p->transaction_id) != SCEPKIT_OK || p->signer_cert.ptr == NULL ||
        (p->extra_cert_count != 0 && p->extra_certs == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    *md = p->md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->md;
    if (*md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    if (skit_md_oid(*md) == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_ARG;
    }
    switch (p->status) {
    case SCEPKIT_STATUS_SUCCESS:
        if ((p->cert_count == 0 && p->crl_count == 0) || (p->cert_count != 0 && p->certs == NULL) ||
            (p->crl_count != 0 && p->crls == NULL) || p->recipient_cert.ptr == NULL ||
            (p->password.len != 0 && p->password.ptr == NULL)) {
            return SCEPKIT_ERR_ARG;
        }
        *cipher = p->cipher == SCEPKIT_CIPHER_NONE ? SCEPKIT_CIPHER_AES128_CBC : p->cipher;
        if (*cipher == SCEPKIT_CIPHER_DES_CBC) {
            /* Reading DES is a legacy switch; writing it is never done (the CMS writer has no single-DES
             * encryption at all). A server answering a DES requester picks DES-EDE3 or AES instead. */
            return p->allow_legacy ? SCEPKIT_ERR_UNSUPPORTED : SCEPKIT_ERR_LEGACY_DISABLED;
        }
        if (skit_cipher_oid(*cipher) == SKIT_OID_UNKNOWN) {
            return SCEPKIT_ERR_ARG;
        }
        return SCEPKIT_OK;
    case SCEPKIT_STATUS_FAILURE:
        if ((unsigned)p->fail_info > (unsigned)SCEPKIT_FAIL_BAD_CERT_ID) {
            return SCEPKIT_ERR_ARG;
        }
        if (p->fail_info_text.len != 0 &&
            (p->fail_info_text.ptr == NULL || p->fail_info_text.len > SCEPKIT_FAIL_TEXT_MAX ||
             skit_str_check(SKIT_TAG_UTF8_STRING, p->fail_info_text, NULL) != SCEPKIT_OK)) {
            return SCEPKIT_ERR_ARG;
        }
        return SCEPKIT_OK;
    case SCEPKIT_STATUS_PENDING:
        return SCEPKIT_OK;
    default:
        return SCEPKIT_ERR_ARG;
    }
}

/* messageType "3", pkiStatus, failInfo, failInfoText, transactionID, senderNonce, recipientNonce
 * (RFC 8894 §3.2.1, §3.3.2); the CMS writer sorts them into the DER SET OF. */
static void reply_attrs(skit_scep_attrs *a, const scepkit_scep_reply_params *p)
{
    const uint8_t three = '3';
    const uint8_t status = (uint8_t)('0' + (unsigned)p->status);
    const uint8_t fail = (uint8_t)('0' + (unsigned)p->fail_info);
    skit_scep_attrs_init(a);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_MESSAGE_TYPE, SKIT_TAG_PRINTABLE_STRING, &three, 1);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_PKI_STATUS, SKIT_TAG_PRINTABLE_STRING, &status, 1);
    if (p->status == SCEPKIT_STATUS_FAILURE) {
        skit_scep_attrs_add(a, SKIT_OID_SCEP_FAIL_INFO, SKIT_TAG_PRINTABLE_STRING, &fail, 1);
        if (p->fail_info_text.len != 0) {
            skit_scep_attrs_add(a, SKIT_OID_SCEP_FAIL_INFO_TEXT, SKIT_TAG_UTF8_STRING, p->fail_info_text.ptr,
                                p->fail_info_text.len);
        }
    }
    skit_scep_attrs_add(a, SKIT_OID_SCEP_TRANSACTION_ID, SKIT_TAG_PRINTABLE_STRING, p->transaction_id.ptr,
                        p->transaction_id.len);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_SENDER_NONCE, SKIT_TAG_OCTET_STRING, p->sender_nonce, SCEPKIT_NONCE_LEN);
    skit_scep_attrs_add(a, SKIT_OID_SCEP_RECIPIENT_NONCE, SKIT_TAG_OCTET_STRING, p->recipient_nonce, SCEPKIT_NONCE_LEN);
}

/* The outer certificates: the signer's first, then the extra ones. Kept in the arena. */
static scepkit_err outer_certs(const scepkit_scep_reply_params *p, scepkit_arena *scratch, scepkit_bytes **list)
{
    void *mem = NULL;
    scepkit_err err = scepkit_arena_alloc(scratch, (p->extra_cert_count + 1) * sizeof(scepkit_bytes), &mem);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_bytes *l = mem;
    l[0] = p->signer_cert;
    for (size_t i = 0; i < p->extra_cert_count; i++) {
        l[i + 1] = p->extra_certs[i];
    }
    *list = l;
    return SCEPKIT_OK;
}

scepkit_err scepkit_scep_reply_write(const scepkit_scep_reply_params *params, scepkit_arena *scratch, uint8_t *out,
                                     size_t cap, size_t *len)
{
    skit_scep_attrs attrs;
    scepkit_cms_recipient rcpt;
    scepkit_cms_enveloped_params ep;
    scepkit_cms_signed_params sp;
    scepkit_md md = SCEPKIT_MD_NONE;
    scepkit_cipher cipher = SCEPKIT_CIPHER_NONE;
    scepkit_bytes *certs = NULL;
    size_t co_len = 0, env_len = 0, need = 0, mark = 0;
    void *co = NULL, *env = NULL;
    bool marked = false, success, pwri = false;
    scepkit_err err;

    skit_scep_attrs_init(&attrs);
    if (len != NULL) {
        *len = 0;
    }
    if (params == NULL || scratch == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    success = params->status == SCEPKIT_STATUS_SUCCESS;
    err = check_reply_params(params, &md, &cipher);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    reply_attrs(&attrs, params);
    err = attrs.err;
    if (err != SCEPKIT_OK) {
        goto out;
    }
    mark = scepkit_arena_mark(scratch);
    marked = true;
    err = outer_certs(params, scratch, &certs);
    if (err != SCEPKIT_OK) {
        goto out;
    }

    if (success) {
        /* certs-only SignedData (RFC 8894 §3.4) in the arena, then its envelope size */
        err = scepkit_cms_certs_only_write(params->certs, params->cert_count, params->crls, params->crl_count, NULL, 0,
                                           &co_len);
        if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
            goto out;
        }
        err = scepkit_arena_alloc(scratch, co_len, &co);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = scepkit_cms_certs_only_write(params->certs, params->cert_count, params->crls, params->crl_count, co,
                                           co_len, &co_len);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = use_password(params, &pwri);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        memset(&rcpt, 0, sizeof rcpt);
        rcpt.cert = params->recipient_cert;
        rcpt.pad = SCEPKIT_RSA_PKCS1_V15;
        memset(&ep, 0, sizeof ep);
        ep.content = (scepkit_bytes){co, co_len};
        ep.cipher = cipher;
        if (pwri) {
            ep.password = params->password;
            ep.pbkdf2_iterations = SKIT_SCEP_PWRI_ITERATIONS;
            ep.pbkdf2_md = SCEPKIT_MD_SHA256;
        } else {
            ep.recipients = &rcpt;
            ep.recipient_count = 1;
        }
        ep.rng = params->rng;
        err = scepkit_cms_enveloped_write(&ep, NULL, 0, &env_len);
        if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
            goto out;
        }
        err = scepkit_arena_alloc(scratch, env_len, &env);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        memset(env, 0, env_len);
    }

    memset(&sp, 0, sizeof sp);
    sp.content = success ? (scepkit_bytes){env, env_len} : (scepkit_bytes){empty_content, 0};
    sp.md = md;
    sp.signer_cert = params->signer_cert;
    sp.key = params->signer_key;
    sp.sig_style = params->sig_style;
    sp.with_signing_time = params->signing_time != 0;
    sp.signing_time = params->signing_time;
    sp.attrs = attrs.list;
    sp.attr_count = attrs.count;
    sp.certs = certs;
    sp.cert_count = params->extra_cert_count + 1;
    /* Size pass first: nothing is encrypted or signed unless the reply fits. */
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
    if (success) {
        err = scepkit_cms_enveloped_write(&ep, env, env_len, &env_len);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        sp.content.len = env_len;
    }
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
        scepkit_arena_release(scratch, mark);
    }
    return err;
}

/* ---------------------------------------------------------------------------------------------- */

/* failInfoText (RFC 8894 §3.2.1.4.1): UTF8String, optional; kept up to SCEPKIT_FAIL_TEXT_MAX bytes, cut at a
 * character boundary. */
static scepkit_err read_fail_text(const scepkit_cms_signer *s, char *out)
{
    skit_tlv t;
    scepkit_err err = skit_scep_attr(s, SKIT_OID_SCEP_FAIL_INFO_TEXT, &t);
    out[0] = '\0';
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_OK;
    }
    if (err != SCEPKIT_OK || t.tag != SKIT_TAG_UTF8_STRING ||
        skit_str_check(SKIT_TAG_UTF8_STRING, t.value, NULL) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_ATTRIBUTE;
    }
    size_t n = t.value.len;
    if (n > SCEPKIT_FAIL_TEXT_MAX) {
        n = SCEPKIT_FAIL_TEXT_MAX;
        while (n > 0 && (t.value.ptr[n] & 0xc0) == 0x80) {
            n--; /* do not split a multi-byte character */
        }
    }
    memcpy(out, t.value.ptr, n);
    out[n] = '\0';
    return SCEPKIT_OK;
}

/* The SCEP attributes of a verified CertRep, checked against what we sent. */
static scepkit_err read_reply_attrs(const scepkit_cms_signer *s, const scepkit_scep_open_reply_params *p,
                                    scepkit_scep_reply *out)
{
    char txid[SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t rnonce[SCEPKIT_NONCE_LEN];
    size_t n = 0;
    int type = -1, status = -1, fail = -1;
    scepkit_err err = skit_scep_attr_number(s, SKIT_OID_SCEP_MESSAGE_TYPE, &type);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (type != SCEPKIT_MSG_CERTREP) {
        return skit_scep_msg_type(type) == SCEPKIT_MSG_NONE ? SCEPKIT_ERR_SCEP_MESSAGE_TYPE
                                                            : SCEPKIT_ERR_SCEP_NOT_CERTREP;
    }
    err = skit_scep_attr_text(s, SKIT_OID_SCEP_TRANSACTION_ID, txid, SCEPKIT_TRANSACTION_ID_MAX, &n);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* Lengths are public; the bytes are compared in constant time. */
    if (n != p->transaction_id.len || scepkit_ct_memcmp(txid, p->transaction_id.ptr, n) != 0) {
        return SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH;
    }
    err = skit_scep_attr_nonce(s, SKIT_OID_SCEP_RECIPIENT_NONCE, rnonce);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (scepkit_ct_memcmp(rnonce, p->sender_nonce, SCEPKIT_NONCE_LEN) != 0) {
        return SCEPKIT_ERR_SCEP_NONCE_MISMATCH;
    }
    err = skit_scep_attr_nonce(s, SKIT_OID_SCEP_SENDER_NONCE, out->sender_nonce);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_scep_attr_number(s, SKIT_OID_SCEP_PKI_STATUS, &status);
    if (err != SCEPKIT_OK) {
        return err == SCEPKIT_ERR_SCEP_ATTRIBUTE ? SCEPKIT_ERR_SCEP_STATUS : err;
    }
    switch (status) {
    case SCEPKIT_STATUS_SUCCESS:
    case SCEPKIT_STATUS_PENDING:
        break;
    case SCEPKIT_STATUS_FAILURE:
        err = skit_scep_attr_number(s, SKIT_OID_SCEP_FAIL_INFO, &fail);
        if (err != SCEPKIT_OK || fail < 0 || fail > (int)SCEPKIT_FAIL_BAD_CERT_ID) {
            return SCEPKIT_ERR_SCEP_STATUS;
        }
        out->fail_info = (scepkit_fail_info)fail;
        err = read_fail_text(s, out->fail_info_text);
        if (err != SCEPKIT_OK) {
            return err;
        }
        break;
    default:
        return SCEPKIT_ERR_SCEP_STATUS;
    }
    out->status = (scepkit_pki_status)status;
    return SCEPKIT_OK;
}

/* The decrypted messageData of a SUCCESS: a degenerate certs-only SignedData (RFC 8894 §3.4) with at least
 * one certificate or CRL and no signer. Peers write it in BER (indefinite lengths) too. */
static scepkit_err read_certs_only(scepkit_bytes data, scepkit_cms_signed *sd)
{
    scepkit_err err = scepkit_cms_signed_parse(data, SCEPKIT_CMS_BER, sd);
    if (err != SCEPKIT_OK || sd->signer_count != 0 || (!sd->has_certificates && !sd->has_crls)) {
        memset(sd, 0, sizeof *sd);
        return SCEPKIT_ERR_SCEP_MESSAGE_DATA;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_scep_reply_open(scepkit_bytes msg, const scepkit_scep_open_reply_params *params, uint8_t *plain,
                                    size_t cap, scepkit_scep_reply *out)
{
    scepkit_cms_signed sd;
    scepkit_cms_verify_params vp;
    scepkit_err err;

    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    out->status = SCEPKIT_STATUS_FAILURE; /* never SUCCESS unless proven */
    if (params == NULL || msg.ptr == NULL || (plain == NULL && cap != 0) || params->signer_certs == NULL ||
        params->signer_cert_count == 0 || skit_scep_check_txid(params->transaction_id) != SCEPKIT_OK ||
        (params->password.len != 0 && params->password.ptr == NULL)) {
        err = SCEPKIT_ERR_ARG;
        goto out;
    }
    err = scepkit_cms_signed_parse(msg, SCEPKIT_CMS_BER, &sd);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* Only the CA/RA certificates the caller trusts may have signed it; the attributes are read only after. */
    memset(&vp, 0, sizeof vp);
    vp.signer_certs = params->signer_certs;
    vp.signer_cert_count = params->signer_cert_count;
    vp.allow_legacy = params->allow_legacy;
    if (!sd.has_content) {
        vp.detached_content = (scepkit_bytes){empty_content, 0}; /* FAILURE/PENDING written without eContent */
    }
    err = scepkit_cms_signed_verify(&sd, &vp, NULL);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    out->md = sd.signer.md;
    err = read_reply_attrs(&sd.signer, params, out);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (out->status != SCEPKIT_STATUS_SUCCESS) {
        goto out;
    }
    err = skit_scep_open_envelope(&sd, params->our_cert, params->our_key, params->password, params->rng,
                                  params->allow_legacy, plain, cap, &out->certs_only, &out->cipher);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = read_certs_only(out->certs_only, &out->certs);
out:
    if (err != SCEPKIT_OK) {
        if (plain != NULL) {
            scepkit_wipe(plain, cap);
        }
        memset(out, 0, sizeof *out);
        out->status = SCEPKIT_STATUS_FAILURE;
    }
    return err;
}
