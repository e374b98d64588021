/* Fuzz target: one line of trace text (traces/parse.c: trace_parse_line,
 * the parser of ftrace, trace-cmd report and perf script lines alike) and
 * the format sniffer over the same bytes.
 * Input: the line's bytes (newlines and NUL bytes included), parsed from an
 * exact-size copy so that a read past its end is an ASan error.
 * Promises checked (traces/trace.h): the result is 1, 0 or -1; -1 says why;
 * an event has a known kind and architecture, its name lies inside the line,
 * its vCPU is below TRACE_MAX_VCPU; the same line parses to the same record
 * twice; the fast path for the commonest lines reads every line as the
 * general parser does (trace_parse_line_slow: same result, reason, record);
 * the sniffer returns one of the formats. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "traces/trace.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) { return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	struct trace_event a, b;
	uint64_t lost = 0;
	const char *why = NULL;
	int rc = trace_parse_line(s, size, &a, &lost, &why);
	fuzz_check(rc == 1 || rc == 0 || rc == -1, "result is 1, 0 or -1");
	fuzz_check(rc != -1 || why, "a malformed line says why");
	struct trace_event g;
	uint64_t glost = 0;
	const char *gwhy = NULL;
	int rg = trace_parse_line_slow(s, size, &g, &glost, &gwhy);
	fuzz_check(rg == rc && glost == lost && (rc != -1 || !strcmp(why, gwhy)), "fast path and general parser agree");
	if (rc == 1)
		fuzz_check(a.kind == g.kind && a.arch == g.arch && a.ts_ns == g.ts_ns && a.ts_raw == g.ts_raw &&
				   a.cpu == g.cpu && a.vcpu == g.vcpu && a.pid == g.pid && a.name == g.name &&
				   a.name_len == g.name_len && !memcmp(&a.u, &g.u, sizeof a.u),
			   "fast path and general parser give the same record");
	if (rc == 1) {
		fuzz_check(a.kind < TEV_NKINDS && a.arch <= TRACE_ARCH_ARM64, "known kind and architecture");
		fuzz_check(a.name >= s && a.name + a.name_len <= s + size, "the name lies in the line");
		fuzz_check(a.vcpu < TRACE_MAX_VCPU, "vCPU in range");
		int rb = trace_parse_line(s, size, &b, &lost, &why);
		fuzz_check(rb == 1 && a.kind == b.kind && a.ts_ns == b.ts_ns && a.vcpu == b.vcpu && a.pid == b.pid &&
				   !memcmp(&a.u, &b.u, sizeof a.u),
			   "the same line parses to the same record");
	}
	enum trace_format f = trace_sniff(s, size);
	fuzz_check(f == TRACE_FMT_FTRACE || f == TRACE_FMT_PERF || f == TRACE_FMT_TRACEDAT || f == TRACE_FMT_UNKNOWN,
		   "the sniffer names a format");
	free(s);
	return 0;
}
