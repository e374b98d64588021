/* Arm semihosting.  See semihost.h. */
#include "platform/semihost.h"
#include <string.h>

#define SEMIHOST_ERROR ((uint64_t)-1)   /* the error return of every operation */
#define WRITE0_MAX (1u << 20)           /* a string longer than this is not NUL-terminated */

static bool words(const struct semihost_io *io, uint64_t va, uint64_t *w, unsigned n)
{
	return io->read(io->ctx, va, w, n * sizeof *w);
}

static uint64_t write0(const struct semihost_io *io, uint64_t va)
{
	for (unsigned i = 0; i < WRITE0_MAX; i++) {
		char c;
		if (!io->read(io->ctx, va + i, &c, 1))
			return SEMIHOST_ERROR;
		if (!c)
			return 0;
		fputc(c, io->console);
	}
	return SEMIHOST_ERROR;
}

/* SYS_WRITE to the console (handles 1 and 2, what SYS_OPEN(":tt") gives
 * for writing): returns the bytes not written, 0 on success (6.37). */
static uint64_t sys_write(const struct semihost_io *io, uint64_t param)
{
	uint64_t b[3];   /* handle, buffer, length */
	if (!words(io, param, b, 3) || (b[0] != 1 && b[0] != 2))
		return SEMIHOST_ERROR;
	uint8_t chunk[256];
	for (uint64_t done = 0; done < b[2];) {
		size_t n = b[2] - done < sizeof chunk ? (size_t)(b[2] - done) : sizeof chunk;
		if (!io->read(io->ctx, b[1] + done, chunk, n))
			return b[2] - done;
		fwrite(chunk, 1, n, io->console);
		done += n;
	}
	return 0;
}

/* SYS_OPEN of ":tt", the console (6.23): modes 0-3 read (handle 0), 4-7
 * write (1), 8-11 append (2).  Files are refused. */
static uint64_t sys_open(const struct semihost_io *io, uint64_t param)
{
	uint64_t b[3];   /* name, mode, name length */
	char name[4] = { 0 };
	if (!words(io, param, b, 3) || b[2] != 3 || b[1] > 11 || !io->read(io->ctx, b[0], name, 3) ||
	    strcmp(name, ":tt"))
		return SEMIHOST_ERROR;
	return b[1] / 4;
}

/* SYS_EXIT (AArch64: a block of reason and subcode, 6.11) and
 * SYS_EXIT_EXTENDED: a normal exit gives the subcode, any other reason 1
 * (as QEMU). */
static void sys_exit(const struct semihost_io *io, uint64_t param, struct semihost_result *r)
{
	uint64_t b[2];
	r->exit = true;
	r->status = words(io, param, b, 2) && b[0] == SEMIHOST_APP_EXIT ? (int)(b[1] & 0xff) : 1;
}

void semihost_call(const struct semihost_io *io, uint32_t op, uint64_t param, struct semihost_result *r)
{
	*r = (struct semihost_result){ .ret = 0 };
	char c;
	uint64_t t;
	switch (op) {
	case SEMIHOST_SYS_WRITEC:
		if (io->read(io->ctx, param, &c, 1))
			fputc(c, io->console);
		break;
	case SEMIHOST_SYS_WRITE0: r->ret = write0(io, param); break;
	case SEMIHOST_SYS_WRITE: r->ret = sys_write(io, param); break;
	case SEMIHOST_SYS_OPEN: r->ret = sys_open(io, param); break;
	case SEMIHOST_SYS_EXIT:
	case SEMIHOST_SYS_EXIT_EXTENDED: sys_exit(io, param, r); break;
	case SEMIHOST_SYS_CLOCK:   /* centiseconds since the start (6.6) */
		r->ret = io->freq_hz >= 100 ? io->now / (io->freq_hz / 100) : SEMIHOST_ERROR;
		break;
	case SEMIHOST_SYS_ELAPSED:   /* ticks since the start, a 64-bit value at [X1] (6.10) */
		t = io->now;
		r->ret = io->write(io->ctx, param, &t, sizeof t) ? 0 : SEMIHOST_ERROR;
		break;
	case SEMIHOST_SYS_TICKFREQ: r->ret = io->freq_hz; break;
	default: r->ret = SEMIHOST_ERROR; break;
	}
}
