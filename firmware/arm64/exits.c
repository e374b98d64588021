/* exits: triggers each AArch64 VM-exit reason a known number of times, for
 * integration tests that compare hvsim's exit counters with these numbers.
 * Expected exits for the whole run (the runtime itself makes no hypercall
 * and reads no trapped register before main):
 *   HVC64     5 pings + 1 exit hypercall = 6
 *   SMC64     3 (SMCCC_VERSION)
 *   WFx       4 (wfi)
 *   SYS64     6 (3 x ID_AA64PFR0_EL1 + 3 x ID_AA64MMFR0_EL1, trapped by HCR_EL2.TID3)
 *   IABT_LOW  2 (fetch from the unassigned IPA IABT_ADDR)
 *   DABT_LOW  2 per console byte (UARTFR poll + UARTDR write) + 10 UARTFR reads
 *             + 1 read of the unassigned IPA DABT_ADDR
 * (ESR_EL1/FAR_EL1 reads in the exception path add SYS64 exits only if the
 * hypervisor sets HCR_EL2.TRVM.)
 * Exit status: 0 ok; 10 ping, 11 SMC, 12 ID registers, 13 instruction abort,
 * 14 data abort; 99 unexpected exception.
 * -DQEMU_CHECK: plain-QEMU build; skips SMC (undefined without EL3) and WFI
 * (would sleep forever without an interrupt source) and uses addresses that
 * are unassigned in QEMU's virt machine. */
#include "rt.h"

#ifdef QEMU_CHECK
#define IABT_ADDR 0x09100000ULL         /* hole between virt's PVTIME and virtio-mmio */
#define DABT_ADDR 0x09101000ULL
#else
#define IABT_ADDR 0x0A000000ULL         /* below RAM, no device: unassigned IPA */
#define DABT_ADDR 0x0A001000ULL
#endif

static volatile unsigned iabt_seen, dabt_seen;

/* Resume point for the injected aborts: an instruction abort returns to the
 * caller's LR (the branch below was a BLR), a data abort skips the load. */
static int on_abort(struct exc_frame *f)
{
    uint64_t ec = ESR_EC(f->esr);
    if (ec == ESR_EC_IABT_CUR && f->far == IABT_ADDR && f->elr == IABT_ADDR) {
        iabt_seen++;
        printf("exits: iabt %u: EC 0x21 FAR 0x%lx, resume at LR 0x%lx\n", iabt_seen, f->far, f->x[30]);
        f->elr = f->x[30];
        return 1;
    }
    if (ec == ESR_EC_DABT_CUR && f->far == DABT_ADDR) {
        dabt_seen++;
        printf("exits: dabt %u: EC 0x25 FAR 0x%lx, skip insn at 0x%lx\n", dabt_seen, f->far, f->elr);
        f->elr += 4;
        return 1;
    }
    return 0;
}

static int fail(int status, const char *what)
{
    printf("exits: FAIL: %s (exit %d)\n", what, status);
    return status;
}

int main(void)
{
    exc_set_handler(on_abort);
    printf("exits: start\n");

#ifndef QEMU_CHECK
    for (uint64_t i = 0; i < 5; i++)
        if (hv_ping(100 + i) != 101 + i)
            return fail(10, "hv_ping");
    printf("exits: hvc: hv_ping x5 ok\n");

    uint64_t ver = 0;
    for (int i = 0; i < 3; i++)
        ver = smccc_smc(SMCCC_VERSION_FN, 0, 0, 0);
    printf("exits: smc: SMCCC_VERSION x3 = 0x%lx\n", ver);
    if (ver != SMCCC_VERSION_1_1)
        return fail(11, "SMCCC_VERSION via SMC");

    /* WFI needs a wake-up source: the virtual timer condition wakes a
     * waiting vCPU even with PSTATE.I masked (no GIC is needed for that). */
    for (int i = 0; i < 4; i++) {
        uint64_t due = read_sysreg(cntvct_el0) + 1000;
        write_sysreg(cntv_cval_el0, due);
        write_sysreg(cntv_ctl_el0, 1);             /* ENABLE, IMASK clear */
        __asm__ volatile("isb; wfi" ::: "memory");
        if (read_sysreg(cntvct_el0) < due)
            return fail(15, "WFI returned before the timer was due");
    }
    write_sysreg(cntv_ctl_el0, 0);
    printf("exits: wfx: wfi x4 done, each woken by the virtual timer\n");
#else
    printf("exits: QEMU_CHECK: hvc, smc and wfi steps skipped\n");
#endif

    uint64_t pfr0[3], mmfr0[3];
    for (int i = 0; i < 3; i++)
        pfr0[i] = read_sysreg(id_aa64pfr0_el1);
    for (int i = 0; i < 3; i++)
        mmfr0[i] = read_sysreg(id_aa64mmfr0_el1);
    printf("exits: sys64: ID_AA64PFR0_EL1 = 0x%lx, ID_AA64MMFR0_EL1 = 0x%lx (x3 each)\n",
           pfr0[0], mmfr0[0]);
    /* ID registers are constant; PFR0.EL1 [7:4] is 1 or 2 on any AArch64 CPU. */
    if (pfr0[1] != pfr0[0] || pfr0[2] != pfr0[0] || mmfr0[1] != mmfr0[0] ||
        mmfr0[2] != mmfr0[0] || ((pfr0[0] >> 4) & 0xf) == 0)
        return fail(12, "ID register values");

    uint32_t fr = 0;
    for (int i = 0; i < 10; i++)
        fr |= mmio_read32(rt_uart_base + PL011_UARTFR);
    printf("exits: mmio: UARTFR x10 (or-ed 0x%x)\n", fr);

    for (int i = 0; i < 2; i++)
        __asm__ volatile("blr %0" : : "r"(IABT_ADDR) : "x30", "memory");
    printf("exits: iabt: %u of 2 caught\n", iabt_seen);
    if (iabt_seen != 2)
        return fail(13, "instruction aborts");

    /* A data access with no memslot is an MMIO exit that finds no device:
     * reads as zero, no abort (KVM + QEMU behaviour). */
    uint32_t unassigned = mmio_read32(DABT_ADDR);
    printf("exits: unassigned read = 0x%x, %u aborts\n", unassigned, dabt_seen);
    if (unassigned != 0 || dabt_seen != 0)
        return fail(14, "unassigned read");

    printf("exits: done\n");
    return 0;
}
