/**
 * @file scepkit.h
 * @brief Umbrella header of scepkit, an embeddable library for SCEP (RFC 8894) enrollment.
 *
 * @mainpage scepkit
 *
 * Conventions (details in docs/design.md):
 * - Every function returns ::scepkit_err; lengths come back through out-parameters.
 * - Inputs are views (::scepkit_bytes); parsed results are views into the caller's input.
 * - Outputs go to caller buffers; a NULL buffer asks for the size only.
 * - Scratch memory comes from a caller ::scepkit_arena sized by a published worst-case macro.
 * - Plug points (key, rng, and later transport, CA, store) are `{ ops, self }` pairs.
 * - Private keys are reached only through the key port: the library hashes, the port signs.
 * - No global mutable state, no exit(), secrets wiped on every path.
 */
#ifndef SCEPKIT_H
#define SCEPKIT_H

#include "scepkit/client.h"
#include "scepkit/cms.h"
#include "scepkit/common.h"
#include "scepkit/config.h"
#include "scepkit/crypto.h"
#include "scepkit/csr.h"
#include "scepkit/error.h"
#include "scepkit/key.h"
#include "scepkit/name.h"
#include "scepkit/pem.h"
#include "scepkit/scep.h"
#include "scepkit/transport.h"
#include "scepkit/version.h"
#include "scepkit/x509.h"

#endif
