/* Multiboot v1 loader (loader/multiboot.c): the header search (§3.1.1),
 * the a.out kludge (§3.1.3), an ELF32 kernel, and the information
 * structure's layout (§3.3), byte offsets taken from the specification. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "loader/multiboot.h"
#include "tests/unit/unit.h"

static char tmpdir[64] = "/tmp/hvsim-mb.XXXXXX";

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void header(uint8_t *p, uint32_t flags)
{
	uint32_t h[3] = { MB_HEADER_MAGIC, flags, -(MB_HEADER_MAGIC + flags) };
	memcpy(p, h, sizeof h);
}

static void test_find(void)
{
	static uint8_t f[MB_SEARCH + 64];
	struct mb_header h;
	memset(f, 0, sizeof f);
	CU_ASSERT_EQUAL(mb_find(f, sizeof f, &h), 0);
	header(f + MB_SEARCH - 12, 3);            /* the last place it may start */
	CU_ASSERT_EQUAL(mb_find(f, sizeof f, &h), 1);
	CU_ASSERT_EQUAL(h.offset, MB_SEARCH - 12);
	CU_ASSERT_EQUAL(h.flags, 3);
	memset(f, 0, sizeof f);
	header(f + MB_SEARCH - 8, 3);             /* ends past the first 8 KiB */
	CU_ASSERT_EQUAL(mb_find(f, sizeof f, &h), 0);
	memset(f, 0, sizeof f);
	header(f + 2, 0);                         /* not 32-bit aligned */
	CU_ASSERT_EQUAL(mb_find(f, sizeof f, &h), 0);
	memset(f, 0, sizeof f);
	header(f + 16, 0);
	f[16 + 8] ^= 1;                           /* checksum off by one */
	CU_ASSERT_EQUAL(mb_find(f, sizeof f, &h), 0);
	CU_ASSERT_EQUAL(mb_find(f, 10, &h), 0);   /* short file */
}

static char *write_tmp(const char *name, const void *d, size_t n)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	fwrite(d, 1, n, f);
	fclose(f);
	return path;
}

/* a.out kludge: header at file offset 0x40 for address 0x100040, so the
 * file loads from offset 0 at 0x100000; 0x200 bytes, bss to 0x101000 */
static void test_kludge(void)
{
	static uint8_t f[0x200];
	struct elf_image img;
	struct mb_header h;
	for (unsigned i = 0; i < sizeof f; i++)
		f[i] = (uint8_t)i;
	header(f + 0x40, MB_HF_AOUT_KLUDGE | MB_HF_MEMORY_INFO);
	uint32_t k[5] = { 0x100040, 0x100000, 0x100200, 0x101000, 0x100080 };
	memcpy(f + 0x4c, k, sizeof k);
	CU_ASSERT_EQUAL_FATAL(mb_load(write_tmp("k.bin", f, sizeof f), 0, 128 << 20, &img, &h), 0);
	CU_ASSERT_EQUAL(img.nsegs, 1);
	CU_ASSERT_EQUAL(img.segs[0].paddr, 0x100000);
	CU_ASSERT_EQUAL(img.segs[0].filesz, 0x200);
	CU_ASSERT_EQUAL(img.segs[0].memsz, 0x1000);
	CU_ASSERT_EQUAL(img.segs[0].data[0x81], 0x81);
	CU_ASSERT_EQUAL(img.entry, 0x100080);
	elf_free(&img);
	/* load_end_addr 0: to the end of the file; bss_end_addr 0: no bss.
	 * The header 0x40 into the file at 0x100080: the image starts 0x40
	 * bytes before, at file offset 0, address 0x100040. */
	k[0] = 0x100080, k[1] = 0x100040, k[2] = 0, k[3] = 0;
	memcpy(f + 0x4c, k, sizeof k);
	CU_ASSERT_EQUAL_FATAL(mb_load(write_tmp("k0.bin", f, sizeof f), 0, 128 << 20, &img, &h), 0);
	CU_ASSERT_EQUAL(img.segs[0].paddr, 0x100040);
	CU_ASSERT_EQUAL(img.segs[0].filesz, 0x200);
	CU_ASSERT_EQUAL(img.segs[0].memsz, 0x200);
	elf_free(&img);
	/* no header at all */
	memset(f + 0x40, 0, 12);
	CU_ASSERT_EQUAL(mb_load(write_tmp("none.bin", f, sizeof f), 0, 128 << 20, &img, &h), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "no multiboot header in the first 8192 bytes"));
}

/* An ELF32 i386 kernel: one PT_LOAD at 1 MiB, its entry 0x10000c, the
 * header at the start of the segment. */
static void test_elf32(void)
{
	static uint8_t f[0x200];
	struct elf_image img;
	struct mb_header h;
	Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT, .e_entry = 0x10000c,
			  .e_phoff = sizeof eh, .e_ehsize = sizeof eh, .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32, eh.e_ident[EI_DATA] = ELFDATA2LSB, eh.e_ident[EI_VERSION] = EV_CURRENT;
	Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x100, .p_vaddr = 0x100000, .p_paddr = 0x100000,
			  .p_filesz = 0x100, .p_memsz = 0x2000, .p_flags = PF_R | PF_X };
	memset(f, 0, sizeof f);
	memcpy(f, &eh, sizeof eh);
	memcpy(f + sizeof eh, &ph, sizeof ph);
	header(f + 0x100, 0);
	CU_ASSERT_EQUAL_FATAL(mb_load(write_tmp("k.elf", f, sizeof f), 0, 128 << 20, &img, &h), 0);
	CU_ASSERT_EQUAL(img.machine, EM_386);
	CU_ASSERT_EQUAL(img.nsegs, 1);
	CU_ASSERT_EQUAL(img.segs[0].paddr, 0x100000);
	CU_ASSERT_EQUAL(img.segs[0].memsz, 0x2000);
	CU_ASSERT_EQUAL(img.entry, 0x10000c);
	elf_free(&img);
	/* an ELF32 of another machine */
	((Elf32_Ehdr *)f)->e_machine = EM_ARM;
	CU_ASSERT_EQUAL(mb_load(write_tmp("arm.elf", f, sizeof f), 0, 128 << 20, &img, &h), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "machine is ARM (EM 40), expected i386 in an ELF32 file"));
}

/* §3.3: flags at 0, mem_lower 4, mem_upper 8, boot_device 12, cmdline 16,
 * mods_count 20, mods_addr 24, mmap_length 44, mmap_addr 48,
 * boot_loader_name 64; mmap entries of size 20 + 4; modules of 16 bytes. */
static void test_info(void)
{
	static uint8_t buf[1024];
	const uint32_t at = 0x9000;
	struct mb_module mod = { 0x200000, 0x201234, "initrd.img" };
	struct mb_region mm[2] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x7f00000, 1 } };
	struct mb_boot b = { .cmdline = "kernel console=ttyS0", .mods = &mod, .nmods = 1, .mmap = mm, .nmmap = 2,
			     .mem_lower = 639, .mem_upper = 130048, .loader_name = "hvsim" };
	memset(buf, 0xee, sizeof buf);
	size_t n = mb_build_info(buf, sizeof buf, at, &b);
	CU_ASSERT_EQUAL(n, 88 + 2 * 24 + 16 + sizeof "kernel console=ttyS0" + sizeof "hvsim" + sizeof "initrd.img");
	CU_ASSERT_EQUAL(rd32(buf + 0), 0x24f);   /* bits 0 1 2 3 6 9 */
	CU_ASSERT_EQUAL(rd32(buf + 4), 639);
	CU_ASSERT_EQUAL(rd32(buf + 8), 130048);
	CU_ASSERT_STRING_EQUAL((char *)buf + (rd32(buf + 16) - at), "kernel console=ttyS0");
	CU_ASSERT_EQUAL(rd32(buf + 20), 1);
	CU_ASSERT_EQUAL(rd32(buf + 44), 48);
	CU_ASSERT_EQUAL(rd32(buf + 48), at + 88);
	CU_ASSERT_STRING_EQUAL((char *)buf + (rd32(buf + 64) - at), "hvsim");
	const uint8_t *e = buf + 88 + 24;        /* second mmap entry */
	CU_ASSERT_EQUAL(rd32(e), 20);
	CU_ASSERT_EQUAL(rd64(e + 4), 0x100000);
	CU_ASSERT_EQUAL(rd64(e + 12), 0x7f00000);
	CU_ASSERT_EQUAL(rd32(e + 20), 1);
	const uint8_t *m = buf + (rd32(buf + 24) - at);
	CU_ASSERT_EQUAL(rd32(m), 0x200000);
	CU_ASSERT_EQUAL(rd32(m + 4), 0x201234);
	CU_ASSERT_STRING_EQUAL((char *)buf + (rd32(m + 8) - at), "initrd.img");
	CU_ASSERT_EQUAL(rd32(m + 12), 0);
	CU_ASSERT_EQUAL(mb_build_info(buf, n - 1, at, &b), 0);   /* one byte short */
	CU_ASSERT_EQUAL(mb_build_info(buf, n, at, &b), n);
}

static CU_TestInfo tests[] = {
	{ "header search", test_find },
	{ "a.out kludge", test_kludge },
	{ "ELF32 kernel", test_elf32 },
	{ "information structure", test_info },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	int rc = unit_run("multiboot", tests);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 2;
	return rc;
}
