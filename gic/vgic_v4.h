/* The modelled hypervisor's GICv4 support, after KVM's vgic-v4.c and the
 * Linux ITS driver (drivers/irqchip/irq-gic-v3-its.c) it calls: the host's
 * ITS with GITS_TYPER.Virtual = 1 (gic/its.h, version 40 or 41), its tables
 * in host memory, one vPE per vCPU (vPEID = vCPU, mapped with VMAPP to the
 * Redistributor of the physical CPU the vCPU is pinned to: the same number).
 *
 *  - the guest programs its own (virtual, GICv3) ITS with MAPD/MAPTI as
 *    before; when a MAPTI/MAPI maps an event of a device passed through to
 *    the VM (`forwarded`), KVM forwards it (its_map_vlpi): VMAPTI on the
 *    host ITS to the vINTID of the collection's vCPU, with the vPE's
 *    doorbell (4.0); DISCARD / MAPD V = 0 unmap it (DISCARD on the host),
 *    MOVI moves it (VMOVI), INV/INVALL copy the guest's priority and enable
 *    into the vLPI configuration table and INV on the host ITS
 *    (its_prop_update_vlpi);
 *  - the device's MSIs then go to the host ITS: a vLPI pending on a
 *    resident vPE is offered to the virtual CPU interface (no exit, no LR);
 *    on a vPE not resident it rings the doorbell, whose host handler wakes
 *    the vCPU (vgic_v4_doorbell_handler: kvm_vcpu_kick);
 *  - residency is the hypervisor's: a running vCPU's vPE is resident
 *    (vgic_v4_load on vcpu_load); a vCPU blocking in the hypervisor (trapped
 *    WFI, PSCI suspend: kvm_arch_vcpu_blocking) is descheduled with its
 *    doorbell enabled (vgic_v4_put(vcpu, true)) and scheduled again when it
 *    runs.  A vCPU idling in hardware (WFI not trapped) stays resident: a
 *    vLPI wakes it directly, without a doorbell, and the physical CPU is
 *    never given back to the host while the guest idles;
 *  - GICv4.1 vSGIs (vgic_v4_enable_vsgis): every vSGI is backed by the
 *    vPE; the guest's ICC_SGI1R_EL1 write still traps (HCR_EL2.IMO: SGI
 *    generation has no virtual CPU interface form) and KVM makes the vSGI
 *    pending with a GITS_SGIR write (vgic_v3_queue_sgi, irq->hw), so the
 *    target is neither kicked nor given an LR.  vSGI priority, group and
 *    enable go to the vPE with VSGI (its_prop_update_vsgi), here when they
 *    changed at the next SGI.
 *
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_GIC_VGIC_V4_H
#define HVSIM_GIC_VGIC_V4_H
#include "core/cfg.h"
#include "core/stats.h"
#include "gic/gicv3.h"
#include "gic/its.h"

#define VGIC_V4_DB_BASE   (GIC_LPI_BASE + 0x1000)   /* vPE n's doorbell: host LPI VGIC_V4_DB_BASE + n */
#define VGIC_V4_HOST_DEVS 512                       /* host device table: one 4 KiB page of 8-byte entries */
#define VGIC_V4_EVENT_BITS 8                        /* host ITT per forwarded device: 256 events */

struct vgic_v4_costs {
	cycles_t map, inv, residency, doorbell, vsgi, vlpi_latency;
};

struct vgic_v4 {
	unsigned version;              /* 0 (GICv3 only), 40 or 41 */
	unsigned ncpus;
	struct gicv3 hgic;             /* the host's Redistributors (as the host ITS sees them) */
	struct its hits;               /* the host's ITS */
	uint8_t *hmem;                 /* host memory holding the host ITS's tables */
	uint64_t hmem_size;
	uint64_t qslot;                /* next command slot in the host queue */
	bool resident[GIC_MAX_CPUS];
	bool (*forwarded)(void *ctx, uint32_t devid);   /* device passed through (VFIO + irqbypass) */
	void *ctx;
	struct vgic_v4_costs cost;
	cycles_t cycles;               /* hypervisor work since the owner last took it */
	cycles_t msi_time;             /* time of the MSI being translated */
	uint64_t *st_map, *st_unmap, *st_sgis;
	uint64_t own[3];
};

/* Host memory: the host ITS's tables at host physical VGIC_V4_HOST_BASE. */
#define VGIC_V4_HOST_BASE 0x8000000000ull

/* version: 0, 40 or 41.  -1 + err_set on failure (memory). */
int vgic_v4_init(struct vgic_v4 *v4, const struct cfg *c, unsigned version, unsigned ncpus);
void vgic_v4_fini(struct vgic_v4 *v4);
void vgic_v4_register_stats(struct vgic_v4 *v4, struct stats *st);
cycles_t vgic_v4_take_cycles(struct vgic_v4 *v4);

/* The guest's vITS mapped / unmapped / moved / invalidated event (devid,
 * eventid) to LPI intid on vCPU cpu (priority, enabled: the guest's LPI
 * configuration). */
void vgic_v4_guest_its(struct vgic_v4 *v4, enum its_map_op op, uint32_t devid, uint32_t eventid, uint32_t intid,
		       unsigned cpu, uint8_t priority, bool enabled);
/* Is (devid, eventid) forwarded: its MSIs go to the host ITS. */
bool vgic_v4_is_forwarded(struct vgic_v4 *v4, uint32_t devid, uint32_t eventid);
/* The device's MSI through the host ITS at `now`. */
bool vgic_v4_msi(struct vgic_v4 *v4, uint32_t devid, uint32_t eventid, cycles_t when);
/* vgic_v4_put / vgic_v4_load: cpu's vPE descheduled (with its doorbell
 * armed) or scheduled.  Returns the hypervisor's cycles. */
cycles_t vgic_v4_put(struct vgic_v4 *v4, unsigned cpu, bool doorbell);
cycles_t vgic_v4_load(struct vgic_v4 *v4, unsigned cpu);
/* A vLPI or vSGI pending for cpu's vPE (resident or not) by `now`. */
bool vgic_v4_pending(struct vgic_v4 *v4, unsigned cpu, cycles_t now);
/* GICv4.1 vSGI to target (configuration of the guest's SGI from `cfg`). */
void vgic_v4_send_sgi(struct vgic_v4 *v4, unsigned target, uint32_t sgi, const struct gic_irq *cfg, cycles_t now);

#endif
