/* Design files: a declared schema, INI parsing with libinih, provenance. */
#include "core/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "core/err.h"
#include "core/log.h"

/* Designs are a few KiB; a bigger "design" is the wrong file (a log, a disk
 * image), and reading stops there rather than going on for ever. */
#define CFG_FILE_MAX (1u << 20)

struct cfg_ent {
	struct cfg_key key;     /* strings owned by the entry */
	bool set;
	union {
		uint64_t u;
		bool b;
		double d;
		unsigned e;
	} v;
	char *origin;           /* "file:line" or "--set" */
	unsigned load, line;    /* the load (cfg.loads) and line that set it; 0: --set */
};

struct cfg {
	struct cfg_ent *ents;   /* declaration order */
	size_t n, cap;
	unsigned loads;         /* INI texts loaded so far */
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "hvsim: out of memory (cfg)\n");
		exit(71);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Misuse of the API by model code is a bug, not an input error. */
static void fatal(const char *section, const char *name, const char *what)
{
	fprintf(stderr, "hvsim: internal error: cfg key %s.%s: %s\n", section, name, what);
	exit(70);
}

struct cfg *cfg_new(void)
{
	struct cfg *c = xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	return c;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct cfg_ent *e = &c->ents[i];
		free((char *)e->key.section);
		free((char *)e->key.name);
		free((char *)e->key.choices);
		free((char *)e->key.doc);
		free(e->origin);
	}
	free(c->ents);
	free(c);
}

static struct cfg_ent *find(const struct cfg *c, const char *section, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->ents[i].key.section, section) == 0 && strcmp(c->ents[i].key.name, name) == 0)
			return &c->ents[i];
	return NULL;
}

/* Finds the key whose "section.name" is exactly `full` (length len); works
 * whatever dots the section or the name contain. */
static struct cfg_ent *find_full(const struct cfg *c, const char *full, size_t len)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct cfg_key *k = &c->ents[i].key;
		size_t ls = strlen(k->section);
		if (ls + 1 + strlen(k->name) == len && memcmp(full, k->section, ls) == 0 &&
		    full[ls] == '.' && memcmp(full + ls + 1, k->name, len - ls - 1) == 0)
			return &c->ents[i];
	}
	return NULL;
}

/* Index of `word` in the '|'-separated list, or -1. */
static int choice_index(const char *choices, const char *word)
{
	size_t wl = strlen(word);
	int idx = 0;
	for (const char *p = choices;; idx++) {
		size_t len = strcspn(p, "|");
		if (len == wl && strncmp(p, word, len) == 0)
			return idx;
		if (p[len] == '\0')
			return -1;
		p += len + 1;
	}
}

/* The n-th choice into buf. */
static void choice_name(const char *choices, unsigned n, char *buf, size_t size)
{
	const char *p = choices;
	for (unsigned i = 0; i < n && strchr(p, '|'); i++)
		p = strchr(p, '|') + 1;
	snprintf(buf, size, "%.*s", (int)strcspn(p, "|"), p);
}

int cfg_declare(struct cfg *c, const struct cfg_key *keys, size_t n)
{
	/* Check the whole batch first so a failed call declares nothing. */
	for (size_t i = 0; i < n; i++) {
		const struct cfg_key *k = &keys[i];
		if (!k->section || !k->name || !*k->section || !*k->name)
			return err_set("cfg_declare: key %zu has no section or name", i);
		if (find(c, k->section, k->name))
			return err_set("cfg_declare: %s.%s declared twice", k->section, k->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys[j].section, k->section) == 0 && strcmp(keys[j].name, k->name) == 0)
				return err_set("cfg_declare: %s.%s declared twice", k->section, k->name);
		if (k->type == CFG_ENUM && (!k->choices || !*k->choices))
			return err_set("cfg_declare: %s.%s: enum without choices", k->section, k->name);
		if ((k->type == CFG_U64 || k->type == CFG_DOUBLE) && !(k->min <= k->max))
			return err_set("cfg_declare: %s.%s: empty range", k->section, k->name);
		if (k->type != CFG_U64 && k->type != CFG_BOOL && k->type != CFG_DOUBLE && k->type != CFG_ENUM)
			return err_set("cfg_declare: %s.%s: bad type %d", k->section, k->name, (int)k->type);
	}
	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : 32;
		while (cap < c->n + n)
			cap *= 2;
		struct cfg_ent *e = realloc(c->ents, cap * sizeof *e);
		if (!e)
			return err_set("cfg_declare: out of memory");
		c->ents = e;
		c->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct cfg_ent *e = &c->ents[c->n++];
		memset(e, 0, sizeof *e);
		e->key = keys[i];
		e->key.section = xstrdup(keys[i].section);
		e->key.name = xstrdup(keys[i].name);
		e->key.choices = xstrdup_or_null(keys[i].choices);
		e->key.doc = xstrdup(keys[i].doc ? keys[i].doc : "");
	}
	return 0;
}

/* ---- values ---- */

/* Shortest text that strtod reads back to exactly d. */
static void fmt_double(char *buf, size_t size, double d)
{
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
		snprintf(buf, size, "%.0f", d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* A range bound of key k: integers for CFG_U64 (its max is often
 * UINT64_MAX, which a double rounds up to 2^64). */
static void fmt_bound(const struct cfg_key *k, double v, char *buf, size_t size)
{
	if (k->type == CFG_U64 && v >= 18446744073709551615.0)
		snprintf(buf, size, "%" PRIu64, UINT64_MAX);
	else if (k->type == CFG_U64 && v >= 0 && v == (double)(uint64_t)v)
		snprintf(buf, size, "%" PRIu64, (uint64_t)v);
	else
		fmt_double(buf, size, v);
}

/* Decimal or 0x hex with an optional k/M/G (x1024^n) suffix.
 * Returns 0, -1 if not a number, -2 if it does not fit in 64 bits. */
static int parse_u64(const char *s, uint64_t *out)
{
	const char *digits = s;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	/* strtoull would accept a sign or leading blanks. */
	if (!isxdigit((unsigned char)digits[0]) || (base == 10 && !isdigit((unsigned char)digits[0])))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(digits, &end, base);
	if (errno == ERANGE)
		return -2;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -2;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Parses `text` for key e and stores it; on error err_set says why
 * (without the key name, which the caller prefixes). */
static int assign(struct cfg_ent *e, const char *text, const char *origin)
{
	const struct cfg_key *k = &e->key;
	char lo[32], hi[32], val[32];

	switch (k->type) {
	case CFG_U64: {
		uint64_t u;
		int r = parse_u64(text, &u);
		if (r == -1)
			return err_set("'%s' is not an unsigned integer", text);
		if (r == -2)
			return err_set("'%s' does not fit in 64 bits", text);
		if ((double)u < k->min || (double)u > k->max) {
			fmt_bound(k, k->min, lo, sizeof lo);
			fmt_bound(k, k->max, hi, sizeof hi);
			return err_set("%" PRIu64 " is outside [%s, %s]", u, lo, hi);
		}
		e->v.u = u;
		break;
	}
	case CFG_BOOL: {
		bool b;
		if (parse_bool(text, &b) < 0)
			return err_set("'%s' is not a boolean (true/false/yes/no/on/off/1/0)", text);
		e->v.b = b;
		break;
	}
	case CFG_DOUBLE: {
		char *end;
		errno = 0;
		double d = strtod(text, &end);
		if (!*text || isspace((unsigned char)*text) || *end || isnan(d) || isinf(d))
			return err_set("'%s' is not a finite number", text);
		if (d < k->min || d > k->max) {
			fmt_double(lo, sizeof lo, k->min);
			fmt_double(hi, sizeof hi, k->max);
			fmt_double(val, sizeof val, d);
			return err_set("%s is outside [%s, %s]", val, lo, hi);
		}
		e->v.d = d;
		break;
	}
	case CFG_ENUM: {
		int idx = choice_index(k->choices, text);
		if (idx < 0)
			return err_set("'%s' is not one of %s", text, k->choices);
		e->v.e = (unsigned)idx;
		break;
	}
	}
	e->set = true;
	free(e->origin);
	e->origin = xstrdup(origin);
	return 0;
}

/* ---- INI loading ---- */

/* libinih reads through this callback so that we know the line of every key
 * (Debian builds libinih without INI_HANDLER_LINENO). */
struct load {
	struct cfg *c;
	unsigned id;         /* this load's number, from 1 */
	const char *origin;
	FILE *f;             /* file source, or */
	const char *p;       /* string source */
	unsigned line;       /* lines handed to libinih so far */
	unsigned too_long;   /* line number of an over-long line, or 0 */
	unsigned nul;        /* line number of a NUL byte (a binary file), or 0 */
	size_t bytes;        /* read from the file so far */
	bool too_big;        /* the file has more than CFG_FILE_MAX bytes */
	int max_len;         /* longest line libinih accepts, with its newline */
	unsigned failed;     /* line of the first handler error, or 0 */
};

/* One line of a file into str (room characters and a NUL); NULL at the end
 * of the file or when it is no design (flagged in L for load() to report).
 * A byte at a time: fgets and strlen would cut a line at a NUL byte, and the
 * rest of it would be read as a line of its own. */
static char *file_line(struct load *L, char *str, size_t room)
{
	size_t len = 0;
	int ch = 0;
	while (len < room && ch != '\n' && (ch = getc(L->f)) != EOF) {
		if (ch == '\0') {
			L->nul = L->line + 1;
			return NULL;
		}
		if (++L->bytes > CFG_FILE_MAX) {
			L->too_big = true;
			return NULL;
		}
		str[len++] = (char)ch;
	}
	str[len] = '\0';
	if (!len)
		return NULL;
	/* libinih would parse the rest of a cut line as a new line. */
	if (len == room && str[len - 1] != '\n') {
		L->too_long = L->line + 1;
		return NULL;
	}
	return str;
}

static char *load_reader(char *str, int num, void *stream)
{
	struct load *L = stream;
	size_t room = (size_t)num - 1;

	L->max_len = num - 1;
	if (L->too_long || L->nul)
		return NULL;
	if (L->f) {
		if (!file_line(L, str, room))
			return NULL;
	} else {
		if (!*L->p)
			return NULL;
		size_t len = strcspn(L->p, "\n");
		if (len >= room) {
			L->too_long = L->line + 1;
			return NULL;
		}
		if (L->p[len] == '\n')
			len++;
		memcpy(str, L->p, len);
		str[len] = '\0';
		L->p += len;
	}
	L->line++;
	return str;
}

static int load_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load *L = user;
	char origin[512];

	if (L->failed)
		return 1;
	struct cfg_ent *e = find(L->c, section, name);
	if (!e) {
		if (*section)
			err_set("%s:%u: unknown key '%s.%s'", L->origin, L->line, section, name);
		else
			err_set("%s:%u: key '%s' before any [section]", L->origin, L->line, name);
		L->failed = L->line;
		return 0;
	}
	snprintf(origin, sizeof origin, "%s:%u", L->origin, L->line);
	unsigned prev_load = e->load, prev_line = e->line;
	if (assign(e, value, origin) < 0) {
		err_prefix("%s:%u: %s.%s", L->origin, L->line, section, name);
		L->failed = L->line;
		return 0;
	}
	/* Within one file the last value wins, as across files, but a key given
	 * twice in one file is usually a forgotten edit: say which lines. */
	if (prev_load == L->id)
		log_warn("%s:%u: %s.%s already set at line %u; this value wins", L->origin, L->line,
			 section, name, prev_line);
	e->load = L->id;
	e->line = L->line;
	return 1;
}

static int load(struct load *L)
{
	/* A line starting with blanks would otherwise continue the previous
	 * value (Python configparser style), hiding mistakes. */
	bool multiline = ini_allow_multiline;
	ini_allow_multiline = false;
	L->id = ++L->c->loads;
	int r = ini_parse_stream(load_reader, L, load_handler, L);
	ini_allow_multiline = multiline;

	if (r == -2)
		return err_set("%s: out of memory", L->origin);
	if (L->too_big)
		return err_set("%s: larger than %u KiB, the limit for a design file", L->origin,
			       CFG_FILE_MAX >> 10);
	/* libinih reports the first line with any error, ours or its own. */
	if (r > 0 && (!L->failed || (unsigned)r < L->failed))
		return err_set("%s:%d: syntax error", L->origin, r);
	if (L->failed)
		return -1;
	if (L->nul)
		return err_set("%s:%u: NUL byte: not a text file", L->origin, L->nul);
	if (L->too_long)
		return err_set("%s:%u: line longer than %d characters", L->origin, L->too_long,
			       L->max_len - 1);
	return 0;
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m)) return "a FIFO";
	if (S_ISCHR(m)) return "a character device";
	if (S_ISBLK(m)) return "a block device";
	if (S_ISSOCK(m)) return "a socket";
	return "a special file";
}

/* Opens a regular file only: a FIFO or a device (/dev/zero, a terminal)
 * would block or never end.  O_NONBLOCK keeps open() itself from waiting
 * for a FIFO's writer; it changes nothing for a regular file. */
static FILE *open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int e = 0;

	if (fd < 0) {
		err_set("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	if (e || !S_ISREG(st.st_mode)) {
		if (e)
			err_set("%s: %s", path, strerror(e));
		else
			err_set("%s: %s, not a regular file", path, file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		err_set("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int cfg_load_file(struct cfg *c, const char *path)
{
	struct load L = { .c = c, .origin = path };
	L.f = open_regular(path);
	if (!L.f)
		return -1;
	int r = load(&L);
	if (r == 0 && ferror(L.f))
		r = err_set("%s: %s", path, strerror(errno));
	fclose(L.f);
	return r;
}

int cfg_load_string(struct cfg *c, const char *origin, const char *text)
{
	struct load L = { .c = c, .origin = origin, .p = text };
	return load(&L);
}

static size_t trimmed(const char **s, size_t len)
{
	while (len && isspace((unsigned char)**s)) {
		(*s)++;
		len--;
	}
	while (len && isspace((unsigned char)(*s)[len - 1]))
		len--;
	return len;
}

int cfg_set(struct cfg *c, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	const char *lhs = assignment;
	size_t llen = eq ? trimmed(&lhs, (size_t)(eq - assignment)) : 0;

	if (!eq || !memchr(lhs, '.', llen))
		return err_set("--set '%s': expected section.name=value", assignment);
	struct cfg_ent *e = find_full(c, lhs, llen);
	if (!e)
		return err_set("--set %.*s: unknown key", (int)llen, lhs);

	const char *rhs = eq + 1;
	size_t rlen = trimmed(&rhs, strlen(rhs));
	char *value = xmalloc(rlen + 1);
	memcpy(value, rhs, rlen);
	value[rlen] = '\0';
	bool again = e->set && e->load == 0;
	int r = assign(e, value, "--set");
	if (r == 0 && again)   /* the last wins, as in a design file: say so */
		log_warn("--set %s.%s given more than once; the last value, %s, wins", e->key.section,
			 e->key.name, value);
	free(value);
	if (r < 0)
		return err_prefix("--set %s.%s", e->key.section, e->key.name);
	e->load = e->line = 0;
	return 0;
}

int cfg_check_complete(const struct cfg *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (!c->ents[i].set)
			return err_set("no value for %s.%s", c->ents[i].key.section, c->ents[i].key.name);
	return 0;
}

/* ---- accessors ---- */

static const struct cfg_ent *get(const struct cfg *c, const char *section, const char *name,
				 enum cfg_type type)
{
	const struct cfg_ent *e = find(c, section, name);
	if (!e)
		fatal(section, name, "not declared");
	if (e->key.type != type)
		fatal(section, name, "read with the wrong type");
	if (!e->set)
		fatal(section, name, "read before it has a value");
	return e;
}

uint64_t cfg_u64(const struct cfg *c, const char *section, const char *name)
{
	return get(c, section, name, CFG_U64)->v.u;
}

bool cfg_bool(const struct cfg *c, const char *section, const char *name)
{
	return get(c, section, name, CFG_BOOL)->v.b;
}

double cfg_double(const struct cfg *c, const char *section, const char *name)
{
	return get(c, section, name, CFG_DOUBLE)->v.d;
}

unsigned cfg_enum(const struct cfg *c, const char *section, const char *name)
{
	return get(c, section, name, CFG_ENUM)->v.e;
}

/* ---- output ---- */

static void value_text(const struct cfg_ent *e, char *buf, size_t size)
{
	if (!e->set) {
		snprintf(buf, size, "(unset)");
		return;
	}
	switch (e->key.type) {
	case CFG_U64: snprintf(buf, size, "%" PRIu64, e->v.u); break;
	case CFG_BOOL: snprintf(buf, size, "%s", e->v.b ? "true" : "false"); break;
	case CFG_DOUBLE: fmt_double(buf, size, e->v.d); break;
	case CFG_ENUM: choice_name(e->key.choices, e->v.e, buf, size); break;
	}
}

static void type_text(const struct cfg_key *k, char *buf, size_t size)
{
	char lo[32], hi[32];
	switch (k->type) {
	case CFG_U64:
	case CFG_DOUBLE:
		fmt_bound(k, k->min, lo, sizeof lo);
		fmt_bound(k, k->max, hi, sizeof hi);
		snprintf(buf, size, "(%s, [%s, %s])", k->type == CFG_U64 ? "u64" : "double", lo, hi);
		break;
	case CFG_BOOL: snprintf(buf, size, "(bool)"); break;
	case CFG_ENUM: snprintf(buf, size, "(enum %s)", k->choices); break;
	}
}

/* Entry indices grouped by section (sections in order of first declaration),
 * keys in declaration order within each. */
static size_t *section_order(const struct cfg *c)
{
	size_t *order = xmalloc(c->n * sizeof *order);
	bool *done = xmalloc(c->n * sizeof *done);
	size_t k = 0;
	memset(done, 0, c->n * sizeof *done);
	for (size_t i = 0; i < c->n; i++) {
		if (done[i])
			continue;
		for (size_t j = i; j < c->n; j++) {
			if (!done[j] && strcmp(c->ents[j].key.section, c->ents[i].key.section) == 0) {
				done[j] = true;
				order[k++] = j;
			}
		}
	}
	free(done);
	return order;
}

void cfg_list(const struct cfg *c, FILE *out, bool with_origin)
{
	char val[64], type[256], line[4096];
	size_t wname = 0, wval = 0, wtype = 0, wdoc = 0;
	size_t *order = section_order(c);

	for (size_t i = 0; i < c->n; i++) {
		const struct cfg_ent *e = &c->ents[i];
		size_t n = strlen(e->key.section) + 1 + strlen(e->key.name);
		value_text(e, val, sizeof val);
		type_text(&e->key, type, sizeof type);
		if (n > wname) wname = n;
		if (strlen(val) > wval) wval = strlen(val);
		if (strlen(type) > wtype) wtype = strlen(type);
		if (strlen(e->key.doc) > wdoc) wdoc = strlen(e->key.doc);
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct cfg_ent *e = &c->ents[order[i]];
		int pad = (int)(wname - strlen(e->key.section) - 1 - strlen(e->key.name));
		value_text(e, val, sizeof val);
		type_text(&e->key, type, sizeof type);
		snprintf(line, sizeof line, "%s.%s%*s = %-*s  %-*s  %-*s", e->key.section, e->key.name,
			 pad, "", (int)wval, val, (int)wtype, type, with_origin ? (int)wdoc : 0, e->key.doc);
		if (with_origin) {
			fprintf(out, "%s  [%s]\n", line, e->set ? e->origin : "unset");
			continue;
		}
		/* No trailing blanks when the last columns are empty. */
		size_t len = strlen(line);
		while (len && line[len - 1] == ' ')
			len--;
		fprintf(out, "%.*s\n", (int)len, line);
	}
	free(order);
}

void cfg_write_ini(const struct cfg *c, FILE *out)
{
	char val[64], type[256];
	size_t *order = section_order(c);
	const char *section = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct cfg_ent *e = &c->ents[order[i]];
		if (!section || strcmp(section, e->key.section) != 0) {
			fprintf(out, "%s[%s]\n", section ? "\n" : "", e->key.section);
			section = e->key.section;
		}
		type_text(&e->key, type, sizeof type);
		fprintf(out, "; %s %s\n", e->key.doc, type);
		value_text(e, val, sizeof val);
		fprintf(out, "%s%s = %s\n", e->set ? "" : "; ", e->key.name, val);
	}
	free(order);
}
