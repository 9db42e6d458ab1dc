/* emgkit/score.h: scoring predicted events against ground-truth events.
 *
 * Event-based scoring (the usual protocol for EMG onset and sleep-event
 * detectors): a predicted event matches a true event when both carry the same
 * label (and the same channel, unless channels are ignored) and their temporal
 * intersection-over-union is at least iou_min, or, for brief events, when
 * their onsets differ by at most onset_tolerance seconds.  Each event matches
 * at most once; pairs are taken greedily, best overlap first.  Per class this
 * gives true positives, false positives and false negatives, hence precision,
 * recall and F1; macro-F1 is the unweighted mean of the per-class F1.
 * A second, label-blind matching fills the confusion matrix: for every true
 * event, the label of the prediction it overlaps best ("none" when no
 * prediction overlaps), and for every unmatched prediction a "none" truth row.
 *
 * Sample-based scoring (optional) cuts time into steps of dt seconds and
 * counts, per class, the steps covered by a true event, by a predicted one,
 * or by both. */
#ifndef EMGKIT_SCORE_H
#define EMGKIT_SCORE_H

#include "emgkit/export.h"

#include <stddef.h>
#include <stdint.h>
#include "emgkit/error.h"
#include "emgkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMG_LABEL_MAX 32

/* One event as the scorer sees it. */
typedef struct emg_scored_event {
    double onset;                /* seconds */
    double duration;             /* seconds, >= 0 */
    char channel[64];            /* "" when the table has no channel column */
    char label[EMG_LABEL_MAX];
    double confidence;           /* the table's confidence column, NaN without one */
} emg_scored_event;

typedef struct emg_score_options {
    double iou_min;          /* minimum temporal IoU for a match, (0, 1]; default 0.3 */
    double onset_tolerance;  /* seconds; > 0 also matches events whose onsets differ by
                                at most this much (brief events); 0 = off */
    int ignore_channel;      /* 1: match across channels */
    double sample_step;      /* seconds; > 0 adds sample-based scores per class; 0 = off */
    int empty_truth_ok;      /* 1: a truth with no event is scored (every prediction a false
                                one), as a rest recording of a dataset; 0: EMG_ERR_FORMAT */
} emg_score_options;
#define EMG_SCORE_OPTIONS_INIT {0.3, 0.0, 0, 0.0, 0}

/* Scores of one class (label). */
typedef struct emg_class_score {
    char label[EMG_LABEL_MAX];
    size_t n_truth, n_pred;
    size_t tp, fp, fn;
    double precision, recall, f1;   /* NaN when undefined (0/0) */
    double onset_error_mean;        /* seconds, mean of |pred - truth| over matches; NaN if none */
    double onset_error_median;
    double offset_error_mean;
    double offset_error_median;
    double onset_bias;              /* mean signed pred - truth onset, seconds */
    /* Sample-based (sample_step > 0), else NaN. */
    double sample_precision, sample_recall, sample_f1;
} emg_class_score;

typedef struct emg_score_result {
    size_t n_classes;
    emg_class_score *classes;       /* sorted by label */
    double macro_f1;                /* mean F1 over classes with a defined F1 */
    double macro_precision, macro_recall;
    size_t n_truth, n_pred, n_matched;
    double onset_error_median;      /* over all matches, seconds */
    double offset_error_median;
    /* Confusion matrix over labels + "none" (last): counts[t * n_labels + p]. */
    size_t n_labels;
    char (*labels)[EMG_LABEL_MAX];
    size_t *confusion;
    /* Per prediction (n_pred): 1 when the label-aware matching matched it (a true positive). */
    unsigned char *pred_matched;
} emg_score_result;

EMGKIT_API void emg_score_result_init(emg_score_result *r);
EMGKIT_API void emg_score_result_free(emg_score_result *r);

/* Temporal intersection-over-union of [a0, a0+da) and [b0, b0+db); for two
 * instants (da = db = 0) at the same time 1, else 0 when they do not overlap. */
EMGKIT_API double emg_interval_iou(double a0, double da, double b0, double db);

/* Score pred against truth.  Fills *out (initialise it first).  An empty
 * truth (n_truth 0) is EMG_ERR_FORMAT, there being nothing to score against,
 * unless opts->empty_truth_ok. */
EMGKIT_API int emg_score_events(emg_score_result *out, const emg_scored_event *truth, size_t n_truth,
                                const emg_scored_event *pred, size_t n_pred,
                                const emg_score_options *opts, emg_error *err);

/* Read an event table (columns onset, duration, label; channel optional) into
 * a malloc'd array.  path names the file in messages.  Rows whose label is in
 * skip_labels (comma list, may be NULL) are dropped.  A row whose onset is not
 * finite or whose duration is negative, infinite or not a number (other than
 * "n/a", an instant) is EMG_ERR_FORMAT naming the file and line. */
EMGKIT_API int emg_scored_events_from_table(emg_scored_event **out, size_t *n, const emg_table *t,
                                            const char *path, const char *skip_labels, emg_error *err);

/* The one-line summary of a result ("3 truth, 2 predicted, 2 matched; macro-F1
 * 0.667 over 2 classes; median onset error 12.0 ms, offset error 8.5 ms"),
 * with "n/a" for what is undefined (no matched event), never "nan".  Returns
 * what snprintf returns. */
EMGKIT_API int emg_score_summary(char *buf, size_t size, const emg_score_result *r);

/* ---- many recordings (score_pool.c) -------------------------------------
 * Scores pooled over recordings: per class, the counts of every recording
 * summed (events match only within their recording), with percentile
 * bootstrap confidence intervals that resample recordings, not events, so
 * that they allow for events of one recording being alike (Efron & Tibshirani
 * 1993, ch. 13; the cluster bootstrap, Field & Welsh 2007). */

typedef struct emg_pooled_class {
    char label[EMG_LABEL_MAX];    /* "macro" for the mean over classes */
    size_t n_recordings;          /* recordings with the class in truth or prediction */
    size_t n_truth, n_pred, tp, fp, fn;
    double precision, recall, f1; /* of the summed counts; NaN when undefined */
    double precision_ci[2], recall_ci[2], f1_ci[2]; /* NaN when no replicate defines them */
} emg_pooled_class;

typedef struct emg_bootstrap_options {
    size_t replicates;  /* default 2000 */
    uint64_t seed;      /* default 1 */
    double level;       /* two-sided coverage, default 0.95 */
} emg_bootstrap_options;
#define EMG_BOOTSTRAP_OPTIONS_INIT {2000, 1, 0.95}

/* Pool the results of n recordings (each from emg_score_events) into one row
 * per class (sorted by label) and a final "macro" row (unweighted means over
 * the classes with a defined value, as emg_score_result's macro scores);
 * *out is malloc'd with *n_out rows (classes + 1). */
EMGKIT_API int emg_score_pool(emg_pooled_class **out, size_t *n_out,
                              const emg_score_result *results, size_t n,
                              const emg_bootstrap_options *opts, emg_error *err);

/* One bin of a calibration table: predictions with confidence in [low, high)
 * (the last bin includes high). */
typedef struct emg_calibration_bin {
    double low, high;
    size_t n, correct;
    double mean_confidence;      /* NaN for an empty bin */
    double fraction_correct;     /* NaN for an empty bin */
    double fraction_ci[2];       /* Wilson score interval at the level asked */
} emg_calibration_bin;

/* Bins edges[0..n_edges) (increasing; bin k is [edges[k-1], edges[k]), the
 * first from 0) over predictions with a finite confidence: how many there
 * are and how many the label-aware matching found right.  *out has n_edges bins. */
EMGKIT_API int emg_score_calibration(emg_calibration_bin **out, const double *confidence,
                                     const unsigned char *correct, size_t n,
                                     const double *edges, size_t n_edges, double level,
                                     emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
