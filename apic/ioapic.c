/* I/O APIC.  See ioapic.h. */
#include "apic/ioapic.h"

#define RTE_MASKED   (1ull << IOAPIC_RTE_MASK_SHIFT)
/* Software-writable bits: all but delivery status and Remote IRR (3.2.4). */
#define RTE_RO       (FIELD_MASK(IOAPIC_RTE, DELIVERY_STATUS) | FIELD_MASK(IOAPIC_RTE, REMOTE_IRR))
#define RTE_W        (FIELD_MASK(IOAPIC_RTE, VECTOR) | FIELD_MASK(IOAPIC_RTE, DELIVERY_MODE) | \
		      FIELD_MASK(IOAPIC_RTE, DEST_MODE) | FIELD_MASK(IOAPIC_RTE, POLARITY) | \
		      FIELD_MASK(IOAPIC_RTE, TRIGGER) | FIELD_MASK(IOAPIC_RTE, MASK) | FIELD_MASK(IOAPIC_RTE, DEST))

void ioapic_init(struct ioapic *io)
{
	*io = (struct ioapic){ .guest_errors = &io->own_errors };
	for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
		io->rte[i] = RTE_MASKED;
}

struct apic_msg ioapic_msg(const struct ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin % IOAPIC_NUM_PINS];
	return (struct apic_msg){
		.vector = (uint8_t)FIELD_EX(e, IOAPIC_RTE, VECTOR),
		.mode = (enum apic_delivery)FIELD_EX(e, IOAPIC_RTE, DELIVERY_MODE),
		.logical = FIELD_EX(e, IOAPIC_RTE, DEST_MODE),
		.dest = (uint32_t)FIELD_EX(e, IOAPIC_RTE, DEST),
		.trig_level = FIELD_EX(e, IOAPIC_RTE, TRIGGER),
		.level = true,
	};
}

static bool is_level(uint64_t e) { return FIELD_EX(e, IOAPIC_RTE, TRIGGER); }

static void send(struct ioapic *io, unsigned pin)
{
	struct apic_msg m = ioapic_msg(io, pin);
	io->sent++;
	if (io->send)
		io->send(io->ctx, &m);
}

/* A level pin sends when asserted, unmasked and not already in service. */
static void service_level(struct ioapic *io, unsigned pin)
{
	uint64_t *e = &io->rte[pin];
	if (!is_level(*e) || !(io->line >> pin & 1) || (*e & RTE_MASKED) || FIELD_EX(*e, IOAPIC_RTE, REMOTE_IRR))
		return;
	*e = FIELD_DP(*e, IOAPIC_RTE, REMOTE_IRR, 1);
	send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	if (pin >= IOAPIC_NUM_PINS)
		return;
	bool was = io->line >> pin & 1;
	io->line = level ? io->line | 1u << pin : io->line & ~(1u << pin);
	uint64_t e = io->rte[pin];
	if (is_level(e))
		service_level(io, pin);
	else if (level && !was && !(e & RTE_MASKED))
		send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t *e = &io->rte[pin];
		if (!is_level(*e) || FIELD_EX(*e, IOAPIC_RTE, VECTOR) != vector)
			continue;
		*e = FIELD_DP(*e, IOAPIC_RTE, REMOTE_IRR, 0);
		service_level(io, pin);
	}
}

/* ---- register window ---- */

static uint32_t read_indirect(const struct ioapic *io)
{
	uint32_t idx = io->ioregsel;
	switch (idx) {
	case IOAPIC_REG_ID:
		return (uint32_t)FIELD_DP(0, IOAPIC_ID, ID, io->id);
	case IOAPIC_REG_VER:
		return (uint32_t)FIELD_DP(IOAPIC_VERSION, IOAPIC_VER, MAX_REDIR, IOAPIC_NUM_PINS - 1);
	case IOAPIC_REG_ARB:
		return (uint32_t)FIELD_DP(0, IOAPIC_ID, ID, io->id);   /* arbitration ID = ID after reset */
	}
	unsigned pin = (idx - IOAPIC_REG_REDTBL) / 2;
	if (idx < IOAPIC_REG_REDTBL || pin >= IOAPIC_NUM_PINS)
		return 0xffffffffu;     /* no register: all ones (KVM ioapic_read_indirect) */
	return (uint32_t)(io->rte[pin] >> (idx & 1 ? 32 : 0));
}

static void write_rte(struct ioapic *io, unsigned pin, bool high, uint32_t v)
{
	uint64_t *e = &io->rte[pin];
	uint64_t nv = high ? (*e & 0xffffffffull) | (uint64_t)v << 32 : (*e & ~0xffffffffull) | v;
	*e = (*e & RTE_RO) | (nv & RTE_W);
	/* An edge entry has no Remote IRR (KVM clears it on a switch to edge). */
	if (!is_level(*e))
		*e = FIELD_DP(*e, IOAPIC_RTE, REMOTE_IRR, 0);
	service_level(io, pin);         /* unmasking an asserted level line sends it */
}

static void write_indirect(struct ioapic *io, uint32_t v)
{
	uint32_t idx = io->ioregsel;
	if (idx == IOAPIC_REG_ID) {
		io->id = (uint32_t)FIELD_EX(v, IOAPIC_ID, ID);
		return;
	}
	unsigned pin = (idx - IOAPIC_REG_REDTBL) / 2;
	if (idx < IOAPIC_REG_REDTBL || pin >= IOAPIC_NUM_PINS) {
		(*io->guest_errors)++;  /* version, arbitration: read-only; others absent */
		return;
	}
	write_rte(io, pin, idx & 1, v);
}

static uint64_t ioapic_read(void *dev, uint64_t off, unsigned size)
{
	struct ioapic *io = dev;
	if (size != 4) {
		(*io->guest_errors)++;
		return 0;
	}
	switch (off) {
	case IOAPIC_IOREGSEL: return io->ioregsel;
	case IOAPIC_IOWIN: return read_indirect(io);
	}
	(*io->guest_errors)++;
	return 0;
}

static void ioapic_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct ioapic *io = dev;
	if (size != 4) {
		(*io->guest_errors)++;
		return;
	}
	switch (off) {
	case IOAPIC_IOREGSEL: io->ioregsel = (uint32_t)val & 0xff; return;
	case IOAPIC_IOWIN: write_indirect(io, (uint32_t)val); return;
	case IOAPIC_EOIR: ioapic_eoi(io, (uint8_t)val); return;
	}
	(*io->guest_errors)++;
}

const struct dev_ops ioapic_ops = { .read = ioapic_read, .write = ioapic_write };
