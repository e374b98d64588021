/* Event injection on VM entry (SDM 25.8.3, 27.2.1.3, 27.3.1.5, 27.6), the
 * VMX-preemption timer (26.5.1) and the guest TSC (26.6.5).  See vmx.h. */
#include "cpu/vmx.h"

static const char *const entry_err_names[] = {
	[VMX_ENTRY_OK] = "ok",
	[VMX_ENTRY_RESERVED_TYPE] = "reserved interruption type 1",
	[VMX_ENTRY_BAD_VECTOR] = "vector not allowed for the interruption type",
	[VMX_ENTRY_BAD_DELIVER_CODE] = "deliver-error-code bit does not match the event",
	[VMX_ENTRY_RESERVED_BITS] = "reserved bits 30:12 set",
	[VMX_ENTRY_BAD_ERROR_CODE] = "error code bits 31:16 set",
	[VMX_ENTRY_BAD_INSN_LEN] = "instruction length outside the allowed range",
	[VMX_ENTRY_BLOCKED] = "event blocked by the guest's interruptibility state",
	[VMX_ENTRY_BAD_ACTIVITY] = "event cannot be injected in the guest's activity state",
};

const char *vmx_entry_err_name(enum vmx_entry_err e)
{
	return (unsigned)e < sizeof entry_err_names / sizeof entry_err_names[0] ? entry_err_names[e] : "?";
}

void vmx_inject(struct vmcs *v, const struct vmx_injection *ev)
{
	vmcs_set(v, VMCS_VM_ENTRY_INTR_INFO_FIELD, vmx_intr_info(ev->vector, ev->type, ev->deliver_code));
	vmcs_set(v, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, ev->deliver_code ? ev->error_code : 0);
	vmcs_set(v, VMCS_VM_ENTRY_INSTRUCTION_LEN, ev->insn_len);
}

bool vmx_injection(const struct vmcs *v, struct vmx_injection *ev)
{
	uint64_t info = vmcs_get(v, VMCS_VM_ENTRY_INTR_INFO_FIELD);
	if (!FIELD_EX(info, VMX_INTR_INFO, VALID))
		return false;
	ev->vector = (uint8_t)FIELD_EX(info, VMX_INTR_INFO, VECTOR);
	ev->type = (enum vmx_intr_type)FIELD_EX(info, VMX_INTR_INFO, TYPE);
	ev->deliver_code = FIELD_EX(info, VMX_INTR_INFO, DELIVER_CODE);
	ev->error_code = (uint32_t)vmcs_get(v, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE);
	ev->insn_len = (uint32_t)vmcs_get(v, VMCS_VM_ENTRY_INSTRUCTION_LEN);
	return true;
}

/* Exceptions that push an error code (SDM Vol. 3A Table 6-1): #DF, #TS,
 * #NP, #SS, #GP, #PF, #AC */
static bool has_error_code(unsigned vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

static bool vector_ok(enum vmx_intr_type t, unsigned vector)
{
	switch (t) {
	case VMX_INTR_NMI:    return vector == 2;
	case VMX_INTR_HW_EXC: return vector <= 31;
	case VMX_INTR_OTHER:  return vector == 0;   /* pending MTF VM exit */
	default:              return true;
	}
}

/* 27.2.1.3: the VM-entry control checks on the event itself */
static enum vmx_entry_err check_event(const struct vmcs *v, uint64_t info, uint64_t misc)
{
	enum vmx_intr_type t = (enum vmx_intr_type)FIELD_EX(info, VMX_INTR_INFO, TYPE);
	unsigned vector = (unsigned)FIELD_EX(info, VMX_INTR_INFO, VECTOR);
	if (t == 1)
		return VMX_ENTRY_RESERVED_TYPE;
	if (!vector_ok(t, vector))
		return VMX_ENTRY_BAD_VECTOR;
	/* An error code is delivered exactly for a hardware exception that
	 * pushes one, in protected mode (or without unrestricted guest) */
	uint32_t sec = vmcs_get(v, VMCS_CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS
			       ? (uint32_t)vmcs_get(v, VMCS_SECONDARY_VM_EXEC_CONTROL) : 0;
	bool pe = vmcs_get(v, VMCS_GUEST_CR0) & 1 || !(sec & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	bool code = FIELD_EX(info, VMX_INTR_INFO, DELIVER_CODE);
	if (code != (pe && t == VMX_INTR_HW_EXC && has_error_code(vector)))
		return VMX_ENTRY_BAD_DELIVER_CODE;
	if (FIELD_EX(info, VMX_INTR_INFO, RESERVED))
		return VMX_ENTRY_RESERVED_BITS;
	if (code && vmcs_get(v, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE) >> 16)
		return VMX_ENTRY_BAD_ERROR_CODE;
	uint64_t len = vmcs_get(v, VMCS_VM_ENTRY_INSTRUCTION_LEN);
	bool soft = t == VMX_INTR_SOFT_INTR || t == VMX_INTR_PRIV_SW_EXC || t == VMX_INTR_SOFT_EXC;
	if (soft && (len > 15 || (len == 0 && !(misc & VMX_MISC_ZERO_LEN_INJECTION))))
		return VMX_ENTRY_BAD_INSN_LEN;
	return VMX_ENTRY_OK;
}

/* 27.3.1.5: the guest's interruptibility and activity state must let the
 * event in.  HLT accepts external interrupts, NMIs, #DB, #MC and the pending
 * MTF; shutdown only NMIs and #MC; wait-for-SIPI nothing. */
static bool activity_accepts(uint64_t activity, enum vmx_intr_type t, unsigned vector)
{
	switch (activity) {
	case VMX_ACTIVITY_ACTIVE:   return true;
	case VMX_ACTIVITY_HLT:
		return t == VMX_INTR_EXT || t == VMX_INTR_NMI || t == VMX_INTR_OTHER ||
		       (t == VMX_INTR_HW_EXC && (vector == 1 || vector == 18));
	case VMX_ACTIVITY_SHUTDOWN: return t == VMX_INTR_NMI || (t == VMX_INTR_HW_EXC && vector == 18);
	default:                    return false;
	}
}

static enum vmx_entry_err check_guest(const struct vmcs *v, uint64_t info)
{
	enum vmx_intr_type t = (enum vmx_intr_type)FIELD_EX(info, VMX_INTR_INFO, TYPE);
	uint64_t is = vmcs_get(v, VMCS_GUEST_INTERRUPTIBILITY_INFO);
	bool vnmi = vmcs_get(v, VMCS_PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_VIRTUAL_NMIS;
	if (t == VMX_INTR_EXT && (!(vmcs_get(v, VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF) ||
				  is & (VMX_INTR_STATE_STI | VMX_INTR_STATE_MOV_SS)))
		return VMX_ENTRY_BLOCKED;
	if (t == VMX_INTR_NMI && (is & VMX_INTR_STATE_MOV_SS || (vnmi && is & VMX_INTR_STATE_NMI)))
		return VMX_ENTRY_BLOCKED;
	if (!activity_accepts(vmcs_get(v, VMCS_GUEST_ACTIVITY_STATE), t, (unsigned)FIELD_EX(info, VMX_INTR_INFO, VECTOR)))
		return VMX_ENTRY_BAD_ACTIVITY;
	return VMX_ENTRY_OK;
}

enum vmx_entry_err vmx_check_injection(const struct vmcs *v, uint64_t misc)
{
	uint64_t info = vmcs_get(v, VMCS_VM_ENTRY_INTR_INFO_FIELD);
	if (!FIELD_EX(info, VMX_INTR_INFO, VALID))
		return VMX_ENTRY_OK;
	enum vmx_entry_err e = check_event(v, info, misc);
	return e != VMX_ENTRY_OK ? e : check_guest(v, info);
}

/* ---- VMX-preemption timer ---- */
unsigned vmx_preemption_rate(uint64_t misc) { return (unsigned)(misc & VMX_MISC_PREEMPTION_TIMER_RATE); }

uint64_t vmx_preemption_ticks(uint64_t misc, uint64_t tsc0, uint64_t tsc1)
{
	unsigned x = vmx_preemption_rate(misc);
	return tsc1 <= tsc0 ? 0 : (tsc1 >> x) - (tsc0 >> x);
}

uint64_t vmx_preemption_deadline(uint64_t misc, uint64_t tsc0, uint32_t value)
{
	unsigned x = vmx_preemption_rate(misc);
	return value == 0 ? tsc0 : ((tsc0 >> x) + value) << x;
}

uint32_t vmx_preemption_remaining(uint64_t misc, uint64_t tsc0, uint64_t tsc1, uint32_t value)
{
	uint64_t t = vmx_preemption_ticks(misc, tsc0, tsc1);
	return t >= value ? 0 : (uint32_t)(value - t);
}

/* RDTSC in non-root operation: TSC * multiplier >> 48 with TSC scaling,
 * plus the offset with TSC offsetting (26.6.5) */
uint64_t vmx_guest_tsc(const struct vmx_model *m, uint64_t host_tsc)
{
	if (!(vmx_primary(m) & CPU_BASED_USE_TSC_OFFSETTING))
		return host_tsc;
	uint64_t t = host_tsc;
	if (vmx_secondary(m) & SECONDARY_EXEC_TSC_SCALING)
		t = (uint64_t)(((unsigned __int128)t * vmcs_get(&m->vmcs, VMCS_TSC_MULTIPLIER)) >> 48);
	return t + vmcs_get(&m->vmcs, VMCS_TSC_OFFSET);
}
