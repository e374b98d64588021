/* hvsim plot: figures from sweep results. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/sweep.h"
#include "core/err.h"
#include "sweep/plot.h"

const char plot_help[] =
	"usage: hvsim plot [options] -o FIGURE RESULTS\n"
	"A figure from a sweep's results file through gnuplot; FIGURE ends in .svg,\n"
	".pdf or .png.  Points that share a bar or a line point are averaged.\n"
	"\n"
	"  --kind KIND       bars (default): grouped bars, the categories of an object\n"
	"                    statistic (--value exits) or the --cols values, a bar per\n"
	"                    series; stacked: a stacked bar per series, a segment per\n"
	"                    category (--value exit_cycles); cdf: the distribution of\n"
	"                    a histogram (--value gic.delivery_latency_cycles); line:\n"
	"                    the statistic over a numeric axis (--x), with 95% CI bars\n"
	"  --value STAT      statistic path, as for hvsim report (default: exits)\n"
	"  --series KEYS     keys naming a series, comma-separated (default: design)\n"
	"  --cols KEYS       categories of a scalar bar plot (default: workload)\n"
	"  --x KEY           line plots: the axis key on the x axis\n"
	"  --where KEY=VAL   only points with this value (repeatable)\n"
	"  --title, --xlabel, --ylabel TEXT   labels (axis labels default to the\n"
	"                    statistic and key names: give units here)\n"
	"  --logx, --logy    logarithmic axes\n"
	"  --script FILE     keep the gnuplot script (to adjust and rerun by hand)\n"
	"\n"
	"Exit status: 0, 2 usage, 3 bad results file, statistic or key, or gnuplot failed.\n";

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hvsim: plot: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'hvsim help plot')\n");
	return 2;
}

static int keys(char *s, const char **k, unsigned *n, const char *opt)
{
	*n = 0;
	for (char *save, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == PLOT_MAX_KEYS)
			return usage("%s: at most 8 keys", opt);
		k[(*n)++] = t;
	}
	return *n ? 0 : usage("%s: no key given", opt);
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "value", required_argument, NULL, 'v' },
		{ "series", required_argument, NULL, 's' }, { "cols", required_argument, NULL, 'c' },
		{ "x", required_argument, NULL, 'x' }, { "where", required_argument, NULL, 'w' },
		{ "title", required_argument, NULL, 't' }, { "xlabel", required_argument, NULL, 'X' },
		{ "ylabel", required_argument, NULL, 'Y' }, { "logx", no_argument, NULL, 'L' },
		{ "logy", no_argument, NULL, 'M' }, { "script", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct plot_opts o = { .value = "exits", .series = { "design" }, .nseries = 1, .cols = { "workload" },
			       .ncols = 1 };
	int c, rc;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!strcmp(optarg, "bars")) o.kind = PLOT_BARS;
			else if (!strcmp(optarg, "stacked")) o.kind = PLOT_STACKED;
			else if (!strcmp(optarg, "cdf")) o.kind = PLOT_CDF;
			else if (!strcmp(optarg, "line")) o.kind = PLOT_LINE;
			else return usage("--kind '%s' is not bars, stacked, cdf or line", optarg);
			break;
		case 'v': o.value = optarg; break;
		case 's': if ((rc = keys(optarg, o.series, &o.nseries, "--series"))) return rc; break;
		case 'c': if ((rc = keys(optarg, o.cols, &o.ncols, "--cols"))) return rc; break;
		case 'x': o.x = optarg; break;
		case 'w':
			if (o.nwhere == 16)
				return usage("%s", "at most 16 --where");
			o.where[o.nwhere++] = optarg;
			break;
		case 't': o.title = optarg; break;
		case 'X': o.xlabel = optarg; break;
		case 'Y': o.ylabel = optarg; break;
		case 'L': o.logx = true; break;
		case 'M': o.logy = true; break;
		case 'S': o.script = optarg; break;
		case 'o': o.out = optarg; break;
		case 'h': fputs(plot_help, stdout); return 0;
		default: return usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (!o.out)
		return usage("%s", "say where the figure goes: -o FIGURE.svg|.pdf|.png");
	if (optind != argc - 1)
		return usage("%s", "give one results file");
	if (plot_write(argv[optind], &o) < 0) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		return 3;
	}
	return 0;
}
