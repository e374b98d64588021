/* Event queue: (when, insertion order) ordering. */
#include <stdlib.h>
#include <string.h>

#include "core/sim.h"
#include "tests/unit/unit.h"

static void nop(void *ctx, cycles_t when)
{
	(void)ctx;
	(void)when;
}

static void test_empty(void)
{
	struct evq q;
	struct sim_event ev;
	cycles_t w = 123;

	evq_init(&q);
	CU_ASSERT_FALSE(evq_peek(&q, &w));
	CU_ASSERT_FALSE(evq_pop(&q, &ev));
	CU_ASSERT_EQUAL(w, 123);
	evq_push(&q, 5, nop, NULL);
	CU_ASSERT_TRUE(evq_pop(&q, &ev));
	CU_ASSERT_FALSE(evq_pop(&q, &ev));
	evq_free(&q);
}

static void test_order_and_ties(void)
{
	/* ctx records the insertion index; equal times must come out in that order. */
	static const cycles_t when[] = { 30, 10, 20, 10, 30, 0, 10, 20 };
	static const int expect[] = { 5, 1, 3, 6, 2, 7, 0, 4 };
	int ids[8];
	struct evq q;
	struct sim_event ev;
	cycles_t w;

	evq_init(&q);
	for (int i = 0; i < 8; i++) {
		ids[i] = i;
		evq_push(&q, when[i], nop, &ids[i]);
	}
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_TRUE_FATAL(evq_peek(&q, &w));
		CU_ASSERT_TRUE_FATAL(evq_pop(&q, &ev));
		CU_ASSERT_EQUAL(w, ev.when);
		CU_ASSERT_EQUAL(*(int *)ev.ctx, expect[i]);
		CU_ASSERT_EQUAL(ev.when, when[expect[i]]);
		CU_ASSERT_PTR_EQUAL(ev.fn, nop);
	}
	CU_ASSERT_FALSE(evq_peek(&q, &w));
	evq_free(&q);
}

struct ref {
	cycles_t when;
	unsigned id;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Random pushes (many ties) interleaved with pops: every pop must return
 * the (when, insertion order)-minimum of the events still queued, computed
 * by brute force over a reference array. */
static void test_random_vs_reference(void)
{
	enum { N = 6000 };
	struct ref *pushed = calloc(N, sizeof *pushed);
	unsigned *ids = calloc(N, sizeof *ids);
	bool *gone = calloc(N, sizeof *gone);
	unsigned npush = 0, npop = 0, bad = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct evq q;
	struct sim_event ev;

	evq_init(&q);
	while (npop < N) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned burst = 1 + (unsigned)(x % 8);
		for (unsigned i = 0; i < burst && npush < N; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			ids[npush] = npush;
			pushed[npush].when = x % 300;
			pushed[npush].id = npush;
			evq_push(&q, pushed[npush].when, nop, &ids[npush]);
			npush++;
		}
		/* Pop fewer than pushed so the heap grows, then drain at the end. */
		unsigned pops = npush < N ? burst / 2 : N - npop;
		for (unsigned i = 0; i < pops; i++) {
			unsigned best = N;
			for (unsigned j = 0; j < npush; j++)
				if (!gone[j] && (best == N || ref_cmp(&pushed[j], &pushed[best]) < 0))
					best = j;
			CU_ASSERT_TRUE_FATAL(evq_pop(&q, &ev));
			unsigned id = *(unsigned *)ev.ctx;
			if (id != best || ev.when != pushed[best].when || ev.seq != best)
				bad++;
			gone[id] = true;
			npop++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(npush, N);
	CU_ASSERT_FALSE(evq_pop(&q, &ev));
	free(pushed);
	free(ids);
	free(gone);
	evq_free(&q);
}

/* Pushing everything first and draining gives exactly the sorted order. */
static void test_bulk_sorted(void)
{
	enum { N = 5000 };
	struct ref *ref = calloc(N, sizeof *ref);
	unsigned *ids = calloc(N, sizeof *ids);
	uint64_t x = 12345;
	struct evq q;
	struct sim_event ev;
	unsigned bad = 0;

	evq_init(&q);
	for (unsigned i = 0; i < N; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		ref[i].when = (x >> 33) % 1000;
		ref[i].id = ids[i] = i;
		evq_push(&q, ref[i].when, nop, &ids[i]);
	}
	qsort(ref, N, sizeof *ref, ref_cmp);
	for (unsigned i = 0; i < N; i++) {
		CU_ASSERT_TRUE_FATAL(evq_pop(&q, &ev));
		if (ev.when != ref[i].when || *(unsigned *)ev.ctx != ref[i].id)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(q.next_seq, N);
	free(ref);
	free(ids);
	evq_free(&q);
}

static CU_TestInfo tests[] = {
	{ "empty", test_empty },
	{ "order_and_ties", test_order_and_ties },
	{ "random_vs_reference", test_random_vs_reference },
	{ "bulk_sorted", test_bulk_sorted },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("core_evq", tests);
}
