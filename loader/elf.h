/* ELF firmware loading (libelf): ELF64, and ELF32 for multiboot kernels.  Knows neither Unicorn nor any machine:
 * the caller says which machine and which RAM window are acceptable. */
#ifndef HVSIM_LOADER_ELF_H
#define HVSIM_LOADER_ELF_H
#include <stddef.h>
#include <stdint.h>

struct elf_segment {
	uint64_t paddr;      /* load address (p_paddr; equals p_vaddr in our guests) */
	uint64_t memsz;      /* bytes in memory; filesz..memsz is zero-filled */
	uint64_t filesz;
	const uint8_t *data; /* filesz bytes, owned by struct elf_image; NULL if filesz is 0 */
	uint32_t flags;      /* PF_R | PF_W | PF_X */
};

struct elf_symbol {
	uint64_t addr, size;
	char *name;
};

struct elf_image {
	uint16_t machine;            /* EM_AARCH64, EM_X86_64 or (elf_load_mb) EM_386 */
	uint64_t entry;
	struct elf_segment *segs;    /* PT_LOAD with memsz > 0, sorted by paddr */
	unsigned nsegs;
	struct elf_symbol *syms;     /* STT_FUNC symbols, sorted by addr */
	unsigned nsyms;
	uint8_t *file;               /* the whole file */
	size_t file_size;
	uint64_t bias;               /* ET_DYN: added to every address of the file (elf_load_dyn) */
};

/* Loads and checks `path`.  expect_machine: EM_AARCH64, EM_X86_64, or 0 for
 * either.  Every segment must lie inside [ram_base, ram_base + ram_size) and
 * segments may not overlap (rejected, naming both: which bytes would win
 * depends on load order); entry must be inside an executable segment.  A
 * segment with p_filesz 0 (all bss) reads nothing, so its p_offset is not
 * checked (as in Linux's loader).
 * Errors (err_set, returns -1), each naming the file:
 *   "<path>: cannot open: <strerror>"     "<path>: not an ELF file"
 *   "<path>: not a 64-bit little-endian ELF"   "<path>: truncated (...)"
 *   "<path>: machine is <name> (EM n), expected AArch64"
 *   "<path>: a Linux x86-64 program (PT_INTERP), not bare-metal firmware: ..."
 *     (also PT_TLS, OS/ABI GNU/Linux, a GNU .note.ABI-tag for Linux)
 *   "<path>: not an executable (e_type n)"
 *   "<path>: segment 2 [0x..-0x..) lies outside RAM [0x..-0x..)"
 *   "<path>: segments 1 [..) and 2 [..) overlap"
 *   "<path>: entry point 0x.. is not in an executable segment"
 *   "<path>: no loadable segments" */
int elf_load(const char *path, uint16_t expect_machine, uint64_t ram_base,
	     uint64_t ram_size, struct elf_image *out);
/* As elf_load, and a position-independent file (ET_DYN) is accepted when
 * dyn_base is not 0: loaded as QEMU's boot stub loads a raw image, its
 * lowest PT_LOAD p_vaddr at dyn_base, every address (segments, entry,
 * symbols) moved by the same bias; no relocation is applied (the image
 * relocates itself, as a Linux Image does). */
int elf_load_dyn(const char *path, uint16_t expect_machine, uint64_t ram_base, uint64_t ram_size,
		 uint64_t dyn_base, struct elf_image *out);
/* A multiboot kernel's ELF (loader/multiboot.c): as elf_load for x86-64,
 * and an ELF32 i386 file is accepted too (machine EM_386), loaded by its
 * p_paddr as QEMU's and GRUB's multiboot loaders do. */
int elf_load_mb(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out);
void elf_free(struct elf_image *img);

/* Name of the function containing addr and the offset into it; NULL if none.
 * Binary search (symbol with largest addr <= a, within its size, or the
 * nearest preceding one when size is 0). */
const char *elf_symbolize(const struct elf_image *img, uint64_t addr, uint64_t *offset);
/* Address of a symbol by name (any type), or 0 if absent. */
uint64_t elf_lookup(const struct elf_image *img, const char *name);

#endif
