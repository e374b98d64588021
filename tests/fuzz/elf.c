/* Fuzz target: the ELF loader (loader/elf.c), the multiboot loader
 * (loader/multiboot.c, the same bytes as an x86 --kernel) and the copy into
 * guest RAM.
 * The input is the file: written to a memfd and loaded through
 * /proc/self/fd/N, as `hvsim run` would load it, into the RAM window of the
 * machine its e_machine names (16 MiB, the smallest sim.ram_mb).  A loaded
 * image must keep every promise of loader/elf.h, and machine_load_elf must
 * copy it into exactly that RAM (ASan sees any byte outside); a rejected one
 * gets a one-line message naming the file. */
#include "tests/fuzz/fuzz.h"

#include <elf.h>
#include <string.h>

#include "loader/elf.h"
#include "loader/multiboot.h"
#include "platform/hvsim-abi.h"
#include "platform/machine.h"

#define RAM_SIZE (16ULL << 20)

static int fd = -1;
static char path[64];
static uint8_t *ram;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = fuzz_memfd("fuzz-elf", path, sizeof path);
	ram = malloc(RAM_SIZE);
	if (!ram)
		abort();
	return 0;
}


/* loader/elf.h: segments sorted, disjoint, inside RAM, data inside the
 * file; entry inside an executable segment; symbols sorted. */
static void check_image(const struct elf_image *img, uint16_t em, uint64_t base)
{
	bool entry_ok = false;
	fuzz_check(img->machine == em, "machine as expected");
	fuzz_check(img->nsegs > 0, "at least one segment");
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		fuzz_check(s->memsz > 0 && s->filesz <= s->memsz, "filesz <= memsz, memsz > 0");
		fuzz_check(s->paddr >= base && s->paddr - base <= RAM_SIZE && s->memsz <= RAM_SIZE - (s->paddr - base),
		           "segment inside RAM");
		fuzz_check(!s->filesz || (s->data >= img->file && s->data <= img->file + img->file_size &&
				          s->filesz <= (size_t)(img->file + img->file_size - s->data)),
		           "segment data inside the file");
		fuzz_check(i == 0 || img->segs[i - 1].paddr + img->segs[i - 1].memsz <= s->paddr,
		           "segments sorted and disjoint");
		if ((s->flags & PF_X) && img->entry >= s->paddr && img->entry - s->paddr < s->memsz)
			entry_ok = true;
	}
	fuzz_check(entry_ok, "entry in an executable segment");
	for (unsigned i = 1; i < img->nsyms; i++)
		fuzz_check(img->syms[i - 1].addr <= img->syms[i].addr, "symbols sorted");
}

static void one_line_error(void)
{
	const char *msg = err_msg();
	fuzz_check(strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':' && !strchr(msg, '\n'),
		   "one-line error naming the file");
}

/* The same file as a multiboot kernel on the pc machine: an image that
 * keeps elf.h's promises, its machine i386 or x86-64, entered below 4 GiB */
static void multiboot(void)
{
	struct elf_image img;
	struct mb_header h;
	if (mb_load(path, HVSIM_PC_RAM_BASE, RAM_SIZE, &img, &h) < 0) {
		one_line_error();
		return;
	}
	fuzz_check(img.machine == EM_386 || img.machine == EM_X86_64, "multiboot machine i386 or x86-64");
	fuzz_check(img.entry >> 32 == 0, "multiboot entry below 4 GiB");
	check_image(&img, img.machine, HVSIM_PC_RAM_BASE);
	elf_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The machine follows e_machine, as in `hvsim run`; anything else is
	 * loaded with expect_machine 0 to reach the loader's own check. */
	uint16_t em = size >= 20 ? (uint16_t)(data[18] | data[19] << 8) : 0;
	uint16_t expect = em == EM_AARCH64 || em == EM_X86_64 ? em : 0;
	uint64_t base = em == EM_X86_64 ? HVSIM_PC_RAM_BASE : HVSIM_VIRT_RAM_BASE;
	struct elf_image img;

	fuzz_memfd_write(fd, data, size);
	multiboot();
	if (elf_load(path, expect, base, RAM_SIZE, &img) < 0) {
		one_line_error();
		return 0;
	}
	check_image(&img, em, base);

	struct machine m = { .ram = ram, .ram_base = base, .ram_size = RAM_SIZE };
	machine_load_elf(&m, &img);
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct elf_segment *s = &img.segs[i];
		const uint8_t *dst = ram + (s->paddr - base);
		fuzz_check(!s->filesz || memcmp(dst, s->data, s->filesz) == 0, "file bytes copied");
		fuzz_check(s->filesz == s->memsz || (dst[s->filesz] == 0 && dst[s->memsz - 1] == 0), "bss zeroed");
	}

	uint64_t off;
	const char *name = elf_symbolize(&img, img.entry, &off);
	if (name)
		elf_lookup(&img, name);
	for (unsigned i = 0; i < img.nsyms && i < 8; i++)
		elf_symbolize(&img, img.syms[i].addr + img.syms[i].size, NULL);
	elf_free(&img);
	return 0;
}
