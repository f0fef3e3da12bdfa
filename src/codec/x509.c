/* A minimal zero-copy X.509 certificate view (RFC 5280). Pure function of its bytes: no crypto, no heap. */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/ext.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/x509.h"

/* INTEGER contents: non-empty and minimal (X.690 8.3.2); negative serials are tolerated. */
static scepkit_err serial_check(const skit_tlv *t)
{
    const uint8_t *v = t->value.ptr;
    if (t->value.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (t->value.len > 1 && ((v[0] == 0x00 && (v[1] & 0x80) == 0) || (v[0] == 0xff && (v[1] & 0x80) != 0))) {
        return SCEPKIT_ERR_DER_NONMINIMAL;
    }
    return SCEPKIT_OK;
}

/*
 * KeyUsage ::= BIT STRING { digitalSignature (0), ... decipherOnly (8) }     (RFC 5280 §4.2.1.3)
 * Bit 0 is the most significant bit of the first octet.
 */
static scepkit_err read_key_usage(scepkit_bytes value, uint32_t *ku)
{
    skit_tlv t;
    scepkit_bytes bits;
    uint8_t unused;
    scepkit_err err = skit_der_parse_one(value, 0, SKIT_TAG_BIT_STRING, &t);
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    err = skit_der_bits(&t, &unused, &bits);
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    *ku = 0;
    for (size_t i = 0; i < bits.len && i < 2; i++) {
        for (unsigned b = 0; b < 8; b++) {
            if ((bits.ptr[i] & (0x80u >> b)) != 0) {
                *ku |= 1u << (i * 8 + b);
            }
        }
    }
    return SCEPKIT_OK;
}

/*
 * BasicConstraints ::= SEQUENCE {                                             (RFC 5280 §4.2.1.9)
 *     cA                      BOOLEAN DEFAULT FALSE,
 *     pathLenConstraint       INTEGER (0..MAX) OPTIONAL }
 */
static scepkit_err read_basic_constraints(scepkit_bytes value, int *is_ca, int *path_len)
{
    skit_der top, seq;
    skit_tlv t;
    bool present;
    bool ca = false;
    int64_t pl;
    skit_der_init(&top, value, 0);
    if (skit_der_enter(&top, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK || skit_der_done(&top) != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    if (skit_der_optional(&seq, SKIT_TAG_BOOLEAN, &t, &present) != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    /* DER 11.5: a DEFAULT value is not encoded, so an explicit FALSE is an error. */
    if (present && (skit_der_bool(&t, &ca) != SCEPKIT_OK || !ca)) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    *path_len = -1;
    if (skit_der_optional(&seq, SKIT_TAG_INTEGER, &t, &present) != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    if (present) {
        if (skit_der_int64(&t, &pl) != SCEPKIT_OK || pl < 0 || pl > 255) {
            return SCEPKIT_ERR_X509_EXTENSION;
        }
        *path_len = (int)pl;
    }
    if (skit_der_done(&seq) != SCEPKIT_OK) {
        return SCEPKIT_ERR_X509_EXTENSION;
    }
    *is_ca = ca ? 1 : 0;
    return SCEPKIT_OK;
}

/*
 * Extension ::= SEQUENCE {                                                    (RFC 5280 §4.1)
 *     extnID      OBJECT IDENTIFIER,
 *     critical    BOOLEAN DEFAULT FALSE,
 *     extnValue   OCTET STRING }
 */
scepkit_err skit_extension_read(skit_der *d, scepkit_extension *ext, bool strict)
{
    skit_der seq;
    skit_tlv oid, crit, val;
    bool present, c = false;
    scepkit_err err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&seq, SKIT_TAG_OID, &oid);
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_optional(&seq, SKIT_TAG_BOOLEAN, &crit, &present);
    }
    if (err == SCEPKIT_OK && present) {
        err = skit_der_bool(&crit, &c);
        if (err == SCEPKIT_OK && !c && strict) {
            err = SCEPKIT_ERR_X509_EXTENSION; /* DER: DEFAULT FALSE is never encoded */
        }
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&seq, SKIT_TAG_OCTET_STRING, &val);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&seq);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    ext->oid = oid.value;
    ext->critical = c ? 1 : 0;
    ext->value = val.value;
    return SCEPKIT_OK;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; each extnID at most once (RFC 5280 §4.2). */
static scepkit_err read_extensions(scepkit_bytes contents, scepkit_x509 *c)
{
    skit_der d;
    scepkit_extension ext;
    scepkit_err err;
    size_t count = 0;
    skit_der_init(&d, contents, 0);
    while (skit_der_more(&d)) {
        skit_der dup;
        skit_oid id;
        err = skit_extension_read(&d, &ext, true);
        if (err != SCEPKIT_OK) {
            return err;
        }
        count++;
        /* Duplicate check against every earlier extension (certificates carry a handful). */
        skit_der_init(&dup, contents, 0);
        for (size_t i = 0; i + 1 < count; i++) {
            scepkit_extension prev;
            err = skit_extension_read(&dup, &prev, true);
            if (err != SCEPKIT_OK) {
                return err;
            }
            if (prev.oid.len == ext.oid.len && memcmp(prev.oid.ptr, ext.oid.ptr, ext.oid.len) == 0) {
                return SCEPKIT_ERR_X509_EXTENSION;
            }
        }
        id = skit_oid_find(ext.oid);
        if (id == SKIT_OID_EXT_SUBJECT_KEY_ID) {
            skit_tlv t;
            /* SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING (RFC 5280 §4.2.1.2) */
            if (skit_der_parse_one(ext.value, 0, SKIT_TAG_OCTET_STRING, &t) != SCEPKIT_OK || t.value.len == 0) {
                return SCEPKIT_ERR_X509_EXTENSION;
            }
            c->ski = t.value;
            c->has_ski = 1;
        } else if (id == SKIT_OID_EXT_KEY_USAGE) {
            err = read_key_usage(ext.value, &c->key_usage);
            if (err != SCEPKIT_OK) {
                return err;
            }
            c->has_key_usage = 1;
        } else if (id == SKIT_OID_EXT_BASIC_CONSTRAINTS) {
            err = read_basic_constraints(ext.value, &c->is_ca, &c->path_len);
            if (err != SCEPKIT_OK) {
                return err;
            }
            c->has_basic_constraints = 1;
        } else if (ext.critical && id != SKIT_OID_EXT_SUBJECT_ALT_NAME && id != SKIT_OID_EXT_EXT_KEY_USAGE &&
                   id != SKIT_OID_EXT_CERTIFICATE_POLICIES) {
            c->unknown_critical++;
        }
    }
    return count == 0 ? SCEPKIT_ERR_X509_EXTENSION : SCEPKIT_OK;
}

/*
 * Certificate  ::=  SEQUENCE  {                                               (RFC 5280 §4.1)
 *      tbsCertificate       TBSCertificate,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  }
 *
 * TBSCertificate  ::=  SEQUENCE  {
 *      version         [0]  EXPLICIT Version DEFAULT v1,
 *      serialNumber         CertificateSerialNumber,
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,
 *      validity             Validity,
 *      subject              Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,  -- v2 or v3
 *      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,  -- v2 or v3
 *      extensions      [3]  EXPLICIT Extensions OPTIONAL  }      -- v3
 *
 * Validity ::= SEQUENCE { notBefore Time, notAfter Time }
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 */
static scepkit_err parse(scepkit_bytes der, scepkit_x509 *c)
{
    skit_der top, cert, tbs, sub;
    skit_tlv whole, t, params;
    bool present, has_params;
    scepkit_bytes oid, tbs_alg_oid;
    uint8_t unused;
    scepkit_err err;

    err = skit_der_parse_one(der, 0, SKIT_TAG_SEQUENCE, &whole);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->der = whole.raw;
    skit_der_init(&top, der, 0);
    err = skit_der_enter(&top, SKIT_TAG_SEQUENCE, &cert);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&cert, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->tbs = t.raw;
    err = skit_der_enter_tlv(&cert, &t, &tbs);
    if (err != SCEPKIT_OK) {
        return err;
    }

    c->version = 1;
    err = skit_der_optional(&tbs, SKIT_TAG_CTX_CONS(0), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        skit_tlv v;
        int64_t ver;
        err = skit_der_parse_one(t.value, 0, SKIT_TAG_INTEGER, &v);
        if (err != SCEPKIT_OK) {
            return err;
        }
        err = skit_der_int64(&v, &ver);
        if (err != SCEPKIT_OK) {
            return err;
        }
        /* DER: v1 (0) is the DEFAULT and never encoded. */
        if (ver < 1 || ver > 2) {
            return SCEPKIT_ERR_X509_VERSION;
        }
        c->version = (int)ver + 1;
    }

    err = skit_der_expect(&tbs, SKIT_TAG_INTEGER, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = serial_check(&t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->serial = t.value;

    err = skit_algid_read(&tbs, &tbs_alg_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }

    err = skit_der_expect(&tbs, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->issuer = t.raw;

    err = skit_der_enter(&tbs, SKIT_TAG_SEQUENCE, &sub);
    if (err != SCEPKIT_OK) {
        return err;
    }
    for (int i = 0; i < 2; i++) {
        err = skit_der_read(&sub, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (t.tag != SKIT_TAG_UTC_TIME && t.tag != SKIT_TAG_GENERALIZED_TIME) {
            return SCEPKIT_ERR_DER_TAG;
        }
        err = skit_der_time(&t, i == 0 ? &c->not_before : &c->not_after);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    err = skit_der_done(&sub);
    if (err != SCEPKIT_OK) {
        return err;
    }

    err = skit_der_expect(&tbs, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->subject = t.raw;

    err = skit_der_expect(&tbs, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    c->spki = t.raw;
    err = skit_der_enter_tlv(&tbs, &t, &sub);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_algid_read(&sub, &c->spki_alg_oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&sub, SKIT_TAG_BIT_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_done(&sub);
    if (err != SCEPKIT_OK) {
        return err;
    }

    for (uint8_t n = 1; n <= 2; n++) {
        err = skit_der_optional(&tbs, SKIT_TAG_CTX(n), &t, &present);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (present && c->version < 2) {
            return SCEPKIT_ERR_X509_VERSION;
        }
    }
    c->path_len = -1;
    err = skit_der_optional(&tbs, SKIT_TAG_CTX_CONS(3), &t, &present);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (present) {
        skit_tlv exts;
        if (c->version != 3) {
            return SCEPKIT_ERR_X509_VERSION;
        }
        err = skit_der_parse_one(t.value, 0, SKIT_TAG_SEQUENCE, &exts);
        if (err != SCEPKIT_OK) {
            return err;
        }
        c->extensions = exts.value;
        err = read_extensions(exts.value, c);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    err = skit_der_done(&tbs);
    if (err != SCEPKIT_OK) {
        return err;
    }

    err = skit_algid_read(&cert, &oid, &params, &has_params);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* RFC 5280 §4.1.1.2: the outer algorithm must equal the one inside the signed part. */
    if (oid.len != tbs_alg_oid.len || memcmp(oid.ptr, tbs_alg_oid.ptr, oid.len) != 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    c->sig_alg_oid = oid;
    skit_sig_alg_from_oid(skit_oid_find(oid), &c->sig_alg, &c->sig_md);
    if (c->sig_md == SCEPKIT_MD_NONE || !skit_params_empty(has_params, &params)) {
        c->sig_alg =
            SCEPKIT_SIG_UNKNOWN; /* plain rsaEncryption / PSS / params: not a certificate signature we verify */
    }
    err = skit_der_expect(&cert, SKIT_TAG_BIT_STRING, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_bits(&t, &unused, &c->signature);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (unused != 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    return skit_der_done(&cert);
}

scepkit_err scepkit_x509_parse(scepkit_bytes der, scepkit_x509 *out)
{
    scepkit_err err;
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (der.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    err = parse(der, out);
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

scepkit_err scepkit_x509_next_extension(const scepkit_x509 *cert, scepkit_x509_iter *it, scepkit_extension *ext)
{
    skit_der d;
    scepkit_err err;
    if (cert == NULL || it == NULL || ext == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!it->started) {
        it->rest = cert->extensions;
        it->started = 1;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der_init(&d, it->rest, 0);
    err = skit_extension_read(&d, ext, true);
    if (err != SCEPKIT_OK) {
        it->rest.len = 0;
        return err;
    }
    it->rest.len -= (size_t)(d.p - it->rest.ptr);
    it->rest.ptr = d.p;
    return SCEPKIT_OK;
}

int scepkit_x509_matches_issuer_serial(const scepkit_x509 *cert, scepkit_bytes issuer, scepkit_bytes serial)
{
    if (cert == NULL || cert->issuer.len == 0 || cert->serial.len == 0) {
        return 0;
    }
    return cert->issuer.len == issuer.len && memcmp(cert->issuer.ptr, issuer.ptr, issuer.len) == 0 &&
           cert->serial.len == serial.len && memcmp(cert->serial.ptr, serial.ptr, serial.len) == 0;
}
