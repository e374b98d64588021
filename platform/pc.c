/* x86 "pc" machine.  See pc.h. */
#include "platform/pc.h"
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "platform/hvsim-abi.h"

/* Defaults and their sources: designs/default-x86.ini */
const struct cfg_key pc_cfg_keys[] = {
	{ "pc", "ap_wakeup_cycles", CFG_U64, 0, 1e9, NULL,
	  "mailbox wakeup: time from the Command write until the AP runs (vCPU thread wake-up)" },
};
const unsigned pc_cfg_nkeys = sizeof pc_cfg_keys / sizeof pc_cfg_keys[0];

#define MSR_IA32_TSC          0x10
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_IA32_TSC_AUX      0xc0000103
#define MSR_IA32_EFER         0xc0000080

/* IA32_EFER (SDM Vol. 4 Table 2-2; Vol. 3A 2.2.1, Figure 2-8): SCE [0], LME
 * [8], LMA [10], NXE [11]; bits 7:1, 9 and 63:12 are reserved and a WRMSR
 * that sets one raises #GP(0) (SDM Vol. 2B, WRMSR).  SCE, LME and NXE are
 * writable because CPUID.80000001H:EDX reports SYSCALL, LM and NX.  LMA is
 * read-only ("R"): the processor sets it when paging turns on with LME set,
 * and a written LMA is ignored without a fault, as in KVM's set_efer; the
 * CPU model keeps its own LMA on the write it performs. */
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

void pc_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size)
{
	*base = HVSIM_PC_RAM_BASE;
	*size = cfg_u64(c, "sim", "ram_mb") << 20;
}

static void console_putc(void *ctx, uint8_t ch)
{
	fputc(ch, ((struct machine *)ctx)->console);
}

/* isa-debug-exit: a write of v stops the machine with status (v << 1) | 1 (QEMU hw/misc/debugexit.c). */
static uint64_t debug_exit_read(void *dev, uint64_t off, unsigned size) { return 0; }
static void debug_exit_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pc *p = dev;
	(*p->st_debug_exit)++;
	sim_stop(p->m.sim, SIM_STOP_EXIT, (int)(((val << 1) | 1) & 0xff));
}
static const struct dev_ops debug_exit_ops = { debug_exit_read, debug_exit_write };

/* The 8259 PICs' edge/level control registers (ports 4D0H-4D1H), which KVM's
 * in-kernel PIC emulates (arch/x86/kvm/i8259.c picdev_elcr): an access is an
 * I/O exit handled in the kernel, the case kvm-unit-tests vmexit
 * "inl_from_kernel" measures.  Writable bits as KVM's elcr_mask: IRQs 0-2
 * and 8, 13 are always edge. */
static const uint8_t elcr_mask[2] = { 0xf8, 0xde };
static uint64_t elcr_read(void *dev, uint64_t off, unsigned size)
{
	const struct pc *p = dev;
	uint64_t v = 0;
	for (unsigned i = 0; i < size && off + i < 2; i++)
		v |= (uint64_t)p->elcr[off + i] << 8 * i;
	return v;
}
static void elcr_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pc *p = dev;
	for (unsigned i = 0; i < size && off + i < 2; i++)
		p->elcr[off + i] = (uint8_t)(val >> 8 * i) & elcr_mask[off + i];
}
static const struct dev_ops elcr_ops = { elcr_read, elcr_write };

/* ACPI 6.4 5.2.12.19 Multiprocessor Wakeup Mailbox: Command (u16) at 0,
 * ApicId (u32) at 4, WakeupVector (u64) at 8. */
static uint64_t mailbox_read(void *dev, uint64_t off, unsigned size)
{
	struct pc *p = dev;
	uint8_t raw[16] = { 0 };
	memcpy(raw + HVSIM_MAILBOX_COMMAND, &p->mailbox.command, 2);
	memcpy(raw + HVSIM_MAILBOX_APIC_ID, &p->mailbox.apic_id, 4);
	memcpy(raw + HVSIM_MAILBOX_WAKEUP_VECTOR, &p->mailbox.wakeup_vector, 8);
	uint64_t v = 0;
	if (off < sizeof raw && size <= sizeof raw - off)
		memcpy(&v, raw + off, size);
	return v;
}

static void mailbox_wakeup(struct pc *p)
{
	uint32_t id = p->mailbox.apic_id;
	uint64_t vec = p->mailbox.wakeup_vector;
	if (id >= p->m.ncpus || p->started[id] || !machine_in_ram(&p->m, vec, 1)) {
		(*p->st_mailbox_errors)++;
		DBG(LOG_PSCI, "mailbox: ignored wakeup of APIC ID %u at 0x%llx", id, (unsigned long long)vec);
		return;
	}
	p->started[id] = true;
	pc_irq_cpu_started(p, id);
	DBG(LOG_PSCI, "mailbox: wakeup APIC ID %u at 0x%llx", id, (unsigned long long)vec);
	cycles_t now = p->m.sim->cpus[p->m.cur_cpu]->clock;
	p->m.cpu_start(&p->m, id, vec, id, now + p->ap_wakeup_cycles);
}

static void mailbox_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pc *p = dev;
	uint8_t raw[16];
	memcpy(raw + HVSIM_MAILBOX_COMMAND, &p->mailbox.command, 2);
	memset(raw + 2, 0, 2);
	memcpy(raw + HVSIM_MAILBOX_APIC_ID, &p->mailbox.apic_id, 4);
	memcpy(raw + HVSIM_MAILBOX_WAKEUP_VECTOR, &p->mailbox.wakeup_vector, 8);
	if (off >= sizeof raw || size > sizeof raw - off)
		return;   /* the OS/firmware-reserved parts of the page: ignored */
	memcpy(raw + off, &val, size);
	memcpy(&p->mailbox.apic_id, raw + HVSIM_MAILBOX_APIC_ID, 4);
	memcpy(&p->mailbox.wakeup_vector, raw + HVSIM_MAILBOX_WAKEUP_VECTOR, 8);
	if (off > HVSIM_MAILBOX_COMMAND + 1)
		return;
	uint16_t cmd;
	memcpy(&cmd, raw + HVSIM_MAILBOX_COMMAND, 2);
	if (cmd == HVSIM_MAILBOX_CMD_WAKEUP)
		mailbox_wakeup(p);
	else if (cmd != HVSIM_MAILBOX_CMD_NOOP)
		(*p->st_mailbox_errors)++;
	p->mailbox.command = 0;   /* acknowledge */
}
static const struct dev_ops mailbox_ops = { mailbox_read, mailbox_write };

int pc_create(struct pc *p, const struct cfg *c, struct stats *st, const struct elf_image *img)
{
	memset(p, 0, sizeof *p);
	struct machine *m = &p->m;
	if (machine_init(m, ISA_X86_64, "pc", c, st, HVSIM_PC_RAM_BASE) < 0)
		return -1;
	p->ap_wakeup_cycles = cfg_u64(c, "pc", "ap_wakeup_cycles");
	uart16550_init(&p->com1, console_putc, m);
	m->pio[m->npio++] = (struct dev_window){ "com1", HVSIM_PC_COM1, 8, &uart16550_ops, &p->com1, true };
	m->pio[m->npio++] = (struct dev_window){ "isa-debug-exit", HVSIM_PC_DEBUG_EXIT, 4, &debug_exit_ops, p, true };
	m->pio[m->npio++] = (struct dev_window){ "elcr", HVSIM_PC_ELCR, 2, &elcr_ops, p, false };
	p->apic_bus_khz = (uint32_t)(m->freq_hz / 1000 / cfg_u64(c, "lapic", "bus_cycles"));
	m->mmio[m->nmmio++] = (struct dev_window){ "wakeup-mailbox", HVSIM_PC_MAILBOX, 0x1000, &mailbox_ops, p, true };
	p->st_hypercalls = stats_counter(st, "platform.hypercalls", "hvsim hypercalls handled");
	p->st_mailbox_errors = stats_counter(st, "platform.mailbox_errors",
					     "wakeup-mailbox commands ignored (bad command, APIC ID or vector)");
	p->st_msr_gp = stats_counter(st, "platform.msr_gp",
				     "RDMSR/WRMSR of MSRs that do not exist or setting reserved bits (#GP injected)");
	p->st_debug_exit = stats_counter(st, "platform.debug_exit_writes", "writes to the isa-debug-exit port");
	p->started[0] = true;
	if (pc_irq_init(p, c, st) < 0 || pc_iommu_init(p, c, st) < 0)
		return -1;
	for (unsigned i = 0; i < m->ncpus; i++)
		p->msr[i].misc_enable = 1;   /* fast-strings enable, the reset value KVM reports */
	for (unsigned i = 0; i < img->nsegs; i++)
		if (img->segs[i].paddr < HVSIM_PC_LOAD_MIN)
			return err_set("segment at 0x%llx is below 1 MiB: x86 guests load at 0x%llx or above",
				       (unsigned long long)img->segs[i].paddr, (unsigned long long)HVSIM_PC_LOAD_MIN);
	machine_load_elf(m, img);
	return 0;
}

void pc_destroy(struct pc *p)
{
	pc_iommu_fini(p);
	pc_irq_fini(p);
	machine_fini(&p->m);
}

static uint32_t str4(const char *s)
{
	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

void pc_cpuid(const struct pc *p, unsigned cpu, uint32_t leaf, uint32_t subleaf, uint32_t o[4])
{
	(void)subleaf;
	memset(o, 0, 4 * sizeof o[0]);
	switch (leaf) {
	case 0:            /* max basic leaf, "GenuineIntel" (EBX, EDX, ECX) */
		o[0] = 1;
		o[1] = str4("Genu"); o[3] = str4("ineI"); o[2] = str4("ntel");
		break;
	case 1:
		/* Xeon Gold 6142 (the default design): Skylake-SP H0, family 6,
		 * model 0x55, stepping 4 (Intel microcode 06-55-04) */
		o[0] = 0x00050654;
		/* EBX: initial APIC ID [31:24], logical processors [23:16], CLFLUSH line/8 [15:8] */
		o[1] = (cpu << 24) | (p->m.ncpus << 16) | (8 << 8);
		/* ECX: x2APIC [21], TSC-deadline [24], hypervisor present [31] */
		o[2] = (1u << 21) | (1u << 24) | (1u << 31);
		/* EDX: FPU TSC MSR PAE CX8 APIC CMOV PAT CLFSH FXSR SSE SSE2 */
		o[3] = (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 15) | (1u << 16) |
		       (1u << 19) | (1u << 24) | (1u << 25) | (1u << 26);
		break;
	case 0x40000000:   /* hypervisor leaf as KVM reports it, "KVMKVMKVM\0\0\0"; max leaf 0x40000010 (below) */
		o[0] = 0x40000010;
		o[1] = str4("KVMK"); o[2] = str4("VMKV"); o[3] = str4("M\0\0\0");
		break;
	case 0x40000010:   /* timing leaf as QEMU sets it for KVM (vmware-cpuid-freq): TSC and APIC bus kHz */
		o[0] = (uint32_t)(p->m.freq_hz / 1000);
		o[1] = p->apic_bus_khz;
		break;
	case 0x80000000:
		o[0] = 0x80000008;
		break;
	case 0x80000001:
		o[3] = (1u << 11) | (1u << 20) | (1u << 29);   /* SYSCALL, NX, LM */
		break;
	case 0x80000008:
		o[0] = 0x3027;       /* 39-bit physical, 48-bit linear addresses */
		break;
	}
}

/* MSRs the CPU model implements architecturally and the VMM intercepts only
 * to observe (the access itself is performed by the CPU). */
static bool native_msr(uint32_t msr)
{
	switch (msr) {
	case 0x174: case 0x175: case 0x176:              /* SYSENTER_CS/ESP/EIP */
	case 0x277:                                      /* IA32_PAT */
	case 0xc0000080:                                 /* IA32_EFER */
	case 0xc0000081: case 0xc0000082: case 0xc0000083: case 0xc0000084: /* STAR LSTAR CSTAR FMASK */
	case 0xc0000100: case 0xc0000101: case 0xc0000102: /* FS_BASE GS_BASE KERNEL_GS_BASE */
		return true;
	}
	return false;
}

enum msr_result pc_rdmsr(struct pc *p, unsigned cpu, uint32_t msr, cycles_t now, uint64_t *val)
{
	enum msr_result r;
	if (pc_apic_rdmsr(p, cpu, msr, val, &r))
		return r;
	switch (msr) {
	case MSR_IA32_TSC:         *val = now; return MSR_HANDLED;   /* TSC runs at the core clock */
	case MSR_IA32_MISC_ENABLE: *val = p->msr[cpu].misc_enable; return MSR_HANDLED;
	case MSR_IA32_TSC_AUX:     *val = p->msr[cpu].tsc_aux; return MSR_HANDLED;
	}
	if (native_msr(msr))
		return MSR_NATIVE;
	(*p->st_msr_gp)++;
	return MSR_GP;
}

enum msr_result pc_wrmsr(struct pc *p, unsigned cpu, uint32_t msr, uint64_t val)
{
	enum msr_result r;
	if (pc_apic_wrmsr(p, cpu, msr, val, &r))
		return r;
	switch (msr) {
	case MSR_IA32_TSC:
		/* Once: a guest writing the TSC in a loop must not flood stderr. */
		if (!p->tsc_write_warned)
			log_warn("guest wrote IA32_TSC: TSC offsetting is not modelled, the write is ignored");
		p->tsc_write_warned = true;
		return MSR_HANDLED;
	case MSR_IA32_MISC_ENABLE: p->msr[cpu].misc_enable = val; return MSR_HANDLED;
	case MSR_IA32_TSC_AUX:
		if (val >> 32) {   /* reserved bits set: #GP (SDM Vol. 4, IA32_TSC_AUX) */
			(*p->st_msr_gp)++;
			return MSR_GP;
		}
		p->msr[cpu].tsc_aux = val;
		return MSR_HANDLED;
	case MSR_IA32_EFER:
		if (val & ~EFER_DEFINED) {
			(*p->st_msr_gp)++;
			return MSR_GP;
		}
		return MSR_NATIVE;
	}
	if (native_msr(msr))
		return MSR_NATIVE;
	(*p->st_msr_gp)++;
	return MSR_GP;
}

void pc_vmcall(struct pc *p, unsigned cpu, uint64_t rax, uint64_t rbx, cycles_t now, struct hv_call *out)
{
	*out = (struct hv_call){ .act = HV_NONE };
	/* All of RAX is the number: KVM truncates it to 32 bits only outside
	 * 64-bit mode (kvm_emulate_hypercall), and hvsim's guests call from 64-bit
	 * mode, so garbage in the upper half is an unknown hypercall. */
	switch (rax) {
	case HVSIM_HC_X86_PING:   out->ret = rbx + 1; break;
	case HVSIM_HC_X86_EXIT:   out->act = HV_STOP; out->status = (int)(rbx & 0xff); break;
	case HVSIM_HC_X86_CYCLES: out->ret = now; break;
	case HVSIM_HC_X86_ARG:    out->ret = rbx < MACHINE_GUEST_ARGS ? p->m.guest_arg[rbx] : (uint64_t)-1000; break;
	default:
		/* KVM returns -KVM_ENOSYS (-1000) for unknown hypercalls */
		DBG(LOG_PSCI, "cpu%u: unknown hypercall 0x%llx", cpu, (unsigned long long)rax);
		out->ret = (uint64_t)-1000;
		return;
	}
	(*p->st_hypercalls)++;
}
