/* scepkit enroll / renew / poll: certificate enrollment with a SCEP server (sscep-like options). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "client_tool.h"

enum {
    O_KEYPASS = 2001,
    O_GENKEY,
    O_KEYOUT,
    O_CHALLENGE,
    O_DNS,
    O_EMAIL,
    O_URI,
    O_IP,
    O_UPN,
    O_STATE,
    O_CERT,
    O_OLDKEY,
    O_REUSE,
    O_PKCSREQ,
    O_OLDKEYPASS,
};

typedef struct enroll_args {
    const char *key_path, *key_pass, *genkey, *key_out, *csr_path, *subject, *challenge, *out_path, *state_path;
    const char *cert_path, *old_key_path, *old_key_pass;
    int reuse_key, pkcsreq;
    unsigned poll_interval, max_polls;
    scepkit_san sans[SCEPKIT_CSR_MAX_SANS];
    uint8_t ips[SCEPKIT_CSR_MAX_SANS][16];
    size_t nsans;
} enroll_args;

static void usage(FILE *f, const char *cmd)
{
    if (strcmp(cmd, "renew") == 0) {
        fprintf(f, "usage: scepkit renew -u URL (-c CA | -F SHA256) --cert CUR.pem --old-key CUR.key\n"
                   "                     (-k NEW.key | --genkey rsa:2048 --key-out NEW.key | --reuse-key) -l OUT.pem\n"
                   "\n"
                   "Renews CUR with a RenewalReq signed by it (a PKCSReq signed by it when the server lacks Renewal,\n"
                   "or with --pkcsreq). A new key is the default. The subject is CUR's unless --subject is given.\n\n"
                   "      --cert FILE         the current certificate (sscep -O)\n"
                   "      --old-key FILE      its private key (sscep -K); --old-key-pass PASS\n"
                   "      --reuse-key         keep the current key\n"
                   "      --pkcsreq           send a PKCSReq signed by the current certificate\n");
    } else if (strcmp(cmd, "poll") == 0) {
        fprintf(f, "usage: scepkit poll -u URL (-c CA | -F SHA256) --state FILE -k KEY [-r CSR] -l OUT.pem\n"
                   "\n"
                   "Resumes an enrollment or renewal saved by --state: polls with the same transactionID.\n"
                   "KEY is the key that signs the requests: the enrolled key (enroll) or the old key (renew).\n"
                   "-r CSR is needed only when the state was saved before the server said PENDING.\n"
                   "An EC key needs its challenge again (--challenge PW or -r CSR): the state never holds it.\n\n");
    } else {
        fprintf(f, "usage: scepkit enroll -u URL (-c CA | -F SHA256) (-k KEY | --genkey rsa:2048 --key-out KEY)\n"
                   "                      (-r CSR | -s DN [--challenge PW] [--dns NAME ...]) -l OUT.pem\n\n");
    }
    fprintf(f,
            "  -k, --key FILE          private key (PEM or DER); --key-pass PASS\n"
            "      --genkey SPEC       generate a key: rsa, rsa:3072, rsa:4096, ec:p256, ec:p384 (EC: needs\n"
            "                          --challenge and a server answering EC by password, as scepkit-server)\n"
            "      --key-out FILE      where the generated key goes (PEM, mode 0600)\n"
            "  -r, --csr FILE          an existing PKCS#10 for that key (else one is made from the options below)\n"
            "  -s, --subject DN        e.g. \"CN=dev1,O=Acme\"\n"
            "      --challenge PW      challengePassword\n"
            "      --dns/--email/--uri/--ip/--upn VALUE   subjectAltName entries (repeatable)\n"
            "  -l, --out FILE          the issued certificate (sscep -l)\n"
            "  -t, --poll-interval SEC seconds between polls while PENDING (default 300)\n"
            "  -n, --max-polls N       polls before giving up with exit code 3 (default 256)\n"
            "      --state FILE        save the state while PENDING (resume with `scepkit poll`)\n" CLIENT_OPTS_HELP);
}

static int add_san(enroll_args *a, scepkit_san_type type, const char *v)
{
    if (a->nsans == SCEPKIT_CSR_MAX_SANS) {
        fprintf(stderr, "scepkit: at most %d subjectAltName entries\n", SCEPKIT_CSR_MAX_SANS);
        return -1;
    }
    scepkit_san *s = &a->sans[a->nsans];
    s->type = type;
    if (type == SCEPKIT_SAN_IP) {
        if (inet_pton(AF_INET, v, a->ips[a->nsans]) == 1) {
            s->value = (scepkit_bytes){a->ips[a->nsans], 4};
        } else if (inet_pton(AF_INET6, v, a->ips[a->nsans]) == 1) {
            s->value = (scepkit_bytes){a->ips[a->nsans], 16};
        } else {
            fprintf(stderr, "scepkit: '%s' is not an IP address\n", v);
            return -1;
        }
    } else {
        s->value = scepkit_bytes_str(v);
    }
    a->nsans++;
    return 0;
}

static unsigned parse_unsigned(const char *s, int *ok)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    *ok = end != s && *end == 0 && v <= 1000000ul;
    return (unsigned)v;
}

/* The challenge password an EC key opens its SUCCESS with (RFC 8894 §3.1): --challenge, or the one in the CSR
 * (a view into it). Never written to the state file: `scepkit poll` needs it again. */
static scepkit_bytes reply_challenge(const enroll_args *a, const uint8_t *csr, size_t csr_len)
{
    scepkit_csr parsed;
    if (a->challenge != NULL) {
        return scepkit_bytes_str(a->challenge);
    }
    if (csr != NULL && scepkit_csr_parse((scepkit_bytes){csr, csr_len}, &parsed) == SCEPKIT_OK &&
        parsed.has_challenge) {
        return parsed.challenge;
    }
    return (scepkit_bytes){NULL, 0};
}

/* Makes the CSR: from -r, or from the subject (default: `default_subject`) and the SAN options. */
static uint8_t *make_csr(const enroll_args *a, scepkit_key key, scepkit_bytes default_subject, size_t *len)
{
    if (a->csr_path != NULL) {
        return tool_read_der(a->csr_path, "CERTIFICATE REQUEST", len);
    }
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    uint8_t oid_store[512];
    size_t nattrs = 0;
    if (a->subject != NULL) {
        scepkit_err e = scepkit_name_from_string(scepkit_bytes_str(a->subject), attrs, SCEPKIT_NAME_MAX_ATTRS, &nattrs,
                                                 oid_store, sizeof oid_store);
        if (e != SCEPKIT_OK) {
            tool_err("bad --subject", e);
            return NULL;
        }
        p.subject = attrs;
        p.subject_count = nattrs;
    } else if (default_subject.len != 0) {
        p.subject_der = default_subject;
    } else {
        fprintf(stderr, "scepkit: --subject DN (or -r CSR) is required\n");
        return NULL;
    }
    if (a->challenge != NULL) {
        p.challenge = scepkit_bytes_str(a->challenge);
    }
    p.sans = a->sans;
    p.san_count = a->nsans;
    static uint8_t scratch[SCEPKIT_CSR_WRITE_SCRATCH];
    scepkit_arena ar;
    scepkit_arena_init(&ar, scratch, sizeof scratch);
    size_t need = 0;
    scepkit_err e = scepkit_csr_write(&p, key, &ar, NULL, 0, &need);
    if (e != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        tool_err("cannot make the request", e);
        return NULL;
    }
    uint8_t *csr = malloc(need);
    if (csr == NULL) {
        return NULL;
    }
    e = scepkit_csr_write(&p, key, &ar, csr, need, len);
    if (e != SCEPKIT_OK) {
        tool_err("cannot make the request", e);
        free(csr);
        return NULL;
    }
    return csr;
}

int cmd_enroll(int argc, char **argv)
{
    const char *cmd = argv[0];
    int is_renew = strcmp(cmd, "renew") == 0;
    int is_poll = strcmp(cmd, "poll") == 0;
    static const struct option opts[] = {
        CLIENT_LONG_OPTS,
        {"key", required_argument, NULL, 'k'},
        {"key-pass", required_argument, NULL, O_KEYPASS},
        {"genkey", required_argument, NULL, O_GENKEY},
        {"key-out", required_argument, NULL, O_KEYOUT},
        {"csr", required_argument, NULL, 'r'},
        {"subject", required_argument, NULL, 's'},
        {"challenge", required_argument, NULL, O_CHALLENGE},
        {"dns", required_argument, NULL, O_DNS},
        {"email", required_argument, NULL, O_EMAIL},
        {"uri", required_argument, NULL, O_URI},
        {"ip", required_argument, NULL, O_IP},
        {"upn", required_argument, NULL, O_UPN},
        {"out", required_argument, NULL, 'l'},
        {"poll-interval", required_argument, NULL, 't'},
        {"max-polls", required_argument, NULL, 'n'},
        {"state", required_argument, NULL, O_STATE},
        {"cert", required_argument, NULL, O_CERT},
        {"old-key", required_argument, NULL, O_OLDKEY},
        {"old-key-pass", required_argument, NULL, O_OLDKEYPASS},
        {"reuse-key", no_argument, NULL, O_REUSE},
        {"pkcsreq", no_argument, NULL, O_PKCSREQ},
        {NULL, 0, NULL, 0},
    };
    client_opts co;
    client_opts_init(&co);
    enroll_args a;
    memset(&a, 0, sizeof a);
    a.poll_interval = 300;
    a.max_polls = 256;
    optind = 1;
    int ch, ok = 1;
    while ((ch = getopt_long(argc, argv, CLIENT_SHORT_OPTS "k:r:s:l:t:n:", opts, NULL)) != -1) {
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
        case 'k':
            a.key_path = optarg;
            break;
        case O_KEYPASS:
            a.key_pass = optarg;
            break;
        case O_GENKEY:
            a.genkey = optarg;
            break;
        case O_KEYOUT:
            a.key_out = optarg;
            break;
        case 'r':
            a.csr_path = optarg;
            break;
        case 's':
            a.subject = optarg;
            break;
        case O_CHALLENGE:
            a.challenge = optarg;
            break;
        case O_DNS:
            ok = add_san(&a, SCEPKIT_SAN_DNS, optarg) == 0;
            break;
        case O_EMAIL:
            ok = add_san(&a, SCEPKIT_SAN_EMAIL, optarg) == 0;
            break;
        case O_URI:
            ok = add_san(&a, SCEPKIT_SAN_URI, optarg) == 0;
            break;
        case O_IP:
            ok = add_san(&a, SCEPKIT_SAN_IP, optarg) == 0;
            break;
        case O_UPN:
            ok = add_san(&a, SCEPKIT_SAN_UPN, optarg) == 0;
            break;
        case 'l':
            a.out_path = optarg;
            break;
        case 't':
            a.poll_interval = parse_unsigned(optarg, &ok);
            break;
        case 'n':
            a.max_polls = parse_unsigned(optarg, &ok);
            break;
        case O_STATE:
            a.state_path = optarg;
            break;
        case O_CERT:
            a.cert_path = optarg;
            break;
        case O_OLDKEY:
            a.old_key_path = optarg;
            break;
        case O_OLDKEYPASS:
            a.old_key_pass = optarg;
            break;
        case O_REUSE:
            a.reuse_key = 1;
            break;
        case O_PKCSREQ:
            a.pkcsreq = 1;
            break;
        default:
            usage(stderr, cmd);
            return TOOL_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "scepkit: bad value for an option\n");
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "scepkit %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    if (client_opts_finish(&co, 1) != 0) {
        return TOOL_EXIT_USAGE;
    }
    if (a.out_path == NULL) {
        fprintf(stderr, "scepkit %s: -l/--out FILE is required\n", cmd);
        return TOOL_EXIT_USAGE;
    }
    if (is_poll && (a.state_path == NULL || a.key_path == NULL)) {
        fprintf(stderr, "scepkit poll: --state FILE and -k KEY are required\n");
        return TOOL_EXIT_USAGE;
    }
    if (is_renew && (a.cert_path == NULL || a.old_key_path == NULL)) {
        fprintf(stderr, "scepkit renew: --cert and --old-key are required\n");
        return TOOL_EXIT_USAGE;
    }
    if (!is_poll && !a.reuse_key && (a.key_path == NULL) == (a.genkey == NULL)) {
        fprintf(stderr, "scepkit %s: give -k KEY or --genkey SPEC --key-out FILE%s\n", cmd,
                is_renew ? " (or --reuse-key)" : "");
        return TOOL_EXIT_USAGE;
    }

    int rc = TOOL_EXIT_LOCAL;
    scepkit_drbg drbg;
    scepkit_softkey sk, old_sk;
    scepkit_curl_transport tr;
    scepkit_client cl;
    uint8_t *mem = NULL, *csr = NULL, *cert = NULL, *state = NULL;
    size_t csr_len = 0, cert_len = 0, state_len = 0, mem_len = 0;
    memset(&drbg, 0, sizeof drbg);
    memset(&tr, 0, sizeof tr);
    memset(&cl, 0, sizeof cl);
    memset(&sk, 0, sizeof sk);
    memset(&old_sk, 0, sizeof old_sk);
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("scepkit enroll"));
    if (e != SCEPKIT_OK) {
        tool_err("cannot seed the random generator", e);
        goto out;
    }
    scepkit_rng rng = scepkit_drbg_rng(&drbg);
    scepkit_softkey_init(&sk, rng);
    scepkit_softkey_init(&old_sk, rng);

    scepkit_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    client_config_from_opts(&co, &cfg);
    cfg.rng = rng;
    cfg.max_polls = a.max_polls;
    cfg.renew_with_pkcsreq = a.pkcsreq;
    size_t m = cfg.max_message ? cfg.max_message : SCEPKIT_CLIENT_DEFAULT_MAX_MESSAGE;
    mem_len = SCEPKIT_CLIENT_MEM_SIZE(m);
    mem = malloc(mem_len);
    if (mem == NULL) {
        goto out;
    }

    /* Keys: the request signer (the new key for enroll, the current key for renew) and the CSR's key. */
    scepkit_bytes default_subject = {NULL, 0};
    scepkit_x509 cur;
    if (is_renew) {
        cert = tool_read_der(a.cert_path, "CERTIFICATE", &cert_len);
        if (cert == NULL) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
        if ((e = scepkit_x509_parse((scepkit_bytes){cert, cert_len}, &cur)) != SCEPKIT_OK) {
            tool_err("the current certificate does not parse", e);
            rc = TOOL_EXIT_INPUT;
            goto out;
        }
        default_subject = cur.subject;
        if (client_load_key(a.old_key_path, a.old_key_pass, &old_sk, rng) != 0) {
            rc = TOOL_EXIT_INPUT;
            goto out;
        }
    }
    if (!is_poll) {
        if (a.reuse_key) {
            /* the new key is the old one: nothing to load */
        } else if (a.key_path != NULL) {
            if (client_load_key(a.key_path, a.key_pass, &sk, rng) != 0) {
                rc = TOOL_EXIT_INPUT;
                goto out;
            }
        } else if (client_generate_key(a.genkey, a.key_out, &sk, rng) != 0) {
            goto out;
        }
        scepkit_key new_key = a.reuse_key ? scepkit_softkey_key(&old_sk) : scepkit_softkey_key(&sk);
        csr = make_csr(&a, new_key, default_subject, &csr_len);
        if (csr == NULL) {
            rc = TOOL_EXIT_INPUT;
            goto out;
        }
        cfg.op = is_renew ? SCEPKIT_OP_RENEW : SCEPKIT_OP_ENROLL;
        cfg.csr = (scepkit_bytes){csr, csr_len};
        cfg.key = is_renew ? scepkit_softkey_key(&old_sk) : new_key;
        cfg.cert = (scepkit_bytes){cert, cert_len};
        cfg.challenge = reply_challenge(&a, csr, csr_len);
        e = scepkit_client_init(&cl, &cfg, mem, mem_len);
    } else {
        if (client_load_key(a.key_path, a.key_pass, &sk, rng) != 0) {
            rc = TOOL_EXIT_INPUT;
            goto out;
        }
        if (a.csr_path != NULL && (csr = tool_read_der(a.csr_path, "CERTIFICATE REQUEST", &csr_len)) == NULL) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
        state = client_read_state(a.state_path, &state_len);
        if (state == NULL) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
        cfg.op = 0; /* whatever the state was saved by: enroll or renew */
        cfg.csr = (scepkit_bytes){csr, csr_len};
        cfg.key = scepkit_softkey_key(&sk);
        cfg.challenge = reply_challenge(&a, csr, csr_len);
        e = scepkit_client_restore(&cl, &cfg, mem, mem_len, (scepkit_bytes){state, state_len});
    }
    if (e != SCEPKIT_OK) {
        rc = client_exit_for(is_poll ? "cannot resume from the state file" : "cannot start", e);
        goto out;
    }

    if (client_transport_open(&co, &tr) != 0) {
        goto out;
    }
    rc = client_run(&cl, scepkit_curl_transport_port(&tr), a.poll_interval, a.state_path);
    if (tool_verbose) {
        const scepkit_algs *al = scepkit_client_algs(&cl);
        fprintf(stderr, "scepkit: transactionID %s; %s, %s, %s\n", scepkit_client_transaction_id(&cl),
                client_cipher_name(al->cipher), client_md_name(al->md),
                al->pki_method == SCEPKIT_HTTP_POST ? "POST" : "GET");
    }
    if (rc == TOOL_EXIT_OK) {
        const scepkit_client_result *r = scepkit_client_result_get(&cl);
        if (client_write_certs(a.out_path, &r->cert, 1, co.der) != 0) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
        if (tool_verbose) {
            client_print_cert(stderr, "issued", r->cert);
            fprintf(stderr, "scepkit: the server answered with %s\n", client_cipher_name(r->reply_cipher));
        }
    }
out:
    scepkit_client_free(&cl);
    scepkit_curl_transport_free(&tr);
    scepkit_softkey_free(&sk);
    scepkit_softkey_free(&old_sk);
    scepkit_drbg_free(&drbg);
    if (csr != NULL) {
        scepkit_wipe(csr, csr_len); /* holds the challenge */
        free(csr);
    }
    free(cert);
    free(state);
    free(mem);
    return rc;
}
