/* Design configuration: schema, INI loading with file:line errors, --set,
 * listing and INI write-back.  Also the small err and log helpers. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/err.h"
#include "core/log.h"
#include "tests/unit/unit.h"

static const struct cfg_key keys[] = {
	{ "cpu", "freq_mhz", CFG_U64, 1, 4096, NULL, "core clock in MHz" },
	{ "gic", "version", CFG_ENUM, 0, 0, "3|4|4.1", "GIC architecture version" },
	{ "cpu", "mode", CFG_ENUM, 0, 0, "nvhe|vhe", "EL2 host mode" },
	{ "cpu", "posted_irq", CFG_BOOL, 0, 0, NULL, "posted interrupts" },
	{ "mem", "ratio", CFG_DOUBLE, 0, 1, NULL, "hit ratio" },
	{ "mem", "size", CFG_U64, 0, 18446744073709551615.0, NULL, "RAM bytes" },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char full_ini[] =
	"; a complete design\n"
	"[cpu]\n"
	"freq_mhz = 2k\n"
	"mode = vhe\n"
	"posted_irq = yes\n"
	"[gic]\n"
	"version=4.1\n"
	"[mem]\n"
	"ratio = 0.1   ; inline comment\n"
	"size: 0x10M\n";

static struct cfg *new_cfg(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, keys, NKEYS), 0);
	return c;
}

static char *capture_list(const struct cfg *c, bool with_origin, bool ini)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (ini)
		cfg_write_ini(c, f);
	else
		cfg_list(c, f, with_origin);
	fclose(f);
	return buf;
}

static void test_declare(void)
{
	struct cfg *c = new_cfg();
	const struct cfg_key dup[] = {
		{ "new", "a", CFG_BOOL, 0, 0, NULL, "" },
		{ "cpu", "mode", CFG_BOOL, 0, 0, NULL, "" },
	};
	CU_ASSERT_EQUAL(cfg_declare(c, dup, 2), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "cfg_declare: cpu.mode declared twice");
	/* The failed batch declared nothing. */
	CU_ASSERT_EQUAL(cfg_load_string(c, "t", "[new]\na = 1\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "t:2: unknown key 'new.a'");

	const struct cfg_key twice[] = {
		{ "x", "a", CFG_BOOL, 0, 0, NULL, "" },
		{ "x", "a", CFG_BOOL, 0, 0, NULL, "" },
	};
	CU_ASSERT_EQUAL(cfg_declare(c, twice, 2), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "cfg_declare: x.a declared twice");
	const struct cfg_key noenum[] = { { "x", "e", CFG_ENUM, 0, 0, NULL, "" } };
	CU_ASSERT_EQUAL(cfg_declare(c, noenum, 1), -1);
	const struct cfg_key badrange[] = { { "x", "r", CFG_U64, 5, 4, NULL, "" } };
	CU_ASSERT_EQUAL(cfg_declare(c, badrange, 1), -1);
	CU_ASSERT_EQUAL(cfg_declare(c, twice, 1), 0);
	cfg_free(c);
}

static void test_load_values(void)
{
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "full.ini", full_ini), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 2048);
	CU_ASSERT_EQUAL(cfg_enum(c, "cpu", "mode"), 1);
	CU_ASSERT_EQUAL(cfg_enum(c, "gic", "version"), 2);
	CU_ASSERT_EQUAL(cfg_bool(c, "cpu", "posted_irq"), true);
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 0.1);
	CU_ASSERT_EQUAL(cfg_u64(c, "mem", "size"), 16u << 20);
	cfg_free(c);
}

/* Loads one "[sec]\nname = value\n" and returns the load result. */
static int load1(struct cfg *c, const char *sec, const char *name, const char *value)
{
	char text[256];
	snprintf(text, sizeof text, "[%s]\n%s = %s\n", sec, name, value);
	return cfg_load_string(c, "v.ini", text);
}

static void expect_u64(struct cfg *c, const char *sec, const char *name, const char *text, uint64_t v)
{
	int r = load1(c, sec, name, text);
	CU_ASSERT_EQUAL(r, 0);
	if (r == 0) {
		CU_ASSERT_EQUAL(cfg_u64(c, sec, name), v);
	} else {
		fprintf(stderr, "\n  '%s': %s\n", text, err_msg());
	}
}

static void expect_err(struct cfg *c, const char *sec, const char *name, const char *text, const char *msg)
{
	CU_ASSERT_EQUAL(load1(c, sec, name, text), -1);
	if (strcmp(err_msg(), msg) != 0) {
		fprintf(stderr, "\n  '%s': got \"%s\", expected \"%s\"\n", text, err_msg(), msg);
		CU_FAIL("error message");
	}
}

static void test_integers(void)
{
	struct cfg *c = new_cfg();
	expect_u64(c, "cpu", "freq_mhz", "1", 1);
	expect_u64(c, "cpu", "freq_mhz", "4096", 4096);
	expect_u64(c, "cpu", "freq_mhz", "4k", 4096);
	expect_u64(c, "cpu", "freq_mhz", "4K", 4096);
	expect_u64(c, "cpu", "freq_mhz", "0x1000", 4096);
	expect_u64(c, "cpu", "freq_mhz", "0XfF", 255);
	expect_u64(c, "cpu", "freq_mhz", "010", 10);       /* decimal, not octal */
	expect_u64(c, "mem", "size", "0", 0);
	expect_u64(c, "mem", "size", "3M", 3ull << 20);
	expect_u64(c, "mem", "size", "0x2G", 2ull << 30);
	expect_u64(c, "mem", "size", "18446744073709551615", UINT64_MAX);
	expect_u64(c, "mem", "size", "0xffffffffffffffff", UINT64_MAX);
	expect_u64(c, "mem", "size", "17179869183G", 17179869183ull << 30);

	expect_err(c, "cpu", "freq_mhz", "0", "v.ini:2: cpu.freq_mhz: 0 is outside [1, 4096]");
	expect_err(c, "cpu", "freq_mhz", "4097", "v.ini:2: cpu.freq_mhz: 4097 is outside [1, 4096]");
	expect_err(c, "cpu", "freq_mhz", "5000", "v.ini:2: cpu.freq_mhz: 5000 is outside [1, 4096]");
	expect_err(c, "cpu", "freq_mhz", "1M", "v.ini:2: cpu.freq_mhz: 1048576 is outside [1, 4096]");
	expect_err(c, "cpu", "freq_mhz", "abc", "v.ini:2: cpu.freq_mhz: 'abc' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "-1", "v.ini:2: cpu.freq_mhz: '-1' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "+1", "v.ini:2: cpu.freq_mhz: '+1' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "12kb", "v.ini:2: cpu.freq_mhz: '12kb' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "1.5", "v.ini:2: cpu.freq_mhz: '1.5' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "0x", "v.ini:2: cpu.freq_mhz: '0x' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "0x-1", "v.ini:2: cpu.freq_mhz: '0x-1' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "1 2", "v.ini:2: cpu.freq_mhz: '1 2' is not an unsigned integer");
	expect_err(c, "cpu", "freq_mhz", "", "v.ini:2: cpu.freq_mhz: '' is not an unsigned integer");
	expect_err(c, "mem", "size", "18446744073709551616",
		   "v.ini:2: mem.size: '18446744073709551616' does not fit in 64 bits");
	expect_err(c, "mem", "size", "0x10000000000000000",
		   "v.ini:2: mem.size: '0x10000000000000000' does not fit in 64 bits");
	expect_err(c, "mem", "size", "17179869184G", "v.ini:2: mem.size: '17179869184G' does not fit in 64 bits");
	/* A failed load leaves the previous value. */
	CU_ASSERT_EQUAL(cfg_u64(c, "mem", "size"), 17179869183ull << 30);
	cfg_free(c);
}

static void test_bools_enums_doubles(void)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes" };
	static const char *const no[] = { "false", "no", "off", "0", "Off" };
	struct cfg *c = new_cfg();
	for (unsigned i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		CU_ASSERT_EQUAL(load1(c, "cpu", "posted_irq", yes[i]), 0);
		CU_ASSERT_EQUAL(cfg_bool(c, "cpu", "posted_irq"), true);
	}
	for (unsigned i = 0; i < sizeof no / sizeof no[0]; i++) {
		CU_ASSERT_EQUAL(load1(c, "cpu", "posted_irq", no[i]), 0);
		CU_ASSERT_EQUAL(cfg_bool(c, "cpu", "posted_irq"), false);
	}
	expect_err(c, "cpu", "posted_irq", "maybe",
		   "v.ini:2: cpu.posted_irq: 'maybe' is not a boolean (true/false/yes/no/on/off/1/0)");
	expect_err(c, "cpu", "posted_irq", "2",
		   "v.ini:2: cpu.posted_irq: '2' is not a boolean (true/false/yes/no/on/off/1/0)");

	CU_ASSERT_EQUAL(load1(c, "gic", "version", "3"), 0);
	CU_ASSERT_EQUAL(cfg_enum(c, "gic", "version"), 0);
	CU_ASSERT_EQUAL(load1(c, "gic", "version", "4"), 0);
	CU_ASSERT_EQUAL(cfg_enum(c, "gic", "version"), 1);
	CU_ASSERT_EQUAL(load1(c, "cpu", "mode", "nvhe"), 0);
	CU_ASSERT_EQUAL(cfg_enum(c, "cpu", "mode"), 0);
	expect_err(c, "cpu", "mode", "x", "v.ini:2: cpu.mode: 'x' is not one of nvhe|vhe");
	expect_err(c, "cpu", "mode", "VHE", "v.ini:2: cpu.mode: 'VHE' is not one of nvhe|vhe");
	expect_err(c, "cpu", "mode", "nvhe|vhe", "v.ini:2: cpu.mode: 'nvhe|vhe' is not one of nvhe|vhe");
	expect_err(c, "gic", "version", "4.", "v.ini:2: gic.version: '4.' is not one of 3|4|4.1");

	CU_ASSERT_EQUAL(load1(c, "mem", "ratio", "0"), 0);
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 0.0);
	CU_ASSERT_EQUAL(load1(c, "mem", "ratio", "1"), 0);
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 1.0);
	CU_ASSERT_EQUAL(load1(c, "mem", "ratio", "2.5e-1"), 0);
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 0.25);
	expect_err(c, "mem", "ratio", "1.0000001", "v.ini:2: mem.ratio: 1.0000001 is outside [0, 1]");
	expect_err(c, "mem", "ratio", "-0.5", "v.ini:2: mem.ratio: -0.5 is outside [0, 1]");
	expect_err(c, "mem", "ratio", "abc", "v.ini:2: mem.ratio: 'abc' is not a finite number");
	expect_err(c, "mem", "ratio", "0.5x", "v.ini:2: mem.ratio: '0.5x' is not a finite number");
	expect_err(c, "mem", "ratio", "nan", "v.ini:2: mem.ratio: 'nan' is not a finite number");
	expect_err(c, "mem", "ratio", "inf", "v.ini:2: mem.ratio: 'inf' is not a finite number");
	expect_err(c, "mem", "ratio", "1e999", "v.ini:2: mem.ratio: '1e999' is not a finite number");
	expect_err(c, "mem", "ratio", "", "v.ini:2: mem.ratio: '' is not a finite number");
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 0.25);
	cfg_free(c);
}

static void test_syntax_and_lines(void)
{
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\nmode = vhe\n\n; c\nfreq_mhz\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:5: syntax error");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu\nmode = vhe\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:1: syntax error");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\nnope = 1\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:2: unknown key 'cpu.nope'");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpux]\nmode = vhe\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:2: unknown key 'cpux.mode'");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "mode = vhe\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:1: key 'mode' before any [section]");

	/* First error wins, whichever kind it is. */
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\ngarbage\nmode = x\nnope = 1\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:2: syntax error");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\nmode = x\ngarbage\nnope = 1\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:2: cpu.mode: 'x' is not one of nvhe|vhe");
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\nnope = 1\nmode = x\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:2: unknown key 'cpu.nope'");

	/* Indented keys are keys (no configparser-style continuation lines),
	 * CRLF line ends and a missing final newline are fine. */
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\r\nmode = nvhe\r\n   freq_mhz = 7\r\n\r\n[gic]\nversion = 4"), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 7);
	CU_ASSERT_EQUAL(cfg_enum(c, "gic", "version"), 1);
	CU_ASSERT_EQUAL(cfg_load_string(c, "s.ini", "[cpu]\nmode = vhe\n  nvhe\n"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "s.ini:3: syntax error");
	CU_ASSERT_EQUAL(cfg_load_string(c, "empty.ini", ""), 0);

	/* Lines libinih cannot hold are refused, not split. */
	char text[400];
	snprintf(text, sizeof text, "[cpu]\nmode = vhe\n; %0300d\nfreq_mhz = 1\n", 0);
	CU_ASSERT_EQUAL(cfg_load_string(c, "long.ini", text), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "long.ini:3: line longer than 198 characters");
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 7);
	cfg_free(c);
}

static char tmpdir[] = "/tmp/hvsim-cfg-XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_files(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	struct cfg *c = new_cfg();
	char *p = write_tmp("good.ini", full_ini);
	CU_ASSERT_EQUAL(cfg_load_file(c, p), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "mem", "size"), 16u << 20);
	unlink(p);

	char expect[256];
	p = write_tmp("bad.ini", "[cpu]\n\n\nfreq_mhz = 9999\n");
	CU_ASSERT_EQUAL(cfg_load_file(c, p), -1);
	snprintf(expect, sizeof expect, "%s:4: cpu.freq_mhz: 9999 is outside [1, 4096]", p);
	CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	unlink(p);

	char longline[300];
	snprintf(longline, sizeof longline, "[cpu]\nmode = vhe ; %0250d\n", 0);
	p = write_tmp("long.ini", longline);
	CU_ASSERT_EQUAL(cfg_load_file(c, p), -1);
	snprintf(expect, sizeof expect, "%s:2: line longer than 198 characters", p);
	CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	unlink(p);

	/* 198 characters is the limit, with or without a final newline, from
	 * a file or a string. */
	static const char *const edges[] = { "[cpu]\n;%0197d", "[cpu]\n;%0197d\n", "[cpu]\n;%0198d", "[cpu]\n;%0198d\n" };
	for (unsigned i = 0; i < 4; i++) {
		snprintf(longline, sizeof longline, edges[i], 0);
		p = write_tmp("edge.ini", longline);
		CU_ASSERT_EQUAL(cfg_load_file(c, p), i < 2 ? 0 : -1);
		CU_ASSERT_EQUAL(cfg_load_string(c, "edge.ini", longline), i < 2 ? 0 : -1);
		if (i >= 2)
			CU_ASSERT_STRING_EQUAL(err_msg(), "edge.ini:2: line longer than 198 characters");
		unlink(p);
	}

	snprintf(expect, sizeof expect, "%s/missing.ini", tmpdir);
	CU_ASSERT_EQUAL(cfg_load_file(c, expect), -1);
	strcat(expect, ": No such file or directory");
	CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	CU_ASSERT_EQUAL(cfg_load_file(c, tmpdir), -1);
	snprintf(expect, sizeof expect, "%s: Is a directory", tmpdir);
	CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	rmdir(tmpdir);
	cfg_free(c);
}

/* A NUL byte in a design file: fgets() and strlen() cut the line there, so
 * the rest of it was dropped or, past the line length limit, read as a line
 * of its own.  Either way the file is refused, naming the line. */
static void test_nul_byte(void)
{
	static const char *const texts[] = {
		"[cpu]\nfreq_mhz = 12\0" "3\n",        /* silently read as 12 */
		"[cpu]\nfreq_mhz = 8 ; \0%0183d" "mode = vhe\n",   /* a hidden third line */
		"\0",
	};
	static const size_t sizes[] = { 20, 6 + 15 + 1 + 183 + 11, 1 };
	strcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX");   /* test_files used the template */
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	for (unsigned i = 0; i < 3; i++) {
		char text[256], path[128], expect[256];
		snprintf(text, sizeof text, "%s", texts[i]);   /* up to the NUL */
		size_t head = strlen(text);
		snprintf(text + head + 1, sizeof text - head - 1, texts[i] + head + 1, 0);
		snprintf(path, sizeof path, "%s/nul.ini", tmpdir);
		FILE *f = fopen(path, "wb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(fwrite(text, 1, sizes[i], f), sizes[i]);
		fclose(f);
		struct cfg *c = new_cfg();
		CU_ASSERT_EQUAL(cfg_load_file(c, path), -1);
		snprintf(expect, sizeof expect, "%s:%d: NUL byte: not a text file", path, i < 2 ? 2 : 1);
		CU_ASSERT_STRING_EQUAL(err_msg(), expect);
		CU_ASSERT_FALSE(cfg_check_complete(c) == 0);
		cfg_free(c);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void test_set_and_order(void)
{
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_load_string(c, "default.ini", full_ini), 0);
	CU_ASSERT_EQUAL(cfg_load_string(c, "user.ini", "[cpu]\nfreq_mhz = 1000\n[mem]\nratio = 0.5\n"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=3000"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "  mem.ratio =  0.75 "), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "gic.version=3"), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 3000);
	CU_ASSERT_EQUAL(cfg_double(c, "mem", "ratio"), 0.75);
	CU_ASSERT_EQUAL(cfg_enum(c, "gic", "version"), 0);
	/* The last of several --set wins. */
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=0x10"), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 16);

	char *out = capture_list(c, true, false);
	CU_ASSERT_STRING_EQUAL(out,
		"cpu.freq_mhz   = 16        (u64, [1, 4096])                  core clock in MHz         [--set]\n"
		"cpu.mode       = vhe       (enum nvhe|vhe)                   EL2 host mode             [default.ini:4]\n"
		"cpu.posted_irq = true      (bool)                            posted interrupts         [default.ini:5]\n"
		"gic.version    = 3         (enum 3|4|4.1)                    GIC architecture version  [--set]\n"
		"mem.ratio      = 0.75      (double, [0, 1])                  hit ratio                 [--set]\n"
		"mem.size       = 16777216  (u64, [0, 18446744073709551615])  RAM bytes                 [default.ini:10]\n");
	free(out);
	out = capture_list(c, false, false);
	CU_ASSERT_STRING_EQUAL(out,
		"cpu.freq_mhz   = 16        (u64, [1, 4096])                  core clock in MHz\n"
		"cpu.mode       = vhe       (enum nvhe|vhe)                   EL2 host mode\n"
		"cpu.posted_irq = true      (bool)                            posted interrupts\n"
		"gic.version    = 3         (enum 3|4|4.1)                    GIC architecture version\n"
		"mem.ratio      = 0.75      (double, [0, 1])                  hit ratio\n"
		"mem.size       = 16777216  (u64, [0, 18446744073709551615])  RAM bytes\n");
	free(out);

	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=abc"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set cpu.freq_mhz: 'abc' is not an unsigned integer");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=8k"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set cpu.freq_mhz: 8192 is outside [1, 4096]");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.mode="), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set cpu.mode: '' is not one of nvhe|vhe");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.nope=1"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set cpu.nope: unknown key");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.mode.x=1"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set cpu.mode.x: unknown key");
	CU_ASSERT_EQUAL(cfg_set(c, "cpufreq=3"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set 'cpufreq=3': expected section.name=value");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set 'cpu.freq_mhz': expected section.name=value");
	CU_ASSERT_EQUAL(cfg_set(c, "=1"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "--set '=1': expected section.name=value");
	/* Failed --set leaves the value and its origin. */
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 16);

	/* A later file overrides an earlier --set (the caller orders sources). */
	CU_ASSERT_EQUAL(cfg_load_string(c, "late.ini", "[cpu]\nfreq_mhz=5\n"), 0);
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 5);
	cfg_free(c);
}

static void test_check_complete(void)
{
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_check_complete(c), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "no value for cpu.freq_mhz");
	CU_ASSERT_EQUAL(cfg_load_string(c, "p.ini", "[cpu]\nfreq_mhz=1\n[mem]\nratio=0\nsize=0\n[gic]\nversion=3\n"), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "no value for cpu.mode");
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.mode=vhe"), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "no value for cpu.posted_irq");
	char *out = capture_list(c, true, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "cpu.posted_irq = (unset) "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "  [unset]\n"));
	free(out);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.posted_irq=off"), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), 0);
	cfg_free(c);
}

static void test_write_ini(void)
{
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_load_string(c, "full.ini", full_ini), 0);
	char *out = capture_list(c, false, true);
	CU_ASSERT_STRING_EQUAL(out,
		"[cpu]\n"
		"; core clock in MHz (u64, [1, 4096])\n"
		"freq_mhz = 2048\n"
		"; EL2 host mode (enum nvhe|vhe)\n"
		"mode = vhe\n"
		"; posted interrupts (bool)\n"
		"posted_irq = true\n"
		"\n"
		"[gic]\n"
		"; GIC architecture version (enum 3|4|4.1)\n"
		"version = 4.1\n"
		"\n"
		"[mem]\n"
		"; hit ratio (double, [0, 1])\n"
		"ratio = 0.1\n"
		"; RAM bytes (u64, [0, 18446744073709551615])\n"
		"size = 16777216\n");
	free(out);
	cfg_free(c);
}

/* Values written by cfg_write_ini load back bit for bit. */
static void test_round_trip(void)
{
	static const double ratios[] = {
		0.1, 1.0 / 3, 2.0 / 3, 1e-300, 4.9406564584124654e-324, 0.30000000000000004,
		0.123456789012345678, 1 - 1e-16, 0, 1, 0.5, 1e-5,
	};
	static const uint64_t sizes[] = { 0, 1, UINT64_MAX, 1ull << 63, 123456789012345ull };
	unsigned bad = 0;

	for (unsigned i = 0; i < sizeof ratios / sizeof ratios[0]; i++) {
		struct cfg *a = new_cfg(), *b = new_cfg();
		char set[64];
		CU_ASSERT_EQUAL(cfg_load_string(a, "full.ini", full_ini), 0);
		snprintf(set, sizeof set, "mem.ratio=%.17g", ratios[i]);
		CU_ASSERT_EQUAL(cfg_set(a, set), 0);
		snprintf(set, sizeof set, "mem.size=%llu", (unsigned long long)sizes[i % 5]);
		CU_ASSERT_EQUAL(cfg_set(a, set), 0);
		CU_ASSERT_EQUAL(cfg_set(a, i & 1 ? "cpu.posted_irq=no" : "cpu.posted_irq=yes"), 0);

		char *ini = capture_list(a, false, true);
		if (cfg_load_string(b, "written.ini", ini) != 0) {
			fprintf(stderr, "\n  %s\n", err_msg());
			bad++;
		}
		double da = cfg_double(a, "mem", "ratio"), db = cfg_double(b, "mem", "ratio");
		if (memcmp(&da, &db, sizeof da) != 0 || da != ratios[i])
			bad++;
		if (cfg_u64(b, "mem", "size") != sizes[i % 5] || cfg_bool(b, "cpu", "posted_irq") != !(i & 1) ||
		    cfg_enum(b, "gic", "version") != 2 || cfg_enum(b, "cpu", "mode") != 1 ||
		    cfg_u64(b, "cpu", "freq_mhz") != 2048)
			bad++;
		char *again = capture_list(b, false, true);
		if (strcmp(ini, again) != 0)
			bad++;
		free(again);
		free(ini);
		cfg_free(a);
		cfg_free(b);
	}
	CU_ASSERT_EQUAL(bad, 0);

	/* Shortest form, not 17 digits. */
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_load_string(c, "r.ini", "[mem]\nratio = 0.3\n"), 0);
	char *ini = capture_list(c, false, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(ini, "\nratio = 0.3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ini, "\n; freq_mhz = (unset)\n"));
	free(ini);
	CU_ASSERT_EQUAL(cfg_set(c, "mem.ratio=4.9406564584124654e-324"), 0);
	ini = capture_list(c, false, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(ini, "\nratio = 5e-324\n"));
	free(ini);
	cfg_free(c);
}

/* Programming errors in accessors stop the program with status 70. */
static struct cfg *acc_cfg;
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
static void wrong_type(void) { (void)cfg_bool(acc_cfg, "cpu", "freq_mhz"); }
static void undeclared(void) { (void)cfg_u64(acc_cfg, "cpu", "nope"); }
static void unset(void) { (void)cfg_double(acc_cfg, "mem", "ratio"); }
static void right(void) { (void)cfg_u64(acc_cfg, "cpu", "freq_mhz"); }

static void test_accessor_misuse(void)
{
	acc_cfg = new_cfg();
	CU_ASSERT_EQUAL(cfg_set(acc_cfg, "cpu.freq_mhz=5"), 0);
	CU_ASSERT_EQUAL(child_status(wrong_type), 70);
	CU_ASSERT_EQUAL(child_status(undeclared), 70);
	CU_ASSERT_EQUAL(child_status(unset), 70);
	CU_ASSERT_EQUAL(child_status(right), 0);
	cfg_free(acc_cfg);
}

/* ---- design files that are not files; duplicate keys ---- */

static const char *special_path, *special_kind;

/* In a child, so that a hang (killed by the alarm) fails the test instead
 * of blocking the suite. */
static void load_special(void)
{
	char expect[128];
	struct cfg *c = cfg_new();
	alarm(10);
	int r = cfg_load_file(c, special_path);
	snprintf(expect, sizeof expect, "%s: %s, not a regular file", special_path, special_kind);
	_exit(r == -1 && strcmp(err_msg(), expect) == 0 ? 0 : 1);
}

static void test_special_files(void)
{
	char dir[] = "/tmp/hvsim-cfg-special-XXXXXX", fifo[64];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/design.ini", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	/* A FIFO with no writer blocks open(); /dev/zero never ends. */
	special_path = fifo;
	special_kind = "a FIFO";
	CU_ASSERT_EQUAL(child_status(load_special), 0);
	special_path = "/dev/zero";
	special_kind = "a character device";
	CU_ASSERT_EQUAL(child_status(load_special), 0);
	special_path = "/dev/null";
	CU_ASSERT_EQUAL(child_status(load_special), 0);
	unlink(fifo);
	rmdir(dir);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Up to 1 MiB, and not a byte more, from the file; a string has no limit. */
static void test_file_size_limit(void)
{
	char dir[] = "/tmp/hvsim-cfg-size-XXXXXX", path[64], expect[128];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/big.ini", dir);
	size_t n = 1u << 20;
	char *text = malloc(n + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < n; i += 64)   /* 64-byte comment lines */
		snprintf(text + i, 65, "; %061d\n", 0);
	struct cfg *c = new_cfg();
	for (int extra = 0; extra <= 1; extra++) {
		strcpy(text + n, extra ? "\n" : "");
		write_bytes(path, text, n + extra);
		CU_ASSERT_EQUAL(cfg_load_file(c, path), extra ? -1 : 0);
		CU_ASSERT_EQUAL(cfg_load_string(c, "big.ini", text), 0);
	}
	CU_ASSERT_EQUAL(cfg_load_file(c, path), -1);
	snprintf(expect, sizeof expect, "%s: larger than 1024 KiB, the limit for a design file", path);
	CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	unlink(path);
	rmdir(dir);
	free(text);
	cfg_free(c);
}

/* A NUL byte means a binary file (a disk image, a compressed design): refused
 * at its line, even where the rest of the line would have parsed. */
static void test_nul_bytes(void)
{
	static const struct { const char *text; size_t len; unsigned line; } cases[] = {
		{ "[cpu]\n\0\0\0\nfreq_mhz = 5\n", 20, 2 },
		{ "[cpu]\nfreq_mhz = 5\0 junk\n", 25, 2 },
		{ "[cpu]\nmode = vhe\n\0", 18, 3 },        /* one NUL, last byte of the file */
		{ "\0", 1, 1 },
	};
	char dir[] = "/tmp/hvsim-cfg-nul-XXXXXX", path[64], expect[128];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/bin.ini", dir);
	struct cfg *c = new_cfg();
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=7"), 0);
	for (unsigned i = 0; i <= sizeof cases / sizeof cases[0]; i++) {
		if (i < sizeof cases / sizeof cases[0])
			write_bytes(path, cases[i].text, cases[i].len);
		else   /* 2 MiB of zeros (sparse): refused at once, not read as 10,000 empty lines */
			CU_ASSERT_EQUAL(truncate(path, 2 << 20), 0);
		CU_ASSERT_EQUAL(cfg_load_file(c, path), -1);
		snprintf(expect, sizeof expect, "%s:%u: NUL byte: not a text file", path,
			 i < sizeof cases / sizeof cases[0] ? cases[i].line : 1);
		CU_ASSERT_STRING_EQUAL(err_msg(), expect);
	}
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 7);
	unlink(path);
	rmdir(dir);
	cfg_free(c);
}

static void capture_expect(const char *want)
{
	char *out = unit_capture_end();
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
}

#define WARN_PREFIX "hvsim: warning: "

static void test_duplicates(void)
{
	struct cfg *c = new_cfg();

	unit_capture_begin();
	CU_ASSERT_EQUAL(cfg_load_string(c, "d.ini", "[cpu]\nfreq_mhz = 1\nmode = vhe\n[mem]\nratio = 0.5\n"
					   "[cpu]\nfreq_mhz = 2\n; x\nfreq_mhz = 3\n"), 0);
	capture_expect(WARN_PREFIX "d.ini:7: cpu.freq_mhz already set at line 2; this value wins\n"
		       WARN_PREFIX "d.ini:9: cpu.freq_mhz already set at line 7; this value wins\n");
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 3);

	/* Across files (and the same file loaded again) overriding is the point: silent. */
	unit_capture_begin();
	CU_ASSERT_EQUAL(cfg_load_string(c, "e.ini", "[cpu]\nfreq_mhz = 4\n"), 0);
	CU_ASSERT_EQUAL(cfg_load_string(c, "e.ini", "[cpu]\nfreq_mhz = 5\n"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=6"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.mode=nvhe"), 0);
	capture_expect("");

	/* A failed value sets nothing: no warning, and the next one is not a duplicate of it. */
	unit_capture_begin();
	CU_ASSERT_EQUAL(cfg_load_string(c, "f.ini", "[cpu]\nfreq_mhz = 9999\nfreq_mhz = 8\n"), -1);
	CU_ASSERT_EQUAL(cfg_load_string(c, "g.ini", "[mem]\nratio = 2\n"), -1);
	capture_expect("");

	/* --set given twice: the last wins, with a warning naming the value. */
	unit_capture_begin();
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=0x10"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=abc"), -1);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.mode=vhe"), 0);
	capture_expect(WARN_PREFIX "--set cpu.freq_mhz given more than once; the last value, 0x10, wins\n"
		       WARN_PREFIX "--set cpu.mode given more than once; the last value, vhe, wins\n");
	CU_ASSERT_EQUAL(cfg_u64(c, "cpu", "freq_mhz"), 16);

	/* A file between two --set: the second --set overrides the file, silently. */
	unit_capture_begin();
	CU_ASSERT_EQUAL(cfg_load_string(c, "h.ini", "[cpu]\nfreq_mhz = 7\n"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "cpu.freq_mhz=9"), 0);
	capture_expect("");
	cfg_free(c);
}

static void test_err(void)
{
	CU_ASSERT_EQUAL(err_set("bad magic %d", 7), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "bad magic 7");
	CU_ASSERT_EQUAL(err_prefix("%s", "fw.elf"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "fw.elf: bad magic 7");
	err_prefix("--firmware");
	CU_ASSERT_STRING_EQUAL(err_msg(), "--firmware: fw.elf: bad magic 7");
	/* Over-long messages are cut, never overflow. */
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	err_set("%s", big);
	CU_ASSERT_EQUAL(strlen(err_msg()), 1023);
	err_set("tail");
	err_prefix("%s", big);
	CU_ASSERT_EQUAL(strlen(err_msg()), 1023);
	err_set("%s", big);
	err_prefix("p");
	CU_ASSERT_EQUAL(strlen(err_msg()), 1023);
	CU_ASSERT_EQUAL(strncmp(err_msg(), "p: xxx", 6), 0);
}

static void test_log(void)
{
	static const char *const names[] = { "cpu", "exit", "mmio", "psci", "sched", "elf", "decode", "config", "gic" };
	for (unsigned i = 0; i < LOG_COMP_COUNT; i++) {
		CU_ASSERT_STRING_EQUAL(log_comp_name((enum log_comp)i), names[i]);
		CU_ASSERT_TRUE(strlen(log_comp_doc((enum log_comp)i)) > 0);
	}
	CU_ASSERT_EQUAL(log_parse("cpu,exit"), 0);
	CU_ASSERT_EQUAL(log_mask, (1u << LOG_CPU) | (1u << LOG_EXIT));
	CU_ASSERT_TRUE(DBG_ON(LOG_EXIT));
	CU_ASSERT_FALSE(DBG_ON(LOG_MMIO));
	CU_ASSERT_EQUAL(log_parse("config"), 0);
	CU_ASSERT_EQUAL(log_mask, 1u << LOG_CONFIG);
	CU_ASSERT_EQUAL(log_parse("all"), 0);
	CU_ASSERT_EQUAL(log_mask, 0x1ffu);
	CU_ASSERT_EQUAL(log_parse("sched,bogus"), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "unknown debug component 'bogus' (valid: cpu, exit, mmio, psci, "
					  "sched, elf, decode, config, gic, all)");
	CU_ASSERT_EQUAL(log_mask, 0x1ffu);           /* unchanged on error */
	CU_ASSERT_EQUAL(log_parse("cpu,,exit"), -1);
	CU_ASSERT_EQUAL(log_parse(""), -1);
	CU_ASSERT_EQUAL(log_parse("cpux"), -1);
	CU_ASSERT_EQUAL(log_parse("cp"), -1);
	log_mask = 0;
}

static CU_TestInfo tests[] = {
	{ "declare", test_declare },
	{ "load_values", test_load_values },
	{ "integers", test_integers },
	{ "bools_enums_doubles", test_bools_enums_doubles },
	{ "syntax_and_lines", test_syntax_and_lines },
	{ "files", test_files },
	{ "nul_byte", test_nul_byte },
	{ "set_and_order", test_set_and_order },
	{ "check_complete", test_check_complete },
	{ "write_ini", test_write_ini },
	{ "round_trip", test_round_trip },
	{ "accessor_misuse", test_accessor_misuse },
	{ "FIFO and device design files", test_special_files },
	{ "design file size limit", test_file_size_limit },
	{ "NUL bytes", test_nul_bytes },
	{ "duplicate keys", test_duplicates },
	{ "err", test_err },
	{ "log", test_log },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("core_cfg", tests);
}
