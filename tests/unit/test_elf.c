/* ELF loader: files written by a small ELF64 writer below (gABI layout:
 * ehdr, phdrs, segment data, .strtab/.symtab/.shstrtab, section headers),
 * each malformation, a truncation/byte-flip sweep, and a clang-built file. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "loader/elf.h"
#include "tests/unit/unit.h"

static char tmpdir[256];

/* ---- writer ---- */

struct tseg {
	uint32_t type, flags;
	uint64_t paddr, memsz, filesz;
	const uint8_t *data;      /* filesz bytes; NULL: a byte pattern */
	uint64_t offset;          /* 0: placed by the writer; else forced */
};

struct tsym {
	const char *name;
	uint64_t value, size;
	uint8_t type;
	uint16_t shndx;           /* SEC_TEXT, SEC_DATA, SHN_ABS, SHN_UNDEF */
};
enum { SEC_TEXT = 1, SEC_DATA = 2 };

struct spec {
	uint16_t machine, type;
	uint64_t entry;
	struct tseg seg[6];
	unsigned nseg;
	int text_seg, data_seg;   /* segments covered by .text / .data */
	const struct tsym *syms;  /* NULL: no section headers at all */
	unsigned nsym;
};

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static size_t put(struct buf *b, const void *d, size_t n, size_t align)
{
	while (b->n % align)
		b->n++;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
	}
	size_t off = b->n;
	if (d)
		memcpy(b->p + off, d, n);
	else
		for (size_t i = 0; i < n; i++)
			b->p[off + i] = (uint8_t)(0xa0 + i);
	b->n += n;
	return off;
}

/* Builds the file image (host is little-endian, like the files). */
static struct buf build(const struct spec *s)
{
	struct buf b = { 0 };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[6];
	uint64_t segoff[6];

	put(&b, &eh, sizeof eh, 1);
	size_t phoff = put(&b, NULL, s->nseg * sizeof(Elf64_Phdr), 8);
	for (unsigned i = 0; i < s->nseg; i++) {
		segoff[i] = put(&b, s->seg[i].data, s->seg[i].filesz, 16);
		ph[i] = (Elf64_Phdr){ .p_type = s->seg[i].type, .p_flags = s->seg[i].flags,
				      .p_offset = s->seg[i].offset ? s->seg[i].offset : segoff[i],
				      .p_vaddr = s->seg[i].paddr, .p_paddr = s->seg[i].paddr,
				      .p_filesz = s->seg[i].filesz, .p_memsz = s->seg[i].memsz,
				      .p_align = 16 };
	}
	memcpy(b.p + phoff, ph, s->nseg * sizeof(Elf64_Phdr));

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = s->type;
	eh.e_machine = s->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = s->entry;
	eh.e_phoff = s->nseg ? phoff : 0;
	eh.e_ehsize = sizeof eh;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)s->nseg;

	if (s->syms) {
		static const char shstr[] = "\0.text\0.data\0.symtab\0.strtab\0.shstrtab";
		struct buf str = { 0 };
		Elf64_Sym *sym = calloc(s->nsym + 1, sizeof *sym);
		put(&str, "", 1, 1);
		for (unsigned i = 0; i < s->nsym; i++) {
			const struct tsym *t = &s->syms[i];
			sym[i + 1].st_name = (uint32_t)put(&str, t->name, strlen(t->name) + 1, 1);
			sym[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, t->type);
			sym[i + 1].st_shndx = t->shndx;
			sym[i + 1].st_value = t->value;
			sym[i + 1].st_size = t->size;
		}
		size_t stroff = put(&b, str.p, str.n, 1);
		size_t symoff = put(&b, sym, (s->nsym + 1) * sizeof *sym, 8);
		size_t shsoff = put(&b, shstr, sizeof shstr, 1);
		Elf64_Shdr sh[6] = { { 0 } };
		const struct tseg *ts = s->text_seg >= 0 ? &s->seg[s->text_seg] : NULL;
		const struct tseg *ds = s->data_seg >= 0 ? &s->seg[s->data_seg] : NULL;
		sh[1] = (Elf64_Shdr){ 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, ts ? ts->paddr : 0,
				      ts ? segoff[s->text_seg] : 0, ts ? ts->filesz : 0, 0, 0, 4, 0 };
		sh[2] = (Elf64_Shdr){ 7, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, ds ? ds->paddr : 0,
				      ds ? segoff[s->data_seg] : 0, ds ? ds->filesz : 0, 0, 0, 8, 0 };
		sh[3] = (Elf64_Shdr){ 13, SHT_SYMTAB, 0, 0, symoff, (s->nsym + 1) * sizeof *sym, 4, 1, 8,
				      sizeof *sym };
		sh[4] = (Elf64_Shdr){ 21, SHT_STRTAB, 0, 0, stroff, str.n, 0, 0, 1, 0 };
		sh[5] = (Elf64_Shdr){ 29, SHT_STRTAB, 0, 0, shsoff, sizeof shstr, 0, 0, 1, 0 };
		eh.e_shoff = put(&b, sh, sizeof sh, 8);
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 6;
		eh.e_shstrndx = 5;
		free(str.p);
		free(sym);
	}
	memcpy(b.p, &eh, sizeof eh);
	return b;
}

static char *write_file(const char *name, const void *p, size_t n)
{
	static char path[8][320];
	static int k;
	char *out = path[k++ % 8];
	snprintf(out, sizeof path[0], "%s/%s", tmpdir, name);
	FILE *f = fopen(out, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n)) {
		fprintf(stderr, "cannot write %s\n", out);
		abort();
	}
	fclose(f);
	return out;
}

/* ---- the good files ---- */

#define A64_RAM 0x40000000ull, 0x8000000ull
#define X86_RAM 0x0ull, 0x10000000ull

static const uint8_t a64_code[32] = {
	0x80, 0x46, 0x82, 0xd2, /* mov x0, #0x1234 */
	0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20, 0x03, 0xd5,
	0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20, 0x03, 0xd5,
	0x02, 0x00, 0x00, 0xd4, /* hvc #0 */
};
static const uint8_t a64_data[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static const struct tsym a64_syms[] = {
	{ "fw.c", 0, 0, STT_FILE, SHN_ABS },
	{ "helper", 0x40080018, 8, STT_FUNC, SEC_TEXT },
	{ "main", 0x40080008, 0x10, STT_FUNC, SEC_TEXT },
	{ "main_alias", 0x40080008, 0, STT_NOTYPE, SEC_TEXT },
	{ "_start", 0x40080000, 0, STT_NOTYPE, SEC_TEXT },
	{ "$x", 0x40080000, 0, STT_NOTYPE, SEC_TEXT },
	{ "$d", 0x40080010, 0, STT_NOTYPE, SEC_TEXT },
	{ "mailbox", 0x40090000, 8, STT_OBJECT, SEC_DATA },
	{ "data_label", 0x40090008, 0, STT_NOTYPE, SEC_DATA },
	{ "ext", 0, 0, STT_FUNC, SHN_UNDEF },
};

/* Phdrs out of address order, plus a PT_NOTE and an empty PT_LOAD that
 * must be ignored (the empty one even lies outside RAM). */
static struct spec a64_spec(void)
{
	struct spec s = {
		.machine = EM_AARCH64, .type = ET_EXEC, .entry = 0x40080000, .nseg = 4,
		.text_seg = 1, .data_seg = 0, .syms = a64_syms,
		.nsym = sizeof a64_syms / sizeof a64_syms[0],
	};
	s.seg[0] = (struct tseg){ PT_LOAD, PF_R | PF_W, 0x40090000, 0x1000, 16, a64_data, 0 };
	s.seg[1] = (struct tseg){ PT_LOAD, PF_R | PF_X, 0x40080000, 32, 32, a64_code, 0 };
	s.seg[2] = (struct tseg){ PT_LOAD, PF_R, 0x10, 0, 0, NULL, 0 };
	s.seg[3] = (struct tseg){ PT_NOTE, PF_R, 0, 8, 8, NULL, 0 };
	return s;
}

static const struct tsym x86_syms[] = {
	{ "_start", 0x100000, 0x10, STT_FUNC, SEC_TEXT },
	{ "kmain", 0x100010, 0x30, STT_FUNC, SEC_TEXT },
};

static struct spec x86_spec(void)
{
	struct spec s = {
		.machine = EM_X86_64, .type = ET_EXEC, .entry = 0x100010, .nseg = 2,
		.text_seg = 0, .data_seg = 1, .syms = x86_syms, .nsym = 2,
	};
	s.seg[0] = (struct tseg){ PT_LOAD, PF_R | PF_X, 0x100000, 0x40, 0x40, NULL, 0 };
	s.seg[1] = (struct tseg){ PT_LOAD, PF_R | PF_W, 0x200000, 0x3000, 0x100, NULL, 0 };
	return s;
}

static char *write_spec(const char *name, const struct spec *s)
{
	struct buf b = build(s);
	char *p = write_file(name, b.p, b.n);
	free(b.p);
	return p;
}

static void test_good_a64(void)
{
	struct spec s = a64_spec();
	char *path = write_spec("good_a64.elf", &s);
	struct elf_image img;
	uint64_t off = 99;

	CU_ASSERT_EQUAL_FATAL(elf_load(path, EM_AARCH64, A64_RAM, &img), 0);
	CU_ASSERT_EQUAL(img.machine, EM_AARCH64);
	CU_ASSERT_EQUAL(img.entry, 0x40080000);
	CU_ASSERT_EQUAL_FATAL(img.nsegs, 2);
	CU_ASSERT_EQUAL(img.segs[0].paddr, 0x40080000);
	CU_ASSERT_EQUAL(img.segs[0].memsz, 32);
	CU_ASSERT_EQUAL(img.segs[0].filesz, 32);
	CU_ASSERT_EQUAL(img.segs[0].flags, PF_R | PF_X);
	CU_ASSERT_EQUAL(memcmp(img.segs[0].data, a64_code, 32), 0);
	CU_ASSERT_EQUAL(img.segs[1].paddr, 0x40090000);
	CU_ASSERT_EQUAL(img.segs[1].filesz, 16);
	CU_ASSERT_EQUAL(img.segs[1].memsz - img.segs[1].filesz, 0x1000 - 16); /* zero-filled */
	CU_ASSERT_EQUAL(img.segs[1].flags, PF_R | PF_W);
	CU_ASSERT_EQUAL(memcmp(img.segs[1].data, a64_data, 16), 0);

	/* Functions and code labels only, sorted; no $x/$d, data or undefined. */
	CU_ASSERT_EQUAL_FATAL(img.nsyms, 4);
	CU_ASSERT_STRING_EQUAL(img.syms[0].name, "_start");
	CU_ASSERT_STRING_EQUAL(img.syms[1].name, "main_alias");
	CU_ASSERT_STRING_EQUAL(img.syms[2].name, "main");
	CU_ASSERT_STRING_EQUAL(img.syms[3].name, "helper");
	CU_ASSERT_EQUAL(img.syms[3].addr, 0x40080018);
	CU_ASSERT_EQUAL(img.syms[3].size, 8);

	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x40080004, &off), "_start");
	CU_ASSERT_EQUAL(off, 4);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x40080008, &off), "main");
	CU_ASSERT_EQUAL(off, 0);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x40080017, &off), "main");
	CU_ASSERT_EQUAL(off, 0xf);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x4008001c, &off), "helper");
	CU_ASSERT_EQUAL(off, 4);
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x40080020, &off)); /* past helper's size */
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x40090000, &off));
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x3fffffff, &off));

	CU_ASSERT_EQUAL(elf_lookup(&img, "main"), 0x40080008);
	CU_ASSERT_EQUAL(elf_lookup(&img, "mailbox"), 0x40090000);    /* any type */
	CU_ASSERT_EQUAL(elf_lookup(&img, "data_label"), 0x40090008);
	CU_ASSERT_EQUAL(elf_lookup(&img, "ext"), 0);                 /* undefined */
	CU_ASSERT_EQUAL(elf_lookup(&img, "nosuch"), 0);
	elf_free(&img);
	CU_ASSERT_PTR_NULL(img.segs);
	CU_ASSERT_EQUAL(img.nsyms, 0);

	/* Either machine accepted with expect 0. */
	CU_ASSERT_EQUAL(elf_load(path, 0, A64_RAM, &img), 0);
	elf_free(&img);
}

static void test_good_x86(void)
{
	struct spec s = x86_spec();
	char *path = write_spec("good_x86.elf", &s);
	struct elf_image img;
	uint64_t off = 99;

	CU_ASSERT_EQUAL_FATAL(elf_load(path, EM_X86_64, X86_RAM, &img), 0);
	CU_ASSERT_EQUAL(img.machine, EM_X86_64);
	CU_ASSERT_EQUAL(img.entry, 0x100010);
	CU_ASSERT_EQUAL_FATAL(img.nsegs, 2);
	CU_ASSERT_EQUAL(img.segs[0].paddr, 0x100000);
	CU_ASSERT_EQUAL(img.segs[0].data[0], 0xa0);  /* the writer's byte pattern */
	CU_ASSERT_EQUAL(img.segs[0].data[0x3f], 0xa0 + 0x3f);
	CU_ASSERT_EQUAL(img.segs[1].paddr, 0x200000);
	CU_ASSERT_EQUAL(img.segs[1].memsz, 0x3000);
	CU_ASSERT_EQUAL(img.segs[1].filesz, 0x100);
	CU_ASSERT_EQUAL(img.nsyms, 2);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x100010, &off), "kmain");
	CU_ASSERT_EQUAL(off, 0);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, 0x10000f, &off), "_start");
	CU_ASSERT_EQUAL(off, 0xf);
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x100040, &off));
	CU_ASSERT_EQUAL(elf_lookup(&img, "kmain"), 0x100010);
	elf_free(&img);

	/* No section headers at all: loads, without symbols. */
	s.syms = NULL;
	path = write_spec("nosyms_x86.elf", &s);
	CU_ASSERT_EQUAL_FATAL(elf_load(path, 0, X86_RAM, &img), 0);
	CU_ASSERT_EQUAL(img.nsyms, 0);
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x100010, &off));
	CU_ASSERT_EQUAL(elf_lookup(&img, "kmain"), 0);
	elf_free(&img);
}

/* ---- malformed files ---- */

static int check_fail(const char *path, uint16_t machine, uint64_t base, uint64_t size, const char *want)
{
	struct elf_image img;
	int ok = 1;

	memset(&img, 0x5a, sizeof img);
	if (elf_load(path, machine, base, size, &img) != -1) {
		fprintf(stderr, "\n  %s: loaded, expected \"%s\"\n", path, want);
		elf_free(&img);
		return 0;
	}
	/* Message starts with the file name and holds the expected words. */
	if (strncmp(err_msg(), path, strlen(path)) != 0 || !strstr(err_msg(), want)) {
		fprintf(stderr, "\n  got \"%s\"\n  want \"%s\"\n", err_msg(), want);
		ok = 0;
	}
	if (img.segs || img.syms || img.file || img.nsegs || img.nsyms)
		ok = 0; /* a failed load leaves nothing behind */
	return ok;
}

#define FAIL(...) CU_ASSERT_TRUE(check_fail(__VA_ARGS__))

/* Linux user programs are refused, each by what gives it away; the same
 * x86 file without it loads (x86_spec). */
static void test_linux_program(void)
{
	struct spec s = x86_spec();
	struct elf_image img;
	CU_ASSERT_EQUAL_FATAL(elf_load(write_spec("bare.elf", &s), EM_X86_64, X86_RAM, &img), 0);
	elf_free(&img);
	struct buf b = build(&s);
	b.p[EI_OSABI] = ELFOSABI_GNU;
	FAIL(write_file("gnu.elf", b.p, b.n), EM_X86_64, X86_RAM, "a Linux x86-64 program (OS/ABI GNU/Linux), not bare-metal firmware");
	free(b.p);
	static const char interp[] = "/lib64/ld-linux-x86-64.so.2";
	s.seg[2] = (struct tseg){ PT_INTERP, PF_R, 0, sizeof interp, sizeof interp, (const uint8_t *)interp, 0 };
	s.nseg = 3;
	FAIL(write_spec("interp.elf", &s), EM_X86_64, X86_RAM, "(PT_INTERP)");
	s.seg[2] = (struct tseg){ PT_TLS, PF_R, 0x201000, 0x60, 0x18, NULL, 0 };
	FAIL(write_spec("tls.elf", &s), EM_X86_64, X86_RAM, "(PT_TLS)");
	/* .note.ABI-tag (LSB Core, "ABI note tag"): namesz 4, descsz 16, type 1,
	 * "GNU\0", OS 0 (Linux), kernel 3.2.0 */
	static const uint32_t tag[] = { 4, 16, 1, 0x00554e47, 0, 3, 2, 0 };
	s.seg[2] = (struct tseg){ PT_NOTE, PF_R, 0, sizeof tag, sizeof tag, (const uint8_t *)tag, 0 };
	FAIL(write_spec("abitag.elf", &s), EM_X86_64, X86_RAM, "(.note.ABI-tag)");
	static const uint32_t hurd[] = { 4, 16, 1, 0x00554e47, 1, 0, 5, 0 };   /* OS 1: GNU Hurd */
	s.seg[2].data = (const uint8_t *)hurd;
	CU_ASSERT_EQUAL(elf_load(write_spec("hurd.elf", &s), EM_X86_64, X86_RAM, &img), 0);
	elf_free(&img);
}

static void test_not_elf(void)
{
	char nosuch[300];
	snprintf(nosuch, sizeof nosuch, "%s/nosuch.elf", tmpdir);
	FAIL(nosuch, 0, A64_RAM, "cannot open: No such file or directory");
	FAIL(tmpdir, 0, A64_RAM, "cannot open: Is a directory");
	FAIL(write_file("text.elf", "hello world\n", 12), 0, A64_RAM, ": not an ELF file");
	FAIL(write_file("empty.elf", "", 0), 0, A64_RAM, ": not an ELF file");
	FAIL(write_file("magic.elf", "\177ELF", 4), 0, A64_RAM, ": not a 64-bit little-endian ELF");

	struct spec s = a64_spec();
	struct buf b = build(&s);
	b.p[EI_CLASS] = ELFCLASS32;
	FAIL(write_file("class32.elf", b.p, b.n), 0, A64_RAM, ": not a 64-bit little-endian ELF");
	b.p[EI_CLASS] = ELFCLASS64;
	b.p[EI_DATA] = ELFDATA2MSB;
	FAIL(write_file("msb.elf", b.p, b.n), 0, A64_RAM, ": not a 64-bit little-endian ELF");
	b.p[EI_DATA] = ELFDATA2LSB;
	b.p[EI_VERSION] = 2;
	FAIL(write_file("version.elf", b.p, b.n), 0, A64_RAM, ": unsupported ELF version 2 (e_ident[EI_VERSION]");
	b.p[EI_VERSION] = EV_CURRENT;
	FAIL(write_file("short.elf", b.p, 40), 0, A64_RAM, ": truncated (40 bytes, the ELF header needs 64)");
	free(b.p);
}

static void test_header(void)
{
	struct spec s = a64_spec();

	s.machine = EM_ARM;
	FAIL(write_spec("arm.elf", &s), EM_AARCH64, A64_RAM, ": machine is ARM (EM 40), expected AArch64");
	s.machine = EM_386;
	FAIL(write_spec("i386.elf", &s), 0, A64_RAM,
	     ": machine is i386 (EM 3), expected AArch64 or x86-64");
	s.machine = EM_RISCV;
	FAIL(write_spec("riscv.elf", &s), EM_X86_64, A64_RAM, ": machine is RISC-V (EM 243), expected x86-64");
	s.machine = EM_AARCH64;
	FAIL(write_spec("a64_for_x86.elf", &s), EM_X86_64, A64_RAM,
	     ": machine is AArch64 (EM 183), expected x86-64");
	struct spec x = x86_spec();
	FAIL(write_spec("x86_for_a64.elf", &x), EM_AARCH64, X86_RAM,
	     ": machine is x86-64 (EM 62), expected AArch64");

	s.type = ET_DYN;
	FAIL(write_spec("dyn.elf", &s), 0, A64_RAM, ": not an executable (e_type 3)");
	s.type = ET_REL;
	FAIL(write_spec("rel.elf", &s), 0, A64_RAM, ": not an executable (e_type 1)");
	s.type = ET_EXEC;

	struct buf b = build(&s);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b.p;
	eh->e_phoff = b.n - 60;
	FAIL(write_file("phoff.elf", b.p, b.n), 0, A64_RAM, ": truncated (4 program headers at offset");
	eh->e_phoff = ~0ull - 8;
	FAIL(write_file("phoff2.elf", b.p, b.n), 0, A64_RAM, ": truncated (4 program headers");
	eh->e_phoff = 64;
	eh->e_phentsize = 32;
	FAIL(write_file("phentsize.elf", b.p, b.n), 0, A64_RAM, ": e_phentsize is 32, expected 56");
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_shoff = b.n - 100;
	FAIL(write_file("shoff.elf", b.p, b.n), 0, A64_RAM, ": truncated (section headers at 0x");
	free(b.p);
}

static void test_segments(void)
{
	struct spec s = a64_spec();

	s.seg[1].offset = 0x100000;
	FAIL(write_spec("segoff.elf", &s), 0, A64_RAM,
	     ": truncated (segment 1 data [0x100000-0x100020) past end of file");
	s.seg[1].offset = ~0ull - 0x10; /* offset + filesz wraps */
	FAIL(write_spec("segoff2.elf", &s), 0, A64_RAM, ": truncated (segment 1 data");
	s = a64_spec();

	s.seg[0].memsz = 8;
	FAIL(write_spec("filesz.elf", &s), 0, A64_RAM, ": segment 0: p_filesz 0x10 exceeds p_memsz 0x8");
	s = a64_spec();

	s.seg[0].paddr = 0xfffffffffffff000ull;
	s.seg[0].memsz = 0x2000;
	FAIL(write_spec("wrap.elf", &s), 0, 0, ~0ull,
	     ": segment 0: p_paddr 0xfffffffffffff000 + p_memsz 0x2000 overflows the address space");
	s = a64_spec();

	s.seg[1].paddr = s.entry = 0x3ffff000;
	FAIL(write_spec("below.elf", &s), 0, A64_RAM,
	     ": segment 1 [0x3ffff000-0x3ffff020) lies outside RAM [0x40000000-0x48000000)");
	s.seg[1].paddr = s.entry = 0x47fffff0; /* starts inside, ends past the end */
	FAIL(write_spec("above.elf", &s), 0, A64_RAM,
	     ": segment 1 [0x47fffff0-0x48000010) lies outside RAM [0x40000000-0x48000000)");
	s.seg[1].paddr = s.entry = 0x47ffffe0; /* ends exactly at the end: fine */
	struct elf_image img;
	CU_ASSERT_EQUAL(elf_load(write_spec("top.elf", &s), 0, A64_RAM, &img), 0);
	elf_free(&img);
	s = a64_spec();

	s.seg[0].paddr = 0x40080010; /* data over the end of text */
	FAIL(write_spec("overlap.elf", &s), 0, A64_RAM,
	     ": segments 1 [0x40080000-0x40080020) and 0 [0x40080010-0x40081010) overlap");
	s.seg[0].paddr = 0x40080020; /* adjacent: fine */
	CU_ASSERT_EQUAL(elf_load(write_spec("adjacent.elf", &s), 0, A64_RAM, &img), 0);
	elf_free(&img);
	s = a64_spec();

	s.entry = 0x40090000;
	FAIL(write_spec("entry_data.elf", &s), 0, A64_RAM,
	     ": entry point 0x40090000 is not in an executable segment");
	s.entry = 0x40080020; /* one past the text */
	FAIL(write_spec("entry_end.elf", &s), 0, A64_RAM,
	     ": entry point 0x40080020 is not in an executable segment");
	s = a64_spec();

	s.nseg = 0;
	s.text_seg = s.data_seg = -1;
	FAIL(write_spec("nophdr.elf", &s), 0, A64_RAM, ": no loadable segments");
	s = a64_spec();
	s.seg[0] = s.seg[2]; /* only the empty PT_LOAD and the PT_NOTE left */
	s.seg[1] = s.seg[3];
	s.nseg = 2;
	s.text_seg = s.data_seg = -1;
	FAIL(write_spec("noload.elf", &s), 0, A64_RAM, ": no loadable segments");
}

/* ---- segment bounds, byte exact ----
 * Each bound is tried at the last accepted value and one past it, so a
 * one-character slip in a comparison (< for <=, + for -) fails a case.
 * RAM is A64_RAM, [0x40000000-0x48000000): a non-zero base, so that
 * paddr - base and paddr + base differ. */

/* One executable segment [paddr, paddr + memsz), up to 32 file bytes, entered at its start. */
static struct spec text_only(uint64_t paddr, uint64_t memsz)
{
	struct spec s = { .machine = EM_AARCH64, .type = ET_EXEC, .entry = paddr, .nseg = 1,
			  .text_seg = -1, .data_seg = -1 };
	s.seg[0] = (struct tseg){ PT_LOAD, PF_R | PF_X, paddr, memsz, memsz < 32 ? memsz : 32, a64_code, 0 };
	return s;
}

static int loads(const char *name, const struct spec *s, uint64_t base, uint64_t size)
{
	struct elf_image img;
	char *path = write_spec(name, s);
	if (elf_load(path, 0, base, size, &img) != 0) {
		fprintf(stderr, "\n  %s: %s\n", name, err_msg());
		return 0;
	}
	elf_free(&img);
	return 1;
}

/* LOADS(name, spec, ram_base, ram_size); SEG_FAILS(name, spec, ram_base, ram_size, message) */
#define LOADS(name, s, ...) CU_ASSERT_TRUE(loads(name, s, __VA_ARGS__))
#define SEG_FAILS(name, s, ...) CU_ASSERT_TRUE(check_fail(write_spec(name, s), 0, __VA_ARGS__))

static void test_ram_bounds(void)
{
	struct spec s;

	s = text_only(0x40000000, 0x8000000);         /* the whole RAM */
	LOADS("ram_all.elf", &s, A64_RAM);
	s = text_only(0x40000000, 1);                 /* its first byte */
	LOADS("ram_first.elf", &s, A64_RAM);
	s = text_only(0x47ffffff, 1);                 /* its last byte */
	LOADS("ram_last.elf", &s, A64_RAM);
	s = text_only(0x47ffffe0, 0x20);              /* ends at the last byte */
	LOADS("ram_top.elf", &s, A64_RAM);

	s = text_only(0x40000000, 0x8000001);         /* the whole RAM and one byte */
	SEG_FAILS("ram_all1.elf", &s, A64_RAM,
		  ": segment 0 [0x40000000-0x48000001) lies outside RAM [0x40000000-0x48000000)");
	s = text_only(0x47ffffe0, 0x21);              /* one byte past the end */
	SEG_FAILS("ram_over1.elf", &s, A64_RAM, ": segment 0 [0x47ffffe0-0x48000001) lies outside RAM");
	s = text_only(0x48000000, 1);                 /* starts at the end */
	SEG_FAILS("ram_at_end.elf", &s, A64_RAM, ": segment 0 [0x48000000-0x48000001) lies outside RAM");
	s = text_only(0x3fffffff, 0x21);              /* starts one byte before RAM */
	SEG_FAILS("ram_before1.elf", &s, A64_RAM, ": segment 0 [0x3fffffff-0x40000020) lies outside RAM");
	s = text_only(0x3fffffe0, 0x20);              /* ends where RAM starts */
	SEG_FAILS("ram_below.elf", &s, A64_RAM, ": segment 0 [0x3fffffe0-0x40000000) lies outside RAM");
	s = text_only(0x88000000, 0x20);              /* past RAM by more than its size */
	SEG_FAILS("ram_far.elf", &s, A64_RAM, ": segment 0 [0x88000000-0x88000020) lies outside RAM");
	s = text_only(0x40000010, ~0ull - 0x40000010); /* ends at 2^64 - 1: no wrap, far too big */
	SEG_FAILS("ram_huge.elf", &s, A64_RAM, ": segment 0 [0x40000010-0xffffffffffffffff) lies outside RAM");

	/* RAM at 0 (the pc machine): a segment at address 0 is inside. */
	s = text_only(0, 0x20);
	LOADS("ram_zero.elf", &s, X86_RAM);
	s = text_only(0xfffffe0, 0x21);
	SEG_FAILS("ram_zero_over.elf", &s, X86_RAM, ": segment 0 [0xfffffe0-0x10000001) lies outside RAM [0x0-0x10000000)");

	/* The top of the address space: ending at 2^64 - 1 is representable,
	 * ending at 2^64 wraps to 0. */
	s = text_only(0xfffffffffffff000ull, 0xfff);
	LOADS("top_fits.elf", &s, 0, ~0ull);
	s = text_only(0xfffffffffffff000ull, 0x1000);
	SEG_FAILS("top_wraps.elf", &s, 0, ~0ull,
		  ": segment 0: p_paddr 0xfffffffffffff000 + p_memsz 0x1000 overflows the address space");
	s = text_only(0xfffffffffffff000ull, ~0ull);
	SEG_FAILS("top_wraps2.elf", &s, 0, ~0ull, ": segment 0: p_paddr 0xfffffffffffff000 + p_memsz");
}

static void test_file_bounds(void)
{
	struct spec s = text_only(0x40080000, 0x40);
	struct elf_image img;

	/* p_filesz up to p_memsz, not one byte more. */
	s.seg[0].data = NULL;         /* the writer's pattern: a64_code has 32 bytes */
	s.seg[0].filesz = 0x40;
	LOADS("filesz_eq.elf", &s, A64_RAM);
	s.seg[0].filesz = 0x41;
	SEG_FAILS("filesz_over1.elf", &s, A64_RAM, ": segment 0: p_filesz 0x41 exceeds p_memsz 0x40");

	/* Segment data ending at the last byte of the file, and one byte past it. */
	s = text_only(0x40080000, 0x40);
	struct buf b = build(&s);
	Elf64_Phdr *ph = (Elf64_Phdr *)(b.p + ((Elf64_Ehdr *)b.p)->e_phoff);
	ph->p_offset = b.n - 32;
	CU_ASSERT_EQUAL(elf_load(write_file("data_eof.elf", b.p, b.n), 0, A64_RAM, &img), 0);
	elf_free(&img);
	ph->p_offset = b.n - 31;
	FAIL(write_file("data_eof1.elf", b.p, b.n), 0, A64_RAM, ": truncated (segment 0 data [");
	free(b.p);

	/* A segment with no file bytes (all bss) reads nothing from the file,
	 * so its p_offset is not checked, as Linux's loader ignores it. */
	s = a64_spec();
	s.seg[0].filesz = 0;
	s.seg[0].offset = ~0ull;
	struct spec t = s;
	CU_ASSERT_EQUAL_FATAL(elf_load(write_spec("bss_only.elf", &t), 0, A64_RAM, &img), 0);
	CU_ASSERT_EQUAL_FATAL(img.nsegs, 2);
	CU_ASSERT_EQUAL(img.segs[1].paddr, 0x40090000);
	CU_ASSERT_EQUAL(img.segs[1].filesz, 0);
	CU_ASSERT_EQUAL(img.segs[1].memsz, 0x1000);
	elf_free(&img);
}

/* Overlapping segments are rejected, naming both: which bytes would win
 * depends on load order, which the gABI leaves open (Linux maps in header
 * order and the later one wins; a firmware that relies on that is broken). */
static void test_overlap_bounds(void)
{
	struct spec s = a64_spec();   /* text [0x40080000-0x40080020), data [0x40090000-0x40091000) */

	s.seg[0].paddr = 0x4008001f;  /* one byte */
	SEG_FAILS("overlap1.elf", &s, A64_RAM,
		  ": segments 1 [0x40080000-0x40080020) and 0 [0x4008001f-0x4008101f) overlap");
	s.seg[0].paddr = 0x40080000;  /* same start */
	SEG_FAILS("overlap_same.elf", &s, A64_RAM,
		  ": segments 0 [0x40080000-0x40081000) and 1 [0x40080000-0x40080020) overlap");
	s.seg[0].paddr = 0x4007fff0;  /* text inside data */
	SEG_FAILS("overlap_in.elf", &s, A64_RAM,
		  ": segments 0 [0x4007fff0-0x40080ff0) and 1 [0x40080000-0x40080020) overlap");
	s.seg[0].paddr = 0x4007f000;  /* data ends where text starts: fine */
	LOADS("adjacent2.elf", &s, A64_RAM);
	s.seg[0].paddr = 0x4007f001;
	SEG_FAILS("overlap_in2.elf", &s, A64_RAM,
		  ": segments 0 [0x4007f001-0x40080001) and 1 [0x40080000-0x40080020) overlap");

	/* Only into the bss of the other (past its p_filesz, before its p_memsz). */
	s = a64_spec();
	s.seg[1].paddr = s.entry = 0x40090800;
	SEG_FAILS("overlap_bss.elf", &s, A64_RAM,
		  ": segments 0 [0x40090000-0x40091000) and 1 [0x40090800-0x40090820) overlap");
	s.seg[1].paddr = s.entry = 0x40091000;   /* right after the bss: fine */
	LOADS("after_bss.elf", &s, A64_RAM);
	s.seg[1].paddr = s.entry = 0x4008ffe0;   /* right before the data: fine */
	LOADS("before_data.elf", &s, A64_RAM);
	s.seg[1].paddr = s.entry = 0x4008ffe1;
	SEG_FAILS("overlap_data1.elf", &s, A64_RAM, ": segments 1 [0x4008ffe1-0x40090001) and 0 [0x40090000");
}

static void test_entry_bounds(void)
{
	struct spec s = a64_spec();   /* text [0x40080000-0x40080020) */

	s.entry = 0x4008001f;         /* last byte of the text */
	LOADS("entry_last.elf", &s, A64_RAM);
	s.entry = 0x4007ffff;         /* one byte before */
	SEG_FAILS("entry_before.elf", &s, A64_RAM, ": entry point 0x4007ffff is not in an executable segment");
	s.entry = 0x40000000;         /* in RAM, in no segment */
	SEG_FAILS("entry_none.elf", &s, A64_RAM, ": entry point 0x40000000 is not in an executable segment");
	s.entry = 0;
	SEG_FAILS("entry_zero.elf", &s, A64_RAM, ": entry point 0x0 is not in an executable segment");
	s.entry = ~0ull;
	SEG_FAILS("entry_max.elf", &s, A64_RAM, ": entry point 0xffffffffffffffff is not in an executable segment");
	s.entry = 0x10;               /* inside the ignored empty PT_LOAD */
	SEG_FAILS("entry_empty.elf", &s, A64_RAM, ": entry point 0x10 is not in an executable segment");

	/* In the bss part of an executable segment: inside it, accepted. */
	s = a64_spec();
	s.seg[1].memsz = 0x40;
	s.entry = 0x4008003f;
	LOADS("entry_bss.elf", &s, A64_RAM);
}

/* ---- robustness sweep ---- */

static int sane(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *g = &img->segs[i];
		if (g->filesz > g->memsz)
			return 0;
		if (g->filesz && (g->data < img->file || g->data + g->filesz > img->file + img->file_size))
			return 0;
		if (i && g->paddr < img->segs[i - 1].paddr + img->segs[i - 1].memsz)
			return 0;
	}
	return img->nsegs > 0;
}

static int try_load(const char *path, const void *p, size_t n)
{
	struct elf_image img;
	uint64_t off;
	char *f = write_file(path, p, n);
	int ok = 1;

	if (elf_load(f, 0, A64_RAM, &img) == 0) {
		ok = sane(&img);
		elf_symbolize(&img, img.entry, &off);
		elf_lookup(&img, "main");
		elf_free(&img);
	} else if (strncmp(err_msg(), f, strlen(f)) != 0 || strchr(err_msg(), '\n')) {
		fprintf(stderr, "\n  bad message: %s\n", err_msg());
		ok = 0;
	}
	return ok;
}

static void test_truncate_and_flip(void)
{
	struct spec s = a64_spec();
	struct buf b = build(&s);
	unsigned bad = 0, loaded = 0;

	for (size_t n = 0; n < b.n; n += 7) {
		struct elf_image img;
		bad += !try_load("trunc.elf", b.p, n);
		if (elf_load(write_file("trunc.elf", b.p, n), 0, A64_RAM, &img) == 0) {
			loaded++;
			elf_free(&img);
		}
	}
	/* Without section headers the cuts land in segment data instead. */
	struct spec x = x86_spec();
	x.syms = NULL;
	struct buf xb = build(&x);
	for (size_t n = 0; n < xb.n; n += 7) {
		struct elf_image img;
		if (elf_load(write_file("trunc2.elf", xb.p, n), 0, X86_RAM, &img) == 0) {
			loaded++;
			elf_free(&img);
		} else if (n >= 64 + 2 * 56 && !strstr(err_msg(), ": truncated (segment ")) {
			fprintf(stderr, "\n  cut at %zu: %s\n", n, err_msg());
			bad++;
		}
	}
	free(xb.p);
	CU_ASSERT_EQUAL(loaded, 0); /* every cut loses section headers or segment data */

	/* Every byte of the ELF header and program headers, three ways. */
	size_t hdrs = sizeof(Elf64_Ehdr) + s.nseg * sizeof(Elf64_Phdr);
	static const uint8_t flips[] = { 0xff, 0x80, 0x01 };
	for (size_t i = 0; i < hdrs; i++)
		for (unsigned k = 0; k < sizeof flips; k++) {
			b.p[i] ^= flips[k];
			bad += !try_load("flip.elf", b.p, b.n);
			b.p[i] ^= flips[k];
		}
	/* Random bytes anywhere else (section headers, symbols, strings). */
	uint64_t r = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 2000; round++) {
		size_t at[4];
		uint8_t old[4];
		for (int j = 0; j < 4; j++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			at[j] = (size_t)(r >> 33) % b.n;
			old[j] = b.p[at[j]];
			b.p[at[j]] = (uint8_t)(r >> 17);
		}
		bad += !try_load("rand.elf", b.p, b.n);
		for (int j = 3; j >= 0; j--)
			b.p[at[j]] = old[j];
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(b.p);
}

/* ---- a real firmware image ---- */

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "\n  command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void test_clang_elf(void)
{
	if (system("command -v clang-14 >/dev/null 2>&1 && command -v ld.lld >/dev/null 2>&1") != 0) {
		fprintf(stderr, "\n  skipped: clang-14 or ld.lld not installed\n");
		return;
	}
	static const char start[] =
		".section .text.start, \"ax\"\n.global _start\n_start:\n"
		"  mov x0, #0x1234\n  ldr x1, =__stack_top\n  mov sp, x1\n  bl main\n  hvc #0\n  b .\n";
	static const char fw[] =
		"int counter;\nstatic char buf[8192];\nint table[4] = { 1, 2, 3, 4 };\n"
		"int main(void) { for (int i = 0; i < 4; i++) counter += table[i] + buf[i * 100];"
		" return counter; }\n";
	static const char ld[] =
		"ENTRY(_start)\nSECTIONS {\n  . = 0x40080000;\n"
		"  .text : { *(.text.start) *(.text .text.*) }\n  . = ALIGN(4096);\n"
		"  .data : { *(.data .data.*) *(.rodata .rodata.*) }\n"
		"  .bss : { *(.bss .bss.*) *(COMMON) }\n"
		"  .stack (NOLOAD) : { . = ALIGN(16); . += 0x4000; __stack_top = .; }\n"
		"  /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }\n}\n";
	char cmd[1024], elf[300];

	write_file("start.S", start, strlen(start));
	write_file("fw.c", fw, strlen(fw));
	write_file("link.ld", ld, strlen(ld));
	snprintf(elf, sizeof elf, "%s/fw.elf", tmpdir);
	snprintf(cmd, sizeof cmd,
		 "cd %s && clang-14 --target=aarch64-none-elf -ffreestanding -nostdlib -fno-builtin -O1 "
		 "-c start.S fw.c && ld.lld -T link.ld -nostdlib -static start.o fw.o -o fw.elf",
		 tmpdir);
	CU_ASSERT_EQUAL_FATAL(run(cmd), 0);

	struct elf_image img;
	uint64_t off = 99;
	CU_ASSERT_EQUAL_FATAL(elf_load(elf, EM_AARCH64, A64_RAM, &img), 0);
	CU_ASSERT_EQUAL(img.entry, 0x40080000);
	CU_ASSERT_EQUAL(elf_lookup(&img, "_start"), img.entry);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, img.entry, &off), "_start");
	CU_ASSERT_EQUAL(off, 0);
	/* The first instruction at the entry is mov x0, #0x1234 (d2824680). */
	const struct elf_segment *text = &img.segs[0];
	CU_ASSERT_EQUAL_FATAL(text->paddr, 0x40080000);
	CU_ASSERT_TRUE(text->flags & PF_X);
	CU_ASSERT_TRUE(text->filesz >= 4);
	uint32_t w = (uint32_t)text->data[0] | (uint32_t)text->data[1] << 8 |
		     (uint32_t)text->data[2] << 16 | (uint32_t)text->data[3] << 24;
	CU_ASSERT_EQUAL(w, 0xd2824680);

	uint64_t main_addr = elf_lookup(&img, "main");
	CU_ASSERT_TRUE(main_addr > img.entry && main_addr < text->paddr + text->memsz);
	CU_ASSERT_STRING_EQUAL(elf_symbolize(&img, main_addr + 4, &off), "main");
	CU_ASSERT_EQUAL(off, 4);
	CU_ASSERT_PTR_NULL(elf_symbolize(&img, 0x40000000, &off));

	/* counter and buf are .bss: some writable segment zero-fills them. */
	uint64_t counter = elf_lookup(&img, "counter");
	uint64_t table = elf_lookup(&img, "table");
	CU_ASSERT_TRUE(counter != 0 && table != 0);
	int bss_ok = 0;
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct elf_segment *g = &img.segs[i];
		if ((g->flags & PF_W) && counter >= g->paddr + g->filesz && counter < g->paddr + g->memsz)
			bss_ok = 1;
		/* table = { 1, 2, 3, 4 } is file-backed */
		if (table >= g->paddr && table + 16 <= g->paddr + g->filesz)
			CU_ASSERT_EQUAL(g->data[table - g->paddr + 8], 3);
	}
	CU_ASSERT_TRUE(bss_ok);
	for (unsigned i = 0; i < img.nsyms; i++)
		CU_ASSERT_NOT_EQUAL(img.syms[i].name[0], '$');
	elf_free(&img);

	/* The same file is rejected for x86 and for a RAM that misses it. */
	FAIL(elf, EM_X86_64, A64_RAM, ": machine is AArch64 (EM 183), expected x86-64");
	FAIL(elf, EM_AARCH64, 0x40000000, 0x80000, "lies outside RAM [0x40000000-0x40080000)");
}

static int setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/hvsim-test-elf-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : 1;
}

static int teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : 1;
}

static CU_TestInfo tests[] = {
	{ "good AArch64 file", test_good_a64 },
	{ "good x86-64 file, with and without symbols", test_good_x86 },
	{ "not an ELF / wrong class / short", test_not_elf },
	{ "header checks", test_header },
	{ "segment checks", test_segments },
	{ "segment RAM bounds, byte exact", test_ram_bounds },
	{ "segment file bounds, byte exact", test_file_bounds },
	{ "overlapping segments", test_overlap_bounds },
	{ "entry point bounds", test_entry_bounds },
	{ "truncation and byte flips", test_truncate_and_flip },
	{ "clang-built firmware", test_clang_elf },
	{ "Linux user programs refused", test_linux_program },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	if (setup() != 0) {
		perror("mkdtemp");
		return 2;
	}
	int rc = unit_run("elf", tests);
	teardown();
	return rc;
}
