/* Register-level device interface shared by MMIO and port-I/O devices. */
#ifndef HVSIM_DEV_DEV_H
#define HVSIM_DEV_DEV_H
#include <stdint.h>

struct dev_ops {
	/* off: byte offset into the device window; size: 1, 2, 4 or 8 */
	uint64_t (*read)(void *dev, uint64_t off, unsigned size);
	void (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
};

/* Where a device's characters go (the machine's console). */
typedef void (*dev_putc_fn)(void *ctx, uint8_t c);

#endif
