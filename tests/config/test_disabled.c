/*
 * Built only in the reduced-configuration build (scripts/test.sh step 3), where features are
 * compiled out: each disabled feature keeps its API and answers SCEPKIT_ERR_DISABLED.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "port/crypto_port.h"
#include "test_support.h"

#if !SCEPKIT_WITH_SOFTKEY
Test(config, softkey_functions_say_disabled)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 1);
    scepkit_softkey sk;
    scepkit_softkey_init(&sk, ts_det_rng_port(&r));
    cr_expect_eq(scepkit_softkey_generate(&sk, SCEPKIT_KEY_RSA, 2048), SCEPKIT_ERR_DISABLED);
    cr_expect_eq(scepkit_softkey_parse(&sk, scepkit_bytes_str("-----BEGIN PRIVATE KEY-----"), scepkit_bytes_str("")),
                 SCEPKIT_ERR_DISABLED);
    scepkit_softkey_free(&sk);
}
#endif

#if !SCEPKIT_WITH_ECDSA
Test(config, ecdsa_verification_says_disabled)
{
    size_t len = 0;
    uint8_t *spki = ts_read_vector("config/ec-p256.spki.der", &len);
    cr_assert_not_null(spki);
    uint8_t digest[32] = {0};
    uint8_t sig[72] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    scepkit_bytes k = {spki, len};
    scepkit_bytes s = {sig, 8};
    cr_expect_eq(scepkit_verify_digest(k, SCEPKIT_MD_SHA256, digest, sizeof digest, s), SCEPKIT_ERR_DISABLED);
    free(spki);
}
#endif

#if !SCEPKIT_WITH_RSA_OAEP
Test(config, oaep_encryption_says_disabled)
{
    size_t len = 0;
    uint8_t *spki = ts_read_vector("config/rsa2048.spki.der", &len);
    cr_assert_not_null(spki);
    ts_det_rng r;
    ts_det_rng_init(&r, 2);
    uint8_t cek[16] = {1};
    uint8_t out[256];
    size_t out_len = 0;
    scepkit_bytes k = {spki, len};
    cr_expect_eq(skit_rsa_encrypt(k, ts_det_rng_port(&r), SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA256, cek, sizeof cek, out,
                                  sizeof out, &out_len),
                 SCEPKIT_ERR_DISABLED);
    free(spki);
}
#endif

#if !SCEPKIT_WITH_LEGACY_CRYPTO
Test(config, single_des_and_md5_say_disabled_even_with_the_legacy_switch)
{
    uint8_t key[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t iv[8] = {0};
    uint8_t in[8] = {0};
    uint8_t out[8];
    size_t out_len = 0;
    cr_expect_eq(skit_cbc_decrypt(SCEPKIT_CIPHER_DES_CBC, 1, key, iv, in, sizeof in, out, sizeof out, &out_len),
                 SCEPKIT_ERR_DISABLED);
    uint8_t md[64];
    size_t md_len = 0;
    cr_expect_eq(scepkit_digest(SCEPKIT_MD_MD5, scepkit_bytes_str("abc"), md, sizeof md, &md_len),
                 SCEPKIT_ERR_DISABLED);
}
#endif

#if !SCEPKIT_WITH_CSR_WRITE
Test(config, csr_write_says_disabled)
{
    scepkit_csr_params p;
    memset(&p, 0, sizeof p);
    scepkit_key none = {NULL, NULL};
    uint8_t mem[64];
    scepkit_arena a;
    scepkit_arena_init(&a, mem, sizeof mem);
    size_t len = 0;
    cr_expect_eq(scepkit_csr_write(&p, none, &a, NULL, 0, &len), SCEPKIT_ERR_DISABLED);
}
#endif

#if !SCEPKIT_WITH_CSR_PARSE
Test(config, csr_parse_says_disabled)
{
    static const uint8_t seq[] = {0x30, 0x00};
    scepkit_bytes in = {seq, sizeof seq};
    scepkit_csr csr;
    cr_expect_eq(scepkit_csr_parse(in, &csr), SCEPKIT_ERR_DISABLED);
}
#endif

Test(config, build_config_matches_the_reduced_options)
{
    /* scripts/test.sh turns every feature off for this build. */
    cr_expect_eq(SCEPKIT_WITH_SOFTKEY + SCEPKIT_WITH_ECDSA + SCEPKIT_WITH_RSA_OAEP + SCEPKIT_WITH_LEGACY_CRYPTO +
                     SCEPKIT_WITH_CSR_WRITE + SCEPKIT_WITH_CSR_PARSE + SCEPKIT_WITH_CURL,
                 0);
}

#if !SCEPKIT_WITH_CURL
Test(config, the_curl_transport_says_disabled)
{
    scepkit_curl_transport t;
    scepkit_curl_options o;
    memset(&o, 0, sizeof o);
    o.url = "http://127.0.0.1:1/scep";
    cr_expect_eq(scepkit_curl_transport_init(&t, &o), SCEPKIT_ERR_DISABLED);
    scepkit_transport p = scepkit_curl_transport_port(&t);
    scepkit_http_request q;
    scepkit_http_response r;
    uint8_t buf[4];
    memset(&q, 0, sizeof q);
    cr_expect_eq(p.ops->exchange(p.self, &q, buf, sizeof buf, &r), SCEPKIT_ERR_DISABLED);
    cr_expect_eq(r.err, SCEPKIT_ERR_DISABLED);
    scepkit_curl_transport_free(&t);
}
#endif
