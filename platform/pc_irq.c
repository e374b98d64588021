/* The x86 machine's interrupt controllers behind struct irq_ctrl
 * (platform/machine.h): one local APIC per vCPU (apic/lapic.h) and the I/O
 * APIC (apic/ioapic.h), emulated by the modelled KVM.  The design's VMCS
 * controls choose the path (docs/architecture.md, "APIC virtualization on
 * the pc machine"): without APIC virtualization ("legacy" injection),
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
 * With virtual-interrupt delivery the LAPIC's register page is the
 * virtual-APIC page (as in KVM), guest accesses go through apic/vapic.h
 * first and the processor delivers by RVI against VPPR; with posted
 * interrupts each vCPU has a descriptor (apic/posted.h) that software, IPI
 * virtualization, the exitless timer and the IOMMU post to.
 * Messages travel in simulated time: a target whose clock lags the sender's
 * sees an IPI only once its clock passes the sending time.  See pc.h. */
#include "platform/pc.h"
#include <stddef.h>
#include <stdlib.h>
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "apic/timer.h"
#include "apic/vapic.h"
#include "core/err.h"
#include "core/log.h"
#include "cpu/vmx.h"
#include "cpu/vmx_ctrls.h"

/* What an exit of the interrupt path was for (a physical interrupt to the
 * hypervisor: EXTERNAL_INTERRUPT; the VMX-preemption timer), and the paths
 * by which an interrupt reaches the guest: injected on entry by the
 * hypervisor; virtual-interrupt delivery of what the hypervisor put in
 * VIRR/RVI on entry after an exit; posted (the notification processed by
 * the processor while the vCPU ran, no exit); wake-up (virtual delivery
 * after the vCPU, blocked in HLT, was woken for it). */
enum pc_irq_cause { PC_IRQ_TIMER, PC_IRQ_KICK, PC_IRQ_PREEMPTION, PC_IRQ_CAUSES };
enum pc_irq_path { PC_PATH_INJECTED, PC_PATH_VIRTUAL, PC_PATH_POSTED, PC_PATH_WAKEUP, PC_IRQ_PATHS };
/* KVM's vectors (arch/x86/include/asm/irq_vectors.h) */
#define PI_NOTIFICATION_VECTOR 0xf2     /* POSTED_INTR_VECTOR */
#define PI_WAKEUP_VECTOR       0xf1     /* POSTED_INTR_WAKEUP_VECTOR */
/* Where the descriptors live: a host-physical page of the modelled
 * hypervisor, below a 39-bit host address width (any such address does). */
#define PC_PID_HPA             0x3fff000000ull
/* Kinds of emulated APIC register access, each with a handler cost */
enum pc_apic_access { PC_APIC_READ, PC_APIC_WRITE, PC_APIC_ICR, PC_APIC_EOI, PC_APIC_TIMER, PC_APIC_KINDS };
#define PC_IRQ_QUEUE 32

/* An interrupt message on its way: it reaches the target's LAPIC (post:
 * its posted-interrupt descriptor, vector m.vector) when the target's clock
 * passes `at` (the sender's time). */
struct pc_irq_msg {
	struct apic_msg m;
	cycles_t at;
	bool post, urgent;
};

/* The hypervisor's work behind an APIC exit, done in the exit's handler
 * (pc_apic_exit_emulate), not at the guest's access: an APIC_ACCESS
 * (fault-like: the access emulated), an APIC_WRITE (trap-like: the write
 * already in the virtual-APIC page, its side effects emulated), an
 * EOI_INDUCED (the EOI's side effects). */
enum pc_emul_kind { PC_EMUL_NONE, PC_EMUL_ACCESS, PC_EMUL_TRAP };
struct pc_irq_emul {
	enum pc_emul_kind kind;
	int reason;                   /* PC_EMUL_TRAP: APIC_EXIT_APIC_WRITE or APIC_EXIT_EOI_INDUCED */
	unsigned off, size;           /* page offset (EOI_INDUCED: the vector); access width */
	bool write;
	uint64_t val;
};

struct pc_irq_cpu {
	struct pc_irq *p;
	unsigned id;
	bool in_hyp;                  /* halted in the hypervisor (polling or blocked) since the last poll */
	bool pi_blocked;              /* the descriptor points at the wake-up vector (KVM blocked the vCPU) */
	uint64_t halt_poll_ns;        /* KVM's per-vCPU vcpu->halt_poll_ns, adapted after each halt */
	cycles_t halt_at, poll_until; /* the halt began; its polling ends (no polling: = halt_at) */
	cycles_t kick_at;             /* a kick IPI is due (UINT64_MAX: none) */
	cycles_t apic_cycles;         /* APIC emulation not yet charged to an exit */
	cycles_t hw_cycles;           /* processor work (posted-interrupt processing, IPIv) before the next block */
	enum pc_irq_exit poll_exit;   /* the exit the last poll asked for */
	struct pc_irq_msg q[PC_IRQ_QUEUE];
	unsigned nq;
	cycles_t pending_at[APIC_NR_VECTORS];   /* when each IRR bit was set (latency), UINT64_MAX none */
	uint8_t path[APIC_NR_VECTORS];          /* enum pc_irq_path each pending vector will take */
	struct pc_irq_emul emul;      /* what the handler of the exit just decided emulates */
	struct vapic va;              /* APIC virtualization: its page is lapic[id].regs */
	struct pi_desc pid;           /* posted-interrupt descriptor, at pc_irq_pid_hpa */
};

struct pc_irq {
	struct machine *m;
	const bool *started;          /* vCPUs running (BSP, mailbox) */
	struct lapic lapic[MACHINE_MAX_CPUS];
	struct ioapic ioapic;
	struct pc_irq_cpu cpu[MACHINE_MAX_CPUS];
	struct irq_ctrl irqc;
	cycles_t apic_cycles[PC_APIC_KINDS], exit_handler[PC_IRQ_EXITS], inject_cycles, wakeup_cycles;
	cycles_t pi_sync_cycles, pi_notify_cycles, ipiv_cycles, ipi_latency_cycles;
	bool irq_window_exiting;
	/* KVM's halt polling (virt/kvm/kvm_main.c kvm_vcpu_halt) */
	uint64_t halt_poll_ns, poll_grow, poll_grow_start, poll_shrink, freq_mhz;
	/* APIC virtualization as the design's VMCS controls set it */
	struct vapic_controls ctl;
	bool vid, posted;             /* virtual-interrupt delivery; posted-interrupt processing */
	enum apic_timer_design timer;
	uint64_t pid_table[MACHINE_MAX_CPUS];   /* IPI virtualization's PID-pointer table, by APIC ID */
	int ipiv_target;              /* the vCPU an IPI-virtualized ICR write posted to (-1 none) */
	struct pi_desc ipiv_scratch;  /* what it posted, until it travels (post_at) */
	uint64_t *st_apic_access[PC_APIC_KINDS], *st_irq_exits[PC_IRQ_CAUSES], *st_delivered[PC_IRQ_PATHS];
	uint64_t *st_virtualized[PC_APIC_KINDS], *st_posts, *st_notify, *st_pi_wakeup;
	uint64_t *st_wakeups, *st_ipis, *st_timer_fired, *st_apic_errors;
	uint64_t *st_poll_attempted, *st_poll_success, *st_poll_cycles;
	struct hist *h_latency, *h_path_latency[PC_IRQ_PATHS];
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
	{ "kvm", "halt_poll_ns", CFG_U64, 0, 1e10, NULL,
	  "KVM halt_poll_ns: the longest a vCPU halted by HLT polls in the hypervisor before it blocks (0: never)" },
	{ "kvm", "halt_poll_ns_grow", CFG_U64, 0, 1000, NULL,
	  "KVM halt_poll_ns_grow: factor a vCPU's poll time grows by after a short halt it did not poll long enough for" },
	{ "kvm", "halt_poll_ns_grow_start", CFG_U64, 0, 1e10, NULL,
	  "KVM halt_poll_ns_grow_start: the first poll time a vCPU grows to" },
	{ "kvm", "halt_poll_ns_shrink", CFG_U64, 0, 1000, NULL,
	  "KVM halt_poll_ns_shrink: divisor after a halt longer than halt_poll_ns (0: poll time back to 0)" },
	{ "lapic", "ipi_latency_cycles", CFG_U64, 0, 1e9, NULL,
	  "an IPI between cores (KVM's kick or notification, IPI virtualization's) until the target vCPU's handler runs" },
	{ "lapic", "irq_window_exiting", CFG_BOOL, 0, 0, NULL,
	  "an interrupt blocked by RFLAGS.IF sets INTR_WINDOW_EXITING (KVM enable_irq_window)" },
	{ "lapic", "timer", CFG_ENUM, 0, 0, "hrtimer|preemption|exitless",
	  "LAPIC timer design: host hrtimer, VMX-preemption timer (KVM hv timer), exitless (posted by a housekeeping CPU)" },
	{ "lapic", "preemption_timer_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: PREEMPTION_TIMER exit (handle_preemption_timer, kvm_lapic_expired_hv_timer)" },
	{ "apicv", "apic_access_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: APIC_ACCESS exit (handle_apic_access: the instruction emulated), besides the register's own cost" },
	{ "apicv", "apic_write_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: APIC_WRITE exit (kvm_apic_write_nodecode dispatch), besides the register's own cost" },
	{ "apicv", "eoi_induced_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: EOI_INDUCED exit (kvm_apic_set_eoi_accelerated), besides the EOI's own cost" },
	{ "apicv", "pi_sync_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: PIR -> VIRR on VM entry when the descriptor's ON is set (vmx_sync_pir_to_irr)" },
	{ "apicv", "pi_notify_cycles", CFG_U64, 0, 1e9, NULL,
	  "processor: posted-interrupt processing on the notification vector in non-root operation (SDM 30.6)" },
	{ "apicv", "ipiv_cycles", CFG_U64, 0, 1e9, NULL,
	  "processor: a virtualized ICR write (PID-pointer table, post, notification; SDM 30.1.6)" },
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
static const char *const cause_name[PC_IRQ_CAUSES] = {
	[PC_IRQ_TIMER] = "timer", [PC_IRQ_KICK] = "kick", [PC_IRQ_PREEMPTION] = "preemption_timer",
};
static const char *const path_name[PC_IRQ_PATHS] = {
	[PC_PATH_INJECTED] = "injected", [PC_PATH_VIRTUAL] = "virtual", [PC_PATH_POSTED] = "posted",
	[PC_PATH_WAKEUP] = "wakeup",
};

static cycles_t cpu_clock(const struct pc_irq *p, unsigned cpu)
{
	return p->m->sim && cpu < p->m->sim->ncpus ? p->m->sim->cpus[cpu]->clock : 0;
}

static void check_by(struct pc_irq *p, unsigned cpu, cycles_t t)
{
	if (t < p->irqc.check_at[cpu])
		p->irqc.check_at[cpu] = t;
	sim_cpu_look_by(p->m->sim, cpu, t);   /* the block hook compares with its bound only */
}

/* The next timer expiry in core cycles (the TSC runs at the core clock). */
static cycles_t timer_due(const struct lapic *l)
{
	struct lapic_deadline d = lapic_timer_next(l);
	return d.kind == LAPIC_DL_NONE ? UINT64_MAX : d.at;
}

static bool fixed(const struct apic_msg *m) { return m->mode == APIC_DM_FIXED || m->mode == APIC_DM_LOWEST; }

static void set_pending(struct pc_irq *p, unsigned cpu, unsigned vec, cycles_t at, enum pc_irq_path path)
{
	p->cpu[cpu].pending_at[vec] = at;
	p->cpu[cpu].path[vec] = (uint8_t)path;
}

/* The path an interrupt the hypervisor makes pending takes */
static enum pc_irq_path hyp_path(const struct pc_irq *p) { return p->vid ? PC_PATH_VIRTUAL : PC_PATH_INJECTED; }

/* ---- posted interrupts (SDM 30.6; KVM vmx/posted_intr.c) ---- */
static void wake(struct pc_irq *p, unsigned cpu, cycles_t when);
static int timer_sync(struct pc_irq *p, unsigned cpu, cycles_t now, bool blocked);
static void poll_expire(struct pc_irq *p, unsigned cpu, cycles_t at);

/* RVI = the highest VIRR bit, as KVM sets it on entry (vmx_hwapic_irr_update) */
static void rvi_update(struct pc_irq_cpu *c)
{
	int high = apic_vec_highest(c->va.page, APIC_IRR);
	vapic_set_rvi(&c->va, high < 0 ? 0 : (uint8_t)high);
}

/* Every vector in the PIR now takes `path` */
static void pir_path(struct pc_irq_cpu *c, enum pc_irq_path path)
{
	for (unsigned v = 0; v < APIC_NR_VECTORS; v++)
		if (pi_test_pir(&c->pid, (uint8_t)v))
			c->path[v] = (uint8_t)path;
}

/* The notification the descriptor asked for reaches the vCPU: the
 * notification vector is processed by the processor in non-root operation
 * (no exit); KVM's wake-up vector (the vCPU blocked in HLT) interrupts the
 * host, which wakes the vCPU (pi_wakeup_handler); a vCPU halt-polling in
 * the hypervisor finds the post itself, synced on its entry. */
static void pi_notify(struct pc_irq *p, unsigned cpu, cycles_t at)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (pi_nv(&c->pid) == PI_WAKEUP_VECTOR) {
		(*p->st_pi_wakeup)++;
		pir_path(c, PC_PATH_WAKEUP);
		wake(p, cpu, at + p->wakeup_cycles);
		return;
	}
	if (c->in_hyp) {   /* halt-polling in the hypervisor: KVM's loop sees ON (kvm_vcpu_check_block) */
		pir_path(c, PC_PATH_WAKEUP);
		wake(p, cpu, at);
		return;
	}
	(*p->st_notify)++;
	pir_path(c, PC_PATH_POSTED);
	vapic_pi_process(&c->va);
	c->hw_cycles += p->pi_notify_cycles;
	check_by(p, cpu, 0);
	wake(p, cpu, at);   /* HLT in non-root ends on the virtual interrupt */
}

/* Posts vector to cpu's descriptor at the target's time `at`; `notify`:
 * send the notification it asks for (not when the vCPU posts to itself
 * from the hypervisor: the entry that follows syncs the PIR). */
static void post_vector(struct pc_irq *p, unsigned cpu, uint8_t vec, bool urgent, cycles_t at, bool notify)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	poll_expire(p, cpu, at);
	bool was = pi_test_pir(&c->pid, vec) || apic_vec_test(c->va.page, APIC_IRR, vec);
	bool on = urgent ? pi_post_urgent(&c->pid, vec) : pi_post(&c->pid, vec);
	(*p->st_posts)++;
	if (!was)
		set_pending(p, cpu, vec, at, PC_PATH_VIRTUAL);
	if (on && notify)
		pi_notify(p, cpu, at);
	check_by(p, cpu, 0);
}

/* PIR -> VIRR before entry (KVM vmx_sync_pir_to_irr), then RVI */
static cycles_t pi_sync(struct pc_irq *p, unsigned cpu)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	cycles_t t = 0;
	if (p->posted && pi_highest_pir(&c->pid) >= 0) {
		vapic_pi_process(&c->va);
		t = p->pi_sync_cycles;
	}
	rvi_update(c);
	return t;
}

/* The vCPU whose descriptor is at hpa, -1 none */
static int pid_cpu(const struct pc_irq *p, uint64_t hpa)
{
	if (hpa < PC_PID_HPA || (hpa - PC_PID_HPA) % PID_SIZE || (hpa - PC_PID_HPA) / PID_SIZE >= p->m->ncpus)
		return -1;
	return (int)((hpa - PC_PID_HPA) / PID_SIZE);
}

/* ---- the LAPIC accepts a message ---- */
/* notify: as post_vector */
static void accept(struct pc_irq *p, unsigned cpu, const struct apic_msg *m, cycles_t at, bool notify)
{
	struct lapic *l = &p->lapic[cpu];
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (m->trig_level && fixed(m))   /* KVM sets the EOI-exit bit of level-triggered vectors */
		c->va.eoi_exit[m->vector / 64] |= 1ull << (m->vector % 64);
	if (p->posted && fixed(m) && m->vector >= APIC_MIN_VECTOR && lapic_sw_enabled(l)) {
		post_vector(p, cpu, m->vector, false, at, notify);
		return;
	}
	bool was = apic_vec_test(l->regs, APIC_IRR, m->vector);
	if (!lapic_accept(l, m))
		return;
	if (fixed(m) && !was)
		set_pending(p, cpu, m->vector, at, hyp_path(p));
}

static void queue_put(struct pc_irq_cpu *c, const struct pc_irq_msg *q) { c->q[c->nq++] = *q; }

static unsigned queue_drain(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	unsigned k = 0, n = 0;
	for (unsigned i = 0; i < c->nq; i++) {
		if (c->q[i].at > now) {
			check_by(p, cpu, c->q[i].at);
			c->q[k++] = c->q[i];
		} else if (c->q[i].post) {
			post_vector(p, cpu, c->q[i].m.vector, c->q[i].urgent, c->q[i].at, true);
			n++;
		} else {
			accept(p, cpu, &c->q[i].m, c->q[i].at, true);
			n++;
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

/* Would HLT end at t: an interrupt deliverable above the PPR (VIRR above
 * VPPR with APICv: the same page), posted and not yet synced, or one on
 * its way or a timer expiry by t (KVM kvm_vcpu_has_events). */
static bool wake_pending(struct pc_irq *p, unsigned cpu, cycles_t t)
{
	const struct lapic *l = &p->lapic[cpu];
	return lapic_pending_vector(l) >= 0 || l->nmi_pending || queue_first(&p->cpu[cpu]) <= t ||
	       timer_due(l) <= t || (p->posted && pi_highest_pir(&p->cpu[cpu].pid) >= 0);
}

/* ---- waking halted vCPUs ---- */
static void wake(struct pc_irq *p, unsigned cpu, cycles_t when)
{
	if (!p->m->sim || cpu >= p->m->sim->ncpus)
		return;   /* a machine not running yet (unit tests of devices) */
	struct sim_cpu *sc = p->m->sim->cpus[cpu];
	if (sc->state != SIM_CPU_HALTED || !wake_pending(p, cpu, when))
		return;   /* stale: woken meanwhile, or nothing to wake for */
	DBG(LOG_GIC, "cpu%u: woken at cycle %llu", cpu, (unsigned long long)when);
	sim_cpu_wake(sc, when);
	check_by(p, cpu, 0);
}

static void wake_event(void *ctx, cycles_t when)
{
	struct pc_irq_cpu *c = ctx;
	wake(c->p, c->id, when);
}

/* ---- halt polling (KVM kvm_vcpu_halt) ---- */
/* What waking cpu for an event at `at` costs: nothing while it still polls
 * (KVM's loop sees the event in memory, kvm_vcpu_check_block), a thread
 * wake-up once it blocked. */
static cycles_t wake_cost(const struct pc_irq *p, unsigned cpu, cycles_t at)
{
	const struct pc_irq_cpu *c = &p->cpu[cpu];
	return c->in_hyp && at > c->poll_until ? p->wakeup_cycles : 0;
}

/* Polling over by `at`, the vCPU blocked: KVM points the descriptor at its
 * wake-up vector (pi_enable_wakeup_handler, when the vCPU is scheduled out). */
static void poll_expire(struct pc_irq *p, unsigned cpu, cycles_t at)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (!c->in_hyp || c->pi_blocked || at <= c->poll_until || !p->posted)
		return;
	pi_vcpu_block(&c->pid, PI_WAKEUP_VECTOR);
	c->pi_blocked = true;
}

static uint64_t ns_cycles(const struct pc_irq *p, uint64_t ns) { return ns * p->freq_mhz / 1000; }

/* A HLT exit at `now`: poll for the vCPU's current poll time (capped by
 * halt_poll_ns), then block. */
static void halt_begin(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (c->halt_poll_ns > p->halt_poll_ns)
		c->halt_poll_ns = p->halt_poll_ns;
	c->halt_at = now;
	c->poll_until = now + ns_cycles(p, c->halt_poll_ns);
	c->pi_blocked = false;
	poll_expire(p, cpu, now + 1);   /* no polling: blocked at once */
}

/* KVM grow_halt_poll_ns / shrink_halt_poll_ns */
static uint64_t poll_grow(const struct pc_irq *p, uint64_t ns)
{
	if (!p->poll_grow)
		return ns;
	ns *= p->poll_grow;
	return ns < p->poll_grow_start ? p->poll_grow_start : ns;
}

static uint64_t poll_shrink(const struct pc_irq *p, uint64_t ns)
{
	ns = p->poll_shrink ? ns / p->poll_shrink : 0;
	return ns < p->poll_grow_start ? 0 : ns;
}

/* The halted vCPU runs again at `now`: the statistics KVM keeps and its
 * poll time for the next halt (kvm_vcpu_halt). */
static void halt_done(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	bool waited = now > c->poll_until, polled = c->poll_until > c->halt_at;
	uint64_t halt_ns = (now - c->halt_at) * 1000 / p->freq_mhz;
	*p->st_wakeups += waited;
	if (polled) {
		(*p->st_poll_attempted)++;
		*p->st_poll_success += !waited;
		*p->st_poll_cycles += (waited ? c->poll_until : now) - c->halt_at;
	}
	if (!p->halt_poll_ns)
		c->halt_poll_ns = 0;
	else if (halt_ns <= c->halt_poll_ns)
		;
	else if (c->halt_poll_ns && halt_ns > p->halt_poll_ns)
		c->halt_poll_ns = poll_shrink(p, c->halt_poll_ns);   /* a long block */
	else if (c->halt_poll_ns < p->halt_poll_ns && halt_ns < p->halt_poll_ns)
		c->halt_poll_ns = poll_grow(p, c->halt_poll_ns);    /* a short halt, polled too briefly */
	c->poll_until = c->halt_at = 0;
}

/* KVM kvm_vcpu_kick: a running target takes a physical IPI (an exit, if
 * `exits`: not for a posted interrupt, whose notification the processor
 * handles), a halted one is woken.  Woken at once, not through the event
 * queue (events fire at quantum starts, after a halted vCPU's clock moved on). */
static void kick(struct pc_irq *p, unsigned target, cycles_t at, bool exits)
{
	struct pc_irq_cpu *c = &p->cpu[target];
	check_by(p, target, at);
	if (!p->m->sim || p->m->sim->cpus[target]->state == SIM_CPU_OFF)
		return;
	if (exits && at < c->kick_at)
		c->kick_at = at;
	wake(p, target, at + wake_cost(p, target, at));
}

/* A post that reaches `cpu` at `at` */
static void post_at(struct pc_irq *p, unsigned cpu, uint8_t vec, bool urgent, cycles_t at)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (cpu_clock(p, cpu) >= at || c->nq == PC_IRQ_QUEUE)
		post_vector(p, cpu, vec, urgent, at, true);
	else
		queue_put(c, &(struct pc_irq_msg){ .m = { .vector = vec }, .at = at, .post = true, .urgent = urgent });
	kick(p, cpu, at, false);
}

/* ---- routing (10.6) ---- */
/* From one core's IPI to another core (KVM's kick or posted-interrupt
 * notification, or IPI virtualization's) to the target's handler: the
 * physical IPI's flight and the interrupt's delivery ([lapic]
 * ipi_latency_cycles).  A vCPU blocked in the hypervisor adds its wake-up
 * (wake_cost). */
static cycles_t ipi_flight(const struct pc_irq *p) { return p->ipi_latency_cycles; }

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

/* Sends m from `src` (a vCPU, or -1: the I/O APIC) at time `at`.  With
 * posted interrupts KVM posts fixed interrupts to the target's descriptor
 * (vmx_deliver_posted_interrupt): no kick exit for a running target. */
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
		cycles_t t = src >= 0 && (int)i != src ? at + ipi_flight(p) : at;
		if ((int)i == src || cpu_clock(p, i) >= t || c->nq == PC_IRQ_QUEUE)
			accept(p, i, m, t, (int)i != src);
		else
			queue_put(c, &(struct pc_irq_msg){ .m = *m, .at = t });
		if ((int)i == src)
			check_by(p, i, at);   /* delivered on this exit's entry */
		else
			kick(p, i, t, !(p->posted && fixed(m)));
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

uint64_t pc_irq_pid_hpa(const struct pc *pc, unsigned cpu) { return PC_PID_HPA + (uint64_t)cpu * PID_SIZE; }
bool pc_irq_posting(const struct pc *pc) { return pc->irq && pc->irq->posted; }

bool pc_irq_post(struct pc *pc, uint64_t pda, uint8_t vector, bool urgent, cycles_t when)
{
	struct pc_irq *p = pc->irq;
	int cpu = p && p->posted ? pid_cpu(p, pda) : -1;
	if (cpu < 0)
		return false;
	post_at(p, (unsigned)cpu, vector, urgent, when);
	return true;
}

/* ---- APIC register accesses (emulated by the hypervisor) ---- */
static void charge(struct pc_irq *p, unsigned cpu, enum pc_apic_access k)
{
	(*p->st_apic_access[k])++;
	p->cpu[cpu].apic_cycles += p->apic_cycles[k];
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

/* What a register write emulated at `now` (in the handler of its exit) does.
 * An IPI leaves when the emulation behind it ends: KVM's kick is the last
 * step of kvm_apic_send_ipi (the [lapic] cost just charged). */
static void act(struct pc_irq *p, unsigned cpu, const struct lapic_event *ev, cycles_t now)
{
	if (ev->ipi)
		route(p, (int)cpu, &ev->msg, now + p->cpu[cpu].apic_cycles);
	if (ev->eoi_broadcast && ev->eoi_vector >= 0)
		ioapic_eoi(&p->ioapic, (uint8_t)ev->eoi_vector);
	check_by(p, cpu, 0);   /* a lower priority may now be deliverable; the timer may have moved */
}

static uint64_t mmio_rd(struct pc_irq *p, unsigned cpu, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	charge(p, cpu, PC_APIC_READ);
	if (!lapic_mmio_read(&p->lapic[cpu], off, size, &v, cpu_clock(p, cpu)))
		(*p->m->unassigned)++;   /* disabled or x2APIC: the page is not decoded (10.12.2) */
	return v;
}

static void mmio_wr(struct pc_irq *p, unsigned cpu, uint64_t off, unsigned size, uint64_t val)
{
	cycles_t now = cpu_clock(p, cpu);
	struct lapic_event ev;
	charge(p, cpu, write_kind((unsigned)off & 0xff0u));
	if (!lapic_mmio_write(&p->lapic[cpu], off, size, val, now, &ev)) {
		(*p->m->unassigned)++;
		return;
	}
	act(p, cpu, &ev, now);
}

static uint64_t lapic_mmio_rd(void *dev, uint64_t off, unsigned size)
{
	struct pc_irq *p = dev;
	return mmio_rd(p, p->m->cur_cpu, off, size);
}

static void lapic_mmio_wr(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pc_irq *p = dev;
	mmio_wr(p, p->m->cur_cpu, off, size, val);
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

/* KVM's exit fastpath for an x2APIC ICR write (cpu/vmx.h vmx_msr_fastpath) */
bool pc_msr_fastpath(const struct pc *pc, unsigned cpu, uint32_t msr, uint64_t val)
{
	const struct pc_irq *p = pc->irq;
	return p && cpu < p->m->ncpus && lapic_x2apic_mode(&p->lapic[cpu]) && vmx_msr_fastpath(msr, val);
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

/* KVM switches the APIC-virtualization controls with the APIC's mode
 * (vmx_set_virtual_apic_mode): the APIC-access page in xAPIC mode,
 * "virtualize x2APIC mode" in x2APIC mode when the processor virtualizes
 * the APIC at all. */
static void vapic_mode_sync(struct pc_irq *p, unsigned cpu)
{
	struct vapic *va = &p->cpu[cpu].va;
	bool x2 = lapic_x2apic_mode(&p->lapic[cpu]);
	va->x2apic = x2;
	va->ctl.virtualize_apic_accesses = p->ctl.virtualize_apic_accesses && !x2;
	va->ctl.virtualize_x2apic = x2 && p->ctl.use_tpr_shadow &&
				    (p->ctl.virtualize_x2apic || p->ctl.apic_register_virt || p->ctl.virtual_intr_delivery);
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
	/* A deadline KVM finds passed when it arms the timer (start_sw_tscdeadline;
	 * the hv timer likewise) expires at once in this handler: pending on
	 * this exit's entry, no timer exit after it. */
	if (a == APIC_MSR_OK && msr == MSR_IA32_TSC_DEADLINE && timer_due(&p->lapic[cpu]) <= now)
		timer_sync(p, cpu, now, true);
	if (msr == MSR_IA32_APIC_BASE)
		vapic_mode_sync(p, cpu);
	return msr_result(pc, a, r);
}

/* ---- APIC virtualization: the processor first (apic/vapic.h) ---- */
/* IPI virtualization found the target's PID through the PID-pointer table:
 * the post is staged here and travels to the target in simulated time
 * (post_at), where the real descriptor decides on the notification. */
static struct pi_desc *ipiv_pid_at(void *ctx, uint64_t addr)
{
	struct pc_irq *p = ((struct pc_irq_cpu *)ctx)->p;
	int t = pid_cpu(p, addr);
	if (t < 0)
		return NULL;
	p->ipiv_target = t;
	p->ipiv_scratch = (struct pi_desc){ 0 };
	return &p->ipiv_scratch;
}

static void ipiv_flush(struct pc_irq *p, unsigned cpu, cycles_t now)
{
	int vec = p->ipiv_target >= 0 ? pi_highest_pir(&p->ipiv_scratch) : -1;
	if (vec >= 0) {
		(*p->st_ipis)++;
		p->cpu[cpu].hw_cycles += p->ipiv_cycles;
		post_at(p, (unsigned)p->ipiv_target, (uint8_t)vec, false,
			now + p->ipiv_cycles + ipi_flight(p));
	}
	p->ipiv_target = -1;
}

/* The hypervisor's side of a trap-like exit: APIC-write emulation of the
 * register at `off` from the value the page now holds
 * (kvm_apic_write_nodecode), or the EOI of an EOI-induced exit
 * (kvm_apic_set_eoi_accelerated: the I/O APIC's side). */
static void trap_emulate(struct pc_irq *p, unsigned cpu, int reason, unsigned off, cycles_t now)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	struct lapic *l = &p->lapic[cpu];
	if (reason == APIC_EXIT_EOI_INDUCED) {
		charge(p, cpu, PC_APIC_EOI);
		ioapic_eoi(&p->ioapic, (uint8_t)off);   /* by vector: a posted level interrupt sets no TMR bit */
		return;
	}
	struct lapic_event ev;
	charge(p, cpu, write_kind(off));
	bool ok;
	if (c->va.x2apic) {
		uint64_t v = apic_reg_get(l->regs, off);
		if (off == APIC_ICR)
			v |= (uint64_t)apic_reg_get(l->regs, off + 4) << 32;   /* 64-bit VICR (30.5) */
		ok = lapic_wrmsr(l, X2APIC_MSR_BASE + (off >> 4), v, now, &ev) == APIC_MSR_OK;
	} else {
		ok = lapic_mmio_write(l, off, 4, apic_reg_get(l->regs, off), now, &ev);
	}
	if (ok)
		act(p, cpu, &ev, now);
}

/* A self-IPI the processor virtualized (30.1.5): pending from now on */
static void self_ipi_pending(struct pc_irq *p, unsigned cpu, unsigned off, uint64_t val, cycles_t now)
{
	bool self = off == APIC_SELF_IPI || (off == APIC_ICR && vapic_icr_is_self_ipi((uint32_t)val));
	unsigned vec = (unsigned)val & 0xff;
	if (self && p->cpu[cpu].pending_at[vec] == UINT64_MAX)
		set_pending(p, cpu, vec, now, PC_PATH_VIRTUAL);
}

/* What follows a virtualized access (r: its outcome) at register `off`
 * (writes: of val).  TPR below threshold needs a TPR threshold, which the
 * modelled KVM leaves at 0 (no exit). */
static struct pc_apic_result after_vapic(struct pc_irq *p, unsigned cpu, unsigned off, bool write, uint64_t val,
					 const struct vapic_result *r, cycles_t now)
{
	struct pc_apic_result out = { .gp = r->outcome == VAPIC_GP, .exit = -1, .value = r->value };
	if (r->outcome == VAPIC_VIRTUALIZED) {   /* with no exit at all */
		(*p->st_virtualized[write ? write_kind(off & 0xff0u) : PC_APIC_READ])++;
		if (write)
			self_ipi_pending(p, cpu, off & 0xff0u, val, now);
	}
	if (r->outcome == VAPIC_EXIT && r->trap_like && r->exit_reason != APIC_EXIT_TPR_BELOW_THRESHOLD) {
		bool eoi = r->exit_reason == APIC_EXIT_EOI_INDUCED;
		out.exit = eoi ? PC_EXIT_EOI_INDUCED : PC_EXIT_APIC_WRITE;
		out.qual = r->qual;
		p->cpu[cpu].emul = (struct pc_irq_emul){ .kind = PC_EMUL_TRAP, .reason = r->exit_reason,
							  .off = eoi ? (unsigned)r->qual : (unsigned)r->qual & 0xff0u };
	}
	ipiv_flush(p, cpu, now);
	check_by(p, cpu, 0);   /* VPPR or RVI may have moved: evaluate before the next block */
	return out;
}

bool pc_apic_page(const struct pc *pc, unsigned cpu, uint64_t gpa)
{
	const struct pc_irq *p = pc->irq;
	return p && cpu < p->m->ncpus && p->cpu[cpu].va.ctl.virtualize_apic_accesses &&
	       lapic_hw_enabled(&p->lapic[cpu]) && gpa - APIC_DEFAULT_BASE < APIC_PAGE_SIZE;
}

/* An access to the APIC-access page (SDM 30.4): virtualized, or an
 * APIC_ACCESS exit (fault-like) after which the hypervisor emulates it. */
struct pc_apic_result pc_apic_mmio(struct pc *pc, unsigned cpu, uint64_t gpa, unsigned size, bool write, uint64_t val)
{
	struct pc_irq *p = pc->irq;
	struct vapic *va = &p->cpu[cpu].va;
	unsigned off = (unsigned)(gpa & (APIC_PAGE_SIZE - 1));
	cycles_t now = cpu_clock(p, cpu);
	p->m->cur_cpu = cpu;
	struct vapic_result r = write ? vapic_mmio_write(va, off, size, val) : vapic_mmio_read(va, off, size, false);
	if (r.outcome != VAPIC_EXIT || r.trap_like)
		return after_vapic(p, cpu, off, write, val, &r, now);
	p->cpu[cpu].emul = (struct pc_irq_emul){ .kind = PC_EMUL_ACCESS, .off = off, .size = size, .write = write,
						  .val = val };
	return (struct pc_apic_result){ .exit = PC_EXIT_APIC_ACCESS, .qual = r.qual };
}

uint64_t pc_apic_exit_emulate(struct pc *pc, unsigned cpu)
{
	struct pc_irq *p = pc->irq;
	if (!p || cpu >= p->m->ncpus)
		return 0;
	struct pc_irq_emul e = p->cpu[cpu].emul;
	p->cpu[cpu].emul.kind = PC_EMUL_NONE;
	p->m->cur_cpu = cpu;
	if (e.kind == PC_EMUL_TRAP)
		trap_emulate(p, cpu, e.reason, e.off, cpu_clock(p, cpu));
	if (e.kind != PC_EMUL_ACCESS)
		return 0;
	if (!e.write)
		return mmio_rd(p, cpu, e.off, e.size);
	mmio_wr(p, cpu, e.off, e.size, e.val);
	return 0;
}

/* Does the MSR bitmap intercept this x2APIC MSR?  As KVM sets it
 * (vmx_update_msr_bitmap_x2apic): with x2APIC virtualization TPR passes;
 * with APIC-register virtualization every read but the current count;
 * with virtual-interrupt delivery EOI and SELF IPI writes; with IPI
 * virtualization the ICR. */
static bool x2apic_intercepted(const struct vapic *va, uint32_t msr, bool write)
{
	unsigned off = (msr - X2APIC_MSR_BASE) << 4;
	if (!va->ctl.virtualize_x2apic)
		return true;
	if (off == APIC_TPR)
		return false;
	/* KVM passes through only the readable registers but the current count
	 * ("KVM: VMX: Intercept reads to invalid and write-only x2APIC
	 * registers"): the others are emulated, and #GP. */
	if (!write)
		return !va->ctl.apic_register_virt || off == APIC_TMCCT || !apic_x2apic_readable(msr);
	if (off == APIC_EOI || off == APIC_SELF_IPI)
		return !va->ctl.virtual_intr_delivery;
	return !(off == APIC_ICR && va->ctl.ipi_virt);
}

bool pc_apic_msr_virtual(struct pc *pc, unsigned cpu, uint32_t msr, bool write, uint64_t val, struct pc_apic_result *r)
{
	struct pc_irq *p = pc->irq;
	if (!p || cpu >= p->m->ncpus || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
		return false;
	struct vapic *va = &p->cpu[cpu].va;
	if (x2apic_intercepted(va, msr, write))
		return false;
	p->m->cur_cpu = cpu;
	struct vapic_result vr = write ? vapic_wrmsr(va, msr, val) : vapic_rdmsr(va, msr);
	if (vr.outcome == VAPIC_NOT_VIRTUALIZED)
		return false;   /* the physical x2APIC would take it: KVM's bitmap never lets that happen */
	*r = after_vapic(p, cpu, (msr - X2APIC_MSR_BASE) << 4, write, val, &vr, cpu_clock(p, cpu));
	return true;
}

void pc_irq_cpu_started(struct pc *pc, unsigned cpu)
{
	struct pc_irq *p = pc->irq;
	p->lapic[cpu].state = LAPIC_CPU_RUNNING;
	check_by(p, cpu, 0);
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
bool pc_irq_window_exiting(const struct pc *pc) { return pc->irq->irq_window_exiting && !pc->irq->vid; }
enum pc_irq_exit pc_irq_poll_exit(const struct pc *pc, unsigned cpu) { return pc->irq->cpu[cpu].poll_exit; }

uint8_t pc_irq_timer_vector(const struct pc *pc, unsigned cpu)
{
	return (uint8_t)FIELD_EX(apic_reg_get(pc->irq->lapic[cpu].regs, APIC_LVTT), APIC_LVT, VECTOR);
}

cycles_t pc_irq_apic_cycles(struct pc *pc, unsigned cpu)
{
	if (!pc->irq)
		return 0;
	cycles_t t = pc->irq->cpu[cpu].apic_cycles;
	pc->irq->cpu[cpu].apic_cycles = 0;
	return t;
}

/* ---- the interface ---- */
static void irq_exit(void *ctx, unsigned cpu)
{
	struct pc_irq *p = ctx;
	check_by(p, cpu, 0);   /* the entry after it delivers */
}

/* The LAPIC timer fired (n expiries) by `now`: its design decides what it
 * costs a running vCPU (apic/timer.h): the exit it takes, or none when the
 * expiry is posted (the exitless timer: the notification processed by the
 * processor).  A blocked vCPU was woken instead (irq_wait). */
static int timer_sync(struct pc_irq *p, unsigned cpu, cycles_t now, bool blocked)
{
	struct lapic *l = &p->lapic[cpu];
	int vec = (int)FIELD_EX(apic_reg_get(l->regs, APIC_LVTT), APIC_LVT, VECTOR);
	bool was = apic_vec_test(l->regs, APIC_IRR, (unsigned)vec);
	cycles_t due = timer_due(l);
	unsigned n = lapic_timer_poll(l, now, now);
	check_by(p, cpu, timer_due(l));
	if (!n)
		return -1;
	*p->st_timer_fired += n;
	bool pend = !was && apic_vec_test(l->regs, APIC_IRR, (unsigned)vec);
	if (pend)
		set_pending(p, cpu, (unsigned)vec, due < now ? due : now, hyp_path(p));
	struct apic_timer_expiry e = apic_timer_expiry(p->timer, !blocked);
	if (blocked || e.exit_reason >= 0)
		return blocked ? -1 : e.exit_reason == APIC_EXIT_PREEMPTION_TIMER ? PC_IRQ_PREEMPTION : PC_IRQ_TIMER;
	if (pend) {   /* exitless: posted by another CPU, processed by this one */
		(*p->st_posts)++;
		(*p->st_notify)++;
		p->cpu[cpu].path[vec] = PC_PATH_POSTED;
		rvi_update(&p->cpu[cpu]);
		p->cpu[cpu].hw_cycles += p->pi_notify_cycles;
	}
	return -1;
}

/* The vCPU runs again after blocking in HLT: KVM points the descriptor's
 * notifications back at it (vmx_vcpu_pi_load); what is pending was the
 * wake-up's. */
static void resume(struct pc_irq *p, unsigned cpu)
{
	struct pc_irq_cpu *c = &p->cpu[cpu];
	if (!p->vid)
		return;
	for (unsigned v = 0; v < APIC_NR_VECTORS; v++)
		if (c->pending_at[v] != UINT64_MAX)
			c->path[v] = PC_PATH_WAKEUP;
	c->pi_blocked = false;
	if (p->posted)
		pi_vcpu_run(&c->pid, PI_NOTIFICATION_VECTOR, lapic_id(&p->lapic[cpu]), c->va.x2apic);
}

static const char *irq_poll(void *ctx, unsigned cpu, cycles_t now)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	int why = -1;
	bool in_hyp = c->in_hyp;
	p->m->cur_cpu = cpu;
	p->irqc.check_at[cpu] = UINT64_MAX;
	queue_drain(p, cpu, now);   /* posts to a blocked vCPU: its wake-up vector */
	c->in_hyp = false;
	if (in_hyp)
		halt_done(p, cpu, now);
	if (c->kick_at <= now) {
		c->kick_at = UINT64_MAX;
		why = in_hyp ? -1 : PC_IRQ_KICK;
	} else {
		check_by(p, cpu, c->kick_at);
	}
	int t = timer_sync(p, cpu, now, in_hyp);
	if (t >= 0 && (why < 0 || t == PC_IRQ_TIMER))
		why = t;
	if (in_hyp)
		resume(p, cpu);
	if (c->apic_cycles || c->hw_cycles || lapic_pending_vector(&p->lapic[cpu]) >= 0 ||
	    (p->posted && pi_highest_pir(&c->pid) >= 0))
		check_by(p, cpu, 0);
	if (why < 0)
		return NULL;
	(*p->st_irq_exits[why])++;
	c->poll_exit = why == PC_IRQ_PREEMPTION ? PC_EXIT_PREEMPTION_TIMER : PC_EXIT_EXTERNAL_INTERRUPT;
	return cause_name[why];
}

/* Before the guest runs again: leftover emulation, processor work, and with
 * virtual-interrupt delivery the PIR sync and RVI (evaluated by the
 * processor on entry, SDM 30.2.1). */
static cycles_t irq_entry(void *ctx, unsigned cpu, cycles_t now)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	cycles_t t = c->apic_cycles + c->hw_cycles;
	c->apic_cycles = c->hw_cycles = 0;
	if (p->vid)
		t += pi_sync(p, cpu);
	return t;
}

/* The highest vector in a page's IRR, -1 if none (an empty IRR, as at
 * nearly every quiet entry, without the scan) */
static int irr_highest(const uint8_t *page)
{
	return apic_vec_empty(page, APIC_IRR) ? -1 : apic_vec_highest(page, APIC_IRR);
}

/* The poll and entry after an exit when nothing is queued, due or
 * pending and no cycles wait to be charged: they would only set check_at
 * (to the kick or the timer expiry) and find RVI as it is. */
static bool irq_quiet_entry(void *ctx, unsigned cpu, cycles_t now)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	const struct lapic *l = &p->lapic[cpu];
	cycles_t due = timer_due(l);   /* lapic_timer_poll fires at due <= now */
	if (c->nq || c->in_hyp || c->kick_at <= now || due <= now || c->apic_cycles || c->hw_cycles)
		return false;
	int irr = irr_highest(l->regs);   /* none: nothing pending (lapic_pending_vector) */
	if ((irr >= 0 && lapic_pending_vector(l) >= 0) || (p->posted && !pi_pir_empty(&c->pid)))
		return false;
	if (p->vid) {   /* pi_sync: rvi_update with nothing new */
		int high = c->va.page == l->regs ? irr : irr_highest(c->va.page);
		if (vapic_rvi(&c->va) != (high < 0 ? 0 : (uint8_t)high))
			return false;
	}
	p->m->cur_cpu = cpu;
	p->irqc.check_at[cpu] = c->kick_at < due ? c->kick_at : due;
	return true;
}

static bool irq_line(void *ctx, unsigned cpu)
{
	struct pc_irq *p = ctx;
	if (p->vid)
		return vapic_pending(&p->cpu[cpu].va) >= 0;
	return lapic_pending_vector(&p->lapic[cpu]) >= 0;
}

static void delivered(struct pc_irq *p, unsigned cpu, int vec, enum pc_irq_path path, cycles_t t)
{
	cycles_t *at = &p->cpu[cpu].pending_at[vec];
	(*p->st_delivered[path])++;
	if (*at != UINT64_MAX && t >= *at) {
		hist_add(p->h_latency, t - *at);
		hist_add(p->h_path_latency[path], t - *at);
	}
	*at = UINT64_MAX;
	check_by(p, cpu, 0);   /* another one may be pending below */
}

/* Legacy: INTA and injection by the hypervisor.  Virtual-interrupt
 * delivery: the processor's (30.2.2), no hypervisor work. */
static int irq_ack(void *ctx, unsigned cpu, cycles_t now, cycles_t *cycles)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	struct lapic *l = &p->lapic[cpu];
	*cycles = 0;
	if (p->vid) {
		int vec = vapic_deliver(&c->va);
		if (vec >= 0)
			delivered(p, cpu, vec, (enum pc_irq_path)c->path[vec], now);
		return vec;
	}
	if (lapic_pending_vector(l) < 0)
		return -1;
	int vec = lapic_ack(l);
	*cycles = p->inject_cycles;
	delivered(p, cpu, vec, PC_PATH_INJECTED, now + *cycles);
	return vec;
}

static cycles_t irq_wait(void *ctx, unsigned cpu, cycles_t now, bool in_hyp)
{
	struct pc_irq *p = ctx;
	struct pc_irq_cpu *c = &p->cpu[cpu];
	queue_drain(p, cpu, now);
	timer_sync(p, cpu, now, true);
	c->in_hyp = false;
	if (wake_pending(p, cpu, now))
		return now;
	c->in_hyp = in_hyp;
	if (in_hyp)
		halt_begin(p, cpu, now);
	cycles_t due = timer_due(&p->lapic[cpu]), q = queue_first(c);
	due = q < due ? q : due;
	if (due == UINT64_MAX)
		return due;      /* only another vCPU or a device can wake it (kick) */
	due += wake_cost(p, cpu, due);
	evq_push(&p->m->sim->events, due, wake_event, c);
	check_by(p, cpu, due);
	return due;
}

static const struct irq_ctrl_ops pc_irq_ops = {
	.exit = irq_exit, .poll = irq_poll, .entry = irq_entry, .quiet_entry = irq_quiet_entry, .irq_line = irq_line,
	.irq_ack = irq_ack, .wait = irq_wait,
};

static void register_stats(struct pc_irq *p, struct stats *st)
{
	char path[64], doc[160];
	for (unsigned k = 0; k < PC_APIC_KINDS; k++) {
		snprintf(path, sizeof path, "lapic.accesses.%s", access_name[k]);
		snprintf(doc, sizeof doc, "emulated APIC register accesses: %s", access_name[k]);
		p->st_apic_access[k] = stats_counter(st, path, doc);
		snprintf(path, sizeof path, "apicv.virtualized.%s", access_name[k]);
		snprintf(doc, sizeof doc, "APIC register accesses the processor virtualized without an exit (SDM 30.4, 30.5): %s",
			 access_name[k]);
		p->st_virtualized[k] = stats_counter(st, path, doc);
	}
	p->st_irq_exits[PC_IRQ_TIMER] = stats_counter(st, "platform.irq_exits.timer",
						      "EXTERNAL_INTERRUPT exits: the LAPIC timer's host hrtimer fired while the vCPU ran");
	p->st_irq_exits[PC_IRQ_KICK] = stats_counter(st, "platform.irq_exits.kick",
						     "EXTERNAL_INTERRUPT exits: kick IPI for an interrupt from another vCPU or a device");
	p->st_irq_exits[PC_IRQ_PREEMPTION] = stats_counter(st, "platform.irq_exits.preemption_timer",
							   "PREEMPTION_TIMER exits: the LAPIC timer on the VMX-preemption timer");
	static const char *const path_doc[PC_IRQ_PATHS] = {
		[PC_PATH_INJECTED] = "interrupts injected on VM entry by the hypervisor (no virtual-interrupt delivery)",
		[PC_PATH_VIRTUAL] = "virtual-interrupt delivery of what the hypervisor set in VIRR/RVI after an exit",
		[PC_PATH_POSTED] = "posted interrupts processed by the processor while the vCPU ran (no exit)",
		[PC_PATH_WAKEUP] = "virtual-interrupt delivery after the vCPU, blocked in HLT, was woken for it",
	};
	for (unsigned k = 0; k < PC_IRQ_PATHS; k++) {
		snprintf(path, sizeof path, "lapic.delivered.%s", path_name[k]);
		p->st_delivered[k] = stats_counter(st, path, path_doc[k]);
		snprintf(path, sizeof path, "lapic.delivery_latency.%s", path_name[k]);
		snprintf(doc, sizeof doc, "cycles from pending to delivery into the guest, path %s", path_name[k]);
		p->h_path_latency[k] = stats_hist(st, path, doc);
	}
	p->h_latency = stats_hist(st, "lapic.delivery_latency_cycles",
				  "cycles from an interrupt becoming pending to its delivery into the guest");
	p->st_posts = stats_counter(st, "apicv.pi.posts", "vectors posted to a posted-interrupt descriptor");
	p->st_notify = stats_counter(st, "apicv.pi.notifications",
				     "notification vectors processed by a running vCPU (no exit)");
	p->st_pi_wakeup = stats_counter(st, "apicv.pi.wakeups", "posts to a blocked vCPU: KVM's wake-up vector");
	p->st_wakeups = stats_counter(st, "platform.vcpu_wakeups", "HLTs that blocked in the hypervisor until a wake-up");
	p->st_poll_attempted = stats_counter(st, "kvm.halt_attempted_poll", "HLT exits that polled before blocking (KVM halt_attempted_poll)");
	p->st_poll_success = stats_counter(st, "kvm.halt_successful_poll",
					   "HLT exits whose wake-up came while polling: no block, no wake-up (KVM halt_successful_poll)");
	p->st_poll_cycles = stats_counter(st, "kvm.halt_poll_cycles",
					  "cycles the vCPUs' host CPUs spent polling halted vCPUs (KVM halt_poll_success_ns + fail_ns)");
	p->st_ipis = stats_counter(st, "lapic.messages", "interrupt messages accepted, one per target LAPIC (IPIs, I/O APIC)");
	p->st_timer_fired = stats_counter(st, "lapic.timer_fired", "LAPIC timer expiries (periodic ones that came together count each)");
	p->st_apic_errors = stats_counter(st, "lapic.guest_errors",
					  "APIC accesses with a bad offset, width or value, and bad I/O APIC accesses");
}

/* The APIC-virtualization controls as the design's VMCS words set them
 * (secondary and tertiary act only when activated, SDM 25.6.2). */
static struct vapic_controls design_controls(const struct cfg *c)
{
	uint32_t pin = (uint32_t)cfg_u64(c, "vmx", "pin_ctls"), pri = (uint32_t)cfg_u64(c, "vmx", "procbased_ctls");
	uint32_t sec = pri & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS ? (uint32_t)cfg_u64(c, "vmx", "procbased_ctls2") : 0;
	uint64_t ter = pri & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS ? cfg_u64(c, "vmx", "procbased_ctls3") : 0;
	return (struct vapic_controls){
		.use_tpr_shadow = pri & CPU_BASED_TPR_SHADOW,
		.virtualize_apic_accesses = sec & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES,
		.virtualize_x2apic = sec & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE,
		.apic_register_virt = sec & SECONDARY_EXEC_APIC_REGISTER_VIRT,
		.virtual_intr_delivery = sec & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY,
		.posted_interrupts = pin & PIN_BASED_POSTED_INTR,
		.ipi_virt = ter & TERTIARY_EXEC_IPI_VIRT,
	};
}

static int apicv_init(struct pc_irq *p, const struct cfg *c)
{
	p->ctl = design_controls(c);
	struct vapic_controls xapic = p->ctl;
	xapic.virtualize_x2apic = false;   /* KVM sets it only in x2APIC mode, then without the access page */
	const char *bad = vapic_controls_invalid(&xapic);
	if (bad)
		return err_set("design: [vmx] APIC-virtualization controls: %s (SDM 27.2.1.1)", bad);
	p->vid = p->ctl.virtual_intr_delivery;
	p->posted = p->ctl.posted_interrupts;
	p->timer = (enum apic_timer_design)cfg_enum(c, "lapic", "timer");
	if (p->timer == APIC_TIMER_EXITLESS && !p->posted)
		return err_set("design: [lapic] timer = exitless posts the timer interrupt: it needs posted-interrupt "
			       "processing ([vmx] pin_ctls bit 7)");
	p->pi_sync_cycles = cfg_u64(c, "apicv", "pi_sync_cycles");
	p->pi_notify_cycles = cfg_u64(c, "apicv", "pi_notify_cycles");
	p->ipiv_cycles = cfg_u64(c, "apicv", "ipiv_cycles");
	p->ipiv_target = -1;
	for (unsigned i = 0; i < p->m->ncpus; i++)   /* by APIC ID, = vCPU index */
		p->pid_table[i] = FIELD_DP(0, PID_PTR, VALID, 1) | (PC_PID_HPA + (uint64_t)i * PID_SIZE);
	return 0;
}

static void cpu_init(struct pc_irq *p, unsigned i)
{
	struct pc_irq_cpu *c = &p->cpu[i];
	*c = (struct pc_irq_cpu){ .p = p, .id = i, .kick_at = UINT64_MAX };
	for (unsigned v = 0; v < APIC_NR_VECTORS; v++)
		c->pending_at[v] = UINT64_MAX;
	vapic_init(&c->va, &p->ctl);
	vapic_attach_page(&c->va, p->lapic[i].regs);
	c->va.pid = &c->pid;
	c->va.pi_nv = PI_NOTIFICATION_VECTOR;
	c->va.pid_table = p->pid_table;
	c->va.last_pid_index = (uint16_t)(p->m->ncpus - 1);
	c->va.pid_at = ipiv_pid_at;
	c->va.ctx = c;
	vapic_mode_sync(p, i);
	pi_vcpu_run(&c->pid, PI_NOTIFICATION_VECTOR, lapic_id(&p->lapic[i]), false);
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
	if (apicv_init(p, c) < 0)
		return -1;
	uint64_t bus = cfg_u64(c, "lapic", "bus_cycles");
	for (unsigned k = 0; k < PC_APIC_KINDS; k++)
		p->apic_cycles[k] = cfg_u64(c, "lapic", access_key[k]);
	p->exit_handler[PC_EXIT_EXTERNAL_INTERRUPT] = cfg_u64(c, "lapic", "kick_cycles");
	p->exit_handler[PC_EXIT_INTERRUPT_WINDOW] = cfg_u64(c, "lapic", "irq_window_cycles");
	p->exit_handler[PC_EXIT_PREEMPTION_TIMER] = cfg_u64(c, "lapic", "preemption_timer_cycles");
	p->exit_handler[PC_EXIT_APIC_ACCESS] = cfg_u64(c, "apicv", "apic_access_cycles");
	p->exit_handler[PC_EXIT_APIC_WRITE] = cfg_u64(c, "apicv", "apic_write_cycles");
	p->exit_handler[PC_EXIT_EOI_INDUCED] = cfg_u64(c, "apicv", "eoi_induced_cycles");
	static const struct { const char *sec, *key; size_t at; } scalars[] = {
		{ "lapic", "inject_cycles", offsetof(struct pc_irq, inject_cycles) },
		{ "lapic", "wakeup_cycles", offsetof(struct pc_irq, wakeup_cycles) },
		{ "lapic", "ipi_latency_cycles", offsetof(struct pc_irq, ipi_latency_cycles) },
		{ "kvm", "halt_poll_ns", offsetof(struct pc_irq, halt_poll_ns) },
		{ "kvm", "halt_poll_ns_grow", offsetof(struct pc_irq, poll_grow) },
		{ "kvm", "halt_poll_ns_grow_start", offsetof(struct pc_irq, poll_grow_start) },
		{ "kvm", "halt_poll_ns_shrink", offsetof(struct pc_irq, poll_shrink) },
		{ "cpu", "freq_mhz", offsetof(struct pc_irq, freq_mhz) },
	};
	for (unsigned k = 0; k < sizeof scalars / sizeof scalars[0]; k++)
		*(uint64_t *)((char *)p + scalars[k].at) = cfg_u64(c, scalars[k].sec, scalars[k].key);
	p->irq_window_exiting = cfg_bool(c, "lapic", "irq_window_exiting");
	for (unsigned i = 0; i < m->ncpus; i++) {
		lapic_init(&p->lapic[i], i, i == 0, bus);
		p->lapic[i].guest_errors = p->st_apic_errors;
		cpu_init(p, i);
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
