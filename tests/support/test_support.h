/* Shared helpers and fakes for the Criterion suites. */
#ifndef SCEPKIT_TEST_SUPPORT_H
#define SCEPKIT_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "scepkit/scepkit.h"

/* Reads a whole file (tests only: uses malloc). Returns NULL on failure. Caller frees. */
uint8_t *ts_read_file(const char *path, size_t *len);
/* Reads tests/vectors/<name>. */
uint8_t *ts_read_vector(const char *name, size_t *len);
/* Writes a file; 0 on success. */
int ts_write_file(const char *path, const uint8_t *data, size_t len);
/* A fresh empty directory under the build tree's tests/tmp for one test; returns a static-lifetime path copy
 * in `out` (cap bytes). */
void ts_tmpdir(const char *name, char *out, size_t cap);
/* Runs a shell command (via /bin/sh), returns its exit status (-1 if it could not run). Output is captured
 * into `out` (NUL-terminated, may be NULL). */
int ts_run(const char *cmd, char *out, size_t cap);

/* Deterministic RNG for tests: a counter run through SHA-256 (never for real keys). */
typedef struct ts_det_rng {
    uint8_t seed[32];
    uint64_t counter;
    int fail_after; /* fail once this many fill calls have succeeded (-1 = never) */
    int calls;
} ts_det_rng;
void ts_det_rng_init(ts_det_rng *r, uint32_t seed);
scepkit_rng ts_det_rng_port(ts_det_rng *r);

#endif
