/* The ARM machine, following QEMU "virt": RAM at 0x40000000, PL011 at
 * 0x09000000, a devicetree in x0, PSCI over HVC.  The GIC and the generic
 * timer's interrupt are not modelled yet (see docs/architecture.md). */
#ifndef HVSIM_PLATFORM_VIRT_H
#define HVSIM_PLATFORM_VIRT_H
#include "dev/pl011.h"
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

struct virt {
	struct machine m;
	struct pl011 uart;
	struct psci psci;
	uint64_t cntfrq_hz;
	cycles_t cpu_on_cycles;
	void *dtb;
	uint64_t dtb_addr, dtb_size;
	uint64_t *st_hypercalls, *st_psci_calls, *st_psci_errors, *st_unknown_calls;
};

extern const struct cfg_key virt_cfg_keys[];
extern const unsigned virt_cfg_nkeys;

/* Builds the machine and loads `img` (which elf_load checked against
 * virt_ram_window()).  -1 + err_set on failure. */
int virt_create(struct virt *v, const struct cfg *c, struct stats *st, const struct elf_image *img);
void virt_destroy(struct virt *v);
void virt_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size);
/* SMCCC call (HVC or SMC) from `caller` with x0..x3 at simulated time `now`. */
void virt_smccc(struct virt *v, unsigned caller, const uint64_t x[4], cycles_t now, struct hv_call *out);
/* Generic timer count for a vCPU clock (CNTVCT_EL0 with CNTVOFF_EL2 = 0). */
uint64_t virt_cntvct(const struct virt *v, cycles_t clock);
/* First cycle at which CNTVCT_EL0 >= cval. */
cycles_t virt_cycles_at_count(const struct virt *v, uint64_t cval);

#endif
