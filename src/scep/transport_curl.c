/* The libcurl transport of the SCEP client (hosts). The only file that includes libcurl. */
#include <stdio.h>
#include <string.h>

#include "scepkit/transport.h"
#include "scepkit/version.h"

#if SCEPKIT_WITH_CURL

#include <curl/curl.h>

/* The body goes into the caller's buffer and nowhere else; past `cap` the transfer is aborted. */
typedef struct sink {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
} sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (nmemb != 0 && n / nmemb != size) {
        s->overflow = 1;
        return 0;
    }
    if (n > s->cap - s->len) {
        s->overflow = 1;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    return n;
}

static void trace(const scepkit_curl_transport *t, const char *line)
{
    if (t->opts.trace != NULL) {
        t->opts.trace(t->opts.trace_ctx, line);
    }
}

static scepkit_err map_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return SCEPKIT_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return SCEPKIT_ERR_TRANSPORT_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return SCEPKIT_ERR_TRANSPORT_TLS;
    case CURLE_OUT_OF_MEMORY:
        return SCEPKIT_ERR_TRANSPORT;
    default:
        return SCEPKIT_ERR_TRANSPORT;
    }
}

scepkit_err scepkit_curl_transport_init(scepkit_curl_transport *t, const scepkit_curl_options *opts)
{
    if (t == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(t, 0, sizeof *t);
    if (opts == NULL || opts->url == NULL || opts->url[0] == 0) {
        return SCEPKIT_ERR_ARG;
    }
    t->opts = *opts;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return SCEPKIT_ERR_TRANSPORT;
    }
    CURLU *u = curl_url();
    if (u == NULL) {
        return SCEPKIT_ERR_TRANSPORT;
    }
    t->base_url = u;
    /* Only http and https; the URL must parse. */
    if (curl_url_set(u, CURLUPART_URL, opts->url, 0) != CURLUE_OK) {
        scepkit_curl_transport_free(t);
        return SCEPKIT_ERR_ARG;
    }
    char *scheme = NULL;
    int scheme_ok = 0;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && scheme != NULL) {
        scheme_ok = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
    }
    curl_free(scheme);
    if (!scheme_ok) {
        scepkit_curl_transport_free(t);
        return SCEPKIT_ERR_ARG;
    }
    t->curl = curl_easy_init();
    if (t->curl == NULL) {
        scepkit_curl_transport_free(t);
        return SCEPKIT_ERR_TRANSPORT;
    }
    return SCEPKIT_OK;
}

static scepkit_err exchange(void *self, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                            scepkit_http_response *resp)
{
    scepkit_curl_transport *t = self;
    memset(resp, 0, sizeof *resp);
    if (t == NULL || t->curl == NULL || req == NULL || req->query == NULL || (buf == NULL && cap != 0)) {
        resp->err = SCEPKIT_ERR_ARG;
        return resp->err;
    }
    CURL *h = t->curl;
    CURLU *u = curl_url_dup(t->base_url);
    struct curl_slist *headers = NULL;
    sink s = {buf, cap, 0, 0};
    char line[320];
    scepkit_err err = SCEPKIT_ERR_TRANSPORT;
    char ua[64];

    t->last_curl_code = 0;
    t->last_error[0] = 0;
    t->content_type[0] = 0;
    if (u == NULL) {
        goto out;
    }
    /* The query is already escaped (RFC 8894 §4.1): append it as it is, after '?' or '&'. */
    if (curl_url_set(u, CURLUPART_QUERY, req->query, CURLU_APPENDQUERY) != CURLUE_OK) {
        goto out;
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_CURLU, u);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, t->opts.timeout_ms > 0 ? t->opts.timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     t->opts.connect_timeout_ms > 0 ? t->opts.connect_timeout_ms : 10000L);
    /* No proxy unless configured: an explicit empty string turns off the environment's http_proxy. */
    curl_easy_setopt(h, CURLOPT_PROXY, t->opts.proxy != NULL ? t->opts.proxy : "");
    if (t->opts.ca_bundle != NULL) {
        curl_easy_setopt(h, CURLOPT_CAINFO, t->opts.ca_bundle);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, t->opts.insecure_tls ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, t->opts.insecure_tls ? 0L : 2L);
    if (t->opts.user_agent != NULL) {
        curl_easy_setopt(h, CURLOPT_USERAGENT, t->opts.user_agent);
    } else {
        (void)snprintf(ua, sizeof ua, "scepkit/%s", scepkit_version());
        curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
    }
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->last_error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    if (cap < (size_t)0x7fffffff) {
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)cap); /* refuse early when Content-Length says too much */
    }
    if (req->method == SCEPKIT_HTTP_POST) {
        char ct[128];
        (void)snprintf(ct, sizeof ct, "Content-Type: %s",
                       req->content_type != NULL ? req->content_type : SCEPKIT_CT_PKI_MESSAGE);
        headers = curl_slist_append(headers, ct);
        if (headers == NULL) {
            goto out;
        }
        /* No "Expect: 100-continue" round trip. */
        struct curl_slist *h2 = curl_slist_append(headers, "Expect:");
        if (h2 == NULL) {
            goto out;
        }
        headers = h2;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)req->body.ptr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    (void)snprintf(line, sizeof line, "> %s ?%.*s%s (%zu bytes of query, %zu bytes of body)",
                   req->method == SCEPKIT_HTTP_POST ? "POST" : "GET", req->query_len > 120 ? 120 : (int)req->query_len,
                   req->query, req->query_len > 120 ? "..." : "", req->query_len, req->body.len);
    trace(t, line);

    CURLcode rc = curl_easy_perform(h);
    t->last_curl_code = (long)rc;
    if (rc != CURLE_OK) {
        err = (s.overflow || rc == CURLE_FILESIZE_EXCEEDED) ? SCEPKIT_ERR_RESPONSE_TOO_LARGE : map_curl(rc);
        (void)snprintf(line, sizeof line, "< failed: %s (%s)",
                       t->last_error[0] ? t->last_error : curl_easy_strerror(rc), scepkit_err_name(err));
        trace(t, line);
        goto out;
    }
    long status = 0;
    char *ctype = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
    if (ctype != NULL) {
        size_t n = strlen(ctype);
        if (n >= sizeof t->content_type) {
            n = sizeof t->content_type - 1;
        }
        memcpy(t->content_type, ctype, n);
        t->content_type[n] = 0;
    }
    resp->status = (int)status;
    resp->content_type = scepkit_bytes_str(t->content_type);
    resp->body = (scepkit_bytes){buf, s.len};
    (void)snprintf(line, sizeof line, "< HTTP %ld, %s, %zu bytes", status,
                   t->content_type[0] ? t->content_type : "no content type", s.len);
    trace(t, line);
    err = SCEPKIT_OK;
out:
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_CURLU, NULL);
    curl_slist_free_all(headers);
    curl_url_cleanup(u);
    if (err != SCEPKIT_OK) {
        resp->status = 0;
        resp->body = (scepkit_bytes){NULL, 0};
        if (buf != NULL && s.len != 0) {
            scepkit_wipe(buf, s.len);
        }
    }
    resp->err = err;
    return err;
}

static const scepkit_transport_ops curl_ops = {exchange};

scepkit_transport scepkit_curl_transport_port(scepkit_curl_transport *t)
{
    scepkit_transport tr = {&curl_ops, t};
    return tr;
}

void scepkit_curl_transport_free(scepkit_curl_transport *t)
{
    if (t == NULL) {
        return;
    }
    if (t->curl != NULL) {
        curl_easy_cleanup(t->curl);
    }
    if (t->base_url != NULL) {
        curl_url_cleanup(t->base_url);
    }
    memset(t, 0, sizeof *t);
}

#else /* !SCEPKIT_WITH_CURL */

static scepkit_err exchange_disabled(void *self, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                                     scepkit_http_response *resp)
{
    (void)self;
    (void)req;
    (void)buf;
    (void)cap;
    if (resp != NULL) {
        memset(resp, 0, sizeof *resp);
        resp->err = SCEPKIT_ERR_DISABLED;
    }
    return SCEPKIT_ERR_DISABLED;
}

static const scepkit_transport_ops disabled_ops = {exchange_disabled};

scepkit_err scepkit_curl_transport_init(scepkit_curl_transport *t, const scepkit_curl_options *opts)
{
    (void)opts;
    if (t != NULL) {
        memset(t, 0, sizeof *t);
    }
    return SCEPKIT_ERR_DISABLED;
}

scepkit_transport scepkit_curl_transport_port(scepkit_curl_transport *t)
{
    scepkit_transport tr = {&disabled_ops, t};
    return tr;
}

void scepkit_curl_transport_free(scepkit_curl_transport *t)
{
    if (t != NULL) {
        memset(t, 0, sizeof *t);
    }
}

#endif
