/* vCPU layer common to both architectures.  See vcpu.h. */
#include "cpu/vcpu.h"
#include "cpu/export.h"
#include <stdarg.h>
#include <stddef.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "platform/pc.h"
#include "platform/virt.h"

static void register_stats(struct vcpus *s)
{
	struct stats *st = s->m->stats;
	char path[96], doc[128];
	s->st_insns = stats_counter(st, "guest_instructions", "guest instructions executed, all vCPUs");
	s->st_cycles = stats_counter(st, "cycles", "simulated time: the latest vCPU clock");
	s->st_exits = stats_counter(st, "exits_total", "VM exits, all vCPUs");
	s->st_exit_cycles_total = stats_counter(st, "exit_cycles_total", "cycles charged to VM exits, all vCPUs");
	for (unsigned x = 0; x < s->nexits; x++) {
		snprintf(path, sizeof path, "exits.%s", s->exit_names[x]);
		snprintf(doc, sizeof doc, "VM exits with reason %s", s->exit_names[x]);
		s->st_exit_count[x] = stats_counter(st, path, doc);
	}
	for (unsigned x = 0; x < s->nexits; x++) {
		snprintf(path, sizeof path, "exit_cycles.%s", s->exit_names[x]);
		snprintf(doc, sizeof doc, "cycles charged to %s exits (exit + handler + entry)", s->exit_names[x]);
		s->st_exit_cycles[x] = stats_counter(st, path, doc);
	}
	for (unsigned x = 0; x < s->nexits; x++)
		for (unsigned p = 0; p < s->nparts; p++) {
			snprintf(path, sizeof path, "exit_parts.%s.%s", s->exit_names[x], s->part_names[p]);
			snprintf(doc, sizeof doc, "cycles of %s exits spent in part %s", s->exit_names[x], s->part_names[p]);
			s->st_exit_parts[x][p] = stats_counter(st, path, doc);
		}
	s->st_quanta = stats_counter(st, "sim.quanta", "scheduler quanta executed");
	s->st_blocks_decoded = stats_counter(st, "sim.blocks_decoded", "distinct translated blocks decoded");

	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->v[i];
#define VSTAT(field, name, d) do { \
		snprintf(path, sizeof path, "vcpus.%u.%s", i, name); \
		v->field = stats_counter(st, path, d); } while (0)
		VSTAT(st_insns, "guest_instructions", "guest instructions executed");
		VSTAT(st_cycles, "cycles", "this vCPU's clock at the end");
		VSTAT(st_idle, "idle_cycles", "cycles spent off or halted");
		VSTAT(st_exits, "exits_total", "VM exits");
		VSTAT(st_exit_cycles_total, "exit_cycles_total", "cycles charged to VM exits");
#undef VSTAT
		for (unsigned x = 0; x < s->nexits; x++) {
			snprintf(path, sizeof path, "vcpus.%u.exits.%s", i, s->exit_names[x]);
			v->st_exit_count[x] = stats_counter(st, path, "VM exits with this reason");
		}
		for (unsigned x = 0; x < s->nexits; x++) {
			snprintf(path, sizeof path, "vcpus.%u.exit_cycles.%s", i, s->exit_names[x]);
			v->st_exit_cycles[x] = stats_counter(st, path, "cycles charged to exits with this reason");
		}
		snprintf(path, sizeof path, "vcpus.%u.insns_between_exits", i);
		v->h_run = stats_hist(st, path, "guest instructions executed between consecutive VM exits");
	}
}

/* The entry after an exit whose handler is over, when it has nothing to
 * do (irq_ctrl quiet_entry): now, so that the next block needs no check, rather
 * than at that block (the front end's irq_sync), at the same clock.  Only while that block
 * is the next thing to run (its slice goes on, no replay, nothing stopped):
 * nothing else can change the interrupt state before it. */
static inline void rebound(struct vcpu *v);
bool vcpu_quiet_entry(struct vcpu *v)
{
	struct irq_ctrl *ic = v->set->m->irqc;
	if (!(ic && ic->ops->quiet_entry && v->sc.clock < v->sc.until && v->set->sim.stop == SIM_RUNNING &&
	      v->sc.state == SIM_CPU_RUNNING && !v->stop_requested && !v->xl.replaying &&
	      ic->ops->quiet_entry(ic->ctx, v->id, v->sc.clock)))
		return false;
	rebound(v);	/* the controller's new check_at, which the fast path sees through the bound only */
	return true;
}

static int vcpu_run(struct sim_cpu *sc);
/* irq_check_at of a machine without an interrupt controller */
static const cycles_t never = UINT64_MAX;

static void start_event(void *ctx, cycles_t when)
{
	struct vcpu *v = ctx;
	DBG(LOG_SCHED, "cpu%u: powered on at cycle %llu", v->id, (unsigned long long)when);
	sim_cpu_wake(&v->sc, when);
}

/* machine->cpu_start: reset the target now, let it run from `when`. */
static void cpu_start(struct machine *m, unsigned cpu, uint64_t entry, uint64_t arg, cycles_t when)
{
	struct vcpus *s = (struct vcpus *)((char *)m->sim - offsetof(struct vcpus, sim));
	struct vcpu *v = s->v[cpu];
	s->arch->reset(v, entry, arg);
	if (s->virt)
		psci_cpu_started(&s->virt->psci, cpu);
	evq_push(&s->sim.events, when, start_event, v);
}

int vcpus_create(struct vcpus *s, struct machine *m, struct virt *virt, struct pc *pc,
		 uint64_t entry, uint64_t arg, uint64_t max_insns)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->virt = virt;
	s->pc = pc;
	s->n = m->ncpus;
	s->max_insns = max_insns;
	s->insn_limit = max_insns ? max_insns : UINT64_MAX;
	s->code_lo = UINT64_MAX;
	s->exc_loop_limit = (unsigned)cfg_u64(m->cfg, "sim", "exception_loop_limit");
	if (memvirt_init(&s->mv, m, m->cfg) < 0)
		return -1;
	uint32_t cpi[IC_COUNT];
	machine_cpi_milli(m->cfg, cpi);
	s->min_cpi_milli = UINT32_MAX;
	for (unsigned c = 0; c < IC_COUNT; c++)
		if (cpi[c] < s->min_cpi_milli)
			s->min_cpi_milli = cpi[c];
	s->dc = decode_cache_new(m->isa, cpi);
	if (!s->dc)
		return err_set("cannot initialise the instruction decoder (Capstone)");
	if (m->isa == ISA_A64) {
		s->arch = &a64_ops;
		el2_init(&s->el2, m->cfg);
		s->nexits = EL2X_COUNT;
		for (unsigned x = 0; x < EL2X_COUNT; x++)
			s->exit_names[x] = el2_exit_name(x);
		s->nparts = EL2P_COUNT;
		s->handler_part = EL2P_HANDLER;
		for (unsigned p = 0; p < EL2P_COUNT; p++)
			s->part_names[p] = el2_part_name(p);
	} else {
		s->arch = &x86_ops;
		vmx_init(&s->vmx, m->cfg);
		s->nexits = X86X_COUNT;
		for (unsigned x = 0; x < X86X_COUNT; x++)
			s->exit_names[x] = x86_exit_name(x);
		s->nparts = VMXP_COUNT;
		s->handler_part = VMXP_HANDLER;
		for (unsigned p = 0; p < VMXP_COUNT; p++)
			s->part_names[p] = vmx_part_name(p);
	}
	xlate_declare_exits(s);
	for (unsigned i = 0; i < s->n; i++) {
		/* aligned: vcpu_block's fields share one cache line */
		struct vcpu *v = aligned_alloc(64, (sizeof *v + 63) & ~(size_t)63);
		if (!v)
			return err_set("out of memory");
		memset(v, 0, sizeof *v);
		v->set = s;
		v->front = (const struct decode_front *)s->dc;
		v->irq_check_at = m->irqc ? &m->irqc->check_at[i] : &never;
		v->block_check = true;
		v->id = i;
		v->sc = (struct sim_cpu){ .id = i, .state = SIM_CPU_OFF, .run = vcpu_run, .ctx = v };
		s->v[i] = v;
		s->sc[i] = &v->sc;
		if (s->arch->create(v) < 0)
			return -1;
	}
	register_stats(s);
	sim_init(&s->sim, s->sc, s->n, cfg_u64(m->cfg, "sim", "quantum_cycles"));
	m->sim = &s->sim;
	if (xlate_init(s) < 0)
		return -1;
	m->cpu_start = cpu_start;
	s->arch->reset(s->v[0], entry, arg);
	s->v[0]->sc.state = SIM_CPU_RUNNING;
	return 0;
}

void vcpus_destroy(struct vcpus *s)
{
	xlate_fini(s);
	memvirt_fini(&s->mv);
	for (unsigned i = 0; i < s->n; i++) {
		if (s->v[i] && s->v[i]->uc)
			uc_close(s->v[i]->uc);
		free(s->v[i]);
	}
	if (s->arch && s->arch->fini)
		s->arch->fini(s);
	if (s->dc)
		decode_cache_free(s->dc);
	for (uint32_t i = 0; i < s->code.cap; i++)
		free(s->code.tab[i].blk);
	free(s->code.tab);
	free(s->code.w_given);
	free(s->code.open);
	sim_free(&s->sim);
}

enum sim_stop_reason vcpus_run(struct vcpus *s)
{
	return sim_run(&s->sim);
}

static void fold_run(struct vcpu *v);
void vcpus_finish(struct vcpus *s)
{
	cycles_t end = 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct vcpu *v = s->v[i];
		fold_run(v);
		hist_add_n(v->h_run, v->h_run_v, v->h_run_n);
		v->h_run_n = 0;
		*v->st_insns = v->insns;
		*v->st_cycles = v->sc.clock;
		*v->st_idle = v->sc.idle_cycles;
		*s->st_insns += v->insns;
		*s->st_exits += *v->st_exits;
		*s->st_exit_cycles_total += *v->st_exit_cycles_total;
		for (unsigned x = 0; x < s->nexits; x++) {
			*s->st_exit_count[x] += *v->st_exit_count[x];
			*s->st_exit_cycles[x] += *v->st_exit_cycles[x];
			for (unsigned p = 0; p < s->nparts; p++)
				*s->st_exit_parts[x][p] += v->exit_parts[x][p];
		}
		if (v->sc.clock > end)
			end = v->sc.clock;
	}
	*s->st_cycles = end;
	*s->st_quanta = s->sim.quanta;
	*s->st_blocks_decoded = decode_stats_blocks(s->dc);
	xlate_finish(s);
}

void vcpu_stop(struct vcpu *v)
{
	v->stop_requested = true;
	uc_emu_stop(v->uc);
}

void vcpu_wait_until(struct vcpu *v, cycles_t t)
{
	if (t <= v->sc.clock)
		return;
	if (t <= v->sc.until) {       /* wakes within this slice: just advance */
		v->sc.idle_cycles += t - v->sc.clock;
		v->sc.clock = t;
		return;
	}
	vcpu_halt(v, SIM_CPU_HALTED);  /* the controller wakes it (timer event or kick) */
}

void vcpu_halt(struct vcpu *v, enum sim_cpu_state st)
{
	DBG(LOG_SCHED, "cpu%u: %s at cycle %llu", v->id, st == SIM_CPU_OFF ? "off" : "halted",
	    (unsigned long long)v->sc.clock);
	v->sc.state = st;
	vcpu_stop(v);
}

static int map_one(struct vcpu *v, const struct dev_window *w, uint64_t base, uint64_t size,
		   uc_cb_mmio_read_t rd, uc_cb_mmio_write_t wr)
{
	if (v->nmaps == VCPU_MAX_MAPPINGS)
		return err_set("too many device windows");
	struct mmio_ctx *c = &v->maps[v->nmaps++];
	*c = (struct mmio_ctx){ v, w, base };
	if (uc_mmio_map(v->uc, base, size, rd, c, wr, c) != UC_ERR_OK)
		return err_set("cannot map [0x%llx, 0x%llx) into Unicorn", (unsigned long long)base,
			       (unsigned long long)(base + size));
	return 0;
}

int vcpu_map_phys(struct vcpu *v, uint64_t limit, uc_cb_mmio_read_t rd, uc_cb_mmio_write_t wr)
{
	struct machine *m = v->set->m;
	/* Occupied ranges sorted by base: RAM and the MMIO windows. */
	struct { uint64_t base, size; const struct dev_window *w; } r[MACHINE_MAX_WINDOWS + 1];
	unsigned n = 0;
	if (uc_mem_map_ptr(v->uc, m->ram_base, m->ram_size, UC_PROT_ALL, m->ram) != UC_ERR_OK)
		return err_set("cannot map guest RAM into Unicorn");
	r[n].base = m->ram_base; r[n].size = m->ram_size; r[n++].w = NULL;
	for (unsigned i = 0; i < m->nmmio; i++) {
		r[n].base = m->mmio[i].base; r[n].size = m->mmio[i].size; r[n++].w = &m->mmio[i];
		if (map_one(v, &m->mmio[i], m->mmio[i].base, m->mmio[i].size, rd, wr) < 0)
			return -1;
	}
	for (unsigned i = 1; i < n; i++)   /* insertion sort: a handful of entries */
		for (unsigned j = i; j > 0 && r[j].base < r[j - 1].base; j--) {
			__typeof__(r[0]) t = r[j]; r[j] = r[j - 1]; r[j - 1] = t;
		}
	uint64_t at = 0;
	for (unsigned i = 0; i <= n && at < limit; i++) {
		uint64_t next = i < n ? r[i].base : limit;
		if (next > at && map_one(v, NULL, at, next - at, rd, wr) < 0)
			return -1;
		if (i < n)
			at = r[i].base + r[i].size;
	}
	return 0;
}

/* An access to a physical address with no RAM or device: read as zero,
 * write ignored, and reported once per 4 KiB page. */
static void unassigned(struct vcpu *v, uint64_t addr, bool write)
{
	char name[48];
	snprintf(name, sizeof name, "no device at 0x%llx", (unsigned long long)(addr & ~0xfffull));
	machine_unmodelled(v->set->m, name, "cpu%u %s 0x%llx: %s", v->id, write ? "write to" : "read of",
			   (unsigned long long)addr, write ? "ignored" : "read as zero");
}

bool vcpu_dev_unusual(struct vcpu *v, const struct dev_window *w, uint64_t addr, unsigned size, bool write,
		      uint64_t val)
{
	struct machine *m = v->set->m;
	if (write)
		DBG(LOG_MMIO, "cpu%u %s write 0x%llx size %u value 0x%llx", v->id, w ? w->name : "unassigned",
		    (unsigned long long)addr, size, (unsigned long long)val);
	else
		DBG(LOG_MMIO, "cpu%u %s read 0x%llx size %u", v->id, w ? w->name : "unassigned",
		    (unsigned long long)addr, size);
	if (w)
		return false;
	m->cur_cpu = v->id;
	(*m->unassigned)++;
	unassigned(v, addr, write);
	return true;
}

bool vcpu_read_phys(struct vcpu *v, uint64_t pa, void *buf, size_t len)
{
	struct machine *m = v->set->m;
	if (!machine_in_ram(m, pa, len))
		return false;
	memcpy(buf, m->ram + (pa - m->ram_base), len);
	return true;
}

bool vcpu_read_code(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		uint64_t pa, n = 4096 - (va & 4095);
		if (n > len)
			n = len;
		if (!xlate_virt_to_phys(v, va, MMU_X, &pa) || !vcpu_read_phys(v, pa, p, n))
			return false;
		va += n;
		p += n;
		len -= n;
	}
	return true;
}

const char *vcpu_symbol(struct vcpu *v, uint64_t pc, uint64_t *off)
{
	const struct elf_image *img = v->set->m->elf;
	const char *s = img ? elf_symbolize(img, pc, off) : NULL;
	if (!s) {
		*off = pc;
		return "?";
	}
	return s;
}

/* Stops before the block at addr runs.  Unicorn 2.0.1 on x86 may report
 * the previous block's RIP after such a stop (seen after IN/OUT hooks), so
 * the resume address is kept and restored explicitly. */
void vcpu_stop_before(struct vcpu *v, uint64_t addr)
{
	v->resume_pc = addr;
	v->resume_valid = true;
	vcpu_stop(v);
}

static uint32_t code_slot(uint64_t page, uint32_t cap)
{
	return (uint32_t)((page * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* The entry of page (a page address), added if add; NULL if absent or out of memory. */
static struct code_page *code_find(struct code_pages *c, uint64_t page, bool add)
{
	page = page ? page : 1;
	if (c->cap) {
		for (uint32_t i = code_slot(page, c->cap);; i = (i + 1) & (c->cap - 1)) {
			if (c->tab[i].page == page)
				return &c->tab[i];
			if (!c->tab[i].page)
				break;
		}
	}
	if (!add)
		return NULL;
	if ((c->len + 1) * 2 > c->cap) {   /* at most half full: probes end at an empty slot */
		uint32_t cap = c->cap ? 2 * c->cap : 256;
		struct code_page *t = calloc(cap, sizeof *t), *old = c->tab;
		if (!t)
			return NULL;
		c->tab = t;
		for (uint32_t i = 0; i < c->cap; i++)
			if (old[i].page) {
				uint32_t j = code_slot(old[i].page, cap);
				while (t[j].page)
					j = (j + 1) & (cap - 1);
				t[j] = old[i];
			}
		c->cap = cap;
		free(old);
	}
	uint32_t i = code_slot(page, c->cap);
	while (c->tab[i].page)
		i = (i + 1) & (c->cap - 1);
	c->tab[i].page = page;
	c->len++;
	return &c->tab[i];
}

int vcpu_code_init(struct vcpus *s, uint64_t page_size)
{
	s->code.page_size = page_size;
	s->code.w_words = (size_t)((s->m->ram_size / page_size + 64) / 64);
	if (!(s->code.w_given = calloc(s->code.w_words, sizeof *s->code.w_given)))
		return err_set("out of memory");
	s->code.on = true;
	return 0;
}

/* Frees what earlier stores dropped, but the blocks vCPUs are in. */
static void code_reap(struct vcpus *s)
{
	const struct dblock *keep[MACHINE_MAX_CPUS];
	for (unsigned i = 0; i < s->n; i++)
		keep[i] = s->v[i]->cur;
	decode_reap(s->dc, keep, s->n);
}

static void code_written(struct vcpus *s, struct code_page *p, uint64_t pa)
{
	code_reap(s);
	for (uint32_t i = 0; i < p->n; i++)
		decode_drop(s->dc, p->blk[i].addr, p->blk[i].size, p->blk[i].b);
	DBG(LOG_DECODE, "code page 0x%llx written: %u blocks dropped", (unsigned long long)pa, p->n);
	p->n = 0;
	uint64_t *o;
	if (++p->drops < CODE_OPEN_AFTER || !(o = realloc(s->code.open, (s->code.nopen + 1) * sizeof *o)))
		return;   /* (out of memory: stays protected) */
	s->code.open = o;
	o[s->code.nopen++] = p->page;
	p->open = true;
	DBG(LOG_DECODE, "code page 0x%llx opened after %u drops", (unsigned long long)pa, p->drops);
}

/* w_given's bit of a RAM page */
static uint64_t *w_word(const struct vcpus *s, uint64_t page, uint64_t *bit)
{
	uint64_t n = (page - s->m->ram_base) / s->code.page_size;
	*bit = 1ull << n % 64;
	return &s->code.w_given[n / 64];
}

/* No writable entry left in any engine's TLB */
static void code_flush(struct vcpus *s)
{
	for (unsigned i = 0; i < s->n; i++)
		xlate_flush_unicorn(s->v[i]);
	memset(s->code.w_given, 0, s->code.w_words * sizeof *s->code.w_given);
}

/* FNV-1a of a block's bytes in a page */
static uint64_t code_hash(const struct vcpus *s, uint64_t page, const struct code_blk *c)
{
	const uint8_t *p = s->m->ram + (page - s->m->ram_base) + c->lo;
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = c->lo; i < c->hi; i++)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

void vcpu_code_check(struct vcpus *s)
{
	bool written = false;
	for (uint32_t k = 0; k < s->code.nopen; k++) {
		uint64_t page = s->code.open[k], bit;
		struct code_page *p = code_find(&s->code, page, false);
		written |= (*w_word(s, page, &bit) & bit) != 0;
		for (uint32_t i = 0; i < p->n; i++) {
			struct code_blk c = p->blk[i];
			if (code_hash(s, page, &c) == c.hash)
				continue;
			code_reap(s);
			decode_drop(s->dc, c.addr, c.size, c.b);
			for (unsigned j = 0; j < s->n; j++)
				uc_ctl_remove_cache(s->v[j]->uc, c.addr, c.addr + c.size);
			p->blk[i--] = p->blk[--p->n];
		}
	}
	/* Unicorn 2.1.1 (#2367) may not see stores through a writable entry
	 * made before it translated code in the page: none outlives a slice */
	if (written)
		code_flush(s);
}

void vcpu_code_fill(struct vcpus *s, unsigned type, uint64_t pa, uint32_t *perms)
{
	struct code_pages *c = &s->code;
	if (!(*perms & UC_PROT_WRITE) || !machine_in_ram(s->m, pa, 1))
		return;
	uint64_t page = pa & ~(c->page_size - 1), bit;
	struct code_page *p = code_find(c, page, false);
	if (!p || !p->open) {   /* (an open page is vcpu_code_check's) */
		if (type == MMU_W && p && p->n) {
			code_written(s, p, pa);
		} else if (type == MMU_X || (p && p->n)) {
			*perms &= ~(uint32_t)UC_PROT_WRITE;
			return;
		}
	}
	*w_word(s, page, &bit) |= bit;
}

/* Files b under the pages it was read from (with the hash of its bytes
 * where the page is open).  A protected page that held no block and that
 * a fill made writable may have writable entries in Unicorn's TLBs: they
 * go, so that the next store to it is seen. */
static void code_note(struct vcpu *v, const struct dblock *b)
{
	struct vcpus *s = v->set;
	uint64_t ps = s->code.page_size, end = b->addr + b->size, last = UINT64_MAX;
	for (uint64_t va = b->addr; va < end && va >= b->addr; va = (va | (ps - 1)) + 1) {
		uint64_t pa;
		if (!xlate_virt_to_phys(v, va, MMU_X, &pa) || !machine_in_ram(s->m, pa, 1) ||
		    (pa & ~(ps - 1)) == last)
			continue;
		last = pa & ~(ps - 1);
		struct code_page *p = code_find(&s->code, last, true);
		if (!p)
			return;   /* out of memory: this block's rewrite goes unseen */
		uint64_t lo = pa & (ps - 1), hi = lo + (end - va < ps - lo ? end - va : ps - lo);
		struct code_blk e = { b->addr, b->size, (uint16_t)lo, (uint16_t)hi, 0, b };
		if (p->open)
			e.hash = code_hash(s, last, &e);
		/* a block decoded again at its key takes its entry (a page keeps
		 * one per key: blocks dropped through another page stay listed) */
		uint32_t k = 0;
		while (k < p->n && (p->blk[k].addr != b->addr || p->blk[k].size != b->size))
			k++;
		if (k < p->n) {
			p->blk[k] = e;
			continue;
		}
		if (p->n == p->cap) {
			uint32_t cap = p->cap ? 2 * p->cap : 4;
			struct code_blk *grown = realloc(p->blk, cap * sizeof *grown);
			if (!grown)
				return;
			p->blk = grown;
			p->cap = cap;
		}
		uint64_t bit;
		if (!p->n && !p->open && (*w_word(s, last, &bit) & bit))
			code_flush(s);
		p->blk[p->n++] = e;
	}
}

/* A block not seen before: decode it and, on x86, hook its special
 * instructions.  NULL if the block must not run now (vCPU stopped). */
static const struct decode_entry *new_block(struct vcpu *v, uint64_t addr, uint32_t size)
{
	struct vcpus *s = v->set;
	uint8_t buf[4096];
	const uint8_t *code = buf;
	struct machine *m = s->m;
	if (v->xl.on) {
		if (size > sizeof buf || !vcpu_read_code(v, addr, buf, size))
			code = NULL;
	} else if (machine_in_ram(m, addr, size)) {
		code = m->ram + (addr - m->ram_base);
	} else if (size > sizeof buf || uc_mem_read(v->uc, addr, buf, size) != UC_ERR_OK) {
		code = NULL;   /* Unicorn translated code it cannot read back */
	}
	const struct dblock *b = code ? decode_block(s->dc, addr, code, size) : NULL;
	if (!b) {
		err_set("cannot decode the block at 0x%llx (%u bytes)", (unsigned long long)addr, size);
		sim_stop(&s->sim, SIM_STOP_ERROR, 0);
		vcpu_stop(v);
		return NULL;
	}
	DBG(LOG_DECODE, "block 0x%llx+%u: %u insns, %llu.%03llu cycles", (unsigned long long)addr, size,
	    b->ninsns, (unsigned long long)(b->cost_milli / 1000), (unsigned long long)(b->cost_milli % 1000));
	if (s->code.on)
		code_note(v, b);
	if (b->nspecials && s->arch == &x86_ops && x86_hook_specials(s, b)) {
		/* this translation predates the hooks: retranslate */
		v->flush_pending = true;
		v->cur = b;
		vcpu_stop_before(v, addr);
		return NULL;
	}
	return decode_find(s->dc, addr, size);
}

static inline __attribute__((always_inline)) void count_block(struct vcpu *v, const struct decode_entry *e)
{
	v->cur = e->b;
	v->insns += e->ninsns;
	v->run_milli += e->cost_milli;
}

static void sync_total(struct vcpu *v)
{
	v->set->total_insns += v->insns - v->insns_in_total;
	v->insns_in_total = v->insns;
}

/* --max-insns as a clock bound: every instruction costs at least
 * min_cpi_milli, so until the clock has advanced by (left - nmax) *
 * min_cpi_milli / 1000 cycles fewer than left - nmax instructions have run
 * since now, and the next block (nmax at most) cannot pass the limit. */
static cycles_t limit_bound(struct vcpu *v)
{
	struct vcpus *s = v->set;
	uint64_t done = s->total_insns + (v->insns - v->insns_in_total);
	uint64_t nmax = decode_max_insns(s->dc);
	if (!s->min_cpi_milli || done >= s->insn_limit || s->insn_limit - done <= nmax)
		return 0;
	uint64_t left = s->insn_limit - done - nmax;
	uint64_t d = left > UINT64_MAX / s->min_cpi_milli ? UINT64_MAX : left * s->min_cpi_milli / 1000;
	return d > UINT64_MAX - v->sc.clock ? UINT64_MAX : v->sc.clock + d;
}

/* sc.bound for the blocks to come: the fast path runs them while the
 * clock is below it and the block is known, exactly as long as block_slow
 * would only have counted them. */
static inline void rebound(struct vcpu *v)
{
	struct vcpus *s = v->set;
	cycles_t b = v->sc.until < *v->irq_check_at ? v->sc.until : *v->irq_check_at;
	if (v->block_check || s->sim.stop != SIM_RUNNING)
		b = 0;
	else if (s->insn_limit != UINT64_MAX) {
		cycles_t l = limit_bound(v);
		b = l < b ? l : b;
	}
	v->sc.bound = b;
}

/* vcpu_block in full, in the order that decides which stop wins. */
static void block_decide(struct vcpu *v, uint64_t addr, uint32_t size)
{
	struct vcpus *s = v->set;
	if (s->arch->before_block(v, addr))
		return;
	/* Every block Unicorn translates passes here before it first runs
	 * (the fast path knows only blocks seen here). */
	if (addr < s->code_lo)
		s->code_lo = addr;
	if (addr + size > s->code_hi)
		s->code_hi = addr + size;
	if (v->sc.clock >= v->sc.until || s->sim.stop != SIM_RUNNING) {
		vcpu_stop_before(v, addr);
		return;
	}
	const struct decode_entry *e = decode_find(s->dc, addr, size);
	if (!e && !(e = new_block(v, addr, size)))
		return;
	if (s->total_insns + e->ninsns > s->insn_limit) {
		err_set("stopped after %llu guest instructions (--max-insns %llu)", (unsigned long long)s->total_insns,
			(unsigned long long)s->max_insns);
		sim_stop(&s->sim, SIM_STOP_LIMIT, 0);
		vcpu_stop_before(v, addr);
		return;
	}
	count_block(v, e);
}

static __attribute__((noinline)) void block_slow(struct vcpu *v, uint64_t addr, uint32_t size)
{
	VCPU_HOOK(v);
	sync_total(v);
	block_decide(v, addr, size);
	vcpu_clock_sync(v);
	rebound(v);
}

/* UC_HOOK_BLOCK: the timing model.  Stopping here skips the block (Unicorn
 * 2.0.1 runs the hook before the block), so a block is counted only when it
 * will run: quantum ends and --max-insns land on block boundaries.
 * Runs for every executed block, so the common case (known block in the
 * decoder's front table, clock below the bound) is three comparisons and
 * two additions, with no carry (run_milli); anything else takes block_slow,
 * which asks the front end first.  Between two host cache misses of the
 * guest's, fewer loads here let the host overlap them. */
void vcpu_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct vcpu *v = ud;
	const struct decode_entry *e = &v->front->e[decode_front_index(addr)];
	(void)uc;
	if (__builtin_expect(e->addr == addr && e->size == size && v->run_milli < v->run_limit, 1))
		count_block(v, e);
	else
		block_slow(v, addr, size);
}

bool vcpu_exception(struct vcpu *v, uint64_t pc, uint32_t kind)
{
	struct vcpu_exc_streak *e = &v->exc;
	if (v->set->sim.stop != SIM_RUNNING)
		return false;
	/* The block hook counts a block before it runs, so the faulting
	 * instruction itself may have been counted: one is no progress. */
	bool progress = !e->active || v->insns - e->insns > 1;
	if (progress) {
		*e = (struct vcpu_exc_streak){ .first_pc = pc, .first_kind = kind, .active = true };
	} else if (pc == e->pc && kind == e->kind) {
		e->repeats++;
	} else {
		e->repeats = 0;
	}
	e->insns = v->insns;
	e->pc = pc;
	e->kind = kind;
	if (e->repeats + 1 < v->set->exc_loop_limit)
		return true;
	char what[160], first[160];
	v->set->arch->describe_exception(v, kind, what, sizeof what);
	v->set->arch->describe_exception(v, e->first_kind, first, sizeof first);
	vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "guest exception loop: %s at PC 0x%llx taken %u times in a row with "
			"no instruction retired (its vector cannot run); the first fault was %s at PC 0x%llx",
			what, (unsigned long long)pc, e->repeats + 1, first, (unsigned long long)e->first_pc);
	return false;
}

void vcpu_guest_stop(struct vcpu *v, enum sim_stop_reason why, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v->set->sim.stop == SIM_RUNNING)
		err_set("cpu%u: %s", v->id, msg);
	sim_stop(&v->set->sim, why, 0);
	vcpu_stop(v);
}

void vcpu_invalidate_code(struct vcpu *v, bool broadcast, uint64_t addr, uint64_t len)
{
	struct vcpus *s = v->set;
	uint64_t end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
	/* Only where code was ever translated: Unicorn walks the range page by
	 * page, and IC IALLU names all of memory. */
	if (addr < s->code_lo)
		addr = s->code_lo;
	if (end > s->code_hi)
		end = s->code_hi;
	if (addr >= end)
		return;
	for (unsigned i = 0; broadcast && i < s->n; i++)
		if (s->v[i] != v)
			uc_ctl_remove_cache(s->v[i]->uc, addr, end);
	/* The caller's engine is running this very block: before the next one
	 * (the block hook stops, its slice looking over, and vcpu_run drops
	 * them).  Stopping here instead would not do: a resume address set
	 * inside an instruction hook is not reliable. */
	if (v->inval_lo >= v->inval_hi) {
		v->inval_until = v->sc.until;
		v->inval_lo = addr;
		v->inval_hi = end;
	} else {
		v->inval_lo = addr < v->inval_lo ? addr : v->inval_lo;
		v->inval_hi = end > v->inval_hi ? end : v->inval_hi;
	}
	v->sc.until = v->sc.bound = 0;    /* the next block hook stops */
}

void vcpu_serialize(struct vcpu *v)
{
	/* Only another vCPU can have changed code behind this engine's back
	 * (what this engine wrote, Unicorn 2.0.1 tracks). */
	if (v->set->n > 1)
		vcpu_invalidate_code(v, false, 0, UINT64_MAX);
}

bool vcpu_hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	struct vcpu *v = ud;
	v->unmapped = (struct vcpu_unmapped){ addr, size };
	return false;
}

/* An exit's cycles on the clock and in the statistics (inlined in both
 * callers: one call per exit, as before the split) */
static inline __attribute__((always_inline)) void charge(struct vcpu *v, unsigned x, cycles_t cost)
{
	v->sc.clock += cost;
	(*v->st_exits)++;
	*v->st_exit_cycles_total += cost;
	(*v->st_exit_count[x])++;
	*v->st_exit_cycles[x] += cost;
	uint64_t run = v->insns - v->insns_at_exit;
	if (run != v->h_run_v) {
		hist_add_n(v->h_run, v->h_run_v, v->h_run_n);
		v->h_run_v = run;
		v->h_run_n = 0;
	}
	v->h_run_n++;
	v->insns_at_exit = v->insns;
	if (v->set->xvm.dirty_on)	/* a PML drain (xlate_exit_hook); nothing else at an exit */
		xlate_exit_hook(v, x);
}

void vcpu_exit(struct vcpu *v, unsigned x, const struct cost *c)
{
	if (v->set->exp)
		export_exit(v, x, c);
	/* Two parts at a time (every exit; GCC's vector extension, plain
	 * code where the host has no vectors), cost_total(c) in the same pass */
	typedef cycles_t pair __attribute__((vector_size(2 * sizeof(cycles_t))));
	pair sum = { 0, 0 };
	for (unsigned p = 0; p < COST_PARTS_MAX; p += 2) {
		pair a, b;
		memcpy(&a, &c->part[p], sizeof a);
		memcpy(&b, &v->exit_parts[x][p], sizeof b);
		b += a;
		sum += a;
		memcpy(&v->exit_parts[x][p], &b, sizeof b);
	}
	charge(v, x, sum[0] + sum[1]);
}

static void fold_run(struct vcpu *v)
{
	for (unsigned p = 0; v->run_n && p < COST_PARTS_MAX; p++)
		v->exit_parts[v->run_x][p] += v->run_n * v->run_c->part[p];
	v->run_n = 0;
}

void vcpu_exit_fixed(struct vcpu *v, unsigned x, const struct cost *c)
{
	if (v->set->exp)
		export_exit(v, x, c);
	if (c != v->run_c || x != v->run_x) {
		fold_run(v);
		v->run_c = c;
		v->run_x = x;
		v->run_total = cost_total(c);
	}
	v->run_n++;
	charge(v, x, v->run_total);
}

static int vcpu_run(struct sim_cpu *sc)
{
	struct vcpu *v = sc->ctx;
	struct vcpus *s = v->set;
	while (sc->state == SIM_CPU_RUNNING && sc->clock < sc->until && s->sim.stop == SIM_RUNNING) {
		v->stop_requested = false;
		uint64_t pc = s->arch->get_pc(v);
		rebound(v);
		vcpu_clock_arm(v);
		uc_err e = uc_emu_start(v->uc, pc, s->arch->run_until_addr, 0, 0);
		vcpu_clock_sync(v);
		sync_total(v);
		if (s->code.nopen)
			vcpu_code_check(s);
		if (v->resume_valid) {
			v->resume_valid = false;
			s->arch->set_pc(v, v->resume_pc);
		}
		if (v->flush_pending) {
			v->flush_pending = false;
			uc_ctl_remove_cache(v->uc, v->cur->addr, v->cur->addr + v->cur->size);
		}
		if (v->inval_lo < v->inval_hi) {
			/* Not UC_CTL_TB_FLUSH: it rewrites Unicorn's whole translation
			 * buffer (1 GiB per engine resident, ~1 s). */
			uc_ctl_remove_cache(v->uc, v->inval_lo, v->inval_hi);
			v->inval_lo = v->inval_hi = 0;
			/* The slice end again, and any event queued while it was 0 */
			cycles_t when;
			sc->until = v->inval_until;
			if (evq_peek(&s->sim.events, &when) && when < sc->until)
				sc->until = when;
		}
		if (s->arch->after_run(v, e) < 0) {
			sim_stop(&s->sim, SIM_STOP_ERROR, 0);
			return -1;
		}
	}
	xlate_slice_end(v);
	return 0;
}

/* Unicorn's softmmu resizes each TLB by 100 ms wall-clock windows (QEMU
 * tlb_mmu_resize_locked, at every flush, reading gettimeofday), so how
 * often guest accesses miss it, and what the translation model charges for
 * its fills, would change from run to run.  This definition interposes the
 * one Unicorn calls: a clock that advances 1 ms per call, so a window spans
 * 100 flushes, the same in every run.  Nothing else in hvsim reads it. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static uint64_t ms;
	(void)tz;
	ms++;
	*tv = (struct timeval){ .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000 * 1000) };
	return 0;
}
