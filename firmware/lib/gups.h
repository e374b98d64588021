/* GUPS (HPC Challenge RandomAccess, Luszczek et al. 2006) for the memory-
 * virtualization experiments, shared by arm64/gups.c and x86/gups.c.
 *
 * A table of FOOTPRINT bytes holds t[i] = i; each update draws x from
 * xorshift64 (Marsaglia 2003, fixed seed) and does t[x mod words] ^= x, a
 * random read-modify-write.  The checksum hashes the whole table after one
 * pass of UPDATES; a second identical pass XORs every update out again, and
 * the classic GUPS verification counts words that are not back to t[i] = i.
 * Parameters (design keys, hvsim-abi.h; QEMU builds use the defaults):
 *   guest.arg0  footprint in bytes (default 64M)
 *   guest.arg1  updates per pass (default 1M)
 *   guest.arg2  stage-1 page size of the guest's own tables: 4K (default), 2M, 1G
 * Output: the checksum and error count (the same under hvsim and QEMU for
 * the same footprint and updates) and, under hvsim, the simulated cycles of
 * the first update pass.  Exit status 0 when verification finds no error,
 * 1 otherwise, 2 for bad parameters. */
#ifndef GUPS_H
#define GUPS_H
#include "mem.h"

#define GUPS_SEED 0x2545f4914f6cdd1dULL
#ifndef GUPS_FOOTPRINT                  /* defaults: -D overrides them (QEMU builds) */
#define GUPS_FOOTPRINT (64ULL << 20)
#endif
#ifndef GUPS_UPDATES
#define GUPS_UPDATES (1ULL << 20)
#endif

/* Index in [0, words) from the high half of x * words: no division, any
 * table size, every index equally likely to within 2^-64. */
static inline uint64_t gups_index(uint64_t x, uint64_t words)
{
    return (uint64_t)(((unsigned __int128)x * words) >> 64);
}

static uint64_t gups_pass(uint64_t *t, uint64_t words, uint64_t updates)
{
    uint64_t x = GUPS_SEED;
    for (uint64_t i = 0; i < updates; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t[gups_index(x, words)] ^= x;
    }
    return x;
}

static int gups_main(void)
{
    struct mem_region r;
    uint64_t updates = mem_arg(1, GUPS_UPDATES);
    int rc = mem_setup(&r, "gups", mem_arg(0, GUPS_FOOTPRINT), mem_arg(2, MEM_PAGE));
    if (rc)
        return rc;
    uint64_t *t = r.words, words = r.size / 8;
    for (uint64_t i = 0; i < words; i++)
        t[i] = i;
    printf("gups: %lu updates over %lu words\n", updates, words);
#ifndef RT_QEMU
    uint64_t c0 = hv_cycles();
#endif
    gups_pass(t, words, updates);
#ifndef RT_QEMU
    uint64_t c1 = hv_cycles();
#endif
    uint64_t h = MEM_HASH_INIT;
    for (uint64_t i = 0; i < words; i++)
        h = mem_hash(h, t[i]);
    printf("gups: checksum 0x%016lx\n", h);
    gups_pass(t, words, updates);
    uint64_t errors = 0;
    for (uint64_t i = 0; i < words; i++)
        errors += t[i] != i;
    printf("gups: verification %lu errors\n", errors);
#ifndef RT_QEMU
    printf("gups: update cycles %lu\n", c1 - c0);
#endif
    return errors ? 1 : 0;
}
#endif
