/* test_io_edf.c: the EDF/BDF reader on the Sleep-EDF excerpt in datasets/
 * (first samples checked against the raw digital values and the header's
 * physical/digital limits), malformed and truncated files, and EDF+/BDF+
 * round trips (multi-rate, fractional rates, annotations, start time). */
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

#define SLEEP EMGKIT_DATASETS "/sleepedf_excerpt/short_psg"
#define MALFORMED EMGKIT_DATASETS "/malformed/bids_emg_Multimodal_short_header.edf"

static char tmp_dir[1024];

static int setup_tmp(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(tmp_dir, sizeof tmp_dir, "%s/io_edf", EMGKIT_TEST_TMP);
    mkdir(tmp_dir, 0777);
    return 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp_dir, name);
}

/* A header field of the file as text (fixed width, trailing spaces cut). */
static double header_number(const char *path, long offset, int width)
{
    char text[32] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fread(text, 1, (size_t)width, f), (size_t)width);
    fclose(f);
    return atof(text);
}

/* Digital sample k of signal s in the first data record. */
static int32_t raw_sample(const char *path, int bytes, long record_offset, int k)
{
    unsigned char b[3] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, record_offset + (long)k * bytes, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, (size_t)bytes, f), (size_t)bytes);
    fclose(f);
    if (bytes == 2)
        return (int16_t)(uint16_t)(b[0] | b[1] << 8);
    int32_t v = b[0] | b[1] << 8 | b[2] << 16;
    return v >= 0x800000 ? v - 0x1000000 : v;
}

static const char *const sleep_labels[7] = {"EEG Fpz-Cz",     "EEG Pz-Oz",    "EOG horizontal",
                                            "Resp oro-nasal", "EMG submental", "Temp rectal",
                                            "Event marker"};

/* Both excerpts: 7 signals, 10 records of 30 s, 3000 or 30 samples per record. */
static void check_sleep(const char *path, int bytes, emg_format expected)
{
    emg_recording rec;
    emg_error err;
    emg_read_options opts = EMG_READ_OPTIONS_INIT;
    emg_reader *r;
    assert_int_equal(emg_reader_open(&r, path, &opts, &err), 0);
    assert_int_equal(emg_reader_format(r), expected);
    emg_reader_close(r);
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), 0);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 7);
    assert_string_equal(h->start_time, "1989-04-24T16:13:00");
    assert_string_equal(h->subject, "X F X Female_33yr");
    const int ns = 7;
    const int spr[7] = {3000, 3000, 3000, 30, 30, 30, 30};
    long record_offset = 256L * (ns + 1);
    for (int i = 0; i < ns; i++) {
        const emg_channel *ch = &h->channels[i];
        assert_string_equal(ch->name, sleep_labels[i]);
        assert_true(fabs(ch->fs - spr[i] / 30.0) < 1e-12);
        assert_int_equal(ch->n_samples, spr[i] * 10);
        double pmin = header_number(path, 256 + ns * 104 + i * 8, 8);
        double pmax = header_number(path, 256 + ns * 112 + i * 8, 8);
        double dmin = header_number(path, 256 + ns * 120 + i * 8, 8);
        double dmax = header_number(path, 256 + ns * 128 + i * 8, 8);
        assert_int_equal(ch->digital_min, (int)dmin);
        assert_int_equal(ch->digital_max, (int)dmax);
        double step = (pmax - pmin) / (dmax - dmin);
        for (int k = 0; k < 5; k++) {
            int32_t d = raw_sample(path, bytes, record_offset, k);
            double expect = pmin + (d - dmin) * step;
            assert_true(fabs(rec.data[i][k] - expect) < 1e-9 * (1 + fabs(expect)));
        }
        record_offset += (long)spr[i] * bytes;
    }
    assert_string_equal(h->channels[0].unit, "uV");
    assert_string_equal(h->channels[5].unit, "DegC");
    assert_string_equal(h->channels[0].transducer,
                        "Ag-AgCl electrodes [prefilter: HP:0.5Hz LP:100Hz [enhanced cassette BW]]");
    /* MNE reads the same first sample of "EEG Fpz-Cz": 5.01684982e-06 V. */
    assert_true(fabs(rec.data[0][0] - 5.01684982) < 1e-6);
    assert_true(fabs(rec.data[5][0] - 37.2064516) < 1e-6);
    emg_recording_free(&rec);
}

static void test_sleep_edf(void **state)
{
    (void)state;
    check_sleep(SLEEP ".edf", 2, EMG_FORMAT_EDF);
}

static void test_sleep_bdf(void **state)
{
    (void)state;
    check_sleep(SLEEP ".bdf", 3, EMG_FORMAT_BDF);
}

/* The BDF excerpt holds the same signals at 24 bits: values agree within the EDF step. */
static void test_edf_bdf_agree(void **state)
{
    (void)state;
    emg_recording a, b;
    emg_error err;
    assert_int_equal(emg_recording_load(&a, SLEEP ".edf", NULL, &err), 0);
    assert_int_equal(emg_recording_load(&b, SLEEP ".bdf", NULL, &err), 0);
    for (size_t i = 0; i < 7; i++) {
        double step = emg_channel_resolution(&a.header.channels[i]);
        for (int64_t k = 0; k < a.header.channels[i].n_samples; k++)
            assert_true(fabs(a.data[i][k] - b.data[i][k]) <= step);
    }
    emg_recording_free(&a);
    emg_recording_free(&b);
}

static void test_malformed_header(void **state)
{
    (void)state;
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, MALFORMED, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, MALFORMED));
    assert_non_null(strstr(err.message, "EDFlib"));
    assert_non_null(strstr(err.message, "not a number"));
    print_message("malformed: %s\n", err.message);
}

static void copy_prefix(const char *from, const char *to, long drop)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    fseek(in, 0, SEEK_END);
    long n = ftell(in) - drop;
    fseek(in, 0, SEEK_SET);
    for (long k = 0; k < n; k++)
        fputc(fgetc(in), out);
    fclose(in);
    fclose(out);
}

static void test_truncated(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "truncated.edf");
    copy_prefix(SLEEP ".edf", path, 1000);
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "truncated"));
    print_message("truncated: %s\n", err.message);
}

/* A two-rate recording with float data (no calibration: the writer spools
 * to learn each range), annotations, and a length that is not a whole
 * number of records. */
static void make_recording(emg_recording *rec)
{
    emg_error err;
    emg_recording_init(rec);
    emg_header *h = &rec->header;
    emg_channel ch;
    emg_channel_init(&ch);
    strcpy(ch.name, "EMG biceps");
    strcpy(ch.unit, "mV");
    strcpy(ch.transducer, "Ag/AgCl [prefilter: HP:10Hz]");
    ch.fs = 1000;
    ch.n_samples = 2500;
    assert_true(emg_header_add_channel(h, &ch, &err) >= 0);
    strcpy(ch.name, "Force");
    strcpy(ch.unit, "N");
    ch.transducer[0] = '\0';
    ch.fs = 10;
    ch.n_samples = 25;
    assert_true(emg_header_add_channel(h, &ch, &err) >= 0);
    strcpy(h->start_time, "2024-03-05T10:20:30.250000");
    strcpy(h->subject, "S01");
    strcpy(h->recording, "biceps fatigue");
    assert_int_equal(emg_header_add_annotation(h, 0.5, 1.25, -1, "contraction", &err), 0);
    assert_int_equal(emg_header_add_annotation(h, 1.0, 0, 1, "peak", &err), 0);
    assert_int_equal(emg_header_add_annotation(
                         h, 2.0, 0, -1,
                         "a very long annotation text that EDFlib cannot hold whole", &err),
                     0);
    rec->data = calloc(2, sizeof *rec->data);
    rec->data[0] = calloc(2500, sizeof(double));
    rec->data[1] = calloc(25, sizeof(double));
    for (int k = 0; k < 2500; k++)
        rec->data[0][k] = 1.5 * sin(2 * M_PI * 80 * k / 1000.0) + 0.2;
    for (int k = 0; k < 25; k++)
        rec->data[1][k] = 10.0 * k;
}

static void check_round_trip(const char *name, emg_format format, double bits)
{
    char path[1200];
    tmp_path(path, sizeof path, name);
    emg_recording rec, back;
    emg_error err;
    make_recording(&rec);
    assert_int_equal(emg_recording_save(&rec, path, format, NULL, &err), 0);
    int rc = emg_recording_load(&back, path, NULL, &err);
    if (rc)
        fail_msg("%s", err.message);
    const emg_header *h = &back.header;
    assert_int_equal(h->n_channels, 2);
    assert_string_equal(h->channels[0].name, "EMG biceps");
    assert_string_equal(h->channels[1].name, "Force");
    assert_string_equal(h->channels[0].unit, "mV");
    assert_string_equal(h->channels[0].transducer, "Ag/AgCl [prefilter: HP:10Hz]");
    assert_true(h->channels[0].fs == 1000 && h->channels[1].fs == 10);
    /* The padded last record is trimmed at "Recording ends". */
    assert_int_equal(h->channels[0].n_samples, 2500);
    assert_int_equal(h->channels[1].n_samples, 25);
    assert_string_equal(h->start_time, "2024-03-05T10:20:30.250000");
    assert_string_equal(h->subject, "S01");
    assert_string_equal(h->recording, "biceps fatigue");
    for (size_t i = 0; i < 2; i++) {
        const emg_channel *ch = &rec.header.channels[i];
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t k = 0; k < ch->n_samples; k++) {
            lo = fmin(lo, rec.data[i][k]);
            hi = fmax(hi, rec.data[i][k]);
        }
        double step = (hi - lo) / (pow(2, bits) - 1);
        double worst = 0;
        for (int64_t k = 0; k < ch->n_samples; k++)
            worst = fmax(worst, fabs(back.data[i][k] - rec.data[i][k]));
        print_message("%s channel %zu: worst error %.3g, step %.3g\n", name, i, worst, step);
        assert_true(worst <= step);
    }
    assert_int_equal(h->n_annotations, 3);
    assert_string_equal(h->annotations[0].text, "contraction");
    assert_true(fabs(h->annotations[0].onset - 0.5) < 1e-4);
    assert_true(fabs(h->annotations[0].duration - 1.25) < 1e-4);
    assert_int_equal(h->annotations[0].channel, -1);
    assert_string_equal(h->annotations[1].text, "peak");
    assert_int_equal(h->annotations[1].channel, 1);
    assert_int_equal(strlen(h->annotations[2].text), 40);
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

static void test_round_trip_edf(void **state)
{
    (void)state;
    check_round_trip("round.edf", EMG_FORMAT_EDF, 16);
}

static void test_round_trip_bdf(void **state)
{
    (void)state;
    check_round_trip("round.bdf", EMG_FORMAT_BDF, 24);
}

/* Calibrated channels are written with their own digital values: Sleep-EDF
 * to EDF+ keeps every sample. */
static void test_sleep_to_edfplus(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "sleep_plus.edf");
    emg_recording a, b;
    emg_error err;
    assert_int_equal(emg_recording_load(&a, SLEEP ".edf", NULL, &err), 0);
    assert_int_equal(emg_recording_save(&a, path, EMG_FORMAT_EDF, NULL, &err), 0);
    assert_int_equal(emg_recording_load(&b, path, NULL, &err), 0);
    assert_int_equal(b.header.n_channels, 7);
    assert_string_equal(b.header.start_time, a.header.start_time);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(b.header.channels[i].n_samples, a.header.channels[i].n_samples);
        assert_int_equal(b.header.channels[i].digital_min, a.header.channels[i].digital_min);
        assert_true(fabs(b.header.channels[i].gain - a.header.channels[i].gain) <
                    1e-9 * fabs(a.header.channels[i].gain));
        for (int64_t k = 0; k < a.header.channels[i].n_samples; k++)
            assert_true(fabs(a.data[i][k] - b.data[i][k]) < 1e-9);
    }
    emg_recording_free(&a);
    emg_recording_free(&b);
}

/* 0.5 Hz and 2.5 Hz need 2-second data records. */
static void test_fractional_rates(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "fractional.edf");
    emg_recording rec, back;
    emg_error err;
    emg_recording_init(&rec);
    emg_channel ch;
    emg_channel_init(&ch);
    const double fs[2] = {0.5, 2.5};
    rec.data = calloc(2, sizeof *rec.data);
    for (int i = 0; i < 2; i++) {
        snprintf(ch.name, sizeof ch.name, "c%d", i);
        ch.fs = fs[i];
        ch.n_samples = (int64_t)(fs[i] * 20);
        assert_true(emg_header_add_channel(&rec.header, &ch, &err) >= 0);
        rec.data[i] = calloc((size_t)ch.n_samples, sizeof(double));
        for (int64_t k = 0; k < ch.n_samples; k++)
            rec.data[i][k] = (double)k;
    }
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, NULL, &err), 0);
    assert_int_equal(emg_recording_load(&back, path, NULL, &err), 0);
    assert_true(back.header.channels[0].fs == 0.5);
    assert_true(back.header.channels[1].fs == 2.5);
    assert_int_equal(back.header.channels[1].n_samples, 50);
    assert_true(fabs(back.data[1][49] - 49) < 49.0 / 65535);
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

/* EDF+D (discontinuous) is refused with a clear message. */
static void test_discontinuous(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "disc.edf");
    emg_recording rec;
    emg_error err;
    make_recording(&rec);
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_EDF, NULL, &err), 0);
    emg_recording_free(&rec);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 192, SEEK_SET);
    fwrite("EDF+D", 1, 5, f);
    fclose(f);
    int rc = emg_recording_load(&rec, path, NULL, &err);
    print_message("EDF+D: %s\n", err.message);
    assert_true(rc == EMG_ERR_UNSUPPORTED || rc == EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, path));
}

/* Labels over 16 characters and non-ASCII units are cut to the spec. */
static void test_long_labels(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "labels.edf");
    emg_recording rec, back;
    emg_error err;
    emg_recording_init(&rec);
    emg_channel ch;
    emg_channel_init(&ch);
    ch.fs = 100;
    ch.n_samples = 100;
    strcpy(ch.unit, "\xc2\xb5V");
    rec.data = calloc(2, sizeof *rec.data);
    for (int i = 0; i < 2; i++) {
        snprintf(ch.name, sizeof ch.name, "flexor carpi radialis %d", i);
        assert_true(emg_header_add_channel(&rec.header, &ch, &err) >= 0);
        rec.data[i] = calloc(100, sizeof(double));
    }
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_EDF, NULL, &err), 0);
    assert_int_equal(emg_recording_load(&back, path, NULL, &err), 0);
    assert_string_equal(back.header.channels[0].name, "flexor carpi rad");
    assert_string_equal(back.header.channels[1].name, "flexor carpi r~2");
    assert_string_equal(back.header.channels[0].unit, "uV");
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

/* Blocks streamed with an unknown length, annotations inside them, and a
 * calibrated channel whose samples leave its ADC range (processed data):
 * nothing may be clipped. */
static void test_stream_and_clipping(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "stream.bdf");
    emg_error err;
    emg_header h;
    emg_header_init(&h);
    emg_channel ch;
    emg_channel_init(&ch);
    strcpy(ch.name, "EMG");
    strcpy(ch.unit, "mV");
    ch.fs = 500;
    ch.gain = 1000; /* 1 uV steps, +-32.768 mV */
    ch.digital_min = -32768;
    ch.digital_max = 32767;
    assert_true(emg_header_add_channel(&h, &ch, &err) >= 0);
    emg_writer *w;
    assert_int_equal(emg_writer_open(&w, path, EMG_FORMAT_AUTO, &h, NULL, &err), 0);
    double x[700];
    for (int k = 0; k < 700; k++)
        x[k] = 50.0 * sin(k / 30.0); /* beyond +-32.768 mV */
    emg_block blk;
    emg_block_init(&blk);
    size_t count[1] = {350};
    double *data[1] = {x};
    blk.n_channels = 1;
    blk.count = count;
    blk.data = data;
    assert_int_equal(emg_writer_write(w, &blk, &err), 0);
    assert_int_equal(emg_block_add_annotation(&blk, 0.9, 0.2, 0, "spike", &err), 0);
    data[0] = x + 350;
    assert_int_equal(emg_writer_write(w, &blk, &err), 0);
    free(blk.annotations[0].text);
    free(blk.annotations);
    assert_int_equal(emg_writer_close(w, &err), 0);
    emg_recording back;
    assert_int_equal(emg_recording_load(&back, path, NULL, &err), 0);
    assert_int_equal(back.header.channels[0].n_samples, 700);
    double step = 100.0 / 16777215;
    for (int k = 0; k < 700; k++)
        assert_true(fabs(back.data[0][k] - x[k]) <= step);
    assert_int_equal(back.header.n_annotations, 1);
    assert_string_equal(back.header.annotations[0].text, "spike");
    assert_int_equal(back.header.annotations[0].channel, 0);
    assert_true(fabs(back.header.annotations[0].onset - 0.9) < 1e-4);
    emg_recording_free(&back);
    emg_header_free(&h);
}

/* Save src as EDF+, read it back: same lengths, every sample within half a
 * step of the written calibration. */
static void check_converted(const char *src, const char *name)
{
    char path[1200];
    tmp_path(path, sizeof path, name);
    emg_recording a, b;
    emg_error err;
    assert_int_equal(emg_recording_load(&a, src, NULL, &err), 0);
    assert_int_equal(emg_recording_save(&a, path, EMG_FORMAT_AUTO, NULL, &err), 0);
    assert_int_equal(emg_recording_load(&b, path, NULL, &err), 0);
    double worst = 0;
    for (size_t i = 0; i < a.header.n_channels; i++) {
        assert_int_equal(b.header.channels[i].n_samples, a.header.channels[i].n_samples);
        double step = emg_channel_resolution(&b.header.channels[i]);
        for (int64_t k = 0; k < a.header.channels[i].n_samples; k++)
            worst = fmax(worst, fabs(a.data[i][k] - b.data[i][k]) / step);
    }
    print_message("%s: worst error %.3f steps\n", name, worst);
    assert_true(worst <= 0.5 + 1e-6);
    emg_recording_free(&a);
    emg_recording_free(&b);
}

/* GRABMyo: baselines and gains whose limits do not fit 8 characters exactly
 * (rounded outwards, nothing clips); Backyard Brains at 44.1 kHz: 854349
 * samples, not a whole number of records (exact end restored). */
static void test_converted_datasets(void **state)
{
    (void)state;
    check_converted(EMGKIT_DATASETS "/physionet_grabmyo/session1_participant1_gesture11_trial1.hea",
                    "grabmyo.edf");
    check_converted(EMGKIT_DATASETS "/backyardbrains_wav/S10_EMG_bicep_intermittent.wav",
                    "s10.bdf");
}

/* A copy of the 7-signal sleep excerpt with one header field of signal 1
 * replaced: field k of the signal header (0 label ... 8 samples per record),
 * or the fixed header's record duration when k < 0. */
static void patched_sleep(const char *path, int k, const char *text)
{
    static const int widths[] = {16, 80, 8, 8, 8, 8, 8, 80, 8, 32};
    copy_prefix(EMGKIT_DATASETS "/sleepedf_excerpt/short_psg.edf", path, 0);
    long at = 244, width = 8;
    if (k >= 0) {
        at = 256;
        for (int f = 0; f < k; f++)
            at += 7L * widths[f];
        width = widths[k];
    }
    char field[81];
    snprintf(field, sizeof field, "%-*s", (int)width, text);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, at, SEEK_SET);
    fwrite(field, 1, (size_t)width, f);
    fclose(f);
}

/* Signal-header faults were all "file size does not match the header". */
static void test_signal_header_faults(void **state)
{
    (void)state;
    static const struct { int field; const char *text, *words; } cases[] = {
        {3, "", "physical minimum equals physical maximum"}, /* set to the maximum below */
        {6, "-2048", "digital minimum -2048 is not below digital maximum -2048"},
        {8, "0", "0 samples per record"},
        {-1, "0", "data record duration field reads '0'"},
        {-1, "-1", "data record duration field reads '-1'"},
        {-1, "nan", "data record duration field reads 'nan'"},
    };
    char path[1200];
    tmp_path(path, sizeof path, "fault.edf");
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        emg_recording rec;
        emg_error err;
        patched_sleep(path, cases[c].field, cases[c].text);
        if (cases[c].field == 3) { /* physical minimum := physical maximum */
            FILE *f = fopen(path, "r+b");
            char max[9] = "";
            fseek(f, 256 + 7L * (16 + 80 + 8 + 8), SEEK_SET);
            assert_int_equal(fread(max, 1, 8, f), 8);
            fseek(f, 256 + 7L * (16 + 80 + 8), SEEK_SET);
            fwrite(max, 1, 8, f);
            fclose(f);
        }
        assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
        print_message("%s\n", err.message);
        if (cases[c].field != 3)
            assert_non_null(strstr(err.message, cases[c].words));
        else
            assert_non_null(strstr(err.message, "physical minimum equals physical maximum"));
        if (cases[c].field >= 0)
            assert_non_null(strstr(err.message, "signal 1 ('EEG Fpz-Cz')"));
        assert_null(strstr(err.message, "file size"));
    }
}

/* Clinical exports write microvolts as Latin-1 "\xb5V": read as UTF-8 "µV". */
static void test_latin1_unit(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "latin1.edf");
    patched_sleep(path, 2, "\xb5V");
    emg_recording rec;
    emg_error err;
    int rc = emg_recording_load(&rec, path, NULL, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_string_equal(rec.header.channels[0].unit, "\xc2\xb5V");
    assert_string_equal(rec.header.channels[1].unit, "uV");
    assert_int_equal(rec.header.channels[0].n_samples, 30000);
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep_edf),         cmocka_unit_test(test_sleep_bdf),
        cmocka_unit_test(test_edf_bdf_agree),     cmocka_unit_test(test_malformed_header),
        cmocka_unit_test(test_truncated),         cmocka_unit_test(test_round_trip_edf),
        cmocka_unit_test(test_round_trip_bdf),    cmocka_unit_test(test_sleep_to_edfplus),
        cmocka_unit_test(test_fractional_rates),  cmocka_unit_test(test_discontinuous),
        cmocka_unit_test(test_long_labels),       cmocka_unit_test(test_stream_and_clipping),
        cmocka_unit_test(test_converted_datasets),
        cmocka_unit_test(test_signal_header_faults), cmocka_unit_test(test_latin1_unit),
    };
    return cmocka_run_group_tests(tests, setup_tmp, NULL);
}
