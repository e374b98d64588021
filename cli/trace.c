/* hvsim trace stat: what a KVM exit trace holds. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/trace.h"
#include "core/err.h"
#include "traces/stat.h"
#include "traces/trace.h"

enum { EXIT_USAGE = 2, EXIT_BADINPUT = 3 };

const char trace_help[] =
	"usage: hvsim trace stat TRACE [--format F] [--strict] [--json]\n"
	"       hvsim trace export ELF -o FILE [hvsim run options]\n"
	"Reads a KVM exit trace (TRACE, or - for standard input) and prints what it\n"
	"holds: the format, events by kind, VM exits by reason in total and per vCPU,\n"
	"malformed lines and unknown exit reasons with the first line numbers, the\n"
	"time span.  Formats, detected from the content:\n"
	"  ftrace     /sys/kernel/tracing/trace, trace_pipe, trace-cmd report [-N]\n"
	"  perf       perf script output of kvm:kvm_exit, kvm:kvm_entry, ...\n"
	"  trace.dat  trace-cmd's binary file (needs hvsim built with libtracecmd)\n"
	"\n"
	"  --format F   read TRACE as F (ftrace, perf, trace.dat) instead of detecting it\n"
	"  --strict     the first malformed line is an error (exit 3, naming file:line)\n"
	"  --json       print JSON (keys exits_total and exits as in hvsim run's statistics)\n"
	"\n"
	"Exit status: 0; 2 usage; 3 bad input (cannot open or read, unknown format,\n"
	"trace.dat without libtracecmd, --strict and a malformed line).\n"
	"\n"
	"trace export runs ELF as hvsim run does and writes its VM exits, with the\n"
	"events KVM traces around them (kvm_msr, kvm_pio, kvm_mmio, kvm_wfx_arm64,\n"
	"kvm_sys_access, kvm_userspace_exit) and kvm_entry, as ftrace text with\n"
	"timestamps in cycles (the same as hvsim run --trace-out FILE).  To replay a\n"
	"trace under a design: hvsim replay, hvsim compare.\n";

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "hvsim: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\n(try 'hvsim help trace')\n");
	return EXIT_USAGE;
}

static int read_all(struct trace_reader *r, struct trace_stat *s)
{
	struct trace_event ev;
	int rc;
	while ((rc = trace_next(r, &ev)) > 0)
		trace_stat_add(s, &ev);
	return rc;
}

static int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, 0, 'f' }, { "strict", no_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	enum trace_format fmt = TRACE_FMT_AUTO;
	bool strict = false, json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (trace_format_parse(optarg, &fmt) < 0)
				return usage("--format: %s", err_msg());
			break;
		case 's': strict = true; break;
		case 'j': json = true; break;
		case 'h': fputs(trace_help, stdout); return 0;
		default: return usage("%s", "bad option for 'trace stat'");
		}
	}
	if (optind != argc - 1)
		return usage("%s", optind >= argc ? "trace stat: no trace given" : "trace stat: more than one trace given");
	const char *path = argv[optind];
	struct trace_reader *r = trace_open(path, fmt, strict);
	struct trace_stat *s = r ? trace_stat_new() : NULL;
	int status = 0;
	if (!r || !s || read_all(r, s) < 0) {
		fprintf(stderr, "hvsim: %s\n", s || !r ? err_msg() : "out of memory");
		status = EXIT_BADINPUT;
	} else if (trace_stat_print(s, r, path, fmt != TRACE_FMT_AUTO, json, stdout) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "hvsim: cannot write the summary\n");
		status = EXIT_BADINPUT;
	}
	trace_stat_free(s);
	trace_close(r);
	return status;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2)
		return usage("%s", "trace: say 'stat' or 'export'");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(trace_help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "stat"))
		return cmd_stat(argc - 1, argv + 1);
	return usage("trace: unknown subcommand '%s' (there are 'stat' and 'export')", argv[1]);
}
