/* fatigue_band.c: the confidence band of a fitted trend line, for figures
 * (emg-plot trend) and reports.  The band is the interval of the mean
 * response of ordinary least squares (e.g. Draper & Smith 1998, Applied
 * Regression Analysis, 3rd ed., s.3.1):
 *   yhat(t) +- q * s * sqrt(1/n + (t - tbar)^2 / Sxx),
 * written with the slope's standard error se = s / sqrt(Sxx) as
 *   q * se * sqrt(Sxx / n + (t - tbar)^2),
 * so that it carries the same inflation for autocorrelated windows (n_eff,
 * fatigue_inference.c) and the same quantile as the slope's interval; q is
 * recovered from that interval, (ci_high - slope) / se. */
#include <math.h>

#include "emgkit/fatigue.h"

double emg_trend_band(const emg_trend *tr, const double *t, const double *y, size_t n, double at)
{
    if (!(tr->slope_se > 0) || !isfinite(tr->ci_high) || !isfinite(tr->slope))
        return NAN;
    double sum = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(t[i]) && isfinite(y[i])) {
            sum += t[i];
            m++;
        }
    if (m < 3)
        return NAN;
    double tbar = sum / m, sxx = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(t[i]) && isfinite(y[i]))
            sxx += (t[i] - tbar) * (t[i] - tbar);
    double q = (tr->ci_high - tr->slope) / tr->slope_se;
    return q * tr->slope_se * sqrt(sxx / m + (at - tbar) * (at - tbar));
}
