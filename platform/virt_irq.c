/* The ARM machine's interrupt controller behind struct irq_ctrl
 * (platform/machine.h): the GICv3 with KVM's vgic (gic/vgic.h) and the
 * generic timers (dev/arch_timer.h), costed as KVM/arm64 runs them:
 *  - a timer that fires while its vCPU runs raises a physical PPI that
 *    exits to the hypervisor (an IRQ exit), which marks the virtual PPI
 *    pending; a vCPU blocked in the hypervisor (trapped WFI, PSCI suspend)
 *    is woken instead (KVM's background timer), after [virt] wakeup_cycles;
 *  - the virtual timer is mapped to its physical PPI (LR HW bit): when the
 *    guest deactivates it with the timer still asserted it fires again.  The
 *    physical timer is emulated under nVHE (CNTHCTL_EL2.EL1PCEN = 0, every
 *    access traps) and injected as a software level interrupt, whose LR asks
 *    for an EOI maintenance interrupt (KVM vgic_v3_populate_lr);
 *  - an interrupt made pending for another vCPU kicks it: a physical IPI and
 *    an IRQ exit if it runs, a wake-up if it is halted.  A kick sent by an
 *    exit's handler (a trapped ICC_SGI1R_EL1 write, an ITS command) leaves
 *    before the exit is over: at the handler's time plus the work done so
 *    far, the rest of the exit (el2_exit_tail) still to run on the sender.
 * See virt.h. */
#include "platform/virt.h"
#include <string.h>
#include "core/log.h"
#include "cpu/el2.h"
#include "platform/hvsim-abi.h"

/* Why the hypervisor took a physical interrupt (an IRQ exit). */
static const char *const irq_cause_name[VIRT_IRQ_CAUSES] = {
	[VIRT_IRQ_TIMER] = "timer", [VIRT_IRQ_KICK] = "kick", [VIRT_IRQ_MAINTENANCE] = "maintenance",
};

static const uint32_t timer_ppi[ARCH_TIMER_COUNT] = {
	[ARCH_TIMER_VIRT] = HVSIM_VIRT_PPI_VIRT_TIMER, [ARCH_TIMER_PHYS] = HVSIM_VIRT_PPI_PHYS_TIMER,
};

static cycles_t cpu_clock(const struct virt *v, unsigned cpu)
{
	return v->m.sim ? v->m.sim->cpus[cpu]->clock : 0;
}

static inline void check_by(struct virt *v, unsigned cpu, cycles_t t)
{
	if (t == UINT64_MAX)   /* never: nothing to lower (most calls, one test) */
		return;
	if (t < v->irqc.check_at[cpu])
		v->irqc.check_at[cpu] = t;
	sim_cpu_look_by(v->m.sim, cpu, t);   /* the block hook compares with its bound only */
}

/* ---- waking halted vCPUs ---- */
static bool wake_pending(struct virt *v, unsigned cpu, cycles_t t)
{
	if (vgic_wake(&v->gic, cpu, t))
		return true;
	/* KVM kvm_cpu_has_pending_timer: the timer condition wakes the vCPU
	 * whatever the GIC's state (kvm_timer_should_fire). */
	for (unsigned k = 0; k < ARCH_TIMER_COUNT; k++)
		if (arch_timer_output(&v->counter, &v->timers[cpu].t[k], t))
			return true;
	return false;
}

/* Wakes cpu at `when` if it is halted with something to wake it for.  A
 * vCPU waiting in hardware (WFI not trapped) wakes on any physical
 * interrupt to EL2 (the kick IPI); one blocked in the hypervisor only when
 * KVM finds an interrupt for it (kvm_arch_vcpu_runnable). */
static void wake(struct virt *v, unsigned cpu, cycles_t when, bool ipi)
{
	struct sim_cpu *sc = v->m.sim->cpus[cpu];
	bool hw_wfi = ipi && !v->irqcpu[cpu].in_hyp;
	/* Stale if the vCPU woke meanwhile or nothing is pending any more. */
	if (sc->state != SIM_CPU_HALTED || (!hw_wfi && !wake_pending(v, cpu, when)))
		return;
	DBG(LOG_GIC, "cpu%u: woken at cycle %llu", cpu, (unsigned long long)when);
	sim_cpu_wake(sc, when);
	check_by(v, cpu, 0);
	v->irqcpu[cpu].quiet_until = 0;
}

static void wake_event(void *ctx, cycles_t when)
{
	struct virt_irq_cpu *c = ctx;
	wake(c->v, c->id, when, false);
}

/* gicv3 callbacks: time of the vCPU (or device) on whose behalf the GIC is
 * driven, and "an interrupt became deliverable to target" (KVM
 * kvm_vcpu_kick). */
static cycles_t gic_now(void *ctx)
{
	struct virt *v = ctx;
	if (v->in_device)
		return v->device_time;
	if (v->in_handler)   /* the handler's work so far, not yet charged */
		return v->handler_time + vgic_pending_cycles(&v->gic) + v->its.cycles;
	return cpu_clock(v, v->m.cur_cpu);
}

/* The exit's handler drives the GIC from here to handler_end: its time is
 * the vCPU's clock (the whole exit charged) less the rest of the exit. */
static void handler_begin(struct virt *v, cycles_t now)
{
	v->in_handler = true;
	v->handler_time = now - (now < v->exit_tail ? now : v->exit_tail);
}

static void handler_end(struct virt *v) { v->in_handler = false; }

static void gic_kick(void *ctx, unsigned target)
{
	struct virt *v = ctx;
	unsigned src = v->in_device ? UINT32_MAX : v->m.cur_cpu;
	cycles_t now = gic_now(v);
	check_by(v, target, now);
	DBG(LOG_GIC, "cpu%u: kick from cpu%u at %llu", target, src, (unsigned long long)now);
	if (target == src || !v->m.sim || v->m.sim->cpus[target]->state == SIM_CPU_OFF)
		return;   /* in the hypervisor already (entry flushes), or not running at all */
	struct virt_irq_cpu *c = &v->irqcpu[target];
	c->quiet_until = 0;
	/* kvm_vcpu_kick on the sender (a vCPU's handler pays it; a device's
	 * MSI is the host's irqfd context), then the physical SGI's flight. */
	cycles_t sent = now + v->gic.kick_cycles;
	if (v->in_handler)   /* charged with the handler's other work */
		v->gic.cycles += v->gic.kick_cycles;
	else if (!v->in_device)
		v->m.sim->cpus[v->m.cur_cpu]->clock += v->gic.kick_cycles;
	cycles_t at = sent + v->gic.ipi_latency_cycles;
	if (at < c->kick_at) {
		c->kick_at = at;
		c->kick_msi = v->in_device;
		c->kick_devid = v->msi_devid;
		c->kick_event = v->msi_event;
	}
	check_by(v, target, at);
	/* Woken at once (its clock has not moved past `at`: a halted vCPU
	 * idles to a slice's end only after the slice).  A vCPU blocked in the
	 * hypervisor is a thread to wake. */
	wake(v, target, c->in_hyp ? sent + v->wakeup_cycles : at, true);
}

/* ---- timers ---- */
/* The timer's output as the hypervisor now knows it.  Returns true on a
 * new assertion. */
static bool timer_sync(struct virt *v, unsigned cpu, unsigned k, cycles_t now)
{
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	const struct arch_timer *t = &v->timers[cpu].t[k];
	bool out = arch_timer_output(&v->counter, t, now);
	if (out && !c->seen[k]) {
		c->seen[k] = true;
		(*v->st_timer_fired[k])++;
		gicv3_set_level(&v->gic.dist, cpu, timer_ppi[k], true, arch_timer_due(&v->counter, t));
		return true;
	}
	if (!out) {
		c->seen[k] = false;
		gicv3_set_level(&v->gic.dist, cpu, timer_ppi[k], false, now);
		check_by(v, cpu, arch_timer_due(&v->counter, t));
	}
	return false;
}

/* ---- the interface ---- */
static bool is_timer_reg(uint32_t reg)
{
	return SYS_REG_OP0(reg) == 3 && SYS_REG_CRN(reg) == 14 &&
	       ((SYS_REG_OP1(reg) == 3 && SYS_REG_CRM(reg) <= 3) || reg == CNTKCTL_EL1);
}

static enum irqc_sysreg irq_sysreg_class(void *ctx, uint32_t reg, bool is_read)
{
	struct virt *v = ctx;
	if (is_timer_reg(reg))   /* CNTFRQ/CNTPCT/CNTVCT writes: left to the CPU model (UNDEFINED) */
		return !is_read && SYS_REG_CRM(reg) == 0 ? IRQC_NOT_MINE : IRQC_DIRECT;
	int t = vgic_sysreg_traps(&v->gic, reg);
	return t < 0 ? IRQC_NOT_MINE : t ? IRQC_TRAP : IRQC_DIRECT;
}

static bool timer_reg_access(struct virt *v, unsigned cpu, uint32_t reg, bool is_read, uint64_t *val,
			     cycles_t now, bool trapped)
{
	if (!arch_timer_access(&v->timers[cpu], &v->counter, reg, is_read, val, now))
		return false;
	unsigned k = SYS_REG_CRM(reg) == 2 ? ARCH_TIMER_PHYS : ARCH_TIMER_VIRT;
	if (!is_read)
		v->irqcpu[cpu].quiet_until = 0;
	if (is_read || SYS_REG_CRM(reg) < 2)
		return true;
	/* An emulated (trapped) timer is updated by the hypervisor's emulation,
	 * with no interrupt to the host; a hardware timer asserts its
	 * physical PPI, seen at the next poll. */
	if (trapped)
		timer_sync(v, cpu, k, now);
	else
		check_by(v, cpu, arch_timer_due(&v->counter, &v->timers[cpu].t[k]));
	return true;
}

static bool irq_sysreg(void *ctx, unsigned cpu, uint32_t reg, bool is_read, uint64_t *val, cycles_t now,
		       bool trapped)
{
	struct virt *v = ctx;
	v->m.cur_cpu = cpu;
	if (is_timer_reg(reg))
		return timer_reg_access(v, cpu, reg, is_read, val, now, trapped);
	struct gic_cpuif_events ev;
	if (trapped)
		handler_begin(v, now);
	enum gic_sysreg_result r = vgic_sysreg(&v->gic, cpu, reg, is_read, val, trapped ? v->handler_time : now, &ev);
	handler_end(v);
	if (v->m.sim)   /* the handler's SGI queueing and kicks, on this vCPU */
		v->m.sim->cpus[cpu]->clock += vgic_take_cycles(&v->gic);
	for (unsigned k = 0; k < ARCH_TIMER_COUNT; k++)
		if (ev.hw_deactivated == (int)timer_ppi[k]) {
			v->irqcpu[cpu].seen[k] = false;   /* the physical PPI re-arms */
			v->irqcpu[cpu].quiet_until = 0;
		}
	if (!is_read && (reg == ICC_EOIR1_EL1 || reg == ICC_EOIR0_EL1 || reg == ICC_DIR_EL1))
		check_by(v, cpu, now);   /* maintenance, re-armed timers */
	return r == GIC_SYSREG_OK;
}

static void irq_exit(void *ctx, unsigned cpu)
{
	struct virt *v = ctx;
	vgic_fold(&v->gic, cpu);
	check_by(v, cpu, 0);
}

/* Those the last flush wrote (KVM's used_lrs), whatever the guest has done
 * with them since; the fold at the exit clears them. */
static unsigned irq_saved_lrs(void *ctx, unsigned cpu) { return vgic_lrs_in_use(&((struct virt *)ctx)->gic, cpu); }

bool virt_irq_wait_note(struct virt *v, unsigned cpu, uint32_t *devid, uint32_t *event, cycles_t *residency)
{
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	bool msi = c->woke_msi;
	*devid = c->kick_devid;
	*event = c->kick_event;
	*residency = c->res_charged;
	c->woke_msi = false;
	c->res_charged = 0;
	return msi;
}

/* GICv4 residency work (vgic_v4_put/load) for the next entry. */
static void residency(struct virt_irq_cpu *c, cycles_t cyc)
{
	c->hyp_cycles += cyc;
	c->res_pending += cyc;
}

bool virt_irq_kick_msi(const struct virt *v, unsigned cpu, uint32_t *devid, uint32_t *event)
{
	const struct virt_irq_cpu *c = &v->irqcpu[cpu];
	*devid = c->kick_devid;
	*event = c->kick_event;
	return c->exit_msi;
}

static bool forwarded(void *ctx, uint32_t devid);

/* Is LPI intid the translation of a passed-through device's event in the guest's ITS? */
static bool device_lpi(struct virt *v, uint32_t intid)
{
	for (unsigned i = 0; i < ITS_MAX_ITES; i++) {
		const struct its_ite *e = &v->its.ite[i];
		if (e->valid && e->intid == intid)
			return forwarded(v, e->devid);
	}
	return false;
}

unsigned virt_irq_saved_device_lpis(struct virt *v, unsigned cpu)
{
	const struct gic_cpuif *c = &v->gic.cpu[cpu];
	unsigned n = 0;
	for (unsigned i = 0; i < c->nlr; i++)
		n += c->lr[i] && gic_lr_intid(c->lr[i]) >= GIC_LPI_BASE && device_lpi(v, gic_lr_intid(c->lr[i]));
	return n;
}

/* The entry after an exit (its fold left no list register, so no
 * maintenance): the same as the last poll, nothing due.  True: check_at is
 * what the poll would set. */
static bool poll_quiet(struct virt *v, unsigned cpu, cycles_t now)
{
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	if (now >= c->quiet_until || c->in_hyp || c->wait_from <= now || !vgic_folded(&v->gic, cpu))
		return false;
	v->irqc.check_at[cpu] = c->quiet_until;
	return true;
}

static const char *irq_poll(void *ctx, unsigned cpu, cycles_t now)
{
	struct virt *v = ctx;
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	int why = -1;
	bool in_hyp = c->in_hyp;
	v->m.cur_cpu = cpu;
	if (poll_quiet(v, cpu, now))
		return NULL;
	c->quiet_until = 0;
	c->in_hyp = false;
	*v->st_wakeups += in_hyp;
	if (c->wait_from <= now) {
		*v->st_wait_cycles[c->wait_in_hyp] += now - c->wait_from;
		c->wait_from = UINT64_MAX;
	}
	if (in_hyp)   /* kvm_arch_vcpu_unblocking: vgic_v4_load */
		residency(c, vgic_v4_load(&v->gic.v4, cpu));
	v->irqc.check_at[cpu] = UINT64_MAX;
	bool msi = false;
	if (c->kick_at <= now) {
		c->kick_at = UINT64_MAX;
		why = in_hyp ? -1 : VIRT_IRQ_KICK;
		msi = c->kick_msi;
		c->woke_msi = in_hyp && msi;
		c->kick_msi = false;
	} else {
		check_by(v, cpu, c->kick_at);
	}
	for (unsigned k = 0; k < ARCH_TIMER_COUNT; k++)
		if (timer_sync(v, cpu, k, now) && !in_hyp)
			why = VIRT_IRQ_TIMER;
	if (why == VIRT_IRQ_TIMER)   /* KVM's timer handler, on top of the host's IRQ path */
		c->hyp_cycles += v->gic.timer_irq_cycles;
	if (why < 0 && vgic_maintenance(&v->gic, cpu)) {
		why = VIRT_IRQ_MAINTENANCE;
		(*v->gic.st_maintenance)++;
	}
	c->exit_msi = why == VIRT_IRQ_KICK && msi;
	if (why < 0) {
		c->quiet_until = v->irqc.check_at[cpu];
		return NULL;
	}
	(*v->st_irq_exits[why])++;
	return irq_cause_name[why];
}

static cycles_t irq_entry(void *ctx, unsigned cpu, cycles_t now)
{
	struct virt *v = ctx;
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	cycles_t hyp = c->hyp_cycles;
	c->hyp_cycles = 0;
	c->res_charged += c->res_pending;
	c->res_pending = 0;
	v->m.cur_cpu = cpu;
	return hyp + vgic_flush(&v->gic, cpu, now);
}

static bool irq_quiet_entry(void *ctx, unsigned cpu, cycles_t now)
{
	struct virt *v = ctx;
	if (v->irqcpu[cpu].hyp_cycles || now >= v->irqcpu[cpu].quiet_until)
		return false;
	cycles_t check = v->irqc.check_at[cpu];
	v->m.cur_cpu = cpu;
	if (!poll_quiet(v, cpu, now))
		return false;
	if (!vgic_flush_idle(&v->gic, cpu, now)) {
		v->irqc.check_at[cpu] = check;   /* the entry is left to the next check */
		return false;
	}
	return true;
}

static bool irq_line(void *ctx, unsigned cpu)
{
	struct virt *v = ctx;
	check_by(v, cpu, vgic_v4_sync(&v->gic, cpu, cpu_clock(v, cpu)));
	return vgic_irq_line(&v->gic, cpu);
}

static void irq_taken(void *ctx, unsigned cpu, cycles_t now) { vgic_irq_entry(&((struct virt *)ctx)->gic, cpu, now); }

static cycles_t irq_wait(void *ctx, unsigned cpu, cycles_t now, bool in_hyp)
{
	struct virt *v = ctx;
	struct virt_irq_cpu *c = &v->irqcpu[cpu];
	c->quiet_until = 0;
	for (unsigned k = 0; k < ARCH_TIMER_COUNT; k++)
		timer_sync(v, cpu, k, now);   /* the hypervisor samples the timers (kvm_timer_vcpu_put) */
	c->in_hyp = false;
	/* kvm_arch_vcpu_blocking: the vPE goes with its doorbell armed, and
	 * comes back at once if something was pending (PendingLast). */
	if (in_hyp)
		residency(c, vgic_v4_put(&v->gic.v4, cpu, true));
	if (wake_pending(v, cpu, now)) {
		residency(c, vgic_v4_load(&v->gic.v4, cpu));
		return now;
	}
	c->wait_from = now;
	c->wait_in_hyp = in_hyp;
	v->irqcpu[cpu].in_hyp = in_hyp;
	cycles_t due = UINT64_MAX;
	for (unsigned k = 0; k < ARCH_TIMER_COUNT; k++) {
		cycles_t d = arch_timer_due(&v->counter, &v->timers[cpu].t[k]);
		due = d < due ? d : due;
	}
	if (due == UINT64_MAX)
		return due;      /* only another vCPU can wake it (gic_kick) */
	due += in_hyp ? v->wakeup_cycles : 0;
	evq_push(&v->m.sim->events, due, wake_event, &v->irqcpu[cpu]);
	check_by(v, cpu, due);
	return due;
}

/* ---- the ITS: guest memory for its tables, costs to the driving vCPU ---- */
static bool gic_mem(void *ctx, uint64_t addr, void *buf, unsigned len, bool write)
{
	struct machine *m = &((struct virt *)ctx)->m;
	if (!machine_in_ram(m, addr, len))
		return false;
	uint8_t *p = m->ram + (addr - m->ram_base);
	memcpy(write ? p : buf, write ? buf : p, len);
	return true;
}

static void charge_its(struct virt *v)
{
	cycles_t c = its_take_cycles(&v->its) + vgic_take_cycles(&v->gic);
	if (v->m.sim)
		v->m.sim->cpus[v->m.cur_cpu]->clock += c;
}

static uint64_t its_ctrl_read(void *dev, uint64_t off, unsigned size)
{
	struct virt *v = dev;
	uint64_t r = its_ctrl_ops.read(&v->its, off, size);
	charge_its(v);
	return r;
}

static void its_ctrl_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virt *v = dev;
	/* KVM runs the commands (GITS_CWRITER) inside the exit's handler */
	handler_begin(v, cpu_clock(v, v->m.cur_cpu));
	its_ctrl_ops.write(&v->its, off, size, val);
	handler_end(v);
	charge_its(v);
}

/* The translation frame: only GITS_TRANSLATER (32 or 16 bits) does
 * anything.  A CPU's write carries DeviceID 0, as QEMU's virt does for an
 * access without a requester ID (MemTxAttrs.requester_id = 0). */
static uint64_t its_xlate_read(void *dev, uint64_t off, unsigned size) { return 0; }

static void its_xlate_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virt *v = dev;
	if (off != GITS_TRANSLATER || (size != 4 && size != 2)) {
		(*v->its.st_errors[ITS_E_REGISTER])++;
		return;
	}
	its_translate(&v->its, 0, (uint32_t)val);
	charge_its(v);
}

/* GICv4 callbacks of the host ITS: a resident vPE got a vLPI/vSGI (the
 * vCPU sees it at its next block past that time, or wakes from a WFI in
 * hardware); a doorbell rang for a vPE not resident (the host's handler
 * kicks the blocked vCPU). */
static void v4_direct(void *ctx, unsigned rd)
{
	struct virt *v = ctx;
	cycles_t t = gic_now(v);
	check_by(v, rd, t);
	if (v->m.sim && rd < v->m.ncpus && !v->irqcpu[rd].in_hyp)
		wake(v, rd, t, false);
}

static void v4_doorbell(void *ctx, unsigned rd, uint32_t pintid, uint16_t vpeid)
{
	struct virt *v = ctx;
	if (!v->m.sim || vpeid >= v->m.ncpus)
		return;
	cycles_t t = gic_now(v) + v->gic.v4.cost.doorbell;
	DBG(LOG_GIC, "cpu%u: doorbell %u at %llu", vpeid, pintid, (unsigned long long)t);
	wake(v, vpeid, t + (v->irqcpu[vpeid].in_hyp ? v->wakeup_cycles : 0), false);
}

/* The guest's ITS mapped, moved or dropped an event: KVM forwards the
 * events of passed-through devices to the host ITS (its_map_vlpi). */
static void its_mapping(void *ctx, enum its_map_op op, const struct its_ite *ite, const struct gic_irq *lpi)
{
	struct virt *v = ctx;
	vgic_v4_guest_its(&v->gic.v4, op, ite->devid, ite->eventid, ite->intid, (unsigned)lpi->lpi_cpu, lpi->priority,
			  lpi->enabled);
}

static bool forwarded(void *ctx, uint32_t devid)
{
	const struct msidev_config *mc = &((struct virt *)ctx)->msidev.cfg;
	for (unsigned q = 0; q < mc->queues; q++)
		if (devid == mc->requester_id + q * mc->rid_stride)
			return true;
	return false;
}

static bool device_msi(struct virt *v, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when)
{
	bool ok;
	if (addr != HVSIM_VIRT_ITS_BASE + GITS_FRAME_SIZE + GITS_TRANSLATER) {
		(*v->its.st_errors[ITS_E_REGISTER])++;
		return false;
	}
	v->in_device = true;
	v->msi_devid = requester_id;
	v->msi_event = data;
	if (vgic_v4_is_forwarded(&v->gic.v4, requester_id, data)) {
		v->device_time = when + v->gic.v4.cost.vlpi_latency;
		ok = vgic_v4_msi(&v->gic.v4, requester_id, data, when);
	} else {
		v->device_time = when + v->gic.irqfd_cycles;
		ok = its_translate(&v->its, requester_id, data);
		its_take_cycles(&v->its);   /* the host's irqfd context, not a vCPU */
	}
	v->in_device = false;
	return ok;
}

void virt_device_msi(void *ctx, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when)
{
	device_msi(ctx, addr, data, requester_id, when);
}

bool virt_msi_write(void *ctx, uint64_t addr, uint32_t data, uint32_t requester_id)
{
	return device_msi(ctx, addr, data, (uint16_t)requester_id, gic_now(ctx));
}

/* The MSI device's registers: its event queue is the machine's. */
static uint64_t msidev_read(void *dev, uint64_t off, unsigned size)
{
	struct virt *v = dev;
	return msidev_ops.read(&v->msidev, off, size);
}

static void msidev_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virt *v = dev;
	v->msidev.evq = v->m.sim ? &v->m.sim->events : NULL;
	if (v->msidev.evq)
		msidev_ops.write(&v->msidev, off, size, val);
}

static cycles_t msidev_now(void *ctx) { return gic_now(ctx); }

/* The Distributor and Redistributors: KVM's handler of the MMIO exit
 * makes the change and sends any kick (GICD_ISPENDR, GICD_CTLR...). */
static uint64_t gicd_read(void *dev, uint64_t off, unsigned size)
{
	return gicv3_dist_ops.read(&((struct virt *)dev)->gic.dist, off, size);
}

static uint64_t gicr_read(void *dev, uint64_t off, unsigned size)
{
	return gicv3_redist_ops.read(&((struct virt *)dev)->gic.dist, off, size);
}

static void gic_frame_write(struct virt *v, const struct dev_ops *ops, uint64_t off, unsigned size, uint64_t val)
{
	handler_begin(v, cpu_clock(v, v->m.cur_cpu));
	ops->write(&v->gic.dist, off, size, val);
	handler_end(v);
	charge_its(v);
}

static void gicd_write(void *dev, uint64_t off, unsigned size, uint64_t val) { gic_frame_write(dev, &gicv3_dist_ops, off, size, val); }
static void gicr_write(void *dev, uint64_t off, unsigned size, uint64_t val) { gic_frame_write(dev, &gicv3_redist_ops, off, size, val); }

static const struct dev_ops its_ctrl_glue = { its_ctrl_read, its_ctrl_write };
static const struct dev_ops gicd_glue = { gicd_read, gicd_write };
static const struct dev_ops gicr_glue = { gicr_read, gicr_write };
static const struct dev_ops its_xlate_glue = { its_xlate_read, its_xlate_write };
static const struct dev_ops msidev_glue = { msidev_read, msidev_write };

static int msidev_setup(struct virt *v, const struct cfg *c, struct stats *st)
{
	struct msidev_config mc;
	msidev_config_read(c, &mc);
	if (msidev_init(&v->msidev, &mc, NULL, msidev_now, virt_device_msi, v) < 0)
		return -1;
	v->msidev.guest_errors = stats_counter(st, "msidev.guest_errors",
					       "MSI device accesses at reserved offsets, bad widths or queues beyond NQUEUES");
	struct machine *m = &v->m;
	m->mmio[m->nmmio++] = (struct dev_window){ "msidev", HVSIM_VIRT_MSIDEV_BASE, MSIDEV_WINDOW, &msidev_glue, v, true };
	v->gic.v4.forwarded = forwarded;
	v->gic.v4.ctx = v;
	v->gic.v4.hits.direct = v4_direct;
	v->gic.v4.hits.doorbell = v4_doorbell;
	v->gic.v4.hits.v4ctx = v;
	v->its.mapping = its_mapping;
	v->its.mapping_ctx = v;
	return 0;
}

static const struct irq_ctrl_ops virt_irq_ops = {
	.sysreg_class = irq_sysreg_class, .sysreg = irq_sysreg, .exit = irq_exit, .saved_lrs = irq_saved_lrs,
	.poll = irq_poll,
	.entry = irq_entry, .quiet_entry = irq_quiet_entry, .irq_line = irq_line, .irq_taken = irq_taken,
	.wait = irq_wait,
};

int virt_irq_init(struct virt *v, const struct cfg *c, struct stats *st)
{
	struct machine *m = &v->m;
	uint64_t mpidr[MACHINE_MAX_CPUS];
	for (unsigned i = 0; i < m->ncpus; i++)
		mpidr[i] = psci_mpidr(i);
	if (vgic_init(&v->gic, c, m->ncpus, mpidr) < 0)
		return -1;
	vgic_register_stats(&v->gic, st);
	if (its_init(&v->its, &v->gic.dist, c) < 0)
		return -1;
	its_register_stats(&v->its, st);
	if (msidev_setup(v, c, st) < 0)
		return -1;
	v->gic.dist.mem = gic_mem;
	v->gic.dist.now = gic_now;
	v->gic.dist.kick = gic_kick;
	v->gic.dist.ctx = v;
	v->counter = (struct arch_counter){ v->cntfrq_hz, m->freq_hz };
	struct el2_model el2;
	el2_init(&el2, c);
	v->exit_tail = el2_exit_tail(&el2);
	for (unsigned i = 0; i < m->ncpus; i++) {
		v->irqcpu[i] = (struct virt_irq_cpu){ .v = v, .id = i, .kick_at = UINT64_MAX, .wait_from = UINT64_MAX };
		vgic_map_hw(&v->gic, i, HVSIM_VIRT_PPI_VIRT_TIMER);   /* direct vtimer (kvm_timer_vcpu_load_gic) */
	}
	for (unsigned i = 0; i < MACHINE_MAX_CPUS; i++)
		v->irqc.check_at[i] = i < m->ncpus ? 0 : UINT64_MAX;
	v->irqc.ops = &virt_irq_ops;
	v->irqc.ctx = v;
	m->irqc = &v->irqc;
	m->mmio[m->nmmio++] = (struct dev_window){ "gicd", HVSIM_VIRT_GICD_BASE, HVSIM_VIRT_GICD_SIZE,
						   &gicd_glue, v, false };
	/* KVM emulates the ITS control frame in the kernel; the translation
	 * frame has no in-kernel handler: a CPU write goes to the VMM, which
	 * signals the MSI (QEMU kvm_its_send_msi, KVM_SIGNAL_MSI). */
	m->mmio[m->nmmio++] = (struct dev_window){ "gits", HVSIM_VIRT_ITS_BASE, GITS_FRAME_SIZE, &its_ctrl_glue, v, false };
	m->mmio[m->nmmio++] = (struct dev_window){ "gits_translater", HVSIM_VIRT_ITS_BASE + GITS_FRAME_SIZE,
						   GITS_FRAME_SIZE, &its_xlate_glue, v, true };
	m->mmio[m->nmmio++] = (struct dev_window){ "gicr", HVSIM_VIRT_GICR_BASE, HVSIM_VIRT_GICR_STRIDE * m->ncpus,
						   &gicr_glue, v, false };
	v->st_timer_fired[ARCH_TIMER_VIRT] = stats_counter(st, "timer.fired.virtual", "virtual timer assertions (PPI 27)");
	v->st_timer_fired[ARCH_TIMER_PHYS] = stats_counter(st, "timer.fired.physical", "EL1 physical timer assertions (PPI 30)");
	v->st_irq_exits[VIRT_IRQ_TIMER] = stats_counter(st, "platform.irq_exits.timer",
							"IRQ exits: a timer fired while the vCPU ran");
	v->st_irq_exits[VIRT_IRQ_KICK] = stats_counter(st, "platform.irq_exits.kick",
						       "IRQ exits: kick IPI from another vCPU");
	v->st_irq_exits[VIRT_IRQ_MAINTENANCE] = stats_counter(st, "platform.irq_exits.maintenance",
							      "IRQ exits: GIC maintenance interrupt (underflow, EOI)");
	v->st_wait_cycles[0] = stats_counter(st, "platform.wfi_in_guest_cycles",
					     "cycles vCPUs waited for an interrupt in hardware (WFI not trapped): the physical CPU stays with the guest, unavailable to the host scheduler");
	v->st_wait_cycles[1] = stats_counter(st, "platform.blocked_cycles",
					     "cycles vCPUs waited blocked in the hypervisor (trapped WFI, PSCI suspend): the physical CPU is the host's");
	v->st_wakeups = stats_counter(st, "platform.vcpu_wakeups", "waits for an interrupt (WFI, PSCI suspend) that blocked in the hypervisor until a wake-up");
	return 0;
}
