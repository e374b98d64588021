/* Tables from sweep results (sweep/run.h): points grouped into rows and
 * columns by any of their keys, one statistic per cell, aggregated over the
 * points that share a cell (repetitions, seeds, axes left out): mean, with
 * a 95% confidence interval (Student's t) where there are several.  Ratios
 * against a baseline and geometric means on request.  Experiment tooling:
 * reads results files, knows no model. */
#ifndef HVSIM_SWEEP_REPORT_H
#define HVSIM_SWEEP_REPORT_H
#include <stdbool.h>
#include <stdio.h>

enum report_format { REPORT_TEXT, REPORT_MARKDOWN, REPORT_LATEX, REPORT_CSV };

#define REPORT_MAX_KEYS 8
#define REPORT_MAX_FILTERS 16

struct report_opts {
	/* Grouping keys: "design", "workload", "seed", "rep", "status" or an
	 * axis key ("sim.quantum_cycles"). */
	const char *rows[REPORT_MAX_KEYS];
	unsigned nrows;
	const char *cols[REPORT_MAX_KEYS];
	unsigned ncols;
	/* The statistic: a path into a point's "stats" ("exits_total",
	 * "exits.HVC64", "vcpus.0.cycles"), or "wall_s". */
	const char *value;
	/* Only points whose key has this value ("design=base"). */
	const char *where[REPORT_MAX_FILTERS];
	unsigned nwhere;
	/* "KEY=VALUE": each cell divided by the cell that differs only in KEY,
	 * which has VALUE. */
	const char *baseline;
	bool geomean;              /* a last row: geometric mean of each column */
	enum report_format format;
	const char *title;         /* LaTeX caption / Markdown heading; NULL: none */
};

/* -1 + err_set on a bad results file or a key no point has. */
int report_write(const char *results, const struct report_opts *o, FILE *out);

/* Every point of a results file as CSV: the point's keys, then every
 * numeric statistic, flattened with dots ("exits.HVC64"). */
int report_flat_csv(const char *results, FILE *out);

#endif
