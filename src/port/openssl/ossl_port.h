/*
 * Helpers shared by the files of the OpenSSL 3 port. Nothing outside src/port/openssl/ includes this.
 *
 * OpenSSL 3.0 API only (built with OPENSSL_API_COMPAT=30000 and OPENSSL_NO_DEPRECATED): EVP, EVP_PKEY,
 * OSSL_PARAM, OSSL_ENCODER/DECODER, EVP_RAND. Every call that may fail leaves entries on OpenSSL's per-thread
 * error queue; the port takes the last one as the raw backend code (where a context keeps one) and clears the
 * queue before returning, so nothing leaks into the next call or into the caller's own use of OpenSSL.
 */
#ifndef SCEPKIT_PORT_OPENSSL_OSSL_PORT_H
#define SCEPKIT_PORT_OPENSSL_OSSL_PORT_H

#include <openssl/opensslv.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "scepkit: the OpenSSL backend needs OpenSSL 3.0 or later"
#endif

#include <openssl/evp.h>

#include "port/crypto_port.h"

/* The last error on the queue as an int (0 if none), and the queue cleared. */
int skit_ossl_take_error(void);

/* Maps a digest for hashing. MD5 gives SCEPKIT_ERR_DISABLED when legacy crypto is compiled out. */
scepkit_err skit_ossl_md(scepkit_md md, const EVP_MD **out);
/* Maps a digest for signatures and OAEP: SHA-1/256/384/512 only (MD5 -> SCEPKIT_ERR_LEGACY_DISABLED). */
scepkit_err skit_ossl_md_strong(scepkit_md md, const EVP_MD **out);

/*
 * Type and size of a key: RSA (any size), EC P-256/P-384 (id-ecPublicKey, named curve).
 * Other EC curves: SCEPKIT_ERR_KEY_TYPE. Other algorithms (Ed25519, RSA-PSS, DSA, ...), which the mbedTLS
 * port cannot even parse: SCEPKIT_ERR_KEY_PARSE, so both backends give the same answer.
 */
scepkit_err skit_ossl_pk_classify(const EVP_PKEY *pk, scepkit_key_type *type, size_t *bits);

/* Parses a DER SubjectPublicKeyInfo that fills `spki` exactly. SCEPKIT_ERR_KEY_PARSE on failure. */
scepkit_err skit_ossl_parse_spki(EVP_PKEY **pk, scepkit_bytes spki, int *backend_err);

/* RSA moduli accepted for public-key operations with peers (verify, encrypt). */
#define SKIT_RSA_PUBLIC_MIN_BITS 1024

/* RSA moduli accepted for our own keys (softkey). */
#define SKIT_RSA_PRIVATE_MIN_BITS 2048

#endif
