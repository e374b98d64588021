/* Console output: putc/puts/printf over the arch's raw UART byte writer.
 * One lock serialises whole printf calls so lines from different CPUs do not
 * interleave; the owning CPU may re-enter (an exception handler that prints
 * while the interrupted code held the lock must not deadlock). */
#include "rt.h"

uint64_t rt_console_bytes;
static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int console_owner = -1;

static int console_enter(void)
{
    int me = (int)cpu_id();
    if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me)
        return 0;
    spin_lock(&console_lock);
    console_owner = me;
    return 1;
}

static void console_leave(int taken)
{
    if (!taken)
        return;
    console_owner = -1;
    spin_unlock(&console_lock);
}

static void out(int c)
{
    arch_putc(c);
    rt_console_bytes++;
}

void putc(int c)
{
    int t = console_enter();
    out(c);
    console_leave(t);
}

void puts(const char *s)
{
    int t = console_enter();
    while (*s)
        out(*s++);
    out('\n');
    console_leave(t);
}

/* Emit digits of v in `base` with optional width/zero padding/left alignment. */
static int out_num(uint64_t v, unsigned base, int upper, int neg, int width, int zero, int left)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int n = 0, len, count = 0;
    do {
        buf[n++] = dig[v % base];
        v /= base;
    } while (v);
    len = n + neg;
    if (neg && zero)
        out('-'), count++;
    if (!left)
        for (; width > len; width--, count++)
            out(zero ? '0' : ' ');
    if (neg && !zero)
        out('-'), count++;
    while (n)
        out(buf[--n]), count++;
    for (; left && width > len; width--, count++)
        out(' ');
    return count;
}

static int out_str(const char *s, int width, int left)
{
    int len = (int)strlen(s), count = 0;
    for (; !left && width > len; width--, count++)
        out(' ');
    while (*s)
        out(*s++), count++;
    for (; left && width > len; width--, count++)
        out(' ');
    return count;
}

/* Supports %d %i %u %x %X %p %s %c %% with '0'/'-' flags, a width, and the
 * l/ll/z length modifiers; anything else is printed literally. */
int vprintf(const char *fmt, va_list ap)
{
    int count = 0, t = console_enter();
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out(*fmt), count++;
            continue;
        }
        const char *start = fmt++;
        int zero = 0, left = 0, width = 0, lng = 0;
        for (;; fmt++) {
            if (*fmt == '0') zero = 1;
            else if (*fmt == '-') left = 1;
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z')
            lng++, fmt++;
        if (left)
            zero = 0;
        switch (*fmt) {
        case 'd': case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
            count += out_num(mag, 10, 0, v < 0, width, zero, left);
            break;
        }
        case 'u': case 'x': case 'X': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            count += out_num(v, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, zero, left);
            break;
        }
        case 'p':
            out('0'), out('x'), count += 2;
            count += out_num((uintptr_t)va_arg(ap, void *), 16, 0, 0, width, zero, left);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            count += out_str(s ? s : "(null)", width, left);
            break;
        }
        case 'c':
            out(va_arg(ap, int)), count++;
            break;
        case '%':
            out('%'), count++;
            break;
        default:    /* unknown conversion (or end of string): print it as written */
            for (; start < fmt; start++)
                out(*start), count++;
            if (!*fmt)
                fmt--;
            else
                out(*fmt), count++;
            break;
        }
    }
    console_leave(t);
    return count;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
