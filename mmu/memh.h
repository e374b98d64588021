/* A simple memory hierarchy for the references page walks issue.
 *
 * N cache levels, each sets x ways of lines, with a load-to-use hit latency
 * (the whole latency of a load served by that level, not an increment),
 * then memory.  Each reference (a host-physical address) looks the levels
 * up in order; the first that holds the line serves it, and the line is
 * then filled into every level above (inclusive fill, LRU as in tlb.h:
 * lowest invalid way, else the smallest stamp).  A walk's references are
 * serially dependent loads, so a walk costs the sum of their latencies.
 *
 * Only walk references go through it: the guest's own data accesses do not
 * displace lines here, so walk references hit more often than on hardware
 * (an optimistic bound; see docs/architecture.md).  Switched off, every
 * reference costs the memory latency. */
#ifndef HVSIM_MMU_MEMH_H
#define HVSIM_MMU_MEMH_H
#include <stdbool.h>
#include <stdint.h>

#define MEMH_MAX_LEVELS 4

struct memh_level_geom {
	unsigned sets, ways;
	unsigned line_shift;      /* log2 line size */
	uint64_t hit_cycles;
};

struct memh_level {
	struct memh_level_geom g;
	uint64_t *tag;            /* sets * ways: line number + 1; 0 = invalid (calloc: untouched pages stay unmapped) */
	uint64_t *stamp;
	uint64_t hits, misses;
};

struct memh {
	bool enabled;
	unsigned nlevels;
	struct memh_level lv[MEMH_MAX_LEVELS];
	uint64_t mem_cycles;
	uint64_t mem_accesses;
	uint64_t clock;
};

/* -1 (err_set) on a level with no sets or ways or on allocation failure */
int memh_init(struct memh *m, const struct memh_level_geom *levels, unsigned nlevels, uint64_t mem_cycles);
void memh_free(struct memh *m);

/* One reference: its latency in cycles.  *served (if not NULL) gets the
 * index of the level that held the line, or nlevels for memory. */
uint64_t memh_access(struct memh *m, uint64_t pa, unsigned *served);

/* Forgets every line (statistics kept) */
void memh_flush(struct memh *m);

#endif
