/* Counting a trace for `hvsim trace stat`.  Memory is bounded whatever the
 * input: exits are counted per (vCPU, reason) in a fixed-size table, other
 * event names in another; what does not fit is counted as such. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "traces/stat.h"

#define EXIT_SLOTS 16384	/* (vCPU, reason) pairs, power of two */
#define NAME_SLOTS 256		/* other event names, power of two */
#define NAME_MAX_LEN 48
#define KEEP_UNKNOWN 8

struct exit_slot {
	uint64_t key;		/* 0: empty */
	uint64_t rk;		/* reason_key(): names the reason */
	int32_t group;		/* vCPU id, or -1 - thread id when the vCPU is unknown */
	uint64_t count;
};

struct name_slot {
	char name[NAME_MAX_LEN];
	uint64_t count;
};

struct trace_stat {
	uint64_t kinds[TEV_NKINDS];
	uint64_t exits, exits_x86, exits_svm, exits_arm, overflow_exits, overflow_names;
	uint64_t first_ns, last_ns;
	bool any;
	unsigned nunknown;
	uint64_t unknown_lines[KEEP_UNKNOWN];
	unsigned nexit_slots, nname_slots;
	uint16_t used[EXIT_SLOTS];	/* the slots in use, in the order filled */
	struct exit_slot slots[EXIT_SLOTS];
	struct name_slot names[NAME_SLOTS];
};

struct trace_stat *trace_stat_new(void) { return calloc(1, sizeof(struct trace_stat)); }
void trace_stat_free(struct trace_stat *s) { free(s); }
uint64_t trace_stat_exits(const struct trace_stat *s) { return s->exits; }

/* What tells two exits apart in the tables: arch, VMX/SVM, the
 * FAILED_VMENTRY flag, the reason; arm64 type and EC.  key_exit() turns it
 * back into an exit for trace_exit_name(). */
static uint64_t reason_key(const struct trace_event *ev)
{
	if (ev->arch == TRACE_ARCH_ARM64)
		return 2ull << 60 | (uint64_t)ev->u.arm.type << 8 | (ev->u.arm.ec & 0xff);
	const struct trace_x86_exit *x = &ev->u.x86;
	return 1ull << 60 | (uint64_t)x->svm << 40 | (uint64_t)x->failed_vmentry << 36 | x->reason;
}

static struct trace_event key_exit(uint64_t rk)
{
	struct trace_event ev = { .kind = TEV_EXIT };
	if (rk >> 60 == 2) {
		ev.arch = TRACE_ARCH_ARM64;
		ev.u.arm.type = (uint32_t)(rk >> 8);
		ev.u.arm.ec = rk & 0xff;
	} else {
		ev.arch = TRACE_ARCH_X86;
		ev.u.x86.svm = rk >> 40 & 1;
		ev.u.x86.failed_vmentry = rk >> 36 & 1;
		ev.u.x86.reason = (uint32_t)rk;
	}
	return ev;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	return k ^ (k >> 33);
}

static void add_exit(struct trace_stat *s, const struct trace_event *ev)
{
	int32_t group = ev->vcpu >= 0 ? ev->vcpu : -1 - (ev->pid > 0 ? ev->pid : 0);
	uint64_t rk = reason_key(ev), key = rk ^ ((uint64_t)(uint32_t)group << 20);
	s->exits++;
	*(ev->arch == TRACE_ARCH_ARM64 ? &s->exits_arm : &s->exits_x86) += 1;
	s->exits_svm += ev->arch == TRACE_ARCH_X86 && ev->u.x86.svm;
	for (uint64_t h = mix(key) & (EXIT_SLOTS - 1);; h = (h + 1) & (EXIT_SLOTS - 1)) {
		struct exit_slot *e = &s->slots[h];
		if (e->key == key && e->group == group && e->rk == rk) {
			e->count++;
			return;
		}
		if (!e->key) {
			if (s->nexit_slots >= EXIT_SLOTS * 3 / 4) {
				s->overflow_exits++;
				return;
			}
			s->used[s->nexit_slots++] = (uint16_t)h;
			*e = (struct exit_slot){ key, rk, group, 1 };
			return;
		}
	}
}

/* Event names are input: kept printable (and JSON-safe), cut at NAME_MAX_LEN - 1. */
static void clean_name(char *dst, const char *s, size_t n)
{
	if (n > NAME_MAX_LEN - 1)
		n = NAME_MAX_LEN - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = s[i] > ' ' && s[i] <= '~' && s[i] != '"' && s[i] != '\\' ? s[i] : '?';
	dst[n] = '\0';
}

static void add_name(struct trace_stat *s, const struct trace_event *ev)
{
	char name[NAME_MAX_LEN];
	clean_name(name, ev->name ? ev->name : "", ev->name ? ev->name_len : 0);
	uint64_t h = 14695981039346656037ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (h &= NAME_SLOTS - 1;; h = (h + 1) & (NAME_SLOTS - 1)) {
		struct name_slot *n = &s->names[h];
		if (n->count && !strcmp(n->name, name)) {
			n->count++;
			return;
		}
		if (!n->count) {
			if (s->nname_slots >= NAME_SLOTS * 3 / 4) {
				s->overflow_names++;
				return;
			}
			s->nname_slots++;
			memcpy(n->name, name, sizeof name);
			n->count = 1;
			return;
		}
	}
}

void trace_stat_add(struct trace_stat *s, const struct trace_event *ev)
{
	if (!s->any || ev->ts_ns < s->first_ns)
		s->first_ns = ev->ts_ns;
	if (!s->any || ev->ts_ns > s->last_ns)
		s->last_ns = ev->ts_ns;
	s->any = true;
	s->kinds[ev->kind < TEV_NKINDS ? ev->kind : TEV_OTHER]++;
	if (ev->kind == TEV_OTHER)
		add_name(s, ev);
	if (ev->kind != TEV_EXIT)
		return;
	add_exit(s, ev);
	bool unknown = ev->arch == TRACE_ARCH_ARM64 ? ev->u.arm.unknown : ev->u.x86.unknown;
	if (unknown && s->nunknown < KEEP_UNKNOWN)
		s->unknown_lines[s->nunknown++] = ev->line;
}

/* ---- printing ---- */

/* One row of a summed table: a reason (or a vCPU's reason) and its count. */
struct row {
	char name[48];
	int32_t group;
	uint64_t rk, count;
};

static int by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_group(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return by_count(a, b);
}

static int by_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->rk < y->rk ? -1 : x->rk > y->rk;
}

/* Rows summed by reason (per_group: by vCPU and reason), largest first. */
static struct row *exit_rows(const struct trace_stat *s, bool per_group, size_t *n)
{
	struct row *rows = calloc(s->nexit_slots + 1, sizeof *rows);
	size_t k = 0;
	if (!rows) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < s->nexit_slots; i++) {
		const struct exit_slot *e = &s->slots[s->used[i]];
		rows[i] = (struct row){ .group = per_group ? e->group : 0, .rk = e->rk, .count = e->count };
	}
	qsort(rows, s->nexit_slots, sizeof *rows, by_key);
	for (size_t i = 0; i < s->nexit_slots; i++) {
		if (k && !by_key(&rows[k - 1], &rows[i])) {
			rows[k - 1].count += rows[i].count;
			continue;
		}
		rows[k] = rows[i];
		struct trace_event x = key_exit(rows[k].rk);
		trace_exit_name(&x, rows[k].name, sizeof rows[k].name);
		k++;
	}
	qsort(rows, k, sizeof *rows, per_group ? by_group : by_count);
	*n = k;
	return rows;
}

static struct row *name_rows(const struct trace_stat *s, size_t *n)
{
	struct row *rows = calloc(s->nname_slots + 1, sizeof *rows);
	size_t k = 0;
	for (size_t i = 0; rows && i < NAME_SLOTS; i++)
		if (s->names[i].count) {
			snprintf(rows[k].name, sizeof rows[k].name, "%s", s->names[i].name);
			rows[k++].count = s->names[i].count;
		}
	if (rows)
		qsort(rows, k, sizeof *rows, by_count);
	*n = k;
	return rows;
}

static void group_name(char *buf, size_t n, int32_t g)
{
	if (g >= 0)
		snprintf(buf, n, "vcpu %d", g);
	else
		snprintf(buf, n, "thread %d", -1 - g);
}

static const char *arch_word(const struct trace_stat *s)
{
	if (s->exits_x86 && s->exits_arm)
		return "x86 and arm64";
	if (s->exits_arm)
		return "arm64";
	if (!s->exits_svm)
		return "x86 VMX";
	return s->exits_svm == s->exits_x86 ? "x86 SVM" : "x86 VMX and SVM";
}

static void text_header(const struct trace_stat *s, const struct trace_counts *c, const char *name,
			const char *fmt, bool forced, FILE *out)
{
	fprintf(out, "trace: %s\nformat: %s (%s)\n", name, fmt, forced ? "--format" : "detected");
	fprintf(out, "lines: %" PRIu64 ", events: %" PRIu64 ", skipped: %" PRIu64 " (headers, comments)\n", c->lines,
		c->events, c->skipped);
	if (s->any)
		fprintf(out, "time: %" PRIu64 ".%06" PRIu64 " to %" PRIu64 ".%06" PRIu64 " s, span %.6f s\n",
			s->first_ns / 1000000000, s->first_ns / 1000 % 1000000, s->last_ns / 1000000000,
			s->last_ns / 1000 % 1000000, (double)(s->last_ns - s->first_ns) / 1e9);
	fprintf(out, "malformed lines: %" PRIu64, c->malformed);
	for (unsigned i = 0; i < c->nkept; i++)
		fprintf(out, "%s%" PRIu64 " (%s)", i ? ", " : " (first: line ", c->kept[i].line, c->kept[i].why);
	fprintf(out, "%s\n", c->nkept ? ")" : "");
	fprintf(out, "unknown exit reasons: %" PRIu64, c->unknown);
	for (unsigned i = 0; i < s->nunknown; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : " (first: line ", s->unknown_lines[i]);
	fprintf(out, "%s\n", s->nunknown ? ")" : "");
	if (c->lost)
		fprintf(out, "events the tracer lost: %" PRIu64 "\n", c->lost);
}

static void text_kinds(const struct trace_stat *s, FILE *out)
{
	fprintf(out, "\nevents by kind:\n");
	for (int k = 1; k < TEV_NKINDS; k++)
		if (s->kinds[k])
			fprintf(out, "  %-26s %12" PRIu64 "\n", trace_kind_name((enum trace_kind)k), s->kinds[k]);
	size_t n;
	struct row *rows = name_rows(s, &n);
	for (size_t i = 0; rows && i < n; i++)
		fprintf(out, "  %-26s %12" PRIu64 "  (not used by hvsim)\n", rows[i].name, rows[i].count);
	if (s->overflow_names)
		fprintf(out, "  %-26s %12" PRIu64 "\n", "(more event names)", s->overflow_names);
	free(rows);
}

static void text_exits(const struct trace_stat *s, FILE *out)
{
	if (!s->exits) {
		fprintf(out, "\nno kvm_exit events: this trace holds no VM exits to count (kvm_exit was not "
			     "recorded, or the host emulated every instruction without exiting)\n");
		return;
	}
	fprintf(out, "\nexits: %" PRIu64 " (%s)\n", s->exits, arch_word(s));
	size_t n;
	struct row *rows = exit_rows(s, false, &n);
	for (size_t i = 0; rows && i < n; i++)
		fprintf(out, "  %-30s %12" PRIu64 "  %5.1f%%\n", rows[i].name, rows[i].count,
			100.0 * (double)rows[i].count / (double)s->exits);
	free(rows);
	rows = exit_rows(s, true, &n);
	fprintf(out, "\nexits by vCPU:\n");
	for (size_t i = 0; rows && i < n; i++) {
		char g[32];
		group_name(g, sizeof g, rows[i].group);
		fprintf(out, "  %-12s %-30s %12" PRIu64 "\n", g, rows[i].name, rows[i].count);
	}
	if (s->overflow_exits)
		fprintf(out, "  (%" PRIu64 " exits of further vCPU and reason pairs not tabulated)\n", s->overflow_exits);
	free(rows);
}

static void json_counts(const struct trace_stat *s, const struct trace_counts *c, FILE *out)
{
	fprintf(out, "  \"lines\": %" PRIu64 ",\n  \"events\": %" PRIu64 ",\n  \"skipped\": %" PRIu64
		     ",\n  \"lost\": %" PRIu64 ",\n", c->lines, c->events, c->skipped, c->lost);
	fprintf(out, "  \"malformed\": {\"count\": %" PRIu64 ", \"first\": [", c->malformed);
	for (unsigned i = 0; i < c->nkept; i++)
		fprintf(out, "%s{\"line\": %" PRIu64 ", \"why\": \"%s\"}", i ? ", " : "", c->kept[i].line, c->kept[i].why);
	fprintf(out, "]},\n  \"unknown\": {\"count\": %" PRIu64 ", \"first_lines\": [", c->unknown);
	for (unsigned i = 0; i < s->nunknown; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : "", s->unknown_lines[i]);
	fprintf(out, "]},\n  \"time\": {\"first_ns\": %" PRIu64 ", \"last_ns\": %" PRIu64 ", \"span_ns\": %" PRIu64
		     "},\n", s->first_ns, s->last_ns, s->last_ns - s->first_ns);
}

static void json_kinds(const struct trace_stat *s, FILE *out)
{
	fprintf(out, "  \"events_by_kind\": {");
	const char *sep = "";
	for (int k = 1; k < TEV_NKINDS; k++)
		if (s->kinds[k]) {
			fprintf(out, "%s\"%s\": %" PRIu64, sep, trace_kind_name((enum trace_kind)k), s->kinds[k]);
			sep = ", ";
		}
	fprintf(out, "},\n  \"other_events\": {");
	size_t n;
	struct row *rows = name_rows(s, &n);
	for (size_t i = 0; rows && i < n; i++)
		fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", rows[i].name, rows[i].count);
	free(rows);
	fprintf(out, "},\n");
}

static void json_exits(const struct trace_stat *s, FILE *out)
{
	fprintf(out, "  \"exits_total\": %" PRIu64 ",\n  \"exits\": {", s->exits);
	size_t n;
	struct row *rows = exit_rows(s, false, &n);
	for (size_t i = 0; rows && i < n; i++)
		fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", rows[i].name, rows[i].count);
	free(rows);
	fprintf(out, "},\n  \"vcpus\": {");
	rows = exit_rows(s, true, &n);
	for (size_t i = 0; rows && i < n; i++) {
		bool first = i == 0 || rows[i].group != rows[i - 1].group;
		if (first) {
			char g[32];
			group_name(g, sizeof g, rows[i].group);
			fprintf(out, "%s\"%s\": {", i ? "}, " : "", g);
		}
		fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", rows[i].name, rows[i].count);
	}
	fprintf(out, "%s},\n  \"exits_untabulated\": %" PRIu64 "\n", n ? "}" : "", s->overflow_exits);
	free(rows);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

int trace_stat_print(const struct trace_stat *s, const struct trace_reader *r, const char *name, bool forced,
		     bool json, FILE *out)
{
	const struct trace_counts *c = trace_reader_counts(r);
	const char *fmt = trace_format_name(trace_reader_format(r));
	if (json) {
		fprintf(out, "{\n  \"trace\": ");
		json_str(out, name);
		fprintf(out, ",\n  \"format\": \"%s\",\n  \"format_forced\": %s,\n", fmt, forced ? "true" : "false");
		json_counts(s, c, out);
		json_kinds(s, out);
		json_exits(s, out);
		fprintf(out, "}\n");
	} else {
		text_header(s, c, name, fmt, forced, out);
		text_kinds(s, out);
		text_exits(s, out);
	}
	return ferror(out) ? -1 : 0;
}
