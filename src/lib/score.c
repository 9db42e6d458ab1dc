/* score.c: event-based and sample-based scoring of predicted events.
 *
 * Matching follows the event-level protocol common to EMG onset and
 * sleep-event detection studies: same label, temporal intersection over union
 * at least a threshold (0.3 by default, as in many sleep-spindle and
 * EMG-burst evaluations), or an onset tolerance for events too brief for
 * IoU to be meaningful (a fasciculation potential of 10 ms shifted by 5 ms
 * already has IoU 0.33).  Each event matches at most once; candidate pairs
 * are matched greedily from the best overlap down, which for interval events
 * that rarely overlap more than one partner gives the same pairs as an
 * optimal assignment at a fraction of the cost. */
#include "emgkit/score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

/* Sample-based scoring marks one byte per grid step: a day at 1 ms is 8.6e7
 * steps.  More than this is an event table with absurd times (an onset of
 * 1e12 s), not a recording, and would exhaust memory. */
enum { SCORE_MAX_GRID_STEPS = 100000000 };

void emg_score_result_init(emg_score_result *r)
{
    memset(r, 0, sizeof *r);
}

void emg_score_result_free(emg_score_result *r)
{
    if (!r)
        return;
    free(r->classes);
    free(r->labels);
    free(r->confusion);
    free(r->pred_matched);
    emg_score_result_init(r);
}

double emg_interval_iou(double a0, double da, double b0, double db)
{
    double a1 = a0 + da, b1 = b0 + db;
    double inter = fmin(a1, b1) - fmax(a0, b0);
    double uni = fmax(a1, b1) - fmin(a0, b0);
    if (da <= 0 && db <= 0)
        return a0 == b0 ? 1.0 : 0.0;
    if (inter <= 0 || uni <= 0)
        return 0.0;
    return inter / uni;
}

typedef struct candidate {
    size_t truth, pred;
    double iou;
    double onset_gap;
} candidate;

static int candidate_cmp(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->iou != y->iou)
        return x->iou > y->iou ? -1 : 1;
    if (x->onset_gap != y->onset_gap)
        return x->onset_gap < y->onset_gap ? -1 : 1;
    if (x->truth != y->truth)
        return x->truth < y->truth ? -1 : 1;
    return x->pred < y->pred ? -1 : (x->pred > y->pred);
}

static int same_channel(const emg_scored_event *a, const emg_scored_event *b,
                        const emg_score_options *o)
{
    if (o->ignore_channel || a->channel[0] == '\0' || b->channel[0] == '\0')
        return 1;
    return strcmp(a->channel, b->channel) == 0;
}

static int pair_qualifies(const emg_scored_event *t, const emg_scored_event *p,
                          const emg_score_options *o, double *iou)
{
    *iou = emg_interval_iou(t->onset, t->duration, p->onset, p->duration);
    if (*iou >= o->iou_min)
        return 1;
    return o->onset_tolerance > 0 && fabs(t->onset - p->onset) <= o->onset_tolerance;
}

/* Greedy one-to-one matching.  match_truth[i] = index of the prediction
 * matched to truth i, or -1.  by_label: only pairs with equal labels. */
static int match_events(long *match_truth, long *match_pred, const emg_scored_event *truth,
                        size_t nt, const emg_scored_event *pred, size_t np,
                        const emg_score_options *o, int by_label, emg_error *err)
{
    size_t cap = 0, n = 0;
    candidate *c = NULL;
    for (size_t i = 0; i < nt; i++)
        match_truth[i] = -1;
    for (size_t j = 0; j < np; j++)
        match_pred[j] = -1;
    for (size_t i = 0; i < nt; i++) {
        for (size_t j = 0; j < np; j++) {
            double iou;
            if (by_label && strcmp(truth[i].label, pred[j].label) != 0)
                continue;
            if (!same_channel(&truth[i], &pred[j], o) || !pair_qualifies(&truth[i], &pred[j], o, &iou))
                continue;
            if (emgi_grow((void **)&c, &cap, n + 1, sizeof *c, err) < 0) {
                free(c);
                return EMG_ERR_NOMEM;
            }
            c[n].truth = i;
            c[n].pred = j;
            c[n].iou = iou;
            c[n].onset_gap = fabs(truth[i].onset - pred[j].onset);
            n++;
        }
    }
    if (n > 1)
        qsort(c, n, sizeof *c, candidate_cmp);
    for (size_t k = 0; k < n; k++) {
        if (match_truth[c[k].truth] >= 0 || match_pred[c[k].pred] >= 0)
            continue;
        match_truth[c[k].truth] = (long)c[k].pred;
        match_pred[c[k].pred] = (long)c[k].truth;
    }
    free(c);
    return 0;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Sorted distinct labels of both tables. */
static int collect_labels(emg_score_result *r, const emg_scored_event *truth, size_t nt,
                          const emg_scored_event *pred, size_t np, emg_error *err)
{
    size_t n = 0;
    char (*lab)[EMG_LABEL_MAX] = emgi_xcalloc(nt + np + 1, sizeof *lab, err);
    if (!lab)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < nt + np; k++) {
        const char *s = k < nt ? truth[k].label : pred[k - nt].label;
        size_t m = 0;
        while (m < n && strcmp(lab[m], s) != 0)
            m++;
        if (m == n)
            emgi_strlcpy(lab[n++], s, EMG_LABEL_MAX);
    }
    qsort(lab, n, sizeof *lab, label_cmp);
    emgi_strlcpy(lab[n], "none", EMG_LABEL_MAX);
    r->labels = lab;
    r->n_labels = n + 1;
    return 0;
}

static size_t label_index(const emg_score_result *r, const char *s)
{
    for (size_t k = 0; k + 1 < r->n_labels; k++)
        if (strcmp(r->labels[k], s) == 0)
            return k;
    return r->n_labels - 1;
}


static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : NAN;
}

static double f1_of(double p, double r)
{
    if (isnan(p) || isnan(r))
        return NAN;
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

/* Per-class counts and timing errors from the label-aware matching. */
static int fill_class(emg_class_score *cs, const emg_scored_event *truth, size_t nt,
                      const emg_scored_event *pred, size_t np, const long *mt, double *scratch_on,
                      double *scratch_off)
{
    size_t m = 0;
    double bias = 0, sum_on = 0, sum_off = 0;
    for (size_t i = 0; i < nt; i++) {
        if (strcmp(truth[i].label, cs->label) != 0)
            continue;
        cs->n_truth++;
        if (mt[i] < 0) {
            cs->fn++;
            continue;
        }
        const emg_scored_event *p = &pred[mt[i]];
        double don = p->onset - truth[i].onset;
        double doff = (p->onset + p->duration) - (truth[i].onset + truth[i].duration);
        scratch_on[m] = fabs(don);
        scratch_off[m] = fabs(doff);
        sum_on += fabs(don);
        sum_off += fabs(doff);
        bias += don;
        m++;
    }
    for (size_t j = 0; j < np; j++)
        if (strcmp(pred[j].label, cs->label) == 0)
            cs->n_pred++;
    cs->tp = m;
    cs->fp = cs->n_pred - m;
    cs->precision = ratio(cs->tp, cs->n_pred);
    cs->recall = ratio(cs->tp, cs->n_truth);
    /* A class absent from both sides is not scored; one absent from the truth
     * but predicted has precision 0 and an undefined recall: F1 0. */
    cs->f1 = f1_of(cs->precision, cs->recall);
    if (cs->n_truth == 0 && cs->n_pred > 0)
        cs->f1 = 0.0;
    if (cs->n_pred == 0 && cs->n_truth > 0)
        cs->f1 = 0.0;
    cs->onset_error_mean = m ? sum_on / (double)m : NAN;
    cs->offset_error_mean = m ? sum_off / (double)m : NAN;
    cs->onset_bias = m ? bias / (double)m : NAN;
    cs->onset_error_median = emgi_median_inplace(scratch_on, m);
    cs->offset_error_median = emgi_median_inplace(scratch_off, m);
    cs->sample_precision = cs->sample_recall = cs->sample_f1 = NAN;
    return 0;
}

/* Mark grid steps whose centre lies inside an event of class label on channel ch. */
static void mark_steps(unsigned char *grid, size_t n, double t0, double dt,
                       const emg_scored_event *ev, size_t ne, const char *label, const char *ch,
                       unsigned char bit)
{
    for (size_t k = 0; k < ne; k++) {
        if (strcmp(ev[k].label, label) != 0)
            continue;
        if (ch && strcmp(ev[k].channel, ch) != 0)
            continue;
        double a = (ev[k].onset - t0) / dt - 0.5, b = (ev[k].onset + ev[k].duration - t0) / dt - 0.5;
        long s = (long)ceil(a), e = (long)ceil(b);
        if (s < 0)
            s = 0;
        for (long q = s; q < e && (size_t)q < n; q++)
            grid[q] |= bit;
    }
}

static int sample_scores(emg_score_result *r, const emg_scored_event *truth, size_t nt,
                         const emg_scored_event *pred, size_t np, const emg_score_options *o,
                         emg_error *err)
{
    double t0 = INFINITY, t1 = -INFINITY, dt = o->sample_step;
    for (size_t k = 0; k < nt + np; k++) {
        const emg_scored_event *e = k < nt ? &truth[k] : &pred[k - nt];
        t0 = fmin(t0, e->onset);
        t1 = fmax(t1, e->onset + e->duration);
    }
    if (!(t1 > t0))
        return 0;
    double steps = ceil((t1 - t0) / dt) + 1;
    if (!(steps <= SCORE_MAX_GRID_STEPS))
        return emg_error_set(err, EMG_ERR_ARG,
                             "sample-based scores: events span %g s, %g steps of %g s "
                             "(at most %d): use a larger step",
                             t1 - t0, steps, dt, SCORE_MAX_GRID_STEPS);
    size_t n = (size_t)steps;
    unsigned char *grid = emgi_xcalloc(n, 1, err);
    if (!grid)
        return EMG_ERR_NOMEM;
    for (size_t c = 0; c < r->n_classes; c++) {
        emg_class_score *cs = &r->classes[c];
        size_t both = 0, in_t = 0, in_p = 0;
        /* Each channel's timeline is scored apart (all together when channels
         * are ignored): one pass per distinct channel of this class. */
        for (size_t k = 0; k < nt + np; k++) {
            const emg_scored_event *e = k < nt ? &truth[k] : &pred[k - nt];
            if (strcmp(e->label, cs->label) != 0)
                continue;
            int seen = 0;
            for (size_t q = 0; q < k && !seen; q++) {
                const emg_scored_event *f = q < nt ? &truth[q] : &pred[q - nt];
                seen = strcmp(f->label, cs->label) == 0 &&
                       (o->ignore_channel || strcmp(f->channel, e->channel) == 0);
            }
            if (seen)
                continue;
            const char *ch = o->ignore_channel ? NULL : e->channel;
            memset(grid, 0, n);
            mark_steps(grid, n, t0, dt, truth, nt, cs->label, ch, 1);
            mark_steps(grid, n, t0, dt, pred, np, cs->label, ch, 2);
            for (size_t q = 0; q < n; q++) {
                in_t += (grid[q] & 1) != 0;
                in_p += (grid[q] & 2) != 0;
                both += grid[q] == 3;
            }
        }
        cs->sample_precision = ratio(both, in_p);
        cs->sample_recall = ratio(both, in_t);
        cs->sample_f1 = f1_of(cs->sample_precision, cs->sample_recall);
        if ((in_t == 0) != (in_p == 0))
            cs->sample_f1 = 0.0;
    }
    free(grid);
    return 0;
}

int emg_score_events(emg_score_result *out, const emg_scored_event *truth, size_t nt,
                     const emg_scored_event *pred, size_t np, const emg_score_options *opts,
                     emg_error *err)
{
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (!(o.iou_min > 0 && o.iou_min <= 1))
        return emg_error_set(err, EMG_ERR_ARG, "IoU threshold %g outside (0, 1]", o.iou_min);
    /* With no truth every score is 0 or undefined: a wrong or emptied file
     * must not pass for a detector that found nothing, unless the caller scores
     * a dataset, where a rest recording's predictions are all false events. */
    if (nt == 0 && !o.empty_truth_ok)
        return emg_error_set(err, EMG_ERR_FORMAT, "no ground-truth events to score against "
                                                  "(the truth table is empty or every row was skipped)");
    int rc = EMG_ERR_NOMEM;
    long *mt = emgi_xcalloc(nt + 1, sizeof *mt, err);
    long *mp = emgi_xcalloc(np + 1, sizeof *mp, err);
    double *s_on = emgi_xcalloc(nt + 1, sizeof *s_on, err);
    double *s_off = emgi_xcalloc(nt + 1, sizeof *s_off, err);
    double *all_on = emgi_xcalloc(nt + 1, sizeof *all_on, err);
    double *all_off = emgi_xcalloc(nt + 1, sizeof *all_off, err);
    if (!mt || !mp || !s_on || !s_off || !all_on || !all_off)
        goto done;
    if ((rc = collect_labels(out, truth, nt, pred, np, err)) < 0)
        goto done;
    out->n_classes = out->n_labels - 1;
    out->classes = emgi_xcalloc(out->n_classes + 1, sizeof *out->classes, err);
    out->confusion = emgi_xcalloc(out->n_labels * out->n_labels, sizeof *out->confusion, err);
    rc = EMG_ERR_NOMEM;
    if (!out->classes || !out->confusion)
        goto done;
    if ((rc = match_events(mt, mp, truth, nt, pred, np, &o, 1, err)) < 0)
        goto done;
    rc = EMG_ERR_NOMEM;
    if (!(out->pred_matched = emgi_xcalloc(np + 1, 1, err)))
        goto done;
    for (size_t j = 0; j < np; j++)
        out->pred_matched[j] = mp[j] >= 0;
    out->n_truth = nt;
    out->n_pred = np;
    size_t m = 0;
    for (size_t i = 0; i < nt; i++) {
        if (mt[i] < 0)
            continue;
        const emg_scored_event *p = &pred[mt[i]];
        all_on[m] = fabs(p->onset - truth[i].onset);
        all_off[m] = fabs(p->onset + p->duration - truth[i].onset - truth[i].duration);
        m++;
    }
    out->n_matched = m;
    out->onset_error_median = emgi_median_inplace(all_on, m);
    out->offset_error_median = emgi_median_inplace(all_off, m);
    double sum_f1 = 0, sum_p = 0, sum_r = 0;
    size_t n_f1 = 0, n_p = 0, n_r = 0;
    for (size_t c = 0; c < out->n_classes; c++) {
        emg_class_score *cs = &out->classes[c];
        emgi_strlcpy(cs->label, out->labels[c], EMG_LABEL_MAX);
        fill_class(cs, truth, nt, pred, np, mt, s_on, s_off);
        if (!isnan(cs->f1))
            sum_f1 += cs->f1, n_f1++;
        if (!isnan(cs->precision))
            sum_p += cs->precision, n_p++;
        if (!isnan(cs->recall))
            sum_r += cs->recall, n_r++;
    }
    out->macro_f1 = n_f1 ? sum_f1 / (double)n_f1 : NAN;
    out->macro_precision = n_p ? sum_p / (double)n_p : NAN;
    out->macro_recall = n_r ? sum_r / (double)n_r : NAN;

    /* Confusion: label-blind matching. */
    if ((rc = match_events(mt, mp, truth, nt, pred, np, &o, 0, err)) < 0)
        goto done;
    size_t nl = out->n_labels;
    for (size_t i = 0; i < nt; i++) {
        size_t ti = label_index(out, truth[i].label);
        size_t pi = mt[i] >= 0 ? label_index(out, pred[mt[i]].label) : nl - 1;
        out->confusion[ti * nl + pi]++;
    }
    for (size_t j = 0; j < np; j++)
        if (mp[j] < 0)
            out->confusion[(nl - 1) * nl + label_index(out, pred[j].label)]++;
    rc = 0;
    if (o.sample_step > 0)
        rc = sample_scores(out, truth, nt, pred, np, &o, err);
done:
    free(mt);
    free(mp);
    free(s_on);
    free(s_off);
    free(all_on);
    free(all_off);
    return rc;
}

static int label_skipped(const char *label, const char *skip)
{
    if (!skip || !*skip)
        return 0;
    size_t n = strlen(label);
    for (const char *p = skip; *p;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == n && strncmp(p, label, n) == 0)
            return 1;
        if (!q)
            break;
        p = q + 1;
    }
    return 0;
}

int emg_scored_events_from_table(emg_scored_event **out, size_t *n, const emg_table *t,
                                 const char *path, const char *skip_labels, emg_error *err)
{
    int c_on = emg_table_column(t, "onset"), c_dur = emg_table_column(t, "duration");
    int c_lab = emg_table_column(t, "label"), c_ch = emg_table_column(t, "channel");
    int c_conf = emg_table_column(t, "confidence");
    *out = NULL;
    *n = 0;
    if (c_on < 0 || c_dur < 0 || c_lab < 0)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: event table needs columns onset, duration and label", path);
    emg_scored_event *ev = emgi_xcalloc(t->n_rows + 1, sizeof *ev, err);
    if (!ev)
        return EMG_ERR_NOMEM;
    size_t k = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *lab = emg_table_cell(t, r, c_lab);
        if (!lab || label_skipped(lab, skip_labels))
            continue;
        double on, dur;
        int rc = emg_table_event_span(t, r, c_on, c_dur, path, &on, &dur, err);
        if (rc < 0) {
            free(ev);
            return rc;
        }
        ev[k].onset = on;
        ev[k].duration = dur;
        ev[k].confidence = c_conf >= 0 ? emg_table_num(t, r, c_conf) : NAN;
        emgi_strlcpy(ev[k].label, lab, EMG_LABEL_MAX);
        const char *ch = c_ch >= 0 ? emg_table_cell(t, r, c_ch) : NULL;
        if (ch && strcmp(ch, "n/a") != 0)
            emgi_strlcpy(ev[k].channel, ch, sizeof ev[k].channel);
        k++;
    }
    *out = ev;
    *n = k;
    return 0;
}

/* "%.1f ms" of a NaN prints "nan": say what it means instead. */
static void format_ms(char *buf, size_t size, double seconds)
{
    if (isfinite(seconds))
        snprintf(buf, size, "%.1f ms", 1e3 * seconds);
    else
        snprintf(buf, size, "n/a (no matched event)");
}

int emg_score_summary(char *buf, size_t size, const emg_score_result *r)
{
    char f1[32], on[48], off[48];
    if (isfinite(r->macro_f1))
        snprintf(f1, sizeof f1, "%.3f", r->macro_f1);
    else
        snprintf(f1, sizeof f1, "n/a");
    format_ms(on, sizeof on, r->onset_error_median);
    format_ms(off, sizeof off, r->offset_error_median);
    return snprintf(buf, size,
                    "%zu truth, %zu predicted, %zu matched; macro-F1 %s over %zu classes; "
                    "median onset error %s, offset error %s",
                    r->n_truth, r->n_pred, r->n_matched, f1, r->n_classes, on, off);
}
