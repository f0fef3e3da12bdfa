#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

uint8_t *ts_read_vector(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SCEPKIT_TEST_VECTORS, name);
    return ts_read_file(path, len);
}

int ts_write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

void ts_tmpdir(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", SCEPKIT_TEST_TMPDIR, name);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot make %s\n", out);
    }
}

int ts_run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return -1;
    }
    size_t n = 0;
    char tmp[4096];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, p)) > 0) {
        if (out != NULL && cap > 0) {
            size_t room = cap - 1 - n;
            size_t take = got < room ? got : room;
            memcpy(out + n, tmp, take);
            n += take;
        }
    }
    if (out != NULL && cap > 0) {
        out[n] = 0;
    }
    int st = pclose(p);
    if (st == -1) {
        return -1;
    }
    return (st >> 8) & 0xff;
}

static scepkit_err det_fill(void *self, uint8_t *out, size_t len)
{
    ts_det_rng *r = self;
    if (r->fail_after >= 0 && r->calls >= r->fail_after) {
        return SCEPKIT_ERR_RNG;
    }
    r->calls++;
    while (len > 0) {
        uint8_t in[40];
        uint8_t block[32];
        size_t blen = 0;
        memcpy(in, r->seed, 32);
        for (int i = 0; i < 8; i++) {
            in[32 + i] = (uint8_t)(r->counter >> (8 * i));
        }
        r->counter++;
        scepkit_bytes b = {in, sizeof in};
        if (scepkit_digest(SCEPKIT_MD_SHA256, b, block, sizeof block, &blen) != SCEPKIT_OK) {
            return SCEPKIT_ERR_RNG;
        }
        size_t take = len < blen ? len : blen;
        memcpy(out, block, take);
        out += take;
        len -= take;
    }
    return SCEPKIT_OK;
}

static const scepkit_rng_ops det_ops = {det_fill};

void ts_det_rng_init(ts_det_rng *r, uint32_t seed)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 4; i++) {
        r->seed[i] = (uint8_t)(seed >> (8 * i));
    }
    r->fail_after = -1;
}

scepkit_rng ts_det_rng_port(ts_det_rng *r)
{
    scepkit_rng p = {&det_ops, r};
    return p;
}
