/* Memory virtualization by the modelled hypervisor.  See memvirt.h. */
#include "platform/memvirt.h"
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "mmu/build.h"

/* Defaults and their sources: designs/default-*.ini */
const struct cfg_key memvirt_cfg_keys[] = {
	{ "mmu", "model", CFG_ENUM, 0, 0, "off|on",
	  "on: hvsim translates every guest access (stage 1, stage 2/EPT, TLBs, walk costs); needs Unicorn 2.1" },
	{ "mmu", "stage2", CFG_ENUM, 0, 0, "none|nested|shadow",
	  "none (guest stage 1 only), nested (EPT / VMSA stage 2: 2-D walk) or shadow page tables" },
	{ "mmu", "s2_page", CFG_ENUM, 0, 0, "4k|2m|1g", "page size of the hypervisor's stage-2/EPT mappings of guest RAM" },
	{ "mmu", "tlb_sync", CFG_ENUM, 0, 0, "evict|evict_all|slice|exact",
	  "Unicorn's TLB flushed when the last-level / any modelled TLB drops an entry, at slice ends, or per access" },
	{ "mmu", "sample", CFG_U64, 1, 1e6, NULL,
	  "model 1 Unicorn TLB fill in this many (1: all); the others cost the mean of the modelled ones" },
	{ "mmu", "dirty_round_cycles", CFG_U64, 0, 1e15, NULL,
	  "dirty logging: also end a round whenever vCPU 0's clock passes a multiple of this (0: only at DIRTY_ROUND)" },
	{ "mmu", "shadow_pt_write_cycles", CFG_U64, 0, 1e9, NULL,
	  "shadow paging: emulating a guest write to a write-protected page table and updating the shadow" },
	{ "mmu", "shadow_fault_cycles", CFG_U64, 0, 1e9, NULL,
	  "shadow paging: a hidden page fault (software walk of the guest tables, shadow entry install)" },
	{ "mmu", "shadow_switch_cycles", CFG_U64, 0, 1e9, NULL,
	  "shadow paging: a trapped CR3/TTBR write (find or build the shadow root)" },
	{ "mmu", "shadow_invlpg_cycles", CFG_U64, 0, 1e9, NULL,
	  "shadow paging: a trapped INVLPG/TLBI (zap the shadow entries)" },
};
const unsigned memvirt_cfg_nkeys = sizeof memvirt_cfg_keys / sizeof memvirt_cfg_keys[0];

/* Cortex-A72 ID_AA64MMFR0_EL1.PARange = 0b0100: 44 bits (A72 TRM 4.3.41) */
#define A72_PA_BITS 44
/* Xeon Gold 6142 (Skylake-SP): CPUID.80000008H:EAX[7:0] = 46 */
#define SKX_PA_BITS 46
/* The VM's IPA space on virt: KVM's default VTCR_EL2.T0SZ = 24 */
#define VIRT_IPA_BITS 40

/* The 8 bytes at host-physical pa: guest RAM or the pool; NULL elsewhere */
static uint8_t *host_ptr(struct memvirt *mv, uint64_t pa)
{
	const struct machine *m = mv->m;
	if (machine_in_ram(m, pa, 8))
		return m->ram + (pa - m->ram_base);
	if (mv->pool_size >= 8 && pa >= MEMVIRT_POOL_HPA && pa - MEMVIRT_POOL_HPA <= mv->pool_size - 8)
		return mv->pool + (pa - MEMVIRT_POOL_HPA);
	return NULL;
}

static bool mem_read(void *ctx, uint64_t pa, uint64_t *desc)
{
	uint8_t *p = host_ptr(ctx, pa);
	if (p)
		memcpy(desc, p, 8);
	return p != NULL;
}

static bool mem_write(void *ctx, uint64_t pa, uint64_t desc)
{
	uint8_t *p = host_ptr(ctx, pa);
	if (p)
		memcpy(p, &desc, 8);
	return p != NULL;
}

struct mmu_mem memvirt_mem(struct memvirt *mv)
{
	return (struct mmu_mem){ mem_read, mem_write, mv };
}

const struct mmu_stage *memvirt_stage2(const struct memvirt *mv)
{
	return mv->on && mv->stage2 == MV_S2_NESTED ? &mv->s2 : NULL;
}

uint64_t memvirt_alloc_table(struct memvirt *mv, uint64_t bytes)
{
	uint64_t at = (mv->pool_used + bytes - 1) & ~(bytes - 1);
	if (bytes == 0 || (bytes & (bytes - 1)) || bytes > 65536 || at > mv->pool_size || mv->pool_size - at < bytes)
		return 0;
	mv->pool_used = at + bytes;
	return MEMVIRT_POOL_HPA + at;   /* calloc'd: already zero */
}

/* Tables to map `ram` bytes with 4 KiB pages, with room to spare: one
 * last-level table per 2 MiB, one per GiB above it, and the top levels. */
static uint64_t pool_bytes(uint64_t ram)
{
	return ((ram >> 21) + (ram >> 30) + 16) * 4096;
}

static bool pool_alloc(void *ctx, uint64_t size, uint64_t *addr)
{
	*addr = memvirt_alloc_table(ctx, size);
	return *addr != 0;
}

/* All of guest RAM, GPA -> HPA (== GPA), read/write/execute: the largest
 * pages of the design's size that fit, 4 KiB pages at unaligned ends. */
static int build_stage2(struct memvirt *mv)
{
	struct mmu_builder b = { .st = &mv->s2, .mem = memvirt_mem(mv), .alloc = pool_alloc, .alloc_ctx = mv };
	uint64_t base = mv->m->ram_base, end = base + mv->m->ram_size, big = 1ULL << mv->s2_page_shift;
	uint64_t lo = (base + big - 1) & ~(big - 1), hi = end & ~(big - 1);
	unsigned rwx = MMU_R | MMU_W | MMU_X;
	if (mmu_build_root(&b, &mv->s2.root) < 0)
		return -1;
	if (lo >= hi)
		return mmu_map(&b, base, base, end - base, 12, rwx, MMU_ATTR_DEFAULT);
	if ((lo > base && mmu_map(&b, base, base, lo - base, 12, rwx, MMU_ATTR_DEFAULT) < 0) ||
	    mmu_map(&b, lo, lo, hi - lo, mv->s2_page_shift, rwx, MMU_ATTR_DEFAULT) < 0 ||
	    (end > hi && mmu_map(&b, hi, hi, end - hi, 12, rwx, MMU_ATTR_DEFAULT) < 0))
		return -1;
	return 0;
}

/* The hypervisor's second stage, as KVM configures it. */
static void stage2_regs(struct memvirt *mv)
{
	if (mv->vmsa) {
		/* KVM (kvm_get_vtcr, stage2_pgtable_levels(ipa - 4)): a 40-bit IPA
		 * with 4 KiB granules starts at level 1 with two concatenated
		 * tables (VTCR_EL2.SL0 = 1, Arm ARM D8.2.6). */
		mv->s2 = (struct mmu_stage){ .fmt = MMU_VMSA_S2, .granule_shift = 12, .ia_bits = VIRT_IPA_BITS,
					     .start_level = 1, .oa_bits = A72_PA_BITS, .tag = 1 };
	} else {
		/* EPTP: 4-level walk, A/D flags on (KVM enable_ept_ad_bits), VPID 1 */
		mv->s2 = (struct mmu_stage){ .fmt = MMU_EPT, .levels = 4, .oa_bits = SKX_PA_BITS, .ctl = MMU_CTL_AD,
					     .tag = 1 };
	}
}

int memvirt_init(struct memvirt *mv, const struct machine *m, const struct cfg *c)
{
	static const unsigned page_shift[] = { 12, 21, 30 };
	memset(mv, 0, sizeof *mv);
	mv->m = m;
	mv->vmsa = m->isa == ISA_A64;
	mv->on = cfg_enum(c, "mmu", "model") == 1;
	mv->stage2 = (enum memvirt_stage2)cfg_enum(c, "mmu", "stage2");
	mv->s2_page_shift = page_shift[cfg_enum(c, "mmu", "s2_page")];
	mv->sync = (enum memvirt_sync)cfg_enum(c, "mmu", "tlb_sync");
	mv->sample = cfg_u64(c, "mmu", "sample");
	mv->dirty_round_cycles = cfg_u64(c, "mmu", "dirty_round_cycles");
	mv->shadow_pt_write_cycles = cfg_u64(c, "mmu", "shadow_pt_write_cycles");
	mv->shadow_fault_cycles = cfg_u64(c, "mmu", "shadow_fault_cycles");
	mv->shadow_switch_cycles = cfg_u64(c, "mmu", "shadow_switch_cycles");
	mv->shadow_invlpg_cycles = cfg_u64(c, "mmu", "shadow_invlpg_cycles");
	if (!mv->on || mv->stage2 != MV_S2_NESTED)
		return 0;
	mv->pool_size = pool_bytes(m->ram_size);
	if (!(mv->pool = calloc(1, mv->pool_size)))
		return err_set("out of memory for the stage-2 tables (%llu KiB)", (unsigned long long)(mv->pool_size >> 10));
	stage2_regs(mv);
	return build_stage2(mv);
}

void memvirt_fini(struct memvirt *mv)
{
	free(mv->pool);
	mv->pool = NULL;
}
