/* Page-walk caches and the nested TLB.  See pwc.h. */
#include "mmu/pwc.h"
#include <string.h>

static bool is_x86(enum mmu_format fmt)
{
	return fmt == MMU_X86_PAGING || fmt == MMU_EPT;
}

int pwc_slot(enum mmu_format fmt, int level)
{
	int s = is_x86(fmt) ? 5 - level : level + 1;
	return s >= 0 && s <= PWC_SLOTS ? s : -1;
}

unsigned pwc_entry_shift(const struct mmu_stage *st, unsigned slot)
{
	unsigned g = is_x86(st->fmt) ? 12 : st->granule_shift;
	return g + (g - 3) * (PWC_SLOTS - slot);
}

static const char *const slot_names[2][PWC_SLOTS] = {
	{ "pwc.s1.slot0", "pwc.s1.slot1", "pwc.s1.slot2", "pwc.s1.slot3" },
	{ "pwc.s2.slot0", "pwc.s2.slot1", "pwc.s2.slot2", "pwc.s2.slot3" },
};

int pwc_init(struct pwc *p, const struct pwc_geom *g)
{
	memset(p, 0, sizeof *p);
	for (unsigned st = 0; st < 2; st++)
		for (unsigned s = 0; s < PWC_SLOTS; s++) {
			struct tlb_geom one = g->lvl[st][s];
			one.classes = TLB_ALL_CLASSES;
			if (tlb_init(st ? &p->s2[s] : &p->s1[s], slot_names[st][s], &one, 1) < 0) {
				pwc_free(p);
				return -1;
			}
		}
	if (tlb_init(&p->ntlb, "ntlb", g->ntlb, g->ntlb_arrays) < 0) {
		pwc_free(p);
		return -1;
	}
	p->s1_holds_pa = g->s1_holds_pa;
	return 0;
}

void pwc_free(struct pwc *p)
{
	for (unsigned s = 0; s < PWC_SLOTS; s++) {
		tlb_free(&p->s1[s]);
		tlb_free(&p->s2[s]);
	}
	tlb_free(&p->ntlb);
}

unsigned pwc_invalidate_s1(struct pwc *p, const struct tlb_scope *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PWC_SLOTS; i++)
		n += tlb_invalidate(&p->s1[i], s);
	return n;
}

unsigned pwc_invalidate_s2(struct pwc *p, const struct tlb_scope *s)
{
	struct tlb_scope s2 = *s;
	s2.by &= TLB_BY_S2 | TLB_BY_ADDR;
	unsigned n = tlb_invalidate(&p->ntlb, &s2);
	for (unsigned i = 0; i < PWC_SLOTS; i++)
		n += tlb_invalidate(&p->s2[i], &s2);
	return n;
}
