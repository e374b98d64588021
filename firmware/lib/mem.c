/* Memory-guest support.  See mem.h. */
#include "mem.h"

extern char __image_end[];   /* link.ld */

#if defined(__aarch64__)
#define RAM_BASE HVSIM_VIRT_RAM_BASE
#else
#define RAM_BASE HVSIM_PC_RAM_BASE
#endif
#define SZ_2M (1ULL << 21)

uint64_t mem_arg(unsigned i, uint64_t def)
{
    uint64_t v = hv_arg(i);
    return v ? v : def;
}

static const char *leaf_name(unsigned shift)
{
    return shift == MMU_SHIFT_1G ? "1G" : shift == MMU_SHIFT_2M ? "2M" : "4K";
}

static int leaf_shift_of(uint64_t bytes)
{
    switch (bytes) {
    case 1ULL << MMU_SHIFT_4K: return MMU_SHIFT_4K;
    case 1ULL << MMU_SHIFT_2M: return MMU_SHIFT_2M;
    case 1ULL << MMU_SHIFT_1G: return MMU_SHIFT_1G;
    }
    return -1;
}

/* Devices: ARM's are all below RAM (GIC, PL011: QEMU virt's first GiB),
 * one Device block; x86's console is port I/O, nothing to map. */
static int map_devices(struct mmu *m)
{
#if defined(__aarch64__)
    return mmu_map(m, 0, RAM_BASE, MMU_SHIFT_1G, MMU_DEVICE);
#else
    (void)m;
    return 0;
#endif
}

/* RAM end when the machine tells it (ARM: the DTB), else 0 (unknown). */
static uint64_t ram_end(void)
{
#if defined(__aarch64__)
    if (rt_fdt_err == FDT_OK && rt_fdt.mem_size)
        return rt_fdt.mem_base + rt_fdt.mem_size;
#endif
    return 0;
}

int mem_setup(struct mem_region *r, const char *name, uint64_t size, uint64_t leaf_bytes)
{
    int shift = leaf_shift_of(leaf_bytes);
    if (!size || size % MEM_PAGE || size > (1ULL << 40)) {
        printf("%s: footprint %lu is not a positive multiple of 4096 below 1 TiB\n", name, size);
        return 2;
    }
    if (shift < 0 || !mmu_leaf_supported((unsigned)shift)) {
        printf("%s: page size %lu is not 4K, 2M or 1G supported by this CPU\n", name, leaf_bytes);
        return 2;
    }
    /* Skip the 2 MiB above the image: hvsim's DTB lies there (read already). */
    uint64_t data = (((uint64_t)(uintptr_t)__image_end + SZ_2M - 1) & ~(SZ_2M - 1)) + SZ_2M;
    uint64_t end = data + size;
    uint64_t pool_size = mmu_pool_bytes(end - RAM_BASE, (unsigned)shift, 4) + 2 * 4096;
    uint64_t limit = ram_end();
    if (limit && end + pool_size > limit) {
        printf("%s: footprint %lu MiB and its tables need RAM up to 0x%lx, the machine has up to 0x%lx\n",
               name, size >> 20, end + pool_size, limit);
        return 2;
    }
    if (mmu_init(&r->mmu, end, pool_size, 48) < 0 || map_devices(&r->mmu) < 0 ||
        mmu_map(&r->mmu, RAM_BASE, end - RAM_BASE, (unsigned)shift, MMU_NORMAL) < 0) {
        printf("%s: cannot build the page tables\n", name);
        return 2;
    }
    mmu_enable(&r->mmu);
    r->words = (uint64_t *)(uintptr_t)data;
    r->size = size;
    r->leaf_shift = (unsigned)shift;
    printf("%s: footprint %lu KiB at 0x%lx, stage 1 %s pages: %lu tables (%lu KiB)\n", name, size >> 10,
           data, leaf_name((unsigned)shift), r->mmu.tables, r->mmu.tables * 4);
    return 0;
}

uint64_t mem_dirty_round(uint64_t round)
{
#if defined(RT_QEMU)
    (void)round;
    return MEM_NOT_LOGGED;
#elif defined(__aarch64__)
    uint64_t v = smccc_hvc(HVSIM_HC_A64_DIRTY_ROUND, round, 0, 0);
    return v == (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED ? MEM_NOT_LOGGED : v;
#else
    uint64_t v = vmcall(HVSIM_HC_X86_DIRTY_ROUND, round, 0, 0, 0);
    return v == (uint64_t)-1000 ? MEM_NOT_LOGGED : v;
#endif
}
