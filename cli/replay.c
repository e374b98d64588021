/* hvsim replay, hvsim compare: a KVM exit trace re-costed under designs
 * (traces/replay.h). */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/design.h"
#include "cli/replay.h"
#include "core/err.h"
#include "traces/replay.h"
#include "traces/trace.h"

enum { EXIT_USAGE = 2, EXIT_BADINPUT = 3 };

const char replay_help[] =
	"usage: hvsim replay TRACE [--design FILE]... [--set SECTION.KEY=VAL]... [--format F]\n"
	"                          [--strict] [--json|--csv] [--stats FILE [--stats-format json|text|csv]]\n"
	"Replays a KVM exit trace (TRACE, or - for standard input) under a design: each\n"
	"kvm_exit, with the events around it (kvm_msr, kvm_pio, kvm_mmio,\n"
	"kvm_userspace_exit, kvm_wfx_arm64, kvm_sys_access, ...), becomes the guest\n"
	"event that caused it, and the design's models (the ones hvsim run uses)\n"
	"decide whether it exits, with which reason, at what cost.  Guest time between\n"
	"exits is kept.  Prints exits by reason and cycles as recorded and under the\n"
	"design, the guest-time fraction, what was removed, added, undecidable (the\n"
	"trace lacks an event the decision needs: kept as recorded, never guessed) or\n"
	"unmodelled, in total and per vCPU.  The design is the machine's default\n"
	"(designs/default-<arch>.ini for the trace's architecture) with the --design\n"
	"files and --set values over it, as for hvsim run.\n"
	"\n"
	"  --format F      read TRACE as F (ftrace, perf, trace.dat) instead of detecting it\n"
	"  --strict        the first malformed line is an error (exit 3, naming file:line)\n"
	"  --json, --csv   print JSON or CSV instead of text tables\n"
	"  --stats FILE    the design's statistics with hvsim run's keys (exits_total,\n"
	"                  exits.<reason>, exit_cycles.<reason>, cycles, vcpus.N.*) plus\n"
	"                  removed.*, added.*, undecidable, unmodelled, source.*\n"
	"  --stats-format  json (default), text or csv\n"
	"\n"
	"Timestamps: ns (secs.usecs) are converted with [cpu] freq_mhz; a bare counter\n"
	"(trace_clock x86-tsc or counter, and hvsim run --trace-out) is taken as cycles.\n"
	"Exit status: 0; 2 usage; 3 bad input (cannot open or read the trace, unknown\n"
	"format, a bad design, --strict and a malformed line).\n";

const char compare_help[] =
	"usage: hvsim compare TRACE --design A.ini --design B.ini [...] [--set K=V]... [--format F]\n"
	"                           [--strict] [--json|--csv]\n"
	"Replays TRACE once under each design (each --design is one design, over the\n"
	"machine's default; --set applies to all) and prints them side by side: exits\n"
	"and cycles by reason, the ratios to the trace, and the reasons whose cycles\n"
	"changed most from the first design.  Options as for hvsim replay.\n";

static int usage(const char *msg, const char *arg, const char *cmd)
{
	fprintf(stderr, "hvsim: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\n(try 'hvsim help %s')\n", cmd);
	return EXIT_USAGE;
}

struct load_ctx {
	bool compare;
	const struct design_opts *o;
};

static void design_name(char *buf, size_t n, const char *path)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", path);
	char *b = basename(tmp), *dot = strrchr(b, '.');
	if (dot && dot != b)
		*dot = 0;
	snprintf(buf, n, "%s", b);
}

static int load(void *ctx, enum trace_arch arch, unsigned i, struct replay_design *d)
{
	const struct load_ctx *l = ctx;
	struct design_opts o = *l->o;
	if (l->compare) {
		o.designs[0] = l->o->designs[i];
		o.ndesigns = 1;
	}
	struct cfg *c = build_cfg(arch == TRACE_ARCH_ARM64 ? ISA_A64 : ISA_X86_64, &o);
	if (!c)
		return -1;
	char name[64] = "default";
	if (o.ndesigns)
		design_name(name, sizeof name, o.designs[o.ndesigns - 1]);
	if (o.nsets && !l->compare)
		snprintf(name + strlen(name), sizeof name - strlen(name), "%s", "+set");
	int rc = replay_design_init(d, arch, c, name);
	cfg_free(c);
	return rc;
}

/* A progress bar on standard error when it is a terminal. */
struct progress {
	bool on;
	uint64_t size, next;
};

static void progress_start(struct progress *p, const char *path)
{
	struct stat st;
	p->on = isatty(2) && strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (1 << 24);
	p->size = p->on ? (uint64_t)st.st_size : 0;
	p->next = 0;
}

static void progress_tick(struct progress *p, const struct trace_reader *tr)
{
	uint64_t b = trace_reader_bytes(tr);
	if (!p->on || b < p->next)
		return;
	p->next = b + p->size / 100;
	unsigned pct = (unsigned)(b * 100 / p->size), w = pct * 40 / 100;
	fprintf(stderr, "\rreplay [%-40.*s] %3u%%", (int)w, "========================================", pct);
}

static void progress_end(const struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\r%60s\r", "");
}

static int read_all(struct trace_reader *tr, struct replay *r, struct progress *p)
{
	struct trace_event ev;
	int rc;
	uint64_t n = 0;
	while ((rc = trace_next(tr, &ev)) > 0) {
		if (replay_add(r, &ev) < 0)
			return -1;
		if ((++n & 0xffff) == 0)
			progress_tick(p, tr);
	}
	progress_end(p);
	replay_finish(r);
	return rc;
}

static int write_stats(const struct replay *r, const struct trace_reader *tr, const char *path, const char *fmt)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "hvsim: %s: cannot write\n", path);
		return EXIT_BADINPUT;
	}
	int rc = replay_stats(r, tr, 0, fmt, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0) {
		fprintf(stderr, "hvsim: %s: %s\n", path, err_msg());
		return EXIT_BADINPUT;
	}
	return 0;
}

struct replay_opts {
	struct design_opts d;
	enum trace_format fmt;
	enum replay_fmt out;
	bool strict;
	const char *stats, *stats_fmt, *path;
};

static int parse(int argc, char **argv, struct replay_opts *o, const char *cmd, const char *help)
{
	static const struct option opts[] = {
		{ "design", required_argument, 0, 'd' }, { "set", required_argument, 0, 's' },
		{ "format", required_argument, 0, 'f' }, { "strict", no_argument, 0, 'S' },
		{ "json", no_argument, 0, 'j' }, { "csv", no_argument, 0, 'c' },
		{ "stats", required_argument, 0, 'o' }, { "stats-format", required_argument, 0, 'F' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': if (add_opt(o->d.designs, &o->d.ndesigns, 16, optarg, "--design") < 0) return EXIT_USAGE; break;
		case 's': if (add_opt(o->d.sets, &o->d.nsets, 64, optarg, "--set") < 0) return EXIT_USAGE; break;
		case 'f':
			if (trace_format_parse(optarg, &o->fmt) < 0)
				return usage("--format: %s", err_msg(), cmd);
			break;
		case 'S': o->strict = true; break;
		case 'j': o->out = REPLAY_JSON; break;
		case 'c': o->out = REPLAY_CSV; break;
		case 'o': o->stats = optarg; break;
		case 'F':
			if (strcmp(optarg, "json") && strcmp(optarg, "text") && strcmp(optarg, "csv"))
				return usage("--stats-format: '%s' (json, text, csv)", optarg, cmd);
			o->stats_fmt = optarg;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: return usage("bad option for '%s'", cmd, cmd);
		}
	}
	if (optind != argc - 1)
		return usage("%s: give one trace", cmd, cmd);
	o->path = argv[optind];
	return 0;
}

static int run(struct replay_opts *o, bool compare)
{
	struct load_ctx l = { compare, &o->d };
	struct trace_reader *tr = trace_open(o->path, o->fmt, o->strict);
	struct replay *r = tr ? replay_new(compare ? o->d.ndesigns : 1, load, &l) : NULL;
	struct progress p;
	progress_start(&p, o->path);
	int status = 0;
	if (!tr || !r || read_all(tr, r, &p) < 0) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		status = EXIT_BADINPUT;
	} else if ((compare ? replay_print_compare : replay_print)(r, tr, o->path, o->out, stdout) < 0 ||
		   fflush(stdout) != 0) {
		fprintf(stderr, "hvsim: cannot write the summary\n");
		status = EXIT_BADINPUT;
	} else if (o->stats) {
		status = write_stats(r, tr, o->stats, o->stats_fmt ? o->stats_fmt : "json");
	}
	replay_free(r);
	trace_close(tr);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { .fmt = TRACE_FMT_AUTO };
	int rc = parse(argc, argv, &o, "replay", replay_help);
	return rc ? (rc < 0 ? 0 : rc) : run(&o, false);
}

int cmd_compare(int argc, char **argv)
{
	struct replay_opts o = { .fmt = TRACE_FMT_AUTO };
	int rc = parse(argc, argv, &o, "compare", compare_help);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.d.ndesigns < 2 || o.d.ndesigns > REPLAY_MAX_DESIGNS)
		return usage("compare: give 2 to %s --design files", "8", "compare");
	if (o.stats)
		return usage("compare: %s", "--stats is for hvsim replay (one design)", "compare");
	return run(&o, true);
}
