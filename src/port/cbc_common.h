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

#endif
