/* Helpers shared by the SCEP client suites: a throw-away NDES-style PKI made by openssl once per build tree. */
#ifndef SCEPKIT_TESTS_CLIENT_HELPERS_H
#define SCEPKIT_TESTS_CLIENT_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scepkit/scepkit.h"
#include "test_support.h"

/*
 * Files (PEM .pem/.key, DER .der):
 *   ca            CN=NDES Test CA, cA, keyUsage keyCertSign+cRLSign (like NDES's and micromdm's CA)
 *   ra_enc        RA certificate, keyUsage keyEncipherment only (NDES "CEP Encryption")
 *   ra_sign       RA certificate, keyUsage digitalSignature only (NDES "Exchange Enrollment Agent")
 *   ra_both       RA certificate without keyUsage (key of ra_enc)
 *   ra_nr         RA certificate with keyUsage nonRepudiation only: neither bit (key of ra_sign)
 *   rogue_ca      the same name as ca, another key; rogue_ra: an RA issued by it
 *   root, sub     a two-level CA chain without RA
 *   next          the CA's rollover certificate; nextca.der = GetNextCACert answer signed by ca,
 *                 nextca_rogue.der = the same signed by rogue_ca
 *   dev.key, other.key (+ other.spki.der): client keys
 *   ndes.p7b (ca, ra_enc, ra_sign), ndes_shuffled.p7b (ra_sign, ca, ra_enc), both.p7b (ca, ra_both), nr.p7b (ca,
 * ra_nr), chain.p7b (root, sub), rogue.p7b (ca, rogue_ra), many.p7b (9 certificates), ca_only.p7b (ca)
 */
static inline const char *client_pki_dir(void)
{
    static char dir[512];
    char stamp[600];
    static char cmd[8192];
    size_t n;
    snprintf(dir, sizeof dir, "%s/client_pki_v2", SCEPKIT_TEST_TMPDIR); /* bump when files are added */
    snprintf(stamp, sizeof stamp, "%s/done", dir);
    uint8_t *s = ts_read_file(stamp, &n);
    if (s != NULL) {
        free(s);
        return dir;
    }
    snprintf(cmd, sizeof cmd,
             "set -e; T='%s.tmp.'$$; rm -rf \"$T\"; mkdir -p \"$T\"; cd \"$T\";"
             "ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -subj \"$2\" -days 3650 "
             "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null; };"
             "ca ca '/CN=NDES Test CA/O=scepkit'; ca rogue_ca '/CN=NDES Test CA/O=scepkit'; ca root '/CN=Test Root';"
             "ca next '/CN=NDES Test CA 2/O=scepkit';"
             "printf 'keyUsage=critical,keyEncipherment\\nbasicConstraints=CA:FALSE\\n' > enc.ext;"
             "printf 'keyUsage=critical,digitalSignature\\nbasicConstraints=CA:FALSE\\n' > sign.ext;"
             "printf 'basicConstraints=CA:FALSE\\n' > none.ext;"
             "printf 'keyUsage=critical,nonRepudiation\\nbasicConstraints=CA:FALSE\\n' > nr.ext;"
             "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > ca.ext;"
             "for k in ra_enc ra_sign sub dev other; do openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
             "  -out $k.key 2>/dev/null; done;"
             "openssl req -new -key ra_enc.key -out ra_enc.csr -subj '/CN=NDES RA encryption/O=scepkit' 2>/dev/null;"
             "openssl req -new -key ra_sign.key -out ra_sign.csr -subj '/CN=NDES RA signing/O=scepkit' 2>/dev/null;"
             "openssl req -new -key sub.key -out sub.csr -subj '/CN=Test Sub CA' 2>/dev/null;"
             "openssl x509 -req -in ra_enc.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 3650 -extfile enc.ext "
             "  -out ra_enc.pem 2>/dev/null;"
             "openssl x509 -req -in ra_sign.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 3650 -extfile sign.ext "
             "  -out ra_sign.pem 2>/dev/null;"
             "openssl x509 -req -in ra_enc.csr -CA ca.pem -CAkey ca.key -set_serial 4 -days 3650 -extfile none.ext "
             "  -out ra_both.pem 2>/dev/null;"
             "openssl x509 -req -in ra_sign.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 3650 -extfile nr.ext "
             "  -out ra_nr.pem 2>/dev/null;"
             "openssl x509 -req -in ra_enc.csr -CA rogue_ca.pem -CAkey rogue_ca.key -set_serial 5 -days 3650 "
             "  -extfile enc.ext -out rogue_ra.pem 2>/dev/null;"
             "openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -set_serial 6 -days 3650 -extfile ca.ext "
             "  -out sub.pem 2>/dev/null;"
             "openssl pkey -in other.key -pubout -outform DER -out other.spki.der;"
             "for f in ca rogue_ca root next ra_enc ra_sign ra_both ra_nr rogue_ra sub; do "
             "  openssl x509 -in $f.pem -outform DER -out $f.der; done;"
             "p7() { o=$1; shift; a=''; for c in \"$@\"; do a=\"$a -certfile $c.pem\"; done; "
             "  openssl crl2pkcs7 -nocrl $a -outform DER -out $o.p7b; };"
             "p7 ndes ca ra_enc ra_sign; p7 ndes_shuffled ra_sign ca ra_enc; p7 both ca ra_both; p7 nr ca ra_nr;"
             "p7 chain root sub;"
             "p7 rogue ca rogue_ra; p7 ca_only ca; p7 many ca ra_enc ra_sign ra_both root sub next rogue_ca rogue_ra;"
             "p7 next_certs next;"
             "openssl cms -sign -binary -nodetach -in next_certs.p7b -signer ca.pem -inkey ca.key -md sha256 "
             "  -outform DER -out nextca.der;"
             "openssl cms -sign -binary -nodetach -in next_certs.p7b -signer rogue_ca.pem -inkey rogue_ca.key "
             "  -md sha256 -outform DER -out nextca_rogue.der;"
             "touch done; cd ..; if [ ! -f '%s/done' ]; then rm -rf '%s'; mv \"$T\" '%s'; else rm -rf \"$T\"; fi",
             dir, dir, dir, dir);
    static char out[16384];
    int st = ts_run(cmd, out, sizeof out);
    cr_assert_eq(st, 0, "making the client PKI failed (%d):\n%s", st, out);
    return dir;
}

static inline uint8_t *client_pki_file(const char *name, size_t *len)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", client_pki_dir(), name);
    uint8_t *d = ts_read_file(p, len);
    cr_assert_not_null(d, "cannot read %s", p);
    return d;
}

static inline void client_pki_key(const char *name, scepkit_softkey *sk, scepkit_rng rng)
{
    size_t n = 0;
    uint8_t *pem = client_pki_file(name, &n);
    scepkit_softkey_init(sk, rng);
    scepkit_err e = scepkit_softkey_parse(sk, (scepkit_bytes){pem, n}, scepkit_bytes_str(""));
    cr_assert_eq(e, SCEPKIT_OK, "key %s: %s", name, scepkit_err_name(e));
    scepkit_wipe(pem, n);
    free(pem);
}

/* SHA-256 of a DER file of the PKI. */
static inline void client_pki_fingerprint(const char *name, uint8_t out[32])
{
    size_t n = 0, fl = 0;
    uint8_t *d = client_pki_file(name, &n);
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, (scepkit_bytes){d, n}, out, 32, &fl), SCEPKIT_OK);
    free(d);
}

#endif
