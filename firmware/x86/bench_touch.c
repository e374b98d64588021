/* bench_touch: touches 64 MiB of guest RAM, for measuring hvsim's host
 * memory use with a large guest RAM (see lib/bench.h and bench/README.md). */
#include "bench.h"

#ifndef ITERS
#define ITERS 4ULL   /* passes over the array */
#endif

int main(void)
{
    return bench_run("bench_touch", bench_touch_kernel, ITERS);
}
