/* Quantum scheduler with fake CPUs that advance their clock in fixed steps
 * and record every step in a global trace. */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/sim.h"
#include "tests/unit/unit.h"

#define NEVER UINT64_MAX

struct fake {
	struct sim_cpu cpu;
	struct sim *sim;
	cycles_t step;
	cycles_t halt_at;    /* once clock >= halt_at: HALTED (one shot) */
	cycles_t off_at;     /* once clock >= off_at: OFF (one shot) */
	cycles_t stop_at;    /* once clock >= stop_at: sim_stop(LIMIT, 42) */
	cycles_t fail_at;    /* once clock >= fail_at: return -1 */
	cycles_t push_at;    /* once clock reaches it, queue push_wake at clock + push_delay */
	cycles_t push_delay;
	struct sim_cpu *push_wake;
	cycles_t busy;       /* cycles executed */
	unsigned calls;      /* run() calls */
};

struct step {
	unsigned cpu;
	cycles_t clock;
};
static struct step trace[4096];
static unsigned ntrace;

static void ev_wake(void *ctx, cycles_t when);

static int fake_run(struct sim_cpu *cpu)
{
	struct fake *f = cpu->ctx;
	f->calls++;
	while (cpu->clock < cpu->until) {
		if (cpu->clock >= f->fail_at) {
			f->fail_at = NEVER;
			return err_set("cpu%u: boom at %llu", cpu->id, (unsigned long long)cpu->clock);
		}
		if (ntrace < sizeof trace / sizeof trace[0])
			trace[ntrace++] = (struct step){ cpu->id, cpu->clock };
		cpu->clock += f->step;
		f->busy += f->step;
		if (cpu->clock >= f->push_at) {
			f->push_at = NEVER;
			evq_push(&f->sim->events, cpu->clock + f->push_delay, ev_wake, f->push_wake);
		}
		if (cpu->clock >= f->halt_at) {
			f->halt_at = NEVER;
			cpu->state = SIM_CPU_HALTED;
			return 0;
		}
		if (cpu->clock >= f->off_at) {
			f->off_at = NEVER;
			cpu->state = SIM_CPU_OFF;
			return 0;
		}
		if (cpu->clock >= f->stop_at) {
			f->stop_at = NEVER;
			sim_stop(f->sim, SIM_STOP_LIMIT, 42);
			return 0;
		}
	}
	return 0;
}

static struct fake cpus[3];
static struct sim_cpu *cpu_ptrs[3];
static struct sim sim;

static void setup(unsigned n, cycles_t quantum)
{
	ntrace = 0;
	memset(cpus, 0, sizeof cpus);
	for (unsigned i = 0; i < n; i++) {
		cpus[i].cpu.id = i;
		cpus[i].cpu.state = SIM_CPU_RUNNING;
		cpus[i].cpu.run = fake_run;
		cpus[i].cpu.ctx = &cpus[i];
		cpus[i].sim = &sim;
		cpus[i].step = 10;
		cpus[i].halt_at = cpus[i].off_at = cpus[i].stop_at = cpus[i].fail_at = cpus[i].push_at = NEVER;
		cpu_ptrs[i] = &cpus[i].cpu;
	}
	sim_init(&sim, cpu_ptrs, n, quantum);
}

static void check_trace(const struct step *expect, unsigned n)
{
	CU_ASSERT_EQUAL(ntrace, n);
	for (unsigned i = 0; i < n && i < ntrace; i++) {
		if (trace[i].cpu != expect[i].cpu || trace[i].clock != expect[i].clock) {
			fprintf(stderr, "\n  trace[%u] = (%u, %llu), expected (%u, %llu)\n", i, trace[i].cpu,
				(unsigned long long)trace[i].clock, expect[i].cpu,
				(unsigned long long)expect[i].clock);
			CU_FAIL("trace differs");
			return;
		}
	}
}

/* Every CPU: clock = cycles executed + cycles idle. */
static void check_accounting(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(cpus[i].cpu.clock, cpus[i].busy + cpus[i].cpu.idle_cycles);
}

static cycles_t ev_now[8];
static unsigned nev;

static void ev_stop_exit(void *ctx, cycles_t when)
{
	(void)when;
	sim_stop(ctx, SIM_STOP_EXIT, 7);
}

static void ev_wake(void *ctx, cycles_t when)
{
	if (nev < 8)
		ev_now[nev++] = sim.now;
	sim_cpu_wake(ctx, when);
}

static void test_interleave(void)
{
	setup(2, 100);
	cpus[0].step = 30;
	cpus[1].step = 40;
	evq_push(&sim.events, 350, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	/* The fourth quantum is cut at the event: both CPUs run only to 350. */
	static const struct step expect[] = {
		{ 0, 0 }, { 0, 30 }, { 0, 60 }, { 0, 90 }, { 1, 0 }, { 1, 40 }, { 1, 80 },
		{ 0, 120 }, { 0, 150 }, { 0, 180 }, { 1, 120 }, { 1, 160 },
		{ 0, 210 }, { 0, 240 }, { 0, 270 }, { 1, 200 }, { 1, 240 }, { 1, 280 },
		{ 0, 300 }, { 0, 330 }, { 1, 320 },
	};
	check_trace(expect, sizeof expect / sizeof expect[0]);
	CU_ASSERT_EQUAL(sim.exit_status, 7);
	CU_ASSERT_EQUAL(sim.quanta, 4);
	CU_ASSERT_EQUAL(sim.now, 300);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, 360);
	CU_ASSERT_EQUAL(cpus[1].cpu.clock, 360);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 0);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 0);
	sim_free(&sim);
}

/* A CPU whose clock is past the end of a quantum (one long instruction) is
 * not run in that quantum. */
static void test_long_step(void)
{
	setup(1, 100);
	cpus[0].step = 250;
	evq_push(&sim.events, 600, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	static const struct step expect[] = { { 0, 0 }, { 0, 250 }, { 0, 500 } };
	check_trace(expect, 3);
	CU_ASSERT_EQUAL(cpus[0].calls, 3);
	CU_ASSERT_EQUAL(sim.quanta, 6);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, 750);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 0);
	sim_free(&sim);
}

/* An OFF CPU woken by an event at 250 runs from 250 in the same quantum,
 * after the lower-numbered CPU. */
static void test_wake_mid_quantum(void)
{
	setup(2, 100);
	nev = 0;
	cpus[0].step = 50;
	cpus[1].step = 25;
	cpus[1].cpu.state = SIM_CPU_OFF;
	evq_push(&sim.events, 250, ev_wake, &cpus[1].cpu);
	evq_push(&sim.events, 400, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	static const struct step expect[] = {
		{ 0, 0 }, { 0, 50 }, { 0, 100 }, { 0, 150 },
		{ 0, 200 }, { 0, 250 }, { 1, 250 }, { 1, 275 },
		{ 0, 300 }, { 0, 350 }, { 1, 300 }, { 1, 325 }, { 1, 350 }, { 1, 375 },
	};
	check_trace(expect, sizeof expect / sizeof expect[0]);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(ev_now[0], 200);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 250);
	CU_ASSERT_EQUAL(cpus[1].cpu.clock, 400);
	CU_ASSERT_EQUAL(sim.quanta, 4);
	check_accounting(2);
	sim_free(&sim);
}

/* CPU 0, at 120, queues a wake-up of the halted CPU 1 for 145: its own
 * slice is cut there, and CPU 1 runs from 145 in the same quantum (not from
 * the next quantum's start, 200). */
static void test_event_queued_while_running(void)
{
	setup(2, 100);
	nev = 0;
	cpus[0].step = 20;
	cpus[0].push_at = 120;
	cpus[0].push_delay = 25;
	cpus[0].push_wake = &cpus[1].cpu;
	cpus[1].cpu.state = SIM_CPU_HALTED;
	evq_push(&sim.events, 200, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	static const struct step expect[] = {
		{ 0, 0 }, { 0, 20 }, { 0, 40 }, { 0, 60 }, { 0, 80 },
		{ 0, 100 }, { 0, 120 }, { 0, 140 },
		{ 0, 160 }, { 0, 180 }, { 1, 145 }, { 1, 155 }, { 1, 165 }, { 1, 175 }, { 1, 185 }, { 1, 195 },
	};
	check_trace(expect, sizeof expect / sizeof expect[0]);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(cpus[0].calls, 3);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 145);
	CU_ASSERT_EQUAL(cpus[1].cpu.clock, 205);
	CU_ASSERT_EQUAL(sim.quanta, 2);
	check_accounting(2);
	sim_free(&sim);
}

/* The running CPU's bound (what its fast path compares with): an event
 * queued before it lowers it with until, never raises it; an interrupt
 * controller's check lowers it (sim_cpu_look_by); a stop sets it to 0. */
static void test_bound(void)
{
	setup(2, 100);
	nev = 0;
	struct sim_cpu *c = &cpus[0].cpu;
	c->until = c->bound = 100;
	sim.events.running = c;
	evq_push(&sim.events, 150, ev_wake, &cpus[1].cpu);
	CU_ASSERT_EQUAL(c->until, 100);
	CU_ASSERT_EQUAL(c->bound, 100);
	evq_push(&sim.events, 60, ev_wake, &cpus[1].cpu);
	CU_ASSERT_EQUAL(c->until, 60);
	CU_ASSERT_EQUAL(c->bound, 60);
	c->bound = 30;   /* the CPU's own reason to look earlier */
	evq_push(&sim.events, 50, ev_wake, &cpus[1].cpu);
	CU_ASSERT_EQUAL(c->until, 50);
	CU_ASSERT_EQUAL(c->bound, 30);
	sim_cpu_look_by(&sim, 0, 40);
	CU_ASSERT_EQUAL(c->bound, 30);
	sim_cpu_look_by(&sim, 0, 20);
	CU_ASSERT_EQUAL(c->bound, 20);
	cpus[1].cpu.bound = 500;
	sim_cpu_look_by(&sim, 1, 7);
	CU_ASSERT_EQUAL(cpus[1].cpu.bound, 7);
	sim_cpu_look_by(&sim, 2, 0);      /* no such CPU: ignored */
	sim_cpu_look_by(NULL, 0, 0);      /* no machine running: ignored */
	CU_ASSERT_EQUAL(c->bound, 20);
	sim_stop(&sim, SIM_STOP_LIMIT, 0);
	CU_ASSERT_EQUAL(c->bound, 0);
	sim.events.running = NULL;
	sim_free(&sim);
}

/* CPU 0 halts mid-quantum at 150, sleeps through quanta, is woken at 420. */
static void test_halt_and_idle(void)
{
	setup(2, 100);
	nev = 0;
	cpus[0].step = 30;
	cpus[0].halt_at = 150;
	cpus[1].step = 50;
	evq_push(&sim.events, 420, ev_wake, &cpus[0].cpu);
	evq_push(&sim.events, 500, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	static const struct step expect[] = {
		{ 0, 0 }, { 0, 30 }, { 0, 60 }, { 0, 90 }, { 1, 0 }, { 1, 50 },
		{ 0, 120 }, { 1, 100 }, { 1, 150 },
		{ 1, 200 }, { 1, 250 },
		{ 1, 300 }, { 1, 350 },
		/* CPU 1 runs to the wake-up at 420 first, then both go on */
		{ 1, 400 }, { 0, 420 }, { 0, 450 }, { 0, 480 }, { 1, 450 },
	};
	check_trace(expect, sizeof expect / sizeof expect[0]);
	/* 150..200 halted in its quantum, 200..400 whole quanta, 400..420 until the wake-up */
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 50 + 200 + 20);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, 510);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 0);
	CU_ASSERT_EQUAL(sim.quanta, 5);
	check_accounting(2);
	sim_free(&sim);
}

static void test_deadlock(void)
{
	setup(2, 100);
	cpus[0].halt_at = 30;
	cpus[1].cpu.state = SIM_CPU_OFF;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_DEADLOCK);
	static const struct step expect[] = { { 0, 0 }, { 0, 10 }, { 0, 20 } };
	check_trace(expect, 3);
	CU_ASSERT_EQUAL(sim.now, 100);
	CU_ASSERT_EQUAL(sim.quanta, 1);
	CU_ASSERT_EQUAL(cpus[0].cpu.state, SIM_CPU_HALTED);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 70);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 100);
	check_accounting(2);
	sim_free(&sim);
}

static void test_all_off(void)
{
	setup(2, 100);
	cpus[0].off_at = 230;
	cpus[1].off_at = 40;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_ALL_OFF);
	CU_ASSERT_EQUAL(ntrace, 23 + 4);
	CU_ASSERT_EQUAL(sim.now, 300);
	CU_ASSERT_EQUAL(sim.quanta, 3);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 70);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, 260);
	check_accounting(2);
	sim_free(&sim);
}

/* No CPU runs between 30 and a wake-up at 5*10^12: the loop jumps to the
 * quantum holding the event instead of iterating 5*10^10 empty quanta. */
static void test_skip_ahead(void)
{
	const cycles_t far = 5000000000050ull;
	setup(2, 100);
	nev = 0;
	cpus[0].halt_at = 30;
	cpus[1].cpu.state = SIM_CPU_OFF;
	evq_push(&sim.events, far, ev_wake, &cpus[0].cpu);
	evq_push(&sim.events, far + 150, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(ev_now[0], far - 50);           /* quantum-aligned */
	CU_ASSERT_EQUAL(sim.now, far + 150);
	CU_ASSERT_EQUAL(sim.quanta, 1 + 2);
	CU_ASSERT_EQUAL(ntrace, 3 + 5 + 10);
	CU_ASSERT_EQUAL(trace[3].clock, far);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, far + 150);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, far - 30);
	CU_ASSERT_EQUAL(cpus[1].cpu.idle_cycles, far + 150);
	check_accounting(2);
	sim_free(&sim);
}

/* A failing run function stops the loop before the next CPU runs. */
static void test_error(void)
{
	setup(3, 100);
	cpus[1].fail_at = 120;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_ERROR);
	CU_ASSERT_STRING_EQUAL(err_msg(), "cpu1: boom at 120");
	CU_ASSERT_EQUAL(sim.quanta, 2);
	/* quantum 0: 10 steps each; quantum 1: CPU 0 10 steps, CPU 1 steps at
	 * 100 and 110 then fails; CPU 2 does not run. */
	CU_ASSERT_EQUAL(ntrace, 30 + 10 + 2);
	CU_ASSERT_EQUAL(trace[ntrace - 1].cpu, 1);
	CU_ASSERT_EQUAL(cpus[2].cpu.clock, 100);
	CU_ASSERT_EQUAL(sim.now, 100);
	sim_free(&sim);
}

static void test_stop_from_cpu_and_first_wins(void)
{
	setup(2, 100);
	cpus[0].stop_at = 150;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(sim.exit_status, 42);
	CU_ASSERT_EQUAL(ntrace, 10 + 10 + 5);       /* CPU 1 did not run quantum 1 */
	CU_ASSERT_EQUAL(cpus[1].cpu.clock, 100);
	CU_ASSERT_EQUAL(sim.now, 100);              /* still the stopped quantum */
	/* Later requests do not replace the first. */
	sim_stop(&sim, SIM_STOP_EXIT, 3);
	CU_ASSERT_EQUAL(sim.stop, SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(sim.exit_status, 42);
	/* A stopped simulation does not run again. */
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(ntrace, 25);
	sim_free(&sim);

	setup(1, 100);
	sim_stop(&sim, SIM_STOP_EXIT, 3);
	sim_stop(&sim, SIM_STOP_LIMIT, 9);
	CU_ASSERT_EQUAL(sim.stop, SIM_STOP_EXIT);
	CU_ASSERT_EQUAL(sim.exit_status, 3);
	sim_free(&sim);
}

/* Events pushed by an event handler for the current quantum fire in the same
 * quantum, in (time, insertion) order. */
static unsigned order[8], norder;
static void ev_record(void *ctx, cycles_t when)
{
	(void)when;
	order[norder++] = (unsigned)(uintptr_t)ctx;
}
static void ev_chain(void *ctx, cycles_t when)
{
	(void)ctx;
	order[norder++] = 100;
	evq_push(&sim.events, when + 5, ev_record, (void *)(uintptr_t)3);
	evq_push(&sim.events, when, ev_record, (void *)(uintptr_t)4);
}

static void test_event_chain(void)
{
	setup(1, 100);
	norder = 0;
	evq_push(&sim.events, 20, ev_chain, NULL);
	evq_push(&sim.events, 20, ev_record, (void *)(uintptr_t)1);
	evq_push(&sim.events, 10, ev_record, (void *)(uintptr_t)2);
	evq_push(&sim.events, 100, ev_stop_exit, &sim);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_EXIT);
	static const unsigned expect[] = { 2, 100, 1, 4, 3 };
	CU_ASSERT_EQUAL_FATAL(norder, 5);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(order[i], expect[i]);
	CU_ASSERT_EQUAL(ntrace, 10);
	sim_free(&sim);
}

/* --max-cycles: the last quantum ends at the limit, then the run stops with
 * LIMIT; an idle skip past the limit stops at the limit too. */
static void test_max_cycles(void)
{
	setup(2, 100);
	sim.max_cycles = 250;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(sim.now, 250);
	CU_ASSERT_EQUAL(sim.quanta, 3);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, 250);
	CU_ASSERT_EQUAL(cpus[1].cpu.clock, 250);
	CU_ASSERT_EQUAL(ntrace, 2 * 25);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "--max-cycles 250"));
	sim_free(&sim);

	setup(1, 100);
	sim.max_cycles = 1000;
	cpus[0].halt_at = 30;
	evq_push(&sim.events, 5000000, ev_wake, &cpus[0].cpu);
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(sim.now, 1000);
	CU_ASSERT_EQUAL(cpus[0].cpu.clock, 1000);
	CU_ASSERT_EQUAL(cpus[0].cpu.idle_cycles, 970);
	sim_free(&sim);
}

/* The wall-clock guard is checked before every quantum. */
static void test_wall_limit(void)
{
	setup(1, 100);
	sim.wall_limit_s = 1e-9;
	CU_ASSERT_EQUAL(sim_run(&sim), SIM_STOP_LIMIT);
	CU_ASSERT_EQUAL(sim.quanta, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "--timeout"));
	sim_free(&sim);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_EXIT), "exit");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_ALL_OFF), "all-off");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_DEADLOCK), "deadlock");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_LIMIT), "limit");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_ERROR), "error");
	CU_ASSERT_STRING_EQUAL(sim_stop_name(SIM_STOP_UNSUPPORTED), "unsupported");
	CU_ASSERT_STRING_EQUAL(sim_stop_name((enum sim_stop_reason)99), "unknown");
}

static CU_TestInfo tests[] = {
	{ "interleave", test_interleave },
	{ "long_step", test_long_step },
	{ "wake_mid_quantum", test_wake_mid_quantum },
	{ "event_queued_while_running", test_event_queued_while_running },
	{ "bound", test_bound },
	{ "halt_and_idle", test_halt_and_idle },
	{ "deadlock", test_deadlock },
	{ "all_off", test_all_off },
	{ "skip_ahead", test_skip_ahead },
	{ "error", test_error },
	{ "stop_from_cpu_and_first_wins", test_stop_from_cpu_and_first_wins },
	{ "event_chain", test_event_chain },
	{ "max_cycles", test_max_cycles },
	{ "wall_limit", test_wall_limit },
	{ "names", test_names },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("core_sim", tests);
}
