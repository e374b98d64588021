/* Dirty logging: write protection, PML, DBM.  See dirty.h.
 * Defaults and their sources: designs/default-*.ini. */
#include "mmu/dirty.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"

#define PAGE_SHIFT 12

const struct cfg_key dirty_cfg_keys[] = {
	{ "dirty", "mode", CFG_ENUM, 0, 0, "off|wp|pml|dbm",
	  "dirty logging: off (no migration), wp (write protection), pml (Intel PML), dbm (Arm hardware dirty state)" },
	{ "dirty", "wp_fault_cycles", CFG_U64, 0, 1e9, NULL, "wp: handler of a write-protection fault (mark dirty, make writable)" },
	{ "dirty", "wp_reprotect_cycles", CFG_U64, 0, 1e9, NULL, "wp: per dirtied page at the end of a round (write-protect again)" },
	{ "dirty", "pml_full_cycles", CFG_U64, 0, 1e9, NULL, "pml: handler of a PML-full exit, without draining the log" },
	{ "dirty", "pml_drain_cycles", CFG_U64, 0, 1e9, NULL, "pml: per logged GPA moved into the dirty bitmap" },
	{ "dirty", "pml_clear_cycles", CFG_U64, 0, 1e9, NULL, "pml: per dirtied page at the end of a round (clear its EPT dirty flag)" },
	{ "dirty", "dbm_scan_cycles", CFG_U64, 0, 1e9, NULL, "dbm: per tracked page at the end of a round (read its stage-2 descriptor)" },
	{ "dirty", "dbm_clean_cycles", CFG_U64, 0, 1e9, NULL, "dbm: per dirtied page at the end of a round (make it clean again)" },
};
const unsigned dirty_cfg_nkeys = sizeof dirty_cfg_keys / sizeof dirty_cfg_keys[0];

int dirty_init_costs(struct dirty *d, enum dirty_mode mode, const struct dirty_costs *c, unsigned ncpus,
		     uint64_t base, uint64_t bytes)
{
	memset(d, 0, sizeof *d);
	d->mode = mode;
	d->cost = *c;
	d->base = base >> PAGE_SHIFT << PAGE_SHIFT;
	d->npages = bytes >> PAGE_SHIFT;
	d->ncpus = ncpus;
	d->dirty = calloc(d->npages ? d->npages : 1, 1);
	d->drained = calloc(d->npages ? d->npages : 1, 1);
	d->sent = calloc(d->npages ? d->npages : 1, 1);
	d->cpu = calloc(ncpus ? ncpus : 1, sizeof *d->cpu);
	if (!d->dirty || !d->drained || !d->sent || !d->cpu) {
		dirty_free(d);
		return err_set("dirty logging: out of memory for %llu pages", (unsigned long long)d->npages);
	}
	for (unsigned i = 0; i < ncpus; i++)
		d->cpu[i].pml_index = PML_HEAD;
	return 0;
}

int dirty_init(struct dirty *d, const struct cfg *cfg, bool vmsa, uint64_t exit_cycles, unsigned ncpus,
	       uint64_t base, uint64_t bytes)
{
	enum dirty_mode mode = (enum dirty_mode)cfg_enum(cfg, "dirty", "mode");
	if (mode == DIRTY_PML && vmsa)
		return err_set("dirty.mode: pml needs Intel VMX; the ARM machine has wp or dbm");
	if (mode == DIRTY_DBM && !vmsa)
		return err_set("dirty.mode: dbm is Arm hardware dirty state; the x86 machine has wp or pml");
	struct dirty_costs c = {
		.exit_cycles = exit_cycles,
		.wp_fault_cycles = cfg_u64(cfg, "dirty", "wp_fault_cycles"),
		.wp_reprotect_cycles = cfg_u64(cfg, "dirty", "wp_reprotect_cycles"),
		.pml_full_cycles = cfg_u64(cfg, "dirty", "pml_full_cycles"),
		.pml_drain_cycles = cfg_u64(cfg, "dirty", "pml_drain_cycles"),
		.pml_clear_cycles = cfg_u64(cfg, "dirty", "pml_clear_cycles"),
		.dbm_scan_cycles = cfg_u64(cfg, "dirty", "dbm_scan_cycles"),
		.dbm_clean_cycles = cfg_u64(cfg, "dirty", "dbm_clean_cycles"),
	};
	return dirty_init_costs(d, mode, &c, ncpus, base, bytes);
}

void dirty_free(struct dirty *d)
{
	free(d->dirty);
	free(d->drained);
	free(d->sent);
	free(d->cpu);
	d->dirty = d->drained = d->sent = NULL;
	d->cpu = NULL;
}

/* Page index of gpa, or -1 outside the tracked range */
static int64_t page_of(const struct dirty *d, uint64_t gpa)
{
	if (gpa < d->base || (gpa - d->base) >> PAGE_SHIFT >= d->npages)
		return -1;
	return (int64_t)((gpa - d->base) >> PAGE_SHIFT);
}

uint64_t dirty_pml_drain(struct dirty *d, unsigned cpu)
{
	if (d->mode != DIRTY_PML || cpu >= d->ncpus)
		return 0;
	struct dirty_vcpu *v = &d->cpu[cpu];
	/* entries PML_HEAD down to index + 1 are filled (index FFFFH: all) */
	unsigned n = v->pml_index > PML_HEAD ? PML_ENTRIES : PML_HEAD - v->pml_index;
	for (unsigned i = 0; i < n; i++) {
		int64_t p = page_of(d, v->log[PML_HEAD - i]);
		if (p >= 0)
			d->drained[p] = 1;
	}
	v->pml_index = PML_HEAD;
	return n * d->cost.pml_drain_cycles;
}

uint64_t dirty_exit_cycles(const struct dirty *d)
{
	const struct dirty_costs *c = &d->cost;
	switch (d->mode) {
	case DIRTY_WP: return c->exit_cycles + c->wp_fault_cycles;
	case DIRTY_PML: return c->exit_cycles + c->pml_full_cycles + PML_ENTRIES * c->pml_drain_cycles;
	default: return 0;
	}
}

/* SDM: a logging attempt with the index outside 0..511 is a PML-full
 * event: VM exit, the access not done; after the drain (a full log) it is
 * retried (and logged). */
static uint64_t pml_log(struct dirty *d, unsigned cpu, uint64_t gpa, bool *exited)
{
	struct dirty_vcpu *v = &d->cpu[cpu];
	uint64_t cycles = 0;
	if (v->pml_index > PML_HEAD) {
		*exited = true;
		d->round.exits++;
		dirty_pml_drain(d, cpu);
		cycles = dirty_exit_cycles(d);
	}
	v->log[v->pml_index] = gpa >> PAGE_SHIFT << PAGE_SHIFT;
	v->pml_index--;   /* may wrap 0 -> FFFFH: the next attempt exits */
	d->round.logged++;
	return cycles;
}

uint64_t dirty_first_write(struct dirty *d, unsigned cpu, uint64_t gpa, bool *exited)
{
	bool ex = false;
	uint64_t cycles = 0;
	if (cpu < d->ncpus && d->mode != DIRTY_OFF) {
		d->round.pages++;
		if (d->mode == DIRTY_WP) {
			ex = true;
			d->round.exits++;
			cycles = dirty_exit_cycles(d);
		} else if (d->mode == DIRTY_PML) {
			cycles = pml_log(d, cpu, gpa, &ex);
		}
	}
	d->round.guest_cycles += cycles;
	if (exited)
		*exited = ex;
	return cycles;
}

uint64_t dirty_write(struct dirty *d, unsigned cpu, uint64_t gpa, bool *exited)
{
	int64_t p = page_of(d, gpa);
	if (exited)
		*exited = false;
	if (d->mode == DIRTY_OFF || cpu >= d->ncpus || p < 0) {
		d->untracked += d->mode != DIRTY_OFF;
		return 0;
	}
	if (d->dirty[p])
		return 0;
	d->dirty[p] = 1;
	return dirty_first_write(d, cpu, gpa, exited);
}

static uint64_t harvest(struct dirty *d)
{
	const struct dirty_costs *c = &d->cost;
	uint64_t pages = d->round.pages;
	switch (d->mode) {
	case DIRTY_WP:
		memcpy(d->sent, d->dirty, d->npages);
		return pages * c->wp_reprotect_cycles;
	case DIRTY_PML: {
		uint64_t cycles = 0;
		for (unsigned i = 0; i < d->ncpus; i++)
			cycles += dirty_pml_drain(d, i);
		memcpy(d->sent, d->drained, d->npages);
		memset(d->drained, 0, d->npages);
		return cycles + pages * c->pml_clear_cycles;
	}
	case DIRTY_DBM:
		memcpy(d->sent, d->dirty, d->npages);
		return d->npages * c->dbm_scan_cycles + pages * c->dbm_clean_cycles;
	default:
		return 0;
	}
}

void dirty_end_round(struct dirty *d, struct dirty_round *out)
{
	d->round.harvest_cycles += harvest(d);
	memset(d->dirty, 0, d->npages);
	d->total.pages += d->round.pages;
	d->total.exits += d->round.exits;
	d->total.guest_cycles += d->round.guest_cycles;
	d->total.harvest_cycles += d->round.harvest_cycles;
	d->total.logged += d->round.logged;
	d->rounds++;
	if (out)
		*out = d->round;
	memset(&d->round, 0, sizeof d->round);
}

bool dirty_harvested(const struct dirty *d, uint64_t gpa)
{
	int64_t p = page_of(d, gpa);
	return p >= 0 && d->sent[p];
}

static void put(struct stats *st, const char *prefix, const char *name, uint64_t v, const char *doc)
{
	char path[128];
	snprintf(path, sizeof path, "%s.%s", prefix, name);
	*stats_counter(st, path, doc) = v;
}

void dirty_publish_stats(const struct dirty *d, struct stats *st, const char *prefix)
{
	const struct dirty_round *t = &d->total;
	put(st, prefix, "rounds", d->rounds, "migration rounds ended");
	put(st, prefix, "pages", t->pages, "pages dirtied (first write in a round), all rounds");
	put(st, prefix, "exits", t->exits, "exits for dirty logging (write-protection faults or PML-full)");
	put(st, prefix, "guest_cycles", t->guest_cycles, "cycles vCPUs spent in dirty-logging exits");
	put(st, prefix, "harvest_cycles", t->harvest_cycles, "hypervisor cycles harvesting dirty state at round ends");
	put(st, prefix, "pml_logged", t->logged, "PML entries written by the hardware");
	put(st, prefix, "untracked_writes", d->untracked, "writes outside the tracked guest-physical range");
	put(st, prefix, "cycles_per_page_x1000", t->pages ? (t->guest_cycles + t->harvest_cycles) * 1000 / t->pages : 0,
	    "(guest + harvest cycles) per dirtied page, in thousandths of a cycle");
}
