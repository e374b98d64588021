/* Arm semihosting (Semihosting for AArch32 and AArch64, Arm IHI 0095,
 * "HLT #0xF000" in A64): the console and exit operations QEMU's
 * -semihosting serves to bare-metal test programs, and the simulated clock.
 * Everything else is refused with the specification's error return (-1).
 * Knows no Unicorn: guest memory through the caller's accessor. */
#ifndef HVSIM_PLATFORM_SEMIHOST_H
#define HVSIM_PLATFORM_SEMIHOST_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/sim.h"

/* Operation numbers (IHI 0095 chapter 6) */
enum {
	SEMIHOST_SYS_OPEN = 0x01, SEMIHOST_SYS_WRITEC = 0x03, SEMIHOST_SYS_WRITE0 = 0x04,
	SEMIHOST_SYS_WRITE = 0x05, SEMIHOST_SYS_CLOCK = 0x10, SEMIHOST_SYS_EXIT = 0x18,
	SEMIHOST_SYS_EXIT_EXTENDED = 0x20, SEMIHOST_SYS_ELAPSED = 0x30, SEMIHOST_SYS_TICKFREQ = 0x31,
};
/* ADP_Stopped_ApplicationExit: the reason code of a normal exit (6.5) */
#define SEMIHOST_APP_EXIT 0x20026

struct semihost_io {
	/* reads/writes len bytes of guest memory at a virtual address */
	bool (*read)(void *ctx, uint64_t va, void *buf, size_t len);
	bool (*write)(void *ctx, uint64_t va, const void *buf, size_t len);
	void *ctx;
	FILE *console;
	cycles_t now;          /* the calling vCPU's clock: SYS_CLOCK, SYS_ELAPSED */
	uint64_t freq_hz;      /* cycles per second: SYS_TICKFREQ */
};

struct semihost_result {
	uint64_t ret;          /* X0 */
	bool exit;             /* SYS_EXIT(_EXTENDED): the machine stops */
	int status;            /* with this status */
};

/* One call: op = W0, param = X1 (AArch64: parameter blocks of 64-bit words). */
void semihost_call(const struct semihost_io *io, uint32_t op, uint64_t param, struct semihost_result *r);

#endif
