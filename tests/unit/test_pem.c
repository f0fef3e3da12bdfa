/* Base64 (RFC 4648) and PEM (RFC 7468). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scepkit/pem.h"
#include "test_support.h"

static scepkit_bytes str(const char *s)
{
    return scepkit_bytes_str(s);
}

/* RFC 4648 §10 */
static const struct {
    const char *plain;
    const char *b64;
    const char *url;
} rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

Test(base64, encodes_the_rfc4648_vectors)
{
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        char out[32];
        size_t n = 0;
        cr_assert_eq(scepkit_base64_encode(str(rfc4648[i].plain), SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK);
        cr_assert_eq(n, strlen(rfc4648[i].b64));
        cr_assert_str_eq(out, rfc4648[i].b64);
        cr_assert_eq(scepkit_base64_encoded_len(strlen(rfc4648[i].plain), SCEPKIT_B64_STD), n);
        cr_assert_eq(scepkit_base64_encode(str(rfc4648[i].plain), SCEPKIT_B64_URL, out, sizeof out, &n), SCEPKIT_OK);
        cr_assert_str_eq(out, rfc4648[i].url);
        cr_assert_eq(scepkit_base64_encoded_len(strlen(rfc4648[i].plain), SCEPKIT_B64_URL), n);
    }
}

Test(base64, decodes_the_rfc4648_vectors)
{
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        uint8_t out[32];
        size_t n = 99;
        cr_assert_eq(scepkit_base64_decode(str(rfc4648[i].b64), SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK, "%s",
                     rfc4648[i].b64);
        cr_assert_eq(n, strlen(rfc4648[i].plain));
        cr_assert_arr_eq(out, rfc4648[i].plain, n);
        /* url: without padding, and with it */
        cr_assert_eq(scepkit_base64_decode(str(rfc4648[i].url), SCEPKIT_B64_URL, out, sizeof out, &n), SCEPKIT_OK);
        cr_assert_eq(n, strlen(rfc4648[i].plain));
        cr_assert_arr_eq(out, rfc4648[i].plain, n);
        cr_assert_eq(scepkit_base64_decode(str(rfc4648[i].b64), SCEPKIT_B64_URL, out, sizeof out, &n), SCEPKIT_OK);
        cr_assert_eq(n, strlen(rfc4648[i].plain));
    }
}

Test(base64, url_alphabet_uses_dash_and_underscore)
{
    static const uint8_t in[] = {0xfb, 0xff, 0xbf};
    char out[8];
    uint8_t back[4];
    size_t n = 0;
    cr_assert_eq(scepkit_base64_encode((scepkit_bytes){in, 2}, SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_str_eq(out, "+/8=");
    cr_assert_eq(scepkit_base64_encode((scepkit_bytes){in, 2}, SCEPKIT_B64_URL, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_str_eq(out, "-_8");
    cr_assert_eq(scepkit_base64_encode((scepkit_bytes){in, 3}, SCEPKIT_B64_URL, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_str_eq(out, "-_-_");
    cr_assert_eq(scepkit_base64_decode(str("-_-_"), SCEPKIT_B64_URL, back, sizeof back, &n), SCEPKIT_OK);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(back, in, 3);
    cr_assert_eq(scepkit_base64_decode(str("-_-_"), SCEPKIT_B64_STD, back, sizeof back, &n), SCEPKIT_ERR_ENCODING);
    cr_assert_eq(scepkit_base64_decode(str("+/+/"), SCEPKIT_B64_URL, back, sizeof back, &n), SCEPKIT_ERR_ENCODING);
}

Test(base64, rejects_hostile_text)
{
    static const struct {
        const char *text;
        scepkit_b64 alphabet;
    } bad[] = {
        {"Z", SCEPKIT_B64_STD},        {"Zg", SCEPKIT_B64_STD},           {"Zg=", SCEPKIT_B64_STD},
        {"Zg===", SCEPKIT_B64_STD},    {"Zm9v=", SCEPKIT_B64_STD},        {"Zm9=v", SCEPKIT_B64_STD},
        {"Zg==Zg==", SCEPKIT_B64_STD}, {"=Zg=", SCEPKIT_B64_STD},         {"====", SCEPKIT_B64_STD},
        {"Zh==", SCEPKIT_B64_STD},     {"Zm9=", SCEPKIT_B64_STD},         {"Zm9vYh==", SCEPKIT_B64_STD},
        {"Zm9vYmF=", SCEPKIT_B64_STD}, {"Zm9v!", SCEPKIT_B64_STD},        {"Zm9-", SCEPKIT_B64_STD},
        {"Zm9_", SCEPKIT_B64_STD},     {"Zm9+", SCEPKIT_B64_URL},         {"Zm9/", SCEPKIT_B64_URL},
        {"Zg=", SCEPKIT_B64_URL},      {"Zh", SCEPKIT_B64_URL},           {"Zm9vY", SCEPKIT_B64_URL},
        {"Zm9v\x01", SCEPKIT_B64_STD}, {"Zm9v\xc3\xa9", SCEPKIT_B64_STD}, {"Zm9v\v", SCEPKIT_B64_STD},
        {"Zm.v", SCEPKIT_B64_STD},     {"Zg==\n=", SCEPKIT_B64_STD},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[32];
        size_t n = 0;
        cr_assert_eq(scepkit_base64_decode(str(bad[i].text), bad[i].alphabet, out, sizeof out, &n),
                     SCEPKIT_ERR_ENCODING, "'%s'", bad[i].text);
        /* a size query gives the same answer */
        cr_assert_eq(scepkit_base64_decode(str(bad[i].text), bad[i].alphabet, NULL, 0, &n), SCEPKIT_ERR_ENCODING,
                     "'%s'", bad[i].text);
    }
}

Test(base64, skips_whitespace_anywhere)
{
    uint8_t out[16];
    size_t n = 0;
    cr_assert_eq(scepkit_base64_decode(str(" Zm 9v\r\nYm\tE =\n"), SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_eq(n, 5);
    cr_assert_arr_eq(out, "fooba", 5);
    cr_assert_eq(scepkit_base64_decode(str("Zg=\n="), SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(scepkit_base64_decode(str(" \r\n"), SCEPKIT_B64_STD, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_eq(n, 0);
}

Test(base64, reports_the_needed_size_and_wipes_partial_output)
{
    uint8_t out[8];
    char txt[8];
    size_t n = 0;
    memset(out, 0xaa, sizeof out);
    cr_assert_eq(scepkit_base64_decode(str("Zm9vYmFy"), SCEPKIT_B64_STD, out, 5, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(out[i], 0, "byte %zu not wiped", i);
    }
    cr_assert_eq(out[5], 0xaa, "wrote past cap");
    cr_assert_eq(scepkit_base64_decode(str("Zm9vYmFy"), SCEPKIT_B64_STD, NULL, 0, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 6);
    cr_assert_eq(scepkit_base64_decode(str("Zm9vYmFy"), SCEPKIT_B64_STD, out, 6, &n), SCEPKIT_OK);

    /* encoding: exactly the text fits (no NUL), one less does not */
    memset(txt, 'x', sizeof txt);
    cr_assert_eq(scepkit_base64_encode(str("foob"), SCEPKIT_B64_STD, txt, 8, &n), SCEPKIT_OK);
    cr_assert_eq(n, 8);
    cr_assert_arr_eq(txt, "Zm9vYg==", 8);
    cr_assert_eq(scepkit_base64_encode(str("foob"), SCEPKIT_B64_STD, txt, 7, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 8);
    cr_assert_eq(scepkit_base64_encode(str("foob"), SCEPKIT_B64_STD, NULL, 0, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 8);
    cr_assert_eq(scepkit_base64_encode(str("foob"), SCEPKIT_B64_STD, NULL, 4, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(scepkit_base64_encode(str("foob"), (scepkit_b64)7, txt, 8, &n), SCEPKIT_ERR_ARG);
}

Test(base64, decodes_in_place)
{
    /* every length 0..200 of pseudo-random bytes: encode, then decode over the text itself */
    for (size_t len = 0; len <= 200; len++) {
        uint8_t plain[200];
        char text[300];
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            plain[i] = (uint8_t)(i * 151u + len * 7u + 3u);
        }
        cr_assert_eq(scepkit_base64_encode((scepkit_bytes){plain, len}, SCEPKIT_B64_STD, text, sizeof text, &n),
                     SCEPKIT_OK);
        uint8_t *p = (uint8_t *)text;
        cr_assert_eq(scepkit_base64_decode((scepkit_bytes){p, n}, SCEPKIT_B64_STD, p, sizeof text, &n), SCEPKIT_OK);
        cr_assert_eq(n, len);
        cr_assert_arr_eq(p, plain, len);
    }
}

static const char two_blocks[] = "Some explanatory text\n"
                                 "-----BEGIN FIRST THING-----\n"
                                 "Zm9v\n"
                                 "-----END FIRST THING-----\n"
                                 "\n"
                                 "-----BEGIN CERTIFICATE REQUEST-----\n"
                                 "Zm9v\n"
                                 "YmFy\n"
                                 "-----END CERTIFICATE REQUEST-----\n";

Test(pem, finds_blocks_by_label_and_walks_multiple_blocks)
{
    uint8_t out[16];
    size_t n = 0;
    size_t consumed = 0;
    scepkit_bytes label = {NULL, 0};
    scepkit_bytes text = str(two_blocks);
    cr_assert_eq(scepkit_pem_decode(text, NULL, out, sizeof out, &n, &label, &consumed), SCEPKIT_OK);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(out, "foo", 3);
    cr_assert_eq(label.len, strlen("FIRST THING"));
    cr_assert_arr_eq(label.ptr, "FIRST THING", label.len);
    cr_assert_eq(consumed,
                 strlen("Some explanatory text\n-----BEGIN FIRST THING-----\nZm9v\n-----END FIRST THING-----\n"));
    scepkit_bytes rest = {text.ptr + consumed, text.len - consumed};
    cr_assert_eq(scepkit_pem_decode(rest, NULL, out, sizeof out, &n, &label, &consumed), SCEPKIT_OK);
    cr_assert_eq(n, 6);
    cr_assert_arr_eq(out, "foobar", 6);
    cr_assert_eq(rest.len, consumed);
    rest.ptr += consumed;
    rest.len -= consumed;
    cr_assert_eq(scepkit_pem_decode(rest, NULL, out, sizeof out, &n, &label, &consumed), SCEPKIT_ERR_NOT_FOUND);

    cr_assert_eq(scepkit_pem_decode(text, "CERTIFICATE REQUEST", out, sizeof out, &n, NULL, NULL), SCEPKIT_OK);
    cr_assert_eq(n, 6);
    cr_assert_eq(scepkit_pem_decode(text, "PRIVATE KEY", out, sizeof out, &n, NULL, NULL), SCEPKIT_ERR_NOT_FOUND);
    cr_assert_eq(scepkit_pem_decode(text, "CERTIFICATE", out, sizeof out, &n, NULL, NULL), SCEPKIT_ERR_NOT_FOUND);
    cr_assert_eq(scepkit_pem_decode(text, "CERTIFICATE REQUEST", out, 5, &n, NULL, NULL), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 6);
    cr_assert_eq(scepkit_pem_decode(str("no pem here\n"), NULL, out, sizeof out, &n, NULL, NULL),
                 SCEPKIT_ERR_NOT_FOUND);
}

Test(pem, rejects_broken_blocks)
{
    static const char *bad[] = {
        "-----BEGIN X-----\nZm9v\n-----END Y-----\n", /* END label differs */
        "-----BEGIN X-----\nZm9v\n",                  /* no END */
        "-----BEGIN X-----\nZm9v\n-----END X---\n",   /* END line broken */
        "-----BEGIN X-----\nZm9v\n-----END X----- junk\n",
        "-----BEGIN X-----\nZm9!\n-----END X-----\n",                           /* bad base64 */
        "-----BEGIN X-----\nZm9\n-----END X-----\n",                            /* bad padding */
        "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nZm9v\n-----END X-----\n", /* RFC 1421 headers */
        "-----BEGIN X-----\nZm9v\n-----BEGIN X-----\nZm9v\n-----END X-----\n",  /* BEGIN inside a block */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[32];
        size_t n = 0;
        cr_assert_eq(scepkit_pem_decode(str(bad[i]), NULL, out, sizeof out, &n, NULL, NULL), SCEPKIT_ERR_ENCODING, "%s",
                     bad[i]);
    }
    /* a BEGIN line that is not a boundary is only text */
    uint8_t out[8];
    size_t n = 0;
    cr_assert_eq(scepkit_pem_decode(str("-----BEGIN X\nZm9v\n"), NULL, out, sizeof out, &n, NULL, NULL),
                 SCEPKIT_ERR_NOT_FOUND);
}

Test(pem, accepts_crlf_and_trailing_blanks)
{
    const char *t = "\r\n-----BEGIN CERTIFICATE-----  \r\nZm9v\r\nYmFy\r\n-----END CERTIFICATE-----\r\ntrailer";
    uint8_t out[16];
    size_t n = 0;
    size_t consumed = 0;
    cr_assert_eq(scepkit_pem_decode(str(t), "CERTIFICATE", out, sizeof out, &n, NULL, &consumed), SCEPKIT_OK);
    cr_assert_eq(n, 6);
    cr_assert_arr_eq(out, "foobar", 6);
    cr_assert_eq(consumed, strlen(t) - strlen("trailer"));
}

Test(pem, decodes_in_place)
{
    char t[] = "-----BEGIN X-----\nZm9vYmFy\n-----END X-----\n";
    uint8_t *p = (uint8_t *)t;
    size_t n = 0;
    cr_assert_eq(scepkit_pem_decode((scepkit_bytes){p, strlen(t)}, "X", p, sizeof t, &n, NULL, NULL), SCEPKIT_OK);
    cr_assert_eq(n, 6);
    cr_assert_arr_eq(p, "foobar", 6);
}

Test(pem, encode_matches_openssl_and_decodes_back)
{
    char dir[1024];
    char cmd[4096];
    char path[1100];
    char msg[4096];
    size_t pem_len = 0;
    size_t der_len = 0;
    ts_tmpdir("pem_openssl", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pem -keyout k -out c.pem 2>&1 && "
             "openssl x509 -in c.pem -outform DER -out c.der 2>&1",
             dir);
    cr_assert_eq(ts_run(cmd, msg, sizeof msg), 0, "%s", msg);
    snprintf(path, sizeof path, "%s/c.pem", dir);
    uint8_t *pem = ts_read_file(path, &pem_len);
    snprintf(path, sizeof path, "%s/c.der", dir);
    uint8_t *der = ts_read_file(path, &der_len);
    cr_assert_not_null(pem);
    cr_assert_not_null(der);

    static uint8_t out[8192];
    size_t n = 0;
    cr_assert_eq(scepkit_pem_decode((scepkit_bytes){pem, pem_len}, "CERTIFICATE", out, sizeof out, &n, NULL, NULL),
                 SCEPKIT_OK);
    cr_assert_eq(n, der_len);
    cr_assert_arr_eq(out, der, der_len);

    static char text[8192];
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){der, der_len}, "CERTIFICATE", text, sizeof text, &n), SCEPKIT_OK);
    cr_assert_eq(n, pem_len);
    cr_assert_arr_eq(text, pem, pem_len);
    cr_assert_eq(text[n], '\0');

    /* size reporting: needs room for the NUL */
    size_t need = 0;
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){der, der_len}, "CERTIFICATE", NULL, 0, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(need, pem_len);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){der, der_len}, "CERTIFICATE", text, pem_len, &need),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){der, der_len}, "CERTIFICATE", text, pem_len + 1, &need),
                 SCEPKIT_OK);

    /* the same file with CRLF line ends */
    static uint8_t crlf[8192];
    size_t c = 0;
    for (size_t i = 0; i < pem_len; i++) {
        if (pem[i] == '\n') {
            crlf[c++] = '\r';
        }
        crlf[c++] = pem[i];
    }
    cr_assert_eq(scepkit_pem_decode((scepkit_bytes){crlf, c}, "CERTIFICATE", out, sizeof out, &n, NULL, NULL),
                 SCEPKIT_OK);
    cr_assert_eq(n, der_len);
    cr_assert_arr_eq(out, der, der_len);
    free(pem);
    free(der);
}

Test(pem, encodes_empty_and_line_boundaries)
{
    char text[512];
    size_t n = 0;
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){NULL, 0}, "X", text, sizeof text, &n), SCEPKIT_OK);
    cr_assert_str_eq(text, "-----BEGIN X-----\n-----END X-----\n");
    uint8_t b[96];
    memset(b, 0, sizeof b);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){b, 48}, "X", text, sizeof text, &n), SCEPKIT_OK);
    cr_assert_eq(n, 18 + 65 + 16);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){b, 49}, "X", text, sizeof text, &n), SCEPKIT_OK);
    cr_assert_eq(n, 18 + 65 + 5 + 16);
    uint8_t back[96];
    size_t bn = 0;
    cr_assert_eq(scepkit_pem_decode((scepkit_bytes){(const uint8_t *)text, n}, "X", back, sizeof back, &bn, NULL, NULL),
                 SCEPKIT_OK);
    cr_assert_eq(bn, 49);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){b, 1}, NULL, text, sizeof text, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(scepkit_pem_encode((scepkit_bytes){b, 1}, "A\nB", text, sizeof text, &n), SCEPKIT_ERR_ARG);
}

Test(pem, recognises_pem_text)
{
    cr_assert_eq(scepkit_is_pem(str("-----BEGIN X-----\n")), 1);
    cr_assert_eq(scepkit_is_pem(str(" \r\n\t-----BEGIN CERTIFICATE-----")), 1);
    cr_assert_eq(scepkit_is_pem(str("-----BEGIN")), 0);
    cr_assert_eq(scepkit_is_pem(str("MIIB")), 0);
    cr_assert_eq(scepkit_is_pem(str("")), 0);
    cr_assert_eq(scepkit_is_pem((scepkit_bytes){(const uint8_t *)"\x30\x82", 2}), 0);
}
