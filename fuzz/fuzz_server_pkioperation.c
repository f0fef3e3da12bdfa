/*
 * Fuzz target for the SCEP server handler's PKIOperation path (src/server/handler.c): the whole request
 * pipeline (query decoding, pkiMessage open, signingTime, CSR check, replay lookup, policy, software CA,
 * CertRep) with a fixed CA and an in-memory store.
 *
 * The CA is the throw-away CA of tests/vectors/keys (public on purpose), so the seeds (the real requests of
 * micromdm scepclient, strongSwan pki and certmonger, challenge "secret") verify, decrypt and get issued.
 * An input starting with 'Q' is given as a GET `message` query value (the rest of the input); anything else as
 * a POST body. Each input starts from an empty store.
 * Invariants: the call succeeds or reports a caller-side size problem; the HTTP status is one of 200, 400, 413,
 * 500; every 200 is a CertRep with a status; the body fits the buffer; the scratch arena is handed back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/ca.h"
#include "scepkit/pem.h"
#include "scepkit/policy.h"
#include "scepkit/server.h"
#include "scepkit/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static scepkit_err fixed_now(void *self, int64_t *out)
{
    (void)self;
    *out = 1795302230; /* just after the seeds were captured */
    return SCEPKIT_OK;
}
static const scepkit_clock_ops clock_ops = {fixed_now};

/* ---------------------------------------------------------------------------------------------- */
/* An in-memory store: a few slots, reset for every input. */

#define SLOTS 8

typedef struct mem_store {
    uint8_t serials[SLOTS][SCEPKIT_SERIAL_MAX + 1];
    size_t serial_count;
    scepkit_store_tx tx[SLOTS];
    uint8_t *tx_blobs[SLOTS][3]; /* csr, signer_cert, cert copies */
    size_t tx_count;
    uint8_t *certs[SLOTS];
    size_t cert_lens[SLOTS];
    uint8_t cert_serials[SLOTS][SCEPKIT_SERIAL_MAX + 1];
    size_t cert_count;
} mem_store;

static void mem_reset(mem_store *m)
{
    for (size_t i = 0; i < m->tx_count; i++) {
        for (size_t j = 0; j < 3; j++) {
            free(m->tx_blobs[i][j]);
        }
    }
    for (size_t i = 0; i < m->cert_count; i++) {
        free(m->certs[i]);
    }
    memset(m, 0, sizeof *m);
}

static int serial_eq(const uint8_t *stored, scepkit_bytes s)
{
    while (s.len > 1 && s.ptr[0] == 0) {
        s.ptr++;
        s.len--;
    }
    return stored[0] == s.len && memcmp(stored + 1, s.ptr, s.len) == 0;
}

static scepkit_err m_claim(void *self, scepkit_bytes serial)
{
    mem_store *m = self;
    if (serial.len == 0 || serial.len > SCEPKIT_SERIAL_MAX) {
        return SCEPKIT_ERR_ARG;
    }
    for (size_t i = 0; i < m->serial_count; i++) {
        if (serial_eq(m->serials[i], serial)) {
            return SCEPKIT_ERR_STORE_EXISTS;
        }
    }
    if (m->serial_count == SLOTS) {
        return SCEPKIT_ERR_STORE_FULL;
    }
    m->serials[m->serial_count][0] = (uint8_t)serial.len;
    memcpy(m->serials[m->serial_count] + 1, serial.ptr, serial.len);
    m->serial_count++;
    return SCEPKIT_OK;
}

static scepkit_err m_cert_put(void *self, const scepkit_store_cert *rec)
{
    mem_store *m = self;
    if (m->cert_count == SLOTS) {
        return SCEPKIT_ERR_STORE_FULL;
    }
    m->certs[m->cert_count] = malloc(rec->cert.len);
    CHECK(m->certs[m->cert_count] != NULL);
    memcpy(m->certs[m->cert_count], rec->cert.ptr, rec->cert.len);
    m->cert_lens[m->cert_count] = rec->cert.len;
    m->cert_serials[m->cert_count][0] = (uint8_t)rec->serial_len;
    memcpy(m->cert_serials[m->cert_count] + 1, rec->serial, rec->serial_len);
    m->cert_count++;
    return SCEPKIT_OK;
}

static scepkit_err m_cert_get(void *self, scepkit_bytes serial, uint8_t *buf, size_t cap, scepkit_store_cert *out)
{
    mem_store *m = self;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < m->cert_count; i++) {
        if (serial_eq(m->cert_serials[i], serial)) {
            if (m->cert_lens[i] > cap) {
                return SCEPKIT_ERR_BUFFER_TOO_SMALL;
            }
            memcpy(buf, m->certs[i], m->cert_lens[i]);
            out->cert = (scepkit_bytes){buf, m->cert_lens[i]};
            out->serial_len = m->cert_serials[i][0];
            memcpy(out->serial, m->cert_serials[i] + 1, out->serial_len);
            out->reason = -1;
            return SCEPKIT_OK;
        }
    }
    return SCEPKIT_ERR_NOT_FOUND;
}

static scepkit_err m_revoked_each(void *self, scepkit_store_revoked_fn fn, void *ctx)
{
    (void)self;
    (void)fn;
    (void)ctx;
    return SCEPKIT_OK;
}

static scepkit_err m_crl_number(void *self, uint64_t *out)
{
    (void)self;
    *out = 1;
    return SCEPKIT_OK;
}

static scepkit_store_tx *m_find(mem_store *m, scepkit_bytes id, size_t *index)
{
    for (size_t i = 0; i < m->tx_count; i++) {
        if (strlen(m->tx[i].transaction_id) == id.len && memcmp(m->tx[i].transaction_id, id.ptr, id.len) == 0) {
            *index = i;
            return &m->tx[i];
        }
    }
    return NULL;
}

static scepkit_bytes dup_into(uint8_t **slot, scepkit_bytes b)
{
    free(*slot);
    *slot = NULL;
    if (b.len == 0) {
        return (scepkit_bytes){NULL, 0};
    }
    *slot = malloc(b.len);
    CHECK(*slot != NULL);
    memcpy(*slot, b.ptr, b.len);
    return (scepkit_bytes){*slot, b.len};
}

static void m_store_tx(mem_store *m, size_t i, const scepkit_store_tx *tx)
{
    m->tx[i] = *tx;
    m->tx[i].csr = dup_into(&m->tx_blobs[i][0], tx->csr);
    m->tx[i].signer_cert = dup_into(&m->tx_blobs[i][1], tx->signer_cert);
    m->tx[i].cert = dup_into(&m->tx_blobs[i][2], tx->cert);
}

static scepkit_err m_tx_create(void *self, const scepkit_store_tx *tx)
{
    mem_store *m = self;
    size_t i = 0;
    if (m_find(m, scepkit_bytes_str(tx->transaction_id), &i) != NULL) {
        return SCEPKIT_ERR_STORE_EXISTS;
    }
    if (m->tx_count == SLOTS) {
        return SCEPKIT_ERR_STORE_FULL;
    }
    m_store_tx(m, m->tx_count++, tx);
    return SCEPKIT_OK;
}

static scepkit_err m_tx_update(void *self, const scepkit_store_tx *tx, scepkit_tx_state expect)
{
    mem_store *m = self;
    size_t i = 0;
    scepkit_store_tx *cur = m_find(m, scepkit_bytes_str(tx->transaction_id), &i);
    if (cur == NULL) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    if (cur->state != expect) {
        return SCEPKIT_ERR_STORE_CONFLICT;
    }
    m_store_tx(m, i, tx);
    return SCEPKIT_OK;
}

static scepkit_err m_tx_get(void *self, scepkit_bytes id, uint8_t *buf, size_t cap, scepkit_store_tx *out)
{
    mem_store *m = self;
    size_t i = 0;
    (void)buf;
    (void)cap;
    scepkit_store_tx *cur = m_find(m, id, &i);
    if (cur == NULL) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    *out = *cur;
    return SCEPKIT_OK;
}

static scepkit_err m_tx_remove(void *self, scepkit_bytes id, scepkit_tx_state expect)
{
    mem_store *m = self;
    size_t i = 0;
    scepkit_store_tx *cur = m_find(m, id, &i);
    if (cur == NULL) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    if (cur->state != expect) {
        return SCEPKIT_ERR_STORE_CONFLICT;
    }
    memset(cur->transaction_id, 0, sizeof cur->transaction_id); /* the slot stays used; good enough here */
    return SCEPKIT_OK;
}

static const scepkit_store_ops mem_ops = {
    .serial_claim = m_claim,
    .cert_put = m_cert_put,
    .cert_get = m_cert_get,
    .revoked_each = m_revoked_each,
    .crl_number_next = m_crl_number,
    .tx_create = m_tx_create,
    .tx_update = m_tx_update,
    .tx_get = m_tx_get,
    .tx_remove = m_tx_remove,
};

/* ---------------------------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    static scepkit_softkey sk;
    static uint32_t counter;
    static uint8_t ca_der[4096];
    static size_t ca_len;
    static mem_store store;
    static scepkit_policy_static policy;
    static scepkit_profile profiles[2] = {{.name = "general"},
                                          {.name = "signing", .purpose = SCEPKIT_PURPOSE_SIGNATURE}};
    static scepkit_softca softca;
    static scepkit_server srv;
    static uint8_t *scratch, *out;
    static size_t scratch_len, out_len;
    scepkit_rng rng = {&counter_ops, &counter};

    if (!loaded) {
        scepkit_bytes none = {NULL, 0};
        scepkit_softkey_init(&sk, rng);
        CHECK(scepkit_softkey_parse(&sk, (scepkit_bytes){(const uint8_t *)fuzz_ca_key_pem, sizeof fuzz_ca_key_pem - 1},
                                    none) == SCEPKIT_OK);
        CHECK(scepkit_pem_decode((scepkit_bytes){(const uint8_t *)fuzz_ca_cert_pem, sizeof fuzz_ca_cert_pem - 1},
                                 "CERTIFICATE", ca_der, sizeof ca_der, &ca_len, NULL, NULL) == SCEPKIT_OK);
        CHECK(scepkit_policy_static_init(&policy, scepkit_bytes_str("secret")) == SCEPKIT_OK);
        scepkit_store st = {&mem_ops, &store};
        scepkit_clock clk = {&clock_ops, NULL};
        scepkit_softca_config cc;
        memset(&cc, 0, sizeof cc);
        cc.ca_cert = (scepkit_bytes){ca_der, ca_len};
        cc.ca_key = scepkit_softkey_key(&sk);
        cc.store = st;
        cc.rng = rng;
        cc.clock = clk;
        CHECK(scepkit_softca_init(&softca, &cc) == SCEPKIT_OK);
        scepkit_server_config sc;
        memset(&sc, 0, sizeof sc);
        sc.ca_cert = (scepkit_bytes){ca_der, ca_len};
        sc.ca_key = scepkit_softkey_key(&sk);
        sc.ca = scepkit_softca_port(&softca);
        sc.store = st;
        sc.policy = scepkit_policy_static_port(&policy);
        sc.rng = rng;
        sc.clock = clk;
        sc.profiles = profiles;
        sc.profile_count = 2;
        sc.allow_legacy = 1;
        sc.max_clock_skew = -1; /* the seeds were made at different times */
        sc.max_message_size = 16384;
        sc.max_payload_size = 16384;
        sc.keys_thread_safe = 1;
        CHECK(scepkit_server_init(&srv, &sc) == SCEPKIT_OK);
        CHECK(scepkit_server_buffer_sizes(&srv, &scratch_len, &out_len) == SCEPKIT_OK);
        scratch = malloc(scratch_len);
        out = malloc(out_len);
        CHECK(scratch != NULL && out != NULL);
        loaded = 1;
    }
    counter = 1;
    mem_reset(&store);

    scepkit_message_form form = SCEPKIT_MESSAGE_BODY;
    if (size > 0 && data[0] == 'Q') {
        form = SCEPKIT_MESSAGE_QUERY;
        data++;
        size--;
    }
    scepkit_arena arena;
    scepkit_arena_init(&arena, scratch, scratch_len);
    scepkit_server_response r;
    scepkit_err err = scepkit_server_handle(&srv, scepkit_bytes_str("PKIOperation"), (scepkit_bytes){data, size}, form,
                                            &arena, out, out_len, &r);
    CHECK(err == SCEPKIT_OK);
    CHECK(arena.used == 0);
    CHECK(r.body_len <= out_len);
    CHECK(r.content_type != NULL);
    CHECK(r.http_status == 200 || r.http_status == 400 || r.http_status == 413 || r.http_status == 500);
    if (r.http_status == 200) {
        CHECK(r.is_certrep);
        CHECK(r.status == SCEPKIT_STATUS_SUCCESS || r.status == SCEPKIT_STATUS_FAILURE ||
              r.status == SCEPKIT_STATUS_PENDING);
        CHECK(r.body_len > 0 && out[0] == 0x30);
    } else {
        CHECK(!r.is_certrep);
    }
    return 0;
}
