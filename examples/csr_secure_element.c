/*
 * Firmware-style CSR creation through a custom key port.
 *
 * A device whose private key lives in a secure element implements scepkit_key_ops:
 * the library builds the request and hashes it; the element only signs a digest.
 * Here the "secure element" is simulated by a software key hidden behind the port,
 * and the element answers "busy" once, as real I2C parts do, to show the retry rule.
 * All buffers are static: no heap is used by the library for the request.
 *
 * Usage: example_csr_secure_element OUT.der
 */
#include <stdio.h>
#include <string.h>

#include "scepkit/scepkit.h"

/* --- the simulated secure element ----------------------------------------------------------- */
typedef struct se_device {
    scepkit_softkey inner; /* stands for key material that never leaves the chip */
    int busy_once;
    unsigned sign_calls;
} se_device;

static scepkit_err se_public_key(void *self, uint8_t *out, size_t cap, size_t *len)
{
    se_device *se = self;
    scepkit_key k = scepkit_softkey_key(&se->inner);
    return k.ops->public_key(k.self, out, cap, len);
}

static scepkit_err se_sign_digest(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                                  size_t cap, size_t *sig_len)
{
    se_device *se = self;
    if (se->busy_once) {
        se->busy_once = 0;
        return SCEPKIT_ERR_KEY_WOULD_BLOCK; /* the caller retries the same call */
    }
    se->sign_calls++;
    scepkit_key k = scepkit_softkey_key(&se->inner);
    return k.ops->sign_digest(k.self, md, digest, digest_len, sig, cap, sig_len);
}

/* decrypt is NULL: an ECDSA element cannot do RSA key transport. */
static const scepkit_key_ops se_ops = {se_public_key, se_sign_digest, NULL};

/* --- the application ------------------------------------------------------------------------ */
static uint8_t scratch_mem[SCEPKIT_CSR_WRITE_SCRATCH + 16];
static uint8_t csr_buf[2048];

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.der\n", argv[0]);
        return 2;
    }
    int rc = 1;
    scepkit_drbg drbg;
    se_device se;
    memset(&drbg, 0, sizeof drbg);
    scepkit_err e = scepkit_drbg_init(&drbg, scepkit_bytes_str("example"));
    scepkit_softkey_init(&se.inner, scepkit_drbg_rng(&drbg));
    se.busy_once = 1;
    se.sign_calls = 0;
    if (e == SCEPKIT_OK) {
        e = scepkit_softkey_generate(&se.inner, SCEPKIT_KEY_EC_P256, 0); /* "provisioning" */
    }
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "setup: %s\n", scepkit_strerror(e));
        goto out;
    }
    scepkit_key key = {&se_ops, &se};

    scepkit_name_attr subject[4];
    size_t nsubject = 0;
    e = scepkit_name_from_string(scepkit_bytes_str("CN=sensor-0042,O=Acme Devices"), subject, 4, &nsubject, NULL, 0);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "subject: %s\n", scepkit_strerror(e));
        goto out;
    }
    static const uint8_t ip[4] = {192, 0, 2, 42};
    scepkit_san sans[2] = {
        {SCEPKIT_SAN_DNS, {(const uint8_t *)"sensor-0042.devices.acme.test", 29}},
        {SCEPKIT_SAN_IP, {ip, sizeof ip}},
    };
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    p.subject = subject;
    p.subject_count = nsubject;
    p.challenge = scepkit_bytes_str("one-time-secret");
    p.sans = sans;
    p.san_count = 2;
    p.key_usage = SCEPKIT_KU_DIGITAL_SIGNATURE;

    scepkit_arena arena;
    scepkit_arena_init(&arena, scratch_mem, sizeof scratch_mem);
    size_t len = 0;
    do {
        e = scepkit_csr_write(&p, key, &arena, csr_buf, sizeof csr_buf, &len);
    } while (e == SCEPKIT_ERR_KEY_WOULD_BLOCK);
    if (e != SCEPKIT_OK) {
        fprintf(stderr, "csr: %s\n", scepkit_strerror(e));
        goto out;
    }
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(csr_buf, 1, len, f) != len || fclose(f) != 0) {
        perror(argv[1]);
        goto out;
    }
    printf("wrote %zu-byte CSR (signed %u time(s) by the element; scratch peak %zu of %zu bytes)\n", len, se.sign_calls,
           arena.peak, sizeof scratch_mem);
    rc = 0;
out:
    scepkit_softkey_free(&se.inner);
    scepkit_drbg_free(&drbg);
    return rc;
}
