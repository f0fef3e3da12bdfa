/*
 * Fuzz target for the dynamic challenge token (src/server/policy.c): the challengePassword of a
 * request is attacker text, and the token's CBOR is read (its kid) before the MAC is checked.
 *
 * Input byte 0 picks the mode:
 *  - even: the rest is token text as a client would send it (base64url, kid lookup, MAC check);
 *  - odd:  the rest is a CBOR claims blob; the harness appends the right HMAC tag for key kid 1 and
 *          base64url-encodes it, so the whole claims decoder runs on fuzzer bytes.
 * Invariant: a token that verifies re-issues (scepkit_token_issue) into one that verifies to equal claims.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "port/crypto_port.h"
#include "scepkit/pem.h"
#include "scepkit/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t secret[32] = "scepkit fuzz token key, 32 byte";

static int same(scepkit_bytes a, scepkit_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char label[] = "scepkit-token-v1";
    scepkit_token_key key = {1, {secret, sizeof secret}};
    char text[512];
    size_t text_len = 0;
    if (size < 1 || size > 200) {
        return 0;
    }
    if ((data[0] & 1) == 0) {
        if (size - 1 >= sizeof text) {
            return 0;
        }
        memcpy(text, data + 1, size - 1);
        text_len = size - 1;
    } else {
        uint8_t raw[256];
        uint8_t mac[SCEPKIT_MD_MAX_SIZE];
        size_t n = size - 1;
        memcpy(raw, label, sizeof label - 1);
        memcpy(raw + sizeof label - 1, data + 1, n);
        if (skit_hmac(SCEPKIT_MD_SHA256, secret, sizeof secret, raw, sizeof label - 1 + n, mac) != SCEPKIT_OK) {
            return 0;
        }
        memcpy(raw, data + 1, n);
        memcpy(raw + n, mac, 16);
        if (scepkit_base64_encode((scepkit_bytes){raw, n + 16}, SCEPKIT_B64_URL, text, sizeof text, &text_len) !=
            SCEPKIT_OK) {
            return 0;
        }
    }
    uint8_t buf[SCEPKIT_TOKEN_MAX_LEN + 64];
    scepkit_token_claims c;
    scepkit_err e =
        scepkit_token_verify(&key, 1, (scepkit_bytes){(const uint8_t *)text, text_len}, 0, buf, sizeof buf, &c);
    if (e != SCEPKIT_OK) {
        return 0;
    }
    CHECK(c.kid == 1);
    char again[512];
    size_t again_len = 0;
    e = scepkit_token_issue(&key, &c, again, sizeof again, &again_len);
    if (e != SCEPKIT_OK) {
        return 0; /* e.g. claims that decode but no longer fit 255 characters */
    }
    uint8_t buf2[SCEPKIT_TOKEN_MAX_LEN + 64];
    scepkit_token_claims c2;
    CHECK(scepkit_token_verify(&key, 1, (scepkit_bytes){(const uint8_t *)again, again_len}, 0, buf2, sizeof buf2,
                               &c2) == SCEPKIT_OK);
    CHECK(same(c.subject, c2.subject) && same(c.sans, c2.sans) && same(c.profile, c2.profile));
    CHECK(c.expires == c2.expires && c.validity_days == c2.validity_days && c2.kid == 1);
    return 0;
}
