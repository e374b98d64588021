/* Arm semihosting (platform/semihost.c) against IHI 0095's definitions:
 * operation numbers and parameter blocks, the -1 error return, SYS_EXIT's
 * ADP_Stopped_ApplicationExit (0x20026), SYS_CLOCK in centiseconds. */
#include <string.h>
#include "platform/semihost.h"
#include "unit.h"

/* Guest memory: 4 KiB at VA 0x1000 */
#define BASE 0x1000u
static uint8_t mem[4096];

static bool rd(void *ctx, uint64_t va, void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va - BASE > sizeof mem || len > sizeof mem - (va - BASE))
		return false;
	memcpy(buf, mem + (va - BASE), len);
	return true;
}

static bool wr(void *ctx, uint64_t va, const void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va - BASE > sizeof mem || len > sizeof mem - (va - BASE))
		return false;
	memcpy(mem + (va - BASE), buf, len);
	return true;
}

static char out[256];
static struct semihost_io io;

static void setup(void)
{
	memset(mem, 0, sizeof mem);
	memset(out, 0, sizeof out);
	io = (struct semihost_io){ rd, wr, NULL, fmemopen(out, sizeof out, "w"), 2600000000ull, 2600000000ull };
}

static const char *done(void)
{
	fclose(io.console);
	return out;
}

static void put64(unsigned off, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t w[3] = { a, b, c };
	memcpy(mem + off, w, sizeof w);
}

static void test_console(void)
{
	struct semihost_result r;
	setup();
	strcpy((char *)mem + 0x100, "hi ");
	semihost_call(&io, 0x04, BASE + 0x100, &r);      /* SYS_WRITE0 */
	CU_ASSERT_EQUAL(r.ret, 0);
	mem[0x200] = 'x';
	semihost_call(&io, 0x03, BASE + 0x200, &r);      /* SYS_WRITEC */
	strcpy((char *)mem + 0x300, "abcdef");
	put64(0x400, 1, BASE + 0x300, 3);                 /* SYS_WRITE handle 1, 3 bytes */
	semihost_call(&io, 0x05, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, 0);
	put64(0x400, 7, BASE + 0x300, 3);                 /* not a console handle */
	semihost_call(&io, 0x05, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, (uint64_t)-1);
	put64(0x400, 2, BASE + 0xff0, 32);                /* runs off guest memory after 16 bytes */
	semihost_call(&io, 0x05, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, 32);                       /* bytes not written */
	CU_ASSERT_FALSE(r.exit);
	CU_ASSERT_STRING_EQUAL(done(), "hi xabc");
}

static void test_open(void)
{
	struct semihost_result r;
	setup();
	strcpy((char *)mem + 0x100, ":tt");
	put64(0x400, BASE + 0x100, 4, 3);                 /* ":tt", mode "w" */
	semihost_call(&io, 0x01, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, 1);
	put64(0x400, BASE + 0x100, 8, 3);                 /* mode "a": stderr */
	semihost_call(&io, 0x01, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, 2);
	strcpy((char *)mem + 0x100, "f.t");               /* a file: refused */
	semihost_call(&io, 0x01, BASE + 0x400, &r);
	CU_ASSERT_EQUAL(r.ret, (uint64_t)-1);
	done();
}

static void test_exit(void)
{
	struct semihost_result r;
	setup();
	put64(0x400, 0x20026, 42, 0);
	semihost_call(&io, 0x18, BASE + 0x400, &r);       /* SYS_EXIT, normal */
	CU_ASSERT_TRUE(r.exit);
	CU_ASSERT_EQUAL(r.status, 42);
	put64(0x400, 0x20023, 42, 0);                     /* ADP_Stopped_RunTimeErrorUnknown */
	semihost_call(&io, 0x20, BASE + 0x400, &r);       /* SYS_EXIT_EXTENDED */
	CU_ASSERT_TRUE(r.exit);
	CU_ASSERT_EQUAL(r.status, 1);
	done();
}

static void test_clock_and_refusals(void)
{
	struct semihost_result r;
	setup();
	semihost_call(&io, 0x10, 0, &r);                  /* SYS_CLOCK: 1 s = 100 cs */
	CU_ASSERT_EQUAL(r.ret, 100);
	semihost_call(&io, 0x30, BASE + 0x10, &r);        /* SYS_ELAPSED */
	CU_ASSERT_EQUAL(r.ret, 0);
	uint64_t t;
	memcpy(&t, mem + 0x10, 8);
	CU_ASSERT_EQUAL(t, 2600000000ull);
	semihost_call(&io, 0x31, 0, &r);                  /* SYS_TICKFREQ */
	CU_ASSERT_EQUAL(r.ret, 2600000000ull);
	static const uint32_t refused[] = { 0x02, 0x06, 0x07, 0x09, 0x0c, 0x0e, 0x12, 0x13, 0x15, 0x16 };
	for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		semihost_call(&io, refused[i], BASE, &r);
		CU_ASSERT_EQUAL(r.ret, (uint64_t)-1);
		CU_ASSERT_FALSE(r.exit);
	}
	done();
}

static CU_TestInfo tests[] = {
	{ "console: WRITE0, WRITEC, WRITE", test_console },
	{ "SYS_OPEN of :tt", test_open },
	{ "SYS_EXIT and SYS_EXIT_EXTENDED", test_exit },
	{ "clocks and refused operations", test_clock_and_refusals },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("semihost", tests); }
