/* ARM PrimeCell UART (PL011), transmit side; reads of the receive side say
 * "empty".  Register map: PL011 TRM (DDI 0183G) 3.2, summary table 3-1. */
#ifndef HVSIM_DEV_PL011_H
#define HVSIM_DEV_PL011_H
#include "dev/dev.h"

#define UARTDR     0x000
#define UARTRSR    0x004
#define UARTFR     0x018
#define UARTILPR   0x020
#define UARTIBRD   0x024
#define UARTFBRD   0x028
#define UARTLCR_H  0x02C
#define UARTCR     0x030
#define UARTIFLS   0x034
#define UARTIMSC   0x038
#define UARTRIS    0x03C
#define UARTMIS    0x040
#define UARTICR    0x044
#define UARTDMACR  0x048
#define UARTPeriphID0 0xFE0

/* UARTFR bits */
#define UARTFR_BUSY (1u << 3)
#define UARTFR_RXFE (1u << 4)
#define UARTFR_TXFF (1u << 5)
#define UARTFR_RXFF (1u << 6)
#define UARTFR_TXFE (1u << 7)

struct pl011 {
	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	dev_putc_fn putc;
	void *putc_ctx;
	uint64_t tx_bytes;
	uint64_t bad_accesses;   /* reserved offsets, bad sizes */
};

extern const struct dev_ops pl011_ops;
void pl011_init(struct pl011 *u, dev_putc_fn putc, void *ctx);

#endif
