/* bench_branch: branchy loop, many short blocks (see lib/bench.h). */
#include "bench.h"

#ifndef ITERS
#define ITERS 8000000ULL    /* clang-14 -O2: about 20 instructions and 7 blocks per iteration, ~160 M in all */
#endif

int main(void)
{
    return bench_run("bench_branch", bench_branch_kernel, ITERS);
}
