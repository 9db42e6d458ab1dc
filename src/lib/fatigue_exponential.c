/* fatigue_exponential.c: MDF(t) = a + b exp(-(t - t0) / tau), a decline that
 * flattens towards a plateau, and a curvature test of the straight line.
 *
 * Fit: nonlinear least squares by variable projection (Golub & Pereyra 1973,
 * SIAM J Numer Anal 10:413): for a rate k = 1/tau the model is linear in a and
 * b, so the residual sum of squares is profiled over k alone (a log-spaced
 * grid, then golden-section search around the best grid point; Kiefer 1953,
 * Proc AMS 4:502).  The minimum is that of the full three-parameter problem.
 * Covariance: the Gauss-Newton one, s^2 (J'J)^-1 with s^2 = SSE / (n - 3)
 * (Bates & Watts 1988, Nonlinear Regression Analysis, s.2.3), widened for
 * dependent windows as the line's (fatigue_inference.c: n_eff from the
 * residuals; factor sqrt((n-3)/(n_eff-3)), Student t with n_eff - 3 df).
 * tau's interval is the inverse of the rate's Wald interval (a monotone
 * transform; its upper end is infinite, written n/a, when the rate's interval
 * reaches 0: a plateau cannot then be told from a straight decline).
 * Curvature: the quadratic term of y = c0 + c1 s + c2 s^2 with its t test
 * (the same n_eff correction): c2 > 0 under a falling MDF says it flattens. */
#include "emgkit/fatigue.h"

#include <math.h>
#include <stdlib.h>

#include "fatigue_internal.h"
#include "io_internal.h"

/* The method's constants, in one place. */
static const struct {
    double tau_min_span;  /* tau searched in [tau_min_span, tau_max_span] x the span */
    double tau_max_span;
    int grid;             /* log-spaced grid points */
    int golden_steps;     /* golden-section steps (each shrinks the bracket by 0.618) */
    double min_n_eff;     /* three fitted parameters keep at least one degree of freedom */
} EXPFIT = {0.01, 100.0, 121, 100, 4.0};

/* Least squares a + b e for fixed e_i = exp(-k s_i); returns the SSE. */
static double linear_in_ab(const double *s, const double *y, size_t n, double k, double *a,
                           double *b)
{
    double se = 0, sy = 0, see = 0, sey = 0, dn = (double)n;
    for (size_t i = 0; i < n; i++) {
        double e = exp(-k * s[i]);
        se += e;
        sy += y[i];
        see += e * e;
        sey += e * y[i];
    }
    double det = dn * see - se * se;
    *b = det > 0 ? (dn * sey - se * sy) / det : NAN;
    *a = (sy - *b * se) / dn;
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - (*a + *b * exp(-k * s[i]));
        sse += r * r;
    }
    return isfinite(sse) ? sse : INFINITY;
}

/* The rate minimizing the profiled SSE; *at_edge when it is the grid's end. */
static double best_rate(const double *s, const double *y, size_t n, double span, int *at_edge)
{
    double lo = log(1 / (EXPFIT.tau_max_span * span)), hi = log(1 / (EXPFIT.tau_min_span * span));
    double h = (hi - lo) / (EXPFIT.grid - 1), a, b, best = INFINITY;
    int ib = 0;
    for (int i = 0; i < EXPFIT.grid; i++) {
        double sse = linear_in_ab(s, y, n, exp(lo + i * h), &a, &b);
        if (sse < best) {
            best = sse;
            ib = i;
        }
    }
    *at_edge = ib == 0 || ib == EXPFIT.grid - 1;
    double x0 = lo + (ib > 0 ? ib - 1 : 0) * h, x1 = lo + (ib < EXPFIT.grid - 1 ? ib + 1 : ib) * h;
    const double g = 0.5 * (sqrt(5.0) - 1);
    double c = x1 - g * (x1 - x0), d = x0 + g * (x1 - x0);
    double fc = linear_in_ab(s, y, n, exp(c), &a, &b), fd = linear_in_ab(s, y, n, exp(d), &a, &b);
    for (int it = 0; it < EXPFIT.golden_steps && x1 - x0 > 1e-13; it++) {
        if (fc < fd) {
            x1 = d, d = c, fd = fc;
            c = x1 - g * (x1 - x0);
            fc = linear_in_ab(s, y, n, exp(c), &a, &b);
        } else {
            x0 = c, c = d, fc = fd;
            d = x0 + g * (x1 - x0);
            fd = linear_in_ab(s, y, n, exp(d), &a, &b);
        }
    }
    return exp(0.5 * (x0 + x1));
}

/* Inverse of the symmetric 3x3 matrix m (row-major) into v; 0 when singular. */
static int inverse3(const double m[9], double v[9])
{
    double c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8],
           c02 = m[3] * m[7] - m[4] * m[6];
    double det = m[0] * c00 + m[1] * c01 + m[2] * c02;
    if (!(fabs(det) > 0))
        return 0;
    v[0] = c00 / det;
    v[1] = (m[2] * m[7] - m[1] * m[8]) / det;
    v[2] = (m[1] * m[5] - m[2] * m[4]) / det;
    v[3] = c01 / det;
    v[4] = (m[0] * m[8] - m[2] * m[6]) / det;
    v[5] = (m[2] * m[3] - m[0] * m[5]) / det;
    v[6] = c02 / det;
    v[7] = (m[1] * m[6] - m[0] * m[7]) / det;
    v[8] = (m[0] * m[4] - m[1] * m[3]) / det;
    return 1;
}

/* (X'X)^-1 of the three columns x(i, j), j = 0..2, into v; 0 when singular. */
static int normal_inverse(const double *cols, size_t n, double v[9])
{
    double m[9] = {0};
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++)
                m[3 * p + q] += cols[3 * i + p] * cols[3 * i + q];
    return inverse3(m, v);
}

/* Residual dependence -> (standard-error factor, t quantile, df) for 3 parameters. */
static int three_param_inference(const double *t, const double *r, size_t n, emg_inference inf,
                                 double conf, double *factor, double *tq, double *df,
                                 double *n_eff, double *ac1, emg_error *err)
{
    trend_dependence d;
    int rc = trend_dependence_estimate(&d, t, r, n, inf, err);
    if (rc < 0)
        return rc;
    double ne = fmax(d.n_eff, fmin(EXPFIT.min_n_eff, (double)n));
    *n_eff = ne;
    *ac1 = d.residual_ac1;
    *df = ne - 3;
    *factor = sqrt(((double)n - 3) / *df);
    *tq = emg_student_t_quantile(0.5 + conf / 2, *df);
    return 0;
}

/* The quadratic term and its test. */
static int curvature_test(emg_exp_fit *o, const double *t, const double *s, const double *y,
                          size_t n, emg_inference inf, double conf, emg_error *err)
{
    double *x = malloc(3 * n * sizeof *x), *r = malloc(n * sizeof *r), v[9];
    if (!x || !r) {
        free(x);
        free(r);
        return emg_error_set(err, EMG_ERR_NOMEM, "curvature test: out of memory");
    }
    double c[3] = {0, 0, 0}, xty[3] = {0, 0, 0}, sm = 0;
    for (size_t i = 0; i < n; i++)
        sm += s[i];
    sm /= (double)n; /* centred: the same c2, better conditioned */
    for (size_t i = 0; i < n; i++) {
        double u = s[i] - sm;
        x[3 * i] = 1, x[3 * i + 1] = u, x[3 * i + 2] = u * u;
        for (int p = 0; p < 3; p++)
            xty[p] += x[3 * i + p] * y[i];
    }
    int rc = 0;
    if (normal_inverse(x, n, v)) {
        for (int p = 0; p < 3; p++)
            c[p] = v[3 * p] * xty[0] + v[3 * p + 1] * xty[1] + v[3 * p + 2] * xty[2];
        double sse = 0;
        for (size_t i = 0; i < n; i++) {
            r[i] = y[i] - (c[0] + c[1] * x[3 * i + 1] + c[2] * x[3 * i + 2]);
            sse += r[i] * r[i];
        }
        double f = NAN, tq = NAN, df = NAN, ne, ac1; /* NaN if the inference fails */
        rc = three_param_inference(t, r, n, inf, conf, &f, &tq, &df, &ne, &ac1, err);
        double se = sqrt(sse / ((double)n - 3) * v[8]) * f;
        o->curvature = 3600 * c[2];
        o->curvature_ci_low = 3600 * (c[2] - tq * se);
        o->curvature_ci_high = 3600 * (c[2] + tq * se);
        o->curvature_p = se > 0 ? emg_student_t_p2(c[2] / se, df) : NAN;
    }
    free(x);
    free(r);
    return rc;
}

static void exp_nan(emg_exp_fit *o, size_t n)
{
    double nan = NAN;
    o->n = n;
    o->t0 = o->plateau = o->plateau_ci_low = o->plateau_ci_high = nan;
    o->amplitude = o->amplitude_ci_low = o->amplitude_ci_high = nan;
    o->tau = o->tau_ci_low = o->tau_ci_high = o->n_eff = o->residual_ac1 = nan;
    o->slope_per_min = o->change_pct = nan;
    o->curvature = o->curvature_ci_low = o->curvature_ci_high = o->curvature_p = nan;
    o->rate = o->rate_se = o->plateau_se = o->amplitude_se = nan;
}

/* The exponential itself, on the compacted points (s = t - t0). */
static int fit_curve(emg_exp_fit *o, const double *t, const double *s, const double *y, size_t n,
                     double span, emg_inference inf, double conf, emg_error *err)
{
    int at_edge;
    double k = best_rate(s, y, n, span, &at_edge), a, b;
    double sse = linear_in_ab(s, y, n, k, &a, &b);
    if (at_edge || !isfinite(b))
        return 0; /* straight (tau beyond 100 spans) or a step: no plateau to estimate */
    double *x = malloc(3 * n * sizeof *x), *r = malloc(n * sizeof *r), v[9];
    if (!x || !r) {
        free(x);
        free(r);
        return emg_error_set(err, EMG_ERR_NOMEM, "exponential fit: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        double e = exp(-k * s[i]);
        x[3 * i] = 1, x[3 * i + 1] = e, x[3 * i + 2] = -b * s[i] * e; /* d/da, d/db, d/dk */
        r[i] = y[i] - (a + b * e);
    }
    int rc = 0;
    if (normal_inverse(x, n, v)) {
        double f = NAN, tq = NAN, df = NAN, s2 = sse / ((double)n - 3);
        rc = three_param_inference(t, r, n, inf, conf, &f, &tq, &df, &o->n_eff, &o->residual_ac1,
                                   err);
        o->plateau = a, o->amplitude = b, o->rate = k, o->tau = 1 / k;
        o->plateau_se = sqrt(s2 * v[0]) * f;
        o->amplitude_se = sqrt(s2 * v[4]) * f;
        o->rate_se = sqrt(s2 * v[8]) * f;
        o->plateau_ci_low = a - tq * o->plateau_se, o->plateau_ci_high = a + tq * o->plateau_se;
        o->amplitude_ci_low = b - tq * o->amplitude_se;
        o->amplitude_ci_high = b + tq * o->amplitude_se;
        double k_lo = k - tq * o->rate_se, k_hi = k + tq * o->rate_se;
        o->tau_ci_low = 1 / k_hi;
        o->tau_ci_high = k_lo > 0 ? 1 / k_lo : INFINITY;
        double drop = b * (exp(-k * span) - 1); /* fitted change over the span */
        o->slope_per_min = 60 * drop / span;
        o->change_pct = 100 * drop / (a + b);
    }
    free(x);
    free(r);
    return rc;
}

int emg_exp_fit_run(emg_exp_fit *out, const double *t, const double *y, size_t n,
                    emg_inference inference, double confidence, emg_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += isfinite(t[i]) && isfinite(y[i]);
    exp_nan(out, m);
    if (!(confidence > 0 && confidence < 1))
        return emg_error_set(err, EMG_ERR_ARG, "confidence must be in (0,1)");
    if (m < 5)
        return emg_error_set(err, EMG_ERR_ARG, "an exponential trend needs at least 5 points (got %zu)", m);
    double *tt = malloc(m * sizeof *tt), *ss = malloc(m * sizeof *ss), *yy = malloc(m * sizeof *yy);
    if (!tt || !ss || !yy) {
        free(tt);
        free(ss);
        free(yy);
        return emg_error_set(err, EMG_ERR_NOMEM, "exponential fit: out of memory");
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(t[i]) && isfinite(y[i]))
            tt[m] = t[i], yy[m++] = y[i];
    double t0 = tt[0], t1 = tt[0];
    for (size_t i = 1; i < m; i++)
        t0 = fmin(t0, tt[i]), t1 = fmax(t1, tt[i]);
    for (size_t i = 0; i < m; i++)
        ss[i] = tt[i] - t0;
    int rc = 0;
    if (t1 > t0) {
        out->t0 = t0;
        rc = fit_curve(out, tt, ss, yy, m, t1 - t0, inference, confidence, err);
        if (rc == 0)
            rc = curvature_test(out, tt, ss, yy, m, inference, confidence, err);
    }
    free(tt);
    free(ss);
    free(yy);
    return rc;
}

int emg_trend_model_from_name(const char *name, emg_trend_model *out, emg_error *err)
{
    if (emgi_str_ieq(name, "linear"))
        *out = EMG_MODEL_LINEAR;
    else if (emgi_str_ieq(name, "exponential"))
        *out = EMG_MODEL_EXPONENTIAL;
    else
        return emg_error_set(err, EMG_ERR_ARG, "unknown model '%s' (linear, exponential)", name);
    return 0;
}
