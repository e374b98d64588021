/* Generic timer.  See arch_timer.h. */
#include "dev/arch_timer.h"

uint64_t arch_counter_count(const struct arch_counter *k, cycles_t now)
{
	return (uint64_t)((unsigned __int128)now * k->cntfrq_hz / k->cpu_hz);
}

cycles_t arch_counter_cycles_at(const struct arch_counter *k, uint64_t count)
{
	unsigned __int128 c = ((unsigned __int128)count * k->cpu_hz + k->cntfrq_hz - 1) / k->cntfrq_hz;
	return c > UINT64_MAX ? UINT64_MAX : (cycles_t)c;
}

static bool armed(const struct arch_timer *t)
{
	return FIELD_EX(t->ctl, CNT_CTL, ENABLE) && !FIELD_EX(t->ctl, CNT_CTL, IMASK);
}

/* ISTATUS: the condition holds (D11.2.4), whatever IMASK says. */
static bool condition(const struct arch_counter *k, const struct arch_timer *t, cycles_t now)
{
	return FIELD_EX(t->ctl, CNT_CTL, ENABLE) && arch_counter_count(k, now) >= t->cval;
}

bool arch_timer_output(const struct arch_counter *k, const struct arch_timer *t, cycles_t now)
{
	return armed(t) && condition(k, t, now);
}

cycles_t arch_timer_due(const struct arch_counter *k, const struct arch_timer *t)
{
	return armed(t) ? arch_counter_cycles_at(k, t->cval) : UINT64_MAX;
}

/* CTL, CVAL and TVAL (a signed 32-bit view of CVAL - count, D11.2.4). */
static void timer_access(struct arch_timer *t, const struct arch_counter *k, unsigned which, bool is_read,
			 uint64_t *val, cycles_t now)
{
	uint64_t count = arch_counter_count(k, now);
	switch (which) {
	case 0:   /* TVAL */
		if (is_read)
			*val = (uint32_t)(t->cval - count);
		else
			t->cval = count + (uint64_t)(int64_t)(int32_t)*val;
		break;
	case 1:   /* CTL */
		if (is_read)
			*val = FIELD_DP(t->ctl, CNT_CTL, ISTATUS, condition(k, t, now));
		else
			t->ctl = *val & (FIELD_MASK(CNT_CTL, ENABLE) | FIELD_MASK(CNT_CTL, IMASK));
		break;
	default:  /* CVAL */
		if (is_read)
			*val = t->cval;
		else
			t->cval = *val;
		break;
	}
}

bool arch_timer_access(struct arch_timers *ts, const struct arch_counter *k, uint32_t reg, bool is_read,
		       uint64_t *val, cycles_t now)
{
	switch (reg) {
	case CNTFRQ_EL0:
		if (is_read)
			*val = k->cntfrq_hz;
		return is_read;
	case CNTPCT_EL0:
	case CNTVCT_EL0:   /* CNTVOFF_EL2 = 0 */
		if (is_read)
			*val = arch_counter_count(k, now);
		return is_read;
	case CNTKCTL_EL1:
		if (is_read)
			*val = ts->cntkctl;
		else
			ts->cntkctl = *val;
		return true;
	case CNTV_TVAL_EL0: case CNTV_CTL_EL0: case CNTV_CVAL_EL0:
		timer_access(&ts->t[ARCH_TIMER_VIRT], k, SYS_REG_OP2(reg), is_read, val, now);
		return true;
	case CNTP_TVAL_EL0: case CNTP_CTL_EL0: case CNTP_CVAL_EL0:
		timer_access(&ts->t[ARCH_TIMER_PHYS], k, SYS_REG_OP2(reg), is_read, val, now);
		return true;
	}
	return false;
}
