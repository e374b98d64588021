/* Page-walk caches per level and stage, and the nested TLB.
 *
 * A page-walk cache (Intel's paging-structure caches, SDM Vol. 3A
 * 4.10.3; Arm's walk caches) at level L holds, for the input-address bits
 * above what one entry of a level-L table maps, the address of the next
 * table: a hit lets the walk skip every read at level L and above.  Only
 * entries that point to a further table are cached, never a leaf (SDM
 * 4.10.3.1: "no PDE-cache entry is created for a PDE that maps a page").
 * Entries carry the stage's tags: stage 1 the ASID/PCID and the VMID/VPID,
 * stage 2 the VMID/VPID.
 *
 * Levels are counted as `slots` so that x86 and VMSA share one numbering
 * (the last-level table is slot 4 in both; it is never a walk-cache level):
 *   x86 paging / EPT: PML5 = 0, PML4 = 1, PDPT = 2, PD = 3, PT = 4
 *   VMSAv8-64:        L-1 = 0, L0 = 1,   L1 = 2,   L2 = 3, L3 = 4
 * An entry of a slot-s table maps 1 << (g + (g - 3) * (4 - s)) bytes for
 * granule 1 << g (x86: g = 12).
 *
 * Under a stage 2 a stage-1 entry may hold the host-physical address of the
 * next table (Intel's combined paging-structure-cache entries, SDM Vol. 3C
 * "Information That May Be Cached", 29.4.1 in recent editions: "the physical address of the paging structure"), so a hit also
 * skips the stage-2 translation of that table: `s1_holds_pa`.
 *
 * The nested TLB caches stage-2 translations GPA -> PA by page, tagged
 * with the VMID/VPID (Intel's guest-physical mappings, same section; Arm's
 * IPA caches): a hit skips a whole stage-2 walk. */
#ifndef HVSIM_MMU_PWC_H
#define HVSIM_MMU_PWC_H
#include "mmu/mmu.h"
#include "mmu/tlb.h"

#define PWC_SLOTS 4     /* slots 0..3 can be cached; slot 4 is the last level */

struct pwc {
	struct tlb s1[PWC_SLOTS], s2[PWC_SLOTS];
	struct tlb ntlb;
	bool s1_holds_pa;
};

/* Slot of a table level as the format numbers it; -1 if out of range */
int pwc_slot(enum mmu_format fmt, int level);
/* log2 of what one entry of a slot's table maps (the page size for a leaf) */
unsigned pwc_entry_shift(const struct mmu_stage *st, unsigned slot);

/* Geometry: per stage (0: stage 1, 1: stage 2) and slot, and the nested
 * TLB's arrays (its entries are stage-2 pages of any class). */
struct pwc_geom {
	struct tlb_geom lvl[2][PWC_SLOTS];
	struct tlb_geom ntlb[TLB_MAX_ARRAYS];
	unsigned ntlb_arrays;
	bool s1_holds_pa;
};
int pwc_init(struct pwc *p, const struct pwc_geom *g);
void pwc_free(struct pwc *p);

/* Invalidation, returning the entries removed.  Stage-1 walk caches take
 * the TLB scopes, except that TLB_NONGLOBAL spares nothing (the G bit is
 * only in leaves, SDM Vol. 3A 4.10.3.1).  Stage-2 walk caches and the
 * nested TLB: TLB_BY_S2 (the VMID/VPID) and TLB_BY_ADDR (a GPA: TLBI
 * IPAS2E1) apply, the other criteria are ignored. */
unsigned pwc_invalidate_s1(struct pwc *p, const struct tlb_scope *s);
unsigned pwc_invalidate_s2(struct pwc *p, const struct tlb_scope *s);

#endif
