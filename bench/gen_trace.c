/* Writes a synthetic ftrace text trace of N kvm_exit lines to standard
 * output, for `make bench` (the trace reader's throughput).  Deterministic:
 * the same N gives the same bytes.  Each exit is a kernel-format kvm_exit
 * line (6.18's print fmt, with requests), followed for MSR, I/O and EPT
 * exits by the companion event KVM prints for it, and by a kvm_entry line:
 * roughly the mix of a real x86 trace.  With "exits", kvm_exit lines only.
 *
 * usage: gen_trace N [VCPUS [exits]] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_mix.h"

static void companion(unsigned reason, uint64_t r, const char *head)
{
	if (reason == 32)
		printf("%s kvm_msr: msr_write %x = 0x%" PRIx64 "\n", head, r & 1 ? 0x830u : 0x6e0u, r >> 20);
	else if (reason == 30)
		printf("%s kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x%x \n", head, (unsigned)(r & 0x7f));
	else if (reason == 49)
		printf("%s kvm_mmio: mmio write len 4 gpa 0x%" PRIx64 " val 0x%x\n", head,
		       0xfebf0000u + (r & 0xffc), (unsigned)(r >> 40));
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: gen_trace N [VCPUS [exits]]\n");
		return 2;
	}
	uint64_t n = strtoull(argv[1], NULL, 10);
	unsigned vcpus = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
	if (!vcpus || vcpus > 256)
		vcpus = 4;
	int only_exits = argc > 3 && !strcmp(argv[3], "exits");
	static char out[1 << 20];
	setvbuf(stdout, out, _IOFBF, sizeof out);
	printf("# tracer: nop\n#\n");
	uint64_t ns = 1000000000000ull;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = next();
		const struct reason *x = &mix[r % (sizeof mix / sizeof mix[0])];
		unsigned v = (unsigned)(i % vcpus);
		char head[64];
		ns += 250 + (r >> 54);
		snprintf(head, sizeof head, " CPU %u/KVM-%u [%03u] d.... %" PRIu64 ".%06" PRIu64 ":", v, 4000 + v,
			 v, ns / 1000000000, ns / 1000 % 1000000);
		printf("%s kvm_exit: vcpu %u reason %s rip 0x%" PRIx64 " info1 0x%016" PRIx64
		       " info2 0x%016x intr_info 0x%08x error_code 0x%08x requests 0x%016x\n",
		       head, v, x->name, (uint64_t)0xffffffff81000000ull + (r >> 40), (r >> 8) & 0x1ff, 0,
		       x->num == 1 ? 0x800000ecu : 0, 0, 0);
		if (only_exits)
			continue;
		companion(x->num, r, head);
		printf("%s kvm_entry: vcpu %u, rip 0x%" PRIx64 " intr_info 0x00000000 error_code 0x00000000\n", head, v,
		       (uint64_t)(0xffffffff81000000ull + (r >> 40)));
	}
	return fflush(stdout) ? 1 : 0;
}
