/* Shared by the memory-virtualization guests (gups, dirty): parameters,
 * the data region above the image, identity page tables over it, and the
 * dirty-logging round marker. */
#ifndef RT_MEM_H
#define RT_MEM_H
#include "mmu.h"

/* The marker between dirty-logging rounds: a hypercall telling the
 * hypervisor that a round ended (it harvests and clears its dirty log, as
 * KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG do for a migration pass) and
 * returning the pages it found dirty since the previous marker (numbers as
 * platform/hvsim-abi.h defines them). */
#define HVSIM_HC_A64_DIRTY_ROUND 0xC6000004U   /* x1 = round; x0 <- pages logged */
#define HVSIM_HC_X86_DIRTY_ROUND 0x48560004U   /* rbx = round; rax <- pages logged */
#define MEM_NOT_LOGGED (~0ULL)                  /* no dirty log (older hvsim, QEMU) */

#define MEM_PAGE 4096ULL

struct mem_region {
    uint64_t *words;          /* the footprint, identity-mapped */
    uint64_t size;            /* bytes, a multiple of MEM_PAGE */
    unsigned leaf_shift;      /* stage-1 leaf size of the guest's own tables */
    struct mmu mmu;
};

/* guest.arg<i>, or def when it is 0 (unset). */
uint64_t mem_arg(unsigned i, uint64_t def);
/* Places `size` bytes above the image (and above the DTB's 2 MiB on ARM),
 * maps RAM up to its end with leaf_bytes pages (4K, 2M or 1G), the devices as
 * Device memory, turns the MMU on and prints one line about it.  Returns 0,
 * or an exit status (2) after printing why. */
int mem_setup(struct mem_region *r, const char *name, uint64_t size, uint64_t leaf_bytes);
/* Dirty-logging round marker (see above); MEM_NOT_LOGGED when unsupported. */
uint64_t mem_dirty_round(uint64_t round);

/* 64-bit FNV-1a step over a whole word (Fowler/Noll/Vo): order-sensitive, so
 * a value in the wrong place changes the checksum. */
static inline uint64_t mem_hash(uint64_t h, uint64_t w)
{
    return (h ^ w) * 0x100000001b3ULL;
}
#define MEM_HASH_INIT 0xcbf29ce484222325ULL
#endif
