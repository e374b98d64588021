/* Replay of a KVM exit trace under designs: see traces/replay.h. */
#include <stdlib.h>
#include <string.h>

#include "apic/regs.h"
#include "core/err.h"
#include "mmu/ept.h"
#include "mmu/vmsa.h"
#include "traces/replay.h"

#define MAX_COMP 8		/* companion events kept per exit (the rest are not needed) */
#define REASON_CACHE 512	/* name addresses remembered by reason_id (power of two) */
#define SEEN_CAP 4096		/* MMIO pages remembered per vCPU (first touch under MMIO SPTE caching) */

/* Per vCPU, per design: the APIC-virtualization state the decisions read. */
struct dstate {
	struct vapic *va;
	const char *wake;	/* removed HLT/WFI: the exit its wake-up takes, charged at the next exit */
	cycles_t wake_cost;
	struct dirty *dl;	/* the vCPU's dirty logging (its PML log), made at its first fault */
	struct replay_decision v4;	/* GICv4 work of a blocking WFI, charged at the next exit */
};

struct rvcpu {
	int32_t id;			/* vCPU id, -1: exits with no vCPU */
	bool open;			/* a kvm_exit waits for its kvm_entry */
	struct trace_event ex;
	uint64_t exit_ts, blocked_ns;
	unsigned ncomp;
	struct trace_event comp[MAX_COMP];
	uint64_t last_ts, rec_ts;	/* timeline end; recorded exit time (ts units) */
	uint64_t *seen;			/* MMIO pages touched (page << 1 | 1), open addressing */
	unsigned nseen;
	struct replay_side src;		/* cyc[] in ts units until replay_finish */
	struct replay_side d[REPLAY_MAX_DESIGNS];
	struct dstate ds[REPLAY_MAX_DESIGNS];
};

struct replay {
	unsigned nd;
	replay_load_fn load;
	void *ctx;
	enum trace_arch arch;
	struct replay_design *des;
	unsigned nreasons;
	const char *reasons[REPLAY_MAX_REASONS];
	struct { const char *name; int id; } rcache[REASON_CACHE];	/* reason_id by the name's address */
	struct rvcpu **v;		/* [TRACE_MAX_VCPU + 1]: the last slot holds exits with no vCPU */
	unsigned nv;
	bool have_origin, ts_cycles, finished;
	uint64_t origin;
	uint64_t exit_lines, no_entry, no_vcpu;
	struct replay_side total_src, total[REPLAY_MAX_DESIGNS];
	uint64_t *vcyc;			/* after finish: [nv][nd + 1] cycles; [nv][0] recorded */
	int32_t pids[4096];		/* arm64: threads in order of appearance are the vCPUs */
	unsigned npids;
	struct pi_desc scratch_pid;	/* IPI virtualization posts here: only the exit decision matters */
	uint64_t pid_table[256];
};

/* ---- designs ---- */

/* KVM turns on "virtualize x2APIC mode" for a guest in x2APIC mode
 * (vmx_set_virtual_apic_mode) and passes the x2APIC MSRs APICv handles
 * through the MSR bitmap (vmx_update_msr_bitmap_x2apic): reads with
 * APIC-register virtualization, TPR/EOI/SELF IPI writes with virtual-interrupt
 * delivery, ICR writes with IPI virtualization; the TPR always (TPR shadow). */
static void x2apic_policy(struct replay_design *d)
{
	struct vmx_model *m = &d->vmx;
	if (!d->apicv.virtualize_x2apic)
		return;
	for (uint32_t msr = X2APIC_MSR_BASE; msr <= X2APIC_MSR_LAST; msr++)
		if (d->apicv.apic_register_virt)
			vmx_msr_intercept(m, msr, false, false);
	vmx_msr_intercept(m, X2APIC_MSR_BASE + APIC_TPR / 16, false, false);
	vmx_msr_intercept(m, X2APIC_MSR_BASE + APIC_TPR / 16, true, false);
	if (d->apicv.virtual_intr_delivery) {
		vmx_msr_intercept(m, X2APIC_MSR_BASE + APIC_EOI / 16, true, false);
		vmx_msr_intercept(m, X2APIC_MSR_BASE + APIC_SELF_IPI / 16, true, false);
	}
	if (d->apicv.ipi_virt)
		vmx_msr_intercept(m, X2APIC_MSR_BASE + APIC_ICR / 16, true, false);
}

/* The host ITS's callbacks (its->direct, its->doorbell): which way the MSI went. */
static void v4_direct(void *ctx, unsigned rd)
{
	(void)rd;
	((struct replay_design *)ctx)->v4_direct = true;
}

static void v4_doorbell(void *ctx, unsigned rd, uint32_t pintid, uint16_t vpeid)
{
	(void)rd, (void)pintid, (void)vpeid;
	((struct replay_design *)ctx)->v4_doorbell = true;
}

/* Every interrupt a trace shows as a VFIO device's is a passed-through
 * device's: KVM forwards its events (irqbypass, its_map_vlpi). */
static bool all_forwarded(void *ctx, uint32_t devid)
{
	(void)ctx, (void)devid;
	return true;
}

/* [gic] version 4 or 4.1: the hypervisor's GICv4, as gic/vgic.c builds it. */
static int v4_init(struct replay_design *d, const struct cfg *c)
{
	static const unsigned versions[] = { 0, 40, 41 };
	unsigned version = versions[cfg_enum(c, "gic", "version")];
	if (!version)
		return 0;
	d->v4 = calloc(1, sizeof *d->v4);
	d->v4_cpu = malloc(REPLAY_V4_EVENTS * sizeof *d->v4_cpu);
	if (!d->v4 || !d->v4_cpu)
		return err_set("out of memory");
	if (vgic_v4_init(d->v4, c, version, GIC_MAX_CPUS) < 0)
		return -1;
	memset(d->v4_cpu, 0xff, REPLAY_V4_EVENTS * sizeof *d->v4_cpu);
	d->v4->forwarded = all_forwarded;
	d->v4->hits.direct = v4_direct;
	d->v4->hits.doorbell = v4_doorbell;
	d->v4->hits.v4ctx = d;
	return 0;
}

void replay_design_fini(struct replay_design *d)
{
	if (d->v4)
		vgic_v4_fini(d->v4);
	free(d->v4);
	free(d->v4_cpu);
	d->v4 = NULL;
	d->v4_cpu = NULL;
}

/* [dirty] as the firmware path reads it (dirty_init refuses pml on arm64
 * and dbm on x86), the exit round trip being the design's world switch. */
static int dirty_design(struct replay_design *d, const struct cfg *c, cycles_t exit_cycles)
{
	struct dirty tmp;
	if (dirty_init(&tmp, c, d->arch == TRACE_ARCH_ARM64, exit_cycles, 0, 0, 0) < 0)
		return -1;
	d->dirty_mode = tmp.mode;
	d->dirty_cost = tmp.cost;
	dirty_free(&tmp);
	return 0;
}

int replay_design_init(struct replay_design *d, enum trace_arch arch, const struct cfg *c, const char *name)
{
	struct cost k;
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	d->arch = arch;
	d->freq_mhz = (double)cfg_u64(c, "cpu", "freq_mhz");
	if (arch == TRACE_ARCH_ARM64) {
		el2_init(&d->el2, c);
		for (unsigned x = 0; x < EL2X_COUNT; x++)
			for (unsigned u = 0; u < 2; u++)
				for (unsigned l = 0; l <= REPLAY_MAX_LRS; l++)
					d->el2_cost[x][u][l] = el2_exit_cost(&d->el2, x, u, l);
		el2_switch_parts(&d->el2, &k);
		if (dirty_design(d, c, cost_total(&k)) < 0 || v4_init(d, c) < 0) {
			replay_design_fini(d);
			return -1;
		}
		return 0;
	}
	vmx_init(&d->vmx, c);
	const struct vmx_model *m = &d->vmx;
	d->apicv = (struct vapic_controls){
		.use_tpr_shadow = vmx_primary(m) & CPU_BASED_TPR_SHADOW,
		.virtualize_apic_accesses = vmx_secondary(m) & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES,
		.virtualize_x2apic = vmx_primary(m) & CPU_BASED_TPR_SHADOW,
		.apic_register_virt = vmx_secondary(m) & SECONDARY_EXEC_APIC_REGISTER_VIRT,
		.virtual_intr_delivery = vmx_secondary(m) & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY,
		.posted_interrupts = vmx_pin(m) & PIN_BASED_POSTED_INTR,
		.ipi_virt = vmx_tertiary(m) & TERTIARY_EXEC_IPI_VIRT,
	};
	d->pi_nv = (uint8_t)vmcs_get(&m->vmcs, VMCS_POSTED_INTR_NV);
	x2apic_policy(d);
	d->irq_window_exiting = cfg_bool(c, "lapic", "irq_window_exiting");
	d->kick_cycles = cfg_u64(c, "lapic", "kick_cycles");
	d->window_cycles = cfg_u64(c, "lapic", "irq_window_cycles");
	d->timer = (enum apic_timer_design)cfg_enum(c, "lapic", "timer");
	d->preempt_cycles = cfg_u64(c, "lapic", "preemption_timer_cycles");
	d->pi_notify_cycles = cfg_u64(c, "apicv", "pi_notify_cycles");
	d->apic_access_cycles = cfg_u64(c, "apicv", "apic_access_cycles");
	d->apic_write_cycles = cfg_u64(c, "apicv", "apic_write_cycles");
	d->eoi_induced_cycles = cfg_u64(c, "apicv", "eoi_induced_cycles");
	for (unsigned x = 0; x < VMXX_COUNT; x++)
		for (unsigned u = 0; u < 2; u++)
			d->vmx_cost[x][u] = vmx_exit_cost(&d->vmx, x, u);
	for (unsigned r = 0; r < VMX_NR_EXIT_REASONS; r++)
		d->vmx_class[r] = (uint8_t)vmx_exit_class(r);
	vmx_switch_parts(&d->vmx, &k);
	d->switch_cost = cost_total(&k);
	return dirty_design(d, c, d->switch_cost);
}

/* ---- decisions ---- */

struct dctx {
	const struct replay_design *d;
	struct dstate *ds;
	struct rvcpu *v;	/* MMIO pages seen; NULL: every page is a first touch */
	int32_t vcpu;		/* the exit's vCPU, -1 unknown */
	const struct trace_event *ex, *comp;
	unsigned ncomp;
	struct replay_decision *out;
};

static const struct trace_event *companion(const struct dctx *c, enum trace_kind k)
{
	for (unsigned i = 0; i < c->ncomp; i++)
		if (c->comp[i].kind == k)
			return &c->comp[i];
	return NULL;
}

/* The exit went on to the userspace VMM: kvm_userspace_exit before the
 * entry; arm64 kernels without it: an MMIO read left unsatisfied. */
static bool to_user(const struct dctx *c)
{
	if (companion(c, TEV_USERSPACE_EXIT))
		return true;
	const struct trace_event *m = companion(c, TEV_MMIO);
	return m && m->u.mmio.type == 0;
}

/* A decision with nothing in it, field by field: as one struct store it is
 * a `rep stos`, which costs more than the rest of a simple exit's decision. */
static inline void decision_clear(struct replay_decision *o)
{
	o->outcome = RO_KEPT;
	o->reason = o->cause = o->wake = o->added = NULL;
	o->cost = o->added_cost = o->extra = o->hyp_cycles = 0;
	o->nadded = o->residency = 0;
	o->doorbell = false;
}

/* The outcome (the decision was cleared before: the other fields are 0). */
static void outcome(struct dctx *c, enum replay_outcome k, const char *reason, cycles_t cost, const char *cause)
{
	c->out->outcome = k;
	c->out->reason = reason;
	c->out->cost = cost;
	c->out->cause = cause;
}

static void kept(struct dctx *c, const char *reason, cycles_t cost, const char *cause)
{
	outcome(c, RO_KEPT, reason, cost, cause);
}

static void removed(struct dctx *c, const char *cause)
{
	outcome(c, RO_REMOVED, NULL, 0, cause);
}

/* Kept with its recorded reason (already decided so by the caller): the
 * decision needs an event the trace lacks. */
static void undecided(struct dctx *c, const char *what)
{
	c->out->outcome = RO_UNDECIDABLE;
	c->out->cause = what;
}

/* x86 */
static cycles_t vmx_cost(const struct replay_design *d, enum vmx_exit x, bool user)
{
	return x < VMXX_COUNT ? d->vmx_cost[x][user] : vmx_exit_cost(&d->vmx, x, user);
}

/* An exit the accounted classes do not cover: the world switch plus a [lapic] handler. */
static cycles_t switch_plus(const struct replay_design *d, cycles_t handler)
{
	return d->switch_cost + handler;
}

static void x86_by_class(struct dctx *c, unsigned reason, const char *cause)
{
	enum vmx_exit x = reason < VMX_NR_EXIT_REASONS ? (enum vmx_exit)c->d->vmx_class[reason] : VMXX_COUNT;
	kept(c, vmx_reason_name(reason), vmx_cost(c->d, x, to_user(c)), cause);
}

/* One event to vmx_decide: kept under its class, or removed. */
static void x86_event(struct dctx *c, const struct vmx_event *e, const char *wake)
{
	struct vmx_exit_info xi;
	if (!vmx_decide(&c->d->vmx, e, &xi)) {
		removed(c, xi.cause);
		c->out->wake = wake;
		return;
	}
	x86_by_class(c, xi.reason, xi.cause);
}

static struct vapic *vapic_of(struct dctx *c, bool x2apic)
{
	struct dstate *s = c->ds;
	if (!s->va) {
		s->va = calloc(1, sizeof *s->va);
		if (!s->va)
			return NULL;
		vapic_init(s->va, &c->d->apicv);
		s->va->pi_nv = c->d->pi_nv;
	}
	s->va->x2apic = x2apic;
	return s->va;
}

/* The world switch and the [apicv] handler of an APICv exit, as the
 * firmware path charges it (platform/pc_irq.c); the register's own [lapic]
 * emulation follows the exit there, in the time the trace shows as the
 * guest's. */
static cycles_t apicv_exit_cost(const struct replay_design *d, unsigned reason)
{
	return switch_plus(d, reason == EXIT_REASON_EOI_INDUCED ? d->eoi_induced_cycles
			      : reason == EXIT_REASON_APIC_ACCESS ? d->apic_access_cycles : d->apic_write_cycles);
}

/* An APIC-virtualization outcome: removed (done by the processor, or #GP
 * without an exit), an APIC exit, or not virtualized (-> *go_on). */
static bool vapic_outcome(struct dctx *c, const struct vapic_result *r)
{
	switch (r->outcome) {
	case VAPIC_VIRTUALIZED: removed(c, "APIC virtualization"); return true;
	case VAPIC_GP: removed(c, "APIC virtualization: #GP in the guest"); return true;
	case VAPIC_EXIT:
		kept(c, vmx_reason_name((unsigned)r->exit_reason), apicv_exit_cost(c->d, (unsigned)r->exit_reason),
		     "APIC virtualization");
		return true;
	default: return false;
	}
}

static void x86_msr(struct dctx *c, bool write)
{
	const struct trace_event *m = companion(c, TEV_MSR);
	unsigned reason = write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ;
	if (!m) {
		x86_by_class(c, reason, NULL);
		undecided(c, "no kvm_msr");
		return;
	}
	struct vmx_event e = { .kind = write ? VMX_EV_MSR_WRITE : VMX_EV_MSR_READ, .msr.msr = m->u.msr.index };
	struct vmx_exit_info xi;
	if (!vmx_decide(&c->d->vmx, &e, &xi))
		return removed(c, xi.cause);
	uint32_t i = m->u.msr.index;
	if (i >= X2APIC_MSR_BASE && i <= X2APIC_MSR_LAST && c->d->apicv.virtualize_x2apic) {
		struct vapic *va = vapic_of(c, true);
		if (va) {
			struct vapic_result r = write ? vapic_wrmsr(va, i, m->u.msr.value) : vapic_rdmsr(va, i);
			if (vapic_outcome(c, &r))
				return;
		}
	}
	x86_by_class(c, xi.reason, xi.cause);
	if (write && vmx_msr_fastpath(i, m->u.msr.value)) {   /* KVM's fastpath handler */
		struct cost k;
		vmx_exit_parts(&c->d->vmx, VMXX_MSR_WRITE, false, &k);
		vmx_fastpath_parts(&c->d->vmx, &k);
		c->out->cost = cost_total(&k);
	}
}

/* I/O qualification (SDM Table 28-5): size-1 [2:0], IN [3], string [4],
 * REP [5], immediate [6], port [31:16]. */
static void x86_io(struct dctx *c)
{
	const struct trace_event *p = companion(c, TEV_PIO);
	struct vmx_event e = { .kind = VMX_EV_IO };
	uint64_t q = c->ex->u.x86.info1;
	if (c->ex->u.x86.have & TX_INFO) {
		e.io.port = (uint16_t)(q >> 16);
		e.io.size = (uint8_t)((q & 7) + 1);
		e.io.in = q >> 3 & 1;
		e.io.string = q >> 4 & 1;
		e.io.rep = q >> 5 & 1;
		e.io.imm = q >> 6 & 1;
	} else if (p) {
		e.io.port = (uint16_t)p->u.pio.port;
		e.io.size = (uint8_t)p->u.pio.size;
		e.io.in = !p->u.pio.write;
	} else {
		x86_by_class(c, EXIT_REASON_IO_INSTRUCTION, NULL);
		undecided(c, "no qualification or kvm_pio");
		return;
	}
	x86_event(c, &e, NULL);
}

/* First touch of (vCPU, page)?  Remembered in a bounded table; -1 when full. */
static int first_touch(struct rvcpu *v, uint64_t page)
{
	if (!v)
		return 1;
	if (!v->seen && !(v->seen = calloc(SEEN_CAP, sizeof *v->seen)))
		return -1;
	uint64_t key = page << 1 | 1;
	for (unsigned j = (unsigned)(page * 0x9E3779B97F4A7C15ULL >> 52) & (SEEN_CAP - 1);; j = (j + 1) & (SEEN_CAP - 1)) {
		if (v->seen[j] == key)
			return 0;
		if (!v->seen[j]) {
			if (v->nseen == SEEN_CAP - 1)
				return -1;
			v->seen[j] = key;
			v->nseen++;
			return 1;
		}
	}
}

/* An access to MMIO at gpa: the APIC-access page under APIC
 * virtualization (SDM 30.4), else KVM's MMIO SPTEs: the first access to a
 * page per vCPU is an EPT violation, later ones EPT misconfigurations. */
static void mmio_at(struct dctx *c, uint64_t gpa, unsigned len, bool write, uint64_t value)
{
	if (c->d->apicv.virtualize_apic_accesses && gpa >> 12 == APIC_DEFAULT_BASE >> 12) {
		struct vapic *va = vapic_of(c, false);
		unsigned off = gpa & 0xfff;
		if (va) {
			struct vapic_result r = write ? vapic_mmio_write(va, off, len ? len : 4, value)
						      : vapic_mmio_read(va, off, len ? len : 4, false);
			if (vapic_outcome(c, &r))
				return;
		}
	}
	int first = c->d->vmx.mmio_spte_cache ? first_touch(c->v, gpa >> 12) : 1;
	unsigned reason = c->ex->u.x86.reason;
	if (first < 0) {
		x86_by_class(c, reason, NULL);
		undecided(c, "too many MMIO pages");
		return;
	}
	x86_by_class(c, first ? EXIT_REASON_EPT_VIOLATION : EXIT_REASON_EPT_MISCONFIG,
		     first ? "MMIO: no SPTE yet" : "MMIO SPTE");
}

/* ---- dirty logging (mmu/dirty.h): write-protection faults, PML, DBM ----
 * A fault is one of dirty logging's write protection (WPF_DIRTY) only when
 * the trace says so; a write to a read-only page alone may be one, or a
 * write to a page the host maps read-only (copy-on-write, KSM, a read-
 * only memslot without MMIO), which exits under every design. */
enum wpf {
	WPF_NONE,	/* not a write to a present, read-only page: a memory fault */
	WPF_DIRTY,	/* dirty logging's write protection of a 4K page */
	WPF_SLOW,	/* a write to a read-only page KVM's fast path did not fix */
	WPF_UNKNOWN,	/* a write to a read-only page, with nothing that says why */
	WPF_NOINFO,	/* no qualification or ESR */
};

static struct dirty *dirty_of(struct dctx *c)
{
	struct dstate *s = c->ds;
	if (!s->dl && (s->dl = malloc(sizeof *s->dl)) &&
	    dirty_init_costs(s->dl, c->d->dirty_mode, &c->d->dirty_cost, 1, 0, 0) < 0) {
		free(s->dl);
		s->dl = NULL;
	}
	return s->dl;
}

static void dirty_fini(struct dstate *s)
{
	if (s->dl)
		dirty_free(s->dl);
	free(s->dl);
	s->dl = NULL;
}

/* What the design's dirty logging makes of the fault: WP keeps it (as
 * dirty_write charges a write-protection fault), PML logs the write (and
 * exits PML_FULL when the log is full), DBM sets the stage-2 dirty state,
 * off has no write protection.  Faults that are not known to be dirty
 * logging's are kept, costed as their exit class (class_cost). */
static void dirty_fault(struct dctx *c, enum wpf k, uint64_t gpa, const char *reason, cycles_t class_cost)
{
	enum dirty_mode m = c->d->dirty_mode;
	struct dirty *dl;
	bool exited;
	if (k == WPF_NONE)
		return kept(c, reason, class_cost, "memory fault (not a write to a read-only page)");
	if (k == WPF_DIRTY && m == DIRTY_OFF)
		return removed(c, "[dirty] mode off: no write protection");
	if (k != WPF_DIRTY || !(dl = dirty_of(c))) {
		kept(c, reason, class_cost, "exits whatever made the page read-only");
		if (m != DIRTY_WP && !(m == DIRTY_PML && k == WPF_SLOW))
			undecided(c, k == WPF_NOINFO ? "no qualification or ESR (kvm_page_fault, kvm_guest_fault)"
				  : k == WPF_DIRTY ? "out of memory"
				  : "a write to a read-only page: dirty logging or not, the trace does not say");
		return;
	}
	cycles_t cyc = dirty_first_write(dl, 0, gpa, &exited);
	if (m == DIRTY_WP)
		return kept(c, reason, cyc, "[dirty] mode wp: write-protection fault");
	removed(c, m == DIRTY_PML ? "[dirty] mode pml: the processor logs the write" : "[dirty] mode dbm: the write sets the stage-2 dirty state");
	if (exited) {   /* the log was full: a PML-full exit (its drain in cyc) */
		c->out->added = vmx_reason_name(EXIT_REASON_PML_FULL);
		c->out->nadded = 1;
		c->out->added_cost = cyc;
	}
}

/* KVM drains the vCPU's PML log at every VM exit (vmx_flush_pml_buffer), as
 * the firmware path does (xlate_exit_hook). */
static void pml_drain_at_exit(struct dctx *c)
{
	if (c->d->dirty_mode == DIRTY_PML && c->ds->dl && c->out->outcome != RO_REMOVED)
		c->out->extra += dirty_pml_drain(c->ds->dl, 0);
}

/* x86 EPT_VIOLATION that is no MMIO access.  The qualification (info1, or
 * kvm_page_fault's error_code, which VMX fills with it; SDM Vol. 3C Table
 * 28-7): a data write [1] to an entry readable [3] and not writable [4].
 * kvmmmu:fast_page_fault then says why: KVM's fast path makes writable
 * without mmu_lock only a 4K SPTE it write-protected for dirty logging
 * (MMU-writable; not an access-tracked one, which is not readable), so
 * "fixed 1" with old R, not W and new W is dirty logging's fault. */
static enum wpf x86_wp_kind(const struct dctx *c)
{
	const struct trace_event *pf = companion(c, TEV_PAGE_FAULT), *fp = companion(c, TEV_FAST_PAGE_FAULT);
	uint64_t q;
	if (c->ex->u.x86.have & TX_INFO)
		q = c->ex->u.x86.info1;
	else if (pf)
		q = pf->u.pf.error_code;
	else
		return WPF_NOINFO;
	if (!FIELD_EX(q, EPTQ, WRITE) || (FIELD_EX(q, EPTQ, RWX) & 3) != 1)
		return WPF_NONE;
	if (!fp)
		return WPF_UNKNOWN;
	uint64_t old = fp->u.fpf.old_spte, new = fp->u.fpf.new_spte;
	if (fp->u.fpf.fixed)   /* else: an access-tracked SPTE restored, not dirty logging */
		return (fp->u.fpf.error_code & 2) && FIELD_EX(old, EPTE, R) && !FIELD_EX(old, EPTE, W) &&
		       FIELD_EX(new, EPTE, W) ? WPF_DIRTY : WPF_NONE;
	return fp->u.fpf.spurious ? WPF_UNKNOWN : WPF_SLOW;
}

static void x86_mem_fault(struct dctx *c)
{
	const struct trace_event *pf = companion(c, TEV_PAGE_FAULT), *fp = companion(c, TEV_FAST_PAGE_FAULT);
	uint64_t gpa = pf ? pf->u.pf.address : fp ? fp->u.fpf.gpa : 0;
	dirty_fault(c, x86_wp_kind(c), gpa, vmx_reason_name(EXIT_REASON_EPT_VIOLATION),
		    vmx_cost(c->d, VMXX_EPT_VIOLATION, false));
}

/* A recorded PML_FULL: the log held 512 GPAs (SDM 29.3.6: the exit comes
 * at the attempt to log a 513th), each a write that set an EPT dirty flag
 * since KVM's drain at the vCPU's previous exit, so a write that write
 * protection, re-armed where PML clears dirty flags, would have trapped.
 * Exact; the entries KVM drained at other exits are in no event. */
static void x86_pml_full(struct dctx *c)
{
	enum dirty_mode m = c->d->dirty_mode;
	struct dirty *dl = dirty_of(c);
	const char *name = vmx_reason_name(EXIT_REASON_PML_FULL);
	if (m == DIRTY_OFF)
		return removed(c, "[dirty] mode off: no dirty logging");
	if (!dl) {
		kept(c, name, c->d->switch_cost, NULL);
		return undecided(c, "out of memory");
	}
	if (m == DIRTY_PML)
		return kept(c, name, dirty_exit_cycles(dl), "[dirty] mode pml: PML-full exit");
	cycles_t cyc = 0;
	for (unsigned i = 0; i < PML_ENTRIES; i++)
		cyc += dirty_first_write(dl, 0, 0, NULL);
	removed(c, "[dirty] mode wp: each of the full log's 512 writes faults instead");
	c->out->added = vmx_reason_name(EXIT_REASON_EPT_VIOLATION);
	c->out->nadded = PML_ENTRIES;
	c->out->added_cost = cyc;
}

/* MMIO (EPT_VIOLATION/EPT_MISCONFIG with a kvm_mmio): the APIC-access page
 * under APIC virtualization, else KVM's MMIO SPTEs: the first access to a
 * page per vCPU is an EPT violation, later ones EPT misconfigurations. */
static void x86_mmio(struct dctx *c)
{
	const struct trace_event *m = companion(c, TEV_MMIO);
	unsigned reason = c->ex->u.x86.reason;
	if (!m) {
		if (reason == EXIT_REASON_EPT_VIOLATION && !companion(c, TEV_USERSPACE_EXIT))
			return x86_mem_fault(c);
		x86_by_class(c, reason, NULL);
		undecided(c, "no kvm_mmio");
		return;
	}
	mmio_at(c, m->u.mmio.gpa, m->u.mmio.len, m->u.mmio.type == 2, m->u.mmio.value);
}

/* An APICv host's APIC_ACCESS (qualification: offset [11:0], access type
 * [15:12], Table 28-6) is an access to the APIC page: decided again as one. */
static void x86_apic_access(struct dctx *c)
{
	uint64_t q = c->ex->u.x86.info1;
	unsigned type = (unsigned)(q >> 12 & 15);
	const struct trace_event *a = companion(c, TEV_APIC);
	if (!(c->ex->u.x86.have & TX_INFO) || type > VMX_APIC_LINEAR_WRITE) {
		kept(c, vmx_reason_name(EXIT_REASON_APIC_ACCESS), apicv_exit_cost(c->d, EXIT_REASON_APIC_ACCESS), NULL);
		return undecided(c, "no linear-access qualification");
	}
	mmio_at(c, APIC_DEFAULT_BASE | (q & 0xfff), 4, type == VMX_APIC_LINEAR_WRITE, a ? a->u.apic.value : 0);
}

/* APIC_WRITE and EOI_INDUCED follow an access APICv completed: kept under a
 * design with virtual-interrupt delivery; without, the access itself
 * would exit, as an MSR or MMIO access the trace does not say. */
static void x86_apicv_exit(struct dctx *c, unsigned reason)
{
	kept(c, vmx_reason_name(reason), apicv_exit_cost(c->d, reason), "virtual-interrupt delivery");
	if (!c->d->apicv.virtual_intr_delivery)
		undecided(c, "xAPIC or x2APIC access: the trace does not say");
}

/* The guest's LAPIC timer expired while it ran (an EXTERNAL_INTERRUPT of
 * the host timer, or a PREEMPTION_TIMER exit, with the LVTT vector accepted
 * before the entry): what the design's timer does instead, by
 * apic_timer_expiry, as the firmware path (platform/pc_irq.c) decides it. */
static void x86_timer(struct dctx *c)
{
	struct apic_timer_expiry e = apic_timer_expiry(c->d->timer, true);
	const char *cause = apic_timer_design_name(c->d->timer);
	if (e.exit_reason < 0) {
		removed(c, "LAPIC timer posted by a housekeeping CPU (exitless timer)");
		c->out->cost = e.posted ? c->d->pi_notify_cycles : 0;
		return;
	}
	if (e.exit_reason == APIC_EXIT_PREEMPTION_TIMER)
		return kept(c, vmx_reason_name(EXIT_REASON_PREEMPTION_TIMER), switch_plus(c->d, c->d->preempt_cycles),
			    cause);
	kept(c, vmx_reason_name(EXIT_REASON_EXTERNAL_INTERRUPT), switch_plus(c->d, c->d->kick_cycles), cause);
}

/* Host vectors (arch/x86/include/asm/irq_vectors.h): the host timer interrupt. */
#define LOCAL_TIMER_VECTOR 0xec

/* A timer interrupt for the guest's LAPIC timer: the host timer's vector
 * with the guest's timer vector accepted before the entry.  Host timer
 * ticks without it exit under every design. */
static bool is_lapic_timer(const struct dctx *c)
{
	const struct trace_x86_exit *x = &c->ex->u.x86;
	return (x->intr_info >> 31) && (uint8_t)x->intr_info == LOCAL_TIMER_VECTOR && companion(c, TEV_APIC_ACCEPT_IRQ);
}

static void x86_ext_intr(struct dctx *c)
{
	const struct trace_x86_exit *x = &c->ex->u.x86;
	uint8_t vec = (uint8_t)x->intr_info;
	if (is_lapic_timer(c))
		return x86_timer(c);
	if (c->d->apicv.posted_interrupts && (x->intr_info >> 31) && vec == c->d->pi_nv)
		return removed(c, "posted-interrupt notification processed by the processor");
	struct vmx_event e = { .kind = VMX_EV_EXT_INTR, .intr.vector = vec };
	struct vmx_exit_info xi;
	if (!vmx_decide(&c->d->vmx, &e, &xi))
		return removed(c, xi.cause);
	kept(c, vmx_reason_name(EXIT_REASON_EXTERNAL_INTERRUPT), switch_plus(c->d, c->d->kick_cycles), xi.cause);
}

/* Instructions that one control decides (or none): reason -> event kind + 1.
 * Not PAUSE: KVM's PAUSE exits come from PAUSE-loop exiting, not modelled. */
static const uint8_t x86_insn_kind[] = {
	[EXIT_REASON_CPUID] = VMX_EV_CPUID + 1, [EXIT_REASON_HLT] = VMX_EV_HLT + 1, [EXIT_REASON_INVD] = VMX_EV_INVD + 1,
	[EXIT_REASON_INVLPG] = VMX_EV_INVLPG + 1, [EXIT_REASON_RDPMC] = VMX_EV_RDPMC + 1,
	[EXIT_REASON_RDTSC] = VMX_EV_RDTSC + 1, [EXIT_REASON_VMCALL] = VMX_EV_VMCALL + 1,
	[EXIT_REASON_MWAIT_INSTRUCTION] = VMX_EV_MWAIT + 1, [EXIT_REASON_MONITOR_INSTRUCTION] = VMX_EV_MONITOR + 1,
	[EXIT_REASON_WBINVD] = VMX_EV_WBINVD + 1, [EXIT_REASON_XSETBV] = VMX_EV_XSETBV + 1,
	[EXIT_REASON_RDRAND] = VMX_EV_RDRAND + 1, [EXIT_REASON_RDSEED] = VMX_EV_RDSEED + 1,
	[EXIT_REASON_INVPCID] = VMX_EV_INVPCID + 1, [EXIT_REASON_RDTSCP] = VMX_EV_RDTSCP + 1,
	[EXIT_REASON_TRIPLE_FAULT] = VMX_EV_TRIPLE_FAULT + 1,
};

static void x86_decide(struct dctx *c)
{
	const struct trace_x86_exit *x = &c->ex->u.x86;
	if (!x->svm && !x->failed_vmentry && !x->unknown) {
		if (x->reason < sizeof x86_insn_kind && x86_insn_kind[x->reason]) {
			struct vmx_event e = { .kind = (enum vmx_event_kind)(x86_insn_kind[x->reason] - 1) };
			/* HLT no longer exiting: the interrupt that ends it exits instead */
			x86_event(c, &e, e.kind == VMX_EV_HLT ? vmx_reason_name(EXIT_REASON_EXTERNAL_INTERRUPT) : NULL);
			return;
		}
		switch (x->reason) {
		case EXIT_REASON_IO_INSTRUCTION: return x86_io(c);
		case EXIT_REASON_MSR_READ: return x86_msr(c, false);
		case EXIT_REASON_MSR_WRITE: return x86_msr(c, true);
		case EXIT_REASON_EPT_VIOLATION:
		case EXIT_REASON_EPT_MISCONFIG: return x86_mmio(c);
		case EXIT_REASON_EXTERNAL_INTERRUPT: return x86_ext_intr(c);
		case EXIT_REASON_PML_FULL: return x86_pml_full(c);
		case EXIT_REASON_PREEMPTION_TIMER:
			if (companion(c, TEV_APIC_ACCEPT_IRQ))
				return x86_timer(c);
			kept(c, vmx_reason_name(x->reason), switch_plus(c->d, c->d->preempt_cycles), NULL);
			return undecided(c, "no kvm_apic_accept_irq: the preemption timer did not expire for the LAPIC");
		case EXIT_REASON_APIC_ACCESS: return x86_apic_access(c);
		case EXIT_REASON_APIC_WRITE:
		case EXIT_REASON_EOI_INDUCED: return x86_apicv_exit(c, x->reason);
		case EXIT_REASON_INTERRUPT_WINDOW:
			if (!c->d->irq_window_exiting)
				return removed(c, "[lapic] irq_window_exiting off");
			return kept(c, vmx_reason_name(x->reason), switch_plus(c->d, c->d->window_cycles),
				    "[lapic] irq_window_exiting");
		}
	}
	outcome(c, RO_UNMODELLED, NULL, 0, "no model decides this reason");
}

/* arm64 */
static enum el2_exit el2_class_of_ec(uint32_t ec)
{
	for (unsigned x = 0; x < EL2X_COUNT; x++)
		if (x != EL2X_IRQ && el2_exit_ec(x) == ec)
			return x;
	return EL2X_COUNT;
}

/* List registers in use while the guest ran: hvsim's export notes them;
 * a KVM trace does not say (0: the vGIC part of the switch is not charged).
 * Under GICv4 a passed-through device's LPIs are vLPIs and take none. */
static unsigned lrs_of(const struct dctx *c)
{
	const struct trace_event *m = companion(c, TEV_MARK);
	if (!m || !m->u.mark.has_lrs)
		return 0;
	return m->u.mark.lrs - (c->d->v4 ? m->u.mark.device_lrs : 0);
}

static cycles_t arm_cost(const struct replay_design *d, enum el2_exit x, bool user, unsigned lrs)
{
	return lrs <= REPLAY_MAX_LRS ? d->el2_cost[x][user][lrs] : el2_exit_cost(&d->el2, x, user, lrs);
}

static void arm_kept(struct dctx *c, enum el2_exit x, const char *cause)
{
	kept(c, el2_exit_name(x), arm_cost(c->d, x, to_user(c), lrs_of(c)), cause);
}

/* The device's MSI (host IRQ irq: DeviceID << 8 | EventID) through the
 * host ITS model as the firmware path sends it (vgic_v4_guest_its maps the
 * event to cpu's vPE once, vgic_v4_msi): d->v4_direct or d->v4_doorbell
 * says which way it went.  Returns its vINTID. */
static uint32_t v4_send(struct replay_design *d, unsigned cpu, uint32_t irq)
{
	unsigned key = irq % REPLAY_V4_EVENTS;
	uint32_t devid = key >> VGIC_V4_EVENT_BITS, event = key & ((1u << VGIC_V4_EVENT_BITS) - 1);
	uint32_t vintid = GIC_LPI_BASE + key;
	if (d->v4_cpu[key] != (int16_t)cpu) {
		vgic_v4_guest_its(d->v4, d->v4_cpu[key] < 0 ? ITS_MAP_EVENT : ITS_MOVE_EVENT, devid, event, vintid, cpu,
				  0xa0, true);
		d->v4_cpu[key] = (int16_t)cpu;
	}
	d->v4_direct = d->v4_doorbell = false;
	vgic_v4_msi(d->v4, devid, event, 0);
	vgic_v4_take_cycles(d->v4);	/* the host's mapping work is not the vCPU's time */
	return vintid;
}

static bool v4_cpu_ok(const struct dctx *c) { return c->vcpu >= 0 && (unsigned)c->vcpu < GIC_MAX_CPUS; }

/* A passed-through device's MSI that interrupted the running vCPU (an IRQ
 * exit with the VFIO handler: KVM then injects the LPI through a list
 * register).  Under GICv4 the MSI goes to the host ITS as a vLPI, through
 * the model the firmware path uses (vgic_v4_guest_its, vgic_v4_load,
 * vgic_v4_msi): to the resident vPE directly, no exit, no list register. */
static void arm_device_msi(struct dctx *c, const struct trace_event *h)
{
	struct replay_design *d = (struct replay_design *)c->d;	/* the host ITS's state moves */
	if (!d->v4)
		return arm_kept(c, EL2X_IRQ, "device MSI: injected through a list register (GICv3)");
	if (!v4_cpu_ok(c)) {
		arm_kept(c, EL2X_IRQ, NULL);
		return undecided(c, "no vCPU for the device's MSI");
	}
	unsigned cpu = (unsigned)c->vcpu;
	vgic_v4_load(d->v4, cpu);	/* the exit shows the vCPU ran: its vPE was resident */
	uint32_t vintid = v4_send(d, cpu, h->u.irqh.irq);
	if (d->v4_direct) {
		its_v4_acknowledge(&d->v4->hits, cpu, vintid);	/* the guest takes it */
		return removed(c, "GICv4: vLPI to the resident vPE (no exit, no list register)");
	}
	arm_kept(c, EL2X_IRQ, d->v4_doorbell ? "GICv4 doorbell" : NULL);
	if (!d->v4_doorbell)
		undecided(c, "the host ITS did not take the MSI");
}

/* arm64 DABT_LOW that is no MMIO access: kvm_guest_fault's ESR (ARM ARM
 * D17.2.40, ISS of a data abort): DFSC a permission fault (0b0011LL) of a
 * write (WnR; a stage-1 walk's S1PTW, which KVM takes as a write).  No
 * arm64 event says why the page was read-only but kvm_dirty_ring_push:
 * the fault put the page on the vCPU's dirty ring (a VMM that logs with
 * the ring; with the bitmap nothing is traced).  CM (a cache maintenance
 * instruction) is left undecided. */
static enum wpf arm_wp_kind(const struct dctx *c)
{
	const struct trace_event *g = companion(c, TEV_GUEST_FAULT);
	if (!g)
		return WPF_NOINFO;
	uint64_t esr = g->u.gfault.esr;
	bool perm = (FIELD_EX(esr, VMSA_ISS, FSC) & 0x3c) == 0x0c;
	bool write = FIELD_EX(esr, VMSA_ISS, WNR) || FIELD_EX(esr, VMSA_ISS, S1PTW);
	if (ESR_EC(esr) != EC_DABT_LOW || !perm || !write)
		return WPF_NONE;
	return companion(c, TEV_DIRTY_RING_PUSH) && !FIELD_EX(esr, VMSA_ISS, CM) ? WPF_DIRTY : WPF_UNKNOWN;
}

static void arm_mem_fault(struct dctx *c)
{
	const struct trace_event *g = companion(c, TEV_GUEST_FAULT);
	dirty_fault(c, arm_wp_kind(c), g ? g->u.gfault.ipa : 0, el2_exit_name(EL2X_DABT_LOW),
		    arm_cost(c->d, EL2X_DABT_LOW, false, lrs_of(c)));
}

/* A WFI that blocks in the hypervisor under GICv4 (kvm_vcpu_wfi): the vPE
 * is made non-resident with its doorbell armed (vgic_v4_put:
 * GICR_VPENDBASER.Valid = 0) and resident again when the vCPU next runs
 * (vgic_v4_load), [gic] residency_cycles each, as platform/virt_irq.c
 * charges them.  A device MSI the trace shows in the meantime (h) finds the
 * vPE not resident: the host ITS rings the doorbell, whose host handler
 * wakes the vCPU ([gic] doorbell_cycles): an added event, not a VM exit. */
static void arm_wfi_v4(struct dctx *c, const struct trace_event *h)
{
	struct replay_design *d = (struct replay_design *)c->d;
	if (!d->v4 || !v4_cpu_ok(c))
		return;
	unsigned cpu = (unsigned)c->vcpu;
	struct replay_decision *o = c->out;
	o->residency += d->v4->resident[cpu];
	o->hyp_cycles = vgic_v4_put(d->v4, cpu, true);
	uint32_t vintid = h ? v4_send(d, cpu, h->u.irqh.irq) : 0;
	if (h && d->v4_doorbell) {
		o->doorbell = true;
		o->hyp_cycles += d->v4->cost.doorbell;
	}
	o->residency += !d->v4->resident[cpu];
	o->hyp_cycles += vgic_v4_load(d->v4, cpu);
	if (h && (d->v4_doorbell || d->v4_direct))
		its_v4_acknowledge(&d->v4->hits, cpu, vintid);	/* taken once the vCPU runs */
}

/* The VFIO handler of a passed-through device's MSI in the vCPU's thread
 * while its WFx exit is open: the MSI arrived while the vCPU waited. */
static const struct trace_event *blocked_msi(const struct dctx *c)
{
	const struct trace_event *h = companion(c, TEV_IRQ_HANDLER);
	return h && h->u.irqh.vfio ? h : NULL;
}

static void arm_wfx(struct dctx *c, const struct trace_event *e)
{
	const struct trace_event *h = blocked_msi(c);
	if (e->u.wfx.wfe)
		return arm_kept(c, EL2X_WFX, "WFE (as recorded)");
	if (el2_traps_wfi(&c->d->el2)) {
		arm_kept(c, EL2X_WFX, "HCR_EL2.TWI");
		return arm_wfi_v4(c, h);
	}
	removed(c, "HCR_EL2.TWI clear: WFI waits in the guest");
	struct replay_design *d = (struct replay_design *)c->d;
	if (h && d->v4 && v4_cpu_ok(c)) {	/* the vPE stays resident: the vLPI wakes the WFI, no exit */
		uint32_t vintid = v4_send(d, (unsigned)c->vcpu, h->u.irqh.irq);
		if (d->v4_direct) {
			its_v4_acknowledge(&d->v4->hits, (unsigned)c->vcpu, vintid);
			return;
		}
	}
	c->out->wake = el2_exit_name(EL2X_IRQ);
}

/* ICC_SGI1R_EL1 (3,0,12,11,5), IHI 0069H 12.2.21 */
static bool is_sgi1r(const struct trace_event *e)
{
	return e->u.sys.op0 == 3 && e->u.sys.op1 == 0 && e->u.sys.crn == 12 && e->u.sys.crm == 11 && e->u.sys.op2 == 5;
}

/* A trapped ICC_SGI1R_EL1 write still traps under GICv4.1 (HCR_EL2.IMO:
 * SGI generation has no virtual CPU interface form); whether KVM then
 * makes it a vSGI (GITS_SGIR, only once the guest set GICD_CTLR.nASSGIreq)
 * and for which targets (the value written, which kvm_sys_access does not
 * print) the trace does not say, nor does any KVM event on the target's
 * side name the SGI (vgic_update_irq_pending is not traced for SGIs). */
static void arm_sgi1r(struct dctx *c)
{
	arm_kept(c, EL2X_SYS64, "trapped system register");
	if (c->d->v4 && c->d->v4->version >= 41)
		undecided(c, "GICv4.1: a vSGI? (the guest's nASSGIreq, the targets: not in the trace)");
}

static void arm_decide(struct dctx *c)
{
	const struct trace_arm_exit *a = &c->ex->u.arm;
	const struct el2_model *m = &c->d->el2;
	const struct trace_event *h = companion(c, TEV_IRQ_HANDLER);
	if (a->type == TRACE_ARM_IRQ && h && h->u.irqh.vfio)
		return arm_device_msi(c, h);
	if (a->type == TRACE_ARM_IRQ)
		return arm_kept(c, EL2X_IRQ, "physical interrupt");
	enum el2_exit x = a->type == TRACE_ARM_TRAP ? el2_class_of_ec(a->ec) : EL2X_COUNT;
	const struct trace_event *e;
	switch (x) {
	case EL2X_WFX:
		if (!(e = companion(c, TEV_WFX_ARM64))) {
			arm_kept(c, x, NULL);
			undecided(c, "no kvm_wfx_arm64");
			return;
		}
		return arm_wfx(c, e);
	case EL2X_SMC64:
		if (!el2_traps_smc(m))
			return removed(c, "HCR_EL2.TSC clear");
		return arm_kept(c, x, "HCR_EL2.TSC");
	case EL2X_SYS64:
		if (!(e = companion(c, TEV_SYS_ACCESS))) {
			arm_kept(c, x, NULL);
			undecided(c, "no kvm_sys_access");
			return;
		}
		if (!el2_traps_sysreg(m, SYS_REG(e->u.sys.op0, e->u.sys.op1, e->u.sys.crn, e->u.sys.crm, e->u.sys.op2),
				      !e->u.sys.write))
			return removed(c, "system register access not trapped (HCR_EL2 TID*, TVM, CNTHCTL_EL2)");
		if (e->u.sys.write && is_sgi1r(e))
			return arm_sgi1r(c);
		return arm_kept(c, x, "trapped system register");
	case EL2X_DABT_LOW:
		if (!companion(c, TEV_MMIO) && !companion(c, TEV_MMIO_EMULATE) && !companion(c, TEV_USERSPACE_EXIT))
			return arm_mem_fault(c);
		return arm_kept(c, x, "MMIO: always traps");
	case EL2X_HVC64:
	case EL2X_IABT_LOW:
		return arm_kept(c, x, "always traps");
	default:
		outcome(c, RO_UNMODELLED, NULL, 0, "no model decides this exit");
	}
}

static void decide(struct dctx *c)
{
	if (c->d->arch == TRACE_ARCH_ARM64)
		arm_decide(c);
	else
		x86_decide(c);
	pml_drain_at_exit(c);
}

void replay_decide_one(const struct replay_design *d, const struct trace_event *exit, const struct trace_event *comp,
		       unsigned ncomp, struct replay_decision *out)
{
	struct dstate ds = { 0 };
	struct dctx c = { d, &ds, NULL, exit->vcpu, exit, comp, ncomp, out };
	decision_clear(out);
	decide(&c);
	free(ds.va);
	dirty_fini(&ds);
}

/* The wake-up exit's cost under d. */
static cycles_t wake_cost(const struct replay_design *d)
{
	if (d->arch == TRACE_ARCH_ARM64)
		return arm_cost(d, EL2X_IRQ, false, 0);
	return switch_plus(d, d->kick_cycles);
}

/* ---- the reason table ---- */
static int reason_id_slow(struct replay *r, const char *name)
{
	for (unsigned i = 0; i < r->nreasons; i++)
		if (!strcmp(r->reasons[i], name))
			return (int)i;
	if (r->nreasons == REPLAY_MAX_REASONS)
		return REPLAY_MAX_REASONS - 1;	/* "other" */
	char *copy = strdup(name);
	if (!copy)
		return REPLAY_MAX_REASONS - 1;
	r->reasons[r->nreasons] = copy;
	return (int)r->nreasons++;
}

static int reason_id_probe(struct replay *r, const char *name, unsigned h)
{
	for (unsigned i = 0; i < REASON_CACHE; i++, h = (h + 1) & (REASON_CACHE - 1)) {
		if (r->rcache[h].name == name)
			return r->rcache[h].id;
		if (!r->rcache[h].name) {
			int id = reason_id_slow(r, name);
			r->rcache[h].name = name;
			r->rcache[h].id = id;
			return id;
		}
	}
	return reason_id_slow(r, name);
}

/* Names come from the models' tables (static strings): looked up by address
 * first (inline: one or two per exit, nearly always found at the first
 * slot); a name in a caller's buffer (name_is_static false) never is. */
static inline int reason_id_of(struct replay *r, const char *name, bool name_is_static)
{
	if (!name_is_static)
		return reason_id_slow(r, name);
	unsigned h = (unsigned)(((uintptr_t)name * 0x9E3779B97F4A7C15ull) >> 55) & (REASON_CACHE - 1);
	return r->rcache[h].name == name ? r->rcache[h].id : reason_id_probe(r, name, h);
}

static inline int reason_id(struct replay *r, const char *name) { return reason_id_of(r, name, true); }

/* The reasons hvsim run reports for this architecture first, in its order. */
static void seed_reasons(struct replay *r)
{
	if (r->arch == TRACE_ARCH_ARM64) {
		for (unsigned x = 0; x < EL2X_COUNT; x++)
			r->reasons[r->nreasons++] = el2_exit_name(x);
		return;
	}
	for (unsigned x = 0; x < VMXX_COUNT; x++)
		r->reasons[r->nreasons++] = vmx_reason_name(vmx_exit_reason(x));
	r->reasons[r->nreasons++] = vmx_reason_name(EXIT_REASON_EXTERNAL_INTERRUPT);
	r->reasons[r->nreasons++] = vmx_reason_name(EXIT_REASON_INTERRUPT_WINDOW);
}

static unsigned nseeded(const struct replay *r)
{
	return r->arch == TRACE_ARCH_ARM64 ? EL2X_COUNT : VMXX_COUNT + 2;
}

static bool owned(const struct replay *r, unsigned i) { return i >= nseeded(r); }

/* The recorded exit's reason, named as hvsim run names it where a class exists. */
static const char *source_reason(const struct trace_event *ev, char *buf, size_t n)
{
	if (ev->arch == TRACE_ARCH_ARM64) {
		const struct trace_arm_exit *a = &ev->u.arm;
		if (a->type == TRACE_ARM_IRQ)
			return el2_exit_name(EL2X_IRQ);
		enum el2_exit x = a->type == TRACE_ARM_TRAP ? el2_class_of_ec(a->ec) : EL2X_COUNT;
		if (x != EL2X_COUNT)
			return el2_exit_name(x);
		return trace_exit_name(ev, buf, n);
	}
	const struct trace_x86_exit *x = &ev->u.x86;
	if (!x->svm && !x->unknown && !x->failed_vmentry)
		return vmx_reason_name(x->reason);
	return trace_exit_name(ev, buf, n);
}

/* ---- the stream ---- */
struct replay *replay_new(unsigned ndesigns, replay_load_fn load, void *ctx)
{
	if (!ndesigns || ndesigns > REPLAY_MAX_DESIGNS) {
		err_set("between 1 and %d designs", REPLAY_MAX_DESIGNS);
		return NULL;
	}
	struct replay *r = calloc(1, sizeof *r);
	if (!r || !(r->v = calloc(TRACE_MAX_VCPU + 1, sizeof *r->v)) ||
	    !(r->des = calloc(ndesigns, sizeof *r->des))) {
		replay_free(r);
		err_set("out of memory");
		return NULL;
	}
	r->nd = ndesigns;
	r->load = load;
	r->ctx = ctx;
	for (unsigned i = 0; i < 256; i++)
		r->pid_table[i] = FIELD_DP(FIELD_DP(0, PID_PTR, VALID, 1), PID_PTR, ADDR, i + 1);
	return r;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	if (r->v)
		for (unsigned i = 0; i <= TRACE_MAX_VCPU; i++) {
			struct rvcpu *v = r->v[i];
			if (!v)
				continue;
			for (unsigned d = 0; d < REPLAY_MAX_DESIGNS; d++) {
				free(v->ds[d].va);
				dirty_fini(&v->ds[d]);
			}
			free(v->seen);
			free(v);
		}
	for (unsigned i = 0; i < r->nreasons; i++)
		if (owned(r, i))
			free((char *)r->reasons[i]);
	free(r->v);
	if (r->des)
		for (unsigned i = 0; i < r->nd; i++)
			replay_design_fini(&r->des[i]);
	free(r->des);
	free(r->vcyc);
	free(r);
}

static struct pi_desc *scratch_pid(void *ctx, uint64_t addr)
{
	(void)addr;
	return &((struct replay *)ctx)->scratch_pid;
}

static int set_arch(struct replay *r, enum trace_arch arch)
{
	if (r->arch == arch)
		return 0;
	if (r->arch != TRACE_ARCH_NONE) {
		err_set("the trace mixes x86 and arm64 exits");
		return -1;
	}
	r->arch = arch;
	for (unsigned i = 0; i < r->nd; i++)
		if (r->load(r->ctx, arch, i, &r->des[i]) < 0)
			return -1;
	seed_reasons(r);
	return 0;
}

static struct rvcpu *vcpu_of(struct replay *r, int32_t id)
{
	unsigned k = id < 0 ? TRACE_MAX_VCPU : (unsigned)id;
	if (!r->v[k]) {
		if (!(r->v[k] = calloc(1, sizeof *r->v[k])))
			return NULL;
		r->v[k]->id = id < 0 ? -1 : id;
		if (k + 1 > r->nv && k != TRACE_MAX_VCPU)
			r->nv = k + 1;
	}
	return r->v[k];
}

static void side_add(struct replay_side *s, int id, uint64_t cyc)
{
	s->exits++;
	s->exit_cycles += cyc;
	s->n[id]++;
	s->cyc[id] += cyc;
}

/* n exits the design adds, costing cyc together */
static void add_exits(struct replay_side *s, int id, unsigned n, uint64_t cyc)
{
	s->exits += n;
	s->exit_cycles += cyc;
	s->n[id] += n;
	s->cyc[id] += cyc;
	s->added[id] += n;
	s->nadded += n;
}

static uint64_t to_cycles(const struct replay *r, const struct replay_design *d, uint64_t ts)
{
	return r->ts_cycles ? ts : (uint64_t)((double)ts * d->freq_mhz / 1000.0 + 0.5);
}

/* GICv4 work beside a blocking WFI: residency changes and their cycles,
 * and a doorbell, counted as added but not as a VM exit (the vCPU was in
 * the hypervisor already, as hvsim run counts it).  Charged, like a wake-up,
 * when the vCPU's next exit shows it ran again (platform/virt_irq.c
 * charges it at that entry). */
static void gic_v4_work(struct replay *r, struct replay_side *s, struct replay_decision *o)
{
	static const char doorbell[] = "doorbell";
	if (!o->residency && !o->doorbell && !o->hyp_cycles)
		return;
	s->residency += o->residency;
	s->hyp_cycles += o->hyp_cycles;
	if (o->doorbell) {
		s->added[reason_id(r, doorbell)]++;
		s->nadded++;
		s->doorbells++;
	}
	decision_clear(o);
}

/* The exit's outcome under design i (src: its recorded reason's name, src_id
 * that name's id). */
static void account(struct replay *r, struct rvcpu *v, unsigned i, const char *src, int src_id, uint64_t dur)
{
	const struct replay_design *d = &r->des[i];
	struct replay_decision o;
	struct dctx c = { d, &v->ds[i], v, v->id, &v->ex, v->comp, v->ncomp, &o };
	decision_clear(&o);
	if (d->apicv.ipi_virt && !v->ds[i].va && vapic_of(&c, true)) {
		v->ds[i].va->pid_table = r->pid_table;
		v->ds[i].va->last_pid_index = 255;
		v->ds[i].va->pid_at = scratch_pid;
		v->ds[i].va->ctx = r;
	}
	decide(&c);
	struct replay_side *s = &v->d[i];
	s->instead_cycles += o.extra;
	if (o.nadded)
		add_exits(s, reason_id(r, o.added), o.nadded, o.added_cost);
	if (o.residency || o.doorbell)
		v->ds[i].v4 = o;
	switch (o.outcome) {
	case RO_REMOVED:
		s->removed[src_id]++;
		s->nremoved++;
		s->instead_cycles += o.cost;
		if (o.wake) {
			v->ds[i].wake = o.wake;
			v->ds[i].wake_cost = wake_cost(d);
		}
		return;
	case RO_UNMODELLED:
		o.reason = r->reasons[src_id];
		o.cost = to_cycles(r, d, dur);
		s->unmodelled++;
		break;
	case RO_UNDECIDABLE:
		s->undecidable++;
		break;
	case RO_KEPT:
		break;
	}
	side_add(s, o.reason == src ? src_id : reason_id(r, o.reason), o.cost);
}

static void close_exit(struct replay *r, struct rvcpu *v, uint64_t end, bool entry)
{
	char buf[64];
	uint64_t dur = 0;
	if (entry && end > v->exit_ts)
		dur = end - v->exit_ts;
	if (!entry)
		r->no_entry++;
	/* a vCPU blocked in the hypervisor: that wait is the guest's idle time */
	uint64_t blocked = r->ts_cycles ? (uint64_t)((double)v->blocked_ns * r->des[0].freq_mhz / 1000.0) : v->blocked_ns;
	dur = dur > blocked ? dur - blocked : 0;
	v->rec_ts += dur;
	const char *src = source_reason(&v->ex, buf, sizeof buf);
	int src_id = reason_id_of(r, src, src != buf);
	side_add(&v->src, src_id, dur);
	for (unsigned i = 0; i < r->nd; i++)
		account(r, v, i, src, src_id, dur);
	v->open = false;
}

/* A new exit shows the guest ran after a removed HLT/WFI: its wake-up exited. */
static void realize_wakes(struct replay *r, struct rvcpu *v)
{
	for (unsigned i = 0; i < r->nd; i++) {
		struct dstate *s = &v->ds[i];
		gic_v4_work(r, &v->d[i], &s->v4);
		if (!s->wake)
			continue;
		int id = reason_id(r, s->wake);
		side_add(&v->d[i], id, s->wake_cost);
		v->d[i].added[id]++;
		v->d[i].nadded++;
		s->wake = NULL;
	}
}

static void open_exit(struct replay *r, struct rvcpu *v, const struct trace_event *ev)
{
	if (v->open)
		close_exit(r, v, ev->ts_ns, false);
	realize_wakes(r, v);
	v->open = true;
	v->ex = *ev;
	v->ex.name = NULL;
	v->exit_ts = ev->ts_ns;
	v->blocked_ns = 0;
	v->ncomp = 0;
	r->exit_lines++;
}

/* arm64 kvm_exit and kvm_entry name no vCPU: each host thread is one, in
 * the order threads first appear (hvsim's export starts with vCPU 0's). */
static int32_t thread_vcpu(struct replay *r, int32_t pid)
{
	if (pid <= 0)
		return -1;
	for (unsigned i = 0; i < r->npids; i++)
		if (r->pids[i] == pid)
			return (int32_t)i;
	if (r->npids == sizeof r->pids / sizeof r->pids[0])
		return -1;
	r->pids[r->npids] = pid;
	return (int32_t)r->npids++;
}

static bool is_companion(enum trace_kind k)
{
	return k != TEV_OTHER && k != TEV_EXIT && k != TEV_ENTRY;
}

int replay_add(struct replay *r, const struct trace_event *ev)
{
	if (!r->have_origin || ev->ts_ns < r->origin) {
		if (!r->have_origin)
			r->ts_cycles = ev->ts_raw;
		r->origin = ev->ts_ns;
		r->have_origin = true;
	}
	if (ev->kind == TEV_EXIT && set_arch(r, (enum trace_arch)ev->arch) < 0)
		return -1;
	if (r->arch == TRACE_ARCH_NONE)
		return 0;	/* before the first exit: only the origin matters */
	int32_t id = ev->vcpu;
	if (id < 0 && r->arch == TRACE_ARCH_ARM64)
		id = thread_vcpu(r, ev->pid);
	if (id < 0 && ev->kind != TEV_EXIT) {
		r->no_vcpu++;
		return 0;
	}
	struct rvcpu *v = vcpu_of(r, id);
	if (!v) {
		err_set("out of memory");
		return -1;
	}
	if (ev->ts_ns > v->last_ts)
		v->last_ts = ev->ts_ns;
	if (ev->kind == TEV_EXIT)
		open_exit(r, v, ev);
	else if (ev->kind == TEV_ENTRY && v->open)
		close_exit(r, v, ev->ts_ns, true);
	else if (is_companion(ev->kind) && v->open) {
		if (ev->kind == TEV_VCPU_WAKEUP && ev->u.wakeup.waited)
			v->blocked_ns += ev->u.wakeup.ns;
		if (v->ncomp < MAX_COMP) {
			v->comp[v->ncomp] = *ev;
			v->comp[v->ncomp++].name = NULL;
		}
	}
	return 0;
}

/* ---- totals ---- */
static void side_sum(struct replay_side *t, const struct replay_side *s, unsigned n)
{
	t->exits += s->exits;
	t->exit_cycles += s->exit_cycles;
	t->nremoved += s->nremoved;
	t->nadded += s->nadded;
	t->undecidable += s->undecidable;
	t->unmodelled += s->unmodelled;
	t->instead_cycles += s->instead_cycles;
	t->residency += s->residency;
	t->doorbells += s->doorbells;
	t->hyp_cycles += s->hyp_cycles;
	for (unsigned k = 0; k < n; k++) {
		t->n[k] += s->n[k];
		t->cyc[k] += s->cyc[k];
		t->removed[k] += s->removed[k];
		t->added[k] += s->added[k];
	}
}

/* Recorded exit time per reason: ts units -> cycles (the first design's clock). */
static void src_to_cycles(const struct replay *r, struct replay_side *s, unsigned n)
{
	s->exit_cycles = to_cycles(r, &r->des[0], s->exit_cycles);
	for (unsigned k = 0; k < n; k++)
		s->cyc[k] = to_cycles(r, &r->des[0], s->cyc[k]);
}

static void vcpu_cycles(struct replay *r, unsigned k, const struct rvcpu *v)
{
	uint64_t *out = &r->vcyc[(size_t)k * (r->nd + 2)];
	uint64_t span = v->last_ts - r->origin;
	uint64_t guest = span - (v->rec_ts < span ? v->rec_ts : span);
	out[0] = to_cycles(r, &r->des[0], span);
	out[1] = to_cycles(r, &r->des[0], guest);
	for (unsigned i = 0; i < r->nd; i++)
		out[2 + i] = to_cycles(r, &r->des[i], guest) + v->d[i].exit_cycles + v->d[i].instead_cycles +
			     v->d[i].hyp_cycles;
}

void replay_finish(struct replay *r)
{
	if (r->finished)
		return;
	r->finished = true;
	if (r->arch == TRACE_ARCH_NONE)
		return;
	for (unsigned k = 0; k <= TRACE_MAX_VCPU; k++)
		if (r->v[k] && r->v[k]->open)
			close_exit(r, r->v[k], 0, false);
	r->vcyc = calloc((size_t)(r->nv + 1) * (r->nd + 2), sizeof *r->vcyc);
	for (unsigned k = 0; k <= TRACE_MAX_VCPU; k++) {
		struct rvcpu *v = r->v[k];
		if (!v)
			continue;
		if (r->vcyc && k < r->nv)
			vcpu_cycles(r, k, v);
		side_sum(&r->total_src, &v->src, r->nreasons);
		src_to_cycles(r, &v->src, r->nreasons);
		for (unsigned i = 0; i < r->nd; i++)
			side_sum(&r->total[i], &v->d[i], r->nreasons);
	}
	src_to_cycles(r, &r->total_src, r->nreasons);
}

/* ---- results ---- */
enum trace_arch replay_arch(const struct replay *r) { return r->arch; }
unsigned replay_ndesigns(const struct replay *r) { return r->nd; }
const struct replay_design *replay_design(const struct replay *r, unsigned i) { return &r->des[i]; }
unsigned replay_nreasons(const struct replay *r) { return r->nreasons; }
const char *replay_reason_name(const struct replay *r, unsigned k) { return r->reasons[k]; }
unsigned replay_nvcpus(const struct replay *r) { return r->nv; }
bool replay_has_vcpu(const struct replay *r, unsigned v) { return v < r->nv && r->v[v]; }
uint64_t replay_exit_lines(const struct replay *r) { return r->exit_lines; }
uint64_t replay_no_entry(const struct replay *r) { return r->no_entry; }
uint64_t replay_no_vcpu(const struct replay *r) { return r->no_vcpu; }
bool replay_ts_cycles(const struct replay *r) { return r->ts_cycles; }

const struct replay_side *replay_side(const struct replay *r, int design, int v)
{
	if (v < 0)
		return design < 0 ? &r->total_src : &r->total[design];
	const struct rvcpu *x = r->v[v];
	return design < 0 ? &x->src : &x->d[design];
}

static uint64_t vcyc(const struct replay *r, unsigned k, unsigned col)
{
	return r->vcyc && k < r->nv && r->v[k] ? r->vcyc[(size_t)k * (r->nd + 2) + col] : 0;
}

uint64_t replay_cycles(const struct replay *r, int design, int v)
{
	unsigned col = design < 0 ? 0 : 2 + (unsigned)design;
	if (v >= 0)
		return vcyc(r, (unsigned)v, col);
	uint64_t m = 0;
	for (unsigned k = 0; k < r->nv; k++)
		if (vcyc(r, k, col) > m)
			m = vcyc(r, k, col);
	return m;
}

uint64_t replay_guest_cycles(const struct replay *r, int v)
{
	if (v >= 0)
		return vcyc(r, (unsigned)v, 1);
	uint64_t t = 0;
	for (unsigned k = 0; k < r->nv; k++)
		t += vcyc(r, k, 1);
	return t;
}
