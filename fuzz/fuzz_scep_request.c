/*
 * Fuzz target for the server side of the pkiMessage layer: scepkit_scep_request_open() (src/scep/message.c,
 * message_request.c) with a fixed CA key, with and without the legacy switch.
 *
 * The key is the throw-away CA key of tests/vectors/keys/ca.key.pem (public on purpose), so the seed corpus
 * (the real requests of micromdm scepclient, strongSwan pki and certmonger in tests/vectors) verifies and
 * decrypts and the fuzzer starts from inputs that reach the messageData parsers.
 * Invariants: views lie inside the input or the plaintext buffer; on error the plaintext buffer is all zero,
 * no messageData is handed back, and the reply fields are either absent or well formed; the transactionID is
 * NUL-terminated PrintableString text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scepkit/pem.h"
#include "scepkit/scep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

static const char ca_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                 "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCidfhDKHQKgNIh\n"
                                 "fbLawNdoWZrjGxwvSf8H+OiivpXUpfTeDjSw+SM1QtrhD8Nc1ePWvJ4CvXl4d+hW\n"
                                 "E+HNJ1zfTyKFBOi2+6FOuXQ8eZxtwELj9AnMBsIRVqkYFbVkT32DC0HmwbeDT2RQ\n"
                                 "Ar7j542NPZrv5882N8jaX7IZDagfTBVaHGpwI0ebquxmYA8CFs/0591q90Dl6zE9\n"
                                 "/d6VzOzsnpiZwlmJnwAv318I/NkZnlcPvLh+QrlRx1SfB3QdcGMOY+tx15lYR1Tl\n"
                                 "vXUZVCXUoIj1sS3yKgAuguk00fJr5K/GVqdl+yTmyEG27gX9WxuWWe/4Hvm0OTc4\n"
                                 "Ju0Eo5s3AgMBAAECggEAI1ZDpN/0taAllLFRqPFPKVxsKz/nVoXi2ioS9+s6jeF3\n"
                                 "LKGsZl4agWhEUbXrCZNgloG6YOAzvrdeKvLyJ3yLX+tHl+VkdQCwqn3+QXU2SE0M\n"
                                 "f6bCRsWlir3t09ZM+T+tDkbxk67JKt+m8xxVxx7DlFg1Dj++u41Qu+caxwZIbl32\n"
                                 "gzBykWti5Jk9F6vT45vq9Bpvc783+I3IdX3E8GwHrLWmqHvfSdfFqiDzVyK+uucJ\n"
                                 "kokHn+bpUIzyaC3zYWRPq414ro7fiR4UXnz/GwmTPZuegl+7WXmyvWhrj0ugfeVw\n"
                                 "oEUVrc0bZFMKKbaztuAIRywLZCXksj/WisCctzaaWQKBgQDL0cHAbXZzt8tiL6H4\n"
                                 "o2ChzOtF869/JzSmA9+DOJW3lCeds1zvBrs0rpdS7qjPHBGkHGIF2QTilrDDHCwC\n"
                                 "ip18BQtv5SeO0LC0puSJdAhSVNaKc68Zy8lLQhpmxKxzjHV6bpadZn7qHhPjvSVW\n"
                                 "feDfQ6qfhMzNPK2/SZJY7s6ciwKBgQDMDZb9zsaJ79TOYud4z6y97rWuXCH+s1mE\n"
                                 "nQM2tQiobdRk6EEbmzRm66zXLWF+EDHfsXQNcggssL1C0HMvEQ95y/XnUZNubv3z\n"
                                 "eTTN1XLvXh6BWrpyYAGO4p4wOolinU/hEXcgxYTK27Jv0CPs8SRfbau6+j0qODaQ\n"
                                 "XO7reZq1hQKBgQCJJCVLVhwKttOZyFUi2MOPezOfiN1AIGAziI2fXLaYpI6XdPWG\n"
                                 "O7BBPWzCt6VMXiWcmCB4sNKxqBVd4xnVx/E5XqeYbcdVOCR+GYHS3wkuZLlKxZY/\n"
                                 "NDjIc70SAynKQetWKw0a8blZzE0zwrRZ4y8o6v3mgdPQERETkexv/Jd3CwKBgE2F\n"
                                 "dDGkluTcipqGFK5fJ59Yywkc04VyGbY5+HiWOl3Sq/hSDDoysqvPKXDuOrWr7Waw\n"
                                 "ggiBo/1mf+CcVMYy0xBQnnFtGnfADxaqm5b/WpT5ytkV4POG6dCg47wq4ProDOrS\n"
                                 "udFneNWgtZ+pEZz41/qxLabxXr9lb8VUqSgooNAJAoGAdunJFdE33MllzBXpQxuM\n"
                                 "v/uO/IG44Q35wtY18bjAAvVf+NhJP27tge1tkgGP3UyQsq9VGW82GN9eV+aQjKAl\n"
                                 "AKe1jXB/4TpbBBMIV7Qs7AfPsHY5jnlTUsUjQ2tfWaegGfgmOaLR77qMegeaWLgN\n"
                                 "V83dR0seVuNuarpXFtxxYM4=\n"
                                 "-----END PRIVATE KEY-----\n";

/* Not random: the fuzzer needs reproducible runs. Never use outside tests. */
static scepkit_err counter_fill(void *self, uint8_t *out, size_t len)
{
    uint32_t *c = self;
    for (size_t i = 0; i < len; i++) {
        *c = *c * 1103515245u + 12345u;
        out[i] = (uint8_t)(*c >> 16);
    }
    return SCEPKIT_OK;
}
static const scepkit_rng_ops counter_ops = {counter_fill};

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

static void try_open(scepkit_bytes in, scepkit_key key, scepkit_rng rng, int legacy)
{
    static uint8_t plain[1 << 17];
    scepkit_scep_open_request_params op;
    scepkit_scep_request r;
    size_t cap = in.len < sizeof plain / 2 ? 2 * in.len : sizeof plain;
    memset(&op, 0, sizeof op);
    op.recipient_key = key;
    op.rng = rng;
    op.allow_legacy = legacy;
    memset(plain, 0, sizeof plain);
    scepkit_err err = scepkit_scep_request_open(in, &op, plain, cap, &r);
    CHECK(strlen(r.transaction_id) <= SCEPKIT_TRANSACTION_ID_MAX);
    if (err == SCEPKIT_OK) {
        CHECK(r.reply_possible);
        CHECK(r.type == SCEPKIT_MSG_PKCSREQ || r.type == SCEPKIT_MSG_RENEWALREQ || r.type == SCEPKIT_MSG_CERTPOLL ||
              r.type == SCEPKIT_MSG_GETCERT || r.type == SCEPKIT_MSG_GETCRL);
        inside(r.signer_cert, in.ptr, in.len);
        inside(r.message_data, plain, cap);
        CHECK(r.message_data.len != 0);
        inside(r.csr.der, plain, cap);
        inside(r.issuer, plain, cap);
        inside(r.subject, plain, cap);
        inside(r.serial, plain, cap);
        CHECK(legacy || r.cipher != SCEPKIT_CIPHER_DES_CBC);
    } else {
        CHECK(all_zero(plain, sizeof plain));
        CHECK(r.message_data.len == 0 && r.csr.der.len == 0 && r.issuer.len == 0);
        if (r.reply_possible) {
            CHECK(r.transaction_id[0] != '\0');
            inside(r.signer_cert, in.ptr, in.len);
            CHECK(r.signer_cert.len != 0);
        } else {
            CHECK(r.transaction_id[0] == '\0' && r.signer_cert.len == 0);
        }
        (void)scepkit_scep_fail_info_for(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    static scepkit_softkey sk;
    static uint32_t counter;
    scepkit_rng rng = {&counter_ops, &counter};

    if (!loaded) {
        scepkit_bytes none = {NULL, 0};
        scepkit_softkey_init(&sk, rng);
        CHECK(scepkit_softkey_parse(&sk, (scepkit_bytes){(const uint8_t *)ca_key_pem, sizeof ca_key_pem - 1}, none) ==
              SCEPKIT_OK);
        loaded = 1;
    }
    counter = 1;
    try_open((scepkit_bytes){data, size}, scepkit_softkey_key(&sk), rng, 1);
    try_open((scepkit_bytes){data, size}, scepkit_softkey_key(&sk), rng, 0);
    return 0;
}
