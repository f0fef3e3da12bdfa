/**
 * @file csr.h
 * @brief PKCS#10 certification requests (RFC 2986) as SCEP uses them.
 *
 * Supported:
 * - Write: subject Name, SubjectPublicKeyInfo from the key port, attributes challengePassword
 *   (RFC 2985, <= 255 chars, UTF8String or PrintableString) and extensionRequest with
 *   subjectAltName (dNSName, rfc822Name, URI, iPAddress, UPN otherName), keyUsage and
 *   extendedKeyUsage; signed through the key port with RSA PKCS#1 v1.5 + SHA-256/384/512
 *   or ECDSA + SHA-256/384/512 (AlgorithmIdentifier without parameters for ECDSA).
 * - Parse: a zero-copy view with every field, every requested extension (unknown ones too,
 *   by iteration) and signature verification, including CSRs signed with plain
 *   `rsaEncryption` as the algorithm (certmonger does this); the digest is then taken
 *   from the DigestInfo inside the signature.
 * Not supported: RSASSA-PSS signatures (rejected as SCEPKIT_ERR_UNKNOWN_ALGORITHM), attributes
 * other than the two above are kept (iterate them) but not interpreted, SHA-1/MD5 signatures are
 * parsed but verification of MD5 needs the legacy switch (and the mbedTLS port refuses MD5
 * signatures even then). The writer refuses SHA-1 (SCEPKIT_ERR_UNSUPPORTED) and MD5.
 * challengePassword types read: PrintableString, UTF8String, IA5String, 7-bit T61String
 * (BMPString refused: SCEPKIT_ERR_CSR_ATTRIBUTE). Details and reasons: docs/csr.md.
 *
 * Security considerations: scepkit_csr_parse() checks structure only; call scepkit_csr_verify()
 * before trusting anything in it (proof of possession). The challenge password is a secret:
 * the parsed view points into the caller's buffer, which the caller should wipe.
 */
#ifndef SCEPKIT_CSR_H
#define SCEPKIT_CSR_H

#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/key.h"
#include "scepkit/name.h"

#ifdef __cplusplus
extern "C" {
#endif

/** subjectAltName kinds (GeneralName CHOICE numbers; UPN is an otherName). */
typedef enum scepkit_san_type {
    SCEPKIT_SAN_OTHER = 0,    /**< otherName other than UPN: value is the whole DER of [0] */
    SCEPKIT_SAN_EMAIL = 1,    /**< rfc822Name */
    SCEPKIT_SAN_DNS = 2,      /**< dNSName */
    SCEPKIT_SAN_DIRNAME = 4,  /**< directoryName (parse only): value is the Name DER */
    SCEPKIT_SAN_URI = 6,      /**< uniformResourceIdentifier */
    SCEPKIT_SAN_IP = 7,       /**< iPAddress: 4 or 16 raw bytes */
    SCEPKIT_SAN_RID = 8,      /**< registeredID (parse only): OID contents */
    SCEPKIT_SAN_UPN = 100,    /**< otherName 1.3.6.1.4.1.311.20.2.3 with a UTF8String value */
    SCEPKIT_SAN_UNKNOWN = 101 /**< x400Address / ediPartyName (parse only): raw DER */
} scepkit_san_type;

typedef struct scepkit_san {
    scepkit_san_type type;
    scepkit_bytes value; /**< text for EMAIL/DNS/URI/UPN; 4 or 16 bytes for IP */
} scepkit_san;

/** KeyUsage bits, numbered as in RFC 5280 (bit 0 = digitalSignature). */
#define SCEPKIT_KU_DIGITAL_SIGNATURE (1u << 0)
#define SCEPKIT_KU_NON_REPUDIATION (1u << 1)
#define SCEPKIT_KU_KEY_ENCIPHERMENT (1u << 2)
#define SCEPKIT_KU_DATA_ENCIPHERMENT (1u << 3)
#define SCEPKIT_KU_KEY_AGREEMENT (1u << 4)
#define SCEPKIT_KU_KEY_CERT_SIGN (1u << 5)
#define SCEPKIT_KU_CRL_SIGN (1u << 6)
#define SCEPKIT_KU_ENCIPHER_ONLY (1u << 7)
#define SCEPKIT_KU_DECIPHER_ONLY (1u << 8)

/** Limits of the writer. */
#define SCEPKIT_CSR_MAX_SANS 64
#define SCEPKIT_CSR_MAX_EKUS 16
#define SCEPKIT_CHALLENGE_MAX_LEN 255

/** What to put in a CSR. Zero-initialise, then fill what you need. */
typedef struct scepkit_csr_params {
    const scepkit_name_attr *subject; /**< subject attributes (e.g. from scepkit_name_from_string) */
    size_t subject_count;
    scepkit_bytes subject_der; /**< alternatively, an already encoded Name (used when subject_count is 0) */
    scepkit_bytes challenge;   /**< challengePassword, empty for none; PrintableString if it fits, else UTF8String */
    const scepkit_san *sans;
    size_t san_count;
    uint32_t key_usage;        /**< SCEPKIT_KU_* bits, 0 = no keyUsage extension (marked critical when present) */
    const scepkit_bytes *ekus; /**< extendedKeyUsage OID contents bytes */
    size_t eku_count;
    scepkit_md md; /**< signature digest, SCEPKIT_MD_NONE means SHA-256 */
} scepkit_csr_params;

/** Worst-case scratch for scepkit_csr_write(): the public key and the signature. */
#define SCEPKIT_CSR_WRITE_SCRATCH (SCEPKIT_MAX_SPKI_SIZE + SCEPKIT_MAX_SIG_SIZE + 32)

/**
 * Builds and signs a CSR into `out` (DER, starting at out[0]).
 * @param key      the key port (public_key and sign_digest are used)
 * @param scratch  arena with at least SCEPKIT_CSR_WRITE_SCRATCH bytes free; everything taken is released (and wiped)
 * @param out      output buffer, or NULL for a size-only pass
 * @param len      the length written, or needed (an upper bound for ECDSA, whose signature length varies)
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (also the answer of the size-only pass, with `*len` set;
 *         nothing is signed unless `cap` is at least that bound), SCEPKIT_ERR_ARENA_EXHAUSTED, SCEPKIT_ERR_ARG,
 *         SCEPKIT_ERR_CHALLENGE_TOO_LONG, SCEPKIT_ERR_CSR_TOO_MANY, SCEPKIT_ERR_SAN, SCEPKIT_ERR_DN_SYNTAX,
 *         SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_LEGACY_DISABLED (MD5), SCEPKIT_ERR_UNSUPPORTED (SHA-1),
 *         key port errors, SCEPKIT_ERR_DISABLED.
 *         On any error nothing usable is left in `out` (it is wiped) and `*len` is 0 (except BUFFER_TOO_SMALL).
 */
SCEPKIT_API scepkit_err scepkit_csr_write(const scepkit_csr_params *params, scepkit_key key, scepkit_arena *scratch,
                                          uint8_t *out, size_t cap, size_t *len);

/** Signature algorithm as found in a CSR. */
typedef enum scepkit_sig_alg {
    SCEPKIT_SIG_UNKNOWN = 0,
    SCEPKIT_SIG_RSA_PKCS1 = 1, /**< shaNWithRSAEncryption, or plain rsaEncryption (md taken from the signature) */
    SCEPKIT_SIG_ECDSA = 2,
} scepkit_sig_alg;

/** A parsed CSR: views into the caller's input, which must outlive it. */
typedef struct scepkit_csr {
    scepkit_bytes der;         /**< the whole CSR */
    scepkit_bytes tbs;         /**< CertificationRequestInfo, the signed part (tag included) */
    scepkit_bytes subject;     /**< Name DER (tag included) */
    scepkit_bytes spki;        /**< SubjectPublicKeyInfo DER (tag included) */
    scepkit_key_type key_type; /**< from the SPKI (SCEPKIT_KEY_NONE if not RSA/P-256/P-384) */
    size_t key_bits;
    scepkit_bytes attributes; /**< contents of the [0] attributes (may be empty) */
    scepkit_bytes challenge;  /**< challengePassword contents (empty when absent) */
    int has_challenge;
    scepkit_bytes extensions; /**< Extensions SEQUENCE DER from extensionRequest (tag included), empty when absent */
    uint32_t key_usage;       /**< SCEPKIT_KU_* bits when has_key_usage */
    int has_key_usage;
    scepkit_bytes san;         /**< GeneralNames DER (tag included), empty when absent */
    scepkit_bytes eku;         /**< ExtKeyUsageSyntax DER (tag included), empty when absent */
    scepkit_bytes sig_alg_oid; /**< signatureAlgorithm OID contents */
    scepkit_sig_alg sig_alg;
    scepkit_md sig_md;       /**< digest named by the algorithm; SCEPKIT_MD_NONE for plain rsaEncryption */
    scepkit_bytes signature; /**< signature bits (after the unused-bits octet) */
} scepkit_csr;

/**
 * Parses a DER CSR. Pure function of its bytes: no crypto, no allocation. Strict DER; the whole of
 * `der` must be the CSR (trailing bytes are an error). On error `*out` is zeroed.
 * @return SCEPKIT_OK, DER errors (SCEPKIT_ERR_DER_*), SCEPKIT_ERR_CSR_VERSION, SCEPKIT_ERR_CSR_ATTRIBUTE,
 *         SCEPKIT_ERR_CSR_EXTENSION, SCEPKIT_ERR_UNKNOWN_ALGORITHM, SCEPKIT_ERR_CHALLENGE_TOO_LONG,
 * SCEPKIT_ERR_DISABLED.
 */
SCEPKIT_API scepkit_err scepkit_csr_parse(scepkit_bytes der, scepkit_csr *out);

/**
 * Verifies the CSR's self-signature with its own public key (proof of possession).
 * For plain rsaEncryption the digest algorithm is read from the DigestInfo in the signature.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_KEY_PARSE, SCEPKIT_ERR_KEY_TYPE,
 *         SCEPKIT_ERR_ALGORITHM_MISMATCH, SCEPKIT_ERR_LEGACY_DISABLED (MD5 unless allow_legacy).
 */
SCEPKIT_API scepkit_err scepkit_csr_verify(const scepkit_csr *csr, int allow_legacy);

/** Iterator over one of the CSR's lists (SANs, EKUs, extensions, attributes). Start with `{0}`. */
typedef struct scepkit_csr_iter {
    scepkit_bytes rest;
    int started;
} scepkit_csr_iter;

/** Next subjectAltName. On a CSR from scepkit_csr_parse() these iterators never fail: the parser validated
 *  what they walk. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, SCEPKIT_ERR_SAN. */
SCEPKIT_API scepkit_err scepkit_csr_next_san(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_san *san);
/** Next EKU OID (contents bytes). @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors. */
SCEPKIT_API scepkit_err scepkit_csr_next_eku(const scepkit_csr *csr, scepkit_csr_iter *it, scepkit_bytes *oid);

/** One requested extension. */
typedef struct scepkit_extension {
    scepkit_bytes oid; /**< contents bytes */
    int critical;
    scepkit_bytes value; /**< extnValue contents (the DER of the extension's own value) */
} scepkit_extension;

/** Next requested extension (known or not). @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, DER errors. */
SCEPKIT_API scepkit_err scepkit_csr_next_extension(const scepkit_csr *csr, scepkit_csr_iter *it,
                                                   scepkit_extension *ext);

/** One attribute: type OID and the SET OF values contents. */
typedef struct scepkit_csr_attribute {
    scepkit_bytes oid;
    scepkit_bytes values; /**< contents of the SET (one or more DER values) */
} scepkit_csr_attribute;

/** Next attribute. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, DER errors. */
SCEPKIT_API scepkit_err scepkit_csr_next_attribute(const scepkit_csr *csr, scepkit_csr_iter *it,
                                                   scepkit_csr_attribute *attr);

#ifdef __cplusplus
}
#endif
#endif
