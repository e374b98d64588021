/* bench_alu: integer compute loop, ~no memory traffic (see lib/bench.h). */
#include "bench.h"

#ifndef ITERS
#define ITERS 13000000ULL   /* clang-14 -O2: 15.5 instructions per iteration (unrolled x2), ~200 M in all */
#endif

int main(void)
{
    return bench_run("bench_alu", bench_alu_kernel, ITERS);
}
