/* The posted-interrupt descriptor (Intel SDM Vol. 3C 30.6, Table 30-1; VT-d
 * 5.2.3 and 9.11): 64 bytes in memory, as the processor, the IOMMU and the
 * hypervisor all read and write it.
 *
 *   bits 255:0   PIR   one bit per vector, set by the poster
 *   bit  256     ON    outstanding notification
 *   bit  257     SN    suppress notification (non-urgent interrupts)
 *   bits 279:272 NV    notification vector
 *   bits 319:288 NDST  notification destination (x2APIC ID; xAPIC: ID in 15:8)
 *
 * The functions work on the bytes in that order (little-endian), so the same
 * descriptor can live in guest-physical memory or in a host structure.  The
 * processor's side (PIR -> VIRR when the notification arrives) is
 * vapic_pi_process in apic/vapic.h.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_APIC_POSTED_H
#define HVSIM_APIC_POSTED_H
#include <stdbool.h>
#include <stdint.h>
#include "apic/regs.h"

struct pi_desc {
	uint8_t b[PID_SIZE];
} __attribute__((aligned(64)));

/* Posts `vector`: sets PIR[vector]; then, if SN is clear and ON was clear,
 * sets ON and returns true: the poster must send a notification interrupt
 * with vector NV to the APIC NDST names (VT-d 5.2.3; KVM
 * __vmx_deliver_posted_interrupt).  False: no notification (one is already
 * outstanding, or notifications are suppressed). */
bool pi_post(struct pi_desc *d, uint8_t vector);
/* The same for an urgent interrupt (IRTE URG = 1): SN does not suppress it. */
bool pi_post_urgent(struct pi_desc *d, uint8_t vector);

bool pi_test_pir(const struct pi_desc *d, uint8_t vector);
/* Takes the PIR (atomically on hardware): ORs it into out[8] (32-bit words,
 * bit v of word v / 32) and clears it.  Returns whether any bit was set. */
bool pi_take_pir(struct pi_desc *d, uint32_t out[8]);
int pi_highest_pir(const struct pi_desc *d);       /* -1: empty */
/* No PIR bit set (inline: every guest entry asks) */
static inline bool pi_pir_empty(const struct pi_desc *d)
{
	uint64_t any = 0;
	for (unsigned w = 0; w < PID_PIR_BYTES / 8; w++) {
		uint64_t x;
		__builtin_memcpy(&x, d->b + w * 8, 8);
		any |= x;
	}
	return !any;
}

uint64_t pi_control(const struct pi_desc *d);      /* the 64-bit word at byte 32 */
void pi_set_control(struct pi_desc *d, uint64_t ctl);
bool pi_on(const struct pi_desc *d);
bool pi_sn(const struct pi_desc *d);
uint8_t pi_nv(const struct pi_desc *d);
uint32_t pi_ndst(const struct pi_desc *d);
void pi_set_on(struct pi_desc *d, bool on);
void pi_set_sn(struct pi_desc *d, bool sn);
void pi_set_nv(struct pi_desc *d, uint8_t nv);
/* NDST from an APIC ID in the destination APIC's mode. */
void pi_set_ndst(struct pi_desc *d, uint32_t apic_id, bool x2apic);
/* The APIC ID NDST names, in the destination APIC's mode. */
uint32_t pi_ndst_apic_id(const struct pi_desc *d, bool x2apic);

/* The hypervisor's side, as KVM keeps the descriptor (vmx/posted_intr.c):
 *  - the vCPU is about to run on the physical CPU with APIC ID pcpu: NV =
 *    the notification vector, NDST = that CPU, SN = 0, ON set if the PIR
 *    holds anything (vmx_vcpu_pi_load).  Returns ON: something was posted
 *    meanwhile (sync the PIR before entry);
 *  - the vCPU blocks (HLT): NV = the wake-up vector, NDST unchanged, SN = 0,
 *    so a post interrupts the host, which wakes the vCPU (pi_enable_wakeup_handler);
 *  - the vCPU is preempted while runnable: SN = 1, posts only set PIR and it
 *    looks at them when it runs again (vmx_vcpu_pi_put). */
bool pi_vcpu_run(struct pi_desc *d, uint8_t notification_vector, uint32_t pcpu, bool x2apic);
void pi_vcpu_block(struct pi_desc *d, uint8_t wakeup_vector);
void pi_vcpu_preempt(struct pi_desc *d);

#endif
