/* Sweep results files as the report and plot commands read them: the
 * successful points, their keys and statistics, and the statistics of a
 * cell of points.  Experiment tooling; knows no model. */
#ifndef HVSIM_SWEEP_RESULTS_H
#define HVSIM_SWEEP_RESULTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A list of distinct strings in first-seen order. */
struct strs {
	char **v;
	size_t n, cap;
};
ssize_t strs_find(const struct strs *s, const char *x);
/* Index of x, appending it if new; -1 on no memory. */
ssize_t strs_add(struct strs *s, const char *x);
void strs_free(struct strs *s);

struct results {
	json_t **p;                /* the points with status "ok", in file order */
	size_t n;
	size_t failed;             /* points left out */
};
/* -1 + err_set on a line that is not a sweep result. */
int results_load(const char *path, struct results *r);
void results_free(struct results *r);

/* A point's value of a grouping key (design, workload, seed, rep, status or
 * an axis key) as text; NULL if it has none.  buf holds numbers. */
const char *result_key(json_t *p, const char *key, char *buf, size_t n);
/* The JSON at a dotted path into the point's statistics ("exits.HVC64",
 * "vcpus.0.cycles"), or its wall_s; NULL if none. */
json_t *result_json(json_t *p, const char *path);
bool result_stat(json_t *p, const char *path, double *out);
/* The values of keys joined by " / "; false (*missing set) if one is absent. */
bool result_label(json_t *p, const char *const *keys, unsigned n, char *buf, size_t size, const char **missing);
/* "KEY=VALUE" */
bool split_kv(const char *kv, char *k, size_t kn, const char **v);

/* The values that share a table cell or a plotted point. */
struct cell {
	double *x;
	size_t n, cap;
};
int cell_add(struct cell *c, double x);
double cell_mean(const struct cell *c);
/* Half-width of the 95% confidence interval of the mean (Student's t); 0 for one value. */
double cell_ci95(const struct cell *c);

#endif
