/* emg-fatigue: trends of MDF, MNF, FInsm5 and RMS over time, per channel.
 *
 *   emg-fatigue [-w S] [-s S] [--welch SEG:OVERLAP | --periodogram] [--robust]
 *               [--segments FILE | --per-contraction] [--jasa] [-o OUT.tsv] INPUT...
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
 * Methods: docs/methods/fatigue.md; library: include/emgkit/fatigue.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/fatigue.h"
#include "emgkit/features.h"

enum { OPT_ROBUST = CLI_OPT_TOOL_BASE, OPT_REGRESSION, OPT_SEGMENTS, OPT_PER_CONTRACTION,
       OPT_JASA, OPT_CONFIDENCE, OPT_FIRST_LAST, OPT_ALL_WINDOWS, OPT_MAX_GAP,
       OPT_MIN_CONTRACTION, OPT_INFERENCE };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Fatigue trends: regression of MDF, MNF, FInsm5 and RMS on time over the active\n"
            "windows of each channel.\n"
            "Output: TSV  file channel contraction onset duration feature method intercept slope\n"
            "        ci_low ci_high r2 p_value n_windows change_pct_per_min initial first_mean\n"
            "        last_mean first_last_change_pct inference n_eff residual_ac1 slope_per_min\n"
            "        change_pct [jasa]   (slope per second)\n\n"
            "  --robust               Theil-Sen regression (same as --regression theil-sen)\n"
            "  --regression NAME      ols (default), theil-sen, huber\n"
            "  --confidence P         confidence level of the slope interval (0.95)\n"
            "  --inference NAME       n_eff (default): interval and p-value for autocorrelated\n"
            "                         windows (effective sample size); iid: windows counted as\n"
            "                         independent (too narrow for overlapping windows)\n"
            "  --first-last F         fraction of windows for the first-vs-last means (0.1)\n"
            "  --segments FILE        contractions from an event table (onset, duration and\n"
            "                         optional channel and file columns, as emg-detect writes\n"
            "                         it): one row per contraction\n"
            "  --per-contraction      contractions detected from the active windows\n"
            "  --max-gap S            bridge inactive gaps up to S seconds (1)\n"
            "  --min-contraction S    shortest contraction kept (3)\n"
            "  --jasa                 add the JASA quadrant (fatigue, force_increase,\n"
            "                         force_decrease, recovery, undetermined)\n"
            "  --all-windows          keep flagged windows (rest, clipped, flat, low_snr)\n\n",
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
} fit_options;

static void write_trend(FILE *out, const char *file, const char *channel, const char *contraction, double onset,
                        double duration, const char *feature, const fit_options *fo,
                        const emg_trend *tr, const char *jasa)
{
    emg_tsv_str(out, file, 0);
    emg_tsv_str(out, channel, 0);
    emg_tsv_str(out, contraction, 0);
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
    size_t nd = sizeof dependence / sizeof dependence[0];
    for (size_t i = 0; i < nd; i++)
        emg_tsv_num(out, dependence[i], i + 1 == nd && !jasa);
    if (jasa)
        emg_tsv_str(out, jasa, 1);
}

/* Fit every feature over the windows of s inside [from, to) seconds. */
static void fit_range(FILE *out, const char *file, const series *s, const char *channel, const char *contraction,
                      double from, double to, double win_dur, const size_t *ids, size_t n_ids,
                      const fit_options *fo)
{
    double *t = malloc((s->n ? s->n : 1) * sizeof *t), *y = malloc((s->n ? s->n : 1) * sizeof *y);
    emg_trend *tr = calloc(n_ids, sizeof *tr);
    if (!t || !y || !tr)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    const unsigned skip = EMG_WINDOW_UNUSABLE;
    int rms_i = -1, mdf_i = -1;
    for (size_t f = 0; f < n_ids; f++) {
        size_t m = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->onset[i] < from - 1e-9 || s->onset[i] + win_dur > to + 1e-9)
                continue;
            if (!fo->all_windows && (s->flags[i] & skip))
                continue;
            t[m] = s->t[i];
            y[m++] = s->v[i * n_ids + f];
        }
        emg_error err;
        if (emg_trend_fit(&tr[f], t, y, m, fo->method, fo->inference, fo->confidence, fo->fraction,
                          &err) < 0 &&
            err.status != EMG_ERR_ARG)
            cli_fail(&err);
        if (!strcmp(emg_feature_name(ids[f]), "rms"))
            rms_i = (int)f;
        if (!strcmp(emg_feature_name(ids[f]), "mdf"))
            mdf_i = (int)f;
    }
    const char *jasa = NULL;
    if (fo->jasa)
        jasa = rms_i >= 0 && mdf_i >= 0 ? emg_jasa_name(emg_jasa_classify(&tr[rms_i], &tr[mdf_i], 1))
                                        : "n/a";
    double onset = isfinite(from) ? from : (s->n ? s->onset[0] : NAN);
    double end = isfinite(to) ? to : (s->n ? s->onset[s->n - 1] + win_dur : NAN);
    for (size_t f = 0; f < n_ids; f++)
        write_trend(out, file, channel, contraction, onset, end - onset, emg_feature_name(ids[f]), fo,
                    &tr[f], jasa);
    free(t);
    free(y);
    free(tr);
}

/* Everything one input's analysis needs, from the command line. */
typedef struct fatigue_job {
    cli_input in;
    cli_analysis a;
    fit_options fo;
    size_t *ids, n_ids;
    const char *segments_path; /* --segments */
    int per_contraction;
    double max_gap, min_contraction;
} fatigue_job;

static void write_header(FILE *out, int jasa)
{
    static const char *cols[] = {"file", "channel", "contraction", "onset", "duration", "feature",
                                 "method", "intercept", "slope", "ci_low", "ci_high", "r2",
                                 "p_value", "n_windows", "change_pct_per_min", "initial",
                                 "first_mean", "last_mean", "first_last_change_pct",
                                 "inference", "n_eff", "residual_ac1", "slope_per_min",
                                 "change_pct", "jasa"};
    size_t n_cols = sizeof cols / sizeof cols[0];
    emg_tsv_header(out, jasa ? n_cols : n_cols - 1, cols);
}

/* One row set per contraction of the segments table that belongs to this
 * channel (a row naming another channel is not ours). */
static void fit_segments(FILE *out, const char *path, const series *s, const char *name,
                         size_t c, double dur, const emg_segment *segs, size_t n_segs,
                         const fatigue_job *j)
{
    char index[32];
    snprintf(index, sizeof index, "%zu", c + 1);
    for (size_t k = 0; k < n_segs; k++) {
        const emg_segment *g = &segs[k];
        if (g->channel[0] && strcmp(g->channel, name) != 0 && strcmp(g->channel, index) != 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%zu", k + 1);
        fit_range(out, path, s, name, label, g->onset, g->onset + g->duration, dur, j->ids,
                  j->n_ids, &j->fo);
    }
}

static void fit_contractions(FILE *out, const char *path, const series *s, const char *name,
                             double dur, const fatigue_job *j)
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
    if (emg_contractions_from_windows(&cs, &ncs, s->onset, active, s->n, dur, j->max_gap,
                                      j->min_contraction, &err) < 0)
        cli_fail(&err);
    for (size_t k = 0; k < ncs; k++) {
        char label[32];
        snprintf(label, sizeof label, "%zu", k + 1);
        fit_range(out, path, s, name, label, cs[k].onset, cs[k].onset + cs[k].duration, dur,
                  j->ids, j->n_ids, &j->fo);
    }
    if (ncs == 0)
        cli_warn(path, "channel %s: no contraction of at least %g s found", name,
                 j->min_contraction);
    free(cs);
    free(active);
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
    emg_reader *r = cli_open_input(path, &j->in);
    cli_keep_emg_channels(r, path, &j->in);
    const emg_header *hdr = emg_reader_header(r);
    collect_ctx cc = {calloc(hdr->n_channels ? hdr->n_channels : 1, sizeof(series)), j->n_ids,
                      j->a.window.window_s};
    if (!cc.ch)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    emg_window_engine *eng = cli_run_window_engine(path, r, &j->a, j->ids, j->n_ids, collect,
                                                   &cc);

    write_header(out, j->fo.jasa);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        const series *s = &cc.ch[c];
        const char *name = hdr->channels[c].name;
        if (j->segments_path)
            fit_segments(out, path, s, name, c, cc.duration, segs, n_segs, j);
        else if (j->per_contraction)
            fit_contractions(out, path, s, name, cc.duration, j);
        else
            fit_range(out, path, s, name, "all", -INFINITY, INFINITY, cc.duration, j->ids,
                      j->n_ids, &j->fo);
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
        {"first-last", required_argument, NULL, OPT_FIRST_LAST},
        {"segments", required_argument, NULL, OPT_SEGMENTS},
        {"per-contraction", no_argument, NULL, OPT_PER_CONTRACTION},
        {"max-gap", required_argument, NULL, OPT_MAX_GAP},
        {"min-contraction", required_argument, NULL, OPT_MIN_CONTRACTION},
        {"jasa", no_argument, NULL, OPT_JASA},
        {"all-windows", no_argument, NULL, OPT_ALL_WINDOWS},
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
        default: cli_usage_error("unknown option");
        }
    }
    if (j->segments_path && j->per_contraction)
        cli_usage_error("--segments and --per-contraction exclude each other");
}

int main(int argc, char **argv)
{
    fatigue_job j = {.fo = {EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, 0.95, 0.1, 0, 0},
                     .max_gap = 1.0, .min_contraction = 3.0};
    emg_error err;

    cli_init("emg-fatigue", argc, argv, usage);
    cli_input_init(&j.in);
    cli_analysis_init(&j.a, 1, "rms,mdf,mnf,fi_nsm5");
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    if (j.segments_path)
        cli_register_input(j.segments_path);
    if (n == 1)
        j.a.window.threads = cli_jobs(); /* one input: the jobs share its channels */

    if (emg_feature_list_parse(j.a.feature_list, &j.ids, &j.n_ids, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    if (j.a.wisdom && emg_fftw_wisdom_load(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s (continuing without it)", err.message);

    int code = cli_run_table_jobs(paths, n, analyse, &j);
    if (j.a.wisdom && emg_fftw_wisdom_save(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s", err.message);
    free(j.ids);
    cli_finish_stdout();
    return code;
}
