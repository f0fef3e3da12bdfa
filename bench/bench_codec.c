/*
 * Codec benchmarks: CSR parse, CSR verify, CSR write (RSA-2048, EC P-256), base64.
 * Prints operations per second and time per operation, measured with CLOCK_MONOTONIC over a
 * fixed wall-time budget per case. Results go to docs/performance.md with the command used.
 *
 * Usage: bench_codec [seconds-per-case]   (default 1.0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scepkit/scepkit.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*bench_fn)(void *ctx);

static void run(const char *name, bench_fn fn, void *ctx, double budget)
{
    /* warm up once, then run until the budget is spent */
    if (fn(ctx) != 0) {
        printf("%-34s FAILED\n", name);
        return;
    }
    unsigned long n = 0;
    double t0 = now();
    double t1 = t0;
    do {
        for (int i = 0; i < 16; i++) {
            if (fn(ctx) != 0) {
                printf("%-34s FAILED\n", name);
                return;
            }
            n++;
        }
        t1 = now();
    } while (t1 - t0 < budget);
    double per = (t1 - t0) / (double)n;
    printf("%-34s %12.0f ops/s %12.2f us/op\n", name, 1.0 / per, per * 1e6);
}

typedef struct csr_case {
    scepkit_key key;
    scepkit_csr_params params;
    uint8_t scratch[SCEPKIT_CSR_WRITE_SCRATCH + 16];
    uint8_t out[4096];
    size_t len;
} csr_case;

static int do_write(void *p)
{
    csr_case *c = p;
    scepkit_arena a;
    scepkit_arena_init(&a, c->scratch, sizeof c->scratch);
    return scepkit_csr_write(&c->params, c->key, &a, c->out, sizeof c->out, &c->len) != SCEPKIT_OK;
}

static int do_parse(void *p)
{
    csr_case *c = p;
    scepkit_csr v;
    scepkit_bytes in = {c->out, c->len};
    return scepkit_csr_parse(in, &v) != SCEPKIT_OK;
}

static int do_verify(void *p)
{
    csr_case *c = p;
    scepkit_csr v;
    scepkit_bytes in = {c->out, c->len};
    return scepkit_csr_parse(in, &v) != SCEPKIT_OK || scepkit_csr_verify(&v, 0) != SCEPKIT_OK;
}

static int do_b64(void *p)
{
    csr_case *c = p;
    static char text[8192];
    static uint8_t back[4096];
    size_t tl = 0, bl = 0;
    scepkit_bytes in = {c->out, c->len};
    if (scepkit_base64_encode(in, SCEPKIT_B64_STD, text, sizeof text, &tl) != SCEPKIT_OK) {
        return 1;
    }
    scepkit_bytes t = {(const uint8_t *)text, tl};
    return scepkit_base64_decode(t, SCEPKIT_B64_STD, back, sizeof back, &bl) != SCEPKIT_OK || bl != c->len;
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 1.0;
    scepkit_drbg drbg;
    memset(&drbg, 0, sizeof drbg);
    if (scepkit_drbg_init(&drbg, scepkit_bytes_str("bench")) != SCEPKIT_OK) {
        return 1;
    }
    static const struct {
        const char *label;
        scepkit_key_type type;
        size_t bits;
    } keys[] = {{"RSA-2048", SCEPKIT_KEY_RSA, 2048}, {"EC P-256", SCEPKIT_KEY_EC_P256, 0}};
    printf("scepkit %s codec benchmarks, %.1f s per case\n", scepkit_version(), budget);
    for (size_t k = 0; k < 2; k++) {
        scepkit_softkey sk;
        scepkit_softkey_init(&sk, scepkit_drbg_rng(&drbg));
        if (scepkit_softkey_generate(&sk, keys[k].type, keys[k].bits) != SCEPKIT_OK) {
            return 1;
        }
        static csr_case c;
        memset(&c, 0, sizeof c);
        c.key = scepkit_softkey_key(&sk);
        scepkit_name_attr attrs[4];
        size_t n = 0;
        if (scepkit_name_from_string(scepkit_bytes_str("CN=bench-device,O=Acme,C=US"), attrs, 4, &n, NULL, 0) !=
            SCEPKIT_OK) {
            return 1;
        }
        scepkit_san san = {SCEPKIT_SAN_DNS, scepkit_bytes_str("bench-device.acme.test")};
        c.params.subject = attrs;
        c.params.subject_count = n;
        c.params.challenge = scepkit_bytes_str("benchmark-challenge");
        c.params.sans = &san;
        c.params.san_count = 1;
        c.params.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE;
        char name[64];
        snprintf(name, sizeof name, "csr write+sign %s", keys[k].label);
        run(name, do_write, &c, budget);
        snprintf(name, sizeof name, "csr parse %s (%zu B)", keys[k].label, c.len);
        run(name, do_parse, &c, budget);
        snprintf(name, sizeof name, "csr parse+verify %s", keys[k].label);
        run(name, do_verify, &c, budget);
        if (k == 0) {
            run("base64 encode+decode CSR", do_b64, &c, budget);
        }
        scepkit_softkey_free(&sk);
    }
    scepkit_drbg_free(&drbg);
    return 0;
}
