/* Page-dirtying loop for the dirty-logging experiments, shared by
 * arm64/dirty.c and x86/dirty.c.
 *
 * A warm-up pass writes every page of FOOTPRINT once (so first-touch costs
 * stay out of the rounds); then a round marker (mem.h) and ROUNDS rounds,
 * each writing STORES words in every 4 KiB page and ending with a marker.
 * Only the first store to a page in a round can be a write-protection fault
 * or a PML entry: the others show what a logging method costs per store.
 * The per-round lines come after the last marker, so the console's own
 * stores do not add to the logged pages.  The final values are verified and
 * hashed (the checksum is the same under hvsim and QEMU).
 * Parameters (design keys, hvsim-abi.h; QEMU builds use the defaults):
 *   guest.arg0  footprint in bytes (default 16M)
 *   guest.arg1  rounds (default 4, at most DIRTY_MAX_ROUNDS)
 *   guest.arg2  stage-1 page size: 4K (default), 2M, 1G
 *   guest.arg3  stores per page per round (default 1, at most 512)
 * Exit status 0 when every word holds its last round's value, 1 otherwise,
 * 2 for bad parameters. */
#ifndef DIRTY_H
#define DIRTY_H
#include "mem.h"

#define DIRTY_MAX_ROUNDS 64
#ifndef DIRTY_FOOTPRINT                 /* defaults: -D overrides them (QEMU builds) */
#define DIRTY_FOOTPRINT (16ULL << 20)
#endif
#ifndef DIRTY_ROUNDS
#define DIRTY_ROUNDS 4
#endif
#ifndef DIRTY_STORES
#define DIRTY_STORES 1
#endif
#define DIRTY_WORDS_PER_PAGE (MEM_PAGE / 8)

static inline uint64_t dirty_value(uint64_t round, uint64_t page, uint64_t store)
{
    return (round + 1) * 0x9e3779b97f4a7c15ULL ^ page << 12 ^ store;
}

static void dirty_round(uint64_t *w, uint64_t pages, uint64_t stores, uint64_t round)
{
    uint64_t step = DIRTY_WORDS_PER_PAGE / stores;
    for (uint64_t p = 0; p < pages; p++)
        for (uint64_t s = 0; s < stores; s++)
            w[p * DIRTY_WORDS_PER_PAGE + s * step] = dirty_value(round, p, s);
}

static int dirty_main(void)
{
    struct mem_region r;
    uint64_t rounds = mem_arg(1, DIRTY_ROUNDS), stores = mem_arg(3, DIRTY_STORES);
    static uint64_t logged[DIRTY_MAX_ROUNDS + 1];   /* .bss: written only at the markers */
    if (rounds > DIRTY_MAX_ROUNDS || stores > DIRTY_WORDS_PER_PAGE) {
        printf("dirty: rounds %lu (at most %u) or stores %lu (at most %llu) out of range\n", rounds,
               DIRTY_MAX_ROUNDS, stores, DIRTY_WORDS_PER_PAGE);
        return 2;
    }
    int rc = mem_setup(&r, "dirty", mem_arg(0, DIRTY_FOOTPRINT), mem_arg(2, MEM_PAGE));
    if (rc)
        return rc;
    uint64_t pages = r.size / MEM_PAGE;
    printf("dirty: %lu rounds over %lu pages, %lu stores per page\n", rounds, pages, stores);
    dirty_round(r.words, pages, 1, 0);              /* warm-up: round 0 */
    logged[0] = mem_dirty_round(0);
    for (uint64_t k = 1; k <= rounds; k++) {
        dirty_round(r.words, pages, stores, k);
        logged[k] = mem_dirty_round(k);
    }
    for (uint64_t k = 1; k <= rounds; k++) {
        printf("dirty: round %lu: %lu pages written", k, pages);
        if (logged[k] != MEM_NOT_LOGGED)
            printf(", %lu logged by the hypervisor", logged[k]);
        printf("\n");
    }
    uint64_t h = MEM_HASH_INIT, errors = 0, step = DIRTY_WORDS_PER_PAGE / stores;
    for (uint64_t p = 0; p < pages; p++)
        for (uint64_t s = 0; s < stores; s++) {
            uint64_t v = r.words[p * DIRTY_WORDS_PER_PAGE + s * step];
            errors += v != dirty_value(rounds, p, s);
            h = mem_hash(h, v);
        }
    printf("dirty: checksum 0x%016lx\n", h);
    printf("dirty: verification %lu errors\n", errors);
    return errors ? 1 : 0;
}
#endif
