/* mmu/walk.c: the two-dimensional walk, its ordered references and their
 * count (n+1)(m+1)-1 for n stage-1 and m stage-2 levels (Bhargava et al.,
 * ASPLOS 2008: 24 for 4+4; 35 for 5+5), for every mix of page sizes, on
 * x86 paging + EPT and on VMSAv8-64 stage 1 + stage 2. */
#include "tests/unit/mmu_env.h"


static struct mmu_stage x86_s1(unsigned levels)
{
	return (struct mmu_stage){ .fmt = MMU_X86_PAGING, .levels = levels, .oa_bits = 46,
				   .ctl = MMU_CTL_NXE | MMU_CTL_WP };
}

static struct mmu_stage ept(unsigned levels)
{
	return (struct mmu_stage){ .fmt = MMU_EPT, .levels = levels, .oa_bits = 46 };
}

static struct mmu_stage vmsa_s1(unsigned g, unsigned ia)
{
	return (struct mmu_stage){ .fmt = MMU_VMSA_S1, .granule_shift = g, .ia_bits = ia, .oa_bits = 48 };
}

static struct mmu_stage vmsa_s2(unsigned g, unsigned ia, int start)
{
	return (struct mmu_stage){ .fmt = MMU_VMSA_S2, .granule_shift = g, .ia_bits = ia, .start_level = start,
				   .oa_bits = 48 };
}

/* Builds s2 (pool identity + data) and s1 (VA_DATA -> GPA_DATA) with the
 * given page sizes, walks a read and checks the PA and the read count. */
static void nested(struct mmu_stage *s1, struct mmu_stage *s2, unsigned sh1, unsigned sh2, unsigned expect,
		   struct mmu_result *res)
{
	struct env *e = env_new();
	env_root(e, s2);
	env_root(e, s1);
	env_map_pool(e, s2, sh2);
	uint64_t big = 1ULL << (sh1 > sh2 ? sh1 : sh2);
	env_map(e, s2, GPA_DATA, PA_DATA, big, sh2, RWXU);
	env_map(e, s1, VA_DATA, GPA_DATA, 1ULL << sh1, sh1, RWXU);
	uint64_t off = 0x123;
	bool ok = walk(e, s1, s2, VA_DATA + off, MMU_R, false, res);
	if (!ok)
		fprintf(stderr, "fault kind %d stage %d level %d\n", res->fault.kind, res->fault.stage, res->fault.level);
	CU_ASSERT_FATAL(ok);
	CU_ASSERT_EQUAL(res->pa, PA_DATA + off);
	CU_ASSERT_EQUAL(res->gpa, GPA_DATA + off);
	CU_ASSERT_EQUAL(nreads(res), expect);
	CU_ASSERT_EQUAL(nupdates(res), 0);
	CU_ASSERT_EQUAL(res->s1_shift, sh1);
	CU_ASSERT_EQUAL(res->s2_shift, sh2);
	CU_ASSERT_EQUAL(res->page_shift, sh1 < sh2 ? sh1 : sh2);
	env_free(e);
}

/* The order: per stage-1 step i, m stage-2 reads (step i, levels top
 * down) then the stage-1 read (step i); finally m stage-2 reads (step n). */
static void check_order(const struct mmu_result *res, unsigned n, unsigned m, int s1top, int s2top, int dir)
{
	unsigned k = 0;
	for (unsigned i = 0; i <= n; i++) {
		for (unsigned j = 0; j < m; j++, k++) {
			CU_ASSERT_EQUAL(res->ref[k].stage, 2);
			CU_ASSERT_EQUAL(res->ref[k].step, i);
			CU_ASSERT_EQUAL(res->ref[k].level, s2top + dir * (int)j);
		}
		if (i == n)
			break;
		CU_ASSERT_EQUAL(res->ref[k].stage, 1);
		CU_ASSERT_EQUAL(res->ref[k].step, i);
		CU_ASSERT_EQUAL(res->ref[k].level, s1top + dir * (int)i);
		CU_ASSERT_EQUAL(res->ref[k].ia, VA_DATA + 0x123);
		k++;
	}
	CU_ASSERT_EQUAL(k, res->nrefs);
	/* the stage-1 leaf, and the final stage-2 leaf, are marked */
	CU_ASSERT(res->ref[res->nrefs - 1].flags & MMU_REF_LEAF);
	CU_ASSERT(res->ref[res->nrefs - 1 - m].flags & MMU_REF_LEAF);
	CU_ASSERT_FALSE(res->ref[0].flags & MMU_REF_LEAF);
}

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
	CU_ASSERT_FALSE(walk(e, &s1, NULL, VA_DATA + 0x1000, MMU_W, true, &res));
	expect_fault(&res, MMU_FAULT_TRANSLATION, 1, 1, 0x6);
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
	CU_ASSERT_EQUAL(res.fault.gpa, GPA_DATA + 0x10);
	CU_ASSERT_EQUAL(res.fault.va, VA_DATA + 0x10);
	CU_ASSERT_FALSE(res.fault.s1ptw);
	CU_ASSERT_EQUAL(res.nrefs, 4 * 5 + 2);
	env_free(e);
}

/* VMSA: translation fault at level 3, write: DFSC 0x07 | WnR (bit 6). */
static void test_vmsa_translation(void)
{
	struct mmu_stage s1 = vmsa_s1(12, 48);
	struct mmu_result res;
	struct env *e = env_setup(&s1, NULL);
	CU_ASSERT_FALSE(walk(e, &s1, NULL, VA_DATA + 0x1000, MMU_W, false, &res));
	expect_fault(&res, MMU_FAULT_TRANSLATION, 1, 3, 0x47);
	env_free(e);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "x86 + EPT 4+4: 24 references in order", test_x86_ept_24 },
		{ "x86 + EPT 5+5: 35 references", test_x86_ept_35 },
		{ "x86 + EPT, 4K/2M/1G x 4K/2M/1G", test_x86_ept_mix },
		{ "VMSA 4K, 4K/2M/1G x 4K/2M/1G", test_vmsa_4k_24 },
		{ "stage 1 only, stage 2 only, none", test_single_stage },
		{ "x86 not present", test_x86_not_present },
		{ "EPT violation on the final GPA", test_ept_violation },
		{ "VMSA translation fault", test_vmsa_translation },
		CU_TEST_INFO_NULL,
	};
	return unit_run("mmu_walk", tests);
}
