/* Common machine set-up.  See machine.h. */
#include "platform/machine.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/err.h"
#include "core/log.h"

/* Defaults and their sources: designs/default-*.ini */
const struct cfg_key machine_cfg_keys[] = {
	{ "sim", "vcpus", CFG_U64, 1, MACHINE_MAX_CPUS, NULL, "number of vCPUs" },
	{ "sim", "ram_mb", CFG_U64, 16, 16384, NULL, "guest RAM in MiB" },
	{ "sim", "quantum_cycles", CFG_U64, 100, 1e9, NULL,
	  "temporal-decoupling quantum: vCPUs interleave every this many cycles; cross-vCPU effects may be this late" },
	{ "sim", "exception_loop_limit", CFG_U64, 2, 1e6, NULL,
	  "guest-fault stop after this many identical exceptions at one PC with no instruction retired between" },
	{ "guest", "arg0", CFG_U64, 0, (double)UINT64_MAX, NULL,
	  "parameter 0 the guest reads with the ARG hypercall (hvsim-abi.h); 0 = the guest's own default" },
	{ "guest", "arg1", CFG_U64, 0, (double)UINT64_MAX, NULL, "guest parameter 1 (ARG hypercall)" },
	{ "guest", "arg2", CFG_U64, 0, (double)UINT64_MAX, NULL, "guest parameter 2 (ARG hypercall)" },
	{ "guest", "arg3", CFG_U64, 0, (double)UINT64_MAX, NULL, "guest parameter 3 (ARG hypercall)" },
	{ "cpu", "freq_mhz", CFG_U64, 1, 100000, NULL, "core clock (converts cycles to time)" },
	{ "cpu", "cpi_alu", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per integer ALU/move instruction" },
	{ "cpu", "cpi_muldiv", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per integer multiply/divide" },
	{ "cpu", "cpi_load", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per load (cache hit)" },
	{ "cpu", "cpi_store", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per store (cache hit)" },
	{ "cpu", "cpi_branch", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per branch (predicted)" },
	{ "cpu", "cpi_fp", CFG_DOUBLE, 0.01, 1000, NULL, "base cycles per floating-point/SIMD instruction" },
	{ "cpu", "cpi_system", CFG_DOUBLE, 0.01, 10000, NULL, "base cycles per system instruction that does not exit" },
};
const unsigned machine_cfg_nkeys = sizeof machine_cfg_keys / sizeof machine_cfg_keys[0];

void machine_cpi_milli(const struct cfg *c, uint32_t cpi_milli[IC_COUNT])
{
	static const char *const key[IC_COUNT] = {
		[IC_ALU] = "cpi_alu", [IC_MULDIV] = "cpi_muldiv", [IC_LOAD] = "cpi_load",
		[IC_STORE] = "cpi_store", [IC_BRANCH] = "cpi_branch", [IC_FP] = "cpi_fp",
		[IC_SYSTEM] = "cpi_system",
	};
	for (unsigned i = 0; i < IC_COUNT; i++)
		cpi_milli[i] = (uint32_t)(cfg_double(c, "cpu", key[i]) * 1000.0 + 0.5);
}

int machine_init(struct machine *m, enum isa isa, const char *name, const struct cfg *c,
		 struct stats *st, uint64_t ram_base)
{
	memset(m, 0, sizeof *m);
	m->isa = isa;
	m->name = name;
	m->cfg = c;
	m->stats = st;
	m->ncpus = (unsigned)cfg_u64(c, "sim", "vcpus");
	m->freq_hz = cfg_u64(c, "cpu", "freq_mhz") * 1000000ULL;
	m->ram_base = ram_base;
	m->ram_size = cfg_u64(c, "sim", "ram_mb") << 20;
	for (unsigned i = 0; i < MACHINE_GUEST_ARGS; i++) {
		char key[8];
		snprintf(key, sizeof key, "arg%u", i);
		m->guest_arg[i] = cfg_u64(c, "guest", key);
	}
	/* Anonymous memory: page-aligned for Unicorn (uc_mem_map_ptr), zero on
	 * first touch, no swap reserved, so host memory follows what the guest
	 * touches, not ram_mb. */
	void *ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		return err_set("cannot map %llu bytes of host memory for guest RAM (sim.ram_mb = %llu): %s",
			       (unsigned long long)m->ram_size, (unsigned long long)(m->ram_size >> 20),
			       strerror(errno));
	m->ram = ram;
	m->console = stdout;
	m->unassigned = stats_counter(st, "platform.unassigned_accesses",
				      "guest accesses to physical addresses with no RAM or device (read as zero, writes ignored)");
	m->unmodelled = stats_counter(st, "platform.unmodelled",
				      "guest uses of what hvsim does not model (system registers, instructions, device "
				      "addresses), each name reported once on stderr");
	m->unmodelled_kinds = stats_counter(st, "platform.unmodelled_names",
					    "of them, distinct names reported");
	return 0;
}

void machine_unmodelled(struct machine *m, const char *name, const char *fmt, ...)
{
	(*m->unmodelled)++;
	for (unsigned i = 0; i < m->nunmodelled_seen; i++)
		if (!strcmp(m->unmodelled_seen[i], name))
			return;
	if (m->nunmodelled_seen == MACHINE_UNMODELLED_NAMES) {
		if (!m->unmodelled_more)
			log_warn("unmodelled: more than %d different things; the others are counted "
				 "(platform.unmodelled), not named", MACHINE_UNMODELLED_NAMES);
		m->unmodelled_more = true;
		return;
	}
	char **seen = realloc(m->unmodelled_seen, (m->nunmodelled_seen + 1) * sizeof *seen);
	char *copy = strdup(name);
	if (!seen || !copy) {   /* out of memory: report anyway, maybe again */
		free(copy);
		if (seen)
			m->unmodelled_seen = seen;
	} else {
		m->unmodelled_seen = seen;
		m->unmodelled_seen[m->nunmodelled_seen++] = copy;
		(*m->unmodelled_kinds)++;
	}
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	log_warn("unmodelled: %s: %s (reported once)", name, what);
}

void machine_fini(struct machine *m)
{
	if (m->ram)
		munmap(m->ram, m->ram_size);
	for (unsigned i = 0; i < m->nunmodelled_seen; i++)
		free(m->unmodelled_seen[i]);
	free(m->unmodelled_seen);
	m->unmodelled_seen = NULL;
	m->nunmodelled_seen = 0;
	m->ram = NULL;
}

bool machine_in_ram(const struct machine *m, uint64_t addr, uint64_t len)
{
	return addr >= m->ram_base && len <= m->ram_size && addr - m->ram_base <= m->ram_size - len;
}

void machine_load_elf(struct machine *m, const struct elf_image *img)
{
	m->elf = img;
	/* elf_load() checked every segment against this RAM window. */
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint8_t *dst = m->ram + (s->paddr - m->ram_base);
		if (s->filesz)   /* a bss-only segment has no data (NULL) */
			memcpy(dst, s->data, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

static const struct dev_window *find(const struct dev_window *w, unsigned n, uint64_t a)
{
	for (unsigned i = 0; i < n; i++)
		if (a >= w[i].base && a - w[i].base < w[i].size)
			return &w[i];
	return NULL;
}

const struct dev_window *machine_find_mmio(const struct machine *m, uint64_t a) { return find(m->mmio, m->nmmio, a); }
const struct dev_window *machine_find_pio(const struct machine *m, uint64_t p) { return find(m->pio, m->npio, p); }
