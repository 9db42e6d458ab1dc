/* emg-fatigue: trends of MDF, MNF, FInsm5 and RMS over time, per channel.
 *
 *   emg-fatigue [-w S] [-s S] [--welch SEG:OVERLAP | --periodogram] [--robust]
 *               [--segments FILE | --per-contraction | --events FILE --lead S]
 *               [--cohort FILE] [--group FILE] [--jasa] [-o OUT.tsv] INPUT...
 *
 * The recording is filtered and windowed as by emg-features; windows flagged
 * rest, clipped, flat or low_snr are left out; over the remaining (active)
 * windows each feature is regressed on time (window centre, seconds).  One
 * row per channel and feature (and per contraction with --segments or
 * --per-contraction), after the input's file: intercept, slope per second with its confidence
 * interval, R^2, p-value, number of windows, change in % of the initial
 * (fitted) value per minute, and the first-vs-last comparison (means of the
 * first and last 10% of windows); then how the interval was found (inference,
 * effective number of independent windows, lag-1 residual autocorrelation:
 * overlapping windows are not independent), the slope per minute and the
 * fitted change over the analysed span in %.  --jasa adds the joint analysis of
 * spectrum and amplitude (Luttmann et al. 1996) from the RMS and MDF slopes.
 * --events fits the lead window before each event and control windows
 * instead (fatigue before events); --group pools the table's slopes over the
 * subjects of --cohort into a second table (random effects, contrasts).
 * Methods: docs/methods/fatigue.md; library: include/emgkit/fatigue.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/fatigue.h"
#include "emgkit/features.h"
#include "emgkit/table.h"

enum { OPT_ROBUST = CLI_OPT_TOOL_BASE, OPT_REGRESSION, OPT_SEGMENTS, OPT_PER_CONTRACTION,
       OPT_JASA, OPT_CONFIDENCE, OPT_FIRST_LAST, OPT_ALL_WINDOWS, OPT_MAX_GAP,
       OPT_MIN_CONTRACTION, OPT_INFERENCE, OPT_MODEL, OPT_COHORT, OPT_GROUP, OPT_EVENTS,
       OPT_EVENT_LABEL, OPT_LEAD, OPT_GUARD, OPT_POOLING };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Fatigue trends: regression of MDF, MNF, FInsm5 and RMS on time over the active\n"
            "windows of each channel.\n"
            "Output: TSV  file channel contraction onset duration feature method intercept slope\n"
            "        ci_low ci_high r2 p_value n_windows change_pct_per_min initial first_mean\n"
            "        last_mean first_last_change_pct inference n_eff residual_ac1 slope_per_min\n"
            "        change_pct status [window event] [jasa]   (slope per second)\n"
            "status: ok; no_activity (every window at the noise floor: no trend);\n"
            "too_few_windows (fewer than 3 active windows: no trend); no_rest_reference\n"
            "(fitted, but no rest in the recording to measure the floor on: give\n"
            "--noise-rms). With -f/-t the floor is measured on the whole recording.\n\n"
            "  --robust               Theil-Sen regression (same as --regression theil-sen)\n"
            "  --regression NAME      ols (default), theil-sen, huber\n"
            "  --confidence P         confidence level of the slope interval (0.95)\n"
            "  --inference NAME       n_eff (default): interval and p-value for autocorrelated\n"
            "                         windows (effective sample size); iid: windows counted as\n"
            "                         independent (too narrow for overlapping windows)\n"
            "  --model NAME           linear (default) or exponential: also fit\n"
            "                         a + b exp(-(t - t0)/tau) and test the curvature; adds\n"
            "                         plateau amplitude tau (with CIs) exp_n_eff\n"
            "                         exp_slope_per_min exp_change_pct curvature_per_min2\n"
            "                         curvature_ci_low curvature_ci_high curvature_p\n"
            "  --first-last F         fraction of windows for the first-vs-last means (0.1)\n"
            "  --segments FILE        contractions from an event table (onset, duration and\n"
            "                         optional channel and file columns, as emg-detect writes\n"
            "                         it): one row per contraction\n"
            "  --per-contraction      contractions detected from the active windows\n"
            "  --max-gap S            bridge inactive gaps up to S seconds (1)\n"
            "  --min-contraction S    shortest contraction kept (3)\n"
            "  --jasa                 add the JASA quadrant (fatigue, force_increase,\n"
            "                         force_decrease, recovery, undetermined)\n"
            "  --all-windows          keep flagged windows (rest, clipped, flat, low_snr)\n"
            "  --group FILE           also write the group table to FILE: every slope of\n"
            "                         the trend table (Hz/min) pooled over subjects by a\n"
            "                         random-effects model, per channel and feature, with\n"
            "                         tau2, I^2, CI, p and the contrasts between conditions\n"
            "  --pooling NAME         interval of the pooled effects: mkh (default;\n"
            "                         Hartung-Knapp-Sidik-Jonkman with its variance at\n"
            "                         least DerSimonian-Laird's, t with k-1 df), hksj (no\n"
            "                         floor) or dl (DerSimonian-Laird, normal)\n"
            "  --cohort FILE          subject (or participant_id) and condition of each\n"
            "                         recording (file column; without one, BIDS sub-LABEL_\n"
            "                         names); needs --group\n"
            "  --events FILE          events (onset, duration, optional file, channel and\n"
            "                         label columns): one row per lead window before an\n"
            "                         event and per control window; adds window event\n"
            "  --event-label LIST     only the events with these labels (e.g. cramp)\n"
            "  --lead S               length of the lead and control windows (120)\n"
            "  --guard S              control windows keep S from every event and lead\n"
            "                         window (default: the lead)\n\n",
            cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
    fputs("(With one input, -j N gives its channels N threads.)\n\n", out);
    cli_window_help(out, "rms,mdf,mnf,fi_nsm5");
    cli_spectral_help(out, 1);
    cli_input_help(out);
    cli_help_footer(out);
}


/* The windows of one channel, kept for the regressions. */
typedef struct series {
    size_t n, cap;
    double *t;       /* window centre, s */
    double *onset;
    double *v;       /* n x n_ids */
    unsigned *flags;
} series;

typedef struct collect_ctx {
    series *ch;
    size_t n_ids;
    double duration;
} collect_ctx;

static int collect(void *ctx, const emg_window_result *w)
{
    collect_ctx *c = ctx;
    series *s = &c->ch[w->channel];
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 256;
        double *t = realloc(s->t, nc * sizeof *t);
        if (t)
            s->t = t;
        double *o = realloc(s->onset, nc * sizeof *o);
        if (o)
            s->onset = o;
        double *v = realloc(s->v, nc * c->n_ids * sizeof *v);
        if (v)
            s->v = v;
        unsigned *f = realloc(s->flags, nc * sizeof *f);
        if (f)
            s->flags = f;
        if (!t || !o || !v || !f)
            return EMG_ERR_NOMEM;
        s->cap = nc;
    }
    s->t[s->n] = w->onset + w->duration / 2;
    s->onset[s->n] = w->onset;
    memcpy(s->v + s->n * c->n_ids, w->values, c->n_ids * sizeof *w->values);
    s->flags[s->n] = w->flags;
    s->n++;
    c->duration = w->duration;
    return 0;
}

typedef struct fit_options {
    emg_regression method;
    emg_inference inference;
    double confidence, fraction;
    int all_windows, jasa;
    emg_trend_model model; /* --model: exponential adds the curve's columns */
    int events;            /* --events: rows are lead and control windows */
} fit_options;

/* Everything one input's analysis needs, from the command line. */
typedef struct fatigue_job {
    cli_input in;
    cli_analysis a;
    fit_options fo;
    size_t *ids, n_ids;
    const char *segments_path; /* --segments */
    int per_contraction;
    double max_gap, min_contraction;
    const char *cohort_path, *group_path; /* --cohort, --group */
    emg_pooling pooling;                   /* --pooling */
    int pooling_given;
    const char *event_path, *event_labels; /* --events, --event-label */
    double lead, guard;                    /* --lead (NAN: 120 s), --guard (NAN: the lead) */
} fatigue_job;

/* One span to fit: a channel's whole recording or one contraction. */
typedef struct span {
    const char *file, *channel, *contraction;
    double from, to;  /* seconds; -inf / +inf for the whole recording */
    double win_dur;   /* window length, s */
    int floor_known;  /* the channel's noise floor is known */
    const char *window, *event; /* --events: pre_event or control, the event's number */
} span;

/* What the spans of one channel came to, for its warnings. */
typedef struct status_tally {
    const char *noun; /* what a span is: "contractions", or "windows" (--events) */
    size_t spans, count[EMG_TREND_NO_REST_REFERENCE + 1];
    emg_window_census last; /* the census of the last span */
} status_tally;

/* The exponential model's columns (fatigue_exponential.c). */
static void write_exponential(FILE *out, const emg_exp_fit *ex, int last)
{
    const double v[] = {ex->plateau, ex->plateau_ci_low, ex->plateau_ci_high, ex->amplitude,
                        ex->amplitude_ci_low, ex->amplitude_ci_high, ex->tau, ex->tau_ci_low,
                        ex->tau_ci_high, ex->n_eff, ex->slope_per_min, ex->change_pct,
                        ex->curvature, ex->curvature_ci_low, ex->curvature_ci_high,
                        ex->curvature_p};
    size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++)
        emg_tsv_num(out, v[i], last && i + 1 == n);
}

static void write_trend(FILE *out, const span *sp, double onset, double duration,
                        const char *feature, const fit_options *fo, const emg_trend *tr,
                        const emg_exp_fit *ex, emg_trend_status status, const char *jasa)
{
    emg_tsv_str(out, sp->file, 0);
    emg_tsv_str(out, sp->channel, 0);
    emg_tsv_str(out, sp->contraction, 0);
    emg_tsv_time(out, onset, 0);
    emg_tsv_time(out, duration, 0);
    emg_tsv_str(out, feature, 0);
    emg_tsv_str(out, emg_regression_name(fo->method), 0);
    const double v[] = {tr->intercept, tr->slope, tr->ci_low, tr->ci_high, tr->r2, tr->p_value,
                        (double)tr->n, tr->change_pct_per_min, tr->initial, tr->first_mean,
                        tr->last_mean, tr->first_last_change_pct};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        emg_tsv_num(out, v[i], 0);
    emg_tsv_str(out, emg_inference_name(fo->inference), 0);
    const double dependence[] = {tr->n_eff, tr->residual_ac1, tr->slope_per_min, tr->change_pct};
    for (size_t i = 0; i < sizeof dependence / sizeof dependence[0]; i++)
        emg_tsv_num(out, dependence[i], 0);
    emg_tsv_str(out, emg_trend_status_name(status), !jasa && !ex && !fo->events);
    if (fo->events) {
        emg_tsv_str(out, sp->window, 0);
        emg_tsv_str(out, sp->event, !jasa && !ex);
    }
    if (ex)
        write_exponential(out, ex, !jasa);
    if (jasa)
        emg_tsv_str(out, jasa, 1);
}

static int in_span(const series *s, size_t i, const span *sp)
{
    return s->onset[i] >= sp->from - 1e-9 && s->onset[i] + sp->win_dur <= sp->to + 1e-9;
}

/* The span's windows by their flags (fatigue_activity.c decides from this). */
static emg_window_census span_census(const series *s, const span *sp)
{
    emg_window_census c = {0, 0, 0, sp->floor_known};
    for (size_t i = 0; i < s->n; i++) {
        if (!in_span(s, i, sp))
            continue;
        c.total++;
        if (!(s->flags[i] & EMG_WINDOW_UNUSABLE))
            c.active++;
        if (s->flags[i] & (EMG_WINDOW_REST | EMG_WINDOW_LOW_SNR))
            c.quiet++;
    }
    return c;
}

/* Fit every feature over the windows of s inside the span; a span with
 * nothing to fit (fatigue_activity.c) gets n/a statistics and its status,
 * unless --all-windows asks for a fit anyway. */
static void fit_range(FILE *out, const series *s, const span *sp, const fatigue_job *j,
                      status_tally *tally)
{
    const fit_options *fo = &j->fo;
    size_t n_ids = j->n_ids;
    double *t = malloc((s->n ? s->n : 1) * sizeof *t), *y = malloc((s->n ? s->n : 1) * sizeof *y);
    emg_trend *tr = calloc(n_ids, sizeof *tr);
    emg_exp_fit *ex = calloc(n_ids, sizeof *ex);
    if (!t || !y || !tr || !ex)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    emg_window_census census = span_census(s, sp);
    emg_trend_status status = emg_trend_status_of(&census);
    int fit = emg_trend_status_fits(status) || fo->all_windows;
    int rms_i = -1, mdf_i = -1;
    for (size_t f = 0; f < n_ids; f++) {
        size_t m = 0;
        for (size_t i = 0; i < s->n && fit; i++) {
            if (!in_span(s, i, sp) || (!fo->all_windows && (s->flags[i] & EMG_WINDOW_UNUSABLE)))
                continue;
            t[m] = s->t[i];
            y[m++] = s->v[i * n_ids + f];
        }
        emg_error err; /* fewer than 3 points: every statistic n/a (EMG_ERR_ARG) */
        if (emg_trend_fit(&tr[f], t, y, m, fo->method, fo->inference, fo->confidence, fo->fraction,
                          &err) < 0 &&
            err.status != EMG_ERR_ARG)
            cli_fail(&err);
        if (fo->model == EMG_MODEL_EXPONENTIAL &&
            emg_exp_fit_run(&ex[f], t, y, m, fo->inference, fo->confidence, &err) < 0 &&
            err.status != EMG_ERR_ARG)
            cli_fail(&err);
        if (!strcmp(emg_feature_name(j->ids[f]), "rms"))
            rms_i = (int)f;
        if (!strcmp(emg_feature_name(j->ids[f]), "mdf"))
            mdf_i = (int)f;
    }
    const char *jasa = NULL;
    if (fo->jasa)
        jasa = rms_i >= 0 && mdf_i >= 0 ? emg_jasa_name(emg_jasa_classify(&tr[rms_i], &tr[mdf_i], 1))
                                        : "n/a";
    double onset = isfinite(sp->from) ? sp->from : (s->n ? s->onset[0] : NAN);
    double end = isfinite(sp->to) ? sp->to : (s->n ? s->onset[s->n - 1] + sp->win_dur : NAN);
    for (size_t f = 0; f < n_ids; f++)
        write_trend(out, sp, onset, end - onset, emg_feature_name(j->ids[f]), fo, &tr[f],
                    fo->model == EMG_MODEL_EXPONENTIAL ? &ex[f] : NULL, status, jasa);
    tally->spans++;
    tally->count[status]++;
    tally->last = census;
    free(t);
    free(y);
    free(tr);
    free(ex);
}

/* One warning per channel and kind of span without a verified trend: the
 * whole recording's counts, or how many contractions came to it. */
static void warn_status(const char *path, const char *name, const status_tally *t, int whole)
{
    const emg_window_census *c = &t->last;
    if (t->count[EMG_TREND_NO_ACTIVITY] && whole)
        cli_warn(path, "channel '%s': no activity: %zu of %zu windows at the noise floor (rest or "
                 "low SNR), %zu active; no trend", name, c->quiet, c->total, c->active);
    else if (t->count[EMG_TREND_NO_ACTIVITY])
        cli_warn(path, "channel '%s': %zu of %zu %s show no activity (windows at the "
                 "noise floor); no trend for them", name, t->count[EMG_TREND_NO_ACTIVITY], t->spans,
                 t->noun);
    if (t->count[EMG_TREND_TOO_FEW_WINDOWS] && whole)
        cli_warn(path, "channel '%s': %zu active windows of %zu, a trend needs 3; no trend", name,
                 c->active, c->total);
    else if (t->count[EMG_TREND_TOO_FEW_WINDOWS])
        cli_warn(path, "channel '%s': %zu of %zu %s have fewer than 3 active windows; "
                 "no trend for them", name, t->count[EMG_TREND_TOO_FEW_WINDOWS], t->spans, t->noun);
    if (t->count[EMG_TREND_NO_REST_REFERENCE])
        cli_warn(path, "channel '%s': no rest in the recording to measure the noise floor on, so "
                 "the trend's activity is not verified (steady noise looks the same); give "
                 "--noise-rms", name);
}

static void write_header(FILE *out, const fit_options *fo)
{
    static const char *cols[] = {"file", "channel", "contraction", "onset", "duration", "feature",
                                 "method", "intercept", "slope", "ci_low", "ci_high", "r2",
                                 "p_value", "n_windows", "change_pct_per_min", "initial",
                                 "first_mean", "last_mean", "first_last_change_pct",
                                 "inference", "n_eff", "residual_ac1", "slope_per_min",
                                 "change_pct", "status"};
    static const char *exp_cols[] = {"plateau", "plateau_ci_low", "plateau_ci_high", "amplitude",
                                     "amplitude_ci_low", "amplitude_ci_high", "tau", "tau_ci_low",
                                     "tau_ci_high", "exp_n_eff", "exp_slope_per_min",
                                     "exp_change_pct", "curvature_per_min2", "curvature_ci_low",
                                     "curvature_ci_high", "curvature_p"};
    const char *all[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        all[n++] = cols[i];
    if (fo->events) {
        all[n++] = "window";
        all[n++] = "event";
    }
    for (size_t i = 0; fo->model == EMG_MODEL_EXPONENTIAL && i < sizeof exp_cols / sizeof *exp_cols; i++)
        all[n++] = exp_cols[i];
    if (fo->jasa)
        all[n++] = "jasa";
    emg_tsv_header(out, n, all);
}

/* One row set per contraction of the segments table that belongs to this
 * channel (a row naming another channel is not ours). */
static void fit_segments(FILE *out, const series *s, span *sp, size_t c, const emg_segment *segs,
                         size_t n_segs, const fatigue_job *j, status_tally *tally)
{
    char index[32], label[32];
    snprintf(index, sizeof index, "%zu", c + 1);
    for (size_t k = 0; k < n_segs; k++) {
        const emg_segment *g = &segs[k];
        if (g->channel[0] && strcmp(g->channel, sp->channel) != 0 && strcmp(g->channel, index) != 0)
            continue;
        snprintf(label, sizeof label, "%zu", k + 1);
        sp->contraction = label;
        sp->from = g->onset;
        sp->to = g->onset + g->duration;
        fit_range(out, s, sp, j, tally);
    }
}

static void fit_contractions(FILE *out, const series *s, span *sp, const fatigue_job *j,
                             status_tally *tally)
{
    /* A contraction does not run across a gap (missing samples). */
    const unsigned inactive = EMG_WINDOW_REST | EMG_WINDOW_FLAT | EMG_WINDOW_CLIPPED |
                              EMG_WINDOW_GAP;
    int *active = malloc((s->n ? s->n : 1) * sizeof *active);
    emg_error err;
    if (!active)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < s->n; i++)
        active[i] = !(s->flags[i] & inactive);
    emg_segment *cs;
    size_t ncs;
    if (emg_contractions_from_windows(&cs, &ncs, s->onset, active, s->n, sp->win_dur, j->max_gap,
                                      j->min_contraction, &err) < 0)
        cli_fail(&err);
    char label[32];
    for (size_t k = 0; k < ncs; k++) {
        snprintf(label, sizeof label, "%zu", k + 1);
        sp->contraction = label;
        sp->from = cs[k].onset;
        sp->to = cs[k].onset + cs[k].duration;
        fit_range(out, s, sp, j, tally);
    }
    if (ncs == 0)
        cli_warn(sp->file, "channel '%s': no contraction of at least %g s found", sp->channel,
                 j->min_contraction);
    free(cs);
    free(active);
}

/* --events: the lead window before each of the channel's events and the
 * control windows (fatigue_events.c), one row set each. */
static void fit_event_windows(FILE *out, const series *s, span *sp, size_t c,
                              const emg_segment *events, size_t n_events, const fatigue_job *j,
                              status_tally *tally)
{
    char index[32], label[32], event[32];
    snprintf(index, sizeof index, "%zu", c + 1);
    emg_segment *mine = malloc((n_events ? n_events : 1) * sizeof *mine);
    if (!mine)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < n_events; k++)
        if (!events[k].channel[0] || !strcmp(events[k].channel, sp->channel) ||
            !strcmp(events[k].channel, index))
            mine[n++] = events[k];
    double start = s->n ? s->onset[0] : 0, end = s->n ? s->onset[s->n - 1] + sp->win_dur : 0;
    emg_event_window *w;
    size_t n_w, dropped;
    emg_error err;
    if (emg_event_windows(&w, &n_w, &dropped, mine, n, start, end, j->lead,
                          isnan(j->guard) ? j->lead : j->guard, &err) < 0)
        cli_fail(&err);
    if (dropped)
        cli_warn(sp->file, "channel '%s': %zu of %zu events have no %g s lead window (too close "
                 "to the start, or another event inside it)", sp->channel, dropped, n, j->lead);
    if (n_w == 0)
        cli_warn(sp->file, "channel '%s': no lead or control window of %g s fits", sp->channel,
                 j->lead);
    for (size_t k = 0; k < n_w; k++) {
        snprintf(label, sizeof label, "%zu", k + 1);
        snprintf(event, sizeof event, "%zu", w[k].event);
        sp->contraction = label;
        sp->window = w[k].event ? "pre_event" : "control";
        sp->event = w[k].event ? event : "n/a";
        sp->from = w[k].onset;
        sp->to = w[k].onset + w[k].duration;
        fit_range(out, s, sp, j, tally);
    }
    free(w);
    free(mine);
}

static int ignore_window(void *ctx, const emg_window_result *w)
{
    (void)ctx;
    (void)w;
    return 0;
}

/* With -f/-t the analysed range may hold no rest (a stretch cut out of a
 * recording), so its own quietest windows say nothing about the noise floor;
 * the floor is that of the electrode and amplifier, and is measured on the
 * whole recording (the same filter and channels; RMS only; its warnings were
 * given by the main pass).  NULL when there is no range, the floor is given
 * (--noise-rms) or the input cannot be read twice (standard input). */
static double *whole_recording_floors(const char *path, const fatigue_job *j, size_t n_channels)
{
    if (!(j->in.from > 0 || j->in.to >= 0) || j->a.features.noise_rms > 0 || !strcmp(path, "-"))
        return NULL;
    cli_input whole = j->in;
    whole.from = 0;
    whole.to = -1;
    size_t *rms, n_rms;
    emg_error err;
    if (emg_feature_list_parse("rms", &rms, &n_rms, &err) < 0)
        cli_fail(&err);
    int was_quiet = cli_set_quiet(1);
    emg_reader *r = cli_open_input(path, &whole);
    cli_keep_emg_channels(r, path, &whole);
    emg_window_engine *eng = cli_run_window_engine(path, r, &j->a, rms, n_rms, ignore_window,
                                                   NULL, NULL);
    cli_set_quiet(was_quiet);
    double *floors = calloc(n_channels ? n_channels : 1, sizeof *floors);
    if (!floors)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    if (emg_reader_header(r)->n_channels == n_channels)
        for (size_t c = 0; c < n_channels; c++)
            floors[c] = emg_window_engine_noise_rms(eng, c);
    emg_window_engine_destroy(eng);
    emg_reader_close(r);
    free(rms);
    return floors;
}

static void analyse(void *ctx, const char *path, FILE *out)
{
    fatigue_job *j = ctx;
    emg_error err;
    emg_segment *segs = NULL; /* this recording's rows of --segments */
    size_t n_segs = 0;
    if (j->segments_path) {
        if (emg_segments_read(&segs, &n_segs, j->segments_path, path, &err) < 0)
            cli_fail(&err);
        if (n_segs == 0)
            cli_warn(path, "no contraction of %s is about this recording", j->segments_path);
    }
    if (j->event_path) {
        if (emg_events_read(&segs, &n_segs, j->event_path, path, j->event_labels, &err) < 0)
            cli_fail(&err);
        if (n_segs == 0)
            cli_warn(path, "no event of %s is about this recording", j->event_path);
    }
    emg_reader *r = cli_open_input(path, &j->in);
    cli_keep_emg_channels(r, path, &j->in);
    const emg_header *hdr = emg_reader_header(r);
    collect_ctx cc = {calloc(hdr->n_channels ? hdr->n_channels : 1, sizeof(series)), j->n_ids,
                      j->a.window.window_s};
    if (!cc.ch)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    double *floors = whole_recording_floors(path, j, hdr->n_channels);
    emg_window_engine *eng = cli_run_window_engine(path, r, &j->a, j->ids, j->n_ids, collect,
                                                   &cc, floors);
    free(floors);

    write_header(out, &j->fo);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        const series *s = &cc.ch[c];
        span sp = {path, hdr->channels[c].name, "all", -INFINITY, INFINITY, cc.duration,
                   isfinite(emg_window_engine_noise_rms(eng, c)), "all", "n/a"};
        status_tally tally = {.noun = j->event_path ? "windows" : "contractions"};
        if (j->event_path)
            fit_event_windows(out, s, &sp, c, segs, n_segs, j, &tally);
        else if (j->segments_path)
            fit_segments(out, s, &sp, c, segs, n_segs, j, &tally);
        else if (j->per_contraction)
            fit_contractions(out, s, &sp, j, &tally);
        else
            fit_range(out, s, &sp, j, &tally);
        if (!emg_window_engine_skipped(eng, c)) /* that one was warned about already */
            warn_status(path, sp.channel, &tally,
                        !j->segments_path && !j->per_contraction && !j->event_path);
    }
    for (size_t c = 0; c < hdr->n_channels; c++) {
        free(cc.ch[c].t);
        free(cc.ch[c].onset);
        free(cc.ch[c].v);
        free(cc.ch[c].flags);
    }
    free(cc.ch);
    free(segs);
    emg_window_engine_destroy(eng);
    emg_reader_close(r);
}

static void check_options(fatigue_job *j)
{
    if (j->segments_path && j->per_contraction)
        cli_usage_error("--segments and --per-contraction exclude each other");
    if (j->event_path && (j->segments_path || j->per_contraction))
        cli_usage_error("--events excludes --segments and --per-contraction");
    if (!j->event_path && (j->event_labels || !isnan(j->guard) || !isnan(j->lead)))
        cli_usage_error("--event-label, --lead and --guard need --events");
    if (isnan(j->lead))
        j->lead = 120.0; /* two minutes before a cramp (the prodrome of nocturnal cramps) */
    if (j->pooling_given && !j->group_path)
        cli_usage_error("--pooling needs --group");
    if (j->cohort_path && !j->group_path)
        cli_usage_error("--cohort needs --group FILE (where the group table goes)");
    const char *out = cli_output_path() ? cli_output_path() : "-";
    if (j->group_path && !strcmp(j->group_path, out))
        cli_usage_error("--group and the trend table (-o, default standard output) name the "
                        "same file");
    j->fo.events = j->event_path != NULL;
}

static void copy_stream(FILE *from, FILE *to)
{
    char buf[1 << 14];
    size_t got;
    rewind(from);
    while ((got = fread(buf, 1, sizeof buf, from)) > 0)
        fwrite(buf, 1, got, to);
}

/* --group: the trend table is written to an anonymous temporary file, copied
 * to the output, and read back for the group table (fatigue_group_table.c),
 * so that the group table is computed from the numbers the user gets. */
static int run_with_group(const char *const *paths, size_t n, const fatigue_job *j)
{
    emg_error err;
    emg_table cohort, trends;
    emg_table_init(&cohort);
    if (j->cohort_path && (emg_table_read(&cohort, j->cohort_path, &err) < 0 ||
                           emg_group_cohort_check(&cohort, j->cohort_path, &err) < 0))
        cli_fail(&err);
    FILE *out = cli_open_text_output(cli_output_path() ? cli_output_path() : "-");
    FILE *group = cli_open_text_output(j->group_path);
    FILE *tmp = tmpfile();
    if (!tmp)
        cli_die(CLI_EXIT_OUTPUT, "cannot create a temporary file: %s", strerror(errno));
    int any_table;
    int code = cli_run_table_jobs_into(paths, n, analyse, (void *)j, tmp, &any_table);
    if (!any_table) {
        fclose(tmp);
        emg_table_free(&cohort);
        cli_abandon_outputs(); /* no input gave a table: leave no file */
        return code;
    }
    copy_stream(tmp, out);
    rewind(tmp);
    if (emg_table_read_stream(&trends, tmp, "trend table", &err) < 0)
        cli_fail(&err);
    fclose(tmp);
    char *missing = NULL;
    if (emg_group_table_write(group, &trends, "trend table", j->cohort_path ? &cohort : NULL,
                              j->cohort_path, j->pooling, j->fo.confidence, &missing, &err) < 0)
        cli_fail(&err);
    for (char *p = missing; p && *p; p += strcspn(p, "\n") + 1)
        cli_warn(j->cohort_path, "no subject for %.*s: left out of the group table",
                 (int)strcspn(p, "\n"), p);
    free(missing);
    cli_close_text_output(out);
    cli_close_text_output(group);
    emg_table_free(&trends);
    emg_table_free(&cohort);
    return code;
}

static void parse_options(fatigue_job *j, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_ANALYSIS_LONG_OPTIONS,
        CLI_WINDOW_LONG_OPTIONS,
        CLI_SPECTRAL_LONG_OPTIONS,
        {"robust", no_argument, NULL, OPT_ROBUST},
        {"regression", required_argument, NULL, OPT_REGRESSION},
        {"confidence", required_argument, NULL, OPT_CONFIDENCE},
        {"inference", required_argument, NULL, OPT_INFERENCE},
        {"model", required_argument, NULL, OPT_MODEL},
        {"first-last", required_argument, NULL, OPT_FIRST_LAST},
        {"segments", required_argument, NULL, OPT_SEGMENTS},
        {"per-contraction", no_argument, NULL, OPT_PER_CONTRACTION},
        {"max-gap", required_argument, NULL, OPT_MAX_GAP},
        {"min-contraction", required_argument, NULL, OPT_MIN_CONTRACTION},
        {"jasa", no_argument, NULL, OPT_JASA},
        {"all-windows", no_argument, NULL, OPT_ALL_WINDOWS},
        {"cohort", required_argument, NULL, OPT_COHORT},
        {"group", required_argument, NULL, OPT_GROUP},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"event-label", required_argument, NULL, OPT_EVENT_LABEL},
        {"lead", required_argument, NULL, OPT_LEAD},
        {"guard", required_argument, NULL, OPT_GUARD},
        {"pooling", required_argument, NULL, OPT_POOLING},
        {NULL, 0, NULL, 0}};
    emg_error err;
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_ANALYSIS_SHORT_OPTIONS CLI_WINDOW_SHORT_OPTIONS,
                             longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg) || cli_analysis_option(&j->a, opt, optarg))
            continue;
        switch (opt) {
        case OPT_ROBUST: j->fo.method = EMG_REGRESSION_THEIL_SEN; break;
        case OPT_REGRESSION:
            if (emg_regression_from_name(optarg, &j->fo.method, &err) < 0)
                cli_usage_error("--regression: %s", err.message);
            break;
        case OPT_INFERENCE:
            if (emg_inference_from_name(optarg, &j->fo.inference, &err) < 0)
                cli_usage_error("--inference: %s", err.message);
            break;
        case OPT_MODEL:
            if (emg_trend_model_from_name(optarg, &j->fo.model, &err) < 0)
                cli_usage_error("--model: %s", err.message);
            break;
        case OPT_CONFIDENCE:
            j->fo.confidence = cli_parse_double("--confidence", optarg);
            if (!(j->fo.confidence > 0 && j->fo.confidence < 1))
                cli_usage_error("--confidence: must be in (0, 1)");
            break;
        case OPT_FIRST_LAST:
            j->fo.fraction = cli_parse_double("--first-last", optarg);
            if (!(j->fo.fraction > 0 && j->fo.fraction <= 0.5))
                cli_usage_error("--first-last: must be in (0, 0.5]");
            break;
        case OPT_SEGMENTS: j->segments_path = optarg; break;
        case OPT_PER_CONTRACTION: j->per_contraction = 1; break;
        case OPT_MAX_GAP: j->max_gap = cli_parse_double("--max-gap", optarg); break;
        case OPT_MIN_CONTRACTION:
            j->min_contraction = cli_parse_double("--min-contraction", optarg);
            break;
        case OPT_JASA: j->fo.jasa = 1; break;
        case OPT_ALL_WINDOWS: j->fo.all_windows = 1; break;
        case OPT_COHORT: j->cohort_path = optarg; break;
        case OPT_POOLING:
            if (emg_pooling_from_name(optarg, &j->pooling, &err) < 0)
                cli_usage_error("--pooling: %s", err.message);
            j->pooling_given = 1;
            break;
        case OPT_GROUP: j->group_path = optarg; break;
        case OPT_EVENTS: j->event_path = optarg; break;
        case OPT_EVENT_LABEL: j->event_labels = optarg; break;
        case OPT_LEAD:
            j->lead = cli_parse_double("--lead", optarg);
            if (!(j->lead > 0))
                cli_usage_error("--lead: must be > 0");
            break;
        case OPT_GUARD:
            j->guard = cli_parse_double("--guard", optarg);
            if (!(j->guard >= 0))
                cli_usage_error("--guard: must be >= 0");
            break;
        default: cli_usage_error("unknown option");
        }
    }
    check_options(j);
}

int main(int argc, char **argv)
{
    fatigue_job j = {.fo = {EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, 0.95, 0.1, 0, 0, EMG_MODEL_LINEAR, 0},
                     .max_gap = 1.0, .min_contraction = 3.0, .lead = NAN, .guard = NAN,
                     .pooling = EMG_POOLING_MKH};
    emg_error err;

    cli_init("emg-fatigue", argc, argv, usage);
    cli_input_init(&j.in);
    cli_analysis_init(&j.a, 1, "rms,mdf,mnf,fi_nsm5");
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    if (j.segments_path)
        cli_register_input(j.segments_path);
    if (j.event_path)
        cli_register_input(j.event_path);
    if (j.cohort_path)
        cli_register_input(j.cohort_path);
    if (n == 1)
        j.a.window.threads = cli_jobs(); /* one input: the jobs share its channels */

    if (emg_feature_list_parse(j.a.feature_list, &j.ids, &j.n_ids, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    if (j.a.wisdom && emg_fftw_wisdom_load(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s (continuing without it)", err.message);

    int code = j.group_path ? run_with_group(paths, n, &j) : cli_run_table_jobs(paths, n, analyse, &j);
    if (j.a.wisdom && emg_fftw_wisdom_save(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s", err.message);
    free(j.ids);
    cli_finish_stdout();
    return code;
}
