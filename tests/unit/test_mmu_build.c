/* mmu/build.c: the leaf sizes of each format (SDM 4.5 and 29.3.2; Arm ARM
 * D8.2), encode/decode round trips of leaves through the walker (the
 * rights a walk grants are those the builder was asked for), and the
 * builder's refusals. */
#include "tests/unit/mmu_env.h"

#include "mmu/ept.h"
#include "mmu/vmsa.h"
#include "mmu/x86pt.h"

static void leaf_is(const struct mmu_stage *st, unsigned shift, bool ok, int level)
{
	int l = 99;
	CU_ASSERT_EQUAL(mmu_leaf_level(st, shift, &l), ok);
	if (ok)
		CU_ASSERT_EQUAL(l, level);
}

static void test_leaf_levels(void)
{
	struct mmu_stage x = x86_s1(4), x5 = x86_s1(5), v4 = vmsa_s1(12, 48), v16 = vmsa_s1(14, 48),
			 v64 = vmsa_s1(16, 48), s2 = vmsa_s2(12, 40, 1);
	leaf_is(&x, 12, true, 1);
	leaf_is(&x, 21, true, 2);
	leaf_is(&x, 30, true, 3);
	leaf_is(&x, 39, false, 0);
	leaf_is(&x5, 48, false, 0);
	leaf_is(&x, 16, false, 0);
	leaf_is(&v4, 12, true, 3);
	leaf_is(&v4, 21, true, 2);
	leaf_is(&v4, 30, true, 1);
	leaf_is(&v4, 39, false, 0);
	leaf_is(&v16, 14, true, 3);
	leaf_is(&v16, 25, true, 2);
	leaf_is(&v16, 36, false, 0);
	leaf_is(&v64, 16, true, 3);
	leaf_is(&v64, 29, true, 2);
	leaf_is(&v64, 42, false, 0);
	leaf_is(&s2, 30, true, 1);
}

/* Field positions of single descriptors, from the manuals' tables */
static void test_encodings(void)
{
	struct mmu_stage x = x86_s1(4), e = ept(4), v = vmsa_s1(12, 48), s2 = vmsa_s2(12, 40, 1);
	/* x86 PTE: P 0, R/W 1, U/S 2, A 5, XD 63; a PDE page adds PS 7 */
	CU_ASSERT_EQUAL(mmu_enc_leaf(&x, 1, 0x5000, MMU_R | MMU_W | MMU_U, MMU_ATTR_DEFAULT), 0x8000000000005027ULL);
	CU_ASSERT_EQUAL(mmu_enc_leaf(&x, 2, 0x200000, MMU_R | MMU_X, MMU_ATTR_DEFAULT), 0x2000a1ULL);
	CU_ASSERT_EQUAL(mmu_enc_table(&x, 4, 0x3000), 0x3027ULL);
	/* EPT: R/W/X 2:0, memory type 5:3 (WB 6), A 8, PS 7 */
	CU_ASSERT_EQUAL(mmu_enc_leaf(&e, 1, 0x7000, MMU_R | MMU_X, MMU_ATTR_DEFAULT), 0x7135ULL);
	CU_ASSERT_EQUAL(mmu_enc_leaf(&e, 3, 0x40000000, MMU_R | MMU_W | MMU_X, EPT_MT_UC), 0x40000187ULL);
	CU_ASSERT_EQUAL(mmu_enc_table(&e, 4, 0x3000), 0x3107ULL);
	/* VMSA page: bits 1:0 = 11, AttrIndx 4:2, AP 7:6, SH 9:8, AF 10, PXN 53, UXN 54 */
	CU_ASSERT_EQUAL(mmu_enc_leaf(&v, 3, 0x9000, MMU_R | MMU_W | MMU_U | MMU_UX, 1), 0x0020000000009747ULL);
	/* block: bits 1:0 = 01; AP 10 (EL1 read-only) */
	CU_ASSERT_EQUAL(mmu_enc_leaf(&v, 2, 0x200000, MMU_R | MMU_X, MMU_ATTR_DEFAULT), 0x0040000000200781ULL);
	CU_ASSERT_EQUAL(mmu_enc_table(&v, 0, 0x4000), 0x4003ULL);
	/* stage 2: MemAttr 5:2 (0xf), S2AP 7:6, XN 54 */
	CU_ASSERT_EQUAL(mmu_enc_leaf(&s2, 3, 0xa000, MMU_R | MMU_W, MMU_ATTR_DEFAULT), 0x004000000000a7ffULL);
	/* HPFAR_EL2.FIPA [43:4] = IPA[51:12]; EPTP: WB, walk length - 1 at 5:3, A/D 6 */
	CU_ASSERT_EQUAL(vmsa_hpfar(0x123456789abcULL), 0x1234567890ULL);
	CU_ASSERT_EQUAL(ept_eptp(0x5000, 4, true), 0x505eULL);
}

/* Every rights set the format can encode comes back from a walk. */
static void round_trip(struct mmu_stage st, const unsigned *rights, unsigned n, unsigned mask, bool user)
{
	struct env *e = env_new();
	env_root(e, &st);
	for (unsigned i = 0; i < n; i++) {
		uint64_t ia = GPA_DATA + ((uint64_t)i << 21);
		struct mmu_builder b = env_builder(e, &st);
		CU_ASSERT_FATAL(mmu_map(&b, ia, PA_DATA + ((uint64_t)i << 21), 1 << 21, 21, rights[i], MMU_ATTR_DEFAULT) == 0);
		struct mmu_result res;
		bool s2 = st.fmt == MMU_EPT || st.fmt == MMU_VMSA_S2;
		CU_ASSERT(walk(e, s2 ? NULL : &st, s2 ? &st : NULL, ia + 0x1234, MMU_R, user, &res) ==
			  ((rights[i] & MMU_R) != 0));
		if (res.fault.kind == MMU_FAULT_NONE) {
			CU_ASSERT_EQUAL(res.pa, PA_DATA + ((uint64_t)i << 21) + 0x1234);
			CU_ASSERT_EQUAL(res.perms & mask, rights[i] & mask);
			CU_ASSERT_EQUAL(res.page_shift, 21);
		}
	}
	env_free(e);
}

static void test_round_trips(void)
{
	static const unsigned x86[] = { MMU_R, MMU_R | MMU_W, MMU_R | MMU_X, MMU_R | MMU_W | MMU_X,
					MMU_R | MMU_U, MMU_R | MMU_U | MMU_UX | MMU_X, RWXU };
	static const unsigned ept_r[] = { MMU_R, MMU_R | MMU_W, MMU_R | MMU_X, MMU_R | MMU_W | MMU_X, MMU_X };
	static const unsigned el1[] = { MMU_R, MMU_R | MMU_W, MMU_R | MMU_X, MMU_R | MMU_W | MMU_X };
	static const unsigned el0[] = { MMU_R | MMU_U, MMU_R | MMU_U | MMU_UX, MMU_R | MMU_W | MMU_U,
					MMU_R | MMU_W | MMU_U | MMU_UX };
	static const unsigned s2r[] = { MMU_R, MMU_R | MMU_W, MMU_R | MMU_X, MMU_R | MMU_W | MMU_X, MMU_W, 0 };
	struct mmu_stage xo = ept(4);
	xo.ctl = MMU_CTL_XO;
	round_trip(x86_s1(4), x86, 7, MMU_R | MMU_W | MMU_X | MMU_U | MMU_UX, false);
	round_trip(xo, ept_r, 5, MMU_R | MMU_W | MMU_X, false);
	round_trip(vmsa_s1(12, 48), el1, 4, MMU_R | MMU_W | MMU_X | MMU_U, false);
	round_trip(vmsa_s1(12, 48), el0, 4, MMU_R | MMU_W | MMU_U | MMU_UX, true);
	round_trip(vmsa_s2(12, 40, 1), s2r, 6, MMU_R | MMU_W | MMU_X, false);
}

static void refused(struct env *e, const struct mmu_stage *st, uint64_t ia, uint64_t oa, uint64_t size,
		    unsigned shift, const char *msg)
{
	struct mmu_builder b = env_builder(e, st);
	CU_ASSERT_EQUAL(mmu_map(&b, ia, oa, size, shift, RWXU, MMU_ATTR_DEFAULT), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), msg));
}

static void test_refusals(void)
{
	struct mmu_stage x = x86_s1(4), bad = x86_s1(3);
	struct env *e = env_new();
	env_root(e, &x);
	refused(e, &x, 0x1000, 0x2000, 0x1000, 21, "not aligned");
	refused(e, &x, 0, 0, 1ULL << 39, 39, "no leaf");
	refused(e, &x, 1ULL << 48, 0, 0x1000, 12, "input size");
	refused(e, &x, 0, 1ULL << 46, 0x1000, 12, "output size");
	refused(e, &bad, 0, 0, 0x1000, 12, "inconsistent");
	CU_ASSERT_FATAL(mmu_map(&(struct mmu_builder){ &x, env_mem(e), env_alloc, e }, 0, 0, 1 << 21, 21, RWXU,
				MMU_ATTR_DEFAULT) == 0);
	refused(e, &x, 0x1000, 0x1000, 0x1000, 12, "already mapped");
	/* beside it is fine */
	CU_ASSERT(mmu_map(&(struct mmu_builder){ &x, env_mem(e), env_alloc, e }, 1 << 21, 0, 0x1000, 12, RWXU,
			  MMU_ATTR_DEFAULT) == 0);
	/* out of table memory */
	e->next = POOL_BASE + POOL_SIZE;
	refused(e, &x, 1ULL << 40, 0, 0x1000, 12, "out of table memory");
	env_free(e);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "leaf levels of each page size", test_leaf_levels },
		{ "descriptor encodings", test_encodings },
		{ "rights round trips", test_round_trips },
		{ "refusals", test_refusals },
		CU_TEST_INFO_NULL,
	};
	return unit_run("mmu_build", tests);
}
