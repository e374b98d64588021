/* UART models through their dev_ops, as the machines call them:
 * PL011 (PL011 TRM DDI 0183G, 3.2-3.3) and 16550A (PC16550D data sheet). */
#include <string.h>

#include "dev/pl011.h"
#include "dev/uart16550.h"
#include "tests/unit/unit.h"

/* Console sink: records every character in order. */
struct sink {
	char buf[64];
	unsigned n, overflow;
	void *ctx_seen;
};

static void sink_putc(void *ctx, uint8_t c)
{
	struct sink *s = ctx;
	s->ctx_seen = ctx;
	if (s->n < sizeof s->buf - 1)
		s->buf[s->n++] = (char)c;
	else
		s->overflow++;
}

/* ---------------------------------------------------------------- PL011 */

static uint64_t prd(struct pl011 *u, uint64_t off) { return pl011_ops.read(u, off, 4); }
static void pwr(struct pl011 *u, uint64_t off, uint64_t v) { pl011_ops.write(u, off, 4, v); }

static void test_pl011_reset_and_flags(void)
{
	struct sink s = { 0 };
	struct pl011 u;
	memset(&u, 0xff, sizeof u);
	pl011_init(&u, sink_putc, &s);
	/* TXFE and RXFE, not BUSY, TXFF, RXFF: 0x90 */
	CU_ASSERT_EQUAL(prd(&u, UARTFR), 0x90);
	CU_ASSERT_EQUAL(prd(&u, UARTCR), 0x300);     /* TXE | RXE (TRM 3.3.8 reset value) */
	CU_ASSERT_EQUAL(prd(&u, UARTIFLS), 0x12);    /* half-full triggers (TRM 3.3.9) */
	CU_ASSERT_EQUAL(prd(&u, UARTIBRD), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTFBRD), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTLCR_H), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTIMSC), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTRIS), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTMIS), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTDMACR), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTDR), 0);         /* nothing received */
	CU_ASSERT_EQUAL(prd(&u, UARTRSR), 0);
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
	/* Transmitting keeps the FIFO empty */
	pwr(&u, UARTDR, 'x');
	CU_ASSERT_EQUAL(prd(&u, UARTFR), 0x90);
	/* Narrower aligned reads work too */
	CU_ASSERT_EQUAL(pl011_ops.read(&u, UARTFR, 1), 0x90);
	CU_ASSERT_EQUAL(pl011_ops.read(&u, UARTFR, 2), 0x90);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
}

static void test_pl011_id(void)
{
	struct pl011 u;
	pl011_init(&u, sink_putc, NULL);
	/* UARTPeriphID0-3 then UARTPCellID0-3 (TRM 3.3.14-3.3.15), as QEMU's pl011:
	 * part number 0x011, designer 0x41 (Arm), revision 1; PrimeCell ID 0xb105f00d */
	static const uint32_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(prd(&u, 0xfe0 + 4 * i), id[i]);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
	/* Below and above the ID block are reserved */
	CU_ASSERT_EQUAL(prd(&u, 0xfdc), 0);
	CU_ASSERT_EQUAL(prd(&u, 0x1000), 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 2);
}

static void test_pl011_tx(void)
{
	struct sink s = { 0 };
	struct pl011 u;
	pl011_init(&u, sink_putc, &s);
	static const char msg[] = "Hello, PL011!\n";
	for (const char *p = msg; *p; p++)
		pwr(&u, UARTDR, (uint8_t)*p);
	/* Only DR[7:0] is data; bits above are ignored on write */
	pwr(&u, UARTDR, 0xf41);
	pl011_ops.write(&u, UARTDR, 1, 'b');
	CU_ASSERT_STRING_EQUAL(s.buf, "Hello, PL011!\nAb");
	CU_ASSERT_EQUAL(s.n, sizeof msg - 1 + 2);
	CU_ASSERT_EQUAL(u.tx_bytes, sizeof msg - 1 + 2);
	CU_ASSERT_PTR_EQUAL(s.ctx_seen, &s);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
}

static void test_pl011_registers(void)
{
	struct pl011 u;
	pl011_init(&u, sink_putc, NULL);
	/* Each register keeps its implemented bits only (TRM 3.3) */
	pwr(&u, UARTILPR, 0x1ff);
	pwr(&u, UARTIBRD, 0x12345);          /* BAUD DIVINT [15:0] */
	pwr(&u, UARTFBRD, 0xff);             /* BAUD DIVFRAC [5:0] */
	pwr(&u, UARTLCR_H, 0x170);           /* [7:0] */
	pwr(&u, UARTCR, 0xffffffff);         /* bits 6:3 reserved */
	pwr(&u, UARTIFLS, 0xff);             /* [5:0] */
	pwr(&u, UARTIMSC, 0xffff);           /* [10:0] */
	pwr(&u, UARTDMACR, 0xff);            /* [2:0] */
	CU_ASSERT_EQUAL(prd(&u, UARTILPR), 0xff);
	CU_ASSERT_EQUAL(prd(&u, UARTIBRD), 0x2345);
	CU_ASSERT_EQUAL(prd(&u, UARTFBRD), 0x3f);
	CU_ASSERT_EQUAL(prd(&u, UARTLCR_H), 0x70);
	CU_ASSERT_EQUAL(prd(&u, UARTCR), 0xff87);
	CU_ASSERT_EQUAL(prd(&u, UARTIFLS), 0x3f);
	CU_ASSERT_EQUAL(prd(&u, UARTIMSC), 0x7ff);
	CU_ASSERT_EQUAL(prd(&u, UARTDMACR), 0x7);
	/* 115200 baud at 24 MHz: IBRD 13, FBRD 1; 8N1 with FIFOs */
	pwr(&u, UARTIBRD, 13);
	pwr(&u, UARTFBRD, 1);
	pwr(&u, UARTLCR_H, 0x70);
	pwr(&u, UARTCR, 0x301);
	CU_ASSERT_EQUAL(prd(&u, UARTIBRD), 13);
	CU_ASSERT_EQUAL(prd(&u, UARTFBRD), 1);
	CU_ASSERT_EQUAL(prd(&u, UARTCR), 0x301);
	/* Writing UARTRSR/UARTECR clears errors: accepted, none to clear */
	pwr(&u, UARTRSR, 0xff);
	CU_ASSERT_EQUAL(prd(&u, UARTRSR), 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
}

static void test_pl011_interrupts(void)
{
	struct pl011 u;
	pl011_init(&u, sink_putc, NULL);
	/* Raw status set by hand: the model raises none itself (TX is instantaneous) */
	u.ris = 0x7f0;                       /* RX TX RT FE PE BE OE */
	pwr(&u, UARTIMSC, 0x030);            /* RXIM | TXIM */
	CU_ASSERT_EQUAL(prd(&u, UARTRIS), 0x7f0);
	CU_ASSERT_EQUAL(prd(&u, UARTMIS), 0x030);
	pwr(&u, UARTICR, 0x020);             /* clear TX */
	CU_ASSERT_EQUAL(prd(&u, UARTRIS), 0x7d0);
	CU_ASSERT_EQUAL(prd(&u, UARTMIS), 0x010);
	pwr(&u, UARTICR, 0x7ff);             /* clear all */
	CU_ASSERT_EQUAL(prd(&u, UARTRIS), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTMIS), 0);
	CU_ASSERT_EQUAL(prd(&u, UARTIMSC), 0x030);   /* ICR leaves the mask alone */
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
}

static void test_pl011_bad_accesses(void)
{
	struct sink s = { 0 };
	struct pl011 u;
	pl011_init(&u, sink_putc, &s);

	CU_ASSERT_EQUAL(pl011_ops.read(&u, UARTFR, 8), 0);         /* 64-bit: bad size */
	CU_ASSERT_EQUAL(u.bad_accesses, 1);
	pl011_ops.write(&u, UARTDR, 8, 'z');                        /* must not transmit */
	CU_ASSERT_EQUAL(u.bad_accesses, 2);
	CU_ASSERT_EQUAL(pl011_ops.read(&u, UARTFR + 1, 1), 0);     /* unaligned */
	CU_ASSERT_EQUAL(u.bad_accesses, 3);
	pl011_ops.write(&u, UARTDR + 2, 1, 'z');
	CU_ASSERT_EQUAL(u.bad_accesses, 4);
	CU_ASSERT_EQUAL(prd(&u, 0x04c), 0);                         /* reserved, after DMACR */
	CU_ASSERT_EQUAL(prd(&u, 0x800), 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 6);
	CU_ASSERT_EQUAL(prd(&u, UARTICR), 0);                       /* write-only */
	CU_ASSERT_EQUAL(u.bad_accesses, 7);
	pwr(&u, UARTFR, 0);                                         /* read-only */
	pwr(&u, UARTRIS, 0x7ff);
	pwr(&u, UARTMIS, 0x7ff);
	pwr(&u, UARTPeriphID0, 0x55);
	CU_ASSERT_EQUAL(u.bad_accesses, 11);
	CU_ASSERT_EQUAL(prd(&u, UARTRIS), 0);                       /* not written */
	CU_ASSERT_EQUAL(prd(&u, UARTPeriphID0), 0x11);
	/* Offsets far outside the window are counted, not indexed */
	CU_ASSERT_EQUAL(prd(&u, 0xfffffffffffffffcULL), 0);
	pwr(&u, 0xfffffffffffffffcULL, 1);
	pwr(&u, 0x100000fe0ULL, 1);
	CU_ASSERT_EQUAL(prd(&u, 0x100000fe0ULL), 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 15);
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
	CU_ASSERT_EQUAL(s.n, 0);
}

/* ---------------------------------------------------------------- 16550 */

static uint64_t urd(struct uart16550 *u, uint64_t off) { return uart16550_ops.read(u, off, 1); }
static void uwr(struct uart16550 *u, uint64_t off, uint64_t v) { uart16550_ops.write(u, off, 1, v); }

static void test_16550_reset(void)
{
	struct sink s = { 0 };
	struct uart16550 u;
	memset(&u, 0xff, sizeof u);
	uart16550_init(&u, sink_putc, &s);
	CU_ASSERT_EQUAL(urd(&u, UART_LSR), 0x60);        /* THRE | TEMT, no DR */
	CU_ASSERT_EQUAL(urd(&u, UART_IIR_FCR), 0x01);    /* no interrupt pending, FIFOs off */
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0);
	CU_ASSERT_EQUAL(urd(&u, UART_LCR), 0);
	CU_ASSERT_EQUAL(urd(&u, UART_MCR), 0);
	CU_ASSERT_EQUAL(urd(&u, UART_MSR), 0xb0);        /* DCD DSR CTS */
	CU_ASSERT_EQUAL(urd(&u, UART_RBR_THR), 0);       /* nothing received */
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
	/* Divisor latch resets to 12: 9600 baud from 1.8432 MHz */
	uwr(&u, UART_LCR, UART_LCR_DLAB);
	CU_ASSERT_EQUAL(urd(&u, UART_RBR_THR), 12);
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0);
}

static void test_16550_dlab(void)
{
	struct sink s = { 0 };
	struct uart16550 u;
	uart16550_init(&u, sink_putc, &s);

	uwr(&u, UART_IER, 0xff);                         /* IER keeps [3:0] */
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0x0f);

	/* Linux 8250 set_divisor: LCR |= DLAB, DLL, DLM, LCR = 8N1 */
	uwr(&u, UART_LCR, 0x83);
	CU_ASSERT_EQUAL(urd(&u, UART_LCR), 0x83);
	uwr(&u, UART_RBR_THR, 0x01);                     /* DLL: 115200 baud */
	uwr(&u, UART_IER, 0x02);                         /* DLM */
	CU_ASSERT_EQUAL(urd(&u, UART_RBR_THR), 0x01);
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0x02);
	CU_ASSERT_EQUAL(s.n, 0);                         /* DLL writes do not transmit */
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
	uwr(&u, UART_LCR, 0x03);

	/* DLAB off: offset 0 is THR/RBR, offset 1 is IER again, unchanged by the DLM write */
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0x0f);
	CU_ASSERT_EQUAL(urd(&u, UART_RBR_THR), 0);
	uwr(&u, UART_IER, 0x05);
	uwr(&u, UART_RBR_THR, 'k');
	CU_ASSERT_EQUAL(s.n, 1);

	/* And the latch kept its value */
	uwr(&u, UART_LCR, 0x83);
	CU_ASSERT_EQUAL(urd(&u, UART_RBR_THR), 0x01);
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0x02);
	uwr(&u, UART_LCR, 0x03);
	CU_ASSERT_EQUAL(urd(&u, UART_IER), 0x05);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
}

static void test_16550_tx_and_registers(void)
{
	struct sink s = { 0 };
	struct uart16550 u;
	uart16550_init(&u, sink_putc, &s);
	static const char msg[] = "COM1 ok\r\n";
	for (const char *p = msg; *p; p++)
		uwr(&u, UART_RBR_THR, (uint8_t)*p);
	uwr(&u, UART_RBR_THR, 0x17e);                    /* 8 data bits at most */
	CU_ASSERT_STRING_EQUAL(s.buf, "COM1 ok\r\n~");
	CU_ASSERT_EQUAL(u.tx_bytes, sizeof msg);
	CU_ASSERT_PTR_EQUAL(s.ctx_seen, &s);
	CU_ASSERT_EQUAL(urd(&u, UART_LSR), 0x60);        /* still empty after sending */

	/* Scratch register reads back */
	uwr(&u, UART_SCR, 0xa5);
	CU_ASSERT_EQUAL(urd(&u, UART_SCR), 0xa5);
	uwr(&u, UART_SCR, 0x5a);
	CU_ASSERT_EQUAL(urd(&u, UART_SCR), 0x5a);

	/* FCR: FIFO enable shows in IIR[7:6] (16550A) */
	uwr(&u, UART_IIR_FCR, 0xc7);                     /* enable, clear both FIFOs, trigger 14 */
	CU_ASSERT_EQUAL(urd(&u, UART_IIR_FCR), 0xc1);
	uwr(&u, UART_IIR_FCR, 0x00);
	CU_ASSERT_EQUAL(urd(&u, UART_IIR_FCR), 0x01);

	/* MCR keeps [4:0]; LCR all 8 bits */
	uwr(&u, UART_MCR, 0xff);
	CU_ASSERT_EQUAL(urd(&u, UART_MCR), 0x1f);
	uwr(&u, UART_LCR, 0x1b);
	CU_ASSERT_EQUAL(urd(&u, UART_LCR), 0x1b);

	/* LSR and MSR are read-only */
	uwr(&u, UART_LSR, 0x00);
	uwr(&u, UART_MSR, 0x00);
	CU_ASSERT_EQUAL(urd(&u, UART_LSR), 0x60);
	CU_ASSERT_EQUAL(urd(&u, UART_MSR), 0xb0);
	CU_ASSERT_EQUAL(urd(&u, UART_SCR), 0x5a);        /* and touch nothing else */
	CU_ASSERT_EQUAL(urd(&u, UART_LCR), 0x1b);
	CU_ASSERT_EQUAL(u.bad_accesses, 0);
	CU_ASSERT_EQUAL(u.tx_bytes, sizeof msg);
}

static void test_16550_bad_accesses(void)
{
	struct sink s = { 0 };
	struct uart16550 u;
	uart16550_init(&u, sink_putc, &s);
	uwr(&u, UART_SCR, 0x42);

	CU_ASSERT_EQUAL(urd(&u, 8), 0xff);               /* past the 8 ports: floating bus */
	CU_ASSERT_EQUAL(u.bad_accesses, 1);
	uwr(&u, 8, 'z');
	CU_ASSERT_EQUAL(u.bad_accesses, 2);
	CU_ASSERT_EQUAL(urd(&u, 0xffffffffffffffffULL), 0xff);
	uwr(&u, 0x10000000fULL, 'z');                    /* must not alias SCR */
	CU_ASSERT_EQUAL(u.bad_accesses, 4);
	CU_ASSERT_EQUAL(uart16550_ops.read(&u, UART_LSR, 2), 0xff);   /* registers are bytes */
	uart16550_ops.write(&u, UART_RBR_THR, 4, 'z');
	uart16550_ops.write(&u, UART_SCR, 2, 0);
	CU_ASSERT_EQUAL(u.bad_accesses, 7);
	CU_ASSERT_EQUAL(urd(&u, UART_SCR), 0x42);
	CU_ASSERT_EQUAL(u.tx_bytes, 0);
	CU_ASSERT_EQUAL(s.n, 0);
}

static CU_TestInfo tests[] = {
	{ "pl011 reset values and FR", test_pl011_reset_and_flags },
	{ "pl011 ID registers", test_pl011_id },
	{ "pl011 DR reaches the console in order", test_pl011_tx },
	{ "pl011 register masks", test_pl011_registers },
	{ "pl011 RIS, MIS, ICR", test_pl011_interrupts },
	{ "pl011 bad sizes and offsets", test_pl011_bad_accesses },
	{ "16550 reset values", test_16550_reset },
	{ "16550 DLAB switches DLL/DLM", test_16550_dlab },
	{ "16550 THR, SCR, FCR/IIR, MCR, LCR", test_16550_tx_and_registers },
	{ "16550 bad sizes and offsets", test_16550_bad_accesses },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("devices", tests);
}
