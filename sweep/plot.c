/* Figures from sweep results through gnuplot (sweep/plot.h). */
#define _GNU_SOURCE
#include "sweep/plot.h"
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/err.h"
#include "sweep/results.h"

extern char **environ;

#define PLOT_MAX_SERIES 64
#define PLOT_MAX_CATS 256

struct data {
	struct strs series, cats;
	struct cell cell[PLOT_MAX_SERIES][PLOT_MAX_CATS];   /* bars, stacked, line (cats: x values) */
	double pct[PLOT_MAX_SERIES][101];                    /* cdf: summed percentiles */
	unsigned npct[PLOT_MAX_SERIES];
};

/* A gnuplot double-quoted string. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static bool wanted(json_t *p, const struct plot_opts *o)
{
	for (unsigned f = 0; f < o->nwhere; f++) {
		char k[128], tmp[64];
		const char *v = "", *pv;
		split_kv(o->where[f], k, sizeof k, &v);
		pv = result_key(p, k, tmp, sizeof tmp);
		if (!pv || strcmp(pv, v))
			return false;
	}
	return true;
}

static int too_many(const char *what, unsigned max)
{
	return err_set("more than %u %s to plot: narrow with --where", max, what);
}

/* One point's contribution. */
static int gather(json_t *p, const struct plot_opts *o, struct data *d, const char **missing)
{
	char sl[512], cl[512], tmp[64];
	if (!result_label(p, o->series, o->nseries, sl, sizeof sl, missing))
		return 0;
	json_t *v = result_json(p, o->value);
	if (!v)
		return 0;
	ssize_t s = strs_add(&d->series, sl);
	if (s < 0)
		return err_set("out of memory");
	if (s >= PLOT_MAX_SERIES)
		return too_many("series", PLOT_MAX_SERIES);
	switch (o->kind) {
	case PLOT_CDF: {
		json_t *pc = json_object_get(v, "percentiles");
		if (!json_is_object(v) || !json_object_get(v, "count"))
			return err_set("--value %s is not a histogram (a CDF needs one)", o->value);
		if (json_array_size(pc) != 101)
			return 0;     /* empty: nothing to draw for this point */
		for (unsigned i = 0; i <= 100; i++)
			d->pct[s][i] += json_number_value(json_array_get(pc, i));
		d->npct[s]++;
		return 0;
	}
	case PLOT_LINE: {
		const char *x = result_key(p, o->x, tmp, sizeof tmp);
		char *end;
		if (!x) {
			*missing = o->x;
			return 0;
		}
		strtod(x, &end);
		if (end == x || *end)
			return err_set("--x %s: value '%s' is not a number", o->x, x);
		if (!json_is_number(v))
			return err_set("--value %s is not a number (a line plot needs one)", o->value);
		ssize_t c = strs_add(&d->cats, x);
		if (c < 0)
			return err_set("out of memory");
		if (c >= PLOT_MAX_CATS)
			return too_many("x values", PLOT_MAX_CATS);
		return cell_add(&d->cell[s][c], json_number_value(v)) < 0 ? err_set("out of memory") : 0;
	}
	default:
		if (json_is_object(v)) {
			const char *k;
			json_t *x;
			json_object_foreach(v, k, x) {
				if (!json_is_number(x))
					continue;
				ssize_t c = strs_add(&d->cats, k);
				if (c < 0)
					return err_set("out of memory");
				if (c >= PLOT_MAX_CATS)
					return too_many("categories", PLOT_MAX_CATS);
				if (cell_add(&d->cell[s][c], json_number_value(x)) < 0)
					return err_set("out of memory");
			}
			return 0;
		}
		if (!json_is_number(v))
			return err_set("--value %s is neither a number nor an object of numbers", o->value);
		if (!result_label(p, o->cols, o->ncols, cl, sizeof cl, missing))
			return 0;
		ssize_t c = strs_add(&d->cats, cl);
		if (c < 0)
			return err_set("out of memory");
		if (c >= PLOT_MAX_CATS)
			return too_many("categories", PLOT_MAX_CATS);
		return cell_add(&d->cell[s][c], json_number_value(v)) < 0 ? err_set("out of memory") : 0;
	}
}

static const char *terminal(const char *out)
{
	const char *dot = strrchr(out, '.');
	if (!dot)
		return NULL;
	if (!strcmp(dot, ".svg"))
		return "svg size 800,500 dynamic font 'Helvetica,12' noenhanced background rgb 'white'";
	if (!strcmp(dot, ".pdf"))
		return "pdfcairo size 6in,3.75in font 'Helvetica,10' noenhanced";
	if (!strcmp(dot, ".png"))
		return "pngcairo size 1200,750 font 'Helvetica,14' noenhanced";
	return NULL;
}

/* Cells in a data block: mean, "?" where a series has no value. */
static void write_bars(FILE *f, const struct data *d, bool by_series)
{
	const struct strs *rows = by_series ? &d->series : &d->cats, *cols = by_series ? &d->cats : &d->series;
	fputs("$data << EOD\n\"\"", f);
	for (size_t c = 0; c < cols->n; c++) {
		fputc(' ', f);
		quoted(f, cols->v[c]);
	}
	fputc('\n', f);
	for (size_t r = 0; r < rows->n; r++) {
		quoted(f, rows->v[r]);
		for (size_t c = 0; c < cols->n; c++) {
			const struct cell *ce = by_series ? &d->cell[r][c] : &d->cell[c][r];
			if (ce->n)
				fprintf(f, " %.17g", cell_mean(ce));
			else
				fputs(" ?", f);
		}
		fputc('\n', f);
	}
	fputs("EOD\n", f);
}

static int cmp_x(const void *a, const void *b, void *arg)
{
	const struct strs *cats = arg;
	double x = strtod(cats->v[*(const size_t *)a], NULL), y = strtod(cats->v[*(const size_t *)b], NULL);
	return (x > y) - (x < y);
}

static void write_script(FILE *f, const struct data *d, const struct plot_opts *o)
{
	fprintf(f, "set terminal %s\nset output ", terminal(o->out));
	quoted(f, o->out);
	fputs("\nset datafile missing '?'\nset border 3\nset tics nomirror\nset grid ytics\n"
	      "set key outside right top\n", f);
	/* Twelve distinct colours (Tableau 10 and two more) before any repeats. */
	static const char *const colours[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
					       "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f3b73", "#8cd17d" };
	for (unsigned i = 0; i < 12; i++)
		fprintf(f, "set linetype %u linecolor rgb '%s'\n", i + 1, colours[i]);
	fputs("set linetype cycle 12\n", f);
	if (o->title) {
		fputs("set title ", f);
		quoted(f, o->title);
		fputc('\n', f);
	}
	const char *xl = o->xlabel, *yl = o->ylabel;
	switch (o->kind) {
	case PLOT_CDF:
		xl = xl ? xl : o->value;
		yl = yl ? yl : "fraction of events";
		break;
	case PLOT_LINE:
		xl = xl ? xl : o->x;
		/* fall through */
	default:
		yl = yl ? yl : o->value;
	}
	if (xl) {
		fputs("set xlabel ", f);
		quoted(f, xl);
		fputc('\n', f);
	}
	fputs("set ylabel ", f);
	quoted(f, yl);
	fputc('\n', f);
	if (o->logx)
		fputs("set logscale x\n", f);
	if (o->logy)
		fputs("set logscale y\n", f);

	switch (o->kind) {
	case PLOT_BARS:
	case PLOT_STACKED: {
		bool stacked = o->kind == PLOT_STACKED;
		const struct strs *ticks = stacked ? &d->series : &d->cats;
		size_t longest = 0;
		for (size_t i = 0; i < ticks->n; i++)
			if (strlen(ticks->v[i]) > longest)
				longest = strlen(ticks->v[i]);
		/* room for the slanted category names: none may be clipped */
		fprintf(f, "set bmargin %zu\n", 3 + longest / 2);
		write_bars(f, d, stacked);
		fprintf(f, "set style data histograms\nset style histogram %s\n"
			"set style fill solid 0.85 border -1\nset boxwidth 0.85\nset xtics rotate by -30 left\n"
			"set yrange [%s:*]\nset format y '%%.1s%%c'\n",
			stacked ? "rowstacked" : "clustered gap 1", o->logy ? "1" : "0");
		fprintf(f, "plot for [i=2:%zu] $data using i:xtic(1) title columnheader(i)\n",
			(stacked ? d->cats.n : d->series.n) + 1);
		break;
	}
	case PLOT_CDF:
		for (size_t s = 0; s < d->series.n; s++) {
			fprintf(f, "$cdf%zu << EOD\n", s);
			for (unsigned i = 0; i <= 100; i++)
				if (d->npct[s])
					fprintf(f, "%.17g %.2f\n", d->pct[s][i] / d->npct[s], i / 100.0);
			fputs("EOD\n", f);
		}
		fputs("set yrange [0:1]\nset ytics 0.2\nset format y '%.1f'\nplot ", f);
		for (size_t s = 0; s < d->series.n; s++) {
			fprintf(f, "%s$cdf%zu using 1:2 with steps linewidth 2 title ", s ? ", " : "", s);
			quoted(f, d->series.v[s]);
		}
		fputc('\n', f);
		break;
	case PLOT_LINE: {
		size_t order[PLOT_MAX_CATS];
		for (size_t c = 0; c < d->cats.n; c++)
			order[c] = c;
		qsort_r(order, d->cats.n, sizeof *order, cmp_x, (void *)&d->cats);
		for (size_t s = 0; s < d->series.n; s++) {
			fprintf(f, "$line%zu << EOD\n", s);
			for (size_t k = 0; k < d->cats.n; k++) {
				const struct cell *ce = &d->cell[s][order[k]];
				if (ce->n)
					fprintf(f, "%s %.17g %.17g\n", d->cats.v[order[k]], cell_mean(ce), cell_ci95(ce));
			}
			fputs("EOD\n", f);
		}
		fputs("plot ", f);
		for (size_t s = 0; s < d->series.n; s++) {
			fprintf(f, "%s$line%zu using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title ", s ? ", " : "",
				s);
			quoted(f, d->series.v[s]);
		}
		fputc('\n', f);
		break;
	}
	}
}

static int run_gnuplot(const char *script)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };
	pid_t pid;
	int r = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ), ws;
	if (r == ENOENT)
		return err_set("gnuplot not found: install Debian's gnuplot-nox (./configure --install-deps does)");
	if (r)
		return err_set("gnuplot: cannot start: %s", strerror(r));
	if (waitpid(pid, &ws, 0) < 0)
		return err_set("gnuplot: %s", strerror(errno));
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return err_set("gnuplot failed on %s (its message is above)", script);
	return 0;
}

int plot_write(const char *path, const struct plot_opts *o)
{
	struct results R;
	const char *missing = NULL;
	char tmp[] = "/tmp/hvsim-plot-XXXXXX";
	int rc;
	if (!terminal(o->out))
		return err_set("-o %s: the figure's name must end in .svg, .pdf or .png", o->out);
	if (o->kind == PLOT_LINE && !o->x)
		return err_set("a line plot needs --x AXIS-KEY");
	if ((rc = results_load(path, &R)) < 0)
		return rc;
	struct data *d = calloc(1, sizeof *d);
	if (!d) {
		rc = err_set("out of memory");
		goto out;
	}
	for (size_t i = 0; !rc && i < R.n; i++)
		if (wanted(R.p[i], o))
			rc = gather(R.p[i], o, d, &missing);
	if (rc)
		goto out;
	if (!d->series.n || (o->kind != PLOT_CDF && !d->cats.n)) {
		rc = missing ? err_set("%s: no point has the key '%s'", path, missing)
			     : err_set("%s: no successful point has the statistic '%s'", path, o->value);
		goto out;
	}
	const char *script = o->script;
	if (!script) {
		int fd = mkstemp(tmp);
		if (fd < 0) {
			rc = err_set("%s: %s", tmp, strerror(errno));
			goto out;
		}
		close(fd);
		script = tmp;
	}
	FILE *f = fopen(script, "w");
	if (!f) {
		rc = err_set("%s: %s", script, strerror(errno));
		goto out;
	}
	write_script(f, d, o);
	if (fclose(f)) {
		rc = err_set("%s: write failed", script);
		goto out;
	}
	rc = run_gnuplot(script);
	if (!o->script)
		unlink(tmp);
out:
	if (d) {
		strs_free(&d->series);
		strs_free(&d->cats);
		for (size_t s = 0; s < PLOT_MAX_SERIES; s++)
			for (size_t c = 0; c < PLOT_MAX_CATS; c++)
				free(d->cell[s][c].x);
		free(d);
	}
	results_free(&R);
	return rc;
}
