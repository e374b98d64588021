/* x86-64 4-level paging structures and enable.  Intel SDM Vol. 3A 4.5
 * (Tables 4-15 to 4-20: PML4E, PDPTE, PDE, PTE formats). */
#include "mmu.h"

#define PTE_P   (1ULL << 0)     /* present */
#define PTE_RW  (1ULL << 1)     /* writable */
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)     /* with PWT: uncached (PAT entry 3) for devices */
#define PTE_PS  (1ULL << 7)     /* PDPTE/PDE: maps a 1 GiB / 2 MiB page */

#define CR0_PG  (1ULL << 31)
#define CR4_PAE (1ULL << 5)

uint64_t mmu_arch_table_desc(uint64_t table)
{
    return table | PTE_RW | PTE_P;
}

uint64_t mmu_arch_leaf_desc(uint64_t pa, unsigned shift, enum mmu_attr attr)
{
    uint64_t d = pa | PTE_RW | PTE_P;
    if (shift != MMU_SHIFT_4K)
        d |= PTE_PS;
    if (attr == MMU_DEVICE)
        d |= PTE_PCD | PTE_PWT;
    return d;
}

int mmu_arch_is_table(uint64_t desc)
{
    return (desc & PTE_P) && !(desc & PTE_PS);
}

int mmu_leaf_supported(unsigned leaf_shift)
{
    if (leaf_shift != MMU_SHIFT_1G)
        return leaf_shift == MMU_SHIFT_4K || leaf_shift == MMU_SHIFT_2M;
    struct cpuid_regs r;
    cpuid(0x80000000, 0, &r);
    if (r.eax < 0x80000001)
        return 0;
    cpuid(0x80000001, 0, &r);
    return (r.edx >> 26) & 1;   /* Page1GB (SDM Vol. 2A CPUID) */
}

#define READ_CR(n) ({ uint64_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n : : "r"((uint64_t)(v)) : "memory")

void mmu_arch_enable(const struct mmu *m)
{
    if (READ_CR(0) & CR0_PG) {          /* RT_QEMU: paging is on already */
        WRITE_CR(3, m->root);
        return;
    }
    /* hvsim starts in 64-bit mode with paging off: PAE, then the root,
     * then paging (SDM Vol. 3A 9.8.5 order). */
    WRITE_CR(4, READ_CR(4) | CR4_PAE);
    WRITE_CR(3, m->root);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
}
