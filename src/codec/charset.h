/*
 * Helpers shared by the name and CSR codecs (src/codec/). Pure functions of their bytes.
 */
#ifndef SCEPKIT_CODEC_CHARSET_H
#define SCEPKIT_CODEC_CHARSET_H

#include <stdbool.h>

#include "scepkit/common.h"

/* True for the PrintableString alphabet (X.680 41.4): A-Z a-z 0-9 space ' ( ) + , - . / : = ? */
bool skit_printable_char(uint8_t c);

/* True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF). */
bool skit_utf8_valid(scepkit_bytes s);

/*
 * Checks `s` against the alphabet of the ASN.1 string type `tag` and counts its characters.
 * UTF8String: valid UTF-8; PrintableString: skit_printable_char; IA5String: 7-bit; T61String: 7-bit
 * only (so its bytes are the same text in ASCII/UTF-8); BMPString: 2 bytes a character.
 * NUL characters are refused in every type (they hide the rest of the text from C code).
 * @return SCEPKIT_OK, SCEPKIT_ERR_DER_VALUE (bad character or other tag).
 */
scepkit_err skit_str_check(uint8_t tag, scepkit_bytes s, size_t *chars);

#endif
