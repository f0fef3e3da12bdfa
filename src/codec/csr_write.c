/*
 * PKCS#10 writer (RFC 2986), include/scepkit/csr.h.
 *
 * "The library hashes, the key port signs": the CertificationRequestInfo is written into the
 * caller's buffer, hashed where it lies, and only the digest goes to the key port.
 *
 * Digests: SHA-256/384/512. MD5 is refused (SCEPKIT_ERR_LEGACY_DISABLED) and so is SHA-1
 * (SCEPKIT_ERR_UNSUPPORTED): every CA that speaks SCEP verifies SHA-256 CSR signatures, and the
 * SHA-1 fallback some servers need concerns the pkiMessage signature, not the CSR's.
 */
#include <string.h>

#include "codec/charset.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/csr.h"

#if SCEPKIT_WITH_CSR_WRITE

/* ---------------------------------------------------------------------------------------------- */
/* Parameter checks: everything that can be refused is refused before the key port is called. */

static scepkit_err check_oid(scepkit_bytes oid)
{
    if (oid.ptr == NULL || skit_der_oid_check(oid) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

static scepkit_err check_san(const scepkit_san *s)
{
    skit_tlv t;
    if (s->value.len == 0 || s->value.ptr == NULL) {
        return SCEPKIT_ERR_SAN;
    }
    switch (s->type) {
    case SCEPKIT_SAN_EMAIL:
    case SCEPKIT_SAN_DNS:
    case SCEPKIT_SAN_URI:
        return skit_str_check(SKIT_TAG_IA5_STRING, s->value, NULL) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    case SCEPKIT_SAN_IP:
        return s->value.len == 4 || s->value.len == 16 ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    case SCEPKIT_SAN_UPN:
        return skit_str_check(SKIT_TAG_UTF8_STRING, s->value, NULL) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    case SCEPKIT_SAN_OTHER:
        return skit_der_parse_one(s->value, 0, SKIT_TAG_CTX_CONS(0), &t) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    case SCEPKIT_SAN_DIRNAME:
        return skit_der_parse_one(s->value, 0, SKIT_TAG_SEQUENCE, &t) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    case SCEPKIT_SAN_RID:
        return skit_der_oid_check(s->value) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_SAN;
    default:
        return SCEPKIT_ERR_SAN;
    }
}

/* Chooses the challenge's string type: PrintableString when every character allows it (what most
 * SCEP servers compare most easily), else UTF8String. */
static scepkit_err check_challenge(scepkit_bytes c, uint8_t *tag)
{
    size_t chars = 0;
    if (c.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (skit_str_check(SKIT_TAG_PRINTABLE_STRING, c, &chars) == SCEPKIT_OK) {
        *tag = SKIT_TAG_PRINTABLE_STRING;
    } else if (skit_str_check(SKIT_TAG_UTF8_STRING, c, &chars) == SCEPKIT_OK) {
        *tag = SKIT_TAG_UTF8_STRING;
    } else {
        return SCEPKIT_ERR_ARG;
    }
    return chars > SCEPKIT_CHALLENGE_MAX_LEN ? SCEPKIT_ERR_CHALLENGE_TOO_LONG : SCEPKIT_OK;
}

static scepkit_err check_params(const scepkit_csr_params *p, scepkit_md *md, uint8_t *challenge_tag)
{
    scepkit_err err;
    switch (p->md) {
    case SCEPKIT_MD_NONE:
        *md = SCEPKIT_MD_SHA256;
        break;
    case SCEPKIT_MD_SHA256:
    case SCEPKIT_MD_SHA384:
    case SCEPKIT_MD_SHA512:
        *md = p->md;
        break;
    case SCEPKIT_MD_MD5:
        return SCEPKIT_ERR_LEGACY_DISABLED;
    case SCEPKIT_MD_SHA1:
        return SCEPKIT_ERR_UNSUPPORTED;
    default:
        return SCEPKIT_ERR_ARG;
    }
    if (p->subject_count != 0) {
        if (p->subject == NULL) {
            return SCEPKIT_ERR_ARG;
        }
    } else if (p->subject_der.len != 0) {
        skit_tlv t;
        if (p->subject_der.ptr == NULL || skit_der_parse_one(p->subject_der, 0, SKIT_TAG_SEQUENCE, &t) != SCEPKIT_OK) {
            return SCEPKIT_ERR_ARG;
        }
    }
    if (p->challenge.len != 0) {
        err = check_challenge(p->challenge, challenge_tag);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    if (p->san_count > SCEPKIT_CSR_MAX_SANS || p->eku_count > SCEPKIT_CSR_MAX_EKUS) {
        return SCEPKIT_ERR_CSR_TOO_MANY;
    }
    if ((p->san_count != 0 && p->sans == NULL) || (p->eku_count != 0 && p->ekus == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < p->san_count; i++) {
        err = check_san(&p->sans[i]);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < p->eku_count; i++) {
        err = check_oid(p->ekus[i]);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    if ((p->key_usage & ~(uint32_t)0x1ffu) != 0) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Encoders. They report problems through the writer's sticky error. */

typedef void (*body_fn)(skit_derw *w, const scepkit_csr_params *p);

static size_t put_header(uint8_t *h, uint8_t tag, size_t len)
{
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
        return n;
    }
    size_t bytes = 0;
    for (size_t t = len; t != 0; t >>= 8) {
        bytes++;
    }
    h[n++] = (uint8_t)(0x80u | bytes);
    for (size_t i = bytes; i > 0; i--) {
        h[n++] = (uint8_t)(len >> (8 * (i - 1)));
    }
    return n;
}

/* A primitive `tag` (the extnValue OCTET STRING) around the DER that `fn` writes: the body is
 * measured first with a size-only writer, since only constructed elements can be opened. */
static void put_wrapped(skit_derw *w, uint8_t tag, body_fn fn, const scepkit_csr_params *p)
{
    skit_derw m;
    size_t n = 0;
    skit_derw_init(&m, NULL, 0);
    fn(&m, p);
    scepkit_err err = skit_derw_finish(&m, &n);
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        skit_derw_fail(w, err);
        return;
    }
    uint8_t h[16];
    skit_derw_raw(w, h, put_header(h, tag, n));
    fn(w, p);
}

/*
 * RFC 5280 §4.2.1.6:
 *   GeneralName ::= CHOICE {
 *        otherName                 [0] OtherName,
 *        rfc822Name                [1] IA5String,
 *        dNSName                   [2] IA5String,
 *        x400Address               [3] ORAddress,
 *        directoryName             [4] Name,
 *        ediPartyName              [5] EDIPartyName,
 *        uniformResourceIdentifier [6] IA5String,
 *        iPAddress                 [7] OCTET STRING,
 *        registeredID              [8] OBJECT IDENTIFIER }
 *   OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY DEFINED BY type-id }
 * (the module uses IMPLICIT tags; directoryName stays explicit because Name is a CHOICE).
 * UPN (MS-WCCE): type-id 1.3.6.1.4.1.311.20.2.3, value UTF8String.
 */
static void write_general_name(skit_derw *w, const scepkit_san *s)
{
    switch (s->type) {
    case SCEPKIT_SAN_EMAIL:
    case SCEPKIT_SAN_DNS:
    case SCEPKIT_SAN_URI:
    case SCEPKIT_SAN_IP:
    case SCEPKIT_SAN_RID:
        skit_derw_tlv(w, (uint8_t)SKIT_TAG_CTX(s->type), s->value.ptr, s->value.len);
        break;
    case SCEPKIT_SAN_UPN:
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_MS_UPN));
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
        skit_derw_tlv(w, SKIT_TAG_UTF8_STRING, s->value.ptr, s->value.len);
        skit_derw_close(w);
        skit_derw_close(w);
        break;
    case SCEPKIT_SAN_OTHER:
        skit_derw_raw(w, s->value.ptr, s->value.len);
        break;
    case SCEPKIT_SAN_DIRNAME:
        skit_derw_open(w, (uint8_t)SKIT_TAG_CTX_CONS(4));
        skit_derw_raw(w, s->value.ptr, s->value.len);
        skit_derw_close(w);
        break;
    default:
        skit_derw_fail(w, SCEPKIT_ERR_SAN);
        break;
    }
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
static void san_body(skit_derw *w, const scepkit_csr_params *p)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    for (size_t i = 0; i < p->san_count; i++) {
        write_general_name(w, &p->sans[i]);
    }
    skit_derw_close(w);
}

/* KeyUsage ::= BIT STRING { digitalSignature (0), ... decipherOnly (8) }  (RFC 5280 §4.2.1.3) */
static void ku_body(skit_derw *w, const scepkit_csr_params *p)
{
    skit_derw_named_bits(w, p->key_usage);
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId  (RFC 5280 §4.2.1.12) */
static void eku_body(skit_derw *w, const scepkit_csr_params *p)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    for (size_t i = 0; i < p->eku_count; i++) {
        skit_derw_oid(w, p->ekus[i]);
    }
    skit_derw_close(w);
}

/* Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *                          extnValue OCTET STRING }  (RFC 5280 §4.1) */
static void write_extension(skit_derw *w, skit_oid id, bool critical, body_fn fn, const scepkit_csr_params *p)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(id));
    if (critical) {
        skit_derw_bool(w, true); /* DER: the DEFAULT FALSE is never written */
    }
    put_wrapped(w, SKIT_TAG_OCTET_STRING, fn, p);
    skit_derw_close(w);
}

static bool has_extensions(const scepkit_csr_params *p)
{
    return p->san_count != 0 || p->key_usage != 0 || p->eku_count != 0;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension */
static void write_extensions(skit_derw *w, const scepkit_csr_params *p)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    if (p->san_count != 0) {
        write_extension(w, SKIT_OID_EXT_SUBJECT_ALT_NAME, false, san_body, p);
    }
    if (p->key_usage != 0) {
        write_extension(w, SKIT_OID_EXT_KEY_USAGE, true, ku_body, p);
    }
    if (p->eku_count != 0) {
        write_extension(w, SKIT_OID_EXT_EXT_KEY_USAGE, false, eku_body, p);
    }
    skit_derw_close(w);
}

static void write_subject(skit_derw *w, const scepkit_csr_params *p)
{
    if (p->subject_count != 0) {
        size_t need = 0;
        scepkit_err err = scepkit_name_write(p->subject, p->subject_count, NULL, 0, &need);
        if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            skit_derw_fail(w, err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL);
            return;
        }
        uint8_t *dst = skit_derw_reserve(w, need);
        if (dst != NULL) {
            size_t got = 0;
            err = scepkit_name_write(p->subject, p->subject_count, dst, need, &got);
            if (err != SCEPKIT_OK || got != need) {
                skit_derw_fail(w, err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL);
            }
        }
    } else if (p->subject_der.len != 0) {
        skit_derw_raw(w, p->subject_der.ptr, p->subject_der.len);
    } else {
        skit_derw_open(w, SKIT_TAG_SEQUENCE); /* empty Name: the CA fills it, or the SAN names the subject */
        skit_derw_close(w);
    }
}

/*
 * RFC 2986 §4.1:
 *   CertificationRequestInfo ::= SEQUENCE {
 *        version       INTEGER { v1(0) } (v1,...),
 *        subject       Name,
 *        subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *        attributes    [0] Attributes{{ CRIAttributes }} }
 *   Attributes { ATTRIBUTE:IOSet } ::= SET OF Attribute{{ IOSet }}
 *   Attribute ::= SEQUENCE { type ATTRIBUTE.&id, values SET SIZE(1..MAX) OF ATTRIBUTE.&Type }
 * RFC 2985 §5.4.1 challengePassword: DirectoryString (SIZE(1..255)), SINGLE VALUE;
 * §5.4.2 extensionRequest: Extensions.
 * Both SET OFs are sorted by the writer (DER).
 */
static void write_tbs(skit_derw *w, const scepkit_csr_params *p, scepkit_bytes spki, uint8_t challenge_tag)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, 0);
    write_subject(w, p);
    skit_derw_raw(w, spki.ptr, spki.len);
    skit_derw_open_set(w, (uint8_t)SKIT_TAG_CTX_CONS(0));
    if (p->challenge.len != 0) {
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_CHALLENGE_PASSWORD));
        skit_derw_open_set(w, SKIT_TAG_SET);
        skit_derw_tlv(w, challenge_tag, p->challenge.ptr, p->challenge.len);
        skit_derw_close(w);
        skit_derw_close(w);
    }
    if (has_extensions(p)) {
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_EXTENSION_REQUEST));
        skit_derw_open_set(w, SKIT_TAG_SET);
        write_extensions(w, p);
        skit_derw_close(w);
        skit_derw_close(w);
    }
    skit_derw_close(w);
    skit_derw_close(w);
}

/* Signature AlgorithmIdentifier: RFC 4055 §5 (RSA: parameters NULL), RFC 5758 §3.2 (ECDSA: absent). */
static void write_sig_alg(skit_derw *w, skit_oid alg, scepkit_key_type type)
{
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(alg));
    if (type == SCEPKIT_KEY_RSA) {
        skit_derw_null(w);
    }
    skit_derw_close(w);
}

static skit_oid sig_alg_of(scepkit_key_type type, scepkit_md md)
{
    if (type == SCEPKIT_KEY_RSA) {
        return md == SCEPKIT_MD_SHA256   ? SKIT_OID_SHA256_WITH_RSA
               : md == SCEPKIT_MD_SHA384 ? SKIT_OID_SHA384_WITH_RSA
               : md == SCEPKIT_MD_SHA512 ? SKIT_OID_SHA512_WITH_RSA
                                         : SKIT_OID_UNKNOWN;
    }
    if (type == SCEPKIT_KEY_EC_P256 || type == SCEPKIT_KEY_EC_P384) {
        return md == SCEPKIT_MD_SHA256   ? SKIT_OID_ECDSA_SHA256
               : md == SCEPKIT_MD_SHA384 ? SKIT_OID_ECDSA_SHA384
               : md == SCEPKIT_MD_SHA512 ? SKIT_OID_ECDSA_SHA512
                                         : SKIT_OID_UNKNOWN;
    }
    return SKIT_OID_UNKNOWN;
}

/* Largest signature the key can make: RSA the modulus size; ECDSA-Sig-Value with both INTEGERs at their
 * longest (n bytes plus a 0x00 sign byte), 2 + 2 * (2 + 33) for P-256 and 2 + 2 * (2 + 49) for P-384. */
static size_t max_sig_len(scepkit_key_type type, size_t bits)
{
    switch (type) {
    case SCEPKIT_KEY_RSA:
        return bits >= 1024 && bits <= SCEPKIT_MAX_RSA_BITS ? (bits + 7) / 8 : 0;
    case SCEPKIT_KEY_EC_P256:
        return 72;
    case SCEPKIT_KEY_EC_P384:
        return 104;
    default:
        return 0;
    }
}

/*
 * RFC 2986 §4.2:
 *   CertificationRequest ::= SEQUENCE {
 *        certificationRequestInfo CertificationRequestInfo,
 *        signatureAlgorithm       AlgorithmIdentifier{{ SignatureAlgorithms }},
 *        signature                BIT STRING }
 */
scepkit_err scepkit_csr_write(const scepkit_csr_params *params, scepkit_key key, scepkit_arena *scratch, uint8_t *out,
                              size_t cap, size_t *len)
{
    scepkit_err err = SCEPKIT_ERR_ARG;
    size_t mark = 0;
    bool marked = false;
    size_t touched = 0; /* bytes of `out` the real pass may have written */
    uint8_t digest[SCEPKIT_MD_MAX_SIZE];
    size_t digest_len = 0;
    scepkit_md md = SCEPKIT_MD_NONE;
    uint8_t challenge_tag = 0;
    skit_derw w;

    if (params == NULL || len == NULL || scratch == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = check_params(params, &md, &challenge_tag);
    if (err != SCEPKIT_OK) {
        goto out;
    }

    mark = scepkit_arena_mark(scratch);
    marked = true;
    void *mem = NULL;
    err = scepkit_arena_alloc(scratch, SCEPKIT_MAX_SPKI_SIZE, &mem);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    uint8_t *spki = mem;
    size_t spki_len = 0;
    err = scepkit_key_public(key, spki, SCEPKIT_MAX_SPKI_SIZE, &spki_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    scepkit_bytes spki_b = {spki, spki_len};
    scepkit_key_type type = SCEPKIT_KEY_NONE;
    size_t bits = 0;
    err = scepkit_spki_info(spki_b, &type, &bits);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    size_t sig_max = max_sig_len(type, bits);
    skit_oid alg = sig_alg_of(type, md);
    if (sig_max == 0 || alg == SKIT_OID_UNKNOWN) {
        err = SCEPKIT_ERR_KEY_TYPE;
        goto out;
    }
    err = scepkit_arena_alloc(scratch, sig_max, &mem);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    uint8_t *sig = mem;

    /* Size pass, with the longest signature the key can make: nothing is signed unless the
     * whole request will fit. */
    size_t need = 0;
    skit_derw_init(&w, NULL, 0);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    write_tbs(&w, params, spki_b, challenge_tag);
    write_sig_alg(&w, alg, type);
    skit_derw_bits(&w, 0, sig, sig_max);
    skit_derw_close(&w);
    err = skit_derw_finish(&w, &need);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
        goto out;
    }
    if (out == NULL || cap < need) {
        *len = need;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }

    skit_derw_init(&w, out, cap);
    touched = cap;
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    size_t tbs_start = w.pos;
    write_tbs(&w, params, spki_b, challenge_tag);
    if (w.err != SCEPKIT_OK || !skit_derw_real(&w) || w.pos < tbs_start) {
        err = w.err != SCEPKIT_OK ? w.err : SCEPKIT_ERR_INTERNAL;
        goto out;
    }
    scepkit_bytes tbs = {out + tbs_start, w.pos - tbs_start};
    err = scepkit_digest(md, tbs, digest, sizeof digest, &digest_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    size_t sig_len = 0;
    err = scepkit_key_sign_digest(key, md, digest, digest_len, sig, sig_max, &sig_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (sig_len == 0 || sig_len > sig_max) {
        err = SCEPKIT_ERR_INTERNAL;
        goto out;
    }
    write_sig_alg(&w, alg, type);
    skit_derw_bits(&w, 0, sig, sig_len);
    skit_derw_close(&w);
    err = skit_derw_finish(&w, len);

out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err != SCEPKIT_OK && out != NULL && touched != 0) {
        scepkit_wipe(out, touched); /* no half-written request (it may hold the challenge) */
    }
    scepkit_wipe(digest, sizeof digest);
    if (marked) {
        scepkit_arena_release(scratch, mark);
    }
    return err;
}

#else /* !SCEPKIT_WITH_CSR_WRITE */

scepkit_err scepkit_csr_write(const scepkit_csr_params *params, scepkit_key key, scepkit_arena *scratch, uint8_t *out,
                              size_t cap, size_t *len)
{
    (void)params;
    (void)key;
    (void)scratch;
    (void)out;
    (void)cap;
    if (len != NULL) {
        *len = 0;
    }
    return SCEPKIT_ERR_DISABLED;
}

#endif
