/* x2apic-range: RDMSR and WRMSR at the edges of the x2APIC MSR range
 * (Intel SDM Vol. 3A 10.12.1.2, Table 10-6: 800H-BFFH is reserved for the
 * x2APIC, its registers lie in 802H-83FH, and "any attempt to access" a
 * reserved address in the range raises #GP; so does any x2APIC MSR in xAPIC
 * mode and a WRMSR to a read-only register).  XSA-108 (Xen, 2014) let a
 * guest read beyond the 800H-8FFH registers up to BFFH: each boundary
 * 7FFH, 800H, 8FFH, 900H, BFFH and C00H must #GP here, while the APIC ID,
 * version and TPR still work and a self-IPI through 83FH still arrives
 * afterwards (the guest survived the probes).
 * Exit status: 0 ok; 80 an access that should #GP did not; 81 a register
 * access that should work raised #GP or read wrong; 82 the self-IPI
 * afterwards never came; 83 #GP with a non-zero error code. */
#include "apic.h"
#include "x86/exc.h"

#define SELF_VECTOR 0x40

static volatile unsigned ipis;

void apic_irq_handler(unsigned vector)
{
    if (vector == SELF_VECTOR)
        ipis++;
    apic_eoi();
}

static const uint32_t edges[] = { 0x7ff, 0x800, 0x8ff, 0x900, 0xbff, 0xc00 };

static int probe_edges(void)
{
    uint64_t v;
    for (unsigned i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        int r = rdmsr_gp(edges[i], &v), w = wrmsr_gp(edges[i], 0);
        printf("x2apic-range: 0x%x: rdmsr %s, wrmsr %s\n", edges[i], r ? "#GP" : "read", w ? "#GP" : "written");
        if (!r || !w)
            return 80;
        if (exc_gp_error)
            return 83;
    }
    return 0;
}

int main(void)
{
    apic_idt_init();
    exc_set_handler(exc_msr_gp);
    apic_enable();
    uint64_t v;
    /* xAPIC mode: the x2APIC registers do not exist yet */
    if (!rdmsr_gp(0x802, &v) || !wrmsr_gp(0x808, 0))
        return 80;
    apic_x2apic_on();
    int r = probe_edges();
    if (r)
        return r;
    /* the registers inside: ID (read-only: a write #GPs), version, TPR */
    if (rdmsr_gp(0x802, &v) || v != 0 || !wrmsr_gp(0x802, 1))
        return 81;
    if (rdmsr_gp(0x803, &v) || (v & 0xff) != 0x14)
        return 81;
    if (wrmsr_gp(0x808, 0x20) || rdmsr_gp(0x808, &v) || v != 0x20 || wrmsr_gp(0x808, 0))
        return 81;
    /* survived: a self-IPI (10.12.11) is taken */
    wrmsr(0x83f, SELF_VECTOR);
    for (unsigned i = 0; i < 1000 && !ipis; i++)
        sti_hlt();
    if (ipis != 1)
        return 82;
    printf("x2apic-range: %u #GP taken, self-IPI received\nx2apic-range: PASS\n", exc_gp_count);
    return 0;
}
