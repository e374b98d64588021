/* Walk-reference memory hierarchy.  See memh.h. */
#include "mmu/memh.h"
#include <stdlib.h>
#include <string.h>
#include "core/err.h"

int memh_init(struct memh *m, const struct memh_level_geom *levels, unsigned nlevels, uint64_t mem_cycles)
{
	memset(m, 0, sizeof *m);
	m->mem_cycles = mem_cycles;
	m->enabled = true;
	for (unsigned i = 0; i < nlevels && i < MEMH_MAX_LEVELS; i++) {
		struct memh_level *l = &m->lv[i];
		l->g = levels[i];
		size_t n = (size_t)l->g.sets * l->g.ways;
		if (!n || l->g.line_shift >= 64) {
			memh_free(m);
			return err_set("memory hierarchy level %u: no sets or ways", i + 1);
		}
		l->tag = calloc(n, sizeof *l->tag);
		l->stamp = calloc(n, sizeof *l->stamp);
		m->nlevels = i + 1;
		if (!l->tag || !l->stamp) {
			memh_free(m);
			return err_set("memory hierarchy level %u: out of memory", i + 1);
		}
	}
	return 0;
}

void memh_free(struct memh *m)
{
	for (unsigned i = 0; i < m->nlevels; i++) {
		free(m->lv[i].tag);
		free(m->lv[i].stamp);
	}
	m->nlevels = 0;
}

void memh_flush(struct memh *m)
{
	for (unsigned i = 0; i < m->nlevels; i++)
		memset(m->lv[i].tag, 0, (size_t)m->lv[i].g.sets * m->lv[i].g.ways * sizeof *m->lv[i].tag);
}

/* First entry of pa's set; *tag gets the line's tag */
static size_t set_base(const struct memh_level *l, uint64_t pa, uint64_t *tag)
{
	uint64_t line = pa >> l->g.line_shift;
	*tag = line + 1;
	return (size_t)(line % l->g.sets) * l->g.ways;
}

/* Way holding the line, or -1 */
static int find_way(const struct memh_level *l, size_t base, uint64_t line)
{
	for (unsigned w = 0; w < l->g.ways; w++)
		if (l->tag[base + w] == line)
			return (int)w;
	return -1;
}

static void fill(struct memh *m, struct memh_level *l, size_t base, uint64_t line)
{
	unsigned v = 0;
	for (unsigned w = 0; w < l->g.ways; w++) {
		if (!l->tag[base + w]) {
			v = w;
			break;
		}
		if (l->stamp[base + w] < l->stamp[base + v])
			v = w;
	}
	l->tag[base + v] = line;
	l->stamp[base + v] = ++m->clock;
}

uint64_t memh_access(struct memh *m, uint64_t pa, unsigned *served)
{
	unsigned hit = m->nlevels;
	if (!m->enabled) {
		m->mem_accesses++;
		if (served)
			*served = hit;
		return m->mem_cycles;
	}
	for (unsigned i = 0; i < m->nlevels; i++) {
		struct memh_level *l = &m->lv[i];
		uint64_t line;
		size_t base = set_base(l, pa, &line);
		int w = find_way(l, base, line);
		if (w >= 0) {
			l->hits++;
			l->stamp[base + (unsigned)w] = ++m->clock;
			hit = i;
			break;
		}
		l->misses++;
	}
	for (unsigned i = 0; i < hit; i++) {
		struct memh_level *l = &m->lv[i];
		uint64_t line;
		size_t base = set_base(l, pa, &line);
		fill(m, l, base, line);
	}
	if (served)
		*served = hit;
	if (hit == m->nlevels) {
		m->mem_accesses++;
		return m->mem_cycles;
	}
	return m->lv[hit].g.hit_cycles;
}
