/* VMSAv8-64 translation table descriptors, stage 1 (EL1&0) and stage 2
 * (Arm ARM DDI 0487, D8.3 "Translation table descriptor formats"), the
 * granules and their levels (D8.2), the fault status codes of an abort's
 * ISS (D19.2 ESR_ELx, DFSC/IFSC) and HPFAR_EL2.
 *
 * Granules: 4K (granule_shift 12, 9 index bits a level, levels -1..3),
 * 16K (14, 11 bits, levels 0..3), 64K (16, 13 bits, levels 1..3).  A table
 * at level L resolves VA bits [shift(L) + stride - 1 : shift(L)] with
 * shift(L) = granule_shift + stride * (3 - L).  Blocks: 4K at level 1 (1 GiB)
 * and 2 (2 MiB); 16K at level 2 (32 MiB); 64K at level 2 (512 MiB).  (The
 * level-0/level-1 blocks of FEAT_LPA/LPA2 and 52-bit output addresses are
 * not modelled: oa_bits above 48 count as 48.)
 *
 * Stage 1 derives its start level from the input size (64 - TnSZ); stage 2
 * takes it from VTCR_EL2.SL0 and may concatenate up to 16 start tables
 * (D8.2.7: the start table resolves 1 .. stride + 4 bits).
 *
 * Descriptor (bits 1:0 = 0b11 table or level-3 page, 0b01 block, x0 invalid):
 *
 *  63  62:61   60      59     58:55 54    53   52   51  50:48 47:n    11  10  9:8  7:6   5   4:2
 * +---+------+-------+-------+-----+----+----+----+---+-----+-------+---+---+----+-----+----+--------+
 * |NST|APTbl |UXNTbl |PXNTbl | SW  |UXN |PXN |Cont|DBM| res | OA    |nG |AF | SH | AP  | NS |AttrIndx| stage 1
 * |            ignored            | SW  | XN | -  |Cont|DBM| res | OA    | - |AF | SH |S2AP |MemAttr[3:0]| stage 2
 * +---+------+-------+-------+-----+----+----+----+---+-----+-------+---+---+----+-----+----+--------+
 * The table attributes (63:59) are those of a stage-1 table descriptor;
 * stage-2 table descriptors have none.  AP[2] (bit 7) = read-only, AP[1]
 * (bit 6) = EL0 access; S2AP[0] (bit 6) = read, S2AP[1] (bit 7) = write.
 * Levels as mmu_ref.level numbers them: -1 .. 3. */
#ifndef HVSIM_MMU_VMSA_H
#define HVSIM_MMU_VMSA_H
#include <stdbool.h>
#include <stdint.h>
#include "core/field.h"

FIELD(VMSAD, VALID, 0, 1)
FIELD(VMSAD, TYPE, 1, 1)       /* 1: table (levels < 3) or page (level 3); 0: block */
FIELD(VMSAD, ATTRINDX, 2, 3)   /* stage 1 */
FIELD(VMSAD, NS, 5, 1)         /* stage 1 */
FIELD(VMSAD, MEMATTR, 2, 4)    /* stage 2 */
FIELD(VMSAD, AP1, 6, 1)        /* stage 1 AP[1]: EL0 accessible */
FIELD(VMSAD, AP2, 7, 1)        /* stage 1 AP[2]: read-only */
FIELD(VMSAD, S2AP_R, 6, 1)
FIELD(VMSAD, S2AP_W, 7, 1)
FIELD(VMSAD, SH, 8, 2)
FIELD(VMSAD, AF, 10, 1)
FIELD(VMSAD, NG, 11, 1)
FIELD(VMSAD, DBM, 51, 1)
FIELD(VMSAD, CONT, 52, 1)
FIELD(VMSAD, PXN, 53, 1)       /* stage 1 */
FIELD(VMSAD, UXN, 54, 1)       /* stage 1 UXN; stage 2 XN */
FIELD(VMSAD, XN, 54, 1)
FIELD(VMSAD, PXNTABLE, 59, 1)
FIELD(VMSAD, UXNTABLE, 60, 1)
FIELD(VMSAD, APTABLE0, 61, 1)  /* no EL0 access below */
FIELD(VMSAD, APTABLE1, 62, 1)  /* read-only below */
FIELD(VMSAD, NSTABLE, 63, 1)

#define VMSA_OA_BITS_MAX 48u
#define VMSA_SH_INNER 3u
#define VMSA_S2_MEMATTR_WB 0xfu   /* Normal, Inner and Outer Write-Back */

static inline unsigned vmsa_stride(unsigned granule_shift) { return granule_shift - 3; }

/* log2 of the size a descriptor at `level` maps */
static inline unsigned vmsa_level_shift(unsigned granule_shift, int level)
{
	return granule_shift + vmsa_stride(granule_shift) * (unsigned)(3 - level);
}

static inline bool vmsa_granule_ok(unsigned granule_shift)
{
	return granule_shift == 12 || granule_shift == 14 || granule_shift == 16;
}

/* Stage 1: the start level for an input size (D8.2.7). */
static inline int vmsa_s1_start_level(unsigned granule_shift, unsigned ia_bits)
{
	unsigned stride = vmsa_stride(granule_shift);
	unsigned levels = (ia_bits - granule_shift + stride - 1) / stride;
	return 4 - (int)levels;
}

/* The lowest start level a granule allows (4K: -1 with FEAT_LPA2) */
static inline int vmsa_min_level(unsigned granule_shift)
{
	return granule_shift == 12 ? -1 : granule_shift == 14 ? 0 : 1;
}

/* Can a block descriptor appear at this level? */
static inline bool vmsa_block_ok(unsigned granule_shift, int level)
{
	return level == 2 || (level == 1 && granule_shift == 12);
}

static inline uint64_t vmsa_oa(uint64_t d, unsigned shift)
{
	return d & field_mask(shift, VMSA_OA_BITS_MAX - shift);
}

/* Fault status codes, ISS.DFSC/IFSC [5:0] (D19.2.45 ESR_EL1) */
enum {
	VMSA_FSC_ADDR_SIZE = 0x00,     /* + level 0..3; level -1: 0x29 */
	VMSA_FSC_TRANSLATION = 0x04,   /* + level 0..3; level -1: 0x2b */
	VMSA_FSC_ACCESS_FLAG = 0x08,   /* + level 0..3 */
	VMSA_FSC_PERMISSION = 0x0c,    /* + level 0..3 */
	VMSA_FSC_EXT_WALK = 0x14,      /* synchronous external abort on a walk, + level 0..3; level -1: 0x13 */
	VMSA_FSC_ADDR_SIZE_LM1 = 0x29,
	VMSA_FSC_TRANSLATION_LM1 = 0x2b,
	VMSA_FSC_EXT_WALK_LM1 = 0x13,
};

/* ISS of a data or instruction abort: the bits the walker fills */
FIELD(VMSA_ISS, FSC, 0, 6)
FIELD(VMSA_ISS, WNR, 6, 1)     /* data aborts only: a write (or a stage-1 descriptor update, with S1PTW) */
FIELD(VMSA_ISS, S1PTW, 7, 1)   /* stage-2 fault on a stage-1 translation table access */
FIELD(VMSA_ISS, CM, 8, 1)      /* cache maintenance: never set by the walker */

/* HPFAR_EL2 (D19.2.54): FIPA [43:4] = the faulting IPA [51:12] */
FIELD(HPFAR, FIPA, 4, 40)
static inline uint64_t vmsa_hpfar(uint64_t ipa)
{
	return FIELD_DP(0, HPFAR, FIPA, ipa >> 12);
}

#endif
