/* Simulated time and the scheduler.
 *
 * Each CPU has its own clock in cycles.  CPUs are interleaved by quanta
 * (temporal decoupling, as in SystemC TLM-2.0 loosely-timed models): in every
 * quantum [now, now + quantum) each running CPU, in index order, executes until
 * its clock reaches the end of the quantum.  Events (a CPU powered on, a timer,
 * a device's interrupt) live in one global queue ordered by (time, insertion
 * order).  A quantum is cut into slices at event times: the running CPUs stop
 * at the next event's time, it fires, and they go on, so an event fires when
 * the CPUs have reached its time.  An event queued while a CPU runs cuts that
 * CPU's slice and those of the CPUs after it; CPUs that already ran past it see
 * its effect at most one quantum late (the decoupling).  Everything is
 * deterministic. */
#ifndef HVSIM_CORE_SIM_H
#define HVSIM_CORE_SIM_H
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t cycles_t;

struct sim_cpu;

/* ---- event queue: binary heap, ties broken by insertion order ---- */
typedef void (*sim_event_fn)(void *ctx, cycles_t when);
struct sim_event {
	cycles_t when;
	uint64_t seq;
	sim_event_fn fn;
	void *ctx;
};
struct evq {
	struct sim_event *heap;
	unsigned len, cap;
	uint64_t next_seq;
	/* The CPU running now (set by sim_run): an event queued for a time
	 * before its slice end cuts the slice there. */
	struct sim_cpu *running;
};
void evq_init(struct evq *q);
void evq_free(struct evq *q);
void evq_push(struct evq *q, cycles_t when, sim_event_fn fn, void *ctx);
/* Time of the earliest event; false if empty. */
bool evq_peek(const struct evq *q, cycles_t *when);
/* Removes the earliest event into *ev; false if empty. */
bool evq_pop(struct evq *q, struct sim_event *ev);

/* ---- CPUs and the quantum loop ---- */
enum sim_cpu_state { SIM_CPU_OFF, SIM_CPU_RUNNING, SIM_CPU_HALTED };

struct sim_cpu {
	cycles_t clock;           /* local time; advanced by the CPU's run function */
	/* At most until: a run function may go on without looking at anything
	 * else while clock < bound.  Lowered with until by evq_push, set to 0
	 * by sim_stop while the CPU runs; the run function may lower it further
	 * (its own reasons to look) and recomputes it when it has looked. */
	cycles_t bound;
	/* End of the current slice, set by sim_run and lowered by evq_push while
	 * the CPU runs: run() reads it afresh at every point it may stop. */
	cycles_t until;
	unsigned id;
	enum sim_cpu_state state;
	cycles_t idle_cycles;     /* time spent OFF or HALTED (advanced by sim_run) */
	/* Executes until clock >= until, the CPU halts/turns off, or sim_stop()
	 * is called.  Returns 0, or -1 on an internal error (err_set). */
	int (*run)(struct sim_cpu *cpu);
	void *ctx;
};

enum sim_stop_reason {
	SIM_RUNNING = 0,
	SIM_STOP_EXIT,       /* the guest asked to stop with a status */
	SIM_STOP_ALL_OFF,    /* every CPU is off and no event is pending */
	SIM_STOP_DEADLOCK,   /* every CPU is halted or off, nothing can wake one */
	SIM_STOP_LIMIT,      /* a user limit (instructions, cycles, wall clock) was reached (err_set says which) */
	SIM_STOP_GUEST_FAULT,/* the guest did something the machine cannot continue from (err_set says what) */
	SIM_STOP_UNSUPPORTED,/* the guest needs something not modelled yet (err_set says what) */
	SIM_STOP_ERROR,      /* a run function failed */
};

struct sim {
	struct evq events;
	struct sim_cpu **cpus;
	unsigned ncpus;
	cycles_t quantum;
	cycles_t now;              /* start of the current quantum */
	uint64_t quanta;           /* quanta executed */
	enum sim_stop_reason stop;
	int exit_status;
	/* Guards a user can set after sim_init (0 = none): simulated time, and
	 * host wall-clock seconds (checked once per quantum; the only
	 * non-deterministic stop, for runs that would otherwise never end). */
	cycles_t max_cycles;
	double wall_limit_s;
	double wall_start_s;
};

void sim_init(struct sim *s, struct sim_cpu **cpus, unsigned ncpus, cycles_t quantum);
void sim_free(struct sim *s);
/* Runs quanta until a stop reason is set.  Idle stretches in which no CPU
 * runs jump straight to the next event.  Returns the reason. */
enum sim_stop_reason sim_run(struct sim *s);
/* Requests a stop; the first request wins. */
void sim_stop(struct sim *s, enum sim_stop_reason why, int status);
/* Lowers CPU cpu's bound to t (s may be NULL: no machine running yet):
 * what it must look at from t on, an interrupt controller's next check. */
static inline void sim_cpu_look_by(struct sim *s, unsigned cpu, cycles_t t)
{
	if (s && cpu < s->ncpus && t < s->cpus[cpu]->bound)
		s->cpus[cpu]->bound = t;
}
/* HALTED or OFF -> RUNNING with clock = max(clock, when). */
void sim_cpu_wake(struct sim_cpu *cpu, cycles_t when);
const char *sim_stop_name(enum sim_stop_reason r);

#endif
