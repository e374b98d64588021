/* 'hvsim --version': the libraries as loaded, not as compiled against, since
 * hvsim's behaviour depends on the Unicorn it runs with (2.0 or 2.1). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <capstone.h>
#include <unicorn/unicorn.h>
#include "config.h"
#include "cli/versions.h"

/* Prints " (PATH)" for the shared object that defines `symbol`. */
static void print_path(FILE *f, const char *symbol)
{
	Dl_info i;
	char real[PATH_MAX];
	void *p = dlsym(RTLD_DEFAULT, symbol);   /* the definition, never a PLT stub */
	if (!p || !dladdr(p, &i) || !i.dli_fname)
		return;
	fprintf(f, " (%s)", realpath(i.dli_fname, real) ? real : i.dli_fname);
}

void print_versions(FILE *f)
{
	unsigned major, minor;
	fprintf(f, "hvsim %s\n", HVSIM_VERSION);
	/* uc_version: major << 24 | minor << 16 | patch << 8 | extra */
	unsigned uc = uc_version(&major, &minor);
	fprintf(f, "Unicorn %u.%u.%u", major, minor, uc >> 8 & 0xff);
	print_path(f, "uc_version");
	int cmaj, cmin;
	cs_version(&cmaj, &cmin);
	fprintf(f, "\nCapstone %d.%d", cmaj, cmin);
	print_path(f, "cs_version");
	fputc('\n', f);
}
