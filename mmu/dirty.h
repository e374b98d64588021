/* Dirty logging for live migration: which guest writes exit, and what a
 * dirtied page and a migration round cost.
 *
 * A round starts with every tracked page clean; the hypervisor harvests
 * the dirty pages at its end (what pre-copy migration sends next).
 *  - WP (write protection, any architecture): every tracked page is write-
 *    protected in stage 2; the first write to a page in a round faults (one
 *    exit), the hypervisor marks it dirty and makes it writable.  At the
 *    end of the round each dirtied page is write-protected again.
 *  - PML (Intel page-modification logging, SDM Vol. 3C "Page-Modification
 *    Logging", 29.3.6 in recent editions): with EPT A/D enabled, a write
 *    that sets an EPT dirty flag (0 -> 1) logs the 4K-aligned GPA at the
 *    vCPU's PML index, which starts at 511 and decrements; when the index
 *    is outside 0..511 at a logging attempt the access does not happen and
 *    a PML-full VM exit occurs; the hypervisor drains the log, resets the
 *    index to 511 and the write is retried (and logged).  So exactly one
 *    exit per 512 newly dirtied pages of a vCPU: the 513th triggers it.
 *    At the end of the round the partial logs are drained and the dirty
 *    flags of the dirtied pages cleared.
 *  - DBM (Arm hardware dirty state, FEAT_HAFDBS with VTCR_EL2.HD): a write
 *    to a writable-clean page makes it dirty in hardware, no exit; the
 *    hypervisor finds the dirty pages by scanning every tracked page's
 *    stage-2 descriptor at the end of the round, then cleans them.
 *
 * Not modelled: EPT accessed flags are taken as already set (KVM sets them
 * when it installs an SPTE), so only a write that sets a dirty flag reaches
 * the PML index check; huge pages (KVM maps 4K while dirty logging); the
 * vCPU kicks that force a drain at the end of a round (a fixed cost per
 * round, not per page).  KVM also drains a vCPU's log at every VM exit:
 * the front end calls dirty_pml_drain for that; without other exits the
 * count of PML-full exits is the hardware's.
 *
 * Costs: the exit round trip (exit + entry) comes from the CPU model's
 * keys (vmx or el2) through dirty_init; the handlers and the per-page
 * harvest work are [dirty] keys.  Pages are 4K, tracked in one guest-
 * physical range; writes outside it are counted and otherwise ignored. */
#ifndef HVSIM_MMU_DIRTY_H
#define HVSIM_MMU_DIRTY_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/stats.h"

enum dirty_mode { DIRTY_OFF, DIRTY_WP, DIRTY_PML, DIRTY_DBM };

#define PML_ENTRIES 512           /* SDM Vol. 3C: the log is one 4-KByte page of 64-bit entries */
#define PML_HEAD (PML_ENTRIES - 1)

struct dirty_costs {
	uint64_t exit_cycles;             /* VM exit + VM entry round trip */
	uint64_t wp_fault_cycles;         /* WP: handler of the write-protection fault */
	uint64_t wp_reprotect_cycles;     /* WP: per dirtied page at the end of a round */
	uint64_t pml_full_cycles;         /* PML: handler of a PML-full exit, without the drain */
	uint64_t pml_drain_cycles;        /* PML: per logged GPA moved into the dirty bitmap */
	uint64_t pml_clear_cycles;        /* PML: per dirtied page, clear its EPT dirty flag */
	uint64_t dbm_scan_cycles;         /* DBM: per tracked page scanned at the end of a round */
	uint64_t dbm_clean_cycles;        /* DBM: per dirtied page made clean again */
};

struct dirty_round {
	uint64_t pages;                   /* pages dirtied (first write in the round) */
	uint64_t exits;                   /* WP faults or PML-full exits */
	uint64_t guest_cycles;            /* cycles the vCPUs spent in those exits */
	uint64_t harvest_cycles;          /* hypervisor work at the end of the round */
	uint64_t logged;                  /* PML entries written */
};

struct dirty_vcpu {
	uint16_t pml_index;               /* GUEST_PML_INDEX (16 bits: decrements 0 -> FFFFH) */
	uint64_t log[PML_ENTRIES];
};

struct dirty {
	enum dirty_mode mode;
	struct dirty_costs cost;
	uint64_t base, npages;            /* tracked GPA range: [base, base + npages * 4K) */
	uint8_t *dirty;                   /* this round: write-enabled (WP), EPT D set (PML), DBM dirty */
	uint8_t *drained;                 /* PML: pages the hypervisor has drained from logs this round */
	uint8_t *sent;                    /* the dirty bitmap harvested at the end of the last round */
	unsigned ncpus;
	struct dirty_vcpu *cpu;
	struct dirty_round round, total;
	uint64_t rounds, untracked;
};

extern const struct cfg_key dirty_cfg_keys[];
extern const unsigned dirty_cfg_nkeys;

/* From a design ([dirty]); exit_cycles from the CPU model.  `vmsa`: PML is
 * refused on the ARM machine and DBM on x86 ("dirty.mode: pml needs Intel
 * VMX; the ARM machine has wp or dbm").  -1 + err_set. */
int dirty_init(struct dirty *d, const struct cfg *cfg, bool vmsa, uint64_t exit_cycles, unsigned ncpus,
	       uint64_t base, uint64_t bytes);
/* Without a design (tests) */
int dirty_init_costs(struct dirty *d, enum dirty_mode mode, const struct dirty_costs *c, unsigned ncpus,
		     uint64_t base, uint64_t bytes);
void dirty_free(struct dirty *d);

/* A guest write by vCPU cpu to gpa.  Returns the cycles the vCPU loses
 * (0 unless it exits); *exited (if not NULL) says whether it exited. */
uint64_t dirty_write(struct dirty *d, unsigned cpu, uint64_t gpa, bool *exited);

/* A write the caller knows to be the first to its page in this round,
 * outside any tracked range (a write-protection fault a replayed trace
 * shows is one): the mode's action without the page bitmap — WP an exit,
 * PML an entry in the log (a PML-full exit when the log is full), DBM and
 * off nothing.  Returns the cycles the vCPU loses, as dirty_write. */
uint64_t dirty_first_write(struct dirty *d, unsigned cpu, uint64_t gpa, bool *exited);

/* The cost of the mode's exit: WP the round trip and the fault handler;
 * PML the round trip, the PML-full handler and the drain of a full log. */
uint64_t dirty_exit_cycles(const struct dirty *d);

/* PML: the hypervisor drains a vCPU's log (KVM does at every VM exit).
 * Returns the cycles spent (pml_drain_cycles per entry). */
uint64_t dirty_pml_drain(struct dirty *d, unsigned cpu);

/* Ends a round: harvest (costed per mode), out gets the round's figures,
 * every page is clean again.  Also adds the round into d->total. */
void dirty_end_round(struct dirty *d, struct dirty_round *out);

/* Is the page of gpa in this round's harvested bitmap? (after end_round:
 * of the round just ended) */
bool dirty_harvested(const struct dirty *d, uint64_t gpa);

/* Totals over all rounds under prefix ("dirty"), absolute values */
void dirty_publish_stats(const struct dirty *d, struct stats *st, const char *prefix);

#endif
