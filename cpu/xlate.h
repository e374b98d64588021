/* The translation front end: with [mmu] model = on (Unicorn 2.1 or newer),
 * Unicorn runs with UC_TLB_VIRTUAL and asks hvsim for every translation
 * once per miss of its own softmmu TLB (UC_HOOK_TLB_FILL).  xlate walks
 * the guest's stage 1 (from its registers, arch_ops.stage1) and the
 * modelled hypervisor's stage 2 (platform/memvirt) with mmu_walk, charges
 * the walk through the modelled TLBs, walk caches and memory hierarchy
 * (mmu/cost.h) to the vCPU clock, and returns the host page and its
 * permissions.  A walk that faults refuses the fill: Unicorn stops at the
 * faulting instruction and the front end delivers the fault with the
 * syndrome the walker computed (arch_ops.mmu_fault).
 *
 * Unicorn's TLB is not the modelled one and its hits are invisible here;
 * [mmu] tlb_sync says how the two are kept together (docs/architecture.md,
 * "Translation").  Guest TLB maintenance reaches both (xlate_invalidate). */
#ifndef HVSIM_CPU_XLATE_H
#define HVSIM_CPU_XLATE_H
#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>
#include "core/cost.h"
#include "core/sim.h"
#include "mmu/cost.h"
#include "mmu/dirty.h"
#include "mmu/mmu.h"

struct vcpu;
struct vcpus;

/* Unicorn 2.1 added UC_TLB_VIRTUAL and UC_HOOK_TLB_FILL */
#if UC_API_MAJOR > 2 || (UC_API_MAJOR == 2 && UC_API_MINOR >= 1)
#define XLATE_SUPPORTED 1
#else
#define XLATE_SUPPORTED 0
#endif

/* What arch_ops.stage1 reports */
enum xlate_s1 {
	XLATE_S1_OFF,       /* translation off: GPA = VA */
	XLATE_S1_ON,        /* *s1 describes the walk */
	XLATE_S1_FAULT,     /* no walk is possible (VMSA EPDn, VA outside both ranges): *f filled */
	XLATE_S1_UNICORN,   /* faults-only, a paging mode mmu/ does not walk (x86 32-bit, PAE):
			     * Unicorn's own walk takes this engine over (xlate_take_unicorn) */
};

/* A small open-addressing map of 64-bit keys (never 0) to values */
struct xlate_map {
	uint64_t *k, *v;
	unsigned cap, len;
};

/* The VM's side: exit classes the model adds, shadow paging state */
struct xlate_vm {
	/* exit classes (indices of vcpus.exit_names) */
	unsigned x_pt_write, x_hidden, x_hidden_fetch, x_switch, x_invlpg, x_wp, x_pml;
	struct cost sw;                /* the world switch by part ([el2]/[vmx]), no handler */
	cycles_t exit_entry;           /* its total */
	/* shadow paging: guest page-table pages (PA page -> VA base | level
	 * shift of the table) and the shadowed translations (root, VA page) */
	struct xlate_map pt_pages, shadowed;
	uint64_t alias_base;           /* MMIO alias of guest RAM: writes to write-protected tables */
	/* dirty logging ([dirty] mode), over all of guest RAM */
	bool dirty_on;
	struct dirty dirty;
	cycles_t next_round;           /* mmu.dirty_round_cycles: when the next round ends */
	uint64_t *st_pt_writes, *st_hidden, *st_switches, *st_invlpg;
};

struct xlate {
	bool on;
	/* [mmu] model = off with Unicorn 2.1: hvsim translates only to find
	 * the guest's stage-1 faults and stores into code (no stage 2, no cost, no
	 * statistics: the st_* counters point at sink) */
	bool faults_only;
	bool to_unicorn;           /* a fill saw XLATE_S1_UNICORN */
	uint64_t sink;
	bool caches;               /* c initialised */
	struct mmu_caches c;
	/* The fault of the last refused fill, delivered after Unicorn stops. */
	bool fault_pending;
	struct mmu_fault fault;
	unsigned fault_type;       /* MMU_R, MMU_W or MMU_X */
	uint64_t fault_page;       /* the page Unicorn asked for */
	bool replaying;            /* finding the exact address of a data fault */
	uc_context *before_replay; /* the registers before it, put back after (allocated at the first) */
	bool flush;                /* flush Unicorn's TLB before the fill returns */
	int s1_was_on;             /* stage 1 on at the last fill (-1: no fill yet) */
	uint64_t fills;            /* Unicorn TLB fills (sampling counts them) */
	uint64_t sampled_cycles, sampled;   /* modelled fills and their cycles (sampling) */
	uint64_t *st_fills, *st_mmio, *st_faults_s1, *st_faults_s2, *st_flushes, *st_cycles, *st_invalidations;
	char prefix[32];
};

/* Adds the exit classes the translation model needs to s->exit_names
 * (before the statistics are registered). */
void xlate_declare_exits(struct vcpus *s);
/* Shadow paging: the guest switched address space (CR3/TTBR write, page
 * false) or invalidated translations (INVLPG/TLBI, page true): the exit,
 * if the design takes one.  pc: where (for the exit's log line). */
void xlate_shadow_exit(struct vcpu *v, bool page, uint64_t pc);
/* The guest's end-of-round marker (HVSIM_HC_*_DIRTY_ROUND): true with
 * *pages = the pages found dirty since the last one, false without dirty
 * logging (the call is then the machine's unknown hypercall). */
bool xlate_dirty_round(struct vcpu *v, uint64_t round, uint64_t *pages);
/* KVM drains the PML log at every VM exit (vmx_flush_pml_buffer); after
 * exit class x (a PML-full exit's drain is in its cost) */
void xlate_exit_hook(struct vcpu *v, unsigned x);
/* Set-up for every vCPU of s (after the engines exist).  With the model off
 * nothing changes; with it on under Unicorn 2.0.1, stops the run before
 * it starts (SIM_STOP_UNSUPPORTED).  -1 + err_set on an internal error. */
int xlate_init(struct vcpus *s);
void xlate_fini(struct vcpus *s);
/* Copies the model's counters into the statistics (end of run). */
void xlate_finish(struct vcpus *s);
/* After uc_emu_start returned UC_ERR_EXCEPTION: true if it was a refused
 * fill, whose fault is then in v->xl.fault with its exact address. */
bool xlate_take_fault(struct vcpu *v);
/* After Unicorn stopped: a faults-only engine met a paging mode mmu/ does
 * not walk, and now translates with Unicorn's own walker (stage-1 faults
 * are Unicorn's, stores into code unseen, as with Unicorn 2.0.1); resume
 * at the PC.  False if not. */
bool xlate_take_unicorn(struct vcpu *v);
/* Guest TLB maintenance: drops matching entries from the modelled TLBs and
 * walk caches (mmu/tlb.h scopes), and Unicorn's TLB with them. */
void xlate_invalidate(struct vcpu *v, const struct tlb_scope *scope);
/* The stage-2 tag (VMID/VPID) of the translations the model caches */
uint16_t xlate_s2tag(const struct vcpu *v);
/* Flushes v's Unicorn TLB (Unicorn 2.1; nothing to do without the model). */
void xlate_flush_unicorn(struct vcpu *v);
/* Run-slice end (tlb_sync = slice). */
void xlate_slice_end(struct vcpu *v);
/* Reads guest memory at a virtual address as the guest sees it now (no
 * cost, no statistics); with the model off, as guest-physical.  False if
 * a page is not mapped or not RAM. */
bool xlate_read_virt(struct vcpu *v, uint64_t va, void *buf, size_t len);
bool xlate_write_virt(struct vcpu *v, uint64_t va, const void *buf, size_t len);
/* The host-physical address of va for a fetch (decoder), or false. */
bool xlate_virt_to_phys(struct vcpu *v, uint64_t va, unsigned type, uint64_t *pa);

#endif
