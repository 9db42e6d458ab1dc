/* test_features.c: time-domain features on hand-computed cases, the
 * extractor on analytic signals, window flags, the streaming engine (block
 * sizes, threads, noise floor) and on a real recording. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emgkit/features.h"
#include "emgkit/io.h"
#include "test_helpers.h"


static size_t feature(const char *name)
{
    int id = emg_feature_find(name);
    assert_true(id >= 0);
    return (size_t)id;
}

static void hand_computed(void **state)
{
    (void)state;
    const double x[] = {1, -2, 3, 3, -1, 0.5};
    assert_close(emg_feat_rms(x, 6), sqrt((1 + 4 + 9 + 9 + 1 + 0.25) / 6), 1e-15);
    assert_close(emg_feat_mav(x, 6), 10.5 / 6, 1e-15);
    assert_close(emg_feat_wl(x, 6), 3 + 5 + 0 + 4 + 1.5, 1e-15);
    assert_close(emg_feat_zc(x, 6, 0), 4, 0);   /* 1|-2, -2|3, 3|-1, -1|0.5 */
    assert_close(emg_feat_zc(x, 6, 4.5), 1, 0); /* crossing steps 3, 5, 4, 1.5 */
    assert_close(emg_feat_ssc(x, 6, 0), 2, 0);  /* peaks/troughs at -2 and -1; the 3,3 plateau is not */
    assert_close(emg_feat_wamp(x, 6, 3.5), 2, 0);
}

static void catalogue_and_lists(void **state)
{
    (void)state;
    assert_true(emg_feature_count() >= 60);
    for (size_t i = 0; i < emg_feature_count(); i++) {
        assert_non_null(emg_feature_name(i));
        assert_int_equal(emg_feature_find(emg_feature_name(i)), (int)i);
    }
    assert_int_equal(emg_feature_find("IAV"), emg_feature_find("iemg"));
    size_t *ids, n;
    emg_error err;
    assert_int_equal(emg_feature_list_parse("rms,MDF,rms", &ids, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[1], feature("mdf"));
    free(ids);
    assert_int_equal(emg_feature_list_parse("fatigue", &ids, &n, &err), 0);
    assert_int_equal(n, 5);
    free(ids);
    assert_int_equal(emg_feature_list_parse("rms,bogus", &ids, &n, &err), EMG_ERR_ARG);
    assert_non_null(strstr(err.message, "bogus"));
    char buf[64];
    assert_string_equal(emg_window_flags_text(EMG_WINDOW_REST | EMG_WINDOW_LOW_SNR, buf, sizeof buf),
                        "rest,low_snr");
    assert_string_equal(emg_window_flags_text(0, buf, sizeof buf), "ok");
}

/* A 100 Hz sine through the extractor: amplitude, frequency and Hjorth
 * features take their analytic values. */
static void sine_window(void **state)
{
    (void)state;
    double fs = 1000, f0 = 100, a = 2.0;
    size_t n = 1000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = a * sin(2 * M_PI * f0 * (double)i / fs);
    const char *names[] = {"rms", "mav", "var", "zc", "mdf", "mnf", "peak_freq", "fi_nsm5",
                           "spec_entropy", "hjorth_mobility", "total_power", "iemg", "mean",
                           "kurt", "sampen"};
    size_t nn = sizeof names / sizeof names[0], ids[32];
    for (size_t i = 0; i < nn; i++)
        ids[i] = feature(names[i]);
    emg_feature_extractor *fx;
    emg_error err;
    emg_spectrum_options so = EMG_SPECTRUM_OPTIONS_INIT;
    assert_int_equal(emg_feature_extractor_create(&fx, fs, n, ids, nn, NULL, &so, &err), 0);
    double v[32];
    unsigned flags = 99;
    assert_int_equal(emg_feature_extractor_run(fx, x, -1, v, &flags, &err), 0);
    assert_int_equal(flags, 0);
    assert_close(v[0], a / sqrt(2), 1e-12);
    double mav = 0; /* 10 samples per period: the sampled mean of |sin|, not 2/pi */
    for (size_t i = 0; i < n; i++)
        mav += fabs(x[i]) / (double)n;
    assert_close(v[1], mav, 1e-12);
    assert_close(v[2], a * a / 2, 1e-12);
    assert_close(v[3], 199, 1);         /* two crossings per period */
    assert_close(v[4], 100, 0.3);       /* 3.90625 Hz bins: within-bin interpolation */
    assert_close(v[5], 100, 0.05);
    assert_close(v[6], 101.5625, 1e-9); /* nearest bin, 26 * 3.90625 */
    assert_close(v[7], pow(100, -6), 0.02 * pow(100, -6));
    assert_true(v[8] < 0.2);            /* a line: low entropy */
    assert_close(v[9], 2 * sin(M_PI * f0 / fs), 1e-3);
    assert_close(v[10], a * a / 2, 0.01 * a * a / 2);
    assert_close(v[11], mav * (double)n / fs, 1e-12);
    assert_close(v[12], 0, 1e-12);
    assert_close(v[13], 1.5, 1e-3);     /* kurtosis of a sine */
    emg_feature_extractor_destroy(fx);
    free(x);
}

/* Burg's AR(4) on an AR(2) process recovers its prediction-error filter
 * 1 - 1.2 z^-1 + 0.6 z^-2 (and near-zero higher coefficients). */
static void ar_burg(void **state)
{
    (void)state;
    size_t n = 20000, ids[4] = {feature("ar1"), feature("ar2"), feature("ar3"), feature("ar4")};
    double *x = malloc(n * sizeof *x), v[4];
    srand(3);
    x[0] = x[1] = 0;
    for (size_t i = 2; i < n; i++)
        x[i] = 1.2 * x[i - 1] - 0.6 * x[i - 2] + ((double)rand() / RAND_MAX - 0.5);
    emg_feature_extractor *fx;
    emg_error err;
    assert_int_equal(emg_feature_extractor_create(&fx, 1000, n, ids, 4, NULL, NULL, &err), 0);
    assert_int_equal(emg_feature_extractor_run(fx, x, -1, v, NULL, &err), 0);
    assert_close(v[0], -1.2, 0.03);
    assert_close(v[1], 0.6, 0.03);
    assert_close(v[2], 0, 0.03);
    assert_close(v[3], 0, 0.03);
    emg_feature_extractor_destroy(fx);
    free(x);
}

static void window_flags(void **state)
{
    (void)state;
    size_t n = 500, ids[2] = {feature("rms"), feature("snr_db")};
    double *x = malloc(n * sizeof *x), v[2];
    emg_feature_options o = EMG_FEATURE_OPTIONS_INIT;
    o.noise_rms = 0.1;
    o.clip_low = -1;
    o.clip_high = 1;
    emg_feature_extractor *fx;
    emg_error err;
    unsigned flags;
    assert_int_equal(emg_feature_extractor_create(&fx, 500, n, ids, 2, &o, NULL, &err), 0);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5;
    assert_int_equal(emg_feature_extractor_run(fx, x, -1, v, &flags, &err), 0);
    assert_true(flags & EMG_WINDOW_FLAT);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.05 * sin(0.3 * (double)i); /* RMS 0.035 < noise 0.1 */
    assert_int_equal(emg_feature_extractor_run(fx, x, -1, v, &flags, &err), 0);
    assert_int_equal(flags, EMG_WINDOW_REST | EMG_WINDOW_LOW_SNR);
    assert_close(v[1], 20 * log10(0.05 / sqrt(2) / 0.1), 0.05);
    for (size_t i = 0; i < n; i++)
        x[i] = 1.5 * sin(0.3 * (double)i); /* beyond the rails a third of the time */
    assert_int_equal(emg_feature_extractor_run(fx, x, -1, v, &flags, &err), 0);
    assert_int_equal(flags, EMG_WINDOW_CLIPPED);
    emg_feature_extractor_destroy(fx);
    free(x);
}

/* ---- engine ---------------------------------------------------------- */

typedef struct rows {
    size_t n;
    double v[4096][4];
    size_t channel[4096], window[4096];
    unsigned flags[4096];
} rows;

static int keep(void *ctx, const emg_window_result *w)
{
    rows *r = ctx;
    if (r->n >= 4096)
        return -1;
    memcpy(r->v[r->n], w->values, 4 * sizeof(double));
    r->channel[r->n] = w->channel;
    r->window[r->n] = w->window;
    r->flags[r->n] = w->flags;
    r->n++;
    return 0;
}

static void make_header(emg_header *h, size_t nch, double fs)
{
    emg_error err;
    emg_header_init(h);
    for (size_t c = 0; c < nch; c++) {
        emg_channel ch;
        emg_channel_init(&ch);
        snprintf(ch.name, sizeof ch.name, "ch%zu", c + 1);
        ch.fs = fs;
        assert_true(emg_header_add_channel(h, &ch, &err) >= 0);
    }
}

/* Synthetic 2-channel recording: 4 s of rest (noise), 8 s of a burst; a
 * NaN in channel 1 at sample gap_sample when that is set. */
static size_t gap_sample = SIZE_MAX;
static emg_gap_count engine_gaps[2];

static double sample(size_t c, size_t i, double fs)
{
    if (c == 0 && i == gap_sample)
        return NAN;
    double t = (double)i / fs;
    double noise = 0.01 * sin(12345.678 * (double)(i * (c + 1)) + 0.1 * (double)(i % 97));
    double burst = t >= 4 ? (0.5 + 0.1 * (double)c) * sin(2 * M_PI * (80 + 10 * (double)c) * t) : 0;
    return noise + burst;
}

static void run_engine(rows *r, int threads, size_t block, int with_filter)
{
    double fs = 1000;
    size_t nch = 2, total = 12000;
    emg_header h;
    make_header(&h, nch, fs);
    size_t ids[4] = {feature("rms"), feature("mdf"), feature("snr_db"), feature("zc")};
    emg_window_options wo = EMG_WINDOW_OPTIONS_INIT;
    wo.threads = threads;
    emg_filter_stage_options fso = EMG_FILTER_STAGE_OPTIONS_INIT;
    emg_channel_stage stage;
    emg_channel_stage_filter(&stage, &fso);
    emg_window_engine *e;
    emg_error err;
    r->n = 0;
    assert_int_equal(emg_window_engine_create(&e, &h, ids, 4, NULL, NULL, &wo,
                                              with_filter ? &stage : NULL, keep, r, &err), 0);
    emg_block b;
    emg_block_init(&b);
    for (size_t start = 0; start < total; start += block) {
        size_t n = start + block <= total ? block : total - start;
        assert_int_equal(emg_block_reserve(&b, nch, n, &err), 0);
        for (size_t c = 0; c < nch; c++) {
            for (size_t i = 0; i < n; i++)
                b.data[c][i] = sample(c, start + i, fs);
            b.count[c] = n;
        }
        assert_int_equal(emg_window_engine_push(e, &b, &err), 0);
    }
    assert_int_equal(emg_window_engine_finish(e, &err), 0);
    for (size_t c = 0; c < nch; c++)
        engine_gaps[c] = emg_window_engine_gaps(e, c);
    emg_window_engine_destroy(e);
    emg_block_free(&b);
    emg_header_free(&h);
}

static void engine_windows(void **state)
{
    (void)state;
    static rows a, b, c;
    run_engine(&a, 1, 1000, 0);
    /* 12 s, 1 s windows every 0.5 s: 23 windows x 2 channels, window-major */
    assert_int_equal(a.n, 46);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.window[i], i / 2);
        assert_int_equal(a.channel[i], i % 2);
    }
    /* rest windows (before 4 s) are flagged from the estimated noise floor;
     * burst windows are not, and their MDF is the burst frequency */
    assert_true(a.flags[0] & EMG_WINDOW_REST);
    assert_true(a.flags[2 * 2] & EMG_WINDOW_REST);
    assert_int_equal(a.flags[2 * 10], 0);
    assert_close(a.v[2 * 10][1], 80, 2);
    assert_close(a.v[2 * 10 + 1][1], 90, 2);
    assert_true(a.v[2 * 10][2] > 20); /* snr_db */
    /* odd block sizes and two threads give the same numbers */
    run_engine(&b, 2, 337, 0);
    assert_int_equal(b.n, a.n);
    for (size_t i = 0; i < a.n; i++)
        for (int k = 0; k < 4; k++)
            assert_true(a.v[i][k] == b.v[i][k] || (isnan(a.v[i][k]) && isnan(b.v[i][k])));
    /* with the filter stage: same window count, MDF still at the burst */
    run_engine(&c, 2, 1000, 1);
    assert_int_equal(c.n, a.n);
    assert_close(c.v[2 * 10][1], 80, 2);
}

/* One NaN sample (docs/recording-model.md): the two windows holding it are
 * flagged "gap" with every feature n/a; every other window of that channel,
 * with or without the zero-phase filter stage, and the other channel are
 * unharmed; the engine counts the gap and its position. */
static void engine_gap(void **state)
{
    (void)state;
    static rows a;
    gap_sample = 8000;
    for (int with_filter = 0; with_filter < 2; with_filter++) {
        run_engine(&a, 1, 1000, with_filter);
        assert_int_equal(a.n, 46);
        for (size_t i = 0; i < a.n; i++) {
            int gap = a.channel[i] == 0 && (a.window[i] == 15 || a.window[i] == 16);
            assert_int_equal((a.flags[i] & EMG_WINDOW_GAP) != 0, gap);
            for (int k = 0; k < 4; k++)
                if (gap || k != 2) /* snr_db is n/a where the floor is unknown */
                    assert_int_equal(isnan(a.v[i][k]), gap);
        }
        assert_close(a.v[2 * 18][1], 80, 2); /* MDF after the gap, channel 1 */
        assert_int_equal(engine_gaps[0].count, 1);
        assert_int_equal(engine_gaps[0].first, 8000);
        assert_int_equal(engine_gaps[1].count, 0);
        char line[200];
        assert_true(emg_gap_warning(line, sizeof line, &engine_gaps[0], "ch1", 1000) > 0);
        assert_non_null(strstr(line, "channel ch1: 1 non-finite sample (NaN or infinity), the first at 8 s"));
        assert_int_equal(emg_gap_warning(line, sizeof line, &engine_gaps[1], "ch2", 1000), 0);
    }
    gap_sample = SIZE_MAX;
    char text[64];
    assert_string_equal(emg_window_flags_text(EMG_WINDOW_GAP | EMG_WINDOW_REST, text, sizeof text),
                        "rest,gap");
}

/* On a real recording: the PLUX fatigue file gives 252 windows whose MDF
 * drops from the first to the last minute. */
static void engine_real_recording(void **state)
{
    (void)state;
    emg_reader *r;
    emg_error err;
    emg_read_options ro = EMG_READ_OPTIONS_INIT;
    if (emg_reader_open(&r, EMGKIT_DATASETS "/plux_opensignals/emg_fatigue.h5", &ro, &err) < 0) {
        print_message("skipped: %s\n", err.message);
        skip();
    }
    static rows a;
    a.n = 0;
    size_t ids[4] = {feature("rms"), feature("mdf"), feature("mnf"), feature("fi_nsm5")};
    emg_window_engine *e;
    assert_int_equal(emg_window_engine_create(&e, emg_reader_header(r), ids, 4, NULL, NULL, NULL,
                                              NULL, keep, &a, &err), 0);
    assert_int_equal(emg_window_engine_run(e, r, &err), 0);
    assert_int_equal(a.n, 252);
    double first = 0, last = 0;
    int nf = 0, nl = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (a.flags[i])
            continue;
        if (a.window[i] < 60) {
            first += a.v[i][1];
            nf++;
        } else if (a.window[i] >= 192) {
            last += a.v[i][1];
            nl++;
        }
    }
    assert_true(nf > 30 && nl > 30);
    print_message("PLUX MDF: first 30 s %.1f Hz, last 30 s %.1f Hz\n", first / nf, last / nl);
    assert_true(first / nf > last / nl + 8);
    emg_window_engine_destroy(e);
    emg_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_computed),  cmocka_unit_test(catalogue_and_lists),
        cmocka_unit_test(sine_window),    cmocka_unit_test(ar_burg),
        cmocka_unit_test(window_flags),
        cmocka_unit_test(engine_windows), cmocka_unit_test(engine_real_recording),
        cmocka_unit_test(engine_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
