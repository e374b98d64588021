/* The pc machine's MSR decisions (platform/pc.c): which writes the VMM
 * absorbs, which it leaves to the CPU model, which raise #GP. */
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "core/stats.h"
#include "cpu/vmx.h"
#include "platform/designs.h"
#include "platform/hvsim-abi.h"
#include "platform/pc.h"
#include "tests/unit/unit.h"

#define MSR_IA32_EFER    0xc0000080U
#define MSR_IA32_TSC_AUX 0xc0000103U

static struct pc pc;
static uint64_t gp_count, hypercalls;

static struct pc *fresh_pc(void)
{
	memset(&pc, 0, sizeof pc);
	gp_count = hypercalls = 0;
	pc.st_msr_gp = &gp_count;
	pc.st_hypercalls = &hypercalls;
	return &pc;
}

/* IA32_EFER, SDM Vol. 4 Table 2-2: SCE [0] R/W, LME [8] R/W, LMA [10] R,
 * NXE [11] R/W (CPUID reports SYSCALL, LM, NX); everything else reserved:
 * WRMSR setting a reserved bit is #GP(0) (SDM Vol. 2B, WRMSR). */
static void test_efer(void)
{
	struct pc *p = fresh_pc();
	unsigned native = 0;

	for (unsigned bit = 0; bit < 64; bit++) {
		bool defined = bit == 0 || bit == 8 || bit == 10 || bit == 11;
		enum msr_result r = pc_wrmsr(p, 0, MSR_IA32_EFER, 1ULL << bit);
		CU_ASSERT_EQUAL(r, defined ? MSR_NATIVE : MSR_GP);
		native += r == MSR_NATIVE;
	}
	CU_ASSERT_EQUAL(native, 4);
	CU_ASSERT_EQUAL(gp_count, 60);

	/* All ones (the case found by hand) and the usual values */
	CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, ~0ULL), MSR_GP);
	CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, 0xfffffffULL & ~0xd01ULL), MSR_GP);
	CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, 0xd01), MSR_NATIVE);   /* SCE LME LMA NXE */
	CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, 0x100), MSR_NATIVE);   /* LME, as firmware sets it */
	CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, 0), MSR_NATIVE);
	/* AMD-only bits (SVME 12, LMSLE 13, FFXSR 14, TCE 15) do not exist on the Intel CPU we report. */
	for (unsigned bit = 12; bit < 16; bit++)
		CU_ASSERT_EQUAL(pc_wrmsr(p, 0, MSR_IA32_EFER, 0x100 | 1ULL << bit), MSR_GP);
	CU_ASSERT_EQUAL(gp_count, 60 + 2 + 4);
	/* Reads are the CPU model's. */
	uint64_t v = 0;
	CU_ASSERT_EQUAL(pc_rdmsr(p, 0, MSR_IA32_EFER, 0, &v), MSR_NATIVE);
}

static void test_tsc_aux(void)
{
	struct pc *p = fresh_pc();
	uint64_t v = 0;

	/* IA32_TSC_AUX: bits 63:32 reserved (SDM Vol. 4 Table 2-2). */
	CU_ASSERT_EQUAL(pc_wrmsr(p, 1, MSR_IA32_TSC_AUX, 0xffffffffULL), MSR_HANDLED);
	CU_ASSERT_EQUAL(pc_wrmsr(p, 1, MSR_IA32_TSC_AUX, 0x100000000ULL), MSR_GP);
	CU_ASSERT_EQUAL(pc_rdmsr(p, 1, MSR_IA32_TSC_AUX, 0, &v), MSR_HANDLED);
	CU_ASSERT_EQUAL(v, 0xffffffffULL);
	CU_ASSERT_EQUAL(pc_rdmsr(p, 0, MSR_IA32_TSC_AUX, 0, &v), MSR_HANDLED);
	CU_ASSERT_EQUAL(v, 0);   /* per vCPU */
	CU_ASSERT_EQUAL(gp_count, 1);
}

/* Writes to IA32_TSC are ignored (no TSC offsetting), said once per machine
 * however often the guest writes: a loop must not flood stderr. */
static void test_tsc_write(void)
{
	struct pc *p = fresh_pc();
	uint64_t v = 0;

	unit_capture_begin();
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(pc_wrmsr(p, (unsigned)i % 2, 0x10, (uint64_t)i << 20), MSR_HANDLED);
	char *out = unit_capture_end();
	CU_ASSERT_STRING_EQUAL(out, "hvsim: warning: guest wrote IA32_TSC: TSC offsetting is not modelled, "
				    "the write is ignored\n");
	free(out);
	CU_ASSERT_EQUAL(pc_rdmsr(p, 0, 0x10, 12345, &v), MSR_HANDLED);
	CU_ASSERT_EQUAL(v, 12345);   /* the vCPU clock, unchanged by the writes */
	CU_ASSERT_EQUAL(gp_count, 0);
}

/* VMCALL, KVM's convention: RAX = number (all 64 bits in 64-bit mode), RBX =
 * argument; unknown numbers return -KVM_ENOSYS (-1000) in RAX. */
static void test_vmcall(void)
{
	struct pc *p = fresh_pc();
	struct hv_call r;

	pc_vmcall(p, 0, HVSIM_HC_X86_PING, 41, 0, &r);
	CU_ASSERT_EQUAL(r.ret, 42);
	CU_ASSERT_EQUAL(r.act, HV_NONE);
	pc_vmcall(p, 1, HVSIM_HC_X86_CYCLES, 0, 777, &r);
	CU_ASSERT_EQUAL(r.ret, 777);
	pc_vmcall(p, 0, HVSIM_HC_X86_EXIT, 0x1234, 0, &r);
	CU_ASSERT_EQUAL(r.act, HV_STOP);
	CU_ASSERT_EQUAL(r.status, 0x34);
	CU_ASSERT_EQUAL(hypercalls, 3);

	/* The upper half of RAX is part of the number: these are unknown. */
	static const uint64_t unknown[] = {
		1ULL << 32 | HVSIM_HC_X86_EXIT, 0xffffffff00000000ULL | HVSIM_HC_X86_PING, 0, 0x485600ffU,
	};
	for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		pc_vmcall(p, 0, unknown[i], 41, 0, &r);
		CU_ASSERT_EQUAL(r.ret, (uint64_t)-1000);
		CU_ASSERT_EQUAL(r.act, HV_NONE);
	}
	CU_ASSERT_EQUAL(hypercalls, 3);

	/* ARG: guest.arg0..3 from the design; an index beyond them is refused
	 * like an unknown call, never read past the array. */
	p->m.guest_arg[3] = 0x5eed;
	pc_vmcall(p, 0, HVSIM_HC_X86_ARG, 3, 0, &r);
	CU_ASSERT_EQUAL(r.ret, 0x5eed);
	pc_vmcall(p, 0, HVSIM_HC_X86_ARG, 0, 0, &r);
	CU_ASSERT_EQUAL(r.ret, 0);
	CU_ASSERT_EQUAL(hypercalls, 5);
	static const uint64_t bad[] = { HVSIM_GUEST_ARGS, 1ULL << 32, UINT64_MAX };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_vmcall(p, 0, HVSIM_HC_X86_ARG, bad[i], 0, &r);
		CU_ASSERT_EQUAL(r.ret, (uint64_t)-1000);
	}
}

/* CPUID of the default design's Xeon Gold 6142: Skylake-SP H0, signature
 * 0x50654 (Intel microcode file 06-55-04); KVM's hypervisor leaf */
static void test_cpuid_signature(void)
{
	struct pc *p = fresh_pc();
	uint32_t o[4];
	pc_cpuid(p, 0, 1, 0, o);
	CU_ASSERT_EQUAL(o[0], 0x00050654);
	CU_ASSERT_EQUAL((o[0] >> 8) & 0xf, 6);                            /* family */
	CU_ASSERT_EQUAL(((o[0] >> 12) & 0xf0) | ((o[0] >> 4) & 0xf), 0x55); /* extended model : model */
	CU_ASSERT_EQUAL(o[0] & 0xf, 4);                                   /* stepping */
	pc_cpuid(p, 0, 0, 0, o);
	char vendor[13] = { 0 };
	memcpy(vendor, &o[1], 4);
	memcpy(vendor + 4, &o[3], 4);
	memcpy(vendor + 8, &o[2], 4);
	CU_ASSERT_STRING_EQUAL(vendor, "GenuineIntel");
	pc_cpuid(p, 0, 0x40000000, 0, o);
	char sig[13] = { 0 };
	memcpy(sig, &o[1], 12);                                           /* EBX ECX EDX */
	CU_ASSERT_EQUAL(memcmp(sig, "KVMKVMKVM\0\0\0", 12), 0);
	CU_ASSERT_EQUAL(o[0], 0x40000010);                                /* up to QEMU's timing leaf */
	/* 40000010H as QEMU fills it for KVM guests: TSC and APIC bus in kHz */
	p->m.freq_hz = 2600000000ULL;
	p->apic_bus_khz = 866666;
	pc_cpuid(p, 0, 0x40000010, 0, o);
	CU_ASSERT_EQUAL(o[0], 2600000);
	CU_ASSERT_EQUAL(o[1], 866666);
}

/* ---- the wakeup mailbox, through a real pc_create ---- */

static unsigned started_cpu, starts;
static uint64_t started_entry;
static void record_start(struct machine *m, unsigned cpu, uint64_t entry, uint64_t arg, cycles_t when)
{
	started_cpu = cpu;
	started_entry = entry;
	starts++;
}

static const struct dev_window *mailbox_of(struct pc *p)
{
	const struct dev_window *w = machine_find_mmio(&p->m, HVSIM_PC_MAILBOX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

/* Writes ApicId and WakeupVector, then Command = WAKEUP; returns starts made. */
static unsigned wakeup(struct pc *p, uint64_t apic_id, uint64_t vector)
{
	const struct dev_window *w = mailbox_of(p);
	unsigned before = starts;
	w->ops->write(w->dev, HVSIM_MAILBOX_APIC_ID, 4, apic_id);
	w->ops->write(w->dev, HVSIM_MAILBOX_WAKEUP_VECTOR, 8, vector);
	w->ops->write(w->dev, HVSIM_MAILBOX_COMMAND, 2, HVSIM_MAILBOX_CMD_WAKEUP);
	return starts - before;
}

/* The default x86 design with 2 vCPUs and 16 MiB of RAM. */
static struct cfg *pc_cfg(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_declare(c, ISA_X86_64), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "default-x86.ini", hvsim_default_design_x86), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.vcpus=2"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.ram_mb=16"), 0);
	return c;
}

/* x86 guests load at 1 MiB or above (the first MiB is the legacy hole). */
static void test_load_min(void)
{
	struct cfg *c = pc_cfg();
	struct stats *st = stats_new();
	static struct pc p;
	static const uint8_t byte = 0xf4;
	struct elf_segment seg = { .paddr = 0xfffff, .memsz = 1, .filesz = 1, .data = &byte };
	struct elf_image img = { .segs = &seg, .nsegs = 1 };

	CU_ASSERT_EQUAL(pc_create(&p, c, st, &img), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "segment at 0xfffff is below 1 MiB: x86 guests load at 0x100000 or above");
	pc_destroy(&p);
	seg.paddr = 0x100000;
	CU_ASSERT_EQUAL_FATAL(pc_create(&p, c, st, &img), 0);
	CU_ASSERT_EQUAL(p.m.ram[0x100000], 0xf4);
	pc_destroy(&p);
	stats_free(st);
	cfg_free(c);
}

/* The guest picks the APIC ID and the vector: each is checked against the
 * machine (2 vCPUs, RAM [0, 16 MiB)), at the boundary. */
static void test_mailbox_bounds(void)
{
	struct cfg *c = pc_cfg();
	struct stats *st = stats_new();
	struct elf_image img = { 0 };
	static struct pc p;
	struct sim_cpu cpu0 = { 0 }, *cpus[1] = { &cpu0 };
	struct sim sim = { .cpus = cpus, .ncpus = 1 };

	CU_ASSERT_EQUAL_FATAL(pc_create(&p, c, st, &img), 0);
	p.m.sim = &sim;
	p.m.cpu_start = record_start;
	starts = 0;

	CU_ASSERT_EQUAL(wakeup(&p, 2, 0x100000), 0);            /* APIC ID 2: only 0 and 1 exist */
	CU_ASSERT_EQUAL(wakeup(&p, 0xffffffff, 0x100000), 0);
	CU_ASSERT_EQUAL(wakeup(&p, 0, 0x100000), 0);            /* the BSP is running */
	CU_ASSERT_EQUAL(wakeup(&p, 1, 16 << 20), 0);            /* just past RAM */
	CU_ASSERT_EQUAL(wakeup(&p, 1, ~0ULL), 0);
	CU_ASSERT_EQUAL(*p.st_mailbox_errors, 5);
	CU_ASSERT_EQUAL(wakeup(&p, 1, (16 << 20) - 1), 1);      /* last byte of RAM: in RAM */
	CU_ASSERT_EQUAL(started_cpu, 1);
	CU_ASSERT_EQUAL(started_entry, (16 << 20) - 1);
	CU_ASSERT_EQUAL(wakeup(&p, 1, 0x100000), 0);            /* started once only */
	CU_ASSERT_EQUAL(*p.st_mailbox_errors, 6);

	/* Acknowledged: Command reads back 0.  Past the 16 mailbox bytes: reads 0, writes ignored. */
	const struct dev_window *w = mailbox_of(&p);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, HVSIM_MAILBOX_COMMAND, 2), 0);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, HVSIM_MAILBOX_APIC_ID, 4), 1);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 12, 8), 0);          /* straddles the end */
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 0xff8, 8), 0);
	w->ops->write(w->dev, 12, 8, ~0ULL);
	w->ops->write(w->dev, 0xffe, 2, HVSIM_MAILBOX_CMD_WAKEUP);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, HVSIM_MAILBOX_WAKEUP_VECTOR, 8), 0x100000);
	/* Byte 15 is the last: one byte from there, not two. */
	w->ops->write(w->dev, HVSIM_MAILBOX_WAKEUP_VECTOR, 8, 0xab00000000100000ULL);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 15, 1), 0xab);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 15, 2), 0);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 9, 8), 0);
	w->ops->write(w->dev, 15, 2, 0xcdcd);
	w->ops->write(w->dev, 9, 8, ~0ULL);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, HVSIM_MAILBOX_WAKEUP_VECTOR, 8), 0xab00000000100000ULL);
	w->ops->write(w->dev, 15, 1, 0xcd);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 8, 8), 0xcd00000000100000ULL);
	/* An unknown command is counted and acknowledged. */
	w->ops->write(w->dev, HVSIM_MAILBOX_COMMAND, 2, 7);
	CU_ASSERT_EQUAL(*p.st_mailbox_errors, 7);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, HVSIM_MAILBOX_COMMAND, 2), 0);
	CU_ASSERT_EQUAL(starts, 1);

	pc_destroy(&p);
	stats_free(st);
	cfg_free(c);
}

static CU_TestInfo tests[] = {
	{ "IA32_EFER reserved bits raise #GP", test_efer },
	{ "IA32_TSC_AUX reserved bits raise #GP", test_tsc_aux },
	{ "IA32_TSC writes ignored, said once", test_tsc_write },
	{ "VMCALL numbers use all of RAX", test_vmcall },
	{ "CPUID signature and hypervisor leaf", test_cpuid_signature },
	{ "wakeup mailbox bounds", test_mailbox_bounds },
	{ "x86 segments load at 1 MiB or above", test_load_min },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("pc", tests);
}
