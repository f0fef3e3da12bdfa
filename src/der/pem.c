/*
 * Base64 (RFC 4648 §4 and §5) and PEM (RFC 7468).
 *
 * Decoding is strict: characters outside the alphabet, '=' anywhere but at the end, a wrong
 * amount of padding and non-zero bits left over in the last quantum (RFC 4648 §3.5) are all
 * SCEPKIT_ERR_ENCODING, so one byte string has one text form. Whitespace is skipped anywhere.
 * Decoded bytes may be secrets (private keys, PKCS#12), so partial output is wiped on failure.
 */
#include <stdbool.h>
#include <string.h>

#include "scepkit/pem.h"

static const char b64_std[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t scepkit_base64_encoded_len(size_t n, scepkit_b64 alphabet)
{
    size_t full = n / 3u * 4u;
    size_t rest = n % 3u;
    if (rest == 0) {
        return full;
    }
    return full + (alphabet == SCEPKIT_B64_URL ? rest + 1u : 4u);
}

/* Encodes into out[0..) without bounds checks: the caller has checked the room. */
static void b64_encode_raw(const uint8_t *in, size_t n, const char *abc, bool pad, char *out)
{
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = abc[(v >> 18) & 63u];
        out[o++] = abc[(v >> 12) & 63u];
        out[o++] = abc[(v >> 6) & 63u];
        out[o++] = abc[v & 63u];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[(v >> 18) & 63u];
        out[o++] = abc[(v >> 12) & 63u];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = abc[(v >> 18) & 63u];
        out[o++] = abc[(v >> 12) & 63u];
        out[o++] = abc[(v >> 6) & 63u];
        if (pad) {
            out[o++] = '=';
        }
    }
}

scepkit_err scepkit_base64_encode(scepkit_bytes in, scepkit_b64 alphabet, char *out, size_t cap, size_t *len)
{
    size_t need;
    if (len == NULL || (in.ptr == NULL && in.len != 0) || (out == NULL && cap != 0) ||
        (alphabet != SCEPKIT_B64_STD && alphabet != SCEPKIT_B64_URL) || in.len > (SIZE_MAX / 4u) * 3u - 3u) {
        return SCEPKIT_ERR_ARG;
    }
    need = scepkit_base64_encoded_len(in.len, alphabet);
    *len = need;
    if (need > cap) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    b64_encode_raw(in.ptr, in.len, alphabet == SCEPKIT_B64_URL ? b64_url : b64_std, alphabet == SCEPKIT_B64_STD, out);
    if (need < cap) {
        out[need] = '\0';
    }
    return SCEPKIT_OK;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Value of a base64 character in the chosen alphabet, or -1. */
static int b64_value(uint8_t c, scepkit_b64 alphabet)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (alphabet == SCEPKIT_B64_STD) {
        return c == '+' ? 62 : (c == '/' ? 63 : -1);
    }
    return c == '-' ? 62 : (c == '_' ? 63 : -1);
}

/*
 * The decoder writes out[k] only after reading at least 4*k/3 input characters, so out may be
 * in.ptr itself (in-place decoding): the write position never passes the read position.
 */
scepkit_err scepkit_base64_decode(scepkit_bytes in, scepkit_b64 alphabet, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_err err = SCEPKIT_ERR_ENCODING;
    uint32_t acc = 0;
    size_t nchars = 0; /* alphabet characters seen */
    size_t npad = 0;   /* '=' seen */
    size_t w = 0;      /* bytes produced (counted past cap) */
    if (len == NULL || (in.ptr == NULL && in.len != 0) || (out == NULL && cap != 0) ||
        (alphabet != SCEPKIT_B64_STD && alphabet != SCEPKIT_B64_URL)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        int v;
        if (is_space(c)) {
            continue;
        }
        if (c == '=') {
            npad++;
            continue;
        }
        v = b64_value(c, alphabet);
        if (v < 0 || npad != 0) {
            goto out; /* not in the alphabet, or data after padding */
        }
        acc = (acc << 6) | (uint32_t)v;
        nchars++;
        if (nchars % 4u == 0) {
            uint8_t b[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
            for (unsigned k = 0; k < 3; k++, w++) {
                if (out != NULL && w < cap) {
                    out[w] = b[k];
                }
            }
            acc = 0;
        }
    }
    /* The last quantum: 2 or 3 characters give 1 or 2 bytes; the leftover bits must be zero. */
    switch (nchars % 4u) {
    case 0:
        if (npad != 0) {
            goto out;
        }
        break;
    case 1:
        goto out;
    case 2:
        if ((acc & 0x0fu) != 0 || (npad != 2 && !(alphabet == SCEPKIT_B64_URL && npad == 0))) {
            goto out;
        }
        if (out != NULL && w < cap) {
            out[w] = (uint8_t)(acc >> 4);
        }
        w++;
        break;
    default: /* 3 */
        if ((acc & 0x03u) != 0 || (npad != 1 && !(alphabet == SCEPKIT_B64_URL && npad == 0))) {
            goto out;
        }
        for (unsigned k = 0; k < 2; k++, w++) {
            if (out != NULL && w < cap) {
                out[w] = (uint8_t)(acc >> (10 - 8 * k));
            }
        }
        break;
    }
    *len = w;
    err = w <= cap ? SCEPKIT_OK : SCEPKIT_ERR_BUFFER_TOO_SMALL;
out:
    if (err != SCEPKIT_OK && out != NULL) {
        scepkit_wipe(out, w < cap ? w : cap);
    }
    return err;
}

/* ---- PEM (RFC 7468) ---- */

static const char pem_begin[] = "-----BEGIN ";
static const char pem_end[] = "-----END ";
static const char pem_dashes[] = "-----";

static bool match_at(scepkit_bytes t, size_t at, const char *s, size_t n)
{
    return at <= t.len && n <= t.len - at && memcmp(t.ptr + at, s, n) == 0;
}

/* Offset of the next line start at or after `at` (just past LF, CR or CRLF), or t.len. */
static size_t next_line(scepkit_bytes t, size_t at)
{
    while (at < t.len && t.ptr[at] != '\n' && t.ptr[at] != '\r') {
        at++;
    }
    if (at < t.len && t.ptr[at] == '\r') {
        at++;
    }
    if (at < t.len && t.ptr[at] == '\n') {
        at++;
    }
    return at;
}

/*
 * Reads "<prefix>LABEL-----" at `at`, then optional blanks up to the end of line.
 * *label views LABEL; *after is the start of the next line. False if the line does not match.
 */
static bool read_boundary(scepkit_bytes t, size_t at, const char *prefix, scepkit_bytes *label, size_t *after)
{
    size_t plen = strlen(prefix);
    size_t i;
    size_t lstart;
    if (!match_at(t, at, prefix, plen)) {
        return false;
    }
    lstart = at + plen;
    i = lstart;
    while (i < t.len && t.ptr[i] != '\n' && t.ptr[i] != '\r' && !match_at(t, i, pem_dashes, 5)) {
        /* RFC 7468 labelchar: printable ASCII; '-' only as a single separator */
        if (t.ptr[i] < 0x20 || t.ptr[i] > 0x7e) {
            return false;
        }
        i++;
    }
    if (!match_at(t, i, pem_dashes, 5)) {
        return false;
    }
    label->ptr = t.ptr + lstart;
    label->len = i - lstart;
    i += 5;
    while (i < t.len && (t.ptr[i] == ' ' || t.ptr[i] == '\t')) {
        i++;
    }
    if (i < t.len && t.ptr[i] != '\n' && t.ptr[i] != '\r') {
        return false;
    }
    *after = next_line(t, i);
    return true;
}

static bool label_is(scepkit_bytes found, const char *want)
{
    size_t n = strlen(want);
    return found.len == n && memcmp(found.ptr, want, n) == 0;
}

/*
 * RFC 7468 §2: textual encoding with "-----BEGIN LABEL-----" and "-----END LABEL-----" lines
 * around base64 text; explanatory text may come before the BEGIN line. The END label must repeat
 * the BEGIN label. Blocks whose label differs from the one asked for are skipped.
 */
scepkit_err scepkit_pem_decode(scepkit_bytes text, const char *label, uint8_t *out, size_t cap, size_t *len,
                               scepkit_bytes *label_out, size_t *consumed)
{
    size_t line = 0;
    if (len == NULL || (text.ptr == NULL && text.len != 0) || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (consumed != NULL) {
        *consumed = 0;
    }
    while (line < text.len) {
        scepkit_bytes lab;
        scepkit_bytes endlab;
        size_t body;
        size_t at;
        size_t after_end = 0;
        size_t body_end = 0;
        bool found_end = false;
        scepkit_err err;
        while (line < text.len && (text.ptr[line] == ' ' || text.ptr[line] == '\t')) {
            line++;
        }
        if (!read_boundary(text, line, pem_begin, &lab, &body)) {
            line = next_line(text, line);
            continue;
        }
        /* Find the END line: the first line that starts with "-----END ". */
        for (at = body; at < text.len; at = next_line(text, at)) {
            if (match_at(text, at, pem_end, sizeof pem_end - 1)) {
                if (!read_boundary(text, at, pem_end, &endlab, &after_end) || endlab.len != lab.len ||
                    memcmp(endlab.ptr, lab.ptr, lab.len) != 0) {
                    return SCEPKIT_ERR_ENCODING;
                }
                body_end = at;
                found_end = true;
                break;
            }
            if (match_at(text, at, pem_begin, sizeof pem_begin - 1)) {
                break; /* a new block before this one ended */
            }
        }
        if (!found_end) {
            return SCEPKIT_ERR_ENCODING;
        }
        if (label != NULL && !label_is(lab, label)) {
            line = after_end;
            continue;
        }
        if (label_out != NULL) {
            *label_out = lab;
        }
        {
            scepkit_bytes b64 = {text.ptr + body, body_end - body};
            err = scepkit_base64_decode(b64, SCEPKIT_B64_STD, out, cap, len);
        }
        if (err == SCEPKIT_OK && consumed != NULL) {
            *consumed = after_end;
        }
        return err;
    }
    return SCEPKIT_ERR_NOT_FOUND;
}

scepkit_err scepkit_pem_encode(scepkit_bytes der, const char *label, char *out, size_t cap, size_t *len)
{
    size_t llen;
    size_t b64len;
    size_t lines;
    size_t need;
    size_t o = 0;
    const uint8_t *p;
    size_t left;
    if (len == NULL || label == NULL || (der.ptr == NULL && der.len != 0) || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    llen = strlen(label);
    for (size_t i = 0; i < llen; i++) {
        if ((unsigned char)label[i] < 0x20 || (unsigned char)label[i] > 0x7e) {
            return SCEPKIT_ERR_ARG;
        }
    }
    if (der.len > SIZE_MAX / 2u || llen > SIZE_MAX / 4u) {
        return SCEPKIT_ERR_ARG;
    }
    b64len = scepkit_base64_encoded_len(der.len, SCEPKIT_B64_STD);
    lines = (b64len + 63u) / 64u;
    need = (sizeof pem_begin - 1) + llen + 5 + 1 + b64len + lines + (sizeof pem_end - 1) + llen + 5 + 1;
    *len = need;
    if (need >= cap) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(out + o, pem_begin, sizeof pem_begin - 1);
    o += sizeof pem_begin - 1;
    memcpy(out + o, label, llen);
    o += llen;
    memcpy(out + o, "-----\n", 6);
    o += 6;
    /* 48 input bytes make one full 64-character line. */
    p = der.ptr;
    left = der.len;
    while (left > 0) {
        size_t take = left < 48u ? left : 48u;
        b64_encode_raw(p, take, b64_std, true, out + o);
        o += scepkit_base64_encoded_len(take, SCEPKIT_B64_STD);
        out[o++] = '\n';
        p += take;
        left -= take;
    }
    memcpy(out + o, pem_end, sizeof pem_end - 1);
    o += sizeof pem_end - 1;
    memcpy(out + o, label, llen);
    o += llen;
    memcpy(out + o, "-----\n", 6);
    o += 6;
    out[o] = '\0';
    return o == need ? SCEPKIT_OK : SCEPKIT_ERR_INTERNAL;
}

int scepkit_is_pem(scepkit_bytes data)
{
    size_t i = 0;
    if (data.ptr == NULL) {
        return 0;
    }
    while (i < data.len && is_space(data.ptr[i])) {
        i++;
    }
    return match_at(data, i, pem_begin, sizeof pem_begin - 1) ? 1 : 0;
}
