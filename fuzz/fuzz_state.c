/*
 * Fuzz target for the client state blob decoder (src/scep/client_state.c). The checksum is skipped so the
 * fuzzer reaches the field decoder; the public restore (with the checksum) runs too. Whatever decodes is
 * checked against the configuration like a real restore and saved again: the writer must cope with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scep/client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define M 4096
static uint8_t mem[SCEPKIT_CLIENT_MEM_SIZE(M)];
static uint8_t out[SCEPKIT_CLIENT_STATE_MAX(M)];

static scepkit_err no_rng(void *self, uint8_t *p, size_t n)
{
    (void)self;
    memset(p, 0x5a, n);
    return SCEPKIT_OK;
}
static const scepkit_rng_ops rng_ops = {no_rng};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_client c;
    scepkit_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.op = SCEPKIT_OP_ENROLL;
    cfg.allow_unpinned = 1;
    cfg.max_message = M;
    cfg.rng = (scepkit_rng){&rng_ops, NULL};
    static const scepkit_key_ops key_ops = {NULL, NULL, NULL};
    cfg.key = (scepkit_key){&key_ops, NULL};
    scepkit_bytes blob = {data, size};

    (void)scepkit_client_restore(&c, &cfg, mem, sizeof mem, blob);
    scepkit_client_free(&c);

    if (skit_client_setup(&c, &cfg, mem, sizeof mem) != SCEPKIT_OK) {
        abort();
    }
    if (skit_state_decode(&c, blob, 0) == SCEPKIT_OK) {
        (void)skit_client_after_load(&c); /* its verdict aside, the writer must cope with whatever decoded */
        size_t len = 0;
        CHECK(scepkit_client_save(&c, out, sizeof out, &len) == SCEPKIT_OK);
        CHECK(len <= sizeof out);
    }
    scepkit_client_free(&c);
    scepkit_client_op op;
    (void)skit_state_peek_op(blob, &op);
    return 0;
}
