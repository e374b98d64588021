/* 16550A model: transmission is instantaneous (THRE and TEMT always set). */
#include "dev/uart16550.h"

void uart16550_init(struct uart16550 *u, dev_putc_fn putc, void *ctx)
{
	*u = (struct uart16550){ .putc = putc, .putc_ctx = ctx, .dll = 12 /* 9600 baud */ };
}

static uint64_t uart_read(void *dev, uint64_t off, unsigned size)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	if (size != 1 || off > 7) {
		u->bad_accesses++;
		return 0xff;
	}
	switch (off) {
	case UART_RBR_THR: return dlab ? u->dll : 0;
	case UART_IER:     return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR: return 0x01 | ((u->fcr & 1) ? 0xc0 : 0);  /* no interrupt pending; FIFOs */
	case UART_LCR:     return u->lcr;
	case UART_MCR:     return u->mcr;
	case UART_LSR:     return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_MSR:     return 0xb0;                             /* DCD, DSR, CTS */
	default:           return u->scr;
	}
}

static void uart_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	if (size != 1 || off > 7) {
		u->bad_accesses++;
		return;
	}
	switch (off) {
	case UART_RBR_THR:
		if (dlab) {
			u->dll = val;
		} else {
			u->tx_bytes++;
			u->putc(u->putc_ctx, (uint8_t)val);
		}
		return;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val & 0x0f;
		return;
	case UART_IIR_FCR: u->fcr = val & 0xc9; return;
	case UART_LCR:     u->lcr = val; return;
	case UART_MCR:     u->mcr = val & 0x1f; return;
	case UART_LSR:
	case UART_MSR:     return;   /* read-only */
	default:           u->scr = val; return;
	}
}

const struct dev_ops uart16550_ops = { uart_read, uart_write };
