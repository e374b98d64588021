/* Memory virtualization as the modelled hypervisor provides it: the [mmu]
 * design section, the second-stage tables (EPT on pc, VMSA stage 2 on virt)
 * the hypervisor builds in host memory it owns, shadow paging and dirty
 * logging policy.  Knows no Unicorn: the front end (cpu/xlate.c) asks it
 * for the stage-2 regime and the memory the walker reads.
 *
 * Host-physical layout (a documented simplification): guest RAM is backed
 * at HPA == GPA, so a RAM page's stage-2 output is its own address; the
 * hypervisor's table pool sits at MEMVIRT_POOL_HPA, above every guest IPA
 * (40 bits on virt, 39 on pc) and below the host's PA size (A72: 44 bits;
 * Skylake-SP MAXPHYADDR: 46).  The pool is hvsim memory, never mapped into
 * the guest's Unicorn engine: only the walker reads it. */
#ifndef HVSIM_PLATFORM_MEMVIRT_H
#define HVSIM_PLATFORM_MEMVIRT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/sim.h"
#include "mmu/mmu.h"
#include "platform/machine.h"

#define MEMVIRT_POOL_HPA (1ULL << 42)

enum memvirt_stage2 {
	MV_S2_NONE,      /* the guest's stage 1 only, as on bare metal */
	MV_S2_NESTED,    /* two-dimensional walk: EPT / VMSA stage 2 */
	MV_S2_SHADOW,    /* the hypervisor's shadow tables: a one-dimensional walk */
};
enum memvirt_sync {
	MV_SYNC_EVICT,     /* flush Unicorn's TLB whenever the last-level modelled TLB drops an entry */
	MV_SYNC_EVICT_ALL, /* ... whenever any modelled TLB level drops one */
	MV_SYNC_SLICE,     /* flush it at the end of every run slice */
	MV_SYNC_EXACT,     /* evict_all, plus a modelled TLB lookup on every data access (slow) */
};

struct memvirt {
	bool on;                       /* [mmu] model */
	enum memvirt_stage2 stage2;
	unsigned s2_page_shift;        /* 12, 21 or 30 */
	enum memvirt_sync sync;
	uint64_t sample;               /* model one Unicorn TLB fill in `sample` */
	cycles_t dirty_round_cycles;   /* dirty logging: a round ends every this many cycles (0: at the guest's marker only) */
	/* shadow paging: handler cycles of its exits (exit and entry come from [el2]/[vmx]) */
	cycles_t shadow_pt_write_cycles, shadow_fault_cycles, shadow_switch_cycles, shadow_invlpg_cycles;

	const struct machine *m;
	bool vmsa;                     /* virt (VMSA) or pc (x86) */
	struct mmu_stage s2;           /* valid when stage2 == MV_S2_NESTED */
	uint8_t *pool;                 /* the hypervisor's table memory */
	uint64_t pool_size, pool_used;
};

extern const struct cfg_key memvirt_cfg_keys[];
extern const unsigned memvirt_cfg_nkeys;

/* Reads [mmu]; with the model on and nested paging, builds the stage-2
 * tables mapping all guest RAM with the design's page size.  -1 + err_set. */
int memvirt_init(struct memvirt *mv, const struct machine *m, const struct cfg *c);
void memvirt_fini(struct memvirt *mv);
/* The host memory the walker reads: guest RAM (HPA == GPA) and the pool.
 * Outside both a read fails (the walker faults; it never reads wild). */
struct mmu_mem memvirt_mem(struct memvirt *mv);
/* The stage 2 of the guest's regime: NULL unless nested paging is on. */
const struct mmu_stage *memvirt_stage2(const struct memvirt *mv);
/* Allocates one zeroed table of `bytes` (a power of two, at most 64 KiB)
 * aligned to its size in the pool; its HPA, or 0 when the pool is full. */
uint64_t memvirt_alloc_table(struct memvirt *mv, uint64_t bytes);

#endif
