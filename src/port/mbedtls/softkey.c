/*
 * The software key: an mbedtls_pk_context kept in the caller's scepkit_softkey, exposed through
 * the key port (public_key, sign_digest, decrypt).
 *
 * mbedTLS keeps the key material on its heap; mbedtls_pk_free() zeroizes it. Temporary buffers
 * holding private key encodings are wiped before they are released.
 */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform.h>

#include "port/mbedtls/mbed_port.h"

#define SOFTKEY_MAGIC 0x534b4559 /* "SKEY" in scepkit_softkey.initialised */

#if SCEPKIT_WITH_SOFTKEY

_Static_assert(sizeof(mbedtls_pk_context) <= sizeof(((scepkit_softkey *)0)->opaque),
               "scepkit_softkey.opaque too small for mbedtls_pk_context");
_Static_assert(_Alignof(mbedtls_pk_context) <= _Alignof(scepkit_softkey),
               "scepkit_softkey.opaque under-aligned for mbedtls_pk_context");

/* Largest PEM input accepted; PEM without a counted NUL is copied once to add one. */
#define SOFTKEY_PEM_MAX (64u * 1024u)
/* Room for mbedtls_pk_write_pubkey_der(): RSA modulus plus headers. */
#define SOFTKEY_SPKI_MAX (SCEPKIT_MAX_RSA_BITS / 8 + 128)

static mbedtls_pk_context *pk_of(scepkit_softkey *sk)
{
    return (mbedtls_pk_context *)(void *)&sk->opaque;
}

static const mbedtls_pk_context *pk_of_const(const scepkit_softkey *sk)
{
    return (const mbedtls_pk_context *)(const void *)&sk->opaque;
}

static int is_ready(const scepkit_softkey *sk)
{
    return sk != NULL && sk->initialised == SOFTKEY_MAGIC;
}

static int has_key(const scepkit_softkey *sk)
{
    return is_ready(sk) && mbedtls_pk_get_type(pk_of_const(sk)) != MBEDTLS_PK_NONE;
}

static void drop_key(scepkit_softkey *sk)
{
    mbedtls_pk_free(pk_of(sk));
    mbedtls_pk_init(pk_of(sk));
}

/* Our own keys: RSA 2048..max, P-256/P-384 (and only when ECDSA is compiled in). */
static scepkit_err check_own_key(const mbedtls_pk_context *pk)
{
    scepkit_key_type type;
    size_t bits;
    scepkit_err err = skit_mbed_pk_classify(pk, &type, &bits);
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (type == SCEPKIT_KEY_RSA) {
        return (bits >= SKIT_RSA_PRIVATE_MIN_BITS && bits <= SCEPKIT_MAX_RSA_BITS) ? SCEPKIT_OK : SCEPKIT_ERR_KEY_TYPE;
    }
#if SCEPKIT_WITH_ECDSA
    return SCEPKIT_OK;
#else
    return SCEPKIT_ERR_DISABLED;
#endif
}

void scepkit_softkey_init(scepkit_softkey *sk, scepkit_rng rng)
{
    if (sk == NULL) {
        return;
    }
    memset(sk, 0, sizeof *sk);
    mbedtls_pk_init(pk_of(sk));
    sk->rng = rng;
    sk->initialised = SOFTKEY_MAGIC;
}

/*
 * The fallback for PBES2 with AES (see pkcs8.c). `in` is DER, or PEM with its NUL counted.
 * Returns 0 when the key was loaded into `pk`, non-zero otherwise.
 */
static int parse_pbes2_aes(mbedtls_pk_context *pk, const unsigned char *in, size_t in_len, scepkit_bytes password,
                           skit_rng_bridge *bridge)
{
    mbedtls_pem_context pem;
    const unsigned char *der = in;
    size_t der_len = in_len;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int ret = -1;

    mbedtls_pem_init(&pem);
    if (in[0] != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) {
        size_t used = 0;
        if (mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----",
                                    "-----END ENCRYPTED PRIVATE KEY-----", in, NULL, 0, &used) != 0) {
            goto out;
        }
        der = skit_c_pem_buf(&pem, &der_len);
    }
    if (skit_mbed_pkcs8_pbes2_decrypt(der, der_len, password, &plain, &plain_len) != SCEPKIT_OK) {
        goto out;
    }
    ret = skit_c_pk_parse_key(pk, plain, plain_len, NULL, 0, skit_rng_bridge_f, bridge);
out:
    if (plain != NULL) {
        scepkit_wipe(plain, plain_len);
        mbedtls_free(plain);
    }
    mbedtls_pem_free(&pem); /* zeroizes the decoded DER */
    return ret;
}

/*
 * Accepted encodings (mbedtls_pk_parse_key, plus parse_pbes2_aes()):
 *   RFC 5208 / RFC 5958  PrivateKeyInfo, EncryptedPrivateKeyInfo (PBES2 with AES or 3DES, PKCS#12 PBE)
 *   RFC 8017 A.1.2       RSAPrivateKey
 *   RFC 5915 §3          ECPrivateKey
 * as DER or PEM. mbedTLS recognises PEM only when the NUL terminator is counted in the length.
 */
scepkit_err scepkit_softkey_parse(scepkit_softkey *sk, scepkit_bytes key, scepkit_bytes password)
{
    unsigned char *copy = NULL;
    size_t copy_len = 0;
    const unsigned char *in;
    size_t in_len;
    skit_rng_bridge bridge;
    scepkit_err err = SCEPKIT_ERR_KEY_PARSE;
    int ret;

    if (!is_ready(sk) || key.ptr == NULL || key.len == 0 || (password.ptr == NULL && password.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    drop_key(sk);
    in = key.ptr;
    in_len = key.len;
    /* DER starts with a SEQUENCE tag; anything else with no NUL at the end is given one. */
    if (key.ptr[0] != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) && key.ptr[key.len - 1] != '\0') {
        if (key.len >= SOFTKEY_PEM_MAX) {
            return SCEPKIT_ERR_KEY_PARSE;
        }
        copy_len = key.len + 1;
        copy = mbedtls_calloc(1, copy_len);
        if (copy == NULL) {
            return SCEPKIT_ERR_BACKEND;
        }
        memcpy(copy, key.ptr, key.len);
        in = copy;
        in_len = copy_len;
    }
    skit_rng_bridge_init(&bridge, sk->rng);
    ret = skit_c_pk_parse_key(pk_of(sk), in, in_len, password.len != 0 ? password.ptr : NULL, password.len,
                              skit_rng_bridge_f, &bridge);
    if (ret != 0 && password.len != 0) {
        int ret2 = parse_pbes2_aes(pk_of(sk), in, in_len, password, &bridge);
        if (ret2 == 0) {
            ret = 0;
        } else {
            drop_key(sk);
        }
    }
    if (ret != 0) {
        /* wrong password, unknown format, truncated: all one answer */
        sk->backend_err = ret;
        err = SCEPKIT_ERR_KEY_PARSE;
        goto out;
    }
    err = check_own_key(pk_of(sk));
    if (err != SCEPKIT_OK) {
        goto out;
    }
    if (mbedtls_pk_get_type(pk_of(sk)) == MBEDTLS_PK_RSA) {
        /* CRT parameters must match the key, or a faulty signature could leak the factors. */
        ret = mbedtls_rsa_check_privkey(mbedtls_pk_rsa(*pk_of(sk)));
        if (ret != 0) {
            sk->backend_err = ret;
            err = SCEPKIT_ERR_KEY_PARSE;
            goto out;
        }
    } else if (mbedtls_pk_can_do(pk_of(sk), MBEDTLS_PK_ECKEY)) {
        /* The stored public point must be d*G: mbedTLS keeps a SEC1/PKCS#8 publicKey as given, and a key whose
         * public half does not match would publish a key its signatures do not verify under. */
        ret = skit_c_ecp_check_pub_priv(mbedtls_pk_ec(*pk_of(sk)), skit_rng_bridge_f, &bridge);
        if (ret != 0) {
            sk->backend_err = bridge.err != SCEPKIT_OK ? 0 : ret;
            err = bridge.err != SCEPKIT_OK ? bridge.err : SCEPKIT_ERR_KEY_PARSE;
            goto out;
        }
    }
    err = SCEPKIT_OK;
out:
    if (copy != NULL) {
        scepkit_wipe(copy, copy_len);
        mbedtls_free(copy);
    }
    if (err != SCEPKIT_OK) {
        drop_key(sk);
    }
    return err;
}

scepkit_err scepkit_softkey_generate(scepkit_softkey *sk, scepkit_key_type type, size_t bits)
{
    skit_rng_bridge bridge;
    scepkit_err err = SCEPKIT_ERR_BACKEND;
    int ret = 0;

    if (!is_ready(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    drop_key(sk);
    skit_rng_bridge_init(&bridge, sk->rng);
    mbedtls_pk_context *pk = pk_of(sk);
    switch (type) {
    case SCEPKIT_KEY_RSA:
        if (bits < SKIT_RSA_PRIVATE_MIN_BITS || bits > SCEPKIT_MAX_RSA_BITS || bits % 8 != 0) {
            return SCEPKIT_ERR_KEY_TYPE;
        }
        ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (ret == 0) {
            ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), skit_rng_bridge_f, &bridge, (unsigned int)bits, 65537);
        }
        break;
    case SCEPKIT_KEY_EC_P256:
    case SCEPKIT_KEY_EC_P384:
#if SCEPKIT_WITH_ECDSA
        ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (ret == 0) {
            mbedtls_ecp_group_id gid =
                type == SCEPKIT_KEY_EC_P256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1;
            ret = mbedtls_ecp_gen_key(gid, mbedtls_pk_ec(*pk), skit_rng_bridge_f, &bridge);
        }
        break;
#else
        return SCEPKIT_ERR_DISABLED;
#endif
    case SCEPKIT_KEY_NONE:
    default:
        return SCEPKIT_ERR_KEY_TYPE;
    }
    if (ret != 0) {
        sk->backend_err = ret;
        err = bridge.err != SCEPKIT_OK ? SCEPKIT_ERR_RNG : SCEPKIT_ERR_BACKEND;
        drop_key(sk);
        return err;
    }
    return SCEPKIT_OK;
}

/* Writes the private key DER into a fresh heap buffer (mbedTLS writes backwards from the end). */
static scepkit_err write_der_tmp(scepkit_softkey *sk, unsigned char **buf, size_t *buf_len, const unsigned char **der,
                                 size_t *der_len)
{
    mbedtls_pk_context *pk = pk_of(sk);
    size_t cap;

    /* RSAPrivateKey: n, e, d of k bytes, five CRT values of k/2, headers: under 6k + 128. */
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA) {
        cap = 6u * mbedtls_pk_get_len(pk) + 128u;
    } else {
        cap = 512u;
    }
    *buf = mbedtls_calloc(1, cap);
    if (*buf == NULL) {
        return SCEPKIT_ERR_BACKEND;
    }
    *buf_len = cap;
    int ret = mbedtls_pk_write_key_der(pk, *buf, cap);
    if (ret <= 0) {
        sk->backend_err = ret;
        return SCEPKIT_ERR_BACKEND;
    }
    *der_len = (size_t)ret;
    *der = *buf + cap - *der_len;
    return SCEPKIT_OK;
}

static void free_tmp(unsigned char *buf, size_t len)
{
    if (buf != NULL) {
        scepkit_wipe(buf, len);
        mbedtls_free(buf);
    }
}

scepkit_err scepkit_softkey_write_der(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    scepkit_err err;

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = write_der_tmp(sk, &buf, &buf_len, &der, &der_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    *len = der_len;
    if (out == NULL || cap < der_len) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    memcpy(out, der, der_len);
    err = SCEPKIT_OK;
out:
    free_tmp(buf, buf_len);
    return err;
}

scepkit_err scepkit_softkey_write_pem(scepkit_softkey *sk, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    size_t olen = 0;
    scepkit_err err;

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = write_der_tmp(sk, &buf, &buf_len, &der, &der_len);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    int rsa = mbedtls_pk_get_type(pk_of(sk)) == MBEDTLS_PK_RSA;
    const char *hdr = rsa ? "-----BEGIN RSA PRIVATE KEY-----\n" : "-----BEGIN EC PRIVATE KEY-----\n";
    const char *ftr = rsa ? "-----END RSA PRIVATE KEY-----\n" : "-----END EC PRIVATE KEY-----\n";
    /* On a short buffer mbedTLS reports the size needed (NUL included) without writing. */
    int ret = mbedtls_pem_write_buffer(hdr, ftr, der, der_len, out, out != NULL ? cap : 0, &olen);
    if (ret == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
        *len = olen;
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    if (ret != 0 || olen == 0) {
        sk->backend_err = ret;
        if (out != NULL) {
            scepkit_wipe(out, cap);
        }
        err = SCEPKIT_ERR_BACKEND;
        goto out;
    }
    *len = olen - 1; /* olen counts the NUL */
    err = SCEPKIT_OK;
out:
    free_tmp(buf, buf_len);
    return err;
}

scepkit_err scepkit_softkey_info(const scepkit_softkey *sk, scepkit_key_type *type, size_t *bits)
{
    if (type == NULL || bits == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_mbed_pk_classify(pk_of_const(sk), type, bits);
}

int scepkit_softkey_backend_error(const scepkit_softkey *sk)
{
    return sk != NULL ? sk->backend_err : 0;
}

void scepkit_softkey_free(scepkit_softkey *sk)
{
    if (sk == NULL) {
        return;
    }
    if (sk->initialised == SOFTKEY_MAGIC) {
        mbedtls_pk_free(pk_of(sk)); /* zeroizes and frees the key on mbedTLS's heap */
    }
    scepkit_wipe(sk, sizeof *sk);
}

/* ---------------------------------------------------------------------------------------------- */
/* Key port. */

static scepkit_err op_public_key(void *self, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_softkey *sk = self;
    unsigned char buf[SOFTKEY_SPKI_MAX];

    if (len == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    int ret = mbedtls_pk_write_pubkey_der(pk_of(sk), buf, sizeof buf);
    if (ret <= 0) {
        sk->backend_err = ret;
        return SCEPKIT_ERR_BACKEND;
    }
    size_t n = (size_t)ret;
    *len = n;
    if (out == NULL || cap < n) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    /* mbedTLS writes at the end of its buffer */
    memcpy(out, buf + sizeof buf - n, n);
    return SCEPKIT_OK;
}

/*
 * RSA: RFC 8017 §8.2.1 RSASSA-PKCS1-v1_5 over
 *   DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
 * EC: Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }   (RFC 3279 §2.2.3), deterministic
 *   k (RFC 6979) with blinding from the rng port.
 */
static scepkit_err op_sign_digest(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                                  size_t cap, size_t *sig_len)
{
    scepkit_softkey *sk = self;
    mbedtls_md_type_t t;
    skit_rng_bridge bridge;
    scepkit_err err;
    int ret;

    if (sig_len == NULL || digest == NULL || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *sig_len = 0;
    err = skit_mbed_md_strong(md, &t);
    if (err == SCEPKIT_ERR_UNSUPPORTED) {
        return SCEPKIT_ERR_ARG;
    }
    if (err != SCEPKIT_OK) {
        return err;
    }
    if (digest_len != scepkit_md_size(md)) {
        return SCEPKIT_ERR_ARG;
    }
    sk->backend_err = 0;
    skit_rng_bridge_init(&bridge, sk->rng);
    mbedtls_pk_context *pk = pk_of(sk);
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA) {
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
        size_t k = mbedtls_rsa_get_len(rsa);
        if (sig == NULL || cap < k) {
            *sig_len = k;
            return SCEPKIT_ERR_BUFFER_TOO_SMALL;
        }
        ret = skit_c_rsa_v15_sign(rsa, skit_rng_bridge_f, &bridge, t, (unsigned int)digest_len, digest, sig);
        if (ret != 0) {
            sk->backend_err = ret;
            scepkit_wipe(sig, k);
            return bridge.err != SCEPKIT_OK ? SCEPKIT_ERR_RNG : SCEPKIT_ERR_BACKEND;
        }
        *sig_len = k;
        return SCEPKIT_OK;
    }
#if SCEPKIT_WITH_ECDSA
    unsigned char buf[MBEDTLS_ECDSA_MAX_LEN];
    size_t n = 0;
    ret = skit_c_ecdsa_sign(mbedtls_pk_ec(*pk), t, digest, digest_len, buf, sizeof buf, &n, skit_rng_bridge_f, &bridge);
    if (ret != 0) {
        sk->backend_err = ret;
        return bridge.err != SCEPKIT_OK ? SCEPKIT_ERR_RNG : SCEPKIT_ERR_BACKEND;
    }
    *sig_len = n;
    if (sig == NULL || cap < n) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(sig, buf, n);
    return SCEPKIT_OK;
#else
    return SCEPKIT_ERR_DISABLED;
#endif
}

/*
 * RFC 8017 §7.2.2 (RSAES-PKCS1-v1_5) / §7.1.2 (RSAES-OAEP, empty label, MGF1 with `oaep_md`).
 * mbedTLS checks the padding in constant time; every failure that depends on the ciphertext
 * becomes SCEPKIT_ERR_DECRYPT (the raw code goes to backend_err, never to the peer).
 */
static scepkit_err op_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    scepkit_softkey *sk = self;
    mbedtls_md_type_t t = MBEDTLS_MD_NONE;
    skit_rng_bridge bridge;
    int padding;
    size_t olen = 0;
    scepkit_err err;

    if (out_len == NULL || (in == NULL && in_len != 0) || (out == NULL && cap != 0) || !has_key(sk)) {
        return SCEPKIT_ERR_ARG;
    }
    *out_len = 0;
    if (pad == SCEPKIT_RSA_PKCS1_V15) {
        padding = MBEDTLS_RSA_PKCS_V15;
    } else if (pad == SCEPKIT_RSA_OAEP) {
#if SCEPKIT_WITH_RSA_OAEP
        padding = MBEDTLS_RSA_PKCS_V21;
        err = skit_mbed_md_strong(oaep_md, &t);
        if (err != SCEPKIT_OK) {
            return err == SCEPKIT_ERR_LEGACY_DISABLED ? SCEPKIT_ERR_UNSUPPORTED : err;
        }
#else
        (void)oaep_md;
        return SCEPKIT_ERR_DISABLED;
#endif
    } else {
        return SCEPKIT_ERR_ARG;
    }
    mbedtls_pk_context *pk = pk_of(sk);
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA) {
        return SCEPKIT_ERR_KEY_TYPE;
    }
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
    sk->backend_err = 0;
    if (in_len != mbedtls_rsa_get_len(rsa)) {
        return SCEPKIT_ERR_DECRYPT;
    }
    if (skit_c_rsa_set_padding(rsa, padding, t) != 0) {
        return SCEPKIT_ERR_BACKEND;
    }
    skit_rng_bridge_init(&bridge, sk->rng);
    int ret = skit_c_rsa_decrypt(rsa, skit_rng_bridge_f, &bridge, &olen, in, out, cap);
    /* Back to the default so that nothing else inherits OAEP. */
    (void)skit_c_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    err = SCEPKIT_ERR_DECRYPT;
    if (ret == 0) {
        *out_len = olen;
        err = SCEPKIT_OK;
    } else {
        sk->backend_err = ret;
        if (bridge.err != SCEPKIT_OK) {
            err = SCEPKIT_ERR_RNG; /* blinding failed: does not depend on the ciphertext */
        }
        if (out != NULL) {
            scepkit_wipe(out, cap);
        }
    }
    return err;
}

static const scepkit_key_ops softkey_ops = {op_public_key, op_sign_digest, op_decrypt};

scepkit_key scepkit_softkey_key(scepkit_softkey *sk)
{
    scepkit_key k = {&softkey_ops, sk};
    return k;
}

#endif /* SCEPKIT_WITH_SOFTKEY; when off, src/port/softkey_off.c provides the API */
