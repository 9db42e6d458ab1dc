/* emg-score: score predicted events against ground-truth events.
 *
 *   emg-score --truth T.tsv --pred P.tsv [-o SCORES.tsv] [--confusion C.tsv]
 *
 * Events match when they carry the same label (and channel) and overlap with
 * a temporal intersection-over-union of at least --iou (0.3), or, with
 * --onset-tolerance S, when their onsets are within S seconds (brief events).
 * Writes one row per class (precision, recall, F1, onset and offset errors)
 * and a final "macro" row; the confusion matrix (label-blind matching) goes
 * to --confusion.  A one-line summary goes to stderr.  See
 * docs/methods/labelling.md and include/emgkit/score.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/score.h"

enum { OPT_TRUTH = CLI_OPT_TOOL_BASE, OPT_PRED, OPT_IOU, OPT_TOL, OPT_IGNORE_CH, OPT_SAMPLES,
       OPT_CONFUSION, OPT_SKIP, OPT_QUIET };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s --truth TRUTH.tsv --pred PRED.tsv [options]\n"
            "Score predicted events against ground-truth events (per-class precision, recall,\n"
            "F1, macro-F1, onset/offset errors, confusion matrix).\n\n"
            "  --truth FILE           ground-truth event table (onset duration [channel] label)\n"
            "  --pred FILE            predicted event table, same columns ('-' = stdin)\n"
            "  -o, --output FILE      per-class scores as TSV (default: stdout)\n"
            "  --confusion FILE       confusion matrix as TSV (rows truth, columns predicted)\n"
            "  --iou X                minimum temporal intersection-over-union (default 0.3)\n"
            "  --onset-tolerance S    also match events whose onsets differ by <= S seconds\n"
            "                         (brief events such as fasciculations; default off)\n"
            "  --ignore-channel       match events across channels\n"
            "  --samples DT           add sample-based precision/recall/F1 on a DT-second grid\n"
            "  --skip LABELS          drop events with these labels (comma list) from both tables\n"
            "  -q, --quiet            no summary line on stderr\n"
            "  -h, --help             this help\n",
            cli_prog());
    cli_help_footer(out);
}

static void read_events(const char *path, const char *skip, emg_scored_event **ev, size_t *n,
                        int *has_channel)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, path, &err) < 0)
        cli_fail(&err);
    *has_channel = emg_table_column(&t, "channel") >= 0;
    if (emg_scored_events_from_table(ev, n, &t, path, skip, &err) < 0) {
        emg_table_free(&t);
        cli_fail(&err);
    }
    emg_table_free(&t);
}

static void write_scores(FILE *f, const emg_score_result *r, int samples)
{
    static const char *cols[] = {"class", "n_truth", "n_pred", "tp", "fp", "fn", "precision",
                                 "recall", "f1", "onset_error_ms", "offset_error_ms",
                                 "onset_error_median_ms", "offset_error_median_ms",
                                 "onset_bias_ms", "sample_precision", "sample_recall",
                                 "sample_f1"};
    emg_tsv_header(f, samples ? 17 : 14, cols);
    for (size_t c = 0; c < r->n_classes; c++) {
        const emg_class_score *s = &r->classes[c];
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

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"pred", required_argument, NULL, OPT_PRED},
        {"output", required_argument, NULL, 'o'},
        {"confusion", required_argument, NULL, OPT_CONFUSION},
        {"iou", required_argument, NULL, OPT_IOU},
        {"onset-tolerance", required_argument, NULL, OPT_TOL},
        {"ignore-channel", no_argument, NULL, OPT_IGNORE_CH},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *truth_path = NULL, *pred_path = NULL, *out_path = "-", *conf_path = NULL;
    const char *skip = NULL;
    int quiet = 0, opt;
    emg_score_options so = EMG_SCORE_OPTIONS_INIT;

    cli_init("emg-score", argc, argv);
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_TRUTH: truth_path = optarg; break;
        case OPT_PRED: pred_path = optarg; break;
        case 'o': out_path = optarg; break;
        case OPT_CONFUSION: conf_path = optarg; break;
        case OPT_IOU:
            so.iou_min = cli_parse_double("--iou", optarg);
            if (!(so.iou_min > 0 && so.iou_min <= 1))
                cli_usage_error("--iou: %s is outside (0, 1]", optarg);
            break;
        case OPT_TOL:
            so.onset_tolerance = cli_parse_double("--onset-tolerance", optarg);
            if (so.onset_tolerance < 0)
                cli_usage_error("--onset-tolerance: must be >= 0");
            break;
        case OPT_IGNORE_CH: so.ignore_channel = 1; break;
        case OPT_SAMPLES:
            so.sample_step = cli_parse_double("--samples", optarg);
            if (!(so.sample_step > 0))
                cli_usage_error("--samples: step must be > 0 seconds");
            break;
        case OPT_SKIP: skip = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: cli_usage_error("unknown option");
        }
    }
    if (!truth_path || !pred_path)
        cli_usage_error("both --truth and --pred are required");
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);

    emg_scored_event *truth = NULL, *pred = NULL;
    size_t nt = 0, np = 0;
    int t_ch, p_ch;
    read_events(truth_path, skip, &truth, &nt, &t_ch);
    read_events(pred_path, skip, &pred, &np, &p_ch);
    if (!t_ch || !p_ch)
        so.ignore_channel = 1; /* nothing to compare channels against */

    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    if (emg_score_events(&r, truth, nt, pred, np, &so, &err) < 0)
        cli_fail(&err);

    FILE *f = cli_open_text_output(out_path);
    write_scores(f, &r, so.sample_step > 0);
    cli_close_text_output(f);
    if (conf_path) {
        FILE *c = cli_open_text_output(conf_path);
        write_confusion(c, &r);
        cli_close_text_output(c);
    }
    if (!quiet)
        fprintf(stderr,
                "%s: %zu truth, %zu predicted, %zu matched; macro-F1 %.3f over %zu classes; "
                "median onset error %.1f ms, offset error %.1f ms\n",
                cli_prog(), r.n_truth, r.n_pred, r.n_matched, r.macro_f1, r.n_classes,
                1e3 * r.onset_error_median, 1e3 * r.offset_error_median);
    emg_score_result_free(&r);
    free(truth);
    free(pred);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
