/* mmu/walk.c: the two-dimensional walk, its ordered references and their
 * count (n+1)(m+1)-1 for n stage-1 and m stage-2 levels (Bhargava et al.,
 * ASPLOS 2008: 24 for 4+4; 35 for 5+5), for every mix of page sizes, on
 * x86 paging + EPT and on VMSAv8-64 stage 1 + stage 2. */
#include "tests/unit/mmu_env.h"

static void test_x86_ept_24(void)
{
	struct mmu_stage s1 = x86_s1(4), s2 = ept(4);
	struct mmu_result res;
	nested(&s1, &s2, 12, 12, 24, &res);
	check_order(&res, 4, 4, 4, 4, -1);
	/* the last references translate the final GPA */
	CU_ASSERT_EQUAL(res.ref[23].ia, GPA_DATA + 0x123);
}

static void test_x86_ept_35(void)
{
	struct mmu_stage s1 = x86_s1(5), s2 = ept(5);
	struct mmu_result res;
	nested(&s1, &s2, 12, 12, 35, &res);
	check_order(&res, 5, 5, 5, 5, -1);
}

/* Every mix of 4K/2M/1G: n = 4, 3, 2 stage-1 levels, m likewise;
 * (n+1)(m+1)-1 reads. */
static void mix_4k(struct mmu_stage s1t, struct mmu_stage s2t, int top, int dir)
{
	static const unsigned sh[] = { 12, 21, 30 }, lv[] = { 4, 3, 2 };
	static const unsigned expect[3][3] = { { 24, 19, 14 }, { 19, 15, 11 }, { 14, 11, 8 } };
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < 3; j++) {
			struct mmu_stage s1 = s1t, s2 = s2t;
			struct mmu_result res;
			nested(&s1, &s2, sh[i], sh[j], expect[i][j], &res);
			check_order(&res, lv[i], lv[j], top, top, dir);
		}
}

static void test_x86_ept_mix(void)
{
	mix_4k(x86_s1(4), ept(4), 4, -1);
}

static void test_vmsa_4k_24(void)
{
	mix_4k(vmsa_s1(12, 48), vmsa_s2(12, 48, 0), 0, 1);
}

/* Page sizes of one stage and the levels a walk then reads (by hand from
 * the level layouts: SDM 4.5, Arm ARM D8.2). */
struct sizes {
	unsigned n;
	unsigned shift[3], levels[3];
};

/* Every stage-1 size x every stage-2 size: (n+1)(m+1)-1 reads. */
static void mix(struct mmu_stage s1t, struct mmu_stage s2t, const struct sizes *a, const struct sizes *b, int s1top,
		int s2top, int dir)
{
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++) {
			struct mmu_stage s1 = s1t, s2 = s2t;
			struct mmu_result res;
			unsigned n = a->levels[i], m = b->levels[j];
			nested(&s1, &s2, a->shift[i], b->shift[j], (n + 1) * (m + 1) - 1, &res);
			check_order(&res, n, m, s1top, s2top, dir);
		}
}

static const struct sizes x86_4 = { 3, { 12, 21, 30 }, { 4, 3, 2 } };
static const struct sizes x86_5 = { 3, { 12, 21, 30 }, { 5, 4, 3 } };

static void test_x86_5level_mix(void)
{
	mix(x86_s1(5), ept(5), &x86_5, &x86_5, 5, 5, -1);
	mix(x86_s1(4), ept(5), &x86_4, &x86_5, 4, 5, -1);
	mix(x86_s1(5), ept(4), &x86_5, &x86_4, 5, 4, -1);
}

/* 16K granule: stage 1 with 48 bits starts at level 0 (4 levels), stage 2
 * with 40 bits at level 1 (3 levels); blocks of 32 MiB at level 2. */
static void test_vmsa_16k(void)
{
	static const struct sizes s1 = { 2, { 14, 25 }, { 4, 3 } }, s2 = { 2, { 14, 25 }, { 3, 2 } };
	mix(vmsa_s1(14, 48), vmsa_s2(14, 40, 1), &s1, &s2, 0, 1, 1);
}

/* 64K granule: 48 bits start at level 1 (3 levels), 40 bits at level 2
 * (2 levels); blocks of 512 MiB at level 2. */
static void test_vmsa_64k(void)
{
	static const struct sizes s1 = { 2, { 16, 29 }, { 3, 2 } }, s2 = { 2, { 16, 29 }, { 2, 1 } };
	mix(vmsa_s1(16, 48), vmsa_s2(16, 40, 2), &s1, &s2, 1, 2, 1);
}

/* 4K stage 2 with a 40-bit IPA starting at level 1: two concatenated
 * level-1 tables (10 index bits); GPA bit 39 selects the second. */
static void test_vmsa_concatenated(void)
{
	static const struct sizes s1 = { 3, { 12, 21, 30 }, { 4, 3, 2 } }, s2 = { 3, { 12, 21, 30 }, { 3, 2, 1 } };
	mix(vmsa_s1(12, 48), vmsa_s2(12, 40, 1), &s1, &s2, 0, 1, 1);

	struct mmu_stage st = vmsa_s2(12, 40, 1);
	struct mmu_result res;
	struct env *e = env_setup(NULL, &st);
	uint64_t gpa = 1ULL << 39;
	env_map(e, &st, gpa, PA_DATA, 4096, 12, RWXU);
	CU_ASSERT_FATAL(walk(e, NULL, &st, gpa + 0x10, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.pa, PA_DATA + 0x10);
	CU_ASSERT_EQUAL(res.nrefs, 3);
	CU_ASSERT_EQUAL(res.ref[0].pa, st.root + 512 * 8);
	CU_ASSERT_EQUAL(res.ref[0].level, 1);
	/* 16 tables (13 bits) are the most: 43 bits at level 1 walk, 44 do not */
	struct mmu_stage s43 = vmsa_s2(12, 43, 1), s44 = vmsa_s2(12, 44, 1), s39 = vmsa_s2(12, 39, 0);
	env_root(e, &s43);
	env_map(e, &s43, 0x40000000000ULL, PA_DATA, 4096, 12, RWXU);
	CU_ASSERT(walk(e, NULL, &s43, 0x40000000000ULL, MMU_R, false, &res));
	s44.root = s39.root = s43.root;
	fails(e, NULL, &s44, 0x1000, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 2, 0, 0x04);
	/* a start level with no index bit left is inconsistent too */
	fails(e, NULL, &s39, 0x1000, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 2, 0, 0x04);
	CU_ASSERT_EQUAL(res.nrefs, 0);
	env_free(e);
}

/* 4K with a 52-bit VA starts at level -1: five levels (FEAT_LPA2). */
static void test_vmsa_level_minus1(void)
{
	struct mmu_stage s1 = vmsa_s1(12, 52), s2 = vmsa_s2(12, 48, 0);
	struct mmu_result res;
	nested(&s1, &s2, 12, 12, 6 * 5 - 1, &res);
	check_order(&res, 5, 4, -1, 0, 1);
}

/* Stage 1 only and stage 2 only: n and m references. */
static void test_single_stage(void)
{
	struct mmu_stage s1 = x86_s1(4), s2 = ept(4);
	struct mmu_result res;
	struct env *e = env_setup(&s1, &s2);
	env_map(e, &s2, GPA_DATA, PA_DATA, 4096, 12, RWXU);
	CU_ASSERT_FATAL(walk(e, &s1, NULL, VA_DATA + 8, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.pa, GPA_DATA + 8);
	CU_ASSERT_EQUAL(res.nrefs, 4);
	CU_ASSERT_FATAL(walk(e, NULL, &s2, GPA_DATA + 8, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.pa, PA_DATA + 8);
	CU_ASSERT_EQUAL(res.nrefs, 4);
	CU_ASSERT_EQUAL(res.ref[0].step, 0);
	CU_ASSERT_FATAL(walk(e, NULL, NULL, 0x1234, MMU_W, false, &res));
	CU_ASSERT_EQUAL(res.pa, 0x1234);
	CU_ASSERT_EQUAL(res.nrefs, 0);
	env_free(e);
}

/* Not-present leaf: #PF error code P=0 (SDM 4.7): user write = W|U = 0x6. */
static void test_x86_not_present(void)
{
	struct mmu_stage s1 = x86_s1(4);
	struct mmu_result res;
	struct env *e = env_setup(&s1, NULL);
	fails(e, &s1, NULL, VA_DATA + 0x1000, MMU_W, true, &res, MMU_FAULT_TRANSLATION, 1, 1, 0x6);
	CU_ASSERT_EQUAL(res.fault.va, VA_DATA + 0x1000);
	CU_ASSERT_EQUAL(res.nrefs, 4);
	env_free(e);
}

/* EPT violation on the final GPA: qualification read (bit 0), R/W/X 0,
 * linear address valid (bit 7), final translation (bit 8) = 0x181. */
static void test_ept_violation(void)
{
	struct mmu_stage s1 = x86_s1(4), s2 = ept(4);
	struct mmu_result res;
	struct env *e = env_setup(&s1, &s2);
	CU_ASSERT_FALSE(walk(e, &s1, &s2, VA_DATA + 0x10, MMU_R, false, &res));
	/* the final walk stops at the PDPT (level 3), not present */
	expect_fault(&res, MMU_FAULT_TRANSLATION, 2, 3, 0x181);
	expect_gpa(&res, GPA_DATA + 0x10, false);
	CU_ASSERT_EQUAL(res.fault.va, VA_DATA + 0x10);
	CU_ASSERT_EQUAL(res.nrefs, 4 * 5 + 2);
	env_free(e);
}

/* VMSA: translation fault at level 3, write: DFSC 0x07 | WnR (bit 6). */
static void test_vmsa_translation(void)
{
	struct mmu_stage s1 = vmsa_s1(12, 48);
	struct mmu_result res;
	struct env *e = env_setup(&s1, NULL);
	fails(e, &s1, NULL, VA_DATA + 0x1000, MMU_W, false, &res, MMU_FAULT_TRANSLATION, 1, 3, 0x47);
	env_free(e);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "x86 + EPT 4+4: 24 references in order", test_x86_ept_24 },
		{ "x86 + EPT 5+5: 35 references", test_x86_ept_35 },
		{ "x86 + EPT, 4K/2M/1G x 4K/2M/1G", test_x86_ept_mix },
		{ "VMSA 4K, 4K/2M/1G x 4K/2M/1G", test_vmsa_4k_24 },
		{ "x86 5-level and EPT 5-level, all sizes, 4+5 and 5+4", test_x86_5level_mix },
		{ "VMSA 16K granule with 32M blocks", test_vmsa_16k },
		{ "VMSA 64K granule with 512M blocks", test_vmsa_64k },
		{ "VMSA concatenated stage-2 start tables", test_vmsa_concatenated },
		{ "VMSA level -1 (52-bit VA)", test_vmsa_level_minus1 },
		{ "stage 1 only, stage 2 only, none", test_single_stage },
		{ "x86 not present", test_x86_not_present },
		{ "EPT violation on the final GPA", test_ept_violation },
		{ "VMSA translation fault", test_vmsa_translation },
		CU_TEST_INFO_NULL,
	};
	return unit_run("mmu_walk", tests);
}
