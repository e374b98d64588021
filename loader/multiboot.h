/* Multiboot v1 kernels, loaded as qemu-system-x86_64 -kernel loads them
 * (hw/i386/multiboot.c) and as the Multiboot Specification 0.6.96 says:
 * the header, the image (ELF or the a.out kludge), and the boot
 * information structure the kernel finds through EBX.  Knows neither
 * Unicorn nor any machine: the caller places the structure in its RAM. */
#ifndef HVSIM_LOADER_MULTIBOOT_H
#define HVSIM_LOADER_MULTIBOOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loader/elf.h"

/* §3.1.1: the header is 32-bit aligned within the first 8192 bytes */
#define MB_HEADER_MAGIC   0x1BADB002u
#define MB_SEARCH         8192
#define MB_BOOT_MAGIC     0x2BADB002u   /* EAX at entry (§3.2) */
/* §3.1.2 header flags: bits 0-15 are requirements the loader must meet */
#define MB_HF_PAGE_ALIGN  (1u << 0)     /* modules on 4 KiB boundaries */
#define MB_HF_MEMORY_INFO (1u << 1)     /* mem_* and mmap_* */
#define MB_HF_VIDEO_MODE  (1u << 2)     /* a video mode table (ignored, as QEMU does) */
#define MB_HF_AOUT_KLUDGE (1u << 16)    /* the address fields below are valid */

struct mb_header {
	uint32_t offset;          /* of the header in the file */
	uint32_t flags;
	/* with MB_HF_AOUT_KLUDGE (§3.1.3) */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Scans the first MB_SEARCH bytes for a header whose checksum holds:
 * 1 found (*h filled), 0 none. */
int mb_find(const uint8_t *file, size_t size, struct mb_header *h);
/* Does the file at `path` carry a multiboot header?  False if unreadable. */
bool mb_is_multiboot(const char *path);

/* Loads a multiboot kernel into *out (freed with elf_free): with the a.out
 * kludge, one segment from the header's addresses; else its ELF (ELF32
 * i386 or ELF64 x86-64) by p_paddr.  Every byte must lie in
 * [ram_base, ram_base + ram_size) and the entry below 4 GiB (it is entered
 * in 32-bit mode).  Errors (-1, err_set) name the file and the field. */
int mb_load(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out,
	    struct mb_header *h);

/* ---- the boot information structure (§3.3) ---- */
#define MB_INFO_MEMORY      (1u << 0)
#define MB_INFO_BOOT_DEVICE (1u << 1)
#define MB_INFO_CMDLINE     (1u << 2)
#define MB_INFO_MODS        (1u << 3)
#define MB_INFO_MMAP        (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)
#define MB_INFO_SIZE        88          /* through the VBE fields */
#define MB_MOD_SIZE         16          /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY       24          /* size (20, not counting itself), base_addr, length, type */
#define MB_MEM_AVAILABLE    1
#define MB_MEM_RESERVED     2

struct mb_region { uint64_t base, length; uint32_t type; };
struct mb_module { uint32_t start, end; const char *string; };

/* What the loader tells the kernel; addresses are guest-physical. */
struct mb_boot {
	const char *cmdline;          /* "<kernel> <append>", as QEMU passes it */
	const struct mb_module *mods;
	unsigned nmods;
	const struct mb_region *mmap;
	unsigned nmmap;
	uint32_t mem_lower, mem_upper;   /* KiB below 640 KiB and from 1 MiB */
	const char *loader_name;
};

/* Lays out the information structure at guest address `at` in buf (which
 * holds `cap` bytes and stands for [at, at + cap)): the structure, then
 * the memory map, the module list and the strings.  Returns the bytes
 * used, or 0 if they do not fit. */
size_t mb_build_info(uint8_t *buf, size_t cap, uint32_t at, const struct mb_boot *b);

#endif
