/* GetCACaps: reading the capability list and choosing algorithms (RFC 8894 §3.5.2). */
#include <string.h>

#include "scepkit/client.h"

/*
 * RFC 8894 §3.5.2: the answer is a list of keywords, "each on a separate line" (CRLF or LF in
 * practice; micromdm ends without a newline). Keywords are case-insensitive. A CA that does not
 * understand GetCACaps answers with an error or an empty body, or (very old NDES) closes the
 * connection: all mean "no capabilities".
 *
 *   Keyword           Meaning
 *   AES               CA supports the AES128-CBC encryption algorithm
 *   DES3              CA supports the triple DES-CBC encryption algorithm
 *   GetNextCACert     CA supports the GetNextCACert message
 *   POSTPKIOperation  PKIOPeration messages may be sent via HTTP POST
 *   Renewal           CA supports the Renewal CA operation
 *   SHA-1             CA supports the SHA-1 hashing algorithm
 *   SHA-256           CA supports the SHA-256 hashing algorithm
 *   SHA-512           CA supports the SHA-512 hashing algorithm
 *   SCEPStandard      CA supports all mandatory-to-implement sections of the SCEP standard
 *                     (this implies "AES", "POSTPKIOperation" and "SHA-256")
 */
static const struct {
    const char *word;
    uint32_t bits;
} cap_words[] = {
    {"AES", SCEPKIT_CAP_AES},
    {"DES3", SCEPKIT_CAP_DES3},
    {"GetNextCACert", SCEPKIT_CAP_GET_NEXT_CA_CERT},
    {"POSTPKIOperation", SCEPKIT_CAP_POST},
    {"Renewal", SCEPKIT_CAP_RENEWAL},
    {"SHA-1", SCEPKIT_CAP_SHA1},
    {"SHA-256", SCEPKIT_CAP_SHA256},
    {"SHA-384", SCEPKIT_CAP_SHA384},
    {"SHA-512", SCEPKIT_CAP_SHA512},
    {"SCEPStandard", SCEPKIT_CAP_SCEP_STANDARD | SCEPKIT_CAP_AES | SCEPKIT_CAP_POST | SCEPKIT_CAP_SHA256},
    {"Update", SCEPKIT_CAP_UPDATE},
};

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static int word_is(const uint8_t *p, size_t n, const char *word)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (word[i] == 0 || lower(p[i]) != lower((uint8_t)word[i])) {
            return 0;
        }
    }
    return word[i] == 0;
}

scepkit_err scepkit_caps_parse(scepkit_bytes text, uint32_t *caps)
{
    if (caps == NULL || (text.ptr == NULL && text.len != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    uint32_t out = 0;
    size_t i = 0;
    while (i < text.len) {
        while (i < text.len && is_space(text.ptr[i])) {
            i++;
        }
        size_t start = i;
        while (i < text.len && !is_space(text.ptr[i])) {
            i++;
        }
        if (i == start) {
            break;
        }
        for (size_t k = 0; k < sizeof cap_words / sizeof cap_words[0]; k++) {
            if (word_is(text.ptr + start, i - start, cap_words[k].word)) {
                out |= cap_words[k].bits;
                break;
            }
        }
        /* anything else is a keyword of a later revision, or noise: ignored (RFC 8894 §3.5.2) */
    }
    *caps = out;
    return SCEPKIT_OK;
}

/* The enums are ordered by strength (crypto.h values are stable): a larger value is stronger. */
static int cipher_known(scepkit_cipher c)
{
    return c >= SCEPKIT_CIPHER_DES_CBC && c <= SCEPKIT_CIPHER_AES256_CBC;
}

static int md_known(scepkit_md m)
{
    return m >= SCEPKIT_MD_MD5 && m <= SCEPKIT_MD_SHA512;
}

scepkit_err scepkit_caps_choose(uint32_t caps, const scepkit_alg_policy *policy, scepkit_algs *out)
{
    static const scepkit_alg_policy defaults = {SCEPKIT_CIPHER_NONE, SCEPKIT_MD_NONE, SCEPKIT_CIPHER_NONE,
                                                SCEPKIT_MD_NONE, 0};
    if (out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    const scepkit_alg_policy *p = policy != NULL ? policy : &defaults;
    scepkit_cipher min_cipher = p->min_cipher == SCEPKIT_CIPHER_NONE ? SCEPKIT_CIPHER_AES128_CBC : p->min_cipher;
    scepkit_md min_md = p->min_md == SCEPKIT_MD_NONE ? SCEPKIT_MD_SHA256 : p->min_md;
    if (!cipher_known(min_cipher) || !md_known(min_md) ||
        (p->cipher != SCEPKIT_CIPHER_NONE && !cipher_known(p->cipher)) ||
        (p->md != SCEPKIT_MD_NONE && !md_known(p->md))) {
        return SCEPKIT_ERR_ARG;
    }

    /* Content cipher: forced, or the strongest the server lists. "AES" means AES-128-CBC. */
    scepkit_cipher cipher;
    if (p->cipher != SCEPKIT_CIPHER_NONE) {
        cipher = p->cipher;
    } else if (caps & SCEPKIT_CAP_AES) {
        cipher = SCEPKIT_CIPHER_AES128_CBC;
    } else {
        /* "DES3" listed, or nothing listed: RFC 8894 would leave such a server at single DES, which scepkit never
         * sends; every deployed server takes DES-EDE3. The minimum below decides whether that is acceptable. */
        cipher = SCEPKIT_CIPHER_DES_EDE3_CBC;
    }
    if (cipher == SCEPKIT_CIPHER_DES_CBC) {
        return SCEPKIT_ERR_UNSUPPORTED; /* forced single DES: never sent */
    }
    if (cipher < min_cipher) {
        return SCEPKIT_ERR_CAPS_CIPHER;
    }

    scepkit_md md;
    if (p->md != SCEPKIT_MD_NONE) {
        md = p->md;
    } else if (caps & SCEPKIT_CAP_SHA512) {
        md = SCEPKIT_MD_SHA512;
    } else if (caps & SCEPKIT_CAP_SHA384) {
        md = SCEPKIT_MD_SHA384;
    } else if (caps & SCEPKIT_CAP_SHA256) {
        md = SCEPKIT_MD_SHA256;
    } else {
        md = SCEPKIT_MD_SHA1; /* "SHA-1" listed, or nothing: MD5 (the old default) is never sent */
    }
    if (md == SCEPKIT_MD_MD5) {
        return SCEPKIT_ERR_UNSUPPORTED;
    }
    if (md < min_md) {
        return SCEPKIT_ERR_CAPS_DIGEST;
    }

    out->cipher = cipher;
    out->md = md;
    out->pki_method = ((caps & SCEPKIT_CAP_POST) && !p->force_get) ? SCEPKIT_HTTP_POST : SCEPKIT_HTTP_GET;
    out->renewal = (caps & SCEPKIT_CAP_RENEWAL) != 0;
    out->next_ca = (caps & SCEPKIT_CAP_GET_NEXT_CA_CERT) != 0;
    return SCEPKIT_OK;
}
