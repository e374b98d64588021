/* hvsim command line: run, config, help. */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "cli/design.h"
#include "cli/replay.h"
#include "cli/sweep.h"
#include "cli/trace.h"
#include "cli/versions.h"
#include "core/cfg.h"
#include "core/err.h"
#include "core/log.h"
#include "core/stats.h"
#include "gic/vgic.h"
#include "cpu/export.h"
#include "cpu/vcpu.h"
#include "loader/elf.h"
#include "loader/multiboot.h"
#include "loader/raw.h"
#include "platform/designs.h"
#include "platform/pc.h"
#include "platform/virt.h"

enum { EXIT_USAGE = 2, EXIT_BADINPUT = 3, EXIT_UNFINISHED = 4, EXIT_UNSUPPORTED = 5, EXIT_INTERNAL = 70 };

/* Default wall-clock guard: long enough for any run we know of (a Linux
 * boot is seconds), short enough that a stuck batch job ends. */
#define DEFAULT_TIMEOUT_S 3600

static const char run_help[] =
	"usage: hvsim run [options] ELF\n"
	"       hvsim run [options] --kernel IMAGE [--append ARGS] [--initrd FILE]\n"
	"Runs a bare-metal AArch64 or x86-64 ELF as a guest on the modelled machine\n"
	"(ARM: QEMU-virt-like, EL2 modelled by hvsim; x86: VT-x non-root, hvsim is root).\n"
	"The machine follows the ELF's e_machine.  The guest console goes to stdout,\n"
	"then a summary: instructions, simulated cycles, VM exits by reason.\n"
	"\n"
	"  --design FILE          design file over the machine's default (repeatable)\n"
	"  --set SECTION.KEY=VAL  override one design value (repeatable)\n"
	"  --max-insns N          stop at the last translated-block boundary not past N\n"
	"                         guest instructions (all vCPUs), exit 4\n"
	"  --max-cycles N         stop when simulated time reaches N cycles (at a quantum\n"
	"                         boundary), exit 4\n"
	"  --timeout SECONDS      stop after SECONDS of host (wall-clock) time, exit 4;\n"
	"                         default 3600, 0 = no limit\n"
	"  --stats FILE           write every statistic to FILE\n"
	"  --stats-format FMT     text, json or csv (default text)\n"
	"  --debug LIST           debug output on stderr: cpu,exit,mmio,psci,sched,elf,decode,config,gic or all\n"
	"  --trace-out FILE       write the run's VM exits and the events around them as\n"
	"                         ftrace text (kvm_exit, kvm_msr, kvm_pio, kvm_mmio, ...,\n"
	"                         kvm_entry; timestamps in cycles) for hvsim replay;\n"
	"                         also 'hvsim trace export ELF -o FILE [options]'\n"
	"  -q, --quiet            no summary\n"
	"  --kernel IMAGE         ARM: boot IMAGE as QEMU virt's -kernel does: an ELF at its\n"
	"                         addresses, a raw image or Linux arm64 Image at RAM +\n"
	"                         0x80000 (or its header's text_offset), x0 = DTB address;\n"
	"                         x86: a multiboot v1 kernel (ELF32/ELF64 or a.out kludge)\n"
	"                         as qemu-system-x86_64 -kernel boots it: 32-bit protected\n"
	"                         mode, EAX = 0x2BADB002, EBX = multiboot information\n"
	"  --append ARGS          ARM: /chosen/bootargs of the generated devicetree;\n"
	"                         x86 multiboot: the command line is \"IMAGE ARGS\"\n"
	"  --initrd FILE          ARM: loaded at RAM + min(RAM/2, 128 MiB) (above the image),\n"
	"                         linux,initrd-start/-end in /chosen; the DTB goes above it;\n"
	"                         x86 multiboot: module 0, page-aligned above the kernel\n"
	"  --dtb FILE             ARM: this devicetree instead of the generated one (/chosen\n"
	"                         set as above); each way it does not describe the modelled\n"
	"                         machine (RAM, vCPUs, PL011, GICv3, PSCI) is reported\n"
	"  --dump-dtb FILE        ARM: write the generated devicetree to FILE and exit 0\n"
	"  --semihosting          ARM: HLT #0xF000 is an Arm semihosting call (console,\n"
	"                         SYS_EXIT with the guest's status, the simulated clock)\n"
	"\n"
	"  --exit-status MODE     guest (default): the exit status below; hvsim: 0 when the\n"
	"                         guest exited (its status then on stderr as 'hvsim: guest\n"
	"                         exit status N'), else hvsim's own 2, 3, 4, 5 or 70, so\n"
	"                         that a script can tell the guest's failure from hvsim's\n"
	"\n"
	"Exit status: the guest's (exit hypercall; PSCI SYSTEM_OFF = 0; semihosting\n"
	"SYS_EXIT; x86 port 0xf4 write of v = (v << 1) | 1); 2 usage; 3 bad input; 4 the\n"
	"guest did not finish\n"
	"(every vCPU halted or off with nothing to wake it, a guest fault the machine\n"
	"cannot continue from such as a triple fault or an exception loop, or a limit:\n"
	"--max-insns, --max-cycles, --timeout); 5 the guest needs something hvsim does\n"
	"not model yet (the message says what); 70 internal error (a bug in hvsim).\n"
	"A guest's mistake never crashes hvsim.\n";

static const char config_help[] =
	"usage: hvsim config --list|--dump [--arch arm64|x86] [--design FILE]... [--set K=V]...\n"
	"  --list   every design key: value, type and range, one-line doc, and where the\n"
	"           value was set (default design, --design file:line, --set)\n"
	"  --dump   the effective design as an INI file (reproduces a run exactly)\n"
	"  --arch   machine whose keys to show (default: both for --list, required for --dump)\n";

static const char main_help[] =
	"usage: hvsim COMMAND [options]\n"
	"  run ELF        run guest firmware on the modelled machine\n"
	"  config         list or dump design keys\n"
	"  sweep FILE     run every point of a design-space sweep\n"
	"  report RESULTS tables from a sweep's results\n"
	"  plot RESULTS   figures from a sweep's results (gnuplot)\n"
	"  trace stat T   what a KVM exit trace holds (ftrace text, perf script, trace.dat)\n"
	"  trace export   run guest firmware and write its exits as an ftrace text trace\n"
	"  replay T       re-cost a KVM exit trace under a design\n"
	"  compare T      replay a trace under several designs, side by side\n"
	"  help [CMD]     help for a command\n"
	"  --version      print the version, and the Unicorn and Capstone in use\n"
	"See hvsim(1).\n";

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hvsim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'hvsim help' or 'hvsim help run')\n");
	return EXIT_USAGE;
}

static int usage2(const char *opt, const char *arg)
{
	fprintf(stderr, "hvsim: %s: '%s' is not a positive decimal integer in range\n(try 'hvsim help run')\n", opt,
		arg);
	return EXIT_USAGE;
}

/* ---- designs ---- */
int add_opt(const char **arr, unsigned *n, unsigned max, const char *v, const char *what)
{
	if (*n == max) {
		fprintf(stderr, "hvsim: too many %s options (at most %u)\n", what, max);
		return -1;
	}
	arr[(*n)++] = v;
	return 0;
}

struct cfg *build_cfg(enum isa isa, const struct design_opts *o)
{
	struct cfg *c = cfg_new();
	if (!c) {
		err_set("out of memory");
		return NULL;
	}
	if (design_load_default(c, isa) < 0)
		goto fail;
	for (unsigned i = 0; i < o->ndesigns; i++)
		if (cfg_load_file(c, o->designs[i]) < 0)
			goto fail;
	for (unsigned i = 0; i < o->nsets; i++)
		if (cfg_set(c, o->sets[i]) < 0)
			goto fail;
	if (cfg_check_complete(c) < 0)
		goto fail;
	return c;
fail:
	cfg_free(c);
	return NULL;
}

static const char *isa_name(enum isa isa) { return isa == ISA_A64 ? "arm64" : "x86"; }

/* A decimal count: no sign, no blanks, no octal or hex surprises. */
static bool parse_count(const char *arg, uint64_t *out)
{
	char *end;
	if (arg[0] < '0' || arg[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(arg, &end, 10);
	return !errno && !*end;
}

/* ---- run ---- */
static int peek_machine(const char *path, enum isa *isa)
{
	unsigned char h[20];
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set("%s: cannot open: %s", path, strerror(errno));
	size_t n = fread(h, 1, sizeof h, f);
	fclose(f);
	if (n < sizeof h || memcmp(h, ELFMAG, SELFMAG))
		return err_set("%s: not an ELF file", path);
	unsigned em = h[18] | h[19] << 8;
	if (em == EM_AARCH64)
		*isa = ISA_A64;
	else if (em == EM_X86_64)
		*isa = ISA_X86_64;
	else
		return err_set("%s: machine %u is neither AArch64 (%u) nor x86-64 (%u)", path, em, EM_AARCH64, EM_X86_64);
	return 0;
}

static bool is_elf(const char *path)
{
	unsigned char h[SELFMAG];
	FILE *f = fopen(path, "rb");
	bool elf = f && fread(h, 1, sizeof h, f) == sizeof h && !memcmp(h, ELFMAG, SELFMAG);
	if (f)
		fclose(f);
	return elf;
}

/* --dump-dtb: the devicetree the guest would get (QEMU -machine dumpdtb=) */
static int write_dtb(const struct virt *v, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v->dtb, 1, v->dtb_size, f) != v->dtb_size) {
		if (f)
			fclose(f);
		return err_set("--dump-dtb %s: cannot write: %s", path, strerror(errno));
	}
	if (fclose(f) != 0)
		return err_set("--dump-dtb %s: cannot write: %s", path, strerror(errno));
	return 0;
}

/* Average cycles per exit by part, one line per exit class that has any. */
static void print_exit_parts(FILE *out, const struct vcpus *s)
{
	fprintf(out, "  cost by part (cycles per exit)\n");
	for (unsigned x = 0; x < s->nexits; x++) {
		uint64_t n = *s->st_exit_count[x];
		if (!n)
			continue;
		fprintf(out, "  %-16s", s->exit_names[x]);
		for (unsigned p = 0; p < s->nparts; p++)
			if (*s->st_exit_parts[x][p])
				fprintf(out, " %s %llu", s->part_names[p], (unsigned long long)(*s->st_exit_parts[x][p] / n));
		fputc('\n', out);
	}
}

/* Per vCPU: exits by reason and, on the ARM machine, the interrupts it
 * acknowledged by path and type (gic.per_vcpu.N.<path>.<type>); only
 * what happened. */
static void print_vcpu_mix(FILE *out, const struct vcpus *s)
{
	char path[96];
	for (unsigned i = 0; i < s->n; i++) {
		const struct vcpu *v = s->v[i];
		fprintf(out, "  vcpu %u exits:", i);
		for (unsigned x = 0; x < s->nexits; x++)
			if (*v->st_exit_count[x])
				fprintf(out, " %s %llu", s->exit_names[x], (unsigned long long)*v->st_exit_count[x]);
		fputc('\n', out);
		bool any = false;
		for (unsigned p = 0; p < GIC_NPATHS; p++)
			for (unsigned t = 0; t < GIC_NTYPES; t++) {
				snprintf(path, sizeof path, "gic.per_vcpu.%u.%s.%s", i, vgic_path_name[p], vgic_type_name[t]);
				const uint64_t *c = stats_find_counter(s->m->stats, path);
				if (!c || !*c)
					continue;
				if (!any)
					fprintf(out, "  vcpu %u interrupts:", i);
				fprintf(out, "%s %s %s %llu", any ? "," : "", vgic_type_name[t], vgic_path_name[p],
					(unsigned long long)*c);
				any = true;
			}
		if (any)
			fputc('\n', out);
	}
}

static void print_summary(FILE *out, const struct vcpus *s, enum sim_stop_reason why, int status)
{
	const struct machine *m = s->m;
	uint64_t cycles = *s->st_cycles, busy = 0;
	for (unsigned i = 0; i < s->n; i++)
		busy += s->v[i]->sc.clock - s->v[i]->sc.idle_cycles;
	fflush(m->console);
	fprintf(out, "\n--- hvsim: %s %s, %u vCPUs at %llu MHz ---\n", isa_name(m->isa), m->name, m->ncpus,
		(unsigned long long)(m->freq_hz / 1000000));
	if (why == SIM_STOP_EXIT)
		fprintf(out, "stopped: guest exit, status %d\n", status);
	else
		fprintf(out, "stopped: %s\n", sim_stop_name(why));
	fprintf(out, "guest instructions  %12llu\n", (unsigned long long)*s->st_insns);
	fprintf(out, "simulated cycles    %12llu  (%.3f us)\n", (unsigned long long)cycles,
		(double)cycles * 1e6 / (double)m->freq_hz);
	fprintf(out, "VM exits            %12llu  (%llu cycles, %.1f%% of busy vCPU cycles)\n",
		(unsigned long long)*s->st_exits, (unsigned long long)*s->st_exit_cycles_total,
		busy ? 100.0 * (double)*s->st_exit_cycles_total / (double)busy : 0.0);
	if (*s->st_exits) {
		fprintf(out, "  %-16s %10s %14s %12s\n", "reason", "count", "cycles", "cycles/exit");
		for (unsigned x = 0; x < s->nexits; x++)
			if (*s->st_exit_count[x])
				fprintf(out, "  %-16s %10llu %14llu %12llu\n", s->exit_names[x],
					(unsigned long long)*s->st_exit_count[x], (unsigned long long)*s->st_exit_cycles[x],
					(unsigned long long)(*s->st_exit_cycles[x] / *s->st_exit_count[x]));
		print_exit_parts(out, s);
	}
	fprintf(out, "  %-6s %14s %14s %14s %10s\n", "vcpu", "instructions", "cycles", "idle", "exits");
	for (unsigned i = 0; i < s->n; i++)
		fprintf(out, "  %-6u %14llu %14llu %14llu %10llu\n", i, (unsigned long long)*s->v[i]->st_insns,
			(unsigned long long)*s->v[i]->st_cycles, (unsigned long long)*s->v[i]->st_idle,
			(unsigned long long)*s->v[i]->st_exits);
	print_vcpu_mix(out, s);
}

/* Opens the statistics file and proves it takes a write before the run,
 * not after it (a full disk, /dev/full).  Pipes are not probed: a reader
 * would see the probe. */
static FILE *open_stats(const char *path)
{
	FILE *f = fopen(path, "w");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
		return f;
	if (fputc('\n', f) == EOF || fflush(f) != 0 || (S_ISREG(st.st_mode) && ftruncate(fileno(f), 0) != 0)) {
		int e = errno;
		fclose(f);
		errno = e;
		return NULL;
	}
	rewind(f);
	return f;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "design", required_argument, 0, 'd' }, { "set", required_argument, 0, 's' },
		{ "max-insns", required_argument, 0, 'm' }, { "max-cycles", required_argument, 0, 'c' },
		{ "timeout", required_argument, 0, 't' }, { "stats", required_argument, 0, 'o' },
		{ "stats-format", required_argument, 0, 'f' }, { "debug", required_argument, 0, 'g' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
		{ "kernel", required_argument, 0, 'K' }, { "append", required_argument, 0, 'A' },
		{ "initrd", required_argument, 0, 'I' }, { "dump-dtb", required_argument, 0, 'D' },
		{ "semihosting", no_argument, 0, 'S' }, { "exit-status", required_argument, 0, 'E' },
		{ "dtb", required_argument, 0, 'T' }, { "trace-out", required_argument, 0, 'X' }, { 0, 0, 0, 0 },
	};
	const char *kernel = NULL, *append = NULL, *initrd_path = NULL, *dump_dtb = NULL, *dtb_path = NULL;
	bool semihosting = false, verdict_only = false;
	struct design_opts d = { 0 };
	const char *trace_out = NULL;
	uint64_t max_insns = 0, max_cycles = 0, timeout_s = DEFAULT_TIMEOUT_S;
	const char *stats_path = NULL;
	enum stats_fmt fmt = STATS_TEXT;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': if (add_opt(d.designs, &d.ndesigns, 16, optarg, "--design") < 0) return EXIT_USAGE; break;
		case 's': if (add_opt(d.sets, &d.nsets, 64, optarg, "--set") < 0) return EXIT_USAGE; break;
		case 'm':
			if (!parse_count(optarg, &max_insns) || max_insns == 0)
				return usage2("--max-insns", optarg);
			break;
		case 'c':
			if (!parse_count(optarg, &max_cycles) || max_cycles == 0)
				return usage2("--max-cycles", optarg);
			break;
		case 't':
			if (!parse_count(optarg, &timeout_s) || timeout_s > 100000000)
				return usage2("--timeout", optarg);
			break;
		case 'o': stats_path = optarg; break;
		case 'f':
			if (stats_fmt_parse(optarg, &fmt) < 0)
				return usage("--stats-format: %s", err_msg());
			break;
		case 'g':
			if (log_parse(optarg) < 0)
				return usage("--debug: %s", err_msg());
			break;
		case 'q': quiet = true; break;
		case 'X': trace_out = optarg; break;
		case 'K': kernel = optarg; break;
		case 'A': append = optarg; break;
		case 'I': initrd_path = optarg; break;
		case 'D': dump_dtb = optarg; break;
		case 'S': semihosting = true; break;
		case 'T': dtb_path = optarg; break;
		case 'E':
			if (strcmp(optarg, "guest") && strcmp(optarg, "hvsim"))
				return usage("--exit-status: '%s' is not guest or hvsim", optarg);
			verdict_only = !strcmp(optarg, "hvsim");
			break;
		case 'h': fputs(run_help, stdout); return 0;
		default: return usage("%s", "bad option for 'run'");
		}
	}
	if (kernel ? optind != argc : optind != argc - 1)
		return usage("%s", kernel ? "run: --kernel and an ELF file given" : optind >= argc ?
			     "run: no ELF file given" : "run: more than one ELF file given");
	const char *path = kernel ? kernel : argv[optind];

	enum isa isa = ISA_A64;
	/* A multiboot header: an x86 kernel booted as QEMU boots it (always
	 * with --kernel; else unless the file is an hvsim ELF64 guest).  Then,
	 * with --kernel, anything that is not an ELF file is a raw AArch64 image. */
	bool mb = mb_is_multiboot(path) && (kernel || peek_machine(path, &isa) < 0);
	bool raw = kernel && !mb && !is_elf(path);
	if (mb)
		isa = ISA_X86_64;
	else if (raw && raw_is_bzimage(path)) {
		fprintf(stderr, "hvsim: %s: a Linux x86 bzImage: hvsim boots x86 kernels by multiboot v1, not the Linux "
			"boot protocol\n", path);
		return EXIT_BADINPUT;
	} else if (!raw && peek_machine(path, &isa) < 0) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		return EXIT_BADINPUT;
	}
	if ((dump_dtb || semihosting || dtb_path) && isa != ISA_A64)
		return usage("%s", "run: --dtb, --dump-dtb and --semihosting are for the ARM machine");
	if ((append || initrd_path) && isa != ISA_A64 && !mb)
		return usage("%s", "run: --append and --initrd are for the ARM machine and x86 multiboot kernels");
	struct cfg *cfg = build_cfg(isa, &d);
	if (!cfg) {
		fprintf(stderr, "hvsim: %s\n", err_msg());
		return EXIT_BADINPUT;
	}
	uint64_t ram_base, ram_size;
	if (isa == ISA_A64)
		virt_ram_window(cfg, &ram_base, &ram_size);
	else
		pc_ram_window(cfg, &ram_base, &ram_size);
	struct elf_image img;
	struct virt_boot boot = { .bootargs = append, .raw = raw, .semihosting = semihosting };
	uint8_t *initrd = NULL, *user_dtb = NULL;
	struct mb_header mbh;
	if ((mb ? mb_load(path, ram_base, ram_size, &img, &mbh) : raw ? raw_load(path, ram_base, ram_size, &img) :
		   elf_load_dyn(path, isa == ISA_A64 ? EM_AARCH64 : EM_X86_64, ram_base, ram_size,
				isa == ISA_A64 ? ram_base + RAW_DEFAULT_OFFSET : 0, &img)) < 0 ||
	    (initrd_path && raw_read_file(initrd_path, &initrd, &boot.initrd_size) < 0) ||
	    (dtb_path && raw_read_file(dtb_path, &user_dtb, &boot.dtb_size) < 0)) {
		free(initrd);
		free(user_dtb);
		fprintf(stderr, "hvsim: %s\n", err_msg());
		cfg_free(cfg);
		return EXIT_BADINPUT;
	}
	boot.initrd = initrd;
	boot.dtb = user_dtb;
	boot.dtb_name = dtb_path;
	FILE *stats_out = NULL;
	if (stats_path && !(stats_out = open_stats(stats_path))) {
		fprintf(stderr, "hvsim: %s: cannot write: %s\n", stats_path, strerror(errno));
		elf_free(&img);
		cfg_free(cfg);
		return EXIT_BADINPUT;
	}

	struct stats *st = stats_new();
	static struct virt virt;
	static struct pc pc;
	struct machine *m;
	uint64_t arg = 0;
	int rc;
	if (isa == ISA_A64) {
		rc = virt_create_boot(&virt, cfg, st, &img, &boot);
		m = &virt.m;
		arg = virt.dtb_addr;
		if (rc == 0 && dump_dtb)
			rc = write_dtb(&virt, dump_dtb);
	} else if (mb) {
		struct pc_boot pb = { .kernel = path, .append = append, .initrd = initrd,
				      .initrd_size = boot.initrd_size, .initrd_name = initrd_path };
		rc = pc_create_multiboot(&pc, cfg, st, &img, &pb);
		m = &pc.m;
	} else {
		rc = pc_create(&pc, cfg, st, &img);
		m = &pc.m;
	}
	static struct vcpus s;
	if (rc == 0)
		rc = vcpus_create(&s, m, isa == ISA_A64 ? &virt : NULL, isa == ISA_A64 ? NULL : &pc,
				  isa == ISA_A64 ? img.entry : pc_boot_entry(&pc, &img), arg, max_insns);
	if (rc == 0 && trace_out)
		rc = export_open(&s, trace_out, path);
	int status;
	if (rc < 0) {
		fprintf(stderr, "hvsim: %s: %s\n", path, err_msg());
		status = EXIT_BADINPUT;
	} else if (dump_dtb) {
		status = 0;
	} else {
		s.sim.max_cycles = max_cycles;
		s.sim.wall_limit_s = (double)timeout_s;
		DBG(LOG_ELF, "%s: entry 0x%llx, %u segments, %u symbols", path, (unsigned long long)img.entry,
		    img.nsegs, img.nsyms);
		enum sim_stop_reason why = vcpus_run(&s);
		vcpus_finish(&s);
		fflush(m->console);
		switch (why) {
		case SIM_STOP_EXIT:
		case SIM_STOP_ALL_OFF:
			status = why == SIM_STOP_EXIT ? s.sim.exit_status : 0;
			if (verdict_only) {
				fprintf(stderr, "hvsim: guest exit status %d\n", status);
				status = 0;
			}
			break;
		case SIM_STOP_DEADLOCK:
			fprintf(stderr, "hvsim: every vCPU is halted or off and nothing can wake one\n");
			status = EXIT_UNFINISHED;
			break;
		case SIM_STOP_GUEST_FAULT:
		case SIM_STOP_LIMIT:
			fprintf(stderr, "hvsim: %s\n", err_msg());
			status = EXIT_UNFINISHED;
			break;
		case SIM_STOP_UNSUPPORTED:
			fprintf(stderr, "hvsim: %s\n", err_msg());
			status = EXIT_UNSUPPORTED;
			break;
		default:
			fprintf(stderr, "hvsim: %s\n", err_msg());
			status = EXIT_INTERNAL;
			break;
		}
		if (!quiet)
			print_summary(stdout, &s, why, s.sim.exit_status);
		if (export_close(&s) < 0) {
			fprintf(stderr, "hvsim: %s: %s\n", trace_out, err_msg());
			status = EXIT_BADINPUT;
		}
		if (stats_out && stats_dump(st, stats_out, fmt) < 0) {
			fprintf(stderr, "hvsim: %s: %s\n", stats_path, err_msg());
			status = EXIT_BADINPUT;
		}
	}
	if (stats_out && fclose(stats_out) != 0) {
		fprintf(stderr, "hvsim: %s: write failed: %s\n", stats_path, strerror(errno));
		status = EXIT_BADINPUT;
	}
	vcpus_destroy(&s);
	if (isa == ISA_A64)
		virt_destroy(&virt);
	else
		pc_destroy(&pc);
	stats_free(st);
	elf_free(&img);
	free(initrd);
	free(user_dtb);
	cfg_free(cfg);
	return status;
}

/* ---- config ---- */
static int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, 0, 'l' }, { "dump", no_argument, 0, 'D' }, { "arch", required_argument, 0, 'a' },
		{ "design", required_argument, 0, 'd' }, { "set", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct design_opts d = { 0 };
	int mode = 0, c, arch = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': case 'D': mode = c; break;
		case 'a':
			if (!strcmp(optarg, "arm64"))
				arch = ISA_A64;
			else if (!strcmp(optarg, "x86"))
				arch = ISA_X86_64;
			else
				return usage("--arch: '%s' is not arm64 or x86", optarg);
			break;
		case 'd': if (add_opt(d.designs, &d.ndesigns, 16, optarg, "--design") < 0) return EXIT_USAGE; break;
		case 's': if (add_opt(d.sets, &d.nsets, 64, optarg, "--set") < 0) return EXIT_USAGE; break;
		case 'h': fputs(config_help, stdout); return 0;
		default: return usage("%s", "bad option for 'config'");
		}
	}
	if (optind != argc)
		return usage("config: unexpected argument '%s'", argv[optind]);
	if (!mode)
		return usage("%s", "config: say --list or --dump");
	if (mode == 'D' && arch < 0)
		return usage("%s", "config --dump: say --arch arm64 or --arch x86");
	for (int isa = ISA_A64; isa <= ISA_X86_64; isa++) {
		if (arch >= 0 && isa != arch)
			continue;
		struct cfg *cfg = build_cfg((enum isa)isa, &d);
		if (!cfg) {
			fprintf(stderr, "hvsim: %s\n", err_msg());
			return EXIT_BADINPUT;
		}
		if (mode == 'l') {
			printf("# %s machine (%s)\n", isa_name((enum isa)isa), isa == ISA_A64 ? "virt" : "pc");
			cfg_list(cfg, stdout, true);
			if (arch < 0 && isa == ISA_A64)
				printf("\n");
		} else {
			printf("; hvsim %s design for the %s machine\n", HVSIM_VERSION, isa_name((enum isa)isa));
			cfg_write_ini(cfg, stdout);
		}
		cfg_free(cfg);
	}
	return 0;
}

/* hvsim trace export ELF -o FILE [run options]: hvsim run --trace-out FILE -q. */
static int cmd_trace_export(int argc, char **argv)
{
	char *args[160];
	int n = 0;
	const char *out = NULL;
	args[n++] = "run";
	for (int i = 1; i < argc && n < 156; i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(trace_help, stdout);
			return 0;
		} else
			args[n++] = argv[i];
	}
	if (!out)
		return usage("%s", "trace export: say where: -o FILE (- for standard output)");
	args[n++] = "-q";
	args[n++] = "--trace-out";
	args[n++] = (char *)out;
	args[n] = NULL;
	return cmd_run(n, args);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		print_versions(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(main_help, stdout);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		const char *t = argc > 2 ? argv[2] : NULL;
		if (!t)
			fputs(main_help, stdout);
		else if (!strcmp(t, "run"))
			fputs(run_help, stdout);
		else if (!strcmp(t, "config"))
			fputs(config_help, stdout);
		else if (!strcmp(t, "sweep"))
			fputs(sweep_help, stdout);
		else if (!strcmp(t, "report"))
			fputs(report_help, stdout);
		else if (!strcmp(t, "plot"))
			fputs(plot_help, stdout);
		else if (!strcmp(t, "trace"))
			fputs(trace_help, stdout);
		else if (!strcmp(t, "replay"))
			fputs(replay_help, stdout);
		else if (!strcmp(t, "compare"))
			fputs(compare_help, stdout);
		else if (!strcmp(t, "help"))
			fputs("usage: hvsim help [COMMAND]\n", stdout);
		else
			return usage("help: unknown command '%s'", t);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "config"))
		return cmd_config(argc - 1, argv + 1);
	if (!strcmp(cmd, "sweep"))
		return cmd_sweep(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "plot"))
		return cmd_plot(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace") && argc > 2 && !strcmp(argv[2], "export"))
		return cmd_trace_export(argc - 2, argv + 2);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	return usage("unknown command '%s'", cmd);
}
