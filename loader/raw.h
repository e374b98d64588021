/* Raw AArch64 kernel images, loaded as QEMU's boot stub loads `-kernel`
 * on the virt machine (hw/arm/boot.c load_aarch64_image): a Linux arm64
 * Image (Documentation/arm64/booting.rst header: magic "ARM\x64" at 0x38,
 * text_offset at 0x08, image_size at 0x10) goes to RAM + text_offset when
 * image_size is not 0; any other blob, or an old header with image_size 0,
 * to RAM + 0x80000.  Entry at the first byte.  Also initrd files.  Knows
 * neither Unicorn nor any machine. */
#ifndef HVSIM_LOADER_RAW_H
#define HVSIM_LOADER_RAW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loader/elf.h"

#define RAW_DEFAULT_OFFSET 0x80000ULL   /* QEMU KERNEL64_LOAD_ADDR */

/* Loads `path` as one segment (filesz = the file, memsz = image_size if
 * larger) into *out (freed with elf_free), machine EM_AARCH64, no symbols.
 * Errors (err_set, -1), naming the file: cannot open/read, empty,
 * "text_offset 0x.. is not 4 KiB aligned", "does not fit in RAM". */
int raw_load(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out);
/* Is `path` a Linux x86 bzImage (boot protocol header "HdrS" at 0x202,
 * Documentation/x86/boot.rst)? */
bool raw_is_bzimage(const char *path);
/* Reads a whole file (an initrd) into *data (malloc'd).  -1 + err_set. */
int raw_read_file(const char *path, uint8_t **data, size_t *size);

#endif
