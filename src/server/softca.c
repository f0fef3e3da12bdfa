/*
 * Certificate profiles and the software CA (include/scepkit/ca.h).
 *
 * The software CA builds every certificate from the profile and copies from the request only the
 * subject attributes and subjectAltName entries the profile allows; it never copies requested
 * keyUsage, extendedKeyUsage, basicConstraints or other extensions. Serials are 127 random bits
 * claimed in the store before signing, so they are unique across threads and processes and never
 * reused; the certificate is indexed (durably) before it is handed to the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/ca.h"
#include "scepkit/name.h"
#include "server/server_internal.h"

/* ---------------------------------------------------------------------------------------------- */
/* Profiles */

const scepkit_profile *scepkit_profile_find(const scepkit_profile *profiles, size_t count, scepkit_bytes name)
{
    if (profiles == NULL || name.ptr == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        const char *n = profiles[i].name;
        if (n != NULL && strlen(n) == name.len && memcmp(n, name.ptr, name.len) == 0) {
            return &profiles[i];
        }
    }
    return NULL;
}

const scepkit_profile *scepkit_profile_for_request(const scepkit_profile *profiles, size_t count,
                                                   const scepkit_csr *csr)
{
    if (profiles == NULL || count == 0) {
        return NULL;
    }
    scepkit_purpose want = SCEPKIT_PURPOSE_SIGNATURE_AND_ENCRYPTION;
    if (csr != NULL && csr->has_key_usage) {
        uint32_t sig = csr->key_usage & (SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_NON_REPUDIATION);
        uint32_t enc =
            csr->key_usage & (SCEPKIT_KU_KEY_ENCIPHERMENT | SCEPKIT_KU_DATA_ENCIPHERMENT | SCEPKIT_KU_KEY_AGREEMENT);
        if (sig != 0 && enc == 0) {
            want = SCEPKIT_PURPOSE_SIGNATURE;
        } else if (enc != 0 && sig == 0) {
            want = SCEPKIT_PURPOSE_ENCRYPTION;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (profiles[i].purpose == want) {
            return &profiles[i];
        }
    }
    return &profiles[0];
}

/* ---------------------------------------------------------------------------------------------- */
/* Request filtering */

/* Copies the subject attributes the profile allows. Name ::= SEQUENCE OF RelativeDistinguishedName. */
static scepkit_err filter_subject(const scepkit_profile *p, scepkit_bytes subject, uint8_t *out, size_t cap,
                                  scepkit_bytes *result)
{
    if (p->subject_attrs == NULL || p->subject_attr_count == 0) {
        *result = subject;
        return SCEPKIT_OK;
    }
    scepkit_name_attr kept[SCEPKIT_NAME_MAX_ATTRS];
    size_t n = 0;
    int prev_kept = 0;
    scepkit_name_iter it = {0};
    for (;;) {
        scepkit_name_attr a;
        scepkit_err err = scepkit_name_next(subject, &it, &a);
        if (err == SCEPKIT_ERR_NOT_FOUND) {
            break;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
        int allow = 0;
        for (size_t i = 0; i < p->subject_attr_count; i++) {
            if (p->subject_attrs[i].len == a.oid.len && memcmp(p->subject_attrs[i].ptr, a.oid.ptr, a.oid.len) == 0) {
                allow = 1;
            }
        }
        if (!allow) {
            if (!a.multi_valued) {
                prev_kept = 0;
            }
            continue;
        }
        if (n == SCEPKIT_NAME_MAX_ATTRS) {
            return SCEPKIT_ERR_CSR_TOO_MANY;
        }
        /* An attribute joining a dropped one's RDN starts its own RDN. */
        if (a.multi_valued && !prev_kept) {
            a.multi_valued = 0;
        }
        kept[n++] = a;
        prev_kept = 1;
    }
    size_t len = 0;
    scepkit_err err = scepkit_name_write(kept, n, out, cap, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    result->ptr = out;
    result->len = len;
    return SCEPKIT_OK;
}

/* Microsoft UPN otherName type-id 1.3.6.1.4.1.311.20.2.3. */
static int is_upn(const skit_tlv *t, const skit_der *parent)
{
    /* OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }  ([0] IMPLICIT in GeneralName) */
    skit_der in;
    skit_tlv oid;
    if (skit_der_enter_tlv(parent, t, &in) != SCEPKIT_OK || skit_der_expect(&in, SKIT_TAG_OID, &oid) != SCEPKIT_OK) {
        return 0;
    }
    return skit_oid_find(oid.value) == SKIT_OID_MS_UPN;
}

/*
 * GeneralName ::= CHOICE { otherName [0], rfc822Name [1], dNSName [2], x400Address [3], directoryName [4],
 *                          ediPartyName [5], uniformResourceIdentifier [6], iPAddress [7], registeredID [8] }
 * Keeps the entries whose type the profile allows; writes a GeneralNames SEQUENCE (or nothing).
 */
static scepkit_err filter_sans(const scepkit_profile *p, scepkit_bytes san, uint8_t *out, size_t cap,
                               scepkit_bytes *result)
{
    result->ptr = NULL;
    result->len = 0;
    if (san.len == 0 || p->no_sans) {
        return SCEPKIT_OK;
    }
    unsigned types = p->san_types != 0 ? p->san_types : SCEPKIT_PROFILE_SAN_DEFAULT;
    skit_der d, seq;
    skit_der_init(&d, san, 0);
    scepkit_err err = skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_derw w;
    skit_derw_init(&w, out, cap);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    size_t kept = 0;
    while (skit_der_more(&seq)) {
        skit_tlv t;
        err = skit_der_read(&seq, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        unsigned bit = 0;
        switch (t.tag) {
        case SKIT_TAG_CTX(1):
            bit = SCEPKIT_PROFILE_SAN_EMAIL;
            break;
        case SKIT_TAG_CTX(2):
            bit = SCEPKIT_PROFILE_SAN_DNS;
            break;
        case SKIT_TAG_CTX(6):
            bit = SCEPKIT_PROFILE_SAN_URI;
            break;
        case SKIT_TAG_CTX(7):
            bit = SCEPKIT_PROFILE_SAN_IP;
            break;
        case SKIT_TAG_CTX_CONS(0):
            bit = is_upn(&t, &seq) ? SCEPKIT_PROFILE_SAN_UPN : 0;
            break;
        default:
            bit = 0;
            break;
        }
        if ((types & bit) != 0) {
            skit_derw_raw(&w, t.raw.ptr, t.raw.len);
            kept++;
        }
    }
    skit_derw_close(&w);
    size_t len = 0;
    err = skit_derw_finish(&w, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (kept > 0) {
        result->ptr = out;
        result->len = len;
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* The software CA */

static scepkit_key ca_key(scepkit_softca *sc, skit_locked_key *lk)
{
    return skit_locked_key_port(lk, sc->cfg.ca_key, sc->cfg.key_thread_safe ? NULL : &sc->key_mu);
}

static void reject(scepkit_ca_result *res, scepkit_fail_info fi, const char *text)
{
    res->outcome = SCEPKIT_CA_REJECTED;
    res->fail_info = fi;
    skit_copy_text(res->fail_text, sizeof res->fail_text, text, strlen(text));
}

static scepkit_err claim_serial(scepkit_softca *sc, uint8_t serial[SCEPKIT_SOFTCA_SERIAL_LEN])
{
    if (sc->cfg.store.ops->serial_claim == NULL) {
        return skit_store_missing();
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        scepkit_err err = scepkit_rng_fill(sc->cfg.rng, serial, SCEPKIT_SOFTCA_SERIAL_LEN);
        if (err != SCEPKIT_OK) {
            return err;
        }
        /* Positive (top bit clear) and of fixed length (second bit set): 126 random bits. */
        serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
        err = sc->cfg.store.ops->serial_claim(sc->cfg.store.self, (scepkit_bytes){serial, SCEPKIT_SOFTCA_SERIAL_LEN});
        if (err != SCEPKIT_ERR_STORE_EXISTS) {
            return err;
        }
    }
    return SCEPKIT_ERR_RNG; /* eight collisions in 2^126: the RNG is broken */
}

static scepkit_err sc_issue(void *self, const scepkit_ca_request *req, const scepkit_profile *profile, uint8_t *out,
                            size_t cap, scepkit_ca_result *res)
{
    scepkit_softca *sc = self;
    uint8_t subject_buf[2048], san_buf[4096], serial[SCEPKIT_SOFTCA_SERIAL_LEN];
    uint8_t scratch_mem[SCEPKIT_X509_WRITE_SCRATCH];
    scepkit_bytes ekus_default[1];
    if (sc == NULL || !sc->initialised || req == NULL || req->csr == NULL || profile == NULL || res == NULL ||
        (out == NULL && cap > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(res, 0, sizeof *res);
    const scepkit_csr *csr = req->csr;

    if (csr->key_type == SCEPKIT_KEY_NONE) {
        reject(res, SCEPKIT_FAIL_BAD_ALG, "unsupported public key type");
        return SCEPKIT_OK;
    }
    if (csr->key_type == SCEPKIT_KEY_RSA && csr->key_bits < 2048) {
        reject(res, SCEPKIT_FAIL_BAD_ALG, "RSA key shorter than 2048 bits");
        return SCEPKIT_OK;
    }

    scepkit_bytes subject, sans;
    scepkit_err err = filter_subject(profile, csr->subject, subject_buf, sizeof subject_buf, &subject);
    if (err == SCEPKIT_OK) {
        err = filter_sans(profile, csr->san, san_buf, sizeof san_buf, &sans);
    }
    if (err != SCEPKIT_OK) {
        reject(res, SCEPKIT_FAIL_BAD_REQUEST, "subject or subjectAltName not usable");
        return SCEPKIT_OK;
    }
    if (subject.len <= 2 && sans.len == 0) {
        reject(res, SCEPKIT_FAIL_BAD_REQUEST, "empty subject and no subjectAltName");
        return SCEPKIT_OK;
    }

    /* Validity: the profile's, or the requested end within the profile's bound; never past the CA. */
    int64_t validity = profile->validity > 0 ? profile->validity : 365 * 86400;
    int64_t backdate = profile->backdate > 0 ? profile->backdate : 300;
    int64_t not_before = req->now - backdate;
    int64_t not_after = req->now + validity;
    if (profile->allow_requested_validity && req->not_after > req->now) {
        int64_t max = profile->max_validity > 0 ? profile->max_validity : validity;
        not_after = req->not_after < req->now + max ? req->not_after : req->now + max;
    }
    if (not_after > sc->ca.not_after) {
        not_after = sc->ca.not_after;
    }
    if (not_after <= req->now) {
        reject(res, SCEPKIT_FAIL_BAD_TIME, "CA certificate expired");
        return SCEPKIT_OK;
    }

    uint32_t ku = 0;
    switch (profile->purpose) {
    case SCEPKIT_PURPOSE_SIGNATURE:
        ku = SCEPKIT_KU_DIGITAL_SIGNATURE;
        break;
    case SCEPKIT_PURPOSE_ENCRYPTION:
        ku = SCEPKIT_KU_KEY_ENCIPHERMENT;
        break;
    default:
        ku = SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT;
        break;
    }
    if (csr->key_type != SCEPKIT_KEY_RSA && (ku & SCEPKIT_KU_KEY_ENCIPHERMENT) != 0) {
        /* EC keys cannot encipher keys (RFC 5480 §3): keyAgreement is their encryption use. */
        ku = (ku & ~SCEPKIT_KU_KEY_ENCIPHERMENT) | SCEPKIT_KU_KEY_AGREEMENT;
    }
    if (profile->non_repudiation) {
        ku |= SCEPKIT_KU_NON_REPUDIATION;
    }

    err = claim_serial(sc, serial);
    if (err != SCEPKIT_OK) {
        return err;
    }

    scepkit_x509_params xp;
    memset(&xp, 0, sizeof xp);
    xp.serial = (scepkit_bytes){serial, sizeof serial};
    xp.issuer = sc->ca.subject;
    xp.subject = subject;
    xp.spki = csr->spki;
    xp.not_before = not_before;
    xp.not_after = not_after;
    xp.path_len = -1;
    xp.key_usage = ku;
    if (!profile->no_eku) {
        if (profile->ekus != NULL && profile->eku_count > 0) {
            xp.ekus = profile->ekus;
            xp.eku_count = profile->eku_count;
        } else {
            ekus_default[0] = skit_oid_bytes(SKIT_OID_KP_CLIENT_AUTH);
            xp.ekus = ekus_default;
            xp.eku_count = 1;
        }
    }
    xp.san_der = sans;
    xp.add_ski = 1;
    if (sc->ca.has_ski) {
        xp.aki_key_id = sc->ca.ski;
    }
    xp.crl_dp_uri = sc->cfg.crl_dp_uri;
    xp.aia_ca_issuers_uri = sc->cfg.aia_ca_issuers_uri;
    xp.aia_ocsp_uri = sc->cfg.aia_ocsp_uri;
    xp.md = profile->md;

    scepkit_arena scratch;
    scepkit_arena_init(&scratch, scratch_mem, sizeof scratch_mem);
    skit_locked_key lk;
    size_t len = 0;
    err = scepkit_x509_write(&xp, ca_key(sc, &lk), &scratch, out, cap, &len);
    scepkit_wipe(scratch_mem, sizeof scratch_mem);
    if (err != SCEPKIT_OK) {
        res->cert_len = len; /* the size needed on BUFFER_TOO_SMALL (the claimed serial is simply skipped) */
        return err;
    }

    /* Index it durably before anyone sees it: a crash after this point loses nothing issued. */
    if (sc->cfg.store.ops->cert_put == NULL) {
        scepkit_wipe(out, len);
        return skit_store_missing();
    }
    scepkit_store_cert rec;
    memset(&rec, 0, sizeof rec);
    memcpy(rec.serial, serial, sizeof serial);
    rec.serial_len = sizeof serial;
    rec.cert = (scepkit_bytes){out, len};
    rec.issued_at = req->now;
    rec.not_after = not_after;
    rec.reason = -1;
    /* The record names its transaction: a retry after a crash before the handler recorded the transaction
     * as ISSUED finds this certificate (cert_find_tx) instead of getting a second one. */
    if (req->transaction_id.len <= SCEPKIT_TRANSACTION_ID_MAX && req->transaction_id.ptr != NULL &&
        memchr(req->transaction_id.ptr, 0, req->transaction_id.len) == NULL) {
        memcpy(rec.transaction_id, req->transaction_id.ptr, req->transaction_id.len);
    }
    if (profile->name != NULL && strlen(profile->name) <= SCEPKIT_PROFILE_NAME_MAX) {
        memcpy(rec.profile, profile->name, strlen(profile->name));
    }
    err = sc->cfg.store.ops->cert_put(sc->cfg.store.self, &rec);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, len);
        return err;
    }
    res->outcome = SCEPKIT_CA_ISSUED;
    res->cert_len = len;
    return SCEPKIT_OK;
}

/* The issuer of a GetCert/GetCRL must be this CA (DER bytes, or equal attribute by attribute). */
static int is_our_issuer(const scepkit_softca *sc, scepkit_bytes issuer)
{
    if (issuer.len == sc->ca.subject.len && memcmp(issuer.ptr, sc->ca.subject.ptr, issuer.len) == 0) {
        return 1;
    }
    return skit_name_equal_loose(issuer, sc->ca.subject);
}

static scepkit_err sc_get_cert(void *self, scepkit_bytes issuer, scepkit_bytes serial, uint8_t *out, size_t cap,
                               size_t *len)
{
    scepkit_softca *sc = self;
    if (sc == NULL || !sc->initialised || len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (!is_our_issuer(sc, issuer)) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    if (sc->cfg.store.ops->cert_get == NULL) {
        return skit_store_missing();
    }
    scepkit_store_cert rec;
    scepkit_err err = sc->cfg.store.ops->cert_get(sc->cfg.store.self, serial, out, cap, &rec);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = cap + 1;
        return err;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* The record's certificate sits inside `out` after the CBOR header: move it to the front. */
    memmove(out, rec.cert.ptr, rec.cert.len);
    *len = rec.cert.len;
    return SCEPKIT_OK;
}

typedef struct crl_collect {
    scepkit_store_revoked *items;
    size_t count;
    size_t cap;
} crl_collect;

static scepkit_err collect_revoked(void *ctx, const scepkit_store_revoked *rec)
{
    crl_collect *c = ctx;
    if (c->count == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 64;
        scepkit_store_revoked *n = realloc(c->items, ncap * sizeof *n);
        if (n == NULL) {
            return SCEPKIT_ERR_IO;
        }
        c->items = n;
        c->cap = ncap;
    }
    c->items[c->count++] = *rec;
    return SCEPKIT_OK;
}

static scepkit_err sc_get_crl(void *self, scepkit_bytes issuer, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_softca *sc = self;
    if (sc == NULL || !sc->initialised || len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (!is_our_issuer(sc, issuer)) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    if (sc->cfg.store.ops->revoked_each == NULL || sc->cfg.store.ops->crl_number_next == NULL) {
        return skit_store_missing();
    }
    int64_t now = 0;
    scepkit_err err = scepkit_clock_now(sc->cfg.clock, &now);
    if (err != SCEPKIT_OK) {
        return err;
    }
    crl_collect c = {NULL, 0, 0};
    scepkit_crl_entry *entries = NULL;
    uint8_t scratch_mem[SCEPKIT_X509_WRITE_SCRATCH];
    err = sc->cfg.store.ops->revoked_each(sc->cfg.store.self, collect_revoked, &c);
    if (err == SCEPKIT_OK && c.count > 0) {
        entries = calloc(c.count, sizeof *entries);
        if (entries == NULL) {
            err = SCEPKIT_ERR_IO;
        }
    }
    for (size_t i = 0; err == SCEPKIT_OK && i < c.count; i++) {
        entries[i].serial = (scepkit_bytes){c.items[i].serial, c.items[i].serial_len};
        entries[i].revoked_at = c.items[i].revoked_at;
        entries[i].reason = c.items[i].reason;
    }
    uint64_t number = 0;
    if (err == SCEPKIT_OK) {
        err = sc->cfg.store.ops->crl_number_next(sc->cfg.store.self, &number);
    }
    if (err == SCEPKIT_OK) {
        scepkit_crl_params cp;
        memset(&cp, 0, sizeof cp);
        cp.issuer = sc->ca.subject;
        cp.this_update = now;
        cp.next_update = now + (sc->cfg.crl_validity > 0 ? sc->cfg.crl_validity : 7 * 86400);
        cp.crl_number = number;
        if (sc->ca.has_ski) {
            cp.aki_key_id = sc->ca.ski;
        }
        cp.entries = entries;
        cp.entry_count = c.count;
        cp.md = sc->cfg.crl_md;
        scepkit_arena scratch;
        scepkit_arena_init(&scratch, scratch_mem, sizeof scratch_mem);
        skit_locked_key lk;
        err = scepkit_crl_write(&cp, ca_key(sc, &lk), &scratch, out, cap, len);
        scepkit_wipe(scratch_mem, sizeof scratch_mem);
    }
    free(entries);
    free(c.items);
    return err;
}

static scepkit_err sc_revoke(void *self, scepkit_bytes serial, int reason)
{
    scepkit_softca *sc = self;
    if (sc == NULL || !sc->initialised) {
        return SCEPKIT_ERR_ARG;
    }
    if (sc->cfg.store.ops->revoke == NULL) {
        return skit_store_missing();
    }
    int64_t now = 0;
    scepkit_err err = scepkit_clock_now(sc->cfg.clock, &now);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return sc->cfg.store.ops->revoke(sc->cfg.store.self, skit_serial_magnitude(serial), reason, now);
}

static const scepkit_ca_ops softca_ops = {sc_issue, sc_get_cert, sc_get_crl, sc_revoke};

pthread_mutex_t *skit_softca_key_mutex(scepkit_ca ca, scepkit_key key)
{
    scepkit_softca *sc = ca.self;
    if (ca.ops != &softca_ops || sc == NULL || !sc->initialised || sc->cfg.key_thread_safe ||
        sc->cfg.ca_key.ops != key.ops || sc->cfg.ca_key.self != key.self) {
        return NULL;
    }
    return &sc->key_mu;
}

scepkit_err scepkit_softca_init(scepkit_softca *sc, const scepkit_softca_config *cfg)
{
    if (sc == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(sc, 0, sizeof *sc);
    if (cfg == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (cfg->ca_cert.ptr == NULL || cfg->ca_key.ops == NULL || cfg->store.ops == NULL || cfg->rng.ops == NULL) {
        return SCEPKIT_ERR_SERVER_CONFIG;
    }
    sc->cfg = *cfg;
    scepkit_err err = scepkit_x509_parse(cfg->ca_cert, &sc->ca);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (sc->ca.has_basic_constraints && !sc->ca.is_ca) {
        return SCEPKIT_ERR_SERVER_CONFIG;
    }
    if (pthread_mutex_init(&sc->key_mu, NULL) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    sc->initialised = 1;
    return SCEPKIT_OK;
}

scepkit_ca scepkit_softca_port(scepkit_softca *sc)
{
    scepkit_ca c = {&softca_ops, sc};
    return c;
}

void scepkit_softca_free(scepkit_softca *sc)
{
    if (sc == NULL || !sc->initialised) {
        return;
    }
    pthread_mutex_destroy(&sc->key_mu);
    sc->initialised = 0;
}
