/* Replay of a KVM exit trace under designs (issue 9): what would this
 * workload have cost on design B?
 *
 * Each kvm_exit, with the events around it (kvm_msr, kvm_pio, kvm_mmio,
 * kvm_userspace_exit, kvm_wfx_arm64, kvm_sys_access, ...), becomes the guest
 * event that caused it, and that event is put to the design's models — the
 * very functions firmware runs use (vmx_decide, apic/vapic, el2_traps_*,
 * vmx_exit_parts, el2_exit_parts) — which decide whether it exits, with which
 * reason, at what cost.  The time between a vCPU's kvm_entry and its next
 * kvm_exit is guest time and is kept; an exit's recorded duration (kvm_exit
 * to kvm_entry) is replaced by the design's cost.
 *
 *  - kept:        the event exits under the design (perhaps with another reason)
 *  - removed:     it no longer exits (an EOI under APICv, an MSR the bitmap
 *                 passes through, a WFI without TWI); what the hardware does
 *                 instead is charged (nothing, for these)
 *  - added:       an exit the design adds (the interrupt that wakes a HLT or
 *                 WFI that no longer exits, charged when the vCPU's next exit
 *                 shows the guest ran on), or a GICv4 doorbell (host work
 *                 for a vCPU blocked in WFI: counted, not an exit)
 *  - undecidable: the decision needs an event the trace lacks (no kvm_msr
 *                 after an MSR_WRITE): kept with its recorded reason, costed
 *                 by the design, never guessed
 *  - unmodelled:  a reason no model decides (SVM codes, unknown reasons,
 *                 SERROR...): kept, costed as recorded
 *
 * Bounded memory: one pass, per-vCPU state allocated when a vCPU first
 * appears (at most TRACE_MAX_VCPU), reason tables of fixed size.
 * Timestamps: ns (secs.frac) converted with the design's [cpu] freq_mhz;
 * a bare counter (trace_clock x86-tsc or counter, and hvsim's own export) is
 * taken as cycles of the vCPU clock (hvsim's TSC is its cycle clock). */
#ifndef HVSIM_TRACES_REPLAY_H
#define HVSIM_TRACES_REPLAY_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "apic/timer.h"
#include "apic/vapic.h"
#include "core/cfg.h"
#include "cpu/el2.h"
#include "cpu/vmx.h"
#include "gic/vgic_v4.h"
#include "mmu/dirty.h"
#include "traces/trace.h"

#define REPLAY_MAX_DESIGNS 8
#define REPLAY_MAX_REASONS 128
#define REPLAY_V4_DEVS 32	/* host devices replay maps a trace's VFIO interrupts to (DeviceIDs) */
#define REPLAY_V4_EVENTS (REPLAY_V4_DEVS << VGIC_V4_EVENT_BITS)
#define REPLAY_MAX_LRS 16	/* list registers: ICH_LR<n>_EL2, n < 16 (GICv3 arch spec 12.4.6) */

/* One design's models, built from its effective configuration. */
struct replay_design {
	char name[64];
	enum trace_arch arch;
	double freq_mhz;
	struct el2_model el2;
	struct vmx_model vmx;
	struct vapic_controls apicv;	/* from the VMCS controls */
	uint8_t pi_nv;			/* posted-interrupt notification vector */
	bool irq_window_exiting;	/* [lapic] irq_window_exiting */
	cycles_t kick_cycles, window_cycles;	/* [lapic] handlers */
	enum apic_timer_design timer;	/* [lapic] timer: how the LAPIC timer is backed */
	cycles_t preempt_cycles, pi_notify_cycles;	/* [lapic] preemption_timer_cycles, [apicv] pi_notify_cycles */
	/* [apicv] apic_access_cycles, apic_write_cycles, eoi_induced_cycles: the
	 * handlers of APICv's exits, as the firmware path charges them */
	cycles_t apic_access_cycles, apic_write_cycles, eoi_induced_cycles;
	/* Exit costs, computed once by the models' own functions (vmx_exit_cost,
	 * vmx_switch_parts, el2_exit_cost): they depend on the design only. */
	cycles_t vmx_cost[VMXX_COUNT][2], switch_cost;
	uint8_t vmx_class[VMX_NR_EXIT_REASONS];	/* vmx_exit_class of each basic reason */
	cycles_t el2_cost[EL2X_COUNT][2][REPLAY_MAX_LRS + 1];
	/* arm64 [gic] version 4 or 4.1: the hypervisor's GICv4 (gic/vgic_v4.h)
	 * with its host ITS, through which replay sends a passed-through
	 * device's MSIs as the firmware path does; NULL under GICv3. */
	struct vgic_v4 *v4;
	int16_t *v4_cpu;		/* [REPLAY_V4_EVENTS]: the vCPU each host event is mapped to, -1 none */
	bool v4_direct, v4_doorbell;	/* set by the host ITS's callbacks during one MSI */
	/* [dirty]: the dirty-logging model (mmu/dirty.h) of write-protection
	 * faults and PML-full exits, one log per vCPU (struct dstate) */
	enum dirty_mode dirty_mode;
	struct dirty_costs dirty_cost;
};

/* Builds d from c, a configuration of the machine of arch (virt for arm64,
 * pc for x86) with every key set.  -1 + err_set on failure (memory). */
int replay_design_init(struct replay_design *d, enum trace_arch arch, const struct cfg *c, const char *name);
void replay_design_fini(struct replay_design *d);

/* Loads design i for arch when the trace's architecture becomes known
 * (the first kvm_exit): 0, or -1 with err_set. */
typedef int (*replay_load_fn)(void *ctx, enum trace_arch arch, unsigned i, struct replay_design *d);

enum replay_outcome { RO_KEPT, RO_REMOVED, RO_UNDECIDABLE, RO_UNMODELLED };

/* The decision for one exit under one design. */
struct replay_decision {
	enum replay_outcome outcome;
	const char *reason;	/* the exit's reason under the design (kept, undecidable, unmodelled) */
	cycles_t cost;		/* its cost (kept), or what the hardware does instead (removed) */
	const char *cause;	/* the control or rule that decided */
	const char *wake;	/* removed HLT/WFI: the exit the wake-up interrupt takes instead */
	const char *added;	/* exits the design adds now (a PML-full, the faults of a full log) */
	unsigned nadded;	/*   how many */
	cycles_t added_cost;	/*   their cost together */
	cycles_t extra;		/* the vCPU's cycles outside any exit (the PML drain after an exit) */
	/* GICv4 work outside the exit (kept WFI): vPE residency changes
	 * (vgic_v4_put at the block, vgic_v4_load at the next entry) and their
	 * cycles; a doorbell the host takes for the vPE (an added event, not a
	 * VM exit: the vCPU is already in the hypervisor) */
	unsigned residency;
	bool doorbell;
	cycles_t hyp_cycles;
};

/* Counts for one side (the trace as recorded, or one design) of one vCPU or
 * of the total. */
struct replay_side {
	uint64_t exits, exit_cycles;
	uint64_t n[REPLAY_MAX_REASONS], cyc[REPLAY_MAX_REASONS];
	uint64_t removed[REPLAY_MAX_REASONS], added[REPLAY_MAX_REASONS];
	uint64_t nremoved, nadded, undecidable, unmodelled, instead_cycles;
	uint64_t residency, hyp_cycles;	/* GICv4 vPE residency changes; host work outside exits (residency, doorbells) */
	uint64_t doorbells;		/* of nadded, GICv4 doorbells: added events that are not exits */
};

struct replay;

/* ndesigns in [1, REPLAY_MAX_DESIGNS]; load is called once per design. */
struct replay *replay_new(unsigned ndesigns, replay_load_fn load, void *ctx);
void replay_free(struct replay *r);
/* Feeds one record: 0, or -1 with err_set (a design failed to load, out of
 * memory, or a trace that mixes architectures). */
int replay_add(struct replay *r, const struct trace_event *ev);
/* Closes the exits still open (end of the trace). */
void replay_finish(struct replay *r);

/* ---- results (after replay_finish) ---- */
enum trace_arch replay_arch(const struct replay *r);
unsigned replay_ndesigns(const struct replay *r);
const struct replay_design *replay_design(const struct replay *r, unsigned i);
unsigned replay_nreasons(const struct replay *r);
const char *replay_reason_name(const struct replay *r, unsigned k);
/* vCPUs seen (ids 0..n-1 some of which may be absent), and whether v is. */
unsigned replay_nvcpus(const struct replay *r);
bool replay_has_vcpu(const struct replay *r, unsigned v);
/* The trace's own counts (design < 0) or design i's, for vCPU v (v < 0: total). */
const struct replay_side *replay_side(const struct replay *r, int design, int v);
/* Cycles of vCPU v's timeline (v < 0: the latest, as hvsim run's `cycles`)
 * as recorded (design < 0) or re-costed, and its guest time. */
uint64_t replay_cycles(const struct replay *r, int design, int v);
uint64_t replay_guest_cycles(const struct replay *r, int v);
/* kvm_exit lines, exits with no kvm_entry after them, records with no vCPU. */
uint64_t replay_exit_lines(const struct replay *r);
uint64_t replay_no_entry(const struct replay *r);
uint64_t replay_no_vcpu(const struct replay *r);
/* The timestamps were bare counters (cycles), not ns. */
bool replay_ts_cycles(const struct replay *r);

/* ---- one decision, for tests: the exit ev with its companions comp[0..n) ---- */
void replay_decide_one(const struct replay_design *d, const struct trace_event *exit, const struct trace_event *comp,
		       unsigned ncomp, struct replay_decision *out);

/* ---- output (traces/replay_print.c) ---- */
enum replay_fmt { REPLAY_TEXT, REPLAY_JSON, REPLAY_CSV };
int replay_fmt_parse(const char *s, enum replay_fmt *f);
/* The replay summary: exits by reason before/after, cycles, guest-time
 * fraction, per vCPU and total.  -1 on a write error. */
int replay_print(const struct replay *r, const struct trace_reader *tr, const char *name, enum replay_fmt f,
		 FILE *out);
/* compare: one column per design, ratios to the first, what changed most. */
int replay_print_compare(const struct replay *r, const struct trace_reader *tr, const char *name,
			 enum replay_fmt f, FILE *out);
/* Statistics of design i with hvsim run's keys (exits_total, exits.<reason>,
 * exit_cycles..., cycles, vcpus.N...) plus removed.*, added.*, undecidable,
 * unmodelled, source.*: JSON, text or CSV as core/stats writes them. */
int replay_stats(const struct replay *r, const struct trace_reader *tr, unsigned i, const char *fmt, FILE *out);

#endif
