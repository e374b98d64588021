/* Writes a synthetic trace.dat of N kvm_exit records, for `make bench` and
 * the trace.dat tests, the supported way: per-CPU raw ring-buffer pages in
 * the kernel's layout, which `trace-cmd restore` then wraps in a trace.dat
 * with the format files of a tracing directory (tests/data/tracefs: a 6.18
 * host's real header_page, header_event and kvm tracepoint formats).
 * The event ids and field offsets are read from those format files, so
 * each record is laid out as its format says.  Deterministic: the same
 * arguments give the same records (the mix of bench/gen_trace.c: each exit
 * has its companion event for MSR, I/O and EPT_MISCONFIG exits and a
 * kvm_entry; vCPU v runs on host CPU v).
 *
 * With "odd", every 50th exit is one of the rarer forms in turn: a failed
 * VM entry (exit_reason bit 31), a VMX reason KVM does not name (35), an
 * SVM exit (isa 2, msr), an entry with immediate_exit set.
 *
 * Prints what it wrote, one line a (vCPU, reason) pair of the ordinary
 * exits: "exits V NAME COUNT", then "odd COUNT" and "records TOTAL".
 *
 * usage: gen_tracedat TRACEFS OUT.dat N [VCPUS [odd]]
 * (raw pages go to OUT.dat.cpuK and OUT.dat.head, removed after). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

enum { PAGE = 4096, PAGE_HDR = 16, MAX_VCPUS = 64, MAX_FIELDS = 16, MAX_REASON = 64 };
/* Ring-buffer event header (include/linux/ring_buffer.h): type_len:5,
 * time_delta:27; type_len 1..28 is a record of type_len * 4 bytes,
 * 30 a time extend (delta bits 27.. in the next word). */
enum { TYPE_DATA_MAX = 28, TYPE_TIME_EXTEND = 30, TS_SHIFT = 27 };

#include "gen_mix.h"

enum { NMIX = sizeof mix / sizeof mix[0] };

/* One event as its format file describes it. */
struct event {
	const char *name;
	unsigned id;
	unsigned size;		/* record bytes: the struct's, 4-aligned */
	unsigned nfields;
	struct field {
		char name[32];
		unsigned offset, size;
	} f[MAX_FIELDS];
};

enum { EV_EXIT, EV_ENTRY, EV_MSR, EV_PIO, EV_MMIO, NEV };
static struct event ev[NEV] = {
	{ .name = "kvm_exit" }, { .name = "kvm_entry" }, { .name = "kvm_msr" }, { .name = "kvm_pio" },
	{ .name = "kvm_mmio" },
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "gen_tracedat: %s: %s\n", what, why);
	exit(1);
}

/* "ID: n" and the "field:TYPE NAME;\toffset:O;\tsize:S;" lines. */
static void load_format(const char *tracefs, struct event *e)
{
	char path[4096], line[4096];
	snprintf(path, sizeof path, "%s/events/kvm/%s/format", tracefs, e->name);
	FILE *f = fopen(path, "r");
	if (!f)
		die(path, "cannot open");
	unsigned end = 0, align = 1;
	while (fgets(line, sizeof line, f)) {
		unsigned off, size;
		char *semi, *p = strstr(line, "field:");
		if (sscanf(line, "ID: %u", &e->id) == 1 || !p || !(semi = strchr(p, ';')) ||
		    sscanf(semi, ";\toffset:%u;\tsize:%u;", &off, &size) != 2)
			continue;
		char *name = semi;
		while (name > p && name[-1] != ' ')
			name--;
		if (e->nfields == MAX_FIELDS || semi - name >= (long)sizeof e->f[0].name)
			die(path, "too many fields or too long a name");
		struct field *fd = &e->f[e->nfields++];
		memcpy(fd->name, name, (size_t)(semi - name));
		fd->offset = off;
		fd->size = size;
		if (off + size > end)
			end = off + size;
		if (size > align && (size & (size - 1)) == 0)
			align = size;
	}
	fclose(f);
	if (!e->id || !e->nfields)
		die(path, "no ID or no fields");
	/* sizeof the kernel's trace_event_raw_ struct: naturally aligned. */
	e->size = (end + align - 1) / align * align;
	if (e->size % 4 || e->size / 4 > TYPE_DATA_MAX)
		die(path, "record size not encodable in type_len");
}

static void put(uint8_t *rec, const struct event *e, const char *field, uint64_t v)
{
	for (unsigned i = 0; i < e->nfields; i++)
		if (!strcmp(e->f[i].name, field)) {
			for (unsigned b = 0; b < e->f[i].size && b < 8; b++)
				rec[e->f[i].offset + b] = (uint8_t)(v >> (8 * b));	/* little-endian */
			return;
		}
	die(e->name, field);
}

/* One host CPU's ring buffer, written a page at a time. */
struct cpu {
	FILE *out;
	uint8_t page[PAGE];
	unsigned used;		/* data bytes after the page header */
	uint64_t last_ts;
};

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int b = 0; b < 4; b++)
		p[b] = (uint8_t)(v >> (8 * b));
}

static void flush_page(struct cpu *c)
{
	if (!c->used)
		return;
	for (int b = 0; b < 8; b++)
		c->page[8 + b] = (uint8_t)((uint64_t)c->used >> (8 * b));	/* commit */
	if (fwrite(c->page, PAGE, 1, c->out) != 1)
		die("raw page", "write failed");
	memset(c->page, 0, PAGE);
	c->used = 0;
}

static void emit(struct cpu *c, uint64_t ts, const uint8_t *rec, unsigned size)
{
	uint64_t delta = c->used ? ts - c->last_ts : 0;
	unsigned need = 4 + size + (delta >> TS_SHIFT ? 8 : 0);
	if (c->used + need > PAGE - PAGE_HDR)
		flush_page(c);
	if (!c->used) {
		for (int b = 0; b < 8; b++)
			c->page[b] = (uint8_t)(ts >> (8 * b));	/* the page's time stamp */
		delta = 0;
	}
	uint8_t *p = c->page + PAGE_HDR + c->used;
	if (delta >> TS_SHIFT) {
		put_u32(p, TYPE_TIME_EXTEND | (uint32_t)(delta & ((1u << TS_SHIFT) - 1)) << 5);
		put_u32(p + 4, (uint32_t)(delta >> TS_SHIFT));
		p += 8;
		c->used += 8;
		delta = 0;
	}
	put_u32(p, size / 4 | (uint32_t)delta << 5);
	memcpy(p + 4, rec, size);
	c->used += 4 + size;
	c->last_ts = ts;
}

static void record(const struct event *e, unsigned pid, uint8_t *rec)
{
	memset(rec, 0, e->size);
	put(rec, e, "common_type", e->id);
	put(rec, e, "common_pid", pid);
}

/* The companion event KVM traces for the exit, if any (as gen_trace.c). */
static void companion(struct cpu *c, uint64_t ts, unsigned reason, uint64_t r, unsigned pid, uint8_t *rec)
{
	const struct event *e;
	if (reason == 32) {
		record(e = &ev[EV_MSR], pid, rec);
		put(rec, e, "write", 1);
		put(rec, e, "ecx", r & 1 ? 0x830 : 0x6e0);
		put(rec, e, "data", r >> 20);
	} else if (reason == 30) {
		record(e = &ev[EV_PIO], pid, rec);
		put(rec, e, "rw", 1);
		put(rec, e, "port", 0x3f8);
		put(rec, e, "size", 1);
		put(rec, e, "count", 1);
		put(rec, e, "val", r & 0x7f);
	} else if (reason == 49) {
		record(e = &ev[EV_MMIO], pid, rec);
		put(rec, e, "type", 2);	/* write */
		put(rec, e, "len", 4);
		put(rec, e, "gpa", 0xfebf0000u + (r & 0xffc));
		put(rec, e, "val", (uint32_t)(r >> 40));
	} else
		return;
	emit(c, ts, rec, e->size);
}

static void run(char *const argv[])
{
	pid_t pid;
	int st;
	posix_spawn_file_actions_t fa;	/* its progress lines: not ours to print */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		die(argv[0], "trace-cmd restore failed");
	posix_spawn_file_actions_destroy(&fa);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: gen_tracedat TRACEFS OUT.dat N [VCPUS [odd]]\n");
		return 2;
	}
	const char *tracefs = argv[1], *out = argv[2];
	uint64_t n = strtoull(argv[3], NULL, 10);
	unsigned vcpus = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 4;
	bool odd = argc > 5 && !strcmp(argv[5], "odd");
	if (!vcpus || vcpus > MAX_VCPUS)
		die(argv[4], "VCPUS must be 1..64");
	for (int i = 0; i < NEV; i++)
		load_format(tracefs, &ev[i]);

	static struct cpu cpu[MAX_VCPUS];
	static uint64_t count[MAX_VCPUS][MAX_REASON];
	char path[4096];
	for (unsigned v = 0; v < vcpus; v++) {
		snprintf(path, sizeof path, "%s.cpu%u", out, v);
		if (!(cpu[v].out = fopen(path, "wb")))
			die(path, "cannot create");
	}
	uint8_t rec[TYPE_DATA_MAX * 4];
	uint64_t ns = 1000000000000ull, records = 0, odds = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = next();
		unsigned k = (unsigned)(r % NMIX), v = (unsigned)(i % vcpus), pid = 4000 + v;
		const struct event *e = &ev[EV_EXIT];
		struct cpu *c = &cpu[v];
		uint64_t rip = 0xffffffff81000000ull + (r >> 40);
		ns += 250 + (r >> 54);
		/* 1 failed entry, 2 unnamed reason, 3 SVM, 4 immediate exit */
		unsigned form = odd && i % 50 == 49 ? (unsigned)(i / 50 % 4) + 1 : 0;
		unsigned reason = form == 2 ? 35 : form == 3 ? 0x7c : mix[k].num;
		if (form && form != 4)
			odds++;
		else
			count[v][reason]++;
		record(e, pid, rec);
		put(rec, e, "exit_reason", reason | (form == 1 ? 0x80000000u : 0));
		put(rec, e, "guest_rip", rip);
		put(rec, e, "isa", form == 3 ? 2 : 1);	/* KVM_ISA_VMX, KVM_ISA_SVM */
		put(rec, e, "info1", (r >> 8) & 0x1ff);
		put(rec, e, "intr_info", reason == 1 ? 0x800000ecu : 0);
		put(rec, e, "vcpu_id", v);
		emit(c, ns, rec, e->size);
		companion(c, ns + 1, form > 1 && form < 4 ? 0 : reason, r, pid, rec);
		record(e = &ev[EV_ENTRY], pid, rec);
		put(rec, e, "vcpu_id", v);
		put(rec, e, "rip", rip);
		put(rec, e, "immediate_exit", form == 4);
		emit(c, ns + 2, rec, e->size);
		records += 2 + (!(form > 1 && form < 4) && (reason == 32 || reason == 30 || reason == 49));
	}
	for (unsigned v = 0; v < vcpus; v++) {
		flush_page(&cpu[v]);
		if (fclose(cpu[v].out))
			die(out, "write failed");
	}

	char head[4096];
	snprintf(head, sizeof head, "%s.head", out);
	run((char *[]){ "trace-cmd", "restore", "-c", "-t", (char *)tracefs, "-k", "/dev/null", "-o", head, NULL });
	char *args[8 + MAX_VCPUS] = { "trace-cmd", "restore", "-i", head, "-o", (char *)out };
	static char names[MAX_VCPUS][4096];
	for (unsigned v = 0; v < vcpus; v++) {
		snprintf(names[v], sizeof names[v], "%s.cpu%u", out, v);
		args[6 + v] = names[v];
	}
	run(args);
	for (unsigned v = 0; v < vcpus; v++)
		remove(names[v]);
	remove(head);

	for (unsigned v = 0; v < vcpus; v++)
		for (unsigned num = 0; num < MAX_REASON; num++)
			for (unsigned k = 0; k < NMIX; k++)
				if (mix[k].num == num && count[v][num]) {
					printf("exits %u %s %" PRIu64 "\n", v, mix[k].name, count[v][num]);
					break;
				}
	printf("odd %" PRIu64 "\nrecords %" PRIu64 "\n", odds, records);
	return 0;
}
