/* ARM "virt" machine.  See virt.h. */
#include "platform/virt.h"
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "platform/hvsim-abi.h"

/* Defaults and their sources: designs/default-arm64.ini */
const struct cfg_key virt_cfg_keys[] = {
	{ "virt", "cntfrq_hz", CFG_U64, 1000, 4e9, NULL, "generic timer frequency (CNTFRQ_EL0)" },
	{ "virt", "cpu_on_cycles", CFG_U64, 0, 1e9, NULL,
	  "PSCI CPU_ON: time from the call until the target vCPU runs (vCPU thread wake-up)" },
	{ "virt", "wakeup_cycles", CFG_U64, 0, 1e9, NULL,
	  "a vCPU blocked in the hypervisor (trapped WFI, PSCI suspend) woken by an interrupt or its timer, until it runs" },
	{ "virt", "dtb_seed", CFG_U64, 0, 1.8e19, NULL,
	  "seed of /chosen kaslr-seed and rng-seed in the generated devicetree; 0 = none (QEMU dtb-randomness=off)" },
};
const unsigned virt_cfg_nkeys = sizeof virt_cfg_keys / sizeof virt_cfg_keys[0];

#define DTB_MAX (64 * 1024)
#define APB_PCLK_PHANDLE 1
#define GIC_PHANDLE 2
#define ITS_PHANDLE 3
/* devicetree interrupt specifiers (Linux dt-bindings/interrupt-controller) */
#define FDT_GIC_SPI 0
#define FDT_GIC_PPI 1
/* QEMU virt's a15irqmap[VIRT_UART] */
#define HVSIM_VIRT_UART_SPI 1
#define FDT_IRQ_LEVEL_HIGH 4

void virt_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size)
{
	*base = HVSIM_VIRT_RAM_BASE;
	*size = cfg_u64(c, "sim", "ram_mb") << 20;
}

static void console_putc(void *ctx, uint8_t ch)
{
	fputc(ch, ((struct machine *)ctx)->console);
}

/* The ITS as a child of the GIC node, as QEMU virt's create_its writes it. */
static int dtb_its(void *fdt)
{
	int e = 0;
	char name[64];
	snprintf(name, sizeof name, "its@%llx", (unsigned long long)HVSIM_VIRT_ITS_BASE);
	e |= fdt_begin_node(fdt, name);
	e |= fdt_property_string(fdt, "compatible", "arm,gic-v3-its");
	e |= fdt_property(fdt, "msi-controller", NULL, 0);
	e |= fdt_property_u32(fdt, "#msi-cells", 1);
	fdt64_t reg[2] = { cpu_to_fdt64(HVSIM_VIRT_ITS_BASE), cpu_to_fdt64(HVSIM_VIRT_ITS_SIZE) };
	e |= fdt_property(fdt, "reg", reg, sizeof reg);
	e |= fdt_property_u32(fdt, "phandle", ITS_PHANDLE);
	return e | fdt_end_node(fdt);
}

/* The MSI device on the platform bus: its MSIs go to the ITS with the
 * requester ID of queue 0 as DeviceID (msi-parent = <&its DeviceID>, the
 * generic MSI binding). */
static int dtb_msidev(void *fdt, const struct virt *v)
{
	int e = 0;
	char name[64];
	snprintf(name, sizeof name, "msidev@%llx", (unsigned long long)HVSIM_VIRT_MSIDEV_BASE);
	e |= fdt_begin_node(fdt, name);
	e |= fdt_property_string(fdt, "compatible", "hvsim,msidev");
	fdt64_t reg[2] = { cpu_to_fdt64(HVSIM_VIRT_MSIDEV_BASE), cpu_to_fdt64(MSIDEV_WINDOW) };
	e |= fdt_property(fdt, "reg", reg, sizeof reg);
	fdt32_t parent[2] = { cpu_to_fdt32(ITS_PHANDLE), cpu_to_fdt32(v->msidev.cfg.requester_id) };
	e |= fdt_property(fdt, "msi-parent", parent, sizeof parent);
	return e | fdt_end_node(fdt);
}

/* The GIC and timer nodes as QEMU virt writes them (hw/arm/virt.c
 * create_gic, fdt_add_timer_nodes): timer PPIs relative to 16, level-high,
 * in the order secure physical, non-secure physical, virtual, hypervisor. */
static int dtb_gic_timer(void *fdt)
{
	int e = 0;
	char name[64];
	snprintf(name, sizeof name, "intc@%llx", (unsigned long long)HVSIM_VIRT_GICD_BASE);
	e |= fdt_begin_node(fdt, name);
	e |= fdt_property_u32(fdt, "#interrupt-cells", 3);
	e |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	e |= fdt_property_u32(fdt, "#address-cells", 2);
	e |= fdt_property_u32(fdt, "#size-cells", 2);
	e |= fdt_property(fdt, "ranges", NULL, 0);
	e |= fdt_property_string(fdt, "compatible", "arm,gic-v3");
	e |= fdt_property_u32(fdt, "#redistributor-regions", 1);
	fdt64_t reg[4] = { cpu_to_fdt64(HVSIM_VIRT_GICD_BASE), cpu_to_fdt64(HVSIM_VIRT_GICD_SIZE),
			   cpu_to_fdt64(HVSIM_VIRT_GICR_BASE), cpu_to_fdt64(HVSIM_VIRT_GICR_REGION) };
	e |= fdt_property(fdt, "reg", reg, sizeof reg);
	e |= fdt_property_u32(fdt, "phandle", GIC_PHANDLE);
	e |= dtb_its(fdt);
	e |= fdt_end_node(fdt);

	e |= fdt_begin_node(fdt, "timer");
	static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";
	e |= fdt_property(fdt, "compatible", compat, sizeof compat);
	e |= fdt_property(fdt, "always-on", NULL, 0);
	static const unsigned ppi[4] = { HVSIM_VIRT_PPI_SEC_TIMER, HVSIM_VIRT_PPI_PHYS_TIMER,
					 HVSIM_VIRT_PPI_VIRT_TIMER, HVSIM_VIRT_PPI_HYP_TIMER };
	fdt32_t irqs[12];
	for (unsigned i = 0; i < 4; i++) {
		irqs[3 * i] = cpu_to_fdt32(FDT_GIC_PPI);
		irqs[3 * i + 1] = cpu_to_fdt32(ppi[i] - 16);
		irqs[3 * i + 2] = cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH);
	}
	e |= fdt_property(fdt, "interrupts", irqs, sizeof irqs);
	e |= fdt_end_node(fdt);
	return e;
}

/* One cell as QEMU writes it (qemu_fdt_setprop_cell), two above 4 GiB */
static int prop_addr(void *fdt, const char *name, uint64_t a)
{
	return a >> 32 ? fdt_property_u64(fdt, name, a) : fdt_property_u32(fdt, name, (uint32_t)a);
}

/* /chosen as QEMU writes it (hw/arm/boot.c arm_load_dtb): bootargs from
 * -append, linux,initrd-start/-end. */
static int dtb_chosen(const struct virt *v, void *fdt)
{
	int e = fdt_begin_node(fdt, "chosen");
	e |= fdt_property_string(fdt, "bootargs", v->boot && v->boot->bootargs ? v->boot->bootargs : "");
	if (v->initrd_end > v->initrd_start) {
		e |= prop_addr(fdt, "linux,initrd-start", v->initrd_start);
		e |= prop_addr(fdt, "linux,initrd-end", v->initrd_end);
	}
	return e;
}

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): the seeds' bytes */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* /chosen kaslr-seed (8 bytes: Linux's KASLR offset) and rng-seed (32:
 * credited to its random pool), as QEMU virt writes them (hw/arm/virt.c
 * create_randomness); drawn from virt.dtb_seed so that runs repeat. */
static int dtb_seeds(const struct virt *v, void *fdt)
{
	if (!v->dtb_seed)
		return 0;
	uint64_t x = v->dtb_seed;
	fdt64_t rng[4];
	for (unsigned i = 0; i < 4; i++)
		rng[i] = cpu_to_fdt64(splitmix64(&x));
	return fdt_property_u64(fdt, "kaslr-seed", splitmix64(&x)) | fdt_property(fdt, "rng-seed", rng, sizeof rng);
}

/* PSCI as QEMU virt writes it (hw/arm/virt.c fdt_add_psci_node): the 0.2+
 * compatibles, the conduit, and the 0.1-style function IDs, which for
 * PSCI 0.2 are the standard SMC64 ones (DEN 0022D 5.1). */
static int dtb_psci(void *fdt)
{
	int e = fdt_begin_node(fdt, "psci");
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
	e |= fdt_property(fdt, "compatible", compat, sizeof compat);
	e |= fdt_property_string(fdt, "method", "hvc");
	e |= fdt_property_u32(fdt, "cpu_suspend", PSCI_0_2_FN_CPU_SUSPEND);
	e |= fdt_property_u32(fdt, "cpu_off", PSCI_0_2_FN_CPU_OFF);
	e |= fdt_property_u32(fdt, "cpu_on", PSCI_0_2_FN_CPU_ON);
	e |= fdt_property_u32(fdt, "migrate", 0xc4000005);   /* MIGRATE (DEN 0022D 5.1.11): not implemented, advertised as QEMU does */
	return e | fdt_end_node(fdt);
}

/* libfdt sequential-write calls return <0 on error; only "no space" can
 * happen with our fixed content, so one check at the end suffices. */
static int build_dtb(struct virt *v)
{
	struct machine *m = &v->m;
	void *fdt = calloc(1, DTB_MAX);
	int e = 0;
	char name[64];
	if (!fdt)
		return err_set("out of memory building the devicetree");
	e |= fdt_create(fdt, DTB_MAX);
	e |= fdt_finish_reservemap(fdt);
	e |= fdt_begin_node(fdt, "");
	e |= fdt_property_string(fdt, "compatible", "linux,dummy-virt");
	e |= fdt_property_string(fdt, "model", "hvsim virt");
	e |= fdt_property_u32(fdt, "#address-cells", 2);
	e |= fdt_property_u32(fdt, "#size-cells", 2);
	e |= fdt_property_u32(fdt, "interrupt-parent", GIC_PHANDLE);

	e |= dtb_chosen(v, fdt);
	e |= dtb_seeds(v, fdt);
	snprintf(name, sizeof name, "/pl011@%llx", (unsigned long long)HVSIM_VIRT_PL011_BASE);
	e |= fdt_property_string(fdt, "stdout-path", name);
	e |= fdt_end_node(fdt);

	snprintf(name, sizeof name, "memory@%llx", (unsigned long long)m->ram_base);
	e |= fdt_begin_node(fdt, name);
	e |= fdt_property_string(fdt, "device_type", "memory");
	fdt64_t mem[2] = { cpu_to_fdt64(m->ram_base), cpu_to_fdt64(m->ram_size) };
	e |= fdt_property(fdt, "reg", mem, sizeof mem);
	e |= fdt_end_node(fdt);

	e |= fdt_begin_node(fdt, "cpus");
	e |= fdt_property_u32(fdt, "#address-cells", 1);
	e |= fdt_property_u32(fdt, "#size-cells", 0);
	for (unsigned c = 0; c < m->ncpus; c++) {
		snprintf(name, sizeof name, "cpu@%llx", (unsigned long long)psci_mpidr(c));
		e |= fdt_begin_node(fdt, name);
		e |= fdt_property_string(fdt, "device_type", "cpu");
		e |= fdt_property_string(fdt, "compatible", "arm,cortex-a72");
		e |= fdt_property_u32(fdt, "reg", (uint32_t)psci_mpidr(c));
		e |= fdt_property_string(fdt, "enable-method", "psci");
		e |= fdt_end_node(fdt);
	}
	e |= fdt_end_node(fdt);

	e |= dtb_psci(fdt);

	e |= fdt_begin_node(fdt, "apb-pclk");
	e |= fdt_property_string(fdt, "compatible", "fixed-clock");
	e |= fdt_property_u32(fdt, "#clock-cells", 0);
	e |= fdt_property_u32(fdt, "clock-frequency", 24000000);
	e |= fdt_property_string(fdt, "clock-output-names", "clk24mhz");
	e |= fdt_property_u32(fdt, "phandle", APB_PCLK_PHANDLE);
	e |= fdt_end_node(fdt);

	e |= dtb_gic_timer(fdt);
	e |= dtb_msidev(fdt, v);

	snprintf(name, sizeof name, "pl011@%llx", (unsigned long long)HVSIM_VIRT_PL011_BASE);
	e |= fdt_begin_node(fdt, name);
	static const char uart_compat[] = "arm,pl011\0arm,primecell";
	e |= fdt_property(fdt, "compatible", uart_compat, sizeof uart_compat);
	fdt64_t reg[2] = { cpu_to_fdt64(HVSIM_VIRT_PL011_BASE), cpu_to_fdt64(HVSIM_VIRT_PL011_SIZE) };
	e |= fdt_property(fdt, "reg", reg, sizeof reg);
	fdt32_t clocks[2] = { cpu_to_fdt32(APB_PCLK_PHANDLE), cpu_to_fdt32(APB_PCLK_PHANDLE) };
	e |= fdt_property(fdt, "clocks", clocks, sizeof clocks);
	static const char clock_names[] = "uartclk\0apb_pclk";
	e |= fdt_property(fdt, "clock-names", clock_names, sizeof clock_names);
	/* SPI 1, level-high, as QEMU virt (VIRT_UART); hvsim's PL011 never
	 * fills its FIFO, so a driver never waits for this interrupt */
	fdt32_t uart_irq[3] = { cpu_to_fdt32(FDT_GIC_SPI), cpu_to_fdt32(HVSIM_VIRT_UART_SPI), cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH) };
	e |= fdt_property(fdt, "interrupts", uart_irq, sizeof uart_irq);
	e |= fdt_end_node(fdt);

	e |= fdt_end_node(fdt);
	e |= fdt_finish(fdt);
	if (e) {
		free(fdt);
		return err_set("cannot build the devicetree (libfdt)");
	}
	v->dtb = fdt;
	v->dtb_size = fdt_totalsize(fdt);
	return 0;
}

/* QEMU's placement (hw/arm/boot.c arm_setup_direct_kernel_boot,
 * arm_load_dtb): the initrd at RAM + min(RAM / 2, 128 MiB), above the image
 * if that is higher, 4 KiB aligned; the DTB 2 MiB aligned after it. */
static int place_initrd(struct virt *v, uint64_t image_end)
{
	struct machine *m = &v->m;
	const struct virt_boot *b = v->boot;
	uint64_t half = m->ram_size / 2 < (128ULL << 20) ? m->ram_size / 2 : 128ULL << 20, at = m->ram_base + half;
	if (at < image_end)
		at = image_end;
	at = (at + 0xfff) & ~0xfffULL;
	size_t n = b->initrd ? b->initrd_size : 0;
	if (!machine_in_ram(m, at, n ? n : 1))
		return err_set("no room for the initrd (%zu bytes) at 0x%llx: RAM ends at 0x%llx, raise sim.ram_mb", n,
			       (unsigned long long)at, (unsigned long long)(m->ram_base + m->ram_size));
	if (n)
		memcpy(m->ram + (at - m->ram_base), b->initrd, n);
	v->initrd_start = at;
	v->initrd_end = at + n;
	return 0;
}

/* ---- --dtb: the user's devicetree ---- */
/* Cell pair i of a node's reg (QEMU virt's 2 + 2 cells), 4-byte aligned
 * in the blob: read by bytes */
static bool reg_cell(const void *fdt, int node, unsigned i, uint64_t *val)
{
	int len = 0;
	const uint8_t *r = fdt_getprop(fdt, node, "reg", &len);
	if (!r || len < (int)((i + 1) * 8))
		return false;
	fdt64_t raw;
	memcpy(&raw, r + 8 * i, sizeof raw);
	*val = fdt64_to_cpu(raw);
	return true;
}

static void mismatch(const struct virt *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mismatch(const struct virt *v, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	log_warn("%s: does not match the modelled machine: %s", v->boot->dtb_name, what);
}

/* A device node by compatible string, and its reg[i] address */
static void check_dev(const struct virt *v, const void *fdt, const char *compat, unsigned i, uint64_t want,
		      const char *what)
{
	int n = fdt_node_offset_by_compatible(fdt, -1, compat);
	uint64_t a = 0;
	if (n < 0)
		mismatch(v, "no \"%s\" node (hvsim models %s at 0x%llx)", compat, what, (unsigned long long)want);
	else if (!reg_cell(fdt, n, 2 * i, &a) || a != want)
		mismatch(v, "%s at 0x%llx, the devicetree says 0x%llx", what, (unsigned long long)want,
			 (unsigned long long)a);
}

/* What a QEMU virt devicetree must say for hvsim's machine: RAM, the CPU
 * count, the PL011, the GICv3 Distributor and Redistributors, PSCI over
 * HVC.  Each difference is one warning line. */
static void check_user_dtb(const struct virt *v, const void *fdt)
{
	const struct machine *m = &v->m;
	int n = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof "memory");
	uint64_t a = 0, size = 0;
	if (n < 0 || !reg_cell(fdt, n, 0, &a) || !reg_cell(fdt, n, 1, &size) || a != m->ram_base || size != m->ram_size)
		mismatch(v, "RAM [0x%llx, +%llu MiB), the devicetree's memory node says 0x%llx, %llu MiB (sim.ram_mb)",
			 (unsigned long long)m->ram_base, (unsigned long long)(m->ram_size >> 20), (unsigned long long)a,
			 (unsigned long long)(size >> 20));
	unsigned cpus = 0;
	for (n = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "cpu", sizeof "cpu"); n >= 0;
	     n = fdt_node_offset_by_prop_value(fdt, n, "device_type", "cpu", sizeof "cpu"))
		cpus++;
	if (cpus != m->ncpus)
		mismatch(v, "%u vCPUs (sim.vcpus), the devicetree has %u cpu nodes", m->ncpus, cpus);
	check_dev(v, fdt, "arm,pl011", 0, HVSIM_VIRT_PL011_BASE, "the PL011");
	check_dev(v, fdt, "arm,gic-v3", 0, HVSIM_VIRT_GICD_BASE, "the GICv3 Distributor");
	check_dev(v, fdt, "arm,gic-v3", 1, HVSIM_VIRT_GICR_BASE, "the GICv3 Redistributors");
	n = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
	const char *method = n >= 0 ? fdt_getprop(fdt, n, "method", NULL) : NULL;
	if (!method || strcmp(method, "hvc"))
		mismatch(v, "%s", "PSCI over HVC, the devicetree has no arm,psci-0.2 node with method \"hvc\"");
}

static int set_addr(void *fdt, int node, const char *name, uint64_t a)
{
	return a >> 32 ? fdt_setprop_u64(fdt, node, name, a) : fdt_setprop_u32(fdt, node, name, (uint32_t)a);
}

/* The user's blob, /chosen set as for the generated one (QEMU fixes up a
 * -dtb the same way). */
static int user_dtb(struct virt *v)
{
	const struct virt_boot *b = v->boot;
	if (b->dtb_size < sizeof(struct fdt_header) || fdt_check_header(b->dtb) != 0 ||
	    fdt_totalsize(b->dtb) > b->dtb_size)
		return err_set("%s: not a flattened devicetree (bad header or truncated)", b->dtb_name);
	size_t n = fdt_totalsize(b->dtb) + 4096 + (b->bootargs ? strlen(b->bootargs) : 0);
	void *fdt = calloc(1, n);
	if (!fdt || fdt_open_into(b->dtb, fdt, (int)n) != 0) {
		free(fdt);
		return err_set("%s: cannot open the devicetree", b->dtb_name);
	}
	int chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0)
		chosen = fdt_add_subnode(fdt, 0, "chosen");
	int e = chosen < 0 ? chosen : fdt_setprop_string(fdt, chosen, "bootargs", b->bootargs ? b->bootargs : "");
	if (!e && v->initrd_end > v->initrd_start)
		e = set_addr(fdt, chosen, "linux,initrd-start", v->initrd_start) |
		    set_addr(fdt, chosen, "linux,initrd-end", v->initrd_end);
	if (e || fdt_pack(fdt) != 0) {
		free(fdt);
		return err_set("%s: cannot set /chosen (libfdt)", b->dtb_name);
	}
	check_user_dtb(v, fdt);
	v->dtb = fdt;
	v->dtb_size = fdt_totalsize(fdt);
	return 0;
}

int virt_create(struct virt *v, const struct cfg *c, struct stats *st, const struct elf_image *img)
{
	return virt_create_boot(v, c, st, img, NULL);
}

int virt_create_boot(struct virt *v, const struct cfg *c, struct stats *st, const struct elf_image *img,
		     const struct virt_boot *boot)
{
	memset(v, 0, sizeof *v);
	v->boot = boot;
	struct machine *m = &v->m;
	if (machine_init(m, ISA_A64, "virt", c, st, HVSIM_VIRT_RAM_BASE) < 0)
		return -1;
	v->cntfrq_hz = cfg_u64(c, "virt", "cntfrq_hz");
	v->cpu_on_cycles = cfg_u64(c, "virt", "cpu_on_cycles");
	v->wakeup_cycles = cfg_u64(c, "virt", "wakeup_cycles");
	v->dtb_seed = cfg_u64(c, "virt", "dtb_seed");
	pl011_init(&v->uart, console_putc, m);
	m->mmio[m->nmmio++] = (struct dev_window){ "pl011", HVSIM_VIRT_PL011_BASE, HVSIM_VIRT_PL011_SIZE,
						   &pl011_ops, &v->uart, true };
	psci_init(&v->psci, m->ncpus, m->ram_base, m->ram_size);
	if (virt_irq_init(v, c, st) < 0)
		return -1;
	v->st_hypercalls = stats_counter(st, "platform.hypercalls", "hvsim hypercalls handled");
	v->st_psci_calls = stats_counter(st, "platform.psci_calls", "PSCI calls handled");
	v->st_psci_errors = stats_counter(st, "platform.psci_errors", "PSCI calls that returned an error code");
	v->st_unknown_calls = stats_counter(st, "platform.unknown_smccc_calls",
					    "SMCCC calls with an unknown function ID (returned NOT_SUPPORTED)");

	machine_load_elf(m, img);
	uint64_t end = 0;
	for (unsigned i = 0; i < img->nsegs; i++)
		if (img->segs[i].paddr + img->segs[i].memsz > end)
			end = img->segs[i].paddr + img->segs[i].memsz;
	if (boot && (boot->initrd || boot->raw)) {
		if (place_initrd(v, end) < 0)
			return -1;
		end = v->initrd_end;
	}
	if ((boot && boot->dtb ? user_dtb(v) : build_dtb(v)) < 0)
		return -1;
	/* The DTB goes at the first 2 MiB boundary above the image (and initrd), as for a Linux Image. */
	v->dtb_addr = (end + 0x1fffff) & ~0x1fffffULL;
	if (!machine_in_ram(m, v->dtb_addr, v->dtb_size))
		return err_set("no room for the devicetree above the image (ends at 0x%llx; RAM ends at 0x%llx): raise sim.ram_mb",
			       (unsigned long long)end, (unsigned long long)(m->ram_base + m->ram_size));
	memcpy(m->ram + (v->dtb_addr - m->ram_base), v->dtb, v->dtb_size);
	DBG(LOG_ELF, "devicetree: %llu bytes at 0x%llx", (unsigned long long)v->dtb_size,
	    (unsigned long long)v->dtb_addr);
	return 0;
}

void virt_destroy(struct virt *v)
{
	vgic_fini(&v->gic);
	free(v->dtb);
	machine_fini(&v->m);
}

uint64_t virt_cntvct(const struct virt *v, cycles_t clock) { return arch_counter_count(&v->counter, clock); }
cycles_t virt_cycles_at_count(const struct virt *v, uint64_t cval) { return arch_counter_cycles_at(&v->counter, cval); }

void virt_smccc(struct virt *v, unsigned caller, const uint64_t x[4], cycles_t now, struct hv_call *out)
{
	struct machine *m = &v->m;
	struct psci_result r;
	*out = (struct hv_call){ .act = HV_NONE };

	if (psci_call(&v->psci, caller, x, &r)) {
		*v->st_psci_calls = v->psci.calls;
		*v->st_psci_errors = v->psci.errors;
		out->ret = (uint64_t)r.x0;
		DBG(LOG_PSCI, "cpu%u: PSCI 0x%08llx(0x%llx, 0x%llx, 0x%llx) -> %lld", caller,
		    (unsigned long long)x[0], (unsigned long long)x[1], (unsigned long long)x[2],
		    (unsigned long long)x[3], (long long)r.x0);
		switch (r.act) {
		case PSCI_ACT_NONE: break;
		case PSCI_ACT_CPU_ON:
			m->cpu_start(m, r.target, r.entry, r.context, now + v->cpu_on_cycles);
			break;
		case PSCI_ACT_CPU_OFF: out->act = HV_CPU_OFF; break;
		case PSCI_ACT_SUSPEND: out->act = HV_WAIT; break;
		case PSCI_ACT_SYSTEM_OFF: out->act = HV_STOP; out->status = 0; break;
		case PSCI_ACT_SYSTEM_RESET:
			/* No reboot: stop like QEMU -no-reboot, and say so. */
			log_warn("guest requested PSCI SYSTEM_RESET: stopping (hvsim does not reboot)");
			out->act = HV_STOP;
			out->status = 0;
			break;
		}
		return;
	}

	switch ((uint32_t)x[0]) {
	case HVSIM_HC_A64_PING:
		out->ret = x[1] + 1;
		break;
	case HVSIM_HC_A64_EXIT:
		out->act = HV_STOP;
		out->status = (int)(x[1] & 0xff);
		break;
	case HVSIM_HC_A64_CYCLES:
		out->ret = now;
		break;
	case HVSIM_HC_A64_ARG:
		out->ret = x[1] < MACHINE_GUEST_ARGS ? v->m.guest_arg[x[1]] : (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
		break;
	default:
		(*v->st_unknown_calls)++;
		DBG(LOG_PSCI, "cpu%u: unknown SMCCC function 0x%llx", caller, (unsigned long long)x[0]);
		out->ret = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
		return;
	}
	(*v->st_hypercalls)++;
}
