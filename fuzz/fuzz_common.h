/*
 * Shared by the fuzz targets: the CHECK invariant macro, a fixed throw-away CA (the micromdm CA of
 * tests/vectors/keys, so the real captured requests in the corpora open) and a deterministic RNG.
 * Header-only: each target is its own program.
 */
#ifndef SCEPKIT_FUZZ_COMMON_H
#define SCEPKIT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "scepkit/crypto.h"

/* An invariant the target asserts: a violation aborts, which libFuzzer and the replay runner report. */
#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

static const char fuzz_ca_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCidfhDKHQKgNIh\n"
                                      "fbLawNdoWZrjGxwvSf8H+OiivpXUpfTeDjSw+SM1QtrhD8Nc1ePWvJ4CvXl4d+hW\n"
                                      "E+HNJ1zfTyKFBOi2+6FOuXQ8eZxtwELj9AnMBsIRVqkYFbVkT32DC0HmwbeDT2RQ\n"
                                      "Ar7j542NPZrv5882N8jaX7IZDagfTBVaHGpwI0ebquxmYA8CFs/0591q90Dl6zE9\n"
                                      "/d6VzOzsnpiZwlmJnwAv318I/NkZnlcPvLh+QrlRx1SfB3QdcGMOY+tx15lYR1Tl\n"
                                      "vXUZVCXUoIj1sS3yKgAuguk00fJr5K/GVqdl+yTmyEG27gX9WxuWWe/4Hvm0OTc4\n"
                                      "Ju0Eo5s3AgMBAAECggEAI1ZDpN/0taAllLFRqPFPKVxsKz/nVoXi2ioS9+s6jeF3\n"
                                      "LKGsZl4agWhEUbXrCZNgloG6YOAzvrdeKvLyJ3yLX+tHl+VkdQCwqn3+QXU2SE0M\n"
                                      "f6bCRsWlir3t09ZM+T+tDkbxk67JKt+m8xxVxx7DlFg1Dj++u41Qu+caxwZIbl32\n"
                                      "gzBykWti5Jk9F6vT45vq9Bpvc783+I3IdX3E8GwHrLWmqHvfSdfFqiDzVyK+uucJ\n"
                                      "kokHn+bpUIzyaC3zYWRPq414ro7fiR4UXnz/GwmTPZuegl+7WXmyvWhrj0ugfeVw\n"
                                      "oEUVrc0bZFMKKbaztuAIRywLZCXksj/WisCctzaaWQKBgQDL0cHAbXZzt8tiL6H4\n"
                                      "o2ChzOtF869/JzSmA9+DOJW3lCeds1zvBrs0rpdS7qjPHBGkHGIF2QTilrDDHCwC\n"
                                      "ip18BQtv5SeO0LC0puSJdAhSVNaKc68Zy8lLQhpmxKxzjHV6bpadZn7qHhPjvSVW\n"
                                      "feDfQ6qfhMzNPK2/SZJY7s6ciwKBgQDMDZb9zsaJ79TOYud4z6y97rWuXCH+s1mE\n"
                                      "nQM2tQiobdRk6EEbmzRm66zXLWF+EDHfsXQNcggssL1C0HMvEQ95y/XnUZNubv3z\n"
                                      "eTTN1XLvXh6BWrpyYAGO4p4wOolinU/hEXcgxYTK27Jv0CPs8SRfbau6+j0qODaQ\n"
                                      "XO7reZq1hQKBgQCJJCVLVhwKttOZyFUi2MOPezOfiN1AIGAziI2fXLaYpI6XdPWG\n"
                                      "O7BBPWzCt6VMXiWcmCB4sNKxqBVd4xnVx/E5XqeYbcdVOCR+GYHS3wkuZLlKxZY/\n"
                                      "NDjIc70SAynKQetWKw0a8blZzE0zwrRZ4y8o6v3mgdPQERETkexv/Jd3CwKBgE2F\n"
                                      "dDGkluTcipqGFK5fJ59Yywkc04VyGbY5+HiWOl3Sq/hSDDoysqvPKXDuOrWr7Waw\n"
                                      "ggiBo/1mf+CcVMYy0xBQnnFtGnfADxaqm5b/WpT5ytkV4POG6dCg47wq4ProDOrS\n"
                                      "udFneNWgtZ+pEZz41/qxLabxXr9lb8VUqSgooNAJAoGAdunJFdE33MllzBXpQxuM\n"
                                      "v/uO/IG44Q35wtY18bjAAvVf+NhJP27tge1tkgGP3UyQsq9VGW82GN9eV+aQjKAl\n"
                                      "AKe1jXB/4TpbBBMIV7Qs7AfPsHY5jnlTUsUjQ2tfWaegGfgmOaLR77qMegeaWLgN\n"
                                      "V83dR0seVuNuarpXFtxxYM4=\n"
                                      "-----END PRIVATE KEY-----\n";
static const char fuzz_ca_cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                       "MIIDHzCCAgegAwIBAgIBATANBgkqhkiG9w0BAQsFADAxMQswCQYDVQQGEwJVUzEQ\n"
                                       "MA4GA1UEChMHc2NlcC1jYTEQMA4GA1UECxMHU0NFUCBDQTAeFw0yNjExMjEyMzAz\n"
                                       "NDlaFw0zNjExMjEyMzAzNDlaMDExCzAJBgNVBAYTAlVTMRAwDgYDVQQKEwdzY2Vw\n"
                                       "LWNhMRAwDgYDVQQLEwdTQ0VQIENBMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB\n"
                                       "CgKCAQEAonX4Qyh0CoDSIX2y2sDXaFma4xscL0n/B/joor6V1KX03g40sPkjNULa\n"
                                       "4Q/DXNXj1ryeAr15eHfoVhPhzSdc308ihQTotvuhTrl0PHmcbcBC4/QJzAbCEVap\n"
                                       "GBW1ZE99gwtB5sG3g09kUAK+4+eNjT2a7+fPNjfI2l+yGQ2oH0wVWhxqcCNHm6rs\n"
                                       "ZmAPAhbP9OfdavdA5esxPf3elczs7J6YmcJZiZ8AL99fCPzZGZ5XD7y4fkK5UcdU\n"
                                       "nwd0HXBjDmPrcdeZWEdU5b11GVQl1KCI9bEt8ioALoLpNNHya+SvxlanZfsk5shB\n"
                                       "tu4F/Vsbllnv+B75tDk3OCbtBKObNwIDAQABo0IwQDAOBgNVHQ8BAf8EBAMCAQYw\n"
                                       "DwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUjCjiOvT7U8X6SNNztH9hesDq4Egw\n"
                                       "DQYJKoZIhvcNAQELBQADggEBAAtoZFcfcMglq7yVpDOW9JEqQVLBxkH6OOxy65iv\n"
                                       "ykhkm5oBKBZScs/s+E7qxc6qDFNv3wzKGkWRmV8lk8dYZhKKah4/zZESmBGysNuu\n"
                                       "z1WvTi4pyFatC0R6wF0kAUzT+qfMLi7YdlVG2Q3jM8xVZ66qS2/HWJi04f9nU3hf\n"
                                       "SxuxqjtUI3wPyuWObnYW9l+TVozC00fuBFoRgLi+BTwxh8qlr2HQzLA7joh8xdl0\n"
                                       "rlsvVPa1+LX0z3hRgfXC8LOg1xcqWAOMjx1yXLmFKCmjCLCSTnEvOSkVPzLCaulO\n"
                                       "pAR4sZiC3GQOJtbhC0KStEjLDmwCVn/UdavTndpJdnSH3S4=\n"
                                       "-----END CERTIFICATE-----\n";

/* Not random: the fuzzer needs reproducible runs. Never use outside tests. */
static inline scepkit_err counter_fill(void *self, uint8_t *out, size_t len)
{
    uint32_t *c = self;
    for (size_t i = 0; i < len; i++) {
        *c = *c * 1103515245u + 12345u;
        out[i] = (uint8_t)(*c >> 16);
    }
    return SCEPKIT_OK;
}
static const scepkit_rng_ops counter_ops = {counter_fill};

#endif
