/* The contract between hvsim's machines and the guests that run on them.
 * Freestanding: included by firmware/ as well as by the simulator.
 * Only constants; the machines document their behaviour in docs/architecture.md. */
#ifndef HVSIM_ABI_H
#define HVSIM_ABI_H

/* Guest parameters: the design keys guest.arg0..arg3 (0 unless set, e.g.
 * --set guest.arg0=64M), read by the ARG hypercall of either machine; an
 * index beyond them returns the machine's "not supported" value. */
#define HVSIM_GUEST_ARGS              4

/* ---------------- ARM machine (follows QEMU "virt") ---------------- */
#define HVSIM_VIRT_RAM_BASE     0x40000000ULL
#define HVSIM_VIRT_PL011_BASE   0x09000000ULL   /* PL011 UART, 4 KiB */
#define HVSIM_VIRT_PL011_SIZE   0x1000ULL
#define HVSIM_VIRT_GICD_BASE    0x08000000ULL   /* GICv3 Distributor, 64 KiB */
#define HVSIM_VIRT_GICD_SIZE    0x10000ULL
#define HVSIM_VIRT_ITS_BASE     0x08080000ULL   /* GICv3 ITS: control frame + translation frame, 64 KiB each */
#define HVSIM_VIRT_ITS_SIZE     0x20000ULL
#define HVSIM_VIRT_GICR_BASE    0x080A0000ULL   /* Redistributors, 128 KiB per vCPU in MPIDR order */
#define HVSIM_VIRT_GICR_STRIDE  0x20000ULL
#define HVSIM_VIRT_GICR_REGION  0x00F60000ULL   /* QEMU virt's region size (DT reg) */
#define HVSIM_VIRT_MSIDEV_BASE  0x0C000000ULL   /* MSI device (dev/msidev.h), 4 KiB, start of QEMU virt's platform bus */
/* Generic timer PPIs (QEMU virt / SBSA): level-sensitive, Group 1 */
#define HVSIM_VIRT_PPI_HYP_TIMER   26
#define HVSIM_VIRT_PPI_VIRT_TIMER  27
#define HVSIM_VIRT_PPI_SEC_TIMER   29
#define HVSIM_VIRT_PPI_PHYS_TIMER  30
/* Boot: each ELF segment at its own address; x0 = DTB address (DTB built with
 * libfdt, at the first 2 MiB boundary above the image); EL1h, DAIF masked,
 * MMU and caches off.  Secondary vCPUs start only through PSCI CPU_ON. */

/* PSCI 1.1 (ARM DEN 0022), conduit HVC (SMC is accepted too). */
#define PSCI_0_2_FN_PSCI_VERSION      0x84000000U
#define PSCI_0_2_FN_CPU_SUSPEND       0xC4000001U
#define PSCI_0_2_FN_CPU_OFF           0x84000002U
#define PSCI_0_2_FN_CPU_ON            0xC4000003U
#define PSCI_0_2_FN_AFFINITY_INFO     0xC4000004U
#define PSCI_0_2_FN_SYSTEM_OFF        0x84000008U
#define PSCI_0_2_FN_SYSTEM_RESET      0x84000009U
#define PSCI_1_0_FN_PSCI_FEATURES     0x8400000AU
#define PSCI_RET_SUCCESS              0
#define PSCI_RET_NOT_SUPPORTED        (-1)
#define PSCI_RET_INVALID_PARAMS       (-2)
#define PSCI_RET_DENIED               (-3)
#define PSCI_RET_ALREADY_ON           (-4)
#define PSCI_RET_ON_PENDING           (-5)
#define PSCI_RET_INTERNAL_FAILURE     (-6)
#define PSCI_RET_NOT_PRESENT          (-7)
#define PSCI_RET_DISABLED             (-8)
#define PSCI_RET_INVALID_ADDRESS      (-9)
#define PSCI_AFFINITY_ON              0
#define PSCI_AFFINITY_OFF             1
#define PSCI_AFFINITY_ON_PENDING      2
#define PSCI_VERSION_1_1              0x00010001U
/* SMCCC (ARM DEN 0028) */
#define SMCCC_VERSION_FN              0x80000000U
#define SMCCC_VERSION_1_1             0x00010001U
#define SMCCC_RET_NOT_SUPPORTED       (-1)
#define SMCCC_RET_INVALID_PARAMETER   (-3)

/* hvsim hypercalls on ARM: SMCCC fast calls, SMC64, owning entity 6
 * (Vendor Specific Hypervisor Service).  x0 = function, x1.. = arguments,
 * result in x0. */
#define HVSIM_HC_A64_PING             0xC6000000U  /* x0 <- x1 + 1 */
#define HVSIM_HC_A64_EXIT             0xC6000001U  /* stop the machine; x1 = exit status (0..255) */
#define HVSIM_HC_A64_CYCLES           0xC6000002U  /* x0 <- calling vCPU's simulated cycle count */
#define HVSIM_HC_A64_ARG              0xC6000003U  /* x0 <- design value guest.arg<x1> (x1 < HVSIM_GUEST_ARGS) */
/* End of a dirty-logging round ([dirty] mode != off): the hypervisor
 * harvests and clears its dirty log; x1 = round; x0 <- pages found dirty
 * since the previous marker (NOT_SUPPORTED without dirty logging) */
#define HVSIM_HC_A64_DIRTY_ROUND      0xC6000004U
/* The VMM injects a virtual SError into the calling vCPU, as QEMU does
 * through KVM_SET_VCPU_EVENTS (serror_pending, serror_has_esr): HCR_EL2.VSE
 * with VSESR_EL2 = x1, the ISS the guest reads in ESR_EL1 (bits 24:0;
 * bit 24 IDS).  x0 <- 0, or INVALID_PARAMETER (-3) for bits above 24. */
#define HVSIM_HC_A64_SERROR           0xC6000005U

/* ---------------- x86 machine ---------------- */
#define HVSIM_PC_RAM_BASE             0x0ULL
#define HVSIM_PC_LOAD_MIN             0x100000ULL  /* ELF segments must start at or above 1 MiB */
#define HVSIM_PC_COM1                 0x3f8        /* 16550 UART, 8 ports */
#define HVSIM_PC_DEBUG_EXIT           0xf4         /* isa-debug-exit: write v => exit status (v << 1) | 1 */
#define HVSIM_PC_ELCR                 0x4d0        /* 8259 ELCR1/ELCR2, emulated in the kernel (2 ports) */
/* CPUID 40000010H (QEMU's timing leaf for KVM guests): EAX = TSC kHz (the
 * design's core clock: RDTSC counts simulated cycles), EBX = APIC bus kHz. */
#define HVSIM_CPUID_TIMING            0x40000010U
/* Multiboot v1 kernels (--kernel, a file with a multiboot header): entered
 * as the Multiboot Specification 0.6.96 §3.2 says, in 32-bit protected
 * mode with paging off, EAX = 0x2BADB002, EBX = the information structure
 * at HVSIM_PC_MB_INFO, after the loader's stub at HVSIM_PC_MB_STUB (its
 * GDT: 0x08 flat 32-bit code, 0x10 flat data), as QEMU's multiboot option
 * ROM runs before the kernel; CR4 = 0, EFER = 0, ESP undefined (0).
 * Low memory [0, 0x9FC00) and RAM from 1 MiB are available. */
#define HVSIM_PC_MB_TABLES            0x5000ULL    /* the stub's page tables, 3 pages */
#define HVSIM_PC_MB_STUB              0x8000ULL
#define HVSIM_PC_MB_INFO              0x9000ULL
#define HVSIM_PC_LOW_END              0x9FC00ULL   /* 639 KiB of conventional memory, as QEMU reports */
/* Boot: 64-bit mode, paging off (identity), interrupts off, RIP = ELF entry,
 * RSP = 0.  The BSP is APIC ID 0.  CPUID.1:EBX[31:24] is the initial APIC ID
 * and CPUID.1:EBX[23:16] the number of logical processors.
 *
 * Application-processor start-up, until the APIC is modelled: the ACPI 6.4
 * Multiprocessor Wakeup Mailbox (ACPI 6.4 §5.2.12.19), at a fixed MMIO page.
 * The BSP writes ApicId and WakeupVector, then Command = 1 (Wakeup); the AP
 * starts at WakeupVector in 64-bit mode with RDI = its APIC ID, and the
 * machine clears Command to 0 to acknowledge.  Unknown commands or APIC IDs
 * are ignored and counted (stats: platform.mailbox_errors). */
#define HVSIM_PC_MAILBOX              0xFEB00000ULL
#define HVSIM_MAILBOX_COMMAND         0x00   /* u16 */
#define HVSIM_MAILBOX_APIC_ID         0x04   /* u32 */
#define HVSIM_MAILBOX_WAKEUP_VECTOR   0x08   /* u64 */
#define HVSIM_MAILBOX_CMD_NOOP        0
#define HVSIM_MAILBOX_CMD_WAKEUP      1
/* The MSI device (dev/msidev.h: a passed-through SR-IOV-VF-like function)
 * and its PCI requester ID ([msidev] requester_id); with MSI-X disabled its
 * INTx line drives I/O APIC pin HVSIM_PC_MSIDEV_GSI (level, active high as
 * the model sees it).  A guest-visible VT-d unit (interrupt remapping,
 * CAP.PI = 0) at QEMU q35's intel-iommu address when [iommu] present. */
#define HVSIM_PC_MSIDEV               0xFE000000ULL
#define HVSIM_PC_MSIDEV_GSI           16
#define HVSIM_PC_VTD                  0xFED90000ULL

/* hvsim hypercalls on x86: VMCALL, KVM's register convention: RAX = number,
 * RBX, RCX, RDX, RSI = arguments, result in RAX. */
#define HVSIM_HC_X86_PING             0x48560000U  /* rax <- rbx + 1 */
#define HVSIM_HC_X86_EXIT             0x48560001U  /* stop the machine; rbx = exit status (0..255) */
#define HVSIM_HC_X86_CYCLES           0x48560002U  /* rax <- calling vCPU's simulated cycle count */
#define HVSIM_HC_X86_ARG              0x48560003U  /* rax <- design value guest.arg<rbx> (rbx < HVSIM_GUEST_ARGS) */
/* As HVSIM_HC_A64_DIRTY_ROUND: rbx = round; rax <- pages (-1000 without dirty logging) */
#define HVSIM_HC_X86_DIRTY_ROUND      0x48560004U

#endif
