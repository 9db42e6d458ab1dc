/* emg-score: score predicted events against ground-truth events.
 *
 *   emg-score --truth T.tsv --pred P.tsv [--truth T2.tsv --pred P2.tsv]...
 *             [-o SCORES.tsv] [--confusion C.tsv]
 *
 * Events match when they carry the same label (and channel) and overlap with
 * a temporal intersection-over-union of at least --iou (0.3), or, with
 * --onset-tolerance S, when their onsets are within S seconds (brief events).
 * Writes one row per class (precision, recall, F1, onset and offset errors)
 * and a final "macro" row, after the truth table's name in the file column;
 * with several pairs, each pair's rows and then the pooled rows (file "all":
 * every pair's events, matched only within their pair).  The confusion
 * matrix (label-blind matching, pooled) goes to --confusion.  Over many
 * recordings (pairs, or --pairs SHEET): --by-class writes the pooled per-class
 * scores with bootstrap confidence intervals over recordings, and
 * --calibration the predictions' confidence against the fraction right.  A
 * one-line summary (pooled) goes to stderr.  See
 * docs/methods/labelling.md and include/emgkit/score.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/score.h"

enum { OPT_TRUTH = CLI_OPT_TOOL_BASE, OPT_PRED, OPT_IOU, OPT_TOL, OPT_IGNORE_CH, OPT_SAMPLES,
       OPT_CONFUSION, OPT_SKIP, OPT_PAIRS, OPT_BY_CLASS, OPT_CALIBRATION, OPT_CAL_BINS,
       OPT_BOOTSTRAP, OPT_SEED, OPT_CONFIDENCE };

/* Default calibration bins: confidence edges (the first bin starts at 0). */
static const char DEFAULT_CALIBRATION_BINS[] = "0.5,0.6,0.7,0.8,0.9,1";
/* At most this many calibration bins. */
#define MAX_CALIBRATION_BINS 100

/* At most this many --truth/--pred pairs in one run. */
#define MAX_PAIRS 4096

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s --truth TRUTH.tsv --pred PRED.tsv [--truth T2 --pred P2]... [options]\n"
            "Score predicted events against ground-truth events (per-class precision, recall,\n"
            "F1, macro-F1, onset/offset errors, confusion matrix).\n"
            "Output: TSV  file class n_truth n_pred tp fp fn precision recall f1 ...\n"
            "        (file: the truth table; with several pairs, then \"all\": pooled)\n\n"
            "  --truth FILE           ground-truth event table (onset duration [channel] label)\n"
            "  --pred FILE            predicted event table, same columns ('-' = stdin); the\n"
            "                         n-th --pred is scored against the n-th --truth\n"
            "  --confusion FILE       confusion matrix as TSV (rows truth, columns predicted)\n"
            "  --iou X                minimum temporal intersection-over-union (default 0.3)\n"
            "  --onset-tolerance S    also match events whose onsets differ by <= S seconds\n"
            "                         (brief events such as fasciculations; default off)\n"
            "  --ignore-channel       match events across channels\n"
            "  --samples DT           add sample-based precision/recall/F1 on a DT-second grid\n"
            "  --skip LABELS          drop events with these labels (comma list) from both tables\n"
            "  (-q, --quiet: no summary line on stderr)\n\n"
            "Many recordings (docs/methods/labelling.md, dataset scoring):\n"
            "  --pairs FILE           also score the pairs of FILE, a TSV with columns truth and\n"
            "                         pred (paths relative to FILE)\n"
            "  --by-class FILE        pooled per-class scores with bootstrap confidence intervals\n"
            "                         over recordings: class n_recordings n_truth n_pred tp fp fn\n"
            "                         precision precision_low precision_high recall ... f1 ...\n"
            "  --calibration FILE     the predictions' confidence in bins against the fraction\n"
            "                         matched right: bin_low bin_high n_pred n_correct\n"
            "                         mean_confidence fraction_correct fraction_low fraction_high\n"
            "  --calibration-bins LIST  increasing bin edges from 0 (default %s)\n"
            "  --bootstrap N          bootstrap replicates (default 2000)\n"
            "  --seed N               seed of the bootstrap (default 1)\n"
            "  --confidence P         level of the intervals (default 0.95)\n\n",
            cli_prog(), DEFAULT_CALIBRATION_BINS);
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_PRECISION);
    cli_help_footer(out);
}

/* The events of one table; on failure the exit code, its message printed. */
static int read_events(const char *path, const char *skip, emg_scored_event **ev, size_t *n,
                       int *has_channel)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, &err);
    if (rc == 0) {
        *has_channel = emg_table_column(&t, "channel") >= 0;
        rc = emg_scored_events_from_table(ev, n, &t, path, skip, &err);
    }
    emg_table_free(&t);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", cli_prog(), err.message);
        return cli_exit_code(err.status);
    }
    return CLI_EXIT_OK;
}

static void write_header(FILE *f, int samples)
{
    static const char *cols[] = {"file", "class", "n_truth", "n_pred", "tp", "fp", "fn", "precision",
                                 "recall", "f1", "onset_error_ms", "offset_error_ms",
                                 "onset_error_median_ms", "offset_error_median_ms",
                                 "onset_bias_ms", "sample_precision", "sample_recall",
                                 "sample_f1"};
    emg_tsv_header(f, samples ? 18 : 15, cols);
}

static void write_scores(FILE *f, const char *file, const emg_score_result *r, int samples)
{
    for (size_t c = 0; c < r->n_classes; c++) {
        const emg_class_score *s = &r->classes[c];
        emg_tsv_str(f, file, 0);
        emg_tsv_str(f, s->label, 0);
        emg_tsv_num(f, (double)s->n_truth, 0);
        emg_tsv_num(f, (double)s->n_pred, 0);
        emg_tsv_num(f, (double)s->tp, 0);
        emg_tsv_num(f, (double)s->fp, 0);
        emg_tsv_num(f, (double)s->fn, 0);
        emg_tsv_num(f, s->precision, 0);
        emg_tsv_num(f, s->recall, 0);
        emg_tsv_num(f, s->f1, 0);
        emg_tsv_num(f, 1e3 * s->onset_error_mean, 0);
        emg_tsv_num(f, 1e3 * s->offset_error_mean, 0);
        emg_tsv_num(f, 1e3 * s->onset_error_median, 0);
        emg_tsv_num(f, 1e3 * s->offset_error_median, 0);
        emg_tsv_num(f, 1e3 * s->onset_bias, !samples);
        if (samples) {
            emg_tsv_num(f, s->sample_precision, 0);
            emg_tsv_num(f, s->sample_recall, 0);
            emg_tsv_num(f, s->sample_f1, 1);
        }
    }
    size_t tp = 0, fp = 0, fn = 0;
    for (size_t c = 0; c < r->n_classes; c++)
        tp += r->classes[c].tp, fp += r->classes[c].fp, fn += r->classes[c].fn;
    emg_tsv_str(f, file, 0);
    emg_tsv_str(f, "macro", 0);
    emg_tsv_num(f, (double)r->n_truth, 0);
    emg_tsv_num(f, (double)r->n_pred, 0);
    emg_tsv_num(f, (double)tp, 0);
    emg_tsv_num(f, (double)fp, 0);
    emg_tsv_num(f, (double)fn, 0);
    emg_tsv_num(f, r->macro_precision, 0);
    emg_tsv_num(f, r->macro_recall, 0);
    emg_tsv_num(f, r->macro_f1, 0);
    emg_tsv_num(f, NAN, 0);
    emg_tsv_num(f, NAN, 0);
    emg_tsv_num(f, 1e3 * r->onset_error_median, 0);
    emg_tsv_num(f, 1e3 * r->offset_error_median, 0);
    emg_tsv_num(f, NAN, !samples);
    if (samples) {
        double sp = 0, sr = 0, sf = 0;
        size_t np = 0, nr = 0, nf = 0;
        for (size_t c = 0; c < r->n_classes; c++) {
            const emg_class_score *s = &r->classes[c];
            if (!isnan(s->sample_precision))
                sp += s->sample_precision, np++;
            if (!isnan(s->sample_recall))
                sr += s->sample_recall, nr++;
            if (!isnan(s->sample_f1))
                sf += s->sample_f1, nf++;
        }
        emg_tsv_num(f, np ? sp / (double)np : NAN, 0);
        emg_tsv_num(f, nr ? sr / (double)nr : NAN, 0);
        emg_tsv_num(f, nf ? sf / (double)nf : NAN, 1);
    }
}

static void write_confusion(FILE *f, const emg_score_result *r)
{
    size_t nl = r->n_labels;
    emg_tsv_str(f, "truth\\pred", nl == 0);
    for (size_t p = 0; p < nl; p++)
        emg_tsv_str(f, r->labels[p], p + 1 == nl);
    for (size_t t = 0; t < nl; t++) {
        emg_tsv_str(f, r->labels[t], 0);
        for (size_t p = 0; p < nl; p++)
            emg_tsv_num(f, (double)r->confusion[t * nl + p], p + 1 == nl);
    }
}

/* The events of every pair, for pooled scores: each pair's events are moved
 * past the previous pair's last end by more than any matching tolerance, so
 * that events match only within their own pair. */
typedef struct event_list {
    emg_scored_event *ev;
    size_t n, cap;
    double end;
} event_list;

static void append_shifted(event_list *l, const emg_scored_event *ev, size_t n, double shift)
{
    if (l->n + n > l->cap) {
        l->cap = 2 * (l->n + n);
        emg_scored_event *p = realloc(l->ev, l->cap * sizeof *p);
        if (!p)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
        l->ev = p;
    }
    for (size_t i = 0; i < n; i++) {
        l->ev[l->n] = ev[i];
        l->ev[l->n].onset += shift;
        if (l->ev[l->n].onset + l->ev[l->n].duration > l->end)
            l->end = l->ev[l->n].onset + l->ev[l->n].duration;
        l->n++;
    }
}

typedef struct score_run {
    const char *truth[MAX_PAIRS], *pred[MAX_PAIRS];
    size_t n_truth, n_pred;
    const char *conf_path, *skip;
    emg_score_options so;
    const char *by_class_path, *calibration_path;
    double bins[MAX_CALIBRATION_BINS];
    size_t n_bins;
    emg_bootstrap_options boot;
} score_run;

/* What the pooled tables need from every scored pair. */
typedef struct pool_state {
    emg_score_result *results;
    size_t n;
    double *confidence;
    unsigned char *correct;
    size_t n_pred, cap_pred;
} pool_state;

static void *grow_or_die(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (!q)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    return q;
}

/* Keep pair k's result (moved) and its predictions' confidence and correctness. */
static void pool_keep(pool_state *ps, emg_score_result *r, const emg_scored_event *pred, size_t np)
{
    ps->results = grow_or_die(ps->results, ps->n + 1, sizeof *ps->results);
    ps->results[ps->n++] = *r;
    emg_score_result_init(r);
    if (ps->n_pred + np > ps->cap_pred) {
        ps->cap_pred = 2 * (ps->n_pred + np);
        ps->confidence = grow_or_die(ps->confidence, ps->cap_pred, sizeof *ps->confidence);
        ps->correct = grow_or_die(ps->correct, ps->cap_pred, sizeof *ps->correct);
    }
    const emg_score_result *kept = &ps->results[ps->n - 1];
    for (size_t j = 0; j < np; j++) {
        ps->confidence[ps->n_pred] = pred[j].confidence;
        ps->correct[ps->n_pred++] = kept->pred_matched[j];
    }
}

static void pool_free(pool_state *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        emg_score_result_free(&ps->results[i]);
    free(ps->results);
    free(ps->confidence);
    free(ps->correct);
}

static void write_by_class(const char *path, const pool_state *ps, const emg_bootstrap_options *bo)
{
    emg_pooled_class *rows;
    size_t n;
    emg_error err;
    if (emg_score_pool(&rows, &n, ps->results, ps->n, bo, &err) < 0)
        cli_fail(&err);
    static const char *cols[] = {"class", "n_recordings", "n_truth", "n_pred", "tp", "fp", "fn",
                                 "precision", "precision_low", "precision_high", "recall",
                                 "recall_low", "recall_high", "f1", "f1_low", "f1_high"};
    FILE *f = cli_open_text_output(path);
    emg_tsv_header(f, sizeof cols / sizeof *cols, cols);
    for (size_t i = 0; i < n; i++) {
        const emg_pooled_class *r = &rows[i];
        emg_tsv_str(f, r->label, 0);
        emg_tsv_num(f, (double)r->n_recordings, 0);
        emg_tsv_num(f, (double)r->n_truth, 0);
        emg_tsv_num(f, (double)r->n_pred, 0);
        emg_tsv_num(f, (double)r->tp, 0);
        emg_tsv_num(f, (double)r->fp, 0);
        emg_tsv_num(f, (double)r->fn, 0);
        const double *v[3][2] = {{&r->precision, r->precision_ci}, {&r->recall, r->recall_ci},
                                 {&r->f1, r->f1_ci}};
        for (int k = 0; k < 3; k++) {
            emg_tsv_num(f, *v[k][0], 0);
            emg_tsv_num(f, v[k][1][0], 0);
            emg_tsv_num(f, v[k][1][1], k == 2);
        }
    }
    cli_close_text_output(f);
    free(rows);
}

static void write_calibration(const char *path, const pool_state *ps, const score_run *run)
{
    emg_calibration_bin *bins;
    emg_error err;
    size_t with_confidence = 0;
    for (size_t i = 0; i < ps->n_pred; i++)
        with_confidence += isfinite(ps->confidence[i]);
    if (ps->n_pred > 0 && with_confidence == 0)
        cli_warn(NULL, "--calibration: no predicted table has a confidence column");
    if (emg_score_calibration(&bins, ps->confidence, ps->correct, ps->n_pred, run->bins, run->n_bins,
                              run->boot.level, &err) < 0)
        cli_fail(&err);
    static const char *cols[] = {"bin_low", "bin_high", "n_pred", "n_correct", "mean_confidence",
                                 "fraction_correct", "fraction_low", "fraction_high"};
    FILE *f = cli_open_text_output(path);
    emg_tsv_header(f, sizeof cols / sizeof *cols, cols);
    for (size_t k = 0; k < run->n_bins; k++) {
        emg_tsv_num(f, bins[k].low, 0);
        emg_tsv_num(f, bins[k].high, 0);
        emg_tsv_num(f, (double)bins[k].n, 0);
        emg_tsv_num(f, (double)bins[k].correct, 0);
        emg_tsv_num(f, bins[k].mean_confidence, 0);
        emg_tsv_num(f, bins[k].fraction_correct, 0);
        emg_tsv_num(f, bins[k].fraction_ci[0], 0);
        emg_tsv_num(f, bins[k].fraction_ci[1], 1);
    }
    cli_close_text_output(f);
    free(bins);
}

static void parse_bins(score_run *run, const char *arg)
{
    run->n_bins = 0;
    for (const char *p = arg; *p;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',') || run->n_bins == MAX_CALIBRATION_BINS ||
            !(v > (run->n_bins ? run->bins[run->n_bins - 1] : 0.0)))
            cli_usage_error("--calibration-bins: '%s' is not increasing edges > 0 (at most %d)",
                            arg, MAX_CALIBRATION_BINS);
        run->bins[run->n_bins++] = v;
        p = *end ? end + 1 : end;
    }
    if (run->n_bins == 0)
        cli_usage_error("--calibration-bins: no edges");
}

static void read_pairs(score_run *run, const char *sheet)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, sheet, &err) < 0)
        cli_fail(&err);
    int c_truth = emg_table_column(&t, "truth"), c_pred = emg_table_column(&t, "pred");
    if (c_truth < 0 || c_pred < 0)
        cli_die(CLI_EXIT_FORMAT, "%s: %s: needs columns truth and pred", cli_prog(), sheet);
    for (size_t r = 0; r < t.n_rows; r++) {
        if (run->n_truth == MAX_PAIRS || run->n_pred == MAX_PAIRS)
            cli_usage_error("at most %d --truth/--pred pairs", MAX_PAIRS);
        run->truth[run->n_truth++] = cli_sheet_path(sheet, emg_table_cell(&t, r, c_truth));
        run->pred[run->n_pred++] = cli_sheet_path(sheet, emg_table_cell(&t, r, c_pred));
        cli_register_input(run->truth[run->n_truth - 1]);
        cli_register_input(run->pred[run->n_pred - 1]);
    }
    emg_table_free(&t);
}

static void score(emg_score_result *r, const emg_scored_event *truth, size_t nt,
                  const emg_scored_event *pred, size_t np, const emg_score_options *so)
{
    emg_error err;
    emg_score_result_init(r);
    if (emg_score_events(r, truth, nt, pred, np, so, &err) < 0)
        cli_fail(&err);
}

static void parse_options(score_run *run, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_PRECISION_LONG_OPTIONS,
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"pred", required_argument, NULL, OPT_PRED},
        {"confusion", required_argument, NULL, OPT_CONFUSION},
        {"iou", required_argument, NULL, OPT_IOU},
        {"onset-tolerance", required_argument, NULL, OPT_TOL},
        {"ignore-channel", no_argument, NULL, OPT_IGNORE_CH},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"pairs", required_argument, NULL, OPT_PAIRS},
        {"by-class", required_argument, NULL, OPT_BY_CLASS},
        {"calibration", required_argument, NULL, OPT_CALIBRATION},
        {"calibration-bins", required_argument, NULL, OPT_CAL_BINS},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"seed", required_argument, NULL, OPT_SEED},
        {"confidence", required_argument, NULL, OPT_CONFIDENCE},
        {NULL, 0, NULL, 0}};
    const char *pairs = NULL;
    emg_score_options *so = &run->so;
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS,
                             longopts)) != -1) {
        switch (opt) {
        case OPT_TRUTH:
        case OPT_PRED: {
            size_t *n = opt == OPT_TRUTH ? &run->n_truth : &run->n_pred;
            if (*n == MAX_PAIRS)
                cli_usage_error("at most %d --truth/--pred pairs", MAX_PAIRS);
            (opt == OPT_TRUTH ? run->truth : run->pred)[(*n)++] = optarg;
            cli_register_input(optarg);
            break;
        }
        case OPT_CONFUSION: run->conf_path = optarg; break;
        case OPT_IOU:
            so->iou_min = cli_parse_double("--iou", optarg);
            if (!(so->iou_min > 0 && so->iou_min <= 1))
                cli_usage_error("--iou: %s is outside (0, 1]", optarg);
            break;
        case OPT_TOL:
            so->onset_tolerance = cli_parse_double("--onset-tolerance", optarg);
            if (so->onset_tolerance < 0)
                cli_usage_error("--onset-tolerance: must be >= 0");
            break;
        case OPT_IGNORE_CH: so->ignore_channel = 1; break;
        case OPT_SAMPLES:
            so->sample_step = cli_parse_double("--samples", optarg);
            if (!(so->sample_step > 0))
                cli_usage_error("--samples: step must be > 0 seconds");
            break;
        case OPT_SKIP: run->skip = optarg; break;
        case OPT_PAIRS: pairs = optarg; cli_register_input(optarg); break;
        case OPT_BY_CLASS: run->by_class_path = optarg; break;
        case OPT_CALIBRATION: run->calibration_path = optarg; break;
        case OPT_CAL_BINS: parse_bins(run, optarg); break;
        case OPT_BOOTSTRAP:
            run->boot.replicates = (size_t)cli_parse_long("--bootstrap", optarg, 1, 1000000);
            break;
        case OPT_SEED: run->boot.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 2147483647L); break;
        case OPT_CONFIDENCE:
            run->boot.level = cli_parse_double("--confidence", optarg);
            if (!(run->boot.level > 0 && run->boot.level < 1))
                cli_usage_error("--confidence: %s is outside (0, 1)", optarg);
            break;
        default: cli_usage_error("unknown option");
        }
    }
    if (pairs)
        read_pairs(run, pairs);
    if (!run->n_bins)
        parse_bins(run, DEFAULT_CALIBRATION_BINS);
    if (!run->n_truth || run->n_truth != run->n_pred)
        cli_usage_error("give --truth and --pred in pairs (%zu --truth, %zu --pred)",
                        run->n_truth, run->n_pred);
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
}

int main(int argc, char **argv)
{
    static score_run run = {.so = EMG_SCORE_OPTIONS_INIT, .boot = EMG_BOOTSTRAP_OPTIONS_INIT};
    pool_state pool = {0};
    cli_init("emg-score", argc, argv, usage);
    parse_options(&run, argc, argv);

    int samples = run.so.sample_step > 0;
    FILE *f = cli_open_text_output(cli_output_path() ? cli_output_path() : "-");
    event_list all_truth = {0}, all_pred = {0};
    emg_score_options pooled_so = run.so;
    int worst = CLI_EXIT_OK;
    size_t scored = 0;
    for (size_t k = 0; k < run.n_truth; k++) {
        emg_scored_event *truth = NULL, *pred = NULL;
        size_t nt = 0, np = 0;
        int t_ch = 0, p_ch = 0;
        int code = read_events(run.truth[k], run.skip, &truth, &nt, &t_ch);
        if (code == CLI_EXIT_OK)
            code = read_events(run.pred[k], run.skip, &pred, &np, &p_ch);
        if (code != CLI_EXIT_OK) { /* this pair is left out; the others are scored */
            worst = code > worst ? code : worst;
            free(truth);
            continue;
        }
        emg_score_options so = run.so;
        so.empty_truth_ok = run.n_truth > 1; /* a dataset's rest recording */
        if (!t_ch || !p_ch)
            so.ignore_channel = pooled_so.ignore_channel = 1; /* no channels to compare */
        emg_score_result r;
        score(&r, truth, nt, pred, np, &so);
        if (scored++ == 0)
            write_header(f, samples); /* only once a pair gives rows */
        write_scores(f, run.truth[k], &r, samples);
        pool_keep(&pool, &r, pred, np);
        double shift = (all_truth.end > all_pred.end ? all_truth.end : all_pred.end) +
                       10 + run.so.onset_tolerance;
        int first = all_truth.n + all_pred.n == 0;
        append_shifted(&all_truth, truth, nt, first ? 0 : shift);
        append_shifted(&all_pred, pred, np, first ? 0 : shift);
        free(truth);
        free(pred);
    }
    if (scored == 0) { /* no pair could be read: no table */
        cli_abandon_outputs();
        return worst;
    }
    emg_score_result pooled;
    score(&pooled, all_truth.ev, all_truth.n, all_pred.ev, all_pred.n, &pooled_so);
    if (scored > 1)
        write_scores(f, "all", &pooled, samples);
    cli_close_text_output(f);
    if (run.conf_path) {
        FILE *c = cli_open_text_output(run.conf_path);
        write_confusion(c, &pooled);
        cli_close_text_output(c);
    }
    if (run.by_class_path)
        write_by_class(run.by_class_path, &pool, &run.boot);
    if (run.calibration_path)
        write_calibration(run.calibration_path, &pool, &run);
    pool_free(&pool);
    if (!cli_quiet()) {
        char summary[512];
        emg_score_summary(summary, sizeof summary, &pooled);
        fprintf(stderr, "%s: %s\n", cli_prog(), summary);
    }
    emg_score_result_free(&pooled);
    free(all_truth.ev);
    free(all_pred.ev);
    cli_finish_stdout();
    return worst;
}
