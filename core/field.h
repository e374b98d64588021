/* Named register fields: one declaration per field, read and written only
 * through extract/deposit, so encode and decode cannot drift apart (after
 * QEMU's hw/registerfields.h).
 *
 *   FIELD(GICD_TYPER, ITLINES, 0, 5)      declares bits [4:0] of GICD_TYPER
 *   FIELD_EX(v, GICD_TYPER, ITLINES)      extracts them from v
 *   FIELD_DP(v, GICD_TYPER, ITLINES, x)   returns v with them replaced by x
 *
 * Knows nothing architectural. */
#ifndef HVSIM_CORE_FIELD_H
#define HVSIM_CORE_FIELD_H
#include <stdint.h>

static inline uint64_t field_mask(unsigned shift, unsigned len)
{
	return (len >= 64 ? ~0ULL : ((1ULL << len) - 1)) << shift;
}
static inline uint64_t field_ex(uint64_t v, unsigned shift, unsigned len)
{
	return (v & field_mask(shift, len)) >> shift;
}
static inline uint64_t field_dp(uint64_t v, unsigned shift, unsigned len, uint64_t x)
{
	return (v & ~field_mask(shift, len)) | ((x << shift) & field_mask(shift, len));
}

#define FIELD(reg, f, shift, len) \
	enum { reg##_##f##_SHIFT = (shift), reg##_##f##_LEN = (len) };
#define FIELD_MASK(reg, f) field_mask(reg##_##f##_SHIFT, reg##_##f##_LEN)
#define FIELD_EX(v, reg, f) field_ex((v), reg##_##f##_SHIFT, reg##_##f##_LEN)
#define FIELD_DP(v, reg, f, x) field_dp((v), reg##_##f##_SHIFT, reg##_##f##_LEN, (x))

#endif
