/**
 * @file store.h
 * @brief The SCEP server's store port, the clock port, and the embedded file store.
 *
 * The store keeps what a SCEP server must remember between requests and across restarts:
 * - the index of issued certificates (by serial), with revocations;
 * - serial numbers ever handed out (a serial is claimed once and never again, even by another
 *   process sharing the store, even after a crash);
 * - transactions by transactionID: the requester's key hash and the outcome (in progress,
 *   pending with the CSR kept for a later approval, issued with the certificate, rejected), so a
 *   retried request gets the same answer and never a second certificate; every issued certificate
 *   also names its transactionID, so a retry after a crash between "indexed" and "transaction
 *   ISSUED" finds the certificate instead of issuing another (cert_find_tx);
 * - one-time passwords (salted hashes only) and the CRL number.
 *
 * The port (::scepkit_store_ops) is semantic, one call per decision, so a shared database can
 * implement each op as one transaction and back several server processes. Records handed out
 * are views into a caller buffer.
 *
 * The embedded default, ::scepkit_file_store, is a directory of small CBOR records (format in
 * docs/server.md): every write goes to a temporary file that is fsync()ed, then rename()d (or
 * link()ed for create-if-absent) into place, and the directory is fsync()ed, so a crash at any
 * point leaves either the old or the new record, never a torn one. Serial claims use
 * `open(O_CREAT|O_EXCL)`; read-modify-write steps (transaction state changes, revocations, the CRL
 * number, one-time passwords) hold an exclusive flock() on `DIR/lock` plus an in-process mutex,
 * so several threads and several processes can share one directory.
 *
 * Supported: POSIX file systems with atomic rename()/link() and working flock() (local ext4, xfs,
 * tmpfs). Not supported: NFS without lockd, Windows.
 *
 * Security considerations: the store directory holds certificates, CSRs, requester key hashes and
 * one-time-password hashes (never the passwords): create it mode 0700, owned by the server user.
 * Record files are created 0600. Decoding is strict (definite-length CBOR maps only, known field
 * types, size-limited), so a corrupted or planted record is refused with SCEPKIT_ERR_STORE_CORRUPT.
 */
#ifndef SCEPKIT_STORE_H
#define SCEPKIT_STORE_H

#include <pthread.h>

#include "scepkit/common.h"
#include "scepkit/scep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Clock port */

/** Clock operations. A NULL op (or a NULL ops table) means the system clock, time(NULL). */
typedef struct scepkit_clock_ops {
    /** Seconds since 1970 UTC. */
    scepkit_err (*now)(void *self, int64_t *out);
} scepkit_clock_ops;

/** A clock: tests plug a fixed or stepping clock here. */
typedef struct scepkit_clock {
    const scepkit_clock_ops *ops;
    void *self;
} scepkit_clock;

/** Reads `clock` (system time when `clock.ops` or its `now` is NULL). @return SCEPKIT_OK, the port's errors. */
SCEPKIT_API scepkit_err scepkit_clock_now(scepkit_clock clock, int64_t *out);

/* ---------------------------------------------------------------------------------------------- */
/* Records */

/** Longest serial number (RFC 5280 §4.1.2.2: at most 20 octets). */
#define SCEPKIT_SERIAL_MAX 20
/** Longest profile name. */
#define SCEPKIT_PROFILE_NAME_MAX 32
/** Length of a challenge token's identifier (scepkit_token_claims.id). */
#define SCEPKIT_TOKEN_ID_LEN 16
/** Length of a key hash (SHA-256 of the DER SubjectPublicKeyInfo). */
#define SCEPKIT_KEY_HASH_LEN 32

/** One issued certificate. */
typedef struct scepkit_store_cert {
    uint8_t serial[SCEPKIT_SERIAL_MAX]; /**< big-endian magnitude, as issued */
    size_t serial_len;
    scepkit_bytes cert; /**< certificate DER (a view: into the caller's buffer when read) */
    int64_t issued_at;
    int64_t not_after;
    int revoked; /**< 1 when revoked */
    int64_t revoked_at;
    int reason;                                          /**< CRLReason (RFC 5280 §5.3.1), -1 for none */
    char transaction_id[SCEPKIT_TRANSACTION_ID_MAX + 1]; /**< the SCEP transaction it was issued for; empty when
                                                              unknown (records written before it was kept) */
    char profile[SCEPKIT_PROFILE_NAME_MAX + 1];          /**< the profile it was issued under; empty when unknown.
                                                              A renewal that skips the challenge keeps it. */
} scepkit_store_cert;

/** A revoked serial (what a CRL lists). */
typedef struct scepkit_store_revoked {
    uint8_t serial[SCEPKIT_SERIAL_MAX];
    size_t serial_len;
    int64_t revoked_at;
    int reason; /**< CRLReason, -1 for none */
} scepkit_store_revoked;

/** State of a transaction. Values are stable (they are stored). */
typedef enum scepkit_tx_state {
    SCEPKIT_TX_NONE = 0,
    SCEPKIT_TX_IN_PROGRESS = 1, /**< claimed by a request being processed now */
    SCEPKIT_TX_PENDING = 2,     /**< waiting for an approval (manual) or for the CA */
    SCEPKIT_TX_ISSUED = 3,      /**< certificate issued: `cert` holds it */
    SCEPKIT_TX_REJECTED = 4,    /**< refused: `fail_info` and `fail_text` say why */
} scepkit_tx_state;

/** A transaction record. Views point into the caller's buffer when read. */
typedef struct scepkit_store_tx {
    char transaction_id[SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t key_hash[SCEPKIT_KEY_HASH_LEN];    /**< SHA-256 of the SPKI being certified: binds the transaction to it */
    uint8_t signer_hash[SCEPKIT_KEY_HASH_LEN]; /**< SHA-256 of the request signer's SPKI (differs for renewals):
                                                    a CertPoll signed with either key is accepted */
    scepkit_tx_state state;
    int ca_pending;            /**< PENDING because the CA queued it (else: waiting for an administrator) */
    scepkit_msg_type msg_type; /**< PKCSREQ or RENEWALREQ */
    int64_t created;
    int64_t updated;
    char profile[SCEPKIT_PROFILE_NAME_MAX + 1]; /**< the profile chosen at enrollment */
    int64_t not_after;                          /**< validity end asked for (0: the profile's) */
    scepkit_bytes csr;                          /**< PENDING: the CSR DER, to issue on approval; ISSUED to an EC
                                                     requester: kept, its challengePassword keys CertPoll replies */
    scepkit_bytes signer_cert;                 /**< PENDING: the certificate that signed the request (renewal checks) */
    scepkit_bytes cert;                        /**< ISSUED: the certificate DER */
    scepkit_fail_info fail_info;               /**< REJECTED */
    char fail_text[SCEPKIT_FAIL_TEXT_MAX + 1]; /**< REJECTED, may be empty */
} scepkit_store_tx;

/** A one-time password record: only a salted hash of the secret is kept. */
typedef struct scepkit_store_otp {
    uint8_t id[8]; /**< public identifier (the first part of the password text) */
    uint8_t salt[16];
    uint8_t hash[32]; /**< SHA-256(salt || secret) */
    int64_t created;
    int64_t expires;
    char profile[SCEPKIT_PROFILE_NAME_MAX + 1]; /**< profile the password is limited to, empty for any */
} scepkit_store_otp;

/** Callbacks of the iterating ops; a non-OK return stops the iteration and is returned. */
typedef scepkit_err (*scepkit_store_cert_fn)(void *ctx, const scepkit_store_cert *rec);
typedef scepkit_err (*scepkit_store_revoked_fn)(void *ctx, const scepkit_store_revoked *rec);
typedef scepkit_err (*scepkit_store_tx_fn)(void *ctx, const scepkit_store_tx *rec);

/**
 * Store operations. `self` first; every op returns ::scepkit_err; a NULL op means "not supported"
 * (SCEPKIT_ERR_UNSUPPORTED). Every op must be safe to call from several threads at once, and a
 * write must be durable when the op returns SCEPKIT_OK.
 */
typedef struct scepkit_store_ops {
    /** Claims a serial forever. SCEPKIT_ERR_STORE_EXISTS if it was ever claimed before (by anyone). */
    scepkit_err (*serial_claim)(void *self, scepkit_bytes serial);
    /** Indexes an issued certificate (its serial must have been claimed). */
    scepkit_err (*cert_put)(void *self, const scepkit_store_cert *rec);
    /** Reads the certificate with `serial`; `out->cert` views `buf`. SCEPKIT_ERR_NOT_FOUND,
     * SCEPKIT_ERR_BUFFER_TOO_SMALL. */
    scepkit_err (*cert_get)(void *self, scepkit_bytes serial, uint8_t *buf, size_t cap, scepkit_store_cert *out);
    /** The certificate indexed last for `transaction_id` among those with `issued_at >= since`; `out->cert` views
     *  `buf`. The handler asks this before it takes over a transaction a crashed process left IN_PROGRESS, so
     *  the certificate that process had already issued is delivered instead of a second one. NULL: such a
     *  crash can issue twice. SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_BUFFER_TOO_SMALL. */
    scepkit_err (*cert_find_tx)(void *self, scepkit_bytes transaction_id, int64_t since, uint8_t *buf, size_t cap,
                                scepkit_store_cert *out);
    /** Calls `fn` for every issued certificate (order unspecified). */
    scepkit_err (*cert_each)(void *self, scepkit_store_cert_fn fn, void *ctx);
    /** Marks a certificate revoked. SCEPKIT_ERR_NOT_FOUND if never issued; revoking twice keeps the first date. */
    scepkit_err (*revoke)(void *self, scepkit_bytes serial, int reason, int64_t at);
    /** Calls `fn` for every revoked serial. */
    scepkit_err (*revoked_each)(void *self, scepkit_store_revoked_fn fn, void *ctx);
    /** Returns the next CRL number (1, 2, ...), never the same twice. */
    scepkit_err (*crl_number_next)(void *self, uint64_t *out);
    /** Creates a transaction record. SCEPKIT_ERR_STORE_EXISTS if one with that transactionID exists. */
    scepkit_err (*tx_create)(void *self, const scepkit_store_tx *tx);
    /** Replaces a transaction record if its stored state is `expect` (compare-and-set);
     *  SCEPKIT_ERR_STORE_CONFLICT otherwise, SCEPKIT_ERR_NOT_FOUND if absent. */
    scepkit_err (*tx_update)(void *self, const scepkit_store_tx *tx, scepkit_tx_state expect);
    /** Reads a transaction; views point into `buf`. SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_BUFFER_TOO_SMALL. */
    scepkit_err (*tx_get)(void *self, scepkit_bytes transaction_id, uint8_t *buf, size_t cap, scepkit_store_tx *out);
    /** Removes a transaction whose stored state is `expect` (an enrollment that failed before any outcome). */
    scepkit_err (*tx_remove)(void *self, scepkit_bytes transaction_id, scepkit_tx_state expect);
    /** Calls `fn` for every transaction (admin listings of pending requests). */
    scepkit_err (*tx_each)(void *self, scepkit_store_tx_fn fn, void *ctx);
    /** Adds a one-time password unless `max_outstanding` unexpired ones exist (SCEPKIT_ERR_STORE_FULL);
     *  expired ones (at `now`) are purged first. */
    scepkit_err (*otp_put)(void *self, const scepkit_store_otp *otp, unsigned max_outstanding, int64_t now);
    /** Reads a one-time password record by id. SCEPKIT_ERR_NOT_FOUND. */
    scepkit_err (*otp_get)(void *self, const uint8_t id[8], scepkit_store_otp *out);
    /** Atomically removes the record `id` if its hash equals `hash` (constant-time): single use.
     *  SCEPKIT_ERR_NOT_FOUND when absent or already used, SCEPKIT_ERR_STORE_CONFLICT when the hash differs. */
    scepkit_err (*otp_consume)(void *self, const uint8_t id[8], const uint8_t hash[32]);
    /** Records that the single-use token `id` enrolls the key `key_hash`, until `expires`. SCEPKIT_OK the first
     *  time and again for the same key (a retry, even under a new transactionID); SCEPKIT_ERR_TOKEN_USED when the
     *  token already enrolled another key. Records expired at `now` may be purged. */
    scepkit_err (*token_use)(void *self, const uint8_t id[SCEPKIT_TOKEN_ID_LEN], const uint8_t key_hash[32],
                             int64_t expires, int64_t now);
} scepkit_store_ops;

/** A store: ops plus the implementation's context. */
typedef struct scepkit_store {
    const scepkit_store_ops *ops;
    void *self;
} scepkit_store;

/* ---------------------------------------------------------------------------------------------- */
/* The embedded file store */

/** Largest record the file store reads or writes (a transaction with its CSR and certificate). */
#define SCEPKIT_FILE_STORE_RECORD_MAX (256u * 1024u)

/** A file store: caller-owned; do not copy or move once opened. */
typedef struct scepkit_file_store {
    char dir[512];           /**< the directory, as given */
    int lock_fd;             /**< DIR/lock, flock()ed around read-modify-write steps */
    pthread_mutex_t mu;      /**< serialises this process's threads around the flock */
    int64_t token_purged_at; /**< when expired token records were last purged (under `mu`) */
    int initialised;
} scepkit_file_store;

/**
 * Opens (creating the sub-directories if needed, mode 0700) the store in `dir` (an existing
 * directory, path shorter than 400 bytes).
 * @return SCEPKIT_OK, SCEPKIT_ERR_IO, SCEPKIT_ERR_ARG. scepkit_file_store_close() is safe after any result.
 */
SCEPKIT_API scepkit_err scepkit_file_store_open(scepkit_file_store *fs, const char *dir);

/** The store port of an opened file store. */
SCEPKIT_API scepkit_store scepkit_file_store_port(scepkit_file_store *fs);

/** Closes the store (releases the lock file). Safe twice and after a failed open. */
SCEPKIT_API void scepkit_file_store_close(scepkit_file_store *fs);

#ifdef __cplusplus
}
#endif
#endif
