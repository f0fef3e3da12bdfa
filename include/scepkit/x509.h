/**
 * @file x509.h
 * @brief A minimal, zero-copy X.509 certificate view (RFC 5280), as CMS and SCEP need it.
 *
 * Supported:
 * - scepkit_x509_parse(): strict DER; v1, v2 and v3 certificates; every field of the
 *   TBSCertificate as a view into the caller's input; the subjectKeyIdentifier, keyUsage and
 *   basicConstraints extensions decoded; every extension reachable by iteration; validity
 *   (UTCTime/GeneralizedTime) as seconds since 1970; signature algorithm decoded for RSA PKCS#1
 *   v1.5 (shaNWithRSAEncryption) and ECDSA.
 * - scepkit_x509_verify_signature(): checks a certificate's signature with an issuer's public key.
 * - scepkit_x509_write() / scepkit_crl_write(): v3 certificates and v2 CRLs for a CA (and a client's
 *   self-signed SCEP signer), signed through the key port (see their documentation).
 *
 * Not supported: path building and validation (name chaining, validity against a clock, policy,
 * name constraints) are not done here: this is a view, not a validator. RSASSA-PSS signatures are
 * parsed (sig_alg SCEPKIT_SIG_UNKNOWN) but not verified. Multi-byte tags and certificates larger
 * than the DER reader's limits are rejected.
 *
 * Security considerations: scepkit_x509_parse() checks structure only; nothing in the view is
 * trustworthy until the caller has validated the certificate against a trust anchor. Critical
 * extensions scepkit does not know are counted in `unknown_critical`; a validator must refuse
 * such a certificate. Names are compared as DER bytes by the CMS code (no RFC 5280 §7.1 matching).
 */
#ifndef SCEPKIT_X509_H
#define SCEPKIT_X509_H

#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/csr.h"
#include "scepkit/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed certificate: views into the caller's input, which must outlive it. */
typedef struct scepkit_x509 {
    scepkit_bytes der;          /**< the whole certificate */
    scepkit_bytes tbs;          /**< TBSCertificate, the signed part (tag included) */
    int version;                /**< 1, 2 or 3 */
    scepkit_bytes serial;       /**< serialNumber INTEGER contents as encoded (two's complement, minimal) */
    scepkit_bytes issuer;       /**< issuer Name DER (tag included) */
    scepkit_bytes subject;      /**< subject Name DER (tag included) */
    int64_t not_before;         /**< seconds since 1970 UTC */
    int64_t not_after;          /**< seconds since 1970 UTC */
    scepkit_bytes spki;         /**< SubjectPublicKeyInfo DER (tag included) */
    scepkit_bytes spki_alg_oid; /**< its algorithm OID contents (rsaEncryption, id-ecPublicKey, ...) */
    scepkit_bytes extensions;   /**< contents of the Extensions SEQUENCE, empty when absent */
    scepkit_bytes ski;          /**< subjectKeyIdentifier contents, when has_ski */
    int has_ski;
    uint32_t key_usage; /**< SCEPKIT_KU_* bits, when has_key_usage */
    int has_key_usage;
    int is_ca;    /**< basicConstraints cA (0 when the extension is absent) */
    int path_len; /**< basicConstraints pathLenConstraint, -1 when absent */
    int has_basic_constraints;
    unsigned unknown_critical; /**< critical extensions other than SKI, keyUsage, basicConstraints, subjectAltName,
                                    extendedKeyUsage and certificatePolicies (the ones a validator can evaluate from
                                    this view and its iterator); a validator must refuse the certificate if non-zero */
    scepkit_bytes sig_alg_oid; /**< signatureAlgorithm OID contents */
    scepkit_sig_alg sig_alg;   /**< SCEPKIT_SIG_UNKNOWN for algorithms not verifiable here (PSS, ...) */
    scepkit_md sig_md;         /**< digest named by the signature algorithm */
    scepkit_bytes signature;   /**< signatureValue bits (after the unused-bits octet) */
} scepkit_x509;

/**
 * Parses a DER certificate that fills `der` exactly. Pure function of its bytes: no crypto, no
 * allocation. On error `*out` is zeroed.
 * @return SCEPKIT_OK, DER errors (SCEPKIT_ERR_DER_*), SCEPKIT_ERR_X509_VERSION,
 *         SCEPKIT_ERR_X509_EXTENSION, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_x509_parse(scepkit_bytes der, scepkit_x509 *out);

/** Iterator over a certificate's extensions. Start with `{0}`. */
typedef struct scepkit_x509_iter {
    scepkit_bytes rest;
    int started;
} scepkit_x509_iter;

/**
 * Next extension of `cert` (known or not); `ext->value` is the extnValue contents.
 * @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_x509_next_extension(const scepkit_x509 *cert, scepkit_x509_iter *it,
                                                    scepkit_extension *ext);

/**
 * True (1) when `cert` is the certificate named by an issuerAndSerialNumber: issuer Name DER
 * bytes and serial INTEGER contents equal. 0 otherwise.
 */
SCEPKIT_API int scepkit_x509_matches_issuer_serial(const scepkit_x509 *cert, scepkit_bytes issuer,
                                                   scepkit_bytes serial);

/**
 * Verifies the signature on `cert` with the issuer's SubjectPublicKeyInfo `issuer_spki`
 * (pass `cert->spki` for a self-signed certificate).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_UNKNOWN_ALGORITHM (PSS and others),
 *         SCEPKIT_ERR_ALGORITHM_MISMATCH (e.g. ECDSA signature, RSA key), SCEPKIT_ERR_LEGACY_DISABLED
 *         (MD5 without `allow_legacy`), SCEPKIT_ERR_KEY_PARSE, SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_x509_verify_signature(const scepkit_x509 *cert, scepkit_bytes issuer_spki,
                                                      int allow_legacy);

/* ---------------------------------------------------------------------------------------------- */
/* Writing certificates and CRLs (a CA, and a client's self-signed SCEP signer) */

/** A certificate to issue. Zero-initialise, then set what applies. */
typedef struct scepkit_x509_params {
    scepkit_bytes
        serial;            /**< positive serial as a big-endian magnitude (1..20 bytes; leading zeros stripped; at most
                                20 octets once encoded, so a 20-byte magnitude needs its top bit clear, RFC 5280 4.1.2.2) */
    scepkit_bytes issuer;  /**< issuer Name DER (tag included) */
    scepkit_bytes subject; /**< subject Name DER (tag included) */
    scepkit_bytes spki;    /**< subject's SubjectPublicKeyInfo DER */
    int64_t not_before;    /**< seconds since 1970 UTC */
    int64_t not_after;
    int is_ca;                 /**< basicConstraints cA=TRUE (critical) */
    int path_len;              /**< pathLenConstraint when is_ca and >= 0; -1 for none */
    uint32_t key_usage;        /**< SCEPKIT_KU_* bits, 0 = no keyUsage (critical when present) */
    const scepkit_bytes *ekus; /**< extendedKeyUsage OID contents */
    size_t eku_count;
    scepkit_bytes san_der; /**< subjectAltName GeneralNames DER (e.g. scepkit_csr.san), empty for none */
    int add_ski;           /**< add subjectKeyIdentifier (SHA-1 of the subjectPublicKey bits, RFC 5280 4.2.1.2 (1)) */
    scepkit_bytes aki_key_id;         /**< authorityKeyIdentifier keyIdentifier (the issuer's SKI), empty for none */
    scepkit_bytes crl_dp_uri;         /**< cRLDistributionPoints with one URI, empty for none */
    scepkit_bytes aia_ca_issuers_uri; /**< authorityInfoAccess caIssuers URI, empty for none */
    scepkit_bytes aia_ocsp_uri;       /**< authorityInfoAccess OCSP URI, empty for none */
    const scepkit_bytes *extra_extensions; /**< whole DER Extension SEQUENCEs appended as given */
    size_t extra_extension_count;
    scepkit_md md; /**< signature digest; NONE = SHA-256 */
} scepkit_x509_params;

/** Worst-case scratch for scepkit_x509_write() and scepkit_crl_write(). */
#define SCEPKIT_X509_WRITE_SCRATCH (SCEPKIT_MAX_SPKI_SIZE + SCEPKIT_MAX_SIG_SIZE + 64)

/**
 * Builds a v3 certificate and signs it with `issuer_key` (the issuer's key port: RSA PKCS#1 v1.5
 * or ECDSA, by the issuer key's type). Size-only pass with `out` NULL; nothing is signed unless
 * `cap` holds the size the size pass reports (an upper bound for ECDSA).
 * Extensions written: basicConstraints (critical, only when `is_ca`), keyUsage (critical),
 * extendedKeyUsage, subjectAltName (critical when the subject is empty, which needs a SAN),
 * subjectKeyIdentifier, authorityKeyIdentifier (keyIdentifier only), cRLDistributionPoints (one URI),
 * authorityInfoAccess (OCSP, caIssuers), then `extra_extensions`, which may not repeat one of these.
 * Digests: SHA-256 (default), SHA-384, SHA-512; SHA-1 gives SCEPKIT_ERR_UNSUPPORTED, MD5
 * SCEPKIT_ERR_LEGACY_DISABLED. Not supported: issuer/subject unique IDs, v1/v2 output, RSASSA-PSS.
 * Security considerations: the caller decides what goes into a certificate; this writer checks
 * encodings, not policy (copying a CSR's requested extensions is the CA's decision).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_ARENA_EXHAUSTED,
 *         SCEPKIT_ERR_ARG, SCEPKIT_ERR_X509_EXTENSION (an extra extension malformed or repeated),
 *         SCEPKIT_ERR_DER_VALUE (a date outside 0000..9999), SCEPKIT_ERR_UNSUPPORTED, SCEPKIT_ERR_LEGACY_DISABLED,
 *         SCEPKIT_ERR_KEY_TYPE, key port errors. On error `out` is wiped.
 */
SCEPKIT_API scepkit_err scepkit_x509_write(const scepkit_x509_params *params, scepkit_key issuer_key,
                                           scepkit_arena *scratch, uint8_t *out, size_t cap, size_t *len);

/** One revoked certificate. */
typedef struct scepkit_crl_entry {
    scepkit_bytes serial; /**< big-endian magnitude */
    int64_t revoked_at;
    int reason; /**< CRLReason code (RFC 5280 5.3.1), -1 for none */
} scepkit_crl_entry;

/** A CRL to issue. */
typedef struct scepkit_crl_params {
    scepkit_bytes issuer; /**< issuer Name DER */
    int64_t this_update;
    int64_t next_update;
    uint64_t crl_number;
    scepkit_bytes aki_key_id; /**< issuer SKI, empty for none */
    const scepkit_crl_entry *entries;
    size_t entry_count;
    scepkit_md md; /**< NONE = SHA-256 */
} scepkit_crl_params;

/** Builds a v2 CRL signed with `issuer_key`. Same conventions as scepkit_x509_write(). nextUpdate is always
 *  written (RFC 5280 5.1.2.5), revokedCertificates is omitted when empty, crlExtensions hold the cRLNumber and,
 *  when given, the authorityKeyIdentifier; an entry's reasonCode (0..10 except 7) is written when >= 0.
 *  @return as scepkit_x509_write(); SCEPKIT_ERR_ARG for a zero or oversized serial, a reason out of range,
 *          next_update before this_update. */
SCEPKIT_API scepkit_err scepkit_crl_write(const scepkit_crl_params *params, scepkit_key issuer_key,
                                          scepkit_arena *scratch, uint8_t *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
