/* Helpers shared by the SCEP server suites (static inline: each suite uses a subset).
 *
 * A throw-away PKI made by openssl once per build tree (RSA CA, RA certificate, next CA, eight RSA client keys),
 * a world = file store + software CA + static policy + handler with a settable clock, and a client that builds
 * requests with scepkit_scep_request_write() and opens replies with scepkit_scep_reply_open(). */
#ifndef SCEPKIT_TESTS_SERVER_HELPERS_H
#define SCEPKIT_TESTS_SERVER_HELPERS_H

#include <dirent.h>
#include <pthread.h>
#include <time.h>

#include "cms_helpers.h"
#include "scepkit/ca.h"
#include "scepkit/policy.h"
#include "scepkit/scep.h"
#include "scepkit/server.h"
#include "scepkit/store.h"

#define SRV_CHALLENGE "s3cret-challenge"

/* ---------------------------------------------------------------------------------------------- */
/* The throw-away PKI */

static inline const char *srv_pki_dir(void)
{
    static char dir[512];
    char stamp[600], cmd[8192];
    size_t n;
    snprintf(dir, sizeof dir, "%s/server_pki", SCEPKIT_TEST_TMPDIR);
    snprintf(stamp, sizeof stamp, "%s/done", dir);
    uint8_t *s = ts_read_file(stamp, &n);
    if (s != NULL) {
        free(s);
        return dir;
    }
    snprintf(cmd, sizeof cmd,
             "set -e; T='%s.tmp.'$$; rm -rf \"$T\"; mkdir -p \"$T\"; cd \"$T\";"
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj '/C=US/O=scepkit/CN=Server "
             "Test CA' "
             "-days 3650 -addext basicConstraints=critical,CA:TRUE -addext "
             "keyUsage=critical,keyCertSign,cRLSign,digitalSignature "
             "-addext subjectKeyIdentifier=hash 2>/dev/null;"
             "printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\n"
             "subjectKeyIdentifier=hash\\n' > ra.ext;"
             "openssl req -newkey rsa:2048 -nodes -keyout ra.key -out ra.csr -subj '/O=scepkit/CN=Server Test RA' "
             "2>/dev/null;"
             "openssl x509 -req -in ra.csr -CA ca.pem -CAkey ca.key -set_serial 0x0a01 -days 3650 -extfile ra.ext "
             "-out ra.pem 2>/dev/null;"
             "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\\n"
             "subjectKeyIdentifier=hash\\n' > next.ext;"
             "openssl req -newkey rsa:2048 -nodes -keyout next.key -out next.csr -subj '/C=US/O=scepkit/CN=Server Test "
             "CA 2' "
             "2>/dev/null;"
             "openssl x509 -req -in next.csr -CA ca.pem -CAkey ca.key -set_serial 0x0b01 -days 3650 -extfile next.ext "
             "-out next.pem 2>/dev/null;"
             "for i in 0 1 2 3 4 5 6 7; do openssl genrsa -out client$i.key 2048 2>/dev/null; done;"
             "for f in ca ra next; do openssl x509 -in $f.pem -outform DER -out $f.der; done;"
             "touch done; cd ..; if [ ! -f '%s/done' ]; then rm -rf '%s'; mv \"$T\" '%s'; else rm -rf \"$T\"; fi",
             dir, dir, dir, dir);
    cms_run_ok(cmd);
    return dir;
}

static inline void srv_pki_path(const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", srv_pki_dir(), file);
}

/* ---------------------------------------------------------------------------------------------- */
/* A settable clock */

typedef struct srv_clock {
    int64_t now;
} srv_clock;

static inline scepkit_err srv_clock_now(void *self, int64_t *out)
{
    *out = ((srv_clock *)self)->now;
    return SCEPKIT_OK;
}

static const scepkit_clock_ops srv_clock_ops = {srv_clock_now};

/* ---------------------------------------------------------------------------------------------- */
/* Events */

typedef struct srv_events {
    pthread_mutex_t mu;
    int count[5];
    char last_reason[SCEPKIT_FAIL_TEXT_MAX + 1];
} srv_events;

static inline scepkit_err srv_on_event(void *ctx, const scepkit_server_event *ev)
{
    srv_events *e = ctx;
    pthread_mutex_lock(&e->mu);
    if (ev->type >= 1 && ev->type <= 4) {
        e->count[ev->type]++;
    }
    snprintf(e->last_reason, sizeof e->last_reason, "%s", ev->reason);
    pthread_mutex_unlock(&e->mu);
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* The world */

typedef struct srv_world {
    char dir[512];
    scepkit_locked_rng rng;
    scepkit_file_store fs;
    scepkit_softkey ca_sk;
    uint8_t *ca_cert;
    size_t ca_cert_len;
    scepkit_softkey ra_sk;
    uint8_t *ra_cert;
    size_t ra_cert_len;
    uint8_t *next_cert;
    size_t next_cert_len;
    scepkit_bytes next_certs[1];
    scepkit_softca ca;
    scepkit_softca_config ca_cfg;
    scepkit_policy_static pol;
    scepkit_profile profiles[3];
    srv_clock clock;
    srv_events events;
    scepkit_server srv;
    scepkit_server_config cfg;
    int started;
} srv_world;

/* Sets up everything but does not start the handler: tests adjust w->cfg / w->ca_cfg, then srv_world_start().
 * `ca_key`/`ca_cert` are paths (NULL: the throw-away CA). */
static inline void srv_world_init(srv_world *w, const char *name, const char *ca_key, const char *ca_cert)
{
    char path[700], kp[700];
    memset(w, 0, sizeof *w);
    ts_tmpdir(name, w->dir, sizeof w->dir);
    cr_assert_eq(scepkit_locked_rng_init(&w->rng, scepkit_bytes_str(name)), SCEPKIT_OK);
    cr_assert_eq(scepkit_file_store_open(&w->fs, w->dir), SCEPKIT_OK);
    if (ca_key == NULL) {
        srv_pki_path("ca.key", kp, sizeof kp);
        srv_pki_path("ca.pem", path, sizeof path);
        ca_key = kp;
        ca_cert = path;
    }
    cms_load_key(&w->ca_sk, ca_key, scepkit_locked_rng_port(&w->rng));
    w->ca_cert = cms_pem_file_to_der(ca_cert, "CERTIFICATE", &w->ca_cert_len);
    pthread_mutex_init(&w->events.mu, NULL);
    w->clock.now = (int64_t)time(NULL);

    w->profiles[0].name = "general";
    w->profiles[0].purpose = SCEPKIT_PURPOSE_SIGNATURE_AND_ENCRYPTION;
    w->profiles[1].name = "signing";
    w->profiles[1].purpose = SCEPKIT_PURPOSE_SIGNATURE;
    w->profiles[1].validity = 30 * 86400;
    w->profiles[2].name = "encryption";
    w->profiles[2].purpose = SCEPKIT_PURPOSE_ENCRYPTION;

    cr_assert_eq(scepkit_policy_static_init(&w->pol, scepkit_bytes_str(SRV_CHALLENGE)), SCEPKIT_OK);

    w->ca_cfg.ca_cert = (scepkit_bytes){w->ca_cert, w->ca_cert_len};
    w->ca_cfg.ca_key = scepkit_softkey_key(&w->ca_sk);
    w->ca_cfg.store = scepkit_file_store_port(&w->fs);
    w->ca_cfg.rng = scepkit_locked_rng_port(&w->rng);
    w->ca_cfg.clock = (scepkit_clock){&srv_clock_ops, &w->clock};

    w->cfg.ca_cert = (scepkit_bytes){w->ca_cert, w->ca_cert_len};
    w->cfg.ca_key = scepkit_softkey_key(&w->ca_sk);
    w->cfg.store = scepkit_file_store_port(&w->fs);
    w->cfg.policy = scepkit_policy_static_port(&w->pol);
    w->cfg.rng = scepkit_locked_rng_port(&w->rng);
    w->cfg.clock = (scepkit_clock){&srv_clock_ops, &w->clock};
    w->cfg.profiles = w->profiles;
    w->cfg.profile_count = 3;
    w->cfg.notify = (scepkit_server_notify){srv_on_event, &w->events};
}

/* Loads the throw-away RA certificate and key and switches the configuration to RA mode. */
static inline void srv_world_ra_mode(srv_world *w)
{
    char path[700];
    srv_pki_path("ra.key", path, sizeof path);
    cms_load_key(&w->ra_sk, path, scepkit_locked_rng_port(&w->rng));
    srv_pki_path("ra.pem", path, sizeof path);
    w->ra_cert = cms_pem_file_to_der(path, "CERTIFICATE", &w->ra_cert_len);
    w->cfg.ra_sign_cert = (scepkit_bytes){w->ra_cert, w->ra_cert_len};
    w->cfg.ra_sign_key = scepkit_softkey_key(&w->ra_sk);
    w->cfg.ra_enc_cert = (scepkit_bytes){w->ra_cert, w->ra_cert_len};
    w->cfg.ra_enc_key = scepkit_softkey_key(&w->ra_sk);
}

static inline void srv_world_next_ca(srv_world *w)
{
    char path[700];
    srv_pki_path("next.pem", path, sizeof path);
    w->next_cert = cms_pem_file_to_der(path, "CERTIFICATE", &w->next_cert_len);
    w->next_certs[0] = (scepkit_bytes){w->next_cert, w->next_cert_len};
    w->cfg.next_ca_certs = w->next_certs;
    w->cfg.next_ca_cert_count = 1;
}

static inline void srv_world_start(srv_world *w)
{
    scepkit_err err = scepkit_softca_init(&w->ca, &w->ca_cfg);
    cr_assert_eq(err, SCEPKIT_OK, "softca_init: %s", scepkit_err_name(err));
    w->cfg.ca = scepkit_softca_port(&w->ca);
    err = scepkit_server_init(&w->srv, &w->cfg);
    cr_assert_eq(err, SCEPKIT_OK, "server_init: %s", scepkit_err_name(err));
    w->started = 1;
}

static inline void srv_world_free(srv_world *w)
{
    scepkit_server_free(&w->srv);
    scepkit_softca_free(&w->ca);
    scepkit_policy_static_free(&w->pol);
    scepkit_softkey_free(&w->ca_sk);
    scepkit_softkey_free(&w->ra_sk);
    scepkit_file_store_close(&w->fs);
    scepkit_locked_rng_free(&w->rng);
    pthread_mutex_destroy(&w->events.mu);
    free(w->ca_cert);
    free(w->ra_cert);
    free(w->next_cert);
}

/* The certificate a client encrypts to and accepts CertReps from. */
static inline scepkit_bytes srv_enc_cert(const srv_world *w)
{
    return w->cfg.ra_enc_cert.len > 0 ? w->cfg.ra_enc_cert : w->cfg.ca_cert;
}

static inline scepkit_bytes srv_sign_cert(const srv_world *w)
{
    return w->cfg.ra_sign_cert.len > 0 ? w->cfg.ra_sign_cert : w->cfg.ca_cert;
}

/* Number of record files in the store (certs, revocations, transactions, one-time passwords). */
static inline int srv_store_files(const srv_world *w)
{
    static const char *const subs[] = {"certs", "revoked", "tx", "otp"};
    int n = 0;
    for (size_t i = 0; i < 4; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", w->dir, subs[i]);
        DIR *d = opendir(p);
        cr_assert_not_null(d, "%s", p);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            n += e->d_name[0] != '.';
        }
        closedir(d);
    }
    return n;
}

/* ---------------------------------------------------------------------------------------------- */
/* Handling */

typedef struct srv_answer {
    scepkit_server_response resp;
    uint8_t *body;
    size_t len;
} srv_answer;

static inline void srv_answer_free(srv_answer *a)
{
    free(a->body);
    a->body = NULL;
}

/* Calls the handler with an arena of the published size and an output buffer of the published size. */
static inline scepkit_err srv_handle_form(srv_world *w, const char *op, const uint8_t *msg, size_t len,
                                          scepkit_message_form form, srv_answer *a)
{
    size_t scratch = 0, out = 0;
    cr_assert_eq(scepkit_server_buffer_sizes(&w->srv, &scratch, &out), SCEPKIT_OK);
    uint8_t *mem = malloc(scratch);
    memset(a, 0, sizeof *a);
    a->body = malloc(out);
    scepkit_arena arena;
    scepkit_arena_init(&arena, mem, scratch);
    scepkit_err err = scepkit_server_handle(&w->srv, scepkit_bytes_str(op), (scepkit_bytes){msg, len}, form, &arena,
                                            a->body, out, &a->resp);
    cr_assert_eq(arena.used, 0, "the handler gives back its scratch");
    cr_assert_leq(arena.peak, scratch);
    a->len = a->resp.body_len;
    free(mem);
    return err;
}

static inline scepkit_err srv_handle(srv_world *w, const char *op, const uint8_t *msg, size_t len, srv_answer *a)
{
    return srv_handle_form(w, op, msg, len, SCEPKIT_MESSAGE_BODY, a);
}

/* ---------------------------------------------------------------------------------------------- */
/* A client */

typedef struct srv_client {
    scepkit_softkey sk;
    uint8_t cert[4096]; /* the certificate requests are signed with */
    size_t cert_len;
    uint8_t csr[8192];
    size_t csr_len;
    char txid[SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t nonce[SCEPKIT_NONCE_LEN];
    const char *reply_password; /* EC clients: opens a password-keyed (PWRI) SUCCESS */
} srv_client;

static inline void srv_client_load(srv_world *w, srv_client *c, int index)
{
    char path[700], name[32];
    memset(c, 0, sizeof *c);
    snprintf(name, sizeof name, "client%d.key", index);
    srv_pki_path(name, path, sizeof path);
    cms_load_key(&c->sk, path, scepkit_locked_rng_port(&w->rng));
}

static inline void srv_client_free(srv_client *c)
{
    scepkit_softkey_free(&c->sk);
}

static inline size_t srv_name(const char *text, uint8_t *out, size_t cap)
{
    scepkit_name_attr attrs[16];
    uint8_t oids[256];
    size_t n = 0, len = 0;
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str(text), attrs, 16, &n, oids, sizeof oids), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(attrs, n, out, cap, &len), SCEPKIT_OK);
    return len;
}

/* Writes a CSR for `dn` (challenge and SANs optional, `ku` keyUsage bits or 0) and a self-signed signer
 * certificate; the transactionID is derived from the key unless `txid` is given. */
static inline void srv_client_csr_with(srv_world *w, srv_client *c, const char *dn, const char *challenge,
                                       const scepkit_san *sans, size_t san_count, uint32_t ku, const char *txid)
{
    static _Thread_local uint8_t mem[SCEPKIT_CSR_WRITE_SCRATCH + SCEPKIT_SCEP_SELF_SIGNED_SCRATCH];
    uint8_t name[512];
    scepkit_name_attr attrs[16];
    uint8_t oids[256];
    size_t n = 0;
    scepkit_arena a;
    scepkit_csr_params cp;
    memset(&cp, 0, sizeof cp);
    cr_assert_eq(scepkit_name_from_string(scepkit_bytes_str(dn), attrs, 16, &n, oids, sizeof oids), SCEPKIT_OK);
    cp.subject = attrs;
    cp.subject_count = n;
    if (challenge != NULL) {
        cp.challenge = scepkit_bytes_str(challenge);
    }
    cp.sans = sans;
    cp.san_count = san_count;
    cp.key_usage = ku;
    scepkit_arena_init(&a, mem, sizeof mem);
    scepkit_err err = scepkit_csr_write(&cp, scepkit_softkey_key(&c->sk), &a, c->csr, sizeof c->csr, &c->csr_len);
    cr_assert_eq(err, SCEPKIT_OK, "csr_write: %s", scepkit_err_name(err));
    size_t nlen = srv_name(dn, name, sizeof name);
    err = scepkit_scep_self_signed((scepkit_bytes){name, nlen}, scepkit_softkey_key(&c->sk),
                                   scepkit_locked_rng_port(&w->rng), w->clock.now, 7, &a, c->cert, sizeof c->cert,
                                   &c->cert_len);
    cr_assert_eq(err, SCEPKIT_OK, "self_signed: %s", scepkit_err_name(err));
    if (txid != NULL) {
        snprintf(c->txid, sizeof c->txid, "%s", txid);
    } else {
        scepkit_csr csr;
        size_t tl = 0;
        cr_assert_eq(scepkit_csr_parse((scepkit_bytes){c->csr, c->csr_len}, &csr), SCEPKIT_OK);
        cr_assert_eq(scepkit_scep_transaction_id(csr.spki, c->txid, sizeof c->txid, &tl), SCEPKIT_OK);
    }
}

static inline void srv_client_csr(srv_world *w, srv_client *c, const char *dn, const char *challenge)
{
    srv_client_csr_with(w, c, dn, challenge, NULL, 0, 0, NULL);
}

/* Request options. */
typedef struct srv_req_opts {
    scepkit_cipher cipher;
    scepkit_md md;
    scepkit_cms_sig_style style;
    int64_t signing_time; /* 0: the world's clock; -1: none */
} srv_req_opts;

/* Builds a request of `type` carrying `data`, signed with the client's certificate and key. malloc'd. */
static inline uint8_t *srv_request_opts(srv_world *w, srv_client *c, scepkit_msg_type type, scepkit_bytes data,
                                        const srv_req_opts *o, size_t *len)
{
    scepkit_scep_request_params p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.transaction_id = scepkit_bytes_str(c->txid);
    cr_assert_eq(scepkit_rng_fill(scepkit_locked_rng_port(&w->rng), c->nonce, sizeof c->nonce), SCEPKIT_OK);
    memcpy(p.sender_nonce, c->nonce, sizeof c->nonce);
    p.message_data = data;
    p.signer_cert = (scepkit_bytes){c->cert, c->cert_len};
    p.signer_key = scepkit_softkey_key(&c->sk);
    p.recipient_cert = srv_enc_cert(w);
    p.rng = scepkit_locked_rng_port(&w->rng);
    if (o != NULL) {
        p.cipher = o->cipher;
        p.md = o->md;
        p.sig_style = o->style;
        p.signing_time = o->signing_time == 0 ? w->clock.now : (o->signing_time < 0 ? 0 : o->signing_time);
    } else {
        p.signing_time = w->clock.now;
    }
    size_t scratch_len = SCEPKIT_SCEP_REQUEST_SCRATCH(data.len);
    uint8_t *mem = malloc(scratch_len);
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, scratch_len);
    scepkit_err err = scepkit_scep_request_write(&p, &a, NULL, 0, &need);
    cr_assert_eq(err, SCEPKIT_ERR_BUFFER_TOO_SMALL, "request size pass: %s", scepkit_err_name(err));
    uint8_t *out = malloc(need);
    err = scepkit_scep_request_write(&p, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "request_write: %s", scepkit_err_name(err));
    free(mem);
    return out;
}

static inline uint8_t *srv_request(srv_world *w, srv_client *c, scepkit_msg_type type, size_t *len)
{
    return srv_request_opts(w, c, type, (scepkit_bytes){c->csr, c->csr_len}, NULL, len);
}

/* Opens a CertRep answering the client's last request; `plain` is malloc'd (free it after using `rep`). */
static inline scepkit_err srv_open_reply(srv_world *w, srv_client *c, const srv_answer *a, scepkit_scep_reply *rep,
                                         uint8_t **plain)
{
    scepkit_scep_open_reply_params op;
    scepkit_bytes signers[1] = {srv_sign_cert(w)};
    memset(&op, 0, sizeof op);
    op.transaction_id = scepkit_bytes_str(c->txid);
    memcpy(op.sender_nonce, c->nonce, sizeof c->nonce);
    op.signer_certs = signers;
    op.signer_cert_count = 1;
    op.our_cert = (scepkit_bytes){c->cert, c->cert_len};
    op.our_key = scepkit_softkey_key(&c->sk);
    op.rng = scepkit_locked_rng_port(&w->rng);
    op.password = scepkit_bytes_str(c->reply_password);
    size_t cap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(a->len) + 16;
    *plain = malloc(cap);
    return scepkit_scep_reply_open((scepkit_bytes){a->body, a->len}, &op, *plain, cap, rep);
}

/* The first certificate of a SUCCESS reply, copied (malloc'd). */
static inline uint8_t *srv_first_cert(const scepkit_scep_reply *rep, size_t *len)
{
    scepkit_cms_iter it = {0};
    scepkit_bytes cert;
    cr_assert_eq(scepkit_cms_next_cert(&rep->certs, &it, &cert), SCEPKIT_OK);
    uint8_t *out = malloc(cert.len);
    memcpy(out, cert.ptr, cert.len);
    *len = cert.len;
    return out;
}

/* Enrolls with the client's CSR: handles the PKCSReq, checks it is a CertRep, opens it. Returns the status; on
 * SUCCESS the issued certificate (malloc'd) goes to *cert. */
static inline scepkit_pki_status srv_enroll_type(srv_world *w, srv_client *c, scepkit_msg_type type,
                                                 const srv_req_opts *o, uint8_t **cert, size_t *cert_len,
                                                 scepkit_fail_info *fi)
{
    size_t len = 0;
    uint8_t *msg = srv_request_opts(w, c, type, (scepkit_bytes){c->csr, c->csr_len}, o, &len);
    srv_answer a;
    scepkit_err err = srv_handle(w, "PKIOperation", msg, len, &a);
    cr_assert_eq(err, SCEPKIT_OK, "handle: %s", scepkit_err_name(err));
    cr_assert_eq(a.resp.http_status, 200, "HTTP %d (%s): %.*s", a.resp.http_status, scepkit_err_name(a.resp.error),
                 (int)a.len, (const char *)a.body);
    cr_assert(a.resp.is_certrep);
    cr_assert_str_eq(a.resp.content_type, "application/x-pki-message");
    scepkit_scep_reply rep;
    uint8_t *plain = NULL;
    err = srv_open_reply(w, c, &a, &rep, &plain);
    cr_assert_eq(err, SCEPKIT_OK, "reply_open: %s", scepkit_err_name(err));
    cr_assert_eq(rep.status, a.resp.status);
    if (rep.status == SCEPKIT_STATUS_SUCCESS && cert != NULL) {
        *cert = srv_first_cert(&rep, cert_len);
    }
    if (fi != NULL) {
        *fi = rep.fail_info;
    }
    scepkit_pki_status st = rep.status;
    free(plain);
    free(msg);
    srv_answer_free(&a);
    return st;
}

static inline scepkit_pki_status srv_enroll(srv_world *w, srv_client *c, uint8_t **cert, size_t *cert_len,
                                            scepkit_fail_info *fi)
{
    return srv_enroll_type(w, c, SCEPKIT_MSG_PKCSREQ, NULL, cert, cert_len, fi);
}

#endif
