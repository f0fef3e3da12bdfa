/* Error strings. One row per code; add rows when codes are added (codes are append-only). */
#include "scepkit/error.h"

#include <stddef.h>

struct err_row {
    scepkit_err code;
    const char *name;
    const char *text;
};

#define ROW(c, t)                                                                                                      \
    {                                                                                                                  \
        c, #c, t                                                                                                       \
    }
static const struct err_row rows[] = {
    ROW(SCEPKIT_OK, "success"),
    ROW(SCEPKIT_ERR_ARG, "invalid argument"),
    ROW(SCEPKIT_ERR_BUFFER_TOO_SMALL, "output buffer too small"),
    ROW(SCEPKIT_ERR_ARENA_EXHAUSTED, "scratch arena exhausted"),
    ROW(SCEPKIT_ERR_DISABLED, "feature disabled at compile time"),
    ROW(SCEPKIT_ERR_UNSUPPORTED, "not supported"),
    ROW(SCEPKIT_ERR_NOT_FOUND, "not found"),
    ROW(SCEPKIT_ERR_INTERNAL, "internal error"),
    ROW(SCEPKIT_ERR_IO, "input/output error"),
    ROW(SCEPKIT_ERR_LEGACY_DISABLED, "legacy algorithm (single DES or MD5) refused: legacy mode is off"),
    ROW(SCEPKIT_ERR_DER_TRUNCATED, "DER: input truncated"),
    ROW(SCEPKIT_ERR_DER_LENGTH, "DER: bad length"),
    ROW(SCEPKIT_ERR_DER_NONMINIMAL, "DER: non-minimal encoding"),
    ROW(SCEPKIT_ERR_DER_TAG, "DER: unexpected tag"),
    ROW(SCEPKIT_ERR_DER_DEPTH, "DER: nesting too deep"),
    ROW(SCEPKIT_ERR_DER_TRAILING, "DER: trailing bytes"),
    ROW(SCEPKIT_ERR_DER_INDEFINITE, "DER: indefinite length not allowed"),
    ROW(SCEPKIT_ERR_DER_VALUE, "DER: malformed value"),
    ROW(SCEPKIT_ERR_DER_TOO_LARGE, "DER: value too large"),
    ROW(SCEPKIT_ERR_DER_WRITER_DEPTH, "DER writer: nesting too deep or unbalanced"),
    ROW(SCEPKIT_ERR_ENCODING, "text encoding (base64/PEM) error"),
    ROW(SCEPKIT_ERR_BACKEND, "crypto backend error"),
    ROW(SCEPKIT_ERR_RNG, "random number generator failed"),
    ROW(SCEPKIT_ERR_BAD_SIGNATURE, "signature does not verify"),
    ROW(SCEPKIT_ERR_DECRYPT, "decryption failed"),
    ROW(SCEPKIT_ERR_KEY_TYPE, "unsupported key type or size"),
    ROW(SCEPKIT_ERR_KEY_PARSE, "key could not be parsed"),
    ROW(SCEPKIT_ERR_KEY_OP_MISSING, "key port lacks this operation"),
    ROW(SCEPKIT_ERR_UNKNOWN_ALGORITHM, "unknown algorithm"),
    ROW(SCEPKIT_ERR_ALGORITHM_MISMATCH, "algorithm does not match the key"),
    ROW(SCEPKIT_ERR_KEY_WOULD_BLOCK, "key port busy, retry"),
    ROW(SCEPKIT_ERR_DN_SYNTAX, "distinguished name syntax error"),
    ROW(SCEPKIT_ERR_DN_ATTRIBUTE, "unknown distinguished name attribute"),
    ROW(SCEPKIT_ERR_CSR_VERSION, "CSR: unsupported version"),
    ROW(SCEPKIT_ERR_CSR_ATTRIBUTE, "CSR: malformed or duplicate attribute"),
    ROW(SCEPKIT_ERR_CSR_EXTENSION, "CSR: malformed or duplicate extension"),
    ROW(SCEPKIT_ERR_CSR_TOO_MANY, "too many items"),
    ROW(SCEPKIT_ERR_CHALLENGE_TOO_LONG, "challenge password longer than 255 characters"),
    ROW(SCEPKIT_ERR_SAN, "malformed subjectAltName"),
    ROW(SCEPKIT_ERR_CMS_CONTENT_TYPE, "CMS: unexpected content type"),
    ROW(SCEPKIT_ERR_CMS_VERSION, "CMS: unsupported version"),
    ROW(SCEPKIT_ERR_CMS_NO_CONTENT, "CMS: content absent"),
    ROW(SCEPKIT_ERR_CMS_NO_SIGNER, "CMS: no signer"),
    ROW(SCEPKIT_ERR_CMS_SIGNER_COUNT, "CMS: more than one signer"),
    ROW(SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND, "CMS: signer certificate not found"),
    ROW(SCEPKIT_ERR_CMS_ATTRIBUTE, "CMS: signed attribute missing, duplicated or malformed"),
    ROW(SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH, "CMS: contentType attribute does not match the content"),
    ROW(SCEPKIT_ERR_CMS_DIGEST_MISMATCH, "CMS: messageDigest does not match the content"),
    ROW(SCEPKIT_ERR_CMS_NO_RECIPIENT, "CMS: no matching recipient"),
    ROW(SCEPKIT_ERR_X509_VERSION, "X.509: unsupported certificate version"),
    ROW(SCEPKIT_ERR_X509_EXTENSION, "X.509: malformed or duplicate extension"),
    ROW(SCEPKIT_ERR_SCEP_ATTRIBUTE, "SCEP: signed attribute missing, duplicated or malformed"),
    ROW(SCEPKIT_ERR_SCEP_MESSAGE_TYPE, "SCEP: messageType unknown or not allowed here"),
    ROW(SCEPKIT_ERR_SCEP_NOT_CERTREP, "SCEP: reply is not a CertRep"),
    ROW(SCEPKIT_ERR_SCEP_NONCE_MISMATCH, "SCEP: recipientNonce does not match our senderNonce"),
    ROW(SCEPKIT_ERR_SCEP_TRANSACTION_MISMATCH, "SCEP: transactionID does not match"),
    ROW(SCEPKIT_ERR_SCEP_MESSAGE_DATA, "SCEP: messageData malformed for its messageType"),
    ROW(SCEPKIT_ERR_SCEP_STATUS, "SCEP: pkiStatus or failInfo missing or unknown"),
    ROW(SCEPKIT_ERR_CAPS_CIPHER, "SCEP client: no common content cipher at or above the allowed minimum"),
    ROW(SCEPKIT_ERR_CAPS_DIGEST, "SCEP client: no common digest at or above the allowed minimum"),
    ROW(SCEPKIT_ERR_CA_CONTENT_TYPE, "SCEP client: CA certificate answer of an unknown content type"),
    ROW(SCEPKIT_ERR_CA_NO_CERT, "SCEP client: no usable CA certificate in the answer"),
    ROW(SCEPKIT_ERR_CA_TOO_MANY, "SCEP client: too many certificates in the CA answer"),
    ROW(SCEPKIT_ERR_CA_PIN_MISMATCH, "SCEP client: CA fingerprint does not match the pinned one"),
    ROW(SCEPKIT_ERR_CA_UNPINNED, "SCEP client: no CA fingerprint pinned"),
    ROW(SCEPKIT_ERR_CA_CHAIN, "SCEP client: RA/CA certificates do not chain"),
    ROW(SCEPKIT_ERR_CA_EXPIRED, "SCEP client: CA or RA certificate outside its validity period"),
    ROW(SCEPKIT_ERR_HTTP_STATUS, "HTTP: status other than 200"),
    ROW(SCEPKIT_ERR_HTTP_CONTENT_TYPE, "HTTP: unexpected content type"),
    ROW(SCEPKIT_ERR_TRANSPORT, "transport: exchange failed"),
    ROW(SCEPKIT_ERR_TRANSPORT_TIMEOUT, "transport: timed out"),
    ROW(SCEPKIT_ERR_TRANSPORT_TLS, "transport: TLS failure"),
    ROW(SCEPKIT_ERR_RESPONSE_TOO_LARGE, "transport: response larger than the limit"),
    ROW(SCEPKIT_ERR_REQUEST_TOO_LARGE, "SCEP client: request larger than the buffers"),
    ROW(SCEPKIT_ERR_STATE_FOREIGN, "SCEP client: not a scepkit client state"),
    ROW(SCEPKIT_ERR_STATE_VERSION, "SCEP client: unsupported client state version"),
    ROW(SCEPKIT_ERR_STATE_CORRUPT, "SCEP client: client state truncated or corrupt"),
    ROW(SCEPKIT_ERR_CLIENT_STATE, "SCEP client: call not valid in the current state"),
    ROW(SCEPKIT_ERR_NOT_ADVERTISED, "SCEP client: the server does not advertise this capability"),
    ROW(SCEPKIT_ERR_KEY_MISMATCH, "public key does not match the expected one"),
    ROW(SCEPKIT_ERR_STORE_EXISTS, "store: record already exists"),
    ROW(SCEPKIT_ERR_STORE_CONFLICT, "store: record changed concurrently"),
    ROW(SCEPKIT_ERR_STORE_CORRUPT, "store: record could not be decoded"),
    ROW(SCEPKIT_ERR_STORE_FULL, "store: limit reached"),
    ROW(SCEPKIT_ERR_SERVER_CONFIG, "SCEP server: invalid configuration"),
    ROW(SCEPKIT_ERR_TOKEN_FORMAT, "challenge token malformed"),
    ROW(SCEPKIT_ERR_TOKEN_MAC, "challenge token integrity check failed"),
    ROW(SCEPKIT_ERR_TOKEN_EXPIRED, "challenge token expired"),
    ROW(SCEPKIT_ERR_TOKEN_TOO_LONG, "challenge token longer than 255 characters"),
    ROW(SCEPKIT_ERR_TX_STATE, "SCEP server: transaction not in a state that allows this"),
    ROW(SCEPKIT_ERR_PROFILE, "SCEP server: unknown certificate profile or request outside it"),
    ROW(SCEPKIT_ERR_TOKEN_USED, "challenge token already used for another key"),
};
#undef ROW

static const struct err_row *find(scepkit_err e)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].code == e) {
            return &rows[i];
        }
    }
    return NULL;
}

const char *scepkit_strerror(scepkit_err e)
{
    const struct err_row *r = find(e);
    return r != NULL ? r->text : "unknown error";
}

const char *scepkit_err_name(scepkit_err e)
{
    const struct err_row *r = find(e);
    return r != NULL ? r->name : "SCEPKIT_ERR_UNKNOWN";
}
