/* Architecture-independent runtime pieces: locks and secondary-CPU start. */
#include "rt.h"

cpu_entry_t rt_cpu_fn[RT_MAX_CPUS];

void spin_lock(spinlock_t *l)
{
    /* Test-and-test-and-set: spin on a plain load so a waiting CPU does not
     * keep issuing exclusive stores.  (AArch64 with the MMU off makes this
     * Device memory, where exclusives are IMPLEMENTATION DEFINED; QEMU and
     * Unicorn implement them.) */
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            cpu_relax();
}

void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Entered by the arch start code on a freshly started CPU whose stack and
 * exception state are ready. */
void rt_secondary_main(unsigned id, uint64_t arg)
{
    cpu_entry_t fn = id < RT_MAX_CPUS ? __atomic_load_n(&rt_cpu_fn[id], __ATOMIC_ACQUIRE) : 0;
    if (fn)
        fn(arg);
    else
        printf("cpu%u: started without an entry function\n", id);
    cpu_off();
}

#ifdef RT_QEMU
uint64_t hv_arg(unsigned i)
{
    (void)i;
    return 0;
}
#endif
