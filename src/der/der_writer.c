/*
 * DER writer (see der.h for the contract).
 *
 * Forward writing: open() leaves a one-octet length placeholder; close() knows the content length
 * and, when the length needs the long form (X.690 8.1.3.5), shifts the content right in place.
 * `pos` is the logical size: once the buffer is too small (or absent) the writer stops storing
 * bytes but keeps counting exactly as it would have written, so finish() reports the size needed.
 */
#include <string.h>

#include "der/der.h"

void skit_derw_init(skit_derw *w, uint8_t *buf, size_t cap)
{
    if (w == NULL) {
        return;
    }
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->pos = 0;
    w->err = SCEPKIT_OK;
    w->depth = 0;
}

bool skit_derw_real(const skit_derw *w)
{
    return w != NULL && w->buf != NULL && w->err == SCEPKIT_OK;
}

/* Hard errors replace a pending BUFFER_TOO_SMALL: retrying with a bigger buffer would not help. */
void skit_derw_fail(skit_derw *w, scepkit_err e)
{
    if (w == NULL || e == SCEPKIT_OK) {
        return;
    }
    if (w->err == SCEPKIT_OK || (w->err == SCEPKIT_ERR_BUFFER_TOO_SMALL && e != SCEPKIT_ERR_BUFFER_TOO_SMALL)) {
        w->err = e;
    }
}

/* True while the writer should keep counting (no error, or only "too small"). */
static bool counting(const skit_derw *w)
{
    return w->err == SCEPKIT_OK || w->err == SCEPKIT_ERR_BUFFER_TOO_SMALL;
}

/* Accounts for n more bytes; returns where to store them, or NULL when they are only counted. */
static uint8_t *advance(skit_derw *w, size_t n)
{
    uint8_t *at = NULL;
    if (!counting(w)) {
        return NULL;
    }
    if (n > SIZE_MAX - w->pos) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_TOO_LARGE);
        return NULL;
    }
    if (skit_derw_real(w)) {
        if (n <= w->cap - w->pos) {
            at = w->buf + w->pos;
        } else {
            skit_derw_fail(w, SCEPKIT_ERR_BUFFER_TOO_SMALL);
        }
    }
    w->pos += n;
    return at;
}

static void put(skit_derw *w, const uint8_t *v, size_t n)
{
    uint8_t *at = advance(w, n);
    if (at != NULL && n != 0) {
        memcpy(at, v, n);
    }
}

/* Number of octets after the first length octet (0 for the short form). */
static size_t len_extra(size_t len)
{
    size_t n = 0;
    if (len < 0x80u) {
        return 0;
    }
    while (len != 0) {
        n++;
        len >>= 8;
    }
    return n;
}

size_t skit_der_header_len(size_t len)
{
    return 2 + len_extra(len);
}

/* X.690 8.1.3: short form below 128, else 0x80|n followed by n big-endian octets (10.1: minimal). */
static void encode_len(uint8_t *out, size_t len)
{
    size_t n = len_extra(len);
    if (n == 0) {
        out[0] = (uint8_t)len;
        return;
    }
    out[0] = (uint8_t)(0x80u | n);
    for (size_t i = 0; i < n; i++) {
        out[1 + i] = (uint8_t)(len >> (8u * (n - 1 - i)));
    }
}

static void put_header(skit_derw *w, uint8_t tag, size_t len)
{
    uint8_t h[2 + sizeof(size_t)];
    h[0] = tag;
    encode_len(h + 1, len);
    put(w, h, 1 + 1 + len_extra(len));
}

void skit_derw_tlv(skit_derw *w, uint8_t tag, const uint8_t *v, size_t len)
{
    if (w == NULL) {
        return;
    }
    if (v == NULL && len != 0) {
        skit_derw_fail(w, SCEPKIT_ERR_ARG);
        return;
    }
    put_header(w, tag, len);
    put(w, v, len);
}

void skit_derw_raw(skit_derw *w, const uint8_t *v, size_t len)
{
    if (w == NULL) {
        return;
    }
    if (v == NULL && len != 0) {
        skit_derw_fail(w, SCEPKIT_ERR_ARG);
        return;
    }
    put(w, v, len);
}

uint8_t *skit_derw_reserve(skit_derw *w, size_t len)
{
    if (w == NULL) {
        return NULL;
    }
    return advance(w, len);
}

static void open_common(skit_derw *w, uint8_t tag, uint8_t is_set)
{
    static const uint8_t placeholder = 0x00;
    if (w == NULL) {
        return;
    }
    if (w->depth >= SCEPKIT_DER_MAX_DEPTH) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_WRITER_DEPTH);
        return;
    }
    put(w, &tag, 1);
    put(w, &placeholder, 1);
    w->open[w->depth].content_start = w->pos;
    w->open[w->depth].is_set = is_set;
    w->depth++;
}

void skit_derw_open(skit_derw *w, uint8_t tag)
{
    open_common(w, tag, 0);
}

void skit_derw_open_set(skit_derw *w, uint8_t tag)
{
    open_common(w, tag, 1);
}

static void reverse(uint8_t *a, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = a[i];
        a[i] = a[j - 1];
        a[j - 1] = t;
    }
}

/* Moves the last `tail` bytes of a[0..n) to the front, keeping both parts' order (three reversals). */
static void rotate_right(uint8_t *a, size_t n, size_t tail)
{
    reverse(a, n - tail);
    reverse(a + n - tail, tail);
    reverse(a, n);
}

/* Octet-string order of X.690 11.6 (the shorter is padded with zeros: a prefix sorts first). */
static int enc_cmp(scepkit_bytes a, scepkit_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    if (c != 0) {
        return c;
    }
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

/*
 * DER SET OF (X.690 11.6): the components appear in ascending order of their encodings.
 * Insertion sort in place: each element is rotated into its slot among the sorted prefix, so no
 * extra memory is needed. Quadratic, which is fine for the few elements a SET OF holds here.
 */
static scepkit_err sort_set(uint8_t *c, size_t len)
{
    size_t done = 0; /* c[0..done) is sorted */
    while (done < len) {
        skit_der d;
        skit_tlv cur;
        scepkit_bytes rest = {c + done, len - done};
        scepkit_err err;
        skit_der_init(&d, rest, 0);
        err = skit_der_read(&d, &cur);
        if (err != SCEPKIT_OK) {
            return err;
        }
        /* Find the first sorted element greater than cur. */
        size_t at = 0;
        while (at < done) {
            skit_der s;
            skit_tlv e;
            scepkit_bytes pre = {c + at, done - at};
            skit_der_init(&s, pre, 0);
            err = skit_der_read(&s, &e);
            if (err != SCEPKIT_OK) {
                return err;
            }
            if (enc_cmp(cur.raw, e.raw) < 0) {
                break;
            }
            at += e.raw.len;
        }
        if (at < done) {
            rotate_right(c + at, done + cur.raw.len - at, cur.raw.len);
        }
        done += cur.raw.len;
    }
    return SCEPKIT_OK;
}

void skit_derw_close(skit_derw *w)
{
    size_t start;
    size_t clen;
    size_t extra;
    if (w == NULL) {
        return;
    }
    if (w->depth == 0) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_WRITER_DEPTH);
        return;
    }
    w->depth--;
    if (!counting(w)) {
        return;
    }
    start = w->open[w->depth].content_start;
    clen = w->pos - start;
    extra = len_extra(clen);
    if (skit_derw_real(w)) {
        if (extra > w->cap - w->pos) {
            skit_derw_fail(w, SCEPKIT_ERR_BUFFER_TOO_SMALL);
        } else {
            uint8_t *content = w->buf + start;
            if (w->open[w->depth].is_set) {
                scepkit_err err = sort_set(content, clen);
                if (err != SCEPKIT_OK) {
                    skit_derw_fail(w, err);
                    return;
                }
            }
            if (extra != 0) {
                memmove(content + extra, content, clen);
            }
            encode_len(content - 1, clen);
        }
    }
    if (extra > SIZE_MAX - w->pos) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_TOO_LARGE);
        return;
    }
    w->pos += extra;
}

void skit_derw_null(skit_derw *w)
{
    skit_derw_tlv(w, SKIT_TAG_NULL, NULL, 0);
}

/* DER 11.1: TRUE is 0xff. */
void skit_derw_bool(skit_derw *w, bool v)
{
    uint8_t b = v ? 0xffu : 0x00u;
    skit_derw_tlv(w, SKIT_TAG_BOOLEAN, &b, 1);
}

/* X.690 8.3.2: two's complement in the fewest octets (the first nine bits never all equal). */
void skit_derw_int64(skit_derw *w, int64_t v)
{
    uint8_t b[8];
    uint64_t u = (uint64_t)v;
    size_t i = 0;
    for (size_t k = 0; k < 8; k++) {
        b[k] = (uint8_t)(u >> (8u * (7u - k)));
    }
    while (i < 7 && ((b[i] == 0x00 && (b[i + 1] & 0x80u) == 0) || (b[i] == 0xffu && (b[i + 1] & 0x80u) != 0))) {
        i++;
    }
    skit_derw_tlv(w, SKIT_TAG_INTEGER, b + i, 8 - i);
}

void skit_derw_uint_bytes(skit_derw *w, uint8_t tag, const uint8_t *mag, size_t len)
{
    static const uint8_t zero = 0x00;
    bool pad;
    if (w == NULL) {
        return;
    }
    if (mag == NULL && len != 0) {
        skit_derw_fail(w, SCEPKIT_ERR_ARG);
        return;
    }
    while (len > 0 && mag[0] == 0x00) {
        mag++;
        len--;
    }
    if (len == 0) {
        skit_derw_tlv(w, tag, &zero, 1);
        return;
    }
    pad = (mag[0] & 0x80u) != 0;
    if (len > SIZE_MAX - 1) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_TOO_LARGE);
        return;
    }
    put_header(w, tag, len + (pad ? 1u : 0u));
    if (pad) {
        put(w, &zero, 1);
    }
    put(w, mag, len);
}

/* BIT STRING (X.690 8.6.2): unused-bits octet 0..7, and 0 when there are no content octets. */
void skit_derw_bits(skit_derw *w, uint8_t unused, const uint8_t *v, size_t len)
{
    if (w == NULL) {
        return;
    }
    if (unused > 7 || (len == 0 && unused != 0) || (v == NULL && len != 0) || len > SIZE_MAX - 1) {
        skit_derw_fail(w, SCEPKIT_ERR_ARG);
        return;
    }
    put_header(w, SKIT_TAG_BIT_STRING, len + 1);
    put(w, &unused, 1);
    put(w, v, len);
}

/*
 * Named bit list, e.g. KeyUsage ::= BIT STRING { digitalSignature (0), ... }  -- RFC 5280 4.2.1.3
 * X.690 11.2.2: trailing zero bits are removed, so the last octet holds the highest set bit and
 * the unused-bits count says how many bits follow it; no bits at all is 03 01 00.
 */
void skit_derw_named_bits(skit_derw *w, uint32_t bits)
{
    uint8_t b[4] = {0, 0, 0, 0};
    unsigned high = 0;
    size_t n;
    if (bits == 0) {
        skit_derw_bits(w, 0, NULL, 0);
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        if ((bits >> i) & 1u) {
            b[i / 8u] |= (uint8_t)(0x80u >> (i % 8u));
            high = i;
        }
    }
    n = high / 8u + 1u;
    skit_derw_bits(w, (uint8_t)(7u - high % 8u), b, n);
}

void skit_derw_oid(skit_derw *w, scepkit_bytes oid)
{
    if (w == NULL) {
        return;
    }
    if (skit_der_oid_check(oid) != SCEPKIT_OK) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_VALUE);
        return;
    }
    skit_derw_tlv(w, SKIT_TAG_OID, oid.ptr, oid.len);
}

/* Civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe;
    unsigned yoe;
    unsigned doy;
    unsigned mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    mp = (5u * doy + 2u) / 153u;
    *d = doy - (153u * mp + 2u) / 5u + 1u;
    *m = mp < 10u ? mp + 3u : mp - 9u;
    *y = (int64_t)yoe + era * 400 + (*m <= 2u);
}

static void put_digits(uint8_t *out, unsigned v, unsigned n)
{
    while (n-- > 0) {
        out[n] = (uint8_t)('0' + v % 10u);
        v /= 10u;
    }
}

/*
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }   -- RFC 5280 4.1.2.5
 * Dates through 2049 as UTCTime (YYMMDDHHMMSSZ), 2050 on as GeneralizedTime (YYYYMMDDHHMMSSZ);
 * years before 1950 cannot be UTCTime either, so they are GeneralizedTime too.
 */
void skit_derw_time(skit_derw *w, int64_t unix_seconds)
{
    /* 0000-01-01 and 9999-12-31T23:59:59 in Unix seconds: GeneralizedTime has four year digits. */
    static const int64_t min_t = -62167219200;
    static const int64_t max_t = 253402300799;
    uint8_t s[15];
    int64_t days;
    int64_t secs;
    int64_t year;
    unsigned mon;
    unsigned day;
    size_t yl;
    if (w == NULL) {
        return;
    }
    if (unix_seconds < min_t || unix_seconds > max_t) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_VALUE);
        return;
    }
    days = unix_seconds / 86400;
    secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &year, &mon, &day);
    yl = (year >= 1950 && year <= 2049) ? 2 : 4;
    put_digits(s, (unsigned)(year % (yl == 2 ? 100 : 10000)), (unsigned)yl);
    put_digits(s + yl, mon, 2);
    put_digits(s + yl + 2, day, 2);
    put_digits(s + yl + 4, (unsigned)(secs / 3600), 2);
    put_digits(s + yl + 6, (unsigned)(secs / 60 % 60), 2);
    put_digits(s + yl + 8, (unsigned)(secs % 60), 2);
    s[yl + 10] = 'Z';
    skit_derw_tlv(w, yl == 2 ? SKIT_TAG_UTC_TIME : SKIT_TAG_GENERALIZED_TIME, s, yl + 11);
}

scepkit_err skit_derw_finish(skit_derw *w, size_t *len)
{
    if (w == NULL || len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (w->depth != 0) {
        skit_derw_fail(w, SCEPKIT_ERR_DER_WRITER_DEPTH);
    }
    if (w->err == SCEPKIT_OK && w->buf == NULL) {
        /* Size-only pass: the same answer as a buffer that is too small. */
        *len = w->pos;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    if (w->err == SCEPKIT_OK || w->err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = w->pos;
    }
    return w->err;
}
