/* Shared CUnit runner.  Each tests/unit/test_*.c is its own program:
 *   static CU_TestInfo tests[] = { {"name", fn}, ..., CU_TEST_INFO_NULL };
 *   int main(void) { return unit_run("suite", tests); }
 * CU_basic_run_tests() reports success even when assertions fail (CUnit 2.1-3),
 * so the exit status is computed from CU_get_number_of_failures(). */
#ifndef HVSIM_TESTS_UNIT_H
#define HVSIM_TESTS_UNIT_H
#include <CUnit/Basic.h>
#include <stdio.h>

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
#endif
