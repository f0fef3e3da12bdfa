/*
 * The client state blob: CBOR (RFC 8949) written with libcbor's allocation-free encoders and read with
 * its streaming decoder (cbor_stream_decode with callbacks). Never the item API, never cbor_set_allocs:
 * nothing here allocates. This is the only file that includes libcbor. Format: docs/client.md.
 *
 *   state = [
 *     "scepkit-client",   ; text: says what this is (anything else: SCEPKIT_ERR_STATE_FOREIGN)
 *     1,                  ; format version (another: SCEPKIT_ERR_STATE_VERSION)
 *     { * uint => value },; fields, definite length, keys strictly ascending (table in docs/client.md)
 *     bstr .size 16       ; first 16 bytes of SHA-256 over every byte before this item
 *   ]
 */
#include <cbor.h>
#include <string.h>

#include "port/crypto_port.h"
#include "scep/client_internal.h"

#define STATE_MAGIC "scepkit-client"
#define STATE_VERSION 1u
#define SUM_LEN 16
#define MAX_FIELDS 19

enum key {
    K_OP = 1,
    K_PHASE = 2,
    K_AWAITING = 3,
    K_CAPS = 4,
    K_CAPS_KNOWN = 5,
    K_CIPHER = 6,
    K_MD = 7,
    K_METHOD = 8,
    K_FLAGS = 9,
    K_REQ_TYPE = 10,
    K_TXID = 11,
    K_NONCE = 12,
    K_SPKI_HASH = 13,
    K_POLLS = 14,
    K_CERTS = 15,
    K_ENC = 16,
    K_SIGN = 17,
    K_SIGNER = 18,
    K_SUBJECT = 19,
};

#define FLAG_RENEWAL 1u
#define FLAG_NEXT_CA 2u

/* ---------------------------------------------------------------------------------------------- */
/* Encoder: a bounded writer that keeps counting past its capacity (size-only pass with out == NULL). */

typedef struct wr {
    uint8_t *out;
    size_t cap;
    size_t pos;
} wr;

static void put(wr *w, const uint8_t *p, size_t n)
{
    if (w->out != NULL && w->pos <= w->cap && n <= w->cap - w->pos) {
        memcpy(w->out + w->pos, p, n);
    }
    w->pos += n;
}

/* libcbor's encoders write into a buffer and return 0 when it is too small; a 9-byte head always fits. */
static void put_uint(wr *w, uint64_t v)
{
    unsigned char head[9];
    size_t n = cbor_encode_uint(v, head, sizeof head);
    put(w, head, n);
}

static void put_bytes(wr *w, const uint8_t *p, size_t n)
{
    unsigned char head[9];
    size_t h = cbor_encode_bytestring_start(n, head, sizeof head);
    put(w, head, h);
    put(w, p, n);
}

static void put_text(wr *w, const char *s)
{
    unsigned char head[9];
    size_t n = strlen(s);
    size_t h = cbor_encode_string_start(n, head, sizeof head);
    put(w, head, h);
    put(w, (const uint8_t *)s, n);
}

static void put_head(wr *w, size_t (*enc)(size_t, unsigned char *, size_t), size_t count)
{
    unsigned char head[9];
    size_t h = enc(count, head, sizeof head);
    put(w, head, h);
}

scepkit_err skit_state_encode(const scepkit_client *c, uint8_t *out, size_t cap, size_t *len)
{
    wr w = {out, out != NULL ? cap : 0, 0};
    const scepkit_ca_certs *ca = &c->ca;
    int have_certs = ca->count != 0;
    /* The certificates kept: the CA first, then the RA certificates in use (deduplicated). */
    scepkit_bytes keep[3];
    size_t nkeep = 0, enc = 0, sign = 0;
    if (have_certs) {
        keep[nkeep++] = ca->certs[ca->ca];
        if (ca->enc != ca->ca) {
            enc = nkeep;
            keep[nkeep++] = ca->certs[ca->enc];
        }
        if (ca->sign == ca->ca) {
            sign = 0;
        } else if (ca->sign == ca->enc) {
            sign = enc;
        } else {
            sign = nkeep;
            keep[nkeep++] = ca->certs[ca->sign];
        }
    }
    int have_txid = c->transaction_id[0] != 0;
    size_t fields =
        11 + (have_txid ? 3u : 0u) + (have_certs ? 3u : 0u) + (c->signer_len ? 1u : 0u) + (c->subject_len ? 1u : 0u);

    put_head(&w, cbor_encode_array_start, 4);
    put_text(&w, STATE_MAGIC);
    put_uint(&w, STATE_VERSION);
    put_head(&w, cbor_encode_map_start, fields);
    put_uint(&w, K_OP);
    put_uint(&w, (uint64_t)c->cfg.op);
    put_uint(&w, K_PHASE);
    put_uint(&w, (uint64_t)c->phase);
    put_uint(&w, K_AWAITING);
    put_uint(&w, c->awaiting ? 1u : 0u);
    put_uint(&w, K_CAPS);
    put_uint(&w, c->caps);
    put_uint(&w, K_CAPS_KNOWN);
    put_uint(&w, c->caps_known ? 1u : 0u);
    put_uint(&w, K_CIPHER);
    put_uint(&w, (uint64_t)c->algs.cipher);
    put_uint(&w, K_MD);
    put_uint(&w, (uint64_t)c->algs.md);
    put_uint(&w, K_METHOD);
    put_uint(&w, (uint64_t)c->algs.pki_method);
    put_uint(&w, K_FLAGS);
    put_uint(&w, (c->algs.renewal ? FLAG_RENEWAL : 0u) | (c->algs.next_ca ? FLAG_NEXT_CA : 0u));
    put_uint(&w, K_REQ_TYPE);
    put_uint(&w, (uint64_t)c->req_type);
    if (have_txid) {
        put_uint(&w, K_TXID);
        put_text(&w, c->transaction_id);
        put_uint(&w, K_NONCE);
        put_bytes(&w, c->sender_nonce, sizeof c->sender_nonce);
        put_uint(&w, K_SPKI_HASH);
        put_bytes(&w, c->spki_hash, sizeof c->spki_hash);
    }
    /* polls is the 11th fixed field (key 14 comes after the transactionID block) */
    put_uint(&w, K_POLLS);
    put_uint(&w, c->polls);
    if (have_certs) {
        put_uint(&w, K_CERTS);
        put_head(&w, cbor_encode_array_start, nkeep);
        for (size_t i = 0; i < nkeep; i++) {
            put_bytes(&w, keep[i].ptr, keep[i].len);
        }
        put_uint(&w, K_ENC);
        put_uint(&w, enc);
        put_uint(&w, K_SIGN);
        put_uint(&w, sign);
    }
    if (c->signer_len) {
        put_uint(&w, K_SIGNER);
        put_bytes(&w, c->signer_buf, c->signer_len);
    }
    if (c->subject_len) {
        put_uint(&w, K_SUBJECT);
        put_bytes(&w, c->subject_buf, c->subject_len);
    }
    size_t body = w.pos;
    unsigned char head[9];
    size_t h = cbor_encode_bytestring_start(SUM_LEN, head, sizeof head);
    size_t total = body + h + SUM_LEN;
    *len = total;
    if (out == NULL || total > cap) {
        if (out != NULL) {
            scepkit_wipe(out, cap);
        }
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t sum[32];
    scepkit_err err = skit_md(SCEPKIT_MD_SHA256, out, body, sum);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(out, cap);
        *len = 0;
        return err;
    }
    put(&w, head, h);
    put(&w, sum, SUM_LEN);
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Decoder: cbor_stream_decode() reads one data item head (or a whole string/integer) per call and
 * reports it through a callback; the callbacks record it as an event and the reader below pulls events. */

enum ev_kind { EV_NONE = 0, EV_UINT, EV_BYTES, EV_TEXT, EV_ARRAY, EV_MAP, EV_OTHER };

typedef struct ev {
    enum ev_kind kind;
    uint64_t u;          /* EV_UINT value, EV_ARRAY/EV_MAP count */
    scepkit_bytes bytes; /* EV_BYTES/EV_TEXT: into the blob */
} ev;

static void on_u8(void *ctx, uint8_t v)
{
    ev *e = ctx;
    e->kind = EV_UINT;
    e->u = v;
}
static void on_u16(void *ctx, uint16_t v)
{
    ev *e = ctx;
    e->kind = EV_UINT;
    e->u = v;
}
static void on_u32(void *ctx, uint32_t v)
{
    ev *e = ctx;
    e->kind = EV_UINT;
    e->u = v;
}
static void on_u64(void *ctx, uint64_t v)
{
    ev *e = ctx;
    e->kind = EV_UINT;
    e->u = v;
}
static void on_bytes(void *ctx, cbor_data p, size_t n)
{
    ev *e = ctx;
    e->kind = EV_BYTES;
    e->bytes = (scepkit_bytes){p, n};
}
static void on_text(void *ctx, cbor_data p, size_t n)
{
    ev *e = ctx;
    e->kind = EV_TEXT;
    e->bytes = (scepkit_bytes){p, n};
}
static void on_array(void *ctx, size_t n)
{
    ev *e = ctx;
    e->kind = EV_ARRAY;
    e->u = n;
}
static void on_map(void *ctx, size_t n)
{
    ev *e = ctx;
    e->kind = EV_MAP;
    e->u = n;
}
static void on_other(void *ctx)
{
    ev *e = ctx;
    e->kind = EV_OTHER;
}
static void on_other_i8(void *ctx, uint8_t v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_i16(void *ctx, uint16_t v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_i32(void *ctx, uint32_t v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_i64(void *ctx, uint64_t v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_f(void *ctx, float v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_d(void *ctx, double v)
{
    (void)v;
    on_other(ctx);
}
static void on_other_b(void *ctx, bool v)
{
    (void)v;
    on_other(ctx);
}

/* Negative integers, indefinite-length items, tags, floats and simple values are all "other": refused. */
static const struct cbor_callbacks callbacks = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint64 = on_other_i64,
    .negint32 = on_other_i32,
    .negint16 = on_other_i16,
    .negint8 = on_other_i8,
    .byte_string_start = on_other,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_other,
    .indef_array_start = on_other,
    .array_start = on_array,
    .indef_map_start = on_other,
    .map_start = on_map,
    .tag = on_other_i64,
    .float2 = on_other_f,
    .float4 = on_other_f,
    .float8 = on_other_d,
    .undefined = on_other,
    .null = on_other,
    .boolean = on_other_b,
    .indef_break = on_other,
};

typedef struct rd {
    const uint8_t *p;
    size_t left;
} rd;

static scepkit_err next(rd *r, ev *e)
{
    memset(e, 0, sizeof *e);
    if (r->left == 0) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    struct cbor_decoder_result res = cbor_stream_decode(r->p, r->left, &callbacks, e);
    if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > r->left || e->kind == EV_NONE) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    r->p += res.read;
    r->left -= res.read;
    return e->kind == EV_OTHER ? SCEPKIT_ERR_STATE_CORRUPT : SCEPKIT_OK;
}

static scepkit_err want(rd *r, enum ev_kind kind, ev *e)
{
    scepkit_err err = next(r, e);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return e->kind == kind ? SCEPKIT_OK : SCEPKIT_ERR_STATE_CORRUPT;
}

static scepkit_err want_uint(rd *r, uint64_t max, uint64_t *v)
{
    ev e;
    scepkit_err err = want(r, EV_UINT, &e);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (e.u > max) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    *v = e.u;
    return SCEPKIT_OK;
}

static scepkit_err want_bytes(rd *r, size_t min, size_t max, scepkit_bytes *b)
{
    ev e;
    scepkit_err err = want(r, EV_BYTES, &e);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (e.bytes.len < min || e.bytes.len > max) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    *b = e.bytes;
    return SCEPKIT_OK;
}

static int printable(scepkit_bytes t)
{
    /* transactionIDs are PrintableString (RFC 8894 §3.2.1.1) */
    for (size_t i = 0; i < t.len; i++) {
        uint8_t ch = t.ptr[i];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 strchr(" '()+,-./:=?", ch) != NULL;
        if (!ok || ch == 0) {
            return 0;
        }
    }
    return 1;
}

/* The certificates of key 15 go into certs_buf; each must parse as a certificate. */
static scepkit_err read_certs(rd *r, scepkit_client *c, size_t *count)
{
    ev e;
    scepkit_err err = want(r, EV_ARRAY, &e);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (e.u < 1 || e.u > 3) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    size_t off = 0;
    for (size_t i = 0; i < (size_t)e.u; i++) {
        scepkit_bytes b;
        if ((err = want_bytes(r, 1, c->certs_cap - off, &b)) != SCEPKIT_OK) {
            return err;
        }
        memcpy(c->certs_buf + off, b.ptr, b.len);
        c->ca.certs[i] = (scepkit_bytes){c->certs_buf + off, b.len};
        off += b.len;
        scepkit_x509 x;
        if (scepkit_x509_parse(c->ca.certs[i], &x) != SCEPKIT_OK) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
    }
    c->certs_used = off;
    c->ca.count = (size_t)e.u;
    *count = (size_t)e.u;
    return SCEPKIT_OK;
}

static scepkit_err read_field(rd *r, scepkit_client *c, uint64_t key, size_t *ncerts, uint64_t *enc, uint64_t *sign,
                              int *have_enc_sign)
{
    uint64_t v = 0;
    scepkit_bytes b;
    ev e;
    scepkit_err err;
    switch (key) {
    case K_OP:
        if ((err = want_uint(r, 255, &v)) != SCEPKIT_OK) {
            return err;
        }
        /* A blob of another operation is not this engine's: foreign. */
        return v == (uint64_t)c->cfg.op ? SCEPKIT_OK : SCEPKIT_ERR_STATE_FOREIGN;
    case K_PHASE:
        if ((err = want_uint(r, SKIT_PH_DONE, &v)) != SCEPKIT_OK) {
            return err;
        }
        c->phase = (int)v;
        return v >= SKIT_PH_CAPS ? SCEPKIT_OK : SCEPKIT_ERR_STATE_CORRUPT;
    case K_AWAITING:
        err = want_uint(r, 1, &v);
        c->awaiting = (int)v;
        return err;
    case K_CAPS:
        err = want_uint(r, UINT32_MAX, &v);
        c->caps = (uint32_t)v;
        return err;
    case K_CAPS_KNOWN:
        err = want_uint(r, 1, &v);
        c->caps_known = (int)v;
        return err;
    case K_CIPHER:
        err = want_uint(r, SCEPKIT_CIPHER_AES256_CBC, &v);
        c->algs.cipher = (scepkit_cipher)v;
        return err;
    case K_MD:
        err = want_uint(r, SCEPKIT_MD_SHA512, &v);
        c->algs.md = (scepkit_md)v;
        return err;
    case K_METHOD:
        err = want_uint(r, SCEPKIT_HTTP_POST, &v);
        c->algs.pki_method = (scepkit_http_method)v;
        return err;
    case K_FLAGS:
        err = want_uint(r, FLAG_RENEWAL | FLAG_NEXT_CA, &v);
        c->algs.renewal = (v & FLAG_RENEWAL) != 0;
        c->algs.next_ca = (v & FLAG_NEXT_CA) != 0;
        return err;
    case K_REQ_TYPE:
        err = want_uint(r, 255, &v);
        c->req_type = (scepkit_msg_type)v;
        return err;
    case K_TXID:
        if ((err = want(r, EV_TEXT, &e)) != SCEPKIT_OK) {
            return err;
        }
        if (e.bytes.len == 0 || e.bytes.len > SCEPKIT_TRANSACTION_ID_MAX || !printable(e.bytes)) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
        memcpy(c->transaction_id, e.bytes.ptr, e.bytes.len);
        c->transaction_id[e.bytes.len] = 0;
        return SCEPKIT_OK;
    case K_NONCE:
        if ((err = want_bytes(r, SCEPKIT_NONCE_LEN, SCEPKIT_NONCE_LEN, &b)) != SCEPKIT_OK) {
            return err;
        }
        memcpy(c->sender_nonce, b.ptr, b.len);
        return SCEPKIT_OK;
    case K_SPKI_HASH:
        if ((err = want_bytes(r, 32, 32, &b)) != SCEPKIT_OK) {
            return err;
        }
        memcpy(c->spki_hash, b.ptr, b.len);
        return SCEPKIT_OK;
    case K_POLLS:
        err = want_uint(r, UINT32_MAX, &v);
        c->polls = (unsigned)v;
        return err;
    case K_CERTS:
        return read_certs(r, c, ncerts);
    case K_ENC:
        *have_enc_sign |= 1;
        return want_uint(r, 2, enc);
    case K_SIGN:
        *have_enc_sign |= 2;
        return want_uint(r, 2, sign);
    case K_SIGNER:
        if ((err = want_bytes(r, 1, SCEPKIT_CLIENT_SIGNER_MAX, &b)) != SCEPKIT_OK) {
            return err;
        }
        memcpy(c->signer_buf, b.ptr, b.len);
        c->signer_len = b.len;
        return SCEPKIT_OK;
    case K_SUBJECT:
        if ((err = want_bytes(r, 1, SCEPKIT_CLIENT_NAME_MAX, &b)) != SCEPKIT_OK) {
            return err;
        }
        memcpy(c->subject_buf, b.ptr, b.len);
        c->subject_len = b.len;
        return SCEPKIT_OK;
    default:
        return SCEPKIT_ERR_STATE_CORRUPT; /* version 1 has no other field */
    }
}

/* Header: [ "magic", version, {fields}, checksum ]. Anything that does not start as our array with our magic
 * text is foreign; another version is SCEPKIT_ERR_STATE_VERSION. Leaves `r` at the field map. */
static scepkit_err read_header(rd *r, size_t blob_len)
{
    ev e;
    scepkit_err err;
    if (blob_len == 0 || next(r, &e) != SCEPKIT_OK || e.kind != EV_ARRAY || e.u != 4) {
        return SCEPKIT_ERR_STATE_FOREIGN;
    }
    if (next(r, &e) != SCEPKIT_OK || e.kind != EV_TEXT || e.bytes.len != strlen(STATE_MAGIC) ||
        memcmp(e.bytes.ptr, STATE_MAGIC, e.bytes.len) != 0) {
        return SCEPKIT_ERR_STATE_FOREIGN;
    }
    if ((err = want(r, EV_UINT, &e)) != SCEPKIT_OK) {
        return err;
    }
    return e.u == STATE_VERSION ? SCEPKIT_OK : SCEPKIT_ERR_STATE_VERSION;
}

scepkit_err skit_state_decode(scepkit_client *c, scepkit_bytes blob, int check_sum)
{
    rd r = {blob.ptr, blob.len};
    ev e;
    scepkit_err err;
    if ((err = read_header(&r, blob.len)) != SCEPKIT_OK) {
        return err;
    }
    if ((err = want(&r, EV_MAP, &e)) != SCEPKIT_OK) {
        return err;
    }
    if (e.u < 2 || e.u > MAX_FIELDS) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    size_t fields = (size_t)e.u;
    uint64_t last_key = 0, enc = 0, sign = 0;
    size_t ncerts = 0;
    int have_enc_sign = 0;
    unsigned seen = 0;
    for (size_t i = 0; i < fields; i++) {
        uint64_t key = 0;
        if ((err = want_uint(&r, MAX_FIELDS, &key)) != SCEPKIT_OK) {
            return err;
        }
        if (key <= last_key) {
            return SCEPKIT_ERR_STATE_CORRUPT; /* canonical: ascending, no duplicates */
        }
        last_key = key;
        if ((err = read_field(&r, c, key, &ncerts, &enc, &sign, &have_enc_sign)) != SCEPKIT_OK) {
            return err;
        }
        seen |= 1u << key;
    }
    if (!(seen & (1u << K_OP)) || !(seen & (1u << K_PHASE))) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    /* The transactionID, nonce and key hash go together. */
    unsigned txid_set = (1u << K_TXID) | (1u << K_NONCE) | (1u << K_SPKI_HASH);
    if ((seen & txid_set) != 0 && (seen & txid_set) != txid_set) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    if (ncerts != 0) {
        if (have_enc_sign != 3 || enc >= ncerts || sign >= ncerts) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
        c->ca.ca = 0;
        c->ca.enc = (size_t)enc;
        c->ca.sign = (size_t)sign;
        c->ca.ra = enc != 0 || sign != 0;
    } else if (have_enc_sign != 0) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    /* Checksum over everything before it. */
    size_t body = blob.len - r.left;
    scepkit_bytes sum;
    if ((err = want_bytes(&r, SUM_LEN, SUM_LEN, &sum)) != SCEPKIT_OK) {
        return err;
    }
    if (r.left != 0) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    if (check_sum) {
        uint8_t h[32];
        if ((err = skit_md(SCEPKIT_MD_SHA256, blob.ptr, body, h)) != SCEPKIT_OK) {
            return err;
        }
        if (scepkit_ct_memcmp(h, sum.ptr, SUM_LEN) != 0) {
            return SCEPKIT_ERR_STATE_CORRUPT;
        }
    }
    return SCEPKIT_OK;
}

scepkit_err skit_state_peek_op(scepkit_bytes blob, scepkit_client_op *op)
{
    rd r = {blob.ptr, blob.len};
    ev e;
    scepkit_err err;
    if ((err = read_header(&r, blob.len)) != SCEPKIT_OK) {
        return err;
    }
    uint64_t key = 0, v = 0;
    if ((err = want(&r, EV_MAP, &e)) != SCEPKIT_OK || (err = want_uint(&r, MAX_FIELDS, &key)) != SCEPKIT_OK ||
        (err = want_uint(&r, 255, &v)) != SCEPKIT_OK) {
        return err;
    }
    if (key != K_OP || v < SCEPKIT_OP_GETCAPS || v > SCEPKIT_OP_GETNEXTCA) {
        return SCEPKIT_ERR_STATE_CORRUPT;
    }
    *op = (scepkit_client_op)v;
    return SCEPKIT_OK;
}
