/* Statistics registry: a tree of path components whose leaves are counters
 * and histograms, plus the list of leaves in registration order. */
#include "core/stats.h"
#include <errno.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Log-linear buckets: values below 2^HIST_EXACT_BITS have their own bucket;
 * above, each power of two [2^e, 2^(e+1)) is split into 2^HIST_SUB_BITS
 * buckets of width 2^(e - HIST_SUB_BITS). */
#define HIST_EXACT_BITS 8
#define HIST_SUB_BITS   7
#define HIST_EXACT      (1u << HIST_EXACT_BITS)
#define HIST_SUB        (1u << HIST_SUB_BITS)
#define HIST_NBUCKETS   (HIST_EXACT + (64 - HIST_EXACT_BITS) * HIST_SUB)

struct hist {
	uint64_t count, sum, min, max;
	uint64_t *buckets;   /* grown on demand up to HIST_NBUCKETS */
	unsigned nbuckets;
};

struct stat_leaf {
	char *path;
	char *doc;
	bool is_hist;
	uint64_t *counter;
	struct hist *hist;
};

struct node {
	char *name;
	struct node **kids;     /* in order of first registration */
	unsigned nkids, cap;
	int leaf;               /* index into stats.leaves, or -1 */
};

struct stats {
	struct node root;
	struct stat_leaf *leaves;
	unsigned nleaves, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "hvsim: out of memory (stats)\n");
		exit(71);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

/* A bad path is a bug in the caller, not an input error. */
static void fatal(const char *what, const char *path)
{
	fprintf(stderr, "hvsim: internal error: stats path '%s': %s\n", path, what);
	exit(70);
}

struct stats *stats_new(void)
{
	struct stats *s = xrealloc(NULL, sizeof *s);
	memset(s, 0, sizeof *s);
	s->root.leaf = -1;
	return s;
}

static void node_free(struct node *n)
{
	for (unsigned i = 0; i < n->nkids; i++) {
		node_free(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->name);
}

void stats_free(struct stats *s)
{
	if (!s)
		return;
	node_free(&s->root);
	for (unsigned i = 0; i < s->nleaves; i++) {
		struct stat_leaf *l = &s->leaves[i];
		free(l->path);
		free(l->doc);
		free(l->counter);
		if (l->hist)
			free(l->hist->buckets);
		free(l->hist);
	}
	free(s->leaves);
	free(s);
}

static bool path_valid(const char *p)
{
	size_t comp = 0;
	for (; *p; p++) {
		if (*p == '.') {
			if (comp == 0)
				return false;
			comp = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '_') {
			comp++;
		} else {
			return false;
		}
	}
	return comp > 0;
}

static struct node *kid_find(const struct node *n, const char *name, size_t len)
{
	for (unsigned i = 0; i < n->nkids; i++)
		if (strlen(n->kids[i]->name) == len && memcmp(n->kids[i]->name, name, len) == 0)
			return n->kids[i];
	return NULL;
}

static struct node *kid_add(struct node *n, const char *name, size_t len)
{
	if (n->nkids == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 4;
		n->kids = xrealloc(n->kids, n->cap * sizeof *n->kids);
	}
	struct node *k = xrealloc(NULL, sizeof *k);
	memset(k, 0, sizeof *k);
	k->name = xrealloc(NULL, len + 1);
	memcpy(k->name, name, len);
	k->name[len] = '\0';
	k->leaf = -1;
	n->kids[n->nkids++] = k;
	return k;
}

/* Returns the leaf for `path`, creating it if new. */
static struct stat_leaf *lookup(struct stats *s, const char *path, const char *doc, bool is_hist)
{
	if (!path_valid(path))
		fatal("components must be [A-Za-z0-9_]+ separated by '.'", path);

	/* First walk without creating anything, so a conflict leaves no trace. */
	struct node *n = &s->root;
	const char *p = path;
	for (;;) {
		size_t len = strcspn(p, ".");
		struct node *k = kid_find(n, p, len);
		if (!k)
			break;
		n = k;
		p += len;
		if (*p == '\0') {
			if (n->leaf < 0)
				fatal("already a prefix of another path", path);
			struct stat_leaf *l = &s->leaves[n->leaf];
			if (l->is_hist != is_hist)
				fatal("registered as both counter and histogram", path);
			return l;
		}
		if (n->leaf >= 0)
			fatal("a prefix of it is already a statistic", path);
		p++;
	}
	for (;;) {
		size_t len = strcspn(p, ".");
		n = kid_add(n, p, len);
		p += len;
		if (*p == '\0')
			break;
		p++;
	}

	if (s->nleaves == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->leaves = xrealloc(s->leaves, s->cap * sizeof *s->leaves);
	}
	n->leaf = (int)s->nleaves;
	struct stat_leaf *l = &s->leaves[s->nleaves++];
	memset(l, 0, sizeof *l);
	l->path = xstrdup(path);
	l->doc = xstrdup(doc ? doc : "");
	l->is_hist = is_hist;
	if (is_hist) {
		l->hist = xrealloc(NULL, sizeof *l->hist);
		memset(l->hist, 0, sizeof *l->hist);
	} else {
		l->counter = xrealloc(NULL, sizeof *l->counter);
		*l->counter = 0;
	}
	return l;
}

uint64_t *stats_counter(struct stats *s, const char *path, const char *doc)
{
	return lookup(s, path, doc, false)->counter;
}

const uint64_t *stats_find_counter(const struct stats *s, const char *path)
{
	for (size_t i = 0; i < s->nleaves; i++)
		if (!s->leaves[i].is_hist && !strcmp(s->leaves[i].path, path))
			return s->leaves[i].counter;
	return NULL;
}

struct hist *stats_hist(struct stats *s, const char *path, const char *doc)
{
	return lookup(s, path, doc, true)->hist;
}

/* ---- histograms ---- */

static unsigned bucket_of(uint64_t v)
{
	if (v < HIST_EXACT)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);            /* 2^e <= v */
	unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
	return HIST_EXACT + (e - HIST_EXACT_BITS) * HIST_SUB + sub;
}

static uint64_t bucket_low(unsigned b)
{
	if (b < HIST_EXACT)
		return b;
	unsigned e = HIST_EXACT_BITS + (b - HIST_EXACT) / HIST_SUB;
	uint64_t sub = (b - HIST_EXACT) % HIST_SUB;
	return (HIST_SUB + sub) << (e - HIST_SUB_BITS);
}

void hist_add(struct hist *h, uint64_t v) { hist_add_n(h, v, 1); }

void hist_add_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	unsigned b = bucket_of(v);
	if (b >= h->nbuckets) {
		/* Grow in whole powers of two so large values cost one resize. */
		unsigned n = b < HIST_EXACT ? HIST_EXACT : (b - HIST_EXACT) / HIST_SUB * HIST_SUB + HIST_EXACT + HIST_SUB;
		h->buckets = xrealloc(h->buckets, n * sizeof *h->buckets);
		memset(h->buckets + h->nbuckets, 0, (n - h->nbuckets) * sizeof *h->buckets);
		h->nbuckets = n;
	}
	h->buckets[b] += n;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count += n;
	h->sum += v * n;
}

uint64_t hist_count(const struct hist *h) { return h->count; }
uint64_t hist_min(const struct hist *h) { return h->count ? h->min : 0; }
uint64_t hist_max(const struct hist *h) { return h->max; }
uint64_t hist_sum(const struct hist *h) { return h->sum; }

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (!(p > 0))          /* also NaN */
		p = 0;
	if (p > 100)
		p = 100;
	/* Nearest rank: the smallest value with at least p% of samples <= it. */
	double r = p * (double)h->count / 100.0;
	uint64_t rank = r >= (double)h->count ? h->count : (uint64_t)r;
	if ((double)rank < r)
		rank++;         /* ceil without libm */
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	unsigned b;
	for (b = 0; b < h->nbuckets; b++) {
		seen += h->buckets[b];
		if (seen >= rank)
			break;
	}
	uint64_t v = bucket_low(b);
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

static double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* ---- output ---- */

int stats_fmt_parse(const char *name, enum stats_fmt *out)
{
	static const char *const names[] = { [STATS_TEXT] = "text", [STATS_JSON] = "json", [STATS_CSV] = "csv" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum stats_fmt)i;
			return 0;
		}
	}
	return err_set("unknown stats format '%s' (valid: text, json, csv)", name);
}

/* The histogram fields, in text/CSV order. */
enum { HF_COUNT, HF_MIN, HF_P50, HF_P90, HF_P99, HF_MAX, HF_MEAN, HF_N };
static const char *const hf_name[HF_N] = { "count", "min", "p50", "p90", "p99", "max", "mean" };

static void hist_field(const struct hist *h, int f, char *buf, size_t n)
{
	uint64_t v = 0;
	switch (f) {
	case HF_COUNT: v = hist_count(h); break;
	case HF_MIN: v = hist_min(h); break;
	case HF_P50: v = hist_percentile(h, 50); break;
	case HF_P90: v = hist_percentile(h, 90); break;
	case HF_P99: v = hist_percentile(h, 99); break;
	case HF_MAX: v = hist_max(h); break;
	case HF_MEAN:
		snprintf(buf, n, "%.3f", hist_mean(h));
		return;
	}
	snprintf(buf, n, "%" PRIu64, v);
}

/* Calls fn for every (name, value, doc) row of the text and CSV formats. */
typedef void (*row_fn)(void *arg, const char *path, const char *field, const char *value, const char *doc);

static void for_rows(const struct stats *s, row_fn fn, void *arg)
{
	char v[32];
	for (unsigned i = 0; i < s->nleaves; i++) {
		const struct stat_leaf *l = &s->leaves[i];
		if (!l->is_hist) {
			snprintf(v, sizeof v, "%" PRIu64, *l->counter);
			fn(arg, l->path, NULL, v, l->doc);
			continue;
		}
		for (int f = 0; f < HF_N; f++) {
			hist_field(l->hist, f, v, sizeof v);
			fn(arg, l->path, hf_name[f], v, l->doc);
		}
	}
}

struct text_ctx {
	FILE *out;
	size_t wname, wvalue;
};

static size_t row_name_len(const char *path, const char *field)
{
	return strlen(path) + (field ? 1 + strlen(field) : 0);
}

static void text_measure(void *arg, const char *path, const char *field, const char *value, const char *doc)
{
	struct text_ctx *t = arg;
	(void)doc;
	size_t n = row_name_len(path, field);
	if (n > t->wname)
		t->wname = n;
	if (strlen(value) > t->wvalue)
		t->wvalue = strlen(value);
}

static void text_row(void *arg, const char *path, const char *field, const char *value, const char *doc)
{
	struct text_ctx *t = arg;
	int pad = (int)(t->wname - row_name_len(path, field));
	fprintf(t->out, "%s%s%s%*s %*s", path, field ? "." : "", field ? field : "", pad, "",
		(int)t->wvalue, value);
	if (*doc)
		fprintf(t->out, "  # %s", doc);
	fputc('\n', t->out);
}

static void csv_row(void *arg, const char *path, const char *field, const char *value, const char *doc)
{
	(void)doc;
	/* Path components are [A-Za-z0-9_.], values are numbers: no quoting needed. */
	fprintf(arg, "%s%s%s,%s\n", path, field ? "." : "", field ? field : "", value);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* If the children are named exactly 0..n-1 (canonical decimal), fills
 * order[i] with the child named i and returns true. */
static bool as_array(const struct node *n, const struct node **order)
{
	if (n->nkids == 0)
		return false;
	for (unsigned i = 0; i < n->nkids; i++)
		order[i] = NULL;
	for (unsigned i = 0; i < n->nkids; i++) {
		const char *name = n->kids[i]->name;
		char *end;
		if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
			return false;
		unsigned long idx = strtoul(name, &end, 10);
		if (*end || idx >= n->nkids || order[idx])
			return false;
		order[idx] = n->kids[i];
	}
	return true;
}

static void indent(FILE *out, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", out);
}

static void json_node(const struct stats *s, const struct node *n, FILE *out, unsigned depth)
{
	if (n->leaf >= 0) {
		const struct stat_leaf *l = &s->leaves[n->leaf];
		if (!l->is_hist) {
			fprintf(out, "%" PRIu64, *l->counter);
			return;
		}
		const struct hist *h = l->hist;
		fprintf(out, "{\"count\": %" PRIu64 ", \"min\": %" PRIu64 ", \"max\": %" PRIu64
			", \"mean\": %.3f, \"p50\": %" PRIu64 ", \"p90\": %" PRIu64 ", \"p99\": %" PRIu64,
			hist_count(h), hist_min(h), hist_max(h), hist_mean(h),
			hist_percentile(h, 50), hist_percentile(h, 90), hist_percentile(h, 99));
		/* The whole distribution, for CDF plots: percentiles 0..100. */
		if (hist_count(h)) {
			fputs(", \"percentiles\": [", out);
			for (unsigned p = 0; p <= 100; p++)
				fprintf(out, "%s%" PRIu64, p ? ", " : "", hist_percentile(h, p));
			fputc(']', out);
		}
		fputc('}', out);
		return;
	}
	if (n->nkids == 0) {
		fputs("{}", out);
		return;
	}
	const struct node **order = xrealloc(NULL, n->nkids * sizeof *order);
	bool array = as_array(n, order);
	fputs(array ? "[\n" : "{\n", out);
	for (unsigned i = 0; i < n->nkids; i++) {
		const struct node *k = array ? order[i] : n->kids[i];
		indent(out, depth + 1);
		if (!array) {
			json_string(out, k->name);
			fputs(": ", out);
		}
		json_node(s, k, out, depth + 1);
		fputs(i + 1 < n->nkids ? ",\n" : "\n", out);
	}
	indent(out, depth);
	fputc(array ? ']' : '}', out);
	free(order);
}

int stats_dump(const struct stats *s, FILE *out, enum stats_fmt fmt)
{
	switch (fmt) {
	case STATS_TEXT: {
		struct text_ctx t = { out, 0, 0 };
		for_rows(s, text_measure, &t);
		for_rows(s, text_row, &t);
		break;
	}
	case STATS_JSON:
		json_node(s, &s->root, out, 0);
		fputc('\n', out);
		break;
	case STATS_CSV:
		fputs("stat,value\n", out);
		for_rows(s, csv_row, out);
		break;
	default:
		return err_set("unknown stats format %d", (int)fmt);
	}
	if (fflush(out) != 0 || ferror(out))
		return err_set("writing statistics failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
