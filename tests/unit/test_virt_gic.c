/* The ARM machine's GIC and timer as a guest finds them: the devicetree
 * nodes QEMU virt writes (hw/arm/virt.c create_gic, fdt_add_timer_nodes)
 * and the device windows at QEMU virt's addresses. */
#include <libfdt.h>
#include <string.h>

#include "core/err.h"
#include "platform/designs.h"
#include "platform/virt.h"
#include "tests/unit/unit.h"

static struct virt vm;
static struct stats *st;
static struct cfg *cfg;

static int make_machine(const char *set)
{
	static const uint8_t code[4] = { 0x1f, 0x20, 0x03, 0xd5 };   /* nop */
	static struct elf_segment seg = { 0x40080000, 4, 4, code, 5 };
	static struct elf_image img = { .machine = 183, .entry = 0x40080000, .segs = &seg, .nsegs = 1 };
	cfg = cfg_new();
	st = stats_new();
	if (design_declare(cfg, ISA_A64) < 0 || cfg_load_string(cfg, "default-arm64.ini", hvsim_default_design_arm64) < 0 || (set && cfg_set(cfg, set) < 0))
		return -1;
	return virt_create(&vm, cfg, st, &img);
}

static void done(void)
{
	virt_destroy(&vm);
	stats_free(st);
	cfg_free(cfg);
}

static const fdt32_t *prop(const void *fdt, int node, const char *name, int *len)
{
	const fdt32_t *p = fdt_getprop(fdt, node, name, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static void test_gic_node(void)
{
	CU_ASSERT_EQUAL_FATAL(make_machine("sim.vcpus=3"), 0);
	const void *fdt = vm.dtb;
	int len, gic = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
	CU_ASSERT_TRUE_FATAL(gic >= 0);
	CU_ASSERT_STRING_EQUAL(fdt_get_name(fdt, gic, NULL), "intc@8000000");
	CU_ASSERT_EQUAL(fdt32_to_cpu(*prop(fdt, gic, "#interrupt-cells", &len)), 3);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, gic, "interrupt-controller", &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(fdt32_to_cpu(*prop(fdt, gic, "#redistributor-regions", &len)), 1);
	const fdt64_t *reg = (const fdt64_t *)prop(fdt, gic, "reg", &len);
	CU_ASSERT_EQUAL_FATAL(len, 32);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[0]), 0x08000000);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[1]), 0x10000);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[2]), 0x080a0000);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[3]), 0xf60000);        /* QEMU virt's VIRT_GIC_REDIST size */
	uint32_t phandle = fdt_get_phandle(fdt, gic);
	CU_ASSERT_TRUE(phandle != 0);
	CU_ASSERT_EQUAL(fdt32_to_cpu(*prop(fdt, 0, "interrupt-parent", &len)), phandle);
	done();
}

static void test_timer_node(void)
{
	CU_ASSERT_EQUAL_FATAL(make_machine(NULL), 0);
	const void *fdt = vm.dtb;
	int len, t = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
	CU_ASSERT_TRUE_FATAL(t >= 0);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, t, "always-on", &len));
	const fdt32_t *irq = prop(fdt, t, "interrupts", &len);
	CU_ASSERT_EQUAL_FATAL(len, 12 * 4);
	/* <PPI 13 level-high>, <PPI 14>, <PPI 11>, <PPI 10>: secure physical 29,
	 * non-secure physical 30, virtual 27, hypervisor 26 */
	static const uint32_t want[12] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	for (unsigned i = 0; i < 12; i++)
		CU_ASSERT_EQUAL(fdt32_to_cpu(irq[i]), want[i]);
	done();
}

static void test_windows(void)
{
	CU_ASSERT_EQUAL_FATAL(make_machine("sim.vcpus=3"), 0);
	const struct dev_window *d = machine_find_mmio(&vm.m, 0x08000000), *r = machine_find_mmio(&vm.m, 0x080a0000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(d->size, 0x10000);
	CU_ASSERT_EQUAL(r->size, 3 * 0x20000);                   /* 128 KiB per vCPU */
	CU_ASSERT_FALSE(d->user || r->user);                     /* in the kernel, not the VMM */
	CU_ASSERT_PTR_NULL(machine_find_mmio(&vm.m, 0x080a0000 + 3 * 0x20000));
	/* The last Redistributor says Last; vCPU 2 is Aff0 = 2; PLPIS */
	CU_ASSERT_EQUAL(r->ops->read(r->dev, 2 * 0x20000 + 8, 4), (2u << 8) | 0x10 | 1);
	CU_ASSERT_EQUAL(r->ops->read(r->dev, 2 * 0x20000 + 12, 4), 2);
	CU_ASSERT_PTR_EQUAL(vm.m.irqc, &vm.irqc);
	done();
}

/* The ITS at QEMU virt's 0x08080000: control frame in the kernel, the
 * translation frame (GITS_TRANSLATER) in the VMM; a DT child of the GIC. */
static void test_its(void)
{
	CU_ASSERT_EQUAL_FATAL(make_machine(NULL), 0);
	const struct dev_window *c = machine_find_mmio(&vm.m, 0x08080000), *t = machine_find_mmio(&vm.m, 0x08090040);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(c->size, 0x10000);
	CU_ASSERT_EQUAL(t->base, 0x08090000);
	CU_ASSERT_FALSE(c->user);
	CU_ASSERT_TRUE(t->user);
	CU_ASSERT_EQUAL(c->ops->read(c->dev, 0x8, 4) & 1, 1);    /* GITS_TYPER.Physical */
	const void *fdt = vm.dtb;
	int len, n = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
	CU_ASSERT_TRUE_FATAL(n >= 0);
	CU_ASSERT_EQUAL(fdt_parent_offset(fdt, n), fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3"));
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, n, "msi-controller", &len));
	CU_ASSERT_EQUAL(fdt32_to_cpu(*prop(fdt, n, "#msi-cells", &len)), 1);
	fdt64_t reg[2];                 /* properties are only 4-byte aligned */
	const void *p = fdt_getprop(fdt, n, "reg", &len);
	CU_ASSERT_EQUAL_FATAL(len, 16);
	memcpy(reg, p, sizeof reg);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[0]), 0x08080000);
	CU_ASSERT_EQUAL(fdt64_to_cpu(reg[1]), 0x20000);
	CU_ASSERT_STRING_EQUAL(fdt_get_name(fdt, n, NULL), "its@8080000");
	/* A device's MSI: only GITS_TRANSLATER is a doorbell; the ITS is off */
	CU_ASSERT_FALSE(virt_msi_write(&vm, 0x08090044, 1, 7));
	CU_ASSERT_EQUAL(*vm.its.st_errors[ITS_E_REGISTER], 1);
	CU_ASSERT_FALSE(virt_msi_write(&vm, 0x08090040, 1, 7));
	CU_ASSERT_EQUAL(*vm.its.st_errors[ITS_E_DISABLED], 1);
	done();
}

/* The MSI device at 0x0c000000 (the platform bus), in the VMM, with a DT
 * node whose msi-parent is the ITS with queue 0's requester ID. */
static void test_msidev(void)
{
	CU_ASSERT_EQUAL_FATAL(make_machine(NULL), 0);
	const struct dev_window *w = machine_find_mmio(&vm.m, 0x0c000000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(w->size, 0x1000);
	CU_ASSERT_TRUE(w->user);
	CU_ASSERT_EQUAL(w->ops->read(w->dev, 0, 4), 0x4449534d);          /* "MSID" */
	const void *fdt = vm.dtb;
	int len, n = fdt_node_offset_by_compatible(fdt, -1, "hvsim,msidev");
	CU_ASSERT_TRUE_FATAL(n >= 0);
	CU_ASSERT_STRING_EQUAL(fdt_get_name(fdt, n, NULL), "msidev@c000000");
	const fdt32_t *mp = prop(fdt, n, "msi-parent", &len);
	CU_ASSERT_EQUAL_FATAL(len, 8);
	int its_node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
	CU_ASSERT_EQUAL(fdt32_to_cpu(mp[0]), fdt_get_phandle(fdt, its_node));
	CU_ASSERT_EQUAL(fdt32_to_cpu(mp[1]), 0x10);                       /* [msidev] requester_id */
	done();
}

static void test_bad_gic_design(void)
{
	CU_ASSERT_EQUAL(make_machine("gic.spis=100"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "gic.spis"));
	virt_destroy(&vm);
	stats_free(st);
	cfg_free(cfg);
}

static CU_TestInfo tests[] = {
	{ "arm,gic-v3 node", test_gic_node },
	{ "arm,armv8-timer node", test_timer_node },
	{ "GICD and GICR windows", test_windows },
	{ "ITS windows and node", test_its },
	{ "MSI device window and node", test_msidev },
	{ "bad GIC design", test_bad_gic_design },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("virt_gic", tests); }
