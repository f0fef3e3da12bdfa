/*
 * Firmware-style SCEP enrollment: static buffers only, a secure-element-like key port, an HTTP transport
 * over a plain POSIX socket (what an RTOS TCP stack offers), and the engine's state saved to "flash" (a file)
 * so that a power cut while the request is pending (or in flight) resumes with the same transactionID.
 *
 * The application drives the I/O itself: scepkit_client_step() returns SCEPKIT_CLIENT_SEND with the request,
 * the application performs the exchange, and passes the answer to the next step. Nothing in the library
 * blocks or sleeps; when the server says PENDING the device saves its state and polls again later.
 *
 * Usage: example_firmware_client URL CA_SHA256_HEX KEY.pem STATE_FILE CERT_OUT.der CHALLENGE [--legacy] [--cut]
 *   URL         http://127.0.0.1:PORT/path (loopback only: this transport does not resolve names)
 *   KEY.pem     the key that stands for the secure element's (RSA)
 *   STATE_FILE  kept while the enrollment is unfinished; the next run resumes from it
 *   --legacy    accept single-DES answers (micromdm)
 *   --cut       simulate a power cut: save the state right after sending the first request, exit 2
 * Exit: 0 issued, 2 interrupted or pending (run again), 1 error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "scepkit/scepkit.h"

#define MAX_MESSAGE 8192

/* Every buffer is static: sized at build time from the library's published worst cases. */
static uint8_t engine_mem[SCEPKIT_CLIENT_MEM_SIZE(MAX_MESSAGE)];
static uint8_t state_buf[SCEPKIT_CLIENT_STATE_MAX(MAX_MESSAGE)];
static uint8_t csr_buf[2048];
static uint8_t csr_scratch[SCEPKIT_CSR_WRITE_SCRATCH];
static uint8_t key_file_buf[4096];
static char http_head[1024];
static char content_type[128];

/* --- the "secure element" -------------------------------------------------------------------------- */
/* Stands for a chip that keeps the RSA key inside: it signs digests and unwraps content keys, and answers
 * "busy" every other call, as parts on slow buses do. The library never sees the key. */
typedef struct secure_element {
    scepkit_softkey inner;
    unsigned calls;
} secure_element;

static scepkit_err se_public_key(void *self, uint8_t *out, size_t cap, size_t *len)
{
    secure_element *se = self;
    scepkit_key k = scepkit_softkey_key(&se->inner);
    return k.ops->public_key(k.self, out, cap, len);
}

static scepkit_err se_sign_digest(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                                  size_t cap, size_t *sig_len)
{
    secure_element *se = self;
    if (se->calls++ % 2 == 0) {
        return SCEPKIT_ERR_KEY_WOULD_BLOCK;
    }
    scepkit_key k = scepkit_softkey_key(&se->inner);
    return k.ops->sign_digest(k.self, md, digest, digest_len, sig, cap, sig_len);
}

static scepkit_err se_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    secure_element *se = self;
    if (se->calls++ % 2 == 0) {
        return SCEPKIT_ERR_KEY_WOULD_BLOCK;
    }
    scepkit_key k = scepkit_softkey_key(&se->inner);
    return k.ops->decrypt(k.self, pad, oaep_md, in, in_len, out, cap, out_len);
}

static const scepkit_key_ops se_ops = {se_public_key, se_sign_digest, se_decrypt};

/* --- HTTP/1.0 over a plain socket ----------------------------------------------------------------------- */
typedef struct socket_http {
    struct sockaddr_in addr;
    char path[256];
} socket_http;

/* "http://127.0.0.1:8080/scep" -> address and path. */
static int parse_url(const char *url, socket_http *h)
{
    const char *p = url;
    if (strncmp(p, "http://", 7) != 0) {
        return -1;
    }
    p += 7;
    char host[64];
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= sizeof host) {
        return -1;
    }
    memcpy(host, p, n);
    host[n] = 0;
    p += n;
    unsigned port = 80;
    if (*p == ':') {
        char *end = NULL;
        port = (unsigned)strtoul(p + 1, &end, 10);
        p += (size_t)(end - p);
    }
    memset(&h->addr, 0, sizeof h->addr);
    h->addr.sin_family = AF_INET;
    h->addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &h->addr.sin_addr) != 1 || port == 0 || port > 65535) {
        return -1;
    }
    snprintf(h->path, sizeof h->path, "%s", *p ? p : "/");
    return 0;
}

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n != 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One HTTP/1.0 exchange: the server answers without chunked encoding and closes the connection at the end of
 * the body (the smallest HTTP a device needs). The body goes into the engine's response buffer and is cut off
 * at its size (SCEPKIT_ERR_RESPONSE_TOO_LARGE). */
static void http_exchange(const socket_http *h, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                          scepkit_http_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->err = SCEPKIT_ERR_TRANSPORT;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return;
    }
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&h->addr, sizeof h->addr) != 0) {
        close(fd);
        return;
    }
    const char *sep = strchr(h->path, '?') ? "&" : "?";
    int n;
    if (req->method == SCEPKIT_HTTP_POST) {
        n = snprintf(http_head, sizeof http_head,
                     "POST %s%s%s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     h->path, sep, req->query, req->content_type, req->body.len);
    } else {
        /* the query may be long (over 8 KB): send it in pieces instead of formatting it into a buffer */
        n = snprintf(http_head, sizeof http_head, "GET %s%s", h->path, sep);
    }
    if (n < 0 || (size_t)n >= sizeof http_head || send_all(fd, http_head, (size_t)n) != 0) {
        close(fd);
        return;
    }
    if (req->method == SCEPKIT_HTTP_POST) {
        if (send_all(fd, req->body.ptr, req->body.len) != 0) {
            close(fd);
            return;
        }
    } else {
        static const char tail[] = " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (send_all(fd, req->query, req->query_len) != 0 || send_all(fd, tail, sizeof tail - 1) != 0) {
            close(fd);
            return;
        }
    }
    /* Read the head into http_head, then the body into buf. */
    size_t hl = 0, bl = 0;
    int in_body = 0, too_large = 0;
    for (;;) {
        uint8_t chunk[1024];
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            close(fd);
            resp->err = errno == EAGAIN ? SCEPKIT_ERR_TRANSPORT_TIMEOUT : SCEPKIT_ERR_TRANSPORT;
            return;
        }
        if (r == 0) {
            break;
        }
        size_t i = 0;
        while (!in_body && i < (size_t)r) {
            if (hl + 1 >= sizeof http_head) {
                close(fd);
                return; /* a head this long is not an answer we want */
            }
            http_head[hl++] = (char)chunk[i++];
            http_head[hl] = 0;
            if (hl >= 4 && memcmp(http_head + hl - 4, "\r\n\r\n", 4) == 0) {
                in_body = 1;
            }
        }
        size_t rest = (size_t)r - i;
        if (rest > cap - bl) {
            too_large = 1;
            break;
        }
        memcpy(buf + bl, chunk + i, rest);
        bl += rest;
    }
    close(fd);
    if (too_large) {
        resp->err = SCEPKIT_ERR_RESPONSE_TOO_LARGE;
        return;
    }
    int status = 0;
    if (!in_body || sscanf(http_head, "HTTP/1.%*d %d", &status) != 1) {
        return;
    }
    content_type[0] = 0;
    for (char *line = strstr(http_head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Type:", 13) == 0) {
            const char *v = line + 15;
            while (*v == ' ') {
                v++;
            }
            size_t vl = strcspn(v, "\r");
            if (vl >= sizeof content_type) {
                vl = sizeof content_type - 1;
            }
            memcpy(content_type, v, vl);
            content_type[vl] = 0;
        }
    }
    resp->err = SCEPKIT_OK;
    resp->status = status;
    resp->content_type = scepkit_bytes_str(content_type);
    resp->body = (scepkit_bytes){buf, bl};
}

/* --- "flash" ------------------------------------------------------------------------------------------ */
static int flash_write(const char *path, const uint8_t *p, size_t n)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        return -1;
    }
    return rename(tmp, path); /* the old state or the new one, never half of each */
}

static long flash_read(const char *path, uint8_t *p, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(p, 1, cap, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    return more ? -2 : (long)n;
}

static int save_state(scepkit_client *c, const char *path)
{
    size_t len = 0;
    scepkit_err e = scepkit_client_save(c, state_buf, sizeof state_buf, &len);
    if (e != SCEPKIT_OK || flash_write(path, state_buf, len) != 0) {
        fprintf(stderr, "cannot save the state: %s\n", scepkit_strerror(e));
        return -1;
    }
    printf("state saved (%zu bytes)\n", len);
    return 0;
}

static int parse_pin(const char *hex, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    return hex[64] == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s URL CA_SHA256_HEX KEY.pem STATE_FILE CERT_OUT.der CHALLENGE [--legacy] [--cut]\n",
                argv[0]);
        return 1;
    }
    const char *url = argv[1], *key_path = argv[3], *state_path = argv[4], *out_path = argv[5];
    int legacy = 0, cut = 0;
    for (int i = 7; i < argc; i++) {
        legacy |= strcmp(argv[i], "--legacy") == 0;
        cut |= strcmp(argv[i], "--cut") == 0;
    }
    static uint8_t pin[1][32];
    socket_http http;
    if (parse_pin(argv[2], pin[0]) != 0 || parse_url(url, &http) != 0) {
        fprintf(stderr, "bad CA fingerprint or URL (http://IPv4:PORT/path)\n");
        return 1;
    }

    int rc = 1;
    scepkit_drbg drbg;
    secure_element se;
    scepkit_client cl;
    memset(&drbg, 0, sizeof drbg);
    memset(&cl, 0, sizeof cl);
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("firmware example"));
    scepkit_softkey_init(&se.inner, scepkit_drbg_rng(&drbg));
    se.calls = 0;
    long kl = flash_read(key_path, key_file_buf, sizeof key_file_buf);
    if (e == SCEPKIT_OK && kl > 0) {
        e = scepkit_softkey_parse(&se.inner, (scepkit_bytes){key_file_buf, (size_t)kl}, scepkit_bytes_str(""));
    }
    scepkit_wipe(key_file_buf, sizeof key_file_buf);
    if (e != SCEPKIT_OK || kl <= 0) {
        fprintf(stderr, "cannot load the element's key: %s\n", scepkit_strerror(e));
        goto out;
    }
    scepkit_key key = {&se_ops, &se};

    /* The CSR is made again at every boot (RSA PKCS#1 v1.5 signatures are deterministic: the same bytes); it is
     * needed only until the server has said PENDING, and holds the challenge, so it is not kept in flash. */
    scepkit_name_attr subject[4];
    size_t nsubject = 0;
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    e = scepkit_name_from_string(scepkit_bytes_str("CN=sensor-0042,O=Acme Devices"), subject, 4, &nsubject, NULL, 0);
    p.subject = subject;
    p.subject_count = nsubject;
    p.challenge = scepkit_bytes_str(argv[6]);
    size_t csr_len = 0;
    do {
        scepkit_arena a;
        scepkit_arena_init(&a, csr_scratch, sizeof csr_scratch);
        if (e == SCEPKIT_OK || e == SCEPKIT_ERR_KEY_WOULD_BLOCK) {
            e = scepkit_csr_write(&p, key, &a, csr_buf, sizeof csr_buf, &csr_len);
        }
    } while (e == SCEPKIT_ERR_KEY_WOULD_BLOCK);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "csr: %s\n", scepkit_strerror(e));
        goto out;
    }

    scepkit_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.op = SCEPKIT_OP_ENROLL;
    cfg.pins = (const uint8_t(*)[32])pin;
    cfg.pin_count = 1;
    cfg.allow_legacy = legacy;
    cfg.csr = (scepkit_bytes){csr_buf, csr_len};
    cfg.key = key;
    cfg.rng = scepkit_drbg_rng(&drbg);
    cfg.now = (int64_t)time(NULL);
    cfg.max_polls = 3;
    cfg.max_message = MAX_MESSAGE;

    long sl = flash_read(state_path, state_buf, sizeof state_buf);
    if (sl > 0) {
        e = scepkit_client_restore(&cl, &cfg, engine_mem, sizeof engine_mem, (scepkit_bytes){state_buf, (size_t)sl});
        printf("resuming from the saved state: %s\n", scepkit_strerror(e));
    } else {
        e = scepkit_client_init(&cl, &cfg, engine_mem, sizeof engine_mem);
    }
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "engine: %s\n", scepkit_strerror(e));
        goto out;
    }

    scepkit_client_status st;
    scepkit_http_response resp;
    const scepkit_http_response *answer = NULL;
    for (;;) {
        e = scepkit_client_step(&cl, answer, &st);
        if (e == SCEPKIT_ERR_KEY_WOULD_BLOCK) {
            /* The element was busy: step again; with the same answer if it is still expected (the element was
             * decrypting it), else without (it was signing the next request). */
            answer = scepkit_client_request(&cl) != NULL ? answer : NULL;
            continue;
        }
        if (e != SCEPKIT_OK) {
            fprintf(stderr, "enrollment step: %s (%s)\n", scepkit_strerror(e), scepkit_err_name(e));
            goto out;
        }
        if (st != SCEPKIT_CLIENT_SEND) {
            break;
        }
        const scepkit_http_request *rq = scepkit_client_request(&cl);
        if (cut && strcmp(rq->operation, "PKIOperation") == 0) {
            /* the power goes while the request is on the wire: the state says a request is outstanding */
            uint8_t *buf;
            size_t cap;
            (void)scepkit_client_response_buffer(&cl, &buf, &cap);
            http_exchange(&http, rq, buf, cap, &resp); /* sent; the answer is lost with the power */
            rc = save_state(&cl, state_path) == 0 ? 2 : 1;
            printf("power cut after sending %s (transactionID %s)\n", rq->operation,
                   scepkit_client_transaction_id(&cl));
            goto out;
        }
        printf("%s %s (%zu bytes)\n", rq->method == SCEPKIT_HTTP_POST ? "POST" : "GET", rq->operation,
               rq->method == SCEPKIT_HTTP_POST ? rq->body.len : rq->query_len);
        uint8_t *buf;
        size_t cap;
        (void)scepkit_client_response_buffer(&cl, &buf, &cap);
        http_exchange(&http, rq, buf, cap, &resp);
        answer = &resp;
    }
    if (st == SCEPKIT_CLIENT_PENDING) {
        /* a device would sleep until its next poll slot, or power down: the state is all it needs */
        printf("PENDING: polling later\n");
        rc = save_state(&cl, state_path) == 0 ? 2 : 1;
        goto out;
    }
    const scepkit_client_result *r = scepkit_client_result_get(&cl);
    if (r->pki_status == SCEPKIT_STATUS_SUCCESS) {
        if (flash_write(out_path, r->cert.ptr, r->cert.len) != 0) {
            perror(out_path);
            goto out;
        }
        remove(state_path);
        printf("issued: %zu-byte certificate (transactionID %s)\n", r->cert.len, scepkit_client_transaction_id(&cl));
        rc = 0;
    } else if (r->pki_status == SCEPKIT_STATUS_PENDING) {
        printf("still PENDING after %u polls\n", r->polls);
        rc = save_state(&cl, state_path) == 0 ? 2 : 1;
    } else {
        printf("FAILURE: %s %s\n", scepkit_fail_info_name(r->fail_info), r->fail_text);
        remove(state_path);
    }
out:
    scepkit_client_free(&cl);
    scepkit_softkey_free(&se.inner);
    scepkit_drbg_free(&drbg);
    return rc;
}
