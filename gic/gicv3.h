/* GICv3 Distributor and Redistributors as a KVM guest sees them: the
 * in-kernel emulation of KVM's vgic (arch/arm64/kvm/vgic/vgic-mmio-v3.c),
 * one Distributor (GICD, 64 KiB) and one Redistributor per vCPU (RD_base +
 * SGI_base, 2 x 64 KiB).  Arm IHI 0069H chapter 12; layouts in gic/regs.h.
 *
 * Model library layer: knows neither Unicorn nor trace formats.  Accesses
 * arrive through dev_ops (dev/dev.h) with an offset in the window.
 *
 * One security state (GICD_CTLR.DS = 1), affinity routing always on
 * (ARE = 1, RAO/WI), so the Distributor's registers for INTIDs 0-31 are
 * RAZ/WI and SGIs/PPIs live in the Redistributors.  Register choices follow
 * KVM (each one noted in gicv3.c): GICD_IIDR names KVM (ProductID 'K',
 * revision 2), GICR_WAKER is RAZ/WI, PPIs are level-sensitive and their
 * configuration is read-only, IROUTER.IRM is RAZ/WI.
 *
 * NOT in this slice: LPIs and the ITS.  GICD_TYPER.LPIS = 0 and
 * GICR_TYPER.PLPIS = 0, so GICR_CTLR.EnableLPIs, GICR_PROPBASER and
 * GICR_PENDBASER read as their reset value 0 and ignore writes (the
 * architecture allows exactly that without LPI support); message-based SPIs
 * (GICD_SETSPI_*), GICD_SGIR and the GICv2 compatibility registers are RAZ/WI.
 *
 * Every offset, access width and INTID a guest supplies is checked: reserved
 * offsets and unsupported widths read as zero and ignore writes, and are
 * counted in guest_errors (with a debug line under --debug gic). */
#ifndef HVSIM_GIC_GICV3_H
#define HVSIM_GIC_GICV3_H
#include <stdbool.h>
#include <stdint.h>
#include "core/sim.h"
#include "dev/dev.h"
#include "gic/regs.h"

#define GIC_MAX_CPUS 64
#define GIC_MAX_SPIS (GIC_MAX_SPI_INTID + 1 - GIC_NR_PRIVATE)   /* 988 */

/* One interrupt as the hypervisor keeps it (KVM struct vgic_irq). */
struct gic_irq {
	uint8_t priority;          /* GIC_PRI_MASK bits implemented */
	bool group1;               /* IGROUPR: 1 = Group 1 */
	bool enabled;
	bool edge;                 /* ICFGR: edge-triggered */
	bool pending_latch;        /* edge pending, or set by ISPENDR */
	bool line_level;           /* level-sensitive input (timer output) */
	bool active;
	bool hw;                   /* backed by a physical interrupt (HW bit in the LR) */
	int16_t active_cpu;        /* SPIs: vCPU whose LR holds it active, -1 none */
	uint64_t irouter;          /* SPIs: GICD_IROUTER<n> */
	cycles_t pending_at;       /* when it last became pending (latency) */
	bool latency_taken;        /* delivery latency already recorded */
};

struct gicv3 {
	unsigned ncpus, nspis;
	uint64_t mpidr[GIC_MAX_CPUS];          /* Aff3..Aff0 of each vCPU */
	bool enable_grp1;                      /* GICD_CTLR.EnableGrp1 */
	struct gic_irq priv[GIC_MAX_CPUS][GIC_NR_PRIVATE];
	struct gic_irq spi[GIC_MAX_SPIS];
	/* Set by the owner: current time of the accessing vCPU, and a
	 * notification that cpu has a newly deliverable interrupt (KVM queues
	 * it on the vCPU's ap_list and kicks the vCPU). */
	cycles_t (*now)(void *ctx);
	void (*kick)(void *ctx, unsigned cpu);
	void *ctx;
	uint64_t *guest_errors;                /* bad offset, width or INTID (points at own_errors by default) */
	uint64_t own_errors;
};

extern const struct dev_ops gicv3_dist_ops, gicv3_redist_ops;

/* nspis: a multiple of 32 up to 988.  -1 + err_set on a bad value. */
int gicv3_init(struct gicv3 *g, unsigned ncpus, unsigned nspis, const uint64_t *mpidr);
/* The interrupt `intid` as seen by `cpu` (private ones are banked), or NULL
 * when intid is out of range. */
struct gic_irq *gicv3_irq(struct gicv3 *g, unsigned cpu, uint32_t intid);
bool gicv3_pending(const struct gic_irq *irq);
/* The vCPU an SPI is routed to (IROUTER affinity), or -1. */
int gicv3_spi_target(const struct gicv3 *g, const struct gic_irq *irq);
int gicv3_cpu_by_affinity(const struct gicv3 *g, uint64_t aff);   /* Aff3..0 packed as MPIDR */
/* Pending + enabled + group enabled at the Distributor. */
bool gicv3_deliverable(const struct gicv3 *g, const struct gic_irq *irq);

/* Inputs from devices and the hypervisor at time `now`. */
void gicv3_set_level(struct gicv3 *g, unsigned cpu, uint32_t intid, bool level, cycles_t now);
void gicv3_set_pending(struct gicv3 *g, unsigned cpu, uint32_t intid, cycles_t now);

#endif
