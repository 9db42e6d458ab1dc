/* test_synth.c: the simulator against its model and against the criteria page.
 *
 * Properties, not golden samples: the generator repeats itself for a seed;
 * recruitment thresholds are exponential and rates stay in Fuglevand's range;
 * action potentials stretch as 1/CV so a contraction's median frequency
 * (the toolkit's own Welch PSD and spectral statistics) falls in proportion
 * to the configured conduction-velocity decline; and every spasm scenario's
 * events have the durations, rates and rhythms of docs/spasm-criteria.md,
 * checked both in the event table and in the samples themselves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "emgkit/emgkit.h"
#include "emgkit/features.h"
#include "emgkit/spectrum.h"
#include "emgkit/synth.h"
#include "synth_internal.h"

/* A whole simulated recording in memory. */
typedef struct sim {
    emg_synth *synth;
    emg_scenario *sc;
    size_t n_ch, n;
    double fs;
    double **x;
} sim;

static void sim_run_opts(sim *m, const char *text, emg_synth_options *o)
{
    emg_error err;
    memset(m, 0, sizeof *m);
    int rc = emg_scenario_parse(&m->sc, text, "test", &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    rc = emg_synth_open(&m->synth, m->sc, o, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    const emg_header *h = emg_synth_header(m->synth);
    m->n_ch = h->n_channels;
    m->fs = h->channels[0].fs;
    size_t total = (size_t)h->channels[0].n_samples;
    m->x = calloc(m->n_ch, sizeof *m->x);
    for (size_t c = 0; c < m->n_ch; c++)
        m->x[c] = calloc(total, sizeof **m->x);
    const emg_block *b;
    while ((rc = emg_synth_read(m->synth, &b, &err)) > 0) {
        for (size_t c = 0; c < m->n_ch; c++)
            memcpy(m->x[c] + m->n, b->data[c], b->count[c] * sizeof(double));
        m->n += b->count[0];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(m->n, total);
}

static void sim_run(sim *m, const char *text, uint64_t seed)
{
    emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
    o.seed = seed;
    sim_run_opts(m, text, &o);
}

static void sim_free(sim *m)
{
    for (size_t c = 0; c < m->n_ch; c++)
        free(m->x[c]);
    free(m->x);
    emg_synth_close(m->synth);
    emg_scenario_free(m->sc);
}

static const emg_synth_event *find_event(const sim *m, const char *label, size_t nth)
{
    for (size_t i = 0; i < emg_synth_event_count(m->synth); i++) {
        const emg_synth_event *e = emg_synth_event_at(m->synth, i);
        if (!strcmp(e->label, label) && nth-- == 0)
            return e;
    }
    static const emg_synth_event none;
    fail_msg("no '%s' event", label);
    return &none;
}

static double rms(const double *x, size_t a, size_t b)
{
    double mean = 0, s = 0;
    for (size_t k = a; k < b; k++)
        mean += x[k];
    mean /= (double)(b - a);
    for (size_t k = a; k < b; k++)
        s += (x[k] - mean) * (x[k] - mean);
    return sqrt(s / (double)(b - a));
}

/* ---- generator */

static void test_rng_repeatable_and_uniform(void **state)
{
    (void)state;
    emg_rng a, b;
    emg_rng_seed(&a, 42, 0);
    emg_rng_seed(&b, 42, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(emg_rng_next(&a) == emg_rng_next(&b));
    emg_rng_seed(&b, 42, 1); /* another stream of the same seed differs */
    assert_true(emg_rng_next(&a) != emg_rng_next(&b));
    /* xoshiro256** reference: state {1, 2, 3, 4} gives 11520 then 0 then 1509978240. */
    emg_rng r = {{1, 2, 3, 4}};
    assert_true(emg_rng_next(&r) == 11520u);
    assert_true(emg_rng_next(&r) == 0u);
    assert_true(emg_rng_next(&r) == 1509978240u);
    double s = 0, s2 = 0, n = 200000;
    emg_rng_seed(&a, 7, 0);
    for (int i = 0; i < n; i++) {
        double z = emg_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    assert_true(fabs(s / n) < 0.01);
    assert_true(fabs(s2 / n - 1.0) < 0.02);
}

/* The portable math functions agree with the C library to ~1e-15. */
static void test_portable_math(void **state)
{
    (void)state;
    double worst[5] = {0};
    emg_rng r;
    emg_rng_seed(&r, 99, 0);
    for (int i = 0; i < 200000; i++) {
        double x = emg_rng_range(&r, -700.0, 700.0);
        worst[0] = fmax(worst[0], fabs(synth_exp(x) / exp(x) - 1.0));
        double y = exp(emg_rng_range(&r, -700.0, 700.0));
        worst[1] = fmax(worst[1], fabs(synth_log(y) - log(y)) / fmax(1.0, fabs(log(y))));
        double z = emg_rng_range(&r, -1e5, 1e5);
        worst[2] = fmax(worst[2], fabs(synth_sin(z) - sin(z)));
        worst[3] = fmax(worst[3], fabs(synth_cos(z) - cos(z)));
        double b = emg_rng_range(&r, 0.01, 100.0), e = emg_rng_range(&r, -5.0, 5.0);
        worst[4] = fmax(worst[4], fabs(synth_pow(b, e) / pow(b, e) - 1.0));
    }
    print_message("portable math: exp %.2g log %.2g sin %.2g cos %.2g pow %.2g\n", worst[0],
                  worst[1], worst[2], worst[3], worst[4]);
    assert_true(worst[0] < 1e-15 && worst[1] < 1e-15);
    assert_true(worst[2] < 1e-14 && worst[3] < 1e-14); /* arguments up to 1e5 rad */
    assert_true(worst[4] < 1e-14);
    assert_true(synth_sin(0.5) == sin(0.5) || fabs(synth_sin(0.5) - sin(0.5)) < 2e-16);
    assert_true(synth_exp(0.0) == 1.0 && synth_log(1.0) == 0.0 && synth_cos(0.0) == 1.0);
}

/* Electrode noise (ziggurat) is Gaussian: moments and tails of a rest recording. */
static void test_noise_is_gaussian(void **state)
{
    (void)state;
    sim m;
    sim_run(&m, "mains 0\nwander 0\nchannel agonist A\nrest 300\n", 8);
    double n = (double)m.n, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (size_t k = 0; k < m.n; k++)
        s1 += m.x[0][k];
    double mean = s1 / n;
    for (size_t k = 0; k < m.n; k++) {
        double d = m.x[0][k] - mean;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
    }
    double var = s2 / n, sd = sqrt(var), skew = s3 / n / (var * sd), kurt = s4 / n / (var * var);
    size_t beyond3 = 0, beyond_r = 0;
    for (size_t k = 0; k < m.n; k++) {
        double z = fabs(m.x[0][k] - mean) / sd;
        beyond3 += z > 3.0;
        beyond_r += z > 3.442619855899;
    }
    print_message("noise: sd %.4g mV skew %.4f kurtosis %.4f P(|z|>3) %.5f P(|z|>R) %.6f\n", sd,
                  skew, kurt, beyond3 / n, beyond_r / n);
    assert_true(fabs(skew) < 0.02 && fabs(kurt - 3.0) < 0.05);
    assert_true(fabs(beyond3 / n - 0.0026998) < 0.0004);
    assert_true(fabs(beyond_r / n - 0.00057620) < 0.00015);
    sim_free(&m);
}

/* ---- pool (Fuglevand et al. 1993) */

static void test_pool_thresholds_exponential(void **state)
{
    (void)state;
    emg_pool p;
    emg_pool_params q = EMG_POOL_PARAMS_INIT;
    emg_rng r;
    emg_rng_seed(&r, 1, 0);
    assert_int_equal(emg_pool_init(&p, &q, 0.5, &r, NULL), 0);
    int n = q.n_units;
    /* ln(threshold) is linear in the unit index with slope ln(RR)/n. */
    double slope = log(q.recruit_range) / n;
    for (int i = 1; i < n; i++)
        assert_true(fabs(log(p.units[i].threshold / p.units[i - 1].threshold) - slope) < 1e-12);
    assert_true(fabs(p.units[n - 1].threshold / p.units[0].threshold -
                     q.recruit_range / exp(slope)) < 1e-9);
    /* E_max = RTE(n) + (PFR(n) - MFR) / g_e = 30 + (25 - 8) = 47 */
    assert_true(fabs(p.max_excitation - 47.0) < 1e-12);
    /* Peak rates fall from PFR1 - PFRD RTE(1)/RTE(n) to PFR1 - PFRD. */
    assert_true(fabs(p.units[n - 1].peak_rate - 25.0) < 1e-9);
    assert_true(p.units[0].peak_rate > 34.6 && p.units[0].peak_rate < 35.0);
    /* Twitch forces span RP; contraction times span RT (slowest the smallest). */
    assert_true(fabs(p.units[n - 1].twitch / p.units[0].twitch * exp(log(100.0) / n) - 100.0) <
                1e-6);
    assert_true(fabs(p.units[0].twitch_time / p.units[n - 1].twitch_time -
                     pow(100.0, (1.0 - 1.0 / n) / (log(100.0) / log(3.0)))) < 1e-9);
    emg_pool_free(&p);
}

static void test_pool_rates_in_model_range(void **state)
{
    (void)state;
    emg_pool p;
    emg_pool_params q = EMG_POOL_PARAMS_INIT;
    emg_rng r;
    emg_rng_seed(&r, 2, 0);
    assert_int_equal(emg_pool_init(&p, &q, 0.5, &r, NULL), 0);
    int recruited_prev = 0;
    for (double e = 0.0; e <= 1.0; e += 0.01) {
        int recruited = 0;
        for (int i = 0; i < q.n_units; i++) {
            double rate = emg_pool_rate(&p, i, e);
            if (rate == 0.0)
                continue;
            recruited++;
            assert_true(rate >= q.min_rate - 1e-12);
            assert_true(rate <= p.units[i].peak_rate + 1e-12);
        }
        assert_true(recruited >= recruited_prev); /* size principle: orderly recruitment */
        recruited_prev = recruited;
    }
    /* All units recruited by RTE(n)/E_max = 30/47 of maximal excitation, at peak at 1. */
    for (int i = 0; i < q.n_units; i++) {
        assert_true(emg_pool_rate(&p, i, 30.0 / 47.0 + 1e-9) > 0.0);
        assert_true(fabs(emg_pool_rate(&p, i, 1.0) - p.units[i].peak_rate) < 1e-9);
    }
    /* RMS calibration: 0.5 mV at maximal excitation, rising with excitation. */
    assert_true(fabs(emg_pool_rms(&p, 1.0, 0.0) - 0.5) < 1e-6);
    assert_true(emg_pool_rms(&p, 0.2, 2000) < emg_pool_rms(&p, 0.5, 2000));
    emg_pool_free(&p);
}

static void test_muap_scales_with_conduction_velocity(void **state)
{
    (void)state;
    emg_pool p;
    emg_pool_params q = EMG_POOL_PARAMS_INIT;
    emg_rng r;
    emg_rng_seed(&r, 3, 0);
    assert_int_equal(emg_pool_init(&p, &q, 0.5, &r, NULL), 0);
    double fs = 100000.0; /* fine sampling: the anti-aliasing filter plays no part */
    for (int i = 0; i < q.n_units; i += 17) {
        double a[4096], b[4096];
        size_t na = emg_muap_sample(&p, i, 4.0, fs, a, 4096);
        size_t nb = emg_muap_sample(&p, i, 3.0, fs, b, 4096);
        double da = emg_muap_duration(a, na, fs), db = emg_muap_duration(b, nb, fs);
        assert_true(fabs(db / da - 4.0 / 3.0) < 0.01); /* duration ~ 1/CV */
        double pa = 0, pb = 0;
        for (size_t k = 0; k < na; k++)
            pa = fmax(pa, fabs(a[k]));
        for (size_t k = 0; k < nb; k++)
            pb = fmax(pb, fabs(b[k]));
        assert_true(fabs(pa / pb - 1.0) < 0.01); /* peak unchanged (Lindstrom) */
        /* Surface potentials last 5-25 ms. */
        assert_true(da > 0.005 && da < 0.025);
    }
    emg_pool_free(&p);
    /* Needle potentials are shorter and larger near the needle. */
    q.electrode = EMG_ELECTRODE_NEEDLE;
    assert_int_equal(emg_pool_init(&p, &q, 0, &r, NULL), 0);
    double amax = 0;
    for (int i = 0; i < q.n_units; i++) {
        double v[4096];
        size_t n = emg_muap_sample(&p, i, 4.0, 20000, v, 4096);
        double d = emg_muap_duration(v, n, 20000);
        assert_true(d > 0.002 && d < 0.015);
        amax = fmax(amax, p.units[i].amplitude);
    }
    print_message("needle: largest potential %.3f mV\n", amax);
    assert_true(amax > 0.3 && amax < 5.0);
    emg_pool_free(&p);
}

/* ---- determinism */

static void test_same_seed_same_samples(void **state)
{
    (void)state;
    const char *text = "channel agonist A\nchannel antagonist B\nchannel force F\n"
                       "rest 1\ncramp 2-4\nclonic 2\nmyoclonic 2\nischemic 3\nrest 1\n";
    sim a, b, c;
    sim_run(&a, text, 11);
    sim_run(&b, text, 11);
    sim_run(&c, text, 12);
    assert_int_equal(a.n, b.n);
    for (size_t ch = 0; ch < a.n_ch; ch++)
        assert_memory_equal(a.x[ch], b.x[ch], a.n * sizeof(double));
    assert_true(a.n != c.n || memcmp(a.x[0], c.x[0], a.n * sizeof(double)) != 0);
    /* The seed is in the provenance. */
    const emg_header *h = emg_synth_header(a.synth);
    assert_true(h->n_provenance >= 1);
    assert_non_null(strstr(h->provenance[0], "seed=11"));
    sim_free(&a);
    sim_free(&b);
    sim_free(&c);
}

static void test_duration_and_channels_options(void **state)
{
    (void)state;
    emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
    o.duration = 7.5;
    o.n_channels = 4;
    o.fs = 1000;
    sim m;
    sim_run_opts(&m, "channel agonist A\nrest 1\nvoluntary 2\n", &o);
    assert_int_equal(m.n, 7500);
    assert_int_equal(m.n_ch, 4);
    /* The 3 s timeline repeats: voluntary events at 1, 4, 7 s (the last cut). */
    const emg_synth_event *e = find_event(&m, "voluntary", 2);
    assert_non_null(e);
    assert_true(fabs(e->onset - 7.0) < 1e-9 && fabs(e->duration - 0.5) < 1e-9);
    sim_free(&m);
}

/* ---- fatigue: MDF falls in proportion to conduction velocity */

static double window_mdf(const double *x, size_t start, size_t len, double fs)
{
    emg_psd_plan *plan;
    emg_error err;
    assert_int_equal(emg_psd_plan_create(&plan, 512, EMG_TAPER_HANN, 0.5, fs, &err), 0);
    size_t bins = emg_psd_plan_bins(plan);
    double *psd = calloc(bins, sizeof *psd);
    assert_int_equal(emg_welch(plan, x + start, len, 256, psd, NULL, &err), 0);
    emg_spectral_stats st;
    emg_spectral_stats_compute(&st, psd, bins, emg_psd_plan_df(plan), 20.0, 450.0);
    free(psd);
    emg_psd_plan_destroy(plan);
    return st.mdf;
}

static void test_fatigue_mdf_follows_conduction(void **state)
{
    (void)state;
    sim m;
    sim_run(&m, "mains 0\nwander 0\nsnr 60\nchannel agonist A\nchannel force F\n"
                "voluntary 40 level=0.5 fatigue=0.25 ramp=0.5\n", 5);
    const emg_synth_event *e = find_event(&m, "voluntary", 0);
    assert_non_null(e);
    assert_true(fabs(e->cv_decline - 0.25) < 1e-12);
    /* Fuglevand rates: 8 pps at recruitment up to the units' peak rates (25-35 pps). */
    assert_true(e->rate_min_hz >= 8.0 - 1e-9 && e->rate_max_hz <= 35.0);
    assert_true(e->rate_hz > 8.0 && e->rate_hz < 35.0 && fabs(e->cv - 0.2) < 0.03);
    size_t w = (size_t)(3 * m.fs);
    double early = window_mdf(m.x[0], (size_t)(2 * m.fs), w, m.fs);   /* centre 3.5 s */
    double late = window_mdf(m.x[0], (size_t)(35 * m.fs), w, m.fs);   /* centre 36.5 s */
    double cv_ratio = 1.0 - 0.25 * (36.5 / 40.0), cv_ratio_early = 1.0 - 0.25 * (3.5 / 40.0);
    double expected = cv_ratio / cv_ratio_early;
    print_message("fatigue: MDF %.1f -> %.1f Hz, ratio %.3f, CV ratio %.3f\n", early, late,
                  late / early, expected);
    assert_true(early > 60.0 && early < 160.0); /* surface EMG MDF of a healthy muscle */
    assert_true(fabs(late / early - expected) < 0.05);
    /* Amplitude rises while the force is held. */
    double r_early = rms(m.x[0], (size_t)(2 * m.fs), (size_t)(5 * m.fs));
    double r_late = rms(m.x[0], (size_t)(35 * m.fs), (size_t)(38 * m.fs));
    assert_true(r_late > 1.15 * r_early);
    double f_early = 0, f_late = 0;
    for (size_t k = (size_t)(2 * m.fs); k < (size_t)(5 * m.fs); k++)
        f_early += m.x[1][k];
    for (size_t k = (size_t)(35 * m.fs); k < (size_t)(38 * m.fs); k++)
        f_late += m.x[1][k];
    print_message("fatigue: force %.1f -> %.1f %%MVC, rms %.3f -> %.3f mV\n", f_early / (3 * m.fs),
                  f_late / (3 * m.fs), r_early, r_late);
    assert_true(fabs(f_late / f_early - 1.0) < 0.15);
    sim_free(&m);
}

/* ---- spasm types against the criteria page, over several seeds */

static void test_cramp_discharge(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        sim m;
        sim_run(&m, "context rest\nwander 0\nchannel agonist A\nchannel antagonist B\nchannel neighbour C\n"
                    "rest 5\ncramp 20-40\nrest 5\n", seed);
        const emg_synth_event *e = find_event(&m, "cramp", 0);
        assert_non_null(e);
        /* mean ~14.5 pps within 6-25, irregular (ISI CV ~45%) */
        assert_true(e->rate_hz >= 6.0 && e->rate_hz <= 25.0);
        assert_true(e->rate_min_hz >= 6.0 && e->rate_max_hz <= 25.0);
        assert_true(e->cv > 0.3 && e->cv < 0.65);
        assert_true(e->duration >= 20.0 && e->duration <= 40.0);
        size_t a = (size_t)((e->onset + 2) * m.fs), b = (size_t)((e->onset + e->duration - 3) * m.fs);
        double ag = rms(m.x[0], a, b), an = rms(m.x[1], a, b), nb = rms(m.x[2], a, b);
        double rest = rms(m.x[0], 0, (size_t)(4 * m.fs));
        print_message("cramp seed %d: rate %.1f pps cv %.2f rms agonist %.4f antagonist %.4f "
                      "neighbour %.4f rest %.4f mV\n", (int)seed, e->rate_hz, e->cv, ag, an, nb,
                      rest);
        assert_true(ag > 10 * rest);
        assert_true(an < 0.15 * ag && nb < 0.15 * ag); /* antagonist and neighbour quiet */
        /* Abrupt onset: within 0.5 s the envelope reaches a third of the plateau's. */
        size_t o = (size_t)(e->onset * m.fs);
        assert_true(rms(m.x[0], o + (size_t)(0.3 * m.fs), o + (size_t)(0.6 * m.fs)) > ag / 3);
        sim_free(&m);
    }
}

static void test_fasciculation_potentials(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        sim m;
        sim_run(&m, "electrode needle\nfs 10000\nchannel agonist N\n"
                    "rest 2\nfasciculation 90 rate=20-40\n", seed);
        const emg_synth_event *e = find_event(&m, "fasciculation", 0);
        assert_non_null(e);
        assert_true(e->burst_min_ms >= 3.0 && e->burst_max_ms <= 24.0);
        double per_min = 60.0 * e->count / e->duration;
        assert_true(per_min > 5 && per_min < 60);
        assert_true(e->cv > 0.5); /* random timing, no rhythm */
        assert_true(e->amplitude_mv >= 0.1 && e->amplitude_mv <= 1.5);
        sim_free(&m);
    }
}

/* Rhythm of x[a, b): the frequency in [fmin, fmax] Hz where the Welch PSD of its
 * envelope (rectified or not, 5 ms bins) peaks, with the toolkit's spectrum code. */
static double burst_rate(const double *x, size_t a, size_t b, double fs, double fmin, double fmax,
                         int rectify)
{
    size_t step = (size_t)(fs / 200), m = (b - a) / step, n = 512;
    while (n > m)
        n /= 2;
    double *env = calloc(m, sizeof *env);
    for (size_t k = 0; k < m; k++)
        for (size_t j = 0; j < step; j++)
            env[k] += rectify ? fabs(x[a + k * step + j]) : x[a + k * step + j];
    emg_psd_plan *plan;
    emg_error err;
    assert_int_equal(emg_psd_plan_create(&plan, n, EMG_TAPER_HANN, 0.5, 200.0, &err), 0);
    size_t bins = emg_psd_plan_bins(plan);
    double *psd = calloc(bins, sizeof *psd), df = emg_psd_plan_df(plan);
    assert_int_equal(emg_welch(plan, env, m, n / 2, psd, NULL, &err), 0);
    double best = -1, best_f = 0;
    for (size_t k = 0; k < bins; k++)
        if (k * df >= fmin && k * df <= fmax && psd[k] > best) {
            best = psd[k];
            best_f = k * df;
        }
    /* Refine between bins: parabola through the peak and its neighbours. */
    size_t k = (size_t)lround(best_f / df);
    if (k > 0 && k + 1 < bins) {
        double l = psd[k - 1], c = psd[k], r = psd[k + 1], d = l - 2 * c + r;
        if (d < 0)
            best_f += 0.5 * (l - r) / d * df;
    }
    free(psd);
    free(env);
    emg_psd_plan_destroy(plan);
    return best_f;
}

static void test_clonic_rhythm(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        sim m;
        sim_run(&m, "context cns-lesion\nchannel agonist S\nchannel antagonist T\n"
                    "channel accelerometer ACC\nrest 2\nclonic 8\nrest 2\n", seed);
        const emg_synth_event *e = find_event(&m, "clonic", 0);
        assert_non_null(e);
        assert_true(e->rate_hz >= 3.8 && e->rate_hz <= 8.0);
        assert_true(e->burst_min_ms >= 50.0 && e->burst_max_ms <= 100.0);
        assert_true(e->cv < 0.2 && e->count >= 3);
        /* The samples beat at the table's rate, and so does the accelerometer. */
        size_t a = (size_t)(e->onset * m.fs), b = (size_t)((e->onset + e->duration) * m.fs);
        double f = burst_rate(m.x[0], a, b, m.fs, 3.0, 9.0, 1);
        assert_true(fabs(f - e->rate_hz) < 0.12 * e->rate_hz);
        double fa = burst_rate(m.x[2], a, b, m.fs, 3.0, 9.0, 0);
        print_message("clonic seed %d: table %.2f Hz, EMG %.2f Hz, accelerometer %.2f Hz\n",
                      (int)seed, e->rate_hz, f, fa);
        assert_true(fabs(fa - e->rate_hz) < 0.15 * e->rate_hz);
        sim_free(&m);
    }
}

static void test_tremor_ataxic_dystonic_rhythms(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        sim m;
        sim_run(&m, "context movement\nchannel agonist A\nchannel antagonist B\n"
                    "rest 1\ntremor 6\nrest 1\nataxic 6\nrest 1\ndystonic 4\nrest 1\n", seed);
        const emg_synth_event *t = find_event(&m, "tremor", 0);
        assert_non_null(t);
        print_message("tremor %.2f Hz cv %.3f\n", t->rate_hz, t->cv);
        assert_true(t->rate_hz >= 8.0 && t->rate_hz <= 12.0 && t->cv < 0.15);
        const emg_synth_event *a = find_event(&m, "ataxic", 0);
        assert_true(a->rate_hz >= 1.6 && a->rate_hz <= 5.5);
        assert_true(a->burst_min_ms >= 150.0 && a->burst_max_ms <= 250.0);
        const emg_synth_event *d = find_event(&m, "dystonic", 0);
        assert_true(d->rate_hz >= 4.0 && d->rate_hz <= 7.0);
        assert_non_null(strstr(d->channels, "B")); /* co-contraction */
        size_t x0 = (size_t)((d->onset + 0.8) * m.fs), x1 = (size_t)((d->onset + d->duration - 1) * m.fs);
        double ag = rms(m.x[0], x0, x1), an = rms(m.x[1], x0, x1);
        assert_true(an > 0.3 * ag && ag > 0.3 * an);
        double f = burst_rate(m.x[0], x0, x1, m.fs, 3.0, 8.0, 1);
        print_message("dystonic seed %d: common drive %.2f Hz, EMG envelope %.2f Hz\n", (int)seed,
                      d->rate_hz, f);
        assert_true(fabs(f - d->rate_hz) < 0.2 * d->rate_hz);
        sim_free(&m);
    }
}

static void test_myoclonic_tonic_tetanic_ischemic(void **state)
{
    (void)state;
    sim m;
    sim_run(&m, "channel agonist A\nchannel antagonist B\nchannel force F\n"
                "myoclonic 20 origin=cortical\nmyoclonic 20 origin=brainstem\n"
                "tonic 30-180 context=cns-lesion\nrest 5\n"
                "tetanic 60 context=hyperventilation\n"
                "rest 5\nischemic 20 context=ischemia\nrest 3\n", 4);
    const emg_synth_event *c = find_event(&m, "myoclonic", 0);
    assert_non_null(c);
    assert_non_null(strstr(c->detail, "cortical"));
    assert_true(c->burst_max_ms <= 45.0 && c->cv > 0.3); /* brief, arrhythmic */
    const emg_synth_event *b = find_event(&m, "myoclonic", 1);
    assert_true(b->burst_min_ms >= 100.0);
    const emg_synth_event *t = find_event(&m, "tonic", 0);
    assert_true(t->duration >= 30.0 && t->duration <= 180.0);
    assert_string_equal(t->context, "cns-lesion");
    const emg_synth_event *te = find_event(&m, "tetanic", 0);
    double spikes = 0;
    assert_int_equal(sscanf(strstr(te->detail, "spikes_mean="), "spikes_mean=%lf", &spikes), 1);
    assert_true(spikes >= 4.0 && te->count >= 30);
    const emg_synth_event *is = find_event(&m, "ischemic", 0);
    size_t a = (size_t)((is->onset + 8) * m.fs), z = (size_t)((is->onset + is->duration - 8) * m.fs);
    size_t r0 = (size_t)((is->onset - 4) * m.fs), r1 = (size_t)((is->onset - 1) * m.fs);
    /* EMG silent (as at rest) while the force rises to the contracture level. */
    assert_true(rms(m.x[0], a, z) < 1.5 * rms(m.x[0], r0, r1));
    double force = 0;
    for (size_t k = a; k < z; k++)
        force += m.x[2][k];
    force /= (double)(z - a);
    assert_true(force > 0.8 * is->level && force < 1.2 * is->level + 1.0);
    sim_free(&m);
}

static void test_builtins_cover_every_label(void **state)
{
    (void)state;
    size_t n_labels;
    const char *const *labels = emg_synth_labels(&n_labels);
    int seen[32] = {0};
    for (size_t i = 0; i < emg_scenario_builtin_count(); i++) {
        emg_scenario *sc;
        emg_error err;
        if (emg_scenario_load(&sc, emg_scenario_builtin_name(i), &err) < 0)
            fail_msg("%s: %s", emg_scenario_builtin_name(i), err.message);
        emg_synth *s;
        emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
        if (emg_synth_open(&s, sc, &o, &err) < 0)
            fail_msg("%s: %s", emg_scenario_builtin_name(i), err.message);
        for (size_t k = 0; k < emg_synth_event_count(s); k++)
            for (size_t j = 0; j < n_labels; j++)
                if (!strcmp(emg_synth_event_at(s, k)->label, labels[j]))
                    seen[j] = 1;
        emg_synth_close(s);
        emg_scenario_free(sc);
    }
    for (size_t j = 0; j < n_labels; j++)
        if (!seen[j])
            fail_msg("no built-in scenario has a '%s' event", labels[j]);
}

/* Every row of the built-in mixed session, over several seeds, within the
 * criteria page's numbers. */
static void test_session_rows_within_criteria(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        emg_scenario *sc;
        emg_synth *s;
        emg_error err;
        emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
        o.seed = seed;
        assert_int_equal(emg_scenario_load(&sc, "session", &err), 0);
        assert_int_equal(emg_synth_open(&s, sc, &o, &err), 0);
        const emg_block *b;
        while (emg_synth_read(s, &b, &err) > 0)
            ;
        for (size_t i = 0; i < emg_synth_event_count(s); i++) {
            const emg_synth_event *e = emg_synth_event_at(s, i);
            const char *l = e->label;
            int ok = 1;
            if (!strcmp(l, "clonic"))
                ok = e->rate_hz >= 3.8 && e->rate_hz <= 8 && e->burst_min_ms >= 50 &&
                     e->burst_max_ms <= 100 && e->cv < 0.2 && e->count >= 3;
            else if (!strcmp(l, "fasciculation"))
                ok = e->burst_min_ms >= 3 && e->burst_max_ms <= 24 && e->rate_hz * 60 <= 60;
            else if (!strcmp(l, "cramp"))
                ok = e->rate_hz >= 6 && e->rate_hz <= 25 && e->cv > 0.3;
            else if (!strcmp(l, "tonic"))
                ok = e->duration >= 30 && e->duration <= 180 && !strcmp(e->context, "cns-lesion");
            else if (!strcmp(l, "dystonic"))
                ok = e->rate_hz >= 4 && e->rate_hz <= 7 && e->burst_min_ms >= 50 &&
                     e->burst_max_ms <= 200 && strchr(e->channels, ',') != NULL;
            else if (!strcmp(l, "myoclonic"))
                ok = e->burst_min_ms >= 10 && e->burst_max_ms <= 250;
            else if (!strcmp(l, "ataxic"))
                ok = e->burst_min_ms >= 150 && e->burst_max_ms <= 250 && e->cv >= 0.1 &&
                     !strcmp(e->context, "movement");
            else if (!strcmp(l, "tremor"))
                ok = e->rate_hz >= 8 && e->rate_hz <= 12;
            else if (!strcmp(l, "tetanic"))
                ok = e->duration >= 59 && !strcmp(e->context, "hyperventilation");
            else if (!strcmp(l, "ischemic"))
                ok = e->level >= 5 && e->level <= 30 && strstr(e->channels, "Force") != NULL;
            if (!ok)
                fail_msg("seed %d: %s at %.2f s outside the criteria (rate %.3g cv %.3g burst "
                         "%.3g-%.3g ms, duration %.3g)", (int)seed, l, e->onset, e->rate_hz,
                         e->cv, e->burst_min_ms, e->burst_max_ms, e->duration);
        }
        emg_synth_close(s);
        emg_scenario_free(sc);
    }
}

/* ---- scenario format */

static void test_scenario_errors_name_the_line(void **state)
{
    (void)state;
    emg_scenario *sc;
    emg_error err;
    assert_int_equal(emg_scenario_parse(&sc, "rest 1\nspasm 3\n", "x.scn", &err), EMG_ERR_FORMAT);
    assert_string_equal(err.message, "x.scn:2: unknown keyword 'spasm'");
    assert_int_equal(emg_scenario_parse(&sc, "clonic 3 rte=5\n", "x.scn", &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "x.scn:1: unknown parameter 'rte'"));
    assert_int_equal(emg_scenario_parse(&sc, "repeat 2\nrest 1\n", "x.scn", &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "without 'end'"));
    assert_int_equal(emg_scenario_parse(&sc, "rest 5-2\n", "x.scn", &err), EMG_ERR_FORMAT);
    assert_int_equal(emg_scenario_parse(&sc, "context moon\nrest 1\n", "x.scn", &err),
                     EMG_ERR_FORMAT);
    assert_int_equal(emg_scenario_parse(&sc, "# only a comment\n", "x.scn", &err), EMG_ERR_FORMAT);
    /* ischemic without a force channel is refused when compiled */
    assert_int_equal(emg_scenario_parse(&sc, "ischemic 10\n", "x.scn", &err), 0);
    emg_synth *s;
    emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
    assert_int_equal(emg_synth_open(&s, sc, &o, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "x.scn:1:"));
    assert_non_null(strstr(err.message, "force channel"));
    emg_scenario_free(sc);
}

static void test_repeat_and_ranges(void **state)
{
    (void)state;
    sim m;
    sim_run(&m, "channel agonist A   # comment\nrepeat 3\n rest 1-2\n clonus 2 rate=5\nend\n", 9);
    int clonic = 0, rest = 0;
    for (size_t i = 0; i < emg_synth_event_count(m.synth); i++) {
        const emg_synth_event *e = emg_synth_event_at(m.synth, i);
        if (!strcmp(e->label, "clonic")) {
            clonic++;
            assert_true(fabs(e->rate_hz - 5.0) < 0.6);
        }
        if (!strcmp(e->label, "rest")) {
            rest++;
            assert_true(e->duration >= 1.0 && e->duration <= 2.0);
        }
    }
    assert_int_equal(clonic, 3);
    assert_int_equal(rest, 3);
    sim_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_repeatable_and_uniform),
        cmocka_unit_test(test_portable_math),
        cmocka_unit_test(test_noise_is_gaussian),
        cmocka_unit_test(test_pool_thresholds_exponential),
        cmocka_unit_test(test_pool_rates_in_model_range),
        cmocka_unit_test(test_muap_scales_with_conduction_velocity),
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_duration_and_channels_options),
        cmocka_unit_test(test_fatigue_mdf_follows_conduction),
        cmocka_unit_test(test_cramp_discharge),
        cmocka_unit_test(test_fasciculation_potentials),
        cmocka_unit_test(test_clonic_rhythm),
        cmocka_unit_test(test_tremor_ataxic_dystonic_rhythms),
        cmocka_unit_test(test_myoclonic_tonic_tetanic_ischemic),
        cmocka_unit_test(test_builtins_cover_every_label),
        cmocka_unit_test(test_session_rows_within_criteria),
        cmocka_unit_test(test_scenario_errors_name_the_line),
        cmocka_unit_test(test_repeat_and_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
