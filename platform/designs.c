/* Machine designs.  See designs.h. */
#include "platform/designs.h"
#include "cpu/el2.h"
#include "cpu/vmx.h"
#include "dev/msidev.h"
#include "gic/its.h"
#include "gic/vgic.h"
#include "mmu/cost.h"
#include "mmu/dirty.h"
#include "platform/machine.h"
#include "platform/memvirt.h"
#include "platform/pc.h"
#include "platform/virt.h"

int design_declare(struct cfg *c, enum isa isa)
{
	/* keys both machines have: sim/cpu, the TLBs and caches, the MSI device, [mmu] */
	if (cfg_declare(c, machine_cfg_keys, machine_cfg_nkeys) < 0 || cfg_declare(c, tlb_cfg_keys, tlb_cfg_nkeys) < 0 ||
	    cfg_declare(c, memh_cfg_keys, memh_cfg_nkeys) < 0 || cfg_declare(c, dirty_cfg_keys, dirty_cfg_nkeys) < 0 ||
	    cfg_declare(c, msidev_cfg_keys, msidev_cfg_nkeys) < 0 || cfg_declare(c, memvirt_cfg_keys, memvirt_cfg_nkeys) < 0)
		return -1;
	if (isa == ISA_A64)
		return cfg_declare(c, el2_cfg_keys, el2_cfg_nkeys) < 0 || cfg_declare(c, virt_cfg_keys, virt_cfg_nkeys) < 0 ||
		       cfg_declare(c, gic_cfg_keys, gic_cfg_nkeys) < 0 || cfg_declare(c, its_cfg_keys, its_cfg_nkeys) < 0 ||
		       cfg_declare(c, walkcache_vmsa_cfg_keys, walkcache_vmsa_cfg_nkeys) < 0 ? -1 : 0;
	return cfg_declare(c, vmx_cfg_keys, vmx_cfg_nkeys) < 0 || cfg_declare(c, pc_cfg_keys, pc_cfg_nkeys) < 0 ||
	       cfg_declare(c, lapic_cfg_keys, lapic_cfg_nkeys) < 0 || cfg_declare(c, pc_iommu_cfg_keys, pc_iommu_cfg_nkeys) < 0 ||
	       cfg_declare(c, walkcache_x86_cfg_keys, walkcache_x86_cfg_nkeys) < 0 ? -1 : 0;
}

int design_load_default(struct cfg *c, enum isa isa)
{
	if (design_declare(c, isa) < 0)
		return -1;
	return isa == ISA_A64 ? cfg_load_string(c, "designs/default-arm64.ini", hvsim_default_design_arm64)
			      : cfg_load_string(c, "designs/default-x86.ini", hvsim_default_design_x86);
}
