/**
 * @file common.h
 * @brief Shared types of scepkit: byte views, the export macro and the scratch arena.
 *
 * Conventions (see docs/design.md):
 * - Every function returns a ::scepkit_err and nothing else; lengths come back
 *   through out-parameters.
 * - Inputs are `{ptr,len}` views (::scepkit_bytes) that the library never
 *   frees. Parsed results are views that point into the caller's input: the
 *   input must outlive the result.
 * - Output goes into caller buffers. A writer given a NULL buffer (or one too
 *   small) still reports the size it needs.
 * - Scratch memory comes from a caller-owned ::scepkit_arena whose worst-case
 *   size for each operation is a published macro.
 */
#ifndef SCEPKIT_COMMON_H
#define SCEPKIT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "scepkit/config.h"
#include "scepkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A read-only view of bytes owned by someone else. `ptr` may be NULL when `len` is 0. */
typedef struct scepkit_bytes {
    const uint8_t *ptr;
    size_t len;
} scepkit_bytes;

/** Makes a view of a NUL-terminated string (without the NUL). */
SCEPKIT_API scepkit_bytes scepkit_bytes_str(const char *s);

/**
 * A bump allocator over caller memory. Allocations are 16-byte aligned.
 * Released regions are wiped (they may have held secrets).
 * The arena never calls malloc.
 */
typedef struct scepkit_arena {
    uint8_t *base; /**< caller memory */
    size_t cap;    /**< its size */
    size_t used;   /**< bytes handed out */
    size_t peak;   /**< highest `used` seen: measure worst cases with it */
} scepkit_arena;

/** Starts an arena over `mem[0..cap)`. `mem` must outlive every allocation. */
SCEPKIT_API void scepkit_arena_init(scepkit_arena *a, void *mem, size_t cap);

/**
 * Takes `n` bytes (rounded up to 16) from the arena.
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARENA_EXHAUSTED (nothing taken), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_arena_alloc(scepkit_arena *a, size_t n, void **out);

/** Current position, to hand back with scepkit_arena_release(). */
SCEPKIT_API size_t scepkit_arena_mark(const scepkit_arena *a);

/** Wipes and frees everything allocated since `mark`. */
SCEPKIT_API void scepkit_arena_release(scepkit_arena *a, size_t mark);

/** Wipes memory in a way the compiler may not remove. */
SCEPKIT_API void scepkit_wipe(void *p, size_t n);

/** Constant-time comparison: 0 when equal. Time depends only on `n`. */
SCEPKIT_API int scepkit_ct_memcmp(const void *a, const void *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif
