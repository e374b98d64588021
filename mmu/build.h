/* Building translation tables: for the modelled hypervisor (EPT and stage-2
 * tables in host memory) and for tests (guest stage-1 tables too).
 *
 * The builder writes descriptors through mem at the addresses alloc hands
 * out; for a guest's stage-1 tables these are GPAs, so give it a mem that
 * reaches guest memory by GPA.  It maps what it is asked and nothing else;
 * it never follows a descriptor it did not write except to reuse a table. */
#ifndef HVSIM_MMU_BUILD_H
#define HVSIM_MMU_BUILD_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/mmu.h"

/* size bytes of zeroed table memory aligned to size (size is a power of
 * two: a granule, or a concatenated stage-2 start table); false when none
 * is left. */
typedef bool (*mmu_alloc_fn)(void *ctx, uint64_t size, uint64_t *addr);

struct mmu_builder {
	const struct mmu_stage *st;   /* the format; st->root set from mmu_build_root */
	struct mmu_mem mem;
	mmu_alloc_fn alloc;
	void *alloc_ctx;
};

/* Default memory attributes: WB for EPT (6), Normal WB for stage 2
 * (MemAttr 0xf), AttrIndx 0 for stage 1, none (PAT 0) for x86 paging. */
#define MMU_ATTR_DEFAULT (-1)

/* Allocates the (possibly concatenated) start table; *root is the value for
 * mmu_stage.root.  -1 with err_set() on failure. */
int mmu_build_root(const struct mmu_builder *b, uint64_t *root);

/* Maps [ia, ia + size) onto [oa, oa + size) with leaves of 1 << page_shift
 * bytes (4K/2M/1G on x86 and EPT; the granule, and its block sizes, on
 * VMSA), granting perms (MMU_R/W/X/U/UX; for x86 R is implied) with memory
 * attribute attr (EPT memory type, VMSA AttrIndx or MemAttr, x86 PWT/PCD
 * bits 3-4; MMU_ATTR_DEFAULT).  Leaves are written accessed (A/AF set) and
 * not dirty.  -1 with err_set() on a misaligned range, a page size the
 * format has no leaf for, an input or output beyond the stage's sizes, a
 * larger leaf in the way, or no memory. */
int mmu_map(const struct mmu_builder *b, uint64_t ia, uint64_t oa, uint64_t size, unsigned page_shift,
	    unsigned perms, int attr);

/* The level whose descriptors map 1 << page_shift bytes; false if none does. */
bool mmu_leaf_level(const struct mmu_stage *st, unsigned page_shift, int *level);

/* Single descriptors: a table descriptor pointing at next (most permissive
 * attributes: permissions are given by leaves; x86 and EPT: accessed), and a
 * leaf at level. */
uint64_t mmu_enc_table(const struct mmu_stage *st, int level, uint64_t next);
uint64_t mmu_enc_leaf(const struct mmu_stage *st, int level, uint64_t oa, unsigned perms, int attr);

/* Where the descriptor for ia at level is, following the tables the root
 * leads to; false if a table above it is missing or a leaf maps ia above it. */
bool mmu_entry_addr(const struct mmu_builder *b, uint64_t ia, int level, uint64_t *addr);

#endif
