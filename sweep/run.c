/* Running a sweep (sweep/run.h). */
#define _GNU_SOURCE
#include "sweep/run.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <unicorn/unicorn.h>
#include "config.h"
#include "core/cfg.h"
#include "core/err.h"
#include "platform/designs.h"
#include "sweep/report.h"

extern char **environ;

/* FNV-1a, 64 bits: an identity for inputs, not a cryptographic digest. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

static int hash_file(const char *path, uint64_t *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set("%s: %s", path, strerror(errno));
	uint64_t h = FNV_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		h = fnv(h, buf, n);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return err_set("%s: read error", path);
	*out = h;
	return 0;
}

/* argv[0..FIXED_ARGS) of a point: the executable, "run" and the options
 * that say where statistics go, the same for every point. */
#define FIXED_ARGS 7

/* Everything a point runs with. */
struct job {
	size_t point;
	char *argv[4 * SWEEP_MAX_WORDS + 16];
	unsigned argc;
	char *owned[4 * SWEEP_MAX_WORDS];  /* strings built for argv */
	unsigned nowned;
	char id[17];
	char *design_ini;
	uint64_t design_hash, wl_hash;
	char stats[4096], log[4096];
	pid_t pid;
	struct timespec t0;
};

static char *own(struct job *j, char *s)
{
	j->owned[j->nowned++] = s;
	return s;
}

static void job_free(struct job *j)
{
	for (unsigned i = 0; i < j->nowned; i++)
		free(j->owned[i]);
	free(j->design_ini);
	memset(j, 0, sizeof *j);
}

/* ${seed} in a workload argument becomes the point's seed. */
static char *subst_seed(const char *arg, const char *seed)
{
	const char *m = strstr(arg, "${seed}");
	if (!m || !seed)
		return strdup(arg);
	char *r;
	if (asprintf(&r, "%.*s%s%s", (int)(m - arg), arg, seed, m + 7) < 0)
		return NULL;
	return r;
}

/* The effective design of a point, as 'hvsim config --dump' writes it. */
static char *effective_design(const struct sweep_spec *s, const struct sweep_point *p)
{
	const struct sweep_workload *w = &s->wl[p->wl];
	const struct sweep_design *d = &s->ds[p->ds];
	struct cfg *c = cfg_new();
	char *ini = NULL;
	size_t len = 0;
	if (!c) {
		err_set("out of memory");
		return NULL;
	}
	if (design_load_default(c, !strcmp(w->arch, "arm64") ? ISA_A64 : ISA_X86_64) < 0)
		goto out;
	for (unsigned i = 0; i < d->files.n; i++)
		if (cfg_load_file(c, d->files.w[i]) < 0)
			goto out;
	for (unsigned i = 0; i < d->sets.n; i++)
		if (cfg_set(c, d->sets.w[i]) < 0)
			goto out;
	for (unsigned k = 0; k < s->nax; k++) {
		char *a;
		if (asprintf(&a, "%s=%s", s->ax[k].key, s->ax[k].values.w[p->val[k]]) < 0)
			goto out;
		int r = cfg_set(c, a);
		free(a);
		if (r < 0)
			goto out;
	}
	if (cfg_check_complete(c) < 0)
		goto out;
	FILE *m = open_memstream(&ini, &len);
	if (!m)
		goto out;
	cfg_write_ini(c, m);
	fclose(m);
out:
	cfg_free(c);
	if (!ini && !*err_msg())
		err_set("out of memory");
	return ini;
}

/* Prepares job j for point i: arguments, effective design, id. */
static int job_prepare(const struct sweep_spec *s, const struct sweep_opts *o, const char *tmpdir, size_t i,
		       struct job *j)
{
	struct sweep_point p;
	sweep_point_get(s, i, &p);
	const struct sweep_workload *w = &s->wl[p.wl];
	const struct sweep_design *d = &s->ds[p.ds];
	const char *seed = p.seed >= 0 ? s->seeds.w[p.seed] : NULL;

	memset(j, 0, sizeof *j);
	j->point = i;
	if (!(j->design_ini = effective_design(s, &p)))
		return err_prefix("%s: design %s with workload %s", s->path, d->name, w->name);
	if (hash_file(w->elf, &j->wl_hash) < 0)
		return -1;
	j->design_hash = fnv(FNV_INIT, j->design_ini, strlen(j->design_ini));
	snprintf(j->stats, sizeof j->stats, "%s/point-%zu.json", tmpdir, i);
	snprintf(j->log, sizeof j->log, "%s/point-%zu.log", tmpdir, i);

	char **a = j->argv;
	a[j->argc++] = (char *)o->self;
	a[j->argc++] = "run";
	a[j->argc++] = "-q";
	a[j->argc++] = "--stats";
	a[j->argc++] = j->stats;
	a[j->argc++] = "--stats-format";
	a[j->argc++] = "json";
	for (unsigned k = 0; k < d->files.n; k++) {
		a[j->argc++] = "--design";
		a[j->argc++] = d->files.w[k];
	}
	for (unsigned k = 0; k < d->sets.n; k++) {
		a[j->argc++] = "--set";
		a[j->argc++] = d->sets.w[k];
	}
	for (unsigned k = 0; k < s->nax; k++) {
		char *v;
		if (asprintf(&v, "%s=%s", s->ax[k].key, s->ax[k].values.w[p.val[k]]) < 0)
			return err_set("out of memory");
		a[j->argc++] = "--set";
		a[j->argc++] = own(j, v);
	}
	for (unsigned k = 0; k < w->args.n; k++)
		if (!(a[j->argc++] = own(j, subst_seed(w->args.w[k], seed))))
			return err_set("out of memory");
	a[j->argc++] = w->elf;
	a[j->argc] = NULL;

	/* The inputs by content, not by path: hvsim, the ELF, the effective
	 * design (which holds every --design and --set), the workload's own
	 * options, the repetition. */
	uint64_t h = fnv(FNV_INIT, HVSIM_VERSION, sizeof HVSIM_VERSION);
	h = fnv(h, &j->wl_hash, sizeof j->wl_hash);
	h = fnv(h, j->design_ini, strlen(j->design_ini));
	for (unsigned k = 0; k < w->args.n; k++)
		h = fnv(h, a[j->argc - 1 - w->args.n + k], strlen(a[j->argc - 1 - w->args.n + k]) + 1);
	h = fnv(h, &p.rep, sizeof p.rep);
	snprintf(j->id, sizeof j->id, "%016" PRIx64, h);
	return 0;
}

/* ---- results already there ---- */
struct done {
	json_t **line;             /* by point; NULL: not done */
	size_t n;
};

/* Reads the complete lines of a results file; a torn last line (the sweep
 * was killed while writing it) is ignored. */
static int read_results(const char *path, json_t **by_point, size_t n, bool any_point)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : err_set("%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned line = 0;
	int rc = 0;
	while ((len = getline(&buf, &cap, f)) > 0) {
		line++;
		if (buf[len - 1] != '\n')
			break;
		json_error_t e;
		json_t *o = json_loads(buf, 0, &e);
		json_t *pt = o ? json_object_get(o, "point") : NULL;
		if (!o || !json_is_integer(pt) || !json_is_string(json_object_get(o, "id"))) {
			json_decref(o);
			rc = err_set("%s:%u: not a sweep result line", path, line);
			break;
		}
		json_int_t i = json_integer_value(pt);
		if (i < 0 || (size_t)i >= n) {
			json_decref(o);
			if (any_point)
				continue;
			rc = err_set("%s:%u: point %" JSON_INTEGER_FORMAT " is not in this sweep", path, line, i);
			break;
		}
		json_decref(by_point[i]);
		by_point[i] = o;
	}
	free(buf);
	fclose(f);
	return rc;
}

/* ---- running ---- */
static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static int job_start(struct job *j)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, j->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	int r = posix_spawn(&j->pid, j->argv[0], &fa, NULL, j->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return err_set("%s: cannot start: %s", j->argv[0], strerror(r));
	return 0;
}

/* The last non-empty line of the point's log: its error message. */
static json_t *last_line(const char *log)
{
	FILE *f = fopen(log, "r");
	char *buf = NULL, last[1024] = "";
	size_t cap = 0;
	ssize_t len;
	if (!f)
		return json_string("");
	while ((len = getline(&buf, &cap, f)) > 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len)
			snprintf(last, sizeof last, "%s", buf);
	}
	free(buf);
	fclose(f);
	json_t *r = json_string(last);       /* NULL if the log is not UTF-8 */
	return r ? r : json_string("(unprintable message: see the point's log)");
}

static json_t *job_result(const struct sweep_spec *s, const struct job *j, int wstatus, const char *uc)
{
	struct sweep_point p;
	sweep_point_get(s, j->point, &p);
	json_t *o = json_object(), *params = json_object(), *prov = json_object();
	char h[17];
	json_object_set_new(o, "point", json_integer(j->point));
	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "workload", json_string(s->wl[p.wl].name));
	json_object_set_new(o, "design", json_string(s->ds[p.ds].name));
	for (unsigned k = 0; k < s->nax; k++)
		json_object_set_new(params, s->ax[k].key, json_string(s->ax[k].values.w[p.val[k]]));
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "seed", p.seed >= 0 ? json_string(s->seeds.w[p.seed]) : json_null());
	json_object_set_new(o, "rep", json_integer(p.rep));

	int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	json_error_t e;
	json_t *stats = json_load_file(j->stats, 0, &e);
	/* A guest's own exit status is its verdict; a run that wrote no
	 * statistics did not run to its end. */
	bool ok = WIFEXITED(wstatus) && (unsigned)code == s->wl[p.wl].status && stats;
	json_object_set_new(o, "status", json_string(ok ? "ok" : "failed"));
	json_object_set_new(o, "exit_code", json_integer(code));
	json_object_set_new(o, "error", ok ? json_null() : last_line(j->log));

	json_object_set_new(prov, "hvsim", json_string(HVSIM_VERSION));
	json_object_set_new(prov, "unicorn", json_string(uc));
	snprintf(h, sizeof h, "%016" PRIx64, j->design_hash);
	json_object_set_new(prov, "design_hash", json_string(h));
	snprintf(h, sizeof h, "%016" PRIx64, j->wl_hash);
	json_object_set_new(prov, "workload_hash", json_string(h));
	json_object_set_new(prov, "workload", json_string(s->wl[p.wl].elf));
	json_object_set_new(prov, "design", json_string(j->design_ini));
	json_object_set_new(o, "provenance", prov);
	json_object_set_new(o, "wall_s", json_real(since(&j->t0)));
	json_object_set_new(o, "stats", stats ? stats : json_null());
	return o;
}

static int append_line(int fd, json_t *o)
{
	char *txt = json_dumps(o, JSON_COMPACT);
	if (!txt)
		return err_set("out of memory");
	size_t n = strlen(txt);
	txt[n] = '\n';     /* json_dumps's NUL becomes the newline: one write per line */
	ssize_t w = write(fd, txt, n + 1);
	free(txt);
	return w == (ssize_t)(n + 1) ? 0 : err_set("results: write failed: %s", strerror(errno));
}

/* Writes lines (sorted by point) to path atomically: a temporary file in
 * the same directory, then rename. */
static int write_sorted(const char *path, json_t **line, size_t n)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return err_set("out of memory");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = fd < 0 ? err_set("%s: %s", tmp, strerror(errno)) : 0;
	for (size_t i = 0; !rc && i < n; i++)
		if (line[i])
			rc = append_line(fd, line[i]);
	if (fd >= 0 && (fsync(fd) < 0 || close(fd) < 0) && !rc)
		rc = err_set("%s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) < 0)
		rc = err_set("%s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* FILE.csv (FILE without .jsonl) beside the results: every point, flat. */
static int write_csv_view(const char *out)
{
	size_t n = strlen(out);
	char *csv, *tmp;
	if (asprintf(&csv, "%.*s.csv", (int)(n > 6 && !strcmp(out + n - 6, ".jsonl") ? n - 6 : n), out) < 0)
		return err_set("out of memory");
	if (asprintf(&tmp, "%s.tmp.%d", csv, (int)getpid()) < 0) {
		free(csv);
		return err_set("out of memory");
	}
	FILE *f = fopen(tmp, "w");
	int rc = f ? report_flat_csv(out, f) : err_set("%s: %s", tmp, strerror(errno));
	if (f && fclose(f) && !rc)
		rc = err_set("%s: write failed", tmp);
	if (!rc && rename(tmp, csv) < 0)
		rc = err_set("%s: %s", csv, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	free(csv);
	return rc;
}

static void progress(const struct sweep_opts *o, size_t done, size_t total, unsigned failed, unsigned running,
		     const struct timespec *t0, size_t started_done, bool final)
{
	static double last;
	double t = since(t0);
	bool tty = isatty(2);
	if (!o->progress || (!final && !tty && t - last < 10))
		return;
	last = t;
	char eta[32] = "";
	size_t ran = done - started_done;
	if (ran && done < total) {
		double left = t / ran * (total - done);
		snprintf(eta, sizeof eta, ", ETA %d:%02d", (int)left / 60, (int)left % 60);
	}
	fprintf(stderr, "%ssweep: %zu/%zu points done, %u failed, %u running%s%s", tty ? "\r" : "", done, total,
		failed, running, eta, tty && !final ? "\033[K" : "\n");
}

static void shell_word(FILE *f, const char *w)
{
	if (*w && !w[strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+")]) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (; *w; w++)
		if (*w == '\'')
			fputs("'\\''", f);
		else
			fputc(*w, f);
	fputc('\'', f);
}

int sweep_point_command(const struct sweep_spec *s, const struct sweep_opts *o, size_t i, FILE *out)
{
	struct job j;
	if (job_prepare(s, o, "/tmp", i, &j) < 0) {
		job_free(&j);
		return -1;
	}
	fprintf(out, "%zu %s hvsim run", i, j.id);
	for (unsigned k = FIXED_ARGS; k < j.argc; k++) {
		fputc(' ', out);
		shell_word(out, j.argv[k]);
	}
	fputc('\n', out);
	job_free(&j);
	return 0;
}

/* ---- the sweep's state, shared by the local loop and the MPI coordinator ---- */
struct sweep_state {
	const struct sweep_spec *s;
	const struct sweep_opts *o;
	size_t n, next, done, total, skipped;
	json_t **line;             /* by point */
	char *partial;
	char tmpdir[32];
	int pfd;
	char uc[32];
	unsigned failed;
	struct timespec t0;
};

static int state_open(struct sweep_state *st, const struct sweep_spec *s, const struct sweep_opts *o)
{
	unsigned major, minor;
	memset(st, 0, sizeof *st);
	st->s = s;
	st->o = o;
	st->pfd = -1;
	st->n = sweep_point_count(s);
	snprintf(st->tmpdir, sizeof st->tmpdir, "/tmp/hvsim-sweep-XXXXXX");
	unsigned v = uc_version(&major, &minor);
	snprintf(st->uc, sizeof st->uc, "%u.%u.%u", major, minor, v >> 8 & 0xff);
	clock_gettime(CLOCK_MONOTONIC, &st->t0);
	for (size_t i = 0; i < st->n; i++)
		st->total += i % o->nshards == o->shard;
	if (!(st->line = calloc(st->n, sizeof *st->line)) || asprintf(&st->partial, "%s.partial", o->out) < 0)
		return err_set("out of memory");
	if (read_results(o->out, st->line, st->n, false) < 0 || read_results(st->partial, st->line, st->n, false) < 0)
		return -1;
	if (!mkdtemp(st->tmpdir)) {
		st->tmpdir[0] = '\0';
		return err_set("%s: %s", st->tmpdir, strerror(errno));
	}
	st->pfd = open(st->partial, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (st->pfd < 0)
		return err_set("%s: %s", st->partial, strerror(errno));
	return 0;
}

/* Prepares j for the next point of this shard that has no result with the
 * same inputs yet.  1: j is ready; 0: no point left; -1 + err_set. */
static int state_next(struct sweep_state *st, struct job *j)
{
	while (st->next < st->n) {
		size_t i = st->next++;
		if (i % st->o->nshards != st->o->shard)
			continue;
		if (job_prepare(st->s, st->o, st->tmpdir, i, j) < 0)
			return -1;
		json_t *old = st->line[i];
		if (!old || strcmp(json_string_value(json_object_get(old, "id")), j->id))
			return 1;
		st->failed += !strcmp(json_string_value(json_object_get(old, "status")) ?: "", "failed");
		job_free(j);
		st->done++;
		st->skipped++;
	}
	return 0;
}

/* Records a point's result (taking r). */
static int state_record(struct sweep_state *st, size_t point, json_t *r)
{
	bool failed = strcmp(json_string_value(json_object_get(r, "status")) ?: "", "ok");
	st->failed += failed;
	st->done++;
	json_decref(st->line[point]);
	st->line[point] = r;
	if (failed && st->o->progress)
		fprintf(stderr, "%ssweep: point %zu (%s, %s) failed: %s\n", isatty(2) ? "\r\033[K" : "", point,
			json_string_value(json_object_get(r, "workload")), json_string_value(json_object_get(r, "design")),
			json_string_value(json_object_get(r, "error")));
	return append_line(st->pfd, r);
}

/* The final results file and its CSV view; the partial file goes. */
static int state_finish(struct sweep_state *st)
{
	/* Points of other shards stay out of this shard's file. */
	for (size_t i = 0; i < st->n; i++)
		if (i % st->o->nshards != st->o->shard) {
			json_decref(st->line[i]);
			st->line[i] = NULL;
		}
	if (write_sorted(st->o->out, st->line, st->n) < 0 || write_csv_view(st->o->out) < 0)
		return -1;
	unlink(st->partial);
	return 0;
}

static void state_close(struct sweep_state *st)
{
	if (st->pfd >= 0)
		close(st->pfd);
	for (size_t i = 0; st->line && i < st->n; i++)
		json_decref(st->line[i]);
	free(st->line);
	free(st->partial);
	if (st->tmpdir[0])
		rmdir(st->tmpdir);
}

/* The point's result once its process ended; its files go. */
static json_t *job_finish(const struct sweep_spec *s, struct job *j, int ws, const char *uc)
{
	json_t *r = job_result(s, j, ws, uc);
	unlink(j->stats);
	unlink(j->log);
	return r;
}

int sweep_run(const struct sweep_spec *s, const struct sweep_opts *o, unsigned *nfailed)
{
	struct sweep_state st;
	struct job *jobs = calloc(o->jobs, sizeof *jobs);
	unsigned running = 0;
	int rc = -1;
	if (!jobs) {
		err_set("out of memory");
		return -1;
	}
	if (state_open(&st, s, o) < 0)
		goto out;
	for (;;) {
		/* Start points while there are free slots. */
		for (unsigned k = 0; k < o->jobs && running < o->jobs; k++) {
			if (jobs[k].pid)
				continue;
			int r = state_next(&st, &jobs[k]);
			if (r < 0)
				goto out;
			if (!r)
				break;
			if (job_start(&jobs[k]) < 0)
				goto out;
			running++;
		}
		progress(o, st.done, st.total, st.failed, running, &st.t0, st.skipped, false);
		if (!running)
			break;
		int ws;
		pid_t pid = wait(&ws);
		if (pid < 0) {
			err_set("wait: %s", strerror(errno));
			goto out;
		}
		for (unsigned k = 0; k < o->jobs; k++) {
			struct job *j = &jobs[k];
			if (j->pid != pid)
				continue;
			running--;
			int r = state_record(&st, j->point, job_finish(s, j, ws, st.uc));
			job_free(j);
			if (r < 0)
				goto out;
		}
	}
	progress(o, st.done, st.total, st.failed, 0, &st.t0, st.skipped, true);
	rc = state_finish(&st);
out:
	*nfailed = st.failed;
	for (unsigned k = 0; k < o->jobs; k++) {
		if (jobs[k].pid) {
			kill(jobs[k].pid, SIGTERM);
			waitpid(jobs[k].pid, NULL, 0);
			unlink(jobs[k].stats);
			unlink(jobs[k].log);
		}
		job_free(&jobs[k]);
	}
	free(jobs);
	state_close(&st);
	return rc;
}

int sweep_merge(const char *const *in, unsigned nin, const char *out)
{
	/* Points are numbered by the sweep; the largest seen bounds the table. */
	size_t n = 0;
	for (unsigned f = 0; f < nin; f++) {
		FILE *fp = fopen(in[f], "r");
		if (!fp)
			return err_set("%s: %s", in[f], strerror(errno));
		char *buf = NULL;
		size_t cap = 0;
		while (getline(&buf, &cap, fp) > 0) {
			json_t *o = json_loads(buf, 0, NULL);
			json_int_t i = o ? json_integer_value(json_object_get(o, "point")) : 0;
			if (i >= 0 && (size_t)i + 1 > n && i < SWEEP_MAX_POINTS)
				n = i + 1;
			json_decref(o);
		}
		free(buf);
		fclose(fp);
	}
	json_t **all = calloc(n ? n : 1, sizeof *all), **one = calloc(n ? n : 1, sizeof *one);
	int rc = all && one ? 0 : err_set("out of memory");
	for (unsigned f = 0; !rc && f < nin; f++) {
		memset(one, 0, n * sizeof *one);
		if ((rc = read_results(in[f], one, n, false)) < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (!one[i])
				continue;
			if (all[i] && strcmp(json_string_value(json_object_get(all[i], "id")),
					     json_string_value(json_object_get(one[i], "id")))) {
				rc = err_set("%s: point %zu was run with other inputs than in %s (different design, "
					     "workload or hvsim)", in[f], i, in[0]);
				break;
			}
			json_decref(all[i]);
			all[i] = one[i];
			one[i] = NULL;
		}
		for (size_t i = 0; i < n; i++)
			json_decref(one[i]);
	}
	if (!rc)
		rc = write_sorted(out, all, n);
	for (size_t i = 0; all && i < n; i++)
		json_decref(all[i]);
	free(all);
	free(one);
	return rc;
}

/* ---- across machines: Open MPI ---- */
#if HAVE_MPI
#include <mpi.h>

enum { TAG_WORK = 1, TAG_STOP, TAG_RESULT };

bool sweep_mpi_launched(void)
{
	/* Set by Open MPI's launcher (and PMIx-based ones) in every rank. */
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK");
}

/* Waits for a message without spinning a core (Open MPI's blocking receive
 * polls): probe, sleep a millisecond, probe again. */
static void wait_message(int source, MPI_Status *st)
{
	int flag = 0;
	struct timespec ms = { 0, 1000000 };
	for (;;) {
		MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
		if (flag)
			return;
		nanosleep(&ms, NULL);
	}
}

/* Rank 0: hands out points as ranks become free, records the results. */
static int coordinate(const struct sweep_spec *s, const struct sweep_opts *o, int ranks, unsigned *nfailed)
{
	struct sweep_state st;
	struct job j;
	int busy = 0, rc = -1;
	if (state_open(&st, s, o) < 0)
		goto out;
	/* Every worker starts idle: a point each, or stop. */
	for (int r = 1; r < ranks; r++) {
		int got = state_next(&st, &j);
		if (got < 0)
			goto out;
		long point = got ? (long)j.point : -1;
		if (got)
			job_free(&j);
		MPI_Send(&point, 1, MPI_LONG, r, got ? TAG_WORK : TAG_STOP, MPI_COMM_WORLD);
		busy += got;
	}
	while (busy) {
		progress(o, st.done, st.total, st.failed, busy, &st.t0, st.skipped, false);
		MPI_Status ms;
		int len;
		wait_message(MPI_ANY_SOURCE, &ms);
		MPI_Get_count(&ms, MPI_CHAR, &len);
		char *txt = malloc(len + 1);
		if (!txt) {
			err_set("out of memory");
			goto out;
		}
		MPI_Recv(txt, len, MPI_CHAR, ms.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		txt[len] = '\0';
		busy--;
		json_t *r = json_loads(txt, 0, NULL);
		free(txt);
		json_t *pt = json_object_get(r, "point");
		if (!json_is_integer(pt) || json_integer_value(pt) < 0 || (size_t)json_integer_value(pt) >= st.n) {
			json_decref(r);
			err_set("rank %d sent a malformed result", ms.MPI_SOURCE);
			goto out;
		}
		if (state_record(&st, json_integer_value(pt), r) < 0)
			goto out;
		int got = state_next(&st, &j);
		if (got < 0)
			goto out;
		long point = got ? (long)j.point : -1;
		if (got)
			job_free(&j);
		MPI_Send(&point, 1, MPI_LONG, ms.MPI_SOURCE, got ? TAG_WORK : TAG_STOP, MPI_COMM_WORLD);
		busy += got;
	}
	progress(o, st.done, st.total, st.failed, 0, &st.t0, st.skipped, true);
	rc = state_finish(&st);
out:
	*nfailed = st.failed;
	state_close(&st);
	return rc;
}

/* Ranks 1..N-1: run the points rank 0 sends, one at a time. */
static int work(const struct sweep_spec *s, const struct sweep_opts *o)
{
	char tmpdir[] = "/tmp/hvsim-sweep-XXXXXX", uc[32];
	unsigned major, minor, v = uc_version(&major, &minor);
	struct job j;
	snprintf(uc, sizeof uc, "%u.%u.%u", major, minor, v >> 8 & 0xff);
	if (!mkdtemp(tmpdir))
		return err_set("%s: %s", tmpdir, strerror(errno));
	int rc = 0;
	for (;;) {
		MPI_Status ms;
		long point;
		wait_message(0, &ms);
		MPI_Recv(&point, 1, MPI_LONG, 0, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (ms.MPI_TAG == TAG_STOP)
			break;
		int ws;
		if ((rc = job_prepare(s, o, tmpdir, point, &j)) < 0 || (rc = job_start(&j)) < 0 ||
		    (waitpid(j.pid, &ws, 0) < 0 && (rc = err_set("wait: %s", strerror(errno)))))
			break;
		json_t *r = job_finish(s, &j, ws, uc);
		char *txt = json_dumps(r, JSON_COMPACT);
		json_decref(r);
		job_free(&j);
		if (!txt) {
			rc = err_set("out of memory");
			break;
		}
		MPI_Send(txt, strlen(txt), MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
		free(txt);
	}
	rmdir(tmpdir);
	return rc;
}

int sweep_run_mpi(const struct sweep_spec *s, const struct sweep_opts *o, unsigned *nfailed)
{
	int rank, ranks, rc;
	MPI_Init(NULL, NULL);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &ranks);
	*nfailed = 0;
	if (ranks == 1) {
		rc = sweep_run(s, o, nfailed);
	} else if (rank == 0) {
		rc = coordinate(s, o, ranks, nfailed);
	} else {
		struct sweep_opts quiet = *o;
		quiet.progress = false;
		rc = work(s, &quiet);
	}
	/* A failed rank takes the others down rather than leave them waiting. */
	if (rc < 0) {
		fprintf(stderr, "hvsim: sweep (rank %d): %s\n", rank, err_msg());
		MPI_Abort(MPI_COMM_WORLD, 3);
	}
	MPI_Finalize();
	return rank == 0 ? rc : 1;
}
#else
bool sweep_mpi_launched(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK");
}

int sweep_run_mpi(const struct sweep_spec *s, const struct sweep_opts *o, unsigned *nfailed)
{
	(void)s, (void)o, (void)nfailed;
	return err_set("this hvsim was built without MPI: install libopenmpi-dev and rerun ./configure "
		       "(or run the sweep with --shard on each machine and join with --merge)");
}
#endif
