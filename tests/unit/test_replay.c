/* The replay's what-if decisions (traces/replay.c), one per feature toggle:
 * an exit as KVM traces it (real print formats), with its companions, put to
 * a design.  Expected outcomes are the SDM's and KVM's, not the code's. */
#include <string.h>

#include "core/cfg.h"
#include "platform/designs.h"
#include "replay_lines.h"

static struct replay_design des;

/* The default design of arch with the assignments sets[] over it. */
static void design(enum trace_arch arch, const char *const *sets)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_load_default(c, arch == TRACE_ARCH_ARM64 ? ISA_A64 : ISA_X86_64), 0);
	for (; sets && *sets; sets++)
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, *sets), 0);
	replay_design_fini(&des);
	CU_ASSERT_EQUAL_FATAL(replay_design_init(&des, arch, c, "t"), 0);
	cfg_free(c);
}

static struct replay_decision decide(const char *const *lines) { return decide_under(&des, lines); }

#define X86(r, i1) "t-1 [000] d.... 1.000001: kvm_exit: vcpu 0 reason " r " rip 0x1000 info1 " i1 \
	" info2 0x0 intr_info 0x00000000 error_code 0x00000000"
#define MSRW(idx, v) "t-1 [000] ..... 1.000002: kvm_msr: msr_write " idx " = " v
#define MSRR(idx) "t-1 [000] ..... 1.000002: kvm_msr: msr_read " idx " = 0x0"
#define A64(ec, name) "t-1 [000] d.... 1.000001: kvm_exit: TRAP: HSR_EC: " ec " (" name "), PC: 0xffff000000001000"

static const char *const legacy[] = { "vmx.pin_ctls=0x29", "vmx.procbased_ctls=0xb1800c88",
				      "vmx.procbased_ctls2=0x21034ea", NULL };

/* The exit lines under design a (kept as reason) and under design b (removed). */
static void toggle(const char *const *l, const char *const *a, const char *reason, const char *const *b)
{
	design(TRACE_ARCH_X86, a);
	expect(decide(l), RO_KEPT, reason);
	design(TRACE_ARCH_X86, b);
	expect(decide(l), RO_REMOVED, NULL);
}

/* x2APIC EOI (MSR 80BH): exits on a host without APICv; virtualized with
 * virtual-interrupt delivery (SDM 30.1.4), the EOI-exit bitmap clear. */
static void test_apicv_eoi(void)
{
	const char *const l[] = { X86("MSR_WRITE", "0x0"), MSRW("80b", "0x0"), NULL };
	toggle(l, legacy, "MSR_WRITE", NULL);
}

/* ICR (830H): APICv alone still exits (KVM emulates the IPI); IPI
 * virtualization (tertiary bit 4, SDM 30.1.6) completes it in hardware. */
static void test_ipiv(void)
{
	const char *const l[] = { X86("MSR_WRITE", "0x0"), MSRW("830", "0x1000000f2"), NULL };
	const char *const ipiv[] = { "vmx.procbased_ctls=0xb1a20c88", "vmx.procbased_ctls3=0x10", NULL };
	toggle(l, NULL, "MSR_WRITE", ipiv);
}

/* TPR (808H) write: passed through with the TPR shadow (KVM), exits without. */
static void test_tpr_shadow(void)
{
	const char *const l[] = { X86("MSR_WRITE", "0x0"), MSRW("808", "0x20"), NULL };
	const char *const tpr[] = { "vmx.pin_ctls=0x29", "vmx.procbased_ctls2=0x21034ea", NULL };
	toggle(l, legacy, "MSR_WRITE", tpr);
}

/* The posted-interrupt notification vector (KVM's 0xf2) while the guest
 * runs: processed without an exit (SDM 30.6); a kick (0xfd) still exits. */
static void test_posted(void)
{
	const char *const nv[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT rip 0x1 info1 0x0 "
				   "info2 0x0 intr_info 0x800000f2 error_code 0x00000000", NULL };
	const char *const kick[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT rip 0x1 info1 0x0 "
				     "info2 0x0 intr_info 0x800000fd error_code 0x00000000", NULL };
	design(TRACE_ARCH_X86, legacy);
	expect(decide(nv), RO_KEPT, "EXTERNAL_INTERRUPT");
	design(TRACE_ARCH_X86, NULL);
	des.pi_nv = 0xf2;	/* KVM's POSTED_INTR_VECTOR (arch/x86/include/asm/irq_vectors.h) */
	expect(decide(nv), RO_REMOVED, NULL);
	expect(decide(kick), RO_KEPT, "EXTERNAL_INTERRUPT");
}

/* KVM's MSR bitmap passes IA32_TSC reads through; IA32_MISC_ENABLE exits. */
static void test_msr_bitmap(void)
{
	const char *const tsc[] = { X86("MSR_READ", "0x0"), MSRR("10"), NULL };
	const char *const misc[] = { X86("MSR_READ", "0x0"), MSRR("1a0"), NULL };
	const char *const none[] = { X86("MSR_READ", "0x0"), NULL };
	design(TRACE_ARCH_X86, NULL);
	expect(decide(tsc), RO_REMOVED, NULL);
	expect(decide(misc), RO_KEPT, "MSR_READ");
	expect(decide(none), RO_UNDECIDABLE, "MSR_READ");
}

/* IN from port 0x3fd (qualification 0x3fd0008, Table 28-5): unconditional
 * I/O exiting exits; with I/O bitmaps the bitmap decides. */
static void test_io_bitmap(void)
{
	const char *const l[] = { X86("IO_INSTRUCTION", "0x0000000003fd0008"), NULL };
	design(TRACE_ARCH_X86, NULL);
	expect(decide(l), RO_KEPT, "IO_INSTRUCTION");
	const char *const bm[] = { "vmx.procbased_ctls=0xb3a00c88", NULL };   /* + USE_IO_BITMAPS (bit 25) */
	design(TRACE_ARCH_X86, bm);
	expect(decide(l), RO_KEPT, "IO_INSTRUCTION");
	vmx_io_intercept(&des.vmx, 0x3fd, false);
	expect(decide(l), RO_REMOVED, NULL);
}

/* HLT exiting (primary bit 7): off, the HLT is removed and the interrupt
 * that ends it exits instead. */
static void test_hlt(void)
{
	const char *const l[] = { X86("HLT", "0x0"), NULL };
	design(TRACE_ARCH_X86, NULL);
	expect(decide(l), RO_KEPT, "HLT");
	const char *const off[] = { "vmx.procbased_ctls=0xb1a00c08", NULL };
	design(TRACE_ARCH_X86, off);
	struct replay_decision d = decide(l);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_STRING_EQUAL(d.wake, "EXTERNAL_INTERRUPT");
}

/* KVM's MMIO SPTEs: the first access to a page is an EPT violation. */
static void test_mmio(void)
{
	const char *const l[] = { X86("EPT_MISCONFIG", "0x0"),
				  "t-1 [000] ..... 1.000002: kvm_mmio: mmio write len 4 gpa 0xfed00000 val 0x0", NULL };
	design(TRACE_ARCH_X86, NULL);
	expect(decide(l), RO_KEPT, "EPT_VIOLATION");   /* no earlier access in a one-exit decision */
	const char *const no[] = { X86("EPT_MISCONFIG", "0x0"), NULL };
	expect(decide(no), RO_UNDECIDABLE, "EPT_MISCONFIG");
}

/* xAPIC EOI write to the APIC-access page: virtualized with APICv (30.4),
 * an emulated MMIO exit without. */
static void test_apic_access(void)
{
	const char *const l[] = { X86("EPT_MISCONFIG", "0x0"),
				  "t-1 [000] ..... 1.000002: kvm_mmio: mmio write len 4 gpa 0xfee000b0 val 0x0", NULL };
	toggle(l, legacy, "EPT_VIOLATION", NULL);
}

/* An APICv host's APIC_ACCESS (EOI write: offset 0B0H, linear write,
 * Table 28-6) replayed: an emulated MMIO access without APICv, virtualized
 * with it.  PAUSE exits (PAUSE-loop exiting) are not decided. */
static void test_apic_exits(void)
{
	const char *const l[] = { X86("APIC_ACCESS", "0x00000000000010b0"), NULL };
	toggle(l, legacy, "EPT_VIOLATION", NULL);
	const char *const p[] = { X86("PAUSE_INSTRUCTION", "0x0"), NULL };
	expect(decide(p), RO_UNMODELLED, NULL);
}

static void test_unknown(void)
{
	const char *const l[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason UNKNOWN rip 0x1 info1 0x0 info2 0x0 "
				  "intr_info 0x00000000 error_code 0x00000000", NULL };
	const char *const svm[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason npf rip 0x1 info1 0x0 info2 0x0 "
				    "intr_info 0x00000000 error_code 0x00000000", NULL };
	design(TRACE_ARCH_X86, NULL);
	struct trace_event ev;
	uint64_t lost = 0;
	const char *why;
	if (trace_parse_line(l[0], strlen(l[0]), &ev, &lost, &why) == 1)
		expect(decide(l), RO_UNMODELLED, NULL);
	expect(decide(svm), RO_UNMODELLED, NULL);
}

/* arm64: WFI under HCR_EL2.TWI (bit 13); WFE is kept; no kvm_wfx_arm64: undecidable. */
static void test_wfi(void)
{
	const char *const wfi[] = { A64("0x0001", "WFx"), "t-1 [000] ..... 1.0: kvm_wfx_arm64: guest executed wfi at: 0x1000",
				    NULL };
	const char *const bare[] = { A64("0x0001", "WFx"), NULL };
	design(TRACE_ARCH_ARM64, NULL);
	expect(decide(wfi), RO_KEPT, "WFx");
	const char *const notwi[] = { "el2.hcr_el2=0x8807c063f", NULL };
	design(TRACE_ARCH_ARM64, notwi);
	struct replay_decision d = decide(wfi);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_STRING_EQUAL(d.wake, "IRQ");
	expect(decide(bare), RO_UNDECIDABLE, "WFx");
}

/* ID_AA64PFR0_EL1 (3,0,0,4,0) reads trap under HCR_EL2.TID3 (bit 18);
 * ICC_SGI1R_EL1 writes trap whatever TID3. */
static void test_tid3(void)
{
	const char *const id[] = { A64("0x0018", "SYS64"),
				   "t-1 [000] ..... 1.0: kvm_sys_access: PC: 1000 ID_AA64PFR0_EL1 (3,0,0,4,0) read", NULL };
	const char *const sgi[] = { A64("0x0018", "SYS64"),
				    "t-1 [000] ..... 1.0: kvm_sys_access: PC: 1000 ICC_SGI1R_EL1 (3,0,12,11,5) write", NULL };
	design(TRACE_ARCH_ARM64, NULL);
	expect(decide(id), RO_KEPT, "SYS64");
	const char *const notid3[] = { "el2.hcr_el2=0x88078263f", NULL };
	design(TRACE_ARCH_ARM64, notid3);
	expect(decide(id), RO_REMOVED, NULL);
	expect(decide(sgi), RO_KEPT, "SYS64");
}

/* The LAPIC timer expiring while the guest runs (the host timer's vector
 * 0xec, the LVTT vector accepted): an EXTERNAL_INTERRUPT on the hrtimer, a
 * PREEMPTION_TIMER exit on the VMX-preemption timer (SDM 26.5.1), none
 * with the exitless timer (posted); a host tick (no accept) exits always. */
static void test_timer_designs(void)
{
	const char *const t[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT rip 0x1 info1 0x0 "
				  "info2 0x0 intr_info 0x800000ec error_code 0x00000000",
				  "t-1 [000] d.... 1.0: kvm_apic_accept_irq: apicid 0 vec 236 (Fixed|edge)", NULL };
	const char *const tick[] = { t[0], NULL };
	const char *const pre[] = { "t-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason PREEMPTION_TIMER rip 0x1 info1 0x0 "
				    "info2 0x0 intr_info 0x00000000 error_code 0x00000000", t[1], NULL };
	const char *const hrt[] = { "lapic.timer=hrtimer", NULL }, *const pt[] = { "lapic.timer=preemption", NULL },
			  *const exl[] = { "lapic.timer=exitless", NULL };
	design(TRACE_ARCH_X86, hrt);
	expect(decide(t), RO_KEPT, "EXTERNAL_INTERRUPT");
	expect(decide(pre), RO_KEPT, "EXTERNAL_INTERRUPT");
	design(TRACE_ARCH_X86, pt);
	struct replay_decision d = decide(t);
	expect(d, RO_KEPT, "PREEMPTION_TIMER");
	CU_ASSERT_EQUAL(d.cost, des.switch_cost + des.preempt_cycles);
	expect(decide(tick), RO_KEPT, "EXTERNAL_INTERRUPT");
	design(TRACE_ARCH_X86, exl);
	d = decide(t);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_EQUAL(d.cost, des.pi_notify_cycles);
	expect(decide(pre), RO_REMOVED, NULL);
	expect(decide(tick), RO_KEPT, "EXTERNAL_INTERRUPT");
	const char *const bare[] = { pre[0], NULL };
	expect(decide(bare), RO_UNDECIDABLE, "PREEMPTION_TIMER");
}

/* A passed-through device's MSI interrupting the running vCPU (IRQ exit,
 * VFIO handler): GICv3 injects it through a list register (the exit stays);
 * GICv4 and 4.1 deliver it as a vLPI to the resident vPE through the host
 * ITS (no exit), every time; any other IRQ stays. */
static void test_gicv4(void)
{
	const char *const msi[] = { "t-1 [000] d.... 1.0: kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x1000",
				    "t-1 [000] d.... 1.0: irq_handler_entry: irq=42 name=vfio-msix[0](0000:01:00.0)", NULL };
	const char *const other[] = { msi[0], "t-1 [000] d.... 1.0: irq_handler_entry: irq=3 name=arch_timer", NULL };
	const char *const v3[] = { "gic.version=3", NULL }, *const v4[] = { "gic.version=4", NULL },
			  *const v41[] = { "gic.version=4.1", NULL };
	design(TRACE_ARCH_ARM64, v3);
	expect(decide(msi), RO_KEPT, "IRQ");
	design(TRACE_ARCH_ARM64, v4);
	for (int i = 0; i < 3; i++)	/* the vLPI is taken each time: the next one is direct again */
		expect(decide(msi), RO_REMOVED, NULL);
	expect(decide(other), RO_KEPT, "IRQ");
	design(TRACE_ARCH_ARM64, v41);
	expect(decide(msi), RO_REMOVED, NULL);
	/* list registers: under GICv4 the device's LPI takes none */
	const char *const two[] = { A64("0x0024", "DABT_LOW"), "t-1 [000] ..... 1.0: tracing_mark_write: hvsim: vgic lrs 2 device 1",
				    NULL };
	const char *const one[] = { A64("0x0024", "DABT_LOW"), "t-1 [000] ..... 1.0: tracing_mark_write: hvsim: vgic lrs 1",
				    NULL };
	const char *const plain2[] = { A64("0x0024", "DABT_LOW"), "t-1 [000] ..... 1.0: tracing_mark_write: hvsim: vgic lrs 2",
				       NULL };
	CU_ASSERT_EQUAL(decide(two).cost, decide(one).cost);
	CU_ASSERT(decide(plain2).cost > decide(one).cost);
	design(TRACE_ARCH_ARM64, v3);
	CU_ASSERT_EQUAL(decide(two).cost, decide(plain2).cost);
	replay_design_fini(&des);
}

/* A WFI that blocks in the hypervisor under GICv4 (HCR_EL2.TWI set): KVM
 * makes the vPE non-resident (vgic_v4_put) and resident again when the vCPU
 * runs (vgic_v4_load): 2 residency changes; a device MSI the trace shows
 * meanwhile finds the vPE not resident and rings its doorbell (an added
 * event, not an exit).  GICv3 does neither; WFE never blocks this way. */
#define WFI_EXIT A64("0x0001", "WFx"), "t-1 [000] ..... 1.0: kvm_wfx_arm64: guest executed wfi at: 0x1000"
#define VFIO_MSI "t-1 [000] d.... 1.0: irq_handler_entry: irq=42 name=vfio-msix[0](0000:01:00.0)"
static void test_gicv4_wfi(void)
{
	const char *const wfi[] = { WFI_EXIT, NULL }, *const wfi_msi[] = { WFI_EXIT, VFIO_MSI, NULL };
	const char *const wfe[] = { A64("0x0001", "WFx"), "t-1 [000] ..... 1.0: kvm_wfx_arm64: guest executed wfe at: 0x1000",
				    NULL };
	const char *const run_msi[] = { "t-1 [000] d.... 1.0: kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x1000", VFIO_MSI,
					NULL };
	const char *const v3[] = { "gic.version=3", NULL }, *const v4[] = { "gic.version=4", NULL };
	design(TRACE_ARCH_ARM64, v3);
	struct replay_decision d = decide(wfi_msi);
	expect(d, RO_KEPT, "WFx");
	CU_ASSERT(d.residency == 0 && !d.doorbell && d.hyp_cycles == 0);
	design(TRACE_ARCH_ARM64, v4);
	cycles_t res = des.v4->cost.residency, db = des.v4->cost.doorbell;
	CU_ASSERT(res > 0 && db > 0);
	d = decide(wfi);
	expect(d, RO_KEPT, "WFx");
	CU_ASSERT_EQUAL(d.residency, 2);
	CU_ASSERT(!d.doorbell);
	CU_ASSERT_EQUAL(d.hyp_cycles, 2 * res);
	for (int i = 0; i < 2; i++) {	/* the vPE is resident again and the vLPI taken: the same each time */
		d = decide(wfi_msi);
		expect(d, RO_KEPT, "WFx");
		CU_ASSERT_EQUAL(d.residency, 2);
		CU_ASSERT(d.doorbell);
		CU_ASSERT_EQUAL(d.hyp_cycles, 2 * res + db);
		expect(decide(run_msi), RO_REMOVED, NULL);	/* running again: direct, no doorbell */
	}
	d = decide(wfe);
	CU_ASSERT(d.residency == 0 && !d.doorbell && d.hyp_cycles == 0);
	/* WFI not trapped: the vPE stays resident, the vLPI wakes the WFI
	 * without an exit; under GICv3 the MSI's kick exits instead */
	const char *const notwi4[] = { "gic.version=4", "el2.hcr_el2=0x8807c063f", NULL },
			  *const notwi3[] = { "gic.version=3", "el2.hcr_el2=0x8807c063f", NULL };
	design(TRACE_ARCH_ARM64, notwi4);
	d = decide(wfi_msi);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_PTR_NULL(d.wake);
	CU_ASSERT(d.residency == 0 && !d.doorbell);
	design(TRACE_ARCH_ARM64, notwi3);
	d = decide(wfi_msi);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_STRING_EQUAL(d.wake, "IRQ");
	replay_design_fini(&des);
}

/* ICC_SGI1R_EL1 writes trap under every GIC (HCR_EL2.IMO); under GICv4.1
 * whether the SGI is a vSGI and whom it targets is not in the trace. */
static void test_gicv41_sgi(void)
{
	const char *const sgi[] = { A64("0x0018", "SYS64"),
				    "t-1 [000] ..... 1.0: kvm_sys_access: PC: 1000 ICC_SGI1R_EL1 (3,0,12,11,5) write", NULL };
	const char *const v4[] = { "gic.version=4", NULL }, *const v41[] = { "gic.version=4.1", NULL };
	design(TRACE_ARCH_ARM64, v4);
	expect(decide(sgi), RO_KEPT, "SYS64");
	design(TRACE_ARCH_ARM64, v41);
	expect(decide(sgi), RO_UNDECIDABLE, "SYS64");
	replay_design_fini(&des);
}

/* DABT_LOW goes to the userspace VMM when the trace says so: the cost has the round trip. */
static void test_user_cost(void)
{
	const char *const k[] = { A64("0x0024", "DABT_LOW"), NULL };
	const char *const u[] = { A64("0x0024", "DABT_LOW"),
				  "t-1 [000] ..... 1.0: kvm_userspace_exit: reason KVM_EXIT_MMIO (6)", NULL };
	design(TRACE_ARCH_ARM64, NULL);
	struct replay_decision a = decide(k), b = decide(u);
	CU_ASSERT(b.cost > a.cost && b.cost - a.cost >= des.el2.mmio_user_cycles);   /* plus vcpu_put/load */
	CU_ASSERT(des.el2.mmio_user_cycles > 0);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "APICv EOI", test_apicv_eoi }, { "IPI virtualization", test_ipiv }, { "TPR shadow", test_tpr_shadow },
		{ "posted interrupts", test_posted }, { "MSR bitmap", test_msr_bitmap }, { "I/O bitmap", test_io_bitmap },
		{ "HLT exiting", test_hlt }, { "MMIO SPTE", test_mmio }, { "APIC-access page", test_apic_access },
		{ "APIC exits", test_apic_exits },
		{ "unknown and SVM", test_unknown }, { "WFI trapping", test_wfi }, { "TID3", test_tid3 },
		{ "userspace round trip", test_user_cost }, { "x86 timer designs", test_timer_designs },
		{ "GICv4 device MSIs", test_gicv4 }, { "GICv4 blocking WFI", test_gicv4_wfi },
		{ "GICv4.1 SGIs", test_gicv41_sgi }, CU_TEST_INFO_NULL,
	};
	return unit_run("replay", tests);
}
