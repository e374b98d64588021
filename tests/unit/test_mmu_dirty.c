/* Dirty logging: PML per SDM Vol. 3C (index 511 down, PML-full exit on the
 * logging attempt after 512 entries: 511/512/513 pages), write protection
 * (one exit per first write to a page per round), DBM (no exit). */
#include <string.h>

#include "core/err.h"
#include "mmu/dirty.h"
#include "platform/designs.h"
#include "tests/unit/unit.h"

#define RAM 0x40000000ull
#define RAM_BYTES (16ull << 20)

static const struct dirty_costs costs = {
	.exit_cycles = 1000, .wp_fault_cycles = 700, .wp_reprotect_cycles = 30, .pml_full_cycles = 300,
	.pml_drain_cycles = 20, .pml_clear_cycles = 10, .dbm_scan_cycles = 2, .dbm_clean_cycles = 15,
};

static void make(struct dirty *d, enum dirty_mode mode, unsigned ncpus)
{
	CU_ASSERT_EQUAL_FATAL(dirty_init_costs(d, mode, &costs, ncpus, RAM, RAM_BYTES), 0);
}

/* Writes one byte into each of pages [first, first + n), returns exits */
static unsigned write_pages(struct dirty *d, unsigned cpu, unsigned first, unsigned n, uint64_t *cycles)
{
	unsigned exits = 0;
	for (unsigned i = first; i < first + n; i++) {
		bool ex;
		uint64_t c = dirty_write(d, cpu, RAM + (uint64_t)i * 4096 + 0x18, &ex);
		exits += ex;
		if (cycles)
			*cycles += c;
	}
	return exits;
}

static void test_pml_511_512_513(void)
{
	static const struct { unsigned pages, exits; uint16_t index; } cases[] = {
		{ 511, 0, 0 },        /* entries 511..1 used, index 0 */
		{ 512, 0, 0xffff },   /* entry 0 used, index wrapped: the log is full, no exit yet */
		{ 513, 1, 510 },      /* the 513th attempt exits, is logged at 511 after the drain */
		{ 1024, 1, 0xffff },
		{ 1025, 2, 510 },
	};
	for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct dirty d;
		make(&d, DIRTY_PML, 1);
		uint64_t cycles = 0;
		CU_ASSERT_EQUAL(write_pages(&d, 0, 0, cases[k].pages, &cycles), cases[k].exits);
		CU_ASSERT_EQUAL(d.cpu[0].pml_index, cases[k].index);
		CU_ASSERT_EQUAL(d.round.logged, cases[k].pages);
		CU_ASSERT_EQUAL(d.round.pages, cases[k].pages);
		/* each exit: round trip + handler + draining 512 entries */
		CU_ASSERT_EQUAL(cycles, cases[k].exits * (1000 + 300 + 512 * 20));
		dirty_free(&d);
	}
}

/* The log holds 4K-aligned GPAs from index 511 down; writing a page twice
 * logs it once (its EPT dirty flag is already set). */
static void test_pml_log_contents(void)
{
	struct dirty d;
	make(&d, DIRTY_PML, 1);
	write_pages(&d, 0, 7, 3, NULL);
	write_pages(&d, 0, 7, 3, NULL);
	CU_ASSERT_EQUAL(d.cpu[0].pml_index, 508);
	CU_ASSERT_EQUAL(d.cpu[0].log[511], RAM + 7 * 4096);
	CU_ASSERT_EQUAL(d.cpu[0].log[510], RAM + 8 * 4096);
	CU_ASSERT_EQUAL(d.cpu[0].log[509], RAM + 9 * 4096);
	CU_ASSERT_EQUAL(d.round.logged, 3);
	dirty_free(&d);
}

/* Each vCPU has its own log: 2 x 300 pages, no exit. */
static void test_pml_per_vcpu(void)
{
	struct dirty d;
	make(&d, DIRTY_PML, 2);
	CU_ASSERT_EQUAL(write_pages(&d, 0, 0, 300, NULL), 0);
	CU_ASSERT_EQUAL(write_pages(&d, 1, 300, 300, NULL), 0);
	CU_ASSERT_EQUAL(d.cpu[1].pml_index, 211);
	dirty_free(&d);
}

/* End of round: partial logs drained, every dirtied page harvested, dirty
 * flags cleared; the next round logs the same pages again. */
static void test_pml_round(void)
{
	struct dirty d;
	make(&d, DIRTY_PML, 1);
	write_pages(&d, 0, 0, 513, NULL);
	struct dirty_round r;
	dirty_end_round(&d, &r);
	CU_ASSERT_EQUAL(r.pages, 513);
	CU_ASSERT_EQUAL(r.exits, 1);
	CU_ASSERT_EQUAL(r.harvest_cycles, 1 * 20 + 513 * 10);   /* 1 entry left in the log, 513 flags cleared */
	for (unsigned i = 0; i < 513; i++)
		CU_ASSERT_TRUE(dirty_harvested(&d, RAM + (uint64_t)i * 4096));
	CU_ASSERT_FALSE(dirty_harvested(&d, RAM + 513ull * 4096));
	CU_ASSERT_EQUAL(d.cpu[0].pml_index, 511);
	CU_ASSERT_EQUAL(write_pages(&d, 0, 0, 10, NULL), 0);
	CU_ASSERT_EQUAL(d.round.logged, 10);
	dirty_end_round(&d, &r);
	CU_ASSERT_FALSE(dirty_harvested(&d, RAM + 10ull * 4096));
	CU_ASSERT_EQUAL(d.total.pages, 523);
	CU_ASSERT_EQUAL(d.rounds, 2);
	dirty_free(&d);
}

/* A drain at another exit (KVM flushes the log at every exit) resets the
 * index: 400 pages, drain, 400 more: no PML-full exit. */
static void test_pml_drain_at_exit(void)
{
	struct dirty d;
	make(&d, DIRTY_PML, 1);
	write_pages(&d, 0, 0, 400, NULL);
	CU_ASSERT_EQUAL(dirty_pml_drain(&d, 0), 400 * 20);
	CU_ASSERT_EQUAL(write_pages(&d, 0, 400, 400, NULL), 0);
	dirty_free(&d);
}

/* WP: one exit per first write to a page per round */
static void test_wp(void)
{
	struct dirty d;
	make(&d, DIRTY_WP, 2);
	uint64_t cycles = 0;
	CU_ASSERT_EQUAL(write_pages(&d, 0, 0, 10, &cycles), 10);
	CU_ASSERT_EQUAL(write_pages(&d, 1, 0, 10, &cycles), 0);   /* already writable, any vCPU */
	CU_ASSERT_EQUAL(write_pages(&d, 0, 0, 10, &cycles), 0);
	CU_ASSERT_EQUAL(cycles, 10 * (1000 + 700));
	struct dirty_round r;
	dirty_end_round(&d, &r);
	CU_ASSERT_EQUAL(r.exits, 10);
	CU_ASSERT_EQUAL(r.harvest_cycles, 10 * 30);
	CU_ASSERT_TRUE(dirty_harvested(&d, RAM + 9 * 4096));
	CU_ASSERT_EQUAL(write_pages(&d, 0, 5, 10, NULL), 10);       /* protected again */
	dirty_free(&d);
}

/* DBM: no exits; the harvest scans every tracked page */
static void test_dbm(void)
{
	struct dirty d;
	make(&d, DIRTY_DBM, 1);
	uint64_t cycles = 0;
	CU_ASSERT_EQUAL(write_pages(&d, 0, 0, 1000, &cycles), 0);
	CU_ASSERT_EQUAL(cycles, 0);
	struct dirty_round r;
	dirty_end_round(&d, &r);
	CU_ASSERT_EQUAL(r.pages, 1000);
	CU_ASSERT_EQUAL(r.exits, 0);
	CU_ASSERT_EQUAL(r.harvest_cycles, (RAM_BYTES / 4096) * 2 + 1000 * 15);
	dirty_free(&d);
}

/* Writes outside the tracked range or from an unknown vCPU are ignored */
static void test_bounds(void)
{
	struct dirty d;
	make(&d, DIRTY_WP, 1);
	bool ex = true;
	CU_ASSERT_EQUAL(dirty_write(&d, 0, RAM - 1, &ex), 0);
	CU_ASSERT_FALSE(ex);
	CU_ASSERT_EQUAL(dirty_write(&d, 0, RAM + RAM_BYTES, &ex), 0);
	CU_ASSERT_EQUAL(dirty_write(&d, 5, RAM, &ex), 0);
	CU_ASSERT_EQUAL(dirty_write(&d, 0, UINT64_MAX, &ex), 0);
	CU_ASSERT_EQUAL(d.untracked, 4);
	CU_ASSERT_FALSE(dirty_harvested(&d, UINT64_MAX));
	dirty_free(&d);
}

static void test_design(void)
{
	struct cfg *cfg = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_load_default(cfg, ISA_A64), 0);
	struct dirty d;
	CU_ASSERT_EQUAL(cfg_set(cfg, "dirty.mode=pml"), 0);
	CU_ASSERT_EQUAL(dirty_init(&d, cfg, true, 800, 2, RAM, RAM_BYTES), -1);
	CU_ASSERT_STRING_EQUAL(err_msg(), "dirty.mode: pml needs Intel VMX; the ARM machine has wp or dbm");
	cfg_free(cfg);
	cfg = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_load_default(cfg, ISA_A64), 0);
	CU_ASSERT_EQUAL(cfg_set(cfg, "dirty.mode=dbm"), 0);
	CU_ASSERT_EQUAL_FATAL(dirty_init(&d, cfg, true, 800, 2, RAM, RAM_BYTES), 0);
	CU_ASSERT_EQUAL(d.mode, DIRTY_DBM);
	CU_ASSERT_EQUAL(d.cost.exit_cycles, 800);
	dirty_free(&d);
	cfg_free(cfg);
	cfg = cfg_new();
	CU_ASSERT_EQUAL_FATAL(design_load_default(cfg, ISA_X86_64), 0);
	CU_ASSERT_EQUAL(cfg_set(cfg, "dirty.mode=dbm"), 0);
	CU_ASSERT_EQUAL(dirty_init(&d, cfg, false, 500, 2, RAM, RAM_BYTES), -1);
	cfg_free(cfg);
}

static CU_TestInfo tests[] = {
	{ "PML at 511/512/513 (and 1024/1025) pages", test_pml_511_512_513 },
	{ "PML log contents", test_pml_log_contents },
	{ "PML log per vCPU", test_pml_per_vcpu },
	{ "PML round harvest", test_pml_round },
	{ "PML drained at another exit", test_pml_drain_at_exit },
	{ "WP: one exit per page per round", test_wp },
	{ "DBM: no exits", test_dbm },
	{ "bounds", test_bounds },
	{ "design keys", test_design },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("mmu_dirty", tests);
}
