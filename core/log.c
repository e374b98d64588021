/* Warnings and per-component debug output on stderr. */
#include "core/log.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

unsigned log_mask;

static const struct {
	const char *name;
	const char *doc;
} comps[LOG_COMP_COUNT] = {
	[LOG_CPU]    = { "cpu",    "vCPU run loop, exception entry" },
	[LOG_EXIT]   = { "exit",   "every VM exit with reason, syndrome and cost" },
	[LOG_MMIO]   = { "mmio",   "device register accesses" },
	[LOG_PSCI]   = { "psci",   "PSCI, hypercalls, start-up mailbox" },
	[LOG_SCHED]  = { "sched",  "quanta, vCPU state changes, events" },
	[LOG_ELF]    = { "elf",    "firmware loading" },
	[LOG_DECODE] = { "decode", "translated-block decode" },
	[LOG_CONFIG] = { "config", "design values and where they came from" },
	[LOG_GIC]    = { "gic",    "interrupt controller: injections, acknowledges, guest errors" },
};

const char *log_comp_name(enum log_comp c)
{
	return (unsigned)c < LOG_COMP_COUNT ? comps[c].name : "?";
}

const char *log_comp_doc(enum log_comp c)
{
	return (unsigned)c < LOG_COMP_COUNT ? comps[c].doc : "?";
}

static int bad_name(const char *list, size_t len, const char *name)
{
	char valid[256] = "";
	size_t off = 0;

	for (unsigned i = 0; i < LOG_COMP_COUNT; i++)
		off += (size_t)snprintf(valid + off, sizeof valid - off, "%s, ", comps[i].name);
	snprintf(valid + off, sizeof valid - off, "all");
	if (len == 0)
		return err_set("empty debug component name in '%s' (valid: %s)", list, valid);
	return err_set("unknown debug component '%.*s' (valid: %s)", (int)len, name, valid);
}

int log_parse(const char *list)
{
	unsigned mask = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned i;

		if (len == 0)
			return bad_name(list, 0, p);
		if (len == 3 && strncmp(p, "all", 3) == 0) {
			mask |= (1u << LOG_COMP_COUNT) - 1;
		} else {
			for (i = 0; i < LOG_COMP_COUNT; i++)
				if (strlen(comps[i].name) == len && strncmp(p, comps[i].name, len) == 0)
					break;
			if (i == LOG_COMP_COUNT)
				return bad_name(list, len, p);
			mask |= 1u << i;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	log_mask = mask;
	return 0;
}

void log_dbg(enum log_comp c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One write per line so lines from different sources do not interleave. */
	fprintf(stderr, "[%s] %s\n", log_comp_name(c), msg);
}

void log_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "hvsim: warning: %s\n", msg);
}
