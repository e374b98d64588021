/* The translation caches of one core and the cost of a translation.
 *
 * The walker (mmu_walk) always records the full reference list of a walk.
 * mmu_cost_walk decides which of those references the hardware would have
 * issued given the walk caches, issues them to the memory hierarchy, adds
 * up their latencies and fills the caches:
 *  1. stage-1 walk caches are probed from the deepest level up; a hit at
 *     level L skips every stage-1 read at L and above and the stage-2
 *     sub-walks that served them (with s1_holds_pa also the sub-walk of
 *     the next table, whose host-physical address the entry holds);
 *  2. every remaining stage-2 sub-walk (for a stage-1 table, then for the
 *     final GPA) first probes the nested TLB (a hit skips the sub-walk),
 *     then the stage-2 walk caches (a hit at level L skips the reads at L
 *     and above);
 *  3. an Accessed/Dirty write-back (MMU_REF_UPDATE) is issued when the read
 *     of the same descriptor is;
 *  4. on a walk without fault the TLBs are filled (L2, then the L1 of the
 *     access type), the walk caches with every non-leaf entry read, the
 *     nested TLB with each completed stage-2 sub-walk.
 *
 * mmu_cost_lookup is the TLB side: L1 (dTLB or iTLB by access type), then
 * the L2 TLB; an L2 hit refills the L1.  A miss means the caller walks and
 * calls mmu_cost_walk.
 *
 * Latencies (every one a design key): an L1 TLB hit costs tlb.l1_hit_cycles,
 * an L1 miss adds tlb.l2_hit_cycles (the L2 probe, hit or miss), a walk the
 * sum of its issued references' latencies from the memory hierarchy.  Walk
 * caches are probed in parallel with the L2 TLB: no cycles of their own.
 *
 * Design keys: [tlb], [walkcache] (x86 or VMSA names), [memh]; see the
 * tables below and designs/default-*.ini for each default's source. */
#ifndef HVSIM_MMU_COST_H
#define HVSIM_MMU_COST_H
#include "core/cfg.h"
#include "core/stats.h"
#include "mmu/memh.h"
#include "mmu/mmu.h"
#include "mmu/pwc.h"
#include "mmu/tlb.h"

enum mmu_tlb_id { MMU_TLB_L1D, MMU_TLB_L1I, MMU_TLB_L2, MMU_NTLBS };

struct mmu_cost_counts {
	uint64_t lookups;             /* mmu_cost_lookup calls */
	uint64_t walks;               /* mmu_cost_walk calls */
	uint64_t faulted_walks;
	uint64_t refs_recorded;       /* references the walker recorded */
	uint64_t refs_issued;         /* of them, issued to memory */
	uint64_t walk_cycles;
	uint64_t lookup_cycles;       /* TLB hit and probe latencies */
	uint64_t pwc_probes[2][PWC_SLOTS], pwc_hits[2][PWC_SLOTS];
	uint64_t ntlb_probes, ntlb_hits;
};

struct mmu_caches {
	struct tlb tlb[MMU_NTLBS];
	struct pwc pwc;
	struct memh memh;
	uint64_t l1_hit_cycles, l2_hit_cycles;
	struct mmu_cost_counts n;
	struct hist *h_walk_cycles;   /* NULL until mmu_caches_register_stats */
};

/* Result of one lookup or walk */
struct mmu_cost {
	uint64_t cycles;
	int tlb_hit;                  /* lookup: MMU_TLB_L1D/L1I/L2 that hit, -1 on a miss */
	unsigned nissued;
	struct mmu_ref issued[MMU_MAX_REFS];   /* walk: the references issued, in order */
	unsigned served[MMU_MAX_REFS];         /* walk: memory level that served each (memh nlevels = memory) */
	unsigned skipped_pwc, skipped_ntlb;    /* walk: references dropped by each */
};

/* Geometry and latencies without a design file (tests, other models) */
struct mmu_caches_geom {
	struct tlb_geom tlb[MMU_NTLBS][TLB_MAX_ARRAYS];
	unsigned tlb_arrays[MMU_NTLBS];
	struct pwc_geom pwc;
	struct memh_level_geom memh[MEMH_MAX_LEVELS];
	unsigned memh_levels;
	uint64_t mem_cycles, l1_hit_cycles, l2_hit_cycles;
	bool tlb_on, pwc_on, memh_on;
};
int mmu_caches_init_geom(struct mmu_caches *c, const struct mmu_caches_geom *g);
/* From a design: `vmsa` picks the walk-cache key names ([walkcache] l0..l2
 * for VMSA, pml5e..pde for x86).  -1 + err_set on a bad value
 * ("tlb.l2_4k_entries: 1000 is not a multiple of tlb.l2_4k_ways (12)"). */
int mmu_caches_init(struct mmu_caches *c, const struct cfg *cfg, bool vmsa);
void mmu_caches_free(struct mmu_caches *c);

/* The TLB side of one access.  Tags come from the regime's stages (0 for
 * an absent stage).  Returns the entry that hit (NULL on a miss). */
const struct tlb_entry *mmu_cost_lookup(struct mmu_caches *c, const struct mmu_regime *r,
					const struct mmu_access *a, struct mmu_cost *out);

/* Which of res's references were issued, their cycles, and the cache
 * fills (see the top of this file).  `global`: the leaf's G bit / !nG,
 * which struct mmu_result does not carry.  out->cycles is the walk alone
 * (add the lookup's). */
void mmu_cost_walk(struct mmu_caches *c, const struct mmu_regime *r, const struct mmu_access *a,
		   const struct mmu_result *res, bool global, struct mmu_cost *out);

/* Guest TLB maintenance: the TLBs and stage-1 walk caches (s), or the
 * stage-2 side: the nested TLB and stage-2 walk caches (TLB_BY_S2,
 * TLB_BY_ADDR of a GPA).  Stage-2 invalidation by VMID/VPID also drops the
 * TLB entries of that VMID/VPID (combined translations, SDM Vol. 3C
 * INVEPT/INVVPID; TLBI VMALLS12E1).  Returns the entries removed. */
unsigned mmu_caches_invalidate(struct mmu_caches *c, const struct tlb_scope *s);
unsigned mmu_caches_invalidate_s2(struct mmu_caches *c, const struct tlb_scope *s);

/* Called for every TLB entry the model drops (replacement or
 * invalidation), for every TLB level; the front end flushes its own copy. */
void mmu_caches_set_evict(struct mmu_caches *c, tlb_evict_fn fn, void *ctx);

/* Statistics under prefix ("vcpu.0.mmu"): a histogram of walk cycles now,
 * and mmu_caches_publish_stats copies the counters (call it at the end of a
 * run; it sets absolute values, so calling it twice is harmless). */
void mmu_caches_register_stats(struct mmu_caches *c, struct stats *st, const char *prefix);
void mmu_caches_publish_stats(const struct mmu_caches *c, struct stats *st, const char *prefix);

extern const struct cfg_key tlb_cfg_keys[];
extern const unsigned tlb_cfg_nkeys;
extern const struct cfg_key memh_cfg_keys[];
extern const unsigned memh_cfg_nkeys;
extern const struct cfg_key walkcache_x86_cfg_keys[];
extern const unsigned walkcache_x86_cfg_nkeys;
extern const struct cfg_key walkcache_vmsa_cfg_keys[];
extern const unsigned walkcache_vmsa_cfg_nkeys;

#endif
