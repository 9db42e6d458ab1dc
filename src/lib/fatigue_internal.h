/* fatigue_internal.h: the dependence correction shared by the trend fits
 * (fatigue.c) and estimated in fatigue_inference.c; the random-effects
 * pooling and group estimates behind the group table (fatigue_cohort.c,
 * fatigue_group.c, used by fatigue_group_table.c). */
#ifndef EMGKIT_FATIGUE_INTERNAL_H
#define EMGKIT_FATIGUE_INTERNAL_H

#include "emgkit/fatigue.h"

/* How dependent the points of one fit are. */
typedef struct trend_dependence {
    emg_inference inference;
    double n;            /* points */
    double n_eff;        /* effective number of independent points, 3 <= n_eff <= n */
    double residual_ac1; /* lag-1 autocorrelation of the residuals */
} trend_dependence;

/* Estimate the dependence of the residuals r of a line fitted to the n
 * points (t, y) in time order; with EMG_INFERENCE_IID, n_eff = n. */
int trend_dependence_estimate(trend_dependence *d, const double *t, const double *r, size_t n,
                              emg_inference inference, emg_error *err);

/* Degrees of freedom of the slope's t statistic: n_eff - 2. */
double trend_dependence_dof(const trend_dependence *d);

/* Factor by which an independent-points standard error of the slope grows:
 * sqrt((n - 2) / (n_eff - 2)) (1 with EMG_INFERENCE_IID). */
double trend_dependence_se_factor(const trend_dependence *d);

/* Whether a table's file cell names recording: the same text, or the same file. */
int fatigue_same_recording(const char *cell, const char *recording);

/* ---- cohorts: random-effects pooling (fatigue_cohort.c) ------------------ */

/* The same tau^2 and mu as emg_random_effects_dl with Hartung-Knapp-Sidik-
 * Jonkman's variance of mu (floor_at_dl: at least DL's, the modified
 * Knapp-Hartung interval) and Student t with k - 1 df; k >= 2. */
int emgi_random_effects_hksj(emg_random_effects *out, const double *y, const double *se, size_t k,
                             int floor_at_dl, double confidence, emg_error *err);
/* Pool by method (emgi_random_effects_hksj or emg_random_effects_dl). */
int emgi_random_effects_pool(emg_random_effects *out, const double *y, const double *se,
                             size_t k, emg_pooling method, double confidence, emg_error *err);

/* ---- group effects: subjects, conditions, contrasts (fatigue_group.c) ---- */

/* One slope (a recording's trend, or one window's) of a subject in a condition. */
typedef struct emg_group_unit {
    const char *subject;
    const char *condition;
    double y;  /* slope */
    double se; /* its standard error (> 0) */
} emg_group_unit;

typedef struct emg_group_estimate {
    emg_random_effects re; /* re.k: subjects pooled */
    size_t n_units;        /* units behind them */
    int paired;            /* contrasts: 1 within subjects, 0 independent groups */
} emg_group_estimate;

/* A subject's units of a condition (NULL: every condition) combined by the
 * random-effects model; one unit stands for itself.  *n_units: how many;
 * EMG_ERR_ARG when there is none. */
int emgi_group_subject(emg_random_effects *out, size_t *n_units, const emg_group_unit *u,
                       size_t n, const char *subject, const char *condition, double confidence,
                       emg_error *err);
/* The subjects' estimates of a condition (NULL: all) pooled across subjects
 * (two-stage random effects); EMG_ERR_ARG with fewer than 2 subjects. */
int emgi_group_pool(emg_group_estimate *out, const emg_group_unit *u, size_t n,
                    const char *condition, emg_pooling method, double confidence, emg_error *err);
/* condition minus reference: paired within subjects when at least 2 subjects
 * have both, else independent groups. */
int emgi_group_contrast(emg_group_estimate *out, const emg_group_unit *u, size_t n,
                        const char *reference, const char *condition, emg_pooling method,
                        double confidence, emg_error *err);

#endif
