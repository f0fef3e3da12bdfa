/* GetCACaps reading and algorithm choice: tables of answers and policies. */
#include <criterion/criterion.h>
#include <string.h>

#include "scepkit/client.h"
#include "test_support.h"

Test(caps, keywords_are_read_case_insensitively_with_lf_crlf_or_spaces_and_unknown_ones_ignored)
{
    struct {
        const char *text;
        uint32_t want;
    } rows[] = {
        {"", 0},
        {"\r\n\r\n", 0},
        {"AES", SCEPKIT_CAP_AES},
        {"aes\ndes3", SCEPKIT_CAP_AES | SCEPKIT_CAP_DES3},
        {"Renewal\r\nSHA-1\r\nSHA-256\r\n", SCEPKIT_CAP_RENEWAL | SCEPKIT_CAP_SHA1 | SCEPKIT_CAP_SHA256},
        {"postpkioperation getnextcacert", SCEPKIT_CAP_POST | SCEPKIT_CAP_GET_NEXT_CA_CERT},
        {"SHA-512\nSHA-384\nUpdate", SCEPKIT_CAP_SHA512 | SCEPKIT_CAP_SHA384 | SCEPKIT_CAP_UPDATE},
        {"SCEPStandard", SCEPKIT_CAP_SCEP_STANDARD | SCEPKIT_CAP_AES | SCEPKIT_CAP_POST | SCEPKIT_CAP_SHA256},
        {"AES256\nSHA-2\nAESX\nXAES\nA\n\x01\xff\nDES\nSHA256", 0},
        {"<html><body>Not Found</body></html>", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint32_t caps = 0xdeadbeef;
        cr_expect_eq(scepkit_caps_parse(scepkit_bytes_str(rows[i].text), &caps), SCEPKIT_OK, "row %zu", i);
        cr_expect_eq(caps, rows[i].want, "row %zu: %#x, wanted %#x", i, caps, rows[i].want);
    }
    /* an embedded NUL is not whitespace: "AES\0DES3" is one unknown word */
    static const uint8_t nul[] = {'A', 'E', 'S', 0, 'D', 'E', 'S', '3', '\n', 'S', 'H', 'A', '-', '1'};
    uint32_t caps = 0;
    cr_expect_eq(scepkit_caps_parse((scepkit_bytes){nul, sizeof nul}, &caps), SCEPKIT_OK);
    cr_expect_eq(caps, SCEPKIT_CAP_SHA1);
    /* micromdm's real answer (no trailing newline) */
    size_t n = 0;
    uint8_t *mm = ts_read_vector("client/micromdm-getcacaps.txt", &n);
    cr_assert_not_null(mm);
    cr_expect_eq(scepkit_caps_parse((scepkit_bytes){mm, n}, &caps), SCEPKIT_OK);
    cr_expect_eq(caps, SCEPKIT_CAP_RENEWAL | SCEPKIT_CAP_SHA1 | SCEPKIT_CAP_SHA256 | SCEPKIT_CAP_AES |
                           SCEPKIT_CAP_DES3 | SCEPKIT_CAP_SCEP_STANDARD | SCEPKIT_CAP_POST);
    free(mm);
    cr_expect_eq(scepkit_caps_parse(scepkit_bytes_str("AES"), NULL), SCEPKIT_ERR_ARG);
    cr_expect_eq(scepkit_caps_parse((scepkit_bytes){NULL, 3}, &caps), SCEPKIT_ERR_ARG);
}

Test(caps, the_strongest_common_algorithms_are_chosen_and_nothing_below_the_minimum)
{
    const uint32_t std = SCEPKIT_CAP_SCEP_STANDARD | SCEPKIT_CAP_AES | SCEPKIT_CAP_POST | SCEPKIT_CAP_SHA256;
    struct {
        uint32_t caps;
        scepkit_alg_policy pol;
        scepkit_err want;
        scepkit_cipher cipher;
        scepkit_md md;
        scepkit_http_method method;
    } rows[] = {
        /* defaults: AES-128 and SHA-256 at least */
        {std, {0}, SCEPKIT_OK, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA256, SCEPKIT_HTTP_POST},
        {std | SCEPKIT_CAP_SHA512, {0}, SCEPKIT_OK, SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_MD_SHA512, SCEPKIT_HTTP_POST},
        {SCEPKIT_CAP_AES | SCEPKIT_CAP_SHA384,
         {0},
         SCEPKIT_OK,
         SCEPKIT_CIPHER_AES128_CBC,
         SCEPKIT_MD_SHA384,
         SCEPKIT_HTTP_GET},
        {SCEPKIT_CAP_DES3 | SCEPKIT_CAP_SHA256, {0}, SCEPKIT_ERR_CAPS_CIPHER, 0, 0, 0},
        {SCEPKIT_CAP_AES | SCEPKIT_CAP_SHA1, {0}, SCEPKIT_ERR_CAPS_DIGEST, 0, 0, 0},
        /* no caps at all (old NDES): nothing acceptable by default, DES3 + SHA-1 when the caller allows it */
        {0, {0}, SCEPKIT_ERR_CAPS_CIPHER, 0, 0, 0},
        {0,
         {SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA1, 0, 0, 0},
         SCEPKIT_OK,
         SCEPKIT_CIPHER_DES_EDE3_CBC,
         SCEPKIT_MD_SHA1,
         SCEPKIT_HTTP_GET},
        /* even a legacy minimum never yields single DES or MD5 */
        {0,
         {SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_MD5, 0, 0, 0},
         SCEPKIT_OK,
         SCEPKIT_CIPHER_DES_EDE3_CBC,
         SCEPKIT_MD_SHA1,
         SCEPKIT_HTTP_GET},
        /* forced algorithms (NDES wants DES3 + SHA-1 whatever it advertises) still meet the minimum */
        {std,
         {SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA1, SCEPKIT_CIPHER_DES_EDE3_CBC, SCEPKIT_MD_SHA1, 0},
         SCEPKIT_OK,
         SCEPKIT_CIPHER_DES_EDE3_CBC,
         SCEPKIT_MD_SHA1,
         SCEPKIT_HTTP_POST},
        {std, {0, 0, SCEPKIT_CIPHER_DES_EDE3_CBC, 0, 0}, SCEPKIT_ERR_CAPS_CIPHER, 0, 0, 0},
        {std, {0, 0, 0, SCEPKIT_MD_SHA1, 0}, SCEPKIT_ERR_CAPS_DIGEST, 0, 0, 0},
        {std,
         {0, 0, SCEPKIT_CIPHER_AES256_CBC, SCEPKIT_MD_SHA512, 1},
         SCEPKIT_OK,
         SCEPKIT_CIPHER_AES256_CBC,
         SCEPKIT_MD_SHA512,
         SCEPKIT_HTTP_GET},
        {std, {SCEPKIT_CIPHER_DES_CBC, 0, SCEPKIT_CIPHER_DES_CBC, 0, 0}, SCEPKIT_ERR_UNSUPPORTED, 0, 0, 0},
        {std, {0, SCEPKIT_MD_MD5, 0, SCEPKIT_MD_MD5, 0}, SCEPKIT_ERR_UNSUPPORTED, 0, 0, 0},
        /* a minimum above what "AES" promises (AES-128) */
        {std, {SCEPKIT_CIPHER_AES256_CBC, 0, 0, 0, 0}, SCEPKIT_ERR_CAPS_CIPHER, 0, 0, 0},
        {std, {(scepkit_cipher)77, 0, 0, 0, 0}, SCEPKIT_ERR_ARG, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        scepkit_algs a;
        scepkit_err e = scepkit_caps_choose(rows[i].caps, &rows[i].pol, &a);
        cr_expect_eq(e, rows[i].want, "row %zu: %s, wanted %s", i, scepkit_err_name(e), scepkit_err_name(rows[i].want));
        if (e == SCEPKIT_OK) {
            cr_expect_eq(a.cipher, rows[i].cipher, "row %zu cipher", i);
            cr_expect_eq(a.md, rows[i].md, "row %zu md", i);
            cr_expect_eq(a.pki_method, rows[i].method, "row %zu method", i);
        }
    }
    scepkit_algs a;
    cr_expect_eq(scepkit_caps_choose(std | SCEPKIT_CAP_RENEWAL | SCEPKIT_CAP_GET_NEXT_CA_CERT, NULL, &a), SCEPKIT_OK);
    cr_expect(a.renewal && a.next_ca);
    cr_expect_eq(scepkit_caps_choose(std, NULL, &a), SCEPKIT_OK);
    cr_expect(!a.renewal && !a.next_ca);
    cr_expect_eq(scepkit_caps_choose(std, NULL, NULL), SCEPKIT_ERR_ARG);
}

Test(caps, the_query_string_escapes_base64_as_rfc8894_asks)
{
    static const uint8_t der[] = {0xfb, 0xff, 0xbf, 0x00}; /* base64 "+/+/AA==" */
    char out[128];
    size_t len = 0;
    cr_assert_eq(scepkit_http_query("PKIOperation", (scepkit_bytes){der, sizeof der}, 1, out, sizeof out, &len),
                 SCEPKIT_OK);
    cr_expect_str_eq(out, "operation=PKIOperation&message=%2B%2F%2B%2FAA%3D%3D");
    cr_expect_eq(len, strlen(out));
    cr_assert_eq(scepkit_http_query("GetCACert", scepkit_bytes_str("my CA/1"), 0, out, sizeof out, &len), SCEPKIT_OK);
    cr_expect_str_eq(out, "operation=GetCACert&message=my%20CA%2F1");
    cr_assert_eq(scepkit_http_query("GetCACaps", scepkit_bytes_str(""), 0, out, sizeof out, &len), SCEPKIT_OK);
    cr_expect_str_eq(out, "operation=GetCACaps");
    /* too small: the size needed, NUL included */
    cr_expect_eq(scepkit_http_query("GetCACaps", scepkit_bytes_str(""), 0, out, 5, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_expect_eq(len, strlen("operation=GetCACaps") + 1);
    cr_expect_eq(scepkit_http_query("GetCACaps", scepkit_bytes_str(""), 0, NULL, 0, &len),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    /* every length of base64 padding round-trips through the escaping */
    for (size_t n = 1; n <= 7; n++) {
        uint8_t in[7] = {1, 2, 3, 4, 5, 6, 7};
        cr_assert_eq(scepkit_http_query("X", (scepkit_bytes){in, n}, 1, out, sizeof out, &len), SCEPKIT_OK);
        cr_expect_leq(len + 1, SCEPKIT_HTTP_QUERY_MAX(n));
    }
}

Test(caps, content_types_match_on_the_media_type_only)
{
    cr_expect(scepkit_http_content_type_is(scepkit_bytes_str("application/x-pki-message"), SCEPKIT_CT_PKI_MESSAGE));
    cr_expect(scepkit_http_content_type_is(scepkit_bytes_str(" Application/X-PKI-Message ; charset=binary"),
                                           SCEPKIT_CT_PKI_MESSAGE));
    cr_expect(!scepkit_http_content_type_is(scepkit_bytes_str("application/x-pki-messages"), SCEPKIT_CT_PKI_MESSAGE));
    cr_expect(!scepkit_http_content_type_is(scepkit_bytes_str(""), SCEPKIT_CT_PKI_MESSAGE));
    cr_expect(!scepkit_http_content_type_is(scepkit_bytes_str("text/plain"), SCEPKIT_CT_PKI_MESSAGE));
}
