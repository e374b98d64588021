/* GICv4.0 / GICv4.1 part of the ITS and of the Redistributors: the vPE
 * table and the V* commands (IHI 0069H 5.3), vPE residency through
 * GICR_VPENDBASER (12.11.38), the virtual pending state, the doorbells and
 * (4.1) the vSGIs.  See its.h.  Each IMPLEMENTATION DEFINED or
 * UNPREDICTABLE case is marked with the choice made. */
#include <endian.h>
#include <stdio.h>
#include "core/log.h"
#include "gic/its_int.h"

void its_set_version(struct its *its, unsigned version) { its->version = version; }

struct its_vpe *its_vpe(struct its *its, uint32_t vpeid)
{
	for (unsigned i = 0; i < ITS_MAX_VPES; i++)
		if (its->vpe[i].valid && its->vpe[i].id == vpeid)
			return &its->vpe[i];
	return NULL;
}

static uint16_t cmd_vpeid(const struct its_cmd *c) { return (uint16_t)FIELD_EX(c->dw[1], ITS_CMD1, VPEID); }

/* The command's vPE: inside the vPE table (GITS_BASER2) and mapped. */
static struct its_vpe *cmd_vpe(struct its *its, const struct its_cmd *c)
{
	const char *what = its_cmd_names[c->nr];
	if (!its_table_entry(its, ITS_TABLE_VPE, cmd_vpeid(c), what))
		return NULL;
	struct its_vpe *p = its_vpe(its, cmd_vpeid(c));
	if (!p)
		its_fail(its, ITS_E_UNMAPPED_VPE, what, cmd_vpeid(c));
	return p;
}

/* A doorbell is a physical LPI, or 1023 for none (5.3 VMAPTI). */
static bool doorbell_ok(struct its *its, uint32_t db, const char *what)
{
	if (db == ITS_DB_NONE || (db >= GIC_LPI_BASE && db < (1u << GIC_INTID_BITS)))
		return true;
	return its_fail(its, ITS_E_DOORBELL_OOR, what, db);
}

static bool in_memory(struct its *its, uint64_t addr, uint64_t bytes)
{
	uint8_t probe;
	return its_mem(its, addr, &probe, 1, false) && its_mem(its, addr + bytes - 1, &probe, 1, false);
}

/* ---- the vPE table entry (gic/regs.h ITS_VPTE*) ---- */
static void vpe_entry_write(struct its *its, uint64_t addr, const struct its_vpe *p)
{
	uint64_t dw[4] = { 0 };
	if (p) {
		dw[0] = FIELD_DP(FIELD_DP(FIELD_DP(FIELD_DP(0, ITS_VPTE0, VALID, 1), ITS_VPTE0, VPT_SIZE, p->vpt_bits - 1u),
					  ITS_VPTE0, RDBASE, p->rd), ITS_VPTE0, DEFAULT_DB, p->db);
		dw[1] = FIELD_DP(0, ITS_VPTE1, VPT_ADDR, p->vpt >> ITS_CMD3_VPT_ADDR_SHIFT);
		dw[2] = FIELD_DP(0, ITS_VPTE2, VCONF_ADDR, p->vconf >> GICR_VPROPBASER_PA_SHIFT);
		dw[3] = FIELD_DP(0, ITS_VPTE3, VPEID, p->id);
	}
	for (unsigned i = 0; i < 4; i++)
		dw[i] = htole64(dw[i]);
	its_mem(its, addr, dw, sizeof dw, true);
}

/* The vPE configuration table as GICR_VPROPBASER (4.1) of a Redistributor
 * describes it; Entry_Size is the implementation's (RO), whatever was written. */
static struct its_table vprop_table(const struct its *its, unsigned rd)
{
	static const uint64_t page[4] = { 4096, 16384, 65536, 65536 };   /* Page_Size 3 reserved: as 64K */
	uint64_t v = its->vpropbaser[rd], pg = page[FIELD_EX(v, GICR_VPROPBASER, PAGE_SIZE_41)];
	return (struct its_table){ .valid = FIELD_EX(v, GICR_VPROPBASER, VALID_41),
				   .indirect = FIELD_EX(v, GICR_VPROPBASER, INDIRECT_41),
				   .pa = FIELD_EX(v, GICR_VPROPBASER, PA) << GICR_VPROPBASER_PA_SHIFT, .page = pg,
				   .bytes = (FIELD_EX(v, GICR_VPROPBASER, SIZE_41) + 1) * pg, .esz = ITS_VPE_ENTRY_SIZE };
}

/* A Redistributor scheduling vPE id (4.1): its entry in the shared table,
 * which must be valid and name this Redistributor.  The vPE's state is the
 * one VMAPP cached under that vPEID. */
static struct its_vpe *vpe_from_table(struct its *its, unsigned rd, uint32_t id)
{
	const char *what = "GICR_VPENDBASER vPE table entry";
	struct its_table t = vprop_table(its, rd);
	uint64_t addr, dw[4];
	if (!its_table_addr(its, &t, id, ITS_E_VPE_OOR, what, &addr))
		return NULL;
	if (!its_mem(its, addr, dw, sizeof dw, false))
		return its_fail(its, ITS_E_TABLE_OUTSIDE_RAM, what, addr), NULL;
	uint64_t e0 = le64toh(dw[0]);
	if (!FIELD_EX(e0, ITS_VPTE0, VALID) || FIELD_EX(le64toh(dw[3]), ITS_VPTE3, VPEID) != id)
		return its_fail(its, ITS_E_UNMAPPED_VPE, what, id), NULL;
	struct its_vpe *p = its_vpe(its, id);
	if (!p || FIELD_EX(e0, ITS_VPTE0, RDBASE) != rd)   /* mapped elsewhere: UNPREDICTABLE, refused */
		return its_fail(its, ITS_E_UNMAPPED_VPE, "GICR_VPENDBASER names a vPE mapped to another Redistributor", id),
		       NULL;
	return p;
}

/* ---- residency and delivery ---- */
struct its_vpe *its_v4_resident(struct its *its, unsigned rd)
{
	uint64_t v = rd < GIC_MAX_CPUS ? its->vpendbaser[rd] : 0;
	if (!FIELD_EX(v, GICR_VPENDBASER, VALID))
		return NULL;
	for (unsigned i = 0; i < ITS_MAX_VPES; i++) {
		struct its_vpe *p = &its->vpe[i];
		bool named = its->version >= 41 ? p->id == FIELD_EX(v, GICR_VPENDBASER, VPEID_41)
						: p->vpt == FIELD_EX(v, GICR_VPENDBASER, PA) << GICR_VPENDBASER_PA_SHIFT;
		if (p->valid && named && p->rd == rd)
			return p;
	}
	return NULL;
}

static bool vpe_resident(struct its *its, const struct its_vpe *p) { return its_v4_resident(its, p->rd) == p; }

/* Something became pending for vPE p: the Redistributor offers it to the
 * virtual CPU interface when p is resident; otherwise the doorbell rings
 * (4.0: the ITE's own, every time; 4.1: the vPE's default doorbell, once
 * per descheduling with VPENDBASER.Doorbell).  *via: it waits for the vPE
 * to be scheduled (the doorbell path). */
static void vpe_notify(struct its *its, struct its_vpe *p, uint32_t ite_db, bool enabled, bool *via)
{
	if (vpe_resident(its, p)) {
		if (its->direct)
			its->direct(its->v4ctx, p->rd);
		return;
	}
	*via = true;
	uint32_t db = its->version >= 41 ? (p->db_armed ? p->db : ITS_DB_NONE) : ite_db;
	if (db == ITS_DB_NONE || !enabled)
		return;
	p->db_armed = false;
	(*its->st_doorbells)++;
	DBG(LOG_GIC, "GICv4: doorbell pINTID %u for vPE %u on RD %u", db, p->id, p->rd);
	if (its->doorbell)
		its->doorbell(its->v4ctx, p->rd, db, p->id);
}

bool its_v4_set_pending(struct its *its, struct its_ite *ite, bool pending, cycles_t now)
{
	struct its_vpe *p = its_vpe(its, ite->vpeid);
	if (!p)
		return its_fail(its, ITS_E_UNMAPPED_VPE, "vLPI", ite->vpeid);
	if (!pending) {
		ite->vpending = false;
		return true;
	}
	if (!ite->vpending) {
		ite->vpending = true;
		ite->vpending_at = now;
		ite->via_doorbell = false;
	}
	vpe_notify(its, p, ite->db, ite->venabled, &ite->via_doorbell);
	return true;
}

/* The vLPI's configuration byte (priority 7:2, enable 0, as 5.1.1) from
 * the vPE's configuration table: 4.0 VPROPBASER of its Redistributor, 4.1
 * VMAPP's VCONF_addr. */
void its_v4_reload(struct its *its, struct its_ite *ite)
{
	struct its_vpe *p = its_vpe(its, ite->vpeid);
	if (!p)
		return;
	uint64_t base = p->vconf;
	if (its->version < 41) {
		uint64_t vp = its->vpropbaser[p->rd];
		if (ite->intid >= (2ull << FIELD_EX(vp, GICR_VPROPBASER, IDBITS)))
			return (void)its_fail(its, ITS_E_VINTID_OOR, "vLPI beyond GICR_VPROPBASER.IDbits", ite->intid);
		base = FIELD_EX(vp, GICR_VPROPBASER, PA) << GICR_VPROPBASER_PA_SHIFT;
	}
	uint8_t prop;
	if (!its_mem(its, base + ite->intid - GIC_LPI_BASE, &prop, 1, false))
		return (void)its_fail(its, ITS_E_VPT, "vLPI configuration table", base);
	ite->venabled = FIELD_EX(prop, LPI_PROP, ENABLE);
	ite->vprio = (uint8_t)(prop & GIC_PRI_MASK);
	if (ite->vpending && ite->venabled)
		vpe_notify(its, p, ite->db, true, &ite->via_doorbell);
}

static bool vpe_has_pending(const struct its *its, const struct its_vpe *p)
{
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].virt && its->ite[i].vpeid == p->id && its->ite[i].vpending &&
		    its->ite[i].venabled)
			return true;
	return (p->sgi_pending & p->sgi_enabled) != 0;
}

static uint64_t vpendbaser_mask(const struct its *its)
{
	if (its->version >= 41)
		return FIELD_MASK(GICR_VPENDBASER, VALID) | FIELD_MASK(GICR_VPENDBASER, DOORBELL_41) |
		       FIELD_MASK(GICR_VPENDBASER, VGRP0EN_41) | FIELD_MASK(GICR_VPENDBASER, VGRP1EN_41) |
		       FIELD_MASK(GICR_VPENDBASER, VPEID_41);
	return FIELD_MASK(GICR_VPENDBASER, VALID) | FIELD_MASK(GICR_VPENDBASER, IDAI) | FIELD_MASK(GICR_VPENDBASER, PA);
}

/* Valid 0 -> 1 schedules the vPE the value names (which must be mapped to
 * this Redistributor: otherwise UNPREDICTABLE, refused and counted here);
 * 1 -> 0 deschedules it, PendingLast telling the hypervisor whether it
 * must not block (12.11.38).  Dirty is never seen set: the Redistributor's
 * VPT parsing is instantaneous here (its cost is the hypervisor's
 * residency cost, in the design). */
bool its_v4_vpendbaser_write(struct its *its, unsigned rd, uint64_t v)
{
	if (rd >= its->gic->ncpus || its->version < 40)
		return its_fail(its, ITS_E_PROCNUM_OOR, "GICR_VPENDBASER", rd);
	bool was = FIELD_EX(its->vpendbaser[rd], GICR_VPENDBASER, VALID), valid = FIELD_EX(v, GICR_VPENDBASER, VALID);
	struct its_vpe *old = its_v4_resident(its, rd);
	if (!valid) {
		bool last = old && vpe_has_pending(its, old);
		if (old && its->version >= 41)
			old->db_armed = FIELD_EX(v, GICR_VPENDBASER, DOORBELL_41) && old->db != ITS_DB_NONE;
		its->vpendbaser[rd] = FIELD_DP(v & vpendbaser_mask(its) & ~FIELD_MASK(GICR_VPENDBASER, VALID),
					      GICR_VPENDBASER, PENDING_LAST, last);
		*its->st_residency += was;
		return true;
	}
	if (its->version >= 41 && !vpe_from_table(its, rd, (uint32_t)FIELD_EX(v, GICR_VPENDBASER, VPEID_41)))
		return false;
	uint64_t prev = its->vpendbaser[rd];
	its->vpendbaser[rd] = v & vpendbaser_mask(its);
	struct its_vpe *p = its_v4_resident(its, rd);
	if (!p) {
		its->vpendbaser[rd] = prev;
		return its_fail(its, ITS_E_UNMAPPED_VPE, "GICR_VPENDBASER names no vPE mapped to this Redistributor", v);
	}
	p->db_armed = false;
	*its->st_residency += !was;
	if (vpe_has_pending(its, p) && its->direct)
		its->direct(its->v4ctx, rd);
	return true;
}

uint64_t its_v4_vpendbaser_read(const struct its *its, unsigned rd) { return rd < GIC_MAX_CPUS ? its->vpendbaser[rd] : 0; }

void its_v4_vpropbaser_write(struct its *its, unsigned rd, uint64_t v)
{
	if (rd < GIC_MAX_CPUS)
		its->vpropbaser[rd] = v;
}

uint64_t its_v4_vpropbaser_read(const struct its *its, unsigned rd)
{
	uint64_t v = rd < GIC_MAX_CPUS ? its->vpropbaser[rd] : 0;
	return its->version >= 41 ? FIELD_DP(v, GICR_VPROPBASER, ENTRY_SIZE_41, ITS_VPE_ENTRY_SIZE / 8 - 1) : v;
}

static void better(struct its_direct *d, uint32_t intid, uint8_t prio, bool via, cycles_t at)
{
	if (d->intid == GIC_INTID_SPURIOUS || prio < d->prio)
		*d = (struct its_direct){ intid, prio, via, at };
}

struct its_direct its_v4_hppi(struct its *its, unsigned rd)
{
	struct its_direct d = { .intid = GIC_INTID_SPURIOUS, .prio = 0xff };
	struct its_vpe *p = its_v4_resident(its, rd);
	if (!p)
		return d;
	for (unsigned i = 0; i < 16; i++)
		if ((p->sgi_pending & p->sgi_enabled) >> i & 1)
			better(&d, i, p->sgi_prio[i], p->sgi_db >> i & 1, p->sgi_at[i]);
	for (unsigned i = 0; i < ITS_MAX_ITES; i++) {
		const struct its_ite *e = &its->ite[i];
		if (e->valid && e->virt && e->vpeid == p->id && e->vpending && e->venabled)
			better(&d, e->intid, e->vprio, e->via_doorbell, e->vpending_at);
	}
	return d;
}

void its_v4_acknowledge(struct its *its, unsigned rd, uint32_t intid)
{
	struct its_vpe *p = its_v4_resident(its, rd);
	if (!p)
		return;
	if (intid < 16) {   /* GICv4.1 vSGIs have no active state (nASSGIreq) */
		p->sgi_pending &= (uint16_t)~(1u << intid);
		return;
	}
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].virt && its->ite[i].vpeid == p->id && its->ite[i].intid == intid)
			its->ite[i].vpending = false;
}

bool its_v4_sgir(struct its *its, uint32_t vpeid, uint32_t intid, cycles_t now)
{
	struct its_vpe *p = its->version >= 41 ? its_vpe(its, vpeid) : NULL;
	if (!p)
		return its_fail(its, ITS_E_UNMAPPED_VPE, "GITS_SGIR", vpeid);
	if (intid >= 16)
		return its_fail(its, ITS_E_VINTID_OOR, "GITS_SGIR", intid);
	uint16_t bit = (uint16_t)(1u << intid);
	if (!(p->sgi_pending & bit)) {
		p->sgi_pending |= bit;
		p->sgi_at[intid] = now;
		p->sgi_db &= (uint16_t)~bit;
	}
	bool via = false;
	vpe_notify(its, p, ITS_DB_NONE, (p->sgi_enabled & bit) != 0, &via);
	p->sgi_db |= via ? bit : 0;
	return true;
}

/* ---- commands (5.3) ---- */
/* VMAPP: maps vPE vPEID to Redistributor RDbase with its virtual pending
 * table VPT_addr of 2^(VPT_size + 1) bits (4.1: also its vLPI
 * configuration table VCONF_addr and its default doorbell), V = 1; or
 * unmaps it, V = 0 (its vLPIs' pending state is dropped: UNPREDICTABLE if
 * any is mapped, the choice made here). */
void its_cmd_vmapp(struct its *its, const struct its_cmd *c)
{
	uint16_t id = cmd_vpeid(c);
	uint64_t rd = FIELD_EX(c->dw[2], ITS_CMD2, RDBASE), entry;
	struct its_table t = its_baser_table(its, ITS_TABLE_VPE);
	if (!its_table_addr(its, &t, id, ITS_E_VPE_OOR, "VMAPP", &entry))
		return;
	struct its_vpe *p = its_vpe(its, id);
	if (!c->valid) {
		for (unsigned i = 0; p && i < ITS_MAX_ITES; i++)
			if (its->ite[i].valid && its->ite[i].virt && its->ite[i].vpeid == id)
				its->ite[i].vpending = false;
		if (p)
			p->valid = false;
		vpe_entry_write(its, entry, NULL);
		return;
	}
	if (rd >= its->gic->ncpus)
		return (void)its_fail(its, ITS_E_PROCNUM_OOR, "VMAPP", rd);
	unsigned bits = (unsigned)FIELD_EX(c->dw[3], ITS_CMD3, VPT_SIZE) + 1;
	uint64_t vpt = FIELD_EX(c->dw[3], ITS_CMD3, VPT_ADDR) << ITS_CMD3_VPT_ADDR_SHIFT;
	if (bits < 14 || bits > GIC_INTID_BITS)   /* a VPT holds at least the 8192 non-LPI bits + LPIs */
		return (void)its_fail(its, ITS_E_VPT, "VMAPP VPT_size", bits);
	if (!in_memory(its, vpt, (1ull << bits) / 8))
		return (void)its_fail(its, ITS_E_VPT, "VMAPP VPT", vpt);
	uint32_t db = ITS_DB_NONE;
	uint64_t vconf = 0;
	if (its->version >= 41) {
		db = (uint32_t)FIELD_EX(c->dw[1], ITS_CMD1, DEFAULT_DB);
		vconf = FIELD_EX(c->dw[0], ITS_CMD0, VCONF_ADDR) << ITS_CMD0_VCONF_ADDR_SHIFT;
		if (!doorbell_ok(its, db, "VMAPP Default_Doorbell"))
			return;
		if (!in_memory(its, vconf, (1ull << bits) - GIC_LPI_BASE))
			return (void)its_fail(its, ITS_E_VPT, "VMAPP VCONF", vconf);
	}
	for (unsigned i = 0; i < ITS_MAX_VPES && !p; i++)
		p = its->vpe[i].valid ? NULL : &its->vpe[i];
	if (!p)
		return (void)its_fail(its, ITS_E_RESOURCES, "VMAPP", id);
	/* A remap of a mapped vPE keeps its vSGI state (UNPREDICTABLE: KVM never does it). */
	struct its_vpe n = { .valid = true, .id = id, .rd = (uint16_t)rd, .vpt = vpt, .vconf = vconf,
			     .vpt_bits = (uint8_t)bits, .db = db };
	if (p->valid) {
		n.sgi_enabled = p->sgi_enabled;
		n.sgi_group = p->sgi_group;
		n.sgi_pending = p->sgi_pending;
	}
	*p = n;
	vpe_entry_write(its, entry, p);
	its_cache_flush(its);
}

/* VMAPTI / VMAPI: maps (DeviceID, EventID) to vLPI vINTID of vPE vPEID,
 * with doorbell Dbell_pINTID (1023: none; GICv4.1 ignores it, the vPE's
 * default doorbell serves). */
static void map_vevent(struct its *its, const struct its_cmd *c, uint32_t vintid, const char *what)
{
	const struct its_device *d = its_find_device(its, c->devid);
	if (!d)
		return (void)its_fail(its, ITS_E_UNMAPPED_DEVICE, what, c->devid);
	if (c->eventid >= (1ull << d->event_bits))
		return (void)its_fail(its, ITS_E_ID_OOR, what, c->eventid);
	struct its_vpe *p = cmd_vpe(its, c);
	if (!p)
		return;
	if (vintid < GIC_LPI_BASE || vintid >= (1ull << p->vpt_bits))
		return (void)its_fail(its, ITS_E_VINTID_OOR, what, vintid);
	uint32_t db = (uint32_t)FIELD_EX(c->dw[2], ITS_CMD2, DB_PINTID);
	if (!doorbell_ok(its, db, what))
		return;
	if (its_find_ite(its, c->devid, c->eventid))
		return;   /* UNPREDICTABLE: the existing mapping is kept, as for MAPTI */
	struct its_ite *ite = its_free_ite(its);
	if (!ite)
		return (void)its_fail(its, ITS_E_RESOURCES, what, vintid);
	*ite = (struct its_ite){ .valid = true, .devid = c->devid, .eventid = c->eventid, .intid = vintid, .virt = true,
				 .vpeid = p->id, .db = its->version >= 41 ? ITS_DB_NONE : db };
	its_v4_reload(its, ite);
	its_cache_flush(its);
}

void its_cmd_vmapti(struct its *its, const struct its_cmd *c)
{
	map_vevent(its, c, (uint32_t)FIELD_EX(c->dw[2], ITS_CMD2, VINTID), "VMAPTI");
}

void its_cmd_vmapi(struct its *its, const struct its_cmd *c) { map_vevent(its, c, c->eventid, "VMAPI"); }

/* VMOVI: moves the event's vLPI to vPE vPEID, with doorbell Dbell_pINTID
 * when D = 1.  Its pending state goes with it (the hypervisor moved the
 * VPT bit; the choice KVM's its_vlpi_move relies on). */
void its_cmd_vmovi(struct its *its, const struct its_cmd *c)
{
	struct its_ite *ite = its_cmd_ite(its, c);
	if (!ite)
		return;
	if (!ite->virt)
		return (void)its_fail(its, ITS_E_UNMAPPED_INTERRUPT, "VMOVI of a physical ITE", c->eventid);
	struct its_vpe *p = cmd_vpe(its, c);
	uint32_t db = (uint32_t)FIELD_EX(c->dw[2], ITS_CMD2, DB_PINTID);
	if (!p || !doorbell_ok(its, db, "VMOVI"))
		return;
	if (ite->intid >= (1ull << p->vpt_bits))
		return (void)its_fail(its, ITS_E_VINTID_OOR, "VMOVI", ite->intid);
	ite->vpeid = p->id;
	ite->db = its->version < 41 && FIELD_EX(c->dw[2], ITS_CMD2, DB_VALID) ? db : ITS_DB_NONE;
	its_cache_flush(its);
	if (ite->vpending)
		vpe_notify(its, p, ite->db, ite->venabled, &ite->via_doorbell);
}

/* VMOVP: moves vPE vPEID to Redistributor RDbase.  GITS_TYPER.VMOVP = 1:
 * SequenceNumber and ITSList are ignored (one ITS).  4.1 with DB = 1: the
 * default doorbell becomes Default_Doorbell. */
void its_cmd_vmovp(struct its *its, const struct its_cmd *c)
{
	struct its_vpe *p = cmd_vpe(its, c);
	uint64_t rd = FIELD_EX(c->dw[2], ITS_CMD2, RDBASE);
	if (!p)
		return;
	if (rd >= its->gic->ncpus)
		return (void)its_fail(its, ITS_E_PROCNUM_OOR, "VMOVP", rd);
	uint32_t db = (uint32_t)FIELD_EX(c->dw[3], ITS_CMD3, DEFAULT_DB);
	if (its->version >= 41 && FIELD_EX(c->dw[2], ITS_CMD2, VMOVP_DB)) {
		if (!doorbell_ok(its, db, "VMOVP Default_Doorbell"))
			return;
		p->db = db;
	}
	p->rd = (uint16_t)rd;
	its_cache_flush(its);
}

/* VSYNC: waits until the effects of earlier commands on vPE vPEID are
 * visible; immediate here, so only the vPEID is checked. */
void its_cmd_vsync(struct its *its, const struct its_cmd *c) { cmd_vpe(its, c); }

/* VINVALL: the Redistributor re-reads the configuration of every vLPI of
 * vPE vPEID. */
void its_cmd_vinvall(struct its *its, const struct its_cmd *c)
{
	struct its_vpe *p = cmd_vpe(its, c);
	for (unsigned i = 0; p && i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].virt && its->ite[i].vpeid == p->id)
			its_v4_reload(its, &its->ite[i]);
}

/* INVDB (4.1): the ITS re-reads vPE vPEID's doorbell configuration.  The
 * doorbell's enable is VPENDBASER.Doorbell here (no separate vPE
 * configuration entry is modelled), so only the vPEID is checked. */
void its_cmd_invdb(struct its *its, const struct its_cmd *c) { cmd_vpe(its, c); }

/* VSGI (4.1): sets vSGI vINTID of vPE vPEID's priority, group and enable,
 * and clears its pending state when Clear = 1 (a vSGI is made pending by
 * a GITS_SGIR write, its_v4_sgir). */
void its_cmd_vsgi(struct its *its, const struct its_cmd *c)
{
	struct its_vpe *p = cmd_vpe(its, c);
	if (!p)
		return;
	unsigned i = (unsigned)FIELD_EX(c->dw[0], ITS_CMD0, SGI_INTID);
	uint16_t bit = (uint16_t)(1u << i);
	p->sgi_prio[i] = (uint8_t)(FIELD_EX(c->dw[0], ITS_CMD0, SGI_PRIORITY) << 4);
	p->sgi_group = FIELD_EX(c->dw[0], ITS_CMD0, SGI_GROUP) ? p->sgi_group | bit : p->sgi_group & ~bit;
	p->sgi_enabled = FIELD_EX(c->dw[0], ITS_CMD0, SGI_ENABLE) ? p->sgi_enabled | bit : p->sgi_enabled & ~bit;
	if (FIELD_EX(c->dw[0], ITS_CMD0, SGI_CLEAR))
		p->sgi_pending &= (uint16_t)~bit;
	bool via = false;
	if (p->sgi_pending & p->sgi_enabled & bit)
		vpe_notify(its, p, ITS_DB_NONE, true, &via);
}
