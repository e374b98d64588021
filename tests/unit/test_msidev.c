/* The MSI device (dev/msidev.h) through its dev_ops and the core's event
 * queue: doorbells, rate mode with exact counts over a time window, MSI-X
 * style masking and pending bits, and the bounds of every guest-supplied
 * queue index and offset. */
#include <string.h>

#include "core/cfg.h"
#include "dev/msidev.h"
#include "platform/designs.h"
#include "tests/unit/unit.h"

static cycles_t now;
static cycles_t get_now(void *ctx) { return now; }

#define MAX_WRITES 64
static struct msi_write {
	uint64_t addr;
	uint32_t data;
	uint16_t rid;
	cycles_t when;
} w[MAX_WRITES];
static unsigned nw;

static void record(void *ctx, uint64_t addr, uint32_t data, uint16_t rid, cycles_t when)
{
	if (nw < MAX_WRITES)
		w[nw] = (struct msi_write){ addr, data, rid, when };
	nw++;
}

static struct evq q;

/* Fires every event due by t, in order, with the clock at each event. */
static void run_until(cycles_t t)
{
	cycles_t when;
	struct sim_event e;
	while (evq_peek(&q, &when) && when <= t) {
		evq_pop(&q, &e);
		now = e.when;
		e.fn(e.ctx, e.when);
	}
	now = t;
}

static uint32_t rd(struct msidev *d, uint64_t off) { return (uint32_t)msidev_ops.read(d, off, 4); }
static void wr(struct msidev *d, uint64_t off, uint32_t v) { msidev_ops.write(d, off, 4, v); }
static uint64_t qoff(unsigned i, unsigned reg) { return 0x100 + 0x20 * i + reg; }

/* 4 queues, requester IDs 0x0010 + 2q, period 1000, doorbell latency 50. */
static void setup(struct msidev *d)
{
	struct msidev_config c = { .queues = 4, .requester_id = 0x10, .rid_stride = 2, .interval_cycles = 1000,
				   .doorbell_cycles = 50 };
	evq_free(&q);
	evq_init(&q);
	now = 0;
	nw = 0;
	CU_ASSERT_EQUAL_FATAL(msidev_init(d, &c, &q, get_now, record, NULL), 0);
}

/* Queue i: address, data, unmasked; the device enabled. */
static void program(struct msidev *d, unsigned i, uint64_t addr, uint32_t data)
{
	wr(d, qoff(i, 0x0), (uint32_t)addr);
	wr(d, qoff(i, 0x4), (uint32_t)(addr >> 32));
	wr(d, qoff(i, 0x8), data);
	wr(d, qoff(i, 0xc), 0);
	wr(d, 0x008, 1);
}

static void test_registers(void)
{
	struct msidev d;
	setup(&d);
	CU_ASSERT_EQUAL(rd(&d, 0x000), 0x4449534d);     /* "MSID" */
	CU_ASSERT_EQUAL(rd(&d, 0x004), 4);
	CU_ASSERT_EQUAL(rd(&d, 0x008), 0);
	CU_ASSERT_EQUAL(rd(&d, 0x010), 1000);
	CU_ASSERT_EQUAL(rd(&d, 0x014), 0);
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(rd(&d, qoff(i, 0x14)), 0x10 + 2 * i);   /* RID */
		CU_ASSERT_EQUAL(rd(&d, qoff(i, 0x0c)), 1);              /* masked at reset (MSI-X) */
	}
	program(&d, 3, 0x8080040ULL, 7);   /* GITS_TRANSLATER of QEMU virt's ITS, EventID 7 */
	CU_ASSERT_EQUAL(rd(&d, qoff(3, 0x0)), 0x8080040);
	CU_ASSERT_EQUAL(rd(&d, qoff(3, 0x8)), 7);
	CU_ASSERT_EQUAL(msidev_ops.read(&d, qoff(3, 0x0), 8), 0x8080040ULL);
	msidev_ops.write(&d, qoff(3, 0x0), 8, 0x12345678fee00000ULL);
	CU_ASSERT_EQUAL(rd(&d, qoff(3, 0x4)), 0x12345678);
	CU_ASSERT_EQUAL(d.own_errors, 0);
}

static void test_doorbell(void)
{
	struct msidev d;
	setup(&d);
	program(&d, 2, 0xfee00000ULL, 0x41);
	now = 1000;
	wr(&d, 0x00c, 2);
	CU_ASSERT_EQUAL(nw, 0);                 /* not before the device's latency */
	run_until(1049);
	CU_ASSERT_EQUAL(nw, 0);
	run_until(1050);
	CU_ASSERT_EQUAL_FATAL(nw, 1);
	CU_ASSERT_EQUAL(w[0].addr, 0xfee00000ULL);
	CU_ASSERT_EQUAL(w[0].data, 0x41);
	CU_ASSERT_EQUAL(w[0].rid, 0x14);
	CU_ASSERT_EQUAL(w[0].when, 1050);
	/* three doorbells, three writes */
	wr(&d, 0x00c, 2);
	wr(&d, 0x00c, 2);
	wr(&d, 0x00c, 2);
	run_until(5000);
	CU_ASSERT_EQUAL(nw, 4);
	CU_ASSERT_EQUAL(rd(&d, qoff(2, 0x18)), 4);   /* COUNT */
	CU_ASSERT_EQUAL(d.sent, 4);
	CU_ASSERT_EQUAL(d.doorbells, 4);
	CU_ASSERT_EQUAL(d.own_errors, 0);
}

static void test_index_bounds(void)
{
	struct msidev d;
	setup(&d);
	program(&d, 0, 0xfee00000ULL, 0x41);
	/* doorbell indexes 4 (= NQUEUES) and beyond: ignored */
	wr(&d, 0x00c, 4);
	wr(&d, 0x00c, 0xffffffff);
	wr(&d, 0x00c, 64);
	run_until(10000);
	CU_ASSERT_EQUAL(nw, 0);
	CU_ASSERT_EQUAL(d.own_errors, 3);
	/* queue registers past the last queue, and the 64th queue slot */
	CU_ASSERT_EQUAL(rd(&d, qoff(4, 0x0)), 0);
	wr(&d, qoff(4, 0x10), 1);
	CU_ASSERT_EQUAL(rd(&d, qoff(63, 0x8)), 0);
	CU_ASSERT_EQUAL(d.own_errors, 6);
	/* reserved offsets, read-only registers, bad widths and alignment, outside the window */
	CU_ASSERT_EQUAL(rd(&d, 0x01c), 0);
	wr(&d, 0x004, 9);
	wr(&d, qoff(0, 0x14), 0x99);
	CU_ASSERT_EQUAL(rd(&d, qoff(0, 0x14)), 0x10);
	CU_ASSERT_EQUAL(msidev_ops.read(&d, 0x004, 2), 0);
	CU_ASSERT_EQUAL(msidev_ops.read(&d, 0x006, 4), 0);
	msidev_ops.write(&d, 0x00c, 1, 0);
	CU_ASSERT_EQUAL(rd(&d, 0x1000), 0);
	CU_ASSERT_EQUAL(d.own_errors, 13);
	CU_ASSERT_EQUAL(rd(&d, 0x004), 4);
	run_until(20000);
	CU_ASSERT_EQUAL(nw, 0);
}

static void test_rate_counts(void)
{
	struct msidev d;
	setup(&d);
	program(&d, 0, 0xfee00000ULL, 0x40);
	program(&d, 1, 0xfee00000ULL, 0x41);
	wr(&d, qoff(0, 0x10), 1);       /* at 0: due 1000, 2000, ... */
	CU_ASSERT_EQUAL(rd(&d, qoff(0, 0x10)), 1);
	now = 500;
	wr(&d, qoff(1, 0x10), 1);       /* at 500: due 1500, 2500, ... */
	run_until(10000);
	CU_ASSERT_EQUAL(rd(&d, qoff(0, 0x18)), 10);   /* 1000..10000 */
	CU_ASSERT_EQUAL(rd(&d, qoff(1, 0x18)), 9);    /* 1500..9500 */
	CU_ASSERT_EQUAL(nw, 19);
	CU_ASSERT_EQUAL(w[0].when, 1000);
	CU_ASSERT_EQUAL(w[1].when, 1500);
	CU_ASSERT_EQUAL(w[18].when, 10000);
	/* off at 10200: nothing more from queue 0 */
	now = 10200;
	wr(&d, qoff(0, 0x10), 0);
	run_until(20000);
	CU_ASSERT_EQUAL(rd(&d, qoff(0, 0x18)), 10);
	CU_ASSERT_EQUAL(rd(&d, qoff(1, 0x18)), 19);   /* 1500..19500 */
}

static void test_rate_restart(void)
{
	struct msidev d;
	setup(&d);
	program(&d, 0, 0xfee00000ULL, 0x40);
	/* on at 0, off at 100, on at 100: the period restarts, due 1100, 2100, ... */
	wr(&d, qoff(0, 0x10), 1);
	now = 100;
	wr(&d, qoff(0, 0x10), 0);
	wr(&d, qoff(0, 0x10), 1);
	run_until(9999);
	CU_ASSERT_EQUAL(nw, 9);                 /* 1100..9100 */
	CU_ASSERT_EQUAL(w[0].when, 1100);
	/* on, off, on at the same instant: one interrupt per period */
	setup(&d);
	program(&d, 0, 0xfee00000ULL, 0x40);
	wr(&d, qoff(0, 0x10), 1);
	wr(&d, qoff(0, 0x10), 0);
	wr(&d, qoff(0, 0x10), 1);
	run_until(5000);
	CU_ASSERT_EQUAL(nw, 5);
	/* writing 1 again while on changes nothing */
	wr(&d, qoff(0, 0x10), 1);
	run_until(10000);
	CU_ASSERT_EQUAL(nw, 10);
}

static void test_masking(void)
{
	struct msidev d;
	setup(&d);
	program(&d, 1, 0xfee00000ULL, 0x41);
	wr(&d, qoff(1, 0xc), 1);                /* mask */
	wr(&d, 0x00c, 1);
	run_until(100);
	CU_ASSERT_EQUAL(nw, 0);
	CU_ASSERT_EQUAL(rd(&d, qoff(1, 0x1c)), 1);    /* pending */
	now = 200;
	wr(&d, qoff(1, 0xc), 0);                /* unmask: sent now */
	CU_ASSERT_EQUAL_FATAL(nw, 1);
	CU_ASSERT_EQUAL(w[0].when, 200);
	CU_ASSERT_EQUAL(rd(&d, qoff(1, 0x1c)), 0);
	/* function mask (CTRL bit 1) */
	wr(&d, 0x008, 3);
	wr(&d, 0x00c, 1);
	wr(&d, 0x00c, 1);
	run_until(1000);
	CU_ASSERT_EQUAL(nw, 1);
	wr(&d, 0x008, 1);
	CU_ASSERT_EQUAL(nw, 2);                 /* one pending bit: one message */
	CU_ASSERT_EQUAL(d.masked, 3);
	/* disabled: dropped, nothing pending */
	wr(&d, 0x008, 0);
	wr(&d, 0x00c, 1);
	run_until(2000);
	wr(&d, 0x008, 1);
	CU_ASSERT_EQUAL(nw, 2);
	CU_ASSERT_EQUAL(d.dropped, 1);
	CU_ASSERT_EQUAL(d.own_errors, 0);
}

static void test_config(void)
{
	struct msidev d;
	struct msidev_config c = { .queues = 0, .requester_id = 0x10 };
	CU_ASSERT_EQUAL(msidev_init(&d, &c, &q, get_now, record, NULL), -1);
	c.queues = 65;
	CU_ASSERT_EQUAL(msidev_init(&d, &c, &q, get_now, record, NULL), -1);
	c.queues = 64;
	c.requester_id = 0xffc1;
	c.rid_stride = 1;
	CU_ASSERT_EQUAL(msidev_init(&d, &c, &q, get_now, record, NULL), -1);   /* queue 63 would be 0x10000 */
	c.requester_id = 0xffc0;
	CU_ASSERT_EQUAL(msidev_init(&d, &c, &q, get_now, record, NULL), 0);    /* queue 63 is 0xffff */
	/* the default designs carry [msidev] for both machines */
	for (unsigned isa = 0; isa < 2; isa++) {
		struct cfg *cf = cfg_new();
		CU_ASSERT_EQUAL_FATAL(design_load_default(cf, isa ? ISA_X86_64 : ISA_A64), 0);
		CU_ASSERT_EQUAL(cfg_check_complete(cf), 0);
		struct msidev_config mc;
		msidev_config_read(cf, &mc);
		CU_ASSERT_EQUAL(mc.queues, 4);
		CU_ASSERT_EQUAL(mc.requester_id, 0x10);
		CU_ASSERT_EQUAL(mc.interval_cycles, 260000);
		cfg_free(cf);
	}
}

static int intx_edges[2];
static void intx_line(void *ctx, bool asserted, cycles_t when) { intx_edges[asserted]++; }

/* MSI-X off with an INTx line: a doorbell asserts it (once, however many
 * come: the line is level), INTX_STATUS shows it, a write of 1 deasserts;
 * enabling MSI-X deasserts it too (PCI 3.0 6.8.2.3) and MSIs flow again.
 * Without a line (the ARM machine) ENABLE = 0 still drops. */
static void test_intx(void)
{
	struct msidev d;
	setup(&d);
	memset(intx_edges, 0, sizeof intx_edges);
	d.intx = intx_line;
	program(&d, 1, 0xfee00000u, 0x41);
	wr(&d, 0x008, 0);                       /* MSI-X off */
	wr(&d, 0x00c, 1);
	wr(&d, 0x00c, 1);
	run_until(100);
	CU_ASSERT_EQUAL(nw, 0);
	CU_ASSERT_EQUAL(intx_edges[1], 1);
	CU_ASSERT_EQUAL(d.intx_raised, 2);
	CU_ASSERT_EQUAL(rd(&d, 0x018), 1);
	wr(&d, 0x018, 0);                       /* writing 0 changes nothing */
	CU_ASSERT_EQUAL(rd(&d, 0x018), 1);
	wr(&d, 0x018, 1);
	CU_ASSERT_EQUAL(rd(&d, 0x018), 0);
	CU_ASSERT_EQUAL(intx_edges[0], 1);
	wr(&d, 0x00c, 1);
	run_until(200);
	CU_ASSERT_EQUAL(intx_edges[1], 2);
	wr(&d, 0x008, 1);                       /* MSI-X on: INTx released */
	CU_ASSERT_EQUAL(intx_edges[0], 2);
	CU_ASSERT_EQUAL(rd(&d, 0x018), 0);
	wr(&d, 0x00c, 1);
	run_until(300);
	CU_ASSERT_EQUAL_FATAL(nw, 1);
	CU_ASSERT_EQUAL(w[0].data, 0x41);
	CU_ASSERT_EQUAL(d.sending, 1);          /* the queue whose MSI it was */
	CU_ASSERT_EQUAL(d.own_errors, 0);
	d.intx = NULL;
	wr(&d, 0x008, 0);
	wr(&d, 0x00c, 1);
	run_until(400);
	CU_ASSERT_EQUAL(d.dropped, 1);
	CU_ASSERT_EQUAL(intx_edges[1], 2);
}

static CU_TestInfo tests[] = {
	{ "INTx line", test_intx },
	{ "registers", test_registers },
	{ "doorbell", test_doorbell },
	{ "queue index bounds", test_index_bounds },
	{ "rate mode counts", test_rate_counts },
	{ "rate mode restart", test_rate_restart },
	{ "MSI-X masking", test_masking },
	{ "configuration", test_config },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	int r = unit_run("msidev", tests);
	evq_free(&q);
	return r;
}
