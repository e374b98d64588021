/* Sweep results files (sweep/results.h). */
#define _GNU_SOURCE
#include "sweep/results.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"


ssize_t strs_find(const struct strs *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return i;
	return -1;
}

/* Index of x in s, appending it if new; -1 on no memory. */
ssize_t strs_add(struct strs *s, const char *x)
{
	ssize_t i = strs_find(s, x);
	if (i >= 0)
		return i;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(x)))
		return -1;
	return s->n++;
}

void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* ---- the results file ---- */

int results_load(const char *path, struct results *r)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set("%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	unsigned line = 0;
	int rc = 0;
	memset(r, 0, sizeof *r);
	while ((len = getline(&buf, &cap, f)) > 0) {
		line++;
		json_error_t e;
		json_t *o = json_loads(buf, 0, &e);
		if (!json_is_object(o) || !json_is_string(json_object_get(o, "status"))) {
			json_decref(o);
			rc = err_set("%s:%u: not a sweep result line%s%s", path, line, o ? "" : ": ", o ? "" : e.text);
			break;
		}
		if (strcmp(json_string_value(json_object_get(o, "status")), "ok")) {
			r->failed++;
			json_decref(o);
			continue;
		}
		if (r->n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			json_t **p = realloc(r->p, alloc * sizeof *p);
			if (!p) {
				json_decref(o);
				rc = err_set("out of memory");
				break;
			}
			r->p = p;
		}
		r->p[r->n++] = o;
	}
	free(buf);
	fclose(f);
	return rc;
}

void results_free(struct results *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->p[i]);
	free(r->p);
}

/* A point's value of a grouping key, as text; NULL if it has none. */
const char *result_key(json_t *p, const char *key, char *buf, size_t n)
{
	json_t *v = NULL;
	if (!strcmp(key, "design") || !strcmp(key, "workload") || !strcmp(key, "status") ||
	    !strcmp(key, "seed") || !strcmp(key, "rep"))
		v = json_object_get(p, key);
	else
		v = json_object_get(json_object_get(p, "params"), key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_null(v) && !strcmp(key, "seed"))
		return "-";
	return NULL;
}

json_t *result_json(json_t *p, const char *path)
{
	if (!strcmp(path, "wall_s"))
		return json_object_get(p, "wall_s");
	json_t *v = json_object_get(p, "stats");
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save, *tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v)) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			v = *end ? NULL : json_array_get(v, i);
		} else {
			v = json_object_get(v, tok);
		}
	}
	return v;
}

bool result_stat(json_t *p, const char *path, double *out)
{
	json_t *v = result_json(p, path);
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* The tuple of a point's values of keys, joined by " / "; false if any is missing. */
bool result_label(json_t *p, const char *const *keys, unsigned n, char *buf, size_t size, const char **missing)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		char tmp[64];
		const char *v = result_key(p, keys[i], tmp, sizeof tmp);
		if (!v) {
			*missing = keys[i];
			return false;
		}
		at += snprintf(buf + at, at < size ? size - at : 0, "%s%s", i ? " / " : "", v);
	}
	return at < size;
}

/* ---- statistics ---- */

int cell_add(struct cell *c, double x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 4;
		double *v = realloc(c->x, cap * sizeof *v);
		if (!v)
			return -1;
		c->x = v;
		c->cap = cap;
	}
	c->x[c->n++] = x;
	return 0;
}

double cell_mean(const struct cell *c)
{
	double s = 0;
	for (size_t i = 0; i < c->n; i++)
		s += c->x[i];
	return s / c->n;
}

/* Two-sided 97.5% quantile of Student's t with df degrees of freedom. */
static double t975(size_t df)
{
	static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
				    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
				    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };
	if (df < sizeof t / sizeof t[0])
		return t[df];
	return df < 60 ? 2.021 : df < 120 ? 2.000 : df < 1000 ? 1.980 : 1.960;
}

/* Half-width of the 95% confidence interval of the mean; 0 for one value. */
double cell_ci95(const struct cell *c)
{
	if (c->n < 2)
		return 0;
	double m = cell_mean(c), ss = 0;
	for (size_t i = 0; i < c->n; i++)
		ss += (c->x[i] - m) * (c->x[i] - m);
	return t975(c->n - 1) * sqrt(ss / (c->n - 1)) / sqrt(c->n);
}

/* "KEY=VALUE" of a filter or baseline. */
bool split_kv(const char *kv, char *k, size_t kn, const char **v)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || (size_t)(eq - kv) >= kn)
		return false;
	snprintf(k, kn, "%.*s", (int)(eq - kv), kv);
	*v = eq + 1;
	return true;
}

