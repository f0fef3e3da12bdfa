/* Helpers shared by the pkiMessage files of src/scep/ (message.c, message_request.c, message_certrep.c). Not public. */
#ifndef SCEPKIT_SCEP_MESSAGE_INTERNAL_H
#define SCEPKIT_SCEP_MESSAGE_INTERNAL_H

#include <stdbool.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/scep.h"

/* Room for the SCEP signed attributes a writer passes to the CMS signer: messageType, pkiStatus, failInfo,
 * failInfoText (<= SCEPKIT_FAIL_TEXT_MAX bytes), transactionID (<= SCEPKIT_TRANSACTION_ID_MAX), two nonces. */
#define SKIT_SCEP_ATTR_MEM (7 * 24 + SCEPKIT_FAIL_TEXT_MAX + SCEPKIT_TRANSACTION_ID_MAX + 2 * SCEPKIT_NONCE_LEN)

/* A list of whole DER Attribute SEQUENCEs built in a fixed buffer. */
typedef struct skit_scep_attrs {
    uint8_t mem[SKIT_SCEP_ATTR_MEM];
    size_t used;
    scepkit_bytes list[7];
    size_t count;
    scepkit_err err;
} skit_scep_attrs;

void skit_scep_attrs_init(skit_scep_attrs *a);
/* Appends Attribute { oid, SET { tag value } }. Errors are sticky in a->err. */
void skit_scep_attrs_add(skit_scep_attrs *a, skit_oid oid, uint8_t tag, const uint8_t *v, size_t len);
void skit_scep_attrs_free(skit_scep_attrs *a);

/* transactionID text to write: 1..SCEPKIT_TRANSACTION_ID_MAX PrintableString characters. */
scepkit_err skit_scep_check_txid(scepkit_bytes txid);

/* Reads the single value of a signed attribute as a DER element. NOT_FOUND when absent; a duplicate or a
 * multi-valued attribute is SCEPKIT_ERR_SCEP_ATTRIBUTE. */
scepkit_err skit_scep_attr(const scepkit_cms_signer *s, skit_oid oid, skit_tlv *t);
/* A printable-text attribute (PrintableString, or IA5String/UTF8String holding PrintableString characters only)
 * of 1..max characters, copied NUL-terminated into out[max + 1]. */
scepkit_err skit_scep_attr_text(const scepkit_cms_signer *s, skit_oid oid, char *out, size_t max, size_t *len);
/* A decimal attribute (messageType, pkiStatus, failInfo): 1..3 digits. */
scepkit_err skit_scep_attr_number(const scepkit_cms_signer *s, skit_oid oid, int *v);
/* A nonce attribute: OCTET STRING of exactly SCEPKIT_NONCE_LEN bytes. */
scepkit_err skit_scep_attr_nonce(const scepkit_cms_signer *s, skit_oid oid, uint8_t *out);

/* The messageType for a number, SCEPKIT_MSG_NONE when unknown. */
scepkit_msg_type skit_scep_msg_type(int v);

/*
 * The SignedData's encapsulated content (the pkcsPKIEnvelope) as one contiguous view. A primitive eContent is a
 * view into the message; a BER constructed one is copied to the tail of plain[0..cap), and *tail is the number of
 * bytes used there (the caller decrypts into plain[0..cap - *tail) and wipes the tail afterwards).
 */
scepkit_err skit_scep_content(const scepkit_cms_signed *sd, uint8_t *plain, size_t cap, scepkit_bytes *env,
                              size_t *tail);

/*
 * Decrypts the EnvelopedData a pkiMessage carries (RFC 8894 §3.2: the messageData is enveloped to the recipient)
 * into plain[0..cap) with `cert`/`key`, and reports the content cipher (set as soon as the envelope parsed, also
 * on a later failure, so a server can answer alike). A BER-constructed content is first copied into the tail
 * of `plain`; that copy is wiped before return. `*data` views the plaintext at plain[0].
 * With a non-empty `password` and a PasswordRecipientInfo in the envelope, that recipient is used instead of
 * key transport (a CertRep to an EC requester, RFC 8894 §3.1).
 */
scepkit_err skit_scep_open_envelope(const scepkit_cms_signed *sd, scepkit_bytes cert, scepkit_key key,
                                    scepkit_bytes password, scepkit_rng rng, int allow_legacy, uint8_t *plain,
                                    size_t cap, scepkit_bytes *data, scepkit_cipher *cipher);

#endif
