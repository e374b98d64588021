/* Fuzz target: VT-d IRTE decoding and interrupt remapping (iommu/ir.h,
 * iommu/vtd.h).
 * Input: byte 0 flags (bit 0 EIME, bit 1 CAP.PI, bit 2 ECAP.EIM, bit 3
 * GCMD.CFI), byte 1 the host address width (32 + b % 33), 16 bytes of one
 * IRTE, up to 256 bytes of interrupt remapping table (16 entries), then
 * operations of 12 bytes: op byte even = an interrupt request (address
 * bits 19:0 from 3 bytes, data 4, requester ID 2), odd = a register write
 * (offset 2 bytes, width, value 6 bytes).
 * Promises checked: irte_decode returns no fault, "not present" exactly when
 * P = 0, or "reserved"; an entry it accepts encodes back to the same 128
 * bits, has an 8-bit destination without EIME, a 64-byte aligned descriptor
 * below 2^HAW only with PI; every request gives one outcome, a blocked one a
 * reason of the interrupt-remapping range, and every blocked request is
 * recorded, silenced by FPD or lost to overflow, nothing else; the unit reads
 * IRTEs only as whole aligned entries inside its table; FSTS.PPF is the OR of
 * the F bits and FRI names a recording register; the IEC never holds more
 * than its size; the same input run twice gives the same results. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "iommu/vtd.h"

#define MEM_BASE 0x10000ULL
#define MEM_SIZE 0x2000u
#define TABLE MEM_BASE

static uint8_t mem[MEM_SIZE];
static unsigned bad_reads;

static bool mread(void *ctx, uint64_t pa, void *buf, unsigned len)
{
	if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE - len)
		return false;
	/* IRTEs are read whole and aligned; queue descriptors too */
	if (len != 16 || (pa & 15))
		bad_reads++;
	memcpy(buf, mem + (pa - MEM_BASE), len);
	return true;
}
static bool mwrite(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
	if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE - len)
		return false;
	memcpy(mem + (pa - MEM_BASE), buf, len);
	return true;
}
static const struct vtd_mem vmem = { mread, mwrite, NULL };

static uint64_t take(const uint8_t **p, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
		v |= (uint64_t)**p << (8 * i);
	return v;
}

static void check_decode(const uint64_t raw[2], const struct irte_mode *m)
{
	struct irte e;
	enum vtd_ir_fault f = irte_decode(raw, m, &e);
	fuzz_check(f == VTD_FR_NONE || f == VTD_FR_IR_NOT_PRESENT || f == VTD_FR_IR_IRTE_RSVD, "decode result");
	fuzz_check((f == VTD_FR_IR_NOT_PRESENT) == !(raw[0] & 1), "not present exactly when P = 0");
	if (f != VTD_FR_NONE)
		return;
	uint64_t again[2];
	irte_encode(&e, m->eime, again);
	fuzz_check(again[0] == raw[0] && again[1] == raw[1], "an accepted IRTE encodes to the same bits");
	fuzz_check(e.im || m->eime || e.dst <= 0xff, "xAPIC destination is 8 bits");
	fuzz_check(!e.im || m->pi, "posted format only with PI");
	fuzz_check(!e.im || ((e.pda & 63) == 0 && (m->haw >= 64 || (e.pda >> m->haw) == 0)), "descriptor aligned, below HAW");
}

struct outcome {
	enum ir_kind kind;
	enum vtd_ir_fault fault;
	uint32_t index, dest;
	uint8_t vector;
	uint64_t pda;
};

static void check_unit(const struct vtd *v, uint64_t blocked)
{
	fuzz_check(v->faults_recorded + v->faults_fpd + v->faults_overflow == blocked,
		   "every blocked request recorded, silenced by FPD or lost to overflow");
	bool ppf = false;
	for (unsigned i = 0; i < v->cfg.nfr; i++)
		ppf |= v->frcd[i].hi >> 63;
	uint32_t fsts = (uint32_t)vtd_ops.read((void *)v, FSTS_REG, 4);
	fuzz_check(((fsts >> 1) & 1) == ppf, "PPF is the OR of the F bits");
	fuzz_check(((fsts >> 8) & 0xff) < v->cfg.nfr, "FRI names a fault recording register");
	fuzz_check(iec_count(&v->ir.iec) <= v->ir.iec.size, "IEC within its size");
	fuzz_check(bad_reads == 0, "IRTE and descriptor reads whole and aligned");
}

/* One run over the operations; the outcomes go to out (at most max). */
static unsigned run(uint8_t flags, unsigned haw, const uint8_t *p, size_t n, struct outcome *out, unsigned max)
{
	struct vtd v;
	struct vtd_config c = { .haw = haw, .nfr = 4, .eim = flags & 4, .pi = flags & 2, .iec_entries = 8 };
	fuzz_check(vtd_init(&v, &c, &vmem) == 0, "vtd_init accepts a valid configuration");
	vtd_ops.write(&v, IRTA_REG, 8, TABLE | ((flags & 1) ? 1u << 11 : 0) | 3);
	vtd_ops.write(&v, GCMD_REG, 4, 1u << 24);
	vtd_ops.write(&v, GCMD_REG, 4, 1u << 25 | ((flags & 8) ? 1u << 23 : 0));
	uint64_t blocked = 0;
	unsigned k = 0;
	while (n >= 12 && k < max) {
		unsigned op = (unsigned)take(&p, &n, 1);
		if (op & 1) {
			uint64_t off = take(&p, &n, 2) & 0xfff, size = 1u << (take(&p, &n, 1) & 3);
			vtd_ops.write(&v, off, (unsigned)size, take(&p, &n, 8) >> 16);
			continue;
		}
		uint64_t addr = 0xfee00000ULL | (take(&p, &n, 3) & 0xfffff);
		uint32_t data = (uint32_t)take(&p, &n, 4);
		uint16_t sid = (uint16_t)take(&p, &n, 2);
		take(&p, &n, 2);
		struct ir_result r;
		vtd_interrupt(&v, addr, data, sid, &r);
		fuzz_check(r.kind != IR_NOT_INTERRUPT, "0xFEEx_xxxx is an interrupt");
		fuzz_check(r.kind != IR_BLOCKED || (r.fault >= VTD_FR_IR_REQ_RSVD && r.fault <= VTD_FR_IR_SID),
			   "a blocked request has an interrupt-remapping fault reason");
		blocked += r.kind == IR_BLOCKED;
		out[k++] = (struct outcome){ r.kind, r.fault, r.index, r.irq.dest, r.irq.vector | r.pvector, r.pda };
	}
	/* the register writes may have added queue errors, never faults */
	check_unit(&v, blocked);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 18)
		return 0;
	uint8_t flags = data[0];
	unsigned haw = 32 + data[1] % 33;
	uint64_t raw[2];
	memcpy(raw, data + 2, 16);
	struct irte_mode m = { flags & 1, (flags & 2) != 0, haw };
	check_decode(raw, &m);
	m.eime = !m.eime;
	check_decode(raw, &m);

	const uint8_t *p = data + 18;
	size_t n = size - 18, t = n < 256 ? n : 256;
	static struct outcome a[512], b[512];
	memset(mem, 0, sizeof mem);
	memcpy(mem, p, t);
	bad_reads = 0;
	unsigned ka = run(flags, haw, p + t, n - t, a, 512);
	memset(mem, 0, sizeof mem);
	memcpy(mem, p, t);
	unsigned kb = run(flags, haw, p + t, n - t, b, 512);
	fuzz_check(ka == kb, "the same number of outcomes twice");
	for (unsigned i = 0; i < ka; i++)
		fuzz_check(a[i].kind == b[i].kind && a[i].fault == b[i].fault && a[i].index == b[i].index &&
			   a[i].dest == b[i].dest && a[i].vector == b[i].vector && a[i].pda == b[i].pda,
			   "the same outcomes twice");
	return 0;
}
