/*
 * Certificate and CRL writer (RFC 5280 §4.1, §5.1), include/scepkit/x509.h.
 *
 * "The library hashes, the key port signs": the TBSCertificate / TBSCertList is written into the
 * caller's buffer, hashed where it lies, and only the digest goes to the key port. A size pass with
 * the longest signature the issuer key can make comes first, so nothing is signed unless the whole
 * result fits. On any error the caller's buffer is wiped.
 *
 * Digests: SHA-256 (default), SHA-384, SHA-512. SHA-1 is refused (SCEPKIT_ERR_UNSUPPORTED: no current
 * relying party wants new SHA-1 certificates) and MD5 too (SCEPKIT_ERR_LEGACY_DISABLED).
 */
#include <string.h>

#include "codec/charset.h"
#include "codec/cms_algs.h"
#include "codec/ext.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/x509.h"

/* Largest DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s } with a sign octet on each. */
#define ECDSA_P256_SIG_MAX (2 + 2 * (2 + 1 + 32))
#define ECDSA_P384_SIG_MAX (2 + 2 * (2 + 1 + 48))
/* RFC 5280 §4.1.2.2: serialNumber at most 20 octets (as encoded, sign octet included). */
#define SERIAL_MAX_OCTETS 20
/* Limits on caller lists: generous, and they keep every loop bounded. */
#define MAX_EKUS 32
#define MAX_KEY_ID 64

/* The issuer key as the signer sees it: signature algorithm, largest signature. */
typedef struct issuer_alg {
    skit_oid sig_oid;
    scepkit_key_type type;
    scepkit_md md;
    size_t sig_max;
} issuer_alg;

/* ---------------------------------------------------------------------------------------------- */
/* Parameter checks: everything that can be refused is refused before the key port is called. */

static scepkit_err check_md(scepkit_md in, scepkit_md *md)
{
    switch (in) {
    case SCEPKIT_MD_NONE:
        *md = SCEPKIT_MD_SHA256;
        return SCEPKIT_OK;
    case SCEPKIT_MD_SHA256:
    case SCEPKIT_MD_SHA384:
    case SCEPKIT_MD_SHA512:
        *md = in;
        return SCEPKIT_OK;
    case SCEPKIT_MD_MD5:
        return SCEPKIT_ERR_LEGACY_DISABLED;
    case SCEPKIT_MD_SHA1:
        return SCEPKIT_ERR_UNSUPPORTED;
    default:
        return SCEPKIT_ERR_ARG;
    }
}

/* A view that must be exactly one DER element with `tag`. */
static scepkit_err check_one(scepkit_bytes b, uint8_t tag)
{
    skit_tlv t;
    if (b.ptr == NULL || b.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_der_parse_one(b, 0, tag, &t) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_ARG;
}

/* A positive serial magnitude: leading zeros stripped, not zero, at most 20 octets once encoded. */
static scepkit_err check_serial(scepkit_bytes serial, scepkit_bytes *mag)
{
    size_t i = 0;
    if (serial.ptr == NULL || serial.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    while (i < serial.len && serial.ptr[i] == 0) {
        i++;
    }
    if (i == serial.len) {
        return SCEPKIT_ERR_ARG; /* zero is not a positive serial (RFC 5280 §4.1.2.2) */
    }
    mag->ptr = serial.ptr + i;
    mag->len = serial.len - i;
    size_t octets = mag->len + ((mag->ptr[0] & 0x80) != 0 ? 1 : 0);
    return octets <= SERIAL_MAX_OCTETS ? SCEPKIT_OK : SCEPKIT_ERR_ARG;
}

static scepkit_err check_uri(scepkit_bytes uri)
{
    if (uri.len == 0) {
        return SCEPKIT_OK;
    }
    if (uri.ptr == NULL || skit_str_check(SKIT_TAG_IA5_STRING, uri, NULL) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

static scepkit_err check_key_id(scepkit_bytes id)
{
    if (id.len == 0) {
        return SCEPKIT_OK;
    }
    return id.ptr != NULL && id.len <= MAX_KEY_ID ? SCEPKIT_OK : SCEPKIT_ERR_ARG;
}

/* The extensions this writer generates from the parameters; caller extensions may not repeat them. */
static bool generated_ext(const scepkit_x509_params *p, skit_oid id)
{
    switch (id) {
    case SKIT_OID_EXT_BASIC_CONSTRAINTS:
        return p->is_ca != 0;
    case SKIT_OID_EXT_KEY_USAGE:
        return p->key_usage != 0;
    case SKIT_OID_EXT_EXT_KEY_USAGE:
        return p->eku_count != 0;
    case SKIT_OID_EXT_SUBJECT_ALT_NAME:
        return p->san_der.len != 0;
    case SKIT_OID_EXT_SUBJECT_KEY_ID:
        return p->add_ski != 0;
    case SKIT_OID_EXT_AUTHORITY_KEY_ID:
        return p->aki_key_id.len != 0;
    case SKIT_OID_EXT_CRL_DISTRIBUTION_POINTS:
        return p->crl_dp_uri.len != 0;
    case SKIT_OID_EXT_AUTHORITY_INFO_ACCESS:
        return p->aia_ca_issuers_uri.len != 0 || p->aia_ocsp_uri.len != 0;
    default:
        return false;
    }
}

/* Caller extensions: each one DER Extension (strict), none generated here, no extnID twice (RFC 5280 §4.2). */
static scepkit_err check_extra_extensions(const scepkit_x509_params *p)
{
    for (size_t i = 0; i < p->extra_extension_count; i++) {
        scepkit_extension e;
        skit_der d;
        if (p->extra_extensions[i].ptr == NULL) {
            return SCEPKIT_ERR_ARG;
        }
        skit_der_init(&d, p->extra_extensions[i], 0);
        if (skit_extension_read(&d, &e, true) != SCEPKIT_OK || skit_der_done(&d) != SCEPKIT_OK) {
            return SCEPKIT_ERR_X509_EXTENSION;
        }
        if (generated_ext(p, skit_oid_find(e.oid))) {
            return SCEPKIT_ERR_X509_EXTENSION;
        }
        for (size_t j = 0; j < i; j++) {
            scepkit_extension e2;
            skit_der d2;
            skit_der_init(&d2, p->extra_extensions[j], 0);
            if (skit_extension_read(&d2, &e2, true) == SCEPKIT_OK && e2.oid.len == e.oid.len &&
                memcmp(e2.oid.ptr, e.oid.ptr, e.oid.len) == 0) {
                return SCEPKIT_ERR_X509_EXTENSION;
            }
        }
    }
    return SCEPKIT_OK;
}

/*
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }  (§4.1)
 * Returns the subjectPublicKey bits (what the key identifier is computed over, §4.2.1.2 method (1)).
 */
static scepkit_err spki_key_bits(scepkit_bytes spki, scepkit_bytes *bits)
{
    skit_der top, seq;
    skit_tlv alg, key;
    uint8_t unused = 0;
    skit_der_init(&top, spki, 0);
    if (skit_der_enter(&top, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK || skit_der_done(&top) != SCEPKIT_OK ||
        skit_der_expect(&seq, SKIT_TAG_SEQUENCE, &alg) != SCEPKIT_OK ||
        skit_der_expect(&seq, SKIT_TAG_BIT_STRING, &key) != SCEPKIT_OK || skit_der_done(&seq) != SCEPKIT_OK ||
        skit_der_bits(&key, &unused, bits) != SCEPKIT_OK || unused != 0 || bits->len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

static scepkit_err check_cert_params(const scepkit_x509_params *p, scepkit_bytes *serial)
{
    scepkit_bytes bits;
    scepkit_err err = check_serial(p->serial, serial);
    if (err == SCEPKIT_OK) {
        err = check_one(p->issuer, SKIT_TAG_SEQUENCE);
    }
    if (err == SCEPKIT_OK) {
        err = check_one(p->subject, SKIT_TAG_SEQUENCE);
    }
    if (err == SCEPKIT_OK) {
        err = p->spki.ptr != NULL ? spki_key_bits(p->spki, &bits) : SCEPKIT_ERR_ARG;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (p->not_after < p->not_before || (p->is_ca && p->path_len > 255) || (p->key_usage & ~(uint32_t)0x1ffu) != 0 ||
        p->eku_count > MAX_EKUS || (p->eku_count != 0 && p->ekus == NULL) ||
        (p->extra_extension_count != 0 && p->extra_extensions == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < p->eku_count; i++) {
        if (p->ekus[i].ptr == NULL || skit_der_oid_check(p->ekus[i]) != SCEPKIT_OK) {
            return SCEPKIT_ERR_ARG;
        }
    }
    if (p->san_der.len != 0 && check_one(p->san_der, SKIT_TAG_SEQUENCE) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    /* RFC 5280 §4.2.1.6: with an empty subject the identity is in the SAN, which then must exist. */
    if (p->subject.len == 2 && p->san_der.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    err = check_key_id(p->aki_key_id);
    if (err == SCEPKIT_OK) {
        err = check_uri(p->crl_dp_uri);
    }
    if (err == SCEPKIT_OK) {
        err = check_uri(p->aia_ca_issuers_uri);
    }
    if (err == SCEPKIT_OK) {
        err = check_uri(p->aia_ocsp_uri);
    }
    if (err == SCEPKIT_OK) {
        err = check_extra_extensions(p);
    }
    return err;
}

/*
 * The signature algorithm follows the issuer key (RFC 4055 §5: shaNWithRSAEncryption with NULL
 * parameters; RFC 5758 §3.2: ecdsa-with-SHAn without parameters), and the key bounds the signature.
 */
static scepkit_err issuer_alg_of(scepkit_bytes issuer_spki, scepkit_md md, issuer_alg *a)
{
    size_t bits = 0;
    scepkit_err err = scepkit_spki_info(issuer_spki, &a->type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    a->md = md;
    switch (a->type) {
    case SCEPKIT_KEY_RSA:
        a->sig_oid = skit_sig_oid(SCEPKIT_SIG_RSA_PKCS1, md);
        a->sig_max = (bits + 7) / 8;
        break;
    case SCEPKIT_KEY_EC_P256:
        a->sig_oid = skit_sig_oid(SCEPKIT_SIG_ECDSA, md);
        a->sig_max = ECDSA_P256_SIG_MAX;
        break;
    case SCEPKIT_KEY_EC_P384:
        a->sig_oid = skit_sig_oid(SCEPKIT_SIG_ECDSA, md);
        a->sig_max = ECDSA_P384_SIG_MAX;
        break;
    default:
        return SCEPKIT_ERR_KEY_TYPE;
    }
    if (a->sig_oid == SKIT_OID_UNKNOWN || a->sig_max == 0 || a->sig_max > SCEPKIT_MAX_SIG_SIZE) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Encoders. They report problems through the writer's sticky error. */

/* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }  (§4.1)
 * Opens the extension and its extnValue; ext_end() closes both. */
static void ext_begin(skit_derw *w, skit_oid id, bool critical)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(id));
    if (critical) {
        skit_derw_bool(w, true); /* DER: the DEFAULT FALSE is never written */
    }
    skit_derw_open(w, SKIT_TAG_OCTET_STRING);
}

static void ext_end(skit_derw *w)
{
    skit_derw_close(w);
    skit_derw_close(w);
}

/* GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String  (§4.2.1.6) */
static void write_uri(skit_derw *w, scepkit_bytes uri)
{
    skit_derw_tlv(w, (uint8_t)SKIT_TAG_CTX(6), uri.ptr, uri.len);
}

/* AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER, accessLocation GeneralName }  (§4.2.2.1) */
static void write_access(skit_derw *w, skit_oid method, scepkit_bytes uri)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(method));
    write_uri(w, uri);
    skit_derw_close(w);
}

/*
 * Extensions, in this order (any order is valid; this one is what openssl x509 prints):
 *   basicConstraints   critical  SEQUENCE { cA BOOLEAN TRUE, pathLenConstraint INTEGER OPTIONAL } (§4.2.1.9)
 *   keyUsage           critical  BIT STRING                                                     (§4.2.1.3)
 *   extKeyUsage                  SEQUENCE OF KeyPurposeId                                       (§4.2.1.12)
 *   subjectAltName     critical only with an empty subject: GeneralNames as given                (§4.2.1.6)
 *   subjectKeyIdentifier         OCTET STRING, SHA-1 of the subjectPublicKey bits                (§4.2.1.2)
 *   authorityKeyIdentifier       SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }            (§4.2.1.1)
 *   cRLDistributionPoints        SEQUENCE OF DistributionPoint {                                 (§4.2.1.13)
 *                                  distributionPoint [0] { fullName [0] IMPLICIT GeneralNames } }
 *   authorityInfoAccess          SEQUENCE OF AccessDescription (caIssuers, ocsp)                 (§4.2.2.1)
 *   then the caller's extensions as given.
 */
static void write_cert_extensions(skit_derw *w, const scepkit_x509_params *p, const uint8_t *ski, size_t ski_len)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    if (p->is_ca) {
        ext_begin(w, SKIT_OID_EXT_BASIC_CONSTRAINTS, true);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_bool(w, true);
        if (p->path_len >= 0) {
            skit_derw_int64(w, p->path_len);
        }
        skit_derw_close(w);
        ext_end(w);
    }
    if (p->key_usage != 0) {
        ext_begin(w, SKIT_OID_EXT_KEY_USAGE, true);
        skit_derw_named_bits(w, p->key_usage);
        ext_end(w);
    }
    if (p->eku_count != 0) {
        ext_begin(w, SKIT_OID_EXT_EXT_KEY_USAGE, false);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        for (size_t i = 0; i < p->eku_count; i++) {
            skit_derw_oid(w, p->ekus[i]);
        }
        skit_derw_close(w);
        ext_end(w);
    }
    if (p->san_der.len != 0) {
        ext_begin(w, SKIT_OID_EXT_SUBJECT_ALT_NAME, p->subject.len == 2);
        skit_derw_raw(w, p->san_der.ptr, p->san_der.len);
        ext_end(w);
    }
    if (p->add_ski) {
        ext_begin(w, SKIT_OID_EXT_SUBJECT_KEY_ID, false);
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, ski, ski_len);
        ext_end(w);
    }
    if (p->aki_key_id.len != 0) {
        ext_begin(w, SKIT_OID_EXT_AUTHORITY_KEY_ID, false);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_tlv(w, (uint8_t)SKIT_TAG_CTX(0), p->aki_key_id.ptr, p->aki_key_id.len);
        skit_derw_close(w);
        ext_end(w);
    }
    if (p->crl_dp_uri.len != 0) {
        ext_begin(w, SKIT_OID_EXT_CRL_DISTRIBUTION_POINTS, false);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
        write_uri(w, p->crl_dp_uri);
        skit_derw_close(w);
        skit_derw_close(w);
        skit_derw_close(w);
        skit_derw_close(w);
        ext_end(w);
    }
    if (p->aia_ca_issuers_uri.len != 0 || p->aia_ocsp_uri.len != 0) {
        ext_begin(w, SKIT_OID_EXT_AUTHORITY_INFO_ACCESS, false);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        if (p->aia_ocsp_uri.len != 0) {
            write_access(w, SKIT_OID_AD_OCSP, p->aia_ocsp_uri);
        }
        if (p->aia_ca_issuers_uri.len != 0) {
            write_access(w, SKIT_OID_AD_CA_ISSUERS, p->aia_ca_issuers_uri);
        }
        skit_derw_close(w);
        ext_end(w);
    }
    for (size_t i = 0; i < p->extra_extension_count; i++) {
        skit_derw_raw(w, p->extra_extensions[i].ptr, p->extra_extensions[i].len);
    }
    skit_derw_close(w);
}

static bool has_cert_extensions(const scepkit_x509_params *p)
{
    return p->is_ca || p->key_usage != 0 || p->eku_count != 0 || p->san_der.len != 0 || p->add_ski ||
           p->aki_key_id.len != 0 || p->crl_dp_uri.len != 0 || p->aia_ca_issuers_uri.len != 0 ||
           p->aia_ocsp_uri.len != 0 || p->extra_extension_count != 0;
}

/* Signature AlgorithmIdentifier: RSA with NULL parameters (RFC 4055 §5), ECDSA without (RFC 5758 §3.2). */
static void write_sig_alg(skit_derw *w, const issuer_alg *a)
{
    skit_algid_write(w, a->sig_oid, a->type == SCEPKIT_KEY_RSA);
}

/*
 * RFC 5280 §4.1:
 *   TBSCertificate ::= SEQUENCE {
 *        version         [0]  EXPLICIT Version DEFAULT v1,      -- v3 (2)
 *        serialNumber         CertificateSerialNumber,
 *        signature            AlgorithmIdentifier,
 *        issuer               Name,
 *        validity             Validity,                         -- SEQUENCE { notBefore Time, notAfter Time }
 *        subject              Name,
 *        subjectPublicKeyInfo SubjectPublicKeyInfo,
 *        issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,   -- never written (§4.1.2.8)
 *        subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,   -- never written
 *        extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * Time: UTCTime through 2049, GeneralizedTime from 2050 (§4.1.2.5), done by skit_derw_time().
 */
static void write_tbs_cert(skit_derw *w, const scepkit_x509_params *p, scepkit_bytes serial, const issuer_alg *a,
                           const uint8_t *ski, size_t ski_len)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
    skit_derw_int64(w, 2);
    skit_derw_close(w);
    skit_derw_uint_bytes(w, SKIT_TAG_INTEGER, serial.ptr, serial.len);
    write_sig_alg(w, a);
    skit_derw_raw(w, p->issuer.ptr, p->issuer.len);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_time(w, p->not_before);
    skit_derw_time(w, p->not_after);
    skit_derw_close(w);
    skit_derw_raw(w, p->subject.ptr, p->subject.len);
    skit_derw_raw(w, p->spki.ptr, p->spki.len);
    if (has_cert_extensions(p)) {
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(3));
        write_cert_extensions(w, p, ski, ski_len);
        skit_derw_close(w);
    }
    skit_derw_close(w);
}

/* One revoked entry (§5.1):
 *   SEQUENCE { userCertificate CertificateSerialNumber, revocationDate Time, crlEntryExtensions Extensions OPTIONAL }
 *   reasonCode (§5.3.1): Extension { id-ce-cRLReasons, extnValue OCTET STRING { CRLReason ENUMERATED } } */
static void write_crl_entry(skit_derw *w, const scepkit_crl_entry *e, scepkit_bytes serial)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_uint_bytes(w, SKIT_TAG_INTEGER, serial.ptr, serial.len);
    skit_derw_time(w, e->revoked_at);
    if (e->reason >= 0) {
        uint8_t r = (uint8_t)e->reason;
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        ext_begin(w, SKIT_OID_EXT_CRL_REASON, false);
        skit_derw_tlv(w, SKIT_TAG_ENUMERATED, &r, 1);
        ext_end(w);
        skit_derw_close(w);
    }
    skit_derw_close(w);
}

/* Serial of a CRL entry without its leading zeros (checked already). */
static scepkit_bytes entry_serial(const scepkit_crl_entry *e)
{
    scepkit_bytes s = e->serial;
    while (s.len > 1 && s.ptr[0] == 0) {
        s.ptr++;
        s.len--;
    }
    return s;
}

/*
 * RFC 5280 §5.1:
 *   TBSCertList ::= SEQUENCE {
 *        version              Version OPTIONAL,      -- v2 (1): extensions are used
 *        signature            AlgorithmIdentifier,
 *        issuer               Name,
 *        thisUpdate           Time,
 *        nextUpdate           Time OPTIONAL,         -- always written (§5.1.2.5: conforming CAs MUST)
 *        revokedCertificates  SEQUENCE OF SEQUENCE { ... } OPTIONAL,   -- absent when empty (§5.1.2.6)
 *        crlExtensions   [0]  EXPLICIT Extensions OPTIONAL }
 *   crlExtensions: authorityKeyIdentifier (§5.2.1, when given), cRLNumber INTEGER (0..MAX) (§5.2.3).
 */
static void write_tbs_crl(skit_derw *w, const scepkit_crl_params *p, const issuer_alg *a)
{
    uint8_t num[8];
    for (size_t i = 0; i < 8; i++) {
        num[i] = (uint8_t)(p->crl_number >> (56 - 8 * i));
    }
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, 1);
    write_sig_alg(w, a);
    skit_derw_raw(w, p->issuer.ptr, p->issuer.len);
    skit_derw_time(w, p->this_update);
    skit_derw_time(w, p->next_update);
    if (p->entry_count != 0) {
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        for (size_t i = 0; i < p->entry_count; i++) {
            write_crl_entry(w, &p->entries[i], entry_serial(&p->entries[i]));
        }
        skit_derw_close(w);
    }
    skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    if (p->aki_key_id.len != 0) {
        ext_begin(w, SKIT_OID_EXT_AUTHORITY_KEY_ID, false);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_tlv(w, (uint8_t)SKIT_TAG_CTX(0), p->aki_key_id.ptr, p->aki_key_id.len);
        skit_derw_close(w);
        ext_end(w);
    }
    ext_begin(w, SKIT_OID_EXT_CRL_NUMBER, false);
    skit_derw_uint_bytes(w, SKIT_TAG_INTEGER, num, sizeof num);
    ext_end(w);
    skit_derw_close(w);
    skit_derw_close(w);
    skit_derw_close(w);
}

/* ---------------------------------------------------------------------------------------------- */
/* The shared signing frame: Certificate and CertificateList have the same outer shape.
 *   SEQUENCE { tbs, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }  (§4.1, §5.1) */

typedef void (*tbs_fn)(skit_derw *w, const void *ctx);

typedef struct cert_ctx {
    const scepkit_x509_params *p;
    scepkit_bytes serial;
    const issuer_alg *a;
    const uint8_t *ski;
    size_t ski_len;
} cert_ctx;

typedef struct crl_ctx {
    const scepkit_crl_params *p;
    const issuer_alg *a;
} crl_ctx;

static void cert_tbs(skit_derw *w, const void *ctx)
{
    const cert_ctx *c = ctx;
    write_tbs_cert(w, c->p, c->serial, c->a, c->ski, c->ski_len);
}

static void crl_tbs(skit_derw *w, const void *ctx)
{
    const crl_ctx *c = ctx;
    write_tbs_crl(w, c->p, c->a);
}

/* Size pass with the longest signature, then (only if it fits) the real pass: TBS written, hashed where it
 * lies, signed by the key port, then the algorithm and the signature appended. */
static scepkit_err sign_frame(tbs_fn fn, const void *ctx, const issuer_alg *a, scepkit_key key, uint8_t *sig,
                              uint8_t *out, size_t cap, size_t *len, bool *touched)
{
    uint8_t digest[SCEPKIT_MD_MAX_SIZE];
    size_t digest_len = 0, need = 0, sig_len = 0;
    skit_derw w;
    scepkit_err err;

    skit_derw_init(&w, NULL, 0);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    fn(&w, ctx);
    write_sig_alg(&w, a);
    skit_derw_bits(&w, 0, sig, a->sig_max);
    skit_derw_close(&w);
    err = skit_derw_finish(&w, &need);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
    }
    if (out == NULL || cap < need) {
        *len = need;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }

    *touched = true;
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    size_t tbs_start = w.pos;
    fn(&w, ctx);
    if (w.err != SCEPKIT_OK || !skit_derw_real(&w) || w.pos <= tbs_start) {
        return w.err != SCEPKIT_OK ? w.err : SCEPKIT_ERR_INTERNAL;
    }
    err =
        scepkit_digest(a->md, (scepkit_bytes){out + tbs_start, w.pos - tbs_start}, digest, sizeof digest, &digest_len);
    if (err == SCEPKIT_OK) {
        err = scepkit_key_sign_digest(key, a->md, digest, digest_len, sig, a->sig_max, &sig_len);
    }
    scepkit_wipe(digest, sizeof digest);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (sig_len == 0 || sig_len > a->sig_max) {
        return SCEPKIT_ERR_INTERNAL;
    }
    write_sig_alg(&w, a);
    skit_derw_bits(&w, 0, sig, sig_len);
    skit_derw_close(&w);
    return skit_derw_finish(&w, len);
}

/* Issuer public key into the arena, its algorithm, and the signature buffer. */
static scepkit_err issuer_setup(scepkit_key key, scepkit_md md, scepkit_arena *scratch, issuer_alg *a, uint8_t **sig)
{
    void *mem = NULL;
    size_t spki_len = 0;
    scepkit_err err = scepkit_arena_alloc(scratch, SCEPKIT_MAX_SPKI_SIZE, &mem);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_key_public(key, mem, SCEPKIT_MAX_SPKI_SIZE, &spki_len);
    if (err == SCEPKIT_OK) {
        err = issuer_alg_of((scepkit_bytes){mem, spki_len}, md, a);
    }
    if (err == SCEPKIT_OK) {
        err = scepkit_arena_alloc(scratch, a->sig_max, &mem);
    }
    if (err == SCEPKIT_OK) {
        *sig = mem;
    }
    return err;
}

scepkit_err scepkit_x509_write(const scepkit_x509_params *params, scepkit_key issuer_key, scepkit_arena *scratch,
                               uint8_t *out, size_t cap, size_t *len)
{
    uint8_t ski[20];
    cert_ctx c;
    scepkit_bytes serial = {NULL, 0}, key_bits;
    scepkit_md md = SCEPKIT_MD_NONE;
    issuer_alg a;
    uint8_t *sig = NULL;
    size_t mark = 0, ski_len = 0;
    bool marked = false, touched = false;
    scepkit_err err;

    if (len != NULL) {
        *len = 0;
    }
    if (params == NULL || scratch == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(&a, 0, sizeof a);
    err = check_md(params->md, &md);
    if (err == SCEPKIT_OK) {
        err = check_cert_params(params, &serial);
    }
    if (err == SCEPKIT_OK && params->add_ski) {
        err = spki_key_bits(params->spki, &key_bits);
        if (err == SCEPKIT_OK) {
            err = scepkit_digest(SCEPKIT_MD_SHA1, key_bits, ski, sizeof ski, &ski_len);
        }
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    mark = scepkit_arena_mark(scratch);
    marked = true;
    err = issuer_setup(issuer_key, md, scratch, &a, &sig);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    c.p = params;
    c.serial = serial;
    c.a = &a;
    c.ski = ski;
    c.ski_len = ski_len;
    err = sign_frame(cert_tbs, &c, &a, issuer_key, sig, out, cap, len, &touched);
out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL && touched) {
        scepkit_wipe(out, cap);
    }
    if (marked) {
        scepkit_arena_release(scratch, mark);
    }
    return err;
}

static scepkit_err check_crl_params(const scepkit_crl_params *p)
{
    scepkit_err err = check_one(p->issuer, SKIT_TAG_SEQUENCE);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (p->next_update < p->this_update || (p->entry_count != 0 && p->entries == NULL) ||
        check_key_id(p->aki_key_id) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < p->entry_count; i++) {
        scepkit_bytes mag;
        const scepkit_crl_entry *e = &p->entries[i];
        /* CRLReason 0..10 without the unused value 7 (§5.3.1). */
        if (check_serial(e->serial, &mag) != SCEPKIT_OK || e->reason < -1 || e->reason > 10 || e->reason == 7) {
            return SCEPKIT_ERR_ARG;
        }
    }
    return SCEPKIT_OK;
}

scepkit_err scepkit_crl_write(const scepkit_crl_params *params, scepkit_key issuer_key, scepkit_arena *scratch,
                              uint8_t *out, size_t cap, size_t *len)
{
    scepkit_md md = SCEPKIT_MD_NONE;
    crl_ctx c;
    issuer_alg a;
    uint8_t *sig = NULL;
    size_t mark = 0;
    bool marked = false, touched = false;
    scepkit_err err;

    if (len != NULL) {
        *len = 0;
    }
    if (params == NULL || scratch == NULL || len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(&a, 0, sizeof a);
    err = check_md(params->md, &md);
    if (err == SCEPKIT_OK) {
        err = check_crl_params(params);
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    mark = scepkit_arena_mark(scratch);
    marked = true;
    err = issuer_setup(issuer_key, md, scratch, &a, &sig);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    c.p = params;
    c.a = &a;
    err = sign_frame(crl_tbs, &c, &a, issuer_key, sig, out, cap, len, &touched);
out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL && touched) {
        scepkit_wipe(out, cap);
    }
    if (marked) {
        scepkit_arena_release(scratch, mark);
    }
    return err;
}
