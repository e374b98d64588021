/* The pc machine's device path (platform/pc_iommu.c) through a real
 * pc_create: the windows at their addresses, the guest-visible unit's
 * capabilities (CAP.PI = 0, as QEMU's vIOMMU), KVM's choice between a
 * posted and a remapped host IRTE (kvm_intr_is_single_vcpu,
 * kvm_irq_is_postable), the host IEC, and a guest remapping fault recorded
 * in the guest-visible registers. */
#include <string.h>

#include "core/cfg.h"
#include "core/stats.h"
#include "iommu/vtd_regs.h"
#include "platform/designs.h"
#include "platform/pc.h"
#include "tests/unit/unit.h"

static struct pc p;
static struct cfg *c;
static struct stats *st;
static struct sim_cpu cpu0, cpu1, *cpus[2] = { &cpu0, &cpu1 };
static struct sim sim = { .cpus = cpus, .ncpus = 2 };

/* posting: the design's POSTED_INTR pin-based control (bit 7) with APICv,
 * as designs/x86-apicv-pi.ini; else x86-legacy.ini's controls */
static void create(bool posting, const char *extra)
{
	struct elf_image img = { 0 };
	c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_declare(c, ISA_X86_64), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "default-x86.ini", hvsim_default_design_x86), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.vcpus=2"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.ram_mb=16"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, posting ? "vmx.pin_ctls=0xa9" : "vmx.pin_ctls=0x29"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, posting ? "vmx.procbased_ctls2=0x21037eb" : "vmx.procbased_ctls2=0x21034ea"), 0);
	if (extra)
		CU_ASSERT_EQUAL_FATAL(cfg_set(c, extra), 0);
	st = stats_new();
	CU_ASSERT_EQUAL_FATAL(pc_create(&p, c, st, &img), 0);
	evq_init(&sim.events);
	p.m.sim = &sim;
	cpu0.state = SIM_CPU_RUNNING;
}

static void destroy(void)
{
	pc_destroy(&p);
	evq_free(&sim.events);
	memset(&sim.events, 0, sizeof sim.events);
	stats_free(st);
	cfg_free(c);
}

static uint64_t stat(const char *path) { return *stats_counter(st, path, NULL); }

static void test_windows(void)
{
	create(false, NULL);
	const struct dev_window *d = machine_find_mmio(&p.m, 0xfe000000u), *v = machine_find_mmio(&p.m, 0xfed90000u);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(d->ops->read(d->dev, 0x000, 4), 0x4449534du);   /* "MSID" */
	CU_ASSERT_EQUAL(d->ops->read(d->dev, 0x100 + 0x14, 4), 0x10);   /* queue 0's requester ID */
	CU_ASSERT_EQUAL(v->ops->read(v->dev, 0x000, 4), 0x10);          /* VER_REG 1.0 */
	uint64_t cap = v->ops->read(v->dev, CAP_REG, 8), ecap = v->ops->read(v->dev, ECAP_REG, 8);
	CU_ASSERT_EQUAL(FIELD_EX(cap, CAP_REG, PI), 0);
	CU_ASSERT_EQUAL(FIELD_EX(cap, CAP_REG, NFR), 0);                 /* one FRCD, as QEMU */
	CU_ASSERT_EQUAL(FIELD_EX(cap, CAP_REG, MGAW), 38);               /* aw-bits 39 */
	CU_ASSERT_EQUAL(FIELD_EX(ecap, ECAP_REG, IR), 1);
	CU_ASSERT_EQUAL(FIELD_EX(ecap, ECAP_REG, EIM), 1);
	destroy();
	create(false, "iommu.present=false");
	CU_ASSERT_PTR_NULL(machine_find_mmio(&p.m, 0xfed90000u));
	CU_ASSERT_PTR_NOT_NULL(machine_find_mmio(&p.m, 0xfe000000u));
	destroy();
}

/* Legacy: a compatibility MSI goes through one remapped host IRTE (written
 * once, then an IEC hit) to the host handler. */
static void test_host_remapped(void)
{
	create(false, NULL);
	CU_ASSERT_FALSE(pc_irq_posting(&p));
	pc_msi_write(&p, 0xfee00000u, 0x45, 0x10, 100);
	pc_msi_write(&p, 0xfee00000u, 0x45, 0x10, 200);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.host_irq"), 2);
	CU_ASSERT_EQUAL(stat("iommu.guest.compat"), 2);
	CU_ASSERT_EQUAL(stat("iommu.host.remapped"), 2);
	CU_ASSERT_EQUAL(stat("iommu.host.iec_misses"), 1);
	CU_ASSERT_EQUAL(stat("iommu.host.iec_hits"), 1);
	CU_ASSERT_EQUAL(stat("iommu.host.irte_writes"), 1);
	CU_ASSERT_EQUAL(stat("iommu.host.posted"), 0);
	destroy();
}

/* Posting: fixed or lowest priority to one vCPU is posted; logical
 * destinations, a destination no vCPU has and NMI are remapped. */
static void test_posted_choice(void)
{
	create(true, NULL);
	CU_ASSERT_TRUE_FATAL(pc_irq_posting(&p));
	pc_msi_write(&p, 0xfee01000u, 0x46, 0x10, 100);            /* APIC ID 1, fixed */
	CU_ASSERT_EQUAL(stat("iommu.host.posted"), 1);
	pc_msi_write(&p, 0xfee00000u, 0x100 | 0x47, 0x10, 200);    /* lowest priority */
	CU_ASSERT_EQUAL(stat("iommu.host.posted"), 2);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.posted"), 2);
	CU_ASSERT_EQUAL(stat("iommu.host.irte_writes"), 2);         /* the IRTE holds the vector and descriptor */
	pc_msi_write(&p, 0xfee00004u, 0x48, 0x10, 300);            /* logical */
	pc_msi_write(&p, 0xfee05000u, 0x49, 0x10, 400);            /* APIC ID 5: no such vCPU */
	pc_msi_write(&p, 0xfee00000u, 0x400 | 0x02, 0x10, 500);    /* NMI */
	CU_ASSERT_EQUAL(stat("iommu.host.posted"), 2);
	CU_ASSERT_EQUAL(stat("iommu.host.remapped"), 3);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.host_irq"), 3);
	destroy();
	create(true, "iommu.ir=false");                              /* no host remapping: never posted */
	pc_msi_write(&p, 0xfee01000u, 0x46, 0x10, 100);
	CU_ASSERT_EQUAL(stat("iommu.host.posted"), 0);
	CU_ASSERT_EQUAL(stat("iommu.host.compat"), 1);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.host_irq"), 1);
	destroy();
}

/* The guest enables remapping with an all-zero table: a remappable MSI
 * finds IRTE 2 not present (0x22), recorded in FRCD 0 with the requester
 * ID and index; a compatibility one is blocked (0x25); nothing is
 * delivered; an address outside 0xFEEx_xxxx is a guest error. */
static void test_guest_faults(void)
{
	create(false, NULL);
	const struct dev_window *v = machine_find_mmio(&p.m, 0xfed90000u);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	v->ops->write(v->dev, IRTA_REG, 8, 0x100000 | 3);           /* 16 zeroed entries in RAM */
	v->ops->write(v->dev, GCMD_REG, 4, 1u << 24);               /* SIRTP */
	v->ops->write(v->dev, GCMD_REG, 4, 1u << 25);               /* IRE */
	CU_ASSERT_EQUAL(v->ops->read(v->dev, GSTS_REG, 4) & (3u << 24), 3u << 24);
	pc_msi_write(&p, 0xfee00000u | 2u << 5 | 1u << 4, 0, 0x10, 100);
	uint64_t fro = FIELD_EX(v->ops->read(v->dev, CAP_REG, 8), CAP_REG, FRO) * 16;
	uint64_t hi = v->ops->read(v->dev, fro + 8, 8), lo = v->ops->read(v->dev, fro, 8);
	CU_ASSERT_EQUAL(FIELD_EX(hi, FRCD_HI, F), 1);
	CU_ASSERT_EQUAL(FIELD_EX(hi, FRCD_HI, FR), 0x22);
	CU_ASSERT_EQUAL(FIELD_EX(hi, FRCD_HI, SID), 0x10);
	CU_ASSERT_EQUAL(FIELD_EX(lo, FRCD_LO, IIDX), 2);
	CU_ASSERT_EQUAL(stat("iommu.guest.faults.not_present"), 1);
	pc_msi_write(&p, 0xfee00000u, 0x45, 0x10, 200);
	CU_ASSERT_EQUAL(stat("iommu.guest.faults.compat"), 1);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.blocked"), 2);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.host_irq"), 0);
	pc_msi_write(&p, 0x1000, 0x45, 0x10, 300);
	CU_ASSERT_EQUAL(stat("msidev.interrupts.dropped"), 1);
	CU_ASSERT_EQUAL(stat("msidev.guest_errors"), 1);
	destroy();
}

static CU_TestInfo tests[] = {
	{ "windows", test_windows },
	{ "host remapped", test_host_remapped },
	{ "posted or remapped", test_posted_choice },
	{ "guest faults", test_guest_faults },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("pc_iommu", tests); }
