/* Shared by the replay decision tests: lines in the kernel's print formats
 * parsed into events, and one exit decided under the test's design. */
#ifndef HVSIM_TESTS_REPLAY_LINES_H
#define HVSIM_TESTS_REPLAY_LINES_H
#include <string.h>

#include "traces/replay.h"
#include "unit.h"

static void parse(const char *line, struct trace_event *ev)
{
	uint64_t lost = 0;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(trace_parse_line(line, strlen(line), ev, &lost, &why), 1);
}

/* Decides lines[0] (a kvm_exit) with lines[1..] (at most 4) as its
 * companions under d. */
static struct replay_decision decide_under(const struct replay_design *d, const char *const *lines)
{
	struct trace_event ex, comp[4];
	unsigned n = 0;
	parse(lines[0], &ex);
	for (lines++; *lines && n < 4; lines++)
		parse(*lines, &comp[n++]);
	if (ex.vcpu < 0)
		ex.vcpu = 0;	/* arm64 exits name no vCPU: the replay takes it from the thread */
	struct replay_decision r;
	replay_decide_one(d, &ex, comp, n, &r);
	return r;
}

static void expect(struct replay_decision d, enum replay_outcome o, const char *reason)
{
	CU_ASSERT_EQUAL(d.outcome, o);
	if (reason) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(d.reason);
		CU_ASSERT_STRING_EQUAL(d.reason, reason);
	}
}

#endif
