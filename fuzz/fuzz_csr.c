/*
 * Fuzz target for the PKCS#10 parser (src/codec/csr_parse.c) and the name formatter.
 *
 * Parses the input; when it parses, every view must lie inside the input, every list must
 * iterate to its end without an error (the parser promises the iterators cannot fail on a
 * parsed request), and the subject is formatted and re-encoded. Verification runs too (it
 * must not crash; its answer is not checked). Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/csr.h"
#include "scepkit/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in_lo;
static const uint8_t *in_hi;

static void inside(scepkit_bytes b)
{
    if (b.len != 0) {
        CHECK(b.ptr >= in_lo && b.ptr <= in_hi && b.len <= (size_t)(in_hi - b.ptr));
    }
}

static void subject(scepkit_bytes name)
{
    scepkit_name_iter it;
    scepkit_name_attr a;
    scepkit_name_attr attrs[SCEPKIT_NAME_MAX_ATTRS];
    size_t n = 0;
    scepkit_err e;
    memset(&it, 0, sizeof it);
    while ((e = scepkit_name_next(name, &it, &a)) == SCEPKIT_OK) {
        inside(a.oid);
        inside(a.value);
        if (n < SCEPKIT_NAME_MAX_ATTRS) {
            attrs[n++] = a;
        }
    }
    CHECK(e == SCEPKIT_ERR_NOT_FOUND); /* parse walked the subject already */

    size_t need = 0;
    e = scepkit_name_format(name, NULL, 0, &need);
    if (e == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
        char *text = malloc(need + 1);
        size_t len = 0;
        CHECK(text != NULL);
        CHECK(scepkit_name_format(name, text, need + 1, &len) == SCEPKIT_OK);
        CHECK(len == need && strlen(text) == len);
        free(text);
    }

    /* Re-encoding the attributes as read (strings whose charset the writer checks may be refused). */
    if (n != 0 && !attrs[0].multi_valued) {
        size_t len = 0;
        e = scepkit_name_write(attrs, n, NULL, 0, &len);
        if (e == SCEPKIT_ERR_BUFFER_TOO_SMALL) {
            uint8_t *der = malloc(len);
            size_t got = 0;
            CHECK(der != NULL);
            CHECK(scepkit_name_write(attrs, n, der, len, &got) == SCEPKIT_OK && got == len);
            free(der);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_csr c;
    scepkit_bytes in = {data, size};
    in_lo = data;
    in_hi = data + size;
    if (scepkit_csr_parse(in, &c) != SCEPKIT_OK) {
        static const scepkit_csr zero;
        CHECK(memcmp(&c, &zero, sizeof c) == 0);
        return 0;
    }
    CHECK(c.der.ptr == data && c.der.len == size);
    inside(c.tbs);
    inside(c.subject);
    inside(c.spki);
    inside(c.attributes);
    inside(c.challenge);
    inside(c.extensions);
    inside(c.san);
    inside(c.eku);
    inside(c.sig_alg_oid);
    inside(c.signature);
    CHECK(c.challenge.len <= 4 * SCEPKIT_CHALLENGE_MAX_LEN);

    scepkit_err e;
    scepkit_csr_iter it;
    scepkit_san san;
    memset(&it, 0, sizeof it);
    while ((e = scepkit_csr_next_san(&c, &it, &san)) == SCEPKIT_OK) {
        inside(san.value);
        CHECK(san.type != SCEPKIT_SAN_IP || san.value.len == 4 || san.value.len == 16);
    }
    CHECK(e == SCEPKIT_ERR_NOT_FOUND);

    scepkit_bytes oid;
    memset(&it, 0, sizeof it);
    while ((e = scepkit_csr_next_eku(&c, &it, &oid)) == SCEPKIT_OK) {
        inside(oid);
    }
    CHECK(e == SCEPKIT_ERR_NOT_FOUND);

    scepkit_extension ext;
    memset(&it, 0, sizeof it);
    while ((e = scepkit_csr_next_extension(&c, &it, &ext)) == SCEPKIT_OK) {
        inside(ext.oid);
        inside(ext.value);
    }
    CHECK(e == SCEPKIT_ERR_NOT_FOUND);

    scepkit_csr_attribute attr;
    memset(&it, 0, sizeof it);
    while ((e = scepkit_csr_next_attribute(&c, &it, &attr)) == SCEPKIT_OK) {
        inside(attr.oid);
        inside(attr.values);
        CHECK(attr.values.len != 0);
    }
    CHECK(e == SCEPKIT_ERR_NOT_FOUND);

    subject(c.subject);
    (void)scepkit_csr_verify(&c, 1);
    return 0;
}
