/*
 * Helpers shared by the files of the mbedTLS port. Nothing outside src/port/mbedtls/ includes this.
 */
#ifndef SCEPKIT_PORT_MBEDTLS_MBED_PORT_H
#define SCEPKIT_PORT_MBEDTLS_MBED_PORT_H

#include "port/crypto_port.h"
#include "port/mbedtls/compat.h"

/*
 * mbedTLS wants f_rng(void *, unsigned char *, size_t) for blinding, padding and key generation.
 * The bridge carries a scepkit_rng and remembers the port's own error, so that after an mbedTLS
 * call the caller can tell an RNG failure (SCEPKIT_ERR_RNG) from the operation's own failure
 * without decoding mbedTLS's combined error codes.
 */
typedef struct skit_rng_bridge {
    scepkit_rng rng;
    scepkit_err err; /* SCEPKIT_OK until the port fails once */
} skit_rng_bridge;

void skit_rng_bridge_init(skit_rng_bridge *b, scepkit_rng rng);
/* The f_rng callback; p_rng is a skit_rng_bridge. */
int skit_rng_bridge_f(void *p_rng, unsigned char *out, size_t len);

/* Maps a digest for hashing. MD5 gives SCEPKIT_ERR_DISABLED when legacy crypto is compiled out. */
scepkit_err skit_mbed_md_type(scepkit_md md, mbedtls_md_type_t *out);
/* Maps a digest for signatures and OAEP: SHA-1/256/384/512 only (MD5 -> SCEPKIT_ERR_LEGACY_DISABLED). */
scepkit_err skit_mbed_md_strong(scepkit_md md, mbedtls_md_type_t *out);

/* Type and size of a parsed key: RSA (any size), EC P-256/P-384. Others: SCEPKIT_ERR_KEY_TYPE. */
scepkit_err skit_mbed_pk_classify(const mbedtls_pk_context *pk, scepkit_key_type *type, size_t *bits);

/* Parses a DER SubjectPublicKeyInfo that fills `spki` exactly. SCEPKIT_ERR_KEY_PARSE on failure. */
scepkit_err skit_mbed_parse_spki(mbedtls_pk_context *pk, scepkit_bytes spki, int *backend_err);

/*
 * Decrypts a DER EncryptedPrivateKeyInfo protected with PBES2/PBKDF2/AES-CBC (what mbedTLS 2.28
 * cannot). On success *plain is a PrivateKeyInfo on the mbedTLS heap: the caller wipes and frees it.
 * SCEPKIT_ERR_KEY_PARSE for anything else, wrong password included.
 */
scepkit_err skit_mbed_pkcs8_pbes2_decrypt(const uint8_t *der, size_t der_len, scepkit_bytes password, uint8_t **plain,
                                          size_t *plain_len);

/* RSA moduli accepted for public-key operations with peers (verify, encrypt). */
#define SKIT_RSA_PUBLIC_MIN_BITS 1024

/* RSA moduli accepted for our own keys (softkey). */
#define SKIT_RSA_PRIVATE_MIN_BITS 2048

#endif
