/* The x86 machine: RAM from 0, 16550 COM1 at 0x3f8, isa-debug-exit at 0xf4,
 * application processors started through the ACPI multiprocessor wakeup
 * mailbox (platform/hvsim-abi.h).  The LAPIC/IOAPIC are not modelled yet:
 * CPUID reports no APIC and IA32_APIC_BASE does not exist (#GP). */
#ifndef HVSIM_PLATFORM_PC_H
#define HVSIM_PLATFORM_PC_H
#include "dev/uart16550.h"
#include "platform/machine.h"
#include "platform/virt.h"   /* struct hv_call */

enum msr_result {
	MSR_HANDLED,    /* value produced / write absorbed by the VMM */
	MSR_NATIVE,     /* architectural CPU state: let the CPU model perform it */
	MSR_GP,         /* no such MSR: inject #GP(0), as KVM does by default */
};

struct pc_cpu_msrs {
	uint64_t tsc_aux, misc_enable;
};

struct pc {
	struct machine m;
	struct uart16550 com1;
	struct { uint16_t command; uint32_t apic_id; uint64_t wakeup_vector; } mailbox;
	struct pc_cpu_msrs msr[MACHINE_MAX_CPUS];
	bool started[MACHINE_MAX_CPUS];
	cycles_t ap_wakeup_cycles;
	bool tsc_write_warned;   /* the guest was told once that TSC writes are ignored */
	uint64_t *st_hypercalls, *st_mailbox_errors, *st_msr_gp, *st_debug_exit;
};

extern const struct cfg_key pc_cfg_keys[];
extern const unsigned pc_cfg_nkeys;

int pc_create(struct pc *p, const struct cfg *c, struct stats *st, const struct elf_image *img);
void pc_destroy(struct pc *p);
void pc_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size);
/* CPUID leaf/subleaf as seen by vCPU `cpu`: out = EAX, EBX, ECX, EDX */
void pc_cpuid(const struct pc *p, unsigned cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
enum msr_result pc_rdmsr(struct pc *p, unsigned cpu, uint32_t msr, cycles_t now, uint64_t *val);
enum msr_result pc_wrmsr(struct pc *p, unsigned cpu, uint32_t msr, uint64_t val);
/* VMCALL: RAX = number, RBX = argument */
void pc_vmcall(struct pc *p, unsigned cpu, uint64_t rax, uint64_t rbx, cycles_t now, struct hv_call *out);

#endif
