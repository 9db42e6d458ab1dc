/* test_io_text.c: the text reader on the BITalino OpenSignals file and the UCI
 * gesture file in datasets/, CSV/TSV round trips, delimiters and time units,
 * and malformed tables.  Expected UCI values come from numpy.loadtxt and
 * numpy.interp on the same file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "emgkit/emgkit.h"
#include "io_internal.h"
#include "test_helpers.h"

#define BITALINO EMGKIT_DATASETS "/bitalino_txt/emg_1.txt"
#define UCI EMGKIT_DATASETS "/uci_gestures/S01_1_raw_data_13-12_22.03.16.txt"

static char tmp_dir[1024];

static int setup_tmp(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(tmp_dir, sizeof tmp_dir, "%s/io_text", EMGKIT_TEST_TMP);
    mkdir(tmp_dir, 0777);
    return 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp_dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load(const char *path, const emg_read_options *opts, emg_recording *rec,
                emg_error *err)
{
    emg_recording_init(rec);
    return emg_recording_load(rec, path, opts, err);
}

static int has_note(const emg_header *h, const char *needle)
{
    for (size_t i = 0; i < h->n_notes; i++)
        if (strstr(h->notes[i], needle))
            return 1;
    return 0;
}

static double sum(const double *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

static void test_bitalino(void **state)
{
    (void)state;
    emg_reader *r;
    emg_error err;
    assert_int_equal(emg_reader_open(&r, BITALINO, NULL, &err), 0);
    assert_int_equal(emg_reader_format(r), EMG_FORMAT_TEXT);
    const emg_header *h = emg_reader_header(r);
    assert_int_equal(h->n_channels, 1);
    assert_string_equal(h->channels[0].name, "EMG");
    assert_true(h->channels[0].fs == 1000.0);
    assert_int_equal(h->channels[0].n_samples, 63880); /* 63884 lines, 4 header lines */
    assert_int_equal(h->channels[0].digital_max, 4095);
    assert_true(has_note(h, "12-bit ADC counts"));
    /* Blocks of one second, first values as in the file. */
    const emg_block *b;
    assert_int_equal(emg_reader_read(r, &b, &err), 1);
    assert_int_equal(b->count[0], 1000);
    const double first[] = {2034, 2011, 2004, 2011, 2000};
    for (int i = 0; i < 5; i++)
        assert_true(b->data[0][i] == first[i]);
    int64_t total = (int64_t)b->count[0];
    int rc;
    while ((rc = emg_reader_read(r, &b, &err)) > 0) {
        assert_true(b->count[0] <= 1000);
        total += (int64_t)b->count[0];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(total, 63880);
    emg_reader_close(r);
}

static void test_uci_irregular(void **state)
{
    (void)state;
    emg_error err;
    emg_recording rec;
    int rc = load(UCI, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 8); /* time and class are not channels */
    assert_string_equal(h->channels[0].name, "channel1");
    assert_string_equal(h->channels[7].name, "channel8");
    for (size_t i = 0; i < 8; i++) {
        assert_true(h->channels[i].fs == 1000.0);
        assert_int_equal(h->channels[i].n_samples, 63196);
    }
    assert_true(has_note(h, "taken as milliseconds"));
    assert_true(has_note(h, "nominal 1000 Hz, 1924 of 63195 intervals"));
    assert_true(has_note(h, "largest gap 12 ms"));
    assert_true(has_note(h, "--resample"));
    assert_true(has_note(h, "'class' holds labels"));
    assert_true(has_note(h, "repeat the previous row"));
    /* 25 runs of the class column; the first change is at row 2287. */
    assert_int_equal(h->n_annotations, 25);
    assert_string_equal(h->annotations[0].text, "class=0");
    assert_string_equal(h->annotations[1].text, "class=1");
    assert_float_equal(h->annotations[1].onset, 2.287, 1e-12);
    const double row0[] = {1e-05, -2e-05, -1e-05, -3e-05, 0, -1e-05, 0, -1e-05};
    const double row2[] = {-1e-05, 1e-05, 2e-05, 0, 1e-05, -2e-05, -1e-05, 1e-05};
    for (size_t i = 0; i < 8; i++) {
        assert_true(rec.data[i][0] == row0[i]);
        assert_true(rec.data[i][2] == row2[i]);
    }
    assert_float_equal(sum(rec.data[0], 63196), -0.49764, 1e-12);
    assert_true(rec.data[7][63195] == -4e-05);
    emg_recording_free(&rec);
}

static void test_uci_resample(void **state)
{
    (void)state;
    emg_read_options ro = EMG_READ_OPTIONS_INIT;
    ro.resample = 1;
    emg_error err;
    emg_recording rec;
    int rc = load(UCI, &ro, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 8);
    /* Time 1..65661 ms on a 1 ms grid. */
    assert_int_equal(h->channels[0].n_samples, 65661);
    assert_true(has_note(h, "resampled onto a uniform 1000 Hz grid"));
    /* Rows at 35 ms (-3e-5) and 45 ms (-1e-5): 40 ms lies halfway. */
    assert_float_equal(rec.data[0][34], -3e-05, 1e-15);
    assert_float_equal(rec.data[0][39], -2e-05, 1e-15);
    assert_float_equal(rec.data[0][44], -1e-05, 1e-15);
    /* numpy.interp(grid, t, column) over the whole file. */
    assert_float_equal(sum(rec.data[2], 65661), -0.59632, 1e-9);
    assert_float_equal(sum(rec.data[7], 65661), -0.50077, 1e-9);
    assert_float_equal(rec.data[7][30000], -0.00056, 1e-15);
    assert_float_equal(rec.data[2][65660], -5e-05, 1e-15);
    /* Annotations on the resampled time axis: the first change at t = 2400 ms. */
    assert_int_equal(h->n_annotations, 25);
    assert_float_equal(h->annotations[1].onset, 2.399, 1e-12);
    emg_recording_free(&rec);
}

/* A test recording: two channels at 2000 Hz, one with a space in its name. */
static void make_recording(emg_recording *rec, size_t n)
{
    emg_recording_init(rec);
    emg_channel ch;
    emg_channel_init(&ch);
    ch.fs = 2000;
    ch.n_samples = (int64_t)n;
    strcpy(ch.name, "EMG left");
    strcpy(ch.unit, "mV");
    assert_true(emg_header_add_channel(&rec->header, &ch, NULL) >= 0);
    strcpy(ch.name, "ramp");
    strcpy(ch.unit, "uV");
    assert_true(emg_header_add_channel(&rec->header, &ch, NULL) >= 0);
    rec->data = calloc(2, sizeof *rec->data);
    rec->data[0] = calloc(n, sizeof(double));
    rec->data[1] = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        rec->data[0][i] = 0.8 * sin(2 * M_PI * 61.0 * (double)i / 2000.0) + 1e-7 * (double)i;
        rec->data[1][i] = -250.0 + (double)i / 3.0;
    }
}

static void check_round_trip(const char *name, const char *first_line)
{
    emg_recording src, back;
    make_recording(&src, 4321);
    char path[1200];
    tmp_path(path, sizeof path, name);
    emg_error err;
    int rc = emg_recording_save(&src, path, EMG_FORMAT_AUTO, NULL, &err);
    if (rc < 0)
        fail_msg("%s: %s", name, err.message);
    FILE *f = fopen(path, "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, first_line);
    fclose(f);
    rc = load(path, NULL, &back, &err);
    if (rc < 0)
        fail_msg("%s: %s", name, err.message);
    assert_int_equal(back.header.n_channels, 2);
    assert_string_equal(back.header.channels[0].name, "EMG left");
    assert_string_equal(back.header.channels[0].unit, "mV");
    assert_string_equal(back.header.channels[1].name, "ramp");
    assert_string_equal(back.header.channels[1].unit, "uV");
    assert_int_equal(back.header.n_notes, 0); /* a regular time column in seconds */
    for (size_t c = 0; c < 2; c++) {
        assert_true(back.header.channels[c].fs == 2000.0);
        assert_int_equal(back.header.channels[c].n_samples, 4321);
        for (size_t i = 0; i < 4321; i++) /* numbers are written to read back exactly */
            assert_true(back.data[c][i] == src.data[c][i]);
    }
    emg_recording_free(&src);
    emg_recording_free(&back);
}

static void test_round_trip_csv(void **state)
{
    (void)state;
    check_round_trip("rt.csv", "time (s),EMG left (mV),ramp (uV)\n");
}

static void test_round_trip_tsv(void **state)
{
    (void)state;
    check_round_trip("rt.tsv", "time (s)\tEMG left (mV)\tramp (uV)\n");
    char path[1200];
    tmp_path(path, sizeof path, "rt.tsv");
    FILE *f = fopen(path, "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "0\t0\t-250\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(!strncmp(line, "0.0005\t", 7));
    fclose(f);
}

static void test_precision(void **state)
{
    (void)state;
    emg_recording src;
    make_recording(&src, 10);
    char path[1200];
    tmp_path(path, sizeof path, "precision.csv");
    emg_write_options wo = EMG_WRITE_OPTIONS_INIT;
    wo.precision = 4;
    emg_error err;
    assert_int_equal(emg_recording_save(&src, path, EMG_FORMAT_CSV, &wo, &err), 0);
    FILE *f = fopen(path, "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    /* 0.8 sin(2 pi 61 / 2000) + 1e-7 = 0.152380..., -250 + 1/3 = -249.67 */
    assert_string_equal(line, "0.0005,0.1524,-249.7\n");
    fclose(f);
    emg_recording_free(&src);
}

static void test_multirate_refused(void **state)
{
    (void)state;
    emg_recording src;
    make_recording(&src, 100);
    src.header.channels[1].fs = 1000;
    src.header.channels[1].n_samples = 50;
    char path[1200];
    tmp_path(path, sizeof path, "multirate.csv");
    emg_error err;
    assert_int_equal(emg_recording_save(&src, path, EMG_FORMAT_AUTO, NULL, &err),
                     EMG_ERR_OUTPUT);
    assert_non_null(strstr(err.message, "-c"));
    assert_non_null(strstr(err.message, "multirate.csv"));
    emg_recording_free(&src);
}

static void test_bad_rows(void **state)
{
    (void)state;
    char path[1200];
    emg_error err;
    emg_recording rec;
    tmp_path(path, sizeof path, "ragged.csv");
    write_text(path, "time,a,b\n0,1,2\n0.001,3\n0.002,5,6\n");
    assert_int_equal(load(path, NULL, &rec, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "ragged.csv:3"));
    tmp_path(path, sizeof path, "badnum.csv");
    write_text(path, "time,a,b\n0,1,2\n0.001,3,4\n0.002,5,x6\n");
    assert_int_equal(load(path, NULL, &rec, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "badnum.csv:4"));
    assert_non_null(strstr(err.message, "'b'"));
    tmp_path(path, sizeof path, "norate.csv");
    write_text(path, "a,b\n1,2\n3,4\n");
    assert_int_equal(load(path, NULL, &rec, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "--fs"));
    tmp_path(path, sizeof path, "empty.csv");
    write_text(path, "time,a\n");
    assert_int_equal(load(path, NULL, &rec, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "no data rows"));
}

static void test_delimiters_and_units(void **state)
{
    (void)state;
    char path[1200];
    emg_error err;
    emg_recording rec;
    emg_read_options ro = EMG_READ_OPTIONS_INIT;
    /* Semicolons with decimal commas, a rate given, a text column. */
    tmp_path(path, sizeof path, "semi.csv");
    write_text(path, "biceps [uV];triceps;note\r\n1,5;2;rest\r\n2,5;-3;rest\r\n3,5;4;lift\r\n");
    ro.fs = 500;
    int rc = load(path, &ro, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(rec.header.n_channels, 2);
    assert_string_equal(rec.header.channels[0].name, "biceps");
    assert_string_equal(rec.header.channels[0].unit, "uV");
    assert_true(rec.header.channels[0].fs == 500.0);
    assert_true(rec.data[0][1] == 2.5);
    assert_true(rec.data[1][1] == -3);
    assert_true(has_note(&rec.header, "'note' is not numeric"));
    emg_recording_free(&rec);
    /* Whitespace columns, time in ms by name, unit given by the caller. */
    tmp_path(path, sizeof path, "blank.txt");
    write_text(path, "time_ms  a   b\n0   1  2\n0.5  3  4\n1.0  5  6\n");
    ro = (emg_read_options)EMG_READ_OPTIONS_INIT;
    ro.unit = "V";
    rc = load(path, &ro, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_true(rec.header.channels[0].fs == 2000.0);
    assert_string_equal(rec.header.channels[1].unit, "V");
    assert_int_equal(rec.header.channels[1].n_samples, 3);
    assert_true(rec.data[1][2] == 6);
    assert_int_equal(rec.header.n_notes, 0);
    emg_recording_free(&rec);
    /* Rows that end with a delimiter, with or without the header doing the same. */
    tmp_path(path, sizeof path, "trailing.csv");
    write_text(path, "time (s),x,\n0,1,\n0.5,2\n1,3,\n");
    rc = load(path, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(rec.header.n_channels, 1);
    assert_true(rec.data[0][2] == 3);
    emg_recording_free(&rec);
    /* A spreadsheet's byte order mark does not hide the time column. */
    tmp_path(path, sizeof path, "bom.csv");
    write_text(path, "\xef\xbb\xbftime (s),x\n0,1\n0.5,2\n1,3\n");
    rc = load(path, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(rec.header.n_channels, 1);
    assert_true(rec.header.channels[0].fs == 2.0);
    emg_recording_free(&rec);
    /* A label column of words becomes annotations with durations. */
    tmp_path(path, sizeof path, "labels.tsv");
    write_text(path, "t\temg\tlabel\n0.00\t1\trest\n0.01\t2\trest\n0.02\t3\tfist\n0.03\t4\tfist\n");
    rc = load(path, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_true(rec.header.channels[0].fs == 100.0);
    assert_int_equal(rec.header.n_annotations, 2);
    assert_string_equal(rec.header.annotations[1].text, "label=fist");
    assert_float_equal(rec.header.annotations[1].onset, 0.02, 1e-12);
    assert_float_equal(rec.header.annotations[1].duration, 0.02, 1e-12);
    emg_recording_free(&rec);
}

/* The newer OpenSignals text header: one JSON object per device. */
static void test_opensignals_json(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "opensignals.txt");
    write_text(path,
               "# OpenSignals Text File Format\n"
               "# {\"00:07:80:3B:46:61\": {\"sensor\": [\"EMG\"], \"device name\": "
               "\"00:07:80:3B:46:61\", \"column\": [\"nSeq\", \"I1\", \"I2\", \"O1\", \"O2\", "
               "\"A1\"], \"sync interval\": 2, \"time\": \"10:32:5.690\", \"comments\": \"\", "
               "\"channels\": [1], \"date\": \"2017-4-21\", \"mode\": 0, \"digital IO\": [0, 0, "
               "1, 1], \"firmware version\": 52, \"device\": \"bitalino_rev\", \"position\": 0, "
               "\"sampling rate\": 1000, \"label\": [\"A1\"], \"resolution\": [4, 1, 1, 1, 1, "
               "10], \"special\": [{}, {}, {}, {}, {}, {}]}}\n"
               "# EndOfHeader\n"
               "0\t0\t0\t0\t0\t512\t\n1\t0\t0\t0\t0\t1023\t\n2\t0\t0\t0\t0\t0\t\n");
    emg_error err;
    emg_reader *r;
    int rc = emg_reader_open(&r, path, NULL, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(emg_reader_format(r), EMG_FORMAT_TEXT);
    const emg_header *h = emg_reader_header(r);
    assert_int_equal(h->n_channels, 1);
    assert_string_equal(h->channels[0].name, "A1");
    assert_string_equal(h->channels[0].unit, "mV");
    assert_true(h->channels[0].fs == 1000.0);
    assert_string_equal(h->start_time, "2017-04-21T10:32:05.690000");
    const emg_block *b;
    assert_int_equal(emg_reader_read(r, &b, &err), 1);
    assert_int_equal(b->count[0], 3);
    /* BITalino EMG: mV = (ADC / 2^10 - 1/2) * 3.3 V / 1009 * 1000. */
    assert_float_equal(b->data[0][0], 0.0, 1e-12);
    assert_float_equal(b->data[0][1], (1023.0 / 1024 - 0.5) * 3300.0 / 1009, 1e-12);
    assert_float_equal(b->data[0][2], -0.5 * 3300.0 / 1009, 1e-12);
    emg_reader_close(r);
}

static void test_probe(void **state)
{
    (void)state;
    unsigned char csv[] = "time,a\n0,1\n";
    assert_true(emgi_text_reader.probe(csv, sizeof csv - 1, "x.csv") >= 50);
    unsigned char nums[] = "1 2 3\n4 5 6\n";
    assert_true(emgi_text_reader.probe(nums, sizeof nums - 1, "x.dat") > 0);
    unsigned char binary[] = {0x52, 0x49, 0x46, 0x46, 0x00, 0x01, 0x02};
    assert_int_equal(emgi_text_reader.probe(binary, sizeof binary, "x.csv"), 0);
    unsigned char hea[] = "emg_healthy 1 4000 50860\n"
                          "emg_healthy.dat 16 10000/mV 16 0 -333 -29438 0 EMG\n";
    assert_int_equal(emgi_text_reader.probe(hea, sizeof hea - 1, "x"), 0);
}

/* 100,000 columns: linear, and blocks no larger than the file (a second of
 * 100,000 columns at 1 kHz made 800 MB of blocks; it took over a minute). */
static void test_wide_csv(void **state)
{
    (void)state;
    enum { N = 100000, ROWS = 3 };
    char path[1200];
    tmp_path(path, sizeof path, "wide.csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("time", f);
    for (int i = 0; i < N; i++)
        fprintf(f, ",c%d", i);
    for (int r = 0; r < ROWS; r++) {
        fprintf(f, "\n%g", r / 1000.0);
        for (int i = 0; i < N; i++)
            fprintf(f, ",%d", i % 7);
    }
    fputc('\n', f);
    fclose(f);
    double start = monotonic_seconds();
    emg_reader *r;
    emg_error err;
    int rc = emg_reader_open(&r, path, NULL, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(emg_reader_header(r)->n_channels, N);
    const emg_block *b;
    size_t rows = 0;
    while ((rc = emg_reader_read(r, &b, &err)) > 0) {
        assert_true(b->count[0] <= ROWS);
        assert_float_equal(b->data[N - 1][0], ((N - 1) % 7), 0);
        rows += b->count[0];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rows, ROWS);
    emg_reader_close(r);
    double seconds = monotonic_seconds() - start;
    print_message("%d columns read in %.2f s\n", N, seconds);
    assert_true(seconds < 20);
}

/* A CSV cut mid-number: the last line has no line break, so its last value
 * may be a prefix ("3.14" of "3.14159"): the row is dropped with a note
 * naming the file and line, never kept with a wrong value. */
static void test_cut_last_line(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "cut.csv");
    write_text(path, "time,a\n0,1\n0.001,2\n0.002,3.14");
    emg_recording rec;
    emg_error err;
    int rc = load(path, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(rec.header.channels[0].n_samples, 2);
    assert_float_equal(rec.data[0][1], 2, 0);
    assert_true(has_note(&rec.header, "cut.csv:4: the last line has no line break"));
    emg_recording_free(&rec);
    /* Also when the cut row is short of fields. */
    write_text(path, "time,a,b\n0,1,2\n0.001,2,3\n0.002,3");
    assert_int_equal(load(path, NULL, &rec, &err), 0);
    assert_int_equal(rec.header.channels[0].n_samples, 2);
    emg_recording_free(&rec);
    /* The same file with its line break: three rows, no note. */
    write_text(path, "time,a\n0,1\n0.001,2\n0.002,3.14\n");
    assert_int_equal(load(path, NULL, &rec, &err), 0);
    assert_int_equal(rec.header.channels[0].n_samples, 3);
    assert_false(has_note(&rec.header, "line break"));
    emg_recording_free(&rec);
    /* Nothing left: an error, not an empty recording. */
    write_text(path, "time,a\n0,1");
    assert_int_equal(load(path, NULL, &rec, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "cut.csv:2"));
}

/* Names in Latin-1 (or broken UTF-8) become valid UTF-8 in the model, so
 * that JSON output stays valid; valid UTF-8 is kept as it is. */
static void test_latin1_names(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "latin1.csv");
    write_text(path, "time,Mu\xdf" "kel (\xb5V),\xc3\xa9mg,bad\xe2\x82\n0,1,2,3\n0.001,2,3,4\n");
    emg_recording rec;
    emg_error err;
    int rc = load(path, NULL, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_string_equal(rec.header.channels[0].name, "Mu\xc3\x9fkel");
    assert_string_equal(rec.header.channels[0].unit, "uV"); /* as for UTF-8 "(µV)" */
    assert_string_equal(rec.header.channels[1].name, "\xc3\xa9mg");
    assert_string_equal(rec.header.channels[2].name, "bad\xc3\xa2\xc2\x82");
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitalino),
        cmocka_unit_test(test_uci_irregular),
        cmocka_unit_test(test_uci_resample),
        cmocka_unit_test(test_round_trip_csv),
        cmocka_unit_test(test_round_trip_tsv),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_multirate_refused),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_delimiters_and_units),
        cmocka_unit_test(test_opensignals_json),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_wide_csv),
        cmocka_unit_test(test_cut_last_line),
        cmocka_unit_test(test_latin1_names),
    };
    return cmocka_run_group_tests(tests, setup_tmp, NULL);
}
