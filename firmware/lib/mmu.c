/* Table construction shared by both architectures.  See mmu.h. */
#include "mmu.h"

static uint64_t *table_at(uint64_t pa) { return (uint64_t *)(uintptr_t)pa; }

static uint64_t alloc_table(struct mmu *m)
{
    if (m->pool + 4096 > m->pool_end || m->pool + 4096 < m->pool)
        return 0;
    uint64_t t = m->pool;
    m->pool += 4096;
    memset(table_at(t), 0, 4096);
    m->tables++;
    return t;
}

int mmu_init(struct mmu *m, uint64_t pool, uint64_t size, unsigned va_bits)
{
    *m = (struct mmu){ 0 };
    if ((pool & 0xfff) || (va_bits != 48 && va_bits != 39))
        return -1;
#if defined(__x86_64__)
    if (va_bits != 48)
        return -1;      /* 4-level paging only */
#endif
    m->levels = va_bits == 48 ? 4 : 3;
    m->pool = pool;
    m->pool_end = pool + size;
    m->root = alloc_table(m);
    return m->root ? 0 : -1;
}

/* Shift of the address bits that index the top-level table. */
static unsigned top_shift(const struct mmu *m) { return MMU_SHIFT_4K + 9 * (m->levels - 1); }

static int map_one(struct mmu *m, uint64_t va, unsigned leaf_shift, enum mmu_attr attr)
{
    uint64_t table = m->root;
    for (unsigned shift = top_shift(m);; shift -= 9) {
        uint64_t *e = &table_at(table)[(va >> shift) & (MMU_TABLE_ENTRIES - 1)];
        if (shift == leaf_shift) {
            if (*e && mmu_arch_is_table(*e))
                return -1;      /* finer mappings already below */
            *e = mmu_arch_leaf_desc(va, shift, attr);
            m->leaves++;
            return 0;
        }
        if (!*e) {
            uint64_t t = alloc_table(m);
            if (!t)
                return -1;
            *e = mmu_arch_table_desc(t);
        } else if (!mmu_arch_is_table(*e)) {
            return -1;          /* a larger leaf already covers va */
        }
        table = *e & MMU_OA_MASK;
    }
}

int mmu_map(struct mmu *m, uint64_t base, uint64_t size, unsigned leaf_shift, enum mmu_attr attr)
{
    if (leaf_shift != MMU_SHIFT_4K && leaf_shift != MMU_SHIFT_2M && leaf_shift != MMU_SHIFT_1G)
        return -1;
    if (leaf_shift > top_shift(m) || !size)
        return -1;
    uint64_t leaf = 1ULL << leaf_shift;
    uint64_t va = base & ~(leaf - 1), end = (base + size + leaf - 1) & ~(leaf - 1);
    if (end <= va || end > (1ULL << (top_shift(m) + 9)))
        return -1;
    for (; va < end; va += leaf)
        if (map_one(m, va, leaf_shift, attr) < 0)
            return -1;
    return 0;
}

uint64_t mmu_pool_bytes(uint64_t size, unsigned leaf_shift, unsigned levels)
{
    /* Per level: the tables covering `size`, plus one at each end for a
     * range that straddles table boundaries. */
    uint64_t tables = 1;
    for (unsigned shift = MMU_SHIFT_4K + 9 * (levels - 1); shift > leaf_shift; shift -= 9)
        tables += (size >> shift) + 2;
    return tables * 4096;
}

void mmu_enable(const struct mmu *m)
{
    mmu_arch_enable(m);
}
