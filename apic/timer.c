/* Timer designs.  See timer.h. */
#include "apic/timer.h"

#include <string.h>

#include "apic/regs.h"

static const char *const names[APIC_TIMER_NDESIGNS] = {
	[APIC_TIMER_HRTIMER] = "hrtimer",
	[APIC_TIMER_PREEMPTION] = "preemption",
	[APIC_TIMER_EXITLESS] = "exitless",
};

const char *apic_timer_design_name(enum apic_timer_design d)
{
	return (unsigned)d < APIC_TIMER_NDESIGNS ? names[d] : "?";
}

int apic_timer_design_parse(const char *name)
{
	for (int i = 0; i < APIC_TIMER_NDESIGNS; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

struct apic_timer_expiry apic_timer_expiry(enum apic_timer_design d, bool running)
{
	struct apic_timer_expiry e = { .exit_reason = -1, .wakeup = !running };
	if (!running) {
		e.posted = d == APIC_TIMER_EXITLESS;
		return e;
	}
	switch (d) {
	case APIC_TIMER_HRTIMER: e.exit_reason = APIC_EXIT_EXTERNAL_INTERRUPT; break;
	case APIC_TIMER_PREEMPTION: e.exit_reason = APIC_EXIT_PREEMPTION_TIMER; break;
	default: e.posted = true; break;
	}
	return e;
}

uint32_t apic_preemption_timer_value(uint64_t deadline, uint64_t now, unsigned shift)
{
	if (deadline <= now)
		return 0;
	if (shift > 63)
		shift = 63;
	uint64_t delta = deadline - now;
	uint64_t v = (delta >> shift) + ((delta & ((1ull << shift) - 1)) != 0);
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}
