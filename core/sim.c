/* Event queue and the quantum scheduler (see core/sim.h). */
#include "core/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/err.h"

/* ---- event queue: binary min-heap on (when, seq) ---- */

void evq_init(struct evq *q)
{
	memset(q, 0, sizeof *q);
}

void evq_free(struct evq *q)
{
	free(q->heap);
	memset(q, 0, sizeof *q);
}

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

void evq_push(struct evq *q, cycles_t when, sim_event_fn fn, void *ctx)
{
	if (q->len == q->cap) {
		unsigned cap = q->cap ? q->cap * 2 : 64;
		struct sim_event *h = realloc(q->heap, cap * sizeof *h);
		if (!h || cap < q->cap) {
			/* Simulation state cannot be recovered without the event. */
			fprintf(stderr, "hvsim: out of memory (event queue)\n");
			exit(71);
		}
		q->heap = h;
		q->cap = cap;
	}
	struct sim_event ev = { when, q->next_seq++, fn, ctx };
	unsigned i = q->len++;
	while (i > 0) {
		unsigned parent = (i - 1) / 2;
		if (!ev_before(&ev, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = ev;
	if (q->running && when < q->running->until) {
		q->running->until = when;
		if (when < q->running->bound)
			q->running->bound = when;
	}
}

bool evq_peek(const struct evq *q, cycles_t *when)
{
	if (q->len == 0)
		return false;
	*when = q->heap[0].when;
	return true;
}

bool evq_pop(struct evq *q, struct sim_event *ev)
{
	if (q->len == 0)
		return false;
	*ev = q->heap[0];
	struct sim_event last = q->heap[--q->len];
	unsigned i = 0;
	for (;;) {
		unsigned child = 2 * i + 1;
		if (child >= q->len)
			break;
		if (child + 1 < q->len && ev_before(&q->heap[child + 1], &q->heap[child]))
			child++;
		if (!ev_before(&q->heap[child], &last))
			break;
		q->heap[i] = q->heap[child];
		i = child;
	}
	if (q->len > 0)
		q->heap[i] = last;
	return true;
}

/* ---- scheduler ---- */

void sim_init(struct sim *s, struct sim_cpu **cpus, unsigned ncpus, cycles_t quantum)
{
	memset(s, 0, sizeof *s);
	evq_init(&s->events);
	s->cpus = cpus;
	s->ncpus = ncpus;
	/* A zero quantum would never advance time. */
	s->quantum = quantum ? quantum : 1;
	s->stop = SIM_RUNNING;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The cycle and wall-clock guards; true if one stopped the run. */
static bool guards_hit(struct sim *s)
{
	if (s->max_cycles && s->now >= s->max_cycles) {
		err_set("stopped at %llu simulated cycles (--max-cycles %llu)", (unsigned long long)s->now,
			(unsigned long long)s->max_cycles);
		sim_stop(s, SIM_STOP_LIMIT, 0);
		return true;
	}
	if (s->wall_limit_s > 0 && wall_seconds() - s->wall_start_s >= s->wall_limit_s) {
		err_set("stopped after %.0f s of host time at %llu simulated cycles (--timeout %g; --timeout 0 lifts it)",
			wall_seconds() - s->wall_start_s, (unsigned long long)s->now, s->wall_limit_s);
		sim_stop(s, SIM_STOP_LIMIT, 0);
		return true;
	}
	return false;
}

void sim_free(struct sim *s)
{
	evq_free(&s->events);
}

void sim_stop(struct sim *s, enum sim_stop_reason why, int status)
{
	if (s->stop != SIM_RUNNING || why == SIM_RUNNING)
		return;
	s->stop = why;
	s->exit_status = status;
	if (s->events.running)
		s->events.running->bound = 0;   /* it looks at the stop at once */
}

void sim_cpu_wake(struct sim_cpu *cpu, cycles_t when)
{
	if (cpu->state == SIM_CPU_RUNNING)
		return;
	cpu->state = SIM_CPU_RUNNING;
	/* The CPU was idle until it is woken, so clock = busy + idle holds. */
	if (cpu->clock < when) {
		cpu->idle_cycles += when - cpu->clock;
		cpu->clock = when;
	}
}

const char *sim_stop_name(enum sim_stop_reason r)
{
	switch (r) {
	case SIM_RUNNING: return "running";
	case SIM_STOP_EXIT: return "exit";
	case SIM_STOP_ALL_OFF: return "all-off";
	case SIM_STOP_DEADLOCK: return "deadlock";
	case SIM_STOP_LIMIT: return "limit";
	case SIM_STOP_GUEST_FAULT: return "guest-fault";
	case SIM_STOP_UNSUPPORTED: return "unsupported";
	case SIM_STOP_ERROR: return "error";
	}
	return "unknown";
}

/* CPUs that are not running spend [clock, t) idle. */
static void idle_until(struct sim *s, cycles_t t)
{
	for (unsigned i = 0; i < s->ncpus; i++) {
		struct sim_cpu *cpu = s->cpus[i];
		if (cpu->state != SIM_CPU_RUNNING && cpu->clock < t) {
			cpu->idle_cycles += t - cpu->clock;
			cpu->clock = t;
		}
	}
}

static bool any_running(const struct sim *s)
{
	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpus[i]->state == SIM_CPU_RUNNING)
			return true;
	return false;
}

static bool all_off(const struct sim *s)
{
	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpus[i]->state != SIM_CPU_OFF)
			return false;
	return true;
}

/* Fires the events due by t, in (time, insertion) order. */
static void fire_due(struct sim *s, cycles_t t)
{
	struct sim_event ev;
	cycles_t when;
	while (s->stop == SIM_RUNNING && evq_peek(&s->events, &when) && when <= t) {
		evq_pop(&s->events, &ev);
		ev.fn(ev.ctx, ev.when);
	}
}

/* Runs every running CPU behind h up to h, in index order; an event queued
 * meanwhile lowers h for the CPUs still to run.  Returns the slice end all
 * CPUs reached, or 0 after an internal error. */
static cycles_t run_slice(struct sim *s, cycles_t t, cycles_t h)
{
	cycles_t when;
	for (unsigned i = 0; i < s->ncpus && s->stop == SIM_RUNNING; i++) {
		struct sim_cpu *cpu = s->cpus[i];
		if (cpu->state != SIM_CPU_RUNNING || cpu->clock >= h)
			continue;
		cpu->until = cpu->bound = h;
		s->events.running = cpu;
		int r = cpu->run(cpu);
		s->events.running = NULL;
		if (r < 0) {
			/* An internal error overrides any earlier stop request so
			 * that its message is never lost. */
			s->stop = SIM_STOP_ERROR;
			s->exit_status = -1;
			return 0;
		}
		if (evq_peek(&s->events, &when) && when < h)
			h = when > t ? when : t;
	}
	return h;
}

/* One quantum [s->now, end), cut into slices at event times.  True if a CPU
 * ran in it. */
static bool run_quantum(struct sim *s, cycles_t end)
{
	bool ran = false;
	cycles_t t = s->now, when;
	while (s->stop == SIM_RUNNING && t < end) {
		fire_due(s, t);
		if (s->stop != SIM_RUNNING)
			break;
		cycles_t h = evq_peek(&s->events, &when) && when < end ? when : end;
		if (any_running(s)) {
			ran = true;
			h = run_slice(s, t, h);
			if (s->stop != SIM_RUNNING)
				break;
		} else if (!evq_peek(&s->events, &when)) {
			break;   /* nothing can run or wake: sim_run decides why */
		}
		idle_until(s, h);
		t = h;
	}
	return ran;
}

enum sim_stop_reason sim_run(struct sim *s)
{
	s->wall_start_s = wall_seconds();
	while (s->stop == SIM_RUNNING && !guards_hit(s)) {
		cycles_t when;
		fire_due(s, s->now);
		if (s->stop != SIM_RUNNING)
			break;
		if (!any_running(s)) {
			if (!evq_peek(&s->events, &when)) {
				sim_stop(s, all_off(s) ? SIM_STOP_ALL_OFF : SIM_STOP_DEADLOCK, 0);
				break;
			}
			/* Skip to the start of the quantum holding the next event;
			 * quanta stay aligned to the multiples of quantum from 0. */
			if (when - s->now >= s->quantum) {
				s->now += (when - s->now) / s->quantum * s->quantum;
				if (s->max_cycles && s->now > s->max_cycles)
					s->now = s->max_cycles;
				idle_until(s, s->now);
				continue;
			}
		}
		cycles_t end = s->now + s->quantum;
		if (s->max_cycles && end > s->max_cycles)
			end = s->max_cycles;
		if (run_quantum(s, end))
			s->quanta++;
		if (s->stop != SIM_RUNNING)
			break;
		idle_until(s, end);
		s->now = end;
	}
	return s->stop;
}
