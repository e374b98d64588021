/* Set-associative TLB: LRU replacement order, tags (ASID/PCID, VMID/VPID,
 * global), invalidation scopes as the TLBI/INVLPG/INVPCID/MOV CR3 rules
 * give them, page-size classes, eviction reports. */
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/tlb.h"
#include "tests/unit/unit.h"

static struct tlb_entry ent(uint64_t va, unsigned shift, uint16_t asid, uint16_t vmid, bool global)
{
	return (struct tlb_entry){ .vpn = va >> shift, .out = 0x80000000ull + (va >> shift << shift), .shift = (uint8_t)shift,
				   .s1tag = asid, .s2tag = vmid, .global = global, .perms = MMU_R | MMU_W };
}

static unsigned evicted, evicted_replaced;
static uint64_t last_evicted_vpn;
static void on_evict(void *ctx, const struct tlb *t, const struct tlb_entry *e, enum tlb_why why)
{
	(void)ctx;
	(void)t;
	evicted++;
	evicted_replaced += why == TLB_WHY_REPLACED;
	last_evicted_vpn = e->vpn;
}

static void one_set(struct tlb *t, unsigned ways, unsigned classes)
{
	struct tlb_geom g = { .sets = 1, .ways = ways, .classes = classes };
	CU_ASSERT_EQUAL_FATAL(tlb_init(t, "t", &g, 1), 0);
	t->evict = on_evict;
	evicted = evicted_replaced = 0;
}

static void fill(struct tlb *t, uint64_t va, unsigned shift, uint16_t asid, uint16_t vmid, bool global)
{
	struct tlb_entry e = ent(va, shift, asid, vmid, global);
	CU_ASSERT_TRUE(tlb_fill(t, &e, NULL));
}

/* 4 ways: A B C D filled, A used again; E displaces B (least recently
 * used), then F displaces C, then G displaces D, then H displaces A. */
static void test_lru_order(void)
{
	struct tlb t;
	one_set(&t, 4, TLB_ALL_CLASSES);
	for (uint64_t p = 0; p < 4; p++)
		fill(&t, p << 12, 12, 1, 1, false);
	CU_ASSERT_EQUAL(evicted, 0);
	CU_ASSERT_PTR_NOT_NULL(tlb_lookup(&t, 0x0123, 1, 1));
	uint64_t expect[] = { 1, 2, 3, 0 };
	for (unsigned i = 0; i < 4; i++) {
		struct tlb_entry v, e = ent((uint64_t)(10 + i) << 12, 12, 1, 1, false);
		CU_ASSERT_TRUE(tlb_fill(&t, &e, &v));
		CU_ASSERT_TRUE(v.valid);
		CU_ASSERT_EQUAL(v.vpn, expect[i]);
		CU_ASSERT_EQUAL(last_evicted_vpn, expect[i]);
	}
	CU_ASSERT_EQUAL(evicted, 4);
	CU_ASSERT_EQUAL(evicted_replaced, 4);
	CU_ASSERT_EQUAL(tlb_count(&t), 4);
	/* refilling a translation present refreshes it, no second copy */
	fill(&t, 10 << 12, 12, 1, 1, false);
	CU_ASSERT_EQUAL(tlb_count(&t), 4);
	CU_ASSERT_EQUAL(evicted, 4);
	tlb_free(&t);
}

/* Sets are indexed by page number modulo the number of sets: with 2 sets
 * of 1 way, pages 0 and 2 conflict, pages 0 and 1 do not. */
static void test_set_index(void)
{
	struct tlb t;
	struct tlb_geom g = { .sets = 2, .ways = 1, .classes = TLB_ALL_CLASSES };
	CU_ASSERT_EQUAL_FATAL(tlb_init(&t, "t", &g, 1), 0);
	fill(&t, 0x0000, 12, 0, 0, false);
	fill(&t, 0x1000, 12, 0, 0, false);
	CU_ASSERT_EQUAL(tlb_count(&t), 2);
	fill(&t, 0x2000, 12, 0, 0, false);
	CU_ASSERT_EQUAL(tlb_count(&t), 2);
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x0000, 0, 0));
	CU_ASSERT_PTR_NOT_NULL(tlb_lookup(&t, 0x1fff, 0, 0));
	CU_ASSERT_PTR_NOT_NULL(tlb_lookup(&t, 0x2abc, 0, 0));
	tlb_free(&t);
}

static void test_tags(void)
{
	struct tlb t;
	one_set(&t, 8, TLB_ALL_CLASSES);
	fill(&t, 0x400000, 12, 1, 7, false);
	CU_ASSERT_PTR_NOT_NULL(tlb_lookup(&t, 0x400008, 1, 7));
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x400008, 2, 7));   /* other ASID */
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x400008, 1, 8));   /* other VMID */
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x401000, 1, 7));   /* other page */
	fill(&t, 0x800000, 12, 1, 7, true);
	CU_ASSERT_PTR_NOT_NULL(tlb_lookup(&t, 0x800000, 2, 7)); /* global: any ASID */
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x800000, 2, 8));     /* but not another VM */
	/* the same VA in two address spaces: two entries */
	fill(&t, 0x400000, 12, 2, 7, false);
	CU_ASSERT_EQUAL(tlb_count(&t), 3);
	CU_ASSERT_EQUAL(t.st.lookups, 6);
	CU_ASSERT_EQUAL(t.st.hits, 2);
	tlb_free(&t);
}

/* Entries: a = (ASID 1, VMID 1, X), b = (ASID 2, VMID 1, X),
 * g = (global, VMID 1, X), c = (ASID 1, VMID 1, Y), d = (ASID 1, VMID 2, X) */
#define X 0x10000ull
#define Y 0x20000ull
static void five(struct tlb *t)
{
	one_set(t, 8, TLB_ALL_CLASSES);
	fill(t, X, 12, 1, 1, false);
	fill(t, X, 12, 2, 1, false);
	fill(t, X, 12, 9, 1, true);
	fill(t, Y, 12, 1, 1, false);
	fill(t, X, 12, 1, 2, false);
}

static unsigned inval(unsigned by, uint16_t asid, uint16_t vmid, uint64_t addr, unsigned *left)
{
	struct tlb t;
	five(&t);
	struct tlb_scope s = { .by = by, .s1tag = asid, .s2tag = vmid, .addr = addr };
	unsigned n = tlb_invalidate(&t, &s);
	*left = tlb_count(&t);
	CU_ASSERT_EQUAL(evicted, n);
	tlb_free(&t);
	return n;
}

static void test_invalidation_scopes(void)
{
	unsigned left;
	CU_ASSERT_EQUAL(inval(0, 0, 0, 0, &left), 5);                                    /* TLBI ALLE1 */
	CU_ASSERT_EQUAL(inval(TLB_BY_S2, 0, 1, 0, &left), 4);                            /* VMALLE1: a b g c */
	CU_ASSERT_EQUAL(inval(TLB_BY_S2 | TLB_BY_S1 | TLB_NONGLOBAL, 1, 1, 0, &left), 2); /* ASIDE1: a c */
	CU_ASSERT_EQUAL(inval(TLB_BY_S2 | TLB_BY_S1 | TLB_BY_ADDR, 1, 1, X + 0x123, &left), 2); /* VAE1/INVLPG: a g */
	CU_ASSERT_EQUAL(left, 3);
	CU_ASSERT_EQUAL(inval(TLB_BY_S2 | TLB_BY_ADDR, 0, 1, X, &left), 3);                     /* VAAE1: a b g */
	CU_ASSERT_EQUAL(inval(TLB_BY_S2 | TLB_BY_S1 | TLB_BY_ADDR | TLB_NONGLOBAL, 1, 1, X, &left), 1); /* INVPCID 0: a */
	CU_ASSERT_EQUAL(inval(TLB_BY_S2 | TLB_NONGLOBAL, 0, 1, 0, &left), 3);             /* MOV CR3, PCIDE=0: a b c */
	CU_ASSERT_EQUAL(left, 2);
	CU_ASSERT_EQUAL(inval(TLB_BY_ADDR, 0, 0, Y, &left), 1);                           /* c */
}

/* Split arrays (Skylake L1 dTLB style): 4K and 2M apart, no 1G array. */
static void test_page_size_classes(void)
{
	struct tlb t;
	struct tlb_geom g[3] = {
		{ .sets = 1, .ways = 2, .classes = TLB_CLASS_BIT(TLB_PAGE) },
		{ .sets = 1, .ways = 1, .classes = TLB_CLASS_BIT(TLB_BLOCK2) },
		{ .sets = 0, .ways = 4, .classes = TLB_CLASS_BIT(TLB_BLOCK1) },
	};
	CU_ASSERT_EQUAL_FATAL(tlb_init(&t, "t", g, 3), 0);
	CU_ASSERT_EQUAL(t.narrays, 2);
	CU_ASSERT_EQUAL(tlb_class_of(12), TLB_PAGE);
	CU_ASSERT_EQUAL(tlb_class_of(16), TLB_PAGE);
	CU_ASSERT_EQUAL(tlb_class_of(21), TLB_BLOCK2);
	CU_ASSERT_EQUAL(tlb_class_of(29), TLB_BLOCK2);
	CU_ASSERT_EQUAL(tlb_class_of(30), TLB_BLOCK1);
	fill(&t, 0x200000, 21, 0, 0, false);
	fill(&t, 0x1000, 12, 0, 0, false);
	fill(&t, 0x2000, 12, 0, 0, false);
	/* the 2M entry is not displaced by 4K fills: different arrays */
	const struct tlb_entry *e = tlb_lookup(&t, 0x3fffff, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->shift, 21);
	struct tlb_entry big = ent(0x40000000, 30, 0, 0, false);
	CU_ASSERT_FALSE(tlb_fill(&t, &big, NULL));   /* no array holds 1G */
	CU_ASSERT_EQUAL(tlb_count(&t), 3);
	tlb_free(&t);

	/* unified (one array, every size): a 2M and a 4K entry compete for one way */
	one_set(&t, 1, TLB_ALL_CLASSES);
	fill(&t, 0x200000, 21, 0, 0, false);
	fill(&t, 0x1000, 12, 0, 0, false);
	CU_ASSERT_EQUAL(evicted_replaced, 1);
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x200000, 0, 0));
	tlb_free(&t);
}

static void test_disabled(void)
{
	struct tlb t;
	one_set(&t, 4, TLB_ALL_CLASSES);
	t.enabled = false;
	struct tlb_entry e = ent(0x1000, 12, 0, 0, false);
	CU_ASSERT_FALSE(tlb_fill(&t, &e, NULL));
	CU_ASSERT_PTR_NULL(tlb_lookup(&t, 0x1000, 0, 0));
	CU_ASSERT_EQUAL(t.st.lookups, 0);
	tlb_free(&t);
	struct tlb_geom none = { 0 };
	CU_ASSERT_EQUAL(tlb_init(&t, "none", &none, 1), 0);
	CU_ASSERT_FALSE(t.enabled);
	tlb_free(&t);
}

static CU_TestInfo tests[] = {
	{ "LRU replacement order", test_lru_order },
	{ "set index modulo sets", test_set_index },
	{ "ASID/VMID/global tags", test_tags },
	{ "invalidation scopes", test_invalidation_scopes },
	{ "page-size classes", test_page_size_classes },
	{ "switched off", test_disabled },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("mmu_tlb", tests);
}
