/**
 * @file ca.h
 * @brief The CA signer port (pluggable CA back-end), certificate profiles, and the built-in software CA.
 *
 * The SCEP handler (server.h) decides *whether* a request may be served; the CA port decides
 * *what* gets issued and issues it. Products plug an AD CS bridge, an HSM-backed CA or a remote
 * CA in here; scepkit ships ::scepkit_softca, a CA on the library's certificate and CRL writers
 * whose key is reached only through the key port (so it may live in an HSM).
 *
 * Profiles are the equivalent of NDES certificate templates chosen by purpose: Signature
 * (digitalSignature), Encryption (keyEncipherment), Signature and encryption (both). They list the
 * extended key usages (clientAuth when none is given), never add nonRepudiation unless asked
 * (Apple clients reject it), say which subject attributes and subjectAltName types are copied from
 * the request, and bound the validity (a client may ask for a shorter or longer one only when the
 * profile allows it, like AD CS's EDITF_ATTRIBUTEENDDATE).
 *
 * Supported: RSA and EC CA keys through the key port; 128-bit random serials claimed in the store
 * (unique across processes, never reused); SKI, AKI, keyUsage, extendedKeyUsage, subjectAltName,
 * optional CRL distribution point and AIA (caIssuers, OCSP); v2 CRLs with CRL number and reason
 * codes. Not supported: name constraints, certificate policies, OCSP responses, delta CRLs,
 * indirect CRLs, key archival.
 *
 * Security considerations: the software CA copies from a request only what the profile allows:
 * subject attributes by type, subjectAltName entries by type, never the requested keyUsage,
 * extendedKeyUsage, basicConstraints or any other requested extension. It never issues a CA
 * certificate. The CA key port is called under a mutex unless the caller declares it
 * thread-safe. Validity never exceeds the CA certificate's own notAfter.
 */
#ifndef SCEPKIT_CA_H
#define SCEPKIT_CA_H

#include <pthread.h>

#include "scepkit/common.h"
#include "scepkit/csr.h"
#include "scepkit/key.h"
#include "scepkit/scep.h"
#include "scepkit/store.h"
#include "scepkit/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Profiles */

/** What a certificate is for (NDES chooses its template by this). Values are stable. */
typedef enum scepkit_purpose {
    SCEPKIT_PURPOSE_SIGNATURE_AND_ENCRYPTION = 0, /**< digitalSignature + keyEncipherment (the default) */
    SCEPKIT_PURPOSE_SIGNATURE = 1,                /**< digitalSignature */
    SCEPKIT_PURPOSE_ENCRYPTION = 2,               /**< keyEncipherment */
} scepkit_purpose;

/** subjectAltName types a profile may copy from the request (bit set). */
#define SCEPKIT_PROFILE_SAN_DNS (1u << 0)
#define SCEPKIT_PROFILE_SAN_EMAIL (1u << 1)
#define SCEPKIT_PROFILE_SAN_URI (1u << 2)
#define SCEPKIT_PROFILE_SAN_IP (1u << 3)
#define SCEPKIT_PROFILE_SAN_UPN (1u << 4)
/** Default: DNS, email, URI, IP and UPN (every type a device meaningfully asks for). */
#define SCEPKIT_PROFILE_SAN_DEFAULT 0x1fu

/** A certificate profile (template). Zero-initialise, then set what applies. */
typedef struct scepkit_profile {
    const char *name; /**< unique, 1..SCEPKIT_PROFILE_NAME_MAX characters */
    scepkit_purpose purpose;
    int non_repudiation;       /**< add nonRepudiation to keyUsage (off by default: Apple rejects it) */
    const scepkit_bytes *ekus; /**< extendedKeyUsage OID contents; NULL/0: clientAuth */
    size_t eku_count;
    int no_eku;                         /**< write no extendedKeyUsage at all (overrides the default clientAuth) */
    int64_t validity;                   /**< seconds; 0 means one year (365 days) */
    int allow_requested_validity;       /**< honour a validity end asked for by the request (EDITF_ATTRIBUTEENDDATE) */
    int64_t max_validity;               /**< upper bound for a requested validity, seconds; 0: `validity` */
    int64_t backdate;                   /**< notBefore = now - backdate (clock skew of clients); 0 means 300 s */
    const scepkit_bytes *subject_attrs; /**< subject attribute OIDs copied from the request; NULL/0: all */
    size_t subject_attr_count;
    unsigned san_types; /**< SCEPKIT_PROFILE_SAN_* copied from the request; 0 means SCEPKIT_PROFILE_SAN_DEFAULT */
    int no_sans;        /**< copy no subjectAltName at all (overrides `san_types`) */
    scepkit_md md;      /**< signature digest; NONE = SHA-256 */
} scepkit_profile;

/** The profile for a request's keyUsage, NDES-style: digitalSignature alone -> SIGNATURE, keyEncipherment
 *  alone -> ENCRYPTION, anything else -> SIGNATURE_AND_ENCRYPTION; then the first profile of that purpose,
 *  else the first profile. NULL when `count` is 0. */
SCEPKIT_API const scepkit_profile *scepkit_profile_for_request(const scepkit_profile *profiles, size_t count,
                                                               const scepkit_csr *csr);
/** The profile named `name` (exact match), NULL if none. */
SCEPKIT_API const scepkit_profile *scepkit_profile_find(const scepkit_profile *profiles, size_t count,
                                                        scepkit_bytes name);

/* ---------------------------------------------------------------------------------------------- */
/* The CA port */

/** What the handler hands the CA: a request it has authenticated and authorised. */
typedef struct scepkit_ca_request {
    scepkit_msg_type type;        /**< PKCSREQ or RENEWALREQ */
    const scepkit_csr *csr;       /**< parsed, signature verified */
    scepkit_bytes transaction_id; /**< the same on a retry or a poll: a CA that queues must answer idempotently */
    scepkit_bytes signer_cert;    /**< the certificate that signed the pkiMessage (the old one for renewals) */
    int64_t now;                  /**< seconds since 1970 */
    int64_t not_after;            /**< requested validity end, 0 for none (honoured only if the profile allows) */
} scepkit_ca_request;

/** Outcome of issue(). */
typedef enum scepkit_ca_outcome {
    SCEPKIT_CA_REJECTED = 0, /**< refused: `fail_info`/`fail_text` say why */
    SCEPKIT_CA_ISSUED = 1,   /**< certificate written to the caller's buffer */
    SCEPKIT_CA_PENDING = 2,  /**< queued (remote CA): the handler asks again on CertPoll */
} scepkit_ca_outcome;

/** Result of issue(). The handler zeroes it (REJECTED, badRequest) before the call. */
typedef struct scepkit_ca_result {
    scepkit_ca_outcome outcome;
    size_t cert_len;                           /**< ISSUED: bytes written to `out` */
    scepkit_fail_info fail_info;               /**< REJECTED */
    char fail_text[SCEPKIT_FAIL_TEXT_MAX + 1]; /**< REJECTED, may be empty */
} scepkit_ca_result;

/**
 * CA operations. `self` first; every op returns ::scepkit_err (an error means the CA could not
 * decide, e.g. it is unreachable: the handler answers HTTP 500 and records nothing); a NULL op
 * means "not supported". Every op must be safe to call from several threads at once.
 */
typedef struct scepkit_ca_ops {
    /** Decides and, if it issues, writes the certificate DER into `out`. */
    scepkit_err (*issue)(void *self, const scepkit_ca_request *req, const scepkit_profile *profile, uint8_t *out,
                         size_t cap, scepkit_ca_result *res);
    /** The certificate named by issuer Name DER and serial (INTEGER contents or magnitude); SCEPKIT_ERR_NOT_FOUND. */
    scepkit_err (*get_cert)(void *self, scepkit_bytes issuer, scepkit_bytes serial, uint8_t *out, size_t cap,
                            size_t *len);
    /** A current CRL (DER) for the CA named `issuer`; SCEPKIT_ERR_NOT_FOUND for another issuer. */
    scepkit_err (*get_crl)(void *self, scepkit_bytes issuer, uint8_t *out, size_t cap, size_t *len);
    /** Revokes the certificate with `serial` (magnitude) for CRLReason `reason` (-1 for none). */
    scepkit_err (*revoke)(void *self, scepkit_bytes serial, int reason);
} scepkit_ca_ops;

/** A CA: ops plus the implementation's context. */
typedef struct scepkit_ca {
    const scepkit_ca_ops *ops;
    void *self;
} scepkit_ca;

/* ---------------------------------------------------------------------------------------------- */
/* The software CA */

/** Configuration of the software CA. Zero-initialise, then set what applies. Everything pointed to must
 *  outlive the CA. */
typedef struct scepkit_softca_config {
    scepkit_bytes ca_cert;            /**< CA certificate DER (issuer name, SKI for the AKI, validity bound) */
    scepkit_key ca_key;               /**< its key port (sign_digest) */
    int key_thread_safe;              /**< the key port may be called concurrently (else calls are serialised) */
    scepkit_store store;              /**< serials, index, revocations, CRL number */
    scepkit_rng rng;                  /**< serials; must be safe to call from several threads (scepkit_locked_rng) */
    scepkit_clock clock;              /**< NULL ops: system time */
    scepkit_bytes crl_dp_uri;         /**< cRLDistributionPoints URI in issued certificates, empty for none */
    scepkit_bytes aia_ca_issuers_uri; /**< authorityInfoAccess caIssuers URI, empty for none */
    scepkit_bytes aia_ocsp_uri;       /**< authorityInfoAccess OCSP URI, empty for none */
    int64_t crl_validity;             /**< nextUpdate - thisUpdate, seconds; 0 means 7 days */
    scepkit_md crl_md;                /**< CRL signature digest; NONE = SHA-256 */
} scepkit_softca_config;

/** The software CA: caller-owned, do not copy or move once initialised. */
typedef struct scepkit_softca {
    scepkit_softca_config cfg;
    scepkit_x509 ca; /**< parsed `cfg.ca_cert` */
    pthread_mutex_t key_mu;
    int initialised;
} scepkit_softca;

/** Random serial length the software CA issues (bytes; the top bit is cleared, the second set: 127 random bits). */
#define SCEPKIT_SOFTCA_SERIAL_LEN 16

/**
 * Sets up a software CA. Checks that the CA certificate parses and that the key port and store are set.
 * @return SCEPKIT_OK, SCEPKIT_ERR_SERVER_CONFIG, X.509 errors, SCEPKIT_ERR_ARG. scepkit_softca_free() is safe
 *         after any result.
 */
SCEPKIT_API scepkit_err scepkit_softca_init(scepkit_softca *sc, const scepkit_softca_config *cfg);

/** The CA port of an initialised software CA. */
SCEPKIT_API scepkit_ca scepkit_softca_port(scepkit_softca *sc);

/** Releases the mutex. Safe twice and after a failed init. */
SCEPKIT_API void scepkit_softca_free(scepkit_softca *sc);

#ifdef __cplusplus
}
#endif
#endif
