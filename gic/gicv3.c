/* GICv3 Distributor and Redistributors.  See gicv3.h.
 * Register tables after Linux vgic-mmio-v3.c: one table per frame (offset,
 * length, access widths, read and write handler); reserved offsets, bad
 * widths and RAZ/WI registers go through shared helpers. */
#include "gic/gicv3.h"
#include <string.h>
#include "core/err.h"
#include "core/log.h"

/* KVM's GICD_IIDR: ProductID 'K' (PRODUCT_ID_KVM), Implementer Arm (0x43b),
 * Revision 2 (KVM_VGIC_IMP_REV_2: group configuration writable). */
#define KVM_IIDR_PRODUCT     0x4b
#define KVM_IIDR_IMPLEMENTER 0x43b
#define KVM_IIDR_REVISION    2

enum { W8 = 1, W16 = 2, W32 = 4, W64 = 8 };   /* allowed access sizes, as a mask */

/* One access being served. */
struct acc {
	struct gicv3 *g;
	int cpu;                 /* Redistributor's vCPU; -1 for the Distributor */
	uint32_t off;            /* offset inside the register's range */
	unsigned size;
	cycles_t now;
};

struct gic_reg {
	uint32_t off, len;       /* byte range [off, off + len) */
	uint8_t widths;
	uint64_t (*rd)(struct acc *a);
	void (*wr)(struct acc *a, uint64_t val);
	const char *name;
};

/* ---- interrupts ---- */
struct gic_irq *gicv3_irq(struct gicv3 *g, unsigned cpu, uint32_t intid)
{
	if (intid < GIC_NR_PRIVATE)
		return cpu < g->ncpus ? &g->priv[cpu][intid] : NULL;
	if (intid - GIC_NR_PRIVATE < g->nspis)
		return &g->spi[intid - GIC_NR_PRIVATE];
	return gicv3_lpi(g, intid);
}

int gicv3_cpu_by_affinity(const struct gicv3 *g, uint64_t aff)
{
	for (unsigned c = 0; c < g->ncpus; c++)
		if (g->mpidr[c] == aff)
			return (int)c;
	return -1;
}

/* IROUTER Aff3.Aff2.Aff1.Aff0 in MPIDR layout (Aff3 at [39:32]). */
int gicv3_spi_target(const struct gicv3 *g, const struct gic_irq *irq)
{
	uint64_t aff = FIELD_EX(irq->irouter, GICD_IROUTER, AFF0_2) |
		       (FIELD_EX(irq->irouter, GICD_IROUTER, AFF3) << 32);
	return gicv3_cpu_by_affinity(g, aff);
}

bool gicv3_deliverable(const struct gicv3 *g, const struct gic_irq *irq)
{
	/* KVM's GICD_CTLR has one enable (EnableGrp1) gating both groups;
	 * an LPI also needs its Redistributor's EnableLPIs (5.1). */
	if (irq->lpi && !g->enable_lpis[irq->lpi_cpu])
		return false;
	return g->enable_grp1 && irq->enabled && gicv3_pending(irq);
}

static int target_of(const struct gicv3 *g, int cpu, const struct gic_irq *irq)
{
	if (irq->lpi)
		return irq->lpi_cpu;
	return irq >= g->spi && irq < g->spi + GIC_MAX_SPIS ? gicv3_spi_target(g, irq) : cpu;
}

void gicv3_mark(struct gicv3 *g, const struct gic_irq *irq)
{
	const struct gic_irq *priv = &g->priv[0][0];
	if (irq >= priv && irq < priv + GIC_MAX_CPUS * GIC_NR_PRIVATE) {
		size_t k = (size_t)(irq - priv);
		g->live_priv[k / GIC_NR_PRIVATE] |= 1u << (k % GIC_NR_PRIVATE);
	} else if (irq >= g->spi && irq < g->spi + GIC_MAX_SPIS) {
		size_t k = (size_t)(irq - g->spi);
		g->live_spi[k / 64] |= 1ull << (k % 64);
		g->live_shared = true;
	} else if (irq >= g->lpi && irq < g->lpi + GIC_MAX_LPIS) {
		size_t k = (size_t)(irq - g->lpi);
		g->live_lpi[k / 64] |= 1ull << (k % 64);
		g->live_shared = true;   /* also when lpi_top grows (gicv3_lpi_map) */
	}
}

/* Calls kick if a change made irq deliverable (KVM: vgic_queue_irq_unlock). */
static void notify(struct gicv3 *g, int cpu, const struct gic_irq *irq, bool was)
{
	gicv3_mark(g, irq);
	int t = target_of(g, cpu, irq);
	if (!was && gicv3_deliverable(g, irq) && t >= 0 && g->kick)
		g->kick(g->ctx, (unsigned)t);
}

static void make_pending(struct gic_irq *irq, cycles_t now)
{
	if (!gicv3_pending(irq)) {
		irq->pending_at = now;
		irq->latency_taken = false;
	}
}

void gicv3_set_level(struct gicv3 *g, unsigned cpu, uint32_t intid, bool level, cycles_t now)
{
	struct gic_irq *irq = gicv3_irq(g, cpu, intid);
	if (!irq || irq->line_level == level)
		return;
	bool was = gicv3_deliverable(g, irq);
	if (level) {
		make_pending(irq, now);
		if (irq->edge)
			irq->pending_latch = true;
	}
	irq->line_level = level;
	notify(g, (int)cpu, irq, was);
}

void gicv3_set_pending(struct gicv3 *g, unsigned cpu, uint32_t intid, cycles_t now)
{
	struct gic_irq *irq = gicv3_irq(g, cpu, intid);
	if (!irq)
		return;
	bool was = gicv3_deliverable(g, irq);
	make_pending(irq, now);
	irq->pending_latch = true;
	notify(g, (int)cpu, irq, was);
}

/* ---- LPIs (5.1) ---- */
struct gic_irq *gicv3_lpi(struct gicv3 *g, uint32_t intid)
{
	if (intid < GIC_LPI_BASE)
		return NULL;
	for (unsigned i = 0; i < g->lpi_top; i++)
		if (g->lpi[i].lpi == intid)
			return &g->lpi[i];
	return NULL;
}

static bool table_access(struct gicv3 *g, uint64_t addr, void *buf, unsigned len, bool write)
{
	g->mem_accesses++;
	if (g->mem && g->mem(g->ctx, addr, buf, len, write))
		return true;
	(*g->table_errors)++;
	DBG(LOG_GIC, "guest error: LPI table %s at 0x%llx outside RAM", write ? "write" : "read",
	    (unsigned long long)addr);
	return false;
}

/* The configuration byte of intid from cpu's GICR_PROPBASER (5.1.1): the
 * table holds one byte per LPI from 8192 up to 2^(IDbits + 1). */
static bool read_config(struct gicv3 *g, unsigned cpu, uint32_t intid, uint8_t *prop)
{
	uint64_t pb = g->propbaser[cpu];
	unsigned bits = (unsigned)FIELD_EX(pb, GICR_PROPBASER, IDBITS) + 1;
	if (bits > GIC_INTID_BITS)
		bits = GIC_INTID_BITS;
	if (bits < 14 || intid >= (1u << bits)) {
		(*g->table_errors)++;
		DBG(LOG_GIC, "guest error: LPI %u beyond GICR_PROPBASER.IDbits (%u bits) of cpu%u", intid, bits, cpu);
		return false;
	}
	uint64_t pa = FIELD_EX(pb, GICR_PROPBASER, PA) << GICR_PROPBASER_PA_SHIFT;
	return table_access(g, pa + intid - GIC_LPI_BASE, prop, 1, false);
}

bool gicv3_lpi_reload(struct gicv3 *g, struct gic_irq *lpi)
{
	uint8_t prop;
	if (!read_config(g, (unsigned)lpi->lpi_cpu, lpi->lpi, &prop))
		return false;
	bool was = gicv3_deliverable(g, lpi);
	lpi->enabled = FIELD_EX(prop, LPI_PROP, ENABLE);
	lpi->priority = (uint8_t)(prop & GIC_PRI_MASK);   /* bits 7:2, of which the top GIC_PRI_BITS are implemented */
	notify(g, lpi->lpi_cpu, lpi, was);
	return true;
}

/* The pending table of cpu: bit n of the table is INTID n (5.1.2). */
static uint64_t pend_byte(const struct gicv3 *g, unsigned cpu, uint32_t intid)
{
	return (FIELD_EX(g->pendbaser[cpu], GICR_PENDBASER, PA) << GICR_PENDBASER_PA_SHIFT) + intid / 8;
}

static void sync_pending_in(struct gicv3 *g, struct gic_irq *lpi, cycles_t now)
{
	uint8_t b;
	unsigned cpu = (unsigned)lpi->lpi_cpu;
	if (!g->enable_lpis[cpu] || !table_access(g, pend_byte(g, cpu, lpi->lpi), &b, 1, false))
		return;
	if ((b >> (lpi->lpi % 8)) & 1)
		gicv3_lpi_set_pending(g, lpi, true, now);
}

static void sync_pending_out(struct gicv3 *g, struct gic_irq *lpi)
{
	uint8_t b;
	uint64_t a = pend_byte(g, (unsigned)lpi->lpi_cpu, lpi->lpi);
	if (!table_access(g, a, &b, 1, false))
		return;
	b = (uint8_t)((b & ~(1u << (lpi->lpi % 8))) | (lpi->pending_latch << (lpi->lpi % 8)));
	table_access(g, a, &b, 1, true);
}

struct gic_irq *gicv3_lpi_map(struct gicv3 *g, uint32_t intid, unsigned cpu, cycles_t now)
{
	struct gic_irq *l = gicv3_lpi(g, intid);
	if (l) {
		gicv3_lpi_move(g, l, cpu);
		return l;
	}
	for (unsigned i = 0; i < GIC_MAX_LPIS && !l; i++)
		if (!g->lpi[i].lpi)
			l = &g->lpi[i];
	if (!l)
		return NULL;
	/* LPIs are edge-triggered, Group 1, without an active state (5.1). */
	*l = (struct gic_irq){ .group1 = true, .edge = true, .active_cpu = -1, .lpi = intid, .lpi_cpu = (int16_t)cpu };
	gicv3_mark(g, l);
	if ((unsigned)(l - g->lpi) >= g->lpi_top)
		g->lpi_top = (unsigned)(l - g->lpi) + 1;
	gicv3_lpi_reload(g, l);
	sync_pending_in(g, l, now);
	return l;
}

void gicv3_lpi_unmap(struct gicv3 *g, struct gic_irq *lpi)
{
	memset(lpi, 0, sizeof *lpi);
}

void gicv3_lpi_move(struct gicv3 *g, struct gic_irq *lpi, unsigned cpu)
{
	if (lpi->lpi_cpu == (int)cpu)
		return;
	lpi->lpi_cpu = (int16_t)cpu;
	notify(g, (int)cpu, lpi, false);
}

void gicv3_lpi_set_pending(struct gicv3 *g, struct gic_irq *lpi, bool pending, cycles_t now)
{
	bool was = gicv3_deliverable(g, lpi);
	if (pending)
		make_pending(lpi, now);
	lpi->pending_latch = pending;
	notify(g, lpi->lpi_cpu, lpi, was);
}

uint64_t gic_reg64_read(uint64_t reg, uint32_t off, unsigned size)
{
	return size == 8 ? reg : (uint32_t)(reg >> (8 * (off & 4)));
}

uint64_t gic_reg64_write(uint64_t reg, uint32_t off, unsigned size, uint64_t v)
{
	if (size == 8)
		return v;
	if (off & 4)
		return (reg & 0xffffffffull) | (v << 32);
	return (reg & ~0xffffffffull) | (uint32_t)v;
}

/* ---- reset ---- */
static void reset_irq(struct gic_irq *irq, uint32_t intid)
{
	/* KVM: every interrupt Group 1 for a GICv3 guest (kvm_vgic_vcpu_init),
	 * SGIs edge, PPIs and SPIs level, priority 0, disabled. */
	*irq = (struct gic_irq){ .group1 = true, .edge = intid < GIC_NR_SGIS, .active_cpu = -1 };
}

int gicv3_init(struct gicv3 *g, unsigned ncpus, unsigned nspis, const uint64_t *mpidr)
{
	memset(g, 0, sizeof *g);
	if (ncpus == 0 || ncpus > GIC_MAX_CPUS)
		return err_set("GICv3: %u vCPUs (1..%u supported)", ncpus, GIC_MAX_CPUS);
	if (nspis % 32 || nspis > GIC_MAX_SPIS - 28)
		return err_set("gic.spis: %u is not a multiple of 32 in [0, 960]", nspis);
	g->ncpus = ncpus;
	g->nspis = nspis;
	g->guest_errors = &g->own_errors;
	g->table_errors = &g->own_table_errors;
	for (unsigned c = 0; c < ncpus; c++) {
		g->mpidr[c] = mpidr[c];
		for (uint32_t i = 0; i < GIC_NR_PRIVATE; i++)
			reset_irq(&g->priv[c][i], i);
	}
	for (unsigned i = 0; i < nspis; i++)
		reset_irq(&g->spi[i], GIC_NR_PRIVATE + i);
	/* all live: the first scan drops the idle ones */
	memset(g->live_priv, 0xff, sizeof g->live_priv);
	memset(g->live_spi, 0xff, sizeof g->live_spi);
	memset(g->live_lpi, 0xff, sizeof g->live_lpi);
	g->live_shared = true;
	return 0;
}

/* ---- shared register helpers ---- */
static uint64_t raz(struct acc *a) { return 0; }
static void wi(struct acc *a, uint64_t v) {}

static void guest_error(struct gicv3 *g, const char *what, int cpu, uint32_t off, unsigned size)
{
	(*g->guest_errors)++;
	DBG(LOG_GIC, "guest error: %s at %s offset 0x%x, %u bytes (read as zero / write ignored)", what,
	    cpu < 0 ? "GICD" : "GICR", off, size);
}

/* First INTID covered by a bank register access: bits_per_irq bits each. */
static uint32_t bank_intid(const struct acc *a, unsigned bits_per_irq)
{
	return a->off * 8 / bits_per_irq;
}

/* The interrupt intid for this access: NULL if it does not exist, and for
 * the Distributor's INTIDs 0-31, which are RAZ/WI with ARE = 1 (12.9). */
static struct gic_irq *acc_irq(struct acc *a, uint32_t intid)
{
	if (a->cpu < 0 && intid < GIC_NR_PRIVATE)
		return NULL;
	if (a->cpu >= 0 && intid >= GIC_NR_PRIVATE)
		return NULL;
	return gicv3_irq(a->g, a->cpu < 0 ? 0 : (unsigned)a->cpu, intid);
}

enum attr { A_GROUP, A_ENABLE, A_PENDING, A_ACTIVE };

static bool get_attr(const struct gic_irq *irq, enum attr at)
{
	switch (at) {
	case A_GROUP: return irq->group1;
	case A_ENABLE: return irq->enabled;
	case A_PENDING: return gicv3_pending(irq);
	case A_ACTIVE: return irq->active;
	}
	return false;
}

static void set_attr(struct acc *a, struct gic_irq *irq, enum attr at, bool v)
{
	bool was = gicv3_deliverable(a->g, irq);
	switch (at) {
	case A_GROUP: irq->group1 = v; break;
	case A_ENABLE: irq->enabled = v; break;
	case A_PENDING:
		if (v)
			make_pending(irq, a->now);
		irq->pending_latch = v;
		break;
	case A_ACTIVE:
		if (v && !irq->active)
			irq->active_cpu = (int16_t)target_of(a->g, a->cpu, irq);
		else if (!v)
			irq->active_cpu = -1;
		irq->active = v;
		break;
	}
	notify(a->g, a->cpu, irq, was);
}

static uint64_t bits_read(struct acc *a, enum attr at)
{
	uint64_t v = 0;
	uint32_t base = bank_intid(a, 1);
	for (unsigned i = 0; i < 32; i++) {
		struct gic_irq *irq = acc_irq(a, base + i);
		if (irq && get_attr(irq, at))
			v |= 1ull << i;
	}
	return v;
}

/* mode: 0 write the value, 1 set the ones, 2 clear the ones */
static void bits_write(struct acc *a, enum attr at, uint64_t val, int mode)
{
	uint32_t base = bank_intid(a, 1);
	for (unsigned i = 0; i < 32; i++) {
		struct gic_irq *irq = acc_irq(a, base + i);
		bool bit = (val >> i) & 1;
		if (!irq || (mode && !bit))
			continue;
		set_attr(a, irq, at, mode == 2 ? false : mode == 1 ? true : bit);
	}
}

static uint64_t rd_group(struct acc *a) { return bits_read(a, A_GROUP); }
static void wr_group(struct acc *a, uint64_t v) { bits_write(a, A_GROUP, v, 0); }
static uint64_t rd_enable(struct acc *a) { return bits_read(a, A_ENABLE); }
static void wr_isenable(struct acc *a, uint64_t v) { bits_write(a, A_ENABLE, v, 1); }
static void wr_icenable(struct acc *a, uint64_t v) { bits_write(a, A_ENABLE, v, 2); }
static uint64_t rd_pending(struct acc *a) { return bits_read(a, A_PENDING); }
static void wr_ispend(struct acc *a, uint64_t v) { bits_write(a, A_PENDING, v, 1); }
static void wr_icpend(struct acc *a, uint64_t v) { bits_write(a, A_PENDING, v, 2); }
static uint64_t rd_active(struct acc *a) { return bits_read(a, A_ACTIVE); }
static void wr_isactive(struct acc *a, uint64_t v) { bits_write(a, A_ACTIVE, v, 1); }
static void wr_icactive(struct acc *a, uint64_t v) { bits_write(a, A_ACTIVE, v, 2); }

/* IPRIORITYR: one byte per interrupt, byte-accessible (12.9.20). */
static uint64_t rd_priority(struct acc *a)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < a->size; i++) {
		struct gic_irq *irq = acc_irq(a, a->off + i);
		v |= (uint64_t)(irq ? irq->priority : 0) << (8 * i);
	}
	return v;
}

static void wr_priority(struct acc *a, uint64_t v)
{
	for (unsigned i = 0; i < a->size; i++) {
		struct gic_irq *irq = acc_irq(a, a->off + i);
		if (irq)
			irq->priority = (uint8_t)((v >> (8 * i)) & GIC_PRI_MASK);
	}
}

/* ICFGR: two bits per interrupt, bit 1 of each = edge (12.9.9).  SGIs are
 * always edge, and KVM keeps PPIs level and read-only (the timer relies on
 * it); only SPIs are configurable. */
static uint64_t rd_config(struct acc *a)
{
	uint64_t v = 0;
	uint32_t base = bank_intid(a, 2);
	for (unsigned i = 0; i < 16; i++) {
		struct gic_irq *irq = acc_irq(a, base + i);
		if (irq && irq->edge)
			v |= 2ull << (2 * i);
	}
	return v;
}

static void wr_config(struct acc *a, uint64_t v)
{
	uint32_t base = bank_intid(a, 2);
	for (unsigned i = 0; i < 16; i++) {
		struct gic_irq *irq = acc_irq(a, base + i);
		if (irq && base + i >= GIC_NR_PRIVATE) {
			irq->edge = (v >> (2 * i + 1)) & 1;
			gicv3_mark(a->g, irq);   /* level with its line high: pending now */
		}
	}
}

/* ---- Distributor ---- */
static uint64_t rd_gicd_ctlr(struct acc *a)
{
	uint64_t v = FIELD_DP(0, GICD_CTLR, ENABLE_GRP1, a->g->enable_grp1);
	v = FIELD_DP(v, GICD_CTLR, NASSGIREQ, a->g->nassgi_req);
	v = FIELD_DP(v, GICD_CTLR, ARE, 1);      /* RAO/WI */
	return FIELD_DP(v, GICD_CTLR, DS, 1);    /* RAO/WI */
}

/* KVM kicks every vCPU when the Distributor is enabled. */
static void wr_gicd_ctlr(struct acc *a, uint64_t v)
{
	bool was = a->g->enable_grp1;
	a->g->enable_grp1 = FIELD_EX(v, GICD_CTLR, ENABLE_GRP1);
	/* nASSGIreq: RES0 without nASSGIcap; KVM lets it change only together
	 * with the enable (vgic_mmio_write_v3_misc): kept simple here, any write. */
	a->g->nassgi_req = a->g->nassgi_cap && FIELD_EX(v, GICD_CTLR, NASSGIREQ);
	if (!was && a->g->enable_grp1 && a->g->kick)
		for (unsigned c = 0; c < a->g->ncpus; c++)
			a->g->kick(a->g->ctx, c);
}

static uint64_t rd_gicd_typer(struct acc *a)
{
	uint64_t v = FIELD_DP(0, GICD_TYPER, ITLINES, (a->g->nspis + GIC_NR_PRIVATE) / 32 - 1);
	v = FIELD_DP(v, GICD_TYPER, LPIS, 1);
	return FIELD_DP(v, GICD_TYPER, IDBITS, GIC_INTID_BITS - 1);
}

static uint64_t rd_gicd_typer2(struct acc *a) { return FIELD_DP(0, GICD_TYPER2, NASSGICAP, a->g->nassgi_cap); }

static uint64_t iidr(void)
{
	uint64_t v = FIELD_DP(0, GIC_IIDR, PRODUCT, KVM_IIDR_PRODUCT);
	v = FIELD_DP(v, GIC_IIDR, REVISION, KVM_IIDR_REVISION);
	return FIELD_DP(v, GIC_IIDR, IMPLEMENTER, KVM_IIDR_IMPLEMENTER);
}
static uint64_t rd_iidr(struct acc *a) { return iidr(); }
/* PIDR2.ArchRev = 3; KVM returns 0x3b (vgic_mmio_read_v3_idregs). */
static uint64_t rd_pidr2(struct acc *a) { return FIELD_DP(0xb, GIC_PIDR2, ARCHREV, 3); }

/* IROUTER<n>, 64-bit, also accessible as two 32-bit halves; n < 32 reserved. */
static struct gic_irq *irouter_irq(struct acc *a) { return acc_irq(a, a->off / 8); }

static uint64_t rd_irouter(struct acc *a)
{
	struct gic_irq *irq = irouter_irq(a);
	return gic_reg64_read(irq ? irq->irouter : 0, a->off, a->size);
}

static void wr_irouter(struct acc *a, uint64_t v)
{
	struct gic_irq *irq = irouter_irq(a);
	if (!irq)
		return;
	uint64_t r = gic_reg64_write(irq->irouter, a->off, a->size, v);
	int old = gicv3_spi_target(a->g, irq);
	/* Only the affinity fields are kept: IRM (1-of-N) is RAZ/WI as in KVM. */
	irq->irouter = r & (FIELD_MASK(GICD_IROUTER, AFF0_2) | FIELD_MASK(GICD_IROUTER, AFF3));
	if (gicv3_spi_target(a->g, irq) != old)
		notify(a->g, -1, irq, false);   /* deliverable to a new target */
}

#define BANK(o, n, w, r, wr) { o, n, w, r, wr, #o }
/* The one-bit-per-interrupt banks, alike in the Distributor and the SGI_base
 * frame (12.9 / 12.11): group, enable, pending, active; n bytes each. */
#define BIT_BANKS(p, s, n) \
	BANK(p##_IGROUPR##s, n, W32, rd_group, wr_group), \
	BANK(p##_ISENABLER##s, n, W32, rd_enable, wr_isenable), \
	BANK(p##_ICENABLER##s, n, W32, rd_enable, wr_icenable), \
	BANK(p##_ISPENDR##s, n, W32, rd_pending, wr_ispend), \
	BANK(p##_ICPENDR##s, n, W32, rd_pending, wr_icpend), \
	BANK(p##_ISACTIVER##s, n, W32, rd_active, wr_isactive), \
	BANK(p##_ICACTIVER##s, n, W32, rd_active, wr_icactive)
static const struct gic_reg dist_regs[] = {
	{ GICD_CTLR, 4, W32, rd_gicd_ctlr, wr_gicd_ctlr, "GICD_CTLR" },
	{ GICD_TYPER, 4, W32, rd_gicd_typer, wi, "GICD_TYPER" },
	{ GICD_IIDR, 4, W32, rd_iidr, wi, "GICD_IIDR" },
	{ GICD_TYPER2, 4, W32, rd_gicd_typer2, wi, "GICD_TYPER2" },
	{ GICD_STATUSR, 4, W32, raz, wi, "GICD_STATUSR" },
	{ GICD_SETSPI_NSR, 0x20, W32, raz, wi, "GICD_SETSPI/CLRSPI" },   /* no MBIS: RAZ/WI */
	BIT_BANKS(GICD, , 0x80),
	BANK(GICD_IPRIORITYR, 0x400, W8 | W32, rd_priority, wr_priority),
	{ GICD_ITARGETSR, 0x400, W8 | W32, raz, wi, "GICD_ITARGETSR" },    /* ARE = 1: RES0 */
	BANK(GICD_ICFGR, 0x100, W32, rd_config, wr_config),
	{ GICD_IGRPMODR, 0x80, W32, raz, wi, "GICD_IGRPMODR" },            /* DS = 1 */
	{ GICD_NSACR, 0x100, W32, raz, wi, "GICD_NSACR" },
	{ GICD_SGIR, 4, W32, raz, wi, "GICD_SGIR" },                       /* ARE = 1 */
	{ GICD_CPENDSGIR, 0x20, W8 | W32, raz, wi, "GICD_C/SPENDSGIR" },
	BANK(GICD_IROUTER, 0x2000, W32 | W64, rd_irouter, wr_irouter),
	{ GICD_PIDR2, 4, W32, rd_pidr2, wi, "GICD_PIDR2" },
};

/* ---- Redistributor ---- */
static uint64_t rd_gicr_typer(struct acc *a)
{
	uint64_t mpidr = a->g->mpidr[a->cpu];
	uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24);
	uint64_t v = FIELD_DP(0, GICR_TYPER, AFFINITY, aff);
	v = FIELD_DP(v, GICR_TYPER, PROC_NUM, (unsigned)a->cpu);
	v = FIELD_DP(v, GICR_TYPER, LAST, (unsigned)a->cpu == a->g->ncpus - 1);
	v = FIELD_DP(v, GICR_TYPER, PLPIS, 1);
	return gic_reg64_read(v, a->off, a->size);   /* DirectLPI = 0: LPIs come from the ITS only */
}

static uint64_t rd_gicr_ctlr(struct acc *a)
{
	return FIELD_DP(0, GICR_CTLR, ENABLE_LPIS, a->g->enable_lpis[a->cpu]);   /* RWP = 0: effects are immediate */
}

/* EnableLPIs 0 -> 1 reads the pending table for this Redistributor's LPIs,
 * 1 -> 0 writes their pending state back (see gicv3.h). */
static void wr_gicr_ctlr(struct acc *a, uint64_t v)
{
	struct gicv3 *g = a->g;
	bool en = FIELD_EX(v, GICR_CTLR, ENABLE_LPIS), was = g->enable_lpis[a->cpu];
	if (en == was)
		return;
	if (!en)
		for (unsigned i = 0; i < GIC_MAX_LPIS; i++)
			if (g->lpi[i].lpi && g->lpi[i].lpi_cpu == a->cpu)
				sync_pending_out(g, &g->lpi[i]);
	g->enable_lpis[a->cpu] = en;
	for (unsigned i = 0; i < GIC_MAX_LPIS; i++)
		if (g->lpi[i].lpi && g->lpi[i].lpi_cpu == a->cpu) {
			if (en)
				sync_pending_in(g, &g->lpi[i], a->now);
			notify(g, a->cpu, &g->lpi[i], false);
		}
}

static uint64_t *lpi_baser(struct acc *a, bool prop)
{
	return prop ? &a->g->propbaser[a->cpu] : &a->g->pendbaser[a->cpu];
}

static uint64_t rd_propbaser(struct acc *a) { return gic_reg64_read(*lpi_baser(a, true), a->off, a->size); }
static uint64_t rd_pendbaser(struct acc *a)
{
	/* PTZ is write-only: reads as 0 (12.11.29). */
	uint64_t v = *lpi_baser(a, false) & ~FIELD_MASK(GICR_PENDBASER, PTZ);
	return gic_reg64_read(v, a->off, a->size);
}

/* Writable fields only; while EnableLPIs = 1 the write is UNPREDICTABLE and
 * ignored, as KVM does (vgic_mmio_write_propbase). */
static void wr_lpi_baser(struct acc *a, uint64_t v, bool prop, uint64_t mask)
{
	if (a->g->enable_lpis[a->cpu]) {
		guest_error(a->g, prop ? "GICR_PROPBASER written with EnableLPIs = 1" : "GICR_PENDBASER written with EnableLPIs = 1",
			    a->cpu, a->off, a->size);
		return;
	}
	uint64_t *r = lpi_baser(a, prop);
	*r = gic_reg64_write(*r, a->off, a->size, v) & mask;
}

static void wr_propbaser(struct acc *a, uint64_t v)
{
	wr_lpi_baser(a, v, true, FIELD_MASK(GICR_PROPBASER, IDBITS) | FIELD_MASK(GICR_PROPBASER, INNER_CACHE) |
				 FIELD_MASK(GICR_PROPBASER, SHAREABILITY) | FIELD_MASK(GICR_PROPBASER, PA) |
				 FIELD_MASK(GICR_PROPBASER, OUTER_CACHE));
}

static void wr_pendbaser(struct acc *a, uint64_t v)
{
	wr_lpi_baser(a, v, false, FIELD_MASK(GICR_PENDBASER, INNER_CACHE) | FIELD_MASK(GICR_PENDBASER, SHAREABILITY) |
				  FIELD_MASK(GICR_PENDBASER, PA) | FIELD_MASK(GICR_PENDBASER, OUTER_CACHE) |
				  FIELD_MASK(GICR_PENDBASER, PTZ));
}

static const struct gic_reg rd_regs[] = {
	{ GICR_CTLR, 4, W32, rd_gicr_ctlr, wr_gicr_ctlr, "GICR_CTLR" },
	{ GICR_IIDR, 4, W32, rd_iidr, wi, "GICR_IIDR" },
	{ GICR_TYPER, 8, W32 | W64, rd_gicr_typer, wi, "GICR_TYPER" },
	{ GICR_STATUSR, 4, W32, raz, wi, "GICR_STATUSR" },
	{ GICR_WAKER, 4, W32, raz, wi, "GICR_WAKER" },        /* KVM: RAZ/WI (always awake) */
	{ GICR_SETLPIR, 0x10, W32 | W64, raz, wi, "GICR_SETLPIR/CLRLPIR" },   /* DirectLPI = 0 */
	{ GICR_PROPBASER, 8, W32 | W64, rd_propbaser, wr_propbaser, "GICR_PROPBASER" },
	{ GICR_PENDBASER, 8, W32 | W64, rd_pendbaser, wr_pendbaser, "GICR_PENDBASER" },
	{ GICR_INVLPIR, 8, W32 | W64, raz, wi, "GICR_INVLPIR" },
	{ GICR_INVALLR, 8, W32 | W64, raz, wi, "GICR_INVALLR" },
	{ GICR_SYNCR, 4, W32, raz, wi, "GICR_SYNCR" },                    /* Busy = 0 */
	{ GICR_PIDR2, 4, W32, rd_pidr2, wi, "GICR_PIDR2" },
};

static const struct gic_reg sgi_regs[] = {
	BIT_BANKS(GICR, 0, 4),
	BANK(GICR_IPRIORITYR0, 0x20, W8 | W32, rd_priority, wr_priority),
	BANK(GICR_ICFGR0, 8, W32, rd_config, wr_config),
	{ GICR_IGRPMODR0, 4, W32, raz, wi, "GICR_IGRPMODR0" },
	{ GICR_NSACR, 4, W32, raz, wi, "GICR_NSACR" },
};

#define NREGS(t) (sizeof t / sizeof t[0])

/* The register holding [off, off + size), naturally aligned and of an
 * allowed width; NULL (a guest error) otherwise. */
static const struct gic_reg *find_reg(const struct gic_reg *t, unsigned n, uint32_t off, unsigned size,
				      const char **why)
{
	if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & (size - 1))) {
		*why = "unaligned or odd-sized access";
		return NULL;
	}
	for (unsigned i = 0; i < n; i++)
		if (off >= t[i].off && off - t[i].off < t[i].len) {
			if (!(t[i].widths & size) || off - t[i].off + size > t[i].len) {
				*why = "access width not supported by the register";
				return NULL;
			}
			return &t[i];
		}
	*why = "reserved offset";
	return NULL;
}

static uint64_t frame_access(struct gicv3 *g, int cpu, const struct gic_reg *t, unsigned n, uint32_t off,
			     unsigned size, bool write, uint64_t val)
{
	const char *why = "";
	const struct gic_reg *r = find_reg(t, n, off, size, &why);
	if (!r) {
		guest_error(g, why, cpu, off, size);
		return 0;
	}
	struct acc a = { g, cpu, off - r->off, size, g->now ? g->now(g->ctx) : 0 };
	if (!write)
		return r->rd(&a);
	r->wr(&a, val);
	return 0;
}

static uint64_t dist_read(void *dev, uint64_t off, unsigned size)
{
	if (off >= GICD_FRAME_SIZE)
		return 0;
	return frame_access(dev, -1, dist_regs, NREGS(dist_regs), (uint32_t)off, size, false, 0);
}

static void dist_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	if (off < GICD_FRAME_SIZE)
		frame_access(dev, -1, dist_regs, NREGS(dist_regs), (uint32_t)off, size, true, val);
}

static uint64_t redist_access(struct gicv3 *g, uint64_t off, unsigned size, bool write, uint64_t val)
{
	uint64_t cpu = off / GICR_STRIDE;
	uint32_t in = (uint32_t)(off % GICR_STRIDE);
	if (cpu >= g->ncpus) {
		guest_error(g, "beyond the last Redistributor", -1, (uint32_t)off, size);
		return 0;
	}
	if (in < GICR_FRAME_SIZE)
		return frame_access(g, (int)cpu, rd_regs, NREGS(rd_regs), in, size, write, val);
	return frame_access(g, (int)cpu, sgi_regs, NREGS(sgi_regs), in - GICR_FRAME_SIZE, size, write, val);
}

static uint64_t redist_read(void *dev, uint64_t off, unsigned size) { return redist_access(dev, off, size, false, 0); }
static void redist_write(void *dev, uint64_t off, unsigned size, uint64_t val) { redist_access(dev, off, size, true, val); }

const struct dev_ops gicv3_dist_ops = { dist_read, dist_write };
const struct dev_ops gicv3_redist_ops = { redist_read, redist_write };
