/*
 * CMS EnvelopedData (RFC 5652 §6): parser (pure) and open (key transport through the key port,
 * password recipients per RFC 3211, streaming CBC decryption of primitive or BER-constructed content).
 */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_internal.h"
#include "codec/cms_pwri.h"
#include "der/der.h"
#include "der/oid.h"
#include "port/crypto_port.h"
#include "scepkit/cms.h"

static unsigned der_flags(unsigned flags)
{
    return (flags & SCEPKIT_CMS_BER) != 0 ? SKIT_DER_BER : 0;
}

/*
 * RecipientInfo ::= CHOICE {                                                  (RFC 5652 §6.2)
 *     ktri KeyTransRecipientInfo,
 *     kari [1] KeyAgreeRecipientInfo,
 *     kekri [2] KEKRecipientInfo,
 *     pwri [3] PasswordRecipientinfo,
 *     ori [4] OtherRecipientInfo }
 * KeyTransRecipientInfo ::= SEQUENCE {
 *     version CMSVersion,  -- always set to 0 or 2
 *     rid RecipientIdentifier,
 *     keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
 *     encryptedKey EncryptedKey }
 * PasswordRecipientInfo ::= SEQUENCE {                                        (RFC 3211 §2.2, RFC 5652 §6.2.4)
 *     version CMSVersion,   -- Always set to 0
 *     keyDerivationAlgorithm [0] KeyDerivationAlgorithmIdentifier OPTIONAL,
 *     keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
 *     encryptedKey EncryptedKey }
 */
static scepkit_err read_recipient(skit_der *d, scepkit_cms_recipient_info *ri)
{
    skit_der seq;
    skit_tlv whole, t, params;
    bool present, has_params;
    int64_t v;
    scepkit_err err;
    memset(ri, 0, sizeof *ri);
    err = skit_der_read(d, &whole);
    if (err != SCEPKIT_OK) {
        return err;
    }
    ri->raw = whole.raw;
    if (whole.tag == SKIT_TAG_SEQUENCE) {
        ri->type = SCEPKIT_CMS_RI_KTRI;
    } else if (whole.tag == SKIT_TAG_CTX_CONS(3)) {
        ri->type = SCEPKIT_CMS_RI_PWRI;
    } else if (whole.tag == SKIT_TAG_CTX_CONS(1) || whole.tag == SKIT_TAG_CTX_CONS(2) ||
               whole.tag == SKIT_TAG_CTX_CONS(4)) {
        ri->type = SCEPKIT_CMS_RI_OTHER;
        return SCEPKIT_OK;
    } else {
        return SCEPKIT_ERR_DER_TAG;
    }
    err = skit_der_enter_tlv(d, &whole, &seq);
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
    if ((ri->type == SCEPKIT_CMS_RI_KTRI && v != 0 && v != 2) || (ri->type == SCEPKIT_CMS_RI_PWRI && v != 0)) {
        return SCEPKIT_ERR_CMS_VERSION;
    }
    ri->version = (int)v;
    if (ri->type == SCEPKIT_CMS_RI_KTRI) {
        err = skit_cms_read_id(&seq, &ri->rid);
        if (err != SCEPKIT_OK) {
            return err;
        }
    } else {
        err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(0), &t, &present);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (present) {
            ri->key_deriv_alg = t.raw;
        }
    }
    err = skit_algid_read(&seq, &ri->key_enc_alg_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (has_params) {
        ri->key_enc_params = params.raw;
    }
    err = skit_der_expect(&seq, SKIT_TAG_OCTET_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((t.tag & SKIT_TAG_CONSTRUCTED) != 0 || t.value.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    ri->encrypted_key = t.value;
    return skit_der_done(&seq);
}

/*
 * ContentInfo { id-envelopedData, [0] EXPLICIT EnvelopedData }               (RFC 5652 §6.1)
 * EnvelopedData ::= SEQUENCE {
 *     version CMSVersion,
 *     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *     recipientInfos RecipientInfos,
 *     encryptedContentInfo EncryptedContentInfo,
 *     unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
 * EncryptedContentInfo ::= SEQUENCE {
 *     contentType ContentType,
 *     contentEncryptionAlgorithm ContentEncryptionAlgorithmIdentifier,
 *     encryptedContent [0] IMPLICIT EncryptedContent OPTIONAL }
 * The CBC ciphers' parameter is the IV (RFC 3565 §4.1 AES, RFC 3370 §5.1 DES/3DES): OCTET STRING of the block size.
 */
static scepkit_err parse_enveloped(scepkit_bytes in, unsigned flags, scepkit_cms_enveloped *env)
{
    skit_der e, set, eci;
    skit_tlv t, params;
    bool present, has_params;
    int64_t v;
    scepkit_err err;

    env->flags = flags & SCEPKIT_CMS_BER;
    err = skit_cms_enter_content_info(in, flags, SKIT_OID_CMS_ENVELOPED_DATA, &e, &env->der);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&e, SKIT_TAG_INTEGER, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_int64(&t, &v);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (v < 0 || v > 4 || v == 1) {
        return SCEPKIT_ERR_CMS_VERSION;
    }
    env->version = (int)v;
    err = skit_der_optional(&e, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&e, SKIT_TAG_SET, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    env->recipient_infos = t.value;
    err = skit_der_enter_tlv(&e, &t, &set);
    if (err != SCEPKIT_OK) {
        return err;
    }
    while (skit_der_more(&set)) {
        scepkit_cms_recipient_info ri;
        err = read_recipient(&set, &ri);
        if (err != SCEPKIT_OK) {
            return err;
        }
        env->recipient_count++;
    }
    if (env->recipient_count == 0) {
        return SCEPKIT_ERR_CMS_NO_RECIPIENT;
    }

    err = skit_der_enter(&e, SKIT_TAG_SEQUENCE, &eci);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&eci, SKIT_TAG_OID, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_oid_check(t.value);
    if (err != SCEPKIT_OK) {
        return err;
    }
    env->content_type = t.value;
    err = skit_algid_read(&eci, &env->cipher_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    env->cipher = skit_cipher_from_oid(skit_oid_find(env->cipher_oid));
    if (env->cipher != SCEPKIT_CIPHER_NONE) {
        if (!has_params || params.tag != SKIT_TAG_OCTET_STRING ||
            params.value.len != scepkit_cipher_block_size(env->cipher)) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        env->iv = params.value;
    }
    err = skit_der_optional(&eci, SKIT_TAG_CTX(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!present) {
        return SCEPKIT_ERR_CMS_NO_CONTENT;
    }
    env->encrypted_tlv = t.raw;
    err = skit_octets_len(&eci, &t, &env->encrypted_len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_done(&eci);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_optional(&e, SKIT_TAG_CTX_CONS(1), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return skit_der_done(&e);
}

scepkit_err scepkit_cms_enveloped_parse(scepkit_bytes in, unsigned flags, scepkit_cms_enveloped *out)
{
    scepkit_err err;
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (in.ptr == NULL || (flags & ~SCEPKIT_CMS_BER) != 0) {
        return SCEPKIT_ERR_ARG;
    }
    err = parse_enveloped(in, flags, out);
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

scepkit_err scepkit_cms_next_recipient(const scepkit_cms_enveloped *env, scepkit_cms_iter *it,
                                       scepkit_cms_recipient_info *ri)
{
    skit_der d;
    scepkit_err err;
    if (env == NULL || it == NULL || ri == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!it->started) {
        it->rest = env->recipient_infos;
        it->started = 1;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der_init(&d, it->rest, der_flags(env->flags));
    err = read_recipient(&d, ri);
    if (err != SCEPKIT_OK) {
        it->rest.len = 0;
        return err;
    }
    it->rest.len -= (size_t)(d.p - it->rest.ptr);
    it->rest.ptr = d.p;
    return SCEPKIT_OK;
}

#if SCEPKIT_WITH_RSA_OAEP
/*
 * RSAES-OAEP-params ::= SEQUENCE {                                            (RFC 4055 §3.1, RFC 8017 A.2.1)
 *     hashAlgorithm     [0] HashAlgorithm     DEFAULT sha1,
 *     maskGenAlgorithm  [1] MaskGenAlgorithm  DEFAULT mgf1SHA1,
 *     pSourceAlgorithm  [2] PSourceAlgorithm  DEFAULT pSpecifiedEmpty }
 * The key port uses MGF1 with the OAEP hash and an empty label, so only such parameters are usable.
 */
static scepkit_err read_oaep_params(scepkit_bytes params, scepkit_md *md)
{
    skit_der top, seq, ex;
    skit_tlv t, p;
    bool present, has_p;
    scepkit_bytes oid;
    scepkit_md hash = SCEPKIT_MD_SHA1, mgf_hash = SCEPKIT_MD_SHA1;
    scepkit_err err;
    if (params.len == 0) {
        *md = SCEPKIT_MD_SHA1; /* absent parameters: all defaults */
        return SCEPKIT_OK;
    }
    skit_der_init(&top, params, 0);
    err = skit_der_enter(&top, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err == SCEPKIT_OK && present) {
        err = skit_der_enter_tlv(&seq, &t, &ex);
        if (err == SCEPKIT_OK) {
            err = skit_algid_read(&ex, &oid, &p, &has_p);
        }
        if (err == SCEPKIT_OK) {
            hash = skit_params_empty(has_p, &p) ? skit_md_from_oid(skit_oid_find(oid)) : SCEPKIT_MD_NONE;
            err = skit_der_done(&ex);
        }
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(1), &t, &present);
    }
    if (err == SCEPKIT_OK && present) {
        skit_der mgf, inner;
        err = skit_der_enter_tlv(&seq, &t, &ex);
        if (err == SCEPKIT_OK) {
            err = skit_der_enter(&ex, SKIT_TAG_SEQUENCE, &mgf);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_expect(&mgf, SKIT_TAG_OID, &p);
        }
        if (err == SCEPKIT_OK && skit_oid_find(p.value) != SKIT_OID_MGF1) {
            return SCEPKIT_ERR_UNSUPPORTED;
        }
        if (err == SCEPKIT_OK) {
            inner = mgf;
            err = skit_algid_read(&inner, &oid, &p, &has_p);
        }
        if (err == SCEPKIT_OK) {
            mgf_hash = skit_params_empty(has_p, &p) ? skit_md_from_oid(skit_oid_find(oid)) : SCEPKIT_MD_NONE;
            err = skit_der_done(&inner);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_done(&ex);
        }
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_optional(&seq, SKIT_TAG_CTX_CONS(2), &t, &present);
    }
    if (err == SCEPKIT_OK && present) {
        skit_der ps;
        err = skit_der_enter_tlv(&seq, &t, &ex);
        if (err == SCEPKIT_OK) {
            ps = ex;
            err = skit_algid_read(&ps, &oid, &p, &has_p);
        }
        if (err == SCEPKIT_OK && (skit_oid_find(oid) != SKIT_OID_P_SPECIFIED || !has_p ||
                                  p.tag != SKIT_TAG_OCTET_STRING || p.value.len != 0)) {
            return SCEPKIT_ERR_UNSUPPORTED;
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_done(&ps);
        }
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&seq);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&top);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (hash == SCEPKIT_MD_NONE || hash == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    if (mgf_hash != hash) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    *md = hash;
    return SCEPKIT_OK;
}
#endif

/* Picks the RecipientInfo to use: the PWRI when a password is given, else the KTRI for `cert` (or the first). */
static scepkit_err find_recipient(const scepkit_cms_enveloped *env, const scepkit_cms_open_params *p,
                                  scepkit_cms_recipient_info *ri)
{
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_x509 cert;
    bool have_cert = false;
    scepkit_err err;
    if (p->password.len == 0 && p->cert.len != 0) {
        err = scepkit_x509_parse(p->cert, &cert);
        if (err != SCEPKIT_OK) {
            return err;
        }
        have_cert = true;
    }
    while ((err = scepkit_cms_next_recipient(env, &it, ri)) == SCEPKIT_OK) {
        if (p->password.len != 0) {
            if (ri->type == SCEPKIT_CMS_RI_PWRI) {
                return SCEPKIT_OK;
            }
            continue;
        }
        if (ri->type == SCEPKIT_CMS_RI_KTRI && (!have_cert || scepkit_cms_id_matches(&ri->rid, &cert))) {
            return SCEPKIT_OK;
        }
    }
    memset(ri, 0, sizeof *ri);
    return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_ERR_CMS_NO_RECIPIENT : err;
}

/* Key transport: rsaEncryption (PKCS#1 v1.5, RFC 3370 §4.2.1) or id-RSAES-OAEP (RFC 3560). */
static scepkit_err unwrap_ktri(const scepkit_cms_recipient_info *ri, const scepkit_cms_open_params *p, uint8_t *cek,
                               size_t cek_len)
{
    skit_oid id = skit_oid_find(ri->key_enc_alg_oid);
    scepkit_md oaep_md = SCEPKIT_MD_NONE;
    scepkit_rsa_pad pad;
    if (id == SKIT_OID_RSA_ENCRYPTION) {
        skit_tlv t;
        if (ri->key_enc_params.len != 0 &&
            (skit_der_parse_one(ri->key_enc_params, 0, SKIT_TAG_NULL, &t) != SCEPKIT_OK || t.value.len != 0)) {
            return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
        }
        pad = SCEPKIT_RSA_PKCS1_V15;
    } else if (id == SKIT_OID_RSAES_OAEP) {
#if SCEPKIT_WITH_RSA_OAEP
        scepkit_err err = read_oaep_params(ri->key_enc_params, &oaep_md);
        if (err != SCEPKIT_OK) {
            return err;
        }
        pad = SCEPKIT_RSA_OAEP;
#else
        return SCEPKIT_ERR_DISABLED;
#endif
    } else {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    return scepkit_key_unwrap_cek(p->key, p->rng, pad, oaep_md, ri->encrypted_key.ptr, ri->encrypted_key.len, cek,
                                  cek_len);
}

#define CHUNK 256

/* Streams the encryptedContent segments through CBC decryption into out[0..cap). */
static scepkit_err decrypt_content(const scepkit_cms_enveloped *env, int allow_legacy, const uint8_t *cek, uint8_t *out,
                                   size_t cap, size_t *len)
{
    skit_cbc_ctx ctx;
    skit_octets_iter it;
    skit_der parent;
    skit_tlv t;
    scepkit_bytes seg, none = {NULL, 0};
    uint8_t buf[CHUNK + 32];
    size_t n = 0, got;
    scepkit_err err;

    memset(&ctx, 0, sizeof ctx);
    skit_der_init(&parent, none, der_flags(env->flags));
    err = skit_der_parse_one(env->encrypted_tlv, der_flags(env->flags), SKIT_TAG_CTX(0), &t);
    if (err == SCEPKIT_OK) {
        err = skit_octets_iter_init(&it, &parent, &t);
    }
    if (err == SCEPKIT_OK) {
        err = skit_cbc_decrypt_init(&ctx, env->cipher, allow_legacy, cek, env->iv.ptr);
    }
    while (err == SCEPKIT_OK && (err = skit_octets_next(&it, &seg)) == SCEPKIT_OK) {
        for (size_t off = 0; err == SCEPKIT_OK && off < seg.len; off += CHUNK) {
            size_t take = seg.len - off < CHUNK ? seg.len - off : CHUNK;
            err = skit_cbc_decrypt_update(&ctx, seg.ptr + off, take, buf, &got);
            if (err == SCEPKIT_OK && (got > sizeof buf || got > cap - n)) {
                err = SCEPKIT_ERR_DECRYPT;
            }
            if (err == SCEPKIT_OK && got > 0) {
                memcpy(out + n, buf, got);
                n += got;
            }
        }
    }
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        err = skit_cbc_decrypt_finish(&ctx, buf, &got);
        if (err == SCEPKIT_OK && (got > 16 || got > cap - n)) {
            err = SCEPKIT_ERR_DECRYPT;
        }
        if (err == SCEPKIT_OK && got > 0) {
            memcpy(out + n, buf, got);
            n += got;
        }
    }
    skit_cbc_free(&ctx);
    scepkit_wipe(buf, sizeof buf);
    if (err == SCEPKIT_OK) {
        *len = n;
    }
    return err;
}

scepkit_err scepkit_cms_enveloped_open(scepkit_bytes in, unsigned flags, const scepkit_cms_open_params *p, uint8_t *out,
                                       size_t cap, size_t *len)
{
    uint8_t cek[32];
    scepkit_cms_enveloped env;
    scepkit_cms_recipient_info ri;
    size_t cek_len;
    scepkit_err err = SCEPKIT_ERR_DECRYPT;

    memset(cek, 0, sizeof cek);
    if (len != NULL) {
        *len = 0;
    }
    if (p == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    err = scepkit_cms_enveloped_parse(in, flags, &env);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (env.cipher == SCEPKIT_CIPHER_NONE) {
        err = SCEPKIT_ERR_UNKNOWN_ALGORITHM;
        goto out;
    }
    if (env.cipher == SCEPKIT_CIPHER_DES_CBC && !p->allow_legacy) {
        err = SCEPKIT_ERR_LEGACY_DISABLED;
        goto out;
    }
    if (out == NULL || cap < env.encrypted_len) {
        *len = env.encrypted_len;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    cek_len = scepkit_cipher_key_size(env.cipher);
    if (cek_len == 0 || cek_len > sizeof cek) {
        err = SCEPKIT_ERR_UNKNOWN_ALGORITHM;
        goto out;
    }
    err = find_recipient(&env, p, &ri);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (ri.type == SCEPKIT_CMS_RI_PWRI) {
        err = skit_pwri_unwrap(&ri, p->password, cek, cek_len);
    } else {
        err = unwrap_ktri(&ri, p, cek, cek_len);
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    err = decrypt_content(&env, p->allow_legacy, cek, out, cap, len);
out:
    scepkit_wipe(cek, sizeof cek);
    if (err != SCEPKIT_OK) {
        if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            *len = 0;
        }
        if (out != NULL) {
            scepkit_wipe(out, cap);
        }
    }
    return err;
}
