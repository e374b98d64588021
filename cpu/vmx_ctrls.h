/* VMX control words, one define per bit (Intel SDM Vol. 3C, Dec 2022:
 * 25.6.1-25.6.2, 25.7.1, 25.8.1; names as Linux arch/x86/include/asm/vmx.h).
 * Every architectural bit is listed; the ones hvsim's decisions never
 * consult are tagged [not modelled], so a reader sees what is missing. */
#ifndef HVSIM_CPU_VMX_CTRLS_H
#define HVSIM_CPU_VMX_CTRLS_H

/* Pin-based VM-execution controls (Table 25-5) */
#define PIN_BASED_EXT_INTR_MASK                 (1u << 0)   /* external-interrupt exiting */
#define PIN_BASED_NMI_EXITING                   (1u << 3)
#define PIN_BASED_VIRTUAL_NMIS                  (1u << 5)
#define PIN_BASED_VMX_PREEMPTION_TIMER          (1u << 6)   /* activate VMX-preemption timer */
#define PIN_BASED_POSTED_INTR                   (1u << 7)   /* process posted interrupts (checks only) */

/* Primary processor-based VM-execution controls (Table 25-6) */
#define CPU_BASED_INTR_WINDOW_EXITING           (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING            (1u << 3)
#define CPU_BASED_HLT_EXITING                   (1u << 7)
#define CPU_BASED_INVLPG_EXITING                (1u << 9)
#define CPU_BASED_MWAIT_EXITING                 (1u << 10)
#define CPU_BASED_RDPMC_EXITING                 (1u << 11)
#define CPU_BASED_RDTSC_EXITING                 (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING              (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING             (1u << 16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS    (1u << 17)
#define CPU_BASED_CR8_LOAD_EXITING              (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING             (1u << 20)
#define CPU_BASED_TPR_SHADOW                    (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING            (1u << 22)
#define CPU_BASED_MOV_DR_EXITING                (1u << 23)
#define CPU_BASED_UNCOND_IO_EXITING             (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS                (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG             (1u << 27)  /* [not modelled] */
#define CPU_BASED_USE_MSR_BITMAPS               (1u << 28)
#define CPU_BASED_MONITOR_EXITING               (1u << 29)
#define CPU_BASED_PAUSE_EXITING                 (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS   (1u << 31)

/* Secondary processor-based VM-execution controls (Table 25-7) */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define SECONDARY_EXEC_ENABLE_EPT               (1u << 1)   /* translation: mmu/ */
#define SECONDARY_EXEC_DESC                     (1u << 2)   /* descriptor-table exiting */
#define SECONDARY_EXEC_ENABLE_RDTSCP            (1u << 3)
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE   (1u << 4)   /* checks only; MSR virtualization: apic/ */
#define SECONDARY_EXEC_ENABLE_VPID              (1u << 5)   /* TLB tags: mmu/ */
#define SECONDARY_EXEC_WBINVD_EXITING           (1u << 6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST       (1u << 7)   /* injection error-code check */
#define SECONDARY_EXEC_APIC_REGISTER_VIRT       (1u << 8)
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY    (1u << 9)
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING       (1u << 10)  /* [not modelled]: no PLE window clock */
#define SECONDARY_EXEC_RDRAND_EXITING           (1u << 11)
#define SECONDARY_EXEC_ENABLE_INVPCID           (1u << 12)
#define SECONDARY_EXEC_ENABLE_VMFUNC            (1u << 13)  /* [not modelled] */
#define SECONDARY_EXEC_SHADOW_VMCS              (1u << 14)  /* [not modelled] */
#define SECONDARY_EXEC_ENCLS_EXITING            (1u << 15)  /* [not modelled] */
#define SECONDARY_EXEC_RDSEED_EXITING           (1u << 16)
#define SECONDARY_EXEC_ENABLE_PML               (1u << 17)  /* log: mmu/; PML_FULL reason here */
#define SECONDARY_EXEC_EPT_VIOLATION_VE         (1u << 18)  /* [not modelled] */
#define SECONDARY_EXEC_PT_CONCEAL_VMX           (1u << 19)  /* [not modelled] */
#define SECONDARY_EXEC_ENABLE_XSAVES            (1u << 20)
#define SECONDARY_EXEC_PASID_TRANSLATION        (1u << 21)  /* [not modelled] */
#define SECONDARY_EXEC_MODE_BASED_EPT_EXEC      (1u << 22)  /* [not modelled] */
#define SECONDARY_EXEC_EPT_SUB_PAGE_WRITE       (1u << 23)  /* [not modelled] */
#define SECONDARY_EXEC_PT_USE_GPA               (1u << 24)  /* [not modelled] */
#define SECONDARY_EXEC_TSC_SCALING              (1u << 25)
#define SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE    (1u << 26)  /* [not modelled] */
#define SECONDARY_EXEC_ENABLE_PCONFIG           (1u << 27)  /* [not modelled] */
#define SECONDARY_EXEC_ENCLV_EXITING            (1u << 28)  /* [not modelled] */
#define SECONDARY_EXEC_BUS_LOCK_DETECTION       (1u << 30)  /* [not modelled] */
#define SECONDARY_EXEC_NOTIFY_VM_EXITING        (1u << 31)  /* [not modelled] */

/* Tertiary processor-based VM-execution controls (Table 25-8; a 64-bit field) */
#define TERTIARY_EXEC_LOADIWKEY_EXITING         (1ull << 0) /* [not modelled] */
#define TERTIARY_EXEC_ENABLE_HLAT               (1ull << 1) /* [not modelled] */
#define TERTIARY_EXEC_EPT_PAGING_WRITE          (1ull << 2) /* [not modelled] */
#define TERTIARY_EXEC_GUEST_PAGING_VERIFY       (1ull << 3) /* [not modelled] */
#define TERTIARY_EXEC_IPI_VIRT                  (1ull << 4) /* decisions: apic/ */
#define TERTIARY_EXEC_VIRT_SPEC_CTRL            (1ull << 7) /* [not modelled] */

/* Primary VM-exit controls (Table 25-13) */
#define VM_EXIT_SAVE_DEBUG_CONTROLS             (1u << 2)   /* [not modelled] */
#define VM_EXIT_HOST_ADDR_SPACE_SIZE            (1u << 9)   /* [not modelled]: the host is 64-bit */
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL      (1u << 12)  /* [not modelled] */
#define VM_EXIT_ACK_INTR_ON_EXIT                (1u << 15)
#define VM_EXIT_SAVE_IA32_PAT                   (1u << 18)  /* [not modelled] */
#define VM_EXIT_LOAD_IA32_PAT                   (1u << 19)  /* [not modelled] */
#define VM_EXIT_SAVE_IA32_EFER                  (1u << 20)  /* [not modelled] */
#define VM_EXIT_LOAD_IA32_EFER                  (1u << 21)  /* [not modelled] */
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER       (1u << 22)
#define VM_EXIT_CLEAR_BNDCFGS                   (1u << 23)  /* [not modelled] */
#define VM_EXIT_PT_CONCEAL_PIP                  (1u << 24)  /* [not modelled] */
#define VM_EXIT_CLEAR_IA32_RTIT_CTL             (1u << 25)  /* [not modelled] */
#define VM_EXIT_CLEAR_IA32_LBR_CTL              (1u << 26)  /* [not modelled] */
#define VM_EXIT_CLEAR_UINV                      (1u << 27)  /* [not modelled] */
#define VM_EXIT_LOAD_CET_STATE                  (1u << 28)  /* [not modelled] */
#define VM_EXIT_LOAD_IA32_PKRS                  (1u << 29)  /* [not modelled] */
#define VM_EXIT_SAVE_IA32_PERF_GLOBAL_CTRL      (1u << 30)  /* [not modelled] */
#define VM_EXIT_ACTIVATE_SECONDARY_CONTROLS     (1u << 31)  /* [not modelled] */

/* VM-entry controls (Table 25-15) */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS            (1u << 2)   /* [not modelled] */
#define VM_ENTRY_IA32E_MODE                     (1u << 9)   /* [not modelled]: the guest starts in 64-bit mode */
#define VM_ENTRY_SMM                            (1u << 10)  /* [not modelled] */
#define VM_ENTRY_DEACT_DUAL_MONITOR             (1u << 11)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL     (1u << 13)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_PAT                  (1u << 14)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_EFER                 (1u << 15)  /* [not modelled] */
#define VM_ENTRY_LOAD_BNDCFGS                   (1u << 16)  /* [not modelled] */
#define VM_ENTRY_PT_CONCEAL_PIP                 (1u << 17)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_RTIT_CTL             (1u << 18)  /* [not modelled] */
#define VM_ENTRY_LOAD_UINV                      (1u << 19)  /* [not modelled] */
#define VM_ENTRY_LOAD_CET_STATE                 (1u << 20)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_LBR_CTL              (1u << 21)  /* [not modelled] */
#define VM_ENTRY_LOAD_IA32_PKRS                 (1u << 22)  /* [not modelled] */

/* IA32_VMX_MISC (SDM Appendix A.6): the fields the model reads */
#define VMX_MISC_PREEMPTION_TIMER_RATE          0x1fu       /* [4:0]: timer ticks at TSC >> rate */
#define VMX_MISC_ACTIVITY_HLT                   (1u << 6)
#define VMX_MISC_VMWRITE_EXIT_INFO              (1u << 29)  /* VMWRITE may write VM-exit information fields */
#define VMX_MISC_ZERO_LEN_INJECTION             (1u << 30)  /* software events injectable with length 0 */

#endif
