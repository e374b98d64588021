/* hvsim replay / compare output: text tables, JSON, CSV, and statistics
 * with hvsim run's keys (core/stats). */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/stats.h"
#include "traces/replay.h"

int replay_fmt_parse(const char *s, enum replay_fmt *f)
{
	static const char *const names[] = { "text", "json", "csv" };
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*f = (enum replay_fmt)i;
			return 0;
		}
	err_set("unknown output format '%s' (text, json, csv)", s);
	return -1;
}

static const char *arch_name(enum trace_arch a)
{
	return a == TRACE_ARCH_ARM64 ? "arm64" : a == TRACE_ARCH_X86 ? "x86" : "none";
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

/* A reason is shown when hvsim run would show it (the first ones) or anything counted it. */
static bool shown(const struct replay *r, unsigned k, int v)
{
	if (k < (replay_arch(r) == TRACE_ARCH_ARM64 ? EL2X_COUNT : VMXX_COUNT + 2))
		return true;
	const struct replay_side *s = replay_side(r, -1, v);
	if (s->n[k])
		return true;
	for (unsigned i = 0; i < replay_ndesigns(r); i++) {
		s = replay_side(r, (int)i, v);
		if (s->n[k] || s->removed[k] || s->added[k])
			return true;
	}
	return false;
}

static void text_source(const struct replay *r, const struct trace_reader *tr, const char *name, FILE *out)
{
	const struct trace_counts *c = trace_reader_counts(tr);
	fprintf(out, "trace: %s (%s, %s), %" PRIu64 " kvm_exit lines", name, trace_format_name(trace_reader_format(tr)),
		arch_name(replay_arch(r)), replay_exit_lines(r));
	fprintf(out, ", %" PRIu64 " malformed", c->malformed);
	for (unsigned i = 0; i < c->nkept; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : " (first: line ", c->kept[i].line);
	fprintf(out, "%s, %" PRIu64 " unknown reasons\n", c->nkept ? ")" : "", c->unknown);
	fprintf(out, "time: %s; %" PRIu64 " exits with no kvm_entry (recorded as taking no time)\n",
		replay_ts_cycles(r) ? "counter clock, taken as cycles" : "ns, at each design's [cpu] freq_mhz",
		replay_no_entry(r));
}

static void text_outcomes(const struct replay *r, unsigned i, int v, FILE *out)
{
	const struct replay_side *s = replay_side(r, (int)i, v);
	fprintf(out, "  %s: removed %" PRIu64 ", added %" PRIu64 ", undecidable %" PRIu64 ", unmodelled %" PRIu64 "\n",
		replay_design(r, i)->name, s->nremoved, s->nadded, s->undecidable, s->unmodelled);
	for (unsigned k = 0; k < replay_nreasons(r); k++) {
		if (s->removed[k])
			fprintf(out, "    removed %-22s %10" PRIu64 "\n", replay_reason_name(r, k), s->removed[k]);
		if (s->added[k])
			fprintf(out, "    added   %-22s %10" PRIu64 "\n", replay_reason_name(r, k), s->added[k]);
	}
	if (s->residency || s->hyp_cycles)
		fprintf(out, "    GICv4 outside exits: %" PRIu64 " vPE residency changes, %" PRIu64
			" cycles with the doorbells\n", s->residency, s->hyp_cycles);
}

static void text_table(const struct replay *r, int v, FILE *out)
{
	unsigned nd = replay_ndesigns(r);
	fprintf(out, "  %-22s %10s %14s", "reason", "trace", "cycles");
	for (unsigned i = 0; i < nd; i++)
		fprintf(out, " | %14.14s %14s", replay_design(r, i)->name, "cycles");
	fputc('\n', out);
	for (unsigned k = 0; k < replay_nreasons(r); k++) {
		if (!shown(r, k, v))
			continue;
		const struct replay_side *s = replay_side(r, -1, v);
		fprintf(out, "  %-22s %10" PRIu64 " %14" PRIu64, replay_reason_name(r, k), s->n[k], s->cyc[k]);
		for (unsigned i = 0; i < nd; i++) {
			s = replay_side(r, (int)i, v);
			fprintf(out, " | %14" PRIu64 " %14" PRIu64, s->n[k], s->cyc[k]);
		}
		fputc('\n', out);
	}
	const struct replay_side *s = replay_side(r, -1, v);
	fprintf(out, "  %-22s %10" PRIu64 " %14" PRIu64, "exits", s->exits, s->exit_cycles);
	for (unsigned i = 0; i < nd; i++) {
		s = replay_side(r, (int)i, v);
		fprintf(out, " | %14" PRIu64 " %14" PRIu64, s->exits, s->exit_cycles);
	}
	fputc('\n', out);
}

static void text_cycles(const struct replay *r, int v, FILE *out)
{
	uint64_t c0 = replay_cycles(r, -1, v), g = replay_guest_cycles(r, v);
	uint64_t span = v < 0 ? 0 : c0;
	if (v < 0)
		for (unsigned k = 0; k < replay_nvcpus(r); k++)
			span += replay_cycles(r, -1, (int)k);
	fprintf(out, "  %-22s %25" PRIu64, "cycles", c0);
	for (unsigned i = 0; i < replay_ndesigns(r); i++)
		fprintf(out, " | %29" PRIu64, replay_cycles(r, (int)i, v));
	fprintf(out, "\n  %-22s %24.1f%%", "guest time", 100.0 * ratio(g, span));
	for (unsigned i = 0; i < replay_ndesigns(r); i++) {
		uint64_t sp = v < 0 ? 0 : replay_cycles(r, (int)i, v);
		if (v < 0)
			for (unsigned k = 0; k < replay_nvcpus(r); k++)
				sp += replay_cycles(r, (int)i, (int)k);
		const struct replay_side *d = replay_side(r, (int)i, v);
		uint64_t gi = sp - d->exit_cycles - d->instead_cycles - d->hyp_cycles;	/* the rest is the guest's */
		fprintf(out, " | %28.1f%%", 100.0 * ratio(gi, sp));
	}
	fputc('\n', out);
}

static void text_ratios(const struct replay *r, FILE *out)
{
	uint64_t c0 = replay_cycles(r, -1, -1), e0 = replay_side(r, -1, -1)->exits;
	fprintf(out, "\nratios to the trace:   %-16s %10s %10s\n", "design", "exits", "cycles");
	for (unsigned i = 0; i < replay_ndesigns(r); i++)
		fprintf(out, "                       %-16.16s %10.3f %10.3f\n", replay_design(r, i)->name,
			ratio(replay_side(r, (int)i, -1)->exits, e0), ratio(replay_cycles(r, (int)i, -1), c0));
}

/* The reasons whose exit cycles changed most from the trace (compare: from the first design). */
static void text_changed(const struct replay *r, FILE *out)
{
	int base = replay_ndesigns(r) > 1 ? 0 : -1;
	const struct replay_side *b = replay_side(r, base, -1);
	for (unsigned i = base < 0 ? 0 : 1; i < replay_ndesigns(r); i++) {
		const struct replay_side *s = replay_side(r, (int)i, -1);
		fprintf(out, "changed most, %s vs %s:", replay_design(r, i)->name,
			base < 0 ? "the trace" : replay_design(r, 0)->name);
		bool used[REPLAY_MAX_REASONS] = { 0 };
		unsigned shown_n = 0;
		for (unsigned t = 0; t < 3; t++) {
			int best = -1;
			int64_t bd = 0;
			for (unsigned k = 0; k < replay_nreasons(r); k++) {
				int64_t d = (int64_t)s->cyc[k] - (int64_t)b->cyc[k];
				if (!used[k] && d && (best < 0 || llabs(d) > llabs(bd)))
					best = (int)k, bd = d;
			}
			if (best < 0)
				break;
			used[best] = true;
			fprintf(out, "%s %s %+" PRId64 " cycles (%+" PRId64 " exits)", shown_n++ ? "," : "",
				replay_reason_name(r, (unsigned)best), bd, (int64_t)s->n[best] - (int64_t)b->n[best]);
		}
		fprintf(out, "%s\n", shown_n ? "" : " nothing");
	}
}

static void print_text(const struct replay *r, const struct trace_reader *tr, const char *name, bool compare, FILE *out)
{
	text_source(r, tr, name, out);
	fprintf(out, "\nall vCPUs\n");
	text_table(r, -1, out);
	text_cycles(r, -1, out);
	for (unsigned i = 0; i < replay_ndesigns(r); i++)
		text_outcomes(r, i, -1, out);
	if (compare || replay_ndesigns(r) > 1)
		text_ratios(r, out);
	text_changed(r, out);
	if (compare)
		return;
	for (unsigned v = 0; v < replay_nvcpus(r); v++) {
		if (!replay_has_vcpu(r, v))
			continue;
		fprintf(out, "\nvcpu %u\n", v);
		text_table(r, (int)v, out);
		text_cycles(r, (int)v, out);
	}
}

/* ---- JSON ---- */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_map(const struct replay *r, int v, const uint64_t *a, bool all, FILE *out)
{
	fputc('{', out);
	bool first = true;
	for (unsigned k = 0; k < replay_nreasons(r); k++) {
		if (all ? !shown(r, k, v) : !a[k])
			continue;
		fprintf(out, "%s", first ? "" : ", ");
		json_str(out, replay_reason_name(r, k));
		fprintf(out, ": %" PRIu64, a[k]);
		first = false;
	}
	fputc('}', out);
}

static void json_side(const struct replay *r, int d, int v, FILE *out)
{
	const struct replay_side *s = replay_side(r, d, v);
	fprintf(out, "{\"cycles\": %" PRIu64 ", \"exits_total\": %" PRIu64 ", \"exit_cycles_total\": %" PRIu64
		", \"exits\": ", replay_cycles(r, d, v), s->exits, s->exit_cycles);
	json_map(r, v, s->n, true, out);
	fprintf(out, ", \"exit_cycles\": ");
	json_map(r, v, s->cyc, true, out);
	if (d >= 0) {
		fprintf(out, ", \"removed\": ");
		json_map(r, v, s->removed, false, out);
		fprintf(out, ", \"added\": ");
		json_map(r, v, s->added, false, out);
		fprintf(out, ", \"undecidable\": %" PRIu64 ", \"unmodelled\": %" PRIu64 ", \"instead_cycles\": %" PRIu64,
			s->undecidable, s->unmodelled, s->instead_cycles);
	} else {
		fprintf(out, ", \"guest_cycles\": %" PRIu64, replay_guest_cycles(r, v));
	}
	fputc('}', out);
}

static void print_json(const struct replay *r, const struct trace_reader *tr, const char *name, FILE *out)
{
	const struct trace_counts *c = trace_reader_counts(tr);
	fprintf(out, "{\n  \"trace\": ");
	json_str(out, name);
	fprintf(out, ",\n  \"format\": \"%s\", \"arch\": \"%s\", \"timestamps\": \"%s\",\n",
		trace_format_name(trace_reader_format(tr)), arch_name(replay_arch(r)),
		replay_ts_cycles(r) ? "cycles" : "ns");
	fprintf(out, "  \"kvm_exit_lines\": %" PRIu64 ", \"no_entry\": %" PRIu64 ", \"malformed\": %" PRIu64
		", \"unknown\": %" PRIu64 ",\n  \"source\": ", replay_exit_lines(r), replay_no_entry(r), c->malformed,
		c->unknown);
	json_side(r, -1, -1, out);
	fprintf(out, ",\n  \"designs\": [");
	for (unsigned i = 0; i < replay_ndesigns(r); i++) {
		fprintf(out, "%s\n    {\"design\": ", i ? "," : "");
		json_str(out, replay_design(r, i)->name);
		fprintf(out, ", \"total\": ");
		json_side(r, (int)i, -1, out);
		fprintf(out, ",\n     \"vcpus\": [");
		bool first = true;
		for (unsigned v = 0; v < replay_nvcpus(r); v++) {
			if (!replay_has_vcpu(r, v))
				continue;
			fprintf(out, "%s\n       {\"vcpu\": %u, \"source\": ", first ? "" : ",", v);
			json_side(r, -1, (int)v, out);
			fprintf(out, ", \"design\": ");
			json_side(r, (int)i, (int)v, out);
			fputc('}', out);
			first = false;
		}
		fprintf(out, "]}");
	}
	fprintf(out, "\n  ]\n}\n");
}

/* ---- CSV: one row per (design, vCPU, reason) ---- */
static void print_csv(const struct replay *r, FILE *out)
{
	fprintf(out, "design,vcpu,reason,trace_exits,trace_cycles,exits,cycles,removed,added\n");
	for (unsigned i = 0; i < replay_ndesigns(r); i++)
		for (int v = -1; v < (int)replay_nvcpus(r); v++) {
			if (v >= 0 && !replay_has_vcpu(r, (unsigned)v))
				continue;
			const struct replay_side *s0 = replay_side(r, -1, v), *s = replay_side(r, (int)i, v);
			for (unsigned k = 0; k < replay_nreasons(r); k++) {
				if (!shown(r, k, v))
					continue;
				fprintf(out, "%s,%s%d,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					"\n", replay_design(r, i)->name, v < 0 ? "all" : "", v < 0 ? 0 : v,
					replay_reason_name(r, k), s0->n[k], s0->cyc[k], s->n[k], s->cyc[k], s->removed[k],
					s->added[k]);
			}
			fprintf(out, "%s,%s%d,cycles,,%" PRIu64 ",,%" PRIu64 ",,\n", replay_design(r, i)->name,
				v < 0 ? "all" : "", v < 0 ? 0 : v, replay_cycles(r, -1, v), replay_cycles(r, (int)i, v));
		}
}

static int no_exits(const struct replay *r, const struct trace_reader *tr, const char *name, enum replay_fmt f,
		    FILE *out)
{
	const char *why = "this trace holds no VM exits to replay (kvm_exit was not recorded, or the host "
			  "emulated every instruction without exiting)";
	if (f == REPLAY_JSON) {
		fprintf(out, "{\n  \"trace\": ");
		json_str(out, name);
		fprintf(out, ",\n  \"format\": \"%s\", \"kvm_exit_lines\": 0, \"malformed\": %" PRIu64
			", \"note\": \"%s\"\n}\n", trace_format_name(trace_reader_format(tr)),
			trace_reader_counts(tr)->malformed, why);
	} else {
		fprintf(out, "trace: %s (%s): %s\n", name, trace_format_name(trace_reader_format(tr)), why);
	}
	(void)r;
	return ferror(out) ? -1 : 0;
}

int replay_print(const struct replay *r, const struct trace_reader *tr, const char *name, enum replay_fmt f, FILE *out)
{
	if (replay_arch(r) == TRACE_ARCH_NONE)
		return no_exits(r, tr, name, f, out);
	if (f == REPLAY_JSON)
		print_json(r, tr, name, out);
	else if (f == REPLAY_CSV)
		print_csv(r, out);
	else
		print_text(r, tr, name, false, out);
	return ferror(out) ? -1 : 0;
}

int replay_print_compare(const struct replay *r, const struct trace_reader *tr, const char *name, enum replay_fmt f,
			 FILE *out)
{
	if (replay_arch(r) == TRACE_ARCH_NONE)
		return no_exits(r, tr, name, f, out);
	if (f != REPLAY_TEXT)
		return replay_print(r, tr, name, f, out);
	print_text(r, tr, name, true, out);
	return ferror(out) ? -1 : 0;
}

/* ---- statistics with hvsim run's keys ---- */
static int put(struct stats *st, const char *path, const char *doc, uint64_t v)
{
	uint64_t *c = stats_counter(st, path, doc);
	if (!c)
		return -1;
	*c = v;
	return 0;
}

static int put_map(struct stats *st, const struct replay *r, int v, const char *prefix, const uint64_t *a, bool all,
		   const char *doc)
{
	char path[192];
	for (unsigned k = 0; k < replay_nreasons(r); k++) {
		if (all ? !shown(r, k, v) : !a[k])
			continue;
		/* statistics keys are [A-Za-z0-9_]: "PF excp" -> PF_excp, "unknown 0x46" -> unknown_0x46 */
		int n = snprintf(path, sizeof path, "%s%s", prefix, replay_reason_name(r, k));
		for (size_t i = strlen(prefix); i < (size_t)n && i < sizeof path - 1; i++)
			if (!isalnum((unsigned char)path[i]) && path[i] != '_')
				path[i] = '_';
		if (put(st, path, doc, a[k]) < 0)
			return -1;
	}
	return 0;
}

static int put_side(struct stats *st, const struct replay *r, int d, int v, const char *pre)
{
	const struct replay_side *s = replay_side(r, d, v);
	char p[128], q[128];
	int rc = 0;
	snprintf(p, sizeof p, "%scycles", pre);
	rc |= put(st, p, "cycles of the timeline (total: the latest vCPU's)", replay_cycles(r, d, v));
	snprintf(p, sizeof p, "%sexits_total", pre);
	rc |= put(st, p, "VM exits", s->exits);
	snprintf(p, sizeof p, "%sexit_cycles_total", pre);
	rc |= put(st, p, "cycles charged to VM exits", s->exit_cycles);
	snprintf(p, sizeof p, "%sexits.", pre);
	snprintf(q, sizeof q, "%sexit_cycles.", pre);
	rc |= put_map(st, r, v, p, s->n, true, "VM exits with this reason");
	rc |= put_map(st, r, v, q, s->cyc, true, "cycles charged to exits with this reason");
	return rc;
}

static int put_design(struct stats *st, const struct replay *r, const struct trace_reader *tr, unsigned i)
{
	const struct replay_side *s = replay_side(r, (int)i, -1);
	const struct trace_counts *c = trace_reader_counts(tr);
	int rc = put_side(st, r, (int)i, -1, "");
	rc |= put_map(st, r, -1, "removed.", s->removed, false, "exits that no longer happen, by recorded reason");
	rc |= put_map(st, r, -1, "added.", s->added, false, "exits the design adds, by reason");
	rc |= put(st, "undecidable", "exits whose decision needs an event the trace lacks (costed as recorded reason)",
		  s->undecidable);
	rc |= put(st, "unmodelled", "exits with a reason no model decides (costed as recorded)", s->unmodelled);
	rc |= put(st, "instead_cycles", "cycles of what the hardware does instead of removed exits", s->instead_cycles);
	rc |= put(st, "hyp_cycles", "host and hypervisor work the design adds outside exits (GICv4 vPE residency, doorbells)",
		  s->hyp_cycles);
	rc |= put(st, "gic_v4_residency_changes", "GICv4 vPE residency changes at blocking WFIs (vgic_v4_put/load)",
		  s->residency);
	rc |= put_side(st, r, -1, -1, "source.");
	rc |= put(st, "source.guest_cycles", "guest time between exits, all vCPUs", replay_guest_cycles(r, -1));
	rc |= put(st, "source.kvm_exit_lines", "kvm_exit records", replay_exit_lines(r));
	rc |= put(st, "source.no_entry", "exits with no kvm_entry after them", replay_no_entry(r));
	rc |= put(st, "source.malformed", "malformed lines", c->malformed);
	rc |= put(st, "source.unknown", "exits with a reason no table names", c->unknown);
	rc |= put(st, "source.lost", "events the tracer lost", c->lost);
	char pre[48];
	for (unsigned v = 0; v < replay_nvcpus(r); v++) {
		if (!replay_has_vcpu(r, v))
			continue;
		snprintf(pre, sizeof pre, "vcpus.%u.", v);
		rc |= put_side(st, r, (int)i, (int)v, pre);
	}
	return rc;
}

int replay_stats(const struct replay *r, const struct trace_reader *tr, unsigned i, const char *fmt, FILE *out)
{
	enum stats_fmt sf;
	if (stats_fmt_parse(fmt, &sf) < 0)
		return -1;
	struct stats *st = stats_new();
	if (!st) {
		err_set("out of memory");
		return -1;
	}
	int rc = 0;
	if (replay_arch(r) != TRACE_ARCH_NONE)
		rc = put_design(st, r, tr, i);
	else
		rc = put(st, "exits_total", "VM exits", 0) | put(st, "source.kvm_exit_lines", "kvm_exit records", 0);
	if (rc == 0)
		rc = stats_dump(st, out, sf);
	stats_free(st);
	return rc;
}
