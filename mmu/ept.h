/* Extended page tables (Intel SDM Vol. 3C 29.3): the EPT pointer, EPT
 * paging-structure entries, memory types, the misconfiguration conditions
 * (29.3.3.1) and the EPT-violation exit qualification (Table 28-7).
 *
 * EPTP (24.6.11):
 *   63:M rsvd | M-1:12 PML4/PML5 address | 11:8 rsvd | 7 SSS | 6 A/D enable
 *   | 5:3 page-walk length - 1 | 2:0 memory type of the walk (0 UC, 6 WB)
 *
 * Entry:
 *  63   62:52  51:M   M-1:12     11  10   9   8   7    6   5:3  2   1   0
 * +---+------+------+----------+---+----+---+---+---+----+----+---+---+---+
 * |SVE|ignor | rsvd | address  |ig |XU  | D | A |PS |IPAT| MT | X | W | R |
 * +---+------+------+----------+---+----+---+---+---+----+----+---+---+---+
 *
 * R/W/X are the permissions; an entry with all three clear is not present.
 * PS (bit 7) maps a 1 GiB page in a PDPTE or 2 MiB in a PDE; MT and IPAT
 * exist only in an entry that maps a page, and in the others bits 7:3 are
 * reserved.  A and D are the EPTP[6] accessed and dirty flags (29.3.5);
 * XU is user-mode execute under mode-based execute control (not modelled:
 * X gives execute permission to every mode).  Levels as in x86pt.h: 5 PML5
 * .. 1 PT. */
#ifndef HVSIM_MMU_EPT_H
#define HVSIM_MMU_EPT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/field.h"

FIELD(EPTP, MT, 0, 3)
FIELD(EPTP, PWL, 3, 3)         /* page-walk length - 1: 3 (4 levels) or 4 (5 levels) */
FIELD(EPTP, AD, 6, 1)
FIELD(EPTP, ADDR, 12, 40)

FIELD(EPTE, R, 0, 1)
FIELD(EPTE, W, 1, 1)
FIELD(EPTE, X, 2, 1)
FIELD(EPTE, RWX, 0, 3)
FIELD(EPTE, MT, 3, 3)
FIELD(EPTE, IPAT, 6, 1)
FIELD(EPTE, PS, 7, 1)
FIELD(EPTE, A, 8, 1)
FIELD(EPTE, D, 9, 1)
FIELD(EPTE, XU, 10, 1)
FIELD(EPTE, ADDR, 12, 40)
FIELD(EPTE, SVE, 63, 1)

/* Memory types (SDM 11.3, 29.3.7) */
enum ept_mt { EPT_MT_UC = 0, EPT_MT_WC = 1, EPT_MT_WT = 4, EPT_MT_WP = 5, EPT_MT_WB = 6 };

static inline bool ept_mt_valid(unsigned mt)
{
	return mt == EPT_MT_UC || mt == EPT_MT_WC || mt == EPT_MT_WT || mt == EPT_MT_WP || mt == EPT_MT_WB;
}

/* EPT-violation exit qualification (SDM Table 28-7) */
FIELD(EPTQ, READ, 0, 1)
FIELD(EPTQ, WRITE, 1, 1)
FIELD(EPTQ, FETCH, 2, 1)
FIELD(EPTQ, RWX, 3, 3)         /* readable, writable, executable: R/W/X ANDed over the entries walked */
FIELD(EPTQ, GLA_VALID, 7, 1)   /* the guest-linear address field is valid */
FIELD(EPTQ, GLA_XLAT, 8, 1)    /* 1: access to the final translation; 0: to a guest paging-structure entry */

static inline uint64_t ept_eptp(uint64_t root, unsigned levels, bool ad)
{
	uint64_t e = FIELD_DP(0, EPTP, MT, EPT_MT_WB);
	e = FIELD_DP(e, EPTP, PWL, levels - 1);
	e = FIELD_DP(e, EPTP, AD, ad);
	return e | (root & FIELD_MASK(EPTP, ADDR));
}

static inline bool ept_is_leaf(uint64_t e, int level)
{
	return level == 1 || ((level == 2 || level == 3) && FIELD_EX(e, EPTE, PS));
}

/* Misconfiguration of a present entry (SDM 29.3.3.1): write without read,
 * execute-only without support for it, a reserved bit (51:M; bits 7:3 of an
 * entry that references a table, PS in a PML5E/PML4E; those between 12 and
 * the address of a large page), or a leaf memory type of 2, 3 or 7. */
static inline bool ept_misconfig(uint64_t e, int level, bool leaf, unsigned maxphyaddr, bool xo)
{
	unsigned rwx = (unsigned)FIELD_EX(e, EPTE, RWX);
	if ((rwx & 3) == 2 || (rwx == 4 && !xo))
		return true;
	uint64_t m = maxphyaddr < 52 ? field_mask(maxphyaddr, 52 - maxphyaddr) : 0;
	if (!leaf)
		m |= field_mask(3, 5);
	else if (level > 1)
		m |= field_mask(12, 12u + 9u * ((unsigned)level - 1u) - 12u);
	if (e & m)
		return true;
	return leaf && !ept_mt_valid((unsigned)FIELD_EX(e, EPTE, MT));
}

#endif
