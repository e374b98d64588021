/* Running a sweep: one 'hvsim run' process per point, N at a time, results
 * as one JSON line per point.  Experiment tooling above the run path.
 *
 * Results file: each line is a JSON object
 *   {"point": i, "id": "<input hash>", "workload": ..., "design": ...,
 *    "params": {"sim.quantum_cycles": "10000"}, "seed": "1", "rep": 0,
 *    "status": "ok" | "failed", "exit_code": n, "error": "...",
 *    "provenance": {"hvsim": ..., "unicorn": ..., "design_hash": ...,
 *                   "workload_hash": ..., "design": "<effective INI>"},
 *    "wall_s": 0.12, "stats": {... 'hvsim run --stats-format json' ...}}
 * sorted by point.  "id" hashes every input of the point (hvsim's version,
 * the ELF's bytes, the effective design, the run arguments): a re-run skips
 * the points whose id is already there.  Lines are appended to FILE.partial
 * as points finish (one write each) and FILE is replaced atomically at the
 * end, so a killed sweep loses at most the points that were running.  Only
 * wall_s differs between two runs of the same sweep. */
#ifndef HVSIM_SWEEP_RUN_H
#define HVSIM_SWEEP_RUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sweep/spec.h"

struct sweep_opts {
	unsigned jobs;             /* points at once */
	const char *out;           /* results file */
	const char *self;          /* the hvsim executable to run points with */
	unsigned shard, nshards;   /* run points with index % nshards == shard */
	bool progress;             /* a progress line on stderr */
};

/* Runs the sweep.  Returns 0 when every point ran (failed points included:
 * they are results), -1 + err_set when the sweep itself could not (a bad
 * design file, the results file not writable). */
int sweep_run(const struct sweep_spec *s, const struct sweep_opts *o, unsigned *nfailed);

/* Prints point i as "INDEX ID hvsim run OPTIONS... ELF": how to run it by
 * hand.  -1 + err_set on a bad design file. */
int sweep_point_command(const struct sweep_spec *s, const struct sweep_opts *o, size_t i, FILE *out);

/* Started by mpirun (or another MPI launcher)? */
bool sweep_mpi_launched(void);
/* The sweep across the ranks of an MPI job: rank 0 hands points to the
 * others as they become free and writes the results file (the same file a
 * local run writes); the other ranks run points.  Needs the sweep, design
 * and workload files at the same paths on every machine.  Returns as
 * sweep_run on rank 0, 1 on the other ranks. */
int sweep_run_mpi(const struct sweep_spec *s, const struct sweep_opts *o, unsigned *nfailed);

/* Joins results files (shards) into out: the union, sorted by point, each id
 * once.  -1 + err_set if two files disagree about a point. */
int sweep_merge(const char *const *in, unsigned n, const char *out);

#endif
