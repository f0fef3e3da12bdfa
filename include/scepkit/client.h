/**
 * @file client.h
 * @brief SCEP client (RFC 8894): capabilities, CA certificates, and the resumable enrollment engine.
 *
 * Three layers, each usable alone:
 * - GetCACaps: scepkit_caps_parse() and scepkit_caps_choose() (strongest common algorithms, never
 *   below the caller's minimum).
 * - GetCACert / GetNextCACert: scepkit_cacert_parse() (single certificate or certs-only chain, RA
 *   selection as Windows NDES deployments need), scepkit_cacert_verify(), scepkit_cacert_check_pin(),
 *   scepkit_nextca_open().
 * - The engine, ::scepkit_client: a step-wise state machine for getcaps, getca, enroll (PKCSReq),
 *   renew (RenewalReq, or a PKCSReq signed by the current certificate for servers without
 *   `Renewal`), polling (CertPoll), GetCert, GetCRL and GetNextCACert. It never sleeps, never
 *   blocks and never performs I/O: each step either asks for one HTTP exchange
 *   (::SCEPKIT_CLIENT_SEND), reports PENDING (poll later: when is the caller's business), or is done.
 *   Its state saves to a small versioned CBOR blob (scepkit_client_save()) and resumes from it
 *   (scepkit_client_restore()), so a device can power-cycle while its request is pending and go on
 *   polling with the same transactionID. The blob format is in docs/client.md.
 *
 * Supported: RSA signer keys (the key port must decrypt: SCEP replies are encrypted to the
 * requester's certificate, RFC 8894 §3.3.2); EC (ECDSA P-256/P-384) signer keys against servers that answer
 * them with a PasswordRecipientInfo keyed by the challenge password (RFC 8894 §3.1; scepkit-server does, other
 * servers answer badAlg): set `challenge`; content ciphers AES-128/192/256-CBC and DES-EDE3-CBC
 * for requests; replies in any of those, and single DES / MD5 only with `allow_legacy` (micromdm
 * answers with single DES whatever the request used); SHA-1/256/384/512 digests; GET and POST.
 *
 * Not supported: sending single DES or MD5 (refused even in legacy mode: only accepting them is
 * allowed); EC keys without a challenge password (renewal, GetCert, GetCRL: an EC key cannot receive
 * key transport); GetCACert
 * answers with more than ::SCEPKIT_CA_MAX_CERTS certificates; path validation beyond the CA/RA
 * chain of the GetCACert answer (the pinned CA is the trust anchor).
 *
 * Security considerations:
 * - Trust in the CA comes from a SHA-256 fingerprint pin (compared in constant time) or from the
 *   caller's explicit `allow_unpinned` (trust on first use). Without either, enrollment stops with
 *   SCEPKIT_ERR_CA_UNPINNED before anything is sent.
 * - A CertRep is accepted only when signed by the selected RA signing certificate or the CA, with our
 *   transactionID and our senderNonce echoed (both compared in constant time), and an issued
 *   certificate only when its public key is the one requested.
 * - Algorithm choice fails closed: when the server's capabilities offer nothing at or above the
 *   caller's minimum, the result is SCEPKIT_ERR_CAPS_CIPHER / SCEPKIT_ERR_CAPS_DIGEST, not a silent
 *   downgrade. Single DES and MD5 are never sent.
 * - The state blob carries no secret (no key, no challenge; the CSR is not stored) but it is not
 *   authenticated: its checksum detects corruption, not tampering. Security settings (legacy mode,
 *   minimum algorithms, pins) always come from the caller's configuration at restore, never from the
 *   blob, and algorithms read from a blob are checked against them again.
 */
#ifndef SCEPKIT_CLIENT_H
#define SCEPKIT_CLIENT_H

#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/key.h"
#include "scepkit/scep.h"
#include "scepkit/transport.h"
#include "scepkit/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* GetCACaps (RFC 8894 §3.5.2) */

/** Capability bits. */
#define SCEPKIT_CAP_AES (1u << 0)              /**< "AES": AES-128-CBC */
#define SCEPKIT_CAP_DES3 (1u << 1)             /**< "DES3": DES-EDE3-CBC */
#define SCEPKIT_CAP_GET_NEXT_CA_CERT (1u << 2) /**< "GetNextCACert" */
#define SCEPKIT_CAP_POST (1u << 3)             /**< "POSTPKIOperation" */
#define SCEPKIT_CAP_RENEWAL (1u << 4)          /**< "Renewal": RenewalReq */
#define SCEPKIT_CAP_SHA1 (1u << 5)             /**< "SHA-1" */
#define SCEPKIT_CAP_SHA256 (1u << 6)           /**< "SHA-256" */
#define SCEPKIT_CAP_SHA512 (1u << 7)           /**< "SHA-512" */
#define SCEPKIT_CAP_SCEP_STANDARD (1u << 8)    /**< "SCEPStandard": implies AES, SHA-256 and POSTPKIOperation */
#define SCEPKIT_CAP_UPDATE (1u << 9)           /**< "Update" (pre-RFC drafts) */
#define SCEPKIT_CAP_SHA384 (1u << 10)          /**< "SHA-384" (not in RFC 8894, listed by some servers) */

/**
 * Reads a GetCACaps answer: keywords separated by LF, CRLF (or any whitespace), compared without
 * regard to case; unknown keywords are ignored; "SCEPStandard" also sets AES, SHA-256 and POST.
 * An empty text gives 0 (no capabilities): that is also what a caller should use when the server
 * answers GetCACaps with an HTTP error or closes the connection (very old NDES does).
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_caps_parse(scepkit_bytes text, uint32_t *caps);

/** What the caller allows. Zero-initialise: the defaults are the secure ones. */
typedef struct scepkit_alg_policy {
    scepkit_cipher min_cipher; /**< weakest content cipher acceptable; NONE = AES-128-CBC (DES-EDE3-CBC to talk to
                                    NDES or servers without caps); single DES is never sent */
    scepkit_md min_md;         /**< weakest digest acceptable; NONE = SHA-256 (SHA-1 for old servers); MD5 never sent */
    scepkit_cipher cipher;     /**< force this cipher whatever the caps say (NDES advertises AES but wants DES3);
                                    NONE = choose. Still checked against min_cipher. */
    scepkit_md md;             /**< force this digest; NONE = choose. Still checked against min_md. */
    int force_get;             /**< send PKIOperation with GET even when POST is advertised */
} scepkit_alg_policy;

/** The algorithms and methods chosen for a server. */
typedef struct scepkit_algs {
    scepkit_cipher cipher;          /**< content cipher of requests */
    scepkit_md md;                  /**< digest of request signatures */
    scepkit_http_method pki_method; /**< GET or POST for PKIOperation */
    int renewal;                    /**< the server advertises Renewal */
    int next_ca;                    /**< the server advertises GetNextCACert */
} scepkit_algs;

/**
 * Chooses the strongest algorithms common to `caps` and the policy: AES-128-CBC when "AES" is
 * listed, else DES-EDE3-CBC (listed, or assumed when no cipher is listed: RFC 8894 leaves a server
 * without caps at DES, which scepkit never sends); SHA-512, SHA-384, SHA-256, SHA-1 in that order
 * (SHA-1 assumed when no digest is listed); POST when "POSTPKIOperation" is listed.
 * @param policy  may be NULL (defaults)
 * @return SCEPKIT_OK, SCEPKIT_ERR_CAPS_CIPHER, SCEPKIT_ERR_CAPS_DIGEST (nothing at or above the minimum, or a
 *         forced algorithm below it), SCEPKIT_ERR_UNSUPPORTED (a forced single DES or MD5), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_caps_choose(uint32_t caps, const scepkit_alg_policy *policy, scepkit_algs *out);

/* ---------------------------------------------------------------------------------------------- */
/* GetCACert / GetNextCACert (RFC 8894 §4.2, §4.7) */

/** Most certificates read from a GetCACert answer. */
#define SCEPKIT_CA_MAX_CERTS 8

/** Content types of GetCACert / GetNextCACert answers. */
#define SCEPKIT_CT_CA_CERT "application/x-x509-ca-cert"
#define SCEPKIT_CT_CA_RA_CERT "application/x-x509-ca-ra-cert"
#define SCEPKIT_CT_NEXT_CA_CERT "application/x-x509-next-ca-cert"

/** The CA (and RA) certificates of a server: views into the answer, which must outlive this. */
typedef struct scepkit_ca_certs {
    scepkit_bytes certs[SCEPKIT_CA_MAX_CERTS]; /**< every certificate, in the order received */
    size_t count;
    size_t ca;   /**< index of the issuing CA certificate */
    size_t enc;  /**< index of the certificate requests are encrypted to (RA encryption certificate, or the CA) */
    size_t sign; /**< index of the certificate expected to sign CertReps (RA signing certificate, or the CA) */
    int ra;      /**< 1 when `enc` or `sign` is an RA certificate */
} scepkit_ca_certs;

/**
 * Reads a GetCACert answer and selects the certificates.
 * `application/x-x509-ca-cert`: one DER certificate, which does everything. `application/x-x509-ca-ra-cert`:
 * a certs-only SignedData (DER or BER). An empty content type, or `application/octet-stream`, is sniffed.
 * Selection: RA certificates are the end-entity certificates (not cA, not self-issued, issuing nothing in the
 * set); the CA is the certificate that issued them (without RA certificates: the one certificate issuing no
 * other, i.e. the lowest CA of a chain). Encryption: an RA certificate with keyEncipherment, else one
 * with neither keyEncipherment nor digitalSignature (usually: no keyUsage extension), else the CA. Signing:
 * an RA certificate with digitalSignature, else one with neither bit, else the CA. So NDES (two RA certificates, each
 * with one of the bits) and a CA alone (which does both whatever its keyUsage says, as micromdm's) both work. Pure
 * function (no crypto).
 * @return SCEPKIT_OK, SCEPKIT_ERR_CA_CONTENT_TYPE, SCEPKIT_ERR_CA_NO_CERT, SCEPKIT_ERR_CA_TOO_MANY,
 *         SCEPKIT_ERR_CA_CHAIN (the RA certificates' issuer is absent), DER, X.509 and CMS parse errors,
 *         SCEPKIT_ERR_ARG. On error `*out` is zeroed.
 */
SCEPKIT_API scepkit_err scepkit_cacert_parse(scepkit_bytes content_type, scepkit_bytes body, scepkit_ca_certs *out);

/**
 * Verifies the selected chain: the RA certificates are signed by the CA; the CA is signed by itself when
 * self-issued, or by its issuer when that is in the set (up to the top of the set). With `now` != 0 every
 * selected certificate must be within its validity period.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_CA_CHAIN, SCEPKIT_ERR_CA_EXPIRED,
 *         SCEPKIT_ERR_UNKNOWN_ALGORITHM, SCEPKIT_ERR_LEGACY_DISABLED, X.509 and key errors, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_cacert_verify(const scepkit_ca_certs *cc, int64_t now, int allow_legacy);

/**
 * Compares the SHA-256 fingerprint of the selected CA certificate with `sha256` in constant time.
 * (Fingerprints for display, SHA-1 and MD5 included: scepkit_digest() over the certificate DER.)
 * @return SCEPKIT_OK, SCEPKIT_ERR_CA_PIN_MISMATCH, SCEPKIT_ERR_ARG, SCEPKIT_ERR_BACKEND.
 */
SCEPKIT_API scepkit_err scepkit_cacert_check_pin(const scepkit_ca_certs *cc, const uint8_t sha256[32]);

/**
 * Opens a GetNextCACert answer (`application/x-x509-next-ca-cert`): a SignedData signed by the current CA
 * (or its RA signing certificate) whose content is a certs-only SignedData with the next CA certificate
 * (and RA certificates). Verifies the signature against `current`, copies the content into `buf`
 * (`cap` >= the content length) and parses it like scepkit_cacert_parse(); `next` views into `buf`.
 * The caller should then scepkit_cacert_verify() `next`.
 * @return SCEPKIT_OK, SCEPKIT_ERR_CA_CONTENT_TYPE, CMS verification errors (signer not the current CA:
 *         SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND), SCEPKIT_ERR_BUFFER_TOO_SMALL, the errors of scepkit_cacert_parse().
 */
SCEPKIT_API scepkit_err scepkit_nextca_open(scepkit_bytes content_type, scepkit_bytes body,
                                            const scepkit_ca_certs *current, int allow_legacy, uint8_t *buf, size_t cap,
                                            scepkit_ca_certs *next);

/* ---------------------------------------------------------------------------------------------- */
/* The enrollment engine */

/** What the engine does. */
typedef enum scepkit_client_op {
    SCEPKIT_OP_GETCAPS = 1,   /**< GetCACaps only */
    SCEPKIT_OP_GETCA = 2,     /**< caps, GetCACert (chain selected, pinned, verified) */
    SCEPKIT_OP_ENROLL = 3,    /**< caps, CA, PKCSReq signed by a self-signed certificate, CertPoll while PENDING */
    SCEPKIT_OP_RENEW = 4,     /**< caps, CA, RenewalReq (or PKCSReq without `Renewal`) signed by the current
                                   certificate, CertPoll while PENDING */
    SCEPKIT_OP_GETCERT = 5,   /**< caps, CA, GetCert (IssuerAndSerialNumber) */
    SCEPKIT_OP_GETCRL = 6,    /**< caps, CA, GetCRL (IssuerAndSerialNumber of our certificate) */
    SCEPKIT_OP_GETNEXTCA = 7, /**< caps, CA, GetNextCACert */
} scepkit_client_op;

/** Default largest message (in or out) when scepkit_client_config.max_message is 0. */
#define SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE 16384
/** Room kept for the signer certificate (self-signed or current) and for the requested subject name. */
#define SCEPKIT_CLIENT_SIGNER_MAX 3072
#define SCEPKIT_CLIENT_NAME_MAX 1024

/** Scratch the engine keeps for building messages: a request around a messageData of up to `m` bytes (the CSR),
 *  the self-signed signer, and CertPoll/GetCert/GetCRL messageData (names are limited to
 *  SCEPKIT_CLIENT_NAME_MAX). */
#define SCEPKIT_CLIENT_SCRATCH(m)                                                                                      \
    (SCEPKIT_SCEP_REQUEST_SCRATCH(m) + SCEPKIT_SCEP_SELF_SIGNED_SCRATCH + 4 * SCEPKIT_CLIENT_NAME_MAX + 64)
/** Memory the engine needs for messages of up to `m` bytes (`m` = max_message): CA certificates and state
 *  (m + 4 KiB), the request and its GET form (4m + 128, reused for decrypted replies), the response (m),
 *  the scratch. */
#define SCEPKIT_CLIENT_MEM_SIZE(m)                                                                                     \
    ((size_t)(m) + SCEPKIT_CLIENT_SIGNER_MAX + SCEPKIT_CLIENT_NAME_MAX + (4 * (size_t)(m) + 128) + (size_t)(m) +       \
     SCEPKIT_CLIENT_SCRATCH(m) + 64)

/** Configuration of one engine run. Zero-initialise, then set what applies. */
typedef struct scepkit_client_config {
    scepkit_client_op op;
    const char *ca_ident;      /**< `message=` of GetCACaps/GetCACert/GetNextCACert; NULL or "" = omitted */
    const uint8_t (*pins)[32]; /**< acceptable SHA-256 fingerprints of the CA certificate */
    size_t pin_count;
    int allow_unpinned; /**< accept an unpinned CA (trust on first use). GETCAPS/GETCA never need a pin. */
    scepkit_alg_policy policy;
    int allow_legacy;                /**< accept single-DES / MD5 replies (micromdm); never sends them */
    scepkit_bytes csr;               /**< ENROLL/RENEW: the PKCS#10 DER (caller memory, read while building the request;
                                          give it again at restore when the state is not yet PENDING) */
    scepkit_key key;                 /**< signs requests and decrypts replies: the CSR's key (ENROLL) or the key of
                                          `cert` (RENEW, GETCERT, GETCRL) */
    scepkit_bytes cert;              /**< RENEW, GETCERT, GETCRL: our current certificate (signs the request) */
    scepkit_bytes serial;            /**< GETCERT: serial (INTEGER contents) of the certificate to fetch;
                                          GETCRL: empty = our certificate's */
    scepkit_bytes issuer;            /**< GETCERT/GETCRL: issuer Name DER; empty = the CA's subject (GETCERT) or our
                                          certificate's issuer (GETCRL) */
    int renew_with_pkcsreq;          /**< RENEW: send a PKCSReq even when the server advertises Renewal (Apple-style) */
    scepkit_cms_sig_style sig_style; /**< signatureAlgorithm style of requests */
    scepkit_rng rng;
    int64_t now;             /**< seconds since 1970 UTC; 0 = no clock: no validity checks, and the self-signed
                                  signer is valid 2000..2049 */
    unsigned max_polls;      /**< CertPolls per session (since init/restore) before giving up; 0 = no limit */
    size_t max_message;      /**< largest message in or out; 0 = SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE */
    scepkit_bytes challenge; /**< EC keys: the challengePassword the CSR carries. A SUCCESS to an EC requester is
                                  enveloped to a PasswordRecipientInfo keyed by it (RFC 8894 §3.1); give it again at
                                  every restore (the state blob never holds it). Not used with RSA keys. */
} scepkit_client_config;

/** What a step asks of the caller. */
typedef enum scepkit_client_status {
    SCEPKIT_CLIENT_SEND = 1,    /**< perform scepkit_client_request(), then step with the response */
    SCEPKIT_CLIENT_PENDING = 2, /**< the server said PENDING: save the state if you like, step again (without a
                                     response) when it is time to poll */
    SCEPKIT_CLIENT_DONE = 3,    /**< finished: see scepkit_client_result() */
} scepkit_client_status;

/** The outcome of a finished run. */
typedef struct scepkit_client_result {
    scepkit_pki_status pki_status; /**< SUCCESS; FAILURE (fail_info); PENDING when the poll limit was reached */
    scepkit_fail_info fail_info;
    char fail_text[SCEPKIT_FAIL_TEXT_MAX + 1];
    unsigned polls;              /**< CertPolls sent in this enrollment (across sessions) */
    scepkit_bytes cert;          /**< ENROLL/RENEW/GETCERT SUCCESS: the certificate (engine memory: valid until the
                                      next step/free) */
    scepkit_bytes certs_only;    /**< SUCCESS of a PKIOperation: the whole degenerate SignedData (chain, CRL) */
    scepkit_bytes crl;           /**< GETCRL SUCCESS: the CRL */
    scepkit_cipher reply_cipher; /**< SUCCESS: the cipher the server answered with */
    scepkit_err caps_err;        /**< the GetCACaps exchange: its transport error (taken as "no caps"), or OK */
    int caps_status;             /**< the GetCACaps HTTP status (0 when no HTTP answer came) */
} scepkit_client_result;

/** Storage for an engine; treat as opaque. Caller-owned; holds pointers into the caller's memory block. */
typedef struct scepkit_client {
    scepkit_client_config cfg;
    uint8_t *mem;
    size_t mem_len;
    size_t m; /* max_message */
    /* regions of mem */
    uint8_t *certs_buf, *signer_buf, *subject_buf, *req_buf, *resp_buf, *scratch_buf;
    size_t certs_cap, req_cap, resp_cap, scratch_cap;
    /* protocol state (what the blob keeps) */
    int phase;
    int awaiting;
    uint32_t caps;
    int caps_known;
    scepkit_algs algs;
    scepkit_ca_certs ca; /* views into certs_buf */
    size_t certs_used;
    scepkit_msg_type req_type;
    char transaction_id[SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN];
    uint8_t spki_hash[32]; /* SHA-256 of the requested public key */
    size_t signer_len, subject_len;
    unsigned polls;
    unsigned session_polls;
    /* the request in flight */
    scepkit_http_request req;
    scepkit_client_result result;
    scepkit_ca_certs next_ca; /* GETNEXTCA: views into req_buf */
} scepkit_client;

/**
 * Sets up an engine over the caller's memory `mem` (at least SCEPKIT_CLIENT_MEM_SIZE(max_message) bytes,
 * any alignment), copying `cfg` (whose views must outlive the engine, except `csr` as documented).
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARG (missing key/rng/csr/cert for the op, memory too small, unknown op),
 *         SCEPKIT_ERR_CAPS_* (a forced algorithm below the minimum). scepkit_client_free() is safe afterwards.
 */
SCEPKIT_API scepkit_err scepkit_client_init(scepkit_client *c, const scepkit_client_config *cfg, void *mem,
                                            size_t mem_len);

/**
 * Advances the engine. `resp` must be the answer to the request of the previous SEND step, and NULL
 * otherwise (NULL while a request is outstanding abandons it: the request is built again with a new
 * senderNonce, which is also how a restored engine resends after a power cut).
 * On an error the engine stays where it was before the failed exchange (the next step sends again);
 * stepping never loops or waits by itself.
 * @return SCEPKIT_OK with `*status`; SCEPKIT_ERR_CLIENT_STATE (already done, or a response nobody asked for);
 *         transport errors from `resp->err` (except for GetCACaps, where they mean "no caps");
 *         SCEPKIT_ERR_HTTP_STATUS, SCEPKIT_ERR_HTTP_CONTENT_TYPE; the errors of scepkit_caps_choose(),
 *         scepkit_cacert_parse/verify/check_pin(), SCEPKIT_ERR_CA_UNPINNED, SCEPKIT_ERR_NOT_ADVERTISED;
 *         request building errors (SCEPKIT_ERR_REQUEST_TOO_LARGE, key port errors); SCEPKIT_ERR_KEY_WOULD_BLOCK
 *         (a busy key port: step again, with the same `resp` when scepkit_client_request() is not NULL, i.e. the
 *         port was decrypting the answer, else with NULL); scepkit_scep_reply_open() errors
 * (SCEPKIT_ERR_SCEP_NONCE_MISMATCH, SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH, SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND,
 * SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_LEGACY_DISABLED, ...); SCEPKIT_ERR_KEY_MISMATCH (issued certificate for
 * another key).
 */
SCEPKIT_API scepkit_err scepkit_client_step(scepkit_client *c, const scepkit_http_response *resp,
                                            scepkit_client_status *status);

/** The request to perform after a SEND step (valid until the next step). NULL when none is outstanding.
 *  After SCEPKIT_ERR_KEY_WOULD_BLOCK while decrypting an answer it is non-NULL but empty: the answer is
 *  still expected (step again with it), the request itself is gone. */
SCEPKIT_API const scepkit_http_request *scepkit_client_request(const scepkit_client *c);

/** A buffer of the engine's own memory a transport may receive the response body into (valid until the next
 *  step; the body may also live anywhere else). */
SCEPKIT_API scepkit_err scepkit_client_response_buffer(scepkit_client *c, uint8_t **buf, size_t *cap);

/**
 * Steps, performing every SEND through `transport`, until PENDING, DONE or an error.
 * @return as scepkit_client_step().
 */
SCEPKIT_API scepkit_err scepkit_client_run(scepkit_client *c, scepkit_transport transport,
                                           scepkit_client_status *status);

/** The result (meaningful after DONE). */
SCEPKIT_API const scepkit_client_result *scepkit_client_result_get(const scepkit_client *c);
/** Capabilities read (0 = none or not yet asked) and whether they were asked. */
SCEPKIT_API uint32_t scepkit_client_caps(const scepkit_client *c, int *known);
/** The algorithms chosen (valid once the caps were read). */
SCEPKIT_API const scepkit_algs *scepkit_client_algs(const scepkit_client *c);
/** The CA certificates (views into engine memory), once read. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND. */
SCEPKIT_API scepkit_err scepkit_client_ca_certs(const scepkit_client *c, scepkit_ca_certs *out);
/** GETNEXTCA: the next CA certificates (views into engine memory, valid until the next step). */
SCEPKIT_API scepkit_err scepkit_client_next_ca(const scepkit_client *c, scepkit_ca_certs *out);
/** The transactionID (NUL-terminated; empty before an enrollment request was built). */
SCEPKIT_API const char *scepkit_client_transaction_id(const scepkit_client *c);

/** Largest state blob for an engine with messages up to `m` bytes. */
#define SCEPKIT_CLIENT_STATE_MAX(m) ((size_t)(m) + SCEPKIT_CLIENT_SIGNER_MAX + SCEPKIT_CLIENT_NAME_MAX + 512)

/**
 * Saves the engine's state as a CBOR blob (format in docs/client.md): phase, caps, algorithms,
 * transactionID, the senderNonce of the outstanding request, polls, the CA/RA certificates in use, the
 * signer certificate, the subject and the public-key hash. No secret is saved.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_DISABLED, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_client_save(const scepkit_client *c, uint8_t *out, size_t cap, size_t *len);

/**
 * Sets up an engine like scepkit_client_init() and loads a saved state into it. `cfg->op` must be the
 * saved op, or 0 to take the saved op (scepkit_client_result_get() and the config copy then show it). Algorithms in the
 * blob are checked against `cfg->policy` again, the CA against `cfg`'s pins.
 * @return SCEPKIT_OK, SCEPKIT_ERR_STATE_FOREIGN (not a scepkit client state), SCEPKIT_ERR_STATE_VERSION,
 *         SCEPKIT_ERR_STATE_CORRUPT (truncated, malformed, checksum, values out of range, does not fit the
 *         memory), SCEPKIT_ERR_CA_PIN_MISMATCH, SCEPKIT_ERR_CAPS_*, SCEPKIT_ERR_KEY_MISMATCH (ENROLL: the blob's
 *         key is not `cfg->key`'s), key port errors, the errors of scepkit_client_init(),
 *         SCEPKIT_ERR_DISABLED. On error the engine is left freed.
 */
SCEPKIT_API scepkit_err scepkit_client_restore(scepkit_client *c, const scepkit_client_config *cfg, void *mem,
                                               size_t mem_len, scepkit_bytes blob);

/** Wipes the engine's memory block and context. Safe after init failure and twice. */
SCEPKIT_API void scepkit_client_free(scepkit_client *c);

#ifdef __cplusplus
}
#endif
#endif
