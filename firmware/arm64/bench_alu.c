/* bench_alu: integer compute loop, ~no memory traffic (see lib/bench.h). */
#include "bench.h"

#ifndef ITERS
#define ITERS 22000000ULL   /* clang-14 -O2: 9 instructions per iteration, ~200 M in all */
#endif

int main(void)
{
    return bench_run("bench_alu", bench_alu_kernel, ITERS);
}
