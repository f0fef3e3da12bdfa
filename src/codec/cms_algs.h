/*
 * AlgorithmIdentifier helpers shared by the X.509 view and the CMS codec (src/codec/). Pure
 * functions of their bytes.
 */
#ifndef SCEPKIT_CODEC_CMS_ALGS_H
#define SCEPKIT_CODEC_CMS_ALGS_H

#include <stdbool.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/crypto.h"
#include "scepkit/csr.h"

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2).
 * `params` is set (and *has_params true) when parameters are present. */
scepkit_err skit_algid_read(skit_der *d, scepkit_bytes *oid, skit_tlv *params, bool *has_params);

/* Digest OID -> scepkit_md (SCEPKIT_MD_NONE when not a digest we know). */
scepkit_md skit_md_from_oid(skit_oid id);
/* scepkit_md -> digest OID id (SKIT_OID_UNKNOWN for NONE/others). */
skit_oid skit_md_oid(scepkit_md md);

/* Signature algorithm OID -> kind and digest. Plain rsaEncryption gives RSA_PKCS1 with MD_NONE;
 * id-ecPublicKey (used as a signature algorithm by a few CMS writers) gives ECDSA with MD_NONE.
 * Unknown or unsupported (PSS): SCEPKIT_SIG_UNKNOWN. */
void skit_sig_alg_from_oid(skit_oid id, scepkit_sig_alg *alg, scepkit_md *md);
/* The shaNWithRSAEncryption / ecdsa-with-SHAn OID for a kind and digest (UNKNOWN if none). */
skit_oid skit_sig_oid(scepkit_sig_alg alg, scepkit_md md);

/* Content-encryption OID -> cipher (SCEPKIT_CIPHER_NONE if unknown), and back. */
scepkit_cipher skit_cipher_from_oid(skit_oid id);
skit_oid skit_cipher_oid(scepkit_cipher c);

/* Writes AlgorithmIdentifier { oid } with NULL parameters when `null_params`, without otherwise. */
void skit_algid_write(skit_derw *w, skit_oid id, bool null_params);

/* True when the parameters are absent or an ASN.1 NULL (the two forms peers use for "none"). */
bool skit_params_empty(bool has_params, const skit_tlv *params);

#endif
