/* VMX basic exit reasons.  See vmx_reason.h. */
#include "cpu/vmx_reason.h"
#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	bool kvm;        /* named in Linux's VMX_EXIT_REASONS */
} reasons[VMX_NR_EXIT_REASONS] = {
#define K(r, n) [EXIT_REASON_##r] = { n, true }
#define S(r, n) [EXIT_REASON_##r] = { n, false }
	K(EXCEPTION_NMI, "EXCEPTION_NMI"),          K(EXTERNAL_INTERRUPT, "EXTERNAL_INTERRUPT"),
	K(TRIPLE_FAULT, "TRIPLE_FAULT"),            K(INIT_SIGNAL, "INIT_SIGNAL"),
	K(SIPI_SIGNAL, "SIPI_SIGNAL"),              S(IO_SMI, "IO_SMI"),
	S(OTHER_SMI, "OTHER_SMI"),                  K(INTERRUPT_WINDOW, "INTERRUPT_WINDOW"),
	K(NMI_WINDOW, "NMI_WINDOW"),                K(TASK_SWITCH, "TASK_SWITCH"),
	K(CPUID, "CPUID"),                          S(GETSEC, "GETSEC"),
	K(HLT, "HLT"),                              K(INVD, "INVD"),
	K(INVLPG, "INVLPG"),                        K(RDPMC, "RDPMC"),
	K(RDTSC, "RDTSC"),                          S(RSM, "RSM"),
	K(VMCALL, "VMCALL"),                        K(VMCLEAR, "VMCLEAR"),
	K(VMLAUNCH, "VMLAUNCH"),                    K(VMPTRLD, "VMPTRLD"),
	K(VMPTRST, "VMPTRST"),                      K(VMREAD, "VMREAD"),
	K(VMRESUME, "VMRESUME"),                    K(VMWRITE, "VMWRITE"),
	K(VMOFF, "VMOFF"),                          K(VMON, "VMON"),
	K(CR_ACCESS, "CR_ACCESS"),                  K(DR_ACCESS, "DR_ACCESS"),
	K(IO_INSTRUCTION, "IO_INSTRUCTION"),        K(MSR_READ, "MSR_READ"),
	K(MSR_WRITE, "MSR_WRITE"),                  K(INVALID_STATE, "INVALID_STATE"),
	K(MSR_LOAD_FAIL, "MSR_LOAD_FAIL"),          K(MWAIT_INSTRUCTION, "MWAIT_INSTRUCTION"),
	K(MONITOR_TRAP_FLAG, "MONITOR_TRAP_FLAG"),  K(MONITOR_INSTRUCTION, "MONITOR_INSTRUCTION"),
	K(PAUSE_INSTRUCTION, "PAUSE_INSTRUCTION"),  K(MCE_DURING_VMENTRY, "MCE_DURING_VMENTRY"),
	K(TPR_BELOW_THRESHOLD, "TPR_BELOW_THRESHOLD"), K(APIC_ACCESS, "APIC_ACCESS"),
	K(EOI_INDUCED, "EOI_INDUCED"),              K(GDTR_IDTR, "GDTR_IDTR"),
	K(LDTR_TR, "LDTR_TR"),                      K(EPT_VIOLATION, "EPT_VIOLATION"),
	K(EPT_MISCONFIG, "EPT_MISCONFIG"),          K(INVEPT, "INVEPT"),
	K(RDTSCP, "RDTSCP"),                        K(PREEMPTION_TIMER, "PREEMPTION_TIMER"),
	K(INVVPID, "INVVPID"),                      K(WBINVD, "WBINVD"),
	K(XSETBV, "XSETBV"),                        K(APIC_WRITE, "APIC_WRITE"),
	K(RDRAND, "RDRAND"),                        K(INVPCID, "INVPCID"),
	K(VMFUNC, "VMFUNC"),                        K(ENCLS, "ENCLS"),
	K(RDSEED, "RDSEED"),                        K(PML_FULL, "PML_FULL"),
	K(XSAVES, "XSAVES"),                        K(XRSTORS, "XRSTORS"),
	S(PCONFIG, "PCONFIG"),                      S(SPP_EVENT, "SPP_EVENT"),
	K(UMWAIT, "UMWAIT"),                        K(TPAUSE, "TPAUSE"),
	S(LOADIWKEY, "LOADIWKEY"),                  S(ENCLV, "ENCLV"),
	S(ENQCMD_PASID_FAIL, "ENQCMD_PASID_FAIL"),  S(ENQCMDS_PASID_FAIL, "ENQCMDS_PASID_FAIL"),
	K(BUS_LOCK, "BUS_LOCK"),                    K(NOTIFY, "NOTIFY"),
	S(SEAMCALL, "SEAMCALL"),                    K(TDCALL, "TDCALL"),
	S(RDMSRLIST, "RDMSRLIST"),                  S(WRMSRLIST, "WRMSRLIST"),
	K(MSR_READ_IMM, "MSR_READ_IMM"),            K(MSR_WRITE_IMM, "MSR_WRITE_IMM"),
#undef K
#undef S
};

const char *vmx_reason_name(unsigned r) { return r < VMX_NR_EXIT_REASONS ? reasons[r].name : NULL; }
bool vmx_reason_kvm_named(unsigned r) { return r < VMX_NR_EXIT_REASONS && reasons[r].kvm; }

int vmx_reason_by_name(const char *name)
{
	if (!strcmp(name, "PENDING_INTERRUPT"))
		return EXIT_REASON_INTERRUPT_WINDOW;
	for (unsigned r = 0; r < VMX_NR_EXIT_REASONS; r++)
		if (reasons[r].name && !strcmp(reasons[r].name, name))
			return (int)r;
	return -1;
}
