/* Helpers shared by the server files of src/server/ (not public). */
#ifndef SCEPKIT_SERVER_INTERNAL_H
#define SCEPKIT_SERVER_INTERNAL_H

#include <pthread.h>

#include "scepkit/ca.h"
#include "scepkit/key.h"
#include "scepkit/policy.h"
#include "scepkit/server.h"
#include "scepkit/store.h"

/* A key port that forwards to `inner` while holding `mu` (NULL mu: no locking). Build one on the stack per
 * call; its lifetime is the call's. */
typedef struct skit_locked_key {
    scepkit_key inner;
    pthread_mutex_t *mu;
} skit_locked_key;
scepkit_key skit_locked_key_port(skit_locked_key *lk, scepkit_key inner, pthread_mutex_t *mu);
/* The mutex the software CA behind `ca` serialises `key` with, when `ca` is a scepkit_softca whose (not
 * thread-safe) key port is that very key: the handler must take the same lock (CA mode shares the CA key
 * between the handler, which decrypts and signs replies, and the CA, which signs certificates). NULL otherwise. */
pthread_mutex_t *skit_softca_key_mutex(scepkit_ca ca, scepkit_key key);

/* Store calls with NULL-op checks. */
scepkit_err skit_store_missing(void);

/* SHA-256 of a SubjectPublicKeyInfo: the key hash that binds a transaction. */
scepkit_err skit_key_hash(scepkit_bytes spki, uint8_t out[SCEPKIT_KEY_HASH_LEN]);

/* Strips leading zero bytes of an INTEGER's contents (or a magnitude) into a magnitude view. */
scepkit_bytes skit_serial_magnitude(scepkit_bytes serial);

/* Names equal attribute by attribute (OIDs, values, RDN grouping), ignoring the string types. 1 if equal. */
int skit_name_equal_loose(scepkit_bytes a, scepkit_bytes b);

/* 1 when every GeneralName element in `sub` (GeneralNames DER, may be empty) also occurs in `super`
 * (byte-equal elements). Malformed input: 0. */
int skit_general_names_subset(scepkit_bytes sub, scepkit_bytes super);

/* Copies text into a fixed char array, truncating, always NUL-terminated. */
void skit_copy_text(char *dst, size_t cap, const char *src, size_t len);

#endif
