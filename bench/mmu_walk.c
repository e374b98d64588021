/* make bench: walks per second of mmu_walk alone (no TLB, no walk cache),
 * for x86 4-level paging under 4-level EPT (24 references a walk), the
 * 5+5-level case (35) and VMSAv8-64 4K stage 1 + stage 2 (24).  Tables are
 * built with mmu/build.h in a memory array; each walk translates one of
 * 512 pages in turn.  Prints one line per case; exit 1 if a walk faults.
 *
 * usage: mmu_walk [SECONDS per case, default 0.3] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "mmu/build.h"
#include "mmu/mmu.h"

#define BASE 0x1000000ULL
#define SIZE (4ULL << 20)
#define PAGES 512

struct mem {
	uint8_t *b;
	uint64_t next;
};

static bool rd(void *ctx, uint64_t pa, uint64_t *d)
{
	struct mem *m = ctx;
	if (pa < BASE || pa - BASE > SIZE - 8)
		return false;
	memcpy(d, m->b + (pa - BASE), 8);
	return true;
}

static bool wr(void *ctx, uint64_t pa, uint64_t d)
{
	struct mem *m = ctx;
	if (pa < BASE || pa - BASE > SIZE - 8)
		return false;
	memcpy(m->b + (pa - BASE), &d, 8);
	return true;
}

static bool alloc(void *ctx, uint64_t size, uint64_t *a)
{
	struct mem *m = ctx;
	uint64_t p = (m->next + size - 1) & ~(size - 1);
	if (p + size > BASE + SIZE)
		return false;
	memset(m->b + (p - BASE), 0, size);
	m->next = p + size;
	*a = p;
	return true;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void build(struct mem *m, struct mmu_stage *st, uint64_t ia, uint64_t oa, uint64_t size)
{
	struct mmu_builder b = { st, { rd, wr, m }, alloc, m };
	if ((!st->root && mmu_build_root(&b, &st->root)) || mmu_map(&b, ia, oa, size, 12, 31, -1)) {
		fprintf(stderr, "mmu_walk: %s\n", err_msg());
		exit(1);
	}
}

static int run(const char *name, struct mmu_stage s1, struct mmu_stage s2, double secs)
{
	struct mem m = { calloc(1, SIZE), BASE };
	const uint64_t va = 0x7f0000000000ULL, gpa = 0x40000000ULL;
	build(&m, &s2, BASE, BASE, SIZE);              /* stage 1's tables, identity */
	build(&m, &s2, gpa, 0x80000000ULL, PAGES * 4096ULL);
	build(&m, &s1, va, gpa, PAGES * 4096ULL);
	struct mmu_regime r = { &s1, &s2, { rd, wr, &m } };
	static struct mmu_result res;
	unsigned long n = 0;
	double t0 = now(), t;
	do {
		for (unsigned i = 0; i < 4096; i++, n++) {
			struct mmu_access a = { va + ((n % PAGES) << 12), MMU_R, false };
			if (!mmu_walk(&r, &a, &res)) {
				fprintf(stderr, "mmu_walk: %s: walk faulted (kind %d)\n", name, res.fault.kind);
				return 1;
			}
		}
		t = now() - t0;
	} while (t < secs);
	printf("  %-28s %2u refs/walk  %10.0f walks/s  %6.1f ns/walk\n", name, res.nrefs, n / t, t * 1e9 / n);
	free(m.b);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.3;
	struct mmu_stage x = { .fmt = MMU_X86_PAGING, .levels = 4, .oa_bits = 46, .ctl = MMU_CTL_NXE | MMU_CTL_WP };
	struct mmu_stage e = { .fmt = MMU_EPT, .levels = 4, .oa_bits = 46 };
	struct mmu_stage v1 = { .fmt = MMU_VMSA_S1, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48 };
	struct mmu_stage v2 = { .fmt = MMU_VMSA_S2, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48 };
	struct mmu_stage x5 = x, e5 = e;
	x5.levels = e5.levels = 5;
	printf("mmu walker alone (no caches), CPU time, %.1f s a case:\n", secs);
	return run("x86 + EPT, 4+4 levels", x, e, secs) | run("x86 + EPT, 5+5 levels", x5, e5, secs) |
	       run("VMSA 4K stage 1 + 2, 4+4", v1, v2, secs);
}
