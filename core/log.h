/* Logging: warnings always, debug output per component (--debug cpu,exit). */
#ifndef HVSIM_CORE_LOG_H
#define HVSIM_CORE_LOG_H
#include <stdarg.h>

enum log_comp {
	LOG_CPU,     /* vCPU run loop, exception entry */
	LOG_EXIT,    /* every VM exit with reason, syndrome and cost */
	LOG_MMIO,    /* device register accesses */
	LOG_PSCI,    /* PSCI / hypercalls / start-up mailbox */
	LOG_SCHED,   /* quanta, vCPU state changes, events */
	LOG_ELF,     /* firmware loading */
	LOG_DECODE,  /* translated-block decode */
	LOG_CONFIG,  /* design values and where they came from */
	LOG_GIC,     /* interrupt controller: injections, acknowledges, guest errors */
	LOG_COMP_COUNT
};

extern unsigned log_mask;

/* Parses "cpu,exit" or "all".  Unknown name: err_set naming it and listing the
 * valid names, returns -1. */
int log_parse(const char *list);
const char *log_comp_name(enum log_comp c);
const char *log_comp_doc(enum log_comp c);

/* Writes "[name] message\n" to stderr. */
void log_dbg(enum log_comp c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes "hvsim: warning: message\n" to stderr. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define DBG(c, ...) do { if (log_mask & (1u << (c))) log_dbg((c), __VA_ARGS__); } while (0)
#define DBG_ON(c) ((log_mask & (1u << (c))) != 0)

#endif
