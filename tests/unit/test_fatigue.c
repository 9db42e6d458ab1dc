/* test_fatigue.c: distributions, regressions (against scipy.stats values),
 * JASA quadrants, contraction segments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "emgkit/fatigue.h"
#include "fatigue_internal.h"
#include "test_helpers.h"


static void distributions(void **state)
{
    (void)state;
    /* scipy.special.betainc */
    assert_close(emg_betai(2.5, 4, 0.3), 0.3521975859067672, 1e-13);
    assert_close(emg_betai(0.5, 0.5, 0.99), 0.9362314391414801, 1e-13);
    assert_close(emg_betai(50, 30, 0.6), 0.31705715396911227, 1e-12);
    assert_close(emg_betai(2, 3, 0.5), 0.6875, 1e-14);
    /* scipy.stats.t.ppf */
    assert_close(emg_student_t_quantile(0.975, 10), 2.2281388519649385, 1e-10);
    assert_close(emg_student_t_quantile(0.975, 1), 12.706204736432095, 1e-8);
    assert_close(emg_student_t_quantile(0.975, 30), 2.0422724563012373, 1e-10);
    assert_close(emg_student_t_quantile(0.001, 4.5), -6.4212428909417945, 1e-8);
    /* two-sided p: 2 * t.sf(2.5, 7) */
    assert_close(emg_student_t_p2(2.5, 7), 0.040992218585752874, 1e-13);
    assert_close(emg_student_t_cdf(0, 5), 0.5, 1e-15);
    assert_close(emg_normal_quantile(0.975), 1.959963984540054, 1e-12);
    assert_close(emg_normal_quantile(1e-10), -6.361340902404056, 1e-9);
}

/* 40 windows 0.5 s apart: a falling MDF with a periodic wobble. */
static void make_series(double *t, double *y)
{
    for (int i = 0; i < 40; i++) {
        t[i] = i * 0.5 + 0.25;
        y[i] = 70 - 0.12 * t[i] + sin(i * 1.7) * 2.0;
    }
}

static void ols_matches_scipy(void **state)
{
    (void)state;
    double t[40], y[40];
    make_series(t, y);
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 40, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    /* scipy.stats.linregress */
    assert_close(tr.slope, -0.12279350254559257, 1e-12);
    assert_close(tr.intercept, 70.06267876540474, 1e-10);
    assert_close(tr.slope_se, 0.03930523046170945, 1e-12);
    assert_close(tr.p_value, 0.003407111397233242, 1e-12);
    assert_close(tr.r2, 0.2043552072751416, 1e-12);
    assert_close(tr.ci_high - tr.slope, 0.0795692791839655, 1e-10);
    assert_int_equal(tr.n, 40);
    assert_close(tr.initial, 70.06267876540474 - 0.12279350254559257 * 0.25, 1e-10);
    assert_close(tr.change_pct_per_min, 100 * tr.slope * 60 / tr.initial, 1e-12);
    /* first / last 10% = 4 windows each */
    assert_close(tr.first_mean, (y[0] + y[1] + y[2] + y[3]) / 4, 1e-12);
    assert_close(tr.last_mean, (y[36] + y[37] + y[38] + y[39]) / 4, 1e-12);
}

/* The band of emg_trend_band against statsmodels' interval of the mean
 * response (OLS(y, [1, t]).fit().get_prediction(at).conf_int(0.05), half its
 * width; 1e-8: the library's t quantile agrees with SciPy's to about 1e-9) at
 * the first time, the mean time, the last and beyond the data; NaN
 * without a standard error (Theil-Sen) or with fewer than 3 finite points. */
static void band_matches_statsmodels(void **state)
{
    (void)state;
    double t[40], y[40];
    make_series(t, y);
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 40, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_close(emg_trend_band(&tr, t, y, 40, 0.25), 0.9015413526970093, 1e-8);
    assert_close(emg_trend_band(&tr, t, y, 40, 10.0), 0.4592498646701699, 1e-8);
    assert_close(emg_trend_band(&tr, t, y, 40, 19.75), 0.9015413526970093, 1e-8);
    assert_close(emg_trend_band(&tr, t, y, 40, 30.0), 1.656326813808775, 1e-8);
    emg_trend ts;
    assert_int_equal(emg_trend_fit(&ts, t, y, 40, EMG_REGRESSION_THEIL_SEN, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_true(isnan(emg_trend_band(&ts, t, y, 40, 10.0)));
    double y2[40];
    for (int i = 0; i < 40; i++)
        y2[i] = i < 2 ? y[i] : NAN;
    assert_true(isnan(emg_trend_band(&tr, t, y2, 40, 10.0)));
}

static void theil_sen_matches_scipy(void **state)
{
    (void)state;
    double t[40], y[40];
    make_series(t, y);
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 40, EMG_REGRESSION_THEIL_SEN, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    /* scipy.stats.theilslopes(y, t, 0.95): slope and its CI */
    assert_close(tr.slope, -0.12514174265587075, 1e-12);
    assert_close(tr.ci_low, -0.20268222492274568, 1e-12);
    assert_close(tr.ci_high, -0.044677178711642306, 1e-12);
    /* Mann-Kendall p (normal approximation with continuity correction);
     * scipy.stats.kendalltau gives 0.00415 with its exact-variance variant */
    assert_true(tr.p_value > 0.003 && tr.p_value < 0.006);
}

static void huber_resists_outliers(void **state)
{
    (void)state;
    double t[60], y[60];
    for (int i = 0; i < 60; i++) {
        t[i] = i;
        y[i] = 100 - 0.5 * i + 0.3 * sin(i * 2.1);
    }
    for (int i = 50; i < 56; i++)
        y[i] += 300; /* a burst of artefact near the end drags the OLS line up */
    emg_trend ols, hub;
    emg_error err;
    assert_int_equal(emg_trend_fit(&ols, t, y, 60, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_int_equal(emg_trend_fit(&hub, t, y, 60, EMG_REGRESSION_HUBER, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_true(fabs(hub.slope + 0.5) < 0.02);
    assert_true(fabs(ols.slope + 0.5) > 0.1);
    assert_true(hub.ci_low < -0.5 && hub.ci_high > -0.5);
}

static void too_few_points(void **state)
{
    (void)state;
    double t[2] = {0, 1}, y[3] = {1, 2, NAN}, t3[3] = {0, 1, 2};
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 2, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), EMG_ERR_ARG);
    assert_true(isnan(tr.slope));
    assert_int_equal(emg_trend_fit(&tr, t3, y, 3, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), EMG_ERR_ARG);
    assert_int_equal(tr.n, 2); /* the NaN is skipped */
}

static void jasa_quadrants(void **state)
{
    (void)state;
    emg_trend up = {.slope = 1, .ci_low = 0.5, .ci_high = 1.5};
    emg_trend down = {.slope = -1, .ci_low = -1.5, .ci_high = -0.5};
    emg_trend flat = {.slope = 0.1, .ci_low = -0.5, .ci_high = 0.7};
    assert_int_equal(emg_jasa_classify(&up, &down, 1), EMG_JASA_FATIGUE);
    assert_int_equal(emg_jasa_classify(&up, &up, 1), EMG_JASA_FORCE_INCREASE);
    assert_int_equal(emg_jasa_classify(&down, &down, 1), EMG_JASA_FORCE_DECREASE);
    assert_int_equal(emg_jasa_classify(&down, &up, 1), EMG_JASA_RECOVERY);
    assert_int_equal(emg_jasa_classify(&flat, &down, 1), EMG_JASA_UNDETERMINED);
    assert_int_equal(emg_jasa_classify(&flat, &down, 0), EMG_JASA_FATIGUE);
    assert_string_equal(emg_jasa_name(EMG_JASA_FORCE_INCREASE), "force_increase");
}

static void contractions(void **state)
{
    (void)state;
    /* windows every 0.5 s, 1 s long: active 1-4 (0.5-3 s), inactive 5-6, active
     * 7-10 (3.5-6 s, a 0.5 s gap), then one active window (too short) */
    int active[20] = {0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    double t[20];
    for (int i = 0; i < 20; i++)
        t[i] = 0.5 * i;
    emg_segment *s;
    size_t n;
    emg_error err;
    assert_int_equal(emg_contractions_from_windows(&s, &n, t, active, 20, 1.0, 0.1, 1.5, &err), 0);
    assert_int_equal(n, 2);
    assert_close(s[0].onset, 0.5, 1e-12);
    assert_close(s[0].duration, 2.5, 1e-12);
    assert_close(s[1].onset, 3.5, 1e-12);
    free(s);
    /* bridging the 0.5 s gap */
    assert_int_equal(emg_contractions_from_windows(&s, &n, t, active, 20, 1.0, 0.5, 1.5, &err), 0);
    assert_int_equal(n, 1);
    assert_close(s[0].duration, 5.5, 1e-12);
    free(s);
}

static void segments_from_tsv(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    const char *path = EMGKIT_TEST_TMP "/segments.tsv";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "onset\tduration\tchannel\tlabel\n12.5\t4\tEMG 1\tb\n2\t3.5\tn/a\ta\n");
    fclose(f);
    emg_segment *s;
    size_t n;
    emg_error err;
    assert_int_equal(emg_segments_read(&s, &n, path, NULL, &err), 0);
    assert_int_equal(n, 2);
    assert_close(s[0].onset, 2, 0);
    assert_close(s[1].duration, 4, 0);
    assert_string_equal(s[0].channel, "");
    assert_string_equal(s[1].channel, "EMG 1");
    free(s);
    f = fopen(path, "w");
    fprintf(f, "start\tend\n1\t2\n");
    fclose(f);
    assert_int_equal(emg_segments_read(&s, &n, path, NULL, &err), EMG_ERR_FORMAT);
}

/* A table of several recordings (the file column the tools write) gives each
 * recording its own rows only; without a recording, every row. */
static void segments_of_one_recording(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    const char *path = EMGKIT_TEST_TMP "/segments-files.tsv";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "file\tonset\tduration\nnight1.edf\t1\t2\nnight2.edf\t5\t1\n"
               "night1.edf\t9\t3\n");
    fclose(f);
    emg_segment *s;
    size_t n;
    emg_error err;
    assert_int_equal(emg_segments_read(&s, &n, path, "night1.edf", &err), 0);
    assert_int_equal(n, 2);
    assert_close(s[0].onset, 1, 0);
    assert_close(s[1].onset, 9, 0);
    free(s);
    assert_int_equal(emg_segments_read(&s, &n, path, "night3.edf", &err), 0);
    assert_int_equal(n, 0);
    free(s);
    assert_int_equal(emg_segments_read(&s, &n, path, NULL, &err), 0);
    assert_int_equal(n, 3);
    free(s);
}

/* A trend whose slope is undefined (every window at one time) has every
 * statistic n/a, whatever the method; infinite values (the snr_db of a
 * window without power) are skipped like n/a ones. */
static void undefined_slope_all_nan(void **state)
{
    (void)state;
    double t[50], y[50];
    for (int i = 0; i < 50; i++)
        t[i] = 10, y[i] = 100 - i;
    static const emg_regression methods[] = {EMG_REGRESSION_OLS, EMG_REGRESSION_THEIL_SEN,
                                             EMG_REGRESSION_HUBER};
    for (size_t k = 0; k < 3; k++) {
        emg_trend tr;
        emg_error err;
        int rc = emg_trend_fit(&tr, t, y, 50, methods[k], EMG_INFERENCE_NEFF, 0.95, 0.1, &err);
        assert_true(rc == 0 || rc == EMG_ERR_ARG);
        if (!(isnan(tr.slope) && isnan(tr.p_value) && isnan(tr.r2) && isnan(tr.ci_low) &&
              isnan(tr.change_pct_per_min)))
            fail_msg("method %zu: slope %g, p %g, r2 %g, ci_low %g", k, tr.slope, tr.p_value,
                     tr.r2, tr.ci_low);
    }
    for (int i = 0; i < 50; i++)
        t[i] = i, y[i] = 100 - i;
    y[7] = -INFINITY;
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 50, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_int_equal(tr.n, 49);
    assert_float_equal(tr.slope, -1.0, 1e-12);
}

/* AR(1) residuals (phi = 0.8) around a flat line: n_eff near the AR(1)
 * value n (1 - phi) / (1 + phi) (Bretherton et al. 1999), an interval wider
 * than the independent-points one by about sqrt(n / n_eff), the same point
 * estimate; white noise keeps n_eff near n.  Every method reports it. */
static void effective_sample_size(void **state)
{
    (void)state;
    enum { N = 400 };
    double t[N], ar[N], white[N];
    unsigned seed = 12345;
    double prev = 0;
    for (int i = 0; i < N; i++) {
        double u = 0; /* sum of 12 uniforms - 6: a unit normal, portable */
        for (int k = 0; k < 12; k++) {
            seed = seed * 1103515245u + 12345u;
            u += (double)((seed >> 8) & 0xffffff) / 16777216.0;
        }
        u -= 6;
        t[i] = 0.5 * i;
        white[i] = 50 + u;
        prev = 0.8 * prev + 0.6 * u;
        ar[i] = 50 + prev;
    }
    emg_error err;
    emg_trend dep, iid, wn;
    assert_int_equal(emg_trend_fit(&dep, t, ar, N, EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, 0.95, 0.1, &err), 0);
    assert_int_equal(emg_trend_fit(&iid, t, ar, N, EMG_REGRESSION_OLS, EMG_INFERENCE_IID, 0.95, 0.1, &err), 0);
    assert_int_equal(emg_trend_fit(&wn, t, white, N, EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, 0.95, 0.1, &err), 0);
    double ar1_n_eff = N * 0.2 / 1.8;
    if (!(dep.n_eff > 0.5 * ar1_n_eff && dep.n_eff < 2 * ar1_n_eff))
        fail_msg("AR(1) n_eff %g, expected near %g", dep.n_eff, ar1_n_eff);
    assert_true(dep.residual_ac1 > 0.7 && dep.residual_ac1 < 0.9);
    assert_int_equal(dep.inference, EMG_INFERENCE_NEFF);
    assert_float_equal(dep.slope, iid.slope, 0);
    assert_float_equal(iid.n_eff, N, 0);
    assert_true((dep.ci_high - dep.ci_low) > 2 * (iid.ci_high - iid.ci_low));
    assert_true(wn.n_eff > 0.7 * N);
    static const emg_regression robust[] = {EMG_REGRESSION_THEIL_SEN, EMG_REGRESSION_HUBER};
    for (size_t k = 0; k < 2; k++) {
        emg_trend r;
        assert_int_equal(emg_trend_fit(&r, t, ar, N, robust[k], EMG_INFERENCE_NEFF, 0.95, 0.1, &err), 0);
        assert_true(r.n_eff > 0.5 * ar1_n_eff && r.n_eff < 2 * ar1_n_eff);
        assert_true(r.ci_low < 0 && r.ci_high > 0);
    }
}

/* slope_per_min is 60 slope; change_pct the fitted change over the span,
 * not extrapolated to a minute. */
static void change_over_span(void **state)
{
    (void)state;
    double t[45], y[45];
    for (int i = 0; i < 45; i++)
        t[i] = i, y[i] = 100 - 0.5 * i;
    emg_trend tr;
    emg_error err;
    assert_int_equal(emg_trend_fit(&tr, t, y, 45, EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, 0.95, 0.1, &err), 0);
    assert_float_equal(tr.slope_per_min, -30, 1e-9);
    assert_float_equal(tr.change_pct, -22, 1e-9); /* -0.5 * 44 s of 100 */
    assert_float_equal(tr.change_pct_per_min, -30, 1e-9);
}

/* Exponential decay to a plateau: exact on a noiseless curve; on a noisy one
 * (deterministic LCG noise, SD ~1) the intervals hold the truth; a straight
 * line has no plateau (n/a) and no significant curvature; the activity rule. */
static void exponential_decay(void **state)
{
    (void)state;
    enum { N = 240 };
    double t[N], y[N], yl[N];
    unsigned long long x = 12345;
    for (int i = 0; i < N; i++) {
        t[i] = 10 + 0.5 * i;
        y[i] = 55 + 30 * exp(-(t[i] - 10) / 40);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        yl[i] = 80 - 0.1 * t[i] + ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 3.46;
    }
    emg_exp_fit f;
    emg_error err;
    assert_int_equal(emg_exp_fit_run(&f, t, y, N, EMG_INFERENCE_IID, 0.95, &err), 0);
    assert_true(fabs(f.plateau - 55) < 1e-6 && fabs(f.amplitude - 30) < 1e-6 && fabs(f.tau - 40) < 1e-5);
    double span = 0.5 * (N - 1);
    assert_true(fabs(f.change_pct - 100 * 30 * (exp(-span / 40) - 1) / 85) < 1e-6);
    assert_true(f.curvature > 0 && f.curvature_p < 1e-10);
    for (int i = 0; i < N; i++)
        y[i] += yl[i] - (80 - 0.1 * t[i]);
    assert_int_equal(emg_exp_fit_run(&f, t, y, N, EMG_INFERENCE_NEFF, 0.95, &err), 0);
    assert_true(f.plateau_ci_low < 55 && 55 < f.plateau_ci_high);
    assert_true(f.amplitude_ci_low < 30 && 30 < f.amplitude_ci_high);
    assert_true(f.tau_ci_low < 40 && 40 < f.tau_ci_high);
    assert_true(f.curvature_ci_low > 0);
    assert_int_equal(emg_exp_fit_run(&f, t, yl, N, EMG_INFERENCE_NEFF, 0.95, &err), 0);
    assert_true(f.curvature_p > 0.01);
    assert_true(isnan(f.tau) || isinf(f.tau_ci_high)); /* no plateau to tell */
    assert_int_equal(emg_exp_fit_run(&f, t, y, 4, EMG_INFERENCE_NEFF, 0.95, &err), EMG_ERR_ARG);
    emg_window_census quiet = {10, 0, 10, 1}, unknown = {10, 10, 0, 0}, clipped = {10, 1, 0, 1};
    assert_int_equal(emg_trend_status_of(&quiet), EMG_TREND_NO_ACTIVITY);
    assert_int_equal(emg_trend_status_of(&unknown), EMG_TREND_NO_REST_REFERENCE);
    assert_int_equal(emg_trend_status_of(&clipped), EMG_TREND_TOO_FEW_WINDOWS);
}

/* Random-effects pooling: statsmodels 0.13.5 combine_effects(y, se**2,
 * method_re="dl") on these 8 slopes gives the values below (printed with
 * %.17g); simulated cohorts of 20 subjects (between-subject SD 0.05 Hz/s)
 * with and without a group effect have it inside the pooled interval. */
static double lcg_gauss(unsigned long long *x)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = ((double)(*x >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static void random_effects(void **state)
{
    (void)state;
    const double y[] = {-0.12, -0.08, -0.21, -0.05, -0.15, -0.30, -0.02, -0.11};
    const double se[] = {0.03, 0.05, 0.04, 0.06, 0.02, 0.08, 0.05, 0.04};
    emg_random_effects r, g[2], c;
    emg_error err;
    assert_int_equal(emg_random_effects_dl(&r, y, se, 8, 0.95, &err), 0);
    assert_true(fabs(r.estimate - -0.12597307845595113) < 1e-12);
    assert_true(fabs(r.se - 0.022772560726947999) < 1e-12);
    assert_true(fabs(r.tau2 - 0.0022374635895714818) < 1e-12);
    assert_true(fabs(r.q - 17.448597787145687) < 1e-9);
    assert_true(fabs(r.ci_low - -0.17060647731652048) < 1e-9 && fabs(r.ci_high - -0.08133967959538177) < 1e-9);
    assert_true(fabs(r.i2 - 0.59882163109078757) < 1e-12);
    assert_true(fabs(r.p_value - 3.1697491696174464e-08) / 3.1697491696174464e-08 < 1e-6);
    /* Hartung-Knapp-Sidik-Jonkman: statsmodels' sd_eff_w_re_hksj and
     * conf_int(use_t=True)[3] (t with k - 1 df), p from scipy.stats.t.sf */
    for (int floor_at_dl = 0; floor_at_dl <= 1; floor_at_dl++) { /* HKSJ wider than DL here */
        assert_int_equal(emgi_random_effects_hksj(&r, y, se, 8, floor_at_dl, 0.95, &err), 0);
        assert_true(fabs(r.estimate - -0.12597307845595113) < 1e-12);
        assert_true(fabs(r.se - 0.02645700331129368) < 1e-12);
        assert_true(fabs(r.ci_low - -0.18853395) < 1e-8 && fabs(r.ci_high - -0.06341221) < 1e-8);
        assert_true(fabs(r.p_value - 0.002056057076816361) / 0.002056057076816361 < 1e-6);
    }
    /* Units that agree better than their errors (Q = 0.64 < k - 1; tau^2 = 0,
     * statsmodels' fixed-effect numbers): HKSJ's se is sd_eff_w_fe_hksj, a third
     * of DL's; the modified Knapp-Hartung one is DL's, sd_eff_w_fe, with t(7). */
    const double y_flat[] = {-0.12, -0.10, -0.13, -0.11, -0.12, -0.14, -0.09, -0.115};
    assert_int_equal(emgi_random_effects_hksj(&r, y_flat, se, 8, 0, 0.95, &err), 0);
    assert_true(fabs(r.se - 0.00388384873954346) < 1e-12 && r.tau2 == 0);
    assert_int_equal(emgi_random_effects_hksj(&r, y_flat, se, 8, 1, 0.95, &err), 0);
    assert_true(fabs(r.estimate - -0.11728836732368692) < 1e-12);
    assert_true(fabs(r.se - 0.012808792696095458) < 1e-12);
    assert_true(fabs(r.ci_low - -0.14757634915903783) < 1e-9 &&
                fabs(r.ci_high - -0.087000385488336) < 1e-9);
    assert_true(fabs(r.p_value - 3.811733838558536e-05) / 3.811733838558536e-05 < 1e-6);
    unsigned long long x = 99;
    for (int effect = 0; effect <= 1; effect++) {
        double ys[2][20], ss[20];
        for (int grp = 0; grp < 2; grp++)
            for (int i = 0; i < 20; i++) {
                ss[i] = 0.03 + 0.002 * i;
                double mu = -0.15 + (grp == 1 && effect ? -0.1 : 0);
                ys[grp][i] = mu + 0.05 * lcg_gauss(&x) + ss[i] * lcg_gauss(&x);
            }
        assert_int_equal(emg_random_effects_dl(&g[0], ys[0], ss, 20, 0.95, &err), 0);
        assert_int_equal(emg_random_effects_dl(&g[1], ys[1], ss, 20, 0.95, &err), 0);
        emg_random_effects_contrast(&c, &g[0], &g[1], 0.95);
        double truth = effect ? -0.1 : 0;
        assert_true(c.ci_low < truth && truth < c.ci_high);
        assert_true(g[0].ci_low < -0.15 && -0.15 < g[0].ci_high);
        assert_true(g[0].tau2 > 0);
        if (effect)
            assert_true(c.ci_high < 0);
    }
    assert_int_equal(emg_random_effects_dl(&r, y, se, 1, 0.95, &err), EMG_ERR_ARG);
}

/* Two-stage pooling: a subject's units first, then subjects; the paired
 * contrast pools each subject's difference (values checked by hand: with
 * tau^2 = 0 the pooled estimate is the inverse-variance mean). */
static void group_pooling(void **state)
{
    (void)state;
    const emg_group_unit u[] = {
        {"A", "rested", -1.0, 0.5}, {"A", "rested", -1.0, 0.5}, {"A", "fatigued", -3.0, 0.5},
        {"B", "rested", -2.0, 0.5}, {"B", "fatigued", -4.0, 0.5},
        {"C", "rested", -1.5, 0.5}, {"C", "fatigued", -3.5, 0.5}};
    size_t n = sizeof u / sizeof u[0], m;
    emg_random_effects s;
    emg_group_estimate g;
    emg_error err;
    assert_int_equal(emgi_group_subject(&s, &m, u, n, "A", "rested", 0.95, &err), 0);
    assert_int_equal(m, 2);
    assert_true(fabs(s.estimate + 1.0) < 1e-12 && fabs(s.se - 0.5 / sqrt(2)) < 1e-12);
    assert_int_equal(emgi_group_pool(&g, u, n, "fatigued", EMG_POOLING_DL, 0.95, &err), 0);
    assert_int_equal(g.re.k, 3);
    assert_int_equal(g.n_units, 3);
    assert_true(fabs(g.re.estimate + 3.5) < 1e-12);
    /* every subject falls by exactly 2: paired contrast -2 with no heterogeneity */
    assert_int_equal(emgi_group_contrast(&g, u, n, "rested", "fatigued", EMG_POOLING_DL, 0.95, &err), 0);
    assert_true(g.paired);
    assert_int_equal(g.re.k, 3);
    assert_true(fabs(g.re.estimate + 2.0) < 1e-12 && g.re.tau2 == 0);
    /* no subject in both: independent groups */
    const emg_group_unit v[] = {{"A", "x", 1, 0.1}, {"B", "x", 1.2, 0.1}, {"C", "y", 2, 0.1},
                                {"D", "y", 2.2, 0.1}};
    assert_int_equal(emgi_group_contrast(&g, v, 4, "x", "y", EMG_POOLING_HKSJ, 0.95, &err), 0);
    assert_false(g.paired);
    assert_true(fabs(g.re.estimate - 1.0) < 1e-12);
    assert_int_equal(emgi_group_pool(&g, v, 1, "x", EMG_POOLING_HKSJ, 0.95, &err), EMG_ERR_ARG);
}

/* Lead windows end at their event; control windows keep the guard from every
 * event's lead window and span; an event too close to the start has none. */
static void event_windows(void **state)
{
    (void)state;
    emg_segment ev[3] = {{10, 5, ""}, {200, 10, ""}, {400, 0, ""}};
    emg_event_window *w;
    size_t n, dropped;
    emg_error err;
    assert_int_equal(emg_event_windows(&w, &n, &dropped, ev, 3, 0, 600, 60, 30, &err), 0);
    assert_int_equal(dropped, 1); /* the event at 10 s has no 60 s before it */
    size_t pre = 0, ctl = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].duration == 60);
        if (w[i].event) {
            pre++;
            assert_true(fabs(w[i].onset + 60 - ev[w[i].event - 1].onset) < 1e-12);
            continue;
        }
        ctl++;
        for (size_t k = 0; k < 3; k++)
            assert_true(w[i].onset + 60 + 30 <= ev[k].onset - 60 + 1e-9 ||
                        w[i].onset >= ev[k].onset + ev[k].duration + 30 - 1e-9);
        assert_true(i == 0 || w[i].onset >= w[i - 1].onset);
    }
    assert_int_equal(pre, 2);
    assert_int_equal(ctl, 4); /* 45, 240, 430 and 490 s: after each exclusion zone */
    free(w);
    assert_int_equal(emg_event_windows(&w, &n, &dropped, ev, 3, 0, 600, 0, 30, &err), EMG_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distributions),   cmocka_unit_test(ols_matches_scipy),
        cmocka_unit_test(band_matches_statsmodels),
        cmocka_unit_test(theil_sen_matches_scipy), cmocka_unit_test(huber_resists_outliers),
        cmocka_unit_test(too_few_points),  cmocka_unit_test(jasa_quadrants),
        cmocka_unit_test(contractions),    cmocka_unit_test(segments_from_tsv),
        cmocka_unit_test(undefined_slope_all_nan), cmocka_unit_test(segments_of_one_recording),
        cmocka_unit_test(effective_sample_size), cmocka_unit_test(change_over_span), cmocka_unit_test(exponential_decay), cmocka_unit_test(random_effects), cmocka_unit_test(group_pooling), cmocka_unit_test(event_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
