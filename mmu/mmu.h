/* mmu/: translation hardware as a library -- page-table formats, the one-
 * and two-dimensional walk with the ordered list of memory references it
 * makes, and (mmu/tlb.h) TLBs, page-walk caches, a nested TLB, the cost of
 * walk references and dirty logging.  Knows no CPU, no Unicorn, no trace
 * format: the cpu/ front ends, the IOMMU/SMMU models and trace replay all
 * call it.
 *
 * Address spaces: a stage-1 input is a virtual address (VA); a stage-1
 * output and a stage-2 input is a guest-physical address (GPA, Arm's IPA);
 * a stage-2 output, and every address the walker reads a descriptor from,
 * is a host-physical address (PA).  With no stage 2, GPA == PA.
 *
 * This header holds the types every part of mmu/ shares; the formats
 * (mmu/x86pt.h, mmu/ept.h, mmu/vmsa.h) and the walker (mmu/walk.c) fill
 * them. */
#ifndef HVSIM_MMU_MMU_H
#define HVSIM_MMU_MMU_H
#include <stdbool.h>
#include <stdint.h>

enum mmu_format {
	MMU_X86_PAGING,   /* IA-32e paging, 4 or 5 levels (Intel SDM Vol. 3A 4.5) */
	MMU_EPT,          /* EPT, 4 or 5 levels (SDM Vol. 3C 29.3) */
	MMU_VMSA_S1,      /* VMSAv8-64 stage 1, EL1&0 regime (Arm ARM DDI 0487 D8) */
	MMU_VMSA_S2,      /* VMSAv8-64 stage 2 (D8) */
};

/* Access rights, a bit set */
#define MMU_R   1u
#define MMU_W   2u
#define MMU_X   4u        /* instruction fetch at the access's privilege */
#define MMU_U   8u        /* stage 1: user (CPL 3) / EL0 accessible */
#define MMU_UX  16u       /* stage 1: executable at EL0 / CPL 3 */

/* One stage's configuration, as the guest's registers (stage 1) or the
 * hypervisor (stage 2) set it. */
struct mmu_stage {
	enum mmu_format fmt;
	uint64_t root;            /* CR3 / EPTP / TTBRn_EL1 / VTTBR_EL2 table base address
				   * (for stage 1 under a stage 2: a GPA) */
	unsigned levels;          /* x86 paging and EPT: 4 or 5 */
	unsigned granule_shift;   /* VMSA: 12, 14 or 16 (4K, 16K, 64K) */
	unsigned ia_bits;         /* VMSA: input address size, 64 - TnSZ */
	int start_level;          /* VMSA stage 2: from VTCR_EL2.SL0 (stage 1 derives it from ia_bits) */
	unsigned oa_bits;         /* output address size (TCR.IPS / VTCR.PS / MAXPHYADDR) */
	uint32_t ctl;             /* MMU_CTL_* */
	uint16_t tag;             /* ASID or PCID (stage 1), VMID or VPID (stage 2): TLB tag */
};
#define MMU_CTL_NXE   (1u << 0)   /* x86 IA32_EFER.NXE: the XD bit is defined */
#define MMU_CTL_WP    (1u << 1)   /* x86 CR0.WP: supervisor writes honour R/W */
#define MMU_CTL_SMEP  (1u << 2)   /* x86 CR4.SMEP */
#define MMU_CTL_SMAP  (1u << 3)   /* x86 CR4.SMAP (the access is not implicit and RFLAGS.AC=0) */
#define MMU_CTL_AD    (1u << 4)   /* hardware Accessed/Dirty: EPTP[6], TCR_EL1.HA, VTCR_EL2.HA */
#define MMU_CTL_DBM   (1u << 5)   /* VMSA hardware dirty state through DBM: TCR.HD, VTCR.HD */
#define MMU_CTL_XO    (1u << 6)   /* EPT execute-only translations (IA32_VMX_EPT_VPID_CAP[0]) */
#define MMU_CTL_WXN   (1u << 7)   /* VMSA SCTLR_EL1.WXN */
#define MMU_CTL_PAN   (1u << 8)   /* VMSA PSTATE.PAN */

/* One access to translate */
struct mmu_access {
	uint64_t addr;            /* input address of the first stage present */
	unsigned type;            /* MMU_R, MMU_W or MMU_X */
	bool user;                /* CPL 3 / EL0 */
};

/* Host-physical memory as the walker sees it: descriptor reads and the
 * write-back of Accessed/Dirty flags.  read returns false when nothing is
 * behind pa (outside RAM): the walk then faults, it never reads wild. */
struct mmu_mem {
	bool (*read)(void *ctx, uint64_t pa, uint64_t *desc);
	bool (*write)(void *ctx, uint64_t pa, uint64_t desc);
	void *ctx;
};

/* One descriptor access made by a walk, in the order the hardware makes
 * them.  A stage-1 step reads its table at a GPA, which stage 2 translates
 * first: those stage-2 references carry the stage-1 step they serve, so a
 * cache model can drop what a page-walk cache or nested TLB would supply. */
struct mmu_ref {
	uint64_t pa;              /* host-physical address of the descriptor */
	uint64_t ia;              /* input address of this (sub-)walk: VA for stage 1, GPA for stage 2 */
	uint8_t stage;            /* 1 or 2 */
	int8_t level;             /* the table's level, as the format numbers it (x86: 4 = PML4 .. 1 = PT,
				   * 5 = PML5; VMSA: -1 .. 3) */
	uint8_t step;             /* stage-1 step served: 0 .. n-1 the stage-1 table reads, n the final GPA */
	uint8_t flags;            /* MMU_REF_* */
};
#define MMU_REF_LEAF    1u    /* the descriptor that mapped the address (page or block) */
#define MMU_REF_UPDATE  2u    /* a write-back of Accessed/Dirty state (also counted as a reference) */
/* 5+5 levels: 35 reads, plus at most one Accessed/Dirty write-back per
 * descriptor read */
#define MMU_MAX_REFS 72

enum mmu_fault_kind {
	MMU_FAULT_NONE,
	MMU_FAULT_TRANSLATION,    /* not present / invalid descriptor */
	MMU_FAULT_PERMISSION,
	MMU_FAULT_ACCESS_FLAG,    /* VMSA AF == 0 without hardware update */
	MMU_FAULT_ADDR_SIZE,      /* input or output address beyond the configured size */
	MMU_FAULT_RESERVED,       /* x86 reserved bit set (#PF RSVD); EPT misconfiguration */
	MMU_FAULT_EXTERNAL,       /* a descriptor outside host memory (mmu_mem.read failed) */
};

struct mmu_fault {
	enum mmu_fault_kind kind;
	uint8_t stage;            /* 1 or 2 */
	int8_t level;             /* level of the descriptor that faulted */
	bool s1ptw;               /* stage-2 fault on a stage-1 table access */
	uint64_t va;              /* the access's input address (CR2, FAR_EL1/EL2, guest-linear address) */
	uint64_t gpa;             /* stage 2: the GPA that faulted (HPFAR_EL2, VMCS GUEST_PHYSICAL_ADDRESS) */
	/* The architectures' own encoding of this fault, as the guest or the
	 * hypervisor reads it: the #PF error code (SDM 4.7) for an x86 stage 1;
	 * the EPT-violation exit qualification (SDM Table 28-7) for EPT; the
	 * ISS of the data or instruction abort (DFSC/IFSC, WnR, S1PTW) for VMSA. */
	uint64_t syndrome;
};

struct mmu_result {
	uint64_t pa;              /* host-physical output */
	uint64_t gpa;             /* stage-1 output (== addr with no stage 1) */
	unsigned s1_shift, s2_shift;  /* log2 size of each stage's mapping (0: stage absent) */
	unsigned page_shift;      /* the combined mapping: the smaller of the two */
	unsigned perms;           /* MMU_R/W/X/U/UX granted by every stage */
	bool s1_dirty, s2_dirty;  /* the leaf's dirty state after this access (D bit / DBM writable) */
	unsigned nrefs;
	struct mmu_ref ref[MMU_MAX_REFS];
	struct mmu_fault fault;   /* kind NONE on success */
};

/* A translation regime: up to two stages, and the memory their tables are in. */
struct mmu_regime {
	const struct mmu_stage *s1;   /* NULL: no stage 1 (paging or the MMU off): GPA = VA */
	const struct mmu_stage *s2;   /* NULL: no stage 2: PA = GPA */
	struct mmu_mem mem;
};

/* Translates one access through both stages, setting Accessed/Dirty state
 * where the stage's ctl asks for hardware update.  Returns false with
 * res->fault filled on a fault (res->ref holds the references made up to
 * it).  Every walk is bounded by the levels of its stages. */
bool mmu_walk(const struct mmu_regime *r, const struct mmu_access *a, struct mmu_result *res);

#endif
