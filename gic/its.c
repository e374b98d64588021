/* GICv3 ITS: registers, command queue, commands, translation.  See its.h.
 * Facts from Arm IHI 0069H chapter 5 (5.2 tables, 5.3 commands) and 12.19
 * (registers); behaviour choices after KVM's vgic-its.c, each marked. */
#include "gic/its_int.h"
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"

/* Defaults and their sources: designs/default-arm64.ini */
const struct cfg_key its_cfg_keys[] = {
	{ "its", "cmd_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: one ITS command read from the queue and handled (vgic_its_handle_command)" },
	{ "its", "translate_hit_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: an MSI translated through the LPI translation cache (vgic_its_check_cache)" },
	{ "its", "translate_miss_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: an MSI translated by walking device, ITT and collection (vgic_its_resolve_lpi)" },
	{ "its", "table_read_cycles", CFG_U64, 0, 1e9, NULL,
	  "hypervisor: one access to an ITS or LPI table in guest memory (kvm_read_guest)" },
	{ "its", "cache_entries_per_vcpu", CFG_U64, 0, ITS_CACHE_MAX, NULL,
	  "LPI translation cache entries per vCPU (KVM LPI_DEFAULT_PCPU_CACHE_SIZE); at most 64 in all" },
};
const unsigned its_cfg_nkeys = sizeof its_cfg_keys / sizeof its_cfg_keys[0];

/* Spec error codes (IHI 0069H 5.3.x tables; Linux include/linux/irqchip/
 * arm-gic-v3.h E_ITS_*), the code of the MAPTI/MAPD/... variant. */
static const struct { const char *name; uint32_t code; } its_errors[ITS_NERRORS] = {
	[ITS_E_UNMAPPED_DEVICE] = { "unmapped_device", 0x010a04 },        /* E_ITS_MAPTI_UNMAPPED_DEVICE */
	[ITS_E_DEVICE_OOR] = { "device_out_of_range", 0x010801 },         /* E_ITS_MAPD_DEVICE_OOR */
	[ITS_E_ID_OOR] = { "event_out_of_range", 0x010a05 },              /* E_ITS_MAPTI_ID_OOR */
	[ITS_E_PHYSICALID_OOR] = { "intid_out_of_range", 0x010a06 },      /* E_ITS_MAPTI_PHYSICALID_OOR */
	[ITS_E_COLLECTION_OOR] = { "collection_out_of_range", 0x010903 }, /* E_ITS_MAPC_COLLECTION_OOR */
	[ITS_E_UNMAPPED_COLLECTION] = { "unmapped_collection", 0x010109 },/* E_ITS_MOVI_UNMAPPED_COLLECTION */
	[ITS_E_UNMAPPED_INTERRUPT] = { "unmapped_interrupt", 0x010307 },  /* E_ITS_INT_UNMAPPED_INTERRUPT */
	[ITS_E_PROCNUM_OOR] = { "processor_out_of_range", 0x010902 },     /* E_ITS_MAPC_PROCNUM_OOR */
	[ITS_E_ITTSIZE_OOR] = { "itt_size_out_of_range", 0x010802 },      /* E_ITS_MAPD_ITTSIZE_OOR */
	[ITS_E_TABLE_OUTSIDE_RAM] = { "table_outside_ram", 0 },
	[ITS_E_NO_TABLE] = { "table_not_valid", 0 },
	[ITS_E_UNSUPPORTED] = { "command_not_supported", 0 },
	[ITS_E_RESOURCES] = { "out_of_resources", 0 },
	[ITS_E_CWRITER_OOR] = { "cwriter_out_of_range", 0 },
	[ITS_E_QUEUE_OUTSIDE_RAM] = { "queue_outside_ram", 0 },
	[ITS_E_DISABLED] = { "msi_while_disabled", 0 },
	[ITS_E_REGISTER] = { "register_access", 0 },
	[ITS_E_VPE_OOR] = { "vpe_out_of_range", 0x012901 },              /* E_ITS_VMAPP_VPEID_OOR (as Linux names the VMAPP checks) */
	[ITS_E_UNMAPPED_VPE] = { "unmapped_vpe", 0x012a07 },             /* E_ITS_VMAPTI_UNMAPPED_VPE */
	[ITS_E_VINTID_OOR] = { "vintid_out_of_range", 0x012a06 },        /* E_ITS_VMAPTI_VIRTUALID_OOR */
	[ITS_E_DOORBELL_OOR] = { "doorbell_out_of_range", 0x012a08 },    /* E_ITS_VMAPTI_PHYSICALID_OOR */
	[ITS_E_VPT] = { "vpt_invalid", 0 },
};

const char *const its_cmd_names[ITS_NR_CMDS] = {
	[ITS_MOVI] = "MOVI", [ITS_INT] = "INT", [ITS_CLEAR] = "CLEAR", [ITS_SYNC] = "SYNC", [ITS_MAPD] = "MAPD",
	[ITS_MAPC] = "MAPC", [ITS_MAPTI] = "MAPTI", [ITS_MAPI] = "MAPI", [ITS_INV] = "INV", [ITS_INVALL] = "INVALL",
	[ITS_MOVALL] = "MOVALL", [ITS_DISCARD] = "DISCARD", [ITS_VMOVI] = "VMOVI", [ITS_VMOVP] = "VMOVP",
	[ITS_VSGI] = "VSGI", [ITS_VSYNC] = "VSYNC", [ITS_VMAPP] = "VMAPP", [ITS_VMAPTI] = "VMAPTI",
	[ITS_VMAPI] = "VMAPI", [ITS_VINVALL] = "VINVALL", [ITS_INVDB] = "INVDB",
};

const char *its_error_name(enum its_error e) { return e < ITS_NERRORS ? its_errors[e].name : "?"; }

bool its_fail(struct its *its, enum its_error e, const char *what, uint64_t value)
{
	(*its->st_errors[e])++;
	DBG(LOG_GIC, "ITS guest error: %s: %s (0x%llx), error 0x%06x; ignored", what, its_errors[e].name,
	    (unsigned long long)value, its_errors[e].code);
	return false;
}

/* ---- set-up ---- */
int its_init(struct its *its, struct gicv3 *gic, const struct cfg *c)
{
	memset(its, 0, sizeof *its);
	its->gic = gic;
	its->cost = (struct its_costs){ cfg_u64(c, "its", "cmd_cycles"), cfg_u64(c, "its", "translate_hit_cycles"),
					cfg_u64(c, "its", "translate_miss_cycles"), cfg_u64(c, "its", "table_read_cycles"),
					0 };
	uint64_t n = cfg_u64(c, "its", "cache_entries_per_vcpu") * gic->ncpus;
	its->cost.cache_entries = (unsigned)(n > ITS_CACHE_MAX ? ITS_CACHE_MAX : n);
	/* Type and Entry_Size are read-only (12.19.1). */
	its->baser[0] = FIELD_DP(FIELD_DP(0, GITS_BASER, TYPE, GITS_BASER_TYPE_DEVICE), GITS_BASER, ENTRY_SIZE,
				 ITS_ENTRY_SIZE - 1);
	its->baser[1] = FIELD_DP(FIELD_DP(0, GITS_BASER, TYPE, GITS_BASER_TYPE_COLLECTION), GITS_BASER, ENTRY_SIZE,
				 ITS_ENTRY_SIZE - 1);
	its->baser2 = FIELD_DP(FIELD_DP(0, GITS_BASER, TYPE, GITS_BASER_TYPE_VPE), GITS_BASER, ENTRY_SIZE,
			       ITS_VPE_ENTRY_SIZE - 1);
	its->version = 3;
	uint64_t *o = its->own;
	for (unsigned e = 0; e < ITS_NERRORS; e++)
		its->st_errors[e] = o++;
	for (unsigned k = 0; k < ITS_NR_CMDS; k++)
		its->st_cmds[k] = o++;
	its->st_translations = o++;
	its->st_cache_hits = o++;
	its->st_cache_misses = o++;
	its->st_doorbells = o++;
	its->st_residency = o++;
	return 0;
}

void its_register_stats(struct its *its, struct stats *st) { its_register_stats_as(its, st, "its"); }

/* A statistic taking over what was counted before registration (the
 * host ITS runs commands while the machine is built). */
static uint64_t *keep(uint64_t *old, struct stats *st, const char *path, const char *doc)
{
	uint64_t *c = stats_counter(st, path, doc);
	*c += *old;
	return c;
}

void its_register_stats_as(struct its *its, struct stats *st, const char *prefix)
{
	char path[96], doc[160];
	for (unsigned e = 0; e < ITS_NERRORS; e++) {
		snprintf(path, sizeof path, "%s.errors.%s", prefix, its_errors[e].name);
		snprintf(doc, sizeof doc, "ITS guest errors: %s (the command or MSI is ignored)", its_errors[e].name);
		its->st_errors[e] = keep(its->st_errors[e], st, path, doc);
	}
	for (unsigned k = 0; k < ITS_NR_CMDS; k++) {
		if (!its_cmd_names[k] || (k >= ITS_VMOVI && its->version < 40) || (k == ITS_VSGI && its->version < 41) ||
		    (k == ITS_INVDB && its->version < 41))
			continue;
		snprintf(path, sizeof path, "%s.commands.%s", prefix, its_cmd_names[k]);
		snprintf(doc, sizeof doc, "%s commands processed (including failed ones)", its_cmd_names[k]);
		its->st_cmds[k] = keep(its->st_cmds[k], st, path, doc);
	}
	snprintf(path, sizeof path, "%s.translations", prefix);
	its->st_translations = keep(its->st_translations, st, path, "MSIs translated into a pending LPI or vLPI");
	snprintf(path, sizeof path, "%s.cache_hits", prefix);
	its->st_cache_hits = keep(its->st_cache_hits, st, path, "MSI translations that hit the translation cache");
	snprintf(path, sizeof path, "%s.cache_misses", prefix);
	its->st_cache_misses = keep(its->st_cache_misses, st, path, "MSI translations that walked the tables");
	if (its->version < 40)
		return;
	snprintf(path, sizeof path, "%s.doorbells", prefix);
	its->st_doorbells = keep(its->st_doorbells, st, path, "GICv4 doorbells raised: a vLPI/vSGI became pending for a vPE not resident");
	snprintf(path, sizeof path, "%s.residency_changes", prefix);
	its->st_residency = keep(its->st_residency, st, path, "GICR_VPENDBASER.Valid changes (vPE scheduled in or out)");
}

cycles_t its_take_cycles(struct its *its)
{
	cycles_t c = its->cycles;
	its->cycles = 0;
	return c;
}

/* ---- tables (5.2, 12.19.1) ---- */
static uint64_t baser_page(uint64_t b)
{
	static const uint64_t page[4] = { 4096, 16384, 65536, 65536 };
	return page[FIELD_EX(b, GITS_BASER, PAGE_SIZE)];
}

static uint64_t baser_pa(uint64_t b)
{
	uint64_t pa = FIELD_EX(b, GITS_BASER, PA) << GITS_BASER_PA_SHIFT;
	if (baser_page(b) == 65536)   /* bits 15:12 hold PA[51:48] */
		pa = (pa & ~0xffffull) | (FIELD_EX(b, GITS_BASER, PA_48_51) << 48);
	return pa;
}

bool its_mem(struct its *its, uint64_t addr, void *buf, unsigned len, bool write)
{
	struct gicv3 *g = its->gic;
	g->mem_accesses++;
	return g->mem && g->mem(g->ctx, addr, buf, len, write);
}

static bool mem(struct its *its, uint64_t addr, void *buf, unsigned len) { return its_mem(its, addr, buf, len, false); }

cycles_t its_now(const struct its *its) { return its->gic->now ? its->gic->now(its->gic->ctx) : 0; }

struct its_table its_baser_table(const struct its *its, unsigned n)
{
	uint64_t b = n == ITS_TABLE_VPE ? its->baser2 : its->baser[n];
	return (struct its_table){ .valid = FIELD_EX(b, GITS_BASER, VALID), .indirect = FIELD_EX(b, GITS_BASER, INDIRECT),
				   .pa = baser_pa(b), .page = baser_page(b),
				   .bytes = (FIELD_EX(b, GITS_BASER, SIZE) + 1) * baser_page(b),
				   .esz = (unsigned)FIELD_EX(b, GITS_BASER, ENTRY_SIZE) + 1 };
}

bool its_table_addr(struct its *its, const struct its_table *t, uint64_t id, enum its_error oor, const char *what,
		    uint64_t *addr)
{
	uint64_t per_page = t->page / t->esz, e;
	uint8_t probe[ITS_VPE_ENTRY_SIZE];
	if (!t->valid)
		return its_fail(its, ITS_E_NO_TABLE, what, id);
	if (!t->indirect) {
		if (id >= t->bytes / t->esz)
			return its_fail(its, oor, what, id);
		*addr = t->pa + id * t->esz;
	} else {
		uint64_t l1 = id / per_page;
		if (l1 >= t->bytes / 8)
			return its_fail(its, oor, what, id);
		if (!mem(its, t->pa + l1 * 8, &e, 8))
			return its_fail(its, ITS_E_TABLE_OUTSIDE_RAM, what, t->pa + l1 * 8);
		e = le64toh(e);
		if (!FIELD_EX(e, GITS_L1E, VALID))      /* no level-2 page: out of range (5.2.1) */
			return its_fail(its, oor, what, id);
		*addr = (FIELD_EX(e, GITS_L1E, PA) << GITS_L1E_PA_SHIFT) + id % per_page * t->esz;
	}
	if (!mem(its, *addr, probe, t->esz <= sizeof probe ? t->esz : sizeof probe))
		return its_fail(its, ITS_E_TABLE_OUTSIDE_RAM, what, *addr);
	return true;
}

/* The in-memory entry of `id` in table n.  The device and collection
 * tables' contents are not used (cached in hvsim); the vPE table's are
 * (its_v4.c). */
bool its_table_entry(struct its *its, unsigned n, uint64_t id, const char *what)
{
	struct its_table t = its_baser_table(its, n);
	enum its_error oor = n == ITS_TABLE_DEVICE ? ITS_E_DEVICE_OOR : n == ITS_TABLE_COLLECTION ? ITS_E_COLLECTION_OOR
										    : ITS_E_VPE_OOR;
	uint64_t addr;
	return its_table_addr(its, &t, id, oor, what, &addr);
}

struct its_device *its_find_device(struct its *its, uint32_t id)
{
	for (unsigned i = 0; i < ITS_MAX_DEVICES; i++)
		if (its->dev[i].valid && its->dev[i].id == id)
			return &its->dev[i];
	return NULL;
}

struct its_ite *its_find_ite(struct its *its, uint32_t devid, uint32_t eventid)
{
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].devid == devid && its->ite[i].eventid == eventid)
			return &its->ite[i];
	return NULL;
}

void its_cache_flush(struct its *its)
{
	memset(its->cache, 0, sizeof its->cache);
}

static void tell(struct its *its, enum its_map_op op, const struct its_ite *ite)
{
	const struct gic_irq *l = ite->virt ? NULL : gicv3_lpi(its->gic, ite->intid);
	if (its->mapping && l)
		its->mapping(its->mapping_ctx, op, ite, l);
}

/* Drops an ITE and its LPI (unless another ITE maps the same INTID). */
static void drop_ite(struct its *its, struct its_ite *ite)
{
	tell(its, ITS_UNMAP_EVENT, ite);
	ite->valid = false;
	if (ite->virt)
		return;   /* a vLPI: its pending state was the ITE's */
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].intid == ite->intid)
			return;
	struct gic_irq *l = gicv3_lpi(its->gic, ite->intid);
	if (l)
		gicv3_lpi_unmap(its->gic, l);
}

/* ---- commands (5.3): decode through the field getters ---- */
static void decode(struct its_cmd *c)
{
	c->nr = (uint8_t)FIELD_EX(c->dw[0], ITS_CMD0, CMD);
	c->devid = (uint32_t)FIELD_EX(c->dw[0], ITS_CMD0, DEVICEID);
	c->eventid = (uint32_t)FIELD_EX(c->dw[1], ITS_CMD1, EVENTID);
	c->size = (uint32_t)FIELD_EX(c->dw[1], ITS_CMD1, SIZE);
	c->intid = (uint32_t)FIELD_EX(c->dw[1], ITS_CMD1, PINTID);
	c->icid = (uint16_t)FIELD_EX(c->dw[2], ITS_CMD2, ICID);
	c->itt = FIELD_EX(c->dw[2], ITS_CMD2, ITT_ADDR) << ITS_CMD2_ITT_ADDR_SHIFT;
	c->rdbase = FIELD_EX(c->dw[2], ITS_CMD2, RDBASE);
	c->valid = FIELD_EX(c->dw[2], ITS_CMD2, VALID);
	c->rdbase2 = FIELD_EX(c->dw[3], ITS_CMD3, RDBASE2);
}

/* The ITE of (DeviceID, EventID), or an error of the command's kind. */
struct its_ite *its_cmd_ite(struct its *its, const struct its_cmd *c)
{
	const char *what = its_cmd_names[c->nr];
	const struct its_device *d = its_find_device(its, c->devid);
	if (!d)
		return its_fail(its, ITS_E_UNMAPPED_DEVICE, what, c->devid), NULL;
	if (c->eventid >= (1ull << d->event_bits))
		return its_fail(its, ITS_E_ID_OOR, what, c->eventid), NULL;
	struct its_ite *ite = its_find_ite(its, c->devid, c->eventid);
	if (!ite)
		its_fail(its, ITS_E_UNMAPPED_INTERRUPT, what, c->eventid);
	return ite;
}

/* A mapped collection, or an error. */
static const struct its_collection *cmd_coll(struct its *its, uint32_t icid, const char *what)
{
	if (icid >= ITS_MAX_COLLECTIONS)
		return its_fail(its, ITS_E_COLLECTION_OOR, what, icid), NULL;
	if (!its->coll[icid].valid)
		return its_fail(its, ITS_E_UNMAPPED_COLLECTION, what, icid), NULL;
	return &its->coll[icid];
}

static bool cmd_procnum(struct its *its, uint64_t rd, const char *what)
{
	return rd < its->gic->ncpus ? true : its_fail(its, ITS_E_PROCNUM_OOR, what, rd);
}

/* MAPD: maps DeviceID to an ITT of 2^(Size+1) entries at ITT_addr (V = 1),
 * or unmaps it and discards its mappings (V = 0). */
static void cmd_mapd(struct its *its, const struct its_cmd *c)
{
	if (c->devid >= (1ull << ITS_DEV_BITS))
		return (void)its_fail(its, ITS_E_DEVICE_OOR, "MAPD", c->devid);
	if (!its_table_entry(its, ITS_TABLE_DEVICE, c->devid, "MAPD"))
		return;
	if (c->valid && c->size + 1 > ITS_EVENT_BITS)
		return (void)its_fail(its, ITS_E_ITTSIZE_OOR, "MAPD", c->size);
	uint8_t probe;
	uint64_t itt_end = c->itt + ((uint64_t)ITS_ENTRY_SIZE << (c->size + 1)) - 1;   /* size < 16 here */
	if (c->valid && (!mem(its, c->itt, &probe, 1) || !mem(its, itt_end, &probe, 1)))
		return (void)its_fail(its, ITS_E_TABLE_OUTSIDE_RAM, "MAPD ITT", c->itt);
	struct its_device *d = its_find_device(its, c->devid);
	/* A remap discards the old ITT's mappings, as KVM does. */
	for (unsigned i = 0; d && i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && its->ite[i].devid == c->devid)
			drop_ite(its, &its->ite[i]);
	its_cache_flush(its);
	if (!c->valid) {
		if (d)
			d->valid = false;
		return;
	}
	for (unsigned i = 0; i < ITS_MAX_DEVICES && !d; i++)
		if (!its->dev[i].valid)
			d = &its->dev[i];
	if (!d)
		return (void)its_fail(its, ITS_E_RESOURCES, "MAPD", c->devid);
	*d = (struct its_device){ true, c->devid, (uint8_t)(c->size + 1), c->itt };
}

/* MAPC: maps collection ICID to the Redistributor RDbase (V = 1), or
 * unmaps it (V = 0).  LPIs of the collection's ITEs follow it. */
static void cmd_mapc(struct its *its, const struct its_cmd *c)
{
	if (c->icid >= ITS_MAX_COLLECTIONS)
		return (void)its_fail(its, ITS_E_COLLECTION_OOR, "MAPC", c->icid);
	if (!its_table_entry(its, ITS_TABLE_COLLECTION, c->icid, "MAPC") || (c->valid && !cmd_procnum(its, c->rdbase, "MAPC")))
		return;
	its->coll[c->icid] = (struct its_collection){ c->valid, (uint16_t)(c->valid ? c->rdbase : 0) };
	its_cache_flush(its);
	for (unsigned i = 0; c->valid && i < ITS_MAX_ITES; i++) {
		struct its_ite *e = &its->ite[i];
		struct gic_irq *l = e->valid && !e->virt && e->icid == c->icid ? gicv3_lpi(its->gic, e->intid) : NULL;
		if (l && l->lpi_cpu != (int)c->rdbase) {
			gicv3_lpi_move(its->gic, l, (unsigned)c->rdbase);
			tell(its, ITS_MOVE_EVENT, e);
		}
	}
}

static void map_event(struct its *its, const struct its_cmd *c, uint32_t intid, const char *what)
{
	const struct its_device *d = its_find_device(its, c->devid);
	if (!d)
		return (void)its_fail(its, ITS_E_UNMAPPED_DEVICE, what, c->devid);
	if (c->eventid >= (1ull << d->event_bits))
		return (void)its_fail(its, ITS_E_ID_OOR, what, c->eventid);
	if (intid < GIC_LPI_BASE || intid >= (1u << GIC_INTID_BITS))
		return (void)its_fail(its, ITS_E_PHYSICALID_OOR, what, intid);
	if (c->icid >= ITS_MAX_COLLECTIONS)
		return (void)its_fail(its, ITS_E_COLLECTION_OOR, what, c->icid);
	if (its_find_ite(its, c->devid, c->eventid))
		return;   /* UNPREDICTABLE: KVM keeps the existing mapping */
	struct its_ite *ite = its_free_ite(its);
	/* An unmapped collection is allowed; the LPI waits on vCPU 0 until MAPC. */
	const struct its_collection *col = &its->coll[c->icid];
	struct gic_irq *l = ite ? gicv3_lpi_map(its->gic, intid, col->valid ? col->target : 0, 0) : NULL;
	if (!l)
		return (void)its_fail(its, ITS_E_RESOURCES, what, intid);
	*ite = (struct its_ite){ .valid = true, .devid = c->devid, .eventid = c->eventid, .intid = intid, .icid = c->icid };
	tell(its, ITS_MAP_EVENT, ite);
}

struct its_ite *its_free_ite(struct its *its)
{
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		if (!its->ite[i].valid)
			return &its->ite[i];
	return NULL;
}

/* MAPTI: maps (DeviceID, EventID) to LPI pINTID in collection ICID. */
static void cmd_mapti(struct its *its, const struct its_cmd *c) { map_event(its, c, c->intid, "MAPTI"); }
/* MAPI: MAPTI with pINTID = EventID. */
static void cmd_mapi(struct its *its, const struct its_cmd *c) { map_event(its, c, c->eventid, "MAPI"); }

/* MOVI: moves the event's LPI to collection ICID (with its pending state). */
static void cmd_movi(struct its *its, const struct its_cmd *c)
{
	struct its_ite *ite = its_cmd_ite(its, c);
	if (ite && ite->virt)   /* a virtual ITE moves with VMOVI (5.3.x MOVI: command error) */
		return (void)its_fail(its, ITS_E_UNMAPPED_INTERRUPT, "MOVI of a virtual ITE", c->eventid);
	const struct its_collection *col = ite ? cmd_coll(its, c->icid, "MOVI") : NULL;
	if (!col)
		return;
	ite->icid = c->icid;
	struct gic_irq *l = gicv3_lpi(its->gic, ite->intid);
	if (l)
		gicv3_lpi_move(its->gic, l, col->target);
	tell(its, ITS_MOVE_EVENT, ite);
	its_cache_flush(its);
}

/* DISCARD: removes the event's mapping and its LPI's pending state. */
static void cmd_discard(struct its *its, const struct its_cmd *c)
{
	struct its_ite *ite = its_cmd_ite(its, c);
	if (!ite)
		return;
	drop_ite(its, ite);
	its_cache_flush(its);
}

/* The event's LPI, mapped through a valid collection, or NULL (an error
 * or a virtual ITE, returned in *vite). */
static struct gic_irq *event_lpi(struct its *its, const struct its_cmd *c, struct its_ite **vite)
{
	struct its_ite *ite = its_cmd_ite(its, c);
	*vite = ite && ite->virt ? ite : NULL;
	if (!ite || ite->virt || !cmd_coll(its, ite->icid, its_cmd_names[c->nr]))
		return NULL;
	return gicv3_lpi(its->gic, ite->intid);
}

/* INV: the Redistributor re-reads the event's LPI (vLPI) configuration. */
static void cmd_inv(struct its *its, const struct its_cmd *c)
{
	struct its_ite *v;
	struct gic_irq *l = event_lpi(its, c, &v);
	if (l && gicv3_lpi_reload(its->gic, l))
		tell(its, ITS_INV_EVENT, its_find_ite(its, c->devid, c->eventid));
	if (v)
		its_v4_reload(its, v);
}

/* INT: makes the event's LPI (vLPI) pending, as an MSI would. */
static void cmd_int(struct its *its, const struct its_cmd *c)
{
	struct its_ite *v;
	struct gic_irq *l = event_lpi(its, c, &v);
	if (l)
		gicv3_lpi_set_pending(its->gic, l, true, its_now(its));
	if (v)
		its_v4_set_pending(its, v, true, its_now(its));
}

/* CLEAR: removes the pending state of the event's LPI (vLPI). */
static void cmd_clear(struct its *its, const struct its_cmd *c)
{
	struct its_ite *v;
	struct gic_irq *l = event_lpi(its, c, &v);
	if (l)
		gicv3_lpi_set_pending(its->gic, l, false, 0);
	if (v)
		its_v4_set_pending(its, v, false, 0);
}

/* INVALL: the collection's Redistributor re-reads the configuration of
 * every LPI it holds. */
static void cmd_invall(struct its *its, const struct its_cmd *c)
{
	const struct its_collection *col = cmd_coll(its, c->icid, "INVALL");
	for (unsigned i = 0; col && i < GIC_MAX_LPIS; i++)
		if (its->gic->lpi[i].lpi && its->gic->lpi[i].lpi_cpu == col->target)
			gicv3_lpi_reload(its->gic, &its->gic->lpi[i]);
	for (unsigned i = 0; col && i < ITS_MAX_ITES; i++)
		if (its->ite[i].valid && !its->ite[i].virt && its->ite[i].icid == c->icid)
			tell(its, ITS_INV_EVENT, &its->ite[i]);
}

/* SYNC: waits until the effects of earlier commands on RDbase are visible;
 * immediate here. */
static void cmd_sync(struct its *its, const struct its_cmd *c) { cmd_procnum(its, c->rdbase, "SYNC"); }

/* MOVALL: moves every LPI pending on RDbase1 to RDbase2 (the guest then
 * remaps the collections). */
static void cmd_movall(struct its *its, const struct its_cmd *c)
{
	if (!cmd_procnum(its, c->rdbase, "MOVALL") || !cmd_procnum(its, c->rdbase2, "MOVALL"))
		return;
	for (unsigned i = 0; i < GIC_MAX_LPIS; i++)
		if (its->gic->lpi[i].lpi && its->gic->lpi[i].lpi_cpu == (int)c->rdbase)
			gicv3_lpi_move(its->gic, &its->gic->lpi[i], (unsigned)c->rdbase2);
}

/* The GICv4 commands (its_v4.c; their meaning is given there) exist only
 * on an ITS with GITS_TYPER.Virtual = 1, INVDB and VSGI only on GICv4.1. */
static void (*const dispatch[ITS_NR_CMDS])(struct its *, const struct its_cmd *) = {
	[ITS_MOVI] = cmd_movi, [ITS_INT] = cmd_int, [ITS_CLEAR] = cmd_clear, [ITS_SYNC] = cmd_sync,
	[ITS_MAPD] = cmd_mapd, [ITS_MAPC] = cmd_mapc, [ITS_MAPTI] = cmd_mapti, [ITS_MAPI] = cmd_mapi,
	[ITS_INV] = cmd_inv, [ITS_INVALL] = cmd_invall, [ITS_MOVALL] = cmd_movall, [ITS_DISCARD] = cmd_discard,
	[ITS_VMOVI] = its_cmd_vmovi, [ITS_VMOVP] = its_cmd_vmovp, [ITS_VSGI] = its_cmd_vsgi,
	[ITS_VSYNC] = its_cmd_vsync, [ITS_VMAPP] = its_cmd_vmapp, [ITS_VMAPTI] = its_cmd_vmapti,
	[ITS_VMAPI] = its_cmd_vmapi, [ITS_VINVALL] = its_cmd_vinvall, [ITS_INVDB] = its_cmd_invdb,
};

static bool supported(const struct its *its, unsigned nr)
{
	if (nr >= ITS_NR_CMDS || !dispatch[nr])
		return false;
	if (nr == ITS_VSGI || nr == ITS_INVDB)
		return its->version >= 41;
	return nr < ITS_VMOVI || its->version >= 40;
}

static void run_command(struct its *its, struct its_cmd *c)
{
	decode(c);
	its->cycles += its->cost.cmd;
	if (!supported(its, c->nr)) {
		(*its->st_errors[ITS_E_UNSUPPORTED])++;
		DBG(LOG_GIC, "ITS guest error: command 0x%02x (%s) not supported by this ITS (GICv%u); ignored", c->nr,
		    c->nr < ITS_NR_CMDS && its_cmd_names[c->nr] ? its_cmd_names[c->nr] : "unknown", its->version);
		return;
	}
	(*its->st_cmds[c->nr])++;
	DBG(LOG_GIC, "ITS command %s dev %u event %u intid %u icid %u", its_cmd_names[c->nr] ? its_cmd_names[c->nr] : "?",
	    c->devid, c->eventid, c->intid, c->icid);
	dispatch[c->nr](its, c);
}

void its_command(struct its *its, const uint64_t dw[4])
{
	struct its_cmd c = { .dw = { dw[0], dw[1], dw[2], dw[3] } };
	run_command(its, &c);
}

/* ---- command queue (5.4) ---- */
static uint64_t queue_bytes(const struct its *its) { return (FIELD_EX(its->cbaser, GITS_CBASER, SIZE) + 1) * 4096; }

/* Runs commands from CREADR up to CWRITER: at most one queue's worth. */
static void process_queue(struct its *its)
{
	uint64_t base = FIELD_EX(its->cbaser, GITS_CBASER, PA) << GITS_CBASER_PA_SHIFT, size = queue_bytes(its);
	uint64_t acc0 = its->gic->mem_accesses;
	if (!its->enabled || !FIELD_EX(its->cbaser, GITS_CBASER, VALID) || FIELD_EX(its->creadr, GITS_CREADR, STALLED))
		return;
	for (uint64_t n = 0; n < size / ITS_CMD_SIZE && its->creadr != its->cwriter; n++) {
		struct its_cmd c = { 0 };
		if (!mem(its, base + its->creadr, c.dw, ITS_CMD_SIZE)) {
			its->creadr = FIELD_DP(its->creadr, GITS_CREADR, STALLED, 1);
			its_fail(its, ITS_E_QUEUE_OUTSIDE_RAM, "command queue", base + its->creadr);
			break;
		}
		for (unsigned i = 0; i < 4; i++)
			c.dw[i] = le64toh(c.dw[i]);
		run_command(its, &c);
		its->creadr = (its->creadr + ITS_CMD_SIZE) % size;
	}
	its->cycles += (its->gic->mem_accesses - acc0) * its->cost.table_read;
}

/* ---- translation (5.2: DeviceID -> ITT, EventID -> ITE -> collection) ---- */
static bool cache_lookup(struct its *its, uint32_t devid, uint32_t eventid)
{
	unsigned n = its->cost.cache_entries, victim = 0;
	for (unsigned i = 0; i < n; i++) {
		if (its->cache[i].valid && its->cache[i].devid == devid && its->cache[i].eventid == eventid) {
			its->cache[i].used = ++its->cache_clock;
			return true;
		}
		/* LRU victim; an empty entry (used = 0) first */
		if (its->cache[i].used < its->cache[victim].used)
			victim = i;
	}
	if (n)
		its->cache[victim] = (typeof(its->cache[0])){ devid, eventid, ++its->cache_clock, true };
	return false;
}

bool its_translate(struct its *its, uint32_t device_id, uint32_t event_id)
{
	if (!its->enabled)
		return its_fail(its, ITS_E_DISABLED, "MSI", device_id);
	struct its_cmd c = { .nr = ITS_INT, .devid = device_id, .eventid = event_id };
	struct its_ite *v;
	struct gic_irq *l = event_lpi(its, &c, &v);
	if (!l && !v)
		return false;
	bool hit = cache_lookup(its, device_id, event_id);
	(*(hit ? its->st_cache_hits : its->st_cache_misses))++;
	its->cycles += hit ? its->cost.translate_hit : its->cost.translate_miss;
	if (v && !its_v4_set_pending(its, v, true, its_now(its)))
		return false;
	if (!v)
		gicv3_lpi_set_pending(its->gic, l, true, its_now(its));
	(*its->st_translations)++;
	return true;
}

/* ---- registers (12.19): one table, as gicv3.c ---- */
/* KVM's GITS_IIDR: ProductID 'K', Implementer Arm, Revision 1 (ABI v0). */
#define KVM_ITS_IIDR ((0x4bu << 24) | (1u << 12) | 0x43bu)

struct its_reg {
	uint32_t off, len;
	uint64_t (*rd)(struct its *its, uint32_t off);
	void (*wr)(struct its *its, uint32_t off, uint64_t v);
};

static uint64_t rd_zero(struct its *its, uint32_t off) { return 0; }
static void wr_ignore(struct its *its, uint32_t off, uint64_t v) {}

static uint64_t rd_ctlr(struct its *its, uint32_t off)
{
	bool quiet = !its->enabled && FIELD_EX(its->creadr, GITS_CREADR, OFFSET) == FIELD_EX(its->cwriter, GITS_CWRITER, OFFSET);
	return FIELD_DP(FIELD_DP(0, GITS_CTLR, ENABLED, its->enabled), GITS_CTLR, QUIESCENT, quiet);
}

static void wr_ctlr(struct its *its, uint32_t off, uint64_t v)
{
	its->enabled = FIELD_EX(v, GITS_CTLR, ENABLED);
	process_queue(its);   /* commands written while disabled run now */
}

static uint64_t rd_iidr(struct its *its, uint32_t off) { return KVM_ITS_IIDR; }
/* PIDR2.ArchRev = 3 (GICv3), as KVM's ITS. */
static uint64_t rd_pidr2(struct its *its, uint32_t off) { return FIELD_DP(0xb, GIC_PIDR2, ARCHREV, 3); }

static uint64_t rd_typer(struct its *its, uint32_t off)
{
	uint64_t v = FIELD_DP(0, GITS_TYPER, PHYSICAL, 1);
	v = FIELD_DP(v, GITS_TYPER, ITT_ENTRY_SIZE, ITS_ENTRY_SIZE - 1);
	v = FIELD_DP(v, GITS_TYPER, IDBITS, ITS_EVENT_BITS - 1);
	v = FIELD_DP(v, GITS_TYPER, DEVBITS, ITS_DEV_BITS - 1);
	v = FIELD_DP(v, GITS_TYPER, CIDBITS, ITS_CID_BITS - 1);
	v = FIELD_DP(v, GITS_TYPER, VIRTUAL, its->version >= 40);
	v = FIELD_DP(v, GITS_TYPER, VMOVP, its->version >= 40);   /* one ITS: VMOVP without ITSList */
	return FIELD_DP(v, GITS_TYPER, CIL, 1);    /* PTA = 0, HCC = 0, SEIS = 0 */
}

static uint64_t *reg64(struct its *its, uint32_t reg)
{
	switch (reg) {
	case GITS_CBASER: return &its->cbaser;
	case GITS_CWRITER: return &its->cwriter;
	case GITS_CREADR: return &its->creadr;
	case GITS_BASER: return &its->baser[0];
	case GITS_BASER + 8: return &its->baser[1];
	case GITS_BASER + 16: return &its->baser2;
	}
	return NULL;
}

/* Writes to CBASER and BASER<n> while Enabled = 1 are UNPREDICTABLE:
 * ignored, as KVM. */
static bool writable(struct its *its, uint32_t reg)
{
	if (!its->enabled)
		return true;
	return its_fail(its, ITS_E_REGISTER, "GITS_CBASER/BASER write while enabled", reg);
}

static void wr_cbaser(struct its *its, uint32_t reg, uint64_t v)
{
	uint64_t mask = FIELD_MASK(GITS_CBASER, SIZE) | FIELD_MASK(GITS_CBASER, SHAREABILITY) |
			FIELD_MASK(GITS_CBASER, PA) | FIELD_MASK(GITS_CBASER, OUTER_CACHE) |
			FIELD_MASK(GITS_CBASER, INNER_CACHE) | FIELD_MASK(GITS_CBASER, VALID);
	if (!writable(its, reg))
		return;
	its->cbaser = v & mask;
	its->creadr = its->cwriter = 0;   /* 12.19.3: writing CBASER resets CREADR; KVM resets CWRITER too */
}

static void wr_cwriter(struct its *its, uint32_t reg, uint64_t v)
{
	uint64_t off = FIELD_EX(v, GITS_CWRITER, OFFSET) * ITS_CMD_SIZE;
	if (FIELD_EX(v, GITS_CWRITER, RETRY))
		its->creadr = FIELD_DP(its->creadr, GITS_CREADR, STALLED, 0);
	if (off >= queue_bytes(its))
		return (void)its_fail(its, ITS_E_CWRITER_OOR, "GITS_CWRITER", off);
	its->cwriter = FIELD_DP(0, GITS_CWRITER, OFFSET, off / ITS_CMD_SIZE);
	process_queue(its);
}

static void wr_baser(struct its *its, uint32_t reg, uint64_t v)
{
	uint64_t ro = FIELD_MASK(GITS_BASER, TYPE) | FIELD_MASK(GITS_BASER, ENTRY_SIZE);
	uint64_t rw = FIELD_MASK(GITS_BASER, SIZE) | FIELD_MASK(GITS_BASER, PAGE_SIZE) |
		      FIELD_MASK(GITS_BASER, SHAREABILITY) | FIELD_MASK(GITS_BASER, PA) |
		      FIELD_MASK(GITS_BASER, OUTER_CACHE) | FIELD_MASK(GITS_BASER, INNER_CACHE) |
		      FIELD_MASK(GITS_BASER, INDIRECT) | FIELD_MASK(GITS_BASER, VALID);
	uint64_t *b = reg64(its, reg);
	if (!writable(its, reg))
		return;
	if (FIELD_EX(v, GITS_BASER, PAGE_SIZE) == 3) {   /* reserved: read back as 64K */
		its_fail(its, ITS_E_REGISTER, "GITS_BASER Page_Size reserved", reg);
		v = FIELD_DP(v, GITS_BASER, PAGE_SIZE, 2);
	}
	*b = (*b & ro) | (v & rw);
	its_cache_flush(its);
}

static uint64_t rd_reg64(struct its *its, uint32_t reg) { return *reg64(its, reg); }

/* GITS_BASER2, the vPE table: only with GITS_TYPER.Virtual = 1. */
static uint64_t rd_baser2(struct its *its, uint32_t reg) { return its->version >= 40 ? its->baser2 : 0; }
static void wr_baser2(struct its *its, uint32_t reg, uint64_t v)
{
	if (its->version >= 40)
		wr_baser(its, reg, v);
}

static const struct its_reg its_regs[] = {
	{ GITS_CTLR, 4, rd_ctlr, wr_ctlr },
	{ GITS_IIDR, 4, rd_iidr, wr_ignore },
	{ GITS_TYPER, 8, rd_typer, wr_ignore },
	{ GITS_MPIDR, 8, rd_zero, wr_ignore },         /* GICv4.1 only: RES0 */
	{ GITS_CBASER, 8, rd_reg64, wr_cbaser },
	{ GITS_CWRITER, 8, rd_reg64, wr_cwriter },
	{ GITS_CREADR, 8, rd_reg64, wr_ignore },       /* read-only to the guest */
	{ GITS_BASER, 8, rd_reg64, wr_baser },
	{ GITS_BASER + 8, 8, rd_reg64, wr_baser },
	{ GITS_BASER + 16, 8, rd_baser2, wr_baser2 },   /* vPE table (GICv4), RAZ/WI otherwise */
	{ GITS_BASER + 24, 5 * 8, rd_zero, wr_ignore }, /* unimplemented: RAZ/WI */
	{ GITS_PIDR2, 4, rd_pidr2, wr_ignore },
};

/* 32-bit registers take 32-bit accesses, 64-bit ones 32- or 64-bit. */
static const struct its_reg *its_find(struct its *its, uint64_t off, unsigned size)
{
	for (unsigned i = 0; i < sizeof its_regs / sizeof its_regs[0]; i++) {
		const struct its_reg *r = &its_regs[i];
		if (off < r->off || off - r->off >= r->len)
			continue;
		if ((size != 4 && (size != 8 || r->len == 4)) || (off & (size - 1)))
			break;
		return r;
	}
	its_fail(its, ITS_E_REGISTER, "GITS register access", off);
	return NULL;
}

static uint64_t its_read(void *dev, uint64_t off, unsigned size)
{
	struct its *its = dev;
	const struct its_reg *r = its_find(its, off, size);
	if (!r)
		return 0;
	uint32_t reg = r->len == 8 ? (uint32_t)off & ~7u : r->off;
	uint64_t v = r->rd(its, reg);
	return r->len == 8 ? gic_reg64_read(v, (uint32_t)off - reg, size) : v;
}

static void its_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct its *its = dev;
	const struct its_reg *r = its_find(its, off, size);
	if (!r)
		return;
	uint32_t reg = r->len == 8 ? (uint32_t)off & ~7u : r->off;
	uint64_t *p = r->len == 8 ? reg64(its, reg) : NULL;
	r->wr(its, reg, p ? gic_reg64_write(*p, (uint32_t)off - reg, size, val) : val);
}

const struct dev_ops its_ctrl_ops = { its_read, its_write };
