/**
 * @file cms.h
 * @brief CMS / PKCS#7 (RFC 5652) as SCEP (RFC 8894) uses it: SignedData, EnvelopedData and
 *        degenerate certs-only SignedData.
 *
 * Supported:
 * - SignedData parse (DER, or BER with ::SCEPKIT_CMS_BER: indefinite lengths and constructed
 *   OCTET STRINGs as `openssl cms -stream` writes), zero-copy views of the encapsulated content,
 *   certificates, CRLs, signer and signed attributes; several certificates; signer identified by
 *   issuerAndSerialNumber or subjectKeyIdentifier.
 * - SignedData verify: one signer; signer certificate found among the embedded certificates or
 *   among certificates the caller supplies; contentType and messageDigest attributes checked;
 *   signature over the DER SET OF re-encoding of the signed attributes (or over the content when
 *   there are none); digests SHA-1/256/384/512 (MD5 only with `allow_legacy`); RSA PKCS#1 v1.5
 *   with shaNWithRSAEncryption or plain rsaEncryption as signatureAlgorithm, and ECDSA.
 * - SignedData write: content of type `data`, embedded; signed attributes contentType,
 *   messageDigest, optional signingTime and any caller attributes, DER-sorted; one signer by
 *   issuerAndSerialNumber; certificates and CRLs; signature through the key port.
 * - Certs-only SignedData (RFC 8894 §3.4): write and parse (content absent, no signer).
 * - EnvelopedData write: KeyTransRecipientInfo (issuerAndSerialNumber or subjectKeyIdentifier),
 *   RSA PKCS#1 v1.5 (default) or RSAES-OAEP; PasswordRecipientInfo (RFC 3211, PBKDF2 +
 *   id-alg-PWRI-KEK); content AES-128 (default), AES-192, AES-256 or DES-EDE3 in CBC mode.
 * - EnvelopedData open: the same recipient kinds, the CEK unwrapped by the key port through
 *   scepkit_key_unwrap_cek(); primitive or BER-constructed encryptedContent decrypted in a stream;
 *   single DES-CBC content only when `allow_legacy` is set (micromdm answers with it).
 *
 * Not supported: detached-content signing, several signers (parse lists them; verify refuses),
 * counter-signatures and unsigned attributes (kept as raw views only), attribute certificates and
 * "other" certificate/CRL formats (skipped by the iterators), RSASSA-PSS, KeyAgreeRecipientInfo
 * (ECDH), KEKRecipientInfo, AuthenticatedData, AuthEnvelopedData (AES-GCM), EncryptedData,
 * DigestedData, compressed data, BER output (the writers emit DER only), eContentType other than
 * `data` on the writer side.
 *
 * Security considerations:
 * - scepkit_cms_signed_parse() checks structure only. scepkit_cms_signed_verify() proves that the
 *   holder of the signer certificate's key signed the content; when the certificate comes from
 *   the message itself (no certificates supplied) that proves nothing about who the signer is:
 *   the caller must decide whether to trust the returned signer certificate.
 * - Verification fails closed: every failure is an error, never a silent pass.
 * - RSA PKCS#1 v1.5 key transport is unwrapped through scepkit_key_unwrap_cek(), so a wrong key or
 *   a bad padding continues with a random key and shows up as SCEPKIT_ERR_DECRYPT from the content
 *   padding (no Bleichenbacher oracle, RFC 3218). As a consequence a wrong key yields a garbage
 *   plaintext with SCEPKIT_OK about once in 256 times: callers must parse the plaintext (SCEP does).
 * - EnvelopedData provides no integrity (CBC): only wrap it inside a SignedData (as SCEP does).
 * - On any error of an open/decrypt function the output buffer is wiped and `*len` is 0.
 * - Content-encryption keys, KEKs and derived keys live on the stack only and are wiped.
 */
#ifndef SCEPKIT_CMS_H
#define SCEPKIT_CMS_H

#include "scepkit/common.h"
#include "scepkit/crypto.h"
#include "scepkit/csr.h"
#include "scepkit/key.h"
#include "scepkit/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parse flag: accept BER (indefinite lengths, constructed OCTET STRINGs). Without it, strict DER. */
#define SCEPKIT_CMS_BER 0x01u

/** Generic iterator over a list inside a parsed structure. Start with `{0}`. */
typedef struct scepkit_cms_iter {
    scepkit_bytes rest;
    int started;
} scepkit_cms_iter;

/** How a SignerInfo or KeyTransRecipientInfo names its certificate. */
typedef enum scepkit_cms_id_type {
    SCEPKIT_CMS_ID_NONE = 0,
    SCEPKIT_CMS_ID_ISSUER_SERIAL = 1, /**< issuerAndSerialNumber */
    SCEPKIT_CMS_ID_SKI = 2,           /**< [0] subjectKeyIdentifier */
} scepkit_cms_id_type;

/** A certificate identifier (views into the message). */
typedef struct scepkit_cms_id {
    scepkit_cms_id_type type;
    scepkit_bytes issuer; /**< Name DER (tag included), ISSUER_SERIAL */
    scepkit_bytes serial; /**< INTEGER contents, ISSUER_SERIAL */
    scepkit_bytes ski;    /**< key identifier octets, SKI */
} scepkit_cms_id;

/** True (1) when `cert` is the certificate `id` names (byte comparison of issuer/serial or SKI). */
SCEPKIT_API int scepkit_cms_id_matches(const scepkit_cms_id *id, const scepkit_x509 *cert);

/* ---------------------------------------------------------------------------------------------- */
/* SignedData: parse and verify */

/** One SignerInfo (views into the message). */
typedef struct scepkit_cms_signer {
    int version; /**< 1 (issuerAndSerialNumber) or 3 (subjectKeyIdentifier) */
    scepkit_cms_id sid;
    scepkit_bytes digest_alg_oid;
    scepkit_md md;              /**< SCEPKIT_MD_NONE when the digest algorithm is unknown */
    scepkit_bytes signed_attrs; /**< the whole [0] element as received (tag 0xa0 included); empty when absent */
    scepkit_bytes sig_alg_oid;
    scepkit_sig_alg sig_alg; /**< SCEPKIT_SIG_UNKNOWN for algorithms not verifiable here */
    scepkit_md sig_md;       /**< digest named by the signature OID, NONE for plain rsaEncryption */
    scepkit_bytes signature;
    scepkit_bytes unsigned_attrs; /**< the whole [1] element, empty when absent (not interpreted) */
} scepkit_cms_signer;

/** A parsed SignedData: views into the caller's input, which must outlive it. */
typedef struct scepkit_cms_signed {
    scepkit_bytes der; /**< the whole ContentInfo */
    unsigned flags;    /**< the parse flags (SCEPKIT_CMS_BER) */
    int version;
    scepkit_bytes econtent_type; /**< eContentType OID contents */
    int has_content;             /**< eContent present (0: detached or certs-only) */
    int content_constructed;     /**< eContent is a BER constructed OCTET STRING: use the content iterator/copy */
    scepkit_bytes content;       /**< eContent octets when primitive (empty when constructed or absent) */
    size_t content_len;          /**< total eContent length, any form */
    scepkit_bytes econtent_tlv;  /**< the eContent OCTET STRING element (for the iterator) */
    scepkit_bytes digest_algs;   /**< contents of digestAlgorithms */
    scepkit_bytes certificates;  /**< contents of [0] certificates (empty when absent) */
    int has_certificates;
    scepkit_bytes crls; /**< contents of [1] crls (empty when absent) */
    int has_crls;
    scepkit_bytes signer_infos; /**< contents of signerInfos */
    size_t signer_count;
    scepkit_cms_signer signer; /**< the first SignerInfo, when signer_count > 0 */
} scepkit_cms_signed;

/**
 * Parses a ContentInfo holding SignedData. Pure function of its bytes (no crypto, no allocation).
 * Checks the structure of every SignerInfo and attribute list; the whole of `in` must be used.
 * @param flags  0 for strict DER, SCEPKIT_CMS_BER to accept BER.
 * @return SCEPKIT_OK, SCEPKIT_ERR_DER_*, SCEPKIT_ERR_CMS_CONTENT_TYPE (not signedData),
 *         SCEPKIT_ERR_CMS_VERSION, SCEPKIT_ERR_CMS_ATTRIBUTE, SCEPKIT_ERR_ARG. On error `*out` is zeroed.
 */
SCEPKIT_API scepkit_err scepkit_cms_signed_parse(scepkit_bytes in, unsigned flags, scepkit_cms_signed *out);

/** Iterator over the segments of the encapsulated content (one segment when primitive). */
typedef struct scepkit_cms_content_iter {
    union {
        uint64_t u64[24];
        void *ptr;
    } opaque; /**< treat as opaque */
} scepkit_cms_content_iter;

/** Starts iterating the content segments. @return SCEPKIT_OK, SCEPKIT_ERR_CMS_NO_CONTENT, DER errors. */
SCEPKIT_API scepkit_err scepkit_cms_content_iter_init(const scepkit_cms_signed *sd, scepkit_cms_content_iter *it);
/** Next content segment (a view into the message). @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors. */
SCEPKIT_API scepkit_err scepkit_cms_content_next(scepkit_cms_content_iter *it, scepkit_bytes *seg);
/**
 * Copies the whole content (any form) into `out`.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_CMS_NO_CONTENT, DER errors.
 */
SCEPKIT_API scepkit_err scepkit_cms_content_copy(const scepkit_cms_signed *sd, uint8_t *out, size_t cap, size_t *len);

/** Next certificate DER (CertificateChoices other than `certificate` are skipped).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors. */
SCEPKIT_API scepkit_err scepkit_cms_next_cert(const scepkit_cms_signed *sd, scepkit_cms_iter *it, scepkit_bytes *cert);
/** Next CRL DER (CertificateList; `other` RevocationInfoChoices are skipped).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors. */
SCEPKIT_API scepkit_err scepkit_cms_next_crl(const scepkit_cms_signed *sd, scepkit_cms_iter *it, scepkit_bytes *crl);
/** Next SignerInfo. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER and CMS errors. */
SCEPKIT_API scepkit_err scepkit_cms_next_signer(const scepkit_cms_signed *sd, scepkit_cms_iter *it,
                                                scepkit_cms_signer *signer);

/** One attribute: type and the contents of its SET OF values. */
typedef struct scepkit_cms_attr {
    scepkit_bytes oid;    /**< attrType OID contents */
    scepkit_bytes values; /**< contents of attrValues (one or more DER values) */
    scepkit_bytes raw;    /**< the whole Attribute SEQUENCE */
} scepkit_cms_attr;

/**
 * Next signed attribute of `signer`. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end,
 * SCEPKIT_ERR_CMS_ATTRIBUTE (malformed), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_cms_next_attr(const scepkit_cms_signer *signer, scepkit_cms_iter *it,
                                              scepkit_cms_attr *attr);

/**
 * Finds the signed attribute `oid` (contents bytes) and returns its single value (whole DER element).
 * @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND, SCEPKIT_ERR_CMS_ATTRIBUTE (present twice, or not exactly one value).
 */
SCEPKIT_API scepkit_err scepkit_cms_find_attr(const scepkit_cms_signer *signer, scepkit_bytes oid,
                                              scepkit_bytes *value);

/** What to verify a SignedData against. Zero-initialise, then set what applies. */
typedef struct scepkit_cms_verify_params {
    const scepkit_bytes *signer_certs; /**< candidate signer certificates (DER); NULL: use the embedded ones */
    size_t signer_cert_count;
    scepkit_bytes detached_content; /**< the content when the SignedData carries none (detached signature) */
    int allow_legacy;               /**< accept MD5 digests */
} scepkit_cms_verify_params;

/**
 * Verifies the one SignerInfo of `sd`. Needs no scratch: digests are streamed.
 * Order of checks: signer certificate found; algorithms known and consistent with the key; signature
 * over the signed attributes; contentType attribute equals eContentType; messageDigest equals the
 * digest of the content. Only when all hold is SCEPKIT_OK returned.
 * @param params  may be NULL (embedded certificates, no detached content, no legacy)
 * @param signer  optional: receives the view of the signer certificate (into the message or the
 *                caller's certificates)
 * @return SCEPKIT_OK, SCEPKIT_ERR_CMS_NO_SIGNER, SCEPKIT_ERR_CMS_SIGNER_COUNT, SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND,
 *         SCEPKIT_ERR_CMS_NO_CONTENT, SCEPKIT_ERR_UNKNOWN_ALGORITHM, SCEPKIT_ERR_ALGORITHM_MISMATCH,
 *         SCEPKIT_ERR_LEGACY_DISABLED, SCEPKIT_ERR_BAD_SIGNATURE, SCEPKIT_ERR_CMS_ATTRIBUTE,
 *         SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH, SCEPKIT_ERR_CMS_DIGEST_MISMATCH, SCEPKIT_ERR_KEY_PARSE,
 *         SCEPKIT_ERR_KEY_TYPE, DER and X.509 errors, SCEPKIT_ERR_BACKEND, SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_cms_signed_verify(const scepkit_cms_signed *sd, const scepkit_cms_verify_params *params,
                                                  scepkit_x509 *signer);

/* ---------------------------------------------------------------------------------------------- */
/* SignedData: write */

/** How the signatureAlgorithm of an RSA SignerInfo is written. */
typedef enum scepkit_cms_sig_style {
    SCEPKIT_CMS_SIG_NAMED = 0,          /**< sha256WithRSAEncryption etc. (and ecdsa-with-SHAn for EC keys) */
    SCEPKIT_CMS_SIG_RSA_ENCRYPTION = 1, /**< plain rsaEncryption, as some older peers expect (RSA keys only) */
} scepkit_cms_sig_style;

/** Everything a SignedData needs. Zero-initialise, then set what applies. */
typedef struct scepkit_cms_signed_params {
    scepkit_bytes content;     /**< encapsulated content, type `data` (may be empty) */
    scepkit_md md;             /**< digest; SCEPKIT_MD_NONE means SHA-256; MD5 refused */
    scepkit_bytes signer_cert; /**< DER certificate of the signer: issuer, serial and key type come from it */
    scepkit_key key;           /**< the signer's key port (sign_digest) */
    scepkit_cms_sig_style sig_style;
    int with_signing_time;      /**< add signingTime */
    int64_t signing_time;       /**< seconds since 1970 UTC */
    const scepkit_bytes *attrs; /**< extra signed attributes, each a whole DER Attribute SEQUENCE */
    size_t attr_count;
    const scepkit_bytes *certs; /**< certificates to embed (DER), in this order */
    size_t cert_count;
    const scepkit_bytes *crls; /**< CRLs to embed (DER) */
    size_t crl_count;
} scepkit_cms_signed_params;

/** Worst-case scratch for scepkit_cms_signed_write() when the extra attributes total `attr_bytes` bytes. */
#define SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(attr_bytes) (SCEPKIT_MAX_SIG_SIZE + 256 + 16 + (size_t)(attr_bytes))

/**
 * Builds and signs a SignedData ContentInfo into `out` (DER, starting at out[0]).
 * A size-only pass (`out` NULL) does not call the key and reports an upper bound for ECDSA.
 * @param scratch  arena with SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(sum of attrs[i].len) bytes free;
 *                 everything taken is released (and wiped) before return
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_ARENA_EXHAUSTED,
 *         SCEPKIT_ERR_CMS_ATTRIBUTE (an extra attribute is malformed or duplicates a generated one),
 *         SCEPKIT_ERR_LEGACY_DISABLED (MD5), SCEPKIT_ERR_KEY_TYPE, SCEPKIT_ERR_ALGORITHM_MISMATCH
 *         (rsaEncryption style with an EC key), X.509 errors for `signer_cert`, key port errors,
 *         SCEPKIT_ERR_ARG. On error `out` is wiped.
 */
SCEPKIT_API scepkit_err scepkit_cms_signed_write(const scepkit_cms_signed_params *params, scepkit_arena *scratch,
                                                 uint8_t *out, size_t cap, size_t *len);

/**
 * Builds a degenerate certs-only SignedData (RFC 8894 §3.4, RFC 5652 §5.2: no content, no
 * signer) carrying `certs` and `crls` (either may be empty).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_DER_* (an
 *         element is not one DER SEQUENCE), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_cms_certs_only_write(const scepkit_bytes *certs, size_t cert_count,
                                                     const scepkit_bytes *crls, size_t crl_count, uint8_t *out,
                                                     size_t cap, size_t *len);

/* ---------------------------------------------------------------------------------------------- */
/* EnvelopedData */

/** One key-transport recipient for the writer. */
typedef struct scepkit_cms_recipient {
    scepkit_bytes cert;  /**< recipient certificate (DER, RSA key); rid and public key come from it */
    scepkit_rsa_pad pad; /**< 0 or SCEPKIT_RSA_PKCS1_V15 (default), or SCEPKIT_RSA_OAEP */
    scepkit_md oaep_md;  /**< OAEP hash and MGF1 hash; SCEPKIT_MD_NONE means SHA-256 */
    int use_ski;         /**< identify by subjectKeyIdentifier (the certificate must have one) */
} scepkit_cms_recipient;

/** Everything an EnvelopedData needs. Zero-initialise, then set what applies. */
typedef struct scepkit_cms_enveloped_params {
    scepkit_bytes content;                   /**< plaintext (type `data`) */
    scepkit_cipher cipher;                   /**< SCEPKIT_CIPHER_NONE means AES-128-CBC; single DES refused */
    const scepkit_cms_recipient *recipients; /**< key-transport recipients */
    size_t recipient_count;
    scepkit_bytes password;     /**< non-empty: add a PasswordRecipientInfo keyed by it (RFC 3211) */
    uint32_t pbkdf2_iterations; /**< 0 means 10000 */
    scepkit_md pbkdf2_md;       /**< PBKDF2 PRF; NONE means HMAC-SHA-256 */
    scepkit_rng rng;            /**< CEK, IVs, salt, padding */
} scepkit_cms_enveloped_params;

/**
 * Encrypts `content` under a fresh random key for every recipient and writes the EnvelopedData
 * ContentInfo (DER) into `out`. Needs no scratch (the CEK lives on the stack and is wiped).
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed), SCEPKIT_ERR_UNSUPPORTED
 *         (single DES, unknown cipher), SCEPKIT_ERR_KEY_TYPE (recipient key not RSA),
 *         SCEPKIT_ERR_X509_EXTENSION (use_ski without a subjectKeyIdentifier), X.509 errors,
 *         SCEPKIT_ERR_RNG, SCEPKIT_ERR_BACKEND, SCEPKIT_ERR_DISABLED (OAEP compiled out), SCEPKIT_ERR_ARG.
 *         On error `out` is wiped.
 */
SCEPKIT_API scepkit_err scepkit_cms_enveloped_write(const scepkit_cms_enveloped_params *params, uint8_t *out,
                                                    size_t cap, size_t *len);

/** Kinds of RecipientInfo. */
typedef enum scepkit_cms_ri_type {
    SCEPKIT_CMS_RI_KTRI = 1,  /**< KeyTransRecipientInfo */
    SCEPKIT_CMS_RI_PWRI = 3,  /**< [3] PasswordRecipientInfo */
    SCEPKIT_CMS_RI_OTHER = 9, /**< kari, kekri, ori: listed, never used */
} scepkit_cms_ri_type;

/** One RecipientInfo (views into the message). */
typedef struct scepkit_cms_recipient_info {
    scepkit_cms_ri_type type;
    int version;
    scepkit_cms_id rid;            /**< KTRI */
    scepkit_bytes key_enc_alg_oid; /**< keyEncryptionAlgorithm OID */
    scepkit_bytes key_enc_params;  /**< its parameters element (empty when absent) */
    scepkit_bytes key_deriv_alg;   /**< PWRI: the [0] keyDerivationAlgorithm element (empty when absent) */
    scepkit_bytes encrypted_key;
    scepkit_bytes raw; /**< the whole RecipientInfo element */
} scepkit_cms_recipient_info;

/** A parsed EnvelopedData: views into the caller's input, which must outlive it. */
typedef struct scepkit_cms_enveloped {
    scepkit_bytes der;
    unsigned flags;
    int version;
    scepkit_bytes recipient_infos; /**< contents of the recipientInfos SET */
    size_t recipient_count;
    scepkit_bytes content_type;  /**< encryptedContentInfo contentType */
    scepkit_bytes cipher_oid;    /**< contentEncryptionAlgorithm OID */
    scepkit_cipher cipher;       /**< SCEPKIT_CIPHER_NONE when unknown */
    scepkit_bytes iv;            /**< the IV parameter (valid when cipher is known) */
    scepkit_bytes encrypted_tlv; /**< the [0] encryptedContent element (primitive or constructed) */
    size_t encrypted_len;        /**< its total length, any form */
} scepkit_cms_enveloped;

/**
 * Parses a ContentInfo holding EnvelopedData. Pure (no crypto). Unknown content ciphers are not an
 * error here (cipher NONE); scepkit_cms_enveloped_open() refuses them.
 * @return SCEPKIT_OK, SCEPKIT_ERR_DER_*, SCEPKIT_ERR_CMS_CONTENT_TYPE, SCEPKIT_ERR_CMS_VERSION,
 *         SCEPKIT_ERR_CMS_NO_CONTENT (encryptedContent absent), SCEPKIT_ERR_ARG. On error `*out` is zeroed.
 */
SCEPKIT_API scepkit_err scepkit_cms_enveloped_parse(scepkit_bytes in, unsigned flags, scepkit_cms_enveloped *out);

/** Next RecipientInfo. @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, DER errors. */
SCEPKIT_API scepkit_err scepkit_cms_next_recipient(const scepkit_cms_enveloped *env, scepkit_cms_iter *it,
                                                   scepkit_cms_recipient_info *ri);

/** How to open an EnvelopedData. Zero-initialise, then set what applies. */
typedef struct scepkit_cms_open_params {
    scepkit_bytes cert;     /**< our certificate (DER): picks the KeyTransRecipientInfo by issuerAndSerialNumber or SKI.
                                 Empty: the first KeyTransRecipientInfo is used. */
    scepkit_key key;        /**< our key port (decrypt); may be empty when `password` is used */
    scepkit_bytes password; /**< non-empty: use the PasswordRecipientInfo instead */
    scepkit_rng rng;        /**< for scepkit_key_unwrap_cek()'s substitute key */
    int allow_legacy;       /**< accept single DES-CBC content */
} scepkit_cms_open_params;

/**
 * Decrypts the content of an EnvelopedData into `out`.
 * `cap` must be at least the encrypted content length (an upper bound of the plaintext): otherwise
 * SCEPKIT_ERR_BUFFER_TOO_SMALL with `*len` = that length, before any key operation.
 * @param flags  0 or SCEPKIT_CMS_BER.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL, SCEPKIT_ERR_CMS_NO_RECIPIENT, SCEPKIT_ERR_UNKNOWN_ALGORITHM
 *         (content or key-encryption algorithm), SCEPKIT_ERR_UNSUPPORTED (OAEP parameters scepkit cannot use),
 *         SCEPKIT_ERR_LEGACY_DISABLED (single DES without `allow_legacy`), SCEPKIT_ERR_DECRYPT (wrong key, bad
 *         padding, bad length: one code, no oracle), key port errors (SCEPKIT_ERR_KEY_OP_MISSING,
 *         SCEPKIT_ERR_KEY_WOULD_BLOCK), SCEPKIT_ERR_RNG, DER and CMS parse errors, SCEPKIT_ERR_ARG.
 *         On error `out[0..cap)` is wiped and `*len` is 0.
 */
SCEPKIT_API scepkit_err scepkit_cms_enveloped_open(scepkit_bytes in, unsigned flags,
                                                   const scepkit_cms_open_params *params, uint8_t *out, size_t cap,
                                                   size_t *len);

#ifdef __cplusplus
}
#endif
#endif
