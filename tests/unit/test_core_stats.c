/* Statistics registry: counters, log-linear histograms, text/JSON/CSV dumps. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/stats.h"
#include "tests/unit/unit.h"

/* Dumps into a malloc'd string. */
static char *dump(const struct stats *s, enum stats_fmt fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(stats_dump(s, f, fmt), 0);
	fclose(f);
	return buf;
}

static void test_counters(void)
{
	struct stats *s = stats_new();
	uint64_t *a = stats_counter(s, "a.b", "doc");
	uint64_t *b = stats_counter(s, "a.c", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(*a, 0);
	*a += 5;
	/* Same path, same counter, even after many other registrations moved
	 * the registry's arrays. */
	char path[32];
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof path, "x.%d", i);
		(*stats_counter(s, path, ""))++;
	}
	CU_ASSERT_PTR_EQUAL(stats_counter(s, "a.b", "other doc"), a);
	CU_ASSERT_EQUAL(*a, 5);
	stats_free(s);
}

/* A program that misuses paths stops with status 70 (internal error). */
static int child_status(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		fn();
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void leaf_then_prefix(void)
{
	struct stats *s = stats_new();
	stats_counter(s, "a.b", "");
	stats_counter(s, "a.b.c", "");
}
static void prefix_then_leaf(void)
{
	struct stats *s = stats_new();
	stats_counter(s, "a.b.c", "");
	stats_counter(s, "a.b", "");
}
static void counter_then_hist(void)
{
	struct stats *s = stats_new();
	stats_counter(s, "a.b", "");
	stats_hist(s, "a.b", "");
}
static void bad_chars(void) { stats_counter(stats_new(), "a.b-c", ""); }
static void empty_comp(void) { stats_counter(stats_new(), "a..b", ""); }
static void trailing_dot(void) { stats_counter(stats_new(), "a.", ""); }
static void ok_paths(void)
{
	struct stats *s = stats_new();
	stats_counter(s, "A_1.b2.C", "");
	stats_hist(s, "A_1.b2.D", "");
	stats_counter(s, "A_1.b2.C", "");
	stats_free(s);
}

static void test_path_rules(void)
{
	CU_ASSERT_EQUAL(child_status(leaf_then_prefix), 70);
	CU_ASSERT_EQUAL(child_status(prefix_then_leaf), 70);
	CU_ASSERT_EQUAL(child_status(counter_then_hist), 70);
	CU_ASSERT_EQUAL(child_status(bad_chars), 70);
	CU_ASSERT_EQUAL(child_status(empty_comp), 70);
	CU_ASSERT_EQUAL(child_status(trailing_dot), 70);
	CU_ASSERT_EQUAL(child_status(ok_paths), 0);
}

static void test_hist_1_to_1000(void)
{
	struct stats *s = stats_new();
	struct hist *h = stats_hist(s, "h", "");
	CU_ASSERT_EQUAL(hist_percentile(h, 50), 0);
	CU_ASSERT_EQUAL(hist_min(h), 0);
	CU_ASSERT_EQUAL(hist_max(h), 0);
	/* Added in a scrambled order: the result must not depend on it. */
	for (uint64_t i = 0; i < 1000; i++)
		hist_add(h, 1 + (i * 367) % 1000);
	CU_ASSERT_EQUAL(hist_count(h), 1000);
	CU_ASSERT_EQUAL(hist_min(h), 1);
	CU_ASSERT_EQUAL(hist_max(h), 1000);
	CU_ASSERT_EQUAL(hist_sum(h), 500500);
	/* Ranks 500, 900, 990: 500 lies in [256, 512) (width 2), 900 and 990 in
	 * [512, 1024) (width 4): bucket lower bounds 500, 900, 988. */
	CU_ASSERT_EQUAL(hist_percentile(h, 50), 500);
	CU_ASSERT_EQUAL(hist_percentile(h, 90), 900);
	CU_ASSERT_EQUAL(hist_percentile(h, 99), 988);
	CU_ASSERT_EQUAL(hist_percentile(h, 99.9), 996);
	CU_ASSERT_EQUAL(hist_percentile(h, 100), 1000);
	CU_ASSERT_EQUAL(hist_percentile(h, 0), 1);
	CU_ASSERT_EQUAL(hist_percentile(h, 0.1), 1);
	CU_ASSERT_EQUAL(hist_percentile(h, 0.2), 2);
	CU_ASSERT_EQUAL(hist_percentile(h, 25), 250);    /* exact below 256 */
	CU_ASSERT_EQUAL(hist_percentile(h, 25.7), 256);  /* rank 257 -> [256, 258) */
	CU_ASSERT_EQUAL(hist_percentile(h, 150), 1000);  /* clamped to [0, 100] */
	CU_ASSERT_EQUAL(hist_percentile(h, -5), 1);
	stats_free(s);
}

static void test_hist_large(void)
{
	struct stats *s = stats_new();
	struct hist *one = stats_hist(s, "one", "");
	hist_add(one, 1000000000);
	/* The bucket's lower bound is clamped to [min, max]. */
	CU_ASSERT_EQUAL(hist_percentile(one, 50), 1000000000);

	struct hist *h = stats_hist(s, "three", "");
	hist_add(h, 1000000000);
	hist_add(h, 2000000000);
	hist_add(h, 3000000000);
	/* 2e9 in [2^30, 2^31), width 2^23: floor(2e9 / 2^23) * 2^23 */
	CU_ASSERT_EQUAL(hist_percentile(h, 50), 238ull << 23);
	CU_ASSERT_EQUAL(hist_percentile(h, 34), 238ull << 23);
	CU_ASSERT_EQUAL(hist_percentile(h, 33), 1000000000);   /* clamped up to min */
	CU_ASSERT_EQUAL(hist_sum(h), 6000000000ull);
	/* p100 is the bucket bound of 3e9 in [2^31, 2^32), width 2^24. */
	CU_ASSERT_EQUAL(hist_percentile(h, 100), 178ull << 24);

	/* For values across the whole range the reported p50 of {0, v, max} is
	 * the bucket bound of v: at most v and within v/128. */
	unsigned bad = 0;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t v = x >> (x % 60);
		struct hist *t;
		char path[32];
		snprintf(path, sizeof path, "r.%d", i);
		t = stats_hist(s, path, "");
		hist_add(t, 0);
		hist_add(t, v);
		hist_add(t, UINT64_MAX);
		uint64_t p = hist_percentile(t, 50);
		if (p > v || (v - p) * 128.0 >= (double)v + (v < 256 ? 1 : 0))
			bad++;
		if (v < 256 && p != v)
			bad++;
		if (hist_percentile(t, 100) != 255ull << 56 || hist_percentile(t, 1) != 0)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	stats_free(s);
}

static void test_hist_exact_small(void)
{
	struct stats *s = stats_new();
	struct hist *h = stats_hist(s, "h", "");
	for (uint64_t v = 0; v < 256; v++)
		hist_add(h, v);
	CU_ASSERT_EQUAL(hist_percentile(h, 50), 127);
	CU_ASSERT_EQUAL(hist_percentile(h, 90), 230);    /* rank ceil(230.4) = 231 -> 230 */
	CU_ASSERT_EQUAL(hist_min(h), 0);
	CU_ASSERT_EQUAL(hist_max(h), 255);
	stats_free(s);
}

/* The small registry used for the exact output tests. */
static struct stats *sample(void)
{
	struct stats *s = stats_new();
	*stats_counter(s, "vcpu.1.exits.HVC64", "HVC exits") = 5;
	*stats_counter(s, "vcpu.0.exits.HVC64", "HVC exits") = 3;
	*stats_counter(s, "sim.quanta", NULL) = 1234;
	*stats_counter(s, "vcpu.0.exits.WFx", "WFI/WFE exits") = 2;
	*stats_counter(s, "irq.0", "") = 7;
	*stats_counter(s, "irq.2", "") = 9;
	struct hist *h = stats_hist(s, "lat.exit", "exit latency");
	for (uint64_t v = 1; v <= 10; v++)
		hist_add(h, v);
	stats_hist(s, "lat.none", "never used");
	return s;
}

static void test_text(void)
{
	struct stats *s = sample();
	char *out = dump(s, STATS_TEXT);
	CU_ASSERT_STRING_EQUAL(out,
		"vcpu.1.exits.HVC64     5  # HVC exits\n"
		"vcpu.0.exits.HVC64     3  # HVC exits\n"
		"sim.quanta          1234\n"
		"vcpu.0.exits.WFx       2  # WFI/WFE exits\n"
		"irq.0                  7\n"
		"irq.2                  9\n"
		"lat.exit.count        10  # exit latency\n"
		"lat.exit.min           1  # exit latency\n"
		"lat.exit.p50           5  # exit latency\n"
		"lat.exit.p90           9  # exit latency\n"
		"lat.exit.p99          10  # exit latency\n"
		"lat.exit.max          10  # exit latency\n"
		"lat.exit.mean      5.500  # exit latency\n"
		"lat.none.count         0  # never used\n"
		"lat.none.min           0  # never used\n"
		"lat.none.p50           0  # never used\n"
		"lat.none.p90           0  # never used\n"
		"lat.none.p99           0  # never used\n"
		"lat.none.max           0  # never used\n"
		"lat.none.mean      0.000  # never used\n");
	free(out);
	stats_free(s);
}

static void test_csv(void)
{
	struct stats *s = sample();
	char *out = dump(s, STATS_CSV);
	CU_ASSERT_STRING_EQUAL(out,
		"stat,value\n"
		"vcpu.1.exits.HVC64,5\n"
		"vcpu.0.exits.HVC64,3\n"
		"sim.quanta,1234\n"
		"vcpu.0.exits.WFx,2\n"
		"irq.0,7\n"
		"irq.2,9\n"
		"lat.exit.count,10\n"
		"lat.exit.min,1\n"
		"lat.exit.p50,5\n"
		"lat.exit.p90,9\n"
		"lat.exit.p99,10\n"
		"lat.exit.max,10\n"
		"lat.exit.mean,5.500\n"
		"lat.none.count,0\n"
		"lat.none.min,0\n"
		"lat.none.p50,0\n"
		"lat.none.p90,0\n"
		"lat.none.p99,0\n"
		"lat.none.max,0\n"
		"lat.none.mean,0.000\n");
	free(out);
	stats_free(s);
}

/* vcpu.{1,0} become an array sorted by index; irq.{0,2} stays an object. */
static const char sample_json[] =
	"{\n"
	"  \"vcpu\": [\n"
	"    {\n"
	"      \"exits\": {\n"
	"        \"HVC64\": 3,\n"
	"        \"WFx\": 2\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"exits\": {\n"
	"        \"HVC64\": 5\n"
	"      }\n"
	"    }\n"
	"  ],\n"
	"  \"sim\": {\n"
	"    \"quanta\": 1234\n"
	"  },\n"
	"  \"irq\": {\n"
	"    \"0\": 7,\n"
	"    \"2\": 9\n"
	"  },\n"
	"  \"lat\": {\n"
	"    \"exit\": {\"count\": 10, \"min\": 1, \"max\": 10, \"mean\": 5.500, \"p50\": 5, \"p90\": 9, \"p99\": 10, "
	/* percentiles 0..100 of 1..10 by nearest rank: rank max(1, ceil(p / 10)) */
	"\"percentiles\": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, "
	"3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, "
	"5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, "
	"7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, "
	"10, 10, 10, 10, 10, 10, 10, 10, 10]},\n"
	"    \"none\": {\"count\": 0, \"min\": 0, \"max\": 0, \"mean\": 0.000, \"p50\": 0, \"p90\": 0, \"p99\": 0}\n"
	"  }\n"
	"}\n";

static void test_json(void)
{
	struct stats *s = sample();
	char *out = dump(s, STATS_JSON);
	CU_ASSERT_STRING_EQUAL(out, sample_json);

	/* Independent check that it parses as JSON. */
	char path[] = "/tmp/hvsim-stats-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "python3 -m json.tool %s > /dev/null", path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	unlink(path);

	/* Byte-identical across dumps. */
	char *again = dump(s, STATS_JSON);
	CU_ASSERT_STRING_EQUAL(out, again);
	free(again);
	free(out);
	stats_free(s);
}

static void test_json_edges(void)
{
	struct stats *s = stats_new();
	char *out = dump(s, STATS_JSON);
	CU_ASSERT_STRING_EQUAL(out, "{}\n");
	free(out);

	/* Twelve children registered in reverse order: numeric, not string, sort. */
	char path[16];
	for (int i = 11; i >= 0; i--) {
		snprintf(path, sizeof path, "q.%d", i);
		*stats_counter(s, path, "") = (uint64_t)i * 10;
	}
	/* "01" is not canonical, so this object stays an object. */
	*stats_counter(s, "r.0", "") = 1;
	*stats_counter(s, "r.01", "") = 2;
	out = dump(s, STATS_JSON);
	CU_ASSERT_STRING_EQUAL(out,
		"{\n"
		"  \"q\": [\n"
		"    0,\n    10,\n    20,\n    30,\n    40,\n    50,\n"
		"    60,\n    70,\n    80,\n    90,\n    100,\n    110\n"
		"  ],\n"
		"  \"r\": {\n"
		"    \"0\": 1,\n"
		"    \"01\": 2\n"
		"  }\n"
		"}\n");
	free(out);
	stats_free(s);
}

static void test_fmt_parse(void)
{
	enum stats_fmt f = STATS_TEXT;
	CU_ASSERT_EQUAL(stats_fmt_parse("json", &f), 0);
	CU_ASSERT_EQUAL(f, STATS_JSON);
	CU_ASSERT_EQUAL(stats_fmt_parse("csv", &f), 0);
	CU_ASSERT_EQUAL(f, STATS_CSV);
	CU_ASSERT_EQUAL(stats_fmt_parse("text", &f), 0);
	CU_ASSERT_EQUAL(f, STATS_TEXT);
	CU_ASSERT_EQUAL(stats_fmt_parse("JSON", &f), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "unknown stats format 'JSON' (valid: text, json, csv)");
	CU_ASSERT_EQUAL(stats_fmt_parse("", &f), -1);
}

/* n samples at once: the same counts, sum, extremes and percentiles as
 * the samples one by one (the vCPU adds each run of equal run lengths so). */
static void test_hist_add_n(void)
{
	struct stats *s = stats_new();
	struct hist *a = stats_hist(s, "a", ""), *b = stats_hist(s, "b", "");
	static const uint64_t v[] = { 11, 11, 11, 700, 700, 3, 11, 100000, 100000, 100000, 5 };
	uint64_t n = 1;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		hist_add(a, v[i]);
		if (i + 1 < sizeof v / sizeof v[0] && v[i + 1] == v[i]) {
			n++;
			continue;
		}
		hist_add_n(b, v[i], n);
		n = 1;
	}
	hist_add_n(b, 42, 0);	/* nothing */
	CU_ASSERT_EQUAL(hist_count(b), 11);
	CU_ASSERT_EQUAL(hist_sum(b), 3 * 11 + 2 * 700 + 3 + 11 + 3 * 100000 + 5);
	CU_ASSERT_EQUAL(hist_min(b), 3);
	CU_ASSERT_EQUAL(hist_max(b), 100000);
	for (double p = 0; p <= 100; p += 2.5)
		CU_ASSERT_EQUAL(hist_percentile(a, p), hist_percentile(b, p));
	stats_free(s);
}

static CU_TestInfo tests[] = {
	{ "counters", test_counters },
	{ "path_rules", test_path_rules },
	{ "hist_1_to_1000", test_hist_1_to_1000 },
	{ "hist_large", test_hist_large },
	{ "hist_exact_small", test_hist_exact_small },
	{ "hist_add_n", test_hist_add_n },
	{ "text", test_text },
	{ "csv", test_csv },
	{ "json", test_json },
	{ "json_edges", test_json_edges },
	{ "fmt_parse", test_fmt_parse },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("core_stats", tests);
}
