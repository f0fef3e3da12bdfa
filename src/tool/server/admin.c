/* scepkit-server: `init` (a new CA directory) and the admin commands (export, pending, approve, reject,
 * revoke, otp, challenge, index, crl). Admin commands open the same configuration and store as `run`
 * and may be used while the server runs: the file store locks across processes. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srv_tool.h"

/* ---------------------------------------------------------------------------------------------- */
/* Keys and certificates for init */

typedef struct made_cert {
    uint8_t der[8192];
    size_t len;
    uint8_t serial[SCEPKIT_SOFTCA_SERIAL_LEN];
} made_cert;

static int parse_key_spec(const char *spec, scepkit_key_type *type, size_t *bits)
{
    if (strcmp(spec, "rsa") == 0 || strcmp(spec, "rsa:2048") == 0) {
        *type = SCEPKIT_KEY_RSA;
        *bits = 2048;
    } else if (strcmp(spec, "rsa:3072") == 0) {
        *type = SCEPKIT_KEY_RSA;
        *bits = 3072;
    } else if (strcmp(spec, "rsa:4096") == 0) {
        *type = SCEPKIT_KEY_RSA;
        *bits = 4096;
    } else if (strcmp(spec, "ec") == 0 || strcmp(spec, "ec:p256") == 0 || strcmp(spec, "ec:P-256") == 0) {
        *type = SCEPKIT_KEY_EC_P256;
        *bits = 256;
    } else if (strcmp(spec, "ec:p384") == 0 || strcmp(spec, "ec:P-384") == 0) {
        *type = SCEPKIT_KEY_EC_P384;
        *bits = 384;
    } else {
        return -1;
    }
    return 0;
}

static int gen_key(scepkit_softkey *sk, scepkit_key_type type, size_t bits, const char *path)
{
    scepkit_err err = scepkit_softkey_generate(sk, type, bits);
    if (err != SCEPKIT_OK) {
        srv_err("key generation", err);
        return SRV_EXIT_LOCAL;
    }
    uint8_t pem[16384];
    size_t len = 0;
    err = scepkit_softkey_write_pem(sk, pem, sizeof pem, &len);
    int rc = SRV_EXIT_OK;
    if (err != SCEPKIT_OK) {
        srv_err("key encoding", err);
        rc = SRV_EXIT_LOCAL;
    } else if (srv_write_file(path, pem, len, 1, 1) != 0) {
        rc = SRV_EXIT_IO;
    }
    scepkit_wipe(pem, sizeof pem);
    return rc;
}

static int dn_der(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    size_t count = 0;
    uint8_t oids[512];
    scepkit_err err =
        scepkit_name_from_string(scepkit_bytes_str(text), attrs, SCEPKIT_NAME_MAX_ATTRS, &count, oids, sizeof oids);
    if (err == SCEPKIT_OK) {
        err = scepkit_name_write(attrs, count, out, cap, len);
    }
    if (err != SCEPKIT_OK) {
        fprintf(stderr, "scepkit-server: bad name \"%s\": %s\n", text, scepkit_strerror(err));
        return -1;
    }
    return 0;
}

/* A random positive serial, claimed in the store like every serial the CA issues. */
static int new_serial(scepkit_store st, scepkit_rng rng, uint8_t serial[SCEPKIT_SOFTCA_SERIAL_LEN])
{
    for (int tries = 0; tries < 8; tries++) {
        if (scepkit_rng_fill(rng, serial, SCEPKIT_SOFTCA_SERIAL_LEN) != SCEPKIT_OK) {
            return -1;
        }
        serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
        scepkit_err err = st.ops->serial_claim(st.self, (scepkit_bytes){serial, SCEPKIT_SOFTCA_SERIAL_LEN});
        if (err == SCEPKIT_OK) {
            return 0;
        }
        if (err != SCEPKIT_ERR_STORE_EXISTS) {
            srv_err("serial", err);
            return -1;
        }
    }
    return -1;
}

static int make_cert(made_cert *mc, scepkit_store st, scepkit_rng rng, scepkit_bytes issuer, scepkit_bytes subject,
                     scepkit_key subject_key, scepkit_key issuer_key, scepkit_bytes aki, int64_t nb, int64_t na,
                     int is_ca, uint32_t ku, scepkit_md md)
{
    uint8_t spki[SCEPKIT_MAX_SPKI_SIZE];
    size_t spki_len = 0;
    scepkit_err err = scepkit_key_public(subject_key, spki, sizeof spki, &spki_len);
    if (err != SCEPKIT_OK) {
        srv_err("public key", err);
        return SRV_EXIT_LOCAL;
    }
    if (new_serial(st, rng, mc->serial) != 0) {
        return SRV_EXIT_LOCAL;
    }
    scepkit_x509_params p;
    memset(&p, 0, sizeof p);
    p.serial = (scepkit_bytes){mc->serial, sizeof mc->serial};
    p.issuer = issuer;
    p.subject = subject;
    p.spki = (scepkit_bytes){spki, spki_len};
    p.not_before = nb;
    p.not_after = na;
    p.is_ca = is_ca;
    p.path_len = is_ca ? 0 : -1;
    p.key_usage = ku;
    p.add_ski = 1;
    p.aki_key_id = aki;
    p.md = md;
    static uint8_t scratch_mem[SCEPKIT_X509_WRITE_SCRATCH + 4096];
    scepkit_arena arena;
    scepkit_arena_init(&arena, scratch_mem, sizeof scratch_mem);
    err = scepkit_x509_write(&p, issuer_key, &arena, mc->der, sizeof mc->der, &mc->len);
    if (err != SCEPKIT_OK) {
        srv_err("certificate", err);
        return SRV_EXIT_LOCAL;
    }
    return SRV_EXIT_OK;
}

static int write_cert_files(const char *dir, const char *base, const made_cert *mc, int with_cer)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.pem", dir, base);
    if (srv_write_pem(path, mc->der, mc->len, "CERTIFICATE", 1) != 0) {
        return SRV_EXIT_IO;
    }
    if (with_cer) {
        snprintf(path, sizeof path, "%s/%s.cer", dir, base);
        if (srv_write_file(path, mc->der, mc->len, 0, 1) != 0) {
            return SRV_EXIT_IO;
        }
    }
    return SRV_EXIT_OK;
}

static void random_text(scepkit_rng rng, char *out, size_t nbytes)
{
    uint8_t r[32];
    if (nbytes > sizeof r) {
        nbytes = sizeof r;
    }
    if (scepkit_rng_fill(rng, r, nbytes) != SCEPKIT_OK) {
        out[0] = 0;
        return;
    }
    srv_hex(out, r, nbytes);
    scepkit_wipe(r, sizeof r);
}

static void fingerprints(const uint8_t *der, size_t len)
{
    uint8_t d[32];
    size_t n = 0;
    char hex[65];
    if (scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){der, len}, d, sizeof d, &n) == SCEPKIT_OK) {
        srv_hex(hex, d, n);
        printf("  SHA-256 fingerprint: %s\n", hex);
    }
    if (scepkit_digest(SCEPKIT_MD_SHA1, (scepkit_bytes){der, len}, d, sizeof d, &n) == SCEPKIT_OK) {
        srv_hex(hex, d, n);
        printf("  SHA-1 thumbprint:    %s\n", hex);
    }
}

/* mkdir -p, the last component mode 0700. */
static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p != 0; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return (mkdir(tmp, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

static void init_usage(FILE *f)
{
    fprintf(f, "usage: scepkit-server init DIR [options]\n"
               "\n"
               "Creates DIR (mode 0700) with a new CA, its configuration file and an empty store.\n"
               "  -s, --subject DN        CA subject (default \"CN=scepkit-server CA,O=scepkit\")\n"
               "  -k, --key SPEC          CA key: rsa (rsa:2048, default), rsa:3072, rsa:4096, ec (P-256), ec:p384\n"
               "      --days N            CA validity in days (default 3650)\n"
               "      --ra                separate RA signing and RA encryption certificates (RSA; implied by EC)\n"
               "      --ra-key SPEC       RA keys: rsa, rsa:3072, rsa:4096 (default rsa)\n"
               "      --challenge PW      static challenge password (default: a random one, printed)\n"
               "      --no-challenge      no static challenge: one-time passwords and tokens only\n"
               "      --listen ADDR       address to listen on (default 127.0.0.1)\n"
               "  -p, --port N            port (default 8080)\n"
               "      --legacy            allow_legacy = 1 (single-DES / MD5 requests, micromdm's scepclient)\n"
               "      --manual-approval   requests wait for `scepkit-server approve`\n"
               "      --validity-days N   validity of issued certificates (default 365)\n");
}

int srv_cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"subject", required_argument, NULL, 's'}, {"key", required_argument, NULL, 'k'},
        {"days", required_argument, NULL, 1},      {"ra", no_argument, NULL, 2},
        {"ra-key", required_argument, NULL, 3},    {"challenge", required_argument, NULL, 4},
        {"no-challenge", no_argument, NULL, 5},    {"listen", required_argument, NULL, 6},
        {"port", required_argument, NULL, 'p'},    {"legacy", no_argument, NULL, 7},
        {"manual-approval", no_argument, NULL, 8}, {"validity-days", required_argument, NULL, 9},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *subject = "CN=scepkit-server CA,O=scepkit", *key_spec = "rsa", *ra_key_spec = "rsa";
    const char *challenge = NULL, *listen_addr = NULL;
    long days = 3650, port = -1, validity = 0;
    int ra = 0, no_challenge = 0, legacy = 0, manual = 0, ch;
    while ((ch = getopt_long(argc, argv, "s:k:p:h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            subject = optarg;
            break;
        case 'k':
            key_spec = optarg;
            break;
        case 1:
            days = strtol(optarg, NULL, 10);
            break;
        case 2:
            ra = 1;
            break;
        case 3:
            ra_key_spec = optarg;
            break;
        case 4:
            challenge = optarg;
            break;
        case 5:
            no_challenge = 1;
            break;
        case 6:
            listen_addr = optarg;
            break;
        case 'p':
            port = strtol(optarg, NULL, 10);
            break;
        case 7:
            legacy = 1;
            break;
        case 8:
            manual = 1;
            break;
        case 9:
            validity = strtol(optarg, NULL, 10);
            break;
        case 'h':
            init_usage(stdout);
            return SRV_EXIT_OK;
        default:
            init_usage(stderr);
            return SRV_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || days < 1 || days > 36500 || port > 65535 || validity < 0 || validity > 36500) {
        init_usage(stderr);
        return SRV_EXIT_USAGE;
    }
    const char *dir = argv[optind];
    scepkit_key_type ca_type, ra_type;
    size_t ca_bits, ra_bits;
    if (parse_key_spec(key_spec, &ca_type, &ca_bits) != 0 || parse_key_spec(ra_key_spec, &ra_type, &ra_bits) != 0 ||
        ra_type != SCEPKIT_KEY_RSA) {
        fprintf(stderr, "scepkit-server: bad key spec (CA: rsa, rsa:3072, rsa:4096, ec, ec:p384; RA: rsa only)\n");
        return SRV_EXIT_USAGE;
    }
    if (ca_type != SCEPKIT_KEY_RSA && !ra) {
        /* SCEP requests are encrypted to the server with RSA key transport: an EC CA needs an RSA RA. */
        printf("note: an EC CA cannot decrypt SCEP requests: adding RSA RA certificates (--ra)\n");
        ra = 1;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, SRV_CONF_NAME);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "scepkit-server: %s already exists: refusing to overwrite a CA\n", path);
        return SRV_EXIT_USAGE;
    }
    if (mkdir_p(dir) != 0) {
        fprintf(stderr, "scepkit-server: cannot create %s: %s\n", dir, strerror(errno));
        return SRV_EXIT_IO;
    }
    char store_dir[1200];
    snprintf(store_dir, sizeof store_dir, "%s/store", dir);
    if (mkdir(store_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "scepkit-server: cannot create %s: %s\n", store_dir, strerror(errno));
        return SRV_EXIT_IO;
    }

    int rc = SRV_EXIT_LOCAL;
    scepkit_locked_rng lrng;
    scepkit_file_store fs;
    scepkit_softkey ca_sk, rs_sk, re_sk;
    made_cert *ca = calloc(1, sizeof *ca), *rs = calloc(1, sizeof *rs), *re = calloc(1, sizeof *re);
    memset(&fs, 0, sizeof fs);
    if (scepkit_locked_rng_init(&lrng, scepkit_bytes_str("scepkit-server init")) != SCEPKIT_OK) {
        fprintf(stderr, "scepkit-server: random generator failed\n");
        free(ca);
        free(rs);
        free(re);
        return SRV_EXIT_LOCAL;
    }
    scepkit_rng rng = scepkit_locked_rng_port(&lrng);
    scepkit_softkey_init(&ca_sk, rng);
    scepkit_softkey_init(&rs_sk, rng);
    scepkit_softkey_init(&re_sk, rng);
    srv_conf conf;
    srv_conf_defaults(&conf);
    uint8_t name[1024];
    size_t name_len = 0;
    if (ca == NULL || rs == NULL || re == NULL) {
        goto out;
    }
    if (dn_der(subject, name, sizeof name, &name_len) != 0) {
        rc = SRV_EXIT_USAGE;
        goto out;
    }
    if (scepkit_file_store_open(&fs, store_dir) != SCEPKIT_OK) {
        rc = SRV_EXIT_IO;
        goto out;
    }
    scepkit_store st = scepkit_file_store_port(&fs);
    int64_t now = (int64_t)time(NULL);
    int64_t nb = now - 300, na = now + (int64_t)days * 86400;
    scepkit_md md = ca_type == SCEPKIT_KEY_EC_P384 ? SCEPKIT_MD_SHA384 : SCEPKIT_MD_SHA256;

    printf("== generating the CA key (%s) in %s/ca.key\n", key_spec, dir);
    snprintf(path, sizeof path, "%s/ca.key", dir);
    rc = gen_key(&ca_sk, ca_type, ca_bits, path);
    if (rc != SRV_EXIT_OK) {
        goto out;
    }
    /* keyUsage: keyCertSign and cRLSign; digitalSignature because in CA mode it signs CertReps (and OpenSSL's
     * `cms -verify` wants it); keyEncipherment in CA mode because requests are encrypted to it. */
    uint32_t ku = SCEPKIT_KU_KEY_CERT_SIGN | SCEPKIT_KU_CRL_SIGN | SCEPKIT_KU_DIGITAL_SIGNATURE;
    if (!ra) {
        ku |= SCEPKIT_KU_KEY_ENCIPHERMENT;
    }
    scepkit_bytes nm = {name, name_len};
    rc = make_cert(ca, st, rng, nm, nm, scepkit_softkey_key(&ca_sk), scepkit_softkey_key(&ca_sk),
                   (scepkit_bytes){NULL, 0}, nb, na, 1, ku, md);
    if (rc == SRV_EXIT_OK) {
        rc = write_cert_files(dir, "ca", ca, 1);
    }
    if (rc != SRV_EXIT_OK) {
        goto out;
    }
    scepkit_x509 cax;
    if (scepkit_x509_parse((scepkit_bytes){ca->der, ca->len}, &cax) != SCEPKIT_OK) {
        rc = SRV_EXIT_LOCAL;
        goto out;
    }
    printf("== CA certificate %s/ca.pem (and ca.cer, DER): %s, valid %ld days\n", dir, subject, days);
    fingerprints(ca->der, ca->len);
    snprintf(conf.ca_cert, sizeof conf.ca_cert, "ca.pem");
    snprintf(conf.ca_key, sizeof conf.ca_key, "ca.key");

    if (ra) {
        static const char *const ra_names[2] = {"ra-sign", "ra-enc"};
        static const char *const ra_dns[2] = {"CN=scepkit-server RA signing,O=scepkit",
                                              "CN=scepkit-server RA encryption,O=scepkit"};
        /* NDES-style: one keyUsage bit each, so clients pick them by that bit. */
        static const uint32_t ra_ku[2] = {SCEPKIT_KU_DIGITAL_SIGNATURE, SCEPKIT_KU_KEY_ENCIPHERMENT};
        scepkit_softkey *keys[2] = {&rs_sk, &re_sk};
        made_cert *certs[2] = {rs, re};
        for (int i = 0; i < 2; i++) {
            uint8_t rname[256];
            size_t rlen = 0;
            if (dn_der(ra_dns[i], rname, sizeof rname, &rlen) != 0) {
                rc = SRV_EXIT_LOCAL;
                goto out;
            }
            printf("== generating the RA %s key (%s) and certificate %s/%s.pem\n", i == 0 ? "signing" : "encryption",
                   ra_key_spec, dir, ra_names[i]);
            snprintf(path, sizeof path, "%s/%s.key", dir, ra_names[i]);
            rc = gen_key(keys[i], ra_type, ra_bits, path);
            if (rc == SRV_EXIT_OK) {
                rc = make_cert(certs[i], st, rng, nm, (scepkit_bytes){rname, rlen}, scepkit_softkey_key(keys[i]),
                               scepkit_softkey_key(&ca_sk), cax.ski, nb, na, 0, ra_ku[i], md);
            }
            if (rc == SRV_EXIT_OK) {
                rc = write_cert_files(dir, ra_names[i], certs[i], 0);
            }
            if (rc != SRV_EXIT_OK) {
                goto out;
            }
        }
        snprintf(conf.ra_sign_cert, sizeof conf.ra_sign_cert, "ra-sign.pem");
        snprintf(conf.ra_sign_key, sizeof conf.ra_sign_key, "ra-sign.key");
        snprintf(conf.ra_enc_cert, sizeof conf.ra_enc_cert, "ra-enc.pem");
        snprintf(conf.ra_enc_key, sizeof conf.ra_enc_key, "ra-enc.key");
    }

    if (challenge != NULL) {
        if (strlen(challenge) >= sizeof conf.challenge || strlen(challenge) == 0) {
            fprintf(stderr, "scepkit-server: challenge must be 1..255 characters\n");
            rc = SRV_EXIT_USAGE;
            goto out;
        }
        snprintf(conf.challenge, sizeof conf.challenge, "%s", challenge);
    } else if (!no_challenge) {
        random_text(rng, conf.challenge, 16);
    }
    random_text(rng, conf.token_key, 32);
    if (listen_addr != NULL) {
        snprintf(conf.listen, sizeof conf.listen, "%s", listen_addr);
    }
    if (port >= 0) {
        conf.port = (unsigned)port;
    }
    if (validity > 0) {
        conf.validity_days = (unsigned)validity;
    }
    conf.allow_legacy = legacy;
    conf.manual_approval = manual;
    snprintf(path, sizeof path, "%s/%s", dir, SRV_CONF_NAME);
    if (srv_conf_write(&conf, path) != 0) {
        rc = SRV_EXIT_IO;
        goto out;
    }
    printf("== configuration %s (%s mode)\n", path, ra ? "RA" : "CA");
    if (conf.challenge[0] != 0) {
        printf("  static challenge password: %s\n", conf.challenge);
    } else {
        printf("  no static challenge: use `scepkit-server otp %s` or `scepkit-server challenge %s`\n", dir, dir);
    }
    printf("== start it with: scepkit-server run %s\n", dir);
    rc = SRV_EXIT_OK;
out:
    scepkit_softkey_free(&ca_sk);
    scepkit_softkey_free(&rs_sk);
    scepkit_softkey_free(&re_sk);
    scepkit_file_store_close(&fs);
    scepkit_locked_rng_free(&lrng);
    scepkit_wipe(&conf, sizeof conf);
    free(ca);
    free(rs);
    free(re);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Admin commands */

static const char *const reason_names[] = {
    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
    "superseded",    "cessationOfOperation", "certificateHold", "",
    "removeFromCRL", "privilegeWithdrawn",   "aACompromise"};

static int parse_reason(const char *s)
{
    for (int i = 0; i < 11; i++) {
        if (reason_names[i][0] != 0 && strcasecmp(s, reason_names[i]) == 0) {
            return i;
        }
    }
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*end == 0 && end != s && v >= 0 && v <= 10 && v != 7) {
        return (int)v;
    }
    return -2;
}

static int parse_fail_info(const char *s, scepkit_fail_info *fi)
{
    static const char *const names[] = {"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId"};
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *fi = (scepkit_fail_info)i;
            return 0;
        }
    }
    return -1;
}

typedef struct index_ctx {
    int64_t now;
    unsigned count;
    int json;
} index_ctx;

static scepkit_err print_cert(void *vctx, const scepkit_store_cert *rec)
{
    index_ctx *ic = vctx;
    char serial[2 * SCEPKIT_SERIAL_MAX + 1], subject[512] = "?", na[40], ia[40];
    srv_hex(serial, rec->serial, rec->serial_len);
    scepkit_x509 x;
    if (scepkit_x509_parse(rec->cert, &x) == SCEPKIT_OK) {
        srv_name_text(x.subject, subject, sizeof subject);
    }
    srv_time_text(rec->not_after, na, sizeof na);
    srv_time_text(rec->issued_at, ia, sizeof ia);
    const char *status = rec->revoked ? "revoked" : rec->not_after < ic->now ? "expired" : "valid";
    printf("%s  %-7s  issued %s  notAfter %s  profile=%s  %s\n", serial, status, ia, na,
           rec->profile[0] != '\0' ? rec->profile : "-", subject);
    ic->count++;
    return SCEPKIT_OK;
}

static scepkit_err print_pending(void *vctx, const scepkit_store_tx *tx)
{
    index_ctx *ic = vctx;
    if (tx->state != SCEPKIT_TX_PENDING || tx->ca_pending) {
        return SCEPKIT_OK;
    }
    char subject[512] = "?", created[40];
    scepkit_csr csr;
    if (scepkit_csr_parse(tx->csr, &csr) == SCEPKIT_OK) {
        srv_name_text(csr.subject, subject, sizeof subject);
    }
    srv_time_text(tx->created, created, sizeof created);
    printf("%s  %s  %s  profile=%s  %s\n", tx->transaction_id, scepkit_msg_type_name(tx->msg_type), created,
           tx->profile[0] ? tx->profile : "-", subject);
    ic->count++;
    return SCEPKIT_OK;
}

/* GeneralNames DER for a token's allowed subjectAltNames (RFC 5280 §4.2.1.6):
 *   GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 *   GeneralName ::= CHOICE { rfc822Name [1] IA5String, dNSName [2] IA5String,
 *                            uniformResourceIdentifier [6] IA5String, iPAddress [7] OCTET STRING, ... } */
static size_t put_tlv(uint8_t *out, size_t cap, size_t at, uint8_t tag, const uint8_t *v, size_t n)
{
    uint8_t hdr[4];
    size_t h = 0;
    hdr[h++] = tag;
    if (n < 128) {
        hdr[h++] = (uint8_t)n;
    } else if (n < 256) {
        hdr[h++] = 0x81;
        hdr[h++] = (uint8_t)n;
    } else {
        hdr[h++] = 0x82;
        hdr[h++] = (uint8_t)(n >> 8);
        hdr[h++] = (uint8_t)n;
    }
    if (at + h + n > cap || n > 65535) {
        return SIZE_MAX;
    }
    memcpy(out + at, hdr, h);
    memmove(out + at + h, v, n);
    return at + h + n;
}

int srv_cmd_admin(const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},  {"fail-info", required_argument, NULL, 'f'},
        {"profile", required_argument, NULL, 'P'}, {"count", required_argument, NULL, 'n'},
        {"subject", required_argument, NULL, 's'}, {"dns", required_argument, NULL, 1},
        {"email", required_argument, NULL, 2},     {"uri", required_argument, NULL, 3},
        {"ip", required_argument, NULL, 4},        {"ttl", required_argument, NULL, 5},
        {"days", required_argument, NULL, 6},      {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *reason = NULL, *fail = NULL, *profile = "", *subject = NULL, *out = NULL;
    long count = 1, ttl = 3600, vdays = 0;
    uint8_t sans[1024];
    size_t sans_len = 0;
    int ch, bad = 0;
    while ((ch = getopt_long(argc, argv, "r:f:P:n:s:o:h", opts, NULL)) != -1) {
        size_t at;
        uint8_t ip[16];
        switch (ch) {
        case 'r':
            reason = optarg;
            break;
        case 'f':
            fail = optarg;
            break;
        case 'P':
            profile = optarg;
            break;
        case 'n':
            count = strtol(optarg, NULL, 10);
            break;
        case 's':
            subject = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 5:
            ttl = strtol(optarg, NULL, 10);
            break;
        case 6:
            vdays = strtol(optarg, NULL, 10);
            break;
        case 1:
        case 2:
        case 3:
            at = put_tlv(sans, sizeof sans, sans_len,
                         ch == 1   ? 0x82
                         : ch == 2 ? 0x81
                                   : 0x86,
                         (const uint8_t *)optarg, strlen(optarg));
            if (at == SIZE_MAX) {
                bad = 1;
            } else {
                sans_len = at;
            }
            break;
        case 4:
            if (inet_pton(AF_INET, optarg, ip) == 1) {
                at = put_tlv(sans, sizeof sans, sans_len, 0x87, ip, 4);
            } else if (inet_pton(AF_INET6, optarg, ip) == 1) {
                at = put_tlv(sans, sizeof sans, sans_len, 0x87, ip, 16);
            } else {
                at = SIZE_MAX;
            }
            if (at == SIZE_MAX) {
                bad = 1;
            } else {
                sans_len = at;
            }
            break;
        case 'h':
        default:
            bad = 1;
            break;
        }
    }
    int nargs = argc - optind;
    int need = (strcmp(cmd, "approve") == 0 || strcmp(cmd, "reject") == 0 || strcmp(cmd, "revoke") == 0) ? 2 : 1;
    if (bad || nargs != need) {
        fprintf(stderr, "scepkit-server %s: bad arguments (see `scepkit-server help`)\n", cmd);
        return SRV_EXIT_USAGE;
    }
    const char *dir = argv[optind];
    const char *arg = need == 2 ? argv[optind + 1] : NULL;

    static srv_app app;
    int rc = srv_app_open(&app, dir, 1);
    if (rc != SRV_EXIT_OK) {
        srv_app_close(&app);
        return rc;
    }
    size_t scratch_size = 0, out_size = 0;
    srv_app_buffers(&app, &scratch_size, &out_size);
    uint8_t *scratch = malloc(scratch_size);
    scepkit_arena arena;
    if (scratch == NULL) {
        srv_app_close(&app);
        return SRV_EXIT_LOCAL;
    }
    scepkit_arena_init(&arena, scratch, scratch_size);
    scepkit_store st = scepkit_file_store_port(&app.fs);
    scepkit_err err = SCEPKIT_OK;
    index_ctx ic = {(int64_t)time(NULL), 0, 0};

    if (strcmp(cmd, "export") == 0) {
        /* The CA certificate for a "trusted root" profile: DER (.cer, what Windows and MDMs import) and PEM. */
        const char *base = out != NULL ? out : "ca";
        char path[1200];
        snprintf(path, sizeof path, "%s.cer", base);
        if (srv_write_file(path, app.ca_cert, app.ca_cert_len, 0, 0) != 0) {
            rc = SRV_EXIT_IO;
        } else {
            printf("%s (DER)\n", path);
            snprintf(path, sizeof path, "%s.pem", base);
            if (srv_write_pem(path, app.ca_cert, app.ca_cert_len, "CERTIFICATE", 0) != 0) {
                rc = SRV_EXIT_IO;
            } else {
                printf("%s (PEM)\n", path);
                scepkit_x509 x;
                char name[512] = "?";
                if (scepkit_x509_parse((scepkit_bytes){app.ca_cert, app.ca_cert_len}, &x) == SCEPKIT_OK) {
                    srv_name_text(x.subject, name, sizeof name);
                }
                printf("  subject: %s\n", name);
                fingerprints(app.ca_cert, app.ca_cert_len);
            }
        }
    } else if (strcmp(cmd, "index") == 0) {
        err = st.ops->cert_each(st.self, print_cert, &ic);
        if (err == SCEPKIT_OK) {
            printf("%u certificate(s)\n", ic.count);
        }
    } else if (strcmp(cmd, "pending") == 0) {
        err = st.ops->tx_each(st.self, print_pending, &ic);
        if (err == SCEPKIT_OK) {
            printf("%u pending request(s)\n", ic.count);
        }
    } else if (strcmp(cmd, "approve") == 0) {
        err = scepkit_server_approve(&app.srv, scepkit_bytes_str(arg), &arena);
        if (err == SCEPKIT_OK) {
            printf("approved %s: the certificate is issued; the client gets it at its next poll\n", arg);
        }
    } else if (strcmp(cmd, "reject") == 0) {
        scepkit_fail_info fi = SCEPKIT_FAIL_BAD_REQUEST;
        if (fail != NULL && parse_fail_info(fail, &fi) != 0) {
            fprintf(stderr, "scepkit-server: --fail-info badAlg|badMessageCheck|badRequest|badTime|badCertId\n");
            rc = SRV_EXIT_USAGE;
        } else {
            err = scepkit_server_reject(&app.srv, scepkit_bytes_str(arg), fi, scepkit_bytes_str(reason ? reason : ""),
                                        &arena);
            if (err == SCEPKIT_OK) {
                printf("rejected %s\n", arg);
            }
        }
    } else if (strcmp(cmd, "revoke") == 0) {
        uint8_t serial[SCEPKIT_SERIAL_MAX];
        long n = srv_unhex(arg, serial, sizeof serial);
        int r = reason != NULL ? parse_reason(reason) : -1;
        if (n <= 0 || r == -2) {
            fprintf(stderr, "scepkit-server: revoke DIR SERIAL-HEX [--reason keyCompromise|superseded|...|N]\n");
            rc = SRV_EXIT_USAGE;
        } else {
            err = scepkit_server_revoke(&app.srv, (scepkit_bytes){serial, (size_t)n}, r);
            if (err == SCEPKIT_OK) {
                printf("revoked %s; the next CRL lists it\n", arg);
            }
        }
    } else if (strcmp(cmd, "otp") == 0) {
        if (!app.conf.otp) {
            fprintf(stderr, "scepkit-server: one-time passwords are off in the configuration (otp = 0)\n");
            rc = SRV_EXIT_USAGE;
        }
        for (long i = 0; rc == SRV_EXIT_OK && i < count && err == SCEPKIT_OK; i++) {
            char pw[SCEPKIT_OTP_TEXT_LEN + 1];
            size_t len = 0;
            err = scepkit_otp_generate(&app.p_otp, scepkit_bytes_str(profile), pw, sizeof pw, &len);
            if (err == SCEPKIT_OK) {
                printf("%s\n", pw);
            }
            scepkit_wipe(pw, sizeof pw);
        }
    } else if (strcmp(cmd, "challenge") == 0) {
        uint8_t name[512];
        size_t name_len = 0;
        if (!app.has_token) {
            fprintf(stderr, "scepkit-server: no token_key in the configuration\n");
            rc = SRV_EXIT_USAGE;
        } else if (subject == NULL || ttl <= 0 || vdays < 0 || dn_der(subject, name, sizeof name, &name_len) != 0) {
            fprintf(stderr, "scepkit-server: challenge DIR --subject DN [--dns N] [--email A] [--uri U] [--ip A]"
                            " [--profile P] [--ttl SEC] [--days N]\n");
            rc = SRV_EXIT_USAGE;
        } else {
            uint8_t wrapped[1100];
            size_t wl = 0;
            scepkit_token_claims cl;
            memset(&cl, 0, sizeof cl);
            cl.subject = (scepkit_bytes){name, name_len};
            if (sans_len > 0) {
                wl = put_tlv(wrapped, sizeof wrapped, 0, 0x30, sans, sans_len);
                cl.sans = (scepkit_bytes){wrapped, wl};
            }
            cl.profile = scepkit_bytes_str(profile);
            cl.expires = (int64_t)time(NULL) + ttl;
            cl.validity_days = (uint32_t)vdays;
            char tok[SCEPKIT_TOKEN_MAX_LEN + 1];
            size_t tl = 0;
            err = scepkit_token_issue(&app.token_key, &cl, tok, sizeof tok, &tl);
            if (err == SCEPKIT_OK) {
                printf("%s\n", tok);
            }
        }
    } else if (strcmp(cmd, "crl") == 0) {
        scepkit_ca ca = scepkit_softca_port(&app.softca);
        scepkit_x509 x;
        uint8_t *crl = malloc(1u << 20);
        size_t len = 0;
        if (crl == NULL || scepkit_x509_parse((scepkit_bytes){app.ca_cert, app.ca_cert_len}, &x) != SCEPKIT_OK) {
            rc = SRV_EXIT_LOCAL;
        } else {
            err = ca.ops->get_crl(ca.self, x.subject, crl, 1u << 20, &len);
            if (err == SCEPKIT_OK && srv_write_file(out != NULL ? out : "-", crl, len, 0, 0) != 0) {
                rc = SRV_EXIT_IO;
            }
        }
        free(crl);
    } else {
        fprintf(stderr, "scepkit-server: unknown command '%s'\n", cmd);
        rc = SRV_EXIT_USAGE;
    }
    if (rc == SRV_EXIT_OK && err != SCEPKIT_OK) {
        srv_err(cmd, err);
        rc = err == SCEPKIT_ERR_NOT_FOUND                                     ? SRV_EXIT_NOTFOUND
             : (err == SCEPKIT_ERR_TX_STATE || err == SCEPKIT_ERR_STORE_FULL) ? SRV_EXIT_USAGE
                                                                              : SRV_EXIT_LOCAL;
    }
    free(scratch);
    srv_app_close(&app);
    return rc;
}
