/* scepkit-server: turning a configuration file into a running handler.
 *
 * One srv_app holds everything the library's handler points to: the file store, the CA and RA
 * certificates and key pools, the software CA, the challenge policies, the profiles and the caps.
 * `run` and the admin commands (approve, reject, revoke, otp, ...) share it, so an admin command acts
 * exactly as the server would; the file store's flock() makes that safe while the server runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srv_tool.h"

/* ---------------------------------------------------------------------------------------------- */
/* Key pools */

static scepkit_err pool_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    srv_keypool *p = self;
    pthread_mutex_lock(&p->mu[0]);
    scepkit_err err = scepkit_key_public(scepkit_softkey_key(&p->keys[0]), out, cap, len);
    pthread_mutex_unlock(&p->mu[0]);
    return err;
}

/* Takes a free copy if there is one, else waits for the next in turn. */
static size_t pool_take(srv_keypool *p)
{
    size_t start = (size_t)atomic_fetch_add(&p->next, 1u) % p->n;
    for (size_t k = 0; k < p->n; k++) {
        size_t i = (start + k) % p->n;
        if (pthread_mutex_trylock(&p->mu[i]) == 0) {
            return i;
        }
    }
    pthread_mutex_lock(&p->mu[start]);
    return start;
}

static scepkit_err pool_sign(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                             size_t cap, size_t *sig_len)
{
    srv_keypool *p = self;
    size_t i = pool_take(p);
    scepkit_err err =
        scepkit_key_sign_digest(scepkit_softkey_key(&p->keys[i]), md, digest, digest_len, sig, cap, sig_len);
    pthread_mutex_unlock(&p->mu[i]);
    return err;
}

static scepkit_err pool_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    srv_keypool *p = self;
    size_t i = pool_take(p);
    scepkit_err err =
        scepkit_key_decrypt(scepkit_softkey_key(&p->keys[i]), pad, oaep_md, in, in_len, out, cap, out_len);
    pthread_mutex_unlock(&p->mu[i]);
    return err;
}

static const scepkit_key_ops pool_ops = {pool_public, pool_sign, pool_decrypt};

static scepkit_key pool_port(srv_keypool *p)
{
    scepkit_key k = {&pool_ops, p};
    return k;
}

static int pool_load(srv_keypool *p, const char *path, size_t n, scepkit_rng rng)
{
    size_t len = 0;
    uint8_t *pem = srv_read_file(path, &len);
    if (pem == NULL) {
        return SRV_EXIT_IO;
    }
    const char *pass = getenv("SCEPKIT_KEY_PASSWORD");
    scepkit_bytes pw = scepkit_bytes_str(pass != NULL ? pass : "");
    p->keys = calloc(n, sizeof *p->keys);
    p->mu = calloc(n, sizeof *p->mu);
    int rc = SRV_EXIT_OK;
    if (p->keys == NULL || p->mu == NULL) {
        rc = SRV_EXIT_LOCAL;
    }
    for (size_t i = 0; rc == SRV_EXIT_OK && i < n; i++) {
        scepkit_softkey_init(&p->keys[i], rng);
        pthread_mutex_init(&p->mu[i], NULL);
        p->n = i + 1;
        scepkit_err err = scepkit_softkey_parse(&p->keys[i], (scepkit_bytes){pem, len + 1}, pw);
        if (err != SCEPKIT_OK) {
            fprintf(stderr, "scepkit-server: %s: %s (%s)%s\n", path, scepkit_strerror(err), scepkit_err_name(err),
                    pass == NULL ? " (an encrypted key needs SCEPKIT_KEY_PASSWORD)" : "");
            rc = SRV_EXIT_INPUT;
        }
    }
    if (rc == SRV_EXIT_OK) {
        (void)scepkit_softkey_info(&p->keys[0], &p->type, &p->bits);
    }
    scepkit_wipe(pem, len);
    free(pem);
    return rc;
}

static void pool_free(srv_keypool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        scepkit_softkey_free(&p->keys[i]);
        pthread_mutex_destroy(&p->mu[i]);
    }
    free(p->keys);
    free(p->mu);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------------------------------------- */
/* Challenge policies: static secret, one-time passwords and signed tokens, any of them */

/* The policy whose kind the challenge looks like: its rejection is the one reported. */
static int looks_like_otp(scepkit_bytes ch)
{
    if (ch.len != SCEPKIT_OTP_TEXT_LEN || ch.ptr[16] != '-') {
        return 0;
    }
    for (size_t i = 0; i < ch.len; i++) {
        uint8_t c = ch.ptr[i];
        if (i != 16 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

static scepkit_err combo_check(void *self, const scepkit_policy_request *req, scepkit_policy_decision *out)
{
    srv_app *a = self;
    scepkit_policy list[3];
    size_t n = 0, preferred = 0;
    scepkit_bytes ch = req->csr->challenge;
    if (a->has_static) {
        list[n++] = scepkit_policy_static_port(&a->p_static);
    }
    if (a->conf.otp) {
        if (looks_like_otp(ch)) {
            preferred = n;
        }
        list[n++] = scepkit_policy_otp_port(&a->p_otp);
    }
    if (a->has_token) {
        if (ch.len > 40 && !looks_like_otp(ch)) {
            preferred = n; /* a long challenge is most likely a token */
        }
        list[n++] = scepkit_policy_token_port(&a->p_token);
    }
    if (n == 0) {
        snprintf(out->reason, sizeof out->reason, "no challenge policy configured");
        return SCEPKIT_OK; /* the handler preset REJECT/badRequest */
    }
    scepkit_policy_decision keep;
    memcpy(&keep, out, sizeof keep);
    scepkit_policy_decision reported;
    memcpy(&reported, out, sizeof reported);
    for (size_t i = 0; i < n; i++) {
        scepkit_policy_decision d;
        memcpy(&d, &keep, sizeof d); /* each policy starts from the fail-closed preset */
        scepkit_err err = list[i].ops->check(list[i].self, req, &d);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (d.verdict != SCEPKIT_VERDICT_REJECT) {
            memcpy(out, &d, sizeof d);
            return SCEPKIT_OK;
        }
        if (i == preferred) {
            memcpy(&reported, &d, sizeof d);
        }
    }
    memcpy(out, &reported, sizeof reported);
    return SCEPKIT_OK;
}

static const scepkit_policy_ops combo_ops = {combo_check};

/* ---------------------------------------------------------------------------------------------- */
/* Loading */

static int load_cert(const srv_conf *c, const char *rel, uint8_t **der, size_t *len)
{
    char path[2100];
    srv_path_join(path, sizeof path, c->dir, rel);
    *der = srv_read_cert(path, len);
    if (*der == NULL) {
        return SRV_EXIT_IO;
    }
    scepkit_x509 x;
    scepkit_err err = scepkit_x509_parse((scepkit_bytes){*der, *len}, &x);
    if (err != SCEPKIT_OK) {
        fprintf(stderr, "scepkit-server: %s: %s\n", path, scepkit_strerror(err));
        return SRV_EXIT_INPUT;
    }
    return SRV_EXIT_OK;
}

/* Private keys and the configuration (static challenge, token key) must not be readable by others. */
static void warn_if_shared(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
        fprintf(stderr, "scepkit-server: warning: %s is accessible to group/others (mode %03o): chmod 600 it\n", path,
                (unsigned)(st.st_mode & 0777));
    }
}

static int load_key(const srv_conf *c, const char *rel, srv_keypool *p, size_t n, scepkit_rng rng)
{
    char path[2100];
    srv_path_join(path, sizeof path, c->dir, rel);
    warn_if_shared(path);
    return pool_load(p, path, n, rng);
}

static int parse_ekus(srv_app *a)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a->conf.eku);
    if (strcmp(buf, "none") == 0) {
        return -1; /* no EKU at all */
    }
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
        if (a->eku_count == SRV_MAX_EKUS) {
            fprintf(stderr, "scepkit-server: eku: at most %d\n", SRV_MAX_EKUS);
            return -2;
        }
        size_t len = 0;
        scepkit_err err =
            scepkit_oid_from_text(scepkit_bytes_str(t), a->eku_oids[a->eku_count], sizeof a->eku_oids[0], &len);
        if (err != SCEPKIT_OK) {
            fprintf(stderr, "scepkit-server: eku: unknown '%s'\n", t);
            return -2;
        }
        a->ekus[a->eku_count].ptr = a->eku_oids[a->eku_count];
        a->ekus[a->eku_count].len = len;
        a->eku_count++;
    }
    return 0;
}

static int parse_caps(srv_app *a)
{
    snprintf(a->caps_buf, sizeof a->caps_buf, "%s", a->conf.caps);
    char *save = NULL;
    for (char *t = strtok_r(a->caps_buf, ", \t", &save); t != NULL; t = strtok_r(NULL, ", \t", &save)) {
        if (a->cap_count == SRV_MAX_CAPS) {
            return -1;
        }
        a->caps[a->cap_count++] = t;
    }
    return 0;
}

static size_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

void srv_app_buffers(const srv_app *a, size_t *scratch, size_t *out)
{
    if (scepkit_server_buffer_sizes(&a->srv, scratch, out) != SCEPKIT_OK) {
        *scratch = SCEPKIT_SERVER_SCRATCH(65536, 65536);
        *out = SCEPKIT_SERVER_RESPONSE_MAX(65536);
    }
}

int srv_app_open(srv_app *a, const char *dir_or_conf, int for_admin)
{
    scepkit_server_notify keep_notify = a->notify;
    memset(a, 0, sizeof *a);
    a->notify = keep_notify;
    char conf_path[1100];
    struct stat st;
    if (stat(dir_or_conf, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(conf_path, sizeof conf_path, "%s/%s", dir_or_conf, SRV_CONF_NAME);
    } else {
        snprintf(conf_path, sizeof conf_path, "%s", dir_or_conf);
    }
    if (srv_conf_load(&a->conf, conf_path) != 0) {
        return SRV_EXIT_CONFIG;
    }
    warn_if_shared(conf_path);
    srv_conf *c = &a->conf;
    scepkit_err err = scepkit_locked_rng_init(&a->rng, scepkit_bytes_str("scepkit-server"));
    if (err != SCEPKIT_OK) {
        srv_err("random generator", err);
        return SRV_EXIT_LOCAL;
    }
    scepkit_rng rng = scepkit_locked_rng_port(&a->rng);

    srv_path_join(a->store_dir, sizeof a->store_dir, c->dir, c->store);
    if (mkdir(a->store_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "scepkit-server: cannot create %s: %s\n", a->store_dir, strerror(errno));
        return SRV_EXIT_IO;
    }
    err = scepkit_file_store_open(&a->fs, a->store_dir);
    if (err != SCEPKIT_OK) {
        fprintf(stderr, "scepkit-server: store %s: %s\n", a->store_dir, scepkit_strerror(err));
        return SRV_EXIT_IO;
    }
    a->fs_open = 1;

    size_t pool = for_admin ? 1 : (c->key_pool > 0 ? c->key_pool : cpu_count());
    if (pool > 64) {
        pool = 64;
    }
    int rc = load_cert(c, c->ca_cert, &a->ca_cert, &a->ca_cert_len);
    if (rc == SRV_EXIT_OK) {
        rc = load_key(c, c->ca_key, &a->ca_key, pool, rng);
    }
    a->ra_mode = c->ra_sign_cert[0] != 0;
    if (rc == SRV_EXIT_OK && a->ra_mode) {
        rc = load_cert(c, c->ra_sign_cert, &a->ra_sign_cert, &a->ra_sign_cert_len);
        if (rc == SRV_EXIT_OK) {
            rc = load_key(c, c->ra_sign_key, &a->ra_sign_key, pool, rng);
        }
        if (rc == SRV_EXIT_OK) {
            rc = load_cert(c, c->ra_enc_cert, &a->ra_enc_cert, &a->ra_enc_cert_len);
        }
        if (rc == SRV_EXIT_OK) {
            rc = load_key(c, c->ra_enc_key, &a->ra_enc_key, pool, rng);
        }
    }
    if (rc != SRV_EXIT_OK) {
        return rc;
    }

    /* CA rollover certificates for GetNextCACert. */
    if (c->next_ca_certs[0] != 0) {
        char list[1024];
        snprintf(list, sizeof list, "%s", c->next_ca_certs);
        char *save = NULL;
        for (char *t = strtok_r(list, " \t,", &save); t != NULL; t = strtok_r(NULL, " \t,", &save)) {
            if (a->next_count == 4) {
                fprintf(stderr, "scepkit-server: next_ca_certs: at most 4 certificates\n");
                return SRV_EXIT_CONFIG;
            }
            size_t len = 0;
            rc = load_cert(c, t, &a->next_certs[a->next_count], &len);
            if (rc != SRV_EXIT_OK) {
                return rc;
            }
            a->next_views[a->next_count] = (scepkit_bytes){a->next_certs[a->next_count], len};
            a->next_count++;
        }
    }

    /* The software CA. */
    scepkit_softca_config cc;
    memset(&cc, 0, sizeof cc);
    cc.ca_cert = (scepkit_bytes){a->ca_cert, a->ca_cert_len};
    cc.ca_key = pool_port(&a->ca_key);
    cc.key_thread_safe = 1; /* the pool locks */
    cc.store = scepkit_file_store_port(&a->fs);
    cc.rng = rng;
    cc.crl_dp_uri = scepkit_bytes_str(c->crl_dp_uri);
    cc.aia_ca_issuers_uri = scepkit_bytes_str(c->aia_ca_issuers_uri);
    cc.crl_validity = (int64_t)c->crl_validity_days * 86400;
    err = scepkit_softca_init(&a->softca, &cc);
    if (err != SCEPKIT_OK) {
        srv_err("software CA", err);
        return SRV_EXIT_CONFIG;
    }

    /* Policies. */
    if (c->challenge[0] != 0) {
        err = scepkit_policy_static_init(&a->p_static, scepkit_bytes_str(c->challenge));
        if (err != SCEPKIT_OK) {
            srv_err("challenge", err);
            return SRV_EXIT_CONFIG;
        }
        a->has_static = 1;
    }
    a->p_otp.store = scepkit_file_store_port(&a->fs);
    a->p_otp.rng = rng;
    a->p_otp.lifetime = c->otp_lifetime;
    a->p_otp.max_outstanding = c->otp_max_outstanding;
    if (c->token_key[0] != 0) {
        long n = srv_unhex(c->token_key, a->token_secret, sizeof a->token_secret);
        if (n < 16) {
            fprintf(stderr, "scepkit-server: token_key must be 16..64 bytes of hex\n");
            return SRV_EXIT_CONFIG;
        }
        a->token_key.kid = c->token_kid;
        a->token_key.secret = (scepkit_bytes){a->token_secret, (size_t)n};
        a->p_token.keys = &a->token_key;
        a->p_token.key_count = 1;
        if (c->token_single_use) {
            a->p_token.store = scepkit_file_store_port(&a->fs);
        }
        a->has_token = 1;
    }

    /* Profiles: the three NDES template purposes. */
    int eku = parse_ekus(a);
    if (eku == -2 || parse_caps(a) != 0) {
        fprintf(stderr, "scepkit-server: %s: bad eku or caps\n", c->path);
        return SRV_EXIT_CONFIG;
    }
    static const char *const names[3] = {"general", "signature", "encryption"};
    static const scepkit_purpose purposes[3] = {SCEPKIT_PURPOSE_SIGNATURE_AND_ENCRYPTION, SCEPKIT_PURPOSE_SIGNATURE,
                                                SCEPKIT_PURPOSE_ENCRYPTION};
    for (size_t i = 0; i < 3; i++) {
        scepkit_profile *p = &a->profiles[i];
        p->name = names[i];
        p->purpose = purposes[i];
        p->non_repudiation = c->non_repudiation;
        p->validity = (int64_t)c->validity_days * 86400;
        p->ekus = a->eku_count > 0 ? a->ekus : NULL;
        p->eku_count = a->eku_count;
        p->no_eku = eku == -1;
    }

    /* The handler. */
    scepkit_server_config sc;
    memset(&sc, 0, sizeof sc);
    sc.ca_cert = cc.ca_cert;
    sc.ca_key = pool_port(&a->ca_key);
    if (a->ra_mode) {
        sc.ra_sign_cert = (scepkit_bytes){a->ra_sign_cert, a->ra_sign_cert_len};
        sc.ra_sign_key = pool_port(&a->ra_sign_key);
        sc.ra_enc_cert = (scepkit_bytes){a->ra_enc_cert, a->ra_enc_cert_len};
        sc.ra_enc_key = pool_port(&a->ra_enc_key);
    }
    sc.keys_thread_safe = 1;
    sc.ca = scepkit_softca_port(&a->softca);
    sc.store = scepkit_file_store_port(&a->fs);
    sc.policy.ops = &combo_ops;
    sc.policy.self = a;
    sc.rng = rng;
    sc.profiles = a->profiles;
    sc.profile_count = 3;
    sc.notify = a->notify;
    if (a->next_count > 0) {
        sc.next_ca_certs = a->next_views;
        sc.next_ca_cert_count = a->next_count;
        int listed = 0;
        for (size_t i = 0; i < a->cap_count; i++) {
            listed |= strcmp(a->caps[i], "GetNextCACert") == 0;
        }
        if (!listed && a->cap_count < SRV_MAX_CAPS) {
            a->caps[a->cap_count++] = "GetNextCACert"; /* advertise what is configured */
        }
    }
    sc.caps = a->caps;
    sc.cap_count = a->cap_count;
    sc.include_ca_cert_in_certrep = c->include_ca_cert_in_certrep;
    sc.allow_legacy = c->allow_legacy;
    sc.reply_sig_style = strcmp(c->reply_signature, "mirror") == 0  ? SCEPKIT_REPLY_SIG_MIRROR
                         : strcmp(c->reply_signature, "named") == 0 ? SCEPKIT_REPLY_SIG_NAMED
                                                                    : SCEPKIT_REPLY_SIG_PLAIN;
    sc.max_clock_skew = c->max_clock_skew;
    sc.max_message_size = c->max_message_size;
    sc.renewal_skips_challenge = c->renewal_skips_challenge;
    sc.manual_approval = c->manual_approval;
    err = scepkit_server_init(&a->srv, &sc);
    if (err != SCEPKIT_OK) {
        srv_err("server configuration", err);
        return SRV_EXIT_CONFIG;
    }
    a->srv_ok = 1;
    return SRV_EXIT_OK;
}

void srv_app_close(srv_app *a)
{
    if (a->srv_ok) {
        scepkit_server_free(&a->srv);
    }
    scepkit_softca_free(&a->softca);
    scepkit_policy_static_free(&a->p_static);
    scepkit_wipe(a->token_secret, sizeof a->token_secret);
    pool_free(&a->ca_key);
    pool_free(&a->ra_sign_key);
    pool_free(&a->ra_enc_key);
    free(a->ca_cert);
    free(a->ra_sign_cert);
    free(a->ra_enc_cert);
    for (size_t i = 0; i < a->next_count; i++) {
        free(a->next_certs[i]);
    }
    if (a->fs_open) {
        scepkit_file_store_close(&a->fs);
    }
    scepkit_locked_rng_free(&a->rng);
    scepkit_wipe(a->conf.challenge, sizeof a->conf.challenge);
    scepkit_wipe(a->conf.token_key, sizeof a->conf.token_key);
    memset(a, 0, sizeof *a);
}
