/* Fuzz target: the command line (cli/hvsim.c, built with -Dmain=hvsim_main).
 * Input: the arguments after argv[0], separated by NUL bytes (at most 80).
 * It runs in a private temporary directory holding a few files the fuzzer can
 * name (*.elf: ELF files the loader rejects, *.ini: designs; `trace stat`
 * reads them as traces), with /dev/null as standard input; an argument
 * containing '/' is refused, so nothing outside that directory is read and
 * no valid ELF is reachable: no guest ever runs and nothing is written.
 * Promises checked: the exit status is 0, 2 (usage) or 3 (bad input), never
 * 70 (internal error), and a non-zero one comes with a message. */
#include "tests/fuzz/fuzz.h"

#include <elf.h>
#include <getopt.h>
#include <string.h>

#include "core/log.h"
#include "platform/hvsim-abi.h"

int hvsim_main(int argc, char **argv);

#define MAX_ARGS 80

static char dir[4096];

static const char *const files[][2] = {
	{ "d.ini", "[sim]\nvcpus = 4\nram_mb = 16\n[cpu]\ncpi_alu = 0.25\n" },
	{ "x.ini", "[vmx]\nexit_cycles = 1\n[pc]\nap_wakeup_cycles = 0\n" },
	{ "bad.ini", "[sim]\nvcpus = 0\n" },
	{ "e.ini", "" },
};

/* An ELF64 executable whose one PT_LOAD lies above any RAM (sim.ram_mb is at
 * most 16 GiB): elf_load always rejects it, after every other check. */
static void write_elf(const char *name, uint16_t machine, uint64_t paddr)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint8_t code[16];
	} f = { 0 };
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = machine;
	f.eh.e_version = EV_CURRENT;
	f.eh.e_entry = paddr;
	f.eh.e_phoff = sizeof f.eh;
	f.eh.e_ehsize = sizeof f.eh;
	f.eh.e_phentsize = sizeof f.ph;
	f.eh.e_phnum = 1;
	f.ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = sizeof f.eh + sizeof f.ph,
			     .p_vaddr = paddr, .p_paddr = paddr, .p_filesz = sizeof f.code,
			     .p_memsz = sizeof f.code, .p_align = 16 };
	FILE *o = fopen(name, "wb");
	if (!o || fwrite(&f, sizeof f, 1, o) != 1 || fclose(o) != 0) {
		perror(name);
		exit(1);
	}
}

static void cleanup(void)
{
	unlink("a.elf");
	unlink("x.elf");
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
		unlink(files[i][0]);
	if (chdir("/") == 0)
		rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/hvsim-fuzz-cli.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror("fuzz-cli: temporary directory");
		exit(1);
	}
	atexit(cleanup);
	/* `trace stat -` reads standard input: give it an empty one, never a terminal */
	if (!freopen("/dev/null", "r", stdin)) {
		perror("fuzz-cli: /dev/null");
		exit(1);
	}
	write_elf("a.elf", EM_AARCH64, HVSIM_VIRT_RAM_BASE + (32ULL << 30));
	write_elf("x.elf", EM_X86_64, HVSIM_PC_RAM_BASE + (32ULL << 30));
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		FILE *o = fopen(files[i][0], "w");
		if (!o || fputs(files[i][1], o) < 0 || fclose(o) != 0) {
			perror(files[i][0]);
			exit(1);
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "hvsim";
	for (char *p = buf; p <= buf + size; p += strlen(p) + 1) {
		if (argc > MAX_ARGS || strchr(p, '/')) {
			free(buf);
			return 0;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;

	/* State a previous call may have left: getopt's scan position (optind
	 * = 0 re-initialises glibc's getopt) and --debug's log mask. */
	char *none[] = { "x", NULL };
	optind = 0;
	getopt(1, none, "");
	log_mask = 0;

	/* hvsim's stderr into memory (sanitizer reports go to fd 2 directly). */
	char *err = NULL;
	size_t len = 0;
	FILE *real = stderr;
	stderr = open_memstream(&err, &len);
	int rc = hvsim_main(argc, argv);
	fclose(stderr);
	stderr = real;
	fputs(err, stderr);
	fuzz_check(rc == 0 || rc == 2 || rc == 3, "exit status 0, 2 or 3");
	fuzz_check(rc == 0 || *err, "a message with a non-zero exit status");
	fflush(stdout);
	free(err);
	free(buf);
	return 0;
}
