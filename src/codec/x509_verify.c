/* Certificate signature check: the one crypto-using part of the X.509 view (kept apart so x509.c fuzzes pure). */
#include "port/crypto_port.h"
#include "scepkit/x509.h"

scepkit_err scepkit_x509_verify_signature(const scepkit_x509 *cert, scepkit_bytes issuer_spki, int allow_legacy)
{
    uint8_t digest[SCEPKIT_MD_MAX_SIZE];
    scepkit_key_type type;
    size_t bits;
    scepkit_err err = SCEPKIT_ERR_BAD_SIGNATURE;
    if (cert == NULL || cert->tbs.len == 0 || issuer_spki.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (cert->sig_alg == SCEPKIT_SIG_UNKNOWN) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    if (cert->sig_md == SCEPKIT_MD_MD5 && !allow_legacy) {
        return SCEPKIT_ERR_LEGACY_DISABLED;
    }
    err = scepkit_spki_info(issuer_spki, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((cert->sig_alg == SCEPKIT_SIG_RSA_PKCS1) != (type == SCEPKIT_KEY_RSA)) {
        return SCEPKIT_ERR_ALGORITHM_MISMATCH;
    }
    err = skit_md(cert->sig_md, cert->tbs.ptr, cert->tbs.len, digest);
    if (err == SCEPKIT_OK) {
        err = scepkit_verify_digest(issuer_spki, cert->sig_md, digest, scepkit_md_size(cert->sig_md), cert->signature);
    }
    scepkit_wipe(digest, sizeof digest);
    return err;
}
