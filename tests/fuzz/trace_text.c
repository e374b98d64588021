/* Fuzz target: a whole text trace through the streaming reader
 * (traces/reader.c over a FILE: ftrace text, trace-cmd report, perf script)
 * and the summary of `hvsim trace stat` (traces/stat.c).
 * Input: byte 0 picks the format (bits 0-1: auto, ftrace, perf, auto) ; the
 * rest is the trace.
 * Promises checked (traces/trace.h, traces/stat.h): a lenient read never
 * fails on content; every line is exactly one of event, skipped or
 * malformed; the first TRACE_KEEP_MALFORMED malformed lines are kept in
 * order; a strict read returns the same records and stops at the first
 * malformed line with "name:line: why"; the text and JSON summaries are
 * written. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "traces/stat.h"
#include "traces/trace.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) { return 0; }

static const enum trace_format formats[4] = { TRACE_FMT_AUTO, TRACE_FMT_FTRACE, TRACE_FMT_PERF, TRACE_FMT_AUTO };

static void summaries(const struct trace_stat *s, const struct trace_reader *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	fuzz_check(trace_stat_print(s, r, "in", false, false, out) == 0, "text summary written");
	fuzz_check(trace_stat_print(s, r, "in", true, true, out) == 0, "JSON summary written");
	fclose(out);
	free(buf);
}

/* The strict reader agrees with the lenient one up to its first malformed line. */
static void strict_read(const uint8_t *data, size_t size, enum trace_format fmt, const struct trace_counts *c)
{
	FILE *f = fmemopen((void *)data, size, "r");
	struct trace_reader *r = trace_open_stream(f, "in", fmt, true);
	fuzz_check(r != NULL, "strict open succeeds as the lenient one did");
	struct trace_event ev;
	uint64_t n = 0;
	int rc;
	while ((rc = trace_next(r, &ev)) > 0)
		n++;
	if (c->malformed) {
		char want[64];
		snprintf(want, sizeof want, "in:%llu: ", (unsigned long long)c->kept[0].line);
		fuzz_check(rc == -1 && !strncmp(err_msg(), want, strlen(want)), "strict stops at the first malformed line");
		fuzz_check(n <= c->events, "strict returns no more records");
	} else {
		fuzz_check(rc == 0 && n == c->events, "strict reads what lenient reads");
	}
	trace_close(r);
	fclose(f);
}

/* What a reader returned, folded into one number (FNV-1a over each record's fields). */
static uint64_t fold(uint64_t h, const struct trace_event *ev)
{
	const uint64_t v[] = { ev->line, ev->ts_ns, (uint64_t)ev->kind, (uint64_t)(uint32_t)ev->vcpu,
			       (uint64_t)(uint32_t)ev->pid, (uint64_t)(uint32_t)ev->cpu, ev->name_len };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		h = (h ^ v[i]) * 0x100000001b3ull;
	return h;
}

/* The same bytes as a regular file are read through the mapped window
 * (traces/reader.c), not the buffer: the same records and counts. */
static void mapped_read(const uint8_t *data, size_t size, enum trace_format fmt, const struct trace_counts *c,
			uint64_t want)
{
	int fd = memfd_create("trace", 0);
	if (fd < 0)
		return;
	FILE *f = NULL;
	if ((size_t)write(fd, data, size) != size || lseek(fd, 0, SEEK_SET) != 0 || !(f = fdopen(fd, "r"))) {
		close(fd);
		return;
	}
	struct trace_reader *r = trace_open_stream(f, "in", fmt, false);
	fuzz_check(r != NULL, "a mapped file opens as the stream did");
	struct trace_event ev;
	uint64_t h = 0xcbf29ce484222325ull;
	int rc;
	while ((rc = trace_next(r, &ev)) > 0)
		h = fold(h, &ev);
	const struct trace_counts *m = trace_reader_counts(r);
	fuzz_check(rc == 0 && h == want, "a mapped file gives the stream's records");
	fuzz_check(m->lines == c->lines && m->events == c->events && m->malformed == c->malformed &&
		   m->skipped == c->skipped && m->lost == c->lost, "a mapped file gives the stream's counts");
	trace_close(r);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum trace_format fmt = formats[data[0] & 3];
	data++, size--;
	FILE *f = fuzz_stream(data, size);
	struct trace_reader *r = trace_open_stream(f, "in", fmt, false);
	if (!r) {
		fuzz_check(fmt == TRACE_FMT_AUTO, "a forced text format always opens");
		fclose(f);
		return 0;
	}
	struct trace_stat *s = trace_stat_new();
	struct trace_event ev;
	int rc;
	uint64_t h = 0xcbf29ce484222325ull;
	while ((rc = trace_next(r, &ev)) > 0) {
		trace_stat_add(s, &ev);
		h = fold(h, &ev);
	}
	fuzz_check(rc == 0, "a lenient read never fails on content");
	const struct trace_counts *c = trace_reader_counts(r);
	fuzz_check(c->events + c->skipped + c->malformed == c->lines, "every line is one of event, skipped, malformed");
	fuzz_check(c->nkept == (c->malformed < TRACE_KEEP_MALFORMED ? c->malformed : TRACE_KEEP_MALFORMED),
		   "the first malformed lines are kept");
	for (unsigned i = 1; i < c->nkept; i++)
		fuzz_check(c->kept[i - 1].line < c->kept[i].line, "kept in order");
	summaries(s, r);
	struct trace_counts copy = *c;
	trace_stat_free(s);
	trace_close(r);
	fclose(f);
	if (size) {
		strict_read(data, size, fmt, &copy);
		mapped_read(data, size, fmt, &copy, h);
	}
	return 0;
}
