/* Which references of a recorded walk the hardware issues: page-walk
 * caches per stage and level, the nested TLB, the memory hierarchy and
 * the TLB side (L1/L2, refill, fracturing).  Fixtures are hand-built
 * mmu_result lists in the walker's order (mmu.h): x86 4-level paging under
 * 4-level EPT, 4 x (4 EPT reads + 1 guest read) + 4 EPT reads = 24. */
#include <string.h>

#include "core/err.h"
#include "mmu/cost.h"
#include "platform/designs.h"
#include "tests/unit/unit.h"

static const struct mmu_stage s1 = { .fmt = MMU_X86_PAGING, .levels = 4, .tag = 3 };
static const struct mmu_stage s2 = { .fmt = MMU_EPT, .levels = 4, .tag = 5 };

/* EPT tables at 0x1000000.. (PML4, PDPT, PD, PT: one page each level) */
static uint64_t ept_pa(int level, uint64_t gpa)
{
	return 0x1000000 + (uint64_t)(4 - level) * 0x1000 + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8;
}

static void add(struct mmu_result *r, uint8_t stage, int level, uint8_t step, uint64_t ia, uint64_t pa, bool leaf)
{
	r->ref[r->nrefs++] = (struct mmu_ref){ .pa = pa, .ia = ia, .stage = stage, .level = (int8_t)level, .step = step,
					       .flags = leaf ? MMU_REF_LEAF : 0 };
}

static void subwalk(struct mmu_result *r, uint8_t step, uint64_t gpa)
{
	for (int l = 4; l >= 1; l--)
		add(r, 2, l, step, gpa, ept_pa(l, gpa), l == 1);
}

/* Guest tables at GPAs tbl[0..3] (PML4, PDPT, PD, PT); data at gpa. GPA ==
 * PA + 0x40000000 in this fixture (any mapping serves). */
static void walk2d(struct mmu_result *r, uint64_t va, const uint64_t tbl[4], uint64_t gpa)
{
	memset(r, 0, sizeof *r);
	for (unsigned i = 0; i < 4; i++) {
		subwalk(r, (uint8_t)i, tbl[i]);
		int level = 4 - (int)i;
		uint64_t idx = (va >> (12 + 9 * (level - 1))) & 511;
		add(r, 1, level, (uint8_t)i, va, tbl[i] + 0x40000000 + idx * 8, level == 1);
	}
	subwalk(r, 4, gpa);
	r->gpa = gpa;
	r->pa = gpa + 0x40000000;
	r->s1_shift = r->s2_shift = r->page_shift = 12;
	r->perms = MMU_R | MMU_W;
}

/* Guest page tables in one 2M GPA region; data in another 2M region of the same 1G */
static const uint64_t tables[4] = { 0x100000, 0x101000, 0x102000, 0x103000 };
#define VA 0x7f0000201000ull
#define DATA 0x345000ull

static void geom(struct mmu_caches_geom *g, bool tlb, bool pwc, bool ntlb, bool holds_pa)
{
	memset(g, 0, sizeof *g);
	for (unsigned i = 0; i < MMU_NTLBS; i++) {
		g->tlb[i][0] = (struct tlb_geom){ .sets = 4, .ways = 4, .classes = TLB_ALL_CLASSES };
		g->tlb_arrays[i] = 1;
	}
	for (unsigned st = 0; st < 2; st++)
		for (unsigned s = 0; s < PWC_SLOTS; s++)
			g->pwc.lvl[st][s] = (struct tlb_geom){ .sets = 1, .ways = 4 };
	g->pwc.ntlb[0] = (struct tlb_geom){ .sets = ntlb ? 4 : 0, .ways = 4, .classes = TLB_ALL_CLASSES };
	g->pwc.ntlb_arrays = 1;
	g->pwc.s1_holds_pa = holds_pa;
	g->memh[0] = (struct memh_level_geom){ .sets = 64, .ways = 8, .line_shift = 6, .hit_cycles = 4 };
	g->memh_levels = 1;
	g->mem_cycles = 200;
	g->l1_hit_cycles = 1;
	g->l2_hit_cycles = 9;
	g->tlb_on = tlb;
	g->pwc_on = pwc;
	g->memh_on = true;
}

static struct mmu_caches caches(bool pwc, bool ntlb, bool holds_pa)
{
	struct mmu_caches c;
	struct mmu_caches_geom g;
	geom(&g, true, pwc, ntlb, holds_pa);
	CU_ASSERT_EQUAL(mmu_caches_init_geom(&c, &g), 0);
	return c;
}

static const struct mmu_regime regime2 = { .s1 = &s1, .s2 = &s2 };
static const struct mmu_access rd = { .addr = VA, .type = MMU_R };

static unsigned walk_issued(struct mmu_caches *c, uint64_t va, uint64_t gpa, struct mmu_cost *o)
{
	struct mmu_result r;
	walk2d(&r, va, tables, gpa);
	CU_ASSERT_EQUAL(r.nrefs, 24);
	struct mmu_access a = { .addr = va, .type = MMU_R };
	mmu_cost_walk(c, &regime2, &a, &r, false, o);
	return o->nissued;
}

/* No walk caches: all 24 references, each a cold miss then L1 hits. */
static void test_no_caches(void)
{
	struct mmu_caches c = caches(false, false, false);
	struct mmu_cost o;
	CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 24);
	CU_ASSERT_EQUAL(o.skipped_pwc + o.skipped_ntlb, 0);
	/* EPT entries repeat across sub-walks (same PML4E/PDPTE lines); guest entries do not */
	CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 24);
	CU_ASSERT_EQUAL(o.cycles, 24 * 4);   /* second time every line is in the cache */
	mmu_caches_free(&c);
}

/* Cold walk caches: step 0's sub-walk issues 4 and fills the EPT PDE
 * cache for the tables' 2M region, so steps 1-3 issue only the EPT PT
 * read (1 each); the final GPA shares the EPT PDPTE (same 1G) but not the
 * PDE: 2.  4 + 3 + 4 guest reads + 2 = 13. */
static void test_cold_walk_caches(void)
{
	struct mmu_caches c = caches(true, true, true);
	struct mmu_cost o;
	CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 13);
	CU_ASSERT_EQUAL(o.skipped_pwc, 11);
	CU_ASSERT_EQUAL(o.skipped_ntlb, 0);
	/* order kept: first the 4 EPT reads of step 0, then the guest PML4E */
	CU_ASSERT_EQUAL(o.issued[0].stage, 2);
	CU_ASSERT_EQUAL(o.issued[3].level, 1);
	CU_ASSERT_EQUAL(o.issued[4].stage, 1);
	CU_ASSERT_EQUAL(o.issued[4].level, 4);
	CU_ASSERT_EQUAL(o.issued[12].stage, 2);
	mmu_caches_free(&c);
}

/* Warm: the next page of the same 2M VA region.  The guest PDE cache hits
 * (skips PML4E, PDPTE, PDE and their sub-walks); the entry holds the PT's
 * host-physical address, so its sub-walk goes too; the PT read issues;
 * the final GPA (next page, same 2M) hits the EPT PDE cache: 1.  Total 2. */
static void test_warm_holds_pa(void)
{
	struct mmu_caches c = caches(true, false, true);
	struct mmu_cost o;
	walk_issued(&c, VA, DATA, &o);
	CU_ASSERT_EQUAL(walk_issued(&c, VA + 0x1000, DATA + 0x1000, &o), 2);
	CU_ASSERT_EQUAL(o.issued[0].stage, 1);
	CU_ASSERT_EQUAL(o.issued[0].level, 1);
	CU_ASSERT_EQUAL(o.issued[1].stage, 2);
	CU_ASSERT_EQUAL(o.issued[1].level, 1);
	CU_ASSERT_EQUAL(c.pwc.s1[3].st.hits, 1);
	mmu_caches_free(&c);
}

/* Same, but the guest PDE-cache entry holds the PT's GPA: the PT's EPT
 * sub-walk still runs (EPT PDE cache hit: 1 read).  Total 3. */
static void test_warm_holds_gpa(void)
{
	struct mmu_caches c = caches(true, false, false);
	struct mmu_cost o;
	walk_issued(&c, VA, DATA, &o);
	CU_ASSERT_EQUAL(walk_issued(&c, VA + 0x1000, DATA + 0x1000, &o), 3);
	mmu_caches_free(&c);
}

/* Nested TLB: the same walk again with stage-1 caches flushed by VMID
 * (nothing else): every table GPA and the final GPA hit the nested TLB,
 * so only the 4 guest reads issue. */
static void test_nested_tlb(void)
{
	struct mmu_caches c = caches(true, true, true);
	struct mmu_cost o;
	walk_issued(&c, VA, DATA, &o);
	struct tlb_scope s = { .by = TLB_BY_S2, .s2tag = 5 };
	CU_ASSERT(mmu_caches_invalidate(&c, &s) > 0);
	CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 4);
	CU_ASSERT_EQUAL(o.skipped_ntlb, 20);
	CU_ASSERT_EQUAL(c.pwc.ntlb.st.hits, 5);
	/* stage-2 invalidation by VMID empties the nested TLB and EPT walk caches */
	struct tlb_scope s2s = { .by = TLB_BY_S2, .s2tag = 5 };
	CU_ASSERT(mmu_caches_invalidate_s2(&c, &s2s) > 0);
	CU_ASSERT_EQUAL(tlb_count(&c.pwc.ntlb), 0);
	CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 13);
	mmu_caches_free(&c);
}

/* Only the guest paging-structure caches (no EPT caches, no nested TLB):
 * warm PDE hit leaves the PT's sub-walk (4) + PT read (1) + final (4) = 9
 * with GPA entries, 5 with PA entries. */
static void test_s1_only(void)
{
	for (int pa = 0; pa < 2; pa++) {
		struct mmu_caches c = caches(true, false, pa);
		for (unsigned s = 0; s < PWC_SLOTS; s++)
			c.pwc.s2[s].enabled = false;
		struct mmu_cost o;
		CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), 24);
		CU_ASSERT_EQUAL(walk_issued(&c, VA, DATA, &o), pa ? 5 : 9);
		mmu_caches_free(&c);
	}
}

/* Another ASID or VMID does not hit the walk caches */
static void test_pwc_tags(void)
{
	struct mmu_caches c = caches(true, false, true);
	struct mmu_cost o;
	walk_issued(&c, VA, DATA, &o);
	struct mmu_stage other1 = s1;
	other1.tag = 4;
	struct mmu_regime r = { .s1 = &other1, .s2 = &s2 };
	struct mmu_result res;
	walk2d(&res, VA, tables, DATA);
	mmu_cost_walk(&c, &r, &rd, &res, false, &o);
	/* guest caches miss: 4 guest reads; EPT caches (same VPID) hit: 1 per sub-walk */
	CU_ASSERT_EQUAL(o.nissued, 4 + 5);
	mmu_caches_free(&c);
}

/* A faulting walk fills nothing from its last step */
static void test_fault_fills_nothing_last(void)
{
	struct mmu_caches c = caches(true, true, true);
	struct mmu_result r;
	walk2d(&r, VA, tables, DATA);
	r.nrefs = 19;   /* stops after step 3's sub-walk... */
	r.nrefs = 20;   /* ...and the guest PTE read faults */
	r.fault.kind = MMU_FAULT_TRANSLATION;
	r.fault.stage = 1;
	struct mmu_cost o;
	mmu_cost_walk(&c, &regime2, &rd, &r, false, &o);
	CU_ASSERT_EQUAL(o.nissued, 4 + 3 + 4);
	CU_ASSERT_EQUAL(tlb_count(&c.tlb[MMU_TLB_L2]), 0);
	CU_ASSERT_EQUAL(tlb_count(&c.pwc.s1[3]), 1);   /* the PDE that led to the PT */
	CU_ASSERT_EQUAL(c.n.faulted_walks, 1);
	mmu_caches_free(&c);
}

/* TLB side: miss, walk fills L2 and L1; L1 hit; after an L1-only flush an
 * L2 hit refills L1.  Cycles from the geometry's latencies. */
static void test_lookup_levels(void)
{
	struct mmu_caches c = caches(true, true, true);
	struct mmu_cost o;
	CU_ASSERT_PTR_NULL(mmu_cost_lookup(&c, &regime2, &rd, &o));
	CU_ASSERT_EQUAL(o.tlb_hit, -1);
	CU_ASSERT_EQUAL(o.cycles, 1 + 9);
	walk_issued(&c, VA, DATA, &o);
	CU_ASSERT_PTR_NOT_NULL(mmu_cost_lookup(&c, &regime2, &rd, &o));
	CU_ASSERT_EQUAL(o.tlb_hit, MMU_TLB_L1D);
	CU_ASSERT_EQUAL(o.cycles, 1);
	tlb_invalidate_all(&c.tlb[MMU_TLB_L1D]);
	const struct tlb_entry *e = mmu_cost_lookup(&c, &regime2, &rd, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->out, DATA + 0x40000000);
	CU_ASSERT_EQUAL(o.tlb_hit, MMU_TLB_L2);
	CU_ASSERT_EQUAL(o.cycles, 10);
	CU_ASSERT_EQUAL(tlb_count(&c.tlb[MMU_TLB_L1D]), 1);
	/* the instruction side has its own L1 */
	struct mmu_access x = { .addr = VA, .type = MMU_X };
	mmu_cost_lookup(&c, &regime2, &x, &o);
	CU_ASSERT_EQUAL(o.tlb_hit, MMU_TLB_L2);
	mmu_caches_free(&c);
}

/* A 1G mapping into a TLB with no 1G array is cached as a 2M entry
 * (SDM 4.10.1.3), covering the 2M around the address only. */
static void test_fracture(void)
{
	struct mmu_caches_geom g;
	geom(&g, true, true, true, true);
	g.tlb[MMU_TLB_L1D][0].classes = TLB_CLASS_BIT(TLB_PAGE) | TLB_CLASS_BIT(TLB_BLOCK2);
	g.tlb[MMU_TLB_L2][0].classes = TLB_CLASS_BIT(TLB_PAGE);
	struct mmu_caches c;
	CU_ASSERT_EQUAL_FATAL(mmu_caches_init_geom(&c, &g), 0);
	struct mmu_regime r = { .s1 = &s1 };
	struct mmu_result res;
	memset(&res, 0, sizeof res);
	uint64_t va = 0x40000000 + 0x12345678;
	res.pa = 0x80000000 + 0x12345678;
	res.page_shift = res.s1_shift = 30;
	struct mmu_access a = { .addr = va, .type = MMU_R };
	struct mmu_cost o;
	mmu_cost_walk(&c, &r, &a, &res, false, &o);
	const struct tlb_entry *e = tlb_probe(&c.tlb[MMU_TLB_L1D], va, 3, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->shift, 21);
	CU_ASSERT_EQUAL(e->out, 0x80000000ull + 0x12200000);
	e = tlb_probe(&c.tlb[MMU_TLB_L2], va, 3, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->shift, 12);
	CU_ASSERT_EQUAL(e->out, 0x80000000ull + 0x12345000);
	CU_ASSERT_PTR_NULL(tlb_probe(&c.tlb[MMU_TLB_L1D], va + 0x200000, 3, 0));
	mmu_caches_free(&c);
}

/* Memory hierarchy: cold miss costs memory, a hit its level's latency,
 * inclusive fill, LRU within a set. */
static void test_memh(void)
{
	struct memh m;
	struct memh_level_geom lv[2] = {
		{ .sets = 1, .ways = 2, .line_shift = 6, .hit_cycles = 4 },
		{ .sets = 1, .ways = 4, .line_shift = 6, .hit_cycles = 14 },
	};
	CU_ASSERT_EQUAL_FATAL(memh_init(&m, lv, 2, 230), 0);
	unsigned served;
	CU_ASSERT_EQUAL(memh_access(&m, 0x1000, &served), 230);
	CU_ASSERT_EQUAL(served, 2);
	CU_ASSERT_EQUAL(memh_access(&m, 0x1038, &served), 4);   /* same 64-byte line */
	CU_ASSERT_EQUAL(served, 0);
	memh_access(&m, 0x2000, NULL);
	memh_access(&m, 0x3000, NULL);   /* L1 (2 ways) drops 0x1000, L2 keeps it */
	CU_ASSERT_EQUAL(memh_access(&m, 0x1000, &served), 14);
	CU_ASSERT_EQUAL(served, 1);
	CU_ASSERT_EQUAL(memh_access(&m, 0x1000, NULL), 4);       /* refilled into L1 */
	m.enabled = false;
	CU_ASSERT_EQUAL(memh_access(&m, 0x1000, NULL), 230);
	memh_free(&m);
}

static unsigned evictions;
static void on_evict(void *ctx, const struct tlb *t, const struct tlb_entry *e, enum tlb_why why)
{
	(void)ctx;
	(void)t;
	(void)e;
	(void)why;
	evictions++;
}

/* The front end hears of every entry the modelled TLBs drop */
static void test_evict_callback(void)
{
	struct mmu_caches c = caches(true, true, true);
	mmu_caches_set_evict(&c, on_evict, NULL);
	evictions = 0;
	struct mmu_cost o;
	walk_issued(&c, VA, DATA, &o);   /* fills L2 and L1D */
	struct tlb_scope s = { .by = TLB_BY_S2 | TLB_BY_S1 | TLB_BY_ADDR, .s1tag = 3, .s2tag = 5, .addr = VA };
	CU_ASSERT_EQUAL(mmu_caches_invalidate(&c, &s), 2 + 3);   /* two TLB entries, three walk-cache entries */
	CU_ASSERT_EQUAL(evictions, 2);
	mmu_caches_free(&c);
}

/* Both default designs build the caches with the published geometries */
static void test_default_designs(void)
{
	for (int arch = 0; arch < 2; arch++) {
		struct cfg *cfg = cfg_new();
		CU_ASSERT_EQUAL_FATAL(design_load_default(cfg, arch ? ISA_A64 : ISA_X86_64), 0);
		struct mmu_caches c;
		CU_ASSERT_EQUAL_FATAL(mmu_caches_init(&c, cfg, arch == 1), 0);
		if (arch == 0) {   /* Skylake: STLB 1536 x 12-way = 128 sets; DTLB 4K/2M/1G arrays */
			CU_ASSERT_EQUAL(c.tlb[MMU_TLB_L2].a[0].g.sets, 128);
			CU_ASSERT_EQUAL(c.tlb[MMU_TLB_L1D].narrays, 3);
			CU_ASSERT_EQUAL(c.pwc.s1[3].a[0].g.ways, 32);
			CU_ASSERT_FALSE(c.pwc.s1[0].enabled);
			CU_ASSERT_EQUAL(c.memh.lv[2].g.sets, 22 * 1024 * 1024 / 64 / 11);
		} else {           /* A76: L2 TLB 1280 x 5-way = 256 sets, one array */
			CU_ASSERT_EQUAL(c.tlb[MMU_TLB_L2].a[0].g.sets, 256);
			CU_ASSERT_EQUAL(c.tlb[MMU_TLB_L1D].narrays, 1);
			CU_ASSERT_FALSE(c.pwc.s1[0].enabled);   /* no level -1 */
			CU_ASSERT_TRUE(c.pwc.s1[1].enabled);
		}
		mmu_caches_free(&c);
		/* a geometry that does not divide is refused with the key named */
		CU_ASSERT_EQUAL(cfg_set(cfg, "tlb.l2_4k_entries=1001"), 0);
		CU_ASSERT_EQUAL(mmu_caches_init(&c, cfg, arch == 1), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "tlb.l2_4k_entries: 1001 is not a multiple of tlb.l2_4k_ways"));
		cfg_free(cfg);
	}
}

static CU_TestInfo tests[] = {
	{ "default designs", test_default_designs },
	{ "no walk caches: 24 references", test_no_caches },
	{ "cold walk caches: 13 of 24", test_cold_walk_caches },
	{ "warm, PWC entry holds PA: 2", test_warm_holds_pa },
	{ "warm, PWC entry holds GPA: 3", test_warm_holds_gpa },
	{ "nested TLB skips sub-walks", test_nested_tlb },
	{ "stage-1 caches only: 9 or 5", test_s1_only },
	{ "walk caches are tagged", test_pwc_tags },
	{ "faulting walk", test_fault_fills_nothing_last },
	{ "TLB levels and refill", test_lookup_levels },
	{ "large page fractured", test_fracture },
	{ "memory hierarchy", test_memh },
	{ "eviction callback", test_evict_callback },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("mmu_cost", tests);
}
