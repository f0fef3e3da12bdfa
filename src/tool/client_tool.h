/* Shared parts of the SCEP client subcommands (getcaps, getca, enroll, renew, poll, getcert, getcrl, getnextca). */
#ifndef SCEPKIT_TOOL_CLIENT_H
#define SCEPKIT_TOOL_CLIENT_H

#include <getopt.h>

#include "tool.h"

/* Exit codes of the SCEP subcommands besides tool.h's (docs/cli.md). */
enum {
    TOOL_EXIT_PENDING = 3,       /* the request is still PENDING (poll limit reached; state saved) */
    TOOL_EXIT_FAILURE_BASE = 10, /* CertRep FAILURE: 10 + failInfo (10 badAlg .. 14 badCertId) */
    TOOL_EXIT_TRANSPORT = 69,    /* server unreachable, timeout, TLS, HTTP error status */
    TOOL_EXIT_PROTOCOL = 76,     /* the server's answer is invalid (signature, nonce, format) */
    TOOL_EXIT_TRUST = 77,        /* refused by policy: CA fingerprint, unpinned CA, legacy algorithm, downgrade */
};

/* Options every SCEP subcommand takes. */
typedef struct client_opts {
    const char *url;
    const char *ca_ident;
    const char *proxy;
    const char *tls_ca;
    int insecure_tls;
    long timeout_s;
    size_t max_message;
    int legacy;
    int force_get;
    scepkit_cipher cipher, min_cipher;
    scepkit_md md, min_md;
    /* trust */
    const char *ca_file; /* -c: pin every certificate of this file (sscep's CA file) */
    uint8_t pins[16][32];
    size_t pin_count;
    int tofu; /* --insecure-no-pin */
    int der;  /* write DER instead of PEM */
} client_opts;

/* getopt_long entries shared by all subcommands (values >= 1000 are long-only). */
/* clang-format off */
#define CLIENT_LONG_OPTS                                                                                               \
    {"url", required_argument, NULL, 'u'},          {"ca-ident", required_argument, NULL, 'i'},                      \
    {"proxy", required_argument, NULL, 'p'},        {"tls-ca", required_argument, NULL, 1001},                        \
    {"insecure-tls", no_argument, NULL, 1002},      {"timeout", required_argument, NULL, 1003},                       \
    {"max-message", required_argument, NULL, 1004}, {"legacy", no_argument, NULL, 1005},                             \
    {"get", no_argument, NULL, 1006},               {"cipher", required_argument, NULL, 'E'},                         \
    {"md", required_argument, NULL, 'S'},           {"min-cipher", required_argument, NULL, 1007},                    \
    {"min-md", required_argument, NULL, 1008},      {"ca", required_argument, NULL, 'c'},                             \
    {"fingerprint", required_argument, NULL, 'F'},  {"insecure-no-pin", no_argument, NULL, 1009},                     \
    {"der", no_argument, NULL, 1010},               {"verbose", no_argument, NULL, 'v'},                              \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */
#define CLIENT_SHORT_OPTS "u:i:p:E:S:c:F:vh"
#define CLIENT_OPTS_HELP                                                                                               \
    "  -u, --url URL           SCEP server URL, e.g. http://ca.example/scep (required)\n"                              \
    "  -i, --ca-ident NAME     CA identifier (message= of GetCACaps/GetCACert)\n"                                      \
    "  -c, --ca FILE           the CA certificate(s) from `scepkit getca` (PEM or DER): the server's CA must be one\n" \
    "                          of them (pinned by SHA-256)\n"                                                          \
    "  -F, --fingerprint HEX   pin the CA by its SHA-256 fingerprint (hex, colons allowed; repeatable)\n"              \
    "      --insecure-no-pin   accept whatever CA the server sends (trust on first use)\n"                             \
    "  -E, --cipher ALG        force the request cipher: aes (aes128), aes192, aes256, des3\n"                         \
    "  -S, --md ALG            force the request digest: sha1, sha256, sha384, sha512\n"                               \
    "      --min-cipher ALG    weakest cipher allowed (default aes128; des3 for NDES and servers without caps)\n"      \
    "      --min-md ALG        weakest digest allowed (default sha256; sha1 for old servers)\n"                        \
    "      --legacy            accept single-DES / MD5 replies (micromdm answers with DES); never sends them\n"        \
    "      --get               send PKIOperation with GET even when the server offers POST\n"                          \
    "  -p, --proxy URL         HTTP proxy\n"                                                                           \
    "      --tls-ca FILE       trusted roots for https:// URLs (default: the system store)\n"                          \
    "      --insecure-tls      do not verify the https:// server\n"                                                    \
    "      --timeout SEC       per exchange (default 30)\n"                                                            \
    "      --max-message BYTES largest message in or out (default 16384)\n"                                            \
    "      --der               write certificates as DER (default PEM)\n"                                              \
    "  -v, --verbose           show every exchange\n"

void client_opts_init(client_opts *o);
/* Handles one option of CLIENT_LONG_OPTS; returns 1 if handled, 0 if not ours, -1 on a bad value. */
int client_opts_handle(client_opts *o, int ch, const char *arg);
/* Checks the common options; loads the -c file's fingerprints into pins. 0 on success (else prints). */
int client_opts_finish(client_opts *o, int need_trust);

/* Fills the engine config from the options (policy, pins, legacy, max_message, ca_ident, now). */
void client_config_from_opts(const client_opts *o, scepkit_client_config *cfg);

/* A curl transport from the options, with a stderr trace in verbose mode. 0 on success. */
int client_transport_open(const client_opts *o, scepkit_curl_transport *t);

/* Runs the engine until DONE (sleeping `poll_interval` seconds between polls and saving the state to
 * `state_file` when PENDING, if given). Returns the tool exit code and prints the outcome. */
int client_run(scepkit_client *c, scepkit_transport tr, unsigned poll_interval, const char *state_file);

/* Maps a library error of a client run to an exit code, printing it. */
int client_exit_for(const char *what, scepkit_err e);

/* Loads a private key (PEM or DER); 0 on success. */
int client_load_key(const char *path, const char *pass, scepkit_softkey *sk, scepkit_rng rng);
/* Generates a key from a spec ("rsa:2048", ...) and writes it (PEM, 0600) to `out_path`. 0 on success. */
int client_generate_key(const char *spec, const char *out_path, scepkit_softkey *sk, scepkit_rng rng);

/* Prints one certificate line: role, subject, fingerprints. */
void client_print_cert(FILE *f, const char *role, scepkit_bytes der);

/* Writes certificates (PEM bundle, or DER of the first) to path. 0 on success. */
int client_write_certs(const char *path, const scepkit_bytes *certs, size_t n, int der);

/* Reads a whole state file; NULL on error. */
uint8_t *client_read_state(const char *path, size_t *len);

scepkit_cipher client_cipher_from_name(const char *s);
scepkit_md client_md_from_name(const char *s);
const char *client_cipher_name(scepkit_cipher c);
const char *client_md_name(scepkit_md m);

#endif
