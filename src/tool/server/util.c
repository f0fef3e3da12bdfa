/* scepkit-server: file and text helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srv_tool.h"

uint8_t *srv_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "scepkit-server: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        if (cap > (16u << 20)) {
            fprintf(stderr, "scepkit-server: %s is larger than 16 MiB\n", path);
            free(buf);
            buf = NULL;
            break;
        }
        uint8_t *bigger = realloc(buf, cap * 2 + 1);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = 0; /* PEM readers like a NUL after the text */
        *len = n;
    }
    return buf;
}

int srv_write_file(const char *path, const uint8_t *data, size_t len, int private_mode, int exclusive)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        return fwrite(data, 1, len, stdout) == len ? 0 : -1;
    }
    int flags = O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC);
    int fd = open(path, flags, private_mode ? 0600 : 0644);
    if (fd < 0) {
        fprintf(stderr, "scepkit-server: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "scepkit-server: cannot write %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    /* Keys and certificates of a CA: make them durable before anyone relies on them. */
    if (fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "scepkit-server: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

uint8_t *srv_read_cert(const char *path, size_t *len)
{
    size_t n = 0;
    uint8_t *buf = srv_read_file(path, &n);
    if (buf == NULL) {
        return NULL;
    }
    scepkit_bytes in = {buf, n};
    if (!scepkit_is_pem(in)) {
        *len = n;
        return buf;
    }
    size_t der_len = 0;
    scepkit_err e = scepkit_pem_decode(in, "CERTIFICATE", buf, n, &der_len, NULL, NULL);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "scepkit-server: %s: no CERTIFICATE block: %s\n", path, scepkit_strerror(e));
        free(buf);
        return NULL;
    }
    *len = der_len;
    return buf;
}

int srv_write_pem(const char *path, const uint8_t *der, size_t len, const char *label, int exclusive)
{
    size_t need = 0;
    scepkit_bytes in = {der, len};
    (void)scepkit_pem_encode(in, label, NULL, 0, &need);
    char *pem = malloc(need + 1);
    if (pem == NULL) {
        return -1;
    }
    size_t got = 0;
    scepkit_err e = scepkit_pem_encode(in, label, pem, need + 1, &got);
    int rc = e == SCEPKIT_OK ? srv_write_file(path, (const uint8_t *)pem, got, 0, exclusive) : -1;
    free(pem);
    return rc;
}

void srv_err(const char *what, scepkit_err e)
{
    fprintf(stderr, "scepkit-server: %s: %s (%s)\n", what, scepkit_strerror(e), scepkit_err_name(e));
}

void srv_hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
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

long srv_unhex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
    }
    for (const char *p = text; *p != 0; p++) {
        if (*p == ':') {
            continue;
        }
        int v = hexval(*p);
        if (v < 0) {
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap) {
                return -1;
            }
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (long)n : -1;
}

void srv_path_join(char *out, size_t cap, const char *dir, const char *path)
{
    if (path[0] == '/' || dir[0] == 0) {
        snprintf(out, cap, "%s", path);
    } else {
        snprintf(out, cap, "%s/%s", dir, path);
    }
}

void srv_name_text(scepkit_bytes name, char *out, size_t cap)
{
    size_t len = 0;
    if (scepkit_name_format(name, out, cap, &len) != SCEPKIT_OK) {
        snprintf(out, cap, "?");
    }
}

void srv_time_text(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, cap, "%lld", (long long)t);
    }
}
