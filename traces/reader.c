/* Streaming trace reader: a line buffer over a FILE (bounded memory: one
 * buffer, lines longer than TRACE_MAX_LINE skipped as malformed), format
 * sniffing, the thread -> vCPU map, malformed-line bookkeeping.
 *
 * A regular file is read through a window of it mapped read-only (MAP_WINDOW
 * bytes, slid forward as lines are consumed) rather than copied by read():
 * the copy was an eighth of a text replay's time.  Memory stays bounded the
 * same way.  A file that grows is read on; one truncated while mapped is
 * an error naming it (the pages past its new end, which would raise
 * SIGBUS, read as zeros: on_sigbus).  Pipes, terminals and files of unknown
 * size (tracefs says 0) are read into the buffer. */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "traces/tracedat.h"
#include "traces/trace.h"

#define BUF_SIZE (1u << 18)	/* over TRACE_MAX_LINE, and small enough to stay in L2 after the read */
/* The buffer has TRACE_PAD bytes more, after any line in it: lines are
 * parsed in place by trace_parse_line_padded. */
#define MAP_WINDOW (8u << 20)	/* over TRACE_MAX_LINE; a multiple of any page size */
#define PID_SLOTS 4096		/* threads remembered (power of two) */

struct pid_slot {
	int32_t pid, vcpu;	/* pid 0: empty (the idle task runs no vCPU) */
};

struct trace_reader {
	char *name;
	FILE *f;
	bool own_f, strict, eof, skipping;
	enum trace_format fmt;
	char *buf;		/* the buffer, or the mapped window */
	size_t pos, len;
	/* the mapped window: file offset, file size, bytes readable from buf
	 * (len rounded up to a page: the file's next bytes, or zeros past its end) */
	bool mapped;
	int map_errno;		/* mmap failed past the first window: a read error */
	volatile sig_atomic_t truncated;	/* the file shrank under the window */
	off_t map_off, map_size;
	size_t readable;
	uint64_t lineno, bytes;
	struct tracedat *dat;
	struct trace_counts n;
	unsigned npids;
	struct pid_slot *last;	/* the thread of the last event: most lines are its too */
	struct pid_slot pids[PID_SLOTS];
};

static const char *const fmt_names[] = {
	[TRACE_FMT_AUTO] = "auto", [TRACE_FMT_FTRACE] = "ftrace", [TRACE_FMT_PERF] = "perf",
	[TRACE_FMT_TRACEDAT] = "trace.dat", [TRACE_FMT_UNKNOWN] = "unknown",
};

uint64_t trace_reader_bytes(const struct trace_reader *r) { return r->bytes; }

const char *trace_format_name(enum trace_format f) { return f <= TRACE_FMT_UNKNOWN ? fmt_names[f] : "?"; }

int trace_format_parse(const char *s, enum trace_format *f)
{
	for (int i = TRACE_FMT_AUTO; i < TRACE_FMT_UNKNOWN; i++)
		if (!strcmp(s, fmt_names[i])) {
			*f = (enum trace_format)i;
			return 0;
		}
	if (!strcmp(s, "trace-dat") || !strcmp(s, "tracedat")) {
		*f = TRACE_FMT_TRACEDAT;
		return 0;
	}
	return err_set("'%s' is not a trace format (auto, ftrace, perf, trace.dat)", s);
}

/* trace-cmd's file magic (trace-cmd.dat(5)): 0x17 0x08 0x44 "tracing". */
static const char dat_magic[10] = "\027\010Dtracing";

enum trace_format trace_sniff(const char *buf, size_t n)
{
	if (n >= sizeof dat_magic && !memcmp(buf, dat_magic, sizeof dat_magic))
		return TRACE_FMT_TRACEDAT;
	bool text = false, other = false;
	const char *p = buf, *e = buf + n;
	for (int lines = 0; p < e && lines < 64; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = (size_t)((nl ? nl : e) - p);
		struct trace_event ev;
		uint64_t lost = 0;
		const char *why;
		int r = trace_parse_line(p, len, &ev, &lost, &why);
		if (r == 1)	/* perf names the system: "kvm:kvm_exit:" */
			return ev.name > p && ev.name[-1] == ':' ? TRACE_FMT_PERF : TRACE_FMT_FTRACE;
		if (r == 0 && len && *p == '#')
			text = true;	/* ftrace's "# tracer: nop" header */
		other |= r < 0;
		if (!nl)
			break;
		p = nl + 1;
	}
	/* Nothing but headers, blank lines and comments is an empty ftrace trace. */
	if (text || !other)
		return TRACE_FMT_FTRACE;
	return TRACE_FMT_UNKNOWN;
}

/* ---- a mapped file truncated while it is read ----
 * Touching a mapped page past a file's end raises SIGBUS.  The windows in
 * use are registered here; the handler maps zeros over the rest of the one
 * that faulted (the reader finds no line end there) and marks its reader,
 * which stops with an error.  A fault anywhere else gets the handler that
 * was there before (the default: the process ends, as without this). */
#define MAX_WINDOWS 8	/* readers mapped at once (more go unprotected) */
static struct window {
	char *lo, *hi;
	struct trace_reader *r;
} windows[MAX_WINDOWS];
static struct sigaction bus_before;
static size_t page;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	char *a = si->si_addr;
	(void)sig;
	(void)ctx;
	for (unsigned i = 0; i < MAX_WINDOWS; i++) {
		struct window *w = &windows[i];
		if (!w->r || a < w->lo || a >= w->hi)
			continue;
		char *p = (char *)((uintptr_t)a & ~(uintptr_t)(page - 1));
		if (mmap(p, (size_t)(w->hi - p), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		w->r->truncated = 1;
		return;
	}
	sigaction(SIGBUS, &bus_before, NULL);	/* the access faults again, as if hvsim had no handler */
}

/* r's window is now [buf, buf + readable) (buf NULL: none). */
static void window_set(struct trace_reader *r)
{
	static bool installed;
	struct window *w = NULL;
	for (unsigned i = 0; i < MAX_WINDOWS && !w; i++)
		if (windows[i].r == r)
			w = &windows[i];
	for (unsigned i = 0; i < MAX_WINDOWS && !w && r->buf; i++)
		if (!windows[i].r)
			w = &windows[i];
	if (!w)
		return;
	*w = r->buf ? (struct window){ r->buf, r->buf + r->readable, r } : (struct window){ 0 };
	if (r->buf && !installed) {
		struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		installed = sigaction(SIGBUS, &sa, &bus_before) == 0;
	}
}

/* Slides the window to start at the page holding the first unread byte and
 * map as much after it as MAP_WINDOW allows; false at the end. */
static bool slide(struct trace_reader *r)
{
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	off_t at = r->map_off + (off_t)r->pos, end = r->map_off + (off_t)r->len;
	struct stat st;
	if (fstat(fileno(r->f), &st) == 0) {
		if (st.st_size < r->map_size)
			r->truncated = 1;
		else if (end >= r->map_size)	/* a file that grew since: go on reading it */
			r->map_size = st.st_size;
	}
	if (r->truncated || end >= r->map_size) {
		r->eof = true;
		return false;
	}
	off_t off = at & ~(off_t)(page - 1);
	size_t len = r->map_size - off < MAP_WINDOW ? (size_t)(r->map_size - off) : MAP_WINDOW;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fileno(r->f), off);
	if (m == MAP_FAILED) {
		r->map_errno = errno;
		r->eof = true;
		return false;
	}
	(void)madvise(m, len, MADV_SEQUENTIAL);
	if (r->buf)
		munmap(r->buf, r->readable);
	r->buf = m;
	r->pos = (size_t)(at - off);
	r->len = len;
	r->readable = (len + page - 1) & ~(page - 1);
	window_set(r);
	r->map_off = off;
	r->bytes += (uint64_t)(off + (off_t)len - end);
	return true;
}

/* Reads more into the buffer, keeping the unread part; false at the end. */
static bool fill(struct trace_reader *r)
{
	if (r->eof)
		return false;
	if (r->mapped)
		return slide(r);
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	size_t got = fread(r->buf + r->len, 1, BUF_SIZE - r->len, r->f);
	r->len += got;
	r->bytes += got;
	if (got == 0)
		r->eof = true;
	return got > 0;
}

static void note_malformed(struct trace_reader *r, uint64_t line, const char *why)
{
	r->n.malformed++;
	if (r->n.nkept < TRACE_KEEP_MALFORMED) {
		struct trace_malformed *m = &r->n.kept[r->n.nkept++];
		m->line = line;
		snprintf(m->why, sizeof m->why, "%s", why);
	}
}

/* The next line (without its newline) or NULL at the end; a line longer
 * than TRACE_MAX_LINE is reported malformed and skipped whole. */
static const char *next_line(struct trace_reader *r, size_t *n)
{
	for (;;) {
		char *s = r->buf + r->pos;
		char *nl = memchr(s, '\n', r->len - r->pos);
		if (nl || (r->eof && r->pos < r->len)) {
			size_t len = nl ? (size_t)(nl - s) : r->len - r->pos;
			r->pos += len + (nl != NULL);
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			r->lineno++;
			if (len > TRACE_MAX_LINE) {
				note_malformed(r, r->lineno, "line too long");
				continue;
			}
			*n = len;
			return s;
		}
		if (r->truncated)
			return NULL;	/* zeros past the new end: no line */
		if (r->len - r->pos > TRACE_MAX_LINE && !r->skipping) {
			r->lineno++;
			r->skipping = true;
			note_malformed(r, r->lineno, "line too long");
		}
		if (r->skipping)
			r->pos = r->len;	/* drop it, keep looking for its end */
		if (!fill(r) && r->pos >= r->len)
			return NULL;
	}
}

/* ---- thread -> vCPU: companion events carry no vCPU, their thread does ---- */
static struct pid_slot *pid_slot_find(struct trace_reader *r, int32_t pid, bool add)
{
	uint32_t h = ((uint32_t)pid * 2654435761u) & (PID_SLOTS - 1);
	for (;; h = (h + 1) & (PID_SLOTS - 1)) {
		struct pid_slot *s = &r->pids[h];
		if (s->pid == pid)
			return r->last = s;
		if (s->pid == 0) {
			if (!add || r->npids >= PID_SLOTS / 2)	/* full enough: learn no more threads */
				return NULL;
			r->npids++;
			s->pid = pid;
			return r->last = s;
		}
	}
}

static inline struct pid_slot *pid_slot(struct trace_reader *r, int32_t pid, bool add)
{
	return r->last && r->last->pid == pid ? r->last : pid_slot_find(r, pid, add);
}

static inline void map_vcpu(struct trace_reader *r, struct trace_event *ev)
{
	if (ev->pid <= 0)
		return;
	if (ev->vcpu >= 0 && (ev->kind == TEV_EXIT || ev->kind == TEV_ENTRY)) {
		struct pid_slot *s = pid_slot(r, ev->pid, true);
		if (s)
			s->vcpu = ev->vcpu;
	} else if (ev->vcpu < 0) {
		struct pid_slot *s = pid_slot(r, ev->pid, false);
		if (s)
			ev->vcpu = s->vcpu;
	}
}

/* ---- open, next, close ---- */
static struct trace_reader *reader_new(const char *name, bool strict)
{
	struct trace_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->name = strdup(name))) {
		free(r);
		err_set("out of memory");
		return NULL;
	}
	r->strict = strict;
	return r;
}

static int open_text(struct trace_reader *r, enum trace_format fmt)
{
	struct stat st;
	int fd = fileno(r->f);
	bool have_st = fd >= 0 && fstat(fd, &st) == 0;
	if (have_st && S_ISREG(st.st_mode) && st.st_size > 0) {
		r->mapped = true;
		r->map_size = st.st_size;
		off_t at = ftello(r->f);	/* standard input may be past its start */
		r->map_off = at > 0 ? at : 0;
		if (!slide(r)) {	/* cannot map it: read it */
			r->mapped = r->eof = false;
			r->map_errno = 0;
		}
	}
	if (!r->mapped && !(r->buf = calloc(1, BUF_SIZE + TRACE_PAD)))
		return err_set("out of memory");
	/* `trace-cmd report | hvsim ...`: a larger pipe means fewer reads and
	 * context switches (a hint: failure changes nothing). */
	if (have_st && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, BUF_SIZE);
	if (!r->mapped)
		fill(r);
	if (ferror(r->f))
		return err_set("%s: read error: %s", r->name, strerror(errno));
	enum trace_format seen = trace_sniff(r->buf, r->len);
	if (fmt == TRACE_FMT_AUTO)
		fmt = seen;
	if (fmt == TRACE_FMT_UNKNOWN)
		return err_set("%s: not a trace hvsim knows (ftrace text, perf script, trace.dat): no event line "
			       "in its first lines; --format names the format", r->name);
	if (fmt == TRACE_FMT_TRACEDAT)
		return err_set("%s: a trace.dat cannot be read from a stream: give its path", r->name);
	r->fmt = fmt;
	return 0;
}

struct trace_reader *trace_open_stream(FILE *f, const char *name, enum trace_format fmt, bool strict)
{
	struct trace_reader *r = reader_new(name, strict);
	if (!r)
		return NULL;
	r->f = f;
	if (open_text(r, fmt) < 0) {
		trace_close(r);
		return NULL;
	}
	return r;
}

static bool is_tracedat(FILE *f)
{
	char m[sizeof dat_magic];
	bool yes = fread(m, 1, sizeof m, f) == sizeof m && !memcmp(m, dat_magic, sizeof m);
	rewind(f);
	return yes;
}

struct trace_reader *trace_open(const char *path, enum trace_format fmt, bool strict)
{
	bool in = !strcmp(path, "-");
	FILE *f = in ? stdin : fopen(path, "rb");
	if (!f) {
		err_set("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	/* Only a regular file is looked at for trace.dat's magic: reading a
	 * pipe's first bytes (`<(trace-cmd report)`, a FIFO) cannot be undone,
	 * and its text is sniffed from the buffer anyway. */
	struct stat st;
	bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
	if (fmt == TRACE_FMT_TRACEDAT && !regular) {
		if (!in)
			fclose(f);
		err_set("%s: a trace.dat cannot be read from a stream: give its path", path);
		return NULL;
	}
	if (!in && (fmt == TRACE_FMT_TRACEDAT || (fmt == TRACE_FMT_AUTO && regular && is_tracedat(f)))) {
		fclose(f);
		struct trace_reader *r = reader_new(path, strict);
		if (r && !(r->dat = tracedat_open(path))) {
			trace_close(r);
			return NULL;
		}
		if (r)
			r->fmt = TRACE_FMT_TRACEDAT;
		return r;
	}
	struct trace_reader *r = trace_open_stream(f, in ? "<stdin>" : path, fmt, strict);
	if (r)
		r->own_f = !in;
	else if (!in)
		fclose(f);
	return r;
}

/* Bookkeeping shared by both kinds of input: 1 to return the record, 0 to
 * go on, -1 for a strict stop. */
static inline int account(struct trace_reader *r, int rc, struct trace_event *ev, const char *why)
{
	if (rc < 0) {
		note_malformed(r, ev->line, why);
		if (r->strict)
			return err_set("%s:%llu: %s", r->name, (unsigned long long)ev->line, why);
		return 0;
	}
	if (rc == 0) {
		r->n.skipped++;
		return 0;
	}
	if (ev->kind == TEV_EXIT && (ev->arch == TRACE_ARCH_ARM64 ? ev->u.arm.unknown : ev->u.x86.unknown))
		r->n.unknown++;
	map_vcpu(r, ev);
	r->n.events++;
	return 1;
}

static inline int next_text(struct trace_reader *r, struct trace_event *ev)
{
	for (;;) {
		size_t n;
		char *s = r->buf + r->pos, *nl;
		/* a whole line in the buffer, as nearly every one is; else next_line() */
		if (!r->skipping && (nl = memchr(s, '\n', r->len - r->pos)) && (n = (size_t)(nl - s)) <= TRACE_MAX_LINE) {
			r->pos += n + 1;
			r->lineno++;
		} else if (!(s = (char *)next_line(r, &n))) {
			break;
		}
		const char *why = NULL;
		r->n.lines = r->lineno;
		/* a mapped window's last lines lack the padding: parsed from a copy */
		int rc = !r->mapped || (size_t)(s - r->buf) + n + TRACE_PAD <= r->readable
				 ? trace_parse_line_padded(s, n, ev, &r->n.lost, &why)
				 : trace_parse_line(s, n, ev, &r->n.lost, &why);
		ev->line = r->lineno;
		if ((rc = account(r, rc, ev, why)) != 0)
			return rc;
	}
	r->n.lines = r->lineno;
	if (r->truncated)
		return err_set("%s: the file was truncated while being read (after line %llu)", r->name,
			       (unsigned long long)r->lineno);
	if (r->map_errno)
		return err_set("%s: read error: %s", r->name, strerror(r->map_errno));
	if (ferror(r->f))
		return err_set("%s: read error: %s", r->name, strerror(errno));
	return 0;
}

static int next_dat(struct trace_reader *r, struct trace_event *ev)
{
	for (;;) {
		const char *why = NULL;
		int rc = tracedat_next(r->dat, ev, &r->n.lost, &why);
		if (rc == TRACEDAT_END)
			return 0;
		r->n.lines++;
		ev->line = r->n.lines;
		if ((rc = account(r, rc, ev, why)) != 0)
			return rc;
	}
}

int trace_next(struct trace_reader *r, struct trace_event *ev)
{
	return r->dat ? next_dat(r, ev) : next_text(r, ev);
}

enum trace_format trace_reader_format(const struct trace_reader *r) { return r->fmt; }
const struct trace_counts *trace_reader_counts(const struct trace_reader *r) { return &r->n; }

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_f)
		fclose(r->f);
	if (r->dat)
		tracedat_close(r->dat);
	if (r->mapped) {
		munmap(r->buf, r->readable);
		r->buf = NULL;
		window_set(r);
	} else {
		free(r->buf);
	}
	free(r->name);
	free(r);
}
