/* trace.dat records -> struct trace_event.  libtracecmd reads the file (one
 * cursor per CPU, merged here by earliest timestamp, as trace-cmd does);
 * libtraceevent formats each record of an event hvsim uses with the kernel's
 * own print fmt (plugins off: the `trace-cmd report -N` text), which the
 * text parser then reads, so both inputs decode through one parser. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/err.h"
#include "traces/tracedat.h"

#if HAVE_LIBTRACECMD
#include <trace-cmd.h>

struct tracedat {
	struct tracecmd_input *in;
	struct tep_handle *tep;
	int ncpus;
	struct tep_record **next;	/* per CPU: its next record, NULL when done */
	struct tep_record *cur;		/* the record last returned */
	struct trace_seq seq;
	char name[64];
};

bool trace_have_tracedat(void) { return true; }

struct tracedat *tracedat_open(const char *path)
{
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *in = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!in) {
		err_set("%s: libtracecmd cannot read it as a trace.dat", path);
		return NULL;
	}
	struct tracedat *d = calloc(1, sizeof *d);
	d->in = in;
	d->tep = tracecmd_get_tep(in);
	d->ncpus = tep_get_cpus(d->tep);
	d->next = calloc((size_t)(d->ncpus > 0 ? d->ncpus : 1), sizeof *d->next);
	for (int c = 0; c < d->ncpus; c++)
		d->next[c] = tracecmd_read_cpu_first(in, c);
	trace_seq_init(&d->seq);
	return d;
}

/* The CPU whose next record is earliest (-1: all done). */
static int earliest(const struct tracedat *d)
{
	int best = -1;
	for (int c = 0; c < d->ncpus; c++)
		if (d->next[c] && (best < 0 || d->next[c]->ts < d->next[best]->ts))
			best = c;
	return best;
}

int tracedat_next(struct tracedat *d, struct trace_event *ev, uint64_t *lost, const char **why)
{
	if (d->cur)
		tracecmd_free_record(d->cur);
	d->cur = NULL;
	int c = earliest(d);
	if (c < 0)
		return TRACEDAT_END;
	struct tep_record *rec = d->cur = d->next[c];
	d->next[c] = tracecmd_read_data(d->in, c);
	if (rec->missed_events > 0)
		*lost += (uint64_t)rec->missed_events;
	memset(ev, 0, sizeof *ev);
	ev->ts_ns = rec->ts;
	ev->ts_raw = false;
	ev->cpu = rec->cpu;
	ev->pid = tep_data_pid(d->tep, rec);
	ev->vcpu = -1;
	struct tep_event *e = tep_find_event_by_record(d->tep, rec);
	if (!e) {
		*why = "record of an event the file does not describe";
		return -1;
	}
	snprintf(d->name, sizeof d->name, "%s", e->name);
	ev->name = d->name;
	ev->name_len = (uint32_t)strlen(d->name);
	if (trace_kind_lookup(d->name, ev->name_len) == TEV_OTHER)
		return 1;	/* not formatted: nothing in it is used */
	trace_seq_reset(&d->seq);
	tep_print_event(d->tep, &d->seq, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&d->seq);
	if (trace_parse_args(d->name, ev->name_len, d->seq.buffer, strlen(d->seq.buffer), ev, why) < 0)
		return -1;
	if (ev->vcpu >= TRACE_MAX_VCPU) {
		*why = "vcpu id out of range";
		return -1;
	}
	return 1;
}

void tracedat_close(struct tracedat *d)
{
	if (d->cur)
		tracecmd_free_record(d->cur);
	for (int c = 0; c < d->ncpus; c++)
		if (d->next[c])
			tracecmd_free_record(d->next[c]);
	free(d->next);
	trace_seq_destroy(&d->seq);
	tracecmd_close(d->in);
	free(d);
}

#else

struct tracedat {
	int unused;
};

bool trace_have_tracedat(void) { return false; }

struct tracedat *tracedat_open(const char *path)
{
	err_set("%s: a trace.dat, but this hvsim was built without libtracecmd (install libtracecmd-dev, "
		"libtraceevent-dev and libtracefs-dev, then re-run ./configure); `trace-cmd report -N %s | "
		"hvsim trace stat -` reads it as text", path, path);
	return NULL;
}

int tracedat_next(struct tracedat *d, struct trace_event *ev, uint64_t *lost, const char **why)
{
	return TRACEDAT_END;
}

void tracedat_close(struct tracedat *d) { (void)d; }

#endif
