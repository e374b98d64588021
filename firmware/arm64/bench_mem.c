/* bench_mem: load/store walk over a 1 MiB array (see lib/bench.h). */
#include "bench.h"

#ifndef ITERS
#define ITERS 20000000ULL   /* clang-14 -O2: 10 instructions per iteration, ~200 M in all */
#endif

int main(void)
{
    return bench_run("bench_mem", bench_mem_kernel, ITERS);
}
