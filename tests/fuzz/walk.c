/* Fuzz target: the page-table walker (mmu/walk.c) over random tables and
 * configurations.  Input: a 37-byte header -- [0] which stages (stage 1
 * none/x86/VMSA x stage 2 none/EPT/VMSA), [1] stage-1 levels or granule
 * shift, [2] ia_bits, [3] oa_bits, [4..5] ctl, [6..11] the same for stage
 * 2 with [8] its start level, [12..19] stage-1 root, [20..27] stage-2
 * root, [28..35] the address, [36] access type and privilege -- then
 * records of 10 bytes, a slot (u16: PA = slot * 8) and its 64-bit value,
 * that fill host memory at PA 0 .. MEM_SIZE (zero elsewhere in it; beyond
 * it reads fail: outside RAM).
 * Every configuration field is passed raw: the walker must cope with any.
 * Promises checked: the walk returns; a fault names a present stage and a
 * fault kind, success none; the reads recorded are the reads made, in
 * order, and at most (n+1)(m+1)-1 for 5+5 levels; only descriptors read
 * are written; a successful walk keeps the page offset; no stage means
 * PA = address; the same input walks the same way twice. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "mmu/mmu.h"

#define HDR 37
#define MEM_SIZE (65536 * 8)
#define MAX_LOG 256

struct fmem {
	uint8_t mem[MEM_SIZE];
	uint64_t reads[MAX_LOG], writes[MAX_LOG];
	unsigned nreads, nwrites;
};

static bool fm_read(void *ctx, uint64_t pa, uint64_t *d)
{
	struct fmem *m = ctx;
	if (m->nreads < MAX_LOG)
		m->reads[m->nreads] = pa;
	m->nreads++;
	if (pa > MEM_SIZE - 8)
		return false;
	memcpy(d, m->mem + pa, 8);
	return true;
}

static bool fm_write(void *ctx, uint64_t pa, uint64_t d)
{
	struct fmem *m = ctx;
	if (m->nwrites < MAX_LOG)
		m->writes[m->nwrites] = pa;
	m->nwrites++;
	if (pa > MEM_SIZE - 8)
		return false;
	memcpy(m->mem + pa, &d, 8);
	return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void stage_from(struct mmu_stage *st, const uint8_t *h, enum mmu_format fmt)
{
	memset(st, 0, sizeof *st);
	st->fmt = fmt;
	st->levels = h[0];
	st->granule_shift = h[0];
	st->ia_bits = h[1];
	st->oa_bits = h[2];
	st->ctl = (uint32_t)le(h + 3, 2);
}

static void run(struct fmem *m, const uint8_t *data, size_t size, const struct mmu_regime *r,
		const struct mmu_access *a, struct mmu_result *res, bool *ok)
{
	memset(m->mem, 0, MEM_SIZE);
	for (size_t i = HDR; i + 10 <= size; i += 10)
		memcpy(m->mem + 8 * le(data + i, 2), data + i + 2, 8);
	m->nreads = m->nwrites = 0;
	*ok = mmu_walk(r, a, res);
}

static void check(const struct fmem *m, const struct mmu_regime *r, const struct mmu_access *a,
		  const struct mmu_result *res, bool ok)
{
	fuzz_check(res->nrefs <= MMU_MAX_REFS, "references within MMU_MAX_REFS");
	fuzz_check(ok == (res->fault.kind == MMU_FAULT_NONE), "a fault kind exactly when the walk fails");
	if (!ok)
		fuzz_check((res->fault.stage == 1 && r->s1) || (res->fault.stage == 2 && r->s2), "the fault names a present stage");
	unsigned k = 0, upd = 0;
	for (unsigned i = 0; i < res->nrefs; i++) {
		const struct mmu_ref *f = &res->ref[i];
		if (f->flags & MMU_REF_UPDATE) {
			upd++;
			continue;
		}
		fuzz_check(upd == 0, "write-backs come after the reads");
		fuzz_check(k < m->nreads && m->reads[k] == f->pa, "each read recorded is the read made, in order");
		k++;
	}
	fuzz_check(k <= 35, "at most (5+1)(5+1)-1 reads");
	if (!ok)
		fuzz_check(m->nreads == k && m->nwrites == 0, "a fault reads no more than it records and writes nothing");
	for (unsigned w = 0; w < m->nwrites && w < MAX_LOG; w++) {
		bool read = false;
		for (unsigned i = 0; i < res->nrefs && !read; i++)
			read = res->ref[i].pa == m->writes[w] && !(res->ref[i].flags & MMU_REF_UPDATE);
		fuzz_check(read, "only descriptors the walk read are written");
	}
	if (ok) {
		uint64_t off = res->page_shift >= 64 ? ~0ULL : (1ULL << res->page_shift) - 1;
		fuzz_check(res->page_shift >= 12 && (res->pa & off) == (a->addr & off), "the page offset is kept");
		if (!r->s1 && !r->s2)
			fuzz_check(res->pa == a->addr && res->nrefs == 0, "no stage: PA = address");
	}
}

static bool same(const struct mmu_result *x, const struct mmu_result *y)
{
	const struct mmu_fault *f = &x->fault, *g = &y->fault;
	if (x->nrefs != y->nrefs || x->pa != y->pa || x->perms != y->perms || f->kind != g->kind ||
	    f->stage != g->stage || f->level != g->level || f->s1ptw != g->s1ptw || f->gpa != g->gpa ||
	    f->syndrome != g->syndrome)
		return false;
	for (unsigned i = 0; i < x->nrefs; i++) {
		const struct mmu_ref *p = &x->ref[i], *q = &y->ref[i];
		if (p->pa != q->pa || p->ia != q->ia || p->stage != q->stage || p->level != q->level ||
		    p->step != q->step || p->flags != q->flags)
			return false;
	}
	return true;
}

static struct fmem m1, m2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	static const enum mmu_format f1[] = { MMU_X86_PAGING, MMU_VMSA_S1 }, f2[] = { MMU_EPT, MMU_VMSA_S2 };
	unsigned k1 = data[0] % 3, k2 = data[0] / 3 % 3;
	struct mmu_stage s1, s2;
	stage_from(&s1, data + 1, k1 ? f1[k1 - 1] : MMU_X86_PAGING);
	stage_from(&s2, data + 6, k2 ? f2[k2 - 1] : MMU_EPT);
	s2.start_level = (int8_t)data[8];
	s2.oa_bits = data[9];
	s2.ctl = (uint32_t)le(data + 10, 2);
	s1.root = le(data + 12, 8);
	s2.root = le(data + 20, 8);
	struct mmu_access a = { le(data + 28, 8), 1u << (data[36] % 3), data[36] & 0x80 };
	struct mmu_regime r1 = { k1 ? &s1 : NULL, k2 ? &s2 : NULL, { fm_read, fm_write, &m1 } };
	struct mmu_regime r2 = r1;
	r2.mem.ctx = &m2;
	static struct mmu_result res1, res2;
	bool ok1, ok2;
	run(&m1, data, size, &r1, &a, &res1, &ok1);
	check(&m1, &r1, &a, &res1, ok1);
	run(&m2, data, size, &r2, &a, &res2, &ok2);
	fuzz_check(ok1 == ok2 && same(&res1, &res2) && !memcmp(m1.mem, m2.mem, MEM_SIZE), "deterministic");
	return 0;
}
