/* traces/reader.c and traces/stat.c: streaming over a FILE, malformed-line
 * bookkeeping and --strict, lines longer than the limit, lines across buffer
 * refills, the thread -> vCPU map, the stat summary. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "traces/stat.h"
#include "traces/trace.h"
#include "tests/unit/unit.h"

static const char exit_line[] = " CPU 0/KVM-100 [001] d.... 10.000001: kvm_exit: vcpu 0 reason MSR_WRITE rip "
				"0xffffffff81000000 info1 0x0000000000000000 info2 0x0000000000000000 intr_info "
				"0x00000000 error_code 0x00000000\n";
static const char msr_line[] = " CPU 0/KVM-100 [001] d.... 10.000002: kvm_msr: msr_write 830 = 0x2000000fd\n";

static struct trace_reader *open_text(const char *text, bool strict, FILE **f)
{
	*f = fmemopen((void *)text, strlen(text), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(*f);
	return trace_open_stream(*f, "t.txt", TRACE_FMT_AUTO, strict);
}

/* Reads to the end; the number of records. */
static uint64_t drain(struct trace_reader *r, int *rc)
{
	struct trace_event ev;
	uint64_t n = 0;
	while ((*rc = trace_next(r, &ev)) > 0)
		n++;
	return n;
}

static void test_malformed_counted(void)
{
	char text[4096];
	snprintf(text, sizeof text, "# tracer: nop\n%sgarbage 1\n%sgarbage 2\n%s", exit_line, msr_line, exit_line);
	FILE *f;
	struct trace_reader *r = open_text(text, false, &f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rc;
	CU_ASSERT_EQUAL(drain(r, &rc), 3);
	CU_ASSERT_EQUAL(rc, 0);
	const struct trace_counts *c = trace_reader_counts(r);
	CU_ASSERT_EQUAL(c->lines, 6);
	CU_ASSERT_EQUAL(c->malformed, 2);
	CU_ASSERT_EQUAL(c->nkept, 2);
	CU_ASSERT_EQUAL(c->kept[0].line, 3);
	CU_ASSERT_EQUAL(c->kept[1].line, 5);
	CU_ASSERT_EQUAL(c->skipped, 1);
	CU_ASSERT_EQUAL(trace_reader_format(r), TRACE_FMT_FTRACE);
	trace_close(r);
	fclose(f);
}

static void test_strict(void)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%sgarbage\n%s", exit_line, exit_line, exit_line);
	FILE *f;
	struct trace_reader *r = open_text(text, true, &f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rc;
	CU_ASSERT_EQUAL(drain(r, &rc), 2);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "t.txt:3: not an event line");
	trace_close(r);
	fclose(f);
}

/* At most TRACE_KEEP_MALFORMED kept, every one counted. */
static void test_keep_limit(void)
{
	size_t n = 50;
	char *text = calloc(n, 16);
	for (size_t i = 0; i < n; i++)
		strcat(text, "bad line\n");
	/* the sniffer sees no event: say the format */
	FILE *f = fmemopen(text, strlen(text), "r");
	struct trace_reader *r = trace_open_stream(f, "t", TRACE_FMT_FTRACE, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rc;
	CU_ASSERT_EQUAL(drain(r, &rc), 0);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->malformed, n);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->nkept, TRACE_KEEP_MALFORMED);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->kept[TRACE_KEEP_MALFORMED - 1].line, TRACE_KEEP_MALFORMED);
	trace_close(r);
	fclose(f);
	/* and without --format it is no trace at all */
	f = fmemopen(text, strlen(text), "r");
	CU_ASSERT_PTR_NULL(trace_open_stream(f, "t", TRACE_FMT_AUTO, false));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "t: not a trace"));
	fclose(f);
	free(text);
}

/* A line over TRACE_MAX_LINE is one malformed line; the next one is read. */
static void test_long_line(void)
{
	size_t big = 3 * TRACE_MAX_LINE;
	size_t len = strlen(exit_line) * 2 + big + 2;
	char *text = malloc(len + 1);
	strcpy(text, exit_line);
	memset(text + strlen(exit_line), 'x', big);
	text[strlen(exit_line) + big] = '\n';
	strcpy(text + strlen(exit_line) + big + 1, exit_line);
	/* the last line has no newline */
	text[strlen(text) - 1] = '\0';
	FILE *f;
	struct trace_reader *r = open_text(text, false, &f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rc;
	CU_ASSERT_EQUAL(drain(r, &rc), 2);
	const struct trace_counts *c = trace_reader_counts(r);
	CU_ASSERT_EQUAL(c->malformed, 1);
	CU_ASSERT_EQUAL(c->kept[0].line, 2);
	CU_ASSERT_STRING_EQUAL(c->kept[0].why, "line too long");
	trace_close(r);
	fclose(f);
	free(text);
}

/* Far more than one buffer: every line counted once, none cut at a refill. */
static void test_many_lines(void)
{
	size_t n = 30000, one = strlen(exit_line) + strlen(msr_line);
	char *text = malloc(n * one + 1), *p = text;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, exit_line, strlen(exit_line));
		p += strlen(exit_line);
		memcpy(p, msr_line, strlen(msr_line));
		p += strlen(msr_line);
	}
	*p = '\0';
	FILE *f;
	struct trace_reader *r = open_text(text, true, &f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct trace_stat *s = trace_stat_new();
	struct trace_event ev;
	int rc;
	uint64_t msr_vcpu0 = 0;
	while ((rc = trace_next(r, &ev)) > 0) {
		trace_stat_add(s, &ev);
		msr_vcpu0 += ev.kind == TEV_MSR && ev.vcpu == 0;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(trace_stat_exits(s), n);
	/* kvm_msr has no vCPU: its thread's last kvm_exit gives it */
	CU_ASSERT_EQUAL(msr_vcpu0, n);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->lines, 2 * n);
	trace_stat_free(s);
	trace_close(r);
	fclose(f);
	free(text);
}

static char *stat_of(const char *text, bool json)
{
	FILE *f;
	struct trace_reader *r = open_text(text, false, &f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct trace_stat *s = trace_stat_new();
	struct trace_event ev;
	while (trace_next(r, &ev) > 0)
		trace_stat_add(s, &ev);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(trace_stat_print(s, r, "t.txt", false, json, out), 0);
	fclose(out);
	trace_stat_free(s);
	trace_close(r);
	fclose(f);
	return buf;
}

static void test_stat(void)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%s%s", exit_line, msr_line, exit_line);
	char *j = stat_of(text, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"exits_total\": 2,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"exits\": {\"MSR_WRITE\": 2}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"vcpus\": {\"vcpu 0\": {\"MSR_WRITE\": 2}}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"kvm_msr\": 1"));
	free(j);
	char *t = stat_of(msr_line, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "no kvm_exit events"));
	free(t);
}

static void test_open_errors(void)
{
	CU_ASSERT_PTR_NULL(trace_open("/nonexistent/trace.txt", TRACE_FMT_AUTO, false));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "/nonexistent/trace.txt: cannot open"));
	FILE *f = fmemopen("\027\010Dtracing6", 10, "r");
	CU_ASSERT_PTR_NULL(trace_open_stream(f, "x.dat", TRACE_FMT_AUTO, false));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "trace.dat cannot be read from a stream"));
	fclose(f);
}

/* Writes n exit/msr line pairs (about 240 bytes each) to a new file named
 * from the mkstemp template path. */
static void pairs_file(size_t n, char *path)
{
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", exit_line, msr_line);
	fclose(f);
}

/* The file is cut to size while it is read: the lines before the cut are
 * read, then an error names the file; no SIGBUS (within the mapped window:
 * its pages past the end read as zeros), or, past the window, the next
 * window is not mapped. */
static void truncated_at(size_t pairs, off_t size, uint64_t expect_records)
{
	char path[] = "/tmp/hvsim-reader-XXXXXX";
	pairs_file(pairs, path);
	struct trace_reader *r = trace_open(path, TRACE_FMT_AUTO, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct trace_event ev;
	uint64_t n = 0;
	while (n < 10 && trace_next(r, &ev) > 0)
		n++;
	CU_ASSERT_EQUAL_FATAL(truncate(path, size), 0);
	int rc;
	n += drain(r, &rc);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "truncated while being read"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), path));
	CU_ASSERT_EQUAL(n, expect_records);
	trace_close(r);
	unlink(path);
}

static void test_truncated_while_read(void)
{
	size_t pair = strlen(exit_line) + strlen(msr_line);
	/* inside the first window, not at a page boundary: every line that
	 * ends before the cut, and none after */
	off_t cut = 65536 + 100;
	uint64_t lines = (uint64_t)(cut / pair) * 2 + ((size_t)cut % pair >= strlen(exit_line));
	truncated_at(20000, cut, lines);
	/* past the first window (8 MiB): it is read whole, the next one is not mapped */
	size_t n = (9u << 20) / pair;
	uint64_t in_window = (uint64_t)((8u << 20) / pair) * 2 + ((8u << 20) % pair >= strlen(exit_line));
	truncated_at(n, (off_t)(8u << 20) + (256 << 10), in_window);
}

static CU_TestInfo tests[] = {
	{ "malformed lines counted with line numbers", test_malformed_counted },
	{ "strict: the first malformed line is an error", test_strict },
	{ "malformed lines kept up to the limit", test_keep_limit },
	{ "a line over the limit", test_long_line },
	{ "many lines across buffer refills", test_many_lines },
	{ "stat summary", test_stat },
	{ "open errors", test_open_errors },
	{ "a file truncated while it is read", test_truncated_while_read },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("traces_reader", tests);
}
