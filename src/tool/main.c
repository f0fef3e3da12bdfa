/* scepkit: SCEP client and codec tool. Subcommands grow with the library. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: scepkit <command> [options]\n"
            "\n"
            "commands:\n"
            "  csr       make a PKCS#10 request (key file or generated key), or --show one\n"
            "  version   print the library version\n"
            "\n"
            "`scepkit <command> --help` shows a command's options. Exit codes: 0 ok, 64 usage,\n"
            "65 input could not be parsed or verified, 70 local error, 74 file I/O.\n");
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
