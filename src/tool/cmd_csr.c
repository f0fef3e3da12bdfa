/* scepkit csr: make a PKCS#10 request, or show one. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static void csr_usage(FILE *f)
{
    fprintf(
        f, "usage: scepkit csr [options] --subject DN (--key FILE | --genkey SPEC --key-out FILE) [--out FILE]\n"
           "       scepkit csr --show FILE [--reveal-challenge]\n"
           "\n"
           "  -k, --key FILE          private key (PEM or DER; PKCS#8, PKCS#1, SEC1)\n"
           "      --key-pass PASS     password of an encrypted PKCS#8 key\n"
           "  -g, --genkey SPEC       generate a key: rsa:2048 (default size), rsa:3072, rsa:4096, ec:p256, ec:p384\n"
           "      --key-out FILE      where to write the generated key (PEM, mode 0600)\n"
           "  -s, --subject DN        e.g. \"CN=dev1,O=Acme,C=US\" or \"/C=US/O=Acme/CN=dev1\" (encoded in the order "
           "written)\n"
           "  -c, --challenge PW      challengePassword (the SCEP enrollment secret)\n"
           "      --dns NAME          subjectAltName dNSName (repeatable; likewise the next four)\n"
           "      --email ADDR        subjectAltName rfc822Name\n"
           "      --uri URI           subjectAltName URI\n"
           "      --ip ADDR           subjectAltName iPAddress (IPv4 or IPv6)\n"
           "      --upn NAME          subjectAltName otherName UPN (Microsoft)\n"
           "      --ku LIST           key usage, comma separated: digitalSignature, nonRepudiation, keyEncipherment,\n"
           "                          dataEncipherment, keyAgreement, keyCertSign, cRLSign\n"
           "      --eku LIST          extended key usage, comma separated names (clientAuth, serverAuth, ...) or OIDs\n"
           "      --md ALG            signature digest: sha256 (default), sha384, sha512\n"
           "  -o, --out FILE          output (default: standard output)\n"
           "      --der               write DER (default PEM)\n"
           "      --show FILE         parse FILE (PEM or DER), verify its signature, print its fields\n"
           "      --reveal-challenge  with --show, print the challenge password instead of its length\n"
           "  -v, --verbose\n");
}

static const struct {
    const char *name;
    uint32_t bit;
} ku_names[] = {
    {"digitalSignature", SCEPKIT_KU_DIGITAL_SIGNATURE},
    {"nonRepudiation", SCEPKIT_KU_NON_REPUDIATION},
    {"keyEncipherment", SCEPKIT_KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", SCEPKIT_KU_DATA_ENCIPHERMENT},
    {"keyAgreement", SCEPKIT_KU_KEY_AGREEMENT},
    {"keyCertSign", SCEPKIT_KU_KEY_CERT_SIGN},
    {"cRLSign", SCEPKIT_KU_CRL_SIGN},
    {"encipherOnly", SCEPKIT_KU_ENCIPHER_ONLY},
    {"decipherOnly", SCEPKIT_KU_DECIPHER_ONLY},
};

static int parse_ku(const char *list, uint32_t *out)
{
    char *copy = strdup(list);
    int ok = copy != NULL;
    char *save = NULL;
    for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; t != NULL && ok; t = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof ku_names / sizeof ku_names[0]; i++) {
            if (strcasecmp(t, ku_names[i].name) == 0) {
                *out |= ku_names[i].bit;
                break;
            }
        }
        if (i == sizeof ku_names / sizeof ku_names[0]) {
            fprintf(stderr, "scepkit: unknown key usage '%s'\n", t);
            ok = 0;
        }
    }
    free(copy);
    return ok;
}

#define MAX_OIDS SCEPKIT_CSR_MAX_EKUS
struct eku_set {
    uint8_t store[MAX_OIDS][32];
    scepkit_bytes oids[MAX_OIDS];
    size_t count;
};

static int parse_eku(const char *list, struct eku_set *s)
{
    char *copy = strdup(list);
    int ok = copy != NULL;
    char *save = NULL;
    for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; t != NULL && ok; t = strtok_r(NULL, ",", &save)) {
        if (s->count == MAX_OIDS) {
            fprintf(stderr, "scepkit: at most %d EKUs\n", MAX_OIDS);
            ok = 0;
            break;
        }
        size_t len = 0;
        scepkit_err e = scepkit_oid_from_text(scepkit_bytes_str(t), s->store[s->count], sizeof s->store[0], &len);
        if (e != SCEPKIT_OK) {
            fprintf(stderr, "scepkit: '%s' is not a known EKU name or a dotted OID\n", t);
            ok = 0;
            break;
        }
        s->oids[s->count].ptr = s->store[s->count];
        s->oids[s->count].len = len;
        s->count++;
    }
    free(copy);
    return ok;
}

static int parse_genkey(const char *spec, scepkit_key_type *type, size_t *bits)
{
    if (strncasecmp(spec, "rsa", 3) == 0) {
        *type = SCEPKIT_KEY_RSA;
        *bits = 2048;
        if (spec[3] == ':') {
            char *end = NULL;
            unsigned long b = strtoul(spec + 4, &end, 10);
            if (end == spec + 4 || *end != 0) {
                return 0;
            }
            *bits = b;
        } else if (spec[3] != 0) {
            return 0;
        }
        return 1;
    }
    if (strcasecmp(spec, "ec:p256") == 0 || strcasecmp(spec, "ec") == 0 || strcasecmp(spec, "ec:prime256v1") == 0) {
        *type = SCEPKIT_KEY_EC_P256;
        return 1;
    }
    if (strcasecmp(spec, "ec:p384") == 0 || strcasecmp(spec, "ec:secp384r1") == 0) {
        *type = SCEPKIT_KEY_EC_P384;
        return 1;
    }
    return 0;
}

static const char *key_type_name(scepkit_key_type t)
{
    switch (t) {
    case SCEPKIT_KEY_RSA:
        return "RSA";
    case SCEPKIT_KEY_EC_P256:
        return "EC P-256";
    case SCEPKIT_KEY_EC_P384:
        return "EC P-384";
    default:
        return "unsupported";
    }
}

static void print_oid(scepkit_bytes oid)
{
    char dotted[128];
    size_t n = 0;
    const char *name = scepkit_oid_name(oid);
    if (scepkit_oid_to_text(oid, dotted, sizeof dotted, &n) != SCEPKIT_OK) {
        strcpy(dotted, "?");
    }
    if (name != NULL) {
        printf("%s (%s)", name, dotted);
    } else {
        printf("%s", dotted);
    }
}

static int show(const char *path, int reveal)
{
    size_t len = 0;
    uint8_t *der = tool_read_der(path, NULL, &len);
    if (der == NULL) {
        return TOOL_EXIT_IO;
    }
    int rc = TOOL_EXIT_INPUT;
    scepkit_csr csr;
    scepkit_bytes in = {der, len};
    scepkit_err e = scepkit_csr_parse(in, &csr);
    if (e != SCEPKIT_OK) {
        tool_err("not a valid PKCS#10 request", e);
        goto out;
    }
    char name[2048];
    size_t nlen = 0;
    printf("PKCS#10 certificate request, %zu bytes\n", len);
    e = scepkit_name_format(csr.subject, name, sizeof name, &nlen);
    printf("  subject:     %s\n", e == SCEPKIT_OK ? name : "(unprintable)");
    printf("  public key:  %s", key_type_name(csr.key_type));
    if (csr.key_type == SCEPKIT_KEY_RSA) {
        printf(" %zu bits", csr.key_bits);
    }
    printf("\n  signature:   ");
    print_oid(csr.sig_alg_oid);
    e = scepkit_csr_verify(&csr, 0);
    printf(": %s\n", e == SCEPKIT_OK ? "verified" : scepkit_strerror(e));
    if (csr.has_challenge) {
        if (reveal) {
            printf("  challenge:   %.*s\n", (int)csr.challenge.len, (const char *)csr.challenge.ptr);
        } else {
            printf("  challenge:   present, %zu characters (--reveal-challenge to print)\n", csr.challenge.len);
        }
    }
    scepkit_csr_iter it = {0};
    scepkit_san san;
    int first = 1;
    while (scepkit_csr_next_san(&csr, &it, &san) == SCEPKIT_OK) {
        printf(first ? "  alt names:   " : ", ");
        first = 0;
        char ip[64];
        switch (san.type) {
        case SCEPKIT_SAN_DNS:
            printf("DNS:%.*s", (int)san.value.len, (const char *)san.value.ptr);
            break;
        case SCEPKIT_SAN_EMAIL:
            printf("email:%.*s", (int)san.value.len, (const char *)san.value.ptr);
            break;
        case SCEPKIT_SAN_URI:
            printf("URI:%.*s", (int)san.value.len, (const char *)san.value.ptr);
            break;
        case SCEPKIT_SAN_UPN:
            printf("UPN:%.*s", (int)san.value.len, (const char *)san.value.ptr);
            break;
        case SCEPKIT_SAN_IP:
            if ((san.value.len == 4 && inet_ntop(AF_INET, san.value.ptr, ip, sizeof ip) != NULL) ||
                (san.value.len == 16 && inet_ntop(AF_INET6, san.value.ptr, ip, sizeof ip) != NULL)) {
                printf("IP:%s", ip);
            } else {
                printf("IP:?");
            }
            break;
        default:
            printf("other(%d, %zu bytes)", (int)san.type, san.value.len);
            break;
        }
    }
    if (!first) {
        printf("\n");
    }
    if (csr.has_key_usage) {
        printf("  key usage:  ");
        for (size_t i = 0; i < sizeof ku_names / sizeof ku_names[0]; i++) {
            if (csr.key_usage & ku_names[i].bit) {
                printf(" %s", ku_names[i].name);
            }
        }
        printf("\n");
    }
    scepkit_csr_iter eit = {0};
    scepkit_bytes oid;
    first = 1;
    while (scepkit_csr_next_eku(&csr, &eit, &oid) == SCEPKIT_OK) {
        printf(first ? "  ext usage:   " : ", ");
        first = 0;
        print_oid(oid);
    }
    if (!first) {
        printf("\n");
    }
    scepkit_csr_iter xit = {0};
    scepkit_extension ext;
    while (scepkit_csr_next_extension(&csr, &xit, &ext) == SCEPKIT_OK) {
        printf("  extension:   ");
        print_oid(ext.oid);
        printf("%s, %zu bytes\n", ext.critical ? " critical" : "", ext.value.len);
    }
    uint8_t fp[32];
    size_t fplen = 0;
    if (scepkit_digest(SCEPKIT_MD_SHA256, csr.spki, fp, sizeof fp, &fplen) == SCEPKIT_OK) {
        printf("  key SHA-256: ");
        tool_hex(stdout, fp, fplen, ":");
        printf("\n");
    }
    rc = e == SCEPKIT_OK ? TOOL_EXIT_OK : TOOL_EXIT_INPUT;
out:
    scepkit_wipe(der, len);
    free(der);
    return rc;
}

int cmd_csr(int argc, char **argv)
{
    enum { O_KEYPASS = 256, O_KEYOUT, O_DNS, O_EMAIL, O_URI, O_IP, O_UPN, O_KU, O_EKU, O_MD, O_DER, O_SHOW, O_REVEAL };
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"key-pass", required_argument, NULL, O_KEYPASS},
        {"genkey", required_argument, NULL, 'g'},
        {"key-out", required_argument, NULL, O_KEYOUT},
        {"subject", required_argument, NULL, 's'},
        {"challenge", required_argument, NULL, 'c'},
        {"dns", required_argument, NULL, O_DNS},
        {"email", required_argument, NULL, O_EMAIL},
        {"uri", required_argument, NULL, O_URI},
        {"ip", required_argument, NULL, O_IP},
        {"upn", required_argument, NULL, O_UPN},
        {"ku", required_argument, NULL, O_KU},
        {"eku", required_argument, NULL, O_EKU},
        {"md", required_argument, NULL, O_MD},
        {"out", required_argument, NULL, 'o'},
        {"der", no_argument, NULL, O_DER},
        {"show", required_argument, NULL, O_SHOW},
        {"reveal-challenge", no_argument, NULL, O_REVEAL},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL, *key_pass = "", *genkey = NULL, *key_out = NULL, *subject = NULL;
    const char *challenge = NULL, *out_path = NULL, *show_path = NULL;
    int as_der = 0, reveal = 0;
    scepkit_md md = SCEPKIT_MD_SHA256;
    scepkit_san sans[SCEPKIT_CSR_MAX_SANS];
    uint8_t ips[SCEPKIT_CSR_MAX_SANS][16];
    size_t nsans = 0;
    uint32_t ku = 0;
    struct eku_set ekus;
    memset(&ekus, 0, sizeof ekus);

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "k:g:s:c:o:vh", opts, NULL)) != -1) {
        scepkit_san_type st = SCEPKIT_SAN_OTHER;
        switch (c) {
        case 'k':
            key_path = optarg;
            continue;
        case O_KEYPASS:
            key_pass = optarg;
            continue;
        case 'g':
            genkey = optarg;
            continue;
        case O_KEYOUT:
            key_out = optarg;
            continue;
        case 's':
            subject = optarg;
            continue;
        case 'c':
            challenge = optarg;
            continue;
        case 'o':
            out_path = optarg;
            continue;
        case O_DER:
            as_der = 1;
            continue;
        case O_SHOW:
            show_path = optarg;
            continue;
        case O_REVEAL:
            reveal = 1;
            continue;
        case 'v':
            tool_verbose = 1;
            continue;
        case 'h':
            csr_usage(stdout);
            return TOOL_EXIT_OK;
        case O_KU:
            if (!parse_ku(optarg, &ku)) {
                return TOOL_EXIT_USAGE;
            }
            continue;
        case O_EKU:
            if (!parse_eku(optarg, &ekus)) {
                return TOOL_EXIT_USAGE;
            }
            continue;
        case O_MD:
            if (strcasecmp(optarg, "sha256") == 0) {
                md = SCEPKIT_MD_SHA256;
            } else if (strcasecmp(optarg, "sha384") == 0) {
                md = SCEPKIT_MD_SHA384;
            } else if (strcasecmp(optarg, "sha512") == 0) {
                md = SCEPKIT_MD_SHA512;
            } else {
                fprintf(stderr, "scepkit: --md must be sha256, sha384 or sha512\n");
                return TOOL_EXIT_USAGE;
            }
            continue;
        case O_DNS:
            st = SCEPKIT_SAN_DNS;
            break;
        case O_EMAIL:
            st = SCEPKIT_SAN_EMAIL;
            break;
        case O_URI:
            st = SCEPKIT_SAN_URI;
            break;
        case O_UPN:
            st = SCEPKIT_SAN_UPN;
            break;
        case O_IP:
            st = SCEPKIT_SAN_IP;
            break;
        default:
            csr_usage(stderr);
            return TOOL_EXIT_USAGE;
        }
        /* a subjectAltName option */
        if (nsans == SCEPKIT_CSR_MAX_SANS) {
            fprintf(stderr, "scepkit: at most %d alternative names\n", SCEPKIT_CSR_MAX_SANS);
            return TOOL_EXIT_USAGE;
        }
        sans[nsans].type = st;
        if (st == SCEPKIT_SAN_IP) {
            if (inet_pton(AF_INET, optarg, ips[nsans]) == 1) {
                sans[nsans].value.len = 4;
            } else if (inet_pton(AF_INET6, optarg, ips[nsans]) == 1) {
                sans[nsans].value.len = 16;
            } else {
                fprintf(stderr, "scepkit: '%s' is not an IPv4 or IPv6 address\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            sans[nsans].value.ptr = ips[nsans];
        } else {
            sans[nsans].value = scepkit_bytes_str(optarg);
        }
        nsans++;
    }
    if (optind != argc) {
        fprintf(stderr, "scepkit: unexpected argument '%s'\n", argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    if (show_path != NULL) {
        return show(show_path, reveal);
    }
    if (subject == NULL || (key_path == NULL) == (genkey == NULL) || (genkey != NULL && key_out == NULL)) {
        fprintf(stderr, "scepkit: csr needs --subject and either --key or --genkey with --key-out\n");
        csr_usage(stderr);
        return TOOL_EXIT_USAGE;
    }

    int rc = TOOL_EXIT_LOCAL;
    scepkit_drbg drbg;
    memset(&drbg, 0, sizeof drbg);
    scepkit_softkey sk;
    uint8_t *key_file = NULL;
    size_t key_file_len = 0;
    uint8_t *csr = NULL;
    uint8_t *scratch_mem = NULL;
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("scepkit csr"));
    scepkit_softkey_init(&sk, scepkit_drbg_rng(&drbg));
    if (e != SCEPKIT_OK) {
        tool_err("random generator", e);
        goto out;
    }
    if (genkey != NULL) {
        scepkit_key_type kt = SCEPKIT_KEY_NONE;
        size_t bits = 0;
        if (!parse_genkey(genkey, &kt, &bits)) {
            fprintf(stderr, "scepkit: --genkey must be rsa[:BITS], ec:p256 or ec:p384\n");
            rc = TOOL_EXIT_USAGE;
            goto out;
        }
        e = scepkit_softkey_generate(&sk, kt, bits);
        if (e != SCEPKIT_OK) {
            tool_err("key generation", e);
            goto out;
        }
        uint8_t pem[16384];
        size_t pem_len = 0;
        e = scepkit_softkey_write_pem(&sk, pem, sizeof pem, &pem_len);
        int wr = e == SCEPKIT_OK ? tool_write_file(key_out, pem, pem_len, 1) : -1;
        scepkit_wipe(pem, sizeof pem);
        if (e != SCEPKIT_OK) {
            tool_err("writing the key", e);
            goto out;
        }
        if (wr != 0) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
    } else {
        key_file = tool_read_file(key_path, &key_file_len);
        if (key_file == NULL) {
            rc = TOOL_EXIT_IO;
            goto out;
        }
        scepkit_bytes kb = {key_file, key_file_len};
        e = scepkit_softkey_parse(&sk, kb, scepkit_bytes_str(key_pass));
        if (e != SCEPKIT_OK) {
            tool_err(key_path, e);
            goto out;
        }
    }

    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    size_t nattrs = 0;
    uint8_t oid_store[512];
    e = scepkit_name_from_string(scepkit_bytes_str(subject), attrs, SCEPKIT_NAME_MAX_ATTRS, &nattrs, oid_store,
                                 sizeof oid_store);
    if (e != SCEPKIT_OK) {
        tool_err("--subject", e);
        rc = TOOL_EXIT_USAGE;
        goto out;
    }

    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.subject = attrs;
    p.subject_count = nattrs;
    p.challenge = scepkit_bytes_str(challenge);
    p.sans = sans;
    p.san_count = nsans;
    p.key_usage = ku;
    p.ekus = ekus.oids;
    p.eku_count = ekus.count;
    p.md = md;

    scratch_mem = malloc(SCEPKIT_CSR_WRITE_SCRATCH + 16);
    if (scratch_mem == NULL) {
        goto out;
    }
    scepkit_arena arena;
    scepkit_arena_init(&arena, scratch_mem, SCEPKIT_CSR_WRITE_SCRATCH + 16);
    size_t need = 0;
    e = scepkit_csr_write(&p, scepkit_softkey_key(&sk), &arena, NULL, 0, &need);
    if (e != SCEPKIT_OK && e != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        tool_err("building the request", e);
        goto out;
    }
    csr = malloc(need);
    size_t csr_len = 0;
    if (csr == NULL) {
        goto out;
    }
    e = scepkit_csr_write(&p, scepkit_softkey_key(&sk), &arena, csr, need, &csr_len);
    if (e != SCEPKIT_OK) {
        tool_err("building the request", e);
        goto out;
    }
    if (tool_verbose) {
        fprintf(stderr, "scepkit: request is %zu bytes of DER (scratch peak %zu bytes)\n", csr_len, arena.peak);
    }
    if (tool_write_der_or_pem(out_path, csr, csr_len, "CERTIFICATE REQUEST", !as_der) != 0) {
        rc = TOOL_EXIT_IO;
        goto out;
    }
    rc = TOOL_EXIT_OK;
out:
    if (key_file != NULL) {
        scepkit_wipe(key_file, key_file_len);
        free(key_file);
    }
    free(csr);
    if (scratch_mem != NULL) {
        scepkit_wipe(scratch_mem, SCEPKIT_CSR_WRITE_SCRATCH + 16);
        free(scratch_mem);
    }
    scepkit_softkey_free(&sk);
    scepkit_drbg_free(&drbg);
    return rc;
}
