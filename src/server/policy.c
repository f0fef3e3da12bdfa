/*
 * Built-in challenge policies (include/scepkit/policy.h): static secret, one-time passwords, and
 * the signed dynamic challenge (CBOR token).
 */
#include <string.h>

#include "port/crypto_port.h"
#include "scepkit/pem.h"
#include "scepkit/policy.h"
#include "server/cbor_rec.h"
#include "server/server_internal.h"

static void decide_reject(scepkit_policy_decision *out, const char *reason)
{
    out->verdict = SCEPKIT_VERDICT_REJECT;
    out->fail_info = SCEPKIT_FAIL_BAD_REQUEST;
    skit_copy_text(out->reason, sizeof out->reason, reason, strlen(reason));
}

static void decide_accept(scepkit_policy_decision *out)
{
    out->verdict = SCEPKIT_VERDICT_ACCEPT;
    out->reason[0] = '\0';
}

/* ---------------------------------------------------------------------------------------------- */
/* Static secret */

scepkit_err scepkit_policy_static_init(scepkit_policy_static *p, scepkit_bytes secret)
{
    if (p == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(p, 0, sizeof *p);
    if (secret.ptr == NULL || secret.len == 0 || secret.len > SCEPKIT_CHALLENGE_MAX_LEN) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = skit_md(SCEPKIT_MD_SHA256, secret.ptr, secret.len, p->digest);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(p, sizeof *p);
        return err;
    }
    p->initialised = 1;
    return SCEPKIT_OK;
}

static scepkit_err static_check(void *self, const scepkit_policy_request *req, scepkit_policy_decision *out)
{
    const scepkit_policy_static *p = self;
    uint8_t d[32];
    if (p == NULL || req == NULL || req->csr == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    decide_reject(out, "challenge password incorrect");
    if (!p->initialised || !req->csr->has_challenge || req->csr->challenge.len == 0) {
        if (p->initialised) {
            decide_reject(out, "challenge password missing");
        }
        return SCEPKIT_OK;
    }
    /* Comparing digests keeps the time independent of both the content and the length of the secret. */
    scepkit_err err = skit_md(SCEPKIT_MD_SHA256, req->csr->challenge.ptr, req->csr->challenge.len, d);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (scepkit_ct_memcmp(d, p->digest, sizeof d) == 0) {
        decide_accept(out);
    }
    scepkit_wipe(d, sizeof d);
    return SCEPKIT_OK;
}

static const scepkit_policy_ops static_ops = {static_check};

scepkit_policy scepkit_policy_static_port(scepkit_policy_static *p)
{
    scepkit_policy pol = {&static_ops, p};
    return pol;
}

void scepkit_policy_static_free(scepkit_policy_static *p)
{
    if (p != NULL) {
        scepkit_wipe(p, sizeof *p);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* One-time passwords: text = hex(id, 8 bytes) "-" hex(secret, 16 bytes); stored: SHA-256(salt || secret). */

static scepkit_err otp_hash(const uint8_t salt[16], const uint8_t secret[16], uint8_t out[32])
{
    uint8_t buf[32];
    memcpy(buf, salt, 16);
    memcpy(buf + 16, secret, 16);
    scepkit_err err = skit_md(SCEPKIT_MD_SHA256, buf, sizeof buf, out);
    scepkit_wipe(buf, sizeof buf);
    return err;
}

scepkit_err scepkit_otp_generate(const scepkit_policy_otp *p, scepkit_bytes profile, char *out, size_t cap, size_t *len)
{
    uint8_t secret[16];
    scepkit_store_otp rec;
    if (p == NULL || out == NULL || len == NULL || p->store.ops == NULL || p->rng.ops == NULL ||
        (profile.len > 0 && profile.ptr == NULL)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = SCEPKIT_OTP_TEXT_LEN;
    if (cap <= SCEPKIT_OTP_TEXT_LEN) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    if (profile.len > SCEPKIT_PROFILE_NAME_MAX) {
        return SCEPKIT_ERR_PROFILE;
    }
    if (p->store.ops->otp_put == NULL) {
        return skit_store_missing();
    }
    memset(&rec, 0, sizeof rec);
    int64_t now = 0;
    scepkit_err err = scepkit_clock_now(p->clock, &now);
    if (err == SCEPKIT_OK) {
        err = scepkit_rng_fill(p->rng, rec.id, sizeof rec.id);
    }
    if (err == SCEPKIT_OK) {
        err = scepkit_rng_fill(p->rng, rec.salt, sizeof rec.salt);
    }
    if (err == SCEPKIT_OK) {
        err = scepkit_rng_fill(p->rng, secret, sizeof secret);
    }
    if (err == SCEPKIT_OK) {
        err = otp_hash(rec.salt, secret, rec.hash);
    }
    if (err == SCEPKIT_OK) {
        rec.created = now;
        rec.expires = now + (p->lifetime > 0 ? p->lifetime : 3600);
        if (profile.len > 0) {
            memcpy(rec.profile, profile.ptr, profile.len);
        }
        err = p->store.ops->otp_put(p->store.self, &rec, p->max_outstanding > 0 ? p->max_outstanding : 100, now);
    }
    if (err == SCEPKIT_OK) {
        skit_hex(rec.id, sizeof rec.id, out);
        out[16] = '-';
        skit_hex(secret, sizeof secret, out + 17);
    } else {
        scepkit_wipe(out, cap);
    }
    scepkit_wipe(secret, sizeof secret);
    scepkit_wipe(&rec, sizeof rec);
    return err;
}

static scepkit_err otp_check(void *self, const scepkit_policy_request *req, scepkit_policy_decision *out)
{
    const scepkit_policy_otp *p = self;
    uint8_t id[8], secret[16], hash[32];
    scepkit_store_otp rec;
    if (p == NULL || req == NULL || req->csr == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    decide_reject(out, "one-time password invalid, used or expired");
    scepkit_bytes c = req->csr->challenge;
    if (!req->csr->has_challenge || c.len != SCEPKIT_OTP_TEXT_LEN || c.ptr[16] != '-' ||
        skit_unhex((const char *)c.ptr, 16, id, sizeof id) != 0 ||
        skit_unhex((const char *)c.ptr + 17, 32, secret, sizeof secret) != 0) {
        scepkit_wipe(secret, sizeof secret);
        return SCEPKIT_OK;
    }
    if (p->store.ops == NULL || p->store.ops->otp_get == NULL || p->store.ops->otp_consume == NULL) {
        scepkit_wipe(secret, sizeof secret);
        return skit_store_missing();
    }
    scepkit_err err = p->store.ops->otp_get(p->store.self, id, &rec);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        err = SCEPKIT_OK;
        goto out;
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (rec.expires <= req->now) {
        goto out; /* expired: left for the purge, not consumed */
    }
    if (rec.profile[0] != '\0' &&
        scepkit_profile_find(req->profiles, req->profile_count, scepkit_bytes_str(rec.profile)) == NULL) {
        decide_reject(out, "one-time password names an unknown profile");
        goto out;
    }
    err = otp_hash(rec.salt, secret, hash);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* The store compares the hash (constant time) and removes the record in one locked step: single use. */
    err = p->store.ops->otp_consume(p->store.self, id, hash);
    if (err == SCEPKIT_ERR_NOT_FOUND || err == SCEPKIT_ERR_STORE_CONFLICT) {
        err = SCEPKIT_OK;
        goto out;
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    decide_accept(out);
    memcpy(out->profile, rec.profile, sizeof out->profile);
out:
    scepkit_wipe(secret, sizeof secret);
    scepkit_wipe(hash, sizeof hash);
    scepkit_wipe(&rec, sizeof rec);
    return err;
}

static const scepkit_policy_ops otp_ops = {otp_check};

scepkit_policy scepkit_policy_otp_port(scepkit_policy_otp *p)
{
    scepkit_policy pol = {&otp_ops, p};
    return pol;
}

/* ---------------------------------------------------------------------------------------------- */
/*
 * Dynamic challenge token.
 *
 *   token  = base64url-nopad( claims || tag )
 *   claims = CBOR [ 1 (version), kid: uint, expires: uint, profile: tstr, subject: bstr (Name DER),
 *                   sans: bstr (GeneralNames DER or empty), validityDays: uint ]
 *   tag    = first 16 bytes of HMAC-SHA256(key, "scepkit-token-v1" || claims)
 */

#define TOKEN_TAG_LEN 16
#define TOKEN_MAX_RAW 191 /* 255 base64url characters */
static const char token_label[] = "scepkit-token-v1";

enum { TK_VERSION, TK_KID, TK_EXPIRES, TK_PROFILE, TK_SUBJECT, TK_SANS, TK_DAYS, TK_COUNT };

static void token_fields(skit_rec_field *f)
{
    static const skit_rec_kind kinds[TK_COUNT] = {SKIT_REC_UINT,  SKIT_REC_UINT,  SKIT_REC_UINT, SKIT_REC_TEXT,
                                                  SKIT_REC_BYTES, SKIT_REC_BYTES, SKIT_REC_UINT};
    for (size_t i = 0; i < TK_COUNT; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].key = i;
        f[i].kind = kinds[i];
        f[i].present = 1;
    }
}

static scepkit_err token_tag(scepkit_bytes key, const uint8_t *claims, size_t len, uint8_t tag[TOKEN_TAG_LEN])
{
    uint8_t buf[sizeof token_label - 1 + TOKEN_MAX_RAW];
    uint8_t mac[32];
    if (len > TOKEN_MAX_RAW) {
        return SCEPKIT_ERR_TOKEN_TOO_LONG;
    }
    memcpy(buf, token_label, sizeof token_label - 1);
    memcpy(buf + sizeof token_label - 1, claims, len);
    scepkit_err err = skit_hmac(SCEPKIT_MD_SHA256, key.ptr, key.len, buf, sizeof token_label - 1 + len, mac);
    if (err == SCEPKIT_OK) {
        memcpy(tag, mac, TOKEN_TAG_LEN);
    }
    scepkit_wipe(mac, sizeof mac);
    return err;
}

scepkit_err scepkit_token_issue(const scepkit_token_key *key, const scepkit_token_claims *claims, char *out, size_t cap,
                                size_t *len)
{
    uint8_t raw[TOKEN_MAX_RAW + 64];
    if (key == NULL || claims == NULL || len == NULL || key->secret.ptr == NULL || key->secret.len < 16 ||
        claims->expires < 0 || claims->subject.ptr == NULL || claims->subject.len == 0 ||
        (claims->sans.len > 0 && claims->sans.ptr == NULL) ||
        (claims->profile.len > 0 && claims->profile.ptr == NULL) || claims->profile.len > SCEPKIT_PROFILE_NAME_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    skit_rec_field f[TK_COUNT];
    token_fields(f);
    f[TK_VERSION].u = 1;
    f[TK_KID].u = key->kid;
    f[TK_EXPIRES].u = (uint64_t)claims->expires;
    f[TK_PROFILE].b = claims->profile;
    f[TK_SUBJECT].b = claims->subject;
    f[TK_SANS].b = claims->sans;
    f[TK_DAYS].u = claims->validity_days;
    size_t n = 0;
    scepkit_err err = skit_rec_write_array(f, TK_COUNT, raw, sizeof raw, &n);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL || (err == SCEPKIT_OK && n + TOKEN_TAG_LEN > TOKEN_MAX_RAW)) {
        return SCEPKIT_ERR_TOKEN_TOO_LONG;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = token_tag(key->secret, raw, n, raw + n);
    if (err != SCEPKIT_OK) {
        return err;
    }
    n += TOKEN_TAG_LEN;
    err = scepkit_base64_encode((scepkit_bytes){raw, n}, SCEPKIT_B64_URL, out, cap, len);
    if (err == SCEPKIT_OK && *len >= cap) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL; /* no room for the NUL */
    }
    return err;
}

scepkit_err scepkit_token_verify(const scepkit_token_key *keys, size_t key_count, scepkit_bytes text, int64_t now,
                                 uint8_t *buf, size_t cap, scepkit_token_claims *out)
{
    uint8_t tag[TOKEN_TAG_LEN];
    if (keys == NULL || out == NULL || buf == NULL || cap < SCEPKIT_TOKEN_MAX_LEN ||
        (text.ptr == NULL && text.len > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (text.len == 0 || text.len > SCEPKIT_TOKEN_MAX_LEN) {
        return SCEPKIT_ERR_TOKEN_FORMAT;
    }
    size_t n = 0;
    if (scepkit_base64_decode(text, SCEPKIT_B64_URL, buf, cap, &n) != SCEPKIT_OK || n <= TOKEN_TAG_LEN + 8) {
        return SCEPKIT_ERR_TOKEN_FORMAT;
    }
    size_t claims_len = n - TOKEN_TAG_LEN;
    skit_rec_field f[TK_COUNT];
    token_fields(f);
    /* The claims are parsed (strictly) before the MAC only to learn which key to use. */
    scepkit_err err = skit_rec_read_array((scepkit_bytes){buf, claims_len}, f, TK_COUNT, SCEPKIT_ERR_TOKEN_FORMAT);
    if (err != SCEPKIT_OK) {
        return err;
    }
    const scepkit_token_key *key = NULL;
    for (size_t i = 0; i < key_count; i++) {
        if (keys[i].kid == f[TK_KID].u && keys[i].secret.ptr != NULL && keys[i].secret.len >= 16) {
            key = &keys[i];
        }
    }
    if (key == NULL) {
        return SCEPKIT_ERR_TOKEN_MAC;
    }
    err = token_tag(key->secret, buf, claims_len, tag);
    if (err != SCEPKIT_OK) {
        return err;
    }
    int mac_ok = scepkit_ct_memcmp(tag, buf + claims_len, TOKEN_TAG_LEN) == 0;
    scepkit_wipe(tag, sizeof tag);
    if (!mac_ok) {
        return SCEPKIT_ERR_TOKEN_MAC;
    }
    if (f[TK_VERSION].u != 1 || f[TK_EXPIRES].u > INT64_MAX || f[TK_DAYS].u > 36500 ||
        f[TK_PROFILE].b.len > SCEPKIT_PROFILE_NAME_MAX || f[TK_SUBJECT].b.len == 0) {
        return SCEPKIT_ERR_TOKEN_FORMAT;
    }
    if ((int64_t)f[TK_EXPIRES].u <= now) {
        return SCEPKIT_ERR_TOKEN_EXPIRED;
    }
    out->subject = f[TK_SUBJECT].b;
    out->sans = f[TK_SANS].b;
    out->profile = f[TK_PROFILE].b;
    out->expires = (int64_t)f[TK_EXPIRES].u;
    out->validity_days = (uint32_t)f[TK_DAYS].u;
    out->kid = key->kid;
    uint8_t h[32];
    err = skit_md(SCEPKIT_MD_SHA256, buf + claims_len, TOKEN_TAG_LEN, h);
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    memcpy(out->id, h, sizeof out->id);
    return SCEPKIT_OK;
}

static scepkit_err token_check(void *self, const scepkit_policy_request *req, scepkit_policy_decision *out)
{
    const scepkit_policy_token *p = self;
    uint8_t buf[SCEPKIT_TOKEN_MAX_LEN + 1];
    scepkit_token_claims claims;
    if (p == NULL || req == NULL || req->csr == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    decide_reject(out, "challenge token missing");
    if (!req->csr->has_challenge || req->csr->challenge.len == 0) {
        return SCEPKIT_OK;
    }
    scepkit_err err =
        scepkit_token_verify(p->keys, p->key_count, req->csr->challenge, req->now, buf, sizeof buf, &claims);
    if (err == SCEPKIT_ERR_TOKEN_EXPIRED) {
        decide_reject(out, "challenge token expired");
        return SCEPKIT_OK;
    }
    if (err == SCEPKIT_ERR_TOKEN_FORMAT || err == SCEPKIT_ERR_TOKEN_MAC) {
        decide_reject(out, "challenge token invalid");
        return SCEPKIT_OK;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!skit_name_equal_loose(req->csr->subject, claims.subject)) {
        decide_reject(out, "subject differs from the one the challenge token names");
        return SCEPKIT_OK;
    }
    if (!skit_general_names_subset(req->csr->san, claims.sans)) {
        decide_reject(out, "subjectAltName not allowed by the challenge token");
        return SCEPKIT_OK;
    }
    if (claims.profile.len > 0) {
        if (scepkit_profile_find(req->profiles, req->profile_count, claims.profile) == NULL) {
            decide_reject(out, "challenge token names an unknown profile");
            return SCEPKIT_OK;
        }
        memcpy(out->profile, claims.profile.ptr, claims.profile.len);
        out->profile[claims.profile.len] = '\0';
    }
    if (p->store.ops != NULL) {
        /* Single use: the first key this token enrolls owns it; that key's retries pass, others do not. */
        uint8_t kh[SCEPKIT_KEY_HASH_LEN];
        if (p->store.ops->token_use == NULL) {
            return skit_store_missing();
        }
        err = skit_key_hash(req->csr->spki, kh);
        if (err == SCEPKIT_OK) {
            err = p->store.ops->token_use(p->store.self, claims.id, kh, claims.expires, req->now);
        }
        if (err == SCEPKIT_ERR_TOKEN_USED) {
            decide_reject(out, "challenge token already used for another key");
            out->profile[0] = '\0';
            return SCEPKIT_OK;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    if (claims.validity_days > 0) {
        out->not_after = req->now + (int64_t)claims.validity_days * 86400;
    }
    decide_accept(out);
    return SCEPKIT_OK;
}

static const scepkit_policy_ops token_ops = {token_check};

scepkit_policy scepkit_policy_token_port(scepkit_policy_token *p)
{
    scepkit_policy pol = {&token_ops, p};
    return pol;
}
