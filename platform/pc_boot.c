/* Multiboot v1 boot of the "pc" machine, as qemu-system-x86_64 -kernel
 * boots a multiboot kernel (hw/i386/multiboot.c and its option ROM
 * pc-bios/optionrom/multiboot.S).  See pc.h and hvsim-abi.h. */
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "loader/multiboot.h"
#include "platform/hvsim-abi.h"
#include "platform/pc.h"

#define MB_ONE_MIB 0x100000ULL

/* The loader's GDT (SDM Vol. 3A 3.4.5): 0x08 code, 0x10 data, both base 0,
 * limit 4 GiB, 32-bit (D/B = 1), present, DPL 0 (what §3.2 requires of
 * CS and the data segments at entry). */
static const uint64_t stub_gdt[3] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL };
#define STUB_FAR   0x18   /* m16:32 pointer of the first far jump */
#define STUB_CODE  0x20   /* 64-bit code */
#define STUB_CODE32 0x40  /* 32-bit code */

/* The CPU model starts in IA-32e mode with paging off (Unicorn's
 * UC_MODE_64 reset), which only clearing CR0.PG in compatibility mode
 * leaves (SDM Vol. 3A 10.8.5.4 "Switching Out of IA-32e Mode
 * Operation").  So the vCPU starts here with paging on over identity
 * tables (pc_mb_entry), and the stub does what the SDM lists:
 *   64-bit:  ljmp *far                  to 0x08:code32 (compatibility mode)
 *   32-bit:  mov $0x11,%eax; mov %eax,%cr0   PE|ET, paging off: LMA clears
 *            xor %eax,%eax; mov %eax,%cr4    (CR3 is left: paging is off,
 *            and a CR3 write would be an exit under shadow paging) 
 *            mov $0x10,%ecx; mov %ecx,%ds/%es/%fs/%gs/%ss; xor %ecx,%ecx
 *            mov $0x2badb002,%eax; ljmp $0x08,$entry
 * then the kernel runs in the state §3.2 describes (EBX set beforehand). */
static void stub_write(uint8_t *b, uint32_t at, uint32_t entry)
{
	static const uint8_t code64[] = { 0xff, 0x2c, 0x25 };   /* ljmp *disp32 (m16:32) */
	static const uint8_t code32[] = {
		0xb8, 0x11, 0, 0, 0, 0x0f, 0x22, 0xc0, 0x31, 0xc0, 0x0f, 0x22, 0xe0,
		0xb9, 0x10, 0, 0, 0, 0x8e, 0xd9, 0x8e, 0xc1, 0x8e, 0xe1, 0x8e, 0xe9, 0x8e, 0xd1, 0x31, 0xc9,
		0xb8, 0x02, 0xb0, 0xad, 0x2b, 0xea,
	};
	uint32_t far = at + STUB_FAR, c32 = at + STUB_CODE32;
	uint16_t cs = 0x08;
	memcpy(b, stub_gdt, sizeof stub_gdt);
	memcpy(b + STUB_FAR, &c32, 4);
	memcpy(b + STUB_FAR + 4, &cs, 2);
	memcpy(b + STUB_CODE, code64, sizeof code64);
	memcpy(b + STUB_CODE + sizeof code64, &far, 4);
	memcpy(b + STUB_CODE32, code32, sizeof code32);
	memcpy(b + STUB_CODE32 + sizeof code32, &entry, 4);
	memcpy(b + STUB_CODE32 + sizeof code32 + 4, &cs, 2);
}

/* Identity tables for the stub's first instructions: the first 2 MiB
 * (PML4, PDPT, PD with one 2 MiB page; SDM Vol. 3A 4.5) */
static void stub_tables(uint8_t *ram, uint64_t pml4)
{
	uint64_t e;
	memset(ram + pml4, 0, 3 * 4096);
	e = (pml4 + 4096) | 3;            /* present, writable */
	memcpy(ram + pml4, &e, 8);
	e = (pml4 + 8192) | 3;
	memcpy(ram + pml4 + 4096, &e, 8);
	e = 0x83;                         /* present, writable, PS: 0-2 MiB */
	memcpy(ram + pml4 + 8192, &e, 8);
}

static uint64_t image_end(const struct elf_image *img)
{
	uint64_t end = 0;
	for (unsigned i = 0; i < img->nsegs; i++)
		if (img->segs[i].paddr + img->segs[i].memsz > end)
			end = img->segs[i].paddr + img->segs[i].memsz;
	return end;
}

/* The initrd as module 0 on the first page above the image (§3.1.2 bit 0:
 * page-aligned, which hvsim always does). */
static int place_module(struct pc *p, const struct elf_image *img, const struct pc_boot *b, struct mb_module *mod)
{
	uint64_t at = (image_end(img) + 4095) & ~4095ULL;
	if (!machine_in_ram(&p->m, at, b->initrd_size ? b->initrd_size : 1) || at + b->initrd_size > (1ULL << 32))
		return err_set("--initrd %s (%zu bytes) does not fit in RAM below 4 GiB above the kernel (which ends at 0x%llx)",
			       b->initrd_name, b->initrd_size, (unsigned long long)image_end(img));
	memcpy(p->m.ram + (at - p->m.ram_base), b->initrd, b->initrd_size);
	*mod = (struct mb_module){ (uint32_t)at, (uint32_t)(at + b->initrd_size), b->initrd_name };
	return 0;
}

static int write_info(struct pc *p, const struct pc_boot *b, const struct mb_module *mod, unsigned nmods)
{
	uint64_t ram = p->m.ram_size;
	/* Conventional memory up to the EBDA QEMU's BIOS keeps, then RAM from
	 * 1 MiB (the legacy video and ROM hole is not reported) */
	const struct mb_region mmap[] = {
		{ 0, HVSIM_PC_LOW_END, MB_MEM_AVAILABLE },
		{ HVSIM_PC_LOW_END, 0xA0000 - HVSIM_PC_LOW_END, MB_MEM_RESERVED },
		{ MB_ONE_MIB, ram - MB_ONE_MIB, MB_MEM_AVAILABLE },
	};
	char cmd[4096];
	int n = snprintf(cmd, sizeof cmd, "%s %s", b->kernel, b->append ? b->append : "");
	if (n < 0 || (size_t)n >= sizeof cmd)
		return err_set("--append: the command line is longer than %zu bytes", sizeof cmd - 1);
	uint64_t upper = (ram - MB_ONE_MIB) >> 10;
	struct mb_boot mb = {
		.cmdline = cmd, .mods = mod, .nmods = nmods, .mmap = mmap, .nmmap = 3,
		.mem_lower = HVSIM_PC_LOW_END >> 10, .mem_upper = upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper,
		.loader_name = "hvsim",
	};
	size_t used = mb_build_info(p->m.ram + HVSIM_PC_MB_INFO, HVSIM_PC_LOW_END - HVSIM_PC_MB_INFO,
				    HVSIM_PC_MB_INFO, &mb);
	if (!used)
		return err_set("multiboot information (command line, module name) does not fit below 0x%llx",
			       (unsigned long long)HVSIM_PC_LOW_END);
	return 0;
}

int pc_create_multiboot(struct pc *p, const struct cfg *c, struct stats *st, const struct elf_image *img,
			const struct pc_boot *b)
{
	if (pc_create(p, c, st, img) < 0)
		return -1;
	if (p->m.ram_size < 2 * MB_ONE_MIB)
		return err_set("a multiboot kernel needs at least 2 MiB of RAM (sim.ram_mb)");
	struct mb_module mod;
	unsigned nmods = b->initrd ? 1 : 0;
	if ((nmods && place_module(p, img, b, &mod) < 0) || write_info(p, b, &mod, nmods) < 0)
		return -1;
	stub_write(p->m.ram + HVSIM_PC_MB_STUB, (uint32_t)HVSIM_PC_MB_STUB, (uint32_t)img->entry);
	stub_tables(p->m.ram, HVSIM_PC_MB_TABLES);
	p->mb = (struct pc_mb_entry){ .on = true, .stub = (uint32_t)HVSIM_PC_MB_STUB + STUB_CODE,
				      .gdt = (uint32_t)HVSIM_PC_MB_STUB, .gdt_limit = sizeof stub_gdt - 1,
				      .cr3 = (uint32_t)HVSIM_PC_MB_TABLES, .ebx = (uint32_t)HVSIM_PC_MB_INFO };
	DBG(LOG_ELF, "multiboot: entry 0x%llx, information at 0x%llx, %u module(s)", (unsigned long long)img->entry,
	    (unsigned long long)HVSIM_PC_MB_INFO, nmods);
	return 0;
}

uint64_t pc_boot_entry(const struct pc *p, const struct elf_image *img)
{
	return p->mb.on ? p->mb.stub : img->entry;
}
