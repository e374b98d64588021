/* The Arm generic timer of one vCPU as its guest sees it (Arm DDI 0487
 * D11 "The Generic Timer in AArch64 state"): the counter (CNTFRQ_EL0,
 * CNTVCT_EL0, CNTPCT_EL0) and the EL1 virtual and physical timers
 * (CNTV_*, CNTP_*), on the simulated clock: count = cycles * CNTFRQ / core
 * clock, CNTVOFF_EL2 = 0 (KVM starts the virtual count at zero with the VM;
 * hvsim's clock starts there too).
 *
 * A timer's output (its interrupt request, D11.2.4) is asserted while
 * ENABLE == 1, IMASK == 0 and the count has reached CVAL; the machine wires
 * it to a level-sensitive PPI (virtual 27, physical 30 on QEMU virt).
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_DEV_ARCH_TIMER_H
#define HVSIM_DEV_ARCH_TIMER_H
#include <stdbool.h>
#include <stdint.h>
#include "core/field.h"
#include "core/sim.h"
#include "cpu/el2.h"        /* SYS_REG() packing */

enum arch_timer_id { ARCH_TIMER_VIRT, ARCH_TIMER_PHYS, ARCH_TIMER_COUNT };

/* CNTV_CTL_EL0 / CNTP_CTL_EL0 (D13.8.x): 2 ISTATUS (RO) | 1 IMASK | 0 ENABLE */
FIELD(CNT_CTL, ENABLE, 0, 1)
FIELD(CNT_CTL, IMASK, 1, 1)
FIELD(CNT_CTL, ISTATUS, 2, 1)

#define CNTFRQ_EL0    SYS_REG(3, 3, 14, 0, 0)
#define CNTPCT_EL0    SYS_REG(3, 3, 14, 0, 1)
#define CNTVCT_EL0    SYS_REG(3, 3, 14, 0, 2)
#define CNTP_TVAL_EL0 SYS_REG(3, 3, 14, 2, 0)
#define CNTP_CTL_EL0  SYS_REG(3, 3, 14, 2, 1)
#define CNTP_CVAL_EL0 SYS_REG(3, 3, 14, 2, 2)
#define CNTV_TVAL_EL0 SYS_REG(3, 3, 14, 3, 0)
#define CNTV_CTL_EL0  SYS_REG(3, 3, 14, 3, 1)
#define CNTV_CVAL_EL0 SYS_REG(3, 3, 14, 3, 2)
#define CNTKCTL_EL1   SYS_REG(3, 0, 14, 1, 0)

/* Counter frequency against the core clock (shared by all vCPUs). */
struct arch_counter {
	uint64_t cntfrq_hz, cpu_hz;
};
uint64_t arch_counter_count(const struct arch_counter *k, cycles_t now);
/* First cycle at which the count is >= count (UINT64_MAX if never). */
cycles_t arch_counter_cycles_at(const struct arch_counter *k, uint64_t count);

struct arch_timer {
	uint64_t ctl;                /* ENABLE and IMASK as written */
	uint64_t cval;
};

struct arch_timers {             /* one vCPU's */
	struct arch_timer t[ARCH_TIMER_COUNT];
	uint64_t cntkctl;            /* CNTKCTL_EL1: kept, EL0 access not modelled */
};

bool arch_timer_output(const struct arch_counter *k, const struct arch_timer *t, cycles_t now);
/* When the output will assert with the current settings: UINT64_MAX if
 * the timer is disabled or masked. */
cycles_t arch_timer_due(const struct arch_counter *k, const struct arch_timer *t);

/* A guest access to `reg` at time `now`.  Returns false if reg is not a
 * generic-timer register this model serves (CNTFRQ_EL0 writes included:
 * only the highest EL may write it). */
bool arch_timer_access(struct arch_timers *ts, const struct arch_counter *k, uint32_t reg, bool is_read,
		       uint64_t *val, cycles_t now);

#endif
