/*
 * Fuzz target for GetCACaps reading and algorithm choice (src/scep/caps.c). Whatever the text, parsing
 * succeeds, SCEPStandard implies its three capabilities, and a choice, when one is made, is never single DES
 * or MD5 and never below the default minimum.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "scepkit/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t caps = 0;
    CHECK(scepkit_caps_parse((scepkit_bytes){data, size}, &caps) == SCEPKIT_OK);
    if (caps & SCEPKIT_CAP_SCEP_STANDARD) {
        CHECK((caps & SCEPKIT_CAP_AES) && (caps & SCEPKIT_CAP_POST) && (caps & SCEPKIT_CAP_SHA256));
    }
    scepkit_algs a;
    scepkit_err e = scepkit_caps_choose(caps, NULL, &a);
    if (e == SCEPKIT_OK) {
        CHECK(a.cipher >= SCEPKIT_CIPHER_AES128_CBC && a.md >= SCEPKIT_MD_SHA256);
    } else {
        CHECK(e == SCEPKIT_ERR_CAPS_CIPHER || e == SCEPKIT_ERR_CAPS_DIGEST);
    }
    scepkit_alg_policy low = {SCEPKIT_CIPHER_DES_CBC, SCEPKIT_MD_MD5, SCEPKIT_CIPHER_NONE, SCEPKIT_MD_NONE, 0};
    CHECK(scepkit_caps_choose(caps, &low, &a) == SCEPKIT_OK);
    CHECK(a.cipher != SCEPKIT_CIPHER_DES_CBC && a.md != SCEPKIT_MD_MD5);
    return 0;
}
