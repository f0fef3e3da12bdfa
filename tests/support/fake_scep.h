/*
 * A scripted fake SCEP server behind the client's transport port, built from scepkit's own pkiMessage
 * functions (scepkit_scep_request_open / scepkit_scep_reply_write) and certificate writer. Each
 * PKIOperation is answered by the next step of a script (SUCCESS, PENDING, FAILURE + failInfo, HTTP 500,
 * a closed connection), optionally tampered with (wrong recipientNonce, wrong transactionID, signed by a
 * rogue key, a certificate for another key). Single-DES answers cannot be made here (scepkit never
 * encrypts with DES): the micromdm interop test covers them. It records what it saw so tests can check the
 * client's messages (types, transactionIDs, nonces, methods, signer certificates, URL lengths).
 */
#ifndef SCEPKIT_TESTS_FAKE_SCEP_H
#define SCEPKIT_TESTS_FAKE_SCEP_H

#include "scepkit/scepkit.h"

typedef enum fake_action {
    FAKE_SUCCESS = 0,
    FAKE_PENDING = 1,
    FAKE_FAILURE = 2,
    FAKE_HTTP_500 = 3,
    FAKE_CLOSE = 4, /* the transport reports SCEPKIT_ERR_TRANSPORT */
} fake_action;

#define FAKE_T_NONCE 1u     /* recipientNonce is not the request's senderNonce */
#define FAKE_T_TXID 2u      /* transactionID is not the request's */
#define FAKE_T_SIGNER 4u    /* CertRep signed by the rogue certificate and key */
#define FAKE_T_OTHER_KEY 8u /* the issued certificate is for other_spki */

typedef struct fake_step {
    fake_action action;
    scepkit_fail_info fail_info;
    unsigned tamper;
} fake_step;

#define FAKE_MAX_SEEN 32

typedef struct fake_scep {
    /* configuration */
    const char *caps;      /* GetCACaps body; NULL: HTTP 404 */
    int caps_close;        /* GetCACaps: the connection closes (very old NDES) */
    scepkit_bytes cacert;  /* GetCACert body */
    const char *cacert_ct; /* its content type */
    scepkit_bytes nextca;  /* GetNextCACert body (empty: HTTP 404) */
    scepkit_bytes ca_cert; /* issues certificates */
    scepkit_key ca_key;
    scepkit_bytes enc_cert; /* requests are decrypted with this */
    scepkit_key enc_key;
    scepkit_bytes sign_cert; /* CertReps are signed with this */
    scepkit_key sign_key;
    scepkit_bytes rogue_cert; /* FAKE_T_SIGNER */
    scepkit_key rogue_key;
    scepkit_bytes other_spki; /* FAKE_T_OTHER_KEY */
    scepkit_rng rng;
    fake_step script[16];
    size_t nscript; /* PKIOperations past the end repeat the last step */
    /* what it saw */
    size_t pos;
    unsigned exchanges;
    size_t nseen;
    scepkit_msg_type types[FAKE_MAX_SEEN];
    char tids[FAKE_MAX_SEEN][SCEPKIT_TRANSACTION_ID_MAX + 1];
    uint8_t nonces[FAKE_MAX_SEEN][SCEPKIT_NONCE_LEN];
    scepkit_http_method methods[FAKE_MAX_SEEN];
    scepkit_cipher ciphers[FAKE_MAX_SEEN];
    scepkit_md mds[FAKE_MAX_SEEN];
    scepkit_err open_errors[FAKE_MAX_SEEN]; /* scepkit_scep_request_open() result per PKIOperation */
    size_t max_query_len;
    uint8_t last_signer[4096];
    size_t last_signer_len;
    uint8_t csr[16384]; /* the last PKCSReq/RenewalReq (answers CertPolls) */
    size_t csr_len;
    uint8_t issued[8192]; /* the last certificate issued (GetCert answers it) */
    size_t issued_len;
    uint8_t crl[4096]; /* the CRL GetCRL answers (made on demand) */
    size_t crl_len;
    uint8_t last_serial[64]; /* GetCert/GetCRL: the IssuerAndSerialNumber asked for */
    size_t last_serial_len;
    uint8_t last_issuer[1024];
    size_t last_issuer_len;
    uint32_t serial;
} fake_scep;

/* Zeroes the fake and sets the defaults (caps "SCEPStandard\nRenewal", GetCACert as a single cert). */
void fake_scep_init(fake_scep *f);
/* Appends a script step. */
void fake_scep_push(fake_scep *f, fake_action a, scepkit_fail_info fi, unsigned tamper);
scepkit_transport fake_scep_transport(fake_scep *f);

#endif
