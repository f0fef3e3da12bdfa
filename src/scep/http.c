/* HTTP helpers of the SCEP client: the query string of RFC 8894 §4.1 and content-type matching. */
#include <string.h>

#include "scep/client_internal.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_digits[] = "0123456789ABCDEF";

static int unreserved(uint8_t c)
{
    /* RFC 3986 §2.3 */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/* Appends one character, percent-escaping it when it is not unreserved. `pos` counts on past `cap`. */
static void put_escaped(char *out, size_t cap, size_t *pos, uint8_t c)
{
    if (unreserved(c)) {
        if (out != NULL && *pos < cap) {
            out[*pos] = (char)c;
        }
        (*pos)++;
        return;
    }
    char esc[3] = {'%', hex_digits[c >> 4], hex_digits[c & 15]};
    for (int i = 0; i < 3; i++) {
        if (out != NULL && *pos < cap) {
            out[*pos] = esc[i];
        }
        (*pos)++;
    }
}

static void put_text(char *out, size_t cap, size_t *pos, const char *s)
{
    for (; *s; s++) {
        if (out != NULL && *pos < cap) {
            out[*pos] = *s;
        }
        (*pos)++;
    }
}

/*
 * RFC 8894 §4.1: "GET /cgi-bin/pkiclient.exe?operation=PKIOperation&message=<base64 pkiMessage>" with
 * the base64 (RFC 4648 §4, standard alphabet, padded) URL-encoded, so '+', '/' and '=' become %2B, %2F, %3D.
 *
 * `msg` may lie inside `out` (the client writes the DER at the tail of its buffer and encodes forward):
 * each 3-byte group is read before its (at most 12) output characters are written, and the output of group
 * g ends at 31 + 12(g+1) at most, so it never overtakes the input when the DER starts at or after
 * cap - n with cap >= 4n + 64 (see SCEPKIT_CLIENT_MEM_SIZE).
 */
scepkit_err skit_http_query_build(const char *operation, scepkit_bytes msg, int binary, char *out, size_t cap,
                                  size_t *len)
{
    size_t pos = 0;
    put_text(out, cap, &pos, "operation=");
    put_text(out, cap, &pos, operation);
    if (msg.len != 0) {
        put_text(out, cap, &pos, "&message=");
        if (binary) {
            size_t i = 0;
            while (i < msg.len) {
                uint8_t b0 = msg.ptr[i];
                uint8_t b1 = i + 1 < msg.len ? msg.ptr[i + 1] : 0;
                uint8_t b2 = i + 2 < msg.len ? msg.ptr[i + 2] : 0;
                size_t take = msg.len - i < 3 ? msg.len - i : 3;
                i += take;
                uint8_t q[4];
                q[0] = (uint8_t)b64_alphabet[b0 >> 2];
                q[1] = (uint8_t)b64_alphabet[((b0 & 3) << 4) | (b1 >> 4)];
                q[2] = take > 1 ? (uint8_t)b64_alphabet[((b1 & 15) << 2) | (b2 >> 6)] : (uint8_t)'=';
                q[3] = take > 2 ? (uint8_t)b64_alphabet[b2 & 63] : (uint8_t)'=';
                for (int k = 0; k < 4; k++) {
                    put_escaped(out, cap, &pos, q[k]);
                }
            }
        } else {
            for (size_t i = 0; i < msg.len; i++) {
                put_escaped(out, cap, &pos, msg.ptr[i]);
            }
        }
    }
    *len = pos;
    if (out == NULL || pos + 1 > cap) {
        *len = pos + 1;
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    out[pos] = 0;
    return SCEPKIT_OK;
}

scepkit_err scepkit_http_query(const char *operation, scepkit_bytes message, int binary, char *out, size_t cap,
                               size_t *len)
{
    if (operation == NULL || len == NULL || (message.ptr == NULL && message.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    /* The public form does not allow overlap (the in-place use is the engine's, with its own layout). */
    if (out != NULL && message.len != 0 && (const uint8_t *)out < message.ptr + message.len &&
        message.ptr < (const uint8_t *)out + cap) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = skit_http_query_build(operation, message, binary, out, cap, len);
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
    }
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL && out != NULL && cap != 0) {
        scepkit_wipe(out, cap);
    }
    return err;
}

int scepkit_http_content_type_is(scepkit_bytes ct, const char *expected)
{
    if (expected == NULL || (ct.ptr == NULL && ct.len != 0)) {
        return 0;
    }
    size_t i = 0;
    size_t end = ct.len;
    while (i < end && (ct.ptr[i] == ' ' || ct.ptr[i] == '\t')) {
        i++;
    }
    for (size_t k = i; k < ct.len; k++) {
        if (ct.ptr[k] == ';') {
            end = k;
            break;
        }
    }
    while (end > i && (ct.ptr[end - 1] == ' ' || ct.ptr[end - 1] == '\t')) {
        end--;
    }
    size_t n = strlen(expected);
    if (end - i != n) {
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        uint8_t a = ct.ptr[i + k];
        uint8_t b = (uint8_t)expected[k];
        a = (a >= 'A' && a <= 'Z') ? (uint8_t)(a + 32) : a;
        b = (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b;
        if (a != b) {
            return 0;
        }
    }
    return 1;
}
