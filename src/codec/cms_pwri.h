/* PasswordRecipientInfo (RFC 3211): PBKDF2 + id-alg-PWRI-KEK key wrap, for the CMS EnvelopedData code. */
#ifndef SCEPKIT_CODEC_CMS_PWRI_H
#define SCEPKIT_CODEC_CMS_PWRI_H

#include "der/der.h"
#include "scepkit/cms.h"

/* Most PBKDF2 iterations accepted from a message (bounds the work a peer can demand). */
#define SKIT_PWRI_MAX_ITERATIONS 1000000u

/* Derives the KEK from `password` and unwraps a CEK of exactly `cek_len` bytes. Any failure that depends on
 * the password or the wrapped key (check bytes, length byte) is SCEPKIT_ERR_DECRYPT. `cek` wiped on error. */
scepkit_err skit_pwri_unwrap(const scepkit_cms_recipient_info *ri, scepkit_bytes password, uint8_t *cek,
                             size_t cek_len);

/* Writes a [3] PasswordRecipientInfo wrapping `cek` with a KEK derived from `password` (PBKDF2 with a random
 * salt), the key wrap using `kek_cipher` (AES or DES-EDE3). In a size-only pass nothing secret is computed. */
scepkit_err skit_pwri_write(skit_derw *w, scepkit_bytes password, uint32_t iterations, scepkit_md prf,
                            scepkit_cipher kek_cipher, scepkit_rng rng, const uint8_t *cek, size_t cek_len);

#endif
