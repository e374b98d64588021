/* The I/O APIC: 24 interrupt input pins and their redirection table (Intel
 * 82093AA datasheet 290566-001), the register window at 0xFEC00000 (IOREGSEL
 * at 00H, IOWIN at 10H) and the EOI register at 40H of the version-20H I/O
 * APICs in Intel chipsets (ICH; QEMU's default), which directed EOI (the
 * LAPIC's SVR bit 12) relies on.
 *
 * A pin turns into an interrupt message (struct apic_msg, apic/lapic.h) that
 * the machine routes to the local APICs (apic_route).  Edge pins send one
 * message per rising edge while unmasked; an edge on a masked pin is lost
 * (82093AA 3.2.4, "Interrupt Mask").  Level pins send while the line is
 * asserted and Remote IRR is clear, set Remote IRR, and send again after the
 * EOI for their vector if the line is still asserted.  Lines are active high
 * as the model sees them (polarity is stored, not applied: the machine gives
 * the asserted state).
 *
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_APIC_IOAPIC_H
#define HVSIM_APIC_IOAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "apic/lapic.h"
#include "dev/dev.h"

#define IOAPIC_VERSION 0x20u
#define IOAPIC_DEFAULT_BASE 0xfec00000u

struct ioapic {
	uint32_t id;                  /* IOAPICID */
	uint32_t ioregsel;
	uint64_t rte[IOAPIC_NUM_PINS];
	uint32_t line;                /* asserted pins, bit n = pin n */
	/* Set by the owner: an interrupt message to route (the ctx is the machine). */
	void (*send)(void *ctx, const struct apic_msg *m);
	void *ctx;
	uint64_t sent;                /* messages sent */
	uint64_t *guest_errors;       /* bad offset, width or index */
	uint64_t own_errors;
};

extern const struct dev_ops ioapic_ops;

/* Reset (82093AA 3.0): every entry masked, ID 0. */
void ioapic_init(struct ioapic *io);
/* Input pin `pin` asserted or not.  Out-of-range pins are ignored. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
/* An EOI for `vector` (broadcast from a local APIC, or a write to the EOI
 * register): clears Remote IRR of the level entries with that vector and
 * resends those whose line is still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* The message entry `pin` produces. */
struct apic_msg ioapic_msg(const struct ioapic *io, unsigned pin);

#endif
