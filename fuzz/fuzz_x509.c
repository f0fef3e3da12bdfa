/*
 * Fuzz target for the X.509 certificate view (src/codec/x509.c). When the input parses, every view lies
 * inside it, the extension list iterates to its end without an error, and the self-signature check runs
 * (its answer is not checked).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "scepkit/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(scepkit_bytes b, const uint8_t *lo, size_t n)
{
    if (b.len != 0) {
        CHECK(b.ptr >= lo && b.ptr <= lo + n && b.len <= (size_t)(lo + n - b.ptr));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_x509 x;
    scepkit_x509_iter it = {{NULL, 0}, 0};
    scepkit_extension e;
    scepkit_err err;
    if (scepkit_x509_parse((scepkit_bytes){data, size}, &x) != SCEPKIT_OK) {
        CHECK(x.der.ptr == NULL);
        return 0;
    }
    CHECK(x.der.ptr == data && x.der.len == size);
    inside(x.tbs, data, size);
    inside(x.serial, data, size);
    inside(x.issuer, data, size);
    inside(x.subject, data, size);
    inside(x.spki, data, size);
    inside(x.extensions, data, size);
    inside(x.ski, data, size);
    inside(x.signature, data, size);
    CHECK(x.version >= 1 && x.version <= 3);
    while ((err = scepkit_x509_next_extension(&x, &it, &e)) == SCEPKIT_OK) {
        inside(e.oid, data, size);
        inside(e.value, data, size);
    }
    CHECK(err == SCEPKIT_ERR_NOT_FOUND);
    (void)scepkit_x509_verify_signature(&x, x.spki, 0);
    return 0;
}
