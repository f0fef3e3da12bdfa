/* Error strings. One row per code; add rows when codes are added (codes are append-only). */
#include "scepkit/error.h"

#include <stddef.h>

struct err_row {
    scepkit_err code;
    const char *name;
    const char *text;
};

#define ROW(c, t) {c, #c, t}
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
