/* PSCI 1.1 (ARM DEN 0022D) and SMCCC 1.1 (ARM DEN 0028) as a hypervisor
 * implements them for its guest, as a pure state machine: it decides the
 * result and the power action, the caller carries the action out.
 * Knows no CPU engine.  CPU k has MPIDR affinity Aff1 = k / 16, Aff0 = k % 16
 * (clusters of 16, like QEMU virt with GICv3). */
#ifndef HVSIM_PLATFORM_PSCI_H
#define HVSIM_PLATFORM_PSCI_H
#include <stdbool.h>
#include <stdint.h>

enum psci_cpu_state { PSCI_CPU_OFF, PSCI_CPU_ON_PENDING, PSCI_CPU_ON };

enum psci_action {
	PSCI_ACT_NONE,
	PSCI_ACT_CPU_ON,        /* start `target` at `entry` with x0 = `context` */
	PSCI_ACT_CPU_OFF,       /* the caller powers down (no return) */
	PSCI_ACT_SUSPEND,       /* the caller waits as for WFI, then returns x0 */
	PSCI_ACT_SYSTEM_OFF,
	PSCI_ACT_SYSTEM_RESET,
};

struct psci_result {
	int64_t x0;
	enum psci_action act;
	unsigned target;
	uint64_t entry, context;
};

#define PSCI_MAX_CPUS 512

struct psci {
	unsigned ncpus;
	uint64_t ram_base, ram_size;   /* CPU_ON entry points must be in RAM */
	enum psci_cpu_state state[PSCI_MAX_CPUS];
	uint64_t calls, errors;        /* errors: calls that returned a PSCI error code */
};

void psci_init(struct psci *p, unsigned ncpus, uint64_t ram_base, uint64_t ram_size);
uint64_t psci_mpidr(unsigned cpu);   /* affinity fields only (no RES1 bit 31) */
/* Handles SMCCC function x[0] from `caller`.  Returns false if the function
 * is neither PSCI nor SMCCC_VERSION (the caller may try its own services). */
bool psci_call(struct psci *p, unsigned caller, const uint64_t x[4], struct psci_result *r);
/* The target of a CPU_ON has started executing. */
void psci_cpu_started(struct psci *p, unsigned cpu);

#endif
