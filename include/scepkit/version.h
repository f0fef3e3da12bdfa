/** @file version.h @brief Library version. */
#ifndef SCEPKIT_VERSION_H
#define SCEPKIT_VERSION_H

#include "scepkit/config.h"

#define SCEPKIT_VERSION_MAJOR 0
#define SCEPKIT_VERSION_MINOR 1
#define SCEPKIT_VERSION_PATCH 0
#define SCEPKIT_VERSION_STRING "0.1.0"

/** The version the library was built as (may differ from the header in a mismatched install). */
SCEPKIT_API const char *scepkit_version(void);

#endif
