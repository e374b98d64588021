/* mmu/walk.c on x86: IA-32e paging faults and their #PF error codes (SDM
 * Vol. 3A 4.6, 4.7), reserved bits, Accessed/Dirty updates (4.8); EPT
 * violations with their exit qualification (Vol. 3C Table 28-7),
 * misconfigurations (29.3.3.1), execute-only, EPT A/D (29.3.5).
 * #PF error code: P 1, W/R 2, U/S 4, RSVD 8, I/D 0x10.
 * Qualification: read 1, write 2, fetch 4, R/W/X rights 8/0x10/0x20,
 * linear address valid 0x80, final translation 0x100. */
#include "tests/unit/mmu_env.h"

#include "mmu/ept.h"
#include "mmu/x86pt.h"

#define VA2 (VA_DATA + 0x200000)   /* another 2 MiB region: its own PT */

/* x86 stage 1 alone, with the page VA2 mapped with perms */
static struct env *x86_env(struct mmu_stage *s1, uint32_t ctl, unsigned perms)
{
	*s1 = x86_s1(4);
	s1->ctl = ctl;
	struct env *e = env_setup(s1, NULL);
	env_map(e, s1, VA2, GPA_DATA, 4096, 12, perms);
	return e;
}

static void pf(uint32_t ctl, unsigned perms, unsigned type, bool user, bool ok, uint64_t ec)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, ctl, perms);
	bool got = walk(e, &s1, NULL, VA2 + 4, type, user, &res);
	CU_ASSERT_EQUAL(got, ok);
	if (!ok)
		expect_fault(&res, MMU_FAULT_PERMISSION, 1, 1, ec);
	else if (got != ok)
		fprintf(stderr, "  unexpected fault %#llx\n", (unsigned long long)res.fault.syndrome);
	env_free(e);
}

#define WP MMU_CTL_WP
#define NXE MMU_CTL_NXE

static void test_protection(void)
{
	pf(WP | NXE, MMU_R | MMU_W | MMU_X, MMU_R, true, false, 0x5);         /* user read, supervisor page */
	pf(WP | NXE, MMU_R | MMU_U | MMU_X, MMU_W, true, false, 0x7);         /* user write, read-only */
	pf(WP | NXE, MMU_R | MMU_U | MMU_X, MMU_W, false, false, 0x3);        /* supervisor write, RO, CR0.WP */
	pf(NXE, MMU_R | MMU_U | MMU_X, MMU_W, false, true, 0);                /* ... without WP */
	pf(WP | NXE, MMU_R | MMU_W, MMU_X, false, false, 0x11);               /* XD fetch */
	pf(WP, MMU_R | MMU_W, MMU_X, false, true, 0);                         /* no XD without NXE */
	pf(WP | NXE | MMU_CTL_SMEP, RWXU, MMU_X, false, false, 0x11);         /* SMEP */
	pf(WP | NXE, RWXU, MMU_X, false, true, 0);
	pf(WP | NXE | MMU_CTL_SMAP, RWXU, MMU_R, false, false, 0x1);          /* SMAP read */
	pf(WP | NXE | MMU_CTL_SMAP, RWXU, MMU_W, false, false, 0x3);          /* SMAP write */
	pf(WP | NXE | MMU_CTL_SMAP, RWXU, MMU_R, true, true, 0);              /* SMAP spares user accesses */
	pf(WP, MMU_R | MMU_W | MMU_X, MMU_X, true, false, 0x5);               /* I/D only with NXE or SMEP */
	pf(WP | NXE, RWXU, MMU_W, true, true, 0);
}

/* R/W and U/S must allow at every level: a read-only PDE makes the page read-only. */
static void test_hierarchy(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, WP | NXE, RWXU);
	*env_desc(e, &s1, VA2, 2) &= ~FIELD_MASK(X86PTE, RW);
	fails(e, &s1, NULL, VA2, MMU_W, true, &res, MMU_FAULT_PERMISSION, 1, 1, 0x7);
	CU_ASSERT(walk(e, &s1, NULL, VA2, MMU_R, true, &res));
	CU_ASSERT_EQUAL(res.perms & (MMU_R | MMU_W | MMU_U), MMU_R | MMU_U);
	*env_desc(e, &s1, VA2, 4) &= ~FIELD_MASK(X86PTE, US);
	fails(e, &s1, NULL, VA2, MMU_R, true, &res, MMU_FAULT_PERMISSION, 1, 1, 0x5);
	*env_desc(e, &s1, VA2, 3) |= FIELD_MASK(X86PTE, XD);
	fails(e, &s1, NULL, VA2, MMU_X, false, &res, MMU_FAULT_PERMISSION, 1, 1, 0x11);
	env_free(e);
}

/* Reserved bits: P=1 and RSVD (0x9 for a supervisor read), at the level of the entry. */
static void rsvd(uint32_t ctl, int level, uint64_t bits, unsigned page_shift)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, ctl, RWXU);
	uint64_t va = VA_DATA + 0x40000000;
	env_map(e, &s1, va, 0x40000000, 1ULL << page_shift, page_shift, RWXU);
	*env_desc(e, &s1, va, level) |= bits;
	fails(e, &s1, NULL, va, MMU_R, false, &res, MMU_FAULT_RESERVED, 1, level, 0x9);
	CU_ASSERT_EQUAL(res.nrefs, 5u - (unsigned)level);
	env_free(e);
}

static void test_reserved(void)
{
	rsvd(WP | NXE, 1, 1ULL << 46, 12);          /* beyond MAXPHYADDR 46 */
	rsvd(WP | NXE, 4, 1ULL << 51, 12);
	rsvd(WP, 2, FIELD_MASK(X86PTE, XD), 12);    /* XD without NXE */
	rsvd(WP | NXE, 4, FIELD_MASK(X86PTE, PS), 12);
	rsvd(WP | NXE, 2, 1ULL << 13, 21);          /* 2 MiB page: bits 20:13 */
	rsvd(WP | NXE, 3, 1ULL << 29, 30);          /* 1 GiB page: bits 29:13 */
	/* PAT (bit 12) of a large page is not reserved */
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, WP | NXE, RWXU);
	env_map(e, &s1, VA_DATA + 0x40000000, 0x40000000, 1 << 21, 21, RWXU);
	*env_desc(e, &s1, VA_DATA + 0x40000000, 2) |= FIELD_MASK(X86PTE, PAT_LARGE);
	CU_ASSERT(walk(e, &s1, NULL, VA_DATA + 0x40012345, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.pa, 0x40012345);
	/* a not-present entry's other bits are ignored */
	*env_desc(e, &s1, VA_DATA + 0x40000000, 2) = 1ULL << 51;
	fails(e, &s1, NULL, VA_DATA + 0x40000000, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, 2, 0x0);
	env_free(e);
}

/* A table outside RAM reads as zero on the pc: not present, no crash. */
static void test_outside_ram(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, WP | NXE, RWXU);
	uint64_t *pde = env_desc(e, &s1, VA2, 2);
	*pde = (*pde & 0xfff) | 0x3fff00000000ULL;
	fails(e, &s1, NULL, VA2, MMU_W, false, &res, MMU_FAULT_TRANSLATION, 1, 1, 0x2);
	CU_ASSERT_EQUAL(res.nrefs, 4);
	CU_ASSERT_EQUAL(res.ref[3].pa, 0x3fff00000000ULL + 8 * ((VA2 >> 12) & 511));
	s1.root = 0x3fff00000000ULL;
	fails(e, &s1, NULL, VA2, MMU_R, true, &res, MMU_FAULT_TRANSLATION, 1, 4, 0x4);
	env_free(e);
}

/* SDM 4.8: A set in every entry used, D in the page's entry on a write;
 * written back once per entry, after the reads. */
static void test_accessed_dirty(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = x86_env(&s1, WP | NXE, RWXU);
	const uint64_t a = FIELD_MASK(X86PTE, A), d = FIELD_MASK(X86PTE, D);
	for (int l = 1; l <= 4; l++)
		*env_desc(e, &s1, VA2, l) &= ~a;
	CU_ASSERT_FATAL(walk(e, &s1, NULL, VA2, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nreads(&res), 4);
	CU_ASSERT_EQUAL(nupdates(&res), 4);
	for (unsigned i = 4; i < 8; i++) {
		CU_ASSERT(res.ref[i].flags & MMU_REF_UPDATE);
		CU_ASSERT_EQUAL(res.ref[i].pa, res.ref[i - 4].pa);
		CU_ASSERT_EQUAL(res.ref[i].level, 4 - (int)(i - 4));
	}
	for (int l = 1; l <= 4; l++)
		CU_ASSERT_EQUAL(*env_desc(e, &s1, VA2, l) & (a | d), a);
	CU_ASSERT_FALSE(res.s1_dirty);
	CU_ASSERT(walk(e, &s1, NULL, VA2, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 0);
	CU_ASSERT(walk(e, &s1, NULL, VA2, MMU_W, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 1);
	CU_ASSERT(res.s1_dirty);
	CU_ASSERT_EQUAL(*env_desc(e, &s1, VA2, 1) & d, d);
	CU_ASSERT_EQUAL(*env_desc(e, &s1, VA2, 2) & d, 0);
	/* a faulting access changes nothing */
	*env_desc(e, &s1, VA2, 4) &= ~a;
	unsigned w0 = e->writes;
	*env_desc(e, &s1, VA2, 1) &= ~FIELD_MASK(X86PTE, RW);
	CU_ASSERT_FALSE(walk(e, &s1, NULL, VA2, MMU_W, true, &res));
	CU_ASSERT_EQUAL(e->writes, w0);
	CU_ASSERT_EQUAL(nupdates(&res), 0);
	env_free(e);
}

/* ---------------------------------------------------------------- EPT */

static struct env *ept_env(struct mmu_stage *s1, struct mmu_stage *s2, uint32_t ctl2, unsigned perms)
{
	*s1 = x86_s1(4);
	*s2 = ept(4);
	s2->ctl = ctl2;
	struct env *e = env_setup(s1, s2);
	env_map(e, s2, GPA_DATA, PA_DATA, 4096, 12, perms);
	return e;
}

static void violation(uint32_t ctl2, unsigned perms, unsigned type, uint64_t qual)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, ctl2, perms);
	bool ok = walk(e, &s1, &s2, VA_DATA + 0x18, type, false, &res);
	CU_ASSERT_EQUAL(ok, qual == 0);
	if (qual) {
		expect_fault(&res, MMU_FAULT_PERMISSION, 2, 1, qual);
		expect_gpa(&res, GPA_DATA + 0x18, false);
		CU_ASSERT_EQUAL(res.fault.va, VA_DATA + 0x18);
		CU_ASSERT_EQUAL(res.nrefs, 24);
	}
	env_free(e);
}

static void test_ept_permissions(void)
{
	violation(0, MMU_R | MMU_X, MMU_W, 0x2 | 0x28 | 0x180);
	violation(0, MMU_R | MMU_W, MMU_X, 0x4 | 0x18 | 0x180);
	violation(MMU_CTL_XO, MMU_X, MMU_R, 0x1 | 0x20 | 0x180);
	violation(MMU_CTL_XO, MMU_X, MMU_X, 0);
	violation(0, MMU_R | MMU_W | MMU_X, MMU_W, 0);
}

/* 29.3.3.1: misconfigurations (no qualification) */
static void misconfig(uint32_t ctl2, int level, uint64_t set, uint64_t clear)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, ctl2, MMU_R | MMU_W | MMU_X);
	uint64_t *d = env_desc(e, &s2, GPA_DATA, level);
	*d = (*d & ~clear) | set;
	fails(e, &s1, &s2, VA_DATA, MMU_R, false, &res, MMU_FAULT_RESERVED, 2, level, 0);
	/* the PML4E also maps the guest's tables: the first guest paging read finds it */
	expect_gpa(&res, level == 4 ? s1.root + 8 * ((VA_DATA >> 39) & 511) : GPA_DATA, level == 4);
	env_free(e);
}

static void test_ept_misconfig(void)
{
	const uint64_t rwx = FIELD_MASK(EPTE, RWX), mt = FIELD_MASK(EPTE, MT);
	misconfig(0, 1, MMU_W, rwx);                           /* write-only */
	misconfig(0, 1, MMU_W | MMU_X, rwx);                   /* write+execute, no read */
	misconfig(0, 1, MMU_X, rwx);                           /* execute-only unsupported */
	misconfig(0, 2, MMU_X, rwx);
	misconfig(0, 1, 2u << 3, mt);                          /* memory types 2, 3, 7 */
	misconfig(0, 1, 3u << 3, mt);
	misconfig(0, 1, 7u << 3, mt);
	misconfig(0, 1, 1ULL << 46, 0);                        /* beyond MAXPHYADDR */
	misconfig(0, 4, 1u << 3, 0);                           /* bits 7:3 of a PML4E */
	misconfig(0, 4, FIELD_MASK(EPTE, PS), 0);
	misconfig(0, 2, 1u << 6, 0);                           /* of a PDE referencing a PT */
}

/* A stage-1 table the EPT does not map: violation at the guest-paging
 * step, bit 8 clear, GPA of the entry read. */
static void test_ept_on_guest_table(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, 0, RWXU);
	*env_desc(e, &s2, s1.root, 1) = 0;
	fails(e, &s1, &s2, VA_DATA, MMU_W, true, &res, MMU_FAULT_TRANSLATION, 2, 1, 0x1 | 0x80);
	expect_gpa(&res, s1.root + 8 * ((VA_DATA >> 39) & 511), true);
	CU_ASSERT_EQUAL(res.nrefs, 4);
	/* execute-only table page: a guest paging read needs R */
	s2.ctl |= MMU_CTL_XO;
	*env_desc(e, &s2, s1.root, 1) = mmu_enc_leaf(&s2, 1, s1.root, MMU_X, MMU_ATTR_DEFAULT);
	fails(e, &s1, &s2, VA_DATA, MMU_R, false, &res, MMU_FAULT_PERMISSION, 2, 1, 0x1 | 0x20 | 0x80);
	env_free(e);
}

/* Guest A/D updates are writes for EPT: a read-only guest page table
 * faults with write access, bit 8 clear (SDM 29.3.5). */
static void test_guest_ad_needs_ept_write(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, 0, RWXU);
	uint64_t pt = *env_desc(e, &s1, VA_DATA, 2) & FIELD_MASK(X86PTE, ADDR);
	*env_desc(e, &s2, pt, 1) &= ~FIELD_MASK(EPTE, W);
	CU_ASSERT(walk(e, &s1, &s2, VA_DATA, MMU_R, false, &res));
	*env_desc(e, &s1, VA_DATA, 1) &= ~FIELD_MASK(X86PTE, A);
	fails(e, &s1, &s2, VA_DATA, MMU_R, false, &res, MMU_FAULT_PERMISSION, 2, 1, 0x2 | 0x28 | 0x80);
	expect_gpa(&res, pt + 8 * ((VA_DATA >> 12) & 511), true);
	CU_ASSERT_EQUAL(*env_desc(e, &s1, VA_DATA, 1) & FIELD_MASK(X86PTE, A), 0);
	env_free(e);
}

/* EPTP[6]: A in every EPT entry used, D in the leaf of a write, and guest
 * paging-structure reads count as writes (29.3.5). */
static void test_ept_ad(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, MMU_CTL_AD, RWXU);
	CU_ASSERT_FATAL(walk(e, &s1, &s2, VA_DATA, MMU_R, false, &res));
	/* the four guest table pages get their EPT D bit; the data page stays clean */
	CU_ASSERT_EQUAL(nreads(&res), 24);
	CU_ASSERT_EQUAL(nupdates(&res), 4);
	for (unsigned i = 24; i < res.nrefs; i++) {
		CU_ASSERT_EQUAL(res.ref[i].stage, 2);
		CU_ASSERT_EQUAL(res.ref[i].level, 1);
		CU_ASSERT_EQUAL(res.ref[i].step, i - 24);
	}
	CU_ASSERT_FALSE(res.s2_dirty);
	CU_ASSERT(*env_desc(e, &s2, s1.root, 1) & FIELD_MASK(EPTE, D));
	CU_ASSERT_FALSE(*env_desc(e, &s2, GPA_DATA, 1) & FIELD_MASK(EPTE, D));
	CU_ASSERT(walk(e, &s1, &s2, VA_DATA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 0);
	/* a write: the guest PTE's D and the data page's EPT D */
	CU_ASSERT(walk(e, &s1, &s2, VA_DATA, MMU_W, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 2);
	CU_ASSERT(res.s1_dirty && res.s2_dirty);
	/* A cleared in an EPT table entry is set again */
	*env_desc(e, &s2, GPA_DATA, 3) &= ~FIELD_MASK(EPTE, A);
	CU_ASSERT(walk(e, &s1, &s2, VA_DATA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 1);
	CU_ASSERT(*env_desc(e, &s2, GPA_DATA, 3) & FIELD_MASK(EPTE, A));
	/* a read-only guest table page now faults on the read itself */
	*env_desc(e, &s2, s1.root, 1) &= ~FIELD_MASK(EPTE, W);
	fails(e, &s1, &s2, VA_DATA, MMU_R, false, &res, MMU_FAULT_PERMISSION, 2, 1, 0x2 | 0x28 | 0x80);
	env_free(e);
}

/* A GPA beyond what 4-level EPT maps, and an EPT table outside RAM. */
static void test_ept_bounds(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = ept_env(&s1, &s2, 0, RWXU);
	fails(e, NULL, &s2, 1ULL << 48, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 2, 4, 0x181);
	CU_ASSERT_EQUAL(res.nrefs, 0);
	uint64_t *pde = env_desc(e, &s2, GPA_DATA, 2);
	*pde = (*pde & 0xfff) | 0x3fff00000000ULL;
	fails(e, NULL, &s2, GPA_DATA, MMU_X, false, &res, MMU_FAULT_TRANSLATION, 2, 1, 0x184);
	env_free(e);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "x86 protection faults and error codes", test_protection },
		{ "x86 rights ANDed over levels", test_hierarchy },
		{ "x86 reserved bits", test_reserved },
		{ "x86 tables outside RAM read as zero", test_outside_ram },
		{ "x86 accessed and dirty flags", test_accessed_dirty },
		{ "EPT violations: qualification", test_ept_permissions },
		{ "EPT misconfigurations", test_ept_misconfig },
		{ "EPT violation on a guest paging access", test_ept_on_guest_table },
		{ "guest A/D update needs EPT write", test_guest_ad_needs_ept_write },
		{ "EPT accessed and dirty flags", test_ept_ad },
		{ "EPT bounds", test_ept_bounds },
		CU_TEST_INFO_NULL,
	};
	return unit_run("mmu_x86", tests);
}
