/*
 * The one OID table. Every OID the library reads or writes is here, with its
 * DER contents bytes, a short name and its dotted form. Lookups are by the
 * contents bytes of an OBJECT IDENTIFIER (no tag/length).
 */
#ifndef SCEPKIT_DER_OID_H
#define SCEPKIT_DER_OID_H

#include "scepkit/common.h"

typedef enum skit_oid {
    SKIT_OID_UNKNOWN = 0,
    /* digests */
    SKIT_OID_MD5,
    SKIT_OID_SHA1,
    SKIT_OID_SHA256,
    SKIT_OID_SHA384,
    SKIT_OID_SHA512,
    /* public keys and signatures */
    SKIT_OID_RSA_ENCRYPTION,
    SKIT_OID_MD5_WITH_RSA,
    SKIT_OID_SHA1_WITH_RSA,
    SKIT_OID_SHA256_WITH_RSA,
    SKIT_OID_SHA384_WITH_RSA,
    SKIT_OID_SHA512_WITH_RSA,
    SKIT_OID_RSAES_OAEP,
    SKIT_OID_MGF1,
    SKIT_OID_P_SPECIFIED,
    SKIT_OID_RSASSA_PSS,
    SKIT_OID_EC_PUBLIC_KEY,
    SKIT_OID_ECDSA_SHA1,
    SKIT_OID_ECDSA_SHA256,
    SKIT_OID_ECDSA_SHA384,
    SKIT_OID_ECDSA_SHA512,
    SKIT_OID_P256,
    SKIT_OID_P384,
    /* HMAC and key derivation */
    SKIT_OID_HMAC_SHA1,
    SKIT_OID_HMAC_SHA256,
    SKIT_OID_HMAC_SHA384,
    SKIT_OID_HMAC_SHA512,
    SKIT_OID_PBKDF2,
    SKIT_OID_PBES2,
    SKIT_OID_PWRI_KEK,
    /* content ciphers */
    SKIT_OID_DES_CBC,
    SKIT_OID_DES_EDE3_CBC,
    SKIT_OID_AES128_CBC,
    SKIT_OID_AES192_CBC,
    SKIT_OID_AES256_CBC,
    /* CMS content types and attributes */
    SKIT_OID_CMS_DATA,
    SKIT_OID_CMS_SIGNED_DATA,
    SKIT_OID_CMS_ENVELOPED_DATA,
    SKIT_OID_CONTENT_TYPE,
    SKIT_OID_MESSAGE_DIGEST,
    SKIT_OID_SIGNING_TIME,
    /* PKCS#9 */
    SKIT_OID_EMAIL_ADDRESS,
    SKIT_OID_UNSTRUCTURED_NAME,
    SKIT_OID_CHALLENGE_PASSWORD,
    SKIT_OID_EXTENSION_REQUEST,
    /* SCEP attributes (RFC 8894 §3.2.1) */
    SKIT_OID_SCEP_MESSAGE_TYPE,
    SKIT_OID_SCEP_PKI_STATUS,
    SKIT_OID_SCEP_FAIL_INFO,
    SKIT_OID_SCEP_SENDER_NONCE,
    SKIT_OID_SCEP_RECIPIENT_NONCE,
    SKIT_OID_SCEP_TRANSACTION_ID,
    SKIT_OID_SCEP_FAIL_INFO_TEXT,
    /* X.509 extensions */
    SKIT_OID_EXT_SUBJECT_KEY_ID,
    SKIT_OID_EXT_KEY_USAGE,
    SKIT_OID_EXT_SUBJECT_ALT_NAME,
    SKIT_OID_EXT_BASIC_CONSTRAINTS,
    SKIT_OID_EXT_CRL_NUMBER,
    SKIT_OID_EXT_CRL_REASON,
    SKIT_OID_EXT_CRL_DISTRIBUTION_POINTS,
    SKIT_OID_EXT_CERTIFICATE_POLICIES,
    SKIT_OID_EXT_AUTHORITY_KEY_ID,
    SKIT_OID_EXT_EXT_KEY_USAGE,
    SKIT_OID_EXT_AUTHORITY_INFO_ACCESS,
    SKIT_OID_MS_CERT_TEMPLATE_NAME,
    /* extended key usages */
    SKIT_OID_KP_SERVER_AUTH,
    SKIT_OID_KP_CLIENT_AUTH,
    SKIT_OID_KP_CODE_SIGNING,
    SKIT_OID_KP_EMAIL_PROTECTION,
    SKIT_OID_KP_TIME_STAMPING,
    SKIT_OID_KP_OCSP_SIGNING,
    SKIT_OID_KP_IPSEC_IKE,
    SKIT_OID_ANY_EKU,
    SKIT_OID_MS_SMARTCARD_LOGON,
    /* otherName types, access methods */
    SKIT_OID_MS_UPN,
    SKIT_OID_AD_OCSP,
    SKIT_OID_AD_CA_ISSUERS,
    /* name attributes */
    SKIT_OID_AT_CN,
    SKIT_OID_AT_SURNAME,
    SKIT_OID_AT_SERIAL_NUMBER,
    SKIT_OID_AT_C,
    SKIT_OID_AT_L,
    SKIT_OID_AT_ST,
    SKIT_OID_AT_STREET,
    SKIT_OID_AT_O,
    SKIT_OID_AT_OU,
    SKIT_OID_AT_TITLE,
    SKIT_OID_AT_GIVEN_NAME,
    SKIT_OID_AT_DC,
    SKIT_OID_AT_UID,
    SKIT_OID_COUNT
} skit_oid;

typedef struct skit_oid_info {
    skit_oid id;
    const char *name;   /* short name, e.g. "sha256", "CN", "clientAuth" */
    const char *dotted; /* "2.16.840.1.101.3.4.2.1" */
    const uint8_t *der; /* contents bytes */
    uint8_t der_len;
} skit_oid_info;

/* Id of the OID whose contents are `oid`, SKIT_OID_UNKNOWN if not in the table. */
skit_oid skit_oid_find(scepkit_bytes oid);
/* Contents bytes of a known OID (len 0 for UNKNOWN/out of range). */
scepkit_bytes skit_oid_bytes(skit_oid id);
/* Table row of a known OID, NULL otherwise. */
const skit_oid_info *skit_oid_info_of(skit_oid id);
/* Looks a short name up case-insensitively (e.g. "cn", "clientAuth"): SKIT_OID_UNKNOWN if none.
 * Also accepts a few unambiguous aliases: "E" (emailAddress), "S" (ST), the X.520 long names
 * ("commonName", "organizationName", ...), "id-ecPublicKey", "secp256r1", "P-256", "P-384". */
skit_oid skit_oid_by_name(const char *name, size_t len);

/* Dotted text ("1.2.3") to contents bytes. SCEPKIT_ERR_ENCODING on bad text,
 * SCEPKIT_ERR_BUFFER_TOO_SMALL with *len set when cap is short. */
scepkit_err skit_oid_from_dotted(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len);
/* Contents bytes to dotted text, NUL-terminated; arcs over 64 bits -> SCEPKIT_ERR_DER_TOO_LARGE,
 * malformed contents -> SCEPKIT_ERR_DER_VALUE. *len excludes the NUL; SCEPKIT_ERR_BUFFER_TOO_SMALL
 * (with *len) unless cap > *len. */
scepkit_err skit_oid_to_dotted(scepkit_bytes oid, char *out, size_t cap, size_t *len);

#endif
