/* IA-32e paging entries, 4-level and 5-level paging (Intel SDM Vol. 3A
 * 4.5, tables 4-15 PML5E .. 4-20 PTE; #PF error code 4.7).
 *
 *  63  62:59 58:52 51:M    M-1:12     11:9  8   7   6  5   4   3   2   1  0
 * +--+-----+-----+------+-----------+-----+---+---+---+--+---+---+---+---+--+
 * |XD| PK  |ignor| rsvd | address   |ignor| G |PS | D |A |PCD|PWT|U/S|R/W|P |
 * +--+-----+-----+------+-----------+-----+---+---+---+--+---+---+---+---+--+
 *
 * M is MAXPHYADDR (mmu_stage.oa_bits).  PS (bit 7) maps a 1 GiB page in a
 * PDPTE and a 2 MiB page in a PDE; it is reserved in PML5Es and PML4Es
 * and is PAT in a PTE.  A large page keeps PAT at bit 12: its address
 * starts at bit 30 (1 GiB) or 21 (2 MiB) and the bits between 12 and the
 * address are reserved.  G, D and PK exist only in entries that map a page.
 * XD is reserved unless IA32_EFER.NXE (MMU_CTL_NXE).
 *
 * Levels, as mmu_ref.level numbers them: 5 PML5 (VA bits 56:48), 4 PML4
 * (47:39), 3 PDPT (38:30), 2 PD (29:21), 1 PT (20:12). */
#ifndef HVSIM_MMU_X86PT_H
#define HVSIM_MMU_X86PT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/field.h"

FIELD(X86PTE, P, 0, 1)
FIELD(X86PTE, RW, 1, 1)
FIELD(X86PTE, US, 2, 1)
FIELD(X86PTE, PWT, 3, 1)
FIELD(X86PTE, PCD, 4, 1)
FIELD(X86PTE, A, 5, 1)
FIELD(X86PTE, D, 6, 1)
FIELD(X86PTE, PS, 7, 1)        /* PAT in a PTE */
FIELD(X86PTE, G, 8, 1)
FIELD(X86PTE, PAT_LARGE, 12, 1)
FIELD(X86PTE, ADDR, 12, 40)    /* bits 51:12; those at and above M are reserved */
FIELD(X86PTE, PK, 59, 4)
FIELD(X86PTE, XD, 63, 1)

#define X86_LEVEL_SHIFT(level) (12u + 9u * ((unsigned)(level) - 1u))

/* #PF error code (SDM 4.7) */
FIELD(X86PFEC, P, 0, 1)        /* 0: not present; 1: protection or reserved bit */
FIELD(X86PFEC, WR, 1, 1)
FIELD(X86PFEC, US, 2, 1)
FIELD(X86PFEC, RSVD, 3, 1)
FIELD(X86PFEC, ID, 4, 1)       /* instruction fetch, reported only with SMEP or NXE */
FIELD(X86PFEC, PK, 5, 1)

/* Bits of an entry at `level` (1..5) that must be zero: 51:M, XD without
 * NXE, PS in a PML5E/PML4E, and those between PAT and the address of a
 * large page. */
static inline uint64_t x86pt_rsvd_mask(int level, bool leaf, unsigned maxphyaddr, bool nxe)
{
	uint64_t m = maxphyaddr < 52 ? field_mask(maxphyaddr, 52 - maxphyaddr) : 0;
	if (!nxe)
		m |= FIELD_MASK(X86PTE, XD);
	if (level >= 4)
		m |= FIELD_MASK(X86PTE, PS);
	if (leaf && level > 1)
		m |= field_mask(13, X86_LEVEL_SHIFT(level) - 13);
	return m;
}

/* The next table's or the page's base address */
static inline uint64_t x86pt_addr(uint64_t e, int level, bool leaf)
{
	unsigned lo = leaf ? X86_LEVEL_SHIFT(level) : 12;
	return e & field_mask(lo, 52 - lo);
}

static inline bool x86pt_is_leaf(uint64_t e, int level)
{
	return level == 1 || ((level == 2 || level == 3) && FIELD_EX(e, X86PTE, PS));
}

#endif
