/* ELF64 firmware loader.  The whole file is read into memory and handed to
 * libelf with elf_memory(), so segment data can point into it and every
 * offset can be checked against the real file size before libelf sees it.
 * Formats: System V gABI, "ELF Header", "Program Header", "Symbol Table". */
#include "loader/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_AARCH64: return "AArch64";
	case EM_X86_64:  return "x86-64";
	case EM_ARM:     return "ARM";
	case EM_386:     return "i386";
	case EM_RISCV:   return "RISC-V";
	case EM_PPC64:   return "PowerPC64";
	case EM_NONE:    return "none";
	default:         return "unknown";
	}
}

/* Reads the whole file; the buffer is never empty-allocated (size + 1). */
static int read_file(const char *path, uint8_t **buf, size_t *size)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	int e = 0;

	if (fd < 0)
		return err_set("%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	if (e) {
		close(fd);
		return err_set("%s: cannot open: %s", path, e == EINVAL ? "not a regular file" : strerror(e));
	}
	size_t cap = (size_t)st.st_size, len = 0;
	uint8_t *b = malloc(cap + 1);
	if (!b) {
		close(fd);
		return err_set("%s: cannot read: out of memory (%zu bytes)", path, cap);
	}
	while (len < cap) {
		ssize_t n = read(fd, b + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(b);
			close(fd);
			return err_set("%s: cannot read: %s", path, strerror(e));
		}
		if (n == 0)
			break; /* file shrank under us: check what we have */
		len += (size_t)n;
	}
	close(fd);
	*buf = b;
	*size = len;
	return 0;
}

/* [off, off + len) inside a file of fsize bytes, without overflow. */
static int in_file(uint64_t off, uint64_t len, size_t fsize)
{
	return off <= fsize && len <= fsize - off;
}

/* What the caller accepts (elf_load_dyn, elf_load_mb) */
struct load_req {
	uint16_t machine;            /* EM_AARCH64, EM_X86_64 or 0 for either (ELF64) */
	bool elf32;                  /* an ELF32 i386 file too (multiboot kernels) */
	uint64_t ram_base, ram_size, dyn_base;
};

struct seg_tmp {
	struct elf_segment s;
	unsigned idx;    /* program header index, for messages */
};

static int cmp_seg(const void *a, const void *b)
{
	const struct seg_tmp *x = a, *y = b;
	if (x->s.paddr != y->s.paddr)
		return x->s.paddr < y->s.paddr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Same address: smaller size first, so the binary search in elf_symbolize
 * (last entry <= addr) prefers a sized function over a bare label. */
static int cmp_sym(const void *a, const void *b)
{
	const struct elf_symbol *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int load_segments(const char *path, Elf *e, uint64_t phoff, uint64_t ram_base,
			 uint64_t ram_size, struct elf_image *img)
{
	size_t phnum;
	struct seg_tmp *t;
	unsigned n = 0;
	uint64_t ram_end = ram_base + ram_size; /* only printed */
	size_t phent = gelf_fsize(e, ELF_T_PHDR, 1, EV_CURRENT);

	if (elf_getphdrnum(e, &phnum) != 0)
		return err_set("%s: bad program header count: %s", path, elf_errmsg(-1));
	/* Past PN_XNUM the count is in section 0 (gABI "Extended Program Header
	 * Numbering"), so check_header could not check it. */
	if (!in_file(phoff, (uint64_t)phnum * phent, img->file_size))
		return err_set("%s: truncated (%zu program headers at offset 0x%llx past end of file, %zu bytes)",
			       path, phnum, (unsigned long long)phoff, img->file_size);
	t = calloc(phnum ? phnum : 1, sizeof *t);
	if (!t)
		return err_set("%s: out of memory", path);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph)) {
			err_set("%s: program header %zu: %s", path, i, elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* No file bytes (all bss): p_offset is never read, as in Linux's loader. */
		if (ph.p_filesz && !in_file(ph.p_offset, ph.p_filesz, img->file_size)) {
			err_set("%s: truncated (segment %zu data [0x%llx-0x%llx) past end of file, %zu bytes)",
				path, i, (unsigned long long)ph.p_offset,
				(unsigned long long)(ph.p_offset + ph.p_filesz), img->file_size);
			goto fail;
		}
		if (ph.p_filesz > ph.p_memsz) {
			err_set("%s: segment %zu: p_filesz 0x%llx exceeds p_memsz 0x%llx", path, i,
				(unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (img->bias)   /* ET_DYN: placed by its virtual addresses */
			ph.p_paddr = ph.p_vaddr + img->bias;
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
			err_set("%s: segment %zu: p_paddr 0x%llx + p_memsz 0x%llx overflows the address space",
				path, i, (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_paddr < ram_base || ph.p_paddr - ram_base > ram_size ||
		    ph.p_memsz > ram_size - (ph.p_paddr - ram_base)) {
			err_set("%s: segment %zu [0x%llx-0x%llx) lies outside RAM [0x%llx-0x%llx)", path, i,
				(unsigned long long)ph.p_paddr, (unsigned long long)(ph.p_paddr + ph.p_memsz),
				(unsigned long long)ram_base, (unsigned long long)ram_end);
			goto fail;
		}
		t[n].idx = (unsigned)i;
		t[n].s.paddr = ph.p_paddr;
		t[n].s.memsz = ph.p_memsz;
		t[n].s.filesz = ph.p_filesz;
		t[n].s.data = ph.p_filesz ? img->file + ph.p_offset : NULL;
		t[n].s.flags = ph.p_flags & (PF_R | PF_W | PF_X);
		n++;
	}
	if (n == 0) {
		err_set("%s: no loadable segments", path);
		goto fail;
	}
	qsort(t, n, sizeof *t, cmp_seg);
	for (unsigned i = 1; i < n; i++) {
		const struct elf_segment *a = &t[i - 1].s, *b = &t[i].s;
		if (b->paddr < a->paddr + a->memsz) {
			err_set("%s: segments %u [0x%llx-0x%llx) and %u [0x%llx-0x%llx) overlap", path,
				t[i - 1].idx, (unsigned long long)a->paddr,
				(unsigned long long)(a->paddr + a->memsz), t[i].idx,
				(unsigned long long)b->paddr, (unsigned long long)(b->paddr + b->memsz));
			goto fail;
		}
	}
	img->segs = calloc(n, sizeof *img->segs);
	if (!img->segs) {
		err_set("%s: out of memory", path);
		goto fail;
	}
	for (unsigned i = 0; i < n; i++)
		img->segs[i] = t[i].s;
	img->nsegs = n;
	free(t);
	return 0;
fail:
	free(t);
	return -1;
}

static int entry_ok(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if ((s->flags & PF_X) && img->entry >= s->paddr && img->entry - s->paddr < s->memsz)
			return 1;
	}
	return 0;
}

/* Section index of a symbol lies in an executable section. */
static int exec_section(Elf *e, unsigned shndx)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE)
		return 0;
	scn = elf_getscn(e, shndx);
	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

/* Functions and code labels: STT_FUNC, or STT_NOTYPE defined in an
 * executable section (assembly labels such as _start).  AArch64 mapping
 * symbols ($x, $d; AAELF64 "Mapping symbols") are not names of code. */
static int wanted_sym(Elf *e, const GElf_Sym *s, const char *name)
{
	int type = GELF_ST_TYPE(s->st_info);

	if (!name || !name[0] || name[0] == '$' || s->st_shndx == SHN_UNDEF)
		return 0;
	if (type == STT_FUNC)
		return 1;
	return type == STT_NOTYPE && exec_section(e, s->st_shndx);
}

/* Finds .symtab (NULL data if the file has none).  Reports errors only
 * when given a path: elf_lookup has no way to show them. */
static int find_symtab(const char *path, Elf *e, size_t fsize, Elf_Data **data, size_t *strndx)
{
	Elf_Scn *scn = NULL;

	*data = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return path ? err_set("%s: bad section header: %s", path, elf_errmsg(-1)) : -1;
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (!in_file(sh.sh_offset, sh.sh_size, fsize))
			return path ? err_set("%s: truncated (symbol table [0x%llx-0x%llx) past end of file, %zu bytes)",
					      path, (unsigned long long)sh.sh_offset,
					      (unsigned long long)(sh.sh_offset + sh.sh_size), fsize) : -1;
		*data = elf_getdata(scn, NULL);
		if (!*data)
			return path ? err_set("%s: bad symbol table: %s", path, elf_errmsg(-1)) : -1;
		*strndx = sh.sh_link;
		return 0;
	}
	return 0;
}

static int load_symbols(const char *path, Elf *e, struct elf_image *img)
{
	Elf_Data *d;
	size_t strndx = 0, count, n = 0;

	if (find_symtab(path, e, img->file_size, &d, &strndx) < 0)
		return -1;
	if (!d)
		return 0; /* stripped: no symbols */
	count = d->d_size / gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
	img->syms = calloc(count ? count : 1, sizeof *img->syms);
	if (!img->syms)
		return err_set("%s: out of memory", path);
	for (size_t i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		name = elf_strptr(e, strndx, s.st_name);
		if (!wanted_sym(e, &s, name))
			continue;
		img->syms[n].addr = s.st_value + img->bias;
		img->syms[n].size = s.st_size;
		img->syms[n].name = strdup(name);
		if (!img->syms[n].name)
			return err_set("%s: out of memory", path);
		img->nsyms = (unsigned)++n;
	}
	qsort(img->syms, n, sizeof *img->syms, cmp_sym);
	return 0;
}

/* ET_DYN: the bias that puts the lowest PT_LOAD p_vaddr at dyn_base */
static int dyn_bias(const char *path, Elf *e, uint64_t dyn_base, struct elf_image *img)
{
	size_t phnum = 0;
	uint64_t low = UINT64_MAX;
	if (elf_getphdrnum(e, &phnum) != 0)
		return err_set("%s: bad program header count: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_memsz && ph.p_vaddr < low)
			low = ph.p_vaddr;
	}
	if (low == UINT64_MAX)
		return err_set("%s: no loadable segments", path);
	img->bias = dyn_base - low;
	img->entry += img->bias;
	return 0;
}

/* A Linux user program rather than firmware: it asks for a program
 * interpreter (PT_INTERP), thread-local storage (PT_TLS, set up by the C
 * library through the kernel), the GNU/Linux OS ABI in e_ident, or carries
 * the .note.ABI-tag note (LSB: "GNU" note type 1, OS 0 = Linux).  Returns
 * what gave it away, or NULL. */
static const char *linux_program(Elf *e, const GElf_Ehdr *eh, size_t fsize)
{
	size_t phnum = 0;
	if (eh->e_ident[EI_OSABI] == ELFOSABI_GNU)
		return "OS/ABI GNU/Linux";
	if (elf_getphdrnum(e, &phnum) != 0)
		return NULL;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return NULL;
		if (ph.p_type == PT_INTERP)
			return "PT_INTERP";
		if (ph.p_type == PT_TLS)
			return "PT_TLS";
		if (ph.p_type != PT_NOTE || !in_file(ph.p_offset, ph.p_filesz, fsize))
			continue;
		Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		uint32_t os;
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_ABI_TAG || nh.n_namesz != 4 || nh.n_descsz < 4 ||
			    memcmp((const char *)d->d_buf + noff, "GNU", 4))
				continue;
			memcpy(&os, (const char *)d->d_buf + doff, 4);
			if (os == ELF_NOTE_OS_LINUX)
				return ".note.ABI-tag";
		}
	}
	return NULL;
}

static int check_machine(const char *path, const GElf_Ehdr *eh, const struct load_req *rq)
{
	if (eh->e_ident[EI_CLASS] == ELFCLASS32) {
		if (eh->e_machine != EM_386)
			return err_set("%s: machine is %s (EM %u), expected i386 in an ELF32 file", path,
				       machine_name(eh->e_machine), eh->e_machine);
		return 0;
	}
	if ((eh->e_machine == EM_AARCH64 || eh->e_machine == EM_X86_64) &&
	    (!rq->machine || eh->e_machine == rq->machine))
		return 0;
	if (rq->machine)
		return err_set("%s: machine is %s (EM %u), expected %s", path, machine_name(eh->e_machine),
			       eh->e_machine, machine_name(rq->machine));
	return err_set("%s: machine is %s (EM %u), expected AArch64 or x86-64", path,
		       machine_name(eh->e_machine), eh->e_machine);
}

static int check_header(const char *path, Elf *e, const struct load_req *rq, struct elf_image *img,
			uint64_t *phoff)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(e, &eh))
		return err_set("%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (check_machine(path, &eh, rq) < 0)
		return -1;
	size_t phent = gelf_fsize(e, ELF_T_PHDR, 1, EV_CURRENT), shent = gelf_fsize(e, ELF_T_SHDR, 1, EV_CURRENT);
	/* libelf reads program headers with its own layout: a different
	 * e_phentsize means a file we would misread. */
	if (eh.e_phnum && eh.e_phentsize != phent)
		return err_set("%s: e_phentsize is %u, expected %zu", path, eh.e_phentsize, phent);
	/* Checked here because libelf's elf_getphdrnum() quietly clamps the
	 * count to what fits in the file. */
	if (eh.e_phnum && eh.e_phnum != PN_XNUM && !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * phent, img->file_size))
		return err_set("%s: truncated (%u program headers at offset 0x%llx past end of file, %zu bytes)",
			       path, eh.e_phnum, (unsigned long long)eh.e_phoff, img->file_size);
	if (eh.e_shnum && eh.e_shentsize != shent)
		return err_set("%s: e_shentsize is %u, expected %zu", path, eh.e_shentsize, shent);
	if (eh.e_shoff && !in_file(eh.e_shoff, (uint64_t)(eh.e_shnum ? eh.e_shnum : 1) * shent, img->file_size))
		return err_set("%s: truncated (section headers at 0x%llx past end of file, %zu bytes)",
			       path, (unsigned long long)eh.e_shoff, img->file_size);
	const char *why = linux_program(e, &eh, img->file_size);
	if (why)
		return err_set("%s: a Linux %s program (%s), not bare-metal firmware: hvsim boots kernels and "
			       "firmware, not user programs", path, machine_name(eh.e_machine), why);
	if (eh.e_type != ET_EXEC && !(eh.e_type == ET_DYN && rq->dyn_base))
		return err_set("%s: not an executable (e_type %u)", path, eh.e_type);
	img->machine = eh.e_machine;
	img->entry = eh.e_entry;
	*phoff = eh.e_phoff;
	return eh.e_type == ET_DYN ? dyn_bias(path, e, rq->dyn_base, img) : 0;
}

/* e_ident: the classes the request accepts, little-endian, version 1 */
static int check_ident(const char *path, const uint8_t *f, size_t size, const struct load_req *rq)
{
	if (size < SELFMAG || memcmp(f, ELFMAG, SELFMAG) != 0)
		return err_set("%s: not an ELF file", path);
	bool c32 = size >= EI_NIDENT && rq->elf32 && f[EI_CLASS] == ELFCLASS32;
	if (size < EI_NIDENT || (f[EI_CLASS] != ELFCLASS64 && !c32) || f[EI_DATA] != ELFDATA2LSB)
		return err_set("%s: not a %s little-endian ELF", path, rq->elf32 ? "32- or 64-bit" : "64-bit");
	if (f[EI_VERSION] != EV_CURRENT)
		return err_set("%s: unsupported ELF version %u (e_ident[EI_VERSION], expected 1)", path,
			       f[EI_VERSION]);
	size_t ehdr = c32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
	if (size < ehdr)
		return err_set("%s: truncated (%zu bytes, the ELF header needs %zu)", path, size, ehdr);
	return 0;
}

static int load(const char *path, const struct load_req *rq, struct elf_image *img)
{
	Elf *e;
	uint64_t phoff = 0;
	int rc = -1;

	if (read_file(path, &img->file, &img->file_size) < 0 ||
	    check_ident(path, img->file, img->file_size, rq) < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return err_set("%s: libelf: %s", path, elf_errmsg(-1));
	e = elf_memory((char *)img->file, img->file_size);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		err_set("%s: not a valid ELF file: %s", path, elf_errmsg(-1));
		goto out;
	}
	if (check_header(path, e, rq, img, &phoff) < 0 ||
	    load_segments(path, e, phoff, rq->ram_base, rq->ram_size, img) < 0)
		goto out;
	if (!entry_ok(img)) {
		err_set("%s: entry point 0x%llx is not in an executable segment", path,
			(unsigned long long)img->entry);
		goto out;
	}
	if (load_symbols(path, e, img) < 0)
		goto out;
	rc = 0;
out:
	elf_end(e);
	return rc;
}

static int load_req(const char *path, const struct load_req *rq, struct elf_image *out)
{
	memset(out, 0, sizeof *out);
	if (load(path, rq, out) < 0) {
		elf_free(out);
		return -1;
	}
	for (unsigned i = 0; i < out->nsegs; i++)
		DBG(LOG_ELF, "%s: segment [0x%llx-0x%llx) filesz 0x%llx %c%c%c", path,
		    (unsigned long long)out->segs[i].paddr,
		    (unsigned long long)(out->segs[i].paddr + out->segs[i].memsz),
		    (unsigned long long)out->segs[i].filesz, out->segs[i].flags & PF_R ? 'r' : '-',
		    out->segs[i].flags & PF_W ? 'w' : '-', out->segs[i].flags & PF_X ? 'x' : '-');
	DBG(LOG_ELF, "%s: %s, entry 0x%llx, %u symbols", path, machine_name(out->machine),
	    (unsigned long long)out->entry, out->nsyms);
	return 0;
}

int elf_load(const char *path, uint16_t expect_machine, uint64_t ram_base,
	     uint64_t ram_size, struct elf_image *out)
{
	return elf_load_dyn(path, expect_machine, ram_base, ram_size, 0, out);
}

int elf_load_dyn(const char *path, uint16_t expect_machine, uint64_t ram_base, uint64_t ram_size,
		 uint64_t dyn_base, struct elf_image *out)
{
	struct load_req rq = { expect_machine, false, ram_base, ram_size, dyn_base };
	return load_req(path, &rq, out);
}

int elf_load_mb(const char *path, uint64_t ram_base, uint64_t ram_size, struct elf_image *out)
{
	struct load_req rq = { EM_X86_64, true, ram_base, ram_size, 0 };
	return load_req(path, &rq, out);
}

void elf_free(struct elf_image *img)
{
	if (!img)
		return;
	for (unsigned i = 0; i < img->nsyms; i++)
		free(img->syms[i].name);
	free(img->syms);
	free(img->segs);
	free(img->file);
	memset(img, 0, sizeof *img);
}

const char *elf_symbolize(const struct elf_image *img, uint64_t addr, uint64_t *offset)
{
	unsigned lo = 0, hi = img->nsyms;

	/* Last symbol with addr <= a. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (img->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct elf_symbol *s = &img->syms[lo - 1];
	if (s->size && addr - s->addr >= s->size)
		return NULL;
	if (offset)
		*offset = addr - s->addr;
	return s->name;
}

/* Any symbol type, so it re-reads .symtab from the file kept in memory (it
 * was checked by elf_load); callers look up a few names at start-up. */
uint64_t elf_lookup(const struct elf_image *img, const char *name)
{
	Elf *e;
	Elf_Data *d;
	size_t strndx = 0;
	uint64_t addr = 0;

	if (!img->file || !name || elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	e = elf_memory((char *)img->file, img->file_size);
	if (!e)
		return 0;
	if (find_symtab(NULL, e, img->file_size, &d, &strndx) == 0 && d) {
		size_t count = d->d_size / gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
		for (size_t i = 0; i < count; i++) {
			GElf_Sym s;
			const char *n;
			if (!gelf_getsym(d, (int)i, &s))
				break;
			n = elf_strptr(e, strndx, s.st_name);
			if (s.st_shndx != SHN_UNDEF && n && strcmp(n, name) == 0) {
				addr = s.st_value;
				break;
			}
		}
	}
	elf_end(e);
	return addr;
}
