/* CMS EnvelopedData writer (RFC 5652 §6): key transport to RSA recipients and password recipients. DER output. */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_internal.h"
#include "codec/cms_pwri.h"
#include "der/der.h"
#include "der/oid.h"
#include "port/crypto_port.h"
#include "scepkit/cms.h"

#define DEFAULT_PBKDF2_ITERATIONS 10000u

/*
 * RSAES-OAEP-params (RFC 4055 §3.1) for hash H: [0] { H } [1] { id-mgf1, { H } }; the label is the
 * default (empty). SHA-1 is all defaults: an empty SEQUENCE.
 */
static void write_oaep_alg(skit_derw *w, scepkit_md md)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_RSAES_OAEP));
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    if (md != SCEPKIT_MD_SHA1) {
        skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
        skit_algid_write(w, skit_md_oid(md), false);
        skit_derw_close(w);
        skit_derw_open(w, SKIT_TAG_CTX_CONS(1));
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_MGF1));
        skit_algid_write(w, skit_md_oid(md), false);
        skit_derw_close(w);
        skit_derw_close(w);
    }
    skit_derw_close(w);
    skit_derw_close(w);
}

/*
 * KeyTransRecipientInfo ::= SEQUENCE {                                        (RFC 5652 §6.2.1)
 *     version CMSVersion,  -- 0 with issuerAndSerialNumber, 2 with subjectKeyIdentifier
 *     rid RecipientIdentifier,
 *     keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,  -- rsaEncryption + NULL (RFC 3370 §4.2.1) or OAEP
 *     encryptedKey EncryptedKey }
 * The RSA output is written straight into its place in the output buffer.
 */
static scepkit_err write_ktri(skit_derw *w, const scepkit_cms_recipient *r, scepkit_rng rng, const uint8_t *cek,
                              size_t cek_len)
{
    scepkit_x509 cert;
    scepkit_key_type type;
    size_t bits, k, got = 0;
    scepkit_rsa_pad pad = r->pad == 0 ? SCEPKIT_RSA_PKCS1_V15 : r->pad;
    scepkit_md md = r->oaep_md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : r->oaep_md;
    uint8_t *dst;
    scepkit_err err = scepkit_x509_parse(r->cert, &cert);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_spki_info(cert.spki, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (type != SCEPKIT_KEY_RSA) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    if (pad != SCEPKIT_RSA_PKCS1_V15 && pad != SCEPKIT_RSA_OAEP) {
        return SCEPKIT_ERR_ARG;
    }
#if !SCEPKIT_WITH_RSA_OAEP
    if (pad == SCEPKIT_RSA_OAEP) {
        return SCEPKIT_ERR_DISABLED;
    }
#endif
    if (pad == SCEPKIT_RSA_OAEP && (md == SCEPKIT_MD_MD5 || skit_md_oid(md) == SKIT_OID_UNKNOWN)) {
        return SCEPKIT_ERR_ARG;
    }
    if (r->use_ski && !cert.has_ski) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    k = (bits + 7) / 8;
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, r->use_ski ? 2 : 0);
    if (r->use_ski) {
        skit_derw_tlv(w, SKIT_TAG_CTX(0), cert.ski.ptr, cert.ski.len);
    } else {
        skit_cms_write_issuer_serial(w, &cert);
    }
    if (pad == SCEPKIT_RSA_OAEP) {
        write_oaep_alg(w, md);
    } else {
        skit_algid_write(w, SKIT_OID_RSA_ENCRYPTION, true);
    }
    /* Filled before the enclosing close(): closing may move the contents to make room for the length. */
    skit_derw_open(w, SKIT_TAG_OCTET_STRING);
    dst = skit_derw_reserve(w, k);
    if (dst != NULL) {
        err = skit_rsa_encrypt(cert.spki, rng, pad, md, cek, cek_len, dst, k, &got);
        if (err == SCEPKIT_OK && got != k) {
            err = SCEPKIT_ERR_INTERNAL;
        }
    }
    skit_derw_close(w);
    skit_derw_close(w);
    return err;
}

/*
 * ContentInfo { id-envelopedData, [0] EXPLICIT EnvelopedData }               (RFC 5652 §6.1)
 * EnvelopedData ::= SEQUENCE {
 *     version CMSVersion,   -- 0: only v0 KTRIs; 2: a v2 KTRI; 3: a PWRI (§6.1 rules)
 *     recipientInfos SET SIZE (1..MAX) OF RecipientInfo,
 *     encryptedContentInfo SEQUENCE {
 *         contentType id-data,
 *         contentEncryptionAlgorithm { cipher OID, IV OCTET STRING },
 *         encryptedContent [0] IMPLICIT OCTET STRING } }
 * The recipient SET is written in the caller's order (sorting would need the final RSA outputs first).
 */
static scepkit_err write_enveloped(skit_derw *w, const scepkit_cms_enveloped_params *p, scepkit_cipher cipher,
                                   const uint8_t *cek, size_t cek_len, const uint8_t *iv)
{
    size_t bs = scepkit_cipher_block_size(cipher);
    size_t ct_len = (p->content.len / bs + 1) * bs;
    int version = 0;
    uint8_t *dst;
    scepkit_err err = SCEPKIT_OK;
    for (size_t i = 0; i < p->recipient_count; i++) {
        if (p->recipients[i].use_ski) {
            version = 2;
        }
    }
    if (p->password.len != 0) {
        version = 3;
    }
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CMS_ENVELOPED_DATA));
    skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, version);
    skit_derw_open(w, SKIT_TAG_SET);
    for (size_t i = 0; i < p->recipient_count && err == SCEPKIT_OK; i++) {
        err = write_ktri(w, &p->recipients[i], p->rng, cek, cek_len);
    }
    if (err == SCEPKIT_OK && p->password.len != 0) {
        err = skit_pwri_write(
            w, p->password, p->pbkdf2_iterations == 0 ? DEFAULT_PBKDF2_ITERATIONS : p->pbkdf2_iterations,
            p->pbkdf2_md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->pbkdf2_md, cipher, p->rng, cek, cek_len);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_derw_close(w);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CMS_DATA));
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(skit_cipher_oid(cipher)));
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, iv, bs);
    skit_derw_close(w);
    skit_derw_open(w, SKIT_TAG_CTX(0));
    dst = skit_derw_reserve(w, ct_len);
    if (dst != NULL) {
        size_t got = 0;
        err = skit_cbc_encrypt(cipher, cek, iv, p->content.ptr, p->content.len, dst, ct_len, &got);
        if (err == SCEPKIT_OK && got != ct_len) {
            err = SCEPKIT_ERR_INTERNAL;
        }
    }
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
    return err;
}

scepkit_err scepkit_cms_enveloped_write(const scepkit_cms_enveloped_params *p, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t cek[32], iv[16];
    scepkit_cipher cipher;
    size_t cek_len;
    skit_derw w;
    scepkit_err err = SCEPKIT_ERR_INTERNAL;

    memset(cek, 0, sizeof cek);
    memset(iv, 0, sizeof iv);
    if (len != NULL) {
        *len = 0;
    }
    if (p == NULL || len == NULL || (out == NULL && cap != 0) || (p->content.ptr == NULL && p->content.len != 0) ||
        (p->recipient_count > 0 && p->recipients == NULL) || (p->recipient_count == 0 && p->password.len == 0) ||
        (p->password.len != 0 && p->password.ptr == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    cipher = p->cipher == SCEPKIT_CIPHER_NONE ? SCEPKIT_CIPHER_AES128_CBC : p->cipher;
    if (cipher == SCEPKIT_CIPHER_DES_CBC || skit_cipher_oid(cipher) == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    cek_len = scepkit_cipher_key_size(cipher);
    if (cek_len == 0 || cek_len > sizeof cek) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    /* Size pass first: no randomness or key material is spent on a buffer that is too small. */
    skit_derw_init(&w, NULL, 0);
    err = write_enveloped(&w, p, cipher, cek, cek_len, iv);
    if (err == SCEPKIT_OK) {
        err = skit_derw_finish(&w, len);
    }
    if (err == SCEPKIT_OK || err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = (out == NULL || *len > cap) ? SCEPKIT_ERR_BUFFER_TOO_SMALL : SCEPKIT_OK;
    }
    if (err == SCEPKIT_OK) {
        err = skit_random(p->rng, cek, cek_len);
        if (err == SCEPKIT_OK) {
            err = skit_random(p->rng, iv, scepkit_cipher_block_size(cipher));
        }
        if (err == SCEPKIT_OK) {
            skit_derw_init(&w, out, cap);
            err = write_enveloped(&w, p, cipher, cek, cek_len, iv);
        }
        if (err == SCEPKIT_OK) {
            err = skit_derw_finish(&w, len);
        }
    }
    scepkit_wipe(cek, sizeof cek);
    scepkit_wipe(iv, sizeof iv);
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL) {
        scepkit_wipe(out, cap);
    }
    return err;
}
