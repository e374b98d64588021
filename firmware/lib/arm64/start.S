/* AArch64 start code: boot CPU entry, PSCI CPU_ON entry, exception vectors.
 * Entry state (hvsim-abi.h, and QEMU virt): EL1h, DAIF masked, MMU and
 * caches off, x0 = DTB address on the boot CPU, x0 = context id on a CPU
 * started by PSCI CPU_ON. */
#include "rt.h"

#define FRAME_SIZE 288          /* sizeof(struct exc_frame) */
#define FRAME_ELR  248          /* offsetof(struct exc_frame, elr) */
#define FRAME_ESR  264

/* Stack top of logical CPU \idx (a register) into \dst; clobbers \tmp. */
.macro stack_top dst, idx, tmp
    adrp \dst, rt_stacks
    add  \dst, \dst, :lo12:rt_stacks
    add  \tmp, \idx, #1
    lsl  \tmp, \tmp, #RT_STACK_SHIFT
    add  \dst, \dst, \tmp
.endm

.macro set_vbar tmp
    adrp \tmp, rt_vectors
    add  \tmp, \tmp, :lo12:rt_vectors
    msr  vbar_el1, \tmp
    isb
.endm

    .section .text.start, "ax"
    .global _start
_start:
    mov  x19, x0                        /* DTB address */
    mov  x20, #0
    stack_top x1, x20, x2
    mov  sp, x1
    msr  tpidr_el1, xzr                 /* cpu_id() = 0 */
    set_vbar x1
    /* zero .bss on the boot CPU only (8-byte aligned bounds, see link.ld) */
    adrp x1, __bss_start
    add  x1, x1, :lo12:__bss_start
    adrp x2, __bss_end
    add  x2, x2, :lo12:__bss_end
1:  cmp  x1, x2
    b.hs 2f
    str  xzr, [x1], #8
    b    1b
2:  mov  x0, x19
    bl   rt_arch_init
    bl   main
    bl   hv_exit                        /* w0 = main's result; never returns */
3:  wfi
    b    3b

/* PSCI CPU_ON entry.  Find this CPU's logical index by its MPIDR affinity in
 * rt_cpu_mpidr[] (filled from the DTB by the boot CPU), then take that
 * index's stack. */
    .text
    .global rt_secondary_entry
    .type rt_secondary_entry, %function
rt_secondary_entry:
    mrs  x1, mpidr_el1
    mov  x2, #0xffffff                  /* Aff2..Aff0 */
    movk x2, #0xff, lsl #32             /* Aff3 (RT_MPIDR_AFF_MASK) */
    and  x1, x1, x2
    adrp x2, rt_cpu_mpidr
    add  x2, x2, :lo12:rt_cpu_mpidr
    mov  x3, #0
1:  ldr  x4, [x2, x3, lsl #3]
    cmp  x4, x1
    b.eq 2f
    add  x3, x3, #1
    cmp  x3, #RT_MAX_CPUS
    b.lo 1b
3:  wfe                                 /* not a CPU we know: park it */
    b    3b
2:  stack_top x4, x3, x5
    mov  sp, x4
    msr  tpidr_el1, x3
    set_vbar x4
    mov  x1, x0                         /* arg = PSCI context id */
    mov  x0, x3                         /* id */
    bl   rt_secondary_main              /* ends in cpu_off() */
    b    3b

/* Vector table (ARM DDI 0487 D1.10.2): 16 entries of 0x80 bytes, 2 KiB
 * aligned.  Each saves x0/x1, puts its index (0..15) in x1 and joins the
 * common path. */
.macro ventry kind
    .balign 0x80
    sub  sp, sp, #FRAME_SIZE
    stp  x0, x1, [sp, #0]
    mov  x1, #\kind
    b    exc_common
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global rt_vectors
rt_vectors:
    ventry 0                            /* current EL, SP_EL0: sync */
    ventry 1                            /*   IRQ */
    ventry 2                            /*   FIQ */
    ventry 3                            /*   SError */
    ventry 4                            /* current EL, SP_ELx: sync */
    ventry 5
    ventry 6
    ventry 7
    ventry 8                            /* lower EL, AArch64 */
    ventry 9
    ventry 10
    ventry 11
    ventry 12                           /* lower EL, AArch32 */
    ventry 13
    ventry 14
    ventry 15

exc_common:
    stp  x2, x3, [sp, #16]
    stp  x4, x5, [sp, #32]
    stp  x6, x7, [sp, #48]
    stp  x8, x9, [sp, #64]
    stp  x10, x11, [sp, #80]
    stp  x12, x13, [sp, #96]
    stp  x14, x15, [sp, #112]
    stp  x16, x17, [sp, #128]
    stp  x18, x19, [sp, #144]
    stp  x20, x21, [sp, #160]
    stp  x22, x23, [sp, #176]
    stp  x24, x25, [sp, #192]
    stp  x26, x27, [sp, #208]
    stp  x28, x29, [sp, #224]
    str  x30, [sp, #240]
    mrs  x2, elr_el1
    mrs  x3, spsr_el1
    stp  x2, x3, [sp, #FRAME_ELR]
    mrs  x2, esr_el1
    mrs  x3, far_el1
    stp  x2, x3, [sp, #FRAME_ESR]
    mov  x0, sp
    bl   rt_exception                   /* returns only if handled */
    ldp  x2, x3, [sp, #FRAME_ELR]       /* the handler may have moved elr */
    msr  elr_el1, x2
    msr  spsr_el1, x3
    ldp  x2, x3, [sp, #16]
    ldp  x4, x5, [sp, #32]
    ldp  x6, x7, [sp, #48]
    ldp  x8, x9, [sp, #64]
    ldp  x10, x11, [sp, #80]
    ldp  x12, x13, [sp, #96]
    ldp  x14, x15, [sp, #112]
    ldp  x16, x17, [sp, #128]
    ldp  x18, x19, [sp, #144]
    ldp  x20, x21, [sp, #160]
    ldp  x22, x23, [sp, #176]
    ldp  x24, x25, [sp, #192]
    ldp  x26, x27, [sp, #208]
    ldp  x28, x29, [sp, #224]
    ldr  x30, [sp, #240]
    ldp  x0, x1, [sp, #0]
    add  sp, sp, #FRAME_SIZE
    eret

/* Per-CPU stacks, inside the RW PT_LOAD segment (link.ld places .stack
 * right after .bss): the simulator puts the DTB above the last segment, so a
 * stack outside every segment could overlap it. */
    .section .stack, "aw", %nobits
    .balign 16
    .global rt_stacks
rt_stacks:
    .space RT_MAX_CPUS * RT_STACK_SIZE
