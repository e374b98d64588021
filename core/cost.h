/* A cost as the sum of named parts: an exit is the hardware trap, the state
 * the hypervisor saves and restores, its handler, a round trip to the
 * userspace VMM...  The models (cpu/el2, cpu/vmx) name their parts and fill
 * them from the design; core only adds them up. */
#ifndef HVSIM_CORE_COST_H
#define HVSIM_CORE_COST_H
#include "core/sim.h"

#define COST_PARTS_MAX 16

struct cost {
	cycles_t part[COST_PARTS_MAX];
};

/* All parts 0.  A copy of a zero object rather than a memset, which GCC
 * emits for 128 bytes as `rep stos`: the loads of the parts that follow on
 * every exit (cost_total) cannot take their values forwarded from those
 * stores and wait for them to reach the cache. */
static inline void cost_clear(struct cost *c)
{
	static const struct cost zero;
	*c = zero;
}

static inline cycles_t cost_total(const struct cost *c)
{
	cycles_t t = 0;
	for (unsigned i = 0; i < COST_PARTS_MAX; i++)
		t += c->part[i];
	return t;
}

#endif
