/* Helpers shared by the CMS files of src/codec/ (not public). */
#ifndef SCEPKIT_CODEC_CMS_INTERNAL_H
#define SCEPKIT_CODEC_CMS_INTERNAL_H

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/cms.h"

/*
 * IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }  (RFC 5652 §10.2.4)
 * Reads a SignerIdentifier / RecipientIdentifier CHOICE: that SEQUENCE, or [0] IMPLICIT SubjectKeyIdentifier.
 */
scepkit_err skit_cms_read_id(skit_der *d, scepkit_cms_id *id);

/* Writes an issuerAndSerialNumber from a certificate view. */
void skit_cms_write_issuer_serial(skit_derw *w, const scepkit_x509 *cert);

/* Reads ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content } and enters the content, which must be
 * a SEQUENCE of type `want` (SKIT_OID_CMS_SIGNED_DATA / _ENVELOPED_DATA). `*whole` is the ContentInfo element. */
scepkit_err skit_cms_enter_content_info(scepkit_bytes in, unsigned flags, skit_oid want, skit_der *content,
                                        scepkit_bytes *whole);

#endif
