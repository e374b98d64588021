/* Designs from the command line (--design FILE, --set K=V): shared by run,
 * config, replay and compare (cli/hvsim.c). */
#ifndef HVSIM_CLI_DESIGN_H
#define HVSIM_CLI_DESIGN_H
#include "core/cfg.h"
#include "cpu/decode.h"

struct design_opts {
	const char *designs[16];
	unsigned ndesigns;
	const char *sets[64];
	unsigned nsets;
};

/* Appends v to arr (at most max): -1 with a message on stderr when full. */
int add_opt(const char **arr, unsigned *n, unsigned max, const char *v, const char *what);
/* The machine's default design for isa, the files, the --set values; NULL
 * with err_set on a bad file or value. */
struct cfg *build_cfg(enum isa isa, const struct design_opts *o);

#endif
