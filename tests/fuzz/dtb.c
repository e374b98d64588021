/* Fuzz target: the ARM virt machine's set-up and devicetree (platform/virt.c)
 * with hostile design values.  The input gives an image (one segment
 * somewhere in RAM), two generic-timer values, then for every declared key of
 * the arm64 machine in turn a value inside its declared range (often a
 * bound), applied with --set syntax.  sim.ram_mb stays at its minimum, 16: machine_init
 * allocates and zeroes all of guest RAM, which would dominate each run.
 * Promises checked: every in-range value is accepted; virt_create succeeds
 * unless the devicetree really has no room above the image; the DTB passes
 * fdt_check_full and describes the RAM and vCPUs asked for; it is copied to a
 * 2 MiB boundary above the image inside RAM; virt_cycles_at_count gives the
 * first cycle at which the counter reaches the value (virt.h). */
#include "tests/fuzz/fuzz.h"

#include <libfdt.h>
#include <math.h>
#include <string.h>

#include "core/cfg.h"
#include "cpu/el2.h"
#include "platform/designs.h"
#include "platform/virt.h"

#define RAM_MB_MAX 16
#define DTB_ALIGN (2ULL << 20)
#define DTB_MAX (64 * 1024)   /* virt.c's bound on the blob */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}


/* A bound, next to a bound, or anywhere between (sel from the input). */
static uint64_t pick_u64(uint64_t lo, uint64_t hi, unsigned sel, uint64_t v)
{
	uint64_t span = hi - lo;
	switch (sel) {
	case 0: return lo;
	case 1: return hi;
	case 2: return span ? lo + 1 : lo;
	case 3: return span ? hi - 1 : hi;
	default: return span == UINT64_MAX ? v : lo + v % (span + 1);
	}
}

/* A value of key k, as text, inside its declared range. */
static void pick(const struct cfg_key *k, struct input *in, char *buf, size_t size)
{
	unsigned sel = (unsigned)take(in, 1) % 8;
	uint64_t v = take(in, 8);
	switch (k->type) {
	case CFG_U64: {
		uint64_t hi = k->max >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)k->max;
		if (!strcmp(k->section, "sim") && !strcmp(k->name, "ram_mb"))
			hi = RAM_MB_MAX;
		snprintf(buf, size, "%llu", (unsigned long long)pick_u64((uint64_t)k->min, hi, sel, v));
		break;
	}
	case CFG_DOUBLE: {
		double d = sel == 0 ? k->min : sel == 1 ? k->max : k->min + ldexp((double)v, -64) * (k->max - k->min);
		snprintf(buf, size, "%.17g", fmin(fmax(d, k->min), k->max));
		break;
	}
	case CFG_BOOL:
		snprintf(buf, size, "%s", v & 1 ? "true" : "false");
		break;
	case CFG_ENUM: {
		unsigned n = 1;
		for (const char *c = k->choices; *c; c++)
			n += *c == '|';
		const char *c = k->choices;
		for (unsigned i = (unsigned)(v % n); i; i--)
			c = strchr(c, '|') + 1;
		snprintf(buf, size, "%.*s", (int)strcspn(c, "|"), c);
		break;
	}
	}
}

static void set_all(struct cfg *c, const struct cfg_key *keys, unsigned n, struct input *in)
{
	for (unsigned i = 0; i < n; i++) {
		char val[64], set[256];
		pick(&keys[i], in, val, sizeof val);
		snprintf(set, sizeof set, "%s.%s=%s", keys[i].section, keys[i].name, val);
		fuzz_check(cfg_set(c, set) == 0, "a value inside the declared range is accepted");
	}
}

static void check_dtb(const struct virt *v, uint64_t image_end)
{
	const struct machine *m = &v->m;
	const void *fdt = v->dtb;
	char name[64];
	fuzz_check(fdt_check_full(fdt, v->dtb_size) == 0, "fdt_check_full");

	snprintf(name, sizeof name, "/memory@%llx", (unsigned long long)m->ram_base);
	int len, node = fdt_path_offset(fdt, name);
	const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);
	fuzz_check(reg && len == 16 && fdt64_to_cpu(reg[0]) == m->ram_base && fdt64_to_cpu(reg[1]) == m->ram_size,
	           "memory node gives the RAM");

	int cpus = fdt_path_offset(fdt, "/cpus"), count = 0, sub;
	fuzz_check(cpus >= 0, "cpus node");
	fdt_for_each_subnode(sub, fdt, cpus)
		count++;
	fuzz_check(count == (int)m->ncpus, "one cpu node per vCPU");
	for (unsigned i = 0; i < m->ncpus; i++) {
		snprintf(name, sizeof name, "cpu@%llx", (unsigned long long)psci_mpidr(i));
		node = fdt_subnode_offset(fdt, cpus, name);
		const fdt32_t *r = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);
		fuzz_check(r && len == 4 && fdt32_to_cpu(*r) == psci_mpidr(i), "cpu node reg is its MPIDR");
	}
	node = fdt_path_offset(fdt, "/chosen");
	const char *out = node < 0 ? NULL : fdt_getprop(fdt, node, "stdout-path", &len);
	fuzz_check(out && fdt_path_offset(fdt, out) >= 0, "stdout-path names a node");

	fuzz_check(v->dtb_addr % DTB_ALIGN == 0 && v->dtb_addr >= image_end, "DTB on a 2 MiB boundary above the image");
	fuzz_check(machine_in_ram(m, v->dtb_addr, v->dtb_size) &&
	           memcmp(m->ram + (v->dtb_addr - m->ram_base), fdt, v->dtb_size) == 0, "DTB copied into RAM");
}

/* virt.h: virt_cycles_at_count is the first cycle at which CNTVCT >= cval. */
static void check_timer(const struct virt *v, uint64_t cval)
{
	cycles_t c = virt_cycles_at_count(v, cval);
	/* The cycle saturates at 2^64 - 1, and CNTVCT of clocks near 2^64
	 * cycles wraps: check where neither happens. */
	if (c == UINT64_MAX || (unsigned __int128)c * v->cntfrq_hz / v->m.freq_hz > UINT64_MAX)
		return;
	fuzz_check(virt_cntvct(v, c) >= cval, "counter reached at virt_cycles_at_count");
	fuzz_check(c == 0 || virt_cntvct(v, c - 1) < cval, "not reached one cycle earlier");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	/* Fixed-size fields first, so that a new design key moves none of them. */
	uint64_t img_off = take(&in, 8), img_len = take(&in, 8), cval1 = take(&in, 8), cval2 = take(&in, 4);
	struct cfg *c = cfg_new();
	fuzz_check(design_load_default(c, ISA_A64) == 0, "default design loads");
	set_all(c, machine_cfg_keys, machine_cfg_nkeys, &in);
	set_all(c, el2_cfg_keys, el2_cfg_nkeys, &in);
	set_all(c, virt_cfg_keys, virt_cfg_nkeys, &in);

	/* One segment inside RAM, as elf_load guarantees. */
	static const uint8_t code[256];
	uint64_t base, ram;
	virt_ram_window(c, &base, &ram);
	uint64_t off = img_off % ram, len = 1 + img_len % (ram - off);
	struct elf_segment seg = { .paddr = base + off, .memsz = len, .filesz = len < sizeof code ? len : sizeof code,
				   .data = code, .flags = 5 /* PF_R | PF_X */ };
	struct elf_image img = { .machine = 183 /* EM_AARCH64 */, .entry = seg.paddr, .segs = &seg, .nsegs = 1 };

	struct stats *st = stats_new();
	static struct virt v;
	if (virt_create(&v, c, st, &img) == 0) {
		fuzz_check(v.m.ncpus == cfg_u64(c, "sim", "vcpus") && v.m.ram_size == ram, "machine as designed");
		check_dtb(&v, seg.paddr + seg.memsz);
		check_timer(&v, cval1);
		check_timer(&v, cval2);
	} else {
		uint64_t at = (seg.paddr + seg.memsz + DTB_ALIGN - 1) & ~(DTB_ALIGN - 1);
		fuzz_check(strstr(err_msg(), "no room for the devicetree") && at + DTB_MAX > base + ram,
		           "virt_create fails only when the DTB has no room");
	}
	virt_destroy(&v);
	stats_free(st);
	cfg_free(c);
	return 0;
}
