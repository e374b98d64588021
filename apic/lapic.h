/* The local APIC of one x86 CPU (Intel SDM Vol. 3A chapter 10): xAPIC mode
 * (the 4 KiB MMIO page at IA32_APIC_BASE) and x2APIC mode (MSRs 800H-8FFH),
 * IRR/ISR/TMR, TPR/PPR/APR, EOI with directed-EOI suppression, the ICR
 * decoded into an interrupt message the machine routes, destination matching
 * (physical, logical flat/cluster, x2APIC cluster), lowest-priority
 * arbitration, the LVT and the timer (one-shot, periodic, TSC-deadline),
 * INIT and start-up IPIs.  Layouts in apic/regs.h.
 *
 * Model library layer: knows neither Unicorn nor trace formats, nor any
 * clock: every time is a core-cycle count or a TSC value passed in, and the
 * timer input clock is `bus_cycles` core cycles per tick (a design value).
 *
 * The register state lives in a 4 KiB page at the architectural offsets
 * (32-bit registers, little-endian), as KVM keeps it: the x2APIC MSR view,
 * the MMIO view and the virtual-APIC page of APICv (apic/vapic.h) are the
 * same bytes.  Implemented as KVM and QEMU present it: version 14H, six
 * LVT entries (no CMCI: Max LVT = 5), EOI-broadcast suppression supported,
 * TSC-deadline mode supported, focus checking not implemented (reserved on
 * Pentium 4 and later, 10.9).  Each IMPLEMENTATION DEFINED choice is marked
 * in lapic.c. */
#ifndef HVSIM_APIC_LAPIC_H
#define HVSIM_APIC_LAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "apic/regs.h"
#include "core/sim.h"

#define LAPIC_VERSION    0x14u     /* Pentium 4 / Xeon and later (10.4.8) */
#define LAPIC_NR_LVT     6         /* timer, thermal, perf, LINT0, LINT1, error */
#define LAPIC_NEVER      UINT64_MAX

/* An interrupt message: an IPI decoded from the ICR, a self-IPI, an I/O APIC
 * redirection entry or an MSI.  dest is 8 bits (xAPIC format) or 32 bits
 * (x2APIC format, x2apic_dest set). */
struct apic_msg {
	uint8_t vector;
	enum apic_delivery mode;
	bool logical;                 /* destination mode: logical */
	enum apic_shorthand shorthand;
	uint32_t dest;
	bool x2apic_dest;
	bool level;                   /* ICR level: 0 only for INIT level de-assert */
	bool trig_level;              /* trigger mode: level */
};

/* What the CPU does next after INIT / start-up (8.4, 10.6.1). */
enum lapic_cpu_state {
	LAPIC_CPU_RUNNING,
	LAPIC_CPU_WAIT_SIPI,          /* an AP after INIT: only a SIPI starts it */
	LAPIC_CPU_RESET,              /* the BSP after INIT: restarts at the reset vector */
};

struct lapic {
	uint8_t regs[APIC_PAGE_SIZE];
	uint64_t apic_base;           /* IA32_APIC_BASE */
	uint32_t x2apic_id;           /* initial APIC ID (CPUID.0BH:EDX) */
	uint64_t bus_cycles;          /* core cycles per timer input tick */
	/* non-vectored events waiting for the CPU */
	bool nmi_pending, smi_pending, extint_pending;
	enum lapic_cpu_state state;
	int sipi_vector;              /* vector of the SIPI that started the CPU, -1 none */
	bool started;                 /* a SIPI moved state to RUNNING: the machine starts the AP */
	/* timer */
	cycles_t timer_start;         /* when the count was timer_count0 */
	uint32_t timer_count0;
	cycles_t timer_next;          /* next expiry (one-shot, periodic) or LAPIC_NEVER */
	uint64_t tsc_deadline;        /* IA32_TSC_DEADLINE, 0 = disarmed */
	uint64_t timer_fired;         /* expiries, including coalesced periodic ones */
	uint8_t esr_pending;          /* errors latched into ESR by the next ESR write */
	uint64_t *guest_errors;       /* bad offset/width/value (points at own_errors by default) */
	uint64_t own_errors;
};

/* Effects of a register write that the machine acts upon. */
struct lapic_event {
	bool ipi;                     /* msg holds an IPI to route (apic_route) */
	struct apic_msg msg;
	int eoi_vector;               /* EOI: the vector retired, -1 none */
	bool eoi_broadcast;           /* level-triggered and not suppressed: tell the I/O APICs */
	bool timer_changed;           /* re-read lapic_timer_next */
};

/* Results of an x2APIC MSR access. */
enum apic_msr_result {
	APIC_MSR_OK,
	APIC_MSR_GP,                  /* #GP(0) to the guest */
	APIC_MSR_NOT_APIC,            /* not an APIC MSR: the caller handles it */
};

/* Power-up reset (10.4.7.1): xAPIC mode, enabled, APIC ID = x2apic_id
 * (bits 7:0 in xAPIC mode), BSP flag as given. */
void lapic_init(struct lapic *l, uint32_t x2apic_id, bool bsp, uint64_t bus_cycles);
/* INIT (10.4.7.3): the registers reset, except the APIC ID, the arbitration
 * ID and IA32_APIC_BASE (so the mode); the CPU then waits for a SIPI (AP) or
 * restarts at the reset vector (BSP). */
void lapic_init_signal(struct lapic *l);

bool lapic_hw_enabled(const struct lapic *l);    /* IA32_APIC_BASE.EN */
bool lapic_sw_enabled(const struct lapic *l);    /* SVR.APIC software enable */
bool lapic_x2apic_mode(const struct lapic *l);
/* The APIC ID the destination logic uses: 8 bits in xAPIC mode, 32 in x2APIC. */
uint32_t lapic_id(const struct lapic *l);
/* The x2APIC LDR derived from the x2APIC ID (10.12.10.2). */
uint32_t x2apic_ldr(uint32_t x2apic_id);

/* IA32_APIC_BASE write (10.12.5, Figure 10-27): invalid transitions and
 * reserved bits are refused (#GP) and change nothing. */
enum apic_msr_result lapic_set_base(struct lapic *l, uint64_t val);

/* xAPIC MMIO access at `off` in the 4 KiB page.  False: not decoded (the
 * APIC is globally disabled or in x2APIC mode, where the page does not
 * exist, 10.12.2): the access goes to whatever else is there. */
bool lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size, uint64_t *val, cycles_t now);
bool lapic_mmio_write(struct lapic *l, uint64_t off, unsigned size, uint64_t val, cycles_t now,
		      struct lapic_event *ev);
/* RDMSR/WRMSR: IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range
 * 800H-BFFH (registers at 800H-83FH, the rest reserved: #GP).  Outside x2APIC
 * mode every x2APIC MSR is #GP.  Anything else: APIC_MSR_NOT_APIC. */
enum apic_msr_result lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val, cycles_t now);
enum apic_msr_result lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val, cycles_t now,
				 struct lapic_event *ev);
bool apic_msr_in_x2apic_range(uint32_t msr);
/* An x2APIC register RDMSR may read (not 809H APR, 80EH DFR, 831H ICR2, the
 * write-only EOI and SELF IPI, or a reserved MSR in 800H-8FFH). */
bool apic_x2apic_readable(uint32_t msr);

/* Register bits as a 256-bit vector set (ISR, TMR, IRR at their offsets). */
bool apic_vec_test(const uint8_t *page, unsigned reg, unsigned vector);
void apic_vec_set(uint8_t *page, unsigned reg, unsigned vector, bool on);
int apic_vec_highest(const uint8_t *page, unsigned reg);        /* -1: empty */
/* No bit set (every guest entry asks; inline, the byte order does not matter) */
static inline bool apic_vec_empty(const uint8_t *page, unsigned reg)
{
	uint32_t any = 0;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t w;
		__builtin_memcpy(&w, page + reg + i * 0x10, 4);
		any |= w;
	}
	return !any;
}
uint32_t apic_reg_get(const uint8_t *page, unsigned off);
void apic_reg_put(uint8_t *page, unsigned off, uint32_t v);

/* Priorities (10.8.3.1, 10.6.2.4) */
uint8_t apic_ppr(uint8_t tpr, int isrv);                        /* isrv -1: ISR empty */
uint8_t lapic_ppr(const struct lapic *l);
uint8_t lapic_apr(const struct lapic *l);
/* The vector the CPU would take now: the highest IRR whose class is above the
 * PPR's class; -1 if none (10.8.3.1). */
int lapic_pending_vector(const struct lapic *l);
/* INTA (10.8.4): the highest deliverable IRR bit moves to ISR; returns its
 * vector, or the SVR spurious vector when none is deliverable (10.9). */
int lapic_ack(struct lapic *l);
/* EOI: retires the highest ISR bit (10.8.5). */
void lapic_eoi(struct lapic *l, struct lapic_event *ev);

/* ICR (64 bits as in x2APIC; the xAPIC ICR_HIGH in bits 63:32) to a message. */
struct apic_msg apic_decode_icr(uint64_t icr, bool x2apic);
/* The INIT level de-assert message (10.6.1): a synchronisation that Pentium 4
 * and later ignore. */
bool apic_msg_is_init_deassert(const struct apic_msg *m);
/* Is `dst` a destination of m sent by `src` (NULL: from an I/O APIC or MSI)? */
bool lapic_match_dest(const struct lapic *dst, const struct lapic *src, const struct apic_msg *m);
/* The LAPICs that accept m: sets is_target[i] for each of lapics[0..n-1];
 * lowest-priority picks the one matched LAPIC with the lowest arbitration
 * priority.  Returns the number of targets. */
unsigned apic_route(struct lapic *const *lapics, unsigned n, const struct lapic *src, const struct apic_msg *m,
		    bool *is_target);
/* Delivers m to l (a target): fixed/lowest set IRR (and TMR by trigger), NMI,
 * SMI and ExtINT become pending, INIT resets, SIPI starts a CPU waiting for
 * it.  Returns false when l ignores it (disabled, illegal vector, SIPI not
 * awaited, INIT de-assert, fixed vector already pending). */
bool lapic_accept(struct lapic *l, const struct apic_msg *m);
/* Physical address at which a SIPI with this vector starts the AP, in real
 * mode with CS = vector << 8, IP = 0 (8.4.4.1). */
static inline uint32_t apic_sipi_entry(uint8_t vector) { return (uint32_t)vector << 12; }

/* LVT: delivers the local interrupt of the entry at `lvt_off` unless masked. */
bool lapic_lvt_deliver(struct lapic *l, unsigned lvt_off);

/* Timer (10.5.4).  Divisor from TDCR. */
unsigned lapic_timer_divisor(const struct lapic *l);
enum apic_timer_mode lapic_timer_mode(const struct lapic *l);
uint32_t lapic_timer_current(const struct lapic *l, cycles_t now);   /* TMCCT */
/* The next event: core cycles (one-shot/periodic), or a TSC value (TSC-deadline). */
struct lapic_deadline {
	enum { LAPIC_DL_NONE, LAPIC_DL_CYCLES, LAPIC_DL_TSC } kind;
	uint64_t at;
};
struct lapic_deadline lapic_timer_next(const struct lapic *l);
/* Fires the timer if due at (now, tsc): sets the LVT timer vector pending
 * (unless masked) and rearms a periodic timer.  Returns the number of
 * expiries since the last call (periodic ones that came together are
 * coalesced into one interrupt). */
unsigned lapic_timer_poll(struct lapic *l, cycles_t now, uint64_t tsc);

#endif
