/* Error reporting for input errors (files, command line, design values).
 * A function that fails on input calls err_set() and returns -1; the caller
 * that owns the user interaction prints err_msg() once.  Nothing here aborts. */
#ifndef HVSIM_CORE_ERR_H
#define HVSIM_CORE_ERR_H

/* Formats the message (one line, no trailing newline, no "hvsim:" prefix),
 * keeps it for err_msg() and returns -1. */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefixes the current message: err_prefix("%s", path) turns "bad magic" into
 * "path: bad magic".  Returns -1. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *err_msg(void);

#endif
