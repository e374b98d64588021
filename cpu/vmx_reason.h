/* VMX basic exit reasons (Intel SDM Vol. 3C, Appendix C, Table C-1) and the
 * names KVM prints for them (Linux arch/x86/include/uapi/asm/vmx.h,
 * VMX_EXIT_REASONS, as in `perf kvm stat` and the kvm_exit tracepoint).
 * The basic reason is bits 15:0 of the exit-reason field (SDM 28.2.1). */
#ifndef HVSIM_CPU_VMX_REASON_H
#define HVSIM_CPU_VMX_REASON_H
#include <stdbool.h>

enum vmx_exit_reason {
	EXIT_REASON_EXCEPTION_NMI       = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT  = 1,
	EXIT_REASON_TRIPLE_FAULT        = 2,
	EXIT_REASON_INIT_SIGNAL         = 3,
	EXIT_REASON_SIPI_SIGNAL         = 4,
	EXIT_REASON_IO_SMI              = 5,
	EXIT_REASON_OTHER_SMI           = 6,
	EXIT_REASON_INTERRUPT_WINDOW    = 7,
	EXIT_REASON_NMI_WINDOW          = 8,
	EXIT_REASON_TASK_SWITCH         = 9,
	EXIT_REASON_CPUID               = 10,
	EXIT_REASON_GETSEC              = 11,
	EXIT_REASON_HLT                 = 12,
	EXIT_REASON_INVD                = 13,
	EXIT_REASON_INVLPG              = 14,
	EXIT_REASON_RDPMC               = 15,
	EXIT_REASON_RDTSC               = 16,
	EXIT_REASON_RSM                 = 17,
	EXIT_REASON_VMCALL              = 18,
	EXIT_REASON_VMCLEAR             = 19,
	EXIT_REASON_VMLAUNCH            = 20,
	EXIT_REASON_VMPTRLD             = 21,
	EXIT_REASON_VMPTRST             = 22,
	EXIT_REASON_VMREAD              = 23,
	EXIT_REASON_VMRESUME            = 24,
	EXIT_REASON_VMWRITE             = 25,
	EXIT_REASON_VMOFF               = 26,
	EXIT_REASON_VMON                = 27,
	EXIT_REASON_CR_ACCESS           = 28,
	EXIT_REASON_DR_ACCESS           = 29,
	EXIT_REASON_IO_INSTRUCTION      = 30,
	EXIT_REASON_MSR_READ            = 31,
	EXIT_REASON_MSR_WRITE           = 32,
	EXIT_REASON_INVALID_STATE       = 33,
	EXIT_REASON_MSR_LOAD_FAIL       = 34,
	EXIT_REASON_MWAIT_INSTRUCTION   = 36,
	EXIT_REASON_MONITOR_TRAP_FLAG   = 37,
	EXIT_REASON_MONITOR_INSTRUCTION = 39,
	EXIT_REASON_PAUSE_INSTRUCTION   = 40,
	EXIT_REASON_MCE_DURING_VMENTRY  = 41,
	EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
	EXIT_REASON_APIC_ACCESS         = 44,
	EXIT_REASON_EOI_INDUCED         = 45,
	EXIT_REASON_GDTR_IDTR           = 46,
	EXIT_REASON_LDTR_TR             = 47,
	EXIT_REASON_EPT_VIOLATION       = 48,
	EXIT_REASON_EPT_MISCONFIG       = 49,
	EXIT_REASON_INVEPT              = 50,
	EXIT_REASON_RDTSCP              = 51,
	EXIT_REASON_PREEMPTION_TIMER    = 52,
	EXIT_REASON_INVVPID             = 53,
	EXIT_REASON_WBINVD              = 54,
	EXIT_REASON_XSETBV              = 55,
	EXIT_REASON_APIC_WRITE          = 56,
	EXIT_REASON_RDRAND              = 57,
	EXIT_REASON_INVPCID             = 58,
	EXIT_REASON_VMFUNC              = 59,
	EXIT_REASON_ENCLS               = 60,
	EXIT_REASON_RDSEED              = 61,
	EXIT_REASON_PML_FULL            = 62,
	EXIT_REASON_XSAVES              = 63,
	EXIT_REASON_XRSTORS             = 64,
	EXIT_REASON_PCONFIG             = 65,
	EXIT_REASON_SPP_EVENT           = 66,
	EXIT_REASON_UMWAIT              = 67,
	EXIT_REASON_TPAUSE              = 68,
	EXIT_REASON_LOADIWKEY           = 69,
	EXIT_REASON_ENCLV               = 70,
	EXIT_REASON_ENQCMD_PASID_FAIL   = 72,
	EXIT_REASON_ENQCMDS_PASID_FAIL  = 73,
	EXIT_REASON_BUS_LOCK            = 74,
	EXIT_REASON_NOTIFY              = 75,
	EXIT_REASON_SEAMCALL            = 76,
	EXIT_REASON_TDCALL              = 77,
	EXIT_REASON_RDMSRLIST           = 78,
	EXIT_REASON_WRMSRLIST           = 79,
	EXIT_REASON_MSR_READ_IMM        = 84,
	EXIT_REASON_MSR_WRITE_IMM       = 85,
	VMX_NR_EXIT_REASONS             = 86,   /* table size: 0..85, unnamed numbers are reserved */
};

/* Bit 31 of the exit-reason field: VM-entry failure (SDM 28.2.1) */
#define VMX_EXIT_REASONS_FAILED_VMENTRY 0x80000000u

/* The name of basic reason r: KVM's where KVM has one, else the SDM's
 * description shortened the same way; NULL for a reserved number. */
const char *vmx_reason_name(unsigned r);
/* True when KVM's VMX_EXIT_REASONS names r (KVM prints others as numbers). */
bool vmx_reason_kvm_named(unsigned r);
/* The reason a name stands for, as a trace prints it; -1 if none.  Also
 * takes "PENDING_INTERRUPT", the name older kernels print for 7. */
int vmx_reason_by_name(const char *name);

#endif
