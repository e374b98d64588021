/* traces/: one line of each text format -> struct trace_event.  Samples are
 * the real lines quoted in shared/traces-reference/FORMATS.md (kvm mailing
 * list text, a 6.18 host's `trace-cmd report`), and lines built from the
 * tracepoints' print fmt where no real one is public.  Expected numbers are
 * the SDM's VMX basic exit reasons (Vol. 3D, Appendix C), the AMD APM's SVM
 * exit codes (Vol. 2, Appendix C), the Arm ARM's ESR_EL2.EC values, read off
 * the lines by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "traces/trace.h"
#include "tests/unit/unit.h"

/* Parses s from an exact-size heap copy (no NUL after it), so a read past
 * the end is an ASan error in the sanitizer pass. */
static int parse(const char *s, struct trace_event *ev, uint64_t *lost, const char **why)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	memcpy(copy, s, n);
	*why = NULL;
	int rc = trace_parse_line(copy, n, ev, lost, why);
	/* ev->name points into the line: keep the name before freeing it */
	static char name[64];
	if (rc == 1 && ev->name) {
		snprintf(name, sizeof name, "%.*s", (int)ev->name_len, ev->name);
		ev->name = name;
	}
	free(copy);
	return rc;
}

static struct trace_event ev1(const char *s)
{
	struct trace_event ev;
	uint64_t lost = 0;
	const char *why;
	int rc = parse(s, &ev, &lost, &why);
	if (rc != 1)
		fprintf(stderr, "not parsed (%d, %s): %s\n", rc, why ? why : "-", s);
	CU_ASSERT_EQUAL(rc, 1);
	return ev;
}

static void test_x86_kernel_form(void)
{
	struct trace_event e = ev1("qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: vcpu 0 reason "
				   "EXCEPTION_NMI rip 0xfd0bd info1 0x0000000000000000 info2 0x0000000000000413 "
				   "intr_info 0x80000306 error_code 0x00000000");
	CU_ASSERT_EQUAL(e.kind, TEV_EXIT);
	CU_ASSERT_EQUAL(e.arch, TRACE_ARCH_X86);
	CU_ASSERT_EQUAL(e.cpu, 15);
	CU_ASSERT_EQUAL(e.pid, 18971);
	CU_ASSERT_EQUAL(e.vcpu, 0);
	CU_ASSERT_EQUAL(e.ts_ns, 95922997039000ull);
	CU_ASSERT_EQUAL(e.u.x86.reason, 0);	/* EXCEPTION_NMI */
	CU_ASSERT_FALSE(e.u.x86.svm);
	CU_ASSERT_FALSE(e.u.x86.unknown);
	CU_ASSERT_EQUAL(e.u.x86.rip, 0xfd0bd);
	CU_ASSERT_EQUAL(e.u.x86.info1, 0);
	CU_ASSERT_EQUAL(e.u.x86.info2, 0x413);
	CU_ASSERT_EQUAL(e.u.x86.intr_info, 0x80000306);
	CU_ASSERT_EQUAL(e.u.x86.error_code, 0);
	CU_ASSERT_EQUAL(e.u.x86.have, TX_VCPU | TX_RIP | TX_INFO | TX_INTR_INFO | TX_ERROR_CODE);
	/* "repro-1289", 140.314684 s: the second public sample */
	e = ev1("repro-1289    [019] d....   140.314684: kvm_exit: vcpu 0 reason EXCEPTION_NMI rip 0x1 info1 "
		"0x0000000000004000 info2 0x0000000000000000 intr_info 0x80000301 error_code 0x00000000");
	CU_ASSERT_EQUAL(e.pid, 1289);
	CU_ASSERT_EQUAL(e.ts_ns, 140314684000ull);
	CU_ASSERT_EQUAL(e.u.x86.info1, 0x4000);
	CU_ASSERT_EQUAL(e.u.x86.intr_info, 0x80000301);
}

/* The 6.18 host's form: " requests 0x..." after error_code. */
static void test_x86_requests(void)
{
	struct trace_event e = ev1(" CPU 1/KVM-4001 [001] d.... 1000.000001: kvm_exit: vcpu 3 reason EPT_VIOLATION rip "
				   "0xffffffff8164f0ee info1 0x0000000000000181 info2 0x0000000000000000 intr_info "
				   "0x00000000 error_code 0x00000000 requests 0x0000000000000104");
	CU_ASSERT_EQUAL(e.u.x86.reason, 48);
	CU_ASSERT_EQUAL(e.vcpu, 3);
	CU_ASSERT_EQUAL(e.pid, 4001);
	CU_ASSERT_EQUAL(e.u.x86.rip, 0xffffffff8164f0eeull);
	CU_ASSERT_EQUAL(e.u.x86.info1, 0x181);
	CU_ASSERT_EQUAL(e.u.x86.requests, 0x104);
	CU_ASSERT(e.u.x86.have & TX_REQUESTS);
	/* FAILED_VMENTRY: bit 31 of the exit reason, printed after the name */
	e = ev1("a-1 [000] 1.5: kvm_exit: vcpu 1 reason INVALID_STATE FAILED_VMENTRY rip 0x10 info1 "
		"0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000");
	CU_ASSERT_EQUAL(e.u.x86.reason, 33);
	CU_ASSERT_TRUE(e.u.x86.failed_vmentry);
	CU_ASSERT_EQUAL(e.ts_ns, 1500000000ull);
	/* a counter clock (x86-tsc; hvsim's export: cycles) has no fraction and
	 * runs past 2^64 / 10^9 within seconds: taken whole */
	e = ev1("a-1 [000] d..2. 123456789012345678: kvm_entry: vcpu 0, rip 0x10");
	CU_ASSERT_TRUE(e.ts_raw);
	CU_ASSERT_EQUAL(e.ts_ns, 123456789012345678ull);
	/* nine fraction digits (ns clocks), and at most nine */
	e = ev1("a-1 [000] 12.000000007: kvm_entry: vcpu 0, rip 0x10");
	CU_ASSERT_EQUAL(e.ts_ns, 12000000007ull);
	struct trace_event x;
	uint64_t lost = 0;
	const char *why;
	CU_ASSERT_EQUAL(parse("a-1 [000] 12.0000000071: kvm_entry: vcpu 0, rip 0x10", &x, &lost, &why), -1);
	CU_ASSERT_EQUAL(parse("a-1 [000] 123456789012345678901: kvm_entry: vcpu 0, rip 0x10", &x, &lost, &why), -1);
}

/* trace-cmd report's kvm plugin and the old kernels: "reason R rip 0x.. info A B". */
static void test_x86_plugin_and_old(void)
{
	struct trace_event e = ev1("dirty_log_test-29003 [001] 184503.384329: kvm_exit:             reason "
				   "EPT_VIOLATION rip 0x40359f info 582 0");
	CU_ASSERT_EQUAL(e.u.x86.reason, 48);
	CU_ASSERT_EQUAL(e.vcpu, -1);
	CU_ASSERT_EQUAL(e.u.x86.rip, 0x40359f);
	CU_ASSERT_EQUAL(e.u.x86.info1, 0x582);
	CU_ASSERT_EQUAL(e.u.x86.info2, 0);
	CU_ASSERT_EQUAL(e.u.x86.have, TX_RIP | TX_INFO);
	e = ev1(" qemu-1 [002] 5.000001: kvm_exit: reason UNKNOWN (99) rip 0x1 info 0 0");
	CU_ASSERT_EQUAL(e.u.x86.reason, 99);
	CU_ASSERT_TRUE(e.u.x86.unknown);
	/* the kernel's __print_symbolic prints an unnamed value in hex */
	e = ev1(" qemu-1 [002] 5.000001: kvm_exit: vcpu 0 reason 0x5a rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 "
		"error_code 0x0");
	CU_ASSERT_EQUAL(e.u.x86.reason, 0x5a);
	CU_ASSERT_TRUE(e.u.x86.unknown);
	/* abridged by its author, still the kernel's field names */
	e = ev1("CPU 0/KVM-7289    [023] d....  2925.640967: kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT intr_info "
		"0x800000ec");
	CU_ASSERT_EQUAL(e.pid, 7289);
	CU_ASSERT_EQUAL(e.u.x86.reason, 1);
	CU_ASSERT_EQUAL(e.u.x86.intr_info, 0x800000ec);
}

/* SVM exit codes keep their own table. */
static void test_svm(void)
{
	static const struct {
		const char *name;
		uint32_t code;
	} svm[] = {
		{ "npf", 0x400 }, { "msr", 0x7c }, { "io", 0x7b }, { "hlt", 0x78 }, { "interrupt", 0x60 },
		{ "vintr", 0x64 }, { "avic_incomplete_ipi", 0x401 }, { "PF excp", 0x4e }, { "cpuid", 0x72 },
	};
	char line[256];
	for (size_t i = 0; i < sizeof svm / sizeof svm[0]; i++) {
		snprintf(line, sizeof line, "CPU 0/KVM-82557 [002] d.... 10.0: kvm_exit: vcpu 0 reason %s rip "
			 "0xffffffffad496104 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 "
			 "error_code 0x00000000", svm[i].name);
		struct trace_event e = ev1(line);
		CU_ASSERT_TRUE(e.u.x86.svm);
		CU_ASSERT_EQUAL(e.u.x86.reason, svm[i].code);
		CU_ASSERT_FALSE(e.u.x86.unknown);
	}
	/* the public sample, abridged after rip */
	struct trace_event e = ev1("CPU 0/KVM-82557 [002] d.... 10.0: kvm_exit: vcpu 0 reason msr rip 0xffffffffad496104");
	CU_ASSERT_TRUE(e.u.x86.svm);
	CU_ASSERT_EQUAL(e.u.x86.reason, 0x7c);
	CU_ASSERT_EQUAL(e.u.x86.rip, 0xffffffffad496104ull);
	CU_ASSERT_STRING_EQUAL(trace_x86_reason_name(0x7c, true), "msr");
	CU_ASSERT_STRING_EQUAL(trace_x86_reason_name(32, false), "MSR_WRITE");
	CU_ASSERT_PTR_NULL(trace_x86_reason_name(5, false));	/* no basic reason 5 */
}

static void test_arm64_exit(void)
{
	struct trace_event e = ev1("qemu-system-aar-1200  [001] d..1.  77.000100: kvm_exit: TRAP: HSR_EC: 0x0024 "
				   "(DABT_LOW), PC: 0xffff800008a1b2c4");
	CU_ASSERT_EQUAL(e.arch, TRACE_ARCH_ARM64);
	CU_ASSERT_EQUAL(e.u.arm.type, TRACE_ARM_TRAP);
	CU_ASSERT_EQUAL(e.u.arm.ec, 0x24);
	CU_ASSERT_EQUAL(e.u.arm.pc, 0xffff800008a1b2c4ull);
	CU_ASSERT_FALSE(e.u.arm.unknown);
	CU_ASSERT_EQUAL(e.vcpu, -1);
	/* the public sample (PC printed %08lx by that kernel) */
	e = ev1("qemu-system-aar-1200  [001] d..1.  77.000200: kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: "
		"0xffff87259e30");
	CU_ASSERT_EQUAL(e.u.arm.type, TRACE_ARM_IRQ);
	CU_ASSERT_EQUAL(e.u.arm.ec, 0);
	CU_ASSERT_EQUAL(e.u.arm.pc, 0xffff87259e30ull);
	e = ev1("q-1 [000] 1.0: kvm_exit: SERROR: HSR_EC: 0x0000 (UNKNOWN), PC: 0xffff800008000000");
	CU_ASSERT_EQUAL(e.u.arm.type, TRACE_ARM_SERROR);
	/* ARM_EXCEPTION_IL has no name: printed as 0x3 */
	e = ev1("q-1 [000] 1.0: kvm_exit: 0x3: HSR_EC: 0x0000 (UNKNOWN), PC: 0xffff800008000000");
	CU_ASSERT_EQUAL(e.u.arm.type, TRACE_ARM_IL);
	CU_ASSERT_TRUE(e.u.arm.unknown);
	/* an older kernel without PAC prints EC 0x09 in hex only: the number decides */
	e = ev1("q-1 [000] 1.0: kvm_exit: TRAP: HSR_EC: 0x0009 (0x9), PC: 0xffff800008000000");
	CU_ASSERT_EQUAL(e.u.arm.ec, 0x09);
	CU_ASSERT_FALSE(e.u.arm.unknown);
	CU_ASSERT_STRING_EQUAL(trace_arm_ec_name(0x09), "PAC");
	/* an EC no table names */
	e = ev1("q-1 [000] 1.0: kvm_exit: TRAP: HSR_EC: 0x003f (0x3f), PC: 0x0");
	CU_ASSERT_TRUE(e.u.arm.unknown);
	char buf[48];
	CU_ASSERT_STRING_EQUAL(trace_exit_name(&e, buf, sizeof buf), "TRAP EC 0x3f");
	CU_ASSERT_STRING_EQUAL(trace_arm_ec_name(0x01), "WFx");
	CU_ASSERT_STRING_EQUAL(trace_arm_ec_name(0x18), "SYS64");
	CU_ASSERT_STRING_EQUAL(trace_arm_ec_name(0x16), "HVC64");
}

static void test_entry(void)
{
	struct trace_event e = ev1(" qemu-1 [000] 1.0: kvm_entry: vcpu 2, rip 0xffffffff81000010 intr_info 0x800000ec "
				   "error_code 0x00000000[immediate exit]");
	CU_ASSERT_EQUAL(e.kind, TEV_ENTRY);
	CU_ASSERT_EQUAL(e.vcpu, 2);
	CU_ASSERT_EQUAL(e.u.entry.pc, 0xffffffff81000010ull);
	CU_ASSERT_EQUAL(e.u.entry.intr_info, 0x800000ec);
	CU_ASSERT_TRUE(e.u.entry.immediate_exit);
	e = ev1("dirty_log_test-29003 [001] 184503.384331: kvm_entry:            vcpu 1");
	CU_ASSERT_EQUAL(e.vcpu, 1);
	e = ev1(" qemu-1 [000] 1.0: kvm_entry: PC: 0xffff800008a1b2c8");
	CU_ASSERT_EQUAL(e.arch, TRACE_ARCH_ARM64);
	CU_ASSERT_EQUAL(e.u.entry.pc, 0xffff800008a1b2c8ull);
}

/* perf script: "comm tid [cpu] time: kvm:event: args". */
static void test_perf(void)
{
	struct trace_event e = ev1("  CPU 0/KVM  14934 [002] 11111.292837:                kvm:kvm_exit: vcpu 0 reason HLT "
				   "rip 0xffffffff81b7c2fe info1 0x0000000000000000 info2 0x0000000000000000 intr_info "
				   "0x00000000 error_code 0x00000000");
	CU_ASSERT_EQUAL(e.pid, 14934);
	CU_ASSERT_EQUAL(e.cpu, 2);
	CU_ASSERT_EQUAL(e.u.x86.reason, 12);
	CU_ASSERT_STRING_EQUAL(e.name, "kvm_exit");
	CU_ASSERT_EQUAL(trace_sniff("a 1 [000] 1.0: kvm:kvm_entry: vcpu 0, rip 0x1\n", 44), TRACE_FMT_PERF);
}

/* Companion events, as a 6.18 host's trace-cmd report prints them. */
static void test_x86_companions(void)
{
	struct trace_event e = ev1(" qemu-system-x86-8413  [000]   997.266112: kvm_msr:              msr_write 4b564d01 = 0xe8c21");
	CU_ASSERT_EQUAL(e.kind, TEV_MSR);
	CU_ASSERT_TRUE(e.u.msr.write);
	CU_ASSERT_EQUAL(e.u.msr.index, 0x4b564d01);
	CU_ASSERT_EQUAL(e.u.msr.value, 0xe8c21);
	e = ev1(" q-1 [000] 1.0: kvm_msr: msr_read 1b = 0xfee00900 (#GP)");
	CU_ASSERT_FALSE(e.u.msr.write);
	CU_ASSERT_TRUE(e.u.msr.gp);
	e = ev1(" qemu-system-x86-8413  [000]   997.135861: kvm_pio:              pio_write at 0x70 size 1 count 1 val 0x8f ");
	CU_ASSERT_EQUAL(e.kind, TEV_PIO);
	CU_ASSERT_TRUE(e.u.pio.write);
	CU_ASSERT_EQUAL(e.u.pio.port, 0x70);
	CU_ASSERT_EQUAL(e.u.pio.size, 1);
	CU_ASSERT_EQUAL(e.u.pio.value, 0x8f);
	e = ev1(" qemu-system-x86-8413  [000]   997.305558: kvm_mmio:             mmio read len 4 gpa 0xfee000f0 val 0xff");
	CU_ASSERT_EQUAL(e.u.mmio.type, 1);
	CU_ASSERT_EQUAL(e.u.mmio.len, 4);
	CU_ASSERT_EQUAL(e.u.mmio.gpa, 0xfee000f0);
	CU_ASSERT_EQUAL(e.u.mmio.value, 0xff);
	e = ev1(" qemu-system-x86-8413  [000]   997.305560: kvm_apic:             apic_write APIC_SPIV = 0x1ff");
	CU_ASSERT_TRUE(e.u.apic.write);
	CU_ASSERT_EQUAL(e.u.apic.reg, 0xf0);	/* SDM Table 11-1: SVR at FEE0_00F0 */
	CU_ASSERT_EQUAL(e.u.apic.value, 0x1ff);
	/* a register name with NULs after a real one is no name (found by the
	 * trace_line fuzz target: the lookup read past the table's string) */
	static const char nul[] = "q-1 [002] d.... 2925.640990: kvm_apic: apic_write APIC_ICR2\0\0\0\0 = 0x1";
	char *copy = malloc(sizeof nul - 1);
	memcpy(copy, nul, sizeof nul - 1);
	uint64_t lost = 0;
	const char *why = NULL;
	struct trace_event x;
	CU_ASSERT_EQUAL(trace_parse_line(copy, sizeof nul - 1, &x, &lost, &why), -1);
	free(copy);
	e = ev1(" qemu-system-x86-8413  [000]   997.305616: kvm_apic_ipi:         dst 0 vec 16 (SIPI|physical|assert|edge|all-but-self)");
	CU_ASSERT_EQUAL(e.u.ipi.vector, 16);
	CU_ASSERT_EQUAL(e.u.ipi.dm, 6);	/* SIPI: ICR[10:8] = 110b */
	CU_ASSERT_EQUAL(e.u.ipi.shorthand, 3);	/* all excluding self: ICR[19:18] = 11b */
	CU_ASSERT_TRUE(e.u.ipi.assert);
	CU_ASSERT_FALSE(e.u.ipi.logical);
	e = ev1(" qemu-system-x86-8413  [000]   997.305570: kvm_apic_accept_irq:  apicid 1 vec 0 (INIT|edge)");
	CU_ASSERT_EQUAL(e.u.accept.apicid, 1);
	CU_ASSERT_EQUAL(e.u.accept.dm, 5);
	e = ev1(" qemu-system-x86-8413  [000]   997.997832: kvm_eoi:              apicid 0 vector -1");
	CU_ASSERT_EQUAL(e.u.eoi.vector, -1);
	e = ev1(" qemu-system-x86-8414  [000]   998.106225: kvm_vcpu_wakeup:      wait time 766732166 ns, polling valid");
	CU_ASSERT_TRUE(e.u.wakeup.waited);
	CU_ASSERT_EQUAL(e.u.wakeup.ns, 766732166);
	CU_ASSERT_TRUE(e.u.wakeup.valid);
	e = ev1(" qemu-system-x86-8413  [000]   997.135487: kvm_userspace_exit:   reason KVM_EXIT_IO (2)");
	CU_ASSERT_EQUAL(e.u.uexit.reason, 2);
	e = ev1(" q-1 [000] 1.0: kvm_userspace_exit: reason restart (4)");
	CU_ASSERT_EQUAL(e.u.uexit.err, -4);
	e = ev1(" qemu-system-x86-8413  [000]   997.137952: kvm_cpuid:            func 40000000 idx 6 rax 40000001 rbx "
		"4b4d564b rcx 564b4d56 rdx 4d, cpuid entry found");
	CU_ASSERT_EQUAL(e.u.cpuid.function, 0x40000000);
	CU_ASSERT_EQUAL(e.u.cpuid.index, 6);
	CU_ASSERT_EQUAL(e.u.cpuid.rbx, 0x4b4d564b);
	CU_ASSERT_TRUE(e.u.cpuid.found);
	e = ev1(" q-1 [000] 1.0: kvm_inj_virq: IRQ 0xec [reinjected]");
	CU_ASSERT_EQUAL(e.u.virq.vector, 0xec);
	CU_ASSERT_TRUE(e.u.virq.reinjected);
	e = ev1(" q-1 [000] 1.0: kvm_inj_virq: irq 32");
	CU_ASSERT_EQUAL(e.u.virq.vector, 32);
	e = ev1(" q-1 [000] 1.0: kvm_pi_irte_update: PI is enabled and being updated for irq 34, vcpu 1, gsi: 0x18, gvec: 0x22");
	CU_ASSERT_TRUE(e.u.irte.set);
	CU_ASSERT_EQUAL(e.u.irte.gvec, 0x22);
	CU_ASSERT_EQUAL(e.u.irte.gsi, 0x18);
	e = ev1(" q-1 [000] 1.0: kvm_page_fault: vcpu 1 rip 0xffffffff81001234 address 0x00000000fee00300 error_code 0x182");
	CU_ASSERT_EQUAL(e.vcpu, 1);
	CU_ASSERT_EQUAL(e.u.pf.address, 0xfee00300);
	CU_ASSERT_EQUAL(e.u.pf.error_code, 0x182);
	e = ev1("dirty_log_test-29003 [001] 184503.384330: kvm_page_fault:       address 7fc036d000 error_code 582");
	CU_ASSERT_EQUAL(e.u.pf.address, 0x7fc036d000ull);
	CU_ASSERT_EQUAL(e.u.pf.error_code, 0x582);
	e = ev1(" q-1 [000] 1.0: kvm_hypercall: nr 0x5 a0 0x1 a1 0x2 a2 0x3 a3 0x4");
	CU_ASSERT_EQUAL(e.u.hcall.nr, 5);
	CU_ASSERT_EQUAL(e.u.hcall.a[3], 4);
}

static void test_arm64_companions(void)
{
	struct trace_event e = ev1(" q-1 [000] 1.0: kvm_guest_fault: ipa 0x9000000, hsr 0x93c08007, hxfar 0x9000000, pc 0xffff800008123456");
	CU_ASSERT_EQUAL(e.kind, TEV_GUEST_FAULT);
	CU_ASSERT_EQUAL(e.u.gfault.ipa, 0x9000000);
	CU_ASSERT_EQUAL(e.u.gfault.esr, 0x93c08007);
	e = ev1(" q-1 [000] 1.0: kvm_mmio_emulate: Emulate MMIO at: 0xffff800008123456 (instr: b9000020, cpsr: 60000005)");
	CU_ASSERT_EQUAL(e.u.mmio_emul.instr, 0xb9000020);
	e = ev1(" q-1 [000] 1.0: kvm_irq_line: Inject VGIC SPI interrupt (2), vcpu->idx: 0, num: 33, level: 1");
	CU_ASSERT_EQUAL(e.u.irq_line.type, 2);
	CU_ASSERT_EQUAL(e.u.irq_line.irq, 33);
	e = ev1(" q-1 [000] 1.0: vgic_update_irq_pending: VCPU: 1, IRQ 27, level: 1");
	CU_ASSERT_EQUAL(e.vcpu, 1);
	CU_ASSERT_EQUAL(e.u.irq_pending.irq, 27);
	e = ev1(" q-1 [000] 1.0: kvm_timer_update_irq: VCPU: 0, IRQ 27, level 0");
	CU_ASSERT_EQUAL(e.kind, TEV_TIMER_UPDATE_IRQ);
	CU_ASSERT_EQUAL(e.u.irq_pending.level, 0);
	e = ev1(" q-1 [000] 1.0: kvm_wfx_arm64: guest executed wfi at: 0xffff800008000100");
	CU_ASSERT_FALSE(e.u.wfx.wfe);
	CU_ASSERT_EQUAL(e.u.wfx.pc, 0xffff800008000100ull);
	e = ev1(" q-1 [000] 1.0: kvm_sys_access: PC: ffff800008012345 CNTVCT_EL0 (3,3,14,0,2) read");
	CU_ASSERT_EQUAL(e.u.sys.op0, 3);
	CU_ASSERT_EQUAL(e.u.sys.crn, 14);
	CU_ASSERT_EQUAL(e.u.sys.op2, 2);
	CU_ASSERT_FALSE(e.u.sys.write);
	e = ev1(" q-1 [000] 1.0: kvm_hvc_arm64: HVC at 0xffff800008000200 (r0: 0x0000000084000008, imm: 0x0)");
	CU_ASSERT_EQUAL(e.u.hvc.r0, 0x84000008);
}

static void test_headers_and_malformed(void)
{
	struct trace_event e;
	uint64_t lost = 0;
	const char *why;
	CU_ASSERT_EQUAL(parse("# tracer: nop", &e, &lost, &why), 0);
	CU_ASSERT_EQUAL(parse("cpus=2", &e, &lost, &why), 0);
	CU_ASSERT_EQUAL(parse("CPU 1 is empty", &e, &lost, &why), 0);
	CU_ASSERT_EQUAL(parse("", &e, &lost, &why), 0);
	CU_ASSERT_EQUAL(parse("CPU:2 [LOST 1234 EVENTS]", &e, &lost, &why), 0);
	CU_ASSERT_EQUAL(lost, 1234);
	CU_ASSERT_EQUAL(parse("hello world", &e, &lost, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(parse("q-1 [000] 1.0: kvm_exit: vcpu 0 reason NOT_A_REASON rip 0x1", &e, &lost, &why), -1);
	CU_ASSERT_EQUAL(parse("q-1 [000] 1.0: kvm_exit: vcpu 0 reason HLT rip 0x10000000000000000", &e, &lost, &why), -1);
	CU_ASSERT_EQUAL(parse("q-1 [000] 1.0: kvm_exit: vcpu 99999 reason HLT rip 0x1", &e, &lost, &why), -1);
	CU_ASSERT_EQUAL(parse("q-1 [000] 1.0: kvm_msr: msr_write zz = 0x1", &e, &lost, &why), -1);
	/* any other event is counted by name, never malformed */
	CU_ASSERT_EQUAL(parse(" q-1 [000] 1.0: kvm_fpu: load", &e, &lost, &why), 1);
	CU_ASSERT_EQUAL(e.kind, TEV_OTHER);
	CU_ASSERT_STRING_EQUAL(e.name, "kvm_fpu");
}

/* Every prefix of a real line: parsed or malformed, never a read past its end. */
static void test_truncated(void)
{
	static const char *const lines[] = {
		"qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 "
		"0x0000000000000000 info2 0x0000000000000413 intr_info 0x80000306 error_code 0x00000000 requests "
		"0x0000000000000000",
		"q-1 [000] 77.000100: kvm_exit: TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0xffff800008a1b2c4",
		" q-1 [000] 1.0: kvm_apic_ipi: dst 0 vec 16 (SIPI|physical|assert|edge|all-but-self)",
		" q-1 [000] 1.0: kvm_sys_access: PC: ffff800008012345 CNTVCT_EL0 (3,3,14,0,2) read",
	};
	for (size_t l = 0; l < sizeof lines / sizeof lines[0]; l++) {
		size_t n = strlen(lines[l]);
		int full = 0;
		for (size_t k = 0; k <= n; k++) {
			char *s = malloc(k ? k : 1);
			memcpy(s, lines[l], k);
			struct trace_event e;
			uint64_t lost = 0;
			const char *why = NULL;
			int rc = trace_parse_line(s, k, &e, &lost, &why);
			CU_ASSERT(rc == 1 || rc == 0 || (rc == -1 && why));
			full = rc;
			free(s);
		}
		CU_ASSERT_EQUAL(full, 1);
	}
}

static void test_sniff(void)
{
	CU_ASSERT_EQUAL(trace_sniff("\027\010Dtracing6\0", 11), TRACE_FMT_TRACEDAT);
	const char *ft = "# tracer: nop\n#\n q-1 [000] d.... 1.0: kvm_exit: vcpu 0 reason HLT rip 0x1\n";
	CU_ASSERT_EQUAL(trace_sniff(ft, strlen(ft)), TRACE_FMT_FTRACE);
	const char *tc = "cpus=2\n q-1 [000]  1.0: kvm_entry: vcpu 0\n";
	CU_ASSERT_EQUAL(trace_sniff(tc, strlen(tc)), TRACE_FMT_FTRACE);
	CU_ASSERT_EQUAL(trace_sniff("", 0), TRACE_FMT_FTRACE);
	const char *junk = "hello\nworld\n";
	CU_ASSERT_EQUAL(trace_sniff(junk, strlen(junk)), TRACE_FMT_UNKNOWN);
	enum trace_format f;
	CU_ASSERT_EQUAL(trace_format_parse("perf", &f), 0);
	CU_ASSERT_EQUAL(f, TRACE_FMT_PERF);
	CU_ASSERT_EQUAL(trace_format_parse("trace.dat", &f), 0);
	CU_ASSERT_EQUAL(f, TRACE_FMT_TRACEDAT);
	CU_ASSERT_EQUAL(trace_format_parse("xml", &f), -1);
}

/* Timestamps of one thread's lines as its seconds change: the head cache
 * keeps "comm-pid [cpu] flags secs." and must never lend a line another
 * second's value. */
static void test_timestamps(void)
{
	static const struct {
		const char *line;
		uint64_t ns;
	} t[] = {
		{ " CPU 0/KVM-4000 [000] d.... 1000.999999: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1000999999000ull },
		{ " CPU 0/KVM-4000 [000] d.... 1000.999999999: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1000999999999ull },
		{ " CPU 0/KVM-4000 [000] d.... 1001.000001: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1001000001000ull },
		{ " CPU 0/KVM-4000 [000] d.... 1001.5: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1001500000000ull },
		{ " CPU 0/KVM-4000 [000] d.... 10010.000002: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 10010000002000ull },
		{ " CPU 0/KVM-4000 [000] d.... 1001.000003: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1001000003000ull },
		{ " CPU 0/KVM-4000 [000] d.... 1001000003: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code 0x00000000", 1001000003ull },
		{ " CPU 0/KVM-4000 [000] d.... 1001.000004: kvm_fpu: load", 1001000004000ull },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct trace_event e = ev1(t[i].line);
		CU_ASSERT_EQUAL(e.ts_ns, t[i].ns);
		CU_ASSERT_EQUAL(e.pid, 4000);
	}
	struct trace_event e;
	uint64_t lost = 0;
	const char *why;
	/* ten fraction digits are no timestamp, even after a cached second */
	CU_ASSERT_EQUAL(parse(" CPU 0/KVM-4000 [000] d.... 1001.0000000001: kvm_fpu: load", &e, &lost, &why), -1);
}

/* The same trace read from a mapped file and through a pipe: the same
 * records and counts, across the 8 MiB window's edges, with a line too long
 * to keep straddling one and a last line with no newline. */
static void test_mapped_equals_streamed(void)
{
	char path[] = "/tmp/hvsim-test-traces-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("# tracer: nop\n#\n", f);
	uint64_t lines = 2, long_line = 0;
	for (unsigned i = 0; ftell(f) < (9l << 20); i++, lines++) {
		if (!long_line && ftell(f) > (8l << 20) - 40000) {	/* straddles the first window's end */
			for (int k = 0; k < 70000; k++)
				fputc('x', f);
			long_line = lines + 1;
		}
		fprintf(f, " CPU %u/KVM-%u [%03u] d.... %u.%06u: kvm_exit: vcpu %u reason %s rip 0x%x info1 "
			"0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n",
			i % 3, 4000 + i % 3, i % 3, 1000 + i / 5000, i * 7 % 1000000, i % 3, i % 7 ? "HLT" : "MSR_WRITE", i);
	}
	fputs(" CPU 0/KVM-4000 [000] d.... 2000.000001: kvm_entry: vcpu 0, rip 0x1 intr_info 0x00000000 error_code "
	      "0x00000000", f);
	lines++;
	CU_ASSERT_FATAL(fclose(f) == 0);

	char cmd[64];
	snprintf(cmd, sizeof cmd, "cat %s", path);
	FILE *pipe = popen(cmd, "r");
	struct trace_reader *a = trace_open(path, TRACE_FMT_AUTO, false);
	struct trace_reader *b = pipe ? trace_open_stream(pipe, "pipe", TRACE_FMT_AUTO, false) : NULL;
	CU_ASSERT_FATAL(a && b);
	struct trace_event x, y;
	int ra, rb;
	uint64_t n = 0, same = 0;
	do {
		ra = trace_next(a, &x);
		rb = trace_next(b, &y);
		n += ra == 1;
		same += ra == rb && (ra != 1 || (x.line == y.line && x.ts_ns == y.ts_ns && x.kind == y.kind &&
						  x.vcpu == y.vcpu && x.pid == y.pid && x.cpu == y.cpu &&
						  !memcmp(&x.u, &y.u, sizeof x.u)));
	} while (ra == 1 && rb == 1);
	CU_ASSERT_EQUAL(ra, 0);
	CU_ASSERT_EQUAL(rb, 0);
	CU_ASSERT_EQUAL(same, n + 1);
	const struct trace_counts *ca = trace_reader_counts(a), *cb = trace_reader_counts(b);
	CU_ASSERT_EQUAL(ca->lines, lines);
	CU_ASSERT_EQUAL(cb->lines, lines);
	CU_ASSERT_EQUAL(ca->events, lines - 3);	/* two headers, one long line */
	CU_ASSERT_EQUAL(ca->malformed, 1);
	CU_ASSERT_EQUAL(cb->malformed, 1);
	CU_ASSERT_EQUAL(ca->kept[0].line, long_line);
	CU_ASSERT_EQUAL(cb->kept[0].line, long_line);
	CU_ASSERT_EQUAL(n, lines - 3);
	CU_ASSERT_EQUAL(x.kind, TEV_ENTRY);	/* the last, unterminated line */
	trace_close(a);
	trace_close(b);
	pclose(pipe);
	unlink(path);
}

/* A FIFO given by path (`hvsim replay <(trace-cmd report)`): nothing of its
 * first line is lost to the look for trace.dat's magic. */
static void test_fifo_path(void)
{
	char dir[] = "/tmp/hvsim-test-fifo-XXXXXX", path[64];
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/trace", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	static const char text[] =
		"# tracer: nop\n"
		" CPU 0/KVM-4000 [000] d.... 1000.000001: kvm_exit: vcpu 0 reason HLT rip 0xffffffff81000000 info1 "
		"0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n"
		" CPU 0/KVM-4000 [000] d.... 1000.000002: kvm_entry: vcpu 0, rip 0xffffffff81000001 intr_info "
		"0x00000000 error_code 0x00000000\n";
	pid_t child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		FILE *w = fopen(path, "w");
		_exit(w && fputs(text, w) >= 0 && fclose(w) == 0 ? 0 : 1);
	}
	struct trace_reader *r = trace_open(path, TRACE_FMT_AUTO, false);
	CU_ASSERT_FATAL(r != NULL);
	struct trace_event ev;
	CU_ASSERT_EQUAL(trace_next(r, &ev), 1);
	CU_ASSERT_EQUAL(ev.kind, TEV_EXIT);
	CU_ASSERT_EQUAL(ev.ts_ns, 1000000001000ull);
	CU_ASSERT_EQUAL(trace_next(r, &ev), 1);
	CU_ASSERT_EQUAL(ev.kind, TEV_ENTRY);
	CU_ASSERT_EQUAL(trace_next(r, &ev), 0);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->malformed, 0);
	CU_ASSERT_EQUAL(trace_reader_counts(r)->skipped, 1);
	trace_close(r);
	int status;
	CU_ASSERT(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
	rmdir(dir);
}

static CU_TestInfo tests[] = {
	{ "x86 kvm_exit, kernel form", test_x86_kernel_form },
	{ "x86 kvm_exit, requests and FAILED_VMENTRY", test_x86_requests },
	{ "x86 kvm_exit, plugin and old forms, unknown reasons", test_x86_plugin_and_old },
	{ "SVM reason names", test_svm },
	{ "arm64 kvm_exit", test_arm64_exit },
	{ "kvm_entry forms", test_entry },
	{ "perf script", test_perf },
	{ "x86 companion events", test_x86_companions },
	{ "arm64 companion events", test_arm64_companions },
	{ "headers, lost events, malformed lines", test_headers_and_malformed },
	{ "truncated lines", test_truncated },
	{ "format sniffing", test_sniff },
	{ "timestamps as the seconds change", test_timestamps },
	{ "mapped file and pipe read alike", test_mapped_equals_streamed },
	{ "a FIFO by its path", test_fifo_path },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("traces", tests);
}
