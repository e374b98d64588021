/* Replay's dirty-logging decisions (traces/replay.c with mmu/dirty.h): a
 * write-protection fault, as KVM traces one (real print formats:
 * arch/x86/kvm/trace.h kvm_exit and kvm_page_fault, arch/x86/kvm/mmu/
 * mmutrace.h fast_page_fault, arch/arm64/kvm/trace_arm.h kvm_guest_fault,
 * include/trace/events/kvm.h kvm_dirty_ring_push), put to designs whose
 * [dirty] mode is wp, pml, dbm or off.  Expected outcomes are the SDM's,
 * the Arm ARM's and KVM's; costs are checked by differences of the
 * design's own keys. */
#include <string.h>

#include "core/cfg.h"
#include "platform/designs.h"
#include "replay_lines.h"

static struct replay_design des;

static void design(enum trace_arch arch, const char *mode, const char *set)
{
	char m[64];
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_load_default(c, arch == TRACE_ARCH_ARM64 ? ISA_A64 : ISA_X86_64), 0);
	snprintf(m, sizeof m, "dirty.mode=%s", mode);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, m), 0);
	if (set)
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, set), 0);
	replay_design_fini(&des);
	CU_ASSERT_EQUAL_FATAL(replay_design_init(&des, arch, c, "t"), 0);
	cfg_free(c);
}

static struct replay_decision decide(const char *const *lines) { return decide_under(&des, lines); }

/* x86.  Qualification 0x1aa (SDM Vol. 3C Table 28-7): data write [1], entry
 * readable and executable but not writable [5:3] = 101b, guest-linear
 * address valid [7] and translated [8].  KVM's fast path then makes the
 * SPTE writable (old R|X, new R|W|X; bits 57/58 host- and MMU-writable). */
#define EPTV(q) "qemu-1 [001] d.... 10.000001: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0xffffffff81234567 " \
	"info1 " q " info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000"
#define PF(q) "qemu-1 [001] ..... 10.000002: kvm_page_fault: vcpu 0 rip 0xffffffff81234567 " \
	"address 0x0000000012345000 error_code " q
#define FPF(old, new, sp, fx) "qemu-1 [001] ..... 10.000003: fast_page_fault: vcpu 0 gva 12345000 error_code P|W " \
	"sptep 00000000c0ffee00 old " old " new " new " spurious " sp " fixed " fx
#define OLD_WP "0x6000000123450975"
#define NEW_W "6000000123450977"

static const char *const wp_fault[] = { EPTV("0x00000000000001aa"), PF("0x1aa"), FPF(OLD_WP, NEW_W, "0", "1"), NULL };

/* A dirty-logging fault: kept under WP at the design's cost (the round trip
 * and [dirty] wp_fault_cycles, as dirty_write charges it), removed under
 * PML (logged by the processor) and under off (no write protection). */
static void test_x86_wp_fault(void)
{
	design(TRACE_ARCH_X86, "wp", "dirty.wp_fault_cycles=0");
	struct replay_decision d0 = decide(wp_fault);
	expect(d0, RO_KEPT, "EPT_VIOLATION");
	design(TRACE_ARCH_X86, "wp", "dirty.wp_fault_cycles=1234");
	struct replay_decision d = decide(wp_fault);
	expect(d, RO_KEPT, "EPT_VIOLATION");
	CU_ASSERT_EQUAL(d.cost - d0.cost, 1234);	/* the fast path's handler, not the EPT_VIOLATION class's */
	design(TRACE_ARCH_X86, "pml", NULL);
	d = decide(wp_fault);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_EQUAL(d.nadded, 0);	/* the first entry of an empty log */
	design(TRACE_ARCH_X86, "off", NULL);
	expect(decide(wp_fault), RO_REMOVED, NULL);
}

/* What the trace cannot tell: a write to a read-only page with no
 * fast_page_fault (dirty logging, or a page the host maps read-only):
 * decided under WP (it exits either way), undecidable under PML and off. */
static void test_x86_undecidable(void)
{
	const char *const bare[] = { EPTV("0x00000000000001aa"), PF("0x1aa"), NULL };
	const char *const spurious[] = { EPTV("0x00000000000001aa"), FPF(OLD_WP, NEW_W, "1", "0"), NULL };
	const char *const slow[] = { EPTV("0x00000000000001aa"), FPF("0x123450975", "123450975", "0", "0"), NULL };
	design(TRACE_ARCH_X86, "wp", NULL);
	expect(decide(bare), RO_KEPT, "EPT_VIOLATION");
	expect(decide(slow), RO_KEPT, "EPT_VIOLATION");
	design(TRACE_ARCH_X86, "pml", NULL);
	expect(decide(bare), RO_UNDECIDABLE, "EPT_VIOLATION");
	expect(decide(spurious), RO_UNDECIDABLE, "EPT_VIOLATION");
	/* the fast path declined: not a 4K write protection for dirty logging
	 * (a huge page KVM write-protects under PML too, or a read-only page) */
	expect(decide(slow), RO_KEPT, "EPT_VIOLATION");
	design(TRACE_ARCH_X86, "off", NULL);
	expect(decide(bare), RO_UNDECIDABLE, "EPT_VIOLATION");
	expect(decide(slow), RO_UNDECIDABLE, "EPT_VIOLATION");
}

/* Not a write to a read-only page: a memory fault under every design.  The
 * old kernels' form (FORMATS.md: dirty_log_test, qualification 0x582: a
 * write [1] to a not-present entry [5:3] = 0); a read of a read-only page. */
static void test_x86_memory_fault(void)
{
	const char *const old[] = { "dirty_log_test-29003 [001] 184503.384329: kvm_exit:             reason "
				    "EPT_VIOLATION rip 0x40359f info 582 0",
				    "dirty_log_test-29003 [001] 184503.384330: kvm_page_fault:       address "
				    "7fc036d000 error_code 582", NULL };
	const char *const read[] = { EPTV("0x0000000000000189"), PF("0x189"), NULL };
	const char *const *cases[] = { old, read };
	static const char *const modes[] = { "wp", "pml", "off" };
	for (unsigned m = 0; m < 3; m++) {
		design(TRACE_ARCH_X86, modes[m], NULL);
		for (unsigned k = 0; k < 2; k++)
			expect(decide(cases[k]), RO_KEPT, "EPT_VIOLATION");
	}
}

/* The qualification from kvm_page_fault's error_code (VMX passes the exit
 * qualification) when kvm_exit has none; neither: undecidable. */
static void test_x86_qual_from_page_fault(void)
{
	const char *const pf[] = { "qemu-1 [001] d.... 10.000001: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0x1000",
				   PF("0x1aa"), FPF(OLD_WP, NEW_W, "0", "1"), NULL };
	const char *const none[] = { "qemu-1 [001] d.... 10.000001: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0x1000",
				     NULL };
	design(TRACE_ARCH_X86, "pml", NULL);
	expect(decide(pf), RO_REMOVED, NULL);
	expect(decide(none), RO_UNDECIDABLE, "EPT_VIOLATION");
}

/* A recorded PML_FULL (basic exit reason 62): kept under PML at the cost of
 * the round trip, [dirty] pml_full_cycles and the drain of 512 entries
 * (SDM 29.3.6: the log is full at the 513th attempt); under WP its 512
 * logged writes each fault; under off none of it happens. */
static void test_pml_full(void)
{
	const char *const l[] = { "qemu-1 [001] d.... 10.000001: kvm_exit: vcpu 0 reason PML_FULL rip 0x1000 info1 "
				  "0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code "
				  "0x00000000", "qemu-1 [001] ..... 10.000002: kvm_pml_full: vcpu 0: PML full", NULL };
	design(TRACE_ARCH_X86, "pml", "dirty.pml_drain_cycles=0");
	struct replay_decision d0 = decide(l);
	expect(d0, RO_KEPT, "PML_FULL");
	design(TRACE_ARCH_X86, "pml", "dirty.pml_drain_cycles=1");
	struct replay_decision d1 = decide(l);
	CU_ASSERT_EQUAL(d1.cost - d0.cost, 512);
	design(TRACE_ARCH_X86, "wp", NULL);
	struct replay_decision w = decide(wp_fault), d = decide(l);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_EQUAL(d.nadded, 512);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.added);
	CU_ASSERT_STRING_EQUAL(d.added, "EPT_VIOLATION");
	CU_ASSERT_EQUAL(d.added_cost, 512 * w.cost);
	design(TRACE_ARCH_X86, "off", NULL);
	expect(decide(l), RO_REMOVED, NULL);
	CU_ASSERT_EQUAL(decide(l).nadded, 0);
}

/* arm64.  ESR 0x9200004f (ARM ARM D17.2.40): EC 0x24 DABT_LOW, IL, WnR [6],
 * DFSC 0b001111 permission fault level 3; the page pushed to the dirty
 * ring says it was dirty logging's write protection. */
#define DABT "qemu-1 [002] d.... 20.000001: kvm_exit: TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0xffff800008a1b2c4"
#define GFAULT(hsr) "qemu-1 [002] ..... 20.000002: kvm_guest_fault: ipa 0x40090000, hsr " hsr \
	", hxfar 0xffff000000090008, pc 0xffff800008a1b2c4"
#define RING "qemu-1 [002] ..... 20.000003: kvm_dirty_ring_push: ring 0: dirty 0x1 reset 0x0 slot 0 offset 0x90 (used 1)"

static void test_arm_wp_fault(void)
{
	const char *const l[] = { DABT, GFAULT("0x9200004f"), RING, NULL };
	const char *const bare[] = { DABT, GFAULT("0x9200004f"), NULL };
	const char *const none[] = { DABT, NULL };
	const char *const cm[] = { DABT, GFAULT("0x9200014f"), RING, NULL };	/* CM [8]: DC to the page */
	design(TRACE_ARCH_ARM64, "wp", "dirty.wp_fault_cycles=0");
	struct replay_decision d0 = decide(l);
	expect(d0, RO_KEPT, "DABT_LOW");
	design(TRACE_ARCH_ARM64, "wp", "dirty.wp_fault_cycles=777");
	CU_ASSERT_EQUAL(decide(l).cost - d0.cost, 777);
	expect(decide(bare), RO_KEPT, "DABT_LOW");
	design(TRACE_ARCH_ARM64, "dbm", NULL);
	struct replay_decision d = decide(l);
	expect(d, RO_REMOVED, NULL);
	CU_ASSERT_EQUAL(d.cost, 0);	/* the harvest is the hypervisor's, at the round's end */
	expect(decide(bare), RO_UNDECIDABLE, "DABT_LOW");
	expect(decide(none), RO_UNDECIDABLE, "DABT_LOW");
	expect(decide(cm), RO_UNDECIDABLE, "DABT_LOW");
	design(TRACE_ARCH_ARM64, "off", NULL);
	expect(decide(l), RO_REMOVED, NULL);
	expect(decide(bare), RO_UNDECIDABLE, "DABT_LOW");
}

/* Not dirty logging's: a write translation fault (DFSC 0b000111), a read
 * permission fault (WnR 0), and MMIO (kvm_mmio) exit under every design. */
static void test_arm_other_faults(void)
{
	const char *const xlat[] = { DABT, GFAULT("0x92000047"), RING, NULL };
	const char *const read[] = { DABT, GFAULT("0x9200000f"), NULL };
	const char *const mmio[] = { DABT, "qemu-1 [002] ..... 20.000002: kvm_mmio: mmio write len 4 gpa 0x9000000 val 0x41",
				     NULL };
	static const char *const modes[] = { "wp", "dbm", "off" };
	for (unsigned m = 0; m < 3; m++) {
		design(TRACE_ARCH_ARM64, modes[m], NULL);
		expect(decide(xlat), RO_KEPT, "DABT_LOW");
		expect(decide(read), RO_KEPT, "DABT_LOW");
		expect(decide(mmio), RO_KEPT, "DABT_LOW");
	}
}

/* pml on arm64 and dbm on x86 are refused, as hvsim run refuses them. */
static void test_refused(void)
{
	static const struct { enum trace_arch arch; const char *mode; } bad[] = {
		{ TRACE_ARCH_ARM64, "dirty.mode=pml" }, { TRACE_ARCH_X86, "dirty.mode=dbm" },
	};
	for (unsigned i = 0; i < 2; i++) {
		struct cfg *c = cfg_new();
		CU_ASSERT_EQUAL_FATAL(design_load_default(c, bad[i].arch == TRACE_ARCH_ARM64 ? ISA_A64 : ISA_X86_64), 0);
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, bad[i].mode), 0);
		replay_design_fini(&des);
		CU_ASSERT_EQUAL(replay_design_init(&des, bad[i].arch, c, "t"), -1);
		cfg_free(c);
	}
	memset(&des, 0, sizeof des);
}

/* The formats: fast_page_fault's flags (empty, or with an unnamed bit) and
 * kvm_dirty_ring_push's fields. */
static void test_parse(void)
{
	struct trace_event ev;
	parse(FPF(OLD_WP, NEW_W, "0", "1"), &ev);
	CU_ASSERT_EQUAL(ev.kind, TEV_FAST_PAGE_FAULT);
	CU_ASSERT_EQUAL(ev.u.fpf.gpa, 0x12345000);
	CU_ASSERT_EQUAL(ev.u.fpf.error_code, 3);
	CU_ASSERT_EQUAL(ev.u.fpf.old_spte, 0x6000000123450975ull);
	CU_ASSERT_EQUAL(ev.u.fpf.new_spte, 0x6000000123450977ull);
	CU_ASSERT(ev.u.fpf.fixed && !ev.u.fpf.spurious);
	parse("q-1 [000] ..... 1.0: fast_page_fault: vcpu 1 gva 1000 error_code P|W|U|0x100000000 sptep 0000000012 "
	      "old 0 new 0 spurious 1 fixed 0", &ev);
	CU_ASSERT_EQUAL(ev.u.fpf.error_code, 7);
	CU_ASSERT_EQUAL(ev.vcpu, 1);
	parse("q-1 [000] ..... 1.0: fast_page_fault: vcpu 1 gva 1000 error_code  sptep 0000000012 old 0 new 0 "
	      "spurious 1 fixed 0", &ev);
	CU_ASSERT_EQUAL(ev.u.fpf.error_code, 0);
	parse(RING, &ev);
	CU_ASSERT_EQUAL(ev.kind, TEV_DIRTY_RING_PUSH);
	CU_ASSERT_EQUAL(ev.u.ring.offset, 0x90);
	CU_ASSERT_EQUAL(ev.u.ring.dirty, 1);
	uint64_t lost = 0;
	const char *why = NULL;
	const char *bad = "q-1 [000] ..... 1.0: fast_page_fault: vcpu 1 gva 1000 error_code P|X sptep 0 old 0 new 0 "
			  "spurious 0 fixed 0";
	CU_ASSERT_EQUAL(trace_parse_line(bad, strlen(bad), &ev, &lost, &why), -1);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "x86 write-protection fault", test_x86_wp_fault },
		{ "x86 undecidable", test_x86_undecidable },
		{ "x86 memory fault", test_x86_memory_fault },
		{ "x86 qualification from kvm_page_fault", test_x86_qual_from_page_fault },
		{ "PML_FULL", test_pml_full },
		{ "arm64 write-protection fault", test_arm_wp_fault },
		{ "arm64 other faults", test_arm_other_faults },
		{ "pml/dbm on the wrong machine", test_refused },
		{ "formats", test_parse },
		CU_TEST_INFO_NULL,
	};
	int rc = unit_run("replay_dirty", tests);
	replay_design_fini(&des);
	return rc;
}
