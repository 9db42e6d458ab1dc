/* fatigue_inference.c: the effective number of independent points of a
 * trend fit, from the autocorrelation of its residuals.
 *
 * Windows of a fatigue analysis overlap (1 s windows every 0.5 or 0.1 s share
 * samples) and the spectrum of a sustained contraction wanders slowly (MDF
 * fluctuations with a correlation time near 1 s), so neighbouring residuals
 * are positively correlated and the textbook interval, which counts every
 * window as independent, is far too narrow (docs/methods/fatigue.md: 40-70%
 * false positives instead of 5%).
 *
 * Method (Bretherton, Widmann, Dymnikov, Wallace & Blade 1999, J Climate
 * 12:1990-2009, eq. 31, after Bayley & Hammersley 1946, JRSS Suppl 8:184):
 * the variance of a regression slope on a regressor x with autocorrelation
 * rho_x(k) and residuals with autocorrelation rho_r(k) is that of
 *     n_eff = n / (1 + 2 sum_{k=1..K} (1 - k/n) rho_x(k) rho_r(k))
 * independent points.  The sum stops before the first lag whose residual
 * autocorrelation is <= 0 (the first-zero-crossing truncation; beyond it the
 * estimates are noise).  Sample autocorrelations of residuals are biased low:
 * removing a fitted mean lowers every autocovariance by about Var(mean) =
 * sigma^2 / n_eff (Priestley 1981, Spectral Analysis and Time Series,
 * s.5.3.3), a fitted line by about twice that; so rho_r(k) is corrected to
 * (rho(k) + c / n_eff) / (1 + c / n_eff) with c = 2 and n_eff re-estimated,
 * a few times (fixed point).  Without the correction 30 s recordings gave
 * 9-12% false positives; with it 5-8.5% (simulation, fatigue.md). */
#include "fatigue_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The method's constants, in one place. */
static const struct {
    double min_n_eff;        /* floor: keeps one degree of freedom for the t test */
    double fitted_params;    /* c: coefficients removed by the fit (intercept, slope) */
    int bias_iterations;     /* fixed-point steps of the bias correction */
    double max_lag_fraction; /* autocorrelations up to this fraction of n */
} NEFF = {3.0, 2.0, 3, 0.5};

/* Lag-k autocorrelation of the n values v about their mean (biased
 * estimator: the denominator is the lag-0 sum, as in Box & Jenkins). */
static double autocorrelation(const double *v, size_t n, double mean, double var_sum, size_t k)
{
    double s = 0;
    for (size_t i = 0; i + k < n; i++)
        s += (v[i] - mean) * (v[i + k] - mean);
    return var_sum > 0 ? s / var_sum : 0;
}

static void mean_and_sum_sq(const double *v, size_t n, double *mean, double *sum_sq)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += v[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    *mean = m;
    *sum_sq = s;
}

/* Autocorrelations of the residuals and of the regressor, computed lag by
 * lag as the truncation asks for them (it usually stops after a few lags). */
typedef struct lag_cache {
    const double *r, *t;
    size_t n, max_lag, computed;
    double r_mean, r_ss, t_mean, t_ss;
    double *rho_r, *rho_x; /* [1..max_lag] */
} lag_cache;

static void lag_cache_fill(lag_cache *c, size_t k)
{
    for (; c->computed < k; c->computed++) {
        size_t j = c->computed + 1;
        c->rho_r[j] = autocorrelation(c->r, c->n, c->r_mean, c->r_ss, j);
        c->rho_x[j] = autocorrelation(c->t, c->n, c->t_mean, c->t_ss, j);
    }
}

/* Bretherton's n_eff with the residual autocorrelations corrected for the
 * fit's bias at the current n_eff. */
static double n_eff_at(lag_cache *c, double n_eff)
{
    double n = (double)c->n, bias = NEFF.fitted_params / n_eff, sum = 0;
    for (size_t k = 1; k <= c->max_lag; k++) {
        lag_cache_fill(c, k);
        double rho = (c->rho_r[k] + bias) / (1 + bias);
        if (rho <= 0)
            break; /* first zero crossing */
        sum += (1 - (double)k / n) * c->rho_x[k] * rho;
    }
    return fmin(n, fmax(NEFF.min_n_eff, n / (1 + 2 * sum)));
}

int trend_dependence_estimate(trend_dependence *d, const double *t, const double *r, size_t n,
                              emg_inference inference, emg_error *err)
{
    lag_cache c = {.r = r, .t = t, .n = n, .max_lag = (size_t)(NEFF.max_lag_fraction * (double)n)};
    mean_and_sum_sq(r, n, &c.r_mean, &c.r_ss);
    mean_and_sum_sq(t, n, &c.t_mean, &c.t_ss);
    d->inference = inference;
    d->n = (double)n;
    d->n_eff = (double)n;
    d->residual_ac1 = n > 1 ? autocorrelation(r, n, c.r_mean, c.r_ss, 1) : NAN;
    if (inference == EMG_INFERENCE_IID)
        return 0;
    c.rho_r = malloc((c.max_lag + 1) * sizeof *c.rho_r);
    c.rho_x = malloc((c.max_lag + 1) * sizeof *c.rho_x);
    if (!c.rho_r || !c.rho_x) {
        free(c.rho_r);
        free(c.rho_x);
        return emg_error_set(err, EMG_ERR_NOMEM, "trend inference: out of memory");
    }
    double ne = (double)n; /* no correction yet */
    for (int it = 0; it <= NEFF.bias_iterations; it++)
        ne = n_eff_at(&c, ne);
    d->n_eff = ne;
    free(c.rho_r);
    free(c.rho_x);
    return 0;
}

double trend_dependence_dof(const trend_dependence *d) { return d->n_eff - 2; }

double trend_dependence_se_factor(const trend_dependence *d)
{
    return sqrt((d->n - 2) / (d->n_eff - 2));
}

int emg_inference_from_name(const char *name, emg_inference *out, emg_error *err)
{
    if (!strcmp(name, "n_eff") || !strcmp(name, "neff"))
        *out = EMG_INFERENCE_NEFF;
    else if (!strcmp(name, "iid"))
        *out = EMG_INFERENCE_IID;
    else
        return emg_error_set(err, EMG_ERR_ARG, "unknown inference '%s' (n_eff, iid)", name);
    return 0;
}

const char *emg_inference_name(emg_inference i)
{
    switch (i) {
    case EMG_INFERENCE_NEFF: return "n_eff";
    case EMG_INFERENCE_IID: return "iid";
    }
    return "?";
}
