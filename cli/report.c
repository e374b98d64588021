/* hvsim report: tables from sweep results. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/sweep.h"
#include "core/err.h"
#include "sweep/report.h"

const char report_help[] =
	"usage: hvsim report [options] RESULTS\n"
	"A table from a sweep's results file (hvsim sweep): points grouped into rows\n"
	"and columns by their keys, one statistic per cell, averaged over the points\n"
	"that share a cell, with a 95% confidence interval (Student's t) where there\n"
	"are several (repetitions, seeds).  Failed points are left out and counted.\n"
	"\n"
	"  --rows KEYS       row keys, comma-separated (default: design); a key is\n"
	"                    design, workload, seed, rep, status or an axis key\n"
	"  --cols KEYS       column keys (default: workload)\n"
	"  --value STAT      statistic: a path into the run statistics, such as\n"
	"                    exits_total, cycles, exits.HVC64, vcpus.0.cycles, or\n"
	"                    wall_s (default: cycles)\n"
	"  --where KEY=VAL   only points with this value (repeatable)\n"
	"  --baseline KEY=VAL  each cell divided by the cell with KEY=VAL instead\n"
	"  --geomean         add the geometric mean of each column\n"
	"  --format FMT      text, markdown, latex (booktabs tabular) or csv\n"
	"  --title TEXT      a heading (Markdown) or comment (LaTeX)\n"
	"  --points          every point as CSV, statistics flattened (no table)\n"
	"\n"
	"Exit status: 0, 2 usage, 3 bad results file or a key no point has.\n";

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hvsim: report: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'hvsim help report')\n");
	return 2;
}

/* "a,b,c" into keys (the string is modified). */
static int split_keys(char *s, const char **keys, unsigned *n, const char *opt)
{
	*n = 0;
	for (char *save, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == REPORT_MAX_KEYS)
			return usage("%s: at most 8 keys", opt);
		keys[(*n)++] = t;
	}
	return *n ? 0 : usage("%s: no key given", opt);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rows", required_argument, NULL, 'r' },
		{ "cols", required_argument, NULL, 'c' },
		{ "value", required_argument, NULL, 'v' },
		{ "where", required_argument, NULL, 'w' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "geomean", no_argument, NULL, 'g' },
		{ "format", required_argument, NULL, 'f' },
		{ "title", required_argument, NULL, 't' },
		{ "points", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { .rows = { "design" }, .nrows = 1, .cols = { "workload" }, .ncols = 1,
				 .value = "cycles" };
	bool points = false;
	int c, rc;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': if ((rc = split_keys(optarg, o.rows, &o.nrows, "--rows"))) return rc; break;
		case 'c': if ((rc = split_keys(optarg, o.cols, &o.ncols, "--cols"))) return rc; break;
		case 'v': o.value = optarg; break;
		case 'w':
			if (o.nwhere == REPORT_MAX_FILTERS)
				return usage("%s", "at most 16 --where");
			o.where[o.nwhere++] = optarg;
			break;
		case 'b': o.baseline = optarg; break;
		case 'g': o.geomean = true; break;
		case 't': o.title = optarg; break;
		case 'p': points = true; break;
		case 'f':
			if (!strcmp(optarg, "text")) o.format = REPORT_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) o.format = REPORT_MARKDOWN;
			else if (!strcmp(optarg, "latex")) o.format = REPORT_LATEX;
			else if (!strcmp(optarg, "csv")) o.format = REPORT_CSV;
			else return usage("--format '%s' is not text, markdown, latex or csv", optarg);
			break;
		case 'h': fputs(report_help, stdout); return 0;
		default: return usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage("%s", "give one results file");
	rc = points ? report_flat_csv(argv[optind], stdout) : report_write(argv[optind], &o, stdout);
	if (rc < 0) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		return 3;
	}
	return 0;
}
