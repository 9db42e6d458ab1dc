/* emgkit/fatigue.h: trends of spectral and amplitude features over time,
 * with the statistics needed to test them; contraction segmentation; JASA.
 *
 * Regression: ordinary least squares with a Student-t confidence interval
 * and two-sided p-value for the slope; robust alternatives Theil-Sen (Sen
 * 1968, JASA 63:1379-1389, CI from Kendall's tau distribution, normal
 * approximation) and Huber M-estimation by IRLS (Huber 1964; Holland &
 * Welsch 1977).  The Student-t distribution is computed from the regularized
 * incomplete beta function (Numerical Recipes 3rd ed. s.6.4; Abramowitz &
 * Stegun 26.5.27 / 26.7.1).  JASA: Luttmann, Jaeger & Sokeland 1996,
 * Ergonomics 39:298-313 (joint analysis of EMG spectrum and amplitude).
 * Inference: window series are autocorrelated (overlapping windows, slowly
 * wandering spectra), so by default every interval and p-value uses the
 * effective number of independent points from the residual autocorrelation
 * (Bretherton et al. 1999, J Climate 12:1990, eq. 31; Hamed & Rao 1998 and
 * Yue & Wang 2004 for Theil-Sen / Mann-Kendall).
 * Details: docs/methods/fatigue.md. */
#ifndef EMGKIT_FATIGUE_H
#define EMGKIT_FATIGUE_H

#include "emgkit/export.h"

#include <stddef.h>
#include <stdio.h>
#include "emgkit/error.h"
#include "emgkit/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- distributions ------------------------------------------------------ */

/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1. */
EMGKIT_API double emg_betai(double a, double b, double x);
/* Student t with df degrees of freedom: P(T <= t). */
EMGKIT_API double emg_student_t_cdf(double t, double df);
/* Two-sided p-value P(|T| >= |t|). */
EMGKIT_API double emg_student_t_p2(double t, double df);
/* Quantile: the t with P(T <= t) = p, 0 < p < 1. */
EMGKIT_API double emg_student_t_quantile(double p, double df);
/* Standard normal quantile (Acklam's rational approximation refined by one Halley step). */
EMGKIT_API double emg_normal_quantile(double p);

/* ---- trends ------------------------------------------------------------- */

typedef enum emg_regression {
    EMG_REGRESSION_OLS = 0,
    EMG_REGRESSION_THEIL_SEN,
    EMG_REGRESSION_HUBER
} emg_regression;

EMGKIT_API int emg_regression_from_name(const char *name, emg_regression *out, emg_error *err);
EMGKIT_API const char *emg_regression_name(emg_regression r);

/* How the slope's interval and p-value account for dependence between points. */
typedef enum emg_inference {
    /* Default: the points count as n_eff independent ones, n_eff from the
     * autocorrelation of the fit's residuals (fatigue_inference.c); the
     * slope's standard error grows by sqrt((n-2)/(n_eff-2)) and Student t
     * takes n_eff - 2 degrees of freedom. */
    EMG_INFERENCE_NEFF = 0,
    /* Independent points (textbook OLS / Huber / Sen): only for points that
     * really are independent (n_eff = n). */
    EMG_INFERENCE_IID
} emg_inference;

EMGKIT_API int emg_inference_from_name(const char *name, emg_inference *out, emg_error *err);
EMGKIT_API const char *emg_inference_name(emg_inference i);

typedef struct emg_trend {
    size_t n;            /* points used */
    double intercept;    /* value at t = 0 (unit of y) */
    double slope;        /* unit of y per second */
    double slope_se;     /* standard error of the slope (OLS / Huber), after the
                            inference's correction; NaN for Theil-Sen */
    double ci_low;       /* 95% (or requested) confidence interval of the slope */
    double ci_high;
    double r2;           /* coefficient of determination of the fitted line */
    double p_value;      /* two-sided test of slope = 0 (t test; Kendall tau for Theil-Sen) */
    emg_inference inference; /* how ci_low, ci_high, p_value (and slope_se) were found */
    double n_eff;        /* effective number of independent points (n with EMG_INFERENCE_IID) */
    double residual_ac1; /* lag-1 autocorrelation of the residuals (a diagnostic, any inference) */
    double initial;      /* fitted value at the first point's time */
    double slope_per_min; /* 60 * slope (unit of y per minute) */
    double change_pct;   /* fitted change from t_first to t_last in % of initial */
    double change_pct_per_min; /* 100 * slope * 60 / initial (an extrapolation when
                                  the span is shorter than a minute) */
    double first_mean;   /* mean of the first `fraction` of the points (at least 1) */
    double last_mean;    /* mean of the last `fraction` */
    double first_last_change_pct; /* 100 * (last_mean - first_mean) / first_mean */
    double t_first, t_last; /* time span covered */
} emg_trend;

/* Fit y against t (seconds) over n points in time order (non-finite y or t
 * are skipped).  The point estimates depend on method only; the interval and
 * p-value on inference too (EMG_INFERENCE_NEFF unless the points are known to
 * be independent).  When no slope can be fitted (all points at one time) every
 * statistic is NaN, never a p-value beside an undefined slope.  confidence
 * in (0,1) (0.95 usual); fraction in (0, 0.5] for the first/last comparison
 * (0.1 usual).  Needs n >= 3 (EMG_ERR_ARG otherwise; the trend is filled with
 * NaN and n). */
EMGKIT_API int emg_trend_fit(emg_trend *out, const double *t, const double *y, size_t n,
                             emg_regression method, emg_inference inference, double confidence,
                             double fraction, emg_error *err);

/* Half-width of the confidence band of a fitted line (the interval of the
 * mean response) at time `at`: q * slope_se * sqrt(Sxx / n + (at - mean t)^2),
 * which is s * sqrt(1/n + (at - mean t)^2 / Sxx) with the slope's own standard
 * error, inflation for dependent points and quantile q (recovered from its
 * interval, so the band and the slope's CI agree at any confidence and
 * inference).  t: the n times the fit used (non-finite y skipped as
 * emg_trend_fit does).  NaN when the fit has no standard error (Theil-Sen)
 * or fewer than 3 points.  (fatigue_band.c) */
EMGKIT_API double emg_trend_band(const emg_trend *tr, const double *t, const double *y, size_t n,
                                 double at);

/* ---- exponential decay to a plateau (fatigue_exponential.c) ------------- */

typedef enum emg_trend_model {
    EMG_MODEL_LINEAR = 0,   /* the straight line of emg_trend_fit only */
    EMG_MODEL_EXPONENTIAL   /* also y = a + b exp(-(t - t0) / tau) and a curvature test */
} emg_trend_model;
EMGKIT_API int emg_trend_model_from_name(const char *name, emg_trend_model *out, emg_error *err);

typedef struct emg_exp_fit {
    size_t n;            /* points used */
    double t0;           /* time origin: the first point's time (s) */
    double plateau, plateau_ci_low, plateau_ci_high, plateau_se;         /* a (unit of y) */
    double amplitude, amplitude_ci_low, amplitude_ci_high, amplitude_se; /* b: fitted value at
                                                                            t0 minus the plateau */
    double tau, tau_ci_low, tau_ci_high; /* s; tau_ci_high infinite when the rate's interval
                                            reaches 0 */
    double rate, rate_se;  /* 1 / tau (1/s) and its standard error */
    double n_eff, residual_ac1; /* of the curve's residuals */
    double slope_per_min;  /* mean slope of the curve over the span, unit of y per minute */
    double change_pct;     /* fitted change from the first to the last point, % of a + b */
    double curvature, curvature_ci_low, curvature_ci_high; /* c2 of y = c0 + c1 s + c2 s^2,
                                                              unit of y per minute^2 */
    double curvature_p;    /* two-sided test of c2 = 0 (t, n_eff - 3 df) */
} emg_exp_fit;

/* Fit over n points in time order (non-finite skipped); needs 5.  The curve's
 * statistics are NaN when its best rate is at the end of the search (tau
 * beyond 100 spans: straight; below 1% of the span: a step); the curvature
 * test is always given.  Intervals as emg_trend_fit's (inference). */
EMGKIT_API int emg_exp_fit_run(emg_exp_fit *out, const double *t, const double *y, size_t n,
                               emg_inference inference, double confidence, emg_error *err);

/* ---- cohorts: random-effects pooling (fatigue_cohort.c) ------------------ */

typedef struct emg_random_effects {
    size_t k;          /* recordings (or subjects) pooled */
    double estimate;   /* pooled slope mu */
    double se;         /* its standard error */
    double ci_low, ci_high; /* interval at the requested confidence (DL: normal; HKSJ: t) */
    double p_value;    /* two-sided test of mu = 0 */
    double tau2;       /* between-subject variance (DerSimonian-Laird) */
    double q;          /* Cochran's Q */
    double i2;         /* share of the variation between subjects, 0..1 */
} emg_random_effects;

/* Pool k slopes y with standard errors se (> 0) by DerSimonian & Laird's
 * random-effects model; k >= 2. */
EMGKIT_API int emg_random_effects_dl(emg_random_effects *out, const double *y, const double *se, size_t k,
                                     double confidence, emg_error *err);
/* How the interval of the pooled effect across subjects is found. */
typedef enum emg_pooling {
    EMG_POOLING_HKSJ = 0, /* Hartung-Knapp-Sidik-Jonkman, t with k - 1 df */
    EMG_POOLING_DL,       /* DerSimonian-Laird's normal interval */
    EMG_POOLING_MKH       /* emg-fatigue's default: HKSJ, its variance at least DL's
                             (modified Knapp-Hartung), t with k - 1 df */
} emg_pooling;
/* "mkh", "hksj" or "dl"; otherwise EMG_ERR_ARG. */
EMGKIT_API int emg_pooling_from_name(const char *name, emg_pooling *out, emg_error *err);
/* The contrast b - a of two independently pooled groups (conditions). */
EMGKIT_API void emg_random_effects_contrast(emg_random_effects *out, const emg_random_effects *a,
                                            const emg_random_effects *b, double confidence);

/* ---- group table: subjects, conditions, contrasts (fatigue_group_table.c) ---- */

/* The group table (docs/methods/fatigue.md, "Cohorts"): from a trend table as
 * emg-fatigue writes it (with a `window` column: fatigue before events, the
 * window kind is the condition), and an optional cohort table (columns
 * `subject` or `participant_id`, optional `file` and `condition`; without a
 * file column a recording is matched by its BIDS `sub-LABEL_` name), write
 * per (channel, feature) the units, subjects with several units, pooled
 * conditions and contrasts (across subjects by method; a subject's units by
 * DL).  Recordings missing from the cohort are named in *missing (malloc'd,
 * one per line; NULL when none).  Slopes per minute. */
struct emg_table;
/* Whether a cohort table has the columns emg_group_table_write needs (EMG_ERR_FORMAT). */
EMGKIT_API int emg_group_cohort_check(const struct emg_table *cohort, const char *name, emg_error *err);
EMGKIT_API int emg_group_table_write(FILE *out, const struct emg_table *trends,
                                     const char *trends_name, const struct emg_table *cohort,
                                     const char *cohort_name, emg_pooling method,
                                     double confidence, char **missing, emg_error *err);

/* ---- is there anything to fit? (fatigue_activity.c) --------------------- */

/* The windows of one span (a channel, a contraction) by their flags. */
typedef struct emg_window_census {
    size_t total;    /* windows in the span */
    size_t active;   /* not flagged rest, low_snr, clipped, flat or gap */
    size_t quiet;    /* flagged rest or low_snr (at the noise floor) */
    int floor_known; /* the channel's noise floor is known (estimated or given) */
} emg_window_census;

typedef enum emg_trend_status {
    EMG_TREND_OK = 0,            /* a trend over active windows */
    EMG_TREND_NO_ACTIVITY,       /* fewer than 3 active windows and the others at the
                                    noise floor: no contraction, no trend */
    EMG_TREND_TOO_FEW_WINDOWS,   /* fewer than 3 active windows for other reasons (a short
                                    span, clipped, flat, gaps): no trend */
    EMG_TREND_NO_REST_REFERENCE  /* a trend, but the noise floor is unknown (no rest in the
                                    recording, no --noise-rms): activity not verified */
} emg_trend_status;

EMGKIT_API emg_trend_status emg_trend_status_of(const emg_window_census *c);
/* Whether a span with this status gets a trend (OK, NO_REST_REFERENCE). */
EMGKIT_API int emg_trend_status_fits(emg_trend_status s);
EMGKIT_API const char *emg_trend_status_name(emg_trend_status s);

/* ---- JASA --------------------------------------------------------------- */

typedef enum emg_jasa {
    EMG_JASA_UNDETERMINED = 0, /* a slope is not significantly different from zero */
    EMG_JASA_FATIGUE,          /* amplitude up, MDF down */
    EMG_JASA_FORCE_INCREASE,   /* amplitude up, MDF up */
    EMG_JASA_FORCE_DECREASE,   /* amplitude down, MDF down */
    EMG_JASA_RECOVERY          /* amplitude down, MDF up */
} emg_jasa;

/* Quadrant from the signs of the RMS and MDF slopes.  When
 * require_significance is set, a slope whose CI contains 0 gives UNDETERMINED. */
EMGKIT_API emg_jasa emg_jasa_classify(const emg_trend *rms, const emg_trend *mdf, int require_significance);
EMGKIT_API const char *emg_jasa_name(emg_jasa q);

/* ---- contractions ------------------------------------------------------- */

typedef struct emg_segment {
    double onset;    /* seconds */
    double duration; /* seconds */
    char channel[EMG_NAME_MAX]; /* channel name or 1-based index it applies to; "" = all */
} emg_segment;

/* Contractions from a window series: runs of active windows (active[i] != 0)
 * at times t[i] (window onsets, step apart), merged across gaps shorter than
 * max_gap_s, kept when at least min_duration_s long.  window_s is the window
 * length (a run ends window_s after its last onset).  *segs malloc'd. */
EMGKIT_API int emg_contractions_from_windows(emg_segment **segs, size_t *n_segs, const double *t,
                                             const int *active, size_t n, double window_s,
                                             double max_gap_s, double min_duration_s, emg_error *err);

/* Read segments from an event TSV (columns onset and duration, BIDS style;
 * an optional channel column restricts a row to one channel, "n/a" = all),
 * sorted by onset.  A table of several recordings (a file column, as the
 * tools write it) gives only the rows of recording (the same path, or the
 * same file under another name); recording NULL, or a table without a file
 * column, gives every row. */
EMGKIT_API int emg_segments_read(emg_segment **segs, size_t *n_segs, const char *path,
                                 const char *recording, emg_error *err);

/* Events from an event table, as emg_segments_read but a duration may be 0
 * or n/a (an instant), and labels (comma-separated, NULL: every row) keeps
 * only the rows whose `label` is one of them. */
EMGKIT_API int emg_events_read(emg_segment **events, size_t *n_events, const char *path,
                               const char *recording, const char *labels, emg_error *err);

/* ---- fatigue before events (fatigue_events.c) ---------------------------- */

typedef struct emg_event_window {
    double onset, duration; /* seconds */
    size_t event;           /* 1-based index of the event it leads to; 0: a control window */
} emg_event_window;

/* The lead window [o - lead, o) before each event (onset o) that lies in
 * [start, end) and holds no part of another event, and control windows of
 * the same length that keep guard seconds away from every event's lead
 * window and span (events sorted by onset; *n_dropped: events whose lead
 * window was not kept).  Windows in time order; *windows malloc'd. */
EMGKIT_API int emg_event_windows(emg_event_window **windows, size_t *n_windows, size_t *n_dropped,
                                 const emg_segment *events, size_t n_events, double start,
                                 double end, double lead, double guard, emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
