/* cpu_on: a bare two-CPU guest (no runtime) for tests/integration/
 * timing_arm64.sh: CPU 0 starts CPU 1 with PSCI CPU_ON and turns itself
 * off; CPU 1 makes the hvsim exit hypercall.  Every instruction is known. */
    .section .text.start, "ax"
    .global _start
_start:
    /* B1 (CPU 0): 5 ALU + HVC: CPU_ON(target MPIDR 1, entry cpu1, context 0) */
    movz x0, #0x0003
    movk x0, #0xc400, lsl #16       /* PSCI_0_2_FN_CPU_ON 0xC4000003 */
    mov  x1, #1
    adr  x2, cpu1
    mov  x3, #0
    hvc  #0
    /* B2 (CPU 0): 2 ALU + HVC: CPU_OFF */
    movz x0, #0x0002
    movk x0, #0x8400, lsl #16       /* PSCI_0_2_FN_CPU_OFF 0x84000002 */
    hvc  #0
1:  b    1b

    .balign 16
cpu1:
    /* B3 (CPU 1): 3 ALU + HVC: hvsim exit hypercall, status 0 */
    movz x0, #0x0001
    movk x0, #0xc600, lsl #16       /* HVSIM_HC_A64_EXIT */
    mov  x1, #0
    hvc  #0
2:  b    2b
