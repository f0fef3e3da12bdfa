/*
 * SCEP pkiMessage layer (RFC 8894 §3), include/scepkit/scep.h: names, transactionID, the self-signed signer
 * certificate, the messageData writers, the failInfo mapping, and the signed-attribute helpers shared by
 * message_request.c and message_certrep.c.
 */
#include <string.h>

#include "codec/charset.h"
#include "port/crypto_port.h"
#include "scep/message_internal.h"

const char *scepkit_fail_info_name(scepkit_fail_info f)
{
    switch (f) {
    case SCEPKIT_FAIL_BAD_ALG:
        return "badAlg";
    case SCEPKIT_FAIL_BAD_MESSAGE_CHECK:
        return "badMessageCheck";
    case SCEPKIT_FAIL_BAD_REQUEST:
        return "badRequest";
    case SCEPKIT_FAIL_BAD_TIME:
        return "badTime";
    case SCEPKIT_FAIL_BAD_CERT_ID:
        return "badCertId";
    default:
        return "unknown";
    }
}

const char *scepkit_msg_type_name(scepkit_msg_type t)
{
    switch (t) {
    case SCEPKIT_MSG_CERTREP:
        return "CertRep";
    case SCEPKIT_MSG_RENEWALREQ:
        return "RenewalReq";
    case SCEPKIT_MSG_PKCSREQ:
        return "PKCSReq";
    case SCEPKIT_MSG_CERTPOLL:
        return "CertPoll";
    case SCEPKIT_MSG_GETCERT:
        return "GetCert";
    case SCEPKIT_MSG_GETCRL:
        return "GetCRL";
    default:
        return "unknown";
    }
}

scepkit_msg_type skit_scep_msg_type(int v)
{
    switch (v) {
    case SCEPKIT_MSG_CERTREP:
    case SCEPKIT_MSG_RENEWALREQ:
    case SCEPKIT_MSG_PKCSREQ:
    case SCEPKIT_MSG_CERTPOLL:
    case SCEPKIT_MSG_GETCERT:
    case SCEPKIT_MSG_GETCRL:
        return (scepkit_msg_type)v;
    default:
        return SCEPKIT_MSG_NONE;
    }
}

/*
 * RFC 8894 §3.3.2.2 (failInfo) read against the errors of scepkit_scep_request_open(): the message could not
 * be proven intact (badMessageCheck), or uses an algorithm we do not accept (badAlg); everything else is a
 * malformed or unsupported request (badRequest). badTime is never chosen: open() has no clock and does not
 * judge signingTime (a server that does can answer badTime itself).
 */
scepkit_fail_info scepkit_scep_fail_info_for(scepkit_err e)
{
    switch (e) {
    case SCEPKIT_ERR_BAD_SIGNATURE:
    case SCEPKIT_ERR_DECRYPT:
    case SCEPKIT_ERR_CMS_DIGEST_MISMATCH:
    case SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH:
    case SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND:
    case SCEPKIT_ERR_CMS_NO_RECIPIENT:
        return SCEPKIT_FAIL_BAD_MESSAGE_CHECK;
    case SCEPKIT_ERR_UNKNOWN_ALGORITHM:
    case SCEPKIT_ERR_ALGORITHM_MISMATCH:
    case SCEPKIT_ERR_LEGACY_DISABLED:
    case SCEPKIT_ERR_KEY_TYPE:
    case SCEPKIT_ERR_UNSUPPORTED:
        return SCEPKIT_FAIL_BAD_ALG;
    default:
        return SCEPKIT_FAIL_BAD_REQUEST;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* transactionID (RFC 8894 §3.2.1.1): "SHOULD be a value unique to the client's key, e.g. a hash of it". */

scepkit_err scepkit_scep_transaction_id(scepkit_bytes spki, char *out, size_t cap, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t digest[32];
    size_t dlen = 0;
    skit_tlv t;
    scepkit_err err;
    if (len != NULL) {
        *len = 0;
    }
    if (len == NULL || spki.ptr == NULL || (out == NULL && cap != 0) ||
        skit_der_parse_one(spki, 0, SKIT_TAG_SEQUENCE, &t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    if (out == NULL || cap < 2 * sizeof digest + 1) {
        *len = 2 * sizeof digest;
        if (out != NULL && cap > 0) {
            out[0] = '\0';
        }
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    err = scepkit_digest(SCEPKIT_MD_SHA256, spki, digest, sizeof digest, &dlen);
    if (err != SCEPKIT_OK) {
        out[0] = '\0';
        return err;
    }
    for (size_t i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[2 * sizeof digest] = '\0';
    *len = 2 * sizeof digest;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* The self-signed signer certificate (RFC 8894 §2.3). */

/* Extension { basicConstraints, extnValue OCTET STRING { SEQUENCE {} } }: cA FALSE (the DEFAULT, not encoded). */
static const uint8_t ext_bc_not_ca[] = {0x30, 0x09, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x02, 0x30, 0x00};

scepkit_err scepkit_scep_self_signed(scepkit_bytes subject_der, scepkit_key key, scepkit_rng rng, int64_t now,
                                     unsigned days, scepkit_arena *scratch, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t serial[8];
    scepkit_x509_params p;
    scepkit_bytes extra = {ext_bc_not_ca, sizeof ext_bc_not_ca};
    scepkit_key_type type = SCEPKIT_KEY_NONE;
    size_t bits = 0, spki_len = 0, mark;
    void *spki = NULL;
    scepkit_err err;

    if (len != NULL) {
        *len = 0;
    }
    if (len == NULL || scratch == NULL || (out == NULL && cap != 0) || days == 0 || days > 36500 ||
        subject_der.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    mark = scepkit_arena_mark(scratch);
    err = scepkit_arena_alloc(scratch, SCEPKIT_MAX_SPKI_SIZE, &spki);
    if (err == SCEPKIT_OK) {
        err = scepkit_key_public(key, spki, SCEPKIT_MAX_SPKI_SIZE, &spki_len);
    }
    if (err == SCEPKIT_OK) {
        err = scepkit_spki_info((scepkit_bytes){spki, spki_len}, &type, &bits);
    }
    if (err == SCEPKIT_OK) {
        /* 63 random bits, the top bit clear so the INTEGER is positive in 8 octets, never zero. */
        err = skit_random(rng, serial, sizeof serial);
        serial[0] = (uint8_t)((serial[0] & 0x7fu) | 0x40u);
    }
    if (err == SCEPKIT_OK) {
        memset(&p, 0, sizeof p);
        p.serial = (scepkit_bytes){serial, sizeof serial};
        p.issuer = subject_der;
        p.subject = subject_der;
        p.spki = (scepkit_bytes){spki, spki_len};
        p.not_before = now - 3600; /* an hour of slack for a server whose clock is behind ours */
        p.not_after = now + (int64_t)days * 86400;
        p.path_len = -1;
        /* keyEncipherment only where the key can do it: an EC key cannot receive RSA key transport. */
        p.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE | (type == SCEPKIT_KEY_RSA ? SCEPKIT_KU_KEY_ENCIPHERMENT : 0u);
        p.extra_extensions = &extra;
        p.extra_extension_count = 1;
        p.md = SCEPKIT_MD_SHA256;
        err = scepkit_x509_write(&p, key, scratch, out, cap, len);
    }
    scepkit_wipe(serial, sizeof serial);
    scepkit_arena_release(scratch, mark);
    return err;
}

/* ---------------------------------------------------------------------------------------------- */
/* messageData writers (RFC 8894 §3.3.3, §3.3.4). */

/* A Name: exactly one DER SEQUENCE. */
static scepkit_err check_name(scepkit_bytes n)
{
    skit_tlv t;
    if (n.ptr == NULL || skit_der_parse_one(n, 0, SKIT_TAG_SEQUENCE, &t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

static scepkit_err finish_small(skit_derw *w, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_err err = skit_derw_finish(w, len);
    if (err == SCEPKIT_OK && out == NULL) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL) {
        scepkit_wipe(out, cap);
    }
    return err;
}

/*
 * RFC 8894 §3.3.3:
 *   IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }
 */
scepkit_err scepkit_scep_issuer_and_subject_write(scepkit_bytes issuer, scepkit_bytes subject, uint8_t *out, size_t cap,
                                                  size_t *len)
{
    skit_derw w;
    if (len != NULL) {
        *len = 0;
    }
    if (len == NULL || (out == NULL && cap != 0) || check_name(issuer) != SCEPKIT_OK ||
        check_name(subject) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_raw(&w, issuer.ptr, issuer.len);
    skit_derw_raw(&w, subject.ptr, subject.len);
    skit_derw_close(&w);
    return finish_small(&w, out, cap, len);
}

/*
 * RFC 5652 §10.2.4 (RFC 8894 §3.3.4):
 *   IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }
 * The serial is INTEGER contents as a certificate view holds them (minimal two's complement).
 */
scepkit_err scepkit_scep_issuer_and_serial_write(scepkit_bytes issuer, scepkit_bytes serial, uint8_t *out, size_t cap,
                                                 size_t *len)
{
    skit_derw w;
    if (len != NULL) {
        *len = 0;
    }
    if (len == NULL || (out == NULL && cap != 0) || check_name(issuer) != SCEPKIT_OK || serial.ptr == NULL ||
        serial.len == 0 || serial.len > 64 ||
        (serial.len > 1 && ((serial.ptr[0] == 0x00 && (serial.ptr[1] & 0x80) == 0) ||
                            (serial.ptr[0] == 0xff && (serial.ptr[1] & 0x80) != 0)))) {
        return SCEPKIT_ERR_ARG;
    }
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_raw(&w, issuer.ptr, issuer.len);
    skit_derw_tlv(&w, SKIT_TAG_INTEGER, serial.ptr, serial.len);
    skit_derw_close(&w);
    return finish_small(&w, out, cap, len);
}

/* ---------------------------------------------------------------------------------------------- */
/* Signed attributes (RFC 8894 §3.2.1):
 *   Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }
 *   transactionID  2.16.840.1.113733.1.9.7  PrintableString
 *   messageType    2.16.840.1.113733.1.9.2  PrintableString (decimal)
 *   pkiStatus      2.16.840.1.113733.1.9.3  PrintableString (decimal)
 *   failInfo       2.16.840.1.113733.1.9.4  PrintableString (decimal)
 *   senderNonce    2.16.840.1.113733.1.9.5  OCTET STRING (16 bytes)
 *   recipientNonce 2.16.840.1.113733.1.9.6  OCTET STRING (16 bytes)
 *   failInfoText   1.3.6.1.5.5.7.24.1       UTF8String */

void skit_scep_attrs_init(skit_scep_attrs *a)
{
    memset(a, 0, sizeof *a);
}

void skit_scep_attrs_add(skit_scep_attrs *a, skit_oid oid, uint8_t tag, const uint8_t *v, size_t len)
{
    skit_derw w;
    size_t n = 0;
    if (a->err != SCEPKIT_OK) {
        return;
    }
    if (a->count >= sizeof a->list / sizeof a->list[0]) {
        a->err = SCEPKIT_ERR_INTERNAL;
        return;
    }
    skit_derw_init(&w, a->mem + a->used, sizeof a->mem - a->used);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(oid));
    skit_derw_open(&w, SKIT_TAG_SET);
    skit_derw_tlv(&w, tag, v, len);
    skit_derw_close(&w);
    skit_derw_close(&w);
    a->err = skit_derw_finish(&w, &n);
    if (a->err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        a->err = SCEPKIT_ERR_INTERNAL; /* the parameters were checked against SKIT_SCEP_ATTR_MEM */
    }
    if (a->err == SCEPKIT_OK) {
        a->list[a->count].ptr = a->mem + a->used;
        a->list[a->count].len = n;
        a->count++;
        a->used += n;
    }
}

void skit_scep_attrs_free(skit_scep_attrs *a)
{
    scepkit_wipe(a, sizeof *a);
}

scepkit_err skit_scep_check_txid(scepkit_bytes txid)
{
    if (txid.ptr == NULL || txid.len == 0 || txid.len > SCEPKIT_TRANSACTION_ID_MAX ||
        skit_str_check(SKIT_TAG_PRINTABLE_STRING, txid, NULL) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_scep_attr(const scepkit_cms_signer *s, skit_oid oid, skit_tlv *t)
{
    scepkit_bytes v;
    scepkit_err err = scepkit_cms_find_attr(s, skit_oid_bytes(oid), &v);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return err;
    }
    if (err != SCEPKIT_OK || skit_der_parse_one(v, 0, 0, t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_ATTRIBUTE;
    }
    return SCEPKIT_OK;
}

/* Peers write the SCEP strings as PrintableString (RFC 8894); a few older ones used IA5String or UTF8String.
 * All three are read, as long as the characters are PrintableString characters (so the text can be echoed
 * back as a PrintableString). */
scepkit_err skit_scep_attr_text(const scepkit_cms_signer *s, skit_oid oid, char *out, size_t max, size_t *len)
{
    skit_tlv t;
    scepkit_err err = skit_scep_attr(s, oid, &t);
    out[0] = '\0';
    *len = 0;
    if (err != SCEPKIT_OK) {
        return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_ERR_SCEP_ATTRIBUTE : err;
    }
    if ((t.tag != SKIT_TAG_PRINTABLE_STRING && t.tag != SKIT_TAG_IA5_STRING && t.tag != SKIT_TAG_UTF8_STRING) ||
        t.value.len == 0 || t.value.len > max ||
        skit_str_check(SKIT_TAG_PRINTABLE_STRING, t.value, NULL) != SCEPKIT_OK) {
        return SCEPKIT_ERR_SCEP_ATTRIBUTE;
    }
    memcpy(out, t.value.ptr, t.value.len);
    out[t.value.len] = '\0';
    *len = t.value.len;
    return SCEPKIT_OK;
}

scepkit_err skit_scep_attr_number(const scepkit_cms_signer *s, skit_oid oid, int *v)
{
    char text[4];
    size_t n = 0;
    scepkit_err err = skit_scep_attr_text(s, oid, text, 3, &n);
    *v = -1;
    if (err != SCEPKIT_OK) {
        return err;
    }
    int acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return SCEPKIT_ERR_SCEP_ATTRIBUTE;
        }
        acc = acc * 10 + (text[i] - '0');
    }
    *v = acc;
    return SCEPKIT_OK;
}

scepkit_err skit_scep_attr_nonce(const scepkit_cms_signer *s, skit_oid oid, uint8_t *out)
{
    skit_tlv t;
    scepkit_err err = skit_scep_attr(s, oid, &t);
    if (err != SCEPKIT_OK) {
        return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_ERR_SCEP_ATTRIBUTE : err;
    }
    if (t.tag != SKIT_TAG_OCTET_STRING || t.value.len != SCEPKIT_NONCE_LEN) {
        return SCEPKIT_ERR_SCEP_ATTRIBUTE;
    }
    memcpy(out, t.value.ptr, SCEPKIT_NONCE_LEN);
    return SCEPKIT_OK;
}

scepkit_err skit_scep_content(const scepkit_cms_signed *sd, uint8_t *plain, size_t cap, scepkit_bytes *env,
                              size_t *tail)
{
    size_t n = 0;
    scepkit_err err;
    *tail = 0;
    env->ptr = NULL;
    env->len = 0;
    if (!sd->has_content || sd->content_len == 0) {
        return SCEPKIT_ERR_CMS_NO_CONTENT;
    }
    /* RFC 8894 §3.2: the signed content is of type data, holding the pkcsPKIEnvelope. */
    if (skit_oid_find(sd->econtent_type) != SKIT_OID_CMS_DATA) {
        return SCEPKIT_ERR_CMS_CONTENT_TYPE;
    }
    if (!sd->content_constructed) {
        *env = sd->content;
        return SCEPKIT_OK;
    }
    if (plain == NULL || cap < sd->content_len) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    err = scepkit_cms_content_copy(sd, plain + (cap - sd->content_len), sd->content_len, &n);
    if (err != SCEPKIT_OK || n != sd->content_len) {
        scepkit_wipe(plain + (cap - sd->content_len), sd->content_len);
        return err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
    }
    env->ptr = plain + (cap - sd->content_len);
    env->len = n;
    *tail = n;
    return SCEPKIT_OK;
}

/* Whether the envelope holds a PasswordRecipientInfo ([3], RFC 5652 §6.2.4). */
static bool has_password_recipient(const scepkit_cms_enveloped *env)
{
    scepkit_cms_iter it;
    scepkit_cms_recipient_info ri;
    memset(&it, 0, sizeof it);
    while (scepkit_cms_next_recipient(env, &it, &ri) == SCEPKIT_OK) {
        if (ri.type == SCEPKIT_CMS_RI_PWRI) {
            return true;
        }
    }
    return false;
}

scepkit_err skit_scep_open_envelope(const scepkit_cms_signed *sd, scepkit_bytes cert, scepkit_key key,
                                    scepkit_bytes password, scepkit_rng rng, int allow_legacy, uint8_t *plain,
                                    size_t cap, scepkit_bytes *data, scepkit_cipher *cipher)
{
    scepkit_bytes envelope = {NULL, 0};
    size_t tail = 0, plen = 0;
    scepkit_cms_enveloped env;
    scepkit_err err = skit_scep_content(sd, plain, cap, &envelope, &tail);
    if (err == SCEPKIT_OK) {
        err = scepkit_cms_enveloped_parse(envelope, SCEPKIT_CMS_BER, &env);
    }
    if (err == SCEPKIT_OK) {
        scepkit_cms_open_params op;
        memset(&op, 0, sizeof op);
        op.cert = cert;
        op.key = key;
        if (password.len != 0 && has_password_recipient(&env)) {
            op.password = password; /* an EC requester's CertRep (RFC 8894 §3.1) */
        }
        op.rng = rng;
        op.allow_legacy = allow_legacy;
        *cipher = env.cipher;
        err = scepkit_cms_enveloped_open(envelope, SCEPKIT_CMS_BER, &op, plain, cap - tail, &plen);
    }
    if (tail != 0) {
        scepkit_wipe(plain + (cap - tail), tail);
    }
    if (err == SCEPKIT_OK) {
        *data = (scepkit_bytes){plain, plen};
    }
    return err;
}
