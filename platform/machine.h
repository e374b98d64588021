/* A machine: guest RAM, device windows, and the services its hypervisor
 * offers, assembled from the models.  Knows no CPU engine: the engine
 * registers callbacks (cpu_start, stop) and routes guest accesses here. */
#ifndef HVSIM_PLATFORM_MACHINE_H
#define HVSIM_PLATFORM_MACHINE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/cfg.h"
#include "core/sim.h"
#include "core/stats.h"
#include "cpu/decode.h"
#include "dev/dev.h"
#include "loader/elf.h"
#include "platform/hvsim-abi.h"

#define MACHINE_MAX_CPUS 64
#define MACHINE_MAX_WINDOWS 8
#define MACHINE_GUEST_ARGS HVSIM_GUEST_ARGS  /* [guest] arg0..arg3, read by the ARG hypercall */

/* A device window: MMIO (address space) or port I/O (x86). */
struct dev_window {
	const char *name;
	uint64_t base, size;
	const struct dev_ops *ops;
	void *dev;
	bool user;            /* emulated by the userspace VMM (costs a round trip) */
};

/* The machine's interrupt controller and per-CPU interrupt sources (ARM:
 * the GIC with the hypervisor's vgic, and the generic timer; x86: the local
 * APICs and the I/O APIC), as the front ends reach them: one small
 * interface, no per-architecture fields in the vCPU layer.  `now` is always
 * the calling vCPU's clock.  On x86 the APIC registers are reached through
 * the machine's MSRs and MMIO windows, not sysreg_class/sysreg (NULL), and
 * poll's physical interrupt is an EXTERNAL_INTERRUPT exit. */
enum irqc_sysreg {
	IRQC_NOT_MINE,        /* not a controller or timer register */
	IRQC_DIRECT,          /* served by the hardware, no exit */
	IRQC_TRAP,            /* traps to the hypervisor (an exit), which emulates it */
};
struct irq_ctrl_ops {
	enum irqc_sysreg (*sysreg_class)(void *ctx, uint32_t reg, bool is_read);
	/* The access itself, after any exit was charged (trapped: the
	 * hypervisor emulates it); false: UNDEFINED. */
	bool (*sysreg)(void *ctx, unsigned cpu, uint32_t reg, bool is_read, uint64_t *val, cycles_t now,
		       bool trapped);
	/* An exit to the hypervisor starts (before its handler runs). */
	void (*exit)(void *ctx, unsigned cpu);
	/* List registers the hypervisor saves at this exit and restores at the
	 * next entry (the world switch's vGIC part), asked before exit; NULL:
	 * none (x86). */
	unsigned (*saved_lrs)(void *ctx, unsigned cpu);
	/* The vCPU runs and now >= check_at[cpu]: timers, kicks from other
	 * vCPUs, maintenance.  Returns what a physical interrupt to the
	 * hypervisor was for ("timer", "kick", "maintenance"), for which the
	 * caller takes an IRQ exit, or NULL. */
	const char *(*poll)(void *ctx, unsigned cpu, cycles_t now);
	/* Before the guest runs again: injection.  Returns its cycles. */
	cycles_t (*entry)(void *ctx, unsigned cpu, cycles_t now);
	/* The poll and entry after an exit, done at once when they would
	 * change nothing but check_at[cpu]: no poll due, nothing to inject, no
	 * work left for the entry.  True if done; false: the caller leaves
	 * them to its next check.  NULL: not offered. */
	bool (*quiet_entry)(void *ctx, unsigned cpu, cycles_t now);
	/* The virtual IRQ signal: taken if PSTATE.I is clear. */
	bool (*irq_line)(void *ctx, unsigned cpu);
	/* The guest took the IRQ exception (latency statistics). */
	void (*irq_taken)(void *ctx, unsigned cpu, cycles_t now);
	/* x86 (NULL on ARM): the hypervisor injects the interrupt irq_line
	 * signals, the guest being able to take it: the vector acknowledged
	 * (INTA, IRR to ISR) or -1, and in *cycles the injection's cost.  The
	 * latency statistics are recorded here (irq_taken is not called). */
	int (*irq_ack)(void *ctx, unsigned cpu, cycles_t now, cycles_t *cycles);
	/* The vCPU waits for an interrupt (WFI; in_hyp: blocked in the
	 * hypervisor after a trapped WFI or PSCI suspend, not in hardware).
	 * Returns when it resumes if no other vCPU acts: now when a wake-up
	 * event is pending, a later time (a timer, with the hypervisor's wake-up
	 * cost), or UINT64_MAX.  The controller wakes a halted vCPU itself. */
	cycles_t (*wait)(void *ctx, unsigned cpu, cycles_t now, bool in_hyp);
};
struct irq_ctrl {
	const struct irq_ctrl_ops *ops;
	void *ctx;
	/* Earliest time cpu's interrupt state must be looked at again (poll):
	 * a timer deadline, a kick, a local change; UINT64_MAX for none.  Front
	 * ends compare it with the vCPU clock on every translated block. */
	cycles_t check_at[MACHINE_MAX_CPUS];
};

struct machine {
	enum isa isa;
	const char *name;     /* "virt" or "pc" */
	const struct cfg *cfg;
	struct stats *stats;
	const struct elf_image *elf;

	unsigned ncpus;
	uint64_t freq_hz;     /* core clock: cycles <-> seconds */
	uint64_t ram_base, ram_size;
	uint64_t guest_arg[MACHINE_GUEST_ARGS];
	uint8_t *ram;         /* host copy, shared by every vCPU engine */

	struct dev_window mmio[MACHINE_MAX_WINDOWS];
	unsigned nmmio;
	struct dev_window pio[MACHINE_MAX_WINDOWS];
	unsigned npio;

	FILE *console;        /* guest UART output */
	uint64_t *unassigned; /* stats: accesses to guest-physical addresses with nothing behind them */
	uint64_t *unmodelled; /* stats: guest accesses to what hvsim does not model (machine_unmodelled) */
	uint64_t *unmodelled_kinds;  /* of them, distinct names (each reported once), up to MACHINE_UNMODELLED_NAMES */
	char **unmodelled_seen;      /* the names reported so far */
	unsigned nunmodelled_seen;
	bool unmodelled_more;        /* more names than MACHINE_UNMODELLED_NAMES: said once */
	struct irq_ctrl *irqc;  /* NULL: no interrupt controller modelled */

	/* Set by the engine. */
	void (*cpu_start)(struct machine *m, unsigned cpu, uint64_t entry, uint64_t arg, cycles_t when);
	struct sim *sim;
	unsigned cur_cpu;     /* vCPU whose access is being handled (devices may ask) */
};

extern const struct cfg_key machine_cfg_keys[];   /* [sim] and [cpu], common to all machines */
extern const unsigned machine_cfg_nkeys;

/* Common part of set-up: RAM, clock, console.  -1 + err_set on failure. */
int machine_init(struct machine *m, enum isa isa, const char *name, const struct cfg *c,
		 struct stats *st, uint64_t ram_base);
void machine_fini(struct machine *m);
/* Copies the ELF's segments into RAM (zero-filling bss). */
void machine_load_elf(struct machine *m, const struct elf_image *img);
const struct dev_window *machine_find_mmio(const struct machine *m, uint64_t addr);
const struct dev_window *machine_find_pio(const struct machine *m, uint64_t port);
bool machine_in_ram(const struct machine *m, uint64_t addr, uint64_t len);
/* The guest used something hvsim does not model (a system register, an
 * instruction, a device address): counted, and reported on stderr the first
 * time NAME is seen ("hvsim: warning: unmodelled: NAME: WHAT (reported
 * once)"), so the next gap is visible and never silently ignored. */
#define MACHINE_UNMODELLED_NAMES 64   /* a guest sweeping memory with no device names a page each */
void machine_unmodelled(struct machine *m, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* CPI table of [cpu] as cycles x 1000, for the decoder. */
void machine_cpi_milli(const struct cfg *c, uint32_t cpi_milli[IC_COUNT]);

#endif
