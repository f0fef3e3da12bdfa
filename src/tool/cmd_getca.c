/* scepkit getcaps / getca / getnextca: what a SCEP server offers, and its CA certificates. */
#include <stdlib.h>
#include <string.h>

#include "client_tool.h"

static const struct {
    uint32_t bit;
    const char *name;
} cap_names[] = {
    {SCEPKIT_CAP_AES, "AES"},
    {SCEPKIT_CAP_DES3, "DES3"},
    {SCEPKIT_CAP_GET_NEXT_CA_CERT, "GetNextCACert"},
    {SCEPKIT_CAP_POST, "POSTPKIOperation"},
    {SCEPKIT_CAP_RENEWAL, "Renewal"},
    {SCEPKIT_CAP_SHA1, "SHA-1"},
    {SCEPKIT_CAP_SHA256, "SHA-256"},
    {SCEPKIT_CAP_SHA384, "SHA-384"},
    {SCEPKIT_CAP_SHA512, "SHA-512"},
    {SCEPKIT_CAP_SCEP_STANDARD, "SCEPStandard"},
    {SCEPKIT_CAP_UPDATE, "Update"},
};

static void usage(FILE *f, const char *cmd)
{
    if (strcmp(cmd, "getcaps") == 0) {
        fprintf(f, "usage: scepkit getcaps -u URL [-i CA-IDENT]\n\n"
                   "Prints the server's capabilities (one per line) and the algorithms scepkit would use.\n\n");
    } else if (strcmp(cmd, "getca") == 0) {
        fprintf(f, "usage: scepkit getca -u URL [-c OUT.pem] [-F SHA256]\n\n"
                   "Fetches the CA (and RA) certificates, shows their roles and fingerprints, verifies the chain and\n"
                   "writes them (CA first) to OUT (sscep -c). With -F, the CA must have that SHA-256 fingerprint.\n"
                   "With --der, OUT gets the CA certificate and OUT-1, OUT-2, ... the others.\n\n"
                   "  -c, --out FILE          where to write the certificates\n");
    } else {
        fprintf(f, "usage: scepkit getnextca -u URL (-c CA.pem | -F SHA256) [-l OUT.pem]\n\n"
                   "Fetches the CA's next (rollover) certificate, signed by the current CA.\n\n"
                   "  -l, --out FILE          where to write the next CA certificate(s)\n");
    }
    fprintf(f, CLIENT_OPTS_HELP);
}

static void print_caps(uint32_t caps, int known)
{
    if (!known || caps == 0) {
        printf("(no capabilities: the server lists none, answered with an error, or closed the connection)\n");
        return;
    }
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
        if (caps & cap_names[i].bit) {
            printf("%s\n", cap_names[i].name);
        }
    }
}

static const char *role_of(const scepkit_ca_certs *cc, size_t i)
{
    if (i == cc->ca) {
        return cc->ra ? "CA" : "CA (also encrypts and signs)";
    }
    if (i == cc->enc && i == cc->sign) {
        return "RA (encryption and signing)";
    }
    if (i == cc->enc) {
        return "RA encryption";
    }
    if (i == cc->sign) {
        return "RA signing";
    }
    return "other";
}

/* The certificates in the order written: CA, RA encryption, RA signing, then the rest. */
static size_t ordered(const scepkit_ca_certs *cc, scepkit_bytes *out)
{
    size_t n = 0;
    size_t idx[3] = {cc->ca, cc->enc, cc->sign};
    int used[SCEPKIT_CA_MAX_CERTS] = {0};
    for (size_t k = 0; k < 3; k++) {
        if (!used[idx[k]]) {
            used[idx[k]] = 1;
            out[n++] = cc->certs[idx[k]];
        }
    }
    for (size_t i = 0; i < cc->count; i++) {
        if (!used[i]) {
            out[n++] = cc->certs[i];
        }
    }
    return n;
}

static int write_der_series(const char *path, const scepkit_bytes *certs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[4096];
        if (i == 0) {
            snprintf(name, sizeof name, "%s", path);
        } else {
            snprintf(name, sizeof name, "%s-%zu", path, i);
        }
        if (tool_write_der_or_pem(name, certs[i].ptr, certs[i].len, "CERTIFICATE", 0) != 0) {
            return -1;
        }
    }
    return 0;
}

int cmd_getca(int argc, char **argv)
{
    const char *cmd = argv[0];
    int is_caps = strcmp(cmd, "getcaps") == 0;
    int is_next = strcmp(cmd, "getnextca") == 0;
    static const struct option opts[] = {
        CLIENT_LONG_OPTS,
        {"out", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    client_opts co;
    client_opts_init(&co);
    const char *out_path = NULL;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, CLIENT_SHORT_OPTS "l:", opts, NULL)) != -1) {
        if (ch == 'c' && !is_next && !is_caps) {
            out_path = optarg; /* sscep getca -c FILE writes the CA certificate */
            continue;
        }
        int h = client_opts_handle(&co, ch, optarg);
        if (h < 0) {
            return TOOL_EXIT_USAGE;
        }
        if (h > 0) {
            continue;
        }
        if (ch == 'h') {
            usage(stdout, cmd);
            return TOOL_EXIT_OK;
        }
        if (ch == 'l') {
            out_path = optarg;
            continue;
        }
        usage(stderr, cmd);
        return TOOL_EXIT_USAGE;
    }
    if (optind != argc) {
        fprintf(stderr, "scepkit %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    if (client_opts_finish(&co, is_next) != 0) {
        return TOOL_EXIT_USAGE;
    }

    int rc = TOOL_EXIT_LOCAL;
    scepkit_curl_transport tr;
    scepkit_client cl;
    memset(&tr, 0, sizeof tr);
    memset(&cl, 0, sizeof cl);
    scepkit_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    client_config_from_opts(&co, &cfg);
    cfg.op = is_caps ? SCEPKIT_OP_GETCAPS : is_next ? SCEPKIT_OP_GETNEXTCA : SCEPKIT_OP_GETCA;
    size_t m = cfg.max_message ? cfg.max_message : SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE;
    size_t mem_len = SCEPKIT_CLIENT_MEM_SIZE(m);
    uint8_t *mem = malloc(mem_len);
    if (mem == NULL) {
        goto out;
    }
    scepkit_err e = scepkit_client_init(&cl, &cfg, mem, mem_len);
    if (e != SCEPKIT_OK) {
        rc = client_exit_for("cannot start", e);
        goto out;
    }
    if (client_transport_open(&co, &tr) != 0) {
        goto out;
    }
    rc = client_run(&cl, scepkit_curl_transport_port(&tr), 0, NULL);
    if (rc != TOOL_EXIT_OK) {
        goto out;
    }
    int known = 0;
    uint32_t caps = scepkit_client_caps(&cl, &known);
    if (is_caps) {
        const scepkit_client_result *res = scepkit_client_result_get(&cl);
        if (res->caps_err != SCEPKIT_OK) {
            /* The engine takes this as "no caps" (very old NDES closes the connection on GetCACaps), but a
             * person asking wants to know the server did not answer. */
            rc = client_exit_for("GetCACaps got no answer (very old NDES closes the connection here)", res->caps_err);
            goto out;
        }
        if (res->caps_status != 200) {
            printf("# GetCACaps answered HTTP %d\n", res->caps_status);
        }
        print_caps(caps, known);
        scepkit_algs al;
        e = scepkit_caps_choose(caps, &cfg.policy, &al);
        if (e == SCEPKIT_OK) {
            printf("# scepkit would use %s, %s, %s%s\n", client_cipher_name(al.cipher), client_md_name(al.md),
                   al.pki_method == SCEPKIT_HTTP_POST ? "POST" : "GET", al.renewal ? ", RenewalReq" : "");
        } else {
            printf("# nothing acceptable with the current minimums: %s\n", scepkit_strerror(e));
        }
        goto out;
    }
    scepkit_ca_certs cc;
    if (is_next) {
        e = scepkit_client_next_ca(&cl, &cc);
    } else {
        e = scepkit_client_ca_certs(&cl, &cc);
    }
    if (e != SCEPKIT_OK) {
        rc = client_exit_for("no certificates", e);
        goto out;
    }
    for (size_t i = 0; i < cc.count; i++) {
        char role[64];
        snprintf(role, sizeof role, "%s%s", is_next ? "next " : "", role_of(&cc, i));
        client_print_cert(stdout, role, cc.certs[i]);
    }
    if (!is_next && co.pin_count == 0) {
        printf("# not pinned: compare the CA's SHA-256 fingerprint with one obtained out of band\n");
    }
    if (out_path != NULL) {
        scepkit_bytes list[SCEPKIT_CA_MAX_CERTS];
        size_t n = ordered(&cc, list);
        int w = co.der ? write_der_series(out_path, list, n) : client_write_certs(out_path, list, n, 0);
        if (w != 0) {
            rc = TOOL_EXIT_IO;
        }
    }
out:
    scepkit_client_free(&cl);
    scepkit_curl_transport_free(&tr);
    free(mem);
    return rc;
}
