/* mmu/walk.c on VMSAv8-64 (Arm ARM DDI 0487 D8): stage-1 permissions
 * (AP, PXN/UXN, table attributes, PAN, WXN), the Access flag and hardware
 * AF/DBM updates, stage-2 faults with S1PTW, input and output size faults,
 * external aborts on the walk; the ISS a fault reports (D19.2.45 ESR_EL1:
 * DFSC/IFSC [5:0], WnR 0x40, S1PTW 0x80) and HPFAR_EL2.
 * FSC: address size 0x00+l, translation 0x04+l, access flag 0x08+l,
 * permission 0x0c+l, external abort on walk 0x14+l; level -1: 0x29,
 * 0x2b, 0x13. */
#include "tests/unit/mmu_env.h"

#include "mmu/vmsa.h"

#define VA (VA_DATA + 0x40)

static struct env *s1_env(struct mmu_stage *s1, uint32_t ctl, unsigned perms)
{
	*s1 = vmsa_s1(12, 48);
	s1->ctl = ctl;
	struct env *e = env_new();
	env_root(e, s1);
	env_map(e, s1, VA_DATA, GPA_DATA, 4096, 12, perms);
	return e;
}

static void perm(uint32_t ctl, unsigned perms, unsigned type, bool user, uint64_t iss)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, ctl, perms);
	if (iss)
		fails(e, &s1, NULL, VA, type, user, &res, MMU_FAULT_PERMISSION, 1, 3, iss);
	else
		CU_ASSERT(walk(e, &s1, NULL, VA, type, user, &res));
	env_free(e);
}

/* D8.4.1 AP[2:1], PXN, UXN; EL1 never executes EL0-writable memory */
static void test_s1_permissions(void)
{
	const unsigned el1 = MMU_R | MMU_W | MMU_X;
	perm(0, el1, MMU_R, true, 0x0f);                      /* AP 00: EL0 none */
	perm(0, el1, MMU_W, false, 0);
	perm(0, MMU_R | MMU_X, MMU_W, false, 0x4f);           /* AP 10: read-only, write -> WnR */
	perm(0, MMU_R | MMU_U | MMU_X | MMU_UX, MMU_W, true, 0x4f);   /* AP 11 */
	perm(0, MMU_R | MMU_U | MMU_X | MMU_UX, MMU_R, true, 0);
	perm(0, MMU_R | MMU_W | MMU_U, MMU_X, true, 0x0f);    /* UXN: instruction abort, no WnR */
	perm(0, MMU_R | MMU_W, MMU_X, false, 0x0f);           /* PXN */
	perm(0, RWXU, MMU_X, false, 0x0f);                    /* AP 01: EL0-writable, so not EL1-executable */
	perm(0, RWXU, MMU_X, true, 0);
	perm(MMU_CTL_PAN, RWXU, MMU_R, false, 0x0f);          /* PAN */
	perm(MMU_CTL_PAN, el1, MMU_R, false, 0);
	perm(MMU_CTL_WXN, el1, MMU_X, false, 0x0f);           /* WXN */
	perm(MMU_CTL_WXN, MMU_R | MMU_X, MMU_X, false, 0);
}

/* D8.4.2 hierarchical attributes of the table descriptors above */
static void test_table_attributes(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, 0, MMU_R | MMU_W | MMU_X | MMU_U);
	uint64_t *l1 = env_desc(e, &s1, VA, 1), keep = *l1;
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_R, true, &res));
	CU_ASSERT_EQUAL(res.perms & (MMU_R | MMU_W | MMU_X | MMU_U), MMU_R | MMU_W | MMU_U);
	*l1 = keep | FIELD_MASK(VMSAD, APTABLE1);
	fails(e, &s1, NULL, VA, MMU_W, false, &res, MMU_FAULT_PERMISSION, 1, 3, 0x4f);
	*l1 = keep | FIELD_MASK(VMSAD, APTABLE0);
	fails(e, &s1, NULL, VA, MMU_R, true, &res, MMU_FAULT_PERMISSION, 1, 3, 0x0f);
	*l1 = keep | FIELD_MASK(VMSAD, PXNTABLE);
	*env_desc(e, &s1, VA, 3) &= ~FIELD_MASK(VMSAD, AP1);
	fails(e, &s1, NULL, VA, MMU_X, false, &res, MMU_FAULT_PERMISSION, 1, 3, 0x0f);
	*l1 = keep;
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_X, false, &res));
	*l1 = keep | FIELD_MASK(VMSAD, UXNTABLE);
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_X, false, &res));
	env_free(e);
}

/* D8.5: AF 0 faults, or is set by hardware with TCR.HA (no fault, one write-back) */
static void test_access_flag(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, 0, RWXU);
	uint64_t *pte = env_desc(e, &s1, VA, 3);
	*pte &= ~FIELD_MASK(VMSAD, AF);
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_ACCESS_FLAG, 1, 3, 0x0b);
	/* the Access flag fault comes before the permission fault */
	fails(e, &s1, NULL, VA, MMU_X, false, &res, MMU_FAULT_ACCESS_FLAG, 1, 3, 0x0b);
	s1.ctl = MMU_CTL_AD;
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nreads(&res), 4);
	CU_ASSERT_EQUAL(nupdates(&res), 1);
	CU_ASSERT(*pte & FIELD_MASK(VMSAD, AF));
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 0);
	/* a 2 MiB block at level 2 */
	env_map(e, &s1, VA_DATA + 0x40000000, 0x40000000, 1 << 21, 21, RWXU);
	*env_desc(e, &s1, VA_DATA + 0x40000000, 2) &= ~FIELD_MASK(VMSAD, AF);
	s1.ctl = 0;
	fails(e, &s1, NULL, VA_DATA + 0x40001000, MMU_W, false, &res, MMU_FAULT_ACCESS_FLAG, 1, 2, 0x4a);
	env_free(e);
}

/* D8.6: with HA and HD, a write to a read-only DBM page makes it writable
 * (dirty); without HD it is a permission fault. */
static void test_dbm(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, MMU_CTL_AD, MMU_R | MMU_X);
	uint64_t *pte = env_desc(e, &s1, VA, 3);
	*pte |= FIELD_MASK(VMSAD, DBM);
	fails(e, &s1, NULL, VA, MMU_W, false, &res, MMU_FAULT_PERMISSION, 1, 3, 0x4f);
	s1.ctl = MMU_CTL_AD | MMU_CTL_DBM;
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_R, false, &res));
	CU_ASSERT_FALSE(res.s1_dirty);
	CU_ASSERT_FALSE(res.perms & MMU_W);
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_W, false, &res));
	CU_ASSERT(res.s1_dirty);
	CU_ASSERT_EQUAL(nupdates(&res), 1);
	CU_ASSERT_FALSE(*pte & FIELD_MASK(VMSAD, AP2));
	CU_ASSERT(walk(e, &s1, NULL, VA, MMU_W, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 0);
	/* APTable read-only is not overridden by DBM */
	*pte |= FIELD_MASK(VMSAD, AP2);
	*env_desc(e, &s1, VA, 2) |= FIELD_MASK(VMSAD, APTABLE1);
	fails(e, &s1, NULL, VA, MMU_W, false, &res, MMU_FAULT_PERMISSION, 1, 3, 0x4f);
	env_free(e);
}

/* Descriptor encodings that are invalid: 0b01 at level 3, a block where
 * the granule has none (4K level 0), bit 0 clear. */
static void test_invalid_descriptors(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, 0, RWXU);
	uint64_t *pte = env_desc(e, &s1, VA, 3), *l0 = env_desc(e, &s1, VA, 0), k3 = *pte, k0 = *l0;
	*pte = k3 & ~FIELD_MASK(VMSAD, TYPE);
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, 3, 0x07);
	*pte = k3 & ~FIELD_MASK(VMSAD, VALID);
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, 3, 0x07);
	*pte = k3;
	*l0 = k0 & ~FIELD_MASK(VMSAD, TYPE);
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, 0, 0x04);
	CU_ASSERT_EQUAL(res.nrefs, 1);
	env_free(e);
}

/* Input outside the TTBR0/TTBR1 ranges: translation fault, level 0, no
 * reads; an address with all upper bits set walks (the TTBR1 range). */
static void test_input_range(void)
{
	struct mmu_stage s1 = vmsa_s1(12, 39);
	struct mmu_result res;
	struct env *e = env_new();
	env_root(e, &s1);
	env_map(e, &s1, 0x7fc0000000ULL, GPA_DATA, 4096, 12, RWXU);
	CU_ASSERT(walk(e, &s1, NULL, 0x7fc0000008ULL, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.nrefs, 3);
	CU_ASSERT(walk(e, &s1, NULL, 0xffffffffc0000008ULL, MMU_R, false, &res));
	CU_ASSERT_EQUAL(res.pa, GPA_DATA + 8);
	fails(e, &s1, NULL, 1ULL << 39, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, 0, 0x04);
	CU_ASSERT_EQUAL(res.nrefs, 0);
	fails(e, &s1, NULL, 0x8000000000000000ULL, MMU_W, false, &res, MMU_FAULT_TRANSLATION, 1, 0, 0x44);
	/* level -1: translation fault 0x2b, external abort 0x13 */
	struct mmu_stage s52 = vmsa_s1(12, 52);
	env_root(e, &s52);
	fails(e, &s52, NULL, 0x1000, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 1, -1, 0x2b);
	s52.root = 1ULL << 40;
	fails(e, &s52, NULL, 0x1000, MMU_R, false, &res, MMU_FAULT_EXTERNAL, 1, -1, 0x13);
	env_free(e);
}

/* Output beyond TCR.IPS / VTCR.PS: address size fault at that level; a
 * TTBR beyond it: level 0.  A table outside RAM: external abort. */
static void test_address_size(void)
{
	struct mmu_stage s1;
	struct mmu_result res;
	struct env *e = s1_env(&s1, 0, RWXU);
	s1.oa_bits = 40;
	uint64_t *pte = env_desc(e, &s1, VA, 3), k = *pte;
	*pte = k | (1ULL << 40);
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_ADDR_SIZE, 1, 3, 0x03);
	*pte = k;
	*env_desc(e, &s1, VA, 1) |= 1ULL << 44;
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_ADDR_SIZE, 1, 1, 0x01);
	/* a table outside RAM: synchronous external abort on the walk */
	*env_desc(e, &s1, VA, 1) = (*env_desc(e, &s1, VA, 1) & 0xfff) | 0x800000000ULL;
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_EXTERNAL, 1, 2, 0x16);
	CU_ASSERT_EQUAL(res.nrefs, 3);
	s1.root |= 1ULL << 41;
	fails(e, &s1, NULL, VA, MMU_R, false, &res, MMU_FAULT_ADDR_SIZE, 1, 0, 0x00);
	env_free(e);
}

/* ---------------------------------------------------------------- stage 2 */

static struct env *s2_env(struct mmu_stage *s1, struct mmu_stage *s2, uint32_t ctl1, uint32_t ctl2, unsigned perms)
{
	*s1 = vmsa_s1(12, 48);
	*s2 = vmsa_s2(12, 40, 1);
	s1->ctl = ctl1;
	s2->ctl = ctl2;
	struct env *e = env_setup(s1, s2);
	env_map(e, s2, GPA_DATA, PA_DATA, 4096, 12, perms);
	return e;
}

/* Stage-2 faults: on the final IPA (S1PTW 0) and on a stage-1 table (S1PTW 1,
 * WnR 0 even for a write: the walk reads); HPFAR_EL2.FIPA = IPA[47:12]. */
static void test_s2_faults(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = s2_env(&s1, &s2, 0, 0, MMU_R | MMU_X);
	fails(e, &s1, &s2, VA, MMU_W, false, &res, MMU_FAULT_PERMISSION, 2, 3, 0x4f);
	expect_gpa(&res, GPA_DATA + 0x40, false);
	CU_ASSERT_EQUAL(res.fault.va, VA);
	CU_ASSERT_EQUAL(vmsa_hpfar(res.fault.gpa), 0x400000);
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_R, true, &res));
	CU_ASSERT_EQUAL(res.perms & (MMU_R | MMU_W | MMU_X | MMU_U), MMU_R | MMU_X | MMU_U);
	/* the stage-1 level-0 table's page unmapped at stage 2 */
	*env_desc(e, &s2, s1.root, 3) = 0;
	fails(e, &s1, &s2, VA, MMU_W, false, &res, MMU_FAULT_TRANSLATION, 2, 3, 0x87);
	expect_gpa(&res, s1.root + 8 * ((VA >> 39) & 511), true);
	fails(e, &s1, &s2, VA, MMU_X, false, &res, MMU_FAULT_TRANSLATION, 2, 3, 0x87);
	/* no stage-2 read permission on it */
	*env_desc(e, &s2, s1.root, 3) = mmu_enc_leaf(&s2, 3, s1.root, MMU_W, MMU_ATTR_DEFAULT);
	fails(e, &s1, &s2, VA, MMU_R, false, &res, MMU_FAULT_PERMISSION, 2, 3, 0x8f);
	/* stage-2 Access flag */
	*env_desc(e, &s2, s1.root, 3) = mmu_enc_leaf(&s2, 3, s1.root, RWXU, MMU_ATTR_DEFAULT) & ~FIELD_MASK(VMSAD, AF);
	fails(e, &s1, &s2, VA, MMU_R, false, &res, MMU_FAULT_ACCESS_FLAG, 2, 3, 0x8b);
	s2.ctl = MMU_CTL_AD;
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 1);
	CU_ASSERT_EQUAL(res.ref[res.nrefs - 1].stage, 2);
	env_free(e);
}

/* Stage 2 beyond the IPA size (VTCR.T0SZ): translation fault, level 0. */
static void test_s2_input_range(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = s2_env(&s1, &s2, 0, 0, RWXU);
	fails(e, NULL, &s2, 1ULL << 40, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 2, 0, 0x04);
	expect_gpa(&res, 1ULL << 40, false);
	/* a stage-1 output beyond it */
	*env_desc(e, &s1, VA, 3) |= 1ULL << 41;
	fails(e, &s1, &s2, VA, MMU_R, false, &res, MMU_FAULT_TRANSLATION, 2, 0, 0x04);
	env_free(e);
}

/* A stage-1 hardware update writes the descriptor: stage 2 must allow the
 * write (permission fault, S1PTW and WnR set), or make the page writable
 * with its own DBM. */
static void test_s1_update_through_s2(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = s2_env(&s1, &s2, MMU_CTL_AD, 0, RWXU);
	uint64_t pt = vmsa_oa(*env_desc(e, &s1, VA, 2), 12);
	uint64_t *s2pte = env_desc(e, &s2, pt, 3);
	*s2pte &= ~FIELD_MASK(VMSAD, S2AP_W);
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_R, false, &res));
	*env_desc(e, &s1, VA, 3) &= ~FIELD_MASK(VMSAD, AF);
	fails(e, &s1, &s2, VA, MMU_R, false, &res, MMU_FAULT_PERMISSION, 2, 3, 0xcf);
	expect_gpa(&res, pt + 8 * ((VA >> 12) & 511), true);
	*s2pte |= FIELD_MASK(VMSAD, DBM);
	s2.ctl = MMU_CTL_AD | MMU_CTL_DBM;
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_R, false, &res));
	CU_ASSERT_EQUAL(nupdates(&res), 2);
	CU_ASSERT(*s2pte & FIELD_MASK(VMSAD, S2AP_W));
	CU_ASSERT(*env_desc(e, &s1, VA, 3) & FIELD_MASK(VMSAD, AF));
	env_free(e);
}

/* Stage-2 DBM: a write to a read-only DBM page sets S2AP[1] */
static void test_s2_dbm(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = s2_env(&s1, &s2, 0, MMU_CTL_AD | MMU_CTL_DBM, MMU_R | MMU_X | MMU_U | MMU_UX);
	uint64_t *d = env_desc(e, &s2, GPA_DATA, 3);
	fails(e, &s1, &s2, VA, MMU_W, false, &res, MMU_FAULT_PERMISSION, 2, 3, 0x4f);
	*d |= FIELD_MASK(VMSAD, DBM);
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_R, false, &res));
	CU_ASSERT_FALSE(res.s2_dirty);
	CU_ASSERT(walk(e, &s1, &s2, VA, MMU_W, false, &res));
	CU_ASSERT(res.s2_dirty);
	CU_ASSERT(*d & FIELD_MASK(VMSAD, S2AP_W));
	env_free(e);
}

/* Stage 2 outside RAM: external abort on the stage-2 walk */
static void test_s2_external(void)
{
	struct mmu_stage s1, s2;
	struct mmu_result res;
	struct env *e = s2_env(&s1, &s2, 0, 0, RWXU);
	uint64_t *l2 = env_desc(e, &s2, s1.root, 2);
	*l2 = (*l2 & 0xfff) | 0x800000000ULL;
	fails(e, &s1, &s2, VA, MMU_R, false, &res, MMU_FAULT_EXTERNAL, 2, 3, 0x97);
	env_free(e);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "stage-1 permissions", test_s1_permissions },
		{ "stage-1 table attributes", test_table_attributes },
		{ "Access flag and hardware AF", test_access_flag },
		{ "DBM", test_dbm },
		{ "invalid descriptors", test_invalid_descriptors },
		{ "input range, level -1", test_input_range },
		{ "address size faults, external abort", test_address_size },
		{ "stage-2 faults, S1PTW, HPFAR", test_s2_faults },
		{ "stage-2 input range", test_s2_input_range },
		{ "stage-1 update through stage 2", test_s1_update_through_s2 },
		{ "stage-2 DBM", test_s2_dbm },
		{ "stage-2 external abort", test_s2_external },
		CU_TEST_INFO_NULL,
	};
	return unit_run("mmu_vmsa", tests);
}
