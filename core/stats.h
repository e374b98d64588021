/* Statistics registry: counters and histograms named by dotted paths
 * ("vcpu.0.exits.HVC64"), dumped as text, JSON or CSV in registration order.
 * Components get a pointer once and update it directly on the hot path. */
#ifndef HVSIM_CORE_STATS_H
#define HVSIM_CORE_STATS_H
#include <stdint.h>
#include <stdio.h>

struct stats;
struct stats *stats_new(void);
void stats_free(struct stats *s);

/* Path components: [A-Za-z0-9_]+ separated by '.'.  The same path returns the
 * same counter.  A path may not be both a leaf and a prefix of another path. */
uint64_t *stats_counter(struct stats *s, const char *path, const char *doc);
/* The counter registered at PATH, or NULL (nothing is created). */
const uint64_t *stats_find_counter(const struct stats *s, const char *path);

/* Log-linear histogram: exact below 256, above that 128 sub-buckets per power
 * of two (relative error < 1/128).  Values are uint64_t (cycles, ns, ...). */
struct hist;
struct hist *stats_hist(struct stats *s, const char *path, const char *doc);
void hist_add(struct hist *h, uint64_t v);
/* n samples of the value v at once */
void hist_add_n(struct hist *h, uint64_t v, uint64_t n);
uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
uint64_t hist_sum(const struct hist *h);
/* p in [0,100]; nearest-rank; 0 when empty.  Result is the lower bound of the
 * bucket holding that rank, clamped to [min, max]. */
uint64_t hist_percentile(const struct hist *h, double p);

enum stats_fmt { STATS_TEXT, STATS_JSON, STATS_CSV };
/* Parses "text" | "json" | "csv"; -1 (err_set) otherwise. */
int stats_fmt_parse(const char *name, enum stats_fmt *out);

/* TEXT: "path value  # doc" per counter; histograms as path.count/min/p50/p90/p99/max/mean.
 * JSON: nested objects by path component; an object whose children are all
 *       named 0..n-1 becomes an array; histograms become
 *       {"count","min","max","mean","p50","p90","p99"} and, when not empty,
 *       "percentiles": the 101 percentiles 0..100; mean is a number with
 *       3 decimals.  Output is valid JSON, ends with a newline.
 * CSV:  header "stat,value", one row per counter and per histogram field. */
int stats_dump(const struct stats *s, FILE *out, enum stats_fmt fmt);

#endif
