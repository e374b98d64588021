/* Figures from sweep results through gnuplot (Debian's gnuplot-nox): the
 * data go inline into a gnuplot script, which gnuplot renders to SVG, PDF or
 * PNG by the output file's extension.  Experiment tooling; knows no model. */
#ifndef HVSIM_SWEEP_PLOT_H
#define HVSIM_SWEEP_PLOT_H
#include <stdbool.h>

enum plot_kind {
	PLOT_BARS,      /* grouped bars: the categories of an object statistic (exits by
			 * reason) or the --cols values, one bar per series */
	PLOT_STACKED,   /* one stacked bar per series, a segment per category
			 * (the cost breakdown per exit class) */
	PLOT_CDF,       /* a histogram statistic's distribution, one line per series */
	PLOT_LINE,      /* the statistic over a numeric axis key, one line per series,
			 * error bars where points repeat */
};

#define PLOT_MAX_KEYS 8

struct plot_opts {
	enum plot_kind kind;
	const char *value;                  /* statistic path (see sweep/results.h) */
	const char *series[PLOT_MAX_KEYS];  /* keys naming a series (default: design) */
	unsigned nseries;
	const char *cols[PLOT_MAX_KEYS];    /* bars of a scalar: the categories (default: workload) */
	unsigned ncols;
	const char *x;                      /* line: the axis key */
	const char *where[16];
	unsigned nwhere;
	const char *title, *xlabel, *ylabel;
	bool logx, logy;
	const char *out;                    /* .svg, .pdf or .png */
	const char *script;                 /* also write the gnuplot script here; NULL: no */
};

/* -1 + err_set: a bad results file, a statistic of the wrong shape, gnuplot
 * missing or failing. */
int plot_write(const char *results, const struct plot_opts *o);

#endif
