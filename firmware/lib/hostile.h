/* Helpers for the hostile guests (firmware/{arm64,x86}/hostile/): checks
 * that print what the guest saw, so the integration tests can grep both the
 * verdict and the value.  Each failed CHECK prints one "FAIL" line; a guest
 * ends with hostile_done(), whose exit status is 0 only if every check held. */
#ifndef HOSTILE_H
#define HOSTILE_H
#include "rt.h"

static unsigned hostile_failures;

/* CHECK(cond, fmt, ...): prints "ok: ..." or "FAIL: ..." with the values. */
#define CHECK(cond, fmt, ...) do {                                         \
        if (cond) {                                                        \
            printf("ok: " fmt "\n", ##__VA_ARGS__);                        \
        } else {                                                           \
            hostile_failures++;                                            \
            printf("FAIL: " fmt "\n", ##__VA_ARGS__);                      \
        }                                                                  \
    } while (0)

/* Last word of a guest: "NAME: done, N failures", status 0 or 1. */
static inline int hostile_done(const char *name)
{
    printf("%s: done, %u failures\n", name, hostile_failures);
    return hostile_failures ? 1 : 0;
}

#endif
