/* Shared CUnit runner.  Each tests/unit/test_*.c is its own program:
 *   static CU_TestInfo tests[] = { {"name", fn}, ..., CU_TEST_INFO_NULL };
 *   int main(void) { return unit_run("suite", tests); }
 * CU_basic_run_tests() reports success even when assertions fail (CUnit 2.1-3),
 * so the exit status is computed from CU_get_number_of_failures(). */
#ifndef HVSIM_TESTS_UNIT_H
#define HVSIM_TESTS_UNIT_H
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline int unit_run(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = { { suite, NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "%s: %s\n", suite, CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return fails || run == 0 ? 1 : 0;
}

/* What the code under test writes to stderr, between unit_capture_begin()
 * and unit_capture_end() (a malloc'd string; "" if nothing). */
static FILE *unit_cap_file;
static int unit_cap_saved = -1;

static inline void unit_capture_begin(void)
{
	fflush(stderr);
	unit_cap_file = tmpfile();
	if (!unit_cap_file) {
		perror("tmpfile");
		abort();
	}
	unit_cap_saved = dup(2);
	dup2(fileno(unit_cap_file), 2);
}

static inline char *unit_capture_end(void)
{
	fflush(stderr);
	dup2(unit_cap_saved, 2);
	close(unit_cap_saved);
	off_t n = lseek(fileno(unit_cap_file), 0, SEEK_END);
	char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	if (!buf || pread(fileno(unit_cap_file), buf, (size_t)n, 0) != n) {
		perror("unit_capture_end");
		abort();
	}
	fclose(unit_cap_file);
	return buf;
}
#endif
