/* hvsim sweep: runs every point of a sweep file, or joins shards. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/sweep.h"
#include "core/err.h"
#include "sweep/run.h"
#include "sweep/spec.h"

enum { EXIT_FAILED_POINTS = 1, EXIT_USAGE = 2, EXIT_BADINPUT = 3, EXIT_INTERNAL = 70 };

const char sweep_help[] =
	"usage: hvsim sweep [options] SWEEP-FILE\n"
	"       hvsim sweep --merge -o RESULTS SHARD-RESULTS...\n"
	"Runs every point of a sweep (workloads x designs x parameter axes x seeds x\n"
	"repetitions, see hvsim(1) SWEEP FILES) as its own 'hvsim run', and writes one\n"
	"JSON line per point: statistics, exit status, provenance.  Points already in\n"
	"the results file with identical inputs are not run again, so an interrupted\n"
	"sweep resumes where it stopped.\n"
	"\n"
	"  -j N            points at once (default: the number of online CPUs)\n"
	"  -o FILE         results file (default: NAME.jsonl beside the sweep file)\n"
	"  --shard I/N     run only points with index % N == I (batch job arrays);\n"
	"                  join the shards' files with --merge\n"
	"  --list          print each point: index, input hash and the 'hvsim run'\n"
	"                  command that runs it by hand; run nothing\n"
	"  --merge         join results files (shards) into -o FILE\n"
	"  --no-progress   no progress line on standard error\n"
	"\n"
	"Exit status: 0 every point ran (see each point's status), 1 some points\n"
	"failed, 2 usage, 3 bad sweep, design or workload file.\n";

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hvsim: sweep: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'hvsim help sweep')\n");
	return EXIT_USAGE;
}

static int parse_shard(const char *arg, unsigned *i, unsigned *n)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(arg, &end, 10);
	if (end == arg || *end != '/' || errno)
		return -1;
	const char *p = end + 1;
	unsigned long b = strtoul(p, &end, 10);
	if (end == p || *end || errno || b == 0 || b > 1000000 || a >= b || arg[0] == '-' || p[0] == '-')
		return -1;
	*i = a;
	*n = b;
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shard", required_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "merge", no_argument, NULL, 'm' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct sweep_opts o = { .jobs = ncpu > 0 ? ncpu : 1, .nshards = 1, .progress = true };
	bool list = false, merge = false;
	char *out = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+j:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': {
			char *end = optarg;
			unsigned long j = optarg[0] >= '0' && optarg[0] <= '9' ? strtoul(optarg, &end, 10) : 0;
			if (!j || *end || j > 1024)
				return usage("-j '%s' is not a count from 1 to 1024", optarg);
			o.jobs = j;
			break;
		}
		case 'o': o.out = optarg; break;
		case 's':
			if (parse_shard(optarg, &o.shard, &o.nshards) < 0)
				return usage("--shard '%s' is not I/N with 0 <= I < N", optarg);
			break;
		case 'l': list = true; break;
		case 'm': merge = true; break;
		case 'P': o.progress = false; break;
		case 'h': fputs(sweep_help, stdout); return 0;
		default: return usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (merge) {
		if (!o.out || optind == argc)
			return usage("%s", "--merge needs -o RESULTS and at least one results file");
		if (sweep_merge((const char *const *)argv + optind, argc - optind, o.out) < 0) {
			fprintf(stderr, "hvsim: %s\n", err_msg());
			return EXIT_BADINPUT;
		}
		return 0;
	}
	if (optind != argc - 1)
		return usage("%s", "give one sweep file");
	struct sweep_spec *s = sweep_spec_load(argv[optind]);
	if (!s) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		return EXIT_BADINPUT;
	}
	if (list) {
		int rc = 0;
		for (size_t i = 0; !rc && i < sweep_point_count(s); i++)
			if (i % o.nshards == o.shard)
				rc = sweep_point_command(s, &o, i, stdout);
		if (rc < 0)
			fprintf(stderr, "hvsim: %s\n", err_msg());
		sweep_spec_free(s);
		return rc < 0 ? EXIT_BADINPUT : 0;
	}
	if (!o.out) {
		if (asprintf(&out, "%s/%s.jsonl", s->dir, s->name) < 0) {
			sweep_spec_free(s);
			return EXIT_INTERNAL;
		}
		o.out = out;
	}
	/* Points run the very binary that runs the sweep. */
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0) {
		sweep_spec_free(s);
		free(out);
		fprintf(stderr, "hvsim: sweep: cannot find my own executable: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	self[sl] = '\0';
	o.self = self;
	unsigned failed;
	bool mpi = sweep_mpi_launched();
	int rc = mpi ? sweep_run_mpi(s, &o, &failed) : sweep_run(s, &o, &failed);
	if (rc == 1) {          /* an MPI worker rank: rank 0 reports */
		sweep_spec_free(s);
		free(out);
		return 0;
	}
	if (rc < 0)
		fprintf(stderr, "hvsim: %s\n", err_msg());
	else if (failed)
		fprintf(stderr, "hvsim: sweep: %u point%s failed (see 'status' and 'error' in %s)\n", failed,
			failed == 1 ? "" : "s", o.out);
	sweep_spec_free(s);
	free(out);
	return rc < 0 ? EXIT_BADINPUT : failed ? EXIT_FAILED_POINTS : 0;
}
