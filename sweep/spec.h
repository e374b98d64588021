/* Sweep files: the points of a design-space exploration.  Experiment
 * tooling, above the run path (it runs 'hvsim run' once per point); knows
 * no model.
 *
 *   [sweep]
 *   name = trap-controls     ; results go to <name>.jsonl beside the sweep file
 *   combine = cross          ; cross: every combination of the axes; zip: i-th with i-th
 *   repeat = 1               ; repetitions of each point
 *   seeds = 1 2 3            ; optional: ${seed} in a workload's args, one point each
 *
 *   [workload hello]
 *   elf = ../../firmware/arm64/hello.elf   ; relative to the sweep file
 *   args = --max-insns 1000000             ; more 'hvsim run' options
 *   status = 0               ; exit status of a successful run (x86 guests: 33)
 *
 *   [design base]            ; no keys: the machine's default design
 *   [design no-tid3]
 *   files = a.ini b.ini      ; --design files, in order
 *   set = el2.hcr_el2=0x80000000           ; --set assignments, blank-separated
 *   arch = arm64             ; optional: only for workloads of this machine
 *
 *   [axis quantum]
 *   key = sim.quantum_cycles ; a design key (--set)
 *   values = 10000 100000    ; or: range = FROM TO *F | +S   (1000 100000 *10)
 *
 * Points are enumerated in a fixed order: workload, design, axis values,
 * seed, repetition (the first varies slowest), so results are the same
 * whatever the order they finish in. */
#ifndef HVSIM_SWEEP_SPEC_H
#define HVSIM_SWEEP_SPEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_WORDS 64     /* files, sets, args, values per entry */
#define SWEEP_MAX_ENTRIES 64   /* workloads, designs, axes */
#define SWEEP_MAX_POINTS 1000000

struct sweep_words {
	char *w[SWEEP_MAX_WORDS];
	unsigned n;
};

struct sweep_workload {
	char *name;
	char *elf;                 /* resolved path */
	const char *arch;          /* "arm64" or "x86", from the ELF's e_machine */
	struct sweep_words args;
	unsigned status;           /* the exit status that means the guest's checks passed */
	unsigned line;
};

struct sweep_design {
	char *name;
	struct sweep_words files;  /* resolved paths */
	struct sweep_words sets;
	char *arch;                /* NULL, "arm64" or "x86" */
	unsigned line;
};

struct sweep_axis {
	char *name;
	char *key;
	struct sweep_words values;
	unsigned line;
};

struct sweep_spec {
	char *path;                /* the sweep file */
	char *dir;                 /* its directory: base of relative paths */
	char *name;
	bool zip;
	unsigned repeat;
	struct sweep_words seeds;
	struct sweep_workload wl[SWEEP_MAX_ENTRIES];
	unsigned nwl;
	struct sweep_design ds[SWEEP_MAX_ENTRIES];
	unsigned nds;
	struct sweep_axis ax[SWEEP_MAX_ENTRIES];
	unsigned nax;
	/* (workload, design) pairs whose machines agree, in enumeration order */
	uint16_t pair[SWEEP_MAX_ENTRIES * SWEEP_MAX_ENTRIES][2];
	unsigned npairs;
};

/* One point: indexes into the spec. */
struct sweep_point {
	unsigned index;            /* position in the enumeration */
	unsigned wl, ds;
	unsigned val[SWEEP_MAX_ENTRIES];  /* per axis: index of its value */
	int seed;                  /* index into seeds, -1: none */
	unsigned rep;
};

/* Parses a sweep file.  Errors name the file, the line and the key:
 * "<file>:<line>: axis quantum: 'values' and 'range' are exclusive".
 * Returns NULL with err_set. */
struct sweep_spec *sweep_spec_load(const char *path);
void sweep_spec_free(struct sweep_spec *s);

/* Number of points, and the i-th (0 <= i < count). */
size_t sweep_point_count(const struct sweep_spec *s);
void sweep_point_get(const struct sweep_spec *s, size_t i, struct sweep_point *p);

#endif
