/* scepkit-server: a standalone SCEP server with an embedded CA (docs/server-tool.md). */
#include <string.h>

#include "srv_tool.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: scepkit-server <command> [options]\n"
           "\n"
           "commands:\n"
           "  init DIR                 create a CA (RSA-2048 default; --key rsa:4096|ec|ec:p384; --ra) and its config\n"
           "  run DIR                  serve SCEP (paths /scep, /cgi-bin/pkiclient.exe, /certsrv/mscep/mscep.dll)\n"
           "  export DIR [-o BASE]     write the CA certificate as BASE.cer (DER) and BASE.pem (default BASE: ca)\n"
           "  index DIR                list issued certificates (serial, status, dates, subject)\n"
           "  pending DIR              list requests waiting for approval\n"
           "  approve DIR TXID         issue a pending request\n"
           "  reject DIR TXID [--fail-info badRequest] [--reason TEXT]\n"
           "  revoke DIR SERIAL [--reason keyCompromise|superseded|...]\n"
           "  otp DIR [-n COUNT] [--profile NAME]\n"
           "                           one-time challenge passwords (single use, expire after otp_lifetime)\n"
           "  challenge DIR --subject DN [--dns NAME] [--email A] [--uri U] [--ip A] [--ttl SEC] [--days N]\n"
           "                           a dynamic challenge valid only for that subject and those names\n"
           "  crl DIR [-o FILE]        write a fresh CRL (DER)\n"
           "  version                  print the version\n"
           "\n"
           "DIR is the directory made by `init` (or its " SRV_CONF_NAME " file). Admin commands work while the\n"
           "server runs. `scepkit-server <command> --help` shows a command's options. Exit codes: 0 ok, 64 usage,\n"
           "65 bad input file, 66 not found, 69 unavailable (TLS), 70 internal, 71 cannot listen, 74 I/O,\n"
           "78 configuration (docs/server-tool.md).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SRV_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "init") == 0) {
        return srv_cmd_init(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "run") == 0) {
        return srv_cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("scepkit-server %s\n", scepkit_version());
        return SRV_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return SRV_EXIT_OK;
    }
    static const char *const admin[] = {"export", "index", "pending",   "approve", "reject",
                                        "revoke", "otp",   "challenge", "crl"};
    for (size_t i = 0; i < sizeof admin / sizeof admin[0]; i++) {
        if (strcmp(cmd, admin[i]) == 0) {
            return srv_cmd_admin(cmd, argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "scepkit-server: unknown command '%s'\n", cmd);
    usage(stderr);
    return SRV_EXIT_USAGE;
}
