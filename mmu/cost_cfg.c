/* The translation caches from a design, and their statistics.  See cost.h.
 * Defaults and their sources: designs/default-*.ini. */
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "mmu/cost.h"

#define TLB_ARRAY_KEYS(t, cls, what)                                                                          \
	{ "tlb", t "_" cls "_entries", CFG_U64, 0, 65536, NULL, what ": entries of the " cls " array (0: none)" }, \
	{ "tlb", t "_" cls "_ways", CFG_U64, 1, 65536, NULL, what ": ways of the " cls " array (entries/ways sets)" }
#define TLB_KEYS(t, what)                                                                                        \
	{ "tlb", t "_arrays", CFG_ENUM, 0, 0, "split|4k_2m|unified",                                               \
	  what ": one array per size class (4k: 4K-64K, 2m: 2M-512M, 1g: 1G+), 4k also holding 2m, or 4k holding all" }, \
	TLB_ARRAY_KEYS(t, "4k", what), TLB_ARRAY_KEYS(t, "2m", what), TLB_ARRAY_KEYS(t, "1g", what)

const struct cfg_key tlb_cfg_keys[] = {
	{ "tlb", "enabled", CFG_BOOL, 0, 0, NULL, "model the TLBs (off: every access walks)" },
	{ "tlb", "l1_hit_cycles", CFG_U64, 0, 1e6, NULL, "L1 dTLB/iTLB hit: cycles added to the access" },
	{ "tlb", "l2_hit_cycles", CFG_U64, 0, 1e6, NULL, "L1 TLB miss: the L2 TLB probe (hit, or before a walk)" },
	TLB_KEYS("l1d", "L1 data TLB"),
	TLB_KEYS("l1i", "L1 instruction TLB"),
	TLB_KEYS("l2", "L2 (shared) TLB"),
};
const unsigned tlb_cfg_nkeys = sizeof tlb_cfg_keys / sizeof tlb_cfg_keys[0];

#define MEMH_LEVEL_KEYS(l)                                                                                    \
	{ "memh", l "_bytes", CFG_U64, 1, 1099511627776.0, NULL, l " cache capacity in bytes" },                \
	{ "memh", l "_ways", CFG_U64, 1, 1024, NULL, l " cache associativity" },                                \
	{ "memh", l "_line_bytes", CFG_U64, 1, 4096, NULL, l " cache line size (a power of two)" },              \
	{ "memh", l "_hit_cycles", CFG_U64, 0, 1e6, NULL, l " hit: load-to-use cycles of a walk reference" }

const struct cfg_key memh_cfg_keys[] = {
	{ "memh", "enabled", CFG_BOOL, 0, 0, NULL, "walk references look up the caches (off: each costs mem_cycles)" },
	{ "memh", "levels", CFG_U64, 1, 3, NULL, "cache levels a walk reference looks up (l1, l2, l3 in order)" },
	MEMH_LEVEL_KEYS("l1"),
	MEMH_LEVEL_KEYS("l2"),
	MEMH_LEVEL_KEYS("l3"),
	{ "memh", "mem_cycles", CFG_U64, 0, 1e6, NULL, "a walk reference served by memory: load-to-use cycles" },
};
const unsigned memh_cfg_nkeys = sizeof memh_cfg_keys / sizeof memh_cfg_keys[0];

#define WC_KEYS(n, what)                                                                                  \
	{ "walkcache", n "_entries", CFG_U64, 0, 65536, NULL, what ": entries (0: none)" },                 \
	{ "walkcache", n "_ways", CFG_U64, 1, 65536, NULL, what ": ways" }
#define WC_COMMON_KEYS                                                                                          \
	{ "walkcache", "enabled", CFG_BOOL, 0, 0, NULL, "model the page-walk caches and the nested TLB" },        \
	{ "walkcache", "s1_holds_pa", CFG_BOOL, 0, 0, NULL,                                                       \
	  "a stage-1 walk-cache entry holds the host-physical address of the next table (its stage-2 walk skipped too)" }, \
	WC_KEYS("ntlb", "nested TLB (GPA -> PA, per VMID/VPID)")

const struct cfg_key walkcache_x86_cfg_keys[] = {
	WC_COMMON_KEYS,
	WC_KEYS("s1_pml5e", "paging-structure cache, PML5 entries"),
	WC_KEYS("s1_pml4e", "paging-structure cache, PML4 entries"),
	WC_KEYS("s1_pdpte", "paging-structure cache, PDPT entries"),
	WC_KEYS("s1_pde", "paging-structure cache, PD entries"),
	WC_KEYS("s2_pml5e", "EPT paging-structure cache, PML5 entries"),
	WC_KEYS("s2_pml4e", "EPT paging-structure cache, PML4 entries"),
	WC_KEYS("s2_pdpte", "EPT paging-structure cache, PDPT entries"),
	WC_KEYS("s2_pde", "EPT paging-structure cache, PD entries"),
};
const unsigned walkcache_x86_cfg_nkeys = sizeof walkcache_x86_cfg_keys / sizeof walkcache_x86_cfg_keys[0];

const struct cfg_key walkcache_vmsa_cfg_keys[] = {
	WC_COMMON_KEYS,
	WC_KEYS("s1_l0", "stage-1 walk cache, level-0 entries"),
	WC_KEYS("s1_l1", "stage-1 walk cache, level-1 entries"),
	WC_KEYS("s1_l2", "stage-1 walk cache, level-2 entries"),
	WC_KEYS("s2_l0", "stage-2 walk cache, level-0 entries"),
	WC_KEYS("s2_l1", "stage-2 walk cache, level-1 entries"),
	WC_KEYS("s2_l2", "stage-2 walk cache, level-2 entries"),
};
const unsigned walkcache_vmsa_cfg_nkeys = sizeof walkcache_vmsa_cfg_keys / sizeof walkcache_vmsa_cfg_keys[0];

/* entries/ways of section.<name>_entries/_ways as a geometry */
static int geom_of(const struct cfg *cfg, const char *sec, const char *name, unsigned classes, struct tlb_geom *g)
{
	char ke[64], kw[64];
	snprintf(ke, sizeof ke, "%s_entries", name);
	snprintf(kw, sizeof kw, "%s_ways", name);
	uint64_t entries = cfg_u64(cfg, sec, ke), ways = cfg_u64(cfg, sec, kw);
	if (entries % ways)
		return err_set("%s.%s: %llu is not a multiple of %s.%s (%llu)", sec, ke, (unsigned long long)entries, sec,
			       kw, (unsigned long long)ways);
	*g = (struct tlb_geom){ .sets = (unsigned)(entries / ways), .ways = (unsigned)ways, .classes = classes };
	return 0;
}

static int tlb_from_cfg(const struct cfg *cfg, const char *t, struct tlb_geom *arr, unsigned *narr)
{
	static const char *const cls[3] = { "4k", "2m", "1g" };
	char k[64];
	snprintf(k, sizeof k, "%s_arrays", t);
	unsigned mode = cfg_enum(cfg, "tlb", k);   /* 0 split, 1 4k_2m, 2 unified */
	unsigned first_cls[3][3] = { { 1, 2, 4 }, { 3, 0, 4 }, { 7, 0, 0 } };
	for (unsigned i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "%s_%s", t, cls[i]);
		if (geom_of(cfg, "tlb", name, first_cls[mode][i], &arr[i]) < 0)
			return -1;
		if (!first_cls[mode][i] && arr[i].sets)
			return err_set("tlb.%s_entries: must be 0 when tlb.%s is %s", name, k, mode == 1 ? "4k_2m" : "unified");
	}
	*narr = 3;
	return 0;
}

static int memh_from_cfg(const struct cfg *cfg, struct mmu_caches_geom *g)
{
	static const char *const lv[3] = { "l1", "l2", "l3" };
	g->memh_levels = (unsigned)cfg_u64(cfg, "memh", "levels");
	for (unsigned i = 0; i < g->memh_levels; i++) {
		char kb[32], kw[32], kl[32], kc[32];
		snprintf(kb, sizeof kb, "%s_bytes", lv[i]);
		snprintf(kw, sizeof kw, "%s_ways", lv[i]);
		snprintf(kl, sizeof kl, "%s_line_bytes", lv[i]);
		snprintf(kc, sizeof kc, "%s_hit_cycles", lv[i]);
		uint64_t bytes = cfg_u64(cfg, "memh", kb), ways = cfg_u64(cfg, "memh", kw), line = cfg_u64(cfg, "memh", kl);
		if (line & (line - 1))
			return err_set("memh.%s: %llu is not a power of two", kl, (unsigned long long)line);
		if (bytes % (ways * line))
			return err_set("memh.%s: %llu is not a multiple of ways x line (%llu)", kb, (unsigned long long)bytes,
				       (unsigned long long)(ways * line));
		g->memh[i] = (struct memh_level_geom){ .sets = (unsigned)(bytes / ways / line), .ways = (unsigned)ways,
						       .line_shift = (unsigned)__builtin_ctzll(line),
						       .hit_cycles = cfg_u64(cfg, "memh", kc) };
	}
	g->mem_cycles = cfg_u64(cfg, "memh", "mem_cycles");
	g->memh_on = cfg_bool(cfg, "memh", "enabled");
	return 0;
}

static int pwc_from_cfg(const struct cfg *cfg, bool vmsa, struct pwc_geom *g)
{
	static const char *const x86[PWC_SLOTS] = { "pml5e", "pml4e", "pdpte", "pde" };
	static const char *const arm[PWC_SLOTS] = { NULL, "l0", "l1", "l2" };
	for (unsigned st = 0; st < 2; st++)
		for (unsigned s = 0; s < PWC_SLOTS; s++) {
			const char *lvl = vmsa ? arm[s] : x86[s];
			char name[32];
			if (!lvl)
				continue;
			snprintf(name, sizeof name, "s%u_%s", st + 1, lvl);
			if (geom_of(cfg, "walkcache", name, TLB_ALL_CLASSES, &g->lvl[st][s]) < 0)
				return -1;
		}
	g->ntlb_arrays = 1;
	g->s1_holds_pa = cfg_bool(cfg, "walkcache", "s1_holds_pa");
	return geom_of(cfg, "walkcache", "ntlb", TLB_ALL_CLASSES, &g->ntlb[0]);
}

int mmu_caches_init(struct mmu_caches *c, const struct cfg *cfg, bool vmsa)
{
	struct mmu_caches_geom g;
	memset(&g, 0, sizeof g);
	static const char *const names[MMU_NTLBS] = { "l1d", "l1i", "l2" };
	for (unsigned i = 0; i < MMU_NTLBS; i++)
		if (tlb_from_cfg(cfg, names[i], g.tlb[i], &g.tlb_arrays[i]) < 0)
			return -1;
	if (memh_from_cfg(cfg, &g) < 0 || pwc_from_cfg(cfg, vmsa, &g.pwc) < 0)
		return -1;
	g.tlb_on = cfg_bool(cfg, "tlb", "enabled");
	g.pwc_on = cfg_bool(cfg, "walkcache", "enabled");
	g.l1_hit_cycles = cfg_u64(cfg, "tlb", "l1_hit_cycles");
	g.l2_hit_cycles = cfg_u64(cfg, "tlb", "l2_hit_cycles");
	return mmu_caches_init_geom(c, &g);
}

int mmu_caches_init_geom(struct mmu_caches *c, const struct mmu_caches_geom *g)
{
	static const char *const names[MMU_NTLBS] = { "l1d", "l1i", "l2" };
	memset(c, 0, sizeof *c);
	for (unsigned i = 0; i < MMU_NTLBS; i++) {
		if (tlb_init(&c->tlb[i], names[i], g->tlb[i], g->tlb_arrays[i]) < 0)
			goto fail;
		c->tlb[i].enabled &= g->tlb_on;
	}
	if (pwc_init(&c->pwc, &g->pwc) < 0 || memh_init(&c->memh, g->memh, g->memh_levels, g->mem_cycles) < 0)
		goto fail;
	for (unsigned s = 0; s < PWC_SLOTS; s++) {
		c->pwc.s1[s].enabled &= g->pwc_on;
		c->pwc.s2[s].enabled &= g->pwc_on;
	}
	c->pwc.ntlb.enabled &= g->pwc_on;
	c->memh.enabled = g->memh_on;
	c->l1_hit_cycles = g->l1_hit_cycles;
	c->l2_hit_cycles = g->l2_hit_cycles;
	return 0;
fail:
	mmu_caches_free(c);
	return -1;
}

void mmu_caches_free(struct mmu_caches *c)
{
	for (unsigned i = 0; i < MMU_NTLBS; i++)
		tlb_free(&c->tlb[i]);
	pwc_free(&c->pwc);
	memh_free(&c->memh);
}

/* ------------------------------------------------------------ statistics */

void mmu_caches_register_stats(struct mmu_caches *c, struct stats *st, const char *prefix)
{
	char path[128];
	snprintf(path, sizeof path, "%s.walk_cycles", prefix);
	c->h_walk_cycles = stats_hist(st, path, "cycles per page walk (sum of its issued references' latencies)");
}

static void put(struct stats *st, const char *prefix, const char *name, uint64_t v, const char *doc)
{
	char path[160];
	snprintf(path, sizeof path, "%s.%s", prefix, name);
	*stats_counter(st, path, doc) = v;
}

static void put_tlb(struct stats *st, const char *prefix, const char *name, const struct tlb *t)
{
	char n[96];
	snprintf(n, sizeof n, "%s.lookups", name);
	put(st, prefix, n, t->st.lookups, "lookups");
	snprintf(n, sizeof n, "%s.hits", name);
	put(st, prefix, n, t->st.hits, "hits (hit rate = hits / lookups)");
	snprintf(n, sizeof n, "%s.replaced", name);
	put(st, prefix, n, t->st.replaced, "valid entries displaced by a fill");
	snprintf(n, sizeof n, "%s.invalidated", name);
	put(st, prefix, n, t->st.invalidated, "entries removed by invalidation");
}

void mmu_caches_publish_stats(const struct mmu_caches *c, struct stats *st, const char *prefix)
{
	static const char *const names[MMU_NTLBS] = { "tlb.l1d", "tlb.l1i", "tlb.l2" };
	for (unsigned i = 0; i < MMU_NTLBS; i++)
		put_tlb(st, prefix, names[i], &c->tlb[i]);
	for (unsigned s = 0; s < PWC_SLOTS; s++) {
		char n[32];
		snprintf(n, sizeof n, "walkcache.s1.slot%u", s);
		put_tlb(st, prefix, n, &c->pwc.s1[s]);
		snprintf(n, sizeof n, "walkcache.s2.slot%u", s);
		put_tlb(st, prefix, n, &c->pwc.s2[s]);
	}
	put_tlb(st, prefix, "walkcache.ntlb", &c->pwc.ntlb);
	put(st, prefix, "walks", c->n.walks, "page walks (TLB misses that walked)");
	put(st, prefix, "walks_faulted", c->n.faulted_walks, "walks that ended in a fault");
	put(st, prefix, "walk_refs_recorded", c->n.refs_recorded, "references of the full walks, as the walker recorded them");
	put(st, prefix, "walk_refs_issued", c->n.refs_issued, "references issued to memory after the walk caches");
	put(st, prefix, "walk_cycles_total", c->n.walk_cycles, "cycles of all walks");
	put(st, prefix, "tlb_cycles_total", c->n.lookup_cycles, "cycles of TLB hits and L2 TLB probes");
	for (unsigned i = 0; i < c->memh.nlevels; i++) {
		char n[32];
		snprintf(n, sizeof n, "memh.l%u_hits", i + 1);
		put(st, prefix, n, c->memh.lv[i].hits, "walk references served by this cache level");
	}
	put(st, prefix, "memh.mem_accesses", c->memh.mem_accesses, "walk references served by memory");
}
