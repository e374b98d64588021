/* Posted-interrupt descriptor.  See posted.h. */
#include "apic/posted.h"

#include <string.h>

uint64_t pi_control(const struct pi_desc *d)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)d->b[PID_CTL_BYTE + i] << (8 * i);
	return v;
}

void pi_set_control(struct pi_desc *d, uint64_t ctl)
{
	for (unsigned i = 0; i < 8; i++)
		d->b[PID_CTL_BYTE + i] = (uint8_t)(ctl >> (8 * i));
}

bool pi_on(const struct pi_desc *d) { return FIELD_EX(pi_control(d), PID_CTL, ON); }
bool pi_sn(const struct pi_desc *d) { return FIELD_EX(pi_control(d), PID_CTL, SN); }
uint8_t pi_nv(const struct pi_desc *d) { return (uint8_t)FIELD_EX(pi_control(d), PID_CTL, NV); }
uint32_t pi_ndst(const struct pi_desc *d) { return (uint32_t)FIELD_EX(pi_control(d), PID_CTL, NDST); }
void pi_set_on(struct pi_desc *d, bool on) { pi_set_control(d, FIELD_DP(pi_control(d), PID_CTL, ON, on)); }
void pi_set_sn(struct pi_desc *d, bool sn) { pi_set_control(d, FIELD_DP(pi_control(d), PID_CTL, SN, sn)); }
void pi_set_nv(struct pi_desc *d, uint8_t nv) { pi_set_control(d, FIELD_DP(pi_control(d), PID_CTL, NV, nv)); }

void pi_set_ndst(struct pi_desc *d, uint32_t apic_id, bool x2apic)
{
	uint32_t ndst = x2apic ? apic_id : (uint32_t)FIELD_DP(0, PID_NDST, XAPIC_ID, apic_id);
	pi_set_control(d, FIELD_DP(pi_control(d), PID_CTL, NDST, ndst));
}

uint32_t pi_ndst_apic_id(const struct pi_desc *d, bool x2apic)
{
	return x2apic ? pi_ndst(d) : (uint32_t)FIELD_EX(pi_ndst(d), PID_NDST, XAPIC_ID);
}

bool pi_test_pir(const struct pi_desc *d, uint8_t v) { return d->b[v >> 3] >> (v & 7) & 1; }

static bool post(struct pi_desc *d, uint8_t v, bool urgent)
{
	d->b[v >> 3] |= (uint8_t)(1u << (v & 7));
	if ((pi_sn(d) && !urgent) || pi_on(d))
		return false;
	pi_set_on(d, true);
	return true;
}

bool pi_post(struct pi_desc *d, uint8_t vector) { return post(d, vector, false); }
bool pi_post_urgent(struct pi_desc *d, uint8_t vector) { return post(d, vector, true); }

bool pi_take_pir(struct pi_desc *d, uint32_t out[8])
{
	bool any = false;
	for (unsigned w = 0; w < 8; w++) {
		uint32_t v = 0;
		for (unsigned i = 0; i < 4; i++)
			v |= (uint32_t)d->b[w * 4 + i] << (8 * i);
		out[w] |= v;
		any |= v != 0;
	}
	memset(d->b, 0, PID_PIR_BYTES);
	return any;
}

int pi_highest_pir(const struct pi_desc *d)
{
	/* 64 bits at a time: checked at every x86 guest entry */
	for (int w = PID_PIR_BYTES / 8 - 1; w >= 0; w--) {
		uint64_t x;
		memcpy(&x, d->b + w * 8, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		x = __builtin_bswap64(x);   /* PIR bit v is bit v % 8 of byte v / 8 */
#endif
		if (x)
			return w * 64 + 63 - __builtin_clzll(x);
	}
	return -1;
}

bool pi_vcpu_run(struct pi_desc *d, uint8_t nv, uint32_t pcpu, bool x2apic)
{
	pi_set_nv(d, nv);
	pi_set_ndst(d, pcpu, x2apic);
	pi_set_sn(d, false);
	/* posts while suppressed left PIR bits without ON */
	if (pi_highest_pir(d) >= 0)
		pi_set_on(d, true);
	return pi_on(d);
}

void pi_vcpu_block(struct pi_desc *d, uint8_t wakeup_vector)
{
	pi_set_nv(d, wakeup_vector);
	pi_set_sn(d, false);
}

void pi_vcpu_preempt(struct pi_desc *d) { pi_set_sn(d, true); }
