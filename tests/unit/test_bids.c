/* test_bids.c: BIDS names (src/lib/bids_names.c) and one recording exported and
 * read back through the library (bids_write.c, bids_read.c): labels, the file
 * template and entity order, EDF+ channel labels and types, sidecars applied on
 * reading (types, units, events replacing the file's annotations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emgkit/emgkit.h"

static void test_labels(void **state)
{
    (void)state;
    char out[16];
    assert_true(emg_bids_label_valid("S01"));
    assert_false(emg_bids_label_valid(""));
    assert_false(emg_bids_label_valid("a_b"));
    assert_false(emg_bids_label_valid("a-b"));
    assert_false(emg_bids_label_valid("\xc3\xa9t\xc3\xa9"));
    emg_bids_label_from("S1_EMG bicep.wav", out, sizeof out);
    assert_string_equal(out, "S1EMGbicepwav");
    emg_bids_label_from("S1_EMG bicep.wav", out, 5);
    assert_string_equal(out, "S1EM");
}

static void test_paths(void **state)
{
    (void)state;
    char path[512];
    emg_error err;
    emg_bids_entities e = {"01", "", "rest", ""};
    assert_int_equal(emg_bids_data_path(path, sizeof path, "ds", &e, EMG_FORMAT_EDF, &err), 0);
    assert_string_equal(path, "ds/sub-01/emg/sub-01_task-rest_emg.edf");
    emg_bids_entities f = {"p7", "night1", "sleep", "2"};
    assert_int_equal(emg_bids_data_path(path, sizeof path, "/d", &f, EMG_FORMAT_BDF, &err), 0);
    assert_string_equal(path, "/d/sub-p7/ses-night1/emg/sub-p7_ses-night1_task-sleep_run-2_emg.bdf");
    emg_bids_entities bad = {"01", "", "rest", "x"};
    assert_int_equal(emg_bids_data_path(path, sizeof path, "ds", &bad, EMG_FORMAT_EDF, &err),
                     EMG_ERR_ARG);
    emg_bids_entities no_task = {"01", "", "", ""};
    assert_int_equal(emg_bids_data_path(path, sizeof path, "ds", &no_task, EMG_FORMAT_EDF, &err),
                     EMG_ERR_ARG);
    assert_int_equal(emg_bids_data_path(path, sizeof path, "ds", &e, EMG_FORMAT_WAV, &err),
                     EMG_ERR_ARG);
}

/* Data file names read back into their entities and the sidecars' stem. */
static void test_parse_paths(void **state)
{
    (void)state;
    emg_bids_entities e;
    char stem[256];
    const char *p = "/d/sub-p7/ses-night1/emg/sub-p7_ses-night1_task-sleep_run-2_emg.bdf";
    assert_int_equal(emg_bids_parse_data_path(p, &e, stem, sizeof stem), 1);
    assert_string_equal(e.subject, "p7");
    assert_string_equal(e.session, "night1");
    assert_string_equal(e.task, "sleep");
    assert_string_equal(e.run, "2");
    assert_string_equal(stem, "/d/sub-p7/ses-night1/emg/sub-p7_ses-night1_task-sleep_run-2");
    assert_int_equal(emg_bids_parse_data_path("ds/sub-01/emg/sub-01_task-rest_emg.edf", &e,
                                              NULL, 0), 1);
    assert_string_equal(e.subject, "01");
    assert_string_equal(e.session, "");
    assert_string_equal(e.run, "");
    assert_int_equal(emg_bids_parse_data_path("scene1.edf", &e, stem, sizeof stem), 0);
    assert_int_equal(emg_bids_parse_data_path("sub-01_task-rest_events.tsv", NULL, NULL, 0), 0);
    assert_int_equal(emg_bids_parse_data_path("sub-_task-rest_emg.edf", NULL, NULL, 0), 0);
    assert_int_equal(emg_bids_parse_data_path(p, &e, stem, 8), 0); /* stem does not fit */
}

/* Two channels (EMG in mV, force in N) of 2 s at 500 Hz, one annotation on
 * the EMG channel, exported as EDF and read back. */
static void test_round_trip(void **state)
{
    (void)state;
    char dir[512], source[600], data_path[1024];
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(dir, sizeof dir, "%s/bids-unit", EMGKIT_TEST_TMP);
    snprintf(source, sizeof source, "%s/bids-unit-source.h5", EMGKIT_TEST_TMP);
    emg_recording rec;
    emg_recording_init(&rec);
    emg_error err;
    static const char *const names[] = {"EMG_biceps", "Force"}, *const units[] = {"mV", "N"};
    rec.data = calloc(2, sizeof *rec.data);
    assert_non_null(rec.data);
    for (int c = 0; c < 2; c++) {
        emg_channel ch;
        emg_channel_init(&ch);
        snprintf(ch.name, sizeof ch.name, "%s", names[c]);
        snprintf(ch.unit, sizeof ch.unit, "%s", units[c]);
        ch.fs = 500;
        ch.n_samples = 1000;
        assert_true(emg_header_add_channel(&rec.header, &ch, &err) >= 0);
        rec.data[c] = calloc(1000, sizeof(double));
        for (int i = 0; i < 1000; i++)
            rec.data[c][i] = (c ? 10.0 : 0.5) * sin(0.05 * i * (c + 1));
    }
    assert_int_equal(emg_header_add_annotation(&rec.header, 0.5, 0.25, 0, "cramp", &err), 0);
    assert_int_equal(emg_recording_save(&rec, source, EMG_FORMAT_HDF5, NULL, &err), 0);

    emg_reader *r;
    assert_int_equal(emg_reader_open(&r, source, NULL, &err), 0);
    emg_bids_entities e = {"01", "", "rest", ""};
    emg_bids_export_options o = EMG_BIDS_EXPORT_OPTIONS_INIT;
    o.data_format = EMG_FORMAT_EDF;
    assert_int_equal(emg_bids_export(r, dir, &e, &o, data_path, sizeof data_path, &err), 0);
    emg_reader_close(r);
    const char *subjects[] = {"01"};
    assert_int_equal(emg_bids_export_dataset(dir, subjects, 1, &err), 0);
    assert_true(emg_bids_is_dataset(dir));

    emg_recording back;
    emg_recording_init(&back);
    assert_int_equal(emg_recording_load(&back, dir, NULL, &err), 0); /* the root: one recording */
    assert_int_equal(back.header.n_channels, 2);
    assert_string_equal(back.header.channels[0].name, "EMG biceps");
    assert_string_equal(back.header.channels[1].name, "MISC Force");
    assert_string_equal(back.header.channels[1].unit, "N");
    assert_non_null(emg_channel_other_modality(&back.header.channels[1]));
    assert_null(emg_channel_other_modality(&back.header.channels[0]));
    for (int c = 0; c < 2; c++) {
        double step = emg_channel_resolution(&back.header.channels[c]);
        assert_true(step > 0);
        for (int i = 0; i < 1000; i++)
            assert_true(fabs(back.data[c][i] - rec.data[c][i]) <= 0.5 * step * (1 + 1e-9));
    }
    assert_int_equal(back.header.n_annotations, 1);
    assert_string_equal(back.header.annotations[0].text, "cramp");
    assert_int_equal(back.header.annotations[0].channel, 0);
    assert_true(fabs(back.header.annotations[0].onset - 0.5) < 1e-6);
    assert_true(fabs(back.header.annotations[0].duration - 0.25) < 1e-6);
    emg_recording_free(&back);
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_parse_paths),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
