/* Set-associative translation caches: the TLBs, and the same structure
 * reused for the page-walk caches and the nested TLB (mmu/pwc.h).
 *
 * A TLB is one or more arrays; each array holds one or more page-size
 * classes (TLB_PAGE: 4K/16K/64K pages, TLB_BLOCK2: 2M/32M/512M, TLB_BLOCK1:
 * 1G and larger), so both split designs (Skylake's L1 dTLB: one array per
 * size) and unified ones (Skylake's STLB: 4K and 2M in one array; an Arm
 * L2 TLB: every size) are a configuration.  An entry is tagged by the
 * stage-1 tag (ASID/PCID), the stage-2 tag (VMID/VPID) and the global bit;
 * a global entry matches any stage-1 tag (SDM Vol. 3A 4.10.1.4; Arm ARM
 * nG bit).
 *
 * Set index: (input address >> entry's page shift) modulo the number of
 * sets, so sets need not be a power of two (Skylake's STLB has 128, an
 * A76 L2 TLB 256).  An array holding several sizes is probed once per
 * page size it currently holds, smallest first (hardware probes each size
 * in parallel; the first match wins, a choice the SDM 4.10.1.3 leaves to
 * the implementation when two sizes overlap).
 *
 * Replacement, deterministic true LRU: every lookup hit and every fill
 * stamps the entry from a per-TLB counter; a fill takes the lowest-indexed
 * invalid way of the set, else the way with the smallest stamp.  Filling a
 * translation already present refreshes it in place (never two copies).
 *
 * The front end only sees misses of Unicorn's own TLB, so it must learn
 * when the modelled TLB drops a translation: every entry removed, by
 * replacement or invalidation, is reported through the `evict` callback.
 *
 * Model library layer: knows no CPU, no Unicorn, no trace format. */
#ifndef HVSIM_MMU_TLB_H
#define HVSIM_MMU_TLB_H
#include <stdbool.h>
#include <stdint.h>

enum tlb_class {
	TLB_PAGE,      /* 4K, 16K, 64K: a last-level page */
	TLB_BLOCK2,    /* 2M, 32M, 512M: one level up */
	TLB_BLOCK1,    /* 1G and larger */
	TLB_NCLASS
};
#define TLB_CLASS_BIT(c) (1u << (c))
#define TLB_ALL_CLASSES  7u
#define TLB_MAX_ARRAYS   4

/* Which class a mapping of 1 << shift bytes belongs to */
enum tlb_class tlb_class_of(unsigned shift);

struct tlb_entry {
	uint64_t vpn;           /* input address >> shift */
	uint64_t out;           /* output address of the page (PA, or the next table for a walk cache) */
	uint64_t stamp;         /* LRU: last use, larger is more recent */
	uint16_t s1tag, s2tag;  /* ASID/PCID, VMID/VPID */
	uint8_t shift;          /* log2 of the mapping's size */
	uint8_t perms;          /* MMU_R/W/X/U/UX */
	bool global;
	bool valid;
};

/* One array: sets x ways, holding the classes in `classes` (TLB_CLASS_BIT) */
struct tlb_geom {
	unsigned sets, ways;
	unsigned classes;
};

struct tlb_array {
	struct tlb_geom g;
	uint64_t shifts;        /* bit set of the page shifts held now: what to probe */
	struct tlb_entry *e;    /* sets * ways, set-major */
};

enum tlb_why { TLB_WHY_REPLACED, TLB_WHY_INVALIDATED };

struct tlb;
typedef void (*tlb_evict_fn)(void *ctx, const struct tlb *t, const struct tlb_entry *e, enum tlb_why why);

struct tlb_stats {
	uint64_t lookups, hits, fills, replaced, invalidated;
};

struct tlb {
	const char *name;       /* for statistics ("l1d", "stlb", "pwc.s1.pde") */
	bool enabled;           /* off: every lookup misses, fills do nothing */
	unsigned narrays;
	struct tlb_array a[TLB_MAX_ARRAYS];
	uint64_t clock;         /* LRU stamp source */
	tlb_evict_fn evict;     /* optional */
	void *evict_ctx;
	struct tlb_stats st;
};

/* Arrays with no sets or no ways are left out; a TLB with none is off.
 * Returns -1 (err_set) when allocation fails. */
int tlb_init(struct tlb *t, const char *name, const struct tlb_geom *arrays, unsigned narrays);
void tlb_free(struct tlb *t);

/* The entry translating `ia` for these tags, or NULL (counted as a miss).
 * A hit refreshes the entry's LRU stamp. */
const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t ia, uint16_t s1tag, uint16_t s2tag);
/* Lookup without side effects (no stamp, no statistics) */
const struct tlb_entry *tlb_probe(const struct tlb *t, uint64_t ia, uint16_t s1tag, uint16_t s2tag);

/* Inserts a translation of the 1 << shift bytes containing ia.  Goes into
 * the first array that holds its class (none: not cached, returns false).
 * A valid entry it displaces is reported to the evict callback and copied
 * to *victim when victim is not NULL (victim->valid false otherwise). */
bool tlb_fill(struct tlb *t, const struct tlb_entry *e, struct tlb_entry *victim);

/* Invalidation scope: an entry is removed when it matches every criterion
 * given in `by`:
 *   TLB_BY_S2   its stage-2 tag is s2tag (VMID/VPID);
 *   TLB_BY_S1   it is global or its stage-1 tag is s1tag (ASID/PCID);
 *   TLB_BY_ADDR its page contains addr;
 *   TLB_NONGLOBAL it is not global.
 * No criterion: everything.  Examples: TLBI VMALLE1 = S2; TLBI ASIDE1 =
 * S2|S1|NONGLOBAL; TLBI VAE1 = S2|S1|ADDR (global entries of the VA go too:
 * Arm ARM, TLBI VAE1); TLBI VAAE1 = S2|ADDR; INVLPG = S2|S1|ADDR (SDM Vol. 3A
 * 4.10.4.1: global translations too); MOV to CR3 with CR4.PCIDE=0 = S2|
 * NONGLOBAL; INVPCID type 0 = S2|S1|ADDR|NONGLOBAL, type 1 = S2|S1|NONGLOBAL,
 * type 2 = S2, type 3 = S2|NONGLOBAL (SDM Vol. 2 INVPCID). */
#define TLB_BY_S2      1u
#define TLB_BY_S1      2u
#define TLB_BY_ADDR    4u
#define TLB_NONGLOBAL  8u
struct tlb_scope {
	unsigned by;
	uint16_t s1tag, s2tag;
	uint64_t addr;
};
/* Returns the number of entries removed (each reported to evict). */
unsigned tlb_invalidate(struct tlb *t, const struct tlb_scope *s);
unsigned tlb_invalidate_all(struct tlb *t);

/* Valid entries held (for tests and statistics) */
unsigned tlb_count(const struct tlb *t);

#endif
