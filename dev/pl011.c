/* PL011 UART model.  Transmission is instantaneous, so TXFE is always set and
 * TXFF never; there is no receive input, so RXFE is always set. */
#include "dev/pl011.h"

/* UARTPeriphID0-3, UARTPCellID0-3 (TRM 3.3.14-3.3.15), as QEMU's pl011 */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl011_init(struct pl011 *u, dev_putc_fn putc, void *ctx)
{
	*u = (struct pl011){ .putc = putc, .putc_ctx = ctx, .ifls = 0x12, .cr = 0x300 /* TXE|RXE at reset */ };
}

static uint64_t pl011_read(void *dev, uint64_t off, unsigned size)
{
	struct pl011 *u = dev;
	if (size > 4 || (off & 3)) {
		u->bad_accesses++;
		return 0;
	}
	switch (off) {
	case UARTDR:    return 0;                         /* no receive data */
	case UARTRSR:   return 0;
	case UARTFR:    return UARTFR_TXFE | UARTFR_RXFE;
	case UARTILPR:  return u->ilpr;
	case UARTIBRD:  return u->ibrd;
	case UARTFBRD:  return u->fbrd;
	case UARTLCR_H: return u->lcr_h;
	case UARTCR:    return u->cr;
	case UARTIFLS:  return u->ifls;
	case UARTIMSC:  return u->imsc;
	case UARTRIS:   return u->ris;
	case UARTMIS:   return u->ris & u->imsc;
	case UARTDMACR: return u->dmacr;
	}
	if (off >= UARTPeriphID0 && off < UARTPeriphID0 + 32)
		return pl011_id[(off - UARTPeriphID0) / 4];
	u->bad_accesses++;
	return 0;
}

static void pl011_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pl011 *u = dev;
	if (size > 4 || (off & 3)) {
		u->bad_accesses++;
		return;
	}
	switch (off) {
	case UARTDR:
		/* Like QEMU, transmit whatever UARTCR says: guests often skip enabling. */
		u->tx_bytes++;
		u->putc(u->putc_ctx, (uint8_t)val);
		return;
	case UARTRSR:   return;                           /* write clears errors: none */
	case UARTILPR:  u->ilpr = val & 0xff; return;
	case UARTIBRD:  u->ibrd = val & 0xffff; return;
	case UARTFBRD:  u->fbrd = val & 0x3f; return;
	case UARTLCR_H: u->lcr_h = val & 0xff; return;
	case UARTCR:    u->cr = val & 0xff87; return;
	case UARTIFLS:  u->ifls = val & 0x3f; return;
	case UARTIMSC:  u->imsc = val & 0x7ff; return;
	case UARTICR:   u->ris &= ~(uint32_t)val; return;
	case UARTDMACR: u->dmacr = val & 7; return;
	}
	u->bad_accesses++;
}

const struct dev_ops pl011_ops = { pl011_read, pl011_write };
