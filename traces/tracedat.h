/* Binary trace.dat through Debian's libtracecmd / libtraceevent (never a
 * parser of our own for the file format).  Built without them, the open
 * says so. */
#ifndef HVSIM_TRACES_TRACEDAT_H
#define HVSIM_TRACES_TRACEDAT_H
#include "traces/trace.h"

enum { TRACEDAT_END = 2 };

struct tracedat;

/* NULL with err_msg() when the file cannot be read (or hvsim was built
 * without libtracecmd). */
struct tracedat *tracedat_open(const char *path);
/* The next record, the CPUs merged by timestamp: 1, 0 (not an event the
 * reader returns), -1 malformed (*why), TRACEDAT_END.  Adds the events the
 * tracer dropped to *lost. */
int tracedat_next(struct tracedat *d, struct trace_event *ev, uint64_t *lost, const char **why);
void tracedat_close(struct tracedat *d);

#endif
