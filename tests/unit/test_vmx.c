/* Intel VT-x exit model: exit decisions under the primary processor-based
 * controls (SDM Vol. 3C 25.6.2, 26.1), basic exit reasons (Appendix C), exit
 * qualifications (Tables 28-5, 28-7), costs and set-up from a design. */
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "cpu/vmx.h"
#include "tests/unit/unit.h"

static struct vmx_model with_ctls(uint32_t ctls)
{
	struct vmx_model m;
	memset(&m, 0, sizeof m);
	m.procbased_ctls = ctls;
	return m;
}

static void test_control_bits(void)
{
	/* Table 25-6 bit positions */
	CU_ASSERT_EQUAL(CPU_BASED_HLT_EXITING, 1u << 7);
	CU_ASSERT_EQUAL(CPU_BASED_RDTSC_EXITING, 1u << 12);
	CU_ASSERT_EQUAL(CPU_BASED_UNCOND_IO_EXITING, 1u << 24);
	CU_ASSERT_EQUAL(CPU_BASED_USE_IO_BITMAPS, 1u << 25);
	CU_ASSERT_EQUAL(CPU_BASED_USE_MSR_BITMAPS, 1u << 28);
	/* Appendix B encodings */
	CU_ASSERT_EQUAL(VMCS_MSR_BITMAP, 0x2004);
	CU_ASSERT_EQUAL(VMCS_GUEST_PHYSICAL_ADDRESS, 0x2400);
	CU_ASSERT_EQUAL(VMCS_PRIMARY_PROCBASED_CTLS, 0x4002);
	CU_ASSERT_EQUAL(VMCS_VM_EXIT_REASON, 0x4402);
	CU_ASSERT_EQUAL(VMCS_VM_EXIT_INSTRUCTION_LEN, 0x440c);
	CU_ASSERT_EQUAL(VMCS_EXIT_QUALIFICATION, 0x6400);
}

static void test_hlt_rdtsc(void)
{
	struct vmx_model m = with_ctls(CPU_BASED_HLT_EXITING);
	CU_ASSERT_TRUE(vmx_exits_on_hlt(&m));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(&m));
	m = with_ctls(CPU_BASED_RDTSC_EXITING);
	CU_ASSERT_TRUE(vmx_exits_on_rdtsc(&m));
	CU_ASSERT_FALSE(vmx_exits_on_hlt(&m));
	/* Every other control on: neither */
	m = with_ctls(~(CPU_BASED_HLT_EXITING | CPU_BASED_RDTSC_EXITING));
	CU_ASSERT_FALSE(vmx_exits_on_hlt(&m));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(&m));
	/* Neighbouring bits 6, 8, 11, 13 are not these controls */
	m = with_ctls((1u << 6) | (1u << 8) | (1u << 11) | (1u << 13));
	CU_ASSERT_FALSE(vmx_exits_on_hlt(&m));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(&m));
}

static void test_io(void)
{
	static const uint16_t ports[] = { 0x0000, 0x00f4, 0x0cf8, 0x03f8, 0xffff };
	for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		struct vmx_model m = with_ctls(0);
		CU_ASSERT_FALSE(vmx_exits_on_io(&m, ports[i]));   /* SDM 26.1.3: neither control, no exit */
		m = with_ctls(CPU_BASED_UNCOND_IO_EXITING);
		CU_ASSERT_TRUE(vmx_exits_on_io(&m, ports[i]));
		m = with_ctls(CPU_BASED_USE_IO_BITMAPS);              /* KVM's bitmaps are all ones */
		CU_ASSERT_TRUE(vmx_exits_on_io(&m, ports[i]));
		m = with_ctls(CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS);
		CU_ASSERT_TRUE(vmx_exits_on_io(&m, ports[i]));
		m = with_ctls(~(CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS));
		CU_ASSERT_FALSE(vmx_exits_on_io(&m, ports[i]));
	}
}

static void test_msr(void)
{
	/* KVM passes these through for a 64-bit guest (vmx_vcpu_create) */
	static const uint32_t passthrough[] = {
		0x174, 0x175, 0x176,                  /* IA32_SYSENTER_CS/ESP/EIP */
		0xc0000100, 0xc0000101, 0xc0000102,   /* FS_BASE, GS_BASE, KERNEL_GS_BASE */
	};
	/* Their neighbours and common MSRs are intercepted */
	static const uint32_t intercepted[] = {
		0x00, 0x11, 0x1b /* APIC_BASE */, 0x3a, 0x173, 0x177, 0x277 /* PAT */,
		0xc0000080 /* EFER */, 0xc0000081 /* STAR */, 0xc0000082 /* LSTAR */,
		0xc00000ff, 0xc0000103 /* TSC_AUX */, 0x40000000, 0xffffffff,
	};
	struct vmx_model on = with_ctls(CPU_BASED_USE_MSR_BITMAPS);
	struct vmx_model off = with_ctls(~CPU_BASED_USE_MSR_BITMAPS);

	for (unsigned i = 0; i < sizeof passthrough / sizeof passthrough[0]; i++) {
		CU_ASSERT_FALSE(vmx_exits_on_msr(&on, passthrough[i], false));
		CU_ASSERT_FALSE(vmx_exits_on_msr(&on, passthrough[i], true));
		CU_ASSERT_TRUE(vmx_exits_on_msr(&off, passthrough[i], false));   /* SDM 26.1.3 */
		CU_ASSERT_TRUE(vmx_exits_on_msr(&off, passthrough[i], true));
	}
	for (unsigned i = 0; i < sizeof intercepted / sizeof intercepted[0]; i++) {
		CU_ASSERT_TRUE(vmx_exits_on_msr(&on, intercepted[i], false));
		CU_ASSERT_TRUE(vmx_exits_on_msr(&on, intercepted[i], true));
		CU_ASSERT_TRUE(vmx_exits_on_msr(&off, intercepted[i], false));
	}
	/* IA32_TSC: RDMSR passes through, WRMSR exits */
	CU_ASSERT_FALSE(vmx_exits_on_msr(&on, 0x10, false));
	CU_ASSERT_TRUE(vmx_exits_on_msr(&on, 0x10, true));
	CU_ASSERT_TRUE(vmx_exits_on_msr(&off, 0x10, false));
}

static void test_reasons_and_names(void)
{
	static const struct { enum vmx_exit x; const char *name; unsigned reason; } t[] = {
		{ VMXX_CPUID, "CPUID", 10 },
		{ VMXX_HLT, "HLT", 12 },
		{ VMXX_RDTSC, "RDTSC", 16 },
		{ VMXX_VMCALL, "VMCALL", 18 },
		{ VMXX_IO_INSTRUCTION, "IO_INSTRUCTION", 30 },
		{ VMXX_MSR_READ, "MSR_READ", 31 },
		{ VMXX_MSR_WRITE, "MSR_WRITE", 32 },
		{ VMXX_EPT_VIOLATION, "EPT_VIOLATION", 48 },
		{ VMXX_EPT_MISCONFIG, "EPT_MISCONFIG", 49 },
		{ VMXX_TRIPLE_FAULT, "TRIPLE_FAULT", 2 },
	};
	CU_ASSERT_EQUAL(VMXX_COUNT, 10);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL((unsigned)vmx_exit_reason(t[i].x), t[i].reason);
		CU_ASSERT_STRING_EQUAL(vmx_exit_name(t[i].x), t[i].name);
	}
	CU_ASSERT_EQUAL(EXIT_REASON_EXCEPTION_NMI, 0);
}

static void test_io_qualification(void)
{
	/* Table 28-5: size-1 [2:0], IN [3], string [4], REP [5], immediate [6], port [31:16] */
	/* out dx, al (dx = 0x3f8) */
	CU_ASSERT_EQUAL(vmx_qual_io(0x3f8, 1, false, false, false, false), 0x03f80000);
	/* in eax, dx (dx = 0xcf8) */
	CU_ASSERT_EQUAL(vmx_qual_io(0xcf8, 4, true, false, false, false), 0x0cf8000b);
	/* out 0xf4, al */
	CU_ASSERT_EQUAL(vmx_qual_io(0xf4, 1, false, false, false, true), 0x00f40040);
	/* in ax, 0x60 */
	CU_ASSERT_EQUAL(vmx_qual_io(0x60, 2, true, false, false, true), 0x00600049);
	/* rep outsb (dx = 0x3f8) */
	CU_ASSERT_EQUAL(vmx_qual_io(0x3f8, 1, false, true, true, false), 0x03f80030);
	/* rep insd from port 0xffff: the port must not sign-extend into bits 63:32 */
	CU_ASSERT_EQUAL(vmx_qual_io(0xffff, 4, true, true, true, false), 0xffff003bULL);
	/* outsw without REP */
	CU_ASSERT_EQUAL(vmx_qual_io(0x1f0, 2, false, true, false, false), 0x01f00011);
}

static void test_ept_qualification(void)
{
	/* Table 28-7: read [0], write [1], fetch [2]; [5:3] = 0: the EPT entry
	 * is not present (MMIO has no mapping) */
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(false, false) & 0x3f, 0x1);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(true, false) & 0x3f, 0x2);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(false, true) & 0x3f, 0x4);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(true, true) & 0x3f, 0x4);   /* a fetch is never a write */
	/* Nothing in the reserved [63:32] (Table 28-7 stops at bit 16) */
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(true, false) >> 32, 0);
}

static void test_exit_cost(void)
{
	struct vmx_model m = with_ctls(0);
	m.exit_cycles = 250;
	m.entry_cycles = 17;
	m.user_cycles = 5200;
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		m.handler[i] = 1000 * (i + 1);
	CU_ASSERT_EQUAL(vmx_exit_cost(&m, VMXX_CPUID, false), 250 + 1000 + 17);
	CU_ASSERT_EQUAL(vmx_exit_cost(&m, VMXX_IO_INSTRUCTION, false), 250 + 5000 + 17);
	CU_ASSERT_EQUAL(vmx_exit_cost(&m, VMXX_IO_INSTRUCTION, true), 250 + 5000 + 17 + 5200);
	CU_ASSERT_EQUAL(vmx_exit_cost(&m, VMXX_TRIPLE_FAULT, false), 250 + 10000 + 17);
}

static struct cfg *vmx_cfg(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, vmx_cfg_keys, vmx_cfg_nkeys), 0);
	return c;
}

static void test_init_from_cfg(void)
{
	struct cfg *c = vmx_cfg();
	/* KVM's primary controls with EPT; every cost distinct */
	static const char ini[] =
		"[vmx]\n"
		"procbased_ctls = 0xb1a00480\n"
		"mmio_spte_cache = yes\n"
		"exit_cycles = 251\n"
		"entry_cycles = 252\n"
		"cpuid_cycles = 501\n"
		"hlt_cycles = 502\n"
		"rdtsc_cycles = 503\n"
		"vmcall_cycles = 504\n"
		"io_cycles = 505\n"
		"msr_read_cycles = 506\n"
		"msr_write_cycles = 507\n"
		"ept_violation_cycles = 508\n"
		"ept_misconfig_cycles = 509\n"
		"triple_fault_cycles = 510\n"
		"user_cycles = 5200\n";
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "test-vmx.ini", ini), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), 0);

	struct vmx_model m;
	memset(&m, 0xff, sizeof m);
	m.mmio_spte_cache = false;   /* a valid bool opposite to the design's */
	vmx_init(&m, c);
	CU_ASSERT_EQUAL(m.procbased_ctls, 0xb1a00480u);
	CU_ASSERT_TRUE(m.mmio_spte_cache);
	CU_ASSERT_EQUAL(m.exit_cycles, 251);
	CU_ASSERT_EQUAL(m.entry_cycles, 252);
	CU_ASSERT_EQUAL(m.user_cycles, 5200);
	static const enum vmx_exit order[] = {
		VMXX_CPUID, VMXX_HLT, VMXX_RDTSC, VMXX_VMCALL, VMXX_IO_INSTRUCTION, VMXX_MSR_READ,
		VMXX_MSR_WRITE, VMXX_EPT_VIOLATION, VMXX_EPT_MISCONFIG, VMXX_TRIPLE_FAULT,
	};
	for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
		CU_ASSERT_EQUAL(m.handler[order[i]], 501 + i);

	/* 0xb1a00480: HLT, UNCOND_IO and MSR bitmaps on; RDTSC exiting off */
	CU_ASSERT_TRUE(vmx_exits_on_hlt(&m));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(&m));
	CU_ASSERT_TRUE(vmx_exits_on_io(&m, 0x3f8));
	CU_ASSERT_FALSE(vmx_exits_on_msr(&m, 0xc0000100, true));
	CU_ASSERT_TRUE(vmx_exits_on_msr(&m, 0xc0000080, true));

	/* A later source overrides; bool spellings */
	CU_ASSERT_EQUAL(cfg_set(c, "vmx.mmio_spte_cache=off"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "vmx.procbased_ctls=0x1080"), 0);
	m.mmio_spte_cache = true;
	vmx_init(&m, c);
	CU_ASSERT_FALSE(m.mmio_spte_cache);
	CU_ASSERT_TRUE(vmx_exits_on_rdtsc(&m));
	CU_ASSERT_FALSE(vmx_exits_on_io(&m, 0x3f8));
	CU_ASSERT_TRUE(vmx_exits_on_msr(&m, 0xc0000100, true));   /* no MSR bitmaps */
	cfg_free(c);
}

static void test_cfg_errors(void)
{
	struct cfg *c = vmx_cfg();
	/* The primary controls are a 32-bit field */
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[vmx]\nprocbased_ctls = 0x100000000\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "bad.ini:2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "vmx.procbased_ctls"));
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[vmx]\nmmio_spte_cache = maybe\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "vmx.mmio_spte_cache"));
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[vmx]\nhlt_cycles = 1000000001\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "vmx.hlt_cycles"));
	cfg_free(c);
}

static CU_TestInfo tests[] = {
	{ "control bits and VMCS encodings", test_control_bits },
	{ "HLT and RDTSC exiting", test_hlt_rdtsc },
	{ "I/O exiting", test_io },
	{ "MSR bitmap passthrough", test_msr },
	{ "exit reasons and names", test_reasons_and_names },
	{ "I/O exit qualification", test_io_qualification },
	{ "EPT violation qualification", test_ept_qualification },
	{ "exit cost", test_exit_cost },
	{ "vmx_init from a design", test_init_from_cfg },
	{ "design errors", test_cfg_errors },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("vmx", tests);
}
