/* unmodelled: touches, twice each, what hvsim does not model, for
 * tests/integration/unmodelled_arm64.sh (issue 11: each is reported once by
 * name, never silently ignored):
 *  - an IMPLEMENTATION DEFINED system register the Cortex-A72 does not have
 *    (S3_0_C15_C0_0: op1 0, CRn 15), read and written: UNDEFINED;
 *  - UDF #0x77: UNDEFINED;
 *  - a read and a write of a physical address with nothing behind it
 *    (below RAM, no device): read as zero, write ignored.
 * Exit status: 0 ok, 20 a wrong number of exceptions, 21 a read not zero. */
#include "rt.h"

#define UNASSIGNED 0x0A000000ULL   /* below RAM, no device */

static volatile unsigned taken;

static int on_exception(struct exc_frame *f)
{
    taken += ESR_EC(f->esr) == 0;  /* EC 0x00: Unknown reason (UNDEFINED) */
    f->elr += 4;
    return 1;
}

int main(void)
{
    exc_set_handler(on_exception);
    uint64_t x = 0;
    for (int i = 0; i < 2; i++) {
        __asm__ volatile("mrs %0, s3_0_c15_c0_0" : "=r"(x));
        __asm__ volatile("msr s3_0_c15_c0_0, %0" : : "r"(x));
        __asm__ volatile("udf #0x77");
    }
    if (taken != 6) {
        printf("unmodelled: FAIL: %u UNDEFINED exceptions, expected 6\n", taken);
        return 20;
    }
    uint64_t sum = 0;
    for (int i = 0; i < 2; i++) {
        sum |= *(volatile uint32_t *)UNASSIGNED;
        *(volatile uint32_t *)(UNASSIGNED + 8) = 1;
    }
    if (sum) {
        printf("unmodelled: FAIL: unassigned memory read 0x%llx\n", (unsigned long long)sum);
        return 21;
    }
    printf("unmodelled: ok\n");
    return 0;
}
