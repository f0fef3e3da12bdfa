/* Distinguished names: text parsing, DER writing, iteration and formatting (include/scepkit/name.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der/oid.h"
#include "scepkit/csr.h"
#include "scepkit/name.h"
#include "test_support.h"

static scepkit_bytes B(const char *s)
{
    return scepkit_bytes_str(s);
}

static bool oid_is(scepkit_bytes oid, skit_oid id)
{
    scepkit_bytes want = skit_oid_bytes(id);
    return oid.len == want.len && memcmp(oid.ptr, want.ptr, want.len) == 0;
}

static bool value_is(scepkit_bytes v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

/* Text -> DER; fails the test on error. */
static size_t encode(const char *text, uint8_t *out, size_t cap)
{
    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    size_t n = 0;
    size_t len = 0;
    uint8_t store[128];
    cr_assert_eq(scepkit_name_from_string(B(text), attrs, SCEPKIT_NAME_MAX_ATTRS, &n, store, sizeof store), SCEPKIT_OK,
                 "%s", text);
    cr_assert_eq(scepkit_name_write(attrs, n, out, cap, &len), SCEPKIT_OK, "%s", text);
    return len;
}

static void format(const uint8_t *der, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    scepkit_bytes b = {der, len};
    cr_assert_eq(scepkit_name_format(b, out, cap, &n), SCEPKIT_OK);
    cr_assert_eq(n, strlen(out));
}

Test(name, parses_the_comma_form_in_the_order_written)
{
    scepkit_name_attr a[8];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(B("CN=dev1,O=Acme,C=US"), a, 8, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(n, 3);
    cr_assert(oid_is(a[0].oid, SKIT_OID_AT_CN) && value_is(a[0].value, "dev1"));
    cr_assert(oid_is(a[1].oid, SKIT_OID_AT_O) && value_is(a[1].value, "Acme"));
    cr_assert(oid_is(a[2].oid, SKIT_OID_AT_C) && value_is(a[2].value, "US"));
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(a[i].multi_valued, 0);
        cr_assert_eq(a[i].escaped, 0);
        cr_assert_eq(a[i].string_tag, 0);
    }
}

Test(name, parses_the_slash_form_like_the_comma_form)
{
    uint8_t d1[256];
    uint8_t d2[256];
    size_t l1 = encode("/CN=dev1/O=Acme, Inc./C=US", d1, sizeof d1);
    size_t l2 = encode("CN=dev1,O=Acme\\, Inc.,C=US", d2, sizeof d2);
    cr_assert_eq(l1, l2);
    cr_assert_arr_eq(d1, d2, l1);
}

Test(name, trims_unescaped_spaces_and_keeps_escaped_ones)
{
    scepkit_name_attr a[8];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(B("  CN = dev 1 ,  O=Acme  "), a, 8, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(n, 2);
    cr_assert(value_is(a[0].value, "dev 1"));
    cr_assert(value_is(a[1].value, "Acme"));
    cr_assert_eq(scepkit_name_from_string(B("CN=\\ x\\ "), a, 8, &n, NULL, 0), SCEPKIT_OK);
    cr_assert(value_is(a[0].value, "\\ x\\ "));
    cr_assert_eq(a[0].escaped, 1);

    uint8_t der[64];
    size_t len = encode("CN=\\ x\\ ", der, sizeof der);
    /* SEQ { SET { SEQ { OID 2.5.4.3, UTF8String " x " } } } */
    static const uint8_t want[] = {0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03,
                                   0x55, 0x04, 0x03, 0x0c, 0x03, ' ',  'x',  ' '};
    cr_assert_eq(len, sizeof want);
    cr_assert_arr_eq(der, want, len);
}

Test(name, resolves_rfc4514_escapes_including_hex_pairs)
{
    uint8_t der[128];
    size_t len = encode("CN=a\\,b\\+c\\\\d\\\"e\\3Df\\3cg\\C3\\A9", der, sizeof der);
    scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
    scepkit_name_attr a;
    scepkit_bytes name = {der, len};
    cr_assert_eq(scepkit_name_next(name, &it, &a), SCEPKIT_OK);
    cr_assert_eq(a.string_tag, 0x0c);
    cr_assert(value_is(a.value, "a,b+c\\d\"e=f<g\xc3\xa9"), "%.*s", (int)a.value.len, a.value.ptr);
    cr_assert_eq(scepkit_name_next(name, &it, &a), SCEPKIT_ERR_NOT_FOUND);
}

Test(name, knows_aliases_case_insensitively_and_dotted_oids)
{
    scepkit_name_attr a[8];
    size_t n = 0;
    uint8_t store[32];
    cr_assert_eq(scepkit_name_from_string(B("cn=x,E=a@b.c,1.2.3.4=y,OID.2.5.4.6=US,commonName=z"), a, 8, &n, store,
                                          sizeof store),
                 SCEPKIT_OK);
    cr_assert_eq(n, 5);
    cr_assert(oid_is(a[0].oid, SKIT_OID_AT_CN));
    cr_assert(oid_is(a[1].oid, SKIT_OID_EMAIL_ADDRESS));
    static const uint8_t o1234[] = {0x2a, 0x03, 0x04};
    cr_assert_eq(a[2].oid.len, 3);
    cr_assert_arr_eq(a[2].oid.ptr, o1234, 3);
    cr_assert(oid_is(a[3].oid, SKIT_OID_AT_C));
    cr_assert(oid_is(a[4].oid, SKIT_OID_AT_CN));
}

Test(name, reports_a_short_oid_store)
{
    scepkit_name_attr a[8];
    size_t n = 0;
    uint8_t store[2];
    cr_assert_eq(scepkit_name_from_string(B("1.2.3.4=y"), a, 8, &n, store, sizeof store), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(scepkit_name_from_string(B("1.2.3.4=y"), a, 8, &n, NULL, 0), SCEPKIT_ERR_BUFFER_TOO_SMALL);
}

Test(name, writes_multi_valued_rdns_as_a_sorted_set)
{
    uint8_t d1[128];
    uint8_t d2[128];
    scepkit_name_attr a[8];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(B("CN=a+UID=b,O=c"), a, 8, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(a[0].multi_valued, 0);
    cr_assert_eq(a[1].multi_valued, 1);
    cr_assert_eq(a[2].multi_valued, 0);
    size_t l1 = encode("CN=a+UID=b,O=c", d1, sizeof d1);
    size_t l2 = encode("UID=b+CN=a,O=c", d2, sizeof d2);
    cr_assert_eq(l1, l2);
    cr_assert_arr_eq(d1, d2, l1);
    /* 06 03 55 04 03 (CN) sorts before 06 0a 09 92 26 ... (UID): the CN member comes first */
    cr_assert_eq(d1[2], 0x31);
    cr_assert_eq(d1[6], 0x06);
    cr_assert_eq(d1[7], 0x03);

    char text[128];
    format(d1, l1, text, sizeof text);
    cr_assert_str_eq(text, "CN=a+UID=b, O=c");
}

Test(name, chooses_string_types_by_attribute)
{
    uint8_t der[256];
    size_t len = encode("C=US,serialNumber=A-1,emailAddress=a@b.c,DC=example,CN=x", der, sizeof der);
    scepkit_bytes name = {der, len};
    scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
    scepkit_name_attr a;
    static const uint8_t want[] = {0x13, 0x13, 0x16, 0x16, 0x0c};
    for (size_t i = 0; i < sizeof want; i++) {
        cr_assert_eq(scepkit_name_next(name, &it, &a), SCEPKIT_OK);
        cr_assert_eq(a.string_tag, want[i], "attribute %zu", i);
        cr_assert_eq(a.multi_valued, 0);
    }
    cr_assert_eq(scepkit_name_next(name, &it, &a), SCEPKIT_ERR_NOT_FOUND);
}

Test(name, an_empty_string_is_the_empty_name)
{
    scepkit_name_attr a[2];
    size_t n = 5;
    uint8_t der[8];
    size_t len = 0;
    cr_assert_eq(scepkit_name_from_string(B("   "), a, 2, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(scepkit_name_write(a, 0, der, sizeof der, &len), SCEPKIT_OK);
    cr_assert_eq(len, 2);
    cr_assert_eq(der[0], 0x30);
    cr_assert_eq(der[1], 0x00);
    char text[4];
    format(der, len, text, sizeof text);
    cr_assert_str_eq(text, "");
}

typedef struct bad_text {
    const char *text;
    scepkit_err parse; /* from scepkit_name_from_string */
    scepkit_err write; /* from scepkit_name_write when parsing succeeded */
} bad_text;

static const bad_text bad_texts[] = {
    {"CN", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"=a", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=   ", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a,", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a,,O=b", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a+", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"/CN=a/", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a\\", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a\\x", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a\\4", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"CN=a\\4g", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"C\\N=a", SCEPKIT_ERR_DN_SYNTAX, SCEPKIT_OK},
    {"XX=a", SCEPKIT_ERR_DN_ATTRIBUTE, SCEPKIT_OK},
    {"C N=a", SCEPKIT_ERR_DN_ATTRIBUTE, SCEPKIT_OK},
    {"1.2.=a", SCEPKIT_ERR_DN_ATTRIBUTE, SCEPKIT_OK},
    {"1..2=a", SCEPKIT_ERR_DN_ATTRIBUTE, SCEPKIT_OK},
    {"C=USA", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"C=U", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"C=U1", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"C=\\55\\53", SCEPKIT_OK, SCEPKIT_OK}, /* "US" through hex escapes */
    {"serialNumber=a_b", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"serialNumber=a@b", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"emailAddress=\xc3\xa9@x", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"CN=\\00", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"CN=\\FF", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},
    {"CN=\xc0\xaf", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},     /* overlong '/' */
    {"CN=\xed\xa0\x80", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX}, /* surrogate */
    {"CN=\xc3", SCEPKIT_OK, SCEPKIT_ERR_DN_SYNTAX},         /* cut short */
    {"CN=\xc3\xa9t\xc3\xa9", SCEPKIT_OK, SCEPKIT_OK},
};

Test(name, rejects_bad_strings_with_the_documented_errors)
{
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
        const bad_text *t = &bad_texts[i];
        scepkit_name_attr a[8];
        size_t n = 0;
        uint8_t der[128];
        size_t len = 0;
        scepkit_err e = scepkit_name_from_string(B(t->text), a, 8, &n, NULL, 0);
        cr_expect_eq(e, t->parse, "%s: parse gave %s", t->text, scepkit_err_name(e));
        if (e == SCEPKIT_OK) {
            e = scepkit_name_write(a, n, der, sizeof der, &len);
            cr_expect_eq(e, t->write, "%s: write gave %s", t->text, scepkit_err_name(e));
        }
    }
}

Test(name, refuses_more_attributes_than_the_caller_allows)
{
    char text[512] = "";
    for (int i = 0; i < 33; i++) {
        strcat(text, i == 0 ? "OU=x" : ",OU=x");
    }
    scepkit_name_attr a[SCEPKIT_NAME_MAX_ATTRS];
    size_t n = 0;
    cr_assert_eq(scepkit_name_from_string(B(text), a, SCEPKIT_NAME_MAX_ATTRS, &n, NULL, 0), SCEPKIT_ERR_CSR_TOO_MANY);
    text[strlen(text) - 5] = 0; /* 32 */
    cr_assert_eq(scepkit_name_from_string(B(text), a, SCEPKIT_NAME_MAX_ATTRS, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(n, 32);
}

Test(name, writer_reports_the_size_it_needs)
{
    scepkit_name_attr a[4];
    size_t n = 0;
    size_t need = 0;
    size_t len = 0;
    uint8_t der[64];
    cr_assert_eq(scepkit_name_from_string(B("CN=dev1,O=Acme"), a, 4, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(a, n, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(need, 32);
    cr_assert_eq(scepkit_name_write(a, n, der, need - 1, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(len, need);
    cr_assert_eq(scepkit_name_write(a, n, der, need, &len), SCEPKIT_OK);
    cr_assert_eq(len, need);
}

Test(name, writer_refuses_a_first_attribute_marked_multi_valued)
{
    scepkit_name_attr a[1] = {{skit_oid_bytes(SKIT_OID_AT_CN), {(const uint8_t *)"x", 1}, 0, 0, 1}};
    size_t len = 0;
    uint8_t der[32];
    cr_assert_eq(scepkit_name_write(a, 1, der, sizeof der, &len), SCEPKIT_ERR_ARG);
}

Test(name, formats_with_rfc4514_escapes_and_round_trips)
{
    static const char *texts[] = {
        "CN=dev1, O=Acme, C=US", "CN=a\\,b\\+c\\\\d\\\"e\\<f\\>g\\;h", "CN=\\#lead, OU=\\ both\\ ",
        "CN=mid # and = and /",  "CN=caf\xc3\xa9, 1.2.3.4=x",          "CN=a+UID=b+DC=c, O=o",
        "CN=ctl\\0Achar",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        uint8_t d1[256];
        uint8_t d2[256];
        char text[256];
        size_t l1 = encode(texts[i], d1, sizeof d1);
        format(d1, l1, text, sizeof text);
        cr_expect_str_eq(text, texts[i]);
        size_t l2 = encode(text, d2, sizeof d2);
        cr_assert_eq(l1, l2, "%s", texts[i]);
        cr_assert_arr_eq(d1, d2, l1, "%s", texts[i]);
    }
}

Test(name, formats_non_text_values_as_hex_and_bmp_as_utf8)
{
    /* CN = INTEGER 0x0100: not a string, shown as #hex of the whole element */
    static const uint8_t integer[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03,
                                      0x55, 0x04, 0x03, 0x02, 0x02, 0x01, 0x00};
    char text[64];
    format(integer, sizeof integer, text, sizeof text);
    cr_assert_str_eq(text, "CN=#02020100");

    /* CN = BMPString "a\u00e9" */
    static const uint8_t bmp[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                                  0x04, 0x03, 0x1e, 0x04, 0x00, 'a',  0x00, 0xe9};
    format(bmp, sizeof bmp, text, sizeof text);
    cr_assert_str_eq(text, "CN=a\xc3\xa9");

    /* CN = PrintableString with a byte >= 0x80 (malformed, shown escaped) */
    static const uint8_t hi[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03,
                                 0x55, 0x04, 0x03, 0x13, 0x02, 'a',  0xff};
    format(hi, sizeof hi, text, sizeof text);
    cr_assert_str_eq(text, "CN=a\\FF");

    /* a non-string value written back through scepkit_name_write gives the same DER */
    scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
    scepkit_name_attr a;
    scepkit_bytes name = {integer, sizeof integer};
    cr_assert_eq(scepkit_name_next(name, &it, &a), SCEPKIT_OK);
    uint8_t der[32];
    size_t len = 0;
    cr_assert_eq(scepkit_name_write(&a, 1, der, sizeof der, &len), SCEPKIT_OK);
    cr_assert_eq(len, sizeof integer);
    cr_assert_arr_eq(der, integer, len);
}

Test(name, format_reports_the_size_it_needs_and_never_truncates)
{
    uint8_t der[64];
    size_t l = encode("CN=dev1,O=Acme", der, sizeof der);
    scepkit_bytes name = {der, l};
    char text[64];
    size_t need = 0;
    cr_assert_eq(scepkit_name_format(name, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(need, strlen("CN=dev1, O=Acme"));
    memset(text, 'x', sizeof text);
    cr_assert_eq(scepkit_name_format(name, text, need, &l), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(text[0], 0);
    cr_assert_eq(scepkit_name_format(name, text, need + 1, &l), SCEPKIT_OK);
    cr_assert_str_eq(text, "CN=dev1, O=Acme");
}

typedef struct bad_der {
    const char *what;
    uint8_t der[24];
    size_t len;
} bad_der;

Test(name, iteration_rejects_malformed_names)
{
    static const bad_der bad[] = {
        {"not a sequence", {0x31, 0x00}, 2},
        {"trailing bytes", {0x30, 0x00, 0x00}, 3},
        {"empty RDN", {0x30, 0x02, 0x31, 0x00}, 4},
        {"RDN not a SET", {0x30, 0x02, 0x30, 0x00}, 4},
        {"ATV without value", {0x30, 0x09, 0x31, 0x07, 0x30, 0x05, 0x06, 0x03, 0x55, 0x04, 0x03}, 11},
        {"ATV with extra element",
         {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'a', 0x05, 0x00},
         16},
        {"bad OID", {0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x84, 0x80, 0x0c, 0x01, 'a'}, 14},
        {"truncated", {0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01}, 13},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scepkit_bytes name = {bad[i].der, bad[i].len};
        scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
        scepkit_name_attr a;
        scepkit_err e;
        while ((e = scepkit_name_next(name, &it, &a)) == SCEPKIT_OK) {
        }
        cr_expect_neq(e, SCEPKIT_ERR_NOT_FOUND, "%s", bad[i].what);
        char text[64];
        size_t len = 0;
        cr_expect_neq(scepkit_name_format(name, text, sizeof text, &len), SCEPKIT_OK, "%s", bad[i].what);
    }
}

/* The subject DER of a CSR made by `openssl req -subj`. */
static size_t openssl_subject(const char *subj, uint8_t *out, size_t cap)
{
    char dir[512];
    char cmd[2048];
    ts_tmpdir("name_openssl", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>&1 && "
             "openssl req -new -utf8 -key k.pem -subj '%s' -outform DER -out r.der 2>&1",
             dir, subj);
    char log[4096];
    cr_assert_eq(ts_run(cmd, log, sizeof log), 0, "%s", log);
    char path[600];
    snprintf(path, sizeof path, "%s/r.der", dir);
    size_t len = 0;
    uint8_t *der = ts_read_file(path, &len);
    cr_assert_not_null(der);
    scepkit_csr csr;
    scepkit_bytes b = {der, len};
    cr_assert_eq(scepkit_csr_parse(b, &csr), SCEPKIT_OK);
    cr_assert_leq(csr.subject.len, cap);
    memcpy(out, csr.subject.ptr, csr.subject.len);
    size_t n = csr.subject.len;
    free(der);
    return n;
}

Test(name, writes_the_same_der_as_openssl_req_subj)
{
    static const char *subjects[] = {
        "/CN=dev1/O=Acme/C=US",
        "/C=DE/ST=Bayern/L=M\xc3\xbcnchen/O=Acme, Inc./OU=IoT/CN=device 42/emailAddress=ops@example.com",
        "/DC=org/DC=example/UID=123456+CN=John Doe",
        "/serialNumber=ABC-123/title=Sensor/GN=Ann/SN=Smith/street=Main St 1",
    };
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        uint8_t ours[512];
        uint8_t theirs[512];
        size_t l1 = encode(subjects[i], ours, sizeof ours);
        size_t l2 = openssl_subject(subjects[i], theirs, sizeof theirs);
        cr_assert_eq(l1, l2, "%s", subjects[i]);
        cr_assert_arr_eq(ours, theirs, l1, "%s", subjects[i]);
    }
}

Test(name, checks_long_escaped_values_too)
{
    static char text[2048];
    scepkit_name_attr a[2];
    size_t n = 0;
    uint8_t der[1024];
    size_t len = 0;

    strcpy(text, "C=");
    for (int i = 0; i < 100; i++) {
        strcat(text, "\\41");
    }
    cr_assert_eq(scepkit_name_from_string(B(text), a, 2, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(a, n, der, sizeof der, &len), SCEPKIT_ERR_DN_SYNTAX);

    strcpy(text, "CN=");
    for (int i = 0; i < 200; i++) {
        strcat(text, "\\C3\\A9"); /* 400 bytes decoded, valid UTF-8 */
    }
    cr_assert_eq(scepkit_name_from_string(B(text), a, 2, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(a, n, der, sizeof der, &len), SCEPKIT_OK);
    cr_assert_eq(len, 4 + 4 + 4 + 5 + 4 + 400); /* Name, RDN, ATV, OID, string headers */

    strcpy(text, "CN=");
    for (int i = 0; i < 300; i++) {
        strcat(text, "\\FF");
    }
    cr_assert_eq(scepkit_name_from_string(B(text), a, 2, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(a, n, der, sizeof der, &len), SCEPKIT_ERR_DN_SYNTAX);

    strcpy(text, "serialNumber=");
    for (int i = 0; i < 300; i++) {
        strcat(text, i == 299 ? "\\5F" : "\\41"); /* '_' at the end: not printable */
    }
    cr_assert_eq(scepkit_name_from_string(B(text), a, 2, &n, NULL, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_name_write(a, n, der, sizeof der, &len), SCEPKIT_ERR_DN_SYNTAX);
}
