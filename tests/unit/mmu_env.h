/* Shared by the tests/unit/test_mmu_*.c programs: a small host memory with
 * a bump allocator for table pages, stages built with mmu/build.h, and
 * counters over a walk's references.  Expected values in the tests come
 * from the manuals (counts (n+1)(m+1)-1, error-code and syndrome bit
 * positions), never from the walker. */
#ifndef HVSIM_TESTS_MMU_ENV_H
#define HVSIM_TESTS_MMU_ENV_H
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mmu/build.h"
#include "mmu/mmu.h"
#include "tests/unit/unit.h"

/* Table memory: POOL_SIZE bytes at host-physical POOL_BASE; reads anywhere
 * else fail (outside RAM). */
#define POOL_BASE 0x1000000ULL
#define POOL_SIZE (8ULL << 20)

struct env {
	uint8_t *mem;
	uint64_t next;        /* bump allocator */
	unsigned reads, writes;
};

static inline bool env_read(void *ctx, uint64_t pa, uint64_t *d)
{
	struct env *e = ctx;
	e->reads++;
	if (pa < POOL_BASE || pa - POOL_BASE > POOL_SIZE - 8 || (pa & 7))
		return false;
	memcpy(d, e->mem + (pa - POOL_BASE), 8);
	return true;
}

static inline bool env_write(void *ctx, uint64_t pa, uint64_t d)
{
	struct env *e = ctx;
	e->writes++;
	if (pa < POOL_BASE || pa - POOL_BASE > POOL_SIZE - 8 || (pa & 7))
		return false;
	memcpy(e->mem + (pa - POOL_BASE), &d, 8);
	return true;
}

static inline bool env_alloc(void *ctx, uint64_t size, uint64_t *addr)
{
	struct env *e = ctx;
	uint64_t a = (e->next + size - 1) & ~(size - 1);
	if (a + size > POOL_BASE + POOL_SIZE)
		return false;
	memset(e->mem + (a - POOL_BASE), 0, size);
	e->next = a + size;
	*addr = a;
	return true;
}

static inline struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof *e);
	e->mem = calloc(1, POOL_SIZE);
	e->next = POOL_BASE;
	return e;
}

static inline void env_free(struct env *e)
{
	free(e->mem);
	free(e);
}

static inline struct mmu_mem env_mem(struct env *e)
{
	return (struct mmu_mem){ env_read, env_write, e };
}

static inline struct mmu_builder env_builder(struct env *e, const struct mmu_stage *st)
{
	return (struct mmu_builder){ st, env_mem(e), env_alloc, e };
}

/* Allocates st's root table */
static inline void env_root(struct env *e, struct mmu_stage *st)
{
	struct mmu_builder b = env_builder(e, st);
	CU_ASSERT_FATAL(mmu_build_root(&b, &st->root) == 0);
}

static inline void env_map(struct env *e, const struct mmu_stage *st, uint64_t ia, uint64_t oa, uint64_t size,
		    unsigned shift, unsigned perms)
{
	struct mmu_builder b = env_builder(e, st);
	int rc = mmu_map(&b, ia, oa, size, shift, perms, MMU_ATTR_DEFAULT);
	if (rc)
		fprintf(stderr, "env_map: %s\n", err_msg());
	CU_ASSERT_FATAL(rc == 0);
}

/* Stage 2 identity-maps the table pool, so stage-1 tables (GPAs) sit at
 * the same host-physical addresses. */
static inline void env_map_pool(struct env *e, const struct mmu_stage *s2, unsigned shift)
{
	uint64_t page = 1ULL << shift, lo = POOL_BASE & ~(page - 1);
	uint64_t hi = (POOL_BASE + POOL_SIZE + page - 1) & ~(page - 1);
	env_map(e, s2, lo, lo, hi - lo, shift, MMU_R | MMU_W | MMU_X | MMU_U | MMU_UX);
}

/* The descriptor at (ia, level) of st, by the builder's own tables */
static inline uint64_t *env_desc(struct env *e, const struct mmu_stage *st, uint64_t ia, int level)
{
	struct mmu_builder b = env_builder(e, st);
	uint64_t a;
	CU_ASSERT_FATAL(mmu_entry_addr(&b, ia, level, &a));
	CU_ASSERT_FATAL(a >= POOL_BASE && a < POOL_BASE + POOL_SIZE);
	return (uint64_t *)(e->mem + (a - POOL_BASE));
}

#define RWXU (MMU_R | MMU_W | MMU_X | MMU_U | MMU_UX)
#define GPA_DATA 0x40000000ULL     /* 1 GiB aligned: every page size fits */
#define PA_DATA  0x80000000ULL
#define VA_DATA  0x7f0040000000ULL

/* Stages as the tests use them */
static inline struct mmu_stage x86_s1(unsigned levels)
{
	return (struct mmu_stage){ .fmt = MMU_X86_PAGING, .levels = levels, .oa_bits = 46,
				   .ctl = MMU_CTL_NXE | MMU_CTL_WP };
}

static inline struct mmu_stage ept(unsigned levels)
{
	return (struct mmu_stage){ .fmt = MMU_EPT, .levels = levels, .oa_bits = 46 };
}

static inline struct mmu_stage vmsa_s1(unsigned g, unsigned ia)
{
	return (struct mmu_stage){ .fmt = MMU_VMSA_S1, .granule_shift = g, .ia_bits = ia, .oa_bits = 48 };
}

static inline struct mmu_stage vmsa_s2(unsigned g, unsigned ia, int start)
{
	return (struct mmu_stage){ .fmt = MMU_VMSA_S2, .granule_shift = g, .ia_bits = ia, .start_level = start,
				   .oa_bits = 48 };
}

/* A fresh memory with s2 (if any) identity-mapping the pool in 4K pages,
 * and s1 (if any) mapping the 4K page VA_DATA to GPA_DATA, all rights. */
static inline struct env *env_setup(struct mmu_stage *s1, struct mmu_stage *s2)
{
	struct env *e = env_new();
	if (s2) {
		env_root(e, s2);
		env_map_pool(e, s2, 12);
	}
	if (s1) {
		env_root(e, s1);
		env_map(e, s1, VA_DATA, GPA_DATA, 4096, 12, RWXU);
	}
	return e;
}

static inline unsigned nreads(const struct mmu_result *r)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->nrefs; i++)
		n += !(r->ref[i].flags & MMU_REF_UPDATE);
	return n;
}

static inline unsigned nupdates(const struct mmu_result *r)
{
	return r->nrefs - nreads(r);
}

/* The walk faulted with this kind, stage, level and architectural syndrome */
static inline void expect_fault(const struct mmu_result *r, enum mmu_fault_kind kind, unsigned stage, int level,
				uint64_t syndrome)
{
	CU_ASSERT_EQUAL(r->fault.kind, kind);
	CU_ASSERT_EQUAL(r->fault.stage, stage);
	CU_ASSERT_EQUAL(r->fault.level, level);
	CU_ASSERT_EQUAL(r->fault.syndrome, syndrome);
	if (r->fault.kind != kind || r->fault.stage != stage || r->fault.level != level || r->fault.syndrome != syndrome)
		fprintf(stderr, "  fault: kind %d stage %u level %d syndrome %#llx; expected %d %u %d %#llx\n",
			r->fault.kind, r->fault.stage, r->fault.level, (unsigned long long)r->fault.syndrome, kind, stage,
			level, (unsigned long long)syndrome);
}

/* ... a stage-2 fault at this GPA, on a stage-1 table access or not */
static inline void expect_gpa(const struct mmu_result *r, uint64_t gpa, bool s1ptw)
{
	CU_ASSERT_EQUAL(r->fault.gpa, gpa);
	CU_ASSERT_EQUAL(r->fault.s1ptw, s1ptw);
}

static inline bool walk(struct env *e, const struct mmu_stage *s1, const struct mmu_stage *s2, uint64_t addr,
		 unsigned type, bool user, struct mmu_result *res)
{
	struct mmu_regime r = { s1, s2, env_mem(e) };
	struct mmu_access a = { addr, type, user };
	return mmu_walk(&r, &a, res);
}

/* Builds s2 (pool identity + data) and s1 (VA_DATA -> GPA_DATA) with the
 * given page sizes, walks a read and checks the PA and the read count. */
static inline void nested(struct mmu_stage *s1, struct mmu_stage *s2, unsigned sh1, unsigned sh2, unsigned expect,
		   struct mmu_result *res)
{
	struct env *e = env_new();
	env_root(e, s2);
	env_root(e, s1);
	env_map_pool(e, s2, sh2);
	uint64_t big = 1ULL << (sh1 > sh2 ? sh1 : sh2);
	env_map(e, s2, GPA_DATA, PA_DATA, big, sh2, RWXU);
	env_map(e, s1, VA_DATA, GPA_DATA, 1ULL << sh1, sh1, RWXU);
	uint64_t off = 0x123;
	bool ok = walk(e, s1, s2, VA_DATA + off, MMU_R, false, res);
	if (!ok)
		fprintf(stderr, "fault kind %d stage %d level %d\n", res->fault.kind, res->fault.stage, res->fault.level);
	CU_ASSERT_FATAL(ok);
	CU_ASSERT_EQUAL(res->pa, PA_DATA + off);
	CU_ASSERT_EQUAL(res->gpa, GPA_DATA + off);
	CU_ASSERT_EQUAL(nreads(res), expect);
	CU_ASSERT_EQUAL(nupdates(res), 0);
	CU_ASSERT_EQUAL(res->s1_shift, sh1);
	CU_ASSERT_EQUAL(res->s2_shift, sh2);
	CU_ASSERT_EQUAL(res->page_shift, sh1 < sh2 ? sh1 : sh2);
	env_free(e);
}

/* The order: per stage-1 step i, m stage-2 reads (step i, levels top
 * down) then the stage-1 read (step i); finally m stage-2 reads (step n). */
static inline void check_order(const struct mmu_result *res, unsigned n, unsigned m, int s1top, int s2top, int dir)
{
	unsigned k = 0;
	for (unsigned i = 0; i <= n; i++) {
		for (unsigned j = 0; j < m; j++, k++) {
			CU_ASSERT_EQUAL(res->ref[k].stage, 2);
			CU_ASSERT_EQUAL(res->ref[k].step, i);
			CU_ASSERT_EQUAL(res->ref[k].level, s2top + dir * (int)j);
		}
		if (i == n)
			break;
		CU_ASSERT_EQUAL(res->ref[k].stage, 1);
		CU_ASSERT_EQUAL(res->ref[k].step, i);
		CU_ASSERT_EQUAL(res->ref[k].level, s1top + dir * (int)i);
		CU_ASSERT_EQUAL(res->ref[k].ia, VA_DATA + 0x123);
		k++;
	}
	CU_ASSERT_EQUAL(k, res->nrefs);
	/* the stage-1 leaf, and the final stage-2 leaf, are marked */
	CU_ASSERT(res->ref[res->nrefs - 1].flags & MMU_REF_LEAF);
	CU_ASSERT(res->ref[res->nrefs - 1 - m].flags & MMU_REF_LEAF);
	CU_ASSERT_EQUAL(!!(res->ref[0].flags & MMU_REF_LEAF), m == 1);
}

/* The walk faults as expect_fault says */
static inline void fails(struct env *e, const struct mmu_stage *s1, const struct mmu_stage *s2, uint64_t addr,
			 unsigned type, bool user, struct mmu_result *res, enum mmu_fault_kind kind, unsigned stage,
			 int level, uint64_t syndrome)
{
	CU_ASSERT_FALSE(walk(e, s1, s2, addr, type, user, res));
	expect_fault(res, kind, stage, level, syndrome);
}

#endif
