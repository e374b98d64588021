/* The translation front end.  See xlate.h. */
#include "cpu/xlate.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "cpu/vcpu.h"
#include "mmu/vmsa.h"
#include "mmu/x86pt.h"

/* An unmapped host-physical page, above every guest-physical space and the
 * table pool: a replayed data access sent there stops with its exact
 * address (xlate_take_fault). */
#define XLATE_SCRATCH (1ULL << 43)

/* Unicorn's target page: 4 KiB on x86, 1 KiB on AArch64 (TOOLCHAIN-NOTES) */
static uint64_t uc_page(const struct vcpus *s)
{
	return s->m->isa == ISA_A64 ? 1024 : 4096;
}

/* ---- small maps (open addressing, linear probing) ---- */
#if XLATE_SUPPORTED
static unsigned slot(const struct xlate_map *m, uint64_t key)
{
	uint64_t z = key + 0x9E3779B97F4A7C15ULL;   /* splitmix64 finaliser */
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (unsigned)(z ^ (z >> 31)) & (m->cap - 1);
}

static uint64_t *map_find(const struct xlate_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (unsigned i = slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == key)
			return &m->v[i];
		if (!m->k[i])
			return NULL;
	}
}

static bool map_put(struct xlate_map *m, uint64_t key, uint64_t val)
{
	if ((m->len + 1) * 2 > m->cap) {
		struct xlate_map n = { .cap = m->cap ? m->cap * 2 : 256 };
		if (!(n.k = calloc(n.cap, sizeof *n.k)) || !(n.v = calloc(n.cap, sizeof *n.v))) {
			free(n.k);
			return false;
		}
		for (unsigned i = 0; i < m->cap; i++)
			if (m->k[i])
				map_put(&n, m->k[i], m->v[i]);
		free(m->k);
		free(m->v);
		*m = n;
	}
	unsigned i = slot(m, key);
	while (m->k[i] && m->k[i] != key)
		i = (i + 1) & (m->cap - 1);
	m->len += !m->k[i];
	m->k[i] = key;
	m->v[i] = val;
	return true;
}

#endif

static void map_free(struct xlate_map *m)
{
	free(m->k);
	free(m->v);
	*m = (struct xlate_map){ 0 };
}

/* One translation being made */
struct xreq {
	struct mmu_stage s1;
	struct mmu_regime r;
	struct mmu_access a;
	struct mmu_result res;
	bool phys;                /* the output is not RAM: Unicorn's physical map handles it */
};

static enum xlate_s1 regime(struct vcpu *v, uint64_t va, unsigned type, struct xreq *q)
{
	struct vcpus *s = v->set;
	q->a = (struct mmu_access){ .addr = va, .type = type };
	q->r = (struct mmu_regime){ .s2 = memvirt_stage2(&s->mv), .mem = memvirt_mem(&s->mv) };
	q->res.nrefs = 0;
	q->res.fault = (struct mmu_fault){ .kind = MMU_FAULT_NONE };
	q->phys = false;
	enum xlate_s1 k = s->arch->stage1(v, va, type, &q->s1, &q->a.user, &q->res.fault);
	q->r.s1 = k == XLATE_S1_ON ? &q->s1 : NULL;
	return k;
}

/* The walk.  A stage-2 fault on the final GPA of a page that is not RAM (a
 * device, a gap, beyond the IPA space) is what the hypervisor takes as an
 * MMIO exit: the page then goes to Unicorn's physical map, whose MMIO
 * callbacks charge those exits as without the model; its stage-1
 * translation comes from a walk of stage 1 alone (RAM is at HPA == GPA).
 * q->res keeps the hardware's references for the cost. */
static bool walk(struct vcpu *v, struct xreq *q, enum xlate_s1 k)
{
	if (k == XLATE_S1_FAULT || k == XLATE_S1_UNICORN)
		return false;
	if (mmu_walk(&q->r, &q->a, &q->res)) {
		q->phys = !machine_in_ram(v->set->m, q->res.pa, 1);
		return true;
	}
	const struct mmu_fault *f = &q->res.fault;
	if (f->stage != 2 || f->s1ptw || machine_in_ram(v->set->m, f->gpa, 1))
		return false;
	struct mmu_regime r1 = q->r;
	r1.s2 = NULL;
	static __thread struct mmu_result t;
	if (!mmu_walk(&r1, &q->a, &t)) {
		q->res.fault = t.fault;
		return false;
	}
	q->res.pa = t.pa;
	q->res.gpa = t.gpa;
	q->res.perms = t.perms;
	q->res.s1_dirty = t.s1_dirty;
	q->res.s2_dirty = true;
	q->res.page_shift = t.page_shift;
	q->phys = true;
	return true;
}

/* An exit the translation model takes: the world switch and its handler. */
static void model_exit(struct vcpu *v, unsigned x, cycles_t handler, const char *what)
{
	struct cost c = v->set->xvm.sw;
	c.part[v->set->handler_part] += handler;
	v->set->arch->model_exit(v, x, &c, what);
}

static void shadow_exit(struct vcpu *v, unsigned x, cycles_t handler, uint64_t *counter)
{
	model_exit(v, x, handler, "shadow paging");
	(*counter)++;
}

/* KVM keeps shadow roots and syncs entries on INVLPG/TLBI (FNAME(invlpg),
 * kvm_mmu_sync_roots) rather than dropping them: no hidden fault follows. */
void xlate_shadow_exit(struct vcpu *v, bool page, uint64_t pc)
{
	struct vcpus *s = v->set;
	if (!v->xl.on || s->mv.stage2 != MV_S2_SHADOW)
		return;
	if (page)
		shadow_exit(v, s->xvm.x_invlpg, s->mv.shadow_invlpg_cycles, s->xvm.st_invlpg);
	else
		shadow_exit(v, s->xvm.x_switch, s->mv.shadow_switch_cycles, s->xvm.st_switches);
}

#if XLATE_SUPPORTED
/* The stage-1 leaf's global bit (x86 G, VMSA !nG), which mmu_result does
 * not carry: read back from the leaf descriptor. */
static bool leaf_global(const struct xreq *q)
{
	if (!q->r.s1)
		return false;
	for (unsigned i = 0; i < q->res.nrefs; i++) {
		const struct mmu_ref *f = &q->res.ref[i];
		uint64_t d;
		if (f->stage != 1 || !(f->flags & MMU_REF_LEAF) || !q->r.mem.read(q->r.mem.ctx, f->pa, &d))
			continue;
		return q->s1.fmt == MMU_X86_PAGING ? FIELD_EX(d, X86PTE, G) : !FIELD_EX(d, VMSAD, NG);
	}
	return false;
}

/* An Accessed/Dirty write-back: the hardware walks even on a TLB hit */
static bool wrote_back(const struct mmu_result *res)
{
	for (unsigned i = 0; i < res->nrefs; i++)
		if (res->ref[i].flags & MMU_REF_UPDATE)
			return true;
	return false;
}

/* ---- shadow paging (stage2 = shadow) ----
 * The hardware walks the hypervisor's shadow tables: a one-dimensional walk
 * with the guest's shape (KVM's shadow pages mirror the guest's levels),
 * modelled as the walk of the guest's own tables with no stage 2.  The
 * hypervisor keeps the shadow coherent by write-protecting every guest
 * page-table page it has shadowed: a guest store to one is an exit
 * (shadow_pt_write_cycles), sent through an MMIO alias of guest RAM so that
 * every store exits.  The first translation of a (root, page) is a hidden
 * page fault (shadow_fault_cycles); CR3/TTBR writes and INVLPG/TLBI exit. */
#define KEY_BIT (1ULL << 63)   /* map keys are never 0 */

static uint64_t shadow_key(const struct xreq *q)
{
	uint64_t root = q->r.s1 ? q->s1.root : 0, va = q->a.addr >> 12;
	return (root * 0x100000001B3ULL ^ va) | KEY_BIT;
}

/* The table a stage-1 reference read: its VA base, entry shift and index
 * bits, so a store into it names the translations it changes. */
static void note_table(struct vcpus *s, const struct xreq *q, const struct mmu_ref *f)
{
	bool x86 = q->s1.fmt == MMU_X86_PAGING;
	unsigned g = x86 ? 12 : q->s1.granule_shift, stride = g - 3;
	unsigned sh = x86 ? X86_LEVEL_SHIFT(f->level) : vmsa_level_shift(g, f->level);
	uint64_t span = sh + stride >= 64 ? ~0ULL : (1ULL << (sh + stride)) - 1;
	uint64_t val = (f->ia & ~span) | sh | stride << 6, table = f->pa & ~((1ULL << g) - 1);
	bool added = false;
	for (uint64_t p = table; p < table + (1ULL << g); p += 4096) {
		uint64_t key = (p >> 12) | KEY_BIT;
		if (!map_find(&s->xvm.pt_pages, key)) {
			added = true;
			map_put(&s->xvm.pt_pages, key, val);
		}
	}
	/* newly write-protected: no engine may keep writing it directly */
	for (unsigned i = 0; added && i < s->n; i++)
		s->v[i]->xl.flush = true;
}

static void shadow_fill(struct vcpu *v, const struct xreq *q)
{
	struct vcpus *s = v->set;
	for (unsigned i = 0; i < q->res.nrefs; i++) {
		const struct mmu_ref *f = &q->res.ref[i];
		if (f->stage == 1 && !(f->flags & MMU_REF_UPDATE))
			note_table(s, q, f);
	}
	uint64_t key = shadow_key(q);
	if (map_find(&s->xvm.shadowed, key))
		return;
	map_put(&s->xvm.shadowed, key, 1);
	shadow_exit(v, q->a.type == MMU_X ? s->xvm.x_hidden_fetch : s->xvm.x_hidden, s->mv.shadow_fault_cycles,
		    s->xvm.st_hidden);
}

/* A write fill to a write-protected table goes to the alias */
static bool shadow_protected(const struct vcpu *v, const struct xreq *q)
{
	return map_find(&v->set->xvm.pt_pages, (q->res.pa >> 12) | KEY_BIT) != NULL;
}

static uint64_t alias_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct vcpu *v = ud;
	uint64_t val = 0;
	vcpu_read_phys(v, v->set->m->ram_base + off, &val, size);
	return val;
}

/* A store into a shadowed table: the exit and the store.  KVM updates the
 * shadow entry in place (kvm_mmu_pte_write), so no hidden fault follows;
 * the guest's own INVLPG/TLBI makes the change visible, as on hardware.
 * Unicorn splits an 8-byte store into two 4-byte ones: the exit is counted
 * on the first. */
static void alias_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	struct vcpus *s = v->set;
	struct machine *m = s->m;
	if (!machine_in_ram(m, m->ram_base + off, size))
		return;
	memcpy(m->ram + off, &val, size);
	if (!(off & 7))
		shadow_exit(v, s->xvm.x_pt_write, s->mv.shadow_pt_write_cycles, s->xvm.st_pt_writes);
}

/* ---- dirty logging ([dirty] mode: wp, pml, dbm; mmu/dirty.h) ----
 * Unicorn must see the first write to each page in a round: a fill grants
 * write permission only to pages already dirty in this round, and the end
 * of a round (all pages clean again) flushes every engine's TLB.  The first
 * write fill of a page is then exactly the write that takes the
 * write-protection fault (wp), logs the GPA (pml: a PML-full exit on the
 * 513th) or sets the hardware dirty state (dbm, no exit). */
static void dirty_fill(struct vcpu *v, const struct xreq *q, uint32_t *perms)
{
	struct xlate_vm *xv = &v->set->xvm;
	struct dirty *d = &xv->dirty;
	uint64_t gpa = q->res.gpa, page = (gpa - d->base) >> 12;
	if (gpa < d->base || page >= d->npages)
		return;
	if (q->a.type == MMU_W) {
		bool exited = false;
		uint64_t cyc = dirty_write(d, v->id, gpa, &exited);
		if (exited)   /* for --trace-out */
			vcpu_note_exit(v, 0, v->set->arch->get_pc(v));
		if (exited && d->mode == DIRTY_WP)
			vcpu_note_wp_fault(v, gpa, q->a.addr);
		if (exited)
			model_exit(v, d->mode == DIRTY_PML ? xv->x_pml : xv->x_wp, cyc - xv->exit_entry, "dirty logging");
		else
			v->sc.clock += cyc;
	}
	if (!d->dirty[page])
		*perms &= ~(uint32_t)UC_PROT_WRITE;
}

/* Charges one translation to the vCPU: the TLB lookup, and the walk the
 * hardware makes on a miss (or to write back A/D state). */
static void charge(struct vcpu *v, struct xreq *q, bool ok)
{
	struct xlate *x = &v->xl;
	uint64_t sample = v->set->mv.sample, cyc;
	if (sample > 1 && x->fills % sample) {
		cyc = x->sampled ? x->sampled_cycles / x->sampled : 0;
	} else {
		struct mmu_cost lc, wc;
		const struct tlb_entry *hit = mmu_cost_lookup(&x->c, &q->r, &q->a, &lc);
		cyc = lc.cycles;
		if (!hit || (ok && wrote_back(&q->res))) {
			mmu_cost_walk(&x->c, &q->r, &q->a, &q->res, leaf_global(q), &wc);
			cyc += wc.cycles;
		}
		x->sampled++;
		x->sampled_cycles += cyc;
	}
	v->sc.clock += cyc;
	*x->st_cycles += cyc;
}

/* Unicorn's permissions for the page.  Write permission only once the
 * leaves are dirty, so the first write fills again and the walker sets D
 * (or the DBM state) as the hardware would. */
static uint32_t uc_perms(const struct xreq *q)
{
	uint32_t p = 0;
	bool dirty = q->a.type == MMU_W || ((!q->r.s1 || q->res.s1_dirty) && (!q->r.s2 || q->res.s2_dirty));
	if (q->res.perms & MMU_R)
		p |= UC_PROT_READ;
	if ((q->res.perms & MMU_W) && dirty)
		p |= UC_PROT_WRITE;
	if (q->res.perms & MMU_X)
		p |= UC_PROT_EXEC;
	return p;
}

static unsigned access_type(uc_mem_type type)
{
	return type == UC_MEM_WRITE ? MMU_W : type == UC_MEM_FETCH ? MMU_X : MMU_R;
}

static bool hook_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *out, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	struct xlate *x = &v->xl;
	unsigned t = access_type(type);
	if (x->replaying && va == x->fault_page && t == x->fault_type) {
		out->paddr = XLATE_SCRATCH;
		out->perms = UC_PROT_READ | UC_PROT_WRITE;
		return true;
	}
	uint64_t until = v->set->arch->run_until_addr, pmask = ~(uc_page(v->set) - 1);
	if (t == MMU_X && (va == (until & pmask) || va == ((until - 1) & pmask))) {
		/* uc_emu_start translates its end address (never a guest PC:
		 * the top of the VA space on ARM, the canonical hole on x86) */
		out->paddr = XLATE_SCRATCH;
		out->perms = UC_PROT_EXEC;
		return true;
	}
	struct xreq q;
	enum xlate_s1 k = regime(v, va, t, &q);
	if (k == XLATE_S1_UNICORN) {
		x->to_unicorn = true;   /* refused: Unicorn stops at the access, precisely */
		return false;
	}
	/* Entries made with stage 1 off (the MMU off: the hypervisor's stage 2
	 * alone, global, ASID 0) must not serve the guest once it turns its
	 * MMU on, nor the other way round: the modelled TLBs start again when
	 * stage 1 is switched (on x86 the MOV to CR0 already invalidates). */
	if (x->s1_was_on != (q.r.s1 != NULL)) {
		if (x->s1_was_on >= 0 && x->caches) {
			struct tlb_scope sc = { .by = TLB_BY_S2, .s2tag = xlate_s2tag(v) };
			mmu_caches_invalidate(&x->c, &sc);
		}
		x->s1_was_on = q.r.s1 != NULL;
	}
	bool ok = walk(v, &q, k);
	if (!x->replaying) {
		x->fills++;
		(*x->st_fills)++;
		*x->st_mmio += q.phys;
		if (k != XLATE_S1_FAULT && v->set->mv.sync != MV_SYNC_EXACT && !x->faults_only)
			charge(v, &q, ok);
	}
	if (x->flush) {
		x->flush = false;
		(*x->st_flushes)++;
		xlate_flush_unicorn(v);
	}
	if (!ok) {
		x->fault = q.res.fault;
		x->fault_type = t;
		x->fault_page = va;
		x->fault_pending = true;
		return false;
	}
	out->paddr = q.res.pa & ~(uc_page(v->set) - 1);
	out->perms = uc_perms(&q);
	/* a replay's stores run again after it */
	if (v->set->code.on && !x->replaying)
		vcpu_code_fill(v->set, t, q.res.pa, &out->perms);
	if (v->set->mv.stage2 == MV_S2_SHADOW && !q.phys && !x->replaying) {
		shadow_fill(v, &q);
		if (shadow_protected(v, &q)) {
			out->perms &= ~(uint32_t)UC_PROT_WRITE;
			if (t == MMU_W) {
				out->paddr = v->set->xvm.alias_base + (out->paddr - v->set->m->ram_base);
				out->perms = UC_PROT_READ | UC_PROT_WRITE;
			}
		}
	}
	if (v->set->xvm.dirty_on && !q.phys && !x->replaying)
		dirty_fill(v, &q, &out->perms);
	if (x->flush) {   /* shadow_fill may have write-protected a table */
		x->flush = false;
		(*x->st_flushes)++;
		xlate_flush_unicorn(v);
	}
	return true;
}

/* tlb_sync = exact: every data access looks the modelled TLB up */
static void hook_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	if (v->xl.replaying)
		return;
	struct xreq q;
	enum xlate_s1 k = regime(v, addr, access_type(type), &q);
	if (k == XLATE_S1_FAULT)
		return;
	bool ok = walk(v, &q, k);
	charge(v, &q, ok);
}
#endif

/* The modelled TLB dropped an entry Unicorn may still hold.  evict: only
 * the last level counts (Unicorn's TLB never holds a page the model would
 * walk for; an L1 miss that hits the L2 TLB goes unseen), evict_all: every
 * level. */
static void on_evict(void *ctx, const struct tlb *t, const struct tlb_entry *e, enum tlb_why why)
{
	struct vcpu *v = ctx;
	const struct tlb *l2 = &v->xl.c.tlb[MMU_TLB_L2];
	switch (v->set->mv.sync) {
	case MV_SYNC_EVICT:
		if (t == l2 || !l2->enabled || !l2->narrays)
			v->xl.flush = true;
		break;
	case MV_SYNC_EVICT_ALL:
	case MV_SYNC_EXACT:
		v->xl.flush = true;
		break;
	case MV_SYNC_SLICE:
		break;
	}
}

static void register_stats(struct vcpu *v)
{
	struct xlate *x = &v->xl;
	struct stats *st = v->set->m->stats;
	char path[96];
	snprintf(x->prefix, sizeof x->prefix, "vcpus.%u.mmu", v->id);
#define XSTAT(field, name, doc) do { \
	snprintf(path, sizeof path, "vcpus.%u.xlate.%s", v->id, name); \
	x->field = stats_counter(st, path, doc); } while (0)
	XSTAT(st_fills, "fills", "Unicorn TLB misses translated by the model (each looks the modelled TLB up)");
	XSTAT(st_mmio, "fills_not_ram", "of them, pages that are not RAM (devices, gaps: Unicorn's physical map)");
	XSTAT(st_faults_s1, "faults_stage1", "translation faults delivered to the guest (stage 1)");
	XSTAT(st_faults_s2, "faults_stage2", "stage-2 faults taken by the hypervisor");
	XSTAT(st_flushes, "unicorn_tlb_flushes", "flushes of Unicorn's TLB that follow the modelled one (tlb_sync)");
	XSTAT(st_invalidations, "guest_invalidations", "guest TLB maintenance operations (TLBI, INVLPG, MOV CR3)");
	XSTAT(st_cycles, "cycles", "cycles charged to translation: TLB lookups and walks");
#undef XSTAT
	mmu_caches_register_stats(&x->c, st, x->prefix);
}

static void unsupported(struct vcpus *s)
{
	unsigned major, minor;
	uc_version(&major, &minor);
	err_set("[mmu] model = on: the translation model needs Unicorn 2.1 or newer (hvsim runs with %u.%u; "
		"./configure --install-deps fetches 2.1)", major, minor);
	sim_stop(&s->sim, SIM_STOP_UNSUPPORTED, 0);
}

/* The alias of guest RAM that write-protected page tables are sent to */
#define ALIAS_BASE (1ULL << 41)

void xlate_declare_exits(struct vcpus *s)
{
	struct xlate_vm *xv = &s->xvm;
	bool shadow = s->mv.on && s->mv.stage2 == MV_S2_SHADOW;
	bool pml = s->mv.on && cfg_enum(s->m->cfg, "dirty", "mode") == DIRTY_PML;
	if (s->m->isa == ISA_A64) {
		/* shadow paging on ARM: table stores and hidden faults are stage-2
		 * aborts, TTBR writes and TLBI trapped (HCR_EL2.TVM, TTLB) */
		el2_switch_parts(&s->el2, &xv->sw);
		xv->exit_entry = cost_total(&xv->sw);
		xv->x_pt_write = xv->x_hidden = xv->x_wp = EL2X_DABT_LOW;
		xv->x_hidden_fetch = EL2X_IABT_LOW;
		xv->x_switch = xv->x_invlpg = EL2X_SYS64;
		return;
	}
	vmx_switch_parts(&s->vmx, &xv->sw);
	xv->exit_entry = cost_total(&xv->sw);
	xv->x_wp = VMXX_EPT_VIOLATION;
	if (pml) {   /* SDM Vol. 3C Appendix C: page-modification log full, 62 */
		xv->x_pml = s->nexits;
		s->exit_names[s->nexits++] = "PML_FULL";
	}
	if (!shadow)
		return;
	/* SDM Vol. 3C Appendix C: #PF exits (exception bitmap), CR access 28, INVLPG 14 */
	xv->x_pt_write = xv->x_hidden = xv->x_hidden_fetch = s->nexits;
	s->exit_names[s->nexits++] = "EXCEPTION_NMI";
	xv->x_switch = VMXX_CR_ACCESS;
	xv->x_invlpg = s->nexits;
	s->exit_names[s->nexits++] = "INVLPG";
}

/* 1: attached; 0: this Unicorn cannot (the run is stopped); -1 + err_set */
static int attach(struct vcpu *v)
{
#if XLATE_SUPPORTED
	uc_hook h;
	if (uc_ctl_tlb_mode(v->uc, UC_TLB_VIRTUAL) != UC_ERR_OK) {
		unsupported(v->set);
		return 0;
	}
	if (uc_hook_add(v->uc, &h, UC_HOOK_TLB_FILL, hook_fill, v, 1, 0) != UC_ERR_OK)
		return err_set("cpu%u: cannot install the translation hook (UC_HOOK_TLB_FILL)", v->id);
	if (v->set->mv.sync == MV_SYNC_EXACT &&
	    uc_hook_add(v->uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, hook_access, v, 1, 0) != UC_ERR_OK)
		return err_set("cpu%u: cannot install the per-access hook of tlb_sync = exact", v->id);
	if (v->set->mv.stage2 == MV_S2_SHADOW &&
	    uc_mmio_map(v->uc, ALIAS_BASE, v->set->m->ram_size, alias_read, v, alias_write, v) != UC_ERR_OK)
		return err_set("cpu%u: cannot map the write-protection alias of guest RAM", v->id);
	return 1;
#else
	unsupported(v->set);
	return 0;
#endif
}

/* With the model off the guest's stage-1 faults still need a syndrome,
 * which only hvsim's walker gives, and stores into code must reach the
 * decoder (struct code_pages): with Unicorn 2.1 every engine translates
 * through it, stage 1 alone and at no cost.  Unicorn 2.0.1 has no fill
 * hook: a stage-1 fault there stops the run (a64.c), and x86 faults are
 * Unicorn's own. */
static int faults_only(struct vcpus *s)
{
#if XLATE_SUPPORTED
	s->mv.stage2 = MV_S2_NONE;
	s->mv.sync = MV_SYNC_EVICT;
	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->v[i];
		struct xlate *x = &v->xl;
		uc_hook h;
		if (uc_ctl_tlb_mode(v->uc, UC_TLB_VIRTUAL) != UC_ERR_OK ||
		    uc_hook_add(v->uc, &h, UC_HOOK_TLB_FILL, hook_fill, v, 1, 0) != UC_ERR_OK)
			return err_set("cpu%u: cannot install the translation hook (UC_HOOK_TLB_FILL)", v->id);
		x->on = x->faults_only = true;
		x->s1_was_on = -1;
		x->st_fills = x->st_mmio = x->st_faults_s1 = x->st_faults_s2 = x->st_flushes = x->st_cycles =
			x->st_invalidations = &x->sink;
	}
#else
	(void)s;
#endif
	return 0;
}

int xlate_init(struct vcpus *s)
{
	/* Unicorn retranslates code a store changes, with no instruction to say
	 * so (x86: SDM Vol. 3A 8.1.3; ARM asks for IC maintenance first, but
	 * a guest that skips it gets the new code from Unicorn too): the
	 * decoder must follow (struct code_pages) */
	if (XLATE_SUPPORTED && vcpu_code_init(s, uc_page(s)) < 0)
		return -1;
	if (!s->mv.on)
		return faults_only(s);
	if (s->mv.stage2 == MV_S2_SHADOW) {
		struct stats *st = s->m->stats;
		s->xvm.alias_base = ALIAS_BASE;
		s->xvm.st_pt_writes = stats_counter(st, "mmu.shadow.pt_write_exits", "guest stores to write-protected page tables");
		s->xvm.st_hidden = stats_counter(st, "mmu.shadow.hidden_faults", "first translations of a (root, page): shadow misses");
		s->xvm.st_switches = stats_counter(st, "mmu.shadow.switch_exits", "trapped CR3/TTBR writes");
		s->xvm.st_invlpg = stats_counter(st, "mmu.shadow.invlpg_exits", "trapped INVLPG/TLBI");
	}
	if (cfg_enum(s->m->cfg, "dirty", "mode") != DIRTY_OFF) {
		if (s->mv.stage2 == MV_S2_NONE)
			return err_set("dirty.mode needs the hypervisor's second stage (mmu.stage2 = nested or shadow)");
		if (dirty_init(&s->xvm.dirty, s->m->cfg, s->m->isa == ISA_A64, s->xvm.exit_entry, s->n, s->m->ram_base,
			       s->m->ram_size) < 0)
			return -1;
		s->xvm.dirty_on = true;
		s->xvm.next_round = s->mv.dirty_round_cycles;
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->v[i];
		int a = attach(v);
		if (a <= 0)
			return a;
		v->xl.on = true;
		v->xl.s1_was_on = -1;
		if (mmu_caches_init(&v->xl.c, s->m->cfg, s->m->isa == ISA_A64) < 0)
			return -1;
		v->xl.caches = true;
		mmu_caches_set_evict(&v->xl.c, on_evict, v);
		register_stats(v);
	}
	return 0;
}

void xlate_fini(struct vcpus *s)
{
	if (s->xvm.dirty_on)
		dirty_free(&s->xvm.dirty);
	s->xvm.dirty_on = false;
	map_free(&s->xvm.pt_pages);
	map_free(&s->xvm.shadowed);
	for (unsigned i = 0; i < s->n; i++) {
		if (s->v[i] && s->v[i]->xl.caches) {
			mmu_caches_free(&s->v[i]->xl.c);
			s->v[i]->xl.caches = false;
		}
#if XLATE_SUPPORTED
		if (s->v[i] && s->v[i]->xl.before_replay) {
			uc_context_free(s->v[i]->xl.before_replay);
			s->v[i]->xl.before_replay = NULL;
		}
#endif
	}
}

void xlate_finish(struct vcpus *s)
{
	if (s->xvm.dirty_on)
		dirty_publish_stats(&s->xvm.dirty, s->m->stats, "dirty");
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i]->xl.caches)
			mmu_caches_publish_stats(&s->v[i]->xl.c, s->m->stats, s->v[i]->xl.prefix);
}

/* The exact address of a refused data access: Unicorn reports only the
 * page.  The faulting instruction runs again from its own PC (so it is the
 * first of its block), its access sent to an unmapped page: Unicorn names
 * the address (vcpu_hook_unmapped).  A load stops there; a store (DC ZVA
 * included) does not, and the rest of the block runs (a loop counter
 * decremented, a base register written back, a branch taken: glibc's
 * memset then left its last 64 bytes unzeroed under Linux), so every
 * register is put back afterwards.  The block hook's counting is undone. */
static uint64_t exact_address(struct vcpu *v)
{
	struct vcpus *s = v->set;
	struct xlate *x = &v->xl;
	if (s->sim.stop != SIM_RUNNING)
		return x->fault_page;
	uint64_t insns = v->insns, in_total = v->insns_in_total, total = s->total_insns, limit = s->insn_limit;
	uint64_t pc = s->arch->get_pc(v);
	cycles_t clock = v->sc.clock, until = v->sc.until;
	uint64_t milli = v->run_milli;
	const struct dblock *cur = v->cur;
	s->insn_limit = UINT64_MAX;
	v->sc.until = UINT64_MAX;
	v->unmapped = (struct vcpu_unmapped){ 0, 0 };
	if (!x->before_replay && uc_context_alloc(v->uc, &x->before_replay) != UC_ERR_OK)
		x->before_replay = NULL;
	bool saved = x->before_replay && uc_context_save(v->uc, x->before_replay) == UC_ERR_OK;
	x->replaying = true;
	vcpu_clock_arm(v);
	uc_err e = uc_emu_start(v->uc, pc, s->arch->run_until_addr, 0, 0);
	x->replaying = false;
	if (saved)
		uc_context_restore(v->uc, x->before_replay);
	x->fault_pending = false;
	xlate_flush_unicorn(v);   /* forget the scratch page */
	v->insns = insns;
	v->insns_in_total = in_total;
	s->total_insns = total;
	s->insn_limit = limit;
	v->sc.clock = clock;
	v->sc.until = until;
	v->sc.bound = 0;   /* the next block recomputes it */
	v->run_milli = milli;
	v->cur = cur;
	v->resume_valid = false;
	v->stop_requested = false;
	s->arch->set_pc(v, pc);
	uint64_t off = v->unmapped.addr - XLATE_SCRATCH;
	if ((e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED) && off < uc_page(s))
		return x->fault_page + off;
	DBG(LOG_CPU, "cpu%u: exact address of the fault in page 0x%llx not found (%s)", v->id,
	    (unsigned long long)x->fault_page, uc_strerror(e));
	return x->fault_page;
}

bool xlate_take_unicorn(struct vcpu *v)
{
	struct xlate *x = &v->xl;
	if (!x->to_unicorn)
		return false;
	x->to_unicorn = x->on = x->faults_only = false;
#if XLATE_SUPPORTED
	uc_ctl_tlb_mode(v->uc, UC_TLB_CPU);
	uc_ctl_flush_tlb(v->uc);
#endif
	DBG(LOG_CPU, "cpu%u: a paging mode hvsim's walker does not walk: Unicorn's own walker translates from now on",
	    v->id);
	return true;
}

bool xlate_take_fault(struct vcpu *v)
{
	struct xlate *x = &v->xl;
	if (!x->fault_pending)
		return false;
	x->fault_pending = false;
	if (x->fault_type == MMU_X) {
		/* A fetch faults at the instruction, or at the start of the
		 * faulting page for one that crosses into it. */
		uint64_t pc = v->set->arch->get_pc(v);
		x->fault.va = pc > x->fault_page ? pc : x->fault_page;
	} else {
		x->fault.va = exact_address(v);
	}
	if (x->fault.stage == 1)
		(*x->st_faults_s1)++;
	else
		(*x->st_faults_s2)++;
	/* Under shadow paging every guest page fault reaches the hypervisor
	 * first, which walks the guest's tables and reflects it. */
	if (x->fault.stage == 1 && v->set->mv.stage2 == MV_S2_SHADOW)
		shadow_exit(v, x->fault_type == MMU_X ? v->set->xvm.x_hidden_fetch : v->set->xvm.x_hidden,
			    v->set->mv.shadow_fault_cycles, v->set->xvm.st_hidden);
	return true;
}

void xlate_invalidate(struct vcpu *v, const struct tlb_scope *scope)
{
	struct xlate *x = &v->xl;
	if (!x->on || !x->caches)
		return;
	(*x->st_invalidations)++;
	mmu_caches_invalidate(&x->c, scope);
}

/* Ends a dirty-logging round: harvest, every page clean again (write-
 * protected, dirty flag or DBM state cleared), and the hypervisor flushes
 * the VM's TLBs (kvm_flush_remote_tlbs).  Returns the pages harvested. */
static uint64_t end_round(struct vcpus *s)
{
	struct dirty_round r;
	dirty_end_round(&s->xvm.dirty, &r);
	struct tlb_scope sc = { .by = TLB_BY_S2, .s2tag = xlate_s2tag(s->v[0]) };
	for (unsigned i = 0; i < s->n; i++) {
		mmu_caches_invalidate_s2(&s->v[i]->xl.c, &sc);
		xlate_flush_unicorn(s->v[i]);
	}
	return r.pages;
}

bool xlate_dirty_round(struct vcpu *v, uint64_t round, uint64_t *pages)
{
	if (!v->set->xvm.dirty_on)
		return false;
	*pages = end_round(v->set);
	DBG(LOG_CPU, "cpu%u: dirty round %llu ended: %llu pages", v->id, (unsigned long long)round,
	    (unsigned long long)*pages);
	return true;
}

void xlate_exit_hook(struct vcpu *v, unsigned x)
{
	struct xlate_vm *xv = &v->set->xvm;
	/* not after a PML-full exit: its drain is done (pml_log) and the write
	 * it logs again comes after the VM entry, into the new log (SDM 29.3.6) */
	if (xv->dirty_on && xv->dirty.mode == DIRTY_PML && x != xv->x_pml)
		v->sc.clock += dirty_pml_drain(&xv->dirty, v->id);
}

uint16_t xlate_s2tag(const struct vcpu *v)
{
	const struct mmu_stage *s2 = memvirt_stage2(&v->set->mv);
	return s2 ? s2->tag : 0;
}

void xlate_flush_unicorn(struct vcpu *v)
{
#if XLATE_SUPPORTED
	if (v->xl.on)
		uc_ctl_flush_tlb(v->uc);
#endif
}

void xlate_slice_end(struct vcpu *v)
{
	struct xlate_vm *xv = &v->set->xvm;
	cycles_t every = v->set->mv.dirty_round_cycles;
	if (xv->dirty_on && every && v->id == 0 && v->sc.clock >= xv->next_round) {
		end_round(v->set);
		xv->next_round = (v->sc.clock / every + 1) * every;
	}
	if (v->xl.on && v->set->mv.sync == MV_SYNC_SLICE) {
		(*v->xl.st_flushes)++;
		xlate_flush_unicorn(v);
	}
}

bool xlate_virt_to_phys(struct vcpu *v, uint64_t va, unsigned type, uint64_t *pa)
{
	if (!v->xl.on) {
		*pa = va;
		return true;
	}
	struct xreq q;
	enum xlate_s1 k = regime(v, va, type, &q);
	if (!walk(v, &q, k))
		return false;
	*pa = q.res.pa;
	return true;
}

/* Page by page through the translation; with the model off, Unicorn's
 * physical view as before. */
static bool rw_virt(struct vcpu *v, uint64_t va, void *buf, size_t len, bool write)
{
	if (!v->xl.on)
		return (write ? uc_mem_write(v->uc, va, buf, len) : uc_mem_read(v->uc, va, buf, len)) == UC_ERR_OK;
	uint8_t *p = buf;
	while (len) {
		uint64_t pa, n = 4096 - (va & 4095);
		if (n > len)
			n = len;
		if (!xlate_virt_to_phys(v, va, write ? MMU_W : MMU_R, &pa))
			return false;
		uc_err e = write ? uc_mem_write(v->uc, pa, p, n) : uc_mem_read(v->uc, pa, p, n);
		if (e != UC_ERR_OK)
			return false;
		va += n;
		p += n;
		len -= n;
	}
	return true;
}

bool xlate_read_virt(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	return rw_virt(v, va, buf, len, false);
}

bool xlate_write_virt(struct vcpu *v, uint64_t va, const void *buf, size_t len)
{
	return rw_virt(v, va, (void *)buf, len, true);
}
