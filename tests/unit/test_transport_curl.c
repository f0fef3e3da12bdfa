/* The libcurl transport against a one-connection HTTP server on 127.0.0.1 (a thread of this test):
 * long GET queries, POST headers and body, statuses, the response size limit, timeouts, refused connections. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scepkit/scepkit.h"

#if SCEPKIT_WITH_CURL

typedef enum mode { M_ECHO, M_404, M_BIG_DECLARED, M_BIG_UNDECLARED, M_SILENT } mode;

typedef struct server {
    int fd;
    int port;
    mode m;
    pthread_t th;
    char head[65536]; /* the request head as received */
    size_t head_len;
    uint8_t body[65536];
    size_t body_len;
} server;

static void send_str(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static void *serve(void *arg)
{
    server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0) {
        return NULL;
    }
    /* read the head, then Content-Length bytes of body */
    char buf[4096];
    size_t want_body = 0;
    int in_body = 0;
    for (;;) {
        if (in_body && s->body_len >= want_body) {
            break;
        }
        ssize_t r = recv(c, buf, sizeof buf, 0);
        if (r <= 0) {
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            if (!in_body) {
                if (s->head_len + 1 < sizeof s->head) {
                    s->head[s->head_len++] = buf[i];
                    s->head[s->head_len] = 0;
                }
                if (s->head_len >= 4 && memcmp(s->head + s->head_len - 4, "\r\n\r\n", 4) == 0) {
                    in_body = 1;
                    const char *cl = strcasestr(s->head, "Content-Length:");
                    want_body = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
                }
            } else if (s->body_len < sizeof s->body) {
                s->body[s->body_len++] = (uint8_t)buf[i];
            }
        }
    }
    char resp[512];
    switch (s->m) {
    case M_ECHO: {
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/x-pki-message\r\nContent-Length: 5\r\n"
                         "Connection: close\r\n\r\nhello");
        send_str(c, resp, (size_t)n);
        break;
    }
    case M_404: {
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n"
                         "Connection: close\r\n\r\nnot found");
        send_str(c, resp, (size_t)n);
        break;
    }
    case M_BIG_DECLARED:
    case M_BIG_UNDECLARED: {
        int n =
            s->m == M_BIG_DECLARED
                ? snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n")
                : snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n\r\n");
        send_str(c, resp, (size_t)n);
        static char junk[100000];
        memset(junk, 'x', sizeof junk);
        send_str(c, junk, sizeof junk);
        break;
    }
    case M_SILENT:
        (void)recv(c, buf, sizeof buf, 0); /* until the client gives up and closes */
        break;
    }
    close(c);
    return NULL;
}

static void server_start(server *s, mode m)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s->fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    cr_assert_eq(listen(s->fd, 1), 0);
    cr_assert_eq(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->fd);
}

/* One exchange through a fresh transport with options `o`. */
static scepkit_err exchange_opts(const scepkit_curl_options *o, const scepkit_http_request *req, uint8_t *buf,
                                 size_t cap, scepkit_http_response *resp)
{
    scepkit_curl_transport t;
    cr_assert_eq(scepkit_curl_transport_init(&t, o), SCEPKIT_OK);
    scepkit_transport p = scepkit_curl_transport_port(&t);
    scepkit_err e = p.ops->exchange(p.self, req, buf, cap, resp);
    /* the content type view points into the transport: copy what the tests look at before freeing */
    static char ct[128];
    snprintf(ct, sizeof ct, "%.*s", (int)resp->content_type.len, (const char *)resp->content_type.ptr);
    resp->content_type = scepkit_bytes_str(ct);
    scepkit_curl_transport_free(&t);
    return e;
}

/* One exchange with the fake server `s` as the SCEP server. */
static scepkit_err exchange(server *s, const scepkit_http_request *req, long timeout_ms, uint8_t *buf, size_t cap,
                            scepkit_http_response *resp)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/cgi-bin/pkiclient.exe", s->port);
    scepkit_curl_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.timeout_ms = timeout_ms;
    return exchange_opts(&o, req, buf, cap, resp);
}

Test(transport_curl, a_get_query_longer_than_8_kb_arrives_intact)
{
    static uint8_t der[7000];
    for (size_t i = 0; i < sizeof der; i++) {
        der[i] = (uint8_t)(i * 7 + 3);
    }
    static char query[SCEPKIT_HTTP_QUERY_MAX(sizeof der)];
    size_t ql = 0;
    cr_assert_eq(scepkit_http_query("PKIOperation", (scepkit_bytes){der, sizeof der}, 1, query, sizeof query, &ql),
                 SCEPKIT_OK);
    cr_assert_gt(ql, 8192);
    scepkit_http_request req;
    memset(&req, 0, sizeof req);
    req.method = SCEPKIT_HTTP_GET;
    req.operation = "PKIOperation";
    req.query = query;
    req.query_len = ql;
    server s;
    server_start(&s, M_ECHO);
    uint8_t buf[64];
    scepkit_http_response r;
    scepkit_err e = exchange(&s, &req, 0, buf, sizeof buf, &r);
    server_stop(&s);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_expect_eq(r.err, SCEPKIT_OK);
    cr_expect_eq(r.status, 200);
    cr_expect(scepkit_http_content_type_is(r.content_type, SCEPKIT_CT_PKI_MESSAGE));
    cr_expect(r.body.len == 5 && memcmp(r.body.ptr, "hello", 5) == 0);
    /* the request line carries the path, '?', and the query exactly */
    char expect_start[64];
    snprintf(expect_start, sizeof expect_start, "GET /cgi-bin/pkiclient.exe?");
    cr_assert(strncmp(s.head, expect_start, strlen(expect_start)) == 0, "%.80s", s.head);
    /* libcurl's URL parser writes percent escapes in lowercase hex (%2f for %2F): the same octets (RFC 3986 §2.1) */
    cr_expect(strncasecmp(s.head + strlen(expect_start), query, ql) == 0, "sent %.200s\nquery %.200s",
              s.head + strlen(expect_start), query);
    cr_expect(strncmp(s.head + strlen(expect_start) + ql, " HTTP/1.1\r\n", 11) == 0);
}

Test(transport_curl, a_post_sends_the_body_with_the_pki_message_content_type)
{
    static const uint8_t body[] = {0x30, 0x03, 0x02, 0x01, 0x00, 0xff, 0x00};
    scepkit_http_request req;
    memset(&req, 0, sizeof req);
    req.method = SCEPKIT_HTTP_POST;
    req.operation = "PKIOperation";
    req.query = "operation=PKIOperation";
    req.query_len = strlen(req.query);
    req.body = (scepkit_bytes){body, sizeof body};
    req.content_type = SCEPKIT_CT_PKI_MESSAGE;
    server s;
    server_start(&s, M_ECHO);
    uint8_t buf[64];
    scepkit_http_response r;
    scepkit_err e = exchange(&s, &req, 0, buf, sizeof buf, &r);
    server_stop(&s);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    static const char line[] = "POST /cgi-bin/pkiclient.exe?operation=PKIOperation HTTP/1.1\r\n";
    cr_expect(strncmp(s.head, line, sizeof line - 1) == 0, "%.80s", s.head);
    cr_expect_not_null(strcasestr(s.head, "\r\nContent-Type: application/x-pki-message\r\n"));
    cr_expect_null(strcasestr(s.head, "Expect:"));
    cr_expect_eq(s.body_len, sizeof body);
    cr_expect_eq(memcmp(s.body, body, sizeof body), 0);
}

static scepkit_http_request simple_get(void)
{
    scepkit_http_request req;
    memset(&req, 0, sizeof req);
    req.method = SCEPKIT_HTTP_GET;
    req.operation = "GetCACaps";
    req.query = "operation=GetCACaps";
    req.query_len = strlen(req.query);
    return req;
}

Test(transport_curl, an_http_error_status_is_an_answer_not_a_transport_error)
{
    scepkit_http_request req = simple_get();
    server s;
    server_start(&s, M_404);
    uint8_t buf[64];
    scepkit_http_response r;
    cr_assert_eq(exchange(&s, &req, 0, buf, sizeof buf, &r), SCEPKIT_OK);
    server_stop(&s);
    cr_expect_eq(r.status, 404);
    cr_expect(scepkit_http_content_type_is(r.content_type, "text/html"));
}

Test(transport_curl, answers_larger_than_the_buffer_are_cut_off)
{
    mode modes[] = {M_BIG_DECLARED, M_BIG_UNDECLARED};
    for (size_t i = 0; i < 2; i++) {
        scepkit_http_request req = simple_get();
        server s;
        server_start(&s, modes[i]);
        static uint8_t buf[4096];
        memset(buf, 0, sizeof buf);
        scepkit_http_response r;
        scepkit_err e = exchange(&s, &req, 0, buf, sizeof buf, &r);
        server_stop(&s);
        cr_expect_eq(e, SCEPKIT_ERR_RESPONSE_TOO_LARGE, "mode %zu: %s", i, scepkit_err_name(e));
        cr_expect_eq(r.err, e);
        cr_expect_eq(r.body.len, 0);
    }
}

Test(transport_curl, a_silent_server_times_out)
{
    scepkit_http_request req = simple_get();
    server s;
    server_start(&s, M_SILENT);
    uint8_t buf[64];
    scepkit_http_response r;
    scepkit_err e = exchange(&s, &req, 300, buf, sizeof buf, &r);
    server_stop(&s);
    cr_expect_eq(e, SCEPKIT_ERR_TRANSPORT_TIMEOUT, "%s", scepkit_err_name(e));
}

Test(transport_curl, a_refused_connection_is_a_transport_error)
{
    server s;
    memset(&s, 0, sizeof s);
    /* a port that was free a moment ago: bind, learn it, close */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    s.port = ntohs(a.sin_port);
    close(fd);
    scepkit_http_request req = simple_get();
    uint8_t buf[64];
    scepkit_http_response r;
    cr_expect_eq(exchange(&s, &req, 2000, buf, sizeof buf, &r), SCEPKIT_ERR_TRANSPORT);
}

Test(transport_curl, a_configured_proxy_gets_the_absolute_url)
{
    /* The fake server plays the proxy. The SCEP host's name is never resolved: with an HTTP proxy, libcurl hands
     * the absolute URL to the proxy (only 127.0.0.1 is ever contacted). */
    scepkit_http_request req = simple_get();
    server s;
    server_start(&s, M_ECHO);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", s.port);
    scepkit_curl_options o;
    memset(&o, 0, sizeof o);
    o.url = "http://scep.example.invalid/certsrv/mscep/mscep.dll";
    o.proxy = proxy;
    o.timeout_ms = 5000;
    uint8_t buf[64];
    scepkit_http_response r;
    scepkit_err e = exchange_opts(&o, &req, buf, sizeof buf, &r);
    server_stop(&s);
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_expect_eq(r.status, 200);
    static const char line[] =
        "GET http://scep.example.invalid/certsrv/mscep/mscep.dll?operation=GetCACaps HTTP/1.1\r\n";
    cr_expect(strncmp(s.head, line, sizeof line - 1) == 0, "%.100s", s.head);
    cr_expect_not_null(strcasestr(s.head, "\r\nHost: scep.example.invalid\r\n"));
}

Test(transport_curl, the_environments_proxy_variables_are_ignored_unless_configured)
{
    /* http_proxy names a port nobody listens on: a transport that honoured it would fail */
    scepkit_http_request req = simple_get();
    server s;
    server_start(&s, M_ECHO);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/scep", s.port);
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
    scepkit_curl_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.timeout_ms = 5000;
    uint8_t buf[64];
    scepkit_http_response r;
    scepkit_err e = exchange_opts(&o, &req, buf, sizeof buf, &r);
    server_stop(&s);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    cr_assert_eq(e, SCEPKIT_OK, "%s", scepkit_err_name(e));
    cr_expect(strncmp(s.head, "GET /scep?operation=GetCACaps HTTP/1.1\r\n", 40) == 0, "%.80s", s.head);
}

Test(transport_curl, bad_urls_are_refused_at_init)
{
    const char *bad[] = {"", "ftp://127.0.0.1/scep", "file:///etc/passwd", "not a url at all"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scepkit_curl_options o;
        memset(&o, 0, sizeof o);
        o.url = bad[i];
        scepkit_curl_transport t;
        cr_expect_eq(scepkit_curl_transport_init(&t, &o), SCEPKIT_ERR_ARG, "%s", bad[i]);
        scepkit_curl_transport_free(&t);
    }
    cr_expect_eq(scepkit_curl_transport_init(NULL, NULL), SCEPKIT_ERR_ARG);
}

#else
Test(transport_curl, is_compiled_out)
{
    scepkit_curl_transport t;
    cr_expect_eq(scepkit_curl_transport_init(&t, NULL), SCEPKIT_ERR_DISABLED);
}
#endif
