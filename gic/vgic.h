/* The modelled hypervisor's GICv3 support, after KVM's vgic
 * (arch/arm64/kvm/vgic/): the Distributor and Redistributor emulation
 * (gic/gicv3.h) plus, per vCPU, the virtual CPU interface (gic/cpuif.h)
 * that KVM programs on every guest entry.
 *
 *  - fold (vgic_fold_lr_state) runs at every exit, before the exit's
 *    handler: LR state goes back into the interrupts' state;
 *  - flush (vgic_flush_lr_state) runs before the next guest entry: active
 *    interrupts first, then pending and enabled ones by priority, into free
 *    LRs.  Interrupts that do not fit stay pending in the Distributor model
 *    and are counted (gic.lr_overflows); ICH_HCR_EL2.UIE is then set, so a
 *    maintenance interrupt (underflow) brings the vCPU back to refill them;
 *  - SGIs: a guest write to ICC_SGI1R_EL1 traps (HCR_EL2.IMO) and is routed
 *    here as KVM's vgic_v3_dispatch_sgi does (target list or IRM = 1).
 * Interrupts are injected only once they are pending in simulated time
 * (pending_at <= now), so a vCPU whose clock lags the sender's quantum never
 * sees an SGI before it was sent.
 *
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_GIC_VGIC_H
#define HVSIM_GIC_VGIC_H
#include "core/cfg.h"
#include "core/stats.h"
#include "gic/cpuif.h"
#include "gic/gicv3.h"
#include "gic/vgic_v4.h"

enum gic_irq_type { GIC_SGI, GIC_PPI, GIC_SPI, GIC_LPI, GIC_VLPI, GIC_VSGI, GIC_NTYPES };
/* How an interrupt reached the guest: through a list register, directly
 * from a resident vPE (GICv4), or directly after its doorbell had the vPE
 * scheduled (GICv4: it became pending while the vPE was not resident). */
enum gic_path { GIC_PATH_LR, GIC_PATH_DIRECT, GIC_PATH_DOORBELL, GIC_NPATHS };
/* Their names in the statistics: gic.delivered.<path>.<type> */
extern const char *const vgic_type_name[GIC_NTYPES], *const vgic_path_name[GIC_NPATHS];

struct vgic {
	struct gicv3 dist;
	struct gic_cpuif cpu[GIC_MAX_CPUS];
	bool need_flush[GIC_MAX_CPUS];   /* an exit folded the LRs: flush before running */
	unsigned lr_top[GIC_MAX_CPUS];   /* LRs the last flush wrote (lr[lr_top..] are 0) */
	cycles_t inject_cycles;          /* per pending interrupt written into an LR */
	uint64_t ich_hcr;                /* ICH_HCR_EL2 trap bits the design sets */
	cycles_t irqfd_cycles;           /* device MSI to pending in the vgic through the host (no GICv4 forwarding) */
	cycles_t sgi_queue_cycles;       /* a trapped SGI queued for one target */
	cycles_t kick_cycles;            /* the sender's kvm_vcpu_kick (for the machine's glue) */
	cycles_t ipi_latency_cycles;     /* the kick's physical SGI to the target core (for the glue) */
	cycles_t timer_irq_cycles;       /* KVM's timer handler on a timer's IRQ exit (for the glue) */
	cycles_t cycles;                 /* hypervisor work since the last vgic_take_cycles */
	struct vgic_v4 v4;               /* GICv4 ([gic] version 4 or 4.1) */
	struct its_direct direct[GIC_MAX_CPUS];   /* what vgic_v4_sync last offered each CPU interface */
	struct its_direct timed[GIC_MAX_CPUS];    /* the direct interrupt whose latency was recorded last */
	/* statistics (point at own storage until vgic_register_stats); st_delivered
	 * is the list-register path, st_path[p] every path */
	uint64_t *st_path[GIC_NPATHS][GIC_NTYPES], **st_delivered, *st_injections, *st_overflows, *st_spurious, *st_eoi_misses;
	uint64_t *st_sgis, *st_maintenance;
	/* per vCPU (gic.per_vcpu.N.<path>.<type>): where each was acknowledged */
	uint64_t *st_cpu[GIC_MAX_CPUS][GIC_NPATHS][GIC_NTYPES], cpu_sink;
	struct hist *h_latency, *h_path[GIC_NPATHS];
	uint64_t own[GIC_NPATHS * GIC_NTYPES + 6];
};

extern const struct cfg_key gic_cfg_keys[];
extern const unsigned gic_cfg_nkeys;

/* -1 + err_set on a bad design value. */
int vgic_init(struct vgic *vg, const struct cfg *c, unsigned ncpus, const uint64_t *mpidr);
void vgic_fini(struct vgic *vg);
void vgic_register_stats(struct vgic *vg, struct stats *st);
enum gic_irq_type vgic_irq_type(uint32_t intid);

/* Every exit folds: with no LR written since the last fold and no
 * maintenance asked for, only the folded state is left to note. */
void vgic_fold_lrs(struct vgic *vg, unsigned cpu);
static inline void vgic_fold(struct vgic *vg, unsigned cpu)
{
	if (!vg->lr_top[cpu] && !FIELD_EX(vg->cpu[cpu].hcr, ICH_HCR, UIE)) {
		vg->need_flush[cpu] = true;
		return;
	}
	vgic_fold_lrs(vg, cpu);
}
/* Folded at an exit and not flushed since: no list register holds
 * anything and ICH_HCR_EL2.UIE is clear (so no maintenance is due). */
static inline bool vgic_folded(const struct vgic *vg, unsigned cpu) { return vg->need_flush[cpu]; }
/* List registers holding anything (KVM's used_lrs at the next exit) */
unsigned vgic_lrs_in_use(const struct vgic *vg, unsigned cpu);
/* Returns the hypervisor cycles spent injecting (0 if nothing to do). */
cycles_t vgic_flush(struct vgic *vg, unsigned cpu, cycles_t now);
/* The flush when it finds nothing to inject (it is then done); false: it
 * would inject, nothing done. */
bool vgic_flush_idle(struct vgic *vg, unsigned cpu, cycles_t now);

/* Is `reg` an ICC_* register, and does ICH_HCR_EL2 trap it (TC, TALL0,
 * TALL1)?  Returns -1 (not a GIC register), 0 (served by the hardware) or
 * 1 (traps: a SYS64 exit, emulated by the hypervisor). */
int vgic_sysreg_traps(const struct vgic *vg, uint32_t reg);
/* The guest's access, after any trap has been taken. */
enum gic_sysreg_result vgic_sysreg(struct vgic *vg, unsigned cpu, uint32_t reg, bool is_read, uint64_t *val,
				   cycles_t now, struct gic_cpuif_events *ev);
/* ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 (allow_group1) or ICC_SGI0R_EL1.
 * Returns the number of vCPUs the SGI was made pending on. */
unsigned vgic_dispatch_sgi(struct vgic *vg, unsigned cpu, uint64_t val, bool allow_group1, cycles_t now);

/* Hardware view of one vCPU.  Every guest entry asks: with no LR written
 * since the fold (those above lr_top are 0) and nothing direct, nothing is
 * there to acknowledge, as the full check (vgic_irq_line_lrs) would find. */
bool vgic_irq_line_lrs(const struct vgic *vg, unsigned cpu);
static inline bool vgic_irq_line(const struct vgic *vg, unsigned cpu)
{
	if (!vg->lr_top[cpu] && vg->cpu[cpu].direct_intid == GIC_INTID_SPURIOUS)
		return false;
	return vgic_irq_line_lrs(vg, cpu);
}
/* Would WFI wake (KVM kvm_vgic_vcpu_pending_irq): an LR or a deliverable
 * interrupt of this vCPU, pending by `now`, above the priority mask. */
bool vgic_wake(const struct vgic *vg, unsigned cpu, cycles_t now);
/* A maintenance interrupt is due: ICH_MISR_EL2.U (underflow, with
 * ICH_HCR_EL2.UIE) or ICH_MISR_EL2.EOI (a software level interrupt was
 * deactivated and must be resampled). */
bool vgic_maintenance(const struct vgic *vg, unsigned cpu);
/* The guest took the IRQ exception: records the delivery latency of the
 * interrupt that raised it. */
void vgic_irq_entry(struct vgic *vg, unsigned cpu, cycles_t now);
/* Connects a device's level to a physical interrupt mapped to the vCPU
 * (LR HW bit), as KVM maps the timers (kvm_vgic_map_phys_irq). */
void vgic_map_hw(struct vgic *vg, unsigned cpu, uint32_t intid);
/* GICv4: what the Redistributor offers cpu's virtual CPU interface from
 * its resident vPE (pending by `now`), brought up to date; returns when a
 * later-pending one becomes visible (UINT64_MAX: none).  GICv3 offers
 * nothing direct: once both sides say so, there is nothing to write. */
cycles_t vgic_v4_offer(struct vgic *vg, unsigned cpu, cycles_t now);
static inline cycles_t vgic_v4_sync(struct vgic *vg, unsigned cpu, cycles_t now)
{
	if (!vg->v4.version && vg->cpu[cpu].direct_intid == GIC_INTID_SPURIOUS &&
	    vg->direct[cpu].intid == GIC_INTID_SPURIOUS)
		return UINT64_MAX;
	return vgic_v4_offer(vg, cpu, now);
}
/* Hypervisor cycles of the vgic's work (SGI queueing, GICv4) since the
 * last call; vgic_pending_cycles: the same without taking them. */
cycles_t vgic_take_cycles(struct vgic *vg);
cycles_t vgic_pending_cycles(const struct vgic *vg);

#endif
