/* fatigue_cohort.c: per-recording fatigue slopes combined over a cohort by a
 * random-effects model.
 *
 * Each recording i gives a slope y_i with its standard error s_i (the n_eff
 * corrected one of emg_trend_fit).  Subjects differ in how fast they fatigue,
 * so y_i = mu + u_i + e_i with u_i ~ N(0, tau^2) between subjects and
 * e_i ~ N(0, s_i^2) within a recording.  tau^2 by the method of moments of
 * DerSimonian & Laird (1986, Control Clin Trials 7:177-188, eq. 8):
 *     w_i = 1/s_i^2, Q = sum w_i (y_i - y_fe)^2,
 *     tau^2 = max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w)),
 * then mu = sum w*_i y_i / sum w*_i with w*_i = 1/(s_i^2 + tau^2), se(mu) =
 * 1/sqrt(sum w*), normal interval and two-sided p-value (as
 * statsmodels.stats.meta_analysis.combine_effects, method_re="dl"); I^2 =
 * max(0, (Q - (k-1)) / Q) (Higgins & Thompson 2002, Stat Med 21:1539).
 * emgi_random_effects_hksj keeps mu and tau^2 and gives the Hartung-Knapp-
 * Sidik-Jonkman interval; with the floor of Knapp & Hartung (2003) it is
 * emg-fatigue's default for pooling subjects (EMG_POOLING_MKH). */
#include "emgkit/fatigue.h"
#include "fatigue_internal.h"

#include <math.h>
#include <string.h>

int emg_random_effects_dl(emg_random_effects *o, const double *y, const double *se, size_t k,
                          double confidence, emg_error *err)
{
    *o = (emg_random_effects){k, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    if (!(confidence > 0 && confidence < 1))
        return emg_error_set(err, EMG_ERR_ARG, "confidence must be in (0,1)");
    if (k < 2)
        return emg_error_set(err, EMG_ERR_ARG, "a random-effects model needs 2 recordings (got %zu)", k);
    double sw = 0, sw2 = 0, swy = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(se[i] > 0) || !isfinite(y[i]))
            return emg_error_set(err, EMG_ERR_ARG, "recording %zu: slope %g with standard error %g",
                                 i + 1, y[i], se[i]);
        double w = 1 / (se[i] * se[i]);
        sw += w, sw2 += w * w, swy += w * y[i];
    }
    double fe = swy / sw, q = 0;
    for (size_t i = 0; i < k; i++)
        q += (y[i] - fe) * (y[i] - fe) / (se[i] * se[i]);
    double df = (double)k - 1;
    o->q = q;
    o->tau2 = fmax(0, (q - df) / (sw - sw2 / sw));
    o->i2 = q > 0 ? fmax(0, (q - df) / q) : 0;
    double sr = 0, sry = 0;
    for (size_t i = 0; i < k; i++) {
        double w = 1 / (se[i] * se[i] + o->tau2);
        sr += w, sry += w * y[i];
    }
    o->estimate = sry / sr;
    o->se = 1 / sqrt(sr);
    double z = emg_normal_quantile(0.5 + confidence / 2);
    o->ci_low = o->estimate - z * o->se;
    o->ci_high = o->estimate + z * o->se;
    o->p_value = erfc(fabs(o->estimate / o->se) / M_SQRT2);
    return 0;
}

/* Hartung & Knapp (2001) and Sidik & Jonkman (2002): the same mu and tau^2,
 * the variance of mu from the weighted residuals,
 *     var = sum w*_i (y_i - mu)^2 / ((k - 1) sum w*),
 * and Student t with k - 1 degrees of freedom (statsmodels' var_hksj_re with
 * conf_int(use_t=True)).  DL's normal interval treats tau^2 as known and
 * excludes a zero effect too often with few subjects (IntHout, Ioannidis &
 * Borm 2014, BMC Med Res Methodol 14:25).
 *
 * floor_at_dl: the modified Knapp-Hartung interval (Knapp & Hartung 2003,
 * Stat Med 22:2693; Roever, Knapp & Friede 2015, BMC Med Res Methodol 15:99;
 * Jackson, Law, Ruecker & Schwarzer 2017, Stat Med 36:3923): the variance is
 * max(HKSJ's, DL's 1 / sum w*), i.e. the weighted residual variance factor
 * q* = sum w*_i (y_i - mu)^2 / (k - 1) is taken as at least 1.  When the
 * units agree better than their standard errors say (q* < 1, typical of a
 * paired contrast, where the subjects' own rates of fatigue cancel and tau^2
 * is near 0), plain HKSJ is narrower than even the fixed-effect interval and
 * too liberal (Wiksten, Ruecker & Schwarzer 2016, Stat Med 35:2503);
 * emg-fatigue's simulated cohorts show it (docs/methods/fatigue.md, "Cohorts"). */
int emgi_random_effects_hksj(emg_random_effects *o, const double *y, const double *se, size_t k,
                            int floor_at_dl, double confidence, emg_error *err)
{
    int rc = emg_random_effects_dl(o, y, se, k, confidence, err);
    if (rc < 0)
        return rc;
    double sw = 0, swr = 0;
    for (size_t i = 0; i < k; i++) {
        double w = 1 / (se[i] * se[i] + o->tau2), r = y[i] - o->estimate;
        sw += w, swr += w * r * r;
    }
    double df = (double)k - 1, q_star = swr / df;
    if (floor_at_dl)
        q_star = fmax(q_star, 1);
    o->se = sqrt(q_star / sw);
    double t = emg_student_t_quantile(0.5 + confidence / 2, df);
    o->ci_low = o->estimate - t * o->se;
    o->ci_high = o->estimate + t * o->se;
    o->p_value = o->se > 0 ? emg_student_t_p2(o->estimate / o->se, df) : NAN;
    return 0;
}

int emgi_random_effects_pool(emg_random_effects *o, const double *y, const double *se,
                            size_t k, emg_pooling method, double confidence, emg_error *err)
{
    if (method == EMG_POOLING_DL)
        return emg_random_effects_dl(o, y, se, k, confidence, err);
    return emgi_random_effects_hksj(o, y, se, k, method == EMG_POOLING_MKH, confidence, err);
}

int emg_pooling_from_name(const char *name, emg_pooling *out, emg_error *err)
{
    if (!strcmp(name, "mkh"))
        *out = EMG_POOLING_MKH;
    else if (!strcmp(name, "hksj"))
        *out = EMG_POOLING_HKSJ;
    else if (!strcmp(name, "dl"))
        *out = EMG_POOLING_DL;
    else
        return emg_error_set(err, EMG_ERR_ARG, "unknown pooling '%s' (mkh, hksj, dl)", name);
    return 0;
}

void emg_random_effects_contrast(emg_random_effects *o, const emg_random_effects *a,
                                 const emg_random_effects *b, double confidence)
{
    /* b - a for independent groups (each with its own tau^2): normal test. */
    *o = (emg_random_effects){a->k + b->k, b->estimate - a->estimate, NAN, NAN, NAN, NAN, NAN,
                              NAN, NAN};
    o->se = sqrt(a->se * a->se + b->se * b->se);
    double z = emg_normal_quantile(0.5 + confidence / 2);
    o->ci_low = o->estimate - z * o->se;
    o->ci_high = o->estimate + z * o->se;
    o->p_value = o->se > 0 ? erfc(fabs(o->estimate / o->se) / M_SQRT2) : NAN;
}
