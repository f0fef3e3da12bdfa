/* Preset: a SCEP server. Everything on, legacy crypto compiled in (still off at run time). */
#ifndef SCEPKIT_PRESET_SERVER_H
#define SCEPKIT_PRESET_SERVER_H
#define SCEPKIT_WITH_SOFTKEY 1
#define SCEPKIT_WITH_ECDSA 1
#define SCEPKIT_WITH_RSA_OAEP 1
#define SCEPKIT_WITH_LEGACY_CRYPTO 1
#define SCEPKIT_WITH_CSR_WRITE 1
#define SCEPKIT_WITH_CSR_PARSE 1
#define SCEPKIT_WITH_CURL 0
#define SCEPKIT_DER_MAX_DEPTH 24
#define SCEPKIT_MAX_RSA_BITS 8192
#endif
