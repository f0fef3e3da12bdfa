/* scepkit-server: the configuration file.
 *
 * Format (docs/server-tool.md): UTF-8 text, one `key = value` per line; blank lines and lines starting
 * with '#' are ignored; whitespace around key and value is trimmed; a value may be wrapped in double
 * quotes (kept verbatim inside, no escapes). Unknown keys, repeated keys and bad values are errors
 * (fail closed: a typo must not silently leave a default in force). Relative paths are resolved from
 * the directory of the file. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srv_tool.h"

typedef enum { K_STR, K_UINT, K_BOOL, K_LONG } kind;

typedef struct key_def {
    const char *name;
    kind k;
    size_t off;
    size_t size; /* K_STR: buffer size */
} key_def;

#define S(f) K_STR, offsetof(srv_conf, f), sizeof(((srv_conf *)0)->f)
#define U(f) K_UINT, offsetof(srv_conf, f), 0
#define B(f) K_BOOL, offsetof(srv_conf, f), 0
#define L(f) K_LONG, offsetof(srv_conf, f), 0

static const key_def keys[] = {
    {"listen", S(listen)},
    {"port", U(port)},
    {"threads", U(threads)},
    {"tls_cert", S(tls_cert)},
    {"tls_key", S(tls_key)},
    {"shutdown_grace", U(shutdown_grace)},
    {"connection_timeout", U(connection_timeout)},
    {"ca_cert", S(ca_cert)},
    {"ca_key", S(ca_key)},
    {"ra_sign_cert", S(ra_sign_cert)},
    {"ra_sign_key", S(ra_sign_key)},
    {"ra_enc_cert", S(ra_enc_cert)},
    {"ra_enc_key", S(ra_enc_key)},
    {"key_pool", U(key_pool)},
    {"next_ca_certs", S(next_ca_certs)},
    {"store", S(store)},
    {"challenge", S(challenge)},
    {"otp", B(otp)},
    {"otp_lifetime", U(otp_lifetime)},
    {"otp_max_outstanding", U(otp_max_outstanding)},
    {"token_key", S(token_key)},
    {"token_kid", U(token_kid)},
    {"token_single_use", B(token_single_use)},
    {"caps", S(caps)},
    {"allow_legacy", B(allow_legacy)},
    {"manual_approval", B(manual_approval)},
    {"renewal_skips_challenge", B(renewal_skips_challenge)},
    {"include_ca_cert_in_certrep", B(include_ca_cert_in_certrep)},
    {"reply_signature", S(reply_signature)},
    {"max_clock_skew", L(max_clock_skew)},
    {"max_message_size", U(max_message_size)},
    {"validity_days", U(validity_days)},
    {"eku", S(eku)},
    {"non_repudiation", B(non_repudiation)},
    {"crl_dp_uri", S(crl_dp_uri)},
    {"aia_ca_issuers_uri", S(aia_ca_issuers_uri)},
    {"crl_validity_days", U(crl_validity_days)},
    {"log_format", S(log_format)},
    {"log_file", S(log_file)},
};

#define NKEYS (sizeof keys / sizeof keys[0])

void srv_conf_defaults(srv_conf *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1");
    c->port = 8080;
    c->shutdown_grace = 30;
    c->connection_timeout = 30;
    snprintf(c->store, sizeof c->store, "store");
    c->otp = 1;
    c->otp_lifetime = 3600;
    c->otp_max_outstanding = 100;
    c->token_kid = 1;
    c->token_single_use = 1;
    /* SHA-384 is listed for strongSwan 5.9, which tests caps by the wrong bit and uses AES only then. */
    snprintf(c->caps, sizeof c->caps, "AES DES3 POSTPKIOperation Renewal SHA-1 SHA-256 SHA-384 SHA-512 SCEPStandard");
    c->renewal_skips_challenge = 1;
    snprintf(c->reply_signature, sizeof c->reply_signature, "plain");
    c->max_clock_skew = 3600;
    c->max_message_size = 65536;
    c->validity_days = 365;
    snprintf(c->eku, sizeof c->eku, "clientAuth");
    c->crl_validity_days = 7;
    snprintf(c->log_format, sizeof c->log_format, "text");
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = 0;
    }
    return s;
}

static int parse_bool(const char *v, int *out)
{
    if (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != 0 || x < lo || x > hi) {
        return -1;
    }
    *out = x;
    return 0;
}

static int set_value(srv_conf *c, const key_def *k, const char *v)
{
    char *base = (char *)c;
    long x = 0;
    switch (k->k) {
    case K_STR:
        if (strlen(v) >= k->size) {
            return -1;
        }
        memcpy(base + k->off, v, strlen(v) + 1);
        return 0;
    case K_UINT:
        if (parse_long(v, 0, INT_MAX, &x) != 0) {
            return -1;
        }
        *(unsigned *)(void *)(base + k->off) = (unsigned)x;
        return 0;
    case K_LONG:
        if (parse_long(v, -1, LONG_MAX / 2, &x) != 0) {
            return -1;
        }
        *(long *)(void *)(base + k->off) = x;
        return 0;
    case K_BOOL:
        return parse_bool(v, (int *)(void *)(base + k->off));
    }
    return -1;
}

int srv_conf_load(srv_conf *c, const char *path)
{
    srv_conf_defaults(c);
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->dir, sizeof c->dir, "%s", path);
    char *slash = strrchr(c->dir, '/');
    if (slash == NULL) {
        snprintf(c->dir, sizeof c->dir, ".");
    } else if (slash == c->dir) {
        c->dir[1] = 0;
    } else {
        *slash = 0;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "scepkit-server: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[2048];
    unsigned lineno = 0;
    unsigned char seen[NKEYS];
    memset(seen, 0, sizeof seen);
    int rc = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(stderr, "%s:%u: line too long\n", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == 0 || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            fprintf(stderr, "%s:%u: expected `key = value`\n", path, lineno);
            rc = -1;
            continue;
        }
        *eq = 0;
        char *key = trim(s);
        char *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = 0;
            val++;
        }
        size_t i = 0;
        while (i < NKEYS && strcmp(keys[i].name, key) != 0) {
            i++;
        }
        if (i == NKEYS) {
            fprintf(stderr, "%s:%u: unknown key '%s'\n", path, lineno, key);
            rc = -1;
            continue;
        }
        if (seen[i]) {
            fprintf(stderr, "%s:%u: '%s' given twice\n", path, lineno, key);
            rc = -1;
            continue;
        }
        seen[i] = 1;
        if (set_value(c, &keys[i], val) != 0) {
            fprintf(stderr, "%s:%u: bad value for '%s'\n", path, lineno, key);
            rc = -1;
        }
    }
    fclose(f);
    if (rc == 0) {
        if (strcmp(c->log_format, "text") != 0 && strcmp(c->log_format, "json") != 0) {
            fprintf(stderr, "%s: log_format must be text or json\n", path);
            rc = -1;
        }
        if (strcmp(c->reply_signature, "plain") != 0 && strcmp(c->reply_signature, "mirror") != 0 &&
            strcmp(c->reply_signature, "named") != 0) {
            fprintf(stderr, "%s: reply_signature must be plain, mirror or named\n", path);
            rc = -1;
        }
        if (c->port > 65535) {
            fprintf(stderr, "%s: port out of range\n", path);
            rc = -1;
        }
        if ((c->tls_cert[0] != 0) != (c->tls_key[0] != 0)) {
            fprintf(stderr, "%s: tls_cert and tls_key go together\n", path);
            rc = -1;
        }
        int ra =
            (c->ra_sign_cert[0] != 0) + (c->ra_sign_key[0] != 0) + (c->ra_enc_cert[0] != 0) + (c->ra_enc_key[0] != 0);
        if (ra != 0 && ra != 4) {
            fprintf(stderr, "%s: RA mode needs all of ra_sign_cert, ra_sign_key, ra_enc_cert, ra_enc_key\n", path);
            rc = -1;
        }
        if (c->ca_cert[0] == 0 || c->ca_key[0] == 0) {
            fprintf(stderr, "%s: ca_cert and ca_key are required\n", path);
            rc = -1;
        }
        if (c->validity_days == 0 || c->validity_days > 36500 || c->crl_validity_days == 0) {
            fprintf(stderr, "%s: validity_days / crl_validity_days out of range\n", path);
            rc = -1;
        }
    }
    return rc;
}

int srv_conf_write(const srv_conf *c, const char *path)
{
    char text[8192];
    int n = snprintf(
        text, sizeof text,
        "# scepkit-server configuration (docs/server-tool.md). `key = value`; relative paths are read from this\n"
        "# file's directory. Unknown keys are errors. Restart the server after a change.\n"
        "\n"
        "# --- network\n"
        "listen = %s\n"
        "port = %u\n"
        "# worker threads (0: twice the CPUs, at least 4)\n"
        "threads = %u\n"
        "# HTTPS: PEM certificate (chain) and key; empty: plain HTTP (put a reverse proxy in front for TLS)\n"
        "tls_cert = %s\n"
        "tls_key = %s\n"
        "# seconds to let in-flight requests finish after SIGTERM; idle connections time out after\n"
        "shutdown_grace = %u\n"
        "connection_timeout = %u\n"
        "\n"
        "# --- identity (CA mode: the CA key decrypts and signs; RA mode: set all four ra_* keys)\n"
        "ca_cert = %s\n"
        "ca_key = %s\n"
        "ra_sign_cert = %s\n"
        "ra_sign_key = %s\n"
        "ra_enc_cert = %s\n"
        "ra_enc_key = %s\n"
        "# copies of each private key used in parallel (0: one per CPU)\n"
        "key_pool = %u\n"
        "# CA rollover: the next CA certificate (and next RA certificates), space-separated; served by GetNextCACert\n"
        "next_ca_certs = %s\n"
        "\n"
        "# --- the store: issued index, transactions, serials, one-time passwords (keep it on local disk)\n"
        "store = %s\n"
        "\n"
        "# --- challenge passwords: any of the enabled kinds is accepted\n"
        "# a static shared secret (empty: none)\n"
        "challenge = %s\n"
        "# one-time passwords made by `scepkit-server otp`\n"
        "otp = %d\n"
        "otp_lifetime = %u\n"
        "otp_max_outstanding = %u\n"
        "# dynamic challenges bound to a subject (`scepkit-server challenge`): HMAC key in hex, empty: none\n"
        "token_key = %s\n"
        "token_kid = %u\n"
        "# a token enrolls one key (its retries pass); 0: any number of keys until it expires\n"
        "token_single_use = %d\n"
        "\n"
        "# --- behaviour\n"
        "caps = %s\n"
        "# accept single-DES / MD5 requests (micromdm's scepclient); answered with DES-EDE3 / SHA-1\n"
        "allow_legacy = %d\n"
        "# accepted requests wait for `scepkit-server approve`\n"
        "manual_approval = %d\n"
        "# a renewal signed by a valid certificate of this CA for the same subject needs no challenge\n"
        "renewal_skips_challenge = %d\n"
        "# add the CA certificate to CertRep (Cisco wants it, Juniper refuses it)\n"
        "include_ca_cert_in_certrep = %d\n"
        "# CertRep signerInfo algorithm: plain (rsaEncryption, strongSwan needs it), mirror, named\n"
        "reply_signature = %s\n"
        "# seconds of signingTime skew allowed (-1: no check)\n"
        "max_clock_skew = %ld\n"
        "max_message_size = %u\n"
        "\n"
        "# --- issued certificates\n"
        "validity_days = %u\n"
        "# extendedKeyUsage: comma-separated names or dotted OIDs (clientAuth, serverAuth, ...); \"none\" for none\n"
        "eku = %s\n"
        "non_repudiation = %d\n"
        "crl_dp_uri = %s\n"
        "aia_ca_issuers_uri = %s\n"
        "crl_validity_days = %u\n"
        "\n"
        "# --- logs: one line per request on stderr (or log_file); text (key=value) or json\n"
        "log_format = %s\n"
        "log_file = %s\n",
        c->listen, c->port, c->threads, c->tls_cert, c->tls_key, c->shutdown_grace, c->connection_timeout, c->ca_cert,
        c->ca_key, c->ra_sign_cert, c->ra_sign_key, c->ra_enc_cert, c->ra_enc_key, c->key_pool, c->next_ca_certs,
        c->store, c->challenge, c->otp, c->otp_lifetime, c->otp_max_outstanding, c->token_key, c->token_kid,
        c->token_single_use, c->caps, c->allow_legacy, c->manual_approval, c->renewal_skips_challenge,
        c->include_ca_cert_in_certrep, c->reply_signature, c->max_clock_skew, c->max_message_size, c->validity_days,
        c->eku, c->non_repudiation, c->crl_dp_uri, c->aia_ca_issuers_uri, c->crl_validity_days, c->log_format,
        c->log_file);
    if (n < 0 || (size_t)n >= sizeof text) {
        return -1;
    }
    /* 0600: the file holds the static challenge and the token key. */
    return srv_write_file(path, (const uint8_t *)text, (size_t)n, 1, 1);
}
