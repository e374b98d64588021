/* Fuzz target: design files and --set (core/cfg.c) with the real declared
 * keys of either machine over its default design.
 * Input: byte 0 bit 0 picks the machine (0 arm64, 1 x86).  Bits 1 and 2
 * clear: the rest, split at NUL bytes, is a design file's text, then up to 64
 * --set assignments.  Bit 1 set: the rest is a design file, NUL bytes and
 * all.  Bit 2 set: a key (byte 1) and a value for it (the rest).
 * Promises checked (core/cfg.h): the same text read from a string and from a
 * file gives the same result, message and values; a file holding a NUL byte
 * is refused; a value given by --set and by a design line gets the same
 * verdict; every error names its origin ("<file>:" or "--set "); the
 * effective design stays complete and cfg_write_ini's output loads back to
 * the same values. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "core/cfg.h"
#include "cpu/el2.h"
#include "cpu/vmx.h"
#include "platform/designs.h"
#include "platform/pc.h"
#include "platform/virt.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = fuzz_memfd("fuzz-cfg", path, sizeof path);
	return 0;
}


/* The keys `hvsim run` declares for the machine (platform/designs.c). */
static struct cfg *schema(bool x86, bool with_defaults)
{
	struct cfg *c = cfg_new();
	enum isa isa = x86 ? ISA_X86_64 : ISA_A64;
	int r = with_defaults ? design_load_default(c, isa) : design_declare(c, isa);
	fuzz_check(r == 0, "schema and default design load");
	return c;
}

static char *dump(const struct cfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	cfg_write_ini(c, f);
	fclose(f);
	return buf;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The text through cfg_load_string into a and through cfg_load_file into b. */
static void load_both(struct cfg *a, struct cfg *b, const char *text)
{
	fuzz_memfd_write(fd, text, strlen(text));
	int ra = cfg_load_string(a, path, text);
	char *ma = strdup(err_msg());
	int rb = cfg_load_file(b, path);
	fuzz_check(ra == rb, "string and file give the same result");
	fuzz_check(ra == 0 || strcmp(ma, err_msg()) == 0, "string and file give the same message");
	fuzz_check(ra == 0 || (starts_with(ma, path) && ma[strlen(path)] == ':'), "load error names the file");
	free(ma);
	char *da = dump(a), *db = dump(b);
	fuzz_check(strcmp(da, db) == 0, "string and file give the same values");
	free(da);
	free(db);
}

/* cfg_write_ini output loads back, into the bare schema, to the same values. */
static void round_trip(const struct cfg *c, bool x86)
{
	struct cfg *d = schema(x86, false);
	char *text = dump(c);
	fuzz_check(cfg_load_string(d, "dump", text) == 0, "cfg_write_ini output loads");
	fuzz_check(cfg_check_complete(d) == 0, "cfg_write_ini output is complete");
	char *again = dump(d);
	fuzz_check(strcmp(text, again) == 0, "cfg_write_ini output loads to the same values");
	free(text);
	free(again);
	cfg_free(d);
}

/* A design file with any bytes: one holding a NUL byte is refused (a line
 * cut there would hide the rest of it); else as from a string. */
static void load_raw(bool x86, const uint8_t *data, size_t size)
{
	struct cfg *a = schema(x86, true);
	if (!memchr(data, '\0', size)) {
		char *text = strndup((const char *)data, size);
		struct cfg *b = schema(x86, true);
		load_both(b, a, text);
		cfg_free(b);
		free(text);
	} else {
		fuzz_memfd_write(fd, data, size);
		fuzz_check(cfg_load_file(a, path) < 0 && starts_with(err_msg(), path), "a NUL byte is refused");
	}
	cfg_free(a);
}

/* One value for one key, by --set and by a design line: the same verdict
 * and the same value.  (A ';' would start a comment in the design; a line
 * has no newline and at most 198 characters.) */
static void set_vs_design(bool x86, const uint8_t *data, size_t size)
{
	const struct cfg_key *lists[2] = { machine_cfg_keys, x86 ? vmx_cfg_keys : el2_cfg_keys };
	const unsigned counts[2] = { machine_cfg_nkeys, x86 ? vmx_cfg_nkeys : el2_cfg_nkeys };
	if (size < 1)
		return;
	unsigned i = data[0] % (counts[0] + counts[1]);
	const struct cfg_key *k = i < counts[0] ? &lists[0][i] : &lists[1][i - counts[0]];
	char *value = strndup((const char *)data + 1, size - 1);
	if (strpbrk(value, ";\n") || strlen(value) > 150) {
		free(value);
		return;
	}
	char set[256], ini[256];
	snprintf(set, sizeof set, "%s.%s=%s", k->section, k->name, value);
	snprintf(ini, sizeof ini, "[%s]\n%s = %s\n", k->section, k->name, value);
	struct cfg *a = schema(x86, true), *b = schema(x86, true);
	int ra = cfg_set(a, set), rb = cfg_load_string(b, "design", ini);
	fuzz_check(ra == rb, "--set and a design line give the same verdict");
	char *da = dump(a), *db = dump(b);
	fuzz_check(strcmp(da, db) == 0, "--set and a design line give the same value");
	free(da);
	free(db);
	cfg_free(a);
	cfg_free(b);
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bool x86 = data[0] & 1;
	if (data[0] & 4) {
		set_vs_design(x86, data + 1, size - 1);
		return 0;
	}
	if (data[0] & 2) {
		load_raw(x86, data + 1, size - 1);
		return 0;
	}
	/* NUL-terminated pieces: a copy with a NUL after the last one. */
	char *buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	const char *end = buf + size - 1;

	struct cfg *a = schema(x86, true), *b = schema(x86, true);
	load_both(a, b, buf);
	const char *p = buf + strlen(buf) + 1;
	for (unsigned n = 0; p <= end && n < 64; n++, p += strlen(p) + 1)
		if (cfg_set(a, p) < 0)
			fuzz_check(starts_with(err_msg(), "--set "), "--set error starts with --set");
	fuzz_check(cfg_check_complete(a) == 0, "the design stays complete");
	round_trip(a, x86);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cfg_list(a, f, true);
	cfg_list(a, f, false);
	fclose(f);
	free(text);
	cfg_free(a);
	cfg_free(b);
	free(buf);
	return 0;
}
