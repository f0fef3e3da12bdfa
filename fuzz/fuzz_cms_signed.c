/*
 * Fuzz target for the CMS SignedData parser (src/codec/cms_signed.c), its iterators and verification.
 *
 * Parses the input in DER and in BER mode; when it parses, every view must lie inside the input,
 * the content iterator and the copy must agree on the length the parser reported, and every list
 * (certificates, CRLs, signers, signed attributes) is walked. Verification runs (with the embedded
 * certificates); it must not crash, and it may only succeed when there is exactly one signer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/cms.h"
#include "scepkit/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(scepkit_bytes b, const uint8_t *lo, size_t n)
{
    if (b.len != 0) {
        CHECK(b.ptr >= lo && b.ptr <= lo + n && b.len <= (size_t)(lo + n - b.ptr));
    }
}

static void walk(const scepkit_cms_signed *sd, const uint8_t *data, size_t size)
{
    static uint8_t copy[1 << 16];
    scepkit_cms_iter it;
    scepkit_cms_content_iter ci;
    scepkit_cms_signer s;
    scepkit_bytes b;
    size_t total = 0, len = 0;

    inside(sd->der, data, size);
    inside(sd->content, data, size);
    inside(sd->certificates, data, size);
    inside(sd->crls, data, size);
    inside(sd->signer.signed_attrs, data, size);
    inside(sd->signer.signature, data, size);
    if (sd->has_content) {
        CHECK(scepkit_cms_content_iter_init(sd, &ci) == SCEPKIT_OK);
        while (scepkit_cms_content_next(&ci, &b) == SCEPKIT_OK) {
            inside(b, data, size);
            total += b.len;
        }
        CHECK(total == sd->content_len);
        if (sd->content_len <= sizeof copy) {
            CHECK(scepkit_cms_content_copy(sd, copy, sizeof copy, &len) == SCEPKIT_OK);
            CHECK(len == sd->content_len);
        }
    }
    memset(&it, 0, sizeof it);
    while (scepkit_cms_next_cert(sd, &it, &b) == SCEPKIT_OK) {
        scepkit_x509 x;
        inside(b, data, size);
        if (scepkit_x509_parse(b, &x) == SCEPKIT_OK) {
            inside(x.tbs, data, size);
            (void)scepkit_cms_id_matches(&sd->signer.sid, &x);
        }
    }
    memset(&it, 0, sizeof it);
    while (scepkit_cms_next_crl(sd, &it, &b) == SCEPKIT_OK) {
        inside(b, data, size);
    }
    memset(&it, 0, sizeof it);
    size_t signers = 0;
    while (scepkit_cms_next_signer(sd, &it, &s) == SCEPKIT_OK) {
        scepkit_cms_iter ai;
        scepkit_cms_attr a;
        signers++;
        memset(&ai, 0, sizeof ai);
        while (scepkit_cms_next_attr(&s, &ai, &a) == SCEPKIT_OK) {
            inside(a.raw, data, size);
            (void)scepkit_cms_find_attr(&s, a.oid, &b);
        }
    }
    CHECK(signers == sd->signer_count);
    scepkit_x509 signer;
    scepkit_cms_verify_params vp;
    memset(&vp, 0, sizeof vp);
    vp.allow_legacy = 1;
    if (scepkit_cms_signed_verify(sd, &vp, &signer) == SCEPKIT_OK) {
        CHECK(sd->signer_count == 1);
        CHECK(signer.der.len != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scepkit_cms_signed sd;
    scepkit_bytes in = {data, size};
    if (scepkit_cms_signed_parse(in, 0, &sd) == SCEPKIT_OK) {
        walk(&sd, data, size);
    } else {
        CHECK(sd.der.ptr == NULL);
    }
    if (scepkit_cms_signed_parse(in, SCEPKIT_CMS_BER, &sd) == SCEPKIT_OK) {
        walk(&sd, data, size);
    }
    return 0;
}
