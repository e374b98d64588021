/* The x86 machine's interrupt controllers behind struct irq_ctrl
 * (platform/machine.h): one local APIC per vCPU (apic/lapic.h) and the I/O
 * APIC (apic/ioapic.h), emulated by the modelled KVM without APIC
 * virtualization ("legacy" injection), costed as KVM runs them:
 *  - every xAPIC register access is an MMIO exit (EPT violation, then
 *    misconfig: x86.c charges it) and every x2APIC MSR access an
 *    MSR_READ/MSR_WRITE exit; the register emulation itself costs the
 *    [lapic] handler cycles of its kind, charged before the next entry;
 *  - an interrupt for another vCPU kicks it: a physical IPI and an
 *    EXTERNAL_INTERRUPT exit if it runs, a wake-up if it is halted (KVM
 *    kvm_vcpu_kick); it is then injected on entry when RFLAGS.IF allows;
 *  - the LAPIC timer runs on a host hrtimer (apic/timer.h
 *    APIC_TIMER_HRTIMER): its expiry is an EXTERNAL_INTERRUPT exit when the
 *    vCPU runs, a wake-up when it is halted.
 * Messages travel in simulated time: a target whose clock lags the sender's
 * sees an IPI only once its clock passes the sending time.  See pc.h. */
#include "platform/pc.h"
#include <stdlib.h>
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "apic/timer.h"
#include "core/err.h"
#include "core/log.h"

/* What a physical interrupt to the hypervisor was for (an
 * EXTERNAL_INTERRUPT exit), and the paths by which an interrupt reaches the
 * guest (legacy injection so far; APIC virtualization will add
 * virtual-interrupt delivery, posted interrupts and wake-ups). */
enum pc_irq_cause { PC_IRQ_TIMER, PC_IRQ_KICK, PC_IRQ_CAUSES };
enum pc_irq_path { PC_PATH_INJECTED, PC_IRQ_PATHS };
/* Kinds of emulated APIC register access, each with a handler cost */
enum pc_apic_access { PC_APIC_READ, PC_APIC_WRITE, PC_APIC_ICR, PC_APIC_EOI, PC_APIC_TIMER, PC_APIC_KINDS };
#define PC_IRQ_QUEUE 32

/* An interrupt message on its way: it reaches the target's LAPIC when the
 * target's clock passes `at` (the sender's time). */
struct pc_irq_msg {
	struct apic_msg m;
	cycles_t at;
};

struct pc_irq_cpu {
	struct pc_irq *p;
	unsigned id;
	bool in_hyp;                  /* blocked in the hypervisor since the last poll */
	cycles_t kick_at;             /* a kick IPI is due (UINT64_MAX: none) */
	cycles_t emul_cycles;         /* hypervisor work charged before the next entry */
	struct pc_irq_msg q[PC_IRQ_QUEUE];
	unsigned nq;
	cycles_t pending_at[APIC_NR_VECTORS];   /* when each IRR bit was set (latency), UINT64_MAX none */
};

struct pc_irq {
	struct machine *m;
	const bool *started;          /* vCPUs running (BSP, mailbox) */
	struct lapic lapic[MACHINE_MAX_CPUS];
	struct ioapic ioapic;
	struct pc_irq_cpu cpu[MACHINE_MAX_CPUS];
	struct irq_ctrl irqc;
	cycles_t apic_cycles[PC_APIC_KINDS], exit_handler[PC_IRQ_EXITS], inject_cycles, wakeup_cycles;
	bool irq_window_exiting;
	uint64_t *st_apic_access[PC_APIC_KINDS], *st_irq_exits[PC_IRQ_CAUSES], *st_delivered[PC_IRQ_PATHS];
	uint64_t *st_wakeups, *st_ipis, *st_timer_fired, *st_apic_errors;
	struct hist *h_latency;
};

/* Defaults and their sources: designs/default-x86.ini */
const struct cfg_key lapic_cfg_keys[] = {
	{ "lapic", "bus_cycles", CFG_U64, 1, 1e6, NULL, "core cycles per APIC timer input tick (the APIC bus clock)" },
	{ "lapic", "read_cycles", CFG_U64, 0, 1e9, NULL, "handler: emulated APIC register read (besides the exit)" },
	{ "lapic", "write_cycles", CFG_U64, 0, 1e9, NULL, "handler: emulated APIC register write, other kinds" },
	{ "lapic", "icr_write_cycles", CFG_U64, 0, 1e9, NULL, "handler: ICR write: decode, route, kick (kvm_apic_send_ipi)" },
	{ "lapic", "eoi_cycles", CFG_U64, 0, 1e9, NULL, "handler: EOI write (apic_set_eoi, PPR update)" },
	{ "lapic", "timer_write_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: timer register write (LVT timer, initial count, divide, TSC deadline: hrtimer (re)start)" },
	{ "lapic", "kick_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: EXTERNAL_INTERRUPT exit for a kick IPI or a host timer interrupt" },
	{ "lapic", "irq_window_cycles", CFG_U64, 0, 1e9, NULL, "handler: INTERRUPT_WINDOW exit" },
	{ "lapic", "inject_cycles", CFG_U64, 0, 1e9, NULL,
	  "injection of one interrupt on VM entry (INTA emulation, VM-entry interruption information)" },
	{ "lapic", "wakeup_cycles", CFG_U64, 0, 1e9, NULL, "a vCPU blocked in HLT is woken: host scheduler wake-up" },
	{ "lapic", "irq_window_exiting", CFG_BOOL, 0, 0, NULL,
	  "an interrupt blocked by RFLAGS.IF sets INTR_WINDOW_EXITING (KVM enable_irq_window)" },
};
const unsigned lapic_cfg_nkeys = sizeof lapic_cfg_keys / sizeof lapic_cfg_keys[0];

static const char *const access_key[PC_APIC_KINDS] = {
	[PC_APIC_READ] = "read_cycles", [PC_APIC_WRITE] = "write_cycles", [PC_APIC_ICR] = "icr_write_cycles",
	[PC_APIC_EOI] = "eoi_cycles", [PC_APIC_TIMER] = "timer_write_cycles",
};
static const char *const access_name[PC_APIC_KINDS] = {
	[PC_APIC_READ] = "read", [PC_APIC_WRITE] = "write", [PC_APIC_ICR] = "icr_write",
	[PC_APIC_EOI] = "eoi", [PC_APIC_TIMER] = "timer_write",
};
static const char *const cause_name[PC_IRQ_CAUSES] = { [PC_IRQ_TIMER] = "timer", [PC_IRQ_KICK] = "kick" };

static cycles_t cpu_clock(const struct pc_irq *p, unsigned cpu)
{
	return p->m->sim && cpu < p->m->sim->ncpus ? p->m->sim->cpus[cpu]->clock : 0;
}

static void check_by(struct pc_irq *p, unsigned cpu, cycles_t t)
{
	if (t < p->irqc.check_at[cpu])
		p->irqc.check_at[cpu] = t;
}

/* The next timer expiry in core cycles (the TSC runs at the core clock). */
static cycles_t timer_due(const struct lapic *l)
{
	struct lapic_deadline d = lapic_timer_next(l);
	return d.kind == LAPIC_DL_NONE ? UINT64_MAX : d.at;
}

/* ---- the LAPIC accepts a message ---- */
static void accept(struct pc_irq *p, unsigned cpu, const struct apic_msg *m, cycles_t at)
{
	struct lapic *l = &p->lapic[cpu];
	bool was = apic_vec_test(l->regs, APIC_IRR, m->vector);
	if (!lapic_accept(l, m))
		return;
	if ((m->mode == APIC_DM_FIXED || m->mode == APIC_DM_LOWEST) && !was)
		p->cpu[cpu].pending_at[m->vector] = at;
}

static unsigned queue_drain(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	unsigned k = 0, n = 0;
	for (unsigned i = 0; i < c->nq; i++) {
		if (c->q[i].at <= now) {
			accept(p, cpu, &c->q[i].m, c->q[i].at);
			n++;
		} else {
			check_by(p, cpu, c->q[i].at);
			c->q[k++] = c->q[i];
		}
	}
	c->nq = k;
	return n;
}

static cycles_t queue_first(const struct pc_irq_cpu *c)
{
	cycles_t t = UINT64_MAX;
	for (unsigned i = 0; i < c->nq; i++)
		t = c->q[i].at < t ? c->q[i].at : t;
	return t;
}

/* Would HLT end at t: an interrupt deliverable above the PPR, or one on
 * its way or a timer expiry by t (KVM kvm_vcpu_has_events). */
static bool wake_pending(struct pc_irq *p, unsigned cpu, cycles_t t)
{
	const struct lapic *l = &p->lapic[cpu];
	return lapic_pending_vector(l) >= 0 || l->nmi_pending || queue_first(&p->cpu[cpu]) <= t ||
	       timer_due(l) <= t;
}

/* ---- waking halted vCPUs ---- */
static void wake(struct pc_irq *p, unsigned cpu, cycles_t when)
{
	struct sim_cpu *sc = p->m->sim->cpus[cpu];
	if (sc->state != SIM_CPU_HALTED || !wake_pending(p, cpu, when))
		return;   /* stale: woken meanwhile, or nothing to wake for */
	DBG(LOG_GIC, "cpu%u: woken at cycle %llu", cpu, (unsigned long long)when);
	sim_cpu_wake(sc, when);
	p->irqc.check_at[cpu] = 0;
}

static void wake_event(void *ctx, cycles_t when)
{
	struct pc_irq_cpu *c = ctx;
	wake(c->p, c->id, when);
}

/* KVM kvm_vcpu_kick: a running target takes a physical IPI (an exit), a
 * halted one is woken.  Woken at once, not through the event queue (events
 * fire at quantum starts, after a halted vCPU's clock moved on). */
static void kick(struct pc_irq *p, unsigned target, cycles_t at)
{
	struct pc_irq_cpu *c = &p->cpu[target];
	check_by(p, target, at);
	if (!p->m->sim || p->m->sim->cpus[target]->state == SIM_CPU_OFF)
		return;
	if (at < c->kick_at)
		c->kick_at = at;
	wake(p, target, at + (c->in_hyp ? p->wakeup_cycles : 0));
}

/* ---- routing (10.6) ---- */
static void start_ipi(struct pc_irq *p, unsigned src, unsigned cpu, const struct apic_msg *m)
{
	struct lapic *l = &p->lapic[cpu];
	if (m->mode == APIC_DM_INIT && p->started[cpu]) {
		err_set("cpu%u: INIT IPI from cpu%u to a running vCPU: resetting a running x86 vCPU is not modelled",
			cpu, src);
		sim_stop(p->m->sim, SIM_STOP_UNSUPPORTED, 0);
		return;
	}
	if (!lapic_accept(l, m) || m->mode != APIC_DM_SIPI || !l->started)
		return;
	/* 8.4.4.1: the AP starts in real mode at vector << 12; hvsim's vCPUs
	 * start in 64-bit mode only. */
	err_set("cpu%u: start-up IPI from cpu%u with vector 0x%02x: the AP would start in real mode at 0x%x, which "
		"hvsim cannot run (its vCPUs start in 64-bit mode); start APs through the wakeup mailbox",
		cpu, src, m->vector, apic_sipi_entry(m->vector));
	sim_stop(p->m->sim, SIM_STOP_UNSUPPORTED, 0);
}

/* Sends m from `src` (a vCPU, or -1: the I/O APIC) at time `at`. */
static void route(struct pc_irq *p, int src, const struct apic_msg *m, cycles_t at)
{
	struct lapic *lapics[MACHINE_MAX_CPUS];
	bool target[MACHINE_MAX_CPUS];
	if (apic_msg_is_init_deassert(m))
		return;
	for (unsigned i = 0; i < p->m->ncpus; i++)
		lapics[i] = &p->lapic[i];
	apic_route(lapics, p->m->ncpus, src >= 0 ? &p->lapic[src] : NULL, m, target);
	for (unsigned i = 0; i < p->m->ncpus; i++) {
		if (!target[i])
			continue;
		(*p->st_ipis)++;
		if (m->mode == APIC_DM_INIT || m->mode == APIC_DM_SIPI) {
			start_ipi(p, src < 0 ? 0 : (unsigned)src, i, m);
			continue;
		}
		struct pc_irq_cpu *c = &p->cpu[i];
		if ((int)i == src || cpu_clock(p, i) >= at || c->nq == PC_IRQ_QUEUE)
			accept(p, i, m, at);
		else
			c->q[c->nq++] = (struct pc_irq_msg){ *m, at };
		if ((int)i == src)
			check_by(p, i, at);   /* injected on this exit's entry */
		else
			kick(p, i, at);
	}
}

static void ioapic_send(void *ctx, const struct apic_msg *m)
{
	struct pc_irq *p = ctx;
	route(p, -1, m, cpu_clock(p, p->m->cur_cpu));
}

void pc_irq_send(struct pc *pc, const struct apic_msg *m, cycles_t when)
{
	route(pc->irq, -1, m, when);
}

/* ---- APIC register accesses (emulated by the hypervisor) ---- */
static void charge(struct pc_irq *p, unsigned cpu, enum pc_apic_access k)
{
	(*p->st_apic_access[k])++;
	p->cpu[cpu].emul_cycles += p->apic_cycles[k];
	check_by(p, cpu, 0);
}

static enum pc_apic_access write_kind(unsigned off)
{
	switch (off) {
	case APIC_ICR: case APIC_SELF_IPI: return PC_APIC_ICR;
	case APIC_EOI: return PC_APIC_EOI;
	case APIC_LVTT: case APIC_TMICT: case APIC_TDCR: return PC_APIC_TIMER;
	}
	return PC_APIC_WRITE;
}

static void act(struct pc_irq *p, unsigned cpu, const struct lapic_event *ev, cycles_t now)
{
	if (ev->ipi)
		route(p, (int)cpu, &ev->msg, now);
	if (ev->eoi_broadcast && ev->eoi_vector >= 0)
		ioapic_eoi(&p->ioapic, (uint8_t)ev->eoi_vector);
	check_by(p, cpu, 0);   /* a lower priority may now be deliverable; the timer may have moved */
}

static uint64_t lapic_mmio_rd(void *dev, uint64_t off, unsigned size)
{
	struct pc_irq *p = dev;
	unsigned cpu = p->m->cur_cpu;
	uint64_t v = 0;
	charge(p, cpu, PC_APIC_READ);
	if (!lapic_mmio_read(&p->lapic[cpu], off, size, &v, cpu_clock(p, cpu)))
		(*p->m->unassigned)++;   /* disabled or x2APIC: the page is not decoded (10.12.2) */
	return v;
}

static void lapic_mmio_wr(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pc_irq *p = dev;
	unsigned cpu = p->m->cur_cpu;
	cycles_t now = cpu_clock(p, cpu);
	struct lapic_event ev;
	charge(p, cpu, write_kind((unsigned)off & 0xff0u));
	if (!lapic_mmio_write(&p->lapic[cpu], off, size, val, now, &ev)) {
		(*p->m->unassigned)++;
		return;
	}
	act(p, cpu, &ev, now);
}
static const struct dev_ops lapic_mmio_ops = { lapic_mmio_rd, lapic_mmio_wr };

static enum pc_apic_access msr_kind(uint32_t msr, bool write)
{
	if (!write)
		return PC_APIC_READ;
	if (msr == MSR_IA32_TSC_DEADLINE)
		return PC_APIC_TIMER;
	return msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST ? write_kind((msr - X2APIC_MSR_BASE) << 4)
								 : PC_APIC_WRITE;
}

/* #GP as the LAPIC model decides (10.12.1.3, 10.12.5) */
static bool msr_result(struct pc *pc, enum apic_msr_result a, enum msr_result *r)
{
	if (a == APIC_MSR_NOT_APIC)
		return false;
	if (a == APIC_MSR_GP)
		(*pc->st_msr_gp)++;
	*r = a == APIC_MSR_OK ? MSR_HANDLED : MSR_GP;
	return true;
}

bool pc_apic_rdmsr(struct pc *pc, unsigned cpu, uint32_t msr, uint64_t *val, enum msr_result *r)
{
	struct pc_irq *p = pc->irq;
	if (!p)
		return false;   /* no APIC (a bare struct pc) */
	enum apic_msr_result a = lapic_rdmsr(&p->lapic[cpu], msr, val, cpu_clock(p, cpu));
	if (a != APIC_MSR_NOT_APIC)
		charge(p, cpu, PC_APIC_READ);
	return msr_result(pc, a, r);
}

bool pc_apic_wrmsr(struct pc *pc, unsigned cpu, uint32_t msr, uint64_t val, enum msr_result *r)
{
	struct pc_irq *p = pc->irq;
	if (!p)
		return false;
	cycles_t now = cpu_clock(p, cpu);
	struct lapic_event ev;
	p->m->cur_cpu = cpu;
	enum apic_msr_result a = lapic_wrmsr(&p->lapic[cpu], msr, val, now, &ev);
	if (a != APIC_MSR_NOT_APIC)
		charge(p, cpu, msr_kind(msr, true));
	if (a == APIC_MSR_OK)
		act(p, cpu, &ev, now);
	return msr_result(pc, a, r);
}

void pc_irq_cpu_started(struct pc *pc, unsigned cpu)
{
	struct pc_irq *p = pc->irq;
	p->lapic[cpu].state = LAPIC_CPU_RUNNING;
	p->irqc.check_at[cpu] = 0;
}

uint8_t pc_apic_tpr(const struct pc *pc, unsigned cpu)
{
	return pc->irq ? (uint8_t)apic_reg_get(pc->irq->lapic[cpu].regs, APIC_TPR) : 0;
}

void pc_apic_set_tpr(struct pc *pc, unsigned cpu, uint8_t tpr)
{
	if (!pc->irq)
		return;
	apic_reg_put(pc->irq->lapic[cpu].regs, APIC_TPR, tpr);
	check_by(pc->irq, cpu, 0);   /* a lower priority may make an interrupt deliverable */
}

cycles_t pc_irq_exit_cycles(const struct pc *pc, enum pc_irq_exit x) { return pc->irq->exit_handler[x]; }
bool pc_irq_window_exiting(const struct pc *pc) { return pc->irq->irq_window_exiting; }

/* ---- the interface ---- */
static void irq_exit(void *ctx, unsigned cpu)
{
	struct pc_irq *p = ctx;
	check_by(p, cpu, 0);   /* the entry after it injects */
}

/* The LAPIC timer on the host hrtimer: fired while the vCPU ran, it is a
 * host interrupt (an exit); a halted vCPU was woken instead. */
static bool timer_sync(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	struct lapic *l = &p->lapic[cpu];
	int vec = (int)FIELD_EX(apic_reg_get(l->regs, APIC_LVTT), APIC_LVT, VECTOR);
	bool was = apic_vec_test(l->regs, APIC_IRR, (unsigned)vec);
	cycles_t due = timer_due(l);
	unsigned n = lapic_timer_poll(l, now, now);
	if (n) {
		cycles_t at = due < now ? due : now;   /* the (first) expiry */
		*p->st_timer_fired += n;
		if (!was && apic_vec_test(l->regs, APIC_IRR, (unsigned)vec))
			p->cpu[cpu].pending_at[vec] = at;
	}
	check_by(p, cpu, timer_due(l));
	return n && apic_timer_expiry(APIC_TIMER_HRTIMER, true).exit_reason >= 0;
}

static const char *irq_poll(void *ctx, unsigned cpu, cycles_t now)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	int why = -1;
	bool in_hyp = c->in_hyp;
	p->m->cur_cpu = cpu;
	c->in_hyp = false;
	*p->st_wakeups += in_hyp;
	p->irqc.check_at[cpu] = UINT64_MAX;
	queue_drain(p, cpu, now);
	if (c->kick_at <= now) {
		c->kick_at = UINT64_MAX;
		why = in_hyp ? -1 : PC_IRQ_KICK;
	} else {
		check_by(p, cpu, c->kick_at);
	}
	if (timer_sync(p, cpu, now) && !in_hyp)
		why = PC_IRQ_TIMER;
	if (c->emul_cycles || lapic_pending_vector(&p->lapic[cpu]) >= 0)
		check_by(p, cpu, 0);
	if (why < 0)
		return NULL;
	(*p->st_irq_exits[why])++;
	return cause_name[why];
}

static cycles_t irq_entry(void *ctx, unsigned cpu, cycles_t now)
{
	struct pc_irq *p = ctx;
	cycles_t t = p->cpu[cpu].emul_cycles;
	p->cpu[cpu].emul_cycles = 0;
	return t;
}

static bool irq_line(void *ctx, unsigned cpu)
{
	struct pc_irq *p = ctx;
	return lapic_pending_vector(&p->lapic[cpu]) >= 0;
}

static int irq_ack(void *ctx, unsigned cpu, cycles_t now, cycles_t *cycles)
{
	struct pc_irq *p = ctx;
	struct lapic *l = &p->lapic[cpu];
	*cycles = 0;
	if (lapic_pending_vector(l) < 0)
		return -1;
	int vec = lapic_ack(l);
	cycles_t *at = &p->cpu[cpu].pending_at[vec];
	*cycles = p->inject_cycles;
	(*p->st_delivered[PC_PATH_INJECTED])++;
	if (*at != UINT64_MAX && now + *cycles >= *at)
		hist_add(p->h_latency, now + *cycles - *at);
	*at = UINT64_MAX;
	check_by(p, cpu, 0);   /* another one may be pending below */
	return vec;
}

static cycles_t irq_wait(void *ctx, unsigned cpu, cycles_t now, bool in_hyp)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	queue_drain(p, cpu, now);
	timer_sync(p, cpu, now);
	c->in_hyp = false;
	if (wake_pending(p, cpu, now))
		return now;
	c->in_hyp = in_hyp;
	cycles_t due = timer_due(&p->lapic[cpu]), q = queue_first(c);
	due = q < due ? q : due;
	if (due == UINT64_MAX)
		return due;      /* only another vCPU or a device can wake it (kick) */
	due += in_hyp ? p->wakeup_cycles : 0;
	evq_push(&p->m->sim->events, due, wake_event, c);
	check_by(p, cpu, due);
	return due;
}

static const struct irq_ctrl_ops pc_irq_ops = {
	.exit = irq_exit, .poll = irq_poll, .entry = irq_entry, .irq_line = irq_line, .irq_ack = irq_ack,
	.wait = irq_wait,
};

static void register_stats(struct pc_irq *p, struct stats *st)
{
	char path[64], doc[128];
	for (unsigned k = 0; k < PC_APIC_KINDS; k++) {
		snprintf(path, sizeof path, "lapic.accesses.%s", access_name[k]);
		snprintf(doc, sizeof doc, "emulated APIC register accesses: %s", access_name[k]);
		p->st_apic_access[k] = stats_counter(st, path, doc);
	}
	p->st_irq_exits[PC_IRQ_TIMER] = stats_counter(st, "platform.irq_exits.timer",
						      "EXTERNAL_INTERRUPT exits: the LAPIC timer's host hrtimer fired while the vCPU ran");
	p->st_irq_exits[PC_IRQ_KICK] = stats_counter(st, "platform.irq_exits.kick",
						     "EXTERNAL_INTERRUPT exits: kick IPI for an interrupt from another vCPU or a device");
	p->st_delivered[PC_PATH_INJECTED] = stats_counter(st, "lapic.delivered.injected",
							  "interrupts injected on VM entry (legacy, no APIC virtualization)");
	p->h_latency = stats_hist(st, "lapic.delivery_latency_cycles",
				  "cycles from an interrupt becoming pending to its delivery into the guest");
	p->st_wakeups = stats_counter(st, "platform.vcpu_wakeups", "HLTs that blocked in the hypervisor until a wake-up");
	p->st_ipis = stats_counter(st, "lapic.messages", "interrupt messages accepted, one per target LAPIC (IPIs, I/O APIC)");
	p->st_timer_fired = stats_counter(st, "lapic.timer_fired", "LAPIC timer expiries (periodic ones that came together count each)");
	p->st_apic_errors = stats_counter(st, "lapic.guest_errors",
					  "APIC accesses with a bad offset, width or value, and bad I/O APIC accesses");
}

int pc_irq_init(struct pc *pc, const struct cfg *c, struct stats *st)
{
	struct machine *m = &pc->m;
	struct pc_irq *p = calloc(1, sizeof *p);
	if (!p)
		return err_set("out of memory");
	pc->irq = p;
	p->m = m;
	p->started = pc->started;
	register_stats(p, st);
	uint64_t bus = cfg_u64(c, "lapic", "bus_cycles");
	for (unsigned k = 0; k < PC_APIC_KINDS; k++)
		p->apic_cycles[k] = cfg_u64(c, "lapic", access_key[k]);
	p->exit_handler[PC_EXIT_EXTERNAL_INTERRUPT] = cfg_u64(c, "lapic", "kick_cycles");
	p->exit_handler[PC_EXIT_INTERRUPT_WINDOW] = cfg_u64(c, "lapic", "irq_window_cycles");
	p->inject_cycles = cfg_u64(c, "lapic", "inject_cycles");
	p->wakeup_cycles = cfg_u64(c, "lapic", "wakeup_cycles");
	p->irq_window_exiting = cfg_bool(c, "lapic", "irq_window_exiting");
	for (unsigned i = 0; i < m->ncpus; i++) {
		lapic_init(&p->lapic[i], i, i == 0, bus);
		p->lapic[i].guest_errors = p->st_apic_errors;
		p->cpu[i] = (struct pc_irq_cpu){ .p = p, .id = i, .kick_at = UINT64_MAX };
		for (unsigned v = 0; v < APIC_NR_VECTORS; v++)
			p->cpu[i].pending_at[v] = UINT64_MAX;
	}
	ioapic_init(&p->ioapic);
	p->ioapic.send = ioapic_send;
	p->ioapic.ctx = p;
	p->ioapic.guest_errors = p->st_apic_errors;
	for (unsigned i = 0; i < MACHINE_MAX_CPUS; i++)
		p->irqc.check_at[i] = i < m->ncpus ? 0 : UINT64_MAX;
	p->irqc.ops = &pc_irq_ops;
	p->irqc.ctx = p;
	m->irqc = &p->irqc;
	m->mmio[m->nmmio++] = (struct dev_window){ "lapic", APIC_DEFAULT_BASE, APIC_PAGE_SIZE, &lapic_mmio_ops, p, false };
	m->mmio[m->nmmio++] = (struct dev_window){ "ioapic", IOAPIC_DEFAULT_BASE, APIC_PAGE_SIZE, &ioapic_ops,
						   &p->ioapic, false };
	return 0;
}

void pc_irq_fini(struct pc *pc)
{
	free(pc->irq);
	pc->irq = NULL;
}
