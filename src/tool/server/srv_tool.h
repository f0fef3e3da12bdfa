/* scepkit-server: the standalone SCEP server program (docs/server-tool.md).
 *
 * A host program: it may use the heap. The SCEP work is done by the library's handler
 * (scepkit/server.h), software CA (ca.h), policies (policy.h) and file store (store.h); this program
 * adds the HTTP front end (libmicrohttpd), the configuration file, key files and the admin commands. */
#ifndef SCEPKIT_SRV_TOOL_H
#define SCEPKIT_SRV_TOOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scepkit/ca.h"
#include "scepkit/policy.h"
#include "scepkit/scepkit.h"
#include "scepkit/server.h"
#include "scepkit/store.h"

/* Exit codes (docs/server-tool.md), the sysexits values the scepkit tool uses too. */
enum {
    SRV_EXIT_OK = 0,
    SRV_EXIT_USAGE = 64,    /* bad command line or configuration */
    SRV_EXIT_INPUT = 65,    /* a file could not be parsed */
    SRV_EXIT_NOTFOUND = 66, /* no such transaction or certificate */
    SRV_EXIT_UNAVAIL = 69,  /* a feature not available in this build (TLS without GnuTLS) */
    SRV_EXIT_LOCAL = 70,    /* library or internal error */
    SRV_EXIT_OSERR = 71,    /* could not listen, start threads */
    SRV_EXIT_IO = 74,       /* file I/O */
    SRV_EXIT_CONFIG = 78,   /* configuration file invalid */
};

/* ---------------------------------------------------------------------------------------------- */
/* Small helpers (util.c) */

uint8_t *srv_read_file(const char *path, size_t *len);
int srv_write_file(const char *path, const uint8_t *data, size_t len, int private_mode, int exclusive);
/* Reads a certificate file (PEM or DER) into fresh DER. */
uint8_t *srv_read_cert(const char *path, size_t *len);
int srv_write_pem(const char *path, const uint8_t *der, size_t len, const char *label, int exclusive);
void srv_err(const char *what, scepkit_err e);
void srv_hex(char *out, const uint8_t *p, size_t n);
/* Parses hex (colons allowed) into out; returns bytes written or -1. */
long srv_unhex(const char *text, uint8_t *out, size_t cap);
/* Joins dir and a relative path (an absolute path is kept). */
void srv_path_join(char *out, size_t cap, const char *dir, const char *path);
/* Text of a DER Name (or "?"). */
void srv_name_text(scepkit_bytes name, char *out, size_t cap);
/* ISO 8601 UTC time text. */
void srv_time_text(int64_t t, char *out, size_t cap);

/* ---------------------------------------------------------------------------------------------- */
/* Configuration file (conf.c): `key = value` lines */

#define SRV_MAX_CAPS 16
#define SRV_MAX_EKUS 8

typedef struct srv_conf {
    char path[1024]; /* the file read */
    char dir[1024];  /* its directory: relative paths are resolved from here */
    /* network */
    char listen[64];
    unsigned port;
    unsigned threads;
    char tls_cert[1024];
    char tls_key[1024];
    unsigned shutdown_grace;
    unsigned connection_timeout;
    /* identity */
    char ca_cert[1024];
    char ca_key[1024];
    char ra_sign_cert[1024];
    char ra_sign_key[1024];
    char ra_enc_cert[1024];
    char ra_enc_key[1024];
    unsigned key_pool;
    char next_ca_certs[1024]; /* GetNextCACert: space-separated certificate files (CA rollover) */
    /* store */
    char store[1024];
    /* challenge policies */
    char challenge[256];
    int otp;
    unsigned otp_lifetime;
    unsigned otp_max_outstanding;
    char token_key[160]; /* hex */
    unsigned token_kid;
    int token_single_use;
    /* behaviour */
    char caps[512];
    int allow_legacy;
    int manual_approval;
    int renewal_skips_challenge;
    int include_ca_cert_in_certrep;
    char reply_signature[16];
    long max_clock_skew;
    unsigned max_message_size;
    /* issued certificates */
    unsigned validity_days;
    char eku[256];
    int non_repudiation;
    char crl_dp_uri[512];
    char aia_ca_issuers_uri[512];
    unsigned crl_validity_days;
    /* logs */
    char log_format[8]; /* text | json */
    char log_file[1024];
} srv_conf;

void srv_conf_defaults(srv_conf *c);
/* Reads `path`; prints what is wrong and returns -1 on error. */
int srv_conf_load(srv_conf *c, const char *path);
/* Writes a commented configuration file (init). */
int srv_conf_write(const srv_conf *c, const char *path);

/* ---------------------------------------------------------------------------------------------- */
/* The loaded server (app.c): everything the handler needs, for `run` and the admin commands */

/* N software keys loaded from one file, each behind its own mutex: private-key operations of different
 * requests run in parallel without relying on the backend's own thread safety. */
typedef struct srv_keypool {
    size_t n;
    scepkit_softkey *keys;
    pthread_mutex_t *mu;
    atomic_uint next;
    scepkit_key_type type;
    size_t bits;
} srv_keypool;

typedef struct srv_app {
    srv_conf conf;
    char store_dir[1024];
    scepkit_locked_rng rng;
    scepkit_file_store fs;
    int fs_open;
    srv_keypool ca_key, ra_sign_key, ra_enc_key;
    uint8_t *ca_cert, *ra_sign_cert, *ra_enc_cert;
    size_t ca_cert_len, ra_sign_cert_len, ra_enc_cert_len;
    int ra_mode;
    scepkit_softca softca;
    /* policies: static secret, one-time passwords, signed tokens, combined */
    scepkit_policy_static p_static;
    int has_static;
    scepkit_policy_otp p_otp;
    scepkit_policy_token p_token;
    scepkit_token_key token_key;
    uint8_t token_secret[64];
    int has_token;
    /* profiles */
    scepkit_profile profiles[3];
    scepkit_bytes ekus[SRV_MAX_EKUS];
    uint8_t eku_oids[SRV_MAX_EKUS][32];
    size_t eku_count;
    uint8_t *next_certs[4];
    scepkit_bytes next_views[4];
    size_t next_count;
    const char *caps[SRV_MAX_CAPS];
    char caps_buf[512];
    size_t cap_count;
    scepkit_server_notify notify;
    scepkit_server srv;
    int srv_ok;
} srv_app;

/* Loads the configuration of DIR (DIR/scepkit-server.conf, or a file given directly) and sets everything
 * up. `for_admin` skips what only serving needs (key pools bigger than one). Prints errors; returns an exit code. */
int srv_app_open(srv_app *a, const char *dir_or_conf, int for_admin);
void srv_app_close(srv_app *a);
/* Scratch and output buffer sizes of the handler. */
void srv_app_buffers(const srv_app *a, size_t *scratch, size_t *out);

/* The configuration file name inside a server directory. */
#define SRV_CONF_NAME "scepkit-server.conf"

/* ---------------------------------------------------------------------------------------------- */
/* Subcommands */

int srv_cmd_init(int argc, char **argv);
int srv_cmd_run(int argc, char **argv);
int srv_cmd_admin(const char *cmd, int argc, char **argv);

#endif
