/* Challenge policies: static secret, one-time passwords (store holds only salted hashes), the signed CBOR challenge
 * token (issue, verify, every tampering refused, rotation, size limit), and profile selection. */
#include <ctype.h>

#include "server_helpers.h"

#include "der/oid.h"

typedef struct pol_env {
    srv_world w;
    srv_client c;
    scepkit_csr csr;
    scepkit_policy_request req;
} pol_env;

static void env_init(pol_env *e, const char *name, const char *dn, const char *challenge, const scepkit_san *sans,
                     size_t san_count)
{
    srv_world_init(&e->w, name, NULL, NULL);
    srv_client_load(&e->w, &e->c, 0);
    srv_client_csr_with(&e->w, &e->c, dn, challenge, sans, san_count, 0, NULL);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e->c.csr, e->c.csr_len}, &e->csr), SCEPKIT_OK);
    memset(&e->req, 0, sizeof e->req);
    e->req.type = SCEPKIT_MSG_PKCSREQ;
    e->req.csr = &e->csr;
    e->req.now = e->w.clock.now;
    e->req.profiles = e->w.profiles;
    e->req.profile_count = 3;
}

static void env_free(pol_env *e)
{
    srv_client_free(&e->c);
    srv_world_free(&e->w);
}

static scepkit_verdict check(scepkit_policy p, const scepkit_policy_request *req, scepkit_policy_decision *d)
{
    memset(d, 0, sizeof *d);
    d->verdict = SCEPKIT_VERDICT_REJECT;
    cr_assert_eq(p.ops->check(p.self, req, d), SCEPKIT_OK);
    return d->verdict;
}

/* ---------------------------------------------------------------------------------------------- */

Test(server_policy, static_secret_accepts_only_the_exact_secret)
{
    static const struct {
        const char *challenge;
        scepkit_verdict want;
    } cases[] = {
        {SRV_CHALLENGE, SCEPKIT_VERDICT_ACCEPT},
        {"s3cret-challengE", SCEPKIT_VERDICT_REJECT},
        {"s3cret-challenge ", SCEPKIT_VERDICT_REJECT},
        {"s3cret-challeng", SCEPKIT_VERDICT_REJECT},
        {NULL, SCEPKIT_VERDICT_REJECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_env e;
        scepkit_policy_decision d;
        env_init(&e, "pol_static", "CN=x", cases[i].challenge, NULL, 0);
        cr_assert_eq(check(scepkit_policy_static_port(&e.w.pol), &e.req, &d), cases[i].want, "case %zu", i);
        if (cases[i].want == SCEPKIT_VERDICT_REJECT) {
            cr_assert_eq(d.fail_info, SCEPKIT_FAIL_BAD_REQUEST);
            cr_assert_neq(d.reason[0], '\0');
        }
        env_free(&e);
    }
    scepkit_policy_static p;
    cr_assert_eq(scepkit_policy_static_init(&p, (scepkit_bytes){0}), SCEPKIT_ERR_ARG);
    uint8_t long_secret[256];
    memset(long_secret, 'a', sizeof long_secret);
    cr_assert_eq(scepkit_policy_static_init(&p, (scepkit_bytes){long_secret, 256}), SCEPKIT_ERR_ARG);
}

/* ---------------------------------------------------------------------------------------------- */

Test(server_policy, one_time_password_is_single_use_expires_and_is_stored_only_as_a_salted_hash)
{
    pol_env e;
    scepkit_policy_decision d;
    env_init(&e, "pol_otp", "CN=x", "placeholder", NULL, 0);
    scepkit_policy_otp po;
    memset(&po, 0, sizeof po);
    po.store = scepkit_file_store_port(&e.w.fs);
    po.rng = scepkit_locked_rng_port(&e.w.rng);
    po.clock = (scepkit_clock){&srv_clock_ops, &e.w.clock};
    po.lifetime = 600;
    po.max_outstanding = 2;
    char otp[64], otp2[64], otp3[64], small[49];
    size_t n = 0;
    cr_assert_eq(scepkit_otp_generate(&po, (scepkit_bytes){0}, small, sizeof small, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(scepkit_otp_generate(&po, (scepkit_bytes){0}, otp, sizeof otp, &n), SCEPKIT_OK);
    cr_assert_eq(strlen(otp), SCEPKIT_OTP_TEXT_LEN);
    cr_assert_eq(otp[16], '-');
    cr_assert_eq(scepkit_otp_generate(&po, scepkit_bytes_str("signing"), otp2, sizeof otp2, &n), SCEPKIT_OK);
    cr_assert_eq(scepkit_otp_generate(&po, (scepkit_bytes){0}, otp3, sizeof otp3, &n), SCEPKIT_ERR_STORE_FULL,
                 "at most two outstanding");

    /* the store never holds the secret part */
    char cmd[1024], out[256];
    snprintf(cmd, sizeof cmd, "grep -rqi '%s' '%s/otp'; echo $?", otp + 17, e.w.dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0);
    cr_assert_eq(atoi(out), 1, "secret found in the store");

    scepkit_policy p = scepkit_policy_otp_port(&po);
    /* wrong secret for a real id: refused, and the password survives */
    char guess[64];
    memcpy(guess, otp, sizeof guess);
    guess[20] = guess[20] == '0' ? '1' : '0';
    srv_client_csr(&e.w, &e.c, "CN=x", guess);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT);
    srv_client_csr(&e.w, &e.c, "CN=x", otp);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_ACCEPT);
    cr_assert_str_eq(d.profile, "");
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT, "used up");
    /* the profile-limited one names its profile; after its lifetime it is refused */
    srv_client_csr(&e.w, &e.c, "CN=x", otp2);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
    e.req.now = e.w.clock.now + 601;
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT, "expired");
    e.req.now = e.w.clock.now + 10;
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_ACCEPT);
    cr_assert_str_eq(d.profile, "signing");
    /* malformed texts */
    static const char *const bad[] = {"", "0123456789abcdef", "0123456789abcdef-0123456789abcdef0123456789abcdeX",
                                      "0123456789abcdef+0123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        srv_client_csr(&e.w, &e.c, "CN=x", bad[i][0] ? bad[i] : NULL);
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
        cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT, "%s", bad[i]);
    }
    env_free(&e);
}

/* ---------------------------------------------------------------------------------------------- */

static const uint8_t key_a[32] = "key-a-0123456789abcdef0123456789";
static const uint8_t key_b[32] = "key-b-0123456789abcdef0123456789";

static size_t issue(const scepkit_token_key *k, const scepkit_token_claims *cl, char *out)
{
    size_t n = 0;
    scepkit_err err = scepkit_token_issue(k, cl, out, SCEPKIT_TOKEN_MAX_LEN + 1, &n);
    cr_assert_eq(err, SCEPKIT_OK, "%s", scepkit_err_name(err));
    return n;
}

Test(server_policy, token_round_trips_and_every_tampering_is_refused)
{
    uint8_t subj[256], buf[SCEPKIT_TOKEN_MAX_LEN];
    size_t sl = srv_name("CN=device-1,O=Acme", subj, sizeof subj);
    scepkit_token_key keys[2] = {{1, {key_a, 32}}, {2, {key_b, 32}}};
    scepkit_token_claims cl = {{subj, sl}, {0}, scepkit_bytes_str("general"), 2000000000, 30, 0, {0}};
    char tok[SCEPKIT_TOKEN_MAX_LEN + 1];
    size_t n = issue(&keys[1], &cl, tok);
    for (size_t i = 0; i < n; i++) {
        cr_assert(isalnum((unsigned char)tok[i]) || tok[i] == '-' || tok[i] == '_', "base64url only");
    }
    scepkit_token_claims got;
    cr_assert_eq(
        scepkit_token_verify(keys, 2, (scepkit_bytes){(const uint8_t *)tok, n}, 1900000000, buf, sizeof buf, &got),
        SCEPKIT_OK);
    cr_assert_eq(got.kid, 2);
    cr_assert_eq(got.subject.len, sl);
    cr_assert_eq(memcmp(got.subject.ptr, subj, sl), 0);
    cr_assert_eq(got.profile.len, 7);
    cr_assert_eq(got.expires, 2000000000);
    cr_assert_eq(got.validity_days, 30);
    cr_assert_eq(
        scepkit_token_verify(keys, 2, (scepkit_bytes){(const uint8_t *)tok, n}, 2000000000, buf, sizeof buf, &got),
        SCEPKIT_ERR_TOKEN_EXPIRED);
    cr_assert_eq(scepkit_token_verify(keys, 1, (scepkit_bytes){(const uint8_t *)tok, n}, 0, buf, sizeof buf, &got),
                 SCEPKIT_ERR_TOKEN_MAC, "key 2 retired");
    scepkit_token_key wrong[1] = {{2, {key_a, 32}}};
    cr_assert_eq(scepkit_token_verify(wrong, 1, (scepkit_bytes){(const uint8_t *)tok, n}, 0, buf, sizeof buf, &got),
                 SCEPKIT_ERR_TOKEN_MAC, "same kid, another key");
    /* every character changed: never accepted */
    for (size_t i = 0; i < n; i++) {
        char t[SCEPKIT_TOKEN_MAX_LEN + 1];
        memcpy(t, tok, n);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        scepkit_err err =
            scepkit_token_verify(keys, 2, (scepkit_bytes){(const uint8_t *)t, n}, 0, buf, sizeof buf, &got);
        cr_assert(err == SCEPKIT_ERR_TOKEN_MAC || err == SCEPKIT_ERR_TOKEN_FORMAT, "char %zu: %s", i,
                  scepkit_err_name(err));
    }
    /* truncated and extended */
    for (size_t cut = 0; cut < n; cut++) {
        cr_assert_neq(
            scepkit_token_verify(keys, 2, (scepkit_bytes){(const uint8_t *)tok, cut}, 0, buf, sizeof buf, &got),
            SCEPKIT_OK, "cut %zu", cut);
    }
    char longer[SCEPKIT_TOKEN_MAX_LEN + 8];
    memcpy(longer, tok, n);
    memcpy(longer + n, "AAAA", 4);
    cr_assert_neq(
        scepkit_token_verify(keys, 2, (scepkit_bytes){(const uint8_t *)longer, n + 4}, 0, buf, sizeof buf, &got),
        SCEPKIT_OK);
}

Test(server_policy, token_refuses_claims_that_do_not_fit_challenge_password)
{
    uint8_t subj[1024];
    char dn[700];
    snprintf(dn, sizeof dn, "CN=%0200d", 0);
    size_t sl = srv_name(dn, subj, sizeof subj);
    scepkit_token_key k = {1, {key_a, 32}};
    scepkit_token_claims cl = {{subj, sl}, {0}, {0}, 2000000000, 0, 0, {0}};
    char tok[SCEPKIT_TOKEN_MAX_LEN + 1];
    size_t n = 0;
    cr_assert_eq(scepkit_token_issue(&k, &cl, tok, sizeof tok, &n), SCEPKIT_ERR_TOKEN_TOO_LONG);
    scepkit_token_key weak = {1, {key_a, 8}};
    sl = srv_name("CN=x", subj, sizeof subj);
    cl.subject.len = sl;
    cr_assert_eq(scepkit_token_issue(&weak, &cl, tok, sizeof tok, &n), SCEPKIT_ERR_ARG, "keys of 16 bytes or more");
    char tiny[8];
    cr_assert_eq(scepkit_token_issue(&k, &cl, tiny, sizeof tiny, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_gt(n, sizeof tiny);
}

Test(server_policy, token_policy_matches_subject_and_sans_and_names_the_profile)
{
    static const scepkit_san dns[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"a.example", 9}},
                                      {SCEPKIT_SAN_DNS, {(const uint8_t *)"b.example", 9}}};
    pol_env e;
    env_init(&e, "pol_token", "CN=dev,O=Acme", "placeholder", dns, 2);
    uint8_t sans[256];
    memcpy(sans, e.csr.san.ptr, e.csr.san.len);
    size_t sans_len = e.csr.san.len;
    uint8_t subj[256];
    size_t sl = srv_name("CN=dev,O=Acme", subj, sizeof subj);
    scepkit_token_key keys[1] = {{5, {key_a, 32}}};
    scepkit_policy_token tp = {keys, 1, {&srv_clock_ops, &e.w.clock}, {0}};
    scepkit_policy p = scepkit_policy_token_port(&tp);
    scepkit_token_claims cl = {{subj, sl}, {sans, sans_len}, scepkit_bytes_str("encryption"), e.w.clock.now + 60, 0, 0,
                               {0}};
    char tok[SCEPKIT_TOKEN_MAX_LEN + 1];
    issue(&keys[0], &cl, tok);
    scepkit_policy_decision d;

    static const struct {
        const char *dn;
        size_t san_count;
        scepkit_verdict want;
    } cases[] = {
        {"CN=dev,O=Acme", 2, SCEPKIT_VERDICT_ACCEPT},
        {"CN=dev,O=Acme", 1, SCEPKIT_VERDICT_ACCEPT}, /* fewer SANs than allowed */
        {"CN=dev,O=Acme", 0, SCEPKIT_VERDICT_ACCEPT},
        {"CN=dev2,O=Acme", 2, SCEPKIT_VERDICT_REJECT},
        {"O=Acme,CN=dev", 2, SCEPKIT_VERDICT_REJECT}, /* order matters */
        {"CN=dev,O=Acme,OU=x", 2, SCEPKIT_VERDICT_REJECT},
        {"CN=dev", 2, SCEPKIT_VERDICT_REJECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_client_csr_with(&e.w, &e.c, cases[i].dn, tok, dns, cases[i].san_count, 0, NULL);
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
        cr_assert_eq(check(p, &e.req, &d), cases[i].want, "case %zu: %s", i, d.reason);
        if (cases[i].want == SCEPKIT_VERDICT_ACCEPT) {
            cr_assert_str_eq(d.profile, "encryption");
        }
    }
    /* a SAN outside the token */
    static const scepkit_san other[] = {{SCEPKIT_SAN_DNS, {(const uint8_t *)"c.example", 9}}};
    srv_client_csr_with(&e.w, &e.c, "CN=dev,O=Acme", tok, other, 1, 0, NULL);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT);
    /* a token naming a profile the server lacks */
    cl.profile = scepkit_bytes_str("nosuch");
    issue(&keys[0], &cl, tok);
    srv_client_csr_with(&e.w, &e.c, "CN=dev,O=Acme", tok, dns, 2, 0, NULL);
    cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
    cr_assert_eq(check(p, &e.req, &d), SCEPKIT_VERDICT_REJECT);
    cr_assert_str_eq(d.reason, "challenge token names an unknown profile");
    env_free(&e);
}

/* ---------------------------------------------------------------------------------------------- */

Test(server_policy, profile_for_request_follows_the_requested_key_usage)
{
    pol_env e;
    env_init(&e, "pol_profile", "CN=x", NULL, NULL, 0);
    static const struct {
        uint32_t ku;
        const char *want;
    } cases[] = {
        {0, "general"},
        {SCEPKIT_KU_DIGITAL_SIGNATURE, "signing"},
        {SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_NON_REPUDIATION, "signing"},
        {SCEPKIT_KU_KEY_ENCIPHERMENT, "encryption"},
        {SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT, "general"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_client_csr_with(&e.w, &e.c, "CN=x", NULL, NULL, 0, cases[i].ku, NULL);
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){e.c.csr, e.c.csr_len}, &e.csr), SCEPKIT_OK);
        const scepkit_profile *p = scepkit_profile_for_request(e.w.profiles, 3, &e.csr);
        cr_assert_not_null(p);
        cr_assert_str_eq(p->name, cases[i].want, "case %zu", i);
    }
    cr_assert_null(scepkit_profile_for_request(e.w.profiles, 0, &e.csr));
    cr_assert_str_eq(scepkit_profile_for_request(e.w.profiles, 1, &e.csr)->name, "general", "fallback: the first");
    cr_assert_not_null(scepkit_profile_find(e.w.profiles, 3, scepkit_bytes_str("signing")));
    cr_assert_null(scepkit_profile_find(e.w.profiles, 3, scepkit_bytes_str("Signing")));
    env_free(&e);
}
