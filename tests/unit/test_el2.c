/* ARM EL2 trap model: HCR_EL2 trap decisions (Arm ARM DDI 0487 D19.2.48
 * HCR_EL2), ESR_EL2 syndromes (D19.2.46 ESR_EL2, ISS encodings), exit costs,
 * and set-up from a design.  Expected syndromes are computed by hand from
 * the field layout: EC [31:26], IL [25], ISS [24:0]. */
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "cpu/el2.h"
#include "tests/unit/unit.h"

/* Registers by name, (op0, op1, CRn, CRm, op2) from the Arm ARM register pages */
#define MIDR_EL1         SYS_REG(3, 0, 0, 0, 0)
#define MPIDR_EL1        SYS_REG(3, 0, 0, 0, 5)
#define REVIDR_EL1       SYS_REG(3, 0, 0, 0, 6)
#define ID_PFR0_EL1      SYS_REG(3, 0, 0, 1, 0)
#define ID_AA64PFR0_EL1  SYS_REG(3, 0, 0, 4, 0)
#define ID_AA64MMFR0_EL1 SYS_REG(3, 0, 0, 7, 0)
#define CCSIDR_EL1       SYS_REG(3, 1, 0, 0, 0)
#define CLIDR_EL1        SYS_REG(3, 1, 0, 0, 1)
#define CCSIDR2_EL1      SYS_REG(3, 1, 0, 0, 2)
#define AIDR_EL1         SYS_REG(3, 1, 0, 0, 7)
#define CSSELR_EL1       SYS_REG(3, 2, 0, 0, 0)
#define CTR_EL0          SYS_REG(3, 3, 0, 0, 1)
#define DCZID_EL0        SYS_REG(3, 3, 0, 0, 7)
#define SCTLR_EL1        SYS_REG(3, 0, 1, 0, 0)
#define ACTLR_EL1        SYS_REG(3, 0, 1, 0, 1)
#define CPACR_EL1        SYS_REG(3, 0, 1, 0, 2)
#define TTBR0_EL1        SYS_REG(3, 0, 2, 0, 0)
#define TTBR1_EL1        SYS_REG(3, 0, 2, 0, 1)
#define TCR_EL1          SYS_REG(3, 0, 2, 0, 2)
#define AFSR0_EL1        SYS_REG(3, 0, 5, 1, 0)
#define AFSR1_EL1        SYS_REG(3, 0, 5, 1, 1)
#define ESR_EL1          SYS_REG(3, 0, 5, 2, 0)
#define FAR_EL1          SYS_REG(3, 0, 6, 0, 0)
#define PAR_EL1          SYS_REG(3, 0, 7, 4, 0)
#define MAIR_EL1         SYS_REG(3, 0, 10, 2, 0)
#define AMAIR_EL1        SYS_REG(3, 0, 10, 3, 0)
#define VBAR_EL1         SYS_REG(3, 0, 12, 0, 0)
#define CONTEXTIDR_EL1   SYS_REG(3, 0, 13, 0, 1)
#define TPIDR_EL1        SYS_REG(3, 0, 13, 0, 4)
#define CNTKCTL_EL1      SYS_REG(3, 0, 14, 1, 0)
#define CNTVCT_EL0       SYS_REG(3, 3, 14, 0, 2)
#define DC_IVAC          SYS_REG(1, 0, 7, 6, 1)
#define DC_ISW           SYS_REG(1, 0, 7, 6, 2)
#define DC_CSW           SYS_REG(1, 0, 7, 10, 2)
#define DC_CISW          SYS_REG(1, 0, 7, 14, 2)
#define DC_CVAC          SYS_REG(1, 3, 7, 10, 1)
#define DC_ZVA           SYS_REG(1, 3, 7, 4, 1)

#define HCR_ALL (HCR_TWI | HCR_TWE | HCR_TID1 | HCR_TID2 | HCR_TID3 | HCR_TSC | HCR_TIDCP | \
		 HCR_TACR | HCR_TSW | HCR_TVM | HCR_TRVM)

static struct el2_model with_hcr(uint64_t hcr)
{
	struct el2_model m;
	memset(&m, 0, sizeof m);
	m.hcr_el2 = hcr;
	return m;
}

static bool traps(uint64_t hcr, uint32_t reg, bool is_read)
{
	struct el2_model m = with_hcr(hcr);
	return el2_traps_sysreg(&m, reg, is_read);
}

static void test_hcr_bits(void)
{
	/* Bit positions from D19.2.48 */
	CU_ASSERT_EQUAL(HCR_FMO, 1ull << 3);
	CU_ASSERT_EQUAL(HCR_IMO, 1ull << 4);
	CU_ASSERT_EQUAL(HCR_TWI, 1ull << 13);
	CU_ASSERT_EQUAL(HCR_TWE, 1ull << 14);
	CU_ASSERT_EQUAL(HCR_TID1, 1ull << 16);
	CU_ASSERT_EQUAL(HCR_TID2, 1ull << 17);
	CU_ASSERT_EQUAL(HCR_TID3, 1ull << 18);
	CU_ASSERT_EQUAL(HCR_TSC, 1ull << 19);
	CU_ASSERT_EQUAL(HCR_TIDCP, 1ull << 20);
	CU_ASSERT_EQUAL(HCR_TACR, 1ull << 21);
	CU_ASSERT_EQUAL(HCR_TSW, 1ull << 22);
	CU_ASSERT_EQUAL(HCR_TVM, 1ull << 26);
	CU_ASSERT_EQUAL(HCR_TRVM, 1ull << 30);
	/* Linux sys_reg() packing */
	CU_ASSERT_EQUAL(ID_AA64PFR0_EL1, 0x180400);
	CU_ASSERT_EQUAL(SYS_REG(3, 7, 15, 15, 7), 0x1fffe0);
}

static void test_twi_tsc(void)
{
	struct el2_model m = with_hcr(HCR_TWI);
	CU_ASSERT_TRUE(el2_traps_wfi(&m));
	CU_ASSERT_FALSE(el2_traps_smc(&m));
	m = with_hcr(HCR_TWE);                   /* TWE is about WFE, not WFI */
	CU_ASSERT_FALSE(el2_traps_wfi(&m));
	m = with_hcr(HCR_ALL & ~HCR_TWI);
	CU_ASSERT_FALSE(el2_traps_wfi(&m));
	CU_ASSERT_TRUE(el2_traps_smc(&m));
	m = with_hcr(HCR_TSC);
	CU_ASSERT_TRUE(el2_traps_smc(&m));
	CU_ASSERT_FALSE(el2_traps_wfi(&m));
	m = with_hcr(HCR_ALL & ~HCR_TSC);
	CU_ASSERT_FALSE(el2_traps_smc(&m));
	m = with_hcr(0);
	CU_ASSERT_FALSE(el2_traps_wfi(&m));
	CU_ASSERT_FALSE(el2_traps_smc(&m));
}

static void test_tid3(void)
{
	/* ID group 3: op0=3 op1=0 CRn=0 CRm=1..7, reads */
	CU_ASSERT_TRUE(traps(HCR_TID3, ID_AA64PFR0_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID3, ID_PFR0_EL1, true));          /* CRm=1 */
	CU_ASSERT_TRUE(traps(HCR_TID3, ID_AA64MMFR0_EL1, true));     /* CRm=7 */
	CU_ASSERT_TRUE(traps(HCR_TID3, SYS_REG(3, 0, 0, 7, 7), true));
	CU_ASSERT_FALSE(traps(HCR_TID3, ID_AA64PFR0_EL1, false));    /* writes are UNDEFINED, not trapped */
	/* Just outside the group */
	CU_ASSERT_FALSE(traps(HCR_TID3, MIDR_EL1, true));            /* CRm=0 */
	CU_ASSERT_FALSE(traps(HCR_TID3, MPIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_TID3, REVIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_TID3, SYS_REG(3, 0, 0, 8, 0), true));   /* CRm=8 */
	CU_ASSERT_FALSE(traps(HCR_TID3, SYS_REG(3, 1, 0, 4, 0), true));   /* op1=1 */
	CU_ASSERT_FALSE(traps(HCR_TID3, SYS_REG(3, 0, 1, 4, 0), true));   /* CRn=1 */
	CU_ASSERT_FALSE(traps(HCR_TID3, SYS_REG(2, 0, 0, 4, 0), true));   /* op0=2 (debug) */
	CU_ASSERT_FALSE(traps(HCR_TID3, CTR_EL0, true));
	/* Bit off */
	CU_ASSERT_FALSE(traps(0, ID_AA64PFR0_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TID3, ID_AA64PFR0_EL1, true));
}

static void test_tid1_tid2(void)
{
	/* TID1: REVIDR_EL1, AIDR_EL1 reads */
	CU_ASSERT_TRUE(traps(HCR_TID1, REVIDR_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID1, AIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_TID1, MIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_TID1, MPIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_TID1, CTR_EL0, true));
	CU_ASSERT_FALSE(traps(HCR_TID1, ID_AA64PFR0_EL1, true));
	CU_ASSERT_FALSE(traps(0, REVIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TID1, AIDR_EL1, true));

	/* TID2: cache ID registers; CSSELR_EL1 both ways */
	CU_ASSERT_TRUE(traps(HCR_TID2, CTR_EL0, true));
	CU_ASSERT_TRUE(traps(HCR_TID2, CCSIDR_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID2, CCSIDR2_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID2, CLIDR_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID2, CSSELR_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TID2, CSSELR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_TID2, AIDR_EL1, true));          /* op1=1 CRm=0 op2=7: TID1's */
	CU_ASSERT_FALSE(traps(HCR_TID2, DCZID_EL0, true));         /* CTR_EL0's neighbour */
	CU_ASSERT_FALSE(traps(HCR_TID2, MIDR_EL1, true));
	CU_ASSERT_FALSE(traps(0, CTR_EL0, true));
	CU_ASSERT_FALSE(traps(0, CSSELR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TID2, CCSIDR_EL1, true));
}

static void test_tacr_tsw(void)
{
	CU_ASSERT_TRUE(traps(HCR_TACR, ACTLR_EL1, true));
	CU_ASSERT_TRUE(traps(HCR_TACR, ACTLR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_TACR, SCTLR_EL1, false));        /* op2=0 */
	CU_ASSERT_FALSE(traps(HCR_TACR, CPACR_EL1, false));        /* op2=2 */
	CU_ASSERT_FALSE(traps(0, ACTLR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TACR, ACTLR_EL1, true));

	/* TSW: data cache maintenance by set/way only */
	CU_ASSERT_TRUE(traps(HCR_TSW, DC_ISW, false));
	CU_ASSERT_TRUE(traps(HCR_TSW, DC_CSW, false));
	CU_ASSERT_TRUE(traps(HCR_TSW, DC_CISW, false));
	CU_ASSERT_FALSE(traps(HCR_TSW, DC_IVAC, false));           /* by VA: same CRm as ISW */
	CU_ASSERT_FALSE(traps(HCR_TSW, DC_CVAC, false));
	CU_ASSERT_FALSE(traps(HCR_TSW, DC_ZVA, false));
	CU_ASSERT_FALSE(traps(0, DC_CISW, false));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TSW, DC_ISW, false));
}

static void test_tidcp(void)
{
	/* IMPLEMENTATION DEFINED registers S3_<op1>_C11/C15_<Cm>_<op2> */
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(3, 0, 11, 0, 0), true));
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(3, 0, 15, 2, 0), false));
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(3, 7, 15, 15, 7), true));
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(3, 1, 11, 3, 1), false));
	CU_ASSERT_FALSE(traps(HCR_TIDCP, MAIR_EL1, false));        /* CRn=10 */
	CU_ASSERT_FALSE(traps(HCR_TIDCP, VBAR_EL1, true));         /* CRn=12 */
	CU_ASSERT_FALSE(traps(HCR_TIDCP, CNTKCTL_EL1, true));      /* CRn=14 */
	CU_ASSERT_FALSE(traps(HCR_TIDCP, SYS_REG(2, 0, 15, 0, 0), true));
	CU_ASSERT_FALSE(traps(0, SYS_REG(3, 0, 15, 2, 0), true));
	CU_ASSERT_FALSE(traps(HCR_ALL & ~HCR_TIDCP, SYS_REG(3, 0, 11, 0, 0), true));
}

/* HCR_EL2.TIDCP also traps the IMPLEMENTATION DEFINED System instructions,
 * "accessed using SYS and SYSL, with CRn == {11, 15}" (D19.2.48, TIDCP),
 * i.e. op0=1, reported with EC 0x18. */
static void test_tidcp_sys_instructions(void)
{
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(1, 0, 11, 0, 0), false));
	CU_ASSERT_TRUE(traps(HCR_TIDCP, SYS_REG(1, 3, 15, 1, 2), true));   /* SYSL */
	CU_ASSERT_FALSE(traps(HCR_TIDCP, SYS_REG(1, 0, 7, 6, 1), false));  /* DC IVAC is architected */
	CU_ASSERT_FALSE(traps(0, SYS_REG(1, 0, 11, 0, 0), false));
}

static void test_tvm_trvm(void)
{
	static const uint32_t vm_regs[] = {
		SCTLR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1, AFSR0_EL1, AFSR1_EL1,
		ESR_EL1, FAR_EL1, MAIR_EL1, AMAIR_EL1, CONTEXTIDR_EL1,
	};
	for (unsigned i = 0; i < sizeof vm_regs / sizeof vm_regs[0]; i++) {
		uint32_t r = vm_regs[i];
		CU_ASSERT_TRUE(traps(HCR_TVM, r, false));     /* TVM: writes */
		CU_ASSERT_FALSE(traps(HCR_TVM, r, true));
		CU_ASSERT_TRUE(traps(HCR_TRVM, r, true));     /* TRVM: reads */
		CU_ASSERT_FALSE(traps(HCR_TRVM, r, false));
		CU_ASSERT_TRUE(traps(HCR_TVM | HCR_TRVM, r, true));
		CU_ASSERT_TRUE(traps(HCR_TVM | HCR_TRVM, r, false));
		CU_ASSERT_FALSE(traps(HCR_ALL & ~(HCR_TVM | HCR_TRVM), r, true));
		CU_ASSERT_FALSE(traps(HCR_ALL & ~(HCR_TVM | HCR_TRVM), r, false));
	}
	/* Neighbours that are not virtual-memory controls */
	static const uint32_t others[] = {
		ACTLR_EL1, CPACR_EL1, PAR_EL1, VBAR_EL1, TPIDR_EL1,
		SYS_REG(3, 0, 4, 0, 0) /* SPSR_EL1 */, SYS_REG(3, 0, 4, 0, 1) /* ELR_EL1 */,
		SYS_REG(3, 0, 10, 4, 0) /* LORSA_EL1 */,
	};
	for (unsigned i = 0; i < sizeof others / sizeof others[0]; i++) {
		CU_ASSERT_FALSE(traps(HCR_TVM | HCR_TRVM, others[i], true));
		CU_ASSERT_FALSE(traps(HCR_TVM | HCR_TRVM, others[i], false));
	}
}

static void test_untrapped_with_everything_on(void)
{
	/* Registers no consulted control covers stay with the guest */
	CU_ASSERT_FALSE(traps(HCR_ALL, MIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_ALL, MPIDR_EL1, true));
	CU_ASSERT_FALSE(traps(HCR_ALL, TPIDR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_ALL, VBAR_EL1, false));
	CU_ASSERT_FALSE(traps(HCR_ALL, CNTVCT_EL0, true));
	CU_ASSERT_FALSE(traps(HCR_ALL, DC_ZVA, false));
	/* HCR bits the model does not consult change nothing */
	CU_ASSERT_FALSE(traps(~0ull & ~HCR_ALL, SCTLR_EL1, false));
	CU_ASSERT_FALSE(traps(~0ull & ~HCR_ALL, ID_AA64PFR0_EL1, true));
}

static void test_esr_sys64(void)
{
	/* MRS x3, ID_AA64PFR0_EL1 (3,0,0,4,0): EC 0x18 -> 0x60000000, IL 0x02000000,
	 * Op0 3<<20 = 0x300000, Rt 3<<5 = 0x60, CRm 4<<1 = 0x8, Direction 1 */
	CU_ASSERT_EQUAL(el2_esr_sys64(ID_AA64PFR0_EL1, 3, true), 0x62300069);
	/* MSR SCTLR_EL1, x0: CRn 1<<10 = 0x400, Direction 0 */
	CU_ASSERT_EQUAL(el2_esr_sys64(SCTLR_EL1, 0, false), 0x62300400);
	/* MSR TTBR1_EL1, x30: Op2 1<<17 = 0x20000, CRn 2<<10 = 0x800, Rt 30<<5 = 0x3c0 */
	CU_ASSERT_EQUAL(el2_esr_sys64(TTBR1_EL1, 30, false), 0x62320bc0);
	/* MRS x1, CTR_EL0 (3,3,0,0,1): Op2 0x20000, Op1 3<<14 = 0xc000, Rt 0x20, Dir 1 */
	CU_ASSERT_EQUAL(el2_esr_sys64(CTR_EL0, 1, true), 0x6232c021);
	/* DC CISW, x5 (1,0,7,14,2): Op0 1<<20, Op2 2<<17 = 0x40000, CRn 7<<10 = 0x1c00,
	 * Rt 5<<5 = 0xa0, CRm 14<<1 = 0x1c */
	CU_ASSERT_EQUAL(el2_esr_sys64(DC_CISW, 5, false), 0x62141cbc);
	/* Every field at its maximum fills ISS[21:0] exactly */
	CU_ASSERT_EQUAL(el2_esr_sys64(SYS_REG(3, 7, 15, 15, 7), 31, true), 0x623fffff);
	/* Rt is 5 bits: 32 must not spill into CRn */
	CU_ASSERT_EQUAL(el2_esr_sys64(MIDR_EL1, 32, true), el2_esr_sys64(MIDR_EL1, 0, true));
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_sys64(MIDR_EL1, 0, true)), EC_SYS64);
}

static void test_esr_hvc_smc(void)
{
	/* EC 0x16 << 26 = 0x58000000, EC 0x17 << 26 = 0x5c000000, plus IL; ISS = imm16 */
	CU_ASSERT_EQUAL(el2_esr_hvc(0), 0x5a000000);
	CU_ASSERT_EQUAL(el2_esr_hvc(0x1234), 0x5a001234);
	CU_ASSERT_EQUAL(el2_esr_hvc(0xffff), 0x5a00ffff);
	CU_ASSERT_EQUAL(el2_esr_smc(0), 0x5e000000);
	CU_ASSERT_EQUAL(el2_esr_smc(0x8001), 0x5e008001);
}

static void test_esr_wfx_ti(void)
{
	uint32_t wfi = el2_esr_wfx(false), wfe = el2_esr_wfx(true);
	CU_ASSERT_EQUAL(ESR_EC(wfi), EC_WFX);
	CU_ASSERT_EQUAL(ESR_EC(wfe), EC_WFX);
	CU_ASSERT_EQUAL(wfi & ESR_IL, ESR_IL);
	CU_ASSERT_EQUAL(wfi & 3, 0);          /* TI: WFI */
	CU_ASSERT_EQUAL(wfe & 3, 1);          /* TI: WFE */
}

/* ISS of a trapped WF* instruction: CV [24], COND [23:20], TI [1:0].  "For
 * exceptions taken from AArch64", CV is 1 and COND is 0b1110 (ESR_EL2, ISS
 * encoding for an exception from a WF* instruction; QEMU: syn_wfx(1, 0xe, ...)).
 * EC 0x01 -> 0x04000000, IL 0x02000000, CV 0x01000000, COND 0xe << 20. */
static void test_esr_wfx_cv_cond(void)
{
	CU_ASSERT_EQUAL(el2_esr_wfx(false), 0x07e00000);
	CU_ASSERT_EQUAL(el2_esr_wfx(true), 0x07e00001);
}

static void test_esr_aborts(void)
{
	/* EC 0x24 << 26 = 0x90000000, + IL = 0x92000000 */
	/* STR w1, [x0]: ISV, SAS 2 (word) << 22 = 0x800000, SRT 1 << 16, WnR 0x40, DFSC level-3 translation 0x07 */
	CU_ASSERT_EQUAL(el2_esr_dabt_low(true, 2, 1, false, true, FSC_FAULT_L(3)), 0x93810047);
	/* LDR x2, [x0]: SAS 3 << 22 = 0xc00000, SRT 2 << 16, SF 0x8000, read */
	CU_ASSERT_EQUAL(el2_esr_dabt_low(true, 3, 2, true, false, FSC_FAULT_L(3)), 0x93c28007);
	/* LDRB w3, [x0], level-2 fault: SAS 0, SRT 3 << 16 */
	CU_ASSERT_EQUAL(el2_esr_dabt_low(true, 0, 3, false, false, FSC_FAULT_L(2)), 0x93030006);
	/* No valid syndrome (e.g. LDP): ISS[23:14] are RES0, WnR and DFSC still reported */
	CU_ASSERT_EQUAL(el2_esr_dabt_low(false, 3, 5, true, true, FSC_FAULT_L(3)), 0x92000047);
	CU_ASSERT_EQUAL(el2_esr_dabt_low(false, 0, 0, false, false, FSC_EXTABT), 0x92000010);
	/* Out-of-range fields are masked to their width (unmasked, SRT 36 would set SSE) */
	CU_ASSERT_EQUAL(el2_esr_dabt_low(true, 16 | 1, 32 | 4, false, false, 0x40 | 0x07), 0x93440007);

	/* EC 0x20 << 26 = 0x80000000 + IL; level-1 translation fault 0x05 */
	CU_ASSERT_EQUAL(el2_esr_iabt_low(FSC_FAULT_L(1)), 0x82000005);
	CU_ASSERT_EQUAL(el2_esr_iabt_low(FSC_EXTABT), 0x82000010);
	CU_ASSERT_EQUAL(el2_esr_iabt_low(0x40 | 0x05), 0x82000005);   /* IFSC is 6 bits */

	/* Injected synchronous external abort (KVM inject_abt64): EC 0x21/0x25
	 * from EL1, 0x20/0x24 from EL0, FSC 0x10 */
	CU_ASSERT_EQUAL(el2_esr_injected_abort(true, false, FSC_EXTABT), 0x86000010);
	CU_ASSERT_EQUAL(el2_esr_injected_abort(true, true, FSC_EXTABT), 0x82000010);
	CU_ASSERT_EQUAL(el2_esr_injected_abort(false, false, FSC_EXTABT), 0x96000010);
	CU_ASSERT_EQUAL(el2_esr_injected_abort(false, true, FSC_EXTABT), 0x92000010);
	/* kvm_inject_size_fault: the same classes with DFSC/IFSC 0b000000 */
	CU_ASSERT_EQUAL(el2_esr_injected_abort(true, false, FSC_ADDR_SIZE_L(0)), 0x86000000);
	CU_ASSERT_EQUAL(el2_esr_injected_abort(false, false, FSC_ADDR_SIZE_L(0)), 0x96000000);
}

static void test_names_and_classes(void)
{
	static const struct { enum el2_exit x; const char *name; enum esr_ec ec; unsigned ec_value; } t[] = {
		{ EL2X_WFX, "WFx", EC_WFX, 0x01 },
		{ EL2X_HVC64, "HVC64", EC_HVC64, 0x16 },
		{ EL2X_SMC64, "SMC64", EC_SMC64, 0x17 },
		{ EL2X_SYS64, "SYS64", EC_SYS64, 0x18 },
		{ EL2X_IABT_LOW, "IABT_LOW", EC_IABT_LOW, 0x20 },
		{ EL2X_DABT_LOW, "DABT_LOW", EC_DABT_LOW, 0x24 },
		{ EL2X_IRQ, "IRQ", EC_UNKNOWN, 0x00 },
	};
	CU_ASSERT_EQUAL(EL2X_COUNT, 7);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_STRING_EQUAL(el2_exit_name(t[i].x), t[i].name);
		CU_ASSERT_EQUAL(el2_exit_ec(t[i].x), t[i].ec);
		CU_ASSERT_EQUAL((unsigned)t[i].ec, t[i].ec_value);
	}
	CU_ASSERT_EQUAL(EC_IABT_CUR, 0x21);
	CU_ASSERT_EQUAL(EC_DABT_CUR, 0x25);
	/* The syndrome each builder makes has the class el2_exit_ec names */
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_hvc(1)), el2_exit_ec(EL2X_HVC64));
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_smc(1)), el2_exit_ec(EL2X_SMC64));
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_sys64(SCTLR_EL1, 1, false)), el2_exit_ec(EL2X_SYS64));
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_iabt_low(5)), el2_exit_ec(EL2X_IABT_LOW));
	CU_ASSERT_EQUAL(ESR_EC(el2_esr_dabt_low(true, 2, 1, false, true, 7)), el2_exit_ec(EL2X_DABT_LOW));
}

/* Unit costs and counts all distinct, so a part built from the wrong one shows. */
static struct el2_model parts_model(enum el2_world_switch ws)
{
	struct el2_model m = with_hcr(0);
	m.ws = ws;
	m.fpsimd = EL2_FP_LAZY;
	m.trap_cycles = 41;
	m.eret_cycles = 43;
	m.sysreg_cycles = 5;
	m.gic_sysreg_cycles = 37;
	m.gpr_pair_cycles = 2;
	m.fpsimd_cycles = 97;
	m.run_loop_cycles = 601;
	m.gprs = 46;
	m.el1_sysregs = 26;
	m.el2_ctl_regs = 7;
	m.timer_regs = 4;
	m.vgic_fixed_regs = 3;
	m.vgic_load_regs = 3;
	m.timer_load_regs = 2;
	m.mmio_user_cycles = 5000;
	for (unsigned i = 0; i < EL2X_COUNT; i++)
		m.handler[i] = 1000 * (i + 1);   /* distinct, so a wrong index shows */
	return m;
}

static void test_exit_parts_nvhe(void)
{
	struct el2_model m = parts_model(EL2_NVHE);
	struct cost c;
	el2_exit_parts(&m, EL2X_HVC64, false, 0, &c);
	/* __kvm_vcpu_run: host HVC + guest trap, ERET to the guest + ERET to the host */
	CU_ASSERT_EQUAL(c.part[EL2P_TRAP], 2 * 41);
	CU_ASSERT_EQUAL(c.part[EL2P_ERET], 2 * 43);
	CU_ASSERT_EQUAL(c.part[EL2P_GPR], 46 * 2);
	/* host saved, guest restored, guest saved, host restored: 4 x 26 accesses */
	CU_ASSERT_EQUAL(c.part[EL2P_EL1_SYSREGS], 4 * 26 * 5);
	CU_ASSERT_EQUAL(c.part[EL2P_TIMER], 4 * 5);
	CU_ASSERT_EQUAL(c.part[EL2P_EL2_CONFIG], 2 * 7 * 5);
	CU_ASSERT_EQUAL(c.part[EL2P_VGIC], 0);      /* no LR in use: no ICH_* access */
	CU_ASSERT_EQUAL(c.part[EL2P_FPSIMD], 0);    /* lazy */
	CU_ASSERT_EQUAL(c.part[EL2P_RUN_LOOP], 601);
	CU_ASSERT_EQUAL(c.part[EL2P_HANDLER], 2000);
	CU_ASSERT_EQUAL(c.part[EL2P_USER], 0);
	CU_ASSERT_EQUAL(c.part[EL2P_LOAD_PUT], 0);
	cycles_t ws = 82 + 86 + 92 + 520 + 20 + 70 + 601;
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_HVC64, false, 0), ws + 2000);
	/* two LRs in use: ELRSR, HCR twice, and per LR read, clear, write */
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_IRQ, false, 2), ws + 7000 + (3 + 3 * 2) * 37);
	/* MMIO to userspace: the round trip and vcpu_put/load (VMCR + APRs, timer) */
	el2_exit_parts(&m, EL2X_DABT_LOW, true, 0, &c);
	CU_ASSERT_EQUAL(c.part[EL2P_USER], 5000);
	CU_ASSERT_EQUAL(c.part[EL2P_LOAD_PUT], 2 * 3 * 37 + 2 * 2 * 5);
	CU_ASSERT_EQUAL(cost_total(&c), ws + 6000 + 5000 + 222 + 20);
	/* MMIO emulated in the kernel: no round trip, the device's part instead */
	m.kernel_mmio_cycles = 300;
	el2_exit_parts(&m, EL2X_DABT_LOW, false, 0, &c);
	CU_ASSERT_EQUAL(c.part[EL2P_KERNEL_DEV], 300);
	CU_ASSERT_EQUAL(c.part[EL2P_USER], 0);
	CU_ASSERT_EQUAL(cost_total(&c), ws + 6000 + 300);
	el2_exit_parts(&m, EL2X_DABT_LOW, true, 0, &c);
	CU_ASSERT_EQUAL(c.part[EL2P_KERNEL_DEV], 0);
	el2_exit_parts(&m, EL2X_SYS64, false, 0, &c);   /* only a data abort reaches a device */
	CU_ASSERT_EQUAL(c.part[EL2P_KERNEL_DEV], 0);
	/* After the handler, nVHE: the host's HVC (41), the EL1 restore (2 x 26
	 * x 5), CNTHCTL_EL2 (2 x 5), one ERET (43), the GPR restores (23 pairs
	 * x 2), the EL2 controls' guest values (7 x 5), the loop's entry share */
	m.run_loop_entry_cycles = 300;
	CU_ASSERT_EQUAL(el2_exit_tail(&m), 41 + 260 + 10 + 43 + 46 + 35 + 300);
	/* eager FP/SIMD: one switch per exit */
	m.fpsimd = EL2_FP_EAGER;
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_WFX, false, 0), ws + 1000 + 97);
	el2_switch_parts(&m, &c);
	CU_ASSERT_EQUAL(cost_total(&c), ws + 97);
	CU_ASSERT_EQUAL(c.part[EL2P_HANDLER], 0);
}

static void test_exit_parts_vhe(void)
{
	struct el2_model m = parts_model(EL2_VHE);
	struct cost c;
	el2_exit_parts(&m, EL2X_HVC64, false, 0, &c);
	/* __kvm_vcpu_run_vhe: one trap, one ERET; EL1 context and timer traps
	 * stay put until vcpu_put */
	CU_ASSERT_EQUAL(c.part[EL2P_TRAP], 41);
	CU_ASSERT_EQUAL(c.part[EL2P_ERET], 43);
	CU_ASSERT_EQUAL(c.part[EL2P_EL1_SYSREGS], 0);
	CU_ASSERT_EQUAL(c.part[EL2P_TIMER], 0);
	CU_ASSERT_EQUAL(c.part[EL2P_GPR], 92);
	CU_ASSERT_EQUAL(c.part[EL2P_EL2_CONFIG], 70);
	cycles_t ws = 41 + 43 + 92 + 70 + 601;
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_HVC64, false, 0), ws + 2000);
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_IRQ, false, 1), ws + 7000 + 6 * 37);
	/* vcpu_put/load moves the guest's EL1 context too under VHE */
	el2_exit_parts(&m, EL2X_DABT_LOW, true, 0, &c);
	CU_ASSERT_EQUAL(c.part[EL2P_LOAD_PUT], 222 + 20 + 2 * 26 * 5);
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_SYS64, true, 0), ws + 4000 + 5000 + 222 + 20 + 260);
	/* VHE is cheaper per exit, dearer per userspace round trip */
	struct el2_model n = parts_model(EL2_NVHE);
	CU_ASSERT_TRUE(el2_exit_cost(&m, EL2X_HVC64, false, 0) < el2_exit_cost(&n, EL2X_HVC64, false, 0));
	CU_ASSERT_EQUAL(el2_icv_access_cycles(&m), 37);
	/* VHE: no second trap, no EL1 or timer restore: ERET, GPRs, controls, loop */
	m.run_loop_entry_cycles = 300;
	CU_ASSERT_EQUAL(el2_exit_tail(&m), 43 + 46 + 35 + 300);
	/* every part has a name, all distinct */
	for (unsigned p = 0; p < EL2P_COUNT; p++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(el2_part_name(p));
		for (unsigned q = 0; q < p; q++)
			CU_ASSERT_STRING_NOT_EQUAL(el2_part_name(p), el2_part_name(q));
	}
	CU_ASSERT_TRUE(EL2P_COUNT <= COST_PARTS_MAX);
}

static struct cfg *el2_cfg(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, el2_cfg_keys, el2_cfg_nkeys), 0);
	return c;
}

static void test_init_from_cfg(void)
{
	struct cfg *c = el2_cfg();
	/* HCR_EL2 = KVM's HCR_GUEST_FLAGS without TWE; every cost distinct */
	static const char ini[] =
		"[el2]\n"
		"hcr_el2 = 0x8807c263f\n"
		"cnthctl_el2 = 0x1\n"
		"world_switch = nvhe\n"
		"fpsimd = eager\n"
		"trap_cycles = 401\n"
		"eret_cycles = 402\n"
		"sysreg_cycles = 3\n"
		"gic_sysreg_cycles = 31\n"
		"gpr_pair_cycles = 1\n"
		"fpsimd_cycles = 77\n"
		"run_loop_cycles = 600\n"
		"run_loop_entry_cycles = 700\n"
		"gprs = 46\n"
		"el1_sysregs = 26\n"
		"el2_ctl_regs = 7\n"
		"timer_regs = 4\n"
		"vgic_fixed_regs = 3\n"
		"vgic_load_regs = 2\n"
		"timer_load_regs = 5\n"
		"wfx_cycles = 403\n"
		"hvc_cycles = 404\n"
		"smc_cycles = 405\n"
		"sys64_cycles = 406\n"
		"iabt_cycles = 407\n"
		"dabt_cycles = 408\n"
		"kernel_mmio_cycles = 410\n"
		"irq_cycles = 409\n"
		"mmio_user_cycles = 5k\n";
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "test-el2.ini", ini), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), 0);

	struct el2_model m;
	memset(&m, 0xff, sizeof m);
	el2_init(&m, c);
	CU_ASSERT_EQUAL(m.hcr_el2, 0x8807c263fULL);
	CU_ASSERT_EQUAL(m.ws, EL2_NVHE);
	CU_ASSERT_EQUAL(m.fpsimd, EL2_FP_EAGER);
	CU_ASSERT_EQUAL(m.trap_cycles, 401);
	CU_ASSERT_EQUAL(m.eret_cycles, 402);
	CU_ASSERT_EQUAL(m.sysreg_cycles, 3);
	CU_ASSERT_EQUAL(m.gic_sysreg_cycles, 31);
	CU_ASSERT_EQUAL(m.gpr_pair_cycles, 1);
	CU_ASSERT_EQUAL(m.fpsimd_cycles, 77);
	CU_ASSERT_EQUAL(m.run_loop_cycles, 600);
	CU_ASSERT_EQUAL(m.gprs, 46);
	CU_ASSERT_EQUAL(m.el1_sysregs, 26);
	CU_ASSERT_EQUAL(m.el2_ctl_regs, 7);
	CU_ASSERT_EQUAL(m.timer_regs, 4);
	CU_ASSERT_EQUAL(m.vgic_fixed_regs, 3);
	CU_ASSERT_EQUAL(m.vgic_load_regs, 2);
	CU_ASSERT_EQUAL(m.timer_load_regs, 5);
	CU_ASSERT_EQUAL(m.handler[EL2X_WFX], 403);
	CU_ASSERT_EQUAL(m.handler[EL2X_HVC64], 404);
	CU_ASSERT_EQUAL(m.handler[EL2X_SMC64], 405);
	CU_ASSERT_EQUAL(m.handler[EL2X_SYS64], 406);
	CU_ASSERT_EQUAL(m.handler[EL2X_IABT_LOW], 407);
	CU_ASSERT_EQUAL(m.handler[EL2X_DABT_LOW], 408);
	CU_ASSERT_EQUAL(m.handler[EL2X_IRQ], 409);
	CU_ASSERT_EQUAL(m.cnthctl_el2, 1);
	CU_ASSERT_EQUAL(m.mmio_user_cycles, 5120);
	CU_ASSERT_EQUAL(m.kernel_mmio_cycles, 410);
	CU_ASSERT_EQUAL(m.run_loop_entry_cycles, 600);   /* a share of the loop: 700 cut to run_loop_cycles */
	/* 2 x 401 + 2 x 402 + 46 + 4 x 26 x 3 + 4 x 3 + 2 x 7 x 3 + 77 + 600, handler 404 */
	CU_ASSERT_EQUAL(el2_exit_cost(&m, EL2X_HVC64, false, 0), 802 + 804 + 46 + 312 + 12 + 42 + 77 + 600 + 404);

	/* KVM's flags: TWI TSC TID3 TIDCP TACR TSW on; TWE TID1 TID2 TVM TRVM off */
	CU_ASSERT_TRUE(el2_traps_wfi(&m));
	CU_ASSERT_TRUE(el2_traps_smc(&m));
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, ID_AA64PFR0_EL1, true));
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, ACTLR_EL1, false));
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, DC_CISW, false));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, CTR_EL0, true));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, REVIDR_EL1, true));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SCTLR_EL1, false));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, MIDR_EL1, true));
	/* IMO and FMO are set: SGI generation traps (IHI 0069H 12.2.20-22) */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 11, 5), false));   /* ICC_SGI1R_EL1 */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 11, 6), false));   /* ICC_ASGI1R_EL1 */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 11, 7), false));   /* ICC_SGI0R_EL1 */
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 12, 0), true));   /* ICC_IAR1_EL1: ICV, no trap */
	/* nVHE KVM: EL1PCTEN set, EL1PCEN clear: the physical timer traps, its counter does not */
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 0, 1), true));    /* CNTPCT_EL0 */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 2, 1), false));    /* CNTP_CTL_EL0 */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 2, 2), true));     /* CNTP_CVAL_EL0 */
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 2, 0), true));     /* CNTP_TVAL_EL0 */
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 3, 1), false));   /* CNTV_CTL_EL0 */
	m.hcr_el2 &= ~(HCR_IMO | HCR_FMO);
	m.cnthctl_el2 = CNTHCTL_EL1PCEN;
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 11, 5), false));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 0, 12, 11, 7), false));
	CU_ASSERT_FALSE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 2, 1), false));
	CU_ASSERT_TRUE(el2_traps_sysreg(&m, SYS_REG(3, 3, 14, 0, 1), true));
	cfg_free(c);
}

static void test_cfg_errors(void)
{
	struct cfg *c = el2_cfg();
	/* Costs are capped at 1e9 cycles */
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[el2]\nrun_loop_cycles = 2000000000\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "bad.ini:2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "el2.run_loop_cycles"));
	/* the world switch is one of two named kinds */
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[el2]\nworld_switch = hvhe\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "el2.world_switch"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "nvhe|vhe"));
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[el2]\nhcr_el2 = TWI\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "el2.hcr_el2"));
	/* A design missing a key is incomplete */
	CU_ASSERT_EQUAL(cfg_load_string(c, "part.ini", "[el2]\nhcr_el2 = 0\n"), 0);
	CU_ASSERT_EQUAL(cfg_check_complete(c), -1);
	cfg_free(c);
}

static CU_TestInfo tests[] = {
	{ "HCR_EL2 bit positions", test_hcr_bits },
	{ "TWI and TSC", test_twi_tsc },
	{ "TID3 covers CRm 1..7 only", test_tid3 },
	{ "TID1 and TID2", test_tid1_tid2 },
	{ "TACR and TSW", test_tacr_tsw },
	{ "TIDCP system registers", test_tidcp },
	{ "TIDCP SYS/SYSL instructions (op0=1)", test_tidcp_sys_instructions },
	{ "TVM writes, TRVM reads", test_tvm_trvm },
	{ "untrapped registers", test_untrapped_with_everything_on },
	{ "ESR SYS64", test_esr_sys64 },
	{ "ESR HVC64 and SMC64", test_esr_hvc_smc },
	{ "ESR WFx class and TI", test_esr_wfx_ti },
	{ "ESR WFx CV and COND from AArch64", test_esr_wfx_cv_cond },
	{ "ESR data and instruction aborts", test_esr_aborts },
	{ "exit names and classes", test_names_and_classes },
	{ "exit parts, nVHE", test_exit_parts_nvhe },
	{ "exit parts, VHE", test_exit_parts_vhe },
	{ "el2_init from a design", test_init_from_cfg },
	{ "design errors", test_cfg_errors },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("el2", tests);
}
