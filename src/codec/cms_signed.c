/*
 * CMS SignedData parser (RFC 5652 §5) and the shared CMS helpers. Pure functions of their bytes:
 * no crypto, no heap. Verification is in cms_verify.c, writers in cms_signed_write.c.
 */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_internal.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/cms.h"

/* The public content iterator is opaque storage for the DER layer's OCTET STRING iterator. */
typedef struct content_iter_impl {
    skit_octets_iter oct;
} content_iter_impl;
_Static_assert(sizeof(content_iter_impl) <= sizeof(((scepkit_cms_content_iter *)0)->opaque),
               "scepkit_cms_content_iter too small for skit_octets_iter");

static bool oid_is(scepkit_bytes oid, skit_oid id)
{
    return skit_oid_find(oid) == id;
}

scepkit_err skit_cms_read_id(skit_der *d, scepkit_cms_id *id)
{
    skit_tlv t;
    skit_der seq;
    uint8_t tag;
    scepkit_err err = skit_der_peek(d, &tag);
    if (err != SCEPKIT_OK) {
        return err;
    }
    memset(id, 0, sizeof *id);
    if (tag == SKIT_TAG_SEQUENCE) {
        err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &seq);
        if (err != SCEPKIT_OK) {
            return err;
        }
        err = skit_der_expect(&seq, SKIT_TAG_SEQUENCE, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        id->issuer = t.raw;
        err = skit_der_expect(&seq, SKIT_TAG_INTEGER, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (t.value.len == 0) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        id->serial = t.value;
        id->type = SCEPKIT_CMS_ID_ISSUER_SERIAL;
        return skit_der_done(&seq);
    }
    /* subjectKeyIdentifier [0] IMPLICIT OCTET STRING: primitive only (DER in every mode here). */
    if (tag != SKIT_TAG_CTX(0)) {
        return SCEPKIT_ERR_DER_TAG;
    }
    err = skit_der_expect(d, SKIT_TAG_CTX(0), &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (t.value.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    id->ski = t.value;
    id->type = SCEPKIT_CMS_ID_SKI;
    return SCEPKIT_OK;
}

void skit_cms_write_issuer_serial(skit_derw *w, const scepkit_x509 *cert)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_raw(w, cert->issuer.ptr, cert->issuer.len);
    skit_derw_tlv(w, SKIT_TAG_INTEGER, cert->serial.ptr, cert->serial.len);
    skit_derw_close(w);
}

int scepkit_cms_id_matches(const scepkit_cms_id *id, const scepkit_x509 *cert)
{
    if (id == NULL || cert == NULL) {
        return 0;
    }
    if (id->type == SCEPKIT_CMS_ID_ISSUER_SERIAL) {
        return scepkit_x509_matches_issuer_serial(cert, id->issuer, id->serial);
    }
    if (id->type == SCEPKIT_CMS_ID_SKI) {
        return cert->has_ski && cert->ski.len == id->ski.len && memcmp(cert->ski.ptr, id->ski.ptr, id->ski.len) == 0;
    }
    return 0;
}

/*
 * ContentInfo ::= SEQUENCE {                                                  (RFC 5652 §3)
 *     contentType ContentType,
 *     content [0] EXPLICIT ANY DEFINED BY contentType }
 */
scepkit_err skit_cms_enter_content_info(scepkit_bytes in, unsigned flags, skit_oid want, skit_der *content,
                                        scepkit_bytes *whole)
{
    skit_der top, ci, explicit0;
    skit_tlv t, oid;
    scepkit_err err;
    unsigned der_flags = (flags & SCEPKIT_CMS_BER) != 0 ? SKIT_DER_BER : 0;
    skit_der_init(&top, in, der_flags);
    err = skit_der_expect(&top, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_done(&top);
    if (err != SCEPKIT_OK) {
        return err;
    }
    *whole = t.raw;
    err = skit_der_enter_tlv(&top, &t, &ci);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&ci, SKIT_TAG_OID, &oid);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!oid_is(oid.value, want)) {
        return SCEPKIT_ERR_CMS_CONTENT_TYPE;
    }
    err = skit_der_enter(&ci, SKIT_TAG_CTX_CONS(0), &explicit0);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_done(&ci);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_enter(&explicit0, SKIT_TAG_SEQUENCE, content);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return skit_der_done(&explicit0);
}

/*
 * Attribute ::= SEQUENCE {                                                    (RFC 5652 §5.3)
 *     attrType OBJECT IDENTIFIER,
 *     attrValues SET OF AttributeValue }
 * Signed attributes are DER (§5.3), so they are read strictly whatever the message's mode.
 */
static scepkit_err read_attr(skit_der *d, scepkit_cms_attr *a)
{
    skit_der seq;
    skit_tlv whole, oid, vals;
    scepkit_err err = skit_der_expect(d, SKIT_TAG_SEQUENCE, &whole);
    if (err == SCEPKIT_OK) {
        err = skit_der_enter_tlv(d, &whole, &seq);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&seq, SKIT_TAG_OID, &oid);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&seq, SKIT_TAG_SET, &vals);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&seq);
    }
    if (err != SCEPKIT_OK || vals.value.len == 0) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    a->oid = oid.value;
    a->values = vals.value;
    a->raw = whole.raw;
    return SCEPKIT_OK;
}

/* Checks every attribute of a signed-attributes [0] element: well-formed, each value a whole element. */
static scepkit_err check_attrs(scepkit_bytes contents)
{
    skit_der d;
    scepkit_cms_attr a;
    scepkit_err err;
    if (contents.len == 0) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE; /* SET SIZE (1..MAX) */
    }
    skit_der_init(&d, contents, 0);
    while (skit_der_more(&d)) {
        skit_der v;
        skit_tlv t;
        err = read_attr(&d, &a);
        if (err != SCEPKIT_OK) {
            return err;
        }
        skit_der_init(&v, a.values, 0);
        while (skit_der_more(&v)) {
            if (skit_der_read(&v, &t) != SCEPKIT_OK) {
                return SCEPKIT_ERR_CMS_ATTRIBUTE;
            }
        }
    }
    return SCEPKIT_OK;
}

/*
 * SignerInfo ::= SEQUENCE {                                                   (RFC 5652 §5.3)
 *     version CMSVersion,
 *     sid SignerIdentifier,
 *     digestAlgorithm DigestAlgorithmIdentifier,
 *     signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
 *     signatureAlgorithm SignatureAlgorithmIdentifier,
 *     signature SignatureValue,
 *     unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
 * SignerIdentifier ::= CHOICE {
 *     issuerAndSerialNumber IssuerAndSerialNumber,
 *     subjectKeyIdentifier [0] SubjectKeyIdentifier }
 */
static scepkit_err read_signer(skit_der *d, scepkit_cms_signer *s)
{
    skit_der seq;
    skit_tlv t, params;
    bool present, has_params;
    int64_t v;
    scepkit_err err;
    memset(s, 0, sizeof *s);
    err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&seq, SKIT_TAG_INTEGER, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_int64(&t, &v);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (v != 1 && v != 3) {
        return SCEPKIT_ERR_CMS_VERSION;
    }
    s->version = (int)v;
    err = skit_cms_read_id(&seq, &s->sid);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_algid_read(&seq, &s->digest_alg_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    s->md =
        skit_params_empty(has_params, &params) ? skit_md_from_oid(skit_oid_find(s->digest_alg_oid)) : SCEPKIT_MD_NONE;
    err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        /* The signature covers the DER re-encoding: an indefinite or non-DER [0] cannot have been signed as is. */
        if (t.indefinite) {
            return SCEPKIT_ERR_CMS_ATTRIBUTE;
        }
        err = check_attrs(t.value);
        if (err != SCEPKIT_OK) {
            return err;
        }
        s->signed_attrs = t.raw;
    }
    err = skit_algid_read(&seq, &s->sig_alg_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_sig_alg_from_oid(skit_oid_find(s->sig_alg_oid), &s->sig_alg, &s->sig_md);
    if (!skit_params_empty(has_params, &params)) {
        s->sig_alg = SCEPKIT_SIG_UNKNOWN;
    }
    err = skit_der_expect(&seq, SKIT_TAG_OCTET_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((t.tag & SKIT_TAG_CONSTRUCTED) != 0 || t.value.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    s->signature = t.value;
    err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(1), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        s->unsigned_attrs = t.raw;
    }
    return skit_der_done(&seq);
}

/*
 * SignedData ::= SEQUENCE {                                                   (RFC 5652 §5.1)
 *     version CMSVersion,
 *     digestAlgorithms DigestAlgorithmIdentifiers,
 *     encapContentInfo EncapsulatedContentInfo,
 *     certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *     signerInfos SignerInfos }
 * EncapsulatedContentInfo ::= SEQUENCE {                                      (RFC 5652 §5.2)
 *     eContentType ContentType,
 *     eContent [0] EXPLICIT OCTET STRING OPTIONAL }
 */
static scepkit_err parse_signed(scepkit_bytes in, unsigned flags, scepkit_cms_signed *sd)
{
    skit_der sdata, eci, ex0, set;
    skit_tlv t, oid;
    bool present;
    int64_t v;
    scepkit_err err;

    sd->flags = flags & SCEPKIT_CMS_BER;
    err = skit_cms_enter_content_info(in, flags, SKIT_OID_CMS_SIGNED_DATA, &sdata, &sd->der);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&sdata, SKIT_TAG_INTEGER, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_int64(&t, &v);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (v != 1 && v != 3 && v != 4 && v != 5) {
        return SCEPKIT_ERR_CMS_VERSION;
    }
    sd->version = (int)v;

    err = skit_der_expect(&sdata, SKIT_TAG_SET, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    sd->digest_algs = t.value;
    err = skit_der_enter_tlv(&sdata, &t, &set);
    if (err != SCEPKIT_OK) {
        return err;
    }
    while (skit_der_more(&set)) {
        scepkit_bytes a;
        skit_tlv params;
        bool has_params;
        err = skit_algid_read(&set, &a, &params, &has_params);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }

    err = skit_der_enter(&sdata, SKIT_TAG_SEQUENCE, &eci);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&eci, SKIT_TAG_OID, &oid);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_oid_check(oid.value);
    if (err != SCEPKIT_OK) {
        return err;
    }
    sd->econtent_type = oid.value;
    err = skit_der_optional(&eci, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        err = skit_der_enter_tlv(&eci, &t, &ex0);
        if (err != SCEPKIT_OK) {
            return err;
        }
        err = skit_der_expect(&ex0, SKIT_TAG_OCTET_STRING, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        err = skit_der_done(&ex0);
        if (err != SCEPKIT_OK) {
            return err;
        }
        sd->has_content = 1;
        sd->econtent_tlv = t.raw;
        if ((t.tag & SKIT_TAG_CONSTRUCTED) != 0) {
            sd->content_constructed = 1;
            err = skit_octets_len(&ex0, &t, &sd->content_len);
            if (err != SCEPKIT_OK) {
                return err;
            }
        } else {
            sd->content = t.value;
            sd->content_len = t.value.len;
        }
    }
    err = skit_der_done(&eci);
    if (err != SCEPKIT_OK) {
        return err;
    }

    err = skit_der_optional(&sdata, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        sd->certificates = t.value;
        sd->has_certificates = 1;
    }
    err = skit_der_optional(&sdata, SKIT_TAG_CTX_CONS(1), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        sd->crls = t.value;
        sd->has_crls = 1;
    }

    err = skit_der_expect(&sdata, SKIT_TAG_SET, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    sd->signer_infos = t.value;
    err = skit_der_enter_tlv(&sdata, &t, &set);
    if (err != SCEPKIT_OK) {
        return err;
    }
    while (skit_der_more(&set)) {
        scepkit_cms_signer s;
        err = read_signer(&set, &s);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (sd->signer_count == 0) {
            sd->signer = s;
        }
        sd->signer_count++;
    }
    return skit_der_done(&sdata);
}

scepkit_err scepkit_cms_signed_parse(scepkit_bytes in, unsigned flags, scepkit_cms_signed *out)
{
    scepkit_err err;
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (in.ptr == NULL || (flags & ~SCEPKIT_CMS_BER) != 0) {
        return SCEPKIT_ERR_ARG;
    }
    err = parse_signed(in, flags, out);
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* A reader positioned nowhere, carrying the message's mode, to hand the DER layer as a parent. */
static void mode_parent(skit_der *p, unsigned flags)
{
    scepkit_bytes none = {NULL, 0};
    skit_der_init(p, none, (flags & SCEPKIT_CMS_BER) != 0 ? SKIT_DER_BER : 0);
}

scepkit_err scepkit_cms_content_iter_init(const scepkit_cms_signed *sd, scepkit_cms_content_iter *it)
{
    skit_der parent;
    skit_tlv t;
    scepkit_err err;
    if (sd == NULL || it == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(it, 0, sizeof *it);
    if (!sd->has_content) {
        return SCEPKIT_ERR_CMS_NO_CONTENT;
    }
    mode_parent(&parent, sd->flags);
    err = skit_der_parse_one(sd->econtent_tlv, parent.flags, SKIT_TAG_OCTET_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* Built in a local and copied: the public struct is storage, not an alias of the impl type. */
    content_iter_impl local;
    memset(&local, 0, sizeof local);
    err = skit_octets_iter_init(&local.oct, &parent, &t);
    memcpy(&it->opaque, &local, sizeof local);
    return err;
}

scepkit_err scepkit_cms_content_next(scepkit_cms_content_iter *it, scepkit_bytes *seg)
{
    if (it == NULL || seg == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    content_iter_impl local;
    memcpy(&local, &it->opaque, sizeof local);
    scepkit_err err = skit_octets_next(&local.oct, seg);
    memcpy(&it->opaque, &local, sizeof local);
    return err;
}

scepkit_err scepkit_cms_content_copy(const scepkit_cms_signed *sd, uint8_t *out, size_t cap, size_t *len)
{
    skit_der parent;
    skit_tlv t;
    scepkit_err err;
    if (sd == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (!sd->has_content) {
        return SCEPKIT_ERR_CMS_NO_CONTENT;
    }
    mode_parent(&parent, sd->flags);
    err = skit_der_parse_one(sd->econtent_tlv, parent.flags, SKIT_TAG_OCTET_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return skit_octets_copy(&parent, &t, out, cap, len);
}

/* Advances an iterator over `list` (read in `flags` mode) to the next element with tag `want`, skipping others. */
static scepkit_err next_tagged(scepkit_bytes list, unsigned flags, scepkit_cms_iter *it, uint8_t want,
                               scepkit_bytes *elem)
{
    skit_der d;
    skit_tlv t;
    scepkit_err err;
    if (!it->started) {
        it->rest = list;
        it->started = 1;
    }
    skit_der_init(&d, it->rest, (flags & SCEPKIT_CMS_BER) != 0 ? SKIT_DER_BER : 0);
    while (skit_der_more(&d)) {
        err = skit_der_read(&d, &t);
        if (err != SCEPKIT_OK) {
            it->rest.len = 0;
            return err;
        }
        it->rest.len -= (size_t)(d.p - it->rest.ptr);
        it->rest.ptr = d.p;
        if (t.tag == want) {
            *elem = t.raw;
            return SCEPKIT_OK;
        }
    }
    return SCEPKIT_ERR_NOT_FOUND;
}

/*
 * CertificateChoices ::= CHOICE {                                             (RFC 5652 §10.2.2)
 *     certificate Certificate,
 *     extendedCertificate [0] IMPLICIT ExtendedCertificate,  -- Obsolete
 *     v1AttrCert [1] IMPLICIT AttributeCertificateV1,        -- Obsolete
 *     v2AttrCert [2] IMPLICIT AttributeCertificateV2,
 *     other [3] IMPLICIT OtherCertificateFormat }
 */
scepkit_err scepkit_cms_next_cert(const scepkit_cms_signed *sd, scepkit_cms_iter *it, scepkit_bytes *cert)
{
    if (sd == NULL || it == NULL || cert == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    return next_tagged(sd->certificates, sd->flags, it, SKIT_TAG_SEQUENCE, cert);
}

/*
 * RevocationInfoChoice ::= CHOICE {                                           (RFC 5652 §10.2.1)
 *     crl CertificateList,
 *     other [1] IMPLICIT OtherRevocationInfoFormat }
 */
scepkit_err scepkit_cms_next_crl(const scepkit_cms_signed *sd, scepkit_cms_iter *it, scepkit_bytes *crl)
{
    if (sd == NULL || it == NULL || crl == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    return next_tagged(sd->crls, sd->flags, it, SKIT_TAG_SEQUENCE, crl);
}

scepkit_err scepkit_cms_next_signer(const scepkit_cms_signed *sd, scepkit_cms_iter *it, scepkit_cms_signer *signer)
{
    skit_der d;
    scepkit_err err;
    if (sd == NULL || it == NULL || signer == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!it->started) {
        it->rest = sd->signer_infos;
        it->started = 1;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der_init(&d, it->rest, (sd->flags & SCEPKIT_CMS_BER) != 0 ? SKIT_DER_BER : 0);
    err = read_signer(&d, signer);
    if (err != SCEPKIT_OK) {
        it->rest.len = 0;
        return err;
    }
    it->rest.len -= (size_t)(d.p - it->rest.ptr);
    it->rest.ptr = d.p;
    return SCEPKIT_OK;
}

/* Contents of the signed attributes [0] element (its raw bytes were checked at parse). */
static scepkit_err attrs_contents(const scepkit_cms_signer *signer, scepkit_bytes *contents)
{
    skit_tlv t;
    scepkit_err err;
    contents->ptr = NULL;
    contents->len = 0;
    if (signer->signed_attrs.len == 0) {
        return SCEPKIT_OK;
    }
    err = skit_der_parse_one(signer->signed_attrs, 0, SKIT_TAG_CTX_CONS(0), &t);
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    *contents = t.value;
    return SCEPKIT_OK;
}

scepkit_err scepkit_cms_next_attr(const scepkit_cms_signer *signer, scepkit_cms_iter *it, scepkit_cms_attr *attr)
{
    skit_der d;
    scepkit_err err;
    if (signer == NULL || it == NULL || attr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!it->started) {
        err = attrs_contents(signer, &it->rest);
        if (err != SCEPKIT_OK) {
            return err;
        }
        it->started = 1;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der_init(&d, it->rest, 0);
    err = read_attr(&d, attr);
    if (err != SCEPKIT_OK) {
        it->rest.len = 0;
        return err;
    }
    it->rest.len -= (size_t)(d.p - it->rest.ptr);
    it->rest.ptr = d.p;
    return SCEPKIT_OK;
}

scepkit_err scepkit_cms_find_attr(const scepkit_cms_signer *signer, scepkit_bytes oid, scepkit_bytes *value)
{
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_cms_attr a;
    scepkit_err err;
    int found = 0;
    if (signer == NULL || value == NULL || oid.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    value->ptr = NULL;
    value->len = 0;
    while ((err = scepkit_cms_next_attr(signer, &it, &a)) == SCEPKIT_OK) {
        skit_tlv t;
        if (a.oid.len != oid.len || memcmp(a.oid.ptr, oid.ptr, oid.len) != 0) {
            continue;
        }
        /* RFC 5652 §11: the CMS-defined attributes appear once with one value; SCEP's do too. */
        if (found || skit_der_parse_one(a.values, 0, 0, &t) != SCEPKIT_OK) {
            value->ptr = NULL;
            value->len = 0;
            return SCEPKIT_ERR_CMS_ATTRIBUTE;
        }
        *value = t.raw;
        found = 1;
    }
    if (err != SCEPKIT_ERR_NOT_FOUND) {
        value->ptr = NULL;
        value->len = 0;
        return err;
    }
    return found ? SCEPKIT_OK : SCEPKIT_ERR_NOT_FOUND;
}
