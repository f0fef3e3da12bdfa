/*
 * DER reader with a BER-tolerant mode (see der.h for the contract).
 *
 * Every function only moves a cursor on success, so a failed expect() or enter() leaves the
 * parent where it was. Nothing here recurses: indefinite-length elements are scanned with a
 * counter of open levels, bounded by SCEPKIT_DER_MAX_DEPTH, so a nesting bomb costs one pass.
 */
#include <string.h>

#include "der/der.h"

void skit_der_init(skit_der *d, scepkit_bytes in, unsigned flags)
{
    if (d == NULL) {
        return;
    }
    /* NULL + 0 is undefined in C: keep an empty view as two NULLs. */
    d->p = in.ptr;
    d->end = in.ptr != NULL ? in.ptr + in.len : NULL;
    d->depth = 0;
    d->flags = (uint8_t)(flags & SKIT_DER_BER);
}

bool skit_der_more(const skit_der *d)
{
    return d != NULL && d->p != NULL && d->p < d->end;
}

static size_t remaining(const uint8_t *p, const uint8_t *end)
{
    return (p != NULL && p < end) ? (size_t)(end - p) : 0;
}

/* The result of reading one identifier and length. */
typedef struct der_hdr {
    uint8_t tag;
    bool indefinite;
    size_t hdr_len; /* identifier + length octets */
    size_t len;     /* contents length (0 when indefinite) */
} der_hdr;

/*
 * Universal types have a fixed form: SEQUENCE and SET are constructed, everything else used in
 * PKIX is primitive (X.690 8.3-8.19), strings included in DER (10.2). BER mode admits exactly one
 * more: the constructed OCTET STRING (8.7.3). Other constructed strings never occur in
 * CMS/PKIX/SCEP, so they stay refused rather than becoming attack surface.
 */
static bool universal_form_ok(uint8_t tag, unsigned flags)
{
    if ((tag & 0xc0u) != 0) {
        return true; /* application, context and private tags: the grammar decides */
    }
    if ((tag & SKIT_TAG_CONSTRUCTED) == 0) {
        return tag != (SKIT_TAG_SEQUENCE & 0x1fu) && tag != (SKIT_TAG_SET & 0x1fu);
    }
    return tag == SKIT_TAG_SEQUENCE || tag == SKIT_TAG_SET ||
           ((flags & SKIT_DER_BER) != 0 && tag == (SKIT_TAG_OCTET_STRING | SKIT_TAG_CONSTRUCTED));
}

/*
 * X.690 8.1.2 (identifier) and 8.1.3 (length), restricted as der.h says:
 *   - single-octet tags only (number < 31);
 *   - definite lengths up to 4 length octets, minimal (X.690 10.1) in both modes;
 *   - 0x80 (indefinite) only in BER mode and only on constructed elements (8.1.3.2);
 *   - the contents of a definite element must lie within [p, end);
 *   - universal tags in their proper form (see universal_form_ok).
 * Tag 0x00 is the end-of-contents marker: never an element by itself.
 */
static scepkit_err read_header(const uint8_t *p, const uint8_t *end, unsigned flags, der_hdr *h)
{
    size_t avail = remaining(p, end);
    uint8_t l;
    if (avail < 1) {
        return SCEPKIT_ERR_DER_TRUNCATED;
    }
    h->tag = p[0];
    h->indefinite = false;
    h->len = 0;
    if ((h->tag & 0x1fu) == 0x1fu || h->tag == 0x00 || !universal_form_ok(h->tag, flags)) {
        return SCEPKIT_ERR_DER_TAG;
    }
    if (avail < 2) {
        return SCEPKIT_ERR_DER_TRUNCATED;
    }
    l = p[1];
    if (l < 0x80u) {
        h->len = l;
        h->hdr_len = 2;
    } else if (l == 0x80u) {
        if ((flags & SKIT_DER_BER) == 0 || (h->tag & SKIT_TAG_CONSTRUCTED) == 0) {
            return SCEPKIT_ERR_DER_INDEFINITE;
        }
        h->indefinite = true;
        h->hdr_len = 2;
        return SCEPKIT_OK;
    } else {
        size_t n = l & 0x7fu;
        size_t v = 0;
        if (n > 4 || l == 0xffu) {
            return SCEPKIT_ERR_DER_LENGTH;
        }
        if (avail - 2 < n) {
            return SCEPKIT_ERR_DER_TRUNCATED;
        }
        if (p[2] == 0x00) {
            return SCEPKIT_ERR_DER_NONMINIMAL;
        }
        for (size_t i = 0; i < n; i++) {
            v = (v << 8) | p[2 + i];
        }
        if (v < 0x80u) {
            return SCEPKIT_ERR_DER_NONMINIMAL;
        }
        h->len = v;
        h->hdr_len = 2 + n;
    }
    if (h->len > avail - h->hdr_len) {
        return SCEPKIT_ERR_DER_LENGTH;
    }
    return SCEPKIT_OK;
}

/*
 * Finds the end of an indefinite-length element whose contents start at p (X.690 8.1.3.6): the
 * end-of-contents octets 00 00 that close it, skipping nested definite elements by their length and
 * counting nested indefinite ones. `depth` is the nesting level of the element itself; every
 * nested indefinite level must stay within SCEPKIT_DER_MAX_DEPTH. On success *contents_len excludes
 * the final EOC and *total_len includes it.
 */
static scepkit_err scan_indefinite(const uint8_t *p, const uint8_t *end, unsigned flags, unsigned depth,
                                   size_t *contents_len, size_t *total_len)
{
    const uint8_t *q = p;
    unsigned open = 1;
    for (;;) {
        der_hdr h;
        scepkit_err err;
        size_t avail = remaining(q, end);
        if (avail >= 2 && q[0] == 0x00 && q[1] == 0x00) {
            open--;
            if (open == 0) {
                *contents_len = (size_t)(q - p);
                *total_len = (size_t)(q - p) + 2;
                return SCEPKIT_OK;
            }
            q += 2;
            continue;
        }
        if (avail == 0 || (avail == 1 && q[0] == 0x00)) {
            return SCEPKIT_ERR_DER_TRUNCATED; /* missing end-of-contents */
        }
        err = read_header(q, end, flags, &h);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (h.indefinite) {
            if (depth + open > SCEPKIT_DER_MAX_DEPTH) {
                return SCEPKIT_ERR_DER_DEPTH;
            }
            open++;
            q += h.hdr_len;
        } else {
            q += h.hdr_len + h.len;
        }
    }
}

/* Reads the element at d->p without moving the cursor. */
static scepkit_err read_at(const skit_der *d, skit_tlv *out)
{
    der_hdr h;
    scepkit_err err = read_header(d->p, d->end, d->flags, &h);
    if (err != SCEPKIT_OK) {
        return err;
    }
    out->tag = h.tag;
    out->indefinite = h.indefinite;
    out->value.ptr = d->p + h.hdr_len;
    if (h.indefinite) {
        size_t clen = 0;
        size_t total = 0;
        if ((unsigned)d->depth + 1 > SCEPKIT_DER_MAX_DEPTH) {
            return SCEPKIT_ERR_DER_DEPTH;
        }
        err = scan_indefinite(d->p + h.hdr_len, d->end, d->flags, (unsigned)d->depth + 1, &clen, &total);
        if (err != SCEPKIT_OK) {
            return err;
        }
        out->value.len = clen;
        out->raw.len = h.hdr_len + total;
    } else {
        out->value.len = h.len;
        out->raw.len = h.hdr_len + h.len;
    }
    out->raw.ptr = d->p;
    return SCEPKIT_OK;
}

scepkit_err skit_der_peek(const skit_der *d, uint8_t *tag)
{
    if (d == NULL || tag == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!skit_der_more(d)) {
        return SCEPKIT_ERR_DER_TRUNCATED;
    }
    *tag = d->p[0];
    return SCEPKIT_OK;
}

scepkit_err skit_der_read(skit_der *d, skit_tlv *out)
{
    skit_tlv t;
    scepkit_err err;
    if (d == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    err = read_at(d, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    d->p += t.raw.len;
    *out = t;
    return SCEPKIT_OK;
}

/*
 * In BER mode a string type may come in constructed form (X.690 8.7.3, 8.21.5): a request for a
 * primitive OCTET STRING or a primitive [n] IMPLICIT tag also matches the constructed variant of
 * the same tag. Readers then go through skit_octets_iter, and the primitive decoders refuse it.
 */
static bool tag_matches(const skit_der *d, uint8_t want, uint8_t got)
{
    if (got == want) {
        return true;
    }
    if ((d->flags & SKIT_DER_BER) != 0 && (want == SKIT_TAG_OCTET_STRING || (want & 0xe0u) == SKIT_TAG_CONTEXT)) {
        return got == (uint8_t)(want | SKIT_TAG_CONSTRUCTED);
    }
    return false;
}

scepkit_err skit_der_expect(skit_der *d, uint8_t tag, skit_tlv *out)
{
    skit_tlv t;
    scepkit_err err;
    if (d == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (!skit_der_more(d)) {
        return SCEPKIT_ERR_DER_TRUNCATED;
    }
    if (!tag_matches(d, tag, d->p[0])) {
        return SCEPKIT_ERR_DER_TAG;
    }
    err = read_at(d, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    d->p += t.raw.len;
    *out = t;
    return SCEPKIT_OK;
}

scepkit_err skit_der_optional(skit_der *d, uint8_t tag, skit_tlv *out, bool *present)
{
    if (d == NULL || out == NULL || present == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *present = false;
    if (!skit_der_more(d) || !tag_matches(d, tag, d->p[0])) {
        return SCEPKIT_OK;
    }
    *present = true;
    return skit_der_expect(d, tag, out);
}

scepkit_err skit_der_enter_tlv(const skit_der *parent, const skit_tlv *t, skit_der *child)
{
    if (parent == NULL || t == NULL || child == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if ((t->tag & SKIT_TAG_CONSTRUCTED) == 0) {
        return SCEPKIT_ERR_DER_TAG;
    }
    if ((unsigned)parent->depth + 1 > SCEPKIT_DER_MAX_DEPTH) {
        return SCEPKIT_ERR_DER_DEPTH;
    }
    child->p = t->value.ptr;
    child->end = t->value.ptr != NULL ? t->value.ptr + t->value.len : NULL;
    child->depth = (uint8_t)(parent->depth + 1);
    child->flags = parent->flags;
    return SCEPKIT_OK;
}

scepkit_err skit_der_enter(skit_der *d, uint8_t tag, skit_der *child)
{
    skit_der probe;
    skit_tlv t;
    scepkit_err err;
    if (d == NULL || child == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if ((tag & SKIT_TAG_CONSTRUCTED) == 0) {
        return SCEPKIT_ERR_ARG;
    }
    if ((unsigned)d->depth + 1 > SCEPKIT_DER_MAX_DEPTH) {
        return SCEPKIT_ERR_DER_DEPTH;
    }
    probe = *d;
    err = skit_der_expect(&probe, tag, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_enter_tlv(d, &t, child);
    if (err != SCEPKIT_OK) {
        return err;
    }
    *d = probe;
    return SCEPKIT_OK;
}

scepkit_err skit_der_done(const skit_der *d)
{
    if (d == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_der_more(d) ? SCEPKIT_ERR_DER_TRAILING : SCEPKIT_OK;
}

scepkit_err skit_der_parse_one(scepkit_bytes in, unsigned flags, uint8_t tag, skit_tlv *out)
{
    skit_der d;
    skit_tlv t;
    scepkit_err err;
    if (out == NULL || (in.ptr == NULL && in.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    skit_der_init(&d, in, flags);
    err = tag != 0 ? skit_der_expect(&d, tag, &t) : skit_der_read(&d, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_done(&d);
    if (err != SCEPKIT_OK) {
        return err;
    }
    *out = t;
    return SCEPKIT_OK;
}

/* ---- primitive decoders ---- */

/*
 * INTEGER (X.690 8.3): at least one octet; DER 8.3.2: the first nine bits are neither all zero
 * nor all one.
 */
static scepkit_err int_check(const skit_tlv *t)
{
    const uint8_t *v = t->value.ptr;
    if ((t->tag & SKIT_TAG_CONSTRUCTED) != 0) {
        return SCEPKIT_ERR_DER_TAG;
    }
    if (t->value.len == 0 || v == NULL) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (t->value.len > 1 && ((v[0] == 0x00 && (v[1] & 0x80u) == 0) || (v[0] == 0xffu && (v[1] & 0x80u) != 0))) {
        return SCEPKIT_ERR_DER_NONMINIMAL;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_der_uint_bytes(const skit_tlv *t, scepkit_bytes *mag)
{
    scepkit_err err;
    if (t == NULL || mag == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    err = int_check(t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if ((t->value.ptr[0] & 0x80u) != 0) {
        return SCEPKIT_ERR_DER_VALUE; /* negative */
    }
    *mag = t->value;
    if (mag->len > 1 && mag->ptr[0] == 0x00) {
        mag->ptr++;
        mag->len--;
    }
    return SCEPKIT_OK;
}

scepkit_err skit_der_int64(const skit_tlv *t, int64_t *v)
{
    scepkit_err err;
    uint64_t acc;
    if (t == NULL || v == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    err = int_check(t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (t->value.len > 8) {
        return SCEPKIT_ERR_DER_TOO_LARGE;
    }
    /* Sign-extend, then shift the octets in as unsigned arithmetic (no signed overflow). */
    acc = (t->value.ptr[0] & 0x80u) != 0 ? UINT64_MAX : 0;
    for (size_t i = 0; i < t->value.len; i++) {
        acc = (acc << 8) | t->value.ptr[i];
    }
    if (acc <= (uint64_t)INT64_MAX) {
        *v = (int64_t)acc;
    } else {
        *v = -(int64_t)(UINT64_MAX - acc) - 1;
    }
    return SCEPKIT_OK;
}

/* BOOLEAN (X.690 8.2; DER 11.1: TRUE is 0xff). */
scepkit_err skit_der_bool(const skit_tlv *t, bool *v)
{
    if (t == NULL || v == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if ((t->tag & SKIT_TAG_CONSTRUCTED) != 0) {
        return SCEPKIT_ERR_DER_TAG;
    }
    if (t->value.len != 1) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (t->value.ptr[0] != 0x00 && t->value.ptr[0] != 0xffu) {
        return SCEPKIT_ERR_DER_NONMINIMAL;
    }
    *v = t->value.ptr[0] == 0xffu;
    return SCEPKIT_OK;
}

/*
 * BIT STRING (X.690 8.6.2): an initial octet 0..7 with the number of unused bits in the last
 * octet, 0 when there are no further octets; DER 11.2.1: the unused bits are zero.
 */
scepkit_err skit_der_bits(const skit_tlv *t, uint8_t *unused, scepkit_bytes *bits)
{
    uint8_t u;
    if (t == NULL || unused == NULL || bits == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if ((t->tag & SKIT_TAG_CONSTRUCTED) != 0) {
        return SCEPKIT_ERR_DER_TAG;
    }
    if (t->value.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    u = t->value.ptr[0];
    if (u > 7 || (t->value.len == 1 && u != 0)) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (t->value.len > 1 && (t->value.ptr[t->value.len - 1] & ((1u << u) - 1u)) != 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    *unused = u;
    bits->ptr = t->value.ptr + 1;
    bits->len = t->value.len - 1;
    return SCEPKIT_OK;
}

/*
 * OBJECT IDENTIFIER contents (X.690 8.19.2): subidentifiers in base 128, bit 8 set on every octet
 * but the last of each; the leading octet of a subidentifier is never 0x80.
 */
scepkit_err skit_der_oid_check(scepkit_bytes oid)
{
    bool at_start = true;
    if (oid.ptr == NULL || oid.len == 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    for (size_t i = 0; i < oid.len; i++) {
        if (at_start && oid.ptr[i] == 0x80u) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        at_start = (oid.ptr[i] & 0x80u) == 0;
    }
    return at_start ? SCEPKIT_OK : SCEPKIT_ERR_DER_VALUE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153u * (m > 2 ? m - 3 : m + 9) + 2u) / 5u + d - 1u;
    doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && (y % 4u == 0 && (y % 100u != 0 || y % 400u == 0))) {
        return 29;
    }
    return dim[m - 1];
}

/* n decimal digits at s; false if any is not a digit. */
static bool digits(const uint8_t *s, unsigned n, unsigned *v)
{
    unsigned acc = 0;
    for (unsigned i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        acc = acc * 10u + (unsigned)(s[i] - '0');
    }
    *v = acc;
    return true;
}

/*
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }   -- RFC 5280 4.1.2.5
 * RFC 5280 4.1.2.5.1: UTCTime is YYMMDDHHMMSSZ, YY >= 50 means 19YY, else 20YY.
 * RFC 5280 4.1.2.5.2: GeneralizedTime is YYYYMMDDHHMMSSZ, no fractional seconds.
 */
scepkit_err skit_der_time(const skit_tlv *t, int64_t *unix_seconds)
{
    const uint8_t *s;
    unsigned year;
    unsigned mon;
    unsigned day;
    unsigned hh;
    unsigned mm;
    unsigned ss;
    unsigned ylen;
    if (t == NULL || unix_seconds == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (t->tag == SKIT_TAG_UTC_TIME) {
        ylen = 2;
    } else if (t->tag == SKIT_TAG_GENERALIZED_TIME) {
        ylen = 4;
    } else {
        return SCEPKIT_ERR_DER_TAG;
    }
    if (t->value.len != ylen + 11u) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    s = t->value.ptr;
    if (!digits(s, ylen, &year) || !digits(s + ylen, 2, &mon) || !digits(s + ylen + 2, 2, &day) ||
        !digits(s + ylen + 4, 2, &hh) || !digits(s + ylen + 6, 2, &mm) || !digits(s + ylen + 8, 2, &ss) ||
        s[ylen + 10] != 'Z') {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (ylen == 2) {
        year += year >= 50 ? 1900u : 2000u;
    }
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hh > 23 || mm > 59 || ss > 59) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    *unix_seconds = days_from_civil((int64_t)year, mon, day) * 86400 + (int64_t)(hh * 3600u + mm * 60u + ss);
    return SCEPKIT_OK;
}

/* ---- OCTET STRING in any form ---- */

/*
 * X.690 8.7.3.2: the constructed form is a series of OCTET STRING encodings (universal tag 4, even
 * when the outer tag is implicit), each primitive or itself constructed.
 */
scepkit_err skit_octets_iter_init(skit_octets_iter *it, const skit_der *parent, const skit_tlv *t)
{
    scepkit_err err;
    if (it == NULL || parent == NULL || t == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(it, 0, sizeof *it);
    if ((t->tag & SKIT_TAG_CONSTRUCTED) == 0) {
        it->primitive = t->value;
        it->primitive_done = false;
        it->level = 0;
        return SCEPKIT_OK;
    }
    if ((parent->flags & SKIT_DER_BER) == 0) {
        return SCEPKIT_ERR_DER_TAG; /* DER 10.2: strings are primitive */
    }
    err = skit_der_enter_tlv(parent, t, &it->stack[0]);
    if (err != SCEPKIT_OK) {
        return err;
    }
    it->primitive_done = true;
    it->level = 1;
    return SCEPKIT_OK;
}

scepkit_err skit_octets_next(skit_octets_iter *it, scepkit_bytes *seg)
{
    if (it == NULL || seg == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (it->level == 0) {
        if (it->primitive_done) {
            return SCEPKIT_ERR_NOT_FOUND;
        }
        it->primitive_done = true;
        *seg = it->primitive;
        return SCEPKIT_OK;
    }
    while (it->level > 0) {
        skit_der *top = &it->stack[it->level - 1];
        skit_tlv s;
        scepkit_err err;
        if (!skit_der_more(top)) {
            it->level--;
            continue;
        }
        err = skit_der_read(top, &s);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (s.tag == SKIT_TAG_OCTET_STRING) {
            *seg = s.value;
            return SCEPKIT_OK;
        }
        if (s.tag != (SKIT_TAG_OCTET_STRING | SKIT_TAG_CONSTRUCTED)) {
            return SCEPKIT_ERR_DER_TAG;
        }
        if (it->level >= sizeof it->stack / sizeof it->stack[0]) {
            return SCEPKIT_ERR_DER_DEPTH;
        }
        err = skit_der_enter_tlv(top, &s, &it->stack[it->level]);
        if (err != SCEPKIT_OK) {
            return err;
        }
        it->level++;
    }
    return SCEPKIT_ERR_NOT_FOUND;
}

/* Walks every segment, copying what fits into out[0..cap) and counting the total in *total. */
static scepkit_err octets_walk(const skit_der *parent, const skit_tlv *t, uint8_t *out, size_t cap, size_t *total)
{
    skit_octets_iter it;
    scepkit_bytes seg;
    scepkit_err err;
    size_t n = 0;
    err = skit_octets_iter_init(&it, parent, t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    while ((err = skit_octets_next(&it, &seg)) == SCEPKIT_OK) {
        if (out != NULL && n <= cap && seg.len <= cap - n && seg.len != 0) {
            memcpy(out + n, seg.ptr, seg.len);
        }
        /* Segments lie inside the caller's input, so their sum cannot overflow size_t. */
        n += seg.len;
    }
    if (err != SCEPKIT_ERR_NOT_FOUND) {
        return err;
    }
    *total = n;
    return SCEPKIT_OK;
}

scepkit_err skit_octets_len(const skit_der *parent, const skit_tlv *t, size_t *len)
{
    if (len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    return octets_walk(parent, t, NULL, 0, len);
}

scepkit_err skit_octets_copy(const skit_der *parent, const skit_tlv *t, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_err err;
    if (len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = octets_walk(parent, t, out, cap, len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return *len <= cap ? SCEPKIT_OK : SCEPKIT_ERR_BUFFER_TOO_SMALL;
}
