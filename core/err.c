/* Input-error message: one static buffer, set by the function that detects
 * the error and prefixed by each caller that knows more context. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERR_MAX 1024

static char err_buf[ERR_MAX];

int err_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof err_buf, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(const char *fmt, ...)
{
	char prefix[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* Shift the old message right (truncating its end) and put
	 * "prefix: " in front. */
	size_t lp = strlen(prefix);
	if (lp > ERR_MAX - 3)
		lp = ERR_MAX - 3;
	memmove(err_buf + lp + 2, err_buf, ERR_MAX - lp - 3);
	err_buf[ERR_MAX - 1] = '\0';
	memcpy(err_buf, prefix, lp);
	memcpy(err_buf + lp, ": ", 2);
	return -1;
}

const char *err_msg(void)
{
	return err_buf;
}
