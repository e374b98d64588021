/* The VMCS as the model holds it: a table keyed by the architectural field
 * encodings (Intel SDM Vol. 3C, Appendix B), read and written through
 * VMREAD/VMWRITE-like accessors that reject encodings the model does not
 * hold.  Knows neither Unicorn nor traces.
 *
 * Field encoding (SDM 25.11.2, Table 25-21):
 *
 *   31        15 14 13 12 11 10 9           1  0
 *   +-----------+-----+--+-----+-------------+--+
 *   |  0        |width| 0| type|    index    |AT|
 *   +-----------+-----+--+-----+-------------+--+
 *   width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural-width
 *   type:  0 control, 1 VM-exit information (read-only), 2 guest state, 3 host state
 *   AT (access type): 1 = the high 32 bits of a 64-bit field (64-bit fields only) */
#ifndef HVSIM_CPU_VMCS_H
#define HVSIM_CPU_VMCS_H
#include <stdbool.h>
#include <stdint.h>
#include "core/field.h"

FIELD(VMCS_ENC, HIGH, 0, 1)
FIELD(VMCS_ENC, INDEX, 1, 9)
FIELD(VMCS_ENC, TYPE, 10, 2)
FIELD(VMCS_ENC, WIDTH, 13, 2)

enum vmcs_width { VMCS_WIDTH_16, VMCS_WIDTH_64, VMCS_WIDTH_32, VMCS_WIDTH_NATURAL };
enum vmcs_type { VMCS_TYPE_CONTROL, VMCS_TYPE_EXIT_INFO, VMCS_TYPE_GUEST, VMCS_TYPE_HOST };

/* 16-bit control fields (B.1.1) */
#define VMCS_VIRTUAL_PROCESSOR_ID          0x0000
#define VMCS_POSTED_INTR_NV                0x0002
#define VMCS_LAST_PID_POINTER_INDEX        0x0008
/* 16-bit guest-state fields (B.1.2) */
#define VMCS_GUEST_INTR_STATUS             0x0810   /* RVI [7:0], SVI [15:8] */
#define VMCS_GUEST_PML_INDEX               0x0812
FIELD(GUEST_INTR_STATUS, RVI, 0, 8)                 /* requesting virtual interrupt (25.4.2) */
FIELD(GUEST_INTR_STATUS, SVI, 8, 8)                 /* servicing virtual interrupt */
/* 64-bit control fields (B.2.1) */
#define VMCS_IO_BITMAP_A                   0x2000
#define VMCS_IO_BITMAP_B                   0x2002
#define VMCS_MSR_BITMAP                    0x2004
#define VMCS_PML_ADDRESS                   0x200e
#define VMCS_TSC_OFFSET                    0x2010
#define VMCS_VIRTUAL_APIC_PAGE_ADDR        0x2012
#define VMCS_APIC_ACCESS_ADDR              0x2014
#define VMCS_POSTED_INTR_DESC_ADDR         0x2016
#define VMCS_EPT_POINTER                   0x201a
#define VMCS_EOI_EXIT_BITMAP0              0x201c
#define VMCS_EOI_EXIT_BITMAP1              0x201e
#define VMCS_EOI_EXIT_BITMAP2              0x2020
#define VMCS_EOI_EXIT_BITMAP3              0x2022
#define VMCS_TSC_MULTIPLIER                0x2032
#define VMCS_TERTIARY_VM_EXEC_CONTROL      0x2034
#define VMCS_PID_POINTER_TABLE             0x2042
/* 64-bit read-only data field (B.2.2) */
#define VMCS_GUEST_PHYSICAL_ADDRESS        0x2400
/* 32-bit control fields (B.3.1) */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL     0x4000
#define VMCS_CPU_BASED_VM_EXEC_CONTROL     0x4002
#define VMCS_EXCEPTION_BITMAP              0x4004
#define VMCS_PAGE_FAULT_ERROR_CODE_MASK    0x4006
#define VMCS_PAGE_FAULT_ERROR_CODE_MATCH   0x4008
#define VMCS_CR3_TARGET_COUNT              0x400a
#define VMCS_VM_EXIT_CONTROLS              0x400c
#define VMCS_VM_ENTRY_CONTROLS             0x4012
#define VMCS_VM_ENTRY_INTR_INFO_FIELD      0x4016
#define VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_VM_ENTRY_INSTRUCTION_LEN      0x401a
#define VMCS_TPR_THRESHOLD                 0x401c
#define VMCS_SECONDARY_VM_EXEC_CONTROL     0x401e
#define VMCS_PLE_GAP                       0x4020
#define VMCS_PLE_WINDOW                    0x4022
/* 32-bit read-only data fields (B.3.2) */
#define VMCS_VM_INSTRUCTION_ERROR          0x4400
#define VMCS_VM_EXIT_REASON                0x4402
#define VMCS_VM_EXIT_INTR_INFO             0x4404
#define VMCS_VM_EXIT_INTR_ERROR_CODE       0x4406
#define VMCS_IDT_VECTORING_INFO_FIELD      0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE      0x440a
#define VMCS_VM_EXIT_INSTRUCTION_LEN       0x440c
#define VMCS_VMX_INSTRUCTION_INFO          0x440e
/* 32-bit guest-state fields (B.3.3) */
#define VMCS_GUEST_INTERRUPTIBILITY_INFO   0x4824
#define VMCS_GUEST_ACTIVITY_STATE          0x4826
#define VMCS_VMX_PREEMPTION_TIMER_VALUE    0x482e
/* natural-width control fields (B.4.1) */
#define VMCS_CR0_GUEST_HOST_MASK           0x6000
#define VMCS_CR4_GUEST_HOST_MASK           0x6002
#define VMCS_CR0_READ_SHADOW               0x6004
#define VMCS_CR4_READ_SHADOW               0x6006
#define VMCS_CR3_TARGET_VALUE0             0x6008
#define VMCS_CR3_TARGET_VALUE1             0x600a
#define VMCS_CR3_TARGET_VALUE2             0x600c
#define VMCS_CR3_TARGET_VALUE3             0x600e
/* natural-width read-only data fields (B.4.2) */
#define VMCS_EXIT_QUALIFICATION            0x6400
#define VMCS_GUEST_LINEAR_ADDRESS          0x640a
/* natural-width guest-state fields (B.4.3) */
#define VMCS_GUEST_CR0                     0x6800
#define VMCS_GUEST_RIP                     0x681e
#define VMCS_GUEST_RFLAGS                  0x6820

/* Kept for existing callers: the primary controls under their SDM name */
#define VMCS_PRIMARY_PROCBASED_CTLS        VMCS_CPU_BASED_VM_EXEC_CONTROL

#define VMCS_NFIELDS 61

struct vmcs {
	uint64_t val[VMCS_NFIELDS];   /* in the order of the field table in vmcs.c */
};

/* VM-instruction error numbers (SDM 31.4) that the accessors return */
enum vmcs_err {
	VMCS_OK = 0,
	VMCS_ERR_UNSUPPORTED = 12,    /* VMREAD/VMWRITE from/to unsupported VMCS component */
	VMCS_ERR_READ_ONLY = 13,      /* VMWRITE to read-only VMCS component */
};

static inline enum vmcs_width vmcs_enc_width(uint32_t enc) { return (enum vmcs_width)FIELD_EX(enc, VMCS_ENC, WIDTH); }
static inline enum vmcs_type vmcs_enc_type(uint32_t enc) { return (enum vmcs_type)FIELD_EX(enc, VMCS_ENC, TYPE); }
/* Bits a field holds: 16, 32 or 64 (natural width: 64, the model is a 64-bit CPU) */
unsigned vmcs_enc_bits(uint32_t enc);

/* True if the model holds the field (enc with AT = 0). */
bool vmcs_holds(uint32_t enc);
const char *vmcs_field_name(uint32_t enc);   /* NULL if not held */

void vmcs_clear(struct vmcs *v);
/* VMREAD-like: the field's value, or (AT = 1) the high half of a 64-bit field. */
enum vmcs_err vmcs_read(const struct vmcs *v, uint32_t enc, uint64_t *out);
/* VMWRITE-like: truncated to the field's width; AT = 1 writes bits 63:32.
 * VM-exit information fields are read-only unless exit_info_writable
 * (IA32_VMX_MISC[29]). */
enum vmcs_err vmcs_write(struct vmcs *v, uint32_t enc, uint64_t val, bool exit_info_writable);

/* The model's own accesses (the processor writes exit information): enc
 * must be a held field; anything else is a programming error (exit 70). */
uint64_t vmcs_get(const struct vmcs *v, uint32_t enc);
void vmcs_set(struct vmcs *v, uint32_t enc, uint64_t val);

#endif
