/* KVM's names for exits, keyed by number: the x86 exit reasons as the
 * kvm_exit tracepoint prints them (VMX_EXIT_REASONS, arch/x86/include/uapi/
 * asm/vmx.h; SVM_EXIT_REASONS, asm/svm.h, taken from the print fmt of a
 * 6.18 host: shared/traces-reference/tracepoint_formats/kvm_exit.format),
 * the arm64 exception classes (kvm_arm_exception_class, asm/kvm_arm.h) and
 * exception types (kvm_arm_exception_type, asm/kvm_asm.h), and the kvm_apic
 * register and delivery-mode names.  To be merged with cpu/vmx's and
 * cpu/el2's tables once those carry every reason. */
#include <stdio.h>
#include <string.h>

#include "traces/trace.h"

struct trace_name {
	uint32_t num;
	const char *name;
};

/* VMX basic exit reasons (SDM Vol. 3C, Appendix C), KVM's spelling. */
static const struct trace_name vmx_names[] = {
	{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" }, { 2, "TRIPLE_FAULT" }, { 3, "INIT_SIGNAL" },
	{ 4, "SIPI_SIGNAL" }, { 7, "INTERRUPT_WINDOW" }, { 8, "NMI_WINDOW" }, { 9, "TASK_SWITCH" }, { 10, "CPUID" },
	{ 12, "HLT" }, { 13, "INVD" }, { 14, "INVLPG" }, { 15, "RDPMC" }, { 16, "RDTSC" }, { 18, "VMCALL" },
	{ 19, "VMCLEAR" }, { 20, "VMLAUNCH" }, { 21, "VMPTRLD" }, { 22, "VMPTRST" }, { 23, "VMREAD" },
	{ 24, "VMRESUME" }, { 25, "VMWRITE" }, { 26, "VMOFF" }, { 27, "VMON" }, { 28, "CR_ACCESS" },
	{ 29, "DR_ACCESS" }, { 30, "IO_INSTRUCTION" }, { 31, "MSR_READ" }, { 32, "MSR_WRITE" },
	{ 33, "INVALID_STATE" }, { 34, "MSR_LOAD_FAIL" }, { 36, "MWAIT_INSTRUCTION" }, { 37, "MONITOR_TRAP_FLAG" },
	{ 39, "MONITOR_INSTRUCTION" }, { 40, "PAUSE_INSTRUCTION" }, { 41, "MCE_DURING_VMENTRY" },
	{ 43, "TPR_BELOW_THRESHOLD" }, { 44, "APIC_ACCESS" }, { 45, "EOI_INDUCED" }, { 46, "GDTR_IDTR" },
	{ 47, "LDTR_TR" }, { 48, "EPT_VIOLATION" }, { 49, "EPT_MISCONFIG" }, { 50, "INVEPT" }, { 51, "RDTSCP" },
	{ 52, "PREEMPTION_TIMER" }, { 53, "INVVPID" }, { 54, "WBINVD" }, { 55, "XSETBV" }, { 56, "APIC_WRITE" },
	{ 57, "RDRAND" }, { 58, "INVPCID" }, { 59, "VMFUNC" }, { 60, "ENCLS" }, { 61, "RDSEED" },
	{ 62, "PML_FULL" }, { 63, "XSAVES" }, { 64, "XRSTORS" }, { 67, "UMWAIT" }, { 68, "TPAUSE" },
	{ 74, "BUS_LOCK" }, { 75, "NOTIFY" }, { 77, "TDCALL" }, { 84, "MSR_READ_IMM" }, { 85, "MSR_WRITE_IMM" },
};

/* SVM exit codes (AMD APM Vol. 2, Appendix C), KVM's spelling; -1 is
 * invalid_guest_state. */
static const struct trace_name svm_names[] = {
	{ 0x0, "read_cr0" }, { 0x2, "read_cr2" }, { 0x3, "read_cr3" }, { 0x4, "read_cr4" }, { 0x8, "read_cr8" },
	{ 0x10, "write_cr0" }, { 0x12, "write_cr2" }, { 0x13, "write_cr3" }, { 0x14, "write_cr4" },
	{ 0x18, "write_cr8" }, { 0x20, "read_dr0" }, { 0x21, "read_dr1" }, { 0x22, "read_dr2" },
	{ 0x23, "read_dr3" }, { 0x24, "read_dr4" }, { 0x25, "read_dr5" }, { 0x26, "read_dr6" },
	{ 0x27, "read_dr7" }, { 0x30, "write_dr0" }, { 0x31, "write_dr1" }, { 0x32, "write_dr2" },
	{ 0x33, "write_dr3" }, { 0x34, "write_dr4" }, { 0x35, "write_dr5" }, { 0x36, "write_dr6" },
	{ 0x37, "write_dr7" }, { 0x40, "DE excp" }, { 0x41, "DB excp" }, { 0x43, "BP excp" }, { 0x44, "OF excp" },
	{ 0x45, "BR excp" }, { 0x46, "UD excp" }, { 0x47, "NM excp" }, { 0x48, "DF excp" }, { 0x4a, "TS excp" },
	{ 0x4b, "NP excp" }, { 0x4c, "SS excp" }, { 0x4d, "GP excp" }, { 0x4e, "PF excp" }, { 0x50, "MF excp" },
	{ 0x51, "AC excp" }, { 0x52, "MC excp" }, { 0x53, "XF excp" }, { 0x60, "interrupt" }, { 0x61, "nmi" },
	{ 0x62, "smi" }, { 0x63, "init" }, { 0x64, "vintr" }, { 0x65, "cr0_sel_write" }, { 0x66, "read_idtr" },
	{ 0x67, "read_gdtr" }, { 0x68, "read_ldtr" }, { 0x69, "read_rt" }, { 0x6a, "write_idtr" },
	{ 0x6b, "write_gdtr" }, { 0x6c, "write_ldtr" }, { 0x6d, "write_rt" }, { 0x6e, "rdtsc" }, { 0x6f, "rdpmc" },
	{ 0x70, "pushf" }, { 0x71, "popf" }, { 0x72, "cpuid" }, { 0x73, "rsm" }, { 0x74, "iret" },
	{ 0x75, "swint" }, { 0x76, "invd" }, { 0x77, "pause" }, { 0x78, "hlt" }, { 0x79, "invlpg" },
	{ 0x7a, "invlpga" }, { 0x7b, "io" }, { 0x7c, "msr" }, { 0x7d, "task_switch" }, { 0x7e, "ferr_freeze" },
	{ 0x7f, "shutdown" }, { 0x80, "vmrun" }, { 0x81, "hypercall" }, { 0x82, "vmload" }, { 0x83, "vmsave" },
	{ 0x84, "stgi" }, { 0x85, "clgi" }, { 0x86, "skinit" }, { 0x87, "rdtscp" }, { 0x88, "icebp" },
	{ 0x89, "wbinvd" }, { 0x8a, "monitor" }, { 0x8b, "mwait" }, { 0x8d, "xsetbv" }, { 0x8f, "write_efer_trap" },
	{ 0x90, "write_cr0_trap" }, { 0x94, "write_cr4_trap" }, { 0x98, "write_cr8_trap" }, { 0xa2, "invpcid" },
	{ 0xa5, "buslock" }, { 0xa6, "idle-halt" }, { 0x400, "npf" }, { 0x401, "avic_incomplete_ipi" },
	{ 0x402, "avic_unaccelerated_access" }, { 0x403, "vmgexit" }, { 0x80000001, "vmgexit_mmio_read" },
	{ 0x80000002, "vmgexit_mmio_write" }, { 0x80000003, "vmgexit_nmi_complete" },
	{ 0x80000004, "vmgexit_ap_hlt_loop" }, { 0x80000005, "vmgexit_ap_jump_table" },
	{ 0x80000010, "vmgexit_page_state_change" }, { 0x80000011, "vmgexit_guest_request" },
	{ 0x80000012, "vmgexit_ext_guest_request" }, { 0x80000013, "vmgexit_ap_creation" },
	{ 0x8000fffd, "vmgexit_hypervisor_feature" }, { 0xffffffff, "invalid_guest_state" },
};

/* ESR_EL2.EC values KVM names (Arm ARM D24.2.47 ESR_EL2; older kernels lack
 * PAC, SVE and ERET and print those in hex only). */
static const struct trace_name arm_ec_names[] = {
	{ 0x00, "UNKNOWN" }, { 0x01, "WFx" }, { 0x03, "CP15_32" }, { 0x04, "CP15_64" }, { 0x05, "CP14_MR" },
	{ 0x06, "CP14_LS" }, { 0x07, "FP_ASIMD" }, { 0x08, "CP10_ID" }, { 0x09, "PAC" }, { 0x0c, "CP14_64" },
	{ 0x15, "SVC64" }, { 0x16, "HVC64" }, { 0x17, "SMC64" }, { 0x18, "SYS64" }, { 0x19, "SVE" },
	{ 0x1a, "ERET" }, { 0x1f, "IMP_DEF" }, { 0x20, "IABT_LOW" }, { 0x21, "IABT_CUR" }, { 0x22, "PC_ALIGN" },
	{ 0x24, "DABT_LOW" }, { 0x25, "DABT_CUR" }, { 0x26, "SP_ALIGN" }, { 0x28, "FP_EXC32" },
	{ 0x2c, "FP_EXC64" }, { 0x2f, "SERROR" }, { 0x30, "BREAKPT_LOW" }, { 0x31, "BREAKPT_CUR" },
	{ 0x32, "SOFTSTP_LOW" }, { 0x33, "SOFTSTP_CUR" }, { 0x34, "WATCHPT_LOW" }, { 0x35, "WATCHPT_CUR" },
	{ 0x38, "BKPT32" }, { 0x3a, "VECTOR32" }, { 0x3c, "BRK64" },
};

static const struct trace_name arm_type_names[] = {
	{ TRACE_ARM_IRQ, "IRQ" }, { TRACE_ARM_SERROR, "SERROR" }, { TRACE_ARM_TRAP, "TRAP" },
	{ TRACE_ARM_HYP_GONE, "HYP_GONE" },
};

/* Local APIC register offsets (SDM Vol. 3A, Table 11-1), kvm_apic's names. */
static const struct trace_name apic_regs[] = {
	{ 0x20, "APIC_ID" }, { 0x30, "APIC_LVR" }, { 0x80, "APIC_TASKPRI" }, { 0x90, "APIC_ARBPRI" },
	{ 0xa0, "APIC_PROCPRI" }, { 0xb0, "APIC_EOI" }, { 0xc0, "APIC_RRR" }, { 0xd0, "APIC_LDR" },
	{ 0xe0, "APIC_DFR" }, { 0xf0, "APIC_SPIV" }, { 0x100, "APIC_ISR" }, { 0x180, "APIC_TMR" },
	{ 0x200, "APIC_IRR" }, { 0x280, "APIC_ESR" }, { 0x300, "APIC_ICR" }, { 0x310, "APIC_ICR2" },
	{ 0x320, "APIC_LVTT" }, { 0x330, "APIC_LVTTHMR" }, { 0x340, "APIC_LVTPC" }, { 0x350, "APIC_LVT0" },
	{ 0x360, "APIC_LVT1" }, { 0x370, "APIC_LVTERR" }, { 0x380, "APIC_TMICT" }, { 0x390, "APIC_TMCCT" },
	{ 0x3e0, "APIC_TDCR" }, { 0x3f0, "APIC_SELF_IPI" }, { 0x400, "APIC_EFEAT" }, { 0x410, "APIC_ECTRL" },
};

/* ICR delivery modes, bits 10:8 (SDM Vol. 3A, 11.6.1). */
static const struct trace_name apic_dms[] = {
	{ 0, "Fixed" }, { 1, "LowPrio" }, { 2, "SMI" }, { 3, "Res3" }, { 4, "NMI" }, { 5, "INIT" }, { 6, "SIPI" },
	{ 7, "ExtINT" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *by_num(const struct trace_name *t, size_t n, uint32_t num)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].num == num)
			return t[i].name;
	return NULL;
}

static int by_name(const struct trace_name *t, size_t n, const char *s, size_t len, uint32_t *num)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && !memcmp(t[i].name, s, len)) {	/* s may hold NULs */
			*num = t[i].num;
			return 0;
		}
	return -1;
}

const char *trace_x86_reason_name(uint32_t reason, bool svm)
{
	return svm ? by_num(svm_names, N(svm_names), reason) : by_num(vmx_names, N(vmx_names), reason);
}

const char *trace_arm_ec_name(uint32_t ec) { return by_num(arm_ec_names, N(arm_ec_names), ec); }
const char *trace_arm_type_name(uint32_t type) { return by_num(arm_type_names, N(arm_type_names), type); }

int trace_apic_reg_lookup(const char *s, size_t n, uint32_t *reg) { return by_name(apic_regs, N(apic_regs), s, n, reg); }
int trace_apic_dm_lookup(const char *s, size_t n, uint32_t *dm) { return by_name(apic_dms, N(apic_dms), s, n, dm); }

/* ---- reason names by hash: kvm_exit lines are most of a trace ---- */
#define RH_SIZE 512	/* power of two, over twice the names of both tables */

struct rh_slot {
	const char *name;
	uint32_t len, reason;
	bool svm;
};

static struct rh_slot rh[RH_SIZE];
static bool rh_built;

/* The length and the first and last (up to) eight bytes, mixed: cheap, and
 * enough to spread these names (a probe compares the whole name). */
static uint32_t rh_hash(const char *s, size_t n)
{
	uint64_t a = 0, b = 0;
	memcpy(&a, s, n < 8 ? n : 8);
	if (n > 8)
		memcpy(&b, s + n - 8, 8);
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ n) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

static void rh_add(const struct trace_name *t, size_t n, bool svm)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(t[i].name);
		uint32_t h = rh_hash(t[i].name, len) & (RH_SIZE - 1);
		while (rh[h].name)
			h = (h + 1) & (RH_SIZE - 1);
		rh[h] = (struct rh_slot){ t[i].name, len, t[i].num, svm };
	}
}

int trace_x86_reason_lookup(const char *s, size_t n, uint32_t *reason, bool *svm)
{
	if (!rh_built) {
		rh_add(vmx_names, N(vmx_names), false);
		rh_add(svm_names, N(svm_names), true);
		rh_built = true;
	}
	for (uint32_t h = rh_hash(s, n) & (RH_SIZE - 1); rh[h].name; h = (h + 1) & (RH_SIZE - 1))
		if (rh[h].len == n && !memcmp(rh[h].name, s, n)) {
			*reason = rh[h].reason;
			*svm = rh[h].svm;
			return 0;
		}
	return -1;
}

const char *trace_exit_name(const struct trace_event *ev, char *buf, size_t n)
{
	if (ev->arch == TRACE_ARCH_ARM64) {
		const struct trace_arm_exit *a = &ev->u.arm;
		const char *t = trace_arm_type_name(a->type), *ec = trace_arm_ec_name(a->ec);
		if (a->type != TRACE_ARM_TRAP)
			t ? snprintf(buf, n, "%s", t) : snprintf(buf, n, "type 0x%x", a->type);
		else
			ec ? snprintf(buf, n, "TRAP %s", ec) : snprintf(buf, n, "TRAP EC 0x%02x", a->ec);
		return buf;
	}
	const struct trace_x86_exit *x = &ev->u.x86;
	const char *r = trace_x86_reason_name(x->reason, x->svm);
	if (r)
		snprintf(buf, n, "%s%s", r, x->failed_vmentry ? " FAILED_VMENTRY" : "");
	else
		snprintf(buf, n, "%s 0x%x", x->svm ? "unknown SVM" : "unknown", x->reason);
	return buf;
}
