/* Multiboot v1 kernels.  See multiboot.h. */
#include "loader/multiboot.h"
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "loader/raw.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int mb_find(const uint8_t *file, size_t size, struct mb_header *h)
{
	size_t end = size < MB_SEARCH ? size : MB_SEARCH;
	/* magic, flags, checksum: the header must fit in the searched bytes */
	for (size_t off = 0; off + 12 <= end; off += 4) {
		const uint8_t *p = file + off;
		if (le32(p) != MB_HEADER_MAGIC || (uint32_t)(le32(p) + le32(p + 4) + le32(p + 8)) != 0)
			continue;
		memset(h, 0, sizeof *h);
		h->offset = (uint32_t)off;
		h->flags = le32(p + 4);
		if ((h->flags & MB_HF_AOUT_KLUDGE) && off + 32 <= size) {
			h->header_addr = le32(p + 12);
			h->load_addr = le32(p + 16);
			h->load_end_addr = le32(p + 20);
			h->bss_end_addr = le32(p + 24);
			h->entry_addr = le32(p + 28);
		}
		return 1;
	}
	return 0;
}

bool mb_is_multiboot(const char *path)
{
	uint8_t buf[MB_SEARCH];
	struct mb_header h;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return mb_find(buf, n, &h) == 1;
}

/* §3.1.3: the a.out kludge.  The file from header offset - (header_addr -
 * load_addr) is loaded at load_addr up to load_end_addr (0: the end of the
 * file), zeroed up to bss_end_addr (0: no bss). */
static int load_kludge(const char *path, const struct mb_header *h, uint64_t ram_base, uint64_t ram_size,
		       struct elf_image *img)
{
	if (raw_read_file(path, &img->file, &img->file_size) < 0)
		return -1;
	if ((h->offset + 32) > img->file_size)
		return err_set("%s: multiboot header at offset 0x%x is truncated (the a.out kludge fields need 32 bytes)",
			       path, h->offset);
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->offset)
		return err_set("%s: multiboot header_addr 0x%x and load_addr 0x%x put the image before the start of the file "
			       "(header at offset 0x%x)", path, h->header_addr, h->load_addr, h->offset);
	uint64_t off = h->offset - (h->header_addr - h->load_addr);
	uint64_t filesz = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr : img->file_size - off;
	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		return err_set("%s: multiboot load_end_addr 0x%x is below load_addr 0x%x", path, h->load_end_addr,
			       h->load_addr);
	if (off + filesz > img->file_size)
		return err_set("%s: multiboot load_end_addr 0x%x is past the end of the file (%zu bytes from load_addr 0x%x)",
			       path, h->load_end_addr, img->file_size - (size_t)off, h->load_addr);
	uint64_t memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz)
			return err_set("%s: multiboot bss_end_addr 0x%x is below the end of the loaded image 0x%llx", path,
				       h->bss_end_addr, (unsigned long long)(h->load_addr + filesz));
		memsz = (uint64_t)h->bss_end_addr - h->load_addr;
	}
	if (!memsz)
		return err_set("%s: multiboot image is empty (load_addr 0x%x)", path, h->load_addr);
	if (h->load_addr < ram_base || h->load_addr + memsz > ram_base + ram_size)
		return err_set("%s: multiboot image [0x%x-0x%llx) lies outside RAM [0x%llx-0x%llx)", path, h->load_addr,
			       (unsigned long long)(h->load_addr + memsz), (unsigned long long)ram_base,
			       (unsigned long long)(ram_base + ram_size));
	if (h->entry_addr < h->load_addr || h->entry_addr - h->load_addr >= filesz)
		return err_set("%s: multiboot entry_addr 0x%x is not in the loaded image [0x%x-0x%llx)", path,
			       h->entry_addr, h->load_addr, (unsigned long long)(h->load_addr + filesz));
	if (!(img->segs = calloc(1, sizeof *img->segs)))
		return err_set("%s: out of memory", path);
	img->segs[0] = (struct elf_segment){ h->load_addr, memsz, filesz, img->file + off, PF_R | PF_W | PF_X };
	img->nsegs = 1;
	img->machine = EM_386;
	img->entry = h->entry_addr;
	return 0;
}

int mb_load(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out, struct mb_header *h)
{
	uint8_t *file = NULL;
	size_t size = 0;
	memset(out, 0, sizeof *out);
	if (raw_read_file(path, &file, &size) < 0)
		return -1;
	int found = mb_find(file, size, h);
	free(file);
	if (!found)
		return err_set("%s: no multiboot header in the first %u bytes", path, MB_SEARCH);
	/* §3.1.2: a requirement in bits 0-15 the loader does not know fails the boot */
	uint32_t unknown = h->flags & 0xffff & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_VIDEO_MODE);
	if (unknown)
		return err_set("%s: multiboot header flags 0x%x ask for features hvsim does not provide (bits 0x%x)", path,
			       h->flags, unknown);
	int rc = (h->flags & MB_HF_AOUT_KLUDGE) ? load_kludge(path, h, ram_base, ram_size, out)
						: elf_load_mb(path, ram_base, ram_size, out);
	if (rc == 0 && out->entry >> 32)
		rc = err_set("%s: entry point 0x%llx is above 4 GiB: a multiboot kernel starts in 32-bit mode", path,
			     (unsigned long long)out->entry);
	if (rc < 0)
		elf_free(out);
	return rc;
}

/* The strings after the tables: returns the guest address of s, or 0 when
 * it does not fit. */
static uint32_t put_str(uint8_t *buf, size_t cap, uint32_t at, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > cap - *used)
		return 0;
	memcpy(buf + *used, s, n);
	*used += n;
	return at + (uint32_t)(*used - n);
}

size_t mb_build_info(uint8_t *buf, size_t cap, uint32_t at, const struct mb_boot *b)
{
	size_t mmap_len = (size_t)b->nmmap * MB_MMAP_ENTRY, mods_len = (size_t)b->nmods * MB_MOD_SIZE;
	size_t used = MB_INFO_SIZE + mmap_len + mods_len;
	if (used > cap)
		return 0;
	memset(buf, 0, used);
	uint8_t *mm = buf + MB_INFO_SIZE, *mods = mm + mmap_len;
	for (unsigned i = 0; i < b->nmmap; i++) {
		uint8_t *e = mm + (size_t)i * MB_MMAP_ENTRY;
		put32(e, MB_MMAP_ENTRY - 4);
		put64(e + 4, b->mmap[i].base);
		put64(e + 12, b->mmap[i].length);
		put32(e + 20, b->mmap[i].type);
	}
	uint32_t cmdline = put_str(buf, cap, at, &used, b->cmdline);
	uint32_t name = put_str(buf, cap, at, &used, b->loader_name);
	if (!cmdline || !name)
		return 0;
	for (unsigned i = 0; i < b->nmods; i++) {
		uint8_t *m = mods + (size_t)i * MB_MOD_SIZE;
		uint32_t s = put_str(buf, cap, at, &used, b->mods[i].string);
		if (!s)
			return 0;
		put32(m, b->mods[i].start);
		put32(m + 4, b->mods[i].end);
		put32(m + 8, s);
	}
	/* §3.3 offsets */
	put32(buf + 0, MB_INFO_MEMORY | MB_INFO_BOOT_DEVICE | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP |
			       MB_INFO_LOADER_NAME);
	put32(buf + 4, b->mem_lower);
	put32(buf + 8, b->mem_upper);
	put32(buf + 12, 0x8000ffffu);   /* boot_device: BIOS disk 0x80, no partition (as QEMU) */
	put32(buf + 16, cmdline);
	put32(buf + 20, b->nmods);
	put32(buf + 24, at + MB_INFO_SIZE + (uint32_t)mmap_len);
	put32(buf + 44, (uint32_t)mmap_len);
	put32(buf + 48, at + MB_INFO_SIZE);
	put32(buf + 64, name);
	return used;
}
