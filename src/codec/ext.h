/* X.509 Extension reading shared by the certificate and CSR parsers. Pure function of its bytes. */
#ifndef SCEPKIT_CODEC_EXT_H
#define SCEPKIT_CODEC_EXT_H

#include <stdbool.h>

#include "der/der.h"
#include "scepkit/csr.h"

/*
 * Reads one Extension (RFC 5280 §4.1) from `d`:
 *   Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * `strict`: an explicitly encoded critical FALSE (not DER) is SCEPKIT_ERR_X509_EXTENSION. CSRs pass false:
 * several clients encode it and the request is re-issued by the CA anyway.
 * @return SCEPKIT_OK, DER errors, SCEPKIT_ERR_X509_EXTENSION.
 */
scepkit_err skit_extension_read(skit_der *d, scepkit_extension *ext, bool strict);

#endif
