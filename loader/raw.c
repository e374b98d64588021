/* Raw kernel images.  See raw.h. */
#include "loader/raw.h"
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"

/* Linux arm64 Image header (Documentation/arm64/booting.rst) */
#define IMAGE_TEXT_OFFSET 0x08
#define IMAGE_SIZE        0x10
#define IMAGE_MAGIC_OFF   0x38
#define IMAGE_MAGIC       0x644d5241u   /* "ARM\x64" */
#define IMAGE_HDR_SIZE    0x40

/* Files larger than any RAM hvsim models are refused before reading. */
#define RAW_MAX_FILE      (1ULL << 36)

int raw_read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set("%s: cannot open: %s", path, strerror(errno));
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0 || (unsigned long long)n > RAW_MAX_FILE) {
		fclose(f);
		return err_set("%s: cannot read (not a regular file, or too large)", path);
	}
	uint8_t *p = malloc(n ? (size_t)n : 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return err_set("%s: cannot read: %s", path, p ? strerror(errno) : "out of memory");
	}
	fclose(f);
	*data = p;
	*size = (size_t)n;
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int raw_load(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out)
{
	memset(out, 0, sizeof *out);
	uint8_t *file;
	size_t n;
	if (raw_read_file(path, &file, &n) < 0)
		return -1;
	if (!n) {
		free(file);
		return err_set("%s: empty file", path);
	}
	uint64_t off = RAW_DEFAULT_OFFSET, memsz = n;
	if (n >= IMAGE_HDR_SIZE && (uint32_t)le64(file + IMAGE_MAGIC_OFF) == IMAGE_MAGIC && le64(file + IMAGE_SIZE)) {
		off = le64(file + IMAGE_TEXT_OFFSET);
		if (off & 0xfff) {
			free(file);
			return err_set("%s: Image header: text_offset 0x%llx is not 4 KiB aligned", path,
				       (unsigned long long)off);
		}
		if (le64(file + IMAGE_SIZE) > memsz)
			memsz = le64(file + IMAGE_SIZE);
	}
	if (off >= ram_size || memsz > ram_size - off) {
		free(file);
		return err_set("%s: %llu bytes at RAM + 0x%llx do not fit in RAM [0x%llx-0x%llx)", path,
			       (unsigned long long)memsz, (unsigned long long)off, (unsigned long long)ram_base,
			       (unsigned long long)(ram_base + ram_size));
	}
	if (!(out->segs = calloc(1, sizeof *out->segs))) {
		free(file);
		return err_set("out of memory");
	}
	out->machine = EM_AARCH64;
	out->entry = ram_base + off;
	out->segs[0] = (struct elf_segment){ .paddr = ram_base + off, .memsz = memsz, .filesz = n, .data = file,
					     .flags = PF_R | PF_W | PF_X };
	out->nsegs = 1;
	out->file = file;
	out->file_size = n;
	return 0;
}

bool raw_is_bzimage(const char *path)
{
	uint8_t h[4];
	FILE *f = fopen(path, "rb");
	bool yes = f && fseek(f, 0x202, SEEK_SET) == 0 && fread(h, 1, 4, f) == 4 && !memcmp(h, "HdrS", 4);
	if (f)
		fclose(f);
	return yes;
}
