/* CMS SignedData verification (RFC 5652 §5.4, §5.6). Digests are streamed: no scratch, no copy of the content. */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_internal.h"
#include "der/der.h"
#include "der/oid.h"
#include "port/crypto_port.h"
#include "scepkit/cms.h"

/* Finds the certificate the SignerIdentifier names among `certs` (caller's) or the embedded ones. */
static scepkit_err find_signer_cert(const scepkit_cms_signed *sd, const scepkit_cms_verify_params *p,
                                    scepkit_x509 *cert)
{
    if (p != NULL && p->signer_certs != NULL && p->signer_cert_count > 0) {
        for (size_t i = 0; i < p->signer_cert_count; i++) {
            if (scepkit_x509_parse(p->signer_certs[i], cert) == SCEPKIT_OK &&
                scepkit_cms_id_matches(&sd->signer.sid, cert)) {
                return SCEPKIT_OK;
            }
        }
    } else {
        scepkit_cms_iter it = {{NULL, 0}, 0};
        scepkit_bytes der;
        scepkit_err err;
        while ((err = scepkit_cms_next_cert(sd, &it, &der)) == SCEPKIT_OK) {
            /* A certificate this view cannot read is skipped: it cannot be the one that verifies. */
            if (scepkit_x509_parse(der, cert) == SCEPKIT_OK && scepkit_cms_id_matches(&sd->signer.sid, cert)) {
                return SCEPKIT_OK;
            }
        }
        if (err != SCEPKIT_ERR_NOT_FOUND) {
            memset(cert, 0, sizeof *cert);
            return err;
        }
    }
    memset(cert, 0, sizeof *cert);
    return SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND;
}

/* Digest of the encapsulated content (any form) or of the detached content. */
static scepkit_err content_digest(const scepkit_cms_signed *sd, const scepkit_cms_verify_params *p, scepkit_md md,
                                  uint8_t *digest)
{
    skit_md_ctx ctx;
    scepkit_err err = skit_md_init(&ctx, md);
    if (err != SCEPKIT_OK) {
        skit_md_free(&ctx);
        return err;
    }
    if (sd->has_content) {
        scepkit_cms_content_iter it;
        scepkit_bytes seg;
        err = scepkit_cms_content_iter_init(sd, &it);
        while (err == SCEPKIT_OK && (err = scepkit_cms_content_next(&it, &seg)) == SCEPKIT_OK) {
            err = skit_md_update(&ctx, seg.ptr, seg.len);
        }
        if (err == SCEPKIT_ERR_NOT_FOUND) {
            err = SCEPKIT_OK;
        }
    } else if (p != NULL && p->detached_content.ptr != NULL) {
        err = skit_md_update(&ctx, p->detached_content.ptr, p->detached_content.len);
    } else {
        err = SCEPKIT_ERR_CMS_NO_CONTENT;
    }
    if (err == SCEPKIT_OK) {
        err = skit_md_finish(&ctx, digest);
    }
    skit_md_free(&ctx);
    return err;
}

/*
 * RFC 5652 §5.4: "the DER encoding of the SignedAttrs value ... A separate encoding of the
 * signedAttrs field is performed for message digest calculation. The IMPLICIT [0] tag in the
 * signedAttrs is not used for the DER encoding, rather an EXPLICIT SET OF tag is used."
 * The [0] element was checked to be definite-length DER at parse, so only its tag octet changes.
 */
static scepkit_err signed_attrs_digest(const scepkit_cms_signer *s, scepkit_md md, uint8_t *digest)
{
    static const uint8_t set_tag = SKIT_TAG_SET;
    skit_md_ctx ctx;
    scepkit_err err = skit_md_init(&ctx, md);
    if (err == SCEPKIT_OK) {
        err = skit_md_update(&ctx, &set_tag, 1);
    }
    if (err == SCEPKIT_OK) {
        err = skit_md_update(&ctx, s->signed_attrs.ptr + 1, s->signed_attrs.len - 1);
    }
    if (err == SCEPKIT_OK) {
        err = skit_md_finish(&ctx, digest);
    }
    skit_md_free(&ctx);
    return err;
}

/* contentType (RFC 5652 §11.1) must equal eContentType; messageDigest (§11.2) must equal the content digest. */
static scepkit_err check_attrs(const scepkit_cms_signed *sd, const uint8_t *content_digest, size_t md_len)
{
    scepkit_bytes v;
    skit_tlv t;
    scepkit_err err = scepkit_cms_find_attr(&sd->signer, skit_oid_bytes(SKIT_OID_CONTENT_TYPE), &v);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (skit_der_parse_one(v, 0, SKIT_TAG_OID, &t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    if (t.value.len != sd->econtent_type.len || memcmp(t.value.ptr, sd->econtent_type.ptr, t.value.len) != 0) {
        return SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH;
    }
    err = scepkit_cms_find_attr(&sd->signer, skit_oid_bytes(SKIT_OID_MESSAGE_DIGEST), &v);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (skit_der_parse_one(v, 0, SKIT_TAG_OCTET_STRING, &t) != SCEPKIT_OK) {
        return SCEPKIT_ERR_CMS_ATTRIBUTE;
    }
    if (t.value.len != md_len || scepkit_ct_memcmp(t.value.ptr, content_digest, md_len) != 0) {
        return SCEPKIT_ERR_CMS_DIGEST_MISMATCH;
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_cms_signed_verify(const scepkit_cms_signed *sd, const scepkit_cms_verify_params *params,
                                      scepkit_x509 *signer)
{
    uint8_t cdigest[SCEPKIT_MD_MAX_SIZE];
    uint8_t sdigest[SCEPKIT_MD_MAX_SIZE];
    scepkit_x509 cert;
    scepkit_key_type type;
    size_t bits, md_len;
    const scepkit_cms_signer *s;
    int allow_legacy = params != NULL && params->allow_legacy;
    scepkit_err err = SCEPKIT_ERR_BAD_SIGNATURE;

    if (signer != NULL) {
        memset(signer, 0, sizeof *signer);
    }
    if (sd == NULL || sd->der.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    if (sd->signer_count == 0) {
        return SCEPKIT_ERR_CMS_NO_SIGNER;
    }
    if (sd->signer_count > 1) {
        return SCEPKIT_ERR_CMS_SIGNER_COUNT;
    }
    s = &sd->signer;
    err = find_signer_cert(sd, params, &cert);
    if (err != SCEPKIT_OK) {
        return err;
    }

    if (s->md == SCEPKIT_MD_NONE || s->sig_alg == SCEPKIT_SIG_UNKNOWN) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    if ((s->md == SCEPKIT_MD_MD5 || s->sig_md == SCEPKIT_MD_MD5) && !allow_legacy) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    /* A signature OID that names a digest must name the one the digestAlgorithm field names. */
    if (s->sig_md != SCEPKIT_MD_NONE && s->sig_md != s->md) {
        return SCEPKIT_ERR_ALGORITHM_MISMATCH;
    }
    err = scepkit_spki_info(cert.spki, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((s->sig_alg == SCEPKIT_SIG_RSA_PKCS1) != (type == SCEPKIT_KEY_RSA)) {
        return SCEPKIT_ERR_ALGORITHM_MISMATCH;
    }
    md_len = scepkit_md_size(s->md);

    err = content_digest(sd, params, s->md, cdigest);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (s->signed_attrs.len != 0) {
        err = signed_attrs_digest(s, s->md, sdigest);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = scepkit_verify_digest(cert.spki, s->md, sdigest, md_len, s->signature);
        if (err != SCEPKIT_OK) {
            goto out;
        }
        err = check_attrs(sd, cdigest, md_len);
        if (err != SCEPKIT_OK) {
            goto out;
        }
    } else {
        /* RFC 5652 §5.3: without signed attributes the content type must be id-data. */
        if (skit_oid_find(sd->econtent_type) != SKIT_OID_CMS_DATA) {
            err = SCEPKIT_ERR_CMS_ATTRIBUTE;
            goto out;
        }
        err = scepkit_verify_digest(cert.spki, s->md, cdigest, md_len, s->signature);
        if (err != SCEPKIT_OK) {
            goto out;
        }
    }
    if (signer != NULL) {
        *signer = cert;
    }
    err = SCEPKIT_OK;
out:
    scepkit_wipe(cdigest, sizeof cdigest);
    scepkit_wipe(sdigest, sizeof sdigest);
    return err;
}
