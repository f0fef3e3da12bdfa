/* The scepkit command-line tool: shared helpers. The tool is a host program (it may use the heap);
 * the library underneath does not. */
#ifndef SCEPKIT_TOOL_H
#define SCEPKIT_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scepkit/scepkit.h"

/* Documented exit codes (docs/cli.md). */
enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_USAGE = 64, /* bad command line */
    TOOL_EXIT_INPUT = 65, /* input could not be parsed or did not verify */
    TOOL_EXIT_LOCAL = 70, /* local error: key, crypto, library */
    TOOL_EXIT_IO = 74,    /* file could not be read or written */
};

extern int tool_verbose;

uint8_t *tool_read_file(const char *path, size_t *len);
int tool_write_file(const char *path, const uint8_t *data, size_t len, int private_mode);
/* Reads DER or PEM (with `label`, NULL = any) into a fresh heap buffer of DER. */
uint8_t *tool_read_der(const char *path, const char *label, size_t *len);
/* Writes DER as PEM (label) or DER to path ("-" or NULL = stdout). */
int tool_write_der_or_pem(const char *path, const uint8_t *der, size_t len, const char *label, int as_pem);
void tool_err(const char *what, scepkit_err e);
void tool_hex(FILE *f, const uint8_t *p, size_t n, const char *sep);

int cmd_csr(int argc, char **argv);
/* SCEP client subcommands (src/tool/cmd_getca.c, cmd_enroll.c, cmd_getcert.c); argv[0] is the subcommand. */
int cmd_getca(int argc, char **argv);   /* getcaps, getca, getnextca */
int cmd_enroll(int argc, char **argv);  /* enroll, renew, poll */
int cmd_getcert(int argc, char **argv); /* getcert, getcrl */

#endif
