/* GetCACert / GetNextCACert answers: single certificate, NDES-style CA + two RA chains built with openssl,
 * RA selection by keyUsage, chain verification, pinning, and hostile input with specific errors. */
#include "client_helpers.h"

static scepkit_ca_certs parse_file_ok(const char *file, const char *ct, uint8_t **keep)
{
    size_t n = 0;
    *keep = client_pki_file(file, &n);
    scepkit_ca_certs cc;
    scepkit_err e = scepkit_cacert_parse(scepkit_bytes_str(ct), (scepkit_bytes){*keep, n}, &cc);
    cr_assert_eq(e, SCEPKIT_OK, "%s: %s", file, scepkit_err_name(e));
    return cc;
}

/* Index of the certificate equal to the DER file `name`, or 99. */
static size_t index_of(const scepkit_ca_certs *cc, const char *name)
{
    size_t n = 0;
    uint8_t *d = client_pki_file(name, &n);
    size_t found = 99;
    for (size_t i = 0; i < cc->count; i++) {
        if (cc->certs[i].len == n && memcmp(cc->certs[i].ptr, d, n) == 0) {
            found = i;
        }
    }
    free(d);
    return found;
}

Test(cacert, micromdm_single_certificate_does_everything_despite_its_key_usage)
{
    size_t n = 0;
    uint8_t *d = ts_read_vector("client/micromdm-getcacert.der", &n);
    cr_assert_not_null(d);
    scepkit_ca_certs cc;
    cr_assert_eq(scepkit_cacert_parse(scepkit_bytes_str("application/x-x509-ca-cert"), (scepkit_bytes){d, n}, &cc),
                 SCEPKIT_OK);
    cr_expect_eq(cc.count, 1);
    cr_expect_eq(cc.ca, 0);
    cr_expect_eq(cc.enc, 0);
    cr_expect_eq(cc.sign, 0);
    cr_expect_eq(cc.ra, 0);
    cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_OK);
    /* inside its validity (2026..2036) and outside it */
    cr_expect_eq(scepkit_cacert_verify(&cc, 1900000000, 0), SCEPKIT_OK);
    cr_expect_eq(scepkit_cacert_verify(&cc, 1700000000, 0), SCEPKIT_ERR_CA_EXPIRED);
    free(d);
}

Test(cacert, ndes_chain_selects_the_encryption_and_signing_ra_certificates_by_key_usage)
{
    const char *files[] = {"ndes.p7b", "ndes_shuffled.p7b"};
    for (size_t k = 0; k < 2; k++) {
        uint8_t *d;
        scepkit_ca_certs cc = parse_file_ok(files[k], SCEPKIT_CT_CA_RA_CERT, &d);
        cr_expect_eq(cc.count, 3);
        cr_expect_eq(cc.ca, index_of(&cc, "ca.der"), "%s", files[k]);
        cr_expect_eq(cc.enc, index_of(&cc, "ra_enc.der"), "%s", files[k]);
        cr_expect_eq(cc.sign, index_of(&cc, "ra_sign.der"), "%s", files[k]);
        cr_expect_eq(cc.ra, 1);
        cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_OK);
        free(d);
    }
}

Test(cacert, an_ra_certificate_without_key_usage_serves_both_roles)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("both.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    cr_expect_eq(cc.ca, index_of(&cc, "ca.der"));
    cr_expect_eq(cc.enc, index_of(&cc, "ra_both.der"));
    cr_expect_eq(cc.sign, index_of(&cc, "ra_both.der"));
    cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_OK);
    free(d);
}

Test(cacert, an_ra_certificate_with_key_usage_but_neither_bit_serves_both_roles)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("nr.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    cr_expect_eq(cc.enc, index_of(&cc, "ra_nr.der"));
    cr_expect_eq(cc.sign, index_of(&cc, "ra_nr.der"));
    cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_OK);
    free(d);
}

Test(cacert, a_chain_without_ra_selects_the_lowest_ca_and_verifies_up_to_the_root)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("chain.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    cr_expect_eq(cc.ca, index_of(&cc, "sub.der"));
    cr_expect_eq(cc.enc, cc.ca);
    cr_expect_eq(cc.sign, cc.ca);
    cr_expect_eq(cc.ra, 0);
    cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_OK);
    free(d);
}

Test(cacert, a_certs_only_answer_with_one_certificate_and_a_sniffed_content_type_work)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("ca_only.p7b", "", &d);
    cr_expect_eq(cc.count, 1);
    free(d);
    cc = parse_file_ok("ca.der", "application/octet-stream", &d);
    cr_expect_eq(cc.count, 1);
    free(d);
    /* a chain labelled as a single certificate (seen in the field) is read too */
    cc = parse_file_ok("ndes.p7b", SCEPKIT_CT_CA_CERT, &d);
    cr_expect_eq(cc.count, 3);
    free(d);
}

Test(cacert, an_ra_certificate_signed_by_another_key_with_the_same_issuer_name_fails_verification)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("rogue.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    cr_expect_eq(cc.enc, index_of(&cc, "rogue_ra.der"));
    cr_expect_eq(scepkit_cacert_verify(&cc, 0, 0), SCEPKIT_ERR_BAD_SIGNATURE);
    free(d);
}

Test(cacert, pinning_compares_the_ca_sha256_fingerprint)
{
    uint8_t *d;
    scepkit_ca_certs cc = parse_file_ok("ndes.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    uint8_t fp[32];
    client_pki_fingerprint("ca.der", fp);
    cr_expect_eq(scepkit_cacert_check_pin(&cc, fp), SCEPKIT_OK);
    /* an RA certificate's fingerprint is not the CA's */
    client_pki_fingerprint("ra_enc.der", fp);
    cr_expect_eq(scepkit_cacert_check_pin(&cc, fp), SCEPKIT_ERR_CA_PIN_MISMATCH);
    client_pki_fingerprint("ca.der", fp);
    for (size_t i = 0; i < 32; i++) {
        fp[i] ^= 0x80;
        cr_expect_eq(scepkit_cacert_check_pin(&cc, fp), SCEPKIT_ERR_CA_PIN_MISMATCH, "byte %zu", i);
        fp[i] ^= 0x80;
    }
    cr_expect_eq(scepkit_cacert_check_pin(&cc, NULL), SCEPKIT_ERR_ARG);
    free(d);
}

Test(cacert, hostile_answers_get_specific_errors_and_a_zeroed_result)
{
    size_t n = 0;
    uint8_t *ca = client_pki_file("ca.der", &n);
    uint8_t *many = NULL;
    size_t many_len = 0;
    many = client_pki_file("many.p7b", &many_len);
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    static const uint8_t html[] = "<html>error</html>";
    struct {
        const char *ct;
        scepkit_bytes body;
        scepkit_err want;
    } rows[] = {
        {"text/html", {ca, n}, SCEPKIT_ERR_CA_CONTENT_TYPE},
        {SCEPKIT_CT_CA_CERT, {NULL, 0}, SCEPKIT_ERR_CA_NO_CERT},
        {SCEPKIT_CT_CA_CERT, {ca, n - 1}, SCEPKIT_ERR_DER_LENGTH},
        {SCEPKIT_CT_CA_RA_CERT, {garbage, sizeof garbage}, SCEPKIT_ERR_DER_TAG},
        {SCEPKIT_CT_CA_RA_CERT, {many, many_len}, SCEPKIT_ERR_CA_TOO_MANY},
        {"", {html, sizeof html - 1}, SCEPKIT_ERR_DER_TAG},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        scepkit_ca_certs cc;
        memset(&cc, 0xab, sizeof cc);
        scepkit_err e = scepkit_cacert_parse(scepkit_bytes_str(rows[i].ct), rows[i].body, &cc);
        cr_expect_eq(e, rows[i].want, "row %zu: %s, wanted %s", i, scepkit_err_name(e), scepkit_err_name(rows[i].want));
        cr_expect_eq(cc.count, 0, "row %zu: result zeroed", i);
    }
    cr_expect_eq(scepkit_cacert_parse(scepkit_bytes_str(""), (scepkit_bytes){ca, n}, NULL), SCEPKIT_ERR_ARG);
    free(ca);
    free(many);
}

Test(cacert, next_ca_certificate_signed_by_the_current_ca_is_exposed)
{
    uint8_t *d, *next_der, *body;
    size_t next_len = 0, body_len = 0;
    scepkit_ca_certs cur = parse_file_ok("ca_only.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    body = client_pki_file("nextca.der", &body_len);
    next_der = client_pki_file("next.der", &next_len);
    uint8_t buf[8192];
    scepkit_ca_certs next;
    scepkit_err e = scepkit_nextca_open(scepkit_bytes_str(SCEPKIT_CT_NEXT_CA_CERT), (scepkit_bytes){body, body_len},
                                        &cur, 0, buf, sizeof buf, &next);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_expect_eq(next.count, 1);
    cr_expect(next.certs[next.ca].len == next_len && memcmp(next.certs[next.ca].ptr, next_der, next_len) == 0);
    cr_expect_eq(scepkit_cacert_verify(&next, 0, 0), SCEPKIT_OK);
    /* too small a buffer for the content */
    cr_expect_eq(scepkit_nextca_open(scepkit_bytes_str(""), (scepkit_bytes){body, body_len}, &cur, 0, buf, 16, &next),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_expect_eq(scepkit_nextca_open(scepkit_bytes_str("text/plain"), (scepkit_bytes){body, body_len}, &cur, 0, buf,
                                     sizeof buf, &next),
                 SCEPKIT_ERR_CA_CONTENT_TYPE);
    free(body);
    free(next_der);
    free(d);
}

Test(cacert, next_ca_signed_by_anyone_but_the_current_ca_is_refused)
{
    uint8_t *d, *body;
    size_t body_len = 0;
    scepkit_ca_certs cur = parse_file_ok("ca_only.p7b", SCEPKIT_CT_CA_RA_CERT, &d);
    body = client_pki_file("nextca_rogue.der", &body_len);
    uint8_t buf[8192];
    scepkit_ca_certs next;
    scepkit_err e = scepkit_nextca_open(scepkit_bytes_str(SCEPKIT_CT_NEXT_CA_CERT), (scepkit_bytes){body, body_len},
                                        &cur, 0, buf, sizeof buf, &next);
    /* the rogue CA has the CA's name: found by issuer name, refused by signature, or not found at all */
    cr_expect(e == SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND || e == SCEPKIT_ERR_BAD_SIGNATURE, "%s", scepkit_err_name(e));
    cr_expect_eq(next.count, 0);
    free(body);
    free(d);
}
