/**
 * @file name.h
 * @brief X.501 distinguished names: from and to text, and iteration.
 *
 * Text form: `CN=dev1,O=Acme,C=US` (also `/CN=dev1/O=Acme/C=US`, OpenSSL's -subj form).
 * RDNs are encoded in the order written and printed in encoding order, so text
 * round-trips (the convention of strongSwan `pki --dn` and `openssl x509 -subject`;
 * RFC 4514's reversed order is not used, see docs/design.md).
 * Separators ',' '+' (multi-valued RDN) and '/'; values may use RFC 4514 escapes
 * (`\,` `\+` `\\` `\"` `\=` `\XX`) and surrounding spaces are trimmed.
 * Known attribute keys (case-insensitive): CN, SN, serialNumber, C, L, ST, street, O, OU,
 * title, GN, DC, UID, emailAddress (alias E), or a dotted OID.
 *
 * Value encoding: C and serialNumber as PrintableString, emailAddress and DC as IA5String,
 * everything else as UTF8String (RFC 5280 §4.1.2.6 advice).
 */
#ifndef SCEPKIT_NAME_H
#define SCEPKIT_NAME_H

#include "scepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One attribute of a name: OID contents bytes and the value (text as written; escapes resolved by the writer). */
typedef struct scepkit_name_attr {
    scepkit_bytes oid; /**< OID contents bytes (no tag/length) */
    scepkit_bytes
        value; /**< raw text (may contain RFC 4514 escapes if `escaped`) or, from the parser, the string contents */
    uint8_t string_tag;   /**< ASN.1 string tag; 0 = choose by attribute (writer); set by the parser */
    uint8_t escaped;      /**< value still contains backslash escapes (writer resolves them) */
    uint8_t multi_valued; /**< this attribute joins the previous one in the same RDN ('+') */
} scepkit_name_attr;

/** Maximum attributes a name string may have. */
#define SCEPKIT_NAME_MAX_ATTRS 32

/**
 * Splits a DN string into attributes (views into `text`, and OIDs into the library's table or,
 * for dotted keys, into `oid_store`, a caller buffer of `oid_store_cap` bytes, which may be NULL when
 * no dotted keys are used).
 * @return SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_ERR_DN_ATTRIBUTE, SCEPKIT_ERR_CSR_TOO_MANY (over `max`),
 *         SCEPKIT_ERR_BUFFER_TOO_SMALL (oid_store).
 */
SCEPKIT_API scepkit_err scepkit_name_from_string(scepkit_bytes text, scepkit_name_attr *attrs, size_t max,
                                                 size_t *count, uint8_t *oid_store, size_t oid_store_cap);

/**
 * Encodes a Name (SEQUENCE OF RDN) as DER. Attributes marked multi_valued join the previous RDN, which is
 * written as a DER SET OF (sorted). `out` may be NULL to ask for the size.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len` = size needed), SCEPKIT_ERR_DN_SYNTAX (bad escape,
 *         empty value, NUL, C not two letters, value not valid for its string type), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_name_write(const scepkit_name_attr *attrs, size_t count, uint8_t *out, size_t cap,
                                           size_t *len);

/** Iterator over the attributes of a DER Name. Start with `{0}` and the Name's DER (tag included). */
typedef struct scepkit_name_iter {
    scepkit_bytes rest_rdns;  /**< RDNs not yet visited */
    scepkit_bytes rest_attrs; /**< attributes left in the current RDN */
    int started;
} scepkit_name_iter;

/**
 * Next attribute of `name` (DER, tag included). `attr->multi_valued` is set for the 2nd+ attribute of an RDN.
 * For character strings `attr->value` is the string contents; for any other value (not a UTF8, Printable,
 * T61, IA5, Visible, Numeric, Universal or BMP string) it is the whole DER element, tag included, and
 * `string_tag` is that tag: scepkit_name_write() writes such attributes back unchanged.
 * @return SCEPKIT_OK, SCEPKIT_ERR_NOT_FOUND at the end, or a DER error for a malformed name.
 */
SCEPKIT_API scepkit_err scepkit_name_next(scepkit_bytes name, scepkit_name_iter *it, scepkit_name_attr *attr);

/**
 * Formats a DER Name as text in encoding order, `CN=dev1, O=Acme, C=US`, escaping per RFC 4514;
 * unknown attributes as dotted OIDs; non-text values as `#hex`. NUL-terminated. For a name written from text
 * with default string types, the text parses back (scepkit_name_from_string()) to the same DER. When the buffer is too
 * small `out` holds an empty string.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len` = size needed, excluding NUL), DER errors.
 */
SCEPKIT_API scepkit_err scepkit_name_format(scepkit_bytes name, char *out, size_t cap, size_t *len);

/** Dotted text of an OID (contents bytes) into `out`, NUL-terminated (`*len` excludes the NUL).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len`; needs cap > `*len`), SCEPKIT_ERR_DER_VALUE
 *          (malformed contents), SCEPKIT_ERR_DER_TOO_LARGE (an arc over 64 bits), SCEPKIT_ERR_ARG. */
SCEPKIT_API scepkit_err scepkit_oid_to_text(scepkit_bytes oid, char *out, size_t cap, size_t *len);
/** Short name of a known OID ("sha256WithRSAEncryption", "clientAuth", "CN"), or NULL if the table lacks it. */
SCEPKIT_API const char *scepkit_oid_name(scepkit_bytes oid);
/** OID contents bytes from dotted text or a known short name ("clientAuth", "CN", "sha256"; case-insensitive).
 *  @return SCEPKIT_OK, SCEPKIT_ERR_ENCODING (bad dotted text), SCEPKIT_ERR_NOT_FOUND (unknown name),
 *          SCEPKIT_ERR_BUFFER_TOO_SMALL (with `*len`), SCEPKIT_ERR_ARG. */
SCEPKIT_API scepkit_err scepkit_oid_from_text(scepkit_bytes text, uint8_t *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
