/* The DER/BER reader and the primitive decoders. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "test_support.h"

/* Hex with optional spaces to bytes; returns the length. */
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

/* Reads every element at every level, entering constructed ones (recursion bounded by the reader's
 * depth limit). Returns the first error. */
static scepkit_err walk(skit_der *d)
{
    while (skit_der_more(d)) {
        skit_tlv t;
        skit_der child;
        scepkit_err err = skit_der_read(d, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if ((t.tag & SKIT_TAG_CONSTRUCTED) != 0) {
            err = skit_der_enter_tlv(d, &t, &child);
            if (err != SCEPKIT_OK) {
                return err;
            }
            err = walk(&child);
            if (err != SCEPKIT_OK) {
                return err;
            }
        }
    }
    return SCEPKIT_OK;
}

/* parse_one (any tag) of the whole input, then a walk of its inside. */
static scepkit_err check_all(const uint8_t *b, size_t n, unsigned flags)
{
    skit_tlv t;
    skit_der d;
    scepkit_err err = skit_der_parse_one((scepkit_bytes){b, n}, flags, 0, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_der_init(&d, (scepkit_bytes){b, n}, flags);
    return walk(&d);
}

Test(der_reader, reads_a_nested_der_structure)
{
    uint8_t b[64];
    size_t n = unhex("30 0d 02 01 05 04 03 61 62 63 05 00 80 01 ff", b, sizeof b);
    skit_der d;
    skit_der seq;
    skit_tlv t;
    int64_t v = 0;
    skit_der_init(&d, (scepkit_bytes){b, n}, 0);
    cr_assert(skit_der_more(&d));
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq), SCEPKIT_OK);
    cr_assert_eq(seq.depth, 1);
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_INTEGER, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_int64(&t, &v), SCEPKIT_OK);
    cr_assert_eq(v, 5);
    cr_assert_eq(t.raw.ptr, b + 2);
    cr_assert_eq(t.raw.len, 3);
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_OK);
    cr_assert_eq(t.value.len, 3);
    cr_assert_arr_eq(t.value.ptr, "abc", 3);
    cr_assert_not(t.indefinite);
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_NULL, &t), SCEPKIT_OK);
    cr_assert_eq(t.value.len, 0);
    cr_assert_eq(skit_der_done(&seq), SCEPKIT_ERR_DER_TRAILING);
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_CTX(0), &t), SCEPKIT_OK);
    cr_assert_eq(t.value.ptr[0], 0xff);
    cr_assert_eq(skit_der_done(&seq), SCEPKIT_OK);
    cr_assert_eq(skit_der_done(&d), SCEPKIT_OK);
    cr_assert_not(skit_der_more(&d));
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_NULL, &t), SCEPKIT_ERR_DER_TRUNCATED);
}

Test(der_reader, expect_with_another_tag_consumes_nothing)
{
    uint8_t b[] = {0x02, 0x01, 0x05, 0x05, 0x00};
    skit_der d;
    skit_tlv t;
    bool present = true;
    uint8_t tag = 0;
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_ERR_DER_TAG);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &(skit_der){0}), SCEPKIT_ERR_DER_TAG);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_optional(&d, SKIT_TAG_CTX(0), &t, &present), SCEPKIT_OK);
    cr_assert_not(present);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_peek(&d, &tag), SCEPKIT_OK);
    cr_assert_eq(tag, SKIT_TAG_INTEGER);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_optional(&d, SKIT_TAG_INTEGER, &t, &present), SCEPKIT_OK);
    cr_assert(present);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_NULL, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_peek(&d, &tag), SCEPKIT_ERR_DER_TRUNCATED);
    cr_assert_eq(skit_der_optional(&d, SKIT_TAG_NULL, &t, &present), SCEPKIT_OK);
    cr_assert_not(present);
}

Test(der_reader, accepts_minimal_long_form_lengths)
{
    static uint8_t b[4 + 65536];
    memset(b, 0x41, sizeof b);
    b[0] = 0x04;
    b[1] = 0x81;
    b[2] = 0x80;
    skit_tlv t;
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, 3 + 128}, 0, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_OK);
    cr_assert_eq(t.value.len, 128);
    b[1] = 0x81;
    b[2] = 0xff;
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, 3 + 255}, 0, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_OK);
    cr_assert_eq(t.value.len, 255);
    b[1] = 0x82;
    b[2] = 0x01;
    b[3] = 0x00;
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, 4 + 256}, 0, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_OK);
    cr_assert_eq(t.value.len, 256);
    cr_assert_eq(t.raw.len, 260);
    b[1] = 0x83;
    b[2] = 0x01;
    b[3] = 0x00;
    b[4] = 0x00;
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, sizeof b}, 0, SKIT_TAG_OCTET_STRING, &t),
                 SCEPKIT_ERR_DER_LENGTH);
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, 5 + 65536 - 1}, 0, SKIT_TAG_OCTET_STRING, &t),
                 SCEPKIT_ERR_DER_LENGTH);
}

struct hostile {
    const char *hex;
    unsigned flags;
    scepkit_err err;
    const char *why;
};

static const struct hostile hostile_inputs[] = {
    {"", 0, SCEPKIT_ERR_DER_TRUNCATED, "empty"},
    {"30", 0, SCEPKIT_ERR_DER_TRUNCATED, "tag without length"},
    {"30 81", 0, SCEPKIT_ERR_DER_TRUNCATED, "long form without its octet"},
    {"30 82 01", 0, SCEPKIT_ERR_DER_TRUNCATED, "long form cut short"},
    {"30 05 02 01", 0, SCEPKIT_ERR_DER_LENGTH, "length beyond the input"},
    {"04 84 ff ff ff ff 00", 0, SCEPKIT_ERR_DER_LENGTH, "4-octet length far beyond the input"},
    {"04 85 00 00 00 00 01 00", 0, SCEPKIT_ERR_DER_LENGTH, "more than 4 length octets"},
    {"04 89 01 00 00 00 00 00 00 00 00", 0, SCEPKIT_ERR_DER_LENGTH, "size_t overflow attempt"},
    {"04 ff 00", 0, SCEPKIT_ERR_DER_LENGTH, "reserved length octet 0xff"},
    {"04 81 05 00 00 00 00 00", 0, SCEPKIT_ERR_DER_NONMINIMAL, "long form for a short length"},
    {"04 82 00 80", 0, SCEPKIT_ERR_DER_NONMINIMAL, "leading zero length octet"},
    {"04 81 05 00 00 00 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_NONMINIMAL, "BER mode stays strict on lengths"},
    {"30 80 00 00", 0, SCEPKIT_ERR_DER_INDEFINITE, "indefinite length in DER"},
    {"30 03 30 80 00", 0, SCEPKIT_ERR_DER_INDEFINITE, "nested indefinite length in DER"},
    {"04 80 04 01 61 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_INDEFINITE, "indefinite primitive in BER"},
    {"30 80 02 01 01", SKIT_DER_BER, SCEPKIT_ERR_DER_TRUNCATED, "missing end-of-contents"},
    {"30 80 30 80 02 01 01 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TRUNCATED, "missing outer end-of-contents"},
    {"30 80 02 01 01 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TRUNCATED, "half an end-of-contents"},
    {"30 80 00 01 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "00 01 is not an end-of-contents"},
    {"30 80 30 05 02 01 01 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TRUNCATED, "EOC swallowed by a definite child"},
    {"30 04 00 00 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "EOC inside a definite element"},
    {"00 00", 0, SCEPKIT_ERR_DER_TAG, "EOC at top level (DER)"},
    {"00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "EOC at top level (BER)"},
    {"02 01 01 00", 0, SCEPKIT_ERR_DER_TRAILING, "trailing byte"},
    {"30 80 00 00 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TRAILING, "extra EOC after an indefinite element"},
    {"1f 01 00", 0, SCEPKIT_ERR_DER_TAG, "multi-byte tag"},
    {"3f 81 01 00", 0, SCEPKIT_ERR_DER_TAG, "multi-byte constructed tag"},
    {"30 03 1f 01 00", 0, SCEPKIT_ERR_DER_TAG, "multi-byte tag inside"},
    {"30 80 bf 01 00 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "multi-byte tag inside an indefinite element"},
    {"30 03 02 02 01", 0, SCEPKIT_ERR_DER_LENGTH, "child longer than its parent"},
    {"30 03 30 82 01", 0, SCEPKIT_ERR_DER_TRUNCATED, "child length octets beyond its parent"},
    {"30 04 30 82 01 00", 0, SCEPKIT_ERR_DER_LENGTH, "child length beyond its parent"},
    {"24 03 04 01 61", 0, SCEPKIT_ERR_DER_TAG, "constructed OCTET STRING in DER"},
    {"23 80 03 02 00 61 00 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "constructed BIT STRING (even in BER)"},
    {"2c 03 0c 01 61", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "constructed UTF8String (even in BER)"},
    {"22 03 02 01 01", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "constructed INTEGER"},
    {"10 00", 0, SCEPKIT_ERR_DER_TAG, "primitive SEQUENCE"},
    {"11 00", SKIT_DER_BER, SCEPKIT_ERR_DER_TAG, "primitive SET"},
    {"30 02 26 00", 0, SCEPKIT_ERR_DER_TAG, "constructed OID inside"},
};

Test(der_reader, rejects_hostile_inputs_with_the_right_error)
{
    for (size_t i = 0; i < sizeof hostile_inputs / sizeof hostile_inputs[0]; i++) {
        uint8_t b[64];
        size_t n = unhex(hostile_inputs[i].hex, b, sizeof b);
        /* an exact-size heap copy so ASan sees any read past the end */
        uint8_t *h = malloc(n > 0 ? n : 1);
        cr_assert_not_null(h);
        memcpy(h, b, n);
        scepkit_err err = check_all(h, n, hostile_inputs[i].flags);
        cr_expect_eq(err, hostile_inputs[i].err, "%s (%s): got %s, want %s", hostile_inputs[i].why,
                     hostile_inputs[i].hex, scepkit_err_name(err), scepkit_err_name(hostile_inputs[i].err));
        free(h);
    }
}

Test(der_reader, a_failed_read_does_not_move_the_cursor)
{
    uint8_t b[] = {0x30, 0x05, 0x02, 0x01};
    skit_der d;
    skit_tlv t;
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_ERR_DER_LENGTH);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &(skit_der){0}), SCEPKIT_ERR_DER_LENGTH);
    cr_assert_eq(d.p, b);
}

/* levels x (30 80) followed by levels x (00 00) */
static uint8_t *ber_bomb(size_t levels, size_t *n)
{
    uint8_t *b = malloc(4 * levels);
    cr_assert_not_null(b);
    for (size_t i = 0; i < levels; i++) {
        b[2 * i] = 0x30;
        b[2 * i + 1] = 0x80;
        b[2 * levels + 2 * i] = 0x00;
        b[2 * levels + 2 * i + 1] = 0x00;
    }
    *n = 4 * levels;
    return b;
}

/* levels nested definite SEQUENCEs around an empty one, built from the inside out */
static uint8_t *der_bomb(size_t levels, size_t *n)
{
    size_t cap = levels * 6 + 2;
    uint8_t *b = malloc(cap);
    size_t start = cap - 2;
    cr_assert_not_null(b);
    b[start] = 0x30;
    b[start + 1] = 0x00;
    for (size_t i = 1; i < levels; i++) {
        size_t len = cap - start;
        uint8_t h[6];
        size_t hl = 0;
        h[hl++] = 0x30;
        if (len < 0x80) {
            h[hl++] = (uint8_t)len;
        } else if (len < 0x100) {
            h[hl++] = 0x81;
            h[hl++] = (uint8_t)len;
        } else if (len < 0x10000) {
            h[hl++] = 0x82;
            h[hl++] = (uint8_t)(len >> 8);
            h[hl++] = (uint8_t)len;
        } else {
            h[hl++] = 0x83;
            h[hl++] = (uint8_t)(len >> 16);
            h[hl++] = (uint8_t)(len >> 8);
            h[hl++] = (uint8_t)len;
        }
        start -= hl;
        memcpy(b + start, h, hl);
    }
    *n = cap - start;
    memmove(b, b + start, *n);
    return b;
}

Test(der_reader, nesting_bomb_of_ten_thousand_levels_is_a_depth_error)
{
    size_t n = 0;
    uint8_t *b = ber_bomb(10000, &n);
    skit_der d;
    skit_tlv t;
    cr_assert_eq(check_all(b, n, SKIT_DER_BER), SCEPKIT_ERR_DER_DEPTH);
    skit_der_init(&d, (scepkit_bytes){b, n}, SKIT_DER_BER);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_ERR_DER_DEPTH);
    cr_assert_eq(check_all(b, n, 0), SCEPKIT_ERR_DER_INDEFINITE);
    free(b);

    b = der_bomb(10000, &n);
    cr_assert_eq(check_all(b, n, 0), SCEPKIT_ERR_DER_DEPTH);
    cr_assert_eq(check_all(b, n, SKIT_DER_BER), SCEPKIT_ERR_DER_DEPTH);
    free(b);
}

Test(der_reader, nesting_up_to_the_limit_is_accepted)
{
    size_t n = 0;
    uint8_t *b = der_bomb(SCEPKIT_DER_MAX_DEPTH, &n);
    cr_assert_eq(check_all(b, n, 0), SCEPKIT_OK);
    free(b);
    b = der_bomb(SCEPKIT_DER_MAX_DEPTH + 1, &n);
    cr_assert_eq(check_all(b, n, 0), SCEPKIT_ERR_DER_DEPTH);
    free(b);
    b = ber_bomb(SCEPKIT_DER_MAX_DEPTH, &n);
    cr_assert_eq(check_all(b, n, SKIT_DER_BER), SCEPKIT_OK);
    free(b);
    b = ber_bomb(SCEPKIT_DER_MAX_DEPTH + 1, &n);
    cr_assert_eq(check_all(b, n, SKIT_DER_BER), SCEPKIT_ERR_DER_DEPTH);
    free(b);
}

Test(der_reader, enter_beyond_the_depth_limit_fails_without_consuming)
{
    uint8_t b[] = {0x30, 0x00};
    skit_der d;
    skit_der child;
    skit_tlv t;
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    d.depth = SCEPKIT_DER_MAX_DEPTH;
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &child), SCEPKIT_ERR_DER_DEPTH);
    cr_assert_eq(d.p, b);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter_tlv(&d, &t, &child), SCEPKIT_ERR_DER_DEPTH);
    d.depth = SCEPKIT_DER_MAX_DEPTH - 1;
    cr_assert_eq(skit_der_enter_tlv(&d, &t, &child), SCEPKIT_OK);
    cr_assert_eq(child.depth, SCEPKIT_DER_MAX_DEPTH);
}

Test(der_reader, enter_requires_a_constructed_element)
{
    uint8_t b[] = {0x04, 0x00};
    skit_der d;
    skit_der child;
    skit_tlv t;
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter_tlv(&d, &t, &child), SCEPKIT_ERR_DER_TAG);
}

Test(der_reader, reads_an_indefinite_sequence_in_ber_mode)
{
    uint8_t b[64];
    size_t n = unhex("30 80 02 01 05 30 80 04 02 61 62 00 00 00 00", b, sizeof b);
    skit_der d;
    skit_der seq;
    skit_der inner;
    skit_tlv t;
    skit_tlv s;
    skit_der_init(&d, (scepkit_bytes){b, n}, SKIT_DER_BER);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_SEQUENCE, &t), SCEPKIT_OK);
    cr_assert(t.indefinite);
    cr_assert_eq(t.raw.len, n);
    cr_assert_eq(t.value.ptr, b + 2);
    cr_assert_eq(t.value.len, n - 4);
    cr_assert_eq(skit_der_done(&d), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter_tlv(&d, &t, &seq), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&seq, SKIT_TAG_INTEGER, &s), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&seq, SKIT_TAG_SEQUENCE, &inner), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&inner, SKIT_TAG_OCTET_STRING, &s), SCEPKIT_OK);
    cr_assert_arr_eq(s.value.ptr, "ab", 2);
    cr_assert_eq(skit_der_done(&inner), SCEPKIT_OK);
    cr_assert_eq(skit_der_done(&seq), SCEPKIT_OK);
}

Test(der_reader, reads_a_constructed_octet_string_in_ber_mode)
{
    uint8_t b[64];
    size_t n = unhex("24 80 04 02 61 62 24 80 04 01 63 00 00 04 00 24 03 04 01 64 00 00", b, sizeof b);
    skit_der d;
    skit_tlv t;
    skit_octets_iter it;
    scepkit_bytes seg;
    uint8_t out[8];
    size_t len = 0;
    skit_der_init(&d, (scepkit_bytes){b, n}, SKIT_DER_BER);
    /* asking for an OCTET STRING also finds the constructed form in BER mode */
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_OK);
    cr_assert_eq(t.tag, 0x24);
    cr_assert_eq(skit_octets_iter_init(&it, &d, &t), SCEPKIT_OK);
    const char *want[] = {"ab", "c", "", "d"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(skit_octets_next(&it, &seg), SCEPKIT_OK);
        cr_assert_eq(seg.len, strlen(want[i]));
        cr_assert_arr_eq(seg.ptr, want[i], seg.len);
    }
    cr_assert_eq(skit_octets_next(&it, &seg), SCEPKIT_ERR_NOT_FOUND);
    cr_assert_eq(skit_octets_len(&d, &t, &len), SCEPKIT_OK);
    cr_assert_eq(len, 4);
    cr_assert_eq(skit_octets_copy(&d, &t, out, sizeof out, &len), SCEPKIT_OK);
    cr_assert_eq(len, 4);
    cr_assert_arr_eq(out, "abcd", 4);
    cr_assert_eq(skit_octets_copy(&d, &t, out, 3, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(len, 4);
    cr_assert_eq(skit_octets_copy(&d, &t, NULL, 0, &len), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(len, 4);

    /* a primitive OCTET STRING is one segment */
    uint8_t p[] = {0x04, 0x02, 0x78, 0x79};
    skit_der_init(&d, (scepkit_bytes){p, sizeof p}, 0);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_octets_iter_init(&it, &d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_octets_next(&it, &seg), SCEPKIT_OK);
    cr_assert_eq(seg.len, 2);
    cr_assert_eq(skit_octets_next(&it, &seg), SCEPKIT_ERR_NOT_FOUND);
}

Test(der_reader, implicit_context_tags_match_the_constructed_form_only_in_ber_mode)
{
    uint8_t b[] = {0xa0, 0x03, 0x04, 0x01, 0x61};
    skit_der d;
    skit_tlv t;
    size_t len = 0;
    uint8_t out[4];
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, SKIT_DER_BER);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_CTX(0), &t), SCEPKIT_OK);
    cr_assert_eq(skit_octets_copy(&d, &t, out, sizeof out, &len), SCEPKIT_OK);
    cr_assert_eq(len, 1);
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_CTX(0), &t), SCEPKIT_ERR_DER_TAG);
    uint8_t c[] = {0x24, 0x03, 0x04, 0x01, 0x61};
    skit_der_init(&d, (scepkit_bytes){c, sizeof c}, 0);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_OCTET_STRING, &t), SCEPKIT_ERR_DER_TAG);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_ERR_DER_TAG, "constructed strings are not DER");
    /* nor is an implicitly tagged one: the octets iterator refuses it in DER mode */
    skit_der_init(&d, (scepkit_bytes){b, sizeof b}, 0);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_octets_len(&d, &t, &len), SCEPKIT_ERR_DER_TAG);
    /* the relaxation is for strings: a primitive INTEGER request never matches 0x22 */
    uint8_t i[] = {0x22, 0x03, 0x02, 0x01, 0x01};
    skit_der_init(&d, (scepkit_bytes){i, sizeof i}, SKIT_DER_BER);
    cr_assert_eq(skit_der_expect(&d, SKIT_TAG_INTEGER, &t), SCEPKIT_ERR_DER_TAG);
}

Test(der_reader, rejects_malformed_constructed_octet_strings)
{
    static const struct {
        const char *hex;
        scepkit_err err;
    } cases[] = {
        {"24 80 02 01 01 00 00", SCEPKIT_ERR_DER_TAG},             /* a segment that is not an OCTET STRING */
        {"24 80 a0 80 04 01 61 00 00 00 00", SCEPKIT_ERR_DER_TAG}, /* segments keep universal tag 4 */
        /* five levels of constructed segments: deeper than the iterator's stack */
        {"24 80 24 80 24 80 24 80 24 80 04 01 61 00 00 00 00 00 00 00 00 00 00", SCEPKIT_ERR_DER_DEPTH},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t b[64];
        size_t n = unhex(cases[k].hex, b, sizeof b);
        size_t len = 0;
        skit_der d;
        skit_tlv t;
        skit_der_init(&d, (scepkit_bytes){b, n}, SKIT_DER_BER);
        cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK, "%s", cases[k].hex);
        cr_assert_eq(skit_octets_len(&d, &t, &len), cases[k].err, "%s", cases[k].hex);
    }
    /* four levels fit */
    uint8_t b[64];
    size_t n = unhex("24 80 24 80 24 80 24 80 04 01 61 00 00 00 00 00 00 00 00", b, sizeof b);
    size_t len = 0;
    skit_der d;
    skit_tlv t;
    skit_der_init(&d, (scepkit_bytes){b, n}, SKIT_DER_BER);
    cr_assert_eq(skit_der_read(&d, &t), SCEPKIT_OK);
    cr_assert_eq(skit_octets_len(&d, &t, &len), SCEPKIT_OK);
    cr_assert_eq(len, 1);
}

Test(der_reader, parse_one_checks_tag_and_trailing_bytes)
{
    uint8_t b[] = {0x02, 0x01, 0x07};
    skit_tlv t;
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, sizeof b}, 0, SKIT_TAG_INTEGER, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, sizeof b}, 0, SKIT_TAG_SEQUENCE, &t), SCEPKIT_ERR_DER_TAG);
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, sizeof b}, 0, 0, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){b, 2}, 0, SKIT_TAG_INTEGER, &t), SCEPKIT_ERR_DER_LENGTH);
    cr_assert_eq(skit_der_parse_one((scepkit_bytes){NULL, 0}, 0, SKIT_TAG_INTEGER, &t), SCEPKIT_ERR_DER_TRUNCATED);
}

/* Signs a 10000-byte file with `openssl cms -sign -stream` (indefinite lengths, the content as a
 * constructed OCTET STRING in 4096-byte chunks), then finds eContent and reassembles it.
 *
 *   ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY }        -- RFC 5652 3
 *   SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo, ... } -- RFC 5652 5.1
 *   EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
 */
Test(der_reader, reassembles_the_content_of_openssl_cms_stream_output)
{
    char dir[1024];
    char cmd[4096];
    char path[1100];
    char out[4096];
    uint8_t content[10000];
    size_t n = 0;
    ts_tmpdir("der_cms_stream", dir, sizeof dir);
    for (size_t i = 0; i < sizeof content; i++) {
        content[i] = (uint8_t)(i * 7u + (i >> 8));
    }
    snprintf(path, sizeof path, "%s/data", dir);
    cr_assert_eq(ts_write_file(path, content, sizeof content), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=t -keyout k -out c 2>&1 && "
             "openssl cms -sign -stream -nodetach -binary -in data -signer c -inkey k -outform DER -out s.der 2>&1",
             dir);
    cr_assert_eq(ts_run(cmd, out, sizeof out), 0, "%s", out);
    snprintf(path, sizeof path, "%s/s.der", dir);
    uint8_t *der = ts_read_file(path, &n);
    cr_assert_not_null(der);

    /* the whole message walks cleanly in BER mode and is refused in DER mode */
    cr_assert_eq(check_all(der, n, SKIT_DER_BER), SCEPKIT_OK);
    cr_assert_eq(check_all(der, n, 0), SCEPKIT_ERR_DER_INDEFINITE);

    skit_der d;
    skit_der ci;
    skit_der x0;
    skit_der sd;
    skit_der eci;
    skit_der e0;
    skit_tlv t;
    skit_tlv ec;
    skit_der_init(&d, (scepkit_bytes){der, n}, SKIT_DER_BER);
    cr_assert_eq(skit_der_enter(&d, SKIT_TAG_SEQUENCE, &ci), SCEPKIT_OK);
    cr_assert_eq(skit_der_done(&d), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&ci, SKIT_TAG_OID, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&ci, SKIT_TAG_CTX_CONS(0), &x0), SCEPKIT_OK);
    cr_assert_eq(skit_der_done(&ci), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&x0, SKIT_TAG_SEQUENCE, &sd), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&sd, SKIT_TAG_INTEGER, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&sd, SKIT_TAG_SET, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&sd, SKIT_TAG_SEQUENCE, &eci), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&eci, SKIT_TAG_OID, &t), SCEPKIT_OK);
    cr_assert_eq(skit_der_enter(&eci, SKIT_TAG_CTX_CONS(0), &e0), SCEPKIT_OK);
    cr_assert_eq(skit_der_expect(&e0, SKIT_TAG_OCTET_STRING, &ec), SCEPKIT_OK);
    cr_assert(ec.indefinite, "openssl -stream output should use indefinite lengths");
    cr_assert_eq(ec.tag, 0x24);

    skit_octets_iter it;
    scepkit_bytes seg;
    size_t segments = 0;
    cr_assert_eq(skit_octets_iter_init(&it, &e0, &ec), SCEPKIT_OK);
    while (skit_octets_next(&it, &seg) == SCEPKIT_OK) {
        segments++;
    }
    cr_assert_gt(segments, 1);

    static uint8_t got[sizeof content];
    size_t len = 0;
    cr_assert_eq(skit_octets_copy(&e0, &ec, got, sizeof got, &len), SCEPKIT_OK);
    cr_assert_eq(len, sizeof content);
    cr_assert_arr_eq(got, content, sizeof content);
    free(der);
}

/* ---- primitive decoders ---- */

static skit_tlv prim(uint8_t tag, const uint8_t *v, size_t n)
{
    skit_tlv t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    t.value.ptr = v;
    t.value.len = n;
    return t;
}

Test(der_primitives, integers_decode_with_der_rules)
{
    static const struct {
        const char *hex;
        scepkit_err err;
        int64_t v;
    } cases[] = {
        {"00", SCEPKIT_OK, 0},
        {"7f", SCEPKIT_OK, 127},
        {"00 80", SCEPKIT_OK, 128},
        {"00 ff", SCEPKIT_OK, 255},
        {"01 00", SCEPKIT_OK, 256},
        {"ff", SCEPKIT_OK, -1},
        {"80", SCEPKIT_OK, -128},
        {"ff 7f", SCEPKIT_OK, -129},
        {"80 00 00 00 00 00 00 00", SCEPKIT_OK, INT64_MIN},
        {"7f ff ff ff ff ff ff ff", SCEPKIT_OK, INT64_MAX},
        {"00 80 00 00 00 00 00 00 00", SCEPKIT_ERR_DER_TOO_LARGE, 0},
        {"ff 7f ff ff ff ff ff ff ff", SCEPKIT_ERR_DER_TOO_LARGE, 0},
        {"", SCEPKIT_ERR_DER_VALUE, 0},
        {"00 00", SCEPKIT_ERR_DER_NONMINIMAL, 0},
        {"00 7f", SCEPKIT_ERR_DER_NONMINIMAL, 0},
        {"ff ff", SCEPKIT_ERR_DER_NONMINIMAL, 0},
        {"ff 80", SCEPKIT_ERR_DER_NONMINIMAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[16];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        skit_tlv t = prim(SKIT_TAG_INTEGER, b, n);
        int64_t v = 12345;
        cr_assert_eq(skit_der_int64(&t, &v), cases[i].err, "'%s'", cases[i].hex);
        if (cases[i].err == SCEPKIT_OK) {
            cr_assert_eq(v, cases[i].v, "'%s'", cases[i].hex);
        }
    }
    skit_tlv c = prim(0x22, (const uint8_t *)"\x01", 1);
    int64_t v;
    cr_assert_eq(skit_der_int64(&c, &v), SCEPKIT_ERR_DER_TAG);
}

Test(der_primitives, unsigned_integers_give_the_magnitude)
{
    static const struct {
        const char *hex;
        scepkit_err err;
        const char *mag;
    } cases[] = {
        {"00", SCEPKIT_OK, "00"},
        {"01", SCEPKIT_OK, "01"},
        {"7f", SCEPKIT_OK, "7f"},
        {"00 80", SCEPKIT_OK, "80"},
        {"00 ff ff", SCEPKIT_OK, "ff ff"},
        {"01 00 00 00 00 00 00 00 00 00", SCEPKIT_OK, "01 00 00 00 00 00 00 00 00 00"},
        {"80", SCEPKIT_ERR_DER_VALUE, ""},
        {"ff", SCEPKIT_ERR_DER_VALUE, ""},
        {"", SCEPKIT_ERR_DER_VALUE, ""},
        {"00 01", SCEPKIT_ERR_DER_NONMINIMAL, ""},
        {"00 00 80", SCEPKIT_ERR_DER_NONMINIMAL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[16];
        uint8_t m[16];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        size_t mn = unhex(cases[i].mag, m, sizeof m);
        skit_tlv t = prim(SKIT_TAG_INTEGER, b, n);
        scepkit_bytes mag = {NULL, 0};
        cr_assert_eq(skit_der_uint_bytes(&t, &mag), cases[i].err, "'%s'", cases[i].hex);
        if (cases[i].err == SCEPKIT_OK) {
            cr_assert_eq(mag.len, mn, "'%s'", cases[i].hex);
            cr_assert_arr_eq(mag.ptr, m, mn);
        }
    }
}

Test(der_primitives, booleans_are_00_or_ff)
{
    static const struct {
        const char *hex;
        scepkit_err err;
        bool v;
    } cases[] = {
        {"00", SCEPKIT_OK, false},
        {"ff", SCEPKIT_OK, true},
        {"01", SCEPKIT_ERR_DER_NONMINIMAL, false},
        {"fe", SCEPKIT_ERR_DER_NONMINIMAL, false},
        {"", SCEPKIT_ERR_DER_VALUE, false},
        {"ff ff", SCEPKIT_ERR_DER_VALUE, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[4];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        skit_tlv t = prim(SKIT_TAG_BOOLEAN, b, n);
        bool v = !cases[i].v;
        cr_assert_eq(skit_der_bool(&t, &v), cases[i].err, "'%s'", cases[i].hex);
        if (cases[i].err == SCEPKIT_OK) {
            cr_assert_eq(v, cases[i].v);
        }
    }
}

Test(der_primitives, bit_strings_follow_der_rules)
{
    static const struct {
        const char *hex;
        scepkit_err err;
        uint8_t unused;
        size_t len;
    } cases[] = {
        {"00", SCEPKIT_OK, 0, 0},
        {"00 ff", SCEPKIT_OK, 0, 1},
        {"05 a0", SCEPKIT_OK, 5, 1},
        {"07 80", SCEPKIT_OK, 7, 1},
        {"01 ff fe", SCEPKIT_OK, 1, 2},
        {"", SCEPKIT_ERR_DER_VALUE, 0, 0},
        {"01", SCEPKIT_ERR_DER_VALUE, 0, 0},
        {"08 00", SCEPKIT_ERR_DER_VALUE, 0, 0},
        {"05 a1", SCEPKIT_ERR_DER_VALUE, 0, 0},
        {"07 c0", SCEPKIT_ERR_DER_VALUE, 0, 0},
        {"01 ff ff", SCEPKIT_ERR_DER_VALUE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[8];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        skit_tlv t = prim(SKIT_TAG_BIT_STRING, b, n);
        uint8_t unused = 99;
        scepkit_bytes bits;
        cr_assert_eq(skit_der_bits(&t, &unused, &bits), cases[i].err, "'%s'", cases[i].hex);
        if (cases[i].err == SCEPKIT_OK) {
            cr_assert_eq(unused, cases[i].unused);
            cr_assert_eq(bits.len, cases[i].len);
            cr_assert_eq(bits.ptr, b + 1);
        }
    }
}

Test(der_primitives, times_convert_to_unix_seconds)
{
    static const struct {
        uint8_t tag;
        const char *text;
        scepkit_err err;
        int64_t t;
    } cases[] = {
        {SKIT_TAG_UTC_TIME, "700101000000Z", SCEPKIT_OK, 0},
        {SKIT_TAG_UTC_TIME, "500101000000Z", SCEPKIT_OK, -631152000},
        {SKIT_TAG_UTC_TIME, "491231235959Z", SCEPKIT_OK, 2524607999},
        {SKIT_TAG_UTC_TIME, "000229123456Z", SCEPKIT_OK, 951827696},
        {SKIT_TAG_UTC_TIME, "240229000000Z", SCEPKIT_OK, 1709164800},
        {SKIT_TAG_GENERALIZED_TIME, "20500101000000Z", SCEPKIT_OK, 2524608000},
        {SKIT_TAG_GENERALIZED_TIME, "19700101000000Z", SCEPKIT_OK, 0},
        {SKIT_TAG_GENERALIZED_TIME, "16000229000000Z", SCEPKIT_OK, -11670998400},
        {SKIT_TAG_GENERALIZED_TIME, "00000101000000Z", SCEPKIT_OK, -62167219200},
        {SKIT_TAG_GENERALIZED_TIME, "99991231235959Z", SCEPKIT_OK, 253402300799},
        {SKIT_TAG_GENERALIZED_TIME, "19000229000000Z", SCEPKIT_ERR_DER_VALUE, 0}, /* 1900 is not leap */
        {SKIT_TAG_GENERALIZED_TIME, "21000229000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230229000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230230000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230431000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "231301000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230001000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230100000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230101240000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230101006000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230101000060Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "2301010000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230101000000", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "230101000000+0000", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "2301010000 0Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "23010100000-Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_UTC_TIME, "20230101000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_GENERALIZED_TIME, "230101000000Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_GENERALIZED_TIME, "20230101000000.5Z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_GENERALIZED_TIME, "20230101000000z", SCEPKIT_ERR_DER_VALUE, 0},
        {SKIT_TAG_OCTET_STRING, "230101000000Z", SCEPKIT_ERR_DER_TAG, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        skit_tlv t = prim(cases[i].tag, (const uint8_t *)cases[i].text, strlen(cases[i].text));
        int64_t v = 1;
        cr_assert_eq(skit_der_time(&t, &v), cases[i].err, "'%s'", cases[i].text);
        if (cases[i].err == SCEPKIT_OK) {
            cr_assert_eq(v, cases[i].t, "'%s': %lld", cases[i].text, (long long)v);
        }
    }
}

Test(der_primitives, every_day_of_four_centuries_round_trips_through_the_writer)
{
    /* 1900-03-01 .. 2300: every day at 12:34:56, written with the writer and read back */
    int64_t start = -2203891200 + 45296; /* 1900-03-01T12:34:56Z */
    for (int64_t day = 0; day < 146097; day++) {
        uint8_t buf[32];
        skit_derw w;
        size_t n = 0;
        skit_tlv t;
        int64_t back = 0;
        int64_t when = start + day * 86400;
        skit_derw_init(&w, buf, sizeof buf);
        skit_derw_time(&w, when);
        cr_assert_eq(skit_derw_finish(&w, &n), SCEPKIT_OK);
        cr_assert_eq(skit_der_parse_one((scepkit_bytes){buf, n}, 0, 0, &t), SCEPKIT_OK);
        cr_assert_eq(skit_der_time(&t, &back), SCEPKIT_OK);
        if (back != when) {
            cr_assert_fail("day %lld: %.*s", (long long)day, (int)t.value.len, (const char *)t.value.ptr);
        }
    }
}

Test(der_primitives, oid_contents_are_checked)
{
    static const struct {
        const char *hex;
        scepkit_err err;
    } cases[] = {
        {"2a 86 48", SCEPKIT_OK},
        {"00", SCEPKIT_OK},
        {"", SCEPKIT_ERR_DER_VALUE},
        {"80 01", SCEPKIT_ERR_DER_VALUE},
        {"2a 80 01", SCEPKIT_ERR_DER_VALUE},
        {"2a 86", SCEPKIT_ERR_DER_VALUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[8];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        cr_assert_eq(skit_der_oid_check((scepkit_bytes){n ? b : NULL, n}), cases[i].err, "'%s'", cases[i].hex);
    }
}
