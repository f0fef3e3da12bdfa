/*
 * PKCS#10 parser, verifier and iterators (RFC 2986), include/scepkit/csr.h.
 *
 * scepkit_csr_parse() is a pure function of its bytes (no crypto backend, no allocation) so it
 * can be fuzzed alone. It validates everything the iterators later walk, so an iterator over a
 * parsed CSR does not fail.
 *
 * Decisions (see docs/csr.md):
 * - Strict DER framing; the whole input must be the CSR. Not enforced: DER sort order of SET OFs
 *   (attributes, RDNs), which several encoders get wrong without harm.
 * - challengePassword: PrintableString, UTF8String, IA5String (not a DirectoryString, but sent by
 *   some clients) and T61String when it is 7-bit (OpenSSL 0.9.x picked T61String for text with
 *   '@' or '_'; 7-bit T61 bytes are the same text in ASCII). BMPString / UniversalString are
 *   refused (SCEPKIT_ERR_CSR_ATTRIBUTE): the view hands out bytes, and UCS-2 bytes would never
 *   compare equal to the server's password. Exactly one value, 1..255 characters, no NUL.
 * - A signature algorithm that does not fit the key type is reported by scepkit_csr_verify()
 *   (SCEPKIT_ERR_ALGORITHM_MISMATCH); parse only reports what it found.
 * - Extension `critical` written as an explicit FALSE (not DER, seen in the field) is accepted.
 */
#include <string.h>

#include "codec/charset.h"
#include "codec/ext.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/csr.h"

#if SCEPKIT_WITH_CSR_PARSE

static scepkit_bytes rest_of(const skit_der *d)
{
    scepkit_bytes b = {d->p, (size_t)(d->end - d->p)};
    return b;
}

/* Exactly one element of any tag fills `in`. */
static scepkit_err one_element(scepkit_bytes in, skit_tlv *t)
{
    skit_der d;
    skit_der_init(&d, in, 0);
    scepkit_err err = skit_der_read(&d, t);
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&d);
    }
    return err;
}

/* A Name whose every attribute reads (SEQUENCE OF non-empty SET OF {OID, value}). */
static scepkit_err check_name(scepkit_bytes name)
{
    scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
    scepkit_name_attr a;
    scepkit_err err;
    do {
        err = scepkit_name_next(name, &it, &a);
    } while (err == SCEPKIT_OK);
    return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_OK : err;
}

static bool bytes_eq(scepkit_bytes a, scepkit_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* GeneralName (shared by parse-time validation and the iterator) */

/*
 * RFC 5280 §4.2.1.6 (IMPLICIT tags):
 *   GeneralName ::= CHOICE {
 *        otherName [0] OtherName, rfc822Name [1] IA5String, dNSName [2] IA5String,
 *        x400Address [3] ORAddress, directoryName [4] Name, ediPartyName [5] EDIPartyName,
 *        uniformResourceIdentifier [6] IA5String, iPAddress [7] OCTET STRING,
 *        registeredID [8] OBJECT IDENTIFIER }
 *   OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY DEFINED BY type-id }
 * Text forms must be 7-bit without NUL (a NUL would cut the name short for C code: the classic
 * "www.bank.com\0.evil.com" trick).
 */
static scepkit_err decode_general_name(const skit_der *parent, const skit_tlv *t, scepkit_san *san)
{
    scepkit_err err;
    skit_der d;
    skit_tlv oid;
    skit_tlv val;
    skit_tlv inner;
    memset(san, 0, sizeof *san);
    switch (t->tag) {
    case SKIT_TAG_CTX(1):
    case SKIT_TAG_CTX(2):
    case SKIT_TAG_CTX(6):
        if (skit_str_check(SKIT_TAG_IA5_STRING, t->value, NULL) != SCEPKIT_OK) {
            return SCEPKIT_ERR_SAN;
        }
        san->type = (scepkit_san_type)(t->tag & 0x1fu);
        san->value = t->value;
        return SCEPKIT_OK;
    case SKIT_TAG_CTX(7):
        if (t->value.len != 4 && t->value.len != 16) {
            return SCEPKIT_ERR_SAN;
        }
        san->type = SCEPKIT_SAN_IP;
        san->value = t->value;
        return SCEPKIT_OK;
    case SKIT_TAG_CTX(8):
        if (skit_der_oid_check(t->value) != SCEPKIT_OK) {
            return SCEPKIT_ERR_SAN;
        }
        san->type = SCEPKIT_SAN_RID;
        san->value = t->value;
        return SCEPKIT_OK;
    case SKIT_TAG_CTX_CONS(0):
        err = skit_der_enter_tlv(parent, t, &d);
        if (err == SCEPKIT_OK) {
            err = skit_der_expect(&d, SKIT_TAG_OID, &oid);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_oid_check(oid.value);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_expect(&d, (uint8_t)SKIT_TAG_CTX_CONS(0), &val);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_done(&d);
        }
        if (err == SCEPKIT_OK) {
            err = one_element(val.value, &inner);
        }
        if (err != SCEPKIT_OK) {
            return SCEPKIT_ERR_SAN;
        }
        if (skit_oid_find(oid.value) == SKIT_OID_MS_UPN) {
            if (inner.tag != SKIT_TAG_UTF8_STRING ||
                skit_str_check(SKIT_TAG_UTF8_STRING, inner.value, NULL) != SCEPKIT_OK) {
                return SCEPKIT_ERR_SAN;
            }
            san->type = SCEPKIT_SAN_UPN;
            san->value = inner.value;
            return SCEPKIT_OK;
        }
        san->type = SCEPKIT_SAN_OTHER;
        san->value = t->raw;
        return SCEPKIT_OK;
    case SKIT_TAG_CTX_CONS(4): {
        /* explicit: contents are one Name */
        skit_tlv name;
        if (skit_der_parse_one(t->value, 0, SKIT_TAG_SEQUENCE, &name) != SCEPKIT_OK ||
            check_name(t->value) != SCEPKIT_OK) {
            return SCEPKIT_ERR_SAN;
        }
        san->type = SCEPKIT_SAN_DIRNAME;
        san->value = t->value;
        return SCEPKIT_OK;
    }
    case SKIT_TAG_CTX_CONS(3):
    case SKIT_TAG_CTX_CONS(5):
        san->type = SCEPKIT_SAN_UNKNOWN;
        san->value = t->raw;
        return SCEPKIT_OK;
    default:
        return SCEPKIT_ERR_SAN;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* SubjectPublicKeyInfo (pure: key type and size only, the port reads the key at verify time) */

/*
 * RFC 5280 §4.1:
 *   SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
 * RFC 3279 §2.3.1: rsaEncryption, parameters NULL;
 *   RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
 * RFC 5480 §2.1.1: id-ecPublicKey, parameters ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER }
 * Other algorithms give SCEPKIT_KEY_NONE without an error (verify refuses them).
 */
static scepkit_err read_spki(scepkit_bytes spki, scepkit_key_type *type, size_t *bits)
{
    skit_tlv top;
    skit_der d;
    skit_der alg;
    skit_tlv oid;
    skit_tlv params;
    skit_tlv key;
    bool has_params = false;
    uint8_t unused = 0;
    scepkit_bytes key_bits;

    *type = SCEPKIT_KEY_NONE;
    *bits = 0;
    scepkit_err err = skit_der_parse_one(spki, 0, SKIT_TAG_SEQUENCE, &top);
    if (err == SCEPKIT_OK) {
        skit_der_init(&d, top.value, 0);
        err = skit_der_enter(&d, SKIT_TAG_SEQUENCE, &alg);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&alg, SKIT_TAG_OID, &oid);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err == SCEPKIT_OK && skit_der_more(&alg)) {
        has_params = true;
        err = skit_der_read(&alg, &params);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&alg);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&d, SKIT_TAG_BIT_STRING, &key);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&d);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_bits(&key, &unused, &key_bits);
    }
    if (err == SCEPKIT_OK && unused != 0) {
        err = SCEPKIT_ERR_DER_VALUE;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }

    switch (skit_oid_find(oid.value)) {
    case SKIT_OID_RSA_ENCRYPTION: {
        skit_tlv seq;
        skit_der r;
        skit_tlv n;
        skit_tlv e;
        scepkit_bytes mag;
        scepkit_bytes emag;
        if (has_params && (params.tag != SKIT_TAG_NULL || params.value.len != 0)) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        err = skit_der_parse_one(key_bits, 0, SKIT_TAG_SEQUENCE, &seq);
        if (err == SCEPKIT_OK) {
            skit_der_init(&r, seq.value, 0);
            err = skit_der_expect(&r, SKIT_TAG_INTEGER, &n);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_expect(&r, SKIT_TAG_INTEGER, &e);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_done(&r);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_uint_bytes(&n, &mag);
        }
        if (err == SCEPKIT_OK) {
            err = skit_der_uint_bytes(&e, &emag);
        }
        if (err == SCEPKIT_OK && mag.len == 0) {
            err = SCEPKIT_ERR_DER_VALUE;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
        /* the magnitude has no leading zero byte: its bit length is exact */
        size_t b = (mag.len - 1) * 8;
        for (unsigned top_byte = mag.ptr[0]; top_byte != 0; top_byte >>= 1) {
            b++;
        }
        *type = SCEPKIT_KEY_RSA;
        *bits = b;
        return SCEPKIT_OK;
    }
    case SKIT_OID_EC_PUBLIC_KEY:
        if (!has_params || params.tag != SKIT_TAG_OID) {
            return SCEPKIT_OK; /* implicitCA / specifiedCurve: not supported, not malformed */
        }
        if (skit_der_oid_check(params.value) != SCEPKIT_OK) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        switch (skit_oid_find(params.value)) {
        case SKIT_OID_P256:
            *type = SCEPKIT_KEY_EC_P256;
            *bits = 256;
            break;
        case SKIT_OID_P384:
            *type = SCEPKIT_KEY_EC_P384;
            *bits = 384;
            break;
        default:
            break;
        }
        return SCEPKIT_OK;
    default:
        return SCEPKIT_OK;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Extensions */

/* KeyUsage ::= BIT STRING (RFC 5280 §4.2.1.3), named bits 0..8 */
static scepkit_err decode_key_usage(scepkit_bytes value, uint32_t *ku)
{
    skit_tlv t;
    uint8_t unused = 0;
    scepkit_bytes b;
    scepkit_err err = skit_der_parse_one(value, 0, SKIT_TAG_BIT_STRING, &t);
    if (err == SCEPKIT_OK) {
        err = skit_der_bits(&t, &unused, &b);
    }
    if (err != SCEPKIT_OK || b.len > 2) {
        return SCEPKIT_ERR_CSR_EXTENSION;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < b.len; i++) {
        for (unsigned k = 0; k < 8; k++) {
            if ((b.ptr[i] & (0x80u >> k)) != 0) {
                v |= 1u << (i * 8 + k);
            }
        }
    }
    if ((v & ~(uint32_t)0x1ffu) != 0) {
        return SCEPKIT_ERR_CSR_EXTENSION;
    }
    *ku = v;
    return SCEPKIT_OK;
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
static scepkit_err check_san_ext(scepkit_bytes value)
{
    skit_tlv seq;
    skit_der d;
    skit_tlv t;
    scepkit_san san;
    scepkit_err err = skit_der_parse_one(value, 0, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK || seq.value.len == 0) {
        return SCEPKIT_ERR_CSR_EXTENSION;
    }
    skit_der_init(&d, seq.value, 0);
    while (skit_der_more(&d)) {
        if (skit_der_read(&d, &t) != SCEPKIT_OK || decode_general_name(&d, &t, &san) != SCEPKIT_OK) {
            return SCEPKIT_ERR_CSR_EXTENSION;
        }
    }
    return SCEPKIT_OK;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (OBJECT IDENTIFIER) */
static scepkit_err check_eku_ext(scepkit_bytes value)
{
    skit_tlv seq;
    skit_der d;
    skit_tlv t;
    scepkit_err err = skit_der_parse_one(value, 0, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK || seq.value.len == 0) {
        return SCEPKIT_ERR_CSR_EXTENSION;
    }
    skit_der_init(&d, seq.value, 0);
    while (skit_der_more(&d)) {
        if (skit_der_expect(&d, SKIT_TAG_OID, &t) != SCEPKIT_OK || skit_der_oid_check(t.value) != SCEPKIT_OK) {
            return SCEPKIT_ERR_CSR_EXTENSION;
        }
    }
    return SCEPKIT_OK;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; each extnID at most once (RFC 5280 §4.2). */
static scepkit_err parse_extensions(scepkit_bytes ext_der, scepkit_csr *out)
{
    skit_tlv seq;
    skit_der d;
    scepkit_extension ext;
    scepkit_err err = skit_der_parse_one(ext_der, 0, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_der_init(&d, seq.value, 0);
    while (skit_der_more(&d)) {
        scepkit_bytes before = rest_of(&d);
        err = skit_extension_read(&d, &ext, false);
        if (err != SCEPKIT_OK) {
            return err;
        }
        /* duplicates: compare with every earlier extension (quadratic, bounded by the input size) */
        skit_der prev;
        scepkit_extension p;
        skit_der_init(&prev, seq.value, 0);
        while (prev.p < before.ptr) {
            if (skit_extension_read(&prev, &p, false) != SCEPKIT_OK) {
                return SCEPKIT_ERR_INTERNAL;
            }
            if (bytes_eq(p.oid, ext.oid)) {
                return SCEPKIT_ERR_CSR_EXTENSION;
            }
        }
        switch (skit_oid_find(ext.oid)) {
        case SKIT_OID_EXT_KEY_USAGE:
            err = decode_key_usage(ext.value, &out->key_usage);
            out->has_key_usage = 1;
            break;
        case SKIT_OID_EXT_SUBJECT_ALT_NAME:
            err = check_san_ext(ext.value);
            out->san = ext.value;
            break;
        case SKIT_OID_EXT_EXT_KEY_USAGE:
            err = check_eku_ext(ext.value);
            out->eku = ext.value;
            break;
        default:
            break;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    out->extensions = ext_der;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Attributes */

/* RFC 2985 §5.4.1: challengePassword ::= DirectoryString (SIZE(1..255)), SINGLE VALUE TRUE
 * (the string types accepted are listed at the top of this file). */
static scepkit_err parse_challenge(scepkit_bytes values, scepkit_csr *out)
{
    skit_tlv v;
    size_t chars = 0;
    scepkit_err err = one_element(values, &v);
    if (err == SCEPKIT_ERR_DER_TRAILING) {
        return SCEPKIT_ERR_CSR_ATTRIBUTE; /* more than one value */
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    switch (v.tag) {
    case SKIT_TAG_PRINTABLE_STRING:
    case SKIT_TAG_UTF8_STRING:
    case SKIT_TAG_IA5_STRING:
    case SKIT_TAG_T61_STRING:
        break;
    default:
        return SCEPKIT_ERR_CSR_ATTRIBUTE;
    }
    if (v.value.len == 0 || skit_str_check(v.tag, v.value, &chars) != SCEPKIT_OK) {
        return SCEPKIT_ERR_CSR_ATTRIBUTE;
    }
    if (chars > SCEPKIT_CHALLENGE_MAX_LEN) {
        return SCEPKIT_ERR_CHALLENGE_TOO_LONG;
    }
    out->challenge = v.value;
    out->has_challenge = 1;
    return SCEPKIT_OK;
}

/* RFC 2985 §5.4.2: extensionRequest ::= Extensions, SINGLE VALUE TRUE */
static scepkit_err parse_extension_request(scepkit_bytes values, scepkit_csr *out)
{
    skit_der d;
    skit_tlv v;
    skit_der_init(&d, values, 0);
    scepkit_err err = skit_der_expect(&d, SKIT_TAG_SEQUENCE, &v);
    if (err != SCEPKIT_OK) {
        return err == SCEPKIT_ERR_DER_TAG ? SCEPKIT_ERR_CSR_ATTRIBUTE : err;
    }
    if (skit_der_more(&d)) {
        return SCEPKIT_ERR_CSR_ATTRIBUTE;
    }
    return parse_extensions(v.raw, out);
}

/* Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF AttributeValue } */
static scepkit_err read_attribute(skit_der *d, scepkit_csr_attribute *attr)
{
    skit_der a;
    skit_tlv oid;
    skit_tlv set;
    memset(attr, 0, sizeof *attr);
    scepkit_err err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &a);
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&a, SKIT_TAG_OID, &oid);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&a, SKIT_TAG_SET, &set);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&a);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (set.value.len == 0) {
        return SCEPKIT_ERR_CSR_ATTRIBUTE;
    }
    /* every value must be a whole element, so iterating callers see well-formed DER */
    skit_der v;
    skit_tlv t;
    skit_der_init(&v, set.value, 0);
    while (skit_der_more(&v)) {
        err = skit_der_read(&v, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    attr->oid = oid.value;
    attr->values = set.value;
    return SCEPKIT_OK;
}

static scepkit_err parse_attributes(scepkit_bytes attrs, scepkit_csr *out)
{
    skit_der d;
    scepkit_csr_attribute a;
    bool seen_ext = false;
    skit_der_init(&d, attrs, 0);
    while (skit_der_more(&d)) {
        scepkit_err err = read_attribute(&d, &a);
        if (err != SCEPKIT_OK) {
            return err;
        }
        switch (skit_oid_find(a.oid)) {
        case SKIT_OID_CHALLENGE_PASSWORD:
            if (out->has_challenge) {
                return SCEPKIT_ERR_CSR_ATTRIBUTE;
            }
            err = parse_challenge(a.values, out);
            break;
        case SKIT_OID_EXTENSION_REQUEST:
            if (seen_ext) {
                return SCEPKIT_ERR_CSR_ATTRIBUTE;
            }
            seen_ext = true;
            err = parse_extension_request(a.values, out);
            break;
        default:
            break;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Signature algorithm */

/*
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
 * RFC 4055 §5 / RFC 3279 §2.2.1: shaNWithRSAEncryption with NULL parameters (absent accepted too).
 * RFC 5758 §3.2: ecdsa-with-SHAn with parameters absent (NULL accepted too, older encoders).
 * Plain rsaEncryption as signature algorithm (certmonger's SignerInfo habit): md taken from the
 * DigestInfo at verification. RSASSA-PSS and everything else: SCEPKIT_ERR_UNKNOWN_ALGORITHM.
 */
static scepkit_err read_sig_alg(skit_der *d, scepkit_csr *out)
{
    skit_der a;
    skit_tlv oid;
    skit_tlv params;
    bool present = false;
    scepkit_err err = skit_der_enter(d, SKIT_TAG_SEQUENCE, &a);
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&a, SKIT_TAG_OID, &oid);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_sig_alg alg = SCEPKIT_SIG_UNKNOWN;
    scepkit_md md = SCEPKIT_MD_NONE;
    switch (skit_oid_find(oid.value)) {
    case SKIT_OID_RSA_ENCRYPTION:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        break;
    case SKIT_OID_MD5_WITH_RSA:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        md = SCEPKIT_MD_MD5;
        break;
    case SKIT_OID_SHA1_WITH_RSA:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        md = SCEPKIT_MD_SHA1;
        break;
    case SKIT_OID_SHA256_WITH_RSA:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        md = SCEPKIT_MD_SHA256;
        break;
    case SKIT_OID_SHA384_WITH_RSA:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        md = SCEPKIT_MD_SHA384;
        break;
    case SKIT_OID_SHA512_WITH_RSA:
        alg = SCEPKIT_SIG_RSA_PKCS1;
        md = SCEPKIT_MD_SHA512;
        break;
    case SKIT_OID_ECDSA_SHA1:
        alg = SCEPKIT_SIG_ECDSA;
        md = SCEPKIT_MD_SHA1;
        break;
    case SKIT_OID_ECDSA_SHA256:
        alg = SCEPKIT_SIG_ECDSA;
        md = SCEPKIT_MD_SHA256;
        break;
    case SKIT_OID_ECDSA_SHA384:
        alg = SCEPKIT_SIG_ECDSA;
        md = SCEPKIT_MD_SHA384;
        break;
    case SKIT_OID_ECDSA_SHA512:
        alg = SCEPKIT_SIG_ECDSA;
        md = SCEPKIT_MD_SHA512;
        break;
    default:
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    err = skit_der_optional(&a, SKIT_TAG_NULL, &params, &present);
    if (err == SCEPKIT_OK && present && params.value.len != 0) {
        err = SCEPKIT_ERR_DER_VALUE;
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&a);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    out->sig_alg_oid = oid.value;
    out->sig_alg = alg;
    out->sig_md = md;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */

/*
 * RFC 2986 §4:
 *   CertificationRequest ::= SEQUENCE {
 *        certificationRequestInfo CertificationRequestInfo,
 *        signatureAlgorithm       AlgorithmIdentifier{{ SignatureAlgorithms }},
 *        signature                BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *        version       INTEGER { v1(0) } (v1,...),
 *        subject       Name,
 *        subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *        attributes    [0] Attributes{{ CRIAttributes }} }
 */
static scepkit_err parse(scepkit_bytes der, scepkit_csr *out)
{
    skit_tlv top;
    skit_der d;
    skit_der info;
    skit_tlv tbs;
    skit_tlv version;
    skit_tlv subject;
    skit_tlv spki;
    skit_tlv attrs;
    skit_tlv sig;
    int64_t v = -1;
    uint8_t unused = 0;

    scepkit_err err = skit_der_parse_one(der, 0, SKIT_TAG_SEQUENCE, &top);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_der_init(&d, top.value, 0);
    err = skit_der_expect(&d, SKIT_TAG_SEQUENCE, &tbs);
    if (err == SCEPKIT_OK) {
        err = skit_der_enter_tlv(&d, &tbs, &info);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&info, SKIT_TAG_INTEGER, &version);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_int64(&version, &v);
    }
    if (err == SCEPKIT_OK && v != 0) {
        err = SCEPKIT_ERR_CSR_VERSION;
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&info, SKIT_TAG_SEQUENCE, &subject);
    }
    if (err == SCEPKIT_OK) {
        err = check_name(subject.raw);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&info, SKIT_TAG_SEQUENCE, &spki);
    }
    if (err == SCEPKIT_OK) {
        err = read_spki(spki.raw, &out->key_type, &out->key_bits);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&info, (uint8_t)SKIT_TAG_CTX_CONS(0), &attrs);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&info);
    }
    if (err == SCEPKIT_OK) {
        err = parse_attributes(attrs.value, out);
    }
    if (err == SCEPKIT_OK) {
        err = read_sig_alg(&d, out);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&d, SKIT_TAG_BIT_STRING, &sig);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_bits(&sig, &unused, &out->signature);
    }
    if (err == SCEPKIT_OK && (unused != 0 || out->signature.len == 0)) {
        err = SCEPKIT_ERR_DER_VALUE;
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&d);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    out->der = top.raw;
    out->tbs = tbs.raw;
    out->subject = subject.raw;
    out->spki = spki.raw;
    out->attributes = attrs.value;
    return SCEPKIT_OK;
}

scepkit_err scepkit_csr_parse(scepkit_bytes der, scepkit_csr *out)
{
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (der.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = parse(der, out);
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* ---------------------------------------------------------------------------------------------- */
/* Verification */

static scepkit_err verify_md(const scepkit_csr *csr, scepkit_md md)
{
    uint8_t digest[SCEPKIT_MD_MAX_SIZE];
    size_t dlen = 0;
    scepkit_err err = scepkit_digest(md, csr->tbs, digest, sizeof digest, &dlen);
    if (err == SCEPKIT_OK) {
        err = scepkit_verify_digest(csr->spki, md, digest, dlen, csr->signature);
    }
    scepkit_wipe(digest, sizeof digest);
    return err;
}

scepkit_err scepkit_csr_verify(const scepkit_csr *csr, int allow_legacy)
{
    scepkit_err err = SCEPKIT_ERR_BAD_SIGNATURE;
    if (csr == NULL || csr->tbs.len == 0 || csr->spki.len == 0 || csr->signature.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    if (csr->key_type == SCEPKIT_KEY_NONE) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    bool key_is_rsa = csr->key_type == SCEPKIT_KEY_RSA;
    if (csr->sig_alg == SCEPKIT_SIG_RSA_PKCS1 ? !key_is_rsa : csr->sig_alg == SCEPKIT_SIG_ECDSA ? key_is_rsa : true) {
        return SCEPKIT_ERR_ALGORITHM_MISMATCH;
    }
    if (csr->sig_md == SCEPKIT_MD_MD5 && (!allow_legacy || !SCEPKIT_WITH_LEGACY_CRYPTO)) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    if (csr->sig_md != SCEPKIT_MD_NONE) {
        return verify_md(csr, csr->sig_md);
    }
    if (csr->sig_alg != SCEPKIT_SIG_RSA_PKCS1) {
        return SCEPKIT_ERR_ALGORITHM_MISMATCH;
    }
    /*
     * Plain rsaEncryption: the digest is named by the DigestInfo inside the signature. The key port
     * verifies for a given md only, so each candidate is tried; each try is a full PKCS#1 v1.5
     * verification that compares the whole DigestInfo (algorithm included), so accepting the first
     * that verifies is no weaker than reading the algorithm out first.
     */
    static const scepkit_md candidates[] = {SCEPKIT_MD_SHA256, SCEPKIT_MD_SHA1, SCEPKIT_MD_SHA384, SCEPKIT_MD_SHA512,
                                            SCEPKIT_MD_MD5};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (candidates[i] == SCEPKIT_MD_MD5 && (!allow_legacy || !SCEPKIT_WITH_LEGACY_CRYPTO)) {
            continue;
        }
        scepkit_err e = verify_md(csr, candidates[i]);
        if (e == SCEPKIT_OK) {
            return SCEPKIT_OK;
        }
        if (e != SCEPKIT_ERR_BAD_SIGNATURE && e != SCEPKIT_ERR_LEGACY_DISABLED && e != SCEPKIT_ERR_UNSUPPORTED &&
            e != SCEPKIT_ERR_DISABLED) {
            return e; /* the key itself is unusable: no point trying other digests */
        }
    }
    return err;
}

/* ---------------------------------------------------------------------------------------------- */
/* Iterators */

/* Starts `it` over the contents of the SEQUENCE `der` (or nothing when `der` is empty). */
static scepkit_err iter_start(scepkit_bytes der, scepkit_csr_iter *it, bool whole_is_contents)
{
    if (it->started) {
        return SCEPKIT_OK;
    }
    it->started = 1;
    it->rest.ptr = NULL;
    it->rest.len = 0;
    if (der.len == 0) {
        return SCEPKIT_OK;
    }
    if (whole_is_contents) {
        it->rest = der;
        return SCEPKIT_OK;
    }
    skit_tlv t;
    scepkit_err err = skit_der_parse_one(der, 0, SKIT_TAG_SEQUENCE, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    it->rest = t.value;
    return SCEPKIT_OK;
}

scepkit_err scepkit_csr_next_san(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_san *san)
{
    if (csr == NULL || it == NULL || san == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = iter_start(csr->san, it, false);
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_SAN;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der d;
    skit_tlv t;
    skit_der_init(&d, it->rest, 0);
    err = skit_der_read(&d, &t);
    if (err == SCEPKIT_OK) {
        err = decode_general_name(&d, &t, san);
    }
    if (err != SCEPKIT_OK) {
        return SCEPKIT_ERR_SAN;
    }
    it->rest = rest_of(&d);
    return SCEPKIT_OK;
}

scepkit_err scepkit_csr_next_eku(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_bytes *oid)
{
    if (csr == NULL || it == NULL || oid == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = iter_start(csr->eku, it, false);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der d;
    skit_tlv t;
    skit_der_init(&d, it->rest, 0);
    err = skit_der_expect(&d, SKIT_TAG_OID, &t);
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(t.value);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    *oid = t.value;
    it->rest = rest_of(&d);
    return SCEPKIT_OK;
}

scepkit_err scepkit_csr_next_extension(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_extension *ext)
{
    if (csr == NULL || it == NULL || ext == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = iter_start(csr->extensions, it, false);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der d;
    skit_der_init(&d, it->rest, 0);
    err = skit_extension_read(&d, ext, false);
    if (err != SCEPKIT_OK) {
        return err;
    }
    it->rest = rest_of(&d);
    return SCEPKIT_OK;
}

scepkit_err scepkit_csr_next_attribute(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_csr_attribute *attr)
{
    if (csr == NULL || it == NULL || attr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = iter_start(csr->attributes, it, true);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (it->rest.len == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    skit_der d;
    skit_der_init(&d, it->rest, 0);
    err = read_attribute(&d, attr);
    if (err != SCEPKIT_OK) {
        return err;
    }
    it->rest = rest_of(&d);
    return SCEPKIT_OK;
}

#else /* !SCEPKIT_WITH_CSR_PARSE */

scepkit_err scepkit_csr_parse(scepkit_bytes der, scepkit_csr *out)
{
    (void)der;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_csr_verify(const scepkit_csr *csr, int allow_legacy)
{
    (void)csr;
    (void)allow_legacy;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_csr_next_san(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_san *san)
{
    (void)csr;
    (void)it;
    (void)san;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_csr_next_eku(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_bytes *oid)
{
    (void)csr;
    (void)it;
    (void)oid;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_csr_next_extension(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_extension *ext)
{
    (void)csr;
    (void)it;
    (void)ext;
    return SCEPKIT_ERR_DISABLED;
}

scepkit_err scepkit_csr_next_attribute(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_csr_attribute *attr)
{
    (void)csr;
    (void)it;
    (void)attr;
    return SCEPKIT_ERR_DISABLED;
}

#endif
