#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

int tool_verbose = 0;

uint8_t *tool_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "scepkit: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            break;
        }
        if (cap > (64u << 20)) {
            fprintf(stderr, "scepkit: %s is larger than 64 MiB\n", path);
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
    if (f != stdin) {
        fclose(f);
    }
    if (buf != NULL) {
        buf[n] = 0; /* PEM readers like a NUL after the text */
        *len = n;
    }
    return buf;
}

int tool_write_file(const char *path, const uint8_t *data, size_t len, int private_mode)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        return fwrite(data, 1, len, stdout) == len ? 0 : -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, private_mode ? 0600 : 0644);
    if (fd < 0) {
        fprintf(stderr, "scepkit: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "scepkit: cannot write %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd) == 0 ? 0 : -1;
}

uint8_t *tool_read_der(const char *path, const char *label, size_t *len)
{
    size_t n = 0;
    uint8_t *buf = tool_read_file(path, &n);
    if (buf == NULL) {
        return NULL;
    }
    scepkit_bytes in = {buf, n};
    if (!scepkit_is_pem(in)) {
        *len = n;
        return buf;
    }
    /* Decode in place: DER is always shorter than its PEM. */
    size_t der_len = 0;
    scepkit_err e = scepkit_pem_decode(in, label, buf, n, &der_len, NULL, NULL);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "scepkit: %s: no readable PEM block%s%s: %s\n", path, label ? " " : "", label ? label : "",
                scepkit_strerror(e));
        free(buf);
        return NULL;
    }
    *len = der_len;
    return buf;
}

int tool_write_der_or_pem(const char *path, const uint8_t *der, size_t len, const char *label, int as_pem)
{
    if (!as_pem) {
        return tool_write_file(path, der, len, 0);
    }
    size_t need = 0;
    scepkit_bytes in = {der, len};
    (void)scepkit_pem_encode(in, label, NULL, 0, &need);
    char *pem = malloc(need + 1);
    if (pem == NULL) {
        return -1;
    }
    size_t got = 0;
    scepkit_err e = scepkit_pem_encode(in, label, pem, need + 1, &got);
    int rc = e == SCEPKIT_OK ? tool_write_file(path, (const uint8_t *)pem, got, 0) : -1;
    free(pem);
    return rc;
}

void tool_err(const char *what, scepkit_err e)
{
    fprintf(stderr, "scepkit: %s: %s (%s)\n", what, scepkit_strerror(e), scepkit_err_name(e));
}

void tool_hex(FILE *f, const uint8_t *p, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%02x", (i && sep) ? sep : "", p[i]);
    }
}
