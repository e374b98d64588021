/* The designs of the machines: every key a machine's models declare, and the
 * built-in default design files (embedded at build time, Makefile:
 * designs_embedded.c).  The one place that says which models make up a
 * machine's design, for hvsim run, the tests and the fuzz targets alike. */
#ifndef HVSIM_PLATFORM_DESIGNS_H
#define HVSIM_PLATFORM_DESIGNS_H
#include "core/cfg.h"
#include "cpu/decode.h"

extern const char hvsim_default_design_arm64[];
extern const char hvsim_default_design_x86[];

/* Declares every key of the machine for isa (virt for A64, pc for x86-64).
 * -1 + err_set. */
int design_declare(struct cfg *c, enum isa isa);
/* design_declare, then the built-in default design over it. */
int design_load_default(struct cfg *c, enum isa isa);
#endif
