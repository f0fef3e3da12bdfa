/*
 * Fuzz target for the client side of the pkiMessage layer: scepkit_scep_reply_open() (src/scep/message_certrep.c)
 * with a fixed client key and the vectors' CA certificate as the only acceptable signer.
 *
 * Keys: tests/vectors/keys/micromdm-client.key.pem (the client whose requests micromdm answered) and
 * tests/vectors/keys/ca.pem, throw-away and public on purpose. Each input is opened twice: with a fixed
 * transactionID/nonce (those of micromdm-server.certrep-success.der), and with the transactionID and
 * recipientNonce the input itself carries, so that every seed CertRep (the real micromdm replies) gets past the
 * attribute checks to decryption and the certs-only parser. Both with and without the legacy switch.
 * Invariants: on error the output is zeroed with status FAILURE and the plaintext buffer is all zero; on success
 * the status is one of the three, FAILURE carries a valid failInfo, SUCCESS a certs-only view inside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scepkit/cms.h"
#include "scepkit/pem.h"
#include "scepkit/scep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char client_key_pem[] = "-----BEGIN RSA PRIVATE KEY-----\n"
                                     "MIIEowIBAAKCAQEAw2E1rUgmGOAYnpb3Hk8ELKwEr7Y12H5PDK7UH6EV8uurXOoS\n"
                                     "X8cZgFWagF0FznmaKTmElwbeyH5WvgAqjALnM76imYaGYCEQYR719vL3hP7h7J+T\n"
                                     "cRfg1teNyxdXF09KIVOJGN53+fqeYfg+3XtUFxk+bcwaWPNPmpttpbwnvH0t3IiU\n"
                                     "NW92fHqB/VKmTq/+6WGqbRh3qs1yZbNi58Z9lT1fNs8/6rp1IpzvW/EqDiFvDY7k\n"
                                     "l1IRVXj7pqonWe9QfL6XmRJ1JBD/0RLJuhL+iWwfA0+zphhXfNs9HBTdZncHUuUf\n"
                                     "pjq9PSEKV7Ge1seiFmMUVDH291FzPOC74yjyiwIDAQABAoIBAAooMJEskgZzB/Se\n"
                                     "poQl2XK1Ep1L3Kq/jj57jD2Es05ooAT5ijD+eb3pNVn8/ANK4Q/JlLIBQm2r27iO\n"
                                     "66dRs1FGVM+kZbHzphVWdbT71pBMa9RQS2rysdaZaB6pvPZSQelPnW30isotFDTF\n"
                                     "ogcDlVCKGGu+05PSOk4wTFf0WyB6Th2UZZoDJPOkeyM90nuYN6cO0MOOHr/bAafL\n"
                                     "sgWIh/VWMkNjTKddiJTKykHlTm5micVxg8eDNizRQtHOfTAWYwl2lO41kGdsqP5k\n"
                                     "LBrdV99zI/mcK49AvHml6slAbhXO6qRMtPa6EsxClv8rKiXBtZ9Zy2CfE3ov25pv\n"
                                     "nkvpMSECgYEAysAWH1itjKVgYtd0VqOCfmcE3Z72epowJWlFA02WWQqx4rHgtjEH\n"
                                     "B+j/QFdFAWKHcc1FLTvVdJXE+6dk1i64REeCN/JoPqfCJpH04R0+k5vYJ/5P4Kud\n"
                                     "LDooapKnrmMH2J/QMRSzj/40XPBd+egiUN7hiqnXfE2IqnncrHwaizECgYEA9rGP\n"
                                     "clob7uP+Viu7d5yMTzJ0QcT5dysU9Z0gxKXLCxQwTBXomU3v17+Px3ZQ6kBhPv/f\n"
                                     "OhkQb1zJcSbr05FJTBZ1EwZHu+8dwEvgyHM+dYnKtaq+91BrHA2yHQ/8Jg3NrIq0\n"
                                     "qJTBmIUTWtfy10gSip5qak0SQ0QFNksAZf+gsnsCgYAvueW7PUGlIOy+d58wIc8+\n"
                                     "9/siPCAjHhaFR/Fx5JqmnSjghySxXnscNpGXULOyrsHZXQuSqUoG5pZ28qF+9YJ0\n"
                                     "uCyEBPDbBtxh/euZ7itjzcSlLW0aIuudlJcc9ya3myImsP/t/cSC+cDTu9UzVZx2\n"
                                     "UvDeljpeTVYFYyg6BgCtkQKBgQCVKdntr/SR5wPjgL/y3BKu1HgdSIf6+W7L8H1e\n"
                                     "ykzSXxuw9dJV2B083BSI686TRehHGpoUXBFm9LjNFVak74VdX3rczQBU74mSu46o\n"
                                     "RZ6vnWiXni2oBtUs+k8HaaHyNIh3WstP39qLaXPBiy/H4klrzcvUiNORHrD0Gjec\n"
                                     "dQvqvwKBgAulXoc3pnwU0HAIzdeu3M03m6wZJbCtNKgXMnVmLBRmXgxSVFcb4CA1\n"
                                     "yiksaQX2G6O+rSMMHQG6GwzTuti24KIhKYC55muF207qViDWsphx1eaPupVa420Z\n"
                                     "nw9q67pwNtA0QKXo+zSWu2RYO0ZCMd1JXTOhCAgmjuaA9gfIFg/H\n"
                                     "-----END RSA PRIVATE KEY-----\n";

static void inside(scepkit_bytes b, const uint8_t *lo, size_t n)
{
    if (b.len != 0) {
        CHECK(b.ptr >= lo && b.ptr <= lo + n && b.len <= (size_t)(lo + n - b.ptr));
    }
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/* transactionID and recipientNonce of micromdm-server.certrep-success.der */
static const char fixed_txid[] = "H4sEbmDHTvFfNse6aUACX6n6ELQ=";
static const uint8_t fixed_nonce[SCEPKIT_NONCE_LEN] = {0xfc, 0x48, 0x9d, 0x08, 0xf4, 0x58, 0xb6, 0x62,
                                                       0x5b, 0xff, 0x7c, 0x09, 0x8a, 0xd2, 0xfc, 0xcd};

static void try_open(scepkit_bytes in, const scepkit_scep_open_reply_params *op)
{
    static uint8_t plain[1 << 17];
    scepkit_scep_reply out;
    size_t cap = in.len < sizeof plain / 2 ? 2 * in.len : sizeof plain;
    memset(plain, 0, sizeof plain);
    scepkit_err err = scepkit_scep_reply_open(in, op, plain, cap, &out);
    if (err == SCEPKIT_OK) {
        CHECK(out.status == SCEPKIT_STATUS_SUCCESS || out.status == SCEPKIT_STATUS_FAILURE ||
              out.status == SCEPKIT_STATUS_PENDING);
        CHECK(strlen(out.fail_info_text) <= SCEPKIT_FAIL_TEXT_MAX);
        if (out.status == SCEPKIT_STATUS_SUCCESS) {
            inside(out.certs_only, plain, cap);
            CHECK(out.certs_only.len != 0);
            CHECK(op->allow_legacy || out.cipher != SCEPKIT_CIPHER_DES_CBC);
            scepkit_cms_iter it = {{NULL, 0}, 0};
            scepkit_bytes c;
            while (scepkit_cms_next_cert(&out.certs, &it, &c) == SCEPKIT_OK) {
                inside(c, plain, cap);
            }
        } else {
            CHECK(out.certs_only.len == 0);
            if (out.status == SCEPKIT_STATUS_FAILURE) {
                CHECK((unsigned)out.fail_info <= (unsigned)SCEPKIT_FAIL_BAD_CERT_ID);
            }
        }
    } else {
        scepkit_scep_reply z;
        memset(&z, 0, sizeof z);
        z.status = SCEPKIT_STATUS_FAILURE;
        CHECK(memcmp(&out, &z, sizeof z) == 0);
        CHECK(all_zero(plain, sizeof plain));
    }
}

/* The input's own transactionID / recipientNonce, if it has them, so the fuzzer gets past the comparisons. */
static int own_ids(scepkit_bytes in, scepkit_scep_open_reply_params *op, char *txid)
{
    static const uint8_t oid_txid[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x07};
    static const uint8_t oid_rnonce[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x06};
    scepkit_cms_signed sd;
    scepkit_bytes v;
    if (scepkit_cms_signed_parse(in, SCEPKIT_CMS_BER, &sd) != SCEPKIT_OK || sd.signer_count != 1) {
        return 0;
    }
    if (scepkit_cms_find_attr(&sd.signer, (scepkit_bytes){oid_txid, sizeof oid_txid}, &v) != SCEPKIT_OK || v.len < 3 ||
        v.len > SCEPKIT_TRANSACTION_ID_MAX || v.ptr[1] != v.len - 2) {
        return 0;
    }
    memcpy(txid, v.ptr + 2, v.len - 2);
    txid[v.len - 2] = '\0';
    op->transaction_id = (scepkit_bytes){(const uint8_t *)txid, v.len - 2};
    if (scepkit_cms_find_attr(&sd.signer, (scepkit_bytes){oid_rnonce, sizeof oid_rnonce}, &v) != SCEPKIT_OK ||
        v.len != 2 + SCEPKIT_NONCE_LEN) {
        return 0;
    }
    memcpy(op->sender_nonce, v.ptr + 2, SCEPKIT_NONCE_LEN);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    static scepkit_softkey sk;
    static uint8_t ca_der[2048];
    static scepkit_bytes signers[1];
    static uint32_t counter;
    scepkit_rng rng = {&counter_ops, &counter};
    scepkit_bytes in = {data, size};
    scepkit_scep_open_reply_params op;
    char txid[SCEPKIT_TRANSACTION_ID_MAX + 1];

    if (!loaded) {
        scepkit_bytes none = {NULL, 0};
        size_t n = 0;
        scepkit_softkey_init(&sk, rng);
        CHECK(scepkit_softkey_parse(&sk, (scepkit_bytes){(const uint8_t *)client_key_pem, sizeof client_key_pem - 1},
                                    none) == SCEPKIT_OK);
        CHECK(scepkit_pem_decode((scepkit_bytes){(const uint8_t *)fuzz_ca_cert_pem, sizeof fuzz_ca_cert_pem - 1},
                                 "CERTIFICATE", ca_der, sizeof ca_der, &n, NULL, NULL) == SCEPKIT_OK);
        signers[0] = (scepkit_bytes){ca_der, n};
        loaded = 1;
    }
    counter = 1;
    memset(&op, 0, sizeof op);
    op.transaction_id = (scepkit_bytes){(const uint8_t *)fixed_txid, sizeof fixed_txid - 1};
    memcpy(op.sender_nonce, fixed_nonce, SCEPKIT_NONCE_LEN);
    op.signer_certs = signers;
    op.signer_cert_count = 1;
    op.our_key = scepkit_softkey_key(&sk); /* our_cert empty: the first key-transport recipient is ours */
    op.rng = rng;
    for (int legacy = 0; legacy <= 1; legacy++) {
        op.allow_legacy = legacy;
        try_open(in, &op);
    }
    if (own_ids(in, &op, txid)) {
        for (int legacy = 0; legacy <= 1; legacy++) {
            op.allow_legacy = legacy;
            try_open(in, &op);
        }
    }
    return 0;
}
