/*
 * Fuzz target for base64 and PEM decoding.
 *
 * Decodes the input as base64 in both alphabets (into a buffer, as a size query and in place) and
 * checks that all three agree and that encoding the result decodes back to it. Then walks every
 * PEM block in the input, re-encodes each one and decodes it again.
 * Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void base64_round_trip(const uint8_t *data, size_t size, scepkit_b64 alphabet)
{
    uint8_t *out = malloc(size + 1);
    uint8_t *copy = malloc(size + 1);
    size_t n = 0;
    size_t q = 0;
    size_t m = 0;
    scepkit_err err;
    scepkit_err qerr;
    CHECK(out != NULL && copy != NULL);
    err = scepkit_base64_decode((scepkit_bytes){data, size}, alphabet, out, size, &n);
    qerr = scepkit_base64_decode((scepkit_bytes){data, size}, alphabet, NULL, 0, &q);
    /* decoding never grows the data, so `size` bytes always suffice */
    CHECK(err != SCEPKIT_ERR_BUFFER_TOO_SMALL);
    if (err == SCEPKIT_OK) {
        CHECK(n <= size);
        CHECK(q == n && (qerr == SCEPKIT_OK) == (n == 0));
        /* in place */
        memcpy(copy, data, size);
        CHECK(scepkit_base64_decode((scepkit_bytes){copy, size}, alphabet, copy, size, &m) == SCEPKIT_OK);
        CHECK(m == n && memcmp(copy, out, n) == 0);
        /* encode and decode again */
        size_t elen = scepkit_base64_encoded_len(n, alphabet);
        char *text = malloc(elen + 1);
        uint8_t *back = malloc(n + 1);
        size_t tl = 0;
        size_t bl = 0;
        CHECK(text != NULL && back != NULL);
        CHECK(scepkit_base64_encode((scepkit_bytes){out, n}, alphabet, text, elen + 1, &tl) == SCEPKIT_OK);
        CHECK(tl == elen && text[tl] == '\0');
        CHECK(scepkit_base64_decode((scepkit_bytes){(const uint8_t *)text, tl}, alphabet, back, n, &bl) == SCEPKIT_OK);
        CHECK(bl == n && memcmp(back, out, n) == 0);
        free(text);
        free(back);
    } else {
        CHECK(qerr == err);
    }
    free(out);
    free(copy);
}

static void pem_blocks(const uint8_t *data, size_t size)
{
    scepkit_bytes rest = {data, size};
    uint8_t *out = malloc(size + 1);
    CHECK(out != NULL);
    for (int guard = 0; guard < 64; guard++) {
        size_t n = 0;
        size_t consumed = 0;
        scepkit_bytes label = {NULL, 0};
        scepkit_err err = scepkit_pem_decode(rest, NULL, out, size, &n, &label, &consumed);
        if (err != SCEPKIT_OK) {
            CHECK(err != SCEPKIT_ERR_BUFFER_TOO_SMALL);
            break;
        }
        CHECK(consumed > 0 && consumed <= rest.len);
        CHECK(label.ptr >= rest.ptr && label.ptr + label.len <= rest.ptr + rest.len);
        /* re-encode under the same label and decode again */
        char lab[128];
        if (label.len < sizeof lab) {
            memcpy(lab, label.ptr, label.len);
            lab[label.len] = '\0';
            if (strlen(lab) == label.len) {
                size_t need = 0;
                if (scepkit_pem_encode((scepkit_bytes){out, n}, lab, NULL, 0, &need) == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
                    char *text = malloc(need + 1);
                    uint8_t *back = malloc(n + 1);
                    size_t tl = 0;
                    size_t bl = 0;
                    CHECK(text != NULL && back != NULL);
                    CHECK(scepkit_pem_encode((scepkit_bytes){out, n}, lab, text, need + 1, &tl) == SCEPKIT_OK);
                    CHECK(tl == need && scepkit_is_pem((scepkit_bytes){(const uint8_t *)text, tl}));
                    CHECK(scepkit_pem_decode((scepkit_bytes){(const uint8_t *)text, tl}, lab, back, n, &bl, NULL,
                                             NULL) == SCEPKIT_OK);
                    CHECK(bl == n && memcmp(back, out, n) == 0);
                    free(text);
                    free(back);
                }
            }
        }
        rest.ptr += consumed;
        rest.len -= consumed;
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    base64_round_trip(data, size, SCEPKIT_B64_STD);
    base64_round_trip(data, size, SCEPKIT_B64_URL);
    (void)scepkit_is_pem((scepkit_bytes){data, size});
    pem_blocks(data, size);
    return 0;
}
