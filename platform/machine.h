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

#define MACHINE_MAX_CPUS 64
#define MACHINE_MAX_WINDOWS 8

/* A device window: MMIO (address space) or port I/O (x86). */
struct dev_window {
	const char *name;
	uint64_t base, size;
	const struct dev_ops *ops;
	void *dev;
	bool user;            /* emulated by the userspace VMM (costs a round trip) */
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
	uint8_t *ram;         /* host copy, shared by every vCPU engine */

	struct dev_window mmio[MACHINE_MAX_WINDOWS];
	unsigned nmmio;
	struct dev_window pio[MACHINE_MAX_WINDOWS];
	unsigned npio;

	FILE *console;        /* guest UART output */
	uint64_t *unassigned; /* stats: accesses to guest-physical addresses with nothing behind them */

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
/* CPI table of [cpu] as cycles x 1000, for the decoder. */
void machine_cpi_milli(const struct cfg *c, uint32_t cpi_milli[IC_COUNT]);

#endif
