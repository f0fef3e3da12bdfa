/* scepkit-server run: the library's SCEP handler on libmicrohttpd.
 *
 * HTTP (RFC 8894 §4.1): GET /PATH?operation=OP[&message=M] and POST /PATH?operation=PKIOperation with the
 * DER pkiMessage as body. PATH is /scep, /cgi-bin/pkiclient.exe (the traditional SCEP path) or
 * /certsrv/mscep/mscep.dll (NDES, matched without regard to case as IIS does), so clients configured
 * for any of them work unchanged. A GET of PATH without `operation` answers 403 (the NDES health check
 * Microsoft documents); /healthz answers 200 "ok" (503 while shutting down, so load balancers drain us).
 *
 * Query strings: the `message` value is handed to the handler as received (still %-escaped: the
 * handler's decoder is tolerant, as NDES's), so libmicrohttpd's unescaping is switched off. Queries up
 * to 65534 bytes are served (NDES's MaxFieldLength / MaxRequestBytes); longer ones get 414.
 *
 * Threads: libmicrohttpd's thread pool; each request borrows a work buffer (handler scratch + answer)
 * from a free list, so memory is bounded by the number of concurrent requests. HTTP/1.1 keep-alive is
 * on (libmicrohttpd's default).
 *
 * Shutdown: SIGTERM or SIGINT stops accepting connections, lets in-flight requests finish (up to
 * `shutdown_grace` seconds; a second signal cuts it short), answers them with `Connection: close`,
 * then stops. The store is written by the handler before an answer leaves (every store write is
 * fsync()ed), so nothing a client was told is lost, even on kill -9.
 *
 * SIGHUP reopens the log file (after logrotate moved it away); the configuration is not reloaded
 * (restart: SIGTERM drains, and the store carries all state). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "srv_tool.h"

/* NDES: MaxFieldLength and MaxRequestBytes of its IIS configuration. */
#define MAX_QUERY 65534u
/* libmicrohttpd keeps the request line and headers in a per-connection pool: room for the largest query. */
#define CONN_MEMORY (MAX_QUERY + 128u * 1024u)

/* ---------------------------------------------------------------------------------------------- */
/* State */

typedef struct workbuf {
    struct workbuf *next;
    uint8_t *scratch;
    uint8_t *out;
} workbuf;

typedef struct req_ctx {
    struct timespec t0;
    size_t uri_len;
    char path[64];
    char method[8];
    char remote[64];
    char forwarded[64]; /* X-Forwarded-For from a reverse proxy (as sent, for the log only) */
    char op[24];
    uint8_t *body;
    size_t body_len, body_cap;
    int too_large;
    int started;
    int status;
    size_t bytes_out;
    int handled;
    const char *msg_type;
    const char *result;
    const char *fail_info;
    const char *error;
    char tx[SCEPKIT_TRANSACTION_ID_MAX + 1];
    const char *cipher;
    const char *md;
    char serial[2 * SCEPKIT_SERIAL_MAX + 1];
    char subject[160];
    char reason[128];
} req_ctx;

typedef struct http_srv {
    srv_app app;
    struct MHD_Daemon *d;
    atomic_int inflight;
    atomic_int draining;
    atomic_ulong served;
    FILE *log;           /* under log_mu */
    char log_path[2100]; /* empty: stderr */
    int json;
    int quiet;
    pthread_mutex_t log_mu;
    pthread_mutex_t pool_mu;
    workbuf *free_bufs;
    size_t scratch_size, out_size;
    size_t max_body;
} http_srv;

/* The request a handling thread is working on, for the notification hook (issued serials in the log). */
static _Thread_local req_ctx *tl_req;

/* ---------------------------------------------------------------------------------------------- */
/* Logs: one line per request (and a few lifecycle lines), key=value text or JSON */

typedef struct line {
    char buf[2048];
    size_t n;
    int json;
} line;

static void line_raw(line *l, const char *s)
{
    size_t k = strlen(s);
    if (l->n + k < sizeof l->buf - 4) {
        memcpy(l->buf + l->n, s, k);
        l->n += k;
    }
}

/* Values come partly from clients (transactionID, paths): control characters, quotes and backslashes are
 * escaped so a line cannot be forged or broken. */
static void line_kv(line *l, const char *key, const char *val, int number)
{
    char tmp[8];
    if (val == NULL) {
        return;
    }
    int quote = l->json ? !number : (val[0] == 0 || strpbrk(val, " \"=\\") != NULL);
    line_raw(l, l->json ? (l->n > 1 ? ",\"" : "\"") : " ");
    line_raw(l, key);
    line_raw(l, l->json ? "\":" : "=");
    if (quote) {
        line_raw(l, "\"");
    }
    for (const unsigned char *p = (const unsigned char *)val; *p != 0; p++) {
        if (*p < 0x20 || *p >= 0x7f) {
            snprintf(tmp, sizeof tmp, l->json ? "\\u%04x" : "\\x%02x", *p);
            line_raw(l, tmp);
        } else if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            tmp[2] = 0;
            line_raw(l, tmp);
        } else {
            tmp[0] = (char)*p;
            tmp[1] = 0;
            line_raw(l, tmp);
        }
    }
    if (quote) {
        line_raw(l, "\"");
    }
}

static void line_start(line *l, int json, const char *event)
{
    l->n = 0;
    l->json = json;
    char ts[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    time_t t = now.tv_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000);
    if (json) {
        line_raw(l, "{");
        line_kv(l, "ts", ts, 0);
    } else {
        line_raw(l, "ts=");
        line_raw(l, ts);
    }
    line_kv(l, "event", event, 0);
}

static void line_emit(http_srv *s, line *l)
{
    line_raw(l, l->json ? "}\n" : "\n");
    pthread_mutex_lock(&s->log_mu);
    fwrite(l->buf, 1, l->n, s->log);
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_srv *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t k = strlen(msg);
    while (k > 0 && (msg[k - 1] == '\n' || msg[k - 1] == '\r')) {
        msg[--k] = 0;
    }
    line l;
    line_start(&l, s->json, "httpd");
    line_kv(&l, "msg", msg, 0);
    line_emit(s, &l);
}

/* SIGHUP: a new log file at the configured path (logrotate's "create" or "move then HUP"). If it cannot be opened,
 * logging goes on into the old one, which says why. */
static void log_reopen(http_srv *s)
{
    line l;
    line_start(&l, s->json, "log_reopen");
    if (s->log_path[0] == 0) {
        line_kv(&l, "result", "stderr, nothing to reopen", 0);
        line_emit(s, &l);
        return;
    }
    FILE *f = fopen(s->log_path, "a");
    if (f == NULL) {
        line_kv(&l, "result", "failed", 0);
        line_kv(&l, "error", strerror(errno), 0);
        line_emit(s, &l);
        return;
    }
    pthread_mutex_lock(&s->log_mu);
    FILE *old = s->log;
    s->log = f;
    pthread_mutex_unlock(&s->log_mu);
    fclose(old);
    line_kv(&l, "result", "ok", 0);
    line_emit(s, &l);
}

/* ---------------------------------------------------------------------------------------------- */
/* Work buffers */

static workbuf *buf_take(http_srv *s)
{
    pthread_mutex_lock(&s->pool_mu);
    workbuf *b = s->free_bufs;
    if (b != NULL) {
        s->free_bufs = b->next;
    }
    pthread_mutex_unlock(&s->pool_mu);
    if (b == NULL) {
        b = calloc(1, sizeof *b);
        if (b != NULL) {
            b->scratch = malloc(s->scratch_size);
            b->out = malloc(s->out_size);
            if (b->scratch == NULL || b->out == NULL) {
                free(b->scratch);
                free(b->out);
                free(b);
                b = NULL;
            }
        }
    }
    return b;
}

static void buf_give(http_srv *s, workbuf *b)
{
    pthread_mutex_lock(&s->pool_mu);
    b->next = s->free_bufs;
    s->free_bufs = b;
    pthread_mutex_unlock(&s->pool_mu);
}

static void bufs_free(http_srv *s)
{
    while (s->free_bufs != NULL) {
        workbuf *b = s->free_bufs;
        s->free_bufs = b->next;
        scepkit_wipe(b->scratch, s->scratch_size);
        free(b->scratch);
        free(b->out);
        free(b);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Notifications: issued serials and refusal reasons go into the request's log line */

static scepkit_err on_event(void *ctx, const scepkit_server_event *ev)
{
    (void)ctx;
    req_ctx *r = tl_req;
    if (r == NULL) {
        return SCEPKIT_OK;
    }
    if (ev->type == SCEPKIT_EVENT_ISSUED) {
        scepkit_x509 x;
        if (scepkit_x509_parse(ev->cert, &x) == SCEPKIT_OK) {
            scepkit_bytes mag = x.serial;
            while (mag.len > 1 && mag.ptr[0] == 0) {
                mag.ptr++;
                mag.len--;
            }
            if (mag.len <= SCEPKIT_SERIAL_MAX) {
                srv_hex(r->serial, mag.ptr, mag.len);
            }
            srv_name_text(x.subject, r->subject, sizeof r->subject);
        }
    } else if (ev->reason != NULL) {
        snprintf(r->reason, sizeof r->reason, "%s", ev->reason);
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Which algorithms a request used (for the log: operators want to see who still sends DES3 or SHA-1) */

static const char *cipher_name(scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
        return "DES";
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        return "DES3";
    case SCEPKIT_CIPHER_AES128_CBC:
        return "AES-128";
    case SCEPKIT_CIPHER_AES192_CBC:
        return "AES-192";
    case SCEPKIT_CIPHER_AES256_CBC:
        return "AES-256";
    default:
        return NULL;
    }
}

static const char *md_name(scepkit_md m)
{
    switch (m) {
    case SCEPKIT_MD_MD5:
        return "MD5";
    case SCEPKIT_MD_SHA1:
        return "SHA-1";
    case SCEPKIT_MD_SHA256:
        return "SHA-256";
    case SCEPKIT_MD_SHA384:
        return "SHA-384";
    case SCEPKIT_MD_SHA512:
        return "SHA-512";
    default:
        return NULL;
    }
}

/* A GET `message` value to DER: %-escapes, either base64 alphabet, optional padding, whitespace ignored. */
static uint8_t *query_to_der(const char *q, size_t *len)
{
    size_t n = strlen(q), k = 0;
    char *t = malloc(n + 4);
    uint8_t *out = malloc(n + 4);
    if (t == NULL || out == NULL) {
        free(t);
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = q[i];
        if (c == '%' && i + 2 < n) {
            char hex[3] = {q[i + 1], q[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (c == '-' || c == ' ') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '=' || c == '\r' || c == '\n' || c == '\t') {
            continue;
        }
        t[k++] = c;
    }
    while (k % 4 != 0) {
        t[k++] = '=';
    }
    if (scepkit_base64_decode((scepkit_bytes){(const uint8_t *)t, k}, SCEPKIT_B64_STD, out, n + 4, len) != SCEPKIT_OK) {
        free(out);
        out = NULL;
    }
    free(t);
    return out;
}

/* pkiMessage ::= SignedData { digestAlgorithm ..., encapContentInfo: EnvelopedData { contentEncryptionAlgorithm } }
 * (RFC 8894 §3.2, §3.2.2). Read without any crypto; nothing here is trusted or used beyond the log line. */
static void peek_algs(req_ctx *r, scepkit_bytes msg)
{
    scepkit_cms_signed sd;
    if (scepkit_cms_signed_parse(msg, SCEPKIT_CMS_BER, &sd) != SCEPKIT_OK || sd.signer_count == 0) {
        return;
    }
    r->md = md_name(sd.signer.md);
    if (!sd.has_content || sd.content_len == 0 || sd.content_len > msg.len) {
        return;
    }
    uint8_t *env = malloc(sd.content_len);
    size_t len = 0;
    scepkit_cms_enveloped ed;
    if (env != NULL && scepkit_cms_content_copy(&sd, env, sd.content_len, &len) == SCEPKIT_OK &&
        scepkit_cms_enveloped_parse((scepkit_bytes){env, len}, SCEPKIT_CMS_BER, &ed) == SCEPKIT_OK) {
        r->cipher = cipher_name(ed.cipher);
    }
    free(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* HTTP */

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void remote_text(struct MHD_Connection *c, char *out, size_t cap);

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    http_srv *s = cls;
    req_ctx *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->uri_len = strlen(uri);
    size_t plen = strcspn(uri, "?");
    if (plen >= sizeof r->path) {
        plen = sizeof r->path - 1;
    }
    memcpy(r->path, uri, plen);
    r->path[plen] = 0;
    if (c != NULL) {
        remote_text(c, r->remote, sizeof r->remote);
    }
    atomic_fetch_add(&s->inflight, 1);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    http_srv *s = cls;
    (void)c;
    req_ctx *r = *con_cls;
    if (r == NULL) {
        return;
    }
    *con_cls = NULL;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
    if (!s->quiet || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || r->status >= 500) {
        line l;
        char num[32];
        line_start(&l, s->json, "request");
        line_kv(&l, "remote", r->remote, 0);
        if (r->forwarded[0] != 0) {
            line_kv(&l, "forwarded", r->forwarded, 0);
        }
        line_kv(&l, "method", r->method, 0);
        line_kv(&l, "path", r->path, 0);
        if (r->op[0] != 0) {
            line_kv(&l, "op", r->op, 0);
        }
        if (r->msg_type != NULL) {
            line_kv(&l, "msg", r->msg_type, 0);
        }
        if (r->tx[0] != 0) {
            line_kv(&l, "tx", r->tx, 0);
        }
        if (r->cipher != NULL) {
            line_kv(&l, "cipher", r->cipher, 0);
        }
        if (r->md != NULL) {
            line_kv(&l, "md", r->md, 0);
        }
        snprintf(num, sizeof num, "%d", r->status);
        line_kv(&l, "status", num, 1);
        if (r->result != NULL) {
            line_kv(&l, "result", r->result, 0);
        }
        if (r->fail_info != NULL) {
            line_kv(&l, "fail_info", r->fail_info, 0);
        }
        if (r->serial[0] != 0) {
            line_kv(&l, "serial", r->serial, 0);
            line_kv(&l, "subject", r->subject, 0);
        }
        if (r->reason[0] != 0) {
            line_kv(&l, "reason", r->reason, 0);
        }
        if (r->error != NULL) {
            line_kv(&l, "error", r->error, 0);
        }
        snprintf(num, sizeof num, "%zu", r->body_len);
        line_kv(&l, "bytes_in", num, 1);
        snprintf(num, sizeof num, "%zu", r->bytes_out);
        line_kv(&l, "bytes_out", num, 1);
        snprintf(num, sizeof num, "%.3f", ms);
        line_kv(&l, "ms", num, 1);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
            line_kv(&l, "aborted", toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown" : "connection", 0);
        }
        line_emit(s, &l);
    }
    atomic_fetch_add(&s->served, 1);
    free(r->body);
    free(r);
    atomic_fetch_sub(&s->inflight, 1);
}

static enum MHD_Result respond(http_srv *s, struct MHD_Connection *c, req_ctx *r, int status, const char *ctype,
                               const uint8_t *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (status == 405) {
        MHD_add_response_header(resp, "Allow", "GET, POST");
    }
    if (atomic_load(&s->draining)) {
        MHD_add_response_header(resp, "Connection", "close");
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes_out = len;
    return ret;
}

static enum MHD_Result respond_text(http_srv *s, struct MHD_Connection *c, req_ctx *r, int status, const char *text)
{
    return respond(s, c, r, status, "text/plain", (const uint8_t *)text, strlen(text));
}

static int is_scep_path(const char *p)
{
    return strcmp(p, "/scep") == 0 || strcmp(p, "/scep/") == 0 || strcmp(p, "/cgi-bin/pkiclient.exe") == 0 ||
           strcasecmp(p, "/certsrv/mscep/mscep.dll") == 0 || strcasecmp(p, "/certsrv/mscep/") == 0 ||
           strcasecmp(p, "/certsrv/mscep") == 0;
}

/* The operation name, %-decoded (it arrives raw: unescaping is off). */
static int decode_op(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p != 0; p++) {
        char ch = *p;
        if (ch == '%' && p[1] != 0 && p[2] != 0) {
            char hex[3] = {p[1], p[2], 0};
            char *end = NULL;
            long v = strtol(hex, &end, 16);
            if (end != hex + 2) {
                return -1;
            }
            ch = (char)v;
            p += 2;
        }
        if (n + 1 >= cap) {
            return -1;
        }
        out[n++] = ch;
    }
    out[n] = 0;
    return 0;
}

static void remote_text(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (ci == NULL || ci->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in4;
        memcpy(&in4, sa, sizeof in4);
        inet_ntop(AF_INET, &in4.sin_addr, out, (socklen_t)cap);
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        inet_ntop(AF_INET6, &in6.sin6_addr, out, (socklen_t)cap);
    }
}

static enum MHD_Result serve_scep(http_srv *s, struct MHD_Connection *c, req_ctx *r, int is_post)
{
    const char *op = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "operation");
    if (op == NULL) {
        if (!is_post) {
            /* NDES health check: the SCEP URL without an operation answers 403 */
            return respond_text(s, c, r, 403, "403 Forbidden: SCEP endpoint, no operation given\n");
        }
        return respond_text(s, c, r, 400, "400 Bad Request: no operation\n");
    }
    if (decode_op(op, r->op, sizeof r->op) != 0) {
        snprintf(r->op, sizeof r->op, "?");
        return respond_text(s, c, r, 400, "400 Bad Request: unknown operation\n");
    }
    scepkit_bytes message = {NULL, 0};
    scepkit_message_form form = SCEPKIT_MESSAGE_BODY;
    if (is_post) {
        message = (scepkit_bytes){r->body, r->body_len};
    } else {
        const char *m = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "message");
        if (m != NULL) {
            message = scepkit_bytes_str(m);
            r->body_len = message.len;
        }
        form = SCEPKIT_MESSAGE_QUERY;
    }
    if (strcmp(r->op, "PKIOperation") == 0 && message.len > 0) {
        if (form == SCEPKIT_MESSAGE_BODY) {
            peek_algs(r, message);
        } else {
            size_t dlen = 0;
            uint8_t *der = query_to_der((const char *)message.ptr, &dlen);
            if (der != NULL) {
                peek_algs(r, (scepkit_bytes){der, dlen});
                free(der);
            }
        }
    }
    workbuf *b = buf_take(s);
    if (b == NULL) {
        r->error = "out of memory";
        return respond_text(s, c, r, 503, "503 Service Unavailable\n");
    }
    scepkit_arena arena;
    scepkit_arena_init(&arena, b->scratch, s->scratch_size);
    scepkit_server_response resp;
    tl_req = r;
    scepkit_err err =
        scepkit_server_handle(&s->app.srv, scepkit_bytes_str(r->op), message, form, &arena, b->out, s->out_size, &resp);
    tl_req = NULL;
    /* The scratch held the decrypted request (and its challenge password): wipe what was used before the
     * buffer goes back to the pool. */
    scepkit_wipe(b->scratch, arena.peak);
    enum MHD_Result ret;
    if (err != SCEPKIT_OK) {
        r->error = scepkit_err_name(err);
        ret = respond_text(s, c, r, 500, "500 Internal Server Error\n");
    } else {
        if (resp.msg_type != SCEPKIT_MSG_NONE) {
            r->msg_type = scepkit_msg_type_name(resp.msg_type);
        }
        snprintf(r->tx, sizeof r->tx, "%s", resp.transaction_id);
        if (resp.is_certrep) {
            r->result = resp.status == SCEPKIT_STATUS_SUCCESS   ? "SUCCESS"
                        : resp.status == SCEPKIT_STATUS_PENDING ? "PENDING"
                                                                : "FAILURE";
            if (resp.status == SCEPKIT_STATUS_FAILURE) {
                r->fail_info = scepkit_fail_info_name(resp.fail_info);
            }
        }
        if (resp.error != SCEPKIT_OK) {
            r->error = scepkit_err_name(resp.error);
        }
        ret = respond(s, c, r, resp.http_status, resp.content_type, b->out, resp.body_len);
    }
    buf_give(s, b);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    http_srv *s = cls;
    (void)version;
    req_ctx *r = *con_cls;
    if (r == NULL) {
        r = on_uri(s, url, c);
        if (r == NULL) {
            return MHD_NO;
        }
        *con_cls = r;
    }
    int is_post = strcmp(method, "POST") == 0;
    if (!r->started) {
        r->started = 1;
        snprintf(r->method, sizeof r->method, "%s", method);
        if (r->remote[0] == 0) {
            remote_text(c, r->remote, sizeof r->remote);
        }
        const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
        if (xff != NULL) {
            snprintf(r->forwarded, sizeof r->forwarded, "%s", xff);
        }
        if (is_post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body) {
                /* answered before the body is read: libmicrohttpd then closes the connection, as it should */
                r->error = "body too large";
                return respond_text(s, c, r, 413, "413 Payload Too Large\n");
            }
        }
        /* Answer on the next call, never on this one: libmicrohttpd treats a response queued while the request
         * headers are all it has read as "early" and closes the connection after it, which would end keep-alive. */
        return MHD_YES;
    }
    if (is_post && *upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->body_len + n > s->max_body) {
            r->too_large = 1;
            return MHD_YES;
        }
        if (r->body_len + n > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < r->body_len + n) {
                cap *= 2;
            }
            uint8_t *nb = realloc(r->body, cap);
            if (nb == NULL) {
                return MHD_NO;
            }
            r->body = nb;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        return MHD_YES;
    }
    /* The whole request is in. */
    if (r->too_large) {
        r->error = "body too large";
        return respond_text(s, c, r, 413, "413 Payload Too Large\n");
    }
    if (strcmp(r->path, "/healthz") == 0) {
        if (atomic_load(&s->draining)) {
            return respond_text(s, c, r, 503, "draining\n");
        }
        return respond_text(s, c, r, 200, "ok\n");
    }
    if (!is_scep_path(r->path)) {
        return respond_text(s, c, r, 404, "404 Not Found\n");
    }
    if (!is_post && strcmp(method, "GET") != 0) {
        return respond_text(s, c, r, 405, "405 Method Not Allowed\n");
    }
    if (r->uri_len > strlen(r->path) + 1 + MAX_QUERY) {
        r->error = "query too long";
        return respond_text(s, c, r, 414, "414 URI Too Long\n");
    }
    return serve_scep(s, c, r, is_post);
}

/* ---------------------------------------------------------------------------------------------- */
/* run */

static void run_usage(FILE *f)
{
    fprintf(f, "usage: scepkit-server run DIR [options]\n"
               "\n"
               "Serves SCEP for the CA in DIR (made by `scepkit-server init DIR`). Options override the\n"
               "configuration file DIR/" SRV_CONF_NAME ":\n"
               "  -l, --listen ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)\n"
               "  -p, --port N            TCP port (0: any free port, see --port-file)\n"
               "  -t, --threads N         worker threads\n"
               "      --tls-cert FILE     serve HTTPS with this PEM certificate (chain) ...\n"
               "      --tls-key FILE      ... and key\n"
               "      --log FILE          append logs to FILE (default stderr)\n"
               "      --log-format F      text (key=value, default) or json\n"
               "      --pid-file FILE     write the process id\n"
               "      --port-file FILE    write the port actually bound (once listening)\n"
               "  -q, --quiet             log only errors and lifecycle events\n");
}

static int write_small(const char *path, unsigned long v)
{
    char tmp[1100], text[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int n = snprintf(text, sizeof text, "%lu\n", v);
    if (srv_write_file(tmp, (const uint8_t *)text, (size_t)n, 0, 0) != 0 || rename(tmp, path) != 0) {
        return -1;
    }
    return 0;
}

int srv_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},   {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},  {"tls-cert", required_argument, NULL, 1},
        {"tls-key", required_argument, NULL, 2},    {"log", required_argument, NULL, 3},
        {"log-format", required_argument, NULL, 4}, {"pid-file", required_argument, NULL, 5},
        {"port-file", required_argument, NULL, 6},  {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *o_listen = NULL, *o_port = NULL, *o_threads = NULL, *o_tls_cert = NULL, *o_tls_key = NULL;
    const char *o_log = NULL, *o_log_format = NULL, *pid_file = NULL, *port_file = NULL;
    int quiet = 0, ch;
    while ((ch = getopt_long(argc, argv, "l:p:t:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'l':
            o_listen = optarg;
            break;
        case 'p':
            o_port = optarg;
            break;
        case 't':
            o_threads = optarg;
            break;
        case 1:
            o_tls_cert = optarg;
            break;
        case 2:
            o_tls_key = optarg;
            break;
        case 3:
            o_log = optarg;
            break;
        case 4:
            o_log_format = optarg;
            break;
        case 5:
            pid_file = optarg;
            break;
        case 6:
            port_file = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            run_usage(stdout);
            return SRV_EXIT_OK;
        default:
            run_usage(stderr);
            return SRV_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        run_usage(stderr);
        return SRV_EXIT_USAGE;
    }
    const char *dir = argv[optind];

    static http_srv s; /* large; one per process */
    memset(&s, 0, sizeof s);
    s.app.notify.fn = on_event;
    int rc = srv_app_open(&s.app, dir, 0);
    if (rc != SRV_EXIT_OK) {
        srv_app_close(&s.app);
        return rc;
    }
    srv_conf *conf = &s.app.conf;
    if (o_listen != NULL) {
        snprintf(conf->listen, sizeof conf->listen, "%s", o_listen);
    }
    if (o_port != NULL) {
        char *end = NULL;
        unsigned long v = strtoul(o_port, &end, 10);
        if (*end != 0 || v > 65535) {
            fprintf(stderr, "scepkit-server: bad port '%s'\n", o_port);
            srv_app_close(&s.app);
            return SRV_EXIT_USAGE;
        }
        conf->port = (unsigned)v;
    }
    if (o_threads != NULL) {
        conf->threads = (unsigned)strtoul(o_threads, NULL, 10);
    }
    if (o_tls_cert != NULL || o_tls_key != NULL) {
        snprintf(conf->tls_cert, sizeof conf->tls_cert, "%s", o_tls_cert ? o_tls_cert : "");
        snprintf(conf->tls_key, sizeof conf->tls_key, "%s", o_tls_key ? o_tls_key : "");
        if (o_tls_cert == NULL || o_tls_key == NULL) {
            fprintf(stderr, "scepkit-server: --tls-cert and --tls-key go together\n");
            srv_app_close(&s.app);
            return SRV_EXIT_USAGE;
        }
    }
    if (o_log != NULL) {
        snprintf(conf->log_file, sizeof conf->log_file, "%s", o_log);
    }
    if (o_log_format != NULL) {
        if (strcmp(o_log_format, "text") != 0 && strcmp(o_log_format, "json") != 0) {
            fprintf(stderr, "scepkit-server: --log-format text or json\n");
            srv_app_close(&s.app);
            return SRV_EXIT_USAGE;
        }
        snprintf(conf->log_format, sizeof conf->log_format, "%s", o_log_format);
    }
    s.json = strcmp(conf->log_format, "json") == 0;
    s.quiet = quiet;
    s.log = stderr;
    if (conf->log_file[0] != 0) {
        char lp[2100];
        if (o_log != NULL) {
            snprintf(lp, sizeof lp, "%s", conf->log_file);
        } else {
            srv_path_join(lp, sizeof lp, conf->dir, conf->log_file);
        }
        snprintf(s.log_path, sizeof s.log_path, "%s", lp);
        s.log = fopen(lp, "a");
        if (s.log == NULL) {
            fprintf(stderr, "scepkit-server: cannot open log %s: %s\n", lp, strerror(errno));
            srv_app_close(&s.app);
            return SRV_EXIT_IO;
        }
    }
    pthread_mutex_init(&s.log_mu, NULL);
    pthread_mutex_init(&s.pool_mu, NULL);
    srv_app_buffers(&s.app, &s.scratch_size, &s.out_size);
    s.max_body = conf->max_message_size > 0 ? conf->max_message_size : 65536;

    /* Listening address. */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;
    if (inet_pton(AF_INET, conf->listen, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)conf->port);
    } else if (inet_pton(AF_INET6, conf->listen, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)conf->port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "scepkit-server: listen: '%s' is not an IPv4 or IPv6 address\n", conf->listen);
        srv_app_close(&s.app);
        return SRV_EXIT_CONFIG;
    }

    /* TLS: libmicrohttpd does it through GnuTLS when it was built with it (Debian's is). */
    char *tls_cert = NULL, *tls_key = NULL;
    if (conf->tls_cert[0] != 0) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fprintf(stderr, "scepkit-server: this libmicrohttpd was built without TLS support: serve plain HTTP\n"
                            "and put a TLS-terminating reverse proxy in front (docs/server-tool.md)\n");
            srv_app_close(&s.app);
            return SRV_EXIT_UNAVAIL;
        }
        char p1[2100], p2[2100];
        size_t l1 = 0, l2 = 0;
        if (o_tls_cert != NULL) {
            snprintf(p1, sizeof p1, "%s", conf->tls_cert);
            snprintf(p2, sizeof p2, "%s", conf->tls_key);
        } else {
            srv_path_join(p1, sizeof p1, conf->dir, conf->tls_cert);
            srv_path_join(p2, sizeof p2, conf->dir, conf->tls_key);
        }
        tls_cert = (char *)srv_read_file(p1, &l1);
        tls_key = (char *)srv_read_file(p2, &l2);
        if (tls_cert == NULL || tls_key == NULL) {
            free(tls_cert);
            free(tls_key);
            srv_app_close(&s.app);
            return SRV_EXIT_IO;
        }
        flags |= MHD_USE_TLS;
    }

    unsigned threads = conf->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n * 2 : 4;
        if (threads < 4) {
            threads = 4;
        }
    }

    /* Signals: handled by this thread with sigwait(); the worker threads inherit the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_OptionItem tls_opts[3] = {
        {tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls_cert},
        {tls_key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    s.d = MHD_start_daemon(flags, (uint16_t)conf->port, NULL, NULL, on_request, &s, //
                           MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &s,              //
                           MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,            //
                           MHD_OPTION_THREAD_POOL_SIZE, threads,                    //
                           MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, //
                           MHD_OPTION_CONNECTION_LIMIT, 1024u,                      //
                           MHD_OPTION_CONNECTION_TIMEOUT, conf->connection_timeout, //
                           MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s,                 //
                           MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, &s,           //
                           MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,           //
                           MHD_OPTION_ARRAY, tls_opts,                              //
                           MHD_OPTION_END);
    if (s.d == NULL) {
        fprintf(stderr, "scepkit-server: cannot listen on %s port %u%s\n", conf->listen, conf->port,
                tls_cert ? " (or the TLS certificate/key was refused)" : "");
        free(tls_cert);
        if (tls_key != NULL) {
            scepkit_wipe(tls_key, strlen(tls_key));
        }
        free(tls_key);
        srv_app_close(&s.app);
        return SRV_EXIT_OSERR;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s.d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di != NULL ? di->port : conf->port;
    if (pid_file != NULL) {
        write_small(pid_file, (unsigned long)getpid());
    }
    if (port_file != NULL) {
        write_small(port_file, port);
    }
    {
        line l;
        char num[32];
        line_start(&l, s.json, "start");
        line_kv(&l, "version", scepkit_version(), 0);
        char url[160];
        snprintf(url, sizeof url, "%s://%s%s%s:%u/scep", tls_cert ? "https" : "http",
                 strchr(conf->listen, ':') ? "[" : "", conf->listen, strchr(conf->listen, ':') ? "]" : "", port);
        line_kv(&l, "url", url, 0);
        line_kv(&l, "mode", s.app.ra_mode ? "ra" : "ca", 0);
        snprintf(num, sizeof num, "%u", threads);
        line_kv(&l, "threads", num, 1);
        snprintf(num, sizeof num, "%ld", (long)getpid());
        line_kv(&l, "pid", num, 1);
        line_kv(&l, "store", s.app.store_dir, 0);
        line_emit(&s, &l);
    }

    int sig = 0;
    for (;;) {
        if (sigwait(&sigs, &sig) != 0) {
            continue;
        }
        if (sig != SIGHUP) {
            break;
        }
        log_reopen(&s);
    }
    atomic_store(&s.draining, 1);
    MHD_socket lsock = MHD_quiesce_daemon(s.d); /* no new connections; open ones are served */
    {
        line l;
        char num[32];
        line_start(&l, s.json, "stopping");
        line_kv(&l, "signal", sig == SIGTERM ? "TERM" : "INT", 0);
        snprintf(num, sizeof num, "%d", atomic_load(&s.inflight));
        line_kv(&l, "inflight", num, 1);
        line_emit(&s, &l);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const struct timespec tick = {0, 20 * 1000 * 1000};
    while (atomic_load(&s.inflight) > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= (time_t)conf->shutdown_grace) {
            break;
        }
        int got = sigtimedwait(&sigs, NULL, &tick);
        if (got == SIGHUP) {
            log_reopen(&s);
        } else if (got > 0) {
            break; /* a second TERM or INT: stop now */
        }
    }
    int left = atomic_load(&s.inflight);
    MHD_stop_daemon(s.d);
    if (lsock != MHD_INVALID_SOCKET) {
        close(lsock);
    }
    {
        line l;
        char num[32];
        line_start(&l, s.json, "stopped");
        snprintf(num, sizeof num, "%lu", (unsigned long)atomic_load(&s.served));
        line_kv(&l, "served", num, 1);
        snprintf(num, sizeof num, "%d", left);
        line_kv(&l, "cut_short", num, 1);
        line_emit(&s, &l);
    }
    bufs_free(&s);
    free(tls_cert);
    if (tls_key != NULL) {
        scepkit_wipe(tls_key, strlen(tls_key));
    }
    free(tls_key);
    srv_app_close(&s.app);
    if (s.log != stderr) {
        fclose(s.log);
    }
    if (pid_file != NULL) {
        unlink(pid_file);
    }
    return SRV_EXIT_OK;
}
