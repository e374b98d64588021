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

/* Branchy loop: short blocks ended by data-dependent conditional branches
 * (an empty asm in each arm keeps the compiler from turning them into
 * selects) and a call through a table of functions (an indirect branch and a
 * return per iteration), so per-block costs dominate. */
#define BENCH_KEEP(x, tag) __asm__ volatile("/* " #tag " */" : "+r"(x))   /* distinct arms */
typedef uint64_t (*bench_op_t)(uint64_t acc, uint64_t x);
static __attribute__((noinline)) uint64_t bench_op_add(uint64_t acc, uint64_t x) { return acc + x; }
static __attribute__((noinline)) uint64_t bench_op_xor(uint64_t acc, uint64_t x) { return acc ^ (x >> 5); }
static __attribute__((noinline)) uint64_t bench_op_mul(uint64_t acc, uint64_t x) { return acc * 3 + x; }
static __attribute__((noinline)) uint64_t bench_op_rot(uint64_t acc, uint64_t x) { return (acc << 7 | acc >> 57) ^ x; }

static inline uint64_t bench_branch_kernel(uint64_t iters)
{
    static bench_op_t const ops[4] = { bench_op_add, bench_op_xor, bench_op_mul, bench_op_rot };
    uint64_t x = 0x9e3779b97f4a7c15ULL, acc = 0;
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x & 1) {
            BENCH_KEEP(acc, odd);
            acc += i;
        } else {
            BENCH_KEEP(acc, even);
            acc ^= i << 3;
        }
        if (x & 0x30) {
            BENCH_KEEP(acc, bits);
            acc -= x >> 40;
        }
        acc = ops[(x >> 8) & 3](acc, x);
    }
    return acc;
}

/* Exit-heavy loop: reads the UART's status register, a device access that
 * is a VM exit under hvsim (stage-2 data abort on ARM, port I/O on x86) and
 * an I/O dispatch under QEMU.  Both machines' UARTs are always ready to
 * transmit, which the checksum includes. */
static inline uint32_t bench_uart_ready(void)
{
#if defined(__aarch64__)
    return !(mmio_read32(rt_uart_base + PL011_UARTFR) & PL011_UARTFR_TXFF);
#else
    return (inb(HVSIM_PC_COM1 + UART_LSR) & UART_LSR_THRE) != 0;
#endif
}

static inline uint64_t bench_exit_kernel(uint64_t iters)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iters; i++)
        sum = sum * 31 + (bench_uart_ready() ? i : 1);
    return sum;
}

/* Memory footprint: a 64 MiB array in .bss (the start code zeroes it, so
 * every page is touched once), then one word of each 4 KiB page per pass. */
#define BENCH_TOUCH_WORDS ((64u << 20) / 8)

static inline uint64_t bench_touch_kernel(uint64_t passes)
{
    static uint64_t bench_touch_buf[BENCH_TOUCH_WORDS];   /* .bss */
    uint64_t sum = 0;
    for (uint64_t i = 0; i < passes; i++)
        for (uint64_t w = 0; w < BENCH_TOUCH_WORDS; w += 4096 / 8) {
            bench_touch_buf[w] += w ^ i;
            sum += bench_touch_buf[w];
        }
    return sum;
}

/* The long variants (-long.elf, make bench) run BENCH_SCALE times the
 * iterations: the difference from the normal run is the loop's own cost,
 * free of start-up. */
#ifndef BENCH_SCALE
#define BENCH_SCALE 1
#endif

/* Run a kernel, report, and return the exit status for main. */
static int bench_run(const char *name, uint64_t (*kernel)(uint64_t), uint64_t iters)
{
    iters *= BENCH_SCALE;
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
