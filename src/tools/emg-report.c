/* emg-report: one self-contained HTML page about a recording, and one about
 * a batch of them.
 *
 *   emg-report [options] INPUT -o OUT.html
 *   emg-report [options] INPUT... -o INDEX.html
 *
 * The page holds the recording's facts (format, channels, rates, units,
 * duration, annotations), the figures of emg-plot as inline SVG (the signal
 * with its events, the spectrogram, the MDF/MNF trend), the fatigue table
 * (emg-fatigue's fit of RMS, MDF and MNF per channel), the events (emg-label's,
 * or those of --events) each with the labeller's explanation of its label, and
 * the quality flags (clipped, flat, low-SNR and gap windows, missing samples,
 * channels not labelled and why, inputs that would decide unclassified
 * events, the reader's notes).  Nothing is fetched when it is viewed.
 * With several inputs, -o names the batch page (report_batch.c) and each
 * recording's page is written beside it, named after the recording. */
#define _GNU_SOURCE /* vasprintf, asprintf */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "emgkit/features.h"
#include "emgkit/label.h"
#include "plot.h"
#include "report.h"

enum { OPT_TITLE = CLI_OPT_TOOL_BASE, OPT_EVENTS };

/* The report's figures: a screen's width, shorter than a screen. */
static const plot_size FIGURE_SIZE = {1280, 600, 96, 3.0};
static const double CONFIDENCE = 0.95;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT -o OUT.html\n"
            "       %s [options] INPUT... -o INDEX.html\n"
            "One self-contained HTML page about a recording: its facts, the signal with its\n"
            "events, spectrogram and MDF/MNF trend (inline SVG), the fatigue table, the events\n"
            "with the labeller's explanation of each label, and the quality flags.  With\n"
            "several inputs, -o names the batch page: the recordings and their quality flags,\n"
            "the forest of their MDF slopes with the pooled estimate, their events per label;\n"
            "each recording's page is written beside it as NAME.html (NAME: the input's file\n"
            "name).  The pages load nothing from a network.\n\n"
            "  --events FILE          events to show (an event table) instead of emg-label's\n"
            "                         (with several inputs: its file column says whose)\n"
            "  --title TEXT           the page's title (default: the input's name; the batch\n"
            "                         page: the number of recordings)\n\n",
            cli_prog(), cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH);
    cli_input_help(out);
    cli_help_footer(out);
}

typedef struct report_job {
    cli_input in;
    const char *events, *title;
    /* several inputs: the pages (beside the batch page), and the batch page's name */
    const char *const *paths;
    char **pages;
    size_t n;
    const char *index;
} report_job;

/* A growing list of the quality flags of a page (texts). */
typedef struct flag_list {
    char **text;
    size_t n, cap;
} flag_list;

static void flag_add(flag_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void flag_add(flag_list *l, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->text = realloc(l->text, l->cap * sizeof *l->text);
        if (!l->text)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&l->text[l->n++], fmt, ap) < 0)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    va_end(ap);
}

static void flag_list_free(flag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->text[i]);
    free(l->text);
}

static void write_facts(FILE *f, const char *path, const emg_recording *rec, emg_format format)
{
    const emg_header *h = &rec->header;
    static const char *cols[] = {"channel", "name", "unit", "fs (Hz)", "samples", "duration (s)",
                                 "transducer"};
    report_section(f, "facts", "Recording");
    fputs("<p>File <code>", f);
    report_text(f, path);
    fprintf(f, "</code>, format %s, %zu channel%s, %.3f s, %zu annotation%s.</p>\n",
            emg_format_name(format), h->n_channels, h->n_channels == 1 ? "" : "s",
            emg_header_duration(h), h->n_annotations, h->n_annotations == 1 ? "" : "s");
    report_table_begin(f, "channels", 7, cols);
    for (size_t c = 0; c < h->n_channels; c++) {
        const emg_channel *ch = &h->channels[c];
        report_row_begin(f);
        report_cell_num(f, "%.0f", (double)(c + 1));
        report_cell(f, ch->name);
        report_cell(f, ch->unit);
        report_cell_num(f, "%g", ch->fs);
        report_cell_num(f, "%.0f", (double)ch->n_samples);
        report_cell_num(f, "%.3f", (double)ch->n_samples / ch->fs);
        report_cell(f, ch->transducer);
        report_row_end(f);
    }
    report_table_end(f);
}

typedef struct kind_figure {
    const plot_request *r;
    void (*kind)(const plot_request *r);
} kind_figure;

static void draw_kind(void *ctx)
{
    const kind_figure *k = ctx;
    k->kind(k->r);
}

static void write_figure(FILE *f, const plot_request *r, void (*kind)(const plot_request *r),
                         const char *id, const char *caption)
{
    kind_figure k = {r, kind};
    report_plot(f, id, caption, draw_kind, &k);
}

/* The labeller's events as the figures take them. */
static void events_of_labels(plot_events *out, const emg_label_result *res, const emg_header *h)
{
    out->n = res->n_events;
    out->ev = calloc(out->n ? out->n : 1, sizeof *out->ev);
    if (!out->ev)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < out->n; i++) {
        const emg_label_event *e = &res->events[i];
        plot_event *p = &out->ev[i];
        p->onset = e->onset;
        p->duration = e->duration;
        p->confidence = e->confidence;
        snprintf(p->channel, sizeof p->channel, "%s",
                 e->channel >= 0 && (size_t)e->channel < h->n_channels ? h->channels[e->channel].name
                                                                       : "");
        snprintf(p->label, sizeof p->label, "%s", e->label);
        snprintf(p->rule, sizeof p->rule, "%s", e->rule);
    }
}

/* The table, and for a batch the summary rows of its trends (sum not NULL). */
static void write_fatigue(FILE *f, const plot_windows *w, const report_summary *sum)
{
    static const char *cols[] = {"channel", "feature", "slope per min", "95% CI per min",
                                 "change %/min", "active windows", "status"};
    report_section(f, "fatigue", "Fatigue trends");
    fputs("<p>Ordinary least squares over the active windows (1 s, step 0.5 s, filtered "
          "20-450 Hz), intervals for autocorrelated windows (n<sub>eff</sub>), as "
          "<code>emg-fatigue</code> computes them (docs/methods/fatigue.md).</p>\n", f);
    if (w->n_channels == 0) {
        fputs("<p>No EMG channel sampled fast enough for 1 s windows of at least 8 samples.</p>\n",
              f);
        return;
    }
    report_table_begin(f, "fatigue-table", 7, cols);
    for (size_t c = 0; c < w->n_channels; c++) {
        const plot_series *s = &w->ch[c];
        double *t = malloc((s->n ? s->n : 1) * sizeof *t), *y = malloc((s->n ? s->n : 1) * sizeof *y);
        if (!t || !y)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
        emg_window_census census = {s->n, 0, 0, 1};
        for (size_t i = 0; i < s->n; i++) {
            census.active += !(s->flags[i] & EMG_WINDOW_UNUSABLE);
            census.quiet += !!(s->flags[i] & (EMG_WINDOW_REST | EMG_WINDOW_LOW_SNR));
        }
        emg_trend_status status = emg_trend_status_of(&census);
        for (size_t k = 0; k < w->n_ids; k++) {
            emg_trend tr;
            size_t m = plot_series_fit(s, k, w->n_ids, CONFIDENCE, &tr, t, y);
            int fitted = emg_trend_status_fits(status) && m >= 3;
            char ci[96];
            snprintf(ci, sizeof ci, "[%.3g, %.3g]", tr.ci_low * 60, tr.ci_high * 60);
            report_row_begin(f);
            report_cell(f, w->channels[c].name);
            report_cell(f, emg_feature_name(w->ids[k]));
            report_cell_num(f, "%+.3g", fitted ? tr.slope_per_min : NAN);
            report_cell(f, fitted && isfinite(tr.ci_low) ? ci : "n/a");
            report_cell_num(f, "%+.2f", fitted ? tr.change_pct_per_min : NAN);
            report_cell_num(f, "%.0f", (double)m);
            report_cell(f, emg_trend_status_name(status));
            report_row_end(f);
            if (sum)
                report_summary_trend(sum, w->channels[c].name, emg_feature_name(w->ids[k]),
                                     fitted ? &tr : NULL, m, emg_trend_status_name(status));
        }
        free(t);
        free(y);
    }
    report_table_end(f);
}

static void write_events(FILE *f, const plot_events *ev, const emg_label_result *res)
{
    static const char *cols[] = {"onset (s)", "duration (s)", "channel", "label", "confidence",
                                 "rule", "why"};
    report_section(f, "events", "Events");
    if (ev->n == 0) {
        fputs("<p>No events.</p>\n", f);
        return;
    }
    fputs("<p>Labels follow docs/spasm-criteria.md; the rule is the criterion that decided, "
          "and \"why\" the labeller's account of the rules it tested.</p>\n", f);
    report_table_begin(f, "event-table", 7, cols);
    for (size_t i = 0; i < ev->n; i++) {
        const plot_event *e = &ev->ev[i];
        report_row_begin(f);
        report_cell_num(f, "%.3f", e->onset);
        report_cell_num(f, "%.3f", e->duration);
        report_cell(f, e->channel);
        report_cell(f, e->label);
        report_cell_num(f, "%.2f", e->confidence);
        report_cell(f, e->rule);
        const char *why = res && i < res->n_events ? res->events[i].explain : NULL;
        fputs("<td>", f);
        if (why && *why) {
            fputs("<details><summary>explanation</summary><pre>", f);
            report_text(f, why);
            fputs("</pre></details>", f);
        } else {
            fputs("n/a", f);
        }
        fputs("</td>", f);
        report_row_end(f);
    }
    report_table_end(f);
}

static void flag_windows(flag_list *flags, const plot_windows *w)
{
    static const struct {
        unsigned bit;
        const char *what;
    } KINDS[] = {{EMG_WINDOW_CLIPPED, "clipped (samples at the ADC rails)"},
                 {EMG_WINDOW_FLAT, "flat (disconnected electrode or dropout)"},
                 {EMG_WINDOW_GAP, "with missing samples"},
                 {EMG_WINDOW_LOW_SNR, "of low SNR (spectral features unreliable)"}};
    for (size_t c = 0; c < w->n_channels; c++)
        for (size_t k = 0; k < sizeof KINDS / sizeof *KINDS; k++) {
            size_t n = 0, total = w->ch[c].n;
            for (size_t i = 0; i < total; i++)
                n += !!(w->ch[c].flags[i] & KINDS[k].bit);
            if (n)
                flag_add(flags, "%s: %zu of %zu windows %s", w->channels[c].name, n, total,
                         KINDS[k].what);
        }
}

/* The quality flags: the reader's notes, missing samples, what the labeller
 * lacked, flagged windows. */
static void collect_flags(flag_list *flags, const emg_recording *rec, const emg_label_result *res,
                          const plot_windows *w)
{
    const emg_header *h = &rec->header;
    for (size_t i = 0; i < h->n_notes; i++)
        flag_add(flags, "%s", h->notes[i]);
    for (size_t c = 0; res && c < res->n_channels && c < h->n_channels; c++)
        if (res->gaps[c].count)
            flag_add(flags, "%s: %zu missing samples (NaN), the first at %.3f s",
                     h->channels[c].name, res->gaps[c].count,
                     (double)res->gaps[c].first / h->channels[c].fs);
    for (unsigned bit = 1; res && bit <= EMG_LABEL_MISSING_MOVEMENT; bit <<= 1)
        if (res->missing & bit)
            flag_add(flags, "%s", emg_label_missing_text(bit));
    if (res && res->not_labelled)
        flag_add(flags, "%s", res->not_labelled);
    flag_windows(flags, w);
}

static void write_quality(FILE *f, const flag_list *flags, const report_summary *sum)
{
    report_section(f, "quality", "Quality");
    report_flags_begin(f);
    for (size_t i = 0; i < flags->n; i++) {
        report_flag(f, "warning", flags->text[i]);
        if (sum)
            report_summary_flag(sum, flags->text[i]);
    }
    if (!flags->n)
        report_flag(f, "ok", "No clipped, flat, low-SNR or missing data found.");
    report_flags_end(f);
}

/* The summary rows of the recording and its events per label. */
static void summarize_events(const report_summary *sum, const plot_events *ev)
{
    plot_label_count *c = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ev->n; i++)
        plot_label_count_add(&c, &n, &cap, ev->ev[i].label[0] ? ev->ev[i].label : "n/a", 0, 1);
    for (size_t k = 0; k < n; k++)
        report_summary_label(sum, c[k].label, c[k].total);
    free(c);
}

/* The channels with enough samples for a window (the engine's minimum of 8),
 * by name, for the fatigue table and trend; NULL when none has (a
 * polysomnogram's 1 Hz envelope channels). */
static char *windowed_channels(const emg_header *h, double window_s)
{
    size_t len = 1;
    for (size_t c = 0; c < h->n_channels; c++)
        len += strlen(h->channels[c].name) + 1;
    char *list = calloc(len, 1);
    if (!list)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < h->n_channels; c++) {
        if (h->channels[c].fs * window_s < 8)
            continue;
        if (*list)
            strcat(list, ",");
        strcat(list, h->channels[c].name);
    }
    if (!*list) {
        free(list);
        return NULL;
    }
    return list;
}

/* The page about the recording at path, to f; in a batch (sum not NULL)
 * also its summary rows. */
static void report(const report_job *j, const char *path, FILE *f, const report_summary *sum)
{
    emg_error err;
    emg_reader *probe = cli_open_input(path, &j->in); /* the format, and the warnings once */
    emg_format format = emg_reader_format(probe);
    emg_reader_close(probe);
    int was_quiet = cli_set_quiet(1);
    emg_recording rec;
    emg_recording_init(&rec);
    cli_load_input(&rec, path, &j->in);
    cli_set_quiet(was_quiet);

    emg_label_result res;
    emg_label_result_init(&res);
    plot_events ev;
    if (j->events) {
        plot_events_load(&ev, j->events, path, NULL);
    } else {
        emg_label_options lo;
        emg_label_options_init(&lo);
        lo.explain = 1;
        if (emg_label_recording(&res, &rec, &lo, &err) < 0)
            cli_fail(&err);
        events_of_labels(&ev, &res, &rec.header);
    }
    const char *inputs[] = {path};
    plot_request r = {.inputs = inputs, .n_inputs = 1, .output = path, .size = FIGURE_SIZE,
                      .in = j->in, .given_events = &ev, .confidence = CONFIDENCE,
                      .max_events = 12, .max_freq = 500};
    cli_analysis_init(&r.a, 1, "rms,mdf,mnf");
    plot_windows w = {0};
    char *windowed = windowed_channels(&rec.header, r.a.window.window_s);
    cli_input all_channels = r.in;
    if (windowed) {
        r.in.channels = windowed;
        was_quiet = cli_set_quiet(1);
        plot_windows_collect(&w, &r);
        cli_set_quiet(was_quiet);
    }
    if (sum)
        report_summary_recording(sum, emg_format_name(format), rec.header.n_channels,
                                 emg_header_duration(&rec.header));

    report_begin(f, j->title && !j->index ? j->title : path);
    if (j->index) {
        fputs("<p>One of the recordings of ", f);
        report_link(f, j->index, "the batch report");
        fputs(".</p>\n", f);
    }
    write_facts(f, path, &rec, format);
    report_section(f, "figures", "Signal, spectrum and trend");
    r.a.filter_on = 0;
    plot_request every = r; /* the signal and spectrogram show every channel */
    every.in = all_channels;
    write_figure(f, &every, plot_signal, "signal",
                 "The channels, min/max decimated, events shaded in their label's colour.");
    write_figure(f, &every, plot_spectrogram, "spectrogram",
                 "Short-time PSD (256-sample Hann segments, half overlap), top 60 dB.");
    int trend = 0;
    for (size_t c = 0; c < w.n_channels; c++)
        trend |= w.ch[c].n >= 3;
    r.a.filter_on = 1;
    r.a.feature_list = "mdf,mnf";
    if (trend)
        write_figure(f, &r, plot_trend, "trend",
                     "Median and mean frequency of the active windows, OLS lines and 95% bands.");
    write_fatigue(f, &w, sum);
    write_events(f, &ev, j->events ? NULL : &res);
    if (sum)
        summarize_events(sum, &ev);
    flag_list flags = {0};
    collect_flags(&flags, &rec, j->events ? NULL : &res, &w);
    write_quality(f, &flags, sum);
    report_end(f);
    flag_list_free(&flags);
    plot_windows_free(&w);
    free(windowed);
    plot_events_free(&ev);
    emg_label_result_free(&res);
    emg_recording_free(&rec);
}

/* ---- a batch ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The pages of a batch: beside the batch page, each named after its
 * recording's file ("S1.wav.html"; control characters as '_'), "-2", "-3"...
 * added when two recordings share a name or one would take the batch page's. */
static char **page_names(const char *index, const char *const *paths, size_t n)
{
    const char *index_name = base_name(index);
    int dir_len = (int)(index_name - index);
    char **pages = calloc(n, sizeof *pages);
    if (!pages)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s", base_name(paths[i]));
        for (char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '_';
        for (unsigned k = 1;; k++) {
            char suffix[16] = "";
            if (k > 1)
                snprintf(suffix, sizeof suffix, "-%u", k);
            free(pages[i]);
            if (asprintf(&pages[i], "%.*s%s%s.html", dir_len, index, name, suffix) < 0)
                cli_die(CLI_EXIT_INTERNAL, "out of memory");
            int taken = !strcmp(base_name(pages[i]), index_name);
            for (size_t o = 0; o < i && !taken; o++)
                taken = !strcmp(pages[o], pages[i]);
            if (!taken)
                break;
        }
        cli_refuse_output_over_input(pages[i], EMG_FORMAT_TSV);
    }
    return pages;
}

/* In a child process: the page of one recording of the batch, then its
 * summary rows to out. */
static void batch_job(void *ctx, const char *path, FILE *out)
{
    const report_job *j = ctx;
    size_t i = 0;
    while (i < j->n && j->paths[i] != path)
        i++;
    if (i == j->n)
        cli_die(CLI_EXIT_INTERNAL, "%s: not an input of the batch", path);
    report_summary sum = {out, path, base_name(j->pages[i])};
    report_summary_header(out);
    FILE *page = cli_open_text_output(j->pages[i]);
    report(j, path, page, &sum);
    cli_close_text_output(page);
}

/* Every recording's page, then the batch page from their summaries;
 * returns the highest exit code of the recordings that failed. */
static int report_batch(report_job *j, const char *index)
{
    if (!strcmp(index, "-"))
        cli_usage_error("-o -: with several inputs, name the batch page (-o DIR/index.html): "
                        "the recordings' pages go beside it");
    j->index = base_name(index);
    j->pages = page_names(index, j->paths, j->n);
    FILE *f = cli_open_text_output(index); /* refused or unwritable: before any work */
    FILE *summary = tmpfile();
    if (!summary)
        cli_die(CLI_EXIT_OUTPUT, "cannot create a temporary file: %s", strerror(errno));
    int any_page;
    int worst = cli_run_table_jobs_into(j->paths, j->n, batch_job, j, summary, &any_page);
    if (any_page) {
        rewind(summary);
        const char *inputs[] = {index};
        plot_request figure = {.inputs = inputs, .n_inputs = 1, .output = index,
                               .size = FIGURE_SIZE, .confidence = CONFIDENCE};
        report_batch_page(f, j->title, summary, j->paths, j->n, &figure);
        cli_close_text_output(f);
    } else {
        cli_abandon_outputs(); /* no recording gave a page: no batch page */
    }
    fclose(summary);
    for (size_t i = 0; i < j->n; i++)
        free(j->pages[i]);
    free(j->pages);
    return worst;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_BATCH_LONG_OPTIONS,
        CLI_INPUT_LONG_OPTIONS,
        {"events", required_argument, NULL, OPT_EVENTS},
        {"title", required_argument, NULL, OPT_TITLE},
        {NULL, 0, NULL, 0}};
    report_job j = {0};
    cli_init("emg-report", argc, argv, usage);
    cli_input_init(&j.in);
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_BATCH_SHORT_OPTIONS CLI_INPUT_SHORT_OPTIONS, longopts)) != -1) {
        if (cli_input_option(&j.in, opt, optarg))
            continue;
        switch (opt) {
        case OPT_EVENTS: j.events = optarg; break;
        case OPT_TITLE: j.title = optarg; break;
        default: cli_usage_error("unknown option");
        }
    }
    j.n = cli_collect_inputs(argc, argv, optind, &j.paths);
    for (size_t i = 0; i < j.n; i++)
        if (!strcmp(j.paths[i], "-"))
            cli_usage_error("the report reads its input several times: name a file, not '-'");
    const char *out_path = cli_output_path();
    if (!out_path)
        cli_usage_error("no output: name the page with -o OUT.html");
    if (j.events)
        cli_register_input(j.events);
    int code = CLI_EXIT_OK;
    if (j.n > 1) {
        code = report_batch(&j, out_path);
    } else {
        FILE *f = cli_open_text_output(out_path);
        report(&j, j.paths[0], f, NULL);
        cli_close_text_output(f);
    }
    cli_finish_stdout();
    return code;
}
