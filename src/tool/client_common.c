/* Shared parts of the SCEP client subcommands: options, trust pins, transport, the run loop, exit codes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client_tool.h"

static const struct {
    const char *name;
    scepkit_cipher c;
} cipher_names[] = {
    {"aes", SCEPKIT_CIPHER_AES128_CBC},    {"aes128", SCEPKIT_CIPHER_AES128_CBC}, {"aes192", SCEPKIT_CIPHER_AES192_CBC},
    {"aes256", SCEPKIT_CIPHER_AES256_CBC}, {"des3", SCEPKIT_CIPHER_DES_EDE3_CBC}, {"3des", SCEPKIT_CIPHER_DES_EDE3_CBC},
    {"des", SCEPKIT_CIPHER_DES_CBC},
};

static const struct {
    const char *name;
    scepkit_md m;
} md_names[] = {
    {"md5", SCEPKIT_MD_MD5},       {"sha1", SCEPKIT_MD_SHA1},      {"sha-1", SCEPKIT_MD_SHA1},
    {"sha256", SCEPKIT_MD_SHA256}, {"sha-256", SCEPKIT_MD_SHA256}, {"sha384", SCEPKIT_MD_SHA384},
    {"sha512", SCEPKIT_MD_SHA512}, {"sha-512", SCEPKIT_MD_SHA512},
};

scepkit_cipher client_cipher_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof cipher_names / sizeof cipher_names[0]; i++) {
        if (strcasecmp(s, cipher_names[i].name) == 0) {
            return cipher_names[i].c;
        }
    }
    return SCEPKIT_CIPHER_NONE;
}

scepkit_md client_md_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof md_names / sizeof md_names[0]; i++) {
        if (strcasecmp(s, md_names[i].name) == 0) {
            return md_names[i].m;
        }
    }
    return SCEPKIT_MD_NONE;
}

const char *client_cipher_name(scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
        return "DES-CBC (legacy)";
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        return "DES-EDE3-CBC";
    case SCEPKIT_CIPHER_AES128_CBC:
        return "AES-128-CBC";
    case SCEPKIT_CIPHER_AES192_CBC:
        return "AES-192-CBC";
    case SCEPKIT_CIPHER_AES256_CBC:
        return "AES-256-CBC";
    default:
        return "none";
    }
}

const char *client_md_name(scepkit_md m)
{
    switch (m) {
    case SCEPKIT_MD_MD5:
        return "MD5 (legacy)";
    case SCEPKIT_MD_SHA1:
        return "SHA-1";
    case SCEPKIT_MD_SHA256:
        return "SHA-256";
    case SCEPKIT_MD_SHA384:
        return "SHA-384";
    case SCEPKIT_MD_SHA512:
        return "SHA-512";
    default:
        return "none";
    }
}

void client_opts_init(client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_s = 30;
}

static int parse_fingerprint(const char *hex, uint8_t out[32])
{
    size_t n = 0;
    for (const char *p = hex; *p; p++) {
        if (*p == ':' || *p == ' ') {
            continue;
        }
        int v;
        if (*p >= '0' && *p <= '9') {
            v = *p - '0';
        } else if (*p >= 'a' && *p <= 'f') {
            v = *p - 'a' + 10;
        } else if (*p >= 'A' && *p <= 'F') {
            v = *p - 'A' + 10;
        } else {
            return 0;
        }
        if (n >= 64) {
            return 0;
        }
        if (n % 2 == 0) {
            out[n / 2] = (uint8_t)(v << 4);
        } else {
            out[n / 2] |= (uint8_t)v;
        }
        n++;
    }
    return n == 64;
}

int client_opts_handle(client_opts *o, int ch, const char *arg)
{
    switch (ch) {
    case 'u':
        o->url = arg;
        return 1;
    case 'i':
        o->ca_ident = arg;
        return 1;
    case 'p':
        o->proxy = arg;
        return 1;
    case 1001:
        o->tls_ca = arg;
        return 1;
    case 1002:
        o->insecure_tls = 1;
        return 1;
    case 1003: {
        char *end = NULL;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end != 0 || v <= 0 || v > 3600) {
            fprintf(stderr, "scepkit: --timeout wants 1..3600 seconds\n");
            return -1;
        }
        o->timeout_s = v;
        return 1;
    }
    case 1004: {
        char *end = NULL;
        unsigned long v = strtoul(arg, &end, 10);
        if (end == arg || *end != 0 || v < 1024 || v > (64ul << 20)) {
            fprintf(stderr, "scepkit: --max-message wants 1024..67108864 bytes\n");
            return -1;
        }
        o->max_message = v;
        return 1;
    }
    case 1005:
        o->legacy = 1;
        return 1;
    case 1006:
        o->force_get = 1;
        return 1;
    case 'E':
    case 1007: {
        scepkit_cipher c = client_cipher_from_name(arg);
        if (c == SCEPKIT_CIPHER_NONE) {
            fprintf(stderr, "scepkit: unknown cipher '%s' (aes, aes128, aes192, aes256, des3)\n", arg);
            return -1;
        }
        if (ch == 'E') {
            o->cipher = c;
        } else {
            o->min_cipher = c;
        }
        return 1;
    }
    case 'S':
    case 1008: {
        scepkit_md m = client_md_from_name(arg);
        if (m == SCEPKIT_MD_NONE) {
            fprintf(stderr, "scepkit: unknown digest '%s' (sha1, sha256, sha384, sha512)\n", arg);
            return -1;
        }
        if (ch == 'S') {
            o->md = m;
        } else {
            o->min_md = m;
        }
        return 1;
    }
    case 'c':
        o->ca_file = arg;
        return 1;
    case 'F':
        if (o->pin_count == sizeof o->pins / sizeof o->pins[0] || !parse_fingerprint(arg, o->pins[o->pin_count])) {
            fprintf(stderr, "scepkit: --fingerprint wants 64 hex digits (SHA-256), at most 16 of them\n");
            return -1;
        }
        o->pin_count++;
        return 1;
    case 1009:
        o->tofu = 1;
        return 1;
    case 1010:
        o->der = 1;
        return 1;
    case 'v':
        tool_verbose = 1;
        return 1;
    default:
        return 0;
    }
}

/* Every certificate of a PEM bundle (or one DER certificate) becomes a pin. */
static int pins_from_file(client_opts *o, const char *path)
{
    size_t n = 0;
    uint8_t *text = tool_read_file(path, &n);
    if (text == NULL) {
        return -1;
    }
    int rc = 0;
    scepkit_bytes in = {text, n};
    if (!scepkit_is_pem(in)) {
        size_t fl = 0;
        if (o->pin_count == 16 || scepkit_digest(SCEPKIT_MD_SHA256, in, o->pins[o->pin_count], 32, &fl) != SCEPKIT_OK) {
            rc = -1;
        } else {
            o->pin_count++;
        }
    } else {
        uint8_t *der = malloc(n + 1);
        size_t off = 0;
        rc = der == NULL ? -1 : 0;
        while (rc == 0 && off < n) {
            size_t len = 0, used = 0;
            scepkit_err e =
                scepkit_pem_decode((scepkit_bytes){text + off, n - off}, "CERTIFICATE", der, n, &len, NULL, &used);
            if (e == SCEPKIT_ERR_NOT_FOUND) {
                break;
            }
            size_t fl = 0;
            if (e != SCEPKIT_OK || o->pin_count == 16 ||
                scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){der, len}, o->pins[o->pin_count], 32, &fl) !=
                    SCEPKIT_OK) {
                rc = -1;
                break;
            }
            o->pin_count++;
            off += used;
        }
        free(der);
    }
    free(text);
    if (rc != 0 || o->pin_count == 0) {
        fprintf(stderr, "scepkit: %s: no readable certificate to pin\n", path);
        return -1;
    }
    return 0;
}

int client_opts_finish(client_opts *o, int need_trust)
{
    if (o->url == NULL) {
        fprintf(stderr, "scepkit: --url is required\n");
        return -1;
    }
    if (o->ca_file != NULL && pins_from_file(o, o->ca_file) != 0) {
        return -1;
    }
    if (need_trust && o->pin_count == 0 && !o->tofu) {
        fprintf(stderr, "scepkit: say which CA to trust: --ca FILE (from `scepkit getca`), --fingerprint SHA256, or "
                        "--insecure-no-pin\n");
        return -1;
    }
    return 0;
}

void client_config_from_opts(const client_opts *o, scepkit_client_config *cfg)
{
    cfg->ca_ident = o->ca_ident;
    cfg->pins = o->pin_count ? (const uint8_t(*)[32])o->pins : NULL;
    cfg->pin_count = o->pin_count;
    cfg->allow_unpinned = o->tofu;
    cfg->policy.cipher = o->cipher;
    cfg->policy.md = o->md;
    cfg->policy.min_cipher = o->min_cipher;
    cfg->policy.min_md = o->min_md;
    cfg->policy.force_get = o->force_get;
    cfg->allow_legacy = o->legacy;
    cfg->max_message = o->max_message;
    cfg->now = (int64_t)time(NULL);
}

static void trace_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "scepkit: %s\n", line);
}

int client_transport_open(const client_opts *o, scepkit_curl_transport *t)
{
    scepkit_curl_options co;
    memset(&co, 0, sizeof co);
    co.url = o->url;
    co.timeout_ms = o->timeout_s * 1000;
    co.proxy = o->proxy;
    co.ca_bundle = o->tls_ca;
    co.insecure_tls = o->insecure_tls;
    if (tool_verbose) {
        co.trace = trace_line;
    }
    scepkit_err e = scepkit_curl_transport_init(t, &co);
    if (e != SCEPKIT_OK) {
        tool_err("cannot set up the HTTP transport", e);
        return -1;
    }
    return 0;
}

int client_exit_for(const char *what, scepkit_err e)
{
    tool_err(what, e);
    switch (e) {
    case SCEPKIT_ERR_TRANSPORT:
    case SCEPKIT_ERR_TRANSPORT_TIMEOUT:
    case SCEPKIT_ERR_TRANSPORT_TLS:
    case SCEPKIT_ERR_RESPONSE_TOO_LARGE:
    case SCEPKIT_ERR_HTTP_STATUS:
        return TOOL_EXIT_TRANSPORT;
    case SCEPKIT_ERR_LEGACY_DISABLED:
        fprintf(stderr, "scepkit: the server answered with single DES or MD5; --legacy accepts that\n");
        return TOOL_EXIT_TRUST;
    case SCEPKIT_ERR_CAPS_CIPHER:
    case SCEPKIT_ERR_CAPS_DIGEST:
        fprintf(stderr,
                "scepkit: the server offers nothing at or above the minimum (--min-cipher/--min-md lower it)\n");
        return TOOL_EXIT_TRUST;
    case SCEPKIT_ERR_CA_PIN_MISMATCH:
    case SCEPKIT_ERR_CA_UNPINNED:
    case SCEPKIT_ERR_CA_EXPIRED:
        return TOOL_EXIT_TRUST;
    case SCEPKIT_ERR_IO:
        return TOOL_EXIT_IO;
    case SCEPKIT_ERR_ARG:
    case SCEPKIT_ERR_DISABLED:
    case SCEPKIT_ERR_INTERNAL:
    case SCEPKIT_ERR_ARENA_EXHAUSTED:
    case SCEPKIT_ERR_BUFFER_TOO_SMALL:
    case SCEPKIT_ERR_REQUEST_TOO_LARGE:
    case SCEPKIT_ERR_BACKEND:
    case SCEPKIT_ERR_RNG:
    case SCEPKIT_ERR_KEY_TYPE:
    case SCEPKIT_ERR_KEY_PARSE:
    case SCEPKIT_ERR_KEY_OP_MISSING:
    case SCEPKIT_ERR_KEY_WOULD_BLOCK:
    case SCEPKIT_ERR_STATE_FOREIGN:
    case SCEPKIT_ERR_STATE_VERSION:
    case SCEPKIT_ERR_STATE_CORRUPT:
    case SCEPKIT_ERR_CLIENT_STATE:
        return TOOL_EXIT_LOCAL;
    default:
        /* DER, CMS, X.509, SCEP, CA-chain, signature, nonce, transactionID, content-type errors: the answer. */
        return TOOL_EXIT_PROTOCOL;
    }
}

static int save_state(scepkit_client *c, const char *path)
{
    size_t need = 0;
    (void)scepkit_client_save(c, NULL, 0, &need);
    uint8_t *blob = malloc(need ? need : 1);
    size_t len = 0;
    scepkit_err e = blob != NULL ? scepkit_client_save(c, blob, need, &len) : SCEPKIT_ERR_IO;
    int rc = -1;
    if (e == SCEPKIT_OK) {
        /* write to a temporary name, then rename: a power cut leaves the old state or the new one */
        size_t pl = strlen(path);
        char *tmp = malloc(pl + 8);
        if (tmp != NULL) {
            memcpy(tmp, path, pl);
            memcpy(tmp + pl, ".tmp", 5);
            if (tool_write_file(tmp, blob, len, 1) == 0 && rename(tmp, path) == 0) {
                rc = 0;
            }
            free(tmp);
        }
    } else {
        tool_err("cannot save the state", e);
    }
    free(blob);
    if (rc != 0) {
        fprintf(stderr, "scepkit: cannot write state file %s\n", path);
    } else if (tool_verbose) {
        fprintf(stderr, "scepkit: state saved to %s (%zu bytes)\n", path, len);
    }
    return rc;
}

uint8_t *client_read_state(const char *path, size_t *len)
{
    return tool_read_file(path, len);
}

int client_run(scepkit_client *c, scepkit_transport tr, unsigned poll_interval, const char *state_file)
{
    scepkit_client_status st;
    scepkit_err e = scepkit_client_run(c, tr, &st);
    while (e == SCEPKIT_OK && st == SCEPKIT_CLIENT_PENDING) {
        const scepkit_client_result *r = scepkit_client_result_get(c);
        fprintf(stderr, "scepkit: PENDING (transactionID %s, %u polls so far)\n", scepkit_client_transaction_id(c),
                r->polls);
        if (state_file != NULL && save_state(c, state_file) != 0) {
            return TOOL_EXIT_IO;
        }
        if (poll_interval != 0) {
            if (tool_verbose) {
                fprintf(stderr, "scepkit: next poll in %u s\n", poll_interval);
            }
            sleep(poll_interval);
        }
        e = scepkit_client_run(c, tr, &st);
    }
    if (e != SCEPKIT_OK) {
        if (state_file != NULL && scepkit_client_transaction_id(c)[0] != 0) {
            (void)save_state(c, state_file); /* keep the transaction for `scepkit poll` */
        }
        return client_exit_for("SCEP exchange failed", e);
    }
    const scepkit_client_result *r = scepkit_client_result_get(c);
    switch (r->pki_status) {
    case SCEPKIT_STATUS_SUCCESS:
        if (state_file != NULL) {
            (void)unlink(state_file);
        }
        return TOOL_EXIT_OK;
    case SCEPKIT_STATUS_PENDING:
        fprintf(stderr, "scepkit: still PENDING after %u polls (transactionID %s)\n", r->polls,
                scepkit_client_transaction_id(c));
        if (state_file != NULL) {
            if (save_state(c, state_file) != 0) {
                return TOOL_EXIT_IO;
            }
            fprintf(stderr, "scepkit: state saved in %s: resume with `scepkit poll --state %s -k KEY ...`\n",
                    state_file, state_file);
        }
        return TOOL_EXIT_PENDING;
    case SCEPKIT_STATUS_FAILURE:
    default:
        fprintf(stderr, "scepkit: FAILURE: failInfo %d (%s)%s%s\n", (int)r->fail_info,
                scepkit_fail_info_name(r->fail_info), r->fail_text[0] ? ": " : "", r->fail_text);
        if (state_file != NULL) {
            (void)unlink(state_file);
        }
        return TOOL_EXIT_FAILURE_BASE + ((int)r->fail_info >= 0 && (int)r->fail_info <= 4 ? (int)r->fail_info : 5);
    }
}

int client_load_key(const char *path, const char *pass, scepkit_softkey *sk, scepkit_rng rng)
{
    size_t n = 0;
    uint8_t *buf = tool_read_file(path, &n);
    if (buf == NULL) {
        return -1;
    }
    scepkit_softkey_init(sk, rng);
    scepkit_err e = scepkit_softkey_parse(sk, (scepkit_bytes){buf, n}, scepkit_bytes_str(pass ? pass : ""));
    scepkit_wipe(buf, n);
    free(buf);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "scepkit: %s: ", path);
        tool_err("cannot load the key", e);
        return -1;
    }
    return 0;
}

int client_generate_key(const char *spec, const char *out_path, scepkit_softkey *sk, scepkit_rng rng)
{
    scepkit_key_type type = SCEPKIT_KEY_RSA;
    size_t bits = 2048;
    if (strncasecmp(spec, "rsa", 3) == 0) {
        if (spec[3] == ':') {
            char *end = NULL;
            bits = strtoul(spec + 4, &end, 10);
            if (end == spec + 4 || *end != 0) {
                fprintf(stderr, "scepkit: bad key spec '%s'\n", spec);
                return -1;
            }
        } else if (spec[3] != 0) {
            fprintf(stderr, "scepkit: bad key spec '%s'\n", spec);
            return -1;
        }
    } else if (strcasecmp(spec, "ec:p256") == 0 || strcasecmp(spec, "ec") == 0) {
        /* EC: the server must answer with a password recipient keyed by --challenge (RFC 8894 §3.1) */
        type = SCEPKIT_KEY_EC_P256;
        bits = 256;
    } else if (strcasecmp(spec, "ec:p384") == 0) {
        type = SCEPKIT_KEY_EC_P384;
        bits = 384;
    } else {
        fprintf(stderr, "scepkit: bad key spec '%s': rsa[:BITS], ec:p256 or ec:p384\n", spec);
        return -1;
    }
    if (out_path == NULL) {
        fprintf(stderr, "scepkit: a generated key needs --key-out FILE\n");
        return -1;
    }
    scepkit_softkey_init(sk, rng);
    if (tool_verbose) {
        fprintf(stderr, "scepkit: generating an %s-%zu key\n", type == SCEPKIT_KEY_RSA ? "RSA" : "EC", bits);
    }
    scepkit_err e = scepkit_softkey_generate(sk, type, bits);
    if (e != SCEPKIT_OK) {
        tool_err("key generation failed", e);
        return -1;
    }
    size_t need = 0;
    (void)scepkit_softkey_write_pem(sk, NULL, 0, &need);
    uint8_t *pem = malloc(need + 1);
    size_t len = 0;
    e = pem != NULL ? scepkit_softkey_write_pem(sk, pem, need + 1, &len) : SCEPKIT_ERR_IO;
    int rc = (e == SCEPKIT_OK && tool_write_file(out_path, pem, len, 1) == 0) ? 0 : -1;
    if (pem != NULL) {
        scepkit_wipe(pem, need + 1);
        free(pem);
    }
    if (rc != 0) {
        fprintf(stderr, "scepkit: cannot write the key to %s\n", out_path);
    }
    return rc;
}

void client_print_cert(FILE *f, const char *role, scepkit_bytes der)
{
    scepkit_x509 x;
    char subject[512] = "?";
    size_t n = 0;
    if (scepkit_x509_parse(der, &x) == SCEPKIT_OK) {
        (void)scepkit_name_format(x.subject, subject, sizeof subject, &n);
    }
    fprintf(f, "%s: %s\n", role, subject);
    static const struct {
        scepkit_md md;
        const char *name;
        size_t len;
    } fps[] = {{SCEPKIT_MD_SHA256, "SHA-256", 32}, {SCEPKIT_MD_SHA1, "SHA-1", 20}, {SCEPKIT_MD_MD5, "MD5", 16}};
    for (size_t i = 0; i < sizeof fps / sizeof fps[0]; i++) {
        uint8_t fp[32];
        size_t fl = 0;
        if (scepkit_digest(fps[i].md, der, fp, sizeof fp, &fl) == SCEPKIT_OK) {
            fprintf(f, "  %-8s ", fps[i].name);
            tool_hex(f, fp, fl, ":");
            fprintf(f, "\n");
        }
    }
}

int client_write_certs(const char *path, const scepkit_bytes *certs, size_t n, int der)
{
    if (n == 0) {
        return -1;
    }
    if (der) {
        return tool_write_der_or_pem(path, certs[0].ptr, certs[0].len, "CERTIFICATE", 0);
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = 0;
        (void)scepkit_pem_encode(certs[i], "CERTIFICATE", NULL, 0, &need);
        total += need + 1;
    }
    char *text = malloc(total + 1);
    if (text == NULL) {
        return -1;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        if (scepkit_pem_encode(certs[i], "CERTIFICATE", text + off, total + 1 - off, &got) != SCEPKIT_OK) {
            free(text);
            return -1;
        }
        off += got;
    }
    int rc = tool_write_file(path, (const uint8_t *)text, off, 0);
    free(text);
    return rc;
}
