/*
 * Every difference between mbedTLS 2.28 and 3.x that the port meets, behind one tiny wrapper each.
 * The rest of src/port/mbedtls/ calls only these names, so moving to 3.6 means editing this file.
 *
 * 2.28 is built and tested (Debian 12). The 3.x branches follow the 3.6 API documentation and
 * are NOT compiled by CI yet: treat them as the map of what changes, not as tested code.
 *
 * Differences covered:
 * - the *_ret digest functions of 2.x lost their suffix in 3.0;
 * - the `mode` argument (MBEDTLS_RSA_PUBLIC/PRIVATE) of the RSA functions is gone in 3.0;
 * - mbedtls_rsa_set_padding() returns int in 3.0 (void in 2.x);
 * - mbedtls_pk_parse_key() takes f_rng/p_rng in 3.0 (used for the key consistency check);
 * - mbedtls_ecdsa_write_signature() takes the output size in 3.0;
 * - struct fields are private in 3.0 (the EC group id of a pk context);
 * - PBKDF2 takes an md type in 3.3+ (mbedtls_pkcs5_pbkdf2_hmac_ext);
 * - entropy_poll.h (mbedtls_platform_entropy_poll) is no longer public in 3.0;
 * - the decoded bytes of a mbedtls_pem_context are private in 3.0 (mbedtls_pem_get_buffer()).
 *
 * Not a difference of API but of features: 2.28 cannot decrypt PBES2 with AES (OpenSSL 3's default
 * for encrypted PKCS#8); pkcs8.c does that itself. 3.x can, and the fallback is then never reached.
 */
#ifndef SCEPKIT_PORT_MBEDTLS_COMPAT_H
#define SCEPKIT_PORT_MBEDTLS_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <mbedtls/build_info.h>
#else
#if !defined(MBEDTLS_CONFIG_FILE)
#include <mbedtls/config.h>
#else
#include MBEDTLS_CONFIG_FILE
#endif
#endif

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/md5.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#if MBEDTLS_VERSION_NUMBER < 0x02100000
#error "scepkit: mbedTLS 2.16 or later is required (2.28 LTS is the tested version)"
#endif

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SKIT_MBEDTLS_3 1
#else
#define SKIT_MBEDTLS_3 0
#endif

#if SKIT_MBEDTLS_3
#include <sys/random.h>
#else
#include <mbedtls/entropy_poll.h>
#endif

typedef int (*skit_f_rng)(void *, unsigned char *, size_t);

/* --- digests: 2.x *_ret names ---------------------------------------------------------------- */
#if SKIT_MBEDTLS_3
#define skit_c_md5_starts mbedtls_md5_starts
#define skit_c_md5_update mbedtls_md5_update
#define skit_c_md5_finish mbedtls_md5_finish
#define skit_c_sha1_starts mbedtls_sha1_starts
#define skit_c_sha1_update mbedtls_sha1_update
#define skit_c_sha1_finish mbedtls_sha1_finish
#define skit_c_sha256_starts mbedtls_sha256_starts
#define skit_c_sha256_update mbedtls_sha256_update
#define skit_c_sha256_finish mbedtls_sha256_finish
#define skit_c_sha512_starts mbedtls_sha512_starts
#define skit_c_sha512_update mbedtls_sha512_update
#define skit_c_sha512_finish mbedtls_sha512_finish
#else
#define skit_c_md5_starts mbedtls_md5_starts_ret
#define skit_c_md5_update mbedtls_md5_update_ret
#define skit_c_md5_finish mbedtls_md5_finish_ret
#define skit_c_sha1_starts mbedtls_sha1_starts_ret
#define skit_c_sha1_update mbedtls_sha1_update_ret
#define skit_c_sha1_finish mbedtls_sha1_finish_ret
#define skit_c_sha256_starts mbedtls_sha256_starts_ret
#define skit_c_sha256_update mbedtls_sha256_update_ret
#define skit_c_sha256_finish mbedtls_sha256_finish_ret
#define skit_c_sha512_starts mbedtls_sha512_starts_ret
#define skit_c_sha512_update mbedtls_sha512_update_ret
#define skit_c_sha512_finish mbedtls_sha512_finish_ret
#endif

/* --- RSA ------------------------------------------------------------------------------------- */
static inline int skit_c_rsa_set_padding(mbedtls_rsa_context *rsa, int padding, mbedtls_md_type_t md)
{
#if SKIT_MBEDTLS_3
    return mbedtls_rsa_set_padding(rsa, padding, md);
#else
    mbedtls_rsa_set_padding(rsa, padding, (int)md);
    return 0;
#endif
}

static inline int skit_c_rsa_encrypt(mbedtls_rsa_context *rsa, skit_f_rng f_rng, void *p_rng, size_t ilen,
                                     const unsigned char *in, unsigned char *out)
{
#if SKIT_MBEDTLS_3
    return mbedtls_rsa_pkcs1_encrypt(rsa, f_rng, p_rng, ilen, in, out);
#else
    return mbedtls_rsa_pkcs1_encrypt(rsa, f_rng, p_rng, MBEDTLS_RSA_PUBLIC, ilen, in, out);
#endif
}

static inline int skit_c_rsa_decrypt(mbedtls_rsa_context *rsa, skit_f_rng f_rng, void *p_rng, size_t *olen,
                                     const unsigned char *in, unsigned char *out, size_t out_max)
{
#if SKIT_MBEDTLS_3
    return mbedtls_rsa_pkcs1_decrypt(rsa, f_rng, p_rng, olen, in, out, out_max);
#else
    return mbedtls_rsa_pkcs1_decrypt(rsa, f_rng, p_rng, MBEDTLS_RSA_PRIVATE, olen, in, out, out_max);
#endif
}

static inline int skit_c_rsa_v15_sign(mbedtls_rsa_context *rsa, skit_f_rng f_rng, void *p_rng, mbedtls_md_type_t md,
                                      unsigned int hlen, const unsigned char *hash, unsigned char *sig)
{
#if SKIT_MBEDTLS_3
    return mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, f_rng, p_rng, md, hlen, hash, sig);
#else
    return mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, f_rng, p_rng, MBEDTLS_RSA_PRIVATE, md, hlen, hash, sig);
#endif
}

static inline int skit_c_rsa_v15_verify(mbedtls_rsa_context *rsa, mbedtls_md_type_t md, unsigned int hlen,
                                        const unsigned char *hash, const unsigned char *sig)
{
#if SKIT_MBEDTLS_3
    return mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, md, hlen, hash, sig);
#else
    return mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md, hlen, hash, sig);
#endif
}

/* --- ECDSA / EC ------------------------------------------------------------------------------ */
static inline int skit_c_ecdsa_sign(mbedtls_ecdsa_context *ec, mbedtls_md_type_t md, const unsigned char *hash,
                                    size_t hlen, unsigned char *sig, size_t sig_size, size_t *slen, skit_f_rng f_rng,
                                    void *p_rng)
{
#if SKIT_MBEDTLS_3
    return mbedtls_ecdsa_write_signature(ec, md, hash, hlen, sig, sig_size, slen, f_rng, p_rng);
#else
    /* 2.x cannot be told the size: the caller passes a buffer of MBEDTLS_ECDSA_MAX_LEN. */
    if (sig_size < MBEDTLS_ECDSA_MAX_LEN) {
        return MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL;
    }
    return mbedtls_ecdsa_write_signature(ec, md, hash, hlen, sig, slen, f_rng, p_rng);
#endif
}

static inline mbedtls_ecp_group_id skit_c_pk_ec_group(const mbedtls_pk_context *pk)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03050000
    /* mbedtls_pk_get_ec_group_id() is internal (pk_internal.h) in 3.6: the keypair accessor is public. */
    return mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk));
#elif SKIT_MBEDTLS_3
    return mbedtls_pk_ec(*pk)->MBEDTLS_PRIVATE(grp).id;
#else
    return mbedtls_pk_ec(*pk)->grp.id;
#endif
}

/* The public point of an EC key pair is its private scalar times G (checked against itself). */
static inline int skit_c_ecp_check_pub_priv(const mbedtls_ecp_keypair *kp, skit_f_rng f_rng, void *p_rng)
{
#if SKIT_MBEDTLS_3
    return mbedtls_ecp_check_pub_priv(kp, kp, f_rng, p_rng);
#else
    (void)f_rng;
    (void)p_rng;
    return mbedtls_ecp_check_pub_priv(kp, kp);
#endif
}

/* --- PK parse ---------------------------------------------------------------------------------- */
static inline int skit_c_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len,
                                      const unsigned char *pw, size_t pw_len, skit_f_rng f_rng, void *p_rng)
{
#if SKIT_MBEDTLS_3
    return mbedtls_pk_parse_key(pk, key, len, pw, pw_len, f_rng, p_rng);
#else
    (void)f_rng;
    (void)p_rng;
    return mbedtls_pk_parse_key(pk, key, len, pw, pw_len);
#endif
}

/* --- PEM ------------------------------------------------------------------------------------ */
static inline const unsigned char *skit_c_pem_buf(const mbedtls_pem_context *pem, size_t *len)
{
#if SKIT_MBEDTLS_3
    return mbedtls_pem_get_buffer((mbedtls_pem_context *)(uintptr_t)pem, len);
#else
    *len = pem->buflen;
    return pem->buf;
#endif
}

/* --- PBKDF2 ---------------------------------------------------------------------------------- */
static inline int skit_c_pbkdf2(mbedtls_md_type_t md, const unsigned char *pw, size_t pw_len, const unsigned char *salt,
                                size_t salt_len, unsigned int iterations, uint32_t out_len, unsigned char *out)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
    return mbedtls_pkcs5_pbkdf2_hmac_ext(md, pw, pw_len, salt, salt_len, iterations, out_len, out);
#else
    mbedtls_md_context_t ctx;
    int ret;
    mbedtls_md_init(&ctx);
    ret = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(md), 1);
    if (ret == 0) {
        ret = mbedtls_pkcs5_pbkdf2_hmac(&ctx, pw, pw_len, salt, salt_len, iterations, out_len, out);
    }
    mbedtls_md_free(&ctx); /* zeroizes the HMAC pads */
    return ret;
#endif
}

/* --- OS entropy for the CTR_DRBG ------------------------------------------------------------- */
/*
 * Fills `out` completely from the operating system, or returns non-zero. Used instead of
 * mbedtls_entropy_context because Debian's 2.28 enables MBEDTLS_HAVEGE_C, which makes that
 * context 38 KB: too big for caller-owned storage.
 */
static inline int skit_c_os_entropy(unsigned char *out, size_t len)
{
    while (len > 0) {
#if SKIT_MBEDTLS_3
        ssize_t got = getrandom(out, len, 0);
        if (got <= 0) {
            return -1;
        }
        size_t olen = (size_t)got;
#else
        size_t olen = 0;
        if (mbedtls_platform_entropy_poll(NULL, out, len, &olen) != 0 || olen == 0 || olen > len) {
            return -1;
        }
#endif
        out += olen;
        len -= olen;
    }
    return 0;
}

#endif
