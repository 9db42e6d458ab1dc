/* test_score.c: event matching, per-class scores and the confusion matrix on
 * hand-worked cases. */
#include <math.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "emgkit/score.h"

static emg_scored_event ev(double on, double dur, const char *ch, const char *label)
{
    emg_scored_event e;
    memset(&e, 0, sizeof e);
    e.onset = on;
    e.duration = dur;
    strncpy(e.channel, ch, sizeof e.channel - 1);
    strncpy(e.label, label, sizeof e.label - 1);
    return e;
}

static const emg_class_score *find_class(const emg_score_result *r, const char *label)
{
    for (size_t c = 0; c < r->n_classes; c++)
        if (strcmp(r->classes[c].label, label) == 0)
            return &r->classes[c];
    return NULL;
}

static void test_iou(void **state)
{
    (void)state;
    assert_float_equal(emg_interval_iou(0, 2, 1, 2), 1.0 / 3.0, 1e-12);
    assert_float_equal(emg_interval_iou(0, 1, 1, 1), 0.0, 0);
    assert_float_equal(emg_interval_iou(0, 4, 1, 2), 0.5, 1e-12);
    assert_float_equal(emg_interval_iou(3, 0, 3, 0), 1.0, 0);
}

/* Truth: two cramps and a clonus.  Prediction: one cramp shifted (IoU 0.6),
 * one cramp labelled clonic (wrong label), one extra myoclonic event. */
static void test_per_class(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(10, 20, "1", "cramp"), ev(50, 20, "1", "cramp"),
                                ev(100, 4, "1", "clonic")};
    emg_scored_event pred[] = {ev(12.5, 20, "1", "cramp"), ev(50, 20, "1", "clonic"),
                               ev(100.5, 3, "1", "clonic"), ev(200, 0.05, "1", "myoclonic")};
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 3, pred, 4, NULL, &err), 0);
    assert_int_equal(r.n_classes, 3);
    const emg_class_score *cramp = find_class(&r, "cramp");
    assert_non_null(cramp);
    assert_int_equal(cramp->tp, 1);
    assert_int_equal(cramp->fn, 1);
    assert_int_equal(cramp->fp, 0);
    assert_float_equal(cramp->precision, 1.0, 1e-12);
    assert_float_equal(cramp->recall, 0.5, 1e-12);
    assert_float_equal(cramp->f1, 2.0 / 3.0, 1e-12);
    assert_float_equal(cramp->onset_error_mean, 2.5, 1e-12);
    assert_float_equal(cramp->offset_error_mean, 2.5, 1e-12);
    const emg_class_score *clonic = find_class(&r, "clonic");
    assert_int_equal(clonic->tp, 1);
    assert_int_equal(clonic->fp, 1);
    assert_float_equal(clonic->f1, 2.0 / 3.0, 1e-12);
    assert_float_equal(clonic->onset_error_mean, 0.5, 1e-12);
    assert_float_equal(clonic->offset_error_mean, 0.5, 1e-12);
    const emg_class_score *myo = find_class(&r, "myoclonic");
    assert_int_equal(myo->fp, 1);
    assert_float_equal(myo->f1, 0.0, 0);
    assert_float_equal(r.macro_f1, (2.0 / 3 + 2.0 / 3 + 0) / 3, 1e-12);
    /* Confusion (labels clonic, cramp, myoclonic, none): truth cramp@50 was
     * predicted clonic; the myoclonic prediction has no truth. */
    assert_int_equal(r.n_labels, 4);
    assert_string_equal(r.labels[0], "clonic");
    assert_string_equal(r.labels[1], "cramp");
    assert_int_equal(r.confusion[1 * 4 + 0], 1); /* cramp -> clonic */
    assert_int_equal(r.confusion[1 * 4 + 1], 1); /* cramp -> cramp */
    assert_int_equal(r.confusion[0 * 4 + 0], 1); /* clonic -> clonic */
    assert_int_equal(r.confusion[3 * 4 + 2], 1); /* none -> myoclonic */
    emg_score_result_free(&r);
}

/* A 12 ms potential predicted 6 ms late has IoU 0.33; 8 ms late 0.2: only
 * the onset tolerance matches it. */
static void test_onset_tolerance(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(5.000, 0.012, "a", "fasciculation")};
    emg_scored_event pred[] = {ev(5.008, 0.012, "a", "fasciculation")};
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, &o, &err), 0);
    assert_int_equal(r.classes[0].tp, 0);
    emg_score_result_free(&r);
    o.onset_tolerance = 0.010;
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, &o, &err), 0);
    assert_int_equal(r.classes[0].tp, 1);
    assert_float_equal(r.classes[0].onset_error_mean, 0.008, 1e-9);
    emg_score_result_free(&r);
}

static void test_channels(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(0, 10, "a", "cramp")};
    emg_scored_event pred[] = {ev(0, 10, "b", "cramp")};
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, &o, &err), 0);
    assert_int_equal(r.classes[0].tp, 0);
    emg_score_result_free(&r);
    o.ignore_channel = 1;
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, &o, &err), 0);
    assert_int_equal(r.classes[0].tp, 1);
    emg_score_result_free(&r);
}

/* Sample-based: truth [0, 10), prediction [5, 15) -> precision = recall = 0.5. */
static void test_samples(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(0, 10, "a", "tonic")};
    emg_scored_event pred[] = {ev(5, 10, "a", "tonic")};
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    o.sample_step = 0.01;
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, &o, &err), 0);
    assert_float_equal(r.classes[0].sample_precision, 0.5, 1e-9);
    assert_float_equal(r.classes[0].sample_recall, 0.5, 1e-9);
    assert_float_equal(r.classes[0].sample_f1, 0.5, 1e-9);
    emg_score_result_free(&r);
}

/* One prediction overlapping two truths is matched once, to the better one. */
static void test_one_to_one(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(0, 10, "a", "cramp"), ev(9, 10, "a", "cramp")};
    emg_scored_event pred[] = {ev(8, 11, "a", "cramp")};
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 2, pred, 1, NULL, &err), 0);
    assert_int_equal(r.classes[0].tp, 1);
    assert_int_equal(r.classes[0].fn, 1);
    assert_float_equal(r.classes[0].onset_error_mean, 1.0, 1e-12);
    emg_score_result_free(&r);
}

/* Nothing to score against is an error, not a macro-F1 of 0 (outside a dataset). */
static void test_empty_truth(void **state)
{
    (void)state;
    emg_scored_event pred[] = {ev(8, 11, "a", "cramp")};
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, NULL, 0, pred, 1, NULL, &err), EMG_ERR_FORMAT);
    emg_score_result_free(&r);
    /* In a dataset, a rest recording's predictions are all false events. */
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    o.empty_truth_ok = 1;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, NULL, 0, pred, 1, &o, &err), 0);
    assert_int_equal(r.n_classes, 1);
    assert_string_equal(r.classes[0].label, "cramp");
    assert_int_equal(r.classes[0].fp, 1);
    assert_int_equal(r.classes[0].tp + r.classes[0].fn + r.classes[0].n_truth, 0);
    assert_float_equal(r.classes[0].precision, 0.0, 0);
    emg_score_result_free(&r);
}

/* No matched event: the summary says n/a, never "nan ms". */
static void test_summary_no_match(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(0, 1, "a", "cramp")};
    emg_scored_event pred[] = {ev(50, 1, "a", "cramp")};
    emg_score_result r;
    emg_error err;
    char line[256];
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 1, pred, 1, NULL, &err), 0);
    emg_score_summary(line, sizeof line, &r);
    assert_null(strstr(line, "nan"));
    assert_non_null(strstr(line, "median onset error n/a (no matched event)"));
    assert_non_null(strstr(line, "macro-F1 0.000 over 1 classes"));
    emg_score_result_free(&r);
}

/* Rows with a negative or infinite duration or a non-finite onset are
 * rejected, naming the line; n/a durations are instants. */
static void test_table_bad_rows(void **state)
{
    (void)state;
    static const char *const bad[] = {"1\t-2\tcramp", "1\tinf\tcramp", "inf\t1\tcramp",
                                      "nan\t1\tcramp"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char *cells[] = {"0", "n/a", "cramp", NULL, NULL, NULL};
        char row[32];
        snprintf(row, sizeof row, "%s", bad[k]);
        cells[3] = strtok(row, "\t");
        cells[4] = strtok(NULL, "\t");
        cells[5] = strtok(NULL, "\t");
        char *columns[] = {"onset", "duration", "label"};
        size_t lines[] = {2, 4};
        emg_table t = {3, columns, 2, cells, lines};
        emg_scored_event *ev_out;
        size_t n;
        emg_error err;
        assert_int_equal(emg_scored_events_from_table(&ev_out, &n, &t, "p.tsv", NULL, &err),
                         EMG_ERR_FORMAT);
        assert_non_null(strstr(err.message, "p.tsv:4: "));
    }
}

/* An absurd time span does not allocate a grid of terabytes. */
static void test_samples_grid_bounded(void **state)
{
    (void)state;
    emg_scored_event truth[] = {ev(0, 1, "a", "cramp"), ev(1e12, 1, "a", "cramp")};
    emg_score_options o = EMG_SCORE_OPTIONS_INIT;
    o.sample_step = 0.001;
    emg_score_result r;
    emg_error err;
    emg_score_result_init(&r);
    assert_int_equal(emg_score_events(&r, truth, 2, truth, 2, &o, &err), EMG_ERR_ARG);
    assert_non_null(strstr(err.message, "use a larger step"));
    emg_score_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iou),           cmocka_unit_test(test_per_class),
        cmocka_unit_test(test_onset_tolerance), cmocka_unit_test(test_channels),
        cmocka_unit_test(test_samples),       cmocka_unit_test(test_one_to_one),
        cmocka_unit_test(test_empty_truth),   cmocka_unit_test(test_summary_no_match),
        cmocka_unit_test(test_table_bad_rows), cmocka_unit_test(test_samples_grid_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
