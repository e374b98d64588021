/* The pc machine's APIC wiring (platform/pc_irq.c) through a real
 * pc_create: IA32_APIC_BASE no longer #GP, the x2APIC MSR range and its
 * boundaries (the check XSA-108 got wrong: 800H-8FFH registers, up to BFFH
 * reserved, all #GP outside x2APIC mode), the xAPIC and I/O APIC windows
 * with out-of-range offsets and indices, and CPUID's APIC bits; with the
 * default design's APICv and posted interrupts: the descriptor interface
 * (pc_irq_post), PIR -> VIRR on the notification and on the entry after a
 * wake-up, and virtual-interrupt delivery by RVI against VPPR. */
#include <string.h>

#include "apic/lapic.h"
#include "core/cfg.h"
#include "core/err.h"
#include "core/stats.h"
#include "platform/designs.h"
#include "platform/pc.h"
#include "tests/unit/unit.h"

static struct pc p;
static struct cfg *c;
static struct stats *st;
static struct sim_cpu cpu0, cpu1, *cpus[2] = { &cpu0, &cpu1 };
static struct sim sim = { .cpus = cpus, .ncpus = 2 };

/* The default design, 2 vCPUs, and `set`, `set2` (--set values, or NULL) */
static void create_with(const char *set, const char *set2)
{
	struct elf_image img = { 0 };
	c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_declare(c, ISA_X86_64), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "default-x86.ini", hvsim_default_design_x86), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.vcpus=2"), 0);
	if (set)
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, set), 0);
	if (set2)
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, set2), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.ram_mb=16"), 0);
	st = stats_new();
	CU_ASSERT_EQUAL_FATAL(pc_create(&p, c, st, &img), 0);
	p.m.sim = &sim;
}

static void create(void) { create_with(NULL, NULL); }

static void destroy(void)
{
	pc_destroy(&p);
	stats_free(st);
	cfg_free(c);
}

/* destroy(), and the vCPUs back to off at cycle 0 */
static void destroy_cpus(void)
{
	destroy();
	cpu0.state = cpu1.state = SIM_CPU_OFF;
	cpu0.clock = cpu1.clock = 0;
}

static enum msr_result rdmsr(unsigned cpu, uint32_t msr, uint64_t *v) { return pc_rdmsr(&p, cpu, msr, 0, v); }

/* SDM Vol. 3A 10.4.4: base 0xFEE00000, EN, BSP on the boot CPU only */
static void test_apic_base(void)
{
	uint64_t v = 0;
	create();
	CU_ASSERT_EQUAL(rdmsr(0, 0x1b, &v), MSR_HANDLED);
	CU_ASSERT_EQUAL(v, 0xfee00900u);
	CU_ASSERT_EQUAL(rdmsr(1, 0x1b, &v), MSR_HANDLED);
	CU_ASSERT_EQUAL(v, 0xfee00800u);
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 1, 0x1b, 0xfee00800u | (1u << 3)), MSR_GP);   /* reserved bit 3 */
	CU_ASSERT_EQUAL(*p.st_msr_gp, 1);
	uint32_t o[4];
	pc_cpuid(&p, 0, 1, 0, o);
	CU_ASSERT(o[3] & (1u << 9));            /* APIC */
	CU_ASSERT(o[2] & (1u << 21));           /* x2APIC */
	CU_ASSERT(o[2] & (1u << 24));           /* TSC-deadline */
	destroy();
}

static void test_x2apic_range(void)
{
	uint64_t v = 0;
	create();
	CU_ASSERT_EQUAL(rdmsr(1, 0x802, &v), MSR_GP);           /* xAPIC mode: #GP */
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 1, 0x1b, 0xfee00c00u), MSR_HANDLED);   /* EN | EXTD */
	CU_ASSERT_EQUAL(rdmsr(1, 0x802, &v), MSR_HANDLED);      /* x2APIC ID */
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(rdmsr(1, 0x803, &v), MSR_HANDLED);      /* version */
	CU_ASSERT_EQUAL(v & 0xff, 0x14);
	static const uint32_t gp[] = { 0x7ff, 0x800, 0x8ff, 0x900, 0xbff, 0xc00 };
	for (unsigned i = 0; i < sizeof gp / sizeof gp[0]; i++) {
		CU_ASSERT_EQUAL(rdmsr(1, gp[i], &v), MSR_GP);
		CU_ASSERT_EQUAL(pc_wrmsr(&p, 1, gp[i], 0), MSR_GP);
	}
	destroy();
}

static void test_windows(void)
{
	create();
	const struct dev_window *l = machine_find_mmio(&p.m, 0xfee00000u), *io = machine_find_mmio(&p.m, 0xfec00000u);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(io);
	p.m.cur_cpu = 1;
	CU_ASSERT_EQUAL(l->ops->read(l->dev, 0x20, 4), 1u << 24);      /* this vCPU's APIC ID */
	p.m.cur_cpu = 0;
	CU_ASSERT_EQUAL(l->ops->read(l->dev, 0x20, 4), 0);
	uint64_t *errs = stats_counter(st, "lapic.guest_errors", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(errs);
	CU_ASSERT_EQUAL(l->ops->read(l->dev, 0xffc, 4), 0);            /* no register there */
	l->ops->write(l->dev, 0xff0, 4, 1);
	CU_ASSERT_EQUAL(*errs, 2);
	io->ops->write(io->dev, 0x00, 4, 0xff);                         /* IOREGSEL: no such register */
	CU_ASSERT_EQUAL(io->ops->read(io->dev, 0x10, 4), 0xffffffffu);   /* all ones, as KVM */
	io->ops->write(io->dev, 0x10, 4, 0x12345678);
	io->ops->write(io->dev, 0xffc, 4, 1);                           /* beyond the registers */
	CU_ASSERT(*errs > 2);
	destroy();
}

/* INIT then SIPI to an AP that never ran (8.4.4.1): the AP would start in
 * real mode at vector << 12, which hvsim refuses with a clear stop; a SIPI
 * to an AP the mailbox started is ignored (not awaited). */
static void test_sipi(void)
{
	create();
	const struct dev_window *l = machine_find_mmio(&p.m, 0xfee00000u);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	p.m.cur_cpu = 0;
	l->ops->write(l->dev, 0x310, 4, 1u << 24);           /* ICR2: APIC ID 1 */
	l->ops->write(l->dev, 0x300, 4, 0x4500);             /* INIT, level assert */
	CU_ASSERT_EQUAL(sim.stop, SIM_RUNNING);
	l->ops->write(l->dev, 0x300, 4, 0x4608);             /* SIPI, vector 8 */
	CU_ASSERT_EQUAL(sim.stop, SIM_STOP_UNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "real mode at 0x8000"));
	destroy();
	sim.stop = SIM_RUNNING;
}

static uint64_t stat(const char *path) { return *stats_counter(st, path, NULL); }

/* The vCPU's IRR bit (VIRR under APICv: the same page), read through the
 * emulated window as the hypervisor sees it */
static bool irr(unsigned cpu, unsigned vec)
{
	const struct dev_window *l = machine_find_mmio(&p.m, 0xfee00000u);
	p.m.cur_cpu = cpu;
	return l->ops->read(l->dev, 0x200 + (vec / 32) * 0x10, 4) >> (vec % 32) & 1;
}

static int ack(unsigned cpu)
{
	cycles_t cost = 1;
	int v = p.m.irqc->ops->irq_ack(p.m.irqc->ctx, cpu, 0, &cost);
	CU_ASSERT_EQUAL(cost, 0);   /* virtual-interrupt delivery: no hypervisor injection */
	return v;
}

/* pc.h's descriptor interface: one 64-byte descriptor per vCPU; addresses
 * that name none are refused (the IOMMU records fault 27H). */
static void test_pid_interface(void)
{
	create();
	CU_ASSERT(pc_irq_posting(&p));
	uint64_t d0 = pc_irq_pid_hpa(&p, 0), d1 = pc_irq_pid_hpa(&p, 1);
	CU_ASSERT_EQUAL(d0 % 64, 0);
	CU_ASSERT_EQUAL(d1 - d0, 64);
	CU_ASSERT(d1 >> 39 == 0);   /* below a 39-bit host address width */
	CU_ASSERT_FALSE(pc_irq_post(&p, d0 + 8, 0x45, false, 0));
	CU_ASSERT_FALSE(pc_irq_post(&p, d1 + 64, 0x45, false, 0));   /* a third vCPU: none */
	CU_ASSERT_FALSE(pc_irq_post(&p, d0 - 64, 0x45, false, 0));
	CU_ASSERT_EQUAL(stat("apicv.pi.posts"), 0);
	destroy();
}

static void sw_enable(unsigned cpu)
{
	const struct dev_window *l = machine_find_mmio(&p.m, 0xfee00000u);
	p.m.cur_cpu = cpu;
	l->ops->write(l->dev, 0xf0, 4, 0x1ff);   /* SVR: APIC software enabled */
}

/* A post to a running vCPU: the notification vector is processed by the
 * processor (SDM 30.6): ON cleared, PIR moved to VIRR, RVI raised, then
 * delivered by RVI against VPPR, with no exit and no injection. */
static void test_posted_running(void)
{
	create();
	sw_enable(1);
	cpu1.state = SIM_CPU_RUNNING;
	CU_ASSERT(pc_irq_post(&p, pc_irq_pid_hpa(&p, 1), 0x45, false, 0));
	CU_ASSERT(irr(1, 0x45));
	CU_ASSERT_EQUAL(stat("apicv.pi.notifications"), 1);
	CU_ASSERT(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 1));
	CU_ASSERT_EQUAL(ack(1), 0x45);
	CU_ASSERT_FALSE(irr(1, 0x45));
	CU_ASSERT_EQUAL(stat("lapic.delivered.posted"), 1);
	CU_ASSERT_EQUAL(stat("lapic.delivered.injected"), 0);
	destroy();
	cpu1.state = SIM_CPU_OFF;
}

/* A post to a vCPU blocked in HLT (after an HLT exit): KVM's wake-up
 * vector, the PIR untouched until the entry after the wake-up syncs it. */
static void test_posted_blocked(void)
{
	create();
	sw_enable(1);
	const struct irq_ctrl *ic = p.m.irqc;
	cpu1.state = SIM_CPU_HALTED;
	CU_ASSERT_EQUAL(ic->ops->wait(ic->ctx, 1, 0, true), UINT64_MAX);   /* nothing pending: blocks */
	CU_ASSERT(pc_irq_post(&p, pc_irq_pid_hpa(&p, 1), 0x51, false, 0));
	CU_ASSERT_EQUAL(stat("apicv.pi.wakeups"), 1);
	CU_ASSERT_EQUAL(stat("apicv.pi.notifications"), 0);
	CU_ASSERT_EQUAL(cpu1.state, SIM_CPU_RUNNING);   /* woken by the host */
	CU_ASSERT_FALSE(irr(1, 0x51));                    /* still in the PIR */
	CU_ASSERT_PTR_NULL(ic->ops->poll(ic->ctx, 1, cpu1.clock));   /* no exit for it */
	ic->ops->entry(ic->ctx, 1, cpu1.clock);           /* vmx_sync_pir_to_irr */
	CU_ASSERT(irr(1, 0x51));
	CU_ASSERT_EQUAL(ack(1), 0x51);
	CU_ASSERT_EQUAL(stat("lapic.delivered.wakeup"), 1);
	CU_ASSERT_EQUAL(stat("platform.vcpu_wakeups"), 1);
	destroy_cpus();
}

/* Virtual-interrupt delivery (SDM 30.2.1): RVI is delivered only when its
 * priority class is above VPPR's.  TPR written through the APIC-access
 * page (virtualized, no exit) holds 45H back and lets 65H through; the
 * virtualized EOI (edge vector: no EOI-exit bit) then lowers VPPR. */
static void test_rvi_vppr(void)
{
	create();
	sw_enable(0);
	cpu0.state = SIM_CPU_RUNNING;
	struct pc_apic_result r = pc_apic_mmio(&p, 0, 0xfee00080u, 4, true, 0x50);
	CU_ASSERT_EQUAL(r.exit, -1);
	CU_ASSERT(pc_irq_post(&p, pc_irq_pid_hpa(&p, 0), 0x45, false, 0));
	CU_ASSERT(irr(0, 0x45));
	CU_ASSERT_FALSE(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 0));   /* class 4 <= VPPR class 5 */
	CU_ASSERT(pc_irq_post(&p, pc_irq_pid_hpa(&p, 0), 0x65, false, 0));
	CU_ASSERT(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 0));
	CU_ASSERT_EQUAL(ack(0), 0x65);
	r = pc_apic_mmio(&p, 0, 0xfee000a0u, 4, false, 0);            /* PPR is not virtualized (30.4.2) */
	CU_ASSERT_EQUAL(r.exit, PC_EXIT_APIC_ACCESS);
	CU_ASSERT_EQUAL(pc_apic_exit_emulate(&p, 0), 0x60);           /* VPPR = the in-service class */
	r = pc_apic_mmio(&p, 0, 0xfee000b0u, 4, true, 0);              /* EOI */
	CU_ASSERT_EQUAL(r.exit, -1);
	CU_ASSERT_FALSE(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 0));   /* TPR still 50H */
	r = pc_apic_mmio(&p, 0, 0xfee00080u, 4, true, 0);
	p.m.irqc->ops->entry(p.m.irqc->ctx, 0, 0);
	CU_ASSERT(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 0));
	CU_ASSERT_EQUAL(ack(0), 0x45);
	CU_ASSERT_EQUAL(stat("apicv.virtualized.eoi"), 1);
	CU_ASSERT_EQUAL(stat("lapic.accesses.eoi"), 0);
	destroy();
}

/* x2APIC under APICv: the MSR bitmap as KVM sets it passes SELF IPI, EOI
 * and the reads but the current count (839H) to the processor, which
 * virtualizes the self-IPI (30.1.5: VIRR, RVI) and the EOI; ICR writes
 * still exit without IPI virtualization. */
static void test_x2apic_virtual(void)
{
	struct pc_apic_result r;
	create();
	sw_enable(0);
	cpu0.state = SIM_CPU_RUNNING;
	CU_ASSERT_FALSE(pc_apic_msr_virtual(&p, 0, 0x83f, true, 0x47, &r));   /* xAPIC mode: intercepted */
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x1b, 0xfee00d00u), MSR_HANDLED);   /* EN | EXTD | BSP */
	CU_ASSERT_FALSE(pc_apic_page(&p, 0, 0xfee00080u));                    /* no APIC-access page now */
	CU_ASSERT(pc_apic_msr_virtual(&p, 0, 0x83f, true, 0x47, &r));
	CU_ASSERT_EQUAL(r.exit, -1);
	CU_ASSERT_FALSE(r.gp);
	CU_ASSERT(p.m.irqc->ops->irq_line(p.m.irqc->ctx, 0));
	CU_ASSERT_EQUAL(ack(0), 0x47);
	CU_ASSERT_EQUAL(stat("lapic.delivered.virtual"), 1);
	CU_ASSERT(pc_apic_msr_virtual(&p, 0, 0x80b, true, 0, &r));            /* EOI */
	CU_ASSERT_EQUAL(r.exit, -1);
	CU_ASSERT(pc_apic_msr_virtual(&p, 0, 0x80b, true, 1, &r));            /* non-zero EOI: #GP (30.5) */
	CU_ASSERT(r.gp);
	CU_ASSERT(pc_apic_msr_virtual(&p, 0, 0x802, false, 0, &r));           /* ID read */
	CU_ASSERT_EQUAL(r.value, 0);
	CU_ASSERT_FALSE(pc_apic_msr_virtual(&p, 0, 0x839, false, 0, &r));     /* TMCCT: intercepted */
	CU_ASSERT_FALSE(pc_apic_msr_virtual(&p, 0, 0x830, true, 0x40, &r));   /* ICR: MSR_WRITE exit */
	CU_ASSERT_EQUAL(stat("lapic.accesses.eoi"), 0);
	destroy();
}

/* A level-triggered vector's EOI exits (KVM sets its EOI-exit bit, SDM
 * 30.1.4): EOI_INDUCED, trap-like, qualification = the vector; an edge
 * vector's EOI does not. */
static void test_eoi_induced(void)
{
	create();
	sw_enable(0);
	cpu0.state = SIM_CPU_RUNNING;
	struct apic_msg m = { .vector = 0x55, .mode = APIC_DM_FIXED, .dest = 0, .level = true, .trig_level = true };
	pc_irq_send(&p, &m, 0);
	p.m.irqc->ops->entry(p.m.irqc->ctx, 0, 0);
	CU_ASSERT_EQUAL(ack(0), 0x55);
	struct pc_apic_result r = pc_apic_mmio(&p, 0, 0xfee000b0u, 4, true, 0);
	CU_ASSERT_EQUAL(r.exit, PC_EXIT_EOI_INDUCED);
	CU_ASSERT_EQUAL(r.qual, 0x55);
	CU_ASSERT_EQUAL(stat("lapic.accesses.eoi"), 0);   /* not before the exit's handler */
	pc_apic_exit_emulate(&p, 0);
	CU_ASSERT_EQUAL(stat("lapic.accesses.eoi"), 1);   /* the hypervisor's part of it */
	m.vector = 0x56;
	m.trig_level = false;
	pc_irq_send(&p, &m, 0);
	p.m.irqc->ops->entry(p.m.irqc->ctx, 0, 0);
	CU_ASSERT_EQUAL(ack(0), 0x56);
	r = pc_apic_mmio(&p, 0, 0xfee000b0u, 4, true, 0);
	CU_ASSERT_EQUAL(r.exit, -1);
	destroy();
}

/* irr() in either APIC mode (x2APIC: the IRR MSRs, 820H-827H) */
static bool irr_any(unsigned cpu, unsigned vec)
{
	uint64_t v = 0;
	if (rdmsr(cpu, 0x820 + vec / 32, &v) != MSR_HANDLED)
		return irr(cpu, vec);
	return v >> (vec % 32) & 1;
}

/* The guest's EOI, virtualized (edge vector) */
static void eoi(unsigned cpu) { CU_ASSERT_EQUAL(pc_apic_mmio(&p, cpu, 0xfee000b0u, 4, true, 0).exit, -1); }

/* One rule for when an emulated ICR write sends: inside the exit's handler
 * (KVM kvm_apic_send_ipi), at the handler's time plus the ICR emulation,
 * whether the write came through the APIC-access page (a trap-like
 * APIC_WRITE exit, taken after the write) or an intercepted x2APIC WRMSR.
 * Here the ICR emulation costs 700 cycles and the IPI no flight time: the
 * guest writes at 1,000, the handler runs at 1,400, CPU 1 sees vector 45H
 * at 2,100 and not before; nothing leaves at the guest's write. */
static void send_at_handler(bool x2apic)
{
	const struct irq_ctrl *ic;
	create_with("lapic.icr_write_cycles=700", "lapic.ipi_latency_cycles=0");
	ic = p.m.irqc;
	sw_enable(1);
	cpu0.state = cpu1.state = SIM_CPU_RUNNING;
	cpu0.clock = 1000;
	cpu1.clock = 100000;   /* far ahead: anything sent at the write would be taken at once */
	if (x2apic) {
		CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x1b, 0xfee00d00u), MSR_HANDLED);   /* EN | EXTD | BSP */
		CU_ASSERT_EQUAL(pc_wrmsr(&p, 1, 0x1b, 0xfee00c00u), MSR_HANDLED);
		CU_ASSERT_EQUAL(pc_wrmsr(&p, 1, 0x80f, 0x1ff), MSR_HANDLED);   /* SVR */
		pc_irq_apic_cycles(&p, 0);   /* charged to these WRMSRs' own exits */
		struct pc_apic_result r;
		CU_ASSERT_FALSE(pc_apic_msr_virtual(&p, 0, 0x830, true, 1ull << 32 | 0x45, &r));   /* MSR_WRITE exit */
	} else {
		CU_ASSERT_EQUAL(pc_apic_mmio(&p, 0, 0xfee00310u, 4, true, 1u << 24).exit, -1);   /* ICR2 */
		struct pc_apic_result r = pc_apic_mmio(&p, 0, 0xfee00300u, 4, true, 0x45);
		CU_ASSERT_EQUAL(r.exit, PC_EXIT_APIC_WRITE);
		CU_ASSERT_EQUAL(r.qual, 0x300);
	}
	CU_ASSERT_EQUAL(stat("apicv.pi.posts"), 0);   /* not at the write */
	cpu1.clock = 0;
	cpu0.clock = 1400;   /* the exit's handler */
	if (x2apic) {
		CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x830, 1ull << 32 | 0x45), MSR_HANDLED);
	} else {
		pc_apic_exit_emulate(&p, 0);
	}
	CU_ASSERT_EQUAL(stat("lapic.accesses.icr_write"), 1);
	ic->ops->poll(ic->ctx, 1, 2099);
	CU_ASSERT_FALSE(irr_any(1, 0x45));
	ic->ops->poll(ic->ctx, 1, 2100);
	CU_ASSERT(irr_any(1, 0x45));
	destroy_cpus();
}

static void test_send_apic_write(void) { send_at_handler(false); }
static void test_send_msr_write(void) { send_at_handler(true); }

/* KVM's fastpath takes the x2APIC ICR write of a fixed, physical IPI
 * without shorthand (handle_fastpath_set_x2apic_icr_irqoff), in x2APIC
 * mode only; others take the full exit path. */
static void test_icr_fastpath(void)
{
	create();
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x830, 1ull << 32 | 0x45));   /* xAPIC mode */
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x1b, 0xfee00d00u), MSR_HANDLED);
	CU_ASSERT(pc_msr_fastpath(&p, 0, 0x830, 1ull << 32 | 0x45));
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x830, 1ull << 32 | 0x845));      /* logical destination */
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x830, 3u << 18 | 0x45));         /* all-excluding-self */
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x830, 1ull << 32 | 0x445));      /* NMI */
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x830, 0xffffffffull << 32 | 0x45));   /* broadcast */
	CU_ASSERT_FALSE(pc_msr_fastpath(&p, 0, 0x80b, 0));                       /* EOI */
	destroy();
}

/* A TSC deadline already passed when written (kvm-unit-tests
 * tscdeadline_immed): KVM's start_apic_timer finds it expired and pends the
 * interrupt inside the WRMSR's handler, delivered on that exit's entry: no
 * timer exit follows. */
static void test_tscdeadline_passed(void)
{
	const struct dev_window *l;
	create();
	const struct irq_ctrl *ic = p.m.irqc;
	l = machine_find_mmio(&p.m, 0xfee00000u);
	sw_enable(0);
	cpu0.state = SIM_CPU_RUNNING;
	cpu0.clock = 5000;
	p.m.cur_cpu = 0;
	l->ops->write(l->dev, 0x320, 4, 2u << 17 | 0x40);   /* LVT timer: TSC-deadline mode (10.5.4.1), vector 40H */
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x6e0, 4000), MSR_HANDLED);
	CU_ASSERT_EQUAL(stat("lapic.timer_fired"), 1);
	CU_ASSERT_PTR_NULL(ic->ops->poll(ic->ctx, 0, 5000));   /* no EXTERNAL_INTERRUPT for it */
	ic->ops->entry(ic->ctx, 0, 5000);
	CU_ASSERT_EQUAL(ack(0), 0x40);
	CU_ASSERT_EQUAL(stat("platform.irq_exits.timer"), 0);
	CU_ASSERT_EQUAL(pc_wrmsr(&p, 0, 0x6e0, 9000), MSR_HANDLED);   /* in the future: the host timer */
	CU_ASSERT_EQUAL(stat("lapic.timer_fired"), 1);
	CU_ASSERT_STRING_EQUAL(ic->ops->poll(ic->ctx, 0, 9000), "timer");
	destroy_cpus();
}

/* KVM's halt polling (kvm_vcpu_halt) with its x86 defaults: the poll time
 * starts at 0, so the first halt blocks (KVM's wake-up vector, a thread
 * wake-up of lapic.wakeup_cycles = 26,000); the halt was short, so it grows
 * to halt_poll_ns_grow_start, 10 us = 26,000 cycles at 2.6 GHz.  A post
 * 10,000 cycles into the next halt finds the vCPU polling: it runs at once,
 * no wake-up vector.  One 30,000 cycles into the halt after finds it
 * blocked since the window closed: the wake-up vector and a thread wake-up;
 * that halt (56,000 cycles, 21.5 us) grows the poll time to 20 us. */
/* CPU 1 halts (HLT exit) at cycle t; vector vec is posted to it at cycle
 * `at`: the cycle it runs again */
static cycles_t halt_then_post(cycles_t t, uint8_t vec, cycles_t at)
{
	const struct irq_ctrl *ic = p.m.irqc;
	cpu1.state = SIM_CPU_HALTED;
	cpu1.clock = t;
	CU_ASSERT_EQUAL(ic->ops->wait(ic->ctx, 1, t, true), UINT64_MAX);
	CU_ASSERT(pc_irq_post(&p, pc_irq_pid_hpa(&p, 1), vec, false, at));
	CU_ASSERT_EQUAL(cpu1.state, SIM_CPU_RUNNING);
	return cpu1.clock;
}

/* CPU 1 runs again: the entry delivers vec, the guest's EOI */
static void resume_takes(uint8_t vec)
{
	const struct irq_ctrl *ic = p.m.irqc;
	ic->ops->poll(ic->ctx, 1, cpu1.clock);
	ic->ops->entry(ic->ctx, 1, cpu1.clock);
	CU_ASSERT_EQUAL(ack(1), vec);
	eoi(1);
}

static void test_halt_poll(void)
{
	create();
	sw_enable(1);
	CU_ASSERT_EQUAL(halt_then_post(0, 0x51, 1000), 1000 + 26000);
	resume_takes(0x51);
	CU_ASSERT_EQUAL(stat("apicv.pi.wakeups"), 1);
	CU_ASSERT_EQUAL(stat("kvm.halt_attempted_poll"), 0);
	CU_ASSERT_EQUAL(halt_then_post(30000, 0x52, 40000), 40000);   /* no wake-up cost */
	resume_takes(0x52);
	CU_ASSERT_EQUAL(stat("apicv.pi.wakeups"), 1);
	CU_ASSERT_EQUAL(stat("kvm.halt_attempted_poll"), 1);
	CU_ASSERT_EQUAL(stat("kvm.halt_successful_poll"), 1);
	CU_ASSERT_EQUAL(halt_then_post(50000, 0x53, 80000), 80000 + 26000);   /* window closed at 76,000 */
	resume_takes(0x53);
	CU_ASSERT_EQUAL(stat("apicv.pi.wakeups"), 2);
	CU_ASSERT_EQUAL(stat("kvm.halt_attempted_poll"), 2);
	CU_ASSERT_EQUAL(stat("kvm.halt_successful_poll"), 1);
	CU_ASSERT_EQUAL(stat("kvm.halt_poll_cycles"), 10000 + 26000);
	CU_ASSERT_EQUAL(stat("platform.vcpu_wakeups"), 2);
	/* the poll time is now 20 us: 52,000 cycles */
	CU_ASSERT_EQUAL(halt_then_post(200000, 0x54, 250000), 250000);
	destroy_cpus();
}

/* kvm.halt_poll_ns = 0: KVM never polls; every halt blocks */
static void test_halt_no_poll(void)
{
	create_with("kvm.halt_poll_ns=0", NULL);
	sw_enable(1);
	for (cycles_t t = 0; t < 300000; t += 100000) {
		CU_ASSERT_EQUAL(halt_then_post(t, 0x51, t + 1000), t + 1000 + 26000);
		resume_takes(0x51);
	}
	CU_ASSERT_EQUAL(stat("kvm.halt_attempted_poll"), 0);
	CU_ASSERT_EQUAL(stat("platform.vcpu_wakeups"), 3);
	destroy_cpus();
}

static CU_TestInfo tests[] = {
	{ "IA32_APIC_BASE and CPUID's APIC bits", test_apic_base },
	{ "x2APIC MSR range boundaries", test_x2apic_range },
	{ "xAPIC and I/O APIC windows bounds", test_windows },
	{ "INIT-SIPI to a real-mode entry refused", test_sipi },
	{ "posted-interrupt descriptor interface", test_pid_interface },
	{ "post to a running vCPU: notification processed, PIR to VIRR", test_posted_running },
	{ "post to a blocked vCPU: wake-up vector, PIR synced on entry", test_posted_blocked },
	{ "RVI against VPPR, virtualized TPR and EOI", test_rvi_vppr },
	{ "x2APIC MSRs under APICv: bitmap, self-IPI, EOI", test_x2apic_virtual },
	{ "EOI-exit bitmap: EOI_INDUCED for a level-triggered vector", test_eoi_induced },
	{ "APIC_WRITE ICR: the IPI leaves from the exit's handler", test_send_apic_write },
	{ "MSR_WRITE ICR: the IPI leaves from the exit's handler", test_send_msr_write },
	{ "x2APIC ICR writes KVM's fastpath takes", test_icr_fastpath },
	{ "TSC deadline already passed: fires in the WRMSR's handler", test_tscdeadline_passed },
	{ "halt polling: grow from 0, polled wake-up, blocked after the window", test_halt_poll },
	{ "halt_poll_ns = 0: every halt blocks", test_halt_no_poll },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("pc_irq", tests);
}
