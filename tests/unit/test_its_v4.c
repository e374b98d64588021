/* GICv4.0 / GICv4.1 in the ITS model (gic/its_v4.c) and direct injection in
 * the virtual CPU interface (gic/cpuif.c): every V* command good and
 * malformed, GICR_VPENDBASER residency, doorbells, vSGIs.  Commands go
 * through its_command (the hypervisor model's entry).  Expected values are
 * the spec's (Arm IHI 0069H 5.3, 9, 12.11.37-38) or counts of what each test
 * does, written as literals. */
#include <endian.h>
#include <string.h>

#include "core/cfg.h"
#include "gic/cpuif.h"
#include "gic/its.h"
#include "gic/vgic.h"
#include "tests/unit/unit.h"

#define NCPUS 2
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define VPT0   (RAM_BASE + 0x10000)       /* 64 KiB aligned (VMAPP VPT_addr 51:16) */
#define VPT1   (RAM_BASE + 0x20000)
#define VPROP  (RAM_BASE + 0x30000)       /* vLPI configuration, 64 KiB aligned (4.1 VCONF_addr) */
#define DEVT   (RAM_BASE + 0x60000)
#define VPET   (RAM_BASE + 0x61000)
#define ITT    (RAM_BASE + 0x63000)
#define DB0    9000u                      /* doorbell pINTIDs */

static struct gicv3 g;
static struct its its;
static uint8_t ram[RAM_SIZE];
static unsigned directs[NCPUS], doorbells[NCPUS];
static uint32_t last_db;

static bool fake_mem(void *ctx, uint64_t a, void *buf, unsigned len, bool write)
{
	if (a < RAM_BASE || a - RAM_BASE > RAM_SIZE - len)
		return false;
	memcpy(write ? ram + (a - RAM_BASE) : buf, write ? buf : ram + (a - RAM_BASE), len);
	return true;
}
static void on_direct(void *ctx, unsigned rd) { directs[rd]++; }
static void on_doorbell(void *ctx, unsigned rd, uint32_t pintid, uint16_t vpeid) { doorbells[rd]++; last_db = pintid; }
static uint64_t errs(enum its_error e) { return *its.st_errors[e]; }
static uint64_t cmds(enum its_cmd_nr n) { return *its.st_cmds[n]; }
static void cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3) { its_command(&its, (uint64_t[4]){ d0, d1, d2, d3 }); }

/* An ITS of `version` with a device table and a vPE table of one 4K page
 * each (512 device entries, 128 vPE entries of ITS_VPE_ENTRY_SIZE 32),
 * enabled; vLPI configuration: priority 0xa0, enabled; 4.1: the
 * Redistributors share the vPE table (GICR_VPROPBASER Valid, flat, 4K, one
 * page). */
static void setup(unsigned version)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, its_cfg_keys, its_cfg_nkeys), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "t.ini", "[its]\ncmd_cycles = 400\ntranslate_hit_cycles = 150\n"
				"translate_miss_cycles = 700\ntable_read_cycles = 250\ncache_entries_per_vcpu = 1\n"), 0);
	uint64_t mpidr[NCPUS] = { 0, 1 };
	CU_ASSERT_EQUAL_FATAL(gicv3_init(&g, NCPUS, 0, mpidr), 0);
	CU_ASSERT_EQUAL_FATAL(its_init(&its, &g, c), 0);
	cfg_free(c);
	g.mem = fake_mem;
	its_set_version(&its, version);
	its.direct = on_direct;
	its.doorbell = on_doorbell;
	memset(ram, 0, sizeof ram);
	memset(ram + (VPROP - RAM_BASE), 0xa1, 0x10000 - 0x2000);
	memset(directs, 0, sizeof directs);
	memset(doorbells, 0, sizeof doorbells);
	its_ctrl_ops.write(&its, 0x100, 8, (1ull << 63) | DEVT);
	its_ctrl_ops.write(&its, 0x110, 8, (1ull << 63) | VPET);
	its_ctrl_ops.write(&its, 0x0, 4, 1);
	for (unsigned rd = 0; rd < NCPUS; rd++)
		its_v4_vpropbaser_write(&its, rd, version >= 41 ? 1ull << 63 | VPET : VPROP | 15);
}

static void mapd(uint32_t dev, unsigned size) { cmd(0x08 | (uint64_t)dev << 32, size, ITT | 1ull << 63, 0); }
/* VMAPP vPEID -> RD with the VPT at vpt, 16 bits (4.1: VCONF VPROP, doorbell db) */
static void vmapp(unsigned vpe, uint64_t rd, uint64_t vpt, bool v, uint32_t db)
{
	cmd(0x29 | VPROP, (uint64_t)vpe << 32 | db, rd << 16 | (uint64_t)v << 63, vpt | 15);
}
static void vmapti(uint32_t dev, uint32_t ev, unsigned vpe, uint32_t vintid, uint32_t db)
{
	cmd(0x2a | (uint64_t)dev << 32, ev | (uint64_t)vpe << 32, vintid | (uint64_t)db << 32, 0);
}
static void resident(unsigned rd, uint64_t vpt) { CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, rd, 1ull << 63 | vpt)); }

/* Device 1 (16 events), vPEs 0 and 1 on RDs 0 and 1, event 3 -> vLPI 8200 of vPE 0 with doorbell DB0. */
static void map_one(unsigned version)
{
	setup(version);
	mapd(1, 3);
	vmapp(0, 0, VPT0, true, DB0);
	vmapp(1, 1, VPT1, true, DB0 + 1);
	vmapti(1, 3, 0, 8200, DB0);
}

/* ---------------------------------------------------------------- */
static void test_registers(void)
{
	setup(3);
	CU_ASSERT_EQUAL(its_ctrl_ops.read(&its, 0x8, 8) >> 1 & 1, 0);                  /* GITS_TYPER.Virtual */
	CU_ASSERT_EQUAL(its_ctrl_ops.read(&its, 0x110, 8), 0);                           /* BASER2 RAZ/WI */
	cmd(0x29, 0, 1ull << 63, VPT0 | 15);
	CU_ASSERT_EQUAL(errs(ITS_E_UNSUPPORTED), 1);                                     /* VMAPP: GICv3 */
	setup(40);
	uint64_t typer = its_ctrl_ops.read(&its, 0x8, 8);
	CU_ASSERT_EQUAL(typer >> 1 & 1, 1);                                              /* Virtual */
	CU_ASSERT_EQUAL(typer >> 37 & 1, 1);                                             /* VMOVP */
	uint64_t b2 = its_ctrl_ops.read(&its, 0x110, 8);
	CU_ASSERT_EQUAL(b2 >> 56 & 7, 2);                                                /* Type: vPEs */
	CU_ASSERT_EQUAL(b2 >> 63, 1);
	CU_ASSERT_EQUAL(b2 & 0xfffffffff000ull, VPET);
	cmd(0x23, 0, 0, 0);                                                              /* VSGI: 4.1 only */
	cmd(0x2e, 0, 0, 0);                                                              /* INVDB: 4.1 only */
	CU_ASSERT_EQUAL(errs(ITS_E_UNSUPPORTED), 2);
}

static void test_vmapp(void)
{
	setup(40);
	its_ctrl_ops.write(&its, 0x0, 4, 0);
	its_ctrl_ops.write(&its, 0x110, 8, 0);                       /* no vPE table */
	its_ctrl_ops.write(&its, 0x0, 4, 1);
	vmapp(0, 0, VPT0, true, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_NO_TABLE), 1);
	setup(40);
	vmapp(0, 0, VPT0, true, 0);
	CU_ASSERT_PTR_NOT_NULL(its_vpe(&its, 0));
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->vpt, VPT0);
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->vpt_bits, 16);
	vmapp(128, 0, VPT1, true, 0);                               /* 128 entries of 32 bytes in one 4K page */
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 1);
	vmapp(1, 2, VPT1, true, 0);                                 /* RDbase 2: 2 CPUs */
	CU_ASSERT_EQUAL(errs(ITS_E_PROCNUM_OOR), 1);
	cmd(0x29, 1ull << 32, 1ull << 63, VPT1 | 7);                /* VPT_size 7: 8 bits, no LPI fits */
	CU_ASSERT_EQUAL(errs(ITS_E_VPT), 1);
	vmapp(1, 1, 0x10000, true, 0);                              /* VPT outside RAM */
	CU_ASSERT_EQUAL(errs(ITS_E_VPT), 2);
	CU_ASSERT_PTR_NULL(its_vpe(&its, 1));
	for (unsigned i = 1; i < ITS_MAX_VPES; i++)
		vmapp(i, 1, VPT1, true, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_RESOURCES), 0);
	vmapp(ITS_MAX_VPES, 1, VPT1, true, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_RESOURCES), 1);
	vmapp(0, 0, 0, false, 0);                                   /* V = 0: unmapped */
	CU_ASSERT_PTR_NULL(its_vpe(&its, 0));
	CU_ASSERT_EQUAL(cmds(ITS_VMAPP), ITS_MAX_VPES + 6);
	/* 4.1: the default doorbell must be an LPI or 1023, VCONF in RAM */
	setup(41);
	vmapp(0, 0, VPT0, true, 100);
	CU_ASSERT_EQUAL(errs(ITS_E_DOORBELL_OOR), 1);
	cmd(0x29 | 0x10000, ITS_DB_NONE, 1ull << 63, VPT0 | 15);   /* VCONF at 64 KiB: not RAM */
	CU_ASSERT_EQUAL(errs(ITS_E_VPT), 1);
	vmapp(0, 0, VPT0, true, DB0);
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->db, DB0);
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->vconf, VPROP);
}

static void test_vmapti(void)
{
	map_one(40);
	CU_ASSERT_EQUAL(cmds(ITS_VMAPTI), 1);
	vmapti(2, 0, 0, 8201, DB0);                                 /* device 2 not mapped */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_DEVICE), 1);
	vmapti(1, 16, 0, 8201, DB0);                                /* 16 events: 0-15 */
	CU_ASSERT_EQUAL(errs(ITS_E_ID_OOR), 1);
	vmapti(1, 4, 7, 8201, DB0);                                 /* vPE 7 not mapped */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 1);
	vmapti(1, 4, 0, 8191, DB0);                                 /* not an LPI */
	vmapti(1, 4, 0, 65536, DB0);                                /* beyond the VPT's 16 bits */
	CU_ASSERT_EQUAL(errs(ITS_E_VINTID_OOR), 2);
	vmapti(1, 4, 0, 8201, 5000);                                /* doorbell neither an LPI nor 1023 */
	CU_ASSERT_EQUAL(errs(ITS_E_DOORBELL_OOR), 1);
	vmapti(1, 4, 0, 8201, ITS_DB_NONE);
	CU_ASSERT_EQUAL(errs(ITS_E_DOORBELL_OOR), 1);
	/* VMAPI: vINTID = EventID */
	mapd(3, 15);
	cmd(0x2b | 3ull << 32, 8300, (uint64_t)ITS_DB_NONE << 32, 0);
	cmd(0x2b | 3ull << 32, 5, (uint64_t)ITS_DB_NONE << 32, 0); /* EventID 5: not an LPI */
	CU_ASSERT_EQUAL(errs(ITS_E_VINTID_OOR), 3);
	CU_ASSERT_EQUAL(cmds(ITS_VMAPI), 2);
	/* the vLPIs took their configuration from VPROPBASER's table */
	CU_ASSERT_TRUE(its_translate(&its, 3, 8300));
	resident(0, VPT0);
	struct its_direct d = its_v4_hppi(&its, 0);
	CU_ASSERT_EQUAL(d.intid, 8300);
	CU_ASSERT_EQUAL(d.prio, 0xa0);
}

/* Resident: an MSI goes to the CPU interface, no doorbell; not resident: the
 * ITE's doorbell (4.0), every time; PendingLast says something waits. */
static void test_residency_doorbell(void)
{
	map_one(40);
	CU_ASSERT_PTR_NULL(its_v4_resident(&its, 0));
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63 | VPT1));   /* vPE 1 lives on RD 1 */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 1);
	CU_ASSERT_PTR_NULL(its_v4_resident(&its, 0));
	resident(0, VPT0);
	CU_ASSERT_EQUAL(its_v4_resident(&its, 0)->id, 0);
	CU_ASSERT_EQUAL(*its.st_residency, 1);
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(directs[0], 1);
	CU_ASSERT_EQUAL(doorbells[0], 0);
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, 8200);
	CU_ASSERT_FALSE(its_v4_hppi(&its, 0).via_doorbell);
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 1).intid, GIC_INTID_SPURIOUS);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 0));                   /* deschedule with it pending */
	CU_ASSERT_EQUAL(its_v4_vpendbaser_read(&its, 0) >> 61 & 1, 1);          /* PendingLast */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, GIC_INTID_SPURIOUS);
	resident(0, VPT0);
	its_v4_acknowledge(&its, 0, 8200);                                      /* no active state */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, GIC_INTID_SPURIOUS);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 0));
	CU_ASSERT_EQUAL(its_v4_vpendbaser_read(&its, 0) >> 61 & 1, 0);
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(doorbells[0], 2);
	CU_ASSERT_EQUAL(last_db, DB0);
	CU_ASSERT_EQUAL(*its.st_doorbells, 2);
	resident(0, VPT0);
	CU_ASSERT_TRUE(its_v4_hppi(&its, 0).via_doorbell);
	CU_ASSERT_EQUAL(*its.st_residency, 5);
	/* a disabled vLPI rings no doorbell */
	ram[VPROP - RAM_BASE + 8] = 0xa0;
	its_command(&its, (uint64_t[4]){ 0x0c | 1ull << 32, 3, 0, 0 });       /* INV */
	its_v4_acknowledge(&its, 0, 8200);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 0));
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(doorbells[0], 2);
}

static void test_int_clear_discard(void)
{
	map_one(40);
	resident(0, VPT0);
	cmd(0x03 | 1ull << 32, 3, 0, 0);                            /* INT */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, 8200);
	cmd(0x04 | 1ull << 32, 3, 0, 0);                            /* CLEAR */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, GIC_INTID_SPURIOUS);
	cmd(0x01 | 1ull << 32, 3, 0, 0);                            /* MOVI of a virtual ITE: error */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_INTERRUPT), 1);
	cmd(0x0f | 1ull << 32, 3, 0, 0);                            /* DISCARD */
	CU_ASSERT_FALSE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_INTERRUPT), 2);
}

static void test_vmovi_vmovp(void)
{
	map_one(40);
	resident(1, VPT1);
	cmd(0x21 | 1ull << 32, 3 | 1ull << 32, 1 | (uint64_t)(DB0 + 1) << 32, 0);   /* VMOVI to vPE 1, D = 1 */
	CU_ASSERT_EQUAL(cmds(ITS_VMOVI), 1);
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(directs[1], 1);
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 1).intid, 8200);
	cmd(0x21 | 1ull << 32, 3 | 9ull << 32, 0, 0);                               /* vPE 9 not mapped */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 1);
	cmd(0x21 | 1ull << 32, 3 | 1ull << 32, 1 | 7ull << 32, 0);                  /* bad doorbell */
	CU_ASSERT_EQUAL(errs(ITS_E_DOORBELL_OOR), 1);
	cmd(0x21 | 1ull << 32, 9, 0, 0);                                            /* no such event */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_INTERRUPT), 1);
	/* VMOVP: vPE 0 to RD 1; RD 5 does not exist */
	cmd(0x22, 0, 1ull << 16, 0);
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->rd, 1);
	cmd(0x22, 0, 5ull << 16, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_PROCNUM_OOR), 1);
	CU_ASSERT_EQUAL(cmds(ITS_VMOVP), 2);
	/* 4.1: VMOVP with DB = 1 sets the default doorbell */
	map_one(41);
	cmd(0x22, 0, 1ull << 16 | 1ull << 63, DB0 + 7);
	CU_ASSERT_EQUAL(its_vpe(&its, 0)->db, DB0 + 7);
	cmd(0x22, 0, 1ull << 16 | 1ull << 63, 17);
	CU_ASSERT_EQUAL(errs(ITS_E_DOORBELL_OOR), 1);
}

static void test_vsync_vinvall_invdb(void)
{
	map_one(41);
	cmd(0x25, 0, 0, 0);                                         /* VSYNC vPE 0 */
	cmd(0x25, 5ull << 32, 0, 0);
	cmd(0x2e, 5ull << 32, 0, 0);                                /* INVDB */
	cmd(0x2d, 5ull << 32, 0, 0);                                /* VINVALL */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 3);
	cmd(0x25, 700ull << 32, 0, 0);                              /* beyond the vPE table */
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 1);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63 | 5));   /* 4.1 names the vPE by vPEID: 5 is not mapped */
	CU_ASSERT_PTR_NULL(its_v4_resident(&its, 0));
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_PTR_NOT_NULL(its_v4_resident(&its, 0));
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).prio, 0xa0);
	ram[VPROP - RAM_BASE + 8] = 0x41;                          /* vLPI 8200: priority 0x40 */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).prio, 0xa0);          /* cached until VINVALL */
	cmd(0x2d, 0, 0, 0);
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).prio, 0x40);
	CU_ASSERT_EQUAL(cmds(ITS_VINVALL), 2);
	CU_ASSERT_EQUAL(cmds(ITS_INVDB), 1);
	CU_ASSERT_EQUAL(cmds(ITS_VSYNC), 3);
}

static uint64_t le_at(uint64_t pa) { uint64_t v; memcpy(&v, ram + (pa - RAM_BASE), 8); return le64toh(v); }
static void le_put(uint64_t pa, uint64_t v) { v = htole64(v); memcpy(ram + (pa - RAM_BASE), &v, 8); }

/* 4.1: VMAPP writes the vPE's entry into the vPE table (gic/regs.h
 * ITS_VPTE*), the Redistributors read it through GICR_VPROPBASER when
 * GICR_VPENDBASER schedules a vPE (IHI 0069H 12.11.37 GICv4.1 layout:
 * Valid 63, Entry_Size 61:59 RO, Indirect 55, Page_Size 54:53, PA 51:12,
 * Size 6:0). */
static void test_vpe_table_entry(void)
{
	map_one(41);
	/* vPE 0: Valid, VPT_size 15 (16 bits), RDbase 0, Default_Doorbell DB0 */
	CU_ASSERT_EQUAL(le_at(VPET), 1 | 15u << 1 | (uint64_t)DB0 << 32);
	CU_ASSERT_EQUAL(le_at(VPET + 8), VPT0);                      /* VPT_addr 51:16 in place */
	CU_ASSERT_EQUAL(le_at(VPET + 16), VPROP);                    /* VCONF_addr 51:12 in place */
	CU_ASSERT_EQUAL(le_at(VPET + 24), 0);                        /* vPEID 0 */
	CU_ASSERT_EQUAL(le_at(VPET + 32), 1 | 15u << 1 | 1u << 16 | (uint64_t)(DB0 + 1) << 32);
	CU_ASSERT_EQUAL(le_at(VPET + 32 + 24), 1);
	CU_ASSERT_EQUAL(its_v4_vpropbaser_read(&its, 0) >> 59 & 7, 3);   /* Entry_Size: 4 doublewords */
	/* the Redistributor takes the entry, not the ITS's cache: a cleared
	 * Valid in memory leaves the vPE unscheduled */
	le_put(VPET, le_at(VPET) & ~1ull);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 1);
	CU_ASSERT_PTR_NULL(its_v4_resident(&its, 0));
	le_put(VPET, le_at(VPET) | 1);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 1, 1ull << 63));   /* vPE 0 is RD 0's */
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 2);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 0));
	/* bounds: vPEID 128 beyond one 4K page of 32-byte entries; Size 1 (two
	 * pages) takes it, its entry zero: not mapped */
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63 | 128));
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 1);
	its_v4_vpropbaser_write(&its, 0, 1ull << 63 | VPET | 1);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63 | 128));
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 3);
	/* no table (Valid clear), a table outside RAM */
	its_v4_vpropbaser_write(&its, 0, VPET);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_EQUAL(errs(ITS_E_NO_TABLE), 1);
	its_v4_vpropbaser_write(&its, 0, 1ull << 63 | 0x1000);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 1);
	/* two-level (Indirect): level-1 entry 0 (Valid | PA) names the page */
	uint64_t l1 = RAM_BASE + 0x64000;
	its_v4_vpropbaser_write(&its, 0, 1ull << 63 | 1ull << 55 | l1);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));   /* level-1 entry invalid */
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 2);
	le_put(l1, 1ull << 63 | VPET);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_PTR_NOT_NULL(its_v4_resident(&its, 0));
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 0, 1ull << 63 | 128));   /* level-1 entry 1: no page */
	CU_ASSERT_EQUAL(errs(ITS_E_VPE_OOR), 3);
	/* VMAPP V = 0 clears the entry's Valid */
	vmapp(1, 1, VPT1, false, 0);
	CU_ASSERT_EQUAL(le_at(VPET + 32) & 1, 0);
	CU_ASSERT_FALSE(its_v4_vpendbaser_write(&its, 1, 1ull << 63 | 1));
}

/* 4.1: vSGIs configured by VSGI, made pending by GITS_SGIR; the default
 * doorbell rings once per descheduling with VPENDBASER.Doorbell. */
static void test_vsgi_default_doorbell(void)
{
	map_one(41);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	cmd(0x23 | 3ull << 32 | 0x8ull << 20 | 1 << 10 | 1 << 8, 0, 0, 0);   /* vSGI 3: priority 0x80, Group 1, enabled */
	CU_ASSERT_TRUE(its_v4_sgir(&its, 0, 3, 0));
	CU_ASSERT_FALSE(its_v4_sgir(&its, 0, 16, 0));
	CU_ASSERT_FALSE(its_v4_sgir(&its, 9, 1, 0));
	CU_ASSERT_EQUAL(errs(ITS_E_VINTID_OOR), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 1);
	struct its_direct d = its_v4_hppi(&its, 0);
	CU_ASSERT_EQUAL(d.intid, 3);
	CU_ASSERT_EQUAL(d.prio, 0x80);
	its_v4_acknowledge(&its, 0, 3);                             /* no active state: pending again at once */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, GIC_INTID_SPURIOUS);
	CU_ASSERT_TRUE(its_v4_sgir(&its, 0, 3, 0));
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, 3);
	cmd(0x23 | 3ull << 32 | 0x8ull << 20 | 1 << 10 | 1 << 9 | 1 << 8, 0, 0, 0);   /* Clear */
	CU_ASSERT_EQUAL(its_v4_hppi(&its, 0).intid, GIC_INTID_SPURIOUS);
	cmd(0x23, 9ull << 32, 0, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_VPE), 2);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 62));   /* out, Doorbell = 1 */
	CU_ASSERT_TRUE(its_v4_sgir(&its, 0, 3, 0));
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(doorbells[0], 1);                          /* once */
	CU_ASSERT_EQUAL(last_db, DB0);
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 1ull << 63));
	CU_ASSERT_TRUE(its_v4_vpendbaser_write(&its, 0, 0));        /* out without Doorbell */
	CU_ASSERT_TRUE(its_translate(&its, 1, 3));
	CU_ASSERT_EQUAL(doorbells[0], 1);
}

/* The CPU interface takes the direct interrupt beside the LRs: IAR returns
 * it (no LR), the running priority rises, EOI drops it without EOIcount;
 * with 4.1 vSGIs an SGI's EOI deactivates at the Redistributor. */
static void test_cpuif_direct(void)
{
	struct gic_cpuif c;
	struct gic_cpuif_events ev;
	uint64_t v;
	gic_cpuif_reset(&c, 4, 1);
	v = 1;
	gic_cpuif_access(&c, ICC_IGRPEN1_EL1, false, &v, &ev);
	v = 0xf0;
	gic_cpuif_access(&c, ICC_PMR_EL1, false, &v, &ev);
	c.lr[0] = FIELD_DP(FIELD_DP(FIELD_DP(FIELD_DP(0, ICH_LR, VINTID, 40), ICH_LR, PRIORITY, 0xc0), ICH_LR, GROUP, 1),
			   ICH_LR, STATE, LR_PENDING);
	c.direct_intid = 8200;
	c.direct_prio = 0xa0;
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&c));
	CU_ASSERT_TRUE(gic_cpuif_direct_first(&c));
	gic_cpuif_access(&c, ICC_HPPIR1_EL1, true, &v, &ev);
	CU_ASSERT_EQUAL(v, 8200);
	gic_cpuif_access(&c, ICC_IAR1_EL1, true, &v, &ev);
	CU_ASSERT_EQUAL(v, 8200);
	CU_ASSERT_EQUAL(ev.direct_acked, 8200);
	CU_ASSERT_EQUAL(gic_cpuif_running_priority(&c), 0xa0);
	CU_ASSERT_EQUAL(gic_lr_state(c.lr[0]), LR_PENDING);        /* the LR was not used */
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&c));                   /* SPI 40 (0xc0) cannot preempt 0xa0 */
	v = 8200;
	gic_cpuif_access(&c, ICC_EOIR1_EL1, false, &v, &ev);
	CU_ASSERT_EQUAL(gic_cpuif_running_priority(&c), 0xff);
	CU_ASSERT_EQUAL(FIELD_EX(c.hcr, ICH_HCR, EOICOUNT), 0);
	CU_ASSERT_EQUAL(ev.eoi_misses, 0);
	/* below VPMR: neither taken nor waking */
	c.direct_intid = 8201;
	c.direct_prio = 0xf8;
	c.lr[0] = 0;
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&c));
	CU_ASSERT_FALSE(gic_cpuif_wake(&c));
	/* a vSGI (4.1, no active state): its EOI matches no LR, without EOIcount;
	 * another SGI's EOI without LR still counts */
	c.direct_intid = 3;
	c.direct_prio = 0x80;
	gic_cpuif_access(&c, ICC_IAR1_EL1, true, &v, &ev);
	CU_ASSERT_EQUAL(v, 3);
	v = 3;
	gic_cpuif_access(&c, ICC_EOIR1_EL1, false, &v, &ev);
	CU_ASSERT_EQUAL(FIELD_EX(c.hcr, ICH_HCR, EOICOUNT), 0);
	c.apr[1] = 1u << 16;
	v = 5;
	gic_cpuif_access(&c, ICC_EOIR1_EL1, false, &v, &ev);
	CU_ASSERT_EQUAL(FIELD_EX(c.hcr, ICH_HCR, EOICOUNT), 1);
}

/* ---- the modelled KVM (gic/vgic_v4.c) ---- */
static struct vgic vg;
static bool fwd_dev7(void *ctx, uint32_t devid) { return devid == 7; }
static uint64_t hcmds(enum its_cmd_nr n) { return *vg.v4.hits.st_cmds[n]; }

static void setup_vgic(const char *version)
{
	char ini[768];
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, gic_cfg_keys, gic_cfg_nkeys), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, its_cfg_keys, its_cfg_nkeys), 0);
	snprintf(ini, sizeof ini, "[gic]\nlist_registers = 4\nspis = 32\nich_hcr_el2 = 0\nlr_inject_cycles = 100\n"
		 "version = %s\nirqfd_cycles = 0\nsgi_queue_cycles = 200\nkick_cycles = 0\nipi_latency_cycles = 0\n"
		 "timer_irq_cycles = 0\nvlpi_latency_cycles = 500\nvlpi_map_cycles = 10000\n"
		 "vlpi_inv_cycles = 3000\nresidency_cycles = 1000\ndoorbell_cycles = 2000\nvsgi_cycles = 400\n"
		 "[its]\ncmd_cycles = 400\ntranslate_hit_cycles = 150\ntranslate_miss_cycles = 700\n"
		 "table_read_cycles = 250\ncache_entries_per_vcpu = 1\n", version);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "t.ini", ini), 0);
	uint64_t mpidr[NCPUS] = { 0, 1 };
	vgic_fini(&vg);
	CU_ASSERT_EQUAL_FATAL(vgic_init(&vg, c, NCPUS, mpidr), 0);
	cfg_free(c);
	vg.v4.forwarded = fwd_dev7;
	vg.v4.hits.direct = on_direct;
	vg.v4.hits.doorbell = on_doorbell;
	memset(directs, 0, sizeof directs);
	memset(doorbells, 0, sizeof doorbells);
}

/* Start-up: a VMAPP and a load per vCPU; the guest's MAPTI of a forwarded
 * device becomes a VMAPTI with the vPE's doorbell (4.0), of another device
 * nothing; INV, MOVE, UNMAP follow; costs from the design. */
static void test_kvm_forwarding(void)
{
	setup_vgic("3");
	CU_ASSERT_EQUAL(vg.v4.version, 0);
	CU_ASSERT_FALSE(vg.dist.nassgi_cap);
	vgic_v4_guest_its(&vg.v4, ITS_MAP_EVENT, 7, 0, 8192, 0, 0xa0, true);
	CU_ASSERT_FALSE(vgic_v4_is_forwarded(&vg.v4, 7, 0));
	setup_vgic("4");
	CU_ASSERT_EQUAL(hcmds(ITS_VMAPP), 2);
	CU_ASSERT_TRUE(vg.v4.resident[0] && vg.v4.resident[1]);
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), 0);               /* start-up is not a vCPU's */
	vgic_v4_guest_its(&vg.v4, ITS_MAP_EVENT, 8, 0, 8192, 0, 0xa0, true);   /* not passed through */
	CU_ASSERT_EQUAL(hcmds(ITS_VMAPTI), 0);
	vgic_v4_guest_its(&vg.v4, ITS_MAP_EVENT, 7, 2, 8300, 1, 0xa0, true);
	CU_ASSERT_EQUAL(hcmds(ITS_MAPD), 1);
	CU_ASSERT_EQUAL(hcmds(ITS_VMAPTI), 1);
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), 10000);
	CU_ASSERT_TRUE(vgic_v4_is_forwarded(&vg.v4, 7, 2));
	CU_ASSERT_TRUE(vgic_v4_msi(&vg.v4, 7, 2, 1000));
	CU_ASSERT_EQUAL(directs[1], 1);
	struct its_direct d = its_v4_hppi(&vg.v4.hits, 1);
	CU_ASSERT_EQUAL(d.intid, 8300);
	CU_ASSERT_EQUAL(d.pending_at, 1500);                   /* + vlpi_latency_cycles */
	CU_ASSERT_EQUAL(vgic_v4_sync(&vg, 1, 1499), 1500);     /* not visible before */
	CU_ASSERT_EQUAL(vg.cpu[1].direct_intid, GIC_INTID_SPURIOUS);
	vgic_v4_sync(&vg, 1, 1500);
	CU_ASSERT_EQUAL(vg.cpu[1].direct_intid, 8300);
	CU_ASSERT_EQUAL(vg.cpu[1].direct_prio, 0xa0);
	vgic_v4_guest_its(&vg.v4, ITS_INV_EVENT, 7, 2, 8300, 1, 0x40, true);
	CU_ASSERT_EQUAL(hcmds(ITS_INV), 1);
	CU_ASSERT_EQUAL(its_v4_hppi(&vg.v4.hits, 1).prio, 0x40);
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), 3000);
	/* descheduled: the doorbell of vPE 1 */
	CU_ASSERT_EQUAL(vgic_v4_put(&vg.v4, 1, true), 1000);
	CU_ASSERT_EQUAL(vgic_v4_put(&vg.v4, 1, true), 0);      /* already out */
	CU_ASSERT_TRUE(vgic_v4_pending(&vg.v4, 1, 1500));
	CU_ASSERT_TRUE(vgic_wake(&vg, 1, 1500));
	CU_ASSERT_TRUE(vgic_v4_msi(&vg.v4, 7, 2, 2000));
	CU_ASSERT_EQUAL(doorbells[1], 1);
	CU_ASSERT_EQUAL(last_db, VGIC_V4_DB_BASE + 1);
	CU_ASSERT_EQUAL(vgic_v4_load(&vg.v4, 1), 1000);
	vgic_v4_guest_its(&vg.v4, ITS_MOVE_EVENT, 7, 2, 8300, 0, 0x40, true);
	CU_ASSERT_EQUAL(hcmds(ITS_VMOVI), 1);
	CU_ASSERT_EQUAL(its_v4_hppi(&vg.v4.hits, 0).intid, 8300);
	vgic_v4_guest_its(&vg.v4, ITS_UNMAP_EVENT, 7, 2, 8300, 0, 0x40, true);
	CU_ASSERT_EQUAL(hcmds(ITS_DISCARD), 1);
	CU_ASSERT_FALSE(vgic_v4_is_forwarded(&vg.v4, 7, 2));
	CU_ASSERT_EQUAL(*vg.v4.st_map, 2);
	CU_ASSERT_EQUAL(*vg.v4.st_unmap, 1);
	uint64_t bad = 0;
	for (unsigned e = 0; e < ITS_NERRORS; e++)
		bad += *vg.v4.hits.st_errors[e];
	CU_ASSERT_EQUAL(bad, 0);
}

/* 4.1: nASSGIcap reported; SGIs are vSGIs only once the guest sets
 * nASSGIreq; acknowledged through the CPU interface without an LR. */
static void test_kvm_vsgi(void)
{
	setup_vgic("4.1");
	CU_ASSERT_TRUE(vg.dist.nassgi_cap);
	CU_ASSERT_EQUAL(gicv3_dist_ops.read(&vg.dist, 0x0c, 4) >> 8 & 1, 1);   /* GICD_TYPER2.nASSGIcap */
	gicv3_dist_ops.write(&vg.dist, 0, 4, 2);                              /* EnableGrp1 */
	gicv3_redist_ops.write(&vg.dist, 0x20000 + 0x10000 + 0x100, 4, 1u << 5);   /* vCPU 1: ISENABLER0, SGI 5 */
	vgic_dispatch_sgi(&vg, 0, 5ull << 24 | 2, true, 100);                 /* SGI 5 to Aff0 1 */
	CU_ASSERT_TRUE(gicv3_pending(&vg.dist.priv[1][5]));                   /* nASSGIreq clear: a vgic SGI */
	CU_ASSERT_EQUAL(*vg.v4.st_sgis, 0);
	gicv3_dist_ops.write(&vg.dist, 0, 4, 2 | 1u << 8);                    /* nASSGIreq */
	CU_ASSERT_EQUAL(gicv3_dist_ops.read(&vg.dist, 0, 4) >> 8 & 1, 1);
	vgic_dispatch_sgi(&vg, 0, 5ull << 24 | 2, true, 200);
	CU_ASSERT_EQUAL(*vg.v4.st_sgis, 1);
	CU_ASSERT_EQUAL(hcmds(ITS_VSGI), 1);                                  /* configuration sent once */
	/* the first SGI queued in the vgic (sgi_queue_cycles 200), the vSGI sent (400) */
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), 200 + 400);
	CU_ASSERT_EQUAL(directs[1], 1);
	uint64_t v = 0xff;
	struct gic_cpuif_events ev;
	vgic_sysreg(&vg, 1, ICC_PMR_EL1, false, &v, 300, &ev);
	v = 1;
	vgic_sysreg(&vg, 1, ICC_IGRPEN1_EL1, false, &v, 300, &ev);
	vg.dist.priv[1][5].pending_latch = false;             /* the earlier (vgic) SGI 5 is not in an LR: drop it */
	vgic_sysreg(&vg, 1, ICC_IAR1_EL1, true, &v, 300, &ev);
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_EQUAL(*vg.st_path[GIC_PATH_DIRECT][GIC_VSGI], 1);
	CU_ASSERT_EQUAL(*vg.st_path[GIC_PATH_LR][GIC_SGI], 0);
	vgic_dispatch_sgi(&vg, 0, 5ull << 24 | 2, true, 400);
	CU_ASSERT_EQUAL(hcmds(ITS_VSGI), 1);
	vgic_fini(&vg);
}

static CU_TestInfo tests[] = {
	{ "GITS_TYPER.Virtual, GITS_BASER2, V* only with GICv4", test_registers },
	{ "VMAPP good and malformed", test_vmapp },
	{ "VMAPTI / VMAPI good and malformed", test_vmapti },
	{ "GICR_VPENDBASER residency, direct and doorbell", test_residency_doorbell },
	{ "INT, CLEAR, MOVI, DISCARD on a virtual ITE", test_int_clear_discard },
	{ "VMOVI / VMOVP good and malformed", test_vmovi_vmovp },
	{ "VSYNC, VINVALL, INVDB", test_vsync_vinvall_invdb },
	{ "GICv4.1 vSGIs and the default doorbell", test_vsgi_default_doorbell },
	{ "GICv4.1 vPE table entry, shared with the Redistributors", test_vpe_table_entry },
	{ "direct injection in the CPU interface", test_cpuif_direct },
	{ "KVM vgic-v4: forwarding, residency, doorbell", test_kvm_forwarding },
	{ "KVM vgic-v4.1: vSGIs with nASSGIreq", test_kvm_vsgi },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("its_v4", tests); }
