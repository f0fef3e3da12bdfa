/*
 * SCEP enrollment load generator (a benchmark, not a test): N concurrent workers enroll a fixed count of
 * certificates against a SCEP server over HTTP (loopback), then every answer is opened and checked.
 *
 * Method: pre-built requests replayed with distinct transactionIDs. Before the timed phase, K RSA-2048 keys
 * (default 8) with their self-signed signer certificates and CSRs are made, and COUNT PKCSReq pkiMessages are
 * built with scepkit's message layer (scepkit_scep_request_write: AES-128-CBC, SHA-256, a random transactionID
 * and senderNonce each, encrypted to the server's CA or RA encryption certificate from GetCACert). The timed
 * phase only sends them: W worker threads, each with its own keep-alive connection (scepkit's libcurl
 * transport), take the next request, POST it (or GET with --get) and keep the answer. So the client costs
 * almost no CPU while the server is measured, which matters on a 2-core machine.
 * Afterwards every answer is opened (signature, transactionID, nonce, decryption: scepkit_scep_reply_open) and
 * must be a SUCCESS carrying a certificate for the request's key; serial numbers must all differ.
 *
 * Reported: enrollments/s (COUNT / wall time of the timed phase), p50/p99/max latency, and with -p PID the
 * server's CPU time (user+system from /proc/PID/stat) per enrollment and its RSS before and after.
 * Exit status 0 only with zero failures and unique serials.
 *
 * Usage: bench_scep_load -u URL -s CHALLENGE [-n COUNT] [-w WORKERS] [-k KEYS] [-p SERVER_PID] [--get]
 *                        [--legacy] [--serials FILE]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scepkit/client.h"
#include "scepkit/scepkit.h"
#include "scepkit/transport.h"

#define MAX_BODY (64u * 1024u)

typedef struct signer {
    scepkit_softkey sk;
    uint8_t cert[4096];
    size_t cert_len;
    uint8_t csr[4096];
    size_t csr_len;
} signer;

typedef struct request {
    uint8_t *msg;
    size_t len;
    char *query; /* --get */
    char txid[40];
    uint8_t nonce[SCEPKIT_NONCE_LEN];
    int key;
    /* results */
    int status;
    scepkit_err err;
    uint8_t *body;
    size_t body_len;
    double latency;
} request;

typedef struct load {
    const char *url;
    request *reqs;
    size_t count;
    atomic_size_t next;
    int use_get;
} load;

typedef struct worker {
    load *ld;
    scepkit_curl_transport t;
    uint8_t buf[MAX_BODY];
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, scepkit_err e)
{
    fprintf(stderr, "bench_scep_load: %s: %s (%s)\n", what, scepkit_strerror(e), scepkit_err_name(e));
    exit(2);
}

/* Server process figures from /proc: CPU seconds (user + system) and resident set size in KiB. */
static int proc_stats(long pid, double *cpu, long *rss_kib)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (p == NULL) {
        return -1;
    }
    unsigned long utime = 0, stime = 0;
    /* fields after the name: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime
     */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) {
        return -1;
    }
    *cpu = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    f = fopen(path, "r");
    *rss_kib = -1;
    if (f != NULL) {
        while (fgets(buf, sizeof buf, f) != NULL) {
            if (strncmp(buf, "VmRSS:", 6) == 0) {
                *rss_kib = strtol(buf + 6, NULL, 10);
            }
        }
        fclose(f);
    }
    return 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    load *ld = w->ld;
    scepkit_transport tp = scepkit_curl_transport_port(&w->t);
    for (;;) {
        size_t i = atomic_fetch_add(&ld->next, 1);
        if (i >= ld->count) {
            break;
        }
        request *r = &ld->reqs[i];
        scepkit_http_request hr;
        memset(&hr, 0, sizeof hr);
        hr.operation = "PKIOperation";
        if (ld->use_get) {
            hr.method = SCEPKIT_HTTP_GET;
            hr.query = r->query;
            hr.query_len = strlen(r->query);
        } else {
            hr.method = SCEPKIT_HTTP_POST;
            hr.query = "operation=PKIOperation";
            hr.query_len = strlen(hr.query);
            hr.body = (scepkit_bytes){r->msg, r->len};
            hr.content_type = SCEPKIT_CT_PKI_MESSAGE;
        }
        scepkit_http_response resp;
        memset(&resp, 0, sizeof resp);
        double t0 = now_s();
        r->err = tp.ops->exchange(tp.self, &hr, w->buf, sizeof w->buf, &resp);
        r->latency = now_s() - t0;
        r->status = resp.status;
        if (r->err == SCEPKIT_OK && resp.body.len > 0) {
            r->body = malloc(resp.body.len);
            if (r->body != NULL) {
                memcpy(r->body, resp.body.ptr, resp.body.len);
                r->body_len = resp.body.len;
            }
        }
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct serial {
    uint8_t b[20];
    size_t n;
} serial;

static int cmp_serial(const void *a, const void *b)
{
    const serial *x = a, *y = b;
    if (x->n != y->n) {
        return x->n < y->n ? -1 : 1;
    }
    return memcmp(x->b, y->b, x->n);
}

static scepkit_err fetch(scepkit_curl_transport *t, const char *op, uint8_t *buf, size_t cap, scepkit_http_response *r,
                         char *ctype, size_t ctcap)
{
    char query[64];
    snprintf(query, sizeof query, "operation=%s", op);
    scepkit_http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.method = SCEPKIT_HTTP_GET;
    hr.operation = op;
    hr.query = query;
    hr.query_len = strlen(query);
    memset(r, 0, sizeof *r);
    scepkit_transport tp = scepkit_curl_transport_port(t);
    scepkit_err e = tp.ops->exchange(tp.self, &hr, buf, cap, r);
    size_t n = r->content_type.len < ctcap - 1 ? r->content_type.len : ctcap - 1;
    memcpy(ctype, r->content_type.ptr, n);
    ctype[n] = 0;
    r->content_type = (scepkit_bytes){(const uint8_t *)ctype, n};
    return e;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},   {"challenge", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'n'}, {"workers", required_argument, NULL, 'w'},
        {"keys", required_argument, NULL, 'k'},  {"pid", required_argument, NULL, 'p'},
        {"get", no_argument, NULL, 1},           {"legacy", no_argument, NULL, 2},
        {"serials", required_argument, NULL, 3}, {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *challenge = "", *serials_path = NULL;
    size_t count = 200, nworkers = 4, nkeys = 8;
    long pid = 0;
    int use_get = 0, legacy = 0, ch;
    while ((ch = getopt_long(argc, argv, "u:s:n:w:k:p:", opts, NULL)) != -1) {
        switch (ch) {
        case 'u':
            url = optarg;
            break;
        case 's':
            challenge = optarg;
            break;
        case 'n':
            count = strtoul(optarg, NULL, 10);
            break;
        case 'w':
            nworkers = strtoul(optarg, NULL, 10);
            break;
        case 'k':
            nkeys = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            pid = strtol(optarg, NULL, 10);
            break;
        case 1:
            use_get = 1;
            break;
        case 2:
            legacy = 1;
            break;
        case 3:
            serials_path = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench_scep_load -u URL -s CHALLENGE [-n COUNT] [-w WORKERS] [-k KEYS] [-p PID] "
                            "[--get] [--legacy] [--serials FILE]\n");
            return 2;
        }
    }
    if (url == NULL || count == 0 || nworkers == 0 || nkeys == 0 || nworkers > 256) {
        fprintf(stderr, "bench_scep_load: -u URL required; counts must be positive\n");
        return 2;
    }

    scepkit_drbg drbg;
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("bench_scep_load"));
    if (e != SCEPKIT_OK) {
        die("drbg", e);
    }
    scepkit_rng rng = scepkit_drbg_rng(&drbg);

    /* The server's certificates. */
    scepkit_curl_options co;
    memset(&co, 0, sizeof co);
    co.url = url;
    co.timeout_ms = 60000;
    scepkit_curl_transport setup;
    e = scepkit_curl_transport_init(&setup, &co);
    if (e != SCEPKIT_OK) {
        die("curl", e);
    }
    static uint8_t cabuf[MAX_BODY];
    char ctype[128];
    scepkit_http_response hr;
    e = fetch(&setup, "GetCACert", cabuf, sizeof cabuf, &hr, ctype, sizeof ctype);
    if (e != SCEPKIT_OK || hr.status != 200) {
        fprintf(stderr, "bench_scep_load: GetCACert failed (HTTP %d)\n", hr.status);
        return 2;
    }
    scepkit_ca_certs cc;
    e = scepkit_cacert_parse(hr.content_type, hr.body, &cc);
    if (e != SCEPKIT_OK) {
        die("GetCACert answer", e);
    }
    scepkit_bytes enc = cc.certs[cc.enc];
    scepkit_bytes sign_certs[2] = {cc.certs[cc.sign], cc.certs[cc.ca]};

    /* Keys, signer certificates and CSRs. */
    double t_setup = now_s();
    signer *signers = calloc(nkeys, sizeof *signers);
    static uint8_t scratch_mem[64 * 1024];
    scepkit_arena arena;
    for (size_t k = 0; k < nkeys; k++) {
        signer *s = &signers[k];
        scepkit_softkey_init(&s->sk, rng);
        e = scepkit_softkey_generate(&s->sk, SCEPKIT_KEY_RSA, 2048);
        if (e != SCEPKIT_OK) {
            die("keygen", e);
        }
        char dn[64];
        snprintf(dn, sizeof dn, "CN=load-%zu,O=scepkit bench", k);
        scepkit_name_attr attrs[4];
        size_t na = 0;
        uint8_t name[256];
        size_t name_len = 0;
        e = scepkit_name_from_string(scepkit_bytes_str(dn), attrs, 4, &na, NULL, 0);
        if (e == SCEPKIT_OK) {
            e = scepkit_name_write(attrs, na, name, sizeof name, &name_len);
        }
        scepkit_arena_init(&arena, scratch_mem, sizeof scratch_mem);
        if (e == SCEPKIT_OK) {
            e = scepkit_scep_self_signed((scepkit_bytes){name, name_len}, scepkit_softkey_key(&s->sk), rng,
                                         (int64_t)time(NULL), 30, &arena, s->cert, sizeof s->cert, &s->cert_len);
        }
        scepkit_csr_params cp;
        memset(&cp, 0, sizeof cp);
        cp.subject_der = (scepkit_bytes){name, name_len};
        cp.challenge = scepkit_bytes_str(challenge);
        cp.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE | SCEPKIT_KU_KEY_ENCIPHERMENT;
        scepkit_arena_init(&arena, scratch_mem, sizeof scratch_mem);
        if (e == SCEPKIT_OK) {
            e = scepkit_csr_write(&cp, scepkit_softkey_key(&s->sk), &arena, s->csr, sizeof s->csr, &s->csr_len);
        }
        if (e != SCEPKIT_OK) {
            die("signer/CSR", e);
        }
    }

    /* The requests: distinct transactionIDs and nonces. */
    request *reqs = calloc(count, sizeof *reqs);
    for (size_t i = 0; i < count; i++) {
        request *r = &reqs[i];
        r->key = (int)(i % nkeys);
        signer *s = &signers[r->key];
        uint8_t rnd[16];
        if (scepkit_rng_fill(rng, rnd, sizeof rnd) != SCEPKIT_OK || scepkit_rng_fill(rng, r->nonce, sizeof r->nonce)) {
            die("rng", SCEPKIT_ERR_RNG);
        }
        for (size_t j = 0; j < sizeof rnd; j++) {
            snprintf(r->txid + 2 * j, 3, "%02X", rnd[j]);
        }
        scepkit_scep_request_params p;
        memset(&p, 0, sizeof p);
        p.type = SCEPKIT_MSG_PKCSREQ;
        p.transaction_id = scepkit_bytes_str(r->txid);
        memcpy(p.sender_nonce, r->nonce, sizeof r->nonce);
        p.message_data = (scepkit_bytes){s->csr, s->csr_len};
        p.signer_cert = (scepkit_bytes){s->cert, s->cert_len};
        p.signer_key = scepkit_softkey_key(&s->sk);
        p.md = SCEPKIT_MD_SHA256;
        p.recipient_cert = enc;
        p.cipher = SCEPKIT_CIPHER_AES128_CBC;
        p.rng = rng;
        p.signing_time = (int64_t)time(NULL);
        r->msg = malloc(16384);
        scepkit_arena_init(&arena, scratch_mem, sizeof scratch_mem);
        e = scepkit_scep_request_write(&p, &arena, r->msg, 16384, &r->len);
        if (e != SCEPKIT_OK) {
            die("request", e);
        }
        if (use_get) {
            size_t qcap = SCEPKIT_HTTP_QUERY_MAX(r->len), qlen = 0;
            r->query = malloc(qcap);
            e = scepkit_http_query("PKIOperation", (scepkit_bytes){r->msg, r->len}, 1, r->query, qcap, &qlen);
            if (e != SCEPKIT_OK) {
                die("query", e);
            }
        }
    }
    printf("setup: %zu keys, %zu requests built in %.1f s\n", nkeys, count, now_s() - t_setup);

    /* The timed phase. */
    load ld;
    memset(&ld, 0, sizeof ld);
    ld.url = url;
    ld.reqs = reqs;
    ld.count = count;
    ld.use_get = use_get;
    atomic_init(&ld.next, 0);
    worker *ws = calloc(nworkers, sizeof *ws);
    pthread_t *th = calloc(nworkers, sizeof *th);
    for (size_t i = 0; i < nworkers; i++) {
        ws[i].ld = &ld;
        e = scepkit_curl_transport_init(&ws[i].t, &co);
        if (e != SCEPKIT_OK) {
            die("curl", e);
        }
    }
    double cpu0 = 0, cpu1 = 0;
    long rss0 = -1, rss1 = -1;
    if (pid > 0 && proc_stats(pid, &cpu0, &rss0) != 0) {
        fprintf(stderr, "bench_scep_load: cannot read /proc/%ld\n", pid);
        pid = 0;
    }
    double t0 = now_s();
    for (size_t i = 0; i < nworkers; i++) {
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    for (size_t i = 0; i < nworkers; i++) {
        pthread_join(th[i], NULL);
    }
    double wall = now_s() - t0;
    if (pid > 0) {
        proc_stats(pid, &cpu1, &rss1);
    }

    /* Check every answer. */
    size_t failures = 0;
    serial *serials = calloc(count, sizeof *serials);
    size_t nserials = 0;
    uint8_t *plain = malloc(2 * MAX_BODY);
    for (size_t i = 0; i < count; i++) {
        request *r = &reqs[i];
        signer *s = &signers[r->key];
        if (r->err != SCEPKIT_OK || r->status != 200 || r->body == NULL) {
            if (failures < 5) {
                fprintf(stderr, "request %zu: transport %s, HTTP %d\n", i, scepkit_err_name(r->err), r->status);
            }
            failures++;
            continue;
        }
        scepkit_scep_open_reply_params op;
        memset(&op, 0, sizeof op);
        op.transaction_id = scepkit_bytes_str(r->txid);
        memcpy(op.sender_nonce, r->nonce, sizeof r->nonce);
        op.signer_certs = sign_certs;
        op.signer_cert_count = 2;
        op.our_cert = (scepkit_bytes){s->cert, s->cert_len};
        op.our_key = scepkit_softkey_key(&s->sk);
        op.rng = rng;
        op.allow_legacy = legacy;
        scepkit_scep_reply rep;
        e = scepkit_scep_reply_open((scepkit_bytes){r->body, r->body_len}, &op, plain, 2 * MAX_BODY, &rep);
        scepkit_bytes cert = {NULL, 0};
        scepkit_cms_iter it;
        memset(&it, 0, sizeof it);
        if (e == SCEPKIT_OK && rep.status == SCEPKIT_STATUS_SUCCESS) {
            e = scepkit_cms_next_cert(&rep.certs, &it, &cert);
        }
        scepkit_x509 x;
        uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
        size_t spki_len = 0;
        if (e == SCEPKIT_OK && rep.status == SCEPKIT_STATUS_SUCCESS && scepkit_x509_parse(cert, &x) == SCEPKIT_OK &&
            scepkit_key_public(scepkit_softkey_key(&s->sk), spki, sizeof spki, &spki_len) == SCEPKIT_OK &&
            x.spki.len == spki_len && memcmp(x.spki.ptr, spki, spki_len) == 0 && x.serial.len <= 20) {
            memcpy(serials[nserials].b, x.serial.ptr, x.serial.len);
            serials[nserials].n = x.serial.len;
            nserials++;
        } else {
            if (failures < 5) {
                fprintf(stderr, "request %zu: %s, status %d, failInfo %d %s\n", i, scepkit_err_name(e), (int)rep.status,
                        (int)rep.fail_info, rep.fail_info_text);
            }
            failures++;
        }
    }
    qsort(serials, nserials, sizeof *serials, cmp_serial);
    size_t dups = 0;
    for (size_t i = 1; i < nserials; i++) {
        if (cmp_serial(&serials[i - 1], &serials[i]) == 0) {
            dups++;
        }
    }
    if (serials_path != NULL) {
        FILE *f = fopen(serials_path, "w");
        for (size_t i = 0; f != NULL && i < nserials; i++) {
            for (size_t j = 0; j < serials[i].n; j++) {
                fprintf(f, "%02x", serials[i].b[j]);
            }
            fputc('\n', f);
        }
        if (f != NULL) {
            fclose(f);
        }
    }

    double *lat = calloc(count, sizeof *lat);
    for (size_t i = 0; i < count; i++) {
        lat[i] = reqs[i].latency;
    }
    qsort(lat, count, sizeof *lat, cmp_double);
    size_t i50 = (count - 1) / 2, i99 = (size_t)((double)(count - 1) * 0.99);
    printf("enrollments: %zu with %zu workers (%s), %.2f s\n", count, nworkers, use_get ? "GET" : "POST", wall);
    printf("throughput:  %.1f enrollments/s\n", (double)count / wall);
    printf("latency:     p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", lat[i50] * 1e3, lat[i99] * 1e3,
           lat[count - 1] * 1e3);
    if (pid > 0) {
        printf("server CPU:  %.2f ms per enrollment (%.2f s user+system for %zu)\n",
               (cpu1 - cpu0) * 1e3 / (double)count, cpu1 - cpu0, count);
        printf("server RSS:  %ld KiB before, %ld KiB after\n", rss0, rss1);
    }
    printf("failures:    %zu\n", failures);
    printf("serials:     %zu issued, %zu duplicate%s\n", nserials, dups, dups == 1 ? "" : "s");

    for (size_t i = 0; i < count; i++) {
        free(reqs[i].msg);
        free(reqs[i].query);
        free(reqs[i].body);
    }
    for (size_t i = 0; i < nworkers; i++) {
        scepkit_curl_transport_free(&ws[i].t);
    }
    scepkit_curl_transport_free(&setup);
    for (size_t k = 0; k < nkeys; k++) {
        scepkit_softkey_free(&signers[k].sk);
    }
    free(signers);
    free(reqs);
    free(ws);
    free(th);
    free(plain);
    free(serials);
    free(lat);
    scepkit_drbg_free(&drbg);
    return (failures == 0 && dups == 0) ? 0 : 1;
}
