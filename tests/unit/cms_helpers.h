/* Helpers shared by the CMS and X.509 suites (static inline: each suite uses a subset). */
#ifndef SCEPKIT_TESTS_CMS_HELPERS_H
#define SCEPKIT_TESTS_CMS_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scepkit/cms.h"
#include "scepkit/pem.h"
#include "scepkit/x509.h"
#include "test_support.h"

static inline uint8_t *cms_read_or_die(const char *path, size_t *len)
{
    uint8_t *p = ts_read_file(path, len);
    cr_assert_not_null(p, "cannot read %s", path);
    return p;
}

static inline uint8_t *cms_vector_or_die(const char *name, size_t *len)
{
    uint8_t *p = ts_read_vector(name, len);
    cr_assert_not_null(p, "cannot read vector %s", name);
    return p;
}

static inline void cms_run_ok(const char *cmd)
{
    static char out[16384];
    int st = ts_run(cmd, out, sizeof out);
    cr_assert_eq(st, 0, "command failed (%d): %s\n%s", st, cmd, out);
}

/* PEM (or DER) file -> malloc'd DER. */
static inline uint8_t *cms_pem_file_to_der(const char *path, const char *label, size_t *len)
{
    size_t n;
    uint8_t *text = cms_read_or_die(path, &n);
    scepkit_bytes t = {text, n};
    if (!scepkit_is_pem(t)) {
        *len = n;
        return text;
    }
    uint8_t *der = malloc(n);
    cr_assert_not_null(der);
    cr_assert_eq(scepkit_pem_decode(t, label, der, n, len, NULL, NULL), SCEPKIT_OK, "PEM decode of %s", path);
    free(text);
    return der;
}

static inline void cms_load_key(scepkit_softkey *sk, const char *path, scepkit_rng rng)
{
    size_t n;
    uint8_t *pem = cms_read_or_die(path, &n);
    scepkit_bytes none = {NULL, 0};
    scepkit_softkey_init(sk, rng);
    cr_assert_eq(scepkit_softkey_parse(sk, (scepkit_bytes){pem, n}, none), SCEPKIT_OK, "key %s", path);
    scepkit_wipe(pem, n);
    free(pem);
}

static inline void cms_vector_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", SCEPKIT_TEST_VECTORS, name);
}

/* True when every byte is zero (output buffers must be wiped or untouched after an error). */
static inline int cms_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/*
 * Throw-away PKI made by openssl once per build tree: an RSA CA, an RSA end-entity (with SKI), a v1 certificate
 * for the same key (no extensions), a second RSA key+cert, an EC P-256 cert, a CRL. Returns the directory.
 */
static inline const char *cms_pki_dir(void)
{
    static char dir[512];
    char stamp[600], cmd[8192];
    size_t n;
    snprintf(dir, sizeof dir, "%s/cms_pki", SCEPKIT_TEST_TMPDIR);
    snprintf(stamp, sizeof stamp, "%s/done", dir);
    uint8_t *s = ts_read_file(stamp, &n);
    if (s != NULL) {
        free(s);
        return dir;
    }
    snprintf(cmd, sizeof cmd,
             "set -e; T='%s.tmp.'$$; rm -rf \"$T\"; mkdir -p \"$T\"; cd \"$T\";"
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj '/CN=CMS Test CA' "
             "-days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>/dev/null;"
             "openssl req -newkey rsa:2048 -nodes -keyout ee.key -out ee.csr -subj '/O=scepkit/CN=ee' 2>/dev/null;"
             "printf 'subjectKeyIdentifier=hash\\nkeyUsage=digitalSignature,keyEncipherment\\n' > ee.ext;"
             "openssl x509 -req -in ee.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234 -days 3650 -extfile ee.ext "
             "-out ee.pem 2>/dev/null;"
             "openssl x509 -req -in ee.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 3650 -out v1.pem 2>/dev/null;"
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -subj '/CN=other' "
             "-days 3650 2>/dev/null;"
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.pem "
             "-subj '/CN=ec' -days 3650 2>/dev/null;"
             "for f in ca ee v1 other ec; do openssl x509 -in $f.pem -outform DER -out $f.der; done;"
             "mkdir -p db; : > db/index.txt; echo 01 > db/crlnumber;"
             "printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=db/index.txt\\ncrlnumber=db/crlnumber\\n"
             "default_md=sha256\\ndefault_crl_days=30\\n' > ca.cnf;"
             "openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl.pem 2>/dev/null;"
             "openssl crl -in crl.pem -outform DER -out crl.der;"
             "touch done; cd ..; if [ ! -f '%s/done' ]; then rm -rf '%s'; mv \"$T\" '%s'; else rm -rf \"$T\"; fi",
             dir, dir, dir, dir);
    cms_run_ok(cmd);
    return dir;
}

/* Path of a file in the throw-away PKI. */
static inline void cms_pki_path(const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", cms_pki_dir(), file);
}

static inline uint8_t *cms_pki_der(const char *file, size_t *len)
{
    char p[700];
    cms_pki_path(file, p, sizeof p);
    return cms_read_or_die(p, len);
}

#endif
