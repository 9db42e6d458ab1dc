/* test_detect.c: onset detectors on analytic signals with known onsets, the
 * quiet-window rest level, and segment merging. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emgkit/detect.h"
#include "test_helpers.h"

#define FS 2000.0


/* 20 s of noise (SD 0.01) with bursts (SD 0.2) at 3-4 s, 8-9.5 s, 14-14.5 s. */
static const double ON[3] = {3.0, 8.0, 14.0}, OFF[3] = {4.0, 9.5, 14.5};
static double *make_signal(size_t *n)
{
    *n = (size_t)(20 * FS);
    double *x = malloc(*n * sizeof *x);
    rng_state = 88172645463325252ULL;
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / FS, sd = 0.01;
        for (int k = 0; k < 3; k++)
            if (t >= ON[k] && t < OFF[k])
                sd = 0.2;
        x[i] = sd * gauss();
    }
    return x;
}

static void check_method(emg_detect_method m, double tol)
{
    size_t n;
    double *x = make_signal(&n);
    emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
    o.method = m;
    o.min_duration = 0.2; /* the bursts last 0.5-1.5 s */
    o.merge_gap = 0.1;
    emg_detect_result r;
    emg_error err;
    assert_int_equal(emg_detect_run(&r, x, n, FS, &o, &err), 0);
    assert_int_equal(r.n_events, 3);
    for (int k = 0; k < 3; k++) {
        double on_err = r.events[k].onset - ON[k];
        double off_err = r.events[k].onset + r.events[k].duration - OFF[k];
        print_message("%s burst %d: onset error %+.1f ms, offset error %+.1f ms\n",
                      emg_detect_method_name(m), k, 1e3 * on_err, 1e3 * off_err);
        assert_true(fabs(on_err) < tol);
        /* Offsets: the envelope decays and nearby noise may merge (merge gap 0.1 s). */
        assert_true(fabs(off_err) < 0.2);
        /* RMS of the band-passed burst: white noise SD 0.2 keeps ~ (450-20)/1000 of its power. */
        assert_true(r.events[k].rms > 0.08 && r.events[k].rms < 0.2);
    }
    emg_detect_result_free(&r);
    free(x);
}

/* Onset tolerances: the threshold method's onsets are refined to the change
 * of variance (the 50 ms envelope alone led by about half a window, -25 to
 * -29 ms); the others are within ~15 ms on this signal (see
 * docs/methods/detection.md). */
static void test_threshold(void **s) { (void)s; check_method(EMG_DETECT_THRESHOLD, 0.015); }
static void test_bonato(void **s) { (void)s; check_method(EMG_DETECT_BONATO, 0.04); }
static void test_tkeo(void **s) { (void)s; check_method(EMG_DETECT_TKEO, 0.015); }
static void test_hodges(void **s) { (void)s; check_method(EMG_DETECT_HODGES, 0.025); }
static void test_lidierth(void **s) { (void)s; check_method(EMG_DETECT_LIDIERTH, 0.015); }
static void test_aglr(void **s) { (void)s; check_method(EMG_DETECT_AGLR, 0.015); }

/* Activity over 70 % of the record: the rest level still comes from the
 * quiet windows, not from the median of the file. */
static void test_rest_quiet_windows(void **s)
{
    (void)s;
    size_t n = (size_t)(10 * FS);
    double *env = malloc(n * sizeof *env);
    for (size_t i = 0; i < n; i++)
        env[i] = i < (size_t)(3 * FS) ? 1.0 + 0.1 * ((i % 7) / 6.0) : 50.0;
    emg_rest_level r;
    emg_error err;
    assert_int_equal(emg_rest_estimate(&r, env, n, FS, 1.0, 0.2, 0, -1, &err), 0);
    assert_true(r.median >= 1.0 && r.median <= 1.1);
    assert_true(r.to <= 3.0);
    /* A given interval wins. */
    assert_int_equal(emg_rest_estimate(&r, env, n, FS, 1.0, 0.2, 5, 6, &err), 0);
    assert_float_equal(r.median, 50.0, 1e-12);
    assert_int_equal(emg_rest_estimate(&r, env, n, FS, 1.0, 0.2, 20, 30, &err), EMG_ERR_ARG);
    free(env);
}

/* The detector's estimate: 0.6 s of rest in 40 s of activity whose level
 * wanders (the quietest 20 % of windows would be activity), a flat dropout
 * that must not anchor the rest, and no consistent quiet stretch at all. */
static void test_rest_lowest_cluster(void **s)
{
    (void)s;
    size_t n = (size_t)(40 * FS);
    double *env = malloc(n * sizeof *env);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / FS;
        if (t >= 2.0 && t < 2.6)
            env[i] = 1.0 + 0.2 * ((i % 11) / 10.0); /* rest */
        else if (t >= 30.0 && t < 30.5)
            env[i] = 0.0; /* dropout */
        else
            env[i] = 20.0 + 15.0 * sin(0.7 * t); /* activity, 5-35 */
    }
    emg_rest_level r;
    emg_error err;
    assert_int_equal(emg_rest_estimate_lowest(&r, env, n, FS, 0.2, 0.2, 0, -1, &err), 0);
    assert_false(r.unsure);
    assert_true(r.mean >= 1.0 && r.mean <= 1.2);
    assert_true(r.from >= 1.9 && r.to <= 2.7);
    assert_true(r.spread >= 1.0 && r.spread <= 2.0);
    /* the old estimate takes the quietest 20 %: mostly activity */
    assert_int_equal(emg_rest_estimate(&r, env, n, FS, 1.0, 0.2, 0, -1, &err), 0);
    assert_true(r.mean > 2.0);
    /* every 0.1 s three times louder than the last: no three windows agree */
    size_t m = (size_t)(1.2 * FS);
    for (size_t i = 0; i < m; i++)
        env[i] = pow(3.0, (double)(i / (size_t)(0.1 * FS)));
    assert_int_equal(emg_rest_estimate_lowest(&r, env, m, FS, 0.2, 0.2, 0, -1, &err), 0);
    assert_true(r.unsure);
    /* a given interval wins */
    assert_int_equal(emg_rest_estimate_lowest(&r, env, m, FS, 0.2, 0.2, 0.0, 0.1, &err), 0);
    assert_false(r.unsure);
    assert_float_equal(r.mean, 1.0, 1e-12);
    free(env);
}

static void test_segments(void **s)
{
    (void)s;
    double sig[20] = {0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0};
    size_t *seg, ns;
    emg_error err;
    /* merge gaps < 2 samples, keep segments >= 3 samples */
    assert_int_equal(emg_segments_above(&seg, &ns, sig, 20, 0.5, 3, 2, &err), 0);
    assert_int_equal(ns, 2);
    assert_int_equal(seg[0], 1);
    assert_int_equal(seg[1], 7);
    assert_int_equal(seg[2], 14);
    assert_int_equal(seg[3], 18);
    free(seg);
}

/* One 10 ms triphasic potential in noise: the transient detector finds it
 * with 3 phases and the correct time. */
static void test_transient(void **s)
{
    (void)s;
    size_t n = (size_t)(5 * FS);
    double *x = calloc(n, sizeof *x);
    rng_state = 12345;
    for (size_t i = 0; i < n; i++)
        x[i] = 0.002 * gauss();
    size_t at = (size_t)(2.5 * FS);
    for (size_t j = 0; j < 20; j++) /* one period of sin(2 pi t / 10 ms) */
        x[at + j] += 0.2 * sin(2 * M_PI * (double)j / 20.0) * (j < 20);
    emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
    o.method = EMG_DETECT_TRANSIENT;
    emg_detect_result r;
    emg_error err;
    assert_int_equal(emg_detect_run(&r, x, n, FS, &o, &err), 0);
    assert_int_equal(r.n_events, 1);
    print_message("transient at %.4f s for %.4f s, %d phases\n", r.events[0].onset,
                  r.events[0].duration, r.events[0].phases);
    assert_true(fabs(r.events[0].onset - 2.5) < 0.005);
    assert_true(r.events[0].duration < 0.03);
    assert_true(r.events[0].phases >= 2 && r.events[0].phases <= 4);
    emg_detect_result_free(&r);
    free(x);
}

/* Five NaN samples inside the second burst (docs/recording-model.md): every
 * method still finds the first and third bursts, counts the gap, and places
 * no event across it; activity on both sides of it is still found. */
static void test_gap_inside_burst(void **s)
{
    (void)s;
    static const emg_detect_method methods[] = {EMG_DETECT_THRESHOLD, EMG_DETECT_BONATO,
                                                EMG_DETECT_TKEO,      EMG_DETECT_HODGES,
                                                EMG_DETECT_LIDIERTH,  EMG_DETECT_AGLR};
    const size_t gap = (size_t)(8.75 * FS), gap_len = 5;
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
        size_t n;
        double *x = make_signal(&n);
        for (size_t i = gap; i < gap + gap_len; i++)
            x[i] = i % 2 ? INFINITY : NAN;
        emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
        o.method = methods[m];
        o.min_duration = 0.2;
        o.merge_gap = 0.1;
        emg_detect_result r;
        emg_error err;
        assert_int_equal(emg_detect_run(&r, x, n, FS, &o, &err), 0);
        assert_int_equal(r.gaps.count, gap_len);
        assert_int_equal(r.gaps.first, (long long)gap);
        int before = 0, after = 0, first = 0, last = 0;
        for (size_t k = 0; k < r.n_events; k++) {
            double a = r.events[k].onset, b = a + r.events[k].duration;
            assert_false(a < (double)(gap + gap_len) / FS && b > (double)gap / FS);
            assert_true(isfinite(r.events[k].rms) && isfinite(r.events[k].peak));
            first |= fabs(a - ON[0]) < 0.05;
            before |= a < 8.5 && b > 8.5;
            after |= a < 9.2 && b > 9.2;
            last |= fabs(a - ON[2]) < 0.05;
        }
        if (!(first && before && after && last))
            fail_msg("%s: bursts found: first %d, before the gap %d, after it %d, last %d",
                     emg_detect_method_name(methods[m]), first, before, after, last);
        emg_detect_result_free(&r);
        free(x);
    }
}

static void test_names(void **s)
{
    (void)s;
    emg_detect_method m;
    emg_error err;
    assert_int_equal(emg_detect_method_from_name("AGLR", &m, &err), 0);
    assert_int_equal(m, EMG_DETECT_AGLR);
    assert_string_equal(emg_detect_method_name(EMG_DETECT_BONATO), "bonato");
    assert_int_equal(emg_detect_method_from_name("magic", &m, &err), EMG_ERR_ARG);
}

/* A rate no reader passes any more (the model refuses it) must not make the
 * band-pass write past its buffer: lround(0.02 * 4.6e21) overflowed. */
static void test_bandpass_absurd_rate(void **state)
{
    (void)state;
    double x[4] = {1, -1, 1, -1}, y[4];
    emg_error err;
    const double rates[] = {4.6e21, 1e300};
    for (int k = 0; k < 2; k++) {
        int rc = emg_detect_bandpass(y, x, 4, rates[k], 20, 450, &err);
        assert_true(rc == 0 || rc == EMG_ERR_ARG);
    }
}

/* ---- streamed detection (emg_detect_stream) against the whole channel ----- */

static int read_array(void *ctx, size_t first, size_t count, double *dst, emg_error *err)
{
    (void)err;
    memcpy(dst, (const double *)ctx + first, count * sizeof *dst);
    return 0;
}

/* 90 s of noise with contractions of 0.3-30 s (one longer than the 20 s
 * smallest block), brief blips, a ramp, and a gap. */
static double *make_night(size_t *n)
{
    static const double on[] = {2.0, 5.0, 9.0, 9.9, 14.0, 50.0, 51.2, 70.0, 85.0};
    static const double off[] = {2.3, 7.0, 9.6, 12.0, 44.0, 50.05, 53.0, 72.0, 89.99};
    static const double sd[] = {0.2, 0.1, 0.3, 0.05, 0.15, 0.4, 0.08, 0.2, 0.1};
    *n = (size_t)(90 * FS);
    double *x = malloc(*n * sizeof *x);
    rng_state = 1234567ULL;
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / FS, s = 0.01;
        for (size_t k = 0; k < sizeof on / sizeof *on; k++)
            if (t >= on[k] && t < off[k])
                s = sd[k] * (k == 7 ? (t - on[k]) / 2.0 + 0.05 : 1.0);
        x[i] = s * gauss();
    }
    x[(size_t)(60.5 * FS)] = NAN; /* a gap */
    return x;
}

static void compare_stream(const emg_detect_options *o, size_t budget, size_t min_blocks)
{
    size_t n;
    double *x = make_night(&n);
    emg_detect_result whole, streamed;
    emg_error err;
    assert_int_equal(emg_detect_run(&whole, x, n, FS, o, &err), 0);
    assert_int_equal(emg_detect_stream(&streamed, read_array, x, n, FS, o, budget, &err), 0);
    print_message("stream: %zu events whole, %zu streamed in %zu blocks\n", whole.n_events,
                  streamed.n_events, streamed.n_blocks);
    assert_true(streamed.n_blocks >= min_blocks);
    assert_int_equal(streamed.forced_cuts, 0);
    assert_true(whole.n_events > 3);
    assert_int_equal(streamed.n_events, whole.n_events);
    for (size_t k = 0; k < whole.n_events; k++) {
        const emg_active_event *a = &whole.events[k], *b = &streamed.events[k];
        /* edges are sample indices: equal; measures within the streaming
         * band-pass's 1e-12 of the signal's scale */
        assert_true(a->onset == b->onset && a->duration == b->duration);
        assert_true(fabs(a->peak - b->peak) <= 1e-9 * a->peak);
        assert_true(fabs(a->area - b->area) <= 1e-9 * a->area);
        assert_true(fabs(a->rms - b->rms) <= 1e-9 * a->rms);
        assert_int_equal(a->phases, b->phases);
        assert_int_equal(a->turns, b->turns);
    }
    assert_true(fabs(whole.rest.mean - streamed.rest.mean) <= 1e-9 * whole.rest.mean);
    assert_true(fabs(whole.threshold - streamed.threshold) <= 1e-9 * whole.threshold);
    assert_true(whole.rest.from == streamed.rest.from && whole.rest.to == streamed.rest.to);
    assert_int_equal(whole.gaps.count, streamed.gaps.count);
    emg_detect_result_free(&whole);
    emg_detect_result_free(&streamed);
    free(x);
}

static void test_stream_equals_whole(void **state)
{
    (void)state;
    emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
    compare_stream(&o, 0, 3);         /* 20 s blocks (grown for the 30 s contraction) */
    compare_stream(&o, 1u << 30, 1);  /* one block */
    emg_detect_options_burst(&o);
    compare_stream(&o, 0, 3);
    emg_detect_options r = EMG_DETECT_OPTIONS_INIT;
    r.rest_from = 45.0;
    r.rest_to = 49.0;
    compare_stream(&r, 0, 3);
    emg_detect_options t = EMG_DETECT_OPTIONS_INIT;
    t.method = EMG_DETECT_TKEO;
    emg_detect_result res;
    emg_error err;
    double x[8] = {0};
    assert_int_equal(emg_detect_streams(&t), 0);
    assert_int_equal(emg_detect_stream(&res, read_array, x, 8, FS, &t, 0, &err), EMG_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold), cmocka_unit_test(test_bonato),
        cmocka_unit_test(test_tkeo),      cmocka_unit_test(test_hodges),
        cmocka_unit_test(test_lidierth),  cmocka_unit_test(test_aglr),
        cmocka_unit_test(test_rest_quiet_windows), cmocka_unit_test(test_rest_lowest_cluster),
        cmocka_unit_test(test_segments), cmocka_unit_test(test_stream_equals_whole),
        cmocka_unit_test(test_transient), cmocka_unit_test(test_names),
        cmocka_unit_test(test_bandpass_absurd_rate), cmocka_unit_test(test_gap_inside_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
