/*
 * Fuzz target for the CMS EnvelopedData parser and open (src/codec/cms_enveloped.c, cms_pwri.c).
 *
 * Parses the input (DER and BER modes) and walks its recipients; then opens it with a fixed RSA test
 * key (below; its certificate is fuzz/corpus/cms_enveloped.recipient.pem) and with the password
 * "fuzz". The seed corpus holds envelopes for that key and password, so the fuzzer starts from inputs
 * that decrypt. Invariants: views lie inside the input; on any error nothing is handed back (the
 * output is all zero and the length is 0); on success the plaintext is shorter than the ciphertext.
 * This key is a throw-away test key, public on purpose.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/cms.h"
#include "scepkit/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                   "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCvG9GQTncJDVeM\n"
                                   "7uc1SYFb09GBD/L/3DBL8OIlJn0DdE6ADK6A82x++Qhd/zope/szf6Ugw3swvc8K\n"
                                   "RTbr/0wKEl5AbO6LVfQ4sU7iE+vRQ/HVLh0NPbbAotOQqZ5ho4/qyzwwNjrQ9ym9\n"
                                   "FvGmemYSZRU3uNHZS3i4uonjM9cJZLchEi0kxojYVLHZoyvZUCKMyulkV69clVoY\n"
                                   "l8uwO8Y0xqv/XGnNVKsENYGgBzcHuHt6yezzGlzZKrE6o8jW8qK6aP7jB9a6meiK\n"
                                   "n0CjdJZvKC1PYXzFdgQOiqLd/pJ7l82pySXedfMWONRxbwS0j+a9cmNWFbeAAA87\n"
                                   "RRSI3H5FAgMBAAECggEAIZ8KgXXjWphWdU+gkoVqwj4dFXYBvvkgx8/4J9BoQ+vG\n"
                                   "r8Tfk5BJhmab4ephmTn+HSD2zF/kLRNgp5TrCuyBhdSJhr6znYqzIdh/cB6JkmxE\n"
                                   "iF06hEKTbpDE5NuAdrhQJ3F+vLYI3Hr8Z1s6qi+JniIM7R4+IoXgZ72fQIHBWcLM\n"
                                   "HJsTFCEnIufFLkePpQjmWMPdPh3RqrLmKGpeWv3JxiqBoqhvJaAIUi2RPOBb3kva\n"
                                   "tFRWY8H4fqJViMznID1AXXKgBlf93khI3/COujHX5NfNl/+4WUngyA/yPIuABhB+\n"
                                   "a6tHSSkPH0C71xqjtv7NGm8quZWryqKZ7ONDfVhROQKBgQDuOy5znGviYc+7woI2\n"
                                   "8eDXgWbLLsj6VlAawTcrLFngDEOZ7XQf2fNhX/nHGBkCFH4NTKwC93FugS/LM7q6\n"
                                   "LZbGDo5uj7fYeerBesBbeeavPQfEr0meOstbP7Wu2T5wjlpPiaSpIVsy7RcQBf30\n"
                                   "i3ERW4oVA77kOg9JJ/vLInxyaQKBgQC8K14JiIMcLNLEYKYbn232hmUPDEBziQDB\n"
                                   "ZwWXCuVTqIytXxkdVDNyj2sGt5sazzGPZ3EVPRXoBPz3FUerv68w429mT0DfdfVQ\n"
                                   "ADEIX5+cd3Y1NWpf3IC89duvrSw7TiAe39WnOW7UJylSx1FevRC7l0vNdu+a2Lkl\n"
                                   "QeBeFT15fQKBgQCbLV+PnQdFGdNXiVaKdbmwhrCvjtUJA6oAE3VdIPGWGEb8gAjR\n"
                                   "KoX3Gq43uoGnsjN9dEDjWczAX1QDd7mcxk9cyWSLrf/h+WAqEUw1Cc1yvj1OJ6O7\n"
                                   "dq65zGEK+KVMad13y7+/D2Q5YuhP3qdSYHYRCWCDWcJBJXSJgYrpAZiwaQKBgQCk\n"
                                   "IP+pORWDYeWFvPemaG219ov3kCw3mmy6RW4uzSYyznXGU4jIeEVXy5kDBuuXetoz\n"
                                   "x3pvmBSfiJpNupYFTPE2p2rnxoFDaNRMr54VO7Mw+1J0Ht9mNiNkrt6sYVSPdhm2\n"
                                   "VG87qXDuRCpbNdfX1vndZp6L3Q4p9pen08osxkIU0QKBgBP0gf3uZZ8EOLgy7gH/\n"
                                   "U1ujlztwHUMY/8ksUurl/j/7awUbz7lsBgjTyIZ0qBf/nbW6Xxf5L7dZjo/QYWsG\n"
                                   "5DRwCyU1+MV9R+p5NOCnyg4tgHtNbaD/b+WGCtYwIlOc5BZ5AqmH5DhFT/R5TemY\n"
                                   "c+GIoi6aoMD1ds8qW+nNfwWj\n"
                                   "-----END PRIVATE KEY-----\n";

static void inside(scepkit_bytes b, const uint8_t *lo, size_t n)
{
    if (b.len != 0) {
        CHECK(b.ptr >= lo && b.ptr <= lo + n && b.len <= (size_t)(lo + n - b.ptr));
    }
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

static void try_open(scepkit_bytes in, unsigned flags, const scepkit_cms_open_params *op, size_t enc_len)
{
    static uint8_t out[1 << 16];
    size_t len = 1;
    scepkit_err err;
    memset(out, 0, sizeof out);
    err = scepkit_cms_enveloped_open(in, flags, op, out, sizeof out, &len);
    if (err == SCEPKIT_OK) {
        CHECK(len <= enc_len);
    } else if (err == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        CHECK(len > sizeof out);
        CHECK(all_zero(out, sizeof out));
    } else {
        CHECK(len == 0);
        CHECK(all_zero(out, sizeof out));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    static scepkit_softkey sk;
    static uint32_t counter;
    scepkit_rng rng = {&counter_ops, &counter};
    scepkit_bytes in = {data, size};
    scepkit_cms_enveloped env;
    scepkit_cms_open_params op;

    if (!loaded) {
        scepkit_bytes none = {NULL, 0};
        scepkit_softkey_init(&sk, rng);
        CHECK(scepkit_softkey_parse(&sk, (scepkit_bytes){(const uint8_t *)fuzz_key_pem, sizeof fuzz_key_pem - 1},
                                    none) == SCEPKIT_OK);
        loaded = 1;
    }
    counter = 1;
    for (unsigned flags = 0; flags <= SCEPKIT_CMS_BER; flags += SCEPKIT_CMS_BER) {
        scepkit_cms_iter it;
        scepkit_cms_recipient_info ri;
        size_t n = 0;
        if (scepkit_cms_enveloped_parse(in, flags, &env) != SCEPKIT_OK) {
            CHECK(env.der.ptr == NULL);
            continue;
        }
        inside(env.der, data, size);
        inside(env.encrypted_tlv, data, size);
        memset(&it, 0, sizeof it);
        while (scepkit_cms_next_recipient(&env, &it, &ri) == SCEPKIT_OK) {
            inside(ri.raw, data, size);
            inside(ri.encrypted_key, data, size);
            n++;
        }
        CHECK(n == env.recipient_count);
        memset(&op, 0, sizeof op);
        op.key = scepkit_softkey_key(&sk);
        op.rng = rng;
        op.allow_legacy = 1;
        try_open(in, flags, &op, env.encrypted_len);
        op.password = (scepkit_bytes){(const uint8_t *)"fuzz", 4};
        try_open(in, flags, &op, env.encrypted_len);
    }
    return 0;
}
