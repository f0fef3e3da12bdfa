/**
 * @file config.h
 * @brief Compile-time configuration of scepkit.
 *
 * Each SCEPKIT_WITH_* macro is 0 or 1 and has a CMake option of the same name.
 * CMake writes the chosen values to `scepkit/build_config.h`, which this file
 * includes. Builds without CMake define SCEPKIT_CONFIG_FILE (e.g. to one of the
 * presets in `configs/`) instead. Anything left undefined gets the default
 * below. Disabling a feature keeps its API: the functions return
 * SCEPKIT_ERR_DISABLED.
 */
#ifndef SCEPKIT_CONFIG_H
#define SCEPKIT_CONFIG_H

#if defined(SCEPKIT_CONFIG_FILE)
#include SCEPKIT_CONFIG_FILE
#elif !defined(SCEPKIT_NO_BUILD_CONFIG)
#include "scepkit/build_config.h"
#endif

/** Software private keys over the crypto backend (scepkit_softkey). */
#ifndef SCEPKIT_WITH_SOFTKEY
#define SCEPKIT_WITH_SOFTKEY 1
#endif
/** ECDSA P-256/P-384 keys and signatures. */
#ifndef SCEPKIT_WITH_ECDSA
#define SCEPKIT_WITH_ECDSA 1
#endif
/** RSA-OAEP key transport. */
#ifndef SCEPKIT_WITH_RSA_OAEP
#define SCEPKIT_WITH_RSA_OAEP 1
#endif
/** Single-DES decryption and MD5, usable only when a caller also turns the runtime legacy switch on. */
#ifndef SCEPKIT_WITH_LEGACY_CRYPTO
#define SCEPKIT_WITH_LEGACY_CRYPTO 1
#endif
/** PKCS#10 writer. */
#ifndef SCEPKIT_WITH_CSR_WRITE
#define SCEPKIT_WITH_CSR_WRITE 1
#endif
/** PKCS#10 parser. */
#ifndef SCEPKIT_WITH_CSR_PARSE
#define SCEPKIT_WITH_CSR_PARSE 1
#endif
/** The libcurl HTTP(S) transport of the SCEP client (scepkit_curl_transport; hosts). */
#ifndef SCEPKIT_WITH_CURL
#define SCEPKIT_WITH_CURL 1
#endif
/** Maximum nesting depth the DER reader and writer accept. */
#ifndef SCEPKIT_DER_MAX_DEPTH
#define SCEPKIT_DER_MAX_DEPTH 24
#endif
/** Largest RSA modulus accepted, in bits. */
#ifndef SCEPKIT_MAX_RSA_BITS
#define SCEPKIT_MAX_RSA_BITS 8192
#endif

/* Consistency checks. */
#if (SCEPKIT_WITH_SOFTKEY != 0 && SCEPKIT_WITH_SOFTKEY != 1) ||                                                        \
    (SCEPKIT_WITH_ECDSA != 0 && SCEPKIT_WITH_ECDSA != 1) ||                                                            \
    (SCEPKIT_WITH_RSA_OAEP != 0 && SCEPKIT_WITH_RSA_OAEP != 1) ||                                                      \
    (SCEPKIT_WITH_LEGACY_CRYPTO != 0 && SCEPKIT_WITH_LEGACY_CRYPTO != 1) ||                                            \
    (SCEPKIT_WITH_CSR_WRITE != 0 && SCEPKIT_WITH_CSR_WRITE != 1) ||                                                    \
    (SCEPKIT_WITH_CSR_PARSE != 0 && SCEPKIT_WITH_CSR_PARSE != 1) || (SCEPKIT_WITH_CURL != 0 && SCEPKIT_WITH_CURL != 1)
#error "scepkit config: every SCEPKIT_WITH_* must be 0 or 1"
#endif
#if SCEPKIT_DER_MAX_DEPTH < 12 || SCEPKIT_DER_MAX_DEPTH > 64
#error "scepkit config: SCEPKIT_DER_MAX_DEPTH must be within 12..64 (CMS needs about 12)"
#endif
#if SCEPKIT_MAX_RSA_BITS < 2048 || SCEPKIT_MAX_RSA_BITS > 16384
#error "scepkit config: SCEPKIT_MAX_RSA_BITS must be within 2048..16384"
#endif

/* Export macro: one for the whole library. */
#if defined(SCEPKIT_STATIC_DEFINE)
#define SCEPKIT_API
#elif defined(_WIN32)
#if defined(SCEPKIT_BUILDING)
#define SCEPKIT_API __declspec(dllexport)
#else
#define SCEPKIT_API __declspec(dllimport)
#endif
#else
#define SCEPKIT_API __attribute__((visibility("default")))
#endif

#endif
