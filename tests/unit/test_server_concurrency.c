/* One handler, one store, eight threads enrolling at once: every enrollment succeeds, every serial is unique and
 * the index holds every certificate. SCEPKIT_TEST_SERVER_ENROLLMENTS sets the count per thread (default 200). */
#include <stdatomic.h>

#include "server_helpers.h"

#define THREADS 8

typedef struct worker {
    srv_world *w;
    int index;
    int count;
    srv_client c;
    int ok;          /* enrollments answered SUCCESS */
    int opened;      /* replies opened and checked in full */
    scepkit_err err; /* first local error */
    int bad_status;  /* answers other than 200 + SUCCESS */
} worker;

/* The request builder of server_helpers.h asserts; worker threads must not, so this one reports errors. */
static scepkit_err build(worker *k, const char *txid, uint8_t *out, size_t cap, size_t *len)
{
    srv_world *w = k->w;
    scepkit_scep_request_params p;
    memset(&p, 0, sizeof p);
    p.type = SCEPKIT_MSG_PKCSREQ;
    p.transaction_id = scepkit_bytes_str(txid);
    scepkit_err err = scepkit_rng_fill(scepkit_locked_rng_port(&w->rng), k->c.nonce, SCEPKIT_NONCE_LEN);
    if (err != SCEPKIT_OK) {
        return err;
    }
    memcpy(p.sender_nonce, k->c.nonce, SCEPKIT_NONCE_LEN);
    p.message_data = (scepkit_bytes){k->c.csr, k->c.csr_len};
    p.signer_cert = (scepkit_bytes){k->c.cert, k->c.cert_len};
    p.signer_key = scepkit_softkey_key(&k->c.sk);
    p.recipient_cert = srv_enc_cert(w);
    p.rng = scepkit_locked_rng_port(&w->rng);
    p.signing_time = w->clock.now;
    static _Thread_local uint8_t mem[SCEPKIT_SCEP_REQUEST_SCRATCH(8192)];
    scepkit_arena a;
    scepkit_arena_init(&a, mem, sizeof mem);
    return scepkit_scep_request_write(&p, &a, out, cap, len);
}

static void *run(void *arg)
{
    worker *k = arg;
    srv_world *w = k->w;
    size_t scratch = 0, outcap = 0;
    if (scepkit_server_buffer_sizes(&w->srv, &scratch, &outcap) != SCEPKIT_OK) {
        k->err = SCEPKIT_ERR_INTERNAL;
        return NULL;
    }
    uint8_t *mem = malloc(scratch), *out = malloc(outcap), *msg = malloc(16384);
    for (int i = 0; i < k->count && k->err == SCEPKIT_OK; i++) {
        char txid[64];
        snprintf(txid, sizeof txid, "thread%d-enrollment%d", k->index, i);
        snprintf(k->c.txid, sizeof k->c.txid, "%s", txid);
        size_t len = 0;
        scepkit_err err = build(k, txid, msg, 16384, &len);
        if (err != SCEPKIT_OK) {
            k->err = err;
            break;
        }
        scepkit_arena ar;
        scepkit_arena_init(&ar, mem, scratch);
        scepkit_server_response r;
        err = scepkit_server_handle(&w->srv, scepkit_bytes_str("PKIOperation"), (scepkit_bytes){msg, len},
                                    SCEPKIT_MESSAGE_BODY, &ar, out, outcap, &r);
        if (err != SCEPKIT_OK) {
            k->err = err;
            break;
        }
        if (r.http_status != 200 || !r.is_certrep || r.status != SCEPKIT_STATUS_SUCCESS) {
            k->bad_status++;
            continue;
        }
        k->ok++;
        if (i % 50 == 0) {
            /* open it as the client would */
            scepkit_scep_open_reply_params op;
            scepkit_bytes signers[1] = {srv_sign_cert(w)};
            memset(&op, 0, sizeof op);
            op.transaction_id = scepkit_bytes_str(txid);
            memcpy(op.sender_nonce, k->c.nonce, SCEPKIT_NONCE_LEN);
            op.signer_certs = signers;
            op.signer_cert_count = 1;
            op.our_cert = (scepkit_bytes){k->c.cert, k->c.cert_len};
            op.our_key = scepkit_softkey_key(&k->c.sk);
            op.rng = scepkit_locked_rng_port(&w->rng);
            size_t pcap = SCEPKIT_SCEP_OPEN_PLAIN_CAP(r.body_len);
            uint8_t *plain = malloc(pcap);
            scepkit_scep_reply rep;
            err = scepkit_scep_reply_open((scepkit_bytes){out, r.body_len}, &op, plain, pcap, &rep);
            if (err != SCEPKIT_OK || rep.status != SCEPKIT_STATUS_SUCCESS) {
                k->err = err != SCEPKIT_OK ? err : SCEPKIT_ERR_INTERNAL;
            } else {
                k->opened++;
            }
            free(plain);
        }
    }
    free(mem);
    free(out);
    free(msg);
    return NULL;
}

typedef struct index_check {
    uint8_t (*serials)[SCEPKIT_SOFTCA_SERIAL_LEN];
    size_t n;
    size_t cap;
} index_check;

static scepkit_err collect(void *ctx, const scepkit_store_cert *rec)
{
    index_check *ic = ctx;
    if (ic->n == ic->cap || rec->serial_len != SCEPKIT_SOFTCA_SERIAL_LEN) {
        return SCEPKIT_ERR_INTERNAL;
    }
    memcpy(ic->serials[ic->n++], rec->serial, SCEPKIT_SOFTCA_SERIAL_LEN);
    return SCEPKIT_OK;
}

static int cmp_serial(const void *a, const void *b)
{
    return memcmp(a, b, SCEPKIT_SOFTCA_SERIAL_LEN);
}

typedef struct tx_count {
    size_t issued;
    size_t other;
} tx_count;

static scepkit_err count_tx(void *ctx, const scepkit_store_tx *tx)
{
    tx_count *t = ctx;
    if (tx->state == SCEPKIT_TX_ISSUED && tx->cert.len > 0) {
        t->issued++;
    } else {
        t->other++;
    }
    return SCEPKIT_OK;
}

Test(server_concurrency, eight_threads_enroll_at_once_with_unique_serials_and_a_complete_index, .timeout = 600)
{
    int count = 200;
    const char *env = getenv("SCEPKIT_TEST_SERVER_ENROLLMENTS");
    if (env != NULL && atoi(env) > 0) {
        count = atoi(env);
    }
    srv_world w;
    srv_world_init(&w, "srv_concurrency", NULL, NULL);
    srv_world_start(&w);
    static worker k[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&k[i], 0, sizeof k[i]);
        k[i].w = &w;
        k[i].index = i;
        k[i].count = count;
        srv_client_load(&w, &k[i].c, i);
        char dn[64];
        snprintf(dn, sizeof dn, "CN=thread %d,O=scepkit", i);
        srv_client_csr(&w, &k[i].c, dn, SRV_CHALLENGE);
    }
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, run, &k[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_join(t[i], NULL), 0);
        cr_assert_eq(k[i].err, SCEPKIT_OK, "thread %d: %s", i, scepkit_err_name(k[i].err));
        cr_assert_eq(k[i].bad_status, 0, "thread %d", i);
        cr_assert_eq(k[i].ok, count, "thread %d", i);
        cr_assert_eq(k[i].opened, (count + 49) / 50, "thread %d", i);
        total += k[i].ok;
    }
    cr_assert_eq(total, THREADS * count);

    /* the index: every certificate, every serial once */
    index_check ic;
    ic.cap = (size_t)total + 16;
    ic.n = 0;
    ic.serials = calloc(ic.cap, SCEPKIT_SOFTCA_SERIAL_LEN);
    scepkit_store st = scepkit_file_store_port(&w.fs);
    cr_assert_eq(st.ops->cert_each(st.self, collect, &ic), SCEPKIT_OK);
    cr_assert_eq(ic.n, (size_t)total, "index complete");
    qsort(ic.serials, ic.n, SCEPKIT_SOFTCA_SERIAL_LEN, cmp_serial);
    for (size_t i = 1; i < ic.n; i++) {
        cr_assert_neq(memcmp(ic.serials[i - 1], ic.serials[i], SCEPKIT_SOFTCA_SERIAL_LEN), 0, "duplicate serial");
    }
    tx_count tc = {0, 0};
    cr_assert_eq(st.ops->tx_each(st.self, count_tx, &tc), SCEPKIT_OK);
    cr_assert_eq(tc.issued, (size_t)total);
    cr_assert_eq(tc.other, 0);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], total);
    free(ic.serials);
    for (int i = 0; i < THREADS; i++) {
        srv_client_free(&k[i].c);
    }
    srv_world_free(&w);
}

/* The same transaction sent by eight threads at once is issued exactly once, and every thread gets that
 * certificate or PENDING (another thread was issuing it at that moment). */
typedef struct racer {
    srv_world *w;
    const uint8_t *msg;
    size_t len;
    atomic_int *go;
    scepkit_server_response r;
    scepkit_err err;
} racer;

static void *race(void *arg)
{
    racer *x = arg;
    size_t scratch = 0, outcap = 0;
    scepkit_server_buffer_sizes(&x->w->srv, &scratch, &outcap);
    uint8_t *mem = malloc(scratch), *out = malloc(outcap);
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, scratch);
    while (atomic_load(x->go) == 0) {
    }
    x->err = scepkit_server_handle(&x->w->srv, scepkit_bytes_str("PKIOperation"), (scepkit_bytes){x->msg, x->len},
                                   SCEPKIT_MESSAGE_BODY, &ar, out, outcap, &x->r);
    free(mem);
    free(out);
    return NULL;
}

/* A store that holds the first THREADS transaction lookups at a barrier: every thread has seen "no such
 * transaction" before any of them claims it, the worst interleaving for check-then-create. */
typedef struct gate_store {
    scepkit_store inner;
    pthread_barrier_t barrier;
    atomic_int calls;
} gate_store;

static scepkit_err g_claim(void *self, scepkit_bytes serial)
{
    gate_store *g = self;
    return g->inner.ops->serial_claim(g->inner.self, serial);
}
static scepkit_err g_cert_get(void *self, scepkit_bytes serial, uint8_t *buf, size_t cap, scepkit_store_cert *out)
{
    gate_store *g = self;
    return g->inner.ops->cert_get(g->inner.self, serial, buf, cap, out);
}
static scepkit_err g_tx_create(void *self, const scepkit_store_tx *tx)
{
    gate_store *g = self;
    return g->inner.ops->tx_create(g->inner.self, tx);
}
static scepkit_err g_tx_update(void *self, const scepkit_store_tx *tx, scepkit_tx_state expect)
{
    gate_store *g = self;
    return g->inner.ops->tx_update(g->inner.self, tx, expect);
}
static scepkit_err g_tx_remove(void *self, scepkit_bytes id, scepkit_tx_state expect)
{
    gate_store *g = self;
    return g->inner.ops->tx_remove(g->inner.self, id, expect);
}
static scepkit_err g_tx_get(void *self, scepkit_bytes id, uint8_t *buf, size_t cap, scepkit_store_tx *out)
{
    gate_store *g = self;
    scepkit_err err = g->inner.ops->tx_get(g->inner.self, id, buf, cap, out);
    if (atomic_fetch_add(&g->calls, 1) < THREADS) {
        pthread_barrier_wait(&g->barrier);
    }
    return err;
}
static const scepkit_store_ops gate_ops = {.serial_claim = g_claim,
                                           .cert_get = g_cert_get,
                                           .tx_create = g_tx_create,
                                           .tx_update = g_tx_update,
                                           .tx_get = g_tx_get,
                                           .tx_remove = g_tx_remove};

Test(server_concurrency, one_transaction_sent_by_eight_threads_at_once_is_issued_once)
{
    srv_world w;
    srv_client c;
    static gate_store gate;
    srv_world_init(&w, "srv_race", NULL, NULL);
    gate.inner = scepkit_file_store_port(&w.fs);
    atomic_store(&gate.calls, 0);
    cr_assert_eq(pthread_barrier_init(&gate.barrier, NULL, THREADS), 0);
    w.cfg.store = (scepkit_store){&gate_ops, &gate};
    srv_world_start(&w);
    srv_client_load(&w, &c, 0);
    srv_client_csr(&w, &c, "CN=raced", SRV_CHALLENGE);
    size_t len = 0;
    uint8_t *msg = srv_request(&w, &c, SCEPKIT_MSG_PKCSREQ, &len);
    atomic_int go = 0;
    static racer x[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&x[i], 0, sizeof x[i]);
        x[i].w = &w;
        x[i].msg = msg;
        x[i].len = len;
        x[i].go = &go;
        cr_assert_eq(pthread_create(&t[i], NULL, race, &x[i]), 0);
    }
    atomic_store(&go, 1);
    int success = 0;
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_join(t[i], NULL), 0);
        cr_assert_eq(x[i].err, SCEPKIT_OK);
        cr_assert_eq(x[i].r.http_status, 200);
        cr_assert(x[i].r.status == SCEPKIT_STATUS_SUCCESS || x[i].r.status == SCEPKIT_STATUS_PENDING);
        success += x[i].r.status == SCEPKIT_STATUS_SUCCESS;
    }
    cr_assert_geq(success, 1);
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1, "issued exactly once");
    int certs = 0;
    char p[700], cmd[1024], out[64];
    snprintf(p, sizeof p, "%s/certs", w.dir);
    snprintf(cmd, sizeof cmd, "find '%s' -type f -size +0 | wc -l", p);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0);
    certs = atoi(out);
    cr_assert_eq(certs, 1);
    free(msg);
    pthread_barrier_destroy(&gate.barrier);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* Two administrators approve the same PENDING request at the same moment (two `scepkit-server approve` runs, or
 * two threads of an admin front end): both have read PENDING before either acts, the worst interleaving. The CA
 * must run once: one approval issues, the other is refused, and exactly one certificate exists. */
typedef struct approver {
    srv_world *w;
    const char *txid;
    atomic_int *go;
    scepkit_err err;
} approver;

static void *approve_now(void *arg)
{
    approver *x = arg;
    static _Thread_local uint8_t mem[SCEPKIT_SERVER_SCRATCH(65536, 65536)];
    scepkit_arena ar;
    scepkit_arena_init(&ar, mem, sizeof mem);
    while (atomic_load(x->go) == 0) {
    }
    x->err = scepkit_server_approve(&x->w->srv, scepkit_bytes_str(x->txid), &ar);
    return NULL;
}

Test(server_concurrency, two_simultaneous_approvals_of_one_pending_request_issue_one_certificate)
{
    srv_world w;
    srv_client c;
    static gate_store gate;
    srv_world_init(&w, "srv_approve_race", NULL, NULL);
    gate.inner = scepkit_file_store_port(&w.fs);
    atomic_store(&gate.calls, THREADS); /* no gating while the request is enrolled */
    cr_assert_eq(pthread_barrier_init(&gate.barrier, NULL, 2), 0);
    w.cfg.store = (scepkit_store){&gate_ops, &gate};
    w.cfg.manual_approval = 1;
    srv_world_start(&w);
    srv_client_load(&w, &c, 1);
    srv_client_csr(&w, &c, "CN=approved twice", SRV_CHALLENGE);
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_PENDING);

    atomic_store(&gate.calls, THREADS - 2); /* the next two lookups (one per approver) meet at the barrier */
    atomic_int go = 0;
    approver x[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        x[i].w = &w;
        x[i].txid = c.txid;
        x[i].go = &go;
        x[i].err = SCEPKIT_ERR_INTERNAL;
        cr_assert_eq(pthread_create(&t[i], NULL, approve_now, &x[i]), 0);
    }
    atomic_store(&go, 1);
    int ok = 0, refused = 0;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pthread_join(t[i], NULL), 0);
        ok += x[i].err == SCEPKIT_OK;
        refused += x[i].err == SCEPKIT_ERR_TX_STATE;
    }
    cr_assert_eq(ok, 1, "one approval issues");
    cr_assert_eq(refused, 1, "the other finds the request no longer pending");
    cr_assert_eq(w.events.count[SCEPKIT_EVENT_ISSUED], 1, "the CA ran once");
    char cmd[1024], out[64];
    snprintf(cmd, sizeof cmd, "find '%s/certs' -type f -size +0 | wc -l", w.dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0);
    cr_assert_eq(atoi(out), 1, "exactly one certificate was signed");
    cr_assert_eq(srv_enroll(&w, &c, NULL, NULL, NULL), SCEPKIT_STATUS_SUCCESS, "the retry gets the one certificate");
    pthread_barrier_destroy(&gate.barrier);
    srv_client_free(&c);
    srv_world_free(&w);
}

/* CA mode: the handler (decrypts requests, signs replies) and the software CA (signs certificates) share one
 * key port that is not thread-safe. Both serialise it, so the two must use one lock: a key port that notices
 * when it is entered while already in use must never see that. Each call holds the key a little while so that
 * two locks would overlap on nearly every enrollment. */
typedef struct overlap_key {
    scepkit_key inner;
    atomic_int inside;
    atomic_int overlaps;
    atomic_int calls;
} overlap_key;

static void ok_enter(overlap_key *o)
{
    if (atomic_fetch_add(&o->inside, 1) != 0) {
        atomic_fetch_add(&o->overlaps, 1);
    }
    atomic_fetch_add(&o->calls, 1);
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
}
static scepkit_err ok_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    overlap_key *o = self;
    ok_enter(o);
    scepkit_err err = scepkit_key_public(o->inner, out, cap, len);
    atomic_fetch_sub(&o->inside, 1);
    return err;
}
static scepkit_err ok_sign(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                           size_t cap, size_t *sig_len)
{
    overlap_key *o = self;
    ok_enter(o);
    scepkit_err err = scepkit_key_sign_digest(o->inner, md, digest, digest_len, sig, cap, sig_len);
    atomic_fetch_sub(&o->inside, 1);
    return err;
}
static scepkit_err ok_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    overlap_key *o = self;
    ok_enter(o);
    scepkit_err err = scepkit_key_decrypt(o->inner, pad, oaep_md, in, in_len, out, cap, out_len);
    atomic_fetch_sub(&o->inside, 1);
    return err;
}
static const scepkit_key_ops overlap_ops = {ok_public, ok_sign, ok_decrypt};

Test(server_concurrency, a_ca_key_shared_by_the_handler_and_the_software_ca_is_never_used_by_two_threads_at_once)
{
    srv_world w;
    static overlap_key ok;
    srv_world_init(&w, "srv_shared_key", NULL, NULL);
    ok.inner = scepkit_softkey_key(&w.ca_sk);
    atomic_store(&ok.inside, 0);
    atomic_store(&ok.overlaps, 0);
    atomic_store(&ok.calls, 0);
    scepkit_key shared = {&overlap_ops, &ok};
    w.cfg.ca_key = shared;    /* keys_thread_safe = 0: the handler serialises it */
    w.ca_cfg.ca_key = shared; /* key_thread_safe = 0: so does the CA */
    srv_world_start(&w);
    static worker k[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&k[i], 0, sizeof k[i]);
        k[i].w = &w;
        k[i].index = i;
        k[i].count = 4;
        srv_client_load(&w, &k[i].c, i);
        char dn[64];
        snprintf(dn, sizeof dn, "CN=shared key %d", i);
        srv_client_csr(&w, &k[i].c, dn, SRV_CHALLENGE);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, run, &k[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_join(t[i], NULL), 0);
        cr_assert_eq(k[i].err, SCEPKIT_OK, "thread %d: %s", i, scepkit_err_name(k[i].err));
        cr_assert_eq(k[i].ok, 4, "thread %d", i);
    }
    cr_assert_geq(atomic_load(&ok.calls), 4 * 4 * 3, "decrypt, certificate, reply per enrollment");
    cr_assert_eq(atomic_load(&ok.overlaps), 0, "the key port was entered by two threads at once");
    for (int i = 0; i < 4; i++) {
        srv_client_free(&k[i].c);
    }
    srv_world_free(&w);
}
