/* AlgorithmIdentifier helpers for the X.509 view and the CMS codec. Pure functions of their bytes. */
#include "codec/cms_algs.h"

/*
 * AlgorithmIdentifier ::= SEQUENCE {                                (RFC 5280 §4.1.1.2)
 *     algorithm   OBJECT IDENTIFIER,
 *     parameters  ANY DEFINED BY algorithm OPTIONAL }
 */
scepkit_err skit_algid_read(skit_der *d, scepkit_bytes *oid, skit_tlv *params, bool *has_params)
{
    skit_der seq;
    skit_tlv o;
    scepkit_err err;
    if (d == NULL || oid == NULL || params == NULL || has_params == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *has_params = false;
    err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&seq, SKIT_TAG_OID, &o);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_oid_check(o.value);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (skit_der_more(&seq)) {
        err = skit_der_read(&seq, params);
        if (err != SCEPKIT_OK) {
            return err;
        }
        *has_params = true;
    }
    err = skit_der_done(&seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    *oid = o.value;
    return SCEPKIT_OK;
}

bool skit_params_empty(bool has_params, const skit_tlv *params)
{
    return !has_params || (params->tag == SKIT_TAG_NULL && params->value.len == 0);
}

scepkit_md skit_md_from_oid(skit_oid id)
{
    switch (id) {
    case SKIT_OID_MD5:
        return SCEPKIT_MD_MD5;
    case SKIT_OID_SHA1:
        return SCEPKIT_MD_SHA1;
    case SKIT_OID_SHA256:
        return SCEPKIT_MD_SHA256;
    case SKIT_OID_SHA384:
        return SCEPKIT_MD_SHA384;
    case SKIT_OID_SHA512:
        return SCEPKIT_MD_SHA512;
    default:
        return SCEPKIT_MD_NONE;
    }
}

skit_oid skit_md_oid(scepkit_md md)
{
    switch (md) {
    case SCEPKIT_MD_MD5:
        return SKIT_OID_MD5;
    case SCEPKIT_MD_SHA1:
        return SKIT_OID_SHA1;
    case SCEPKIT_MD_SHA256:
        return SKIT_OID_SHA256;
    case SCEPKIT_MD_SHA384:
        return SKIT_OID_SHA384;
    case SCEPKIT_MD_SHA512:
        return SKIT_OID_SHA512;
    default:
        return SKIT_OID_UNKNOWN;
    }
}

void skit_sig_alg_from_oid(skit_oid id, scepkit_sig_alg *alg, scepkit_md *md)
{
    *alg = SCEPKIT_SIG_RSA_PKCS1;
    *md = SCEPKIT_MD_NONE;
    switch (id) {
    case SKIT_OID_RSA_ENCRYPTION:
        break;
    case SKIT_OID_MD5_WITH_RSA:
        *md = SCEPKIT_MD_MD5;
        break;
    case SKIT_OID_SHA1_WITH_RSA:
        *md = SCEPKIT_MD_SHA1;
        break;
    case SKIT_OID_SHA256_WITH_RSA:
        *md = SCEPKIT_MD_SHA256;
        break;
    case SKIT_OID_SHA384_WITH_RSA:
        *md = SCEPKIT_MD_SHA384;
        break;
    case SKIT_OID_SHA512_WITH_RSA:
        *md = SCEPKIT_MD_SHA512;
        break;
    case SKIT_OID_EC_PUBLIC_KEY:
        *alg = SCEPKIT_SIG_ECDSA;
        break;
    case SKIT_OID_ECDSA_SHA1:
        *alg = SCEPKIT_SIG_ECDSA;
        *md = SCEPKIT_MD_SHA1;
        break;
    case SKIT_OID_ECDSA_SHA256:
        *alg = SCEPKIT_SIG_ECDSA;
        *md = SCEPKIT_MD_SHA256;
        break;
    case SKIT_OID_ECDSA_SHA384:
        *alg = SCEPKIT_SIG_ECDSA;
        *md = SCEPKIT_MD_SHA384;
        break;
    case SKIT_OID_ECDSA_SHA512:
        *alg = SCEPKIT_SIG_ECDSA;
        *md = SCEPKIT_MD_SHA512;
        break;
    default:
        *alg = SCEPKIT_SIG_UNKNOWN;
        break;
    }
}

skit_oid skit_sig_oid(scepkit_sig_alg alg, scepkit_md md)
{
    if (alg == SCEPKIT_SIG_RSA_PKCS1) {
        switch (md) {
        case SCEPKIT_MD_SHA1:
            return SKIT_OID_SHA1_WITH_RSA;
        case SCEPKIT_MD_SHA256:
            return SKIT_OID_SHA256_WITH_RSA;
        case SCEPKIT_MD_SHA384:
            return SKIT_OID_SHA384_WITH_RSA;
        case SCEPKIT_MD_SHA512:
            return SKIT_OID_SHA512_WITH_RSA;
        default:
            return SKIT_OID_UNKNOWN;
        }
    }
    if (alg == SCEPKIT_SIG_ECDSA) {
        switch (md) {
        case SCEPKIT_MD_SHA1:
            return SKIT_OID_ECDSA_SHA1;
        case SCEPKIT_MD_SHA256:
            return SKIT_OID_ECDSA_SHA256;
        case SCEPKIT_MD_SHA384:
            return SKIT_OID_ECDSA_SHA384;
        case SCEPKIT_MD_SHA512:
            return SKIT_OID_ECDSA_SHA512;
        default:
            return SKIT_OID_UNKNOWN;
        }
    }
    return SKIT_OID_UNKNOWN;
}

scepkit_cipher skit_cipher_from_oid(skit_oid id)
{
    switch (id) {
    case SKIT_OID_DES_CBC:
        return SCEPKIT_CIPHER_DES_CBC;
    case SKIT_OID_DES_EDE3_CBC:
        return SCEPKIT_CIPHER_DES_EDE3_CBC;
    case SKIT_OID_AES128_CBC:
        return SCEPKIT_CIPHER_AES128_CBC;
    case SKIT_OID_AES192_CBC:
        return SCEPKIT_CIPHER_AES192_CBC;
    case SKIT_OID_AES256_CBC:
        return SCEPKIT_CIPHER_AES256_CBC;
    default:
        return SCEPKIT_CIPHER_NONE;
    }
}

skit_oid skit_cipher_oid(scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
        return SKIT_OID_DES_CBC;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        return SKIT_OID_DES_EDE3_CBC;
    case SCEPKIT_CIPHER_AES128_CBC:
        return SKIT_OID_AES128_CBC;
    case SCEPKIT_CIPHER_AES192_CBC:
        return SKIT_OID_AES192_CBC;
    case SCEPKIT_CIPHER_AES256_CBC:
        return SKIT_OID_AES256_CBC;
    default:
        return SKIT_OID_UNKNOWN;
    }
}

void skit_algid_write(skit_derw *w, skit_oid id, bool null_params)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(id));
    if (null_params) {
        skit_derw_null(w);
    }
    skit_derw_close(w);
}
