/* The pc machine's multiboot boot (platform/pc_boot.c): what lands in guest
 * RAM.  Addresses and layouts from hvsim-abi.h and the Multiboot
 * Specification 0.6.96 §3.3; sizes worked out by hand for 128 MiB. */
#include <elf.h>
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "core/stats.h"
#include "platform/designs.h"
#include "platform/hvsim-abi.h"
#include "platform/pc.h"
#include "tests/unit/unit.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static struct cfg *design(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(design_load_default(c, ISA_X86_64), 0);
	CU_ASSERT_EQUAL_FATAL(cfg_set(c, "sim.ram_mb=128"), 0);
	return c;
}

/* A kernel [1 MiB, 1 MiB + 0x1800) with bss to 0x102100: module 0 on the
 * next page, 0x103000 */
static const uint8_t code[16] = { 0xeb, 0xfe };
static const struct elf_segment seg = { 0x100000, 0x2100, sizeof code, code, PF_R | PF_X };
static const struct elf_image img = { .machine = EM_386, .entry = 0x100000,
				      .segs = (struct elf_segment *)&seg, .nsegs = 1 };

static void test_layout(void)
{
	static struct pc p;
	static const uint8_t initrd[5] = "abcd";
	struct cfg *c = design();
	struct stats *st = stats_new();
	struct pc_boot b = { .kernel = "k.elf", .append = "a=1", .initrd = initrd, .initrd_size = 5,
			     .initrd_name = "rd" };
	CU_ASSERT_EQUAL_FATAL(pc_create_multiboot(&p, c, st, &img, &b), 0);
	const uint8_t *ram = p.m.ram, *mbi = ram + HVSIM_PC_MB_INFO;
	CU_ASSERT_EQUAL(pc_boot_entry(&p, &img), HVSIM_PC_MB_STUB + 0x20);
	CU_ASSERT_EQUAL(p.mb.ebx, HVSIM_PC_MB_INFO);
	CU_ASSERT_EQUAL(rd32(mbi + 4), 639);                    /* mem_lower, KiB */
	CU_ASSERT_EQUAL(rd32(mbi + 8), 127 * 1024);             /* mem_upper: 128 MiB - 1 MiB */
	CU_ASSERT_STRING_EQUAL((const char *)ram + rd32(mbi + 16), "k.elf a=1");
	CU_ASSERT_EQUAL(rd32(mbi + 20), 1);
	const uint8_t *mod = ram + rd32(mbi + 24);
	CU_ASSERT_EQUAL(rd32(mod), 0x103000);
	CU_ASSERT_EQUAL(rd32(mod + 4), 0x103005);
	CU_ASSERT_STRING_EQUAL((const char *)ram + rd32(mod + 8), "rd");
	CU_ASSERT_EQUAL(memcmp(ram + 0x103000, "abcd", 5), 0);
	/* memory map: [0, 0x9fc00) available, [0x9fc00, 0xa0000) reserved,
	 * [1 MiB, 128 MiB) available */
	CU_ASSERT_EQUAL(rd32(mbi + 44), 3 * 24);
	const uint8_t *e = ram + rd32(mbi + 48);
	const uint64_t want[3][3] = { { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0x100000, 0x7f00000, 1 } };
	for (unsigned i = 0; i < 3; i++, e += 24) {
		CU_ASSERT_EQUAL(rd32(e), 20);
		CU_ASSERT_EQUAL(rd64(e + 4), want[i][0]);
		CU_ASSERT_EQUAL(rd64(e + 12), want[i][1]);
		CU_ASSERT_EQUAL(rd32(e + 20), want[i][2]);
	}
	/* the stub's GDT: flat 32-bit code at 0x08, data at 0x10 */
	CU_ASSERT_EQUAL(rd64(ram + HVSIM_PC_MB_STUB + 8), 0x00cf9a000000ffffULL);
	CU_ASSERT_EQUAL(rd64(ram + HVSIM_PC_MB_STUB + 16), 0x00cf92000000ffffULL);
	/* its tables map the first 2 MiB: PML4 -> PDPT -> PD, one 2 MiB page */
	CU_ASSERT_EQUAL(rd64(ram + HVSIM_PC_MB_TABLES), (HVSIM_PC_MB_TABLES + 0x1000) | 3);
	CU_ASSERT_EQUAL(rd64(ram + HVSIM_PC_MB_TABLES + 0x2000), 0x83);
	pc_destroy(&p);
	stats_free(st);
	cfg_free(c);
}

static void test_too_big(void)
{
	static struct pc p;
	static uint8_t big[1];
	struct cfg *c = design();
	struct stats *st = stats_new();
	/* 128 MiB - 0x103000 bytes fit exactly; one more does not */
	struct pc_boot b = { .kernel = "k", .initrd = big, .initrd_size = (128u << 20) - 0x103000 + 1, .initrd_name = "rd" };
	CU_ASSERT_EQUAL(pc_create_multiboot(&p, c, st, &img, &b), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "--initrd rd"));
	pc_destroy(&p);
	stats_free(st);
	static char longer[5000];
	memset(longer, 'x', sizeof longer - 1);
	b = (struct pc_boot){ .kernel = "k", .append = longer };
	st = stats_new();
	CU_ASSERT_EQUAL(pc_create_multiboot(&p, c, st, &img, &b), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "--append"));
	pc_destroy(&p);
	stats_free(st);
	cfg_free(c);
}

static CU_TestInfo tests[] = {
	{ "information structure in RAM", test_layout },
	{ "initrd and command line too large", test_too_big },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("pc_boot", tests); }
