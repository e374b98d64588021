/* The model's VMCS.  See vmcs.h. */
#include "cpu/vmcs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sorted by encoding (vmcs_index searches it) */
static const struct {
	uint32_t enc;
	const char *name;
} fields[] = {
#define F(x) { VMCS_##x, #x }
	F(VIRTUAL_PROCESSOR_ID), F(POSTED_INTR_NV), F(LAST_PID_POINTER_INDEX),
	F(GUEST_INTR_STATUS), F(GUEST_PML_INDEX),
	F(IO_BITMAP_A), F(IO_BITMAP_B), F(MSR_BITMAP), F(PML_ADDRESS), F(TSC_OFFSET),
	F(VIRTUAL_APIC_PAGE_ADDR), F(APIC_ACCESS_ADDR), F(POSTED_INTR_DESC_ADDR), F(EPT_POINTER),
	F(EOI_EXIT_BITMAP0), F(EOI_EXIT_BITMAP1), F(EOI_EXIT_BITMAP2), F(EOI_EXIT_BITMAP3),
	F(TSC_MULTIPLIER), F(TERTIARY_VM_EXEC_CONTROL), F(PID_POINTER_TABLE),
	F(GUEST_PHYSICAL_ADDRESS),
	F(PIN_BASED_VM_EXEC_CONTROL), F(CPU_BASED_VM_EXEC_CONTROL), F(EXCEPTION_BITMAP),
	F(PAGE_FAULT_ERROR_CODE_MASK), F(PAGE_FAULT_ERROR_CODE_MATCH), F(CR3_TARGET_COUNT),
	F(VM_EXIT_CONTROLS), F(VM_ENTRY_CONTROLS), F(VM_ENTRY_INTR_INFO_FIELD),
	F(VM_ENTRY_EXCEPTION_ERROR_CODE), F(VM_ENTRY_INSTRUCTION_LEN), F(TPR_THRESHOLD),
	F(SECONDARY_VM_EXEC_CONTROL), F(PLE_GAP), F(PLE_WINDOW),
	F(VM_INSTRUCTION_ERROR), F(VM_EXIT_REASON), F(VM_EXIT_INTR_INFO), F(VM_EXIT_INTR_ERROR_CODE),
	F(IDT_VECTORING_INFO_FIELD), F(IDT_VECTORING_ERROR_CODE), F(VM_EXIT_INSTRUCTION_LEN),
	F(VMX_INSTRUCTION_INFO),
	F(GUEST_INTERRUPTIBILITY_INFO), F(GUEST_ACTIVITY_STATE), F(VMX_PREEMPTION_TIMER_VALUE),
	F(CR0_GUEST_HOST_MASK), F(CR4_GUEST_HOST_MASK), F(CR0_READ_SHADOW), F(CR4_READ_SHADOW),
	F(CR3_TARGET_VALUE0), F(CR3_TARGET_VALUE1), F(CR3_TARGET_VALUE2), F(CR3_TARGET_VALUE3),
	F(EXIT_QUALIFICATION), F(GUEST_LINEAR_ADDRESS),
	F(GUEST_CR0), F(GUEST_RIP), F(GUEST_RFLAGS),
#undef F
};
_Static_assert(sizeof fields / sizeof fields[0] == VMCS_NFIELDS, "VMCS_NFIELDS is the table's size");

static int vmcs_search(uint32_t enc)
{
	unsigned lo = 0, hi = VMCS_NFIELDS - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (fields[mid].enc < enc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return fields[lo].enc == enc ? (int)lo : -1;
}

/* Every exit reads a few controls: the last answer for each of 64 slots
 * (by the encoding's low bits; an encoding is 15 bits, 0x8000 marks a
 * slot empty) saves the search. */
static int vmcs_index(uint32_t enc)
{
	static struct { uint32_t enc; int i; } memo[64] = { [0 ... 63] = { 0x8000u, -1 } };
	unsigned k = (enc ^ enc >> 6 ^ enc >> 12) & 63;
	if (memo[k].enc != enc) {
		memo[k].i = vmcs_search(enc);
		memo[k].enc = enc;
	}
	return memo[k].i;
}

unsigned vmcs_enc_bits(uint32_t enc)
{
	static const unsigned bits[] = { [VMCS_WIDTH_16] = 16, [VMCS_WIDTH_64] = 64, [VMCS_WIDTH_32] = 32,
					 [VMCS_WIDTH_NATURAL] = 64 };
	return bits[vmcs_enc_width(enc)];
}

bool vmcs_holds(uint32_t enc) { return vmcs_index(enc) >= 0; }

const char *vmcs_field_name(uint32_t enc)
{
	int i = vmcs_index(enc);
	return i < 0 ? NULL : fields[i].name;
}

void vmcs_clear(struct vmcs *v) { memset(v, 0, sizeof *v); }

/* Index of the field `enc` addresses, AT = 1 allowed on 64-bit fields only */
static int vmcs_lookup(uint32_t enc, bool *high)
{
	*high = FIELD_EX(enc, VMCS_ENC, HIGH);
	if (enc >> 15 || (*high && vmcs_enc_width(enc) != VMCS_WIDTH_64))
		return -1;
	return vmcs_index(enc & ~1u);
}

static uint64_t width_mask(uint32_t enc)
{
	unsigned b = vmcs_enc_bits(enc);
	return b == 64 ? ~0ULL : (1ULL << b) - 1;
}

enum vmcs_err vmcs_read(const struct vmcs *v, uint32_t enc, uint64_t *out)
{
	bool high;
	int i = vmcs_lookup(enc, &high);
	if (i < 0)
		return VMCS_ERR_UNSUPPORTED;
	*out = high ? v->val[i] >> 32 : v->val[i];
	return VMCS_OK;
}

enum vmcs_err vmcs_write(struct vmcs *v, uint32_t enc, uint64_t val, bool exit_info_writable)
{
	bool high;
	int i = vmcs_lookup(enc, &high);
	if (i < 0)
		return VMCS_ERR_UNSUPPORTED;
	if (vmcs_enc_type(enc) == VMCS_TYPE_EXIT_INFO && !exit_info_writable)
		return VMCS_ERR_READ_ONLY;
	if (high)
		v->val[i] = (v->val[i] & 0xffffffffULL) | (uint64_t)(uint32_t)val << 32;
	else
		v->val[i] = val & width_mask(enc);
	return VMCS_OK;
}

static int must_hold(uint32_t enc)
{
	int i = vmcs_index(enc);
	if (i < 0) {
		fprintf(stderr, "hvsim: internal error: VMCS field 0x%x is not held by the model\n", enc);
		exit(70);
	}
	return i;
}

uint64_t vmcs_get(const struct vmcs *v, uint32_t enc) { return v->val[must_hold(enc)]; }
void vmcs_set(struct vmcs *v, uint32_t enc, uint64_t val) { v->val[must_hold(enc)] = val & width_mask(enc); }
