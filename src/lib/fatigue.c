/* fatigue.c: trend statistics for fatigue analysis, contraction segments,
 * and the joint analysis of EMG spectrum and amplitude.
 *
 * Distributions: the regularized incomplete beta function by its continued
 * fraction (Numerical Recipes in C, 2nd ed., s.6.4, betai/betacf; Abramowitz
 * & Stegun 26.5.8), Student's t from it (A&S 26.7.1: P(|T| > t) =
 * I_{df/(df+t^2)}(df/2, 1/2)), the t quantile by safeguarded bisection on
 * that, the normal quantile by Acklam's algorithm with one Halley step.
 * Regressions: OLS with Student-t CI; Theil-Sen (Theil 1950; Sen 1968, JASA
 * 63:1379) with the distribution-free CI from Kendall's S (Sen 1968, eq. 2.6;
 * Hollander & Wolfe 1999, s.9.4) and the Mann-Kendall p-value; Huber
 * M-estimation (Huber 1964, k = 1.345, MAD scale) by iteratively reweighted
 * least squares (Holland & Welsch 1977) with Huber's (1981, eq. 7.6.6)
 * asymptotic covariance.  Every interval and p-value counts the points as
 * the effective number of independent ones that fatigue_inference.c
 * estimates from the residuals (or as independent with EMG_INFERENCE_IID).
 * JASA: Luttmann, Jaeger & Sokeland 1996, Ergonomics 39:298-313. */
#include "emgkit/fatigue.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emgkit/table.h"
#include "fatigue_internal.h"
#include "io_internal.h"

/* ---- distributions ------------------------------------------------------ */

/* One modified-Lentz step with partial numerator aa: updates c and d and
 * returns the factor d * c by which the fraction changes. */
static double lentz_step(double aa, double *c, double *d)
{
    const double tiny = 1e-300;
    *d = 1 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

/* Continued fraction for I_x(a, b) (NR betacf, modified Lentz): each
 * iteration takes the even then the odd term of the fraction. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        int m2 = 2 * m;
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
        double del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= del;
        if (fabs(del - 1) < eps)
            break;
    }
    return h;
}

double emg_betai(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
        return NAN;
    if (x == 0 || x == 1)
        return x;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double bt = exp(lbt);
    /* The continued fraction converges fast for x < (a+1)/(a+b+2); use the
     * symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise. */
    if (x < (a + 1) / (a + b + 2))
        return bt * beta_cf(a, b, x) / a;
    return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

double emg_student_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    double tail = 0.5 * emg_betai(df / 2, 0.5, df / (df + t * t));
    return t > 0 ? 1 - tail : tail;
}

double emg_student_t_p2(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return 0;
    return emg_betai(df / 2, 0.5, df / (df + t * t));
}

double emg_student_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    if (p == 0.5)
        return 0;
    /* Bracket, then bisect: the cdf is monotone; 200 halvings reach double precision. */
    double lo = -1, hi = 1;
    while (emg_student_t_cdf(lo, df) > p && lo > -1e300)
        lo *= 2;
    while (emg_student_t_cdf(hi, df) < p && hi < 1e300)
        hi *= 2;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        if (emg_student_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double normal_cdf(double z) { return 0.5 * erfc(-z / M_SQRT2); }

double emg_normal_quantile(double p)
{
    if (!(p > 0 && p < 1))
        return NAN;
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, r, x;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    /* One Halley step on Phi(x) - p brings it to full double precision. */
    double e = normal_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* ---- regressions --------------------------------------------------------- */

int emg_regression_from_name(const char *name, emg_regression *out, emg_error *err)
{
    if (emgi_str_ieq(name, "ols"))
        *out = EMG_REGRESSION_OLS;
    else if (emgi_str_ieq(name, "theil-sen") || emgi_str_ieq(name, "theilsen") ||
             emgi_str_ieq(name, "sen"))
        *out = EMG_REGRESSION_THEIL_SEN;
    else if (emgi_str_ieq(name, "huber"))
        *out = EMG_REGRESSION_HUBER;
    else
        return emg_error_set(err, EMG_ERR_ARG, "unknown regression '%s' (ols, theil-sen, huber)", name);
    return 0;
}

const char *emg_regression_name(emg_regression r)
{
    switch (r) {
    case EMG_REGRESSION_OLS: return "ols";
    case EMG_REGRESSION_THEIL_SEN: return "theil-sen";
    case EMG_REGRESSION_HUBER: return "huber";
    }
    return "?";
}

static void trend_nan(emg_trend *o, size_t n)
{
    double nan = NAN;
    o->n = n;
    o->intercept = o->slope = o->slope_se = o->ci_low = o->ci_high = o->r2 = o->p_value = nan;
    o->n_eff = o->residual_ac1 = o->slope_per_min = o->change_pct = nan;
    o->initial = o->change_pct_per_min = o->first_mean = o->last_mean = nan;
    o->first_last_change_pct = o->t_first = o->t_last = nan;
}

/* Weighted least squares line; w may be NULL (OLS). */
static void wls(const double *t, const double *y, const double *w, size_t n, double *a,
                double *b, double *sxx_out)
{
    double sw = 0, st = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        sw += wi;
        st += wi * t[i];
        sy += wi * y[i];
    }
    double tm = st / sw, ym = sy / sw, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        sxx += wi * (t[i] - tm) * (t[i] - tm);
        sxy += wi * (t[i] - tm) * (y[i] - ym);
    }
    *b = sxx > 0 ? sxy / sxx : NAN;
    *a = ym - *b * tm;
    if (sxx_out)
        *sxx_out = sxx;
}


static double r_squared(const double *t, const double *y, size_t n, double a, double b)
{
    double ym = 0, sst = 0, sse = 0;
    for (size_t i = 0; i < n; i++)
        ym += y[i];
    ym /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - (a + b * t[i]);
        sse += r * r;
        sst += (y[i] - ym) * (y[i] - ym);
    }
    return sst > 0 ? 1 - sse / sst : NAN;
}

/* The line a + b t in o: its coefficients, R^2 and the dependence of its
 * residuals (n_eff and lag-1 autocorrelation, also returned in d). */
static int record_line(emg_trend *o, trend_dependence *d, const double *t, const double *y,
                       size_t n, double a, double b, emg_inference inference, emg_error *err)
{
    o->intercept = a;
    o->slope = b;
    o->r2 = r_squared(t, y, n, a, b);
    double *r = malloc(n * sizeof *r);
    if (!r)
        return emg_error_set(err, EMG_ERR_NOMEM, "trend: out of memory");
    for (size_t i = 0; i < n; i++)
        r[i] = y[i] - (a + b * t[i]);
    int rc = trend_dependence_estimate(d, t, r, n, inference, err);
    free(r);
    o->inference = inference;
    o->n_eff = d->n_eff;
    o->residual_ac1 = d->residual_ac1;
    return rc;
}

/* Student-t interval and p-value of o->slope from its independent-points
 * standard error se_iid, widened for the dependence d (n_eff - 2 df). */
static void t_interval(emg_trend *o, double se_iid, const trend_dependence *d, double conf)
{
    double df = trend_dependence_dof(d), b = o->slope;
    o->slope_se = se_iid * trend_dependence_se_factor(d);
    double tq = emg_student_t_quantile(0.5 + conf / 2, df);
    o->ci_low = b - tq * o->slope_se;
    o->ci_high = b + tq * o->slope_se;
    o->p_value = o->slope_se > 0 ? emg_student_t_p2(b / o->slope_se, df) : (b != 0 ? 0 : 1);
}

static int fit_ols(emg_trend *o, const double *t, const double *y, size_t n, emg_inference inf,
                   double conf, emg_error *err)
{
    double a, b, sxx;
    wls(t, y, NULL, n, &a, &b, &sxx);
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - (a + b * t[i]);
        sse += r * r;
    }
    trend_dependence d;
    int rc = record_line(o, &d, t, y, n, a, b, inf, err);
    if (rc < 0)
        return rc;
    t_interval(o, sxx > 0 ? sqrt(sse / ((double)n - 2) / sxx) : NAN, &d, conf);
    return 0;
}

/* Theil-Sen: median pairwise slope; CI from the ranks of the sorted slopes
 * that Kendall's S statistic allows (Sen 1968).  Dependent points inflate
 * the variance of S by n / n_eff (Hamed & Rao 1998, J Hydrol 204:182; Yue &
 * Wang 2004, Water Resour Manag 18:201), n_eff from the residuals of the
 * Theil-Sen line, and the quantile is Student's with n_eff - 2 df (the
 * normal one, as scipy, with EMG_INFERENCE_IID). */
static int fit_theil_sen(emg_trend *o, const double *t, const double *y, size_t n,
                         emg_inference inf, double conf, emg_error *err)
{
    size_t npairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (t[j] != t[i])
                npairs++;
    if (npairs == 0)
        return emg_error_set(err, EMG_ERR_ARG, "Theil-Sen: all points at the same time");
    double *s = malloc(npairs * sizeof *s);
    if (!s)
        return emg_error_set(err, EMG_ERR_NOMEM, "Theil-Sen: out of memory for %zu slopes", npairs);
    size_t k = 0;
    double S = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (t[j] == t[i])
                continue;
            s[k++] = (y[j] - y[i]) / (t[j] - t[i]);
            double dy = (y[j] - y[i]) * (t[j] > t[i] ? 1 : -1);
            S += (dy > 0) - (dy < 0);
        }
    /* The line first: the dependence comes from its residuals. */
    qsort(s, npairs, sizeof *s, emgi_double_cmp); /* the interval takes ranks */
    double slope = emgi_median_inplace(s, npairs);
    double *r = malloc(n * sizeof *r);
    if (!r) {
        free(s);
        return emg_error_set(err, EMG_ERR_NOMEM, "Theil-Sen: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        r[i] = y[i] - slope * t[i];
    double intercept = emgi_median_inplace(r, n);
    free(r);
    o->slope_se = NAN;
    trend_dependence d;
    int rc = record_line(o, &d, t, y, n, intercept, slope, inf, err);
    if (rc < 0) {
        free(s);
        return rc;
    }
    double dn = (double)n;
    double var_s = dn * (dn - 1) * (2 * dn + 5) / 18 * dn / d.n_eff;
    double q = inf == EMG_INFERENCE_IID ? emg_normal_quantile(0.5 + conf / 2)
                                        : emg_student_t_quantile(0.5 + conf / 2, trend_dependence_dof(&d));
    double c = q * sqrt(var_s);
    /* ranks as scipy.stats.theilslopes (Sen 1968: M1 = (N - C)/2, M2 = (N + C)/2 + 1) */
    double lo_rank = round(((double)npairs - c) / 2) - 1, hi_rank = round(((double)npairs + c) / 2);
    o->ci_low = s[lo_rank > 0 ? (size_t)lo_rank : 0];
    o->ci_high = s[hi_rank < (double)npairs - 1 ? (size_t)hi_rank : npairs - 1];
    free(s);
    double zs = S == 0 ? 0 : (S - (S > 0 ? 1 : -1)) / sqrt(var_s);
    /* two-sided tail (erfc: accurate far out) */
    o->p_value = inf == EMG_INFERENCE_IID ? erfc(fabs(zs) / M_SQRT2)
                                          : emg_student_t_p2(zs, trend_dependence_dof(&d));
    return 0;
}

/* Huber M-estimate of the line by IRLS, MAD scale re-estimated each step. */
static int fit_huber(emg_trend *o, const double *t, const double *y, size_t n,
                     emg_inference inf, double conf, emg_error *err)
{
    const double k = 1.345;
    double *w = malloc(n * sizeof *w), *r = malloc(n * sizeof *r);
    if (!w || !r) {
        free(w);
        free(r);
        return emg_error_set(err, EMG_ERR_NOMEM, "Huber regression: out of memory");
    }
    double a, b, sxx, scale = 0;
    wls(t, y, NULL, n, &a, &b, &sxx);
    for (int it = 0; it < 100; it++) {
        for (size_t i = 0; i < n; i++)
            r[i] = fabs(y[i] - (a + b * t[i]));
        memcpy(w, r, n * sizeof *w);
        scale = emgi_median_inplace(w, n) / 0.6744897501960817;
        if (!(scale > 0))
            break;
        for (size_t i = 0; i < n; i++)
            w[i] = r[i] <= k * scale ? 1 : k * scale / r[i];
        double a2, b2;
        wls(t, y, w, n, &a2, &b2, NULL);
        int done = fabs(b2 - b) <= 1e-12 * (fabs(b) + 1e-300) && fabs(a2 - a) <= 1e-12 * (fabs(a) + 1e-300);
        a = a2;
        b = b2;
        if (done)
            break;
    }
    /* Covariance (Huber 1981): s^2 * [sum psi^2/(n-p)] / [mean psi']^2 * (X'X)^-1. */
    double sum_psi2 = 0, n_in = 0, tm = 0;
    for (size_t i = 0; i < n; i++)
        tm += t[i];
    tm /= (double)n;
    sxx = 0;
    for (size_t i = 0; i < n; i++)
        sxx += (t[i] - tm) * (t[i] - tm);
    for (size_t i = 0; i < n && scale > 0; i++) {
        double u = (y[i] - (a + b * t[i])) / scale;
        double psi = fabs(u) <= k ? u : (u > 0 ? k : -k);
        sum_psi2 += psi * psi;
        if (fabs(u) <= k)
            n_in++;
    }
    double df = (double)n - 2;
    double mpsi = n_in / (double)n;
    free(w);
    free(r);
    trend_dependence d;
    int rc = record_line(o, &d, t, y, n, a, b, inf, err);
    if (rc < 0)
        return rc;
    t_interval(o, scale > 0 && mpsi > 0 && sxx > 0 ? scale * sqrt(sum_psi2 / df) / mpsi / sqrt(sxx) : NAN,
               &d, conf);
    if (!(o->slope_se > 0))
        o->p_value = NAN;
    return 0;
}

int emg_trend_fit(emg_trend *out, const double *t, const double *y, size_t n,
                  emg_regression method, emg_inference inference, double confidence,
                  double fraction, emg_error *err)
{
    /* Only finite points: a window's -inf snr_db (no power) or an n/a
     * feature is no measurement. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]) && isfinite(t[i]))
            m++;
    trend_nan(out, m);
    out->inference = inference;
    if (!(confidence > 0 && confidence < 1) || !(fraction > 0 && fraction <= 0.5))
        return emg_error_set(err, EMG_ERR_ARG, "confidence must be in (0,1) and fraction in (0,0.5]");
    if (m < 3)
        return emg_error_set(err, EMG_ERR_ARG, "a trend needs at least 3 points (got %zu)", m);
    double *tt = calloc(m, sizeof *tt), *yy = calloc(m, sizeof *yy);
    if (!tt || !yy) {
        free(tt);
        free(yy);
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]) && isfinite(t[i])) {
            tt[m] = t[i];
            yy[m++] = y[i];
        }
    /* Theil-Sen needs all n(n-1)/2 slopes: beyond 2500 points, fit the means
     * of consecutive groups instead (documented in docs/methods/fatigue.md). */
    size_t fit_m = m;
    double *ft = tt, *fy = yy;
    if (method == EMG_REGRESSION_THEIL_SEN && m > 2500) {
        size_t g = (m + 2499) / 2500;
        ft = malloc((m / g + 1) * sizeof *ft);
        fy = malloc((m / g + 1) * sizeof *fy);
        if (!ft || !fy) {
            free(ft);
            free(fy);
            free(tt);
            free(yy);
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        }
        fit_m = 0;
        for (size_t i = 0; i < m; i += g) {
            size_t e = i + g < m ? i + g : m;
            double st = 0, sy = 0;
            for (size_t j = i; j < e; j++) {
                st += tt[j];
                sy += yy[j];
            }
            ft[fit_m] = st / (double)(e - i);
            fy[fit_m++] = sy / (double)(e - i);
        }
    }
    int rc = 0;
    switch (method) {
    case EMG_REGRESSION_OLS: rc = fit_ols(out, tt, yy, m, inference, confidence, err); break;
    case EMG_REGRESSION_THEIL_SEN:
        rc = fit_theil_sen(out, ft, fy, fit_m, inference, confidence, err);
        break;
    case EMG_REGRESSION_HUBER: rc = fit_huber(out, tt, yy, m, inference, confidence, err); break;
    default: rc = emg_error_set(err, EMG_ERR_ARG, "unknown regression method");
    }
    if (rc == 0 && !isfinite(out->slope)) {
        /* No line (all points at one time, values too large): a p-value or an
         * R^2 beside an n/a slope would describe nothing. */
        trend_nan(out, m);
    } else if (rc == 0) {
        double t0 = tt[0], t1 = tt[0];
        for (size_t i = 1; i < m; i++) {
            t0 = fmin(t0, tt[i]);
            t1 = fmax(t1, tt[i]);
        }
        out->t_first = t0;
        out->t_last = t1;
        out->initial = out->intercept + out->slope * t0;
        out->slope_per_min = 60 * out->slope;
        out->change_pct = 100 * out->slope * (t1 - t0) / out->initial;
        out->change_pct_per_min = 100 * out->slope * 60 / out->initial;
        size_t k = (size_t)llround(fraction * (double)m);
        if (k < 1)
            k = 1;
        double f = 0, l = 0;
        for (size_t i = 0; i < k; i++) {
            f += yy[i];
            l += yy[m - 1 - i];
        }
        out->first_mean = f / (double)k;
        out->last_mean = l / (double)k;
        out->first_last_change_pct = 100 * (out->last_mean - out->first_mean) / out->first_mean;
    }
    if (ft != tt) {
        free(ft);
        free(fy);
    }
    free(tt);
    free(yy);
    return rc;
}

/* ---- JASA --------------------------------------------------------------- */

static int slope_sign(const emg_trend *tr, int require_significance)
{
    if (isnan(tr->slope))
        return 0;
    if (require_significance && !(tr->ci_low > 0 || tr->ci_high < 0))
        return 0;
    return (tr->slope > 0) - (tr->slope < 0);
}

emg_jasa emg_jasa_classify(const emg_trend *rms, const emg_trend *mdf, int require_significance)
{
    int a = slope_sign(rms, require_significance), f = slope_sign(mdf, require_significance);
    if (a == 0 || f == 0)
        return EMG_JASA_UNDETERMINED;
    if (a > 0)
        return f < 0 ? EMG_JASA_FATIGUE : EMG_JASA_FORCE_INCREASE;
    return f < 0 ? EMG_JASA_FORCE_DECREASE : EMG_JASA_RECOVERY;
}

const char *emg_jasa_name(emg_jasa q)
{
    switch (q) {
    case EMG_JASA_UNDETERMINED: return "undetermined";
    case EMG_JASA_FATIGUE: return "fatigue";
    case EMG_JASA_FORCE_INCREASE: return "force_increase";
    case EMG_JASA_FORCE_DECREASE: return "force_decrease";
    case EMG_JASA_RECOVERY: return "recovery";
    }
    return "?";
}

/* ---- contractions ------------------------------------------------------- */

int emg_contractions_from_windows(emg_segment **segs, size_t *n_segs, const double *t,
                                  const int *active, size_t n, double window_s,
                                  double max_gap_s, double min_duration_s, emg_error *err)
{
    *segs = NULL;
    *n_segs = 0;
    size_t cap = 0;
    size_t i = 0;
    while (i < n) {
        if (!active[i]) {
            i++;
            continue;
        }
        double start = t[i], end = t[i] + window_s;
        size_t j = i + 1;
        /* extend over active windows, bridging inactive gaps shorter than max_gap_s */
        for (;;) {
            while (j < n && active[j]) {
                end = t[j] + window_s;
                j++;
            }
            size_t k = j;
            while (k < n && !active[k])
                k++;
            if (k < n && t[k] - end <= max_gap_s) {
                j = k;
                continue;
            }
            break;
        }
        if (end - start >= min_duration_s) {
            if (emgi_grow((void **)segs, &cap, *n_segs + 1, sizeof **segs, err) < 0) {
                free(*segs);
                *segs = NULL;
                *n_segs = 0;
                return EMG_ERR_NOMEM;
            }
            (*segs)[*n_segs].onset = start;
            (*segs)[*n_segs].duration = end - start;
            (*n_segs)++;
        }
        i = j;
    }
    return 0;
}

/* Whether a table's file cell names recording: the same text, or the same file. */
int fatigue_same_recording(const char *cell, const char *recording)
{
    struct stat a, b;
    if (!strcmp(cell, recording))
        return 1;
    return stat(cell, &a) == 0 && stat(recording, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Whether a row's label is one of labels (comma-separated; NULL: every row). */
static int label_wanted(const emg_table *t, size_t r, int c_label, const char *labels)
{
    if (!labels)
        return 1;
    const char *label = c_label >= 0 ? emg_table_cell(t, r, c_label) : "";
    size_t len = strlen(label);
    for (const char *p = labels;; ) {
        size_t k = strcspn(p, ",");
        if (k == len && !strncmp(p, label, len))
            return 1;
        if (!p[k])
            return 0;
        p += k + 1;
    }
}

static int read_spans(emg_segment **segs, size_t *n_segs, const char *path, const char *recording,
                      const char *labels, int instants, emg_error *err);

int emg_segments_read(emg_segment **segs, size_t *n_segs, const char *path,
                      const char *recording, emg_error *err)
{
    return read_spans(segs, n_segs, path, recording, NULL, 0, err);
}

int emg_events_read(emg_segment **events, size_t *n_events, const char *path,
                    const char *recording, const char *labels, emg_error *err)
{
    return read_spans(events, n_events, path, recording, labels, 1, err);
}

static int read_spans(emg_segment **segs, size_t *n_segs, const char *path, const char *recording,
                      const char *labels, int instants, emg_error *err)
{
    *segs = NULL;
    *n_segs = 0;
    emg_table t;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, err);
    if (rc < 0)
        return rc;
    int c_on = emg_table_column(&t, "onset"), c_du = emg_table_column(&t, "duration");
    int c_ch = emg_table_column(&t, "channel"), c_file = emg_table_column(&t, "file");
    int c_label = emg_table_column(&t, "label");
    if (c_on < 0 || c_du < 0) {
        emg_table_free(&t);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: needs 'onset' and 'duration' columns", path);
    }
    emg_segment *s = emgi_xcalloc(t.n_rows ? t.n_rows : 1, sizeof *s, err);
    if (!s) {
        emg_table_free(&t);
        return EMG_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t r = 0; r < t.n_rows; r++) {
        if (recording && c_file >= 0 && !fatigue_same_recording(emg_table_cell(&t, r, c_file), recording))
            continue;
        if (!label_wanted(&t, r, c_label, labels))
            continue;
        rc = emg_table_event_span(&t, r, c_on, c_du, path, &s[n].onset, &s[n].duration, err);
        if (rc >= 0 && !instants && !(s[n].duration > 0))
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s:%zu: a segment needs a duration > 0",
                               path, emg_table_line(&t, r));
        if (rc < 0) {
            emg_table_free(&t);
            free(s);
            return rc;
        }
        const char *ch = c_ch >= 0 ? emg_table_cell(&t, r, c_ch) : NULL;
        if (ch && strcmp(ch, "n/a") != 0)
            emgi_strlcpy(s[n].channel, ch, sizeof s[n].channel);
        n++;
    }
    qsort(s, n, sizeof *s, emgi_double_cmp); /* onset is the first member */
    *segs = s;
    *n_segs = n;
    emg_table_free(&t);
    return 0;
}
