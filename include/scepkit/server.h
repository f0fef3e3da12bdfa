/**
 * @file server.h
 * @brief The SCEP server engine: an HTTP-agnostic request handler (what NDES does, as a library).
 *
 * One entry point, scepkit_server_handle(): (operation, message) in, (HTTP status, content type,
 * body) out, into caller buffers. Any HTTP stack hosts it: pass the `operation` query parameter and
 * either the POST body or the raw (still %-escaped) `message` query parameter of a GET.
 *
 * Operations (RFC 8894 §4):
 * - GetCACaps: the configured capability list, exact RFC keyword case, one per line, text/plain.
 * - GetCACert: CA mode, one DER certificate, `application/x-x509-ca-cert`; RA mode, a certs-only
 *   SignedData holding the RA signing certificate, the RA encryption certificate (when different), the
 *   CA certificate and any chain, `application/x-x509-ca-ra-cert` (what NDES and Apple expect).
 *   The `message` parameter (a CA name) is ignored: certmonger's walk over message=0,1,... ends at
 *   the first duplicate.
 * - GetNextCACert: the next CA (and RA) certificates in a certs-only SignedData signed by the current
 *   signing key, `application/x-x509-next-ca-cert`; HTTP 404 when none is configured.
 * - PKIOperation: PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL, answered with a CertRep
 *   (`application/x-pki-message`): SUCCESS, FAILURE with failInfo and failInfoText, or PENDING.
 *
 * Request handling (PKCSReq/RenewalReq): the pkiMessage is verified and decrypted; a signingTime
 * outside the configured skew gives FAILURE badTime; the CSR's self-signature is checked
 * (badMessageCheck); a transactionID already known is answered from the store: the same key gets the
 * same result (the same certificate, PENDING, or the same FAILURE) and never a second certificate,
 * another key gets FAILURE badRequest. Then a renewal signed by a valid certificate of this CA for
 * the same subject may skip the challenge (`renewal_skips_challenge`), else the policy decides; with
 * `manual_approval` an accepted request waits (PENDING) for scepkit_server_approve(). The CA port
 * issues, and the outcome is stored under the transactionID before the answer leaves.
 * A challenge that fails writes nothing to the store.
 *
 * Replies: encrypted to the requester's signer certificate with the cipher the request used
 * (single DES is never sent: a single-DES request is refused with badAlg unless `allow_legacy`, and
 * then answered with DES-EDE3), the digest the request used (MD5 becomes SHA-1), and by default the
 * plain rsaEncryption signatureAlgorithm for RSA signers (RFC 3370 §3.2's identifier; strongSwan 5.9
 * accepts nothing else although it signs its own requests with sha256WithRSAEncryption, so mirroring
 * the request would lock it out; `reply_sig_style` can mirror or force the named form). Signed with the
 * RA signing key (RA mode) or the CA key (CA mode) through the key port.
 *
 * HTTP statuses: 200 with a CertRep for every request that could be authenticated far enough to
 * answer (including FAILURE); 400 text/plain for an unknown operation or a message too broken to
 * answer; 404 GetNextCACert not configured; 413 body over `max_message_size`; 500 when a back end
 * (store, CA, policy, key) failed: nothing was issued, the client may retry.
 *
 * Threads: one ::scepkit_server serves any number of threads at once. It holds no mutable state
 * after init; each call brings its own scratch arena and output buffer. The ports it calls (store, CA,
 * policy, rng) must be thread-safe; its own key ports are called under an internal mutex unless
 * `keys_thread_safe` is set. scepkit_locked_rng makes the default DRBG shareable.
 *
 * Not supported: GetCAChain, the draft "Update" request, multiple CAs per handler (run one handler
 * per CA), key archival, EST.
 *
 * Security considerations: the handler trusts nothing in a request until the CMS signature, the
 * CSR self-signature and the policy have passed; renewal signers are checked against the CA key,
 * their validity and the store's revocations. Answers to unauthenticated input are at most a signed
 * FAILURE. Size limits: `max_message_size` bounds the body; the arena bounds everything else.
 */
#ifndef SCEPKIT_SERVER_H
#define SCEPKIT_SERVER_H

#include <pthread.h>

#include "scepkit/ca.h"
#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/key.h"
#include "scepkit/policy.h"
#include "scepkit/scep.h"
#include "scepkit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* A thread-safe RNG */

/** The default DRBG behind a mutex, so one generator can serve every thread (softkeys, the handler, the CA). */
typedef struct scepkit_locked_rng {
    scepkit_drbg drbg;
    pthread_mutex_t mu;
    int initialised;
} scepkit_locked_rng;

/** Seeds it (see scepkit_drbg_init()). Do not copy or move it afterwards. @return SCEPKIT_OK, SCEPKIT_ERR_RNG. */
SCEPKIT_API scepkit_err scepkit_locked_rng_init(scepkit_locked_rng *r, scepkit_bytes pers);
/** Its rng port. */
SCEPKIT_API scepkit_rng scepkit_locked_rng_port(scepkit_locked_rng *r);
/** Wipes it. Safe twice and after a failed init. */
SCEPKIT_API void scepkit_locked_rng_free(scepkit_locked_rng *r);

/* ---------------------------------------------------------------------------------------------- */
/* Notifications */

/** What happened. */
typedef enum scepkit_event_type {
    SCEPKIT_EVENT_ISSUED = 1,   /**< a certificate was issued (enrollment, renewal or approval) */
    SCEPKIT_EVENT_PENDING = 2,  /**< a request waits for approval or the CA */
    SCEPKIT_EVENT_REJECTED = 3, /**< the policy, the CA or an administrator refused a request */
    SCEPKIT_EVENT_FAILURE = 4,  /**< a request failed a protocol check (signature, time, format, replay) */
} scepkit_event_type;

/** An event (views valid during the call only). */
typedef struct scepkit_server_event {
    scepkit_event_type type;
    scepkit_msg_type msg_type;
    scepkit_bytes transaction_id;
    scepkit_bytes subject;       /**< requested subject Name DER, when known */
    scepkit_bytes cert;          /**< ISSUED: the certificate */
    scepkit_fail_info fail_info; /**< REJECTED, FAILURE */
    const char *reason;          /**< REJECTED, FAILURE: text (never NULL) */
    scepkit_err error;           /**< FAILURE: the local error behind it */
} scepkit_server_event;

/** Notification hook (audit, MDM callbacks). Called synchronously from the handling thread, so it must be
 *  thread-safe and quick. Its result never changes the answer (a certificate issued stays issued). */
typedef struct scepkit_server_notify {
    scepkit_err (*fn)(void *ctx, const scepkit_server_event *ev);
    void *ctx;
} scepkit_server_notify;

/* ---------------------------------------------------------------------------------------------- */
/* Configuration */

/** signatureAlgorithm of the CertRep SignerInfo for RSA signing keys (EC keys always use ecdsa-with-SHAn). */
typedef enum scepkit_reply_sig_style {
    SCEPKIT_REPLY_SIG_PLAIN = 0,  /**< rsaEncryption (default: every peer seen accepts it, strongSwan only it) */
    SCEPKIT_REPLY_SIG_MIRROR = 1, /**< whatever the request used */
    SCEPKIT_REPLY_SIG_NAMED = 2,  /**< shaNWithRSAEncryption */
} scepkit_reply_sig_style;

/** Handler configuration. Zero-initialise, then set what applies; everything pointed to must outlive the handler. */
typedef struct scepkit_server_config {
    /* Identity. CA mode: `ca_key` decrypts requests and signs CertReps. RA mode (both RA certs set): the RA
     * encryption key decrypts, the RA signing key signs (they may be the same certificate and key). */
    scepkit_bytes ca_cert;      /**< CA certificate DER (required) */
    scepkit_key ca_key;         /**< CA mode: its key port (decrypt, sign_digest) */
    scepkit_bytes ra_sign_cert; /**< RA mode: signing certificate */
    scepkit_key ra_sign_key;
    scepkit_bytes ra_enc_cert; /**< RA mode: encryption certificate (RSA) */
    scepkit_key ra_enc_key;
    const scepkit_bytes *chain; /**< intermediate certificates sent with GetCACert in RA mode */
    size_t chain_count;
    const scepkit_bytes *next_ca_certs; /**< GetNextCACert: the next CA certificate and any next RA certificates */
    size_t next_ca_cert_count;
    int keys_thread_safe; /**< the key ports above may be called concurrently (else serialised) */

    /* Back ends. */
    scepkit_ca ca;                   /**< issues (e.g. scepkit_softca_port()) */
    scepkit_store store;             /**< transactions and renewal revocation checks */
    scepkit_policy policy;           /**< challenge policy; NULL ops: every request is REJECTED */
    scepkit_rng rng;                 /**< thread-safe (scepkit_locked_rng_port()) */
    scepkit_clock clock;             /**< NULL ops: system time */
    const scepkit_profile *profiles; /**< at least one */
    size_t profile_count;
    scepkit_server_notify notify; /**< optional */

    /* Behaviour. */
    const char *const *caps; /**< GetCACaps keywords, exact RFC case; NULL: the default list */
    size_t cap_count;
    int include_ca_cert_in_certrep; /**< add the CA certificate (and chain) after the issued one (Cisco wants it,
                                         Juniper refuses it) */
    int allow_legacy;               /**< accept single-DES and MD5 requests (answered with DES-EDE3 / SHA-1) */
    scepkit_reply_sig_style reply_sig_style; /**< CertRep signatureAlgorithm style for RSA signers */
    int64_t max_clock_skew;                  /**< |signingTime - now| allowed, seconds; 0 means 1 hour; < 0 disables */
    size_t max_message_size;                 /**< largest decoded pkiMessage, bytes; 0 means 64 KiB */
    size_t max_payload_size;     /**< largest answer payload: the issued certificate plus the CA certificate and
                                      chain when they are included, or a CRL; 0 means 64 KiB */
    int renewal_skips_challenge; /**< a request signed by a valid certificate of this CA for the same
                                      subject (and same or fewer SANs) skips the policy; it is issued
                                      under the old certificate's profile (scepkit_store_cert.profile) */
    int manual_approval;         /**< accepted requests wait for scepkit_server_approve() */
    int64_t in_progress_timeout; /**< a transaction left "in progress" (crash) is retried after this,
                                      seconds; 0 means 300 */
} scepkit_server_config;

/** The handler: caller-owned, do not copy or move once initialised. */
typedef struct scepkit_server {
    scepkit_server_config cfg;
    scepkit_x509 ca;         /**< parsed CA certificate */
    scepkit_bytes sign_cert; /**< RA signing or CA certificate */
    scepkit_key sign_key;
    scepkit_bytes enc_cert; /**< RA encryption or CA certificate */
    scepkit_key enc_key;
    int ra_mode;
    int sign_is_rsa; /**< the signing certificate holds an RSA key */
    pthread_mutex_t key_mu;
    int initialised;
} scepkit_server;

/** Default GetCACaps keywords. */
#define SCEPKIT_SERVER_DEFAULT_CAPS "AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard"

/**
 * Checks and takes a configuration (copied; what it points to is not).
 * @return SCEPKIT_OK, SCEPKIT_ERR_SERVER_CONFIG (missing CA certificate, key, store, CA port or profile; a
 *         capability keyword not in RFC 8894's exact spelling; GetNextCACert listed without next certificates;
 *         duplicate or over-long profile names), X.509 errors, SCEPKIT_ERR_ARG.
 *         scepkit_server_free() is safe after any result.
 */
SCEPKIT_API scepkit_err scepkit_server_init(scepkit_server *srv, const scepkit_server_config *cfg);

/** Releases the handler. Safe twice and after a failed init. */
SCEPKIT_API void scepkit_server_free(scepkit_server *srv);

/** Scratch a call to scepkit_server_handle() may need, for the configured limits. */
#define SCEPKIT_SERVER_SCRATCH(max_message, max_payload)                                                               \
    (8 * (size_t)(max_message) + 6 * (size_t)(max_payload) + 65536 + SCEPKIT_SCEP_REPLY_SCRATCH((size_t)(max_payload)))
/** Output buffer a call may need. */
#define SCEPKIT_SERVER_RESPONSE_MAX(max_payload) (2 * (size_t)(max_payload) + 16384)

/** The two sizes above for this handler's configuration. */
SCEPKIT_API scepkit_err scepkit_server_buffer_sizes(const scepkit_server *srv, size_t *scratch, size_t *response);

/** How `message` is given. */
typedef enum scepkit_message_form {
    SCEPKIT_MESSAGE_BODY = 0,  /**< raw bytes (POST body) */
    SCEPKIT_MESSAGE_QUERY = 1, /**< the `message` query value as received: %-escapes, standard or URL-safe base64,
                                    padding optional, whitespace and line breaks ignored, '+' turned into ' ' by a
                                    form decoder restored (tolerant, as NDES) */
} scepkit_message_form;

/** The answer. `body` is `out[0..body_len)`. */
typedef struct scepkit_server_response {
    int http_status;          /**< 200, 400, 404, 413, 500 */
    const char *content_type; /**< static string */
    size_t body_len;
    /* for logs and tests */
    int is_certrep;
    scepkit_msg_type msg_type;   /**< request type, when it could be read */
    scepkit_pki_status status;   /**< CertRep status */
    scepkit_fail_info fail_info; /**< FAILURE */
    scepkit_err error;           /**< local error behind a FAILURE or 4xx/5xx, SCEPKIT_OK otherwise */
    char transaction_id[SCEPKIT_TRANSACTION_ID_MAX + 1];
} scepkit_server_response;

/**
 * Handles one request. `operation` is the `operation` query value (case-sensitive, as RFC 8894 names it).
 * The return value is about the call itself: SCEPKIT_OK means `resp` describes an answer to send, whatever its
 * HTTP status. The store is written only when a request reaches a CA decision (issued, pending, rejected).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`out` too small: `resp->body_len` = size needed; a retry with
 *         a larger buffer gets the same result, issuance is idempotent per transactionID),
 *         SCEPKIT_ERR_ARENA_EXHAUSTED (see SCEPKIT_SERVER_SCRATCH), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_server_handle(const scepkit_server *srv, scepkit_bytes operation, scepkit_bytes message,
                                              scepkit_message_form form, scepkit_arena *scratch, uint8_t *out,
                                              size_t cap, scepkit_server_response *resp);

/* ---------------------------------------------------------------------------------------------- */
/* Administration */

/**
 * Approves a PENDING transaction: the CA issues now; the client gets the certificate at its next CertPoll.
 * `scratch` as for scepkit_server_handle().
 * @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_TX_STATE (not pending), store and CA errors.
 */
SCEPKIT_API scepkit_err scepkit_server_approve(const scepkit_server *srv, scepkit_bytes transaction_id,
                                               scepkit_arena *scratch);

/** Rejects a PENDING transaction with `fail_info` and `text` (may be empty).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_TX_STATE, store errors. */
SCEPKIT_API scepkit_err scepkit_server_reject(const scepkit_server *srv, scepkit_bytes transaction_id,
                                              scepkit_fail_info fail_info, scepkit_bytes text, scepkit_arena *scratch);

/** Revokes an issued certificate through the CA port. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, CA errors. */
SCEPKIT_API scepkit_err scepkit_server_revoke(const scepkit_server *srv, scepkit_bytes serial, int reason);

#ifdef __cplusplus
}
#endif
#endif
