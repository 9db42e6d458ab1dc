/* score_pool.c: scores pooled over many recordings with bootstrap
 * confidence intervals over recordings, and the calibration table of a
 * labeller's confidence (include/emgkit/score.h). */
#include "emgkit/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "emgkit/synth.h"
#include "io_internal.h"

/* Counts of one class in one recording. */
typedef struct class_counts {
    size_t n_truth, n_pred, tp;
} class_counts;

static int cmp_label(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The sorted union of the recordings' class labels. */
static int union_labels(char (**out)[EMG_LABEL_MAX], size_t *n_out, const emg_score_result *r,
                        size_t n, emg_error *err)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        total += r[i].n_classes;
    char (*lab)[EMG_LABEL_MAX] = emgi_xcalloc(total + 1, sizeof *lab, err);
    if (!lab)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < r[i].n_classes; c++) {
            size_t m = 0;
            while (m < k && strcmp(lab[m], r[i].classes[c].label))
                m++;
            if (m == k)
                emgi_strlcpy(lab[k++], r[i].classes[c].label, EMG_LABEL_MAX);
        }
    qsort(lab, k, sizeof *lab, cmp_label);
    *out = lab;
    *n_out = k;
    return EMG_OK;
}

static int cmp_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : NAN;
}

/* Precision, recall and F1 of summed counts, with score.c's rules: a class
 * predicted but absent from the truth, or present but never predicted, has F1 0. */
static void scores_of(const class_counts *c, double *p, double *r, double *f1)
{
    *p = ratio(c->tp, c->n_pred);
    *r = ratio(c->tp, c->n_truth);
    if (c->n_truth == 0 && c->n_pred == 0)
        *f1 = NAN;
    else if (c->n_truth == 0 || c->n_pred == 0)
        *f1 = 0.0;
    else
        *f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

/* Percentile interval of the defined values v[0..n) (sorted here). */
static void percentile_ci(double *v, size_t n, double level, double ci[2])
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[m++] = v[i];
    ci[0] = ci[1] = NAN;
    if (m == 0)
        return;
    qsort(v, m, sizeof *v, cmp_value);
    double alpha = (1 - level) / 2;
    /* Linear interpolation between order statistics (numpy.percentile's default). */
    for (int side = 0; side < 2; side++) {
        double q = (side ? 1 - alpha : alpha) * (double)(m - 1);
        size_t lo = (size_t)floor(q), hi = lo + 1 < m ? lo + 1 : lo;
        ci[side] = v[lo] + (q - (double)lo) * (v[hi] - v[lo]);
    }
}

/* Summed counts of classes over the recordings drawn (pick[i] times recording i). */
static void sum_counts(class_counts *sum, size_t n_classes, const class_counts *per, size_t n,
                       const size_t *pick)
{
    memset(sum, 0, n_classes * sizeof *sum);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; pick[i] && c < n_classes; c++) {
            sum[c].n_truth += pick[i] * per[i * n_classes + c].n_truth;
            sum[c].n_pred += pick[i] * per[i * n_classes + c].n_pred;
            sum[c].tp += pick[i] * per[i * n_classes + c].tp;
        }
}

/* Per-class values of summed counts, and their macro means at index n_classes. */
static void values_of(const class_counts *sum, size_t n_classes, double *p, double *r, double *f)
{
    double sp = 0, sr = 0, sf = 0;
    size_t np = 0, nr = 0, nf = 0;
    for (size_t c = 0; c < n_classes; c++) {
        scores_of(&sum[c], &p[c], &r[c], &f[c]);
        if (!isnan(p[c]))
            sp += p[c], np++;
        if (!isnan(r[c]))
            sr += r[c], nr++;
        if (!isnan(f[c]))
            sf += f[c], nf++;
    }
    p[n_classes] = np ? sp / (double)np : NAN;
    r[n_classes] = nr ? sr / (double)nr : NAN;
    f[n_classes] = nf ? sf / (double)nf : NAN;
}

static class_counts *per_recording_counts(const emg_score_result *r, size_t n,
                                          char (*labels)[EMG_LABEL_MAX], size_t k, emg_error *err)
{
    class_counts *per = emgi_xcalloc(n * k + 1, sizeof *per, err);
    for (size_t i = 0; per && i < n; i++)
        for (size_t c = 0; c < r[i].n_classes; c++) {
            const emg_class_score *s = &r[i].classes[c];
            char(*hit)[EMG_LABEL_MAX] = bsearch(s->label, labels, k, sizeof *labels, cmp_label);
            class_counts *dst = &per[i * k + (size_t)(hit - labels)];
            dst->n_truth = s->n_truth, dst->n_pred = s->n_pred, dst->tp = s->tp;
        }
    return per;
}

static void fill_rows(emg_pooled_class *rows, char (*labels)[EMG_LABEL_MAX], size_t k,
                      const class_counts *per, size_t n, const class_counts *sum)
{
    double p[k + 1], r[k + 1], f[k + 1];
    values_of(sum, k, p, r, f);
    for (size_t c = 0; c <= k; c++) {
        emg_pooled_class *row = &rows[c];
        emgi_strlcpy(row->label, c < k ? labels[c] : "macro", EMG_LABEL_MAX);
        for (size_t i = 0; i < n; i++) {
            int seen = 0;
            for (size_t q = (c < k ? c : 0); q < (c < k ? c + 1 : k) && !seen; q++)
                seen = per[i * k + q].n_truth || per[i * k + q].n_pred;
            row->n_recordings += seen;
        }
        for (size_t q = (c < k ? c : 0); q < (c < k ? c + 1 : k); q++) {
            row->n_truth += sum[q].n_truth, row->n_pred += sum[q].n_pred, row->tp += sum[q].tp;
            row->fp += sum[q].n_pred - sum[q].tp, row->fn += sum[q].n_truth - sum[q].tp;
        }
        row->precision = p[c], row->recall = r[c], row->f1 = f[c];
    }
}

static int bootstrap(emg_pooled_class *rows, size_t k, const class_counts *per, size_t n,
                     const emg_bootstrap_options *o, emg_error *err)
{
    size_t B = o->replicates, width = k + 1;
    double *p = emgi_xcalloc(B * width + 1, sizeof *p, err);
    double *r = emgi_xcalloc(B * width + 1, sizeof *r, err);
    double *f = emgi_xcalloc(B * width + 1, sizeof *f, err);
    double *column = emgi_xcalloc(B + 1, sizeof *column, err);
    size_t *pick = emgi_xcalloc(n + 1, sizeof *pick, err);
    class_counts *sum = emgi_xcalloc(k + 1, sizeof *sum, err);
    int rc = p && r && f && column && pick && sum ? EMG_OK : EMG_ERR_NOMEM;
    emg_rng rng;
    emg_rng_seed(&rng, o->seed, 0);
    for (size_t b = 0; rc == EMG_OK && b < B; b++) {
        memset(pick, 0, n * sizeof *pick);
        for (size_t i = 0; i < n; i++)
            pick[(size_t)(emg_rng_uniform(&rng) * (double)n) % n]++;
        sum_counts(sum, k, per, n, pick);
        /* replicate b's values sit at [b * width, (b + 1) * width) */
        double vp[width], vr[width], vf[width];
        values_of(sum, k, vp, vr, vf);
        for (size_t c = 0; c < width; c++)
            p[c * B + b] = vp[c], r[c * B + b] = vr[c], f[c * B + b] = vf[c];
    }
    for (size_t c = 0; rc == EMG_OK && c < width; c++) {
        memcpy(column, p + c * B, B * sizeof *column);
        percentile_ci(column, B, o->level, rows[c].precision_ci);
        memcpy(column, r + c * B, B * sizeof *column);
        percentile_ci(column, B, o->level, rows[c].recall_ci);
        memcpy(column, f + c * B, B * sizeof *column);
        percentile_ci(column, B, o->level, rows[c].f1_ci);
    }
    free(p), free(r), free(f), free(column), free(pick), free(sum);
    return rc;
}

int emg_score_pool(emg_pooled_class **out, size_t *n_out, const emg_score_result *results,
                   size_t n, const emg_bootstrap_options *opts, emg_error *err)
{
    emg_bootstrap_options o = EMG_BOOTSTRAP_OPTIONS_INIT;
    if (opts)
        o = *opts;
    *out = NULL, *n_out = 0;
    if (n == 0 || o.replicates == 0 || !(o.level > 0 && o.level < 1))
        return emg_error_set(err, EMG_ERR_ARG, "pooled scores need recordings, replicates and a "
                                               "level in (0, 1)");
    char (*labels)[EMG_LABEL_MAX] = NULL;
    size_t k = 0;
    int rc = union_labels(&labels, &k, results, n, err);
    if (rc < 0)
        return rc;
    class_counts *per = per_recording_counts(results, n, labels, k, err);
    class_counts *sum = emgi_xcalloc(k + 1, sizeof *sum, err);
    size_t *all = emgi_xcalloc(n, sizeof *all, err);
    emg_pooled_class *rows = emgi_xcalloc(k + 1, sizeof *rows, err);
    rc = per && sum && all && rows ? EMG_OK : EMG_ERR_NOMEM;
    if (rc == EMG_OK) {
        for (size_t i = 0; i < n; i++)
            all[i] = 1;
        sum_counts(sum, k, per, n, all);
        fill_rows(rows, labels, k, per, n, sum);
        rc = bootstrap(rows, k, per, n, &o, err);
    }
    free(labels), free(per), free(sum), free(all);
    if (rc < 0) {
        free(rows);
        return rc;
    }
    *out = rows;
    *n_out = k + 1;
    return EMG_OK;
}

/* Wilson score interval for x successes in n (Wilson 1927; Brown, Cai &
 * DasGupta 2001 recommend it over the normal interval for small n). */
static void wilson(size_t x, size_t n, double level, double ci[2])
{
    ci[0] = ci[1] = NAN;
    if (n == 0)
        return;
    double z = emg_normal_quantile(0.5 + level / 2), p = (double)x / (double)n, nn = (double)n;
    double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
    double half = z / (1 + z * z / nn) * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
    ci[0] = fmax(0.0, centre - half);
    ci[1] = fmin(1.0, centre + half);
}

int emg_score_calibration(emg_calibration_bin **out, const double *confidence,
                          const unsigned char *correct, size_t n, const double *edges,
                          size_t n_edges, double level, emg_error *err)
{
    *out = NULL;
    for (size_t k = 0; k < n_edges; k++)
        if (!(edges[k] > (k ? edges[k - 1] : 0.0)))
            return emg_error_set(err, EMG_ERR_ARG, "calibration bins: edges must increase from 0");
    emg_calibration_bin *bins = emgi_xcalloc(n_edges + 1, sizeof *bins, err);
    double *sum = emgi_xcalloc(n_edges + 1, sizeof *sum, err);
    if (!bins || !sum) {
        free(bins), free(sum);
        return EMG_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        double c = confidence[i];
        if (!isfinite(c) || c < 0 || c > edges[n_edges - 1])
            continue;
        size_t k = 0;
        while (k + 1 < n_edges && c >= edges[k])
            k++;
        bins[k].n++;
        bins[k].correct += correct[i] != 0;
        sum[k] += c;
    }
    for (size_t k = 0; k < n_edges; k++) {
        bins[k].low = k ? edges[k - 1] : 0.0;
        bins[k].high = edges[k];
        bins[k].mean_confidence = bins[k].n ? sum[k] / (double)bins[k].n : NAN;
        bins[k].fraction_correct = ratio(bins[k].correct, bins[k].n);
        wilson(bins[k].correct, bins[k].n, level, bins[k].fraction_ci);
    }
    free(sum);
    *out = bins;
    return EMG_OK;
}
