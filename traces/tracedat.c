/* trace.dat records -> struct trace_event.  libtracecmd reads the file (one
 * cursor per CPU, merged here by earliest timestamp, as trace-cmd does).
 * The events nearly every record of an x86 trace is (kvm_exit, kvm_entry,
 * kvm_msr, kvm_pio, kvm_mmio) are decoded from their fields through
 * libtraceevent, as the text parser reads the same fields printed; every
 * other event hvsim uses is formatted by libtraceevent with the kernel's
 * own print fmt (plugins off: the `trace-cmd report -N` text) and read by
 * the text parser.  Printing every record cost 8x the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "core/err.h"
#include "traces/tracedat.h"

#if HAVE_LIBTRACECMD
#include <trace-cmd.h>

/* The events decoded from their fields (the rest from their print fmt):
 * the ones nearly every record of an x86 trace is, with the fields each
 * reads, in the order of the decoders' v[].  The first nreq must be there;
 * the others are missing from older kernels' formats. */
static const struct direct {
	uint8_t kind, nreq;
	const char *field[9];
} directs[] = {
	{ TEV_EXIT, 5, { "exit_reason", "isa", "guest_rip", "info1", "info2", "vcpu_id", "intr_info", "error_code",
			 "requests" } },
	{ TEV_ENTRY, 1, { "vcpu_id", "rip", "intr_info", "error_code", "immediate_exit" } },
	{ TEV_MSR, 3, { "write", "ecx", "data", "exception" } },
	{ TEV_PIO, 4, { "rw", "port", "size", "count", "val" } },
	{ TEV_MMIO, 4, { "type", "len", "gpa", "val" } },
};
enum { MAX_DIRECT_FIELDS = 9, SLOW = 2 };

/* What an event id is, looked up once. */
struct evinfo {
	struct tep_event *e;		/* NULL: the file does not describe the id */
	uint8_t kind;
	bool native;			/* the file's byte order is the host's */
	uint32_t name_len;
	const struct direct *direct;	/* NULL: decoded from its print fmt */
	struct tep_format_field *f[MAX_DIRECT_FIELDS];
};

/* A CPU's pages read since the last release, by address: lo up to hi, the
 * page of the CPU's next record. */
struct run {
	uintptr_t lo, hi;
};

struct tracedat {
	struct tracecmd_input *in;
	struct tep_handle *tep;
	int ncpus;
	struct tep_record **next;	/* per CPU: its next record, NULL when done */
	struct tep_record *cur;		/* the record last returned */
	struct trace_seq seq;
	struct evinfo **ids;		/* by event id (common_type, 16 bits), filled on first sight */
	struct run *runs;		/* per CPU */
	bool release;			/* drop pages read (see release()) */
	uintptr_t pgsize;
	dev_t dev;			/* the file's, to know its mappings */
	ino_t ino;
};

enum { RELEASE_ALIGN = 2 << 20 };

/* Whether the mapping holding page is a private read-only mapping of the
 * trace file (/proc/self/maps: "start-end perms offset major:minor inode
 * path"): 1 if it also holds lo, 0 if not, -1 if it is none of the file's. */
static int file_mapped(const struct tracedat *d, uintptr_t lo, uintptr_t page)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int rc = -1;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long start, end, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %*x %x:%x %lu", &start, &end, perms, &maj, &min, &ino) == 6 &&
		    start <= page && page < end) {
			if (!strcmp(perms, "r--p") && ino == d->ino && makedev(maj, min) == d->dev)
				rc = start <= lo;
			break;
		}
	}
	if (f)
		fclose(f);
	return rc;
}

/* libtracecmd maps each CPU's data in windows as large as the biggest power
 * of two under it (256 MiB a CPU for 10M exits), and every page read stays
 * resident until its window is unmapped: the resident set would grow with
 * the trace.  A CPU's pages already read are dropped 2 MiB at a time
 * (MADV_DONTNEED) when /proc/self/maps shows them in the same private
 * read-only mapping of the file as the page in use, which refaults the same
 * bytes if read again; never memory libtracecmd reads or decompresses a
 * trace into: a page in use outside the file's mappings turns this off. */
static void release(struct tracedat *d, int cpu, const void *data)
{
	struct run *r = &d->runs[cpu];
	uintptr_t page = (uintptr_t)data & ~(d->pgsize - 1);
	if (page == r->hi)
		return;
	/* Up to a 2 MiB boundary: a fault maps the pages around it (its large
	 * folio of page cache, up to a PMD's 2 MiB, or fault_around_bytes),
	 * which would map the ones before it again. */
	uintptr_t end = page & ~(uintptr_t)(RELEASE_ALIGN - 1);
	bool ahead = r->lo && page > r->hi && page - r->hi <= RELEASE_ALIGN;
	if (ahead && end <= r->lo) {
		r->hi = page;
		return;
	}
	if (ahead) {
		int m = file_mapped(d, r->lo, page);
		if (m < 0) {
			d->release = false;
			return;
		}
		if (m > 0 && madvise((void *)r->lo, end - r->lo, MADV_DONTNEED) == 0) {
			r->lo = end;
			r->hi = page;
			return;
		}
	}
	r->lo = r->hi = page;
}

struct tracedat *tracedat_open(const char *path)
{
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *in = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!in) {
		err_set("%s: libtracecmd cannot read it as a trace.dat", path);
		return NULL;
	}
	struct tracedat *d = calloc(1, sizeof *d);
	d->in = in;
	d->tep = tracecmd_get_tep(in);
	d->ncpus = tep_get_cpus(d->tep);
	d->next = calloc((size_t)(d->ncpus > 0 ? d->ncpus : 1), sizeof *d->next);
	d->runs = calloc((size_t)(d->ncpus > 0 ? d->ncpus : 1), sizeof *d->runs);
	struct stat st;
	long pg = sysconf(_SC_PAGESIZE);
	d->release = stat(path, &st) == 0 && pg > 0 && (pg & (pg - 1)) == 0;
	d->pgsize = (uintptr_t)pg;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	for (int c = 0; c < d->ncpus; c++)
		d->next[c] = tracecmd_read_cpu_first(in, c);
	trace_seq_init(&d->seq);
	return d;
}

/* The CPU whose next record is earliest (-1: all done). */
static int earliest(const struct tracedat *d)
{
	int best = -1;
	for (int c = 0; c < d->ncpus; c++)
		if (d->next[c] && (best < 0 || d->next[c]->ts < d->next[best]->ts))
			best = c;
	return best;
}

static struct evinfo *evinfo_new(struct tep_handle *tep, int id)
{
	struct evinfo *i = calloc(1, sizeof *i);
	if (!(i->e = tep_find_event(tep, id)))
		return i;
	i->name_len = (uint32_t)strlen(i->e->name);
	i->kind = (uint8_t)trace_kind_lookup(i->e->name, i->name_len);
	i->native = tep_is_file_bigendian(tep) == tep_is_local_bigendian(tep);
	for (size_t k = 0; k < sizeof directs / sizeof directs[0]; k++)
		if (directs[k].kind == i->kind) {
			unsigned n = 0;
			for (unsigned f = 0; f < MAX_DIRECT_FIELDS && directs[k].field[f]; f++)
				n += (i->f[f] = tep_find_field(i->e, directs[k].field[f])) != NULL && f < directs[k].nreq;
			if (n == directs[k].nreq)
				i->direct = &directs[k];
		}
	return i;
}

/* The vCPU id of a field (TRACE_MAX_VCPU bounds it, as for text). */
static int vcpu_of(uint64_t v, struct trace_event *ev, const char **why)
{
	if (v >= TRACE_MAX_VCPU) {
		*why = "vcpu id out of range";
		return -1;
	}
	ev->vcpu = (int32_t)v;
	return 0;
}

/* kvm_exit on x86 as the text parser reads the kernel's print fmt of it:
 * VMX names on the low 16 bits and the FAILED_VMENTRY flag when isa is
 * KVM_ISA_VMX (1), the SVM table otherwise; a number no table names is
 * SVM's only above 16 bits (all the text of it says). */
static int exit_x86(const uint64_t *v, unsigned have, struct trace_event *ev, const char **why)
{
	struct trace_x86_exit *x = &ev->u.x86;
	uint32_t er = (uint32_t)v[0];
	if (v[1] == 1) {
		if (er & 0x7fff0000)
			return SLOW;	/* flags __print_flags prints in hex */
		x->reason = er & 0xffff;
		x->failed_vmentry = er >> 31;
	} else {
		x->reason = er;
		x->svm = trace_x86_reason_name(er, true) || er > 0xffff;
	}
	x->unknown = !trace_x86_reason_name(x->reason, x->svm);
	x->rip = v[2];
	x->info1 = v[3];
	x->info2 = v[4];
	x->intr_info = (uint32_t)v[6];
	x->error_code = (uint32_t)v[7];
	x->requests = v[8];
	x->have = (uint8_t)(TX_RIP | TX_INFO | (have >> 5 & 1 ? TX_VCPU : 0) | (have >> 6 & 1 ? TX_INTR_INFO : 0) |
			    (have >> 7 & 1 ? TX_ERROR_CODE : 0) | (have >> 8 & 1 ? TX_REQUESTS : 0));
	return have >> 5 & 1 ? vcpu_of(v[5], ev, why) : 0;
}

/* One direct event's fields (v[] in directs[]'s order) -> ev: 0, -1
 * malformed, SLOW (a value its print fmt prints in a form the text
 * parser must judge). */
static int direct_fill(uint8_t kind, const uint64_t *v, unsigned have, struct trace_event *ev, const char **why)
{
	ev->arch = TRACE_ARCH_X86;
	switch (kind) {
	case TEV_EXIT:
		return exit_x86(v, have, ev, why);
	case TEV_ENTRY:
		ev->u.entry.pc = v[1];
		ev->u.entry.intr_info = (uint32_t)v[2];
		ev->u.entry.error_code = (uint32_t)v[3];
		ev->u.entry.immediate_exit = v[4] != 0;
		return vcpu_of(v[0], ev, why);
	case TEV_MSR:
		ev->u.msr.write = v[0] != 0;
		ev->u.msr.index = (uint32_t)v[1];
		ev->u.msr.value = v[2];
		ev->u.msr.gp = v[3] != 0;
		return 0;
	case TEV_PIO:
		ev->u.pio.write = v[0] != 0;
		ev->u.pio.port = (uint32_t)v[1];
		ev->u.pio.size = (uint32_t)v[2];
		ev->u.pio.count = (uint32_t)v[3];
		ev->u.pio.value = (uint32_t)v[4];
		return 0;
	default:	/* TEV_MMIO: types 0-2 have names (unsatisfied-read, read, write) */
		if (v[0] > 2)
			return SLOW;
		ev->u.mmio.type = (uint8_t)v[0];
		ev->u.mmio.len = (uint32_t)v[1];
		ev->u.mmio.gpa = v[2];
		ev->u.mmio.value = v[3];
		return 0;
	}
}

/* A field of size n at p in the host's byte order (the file's): what
 * tep_read_number_field reads, without its call and byte swap.  False for
 * another size. */
static bool native_number(const char *p, int n, unsigned long long *x)
{
	uint8_t b;
	uint16_t h;
	uint32_t w;
	uint64_t q;
	switch (n) {
	case 1: memcpy(&b, p, 1); *x = b; return true;
	case 2: memcpy(&h, p, 2); *x = h; return true;
	case 4: memcpy(&w, p, 4); *x = w; return true;
	case 8: memcpy(&q, p, 8); *x = q; return true;
	default: return false;
	}
}

/* Reads the record's fields with libtraceevent's layout of them (offset,
 * size), no text in between. */
static int direct(const struct evinfo *i, struct tep_record *rec, struct trace_event *ev, const char **why)
{
	uint64_t v[MAX_DIRECT_FIELDS] = { 0 };
	unsigned have = 0;
	for (unsigned f = 0; f < MAX_DIRECT_FIELDS; f++) {
		struct tep_format_field *fd = i->f[f];
		unsigned long long x;
		if (!fd)
			continue;
		if (fd->offset < 0 || fd->size <= 0 || fd->offset + fd->size > rec->size) {
			*why = "record shorter than its format";
			return -1;
		}
		if (!(i->native && native_number((const char *)rec->data + fd->offset, fd->size, &x)) &&
		    tep_read_number_field(fd, rec->data, &x) < 0)
			return SLOW;
		v[f] = x;
		have |= 1u << f;
	}
	return direct_fill(i->kind, v, have, ev, why);
}

/* Through libtraceevent's print of the kernel's print fmt (plugins off:
 * the `trace-cmd report -N` text) and the text parser. */
static int printed(struct tracedat *d, const struct evinfo *i, struct tep_record *rec, struct trace_event *ev,
		   const char **why)
{
	trace_seq_reset(&d->seq);
	tep_print_event(d->tep, &d->seq, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&d->seq);
	if (trace_parse_args(i->e->name, ev->name_len, d->seq.buffer, strlen(d->seq.buffer), ev, why) < 0)
		return -1;
	if (ev->vcpu >= TRACE_MAX_VCPU) {
		*why = "vcpu id out of range";
		return -1;
	}
	return 1;
}

static struct evinfo *evinfo(struct tracedat *d, struct tep_record *rec)
{
	int id = tep_data_type(d->tep, rec);
	if (id < 0 || id > 0xffff)
		return NULL;
	if (!d->ids)
		d->ids = calloc(0x10000, sizeof *d->ids);
	if (!d->ids[id])
		d->ids[id] = evinfo_new(d->tep, id);
	return d->ids[id];
}

int tracedat_next(struct tracedat *d, struct trace_event *ev, uint64_t *lost, const char **why)
{
	if (d->cur)
		tracecmd_free_record(d->cur);
	d->cur = NULL;
	int c = earliest(d);
	if (c < 0)
		return TRACEDAT_END;
	struct tep_record *rec = d->cur = d->next[c];
	d->next[c] = tracecmd_read_data(d->in, c);
	if (d->release && d->next[c])
		release(d, c, d->next[c]->data);
	if (rec->missed_events > 0)
		*lost += (uint64_t)rec->missed_events;
	memset(ev, 0, sizeof *ev);
	ev->ts_ns = rec->ts;
	ev->ts_raw = false;
	ev->cpu = rec->cpu;
	ev->pid = tep_data_pid(d->tep, rec);
	ev->vcpu = -1;
	const struct evinfo *i = evinfo(d, rec);
	if (!i || !i->e) {
		*why = "record of an event the file does not describe";
		return -1;
	}
	ev->name = i->e->name;
	ev->name_len = i->name_len;
	if (i->kind == TEV_OTHER)
		return 1;	/* not decoded: nothing in it is used */
	if (i->direct) {
		ev->kind = i->kind;
		int rc = direct(i, rec, ev, why);
		if (rc != SLOW)
			return rc < 0 ? -1 : 1;
		memset(&ev->u, 0, sizeof ev->u);
		ev->vcpu = -1;
	}
	return printed(d, i, rec, ev, why);
}

void tracedat_close(struct tracedat *d)
{
	if (d->cur)
		tracecmd_free_record(d->cur);
	for (int c = 0; c < d->ncpus; c++)
		if (d->next[c])
			tracecmd_free_record(d->next[c]);
	free(d->next);
	free(d->runs);
	if (d->ids)
		for (int id = 0; id <= 0xffff; id++)
			free(d->ids[id]);
	free(d->ids);
	trace_seq_destroy(&d->seq);
	tracecmd_close(d->in);
	free(d);
}

#else

struct tracedat {
	int unused;
};

bool trace_have_tracedat(void) { return false; }

struct tracedat *tracedat_open(const char *path)
{
	err_set("%s: a trace.dat, but this hvsim was built without libtracecmd (install libtracecmd-dev, "
		"libtraceevent-dev and libtracefs-dev, then re-run ./configure); `trace-cmd report -N %s | "
		"hvsim trace stat -` reads it as text", path, path);
	return NULL;
}

int tracedat_next(struct tracedat *d, struct trace_event *ev, uint64_t *lost, const char **why)
{
	return TRACEDAT_END;
}

void tracedat_close(struct tracedat *d) { (void)d; }

#endif
