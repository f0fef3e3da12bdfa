/*
 * Fuzz target for distinguished names (src/codec/name.c).
 *
 * The input is read twice: as DN text (scepkit_name_from_string -> scepkit_name_write ->
 * scepkit_name_format, and the formatted text must encode back to the same DER: the format
 * round-trips), and as DER (iterate and format: errors allowed, crashes not).
 * Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Text -> DER in a fresh buffer; NULL when the text is refused. */
static uint8_t *encode(scepkit_bytes text, size_t *len)
{
    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    uint8_t store[256];
    size_t n = 0;
    if (scepkit_name_from_string(text, attrs, SCEPKIT_NAME_MAX_ATTRS, &n, store, sizeof store) != SCEPKIT_OK) {
        return NULL;
    }
    size_t need = 0;
    scepkit_err e = scepkit_name_write(attrs, n, NULL, 0, &need);
    if (e != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        CHECK(e != SCEPKIT_OK);
        return NULL;
    }
    uint8_t *der = malloc(need);
    CHECK(der != NULL);
    CHECK(scepkit_name_write(attrs, n, der, need, len) == SCEPKIT_OK && *len == need);
    return der;
}

static char *format(scepkit_bytes der)
{
    size_t need = 0;
    scepkit_err e = scepkit_name_format(der, NULL, 0, &need);
    if (e != SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        return NULL;
    }
    char *text = malloc(need + 1);
    size_t len = 0;
    CHECK(text != NULL);
    CHECK(scepkit_name_format(der, text, need + 1, &len) == SCEPKIT_OK && len == need);
    CHECK(strlen(text) == len);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_bytes in = {data, size};

    size_t l1 = 0;
    uint8_t *d1 = encode(in, &l1);
    if (d1 != NULL) {
        char *text = format((scepkit_bytes){d1, l1});
        CHECK(text != NULL); /* what the writer made, the formatter reads */
        size_t l2 = 0;
        uint8_t *d2 = encode(scepkit_bytes_str(text), &l2);
        CHECK(d2 != NULL && l2 == l1 && memcmp(d1, d2, l1) == 0);
        free(d2);
        free(text);
        free(d1);
    }

    free(format(in));
    return 0;
}
