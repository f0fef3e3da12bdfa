/* Internal interfaces of the SCEP client (src/scep/caps.c, cacert.c, client.c, client_state.c, http.c). */
#ifndef SCEPKIT_SCEP_CLIENT_INTERNAL_H
#define SCEPKIT_SCEP_CLIENT_INTERNAL_H

#include "scepkit/client.h"

/* Engine phases. Values are stable: they are written to the state blob (docs/client.md). */
enum skit_phase {
    SKIT_PH_CAPS = 1, /* GetCACaps next */
    SKIT_PH_CA = 2,   /* GetCACert next */
    SKIT_PH_REQ = 3,  /* the operation's request next (PKCSReq/RenewalReq, GetCert, GetCRL, GetNextCACert) */
    SKIT_PH_POLL = 4, /* PENDING: CertPoll next */
    SKIT_PH_DONE = 5, /* finished */
};

/* The query builder; `msg` may lie at the tail of `out` (see http.c for the bound). */
scepkit_err skit_http_query_build(const char *operation, scepkit_bytes msg, int binary, char *out, size_t cap,
                                  size_t *len);

/* Sets up the engine's memory regions from cfg (shared by init and restore). */
scepkit_err skit_client_setup(scepkit_client *c, const scepkit_client_config *cfg, void *mem, size_t mem_len);

/* Checks loaded state against the configuration (algorithms vs policy, CA vs pins) and rebuilds views. */
scepkit_err skit_client_after_load(scepkit_client *c);

/* State blob codec (client_state.c, the only file that includes libcbor).
 * skit_state_decode() fills the protocol-state fields of `c` (set up by skit_client_setup); `check_sum`
 * 0 skips the checksum (the fuzz target uses it to reach the field decoder). */
scepkit_err skit_state_encode(const scepkit_client *c, uint8_t *out, size_t cap, size_t *len);
scepkit_err skit_state_decode(scepkit_client *c, scepkit_bytes blob, int check_sum);
/* The op a blob was saved by (its header and first field only; no checksum). */
scepkit_err skit_state_peek_op(scepkit_bytes blob, scepkit_client_op *op);

#endif
