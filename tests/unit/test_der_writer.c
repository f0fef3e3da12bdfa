/* The DER writer: encodings, length fixups, size-only passes, SET OF sorting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "test_support.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*h != 0) {
        unsigned v = 0;
        if (*h == ' ') {
            h++;
            continue;
        }
        cr_assert(n < cap, "hex too long");
        cr_assert_eq(sscanf(h, "%2x", &v), 1, "bad hex '%s'", h);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

typedef void (*build_fn)(skit_derw *w, const void *arg);

/*
 * Runs `build` with a size-only pass, then into an exact buffer, then into every smaller buffer:
 * the size-only pass and every too-small buffer must report exactly the size of the real encoding.
 * Returns the encoding (malloc'd).
 */
static uint8_t *build_checked(build_fn build, const void *arg, size_t *len, bool every_size)
{
    skit_derw w;
    size_t need = 0;
    size_t got = 0;
    skit_derw_init(&w, NULL, 0);
    build(&w, arg);
    cr_assert_eq(skit_derw_finish(&w, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *buf = malloc(need + 1);
    cr_assert_not_null(buf);
    skit_derw_init(&w, buf, need);
    build(&w, arg);
    cr_assert(skit_derw_real(&w));
    cr_assert_eq(skit_derw_finish(&w, &got), SCEPKIT_OK);
    cr_assert_eq(got, need);
    size_t step = every_size ? 1 : (need / 7 + 1);
    for (size_t cap = 0; cap < need; cap += step) {
        uint8_t *small = malloc(cap + 1);
        size_t n = 0;
        cr_assert_not_null(small);
        skit_derw_init(&w, small, cap);
        build(&w, arg);
        cr_assert_not(skit_derw_real(&w));
        cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL, "cap %zu", cap);
        cr_assert_eq(n, need, "cap %zu: %zu != %zu", cap, n, need);
        free(small);
    }
    *len = need;
    return buf;
}

static void expect_hex(build_fn build, const void *arg, const char *hex)
{
    uint8_t want[256];
    size_t wn = unhex(hex, want, sizeof want);
    size_t n = 0;
    uint8_t *got = build_checked(build, arg, &n, true);
    cr_assert_eq(n, wn, "%s: length %zu", hex, n);
    cr_assert_arr_eq(got, want, wn, "%s", hex);
    free(got);
}

static void build_int(skit_derw *w, const void *arg)
{
    skit_derw_int64(w, *(const int64_t *)arg);
}

Test(der_writer, integers_are_minimal_twos_complement)
{
    static const struct {
        int64_t v;
        const char *hex;
    } cases[] = {
        {0, "02 01 00"},
        {1, "02 01 01"},
        {127, "02 01 7f"},
        {128, "02 02 00 80"},
        {255, "02 02 00 ff"},
        {256, "02 02 01 00"},
        {32767, "02 02 7f ff"},
        {32768, "02 03 00 80 00"},
        {-1, "02 01 ff"},
        {-128, "02 01 80"},
        {-129, "02 02 ff 7f"},
        {-256, "02 02 ff 00"},
        {-32769, "02 03 ff 7f ff"},
        {INT64_MAX, "02 08 7f ff ff ff ff ff ff ff"},
        {INT64_MIN, "02 08 80 00 00 00 00 00 00 00"},
        {INT64_MIN + 1, "02 08 80 00 00 00 00 00 00 01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        skit_derw w;
        size_t n = 0;
        skit_tlv t;
        int64_t back = 0;
        expect_hex(build_int, &cases[i].v, cases[i].hex);
        skit_derw_init(&w, buf, sizeof buf);
        skit_derw_int64(&w, cases[i].v);
        cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_OK);
        cr_assert_eq(skit_der_parse_one((scepkit_bytes){buf, n}, 0, SKIT_TAG_INTEGER, &t), SCEPKIT_OK);
        cr_assert_eq(skit_der_int64(&t, &back), SCEPKIT_OK);
        cr_assert_eq(back, cases[i].v);
    }
}

struct uint_case {
    const char *mag;
    uint8_t tag;
    const char *hex;
};

static void build_uint(skit_derw *w, const void *arg)
{
    const struct uint_case *c = arg;
    uint8_t m[32];
    size_t n = unhex(c->mag, m, sizeof m);
    skit_derw_uint_bytes(w, c->tag, n != 0 ? m : NULL, n);
}

Test(der_writer, unsigned_integers_strip_zeros_and_keep_the_sign_bit_clear)
{
    static const struct uint_case cases[] = {
        {"", SKIT_TAG_INTEGER, "02 01 00"},
        {"00", SKIT_TAG_INTEGER, "02 01 00"},
        {"00 00 00", SKIT_TAG_INTEGER, "02 01 00"},
        {"01", SKIT_TAG_INTEGER, "02 01 01"},
        {"00 7f", SKIT_TAG_INTEGER, "02 01 7f"},
        {"80", SKIT_TAG_INTEGER, "02 02 00 80"},
        {"00 00 ff 01", SKIT_TAG_INTEGER, "02 03 00 ff 01"},
        {"01 00 00", SKIT_TAG_INTEGER, "02 03 01 00 00"},
        {"ff", 0x81, "81 02 00 ff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_hex(build_uint, &cases[i], cases[i].hex);
    }
}

static void build_named(skit_derw *w, const void *arg)
{
    skit_derw_named_bits(w, *(const uint32_t *)arg);
}

Test(der_writer, named_bit_lists_are_minimal)
{
    static const struct {
        uint32_t bits;
        const char *hex;
    } cases[] = {
        {0, "03 01 00"},
        {(1u << 0) | (1u << 2), "03 02 05 a0"}, /* digitalSignature | keyEncipherment */
        {1u << 0, "03 02 07 80"},
        {(1u << 5) | (1u << 6), "03 02 01 06"}, /* keyCertSign | cRLSign */
        {1u << 7, "03 02 00 01"},
        {1u << 8, "03 03 07 00 80"}, /* decipherOnly */
        {(1u << 0) | (1u << 8), "03 03 07 80 80"},
        {1u << 31, "03 05 00 00 00 00 01"},
        {0xffffffffu, "03 05 00 ff ff ff ff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_hex(build_named, &cases[i].bits, cases[i].hex);
        /* and the reader accepts it */
        uint8_t buf[8];
        size_t n = unhex(cases[i].hex, buf, sizeof buf);
        skit_tlv t;
        uint8_t unused;
        scepkit_bytes bits;
        cr_assert_eq(skit_der_parse_one((scepkit_bytes){buf, n}, 0, SKIT_TAG_BIT_STRING, &t), SCEPKIT_OK);
        cr_assert_eq(skit_der_bits(&t, &unused, &bits), SCEPKIT_OK);
    }
}

static void build_time(skit_derw *w, const void *arg)
{
    skit_derw_time(w, *(const int64_t *)arg);
}

Test(der_writer, times_pick_utctime_for_1950_to_2049)
{
    static const struct {
        int64_t t;
        uint8_t tag;
        const char *text;
    } cases[] = {
        {0, SKIT_TAG_UTC_TIME, "700101000000Z"},
        {-1, SKIT_TAG_UTC_TIME, "691231235959Z"},
        {-631152000, SKIT_TAG_UTC_TIME, "500101000000Z"},
        {-631152001, SKIT_TAG_GENERALIZED_TIME, "19491231235959Z"},
        {2524607999, SKIT_TAG_UTC_TIME, "491231235959Z"},
        {2524608000, SKIT_TAG_GENERALIZED_TIME, "20500101000000Z"},
        {951827696, SKIT_TAG_UTC_TIME, "000229123456Z"},
        {4107542400, SKIT_TAG_GENERALIZED_TIME, "21000301000000Z"},
        {-62167219200, SKIT_TAG_GENERALIZED_TIME, "00000101000000Z"},
        {253402300799, SKIT_TAG_GENERALIZED_TIME, "99991231235959Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[128];
        size_t tl = strlen(cases[i].text);
        int o = snprintf(hex, sizeof hex, "%02x %02zx", cases[i].tag, tl);
        for (size_t k = 0; k < tl; k++) {
            o += snprintf(hex + o, sizeof hex - (size_t)o, " %02x", (unsigned)cases[i].text[k]);
        }
        expect_hex(build_time, &cases[i].t, hex);
    }
}

Test(der_writer, times_outside_four_digit_years_fail)
{
    skit_derw w;
    size_t n = 0;
    uint8_t buf[32];
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_time(&w, 253402300800);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_VALUE);
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_time(&w, -62167219201);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_VALUE);
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_time(&w, INT64_MIN);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_VALUE);
}

static void build_misc(skit_derw *w, const void *arg)
{
    (void)arg;
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(w, 5);
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, (const uint8_t *)"abc", 3);
    skit_derw_null(w);
    skit_derw_bool(w, true);
    skit_derw_bool(w, false);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_SHA256));
    skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
    skit_derw_int64(w, -1);
    skit_derw_close(w);
    skit_derw_bits(w, 0, (const uint8_t *)"\x01", 1);
    skit_derw_raw(w, (const uint8_t *)"\x05\x00", 2);
    skit_derw_close(w);
}

Test(der_writer, writes_a_structure_the_reader_reads_back)
{
    expect_hex(build_misc, NULL,
               "30 26 02 01 05 04 03 61 62 63 05 00 01 01 ff 01 01 00 06 09 60 86 48 01 65 03 04 02 01"
               " a0 03 02 01 ff 03 02 00 01 05 00");
}

struct long_case {
    size_t len;
    bool nested;
};

static void build_long(skit_derw *w, const void *arg)
{
    const struct long_case *c = arg;
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    if (c->nested) {
        skit_derw_open(w, SKIT_TAG_SET);
        skit_derw_open(w, SKIT_TAG_CTX_CONS(1));
    }
    for (size_t i = 0; i < c->len; i++) {
        uint8_t b = (uint8_t)(i * 31u + 7u);
        skit_derw_raw(w, &b, 1);
    }
    if (c->nested) {
        skit_derw_close(w);
        skit_derw_close(w);
    }
    skit_derw_close(w);
}

Test(der_writer, fixes_long_form_lengths_at_every_boundary)
{
    static const size_t lens[] = {0, 1, 126, 127, 128, 129, 255, 256, 257, 65535, 65536, 65537};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int nested = 0; nested < 2; nested++) {
            struct long_case c = {lens[i], nested != 0};
            size_t n = 0;
            uint8_t *b = build_checked(build_long, &c, &n, lens[i] < 300);
            skit_tlv t;
            skit_der d;
            skit_der s1;
            skit_der s2;
            skit_tlv inner;
            /* [1]: len + header; SET and SEQUENCE each add their own header */
            size_t expect_total = lens[i] + skit_der_header_len(lens[i]);
            if (c.nested) {
                expect_total += skit_der_header_len(expect_total);
                expect_total += skit_der_header_len(expect_total);
            }
            cr_assert_eq(n, expect_total, "len %zu nested %d", lens[i], nested);
            cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, n}, 0, SKIT_TAG_SEQUENCE, &t), SCEPKIT_OK);
            skit_der_init(&d, (scepkit_bytes){b, n}, 0);
            cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &s1), SCEPKIT_OK);
            if (c.nested) {
                cr_assert_eq(skit_der_enter(&s1, SKIT_TAG_SET, &s2), SCEPKIT_OK);
                cr_assert_eq(skit_der_expect(&s2, SKIT_TAG_CTX_CONS(1), &inner), SCEPKIT_OK);
            } else {
                inner = t;
            }
            cr_assert_eq(inner.value.len, lens[i]);
            for (size_t k = 0; k < lens[i]; k++) {
                if (inner.value.ptr[k] != (uint8_t)(k * 31u + 7u)) {
                    cr_assert_fail("len %zu byte %zu", lens[i], k);
                }
            }
            free(b);
        }
    }
}

Test(der_writer, header_length_matches_the_encoding)
{
    cr_assert_eq(skit_der_header_len(0), 2);
    cr_assert_eq(skit_der_header_len(127), 2);
    cr_assert_eq(skit_der_header_len(128), 3);
    cr_assert_eq(skit_der_header_len(255), 3);
    cr_assert_eq(skit_der_header_len(256), 4);
    cr_assert_eq(skit_der_header_len(65535), 4);
    cr_assert_eq(skit_der_header_len(65536), 5);
    cr_assert_eq(skit_der_header_len(16777216), 6);
}

static void build_set(skit_derw *w, const void *arg)
{
    (void)arg;
    /* the same members as tests below feed to `openssl asn1parse -genconf` */
    skit_derw_open_set(w, SKIT_TAG_SET);
    skit_derw_int64(w, 3);
    skit_derw_int64(w, 1);
    skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, (const uint8_t *)"a", 1);
    skit_derw_int64(w, 256);
    skit_derw_null(w);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, skit_oid_bytes(SKIT_OID_AT_CN));
    skit_derw_tlv(w, SKIT_TAG_UTF8_STRING, (const uint8_t *)"z", 1);
    skit_derw_close(w);
    skit_derw_int64(w, -1);
    skit_derw_close(w);
}

#define SET_EXPECTED "31 1c 02 01 01 02 01 03 02 01 ff 02 02 01 00 04 01 61 05 00 30 08 06 03 55 04 03 0c 01 7a"

Test(der_writer, set_of_is_sorted_by_encoding)
{
    expect_hex(build_set, NULL, SET_EXPECTED);
}

Test(der_writer, set_of_order_matches_openssl)
{
    char dir[1024];
    char cmd[4096];
    char path[1100];
    char out[4096];
    size_t n = 0;
    ts_tmpdir("der_writer_set", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/set.cnf", dir);
    const char *cnf = "asn1=SET:set\n[set]\na=INTEGER:3\nb=INTEGER:1\nc=OCTETSTRING:a\nd=INTEGER:256\ne=NULL\n"
                      "f=SEQUENCE:inner\ng=INTEGER:-1\n[inner]\nx=OID:2.5.4.3\ny=UTF8:z\n";
    cr_assert_eq(ts_write_file(path, (const uint8_t *)cnf, strlen(cnf)), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl asn1parse -genconf set.cnf -noout -out set.der 2>&1", dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
    snprintf(path, sizeof path, "%s/set.der", dir);
    uint8_t *ref = ts_read_file(path, &n);
    cr_assert_not_null(ref);
    size_t got_len = 0;
    uint8_t *got = build_checked(build_set, NULL, &got_len, true);
    cr_assert_eq(got_len, n);
    cr_assert_arr_eq(got, ref, n);
    free(got);
    free(ref);
}

struct big_set {
    size_t count;
};

/* Elements of different lengths, several with long-form lengths, written in reverse order. */
static void build_big_set(skit_derw *w, const void *arg)
{
    const struct big_set *c = arg;
    uint8_t v[300];
    memset(v, 0x5a, sizeof v);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_open_set(w, SKIT_TAG_SET);
    for (size_t i = c->count; i-- > 0;) {
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, v, (i * 37u) % sizeof v);
        skit_derw_int64(w, (int64_t)i * 1000 - 500);
    }
    skit_derw_close(w);
    skit_derw_close(w);
}

Test(der_writer, large_set_of_is_sorted_and_keeps_every_element)
{
    struct big_set c = {40};
    size_t n = 0;
    uint8_t *b = build_checked(build_big_set, &c, &n, false);
    skit_der d;
    skit_der seq;
    skit_der set;
    skit_tlv prev;
    size_t count = 0;
    skit_der_init(&d, (scepkit_bytes){b, n}, 0);
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&seq, SKIT_TAG_SET, &set), SCEPKIT_OK);
    memset(&prev, 0, sizeof prev);
    while (skit_der_more(&set)) {
        skit_tlv t;
        cr_assert_eq(skit_der_read(&set, &t), SCEPKIT_OK);
        if (count > 0) {
            size_t m = prev.raw.len < t.raw.len ? prev.raw.len : t.raw.len;
            int c2 = memcmp(prev.raw.ptr, t.raw.ptr, m);
            cr_assert(c2 < 0 || (c2 == 0 && prev.raw.len <= t.raw.len), "element %zu out of order", count);
        }
        prev = t;
        count++;
    }
    cr_assert_eq(count, 80);
    cr_assert_eq(skit_der_done(&seq), SCEPKIT_OK);
    free(b);
}

Test(der_writer, set_of_with_garbage_children_fails)
{
    uint8_t buf[32];
    skit_derw w;
    size_t n = 0;
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_open_set(&w, SKIT_TAG_SET);
    skit_derw_raw(&w, (const uint8_t *)"\x02\x05\x01", 3);
    skit_derw_close(&w);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_LENGTH);
}

Test(der_writer, unbalanced_or_too_deep_nesting_is_an_error)
{
    uint8_t buf[256];
    skit_derw w;
    size_t n = 0;
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_close(&w);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_WRITER_DEPTH);

    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_WRITER_DEPTH);

    skit_derw_init(&w, NULL, 0);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_WRITER_DEPTH);

    skit_derw_init(&w, buf, sizeof buf);
    for (int i = 0; i < SCEPKIT_DER_MAX_DEPTH; i++) {
        skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    }
    for (int i = 0; i < SCEPKIT_DER_MAX_DEPTH; i++) {
        skit_derw_close(&w);
    }
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_OK);
    cr_assert_eq(n, 2 * SCEPKIT_DER_MAX_DEPTH);

    skit_derw_init(&w, buf, sizeof buf);
    for (int i = 0; i < SCEPKIT_DER_MAX_DEPTH + 1; i++) {
        skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    }
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_WRITER_DEPTH);
}

Test(der_writer, the_first_error_is_sticky_and_hard_errors_beat_too_small)
{
    uint8_t buf[4];
    skit_derw w;
    size_t n = 123;
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_fail(&w, SCEPKIT_ERR_DN_SYNTAX);
    skit_derw_int64(&w, 1);
    skit_derw_fail(&w, SCEPKIT_ERR_DER_VALUE);
    cr_assert_not(skit_derw_real(&w));
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DN_SYNTAX);
    cr_assert_eq(n, 0);

    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_tlv(&w, SKIT_TAG_OCTET_STRING, (const uint8_t *)"abcdef", 6);
    cr_assert_eq(w.err, SCEPKIT_ERR_BUFFER_TOO_SMALL);
    skit_derw_fail(&w, SCEPKIT_ERR_DN_SYNTAX);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DN_SYNTAX);

    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_bits(&w, 8, (const uint8_t *)"\x00", 1);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_ARG);
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_oid(&w, (scepkit_bytes){(const uint8_t *)"\x80\x01", 2});
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_DER_VALUE);
}

Test(der_writer, reserve_gives_room_in_place)
{
    uint8_t buf[16];
    skit_derw w;
    size_t n = 0;
    skit_derw_init(&w, buf, sizeof buf);
    skit_derw_open(&w, SKIT_TAG_OCTET_STRING);
    uint8_t *p = skit_derw_reserve(&w, 3);
    cr_assert_not_null(p);
    memcpy(p, "xyz", 3);
    skit_derw_close(&w);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_OK);
    cr_assert_eq(n, 5);
    cr_assert_arr_eq(buf, "\x04\x03xyz", 5);

    skit_derw_init(&w, NULL, 0);
    cr_assert_null(skit_derw_reserve(&w, 100));
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 100);

    skit_derw_init(&w, buf, sizeof buf);
    cr_assert_null(skit_derw_reserve(&w, 17));
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 17);
}

Test(der_writer, size_only_pass_reports_the_size_with_buffer_too_small)
{
    skit_derw w;
    size_t n = 0;
    skit_derw_init(&w, NULL, 0);
    cr_assert_not(skit_derw_real(&w));
    build_misc(&w, NULL);
    cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 0x28);
}
