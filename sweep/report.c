/* Tables from sweep results (sweep/report.h). */
#define _GNU_SOURCE
#include "sweep/report.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "sweep/results.h"

/* ---- output ---- */
struct table {
	struct strs rows, cols;
	char ***txt;               /* [row][col] cell text; NULL: empty */
	char ***ci;                /* CSV: the interval, separately */
	const char *corner;
};

static void latex_escape(FILE *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\textbackslash{}", o); break;
		case '~': fputs("\\textasciitilde{}", o); break;
		case '^': fputs("\\textasciicircum{}", o); break;
		case '&': case '%': case '$': case '#': case '_': case '{': case '}':
			fputc('\\', o);
			fputc(*s, o);
			break;
		default:
			/* the interval sign: math mode */
			if (!strncmp(s, "\u00b1", 2)) {
				fputs("$\\pm$", o);
				s++;
			} else {
				fputc(*s, o);
			}
		}
	}
}

static void csv_field(FILE *o, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, o);
		return;
	}
	fputc('"', o);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', o);
		fputc(*s, o);
	}
	fputc('"', o);
}

/* Display width of UTF-8 text (the interval sign is two bytes, one column). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_table(const struct table *t, const struct report_opts *o, FILE *out)
{
	size_t nr = t->rows.n, nc = t->cols.n;
	const char *cell;
	switch (o->format) {
	case REPORT_CSV: {
		bool any_ci = false;
		for (size_t r = 0; r < nr; r++)
			for (size_t c = 0; c < nc; c++)
				any_ci |= t->ci[r][c] != NULL;
		csv_field(out, t->corner);
		for (size_t c = 0; c < nc; c++) {
			fputc(',', out);
			csv_field(out, t->cols.v[c]);
			if (any_ci) {
				char h[512];
				snprintf(h, sizeof h, "%s ci95", t->cols.v[c]);
				fputc(',', out);
				csv_field(out, h);
			}
		}
		fputc('\n', out);
		for (size_t r = 0; r < nr; r++) {
			csv_field(out, t->rows.v[r]);
			for (size_t c = 0; c < nc; c++) {
				fputc(',', out);
				csv_field(out, t->txt[r][c] ? t->txt[r][c] : "");
				if (any_ci) {
					fputc(',', out);
					csv_field(out, t->ci[r][c] ? t->ci[r][c] : "");
				}
			}
			fputc('\n', out);
		}
		return;
	}
	case REPORT_LATEX:
		if (o->title) {
			fputs("% ", out);
			fputs(o->title, out);
			fputc('\n', out);
		}
		fputs("\\begin{tabular}{l", out);
		for (size_t c = 0; c < nc; c++)
			fputc('r', out);
		fputs("}\n\\toprule\n", out);
		latex_escape(out, t->corner);
		for (size_t c = 0; c < nc; c++) {
			fputs(" & ", out);
			latex_escape(out, t->cols.v[c]);
		}
		fputs(" \\\\\n\\midrule\n", out);
		for (size_t r = 0; r < nr; r++) {
			if (o->geomean && r == nr - 1)
				fputs("\\midrule\n", out);
			latex_escape(out, t->rows.v[r]);
			for (size_t c = 0; c < nc; c++) {
				fputs(" & ", out);
				latex_escape(out, t->txt[r][c] ? t->txt[r][c] : "--");
			}
			fputs(" \\\\\n", out);
		}
		fputs("\\bottomrule\n\\end{tabular}\n", out);
		return;
	case REPORT_MARKDOWN:
		if (o->title)
			fprintf(out, "**%s**\n\n", o->title);
		fprintf(out, "| %s |", t->corner);
		for (size_t c = 0; c < nc; c++)
			fprintf(out, " %s |", t->cols.v[c]);
		fputs("\n|---|", out);
		for (size_t c = 0; c < nc; c++)
			fputs("---:|", out);
		fputc('\n', out);
		for (size_t r = 0; r < nr; r++) {
			fprintf(out, "| %s |", t->rows.v[r]);
			for (size_t c = 0; c < nc; c++)
				fprintf(out, " %s |", t->txt[r][c] ? t->txt[r][c] : "–");
			fputc('\n', out);
		}
		return;
	case REPORT_TEXT: {
		size_t w0 = width(t->corner), *w = calloc(nc ? nc : 1, sizeof *w);
		if (!w)
			return;
		for (size_t r = 0; r < nr; r++)
			if (width(t->rows.v[r]) > w0)
				w0 = width(t->rows.v[r]);
		for (size_t c = 0; c < nc; c++) {
			w[c] = width(t->cols.v[c]);
			for (size_t r = 0; r < nr; r++)
				if (t->txt[r][c] && width(t->txt[r][c]) > w[c])
					w[c] = width(t->txt[r][c]);
		}
		if (o->title)
			fprintf(out, "%s\n", o->title);
		fprintf(out, "%-*s", (int)w0, t->corner);
		for (size_t c = 0; c < nc; c++)
			fprintf(out, "  %*s", (int)(w[c] + strlen(t->cols.v[c]) - width(t->cols.v[c])), t->cols.v[c]);
		fputc('\n', out);
		for (size_t r = 0; r < nr; r++) {
			fprintf(out, "%-*s", (int)(w0 + strlen(t->rows.v[r]) - width(t->rows.v[r])), t->rows.v[r]);
			for (size_t c = 0; c < nc; c++) {
				cell = t->txt[r][c] ? t->txt[r][c] : "-";
				fprintf(out, "  %*s", (int)(w[c] + strlen(cell) - width(cell)), cell);
			}
			fputc('\n', out);
		}
		free(w);
		return;
	}
	}
}

static char *fmt_num(double x, bool ratio)
{
	char *s;
	if (ratio)
		return asprintf(&s, "%.3f", x) < 0 ? NULL : s;
	if (x == floor(x) && fabs(x) < 1e15)
		return asprintf(&s, "%.0f", x) < 0 ? NULL : s;
	return asprintf(&s, "%.4g", x) < 0 ? NULL : s;
}

/* The label with KEY's value replaced by val, when KEY is among keys. */
static bool relabel(json_t *p, const char *const *keys, unsigned n, const char *key, const char *val, char *buf,
		    size_t size)
{
	size_t at = 0;
	bool found = false;
	for (unsigned i = 0; i < n; i++) {
		char tmp[64];
		const char *v = result_key(p, keys[i], tmp, sizeof tmp);
		if (!strcmp(keys[i], key)) {
			v = val;
			found = true;
		}
		at += snprintf(buf + at, at < size ? size - at : 0, "%s%s", i ? " / " : "", v ? v : "");
	}
	return found;
}

/* Frees a rows x cols array of pointers, each with free_cell. */
static void free_grid(void **g, size_t rows, size_t cols, void (*free_cell)(void *, size_t))
{
	for (size_t r = 0; g && r < rows; r++) {
		if (free_cell && g[r])
			free_cell(g[r], cols);
		free(g[r]);
	}
	free(g);
}

static void free_cells(void *row, size_t cols)
{
	for (size_t c = 0; c < cols; c++)
		free(((struct cell *)row)[c].x);
}

static void free_texts(void *row, size_t cols)
{
	for (size_t c = 0; c < cols; c++)
		free(((char **)row)[c]);
}

static void **grid(size_t rows, size_t cols, size_t size)
{
	void **g = calloc(rows ? rows : 1, sizeof *g);
	for (size_t r = 0; g && r < rows; r++)
		if (!(g[r] = calloc(cols ? cols : 1, size))) {
			free_grid(g, r, cols, NULL);
			return NULL;
		}
	return g;
}

/* The cell text: mean (or ratio), "± h" with an interval (CSV: h apart). */
static int cell_text(const struct cell *ce, double base, bool ratio, enum report_format f, char **txt, char **ci)
{
	double m = cell_mean(ce), h = cell_ci95(ce);
	if (ratio) {
		m /= base;
		h /= base;
	}
	*txt = fmt_num(m, ratio);
	*ci = ce->n > 1 ? fmt_num(h, ratio) : NULL;
	if (!*txt || (ce->n > 1 && !*ci))
		return -1;
	if (*ci && f != REPORT_CSV) {
		char *both;
		if (asprintf(&both, "%s \u00b1 %s", *txt, *ci) < 0)
			return -1;
		free(*txt);
		free(*ci);
		*txt = both;
		*ci = NULL;
	}
	return 0;
}

int report_write(const char *results, const struct report_opts *o, FILE *out)
{
	struct results R;
	struct table T = { 0 };
	struct cell **cells = NULL;
	double **base = NULL;
	bool *keep = NULL;
	size_t nrows = 0, ncols = 0;
	int rc = results_load(results, &R);
	if (rc < 0)
		return rc;
	char corner[512] = "", bk[128] = "", rl[1024], cl[1024];
	const char *bv = NULL, *missing = NULL;
	if (o->baseline && !split_kv(o->baseline, bk, sizeof bk, &bv)) {
		rc = err_set("--baseline '%s' is not KEY=VALUE", o->baseline);
		goto out;
	}
	for (unsigned f = 0; f < o->nwhere; f++) {
		char k[128];
		const char *v;
		if (!split_kv(o->where[f], k, sizeof k, &v)) {
			rc = err_set("--where '%s' is not KEY=VALUE", o->where[f]);
			goto out;
		}
	}
	/* Rows and columns in the order of the points (the sweep's order). */
	if (!(keep = calloc(R.n ? R.n : 1, sizeof *keep)))
		goto oom;
	for (size_t i = 0; i < R.n; i++) {
		bool ok = true;
		for (unsigned f = 0; f < o->nwhere && ok; f++) {
			char k[128], tmp[64];
			const char *v = "", *pv;
			split_kv(o->where[f], k, sizeof k, &v);
			pv = result_key(R.p[i], k, tmp, sizeof tmp);
			ok = pv && !strcmp(pv, v);
		}
		double x;
		if (!ok || !result_stat(R.p[i], o->value, &x) ||
		    !result_label(R.p[i], o->rows, o->nrows, rl, sizeof rl, &missing) ||
		    !result_label(R.p[i], o->cols, o->ncols, cl, sizeof cl, &missing))
			continue;
		if (strs_add(&T.rows, rl) < 0 || strs_add(&T.cols, cl) < 0)
			goto oom;
		keep[i] = true;
	}
	nrows = T.rows.n;
	ncols = T.cols.n;
	if (!nrows) {
		if (missing)
			rc = err_set("%s: no point has the key '%s' (design, workload, seed, rep, status or an axis key)",
				     results, missing);
		else
			rc = err_set("%s: no successful point has the statistic '%s'%s", results, o->value,
				     R.failed ? " (some points failed)" : "");
		goto out;
	}
	if (!(cells = (struct cell **)grid(nrows, ncols, sizeof **cells)) ||
	    !(base = (double **)grid(nrows, ncols, sizeof **base)) ||
	    !(T.txt = (char ***)grid(nrows + 1, ncols, sizeof **T.txt)) ||
	    !(T.ci = (char ***)grid(nrows + 1, ncols, sizeof **T.ci)))
		goto oom;
	for (size_t i = 0; i < R.n; i++) {
		double x;
		if (!keep[i])
			continue;
		result_stat(R.p[i], o->value, &x);
		result_label(R.p[i], o->rows, o->nrows, rl, sizeof rl, &missing);
		result_label(R.p[i], o->cols, o->ncols, cl, sizeof cl, &missing);
		if (cell_add(&cells[strs_find(&T.rows, rl)][strs_find(&T.cols, cl)], x) < 0)
			goto oom;
	}
	/* Baseline: each cell over the cell whose KEY has the baseline value. */
	if (o->baseline) {
		bool in_keys = false;
		for (size_t i = 0; i < R.n; i++) {
			char brl[1024], bcl[1024];
			if (!keep[i])
				continue;
			result_label(R.p[i], o->rows, o->nrows, rl, sizeof rl, &missing);
			result_label(R.p[i], o->cols, o->ncols, cl, sizeof cl, &missing);
			in_keys |= relabel(R.p[i], o->rows, o->nrows, bk, bv, brl, sizeof brl);
			in_keys |= relabel(R.p[i], o->cols, o->ncols, bk, bv, bcl, sizeof bcl);
			ssize_t br = strs_find(&T.rows, brl), bc = strs_find(&T.cols, bcl);
			base[strs_find(&T.rows, rl)][strs_find(&T.cols, cl)] =
				br >= 0 && bc >= 0 && cells[br][bc].n ? cell_mean(&cells[br][bc]) : NAN;
		}
		if (!in_keys) {
			rc = err_set("--baseline %s: '%s' is not one of the row or column keys", o->baseline, bk);
			goto out;
		}
	}
	for (size_t c = 0; c < ncols; c++) {
		double logsum = 0;
		size_t nlog = 0;
		for (size_t r = 0; r < nrows; r++) {
			struct cell *ce = &cells[r][c];
			/* no baseline cell, or a zero one: no ratio */
			if (!ce->n || (o->baseline && !(base[r][c] > 0)))
				continue;
			if (cell_text(ce, base[r][c], o->baseline, o->format, &T.txt[r][c], &T.ci[r][c]) < 0)
				goto oom;
			double m = o->baseline ? cell_mean(ce) / base[r][c] : cell_mean(ce);
			if (m > 0) {
				logsum += log(m);
				nlog++;
			}
		}
		if (o->geomean && nlog && !(T.txt[nrows][c] = fmt_num(exp(logsum / nlog), true)))
			goto oom;
	}
	if (o->geomean && strs_add(&T.rows, "geometric mean") < 0)
		goto oom;
	/* The corner names the row keys and the statistic. */
	size_t at = 0;
	for (unsigned i = 0; i < o->nrows && at < sizeof corner; i++)
		at += snprintf(corner + at, sizeof corner - at, "%s%s", i ? " / " : "", o->rows[i]);
	if (at < sizeof corner)
		snprintf(corner + at, sizeof corner - at, "%s%s%s%s", at ? " \\ " : "", o->value,
			 o->baseline ? " / " : "", o->baseline ? o->baseline : "");
	T.corner = corner;
	print_table(&T, o, out);
	if (R.failed)
		fprintf(o->format == REPORT_CSV ? stderr : out, "%s%zu failed point%s left out\n",
			o->format == REPORT_LATEX ? "% " : o->format == REPORT_CSV ? "hvsim: report: " : "\n",
			R.failed, R.failed == 1 ? "" : "s");
	goto out;
oom:
	rc = err_set("out of memory");
out:
	free_grid((void **)T.txt, nrows + 1, ncols, free_texts);
	free_grid((void **)T.ci, nrows + 1, ncols, free_texts);
	free_grid((void **)cells, nrows, ncols, free_cells);
	free_grid((void **)base, nrows, ncols, NULL);
	free(keep);
	strs_free(&T.rows);
	strs_free(&T.cols);
	results_free(&R);
	return rc;
}

/* ---- flat CSV ---- */
static int flatten(json_t *v, const char *prefix, struct strs *names, double *vals, size_t max, bool collect)
{
	char name[512];
	if (json_is_number(v)) {
		ssize_t i = collect ? strs_add(names, prefix) : strs_find(names, prefix);
		if (i < 0)
			return collect ? -1 : 0;
		if ((size_t)i < max)
			vals[i] = json_number_value(v);
		return 0;
	}
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
			if (flatten(x, name, names, vals, max, collect) < 0)
				return -1;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			snprintf(name, sizeof name, "%s%s%zu", prefix, *prefix ? "." : "", i);
			if (flatten(x, name, names, vals, max, collect) < 0)
				return -1;
		}
	}
	return 0;
}

int report_flat_csv(const char *path, FILE *out)
{
	struct results R = { 0 };
	struct strs stats = { 0 }, params = { 0 };
	int rc = 0;
	/* every point, failed ones too */
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set("%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0, alloc = 0;
	unsigned line = 0;
	while (getline(&buf, &cap, f) > 0) {
		line++;
		json_t *o = json_loads(buf, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			rc = err_set("%s:%u: not a sweep result line", path, line);
			break;
		}
		if (R.n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			json_t **p = realloc(R.p, alloc * sizeof *p);
			if (!p) {
				json_decref(o);
				rc = err_set("out of memory");
				break;
			}
			R.p = p;
		}
		R.p[R.n++] = o;
		const char *k;
		json_t *x;
		json_object_foreach(json_object_get(o, "params"), k, x)
			if (strs_add(&params, k) < 0)
				rc = err_set("out of memory");
		if (flatten(json_object_get(o, "stats"), "", &stats, NULL, 0, true) < 0)
			rc = err_set("out of memory");
	}
	free(buf);
	fclose(f);
	double *vals = rc ? NULL : malloc((stats.n ? stats.n : 1) * sizeof *vals);
	if (!rc && !vals)
		rc = err_set("out of memory");
	if (!rc) {
		fputs("point,workload,design,seed,rep,status,exit_code,wall_s", out);
		for (size_t i = 0; i < params.n; i++) {
			fputc(',', out);
			csv_field(out, params.v[i]);
		}
		for (size_t i = 0; i < stats.n; i++) {
			fputc(',', out);
			csv_field(out, stats.v[i]);
		}
		fputc('\n', out);
	}
	for (size_t p = 0; !rc && p < R.n; p++) {
		json_t *o = R.p[p];
		char tmp[64];
		static const char *const keys[] = { "workload", "design", "seed", "rep", "status" };
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(o, "point")));
		for (unsigned k = 0; k < 5; k++) {
			const char *v = result_key(o, keys[k], tmp, sizeof tmp);
			fputc(',', out);
			csv_field(out, v ? v : "");
		}
		fprintf(out, ",%" JSON_INTEGER_FORMAT ",%.3f", json_integer_value(json_object_get(o, "exit_code")),
			json_real_value(json_object_get(o, "wall_s")));
		for (size_t i = 0; i < params.n; i++) {
			json_t *v = json_object_get(json_object_get(o, "params"), params.v[i]);
			fputc(',', out);
			csv_field(out, json_is_string(v) ? json_string_value(v) : "");
		}
		for (size_t i = 0; i < stats.n; i++)
			vals[i] = NAN;
		flatten(json_object_get(o, "stats"), "", &stats, vals, stats.n, false);
		for (size_t i = 0; i < stats.n; i++) {
			if (isnan(vals[i]))
				fputc(',', out);
			else
				fprintf(out, ",%.17g", vals[i]);
		}
		fputc('\n', out);
	}
	free(vals);
	strs_free(&stats);
	strs_free(&params);
	results_free(&R);
	return rc;
}
