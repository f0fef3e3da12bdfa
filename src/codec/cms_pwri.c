/*
 * PasswordRecipientInfo (RFC 3211, RFC 5652 §6.2.4): the KEK comes from PBKDF2 (RFC 8018 §5.2) over
 * the password, and wraps the CEK with id-alg-PWRI-KEK (RFC 3211 §2.3): two passes of CBC so that
 * every ciphertext bit depends on every plaintext bit.
 */
#include <string.h>

#include "codec/cms_algs.h"
#include "codec/cms_pwri.h"
#include "der/oid.h"
#include "port/crypto_port.h"

#define WRAP_MAX 64 /* 1 + 3 + 32-byte CEK, padded to blocks: at most 48; room to spare */
#define SALT_LEN 16

/* CBC without padding, encrypting: the padded one-shot encryption's output minus its final padding block. */
static scepkit_err raw_cbc_encrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                                   size_t len, uint8_t *out)
{
    uint8_t tmp[WRAP_MAX + 16];
    size_t n = 0;
    scepkit_err err = SCEPKIT_ERR_INTERNAL;
    if (len > WRAP_MAX) {
        return SCEPKIT_ERR_INTERNAL;
    }
    err = skit_cbc_encrypt(c, key, iv, in, len, tmp, sizeof tmp, &n);
    if (err == SCEPKIT_OK && n != len + scepkit_cipher_block_size(c)) {
        err = SCEPKIT_ERR_INTERNAL;
    }
    if (err == SCEPKIT_OK) {
        memcpy(out, tmp, len);
    }
    scepkit_wipe(tmp, sizeof tmp);
    return err;
}

/* CBC without padding, decrypting: the streaming decryption holds back the last block until more input comes,
 * so a dummy block after the data releases it; finish() (which would check padding) is never called. */
static scepkit_err raw_cbc_decrypt(scepkit_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                                   size_t len, uint8_t *out)
{
    static const uint8_t dummy[16] = {0};
    skit_cbc_ctx ctx;
    uint8_t tmp[WRAP_MAX + 48];
    size_t n1 = 0, n2 = 0;
    size_t bs = scepkit_cipher_block_size(c);
    scepkit_err err;
    memset(&ctx, 0, sizeof ctx);
    if (len > WRAP_MAX || bs == 0 || len % bs != 0) {
        return SCEPKIT_ERR_DECRYPT;
    }
    err = skit_cbc_decrypt_init(&ctx, c, 0, key, iv);
    if (err == SCEPKIT_OK) {
        err = skit_cbc_decrypt_update(&ctx, in, len, tmp, &n1);
    }
    if (err == SCEPKIT_OK && n1 <= len) {
        err = skit_cbc_decrypt_update(&ctx, dummy, bs, tmp + n1, &n2);
    }
    if (err == SCEPKIT_OK && n1 + n2 != len) {
        err = SCEPKIT_ERR_INTERNAL;
    }
    if (err == SCEPKIT_OK) {
        memcpy(out, tmp, len);
    }
    skit_cbc_free(&ctx);
    scepkit_wipe(tmp, sizeof tmp);
    return err;
}

static scepkit_md prf_md(skit_oid id)
{
    switch (id) {
    case SKIT_OID_HMAC_SHA1:
        return SCEPKIT_MD_SHA1;
    case SKIT_OID_HMAC_SHA256:
        return SCEPKIT_MD_SHA256;
    case SKIT_OID_HMAC_SHA384:
        return SCEPKIT_MD_SHA384;
    case SKIT_OID_HMAC_SHA512:
        return SCEPKIT_MD_SHA512;
    default:
        return SCEPKIT_MD_NONE;
    }
}

static skit_oid prf_oid(scepkit_md md)
{
    switch (md) {
    case SCEPKIT_MD_SHA1:
        return SKIT_OID_HMAC_SHA1;
    case SCEPKIT_MD_SHA256:
        return SKIT_OID_HMAC_SHA256;
    case SCEPKIT_MD_SHA384:
        return SKIT_OID_HMAC_SHA384;
    case SCEPKIT_MD_SHA512:
        return SKIT_OID_HMAC_SHA512;
    default:
        return SKIT_OID_UNKNOWN;
    }
}

/*
 * keyDerivationAlgorithm [0] IMPLICIT AlgorithmIdentifier { id-PBKDF2, PBKDF2-params }   (RFC 3211 §2.2)
 * PBKDF2-params ::= SEQUENCE {                                                            (RFC 8018 A.2)
 *     salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
 *     iterationCount INTEGER (1..MAX),
 *     keyLength INTEGER (1..MAX) OPTIONAL,
 *     prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }
 */
static scepkit_err read_pbkdf2(scepkit_bytes kdf, size_t kek_len, scepkit_bytes *salt, uint32_t *iter, scepkit_md *md)
{
    skit_der top, alg, prm;
    skit_tlv t, p;
    bool present, has_p;
    scepkit_bytes oid;
    int64_t v;
    scepkit_err err;
    skit_der_init(&top, kdf, 0);
    err = skit_der_enter(&top, SKIT_TAG_CTX_CONS(0), &alg);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&alg, SKIT_TAG_OID, &t);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (skit_oid_find(t.value) != SKIT_OID_PBKDF2) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    err = skit_der_enter(&alg, SKIT_TAG_SEQUENCE, &prm);
    if (err != SCEPKIT_OK) {
        return err;
    }
    err = skit_der_expect(&prm, SKIT_TAG_OCTET_STRING, &t);
    if (err == SCEPKIT_ERR_DER_TAG) {
        return SCEPKIT_ERR_UNSUPPORTED; /* otherSource salt */
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    *salt = t.value;
    err = skit_der_expect(&prm, SKIT_TAG_INTEGER, &t);
    if (err == SCEPKIT_OK) {
        err = skit_der_int64(&t, &v);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (v < 1) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    if (v > (int64_t)SKIT_PWRI_MAX_ITERATIONS) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    *iter = (uint32_t)v;
    err = skit_der_optional(&prm, SKIT_TAG_INTEGER, &t, &present);
    if (err == SCEPKIT_OK && present) {
        err = skit_der_int64(&t, &v);
        if (err == SCEPKIT_OK && v != (int64_t)kek_len) {
            err = SCEPKIT_ERR_UNSUPPORTED;
        }
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    *md = SCEPKIT_MD_SHA1;
    if (skit_der_more(&prm)) {
        err = skit_algid_read(&prm, &oid, &p, &has_p);
        if (err != SCEPKIT_OK) {
            return err;
        }
        *md = skit_params_empty(has_p, &p) ? prf_md(skit_oid_find(oid)) : SCEPKIT_MD_NONE;
        if (*md == SCEPKIT_MD_NONE) {
            return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
        }
    }
    err = skit_der_done(&prm);
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&alg);
    }
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&top);
    }
    return err;
}

/*
 * keyEncryptionAlgorithm ::= AlgorithmIdentifier { id-alg-PWRI-KEK,           (RFC 3211 §2.3)
 *     AlgorithmIdentifier { <block cipher in CBC mode>, IV } }
 */
static scepkit_err read_kek_alg(const scepkit_cms_recipient_info *ri, scepkit_cipher *c, scepkit_bytes *iv)
{
    skit_der top;
    skit_tlv p;
    bool has_p;
    scepkit_bytes oid;
    scepkit_err err;
    if (skit_oid_find(ri->key_enc_alg_oid) != SKIT_OID_PWRI_KEK || ri->key_enc_params.len == 0) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    skit_der_init(&top, ri->key_enc_params, 0);
    err = skit_algid_read(&top, &oid, &p, &has_p);
    if (err == SCEPKIT_OK) {
        err = skit_der_done(&top);
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    *c = skit_cipher_from_oid(skit_oid_find(oid));
    if (*c == SCEPKIT_CIPHER_NONE || *c == SCEPKIT_CIPHER_DES_CBC) {
        return SCEPKIT_ERR_UNKNOWN_ALGORITHM;
    }
    if (!has_p || p.tag != SKIT_TAG_OCTET_STRING || p.value.len != scepkit_cipher_block_size(*c)) {
        return SCEPKIT_ERR_DER_VALUE;
    }
    *iv = p.value;
    return SCEPKIT_OK;
}

scepkit_err skit_pwri_unwrap(const scepkit_cms_recipient_info *ri, scepkit_bytes password, uint8_t *cek, size_t cek_len)
{
    uint8_t kek[32], tmp[WRAP_MAX], plain[WRAP_MAX];
    scepkit_bytes salt, iv;
    scepkit_cipher c;
    scepkit_md md;
    uint32_t iter;
    size_t kek_len, bs, n;
    unsigned check;
    scepkit_err err;

    err = read_kek_alg(ri, &c, &iv);
    if (err != SCEPKIT_OK) {
        return err;
    }
    kek_len = scepkit_cipher_key_size(c);
    bs = scepkit_cipher_block_size(c);
    if (ri->key_deriv_alg.len == 0) {
        return SCEPKIT_ERR_UNSUPPORTED; /* KEK supplied out of band: not a password recipient we can use */
    }
    err = read_pbkdf2(ri->key_deriv_alg, kek_len, &salt, &iter, &md);
    if (err != SCEPKIT_OK) {
        return err;
    }
    n = ri->encrypted_key.len;
    /* RFC 3211 §2.3.2: at least two blocks, whole blocks. */
    if (n < 2 * bs || n % bs != 0 || n > WRAP_MAX || kek_len > sizeof kek) {
        return SCEPKIT_ERR_DECRYPT;
    }
    err = skit_pbkdf2(md, password.ptr, password.len, salt.ptr, salt.len, iter, kek, kek_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* 1. The last block, decrypted with the one before it as IV, gives the last block of the inner layer. */
    err = raw_cbc_decrypt(c, kek, ri->encrypted_key.ptr + n - 2 * bs, ri->encrypted_key.ptr + n - bs, bs, tmp + n - bs);
    /* 2. That block is the IV that decrypts the first n-1 blocks of the inner layer. */
    if (err == SCEPKIT_OK) {
        err = raw_cbc_decrypt(c, kek, tmp + n - bs, ri->encrypted_key.ptr, n - bs, tmp);
    }
    /* 3. The inner layer, decrypted with the IV from the parameters, is the formatted key. */
    if (err == SCEPKIT_OK) {
        err = raw_cbc_decrypt(c, kek, iv.ptr, tmp, n, plain);
    }
    if (err != SCEPKIT_OK) {
        goto out;
    }
    /* Format (§2.3.1): length byte, three check bytes (complement of the key's first three), key, padding. */
    check = (unsigned)((plain[1] ^ plain[4]) & (plain[2] ^ plain[5]) & (plain[3] ^ plain[6]));
    if (plain[0] != cek_len || 4 + cek_len > n || check != 0xffu) {
        err = SCEPKIT_ERR_DECRYPT;
        goto out;
    }
    memcpy(cek, plain + 4, cek_len);
    err = SCEPKIT_OK;
out:
    scepkit_wipe(kek, sizeof kek);
    scepkit_wipe(tmp, sizeof tmp);
    scepkit_wipe(plain, sizeof plain);
    if (err != SCEPKIT_OK) {
        scepkit_wipe(cek, cek_len);
    }
    return err;
}

scepkit_err skit_pwri_write(skit_derw *w, scepkit_bytes password, uint32_t iterations, scepkit_md prf,
                            scepkit_cipher kek_cipher, scepkit_rng rng, const uint8_t *cek, size_t cek_len)
{
    uint8_t kek[32], salt[SALT_LEN], iv[16], fmt[WRAP_MAX], pass1[WRAP_MAX], pass2[WRAP_MAX];
    size_t kek_len = scepkit_cipher_key_size(kek_cipher);
    size_t bs = scepkit_cipher_block_size(kek_cipher);
    size_t n;
    bool real = skit_derw_real(w);
    scepkit_err err = SCEPKIT_OK;

    memset(salt, 0, sizeof salt);
    memset(iv, 0, sizeof iv);
    memset(pass2, 0, sizeof pass2);
    if (kek_len == 0 || kek_len > sizeof kek || bs == 0 || kek_cipher == SCEPKIT_CIPHER_DES_CBC ||
        prf_oid(prf) == SKIT_OID_UNKNOWN || cek_len > 32 || iterations == 0) {
        return SCEPKIT_ERR_ARG;
    }
    n = 4 + cek_len;
    n = (n + bs - 1) / bs * bs;
    if (n < 2 * bs) {
        n = 2 * bs;
    }
    if (real) {
        err = skit_random(rng, salt, sizeof salt);
        if (err == SCEPKIT_OK) {
            err = skit_random(rng, iv, bs);
        }
        if (err == SCEPKIT_OK) {
            err = skit_random(rng, fmt, n); /* random padding; the head is overwritten below */
        }
        if (err == SCEPKIT_OK) {
            fmt[0] = (uint8_t)cek_len;
            fmt[1] = (uint8_t)~cek[0];
            fmt[2] = (uint8_t)~cek[1];
            fmt[3] = (uint8_t)~cek[2];
            memcpy(fmt + 4, cek, cek_len);
            err = skit_pbkdf2(prf, password.ptr, password.len, salt, sizeof salt, iterations, kek, kek_len);
        }
        /* Two passes of CBC; the second uses the last ciphertext block of the first as its IV (§2.3.1). */
        if (err == SCEPKIT_OK) {
            err = raw_cbc_encrypt(kek_cipher, kek, iv, fmt, n, pass1);
        }
        if (err == SCEPKIT_OK) {
            err = raw_cbc_encrypt(kek_cipher, kek, pass1 + n - bs, pass1, n, pass2);
        }
    }
    if (err == SCEPKIT_OK) {
        skit_derw_open(w, SKIT_TAG_CTX_CONS(3));
        skit_derw_int64(w, 0);
        skit_derw_open(w, SKIT_TAG_CTX_CONS(0));
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_PBKDF2));
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, salt, sizeof salt);
        skit_derw_int64(w, (int64_t)iterations);
        if (prf != SCEPKIT_MD_SHA1) {
            skit_algid_write(w, prf_oid(prf), true);
        }
        skit_derw_close(w);
        skit_derw_close(w);
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(SKIT_OID_PWRI_KEK));
        skit_derw_open(w, SKIT_TAG_SEQUENCE);
        skit_derw_oid(w, skit_oid_bytes(skit_cipher_oid(kek_cipher)));
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, iv, bs);
        skit_derw_close(w);
        skit_derw_close(w);
        skit_derw_tlv(w, SKIT_TAG_OCTET_STRING, pass2, n);
        skit_derw_close(w);
    }
    scepkit_wipe(kek, sizeof kek);
    scepkit_wipe(fmt, sizeof fmt);
    scepkit_wipe(pass1, sizeof pass1);
    scepkit_wipe(pass2, sizeof pass2);
    return err;
}
