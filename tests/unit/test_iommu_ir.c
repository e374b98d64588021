/* VT-d interrupt remapping (iommu/ir.h, iommu/vtd.h), against the spec's
 * layouts written out by hand here (Intel VT-d rev. 5.10: 5.1.2 request
 * formats, 9.9/9.10 IRTE, 5.1.4.1 fault reasons, 6.5.2 descriptors, 7.2.1
 * fault logging, 11.4 registers): every IRTE field, every fault reason, SVT/SQ, the IEC and its
 * invalidation, fault recording with overflow, compatibility format. */
#include <string.h>

#include "iommu/vtd.h"
#include "tests/unit/unit.h"

/* ---- guest memory: 64 KiB at 1 MiB ---- */
#define MEM_BASE 0x100000ULL
#define TABLE 0x100000ULL          /* IRT: 16 entries (S = 3) */
#define QUEUE 0x104000ULL          /* invalidation queue, 256 descriptors (QS = 0) */
#define STATUS 0x105000ULL
#define OUTSIDE 0x200000ULL        /* no memory here */

static struct {
	uint8_t b[0x10000];
	unsigned reads;
} mem;

static bool mem_ok(uint64_t pa, unsigned len)
{
	return pa >= MEM_BASE && pa - MEM_BASE <= sizeof mem.b - len;
}
static bool mread(void *ctx, uint64_t pa, void *buf, unsigned len)
{
	if (!mem_ok(pa, len))
		return false;
	memcpy(buf, mem.b + (pa - MEM_BASE), len);
	mem.reads++;
	return true;
}
static bool mwrite(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
	if (!mem_ok(pa, len))
		return false;
	memcpy(mem.b + (pa - MEM_BASE), buf, len);
	return true;
}
static const struct vtd_mem vmem = { mread, mwrite, NULL };

static void put128(uint64_t pa, uint64_t lo, uint64_t hi)
{
	memcpy(mem.b + (pa - MEM_BASE), &lo, 8);
	memcpy(mem.b + (pa - MEM_BASE) + 8, &hi, 8);
}
static void put_irte(unsigned idx, uint64_t lo, uint64_t hi) { put128(TABLE + 16 * idx, lo, hi); }

/* ---- hardware event messages ---- */
static struct {
	unsigned n;
	uint64_t addr;
	uint32_t data;
} ev;
static void ev_msi(void *ctx, uint64_t addr, uint32_t data)
{
	ev.n++;
	ev.addr = addr;
	ev.data = data;
}

static uint64_t rd(struct vtd *v, uint64_t off, unsigned size) { return vtd_ops.read(v, off, size); }
static void wr(struct vtd *v, uint64_t off, unsigned size, uint64_t val) { vtd_ops.write(v, off, size, val); }

/* A unit with HAW 39, 4 fault recording registers, EIM, PI, an 8-entry IEC;
 * table at TABLE with 16 entries; remapping enabled. */
static void setup(struct vtd *v, bool eime, bool cfi)
{
	memset(&mem, 0, sizeof mem);
	memset(&ev, 0, sizeof ev);
	struct vtd_config c = { .haw = 39, .nfr = 4, .eim = true, .pi = true, .iec_entries = 8 };
	CU_ASSERT_EQUAL_FATAL(vtd_init(v, &c, &vmem), 0);
	v->event_msi = ev_msi;
	wr(v, 0xb8, 8, TABLE | (eime ? 1u << 11 : 0) | 3);   /* IRTA_REG: S = 3 */
	wr(v, 0x18, 4, 1u << 24);                            /* GCMD.SIRTP */
	wr(v, 0x18, 4, 1u << 25 | (cfi ? 1u << 23 : 0));     /* GCMD.IRE (+ CFI) */
}

/* Remappable-format address for handle h (5.1.4.2) */
static uint64_t raddr(unsigned h, bool shv)
{
	return 0xfee00000ULL | (h & 0x7fff) << 5 | 1u << 4 | (shv ? 1u << 3 : 0) | ((h >> 15) & 1) << 2;
}

/* The request for handle h (no subhandle) from requester sid. */
static struct ir_result req(struct vtd *v, unsigned h, uint16_t sid)
{
	struct ir_result r;
	vtd_interrupt(v, raddr(h, false), 0, sid, &r);
	return r;
}

static unsigned iq_tail;
static void iq_start(struct vtd *v)
{
	iq_tail = 0;
	wr(v, 0x90, 8, QUEUE);                 /* IQA_REG, QS = 0: 256 descriptors */
	wr(v, 0x88, 8, 0);                     /* IQT */
	wr(v, 0x18, 4, 1u << 26 | 1u << 25);   /* QIE, IRE kept */
	CU_ASSERT_EQUAL(rd(v, 0x1c, 4) & (1u << 26), 1u << 26);
}
static void iq_put(uint64_t lo, uint64_t hi)
{
	put128(QUEUE + 16 * iq_tail, lo, hi);
	iq_tail++;
}
static void iq_go(struct vtd *v) { wr(v, 0x88, 4, iq_tail << 4); }   /* writel, as Linux */

/* A present remapped IRTE, xAPIC form: DM, RH, TM = level, DLM = lowest
 * priority, AVAIL 0xa, vector 0x45, APIC ID 0x12 in bits 47:40; SID
 * 01:01.0 with SVT 01, SQ 00. */
#define LO_X 0x0000120000450a3dULL
#define HI_X 0x0000000000040108ULL

static const struct irte_mode XAPIC = { .eime = false, .pi = true, .haw = 39 };
static const struct irte_mode X2APIC = { .eime = true, .pi = true, .haw = 39 };

/* ---------------------------------------------------------------- IRTE */

static void test_irte_remapped_fields(void)
{
	uint64_t raw[2] = { LO_X, HI_X | 2u << 16 };   /* SQ = 10b */
	struct irte e;
	CU_ASSERT_EQUAL(irte_decode(raw, &XAPIC, &e), VTD_FR_NONE);
	CU_ASSERT(e.p);
	CU_ASSERT(!e.fpd);
	CU_ASSERT(!e.im);
	CU_ASSERT(e.dm);
	CU_ASSERT(e.rh);
	CU_ASSERT(e.tm);
	CU_ASSERT_EQUAL(e.dlm, 1);
	CU_ASSERT_EQUAL(e.avail, 0xa);
	CU_ASSERT_EQUAL(e.vector, 0x45);
	CU_ASSERT_EQUAL(e.dst, 0x12);
	CU_ASSERT_EQUAL(e.sid, 0x0108);
	CU_ASSERT_EQUAL(e.sq, 2);
	CU_ASSERT_EQUAL(e.svt, 1);
	/* FPD (bit 1) on its own */
	raw[0] |= 2;
	CU_ASSERT_EQUAL(irte_decode(raw, &XAPIC, &e), VTD_FR_NONE);
	CU_ASSERT(e.fpd);
	/* encode gives the same bits back */
	uint64_t again[2];
	irte_encode(&e, false, again);
	CU_ASSERT_EQUAL(again[0], raw[0]);
	CU_ASSERT_EQUAL(again[1], raw[1]);
}

static void test_irte_destination_forms(void)
{
	/* x2APIC: DST is bits 63:32 */
	uint64_t raw[2] = { 0x1234567800410001ULL, 0 };
	struct irte e;
	CU_ASSERT_EQUAL(irte_decode(raw, &X2APIC, &e), VTD_FR_NONE);
	CU_ASSERT_EQUAL(e.dst, 0x12345678);
	CU_ASSERT_EQUAL(e.vector, 0x41);
	/* the same entry under EIME = 0: bits 63:48 and 39:32 are reserved */
	CU_ASSERT_EQUAL(irte_decode(raw, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	/* xAPIC ID 0xfe from bits 47:40; under EIME = 1 the same bits are x2APIC ID 0xfe00 */
	raw[0] = 0x0000fe0000410001ULL;
	CU_ASSERT_EQUAL(irte_decode(raw, &XAPIC, &e), VTD_FR_NONE);
	CU_ASSERT_EQUAL(e.dst, 0xfe);
	CU_ASSERT_EQUAL(irte_decode(raw, &X2APIC, &e), VTD_FR_NONE);
	CU_ASSERT_EQUAL(e.dst, 0xfe00);
	/* each xAPIC-reserved destination bit on its own */
	const uint64_t bits[] = { 1ULL << 32, 1ULL << 39, 1ULL << 48, 1ULL << 63 };
	for (unsigned i = 0; i < 4; i++) {
		uint64_t r[2] = { 0x0000fe0000410001ULL | bits[i], 0 };
		CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
		CU_ASSERT_EQUAL(irte_decode(r, &X2APIC, &e), VTD_FR_NONE);
	}
}

static void test_irte_reserved(void)
{
	struct irte e;
	/* remapped: 14:12, 31:24, 127:84 */
	const uint64_t lo_bits[] = { 1ULL << 12, 1ULL << 14, 1ULL << 24, 1ULL << 31 };
	for (unsigned i = 0; i < 4; i++) {
		uint64_t r[2] = { LO_X | lo_bits[i], HI_X };
		CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	}
	uint64_t r[2] = { LO_X, HI_X | 1ULL << 20 };
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	r[1] = HI_X | 1ULL << 63;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	/* reserved delivery modes 011b and 110b; 111b (ExtINT) is fine */
	r[1] = HI_X;
	r[0] = (LO_X & ~0xe0ULL) | 3u << 5;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	r[0] = (LO_X & ~0xe0ULL) | 6u << 5;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	r[0] = (LO_X & ~0xe0ULL) | 7u << 5;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_NONE);
	CU_ASSERT_EQUAL(e.dlm, 7);
	/* SVT 11b is reserved */
	r[0] = LO_X;
	r[1] = HI_X | 3u << 18;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	/* not present: no other check, FPD still read */
	r[0] = 0xffffffffffff0002ULL;
	r[1] = ~0ULL;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_NOT_PRESENT);
	CU_ASSERT(e.fpd);
}

/* Posted: PDA 0x12_3456_7840, vector 0x80, URG, IM, P; SID 0x0108 SVT 01 */
#define LO_P 0x345678400080c001ULL
#define HI_P 0x0000001200040108ULL

static void test_irte_posted(void)
{
	uint64_t raw[2] = { LO_P, HI_P };
	struct irte e;
	CU_ASSERT_EQUAL(irte_decode(raw, &XAPIC, &e), VTD_FR_NONE);
	CU_ASSERT(e.im);
	CU_ASSERT(e.urg);
	CU_ASSERT_EQUAL(e.vector, 0x80);
	CU_ASSERT_EQUAL(e.pda, 0x1234567840ULL);
	CU_ASSERT_EQUAL(e.sid, 0x0108);
	CU_ASSERT_EQUAL(e.svt, 1);
	uint64_t again[2];
	irte_encode(&e, false, again);
	CU_ASSERT_EQUAL(again[0], raw[0]);
	CU_ASSERT_EQUAL(again[1], raw[1]);
	/* without CAP.PI the posted format is reserved */
	struct irte_mode nopi = { .pi = false, .haw = 39 };
	CU_ASSERT_EQUAL(irte_decode(raw, &nopi, &e), VTD_FR_IR_IRTE_RSVD);
	/* reserved: 7:2, 13:12, 37:24, 95:84 */
	const uint64_t lo_bits[] = { 1ULL << 2, 1ULL << 7, 1ULL << 12, 1ULL << 13, 1ULL << 24, 1ULL << 37 };
	for (unsigned i = 0; i < 6; i++) {
		uint64_t r[2] = { LO_P | lo_bits[i], HI_P };
		CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	}
	uint64_t r[2] = { LO_P, HI_P | 1ULL << 20 };
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	/* descriptor above HAW (2^39): PDA_H = 0x80 */
	r[1] = 0x0000008000040108ULL;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_IR_IRTE_RSVD);
	r[1] = 0x0000007f00040108ULL;
	CU_ASSERT_EQUAL(irte_decode(r, &XAPIC, &e), VTD_FR_NONE);
}

static bool sid_ok(unsigned svt, unsigned sq, uint16_t sid, uint16_t rid)
{
	struct irte e = { .p = true, .svt = (uint8_t)svt, .sq = (uint8_t)sq, .sid = sid };
	return irte_sid_ok(&e, rid);
}

static void test_sid_validation(void)
{
	/* SVT 01, SID 01:01.0 (0x0108) */
	for (unsigned sq = 0; sq < 4; sq++) {
		CU_ASSERT(sid_ok(1, sq, 0x0108, 0x0108));
		CU_ASSERT(!sid_ok(1, sq, 0x0108, 0x0110));   /* another device */
		CU_ASSERT(!sid_ok(1, sq, 0x0108, 0x0208));   /* another bus */
	}
	/* function 01:01.4 differs in bit 2: compared only by SQ 00 */
	CU_ASSERT(!sid_ok(1, 0, 0x0108, 0x010c));
	CU_ASSERT(sid_ok(1, 1, 0x0108, 0x010c));
	CU_ASSERT(sid_ok(1, 2, 0x0108, 0x010c));
	CU_ASSERT(sid_ok(1, 3, 0x0108, 0x010c));
	/* 01:01.2 differs in bit 1: ignored from SQ 10 */
	CU_ASSERT(!sid_ok(1, 0, 0x0108, 0x010a));
	CU_ASSERT(!sid_ok(1, 1, 0x0108, 0x010a));
	CU_ASSERT(sid_ok(1, 2, 0x0108, 0x010a));
	CU_ASSERT(sid_ok(1, 3, 0x0108, 0x010a));
	/* 01:01.1 differs in bit 0: ignored only by SQ 11 */
	CU_ASSERT(!sid_ok(1, 0, 0x0108, 0x0109));
	CU_ASSERT(!sid_ok(1, 1, 0x0108, 0x0109));
	CU_ASSERT(!sid_ok(1, 2, 0x0108, 0x0109));
	CU_ASSERT(sid_ok(1, 3, 0x0108, 0x0109));
	/* SVT 10: bus in [SID[7:0], SID[15:8]] = [2, 5] */
	CU_ASSERT(sid_ok(2, 0, 0x0502, 0x0200));
	CU_ASSERT(sid_ok(2, 0, 0x0502, 0x05ff));
	CU_ASSERT(sid_ok(2, 3, 0x0502, 0x0310));
	CU_ASSERT(!sid_ok(2, 0, 0x0502, 0x01ff));
	CU_ASSERT(!sid_ok(2, 0, 0x0502, 0x0600));
	/* SVT 00: no verification */
	CU_ASSERT(sid_ok(0, 0, 0x0108, 0xffff));
}

/* ---------------------------------------------------------------- requests */

static void test_remap_through_table(void)
{
	struct vtd v;
	struct ir_result r;
	setup(&v, false, false);
	put_irte(5, LO_X, HI_X);
	/* handle 5, no subhandle: 0xFEE000B0 */
	CU_ASSERT_EQUAL(raddr(5, false), 0xfee000b0ULL);
	vtd_interrupt(&v, 0xfee000b0ULL, 0, 0x0108, &r);
	CU_ASSERT_EQUAL_FATAL(r.kind, IR_REMAPPED);
	CU_ASSERT_EQUAL(r.index, 5);
	CU_ASSERT_EQUAL(r.irq.dest, 0x12);
	CU_ASSERT(r.irq.dest_logical);
	CU_ASSERT(r.irq.redir_hint);
	CU_ASSERT(r.irq.level);
	CU_ASSERT_EQUAL(r.irq.dlm, 1);
	CU_ASSERT_EQUAL(r.irq.vector, 0x45);
	CU_ASSERT(!r.iec_hit);
	/* handle 4 + subhandle 1 (SHV, bit 3): index 5 */
	CU_ASSERT_EQUAL(raddr(4, true), 0xfee00098ULL);
	vtd_interrupt(&v, 0xfee00098ULL, 1, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_REMAPPED);
	CU_ASSERT_EQUAL(r.index, 5);
	CU_ASSERT(r.iec_hit);
	/* a subhandle is ignored without SHV */
	put_irte(4, LO_X, HI_X);
	vtd_interrupt(&v, 0xfee00090ULL, 1, 0x0108, &r);
	CU_ASSERT_EQUAL(r.index, 4);
	/* posted entry */
	put_irte(6, LO_P, HI_P);
	r = req(&v, 6, 0x0108);
	CU_ASSERT_EQUAL_FATAL(r.kind, IR_POSTED);
	CU_ASSERT_EQUAL(r.pda, 0x1234567840ULL);
	CU_ASSERT_EQUAL(r.pvector, 0x80);
	CU_ASSERT(r.urgent);
	/* not an interrupt address: nothing to do with remapping */
	vtd_interrupt(&v, 0xfed00000ULL, 0, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_NOT_INTERRUPT);
	vtd_interrupt(&v, 0x1fee00000ULL, 0, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_NOT_INTERRUPT);
	CU_ASSERT_EQUAL(v.faults_recorded, 0);
	CU_ASSERT_EQUAL(v.own_errors, 0);
}

static void test_x2apic_through_table(void)
{
	struct vtd v;
	struct ir_result r;
	setup(&v, true, false);
	CU_ASSERT_EQUAL(rd(&v, 0xb8, 8), TABLE | 1u << 11 | 3);
	put_irte(1, 0x1234567800410001ULL, 0);
	r = req(&v, 1, 0x0108);
	CU_ASSERT_EQUAL_FATAL(r.kind, IR_REMAPPED);
	CU_ASSERT_EQUAL(r.irq.dest, 0x12345678);
	CU_ASSERT(!r.irq.dest_logical);
	/* a unit without EIM ignores EIME: xAPIC form, the same entry faults */
	struct vtd w;
	struct vtd_config c = { .haw = 39, .nfr = 1, .eim = false, .pi = false, .iec_entries = 0 };
	CU_ASSERT_EQUAL_FATAL(vtd_init(&w, &c, &vmem), 0);
	wr(&w, 0xb8, 8, TABLE | 1u << 11 | 3);
	CU_ASSERT_EQUAL(rd(&w, 0xb8, 8), TABLE | 3);
	wr(&w, 0x18, 4, 1u << 24);
	wr(&w, 0x18, 4, 1u << 25);
	r = req(&w, 1, 0x0108);
	CU_ASSERT_EQUAL(r.kind, IR_BLOCKED);
	CU_ASSERT_EQUAL(r.fault, 0x24);
}

/* The FRCD_REG at index i as MMIO reads it: FR, SID, F, interrupt index */
static void check_frcd(struct vtd *v, unsigned i, unsigned fr, unsigned sid, unsigned index)
{
	uint64_t lo = rd(v, 0x220 + 16 * i, 8), hi = rd(v, 0x228 + 16 * i, 8);
	CU_ASSERT_EQUAL(hi >> 63, 1);               /* F */
	CU_ASSERT_EQUAL((hi >> 32) & 0xff, fr);     /* FR */
	CU_ASSERT_EQUAL(hi & 0xffff, sid);          /* SID */
	CU_ASSERT_EQUAL(lo >> 48, index);           /* FI[63:48] */
	CU_ASSERT_EQUAL(lo & 0x0000fffffffff000ULL, 0);
	CU_ASSERT_EQUAL((hi >> 62) & 1, 0);         /* T: DMA faults only */
}

/* Clear every F and the overflow bit, as a fault handler does. */
static void clear_faults(struct vtd *v)
{
	for (unsigned i = 0; i < 4; i++)
		wr(v, 0x22c + 16 * i, 4, 1u << 31);     /* writel(F, FRCD + 12) */
	wr(v, 0x34, 4, 1);                          /* FSTS.PFO */
}

/* Remapping off and on again: the fault recording index restarts at 0 (7.2.1). */
static void restart_index(struct vtd *v)
{
	uint32_t cfi = (uint32_t)rd(v, 0x1c, 4) & 1u << 23;
	wr(v, 0x18, 4, cfi);
	wr(v, 0x18, 4, cfi | 1u << 25);
}

static void expect_fault(struct vtd *v, uint64_t addr, uint32_t data, uint16_t sid, unsigned fr, unsigned index)
{
	struct ir_result r;
	vtd_interrupt(v, addr, data, sid, &r);
	CU_ASSERT_EQUAL(r.kind, IR_BLOCKED);
	CU_ASSERT_EQUAL(r.fault, fr);
	check_frcd(v, 0, fr, sid, index);
	CU_ASSERT_EQUAL(rd(v, 0x34, 4) & 2, 2);      /* FSTS.PPF */
	clear_faults(v);
	CU_ASSERT_EQUAL(rd(v, 0x34, 4) & 3, 0);
	restart_index(v);
}

static void test_every_fault_reason(void)
{
	struct vtd v;
	setup(&v, false, false);
	put_irte(5, LO_X, HI_X);
	put_irte(7, 0, 0);                              /* not present */
	put_irte(8, LO_X | 1ULL << 24, HI_X);           /* reserved bit 24 */
	/* 0x20: data 31:16 set with a subhandle (FI holds the handle: no index was computed) */
	expect_fault(&v, raddr(4, true), 0x10001, 0x0108, 0x20, 4);
	/* 0x21: index 16 in a 16-entry table; handle bit 15 (address bit 2) */
	expect_fault(&v, raddr(16, false), 0, 0x0108, 0x21, 16);
	expect_fault(&v, raddr(0x8005, false), 0, 0x0108, 0x21, 0x8005);
	CU_ASSERT_EQUAL(raddr(0x8005, false), 0xfee000b4ULL);
	/* 0x21: handle 15 + subhandle 0xffff overflows 16 bits: still beyond */
	expect_fault(&v, raddr(15, true), 0xffff, 0x0108, 0x21, (15 + 0xffff) & 0xffff);
	/* 0x22, 0x24, 0x26 */
	expect_fault(&v, raddr(7, false), 0, 0x0108, 0x22, 7);
	expect_fault(&v, raddr(8, false), 0, 0x0108, 0x24, 8);
	expect_fault(&v, raddr(5, false), 0, 0x0110, 0x26, 5);
	/* the requester is verified before the format (5.1.4): reserved bit and
	 * wrong requester give 0x26; with SVT 11b nothing can be verified: 0x24 */
	expect_fault(&v, raddr(8, false), 0, 0x0110, 0x26, 8);
	put_irte(9, LO_X, HI_X | 3u << 18);
	expect_fault(&v, raddr(9, false), 0, 0x0110, 0x24, 9);
	/* 0x25: compatibility format with CFIS clear; FI holds address bits 19:5
	 * as for a handle (Linux DMAR logs show "fault index 0xa00 [fault reason
	 * 0x25]" for destination 0x14) */
	expect_fault(&v, 0xfee01000ULL, 0x31, 0x0108, 0x25, 0x80);
	expect_fault(&v, 0xfee14000ULL, 0x31, 0x0108, 0x25, 0xa00);
	/* 0x27, 0x28: reported by the machine for a posted result */
	put_irte(6, LO_P, HI_P);
	struct ir_result r;
	r = req(&v, 6, 0x0108);
	CU_ASSERT_EQUAL(r.kind, IR_POSTED);
	vtd_post_fault(&v, &r, VTD_FR_IR_PID);
	check_frcd(&v, 0, 0x27, 0x0108, 6);
	clear_faults(&v);
	restart_index(&v);
	vtd_post_fault(&v, &r, VTD_FR_IR_PID_RSVD);
	check_frcd(&v, 0, 0x28, 0x0108, 6);
	clear_faults(&v);
	restart_index(&v);
	/* 0x23: the table is not in memory */
	wr(&v, 0xb8, 8, OUTSIDE | 3);
	wr(&v, 0x18, 4, 1u << 25 | 1u << 24);           /* SIRTP, IRE kept */
	expect_fault(&v, raddr(9, false), 0, 0x0108, 0x23, 9);
	/* 0x21: an entry above HAW (2^39) although the index fits */
	wr(&v, 0xb8, 8, ((1ULL << 39) - 0x1000) | 0xf);   /* 65536 entries, 4 KiB below 2^39 */
	wr(&v, 0x18, 4, 1u << 25 | 1u << 24);
	expect_fault(&v, raddr(255, false), 0, 0x0108, 0x23, 255);   /* below HAW, no memory */
	expect_fault(&v, raddr(256, false), 0, 0x0108, 0x21, 256);
	CU_ASSERT_EQUAL(v.fault_reasons[0x21 - 0x20], 4);
	CU_ASSERT_EQUAL(v.faults_fpd, 0);
	CU_ASSERT_EQUAL(v.own_errors, 0);
}

static void test_fpd(void)
{
	struct vtd v;
	struct ir_result r;
	setup(&v, false, false);
	put_irte(1, 2, 0);                    /* not present, FPD */
	put_irte(2, LO_X | 2, HI_X);          /* present, FPD, SID 0x0108 */
	put_irte(3, (LO_X | 2) | 1ULL << 12, HI_X);   /* FPD and reserved bit */
	r = req(&v, 1, 0x0108);
	CU_ASSERT_EQUAL(r.fault, 0x22);
	CU_ASSERT(r.fpd);
	r = req(&v, 2, 0x0200);
	CU_ASSERT_EQUAL(r.fault, 0x26);
	r = req(&v, 3, 0x0108);
	CU_ASSERT_EQUAL(r.fault, 0x24);
	/* a posted entry with FPD: the machine's descriptor fault is silenced too */
	put_irte(4, LO_P | 2, HI_P);
	r = req(&v, 4, 0x0108);
	CU_ASSERT_EQUAL(r.kind, IR_POSTED);
	vtd_post_fault(&v, &r, VTD_FR_IR_PID);
	CU_ASSERT_EQUAL(v.faults_fpd, 4);
	CU_ASSERT_EQUAL(v.faults_recorded, 0);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0);
	/* FPD does not hide faults found before an entry is read */
	r = req(&v, 20, 0x0108);
	CU_ASSERT_EQUAL(r.fault, 0x21);
	CU_ASSERT_EQUAL(v.faults_recorded, 1);
	/* the remapped interrupt through an FPD entry is delivered normally */
	r = req(&v, 2, 0x0108);
	CU_ASSERT_EQUAL(r.kind, IR_REMAPPED);
}

static void test_fault_overflow(void)
{
	struct vtd v;
	setup(&v, false, false);
	/* four faults fill FRCD 0-3: FRI stays 0 (PPF was already set after the first) */
	for (unsigned i = 0; i < 4; i++) {
		req(&v, 100 + i, 0x0108);
		check_frcd(&v, i, 0x21, 0x0108, 100 + i);
	}
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0x0002);          /* PPF, FRI 0, no PFO */
	/* the fifth finds FRCD 0 still full: PFO, not recorded; the sixth is dropped */
	req(&v, 104, 0x0108);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0x0003);
	check_frcd(&v, 0, 0x21, 0x0108, 100);
	req(&v, 105, 0x0108);
	CU_ASSERT_EQUAL(v.faults_recorded, 4);
	CU_ASSERT_EQUAL(v.faults_overflow, 2);
	/* software frees FRCD 0 only and clears PFO: the next goes to FRCD 0
	 * (the index wrapped); FRI unchanged while 1-3 are pending */
	wr(&v, 0x22c, 4, 1u << 31);
	wr(&v, 0x34, 4, 1);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0x0002);
	req(&v, 106, 0x0200);
	check_frcd(&v, 0, 0x21, 0x0200, 106);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0x0002);
	/* all freed: the next is recorded in FRCD 1 and FRI says so */
	clear_faults(&v);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0);
	req(&v, 107, 0x0108);
	check_frcd(&v, 1, 0x21, 0x0108, 107);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4), 0x0102);          /* FRI 1, PPF */
	/* F is RW1C: writing 0 leaves it */
	wr(&v, 0x23c, 4, 0);
	CU_ASSERT_EQUAL(rd(&v, 0x23c, 4) >> 31, 1);
}

static void test_fault_event(void)
{
	struct vtd v;
	setup(&v, false, false);
	CU_ASSERT_EQUAL(rd(&v, 0x38, 4), 0x80000000u);    /* FECTL reset: IM */
	wr(&v, 0x3c, 4, 0x0031);                          /* FEDATA */
	wr(&v, 0x40, 4, 0xfee00000u);                     /* FEADDR */
	/* masked: IP set, nothing sent */
	req(&v, 99, 0x0108);
	CU_ASSERT_EQUAL(ev.n, 0);
	CU_ASSERT_EQUAL(rd(&v, 0x38, 4), 0xc0000000u);
	/* unmasking sends the pending event and clears IP */
	wr(&v, 0x38, 4, 0);
	CU_ASSERT_EQUAL(ev.n, 1);
	CU_ASSERT_EQUAL(ev.addr, 0xfee00000ULL);
	CU_ASSERT_EQUAL(ev.data, 0x31);
	CU_ASSERT_EQUAL(rd(&v, 0x38, 4), 0);
	/* a second fault while PPF is set: no new event */
	req(&v, 98, 0x0108);
	CU_ASSERT_EQUAL(ev.n, 1);
	/* nor for a queue error while a fault is unserviced (7.3) */
	iq_start(&v);
	iq_put(0x7, 0);
	iq_go(&v);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4) & 0x10, 0x10);
	CU_ASSERT_EQUAL(ev.n, 1);
	put128(QUEUE, 0x4, 0);
	wr(&v, 0x34, 4, 0x10);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4) & 0x10, 0);
	/* cleared, then a new fault: an event at once */
	clear_faults(&v);
	req(&v, 97, 0x0108);
	CU_ASSERT_EQUAL(ev.n, 2);
}

static void test_compat_format(void)
{
	struct vtd v;
	struct ir_result r;
	/* remapping off: everything passes as compatibility format */
	struct vtd_config c = { .haw = 39, .nfr = 4, .eim = true, .pi = true, .iec_entries = 8 };
	CU_ASSERT_EQUAL_FATAL(vtd_init(&v, &c, &vmem), 0);
	/* dest 3 (19:12), RH (3), DM (2); data: TM level (15), delivery NMI (10:8 = 100b), vector 0x31 */
	vtd_interrupt(&v, 0xfee0300cULL, 0x8431, 0x0108, &r);
	CU_ASSERT_EQUAL_FATAL(r.kind, IR_COMPAT);
	CU_ASSERT_EQUAL(r.irq.dest, 3);
	CU_ASSERT(r.irq.redir_hint);
	CU_ASSERT(r.irq.dest_logical);
	CU_ASSERT(r.irq.level);
	CU_ASSERT_EQUAL(r.irq.dlm, 4);
	CU_ASSERT_EQUAL(r.irq.vector, 0x31);
	r = req(&v, 5, 0x0108);
	CU_ASSERT_EQUAL(r.kind, IR_COMPAT);
	/* on, CFI clear: blocked (0x25) */
	setup(&v, false, false);
	vtd_interrupt(&v, 0xfee0300cULL, 0x8431, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_BLOCKED);
	CU_ASSERT_EQUAL(r.fault, 0x25);
	/* on, CFI set: passed (GSTS.CFIS reads 1) */
	setup(&v, false, true);
	CU_ASSERT_EQUAL(rd(&v, 0x1c, 4), 1u << 25 | 1u << 24 | 1u << 23);
	vtd_interrupt(&v, 0xfee0300cULL, 0x8431, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_COMPAT);
	CU_ASSERT_EQUAL(r.irq.vector, 0x31);
	/* EIME blocks compatibility format whatever CFIS says */
	setup(&v, true, true);
	vtd_interrupt(&v, 0xfee0300cULL, 0x8431, 0x0108, &r);
	CU_ASSERT_EQUAL(r.kind, IR_BLOCKED);
	CU_ASSERT_EQUAL(r.fault, 0x25);
	CU_ASSERT_EQUAL(v.faults_recorded, 1);
}

/* ---------------------------------------------------------------- IEC and the queue */

static void test_iec_hits_and_global_invalidation(void)
{
	struct vtd v;
	struct ir_result r;
	setup(&v, false, false);
	put_irte(5, LO_X, HI_X);
	unsigned reads = mem.reads;
	r = req(&v, 5, 0x0108);
	CU_ASSERT(!r.iec_hit);
	CU_ASSERT_EQUAL(mem.reads, reads + 1);
	r = req(&v, 5, 0x0108);
	CU_ASSERT(r.iec_hit);
	CU_ASSERT_EQUAL(mem.reads, reads + 1);
	/* the entry changes in memory: the IEC still has the old vector */
	put_irte(5, (LO_X & ~0xff0000ULL) | 0x46ULL << 16, HI_X);
	r = req(&v, 5, 0x0108);
	CU_ASSERT_EQUAL(r.irq.vector, 0x45);
	/* a cached entry is still checked against each requester */
	r = req(&v, 5, 0x0300);
	CU_ASSERT_EQUAL(r.fault, 0x26);
	/* global IEC invalidation (type 4, G = 0), then a wait with status write */
	iq_start(&v);
	iq_put(0x4, 0);
	iq_put(0x0000cafe00000025ULL, STATUS | 1ULL << 45);   /* wait: SW, data 0xcafe; bits above HAW ignored */
	iq_go(&v);
	CU_ASSERT_EQUAL(rd(&v, 0x80, 8), 2u << 4);   /* IQH caught up */
	uint32_t st;
	memcpy(&st, mem.b + (STATUS - MEM_BASE), 4);
	CU_ASSERT_EQUAL(st, 0xcafe);
	CU_ASSERT_EQUAL(iec_count(&v.ir.iec), 0);
	r = req(&v, 5, 0x0108);
	CU_ASSERT(!r.iec_hit);
	CU_ASSERT_EQUAL(r.irq.vector, 0x46);
	CU_ASSERT_EQUAL(v.descriptors, 2);
	CU_ASSERT_EQUAL(v.ir.iec.hits, 3);
	CU_ASSERT_EQUAL(v.ir.iec.misses, 2);
}

static void test_iec_index_invalidation(void)
{
	struct vtd v;
	struct ir_result r;
	setup(&v, false, false);
	for (unsigned i = 4; i < 8; i++) {
		put_irte(i, LO_X, HI_X);
		r = req(&v, i, 0x0108);
	}
	CU_ASSERT_EQUAL(iec_count(&v.ir.iec), 4);
	iq_start(&v);
	/* index-selective (G = 1), IIDX 5, IM 1: indexes 4 and 5 */
	iq_put(0x0000000508000014ULL, 0);
	iq_go(&v);
	CU_ASSERT_EQUAL(iec_count(&v.ir.iec), 2);
	r = req(&v, 4, 0x0108);
	CU_ASSERT(!r.iec_hit);
	r = req(&v, 5, 0x0108);
	CU_ASSERT(!r.iec_hit);
	r = req(&v, 6, 0x0108);
	CU_ASSERT(r.iec_hit);
	r = req(&v, 7, 0x0108);
	CU_ASSERT(r.iec_hit);
	/* IIDX 7, IM 0: just 7 */
	iq_put(0x0000000700000014ULL, 0);
	iq_go(&v);
	r = req(&v, 6, 0x0108);
	CU_ASSERT(r.iec_hit);
	r = req(&v, 7, 0x0108);
	CU_ASSERT(!r.iec_hit);
	/* LRU: 8 entries; filling a ninth evicts the least recently used (4) */
	for (unsigned i = 8; i < 13; i++) {
		put_irte(i, LO_X, HI_X);
		r = req(&v, i, 0x0108);
	}
	CU_ASSERT_EQUAL(iec_count(&v.ir.iec), 8);
	CU_ASSERT_EQUAL(v.ir.iec.evictions, 1);
	r = req(&v, 5, 0x0108);
	CU_ASSERT(r.iec_hit);
	r = req(&v, 4, 0x0108);
	CU_ASSERT(!r.iec_hit);
	/* not-present entries are never cached */
	put_irte(14, 0, 0);
	r = req(&v, 14, 0x0108);
	r = req(&v, 14, 0x0108);
	CU_ASSERT(!r.iec_hit);
}

static void test_queue_errors(void)
{
	struct vtd v;
	setup(&v, false, false);
	iq_start(&v);
	/* type 6 (scalable mode only): IQE, IQEI 3, IQH stays on it */
	iq_put(0x4, 0);
	iq_put(0x6, 0);
	iq_put(0x4, 0);
	iq_go(&v);
	CU_ASSERT_EQUAL(rd(&v, 0x34, 4) & 0x10, 0x10);
	CU_ASSERT_EQUAL(rd(&v, 0xb0, 8) & 0xf, 3);
	CU_ASSERT_EQUAL(rd(&v, 0x80, 8), 1u << 4);
	CU_ASSERT_EQUAL(v.descriptors, 1);
	/* software fixes it and clears IQE: the queue runs on */
	put128(QUEUE + 16, 0x4, 0);
	wr(&v, 0x34, 4, 0x10);
	CU_ASSERT_EQUAL(rd(&v, 0x80, 8), 3u << 4);
	CU_ASSERT_EQUAL(v.descriptors, 3);
	/* reserved bits: IEC bit 5, high quadword; wait PD (bit 7) */
	const uint64_t bad[3][2] = { { 0x24, 0 }, { 0x4, 1 }, { 0x85, 0 } };
	for (unsigned i = 0; i < 3; i++) {
		iq_put(bad[i][0], bad[i][1]);
		iq_go(&v);
		CU_ASSERT_EQUAL(rd(&v, 0xb0, 8) & 0xf, 4);
		CU_ASSERT_EQUAL(rd(&v, 0x80, 8), (3u + i) << 4);
		put128(QUEUE + 16 * (3 + i), 0x4, 0);
		wr(&v, 0x34, 4, 0x10);
	}
	CU_ASSERT_EQUAL(rd(&v, 0x80, 8), 6u << 4);
	/* tail beyond the 256-entry queue: IQEI 1 */
	wr(&v, 0x88, 8, 300u << 4);
	CU_ASSERT_EQUAL(rd(&v, 0xb0, 8) & 0xf, 1);
	wr(&v, 0x88, 8, 6u << 4);
	wr(&v, 0x34, 4, 0x10);
	/* a queue outside memory: IQEI 2 */
	wr(&v, 0x18, 4, 1u << 25);                 /* QIE off */
	wr(&v, 0x90, 8, OUTSIDE);
	wr(&v, 0x88, 8, 0);
	wr(&v, 0x18, 4, 1u << 26 | 1u << 25);
	wr(&v, 0x88, 8, 1u << 4);
	CU_ASSERT_EQUAL(rd(&v, 0xb0, 8) & 0xf, 2);
	CU_ASSERT_EQUAL(v.iq_errors, 6);
}

static void test_wait_completion_event(void)
{
	struct vtd v;
	setup(&v, false, false);
	wr(&v, 0xa4, 4, 0x41);            /* IEDATA */
	wr(&v, 0xa8, 4, 0xfee01000u);     /* IEADDR */
	wr(&v, 0xa0, 4, 0);               /* IECTL: unmask */
	iq_start(&v);
	iq_put(0x15, 0);                  /* wait, IF */
	iq_go(&v);
	CU_ASSERT_EQUAL(rd(&v, 0x9c, 4), 1);   /* ICS.IWC */
	CU_ASSERT_EQUAL(ev.n, 1);
	CU_ASSERT_EQUAL(ev.addr, 0xfee01000ULL);
	CU_ASSERT_EQUAL(ev.data, 0x41);
	/* IWC still set: no new event; cleared (RW1C): the next one signals */
	iq_put(0x15, 0);
	iq_go(&v);
	CU_ASSERT_EQUAL(ev.n, 1);
	wr(&v, 0x9c, 4, 1);
	CU_ASSERT_EQUAL(rd(&v, 0x9c, 4), 0);
	iq_put(0x15, 0);
	iq_go(&v);
	CU_ASSERT_EQUAL(ev.n, 2);
}

/* ---------------------------------------------------------------- registers */

static void test_registers(void)
{
	struct vtd v;
	setup(&v, false, false);
	CU_ASSERT_EQUAL(rd(&v, 0x00, 4), 0x10);                 /* VER 1.0 */
	uint64_t cap = rd(&v, 0x08, 8), ecap = rd(&v, 0x10, 8);
	CU_ASSERT_EQUAL((cap >> 40) & 0xff, 3);                 /* NFR = 4 - 1 */
	CU_ASSERT_EQUAL(((cap >> 24) & 0x3ff) * 16, 0x220);     /* FRO */
	CU_ASSERT_EQUAL((cap >> 59) & 1, 1);                    /* PI */
	CU_ASSERT_EQUAL((cap >> 16) & 0x3f, 38);                /* MGAW = HAW - 1 */
	CU_ASSERT_EQUAL((ecap >> 1) & 1, 1);                    /* QI */
	CU_ASSERT_EQUAL((ecap >> 3) & 1, 1);                    /* IR */
	CU_ASSERT_EQUAL((ecap >> 4) & 1, 1);                    /* EIM */
	CU_ASSERT_EQUAL((ecap >> 20) & 0xf, 0xf);               /* MHMV */
	/* 32-bit halves of a 64-bit register */
	CU_ASSERT_EQUAL(rd(&v, 0x0c, 4), cap >> 32);
	CU_ASSERT_EQUAL(rd(&v, 0x18, 4), 0);                    /* GCMD is write-only */
	CU_ASSERT_EQUAL(rd(&v, 0x1c, 4), 1u << 25 | 1u << 24);  /* IRES, IRTPS */
	/* IRTA written in halves; not in effect until SIRTP */
	wr(&v, 0xb8, 4, 0x00345007);
	wr(&v, 0xbc, 4, 0x1);
	CU_ASSERT_EQUAL(rd(&v, 0xb8, 8), 0x100345007ULL);
	CU_ASSERT_EQUAL(v.ir.table, TABLE);
	CU_ASSERT_EQUAL(v.ir.entries, 16);
	wr(&v, 0x18, 4, 1u << 25 | 1u << 24);
	CU_ASSERT_EQUAL(v.ir.table, 0x100345000ULL);
	CU_ASSERT_EQUAL(v.ir.entries, 256);
	/* reserved IRTA bits 10:4 are not kept */
	wr(&v, 0xb8, 8, 0x7f0);
	CU_ASSERT_EQUAL(rd(&v, 0xb8, 8), 0);
	/* IRE off */
	wr(&v, 0x18, 4, 0);
	CU_ASSERT_EQUAL(rd(&v, 0x1c, 4), 1u << 24);
	CU_ASSERT_FALSE(v.ir.enabled);
	CU_ASSERT_EQUAL(v.own_errors, 0);
	/* bad widths, misalignment, outside the window, reserved offsets, read-only writes */
	CU_ASSERT_EQUAL(rd(&v, 0x1c, 2), 0);
	CU_ASSERT_EQUAL(rd(&v, 0x1a, 4), 0);
	CU_ASSERT_EQUAL(rd(&v, 0x1000, 4), 0);
	CU_ASSERT_EQUAL(rd(&v, 0x30, 4), 0);
	wr(&v, 0x08, 8, 0);
	wr(&v, 0x1c, 4, ~0u);
	CU_ASSERT_EQUAL(rd(&v, 0x08, 8), cap);
	CU_ASSERT_EQUAL(v.own_errors, 6);
	/* FRCD beyond NFR is a reserved offset */
	CU_ASSERT_EQUAL(rd(&v, 0x220 + 4 * 16, 8), 0);
	CU_ASSERT_EQUAL(v.own_errors, 7);
}

static void test_bad_config(void)
{
	struct vtd v;
	struct vtd_config c = { .haw = 31, .nfr = 1 };
	CU_ASSERT_EQUAL(vtd_init(&v, &c, &vmem), -1);
	c.haw = 39;
	c.nfr = 0;
	CU_ASSERT_EQUAL(vtd_init(&v, &c, &vmem), -1);
	c.nfr = 17;
	CU_ASSERT_EQUAL(vtd_init(&v, &c, &vmem), -1);
	c.nfr = 16;
	c.iec_entries = 65;
	CU_ASSERT_EQUAL(vtd_init(&v, &c, &vmem), -1);
	c.iec_entries = 64;
	CU_ASSERT_EQUAL(vtd_init(&v, &c, &vmem), 0);
}

static CU_TestInfo tests[] = {
	{ "IRTE remapped fields", test_irte_remapped_fields },
	{ "IRTE xAPIC and x2APIC destinations", test_irte_destination_forms },
	{ "IRTE reserved fields", test_irte_reserved },
	{ "IRTE posted format", test_irte_posted },
	{ "source-id validation SVT/SQ", test_sid_validation },
	{ "remapping through the table", test_remap_through_table },
	{ "x2APIC through the table, EIME", test_x2apic_through_table },
	{ "every fault reason", test_every_fault_reason },
	{ "FPD suppresses qualified faults", test_fpd },
	{ "fault recording overflow", test_fault_overflow },
	{ "fault event", test_fault_event },
	{ "compatibility format", test_compat_format },
	{ "IEC hits, global invalidation", test_iec_hits_and_global_invalidation },
	{ "IEC index invalidation, LRU", test_iec_index_invalidation },
	{ "invalidation queue errors", test_queue_errors },
	{ "wait descriptor completion event", test_wait_completion_event },
	{ "registers", test_registers },
	{ "bad configuration", test_bad_config },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("iommu_ir", tests);
}
