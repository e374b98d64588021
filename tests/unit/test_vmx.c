/* Intel VT-x exit model: the exit decision under each control combination
 * (SDM Vol. 3C ch. 26), exit qualifications (Tables 28-1 to 28-7), event
 * injection and its checks (25.8.3, 27.2.1.3, 27.3.1.5), the VMX-preemption
 * timer (26.5.1), costs and set-up from a design. */
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "cpu/vmx.h"
#include "platform/designs.h"
#include "tests/unit/unit.h"

static struct vmx_model M;   /* 12 KiB of bitmaps: not on the stack */

static struct vmx_model *ctls(uint32_t pin, uint32_t primary, uint32_t secondary)
{
	vmx_reset(&M);
	vmcs_set(&M.vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL, pin);
	vmcs_set(&M.vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, primary);
	vmcs_set(&M.vmcs, VMCS_SECONDARY_VM_EXEC_CONTROL, secondary);
	return &M;
}

static struct vmx_model *with_ctls(uint32_t primary) { return ctls(0, primary, 0); }

static struct vmx_exit_info X;

static bool ev(const struct vmx_model *m, struct vmx_event e)
{
	return vmx_decide(m, &e, &X);
}

#define SEC CPU_BASED_ACTIVATE_SECONDARY_CONTROLS

static void test_always(void)
{
	/* CPUID, VMCALL, INVD, XSETBV exit under any controls (26.1.2) */
	static const struct { enum vmx_event_kind k; unsigned reason; } t[] = {
		{ VMX_EV_CPUID, 10 }, { VMX_EV_VMCALL, 18 }, { VMX_EV_INVD, 13 }, { VMX_EV_XSETBV, 55 },
		{ VMX_EV_TRIPLE_FAULT, 2 }, { VMX_EV_INIT, 3 },
	};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_TRUE(ev(with_ctls(0), (struct vmx_event){ .kind = t[i].k, .insn_len = 3 }));
		CU_ASSERT_EQUAL(X.reason, t[i].reason);
		CU_ASSERT_TRUE(ev(ctls(~0u, ~0u, ~0u), (struct vmx_event){ .kind = t[i].k }));
		CU_ASSERT_EQUAL(X.reason, t[i].reason);
	}
	/* instruction exits report the instruction length */
	CU_ASSERT_TRUE(ev(with_ctls(0), (struct vmx_event){ .kind = VMX_EV_VMCALL, .insn_len = 3 }));
	CU_ASSERT_EQUAL(X.insn_len, 3);
	CU_ASSERT_EQUAL(X.qual, 0);
}

/* One primary control bit, one instruction */
static void check_primary(enum vmx_event_kind k, uint32_t bit, unsigned reason)
{
	CU_ASSERT_TRUE(ev(with_ctls(bit), (struct vmx_event){ .kind = k }));
	CU_ASSERT_EQUAL(X.reason, reason);
	CU_ASSERT_FALSE(ev(with_ctls(0), (struct vmx_event){ .kind = k }));
	CU_ASSERT_FALSE(ev(with_ctls(~bit), (struct vmx_event){ .kind = k }));
}

static void test_primary_instructions(void)
{
	check_primary(VMX_EV_HLT, 1u << 7, 12);
	check_primary(VMX_EV_INVLPG, 1u << 9, 14);
	check_primary(VMX_EV_MWAIT, 1u << 10, 36);
	check_primary(VMX_EV_RDPMC, 1u << 11, 15);
	check_primary(VMX_EV_RDTSC, 1u << 12, 16);
	check_primary(VMX_EV_MONITOR, 1u << 29, 39);
	check_primary(VMX_EV_PAUSE, 1u << 30, 40);
	/* INVLPG: the qualification is the linear address (Table 28-1) */
	CU_ASSERT_TRUE(ev(with_ctls(CPU_BASED_INVLPG_EXITING),
			  (struct vmx_event){ .kind = VMX_EV_INVLPG, .invlpg = { 0xffff800012345678ULL } }));
	CU_ASSERT_EQUAL(X.qual, 0xffff800012345678ULL);
	/* the shorthands agree */
	CU_ASSERT_TRUE(vmx_exits_on_hlt(with_ctls(CPU_BASED_HLT_EXITING)));
	CU_ASSERT_FALSE(vmx_exits_on_hlt(with_ctls(~CPU_BASED_HLT_EXITING)));
	CU_ASSERT_TRUE(vmx_exits_on_rdtsc(with_ctls(CPU_BASED_RDTSC_EXITING)));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(with_ctls((1u << 11) | (1u << 13))));
}

static void test_secondary_instructions(void)
{
	/* the secondary controls act only with "activate secondary controls" */
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_WBINVD_EXITING), (struct vmx_event){ .kind = VMX_EV_WBINVD }));
	CU_ASSERT_EQUAL(X.reason, 54);
	CU_ASSERT_FALSE(ev(ctls(0, ~SEC, ~0u), (struct vmx_event){ .kind = VMX_EV_WBINVD }));
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_RDRAND_EXITING), (struct vmx_event){ .kind = VMX_EV_RDRAND }));
	CU_ASSERT_EQUAL(X.reason, 57);
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_RDSEED_EXITING), (struct vmx_event){ .kind = VMX_EV_RDSEED }));
	CU_ASSERT_EQUAL(X.reason, 61);
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_DESC), (struct vmx_event){ .kind = VMX_EV_DESC, .desc = { true } }));
	CU_ASSERT_EQUAL(X.reason, 46);
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_DESC), (struct vmx_event){ .kind = VMX_EV_DESC }));
	CU_ASSERT_EQUAL(X.reason, 47);
	/* RDTSCP: #UD without "enable RDTSCP", else RDTSC exiting decides */
	CU_ASSERT_FALSE(ev(ctls(0, ~SEC, ~0u), (struct vmx_event){ .kind = VMX_EV_RDTSCP }));
	CU_ASSERT_TRUE(X.ud);
	CU_ASSERT_FALSE(ev(ctls(0, SEC, SECONDARY_EXEC_ENABLE_RDTSCP), (struct vmx_event){ .kind = VMX_EV_RDTSCP }));
	CU_ASSERT_FALSE(X.ud);
	CU_ASSERT_TRUE(ev(ctls(0, SEC | CPU_BASED_RDTSC_EXITING, SECONDARY_EXEC_ENABLE_RDTSCP),
			  (struct vmx_event){ .kind = VMX_EV_RDTSCP }));
	CU_ASSERT_EQUAL(X.reason, 51);
	/* INVPCID: #UD without "enable INVPCID", else INVLPG exiting decides */
	CU_ASSERT_FALSE(ev(ctls(0, CPU_BASED_INVLPG_EXITING, 0), (struct vmx_event){ .kind = VMX_EV_INVPCID }));
	CU_ASSERT_TRUE(X.ud);
	CU_ASSERT_TRUE(ev(ctls(0, SEC | CPU_BASED_INVLPG_EXITING, SECONDARY_EXEC_ENABLE_INVPCID),
			  (struct vmx_event){ .kind = VMX_EV_INVPCID }));
	CU_ASSERT_EQUAL(X.reason, 58);
	/* page-modification log full */
	CU_ASSERT_TRUE(ev(ctls(0, SEC, SECONDARY_EXEC_ENABLE_PML), (struct vmx_event){ .kind = VMX_EV_PML_FULL }));
	CU_ASSERT_EQUAL(X.reason, 62);
	CU_ASSERT_FALSE(ev(ctls(0, 0, SECONDARY_EXEC_ENABLE_PML), (struct vmx_event){ .kind = VMX_EV_PML_FULL }));
}

static bool io(const struct vmx_model *m, uint16_t port, uint8_t size)
{
	return ev(m, (struct vmx_event){ .kind = VMX_EV_IO, .io = { .port = port, .size = size } });
}

static void test_io(void)
{
	static const uint16_t ports[] = { 0x0000, 0x00f4, 0x0cf8, 0x03f8, 0x7fff, 0x8000, 0xfffe };
	for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		CU_ASSERT_FALSE(io(with_ctls(0), ports[i], 1));   /* neither control: no exit */
		CU_ASSERT_TRUE(io(with_ctls(CPU_BASED_UNCOND_IO_EXITING), ports[i], 1));
		CU_ASSERT_TRUE(io(with_ctls(CPU_BASED_USE_IO_BITMAPS), ports[i], 1));   /* KVM's bitmaps: all ones */
		CU_ASSERT_FALSE(io(with_ctls(~(CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS)), ports[i], 1));
		CU_ASSERT_TRUE(vmx_exits_on_io(with_ctls(CPU_BASED_UNCOND_IO_EXITING), ports[i]));
	}
	/* the qualification of the exit */
	CU_ASSERT_TRUE(ev(with_ctls(CPU_BASED_UNCOND_IO_EXITING),
			  (struct vmx_event){ .kind = VMX_EV_IO, .io = { .port = 0xcf8, .size = 4, .in = true } }));
	CU_ASSERT_EQUAL(X.reason, 30);
	CU_ASSERT_EQUAL(X.qual, 0x0cf8000b);
}

static void test_io_bitmaps(void)
{
	/* Bitmap A covers 0000-7FFF, B 8000-FFFF; with bitmaps on, unconditional
	 * I/O exiting is ignored */
	struct vmx_model *m = with_ctls(CPU_BASED_USE_IO_BITMAPS | CPU_BASED_UNCOND_IO_EXITING);
	memset(m->io_bitmap, 0, sizeof m->io_bitmap);
	CU_ASSERT_FALSE(io(m, 0x3f8, 1));
	m->io_bitmap[0][0x7fff / 8] = 0x80;   /* A, last bit: port 7FFF */
	CU_ASSERT_TRUE(io(m, 0x7fff, 1));
	CU_ASSERT_FALSE(io(m, 0x7ffe, 1));
	CU_ASSERT_TRUE(io(m, 0x7ffe, 2));     /* touches 7FFF */
	CU_ASSERT_TRUE(io(m, 0x7ffc, 4));
	CU_ASSERT_FALSE(io(m, 0x8000, 1));
	CU_ASSERT_FALSE(io(m, 0xffff, 1));
	memset(m->io_bitmap, 0, sizeof m->io_bitmap);
	m->io_bitmap[1][0] = 0x01;            /* B, first bit: port 8000 */
	CU_ASSERT_TRUE(io(m, 0x8000, 1));
	CU_ASSERT_FALSE(io(m, 0x7fff, 1));
	CU_ASSERT_TRUE(io(m, 0x7fff, 2));     /* crosses from A into B */
	CU_ASSERT_FALSE(io(m, 0x0000, 1));    /* B bit 0 is not A bit 0 */
	CU_ASSERT_FALSE(io(m, 0x8001, 2));
	/* wrapping past FFFF always exits (nothing else set that a wrong index could find) */
	memset(m->io_bitmap, 0, sizeof m->io_bitmap);
	memset(m->msr_bitmap, 0, sizeof m->msr_bitmap);
	CU_ASSERT_TRUE(io(m, 0xffff, 2));
	CU_ASSERT_TRUE(io(m, 0xfffe, 4));
	CU_ASSERT_FALSE(io(m, 0xfffe, 2));
	/* the setter addresses the same bits */
	vmx_io_intercept(m, 0x8000, true);
	CU_ASSERT_EQUAL(m->io_bitmap[1][0], 0x01);
	vmx_io_intercept(m, 0x7fff, true);
	CU_ASSERT_EQUAL(m->io_bitmap[0][0xfff], 0x80);
	vmx_io_intercept(m, 0x8000, false);
	CU_ASSERT_FALSE(io(m, 0x8000, 1));
}

static bool rdmsr(const struct vmx_model *m, uint32_t msr) { return vmx_exits_on_msr(m, msr, false); }
static bool wrmsr(const struct vmx_model *m, uint32_t msr) { return vmx_exits_on_msr(m, msr, true); }

static void test_msr_bitmap_layout(void)
{
	/* SDM 25.6.9: read low at 0, read high at 1024, write low at 2048,
	 * write high at 3072; low = 0-1FFF, high = C0000000-C0001FFF */
	struct vmx_model *m = with_ctls(CPU_BASED_USE_MSR_BITMAPS);
	memset(m->msr_bitmap, 0, sizeof m->msr_bitmap);
	CU_ASSERT_FALSE(rdmsr(m, 0));
	m->msr_bitmap[0x3ff] = 0x80;          /* read, MSR 1FFF */
	CU_ASSERT_TRUE(rdmsr(m, 0x1fff));
	CU_ASSERT_FALSE(wrmsr(m, 0x1fff));
	CU_ASSERT_FALSE(rdmsr(m, 0xc0001fff));
	m->msr_bitmap[0x400] = 0x01;          /* read, MSR C0000000 */
	CU_ASSERT_TRUE(rdmsr(m, 0xc0000000));
	CU_ASSERT_FALSE(rdmsr(m, 0));
	m->msr_bitmap[0x800] = 0x01;          /* write, MSR 0 */
	CU_ASSERT_TRUE(wrmsr(m, 0));
	CU_ASSERT_FALSE(rdmsr(m, 0));
	m->msr_bitmap[0xfff] = 0x80;          /* write, MSR C0001FFF */
	CU_ASSERT_TRUE(wrmsr(m, 0xc0001fff));
	CU_ASSERT_FALSE(rdmsr(m, 0xc0001fff));
	/* outside both ranges: always an exit, whatever the bitmap */
	static const uint32_t outside[] = { 0x2000, 0x40000000, 0xbfffffff, 0xc0002000, 0xffffffff };
	for (unsigned i = 0; i < sizeof outside / sizeof outside[0]; i++) {
		CU_ASSERT_TRUE(rdmsr(m, outside[i]));
		CU_ASSERT_TRUE(wrmsr(m, outside[i]));
	}
	/* the setter addresses the same bits */
	memset(m->msr_bitmap, 0, sizeof m->msr_bitmap);
	vmx_msr_intercept(m, 0xc0001fff, true, true);
	CU_ASSERT_EQUAL(m->msr_bitmap[0xfff], 0x80);
	vmx_msr_intercept(m, 0x1fff, false, true);
	CU_ASSERT_EQUAL(m->msr_bitmap[0x3ff], 0x80);
	vmx_msr_intercept(m, 0x2000, false, true);   /* no bit: ignored */
	unsigned set = 0;
	for (unsigned i = 0; i < sizeof m->msr_bitmap; i++)
		set += __builtin_popcount(m->msr_bitmap[i]);
	CU_ASSERT_EQUAL(set, 2);
}

static void test_msr_kvm_passthrough(void)
{
	/* KVM passes these through for a 64-bit guest (vmx_vcpu_create) */
	static const uint32_t passthrough[] = {
		0x174, 0x175, 0x176,                  /* IA32_SYSENTER_CS/ESP/EIP */
		0xc0000100, 0xc0000101, 0xc0000102,   /* FS_BASE, GS_BASE, KERNEL_GS_BASE */
	};
	static const uint32_t intercepted[] = {
		0x00, 0x11, 0x1b /* APIC_BASE */, 0x3a, 0x173, 0x177, 0x277 /* PAT */,
		0xc0000080 /* EFER */, 0xc0000081 /* STAR */, 0xc0000082 /* LSTAR */,
		0xc00000ff, 0xc0000103 /* TSC_AUX */, 0x40000000, 0xffffffff,
	};
	struct vmx_model *on = with_ctls(CPU_BASED_USE_MSR_BITMAPS);
	for (unsigned i = 0; i < sizeof passthrough / sizeof passthrough[0]; i++) {
		CU_ASSERT_FALSE(rdmsr(on, passthrough[i]));
		CU_ASSERT_FALSE(wrmsr(on, passthrough[i]));
	}
	for (unsigned i = 0; i < sizeof intercepted / sizeof intercepted[0]; i++) {
		CU_ASSERT_TRUE(rdmsr(on, intercepted[i]));
		CU_ASSERT_TRUE(wrmsr(on, intercepted[i]));
	}
	CU_ASSERT_FALSE(rdmsr(on, 0x10));   /* IA32_TSC: reads pass through, writes exit */
	CU_ASSERT_TRUE(wrmsr(on, 0x10));
	struct vmx_model *off = with_ctls(~CPU_BASED_USE_MSR_BITMAPS);   /* no bitmaps: everything exits */
	for (unsigned i = 0; i < sizeof passthrough / sizeof passthrough[0]; i++)
		CU_ASSERT_TRUE(rdmsr(off, passthrough[i]) && wrmsr(off, passthrough[i]));
	CU_ASSERT_TRUE(rdmsr(off, 0x10));
	CU_ASSERT_TRUE(ev(off, (struct vmx_event){ .kind = VMX_EV_MSR_WRITE, .msr = { 0x10 } }));
	CU_ASSERT_EQUAL(X.reason, 32);
	CU_ASSERT_TRUE(ev(off, (struct vmx_event){ .kind = VMX_EV_MSR_READ, .msr = { 0x10 } }));
	CU_ASSERT_EQUAL(X.reason, 31);
}

static bool cr(const struct vmx_model *m, unsigned n, enum vmx_cr_access t, uint64_t value)
{
	return ev(m, (struct vmx_event){ .kind = VMX_EV_CR, .cr = { .cr = n, .type = t, .gpr = 3, .value = value } });
}

static void test_cr8_tpr_shadow(void)
{
	/* CR8 load/store exiting */
	CU_ASSERT_TRUE(cr(with_ctls(CPU_BASED_CR8_LOAD_EXITING), 8, VMX_CR_MOV_TO, 2));
	CU_ASSERT_EQUAL(X.reason, 28);
	CU_ASSERT_EQUAL(X.qual, 0x308);       /* CR 8, MOV to CR, RBX */
	CU_ASSERT_FALSE(cr(with_ctls(CPU_BASED_CR8_LOAD_EXITING), 8, VMX_CR_MOV_FROM, 2));
	CU_ASSERT_TRUE(cr(with_ctls(CPU_BASED_CR8_STORE_EXITING), 8, VMX_CR_MOV_FROM, 0));
	CU_ASSERT_EQUAL(X.qual, 0x318);       /* MOV from CR: type 1 */
	CU_ASSERT_FALSE(cr(with_ctls(CPU_BASED_CR8_STORE_EXITING), 8, VMX_CR_MOV_TO, 0));
	/* TPR shadow instead: a MOV to CR8 below TPR_THRESHOLD is a trap-like
	 * TPR_BELOW_THRESHOLD exit (no virtual-interrupt delivery) */
	struct vmx_model *m = with_ctls(CPU_BASED_TPR_SHADOW);
	vmcs_set(&m->vmcs, VMCS_TPR_THRESHOLD, 5);
	CU_ASSERT_TRUE(cr(m, 8, VMX_CR_MOV_TO, 4));
	CU_ASSERT_EQUAL(X.reason, 43);
	CU_ASSERT_FALSE(cr(m, 8, VMX_CR_MOV_TO, 5));
	CU_ASSERT_FALSE(cr(m, 8, VMX_CR_MOV_FROM, 0));
	vmcs_set(&m->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_TPR_SHADOW | SEC);
	vmcs_set(&m->vmcs, VMCS_SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY);
	CU_ASSERT_FALSE(cr(m, 8, VMX_CR_MOV_TO, 4));   /* VID: the threshold is not used */
	/* CR8 load exiting wins over the shadow */
	vmcs_set(&m->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_TPR_SHADOW | CPU_BASED_CR8_LOAD_EXITING);
	CU_ASSERT_TRUE(cr(m, 8, VMX_CR_MOV_TO, 4));
	CU_ASSERT_EQUAL(X.reason, 28);
}

static void test_cr0_cr3_cr4(void)
{
	struct vmx_model *m = with_ctls(CPU_BASED_CR3_LOAD_EXITING);
	/* CR0: exits when a host-owned bit differs from its read shadow */
	vmcs_set(&m->vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x80000001);   /* PG, PE */
	vmcs_set(&m->vmcs, VMCS_CR0_READ_SHADOW, 0x80000011);
	CU_ASSERT_FALSE(cr(m, 0, VMX_CR_MOV_TO, 0x80000031));       /* only guest-owned bit 5 changed */
	CU_ASSERT_TRUE(cr(m, 0, VMX_CR_MOV_TO, 0x00000011));        /* PG cleared */
	CU_ASSERT_EQUAL(X.qual, 0x300);
	CU_ASSERT_FALSE(cr(m, 0, VMX_CR_MOV_FROM, 0));              /* reads come from the shadow */
	CU_ASSERT_FALSE(cr(m, 4, VMX_CR_MOV_TO, 0x20));             /* CR4 mask 0 */
	vmcs_set(&m->vmcs, VMCS_CR4_GUEST_HOST_MASK, 0x20);
	CU_ASSERT_TRUE(cr(m, 4, VMX_CR_MOV_TO, 0x20));
	CU_ASSERT_EQUAL(X.qual, 0x304);
	/* CR3: load exiting unless the value is one of the first CR3_TARGET_COUNT targets */
	CU_ASSERT_TRUE(cr(m, 3, VMX_CR_MOV_TO, 0x1000));
	vmcs_set(&m->vmcs, VMCS_CR3_TARGET_VALUE1, 0x1000);
	vmcs_set(&m->vmcs, VMCS_CR3_TARGET_COUNT, 1);
	CU_ASSERT_TRUE(cr(m, 3, VMX_CR_MOV_TO, 0x1000));            /* target 1 not counted */
	vmcs_set(&m->vmcs, VMCS_CR3_TARGET_COUNT, 2);
	CU_ASSERT_FALSE(cr(m, 3, VMX_CR_MOV_TO, 0x1000));
	CU_ASSERT_FALSE(cr(m, 3, VMX_CR_MOV_FROM, 0));
	CU_ASSERT_TRUE(cr(with_ctls(CPU_BASED_CR3_STORE_EXITING), 3, VMX_CR_MOV_FROM, 0));
	/* CLTS: exits if TS is host-owned and its shadow is 1 */
	vmcs_set(&m->vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x8);
	vmcs_set(&m->vmcs, VMCS_CR0_READ_SHADOW, 0x8);
	CU_ASSERT_TRUE(cr(m, 0, VMX_CR_CLTS, 0));
	CU_ASSERT_EQUAL(X.qual, 0x20);
	vmcs_set(&m->vmcs, VMCS_CR0_READ_SHADOW, 0);
	CU_ASSERT_FALSE(cr(m, 0, VMX_CR_CLTS, 0));
	/* LMSW: sets a host-owned PE whose shadow is 0 */
	vmcs_set(&m->vmcs, VMCS_CR0_GUEST_HOST_MASK, 0x1);
	CU_ASSERT_TRUE(cr(m, 0, VMX_CR_LMSW, 0x1));
	CU_ASSERT_EQUAL(X.qual, 0x10030);    /* LMSW, source data 1 in [31:16] */
	CU_ASSERT_FALSE(cr(m, 0, VMX_CR_LMSW, 0x0));
}

static void test_mov_dr(void)
{
	CU_ASSERT_TRUE(ev(with_ctls(CPU_BASED_MOV_DR_EXITING),
			  (struct vmx_event){ .kind = VMX_EV_DR, .dr = { .dr = 7, .from_dr = true, .gpr = 2 } }));
	CU_ASSERT_EQUAL(X.reason, 29);
	CU_ASSERT_EQUAL(X.qual, 0x217);
	CU_ASSERT_FALSE(ev(with_ctls(~CPU_BASED_MOV_DR_EXITING), (struct vmx_event){ .kind = VMX_EV_DR }));
}

static void test_external_interrupt(void)
{
	struct vmx_event e = { .kind = VMX_EV_EXT_INTR, .intr = { 0x20 } };
	/* no external-interrupt exiting: delivered through the guest IDT */
	CU_ASSERT_FALSE(vmx_decide(ctls(~PIN_BASED_EXT_INTR_MASK, ~0u, ~0u), &e, &X));
	/* exits whatever RFLAGS.IF; without ack-on-exit the vector stays unacknowledged */
	CU_ASSERT_TRUE(vmx_decide(ctls(PIN_BASED_EXT_INTR_MASK, 0, 0), &e, &X));
	CU_ASSERT_EQUAL(X.reason, 1);
	CU_ASSERT_EQUAL(X.intr_info, 0);
	/* ack-on-exit: valid, type external interrupt (0), vector */
	struct vmx_model *m = ctls(PIN_BASED_EXT_INTR_MASK, 0, 0);
	vmcs_set(&m->vmcs, VMCS_VM_EXIT_CONTROLS, VM_EXIT_ACK_INTR_ON_EXIT);
	CU_ASSERT_TRUE(vmx_decide(m, &e, &X));
	CU_ASSERT_EQUAL(X.intr_info, 0x80000020u);
	/* RFLAGS.IF does not block it; STI and MOV SS blocking do */
	e.guest = (struct vmx_guest){ .rflags = 0, .interruptibility = VMX_INTR_STATE_NMI };
	CU_ASSERT_TRUE(vmx_decide(m, &e, &X));
	e.guest.interruptibility = VMX_INTR_STATE_STI;
	CU_ASSERT_FALSE(vmx_decide(m, &e, &X));
	e.guest.interruptibility = VMX_INTR_STATE_MOV_SS;
	CU_ASSERT_FALSE(vmx_decide(m, &e, &X));
}

static void test_nmi(void)
{
	CU_ASSERT_FALSE(ev(ctls(~PIN_BASED_NMI_EXITING, ~0u, ~0u), (struct vmx_event){ .kind = VMX_EV_NMI }));
	CU_ASSERT_TRUE(ev(ctls(PIN_BASED_NMI_EXITING, 0, 0), (struct vmx_event){ .kind = VMX_EV_NMI }));
	CU_ASSERT_EQUAL(X.reason, 0);
	CU_ASSERT_EQUAL(X.intr_info, 0x80000202u);   /* valid, type NMI (2), vector 2 */
	struct vmx_event e = { .kind = VMX_EV_NMI, .guest = { .interruptibility = VMX_INTR_STATE_MOV_SS } };
	CU_ASSERT_FALSE(vmx_decide(ctls(PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS, 0, 0), &e, &X));
	e.guest.interruptibility = VMX_INTR_STATE_STI;      /* STI does not block NMIs here */
	CU_ASSERT_TRUE(vmx_decide(ctls(PIN_BASED_NMI_EXITING, 0, 0), &e, &X));
	e.guest.interruptibility = VMX_INTR_STATE_NMI;      /* NMI blocking, virtual NMIs off */
	CU_ASSERT_FALSE(vmx_decide(ctls(PIN_BASED_NMI_EXITING, 0, 0), &e, &X));
	/* virtual NMIs on: bit 3 is virtual-NMI blocking, which a real NMI ignores */
	CU_ASSERT_TRUE(vmx_decide(ctls(PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS, 0, 0), &e, &X));
}

static void test_exceptions(void)
{
	struct vmx_model *m = with_ctls(0);
	vmcs_set(&m->vmcs, VMCS_EXCEPTION_BITMAP, (1u << 6) | (1u << 13));
	CU_ASSERT_TRUE(ev(m, (struct vmx_event){ .kind = VMX_EV_EXCEPTION, .exc = { .vector = 13, .has_error = true, .error = 0x18 } }));
	CU_ASSERT_EQUAL(X.reason, 0);
	CU_ASSERT_EQUAL(X.intr_info, 0x80000b0du);   /* valid, error code, hardware exception, #GP */
	CU_ASSERT_EQUAL(X.intr_error, 0x18);
	CU_ASSERT_FALSE(ev(m, (struct vmx_event){ .kind = VMX_EV_EXCEPTION, .exc = { .vector = 3 } }));
	/* #PF: bit 14 with PFEC_MASK/MATCH (25.6.3) */
	struct vmx_event pf = { .kind = VMX_EV_EXCEPTION, .exc = { .vector = 14, .has_error = true, .error = 0x2, .cr2 = 0xdead000 } };
	vmcs_set(&m->vmcs, VMCS_EXCEPTION_BITMAP, 0);
	CU_ASSERT_FALSE(vmx_decide(m, &pf, &X));         /* bit 0, mask 0 == match 0: no exit */
	vmcs_set(&m->vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 1);
	CU_ASSERT_TRUE(vmx_decide(m, &pf, &X));          /* bit 0, 0 != 1: exit */
	CU_ASSERT_EQUAL(X.qual, 0xdead000);
	vmcs_set(&m->vmcs, VMCS_EXCEPTION_BITMAP, 1u << 14);
	CU_ASSERT_FALSE(vmx_decide(m, &pf, &X));         /* bit 1, 0 != 1: no exit */
	vmcs_set(&m->vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0x2);
	vmcs_set(&m->vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0x2);
	CU_ASSERT_TRUE(vmx_decide(m, &pf, &X));          /* bit 1, write faults match */
}

static bool window(const struct vmx_model *m, enum vmx_event_kind k, uint64_t rflags, uint32_t is, uint32_t act)
{
	return ev(m, (struct vmx_event){ .kind = k, .guest = { rflags, is, act } });
}

static void test_interrupt_window(void)
{
	const enum vmx_event_kind k = VMX_EV_INTR_WINDOW;
	struct vmx_model *m = with_ctls(CPU_BASED_INTR_WINDOW_EXITING);
	CU_ASSERT_TRUE(window(m, k, X86_RFLAGS_IF, 0, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_EQUAL(X.reason, 7);
	CU_ASSERT_FALSE(window(m, k, 0, 0, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_STI, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_MOV_SS, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_TRUE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_NMI, VMX_ACTIVITY_ACTIVE));   /* NMI blocking is not IF */
	CU_ASSERT_TRUE(window(m, k, X86_RFLAGS_IF, 0, VMX_ACTIVITY_HLT));        /* wakes HLT */
	CU_ASSERT_TRUE(window(m, k, X86_RFLAGS_IF, 0, VMX_ACTIVITY_SHUTDOWN));
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, 0, VMX_ACTIVITY_WAIT_SIPI));
	CU_ASSERT_FALSE(window(with_ctls(~CPU_BASED_INTR_WINDOW_EXITING), k, X86_RFLAGS_IF, 0, 0));
}

static void test_nmi_window(void)
{
	const enum vmx_event_kind k = VMX_EV_NMI_WINDOW;
	struct vmx_model *m = ctls(PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS, CPU_BASED_NMI_WINDOW_EXITING, 0);
	CU_ASSERT_TRUE(window(m, k, 0, 0, VMX_ACTIVITY_ACTIVE));    /* RFLAGS.IF does not matter */
	CU_ASSERT_EQUAL(X.reason, 8);
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_NMI, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_MOV_SS, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_FALSE(window(m, k, X86_RFLAGS_IF, VMX_INTR_STATE_STI, VMX_ACTIVITY_ACTIVE));
	CU_ASSERT_TRUE(window(m, k, 0, 0, VMX_ACTIVITY_HLT));
	CU_ASSERT_FALSE(window(m, k, 0, 0, VMX_ACTIVITY_WAIT_SIPI));
	CU_ASSERT_FALSE(window(with_ctls(CPU_BASED_INTR_WINDOW_EXITING), k, 0, 0, 0));
}

static void test_preemption_timer(void)
{
	struct vmx_event e = { .kind = VMX_EV_PREEMPTION_TIMER };
	CU_ASSERT_FALSE(vmx_decide(ctls(~PIN_BASED_VMX_PREEMPTION_TIMER, ~0u, ~0u), &e, &X));
	CU_ASSERT_TRUE(vmx_decide(ctls(PIN_BASED_VMX_PREEMPTION_TIMER, 0, 0), &e, &X));
	CU_ASSERT_EQUAL(X.reason, 52);
	e.guest.activity = VMX_ACTIVITY_HLT;
	CU_ASSERT_TRUE(vmx_decide(ctls(PIN_BASED_VMX_PREEMPTION_TIMER, 0, 0), &e, &X));
	e.guest.activity = VMX_ACTIVITY_WAIT_SIPI;
	CU_ASSERT_FALSE(vmx_decide(ctls(PIN_BASED_VMX_PREEMPTION_TIMER, 0, 0), &e, &X));
	/* rate 7 (IA32_VMX_MISC 0x7004c1e7): one tick each time TSC bit 7 changes */
	const uint64_t misc = 0x7004c1e7;
	CU_ASSERT_EQUAL(vmx_preemption_rate(misc), 7);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 0, 127), 0);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 0, 128), 1);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 127, 128), 1);   /* a bit-7 change, not 128 cycles */
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 128, 383), 1);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 200, 100), 0);
	/* loaded with 10 at TSC 1000 (1000 >> 7 = 7): zero when TSC >> 7 reaches 17 */
	CU_ASSERT_EQUAL(vmx_preemption_deadline(misc, 1000, 10), 17 * 128);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 1000, 17 * 128), 10);
	CU_ASSERT_EQUAL(vmx_preemption_ticks(misc, 1000, 17 * 128 - 1), 9);
	CU_ASSERT_EQUAL(vmx_preemption_deadline(misc, 1000, 0), 1000);   /* 0: exits before the first instruction */
	CU_ASSERT_EQUAL(vmx_preemption_remaining(misc, 1000, 1500, 10), 6);   /* 1500 >> 7 = 11: 4 ticks */
	CU_ASSERT_EQUAL(vmx_preemption_remaining(misc, 1000, 1u << 20, 10), 0);
	/* Broadwell's rate 5 (0x300481e5) */
	CU_ASSERT_EQUAL(vmx_preemption_deadline(0x300481e5, 0, 3), 96);
}

static void test_apic_events(void)
{
	struct vmx_event a = { .kind = VMX_EV_APIC_ACCESS, .apic = { .offset = 0x300, .type = VMX_APIC_LINEAR_WRITE } };
	CU_ASSERT_FALSE(vmx_decide(ctls(0, SEC, 0), &a, &X));
	CU_ASSERT_TRUE(vmx_decide(ctls(0, SEC, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES), &a, &X));
	CU_ASSERT_EQUAL(X.reason, 44);
	CU_ASSERT_EQUAL(X.qual, 0x1300);      /* linear write, offset 300 (ICR low) */
	a.apic.virtualized = true;            /* apic/ virtualizes it */
	CU_ASSERT_FALSE(vmx_decide(ctls(0, SEC, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES), &a, &X));
	/* APIC-write emulation: trap-like APIC_WRITE with the offset */
	struct vmx_event w = { .kind = VMX_EV_APIC_WRITE, .apic = { .offset = 0x380 } };
	CU_ASSERT_TRUE(vmx_decide(ctls(0, SEC, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES | SECONDARY_EXEC_APIC_REGISTER_VIRT), &w, &X));
	CU_ASSERT_EQUAL(X.reason, 56);
	CU_ASSERT_EQUAL(X.qual, 0x380);
	CU_ASSERT_TRUE(vmx_decide(ctls(0, SEC, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES), &w, &X));
	CU_ASSERT_EQUAL(X.reason, 44);        /* no register virtualization: an APIC access */
	/* EOI virtualization: the EOI-exit bitmap decides */
	struct vmx_model *m = ctls(0, SEC, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY);
	struct vmx_event eoi = { .kind = VMX_EV_EOI, .intr = { 0xa1 } };
	CU_ASSERT_FALSE(vmx_decide(m, &eoi, &X));
	vmcs_set(&m->vmcs, VMCS_EOI_EXIT_BITMAP2, 1ull << (0xa1 - 128));
	CU_ASSERT_TRUE(vmx_decide(m, &eoi, &X));
	CU_ASSERT_EQUAL(X.reason, 45);
	CU_ASSERT_EQUAL(X.qual, 0xa1);
	eoi.intr.vector = 0xa0;
	CU_ASSERT_FALSE(vmx_decide(m, &eoi, &X));
}

static void test_ept(void)
{
	/* mmu/ computes the qualification; bits 7-8 pass through, and the
	 * linear address is reported only when bit 7 says it is valid */
	struct vmx_event e = { .kind = VMX_EV_EPT_VIOLATION, .ept = { .qual = 0x182, .gpa = 0xfee00000, .gla = 0x7000 } };
	CU_ASSERT_TRUE(vmx_decide(with_ctls(0), &e, &X));
	CU_ASSERT_EQUAL(X.reason, 48);
	CU_ASSERT_EQUAL(X.qual, 0x182);
	CU_ASSERT_EQUAL(X.gpa, 0xfee00000);
	CU_ASSERT_EQUAL(X.gla, 0x7000);
	e.ept.qual = 0x2;
	CU_ASSERT_TRUE(vmx_decide(with_ctls(0), &e, &X));
	CU_ASSERT_EQUAL(X.gla, 0);
	CU_ASSERT_EQUAL(EPT_VIOLATION_GVA_IS_VALID, 0x80);
	CU_ASSERT_EQUAL(EPT_VIOLATION_GVA_TRANSLATED, 0x100);
	CU_ASSERT_TRUE(ev(with_ctls(0), (struct vmx_event){ .kind = VMX_EV_EPT_MISCONFIG, .ept = { .gpa = 0x1000 } }));
	CU_ASSERT_EQUAL(X.reason, 49);
	CU_ASSERT_EQUAL(X.gpa, 0x1000);
}

static void test_record_exit(void)
{
	struct vmcs v;
	vmcs_clear(&v);
	struct vmx_model *m = ctls(PIN_BASED_EXT_INTR_MASK, 0, 0);
	vmcs_set(&m->vmcs, VMCS_VM_EXIT_CONTROLS, VM_EXIT_ACK_INTR_ON_EXIT);
	CU_ASSERT_TRUE(ev(m, (struct vmx_event){ .kind = VMX_EV_EXT_INTR, .intr = { 0xec } }));
	vmx_record_exit(&v, &X);
	uint64_t r = 0;
	CU_ASSERT_EQUAL(vmcs_read(&v, 0x4402, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(vmcs_read(&v, 0x4404, &r), VMCS_OK);
	CU_ASSERT_EQUAL(r, 0x800000ec);
}

static void test_qualifications(void)
{
	/* Table 28-5 */
	CU_ASSERT_EQUAL(vmx_qual_io(0x3f8, 1, false, false, false, false), 0x03f80000);
	CU_ASSERT_EQUAL(vmx_qual_io(0xcf8, 4, true, false, false, false), 0x0cf8000b);
	CU_ASSERT_EQUAL(vmx_qual_io(0xf4, 1, false, false, false, true), 0x00f40040);
	CU_ASSERT_EQUAL(vmx_qual_io(0x60, 2, true, false, false, true), 0x00600049);
	CU_ASSERT_EQUAL(vmx_qual_io(0x3f8, 1, false, true, true, false), 0x03f80030);
	CU_ASSERT_EQUAL(vmx_qual_io(0xffff, 4, true, true, true, false), 0xffff003bULL);
	CU_ASSERT_EQUAL(vmx_qual_io(0x1f0, 2, false, true, false, false), 0x01f00011);
	/* Table 28-3: mov cr3, rax; mov r15, cr8; clts; lmsw [mem] with 0x000f */
	CU_ASSERT_EQUAL(vmx_qual_cr(3, VMX_CR_MOV_TO, 0, false, 0), 0x3);
	CU_ASSERT_EQUAL(vmx_qual_cr(8, VMX_CR_MOV_FROM, 15, false, 0), 0xf18);
	CU_ASSERT_EQUAL(vmx_qual_cr(0, VMX_CR_CLTS, 7, false, 0), 0x20);
	CU_ASSERT_EQUAL(vmx_qual_cr(0, VMX_CR_LMSW, 0, true, 0xf), 0xf0070);
	/* Table 28-4: mov dr7, rcx (to DR); mov rax, dr6 (from DR) */
	CU_ASSERT_EQUAL(vmx_qual_dr(7, false, 1), 0x107);
	CU_ASSERT_EQUAL(vmx_qual_dr(6, true, 0), 0x16);
	/* Table 28-6: linear read of the TPR at 0x80; guest-physical fetch has no offset */
	CU_ASSERT_EQUAL(vmx_qual_apic_access(0x80, VMX_APIC_LINEAR_READ, false), 0x80);
	CU_ASSERT_EQUAL(vmx_qual_apic_access(0xb0, VMX_APIC_LINEAR_WRITE, false), 0x10b0);
	CU_ASSERT_EQUAL(vmx_qual_apic_access(0x80, VMX_APIC_PHYS_FETCH, false), 0xf000);
	CU_ASSERT_EQUAL(vmx_qual_apic_access(0x80, VMX_APIC_LINEAR_EVENT, true), 0x13080);
	/* Table 28-7, no EPT entry: read [0], write [1], fetch [2], R/W/X [5:3] = 0 */
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(false, false), 0x1);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(true, false), 0x2);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(false, true), 0x4);
	CU_ASSERT_EQUAL(vmx_qual_ept_violation(true, true), 0x4);
}

/* ---- injection ---- */
static struct vmcs V;

static enum vmx_entry_err inject(struct vmx_injection i, uint64_t misc)
{
	vmx_inject(&V, &i);
	return vmx_check_injection(&V, misc);
}

static void guest(uint64_t cr0, uint64_t rflags, uint32_t is, uint32_t act)
{
	vmcs_clear(&V);
	vmcs_set(&V, VMCS_GUEST_CR0, cr0);
	vmcs_set(&V, VMCS_GUEST_RFLAGS, rflags);
	vmcs_set(&V, VMCS_GUEST_INTERRUPTIBILITY_INFO, is);
	vmcs_set(&V, VMCS_GUEST_ACTIVITY_STATE, act);
}

static void test_injection_round_trip(void)
{
	guest(0x80000011, X86_RFLAGS_IF | 2, 0, VMX_ACTIVITY_ACTIVE);
	/* #PF with error code 2: valid, deliver code, type 3, vector 14 (Table 25-17) */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 14, VMX_INTR_HW_EXC, true, 0x2, 0 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4016), 0x80000b0eu);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4018), 0x2);
	struct vmx_injection r;
	CU_ASSERT_TRUE_FATAL(vmx_injection(&V, &r));
	CU_ASSERT_EQUAL(r.vector, 14);
	CU_ASSERT_EQUAL(r.type, VMX_INTR_HW_EXC);
	CU_ASSERT_TRUE(r.deliver_code);
	CU_ASSERT_EQUAL(r.error_code, 0x2);
	/* INT 0x80 (2 bytes): software interrupt, type 4 */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 2 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4016), 0x80000480u);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x401a), 2);
	/* external interrupt 0x30, NMI, INT3 (software exception) */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x30, VMX_INTR_EXT, false, 0, 0 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4016), 0x80000030u);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 2, VMX_INTR_NMI, false, 0, 0 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4016), 0x80000202u);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 3, VMX_INTR_SOFT_EXC, false, 0, 1 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(vmcs_get(&V, 0x4016), 0x80000603u);
	/* nothing pending: no injection, nothing to check */
	vmcs_set(&V, VMCS_VM_ENTRY_INTR_INFO_FIELD, 0x0000030e);
	CU_ASSERT_FALSE(vmx_injection(&V, &r));
	CU_ASSERT_EQUAL(vmx_check_injection(&V, 0), VMX_ENTRY_OK);
}

static void test_injection_invalid(void)
{
	guest(0x80000011, X86_RFLAGS_IF, 0, VMX_ACTIVITY_ACTIVE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x30, 1, false, 0, 0 }, 0), VMX_ENTRY_RESERVED_TYPE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 3, VMX_INTR_NMI, false, 0, 0 }, 0), VMX_ENTRY_BAD_VECTOR);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 32, VMX_INTR_HW_EXC, false, 0, 0 }, 0), VMX_ENTRY_BAD_VECTOR);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 1, VMX_INTR_OTHER, false, 0, 0 }, 0), VMX_ENTRY_BAD_VECTOR);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0, VMX_INTR_OTHER, false, 0, 0 }, 0), VMX_ENTRY_OK);
	/* error code exactly for #DF #TS #NP #SS #GP #PF #AC in protected mode */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 6, VMX_INTR_HW_EXC, true, 0, 0 }, 0), VMX_ENTRY_BAD_DELIVER_CODE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, false, 0, 0 }, 0), VMX_ENTRY_BAD_DELIVER_CODE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x30, VMX_INTR_EXT, true, 0, 0 }, 0), VMX_ENTRY_BAD_DELIVER_CODE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 17, VMX_INTR_HW_EXC, true, 0, 0 }, 0), VMX_ENTRY_OK);
	/* real mode under unrestricted guest: no error code */
	vmcs_set(&V, VMCS_GUEST_CR0, 0x10);
	vmcs_set(&V, VMCS_CPU_BASED_VM_EXEC_CONTROL, SEC);
	vmcs_set(&V, VMCS_SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_UNRESTRICTED_GUEST);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, false, 0, 0 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, true, 0, 0 }, 0), VMX_ENTRY_BAD_DELIVER_CODE);
	vmcs_set(&V, VMCS_GUEST_CR0, 0x11);
	/* error code bits 31:16; reserved bits 30:12 */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, true, 0x10000, 0 }, 0), VMX_ENTRY_BAD_ERROR_CODE);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, true, 0xffff, 0 }, 0), VMX_ENTRY_OK);
	vmcs_set(&V, VMCS_VM_ENTRY_INTR_INFO_FIELD, 0x80001030);
	CU_ASSERT_EQUAL(vmx_check_injection(&V, 0), VMX_ENTRY_RESERVED_BITS);
	vmcs_set(&V, VMCS_VM_ENTRY_INTR_INFO_FIELD, 0xc0000030);
	CU_ASSERT_EQUAL(vmx_check_injection(&V, 0), VMX_ENTRY_RESERVED_BITS);
	/* software events: length 1-15, or 0 with IA32_VMX_MISC[30] */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 16 }, 0x7004c1e7), VMX_ENTRY_BAD_INSN_LEN);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 0 }, 0x7004c1e7), VMX_ENTRY_OK);
	/* Broadwell's IA32_VMX_MISC (0x300481e5) has bit 30 clear */
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 0 }, 0x300481e5), VMX_ENTRY_BAD_INSN_LEN);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 15 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x30, VMX_INTR_EXT, false, 0, 0 }, 0), VMX_ENTRY_OK);   /* length unused */
	CU_ASSERT_STRING_EQUAL(vmx_entry_err_name(VMX_ENTRY_BAD_INSN_LEN), "instruction length outside the allowed range");
}

static void test_injection_guest_state(void)
{
	struct vmx_injection ext = { 0x30, VMX_INTR_EXT, false, 0, 0 }, nmi = { 2, VMX_INTR_NMI, false, 0, 0 };
	guest(0x11, 0, 0, VMX_ACTIVITY_ACTIVE);
	CU_ASSERT_EQUAL(inject(ext, 0), VMX_ENTRY_BLOCKED);               /* IF = 0 */
	guest(0x11, X86_RFLAGS_IF, VMX_INTR_STATE_STI, VMX_ACTIVITY_ACTIVE);
	CU_ASSERT_EQUAL(inject(ext, 0), VMX_ENTRY_BLOCKED);
	CU_ASSERT_EQUAL(inject(nmi, 0), VMX_ENTRY_OK);
	guest(0x11, X86_RFLAGS_IF, VMX_INTR_STATE_MOV_SS, VMX_ACTIVITY_ACTIVE);
	CU_ASSERT_EQUAL(inject(nmi, 0), VMX_ENTRY_BLOCKED);
	guest(0x11, X86_RFLAGS_IF, VMX_INTR_STATE_NMI, VMX_ACTIVITY_ACTIVE);
	vmcs_set(&V, VMCS_PIN_BASED_VM_EXEC_CONTROL, PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS);
	CU_ASSERT_EQUAL(inject(nmi, 0), VMX_ENTRY_BLOCKED);               /* virtual-NMI blocking */
	CU_ASSERT_EQUAL(inject(ext, 0), VMX_ENTRY_OK);
	/* activity states */
	guest(0x11, X86_RFLAGS_IF, 0, VMX_ACTIVITY_HLT);
	CU_ASSERT_EQUAL(inject(ext, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 18, VMX_INTR_HW_EXC, false, 0, 0 }, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 0x80, VMX_INTR_SOFT_INTR, false, 0, 2 }, 0), VMX_ENTRY_BAD_ACTIVITY);
	CU_ASSERT_EQUAL(inject((struct vmx_injection){ 13, VMX_INTR_HW_EXC, true, 0, 0 }, 0), VMX_ENTRY_BAD_ACTIVITY);
	guest(0x11, X86_RFLAGS_IF, 0, VMX_ACTIVITY_SHUTDOWN);
	CU_ASSERT_EQUAL(inject(nmi, 0), VMX_ENTRY_OK);
	CU_ASSERT_EQUAL(inject(ext, 0), VMX_ENTRY_BAD_ACTIVITY);
	guest(0x11, X86_RFLAGS_IF, 0, VMX_ACTIVITY_WAIT_SIPI);
	CU_ASSERT_EQUAL(inject(nmi, 0), VMX_ENTRY_BAD_ACTIVITY);
}

static void test_guest_tsc(void)
{
	struct vmx_model *m = with_ctls(0);
	vmcs_set(&m->vmcs, VMCS_TSC_OFFSET, (uint64_t)-1000);
	CU_ASSERT_EQUAL(vmx_guest_tsc(m, 5000), 5000);          /* offsetting off */
	m = with_ctls(CPU_BASED_USE_TSC_OFFSETTING);
	vmcs_set(&m->vmcs, VMCS_TSC_OFFSET, (uint64_t)-1000);
	CU_ASSERT_EQUAL(vmx_guest_tsc(m, 5000), 4000);
	/* scaling by 1.5 (multiplier 3 << 47) before the offset */
	vmcs_set(&m->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_USE_TSC_OFFSETTING | SEC);
	vmcs_set(&m->vmcs, VMCS_SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_TSC_SCALING);
	vmcs_set(&m->vmcs, VMCS_TSC_MULTIPLIER, 3ull << 47);
	CU_ASSERT_EQUAL(vmx_guest_tsc(m, 5000), 6500);
}

static void test_exit_cost(void)
{
	struct vmx_model *m = with_ctls(0);
	m->exit_cycles = 250;
	m->save_cycles = 3;
	m->restore_cycles = 40000;
	m->entry_cycles = 17;
	m->user_cycles = 5200;
	for (unsigned i = 0; i < VMXX_COUNT; i++)
		m->handler[i] = 1000 * (i + 1);
	CU_ASSERT_EQUAL(vmx_exit_cost(m, VMXX_CPUID, false), 250 + 3 + 1000 + 40000 + 17);
	CU_ASSERT_EQUAL(vmx_exit_cost(m, VMXX_IO_INSTRUCTION, false), 250 + 3 + 5000 + 40000 + 17);
	CU_ASSERT_EQUAL(vmx_exit_cost(m, VMXX_IO_INSTRUCTION, true), 250 + 3 + 5000 + 40000 + 17 + 5200);
	CU_ASSERT_EQUAL(vmx_exit_cost(m, VMXX_TRIPLE_FAULT, false), 250 + 3 + 10000 + 40000 + 17);
	CU_ASSERT_EQUAL(vmx_exit_cost(m, VMXX_CR_ACCESS, false), 250 + 3 + 11000 + 40000 + 17);
	/* each part in its place, in the order they happen */
	struct cost c;
	vmx_exit_parts(m, VMXX_VMCALL, true, &c);
	CU_ASSERT_EQUAL(c.part[VMXP_EXIT], 250);
	CU_ASSERT_EQUAL(c.part[VMXP_SAVE], 3);
	CU_ASSERT_EQUAL(c.part[VMXP_HANDLER], 4000);
	CU_ASSERT_EQUAL(c.part[VMXP_USER], 5200);
	CU_ASSERT_EQUAL(c.part[VMXP_RESTORE], 40000);
	CU_ASSERT_EQUAL(c.part[VMXP_ENTRY], 17);
	CU_ASSERT_STRING_EQUAL(vmx_part_name(VMXP_SAVE), "save");
	CU_ASSERT_STRING_EQUAL(vmx_part_name(VMXP_RESTORE), "restore");
	CU_ASSERT_TRUE(VMXP_EXIT < VMXP_SAVE && VMXP_SAVE < VMXP_HANDLER && VMXP_HANDLER < VMXP_RESTORE &&
		       VMXP_RESTORE < VMXP_ENTRY);
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
	/* every value distinct */
	static const char ini[] =
		"[vmx]\n"
		"pin_ctls = 0xa9\n"
		"procbased_ctls = 0xb1a00c88\n"
		"procbased_ctls2 = 0x21037eb\n"
		"procbased_ctls3 = 0x10\n"
		"exit_ctls = 0x888204\n"
		"entry_ctls = 0x14204\n"
		"exception_bitmap = 0x60042\n"
		"cr0_guest_host_mask = 0xfffffffffffefff7\n"
		"cr4_guest_host_mask = 0xfffffffffffef871\n"
		"misc = 0x7004c1e7\n"
		"mmio_spte_cache = yes\n"
		"exit_cycles = 251\n"
		"entry_cycles = 252\n"
		"save_cycles = 253\n"
		"restore_cycles = 254\n"
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
		"cr_access_cycles = 511\n"
		"user_cycles = 5200\n"
		"fastpath_cycles = 512\n";
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "test-vmx.ini", ini), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), 0);

	struct vmx_model *m = &M;
	memset(m, 0xff, sizeof *m);
	m->mmio_spte_cache = false;   /* a valid bool opposite to the design's */
	vmx_init(m, c);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x4000), 0xa9);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x4002), 0xb1a00c88u);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x401e), 0x21037eb);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x2034), 0x10);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x400c), 0x888204);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x4012), 0x14204);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x4004), 0x60042);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x6000), 0xfffffffffffefff7ULL);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x6002), 0xfffffffffffef871ULL);
	CU_ASSERT_EQUAL(vmcs_get(&m->vmcs, 0x4402), 0);    /* the rest of the VMCS is cleared */
	CU_ASSERT_EQUAL(m->misc, 0x7004c1e7);
	CU_ASSERT_EQUAL(vmx_tertiary(m), 0);              /* bit 17 of the primary controls is clear */
	CU_ASSERT_TRUE(m->mmio_spte_cache);
	CU_ASSERT_EQUAL(m->exit_cycles, 251);
	CU_ASSERT_EQUAL(m->entry_cycles, 252);
	CU_ASSERT_EQUAL(m->save_cycles, 253);
	CU_ASSERT_EQUAL(m->restore_cycles, 254);
	CU_ASSERT_EQUAL(m->user_cycles, 5200);
	CU_ASSERT_EQUAL(m->fastpath_cycles, 512);
	static const enum vmx_exit order[] = {
		VMXX_CPUID, VMXX_HLT, VMXX_RDTSC, VMXX_VMCALL, VMXX_IO_INSTRUCTION, VMXX_MSR_READ,
		VMXX_MSR_WRITE, VMXX_EPT_VIOLATION, VMXX_EPT_MISCONFIG, VMXX_TRIPLE_FAULT, VMXX_CR_ACCESS,
	};
	for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
		CU_ASSERT_EQUAL(m->handler[order[i]], 501 + i);

	/* KVM's controls: HLT, RDPMC, unconditional I/O, MSR bitmaps on; RDTSC off */
	CU_ASSERT_TRUE(vmx_exits_on_hlt(m));
	CU_ASSERT_FALSE(vmx_exits_on_rdtsc(m));
	CU_ASSERT_TRUE(ev(m, (struct vmx_event){ .kind = VMX_EV_RDPMC }));
	CU_ASSERT_TRUE(vmx_exits_on_io(m, 0x3f8));
	CU_ASSERT_FALSE(vmx_exits_on_msr(m, 0xc0000100, true));
	CU_ASSERT_TRUE(vmx_exits_on_msr(m, 0xc0000080, true));
	CU_ASSERT_FALSE(ev(m, (struct vmx_event){ .kind = VMX_EV_INVLPG }));   /* EPT: no INVLPG exiting */
	CU_ASSERT_TRUE(ev(m, (struct vmx_event){ .kind = VMX_EV_EXCEPTION, .exc = { .vector = 6 } }));
	CU_ASSERT_FALSE(ev(m, (struct vmx_event){ .kind = VMX_EV_EXCEPTION, .exc = { .vector = 14, .has_error = true } }));

	/* A later source overrides; bool spellings */
	CU_ASSERT_EQUAL(cfg_set(c, "vmx.mmio_spte_cache=off"), 0);
	CU_ASSERT_EQUAL(cfg_set(c, "vmx.procbased_ctls=0x1080"), 0);
	m->mmio_spte_cache = true;
	vmx_init(m, c);
	CU_ASSERT_FALSE(m->mmio_spte_cache);
	CU_ASSERT_TRUE(vmx_exits_on_rdtsc(m));
	CU_ASSERT_FALSE(vmx_exits_on_io(m, 0x3f8));
	CU_ASSERT_TRUE(vmx_exits_on_msr(m, 0xc0000100, true));   /* no MSR bitmaps */
	CU_ASSERT_EQUAL(vmx_secondary(m), 0);                     /* bit 31 clear: secondary controls inactive */
	cfg_free(c);
}

static void test_cfg_errors(void)
{
	struct cfg *c = vmx_cfg();
	/* the 32-bit control fields */
	static const char *const words[] = { "pin_ctls", "procbased_ctls", "procbased_ctls2", "exit_ctls", "entry_ctls" };
	for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++) {
		char ini[80];
		snprintf(ini, sizeof ini, "[vmx]\n%s = 0x100000000\n", words[i]);
		CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", ini), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "bad.ini:2"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), words[i]));
	}
	CU_ASSERT_EQUAL(cfg_load_string(c, "ok.ini", "[vmx]\nprocbased_ctls3 = 0x100000000\n"), 0);   /* 64-bit */
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[vmx]\nmmio_spte_cache = maybe\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "vmx.mmio_spte_cache"));
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[vmx]\nhlt_cycles = 1000000001\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "vmx.hlt_cycles"));
	cfg_free(c);
}

static void test_control_checks(void)
{
	/* the default design passes */
	struct cfg *c = cfg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(design_load_default(c, ISA_X86_64), 0);
	vmx_init(&M, c);
	CU_ASSERT_EQUAL(vmx_check_controls(&M), VMX_CTLS_OK);
	CU_ASSERT_EQUAL(vmcs_get(&M.vmcs, VMCS_VIRTUAL_PROCESSOR_ID), 1);
	cfg_free(c);
	/* 27.2.1.1, one rule at a time */
	const uint32_t tpr = CPU_BASED_TPR_SHADOW | SEC;
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(PIN_BASED_VIRTUAL_NMIS, 0, 0)), VMX_CTLS_VNMI_WITHOUT_NMI_EXITING);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(PIN_BASED_NMI_EXITING, CPU_BASED_NMI_WINDOW_EXITING, 0)),
			VMX_CTLS_NMI_WINDOW_WITHOUT_VNMI);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(PIN_BASED_EXT_INTR_MASK, SEC, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)),
			VMX_CTLS_APICV_WITHOUT_TPR_SHADOW);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, tpr, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE |
							   SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES)),
			VMX_CTLS_X2APIC_AND_APIC_ACCESSES);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, tpr, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)),
			VMX_CTLS_VID_WITHOUT_EXT_INTR_EXITING);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_POSTED_INTR, tpr,
						SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)),
			VMX_CTLS_POSTED_WITHOUT_VID_OR_ACK);   /* no acknowledge-on-exit */
	vmcs_set(&M.vmcs, VMCS_VM_EXIT_CONTROLS, VM_EXIT_ACK_INTR_ON_EXIT);
	CU_ASSERT_EQUAL(vmx_check_controls(&M), VMX_CTLS_OK);
	vmcs_set(&M.vmcs, VMCS_POSTED_INTR_NV, 0x100);
	CU_ASSERT_EQUAL(vmx_check_controls(&M), VMX_CTLS_POSTED_BAD_VECTOR);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, SEC, SECONDARY_EXEC_ENABLE_VPID)), VMX_CTLS_VPID_ZERO);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, SEC, SECONDARY_EXEC_UNRESTRICTED_GUEST)), VMX_CTLS_UG_WITHOUT_EPT);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, SEC, SECONDARY_EXEC_ENABLE_PML)), VMX_CTLS_PML_WITHOUT_EPT);
	CU_ASSERT_EQUAL(vmx_check_controls(ctls(0, 0, SECONDARY_EXEC_UNRESTRICTED_GUEST)), VMX_CTLS_OK);   /* inactive */
	ctls(0, 0, 0);
	vmcs_set(&M.vmcs, VMCS_VM_EXIT_CONTROLS, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	CU_ASSERT_EQUAL(vmx_check_controls(&M), VMX_CTLS_SAVE_TIMER_WITHOUT_TIMER);
	ctls(0, CPU_BASED_TPR_SHADOW, 0);
	vmcs_set(&M.vmcs, VMCS_TPR_THRESHOLD, 0x10);
	CU_ASSERT_EQUAL(vmx_check_controls(&M), VMX_CTLS_TPR_THRESHOLD_RESERVED);
	CU_ASSERT_STRING_EQUAL(vmx_ctls_err_name(VMX_CTLS_PML_WITHOUT_EPT), "PML without EPT");
}

static CU_TestInfo tests[] = {
	{ "VM-entry control checks", test_control_checks },
	{ "unconditional exits", test_always },
	{ "primary-control instructions", test_primary_instructions },
	{ "secondary-control instructions", test_secondary_instructions },
	{ "I/O exiting", test_io },
	{ "I/O bitmaps A/B", test_io_bitmaps },
	{ "MSR bitmap layout and ranges", test_msr_bitmap_layout },
	{ "MSR bitmap: KVM passthrough", test_msr_kvm_passthrough },
	{ "CR8 exiting vs TPR shadow", test_cr8_tpr_shadow },
	{ "CR0/CR3/CR4, CLTS, LMSW", test_cr0_cr3_cr4 },
	{ "MOV DR", test_mov_dr },
	{ "external interrupts, ack on exit", test_external_interrupt },
	{ "NMI exiting", test_nmi },
	{ "exception bitmap and #PF filter", test_exceptions },
	{ "interrupt window", test_interrupt_window },
	{ "NMI window", test_nmi_window },
	{ "VMX-preemption timer", test_preemption_timer },
	{ "APIC access, APIC write, EOI", test_apic_events },
	{ "EPT violation and misconfiguration", test_ept },
	{ "exit information recorded in the VMCS", test_record_exit },
	{ "exit qualifications", test_qualifications },
	{ "injection round trip", test_injection_round_trip },
	{ "injection: invalid combinations", test_injection_invalid },
	{ "injection: guest state", test_injection_guest_state },
	{ "guest TSC", test_guest_tsc },
	{ "exit cost", test_exit_cost },
	{ "vmx_init from a design", test_init_from_cfg },
	{ "design errors", test_cfg_errors },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("vmx", tests);
}
