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

/* An input read front to back: fuzz_take gives the next `bytes` bytes as a
 * little-endian number (0 past the end). */
struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fuzz_take(struct fuzz_input *in, unsigned bytes)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		x |= (uint64_t)*in->p << (8 * i);
	return x;
}

/* A stream over data[0..size), empty when size is 0 (fmemopen needs a
 * size: one byte is opened and read away). */
static inline FILE *fuzz_stream(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
	if (f && !size)
		fgetc(f);
	return f;
}

#endif
