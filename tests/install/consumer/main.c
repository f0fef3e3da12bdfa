/* A program outside the tree, linking an installed scepkit. */
#include <scepkit/scepkit.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char out[64];
    size_t len = 0;
    scepkit_bytes in = scepkit_bytes_str("scepkit");
    if (scepkit_base64_encode(in, SCEPKIT_B64_STD, out, sizeof out, &len) != SCEPKIT_OK ||
        strcmp(out, "c2NlcGtpdA==") != 0) {
        fprintf(stderr, "consumer: base64 through the installed library failed\n");
        return 1;
    }
    printf("consumer: scepkit %s linked, %s\n", scepkit_version(), scepkit_strerror(SCEPKIT_OK));
    return 0;
}
