/**
 * @file scep.h
 * @brief SCEP pkiMessage layer (RFC 8894 §3), shared by the client and the server.
 *
 * A pkiMessage is a CMS SignedData whose signed attributes carry the SCEP fields
 * (messageType, transactionID, senderNonce, recipientNonce, pkiStatus, failInfo,
 * failInfoText) and whose content, when present, is an EnvelopedData holding the
 * messageData: a PKCS#10 request (PKCSReq 19, RenewalReq 17), an IssuerAndSubject
 * (CertPoll 20), an IssuerAndSerialNumber (GetCert 21, GetCRL 22), or, in a CertRep (3)
 * with SUCCESS, a degenerate certs-only SignedData with the issued certificate or the CRL.
 *
 * "build" writes a message; "open" parses, verifies the signature, checks the SCEP
 * attributes and decrypts. Protocol outcomes (SUCCESS, FAILURE + failInfo, PENDING) are
 * data in ::scepkit_scep_reply, never errors.
 *
 * Supported: every message type above; signatures RSA PKCS#1 v1.5 (named or plain
 * rsaEncryption signatureAlgorithm) and ECDSA; digests SHA-1/256/384/512 (MD5 only with the
 * legacy switch); content encryption AES-128/192/256-CBC, DES-EDE3-CBC, single DES decryption
 * only with the legacy switch; BER input (indefinite lengths) as several peers send it.
 *
 * Security considerations: open() verifies the signature with the certificate the message
 * itself carries (SCEP requests are signed by a self-signed or previously issued certificate);
 * whether that certificate is acceptable (renewal, RA trust, CA pinning) is the caller's policy.
 * On a client, pass the CA/RA signing certificates as `signer_certs` so a CertRep signed by
 * anyone else is refused. Nonces and transactionIDs are compared in constant time.
 */
#ifndef SCEPKIT_SCEP_H
#define SCEPKIT_SCEP_H

#include "scepkit/cms.h"
#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/csr.h"
#include "scepkit/key.h"
#include "scepkit/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/** messageType values (RFC 8894 §3.2.1.2). */
typedef enum scepkit_msg_type {
    SCEPKIT_MSG_NONE = 0,
    SCEPKIT_MSG_CERTREP = 3,
    SCEPKIT_MSG_RENEWALREQ = 17,
    SCEPKIT_MSG_PKCSREQ = 19,
    SCEPKIT_MSG_CERTPOLL = 20, /**< GetCertInitial in older drafts */
    SCEPKIT_MSG_GETCERT = 21,
    SCEPKIT_MSG_GETCRL = 22,
} scepkit_msg_type;

/** pkiStatus values (§3.2.1.3). */
typedef enum scepkit_pki_status {
    SCEPKIT_STATUS_SUCCESS = 0,
    SCEPKIT_STATUS_FAILURE = 2,
    SCEPKIT_STATUS_PENDING = 3,
} scepkit_pki_status;

/** failInfo values (§3.2.1.4). */
typedef enum scepkit_fail_info {
    SCEPKIT_FAIL_BAD_ALG = 0,
    SCEPKIT_FAIL_BAD_MESSAGE_CHECK = 1,
    SCEPKIT_FAIL_BAD_REQUEST = 2,
    SCEPKIT_FAIL_BAD_TIME = 3,
    SCEPKIT_FAIL_BAD_CERT_ID = 4,
} scepkit_fail_info;

/** Name of a failInfo ("badAlg", ...), "unknown" otherwise. */
SCEPKIT_API const char *scepkit_fail_info_name(scepkit_fail_info f);
/** Name of a messageType ("PKCSReq", ...), "unknown" otherwise. */
SCEPKIT_API const char *scepkit_msg_type_name(scepkit_msg_type t);

#define SCEPKIT_NONCE_LEN 16
/** Longest transactionID accepted (PrintableString characters). */
#define SCEPKIT_TRANSACTION_ID_MAX 128
/** Longest failInfoText kept. */
#define SCEPKIT_FAIL_TEXT_MAX 256

/**
 * Derives a transactionID from a public key: uppercase hex of SHA-256 over the DER
 * SubjectPublicKeyInfo (64 characters), NUL-terminated. RFC 8894 §3.2.1.1 says a
 * transactionID SHOULD be a hash of the public key; renewals with a new key get a new one.
 */
SCEPKIT_API scepkit_err scepkit_scep_transaction_id(scepkit_bytes spki, char *out, size_t cap, size_t *len);

/** Worst-case scratch for scepkit_scep_self_signed(): the public key plus scepkit_x509_write()'s scratch. */
#define SCEPKIT_SCEP_SELF_SIGNED_SCRATCH (SCEPKIT_MAX_SPKI_SIZE + 16 + SCEPKIT_X509_WRITE_SCRATCH)

/**
 * Makes the throw-away self-signed certificate a client signs its first request with
 * (RFC 8894 §2.3): subject = issuer = `subject_der`, key from `key`, a random 8-byte
 * positive serial, validity now-1h .. now+`days` days, no extensions beyond basicConstraints cA=FALSE
 * and keyUsage digitalSignature|keyEncipherment (digitalSignature only for an EC key, which cannot receive RSA key
 * transport). Signed with SHA-256 through the key port. Scratch: SCEPKIT_SCEP_SELF_SIGNED_SCRATCH.
 * @param now  seconds since 1970 UTC (the library has no clock)
 */
SCEPKIT_API scepkit_err scepkit_scep_self_signed(scepkit_bytes subject_der, scepkit_key key, scepkit_rng rng,
                                                 int64_t now, unsigned days, scepkit_arena *scratch, uint8_t *out,
                                                 size_t cap, size_t *len);

/** IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } (CertPoll messageData). */
SCEPKIT_API scepkit_err scepkit_scep_issuer_and_subject_write(scepkit_bytes issuer, scepkit_bytes subject, uint8_t *out,
                                                              size_t cap, size_t *len);
/** IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER } (GetCert/GetCRL messageData).
 *  `serial` is INTEGER contents as in scepkit_x509.serial. */
SCEPKIT_API scepkit_err scepkit_scep_issuer_and_serial_write(scepkit_bytes issuer, scepkit_bytes serial, uint8_t *out,
                                                             size_t cap, size_t *len);

/* ---------------------------------------------------------------------------------------------- */
/* Requests (client builds, server opens) */

/** A request to build. Zero-initialise, then set what applies. */
typedef struct scepkit_scep_request_params {
    scepkit_msg_type type;                   /**< PKCSREQ, RENEWALREQ, CERTPOLL, GETCERT, GETCRL */
    scepkit_bytes transaction_id;            /**< printable text, 1..SCEPKIT_TRANSACTION_ID_MAX */
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN]; /**< fresh random per message (the caller keeps it to check the reply) */
    scepkit_bytes message_data;              /**< CSR DER, IssuerAndSubject DER or IssuerAndSerialNumber DER */
    scepkit_bytes signer_cert;               /**< self-signed (PKCSReq) or existing certificate (RenewalReq) */
    scepkit_key signer_key;                  /**< its key port */
    scepkit_md md;                           /**< NONE means SHA-256 */
    scepkit_cms_sig_style sig_style;
    scepkit_bytes recipient_cert; /**< CA or RA encryption certificate */
    scepkit_cipher cipher;        /**< NONE means AES-128-CBC; single DES refused */
    scepkit_rng rng;
    int64_t signing_time; /**< 0: no signingTime attribute */
} scepkit_scep_request_params;

/** Worst-case scratch for scepkit_scep_request_write(): the EnvelopedData plus the CMS signer. */
#define SCEPKIT_SCEP_REQUEST_SCRATCH(message_data_len)                                                                 \
    ((size_t)(message_data_len) + 2048 + SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(512))

/**
 * Builds a request pkiMessage into `out`.
 * Nothing is encrypted or signed unless `cap` holds the size a size-only pass (`out` NULL) reports.
 * The recipient certificate must hold an RSA key (key transport, PKCS#1 v1.5).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_ARENA_EXHAUSTED, CMS,
 *         X.509 and key port errors, SCEPKIT_ERR_SCEP_MESSAGE_TYPE (not a request type), SCEPKIT_ERR_SCEP_MESSAGE_DATA
 *         (message_data not shaped for the type), SCEPKIT_ERR_UNSUPPORTED (single DES), SCEPKIT_ERR_LEGACY_DISABLED
 *         (MD5), SCEPKIT_ERR_KEY_TYPE (recipient key not RSA), SCEPKIT_ERR_ARG. On error `out` is wiped.
 */
SCEPKIT_API scepkit_err scepkit_scep_request_write(const scepkit_scep_request_params *params, scepkit_arena *scratch,
                                                   uint8_t *out, size_t cap, size_t *len);

/** How a server opens a request. */
typedef struct scepkit_scep_open_request_params {
    scepkit_bytes recipient_cert; /**< our (CA or RA) encryption certificate */
    scepkit_key recipient_key;    /**< its key port (decrypt) */
    scepkit_rng rng;
    int allow_legacy; /**< accept single DES and MD5 */
} scepkit_scep_open_request_params;

/** An opened request: views into the message and into the caller's plaintext buffer. */
typedef struct scepkit_scep_request {
    int reply_possible; /**< the fields below needed for a CertRep FAILURE are valid (set even on error
                             once the signed attributes and signer certificate were read) */
    scepkit_msg_type type;
    char transaction_id[SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN];
    scepkit_bytes signer_cert;       /**< the certificate that signed the request (into the message) */
    scepkit_md md;                   /**< digest the requester used (reply with the same) */
    scepkit_cms_sig_style sig_style; /**< signatureAlgorithm style the requester used */
    scepkit_cipher cipher;           /**< content cipher the requester used (reply with the same, legacy rules apply) */
    int has_signing_time;
    int64_t signing_time;
    scepkit_bytes message_data; /**< decrypted messageData (into the caller's buffer) */
    scepkit_csr csr;       /**< PKCSREQ/RENEWALREQ: the parsed request (not yet verified: see scepkit_csr_verify) */
    scepkit_bytes issuer;  /**< CERTPOLL, GETCERT, GETCRL: issuer Name DER */
    scepkit_bytes subject; /**< CERTPOLL: subject Name DER */
    scepkit_bytes serial;  /**< GETCERT, GETCRL: serial INTEGER contents */
} scepkit_scep_request;

/**
 * Parses, verifies (with the embedded signer certificate) and decrypts a request.
 * `plain` receives the decrypted messageData (cap >= the encrypted content length; when the request carries its
 * content as a BER constructed OCTET STRING, `plain` also holds a copy of the envelope: cap >= content length +
 * encrypted length. SCEPKIT_SCEP_OPEN_PLAIN_CAP(msg.len) is always enough).
 * @return SCEPKIT_OK, or an error; when `out->reply_possible` is set the server should answer with a
 *         CertRep FAILURE whose failInfo is scepkit_scep_fail_info_for(error). Errors: DER and CMS parse errors,
 *         SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND (no embedded signer certificate), SCEPKIT_ERR_SCEP_ATTRIBUTE (transactionID,
 *         senderNonce or messageType missing or malformed), SCEPKIT_ERR_SCEP_MESSAGE_TYPE (a well-formed messageType
 *         that is not a request: reply_possible is set), CMS verification errors (SCEPKIT_ERR_BAD_SIGNATURE, ...),
 *         SCEPKIT_ERR_CMS_NO_CONTENT, SCEPKIT_ERR_LEGACY_DISABLED (single DES or MD5 without `allow_legacy`),
 *         SCEPKIT_ERR_DECRYPT, SCEPKIT_ERR_BUFFER_TOO_SMALL (`cap`), SCEPKIT_ERR_SCEP_MESSAGE_DATA,
 *         SCEPKIT_ERR_DISABLED (CSR parser compiled out), SCEPKIT_ERR_ARG. On error `plain` is wiped and `*out`
 *         keeps only the reply fields (when reply_possible) or is zeroed.
 */
SCEPKIT_API scepkit_err scepkit_scep_request_open(scepkit_bytes msg, const scepkit_scep_open_request_params *params,
                                                  uint8_t *plain, size_t cap, scepkit_scep_request *out);

/** A `plain` capacity that is always enough for scepkit_scep_request_open() / scepkit_scep_reply_open(). */
#define SCEPKIT_SCEP_OPEN_PLAIN_CAP(msg_len) (2 * (size_t)(msg_len))

/** The failInfo a server answers for an error of scepkit_scep_request_open() (badMessageCheck for signature and
 *  decryption failures, badAlg for algorithm problems, badTime, badRequest otherwise). */
SCEPKIT_API scepkit_fail_info scepkit_scep_fail_info_for(scepkit_err e);

/* ---------------------------------------------------------------------------------------------- */
/* CertRep (server builds, client opens) */

/** A CertRep to build. Zero-initialise, then set what applies. */
typedef struct scepkit_scep_reply_params {
    scepkit_bytes transaction_id;               /**< the request's */
    uint8_t recipient_nonce[SCEPKIT_NONCE_LEN]; /**< the request's senderNonce */
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN];    /**< fresh random */
    scepkit_pki_status status;
    scepkit_fail_info fail_info;  /**< FAILURE only */
    scepkit_bytes fail_info_text; /**< FAILURE only, optional (UTF-8) */
    const scepkit_bytes *certs;   /**< SUCCESS: certificates to deliver (issued one first) */
    size_t cert_count;
    const scepkit_bytes *crls; /**< SUCCESS to GetCRL: the CRL */
    size_t crl_count;
    scepkit_bytes recipient_cert; /**< SUCCESS: the requester's signer certificate (encrypt to it) */
    scepkit_cipher cipher;        /**< SUCCESS: content cipher; NONE = AES-128-CBC */
    int allow_legacy;             /**< allow single DES (never the default) */
    scepkit_bytes signer_cert;    /**< CA or RA signing certificate */
    scepkit_key signer_key;
    const scepkit_bytes *extra_certs; /**< certificates to embed in the outer SignedData besides the signer's */
    size_t extra_cert_count;
    scepkit_md md; /**< NONE means SHA-256 */
    scepkit_cms_sig_style sig_style;
    scepkit_rng rng;
    int64_t signing_time;   /**< 0: no signingTime */
    scepkit_bytes password; /**< SUCCESS to an EC requester: the challengePassword of its
                                 request; the reply is then enveloped to a
                                 PasswordRecipientInfo keyed by it (RFC 8894 §3.1, RFC 3211).
                                 Ignored for an RSA requester (key transport). */
} scepkit_scep_reply_params;

/** Worst-case scratch for scepkit_scep_reply_write(), given the total size of certs and CRLs delivered. */
#define SCEPKIT_SCEP_REPLY_SCRATCH(payload_len)                                                                        \
    (2 * (size_t)(payload_len) + 4096 + SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(512))

/**
 * Builds a CertRep (messageType 3) signed with `signer_key`: SUCCESS carries a certs-only SignedData of `certs`
 * and `crls` enveloped to `recipient_cert`; FAILURE and PENDING carry no envelope (a zero-length content, as
 * micromdm sends).
 *
 * Envelope recipient, by the key of `recipient_cert`:
 * - RSA: key transport (PKCS#1 v1.5), whatever `password` holds.
 * - EC P-256/P-384 with a non-empty `password`: one PasswordRecipientInfo (RFC 3211; RFC 8894 §3.1 names it
 *   for requesters whose key cannot decrypt): PBKDF2-HMAC-SHA256 with a random 16-byte salt and 10000
 *   iterations, id-alg-PWRI-KEK with the content cipher `cipher` (AES-128-CBC by default).
 * - EC without a password, or any other key: SCEPKIT_ERR_KEY_TYPE (a server answers FAILURE badAlg).
 *
 * Security considerations (password recipient): the envelope is only as confidential as the challenge password
 * (an eavesdropper may guess it offline at 10000 PBKDF2 rounds per guess); it protects the certificate's
 * confidentiality only, the CertRep's authenticity still comes from the CA/RA signature.
 * Nothing is encrypted or signed unless `cap` holds the size a size-only pass (`out` NULL) reports.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_ARENA_EXHAUSTED,
 *         SCEPKIT_ERR_LEGACY_DISABLED (single DES without `allow_legacy`, MD5), SCEPKIT_ERR_UNSUPPORTED (single DES
 *         with `allow_legacy`: scepkit never encrypts with it), SCEPKIT_ERR_KEY_TYPE, CMS, X.509 and key port errors,
 *         SCEPKIT_ERR_ARG. On error `out` is wiped.
 */
SCEPKIT_API scepkit_err scepkit_scep_reply_write(const scepkit_scep_reply_params *params, scepkit_arena *scratch,
                                                 uint8_t *out, size_t cap, size_t *len);

/** How a client opens a CertRep. */
typedef struct scepkit_scep_open_reply_params {
    scepkit_bytes transaction_id;            /**< ours: must match */
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN]; /**< ours: the reply's recipientNonce must equal it */
    const scepkit_bytes *signer_certs;       /**< acceptable CertRep signers (CA or RA signing certs); required */
    size_t signer_cert_count;
    scepkit_bytes our_cert; /**< the certificate our request was signed with (decryption) */
    scepkit_key our_key;
    scepkit_rng rng;
    int allow_legacy;       /**< accept single DES / MD5 replies (micromdm answers with DES) */
    scepkit_bytes password; /**< EC requesters: the challengePassword we sent; a SUCCESS
                                 envelope holding a PasswordRecipientInfo is opened with it
                                 (then `our_key` is not used). Empty: key transport only. */
} scepkit_scep_open_reply_params;

/** An opened CertRep. */
typedef struct scepkit_scep_reply {
    scepkit_pki_status status;
    scepkit_fail_info fail_info;                    /**< FAILURE */
    char fail_info_text[SCEPKIT_FAIL_TEXT_MAX + 1]; /**< FAILURE, may be empty */
    uint8_t sender_nonce[SCEPKIT_NONCE_LEN];        /**< the server's (a client may echo it) */
    scepkit_md md;
    scepkit_cipher cipher;    /**< SUCCESS: the cipher the server used */
    scepkit_bytes certs_only; /**< SUCCESS: the decrypted degenerate SignedData (caller's buffer) */
    scepkit_cms_signed certs; /**< SUCCESS: it parsed (iterate with scepkit_cms_next_cert/next_crl) */
} scepkit_scep_reply;

/**
 * Parses and verifies a CertRep, checks transactionID and recipientNonce, and for SUCCESS decrypts and parses
 * the certs-only content into `plain` (same capacity rule as scepkit_scep_request_open(); FAILURE and PENDING
 * need none). On error `*out` is zeroed with status FAILURE (never SUCCESS) and `plain` is wiped.
 * @return SCEPKIT_OK (look at `out->status`), SCEPKIT_ERR_SCEP_NONCE_MISMATCH, SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH,
 *         SCEPKIT_ERR_SCEP_NOT_CERTREP, SCEPKIT_ERR_SCEP_ATTRIBUTE, CMS errors (signer not among `signer_certs`:
 *         SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND; SCEPKIT_ERR_CMS_NO_RECIPIENT: a password envelope and no `password`),
 *         SCEPKIT_ERR_LEGACY_DISABLED, SCEPKIT_ERR_DECRYPT (also a wrong `password`), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_scep_reply_open(scepkit_bytes msg, const scepkit_scep_open_reply_params *params,
                                                uint8_t *plain, size_t cap, scepkit_scep_reply *out);

#ifdef __cplusplus
}
#endif
#endif
