/* KVM-style vgic: LR flush/fold, SGI dispatch, ICC_* routing.  See vgic.h. */
#include "gic/vgic.h"
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"

/* Defaults and their sources: designs/default-arm64.ini */
const struct cfg_key gic_cfg_keys[] = {
	/* At least 2: with one LR, ICH_HCR_EL2.UIE (set on overflow) would
	 * raise the underflow maintenance interrupt without end. */
	{ "gic", "list_registers", CFG_U64, 2, GIC_MAX_LRS, NULL,
	  "ICH_LR<n>_EL2 per vCPU (ICH_VTR_EL2.ListRegs + 1)" },
	{ "gic", "spis", CFG_U64, 0, 960, NULL, "SPIs the Distributor implements (multiple of 32; GICD_TYPER.ITLinesNumber)" },
	{ "gic", "ich_hcr_el2", CFG_U64, 0, 4294967295.0, NULL,
	  "ICH_HCR_EL2 trap bits while the guest runs; consulted: TC TALL0 TALL1 (En is always set)" },
	{ "gic", "lr_inject_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: one pending interrupt written into a list register at guest entry (vgic_flush_lr_state)" },
	{ "gic", "version", CFG_ENUM, 0, 0, "3|4|4.1",
	  "GIC of the host: 3 (list registers only), 4 (GICv4.0: direct vLPIs, doorbells), 4.1 (also vSGIs)" },
	{ "gic", "irqfd_cycles", CFG_U64, 0, 1e9, NULL,
	  "host: a passed-through device's MSI until its LPI is pending in the vgic without GICv4 (VFIO handler, eventfd, irqfd injection)" },
	{ "gic", "vlpi_latency_cycles", CFG_U64, 0, 1e9, NULL,
	  "hardware (GICv4): a forwarded MSI through the host ITS until the vLPI is pending at the vPE (VPT, CPU interface)" },
	{ "gic", "vlpi_map_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor (GICv4): forwarding one vLPI (its_map_vlpi: VMAPTI or VMOVI, INV, SYNC on the host ITS); also its_unmap_vlpi" },
	{ "gic", "vlpi_inv_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor (GICv4): a forwarded vLPI's configuration update (its_prop_update_vlpi: table write, INV, SYNC)" },
	{ "gic", "residency_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor (GICv4): one vPE residency change (vgic_v4_load/put: GICR_VPENDBASER write, Dirty poll)" },
	{ "gic", "doorbell_cycles", CFG_U64, 0, 1e9, NULL,
	  "host (GICv4): the doorbell interrupt's handling until the vCPU is woken (vgic_v4_doorbell_handler, kvm_vcpu_kick)" },
	{ "gic", "vsgi_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor (GICv4.1): making a vSGI pending for a target (vgic_v3_queue_sgi, irq->hw: GITS_SGIR write)" },
	{ "gic", "sgi_queue_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: a trapped SGI made pending for one target in the vgic (vgic_v3_dispatch_sgi, vgic_queue_irq_unlock)" },
	{ "gic", "kick_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: kicking another vCPU (kvm_vcpu_kick: smp_send_reschedule, the host's SGI write), on the sender" },
	{ "gic", "ipi_latency_cycles", CFG_U64, 0, 1e9, NULL,
	  "hardware: the kick's physical SGI from the sending core until the target core takes it" },
	{ "gic", "timer_irq_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: a timer's IRQ exit on top of the host's IRQ path (kvm_arch_timer_handler, kvm_vgic_inject_irq)" },
};
const unsigned gic_cfg_nkeys = sizeof gic_cfg_keys / sizeof gic_cfg_keys[0];

int vgic_init(struct vgic *vg, const struct cfg *c, unsigned ncpus, const uint64_t *mpidr)
{
	memset(vg, 0, sizeof *vg);
	if (gicv3_init(&vg->dist, ncpus, (unsigned)cfg_u64(c, "gic", "spis"), mpidr) < 0)
		return -1;
	vg->inject_cycles = cfg_u64(c, "gic", "lr_inject_cycles");
	vg->ich_hcr = cfg_u64(c, "gic", "ich_hcr_el2");
	vg->irqfd_cycles = cfg_u64(c, "gic", "irqfd_cycles");
	vg->sgi_queue_cycles = cfg_u64(c, "gic", "sgi_queue_cycles");
	vg->kick_cycles = cfg_u64(c, "gic", "kick_cycles");
	vg->ipi_latency_cycles = cfg_u64(c, "gic", "ipi_latency_cycles");
	vg->timer_irq_cycles = cfg_u64(c, "gic", "timer_irq_cycles");
	static const unsigned versions[] = { 0, 40, 41 };
	if (vgic_v4_init(&vg->v4, c, versions[cfg_enum(c, "gic", "version")], ncpus) < 0)
		return -1;
	vg->dist.nassgi_cap = vg->v4.version >= 41;   /* KVM with GICv4.1: GICD_TYPER2.nASSGIcap */
	uint64_t hcr = FIELD_DP(vg->ich_hcr, ICH_HCR, EN, 1);
	for (unsigned i = 0; i < ncpus; i++) {
		gic_cpuif_reset(&vg->cpu[i], (unsigned)cfg_u64(c, "gic", "list_registers"), hcr);
	}
	uint64_t *o = vg->own;
	for (unsigned p = 0; p < GIC_NPATHS; p++)
		for (unsigned t = 0; t < GIC_NTYPES; t++)
			vg->st_path[p][t] = o++;
	vg->st_delivered = vg->st_path[GIC_PATH_LR];
	for (unsigned i = 0; i < GIC_MAX_CPUS; i++)
		for (unsigned p = 0; p < GIC_NPATHS; p++)
			for (unsigned t = 0; t < GIC_NTYPES; t++)
				vg->st_cpu[i][p][t] = &vg->cpu_sink;
	vg->st_injections = o++;
	vg->st_overflows = o++;
	vg->st_spurious = o++;
	vg->st_eoi_misses = o++;
	vg->st_sgis = o++;
	vg->st_maintenance = o++;
	return 0;
}

void vgic_fini(struct vgic *vg) { vgic_v4_fini(&vg->v4); }

const char *const vgic_type_name[GIC_NTYPES] = { "SGI", "PPI", "SPI", "LPI", "vLPI", "vSGI" };
const char *const vgic_path_name[GIC_NPATHS] = { "list_register", "direct", "doorbell" };
static const char *const path_doc[GIC_NPATHS] = {
	"injected through a list register", "injected directly from the resident vPE (GICv4, no list register)",
	"injected directly after a doorbell had the vPE scheduled (GICv4)" };

void vgic_register_stats(struct vgic *vg, struct stats *st)
{
	char path[64], doc[160];
	for (unsigned p = 0; p < GIC_NPATHS; p++) {
		for (unsigned t = 0; t < GIC_NTYPES; t++) {
			snprintf(path, sizeof path, "gic.delivered.%s.%s", vgic_path_name[p], vgic_type_name[t]);
			snprintf(doc, sizeof doc, "%ss acknowledged by the guest, %s", vgic_type_name[t], path_doc[p]);
			vg->st_path[p][t] = stats_counter(st, path, doc);
		}
		snprintf(path, sizeof path, "gic.delivery_latency.%s", vgic_path_name[p]);
		snprintf(doc, sizeof doc, "cycles from the MSI/SGI write (or the interrupt becoming pending) to the guest's IRQ entry, %s",
			 path_doc[p]);
		vg->h_path[p] = stats_hist(st, path, doc);
	}
	for (unsigned i = 0; i < vg->dist.ncpus; i++)
		for (unsigned p = 0; p < GIC_NPATHS; p++)
			for (unsigned t = 0; t < GIC_NTYPES; t++) {
				snprintf(path, sizeof path, "gic.per_vcpu.%u.%s.%s", i, vgic_path_name[p], vgic_type_name[t]);
				snprintf(doc, sizeof doc, "%ss acknowledged by vCPU %u, %s", vgic_type_name[t], i, path_doc[p]);
				vg->st_cpu[i][p][t] = stats_counter(st, path, doc);
			}
	vg->st_delivered = vg->st_path[GIC_PATH_LR];
	vgic_v4_register_stats(&vg->v4, st);
	vg->h_latency = stats_hist(st, "gic.delivery_latency_cycles",
				   "cycles from an interrupt becoming pending to the guest's IRQ exception entry (every path)");
	vg->st_injections = stats_counter(st, "gic.lr_injections", "pending interrupts written into list registers");
	vg->st_overflows = stats_counter(st, "gic.lr_overflows",
					 "interrupts left in the Distributor model at a guest entry: no free list register");
	vg->st_maintenance = stats_counter(st, "gic.maintenance_interrupts",
					   "maintenance interrupts taken by the hypervisor (underflow: refill list registers; EOI: resample a level interrupt)");
	vg->st_spurious = stats_counter(st, "gic.spurious_acknowledges", "ICC_IAR*_EL1 reads that returned 1023");
	vg->st_eoi_misses = stats_counter(st, "gic.eoi_without_lr",
					  "EOIs/deactivations matching no list register (ICH_HCR_EL2.EOIcount)");
	vg->st_sgis = stats_counter(st, "gic.sgis_generated", "SGIs made pending, one per target vCPU");
	vg->dist.table_errors = stats_counter(st, "gic.lpi_table_errors",
					      "LPI configuration/pending table accesses outside RAM or beyond GICR_PROPBASER.IDbits (LPI left as it was)");
	vg->dist.guest_errors = stats_counter(st, "gic.guest_errors",
					      "GICD/GICR accesses at reserved offsets, with bad widths or for absent INTIDs (RAZ/WI)");
}

enum gic_irq_type vgic_irq_type(uint32_t intid)
{
	if (intid >= GIC_LPI_BASE)
		return GIC_LPI;
	return intid < GIC_NR_SGIS ? GIC_SGI : intid < GIC_NR_PRIVATE ? GIC_PPI : GIC_SPI;
}

void vgic_map_hw(struct vgic *vg, unsigned cpu, uint32_t intid)
{
	struct gic_irq *irq = gicv3_irq(&vg->dist, cpu, intid);
	if (irq)
		irq->hw = true;
}

/* ---- fold: LR state back into the interrupts (vgic_v3_fold_lr_state) ---- */
static void fold_lr(struct vgic *vg, unsigned cpu, uint64_t lr)
{
	struct gic_irq *irq = gicv3_irq(&vg->dist, cpu, gic_lr_intid(lr));
	if (!irq)
		return;
	unsigned st = gic_lr_state(lr);
	gicv3_mark(&vg->dist, irq);
	irq->active = (st & LR_ACTIVE) != 0;
	irq->active_cpu = irq->active ? (int16_t)cpu : -1;
	if (irq->edge && (st & LR_PENDING))
		irq->pending_latch = true;
	/* Level: the soft pending state goes once the guest has handled it. */
	if (!irq->edge && st == LR_INVALID)
		irq->pending_latch = false;
}

void vgic_fold_lrs(struct vgic *vg, unsigned cpu)
{
	struct gic_cpuif *c = &vg->cpu[cpu];
	for (unsigned i = 0; i < vg->lr_top[cpu]; i++) {
		if (c->lr[i])
			fold_lr(vg, cpu, c->lr[i]);
		c->lr[i] = 0;
	}
	vg->lr_top[cpu] = 0;
	c->hcr = FIELD_DP(c->hcr, ICH_HCR, UIE, 0);
	vg->need_flush[cpu] = true;
}

unsigned vgic_lrs_in_use(const struct vgic *vg, unsigned cpu)
{
	const struct gic_cpuif *c = &vg->cpu[cpu];
	unsigned n = 0;
	for (unsigned i = 0; i < vg->lr_top[cpu]; i++)
		n += c->lr[i] != 0;
	return n;
}

/* ---- flush: candidates into LRs (vgic_flush_lr_state) ---- */
struct cand {
	struct gic_irq *irq;
	uint32_t intid;
};

/* KVM vgic_irq_cmp: active first, then by priority; ties by INTID here
 * (KVM keeps ap_list insertion order). */
static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->irq->active != b->irq->active)
		return a->irq->active ? -1 : 1;
	if (a->irq->priority != b->irq->priority)
		return a->irq->priority < b->irq->priority ? -1 : 1;
	return a->intid < b->intid ? -1 : a->intid > b->intid;
}

static bool candidate(const struct vgic *vg, unsigned cpu, const struct gic_irq *irq, bool private, cycles_t now)
{
	if (irq->active)
		return private || irq->active_cpu == (int)cpu;
	if (!gicv3_deliverable(&vg->dist, irq) || irq->pending_at > now)
		return false;
	if (irq->lpi)
		return irq->lpi_cpu == (int)cpu;
	return private || gicv3_spi_target(&vg->dist, irq) == (int)cpu;
}

/* Neither active nor pending: no ok() accepts it (both callers need one). */
static inline bool idle_irq(const struct gic_irq *irq) { return !irq->active && !gicv3_pending(irq); }

/* The live interrupts of one word of a live_* bitmap (bit b: irq[b]), in
 * ascending order, onto out; the idle ones leave the bitmap. */
static unsigned each_live(struct vgic *vg, unsigned cpu, cycles_t now, bool (*ok)(const struct vgic *, unsigned,
		const struct gic_irq *, bool, cycles_t), struct cand *out, uint64_t *live, struct gic_irq *irq,
		uint32_t intid, bool private)
{
	unsigned n = 0;
	for (uint64_t m = *live; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctzll(m);
		if (idle_irq(&irq[b]))
			*live &= ~(1ull << b);
		else if (ok(vg, cpu, &irq[b], private, now))
			out[n++] = (struct cand){ &irq[b], irq[b].lpi ? irq[b].lpi : intid + b };
	}
	return n;
}

/* Every interrupt that may concern cpu, with its INTID: its SGIs and PPIs,
 * the SPIs, the mapped LPIs (only those live_* marks: every guest entry
 * after an exit comes here).  Returns the count. */
static unsigned each_irq(struct vgic *vg, unsigned cpu, cycles_t now, bool (*ok)(const struct vgic *, unsigned,
		const struct gic_irq *, bool, cycles_t), struct cand *out)
{
	struct gicv3 *d = &vg->dist;
	uint64_t priv = d->live_priv[cpu];
	unsigned n = 0;
	if (priv) {
		n = each_live(vg, cpu, now, ok, out, &priv, d->priv[cpu], 0, true);
		d->live_priv[cpu] = (uint32_t)priv;
	}
	if (!d->live_shared)
		return n;
	/* Most words are 0 (nothing live): tested here, with no call */
	uint64_t left = 0;
	for (uint32_t w = 0; w * 64 < d->nspis; w++) {
		if (!d->live_spi[w])
			continue;
		if (w * 64 + 64 > d->nspis)   /* bits beyond nspis: never live */
			d->live_spi[w] &= (1ull << (d->nspis % 64)) - 1;
		n += each_live(vg, cpu, now, ok, out + n, &d->live_spi[w], &d->spi[w * 64], GIC_NR_PRIVATE + w * 64, false);
		left |= d->live_spi[w];
	}
	for (uint32_t w = 0; w * 64 < d->lpi_top; w++) {
		if (d->live_lpi[w])
			n += each_live(vg, cpu, now, ok, out + n, &d->live_lpi[w], &d->lpi[w * 64], 0, false);
		left |= d->live_lpi[w];
	}
	d->live_shared = left != 0;
	return n;
}

static uint64_t make_lr(struct gic_irq *irq, uint32_t intid)
{
	unsigned st = (gicv3_pending(irq) ? LR_PENDING : 0) | (irq->active ? LR_ACTIVE : 0);
	uint64_t lr = FIELD_DP(0, ICH_LR, VINTID, intid);
	lr = FIELD_DP(lr, ICH_LR, PRIORITY, irq->priority);
	lr = FIELD_DP(lr, ICH_LR, GROUP, irq->group1);
	if (irq->hw) {
		/* The pending state of a HW interrupt lives at the physical side:
		 * never pending + active (vgic_v3_populate_lr). */
		lr = FIELD_DP(lr, ICH_LR, HW, 1);
		lr = FIELD_DP(lr, ICH_LR, PINTID, intid);
		if (irq->active)
			st = LR_ACTIVE;
	} else if (!irq->edge) {
		/* A software level interrupt is resampled when the guest
		 * deactivates it: EOI maintenance, and no pending + active. */
		lr = FIELD_DP(lr, ICH_LR, EOI, 1);
		if (irq->active)
			st = LR_ACTIVE;
	}
	if (irq->edge && (st & LR_PENDING))
		irq->pending_latch = false;   /* the LR holds it now */
	return FIELD_DP(lr, ICH_LR, STATE, st);
}

static struct cand cand[GIC_NR_PRIVATE + GIC_MAX_SPIS + GIC_MAX_LPIS];

bool vgic_flush_idle(struct vgic *vg, unsigned cpu, cycles_t now)
{
	/* each_irq finds nothing where nothing is live (tested here, with no call) */
	if (vg->need_flush[cpu] && (vg->dist.live_priv[cpu] || vg->dist.live_shared) &&
	    each_irq(vg, cpu, now, candidate, cand))
		return false;
	vg->need_flush[cpu] = false;   /* the LRs stay as the fold left them: empty */
	return true;
}

cycles_t vgic_flush(struct vgic *vg, unsigned cpu, cycles_t now)
{
	if (!vg->need_flush[cpu])
		return 0;
	vg->need_flush[cpu] = false;
	struct gic_cpuif *c = &vg->cpu[cpu];
	unsigned n = each_irq(vg, cpu, now, candidate, cand), injected = 0;
	if (n > 1)
		qsort(cand, n, sizeof cand[0], cand_cmp);
	for (unsigned i = 0; i < n && i < c->nlr; i++) {
		c->lr[i] = make_lr(cand[i].irq, cand[i].intid);
		injected += (gic_lr_state(c->lr[i]) & LR_PENDING) != 0;
	}
	vg->lr_top[cpu] = n < c->nlr ? n : c->nlr;
	if (n > c->nlr) {
		*vg->st_overflows += n - c->nlr;
		c->hcr = FIELD_DP(c->hcr, ICH_HCR, UIE, 1);
	}
	*vg->st_injections += injected;
	if (injected)
		DBG(LOG_GIC, "cpu%u: flush: %u candidates, %u injected", cpu, n, injected);
	return injected * vg->inject_cycles;
}

/* ---- SGIs (vgic_v3_dispatch_sgi) ---- */
static void sgi_to(struct vgic *vg, unsigned target, uint32_t sgi, bool allow_group1, cycles_t now, unsigned *n)
{
	struct gic_irq *irq = &vg->dist.priv[target][sgi];
	/* A Group 0 access (SGI0R) generates only Group 0 SGIs; SGI1R either. */
	if (irq->group1 && !allow_group1)
		return;
	if (vg->v4.version >= 41 && vg->dist.nassgi_req)
		vgic_v4_send_sgi(&vg->v4, target, sgi, irq, now);   /* a vSGI: no kick, no LR */
	else {
		vg->cycles += vg->sgi_queue_cycles;   /* before the kick it may send */
		gicv3_set_pending(&vg->dist, target, sgi, now);
	}
	(*vg->st_sgis)++;
	(*n)++;
}

unsigned vgic_dispatch_sgi(struct vgic *vg, unsigned cpu, uint64_t val, bool allow_group1, cycles_t now)
{
	uint32_t sgi = (uint32_t)FIELD_EX(val, ICC_SGIR, INTID);
	unsigned n = 0;
	if (FIELD_EX(val, ICC_SGIR, IRM)) {          /* every PE but the sender */
		for (unsigned t = 0; t < vg->dist.ncpus; t++)
			if (t != cpu)
				sgi_to(vg, t, sgi, allow_group1, now, &n);
		return n;
	}
	uint64_t aff = (FIELD_EX(val, ICC_SGIR, AFF3) << 32) | (FIELD_EX(val, ICC_SGIR, AFF2) << 16) |
		       (FIELD_EX(val, ICC_SGIR, AFF1) << 8);
	uint64_t list = FIELD_EX(val, ICC_SGIR, TARGETS), rs = FIELD_EX(val, ICC_SGIR, RS);
	for (unsigned bit = 0; bit < 16; bit++) {
		if (!((list >> bit) & 1))
			continue;
		int t = gicv3_cpu_by_affinity(&vg->dist, aff | (rs * 16 + bit));
		if (t >= 0)        /* absent targets are ignored (IHI 0069H 12.2.21) */
			sgi_to(vg, (unsigned)t, sgi, allow_group1, now, &n);
	}
	return n;
}

/* ---- ICC_* accesses ---- */
static bool is_sgi_reg(uint32_t reg)
{
	return reg == ICC_SGI1R_EL1 || reg == ICC_ASGI1R_EL1 || reg == ICC_SGI0R_EL1;
}

/* Which ICH_HCR_EL2 bit traps `reg` (12.4.4): TALL0 Group 0 registers,
 * TALL1 Group 1 registers, TC the common ones. */
int vgic_sysreg_traps(const struct vgic *vg, uint32_t reg)
{
	if (SYS_REG_OP0(reg) != 3 || SYS_REG_OP1(reg) != 0)
		return -1;
	unsigned crn = SYS_REG_CRN(reg), crm = SYS_REG_CRM(reg);
	if (reg == ICC_PMR_EL1 || reg == ICC_CTLR_EL1 || reg == ICC_DIR_EL1 || reg == ICC_RPR_EL1 || is_sgi_reg(reg))
		return FIELD_EX(vg->ich_hcr, ICH_HCR, TC) != 0;
	if (reg == ICC_SRE_EL1)
		return 0;
	if (crn == 12 && crm == 8)
		return FIELD_EX(vg->ich_hcr, ICH_HCR, TALL0) != 0;
	if (crn == 12 && (crm == 9 || crm == 12))
		return reg == ICC_IGRPEN0_EL1 ? FIELD_EX(vg->ich_hcr, ICH_HCR, TALL0) != 0
					      : FIELD_EX(vg->ich_hcr, ICH_HCR, TALL1) != 0;
	return -1;
}

static void latency(struct vgic *vg, enum gic_path p, cycles_t now, cycles_t at)
{
	if (vg->h_latency && now >= at) {
		hist_add(vg->h_latency, now - at);
		hist_add(vg->h_path[p], now - at);
	}
}

static void count_delivered(struct vgic *vg, unsigned cpu, enum gic_path p, enum gic_irq_type t)
{
	(*vg->st_path[p][t])++;
	if (cpu < GIC_MAX_CPUS)
		(*vg->st_cpu[cpu][p][t])++;
}

static bool same_direct(const struct its_direct *a, const struct its_direct *b)
{
	return a->intid == b->intid && a->pending_at == b->pending_at;
}

/* A direct (GICv4) interrupt acknowledged: the Redistributor drops its
 * pending state (a vSGI becomes active there). */
static void count_direct(struct vgic *vg, unsigned cpu, uint32_t intid, cycles_t now)
{
	const struct its_direct *d = &vg->direct[cpu];
	enum gic_path p = d->via_doorbell ? GIC_PATH_DOORBELL : GIC_PATH_DIRECT;
	its_v4_acknowledge(&vg->v4.hits, cpu, intid);
	count_delivered(vg, cpu, p, intid < GIC_NR_SGIS ? GIC_VSGI : GIC_VLPI);
	if (!same_direct(d, &vg->timed[cpu])) {
		latency(vg, p, now, d->pending_at);
		vg->timed[cpu] = *d;
	}
	DBG(LOG_GIC, "cpu%u: acknowledged direct %s %u (%s)", cpu, intid < GIC_NR_SGIS ? "vSGI" : "vLPI", intid, vgic_path_name[p]);
}

cycles_t vgic_v4_offer(struct vgic *vg, unsigned cpu, cycles_t now)
{
	struct gic_cpuif *c = &vg->cpu[cpu];
	struct its_direct d = { .intid = GIC_INTID_SPURIOUS };
	if (vg->v4.version)
		d = its_v4_hppi(&vg->v4.hits, cpu);
	cycles_t later = d.intid != GIC_INTID_SPURIOUS && d.pending_at > now ? d.pending_at : UINT64_MAX;
	if (later != UINT64_MAX)
		d.intid = GIC_INTID_SPURIOUS;   /* not pending yet in simulated time */
	vg->direct[cpu] = d;
	c->direct_intid = d.intid;
	c->direct_prio = d.prio;
	return later;
}

cycles_t vgic_pending_cycles(const struct vgic *vg) { return vg->cycles + vg->v4.cycles; }

cycles_t vgic_take_cycles(struct vgic *vg)
{
	cycles_t c = vg->cycles;
	vg->cycles = 0;
	return c + vgic_v4_take_cycles(&vg->v4);
}

static void count_ack(struct vgic *vg, unsigned cpu, uint64_t intid, cycles_t now)
{
	if (intid >= 1020 && intid < GIC_LPI_BASE) {
		(*vg->st_spurious)++;
		return;
	}
	count_delivered(vg, cpu, GIC_PATH_LR, vgic_irq_type((uint32_t)intid));
	/* Polled without an IRQ exception: the acknowledge is the delivery. */
	struct gic_irq *irq = gicv3_irq(&vg->dist, cpu, (uint32_t)intid);
	if (irq && !irq->latency_taken) {
		irq->latency_taken = true;
		latency(vg, GIC_PATH_LR, now, irq->pending_at);
	}
	DBG(LOG_GIC, "cpu%u: acknowledged INTID %llu", cpu, (unsigned long long)intid);
}

enum gic_sysreg_result vgic_sysreg(struct vgic *vg, unsigned cpu, uint32_t reg, bool is_read, uint64_t *val,
				   cycles_t now, struct gic_cpuif_events *ev)
{
	if (is_sgi_reg(reg)) {
		*ev = (struct gic_cpuif_events){ .hw_deactivated = -1, .direct_acked = -1 };
		if (is_read)
			return GIC_SYSREG_UNDEF;   /* write-only */
		vgic_dispatch_sgi(vg, cpu, *val, reg != ICC_SGI0R_EL1, now);
		return GIC_SYSREG_OK;
	}
	vgic_v4_sync(vg, cpu, now);
	enum gic_sysreg_result r = gic_cpuif_access(&vg->cpu[cpu], reg, is_read, val, ev);
	if (ev->direct_acked >= 0)
		count_direct(vg, cpu, (uint32_t)ev->direct_acked, now);
	else if (r == GIC_SYSREG_OK && is_read && (reg == ICC_IAR1_EL1 || reg == ICC_IAR0_EL1))
		count_ack(vg, cpu, *val, now);

	*vg->st_eoi_misses += ev->eoi_misses;
	return r;
}

/* ---- the vCPU's hardware view ---- */
bool vgic_irq_line_lrs(const struct vgic *vg, unsigned cpu) { return gic_cpuif_irq_line(&vg->cpu[cpu]); }

bool vgic_maintenance(const struct vgic *vg, unsigned cpu)
{
	if (vgic_folded(vg, cpu))
		return false;
	uint64_t misr = gic_cpuif_misr(&vg->cpu[cpu]);
	return FIELD_EX(misr, ICH_MISR, U) || FIELD_EX(misr, ICH_MISR, EOI);
}

static bool wakes(const struct vgic *vg, unsigned cpu, const struct gic_irq *irq, bool private, cycles_t now)
{
	unsigned pmr = (unsigned)FIELD_EX(vg->cpu[cpu].vmcr, ICH_VMCR, VPMR);
	return !irq->active && candidate(vg, cpu, irq, private, now) && irq->priority < pmr;
}

bool vgic_wake(const struct vgic *vg, unsigned cpu, cycles_t now)
{
	if (gic_cpuif_wake(&vg->cpu[cpu]) || vgic_v4_pending((struct vgic_v4 *)&vg->v4, cpu, now))
		return true;
	return each_irq((struct vgic *)vg, cpu, now, wakes, cand) > 0;
}

void vgic_irq_entry(struct vgic *vg, unsigned cpu, cycles_t now)
{
	const struct gic_cpuif *c = &vg->cpu[cpu];
	if (gic_cpuif_direct_first(c)) {
		const struct its_direct *d = &vg->direct[cpu];
		if (!same_direct(d, &vg->timed[cpu]))
			latency(vg, d->via_doorbell ? GIC_PATH_DOORBELL : GIC_PATH_DIRECT, now, d->pending_at);
		vg->timed[cpu] = *d;
		return;
	}
	int i = gic_cpuif_hppi_lr(c);
	struct gic_irq *irq = i < 0 ? NULL : gicv3_irq(&vg->dist, cpu, gic_lr_intid(c->lr[i]));
	if (!irq || irq->latency_taken)
		return;
	irq->latency_taken = true;
	latency(vg, GIC_PATH_LR, now, irq->pending_at);
}
