/* scepkit getcert / getcrl: GetCert and GetCRL (RFC 8894 §3.3.4, §3.3.5), signed by an existing certificate. */
#include <stdlib.h>
#include <string.h>

#include "client_tool.h"

enum { O_CERT = 3001, O_KEYPASS, O_SERIAL, O_ISSUER };

static void usage(FILE *f, const char *cmd)
{
    if (strcmp(cmd, "getcert") == 0) {
        fprintf(f, "usage: scepkit getcert -u URL (-c CA | -F SHA256) --cert MY.pem -k MY.key --serial HEX -l OUT\n\n"
                   "Fetches the certificate with that serial number (issued by the CA, or --issuer DN).\n\n"
                   "      --serial HEX        serial number in hex\n"
                   "      --issuer DN         issuer name (default: the CA's)\n");
    } else {
        fprintf(f, "usage: scepkit getcrl -u URL (-c CA | -F SHA256) --cert MY.pem -k MY.key -l OUT\n\n"
                   "Fetches the CRL covering MY.pem (its issuer and serial), or --serial HEX [--issuer DN].\n\n");
    }
    fprintf(f, "      --cert FILE         our certificate (signs the request; the reply is encrypted to it)\n"
               "  -k, --key FILE          its private key; --key-pass PASS\n"
               "  -l, --out FILE          output (PEM, or --der)\n" CLIENT_OPTS_HELP);
}

static int hexval(char ch)
{
    return (ch >= '0' && ch <= '9')   ? ch - '0'
           : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
           : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                      : -1;
}

/* Hex serial to INTEGER contents (right-aligned; a leading 0x00 when the top bit is set). */
static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p != ':' && hexval(*p) < 0) {
            return -1;
        }
        digits += *p != ':';
    }
    size_t outlen = (digits + 1) / 2;
    if (digits == 0 || outlen + 1 > cap) {
        return -1;
    }
    memset(out, 0, cap);
    size_t pos = digits % 2; /* nibble index: an odd count starts in the low nibble */
    for (const char *p = s; *p; p++) {
        if (*p == ':') {
            continue;
        }
        int v = hexval(*p);
        out[pos / 2] |= (uint8_t)(pos % 2 == 0 ? v << 4 : v);
        pos++;
    }
    if (out[0] & 0x80) {
        memmove(out + 1, out, outlen);
        out[0] = 0;
        outlen++;
    }
    *len = outlen;
    return 0;
}

int cmd_getcert(int argc, char **argv)
{
    const char *cmd = argv[0];
    int is_crl = strcmp(cmd, "getcrl") == 0;
    static const struct option opts[] = {
        CLIENT_LONG_OPTS,
        {"cert", required_argument, NULL, O_CERT},
        {"key", required_argument, NULL, 'k'},
        {"key-pass", required_argument, NULL, O_KEYPASS},
        {"serial", required_argument, NULL, O_SERIAL},
        {"issuer", required_argument, NULL, O_ISSUER},
        {"out", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    client_opts co;
    client_opts_init(&co);
    const char *cert_path = NULL, *key_path = NULL, *key_pass = NULL, *serial_hex = NULL, *issuer_dn = NULL;
    const char *out_path = NULL;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, CLIENT_SHORT_OPTS "k:l:", opts, NULL)) != -1) {
        int h = client_opts_handle(&co, ch, optarg);
        if (h < 0) {
            return TOOL_EXIT_USAGE;
        }
        if (h > 0) {
            continue;
        }
        switch (ch) {
        case 'h':
            usage(stdout, cmd);
            return TOOL_EXIT_OK;
        case O_CERT:
            cert_path = optarg;
            break;
        case 'k':
            key_path = optarg;
            break;
        case O_KEYPASS:
            key_pass = optarg;
            break;
        case O_SERIAL:
            serial_hex = optarg;
            break;
        case O_ISSUER:
            issuer_dn = optarg;
            break;
        case 'l':
            out_path = optarg;
            break;
        default:
            usage(stderr, cmd);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind != argc || client_opts_finish(&co, 1) != 0) {
        return TOOL_EXIT_USAGE;
    }
    if (cert_path == NULL || key_path == NULL || out_path == NULL || (!is_crl && serial_hex == NULL)) {
        fprintf(stderr, "scepkit %s: --cert, -k, -l%s are required\n", cmd, is_crl ? "" : " and --serial");
        return TOOL_EXIT_USAGE;
    }
    uint8_t serial[24], issuer[1024];
    size_t serial_len = 0, issuer_len = 0;
    if (serial_hex != NULL && parse_hex(serial_hex, serial, sizeof serial, &serial_len) != 0) {
        fprintf(stderr, "scepkit: --serial wants hex digits (at most 20 bytes)\n");
        return TOOL_EXIT_USAGE;
    }
    if (issuer_dn != NULL) {
        scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
        uint8_t oid_store[256];
        size_t n = 0;
        scepkit_err e = scepkit_name_from_string(scepkit_bytes_str(issuer_dn), attrs, SCEPKIT_NAME_MAX_ATTRS, &n,
                                                 oid_store, sizeof oid_store);
        if (e == SCEPKIT_OK) {
            e = scepkit_name_write(attrs, n, issuer, sizeof issuer, &issuer_len);
        }
        if (e != SCEPKIT_OK) {
            tool_err("bad --issuer", e);
            return TOOL_EXIT_USAGE;
        }
    }

    int rc = TOOL_EXIT_LOCAL;
    scepkit_drbg drbg;
    scepkit_softkey sk;
    scepkit_curl_transport tr;
    scepkit_client cl;
    uint8_t *mem = NULL, *cert = NULL;
    size_t cert_len = 0;
    memset(&drbg, 0, sizeof drbg);
    memset(&sk, 0, sizeof sk);
    memset(&tr, 0, sizeof tr);
    memset(&cl, 0, sizeof cl);
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("scepkit getcert"));
    if (e != SCEPKIT_OK) {
        tool_err("cannot seed the random generator", e);
        goto out;
    }
    scepkit_rng rng = scepkit_drbg_rng(&drbg);
    scepkit_softkey_init(&sk, rng);
    if ((cert = tool_read_der(cert_path, "CERTIFICATE", &cert_len)) == NULL) {
        rc = TOOL_EXIT_IO;
        goto out;
    }
    if (client_load_key(key_path, key_pass, &sk, rng) != 0) {
        rc = TOOL_EXIT_INPUT;
        goto out;
    }
    scepkit_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    client_config_from_opts(&co, &cfg);
    cfg.op = is_crl ? SCEPKIT_OP_GETCRL : SCEPKIT_OP_GETCERT;
    cfg.rng = rng;
    cfg.key = scepkit_softkey_key(&sk);
    cfg.cert = (scepkit_bytes){cert, cert_len};
    cfg.serial = (scepkit_bytes){serial, serial_len};
    cfg.issuer = (scepkit_bytes){issuer, issuer_len};
    size_t m = cfg.max_message ? cfg.max_message : SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE;
    size_t mem_len = SCEPKIT_CLIENT_MEM_SIZE(m);
    mem = malloc(mem_len);
    if (mem == NULL) {
        goto out;
    }
    e = scepkit_client_init(&cl, &cfg, mem, mem_len);
    if (e != SCEPKIT_OK) {
        rc = client_exit_for("cannot start", e);
        goto out;
    }
    if (client_transport_open(&co, &tr) != 0) {
        goto out;
    }
    rc = client_run(&cl, scepkit_curl_transport_port(&tr), 0, NULL);
    if (rc == TOOL_EXIT_OK) {
        const scepkit_client_result *r = scepkit_client_result_get(&cl);
        int w = is_crl ? tool_write_der_or_pem(out_path, r->crl.ptr, r->crl.len, "X509 CRL", !co.der)
                       : client_write_certs(out_path, &r->cert, 1, co.der);
        if (w != 0) {
            rc = TOOL_EXIT_IO;
        }
    }
out:
    scepkit_client_free(&cl);
    scepkit_curl_transport_free(&tr);
    scepkit_softkey_free(&sk);
    scepkit_drbg_free(&drbg);
    free(cert);
    free(mem);
    return rc;
}
