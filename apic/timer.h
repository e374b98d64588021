/* How the hypervisor backs a vCPU's LAPIC timer: three designs, what an
 * expiry costs the vCPU in each (which exit, if any), and the VMX-preemption
 * timer value for a TSC deadline.
 *
 *  - APIC_TIMER_HRTIMER: emulated on a host high-resolution timer (KVM's
 *    software timer).  The host interrupt lands on the pCPU running the
 *    vCPU: an external-interrupt exit, then injection on entry.
 *  - APIC_TIMER_PREEMPTION: the deadline is loaded into the VMX-preemption
 *    timer on entry (KVM's "hv timer"): expiry is a VMX-preemption-timer exit
 *    (SDM 26.5.1), no host interrupt.  A blocked vCPU has no VMCS loaded:
 *    KVM switches it to the host timer, which wakes it.
 *  - APIC_TIMER_EXITLESS: a housekeeping CPU's timer posts the vector to the
 *    vCPU's PI descriptor (apic/posted.h): with the vCPU running the
 *    notification is processed by the hardware (SDM 30.6), no exit; a
 *    blocked vCPU gets the wake-up vector.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_APIC_TIMER_H
#define HVSIM_APIC_TIMER_H
#include <stdbool.h>
#include <stdint.h>

enum apic_timer_design { APIC_TIMER_HRTIMER, APIC_TIMER_PREEMPTION, APIC_TIMER_EXITLESS, APIC_TIMER_NDESIGNS };

struct apic_timer_expiry {
	int exit_reason;      /* APIC_EXIT_* the running vCPU takes, -1 none */
	bool posted;          /* the vector arrives through the PI descriptor */
	bool wakeup;          /* a blocked vCPU is woken by the host */
};

const char *apic_timer_design_name(enum apic_timer_design d);
/* -1 for an unknown name. */
int apic_timer_design_parse(const char *name);
/* What the timer's expiry does to a vCPU that is running (in non-root) or
 * blocked (HLT in the hypervisor). */
struct apic_timer_expiry apic_timer_expiry(enum apic_timer_design d, bool running);
/* The VMX-preemption timer value that expires no earlier than `deadline`:
 * the timer counts down by one each time bit `rate_shift` of the TSC changes
 * (IA32_VMX_MISC[4:0], SDM A.6), so the value is the TSC distance divided by
 * 2^rate_shift, rounded up; 0 if the deadline has passed, saturated at the
 * field's 32 bits. */
uint32_t apic_preemption_timer_value(uint64_t deadline_tsc, uint64_t now_tsc, unsigned rate_shift);

#endif
