/* GetCACert and GetNextCACert answers: reading, RA selection, chain check, pinning (RFC 8894 §4.2, §4.7). */
#include <string.h>

#include "scepkit/client.h"
#include "scepkit/cms.h"

static int bytes_eq(scepkit_bytes a, scepkit_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/*
 * RFC 8894 §4.2.1.1: one CA certificate, no RA:
 *   Content-Type: application/x-x509-ca-cert      body: the DER Certificate
 * §4.2.1.2: CA and RA certificates:
 *   Content-Type: application/x-x509-ca-ra-cert   body: a degenerate certificates-only CMS SignedData
 *                                                  (RFC 8894 §3.4) holding the CA and RA certificates
 * Several servers send BER (indefinite lengths) for the second form.
 */
static scepkit_err read_certs(scepkit_bytes ct, scepkit_bytes body, scepkit_ca_certs *out)
{
    int single = scepkit_http_content_type_is(ct, SCEPKIT_CT_CA_CERT);
    int chain = scepkit_http_content_type_is(ct, SCEPKIT_CT_CA_RA_CERT);
    int sniff = ct.len == 0 || scepkit_http_content_type_is(ct, "application/octet-stream");
    if (!single && !chain && !sniff) {
        return SCEPKIT_ERR_CA_CONTENT_TYPE;
    }
    scepkit_x509 x;
    scepkit_err err = SCEPKIT_ERR_CA_NO_CERT;
    if (single || sniff) {
        err = scepkit_x509_parse(body, &x);
        if (err == SCEPKIT_OK) {
            out->certs[0] = body;
            out->count = 1;
            return SCEPKIT_OK;
        }
        if (single) {
            /* Some servers label a chain as ca-cert: fall through to the certs-only reading, but report the
             * certificate error if that fails too. */
            scepkit_cms_signed probe;
            if (scepkit_cms_signed_parse(body, SCEPKIT_CMS_BER, &probe) != SCEPKIT_OK) {
                return err;
            }
        }
    }
    scepkit_cms_signed sd;
    err = scepkit_cms_signed_parse(body, SCEPKIT_CMS_BER, &sd);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes cert;
    while ((err = scepkit_cms_next_cert(&sd, &it, &cert)) == SCEPKIT_OK) {
        if (out->count == SCEPKIT_CA_MAX_CERTS) {
            return SCEPKIT_ERR_CA_TOO_MANY;
        }
        err = scepkit_x509_parse(cert, &x);
        if (err != SCEPKIT_OK) {
            return err;
        }
        out->certs[out->count++] = cert;
    }
    if (err != SCEPKIT_ERR_NOT_FOUND) {
        return err;
    }
    return out->count == 0 ? SCEPKIT_ERR_CA_NO_CERT : SCEPKIT_OK;
}

/* Parses certs[i]; the certificates were all parsed once already, so this cannot fail on the same bytes. */
static scepkit_err view(const scepkit_ca_certs *cc, size_t i, scepkit_x509 *x)
{
    return scepkit_x509_parse(cc->certs[i], x);
}

static int usable_for(const scepkit_x509 *x, uint32_t bit)
{
    return x->has_key_usage ? (x->key_usage & bit) != 0 : 0;
}

/*
 * RA selection as NDES deployments need it. NDES sends the CA and two RA certificates, one with
 * keyUsage keyEncipherment (requests are encrypted to it) and one with digitalSignature (it signs the
 * CertReps); each carries only one of the bits, so a client must not demand both. Other servers send
 * one RA certificate with neither bit, usually without keyUsage (usable for both), or the CA alone (which then does
 * both whatever its keyUsage says: micromdm's CA has only keyCertSign and cRLSign).
 */
static scepkit_err select_certs(scepkit_ca_certs *cc)
{
    scepkit_x509 xi, xj;
    scepkit_err err;
    size_t n = cc->count;
    int is_ra[SCEPKIT_CA_MAX_CERTS] = {0};
    size_t first_ra = n;

    if (n == 1) {
        cc->ca = cc->enc = cc->sign = 0;
        cc->ra = 0;
        return SCEPKIT_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if ((err = view(cc, i, &xi)) != SCEPKIT_OK) {
            return err;
        }
        int issues_other = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            if ((err = view(cc, j, &xj)) != SCEPKIT_OK) {
                return err;
            }
            if (bytes_eq(xj.issuer, xi.subject) && !bytes_eq(xj.der, xi.der)) {
                issues_other = 1;
                break;
            }
        }
        int self_issued = bytes_eq(xi.issuer, xi.subject);
        is_ra[i] = !xi.is_ca && !self_issued && !issues_other;
        if (is_ra[i] && first_ra == n) {
            first_ra = i;
        }
    }

    size_t ca = n;
    if (first_ra < n) {
        scepkit_x509 ra;
        if ((err = view(cc, first_ra, &ra)) != SCEPKIT_OK) {
            return err;
        }
        for (size_t i = 0; i < n && ca == n; i++) {
            if (is_ra[i]) {
                continue;
            }
            if ((err = view(cc, i, &xi)) != SCEPKIT_OK) {
                return err;
            }
            if (bytes_eq(xi.subject, ra.issuer)) {
                ca = i;
            }
        }
        if (ca == n) {
            return SCEPKIT_ERR_CA_CHAIN;
        }
    } else {
        /* A chain without RA: the lowest CA, the one that issues no other certificate of the set. */
        for (size_t i = 0; i < n && ca == n; i++) {
            if ((err = view(cc, i, &xi)) != SCEPKIT_OK) {
                return err;
            }
            int issues_other = 0;
            for (size_t j = 0; j < n && !issues_other; j++) {
                if (j == i) {
                    continue;
                }
                if ((err = view(cc, j, &xj)) != SCEPKIT_OK) {
                    return err;
                }
                issues_other = bytes_eq(xj.issuer, xi.subject);
            }
            if (!issues_other) {
                ca = i;
            }
        }
        if (ca == n) {
            return SCEPKIT_ERR_CA_NO_CERT;
        }
    }
    scepkit_x509 cax;
    if ((err = view(cc, ca, &cax)) != SCEPKIT_OK) {
        return err;
    }

    /* Candidates: RA certificates issued by the selected CA. Preference: the bit, then neither of the two bits. */
    size_t enc = n, enc_noku = n, sign = n, sign_noku = n;
    for (size_t i = 0; i < n; i++) {
        if (!is_ra[i]) {
            continue;
        }
        if ((err = view(cc, i, &xi)) != SCEPKIT_OK) {
            return err;
        }
        if (!bytes_eq(xi.issuer, cax.subject)) {
            continue;
        }
        if (enc == n && usable_for(&xi, SCEPKIT_KU_KEY_ENCIPHERMENT)) {
            enc = i;
        }
        if (sign == n && usable_for(&xi, SCEPKIT_KU_DIGITAL_SIGNATURE)) {
            sign = i;
        }
        /* Neither bit (no keyUsage at all, or one without both): the RA is meant for both roles. */
        if (!usable_for(&xi, SCEPKIT_KU_KEY_ENCIPHERMENT) && !usable_for(&xi, SCEPKIT_KU_DIGITAL_SIGNATURE)) {
            if (enc_noku == n) {
                enc_noku = i;
            }
            if (sign_noku == n) {
                sign_noku = i;
            }
        }
    }
    cc->ca = ca;
    cc->enc = enc != n ? enc : (enc_noku != n ? enc_noku : ca);
    cc->sign = sign != n ? sign : (sign_noku != n ? sign_noku : ca);
    cc->ra = cc->enc != ca || cc->sign != ca;
    return SCEPKIT_OK;
}

scepkit_err scepkit_cacert_parse(scepkit_bytes content_type, scepkit_bytes body, scepkit_ca_certs *out)
{
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if ((body.ptr == NULL && body.len != 0) || (content_type.ptr == NULL && content_type.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    if (body.len == 0) {
        return SCEPKIT_ERR_CA_NO_CERT;
    }
    scepkit_err err = read_certs(content_type, body, out);
    if (err == SCEPKIT_OK) {
        err = select_certs(out);
    }
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

static scepkit_err check_time(const scepkit_x509 *x, int64_t now)
{
    if (now != 0 && (now < x->not_before || now > x->not_after)) {
        return SCEPKIT_ERR_CA_EXPIRED;
    }
    return SCEPKIT_OK;
}

/* The CA upwards: self-signed, or signed by its issuer when the set holds it (bounded by the set size). */
static scepkit_err verify_ca_upwards(const scepkit_ca_certs *cc, int64_t now, int allow_legacy)
{
    scepkit_x509 cur, up;
    size_t idx = cc->ca;
    scepkit_err err;
    for (size_t steps = 0; steps < cc->count; steps++) {
        if ((err = view(cc, idx, &cur)) != SCEPKIT_OK) {
            return err;
        }
        if ((err = check_time(&cur, now)) != SCEPKIT_OK) {
            return err;
        }
        if (bytes_eq(cur.issuer, cur.subject)) {
            return scepkit_x509_verify_signature(&cur, cur.spki, allow_legacy);
        }
        size_t next = cc->count;
        for (size_t i = 0; i < cc->count; i++) {
            if (i == idx) {
                continue;
            }
            if ((err = view(cc, i, &up)) != SCEPKIT_OK) {
                return err;
            }
            if (bytes_eq(up.subject, cur.issuer)) {
                next = i;
                break;
            }
        }
        if (next == cc->count) {
            return SCEPKIT_OK; /* issuer not sent: the pin is the anchor */
        }
        if ((err = view(cc, next, &up)) != SCEPKIT_OK) {
            return err;
        }
        if ((err = scepkit_x509_verify_signature(&cur, up.spki, allow_legacy)) != SCEPKIT_OK) {
            return err;
        }
        idx = next;
    }
    return SCEPKIT_ERR_CA_CHAIN; /* a loop of issuers */
}

scepkit_err scepkit_cacert_verify(const scepkit_ca_certs *cc, int64_t now, int allow_legacy)
{
    if (cc == NULL || cc->count == 0 || cc->count > SCEPKIT_CA_MAX_CERTS || cc->ca >= cc->count ||
        cc->enc >= cc->count || cc->sign >= cc->count) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_x509 ca, ra;
    scepkit_err err = view(cc, cc->ca, &ca);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t ras[2] = {cc->enc, cc->sign};
    for (size_t k = 0; k < 2; k++) {
        if (ras[k] == cc->ca || (k == 1 && ras[1] == ras[0])) {
            continue;
        }
        if ((err = view(cc, ras[k], &ra)) != SCEPKIT_OK) {
            return err;
        }
        if (!bytes_eq(ra.issuer, ca.subject)) {
            return SCEPKIT_ERR_CA_CHAIN;
        }
        if ((err = check_time(&ra, now)) != SCEPKIT_OK) {
            return err;
        }
        if ((err = scepkit_x509_verify_signature(&ra, ca.spki, allow_legacy)) != SCEPKIT_OK) {
            return err;
        }
    }
    return verify_ca_upwards(cc, now, allow_legacy);
}

scepkit_err scepkit_cacert_check_pin(const scepkit_ca_certs *cc, const uint8_t sha256[32])
{
    if (cc == NULL || sha256 == NULL || cc->count == 0 || cc->ca >= cc->count) {
        return SCEPKIT_ERR_ARG;
    }
    uint8_t fp[32];
    size_t n = 0;
    scepkit_err err = scepkit_digest(SCEPKIT_MD_SHA256, cc->certs[cc->ca], fp, sizeof fp, &n);
    if (err == SCEPKIT_OK) {
        err = (n == sizeof fp && scepkit_ct_memcmp(fp, sha256, sizeof fp) == 0) ? SCEPKIT_OK
                                                                                : SCEPKIT_ERR_CA_PIN_MISMATCH;
    }
    scepkit_wipe(fp, sizeof fp);
    return err;
}

/*
 * RFC 8894 §4.7.1: the answer to GetNextCACert is
 *   Content-Type: application/x-x509-next-ca-cert
 *   body: a SignedData, signed by the current CA (or its RA), whose encapsulated content is a
 *         degenerate certificates-only SignedData holding the new CA certificate and any new RA
 *         certificates.
 */
scepkit_err scepkit_nextca_open(scepkit_bytes content_type, scepkit_bytes body, const scepkit_ca_certs *current,
                                int allow_legacy, uint8_t *buf, size_t cap, scepkit_ca_certs *next)
{
    if (next == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(next, 0, sizeof *next);
    if (current == NULL || current->count == 0 || current->ca >= current->count || current->sign >= current->count ||
        (body.ptr == NULL && body.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    if (content_type.len != 0 && !scepkit_http_content_type_is(content_type, SCEPKIT_CT_NEXT_CA_CERT)) {
        return SCEPKIT_ERR_CA_CONTENT_TYPE;
    }
    scepkit_cms_signed sd;
    scepkit_err err = scepkit_cms_signed_parse(body, SCEPKIT_CMS_BER, &sd);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_bytes signers[2] = {current->certs[current->sign], current->certs[current->ca]};
    scepkit_cms_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.signer_certs = signers;
    vp.signer_cert_count = current->sign == current->ca ? 1 : 2;
    vp.allow_legacy = allow_legacy;
    err = scepkit_cms_signed_verify(&sd, &vp, NULL);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = scepkit_cms_content_copy(&sd, buf, cap, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = scepkit_cacert_parse(scepkit_bytes_str(SCEPKIT_CT_CA_RA_CERT), (scepkit_bytes){buf, len}, next);
    if (err != SCEPKIT_OK && buf != NULL) {
        scepkit_wipe(buf, len);
    }
    return err;
}
