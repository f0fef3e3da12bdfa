/* Byte views, the scratch arena, wiping and constant-time comparison. */
#include <string.h>

#include "scepkit/common.h"
#include "scepkit/version.h"

scepkit_bytes scepkit_bytes_str(const char *s)
{
    scepkit_bytes b = {(const uint8_t *)s, s != NULL ? strlen(s) : 0};
    return b;
}

void scepkit_wipe(void *p, size_t n)
{
    /* A volatile function pointer keeps the compiler from proving the store dead. */
    static void *(*const volatile set)(void *, int, size_t) = memset;
    if (p != NULL && n != 0) {
        (void)set(p, 0, n);
    }
}

int scepkit_ct_memcmp(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a;
    const volatile uint8_t *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint8_t)(x[i] ^ y[i]);
    }
    return acc != 0;
}

#define ARENA_ALIGN 16u

void scepkit_arena_init(scepkit_arena *a, void *mem, size_t cap)
{
    if (a == NULL) {
        return;
    }
    a->base = mem;
    a->cap = mem != NULL ? cap : 0;
    a->used = 0;
    a->peak = 0;
    /* Align the start so every allocation is 16-aligned in absolute terms. */
    if (a->base != NULL) {
        size_t mis = (size_t)((uintptr_t)a->base % ARENA_ALIGN);
        if (mis != 0) {
            size_t skip = ARENA_ALIGN - mis;
            a->used = skip <= a->cap ? skip : a->cap;
            a->peak = a->used;
        }
    }
}

scepkit_err scepkit_arena_alloc(scepkit_arena *a, size_t n, void **out)
{
    if (a == NULL || out == NULL) {
        return SCEPKIT_ERR_ARG;
    }
    *out = NULL;
    size_t rounded = (n + (ARENA_ALIGN - 1u)) & ~(size_t)(ARENA_ALIGN - 1u);
    if (rounded < n || a->base == NULL || a->used > a->cap || rounded > a->cap - a->used) {
        return SCEPKIT_ERR_ARENA_EXHAUSTED;
    }
    *out = a->base + a->used;
    a->used += rounded;
    if (a->used > a->peak) {
        a->peak = a->used;
    }
    return SCEPKIT_OK;
}

size_t scepkit_arena_mark(const scepkit_arena *a)
{
    return a != NULL ? a->used : 0;
}

void scepkit_arena_release(scepkit_arena *a, size_t mark)
{
    if (a == NULL || mark > a->used) {
        return;
    }
    scepkit_wipe(a->base + mark, a->used - mark);
    a->used = mark;
}

const char *scepkit_version(void)
{
    return SCEPKIT_VERSION_STRING;
}
