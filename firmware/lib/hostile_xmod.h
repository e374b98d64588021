/* Cross-modifying code, for the hostile xmod guests of both architectures:
 * CPU 0 runs ret_imm(), CPU 1 rewrites it with xmod_patch() and signals, CPU 0
 * runs xmod_sync() and calls ret_imm() again, which must return the new
 * value.  ROUNDS rounds.  The including file defines ret_imm (returns its
 * immediate, 0 at first), xmod_patch(value) and xmod_sync().
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

#define ROUNDS 20

extern uint32_t ret_imm(void);
static void xmod_patch(uint32_t value);
static void xmod_sync(void);

static volatile uint64_t want, done;     /* round CPU 1 should write / has written */

static void cpu1_main(uint64_t unused)
{
    (void)unused;
    for (uint64_t r = 1; r <= ROUNDS; r++) {
        while (atomic_load(&want) < r)
            cpu_relax();
        xmod_patch((uint32_t)r * 3);
        atomic_store(&done, r);
    }
}

int main(void)
{
    printf("xmod: start\n");
    unsigned wrong = 0, first_wrong = 0, bad = 0;
    uint32_t got = ret_imm();
    CHECK(got == 0 && cpu_start(1, cpu1_main, 0) == 0, "ret_imm() = %u before, cpu1 started", got);
    for (uint64_t r = 1; r <= ROUNDS; r++) {
        atomic_store(&want, r);
        while (atomic_load(&done) < r)
            cpu_relax();
        xmod_sync();
        got = ret_imm();
        if (got != r * 3 && !wrong++) {
            first_wrong = (unsigned)r;
            bad = got;
        }
    }
    CHECK(wrong == 0, "%u rewrites by cpu1: %u ran old code on cpu0 (first: round %u gave %u)", ROUNDS, wrong,
          first_wrong, bad);
    return hostile_done("xmod");
}
