/* AArch64 stage-1 descriptors and MMU enable, 4 KiB granule, EL1&0 regime
 * through TTBR0_EL1 only.  ARM DDI 0487 D8 (VMSAv8-64 translation). */
#include "mmu.h"

/* MAIR_EL1 (D19.2): Attr0 Normal, Inner/Outer Write-Back non-transient,
 * read/write-allocate; Attr1 Device-nGnRE. */
#define MAIR_NORMAL_IDX 0
#define MAIR_DEVICE_IDX 1
#define MAIR_VALUE      (0xffULL | 0x04ULL << 8)

/* Descriptor bits (D8.3): valid, table/page, AttrIndx[4:2], AP[7:6] = 00
 * (EL1 read/write), SH[9:8], AF[10], PXN[53], UXN[54]. */
#define DESC_VALID  (1ULL << 0)
#define DESC_TABLE  (1ULL << 1)     /* table (levels 0-2) or page (level 3) */
#define DESC_ATTR(i) ((uint64_t)(i) << 2)
#define DESC_SH_IS  (3ULL << 8)
#define DESC_AF     (1ULL << 10)
#define DESC_PXN    (1ULL << 53)
#define DESC_UXN    (1ULL << 54)

/* TCR_EL1 (D19.2): T0SZ[5:0], IRGN0[9:8] = ORGN0[11:10] = 01 (WB RA WA),
 * SH0[13:12] = 11, TG0[15:14] = 00 (4 KiB), EPD1[23] (no TTBR1 walks),
 * IPS[34:32] = 010 (40-bit, the machines' IPA size). */
#define TCR_IRGN0_WBWA (1ULL << 8)
#define TCR_ORGN0_WBWA (1ULL << 10)
#define TCR_SH0_IS     (3ULL << 12)
#define TCR_EPD1       (1ULL << 23)
#define TCR_IPS_40     (2ULL << 32)

/* SCTLR_EL1 (D19.2): M[0] MMU, C[2] data cache, I[12] instruction cache. */
#define SCTLR_M (1ULL << 0)
#define SCTLR_C (1ULL << 2)
#define SCTLR_I (1ULL << 12)

uint64_t mmu_arch_table_desc(uint64_t table)
{
    return table | DESC_TABLE | DESC_VALID;
}

uint64_t mmu_arch_leaf_desc(uint64_t pa, unsigned shift, enum mmu_attr attr)
{
    uint64_t d = pa | DESC_AF | DESC_VALID;
    if (shift == MMU_SHIFT_4K)
        d |= DESC_TABLE;            /* level 3: "page", same encoding as table */
    if (attr == MMU_DEVICE)
        d |= DESC_ATTR(MAIR_DEVICE_IDX) | DESC_PXN | DESC_UXN;
    else
        d |= DESC_ATTR(MAIR_NORMAL_IDX) | DESC_SH_IS;
    return d;
}

/* Only called for levels above the leaf, where bit 1 tells table from block. */
int mmu_arch_is_table(uint64_t desc)
{
    return (desc & (DESC_TABLE | DESC_VALID)) == (DESC_TABLE | DESC_VALID);
}

int mmu_leaf_supported(unsigned leaf_shift)
{
    return leaf_shift == MMU_SHIFT_4K || leaf_shift == MMU_SHIFT_2M || leaf_shift == MMU_SHIFT_1G;
}

void mmu_arch_enable(const struct mmu *m)
{
    uint64_t t0sz = 64 - (m->levels == 4 ? 48 : 39);
    write_sysreg(mair_el1, MAIR_VALUE);
    write_sysreg(tcr_el1, t0sz | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_IS | TCR_EPD1 | TCR_IPS_40);
    write_sysreg(ttbr0_el1, m->root);
    /* Tables written with the MMU off must be visible to the walker, and
     * no stale translation may survive (D8.13 TLB maintenance). */
    __asm__ volatile("dsb sy; isb; tlbi vmalle1; dsb ish; isb" ::: "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I);
    __asm__ volatile("isb" ::: "memory");
}
