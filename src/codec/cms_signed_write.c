/* CMS SignedData writers: signed messages (RFC 5652 §5) and degenerate certs-only (RFC 8894 §3.4). DER output. */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_internal.h"
#include "der/der.h"
#include "der/oid.h"
#include "port/crypto_port.h"
#include "scepkit/cms.h"

/* Largest DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s } with a sign octet on each. */
#define ECDSA_P256_SIG_MAX (2 + 2 * (2 + 1 + 32))
#define ECDSA_P384_SIG_MAX (2 + 2 * (2 + 1 + 48))

/* Checks that an element is exactly one DER element with `tag`. */
static scepkit_err check_one(scepkit_bytes der, uint8_t tag)
{
    skit_tlv t;
    if (der.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_der_parse_one(der, 0, tag, &t);
}

/* Caller attributes: well-formed, none of the three the writer generates, no type twice. */
static scepkit_err check_extra_attrs(const scepkit_cms_signed_params *p, size_t *total)
{
    *total = 0;
    for (size_t i = 0; i < p->attr_count; i++) {
        skit_der d, seq;
        skit_tlv oid, vals;
        skit_oid id;
        if (p->attrs[i].ptr == NULL) {
            return SCEPKIT_ERR_ARG;
        }
        skit_der_init(&d, p->attrs[i], 0);
        if (skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK || skit_der_done(&d) != SCEPKIT_OK ||
            skit_der_expect(&seq, SKIT_TAG_OID, &oid) != SCEPKIT_OK || skit_der_oid_check(oid.value) != SCEPKIT_OK ||
            skit_der_expect(&seq, SKIT_TAG_SET, &vals) != SCEPKIT_OK || vals.value.len == 0 ||
            skit_der_done(&seq) != SCEPKIT_OK) {
            return SCEPKIT_ERR_CMS_ATTRIBUTE;
        }
        id = skit_oid_find(oid.value);
        if (id == SKIT_OID_CONTENT_TYPE || id == SKIT_OID_MESSAGE_DIGEST || id == SKIT_OID_SIGNING_TIME) {
            return SCEPKIT_ERR_CMS_ATTRIBUTE;
        }
        for (size_t j = 0; j < i; j++) {
            skit_der d2, s2;
            skit_tlv o2;
            skit_der_init(&d2, p->attrs[j], 0);
            if (skit_der_enter(&d2, SKIT_TAG_SEQUENCE, &s2) == SCEPKIT_OK &&
                skit_der_expect(&s2, SKIT_TAG_OID, &o2) == SCEPKIT_OK && o2.value.len == oid.value.len &&
                memcmp(o2.value.ptr, oid.value.ptr, oid.value.len) == 0) {
                return SCEPKIT_ERR_CMS_ATTRIBUTE;
            }
        }
        *total += p->attrs[i].len;
    }
    return SCEPKIT_OK;
}

/*
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute                         (RFC 5652 §5.3, §11)
 *   contentType   { 1.2.840.113549.1.9.3 }  SET { id-data }
 *   messageDigest { 1.2.840.113549.1.9.4 }  SET { OCTET STRING }
 *   signingTime   { 1.2.840.113549.1.9.5 }  SET { UTCTime / GeneralizedTime }
 * Written as the DER SET OF (tag 0x31) that is hashed; the message carries the same contents under [0].
 */
static void write_signed_attrs(skit_derw *w, const scepkit_cms_signed_params *p, const uint8_t *digest, size_t md_len)
{
    skit_derw_open_set(w, SKIT_TAG_SET);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CONTENT_TYPE));
    skit_derw_open(w, SKIT_TAG_SET);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CMS_DATA));
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_MESSAGE_DIGEST));
    skit_derw_open(w, SKIT_TAG_SET);
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, digest, md_len);
    skit_derw_close(w);
    skit_derw_close(w);
    if (p->with_signing_time) {
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_SIGNING_TIME));
        skit_derw_open(w, SKIT_TAG_SET);
        skit_derw_time(w, p->signing_time);
        skit_derw_close(w);
        skit_derw_close(w);
    }
    for (size_t i = 0; i < p->attr_count; i++) {
        skit_derw_raw(w, p->attrs[i].ptr, p->attrs[i].len);
    }
    skit_derw_close(w);
}

/* An OCTET STRING with `v`, or with `len` reserved bytes when `v` is NULL (size-only pass). */
static void write_octets(skit_derw *w, const uint8_t *v, size_t len)
{
    if (v != NULL) {
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, v, len);
        return;
    }
    skit_derw_open(w, SKIT_TAG_OCTET_STRING);
    (void)skit_derw_reserve(w, len);
    skit_derw_close(w);
}

/*
 * ContentInfo { id-signedData, [0] EXPLICIT SignedData }                      (RFC 5652 §3, §5.1)
 * SignedData ::= SEQUENCE {
 *     version CMSVersion,                  -- 1: issuerAndSerialNumber, id-data, no attribute certificates
 *     digestAlgorithms SET OF DigestAlgorithmIdentifier,
 *     encapContentInfo EncapsulatedContentInfo,
 *     certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *     signerInfos SET OF SignerInfo }
 * SignerInfo ::= SEQUENCE { version (1), sid issuerAndSerialNumber, digestAlgorithm,
 *     signedAttrs [0] IMPLICIT, signatureAlgorithm, signature OCTET STRING }
 * Digest algorithm parameters are omitted (RFC 5754 §2); RSA signature algorithms carry NULL (RFC 4055 §5),
 * ECDSA ones none (RFC 5758 §3.2).
 */
static void write_signed_data(skit_derw *w, const scepkit_cms_signed_params *p, scepkit_md md, const scepkit_x509 *cert,
                              scepkit_bytes attrs_contents, skit_oid sig_oid, bool sig_null, const uint8_t *sig,
                              size_t sig_len)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CMS_SIGNED_DATA));
    skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, 1);
    skit_derw_open(w, SKIT_TAG_SET);
    skit_algid_write(w, skit_md_oid(md), false);
    skit_derw_close(w);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CMS_DATA));
    skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, p->content.ptr, p->content.len);
    skit_derw_close(w);
    skit_derw_close(w);
    if (p->cert_count > 0) {
        skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
        for (size_t i = 0; i < p->cert_count; i++) {
            skit_derw_raw(w, p->certs[i].ptr, p->certs[i].len);
        }
        skit_derw_close(w);
    }
    if (p->crl_count > 0) {
        skit_derw_open(w, SKIT_TAG_CTX_CONS(1));
        for (size_t i = 0; i < p->crl_count; i++) {
            skit_derw_raw(w, p->crls[i].ptr, p->crls[i].len);
        }
        skit_derw_close(w);
    }
    skit_derw_open(w, SKIT_TAG_SET);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, 1);
    skit_cms_write_issuer_serial(w, cert);
    skit_algid_write(w, skit_md_oid(md), false);
    skit_derw_tlv(w, SKIT_TAG_CTX_CONS(0), attrs_contents.ptr, attrs_contents.len);
    skit_algid_write(w, sig_oid, sig_null);
    write_octets(w, sig, sig_len);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
}

scepkit_err scepkit_cms_signed_write(const scepkit_cms_signed_params *p, scepkit_arena *scratch, uint8_t *out,
                                     size_t cap, size_t *len)
{
    uint8_t digest[SCEPKIT_MD_MAX_SIZE];
    uint8_t attrs_digest[SCEPKIT_MD_MAX_SIZE];
    scepkit_x509 cert;
    scepkit_key_type type;
    size_t bits, extra_total, md_len, attrs_len = 0, sig_len, mark;
    scepkit_md md;
    skit_oid sig_oid;
    bool sig_null;
    uint8_t *attrs_buf = NULL;
    uint8_t *sig = NULL;
    scepkit_bytes attrs_contents = {NULL, 0};
    skit_derw w;
    skit_tlv t;
    scepkit_err err;

    if (len != NULL) {
        *len = 0;
    }
    if (p == NULL || scratch == NULL || len == NULL || (out == NULL && cap != 0) ||
        (p->content.ptr == NULL && p->content.len != 0) || (p->attr_count > 0 && p->attrs == NULL) ||
        (p->cert_count > 0 && p->certs == NULL) || (p->crl_count > 0 && p->crls == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    mark = scepkit_arena_mark(scratch);
    md = p->md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->md;
    if (md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    if (skit_md_oid(md) == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_ARG;
    }
    md_len = scepkit_md_size(md);
    for (size_t i = 0; i < p->cert_count; i++) {
        err = check_one(p->certs[i], SKIT_TAG_SEQUENCE);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < p->crl_count; i++) {
        err = check_one(p->crls[i], SKIT_TAG_SEQUENCE);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    err = check_extra_attrs(p, &extra_total);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_x509_parse(p->signer_cert, &cert);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_spki_info(cert.spki, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (type == SCEPKIT_KEY_RSA) {
        sig_oid = p->sig_style == SCEPKIT_CMS_SIG_RSA_ENCRYPTION ? SKIT_OID_RSA_ENCRYPTION
                                                                 : skit_sig_oid(SCEPKIT_SIG_RSA_PKCS1, md);
        sig_null = true;
        sig_len = (bits + 7) / 8;
    } else if (type == SCEPKIT_KEY_EC_P256 || type == SCEPKIT_KEY_EC_P384) {
        if (p->sig_style != SCEPKIT_CMS_SIG_NAMED) {
            return SCEPKIT_ERR_ALGORITHM_MISMATCH;
        }
        sig_oid = skit_sig_oid(SCEPKIT_SIG_ECDSA, md);
        sig_null = false;
        sig_len = type == SCEPKIT_KEY_EC_P256 ? ECDSA_P256_SIG_MAX : ECDSA_P384_SIG_MAX;
    } else {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    if (sig_len == 0 || sig_len > SCEPKIT_MAX_SIG_SIZE) {
        return SCEPKIT_ERR_KEY_TYPE;
    }

    err = skit_md(md, p->content.ptr, p->content.len, digest);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* The attributes are encoded twice: a size pass, then into the arena, where the writer sorts them. */
    skit_derw_init(&w, NULL, 0);
    write_signed_attrs(&w, p, digest, md_len);
    err = skit_derw_finish(&w, &attrs_len);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL && err != SCEPKIT_OK) {
        goto out;
    }
    err = scepkit_arena_alloc(scratch, attrs_len, (void **)&attrs_buf);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    skit_derw_init(&w, attrs_buf, attrs_len);
    write_signed_attrs(&w, p, digest, md_len);
    err = skit_derw_finish(&w, &attrs_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = skit_der_parse_one((scepkit_bytes){attrs_buf, attrs_len}, 0, SKIT_TAG_SET, &t);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    attrs_contents = t.value;

    if (out != NULL) {
        err = scepkit_arena_alloc(scratch, SCEPKIT_MAX_SIG_SIZE, (void **)&sig);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = skit_md(md, attrs_buf, attrs_len, attrs_digest);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = scepkit_key_sign_digest(p->key, md, attrs_digest, md_len, sig, SCEPKIT_MAX_SIG_SIZE, &sig_len);
        if (err != SCEPKIT_OK) {
            goto out;
        }
    }
    skit_derw_init(&w, out, cap);
    write_signed_data(&w, p, md, &cert, attrs_contents, sig_oid, sig_null, sig, sig_len);
    err = skit_derw_finish(&w, len);
    if (err == SCEPKIT_OK && out == NULL) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL; /* size-only pass: *len holds the size needed */
    }
out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL) {
        scepkit_wipe(out, cap);
    }
    scepkit_wipe(digest, sizeof digest);
    scepkit_wipe(attrs_digest, sizeof attrs_digest);
    scepkit_arena_release(scratch, mark);
    return err;
}

/*
 * Degenerate certs-only SignedData (RFC 8894 §3.4, RFC 5652 §5.2):
 *   SignedData { version 1, digestAlgorithms {}, encapContentInfo { id-data } (no eContent),
 *                certificates [0] ..., crls [1] ..., signerInfos {} }
 * Certificates keep the caller's order (SCEP clients read the CA/RA order from it), not the DER SET OF sort.
 */
scepkit_err scepkit_cms_certs_only_write(const scepkit_bytes *certs, size_t cert_count, const scepkit_bytes *crls,
                                         size_t crl_count, uint8_t *out, size_t cap, size_t *len)
{
    skit_derw w;
    scepkit_err err;
    if (len != NULL) {
        *len = 0;
    }
    if (len == NULL || (out == NULL && cap != 0) || (cert_count > 0 && certs == NULL) ||
        (crl_count > 0 && crls == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < cert_count; i++) {
        err = check_one(certs[i], SKIT_TAG_SEQUENCE);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < crl_count; i++) {
        err = check_one(crls[i], SKIT_TAG_SEQUENCE);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_CMS_SIGNED_DATA));
    skit_derw_open(&w, SKIT_TAG_CTX_CONS(0));
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(&w, 1);
    skit_derw_open(&w, SKIT_TAG_SET);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_CMS_DATA));
    skit_derw_close(&w);
    if (cert_count > 0) {
        skit_derw_open(&w, SKIT_TAG_CTX_CONS(0));
        for (size_t i = 0; i < cert_count; i++) {
            skit_derw_raw(&w, certs[i].ptr, certs[i].len);
        }
        skit_derw_close(&w);
    }
    if (crl_count > 0) {
        skit_derw_open(&w, SKIT_TAG_CTX_CONS(1));
        for (size_t i = 0; i < crl_count; i++) {
            skit_derw_raw(&w, crls[i].ptr, crls[i].len);
        }
        skit_derw_close(&w);
    }
    skit_derw_open(&w, SKIT_TAG_SET);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    err = skit_derw_finish(&w, len);
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
