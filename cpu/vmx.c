/* Intel VT-x exit and cost model.  See vmx.h. */
#include "cpu/vmx.h"

/* Defaults and their sources: designs/default-x86.ini */
const struct cfg_key vmx_cfg_keys[] = {
	{ "vmx", "procbased_ctls", CFG_U64, 0, 4294967295.0, NULL,
	  "primary processor-based VM-execution controls; consulted: HLT(7) RDTSC(12) UNCOND_IO(24) IO_BITMAPS(25) MSR_BITMAPS(28)" },
	{ "vmx", "mmio_spte_cache", CFG_BOOL, 0, 0, NULL,
	  "MMIO first faults as EPT_VIOLATION, then as EPT_MISCONFIG via a cached MMIO SPTE (KVM enable_mmio_caching)" },
	{ "vmx", "exit_cycles", CFG_U64, 0, 1e9, NULL, "VM exit: transition to root mode and guest state save" },
	{ "vmx", "entry_cycles", CFG_U64, 0, 1e9, NULL, "VM entry: guest state load and transition to non-root" },
	{ "vmx", "cpuid_cycles", CFG_U64, 0, 1e9, NULL, "handler: CPUID emulation" },
	{ "vmx", "hlt_cycles", CFG_U64, 0, 1e9, NULL, "handler: HLT (halt decision, not the idle time)" },
	{ "vmx", "rdtsc_cycles", CFG_U64, 0, 1e9, NULL, "handler: RDTSC when RDTSC exiting is on" },
	{ "vmx", "vmcall_cycles", CFG_U64, 0, 1e9, NULL, "handler: VMCALL hypercall dispatch" },
	{ "vmx", "io_cycles", CFG_U64, 0, 1e9, NULL, "handler: I/O instruction decode and dispatch in the kernel" },
	{ "vmx", "msr_read_cycles", CFG_U64, 0, 1e9, NULL, "handler: RDMSR emulation" },
	{ "vmx", "msr_write_cycles", CFG_U64, 0, 1e9, NULL, "handler: WRMSR emulation" },
	{ "vmx", "ept_violation_cycles", CFG_U64, 0, 1e9, NULL, "handler: EPT violation on MMIO (walk, install MMIO SPTE, decode)" },
	{ "vmx", "ept_misconfig_cycles", CFG_U64, 0, 1e9, NULL, "handler: EPT misconfiguration (cached MMIO fast path)" },
	{ "vmx", "triple_fault_cycles", CFG_U64, 0, 1e9, NULL, "handler: triple fault (VM shut down)" },
	{ "vmx", "user_cycles", CFG_U64, 0, 1e9, NULL, "extra: device emulated by the userspace VMM (exit to user and back)" },
};
const unsigned vmx_cfg_nkeys = sizeof vmx_cfg_keys / sizeof vmx_cfg_keys[0];

static const struct {
	const char *name;
	enum vmx_exit_reason reason;
	const char *key;
} exits[VMXX_COUNT] = {
	[VMXX_CPUID]          = { "CPUID",          EXIT_REASON_CPUID,          "cpuid_cycles" },
	[VMXX_HLT]            = { "HLT",            EXIT_REASON_HLT,            "hlt_cycles" },
	[VMXX_RDTSC]          = { "RDTSC",          EXIT_REASON_RDTSC,          "rdtsc_cycles" },
	[VMXX_VMCALL]         = { "VMCALL",         EXIT_REASON_VMCALL,         "vmcall_cycles" },
	[VMXX_IO_INSTRUCTION] = { "IO_INSTRUCTION", EXIT_REASON_IO_INSTRUCTION, "io_cycles" },
	[VMXX_MSR_READ]       = { "MSR_READ",       EXIT_REASON_MSR_READ,       "msr_read_cycles" },
	[VMXX_MSR_WRITE]      = { "MSR_WRITE",      EXIT_REASON_MSR_WRITE,      "msr_write_cycles" },
	[VMXX_EPT_VIOLATION]  = { "EPT_VIOLATION",  EXIT_REASON_EPT_VIOLATION,  "ept_violation_cycles" },
	[VMXX_EPT_MISCONFIG]  = { "EPT_MISCONFIG",  EXIT_REASON_EPT_MISCONFIG,  "ept_misconfig_cycles" },
	[VMXX_TRIPLE_FAULT]   = { "TRIPLE_FAULT",   EXIT_REASON_TRIPLE_FAULT,   "triple_fault_cycles" },
};

void vmx_init(struct vmx_model *m, const struct cfg *c)
{
	m->procbased_ctls = (uint32_t)cfg_u64(c, "vmx", "procbased_ctls");
	m->mmio_spte_cache = cfg_bool(c, "vmx", "mmio_spte_cache");
	m->exit_cycles = cfg_u64(c, "vmx", "exit_cycles");
	m->entry_cycles = cfg_u64(c, "vmx", "entry_cycles");
	m->user_cycles = cfg_u64(c, "vmx", "user_cycles");
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		m->handler[i] = cfg_u64(c, "vmx", exits[i].key);
}

const char *vmx_exit_name(enum vmx_exit x) { return exits[x].name; }
enum vmx_exit_reason vmx_exit_reason(enum vmx_exit x) { return exits[x].reason; }

bool vmx_exits_on_hlt(const struct vmx_model *m) { return m->procbased_ctls & CPU_BASED_HLT_EXITING; }
bool vmx_exits_on_rdtsc(const struct vmx_model *m) { return m->procbased_ctls & CPU_BASED_RDTSC_EXITING; }

bool vmx_exits_on_io(const struct vmx_model *m, uint16_t port)
{
	(void)port;
	/* With I/O bitmaps KVM intercepts every port (its bitmaps are all ones);
	 * without either control, IN/OUT never exit (SDM 26.1.3). */
	return m->procbased_ctls & (CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS);
}

bool vmx_exits_on_msr(const struct vmx_model *m, uint32_t msr, bool write)
{
	if (!(m->procbased_ctls & CPU_BASED_USE_MSR_BITMAPS))
		return true;
	switch (msr) {
	case 0x10:          /* IA32_TSC: reads pass through */
		return write;
	case 0x174:         /* IA32_SYSENTER_CS */
	case 0x175:         /* IA32_SYSENTER_ESP */
	case 0x176:         /* IA32_SYSENTER_EIP */
	case 0xC0000100:    /* IA32_FS_BASE */
	case 0xC0000101:    /* IA32_GS_BASE */
	case 0xC0000102:    /* IA32_KERNEL_GS_BASE */
		return false;
	}
	return true;
}

uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm)
{
	return (uint64_t)((size - 1) & 7) | (in ? 1u << 3 : 0) | (string ? 1u << 4 : 0) |
	       (rep ? 1u << 5 : 0) | (imm ? 1u << 6 : 0) | ((uint64_t)port << 16);
}

uint64_t vmx_qual_ept_violation(bool write, bool fetch)
{
	return fetch ? 1u << 2 : write ? 1u << 1 : 1u << 0;
}
