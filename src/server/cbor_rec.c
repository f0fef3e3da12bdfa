/*
 * Flat CBOR records: see cbor_rec.h. libcbor is used through its allocation-free encoders and its
 * streaming decoder only.
 */
#include "server/cbor_rec.h"

#include <cbor.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* Writing */

/* Appends with a size-only fallback: once the buffer is too small we keep counting. libcbor's encoders
 * return 0 when the buffer is too small, so the header is measured against a scratch buffer first. */
typedef struct recw {
    uint8_t *out;
    size_t cap;
    size_t len;
} recw;

static void put_head(recw *w, size_t (*enc)(size_t, unsigned char *, size_t), size_t v)
{
    unsigned char tmp[9];
    size_t n = enc(v, tmp, sizeof tmp);
    if (w->out != NULL && w->len + n <= w->cap) {
        memcpy(w->out + w->len, tmp, n);
    }
    w->len += n;
}

static void put_uint(recw *w, uint64_t v)
{
    unsigned char tmp[9];
    size_t n = cbor_encode_uint(v, tmp, sizeof tmp);
    if (w->out != NULL && w->len + n <= w->cap) {
        memcpy(w->out + w->len, tmp, n);
    }
    w->len += n;
}

static void put_raw(recw *w, const uint8_t *p, size_t n)
{
    if (w->out != NULL && n > 0 && w->len + n <= w->cap) {
        memcpy(w->out + w->len, p, n);
    }
    w->len += n;
}

static void put_value(recw *w, const skit_rec_field *f)
{
    switch (f->kind) {
    case SKIT_REC_UINT:
        put_uint(w, f->u);
        break;
    case SKIT_REC_BYTES:
        put_head(w, cbor_encode_bytestring_start, f->b.len);
        put_raw(w, f->b.ptr, f->b.len);
        break;
    case SKIT_REC_TEXT:
        put_head(w, cbor_encode_string_start, f->b.len);
        put_raw(w, f->b.ptr, f->b.len);
        break;
    }
}

static scepkit_err finish(recw *w, size_t *len)
{
    *len = w->len;
    if (w->out == NULL || w->len > w->cap) {
        if (w->out != NULL) {
            memset(w->out, 0, w->cap);
        }
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    return SCEPKIT_OK;
}

static scepkit_err check_fields(const skit_rec_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].kind != SKIT_REC_UINT && f[i].kind != SKIT_REC_BYTES && f[i].kind != SKIT_REC_TEXT) {
            return SCEPKIT_ERR_ARG;
        }
        if (f[i].kind != SKIT_REC_UINT && f[i].b.len > 0 && f[i].b.ptr == NULL) {
            return SCEPKIT_ERR_ARG;
        }
    }
    return SCEPKIT_OK;
}

scepkit_err skit_rec_write_map(const skit_rec_field *f, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if ((f == NULL && n > 0) || len == NULL || check_fields(f, n) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    recw w = {out, cap, 0};
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        count += f[i].present ? 1 : 0;
    }
    put_head(&w, cbor_encode_map_start, count);
    for (size_t i = 0; i < n; i++) {
        if (f[i].present) {
            put_uint(&w, f[i].key);
            put_value(&w, &f[i]);
        }
    }
    return finish(&w, len);
}

scepkit_err skit_rec_write_array(const skit_rec_field *f, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if ((f == NULL && n > 0) || len == NULL || check_fields(f, n) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    recw w = {out, cap, 0};
    put_head(&w, cbor_encode_array_start, n);
    for (size_t i = 0; i < n; i++) {
        put_value(&w, &f[i]);
    }
    return finish(&w, len);
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading with the streaming decoder */

enum rd_state { RD_START, RD_KEY, RD_VALUE, RD_DONE };

#define RD_MAX_KEYS 64

typedef struct rd {
    enum rd_state state;
    int is_map;
    int bad;
    uint64_t remaining; /* entries (map) or items (array) still to come */
    size_t pos;         /* array position */
    skit_rec_field *f;
    size_t n;
    skit_rec_field *cur; /* field receiving the next value (NULL: unknown key, skipped) */
    uint64_t seen[RD_MAX_KEYS];
    size_t seen_count;
} rd;

static skit_rec_field *find_field(rd *r, uint64_t key)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->f[i].key == key) {
            return &r->f[i];
        }
    }
    return NULL;
}

/* One value consumed: advance the map/array bookkeeping. */
static void value_done(rd *r)
{
    r->remaining--;
    r->pos++;
    if (r->remaining == 0) {
        r->state = RD_DONE;
    } else {
        r->state = r->is_map ? RD_KEY : RD_VALUE;
        if (!r->is_map) {
            r->cur = &r->f[r->pos];
        }
    }
}

static void on_key(rd *r, uint64_t key)
{
    for (size_t i = 0; i < r->seen_count; i++) {
        if (r->seen[i] == key) {
            r->bad = 1; /* duplicate key */
            return;
        }
    }
    if (r->seen_count == RD_MAX_KEYS) {
        r->bad = 1;
        return;
    }
    r->seen[r->seen_count++] = key;
    r->cur = find_field(r, key);
    r->state = RD_VALUE;
}

static void on_uint(void *ctx, uint64_t v)
{
    rd *r = ctx;
    if (r->bad) {
        return;
    }
    if (r->state == RD_KEY) {
        on_key(r, v);
        return;
    }
    if (r->state != RD_VALUE) {
        r->bad = 1;
        return;
    }
    if (r->cur != NULL) {
        if (r->cur->kind != SKIT_REC_UINT) {
            r->bad = 1;
            return;
        }
        r->cur->u = v;
        r->cur->present = 1;
    }
    value_done(r);
}

static void on_u8(void *ctx, uint8_t v)
{
    on_uint(ctx, v);
}
static void on_u16(void *ctx, uint16_t v)
{
    on_uint(ctx, v);
}
static void on_u32(void *ctx, uint32_t v)
{
    on_uint(ctx, v);
}
static void on_u64(void *ctx, uint64_t v)
{
    on_uint(ctx, v);
}

static void on_string(rd *r, skit_rec_kind kind, const uint8_t *p, size_t len)
{
    if (r->bad) {
        return;
    }
    if (r->state != RD_VALUE) {
        r->bad = 1; /* string keys are not used */
        return;
    }
    if (r->cur != NULL) {
        if (r->cur->kind != kind) {
            r->bad = 1;
            return;
        }
        r->cur->b.ptr = p;
        r->cur->b.len = len;
        r->cur->present = 1;
    }
    value_done(r);
}

static void on_bytes(void *ctx, cbor_data p, size_t len)
{
    on_string(ctx, SKIT_REC_BYTES, p, len);
}

static void on_text(void *ctx, cbor_data p, size_t len)
{
    on_string(ctx, SKIT_REC_TEXT, p, len);
}

static void on_collection(rd *r, int is_map, size_t size)
{
    if (r->bad) {
        return;
    }
    if (r->state != RD_START || is_map != r->is_map) {
        r->bad = 1; /* nesting, or the wrong container */
        return;
    }
    if (!is_map && size != r->n) {
        r->bad = 1;
        return;
    }
    r->remaining = size;
    r->pos = 0;
    if (size == 0) {
        r->state = RD_DONE;
    } else if (is_map) {
        r->state = RD_KEY;
    } else {
        r->state = RD_VALUE;
        r->cur = &r->f[0];
    }
}

static void on_map(void *ctx, size_t size)
{
    on_collection(ctx, 1, size);
}

static void on_array(void *ctx, size_t size)
{
    on_collection(ctx, 0, size);
}

static void on_bad(void *ctx)
{
    ((rd *)ctx)->bad = 1;
}
static void on_bad_u8(void *ctx, uint8_t v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_u16(void *ctx, uint16_t v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_u32(void *ctx, uint32_t v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_u64(void *ctx, uint64_t v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_float(void *ctx, float v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_double(void *ctx, double v)
{
    (void)v;
    on_bad(ctx);
}
static void on_bad_bool(void *ctx, bool v)
{
    (void)v;
    on_bad(ctx);
}

static const struct cbor_callbacks rd_callbacks = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint64 = on_bad_u64,
    .negint32 = on_bad_u32,
    .negint16 = on_bad_u16,
    .negint8 = on_bad_u8,
    .byte_string_start = on_bad, /* indefinite byte string */
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_bad,
    .indef_array_start = on_bad,
    .array_start = on_array,
    .indef_map_start = on_bad,
    .map_start = on_map,
    .tag = on_bad_u64,
    .float2 = on_bad_float,
    .float4 = on_bad_float,
    .float8 = on_bad_double,
    .undefined = on_bad,
    .null = on_bad,
    .boolean = on_bad_bool,
    .indef_break = on_bad,
};

static scepkit_err read_rec(scepkit_bytes in, skit_rec_field *f, size_t n, int is_map, scepkit_err bad)
{
    if (in.ptr == NULL || (f == NULL && n > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        f[i].present = 0;
        f[i].u = 0;
        f[i].b.ptr = NULL;
        f[i].b.len = 0;
    }
    rd r;
    memset(&r, 0, sizeof r);
    r.state = RD_START;
    r.is_map = is_map;
    r.f = f;
    r.n = n;
    size_t off = 0;
    while (off < in.len && r.state != RD_DONE) {
        struct cbor_decoder_result res = cbor_stream_decode(in.ptr + off, in.len - off, &rd_callbacks, &r);
        if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || r.bad) {
            return bad;
        }
        off += res.read;
    }
    if (r.state != RD_DONE || off != in.len) {
        return bad; /* truncated, or trailing bytes */
    }
    if (!is_map) {
        for (size_t i = 0; i < n; i++) {
            if (!f[i].present) {
                return bad;
            }
        }
    }
    return SCEPKIT_OK;
}

scepkit_err skit_rec_read_map(scepkit_bytes in, skit_rec_field *f, size_t n)
{
    return read_rec(in, f, n, 1, SCEPKIT_ERR_STORE_CORRUPT);
}

scepkit_err skit_rec_read_array(scepkit_bytes in, skit_rec_field *f, size_t n, scepkit_err bad)
{
    return read_rec(in, f, n, 0, bad);
}

/* ---------------------------------------------------------------------------------------------- */

void skit_hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int skit_unhex(const char *in, size_t in_len, uint8_t *out, size_t len)
{
    if (in_len != 2 * len) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(in[2 * i]);
        int lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
