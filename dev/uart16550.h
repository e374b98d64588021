/* 16550A UART (National Semiconductor PC16550D data sheet, register table 4),
 * transmit side; no receive input. */
#ifndef HVSIM_DEV_UART16550_H
#define HVSIM_DEV_UART16550_H
#include <stdbool.h>
#include "dev/dev.h"

#define UART_RBR_THR 0   /* DLL when LCR.DLAB */
#define UART_IER     1   /* DLM when LCR.DLAB */
#define UART_IIR_FCR 2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7
#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

struct uart16550 {
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	dev_putc_fn putc;
	void *putc_ctx;
	uint64_t tx_bytes;
	uint64_t bad_accesses;
};

extern const struct dev_ops uart16550_ops;
void uart16550_init(struct uart16550 *u, dev_putc_fn putc, void *ctx);

#endif
