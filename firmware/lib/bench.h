/* Benchmark kernels shared by the AArch64 and x86-64 bench guests.  Both
 * run a fixed iteration count (compile with -DITERS=n; each guest's default
 * gives about 200 M instructions), print a checksum that must be the same
 * under hvsim and QEMU, and, in hvsim builds, the simulated cycle count. */
#ifndef BENCH_H
#define BENCH_H
#include "rt.h"

/* Integer mix with a serial dependency chain and no memory traffic:
 * xorshift64 (Marsaglia 2003), a multiply-add and a shift/xor fold. */
static inline uint64_t bench_alu_kernel(uint64_t iters)
{
    uint64_t a = 0x9e3779b97f4a7c15ULL, b = 1, c = 0;
    for (uint64_t i = 0; i < iters; i++) {
        a ^= a << 13;
        a ^= a >> 7;
        a ^= a << 17;
        b = b * 0x5851f42d4c957f2dULL + a;
        c += (b >> 31) ^ i;
    }
    return a ^ b ^ c;
}

/* Load/store walk over a 1 MiB array: an odd stride modulo a power of two
 * visits every word, and 4099 words (~32 KiB) apart defeats spatial locality. */
#define BENCH_MEM_WORDS  (1u << 17)
#define BENCH_MEM_STRIDE 4099u

static inline uint64_t bench_mem_kernel(uint64_t iters)
{
    static uint64_t bench_mem_buf[BENCH_MEM_WORDS];   /* .bss */
    uint64_t idx = 0, sum = 0;
    for (uint64_t i = 0; i < BENCH_MEM_WORDS; i++)
        bench_mem_buf[i] = i * 0x9e3779b97f4a7c15ULL;
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t v = bench_mem_buf[idx];
        bench_mem_buf[idx] = v + i;
        sum += v;
        idx = (idx + BENCH_MEM_STRIDE) & (BENCH_MEM_WORDS - 1);
    }
    return sum;
}

/* Run a kernel, report, and return the exit status for main. */
static int bench_run(const char *name, uint64_t (*kernel)(uint64_t), uint64_t iters)
{
    printf("%s: %lu iterations\n", name, iters);
#ifdef RT_QEMU
    uint64_t sum = kernel(iters);
    printf("%s: checksum 0x%016lx\n", name, sum);
#else
    uint64_t c0 = hv_cycles();
    uint64_t sum = kernel(iters);
    uint64_t c1 = hv_cycles();
    printf("%s: checksum 0x%016lx\n", name, sum);
    printf("%s: simulated cycles %lu\n", name, c1 - c0);
#endif
    return 0;
}
#endif
