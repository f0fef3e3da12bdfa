/**
 * @file error.h
 * @brief The one error enum of scepkit.
 *
 * Codes are append-only: never renumbered, never reused. They sit in ranges by
 * layer so a code says where it came from. SCEP protocol outcomes (SUCCESS,
 * PENDING, FAILURE + failInfo) are NOT errors: they are returned as data in
 * result structs. An error means the library could not do what was asked.
 *
 * The raw code of the crypto backend (e.g. an mbedTLS error) behind a
 * SCEPKIT_ERR_BACKEND or key failure is kept in the context that saw it (see
 * scepkit_softkey_backend_error(), scepkit_drbg_backend_error()).
 */
#ifndef SCEPKIT_ERROR_H
#define SCEPKIT_ERROR_H

#include "scepkit/config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scepkit_err {
    SCEPKIT_OK = 0,

    /* 1..99: general */
    SCEPKIT_ERR_ARG = 1,              /**< a NULL or out-of-range argument */
    SCEPKIT_ERR_BUFFER_TOO_SMALL = 2, /**< output buffer too small; the needed size was reported */
    SCEPKIT_ERR_ARENA_EXHAUSTED = 3,  /**< the scratch arena is too small */
    SCEPKIT_ERR_DISABLED = 4,         /**< feature compiled out (see config.h) */
    SCEPKIT_ERR_UNSUPPORTED = 5,      /**< valid input, but something scepkit does not do */
    SCEPKIT_ERR_NOT_FOUND = 6,        /**< an optional item is absent / iteration ended */
    SCEPKIT_ERR_INTERNAL = 7,         /**< a bug: an invariant did not hold */
    SCEPKIT_ERR_IO = 8,               /**< file or OS error (tools and host helpers only) */
    SCEPKIT_ERR_LEGACY_DISABLED = 9,  /**< single DES / MD5 asked for without the legacy switch */

    /* 100..199: DER/BER reader and writer */
    SCEPKIT_ERR_DER_TRUNCATED = 100,    /**< input ends inside an element */
    SCEPKIT_ERR_DER_LENGTH = 101,       /**< length field malformed or larger than the input */
    SCEPKIT_ERR_DER_NONMINIMAL = 102,   /**< DER requires a minimal encoding (length, integer, boolean) */
    SCEPKIT_ERR_DER_TAG = 103,          /**< an element has a tag other than the grammar allows */
    SCEPKIT_ERR_DER_DEPTH = 104,        /**< nesting deeper than SCEPKIT_DER_MAX_DEPTH */
    SCEPKIT_ERR_DER_TRAILING = 105,     /**< bytes left after the end of a structure */
    SCEPKIT_ERR_DER_INDEFINITE = 106,   /**< indefinite length where DER is required */
    SCEPKIT_ERR_DER_VALUE = 107,        /**< content malformed for its type (bad OID, time, bit string...) */
    SCEPKIT_ERR_DER_TOO_LARGE = 108,    /**< a value does not fit the C type asked for */
    SCEPKIT_ERR_DER_WRITER_DEPTH = 109, /**< writer: constructed elements nested too deep or unbalanced */
    SCEPKIT_ERR_ENCODING = 110,         /**< base64/PEM/text syntax error */

    /* 200..299: crypto and keys */
    SCEPKIT_ERR_BACKEND = 200,            /**< the crypto backend failed (raw code kept in the context) */
    SCEPKIT_ERR_RNG = 201,                /**< random generator failed */
    SCEPKIT_ERR_BAD_SIGNATURE = 202,      /**< signature does not verify */
    SCEPKIT_ERR_DECRYPT = 203,            /**< decryption failed (never says why: no oracle) */
    SCEPKIT_ERR_KEY_TYPE = 204,           /**< key type or size not usable for this operation */
    SCEPKIT_ERR_KEY_PARSE = 205,          /**< private or public key could not be read */
    SCEPKIT_ERR_KEY_OP_MISSING = 206,     /**< the key port has no such operation (NULL op) */
    SCEPKIT_ERR_UNKNOWN_ALGORITHM = 207,  /**< an algorithm OID scepkit does not know */
    SCEPKIT_ERR_ALGORITHM_MISMATCH = 208, /**< algorithm does not fit the key (e.g. ECDSA sig, RSA key) */
    SCEPKIT_ERR_KEY_WOULD_BLOCK = 209,    /**< key port busy (secure element); retry the same call */

    /* 300..399: codecs (names, CSR) */
    SCEPKIT_ERR_DN_SYNTAX = 300,          /**< a distinguished-name string could not be read */
    SCEPKIT_ERR_DN_ATTRIBUTE = 301,       /**< unknown attribute type in a DN string */
    SCEPKIT_ERR_CSR_VERSION = 302,        /**< CSR version is not v1 (0) */
    SCEPKIT_ERR_CSR_ATTRIBUTE = 303,      /**< a CSR attribute is malformed or duplicated */
    SCEPKIT_ERR_CSR_EXTENSION = 304,      /**< a requested extension is malformed or duplicated */
    SCEPKIT_ERR_CSR_TOO_MANY = 305,       /**< more items than the writer's limits allow */
    SCEPKIT_ERR_CHALLENGE_TOO_LONG = 306, /**< challengePassword over 255 characters */
    SCEPKIT_ERR_SAN = 307,                /**< a subjectAltName entry is malformed */

    /* 400..499: CMS / PKCS#7 and X.509 certificate views */
    SCEPKIT_ERR_CMS_CONTENT_TYPE = 400,          /**< ContentInfo or encapsulated content of a type not expected here */
    SCEPKIT_ERR_CMS_VERSION = 401,               /**< CMS structure version not allowed */
    SCEPKIT_ERR_CMS_NO_CONTENT = 402,            /**< content absent (detached) and none supplied */
    SCEPKIT_ERR_CMS_NO_SIGNER = 403,             /**< SignedData without SignerInfo where a signature is required */
    SCEPKIT_ERR_CMS_SIGNER_COUNT = 404,          /**< more than one SignerInfo (not supported for verification) */
    SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND = 405,      /**< no certificate matches the signer identifier */
    SCEPKIT_ERR_CMS_ATTRIBUTE = 406,             /**< a signed attribute is missing, duplicated or malformed */
    SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH = 407, /**< contentType attribute differs from eContentType */
    SCEPKIT_ERR_CMS_DIGEST_MISMATCH = 408,       /**< messageDigest attribute differs from the content's digest */
    SCEPKIT_ERR_CMS_NO_RECIPIENT = 409,          /**< no RecipientInfo for the given certificate or password */
    SCEPKIT_ERR_X509_VERSION = 410,   /**< certificate version other than v1..v3, or fields not allowed by it */
    SCEPKIT_ERR_X509_EXTENSION = 411, /**< a certificate extension is malformed or duplicated */

    /* 500..599: SCEP pkiMessage layer and protocol */
    SCEPKIT_ERR_SCEP_ATTRIBUTE = 500,            /**< a SCEP signed attribute is missing, duplicated or malformed */
    SCEPKIT_ERR_SCEP_MESSAGE_TYPE = 501,         /**< messageType unknown or not allowed here */
    SCEPKIT_ERR_SCEP_NOT_CERTREP = 502,          /**< a reply that is not a CertRep */
    SCEPKIT_ERR_SCEP_NONCE_MISMATCH = 503,       /**< recipientNonce does not echo our senderNonce */
    SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH = 504, /**< transactionID differs from ours */
    SCEPKIT_ERR_SCEP_MESSAGE_DATA = 505,         /**< decrypted messageData malformed for its messageType */
    SCEPKIT_ERR_SCEP_STATUS = 506,               /**< pkiStatus/failInfo missing or unknown */

    /* 540..569: SCEP client (caps, CA certificates, enrollment engine, transports, state blob) */
    SCEPKIT_ERR_CAPS_CIPHER = 540,     /**< no content cipher common with the server at or above the caller's minimum */
    SCEPKIT_ERR_CAPS_DIGEST = 541,     /**< no digest common with the server at or above the caller's minimum */
    SCEPKIT_ERR_CA_CONTENT_TYPE = 542, /**< GetCACert/GetNextCACert answer of a content type SCEP does not define */
    SCEPKIT_ERR_CA_NO_CERT = 543,      /**< no usable CA certificate in the answer */
    SCEPKIT_ERR_CA_TOO_MANY = 544,     /**< more certificates than SCEPKIT_CA_MAX_CERTS */
    SCEPKIT_ERR_CA_PIN_MISMATCH = 545, /**< the CA certificate's SHA-256 fingerprint is not the pinned one */
    SCEPKIT_ERR_CA_UNPINNED = 546,     /**< no CA pin given and unpinned trust not allowed */
    SCEPKIT_ERR_CA_CHAIN = 547,        /**< RA/CA certificates do not chain (issuer names) */
    SCEPKIT_ERR_CA_EXPIRED = 548,      /**< a CA or RA certificate is outside its validity period */
    SCEPKIT_ERR_HTTP_STATUS = 549,     /**< HTTP status other than 200 */
    SCEPKIT_ERR_HTTP_CONTENT_TYPE = 550,  /**< HTTP answer of an unexpected content type */
    SCEPKIT_ERR_TRANSPORT = 551,          /**< the exchange failed: connection refused, reset, closed, bad HTTP */
    SCEPKIT_ERR_TRANSPORT_TIMEOUT = 552,  /**< the exchange timed out */
    SCEPKIT_ERR_TRANSPORT_TLS = 553,      /**< TLS failed (handshake, server certificate not trusted) */
    SCEPKIT_ERR_RESPONSE_TOO_LARGE = 554, /**< the answer exceeds the response size limit */
    SCEPKIT_ERR_REQUEST_TOO_LARGE = 555,  /**< the request (or GET URL) exceeds the engine's buffers */
    SCEPKIT_ERR_STATE_FOREIGN = 556,      /**< not a scepkit client state blob */
    SCEPKIT_ERR_STATE_VERSION = 557,      /**< a client state blob of an unsupported format version */
    SCEPKIT_ERR_STATE_CORRUPT = 558,      /**< a client state blob is truncated, malformed or fails its checksum */
    SCEPKIT_ERR_CLIENT_STATE = 559,       /**< call not valid in the engine's current state */
    SCEPKIT_ERR_NOT_ADVERTISED = 560,     /**< the operation needs a capability the server does not advertise */
    SCEPKIT_ERR_KEY_MISMATCH = 561, /**< a public key is not the one expected (CSR vs signer key, issued cert vs CSR) */

    /* 570..599: SCEP server (handler, store, CA signer, challenge policies) */
    SCEPKIT_ERR_STORE_EXISTS = 570,   /**< store: the record already exists (serial claimed, transaction known) */
    SCEPKIT_ERR_STORE_CONFLICT = 571, /**< store: the record changed under us (state not the one expected) */
    SCEPKIT_ERR_STORE_CORRUPT = 572,  /**< store: a record could not be decoded */
    SCEPKIT_ERR_STORE_FULL = 573,     /**< store: a configured limit is reached (outstanding one-time passwords) */
    SCEPKIT_ERR_SERVER_CONFIG = 574,  /**< server, CA or policy configuration invalid */
    SCEPKIT_ERR_TOKEN_FORMAT = 575,   /**< dynamic challenge token malformed */
    SCEPKIT_ERR_TOKEN_MAC = 576,      /**< dynamic challenge token fails its integrity check or names an unknown key */
    SCEPKIT_ERR_TOKEN_EXPIRED = 577,  /**< dynamic challenge token expired */
    SCEPKIT_ERR_TOKEN_TOO_LONG = 578, /**< the token would not fit challengePassword (255 characters) */
    SCEPKIT_ERR_TX_STATE = 579,   /**< transaction not in a state that allows this call (approve a non-pending one) */
    SCEPKIT_ERR_PROFILE = 580,    /**< no certificate profile of that name, or the request does not fit the profile */
    SCEPKIT_ERR_TOKEN_USED = 581, /**< single-use challenge token already enrolled another key */
} scepkit_err;

/** A short English description of `e` (never NULL; "unknown error" for others). */
SCEPKIT_API const char *scepkit_strerror(scepkit_err e);

/** The symbolic name of `e`, e.g. "SCEPKIT_ERR_DER_TAG" (never NULL). */
SCEPKIT_API const char *scepkit_err_name(scepkit_err e);

#ifdef __cplusplus
}
#endif
#endif
