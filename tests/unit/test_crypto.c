/* Crypto port: digests, HMAC, PBKDF2, CBC (known answers, openssl interop, padding oracle table), RSA
 * key transport, DRBG. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/crypto_port.h"
#include "test_support.h"

/* ---------------------------------------------------------------------------------------------- */
/* helpers */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (hex[0] != 0 && hex[1] != 0) {
        unsigned v;
        cr_assert(sscanf(hex, "%2x", &v) == 1, "bad hex in test vector");
        cr_assert(n < cap, "test buffer too small");
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void tohex(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", in[i]);
    }
    out[2 * len] = 0;
}

static void write_or_die(const char *path, const uint8_t *data, size_t len)
{
    cr_assert_eq(ts_write_file(path, data, len), 0, "cannot write %s", path);
}

static uint8_t *read_or_die(const char *path, size_t *len)
{
    uint8_t *p = ts_read_file(path, len);
    cr_assert_not_null(p, "cannot read %s", path);
    return p;
}

static void run_ok(const char *cmd)
{
    char out[4096];
    int st = ts_run(cmd, out, sizeof out);
    cr_assert_eq(st, 0, "command failed (%d): %s\n%s", st, cmd, out);
}

/* ---------------------------------------------------------------------------------------------- */
/* digests */

struct md_kat {
    scepkit_md md;
    const char *msg;
    const char *hex;
};

/* FIPS 180-2 appendix examples ("abc", two-block message) and RFC 1321 §A.5. */
static const struct md_kat md_kats[] = {
    {SCEPKIT_MD_MD5, "", "d41d8cd98f00b204e9800998ecf8427e"},
    {SCEPKIT_MD_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
    {SCEPKIT_MD_MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {SCEPKIT_MD_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {SCEPKIT_MD_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {SCEPKIT_MD_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {SCEPKIT_MD_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {SCEPKIT_MD_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {SCEPKIT_MD_SHA384, "abc",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
    {SCEPKIT_MD_SHA384, "",
     "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"},
    {SCEPKIT_MD_SHA512, "abc",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e"
     "2a9ac94fa54ca49f"},
    {SCEPKIT_MD_SHA512, "",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a"
     "538327af927da3e"},
};

Test(crypto_md, sizes_are_the_standard_ones)
{
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_MD5), 16);
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_SHA1), 20);
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_SHA256), 32);
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_SHA384), 48);
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_SHA512), 64);
    cr_assert_eq(scepkit_md_size(SCEPKIT_MD_NONE), 0);
    cr_assert_eq(scepkit_md_size((scepkit_md)99), 0);
    cr_assert_eq(scepkit_cipher_key_size(SCEPKIT_CIPHER_DES_EDE3_CBC), 24);
    cr_assert_eq(scepkit_cipher_key_size(SCEPKIT_CIPHER_AES192_CBC), 24);
    cr_assert_eq(scepkit_cipher_block_size(SCEPKIT_CIPHER_DES_CBC), 8);
    cr_assert_eq(scepkit_cipher_block_size(SCEPKIT_CIPHER_AES256_CBC), 16);
    cr_assert_eq(scepkit_cipher_block_size(SCEPKIT_CIPHER_NONE), 0);
}

Test(crypto_md, one_shot_digests_match_known_answers)
{
    for (size_t i = 0; i < sizeof md_kats / sizeof md_kats[0]; i++) {
        const struct md_kat *k = &md_kats[i];
        uint8_t want[64], got[64];
        size_t n = unhex(k->hex, want, sizeof want);
        size_t got_len = 0;
        scepkit_err err = scepkit_digest(k->md, scepkit_bytes_str(k->msg), got, sizeof got, &got_len);
        if (k->md == SCEPKIT_MD_MD5 && !SCEPKIT_WITH_LEGACY_CRYPTO) {
            cr_assert_eq(err, SCEPKIT_ERR_DISABLED);
            continue;
        }
        cr_assert_eq(err, SCEPKIT_OK, "vector %zu: %s", i, scepkit_err_name(err));
        cr_assert_eq(got_len, n, "vector %zu", i);
        cr_assert_arr_eq(got, want, n, "vector %zu", i);
    }
}

Test(crypto_md, streaming_digest_equals_one_shot_for_every_split)
{
    static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const scepkit_md mds[] = {SCEPKIT_MD_SHA1, SCEPKIT_MD_SHA256, SCEPKIT_MD_SHA384, SCEPKIT_MD_SHA512};
    for (size_t m = 0; m < sizeof mds / sizeof mds[0]; m++) {
        uint8_t ref[64];
        cr_assert_eq(skit_md(mds[m], (const uint8_t *)msg, strlen(msg), ref), SCEPKIT_OK);
        for (size_t split = 0; split <= strlen(msg); split++) {
            skit_md_ctx c;
            uint8_t got[64];
            cr_assert_eq(skit_md_init(&c, mds[m]), SCEPKIT_OK);
            cr_assert_eq(skit_md_update(&c, (const uint8_t *)msg, split), SCEPKIT_OK);
            cr_assert_eq(skit_md_update(&c, (const uint8_t *)msg + split, strlen(msg) - split), SCEPKIT_OK);
            cr_assert_eq(skit_md_finish(&c, got), SCEPKIT_OK);
            skit_md_free(&c);
            skit_md_free(&c); /* twice is safe */
            cr_assert_arr_eq(got, ref, scepkit_md_size(mds[m]));
        }
    }
}

Test(crypto_md, digest_reports_size_and_refuses_unknown_algorithms)
{
    uint8_t out[64];
    size_t n = 0;
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, scepkit_bytes_str("x"), out, 31, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 32);
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, scepkit_bytes_str("x"), NULL, 0, &n), SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 32);
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_NONE, scepkit_bytes_str("x"), out, sizeof out, &n), SCEPKIT_ERR_UNSUPPORTED);
    cr_assert_eq(scepkit_digest((scepkit_md)77, scepkit_bytes_str("x"), out, sizeof out, &n), SCEPKIT_ERR_UNSUPPORTED);
    scepkit_bytes bad = {NULL, 3};
    cr_assert_eq(scepkit_digest(SCEPKIT_MD_SHA256, bad, out, sizeof out, &n), SCEPKIT_ERR_ARG);
    skit_md_ctx c;
    cr_assert_eq(skit_md_init(&c, SCEPKIT_MD_NONE), SCEPKIT_ERR_UNSUPPORTED);
    cr_assert_eq(skit_md_update(&c, (const uint8_t *)"a", 1), SCEPKIT_ERR_ARG, "update after failed init");
    skit_md_free(&c);
}

/* ---------------------------------------------------------------------------------------------- */
/* HMAC (RFC 4231 test cases 1 and 2) */

struct hmac_kat {
    const char *key_hex;
    const char *data;
    scepkit_md md;
    const char *hex;
};

static const struct hmac_kat hmac_kats[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", SCEPKIT_MD_SHA256,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", SCEPKIT_MD_SHA384,
     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", SCEPKIT_MD_SHA512,
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f17"
     "02e696c203a126854"},
    {"4a656665", "what do ya want for nothing?", SCEPKIT_MD_SHA256,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"4a656665", "what do ya want for nothing?", SCEPKIT_MD_SHA384,
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
    {"4a656665", "what do ya want for nothing?", SCEPKIT_MD_SHA512,
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4"
     "b636e070a38bce737"},
};

Test(crypto_hmac, matches_rfc4231_cases_1_and_2)
{
    for (size_t i = 0; i < sizeof hmac_kats / sizeof hmac_kats[0]; i++) {
        uint8_t key[32], want[64], got[64];
        size_t kl = unhex(hmac_kats[i].key_hex, key, sizeof key);
        size_t n = unhex(hmac_kats[i].hex, want, sizeof want);
        cr_assert_eq(
            skit_hmac(hmac_kats[i].md, key, kl, (const uint8_t *)hmac_kats[i].data, strlen(hmac_kats[i].data), got),
            SCEPKIT_OK);
        cr_assert_arr_eq(got, want, n, "case %zu", i);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* PBKDF2 (RFC 6070 for HMAC-SHA1, RFC 7914 §11 and the common SHA-256 vector) */

struct pbkdf2_kat {
    scepkit_md md;
    const char *pw;
    size_t pw_len;
    const char *salt;
    size_t salt_len;
    uint32_t iter;
    const char *hex;
};

static const struct pbkdf2_kat pbkdf2_kats[] = {
    {SCEPKIT_MD_SHA1, "password", 8, "salt", 4, 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
    {SCEPKIT_MD_SHA1, "password", 8, "salt", 4, 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
    {SCEPKIT_MD_SHA1, "password", 8, "salt", 4, 4096, "4b007901b765489abead49d926f721d065a429c1"},
    {SCEPKIT_MD_SHA1, "passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096,
     "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
    {SCEPKIT_MD_SHA1, "pass\0word", 9, "sa\0lt", 5, 4096, "56fa6aa75548099dcc37d7f03425e0c3"},
    {SCEPKIT_MD_SHA256, "password", 8, "salt", 4, 1,
     "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
    {SCEPKIT_MD_SHA256, "passwd", 6, "salt", 4, 1,
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd5"
     "09112041d3a19783"},
};

Test(crypto_pbkdf2, matches_rfc6070_and_sha256_vectors)
{
    for (size_t i = 0; i < sizeof pbkdf2_kats / sizeof pbkdf2_kats[0]; i++) {
        const struct pbkdf2_kat *k = &pbkdf2_kats[i];
        uint8_t want[64], got[64];
        size_t n = unhex(k->hex, want, sizeof want);
        cr_assert_eq(skit_pbkdf2(k->md, (const uint8_t *)k->pw, k->pw_len, (const uint8_t *)k->salt, k->salt_len,
                                 k->iter, got, n),
                     SCEPKIT_OK, "vector %zu", i);
        cr_assert_arr_eq(got, want, n, "vector %zu", i);
    }
}

Test(crypto_pbkdf2, refuses_zero_iterations_and_empty_output)
{
    uint8_t out[16];
    cr_assert_eq(skit_pbkdf2(SCEPKIT_MD_SHA256, (const uint8_t *)"p", 1, (const uint8_t *)"s", 1, 0, out, 16),
                 SCEPKIT_ERR_ARG);
    cr_assert_eq(skit_pbkdf2(SCEPKIT_MD_SHA256, (const uint8_t *)"p", 1, (const uint8_t *)"s", 1, 1, out, 0),
                 SCEPKIT_ERR_ARG);
    cr_assert_eq(skit_pbkdf2(SCEPKIT_MD_NONE, (const uint8_t *)"p", 1, (const uint8_t *)"s", 1, 1, out, 16),
                 SCEPKIT_ERR_UNSUPPORTED);
}

/* ---------------------------------------------------------------------------------------------- */
/* CBC */

/* NIST SP 800-38A F.2.1 / F.2.3 / F.2.5 (four blocks, no padding in the vector). */
static const char sp800_38a_pt[] = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                                   "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char sp800_38a_iv[] = "000102030405060708090a0b0c0d0e0f";

struct cbc_kat {
    scepkit_cipher c;
    const char *key;
    const char *iv;
    const char *pt; /* hex */
    const char *ct; /* hex: a prefix of our (padded) output */
};

static const struct cbc_kat cbc_kats[] = {
    {SCEPKIT_CIPHER_AES128_CBC, "2b7e151628aed2a6abf7158809cf4f3c", sp800_38a_iv, sp800_38a_pt,
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e22229516"
     "3ff1caa1681fac09120eca307586e1a7"},
    {SCEPKIT_CIPHER_AES192_CBC, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", sp800_38a_iv, sp800_38a_pt,
     "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e0"
     "08b0e27988598881d920a9e64f5615cd"},
    {SCEPKIT_CIPHER_AES256_CBC, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", sp800_38a_iv,
     sp800_38a_pt,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461"
     "b2eb05e2c39be9fcda6c19078c6a9d1b"},
    /* "The quick brown fox jumps over the lazy dog", padded; reference output of OpenSSL 3.0 */
    {SCEPKIT_CIPHER_DES_EDE3_CBC, "0123456789abcdeff1e0d3c2b5a49786fedcba9876543210", "1122334455667788",
     "54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f67",
     "145592f788343eadbae300efe84b8b97e04f3765d122cd3d23afe3d0785387ab047c9c95fb1ede0f6b34c8e3d5490107"},
};

Test(crypto_cbc, encrypt_and_decrypt_match_known_answers)
{
    for (size_t i = 0; i < sizeof cbc_kats / sizeof cbc_kats[0]; i++) {
        const struct cbc_kat *k = &cbc_kats[i];
        uint8_t key[32], iv[16], pt[96], want[96], ct[112], back[112];
        unhex(k->key, key, sizeof key);
        unhex(k->iv, iv, sizeof iv);
        size_t pt_len = unhex(k->pt, pt, sizeof pt);
        size_t want_len = unhex(k->ct, want, sizeof want);
        size_t bs = scepkit_cipher_block_size(k->c);
        size_t ct_len = 0, back_len = 0;

        cr_assert_eq(skit_cbc_encrypt(k->c, key, iv, pt, pt_len, ct, sizeof ct, &ct_len), SCEPKIT_OK);
        cr_assert_eq(ct_len, (pt_len / bs + 1) * bs, "vector %zu: always padded", i);
        cr_assert_arr_eq(ct, want, want_len, "vector %zu", i);
        cr_assert_eq(skit_cbc_decrypt(k->c, 0, key, iv, ct, ct_len, back, sizeof back, &back_len), SCEPKIT_OK);
        cr_assert_eq(back_len, pt_len);
        cr_assert_arr_eq(back, pt, pt_len);
    }
}

Test(crypto_cbc, encrypt_reports_the_padded_size)
{
    uint8_t key[16] = {0}, iv[16] = {0}, out[32];
    size_t n = 0;
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_AES128_CBC, key, iv, key, 16, out, 31, &n),
                 SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 32);
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_AES128_CBC, key, iv, NULL, 0, out, 16, &n), SCEPKIT_OK);
    cr_assert_eq(n, 16, "empty input is one block of padding");
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_NONE, key, iv, key, 16, out, 32, &n), SCEPKIT_ERR_UNSUPPORTED);
}

struct openssl_cipher {
    scepkit_cipher c;
    const char *name;
};

static const struct openssl_cipher openssl_ciphers[] = {
    {SCEPKIT_CIPHER_AES128_CBC, "aes-128-cbc"},
    {SCEPKIT_CIPHER_AES192_CBC, "aes-192-cbc"},
    {SCEPKIT_CIPHER_AES256_CBC, "aes-256-cbc"},
    {SCEPKIT_CIPHER_DES_EDE3_CBC, "des-ede3-cbc"},
};

Test(crypto_cbc, interoperates_with_openssl_enc_both_ways)
{
    char dir[512], cmd[2048], khex[80], ivhex[40], p[600], c[600], o[600];
    ts_det_rng r;
    ts_det_rng_init(&r, 7);
    ts_tmpdir("crypto_cbc_openssl", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/plain", dir);
    snprintf(c, sizeof c, "%s/cipher", dir);
    snprintf(o, sizeof o, "%s/out", dir);
    const size_t lens[] = {0, 1, 7, 8, 15, 16, 17, 100, 1000};
    for (size_t ci = 0; ci < sizeof openssl_ciphers / sizeof openssl_ciphers[0]; ci++) {
        scepkit_cipher cip = openssl_ciphers[ci].c;
        size_t kl = scepkit_cipher_key_size(cip), bs = scepkit_cipher_block_size(cip);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            uint8_t key[32], iv[16], pt[1000], ct[1024], back[1024];
            size_t ct_len = 0, back_len = 0, n = 0;
            cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), key, kl), SCEPKIT_OK);
            cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), iv, bs), SCEPKIT_OK);
            cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), pt, lens[li]), SCEPKIT_OK);
            tohex(key, kl, khex);
            tohex(iv, bs, ivhex);

            /* us -> openssl */
            cr_assert_eq(skit_cbc_encrypt(cip, key, iv, pt, lens[li], ct, sizeof ct, &ct_len), SCEPKIT_OK);
            write_or_die(c, ct, ct_len);
            snprintf(cmd, sizeof cmd, "openssl enc -d -%s -K %s -iv %s -in '%s' -out '%s' 2>&1",
                     openssl_ciphers[ci].name, khex, ivhex, c, o);
            run_ok(cmd);
            uint8_t *got = read_or_die(o, &n);
            cr_assert_eq(n, lens[li], "%s len %zu", openssl_ciphers[ci].name, lens[li]);
            cr_assert_arr_eq(got, pt, n);
            free(got);

            /* openssl -> us */
            write_or_die(p, pt, lens[li]);
            snprintf(cmd, sizeof cmd, "openssl enc -%s -K %s -iv %s -in '%s' -out '%s' 2>&1", openssl_ciphers[ci].name,
                     khex, ivhex, p, c);
            run_ok(cmd);
            uint8_t *oc = read_or_die(c, &n);
            cr_assert_eq(n, ct_len, "same padding as openssl");
            cr_assert_arr_eq(oc, ct, n, "same ciphertext as openssl");
            cr_assert_eq(skit_cbc_decrypt(cip, 0, key, iv, oc, n, back, sizeof back, &back_len), SCEPKIT_OK);
            cr_assert_eq(back_len, lens[li]);
            cr_assert_arr_eq(back, pt, back_len);
            free(oc);
        }
    }
}

Test(crypto_cbc, single_des_decrypts_only_with_the_legacy_switch)
{
    char dir[512], cmd[2048], p[600], c[600];
    static const char msg[] = "The quick brown fox jumps over the lazy dog";
    uint8_t key[8], iv[8], want[48], out[64];
    size_t n = 0;
    unhex("133457799bbcdff1", key, sizeof key);
    unhex("0102030405060708", iv, sizeof iv);
    size_t want_len = unhex("28683a69bdcea74df079dd217ea99086886dfa081331a88ac57d8040ba570dfe2658b88add9cc177c7a68ff6"
                            "5c1c6ce3",
                            want, sizeof want);

    /* the known answer above came from openssl; check it again live */
    ts_tmpdir("crypto_des", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/plain", dir);
    snprintf(c, sizeof c, "%s/cipher", dir);
    write_or_die(p, (const uint8_t *)msg, strlen(msg));
    snprintf(cmd, sizeof cmd,
             "openssl enc -des-cbc -provider legacy -provider default -K 133457799bbcdff1 -iv 0102030405060708 "
             "-in '%s' -out '%s' 2>&1",
             p, c);
    run_ok(cmd);
    uint8_t *oc = read_or_die(c, &n);
    cr_assert_eq(n, want_len);
    cr_assert_arr_eq(oc, want, n);
    free(oc);

#if SCEPKIT_WITH_LEGACY_CRYPTO
    cr_assert_eq(skit_cbc_decrypt(SCEPKIT_CIPHER_DES_CBC, 1, key, iv, want, want_len, out, sizeof out, &n), SCEPKIT_OK);
    cr_assert_eq(n, strlen(msg));
    cr_assert_arr_eq(out, msg, n);
    cr_assert_eq(skit_cbc_decrypt(SCEPKIT_CIPHER_DES_CBC, 0, key, iv, want, want_len, out, sizeof out, &n),
                 SCEPKIT_ERR_LEGACY_DISABLED);
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_DES_CBC, key, iv, (const uint8_t *)msg, 8, out, sizeof out, &n),
                 SCEPKIT_ERR_UNSUPPORTED);
    skit_cbc_ctx ctx;
    cr_assert_eq(skit_cbc_decrypt_init(&ctx, SCEPKIT_CIPHER_DES_CBC, 0, key, iv), SCEPKIT_ERR_LEGACY_DISABLED);
    skit_cbc_free(&ctx);
#else
    cr_assert_eq(skit_cbc_decrypt(SCEPKIT_CIPHER_DES_CBC, 1, key, iv, want, want_len, out, sizeof out, &n),
                 SCEPKIT_ERR_DISABLED);
#endif
}

/* Ciphertext whose first block decrypts (under key/iv) to exactly `block`: the first block of our own encryption. */
static void forge_one_block(const uint8_t *key, const uint8_t *iv, const uint8_t block[16], uint8_t ct[16])
{
    uint8_t tmp[32];
    size_t n = 0;
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_AES128_CBC, key, iv, block, 16, tmp, sizeof tmp, &n), SCEPKIT_OK);
    memcpy(ct, tmp, 16);
}

struct pad_case {
    const char *what;
    const char *last_block_hex; /* plaintext of the final block; NULL = use `len` raw bytes of ciphertext */
    size_t len;
    scepkit_err want;
    size_t want_len;
};

static const struct pad_case pad_cases[] = {
    {"last byte 0", "41414141414141414141414141414100", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"last byte 17", "41414141414141414141414141414111", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"last byte 0xff", "414141414141414141414141414141ff", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"pad 2, one byte wrong", "41414141414141414141414141410302", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"pad 16, first byte wrong", "0f101010101010101010101010101010", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"pad 5, middle byte wrong", "41414141414141414141410505040505", 16, SCEPKIT_ERR_DECRYPT, 0},
    {"length 15", NULL, 15, SCEPKIT_ERR_DECRYPT, 0},
    {"length 17", NULL, 17, SCEPKIT_ERR_DECRYPT, 0},
    {"empty", NULL, 0, SCEPKIT_ERR_DECRYPT, 0},
    /* the accepted edges, so the table proves it can tell */
    {"pad 1", "41414141414141414141414141414101", 16, SCEPKIT_OK, 15},
    {"pad 16", "10101010101010101010101010101010", 16, SCEPKIT_OK, 0},
    {"pad 5", "41414141414141414141410505050505", 16, SCEPKIT_OK, 11},
};

Test(crypto_cbc, every_padding_or_length_failure_is_the_same_decrypt_error)
{
    uint8_t key[16], iv[16];
    unhex("000102030405060708090a0b0c0d0e0f", key, sizeof key);
    unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv, sizeof iv);
    for (size_t i = 0; i < sizeof pad_cases / sizeof pad_cases[0]; i++) {
        const struct pad_case *t = &pad_cases[i];
        uint8_t ct[32] = {0}, out[32], block[16];
        size_t n = 99;
        if (t->last_block_hex != NULL) {
            unhex(t->last_block_hex, block, sizeof block);
            forge_one_block(key, iv, block, ct);
        }
        scepkit_err err = skit_cbc_decrypt(SCEPKIT_CIPHER_AES128_CBC, 0, key, iv, t->len != 0 ? ct : NULL, t->len, out,
                                           sizeof out, &n);
        cr_assert_eq(err, t->want, "%s: got %s", t->what, scepkit_err_name(err));
        if (t->want == SCEPKIT_OK) {
            cr_assert_eq(n, t->want_len, "%s", t->what);
        } else {
            cr_assert_eq(n, 0, "%s: no length on failure", t->what);
        }

        /* the streaming decryptor gives the same answers */
        skit_cbc_ctx c;
        size_t a = 0, b = 0;
        cr_assert_eq(skit_cbc_decrypt_init(&c, SCEPKIT_CIPHER_AES128_CBC, 0, key, iv), SCEPKIT_OK);
        cr_assert_eq(skit_cbc_decrypt_update(&c, t->len != 0 ? ct : NULL, t->len, out, &a), SCEPKIT_OK);
        err = skit_cbc_decrypt_finish(&c, out + a, &b);
        skit_cbc_free(&c);
        cr_assert_eq(err, t->want, "%s (streaming): got %s", t->what, scepkit_err_name(err));
        if (t->want == SCEPKIT_OK) {
            cr_assert_eq(a + b, t->want_len, "%s (streaming)", t->what);
        }
    }
}

Test(crypto_cbc, streaming_decrypt_equals_one_shot_for_many_segmentations)
{
    const scepkit_cipher ciphers[] = {SCEPKIT_CIPHER_AES128_CBC, SCEPKIT_CIPHER_AES256_CBC,
                                      SCEPKIT_CIPHER_DES_EDE3_CBC};
    ts_det_rng r;
    ts_det_rng_init(&r, 42);
    for (size_t ci = 0; ci < sizeof ciphers / sizeof ciphers[0]; ci++) {
        uint8_t key[32], iv[16], pt[203], ct[224], ref[224], got[224 + 16];
        size_t ct_len = 0, ref_len = 0;
        scepkit_cipher cip = ciphers[ci];
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), key, sizeof key), SCEPKIT_OK);
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), iv, sizeof iv), SCEPKIT_OK);
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), pt, sizeof pt), SCEPKIT_OK);
        cr_assert_eq(skit_cbc_encrypt(cip, key, iv, pt, sizeof pt, ct, sizeof ct, &ct_len), SCEPKIT_OK);
        cr_assert_eq(skit_cbc_decrypt(cip, 0, key, iv, ct, ct_len, ref, sizeof ref, &ref_len), SCEPKIT_OK);
        cr_assert_eq(ref_len, sizeof pt);

        /* fixed chunk sizes 1..40, then 200 pseudo-random segmentations (empty chunks included) */
        for (int round = 0; round < 240; round++) {
            skit_cbc_ctx c;
            size_t pos = 0, total = 0;
            cr_assert_eq(skit_cbc_decrypt_init(&c, cip, 0, key, iv), SCEPKIT_OK);
            while (pos < ct_len) {
                size_t chunk;
                if (round < 40) {
                    chunk = (size_t)round + 1;
                } else {
                    uint8_t b;
                    cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), &b, 1), SCEPKIT_OK);
                    chunk = b % 37;
                }
                if (chunk > ct_len - pos) {
                    chunk = ct_len - pos;
                }
                size_t n = 0;
                cr_assert_eq(skit_cbc_decrypt_update(&c, ct + pos, chunk, got + total, &n), SCEPKIT_OK);
                cr_assert(n <= chunk + 16);
                pos += chunk;
                total += n;
            }
            size_t n = 0;
            cr_assert_eq(skit_cbc_decrypt_finish(&c, got + total, &n), SCEPKIT_OK, "round %d", round);
            total += n;
            skit_cbc_free(&c);
            skit_cbc_free(&c);
            cr_assert_eq(total, ref_len, "round %d", round);
            cr_assert_arr_eq(got, ref, total, "round %d", round);
        }
    }
}

Test(crypto_cbc, streaming_context_refuses_use_after_finish_and_free)
{
    uint8_t key[16] = {1}, iv[16] = {2}, ct[32], out[48];
    size_t n = 0;
    cr_assert_eq(skit_cbc_encrypt(SCEPKIT_CIPHER_AES128_CBC, key, iv, key, 16, ct, sizeof ct, &n), SCEPKIT_OK);
    skit_cbc_ctx c;
    cr_assert_eq(skit_cbc_decrypt_init(&c, SCEPKIT_CIPHER_AES128_CBC, 0, key, iv), SCEPKIT_OK);
    cr_assert_eq(skit_cbc_decrypt_update(&c, ct, 32, out, &n), SCEPKIT_OK);
    cr_assert_eq(n, 16);
    cr_assert_eq(skit_cbc_decrypt_finish(&c, out + 16, &n), SCEPKIT_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(skit_cbc_decrypt_update(&c, ct, 16, out, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(skit_cbc_decrypt_finish(&c, out, &n), SCEPKIT_ERR_ARG);
    skit_cbc_free(&c);
    cr_assert_eq(skit_cbc_decrypt_update(&c, ct, 16, out, &n), SCEPKIT_ERR_ARG);
    cr_assert_eq(skit_cbc_decrypt_init(&c, SCEPKIT_CIPHER_NONE, 0, key, iv), SCEPKIT_ERR_UNSUPPORTED);
    skit_cbc_free(&c);
}

/* ---------------------------------------------------------------------------------------------- */
/* RSA key transport */

static scepkit_bytes load_ca_spki_and_key(scepkit_softkey *sk, scepkit_rng rng, uint8_t *spki, size_t cap)
{
    size_t n = 0, spki_len = 0;
    uint8_t *pem = ts_read_vector("keys/ca.key.pem", &n);
    cr_assert_not_null(pem);
    scepkit_softkey_init(sk, rng);
    scepkit_bytes none = {NULL, 0};
    scepkit_bytes kb = {pem, n};
    cr_assert_eq(scepkit_softkey_parse(sk, kb, none), SCEPKIT_OK);
    free(pem);
    cr_assert_eq(scepkit_key_public(scepkit_softkey_key(sk), spki, cap, &spki_len), SCEPKIT_OK);
    scepkit_bytes b = {spki, spki_len};
    return b;
}

Test(crypto_rsa, encrypt_then_softkey_decrypt_round_trips, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 1);
    scepkit_softkey sk;
    uint8_t spki_buf[SCEPKIT_MAX_SPKI_SIZE];
    scepkit_bytes spki = load_ca_spki_and_key(&sk, ts_det_rng_port(&r), spki_buf, sizeof spki_buf);
    struct {
        scepkit_rsa_pad pad;
        scepkit_md md;
    } modes[] = {{SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE},
                 {SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA1},
                 {SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA256},
                 {SCEPKIT_RSA_OAEP, SCEPKIT_MD_SHA512}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        uint8_t cek[32], ct[256], back[256];
        size_t ct_len = 0, back_len = 0;
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), cek, sizeof cek), SCEPKIT_OK);
        scepkit_err err = skit_rsa_encrypt(spki, ts_det_rng_port(&r), modes[i].pad, modes[i].md, cek, sizeof cek, ct,
                                           sizeof ct, &ct_len);
        if (modes[i].pad == SCEPKIT_RSA_OAEP && !SCEPKIT_WITH_RSA_OAEP) {
            cr_assert_eq(err, SCEPKIT_ERR_DISABLED);
            continue;
        }
        cr_assert_eq(err, SCEPKIT_OK, "mode %zu: %s", i, scepkit_err_name(err));
        cr_assert_eq(ct_len, 256);
        cr_assert_eq(scepkit_key_decrypt(scepkit_softkey_key(&sk), modes[i].pad, modes[i].md, ct, ct_len, back,
                                         sizeof back, &back_len),
                     SCEPKIT_OK, "mode %zu", i);
        cr_assert_eq(back_len, sizeof cek);
        cr_assert_arr_eq(back, cek, sizeof cek);
        if (modes[i].pad == SCEPKIT_RSA_OAEP) {
            /* the OAEP digest is part of the key: another digest must fail, as a decryption failure */
            scepkit_md other = modes[i].md == SCEPKIT_MD_SHA1 ? SCEPKIT_MD_SHA256 : SCEPKIT_MD_SHA1;
            cr_assert_eq(scepkit_key_decrypt(scepkit_softkey_key(&sk), SCEPKIT_RSA_OAEP, other, ct, ct_len, back,
                                             sizeof back, &back_len),
                         SCEPKIT_ERR_DECRYPT);
        }
    }
    scepkit_softkey_free(&sk);
}

Test(crypto_rsa, encrypt_refuses_bad_arguments_and_small_buffers, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    ts_det_rng r;
    ts_det_rng_init(&r, 2);
    scepkit_softkey sk;
    uint8_t spki_buf[SCEPKIT_MAX_SPKI_SIZE], ct[256], big[300] = {0};
    size_t n = 0;
    scepkit_bytes spki = load_ca_spki_and_key(&sk, ts_det_rng_port(&r), spki_buf, sizeof spki_buf);
    cr_assert_eq(
        skit_rsa_encrypt(spki, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, big, 16, ct, 255, &n),
        SCEPKIT_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(n, 256);
    cr_assert_eq(skit_rsa_encrypt(spki, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, big, 246, ct,
                                  sizeof ct, &n),
                 SCEPKIT_ERR_ARG, "v1.5 leaves room for 11 bytes of padding");
    cr_assert_eq(
        skit_rsa_encrypt(spki, ts_det_rng_port(&r), (scepkit_rsa_pad)9, SCEPKIT_MD_NONE, big, 16, ct, sizeof ct, &n),
        SCEPKIT_ERR_ARG);
    scepkit_bytes truncated = {spki.ptr, spki.len - 1};
    cr_assert_eq(skit_rsa_encrypt(truncated, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, big, 16, ct,
                                  sizeof ct, &n),
                 SCEPKIT_ERR_KEY_PARSE);
    uint8_t longer[SCEPKIT_MAX_SPKI_SIZE + 1];
    memcpy(longer, spki.ptr, spki.len);
    longer[spki.len] = 0;
    scepkit_bytes trailing = {longer, spki.len + 1};
    cr_assert_eq(skit_rsa_encrypt(trailing, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, big, 16, ct,
                                  sizeof ct, &n),
                 SCEPKIT_ERR_KEY_PARSE, "trailing byte after the SPKI");
    r.fail_after = r.calls;
    cr_assert_eq(
        skit_rsa_encrypt(spki, ts_det_rng_port(&r), SCEPKIT_RSA_PKCS1_V15, SCEPKIT_MD_NONE, big, 16, ct, sizeof ct, &n),
        SCEPKIT_ERR_RNG);
    scepkit_softkey_free(&sk);
}

Test(crypto_rsa, interoperates_with_openssl_pkeyutl, .disabled = !SCEPKIT_WITH_SOFTKEY)
{
    char dir[512], cmd[4096], pub[600], in[600], ct[600], out[600], key[600];
    ts_det_rng r;
    ts_det_rng_init(&r, 3);
    scepkit_softkey sk;
    uint8_t spki_buf[SCEPKIT_MAX_SPKI_SIZE];
    scepkit_bytes spki = load_ca_spki_and_key(&sk, ts_det_rng_port(&r), spki_buf, sizeof spki_buf);
    ts_tmpdir("crypto_rsa_openssl", dir, sizeof dir);
    snprintf(pub, sizeof pub, "%s/pub.der", dir);
    snprintf(in, sizeof in, "%s/cek", dir);
    snprintf(ct, sizeof ct, "%s/ct", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(key, sizeof key, "%s/keys/ca.key.pem", SCEPKIT_TEST_VECTORS);
    write_or_die(pub, spki.ptr, spki.len);

    static const char *const opts[] = {
        "",
        "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1",
        "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256",
    };
    const scepkit_rsa_pad pads[] = {SCEPKIT_RSA_PKCS1_V15, SCEPKIT_RSA_OAEP, SCEPKIT_RSA_OAEP};
    const scepkit_md mds[] = {SCEPKIT_MD_NONE, SCEPKIT_MD_SHA1, SCEPKIT_MD_SHA256};
    for (size_t i = 0; i < 3; i++) {
        if (pads[i] == SCEPKIT_RSA_OAEP && !SCEPKIT_WITH_RSA_OAEP) {
            continue;
        }
        uint8_t cek[24], buf[256], back[256];
        size_t n = 0, back_len = 0;
        cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), cek, sizeof cek), SCEPKIT_OK);

        /* us -> openssl */
        cr_assert_eq(skit_rsa_encrypt(spki, ts_det_rng_port(&r), pads[i], mds[i], cek, sizeof cek, buf, sizeof buf, &n),
                     SCEPKIT_OK);
        write_or_die(ct, buf, n);
        snprintf(cmd, sizeof cmd, "openssl pkeyutl -decrypt -inkey '%s' %s -in '%s' -out '%s' 2>&1", key, opts[i], ct,
                 out);
        run_ok(cmd);
        uint8_t *got = read_or_die(out, &n);
        cr_assert_eq(n, sizeof cek, "mode %zu", i);
        cr_assert_arr_eq(got, cek, n);
        free(got);

        /* openssl -> us */
        write_or_die(in, cek, sizeof cek);
        snprintf(cmd, sizeof cmd, "openssl pkeyutl -encrypt -pubin -keyform DER -inkey '%s' %s -in '%s' -out '%s' 2>&1",
                 pub, opts[i], in, ct);
        run_ok(cmd);
        uint8_t *oc = read_or_die(ct, &n);
        cr_assert_eq(
            scepkit_key_decrypt(scepkit_softkey_key(&sk), pads[i], mds[i], oc, n, back, sizeof back, &back_len),
            SCEPKIT_OK, "mode %zu", i);
        cr_assert_eq(back_len, sizeof cek);
        cr_assert_arr_eq(back, cek, back_len);
        free(oc);
    }
    scepkit_softkey_free(&sk);
}

/* ---------------------------------------------------------------------------------------------- */
/* DRBG */

Test(crypto_drbg, init_fill_free)
{
    scepkit_drbg d;
    uint8_t a[2000], b[2000], zero[2000] = {0};
    cr_assert_eq(scepkit_drbg_init(&d, scepkit_bytes_str("scepkit test")), SCEPKIT_OK);
    scepkit_rng rng = scepkit_drbg_rng(&d);
    cr_assert_eq(scepkit_rng_fill(rng, a, sizeof a), SCEPKIT_OK, "more than one CTR_DRBG request");
    cr_assert_eq(scepkit_rng_fill(rng, b, sizeof b), SCEPKIT_OK);
    cr_assert(memcmp(a, b, sizeof a) != 0);
    cr_assert(memcmp(a, zero, sizeof a) != 0);
    cr_assert(memcmp(a + 1024, zero, 976) != 0, "the second chunk is filled too");
    cr_assert_eq(scepkit_rng_fill(rng, a, 0), SCEPKIT_OK);
    cr_assert_eq(scepkit_drbg_backend_error(&d), 0);
    scepkit_drbg_free(&d);
    cr_assert_eq(scepkit_rng_fill(rng, a, 16), SCEPKIT_ERR_RNG, "a freed DRBG gives nothing");
    scepkit_drbg_free(&d);
}

Test(crypto_drbg, two_instances_differ_and_free_is_safe_on_zeroed_storage)
{
    scepkit_drbg d1, d2;
    uint8_t a[32], b[32];
    scepkit_bytes none = {NULL, 0};
    cr_assert_eq(scepkit_drbg_init(&d1, none), SCEPKIT_OK);
    cr_assert_eq(scepkit_drbg_init(&d2, none), SCEPKIT_OK);
    cr_assert_eq(scepkit_rng_fill(scepkit_drbg_rng(&d1), a, sizeof a), SCEPKIT_OK);
    cr_assert_eq(scepkit_rng_fill(scepkit_drbg_rng(&d2), b, sizeof b), SCEPKIT_OK);
    cr_assert(memcmp(a, b, sizeof a) != 0);
    scepkit_drbg_free(&d1);
    scepkit_drbg_free(&d2);
    scepkit_drbg z;
    memset(&z, 0, sizeof z);
    scepkit_drbg_free(&z);
    cr_assert_eq(scepkit_rng_fill(scepkit_drbg_rng(&z), a, 1), SCEPKIT_ERR_RNG);
}

Test(crypto_drbg, refuses_oversized_personalisation)
{
    static uint8_t pers[1000];
    scepkit_drbg d;
    scepkit_bytes p = {pers, sizeof pers};
    cr_assert_eq(scepkit_drbg_init(&d, p), SCEPKIT_ERR_ARG);
    cr_assert_neq(scepkit_drbg_backend_error(&d), 0);
    scepkit_drbg_free(&d);
    scepkit_bytes bad = {NULL, 4};
    cr_assert_eq(scepkit_drbg_init(&d, bad), SCEPKIT_ERR_ARG);
    scepkit_drbg_free(&d);
}

Test(crypto_rng, null_ops_are_refused)
{
    uint8_t b[4];
    scepkit_rng none = {NULL, NULL};
    cr_assert_eq(scepkit_rng_fill(none, b, sizeof b), SCEPKIT_ERR_ARG);
    ts_det_rng r;
    ts_det_rng_init(&r, 5);
    r.fail_after = 0;
    cr_assert_eq(scepkit_rng_fill(ts_det_rng_port(&r), b, sizeof b), SCEPKIT_ERR_RNG);
}
