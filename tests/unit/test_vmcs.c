/* The VMCS table (SDM Vol. 3C Appendix B encodings, widths from encoding
 * bits 14:13), the VMREAD/VMWRITE-like accessors, the control-bit
 * positions (Tables 25-5 to 25-15) and the exit-reason table pinned to the
 * names KVM prints (Linux arch/x86/include/uapi/asm/vmx.h). */
#include <string.h>

#include "cpu/vmx.h"
#include "tests/unit/unit.h"

static void test_encodings(void)
{
	/* Appendix B, as Linux's enum vmcs_field spells them */
	static const struct { uint32_t enc, want; } t[] = {
		{ VMCS_VIRTUAL_PROCESSOR_ID, 0x0000 }, { VMCS_POSTED_INTR_NV, 0x0002 },
		{ VMCS_LAST_PID_POINTER_INDEX, 0x0008 }, { VMCS_GUEST_INTR_STATUS, 0x0810 },
		{ VMCS_GUEST_PML_INDEX, 0x0812 }, { VMCS_IO_BITMAP_A, 0x2000 }, { VMCS_IO_BITMAP_B, 0x2002 },
		{ VMCS_MSR_BITMAP, 0x2004 }, { VMCS_PML_ADDRESS, 0x200e }, { VMCS_TSC_OFFSET, 0x2010 },
		{ VMCS_VIRTUAL_APIC_PAGE_ADDR, 0x2012 }, { VMCS_APIC_ACCESS_ADDR, 0x2014 },
		{ VMCS_POSTED_INTR_DESC_ADDR, 0x2016 }, { VMCS_EPT_POINTER, 0x201a },
		{ VMCS_EOI_EXIT_BITMAP0, 0x201c }, { VMCS_EOI_EXIT_BITMAP3, 0x2022 },
		{ VMCS_TSC_MULTIPLIER, 0x2032 }, { VMCS_TERTIARY_VM_EXEC_CONTROL, 0x2034 },
		{ VMCS_PID_POINTER_TABLE, 0x2042 }, { VMCS_GUEST_PHYSICAL_ADDRESS, 0x2400 },
		{ VMCS_PIN_BASED_VM_EXEC_CONTROL, 0x4000 }, { VMCS_CPU_BASED_VM_EXEC_CONTROL, 0x4002 },
		{ VMCS_EXCEPTION_BITMAP, 0x4004 }, { VMCS_VM_EXIT_CONTROLS, 0x400c },
		{ VMCS_VM_ENTRY_CONTROLS, 0x4012 }, { VMCS_VM_ENTRY_INTR_INFO_FIELD, 0x4016 },
		{ VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018 }, { VMCS_VM_ENTRY_INSTRUCTION_LEN, 0x401a },
		{ VMCS_TPR_THRESHOLD, 0x401c }, { VMCS_SECONDARY_VM_EXEC_CONTROL, 0x401e },
		{ VMCS_VM_EXIT_REASON, 0x4402 }, { VMCS_VM_EXIT_INTR_INFO, 0x4404 },
		{ VMCS_VM_EXIT_INSTRUCTION_LEN, 0x440c }, { VMCS_VMX_INSTRUCTION_INFO, 0x440e },
		{ VMCS_GUEST_INTERRUPTIBILITY_INFO, 0x4824 }, { VMCS_GUEST_ACTIVITY_STATE, 0x4826 },
		{ VMCS_VMX_PREEMPTION_TIMER_VALUE, 0x482e }, { VMCS_EXIT_QUALIFICATION, 0x6400 },
		{ VMCS_GUEST_LINEAR_ADDRESS, 0x640a }, { VMCS_GUEST_RFLAGS, 0x6820 },
	};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(t[i].enc, t[i].want);
		CU_ASSERT_TRUE(vmcs_holds(t[i].want));
		CU_ASSERT_PTR_NOT_NULL(vmcs_field_name(t[i].want));
	}
	CU_ASSERT_STRING_EQUAL(vmcs_field_name(0x4002), "CPU_BASED_VM_EXEC_CONTROL");
	CU_ASSERT_STRING_EQUAL(vmcs_field_name(0x6820), "GUEST_RFLAGS");
}

static void test_widths_and_types(void)
{
	/* bits 14:13: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural; bits 11:10 type */
	CU_ASSERT_EQUAL(vmcs_enc_bits(0x0810), 16);
	CU_ASSERT_EQUAL(vmcs_enc_bits(0x2004), 64);
	CU_ASSERT_EQUAL(vmcs_enc_bits(0x4002), 32);
	CU_ASSERT_EQUAL(vmcs_enc_bits(0x6400), 64);
	CU_ASSERT_EQUAL(vmcs_enc_width(0x6400), VMCS_WIDTH_NATURAL);
	CU_ASSERT_EQUAL(vmcs_enc_type(0x4002), VMCS_TYPE_CONTROL);
	CU_ASSERT_EQUAL(vmcs_enc_type(0x4402), VMCS_TYPE_EXIT_INFO);
	CU_ASSERT_EQUAL(vmcs_enc_type(0x4824), VMCS_TYPE_GUEST);
	CU_ASSERT_EQUAL(vmcs_enc_type(0x6c00), VMCS_TYPE_HOST);

	struct vmcs v;
	vmcs_clear(&v);
	uint64_t r = 0;
	/* each write keeps only the field's width */
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_GUEST_INTR_STATUS, 0x123456789abcdef0ULL, false), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_GUEST_INTR_STATUS, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0xdef0);
	CU_ASSERT_EQUAL(FIELD_EX(r, GUEST_INTR_STATUS, RVI), 0xf0);
	CU_ASSERT_EQUAL(FIELD_EX(r, GUEST_INTR_STATUS, SVI), 0xde);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_TPR_THRESHOLD, 0x123456789abcdef0ULL, false), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_TPR_THRESHOLD, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0x9abcdef0);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_EPT_POINTER, 0x123456789abcdef0ULL, false), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_EPT_POINTER, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0x123456789abcdef0ULL);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_CR0_GUEST_HOST_MASK, 0xfedcba9876543210ULL, false), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_CR0_GUEST_HOST_MASK, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0xfedcba9876543210ULL);
	/* access type 1: the high half of a 64-bit field */
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_EPT_POINTER | 1, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0x12345678);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_EPT_POINTER | 1, 0xcafef00d11111111ULL, false), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_EPT_POINTER, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0x111111119abcdef0ULL);
}

static void test_rejected_encodings(void)
{
	struct vmcs v;
	vmcs_clear(&v);
	uint64_t r = 0x5a5a;
	static const uint32_t bad[] = {
		0x4003,        /* access type 1 on a 32-bit field */
		0x6401,        /* ... on a natural-width field */
		0x0811,        /* ... on a 16-bit field */
		0x0004,        /* a 16-bit control the model does not hold (HLAT prefix size) */
		0x2006,        /* VM-exit MSR-store address: not held */
		0xc002,        /* bit 15 set */
		0x00014002,    /* bits 31:15 must be 0 */
		0x4001,        /* odd encoding of a 32-bit field */
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(vmcs_read(&v, bad[i], &r), VMCS_ERR_UNSUPPORTED);
		CU_ASSERT_EQUAL(vmcs_write(&v, bad[i], 1, true), VMCS_ERR_UNSUPPORTED);
		CU_ASSERT_FALSE(vmcs_holds(bad[i]));
	}
	CU_ASSERT_EQUAL(r, 0x5a5a);   /* a failed read leaves the destination alone */
	/* VM-exit information is read-only to VMWRITE unless IA32_VMX_MISC[29] */
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_VM_EXIT_REASON, 12, false), VMCS_ERR_READ_ONLY);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_EXIT_QUALIFICATION, 1, false), VMCS_ERR_READ_ONLY);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_GUEST_PHYSICAL_ADDRESS | 1, 1, false), VMCS_ERR_READ_ONLY);
	CU_ASSERT_EQUAL(vmcs_write(&v, VMCS_VM_EXIT_REASON, 12, true), VMCS_OK);
	CU_ASSERT_EQUAL(vmcs_read(&v, VMCS_VM_EXIT_REASON, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 12);
	/* error numbers are the SDM's VM-instruction errors (31.4) */
	CU_ASSERT_EQUAL(VMCS_ERR_UNSUPPORTED, 12);
	CU_ASSERT_EQUAL(VMCS_ERR_READ_ONLY, 13);
}

static void test_control_bits(void)
{
	/* Table 25-5 */
	CU_ASSERT_EQUAL(PIN_BASED_EXT_INTR_MASK, 0x1);
	CU_ASSERT_EQUAL(PIN_BASED_NMI_EXITING, 0x8);
	CU_ASSERT_EQUAL(PIN_BASED_VIRTUAL_NMIS, 0x20);
	CU_ASSERT_EQUAL(PIN_BASED_VMX_PREEMPTION_TIMER, 0x40);
	CU_ASSERT_EQUAL(PIN_BASED_POSTED_INTR, 0x80);
	/* Table 25-6 */
	CU_ASSERT_EQUAL(CPU_BASED_INTR_WINDOW_EXITING, 0x4);
	CU_ASSERT_EQUAL(CPU_BASED_USE_TSC_OFFSETTING, 0x8);
	CU_ASSERT_EQUAL(CPU_BASED_HLT_EXITING, 0x80);
	CU_ASSERT_EQUAL(CPU_BASED_INVLPG_EXITING, 0x200);
	CU_ASSERT_EQUAL(CPU_BASED_RDPMC_EXITING, 0x800);
	CU_ASSERT_EQUAL(CPU_BASED_RDTSC_EXITING, 0x1000);
	CU_ASSERT_EQUAL(CPU_BASED_ACTIVATE_TERTIARY_CONTROLS, 0x20000);
	CU_ASSERT_EQUAL(CPU_BASED_CR8_LOAD_EXITING, 0x80000);
	CU_ASSERT_EQUAL(CPU_BASED_CR8_STORE_EXITING, 0x100000);
	CU_ASSERT_EQUAL(CPU_BASED_TPR_SHADOW, 0x200000);
	CU_ASSERT_EQUAL(CPU_BASED_NMI_WINDOW_EXITING, 0x400000);
	CU_ASSERT_EQUAL(CPU_BASED_UNCOND_IO_EXITING, 0x1000000);
	CU_ASSERT_EQUAL(CPU_BASED_USE_IO_BITMAPS, 0x2000000);
	CU_ASSERT_EQUAL(CPU_BASED_USE_MSR_BITMAPS, 0x10000000);
	CU_ASSERT_EQUAL(CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0x80000000u);
	/* Table 25-7 */
	CU_ASSERT_EQUAL(SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES, 0x1);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_ENABLE_EPT, 0x2);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE, 0x10);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_UNRESTRICTED_GUEST, 0x80);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_APIC_REGISTER_VIRT, 0x100);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY, 0x200);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_ENABLE_PML, 0x20000);
	CU_ASSERT_EQUAL(SECONDARY_EXEC_TSC_SCALING, 0x2000000);
	/* Table 25-8: IPI virtualization is bit 4 */
	CU_ASSERT_EQUAL(TERTIARY_EXEC_IPI_VIRT, 0x10);
	/* Tables 25-13 and 25-15 */
	CU_ASSERT_EQUAL(VM_EXIT_SAVE_DEBUG_CONTROLS, 0x4);
	CU_ASSERT_EQUAL(VM_EXIT_HOST_ADDR_SPACE_SIZE, 0x200);
	CU_ASSERT_EQUAL(VM_EXIT_ACK_INTR_ON_EXIT, 0x8000);
	CU_ASSERT_EQUAL(VM_EXIT_SAVE_VMX_PREEMPTION_TIMER, 0x400000);
	CU_ASSERT_EQUAL(VM_ENTRY_LOAD_DEBUG_CONTROLS, 0x4);
	CU_ASSERT_EQUAL(VM_ENTRY_IA32E_MODE, 0x200);
	CU_ASSERT_EQUAL(VM_ENTRY_LOAD_IA32_EFER, 0x8000);
}

/* Linux's VMX_EXIT_REASONS: every entry, number and string */
static const struct { unsigned r; const char *name; } kvm_names[] = {
	{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" }, { 2, "TRIPLE_FAULT" }, { 3, "INIT_SIGNAL" },
	{ 4, "SIPI_SIGNAL" }, { 7, "INTERRUPT_WINDOW" }, { 8, "NMI_WINDOW" }, { 9, "TASK_SWITCH" },
	{ 10, "CPUID" }, { 12, "HLT" }, { 13, "INVD" }, { 14, "INVLPG" }, { 15, "RDPMC" }, { 16, "RDTSC" },
	{ 18, "VMCALL" }, { 19, "VMCLEAR" }, { 20, "VMLAUNCH" }, { 21, "VMPTRLD" }, { 22, "VMPTRST" },
	{ 23, "VMREAD" }, { 24, "VMRESUME" }, { 25, "VMWRITE" }, { 26, "VMOFF" }, { 27, "VMON" },
	{ 28, "CR_ACCESS" }, { 29, "DR_ACCESS" }, { 30, "IO_INSTRUCTION" }, { 31, "MSR_READ" },
	{ 32, "MSR_WRITE" }, { 33, "INVALID_STATE" }, { 34, "MSR_LOAD_FAIL" }, { 36, "MWAIT_INSTRUCTION" },
	{ 37, "MONITOR_TRAP_FLAG" }, { 39, "MONITOR_INSTRUCTION" }, { 40, "PAUSE_INSTRUCTION" },
	{ 41, "MCE_DURING_VMENTRY" }, { 43, "TPR_BELOW_THRESHOLD" }, { 44, "APIC_ACCESS" },
	{ 45, "EOI_INDUCED" }, { 46, "GDTR_IDTR" }, { 47, "LDTR_TR" }, { 48, "EPT_VIOLATION" },
	{ 49, "EPT_MISCONFIG" }, { 50, "INVEPT" }, { 51, "RDTSCP" }, { 52, "PREEMPTION_TIMER" },
	{ 53, "INVVPID" }, { 54, "WBINVD" }, { 55, "XSETBV" }, { 56, "APIC_WRITE" }, { 57, "RDRAND" },
	{ 58, "INVPCID" }, { 59, "VMFUNC" }, { 60, "ENCLS" }, { 61, "RDSEED" }, { 62, "PML_FULL" },
	{ 63, "XSAVES" }, { 64, "XRSTORS" }, { 67, "UMWAIT" }, { 68, "TPAUSE" }, { 74, "BUS_LOCK" },
	{ 75, "NOTIFY" }, { 77, "TDCALL" }, { 84, "MSR_READ_IMM" }, { 85, "MSR_WRITE_IMM" },
};

static void test_reason_names(void)
{
	unsigned n = sizeof kvm_names / sizeof kvm_names[0], named = 0;
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(vmx_reason_name(kvm_names[i].r));
		CU_ASSERT_STRING_EQUAL(vmx_reason_name(kvm_names[i].r), kvm_names[i].name);
		CU_ASSERT_TRUE(vmx_reason_kvm_named(kvm_names[i].r));
	}
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(vmx_reason_by_name(kvm_names[i].name), (int)kvm_names[i].r);
	CU_ASSERT_EQUAL(vmx_reason_by_name("PENDING_INTERRUPT"), 7);   /* older kernels */
	CU_ASSERT_EQUAL(vmx_reason_by_name("cpuid"), -1);
	CU_ASSERT_EQUAL(vmx_reason_by_name(""), -1);
	for (unsigned r = 0; r < 200; r++)
		named += vmx_reason_kvm_named(r);
	CU_ASSERT_EQUAL(named, n);   /* no name KVM does not print is passed off as KVM's */
	/* Appendix C numbers KVM has no name for; reserved numbers have none */
	CU_ASSERT_STRING_EQUAL(vmx_reason_name(5), "IO_SMI");
	CU_ASSERT_STRING_EQUAL(vmx_reason_name(11), "GETSEC");
	CU_ASSERT_STRING_EQUAL(vmx_reason_name(69), "LOADIWKEY");
	CU_ASSERT_FALSE(vmx_reason_kvm_named(69));
	CU_ASSERT_PTR_NULL(vmx_reason_name(35));
	CU_ASSERT_PTR_NULL(vmx_reason_name(38));
	CU_ASSERT_PTR_NULL(vmx_reason_name(42));
	CU_ASSERT_PTR_NULL(vmx_reason_name(86));
	CU_ASSERT_PTR_NULL(vmx_reason_name(0xffff));
	CU_ASSERT_EQUAL(VMX_EXIT_REASONS_FAILED_VMENTRY, 0x80000000u);
}

static void test_exit_classes(void)
{
	/* the accounted classes keep KVM's names (stats keys exits.<NAME>) */
	static const struct { enum vmx_exit x; const char *name; unsigned reason; } t[] = {
		{ VMXX_CPUID, "CPUID", 10 }, { VMXX_HLT, "HLT", 12 }, { VMXX_RDTSC, "RDTSC", 16 },
		{ VMXX_VMCALL, "VMCALL", 18 }, { VMXX_IO_INSTRUCTION, "IO_INSTRUCTION", 30 },
		{ VMXX_MSR_READ, "MSR_READ", 31 }, { VMXX_MSR_WRITE, "MSR_WRITE", 32 },
		{ VMXX_EPT_VIOLATION, "EPT_VIOLATION", 48 }, { VMXX_EPT_MISCONFIG, "EPT_MISCONFIG", 49 },
		{ VMXX_TRIPLE_FAULT, "TRIPLE_FAULT", 2 }, { VMXX_CR_ACCESS, "CR_ACCESS", 28 },
	};
	CU_ASSERT_EQUAL(VMXX_COUNT, 11);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL((unsigned)vmx_exit_reason(t[i].x), t[i].reason);
		CU_ASSERT_STRING_EQUAL(vmx_exit_name(t[i].x), t[i].name);
		CU_ASSERT_EQUAL(vmx_exit_class(t[i].reason), t[i].x);
	}
	CU_ASSERT_EQUAL(vmx_exit_class(EXIT_REASON_APIC_WRITE), VMXX_COUNT);
}

static CU_TestInfo tests[] = {
	{ "Appendix B encodings", test_encodings },
	{ "widths and types from the encoding", test_widths_and_types },
	{ "unknown encodings and read-only fields rejected", test_rejected_encodings },
	{ "control bit positions", test_control_bits },
	{ "exit reasons pinned to KVM's names", test_reason_names },
	{ "accounted exit classes", test_exit_classes },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("vmcs", tests);
}
