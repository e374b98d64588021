/* KVM's vgic-v4 driving the host's GICv4 ITS.  See vgic_v4.h. */
#include "gic/vgic_v4.h"
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "gic/its_int.h"

/* Host memory layout (offsets from VGIC_V4_HOST_BASE): what Linux's ITS
 * driver allocates (its_alloc_tables, its_allocate_prop_table, the vPEs'
 * pending tables), 64 KiB-aligned where a command field needs it. */
enum {
	HM_QUEUE = 0x0000, HM_DEVICES = 0x1000, HM_COLLECTIONS = 0x2000, HM_VPES = 0x3000,
	HM_VPROP = 0x10000,                     /* vLPI configuration table (KVM's its_vm vprop_page) */
	HM_ITT = 0x20000,                       /* ITTs of forwarded devices, 2 KiB each */
	HM_ITT_SLOTS = 64,
	HM_VPT = 0x40000,                       /* vPE n's VPT at HM_VPT + n * 64 KiB */
	HM_VPT_STRIDE = 0x10000,
	HM_QUEUE_CMDS = 4096 / ITS_CMD_SIZE,
};

static bool host_mem(void *ctx, uint64_t addr, void *buf, unsigned len, bool write)
{
	struct vgic_v4 *v4 = ctx;
	if (addr < VGIC_V4_HOST_BASE || addr - VGIC_V4_HOST_BASE > v4->hmem_size ||
	    len > v4->hmem_size - (addr - VGIC_V4_HOST_BASE))
		return false;
	uint8_t *p = v4->hmem + (addr - VGIC_V4_HOST_BASE);
	memcpy(write ? p : buf, write ? buf : p, len);
	return true;
}

static uint64_t hpa(uint64_t off) { return VGIC_V4_HOST_BASE + off; }

/* The Linux ITS driver's command: into the queue, then GITS_CWRITER. */
static void host_cmd(struct vgic_v4 *v4, uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	uint64_t off = (v4->qslot++ % HM_QUEUE_CMDS) * ITS_CMD_SIZE, dw[4] = { htole64(d0), htole64(d1), htole64(d2), htole64(d3) };
	memcpy(v4->hmem + HM_QUEUE + off, dw, sizeof dw);
	its_ctrl_ops.write(&v4->hits, GITS_CWRITER, 8, (off + ITS_CMD_SIZE) % (HM_QUEUE_CMDS * ITS_CMD_SIZE));
	its_take_cycles(&v4->hits);   /* the hardware's work: the design's GICv4 costs cover it */
}

static uint64_t host_baser(unsigned type_off)
{
	uint64_t b = FIELD_DP(0, GITS_BASER, VALID, 1);
	return FIELD_DP(b, GITS_BASER, PA, hpa(type_off) >> GITS_BASER_PA_SHIFT);   /* 4 KiB pages, Size 0: one page */
}

static uint64_t vpt(unsigned cpu) { return hpa(HM_VPT + (uint64_t)cpu * HM_VPT_STRIDE); }
static uint32_t doorbell(const struct vgic_v4 *v4, unsigned cpu) { return VGIC_V4_DB_BASE + cpu; }

/* VMAPP of vCPU cpu's vPE (its_vpe_irq_domain_activate): VPT of 2^16 bits;
 * 4.1 also the configuration table and the default doorbell. */
static void vmapp(struct vgic_v4 *v4, unsigned cpu)
{
	uint64_t d0 = ITS_VMAPP, d1 = FIELD_DP(0, ITS_CMD1, VPEID, cpu);
	if (v4->version >= 41) {
		d0 = FIELD_DP(d0, ITS_CMD0, VCONF_ADDR, hpa(HM_VPROP) >> ITS_CMD0_VCONF_ADDR_SHIFT);
		d1 = FIELD_DP(d1, ITS_CMD1, DEFAULT_DB, doorbell(v4, cpu));
	}
	uint64_t d2 = FIELD_DP(FIELD_DP(0, ITS_CMD2, VALID, 1), ITS_CMD2, RDBASE, cpu);
	uint64_t d3 = FIELD_DP(FIELD_DP(0, ITS_CMD3, VPT_ADDR, vpt(cpu) >> ITS_CMD3_VPT_ADDR_SHIFT), ITS_CMD3, VPT_SIZE,
			       GIC_INTID_BITS - 1);
	host_cmd(v4, d0, d1, d2, d3);
}

static void host_init(struct vgic_v4 *v4)
{
	struct its *h = &v4->hits;
	its_ctrl_ops.write(h, GITS_BASER, 8, host_baser(HM_DEVICES));
	its_ctrl_ops.write(h, GITS_BASER + 8, 8, host_baser(HM_COLLECTIONS));
	its_ctrl_ops.write(h, GITS_BASER + 16, 8, host_baser(HM_VPES));
	its_ctrl_ops.write(h, GITS_CBASER, 8, FIELD_DP(FIELD_DP(0, GITS_CBASER, VALID, 1), GITS_CBASER, PA,
						    hpa(HM_QUEUE) >> GITS_CBASER_PA_SHIFT));
	its_ctrl_ops.write(h, GITS_CTLR, 4, FIELD_DP(0, GITS_CTLR, ENABLED, 1));
	/* 4.0: the vLPI configuration table; 4.1: the vPE table GITS_BASER2
	 * describes (one 4K page, flat), shared with the ITS as Linux's
	 * inherit_vpe_l1_table_from_its programs it */
	uint64_t vprop = FIELD_DP(0, GICR_VPROPBASER, PA, hpa(HM_VPROP) >> GICR_VPROPBASER_PA_SHIFT);
	if (v4->version >= 41)
		vprop = FIELD_DP(FIELD_DP(0, GICR_VPROPBASER, VALID_41, 1), GICR_VPROPBASER, PA,
				 hpa(HM_VPES) >> GICR_VPROPBASER_PA_SHIFT);
	else
		vprop = FIELD_DP(vprop, GICR_VPROPBASER, IDBITS, GIC_INTID_BITS - 1);
	for (unsigned c = 0; c < v4->ncpus; c++) {
		its_v4_vpropbaser_write(h, c, vprop);
		vmapp(v4, c);
		vgic_v4_load(v4, c);   /* vcpu_load */
	}
	v4->cycles = 0;
}

/* Defaults and their sources: designs/default-arm64.ini [gic] */
int vgic_v4_init(struct vgic_v4 *v4, const struct cfg *c, unsigned version, unsigned ncpus)
{
	memset(v4, 0, sizeof *v4);
	v4->version = version;
	v4->ncpus = ncpus;
	v4->st_map = &v4->own[0];
	v4->st_unmap = &v4->own[1];
	v4->st_sgis = &v4->own[2];
	if (!version)
		return 0;
	v4->cost = (struct vgic_v4_costs){ cfg_u64(c, "gic", "vlpi_map_cycles"), cfg_u64(c, "gic", "vlpi_inv_cycles"),
					   cfg_u64(c, "gic", "residency_cycles"), cfg_u64(c, "gic", "doorbell_cycles"),
					   cfg_u64(c, "gic", "vsgi_cycles"), cfg_u64(c, "gic", "vlpi_latency_cycles") };
	uint64_t mpidr[GIC_MAX_CPUS] = { 0 };
	if (gicv3_init(&v4->hgic, ncpus, 0, mpidr) < 0 || its_init(&v4->hits, &v4->hgic, c) < 0)
		return -1;
	v4->hmem_size = HM_VPT + (uint64_t)ncpus * HM_VPT_STRIDE;
	v4->hmem = calloc(1, v4->hmem_size);
	if (!v4->hmem)
		return err_set("out of memory for the host ITS tables");
	v4->hgic.mem = host_mem;
	v4->hgic.ctx = v4;
	its_set_version(&v4->hits, version);
	host_init(v4);
	return 0;
}

void vgic_v4_fini(struct vgic_v4 *v4)
{
	free(v4->hmem);
	v4->hmem = NULL;
}

void vgic_v4_register_stats(struct vgic_v4 *v4, struct stats *st)
{
	if (!v4->version)
		return;
	its_register_stats_as(&v4->hits, st, "gic.v4.its");
	v4->st_map = stats_counter(st, "gic.v4.vlpi_maps", "vLPIs forwarded by the hypervisor (its_map_vlpi: VMAPTI or VMOVI on the host ITS)");
	v4->st_unmap = stats_counter(st, "gic.v4.vlpi_unmaps", "forwarded vLPIs unmapped (its_unmap_vlpi: DISCARD on the host ITS)");
	v4->st_sgis = stats_counter(st, "gic.v4.vsgis_sent", "GICv4.1 vSGIs made pending by the hypervisor (GITS_SGIR)");
}

cycles_t vgic_v4_take_cycles(struct vgic_v4 *v4)
{
	cycles_t c = v4->cycles;
	v4->cycles = 0;
	return c;
}

/* ---- forwarding (its_map_vlpi, its_unmap_vlpi, its_prop_update_vlpi) ---- */
static int itt_slot(struct vgic_v4 *v4, uint32_t devid)
{
	static const unsigned bytes = ITS_ENTRY_SIZE << VGIC_V4_EVENT_BITS;
	return devid < VGIC_V4_HOST_DEVS ? (int)(devid % HM_ITT_SLOTS) * (int)bytes : -1;
}

/* The host driver maps a passed-through device once (its_msi_prepare). */
static void host_device(struct vgic_v4 *v4, uint32_t devid)
{
	int slot = itt_slot(v4, devid);
	if (its_find_device(&v4->hits, devid) || slot < 0)
		return;
	host_cmd(v4, ITS_MAPD | (uint64_t)devid << 32, VGIC_V4_EVENT_BITS - 1,
		 FIELD_DP(hpa(HM_ITT + (uint64_t)slot), ITS_CMD2, VALID, 1), 0);
}

static void write_vprop(struct vgic_v4 *v4, uint32_t intid, uint8_t priority, bool enabled)
{
	if (intid >= GIC_LPI_BASE && intid < (1u << GIC_INTID_BITS))
		v4->hmem[HM_VPROP + intid - GIC_LPI_BASE] = (uint8_t)((priority & GIC_PRI_MASK) | enabled);
}

static uint64_t ev_cmd(unsigned nr, uint32_t devid) { return nr | (uint64_t)devid << 32; }

void vgic_v4_guest_its(struct vgic_v4 *v4, enum its_map_op op, uint32_t devid, uint32_t eventid, uint32_t intid,
		       unsigned cpu, uint8_t priority, bool enabled)
{
	if (!v4->version || !v4->forwarded || !v4->forwarded(v4->ctx, devid) || cpu >= v4->ncpus)
		return;
	uint32_t db = v4->version >= 41 ? ITS_DB_NONE : doorbell(v4, cpu);
	uint64_t d1 = FIELD_DP(eventid, ITS_CMD1, VPEID, cpu);
	switch (op) {
	case ITS_MAP_EVENT:
		host_device(v4, devid);
		write_vprop(v4, intid, priority, enabled);
		host_cmd(v4, ev_cmd(ITS_VMAPTI, devid), d1, FIELD_DP(intid, ITS_CMD2, DB_PINTID, db), 0);
		(*v4->st_map)++;
		v4->cycles += v4->cost.map;
		break;
	case ITS_MOVE_EVENT:
		host_cmd(v4, ev_cmd(ITS_VMOVI, devid), d1, FIELD_DP(1, ITS_CMD2, DB_PINTID, db), 0);
		(*v4->st_map)++;
		v4->cycles += v4->cost.map;
		break;
	case ITS_UNMAP_EVENT:
		host_cmd(v4, ev_cmd(ITS_DISCARD, devid), eventid, 0, 0);
		(*v4->st_unmap)++;
		v4->cycles += v4->cost.map;
		break;
	case ITS_INV_EVENT:
		write_vprop(v4, intid, priority, enabled);
		host_cmd(v4, ev_cmd(ITS_INV, devid), eventid, 0, 0);
		v4->cycles += v4->cost.inv;
		break;
	}
}

bool vgic_v4_is_forwarded(struct vgic_v4 *v4, uint32_t devid, uint32_t eventid)
{
	const struct its_ite *ite = v4->version ? its_find_ite(&v4->hits, devid, eventid) : NULL;
	return ite && ite->virt;
}

static cycles_t host_now(void *ctx) { return ((struct vgic_v4 *)ctx)->msi_time; }

bool vgic_v4_msi(struct vgic_v4 *v4, uint32_t devid, uint32_t eventid, cycles_t when)
{
	/* The ITS translation and the Redistributor's update of the VPT take
	 * vlpi_latency_cycles of hardware time before the vCPU can see it. */
	v4->msi_time = when + v4->cost.vlpi_latency;
	v4->hgic.now = host_now;
	bool ok = its_translate(&v4->hits, devid, eventid);
	its_take_cycles(&v4->hits);
	v4->hgic.now = NULL;
	return ok;
}

/* ---- residency ---- */
cycles_t vgic_v4_put(struct vgic_v4 *v4, unsigned cpu, bool db)
{
	if (!v4->version || cpu >= v4->ncpus || !v4->resident[cpu])
		return 0;
	uint64_t v = v4->version >= 41 ? FIELD_DP(0, GICR_VPENDBASER, DOORBELL_41, db) : 0;
	its_v4_vpendbaser_write(&v4->hits, cpu, v);
	v4->resident[cpu] = false;
	return v4->cost.residency;
}

cycles_t vgic_v4_load(struct vgic_v4 *v4, unsigned cpu)
{
	if (!v4->version || cpu >= v4->ncpus || v4->resident[cpu])
		return 0;
	uint64_t v = FIELD_DP(0, GICR_VPENDBASER, VALID, 1);
	if (v4->version >= 41)
		v = FIELD_DP(FIELD_DP(v, GICR_VPENDBASER, VPEID_41, cpu), GICR_VPENDBASER, VGRP1EN_41, 1);
	else
		v = FIELD_DP(v, GICR_VPENDBASER, PA, vpt(cpu) >> GICR_VPENDBASER_PA_SHIFT);
	v4->resident[cpu] = its_v4_vpendbaser_write(&v4->hits, cpu, v);
	return v4->cost.residency;
}

bool vgic_v4_pending(struct vgic_v4 *v4, unsigned cpu, cycles_t now)
{
	const struct its_vpe *p = v4->version ? its_vpe(&v4->hits, cpu) : NULL;
	if (!p)
		return false;
	for (unsigned i = 0; i < 16; i++)
		if ((p->sgi_pending & p->sgi_enabled) >> i & 1 && p->sgi_at[i] <= now)
			return true;
	for (unsigned i = 0; i < ITS_MAX_ITES; i++) {
		const struct its_ite *e = &v4->hits.ite[i];
		if (e->valid && e->virt && e->vpeid == p->id && e->vpending && e->venabled && e->vpending_at <= now)
			return true;
	}
	return false;
}

/* ---- vSGIs (GICv4.1) ---- */
void vgic_v4_send_sgi(struct vgic_v4 *v4, unsigned target, uint32_t sgi, const struct gic_irq *cfg, cycles_t now)
{
	const struct its_vpe *p = its_vpe(&v4->hits, target);
	if (!p || sgi >= 16)
		return;
	uint16_t bit = (uint16_t)(1u << sgi);
	bool en = (p->sgi_enabled & bit) != 0, grp = (p->sgi_group & bit) != 0;
	if (en != cfg->enabled || grp != cfg->group1 || p->sgi_prio[sgi] != (cfg->priority & 0xf0)) {
		uint64_t d0 = FIELD_DP(ITS_VSGI, ITS_CMD0, SGI_INTID, sgi);
		d0 = FIELD_DP(d0, ITS_CMD0, SGI_PRIORITY, cfg->priority >> 4);
		d0 = FIELD_DP(FIELD_DP(d0, ITS_CMD0, SGI_GROUP, cfg->group1), ITS_CMD0, SGI_ENABLE, cfg->enabled);
		host_cmd(v4, d0, FIELD_DP(0, ITS_CMD1, VPEID, target), 0, 0);   /* its_prop_update_vsgi */
	}
	its_v4_sgir(&v4->hits, target, sgi, now);
	(*v4->st_sgis)++;
	v4->cycles += v4->cost.vsgi;
}
