/*
 * Small helpers of the server components: the locked key and RNG wrappers, key hashes, name and
 * subjectAltName comparisons.
 */
#include <string.h>

#include "der/der.h"
#include "port/crypto_port.h"
#include "scepkit/name.h"
#include "scepkit/server.h"
#include "server/server_internal.h"

/* ---------------------------------------------------------------------------------------------- */
/* Locked key: serialises calls into a key port that is not known to be thread-safe. */

static scepkit_err lk_public(void *self, uint8_t *out, size_t cap, size_t *len)
{
    skit_locked_key *lk = self;
    if (lk->mu != NULL && pthread_mutex_lock(lk->mu) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    scepkit_err err = scepkit_key_public(lk->inner, out, cap, len);
    if (lk->mu != NULL) {
        pthread_mutex_unlock(lk->mu);
    }
    return err;
}

static scepkit_err lk_sign(void *self, scepkit_md md, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                           size_t cap, size_t *sig_len)
{
    skit_locked_key *lk = self;
    if (lk->mu != NULL && pthread_mutex_lock(lk->mu) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    scepkit_err err = scepkit_key_sign_digest(lk->inner, md, digest, digest_len, sig, cap, sig_len);
    if (lk->mu != NULL) {
        pthread_mutex_unlock(lk->mu);
    }
    return err;
}

static scepkit_err lk_decrypt(void *self, scepkit_rsa_pad pad, scepkit_md oaep_md, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    skit_locked_key *lk = self;
    if (lk->mu != NULL && pthread_mutex_lock(lk->mu) != 0) {
        return SCEPKIT_ERR_INTERNAL;
    }
    scepkit_err err = scepkit_key_decrypt(lk->inner, pad, oaep_md, in, in_len, out, cap, out_len);
    if (lk->mu != NULL) {
        pthread_mutex_unlock(lk->mu);
    }
    return err;
}

static const scepkit_key_ops locked_key_ops = {lk_public, lk_sign, lk_decrypt};

scepkit_key skit_locked_key_port(skit_locked_key *lk, scepkit_key inner, pthread_mutex_t *mu)
{
    lk->inner = inner;
    lk->mu = mu;
    scepkit_key k = {&locked_key_ops, lk};
    return k;
}

/* ---------------------------------------------------------------------------------------------- */
/* Locked RNG */

static scepkit_err lr_fill(void *self, uint8_t *out, size_t len)
{
    scepkit_locked_rng *r = self;
    if (!r->initialised) {
        return SCEPKIT_ERR_RNG;
    }
    if (pthread_mutex_lock(&r->mu) != 0) {
        return SCEPKIT_ERR_RNG;
    }
    scepkit_err err = scepkit_rng_fill(scepkit_drbg_rng(&r->drbg), out, len);
    pthread_mutex_unlock(&r->mu);
    return err;
}

static const scepkit_rng_ops locked_rng_ops = {lr_fill};

scepkit_err scepkit_locked_rng_init(scepkit_locked_rng *r, scepkit_bytes pers)
{
    if (r == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(r, 0, sizeof *r);
    scepkit_err err = scepkit_drbg_init(&r->drbg, pers);
    if (err != SCEPKIT_OK) {
        scepkit_drbg_free(&r->drbg);
        return err;
    }
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        scepkit_drbg_free(&r->drbg);
        return SCEPKIT_ERR_RNG;
    }
    r->initialised = 1;
    return SCEPKIT_OK;
}

scepkit_rng scepkit_locked_rng_port(scepkit_locked_rng *r)
{
    scepkit_rng p = {&locked_rng_ops, r};
    return p;
}

void scepkit_locked_rng_free(scepkit_locked_rng *r)
{
    if (r == NULL || !r->initialised) {
        return;
    }
    scepkit_drbg_free(&r->drbg);
    pthread_mutex_destroy(&r->mu);
    r->initialised = 0;
}

/* ---------------------------------------------------------------------------------------------- */

scepkit_err skit_key_hash(scepkit_bytes spki, uint8_t out[SCEPKIT_KEY_HASH_LEN])
{
    if (spki.ptr == NULL || spki.len == 0) {
        return SCEPKIT_ERR_ARG;
    }
    return skit_md(SCEPKIT_MD_SHA256, spki.ptr, spki.len, out);
}

scepkit_bytes skit_serial_magnitude(scepkit_bytes serial)
{
    while (serial.len > 1 && serial.ptr[0] == 0) {
        serial.ptr++;
        serial.len--;
    }
    if (serial.len == 1 && serial.ptr[0] == 0) {
        serial.len = 0; /* zero is not a valid serial */
    }
    return serial;
}

void skit_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0) {
        return;
    }
    if (src == NULL) {
        len = 0;
    }
    if (len > cap - 1) {
        len = cap - 1;
    }
    if (len > 0) {
        memcpy(dst, src, len);
    }
    dst[len] = '\0';
}

int skit_name_equal_loose(scepkit_bytes a, scepkit_bytes b)
{
    scepkit_name_iter ia = {0}, ib = {0};
    for (;;) {
        scepkit_name_attr x, y;
        scepkit_err ea = scepkit_name_next(a, &ia, &x);
        scepkit_err eb = scepkit_name_next(b, &ib, &y);
        if (ea == SCEPKIT_ERR_NOT_FOUND && eb == SCEPKIT_ERR_NOT_FOUND) {
            return 1;
        }
        if (ea != SCEPKIT_OK || eb != SCEPKIT_OK) {
            return 0;
        }
        if (x.oid.len != y.oid.len || memcmp(x.oid.ptr, y.oid.ptr, x.oid.len) != 0 || x.value.len != y.value.len ||
            (x.value.len > 0 && memcmp(x.value.ptr, y.value.ptr, x.value.len) != 0) ||
            x.multi_valued != y.multi_valued) {
            return 0;
        }
    }
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName  (RFC 5280 §4.2.1.6) */
static int general_name_in(scepkit_bytes elem, scepkit_bytes names)
{
    skit_der seq, d;
    if (names.len == 0) {
        return 0;
    }
    skit_der_init(&d, names, 0);
    if (skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK) {
        return 0;
    }
    while (skit_der_more(&seq)) {
        skit_tlv t;
        if (skit_der_read(&seq, &t) != SCEPKIT_OK) {
            return 0;
        }
        if (t.raw.len == elem.len && memcmp(t.raw.ptr, elem.ptr, elem.len) == 0) {
            return 1;
        }
    }
    return 0;
}

int skit_general_names_subset(scepkit_bytes sub, scepkit_bytes super)
{
    skit_der seq, d;
    if (sub.len == 0) {
        return 1;
    }
    skit_der_init(&d, sub, 0);
    if (skit_der_enter(&d, SKIT_TAG_SEQUENCE, &seq) != SCEPKIT_OK || skit_der_done(&d) != SCEPKIT_OK) {
        return 0;
    }
    while (skit_der_more(&seq)) {
        skit_tlv t;
        if (skit_der_read(&seq, &t) != SCEPKIT_OK || !general_name_in(t.raw, super)) {
            return 0;
        }
    }
    return 1;
}
