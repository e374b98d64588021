/* Sweep files (sweep/spec.h): parsed with libinih, checked key by key. */
#include "sweep/spec.h"
#include <elf.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/err.h"

struct load {
	struct sweep_spec *s;
	FILE *f;
	unsigned line;
	unsigned failed;       /* line of the first error */
	/* the entry the current section declares */
	enum { SEC_NONE, SEC_SWEEP, SEC_WL, SEC_DS, SEC_AX } kind;
};

static int fail(struct load *L, const char *fmt, const char *a, const char *b)
{
	char msg[512];
	snprintf(msg, sizeof msg, fmt, a, b);
	err_set("%s:%u: %s", L->s->path, L->line, msg);
	L->failed = L->line;
	return 0;
}

/* Splits a value on blanks into w (strdup'ed words). */
static int split(struct load *L, struct sweep_words *w, const char *v, const char *key)
{
	const char *p = v;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			return 1;
		size_t n = strcspn(p, " \t");
		if (w->n == SWEEP_MAX_WORDS)
			return fail(L, "%s: more than 64 words", key, NULL);
		w->w[w->n] = strndup(p, n);
		if (!w->w[w->n])
			return fail(L, "%s: out of memory", key, NULL);
		w->n++;
		p += n;
	}
}

/* A path relative to the sweep file's directory. */
static char *resolve(const struct sweep_spec *s, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	size_t n = strlen(s->dir) + strlen(p) + 2;
	char *r = malloc(n);
	if (r)
		snprintf(r, n, "%s/%s", s->dir, p);
	return r;
}

static bool valid_name(const char *n)
{
	if (!*n)
		return false;
	for (const char *p = n; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* "[workload NAME]": opens a new entry. */
static int begin_section(struct load *L, const char *section)
{
	struct sweep_spec *s = L->s;
	char kind[32], name[128];
	if (!strcmp(section, "sweep")) {
		L->kind = SEC_SWEEP;
		return 1;
	}
	if (sscanf(section, "%31s %127s", kind, name) != 2 || strchr(section + strlen(kind) + 1, ' ') ||
	    !valid_name(name))
		return fail(L, "[%s]: expected [sweep], [workload NAME], [design NAME] or [axis NAME] "
			    "(NAME: letters, digits, - _ .)", section, NULL);
	unsigned *n;
	char **slot;
	unsigned *line;
	if (!strcmp(kind, "workload")) {
		L->kind = SEC_WL;
		n = &s->nwl;
		slot = &s->wl[*n < SWEEP_MAX_ENTRIES ? *n : 0].name;
		line = &s->wl[*n < SWEEP_MAX_ENTRIES ? *n : 0].line;
		for (unsigned i = 0; i < s->nwl; i++)
			if (!strcmp(s->wl[i].name, name))
				return fail(L, "workload %s: declared twice", name, NULL);
	} else if (!strcmp(kind, "design")) {
		L->kind = SEC_DS;
		n = &s->nds;
		slot = &s->ds[*n < SWEEP_MAX_ENTRIES ? *n : 0].name;
		line = &s->ds[*n < SWEEP_MAX_ENTRIES ? *n : 0].line;
		for (unsigned i = 0; i < s->nds; i++)
			if (!strcmp(s->ds[i].name, name))
				return fail(L, "design %s: declared twice", name, NULL);
	} else if (!strcmp(kind, "axis")) {
		L->kind = SEC_AX;
		n = &s->nax;
		slot = &s->ax[*n < SWEEP_MAX_ENTRIES ? *n : 0].name;
		line = &s->ax[*n < SWEEP_MAX_ENTRIES ? *n : 0].line;
		for (unsigned i = 0; i < s->nax; i++)
			if (!strcmp(s->ax[i].name, name))
				return fail(L, "axis %s: declared twice", name, NULL);
	} else {
		return fail(L, "[%s]: unknown section kind '%s'", section, kind);
	}
	if (*n == SWEEP_MAX_ENTRIES)
		return fail(L, "[%s]: more than 64 entries of this kind", section, NULL);
	*slot = strdup(name);
	*line = L->line;
	(*n)++;
	return 1;
}

/* libinih calls the handler only for keys: an empty [design base] would
 * vanish, so sections are seen here, line by line. */
static char *reader(char *str, int num, void *user)
{
	struct load *L = user;
	char *r = fgets(str, num, L->f);
	if (!r)
		return NULL;
	L->line++;
	size_t len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(L->f) && !L->failed) {
		char lim[16];
		snprintf(lim, sizeof lim, "%d", num - 2);
		fail(L, "line longer than %s characters", lim, NULL);
	}
	const char *p = str + strspn(str, " \t");
	size_t n = strcspn(p, ";#\r\n");
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!L->failed && n >= 2 && p[0] == '[' && p[n - 1] == ']') {
		char sec[160];
		snprintf(sec, sizeof sec, "%.*s", (int)(n - 2), p + 1);
		begin_section(L, sec);
	}
	return r;
}

/* "1000 100000 *10" or "0 100 +25": a geometric or arithmetic range. */
static int expand_range(struct load *L, struct sweep_axis *a, const char *v)
{
	char step[32], extra;
	double from, to, by;
	if (sscanf(v, "%lf %lf %31s %c", &from, &to, step, &extra) != 3 || (step[0] != '*' && step[0] != '+'))
		return fail(L, "axis %s: range '%s' is not 'FROM TO *FACTOR' or 'FROM TO +STEP'", a->name, v);
	char *end;
	errno = 0;
	by = strtod(step + 1, &end);
	if (*end || errno || !isfinite(from) || !isfinite(to) || !isfinite(by) || from > to ||
	    (step[0] == '*' && (by <= 1 || from <= 0)) || (step[0] == '+' && by <= 0))
		return fail(L, "axis %s: range '%s' does not go from FROM up to TO", a->name, v);
	for (double x = from; x <= to * (1 + 1e-12); x = step[0] == '*' ? x * by : x + by) {
		if (a->values.n == SWEEP_MAX_WORDS)
			return fail(L, "axis %s: range '%s' has more than 64 values", a->name, v);
		char buf[64];
		snprintf(buf, sizeof buf, "%.15g", x);
		a->values.w[a->values.n++] = strdup(buf);
	}
	return 1;
}

static int parse_count(struct load *L, const char *key, const char *v, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x < 1 || x > max || v[0] == '-' || v[0] == '+') {
		char lim[32];
		snprintf(lim, sizeof lim, "%u", max);
		return fail(L, "sweep.%s: expected a count from 1 to %s", key, lim);
	}
	*out = x;
	return 1;
}

static int handler(void *user, const char *section, const char *key, const char *v)
{
	struct load *L = user;
	struct sweep_spec *s = L->s;
	if (L->failed)
		return 1;
	if (!*section)
		return fail(L, "key '%s' before any [section]", key, NULL);
	switch (L->kind) {
	case SEC_SWEEP:
		if (!strcmp(key, "name")) {
			if (!valid_name(v))
				return fail(L, "sweep.name: '%s' is not a name (letters, digits, - _ .)", v, NULL);
			free(s->name);
			s->name = strdup(v);
			return 1;
		}
		if (!strcmp(key, "combine")) {
			if (strcmp(v, "cross") && strcmp(v, "zip"))
				return fail(L, "sweep.combine: '%s' is not one of cross|zip", v, NULL);
			s->zip = !strcmp(v, "zip");
			return 1;
		}
		if (!strcmp(key, "repeat"))
			return parse_count(L, key, v, 1000, &s->repeat);
		if (!strcmp(key, "seeds"))
			return split(L, &s->seeds, v, "sweep.seeds");
		return fail(L, "unknown key 'sweep.%s' (name, combine, repeat, seeds)", key, NULL);
	case SEC_WL: {
		struct sweep_workload *w = &s->wl[s->nwl - 1];
		if (!strcmp(key, "elf")) {
			free(w->elf);
			w->elf = resolve(s, v);
			return 1;
		}
		if (!strcmp(key, "args"))
			return split(L, &w->args, v, "args");
		if (!strcmp(key, "trace"))
			return fail(L, "workload %s: trace replay is not in this version of hvsim (no 'hvsim replay' "
				    "yet): a workload is an 'elf'", w->name, NULL);
		if (!strcmp(key, "status")) {
			char *end;
			errno = 0;
			unsigned long x = strtoul(v, &end, 10);
			if (!*v || *end || errno || x > 255 || v[0] < '0' || v[0] > '9')
				return fail(L, "workload %s: status '%s' is not an exit status 0..255", w->name, v);
			w->status = x;
			return 1;
		}
		return fail(L, "workload %s: unknown key '%s' (elf, args, status)", w->name, key);
	}
	case SEC_DS: {
		struct sweep_design *d = &s->ds[s->nds - 1];
		if (!strcmp(key, "files")) {
			struct sweep_words w = { 0 };
			if (!split(L, &w, v, "files"))
				return 0;
			for (unsigned i = 0; i < w.n; i++) {
				if (d->files.n == SWEEP_MAX_WORDS)
					return fail(L, "design %s: more than 64 files", d->name, NULL);
				d->files.w[d->files.n++] = resolve(s, w.w[i]);
				free(w.w[i]);
			}
			return 1;
		}
		if (!strcmp(key, "set"))
			return split(L, &d->sets, v, "set");
		if (!strcmp(key, "arch")) {
			if (strcmp(v, "arm64") && strcmp(v, "x86"))
				return fail(L, "design %s: arch '%s' is not one of arm64|x86", d->name, v);
			free(d->arch);
			d->arch = strdup(v);
			return 1;
		}
		return fail(L, "design %s: unknown key '%s' (files, set, arch)", d->name, key);
	}
	case SEC_AX: {
		struct sweep_axis *a = &s->ax[s->nax - 1];
		if (!strcmp(key, "key")) {
			if (!strchr(v, '.') || strchr(v, '=') || strchr(v, ' '))
				return fail(L, "axis %s: key '%s' is not SECTION.KEY", a->name, v);
			free(a->key);
			a->key = strdup(v);
			return 1;
		}
		if (!strcmp(key, "values") || !strcmp(key, "range")) {
			if (a->values.n)
				return fail(L, "axis %s: give 'values' or 'range', once", a->name, NULL);
			return !strcmp(key, "values") ? split(L, &a->values, v, "values") : expand_range(L, a, v);
		}
		return fail(L, "axis %s: unknown key '%s' (key, values, range)", a->name, key);
	}
	default:
		return fail(L, "key '%s' outside a known section", key, NULL);
	}
}

/* "arm64" or "x86" from the ELF header, or NULL with err_set. */
static const char *elf_arch(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_set("%s: %s", path, strerror(errno));
		return NULL;
	}
	Elf64_Ehdr eh;
	size_t n = fread(&eh, 1, sizeof eh, f);
	fclose(f);
	if (n != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		err_set("%s: not a 64-bit ELF file", path);
		return NULL;
	}
	if (eh.e_machine == EM_AARCH64)
		return "arm64";
	if (eh.e_machine == EM_X86_64)
		return "x86";
	err_set("%s: e_machine %u is neither AArch64 nor x86-64", path, eh.e_machine);
	return NULL;
}

/* Whole-file checks after parsing: every entry complete, the pairs. */
static int check(struct sweep_spec *s)
{
	if (!s->nwl)
		return err_set("%s: no [workload NAME] section", s->path);
	if (!s->nds)
		return err_set("%s: no [design NAME] section (an empty [design base] runs the default design)",
			       s->path);
	for (unsigned i = 0; i < s->nwl; i++) {
		struct sweep_workload *w = &s->wl[i];
		if (!w->elf)
			return err_set("%s:%u: workload %s: no 'elf'", s->path, w->line, w->name);
		if (!(w->arch = elf_arch(w->elf)))
			return err_prefix("%s:%u: workload %s", s->path, w->line, w->name);
	}
	size_t nvals = 0;
	for (unsigned i = 0; i < s->nax; i++) {
		struct sweep_axis *a = &s->ax[i];
		if (!a->key || !a->values.n)
			return err_set("%s:%u: axis %s: needs 'key' and 'values' (or 'range')", s->path, a->line,
				       a->name);
		if (s->zip && i && a->values.n != nvals)
			return err_set("%s:%u: axis %s: %u values, but combine = zip needs as many as axis %s (%zu)",
				       s->path, a->line, a->name, a->values.n, s->ax[0].name, nvals);
		nvals = a->values.n;
	}
	for (unsigned w = 0; w < s->nwl; w++)
		for (unsigned d = 0; d < s->nds; d++)
			if (!s->ds[d].arch || !strcmp(s->ds[d].arch, s->wl[w].arch)) {
				s->pair[s->npairs][0] = w;
				s->pair[s->npairs][1] = d;
				s->npairs++;
			}
	if (!s->npairs)
		return err_set("%s: no design applies to any workload's machine (see 'arch')", s->path);
	if (sweep_point_count(s) > SWEEP_MAX_POINTS)
		return err_set("%s: more than %u points", s->path, SWEEP_MAX_POINTS);
	return 0;
}

struct sweep_spec *sweep_spec_load(const char *path)
{
	struct sweep_spec *s = calloc(1, sizeof *s);
	if (!s) {
		err_set("out of memory");
		return NULL;
	}
	s->repeat = 1;
	s->path = strdup(path);
	char *tmp = strdup(path);
	s->dir = strdup(dirname(tmp));
	free(tmp);
	char *base = strdup(path), *b = basename(base);
	char *dot = strrchr(b, '.');
	if (dot && dot != b)
		*dot = '\0';
	s->name = strdup(b);
	free(base);

	struct load L = { .s = s };
	L.f = fopen(path, "r");
	if (!L.f) {
		err_set("%s: %s", path, strerror(errno));
		goto fail;
	}
	int r = ini_parse_stream(reader, &L, handler, &L);
	fclose(L.f);
	if (r == -2) {
		err_set("%s: out of memory", path);
		goto fail;
	}
	if (r > 0 && (!L.failed || (unsigned)r < L.failed)) {
		err_set("%s:%d: syntax error", path, r);
		goto fail;
	}
	if (L.failed || check(s) < 0)
		goto fail;
	return s;
fail:
	sweep_spec_free(s);
	return NULL;
}

static void free_words(struct sweep_words *w)
{
	for (unsigned i = 0; i < w->n; i++)
		free(w->w[i]);
}

void sweep_spec_free(struct sweep_spec *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nwl; i++) {
		free(s->wl[i].name);
		free(s->wl[i].elf);
		free_words(&s->wl[i].args);
	}
	for (unsigned i = 0; i < s->nds; i++) {
		free(s->ds[i].name);
		free(s->ds[i].arch);
		free_words(&s->ds[i].files);
		free_words(&s->ds[i].sets);
	}
	for (unsigned i = 0; i < s->nax; i++) {
		free(s->ax[i].name);
		free(s->ax[i].key);
		free_words(&s->ax[i].values);
	}
	free_words(&s->seeds);
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s);
}

/* Combinations of the axes' values. */
static size_t axis_combos(const struct sweep_spec *s)
{
	if (!s->nax)
		return 1;
	if (s->zip)
		return s->ax[0].values.n;
	size_t n = 1;
	for (unsigned i = 0; i < s->nax; i++) {
		n *= s->ax[i].values.n;
		if (n > SWEEP_MAX_POINTS)
			return SWEEP_MAX_POINTS + 1;
	}
	return n;
}

size_t sweep_point_count(const struct sweep_spec *s)
{
	size_t seeds = s->seeds.n ? s->seeds.n : 1;
	size_t n = (size_t)s->npairs * axis_combos(s);
	if (n > SWEEP_MAX_POINTS)
		return SWEEP_MAX_POINTS + 1;
	return n * seeds * s->repeat;
}

void sweep_point_get(const struct sweep_spec *s, size_t i, struct sweep_point *p)
{
	size_t seeds = s->seeds.n ? s->seeds.n : 1;
	memset(p, 0, sizeof *p);
	p->index = i;
	p->rep = i % s->repeat;
	i /= s->repeat;
	p->seed = s->seeds.n ? (int)(i % seeds) : -1;
	i /= seeds;
	size_t combos = axis_combos(s), c = i % combos;
	i /= combos;
	/* the last axis varies fastest */
	for (unsigned k = s->nax; k-- > 0;) {
		if (s->zip) {
			p->val[k] = c;
		} else {
			p->val[k] = c % s->ax[k].values.n;
			c /= s->ax[k].values.n;
		}
	}
	p->wl = s->pair[i][0];
	p->ds = s->pair[i][1];
}
