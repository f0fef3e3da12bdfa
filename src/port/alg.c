/* Algorithm sizes: plain tables, identical for every backend. */
#include "port/crypto_port.h"

size_t scepkit_md_size(scepkit_md md)
{
    switch (md) {
    case SCEPKIT_MD_MD5:
        return 16;
    case SCEPKIT_MD_SHA1:
        return 20;
    case SCEPKIT_MD_SHA256:
        return 32;
    case SCEPKIT_MD_SHA384:
        return 48;
    case SCEPKIT_MD_SHA512:
        return 64;
    case SCEPKIT_MD_NONE:
    default:
        return 0;
    }
}

size_t scepkit_cipher_key_size(scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
        return 8;
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        return 24;
    case SCEPKIT_CIPHER_AES128_CBC:
        return 16;
    case SCEPKIT_CIPHER_AES192_CBC:
        return 24;
    case SCEPKIT_CIPHER_AES256_CBC:
        return 32;
    case SCEPKIT_CIPHER_NONE:
    default:
        return 0;
    }
}

size_t scepkit_cipher_block_size(scepkit_cipher c)
{
    switch (c) {
    case SCEPKIT_CIPHER_DES_CBC:
    case SCEPKIT_CIPHER_DES_EDE3_CBC:
        return 8;
    case SCEPKIT_CIPHER_AES128_CBC:
    case SCEPKIT_CIPHER_AES192_CBC:
    case SCEPKIT_CIPHER_AES256_CBC:
        return 16;
    case SCEPKIT_CIPHER_NONE:
    default:
        return 0;
    }
}
