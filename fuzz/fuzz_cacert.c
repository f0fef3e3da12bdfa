/*
 * Fuzz target for GetCACert answers (src/scep/cacert.c). The first input byte picks the content type (single
 * certificate, CA/RA chain, or sniffed); the rest is the body. When it parses, every certificate lies inside
 * the input, the selected indices are in range, and verification and pinning run (their answers unchecked).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "scepkit/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *types[] = {SCEPKIT_CT_CA_CERT, SCEPKIT_CT_CA_RA_CERT, ""};
    if (size < 1) {
        return 0;
    }
    const char *ct = types[data[0] % 3];
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    scepkit_ca_certs cc;
    if (scepkit_cacert_parse(scepkit_bytes_str(ct), (scepkit_bytes){body, n}, &cc) != SCEPKIT_OK) {
        CHECK(cc.count == 0);
        return 0;
    }
    CHECK(cc.count >= 1 && cc.count <= SCEPKIT_CA_MAX_CERTS);
    CHECK(cc.ca < cc.count && cc.enc < cc.count && cc.sign < cc.count);
    for (size_t i = 0; i < cc.count; i++) {
        CHECK(cc.certs[i].ptr >= body && cc.certs[i].len <= n && cc.certs[i].ptr + cc.certs[i].len <= body + n);
    }
    (void)scepkit_cacert_verify(&cc, 0, 0);
    static const uint8_t zero[32];
    CHECK(scepkit_cacert_check_pin(&cc, zero) != SCEPKIT_OK);
    return 0;
}
