/*
 * X.501 distinguished names: text <-> DER, and iteration (include/scepkit/name.h).
 *
 * Text is read in the order written and printed in encoding order (no RFC 4514 reversal), so
 * `CN=a,O=b` encodes CN first and formats back to `CN=a, O=b`.
 */
#include <string.h>

#include "codec/charset.h"
#include "der/der.h"
#include "der/oid.h"
#include "scepkit/name.h"

/* ---------------------------------------------------------------------------------------------- */
/* Character sets */

bool skit_printable_char(uint8_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return true;
    }
    switch (c) {
    case ' ':
    case '\'':
    case '(':
    case ')':
    case '+':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
        return true;
    default:
        return false;
    }
}

/* Streaming UTF-8 validator (RFC 3629 table): feed bytes, then ask whether it ended cleanly. */
typedef struct utf8_state {
    uint32_t cp;
    uint32_t min;
    uint8_t need;
    bool bad;
} utf8_state;

/* Returns true when a whole character has just been completed. */
static bool utf8_feed(utf8_state *u, uint8_t c)
{
    if (u->bad) {
        return false;
    }
    if (u->need == 0) {
        if (c < 0x80) {
            u->cp = c;
            return true;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            u->cp = c & 0x1fu;
            u->need = 1;
            u->min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            u->cp = c & 0x0fu;
            u->need = 2;
            u->min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            u->cp = c & 0x07u;
            u->need = 3;
            u->min = 0x10000;
        } else {
            u->bad = true;
        }
        return false;
    }
    if ((c & 0xc0u) != 0x80u) {
        u->bad = true;
        return false;
    }
    u->cp = (u->cp << 6) | (c & 0x3fu);
    u->need--;
    if (u->need != 0) {
        return false;
    }
    if (u->cp < u->min || u->cp > 0x10ffffu || (u->cp >= 0xd800u && u->cp <= 0xdfffu)) {
        u->bad = true;
        return false;
    }
    return true;
}

bool skit_utf8_valid(scepkit_bytes s)
{
    utf8_state u = {0, 0, 0, false};
    for (size_t i = 0; i < s.len; i++) {
        (void)utf8_feed(&u, s.ptr[i]);
    }
    return !u.bad && u.need == 0;
}

scepkit_err skit_str_check(uint8_t tag, scepkit_bytes s, size_t *chars)
{
    size_t n = 0;
    if (s.ptr == NULL && s.len != 0) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    switch (tag) {
    case SKIT_TAG_UTF8_STRING: {
        utf8_state u = {0, 0, 0, false};
        for (size_t i = 0; i < s.len; i++) {
            if (utf8_feed(&u, s.ptr[i])) {
                if (u.cp == 0) {
                    return SCEPKIT_ERR_DER_VALUE;
                }
                n++;
            }
        }
        if (u.bad || u.need != 0) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        break;
    }
    case SKIT_TAG_PRINTABLE_STRING:
        for (size_t i = 0; i < s.len; i++) {
            if (!skit_printable_char(s.ptr[i])) {
                return SCEPKIT_ERR_DER_VALUE;
            }
        }
        n = s.len;
        break;
    case SKIT_TAG_IA5_STRING:
    case SKIT_TAG_T61_STRING:
        for (size_t i = 0; i < s.len; i++) {
            if (s.ptr[i] == 0 || s.ptr[i] >= 0x80) {
                return SCEPKIT_ERR_DER_VALUE;
            }
        }
        n = s.len;
        break;
    case SKIT_TAG_BMP_STRING:
        if (s.len % 2 != 0) {
            return SCEPKIT_ERR_DER_VALUE;
        }
        for (size_t i = 0; i < s.len; i += 2) {
            uint32_t cp = ((uint32_t)s.ptr[i] << 8) | s.ptr[i + 1];
            if (cp == 0 || (cp >= 0xd800u && cp <= 0xdfffu)) {
                return SCEPKIT_ERR_DER_VALUE;
            }
        }
        n = s.len / 2;
        break;
    default:
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (chars != NULL) {
        *chars = n;
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Attribute keys */

typedef struct name_key {
    const char *key;
    skit_oid id;
} name_key;

/* The first row of each OID is the name used when formatting (OpenSSL's short names). */
static const name_key name_keys[] = {
    {"CN", SKIT_OID_AT_CN},
    {"SN", SKIT_OID_AT_SURNAME},
    {"serialNumber", SKIT_OID_AT_SERIAL_NUMBER},
    {"C", SKIT_OID_AT_C},
    {"L", SKIT_OID_AT_L},
    {"ST", SKIT_OID_AT_ST},
    {"street", SKIT_OID_AT_STREET},
    {"O", SKIT_OID_AT_O},
    {"OU", SKIT_OID_AT_OU},
    {"title", SKIT_OID_AT_TITLE},
    {"GN", SKIT_OID_AT_GIVEN_NAME},
    {"DC", SKIT_OID_AT_DC},
    {"UID", SKIT_OID_AT_UID},
    {"emailAddress", SKIT_OID_EMAIL_ADDRESS},
    /* aliases, accepted when reading only */
    {"E", SKIT_OID_EMAIL_ADDRESS},
    {"email", SKIT_OID_EMAIL_ADDRESS},
    {"commonName", SKIT_OID_AT_CN},
    {"surname", SKIT_OID_AT_SURNAME},
    {"countryName", SKIT_OID_AT_C},
    {"localityName", SKIT_OID_AT_L},
    {"stateOrProvinceName", SKIT_OID_AT_ST},
    {"S", SKIT_OID_AT_ST},
    {"streetAddress", SKIT_OID_AT_STREET},
    {"organizationName", SKIT_OID_AT_O},
    {"organizationalUnitName", SKIT_OID_AT_OU},
    {"givenName", SKIT_OID_AT_GIVEN_NAME},
    {"domainComponent", SKIT_OID_AT_DC},
    {"userId", SKIT_OID_AT_UID},
};

static bool key_equal(const char *k, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i < n; i++) {
        uint8_t a = (uint8_t)k[i];
        uint8_t b = p[i];
        if (a == 0) {
            return false;
        }
        if (a >= 'A' && a <= 'Z') {
            a = (uint8_t)(a + 32);
        }
        if (b >= 'A' && b <= 'Z') {
            b = (uint8_t)(b + 32);
        }
        if (a != b) {
            return false;
        }
    }
    return k[i] == 0;
}

static const char *key_of_oid(scepkit_bytes oid)
{
    skit_oid id = skit_oid_find(oid);
    if (id == SKIT_OID_UNKNOWN) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof name_keys / sizeof name_keys[0]; i++) {
        if (name_keys[i].id == id) {
            return name_keys[i].key;
        }
    }
    return NULL;
}

/* Default string type of an attribute (RFC 5280 §4.1.2.6 and Appendix A). */
static uint8_t default_tag(scepkit_bytes oid)
{
    switch (skit_oid_find(oid)) {
    case SKIT_OID_AT_C:
    case SKIT_OID_AT_SERIAL_NUMBER:
        return SKIT_TAG_PRINTABLE_STRING;
    case SKIT_OID_EMAIL_ADDRESS:
    case SKIT_OID_AT_DC:
        return SKIT_TAG_IA5_STRING;
    default:
        return SKIT_TAG_UTF8_STRING;
    }
}

static bool is_text_tag(uint8_t tag)
{
    switch (tag) {
    case SKIT_TAG_UTF8_STRING:
    case 0x12: /* NumericString */
    case SKIT_TAG_PRINTABLE_STRING:
    case SKIT_TAG_T61_STRING:
    case SKIT_TAG_IA5_STRING:
    case 0x1a: /* VisibleString */
    case SKIT_TAG_UNIVERSAL_STRING:
    case SKIT_TAG_BMP_STRING:
        return true;
    default:
        return false;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Text -> attributes */

static int hexval(uint8_t c)
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

/* Characters that may follow a backslash (RFC 4514 §3 `escaped` / SPACE / SHARP / EQUALS, plus '/' for
 * the slash form). */
static bool escapable(uint8_t c)
{
    return strchr(" \"#+,;<=>\\/", c) != NULL && c != 0;
}

/* Length of the escape starting at p[0] == '\\' (2 or 3), 0 if malformed. */
static size_t escape_len(const uint8_t *p, const uint8_t *end)
{
    if (end - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
        return 3;
    }
    if (end - p >= 2 && escapable(p[1])) {
        return 2;
    }
    return 0;
}

static bool is_sep(uint8_t c, bool slash)
{
    return c == '+' || c == (slash ? '/' : ',');
}

static scepkit_err resolve_key(const uint8_t *k, size_t n, scepkit_bytes *oid, uint8_t *store, size_t cap, size_t *used)
{
    for (size_t i = 0; i < sizeof name_keys / sizeof name_keys[0]; i++) {
        if (key_equal(name_keys[i].key, k, n)) {
            *oid = skit_oid_bytes(name_keys[i].id);
            return oid->len != 0 ? SCEPKIT_OK : SCEPKIT_ERR_INTERNAL;
        }
    }
    if (n > 4 && key_equal("oid.", k, 4)) {
        k += 4;
        n -= 4;
    }
    if (n == 0 || k[0] < '0' || k[0] > '9') {
        return SCEPKIT_ERR_DN_ATTRIBUTE;
    }
    size_t olen = 0;
    uint8_t *dst = store != NULL ? store + *used : NULL;
    size_t room = store != NULL ? cap - *used : 0;
    scepkit_err err = skit_oid_from_dotted((const char *)k, n, dst, room, &olen);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return err;
    }
    if (err != SCEPKIT_OK || skit_der_oid_check((scepkit_bytes){dst, olen}) != SCEPKIT_OK) {
        return SCEPKIT_ERR_DN_ATTRIBUTE;
    }
    oid->ptr = dst;
    oid->len = olen;
    *used += olen;
    return SCEPKIT_OK;
}

scepkit_err scepkit_name_from_string(scepkit_bytes text, scepkit_name_attr *attrs, size_t max, size_t *count,
                                     uint8_t *oid_store, size_t oid_store_cap)
{
    if (count == NULL || (text.ptr == NULL && text.len != 0) || (attrs == NULL && max != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *count = 0;
    const uint8_t *p = text.ptr;
    const uint8_t *end = text.ptr + text.len;
    size_t n = 0;
    size_t used = 0;
    uint8_t multi = 0;

    while (p < end && *p == ' ') {
        p++;
    }
    if (p == end) {
        return SCEPKIT_OK; /* the empty Name */
    }
    bool slash = *p == '/';
    if (slash) {
        p++;
    }
    for (;;) {
        while (p < end && *p == ' ') {
            p++;
        }
        const uint8_t *key = p;
        while (p < end && *p != '=' && !is_sep(*p, slash) && *p != '\\') {
            p++;
        }
        if (p == end || *p != '=') {
            return SCEPKIT_ERR_DN_SYNTAX;
        }
        const uint8_t *key_end = p;
        while (key_end > key && key_end[-1] == ' ') {
            key_end--;
        }
        if (key_end == key) {
            return SCEPKIT_ERR_DN_SYNTAX;
        }
        p++; /* '=' */
        while (p < end && *p == ' ') {
            p++;
        }
        const uint8_t *val = p;
        const uint8_t *val_end = p; /* just past the last character that is not an unescaped space */
        uint8_t escaped = 0;
        while (p < end && !is_sep(*p, slash)) {
            if (*p == '\\') {
                size_t e = escape_len(p, end);
                if (e == 0) {
                    return SCEPKIT_ERR_DN_SYNTAX;
                }
                p += e;
                val_end = p;
                escaped = 1;
                continue;
            }
            if (*p != ' ') {
                val_end = p + 1;
            }
            p++;
        }
        if (val_end == val) {
            return SCEPKIT_ERR_DN_SYNTAX; /* X.520 DirectoryString is SIZE (1..MAX) */
        }
        if (n >= max) {
            return SCEPKIT_ERR_CSR_TOO_MANY;
        }
        scepkit_bytes oid = {NULL, 0};
        scepkit_err err = resolve_key(key, (size_t)(key_end - key), &oid, oid_store, oid_store_cap, &used);
        if (err != SCEPKIT_OK) {
            return err;
        }
        attrs[n].oid = oid;
        attrs[n].value.ptr = val;
        attrs[n].value.len = (size_t)(val_end - val);
        attrs[n].string_tag = 0;
        attrs[n].escaped = escaped;
        attrs[n].multi_valued = multi;
        n++;
        if (p == end) {
            break;
        }
        multi = *p == '+';
        p++;
        if (p == end) {
            return SCEPKIT_ERR_DN_SYNTAX; /* trailing separator */
        }
    }
    *count = n;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Attributes -> DER */

/* Resolves escapes of `a->value` into `out` (if not NULL); returns the decoded length or SIZE_MAX on a
 * malformed escape. */
static size_t unescape(const scepkit_name_attr *a, uint8_t *out)
{
    const uint8_t *p = a->value.ptr;
    const uint8_t *end = p + a->value.len;
    size_t n = 0;
    if (!a->escaped) {
        if (out != NULL && a->value.len != 0) {
            memcpy(out, p, a->value.len);
        }
        return a->value.len;
    }
    while (p < end) {
        uint8_t c = *p;
        if (c == '\\') {
            size_t e = escape_len(p, end);
            if (e == 0) {
                return SIZE_MAX;
            }
            c = e == 3 ? (uint8_t)(hexval(p[1]) * 16 + hexval(p[2])) : p[1];
            p += e;
        } else {
            p++;
        }
        if (out != NULL) {
            out[n] = c;
        }
        n++;
    }
    return n;
}

/* Checks a decoded value against its string type; resolves into a small buffer piecewise so no
 * scratch is needed. */
static scepkit_err check_value(const scepkit_name_attr *a, uint8_t tag, size_t dec_len)
{
    /* Short values are decoded into a stack buffer and checked whole; long escaped ones are checked
     * byte by byte through the escape walker (no scratch memory needed either way). */
    uint8_t small[256];
    scepkit_bytes v;
    if (skit_oid_find(a->oid) == SKIT_OID_AT_C && dec_len != 2) {
        return SCEPKIT_ERR_DN_SYNTAX;
    }
    if (dec_len <= sizeof small) {
        (void)unescape(a, small);
        v.ptr = small;
        v.len = dec_len;
    } else if (!a->escaped) {
        v = a->value;
    } else {
        /* Long escaped values: validate byte by byte (UTF-8 stream) without a copy. */
        const uint8_t *p = a->value.ptr;
        const uint8_t *end = p + a->value.len;
        utf8_state u = {0, 0, 0, false};
        while (p < end) {
            uint8_t c = *p;
            if (c == '\\') {
                size_t e = escape_len(p, end);
                c = e == 3 ? (uint8_t)(hexval(p[1]) * 16 + hexval(p[2])) : p[1];
                p += e;
            } else {
                p++;
            }
            if (c == 0) {
                return SCEPKIT_ERR_DN_SYNTAX;
            }
            if (tag == SKIT_TAG_UTF8_STRING) {
                (void)utf8_feed(&u, c);
            } else if (tag == SKIT_TAG_PRINTABLE_STRING ? !skit_printable_char(c) : c >= 0x80) {
                return SCEPKIT_ERR_DN_SYNTAX;
            }
        }
        if (tag == SKIT_TAG_UTF8_STRING && (u.bad || u.need != 0)) {
            return SCEPKIT_ERR_DN_SYNTAX;
        }
        if (tag != SKIT_TAG_UTF8_STRING && tag != SKIT_TAG_PRINTABLE_STRING && tag != SKIT_TAG_IA5_STRING) {
            return SCEPKIT_ERR_DN_SYNTAX; /* T61/BMP/... values are given unescaped */
        }
        return SCEPKIT_OK;
    }
    scepkit_err err = SCEPKIT_ERR_DN_SYNTAX;
    switch (tag) {
    case SKIT_TAG_UTF8_STRING:
    case SKIT_TAG_PRINTABLE_STRING:
    case SKIT_TAG_IA5_STRING:
    case SKIT_TAG_BMP_STRING:
        err = skit_str_check(tag, v, NULL) == SCEPKIT_OK ? SCEPKIT_OK : SCEPKIT_ERR_DN_SYNTAX;
        break;
    case SKIT_TAG_T61_STRING:
    case 0x12:
    case 0x1a:
    case SKIT_TAG_UNIVERSAL_STRING:
        /* Given as raw contents (from scepkit_name_next); kept as they are, but never with NUL. */
        err = memchr(v.ptr, 0, v.len) == NULL && !a->escaped ? SCEPKIT_OK : SCEPKIT_ERR_DN_SYNTAX;
        break;
    default:
        break;
    }
    if (err == SCEPKIT_OK && skit_oid_find(a->oid) == SKIT_OID_AT_C) {
        /* ISO 3166 alpha-2: two letters (RFC 5280 Appendix A, X520countryName) */
        if (v.len != 2 || !((v.ptr[0] | 0x20) >= 'a' && (v.ptr[0] | 0x20) <= 'z') ||
            !((v.ptr[1] | 0x20) >= 'a' && (v.ptr[1] | 0x20) <= 'z')) {
            err = SCEPKIT_ERR_DN_SYNTAX;
        }
    }
    scepkit_wipe(small, sizeof small);
    return err;
}

static size_t put_header(uint8_t *h, uint8_t tag, size_t len)
{
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
        return n;
    }
    size_t bytes = 0;
    for (size_t t = len; t != 0; t >>= 8) {
        bytes++;
    }
    h[n++] = (uint8_t)(0x80u | bytes);
    for (size_t i = bytes; i > 0; i--) {
        h[n++] = (uint8_t)(len >> (8 * (i - 1)));
    }
    return n;
}

/* One AttributeTypeAndValue (RFC 5280 §4.1.2.4):
 *   AttributeTypeAndValue ::= SEQUENCE { type AttributeType, value AttributeValue }
 *   AttributeType ::= OBJECT IDENTIFIER
 *   AttributeValue ::= ANY -- DEFINED BY AttributeType (a DirectoryString for the usual ones) */
static void write_atv(skit_derw *w, const scepkit_name_attr *a)
{
    if (a->oid.ptr == NULL || skit_der_oid_check(a->oid) != SCEPKIT_OK || (a->value.ptr == NULL && a->value.len != 0)) {
        skit_derw_fail(w, SCEPKIT_ERR_ARG);
        return;
    }
    uint8_t tag = a->string_tag != 0 ? a->string_tag : default_tag(a->oid);
    skit_derw_open(w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(w, a->oid);
    if (!is_text_tag(tag)) {
        /* a non-string value as returned by scepkit_name_next(): one whole DER element */
        skit_tlv t;
        if (a->escaped || skit_der_parse_one(a->value, 0, tag, &t) != SCEPKIT_OK) {
            skit_derw_fail(w, SCEPKIT_ERR_ARG);
            return;
        }
        skit_derw_raw(w, a->value.ptr, a->value.len);
        skit_derw_close(w);
        return;
    }
    size_t n = unescape(a, NULL);
    if (n == SIZE_MAX || n == 0) {
        skit_derw_fail(w, SCEPKIT_ERR_DN_SYNTAX);
        return;
    }
    scepkit_err err = check_value(a, tag, n);
    if (err != SCEPKIT_OK) {
        skit_derw_fail(w, err);
        return;
    }
    uint8_t h[16];
    size_t hl = put_header(h, tag, n);
    skit_derw_raw(w, h, hl);
    uint8_t *dst = skit_derw_reserve(w, n);
    if (dst != NULL) {
        (void)unescape(a, dst);
    }
    skit_derw_close(w);
}

/*
 * RFC 5280 §4.1.2.4:
 *   Name ::= CHOICE { rdnSequence RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * The RDN is a SET OF: its members are sorted by encoding (X.690 §11.6), so `CN=a+UID=b` and
 * `UID=b+CN=a` give the same bytes.
 */
scepkit_err scepkit_name_write(const scepkit_name_attr *attrs, size_t count, uint8_t *out, size_t cap, size_t *len)
{
    if (len == NULL || (attrs == NULL && count != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (count != 0 && attrs[0].multi_valued) {
        return SCEPKIT_ERR_ARG;
    }
    skit_derw w;
    skit_derw_init(&w, out, out != NULL ? cap : 0);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    for (size_t i = 0; i < count; i++) {
        if (!attrs[i].multi_valued) {
            if (i != 0) {
                skit_derw_close(&w);
            }
            skit_derw_open_set(&w, SKIT_TAG_SET);
        }
        write_atv(&w, &attrs[i]);
    }
    if (count != 0) {
        skit_derw_close(&w);
    }
    skit_derw_close(&w);
    return skit_derw_finish(&w, len);
}

/* ---------------------------------------------------------------------------------------------- */
/* DER -> attributes */

scepkit_err scepkit_name_next(scepkit_bytes name, scepkit_name_iter *it, scepkit_name_attr *attr)
{
    scepkit_err err = SCEPKIT_ERR_ARG;
    if (it == NULL || attr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(attr, 0, sizeof *attr);
    if (!it->started) {
        skit_tlv t;
        err = skit_der_parse_one(name, 0, SKIT_TAG_SEQUENCE, &t);
        if (err != SCEPKIT_OK) {
            return err;
        }
        it->rest_rdns = t.value;
        it->rest_attrs.ptr = NULL;
        it->rest_attrs.len = 0;
        it->started = 1;
    }
    uint8_t multi = 1;
    if (it->rest_attrs.len == 0) {
        if (it->rest_rdns.len == 0) {
            return SCEPKIT_ERR_NOT_FOUND;
        }
        skit_der d;
        skit_tlv set;
        skit_der_init(&d, it->rest_rdns, 0);
        err = skit_der_expect(&d, SKIT_TAG_SET, &set);
        if (err != SCEPKIT_OK) {
            return err;
        }
        if (set.value.len == 0) {
            return SCEPKIT_ERR_DER_VALUE; /* RDN is SIZE (1..MAX) */
        }
        it->rest_rdns.ptr = d.p;
        it->rest_rdns.len = (size_t)(d.end - d.p);
        it->rest_attrs = set.value;
        multi = 0;
    }
    skit_der d;
    skit_der atv;
    skit_tlv oid;
    skit_tlv val;
    skit_der_init(&d, it->rest_attrs, 0);
    err = skit_der_enter(&d, SKIT_TAG_SEQUENCE, &atv);
    if (err == SCEPKIT_OK) {
        err = skit_der_expect(&atv, SKIT_TAG_OID, &oid);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_oid_check(oid.value);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_read(&atv, &val);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&atv);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    it->rest_attrs.ptr = d.p;
    it->rest_attrs.len = (size_t)(d.end - d.p);
    attr->oid = oid.value;
    attr->string_tag = val.tag;
    attr->value = is_text_tag(val.tag) ? val.value : val.raw;
    attr->multi_valued = multi;
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* DER -> text */

typedef struct sink {
    char *out;
    size_t cap;
    size_t pos;
} sink;

static void put(sink *s, char c)
{
    if (s->out != NULL && s->pos + 1 < s->cap) {
        s->out[s->pos] = c;
    }
    s->pos++;
}

static void put_str(sink *s, const char *str)
{
    while (*str != 0) {
        put(s, *str++);
    }
}

static void put_hex(sink *s, uint8_t b)
{
    static const char hex[] = "0123456789ABCDEF";
    put(s, hex[b >> 4]);
    put(s, hex[b & 15u]);
}

/* One character of a value with RFC 4514 §2.4 escaping; characters past ASCII are written as UTF-8. */
static void put_value_char(sink *s, uint32_t cp, bool first, bool last)
{
    if (cp < 0x80) {
        uint8_t c = (uint8_t)cp;
        if (c < 0x20 || c == 0x7f) {
            put(s, '\\');
            put_hex(s, c);
            return;
        }
        if (strchr(",+\"\\<>;", c) != NULL || (first && (c == '#' || c == ' ')) || (last && c == ' ')) {
            put(s, '\\');
        }
        put(s, (char)c);
        return;
    }
    /* as UTF-8 */
    if (cp < 0x800) {
        put(s, (char)(0xc0 | (cp >> 6)));
    } else {
        if (cp < 0x10000) {
            put(s, (char)(0xe0 | (cp >> 12)));
        } else {
            put(s, (char)(0xf0 | (cp >> 18)));
            put(s, (char)(0x80 | ((cp >> 12) & 0x3f)));
        }
        put(s, (char)(0x80 | ((cp >> 6) & 0x3f)));
    }
    put(s, (char)(0x80 | (cp & 0x3f)));
}

static void put_hex_value(sink *s, scepkit_bytes der)
{
    put(s, '#');
    for (size_t i = 0; i < der.len; i++) {
        put_hex(s, der.ptr[i]);
    }
}

/* BMPString / UniversalString as code points; false when not well-formed (then shown as #hex). */
static bool wide_ok(const scepkit_name_attr *a, size_t unit)
{
    if (a->value.len % unit != 0) {
        return false;
    }
    for (size_t i = 0; i < a->value.len; i += unit) {
        uint32_t cp = 0;
        for (size_t k = 0; k < unit; k++) {
            cp = (cp << 8) | a->value.ptr[i + k];
        }
        if (cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu)) {
            return false;
        }
    }
    return true;
}

static void put_value(sink *s, const scepkit_name_attr *a, scepkit_bytes raw)
{
    const scepkit_bytes v = a->value;
    if (!is_text_tag(a->string_tag)) {
        put_hex_value(s, raw);
        return;
    }
    if (a->string_tag == SKIT_TAG_BMP_STRING || a->string_tag == SKIT_TAG_UNIVERSAL_STRING) {
        size_t unit = a->string_tag == SKIT_TAG_BMP_STRING ? 2 : 4;
        if (!wide_ok(a, unit)) {
            put_hex_value(s, raw);
            return;
        }
        for (size_t i = 0; i < v.len; i += unit) {
            uint32_t cp = 0;
            for (size_t k = 0; k < unit; k++) {
                cp = (cp << 8) | v.ptr[i + k];
            }
            put_value_char(s, cp, i == 0, i + unit == v.len);
        }
        return;
    }
    bool utf8 = a->string_tag == SKIT_TAG_UTF8_STRING && skit_utf8_valid(v);
    if (utf8) {
        utf8_state u = {0, 0, 0, false};
        bool first = true;
        for (size_t i = 0; i < v.len; i++) {
            if (utf8_feed(&u, v.ptr[i])) {
                put_value_char(s, u.cp, first, i + 1 == v.len);
                first = false;
            }
        }
        return;
    }
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c >= 0x80) {
            put(s, '\\');
            put_hex(s, c);
        } else {
            put_value_char(s, c, i == 0, i + 1 == v.len);
        }
    }
}

scepkit_err scepkit_name_format(scepkit_bytes name, char *out, size_t cap, size_t *len)
{
    if (len == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (out == NULL) {
        cap = 0;
    }
    if (cap != 0) {
        out[0] = 0;
    }
    sink s = {out, cap, 0};
    scepkit_name_iter it = {{NULL, 0}, {NULL, 0}, 0};
    scepkit_name_attr a;
    scepkit_err err;
    bool first = true;
    while ((err = scepkit_name_next(name, &it, &a)) == SCEPKIT_OK) {
        if (!first) {
            put_str(&s, a.multi_valued ? "+" : ", ");
        }
        first = false;
        const char *key = key_of_oid(a.oid);
        if (key != NULL) {
            put_str(&s, key);
        } else {
            /* dotted text straight into the output: OIDs have no length limit */
            size_t room = s.out != NULL && s.pos < s.cap ? s.cap - s.pos : 0;
            size_t dl = 0;
            err = skit_oid_to_dotted(a.oid, room != 0 ? s.out + s.pos : NULL, room, &dl);
            if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
                if (cap != 0) {
                    out[0] = 0;
                }
                return err;
            }
            s.pos += dl;
        }
        put(&s, '=');
        /* non-string values: the whole element, which name_next already returned as the value */
        put_value(&s, &a, a.value);
    }
    if (err != SCEPKIT_ERR_NOT_FOUND) {
        if (cap != 0) {
            out[0] = 0;
        }
        return err;
    }
    *len = s.pos;
    if (s.pos + 1 > cap) {
        if (cap != 0) {
            out[0] = 0; /* never leave a truncated name that could be mistaken for the real one */
        }
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    out[s.pos] = 0;
    return SCEPKIT_OK;
}
