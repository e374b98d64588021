/* Identity-mapped translation tables built by the guest in its own RAM, and
 * the switch that turns them on: AArch64 stage 1 with the 4 KiB granule
 * (ARM DDI 0487 D8), x86-64 4-level paging (Intel SDM Vol. 3A 4.5).  Both
 * formats have 512 eight-byte entries per 4 KiB table, 9 address bits per
 * level; the generic part (lib/mmu.c) builds the tree, the architecture
 * (lib/<arch>/mmu.c) writes descriptors and the control registers.
 *
 * Identity only: Unicorn 2.0.1 requires every VA to be mapped as the same PA
 * (x86: it discards the translated address; ARM: the VA must lie in a mapped
 * range), so the tables map each address to itself. */
#ifndef RT_MMU_H
#define RT_MMU_H
#include "rt.h"

#define MMU_SHIFT_4K 12
#define MMU_SHIFT_2M 21
#define MMU_SHIFT_1G 30
#define MMU_TABLE_ENTRIES 512
#define MMU_OA_MASK 0x0000fffffffff000ULL   /* output address bits of a descriptor */

enum mmu_attr { MMU_NORMAL, MMU_DEVICE };

struct mmu {
    uint64_t root;            /* top-level table (TTBR0_EL1 / CR3) */
    unsigned levels;          /* 4: 48-bit VA; 3: 39-bit (ARM only) */
    uint64_t pool, pool_end;  /* where the next table goes, and the limit */
    uint64_t tables;          /* tables allocated, root included */
    uint64_t leaves;          /* leaf descriptors written */
};

/* Tables come from [pool, pool + size), 4 KiB aligned.  va_bits: 48 (both
 * architectures) or 39 (ARM).  Returns 0, or -1 if the pool is too small or
 * the arguments are wrong. */
int mmu_init(struct mmu *m, uint64_t pool, uint64_t size, unsigned va_bits);
/* Map [base, base + size) to itself with leaves of 1 << leaf_shift bytes
 * (MMU_SHIFT_4K, _2M or _1G); base and size are rounded out to the leaf.
 * Returns 0, or -1 (pool exhausted, overlap with a different leaf size). */
int mmu_map(struct mmu *m, uint64_t base, uint64_t size, unsigned leaf_shift, enum mmu_attr attr);
/* Bytes of tables needed to map `size` bytes with leaves of 1 << leaf_shift,
 * at most (an upper bound for sizing the pool). */
uint64_t mmu_pool_bytes(uint64_t size, unsigned leaf_shift, unsigned levels);
/* Load the root and turn translation on (ARM: MAIR/TCR/TTBR0/SCTLR.M,C,I;
 * x86: CR3, and CR4.PAE/CR0.PG if paging was off). */
void mmu_enable(const struct mmu *m);
/* x86: 1 GiB pages need CPUID.80000001H:EDX.Page1GB[26]; ARM always has
 * 1 GiB blocks with the 4 KiB granule. */
int mmu_leaf_supported(unsigned leaf_shift);

/* Architecture layer (lib/<arch>/mmu.c) */
uint64_t mmu_arch_table_desc(uint64_t table);
uint64_t mmu_arch_leaf_desc(uint64_t pa, unsigned shift, enum mmu_attr attr);
int mmu_arch_is_table(uint64_t desc);       /* a next-level table, not a leaf */
void mmu_arch_enable(const struct mmu *m);
#endif
