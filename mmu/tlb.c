/* Set-associative translation caches.  See tlb.h. */
#include "mmu/tlb.h"
#include <stdlib.h>
#include <string.h>
#include "core/err.h"

enum tlb_class tlb_class_of(unsigned shift)
{
	if (shift <= 16)
		return TLB_PAGE;
	return shift < 30 ? TLB_BLOCK2 : TLB_BLOCK1;
}

int tlb_init(struct tlb *t, const char *name, const struct tlb_geom *arrays, unsigned narrays)
{
	memset(t, 0, sizeof *t);
	t->name = name;
	for (unsigned i = 0; i < narrays && t->narrays < TLB_MAX_ARRAYS; i++) {
		if (!arrays[i].sets || !arrays[i].ways || !arrays[i].classes)
			continue;
		struct tlb_array *a = &t->a[t->narrays];
		a->g = arrays[i];
		a->e = calloc((size_t)a->g.sets * a->g.ways, sizeof *a->e);
		if (!a->e) {
			tlb_free(t);
			return err_set("%s: out of memory for %u x %u entries", name, arrays[i].sets, arrays[i].ways);
		}
		t->narrays++;
	}
	t->enabled = t->narrays > 0;
	return 0;
}

void tlb_free(struct tlb *t)
{
	for (unsigned i = 0; i < t->narrays; i++)
		free(t->a[i].e);
	t->narrays = 0;
	t->enabled = false;
}

static struct tlb_entry *set_of(const struct tlb_array *a, uint64_t vpn)
{
	return &a->e[(size_t)(vpn % a->g.sets) * a->g.ways];
}

static bool tags_match(const struct tlb_entry *e, uint16_t s1tag, uint16_t s2tag)
{
	return e->s2tag == s2tag && (e->global || e->s1tag == s1tag);
}

static struct tlb_entry *find(const struct tlb *t, uint64_t ia, uint16_t s1tag, uint16_t s2tag)
{
	for (unsigned i = 0; i < t->narrays; i++) {
		const struct tlb_array *a = &t->a[i];
		for (unsigned shift = 0; shift < 64; shift++) {
			if (!(a->shifts >> shift & 1))
				continue;
			uint64_t vpn = ia >> shift;
			struct tlb_entry *set = set_of(a, vpn);
			for (unsigned w = 0; w < a->g.ways; w++)
				if (set[w].valid && set[w].shift == shift && set[w].vpn == vpn &&
				    tags_match(&set[w], s1tag, s2tag))
					return &set[w];
		}
	}
	return NULL;
}

const struct tlb_entry *tlb_probe(const struct tlb *t, uint64_t ia, uint16_t s1tag, uint16_t s2tag)
{
	return t->enabled ? find(t, ia, s1tag, s2tag) : NULL;
}

const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t ia, uint16_t s1tag, uint16_t s2tag)
{
	if (!t->enabled)
		return NULL;
	t->st.lookups++;
	struct tlb_entry *e = find(t, ia, s1tag, s2tag);
	if (e) {
		t->st.hits++;
		e->stamp = ++t->clock;
	}
	return e;
}

static struct tlb_array *array_for(struct tlb *t, unsigned shift)
{
	for (unsigned i = 0; i < t->narrays; i++)
		if (t->a[i].g.classes & TLB_CLASS_BIT(tlb_class_of(shift)))
			return &t->a[i];
	return NULL;
}

/* The same translation (address, size, tags, globalness) already held */
static struct tlb_entry *same_in_set(struct tlb_entry *set, unsigned ways, const struct tlb_entry *e, uint64_t vpn)
{
	for (unsigned w = 0; w < ways; w++)
		if (set[w].valid && set[w].vpn == vpn && set[w].shift == e->shift && set[w].s2tag == e->s2tag &&
		    set[w].global == e->global && (e->global || set[w].s1tag == e->s1tag))
			return &set[w];
	return NULL;
}

/* Lowest-indexed invalid way, else least recently used */
static struct tlb_entry *victim_in_set(struct tlb_entry *set, unsigned ways)
{
	struct tlb_entry *v = &set[0];
	for (unsigned w = 0; w < ways; w++) {
		if (!set[w].valid)
			return &set[w];
		if (set[w].stamp < v->stamp)
			v = &set[w];
	}
	return v;
}

static void drop(struct tlb *t, struct tlb_entry *e, enum tlb_why why)
{
	struct tlb_entry old = *e;
	e->valid = false;
	if (why == TLB_WHY_REPLACED)
		t->st.replaced++;
	else
		t->st.invalidated++;
	if (t->evict)
		t->evict(t->evict_ctx, t, &old, why);
}

bool tlb_fill(struct tlb *t, const struct tlb_entry *e, struct tlb_entry *victim)
{
	if (victim)
		victim->valid = false;
	struct tlb_array *a = t->enabled ? array_for(t, e->shift) : NULL;
	if (!a || e->shift >= 64)
		return false;
	uint64_t vpn = e->vpn;
	struct tlb_entry *set = set_of(a, vpn);
	struct tlb_entry *slot = same_in_set(set, a->g.ways, e, vpn);
	if (!slot) {
		slot = victim_in_set(set, a->g.ways);
		if (slot->valid) {
			if (victim)
				*victim = *slot;
			drop(t, slot, TLB_WHY_REPLACED);
		}
	}
	*slot = *e;
	slot->valid = true;
	slot->stamp = ++t->clock;
	a->shifts |= 1ull << e->shift;
	t->st.fills++;
	return true;
}

static bool in_scope(const struct tlb_entry *e, const struct tlb_scope *s)
{
	if ((s->by & TLB_BY_S2) && e->s2tag != s->s2tag)
		return false;
	if ((s->by & TLB_BY_S1) && !e->global && e->s1tag != s->s1tag)
		return false;
	if ((s->by & TLB_BY_ADDR) && e->vpn != s->addr >> e->shift)
		return false;
	return !((s->by & TLB_NONGLOBAL) && e->global);
}

unsigned tlb_invalidate(struct tlb *t, const struct tlb_scope *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->a[i];
		for (size_t k = 0; k < (size_t)a->g.sets * a->g.ways; k++)
			if (a->e[k].valid && in_scope(&a->e[k], s)) {
				drop(t, &a->e[k], TLB_WHY_INVALIDATED);
				n++;
			}
	}
	return n;
}

unsigned tlb_invalidate_all(struct tlb *t)
{
	struct tlb_scope all = { 0 };
	return tlb_invalidate(t, &all);
}

unsigned tlb_count(const struct tlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->narrays; i++)
		for (size_t k = 0; k < (size_t)t->a[i].g.sets * t->a[i].g.ways; k++)
			n += t->a[i].e[k].valid;
	return n;
}
