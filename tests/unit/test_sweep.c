/* Sweep files: enumeration order (workload, design, axes with the last
 * fastest, seed, repetition), cross and zip, ranges, machines matched to
 * designs by 'arch'. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/err.h"
#include "sweep/spec.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/hvsim-sweep-unit-XXXXXX";

/* An ELF header is all a sweep file needs of a workload. */
static int fake_elf(const char *name, unsigned machine)
{
	Elf64_Ehdr eh = { 0 };
	char path[256];
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_machine = machine;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(&eh, sizeof eh, 1, f);
	return fclose(f) || n != 1 ? -1 : 0;
}

static struct sweep_spec *load(const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/s.ini", dir);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return sweep_spec_load(path);
}

static void test_cross_order(void)
{
	struct sweep_spec *s = load("[sweep]\nrepeat = 2\nseeds = 7 8\n"
				    "[workload a]\nelf = a.elf\n[workload x]\nelf = x.elf\n"
				    "[design d1]\n[design d2]\narch = x86\n"
				    "[axis p]\nkey = sim.vcpus\nvalues = 1 2 4\n[axis q]\nkey = sim.ram_mb\nvalues = 64 128\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* pairs: (a,d1) (x,d1) (x,d2) = 3; x 6 axis combinations x 2 seeds x 2 reps */
	CU_ASSERT_EQUAL(sweep_point_count(s), 3 * 6 * 2 * 2);
	struct sweep_point p;
	sweep_point_get(s, 0, &p);
	CU_ASSERT(p.wl == 0 && p.ds == 0 && p.val[0] == 0 && p.val[1] == 0 && p.seed == 0 && p.rep == 0);
	sweep_point_get(s, 1, &p);        /* repetition varies fastest */
	CU_ASSERT(p.rep == 1 && p.seed == 0 && p.val[1] == 0);
	sweep_point_get(s, 2, &p);        /* then the seed */
	CU_ASSERT(p.rep == 0 && p.seed == 1 && p.val[1] == 0);
	sweep_point_get(s, 4, &p);        /* then the last axis */
	CU_ASSERT(p.val[0] == 0 && p.val[1] == 1 && p.seed == 0);
	sweep_point_get(s, 8, &p);        /* then the first axis */
	CU_ASSERT(p.val[0] == 1 && p.val[1] == 0);
	sweep_point_get(s, 24, &p);       /* then the (workload, design) pair */
	CU_ASSERT(p.wl == 1 && p.ds == 0);
	sweep_point_get(s, 71, &p);       /* the last point */
	CU_ASSERT(p.wl == 1 && p.ds == 1 && p.val[0] == 2 && p.val[1] == 1 && p.seed == 1 && p.rep == 1);
	CU_ASSERT_STRING_EQUAL(s->name, "s");
	sweep_spec_free(s);
}

static void test_zip_and_ranges(void)
{
	struct sweep_spec *s = load("[sweep]\ncombine = zip\n[workload a]\nelf = a.elf\n[design d]\n"
				    "[axis p]\nkey = sim.quantum_cycles\nrange = 1000 100000 *10\n"
				    "[axis q]\nkey = sim.ram_mb\nrange = 64 192 +64\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->ax[0].values.n, 3);
	CU_ASSERT_STRING_EQUAL(s->ax[0].values.w[0], "1000");
	CU_ASSERT_STRING_EQUAL(s->ax[0].values.w[2], "100000");
	CU_ASSERT_EQUAL(s->ax[1].values.n, 3);
	CU_ASSERT_STRING_EQUAL(s->ax[1].values.w[1], "128");
	CU_ASSERT_EQUAL(sweep_point_count(s), 3);   /* zip: i-th with i-th */
	struct sweep_point p;
	sweep_point_get(s, 2, &p);
	CU_ASSERT(p.val[0] == 2 && p.val[1] == 2);
	sweep_spec_free(s);
}

static void expect_error(const char *text, const char *msg)
{
	struct sweep_spec *s = load(text);
	CU_ASSERT_PTR_NULL(s);
	sweep_spec_free(s);
	if (!strstr(err_msg(), msg)) {
		fprintf(stderr, "\n  got: %s\n  want: %s\n", err_msg(), msg);
		CU_FAIL("error message");
	}
}

static void test_errors(void)
{
	expect_error("[sweep]\nrepeat = 0\n", "s.ini:2: sweep.repeat: expected a count from 1 to 1000");
	expect_error("[workload a]\nelf = a.elf\n[design d]\narch = ppc\n", "s.ini:4: design d: arch 'ppc'");
	expect_error("[bogus x]\n", "s.ini:1: [bogus x]: unknown section kind 'bogus'");
	expect_error("[workload a]\nelf = a.elf\n[workload a]\n", "s.ini:3: workload a: declared twice");
	expect_error("[workload a]\nelf = nothere.elf\n[design d]\n", "s.ini:1: workload a: ");
	expect_error("[workload a]\nelf = a.elf\n", "no [design NAME] section");
	expect_error("[workload a]\nelf = a.elf\n[design d]\narch = x86\n", "no design applies to any workload");
	expect_error("[axis p]\nkey = sim.vcpus\nrange = 1 2 *1\n", "s.ini:3: axis p: range '1 2 *1' does not go");
	expect_error("[workload a]\ntrace = t.dat\n", "s.ini:2: workload a: trace replay is not in this version");
	expect_error("[axis p]\nkey = novalue\n", "s.ini:2: axis p: key 'novalue' is not SECTION.KEY");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 2;
	if (fake_elf("a.elf", EM_AARCH64) < 0 || fake_elf("x.elf", EM_X86_64) < 0)
		return 2;
	static CU_TestInfo tests[] = {
		{ "cross order", test_cross_order },
		{ "zip and ranges", test_zip_and_ranges },
		{ "errors", test_errors },
		CU_TEST_INFO_NULL,
	};
	int rc = unit_run("sweep", tests);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd)) {}
	return rc;
}
