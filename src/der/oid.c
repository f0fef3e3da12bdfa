/*
 * The one OID table, lookups, and dotted-text conversion.
 *
 * Every contents-bytes array below was generated from its dotted form and checked against
 * `openssl asn1parse -genstr OID:<dotted>`; tests/unit/test_oid.c re-derives each one from the
 * dotted string on every run, so a typo in either column fails the suite.
 */
#include <string.h>

#include "der/der.h"
#include "der/oid.h"
#include "scepkit/name.h"

static const uint8_t o_md5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05};
static const uint8_t o_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t o_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t o_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
static const uint8_t o_sha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
static const uint8_t o_rsa_encryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t o_md5_with_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04};
static const uint8_t o_sha1_with_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05};
static const uint8_t o_sha256_with_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
static const uint8_t o_sha384_with_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c};
static const uint8_t o_sha512_with_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d};
static const uint8_t o_rsaes_oaep[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07};
static const uint8_t o_mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
static const uint8_t o_p_specified[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x09};
static const uint8_t o_rsassa_pss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
static const uint8_t o_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t o_ecdsa_sha1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01};
static const uint8_t o_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t o_ecdsa_sha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t o_ecdsa_sha512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t o_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t o_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t o_hmac_sha1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07};
static const uint8_t o_hmac_sha256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09};
static const uint8_t o_hmac_sha384[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a};
static const uint8_t o_hmac_sha512[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b};
static const uint8_t o_pbkdf2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c};
static const uint8_t o_pbes2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d};
static const uint8_t o_pwri_kek[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x09};
static const uint8_t o_des_cbc[] = {0x2b, 0x0e, 0x03, 0x02, 0x07};
static const uint8_t o_des_ede3_cbc[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07};
static const uint8_t o_aes128_cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02};
static const uint8_t o_aes192_cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16};
static const uint8_t o_aes256_cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a};
static const uint8_t o_cms_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const uint8_t o_cms_signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t o_cms_enveloped_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
static const uint8_t o_content_type[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t o_message_digest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t o_signing_time[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
static const uint8_t o_email_address[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};
static const uint8_t o_unstructured_name[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02};
static const uint8_t o_challenge_password[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07};
static const uint8_t o_extension_request[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
static const uint8_t o_scep_message_type[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x02};
static const uint8_t o_scep_pki_status[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x03};
static const uint8_t o_scep_fail_info[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x04};
static const uint8_t o_scep_sender_nonce[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x05};
static const uint8_t o_scep_recipient_nonce[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x06};
static const uint8_t o_scep_transaction_id[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x07};
static const uint8_t o_scep_fail_info_text[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x18, 0x01};
static const uint8_t o_ext_subject_key_id[] = {0x55, 0x1d, 0x0e};
static const uint8_t o_ext_key_usage[] = {0x55, 0x1d, 0x0f};
static const uint8_t o_ext_subject_alt_name[] = {0x55, 0x1d, 0x11};
static const uint8_t o_ext_basic_constraints[] = {0x55, 0x1d, 0x13};
static const uint8_t o_ext_crl_number[] = {0x55, 0x1d, 0x14};
static const uint8_t o_ext_crl_reason[] = {0x55, 0x1d, 0x15};
static const uint8_t o_ext_crl_distribution_points[] = {0x55, 0x1d, 0x1f};
static const uint8_t o_ext_certificate_policies[] = {0x55, 0x1d, 0x20};
static const uint8_t o_ext_authority_key_id[] = {0x55, 0x1d, 0x23};
static const uint8_t o_ext_ext_key_usage[] = {0x55, 0x1d, 0x25};
static const uint8_t o_ext_authority_info_access[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
static const uint8_t o_ms_cert_template_name[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02};
static const uint8_t o_kp_server_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t o_kp_client_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
static const uint8_t o_kp_code_signing[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03};
static const uint8_t o_kp_email_protection[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04};
static const uint8_t o_kp_time_stamping[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08};
static const uint8_t o_kp_ocsp_signing[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09};
static const uint8_t o_kp_ipsec_ike[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11};
static const uint8_t o_any_eku[] = {0x55, 0x1d, 0x25, 0x00};
static const uint8_t o_ms_smartcard_logon[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x02};
static const uint8_t o_ms_upn[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03};
static const uint8_t o_ad_ocsp[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01};
static const uint8_t o_ad_ca_issuers[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02};
static const uint8_t o_at_cn[] = {0x55, 0x04, 0x03};
static const uint8_t o_at_surname[] = {0x55, 0x04, 0x04};
static const uint8_t o_at_serial_number[] = {0x55, 0x04, 0x05};
static const uint8_t o_at_c[] = {0x55, 0x04, 0x06};
static const uint8_t o_at_l[] = {0x55, 0x04, 0x07};
static const uint8_t o_at_st[] = {0x55, 0x04, 0x08};
static const uint8_t o_at_street[] = {0x55, 0x04, 0x09};
static const uint8_t o_at_o[] = {0x55, 0x04, 0x0a};
static const uint8_t o_at_ou[] = {0x55, 0x04, 0x0b};
static const uint8_t o_at_title[] = {0x55, 0x04, 0x0c};
static const uint8_t o_at_given_name[] = {0x55, 0x04, 0x2a};
static const uint8_t o_at_dc[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};
static const uint8_t o_at_uid[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01};

static const skit_oid_info oid_table[SKIT_OID_COUNT] = {
    [SKIT_OID_UNKNOWN] = {SKIT_OID_UNKNOWN, NULL, NULL, NULL, 0},
    [SKIT_OID_MD5] = {SKIT_OID_MD5, "md5", "1.2.840.113549.2.5", o_md5, sizeof o_md5},
    [SKIT_OID_SHA1] = {SKIT_OID_SHA1, "sha1", "1.3.14.3.2.26", o_sha1, sizeof o_sha1},
    [SKIT_OID_SHA256] = {SKIT_OID_SHA256, "sha256", "2.16.840.1.101.3.4.2.1", o_sha256, sizeof o_sha256},
    [SKIT_OID_SHA384] = {SKIT_OID_SHA384, "sha384", "2.16.840.1.101.3.4.2.2", o_sha384, sizeof o_sha384},
    [SKIT_OID_SHA512] = {SKIT_OID_SHA512, "sha512", "2.16.840.1.101.3.4.2.3", o_sha512, sizeof o_sha512},
    [SKIT_OID_RSA_ENCRYPTION] = {SKIT_OID_RSA_ENCRYPTION, "rsaEncryption", "1.2.840.113549.1.1.1", o_rsa_encryption,
                                 sizeof o_rsa_encryption},
    [SKIT_OID_MD5_WITH_RSA] = {SKIT_OID_MD5_WITH_RSA, "md5WithRSAEncryption", "1.2.840.113549.1.1.4", o_md5_with_rsa,
                               sizeof o_md5_with_rsa},
    [SKIT_OID_SHA1_WITH_RSA] = {SKIT_OID_SHA1_WITH_RSA, "sha1WithRSAEncryption", "1.2.840.113549.1.1.5",
                                o_sha1_with_rsa, sizeof o_sha1_with_rsa},
    [SKIT_OID_SHA256_WITH_RSA] = {SKIT_OID_SHA256_WITH_RSA, "sha256WithRSAEncryption", "1.2.840.113549.1.1.11",
                                  o_sha256_with_rsa, sizeof o_sha256_with_rsa},
    [SKIT_OID_SHA384_WITH_RSA] = {SKIT_OID_SHA384_WITH_RSA, "sha384WithRSAEncryption", "1.2.840.113549.1.1.12",
                                  o_sha384_with_rsa, sizeof o_sha384_with_rsa},
    [SKIT_OID_SHA512_WITH_RSA] = {SKIT_OID_SHA512_WITH_RSA, "sha512WithRSAEncryption", "1.2.840.113549.1.1.13",
                                  o_sha512_with_rsa, sizeof o_sha512_with_rsa},
    [SKIT_OID_RSAES_OAEP] = {SKIT_OID_RSAES_OAEP, "rsaesOaep", "1.2.840.113549.1.1.7", o_rsaes_oaep,
                             sizeof o_rsaes_oaep},
    [SKIT_OID_MGF1] = {SKIT_OID_MGF1, "mgf1", "1.2.840.113549.1.1.8", o_mgf1, sizeof o_mgf1},
    [SKIT_OID_P_SPECIFIED] = {SKIT_OID_P_SPECIFIED, "pSpecified", "1.2.840.113549.1.1.9", o_p_specified,
                              sizeof o_p_specified},
    [SKIT_OID_RSASSA_PSS] = {SKIT_OID_RSASSA_PSS, "rsassaPss", "1.2.840.113549.1.1.10", o_rsassa_pss,
                             sizeof o_rsassa_pss},
    [SKIT_OID_EC_PUBLIC_KEY] = {SKIT_OID_EC_PUBLIC_KEY, "ecPublicKey", "1.2.840.10045.2.1", o_ec_public_key,
                                sizeof o_ec_public_key},
    [SKIT_OID_ECDSA_SHA1] = {SKIT_OID_ECDSA_SHA1, "ecdsa-with-SHA1", "1.2.840.10045.4.1", o_ecdsa_sha1,
                             sizeof o_ecdsa_sha1},
    [SKIT_OID_ECDSA_SHA256] = {SKIT_OID_ECDSA_SHA256, "ecdsa-with-SHA256", "1.2.840.10045.4.3.2", o_ecdsa_sha256,
                               sizeof o_ecdsa_sha256},
    [SKIT_OID_ECDSA_SHA384] = {SKIT_OID_ECDSA_SHA384, "ecdsa-with-SHA384", "1.2.840.10045.4.3.3", o_ecdsa_sha384,
                               sizeof o_ecdsa_sha384},
    [SKIT_OID_ECDSA_SHA512] = {SKIT_OID_ECDSA_SHA512, "ecdsa-with-SHA512", "1.2.840.10045.4.3.4", o_ecdsa_sha512,
                               sizeof o_ecdsa_sha512},
    [SKIT_OID_P256] = {SKIT_OID_P256, "prime256v1", "1.2.840.10045.3.1.7", o_p256, sizeof o_p256},
    [SKIT_OID_P384] = {SKIT_OID_P384, "secp384r1", "1.3.132.0.34", o_p384, sizeof o_p384},
    [SKIT_OID_HMAC_SHA1] = {SKIT_OID_HMAC_SHA1, "hmacWithSHA1", "1.2.840.113549.2.7", o_hmac_sha1, sizeof o_hmac_sha1},
    [SKIT_OID_HMAC_SHA256] = {SKIT_OID_HMAC_SHA256, "hmacWithSHA256", "1.2.840.113549.2.9", o_hmac_sha256,
                              sizeof o_hmac_sha256},
    [SKIT_OID_HMAC_SHA384] = {SKIT_OID_HMAC_SHA384, "hmacWithSHA384", "1.2.840.113549.2.10", o_hmac_sha384,
                              sizeof o_hmac_sha384},
    [SKIT_OID_HMAC_SHA512] = {SKIT_OID_HMAC_SHA512, "hmacWithSHA512", "1.2.840.113549.2.11", o_hmac_sha512,
                              sizeof o_hmac_sha512},
    [SKIT_OID_PBKDF2] = {SKIT_OID_PBKDF2, "PBKDF2", "1.2.840.113549.1.5.12", o_pbkdf2, sizeof o_pbkdf2},
    [SKIT_OID_PBES2] = {SKIT_OID_PBES2, "PBES2", "1.2.840.113549.1.5.13", o_pbes2, sizeof o_pbes2},
    [SKIT_OID_PWRI_KEK] = {SKIT_OID_PWRI_KEK, "id-alg-PWRI-KEK", "1.2.840.113549.1.9.16.3.9", o_pwri_kek,
                           sizeof o_pwri_kek},
    [SKIT_OID_DES_CBC] = {SKIT_OID_DES_CBC, "des-cbc", "1.3.14.3.2.7", o_des_cbc, sizeof o_des_cbc},
    [SKIT_OID_DES_EDE3_CBC] = {SKIT_OID_DES_EDE3_CBC, "des-ede3-cbc", "1.2.840.113549.3.7", o_des_ede3_cbc,
                               sizeof o_des_ede3_cbc},
    [SKIT_OID_AES128_CBC] = {SKIT_OID_AES128_CBC, "aes-128-cbc", "2.16.840.1.101.3.4.1.2", o_aes128_cbc,
                             sizeof o_aes128_cbc},
    [SKIT_OID_AES192_CBC] = {SKIT_OID_AES192_CBC, "aes-192-cbc", "2.16.840.1.101.3.4.1.22", o_aes192_cbc,
                             sizeof o_aes192_cbc},
    [SKIT_OID_AES256_CBC] = {SKIT_OID_AES256_CBC, "aes-256-cbc", "2.16.840.1.101.3.4.1.42", o_aes256_cbc,
                             sizeof o_aes256_cbc},
    [SKIT_OID_CMS_DATA] = {SKIT_OID_CMS_DATA, "pkcs7-data", "1.2.840.113549.1.7.1", o_cms_data, sizeof o_cms_data},
    [SKIT_OID_CMS_SIGNED_DATA] = {SKIT_OID_CMS_SIGNED_DATA, "pkcs7-signedData", "1.2.840.113549.1.7.2",
                                  o_cms_signed_data, sizeof o_cms_signed_data},
    [SKIT_OID_CMS_ENVELOPED_DATA] = {SKIT_OID_CMS_ENVELOPED_DATA, "pkcs7-envelopedData", "1.2.840.113549.1.7.3",
                                     o_cms_enveloped_data, sizeof o_cms_enveloped_data},
    [SKIT_OID_CONTENT_TYPE] = {SKIT_OID_CONTENT_TYPE, "contentType", "1.2.840.113549.1.9.3", o_content_type,
                               sizeof o_content_type},
    [SKIT_OID_MESSAGE_DIGEST] = {SKIT_OID_MESSAGE_DIGEST, "messageDigest", "1.2.840.113549.1.9.4", o_message_digest,
                                 sizeof o_message_digest},
    [SKIT_OID_SIGNING_TIME] = {SKIT_OID_SIGNING_TIME, "signingTime", "1.2.840.113549.1.9.5", o_signing_time,
                               sizeof o_signing_time},
    [SKIT_OID_EMAIL_ADDRESS] = {SKIT_OID_EMAIL_ADDRESS, "emailAddress", "1.2.840.113549.1.9.1", o_email_address,
                                sizeof o_email_address},
    [SKIT_OID_UNSTRUCTURED_NAME] = {SKIT_OID_UNSTRUCTURED_NAME, "unstructuredName", "1.2.840.113549.1.9.2",
                                    o_unstructured_name, sizeof o_unstructured_name},
    [SKIT_OID_CHALLENGE_PASSWORD] = {SKIT_OID_CHALLENGE_PASSWORD, "challengePassword", "1.2.840.113549.1.9.7",
                                     o_challenge_password, sizeof o_challenge_password},
    [SKIT_OID_EXTENSION_REQUEST] = {SKIT_OID_EXTENSION_REQUEST, "extensionRequest", "1.2.840.113549.1.9.14",
                                    o_extension_request, sizeof o_extension_request},
    [SKIT_OID_SCEP_MESSAGE_TYPE] = {SKIT_OID_SCEP_MESSAGE_TYPE, "messageType", "2.16.840.1.113733.1.9.2",
                                    o_scep_message_type, sizeof o_scep_message_type},
    [SKIT_OID_SCEP_PKI_STATUS] = {SKIT_OID_SCEP_PKI_STATUS, "pkiStatus", "2.16.840.1.113733.1.9.3", o_scep_pki_status,
                                  sizeof o_scep_pki_status},
    [SKIT_OID_SCEP_FAIL_INFO] = {SKIT_OID_SCEP_FAIL_INFO, "failInfo", "2.16.840.1.113733.1.9.4", o_scep_fail_info,
                                 sizeof o_scep_fail_info},
    [SKIT_OID_SCEP_SENDER_NONCE] = {SKIT_OID_SCEP_SENDER_NONCE, "senderNonce", "2.16.840.1.113733.1.9.5",
                                    o_scep_sender_nonce, sizeof o_scep_sender_nonce},
    [SKIT_OID_SCEP_RECIPIENT_NONCE] = {SKIT_OID_SCEP_RECIPIENT_NONCE, "recipientNonce", "2.16.840.1.113733.1.9.6",
                                       o_scep_recipient_nonce, sizeof o_scep_recipient_nonce},
    [SKIT_OID_SCEP_TRANSACTION_ID] = {SKIT_OID_SCEP_TRANSACTION_ID, "transactionID", "2.16.840.1.113733.1.9.7",
                                      o_scep_transaction_id, sizeof o_scep_transaction_id},
    [SKIT_OID_SCEP_FAIL_INFO_TEXT] = {SKIT_OID_SCEP_FAIL_INFO_TEXT, "failInfoText", "1.3.6.1.5.5.7.24.1",
                                      o_scep_fail_info_text, sizeof o_scep_fail_info_text},
    [SKIT_OID_EXT_SUBJECT_KEY_ID] = {SKIT_OID_EXT_SUBJECT_KEY_ID, "subjectKeyIdentifier", "2.5.29.14",
                                     o_ext_subject_key_id, sizeof o_ext_subject_key_id},
    [SKIT_OID_EXT_KEY_USAGE] = {SKIT_OID_EXT_KEY_USAGE, "keyUsage", "2.5.29.15", o_ext_key_usage,
                                sizeof o_ext_key_usage},
    [SKIT_OID_EXT_SUBJECT_ALT_NAME] = {SKIT_OID_EXT_SUBJECT_ALT_NAME, "subjectAltName", "2.5.29.17",
                                       o_ext_subject_alt_name, sizeof o_ext_subject_alt_name},
    [SKIT_OID_EXT_BASIC_CONSTRAINTS] = {SKIT_OID_EXT_BASIC_CONSTRAINTS, "basicConstraints", "2.5.29.19",
                                        o_ext_basic_constraints, sizeof o_ext_basic_constraints},
    [SKIT_OID_EXT_CRL_NUMBER] = {SKIT_OID_EXT_CRL_NUMBER, "cRLNumber", "2.5.29.20", o_ext_crl_number,
                                 sizeof o_ext_crl_number},
    [SKIT_OID_EXT_CRL_REASON] = {SKIT_OID_EXT_CRL_REASON, "cRLReason", "2.5.29.21", o_ext_crl_reason,
                                 sizeof o_ext_crl_reason},
    [SKIT_OID_EXT_CRL_DISTRIBUTION_POINTS] = {SKIT_OID_EXT_CRL_DISTRIBUTION_POINTS, "cRLDistributionPoints",
                                              "2.5.29.31", o_ext_crl_distribution_points,
                                              sizeof o_ext_crl_distribution_points},
    [SKIT_OID_EXT_CERTIFICATE_POLICIES] = {SKIT_OID_EXT_CERTIFICATE_POLICIES, "certificatePolicies", "2.5.29.32",
                                           o_ext_certificate_policies, sizeof o_ext_certificate_policies},
    [SKIT_OID_EXT_AUTHORITY_KEY_ID] = {SKIT_OID_EXT_AUTHORITY_KEY_ID, "authorityKeyIdentifier", "2.5.29.35",
                                       o_ext_authority_key_id, sizeof o_ext_authority_key_id},
    [SKIT_OID_EXT_EXT_KEY_USAGE] = {SKIT_OID_EXT_EXT_KEY_USAGE, "extendedKeyUsage", "2.5.29.37", o_ext_ext_key_usage,
                                    sizeof o_ext_ext_key_usage},
    [SKIT_OID_EXT_AUTHORITY_INFO_ACCESS] = {SKIT_OID_EXT_AUTHORITY_INFO_ACCESS, "authorityInfoAccess",
                                            "1.3.6.1.5.5.7.1.1", o_ext_authority_info_access,
                                            sizeof o_ext_authority_info_access},
    [SKIT_OID_MS_CERT_TEMPLATE_NAME] = {SKIT_OID_MS_CERT_TEMPLATE_NAME, "msCertTemplateName", "1.3.6.1.4.1.311.20.2",
                                        o_ms_cert_template_name, sizeof o_ms_cert_template_name},
    [SKIT_OID_KP_SERVER_AUTH] = {SKIT_OID_KP_SERVER_AUTH, "serverAuth", "1.3.6.1.5.5.7.3.1", o_kp_server_auth,
                                 sizeof o_kp_server_auth},
    [SKIT_OID_KP_CLIENT_AUTH] = {SKIT_OID_KP_CLIENT_AUTH, "clientAuth", "1.3.6.1.5.5.7.3.2", o_kp_client_auth,
                                 sizeof o_kp_client_auth},
    [SKIT_OID_KP_CODE_SIGNING] = {SKIT_OID_KP_CODE_SIGNING, "codeSigning", "1.3.6.1.5.5.7.3.3", o_kp_code_signing,
                                  sizeof o_kp_code_signing},
    [SKIT_OID_KP_EMAIL_PROTECTION] = {SKIT_OID_KP_EMAIL_PROTECTION, "emailProtection", "1.3.6.1.5.5.7.3.4",
                                      o_kp_email_protection, sizeof o_kp_email_protection},
    [SKIT_OID_KP_TIME_STAMPING] = {SKIT_OID_KP_TIME_STAMPING, "timeStamping", "1.3.6.1.5.5.7.3.8", o_kp_time_stamping,
                                   sizeof o_kp_time_stamping},
    [SKIT_OID_KP_OCSP_SIGNING] = {SKIT_OID_KP_OCSP_SIGNING, "OCSPSigning", "1.3.6.1.5.5.7.3.9", o_kp_ocsp_signing,
                                  sizeof o_kp_ocsp_signing},
    [SKIT_OID_KP_IPSEC_IKE] = {SKIT_OID_KP_IPSEC_IKE, "ipsecIKE", "1.3.6.1.5.5.7.3.17", o_kp_ipsec_ike,
                               sizeof o_kp_ipsec_ike},
    [SKIT_OID_ANY_EKU] = {SKIT_OID_ANY_EKU, "anyExtendedKeyUsage", "2.5.29.37.0", o_any_eku, sizeof o_any_eku},
    [SKIT_OID_MS_SMARTCARD_LOGON] = {SKIT_OID_MS_SMARTCARD_LOGON, "msSmartcardLogin", "1.3.6.1.4.1.311.20.2.2",
                                     o_ms_smartcard_logon, sizeof o_ms_smartcard_logon},
    [SKIT_OID_MS_UPN] = {SKIT_OID_MS_UPN, "msUPN", "1.3.6.1.4.1.311.20.2.3", o_ms_upn, sizeof o_ms_upn},
    [SKIT_OID_AD_OCSP] = {SKIT_OID_AD_OCSP, "OCSP", "1.3.6.1.5.5.7.48.1", o_ad_ocsp, sizeof o_ad_ocsp},
    [SKIT_OID_AD_CA_ISSUERS] = {SKIT_OID_AD_CA_ISSUERS, "caIssuers", "1.3.6.1.5.5.7.48.2", o_ad_ca_issuers,
                                sizeof o_ad_ca_issuers},
    [SKIT_OID_AT_CN] = {SKIT_OID_AT_CN, "CN", "2.5.4.3", o_at_cn, sizeof o_at_cn},
    [SKIT_OID_AT_SURNAME] = {SKIT_OID_AT_SURNAME, "SN", "2.5.4.4", o_at_surname, sizeof o_at_surname},
    [SKIT_OID_AT_SERIAL_NUMBER] = {SKIT_OID_AT_SERIAL_NUMBER, "serialNumber", "2.5.4.5", o_at_serial_number,
                                   sizeof o_at_serial_number},
    [SKIT_OID_AT_C] = {SKIT_OID_AT_C, "C", "2.5.4.6", o_at_c, sizeof o_at_c},
    [SKIT_OID_AT_L] = {SKIT_OID_AT_L, "L", "2.5.4.7", o_at_l, sizeof o_at_l},
    [SKIT_OID_AT_ST] = {SKIT_OID_AT_ST, "ST", "2.5.4.8", o_at_st, sizeof o_at_st},
    [SKIT_OID_AT_STREET] = {SKIT_OID_AT_STREET, "street", "2.5.4.9", o_at_street, sizeof o_at_street},
    [SKIT_OID_AT_O] = {SKIT_OID_AT_O, "O", "2.5.4.10", o_at_o, sizeof o_at_o},
    [SKIT_OID_AT_OU] = {SKIT_OID_AT_OU, "OU", "2.5.4.11", o_at_ou, sizeof o_at_ou},
    [SKIT_OID_AT_TITLE] = {SKIT_OID_AT_TITLE, "title", "2.5.4.12", o_at_title, sizeof o_at_title},
    [SKIT_OID_AT_GIVEN_NAME] = {SKIT_OID_AT_GIVEN_NAME, "GN", "2.5.4.42", o_at_given_name, sizeof o_at_given_name},
    [SKIT_OID_AT_DC] = {SKIT_OID_AT_DC, "DC", "0.9.2342.19200300.100.1.25", o_at_dc, sizeof o_at_dc},
    [SKIT_OID_AT_UID] = {SKIT_OID_AT_UID, "UID", "0.9.2342.19200300.100.1.1", o_at_uid, sizeof o_at_uid},
};

/* Extra spellings accepted by skit_oid_by_name(). Only names that mean one thing everywhere:
 * "E" (emailAddress, OpenSSL/Windows), "S" (state, Windows CertEnroll), the X.520 long names, and
 * the usual curve aliases. */
static const struct oid_alias {
    const char *name;
    skit_oid id;
} oid_aliases[] = {
    {"E", SKIT_OID_EMAIL_ADDRESS},
    {"S", SKIT_OID_AT_ST},
    {"commonName", SKIT_OID_AT_CN},
    {"surname", SKIT_OID_AT_SURNAME},
    {"countryName", SKIT_OID_AT_C},
    {"localityName", SKIT_OID_AT_L},
    {"stateOrProvinceName", SKIT_OID_AT_ST},
    {"streetAddress", SKIT_OID_AT_STREET},
    {"organizationName", SKIT_OID_AT_O},
    {"organizationalUnitName", SKIT_OID_AT_OU},
    {"givenName", SKIT_OID_AT_GIVEN_NAME},
    {"domainComponent", SKIT_OID_AT_DC},
    {"userId", SKIT_OID_AT_UID},
    {"id-ecPublicKey", SKIT_OID_EC_PUBLIC_KEY},
    {"secp256r1", SKIT_OID_P256},
    {"P-256", SKIT_OID_P256},
    {"P-384", SKIT_OID_P384},
};

const skit_oid_info *skit_oid_info_of(skit_oid id)
{
    if ((unsigned)id == 0 || (unsigned)id >= (unsigned)SKIT_OID_COUNT) {
        return NULL;
    }
    return &oid_table[id];
}

scepkit_bytes skit_oid_bytes(skit_oid id)
{
    scepkit_bytes b = {NULL, 0};
    const skit_oid_info *i = skit_oid_info_of(id);
    if (i != NULL) {
        b.ptr = i->der;
        b.len = i->der_len;
    }
    return b;
}

skit_oid skit_oid_find(scepkit_bytes oid)
{
    if (oid.ptr == NULL || oid.len == 0) {
        return SKIT_OID_UNKNOWN;
    }
    for (unsigned i = 1; i < (unsigned)SKIT_OID_COUNT; i++) {
        if (oid_table[i].der_len == oid.len && memcmp(oid_table[i].der, oid.ptr, oid.len) == 0) {
            return oid_table[i].id;
        }
    }
    return SKIT_OID_UNKNOWN;
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive comparison of name[0..len) with the NUL-terminated `ref`. */
static int name_eq(const char *name, size_t len, const char *ref)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (ref[i] == '\0' || ascii_lower((unsigned char)name[i]) != ascii_lower((unsigned char)ref[i])) {
            return 0;
        }
    }
    return ref[i] == '\0';
}

skit_oid skit_oid_by_name(const char *name, size_t len)
{
    if (name == NULL || len == 0) {
        return SKIT_OID_UNKNOWN;
    }
    for (unsigned i = 1; i < (unsigned)SKIT_OID_COUNT; i++) {
        if (name_eq(name, len, oid_table[i].name)) {
            return oid_table[i].id;
        }
    }
    for (size_t i = 0; i < sizeof oid_aliases / sizeof oid_aliases[0]; i++) {
        if (name_eq(name, len, oid_aliases[i].name)) {
            return oid_aliases[i].id;
        }
    }
    return SKIT_OID_UNKNOWN;
}

/* Appends the base-128 form of v (X.690 8.19.2: big-endian 7-bit groups, bit 8 set on all but the
 * last) at out[*n], counting even past cap. */
static void put_base128(uint64_t v, uint8_t *out, size_t cap, size_t *n)
{
    unsigned groups = 1;
    for (uint64_t t = v >> 7; t != 0; t >>= 7) {
        groups++;
    }
    for (unsigned g = groups; g-- > 0;) {
        uint8_t b = (uint8_t)((v >> (7u * g)) & 0x7fu);
        if (g != 0) {
            b |= 0x80u;
        }
        if (out != NULL && *n < cap) {
            out[*n] = b;
        }
        (*n)++;
    }
}

/* Reads one decimal arc at s[*i..n): digits only, no leading zero (except "0"), fits uint64. */
static scepkit_err read_arc(const char *s, size_t n, size_t *i, uint64_t *v)
{
    size_t start = *i;
    uint64_t acc = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        unsigned d = (unsigned)(s[*i] - '0');
        if (acc > (UINT64_MAX - d) / 10u) {
            return SCEPKIT_ERR_ENCODING;
        }
        acc = acc * 10u + d;
        (*i)++;
    }
    if (*i == start || (s[start] == '0' && *i - start > 1)) {
        return SCEPKIT_ERR_ENCODING;
    }
    *v = acc;
    return SCEPKIT_OK;
}

/*
 * X.690 8.19.4: the first two arcs X.Y are packed into one subidentifier 40*X + Y, where X is 0, 1
 * or 2 and Y < 40 unless X is 2.
 */
scepkit_err skit_oid_from_dotted(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    scepkit_err err = SCEPKIT_ERR_ENCODING;
    size_t i = 0;
    size_t w = 0;
    uint64_t first = 0;
    uint64_t second = 0;
    if (len == NULL || (s == NULL && n != 0) || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (s == NULL) {
        return SCEPKIT_ERR_ENCODING;
    }
    if (read_arc(s, n, &i, &first) != SCEPKIT_OK || first > 2) {
        goto out;
    }
    if (i >= n || s[i] != '.') {
        goto out; /* at least two arcs */
    }
    i++;
    if (read_arc(s, n, &i, &second) != SCEPKIT_OK) {
        goto out;
    }
    if (first < 2 && second >= 40) {
        goto out;
    }
    if (second > UINT64_MAX - 80u) {
        goto out;
    }
    put_base128(first * 40u + second, out, cap, &w);
    while (i < n) {
        uint64_t arc = 0;
        if (s[i] != '.') {
            goto out;
        }
        i++;
        if (read_arc(s, n, &i, &arc) != SCEPKIT_OK) {
            goto out;
        }
        put_base128(arc, out, cap, &w);
    }
    *len = w;
    err = w <= cap ? SCEPKIT_OK : SCEPKIT_ERR_BUFFER_TOO_SMALL;
out:
    return err;
}

/* Appends the decimal form of v at out[*n], counting past cap. */
static void put_decimal(uint64_t v, char *out, size_t cap, size_t *n)
{
    char tmp[20];
    unsigned k = 0;
    do {
        tmp[k++] = (char)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v != 0);
    while (k-- > 0) {
        if (out != NULL && *n < cap) {
            out[*n] = tmp[k];
        }
        (*n)++;
    }
}

static void put_char(char c, char *out, size_t cap, size_t *n)
{
    if (out != NULL && *n < cap) {
        out[*n] = c;
    }
    (*n)++;
}

scepkit_err skit_oid_to_dotted(scepkit_bytes oid, char *out, size_t cap, size_t *len)
{
    scepkit_err err = SCEPKIT_ERR_ARG;
    size_t w = 0;
    size_t i = 0;
    int first = 1;
    if (len == NULL || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    err = skit_der_oid_check(oid);
    if (err != SCEPKIT_OK) {
        goto out;
    }
    while (i < oid.len) {
        uint64_t v = 0;
        uint8_t b;
        do {
            b = oid.ptr[i++];
            if ((v >> 57) != 0) {
                err = SCEPKIT_ERR_DER_TOO_LARGE;
                goto out;
            }
            v = (v << 7) | (b & 0x7fu);
        } while ((b & 0x80u) != 0);
        if (first) {
            uint64_t x = v < 40u ? 0u : (v < 80u ? 1u : 2u);
            put_decimal(x, out, cap, &w);
            put_char('.', out, cap, &w);
            put_decimal(v - 40u * x, out, cap, &w);
            first = 0;
        } else {
            put_char('.', out, cap, &w);
            put_decimal(v, out, cap, &w);
        }
    }
    *len = w;
    if (w >= cap) {
        err = SCEPKIT_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    out[w] = '\0';
    err = SCEPKIT_OK;
out:
    if (err != SCEPKIT_OK && err != SCEPKIT_ERR_BUFFER_TOO_SMALL && out != NULL && cap != 0) {
        out[0] = '\0';
    }
    return err;
}

scepkit_err scepkit_oid_to_text(scepkit_bytes oid, char *out, size_t cap, size_t *len)
{
    return skit_oid_to_dotted(oid, out, cap, len);
}

scepkit_err scepkit_oid_from_text(scepkit_bytes text, uint8_t *out, size_t cap, size_t *len)
{
    skit_oid id;
    scepkit_bytes b;
    if (len == NULL || (text.ptr == NULL && text.len != 0) || (out == NULL && cap != 0)) {
        return SCEPKIT_ERR_ARG;
    }
    *len = 0;
    if (text.len == 0) {
        return SCEPKIT_ERR_ENCODING;
    }
    if (text.ptr[0] >= '0' && text.ptr[0] <= '9') {
        return skit_oid_from_dotted((const char *)text.ptr, text.len, out, cap, len);
    }
    id = skit_oid_by_name((const char *)text.ptr, text.len);
    if (id == SKIT_OID_UNKNOWN) {
        return SCEPKIT_ERR_NOT_FOUND;
    }
    b = skit_oid_bytes(id);
    *len = b.len;
    if (b.len > cap) {
        return SCEPKIT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(out, b.ptr, b.len);
    return SCEPKIT_OK;
}
