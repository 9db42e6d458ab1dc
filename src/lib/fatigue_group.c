/* fatigue_group.c: group-level fatigue effects from per-unit slopes.
 *
 * A unit is one slope with its standard error: a recording's trend (a
 * cohort) or the trend of one window before an event or of a control window
 * (fatigue before events).  Units belong to a subject and a condition.
 * Units of one subject are not independent of each other (the subject's own
 * rate of fatigue), so the model is two-stage:
 *   1. a subject's units of one condition are combined by the random-effects
 *      model (DerSimonian & Laird 1986), which is the inverse-variance mean
 *      when they agree within their errors (tau^2 = 0) and widens when the
 *      subject's windows or sessions differ by more than their errors; one
 *      unit stands for itself;
 *   2. the subjects' estimates are pooled by the same model across subjects:
 *      tau^2 is then the between-subject variance; the interval of the pooled
 *      effect by Hartung-Knapp-Sidik-Jonkman with the Knapp-Hartung floor
 *      (default), without it, or DL's normal one (fatigue_cohort.c).
 * A contrast (condition minus reference) is paired when at least two
 * subjects have both conditions: each such subject's difference, with the
 * standard errors added in quadrature, is pooled across subjects (the
 * within-subject design of fatigued vs rested, or pre-event vs control
 * windows of one recording; subjects with only one of the two are left
 * out).  Otherwise the two conditions are pooled separately and compared as
 * independent groups (emg_random_effects_contrast).
 * Method: docs/methods/fatigue.md, "Cohorts". */
#include "emgkit/fatigue.h"
#include "fatigue_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static int in_condition(const emg_group_unit *u, const char *condition)
{
    return !condition || same(u->condition, condition);
}

/* Distinct subjects (first unit of each) among the units of condition. */
static size_t subjects_of(const emg_group_unit *u, size_t n, const char *condition,
                          size_t *first)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_condition(&u[i], condition))
            continue;
        size_t j = 0;
        while (j < k && !same(u[first[j]].subject, u[i].subject))
            j++;
        if (j == k)
            first[k++] = i;
    }
    return k;
}

int emgi_group_subject(emg_random_effects *out, size_t *n_units, const emg_group_unit *u,
                      size_t n, const char *subject, const char *condition, double confidence,
                      emg_error *err)
{
    double *y = malloc((n ? n : 1) * sizeof *y), *se = malloc((n ? n : 1) * sizeof *se);
    if (!y || !se) {
        free(y);
        free(se);
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (in_condition(&u[i], condition) && same(u[i].subject, subject)) {
            y[k] = u[i].y;
            se[k++] = u[i].se;
        }
    *n_units = k;
    int rc = 0;
    if (k == 1) {
        double z = emg_normal_quantile(0.5 + confidence / 2);
        *out = (emg_random_effects){1, y[0], se[0], y[0] - z * se[0], y[0] + z * se[0],
                                    erfc(fabs(y[0] / se[0]) / M_SQRT2), 0, 0, 0};
    } else {
        rc = emg_random_effects_dl(out, y, se, k, confidence, err);
    }
    free(y);
    free(se);
    return rc;
}

/* The subjects' estimates of condition: y[i], se[i] for subject first[i]. */
static int subject_estimates(double *y, double *se, const size_t *first, size_t k,
                             const emg_group_unit *u, size_t n, const char *condition,
                             double confidence, emg_error *err)
{
    for (size_t i = 0; i < k; i++) {
        emg_random_effects s;
        size_t m;
        if (emgi_group_subject(&s, &m, u, n, u[first[i]].subject, condition, confidence, err) < 0)
            return err->status;
        y[i] = s.estimate;
        se[i] = s.se;
    }
    return 0;
}

int emgi_group_pool(emg_group_estimate *out, const emg_group_unit *u, size_t n,
                   const char *condition, emg_pooling method, double confidence, emg_error *err)
{
    memset(out, 0, sizeof *out);
    size_t *first = malloc((n ? n : 1) * sizeof *first);
    double *y = malloc((n ? n : 1) * sizeof *y), *se = malloc((n ? n : 1) * sizeof *se);
    int rc = !first || !y || !se ? emg_error_set(err, EMG_ERR_NOMEM, "out of memory") : 0;
    size_t k = rc ? 0 : subjects_of(u, n, condition, first);
    for (size_t i = 0; i < n && !rc; i++)
        out->n_units += in_condition(&u[i], condition);
    if (!rc)
        rc = subject_estimates(y, se, first, k, u, n, condition, confidence, err);
    if (!rc)
        rc = emgi_random_effects_pool(&out->re, y, se, k, method, confidence, err);
    out->re.k = k;
    free(first);
    free(y);
    free(se);
    return rc;
}

/* Paired contrast over the subjects that have both conditions; *k_paired
 * their count (the contrast is computed when it is at least 2). */
static int paired_contrast(emg_group_estimate *out, size_t *k_paired, const emg_group_unit *u,
                           size_t n, const char *reference, const char *condition,
                           emg_pooling method, double confidence, emg_error *err)
{
    size_t *first = malloc((n ? n : 1) * sizeof *first);
    double *d = malloc((n ? n : 1) * sizeof *d), *se = malloc((n ? n : 1) * sizeof *se);
    int rc = !first || !d || !se ? emg_error_set(err, EMG_ERR_NOMEM, "out of memory") : 0;
    size_t k = rc ? 0 : subjects_of(u, n, NULL, first), m = 0;
    for (size_t i = 0; i < k && !rc; i++) {
        emg_random_effects a, b;
        size_t na = 0, nb = 0;
        const char *subject = u[first[i]].subject;
        if (emgi_group_subject(&a, &na, u, n, subject, reference, confidence, err) < 0 ||
            emgi_group_subject(&b, &nb, u, n, subject, condition, confidence, err) < 0) {
            if (err->status != EMG_ERR_ARG || (na && nb))
                rc = err->status;
            continue; /* the subject lacks one of the two */
        }
        d[m] = b.estimate - a.estimate;
        se[m++] = sqrt(a.se * a.se + b.se * b.se);
        out->n_units += na + nb;
    }
    *k_paired = m;
    if (!rc && m >= 2)
        rc = emgi_random_effects_pool(&out->re, d, se, m, method, confidence, err);
    free(first);
    free(d);
    free(se);
    return rc;
}

int emgi_group_contrast(emg_group_estimate *out, const emg_group_unit *u, size_t n,
                       const char *reference, const char *condition, emg_pooling method,
                       double confidence, emg_error *err)
{
    memset(out, 0, sizeof *out);
    size_t k_paired;
    int rc = paired_contrast(out, &k_paired, u, n, reference, condition, method, confidence,
                             err);
    if (rc < 0 || k_paired >= 2) {
        out->paired = 1;
        return rc;
    }
    emg_group_estimate a, b;
    int rc_a = emgi_group_pool(&a, u, n, reference, method, confidence, err);
    emg_error err_b;
    int rc_b = emgi_group_pool(&b, u, n, condition, method, confidence, &err_b);
    out->paired = 0;
    out->n_units = a.n_units + b.n_units;
    out->re.k = a.re.k + b.re.k;
    if (rc_a < 0)
        return rc_a;
    if (rc_b < 0) {
        *err = err_b;
        return rc_b;
    }
    emg_random_effects_contrast(&out->re, &a.re, &b.re, confidence);
    return 0;
}
