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
 * LPIs (IHI 0069H 5.1, 12.11): GICD_TYPER.LPIS = 1 with 16 INTID bits
 * (LPIs 8192-65535, KVM's INTERRUPT_ID_BITS_ITS), GICR_TYPER.PLPIS = 1,
 * GICR_CTLR.EnableLPIs, GICR_PROPBASER and GICR_PENDBASER.  LPIs are made
 * pending only by an ITS (gic/its.h): GICR_TYPER.DirectLPI = 0, as KVM
 * without GICv4.1 and a GIC-600 built without direct LPI, so GICR_SETLPIR,
 * CLRLPIR, INVLPIR, INVALLR and SYNCR are RAZ/WI.  As in KVM, an LPI exists
 * in the model once the ITS maps it (MAPTI/MAPI: at most GIC_MAX_LPIS at a
 * time); its configuration byte (priority, enable) is read from the
 * configuration table when it is mapped and on INV/INVALL (the spec lets the
 * Redistributor cache it until then, 5.1.1); its pending bit is read from
 * the pending table when it is mapped and when EnableLPIs goes 0 -> 1, and
 * written back when EnableLPIs goes 1 -> 0 (clearing EnableLPIs is
 * IMPLEMENTATION DEFINED: allowed here).  Every table access goes through
 * the owner's memory callback, which refuses addresses outside RAM; such an
 * access is the guest's error, counted in table_errors, never a host read.
 * PROPBASER/PENDBASER writes while EnableLPIs = 1 are ignored (UNPREDICTABLE;
 * KVM ignores them) and counted as guest errors.
 * Message-based SPIs (GICD_SETSPI_*), GICD_SGIR and the GICv2 compatibility
 * registers are RAZ/WI.
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
#define GIC_MAX_LPIS 512       /* LPIs mapped at once (KVM allocates a vgic_irq per mapped LPI) */

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
	uint32_t lpi;              /* LPIs: INTID (0 for SGIs, PPIs and SPIs) */
	int16_t lpi_cpu;           /* LPIs: Redistributor it is pending on (the ITS collection's target) */
	cycles_t pending_at;       /* when it last became pending (latency) */
	bool latency_taken;        /* delivery latency already recorded */
};

struct gicv3 {
	unsigned ncpus, nspis;
	uint64_t mpidr[GIC_MAX_CPUS];          /* Aff3..Aff0 of each vCPU */
	bool enable_grp1;                      /* GICD_CTLR.EnableGrp1 */
	bool nassgi_cap, nassgi_req;           /* GICD_TYPER2.nASSGIcap (set by the owner), GICD_CTLR.nASSGIreq */
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
	/* LPIs */
	bool enable_lpis[GIC_MAX_CPUS];        /* GICR_CTLR.EnableLPIs */
	uint64_t propbaser[GIC_MAX_CPUS], pendbaser[GIC_MAX_CPUS];
	struct gic_irq lpi[GIC_MAX_LPIS];      /* lpi == 0: free */
	unsigned lpi_top;                      /* lpi[lpi_top..] never mapped: scans stop there */
	/* Interrupts that may be pending or active, a bit each (gicv3_mark):
	 * set at every change of their state, cleared by a scan that finds
	 * one neither (vgic), so guest entries look at these only. */
	uint32_t live_priv[GIC_MAX_CPUS];
	uint64_t live_spi[(GIC_MAX_SPIS + 63) / 64];
	uint64_t live_lpi[(GIC_MAX_LPIS + 63) / 64];
	bool live_shared;   /* some live_spi/live_lpi word may be non-zero */
	/* Guest physical memory, set by the owner: false if [addr, addr + len)
	 * is not all RAM (nothing is read or written then). */
	bool (*mem)(void *ctx, uint64_t addr, void *buf, unsigned len, bool write);
	uint64_t mem_accesses;                 /* table reads and writes made (the ITS costs them) */
	uint64_t *table_errors;                /* LPI table accesses outside RAM or beyond PROPBASER.IDbits */
	uint64_t own_table_errors;
};

extern const struct dev_ops gicv3_dist_ops, gicv3_redist_ops;

/* nspis: a multiple of 32 up to 988.  -1 + err_set on a bad value. */
int gicv3_init(struct gicv3 *g, unsigned ncpus, unsigned nspis, const uint64_t *mpidr);
/* The interrupt `intid` as seen by `cpu` (private ones are banked), or NULL
 * when intid is out of range. */
struct gic_irq *gicv3_irq(struct gicv3 *g, unsigned cpu, uint32_t intid);
/* irq's state changed: it may now be pending or active (live_*). */
void gicv3_mark(struct gicv3 *g, const struct gic_irq *irq);
static inline bool gicv3_pending(const struct gic_irq *irq)
{
	return irq->pending_latch || (!irq->edge && irq->line_level);
}
/* The vCPU an SPI is routed to (IROUTER affinity), or -1. */
int gicv3_spi_target(const struct gicv3 *g, const struct gic_irq *irq);
int gicv3_cpu_by_affinity(const struct gicv3 *g, uint64_t aff);   /* Aff3..0 packed as MPIDR */
/* Pending + enabled + group enabled at the Distributor. */
bool gicv3_deliverable(const struct gicv3 *g, const struct gic_irq *irq);

/* ---- LPIs (used by the ITS) ---- */
/* The mapped LPI `intid`, or NULL. */
struct gic_irq *gicv3_lpi(struct gicv3 *g, uint32_t intid);
/* Maps LPI intid to Redistributor cpu (or moves it there), reading its
 * configuration and pending bit from the tables.  NULL when GIC_MAX_LPIS
 * are mapped already. */
struct gic_irq *gicv3_lpi_map(struct gicv3 *g, uint32_t intid, unsigned cpu, cycles_t now);
void gicv3_lpi_unmap(struct gicv3 *g, struct gic_irq *lpi);
/* Moves a mapped LPI, with its pending state, to another Redistributor. */
void gicv3_lpi_move(struct gicv3 *g, struct gic_irq *lpi, unsigned cpu);
/* Re-reads the configuration byte of lpi (INV, INVALL).  false: the table
 * cannot be read (counted in table_errors); the cached state is kept. */
bool gicv3_lpi_reload(struct gicv3 *g, struct gic_irq *lpi);
void gicv3_lpi_set_pending(struct gicv3 *g, struct gic_irq *lpi, bool pending, cycles_t now);
/* 64-bit registers written or read as a whole or as 32-bit halves: off is
 * the offset inside the register. */
uint64_t gic_reg64_read(uint64_t reg, uint32_t off, unsigned size);
uint64_t gic_reg64_write(uint64_t reg, uint32_t off, unsigned size, uint64_t val);

/* Inputs from devices and the hypervisor at time `now`. */
void gicv3_set_level(struct gicv3 *g, unsigned cpu, uint32_t intid, bool level, cycles_t now);
void gicv3_set_pending(struct gicv3 *g, unsigned cpu, uint32_t intid, cycles_t now);

#endif
