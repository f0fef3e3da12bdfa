/* scepkit: SCEP client and codec tool. Subcommands grow with the library. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: scepkit <command> [options]\n"
               "\n"
               "commands:\n"
               "  csr       make a PKCS#10 request (key file or generated key), or --show one\n"
               "  getcaps   show a SCEP server's capabilities\n"
               "  getca     fetch, show, verify and save the CA (and RA) certificates\n"
               "  enroll    enroll: PKCSReq, polling while PENDING\n"
               "  renew     renew a certificate (RenewalReq, or PKCSReq signed by it)\n"
               "  poll      resume a PENDING enrollment from its state file\n"
               "  getcert   fetch a certificate by serial number\n"
               "  getcrl    fetch the CRL covering a certificate\n"
               "  getnextca fetch the CA's rollover certificate\n"
               "  version   print the library version\n"
               "\n"
               "`scepkit <command> --help` shows a command's options. Exit codes: 0 ok, 64 usage,\n"
               "65 input could not be parsed or verified, 70 local error, 74 file I/O; SCEP commands also\n"
               "3 PENDING, 10+failInfo FAILURE, 69 transport, 76 bad server answer, 77 refused by policy\n"
               "(docs/cli.md).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "csr") == 0) {
        return cmd_csr(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "getcaps") == 0 || strcmp(cmd, "getca") == 0 || strcmp(cmd, "getnextca") == 0) {
        return cmd_getca(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "enroll") == 0 || strcmp(cmd, "renew") == 0 || strcmp(cmd, "poll") == 0) {
        return cmd_enroll(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "getcert") == 0 || strcmp(cmd, "getcrl") == 0) {
        return cmd_getcert(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("scepkit %s\n", scepkit_version());
        return TOOL_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    fprintf(stderr, "scepkit: unknown command '%s'\n", cmd);
    usage(stderr);
    return TOOL_EXIT_USAGE;
}
