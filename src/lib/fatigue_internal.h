/* fatigue_internal.h: the dependence correction shared by the trend fits
 * (fatigue.c) and estimated in fatigue_inference.c. */
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

#endif
