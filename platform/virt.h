/* The ARM machine, following QEMU "virt": RAM at 0x40000000, PL011 at
 * 0x09000000, a GICv3 (Distributor 0x08000000, Redistributors 0x080A0000,
 * emulated in the kernel by the modelled KVM) with the generic timers on
 * PPIs 27 and 30, an ITS (0x08080000) for LPIs, a devicetree in x0, PSCI
 * over HVC (see docs/architecture.md). */
#ifndef HVSIM_PLATFORM_VIRT_H
#define HVSIM_PLATFORM_VIRT_H
#include "dev/arch_timer.h"
#include "dev/msidev.h"
#include "dev/pl011.h"
#include "gic/its.h"
#include "gic/vgic.h"
#include "platform/machine.h"
#include "platform/psci.h"

enum hv_action {
	HV_NONE,
	HV_CPU_OFF,     /* the calling vCPU powers off */
	HV_WAIT,        /* the calling vCPU waits as for WFI */
	HV_STOP,        /* the machine stops; status in hv_call.status */
};

struct hv_call {
	uint64_t ret;           /* x0 / RAX */
	enum hv_action act;
	int status;
};

struct virt;
enum virt_irq_cause { VIRT_IRQ_TIMER, VIRT_IRQ_KICK, VIRT_IRQ_MAINTENANCE, VIRT_IRQ_CAUSES };
/* Per-vCPU state of the interrupt glue (virt_irq.c). */
struct virt_irq_cpu {
	struct virt *v;
	unsigned id;
	bool seen[ARCH_TIMER_COUNT];   /* the hypervisor has handled this timer's current assertion */
	bool in_hyp;                   /* blocked in the hypervisor since the last poll */
	cycles_t kick_at;              /* a kick IPI is due (UINT64_MAX: none) */
	bool kick_msi;                 /* that kick is for a device's MSI (kick_devid, kick_event) */
	bool exit_msi;                 /* the last poll's IRQ exit was that kick */
	uint32_t kick_devid, kick_event;
	cycles_t hyp_cycles;           /* hypervisor work (GICv4 residency) charged at the next entry */
	cycles_t res_pending, res_charged;   /* of it, GICv4 residency: to charge, charged (for the exit trace) */
	bool woke_msi;                 /* woken from a block by a device MSI's kick (kick_devid, kick_event) */
	cycles_t wait_from;            /* waiting for an interrupt since (UINT64_MAX: not waiting) */
	bool wait_in_hyp;
	/* The last poll found nothing and set check_at to this; until then a
	 * poll finds the same (nothing it reads has changed: every change
	 * sets 0), so the entry after an exit skips it (irq_poll). */
	cycles_t quiet_until;
};

struct virt {
	struct machine m;
	struct pl011 uart;
	struct psci psci;
	uint64_t cntfrq_hz;
	cycles_t cpu_on_cycles;
	uint64_t dtb_seed;   /* virt.dtb_seed: /chosen kaslr-seed and rng-seed (0: none) */
	void *dtb;
	uint64_t dtb_addr, dtb_size;
	uint64_t initrd_start, initrd_end;   /* [start, end): the initrd, if any */
	const struct virt_boot *boot;
	uint64_t *st_hypercalls, *st_psci_calls, *st_psci_errors, *st_unknown_calls;
	/* interrupts: GIC, generic timers, the machine's irq_ctrl (virt_irq.c) */
	struct vgic gic;
	struct its its;
	struct arch_counter counter;
	struct arch_timers timers[MACHINE_MAX_CPUS];
	struct virt_irq_cpu irqcpu[MACHINE_MAX_CPUS];
	struct irq_ctrl irqc;
	cycles_t wakeup_cycles;
	/* the MSI device (a passed-through VF: with GICv4 its MSIs are forwarded) */
	struct msidev msidev;
	bool in_device;                /* the GIC is driven by a device's MSI, not a vCPU */
	uint32_t msi_devid, msi_event; /* that MSI's DeviceID and EventID */
	cycles_t device_time;          /* that MSI's time */
	bool in_handler;               /* the GIC is driven by an exit's handler (a trapped access) */
	cycles_t handler_time;         /* that handler's start: the vCPU's clock less exit_tail */
	cycles_t exit_tail;            /* an exit's cycles after its handler (el2_exit_tail) */
	uint64_t *st_timer_fired[ARCH_TIMER_COUNT], *st_irq_exits[VIRT_IRQ_CAUSES], *st_wakeups;
	uint64_t *st_wait_cycles[2];   /* waited in hardware (the physical CPU kept by the guest) / blocked in the hypervisor */
};

extern const struct cfg_key virt_cfg_keys[];
extern const unsigned virt_cfg_nkeys;

/* Builds the machine and loads `img` (which elf_load checked against
 * virt_ram_window()).  -1 + err_set on failure. */
int virt_create(struct virt *v, const struct cfg *c, struct stats *st, const struct elf_image *img);
/* How the image is booted, as QEMU's boot stub does (hw/arm/boot.c).  With
 * an initrd or a raw image, the initrd goes to RAM + min(RAM / 2, 128 MiB)
 * (or above the image if that is higher, 4 KiB aligned) and the DTB to the
 * next 2 MiB boundary after it; otherwise the DTB goes to the first 2 MiB
 * boundary above the image. */
struct virt_boot {
	const char *bootargs;        /* /chosen/bootargs (NULL: empty) */
	const uint8_t *initrd;       /* linux,initrd-start/-end; NULL: none */
	size_t initrd_size;
	bool raw;                    /* a raw image: QEMU's placement even without initrd */
	bool semihosting;            /* HLT #0xF000 is an Arm semihosting call (platform/semihost.h) */
	/* --dtb: the user's devicetree instead of the generated one; /chosen
	 * gets bootargs and the initrd as above, and every way it does not
	 * describe the modelled machine is reported (log_warn) */
	const void *dtb;
	size_t dtb_size;
	const char *dtb_name;
};
int virt_create_boot(struct virt *v, const struct cfg *c, struct stats *st, const struct elf_image *img,
		     const struct virt_boot *boot);
void virt_destroy(struct virt *v);
void virt_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size);
/* SMCCC call (HVC or SMC) from `caller` with x0..x3 at simulated time `now`. */
void virt_smccc(struct virt *v, unsigned caller, const uint64_t x[4], cycles_t now, struct hv_call *out);
/* GIC, timers and m.irqc (virt_irq.c); called by virt_create. */
int virt_irq_init(struct virt *v, const struct cfg *c, struct stats *st);
/* An MSI from a device model (the msi_write(ctx, addr, data, requester_id)
 * callback of dev/msidev, ctx = the struct virt): a 32-bit write of `data`
 * to guest-physical `addr` with the requester's DeviceID as side-band.  A
 * write to GITS_TRANSLATER becomes its_translate(DeviceID, EventID = data);
 * any other address is not an MSI doorbell on this machine (counted as an
 * ITS register error).  The ITS's work runs in the host's irqfd context, not
 * on a vCPU: its cycles are not charged to a vCPU.  Returns true when an
 * LPI was made pending. */
bool virt_msi_write(void *ctx, uint64_t addr, uint32_t data, uint32_t requester_id);
/* The same at simulated time `when`, as dev/msidev's msi_write callback.
 * Without GICv4 the MSI reaches the guest's ITS through the host (VFIO
 * handler, eventfd, KVM irqfd: [gic] irqfd_cycles later) and the target is
 * kicked; with GICv4 a forwarded event goes to the host's ITS (gic/vgic_v4.h):
 * direct injection or a doorbell. */
void virt_device_msi(void *ctx, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when);
/* Generic timer count for a vCPU clock (CNTVCT_EL0 with CNTVOFF_EL2 = 0). */
uint64_t virt_cntvct(const struct virt *v, cycles_t clock);
/* Was cpu's last IRQ exit the kick for a device's MSI (under GICv3, or an
 * event not forwarded)?  Its DeviceID and EventID, for the exit trace. */
bool virt_irq_kick_msi(const struct virt *v, unsigned cpu, uint32_t *devid, uint32_t *event);
/* Since the last call: was cpu woken from a wait in the hypervisor by the
 * kick for a device's MSI (its DeviceID and EventID), and the GICv4
 * residency cycles (vgic_v4_put/load) charged to it.  For the exit trace. */
bool virt_irq_wait_note(struct virt *v, unsigned cpu, uint32_t *devid, uint32_t *event, cycles_t *residency);
/* Of the list registers cpu's last flush wrote (irq_ctrl saved_lrs), those
 * holding an LPI of a passed-through device (the MSI device's DeviceIDs):
 * a GICv4 would deliver them as vLPIs, without a list register. */
unsigned virt_irq_saved_device_lpis(struct virt *v, unsigned cpu);
/* First cycle at which CNTVCT_EL0 >= cval. */
cycles_t virt_cycles_at_count(const struct virt *v, uint64_t cval);

#endif
