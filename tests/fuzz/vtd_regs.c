/* Fuzz target: the pc machine's device path (platform/pc_iommu.c) through
 * its guest-visible windows: the VT-d unit at 0xFED90000 (iommu/vtd.c
 * registers, the invalidation queue and IRT in guest RAM, fault recording)
 * and the MSI device at 0xFE000000 (dev/msidev.c: doorbells, rate mode,
 * INTx), the device's MSIs through the guest's and the host's remapping
 * (pc_msi_write), with and without posted interrupts.
 * Input: byte 0 flags (bit 0 posting design, bit 1 [iommu] ir, bit 2 host
 * IEC off, bit 3 guest IEC off), then 12-byte operations: kind, offset (2
 * bytes), width, value (8 bytes).  Kinds: VT-d read / write, device read /
 * write, an 8-byte store into the first 64 KiB of RAM (tables, queue), an
 * MSI from the device's requester ID, time passing (the device's events).
 * Promises checked: a VT-d access that is not 4 or 8 bytes, naturally
 * aligned, reads zero; GCMD reads zero; CAP and ECAP never change and CAP.PI
 * is 0 (QEMU's vIOMMU); FSTS.PPF is the OR of the F bits the window shows
 * and FRI names a recording register; every device MSI has exactly one
 * outcome (host interrupt, posted, blocked, dropped) and each request the
 * guest's unit saw is counted once; every host-IOMMU lookup is an IEC hit
 * or a miss; the same input twice gives the same statistics. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "core/cfg.h"
#include "core/stats.h"
#include "iommu/vtd_regs.h"
#include "platform/designs.h"
#include "platform/pc.h"

#define VTD 0xfed90000u
#define DEV 0xfe000000u
#define RAM_POKE 0x10000u
#define MAX_EVENTS 256

static struct sim_cpu cpu0, cpu1, *cpus[2] = { &cpu0, &cpu1 };

static uint64_t take(const uint8_t **p, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
		v |= (uint64_t)**p << (8 * i);
	return v;
}

static uint64_t stat(struct stats *st, const char *path) { return *stats_counter(st, path, NULL); }

static uint64_t sum(struct stats *st, const char *prefix, const char *const *names)
{
	char path[96];
	uint64_t s = 0;
	for (unsigned i = 0; names[i]; i++) {
		snprintf(path, sizeof path, "%s.%s", prefix, names[i]);
		s += stat(st, path);
	}
	return s;
}

static void check_regs(const struct dev_window *v, uint64_t cap, uint64_t ecap)
{
	fuzz_check(v->ops->read(v->dev, CAP_REG, 8) == cap && v->ops->read(v->dev, ECAP_REG, 8) == ecap,
		   "CAP and ECAP are constant");
	fuzz_check(v->ops->read(v->dev, GCMD_REG, 4) == 0, "GCMD reads zero");
	unsigned nfr = (unsigned)FIELD_EX(cap, CAP_REG, NFR) + 1;
	uint64_t fro = FIELD_EX(cap, CAP_REG, FRO) * 16;
	bool f = false;
	for (unsigned i = 0; i < nfr; i++)
		f |= v->ops->read(v->dev, fro + 16 * i + 8, 8) >> 63;
	uint32_t fsts = (uint32_t)v->ops->read(v->dev, FSTS_REG, 4);
	fuzz_check(FIELD_EX(fsts, FSTS_REG, PPF) == f, "PPF is the OR of the F bits");
	fuzz_check(FIELD_EX(fsts, FSTS_REG, FRI) < nfr, "FRI names a fault recording register");
}

static void check_counts(struct stats *st)
{
	static const char *const paths[] = { "host_irq", "posted", "blocked", "dropped", NULL };
	static const char *const guest[] = { "not_interrupt", "compat", "remapped", "posted", "blocked", NULL };
	static const char *const host[] = { "remapped", "posted", "blocked", "not_interrupt", NULL };
	uint64_t outcomes = sum(st, "msidev.interrupts", paths), seen = sum(st, "iommu.guest", guest);
	/* a request the guest's unit passed may still be dropped by the host side */
	fuzz_check(seen == outcomes, "every MSI has one outcome, each seen once by the guest's unit");
	fuzz_check(stat(st, "iommu.host.iec_hits") + stat(st, "iommu.host.iec_misses") == sum(st, "iommu.host", host),
		   "every host IRTE lookup is an IEC hit or miss");
}

/* Fires the events due by t (at most MAX_EVENTS: rate mode re-arms). */
static void run_events(struct sim *s, cycles_t t)
{
	cycles_t when;
	struct sim_event e;
	for (unsigned k = 0; k < MAX_EVENTS && evq_peek(&s->events, &when) && when <= t; k++) {
		evq_pop(&s->events, &e);
		cpu0.clock = e.when > cpu0.clock ? e.when : cpu0.clock;
		e.fn(e.ctx, e.when);
	}
	cpu0.clock = t > cpu0.clock ? t : cpu0.clock;
}

static void op(struct pc *p, struct sim *s, const struct dev_window *v, const struct dev_window *d, unsigned kind,
	       uint64_t off, unsigned size, uint64_t val)
{
	switch (kind % 7) {
	case 0: {
		uint64_t r = v->ops->read(v->dev, off, size);
		fuzz_check(r == 0 || ((size == 4 || size == 8) && (off & (size - 1)) == 0 && off < 0x1000),
			   "a bad VT-d access reads zero");
		break;
	}
	case 1: v->ops->write(v->dev, off, size, val); break;
	case 2: d->ops->read(d->dev, off, size); break;
	case 3: d->ops->write(d->dev, off, size, val); break;
	case 4: memcpy(p->m.ram + RAM_POKE + (off & 0xfff8), &val, 8); break;
	case 5: pc_msi_write(p, 0xfee00000u | (val & 0xfffff) | (val >> 60 ? val & ~0xffffffffULL : 0),
			     (uint32_t)(val >> 20), 0x10, cpu0.clock); break;
	case 6: run_events(s, cpu0.clock + (val & 0xfffff)); break;
	}
}

/* One run; the statistics as text into *out (malloc'd). */
static void run(uint8_t flags, const uint8_t *data, size_t n, char **out, size_t *outlen)
{
	struct pc p;
	struct sim s = { .cpus = cpus, .ncpus = 2 };
	struct elf_image img = { 0 };
	struct cfg *c = cfg_new();
	fuzz_check(design_declare(c, ISA_X86_64) == 0 &&
		   cfg_load_string(c, "default-x86.ini", hvsim_default_design_x86) == 0, "the default design loads");
	cfg_set(c, "sim.vcpus=2");
	cfg_set(c, (flags & 1) ? "vmx.pin_ctls=0xa9" : "vmx.pin_ctls=0x29");
	cfg_set(c, (flags & 1) ? "vmx.procbased_ctls2=0x21037eb" : "vmx.procbased_ctls2=0x21034ea");
	cfg_set(c, (flags & 2) ? "iommu.ir=false" : "iommu.ir=true");
	if (flags & 4)
		cfg_set(c, "iommu.iec_entries=0");
	if (flags & 8)
		cfg_set(c, "iommu.guest_iec_entries=0");
	cfg_set(c, "msidev.interval_cycles=1000");
	struct stats *st = stats_new();
	fuzz_check(pc_create(&p, c, st, &img) == 0, "pc_create with the default design");
	cpu0 = (struct sim_cpu){ .id = 0, .state = SIM_CPU_RUNNING };
	cpu1 = (struct sim_cpu){ .id = 1, .state = SIM_CPU_OFF };
	evq_init(&s.events);
	p.m.sim = &s;
	const struct dev_window *v = machine_find_mmio(&p.m, VTD), *d = machine_find_mmio(&p.m, DEV);
	fuzz_check(v && d, "both windows are mapped");
	uint64_t cap = v->ops->read(v->dev, CAP_REG, 8), ecap = v->ops->read(v->dev, ECAP_REG, 8);
	fuzz_check(FIELD_EX(cap, CAP_REG, PI) == 0, "CAP.PI = 0 to the guest");
	while (n >= 12) {
		unsigned kind = (unsigned)take(&data, &n, 1);
		uint64_t off = take(&data, &n, 2) & 0x1fff;
		unsigned size = 1u << (take(&data, &n, 1) & 3);
		uint64_t val = take(&data, &n, 8);
		op(&p, &s, v, d, kind, off, size, val);
		if (s.stop != SIM_RUNNING)
			break;   /* an INIT or SIPI message: a clean stop */
	}
	check_regs(v, cap, ecap);
	check_counts(st);
	FILE *f = open_memstream(out, outlen);
	stats_dump(st, f, STATS_TEXT);
	fclose(f);
	pc_destroy(&p);
	evq_free(&s.events);
	stats_free(st);
	cfg_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	run(data[0], data + 1, size - 1, &a, &na);
	run(data[0], data + 1, size - 1, &b, &nb);
	fuzz_check(na == nb && memcmp(a, b, na) == 0, "the same input gives the same statistics");
	free(a);
	free(b);
	return 0;
}
