/*
 * The embedded file store (include/scepkit/store.h): a directory of CBOR records.
 *
 *   DIR/lock                  flock() target for read-modify-write steps
 *   DIR/tmp/                  temporary files (same file system, so rename()/link() are atomic)
 *   DIR/certs/SERIAL.cbor     issued certificate; an EMPTY file is a claimed serial not (yet) issued
 *   DIR/revoked/SERIAL.cbor   revocation of SERIAL
 *   DIR/tx/H.cbor             transaction, H = hex SHA-256 of the transactionID
 *   DIR/otp/ID.cbor           one-time password (salted hash)
 *   DIR/tokens/ID.cbor        single-use challenge token: the key it enrolled (ID: the token's identifier)
 *   DIR/crlnumber.cbor        last CRL number handed out
 *
 * Durability: a record is written to tmp/ with mkstemp(), fsync()ed, then moved into place with
 * rename() (replace) or link() (create only if absent: link() fails with EEXIST, which makes
 * "create" atomic across processes), and the target directory is fsync()ed. A crash therefore
 * leaves the old record or the new one. Serial claims are open(O_CREAT|O_EXCL): a serial is claimed
 * once by one process, and the claim file is never removed, so a serial is never handed out again.
 *
 * Temporary files a crash left in tmp/ are removed when a store is opened, once older than an hour
 * (a live writer's temporary file exists for milliseconds); expired token records are purged at
 * most every 10 minutes by token_use.
 *
 * Concurrency: claims and creates need no lock (O_EXCL and link() decide; token records too).
 * Compare-and-set steps (tx_update, tx_remove, crl_number_next, otp_put, otp_consume) take this
 * object's mutex (threads) and an exclusive flock() on DIR/lock (processes; each scepkit_file_store
 * has its own open file description, so two stores opened on one directory, in one process or two,
 * exclude each other).
 *
 * This is a host component: it uses POSIX file APIs and the heap (directory walks).
 */
#define _DEFAULT_SOURCE /* flock(), mkstemp() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "port/crypto_port.h"
#include "scepkit/store.h"
#include "server/cbor_rec.h"
#include "server/server_internal.h"

#define PATH_CAP 600

scepkit_err scepkit_clock_now(scepkit_clock clock, int64_t *out)
{
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    if (clock.ops == NULL || clock.ops->now == NULL) {
        *out = (int64_t)time(NULL);
        return SCEPKIT_OK;
    }
    return clock.ops->now(clock.self, out);
}

scepkit_err skit_store_missing(void)
{
    return SCEPKIT_ERR_UNSUPPORTED;
}

/* ---------------------------------------------------------------------------------------------- */
/* Paths and file primitives */

static scepkit_err path_of(const scepkit_file_store *fs, const char *sub, const char *name, char *out)
{
    int n = snprintf(out, PATH_CAP, "%s/%s/%s", fs->dir, sub, name);
    return n > 0 && n < PATH_CAP ? SCEPKIT_OK : SCEPKIT_ERR_ARG;
}

static scepkit_err serial_name(scepkit_bytes serial, char *out /* >= 2*20+6 */)
{
    scepkit_bytes m = skit_serial_magnitude(serial);
    if (m.len == 0 || m.len > SCEPKIT_SERIAL_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    skit_hex(m.ptr, m.len, out);
    strcat(out, ".cbor");
    return SCEPKIT_OK;
}

static scepkit_err tx_name(scepkit_bytes txid, char *out /* >= 70 */)
{
    uint8_t h[32];
    if (txid.len == 0 || txid.len > SCEPKIT_TRANSACTION_ID_MAX || txid.ptr == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = skit_md(SCEPKIT_MD_SHA256, txid.ptr, txid.len, h);
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_hex(h, sizeof h, out);
    strcat(out, ".cbor");
    return SCEPKIT_OK;
}

static scepkit_err fsync_dir(const scepkit_file_store *fs, const char *sub)
{
    char p[PATH_CAP];
    int n = snprintf(p, sizeof p, "%s/%s", fs->dir, sub);
    if (n <= 0 || n >= (int)sizeof p) {
        return SCEPKIT_ERR_ARG;
    }
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return SCEPKIT_ERR_IO;
    }
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? SCEPKIT_OK : SCEPKIT_ERR_IO;
}

static scepkit_err write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return SCEPKIT_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return SCEPKIT_OK;
}

/* Writes `data` to a fresh temporary file (fsynced); its path goes to `tmp`. */
static scepkit_err write_temp(const scepkit_file_store *fs, const uint8_t *data, size_t len, char *tmp)
{
    int n = snprintf(tmp, PATH_CAP, "%s/tmp/rec.XXXXXX", fs->dir);
    if (n <= 0 || n >= PATH_CAP) {
        return SCEPKIT_ERR_ARG;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        return SCEPKIT_ERR_IO;
    }
    scepkit_err err = write_all(fd, data, len);
    if (err == SCEPKIT_OK && fsync(fd) != 0) {
        err = SCEPKIT_ERR_IO;
    }
    if (close(fd) != 0 && err == SCEPKIT_OK) {
        err = SCEPKIT_ERR_IO;
    }
    if (err != SCEPKIT_OK) {
        unlink(tmp);
    }
    return err;
}

/* Replaces (rename) or creates-if-absent (link) DIR/sub/name with `data`, durably. */
static scepkit_err put_file(const scepkit_file_store *fs, const char *sub, const char *name, const uint8_t *data,
                            size_t len, int exclusive)
{
    char tmp[PATH_CAP], dst[PATH_CAP];
    scepkit_err err = path_of(fs, sub, name, dst);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = write_temp(fs, data, len, tmp);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (exclusive) {
        if (link(tmp, dst) != 0) {
            err = errno == EEXIST ? SCEPKIT_ERR_STORE_EXISTS : SCEPKIT_ERR_IO;
        }
        unlink(tmp);
    } else if (rename(tmp, dst) != 0) {
        err = SCEPKIT_ERR_IO;
        unlink(tmp);
    }
    if (err == SCEPKIT_OK) {
        err = fsync_dir(fs, sub);
    }
    return err;
}

/* Reads DIR/sub/name into buf. SCEPKIT_ERR_NOT_FOUND when absent; an empty file reads as length 0. */
static scepkit_err get_file(const scepkit_file_store *fs, const char *sub, const char *name, uint8_t *buf, size_t cap,
                            size_t *len)
{
    char p[PATH_CAP];
    scepkit_err err = path_of(fs, sub, name, p);
    if (err != SCEPKIT_OK) {
        return err;
    }
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? SCEPKIT_ERR_NOT_FOUND : SCEPKIT_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return SCEPKIT_ERR_IO;
    }
    if ((uint64_t)st.st_size > SCEPKIT_FILE_STORE_RECORD_MAX) {
        close(fd);
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    size_t want = (size_t)st.st_size;
    *len = want;
    if (want > cap) {
        close(fd);
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            close(fd);
            return SCEPKIT_ERR_IO;
        }
        got += (size_t)r;
    }
    close(fd);
    return SCEPKIT_OK;
}

static scepkit_err remove_file(const scepkit_file_store *fs, const char *sub, const char *name)
{
    char p[PATH_CAP];
    scepkit_err err = path_of(fs, sub, name, p);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (unlink(p) != 0) {
        return errno == ENOENT ? SCEPKIT_ERR_NOT_FOUND : SCEPKIT_ERR_IO;
    }
    return fsync_dir(fs, sub);
}

static scepkit_err lock_store(scepkit_file_store *fs)
{
    if (pthread_mutex_lock(&fs->mu) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    while (flock(fs->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            pthread_mutex_unlock(&fs->mu);
            return SCEPKIT_ERR_IO;
        }
    }
    return SCEPKIT_OK;
}

static void unlock_store(scepkit_file_store *fs)
{
    flock(fs->lock_fd, LOCK_UN);
    pthread_mutex_unlock(&fs->mu);
}

/* Calls fn(ctx, name, data, len) for every non-empty *.cbor file of DIR/sub. */
typedef scepkit_err (*file_fn)(void *ctx, const char *name, const uint8_t *data, size_t len);

static scepkit_err each_file(const scepkit_file_store *fs, const char *sub, file_fn fn, void *ctx)
{
    char p[PATH_CAP];
    int n = snprintf(p, sizeof p, "%s/%s", fs->dir, sub);
    if (n <= 0 || n >= (int)sizeof p) {
        return SCEPKIT_ERR_ARG;
    }
    DIR *d = opendir(p);
    if (d == NULL) {
        return SCEPKIT_ERR_IO;
    }
    uint8_t *buf = malloc(SCEPKIT_FILE_STORE_RECORD_MAX);
    if (buf == NULL) {
        closedir(d);
        return SCEPKIT_ERR_IO;
    }
    scepkit_err err = SCEPKIT_OK;
    struct dirent *e;
    while (err == SCEPKIT_OK && (e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 5, ".cbor") != 0) {
            continue;
        }
        size_t len = 0;
        err = get_file(fs, sub, e->d_name, buf, SCEPKIT_FILE_STORE_RECORD_MAX, &len);
        if (err == SCEPKIT_ERR_NOT_FOUND) {
            err = SCEPKIT_OK; /* removed meanwhile */
            continue;
        }
        if (err == SCEPKIT_OK && len > 0) {
            err = fn(ctx, e->d_name, buf, len);
        }
    }
    scepkit_wipe(buf, SCEPKIT_FILE_STORE_RECORD_MAX);
    free(buf);
    closedir(d);
    return err;
}

/* ---------------------------------------------------------------------------------------------- */
/* Record codecs */

/*
 * Certificate record (certs/SERIAL.cbor), a CBOR map:
 *   { 1: serial bstr, 2: certificate DER bstr, 3: issuedAt uint, 4: notAfter uint,
 *     ? 5: transactionID tstr, ? 6: profile tstr }   (5 and 6 absent in records written before they were kept)
 * Transaction-to-certificate pointer (txcert/H.cbor, H as for tx/): { 1: serial bstr }
 * Revocation record (revoked/SERIAL.cbor):
 *   { 1: serial bstr, 2: revokedAt uint, 3: reason+1 uint (0: no reasonCode) }
 */
static scepkit_err cert_decode(scepkit_bytes in, scepkit_store_cert *out)
{
    skit_rec_field f[6] = {
        {1, SKIT_REC_BYTES, 0, {0}, 0}, {2, SKIT_REC_BYTES, 0, {0}, 0}, {3, SKIT_REC_UINT, 0, {0}, 0},
        {4, SKIT_REC_UINT, 0, {0}, 0},  {5, SKIT_REC_TEXT, 0, {0}, 0},  {6, SKIT_REC_TEXT, 0, {0}, 0},
    };
    scepkit_err err = skit_rec_read_map(in, f, 6);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!f[0].present || !f[1].present || f[0].b.len == 0 || f[0].b.len > SCEPKIT_SERIAL_MAX || f[2].u > INT64_MAX ||
        f[3].u > INT64_MAX || f[4].b.len > SCEPKIT_TRANSACTION_ID_MAX ||
        (f[4].b.len > 0 && memchr(f[4].b.ptr, 0, f[4].b.len) != NULL) || f[5].b.len > SCEPKIT_PROFILE_NAME_MAX ||
        (f[5].b.len > 0 && memchr(f[5].b.ptr, 0, f[5].b.len) != NULL)) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->serial, f[0].b.ptr, f[0].b.len);
    out->serial_len = f[0].b.len;
    out->cert = f[1].b;
    out->issued_at = (int64_t)f[2].u;
    out->not_after = (int64_t)f[3].u;
    out->reason = -1;
    if (f[4].b.len > 0) {
        memcpy(out->transaction_id, f[4].b.ptr, f[4].b.len);
    }
    if (f[5].b.len > 0) {
        memcpy(out->profile, f[5].b.ptr, f[5].b.len);
    }
    return SCEPKIT_OK;
}

static scepkit_err revoked_decode(scepkit_bytes in, scepkit_store_revoked *out)
{
    skit_rec_field f[3] = {
        {1, SKIT_REC_BYTES, 0, {0}, 0},
        {2, SKIT_REC_UINT, 0, {0}, 0},
        {3, SKIT_REC_UINT, 0, {0}, 0},
    };
    scepkit_err err = skit_rec_read_map(in, f, 3);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!f[0].present || f[0].b.len == 0 || f[0].b.len > SCEPKIT_SERIAL_MAX || f[1].u > INT64_MAX || f[2].u > 11) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->serial, f[0].b.ptr, f[0].b.len);
    out->serial_len = f[0].b.len;
    out->revoked_at = (int64_t)f[1].u;
    out->reason = (int)f[2].u - 1;
    return SCEPKIT_OK;
}

/*
 * Transaction record (tx/H.cbor), a CBOR map:
 *   { 1: transactionID tstr, 2: keyHash bstr(32), 3: state uint, 4: messageType uint, 5: created uint,
 *     6: updated uint, 7: profile tstr, 8: notAfter uint, 9: csr bstr, 10: signerCert bstr,
 *     11: certificate bstr, 12: failInfo uint, 13: failInfoText tstr, 14: caPending uint,
 *     15: signerHash bstr(32) }
 */
enum {
    TXF_ID,
    TXF_KEY,
    TXF_STATE,
    TXF_TYPE,
    TXF_CREATED,
    TXF_UPDATED,
    TXF_PROFILE,
    TXF_NOT_AFTER,
    TXF_CSR,
    TXF_SIGNER,
    TXF_CERT,
    TXF_FAIL,
    TXF_TEXT,
    TXF_CA_PENDING,
    TXF_SIGNER_HASH,
    TXF_COUNT
};

static void tx_fields(skit_rec_field *f)
{
    static const skit_rec_kind kinds[TXF_COUNT] = {
        SKIT_REC_TEXT,  SKIT_REC_BYTES, SKIT_REC_UINT, SKIT_REC_UINT,  SKIT_REC_UINT,
        SKIT_REC_UINT,  SKIT_REC_TEXT,  SKIT_REC_UINT, SKIT_REC_BYTES, SKIT_REC_BYTES,
        SKIT_REC_BYTES, SKIT_REC_UINT,  SKIT_REC_TEXT, SKIT_REC_UINT,  SKIT_REC_BYTES,
    };
    for (size_t i = 0; i < TXF_COUNT; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].key = i + 1;
        f[i].kind = kinds[i];
    }
}

static scepkit_err tx_check(const scepkit_store_tx *tx)
{
    size_t idlen = strnlen(tx->transaction_id, sizeof tx->transaction_id);
    if (idlen == 0 || idlen > SCEPKIT_TRANSACTION_ID_MAX || tx->state < SCEPKIT_TX_IN_PROGRESS ||
        tx->state > SCEPKIT_TX_REJECTED || tx->created < 0 || tx->updated < 0 || tx->not_after < 0 ||
        strnlen(tx->profile, sizeof tx->profile) > SCEPKIT_PROFILE_NAME_MAX ||
        strnlen(tx->fail_text, sizeof tx->fail_text) > SCEPKIT_FAIL_TEXT_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    return SCEPKIT_OK;
}

/* Encodes into a malloc'd buffer. */
static scepkit_err tx_encode(const scepkit_store_tx *tx, uint8_t **out, size_t *len)
{
    skit_rec_field f[TXF_COUNT];
    tx_fields(f);
    f[TXF_ID].b = scepkit_bytes_str(tx->transaction_id);
    f[TXF_KEY].b = (scepkit_bytes){tx->key_hash, sizeof tx->key_hash};
    f[TXF_STATE].u = (uint64_t)tx->state;
    f[TXF_TYPE].u = (uint64_t)tx->msg_type;
    f[TXF_CREATED].u = (uint64_t)tx->created;
    f[TXF_UPDATED].u = (uint64_t)tx->updated;
    f[TXF_PROFILE].b = scepkit_bytes_str(tx->profile);
    f[TXF_NOT_AFTER].u = (uint64_t)tx->not_after;
    f[TXF_CSR].b = tx->csr;
    f[TXF_SIGNER].b = tx->signer_cert;
    f[TXF_CERT].b = tx->cert;
    f[TXF_FAIL].u = (uint64_t)tx->fail_info;
    f[TXF_TEXT].b = scepkit_bytes_str(tx->fail_text);
    f[TXF_CA_PENDING].u = tx->ca_pending ? 1 : 0;
    f[TXF_SIGNER_HASH].b = (scepkit_bytes){tx->signer_hash, sizeof tx->signer_hash};
    for (size_t i = 0; i < TXF_COUNT; i++) {
        f[i].present = f[i].kind == SKIT_REC_UINT || f[i].b.len > 0 || i == TXF_ID;
    }
    size_t n = 0;
    scepkit_err err = skit_rec_write_map(f, TXF_COUNT, NULL, 0, &n);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return err == SCEPKIT_OK ? SCEPKIT_ERR_INTERNAL : err;
    }
    if (n > SCEPKIT_FILE_STORE_RECORD_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    *out = malloc(n);
    if (*out == NULL) {
        return SCEPKIT_ERR_IO;
    }
    err = skit_rec_write_map(f, TXF_COUNT, *out, n, len);
    if (err != SCEPKIT_OK) {
        free(*out);
        *out = NULL;
    }
    return err;
}

static scepkit_err tx_decode(scepkit_bytes in, scepkit_store_tx *out)
{
    skit_rec_field f[TXF_COUNT];
    tx_fields(f);
    scepkit_err err = skit_rec_read_map(in, f, TXF_COUNT);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (!f[TXF_ID].present || f[TXF_ID].b.len == 0 || f[TXF_ID].b.len > SCEPKIT_TRANSACTION_ID_MAX ||
        !f[TXF_KEY].present || f[TXF_KEY].b.len != SCEPKIT_KEY_HASH_LEN || f[TXF_STATE].u < SCEPKIT_TX_IN_PROGRESS ||
        f[TXF_STATE].u > SCEPKIT_TX_REJECTED || f[TXF_TYPE].u > 255 || f[TXF_CREATED].u > INT64_MAX ||
        f[TXF_UPDATED].u > INT64_MAX || f[TXF_NOT_AFTER].u > INT64_MAX ||
        f[TXF_PROFILE].b.len > SCEPKIT_PROFILE_NAME_MAX || f[TXF_FAIL].u > SCEPKIT_FAIL_BAD_CERT_ID ||
        f[TXF_TEXT].b.len > SCEPKIT_FAIL_TEXT_MAX || f[TXF_CA_PENDING].u > 1 ||
        (f[TXF_SIGNER_HASH].present && f[TXF_SIGNER_HASH].b.len != SCEPKIT_KEY_HASH_LEN)) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->transaction_id, f[TXF_ID].b.ptr, f[TXF_ID].b.len);
    memcpy(out->key_hash, f[TXF_KEY].b.ptr, SCEPKIT_KEY_HASH_LEN);
    out->state = (scepkit_tx_state)f[TXF_STATE].u;
    out->ca_pending = (int)f[TXF_CA_PENDING].u;
    if (f[TXF_SIGNER_HASH].present) {
        memcpy(out->signer_hash, f[TXF_SIGNER_HASH].b.ptr, SCEPKIT_KEY_HASH_LEN);
    }
    out->msg_type = (scepkit_msg_type)f[TXF_TYPE].u;
    out->created = (int64_t)f[TXF_CREATED].u;
    out->updated = (int64_t)f[TXF_UPDATED].u;
    if (f[TXF_PROFILE].b.len > 0) {
        memcpy(out->profile, f[TXF_PROFILE].b.ptr, f[TXF_PROFILE].b.len);
    }
    out->not_after = (int64_t)f[TXF_NOT_AFTER].u;
    out->csr = f[TXF_CSR].b;
    out->signer_cert = f[TXF_SIGNER].b;
    out->cert = f[TXF_CERT].b;
    out->fail_info = (scepkit_fail_info)f[TXF_FAIL].u;
    if (f[TXF_TEXT].b.len > 0) {
        memcpy(out->fail_text, f[TXF_TEXT].b.ptr, f[TXF_TEXT].b.len);
    }
    return SCEPKIT_OK;
}

/*
 * One-time password record (otp/ID.cbor):
 *   { 1: id bstr(8), 2: salt bstr(16), 3: hash bstr(32), 4: created uint, 5: expires uint, 6: profile tstr }
 */
static scepkit_err otp_encode(const scepkit_store_otp *o, uint8_t *out, size_t cap, size_t *len)
{
    skit_rec_field f[6] = {
        {1, SKIT_REC_BYTES, 0, {o->id, sizeof o->id}, 1},     {2, SKIT_REC_BYTES, 0, {o->salt, sizeof o->salt}, 1},
        {3, SKIT_REC_BYTES, 0, {o->hash, sizeof o->hash}, 1}, {4, SKIT_REC_UINT, (uint64_t)o->created, {0}, 1},
        {5, SKIT_REC_UINT, (uint64_t)o->expires, {0}, 1},     {6, SKIT_REC_TEXT, 0, scepkit_bytes_str(o->profile), 1},
    };
    return skit_rec_write_map(f, 6, out, cap, len);
}

static scepkit_err otp_decode(scepkit_bytes in, scepkit_store_otp *out)
{
    skit_rec_field f[6] = {
        {1, SKIT_REC_BYTES, 0, {0}, 0}, {2, SKIT_REC_BYTES, 0, {0}, 0}, {3, SKIT_REC_BYTES, 0, {0}, 0},
        {4, SKIT_REC_UINT, 0, {0}, 0},  {5, SKIT_REC_UINT, 0, {0}, 0},  {6, SKIT_REC_TEXT, 0, {0}, 0},
    };
    scepkit_err err = skit_rec_read_map(in, f, 6);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (f[0].b.len != sizeof out->id || f[1].b.len != sizeof out->salt || f[2].b.len != sizeof out->hash ||
        f[3].u > INT64_MAX || f[4].u > INT64_MAX || f[5].b.len > SCEPKIT_PROFILE_NAME_MAX) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->id, f[0].b.ptr, sizeof out->id);
    memcpy(out->salt, f[1].b.ptr, sizeof out->salt);
    memcpy(out->hash, f[2].b.ptr, sizeof out->hash);
    out->created = (int64_t)f[3].u;
    out->expires = (int64_t)f[4].u;
    if (f[5].b.len > 0) {
        memcpy(out->profile, f[5].b.ptr, f[5].b.len);
    }
    return SCEPKIT_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Ops */

static scepkit_err fs_serial_claim(void *self, scepkit_bytes serial)
{
    scepkit_file_store *fs = self;
    char name[64], p[PATH_CAP];
    scepkit_err err = serial_name(serial, name);
    if (err == SCEPKIT_OK) {
        err = path_of(fs, "certs", name, p);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno == EEXIST ? SCEPKIT_ERR_STORE_EXISTS : SCEPKIT_ERR_IO;
    }
    close(fd);
    /* Not fsynced here: the claim only has to be durable once a certificate with that serial exists, and
     * cert_put() fsyncs the same directory after its rename. */
    return SCEPKIT_OK;
}

static scepkit_err fs_cert_put(void *self, const scepkit_store_cert *rec)
{
    scepkit_file_store *fs = self;
    char name[64], p[PATH_CAP];
    if (rec == NULL || rec->cert.ptr == NULL || rec->cert.len == 0 || rec->issued_at < 0 || rec->not_after < 0) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_bytes serial = {rec->serial, rec->serial_len};
    scepkit_bytes mag = skit_serial_magnitude(serial);
    scepkit_err err = serial_name(serial, name);
    if (err == SCEPKIT_OK) {
        err = path_of(fs, "certs", name, p);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    struct stat st;
    if (stat(p, &st) != 0) {
        return errno == ENOENT ? SCEPKIT_ERR_NOT_FOUND : SCEPKIT_ERR_IO; /* never claimed */
    }
    scepkit_bytes txid = {(const uint8_t *)rec->transaction_id,
                          strnlen(rec->transaction_id, sizeof rec->transaction_id)};
    scepkit_bytes prof = {(const uint8_t *)rec->profile, strnlen(rec->profile, sizeof rec->profile)};
    if (txid.len > SCEPKIT_TRANSACTION_ID_MAX || prof.len > SCEPKIT_PROFILE_NAME_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    if (txid.len > 0) {
        /* The pointer goes first: a crash between the two writes leaves it naming a serial still claimed but
         * empty, which cert_find_tx reads as "nothing issued" (true: the certificate was never indexed). The
         * other order could index a certificate that no lookup by transaction finds. */
        char txname[80];
        uint8_t ptr[8 + SCEPKIT_SERIAL_MAX];
        size_t plen = 0;
        skit_rec_field pf[1] = {{1, SKIT_REC_BYTES, 0, mag, 1}};
        err = tx_name(txid, txname);
        if (err == SCEPKIT_OK) {
            err = skit_rec_write_map(pf, 1, ptr, sizeof ptr, &plen);
        }
        if (err == SCEPKIT_OK) {
            err = put_file(fs, "txcert", txname, ptr, plen, 0);
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
    }
    skit_rec_field f[6] = {
        {1, SKIT_REC_BYTES, 0, mag, 1},
        {2, SKIT_REC_BYTES, 0, rec->cert, 1},
        {3, SKIT_REC_UINT, (uint64_t)rec->issued_at, {0}, 1},
        {4, SKIT_REC_UINT, (uint64_t)rec->not_after, {0}, 1},
        {5, SKIT_REC_TEXT, 0, txid, txid.len > 0},
        {6, SKIT_REC_TEXT, 0, prof, prof.len > 0},
    };
    size_t n = 0;
    err = skit_rec_write_map(f, 6, NULL, 0, &n);
    if (err != SCEPKIT_ERR_BUFFER_TOO_SMALL || n > SCEPKIT_FILE_STORE_RECORD_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    uint8_t *buf = malloc(n);
    if (buf == NULL) {
        return SCEPKIT_ERR_IO;
    }
    err = skit_rec_write_map(f, 6, buf, n, &n);
    if (err == SCEPKIT_OK) {
        err = put_file(fs, "certs", name, buf, n, 0);
    }
    free(buf);
    return err;
}

static scepkit_err read_revocation(const scepkit_file_store *fs, const char *name, scepkit_store_cert *out)
{
    uint8_t buf[128];
    size_t len = 0;
    scepkit_err err = get_file(fs, "revoked", name, buf, sizeof buf, &len);
    if (err == SCEPKIT_ERR_NOT_FOUND) {
        return SCEPKIT_OK;
    }
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_store_revoked r;
    err = revoked_decode((scepkit_bytes){buf, len}, &r);
    if (err != SCEPKIT_OK) {
        return err;
    }
    out->revoked = 1;
    out->revoked_at = r.revoked_at;
    out->reason = r.reason;
    return SCEPKIT_OK;
}

static scepkit_err fs_cert_get(void *self, scepkit_bytes serial, uint8_t *buf, size_t cap, scepkit_store_cert *out)
{
    scepkit_file_store *fs = self;
    char name[64];
    if (out == NULL || (buf == NULL && cap > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    scepkit_err err = serial_name(serial, name);
    if (err != SCEPKIT_OK) {
        return err == SCEPKIT_ERR_ARG ? SCEPKIT_ERR_NOT_FOUND : err;
    }
    size_t len = 0;
    err = get_file(fs, "certs", name, buf, cap, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (len == 0) {
        return SCEPKIT_ERR_NOT_FOUND; /* claimed, never issued */
    }
    err = cert_decode((scepkit_bytes){buf, len}, out);
    if (err == SCEPKIT_OK) {
        err = read_revocation(fs, name, out);
    }
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* Follows txcert/H.cbor to the certificate it names; the record must name the same transactionID (the pointer
 * is only a hint) and be issued at `since` or later (an older one belongs to an earlier transaction that reused
 * the transactionID, e.g. a renewal by a client that derives it from the key). */
static scepkit_err fs_cert_find_tx(void *self, scepkit_bytes txid, int64_t since, uint8_t *buf, size_t cap,
                                   scepkit_store_cert *out)
{
    scepkit_file_store *fs = self;
    char txname[80];
    uint8_t ptr[64];
    size_t plen = 0;
    if (out == NULL || (buf == NULL && cap > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    scepkit_err err = tx_name(txid, txname);
    if (err == SCEPKIT_OK) {
        err = get_file(fs, "txcert", txname, ptr, sizeof ptr, &plen);
    }
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    skit_rec_field pf[1] = {{1, SKIT_REC_BYTES, 0, {0}, 0}};
    err = skit_rec_read_map((scepkit_bytes){ptr, plen}, pf, 1);
    if (err == SCEPKIT_OK && (!pf[0].present || pf[0].b.len == 0 || pf[0].b.len > SCEPKIT_SERIAL_MAX)) {
        err = SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = fs_cert_get(self, pf[0].b, buf, cap, out);
    if (err == SCEPKIT_OK && (strlen(out->transaction_id) != txid.len ||
                              memcmp(out->transaction_id, txid.ptr, txid.len) != 0 || out->issued_at < since)) {
        err = SCEPKIT_ERR_NOT_FOUND;
    }
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

typedef struct cert_walk {
    const scepkit_file_store *fs;
    scepkit_store_cert_fn fn;
    void *ctx;
} cert_walk;

static scepkit_err cert_walk_one(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    cert_walk *w = ctx;
    scepkit_store_cert rec;
    scepkit_err err = cert_decode((scepkit_bytes){data, len}, &rec);
    if (err == SCEPKIT_OK) {
        err = read_revocation(w->fs, name, &rec);
    }
    if (err == SCEPKIT_OK) {
        err = w->fn(w->ctx, &rec);
    }
    return err;
}

static scepkit_err fs_cert_each(void *self, scepkit_store_cert_fn fn, void *ctx)
{
    if (fn == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    cert_walk w = {self, fn, ctx};
    return each_file(self, "certs", cert_walk_one, &w);
}

static scepkit_err fs_revoke(void *self, scepkit_bytes serial, int reason, int64_t at)
{
    scepkit_file_store *fs = self;
    char name[64];
    uint8_t buf[64];
    size_t len = 0;
    if (reason < -1 || reason > 10 || reason == 7 || at < 0) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = serial_name(serial, name);
    if (err != SCEPKIT_OK) {
        return err;
    }
    /* Only an issued certificate (non-empty record) can be revoked. */
    char p[PATH_CAP];
    struct stat st;
    err = path_of(fs, "certs", name, p);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (stat(p, &st) != 0 || st.st_size == 0) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    scepkit_bytes mag = skit_serial_magnitude(serial);
    skit_rec_field f[3] = {
        {1, SKIT_REC_BYTES, 0, mag, 1},
        {2, SKIT_REC_UINT, (uint64_t)at, {0}, 1},
        {3, SKIT_REC_UINT, (uint64_t)(reason + 1), {0}, 1},
    };
    err = skit_rec_write_map(f, 3, buf, sizeof buf, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = put_file(fs, "revoked", name, buf, len, 1);
    return err == SCEPKIT_ERR_STORE_EXISTS ? SCEPKIT_OK : err; /* revoked before: the first date stands */
}

typedef struct revoked_walk {
    scepkit_store_revoked_fn fn;
    void *ctx;
} revoked_walk;

static scepkit_err revoked_walk_one(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    (void)name;
    revoked_walk *w = ctx;
    scepkit_store_revoked rec;
    scepkit_err err = revoked_decode((scepkit_bytes){data, len}, &rec);
    if (err == SCEPKIT_OK) {
        err = w->fn(w->ctx, &rec);
    }
    return err;
}

static scepkit_err fs_revoked_each(void *self, scepkit_store_revoked_fn fn, void *ctx)
{
    if (fn == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    revoked_walk w = {fn, ctx};
    return each_file(self, "revoked", revoked_walk_one, &w);
}

/* crlnumber.cbor: { 1: last number handed out uint } */
static scepkit_err fs_crl_number_next(void *self, uint64_t *out)
{
    scepkit_file_store *fs = self;
    uint8_t buf[32];
    size_t len = 0;
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = lock_store(fs);
    if (err != SCEPKIT_OK) {
        return err;
    }
    uint64_t last = 0;
    err = get_file(fs, ".", "crlnumber.cbor", buf, sizeof buf, &len);
    if (err == SCEPKIT_OK) {
        skit_rec_field f[1] = {{1, SKIT_REC_UINT, 0, {0}, 0}};
        err = skit_rec_read_map((scepkit_bytes){buf, len}, f, 1);
        if (err == SCEPKIT_OK && (!f[0].present || f[0].u >= INT64_MAX)) {
            err = SCEPKIT_ERR_STORE_CORRUPT;
        }
        last = f[0].u;
    } else if (err == SCEPKIT_ERR_NOT_FOUND) {
        err = SCEPKIT_OK;
    } else if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err == SCEPKIT_OK) {
        skit_rec_field f[1] = {{1, SKIT_REC_UINT, last + 1, {0}, 1}};
        err = skit_rec_write_map(f, 1, buf, sizeof buf, &len);
    }
    if (err == SCEPKIT_OK) {
        err = put_file(fs, ".", "crlnumber.cbor", buf, len, 0);
    }
    unlock_store(fs);
    if (err == SCEPKIT_OK) {
        *out = last + 1;
    }
    return err;
}

static scepkit_err fs_tx_create(void *self, const scepkit_store_tx *tx)
{
    scepkit_file_store *fs = self;
    char name[80];
    if (tx == NULL || tx_check(tx) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = tx_name(scepkit_bytes_str(tx->transaction_id), name);
    if (err != SCEPKIT_OK) {
        return err;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    err = tx_encode(tx, &buf, &len);
    if (err == SCEPKIT_OK) {
        err = put_file(fs, "tx", name, buf, len, 1);
    }
    free(buf);
    return err;
}

/* Reads the stored state of a transaction (under the lock). */
static scepkit_err tx_stored_state(const scepkit_file_store *fs, const char *name, scepkit_tx_state *state)
{
    uint8_t *buf = malloc(SCEPKIT_FILE_STORE_RECORD_MAX);
    if (buf == NULL) {
        return SCEPKIT_ERR_IO;
    }
    size_t len = 0;
    scepkit_store_tx cur;
    scepkit_err err = get_file(fs, "tx", name, buf, SCEPKIT_FILE_STORE_RECORD_MAX, &len);
    if (err == SCEPKIT_OK) {
        err = tx_decode((scepkit_bytes){buf, len}, &cur);
    }
    if (err == SCEPKIT_OK) {
        *state = cur.state;
    }
    free(buf);
    return err;
}

static scepkit_err fs_tx_update(void *self, const scepkit_store_tx *tx, scepkit_tx_state expect)
{
    scepkit_file_store *fs = self;
    char name[80];
    if (tx == NULL || tx_check(tx) != SCEPKIT_OK) {
        return SCEPKIT_ERR_ARG;
    }
    scepkit_err err = tx_name(scepkit_bytes_str(tx->transaction_id), name);
    if (err != SCEPKIT_OK) {
        return err;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    err = tx_encode(tx, &buf, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = lock_store(fs);
    if (err == SCEPKIT_OK) {
        scepkit_tx_state state = SCEPKIT_TX_NONE;
        err = tx_stored_state(fs, name, &state);
        if (err == SCEPKIT_OK && state != expect) {
            err = SCEPKIT_ERR_STORE_CONFLICT;
        }
        if (err == SCEPKIT_OK) {
            err = put_file(fs, "tx", name, buf, len, 0);
        }
        unlock_store(fs);
    }
    free(buf);
    return err;
}

static scepkit_err fs_tx_get(void *self, scepkit_bytes txid, uint8_t *buf, size_t cap, scepkit_store_tx *out)
{
    scepkit_file_store *fs = self;
    char name[80];
    if (out == NULL || (buf == NULL && cap > 0)) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    scepkit_err err = tx_name(txid, name);
    if (err != SCEPKIT_OK) {
        return err;
    }
    size_t len = 0;
    err = get_file(fs, "tx", name, buf, cap, &len);
    if (err == SCEPKIT_OK) {
        err = tx_decode((scepkit_bytes){buf, len}, out);
    }
    if (err == SCEPKIT_OK &&
        (strlen(out->transaction_id) != txid.len || memcmp(out->transaction_id, txid.ptr, txid.len) != 0)) {
        err = SCEPKIT_ERR_STORE_CORRUPT; /* a record filed under another transactionID's hash */
    }
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

static scepkit_err fs_tx_remove(void *self, scepkit_bytes txid, scepkit_tx_state expect)
{
    scepkit_file_store *fs = self;
    char name[80];
    scepkit_err err = tx_name(txid, name);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = lock_store(fs);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_tx_state state = SCEPKIT_TX_NONE;
    err = tx_stored_state(fs, name, &state);
    if (err == SCEPKIT_OK && state != expect) {
        err = SCEPKIT_ERR_STORE_CONFLICT;
    }
    if (err == SCEPKIT_OK) {
        err = remove_file(fs, "tx", name);
    }
    unlock_store(fs);
    return err;
}

typedef struct tx_walk {
    scepkit_store_tx_fn fn;
    void *ctx;
} tx_walk;

static scepkit_err tx_walk_one(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    (void)name;
    tx_walk *w = ctx;
    scepkit_store_tx rec;
    scepkit_err err = tx_decode((scepkit_bytes){data, len}, &rec);
    if (err == SCEPKIT_OK) {
        err = w->fn(w->ctx, &rec);
    }
    return err;
}

static scepkit_err fs_tx_each(void *self, scepkit_store_tx_fn fn, void *ctx)
{
    if (fn == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    tx_walk w = {fn, ctx};
    return each_file(self, "tx", tx_walk_one, &w);
}

typedef struct otp_count {
    const scepkit_file_store *fs;
    int64_t now;
    unsigned live;
} otp_count;

static scepkit_err otp_count_one(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    otp_count *c = ctx;
    scepkit_store_otp o;
    scepkit_err err = otp_decode((scepkit_bytes){data, len}, &o);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (o.expires <= c->now) {
        err = remove_file(c->fs, "otp", name); /* expired: purge */
        scepkit_wipe(&o, sizeof o);
        return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_OK : err;
    }
    c->live++;
    scepkit_wipe(&o, sizeof o);
    return SCEPKIT_OK;
}

static scepkit_err fs_otp_put(void *self, const scepkit_store_otp *otp, unsigned max_outstanding, int64_t now)
{
    scepkit_file_store *fs = self;
    char name[32];
    uint8_t buf[160];
    size_t len = 0;
    if (otp == NULL || otp->created < 0 || otp->expires <= now ||
        strnlen(otp->profile, sizeof otp->profile) > SCEPKIT_PROFILE_NAME_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    skit_hex(otp->id, sizeof otp->id, name);
    strcat(name, ".cbor");
    scepkit_err err = otp_encode(otp, buf, sizeof buf, &len);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = lock_store(fs);
    if (err == SCEPKIT_OK) {
        otp_count c = {fs, now, 0};
        err = each_file(fs, "otp", otp_count_one, &c);
        if (err == SCEPKIT_OK && c.live >= max_outstanding) {
            err = SCEPKIT_ERR_STORE_FULL;
        }
        if (err == SCEPKIT_OK) {
            err = put_file(fs, "otp", name, buf, len, 1);
        }
        unlock_store(fs);
    }
    scepkit_wipe(buf, sizeof buf);
    return err;
}

static scepkit_err fs_otp_get(void *self, const uint8_t id[8], scepkit_store_otp *out)
{
    scepkit_file_store *fs = self;
    char name[32];
    uint8_t buf[160];
    size_t len = 0;
    if (id == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    skit_hex(id, 8, name);
    strcat(name, ".cbor");
    scepkit_err err = get_file(fs, "otp", name, buf, sizeof buf, &len);
    if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        err = SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err == SCEPKIT_OK) {
        err = otp_decode((scepkit_bytes){buf, len}, out);
    }
    if (err == SCEPKIT_OK && memcmp(out->id, id, 8) != 0) {
        err = SCEPKIT_ERR_STORE_CORRUPT;
    }
    if (err != SCEPKIT_OK) {
        memset(out, 0, sizeof *out);
    }
    scepkit_wipe(buf, sizeof buf);
    return err;
}

static scepkit_err fs_otp_consume(void *self, const uint8_t id[8], const uint8_t hash[32])
{
    scepkit_file_store *fs = self;
    char name[32];
    if (id == NULL || hash == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    skit_hex(id, 8, name);
    strcat(name, ".cbor");
    scepkit_err err = lock_store(fs);
    if (err != SCEPKIT_OK) {
        return err;
    }
    scepkit_store_otp cur;
    err = fs_otp_get(self, id, &cur);
    if (err == SCEPKIT_OK && scepkit_ct_memcmp(cur.hash, hash, sizeof cur.hash) != 0) {
        err = SCEPKIT_ERR_STORE_CONFLICT;
    }
    if (err == SCEPKIT_OK) {
        err = remove_file(fs, "otp", name);
    }
    unlock_store(fs);
    scepkit_wipe(&cur, sizeof cur);
    return err;
}

/*
 * Used-token record (tokens/ID.cbor, ID = hex of the 16-byte token identifier), immutable once created:
 *   { 1: keyHash bstr(32), 2: expires uint }
 */
#define TOKEN_PURGE_INTERVAL 600

static scepkit_err token_decode(scepkit_bytes in, const uint8_t **key_hash, uint64_t *expires)
{
    skit_rec_field f[2] = {{1, SKIT_REC_BYTES, 0, {0}, 0}, {2, SKIT_REC_UINT, 0, {0}, 0}};
    scepkit_err err = skit_rec_read_map(in, f, 2);
    if (err != SCEPKIT_OK || !f[0].present || !f[1].present || f[0].b.len != SCEPKIT_KEY_HASH_LEN) {
        return SCEPKIT_ERR_STORE_CORRUPT;
    }
    *key_hash = f[0].b.ptr;
    *expires = f[1].u;
    return SCEPKIT_OK;
}

typedef struct token_purge {
    const scepkit_file_store *fs;
    int64_t now;
} token_purge;

static scepkit_err token_purge_one(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    token_purge *tp = ctx;
    const uint8_t *kh = NULL;
    uint64_t expires = 0;
    if (token_decode((scepkit_bytes){data, len}, &kh, &expires) != SCEPKIT_OK || tp->now < 0 ||
        expires > (uint64_t)tp->now) {
        return SCEPKIT_OK; /* live, or unreadable: left for an operator to look at */
    }
    scepkit_err err = remove_file(tp->fs, "tokens", name);
    return err == SCEPKIT_ERR_NOT_FOUND ? SCEPKIT_OK : err;
}

static scepkit_err fs_token_use(void *self, const uint8_t id[SCEPKIT_TOKEN_ID_LEN], const uint8_t key_hash[32],
                                int64_t expires, int64_t now)
{
    scepkit_file_store *fs = self;
    char name[2 * SCEPKIT_TOKEN_ID_LEN + 8];
    uint8_t rec[64];
    size_t len = 0;
    if (fs == NULL || id == NULL || key_hash == NULL || expires < 0) {
        return SCEPKIT_ERR_ARG;
    }
    /* Without purging, the directory would grow by one record per token ever used. */
    int purge = 0;
    if (pthread_mutex_lock(&fs->mu) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    if (now - fs->token_purged_at >= TOKEN_PURGE_INTERVAL) {
        fs->token_purged_at = now;
        purge = 1;
    }
    pthread_mutex_unlock(&fs->mu);
    if (purge) {
        /* Best effort: a record that cannot be removed now is tried again at the next purge; the token at hand
         * does not depend on it. */
        token_purge tp = {fs, now};
        (void)each_file(fs, "tokens", token_purge_one, &tp);
    }
    skit_hex(id, SCEPKIT_TOKEN_ID_LEN, name);
    strcat(name, ".cbor");
    skit_rec_field f[2] = {
        {1, SKIT_REC_BYTES, 0, {key_hash, SCEPKIT_KEY_HASH_LEN}, 1},
        {2, SKIT_REC_UINT, (uint64_t)expires, {0}, 1},
    };
    scepkit_err err = skit_rec_write_map(f, 2, rec, sizeof rec, &len);
    for (int round = 0; round < 2 && err == SCEPKIT_OK; round++) {
        err = put_file(fs, "tokens", name, rec, len, 1);
        if (err != SCEPKIT_ERR_STORE_EXISTS) {
            return err; /* SCEPKIT_OK: first use, recorded */
        }
        uint8_t cur[64];
        size_t clen = 0;
        err = get_file(fs, "tokens", name, cur, sizeof cur, &clen);
        if (err == SCEPKIT_ERR_NOT_FOUND) {
            err = SCEPKIT_OK; /* purged between the two steps (it had expired): claim again */
            continue;
        }
        if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            return SCEPKIT_ERR_STORE_CORRUPT;
        }
        if (err != SCEPKIT_OK) {
            return err;
        }
        const uint8_t *kh = NULL;
        uint64_t ex = 0;
        err = token_decode((scepkit_bytes){cur, clen}, &kh, &ex);
        if (err != SCEPKIT_OK) {
            return err;
        }
        return memcmp(kh, key_hash, SCEPKIT_KEY_HASH_LEN) == 0 ? SCEPKIT_OK : SCEPKIT_ERR_TOKEN_USED;
    }
    return err == SCEPKIT_OK ? SCEPKIT_ERR_STORE_CONFLICT : err;
}

static const scepkit_store_ops file_store_ops = {
    .serial_claim = fs_serial_claim,
    .cert_put = fs_cert_put,
    .cert_get = fs_cert_get,
    .cert_find_tx = fs_cert_find_tx,
    .cert_each = fs_cert_each,
    .revoke = fs_revoke,
    .revoked_each = fs_revoked_each,
    .crl_number_next = fs_crl_number_next,
    .tx_create = fs_tx_create,
    .tx_update = fs_tx_update,
    .tx_get = fs_tx_get,
    .tx_remove = fs_tx_remove,
    .tx_each = fs_tx_each,
    .otp_put = fs_otp_put,
    .otp_get = fs_otp_get,
    .otp_consume = fs_otp_consume,
    .token_use = fs_token_use,
};

/* ---------------------------------------------------------------------------------------------- */

/* Removes what crashed writers left in tmp/: files older than an hour (best effort; a live writer's file
 * exists for milliseconds, and a leftover is harmless except for the space it takes). */
static void sweep_tmp(const char *dir)
{
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/tmp", dir);
    DIR *d = opendir(p);
    if (d == NULL) {
        return;
    }
    time_t limit = time(NULL) - 3600;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "rec.", 4) != 0) {
            continue;
        }
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_mtime < limit) {
            (void)unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
}

scepkit_err scepkit_file_store_open(scepkit_file_store *fs, const char *dir)
{
    static const char *const subs[] = {"tmp", "certs", "revoked", "tx", "txcert", "otp", "tokens"};
    if (fs == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(fs, 0, sizeof *fs);
    fs->lock_fd = -1;
    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= 400) {
        return SCEPKIT_ERR_ARG;
    }
    memcpy(fs->dir, dir, strlen(dir) + 1);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return SCEPKIT_ERR_IO;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char p[PATH_CAP];
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            return SCEPKIT_ERR_IO;
        }
    }
    sweep_tmp(dir);
    char lp[PATH_CAP];
    snprintf(lp, sizeof lp, "%s/lock", dir);
    fs->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fs->lock_fd < 0) {
        return SCEPKIT_ERR_IO;
    }
    if (pthread_mutex_init(&fs->mu, NULL) != 0) {
        close(fs->lock_fd);
        fs->lock_fd = -1;
        return SCEPKIT_ERR_INTERNAL;
    }
    fs->initialised = 1;
    return SCEPKIT_OK;
}

scepkit_store scepkit_file_store_port(scepkit_file_store *fs)
{
    scepkit_store s = {&file_store_ops, fs};
    return s;
}

void scepkit_file_store_close(scepkit_file_store *fs)
{
    if (fs == NULL || !fs->initialised) {
        return;
    }
    close(fs->lock_fd);
    fs->lock_fd = -1;
    pthread_mutex_destroy(&fs->mu);
    fs->initialised = 0;
}
