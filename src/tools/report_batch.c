/* report_batch.c: emg-report's page about a batch of recordings.
 *
 * Each recording's page is made in its own child process (a bad input ends
 * only its child, as in every batch: docs/batch.md); the child also writes
 * summary rows (report.h), which the parent reads back here as one table and
 * turns into the batch page: the recordings with links to their pages and
 * their quality flags, the forest of their MDF slopes with the pooled
 * random-effects estimate (docs/methods/fatigue.md), and their events per
 * label.  The figures are emg-plot's forest and counts, drawn from memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "plot.h"
#include "report.h"

static const char *const SUMMARY_COLUMNS[] = {"file", "page", "item", "name", "feature", "count",
                                              "value", "ci_low", "ci_high", "se", "text"};
enum { N_SUMMARY_COLUMNS = sizeof SUMMARY_COLUMNS / sizeof *SUMMARY_COLUMNS };
/* The feature whose slopes the batch page pools: the median frequency, the
 * usual index of fatigue (docs/methods/fatigue.md). */
static const char *const POOLED_FEATURE = "mdf";

/* ---- writing the summary (in each child) ---- */

void report_summary_header(FILE *out) { emg_tsv_header(out, N_SUMMARY_COLUMNS, SUMMARY_COLUMNS); }

static void summary_row(const report_summary *s, const char *item, const char *name,
                        const char *feature, size_t count, const double stats[4], const char *text)
{
    emg_tsv_str(s->out, s->file, 0);
    emg_tsv_str(s->out, s->page, 0);
    emg_tsv_str(s->out, item, 0);
    emg_tsv_str(s->out, name && *name ? name : "n/a", 0);
    emg_tsv_str(s->out, feature ? feature : "n/a", 0);
    fprintf(s->out, "%zu\t", count);
    for (int i = 0; i < 4; i++)
        emg_tsv_num(s->out, stats ? stats[i] : NAN, 0);
    emg_tsv_str(s->out, text && *text ? text : "n/a", 1);
}

void report_summary_recording(const report_summary *s, const char *format, size_t channels,
                              double duration_s)
{
    const double stats[4] = {duration_s, NAN, NAN, NAN};
    summary_row(s, "recording", format, NULL, channels, stats, NULL);
}

void report_summary_trend(const report_summary *s, const char *channel, const char *feature,
                          const emg_trend *tr, size_t windows, const char *status)
{
    const double stats[4] = {tr ? tr->slope_per_min : NAN, tr ? tr->ci_low * 60 : NAN,
                             tr ? tr->ci_high * 60 : NAN, tr ? tr->slope_se * 60 : NAN};
    summary_row(s, "trend", channel, feature, windows, stats, status);
}

void report_summary_label(const report_summary *s, const char *label, size_t events)
{
    summary_row(s, "label", label, NULL, events, NULL, NULL);
}

void report_summary_flag(const report_summary *s, const char *text)
{
    summary_row(s, "flag", NULL, NULL, 0, NULL, text);
}

/* ---- reading it back (in the parent) ---- */

typedef struct summary {
    emg_table t;
    int file, page, item, name, feature, count, value, lo, hi, se, text;
} summary;

static void summary_read(summary *s, FILE *f)
{
    emg_error err;
    emg_table_init(&s->t);
    if (emg_table_read_stream(&s->t, f, "the batch summary", &err) < 0)
        cli_fail(&err);
    int *cols[] = {&s->file, &s->page, &s->item, &s->name, &s->feature, &s->count,
                   &s->value, &s->lo, &s->hi, &s->se, &s->text};
    for (size_t i = 0; i < N_SUMMARY_COLUMNS; i++)
        if ((*cols[i] = emg_table_column(&s->t, SUMMARY_COLUMNS[i])) < 0)
            cli_die(CLI_EXIT_INTERNAL, "the batch summary has no %s column", SUMMARY_COLUMNS[i]);
}

static const char *cell(const summary *s, size_t row, int col)
{
    return emg_table_cell(&s->t, row, col);
}

static int is_item(const summary *s, size_t row, const char *item)
{
    return !strcmp(cell(s, row, s->item), item);
}

static size_t count_of(const summary *s, size_t row)
{
    return (size_t)strtoull(cell(s, row, s->count), NULL, 10);
}

/* The summary row of the recording at path, or -1 when it gave none (it failed). */
static long recording_row(const summary *s, const char *path)
{
    for (size_t r = 0; r < s->t.n_rows; r++)
        if (is_item(s, r, "recording") && !strcmp(cell(s, r, s->file), path))
            return (long)r;
    return -1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- the page ---- */

static void write_flags_cell(FILE *f, const summary *s, const char *path)
{
    size_t n = 0;
    for (size_t r = 0; r < s->t.n_rows; r++)
        n += is_item(s, r, "flag") && !strcmp(cell(s, r, s->file), path);
    if (n == 0) {
        fputs("<td>none</td>", f);
        return;
    }
    fprintf(f, "<td><details><summary>%zu flag%s</summary><ul class=\"flags\">\n", n,
            n == 1 ? "" : "s");
    for (size_t r = 0; r < s->t.n_rows; r++)
        if (is_item(s, r, "flag") && !strcmp(cell(s, r, s->file), path))
            report_flag(f, "warning", cell(s, r, s->text));
    fputs("</ul></details></td>", f);
}

static size_t events_of(const summary *s, const char *path)
{
    size_t n = 0;
    for (size_t r = 0; r < s->t.n_rows; r++)
        if (is_item(s, r, "label") && !strcmp(cell(s, r, s->file), path))
            n += count_of(s, r);
    return n;
}

static void write_recordings(FILE *f, const summary *s, const char *const *paths, size_t n)
{
    static const char *cols[] = {"recording", "format", "channels", "duration (s)", "events",
                                 "quality flags"};
    report_section(f, "recordings", "Recordings");
    fputs("<p>Each recording's own page has its figures, fatigue table, events with the "
          "labeller's explanations, and quality flags.</p>\n", f);
    report_table_begin(f, "recording-table", 6, cols);
    for (size_t i = 0; i < n; i++) {
        long r = recording_row(s, paths[i]);
        report_row_begin(f);
        if (r < 0) {
            report_cell(f, paths[i]);
            fputs("<td colspan=\"5\">no page: its report failed (the error is on standard "
                  "error)</td>", f);
            report_row_end(f);
            continue;
        }
        fputs("<td>", f);
        report_link(f, cell(s, (size_t)r, s->page), paths[i]);
        fputs("</td>", f);
        report_cell(f, cell(s, (size_t)r, s->name));
        report_cell_num(f, "%.0f", (double)count_of(s, (size_t)r));
        report_cell_num(f, "%.3f", emg_table_num(&s->t, (size_t)r, s->value));
        report_cell_num(f, "%.0f", (double)events_of(s, paths[i]));
        write_flags_cell(f, s, paths[i]);
        report_row_end(f);
    }
    report_table_end(f);
}

typedef struct forest_figure {
    plot_request r;
    plot_study *studies;
    size_t n;
    emg_random_effects pooled;
    int has_pooled;
} forest_figure;

static void draw_forest(void *ctx)
{
    forest_figure *ff = ctx;
    ff->has_pooled = plot_forest_draw(&ff->r, ff->studies, ff->n, POOLED_FEATURE, &ff->pooled);
}

/* The fitted MDF slopes, one per recording and channel. */
static plot_study *studies_of(const summary *s, size_t *n)
{
    plot_study *st = calloc(s->t.n_rows ? s->t.n_rows : 1, sizeof *st);
    if (!st)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    *n = 0;
    for (size_t r = 0; r < s->t.n_rows; r++) {
        if (!is_item(s, r, "trend") || strcmp(cell(s, r, s->feature), POOLED_FEATURE))
            continue;
        plot_study x = {.slope = emg_table_num(&s->t, r, s->value),
                        .lo = emg_table_num(&s->t, r, s->lo),
                        .hi = emg_table_num(&s->t, r, s->hi),
                        .se = emg_table_num(&s->t, r, s->se)};
        if (!isfinite(x.slope) || !isfinite(x.lo) || !isfinite(x.hi) || !(x.se > 0))
            continue;
        snprintf(x.name, sizeof x.name, "%s %s", base_name(cell(s, r, s->file)),
                 cell(s, r, s->name));
        st[(*n)++] = x;
    }
    return st;
}

static void write_fatigue(FILE *f, const summary *s, const plot_request *figure)
{
    report_section(f, "fatigue", "Fatigue: median-frequency slopes");
    forest_figure ff = {.r = *figure};
    ff.studies = studies_of(s, &ff.n);
    if (ff.n == 0) {
        fputs("<p>No EMG channel of these recordings has a fitted MDF slope.</p>\n", f);
        free(ff.studies);
        return;
    }
    /* A row per slope: the figure grows with them, within a screen's reach. */
    ff.r.size.height = fmin(fmax(figure->size.height * 0.6, 90.0 + 34.0 * (double)(ff.n + 2)),
                            2400);
    char caption[512];
    snprintf(caption, sizeof caption,
             "MDF slope per minute of each recording's EMG channels (active windows, OLS, "
             "%.0f%% interval for autocorrelated windows, as emg-fatigue computes them)%s.",
             figure->confidence * 100,
             ff.n >= 2 ? " and their DerSimonian-Laird random-effects pooled estimate (diamond)"
                       : "");
    report_plot(f, "forest", caption, draw_forest, &ff);
    if (ff.has_pooled)
        fprintf(f, "<p id=\"pooled\">Pooled MDF slope over %zu channel%s: %.3g Hz/min "
                "[%.3g, %.3g] (%.0f%% CI), p = %.3g; between-recording variance "
                "&tau;<sup>2</sup> = %.3g, I<sup>2</sup> = %.0f%%.</p>\n",
                ff.pooled.k, ff.pooled.k == 1 ? "" : "s", ff.pooled.estimate, ff.pooled.ci_low,
                ff.pooled.ci_high, figure->confidence * 100, ff.pooled.p_value, ff.pooled.tau2,
                ff.pooled.i2 * 100);
    free(ff.studies);
}

typedef struct counts_figure {
    plot_request r;
    const char *const *series;
    size_t n_series, recordings;
    plot_label_count *counts;
    size_t n;
} counts_figure;

static void draw_counts(void *ctx)
{
    counts_figure *cf = ctx;
    plot_counts_draw(&cf->r, cf->series, cf->n_series, cf->recordings, "recording", cf->counts,
                     cf->n);
}

/* The recordings with a page, in input order. */
static size_t pages_made(const summary *s, const char *const *paths, size_t n, const char **out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (recording_row(s, paths[i]) >= 0)
            out[m++] = paths[i];
    return m;
}

static void write_counts_table(FILE *f, const summary *s, const char *const *made, size_t m,
                               const plot_label_count *c, size_t n)
{
    const char **cols = malloc((n + 1) * sizeof *cols);
    if (!cols)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    cols[0] = "recording";
    for (size_t k = 0; k < n; k++)
        cols[k + 1] = c[k].label;
    report_table_begin(f, "label-table", n + 1, cols);
    for (size_t i = 0; i < m; i++) {
        report_row_begin(f);
        report_cell(f, made[i]);
        for (size_t k = 0; k < n; k++) {
            size_t events = 0;
            for (size_t r = 0; r < s->t.n_rows; r++)
                if (is_item(s, r, "label") && !strcmp(cell(s, r, s->file), made[i]) &&
                    !strncmp(cell(s, r, s->name), c[k].label, sizeof c[k].label - 1))
                    events += count_of(s, r);
            report_cell_num(f, "%.0f", (double)events);
        }
        report_row_end(f);
    }
    report_table_end(f);
    free(cols);
}

static void write_events(FILE *f, const summary *s, const char *const *paths, size_t n,
                         const plot_request *figure)
{
    report_section(f, "events", "Events per label");
    const char **made = malloc((n ? n : 1) * sizeof *made);
    if (!made)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    size_t m = pages_made(s, paths, n, made);
    /* One bar per recording while a legend can name them; pooled beyond. */
    int pooled = m > PLOT_MAX_SERIES;
    static const char *const ALL[] = {"all recordings"};
    counts_figure cf = {.r = *figure, .series = pooled ? ALL : made, .n_series = pooled ? 1 : m,
                        .recordings = m};
    size_t cap = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t r = 0; r < s->t.n_rows; r++)
            if (is_item(s, r, "label") && !strcmp(cell(s, r, s->file), made[i]))
                plot_label_count_add(&cf.counts, &cf.n, &cap, cell(s, r, s->name),
                                     pooled ? 0 : i, count_of(s, r));
    if (cf.n == 0) {
        fputs("<p>No events in these recordings.</p>\n", f);
    } else {
        /* A bar is about 3 lines of text high, up to the usual figure's height. */
        double bars = (double)(cf.n * cf.n_series);
        cf.r.size.height = fmin(fmax(120.0 + 30.0 * bars, 0.5 * figure->size.height),
                                figure->size.height);
        report_plot(f, "counts", pooled ? "Events per label, all recordings together."
                                        : "Events per label, one bar per recording.",
                    draw_counts, &cf);
        write_counts_table(f, s, made, m, cf.counts, cf.n);
    }
    free(cf.counts);
    free(made);
}

void report_batch_page(FILE *f, const char *title, FILE *summary_rows,
                       const char *const *paths, size_t n, const plot_request *figure)
{
    summary s;
    summary_read(&s, summary_rows);
    char default_title[64];
    snprintf(default_title, sizeof default_title, "emgkit report of %zu recordings", n);
    report_begin(f, title ? title : default_title);
    write_recordings(f, &s, paths, n);
    write_fatigue(f, &s, figure);
    write_events(f, &s, paths, n, figure);
    report_end(f);
    emg_table_free(&s.t);
}
