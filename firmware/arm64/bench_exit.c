/* bench_exit: a device-register read per iteration, each a VM exit under
 * hvsim (MMIO to the PL011; see lib/bench.h). */
#include "bench.h"

#ifndef ITERS
#define ITERS 1000000ULL    /* one exit and about 11 instructions per iteration */
#endif

int main(void)
{
    return bench_run("bench_exit", bench_exit_kernel, ITERS);
}
