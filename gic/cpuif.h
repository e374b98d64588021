/* The GICv3 virtual CPU interface of one vCPU (Arm IHI 0069H chapter 6 and
 * 12.4): the list registers ICH_LR<n>_EL2, ICH_VMCR_EL2, the active-priority
 * registers ICH_AP0R0/ICH_AP1R0_EL2, ICH_HCR_EL2, and the guest's ICC_*
 * accesses that the hardware serves from them without an exit (the ICV_*
 * view, IHI 0069H 6.3 / pseudocode "Virtual*").
 *
 * Model library layer: knows neither Unicorn nor trace formats.  Pure
 * state: the hypervisor (gic/vgic.c) fills and drains the list registers.
 *
 * Implemented as on a Neoverse N1 / GIC-500-class CPU interface (KVM guests
 * see these through ICH_VTR_EL2): 5 priority bits, 5 preemption bits (so
 * ICH_AP0R0/AP1R0 only; AP<n>R1..3 are UNDEFINED), 16-bit INTIDs, A3V = 1.
 * Group 0 interrupts can be acknowledged through ICC_IAR0_EL1, but a vFIQ is
 * not delivered in this slice (KVM guests use Group 1 only). */
#ifndef HVSIM_GIC_CPUIF_H
#define HVSIM_GIC_CPUIF_H
#include <stdbool.h>
#include <stdint.h>
#include "gic/regs.h"

#define GIC_MAX_LRS 16

struct gic_cpuif {
	unsigned nlr;                 /* ICH_VTR_EL2.ListRegs + 1 */
	uint64_t lr[GIC_MAX_LRS];     /* ICH_LR<n>_EL2 */
	uint64_t vmcr;                /* ICH_VMCR_EL2 */
	uint64_t hcr;                 /* ICH_HCR_EL2 */
	uint32_t apr[2];              /* ICH_AP0R0_EL2, ICH_AP1R0_EL2: bit n = group priority n << 3 active */
	/* GICv4 direct injection (IHI 0069H 9.x): the highest-priority pending
	 * Group 1 vLPI or vSGI the Redistributor offers from the resident vPE,
	 * considered beside the LRs without any LR; the hypervisor model sets it
	 * before each use.  GIC_INTID_SPURIOUS: none. */
	uint32_t direct_intid;
	uint8_t direct_prio;
	uint32_t direct_eoi;          /* last direct INTID acknowledged: its EOI matches no LR and has no active state */
};

/* Result of a guest access to an ICC_* register. */
enum gic_sysreg_result {
	GIC_SYSREG_OK,
	GIC_SYSREG_UNDEF,             /* UNDEFINED: the guest takes an exception */
	GIC_SYSREG_NOT_CPUIF,         /* not a register this interface serves */
};

/* A deactivation the hardware performed on an LR with HW = 1: the physical
 * INTID it deactivated (the hypervisor re-arms that source). */
struct gic_cpuif_events {
	int hw_deactivated;           /* pINTID, or -1 */
	unsigned eoi_misses;          /* EOIs/DIRs that matched no LR (EOIcount incremented) */
	int direct_acked;             /* INTID acknowledged from the Redistributor (GICv4), or -1 */
};

/* Reset as KVM's vgic_v3_enable leaves it: VMCR = 0 except the binary
 * points at their minimum (the architectural reset of ICC_BPR0/1),
 * ICH_HCR_EL2 = hcr, list registers empty. */
void gic_cpuif_reset(struct gic_cpuif *c, unsigned nlr, uint64_t hcr);
/* ICH_VTR_EL2 as this implementation reports it. */
uint64_t gic_cpuif_vtr(const struct gic_cpuif *c);

/* Guest MRS/MSR of `reg` (SYS_REG encoding).  SGI generation registers are
 * not served here (they trap to the hypervisor: gic/vgic.c). */
enum gic_sysreg_result gic_cpuif_access(struct gic_cpuif *c, uint32_t reg, bool is_read, uint64_t *val,
					struct gic_cpuif_events *ev);

/* Priority machinery (IHI 0069H 4.8, pseudocode VPriorityGroup,
 * VHighestActivePriority, HighestPriorityVirtualInterrupt). */
unsigned gic_cpuif_group_priority(const struct gic_cpuif *c, unsigned priority, unsigned group);
unsigned gic_cpuif_running_priority(const struct gic_cpuif *c);
int gic_cpuif_hppi_lr(const struct gic_cpuif *c);      /* -1: no LR pending */
/* The direct (GICv4) interrupt outranks every pending LR. */
bool gic_cpuif_direct_first(const struct gic_cpuif *c);
/* The virtual IRQ (Group 1) / FIQ (Group 0) signal to the PE: an LR pending,
 * its group enabled, priority above VPMR, group priority above the running
 * priority, ICH_HCR_EL2.En set. */
bool gic_cpuif_irq_line(const struct gic_cpuif *c);
bool gic_cpuif_fiq_line(const struct gic_cpuif *c);
/* Would an interrupt wake WFI: pending LR of an enabled group above VPMR
 * (the running priority does not matter). */
bool gic_cpuif_wake(const struct gic_cpuif *c);
/* ICH_MISR_EL2 from the current state (maintenance interrupt causes). */
uint64_t gic_cpuif_misr(const struct gic_cpuif *c);
unsigned gic_cpuif_used_lrs(const struct gic_cpuif *c);

static inline unsigned gic_lr_state(uint64_t lr) { return (unsigned)FIELD_EX(lr, ICH_LR, STATE); }
static inline uint32_t gic_lr_intid(uint64_t lr) { return (uint32_t)FIELD_EX(lr, ICH_LR, VINTID); }

#endif
