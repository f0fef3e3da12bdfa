/* Preset: a device enrolling with SCEP. Key in a secure element (no software keys),
 * no legacy ciphers, smaller limits. Use with -DSCEPKIT_CONFIG_FILE='"configs/firmware_client.h"'. */
#ifndef SCEPKIT_PRESET_FIRMWARE_CLIENT_H
#define SCEPKIT_PRESET_FIRMWARE_CLIENT_H
#define SCEPKIT_WITH_SOFTKEY 0
#define SCEPKIT_WITH_ECDSA 1
#define SCEPKIT_WITH_RSA_OAEP 0
#define SCEPKIT_WITH_LEGACY_CRYPTO 0
#define SCEPKIT_WITH_CSR_WRITE 1
#define SCEPKIT_WITH_CSR_PARSE 0
#define SCEPKIT_WITH_CURL 0 /* the device brings its own transport (examples/firmware_client.c) */
#define SCEPKIT_DER_MAX_DEPTH 16
#define SCEPKIT_MAX_RSA_BITS 4096
#endif
