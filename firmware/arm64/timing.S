/* timing: a bare guest (no runtime) whose every instruction is known, for
 * tests/integration/timing_arm64.sh, which derives the expected cycle counts
 * by hand from the blocks below (each block ends at a branch, HVC or WFI).
 * Exits: HVC (unknown SMCCC function: NOT_SUPPORTED), HVC, WFx (the virtual
 * timer wakes it at count 200), HVC exit(0). */
    .section .text.start, "ax"
    .global _start
_start:
    /* B1: 3 ALU + HVC (system) */
    add  x1, x1, #1
    add  x1, x1, #1
    add  x1, x1, #1
    hvc  #0
    /* B2: 2 ALU, 2 loads, 1 store, 1 branch */
    adr  x5, data
    ldr  x4, [x5]
    ldr  x6, [x5, #8]
    add  x4, x4, #1
    str  x4, [x5]
    b    1f
    /* B3: HVC alone */
1:  hvc  #0
    /* B4: 2 ALU + 2 MSR + WFI (system): CNTV_CVAL_EL0 = 200, CNTV_CTL_EL0 =
     * ENABLE.  Unicorn ends a translated block after each hooked MSR, so
     * this is three blocks; costs are per instruction, the totals are the same. */
    mov  x2, #200
    msr  cntv_cval_el0, x2
    mov  x3, #1
    msr  cntv_ctl_el0, x3
    wfi
    /* B5: 3 ALU + HVC: hvsim exit hypercall (HVSIM_HC_A64_EXIT), status 0 */
    movz x0, #0x0001
    movk x0, #0xc600, lsl #16
    mov  x1, #0
    hvc  #0
2:  b    2b

    .data
    .balign 16
data:
    .quad 0, 0
