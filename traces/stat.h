/* `hvsim trace stat`: what a trace holds, counted in bounded memory (events
 * by kind, exits by reason per vCPU and in total, malformed and unknown
 * lines with the first few line numbers, the time span). */
#ifndef HVSIM_TRACES_STAT_H
#define HVSIM_TRACES_STAT_H
#include <stdio.h>

#include "traces/trace.h"

struct trace_stat;

struct trace_stat *trace_stat_new(void);
void trace_stat_add(struct trace_stat *s, const struct trace_event *ev);
/* Prints the summary of a trace read to its end by r (name: as given by the
 * user; forced: --format was given) as text or JSON.  -1 on a write error. */
int trace_stat_print(const struct trace_stat *s, const struct trace_reader *r, const char *name, bool forced,
		     bool json, FILE *out);
uint64_t trace_stat_exits(const struct trace_stat *s);
void trace_stat_free(struct trace_stat *s);

#endif
