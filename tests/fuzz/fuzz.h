/* Helpers shared by the libFuzzer targets (docs/fuzzing.md). */
#ifndef HVSIM_TESTS_FUZZ_H
#define HVSIM_TESTS_FUZZ_H
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say which, then abort so that
 * libFuzzer keeps the input. */
static inline void fuzz_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz: broken promise: %s (last error message: %s)\n", what, err_msg());
		abort();
	}
}

/* A memory file the target rewrites for each input, so that code which reads
 * files by name reads the input: its name /proc/self/fd/N goes to path. */
static inline int fuzz_memfd(const char *name, char *path, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

static inline void fuzz_memfd_write(int fd, const void *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("memfd write");
		abort();
	}
}

#endif
