/* Intel VT-x model: set-up from a design, control words, bitmaps, exit
 * classes and exit qualifications.  See vmx.h. */
#include "cpu/vmx.h"
#include <string.h>

#define U32MAX 4294967295.0
#define U64MAX 18446744073709551615.0

/* Defaults and their sources: designs/default-x86.ini */
const struct cfg_key vmx_cfg_keys[] = {
	{ "vmx", "pin_ctls", CFG_U64, 0, U32MAX, NULL, "pin-based VM-execution controls (SDM Table 25-5)" },
	{ "vmx", "procbased_ctls", CFG_U64, 0, U32MAX, NULL, "primary processor-based VM-execution controls (Table 25-6)" },
	{ "vmx", "procbased_ctls2", CFG_U64, 0, U32MAX, NULL,
	  "secondary processor-based VM-execution controls (Table 25-7), active with procbased_ctls bit 31" },
	{ "vmx", "procbased_ctls3", CFG_U64, 0, U64MAX, NULL,
	  "tertiary processor-based VM-execution controls (Table 25-8), active with procbased_ctls bit 17" },
	{ "vmx", "exit_ctls", CFG_U64, 0, U32MAX, NULL, "primary VM-exit controls (Table 25-13)" },
	{ "vmx", "entry_ctls", CFG_U64, 0, U32MAX, NULL, "VM-entry controls (Table 25-15)" },
	{ "vmx", "exception_bitmap", CFG_U64, 0, U32MAX, NULL, "exception bitmap: vectors that exit (25.6.3)" },
	{ "vmx", "cr0_guest_host_mask", CFG_U64, 0, U64MAX, NULL, "CR0 bits owned by the host (25.6.6)" },
	{ "vmx", "cr4_guest_host_mask", CFG_U64, 0, U64MAX, NULL, "CR4 bits owned by the host (25.6.6)" },
	{ "vmx", "misc", CFG_U64, 0, U64MAX, NULL,
	  "IA32_VMX_MISC (Appendix A.6): preemption-timer rate [4:0], VMWRITE to exit information [29], "
	  "injection with length 0 [30]" },
	{ "vmx", "mmio_spte_cache", CFG_BOOL, 0, 0, NULL,
	  "MMIO first faults as EPT_VIOLATION, then as EPT_MISCONFIG via a cached MMIO SPTE (KVM enable_mmio_caching)" },
	{ "vmx", "exit_cycles", CFG_U64, 0, 1e9, NULL, "VM exit: the hardware transition to root mode (guest state to the VMCS, host state loaded)" },
	{ "vmx", "save_cycles", CFG_U64, 0, 1e9, NULL,
	  "after each VM exit: the hypervisor saves guest GPRs, refills the RSB and reads the exit information" },
	{ "vmx", "restore_cycles", CFG_U64, 0, 1e9, NULL,
	  "before each VM entry: the hypervisor's request checks, VMCS updates, guest GPR load, CPU-buffer clearing" },
	{ "vmx", "entry_cycles", CFG_U64, 0, 1e9, NULL, "VM entry: the hardware transition to non-root (checks, guest state loaded)" },
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
	{ "vmx", "cr_access_cycles", CFG_U64, 0, 1e9, NULL, "handler: control-register access (MOV CR8 without TPR shadow: TPR update)" },
	{ "vmx", "user_cycles", CFG_U64, 0, 1e9, NULL, "extra: device emulated by the userspace VMM (exit to user and back)" },
	{ "vmx", "fastpath_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: an exit KVM completes in its fastpath, interrupts off, re-entering at once (x2APIC ICR write)" },
};
const unsigned vmx_cfg_nkeys = sizeof vmx_cfg_keys / sizeof vmx_cfg_keys[0];

static const struct {
	enum vmx_exit_reason reason;
	const char *key;
} classes[VMXX_COUNT] = {
	[VMXX_CPUID]          = { EXIT_REASON_CPUID,          "cpuid_cycles" },
	[VMXX_HLT]            = { EXIT_REASON_HLT,            "hlt_cycles" },
	[VMXX_RDTSC]          = { EXIT_REASON_RDTSC,          "rdtsc_cycles" },
	[VMXX_VMCALL]         = { EXIT_REASON_VMCALL,         "vmcall_cycles" },
	[VMXX_IO_INSTRUCTION] = { EXIT_REASON_IO_INSTRUCTION, "io_cycles" },
	[VMXX_MSR_READ]       = { EXIT_REASON_MSR_READ,       "msr_read_cycles" },
	[VMXX_MSR_WRITE]      = { EXIT_REASON_MSR_WRITE,      "msr_write_cycles" },
	[VMXX_EPT_VIOLATION]  = { EXIT_REASON_EPT_VIOLATION,  "ept_violation_cycles" },
	[VMXX_EPT_MISCONFIG]  = { EXIT_REASON_EPT_MISCONFIG,  "ept_misconfig_cycles" },
	[VMXX_TRIPLE_FAULT]   = { EXIT_REASON_TRIPLE_FAULT,   "triple_fault_cycles" },
	[VMXX_CR_ACCESS]      = { EXIT_REASON_CR_ACCESS,      "cr_access_cycles" },
};

/* Design key -> VMCS field */
static const struct {
	const char *key;
	uint32_t enc;
} ctl_keys[] = {
	{ "pin_ctls", VMCS_PIN_BASED_VM_EXEC_CONTROL },
	{ "procbased_ctls", VMCS_CPU_BASED_VM_EXEC_CONTROL },
	{ "procbased_ctls2", VMCS_SECONDARY_VM_EXEC_CONTROL },
	{ "procbased_ctls3", VMCS_TERTIARY_VM_EXEC_CONTROL },
	{ "exit_ctls", VMCS_VM_EXIT_CONTROLS },
	{ "entry_ctls", VMCS_VM_ENTRY_CONTROLS },
	{ "exception_bitmap", VMCS_EXCEPTION_BITMAP },
	{ "cr0_guest_host_mask", VMCS_CR0_GUEST_HOST_MASK },
	{ "cr4_guest_host_mask", VMCS_CR4_GUEST_HOST_MASK },
};

void vmx_reset(struct vmx_model *m)
{
	memset(m, 0, sizeof *m);
	memset(m->io_bitmap, 0xff, sizeof m->io_bitmap);
	vmx_msr_kvm_passthrough(m);
}

void vmx_init(struct vmx_model *m, const struct cfg *c)
{
	vmx_reset(m);
	for (unsigned i = 0; i < sizeof ctl_keys / sizeof ctl_keys[0]; i++)
		vmcs_set(&m->vmcs, ctl_keys[i].enc, cfg_u64(c, "vmx", ctl_keys[i].key));
	m->misc = cfg_u64(c, "vmx", "misc");
	/* KVM's first VPID (allocate_vpid: 0 is the host's); per-vCPU VPIDs are the caller's */
	vmcs_set(&m->vmcs, VMCS_VIRTUAL_PROCESSOR_ID, 1);
	m->mmio_spte_cache = cfg_bool(c, "vmx", "mmio_spte_cache");
	m->exit_cycles = cfg_u64(c, "vmx", "exit_cycles");
	m->entry_cycles = cfg_u64(c, "vmx", "entry_cycles");
	m->save_cycles = cfg_u64(c, "vmx", "save_cycles");
	m->restore_cycles = cfg_u64(c, "vmx", "restore_cycles");
	m->user_cycles = cfg_u64(c, "vmx", "user_cycles");
	m->fastpath_cycles = cfg_u64(c, "vmx", "fastpath_cycles");
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		m->handler[i] = cfg_u64(c, "vmx", classes[i].key);
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		for (unsigned u = 0; u < 2; u++)
			vmx_exit_parts(m, i, u, &m->fixed[i][u]);
}

const char *vmx_exit_name(enum vmx_exit x) { return vmx_reason_name(classes[x].reason); }
enum vmx_exit_reason vmx_exit_reason(enum vmx_exit x) { return classes[x].reason; }

enum vmx_exit vmx_exit_class(unsigned r)
{
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		if (classes[i].reason == r)
			return (enum vmx_exit)i;
	return VMXX_COUNT;
}

uint32_t vmx_pin(const struct vmx_model *m) { return (uint32_t)vmcs_get(&m->vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL); }
uint32_t vmx_primary(const struct vmx_model *m) { return (uint32_t)vmcs_get(&m->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL); }
uint32_t vmx_exit_ctls(const struct vmx_model *m) { return (uint32_t)vmcs_get(&m->vmcs, VMCS_VM_EXIT_CONTROLS); }

uint32_t vmx_secondary(const struct vmx_model *m)
{
	if (!(vmx_primary(m) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return 0;
	return (uint32_t)vmcs_get(&m->vmcs, VMCS_SECONDARY_VM_EXEC_CONTROL);
}

uint64_t vmx_tertiary(const struct vmx_model *m)
{
	if (!(vmx_primary(m) & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS))
		return 0;
	return vmcs_get(&m->vmcs, VMCS_TERTIARY_VM_EXEC_CONTROL);
}

/* ---- control checks (27.2.1.1) ---- */
static const char *const ctls_err_names[] = {
	[VMX_CTLS_OK] = "ok",
	[VMX_CTLS_VNMI_WITHOUT_NMI_EXITING] = "virtual NMIs without NMI exiting",
	[VMX_CTLS_NMI_WINDOW_WITHOUT_VNMI] = "NMI-window exiting without virtual NMIs",
	[VMX_CTLS_APICV_WITHOUT_TPR_SHADOW] = "x2APIC mode, APIC-register virtualization or virtual-interrupt delivery without TPR shadow",
	[VMX_CTLS_X2APIC_AND_APIC_ACCESSES] = "virtualize x2APIC mode together with virtualize APIC accesses",
	[VMX_CTLS_VID_WITHOUT_EXT_INTR_EXITING] = "virtual-interrupt delivery without external-interrupt exiting",
	[VMX_CTLS_POSTED_WITHOUT_VID_OR_ACK] = "posted interrupts without virtual-interrupt delivery or acknowledge interrupt on exit",
	[VMX_CTLS_POSTED_BAD_VECTOR] = "posted-interrupt notification vector above 255",
	[VMX_CTLS_VPID_ZERO] = "enable VPID with VPID 0",
	[VMX_CTLS_UG_WITHOUT_EPT] = "unrestricted guest without EPT",
	[VMX_CTLS_PML_WITHOUT_EPT] = "PML without EPT",
	[VMX_CTLS_SAVE_TIMER_WITHOUT_TIMER] = "save VMX-preemption timer value without the timer",
	[VMX_CTLS_TPR_THRESHOLD_RESERVED] = "TPR threshold bits 31:4 set without virtual-interrupt delivery",
};

const char *vmx_ctls_err_name(enum vmx_ctls_err e)
{
	return (unsigned)e < sizeof ctls_err_names / sizeof ctls_err_names[0] ? ctls_err_names[e] : "?";
}

static enum vmx_ctls_err check_apic_ctls(const struct vmx_model *m, uint32_t pin, uint32_t p, uint32_t s)
{
	const uint32_t apicv = SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE | SECONDARY_EXEC_APIC_REGISTER_VIRT |
			       SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY;
	if (!(p & CPU_BASED_TPR_SHADOW) && s & apicv)
		return VMX_CTLS_APICV_WITHOUT_TPR_SHADOW;
	if (s & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE && s & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES)
		return VMX_CTLS_X2APIC_AND_APIC_ACCESSES;
	if (s & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY && !(pin & PIN_BASED_EXT_INTR_MASK))
		return VMX_CTLS_VID_WITHOUT_EXT_INTR_EXITING;
	if (pin & PIN_BASED_POSTED_INTR) {
		if (!(s & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) || !(vmx_exit_ctls(m) & VM_EXIT_ACK_INTR_ON_EXIT))
			return VMX_CTLS_POSTED_WITHOUT_VID_OR_ACK;
		if (vmcs_get(&m->vmcs, VMCS_POSTED_INTR_NV) >> 8)
			return VMX_CTLS_POSTED_BAD_VECTOR;
	}
	if (p & CPU_BASED_TPR_SHADOW && !(s & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) &&
	    vmcs_get(&m->vmcs, VMCS_TPR_THRESHOLD) >> 4)
		return VMX_CTLS_TPR_THRESHOLD_RESERVED;
	return VMX_CTLS_OK;
}

enum vmx_ctls_err vmx_check_controls(const struct vmx_model *m)
{
	uint32_t pin = vmx_pin(m), p = vmx_primary(m), s = vmx_secondary(m);
	if (pin & PIN_BASED_VIRTUAL_NMIS && !(pin & PIN_BASED_NMI_EXITING))
		return VMX_CTLS_VNMI_WITHOUT_NMI_EXITING;
	if (p & CPU_BASED_NMI_WINDOW_EXITING && !(pin & PIN_BASED_VIRTUAL_NMIS))
		return VMX_CTLS_NMI_WINDOW_WITHOUT_VNMI;
	enum vmx_ctls_err e = check_apic_ctls(m, pin, p, s);
	if (e != VMX_CTLS_OK)
		return e;
	if (s & SECONDARY_EXEC_ENABLE_VPID && !vmcs_get(&m->vmcs, VMCS_VIRTUAL_PROCESSOR_ID))
		return VMX_CTLS_VPID_ZERO;
	if (s & SECONDARY_EXEC_UNRESTRICTED_GUEST && !(s & SECONDARY_EXEC_ENABLE_EPT))
		return VMX_CTLS_UG_WITHOUT_EPT;
	if (s & SECONDARY_EXEC_ENABLE_PML && !(s & SECONDARY_EXEC_ENABLE_EPT))
		return VMX_CTLS_PML_WITHOUT_EPT;
	if (vmx_exit_ctls(m) & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER && !(pin & PIN_BASED_VMX_PREEMPTION_TIMER))
		return VMX_CTLS_SAVE_TIMER_WITHOUT_TIMER;
	return VMX_CTLS_OK;
}

/* ---- bitmaps ---- */
static void set_bit(uint8_t *map, unsigned n, bool on)
{
	if (on)
		map[n / 8] |= (uint8_t)(1u << (n % 8));
	else
		map[n / 8] &= (uint8_t)~(1u << (n % 8));
}

void vmx_io_intercept(struct vmx_model *m, uint16_t port, bool on)
{
	set_bit(m->io_bitmap[port >> 15], port & 0x7fff, on);
}

/* Byte offset of the 1 KiB quarter of the MSR bitmap covering msr, or -1 */
static int msr_quarter(uint32_t msr, bool write)
{
	int base = write ? 2048 : 0;
	if (msr <= 0x1fff)
		return base;
	if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		return base + 1024;
	return -1;
}

void vmx_msr_intercept(struct vmx_model *m, uint32_t msr, bool write, bool on)
{
	int q = msr_quarter(msr, write);
	if (q >= 0)
		set_bit(m->msr_bitmap + q, msr & 0x1fff, on);
}

void vmx_msr_kvm_passthrough(struct vmx_model *m)
{
	static const uint32_t rw[] = { 0x174, 0x175, 0x176, 0xc0000100, 0xc0000101, 0xc0000102 };
	memset(m->msr_bitmap, 0xff, sizeof m->msr_bitmap);
	for (unsigned i = 0; i < sizeof rw / sizeof rw[0]; i++) {
		vmx_msr_intercept(m, rw[i], false, false);
		vmx_msr_intercept(m, rw[i], true, false);
	}
	vmx_msr_intercept(m, 0x10, false, false);   /* IA32_TSC: reads only */
}

/* ---- shorthands ---- */
static bool exits(const struct vmx_model *m, struct vmx_event *e)
{
	struct vmx_exit_info x;
	return vmx_decide(m, e, &x);
}

bool vmx_exits_on_hlt(const struct vmx_model *m) { return exits(m, &(struct vmx_event){ .kind = VMX_EV_HLT }); }
bool vmx_exits_on_rdtsc(const struct vmx_model *m) { return exits(m, &(struct vmx_event){ .kind = VMX_EV_RDTSC }); }

bool vmx_exits_on_io(const struct vmx_model *m, uint16_t port)
{
	return exits(m, &(struct vmx_event){ .kind = VMX_EV_IO, .io = { .port = port, .size = 1 } });
}

bool vmx_exits_on_msr(const struct vmx_model *m, uint32_t msr, bool write)
{
	return exits(m, &(struct vmx_event){ .kind = write ? VMX_EV_MSR_WRITE : VMX_EV_MSR_READ, .msr = { msr } });
}

/* ---- exit qualifications ---- */
FIELD(QUAL_IO, SIZE, 0, 3)
FIELD(QUAL_IO, IN, 3, 1)
FIELD(QUAL_IO, STRING, 4, 1)
FIELD(QUAL_IO, REP, 5, 1)
FIELD(QUAL_IO, IMM, 6, 1)
FIELD(QUAL_IO, PORT, 16, 16)

uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm)
{
	uint64_t q = FIELD_DP(0, QUAL_IO, SIZE, size - 1);
	q = FIELD_DP(q, QUAL_IO, IN, in);
	q = FIELD_DP(q, QUAL_IO, STRING, string);
	q = FIELD_DP(q, QUAL_IO, REP, rep);
	q = FIELD_DP(q, QUAL_IO, IMM, imm);
	return FIELD_DP(q, QUAL_IO, PORT, port);
}

FIELD(QUAL_CR, NUM, 0, 4)
FIELD(QUAL_CR, TYPE, 4, 2)
FIELD(QUAL_CR, LMSW_MEM, 6, 1)
FIELD(QUAL_CR, GPR, 8, 4)
FIELD(QUAL_CR, LMSW_SRC, 16, 16)

uint64_t vmx_qual_cr(unsigned cr, enum vmx_cr_access type, unsigned gpr, bool lmsw_mem, uint16_t lmsw_src)
{
	uint64_t q = FIELD_DP(0, QUAL_CR, NUM, cr);
	q = FIELD_DP(q, QUAL_CR, TYPE, type);
	if (type == VMX_CR_LMSW)
		return FIELD_DP(FIELD_DP(q, QUAL_CR, LMSW_MEM, lmsw_mem), QUAL_CR, LMSW_SRC, lmsw_src);
	if (type == VMX_CR_CLTS)
		return q;
	return FIELD_DP(q, QUAL_CR, GPR, gpr);
}

FIELD(QUAL_DR, NUM, 0, 3)
FIELD(QUAL_DR, FROM, 4, 1)
FIELD(QUAL_DR, GPR, 8, 4)

uint64_t vmx_qual_dr(unsigned dr, bool from_dr, unsigned gpr)
{
	return FIELD_DP(FIELD_DP(FIELD_DP(0, QUAL_DR, NUM, dr), QUAL_DR, FROM, from_dr), QUAL_DR, GPR, gpr);
}

FIELD(QUAL_APIC, OFFSET, 0, 12)
FIELD(QUAL_APIC, TYPE, 12, 4)
FIELD(QUAL_APIC, ASYNC, 16, 1)

uint64_t vmx_qual_apic_access(uint16_t offset, enum vmx_apic_access type, bool async)
{
	/* Guest-physical accesses (types 10, 15) report no offset */
	bool linear = type <= VMX_APIC_LINEAR_EVENT;
	uint64_t q = FIELD_DP(0, QUAL_APIC, OFFSET, linear ? offset : 0);
	return FIELD_DP(FIELD_DP(q, QUAL_APIC, TYPE, type), QUAL_APIC, ASYNC, async);
}

uint64_t vmx_qual_ept_violation(bool write, bool fetch)
{
	return fetch ? EPT_VIOLATION_ACC_INSTR : write ? EPT_VIOLATION_ACC_WRITE : EPT_VIOLATION_ACC_READ;
}

uint32_t vmx_intr_info(unsigned vector, enum vmx_intr_type type, bool deliver_code)
{
	uint64_t v = FIELD_DP(0, VMX_INTR_INFO, VECTOR, vector);
	v = FIELD_DP(v, VMX_INTR_INFO, TYPE, type);
	v = FIELD_DP(v, VMX_INTR_INFO, DELIVER_CODE, deliver_code);
	return (uint32_t)FIELD_DP(v, VMX_INTR_INFO, VALID, 1);
}

static const char *const part_names[VMXP_COUNT] = {
	[VMXP_EXIT] = "exit", [VMXP_SAVE] = "save", [VMXP_HANDLER] = "handler", [VMXP_APIC] = "apic",
	[VMXP_USER] = "user", [VMXP_RESTORE] = "restore", [VMXP_ENTRY] = "entry",
};
const char *vmx_part_name(enum vmx_part p) { return part_names[p]; }

void vmx_switch_parts(const struct vmx_model *m, struct cost *c)
{
	cost_clear(c);
	c->part[VMXP_EXIT] = m->exit_cycles;
	c->part[VMXP_SAVE] = m->save_cycles;
	c->part[VMXP_RESTORE] = m->restore_cycles;
	c->part[VMXP_ENTRY] = m->entry_cycles;
}

void vmx_exit_parts(const struct vmx_model *m, enum vmx_exit x, bool user, struct cost *c)
{
	vmx_switch_parts(m, c);
	c->part[VMXP_HANDLER] = m->handler[x];
	c->part[VMXP_USER] = user ? m->user_cycles : 0;
}

void vmx_fastpath_parts(const struct vmx_model *m, struct cost *c) { c->part[VMXP_HANDLER] = m->fastpath_cycles; }

/* KVM handle_fastpath_set_x2apic_icr_irqoff: an x2APIC ICR write (MSR
 * 830H) of a fixed, physical-destination IPI without shorthand, not the
 * broadcast ID.  ICR fields: SDM Vol. 3A 10.12.9 (Figure 10-28). */
bool vmx_msr_fastpath(uint32_t msr, uint64_t val)
{
	return msr == 0x830 && !(val >> 18 & 3) && !(val >> 11 & 1) && !(val >> 8 & 7) && val >> 32 != 0xffffffffu;
}

cycles_t vmx_handler_time(const struct cost *c)
{
	return c->part[VMXP_EXIT] + c->part[VMXP_SAVE] + c->part[VMXP_HANDLER] + c->part[VMXP_USER];
}
