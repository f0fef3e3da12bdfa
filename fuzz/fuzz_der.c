/*
 * Fuzz target for the DER/BER reader, the primitive decoders and the writer.
 *
 * For each of DER and BER mode: walks the input recursively (depth-limited by the reader),
 * runs every primitive decoder on every primitive element and the octets iterator on every
 * (possibly constructed) OCTET STRING, and checks that what decodes re-encodes identically.
 * Then re-encodes the whole structure with the writer:
 *   DER mode: the re-encoding must equal the input byte for byte; with SETs sorted it must keep
 *             its size, stay readable, and sorting again must change nothing.
 *   BER mode: indefinite lengths and constructed OCTET STRINGs are normalised to DER, and the
 *             result must read cleanly in DER mode.
 * Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes one element with the writer into a small buffer and compares it with `raw`. */
static void expect_encoding(void (*enc)(skit_derw *, const void *), const void *arg, scepkit_bytes raw)
{
    uint8_t buf[64];
    skit_derw w;
    size_t n = 0;
    skit_derw_init(&w, buf, sizeof buf);
    enc(&w, arg);
    if (skit_derw_finish(&w, &n) == SCEPKIT_OK) {
        CHECK(n == raw.len && memcmp(buf, raw.ptr, n) == 0);
    }
}

static void enc_int(skit_derw *w, const void *arg)
{
    skit_derw_int64(w, *(const int64_t *)arg);
}

static void enc_bool(skit_derw *w, const void *arg)
{
    skit_derw_bool(w, *(const bool *)arg);
}

static void enc_time(skit_derw *w, const void *arg)
{
    skit_derw_time(w, *(const int64_t *)arg);
}

struct uint_arg {
    uint8_t tag;
    scepkit_bytes mag;
};

static void enc_uint(skit_derw *w, const void *arg)
{
    const struct uint_arg *u = arg;
    skit_derw_uint_bytes(w, u->tag, u->mag.ptr, u->mag.len);
}

static void primitives(const skit_der *d, const skit_tlv *t)
{
    int64_t v = 0;
    bool b = false;
    uint8_t unused = 0;
    scepkit_bytes bits;
    scepkit_bytes mag;
    char dotted[256];
    uint8_t oid[128];
    size_t n = 0;

    if (skit_der_int64(t, &v) == SCEPKIT_OK && t->tag == SKIT_TAG_INTEGER) {
        expect_encoding(enc_int, &v, t->raw);
    }
    if (skit_der_uint_bytes(t, &mag) == SCEPKIT_OK) {
        struct uint_arg u = {t->tag, mag};
        if (t->raw.len <= 64) {
            expect_encoding(enc_uint, &u, t->raw);
        }
    }
    if (skit_der_bool(t, &b) == SCEPKIT_OK && t->tag == SKIT_TAG_BOOLEAN) {
        expect_encoding(enc_bool, &b, t->raw);
    }
    if (skit_der_bits(t, &unused, &bits) == SCEPKIT_OK) {
        CHECK(unused <= 7 && bits.len + 1 == t->value.len);
    }
    if (skit_der_time(t, &v) == SCEPKIT_OK) {
        /* the writer picks UTCTime for 1950..2049: compare when the input made the same choice */
        bool utc_range = v >= -631152000 && v <= 2524607999;
        if ((t->tag == SKIT_TAG_UTC_TIME) == utc_range) {
            expect_encoding(enc_time, &v, t->raw);
        }
    }
    if (skit_der_oid_check(t->value) == SCEPKIT_OK) {
        scepkit_err err = skit_oid_to_dotted(t->value, dotted, sizeof dotted, &n);
        if (err == SCEPKIT_OK) {
            size_t m = 0;
            CHECK(n == strlen(dotted));
            err = skit_oid_from_dotted(dotted, n, oid, sizeof oid, &m);
            /* not every base-128 string is a valid OID (first arc rules), but a text we produced
             * from one must read back to the same bytes */
            if (err == SCEPKIT_OK) {
                CHECK(m == t->value.len && memcmp(oid, t->value.ptr, m) == 0);
            } else {
                CHECK(err == SCEPKIT_ERR_BUFFER_TOO_SMALL);
            }
            (void)skit_oid_find(t->value);
        }
    }
    (void)d;
}

static void octets(const skit_der *d, const skit_tlv *t)
{
    skit_octets_iter it;
    scepkit_bytes seg;
    size_t total = 0;
    size_t len = 0;
    uint8_t buf[256];
    scepkit_err err;
    if (skit_octets_iter_init(&it, d, t) != SCEPKIT_OK) {
        return;
    }
    while ((err = skit_octets_next(&it, &seg)) == SCEPKIT_OK) {
        CHECK(seg.ptr == NULL || (seg.ptr >= t->raw.ptr && seg.ptr + seg.len <= t->raw.ptr + t->raw.len));
        total += seg.len;
    }
    if (err != SCEPKIT_ERR_NOT_FOUND) {
        return;
    }
    CHECK(skit_octets_len(d, t, &len) == SCEPKIT_OK && len == total);
    err = skit_octets_copy(d, t, buf, sizeof buf, &len);
    CHECK(len == total && (err == SCEPKIT_OK) == (total <= sizeof buf));
}

static scepkit_err walk(skit_der *d)
{
    while (skit_der_more(d)) {
        skit_tlv t;
        skit_der child;
        scepkit_err err = skit_der_read(d, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        CHECK(t.raw.ptr + t.raw.len <= d->end && t.value.ptr >= t.raw.ptr &&
              t.value.ptr + t.value.len <= t.raw.ptr + t.raw.len);
        if ((t.tag & 0xdfu) == SKIT_TAG_OCTET_STRING || (t.tag & 0xc0u) == SKIT_TAG_CONTEXT) {
            octets(d, &t);
        }
        if ((t.tag & SKIT_TAG_CONSTRUCTED) == 0) {
            primitives(d, &t);
            continue;
        }
        err = skit_der_enter_tlv(d, &t, &child);
        if (err != SCEPKIT_OK) {
            return err;
        }
        err = walk(&child);
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    return SCEPKIT_OK;
}

/* Re-encodes what `d` holds; BER constructs become DER. Fails on anything it cannot normalise. */
static scepkit_err reencode(skit_derw *w, skit_der *d, bool sort_sets)
{
    while (skit_der_more(d)) {
        skit_tlv t;
        skit_der child;
        scepkit_err err = skit_der_read(d, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (t.tag == (SKIT_TAG_OCTET_STRING | SKIT_TAG_CONSTRUCTED)) {
            size_t len = 0;
            uint8_t *p;
            err = skit_octets_len(d, &t, &len);
            if (err != SCEPKIT_OK) {
                return err;
            }
            skit_derw_open(w, SKIT_TAG_OCTET_STRING);
            p = skit_derw_reserve(w, len);
            if (p != NULL) {
                CHECK(skit_octets_copy(d, &t, p, len, &len) == SCEPKIT_OK);
            }
            skit_derw_close(w);
            continue;
        }
        if ((t.tag & SKIT_TAG_CONSTRUCTED) == 0) {
            skit_derw_tlv(w, t.tag, t.value.ptr, t.value.len);
            continue;
        }
        err = skit_der_enter_tlv(d, &t, &child);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (sort_sets && t.tag == SKIT_TAG_SET) {
            skit_derw_open_set(w, t.tag);
        } else {
            skit_derw_open(w, t.tag);
        }
        err = reencode(w, &child, sort_sets);
        if (err != SCEPKIT_OK) {
            return err;
        }
        skit_derw_close(w);
    }
    return SCEPKIT_OK;
}

/* Size-only pass, then the real one; returns a malloc'd encoding or NULL. */
static uint8_t *encode(scepkit_bytes in, unsigned flags, bool sort_sets, size_t *len)
{
    skit_der d;
    skit_derw w;
    size_t need = 0;
    uint8_t *out;
    skit_der_init(&d, in, flags);
    skit_derw_init(&w, NULL, 0);
    if (reencode(&w, &d, sort_sets) != SCEPKIT_OK || skit_derw_finish(&w, &need) != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return NULL;
    }
    out = malloc(need + 1);
    CHECK(out != NULL);
    skit_der_init(&d, in, flags);
    skit_derw_init(&w, out, need);
    CHECK(reencode(&w, &d, sort_sets) == SCEPKIT_OK);
    CHECK(skit_derw_finish(&w, len) == SCEPKIT_OK && *len == need);
    /* one byte short must report the same size */
    if (need > 0) {
        size_t n2 = 0;
        skit_der_init(&d, in, flags);
        skit_derw_init(&w, out, need - 1);
        CHECK(reencode(&w, &d, sort_sets) == SCEPKIT_OK);
        CHECK(skit_derw_finish(&w, &n2) == SCEPKIT_ERR_BUFFER_TOO_SMALL && n2 == need);
        /* that run scribbled on out: encode again */
        skit_der_init(&d, in, flags);
        skit_derw_init(&w, out, need);
        CHECK(reencode(&w, &d, sort_sets) == SCEPKIT_OK);
        CHECK(skit_derw_finish(&w, len) == SCEPKIT_OK);
    }
    return out;
}

static scepkit_err walk_all(scepkit_bytes in, unsigned flags)
{
    skit_der d;
    skit_der_init(&d, in, flags);
    return walk(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_bytes in = {data, size};
    scepkit_err der_ok = walk_all(in, 0);
    scepkit_err ber_ok = walk_all(in, SKIT_DER_BER);
    size_t n = 0;
    uint8_t *out;
    skit_tlv t;

    (void)skit_der_parse_one(in, 0, 0, &t);
    (void)skit_der_parse_one(in, SKIT_DER_BER, SKIT_TAG_SEQUENCE, &t);
    /* DER is a subset of this BER mode */
    if (der_ok == SCEPKIT_OK) {
        CHECK(ber_ok == SCEPKIT_OK);
        out = encode(in, 0, false, &n);
        CHECK(out != NULL && n == size && memcmp(out, data, size) == 0);
        free(out);

        out = encode(in, 0, true, &n);
        if (out != NULL) {
            size_t n2 = 0;
            uint8_t *again;
            CHECK(n == size);
            CHECK(walk_all((scepkit_bytes){out, n}, 0) == SCEPKIT_OK);
            again = encode((scepkit_bytes){out, n}, 0, true, &n2);
            CHECK(again != NULL && n2 == n && memcmp(again, out, n) == 0);
            free(again);
            free(out);
        }
    }
    if (ber_ok == SCEPKIT_OK) {
        out = encode(in, SKIT_DER_BER, false, &n);
        if (out != NULL) {
            CHECK(walk_all((scepkit_bytes){out, n}, 0) == SCEPKIT_OK);
            free(out);
        }
    }
    return 0;
}
