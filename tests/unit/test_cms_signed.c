/* CMS SignedData: our writer checked by `openssl cms -verify`, OpenSSL's output (DER, -stream BER, -keyid)
 * parsed and verified by us, certs-only both ways, and hostile input: each failure a specific error. */
#include "cms_helpers.h"

#include "der/der.h"
#include "der/oid.h"

static const char content_text[] = "SCEP pkiMessage content: a PKCS#10 would go here.\n";

typedef struct signer_fixture {
    uint8_t *cert, *ca, *crl;
    size_t cert_len, ca_len, crl_len;
    scepkit_softkey sk;
    ts_det_rng rng;
} signer_fixture;

static void fixture_load(signer_fixture *f, const char *cert, const char *key)
{
    char path[700];
    memset(f, 0, sizeof *f);
    ts_det_rng_init(&f->rng, 11);
    f->cert = cms_pki_der(cert, &f->cert_len);
    f->ca = cms_pki_der("ca.der", &f->ca_len);
    f->crl = cms_pki_der("crl.der", &f->crl_len);
    cms_pki_path(key, path, sizeof path);
    cms_load_key(&f->sk, path, ts_det_rng_port(&f->rng));
}

static void fixture_free(signer_fixture *f)
{
    scepkit_softkey_free(&f->sk);
    free(f->cert);
    free(f->ca);
    free(f->crl);
}

/* A caller attribute: SCEP transactionID as a PrintableString. */
static const uint8_t txid_attr[] = {0x30, 0x18, 0x06, 0x0a, 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09,
                                    0x07, 0x31, 0x0a, 0x13, 0x08, 'T',  'X',  'I',  'D',  '1',  '2',  '3',  '4'};

static void params_default(scepkit_cms_signed_params *p, signer_fixture *f, scepkit_bytes *certs, scepkit_bytes *attrs)
{
    memset(p, 0, sizeof *p);
    p->content = scepkit_bytes_str(content_text);
    p->signer_cert = (scepkit_bytes){f->cert, f->cert_len};
    p->key = scepkit_softkey_key(&f->sk);
    p->with_signing_time = 1;
    p->signing_time = 1764000000; /* 2025-11-24 */
    certs[0] = p->signer_cert;
    certs[1] = (scepkit_bytes){f->ca, f->ca_len};
    p->certs = certs;
    p->cert_count = 2;
    attrs[0] = (scepkit_bytes){txid_attr, sizeof txid_attr};
    p->attrs = attrs;
    p->attr_count = 1;
}

static uint8_t *sign_or_die(const scepkit_cms_signed_params *p, size_t *len)
{
    static uint8_t mem[SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(64)];
    scepkit_arena a;
    size_t need = 0;
    scepkit_arena_init(&a, mem, sizeof mem);
    cr_assert_eq(scepkit_cms_signed_write(p, &a, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    scepkit_err err = scepkit_cms_signed_write(p, &a, out, need, len);
    cr_assert_eq(err, SCEPKIT_OK, "signed_write: %s", scepkit_err_name(err));
    cr_assert_leq(*len, need);
    cr_assert_eq(a.used, 0, "arena released");
    return out;
}

static scepkit_err parse_and_verify(const uint8_t *msg, size_t len, unsigned flags)
{
    scepkit_cms_signed sd;
    scepkit_err err = scepkit_cms_signed_parse((scepkit_bytes){msg, len}, flags, &sd);
    if (err != SCEPKIT_OK) {
        return err;
    }
    return scepkit_cms_signed_verify(&sd, NULL, NULL);
}

/* ---------------------------------------------------------------------------------------------- */

Test(cms_signed, writer_output_verifies_with_openssl_for_every_digest_and_key)
{
    static const struct {
        const char *cert, *key, *cafile;
        scepkit_md md;
        scepkit_cms_sig_style style;
    } cases[] = {
        {"ee.der", "ee.key", "ca.pem", SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED},
        {"ee.der", "ee.key", "ca.pem", SCEPKIT_MD_SHA1, SCEPKIT_CMS_SIG_NAMED},
        {"ee.der", "ee.key", "ca.pem", SCEPKIT_MD_SHA384, SCEPKIT_CMS_SIG_NAMED},
        {"ee.der", "ee.key", "ca.pem", SCEPKIT_MD_SHA512, SCEPKIT_CMS_SIG_RSA_ENCRYPTION},
        {"ec.der", "ec.key", "ec.pem", SCEPKIT_MD_SHA256, SCEPKIT_CMS_SIG_NAMED},
        {"ec.der", "ec.key", "ec.pem", SCEPKIT_MD_SHA384, SCEPKIT_CMS_SIG_NAMED},
    };
    char dir[512], path[700], cmd[4096], out[8192];
    ts_tmpdir("cms_signed_openssl", dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signer_fixture f;
        scepkit_cms_signed_params p;
        scepkit_bytes certs[2], attrs[1];
        size_t len;
        fixture_load(&f, cases[i].cert, cases[i].key);
        params_default(&p, &f, certs, attrs);
        p.md = cases[i].md;
        p.sig_style = cases[i].style;
        uint8_t *msg = sign_or_die(&p, &len);
        cr_assert_eq(parse_and_verify(msg, len, 0), SCEPKIT_OK, "case %zu verifies with scepkit", i);
        snprintf(path, sizeof path, "%s/msg%zu.der", dir, i);
        cr_assert_eq(ts_write_file(path, msg, len), 0);
        snprintf(cmd, sizeof cmd,
                 "openssl cms -verify -inform DER -in '%s' -binary -CAfile '%s/%s' -purpose any 2>&1 >'%s.out' && "
                 "cmp '%s.out' - <<'EOF'\n%sEOF",
                 path, cms_pki_dir(), cases[i].cafile, path, path, content_text);
        int st = ts_run(cmd, out, sizeof out);
        cr_assert_eq(st, 0, "case %zu: openssl verify failed: %s", i, out);
        free(msg);
        fixture_free(&f);
    }
}

Test(cms_signed, openssl_signed_messages_verify_in_der_ber_and_keyid_forms)
{
    static const struct {
        const char *opts;
        unsigned flags;
        scepkit_cms_id_type sid;
        int strict_fails;
    } cases[] = {
        {"-nodetach -binary -md sha256", 0, SCEPKIT_CMS_ID_ISSUER_SERIAL, 0},
        {"-nodetach -binary -md sha1", 0, SCEPKIT_CMS_ID_ISSUER_SERIAL, 0},
        {"-nodetach -binary -md sha512 -keyid", 0, SCEPKIT_CMS_ID_SKI, 0},
        {"-nodetach -binary -stream -md sha256", SCEPKIT_CMS_BER, SCEPKIT_CMS_ID_ISSUER_SERIAL, 1},
        {"-nodetach -binary -stream -keyid -noattr", SCEPKIT_CMS_BER, SCEPKIT_CMS_ID_SKI, 1},
        {"-nodetach -binary -nocerts", 0, SCEPKIT_CMS_ID_ISSUER_SERIAL, 0},
    };
    char dir[512], cmd[4096], path[700];
    ts_tmpdir("cms_signed_from_openssl", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/content.txt", dir);
    cr_assert_eq(ts_write_file(path, (const uint8_t *)content_text, strlen(content_text)), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *pki = cms_pki_dir();
        snprintf(cmd, sizeof cmd,
                 "openssl cms -sign %s -in '%s' -signer '%s/ee.pem' -inkey '%s/ee.key' -certfile '%s/ca.pem' "
                 "-outform DER -out '%s/m%zu.der'",
                 cases[i].opts, path, pki, pki, pki, dir, i);
        cms_run_ok(cmd);
        char mp[700];
        size_t len, clen;
        snprintf(mp, sizeof mp, "%s/m%zu.der", dir, i);
        uint8_t *msg = cms_read_or_die(mp, &len);
        scepkit_cms_signed sd;
        if (cases[i].strict_fails) {
            cr_assert_neq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK,
                          "case %zu: BER refused in DER mode", i);
        }
        cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, cases[i].flags, &sd), SCEPKIT_OK, "case %zu",
                     i);
        cr_assert_eq(sd.signer.sid.type, cases[i].sid, "case %zu", i);
        uint8_t buf[256];
        cr_assert_eq(scepkit_cms_content_copy(&sd, buf, sizeof buf, &clen), SCEPKIT_OK);
        cr_assert_eq(clen, strlen(content_text));
        cr_assert_eq(memcmp(buf, content_text, clen), 0);
        scepkit_x509 signer;
        scepkit_err err;
        if (strstr(cases[i].opts, "-nocerts") != NULL) {
            cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, &signer), SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND);
            size_t el;
            uint8_t *ee = cms_pki_der("ee.der", &el);
            scepkit_bytes c[1] = {{ee, el}};
            scepkit_cms_verify_params vp = {c, 1, {NULL, 0}, 0};
            err = scepkit_cms_signed_verify(&sd, &vp, &signer);
            cr_assert_eq(err, SCEPKIT_OK, "case %zu: %s", i, scepkit_err_name(err));
            free(ee);
        } else {
            err = scepkit_cms_signed_verify(&sd, NULL, &signer);
            cr_assert_eq(err, SCEPKIT_OK, "case %zu: %s", i, scepkit_err_name(err));
            cr_assert_eq(signer.serial.len, 2);
            /* The CA certificate rides along and is iterated too. */
            scepkit_cms_iter it = {{NULL, 0}, 0};
            scepkit_bytes c;
            size_t count = 0;
            while (scepkit_cms_next_cert(&sd, &it, &c) == SCEPKIT_OK) {
                count++;
            }
            cr_assert_eq(count, 2);
        }
        /* Streaming iteration sees the same bytes as the copy. */
        scepkit_cms_content_iter ci;
        scepkit_bytes seg;
        size_t total = 0;
        cr_assert_eq(scepkit_cms_content_iter_init(&sd, &ci), SCEPKIT_OK);
        while (scepkit_cms_content_next(&ci, &seg) == SCEPKIT_OK) {
            cr_assert_eq(memcmp(seg.ptr, content_text + total, seg.len), 0);
            total += seg.len;
        }
        cr_assert_eq(total, clen);
        free(msg);
    }
}

Test(cms_signed, detached_signature_verifies_only_with_the_detached_content)
{
    char dir[512], cmd[4096], path[700];
    ts_tmpdir("cms_signed_detached", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/content.txt", dir);
    cr_assert_eq(ts_write_file(path, (const uint8_t *)content_text, strlen(content_text)), 0);
    const char *pki = cms_pki_dir();
    snprintf(cmd, sizeof cmd,
             "openssl cms -sign -binary -in '%s' -signer '%s/ee.pem' -inkey '%s/ee.key' -outform DER -out '%s/d.der'",
             path, pki, pki, dir);
    cms_run_ok(cmd);
    snprintf(path, sizeof path, "%s/d.der", dir);
    size_t len;
    uint8_t *msg = cms_read_or_die(path, &len);
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(sd.has_content, 0);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, NULL), SCEPKIT_ERR_CMS_NO_CONTENT);
    scepkit_cms_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.detached_content = scepkit_bytes_str(content_text);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, NULL), SCEPKIT_OK);
    vp.detached_content = scepkit_bytes_str("SCEP pkiMessage content: a PKCS#10 would go HERE.\n");
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, NULL), SCEPKIT_ERR_CMS_DIGEST_MISMATCH);
    free(msg);
}

Test(cms_signed, two_signers_are_listed_but_not_verified)
{
    char dir[512], cmd[4096], path[700];
    ts_tmpdir("cms_signed_two", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/content.txt", dir);
    cr_assert_eq(ts_write_file(path, (const uint8_t *)content_text, strlen(content_text)), 0);
    const char *pki = cms_pki_dir();
    snprintf(cmd, sizeof cmd,
             "openssl cms -sign -nodetach -binary -in '%s' -signer '%s/ee.pem' -inkey '%s/ee.key' -signer '%s/ec.pem' "
             "-inkey '%s/ec.key' -outform DER -out '%s/two.der'",
             path, pki, pki, pki, pki, dir);
    cms_run_ok(cmd);
    snprintf(path, sizeof path, "%s/two.der", dir);
    size_t len;
    uint8_t *msg = cms_read_or_die(path, &len);
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(sd.signer_count, 2);
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_cms_signer s;
    int kinds = 0;
    cr_assert_eq(scepkit_cms_next_signer(&sd, &it, &s), SCEPKIT_OK);
    kinds |= 1 << s.sig_alg;
    cr_assert_eq(scepkit_cms_next_signer(&sd, &it, &s), SCEPKIT_OK);
    kinds |= 1 << s.sig_alg;
    cr_assert_eq(kinds, (1 << SCEPKIT_SIG_ECDSA) | (1 << SCEPKIT_SIG_RSA_PKCS1), "one RSA and one ECDSA signer");
    cr_assert_eq(scepkit_cms_next_signer(&sd, &it, &s), SCEPKIT_ERR_NOT_FOUND);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, NULL), SCEPKIT_ERR_CMS_SIGNER_COUNT);
    free(msg);
}

Test(cms_signed, signed_attributes_are_sorted_and_readable)
{
    signer_fixture f;
    scepkit_cms_signed_params p;
    scepkit_bytes certs[2], attrs[1];
    size_t len;
    fixture_load(&f, "ee.der", "ee.key");
    params_default(&p, &f, certs, attrs);
    uint8_t *msg = sign_or_die(&p, &len);
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_cms_attr a;
    scepkit_bytes prev = {NULL, 0};
    size_t count = 0;
    while (scepkit_cms_next_attr(&sd.signer, &it, &a) == SCEPKIT_OK) {
        if (prev.ptr != NULL) {
            size_t m = prev.len < a.raw.len ? prev.len : a.raw.len;
            int c = memcmp(prev.ptr, a.raw.ptr, m);
            cr_assert(c < 0 || (c == 0 && prev.len <= a.raw.len), "DER SET OF order");
        }
        prev = a.raw;
        count++;
    }
    cr_assert_eq(count, 4);
    scepkit_bytes v;
    cr_assert_eq(scepkit_cms_find_attr(&sd.signer, skit_oid_bytes(SKIT_OID_SCEP_TRANSACTION_ID), &v), SCEPKIT_OK);
    cr_assert_eq(v.len, 10);
    cr_assert_eq(memcmp(v.ptr + 2, "TXID1234", 8), 0);
    cr_assert_eq(scepkit_cms_find_attr(&sd.signer, skit_oid_bytes(SKIT_OID_SCEP_PKI_STATUS), &v),
                 SCEPKIT_ERR_NOT_FOUND);
    free(msg);
    fixture_free(&f);
}

Test(cms_signed, writer_refuses_bad_extra_attributes)
{
    signer_fixture f;
    scepkit_cms_signed_params p;
    scepkit_bytes certs[2], attrs[2];
    uint8_t mem[SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(64)];
    uint8_t out[4096];
    scepkit_arena a;
    size_t len;
    /* messageDigest is the writer's to compute. */
    static const uint8_t md_attr[] = {0x30, 0x11, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                      0x01, 0x09, 0x04, 0x31, 0x04, 0x04, 0x02, 0x00, 0x00};
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    fixture_load(&f, "ee.der", "ee.key");
    params_default(&p, &f, certs, attrs);
    scepkit_arena_init(&a, mem, sizeof mem);
    attrs[0] = (scepkit_bytes){md_attr, sizeof md_attr};
    memset(out, 0, sizeof out);
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_CMS_ATTRIBUTE);
    attrs[0] = (scepkit_bytes){garbage, sizeof garbage};
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_CMS_ATTRIBUTE);
    attrs[0] = (scepkit_bytes){txid_attr, sizeof txid_attr};
    attrs[1] = (scepkit_bytes){txid_attr, sizeof txid_attr};
    p.attr_count = 2;
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_CMS_ATTRIBUTE);
    cr_assert(cms_all_zero(out, sizeof out));
    p.attr_count = 1;
    p.md = SCEPKIT_MD_MD5;
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_LEGACY_DISABLED);
    fixture_free(&f);
    /* rsaEncryption style makes no sense for an EC key. */
    fixture_load(&f, "ec.der", "ec.key");
    params_default(&p, &f, certs, attrs);
    p.sig_style = SCEPKIT_CMS_SIG_RSA_ENCRYPTION;
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_ALGORITHM_MISMATCH);
    fixture_free(&f);
}

Test(cms_signed, scratch_macro_is_enough_and_every_smaller_arena_fails_cleanly)
{
    signer_fixture f;
    scepkit_cms_signed_params p;
    scepkit_bytes certs[2], attrs[1];
    size_t len;
    static uint8_t mem[SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(sizeof txid_attr) + 16];
    static uint8_t out[8192];
    fixture_load(&f, "ee.der", "ee.key");
    params_default(&p, &f, certs, attrs);
    uint8_t *aligned = mem + (16 - ((uintptr_t)mem % 16)) % 16;
    size_t macro = SCEPKIT_CMS_SIGNED_WRITE_SCRATCH(sizeof txid_attr);
    scepkit_arena a;
    scepkit_arena_init(&a, aligned, macro);
    cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_OK);
    size_t peak = a.peak;
    cr_assert_leq(peak, macro);
    for (size_t sz = 0; sz < peak; sz += 7) {
        scepkit_arena_init(&a, aligned, sz);
        memset(out, 0, sizeof out);
        cr_assert_eq(scepkit_cms_signed_write(&p, &a, out, sizeof out, &len), SCEPKIT_ERR_ARENA_EXHAUSTED, "size %zu",
                     sz);
        cr_assert(cms_all_zero(out, sizeof out));
        cr_assert_eq(a.used, 0);
    }
    fixture_free(&f);
}

/* ---------------------------------------------------------------------------------------------- */
/* hostile input */

/* Replaces every occurrence of `from` by `to` (same length) in msg; returns how many. */
static size_t patch_all(uint8_t *msg, size_t len, const uint8_t *from, const uint8_t *to, size_t n)
{
    size_t hits = 0;
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(msg + i, from, n) == 0) {
            memcpy(msg + i, to, n);
            hits++;
        }
    }
    return hits;
}

static uint8_t *find_bytes(uint8_t *msg, size_t len, const void *what, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(msg + i, what, n) == 0) {
            return msg + i;
        }
    }
    return NULL;
}

/*
 * A SignedData whose signed attributes are exactly `attrs` (SET contents, DER sorted by the caller), signed
 * correctly: lets the tests produce validly signed but semantically wrong attributes.
 */
static uint8_t *hand_signed(signer_fixture *f, const uint8_t *attrs, size_t attrs_len, size_t *len)
{
    uint8_t set[512], digest[32], sig[512];
    size_t set_len, sig_len;
    skit_derw w;
    scepkit_x509 cert;
    cr_assert_eq(scepkit_x509_parse((scepkit_bytes){f->cert, f->cert_len}, &cert), SCEPKIT_OK);
    skit_derw_init(&w, set, sizeof set);
    skit_derw_tlv(&w, SKIT_TAG_SET, attrs, attrs_len);
    cr_assert_eq(skit_derw_finish(&w, &set_len), SCEPKIT_OK);
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){set, set_len}, digest, sizeof digest, &sig_len),
                 SCEPKIT_OK);
    cr_assert_eq(
        scepkit_key_sign_digest(scepkit_softkey_key(&f->sk), SCEPKIT_MD_SHA256, digest, 32, sig, sizeof sig, &sig_len),
        SCEPKIT_OK);
    uint8_t *out = malloc(8192);
    skit_derw_init(&w, out, 8192);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_CMS_SIGNED_DATA));
    skit_derw_open(&w, SKIT_TAG_CTX_CONS(0));
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(&w, 1);
    skit_derw_open(&w, SKIT_TAG_SET);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_SHA256));
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_CMS_DATA));
    skit_derw_open(&w, SKIT_TAG_CTX_CONS(0));
    skit_derw_tlv(&w, SKIT_TAG_OCTET_STRING, (const uint8_t *)content_text, strlen(content_text));
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_CTX_CONS(0));
    skit_derw_raw(&w, f->cert, f->cert_len);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_SET);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_int64(&w, 1);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_raw(&w, cert.issuer.ptr, cert.issuer.len);
    skit_derw_tlv(&w, SKIT_TAG_INTEGER, cert.serial.ptr, cert.serial.len);
    skit_derw_close(&w);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_SHA256));
    skit_derw_close(&w);
    skit_derw_tlv(&w, SKIT_TAG_CTX_CONS(0), attrs, attrs_len);
    skit_derw_open(&w, SKIT_TAG_SEQUENCE);
    skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_SHA256_WITH_RSA));
    skit_derw_null(&w);
    skit_derw_close(&w);
    skit_derw_tlv(&w, SKIT_TAG_OCTET_STRING, sig, sig_len);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    skit_derw_close(&w);
    cr_assert_eq(skit_derw_finish(&w, len), SCEPKIT_OK);
    return out;
}

/* contentType attribute with `ct`, messageDigest attribute with `md` (32 bytes), DER-sorted (contentType first). */
static size_t make_attrs(uint8_t *buf, skit_oid ct, const uint8_t *md, int with_ct, int with_md, int md_twice)
{
    skit_derw w;
    size_t len;
    skit_derw_init(&w, buf, 512);
    if (with_ct) {
        skit_derw_open(&w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_CONTENT_TYPE));
        skit_derw_open(&w, SKIT_TAG_SET);
        skit_derw_oid(&w, skit_oid_bytes(ct));
        skit_derw_close(&w);
        skit_derw_close(&w);
    }
    for (int i = 0; with_md && i < (md_twice ? 2 : 1); i++) {
        skit_derw_open(&w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(&w, skit_oid_bytes(SKIT_OID_MESSAGE_DIGEST));
        skit_derw_open(&w, SKIT_TAG_SET);
        skit_derw_tlv(&w, SKIT_TAG_OCTET_STRING, md, 32);
        skit_derw_close(&w);
        skit_derw_close(&w);
    }
    cr_assert_eq(skit_derw_finish(&w, &len), SCEPKIT_OK);
    return len;
}

Test(cms_signed, validly_signed_but_wrong_attributes_are_each_a_specific_error)
{
    signer_fixture f;
    uint8_t good_md[32], wrong_md[32], attrs[512];
    size_t n, len;
    fixture_load(&f, "ee.der", "ee.key");
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, scepkit_bytes_str(content_text), good_md, 32, &n), SCEPKIT_OK);
    memcpy(wrong_md, good_md, 32);
    wrong_md[31] ^= 1;
    static const struct {
        skit_oid ct;
        int good, with_ct, with_md, md_twice;
        scepkit_err want;
    } cases[] = {
        {SKIT_OID_CMS_DATA, 1, 1, 1, 0, SCEPKIT_OK},
        {SKIT_OID_CMS_DATA, 0, 1, 1, 0, SCEPKIT_ERR_CMS_DIGEST_MISMATCH},
        {SKIT_OID_CMS_ENVELOPED_DATA, 1, 1, 1, 0, SCEPKIT_ERR_CMS_CONTENT_TYPE_MISMATCH},
        {SKIT_OID_CMS_DATA, 1, 0, 1, 0, SCEPKIT_ERR_CMS_ATTRIBUTE},
        {SKIT_OID_CMS_DATA, 1, 1, 0, 0, SCEPKIT_ERR_CMS_ATTRIBUTE},
        {SKIT_OID_CMS_DATA, 1, 1, 1, 1, SCEPKIT_ERR_CMS_ATTRIBUTE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t al = make_attrs(attrs, cases[i].ct, cases[i].good ? good_md : wrong_md, cases[i].with_ct,
                               cases[i].with_md, cases[i].md_twice);
        uint8_t *msg = hand_signed(&f, attrs, al, &len);
        scepkit_err err = parse_and_verify(msg, len, 0);
        cr_assert_eq(err, cases[i].want, "case %zu: %s", i, scepkit_err_name(err));
        free(msg);
    }
    fixture_free(&f);
}

Test(cms_signed, tampering_and_bad_algorithms_are_each_a_specific_error)
{
    signer_fixture f;
    scepkit_cms_signed_params p;
    scepkit_bytes certs[2], attrs[1];
    size_t len;
    fixture_load(&f, "ee.der", "ee.key");
    params_default(&p, &f, certs, attrs);
    uint8_t *good = sign_or_die(&p, &len);
    uint8_t *m = malloc(len);
    cr_assert_eq(parse_and_verify(good, len, 0), SCEPKIT_OK);

    /* tampered content */
    memcpy(m, good, len);
    uint8_t *c = find_bytes(m, len, "PKCS#10", 7);
    cr_assert_not_null(c);
    c[0] ^= 0x20;
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_CMS_DIGEST_MISMATCH);

    /* tampered signed attribute (the transaction ID) */
    memcpy(m, good, len);
    c = find_bytes(m, len, "TXID", 4);
    cr_assert_not_null(c);
    c[0] = 'X';
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_BAD_SIGNATURE);

    /* tampered signature: last byte of the message is the signature's */
    memcpy(m, good, len);
    m[len - 1] ^= 1;
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_BAD_SIGNATURE);

    /* unknown digest algorithm (sha256 -> 2.16.840.1.101.3.4.2.7, sha3-224) everywhere */
    static const uint8_t sha256_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
    static const uint8_t sha3_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x07};
    memcpy(m, good, len);
    cr_assert_eq(patch_all(m, len, sha256_oid, sha3_oid, sizeof sha256_oid), 2);
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_UNKNOWN_ALGORITHM);

    /* unknown signature algorithm (sha256WithRSAEncryption -> RSASSA-PSS with NULL parameters) */
    static const uint8_t sha256rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
    static const uint8_t pss[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x05, 0x00};
    memcpy(m, good, len);
    /* certificates are signed sha256WithRSAEncryption too: patch only the last occurrence (the SignerInfo) */
    uint8_t *last = NULL;
    for (uint8_t *q = m; (q = find_bytes(q, len - (size_t)(q - m), sha256rsa, sizeof sha256rsa)) != NULL; q++) {
        last = q;
    }
    cr_assert_not_null(last);
    memcpy(last, pss, sizeof pss);
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_UNKNOWN_ALGORITHM);

    /* signature algorithm naming another digest than digestAlgorithm */
    static const uint8_t sha384rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
    memcpy(last, sha384rsa, sizeof sha384rsa);
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_ALGORITHM_MISMATCH);

    /* wrong outer content type */
    static const uint8_t signed_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
    memcpy(m, good, len);
    c = find_bytes(m, len, signed_oid, sizeof signed_oid);
    c[8] = 0x03;
    cr_assert_eq(parse_and_verify(m, len, 0), SCEPKIT_ERR_CMS_CONTENT_TYPE);

    /* every truncation fails to parse, with no crash */
    for (size_t cut = 0; cut < len; cut++) {
        scepkit_cms_signed sd;
        cr_assert_neq(scepkit_cms_signed_parse((scepkit_bytes){good, cut}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK,
                      "prefix %zu", cut);
        cr_assert_eq(sd.der.ptr, NULL, "view zeroed on error");
    }
    /* one byte too many */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, good, len);
    longer[len] = 0;
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){longer, len + 1}, 0, &sd), SCEPKIT_ERR_DER_TRAILING);
    free(longer);
    free(m);
    free(good);
    fixture_free(&f);
}

Test(cms_signed, missing_signer_certificate_is_reported)
{
    signer_fixture f;
    scepkit_cms_signed_params p;
    scepkit_bytes certs[2], attrs[1];
    size_t len;
    fixture_load(&f, "ee.der", "ee.key");
    params_default(&p, &f, certs, attrs);
    certs[0] = (scepkit_bytes){f.ca, f.ca_len}; /* only the CA rides along */
    p.cert_count = 1;
    uint8_t *msg = sign_or_die(&p, &len);
    scepkit_x509 signer;
    memset(&signer, 0xa5, sizeof signer);
    scepkit_cms_signed sd;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, &signer), SCEPKIT_ERR_CMS_SIGNER_NOT_FOUND);
    cr_assert_null(signer.der.ptr, "no signer view handed back");
    /* the right certificate supplied by the caller makes it verify */
    scepkit_bytes c[1] = {{f.cert, f.cert_len}};
    scepkit_cms_verify_params vp = {c, 1, {NULL, 0}, 0};
    cr_assert_eq(scepkit_cms_signed_verify(&sd, &vp, &signer), SCEPKIT_OK);
    /* a certificate with the right name but another key: signature fails */
    free(msg);
    fixture_free(&f);
}

/* ---------------------------------------------------------------------------------------------- */
/* certs-only */

Test(cms_certs_only, writer_output_is_read_by_openssl_with_certs_and_crl)
{
    size_t el, cl, rl, len, need;
    uint8_t *ee = cms_pki_der("ee.der", &el);
    uint8_t *ca = cms_pki_der("ca.der", &cl);
    uint8_t *crl = cms_pki_der("crl.der", &rl);
    scepkit_bytes certs[2] = {{ca, cl}, {ee, el}};
    scepkit_bytes crls[1] = {{crl, rl}};
    cr_assert_eq(scepkit_cms_certs_only_write(certs, 2, crls, 1, NULL, 0, &need), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    uint8_t *out = malloc(need);
    cr_assert_eq(scepkit_cms_certs_only_write(certs, 2, crls, 1, out, need, &len), SCEPKIT_OK);
    cr_assert_eq(len, need);
    char dir[512], path[700], cmd[4096], text[16384];
    ts_tmpdir("cms_certs_only", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/co.p7b", dir);
    cr_assert_eq(ts_write_file(path, out, len), 0);
    snprintf(cmd, sizeof cmd, "openssl pkcs7 -inform DER -in '%s' -print_certs -noout 2>&1", path);
    cr_assert_eq(ts_run(cmd, text, sizeof text), 0, "%s", text);
    cr_assert_not_null(strstr(text, "subject=CN = CMS Test CA"), "%s", text);
    cr_assert_not_null(strstr(text, "subject=O = scepkit, CN = ee"), "%s", text);
    snprintf(cmd, sizeof cmd, "openssl pkcs7 -inform DER -in '%s' -print 2>&1 | grep -c 'crl:' ", path);
    cr_assert_eq(ts_run(cmd, text, sizeof text), 0, "%s", text);
    /* and back: our parser sees the same, in order */
    scepkit_cms_signed sd;
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes c;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){out, len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(sd.signer_count, 0);
    cr_assert_eq(sd.has_content, 0);
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_OK);
    cr_assert_eq(c.len, cl);
    cr_assert_eq(memcmp(c.ptr, ca, cl), 0);
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_OK);
    cr_assert_eq(memcmp(c.ptr, ee, el), 0);
    cr_assert_eq(scepkit_cms_next_cert(&sd, &it, &c), SCEPKIT_ERR_NOT_FOUND);
    memset(&it, 0, sizeof it);
    cr_assert_eq(scepkit_cms_next_crl(&sd, &it, &c), SCEPKIT_OK);
    cr_assert_eq(memcmp(c.ptr, crl, rl), 0);
    cr_assert_eq(scepkit_cms_next_crl(&sd, &it, &c), SCEPKIT_ERR_NOT_FOUND);
    /* a non-certificate element is refused by the writer */
    static const uint8_t junk[] = {0x04, 0x01, 0x00};
    scepkit_bytes bad[1] = {{junk, sizeof junk}};
    cr_assert_eq(scepkit_cms_certs_only_write(bad, 1, NULL, 0, out, need, &len), SCEPKIT_ERR_DER_TAG);
    free(out);
    free(crl);
    free(ca);
    free(ee);
}

Test(cms_certs_only, openssl_crl2pkcs7_and_smime_pk7out_outputs_parse)
{
    char dir[512], cmd[4096], path[700];
    const char *pki = cms_pki_dir();
    ts_tmpdir("cms_certs_only_in", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl crl2pkcs7 -in '%s/crl.pem' -certfile '%s/ca.pem' -certfile '%s/ee.pem' -outform DER "
             "-out c2p.der && openssl crl2pkcs7 -nocrl -certfile '%s/ca.pem' -outform DER -out nocrl.der && "
             "printf hello > m.txt && openssl smime -sign -nodetach -in m.txt -signer '%s/ee.pem' -inkey '%s/ee.key' "
             "-out m.smime && openssl smime -pk7out -in m.smime -out m.p7.pem",
             dir, pki, pki, pki, pki, pki, pki);
    cms_run_ok(cmd);
    size_t len, n;
    snprintf(path, sizeof path, "%s/c2p.der", dir);
    uint8_t *msg = cms_read_or_die(path, &len);
    scepkit_cms_signed sd;
    scepkit_cms_iter it = {{NULL, 0}, 0};
    scepkit_bytes c;
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    for (n = 0; scepkit_cms_next_cert(&sd, &it, &c) == SCEPKIT_OK; n++) {
    }
    cr_assert_eq(n, 2);
    memset(&it, 0, sizeof it);
    for (n = 0; scepkit_cms_next_crl(&sd, &it, &c) == SCEPKIT_OK; n++) {
    }
    cr_assert_eq(n, 1);
    free(msg);
    snprintf(path, sizeof path, "%s/nocrl.der", dir);
    msg = cms_read_or_die(path, &len);
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, 0, &sd), SCEPKIT_OK);
    cr_assert_eq(sd.has_crls, 0);
    free(msg);
    snprintf(path, sizeof path, "%s/m.p7.pem", dir);
    msg = cms_pem_file_to_der(path, "PKCS7", &len);
    cr_assert_eq(scepkit_cms_signed_parse((scepkit_bytes){msg, len}, SCEPKIT_CMS_BER, &sd), SCEPKIT_OK);
    cr_assert_eq(scepkit_cms_signed_verify(&sd, NULL, NULL), SCEPKIT_OK);
    free(msg);
}
