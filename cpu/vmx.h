/* Intel VT-x as the hypervisor sees it: which guest actions cause VM exits
 * under the VMCS controls, with which basic exit reason and qualification, and
 * what each costs.  Knows neither Unicorn nor traces.
 * Intel SDM Vol. 3C (Dec 2022): ch. 25 VMCS, ch. 26 VMX non-root operation,
 * ch. 28 VM exits, Appendix B field encodings, Appendix C exit reasons. */
#ifndef HVSIM_CPU_VMX_H
#define HVSIM_CPU_VMX_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/sim.h"

/* Basic exit reasons (Appendix C) */
enum vmx_exit_reason {
	EXIT_REASON_EXCEPTION_NMI   = 0,
	EXIT_REASON_TRIPLE_FAULT    = 2,
	EXIT_REASON_CPUID           = 10,
	EXIT_REASON_HLT             = 12,
	EXIT_REASON_RDTSC           = 16,
	EXIT_REASON_VMCALL          = 18,
	EXIT_REASON_IO_INSTRUCTION  = 30,
	EXIT_REASON_MSR_READ        = 31,
	EXIT_REASON_MSR_WRITE       = 32,
	EXIT_REASON_EPT_VIOLATION   = 48,
	EXIT_REASON_EPT_MISCONFIG   = 49,
};

/* VMCS field encodings (Appendix B) of the fields this model fills */
#define VMCS_MSR_BITMAP                 0x2004
#define VMCS_GUEST_PHYSICAL_ADDRESS     0x2400
#define VMCS_PRIMARY_PROCBASED_CTLS     0x4002
#define VMCS_VM_EXIT_REASON             0x4402
#define VMCS_VM_EXIT_INSTRUCTION_LEN    0x440C
#define VMCS_EXIT_QUALIFICATION         0x6400

/* Primary processor-based VM-execution controls (SDM 25.6.2, Table 25-6) */
#define CPU_BASED_HLT_EXITING           (1u << 7)
#define CPU_BASED_RDTSC_EXITING         (1u << 12)
#define CPU_BASED_UNCOND_IO_EXITING     (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS        (1u << 25)
#define CPU_BASED_USE_MSR_BITMAPS       (1u << 28)

/* The exits this model produces, in the order they are reported. */
enum vmx_exit {
	VMXX_CPUID,
	VMXX_HLT,
	VMXX_RDTSC,
	VMXX_VMCALL,
	VMXX_IO_INSTRUCTION,
	VMXX_MSR_READ,
	VMXX_MSR_WRITE,
	VMXX_EPT_VIOLATION,
	VMXX_EPT_MISCONFIG,
	VMXX_TRIPLE_FAULT,
	VMXX_COUNT
};

struct vmx_model {
	uint32_t procbased_ctls;
	bool mmio_spte_cache;            /* KVM caches MMIO in "misconfigured" SPTEs */
	cycles_t exit_cycles;            /* VM exit: hardware transition + state save */
	cycles_t entry_cycles;           /* VM entry: state load + hardware transition */
	cycles_t handler[VMXX_COUNT];
	cycles_t user_cycles;            /* extra round trip to the userspace VMM for an emulated device */
};

extern const struct cfg_key vmx_cfg_keys[];
extern const unsigned vmx_cfg_nkeys;
void vmx_init(struct vmx_model *m, const struct cfg *c);

const char *vmx_exit_name(enum vmx_exit x);
enum vmx_exit_reason vmx_exit_reason(enum vmx_exit x);

/* Exit decisions (SDM 26.1.2, 26.1.3) */
bool vmx_exits_on_hlt(const struct vmx_model *m);
bool vmx_exits_on_rdtsc(const struct vmx_model *m);
bool vmx_exits_on_io(const struct vmx_model *m, uint16_t port);
/* MSR bitmap: KVM's default for a 64-bit guest passes these through
 * (arch/x86/kvm/vmx/vmx.c, vmx_possible_passthrough_msrs). */
bool vmx_exits_on_msr(const struct vmx_model *m, uint32_t msr, bool write);

/* Exit qualifications */
/* I/O instruction (Table 28-5): size-1 [2:0], IN [3], string [4], REP [5],
 * immediate operand [6], port [31:16] */
uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm);
/* EPT violation (Table 28-7): read [0], write [1], fetch [2], entry R/W/X [5:3] (0: not present) */
uint64_t vmx_qual_ept_violation(bool write, bool fetch);

static inline cycles_t vmx_exit_cost(const struct vmx_model *m, enum vmx_exit x, bool user)
{
	return m->exit_cycles + m->handler[x] + m->entry_cycles + (user ? m->user_cycles : 0);
}

#endif
