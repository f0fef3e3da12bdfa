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

#include "fuzz_common.h"
#include "scepkit/pem.h"
#include "scepkit/scep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        CHECK(scepkit_softkey_parse(&sk, (scepkit_bytes){(const uint8_t *)fuzz_ca_key_pem, sizeof fuzz_ca_key_pem - 1},
                                    none) == SCEPKIT_OK);
        loaded = 1;
    }
    counter = 1;
    try_open((scepkit_bytes){data, size}, scepkit_softkey_key(&sk), rng, 1);
    try_open((scepkit_bytes){data, size}, scepkit_softkey_key(&sk), rng, 0);
    return 0;
}
