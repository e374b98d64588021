/* Fuzz target: a whole text trace through the streaming reader and the
 * replay (traces/replay.c) under three designs of the trace's architecture:
 * the machine's default, one with a feature off (x86: no APICv, no HLT
 * exiting; arm64: no TWI, no TID3) and one with a feature on (x86: the
 * exitless timer; arm64: GICv4 with TWI, so WFIs block with their vPE
 * non-resident), then every output.
 * Input: byte 0 picks the format (bits 0-1: auto, ftrace, perf, auto); the
 * rest is the trace.
 * Promises checked (traces/replay.h): replay_add fails only on a trace that
 * mixes architectures; every kvm_exit is accounted once per design (kept,
 * undecidable or unmodelled, or removed), so a design's exits are the
 * trace's minus the removed plus the added exits (the added events less the
 * doorbells, which are not exits); the trace's own count is the
 * number of kvm_exit records; text, JSON, CSV and statistics are written. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "core/cfg.h"
#include "platform/designs.h"
#include "traces/replay.h"
#include "traces/trace.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) { return 0; }

static const enum trace_format formats[4] = { TRACE_FMT_AUTO, TRACE_FMT_FTRACE, TRACE_FMT_PERF, TRACE_FMT_AUTO };

static int load(void *ctx, enum trace_arch arch, unsigned i, struct replay_design *d)
{
	static const char *const off[2][3] = {
		{ "vmx.procbased_ctls2=0x21034ea", "vmx.procbased_ctls=0xb1800c08", "lapic.timer=preemption" },
		{ "el2.hcr_el2=0x88078063f", "sim.vcpus=2", "gic.version=4.1" },
	};
	struct cfg *c = cfg_new();
	bool arm = arch == TRACE_ARCH_ARM64;
	fuzz_check(c && design_load_default(c, arm ? ISA_A64 : ISA_X86_64) == 0, "default design loads");
	static const char *const on[2][2] = { { "lapic.timer=exitless", "sim.vcpus=2" }, { "gic.version=4", "sim.vcpus=2" } };
	if (i == 1)
		for (unsigned k = 0; k < 3; k++)
			fuzz_check(cfg_set(c, off[arm][k]) == 0, "toggle applies");
	for (unsigned k = 0; i == 2 && k < 2; k++)
		fuzz_check(cfg_set(c, on[arm][k]) == 0, "toggle applies");
	static const char *const names[] = { "default", "off", "on" };
	int rc = replay_design_init(d, arch, c, names[i]);
	cfg_free(c);
	return rc;
}

static void outputs(const struct replay *r, const struct trace_reader *tr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	for (int f = REPLAY_TEXT; f <= REPLAY_CSV; f++) {
		fuzz_check(replay_print(r, tr, "in", (enum replay_fmt)f, out) == 0, "replay output written");
		fuzz_check(replay_print_compare(r, tr, "in", (enum replay_fmt)f, out) == 0, "compare output written");
	}
	fuzz_check(replay_stats(r, tr, 1, "json", out) == 0, "statistics written");
	fclose(out);
	free(buf);
}

static void accounted(const struct replay *r)
{
	if (replay_arch(r) == TRACE_ARCH_NONE)
		return;
	const struct replay_side *src = replay_side(r, -1, -1);
	fuzz_check(src->exits == replay_exit_lines(r), "one recorded exit per kvm_exit");
	for (unsigned i = 0; i < replay_ndesigns(r); i++) {
		const struct replay_side *s = replay_side(r, (int)i, -1);
		fuzz_check(s->doorbells <= s->nadded, "doorbells are added events");
		fuzz_check(s->exits + s->nremoved == src->exits + s->nadded - s->doorbells, "every exit accounted once");
		fuzz_check(s->undecidable + s->unmodelled <= s->exits, "undecidable and unmodelled are exits");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum trace_format fmt = formats[data[0] & 3];
	data++, size--;
	FILE *f = fuzz_stream(data, size);
	struct trace_reader *tr = trace_open_stream(f, "in", fmt, false);
	if (!tr) {
		fclose(f);
		return 0;
	}
	struct replay *r = replay_new(3, load, NULL);
	fuzz_check(r != NULL, "replay_new");
	struct trace_event ev;
	int rc;
	while ((rc = trace_next(tr, &ev)) > 0)
		if (replay_add(r, &ev) < 0) {
			fuzz_check(strstr(err_msg(), "mixes") != NULL, "replay_add fails only on mixed architectures");
			break;
		}
	replay_finish(r);
	accounted(r);
	outputs(r, tr);
	replay_free(r);
	trace_close(tr);
	fclose(f);
	return 0;
}
