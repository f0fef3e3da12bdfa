/*
 * Shared by the backends' CBC code (src/port/<backend>/cbc.c); nothing above src/port/ includes this.
 */
#ifndef SCEPKIT_PORT_CBC_COMMON_H
#define SCEPKIT_PORT_CBC_COMMON_H

#include "port/crypto_port.h"

/* SCEPKIT_OK when cipher `c` may be used to encrypt (decrypt = 0) or decrypt; single DES decrypts only, and only
 * with `allow_legacy` (SCEPKIT_ERR_LEGACY_DISABLED), or SCEPKIT_ERR_DISABLED when legacy crypto is compiled out;
 * SCEPKIT_ERR_UNSUPPORTED otherwise. Depends only on the caller's choice, never on data. */
scepkit_err skit_cbc_allowed(scepkit_cipher c, int decrypt, int allow_legacy);

/* Constant-time PKCS#7 check of the last block (`bs` bytes): 1 when valid, with the pad length in *pad, else 0
 * (*pad then 0). Neither time nor memory access depends on the pad value. */
uint32_t skit_cbc_unpad(const uint8_t *last, size_t bs, size_t *pad);

/*
 * What each backend's cbc.c provides: a keyed CBC block cipher kept in `c->opaque` (the backend's own layout,
 * for `c->cipher`, which skit_cbc_allowed() accepted). The padding, the streaming and every check above the
 * blocks are in cbc_common.c, the same for every backend.
 */
/* Schedules `key` in one direction, chaining from `iv` (one block). On failure the state is left for release. */
scepkit_err skit_cbc_keys_setup(skit_cbc_ctx *c, int decrypt, const uint8_t *key, const uint8_t *iv);
/* `len` bytes, a multiple of the block size, continuing the chain. */
scepkit_err skit_cbc_keys_crypt(skit_cbc_ctx *c, size_t len, const uint8_t *in, uint8_t *out);
/* Frees and wipes the backend state; safe after a failed setup. */
void skit_cbc_keys_release(skit_cbc_ctx *c);

#endif
