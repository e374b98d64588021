/* Fuzz target: the GICv3 ITS command queue and its tables (gic/its.c) with
 * the LPI Redistributor state (gic/gicv3.c): a 64 KiB guest RAM whose
 * contents the input writes (command queue entries, level-1 device table
 * entries, configuration and pending tables), ITS and Redistributor
 * register writes at any offset and width, MSIs from any DeviceID/EventID,
 * list-register flushes and acknowledges; with GICv4 (the first input byte
 * picks GICv3, 4.0 or 4.1) also single commands of any content through
 * its_command (VMAPP, VMAPTI, ... as the hypervisor issues them),
 * GICR_VPENDBASER writes and GITS_SGIR vSGIs, and direct acknowledges.
 * Input: a version byte, then operations of 12 bytes: kind, offset (3
 * bytes), width selector, value (7 bytes).
 * Promises checked: GITS_CREADR's offset stays a multiple of 32 inside the
 * queue; every mapped LPI has an INTID in [8192, 65536) and targets an
 * existing vCPU; a translation that succeeds left its LPI pending; table
 * accesses never leave the RAM (AddressSanitizer checks fake_mem's copy);
 * every mapped vPE targets an existing Redistributor with a VPT of 14-16
 * bits, every virtual ITE's vINTID is a vLPI, a resident vPE is the one
 * mapped to its Redistributor, an offered direct interrupt is a vSGI or a
 * vLPI. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "core/cfg.h"
#include "gic/its.h"
#include "gic/vgic.h"

#define NCPUS 4
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000u

static struct vgic vg;
static struct its its;
static uint8_t ram[RAM_SIZE];
static struct cfg *cfg;

static cycles_t fake_now(void *ctx) { return 0; }
static bool fake_mem(void *ctx, uint64_t a, void *buf, unsigned len, bool write)
{
	if (a < RAM_BASE || a - RAM_BASE > RAM_SIZE - len || len > RAM_SIZE)
		return false;
	memcpy(write ? ram + (a - RAM_BASE) : buf, write ? buf : ram + (a - RAM_BASE), len);
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cfg = cfg_new();
	if (cfg_declare(cfg, gic_cfg_keys, gic_cfg_nkeys) < 0 || cfg_declare(cfg, its_cfg_keys, its_cfg_nkeys) < 0 ||
	    cfg_load_string(cfg, "fuzz.ini", "[gic]\nlist_registers = 4\nspis = 32\nich_hcr_el2 = 0\n"
			    "lr_inject_cycles = 1\nversion = 3\nirqfd_cycles = 1\nsgi_queue_cycles = 1\nkick_cycles = 1\n"
			    "ipi_latency_cycles = 1\ntimer_irq_cycles = 1\n[its]\ncmd_cycles = 1\ntranslate_hit_cycles = 1\n"
			    "translate_miss_cycles = 1\ntable_read_cycles = 1\ncache_entries_per_vcpu = 2\n") < 0)
		abort();
	return 0;
}

static void check_state(void)
{
	uint64_t size = (FIELD_EX(its.cbaser, GITS_CBASER, SIZE) + 1) * 4096;
	uint64_t rd = FIELD_EX(its.creadr, GITS_CREADR, OFFSET) * ITS_CMD_SIZE;
	fuzz_check(rd < size || rd == 0, "CREADR inside the queue");
	for (unsigned i = 0; i < GIC_MAX_LPIS; i++) {
		const struct gic_irq *l = &vg.dist.lpi[i];
		if (!l->lpi)
			continue;
		fuzz_check(l->lpi >= GIC_LPI_BASE && l->lpi < (1u << GIC_INTID_BITS), "LPI INTID range");
		fuzz_check(l->lpi_cpu >= 0 && (unsigned)l->lpi_cpu < NCPUS, "LPI target");
	}
	for (unsigned i = 0; i < ITS_MAX_VPES; i++) {
		const struct its_vpe *p = &its.vpe[i];
		fuzz_check(!p->valid || (p->rd < NCPUS && p->vpt_bits >= 14 && p->vpt_bits <= GIC_INTID_BITS), "vPE mapping");
	}
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		fuzz_check(!its.ite[i].valid || !its.ite[i].virt || its.ite[i].intid >= GIC_LPI_BASE, "vINTID range");
	for (unsigned rd = 0; rd < NCPUS; rd++) {
		const struct its_vpe *p = its_v4_resident(&its, rd);
		fuzz_check(!p || p->rd == rd, "resident vPE mapped here");
		uint32_t d = its_v4_hppi(&its, rd).intid;
		fuzz_check(d < 16 || d == GIC_INTID_SPURIOUS || d >= GIC_LPI_BASE, "direct INTID");
	}
}

/* GICv4 operations: a command as the hypervisor issues it, residency, a
 * vSGI, a direct acknowledge. */
static void op_v4(unsigned kind, uint32_t off, uint64_t val, struct fuzz_input *in)
{
	unsigned rd = off % NCPUS;
	switch (kind) {
	case 6: {
		uint64_t dw[4] = { val, fuzz_take(in, 8), fuzz_take(in, 8), fuzz_take(in, 8) };
		its_command(&its, dw);
		break;
	}
	case 7: its_v4_vpendbaser_write(&its, rd, val << 8 | (off >> 16)); break;
	case 8: its_v4_sgir(&its, off & 0xffff, (uint32_t)val & 0x1f, 0); break;
	default: {
		struct its_direct d = its_v4_hppi(&its, rd);
		if (d.intid != GIC_INTID_SPURIOUS)
			its_v4_acknowledge(&its, rd, d.intid);
	}
	}
}

static void op(struct fuzz_input *in)
{
	static const unsigned sizes[4] = { 4, 8, 2, 1 };
	unsigned kind = (unsigned)fuzz_take(in, 1) % 10;
	uint32_t off = (uint32_t)fuzz_take(in, 3);
	unsigned size = sizes[fuzz_take(in, 1) % 4];
	uint64_t val = fuzz_take(in, 7);
	switch (kind) {
	case 0: its_ctrl_ops.write(&its, off % 0x10000, size, val); break;
	case 1: its_ctrl_ops.read(&its, off % 0x10000, size); break;
	case 2: gicv3_redist_ops.write(&vg.dist, off % (NCPUS * 0x20000), size, val); break;
	case 3: memcpy(ram + (off % (RAM_SIZE - 8)), &val, 8); break;   /* queue, tables */
	case 6: case 7: case 8: case 9: op_v4(kind, off, val, in); break;
	case 4: {
		uint32_t dev = off & 0xffff, ev = (uint32_t)(val & 0xffff);
		if (its_translate(&its, dev, ev)) {
			bool pending = false;
			for (unsigned i = 0; i < GIC_MAX_LPIS; i++)
				pending |= vg.dist.lpi[i].lpi && gicv3_pending(&vg.dist.lpi[i]);
			for (unsigned i = 0; i < ITS_MAX_ITES; i++)
				pending |= its.ite[i].valid && its.ite[i].virt && its.ite[i].vpending;
			fuzz_check(pending, "a translated MSI leaves an LPI pending");
		}
		break;
	}
	case 5: {
		unsigned cpu = off % NCPUS;
		uint64_t v;
		struct gic_cpuif_events e;
		vg.need_flush[cpu] = true;
		vgic_flush(&vg, cpu, 1);
		vg.cpu[cpu].vmcr = 0xff000002ull;           /* VPMR 0xff, VENG1 */
		vgic_sysreg(&vg, cpu, ICC_IAR1_EL1, true, &v, 2, &e);
		vgic_sysreg(&vg, cpu, ICC_EOIR1_EL1, false, &v, 3, &e);
		vgic_fold(&vg, cpu);
	}
	}
	check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint64_t mpidr[NCPUS] = { 0, 1, 2, 3 };
	if (vgic_init(&vg, cfg, NCPUS, mpidr) < 0 || its_init(&its, &vg.dist, cfg) < 0)
		abort();
	vg.dist.now = fake_now;
	vg.dist.mem = fake_mem;
	vg.dist.enable_grp1 = true;
	static const unsigned versions[3] = { 3, 40, 41 };
	its_set_version(&its, versions[fuzz_take(&in, 1) % 3]);
	memset(ram, 0, sizeof ram);
	while (in.n)
		op(&in);
	return 0;
}
