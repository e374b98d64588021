/* GICv3 ITS and LPIs (gic/its.c, the LPI part of gic/gicv3.c): registers,
 * every command good and malformed, the command queue, LPI configuration and
 * pending tables, two-level device tables, delivery through a list register.
 * Expected values are the spec's (Arm IHI 0069H 5, 12.19) or counts of what
 * each test does, written as literals. */
#include <endian.h>
#include <string.h>

#include "core/cfg.h"
#include "gic/its.h"
#include "gic/vgic.h"
#include "tests/unit/unit.h"

#define NCPUS 4
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define PROP   (RAM_BASE + 0x10000)       /* configuration table, 64 KiB aligned */
#define PEND0  (RAM_BASE + 0x20000)       /* pending tables, 64 KiB aligned, one per CPU */
#define DEVT   (RAM_BASE + 0x60000)
#define COLLT  (RAM_BASE + 0x61000)
#define CMDQ   (RAM_BASE + 0x62000)
#define ITT    (RAM_BASE + 0x63000)
#define L2PAGE (RAM_BASE + 0x64000)

static struct vgic vg;
static struct gicv3 *g = &vg.dist;
static struct its its;
static uint8_t ram[RAM_SIZE];
static unsigned kicks[GIC_MAX_CPUS], qslot;

static cycles_t fake_now(void *ctx) { return 0; }
static void fake_kick(void *ctx, unsigned cpu) { kicks[cpu]++; }
static bool fake_mem(void *ctx, uint64_t a, void *buf, unsigned len, bool write)
{
	if (a < RAM_BASE || a - RAM_BASE > RAM_SIZE - len)
		return false;
	memcpy(write ? ram + (a - RAM_BASE) : buf, write ? buf : ram + (a - RAM_BASE), len);
	return true;
}

static uint64_t its_rd(uint32_t off, unsigned size) { return its_ctrl_ops.read(&its, off, size); }
static void its_wr(uint32_t off, unsigned size, uint64_t v) { its_ctrl_ops.write(&its, off, size, v); }
static void r_wr(unsigned cpu, uint32_t off, uint64_t v) { gicv3_redist_ops.write(g, (uint64_t)cpu * 0x20000 + off, 8, v); }
static uint64_t r_rd(unsigned cpu, uint32_t off) { return gicv3_redist_ops.read(g, (uint64_t)cpu * 0x20000 + off, 8); }
static uint64_t errs(enum its_error e) { return *its.st_errors[e]; }
static uint8_t *at(uint64_t pa) { return ram + (pa - RAM_BASE); }

static void setup_bare(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, gic_cfg_keys, gic_cfg_nkeys), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, its_cfg_keys, its_cfg_nkeys), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "t.ini", "[gic]\nlist_registers = 4\nspis = 32\nich_hcr_el2 = 0\n"
				"lr_inject_cycles = 100\nversion = 3\nirqfd_cycles = 0\nsgi_queue_cycles = 200\nkick_cycles = 0\n"
				"ipi_latency_cycles = 0\ntimer_irq_cycles = 0\n[its]\ncmd_cycles = 400\ntranslate_hit_cycles = 150\n"
				"translate_miss_cycles = 700\ntable_read_cycles = 250\ncache_entries_per_vcpu = 1\n"), 0);
	uint64_t mpidr[NCPUS] = { 0, 1, 2, 3 };
	CU_ASSERT_EQUAL_FATAL(vgic_init(&vg, c, NCPUS, mpidr), 0);
	CU_ASSERT_EQUAL_FATAL(its_init(&its, g, c), 0);
	cfg_free(c);
	g->now = fake_now;
	g->kick = fake_kick;
	g->mem = fake_mem;
	memset(ram, 0, sizeof ram);
	memset(kicks, 0, sizeof kicks);
	qslot = 0;
}

/* LPIs on, 14 INTID bits (8192 LPIs... IDbits = 13), flat tables of one 4K
 * page, a one-page command queue, the ITS enabled, Distributor Group 1 on. */
static void setup(void)
{
	setup_bare();
	gicv3_dist_ops.write(g, 0, 4, 2);                       /* GICD_CTLR.EnableGrp1 */
	for (unsigned c = 0; c < NCPUS; c++) {
		r_wr(c, 0x70, PROP | 13);                       /* PROPBASER, IDbits = 13: INTIDs < 16384 */
		r_wr(c, 0x78, PEND0 + c * 0x10000);
		gicv3_redist_ops.write(g, (uint64_t)c * 0x20000, 4, 1);
	}
	its_wr(0x100, 8, (1ull << 63) | DEVT);                  /* BASER0: Valid, 4K, Size 0 (512 devices) */
	its_wr(0x108, 8, (1ull << 63) | COLLT);
	its_wr(0x80, 8, (1ull << 63) | CMDQ);                   /* CBASER: Valid, one page (128 commands) */
	its_wr(0x0, 4, 1);
	memset(kicks, 0, sizeof kicks);
}

static void put(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	uint64_t dw[4] = { htole64(d0), htole64(d1), htole64(d2), htole64(d3) };
	memcpy(at(CMDQ + (qslot % 128) * 32), dw, 32);
	qslot++;
}
static void go(void) { its_wr(0x88, 8, (uint64_t)(qslot % 128) * 32); }
static void mapd(uint32_t dev, unsigned size, uint64_t itt, bool v) { put(0x08 | (uint64_t)dev << 32, size, itt | (uint64_t)v << 63, 0); }
static void mapc(unsigned icid, unsigned cpu, bool v) { put(0x09, 0, icid | (uint64_t)cpu << 16 | (uint64_t)v << 63, 0); }
static void mapti(uint32_t dev, uint32_t ev, uint32_t intid, unsigned icid) { put(0x0a | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0); }
static void evcmd(unsigned nr, uint32_t dev, uint32_t ev, unsigned icid) { put(nr | (uint64_t)dev << 32, ev, icid, 0); }

/* Device 1 (16 events), collection 2 on CPU 1, event 5 -> LPI 8200 with
 * priority 0xa0, enabled. */
static void map_one(void)
{
	*at(PROP + 8) = 0xa0 | 1;
	mapd(1, 3, ITT, true);
	mapc(2, 1, true);
	mapti(1, 5, 8200, 2);
	go();
}

/* ---------------------------------------------------------------- */
static void test_registers(void)
{
	setup_bare();
	/* Physical, ITT_entry_size 8 (7 << 4), ID_bits 16 (15 << 8), Devbits 16
	 * (15 << 13), CIDbits 8 (7 << 32), CIL (1 << 36); PTA, HCC, Virtual 0 */
	CU_ASSERT_EQUAL(its_rd(0x8, 8), 0x170001ef71ull);
	CU_ASSERT_EQUAL(its_rd(0x8, 4), 0x0001ef71u);
	CU_ASSERT_EQUAL(its_rd(0xc, 4), 0x17u);
	CU_ASSERT_EQUAL(its_rd(0x4, 4), 0x4b00143bu);                  /* GITS_IIDR: KVM */
	CU_ASSERT_EQUAL(its_rd(0x0, 4), 0x80000000u);                  /* Quiescent, disabled */
	CU_ASSERT_EQUAL(its_rd(0x100, 8), 0x0107000000000000ull);      /* Type Device, Entry_Size 8 */
	CU_ASSERT_EQUAL(its_rd(0x108, 8), 0x0407000000000000ull);      /* Type Collection */
	CU_ASSERT_EQUAL(its_rd(0x110, 8), 0);
	its_wr(0x100, 8, ~0ull);                                        /* Type and Entry_Size read-only */
	CU_ASSERT_EQUAL(its_rd(0x100, 8) >> 48 & 0x71f, 0x107);
	CU_ASSERT_EQUAL(its_rd(0xffe8, 4), 0x3b);
	/* GICD_TYPER.LPIS and IDbits; GICR_TYPER.PLPIS */
	CU_ASSERT_EQUAL(gicv3_dist_ops.read(g, 4, 4) >> 17 & 0x7f, 1 | (15 << 2));
	CU_ASSERT_EQUAL(r_rd(0, 8) & 0x9, 1);
	CU_ASSERT_EQUAL(errs(ITS_E_REGISTER), 1);                       /* Page_Size 3 is reserved */
	its_rd(0x2, 2);                                                 /* bad width */
	its_rd(0x4000, 4);                                              /* reserved */
	CU_ASSERT_EQUAL(errs(ITS_E_REGISTER), 3);
	/* CBASER and BASER writes while enabled are ignored */
	its_wr(0x0, 4, 1);
	its_wr(0x80, 8, (1ull << 63) | CMDQ);
	CU_ASSERT_EQUAL(its_rd(0x80, 8), 0);
	CU_ASSERT_EQUAL(errs(ITS_E_REGISTER), 4);
	CU_ASSERT_EQUAL(its_rd(0x0, 4), 1);                             /* Enabled, not quiescent */
}

static void test_map_translate_deliver(void)
{
	setup();
	map_one();
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 3 * 32);                       /* CREADR after three commands */
	CU_ASSERT_EQUAL(*its.st_cmds[ITS_MAPD], 1);
	CU_ASSERT_EQUAL(*its.st_cmds[ITS_MAPTI], 1);
	for (unsigned e = 0; e < ITS_NERRORS; e++)
		CU_ASSERT_EQUAL(errs(e), 0);
	/* 3 commands, and table accesses: 3 reads of the queue, DTE, ITT
	 * (2 probes), CTE, the LPI's configuration byte and pending byte */
	CU_ASSERT_EQUAL(its_take_cycles(&its), 3 * 400 + 9 * 250);
	struct gic_irq *l = gicv3_lpi(g, 8200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->priority, 0xa0);
	CU_ASSERT_TRUE(l->enabled);
	CU_ASSERT_EQUAL(l->lpi_cpu, 1);
	CU_ASSERT_TRUE(its_translate(&its, 1, 5));
	CU_ASSERT_EQUAL(its_take_cycles(&its), 700);                    /* miss, then hits */
	CU_ASSERT_EQUAL(kicks[1], 1);
	CU_ASSERT_EQUAL(kicks[0], 0);
	/* Into a list register of CPU 1, acknowledged with INTID 8200, EOI'd */
	vg.need_flush[1] = true;
	CU_ASSERT_EQUAL(vgic_flush(&vg, 1, 10), 100);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[1].lr[0]), 8200);
	vg.cpu[1].vmcr = FIELD_DP(FIELD_DP(0, ICH_VMCR, VENG1, 1), ICH_VMCR, VPMR, 0xff);
	uint64_t v;
	struct gic_cpuif_events ev;
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 1, ICC_IAR1_EL1, true, &v, 20, &ev), GIC_SYSREG_OK);
	CU_ASSERT_EQUAL(v, 8200);
	CU_ASSERT_EQUAL(gic_lr_state(vg.cpu[1].lr[0]), LR_INVALID);     /* LPIs have no active state */
	v = 8200;
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 1, ICC_EOIR1_EL1, false, &v, 30, &ev), GIC_SYSREG_OK);
	CU_ASSERT_EQUAL(*vg.st_eoi_misses, 0);                          /* no EOIcount for an LPI */
	CU_ASSERT_EQUAL(*vg.st_delivered[GIC_LPI], 1);
	CU_ASSERT_EQUAL(*vg.st_delivered[GIC_SPI], 0);
	vgic_fold(&vg, 1);
	CU_ASSERT_FALSE(gicv3_pending(l));
	CU_ASSERT_TRUE(its_translate(&its, 1, 5));
	CU_ASSERT_EQUAL(its_take_cycles(&its), 150);                    /* cache hit */
	CU_ASSERT_EQUAL(*its.st_translations, 2);
	CU_ASSERT_EQUAL(*its.st_cache_hits, 1);
}

static void test_malformed(void)
{
	setup();
	map_one();
	mapd(512, 3, ITT, true);            /* beyond a 512-entry device table */
	mapd(70000, 3, ITT, true);          /* beyond Devbits */
	mapd(2, 16, ITT, true);             /* 17 EventID bits > 16 */
	mapd(3, 3, RAM_BASE + RAM_SIZE, true);   /* ITT outside RAM */
	mapti(1, 6, 100, 2);                /* INTID below 8192 */
	mapti(1, 6, 70000, 2);              /* INTID beyond 16 bits */
	mapti(1, 16, 8201, 2);              /* EventID beyond the ITT's 16 */
	mapti(9, 0, 8201, 2);               /* unmapped device */
	mapti(1, 7, 8201, 300);             /* ICID beyond 8 bits */
	mapc(3, 7, true);                   /* processor 7 of 4 */
	evcmd(0x03, 1, 9, 0);               /* INT of an unmapped event */
	evcmd(0x04, 9, 0, 0);               /* CLEAR, unmapped device */
	evcmd(0x01, 1, 5, 5);               /* MOVI to an unmapped collection */
	evcmd(0x0d, 0, 0, 5);               /* INVALL, unmapped collection */
	put(0x0e, 0, 1 << 16, 9ull << 16);  /* MOVALL to processor 9 */
	put(0x29, 0, 0, 0);                 /* VMAPP: GICv4, Virtual = 0 */
	put(0x77, 0, 0, 0);                 /* no such command */
	go();
	CU_ASSERT_EQUAL(its_rd(0x90, 8), (uint64_t)qslot * 32);   /* every command consumed, none stalls */
	CU_ASSERT_EQUAL(its_rd(0x90, 8) & 1, 0);
	CU_ASSERT_EQUAL(errs(ITS_E_DEVICE_OOR), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_ITTSIZE_OOR), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_PHYSICALID_OOR), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_ID_OOR), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_DEVICE), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_COLLECTION_OOR), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_PROCNUM_OOR), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_INTERRUPT), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_COLLECTION), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_UNSUPPORTED), 2);
	CU_ASSERT_PTR_NULL(gicv3_lpi(g, 8201));
	/* Untranslatable MSIs */
	CU_ASSERT_FALSE(its_translate(&its, 1, 6));
	CU_ASSERT_FALSE(its_translate(&its, 2, 0));
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_INTERRUPT), 2);
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_DEVICE), 3);
	CU_ASSERT_EQUAL(*its.st_translations, 0);
}

static void test_queue(void)
{
	setup();
	for (unsigned i = 0; i < 127; i++)
		put(0x05, 0, 0, 0);             /* SYNC to processor 0 */
	go();
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 127 * 32);
	for (unsigned i = 0; i < 3; i++)    /* slots 127, 0, 1: wraps */
		put(0x05, 0, 0, 0);
	go();
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 2 * 32);
	CU_ASSERT_EQUAL(*its.st_cmds[ITS_SYNC], 130);
	its_wr(0x88, 8, 4096);              /* CWRITER at the queue's size */
	CU_ASSERT_EQUAL(errs(ITS_E_CWRITER_OOR), 1);
	CU_ASSERT_EQUAL(its_rd(0x88, 8), 2 * 32);
	CU_ASSERT_EQUAL(*its.st_cmds[ITS_SYNC], 130);
	/* Disabled: commands wait; enabling runs them */
	its_wr(0x0, 4, 0);
	put(0x05, 0, 0, 0);
	go();
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 2 * 32);
	CU_ASSERT_FALSE(its_translate(&its, 0, 0));
	CU_ASSERT_EQUAL(errs(ITS_E_DISABLED), 1);
	its_wr(0x0, 4, 1);
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 3 * 32);
	/* A queue outside RAM stalls; Retry tries again */
	its_wr(0x0, 4, 0);
	its_wr(0x80, 8, (1ull << 63) | (RAM_BASE + RAM_SIZE));
	its_wr(0x0, 4, 1);
	its_wr(0x88, 8, 32);
	CU_ASSERT_EQUAL(its_rd(0x90, 8), 1);                 /* Stalled, offset 0 */
	CU_ASSERT_EQUAL(errs(ITS_E_QUEUE_OUTSIDE_RAM), 1);
	its_wr(0x88, 8, 32 | 1);                             /* Retry */
	CU_ASSERT_EQUAL(errs(ITS_E_QUEUE_OUTSIDE_RAM), 2);
	its_wr(0x88, 8, 32);                                 /* no Retry: stays stalled */
	CU_ASSERT_EQUAL(errs(ITS_E_QUEUE_OUTSIDE_RAM), 2);
}

static void test_tables_outside_ram(void)
{
	setup();
	its_wr(0x0, 4, 0);
	its_wr(0x100, 8, (1ull << 63) | (RAM_BASE + RAM_SIZE - 0x1000));   /* last page of RAM */
	its_wr(0x108, 8, 0);                                              /* collection table not valid */
	its_wr(0x0, 4, 1);
	mapd(100, 3, ITT, true);            /* entry in RAM */
	mapd(511, 3, ITT, true);
	mapc(0, 0, true);                   /* no collection table */
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 0);
	CU_ASSERT_EQUAL(errs(ITS_E_NO_TABLE), 1);
	its_wr(0x0, 4, 0);
	its_wr(0x100, 8, (1ull << 63) | (RAM_BASE + RAM_SIZE - 0x1000) | 1);   /* two pages, one beyond RAM */
	its_wr(0x108, 8, (1ull << 63) | COLLT);
	its_wr(0x0, 4, 1);
	qslot = 0;
	mapd(100, 3, ITT, true);            /* entry 100 in the first page */
	mapd(600, 3, ITT, true);            /* entry 600 in the second: beyond RAM */
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 1);
	/* LPI configuration table beyond RAM: the LPI stays disabled, counted */
	gicv3_redist_ops.write(g, 0x20000, 4, 0);
	r_wr(1, 0x70, (RAM_BASE + RAM_SIZE) | 13);
	gicv3_redist_ops.write(g, 0x20000, 4, 1);
	mapc(2, 1, true);
	mapti(100, 1, 8300, 2);
	go();
	CU_ASSERT_EQUAL(*g->table_errors, 1);
	CU_ASSERT_FALSE(gicv3_lpi(g, 8300)->enabled);
	/* and an INTID beyond PROPBASER.IDbits */
	r_wr(0, 0x70, PROP | 13);
	mapc(3, 0, true);
	mapti(100, 2, 20000, 3);
	go();
	CU_ASSERT_EQUAL(*g->table_errors, 2);
}

static void test_lpi_tables(void)
{
	setup();
	*at(PEND0 + 0x10000 + 8200 / 8) = 1 << (8200 % 8);   /* LPI 8200 pending in CPU 1's table */
	*at(PROP + 8) = 0x60;                               /* priority 0x60, disabled */
	mapd(1, 3, ITT, true);
	mapc(2, 1, true);
	mapti(1, 5, 8200, 2);
	go();
	struct gic_irq *l = gicv3_lpi(g, 8200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_TRUE(gicv3_pending(l));
	CU_ASSERT_FALSE(l->enabled);
	CU_ASSERT_FALSE(gicv3_deliverable(g, l));
	CU_ASSERT_EQUAL(kicks[1], 0);
	*at(PROP + 8) = 0x48 | 1;                           /* enabled; not seen until INV */
	CU_ASSERT_FALSE(gicv3_deliverable(g, l));
	evcmd(0x0c, 1, 5, 0);                               /* INV */
	go();
	CU_ASSERT_TRUE(gicv3_deliverable(g, l));
	CU_ASSERT_EQUAL(l->priority, 0x48);
	CU_ASSERT_EQUAL(kicks[1], 1);
	*at(PROP + 8) = 0x10 | 1;
	evcmd(0x0d, 0, 0, 2);                               /* INVALL of collection 2 */
	go();
	CU_ASSERT_EQUAL(l->priority, 0x10);
	/* EnableLPIs 1 -> 0 writes the pending bit back; CLEAR then 0 -> 1 */
	*at(PEND0 + 0x10000 + 8200 / 8) = 0;
	gicv3_redist_ops.write(g, 0x20000, 4, 0);
	CU_ASSERT_EQUAL(*at(PEND0 + 0x10000 + 8200 / 8), 1 << (8200 % 8));
	CU_ASSERT_FALSE(gicv3_deliverable(g, l));
	r_wr(1, 0x70, PROP | 13);                           /* allowed while disabled */
	gicv3_redist_ops.write(g, 0x20000, 4, 1);
	r_wr(1, 0x70, 0);                                   /* ignored while enabled: a guest error */
	CU_ASSERT_EQUAL(r_rd(1, 0x70), PROP | 13);
	CU_ASSERT_EQUAL(*g->guest_errors, 1);
	evcmd(0x04, 1, 5, 0);                               /* CLEAR */
	go();
	CU_ASSERT_FALSE(gicv3_pending(l));
	evcmd(0x03, 1, 5, 0);                               /* INT */
	go();
	CU_ASSERT_TRUE(gicv3_pending(l));
	/* MOVI to CPU 3 takes the pending state along; MOVALL back to CPU 0 */
	mapc(4, 3, true);
	evcmd(0x01, 1, 5, 4);
	go();
	CU_ASSERT_EQUAL(l->lpi_cpu, 3);
	CU_ASSERT_TRUE(gicv3_deliverable(g, l));
	put(0x0e, 0, 3ull << 16, 0);
	go();
	CU_ASSERT_EQUAL(l->lpi_cpu, 0);
	CU_ASSERT_TRUE(gicv3_pending(l));
	/* DISCARD removes the mapping and the LPI */
	evcmd(0x0f, 1, 5, 0);
	go();
	CU_ASSERT_PTR_NULL(gicv3_lpi(g, 8200));
	CU_ASSERT_FALSE(its_translate(&its, 1, 5));
	/* MAPD V = 0 drops the device */
	mapti(1, 6, 8201, 2);
	mapd(1, 0, 0, false);
	go();
	CU_ASSERT_PTR_NULL(gicv3_lpi(g, 8201));
	CU_ASSERT_FALSE(its_translate(&its, 1, 6));
	CU_ASSERT_EQUAL(errs(ITS_E_UNMAPPED_DEVICE), 1);
}

static void test_two_level(void)
{
	setup();
	its_wr(0x0, 4, 0);
	/* Indirect, 4K pages, one level-1 page: 512 entries x 512 devices */
	its_wr(0x100, 8, (1ull << 63) | (1ull << 62) | DEVT);
	its_wr(0x0, 4, 1);
	mapd(1000, 3, ITT, true);                          /* level-1 entry 1 not valid */
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_DEVICE_OOR), 1);
	uint64_t l1 = htole64((1ull << 63) | L2PAGE);
	memcpy(at(DEVT + 8), &l1, 8);
	mapd(1000, 3, ITT, true);
	mapc(0, 2, true);
	mapti(1000, 1, 9000, 0);
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_DEVICE_OOR), 1);
	CU_ASSERT_TRUE(its_translate(&its, 1000, 1));
	CU_ASSERT_EQUAL(gicv3_lpi(g, 9000)->lpi_cpu, 2);
	l1 = htole64((1ull << 63) | (RAM_BASE + RAM_SIZE));   /* level-2 page beyond RAM */
	memcpy(at(DEVT + 16), &l1, 8);
	mapd(1100, 3, ITT, true);
	mapd(512 * 512, 3, ITT, true);                     /* beyond the level-1 table */
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 1);
	CU_ASSERT_EQUAL(errs(ITS_E_DEVICE_OOR), 2);
	/* 64K pages: bits 15:12 of the address field are PA[51:48] (beyond RAM) */
	its_wr(0x0, 4, 0);
	its_wr(0x100, 8, (1ull << 63) | (2ull << 8) | DEVT | 0x1000);
	its_wr(0x0, 4, 1);
	mapd(5, 3, ITT, true);
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_TABLE_OUTSIDE_RAM), 2);
}

static void test_resources(void)
{
	setup();
	mapd(1, 15, ITT, true);
	mapc(0, 0, true);
	go();
	for (unsigned i = 0; i < GIC_MAX_LPIS + 1; i++) {
		mapti(1, i, 8192 + i, 0);
		if (qslot % 64 == 0)
			go();
	}
	go();
	CU_ASSERT_EQUAL(errs(ITS_E_RESOURCES), 1);
	CU_ASSERT_PTR_NULL(gicv3_lpi(g, 8192 + GIC_MAX_LPIS));
	CU_ASSERT_PTR_NOT_NULL(gicv3_lpi(g, 8192 + GIC_MAX_LPIS - 1));
}

static CU_TestInfo tests[] = {
	{ "ITS registers", test_registers },
	{ "map, translate, deliver an LPI", test_map_translate_deliver },
	{ "malformed commands", test_malformed },
	{ "command queue: wrap, CWRITER, disabled, stall", test_queue },
	{ "tables outside RAM", test_tables_outside_ram },
	{ "LPI configuration and pending tables", test_lpi_tables },
	{ "two-level device table", test_two_level },
	{ "out of resources", test_resources },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("its", tests); }
