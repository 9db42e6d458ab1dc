/* test_io_wfdb.c: the WFDB reader on the PhysioNet records in datasets/, the
 * writer's round trips for every storage format, and corrupted records. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "emgkit/emgkit.h"
#include "io_internal.h"
#include "test_helpers.h"

#define EMGDB EMGKIT_DATASETS "/physionet_emgdb/"
#define GRABMYO EMGKIT_DATASETS "/physionet_grabmyo/session1_participant1_gesture11_trial1"

static char tmp_dir[1024];

static int setup_tmp(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(tmp_dir, sizeof tmp_dir, "%s/io_wfdb", EMGKIT_TEST_TMP);
    mkdir(tmp_dir, 0777);
    return 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp_dir, name);
}

/* Read a whole recording; returns the status of the last read. */
static int load(const char *path, emg_recording *rec, emg_error *err)
{
    emg_recording_init(rec);
    return emg_recording_load(rec, path, NULL, err);
}

/* First n int16 samples of a format-16 file. */
static void raw_int16(const char *path, long offset, int16_t *out, size_t n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    unsigned char b[2];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fread(b, 1, 2, f), 2);
        out[i] = (int16_t)(uint16_t)(b[0] | b[1] << 8);
    }
    fclose(f);
}

static void check_emgdb(const char *name, int64_t n_samples, int baseline)
{
    char hea[512], dat[512];
    snprintf(hea, sizeof hea, EMGDB "%s.hea", name);
    snprintf(dat, sizeof dat, EMGDB "%s.dat", name);
    emg_error err;
    emg_recording rec;
    int rc = load(hea, &rec, &err);
    assert_int_equal(rc, 0);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 1);
    assert_string_equal(h->channels[0].name, "EMG");
    assert_string_equal(h->channels[0].unit, "mV"); /* emg_myopathy writes "mv" */
    assert_true(h->channels[0].fs == 4000.0);
    assert_int_equal(h->channels[0].n_samples, n_samples);
    assert_true(h->channels[0].gain == 10000.0);
    assert_true(h->channels[0].baseline == baseline);
    int16_t raw[8];
    raw_int16(dat, 0, raw, 8);
    for (int i = 0; i < 8; i++)
        assert_float_equal(rec.data[0][i], (raw[i] - baseline) / 10000.0, 1e-12);
    /* The last sample too: the whole file was read. */
    int16_t last;
    raw_int16(dat, (long)(n_samples - 1) * 2, &last, 1);
    assert_float_equal(rec.data[0][n_samples - 1], last / 10000.0, 1e-12);
    assert_true(strstr(h->subject, "<age>") != NULL);
    emg_recording_free(&rec);
}

static void test_emgdb_records(void **state)
{
    (void)state;
    check_emgdb("emg_healthy", 50860, 0);
    check_emgdb("emg_myopathy", 110337, 0);
    check_emgdb("emg_neuropathy", 147858, 0);
}

static void test_emgdb_first_values(void **state)
{
    (void)state;
    /* Known values: emg_healthy starts -333 -350 -350 -300 -300 (adu), gain 10000/mV. */
    emg_error err;
    emg_recording rec;
    assert_int_equal(load(EMGDB "emg_healthy.hea", &rec, &err), 0);
    const double want[5] = {-0.0333, -0.0350, -0.0350, -0.0300, -0.0300};
    for (int i = 0; i < 5; i++)
        assert_float_equal(rec.data[0][i], want[i], 1e-12);
    emg_recording_free(&rec);
    /* Neuropathy clips at +-32767 adu = +-3.2767 mV. */
    assert_int_equal(load(EMGDB "emg_neuropathy.hea", &rec, &err), 0);
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < rec.header.channels[0].n_samples; i++) {
        if (rec.data[0][i] < lo) lo = rec.data[0][i];
        if (rec.data[0][i] > hi) hi = rec.data[0][i];
    }
    assert_float_equal(lo, -3.2767, 1e-12);
    assert_float_equal(hi, 3.2753, 1e-12);
    emg_recording_free(&rec);
}

static void test_grabmyo(void **state)
{
    (void)state;
    emg_error err;
    emg_recording rec;
    /* Named without ".hea": the record name alone opens it; checksums (written
     * unsigned by GRABMyo) are verified at the end of the read. */
    int rc = load(GRABMYO, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 32);
    for (size_t i = 0; i < 32; i++) {
        assert_true(h->channels[i].fs == 2048.0);
        assert_int_equal(h->channels[i].n_samples, 10240);
        assert_string_equal(h->channels[i].unit, "mV");
    }
    assert_string_equal(h->channels[0].name, "F1");
    assert_string_equal(h->channels[16].name, "U1");
    assert_string_equal(h->channels[31].name, "U4");
    assert_float_equal(h->channels[0].gain, 30262.96582642538, 1e-9);
    assert_true(h->channels[0].baseline == 3539);
    assert_true(h->channels[3].baseline == -57);
    assert_true(h->channels[19].baseline == -5860);
    /* Frame 0 and frame 1 against the raw interleaved int16 values. */
    int16_t raw[64];
    raw_int16(GRABMYO ".dat", 0, raw, 64);
    for (size_t i = 0; i < 32; i++) {
        const emg_channel *c = &h->channels[i];
        assert_float_equal(rec.data[i][0], (raw[i] - c->baseline) / c->gain, 1e-12);
        assert_float_equal(rec.data[i][1], (raw[32 + i] - c->baseline) / c->gain, 1e-12);
    }
    assert_int_equal(raw[0], 6600); /* the header's initial value of F1 */
    assert_float_equal(rec.data[0][0], (6600 - 3539) / 30262.96582642538, 1e-12);
    emg_recording_free(&rec);
    /* Streaming: blocks of one second (2048 frames) at most, 5 s in all. */
    emg_reader *r;
    assert_int_equal(emg_reader_open(&r, GRABMYO ".hea", NULL, &err), 0);
    const emg_block *b;
    size_t blocks = 0, total = 0;
    while ((rc = emg_reader_read(r, &b, &err)) > 0) {
        assert_true(b->count[31] <= 2048);
        assert_int_equal(b->count[0], b->count[31]);
        total += b->count[0];
        blocks++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(total, 10240);
    assert_int_equal(blocks, 5);
    emg_reader_close(r);
}

static void test_probe(void **state)
{
    (void)state;
    unsigned char head[] = "rec 2 500 1000\nrec.dat 212 200 12 0 0 0 0 a\n"
                           "rec.dat 212 200 12 0 0 0 0 b\n";
    assert_true(emgi_wfdb_reader.probe(head, sizeof head - 1, "x") >= 50);
    unsigned char csv[] = "time,ch1\n0,1\n";
    assert_int_equal(emgi_wfdb_reader.probe(csv, sizeof csv - 1, "x.csv"), 0);
    unsigned char numbers[] = "1 2 3\n4 5 6\n";
    assert_int_equal(emgi_wfdb_reader.probe(numbers, sizeof numbers - 1, "x.txt"), 0);
    assert_true(emgi_wfdb_reader.probe(NULL, 0, EMGDB "emg_healthy.dat") >= 90);
    assert_true(emgi_wfdb_reader.probe(NULL, 0, EMGDB "emg_healthy") >= 90);
    /* Opening the .dat finds its header. */
    emg_error err;
    emg_recording rec;
    assert_int_equal(load(EMGDB "emg_myopathy.dat", &rec, &err), 0);
    assert_int_equal(rec.header.channels[0].n_samples, 110337);
    emg_recording_free(&rec);
}

/* A two-channel test recording: a sine in mV and a ramp in uV, no calibration. */
static void make_recording(emg_recording *rec, size_t n, double fs0, double fs1)
{
    emg_recording_init(rec);
    emg_channel ch;
    emg_channel_init(&ch);
    strcpy(ch.name, "EMG left");
    strcpy(ch.unit, "mV");
    ch.fs = fs0;
    ch.n_samples = (int64_t)n;
    assert_true(emg_header_add_channel(&rec->header, &ch, NULL) >= 0);
    strcpy(ch.name, "ramp");
    strcpy(ch.unit, "uV");
    ch.fs = fs1;
    size_t n1 = (size_t)llround(n * fs1 / fs0);
    ch.n_samples = (int64_t)n1;
    assert_true(emg_header_add_channel(&rec->header, &ch, NULL) >= 0);
    strcpy(rec->header.start_time, "2024-03-05T10:20:30");
    strcpy(rec->header.subject, "S01");
    assert_int_equal(emg_header_add_annotation(&rec->header, 0.25, 0.5, -1, "burst one", NULL), 0);
    assert_int_equal(emg_header_add_provenance(&rec->header, "test_io_wfdb", NULL), 0);
    rec->data = calloc(2, sizeof *rec->data);
    rec->data[0] = calloc(n, sizeof(double));
    rec->data[1] = calloc(n1, sizeof(double));
    for (size_t i = 0; i < n; i++)
        rec->data[0][i] = 1.5 * sin(2 * M_PI * 37.0 * (double)i / fs0) + 0.2;
    for (size_t i = 0; i < n1; i++)
        rec->data[1][i] = -300.0 + 600.0 * (double)i / (double)n1;
}

static void check_round_trip(int format, double fs1)
{
    emg_recording src, back;
    /* 3001 frames of 2 samples end in partial 310/311 groups; 750 frames of 5
     * samples end in a partial 212 pair. */
    make_recording(&src, fs1 == 1000.0 ? 3001 : 3000, 1000.0, fs1);
    char path[1200];
    char name[64];
    snprintf(name, sizeof name, "rt_%d.hea", format);
    tmp_path(path, sizeof path, name);
    emg_write_options wo = EMG_WRITE_OPTIONS_INIT;
    wo.wfdb_format = format;
    emg_error err;
    int rc = emg_recording_save(&src, path, EMG_FORMAT_WFDB, &wo, &err);
    if (rc < 0)
        fail_msg("format %d: %s", format, err.message);
    rc = load(path, &back, &err);
    if (rc < 0)
        fail_msg("format %d: %s", format, err.message);
    const emg_header *h = &back.header;
    assert_int_equal(h->n_channels, 2);
    assert_string_equal(h->channels[0].name, "EMG left");
    assert_string_equal(h->channels[1].name, "ramp");
    assert_string_equal(h->channels[0].unit, "mV");
    assert_string_equal(h->channels[1].unit, "uV");
    assert_string_equal(h->start_time, "2024-03-05T10:20:30");
    assert_string_equal(h->subject, "S01");
    assert_int_equal(h->n_provenance, 1);
    assert_int_equal(h->n_annotations, 1);
    assert_string_equal(h->annotations[0].text, "burst one");
    assert_float_equal(h->annotations[0].onset, 0.25, 1e-12);
    for (size_t c = 0; c < 2; c++) {
        assert_true(h->channels[c].fs == src.header.channels[c].fs);
        assert_int_equal(h->channels[c].n_samples, src.header.channels[c].n_samples);
        double step = 1.0 / h->channels[c].gain, worst = 0;
        for (int64_t i = 0; i < h->channels[c].n_samples; i++) {
            double e = fabs(back.data[c][i] - src.data[c][i]);
            if (e > worst)
                worst = e;
        }
        /* Rounding to the nearest code: half a step (format 8 tracks a slow ramp exactly). */
        if (worst > 0.5 * step + 1e-12)
            fail_msg("format %d channel %zu: error %g > half step %g", format, c, worst, step);
    }
    emg_recording_free(&src);
    emg_recording_free(&back);
}

static void test_round_trip_formats(void **state)
{
    (void)state;
    const int formats[] = {16, 212, 80, 24, 32, 8, 61, 160, 310, 311};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        check_round_trip(formats[i], 1000.0);
}

static void test_round_trip_multirate(void **state)
{
    (void)state;
    /* 1000 Hz and 250 Hz: frame rate 250 Hz, 4 samples per frame for the first. */
    check_round_trip(16, 250.0);
    check_round_trip(212, 250.0);
    char path[1200];
    tmp_path(path, sizeof path, "rt_212.hea");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "rt_212 2 250 750 10:20:30 05/03/2024\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(!strncmp(line, "rt_212.dat 212x4 ", 17));
    fclose(f);
}

/* The original's codes survive a format-16 round trip exactly, and the header
 * keeps gain, baseline, initial value and checksum. */
static void test_round_trip_calibrated(void **state)
{
    (void)state;
    emg_error err;
    emg_recording src, back;
    assert_int_equal(load(GRABMYO ".hea", &src, &err), 0);
    char path[1200];
    tmp_path(path, sizeof path, "grab_copy.hea");
    assert_int_equal(emg_recording_save(&src, path, EMG_FORMAT_WFDB, NULL, &err), 0);
    assert_int_equal(load(path, &back, &err), 0);
    for (size_t c = 0; c < 32; c++) {
        assert_true(back.header.channels[c].gain == src.header.channels[c].gain);
        assert_true(back.header.channels[c].baseline == src.header.channels[c].baseline);
        for (int64_t i = 0; i < 10240; i++)
            assert_true(back.data[c][i] == src.data[c][i]);
    }
    /* Same signal line as the original (file name, description aside). */
    FILE *f = fopen(path, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "grab_copy 32 2048 10240\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "grab_copy.dat 16 30262.96582642538(3539)/mV 16 0 6600 21632 0 F1\n");
    fclose(f);
    /* The .dat is byte for byte the original. */
    char dat[1200];
    tmp_path(dat, sizeof dat, "grab_copy.dat");
    FILE *a = fopen(dat, "rb"), *b = fopen(GRABMYO ".dat", "rb");
    assert_non_null(a);
    assert_non_null(b);
    int ca, cb;
    do {
        ca = fgetc(a);
        cb = fgetc(b);
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(a);
    fclose(b);
    emg_recording_free(&src);
    emg_recording_free(&back);
}

/* Format 212 against bytes laid out by hand from signal(5). */
static void test_format_212_bytes(void **state)
{
    (void)state;
    char hea[1200], dat[1200];
    tmp_path(hea, sizeof hea, "f212.hea");
    tmp_path(dat, sizeof dat, "f212.dat");
    FILE *f = fopen(hea, "w");
    fprintf(f, "f212 2 100 3\nf212.dat 212 100(0)/mV 12 0 1 0 0 a\n"
               "f212.dat 212 100/mV 12 0 -1 2047 0 b\n");
    fclose(f);
    /* Samples a: 1, 2047, -2048(invalid); b: -1, 2047, 1. Pairs (1,-1) (2047,2047) (-2048,1). */
    const unsigned char bytes[] = {0x01, 0xf0, 0xff, 0xff, 0x77, 0xff, 0x00, 0x08, 0x01};
    f = fopen(dat, "wb");
    fwrite(bytes, 1, sizeof bytes, f);
    fclose(f);
    emg_error err;
    emg_recording rec;
    int rc = load(hea, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_float_equal(rec.data[0][0], 0.01, 1e-12);
    assert_float_equal(rec.data[0][1], 20.47, 1e-12);
    assert_true(isnan(rec.data[0][2]));
    assert_float_equal(rec.data[1][0], -0.01, 1e-12);
    assert_float_equal(rec.data[1][1], 20.47, 1e-12);
    assert_float_equal(rec.data[1][2], 0.01, 1e-12);
    emg_recording_free(&rec);
}

/* Copy a file, keeping at most keep bytes (all when keep < 0). */
static void copy_file(const char *from, const char *to, long keep)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    int c;
    long n = 0;
    while ((keep < 0 || n < keep) && (c = fgetc(a)) != EOF) {
        fputc(c, b);
        n++;
    }
    fclose(a);
    fclose(b);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_truncated_dat(void **state)
{
    (void)state;
    char hea[1200], dat[1200];
    tmp_path(hea, sizeof hea, "trunc.hea");
    tmp_path(dat, sizeof dat, "trunc.dat");
    write_text(hea, "trunc 1 4000 50860\ntrunc.dat 16 10000/mV 16 0 -333 -29438 0 EMG\n");
    copy_file(EMGDB "emg_healthy.dat", dat, 50000 * 2 + 1);
    emg_reader *r;
    emg_error err;
    int rc = emg_reader_open(&r, hea, NULL, &err);
    assert_int_equal(rc, EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "trunc.dat"));
    assert_non_null(strstr(err.message, "50000"));
    assert_non_null(strstr(err.message, "50860"));
}

static void test_bad_header_line(void **state)
{
    (void)state;
    char hea[1200], dat[1200];
    tmp_path(hea, sizeof hea, "badline.hea");
    tmp_path(dat, sizeof dat, "badline.dat");
    copy_file(EMGDB "emg_healthy.dat", dat, -1);
    write_text(hea, "badline 1 4000 50860\nbadline.dat 16 ten/mV 16 0 -333 -29438 0 EMG\n");
    emg_reader *r;
    emg_error err;
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "badline.hea:2"));
    write_text(hea, "badline 1 fast 50860\nbadline.dat 16 10000/mV 16 0 -333 -29438 0 EMG\n");
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "badline.hea:1"));
    write_text(hea, "badline 2 4000 50860\nbadline.dat 16 10000/mV 16 0 -333 -29438 0 EMG\n");
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "badline.hea"));
    write_text(hea, "badline 1 4000 50860\nbadline.dat 999 10000/mV 16 0 -333 -29438 0 EMG\n");
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_UNSUPPORTED);
    write_text(hea, "badline/2 1 4000 50860\n");
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_UNSUPPORTED);
    write_text(hea, "badline 1 4000 50860\n- 16 10000/mV 16 0 -333 -29438 0 EMG\n");
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), EMG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "'-'"));
}

static void test_bad_checksum(void **state)
{
    (void)state;
    char hea[1200], dat[1200];
    tmp_path(hea, sizeof hea, "badsum.hea");
    tmp_path(dat, sizeof dat, "badsum.dat");
    copy_file(EMGDB "emg_healthy.dat", dat, -1);
    write_text(hea, "badsum 1 4000 50860\nbadsum.dat 16 10000/mV 16 0 -333 -29437 0 EMG\n");
    emg_reader *r;
    emg_error err;
    assert_int_equal(emg_reader_open(&r, hea, NULL, &err), 0);
    const emg_block *b;
    int rc;
    while ((rc = emg_reader_read(r, &b, &err)) > 0)
        ;
    assert_int_equal(rc, EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "badsum.dat"));
    assert_non_null(strstr(err.message, "checksum"));
    emg_reader_close(r);
}

/* Defaults from header(5): no gain -> 200 adu/mV; no sample count -> file size;
 * byte offset and a second signal file; lower-case unit; frame multiplicity. */
static void test_header_variants(void **state)
{
    (void)state;
    char hea[1200], dat[1200], dat2[1200];
    tmp_path(hea, sizeof hea, "var.hea");
    tmp_path(dat, sizeof dat, "var_a.dat");
    tmp_path(dat2, sizeof dat2, "var_b.dat");
    /* var_a: 4-byte prolog, then 3 frames of 16x2; var_b: format 80, 3 frames of 2 signals. */
    const unsigned char a[] = {9, 9, 9, 9, 10, 0, 20, 0, 30, 0, 40, 0, 50, 0, 60, 0};
    const unsigned char b[] = {128, 130, 129, 131, 127, 132}; /* two signals */
    FILE *f = fopen(dat, "wb");
    fwrite(a, 1, sizeof a, f);
    fclose(f);
    f = fopen(dat2, "wb");
    fwrite(b, 1, sizeof b, f);
    fclose(f);
    write_text(hea, "# a comment first\nvar 3 50\nvar_a.dat 16x2+4\nvar_b.dat 80 0(0)/uv 8 0 0\n"
                    "var_b.dat 80 100/NU 8 0 2 9 0 marker\n# recorded on a bench\n");
    emg_error err;
    emg_recording rec;
    int rc = load(hea, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    const emg_header *h = &rec.header;
    assert_true(h->channels[0].fs == 100.0);
    assert_true(h->channels[1].fs == 50.0);
    assert_int_equal(h->channels[0].n_samples, 6);
    assert_int_equal(h->channels[1].n_samples, 3);
    assert_string_equal(h->channels[0].unit, "mV");
    assert_string_equal(h->channels[1].unit, "uV");
    assert_true(h->channels[0].gain == 200.0);
    assert_string_equal(h->channels[2].unit, ""); /* "NU": no unit */
    for (int i = 0; i < 6; i++)
        assert_float_equal(rec.data[0][i], 10.0 * (i + 1) / 200.0, 1e-12);
    assert_float_equal(rec.data[1][0], 0.0, 1e-12);
    assert_float_equal(rec.data[1][1], 1.0 / 200.0, 1e-12);
    assert_float_equal(rec.data[1][2], -1.0 / 200.0, 1e-12);
    assert_float_equal(rec.data[2][0], 0.02, 1e-12);
    assert_float_equal(rec.data[2][2], 0.04, 1e-12);
    assert_string_equal(h->channels[2].name, "marker");
    assert_true(h->n_notes >= 2); /* default gains and sample count from file size */
    assert_non_null(strstr(h->recording, "bench"));
    emg_recording_free(&rec);
}

static void test_writer_refuses(void **state)
{
    (void)state;
    emg_recording src;
    make_recording(&src, 100, 1000.0, 1000.0);
    emg_error err;
    char path[1200];
    tmp_path(path, sizeof path, "no_extension");
    assert_int_equal(emg_recording_save(&src, path, EMG_FORMAT_WFDB, NULL, &err), EMG_ERR_ARG);
    emg_write_options wo = EMG_WRITE_OPTIONS_INIT;
    wo.wfdb_format = 13;
    tmp_path(path, sizeof path, "bad_format.hea");
    assert_int_equal(emg_recording_save(&src, path, EMG_FORMAT_WFDB, &wo, &err), EMG_ERR_ARG);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0); /* nothing left behind */
    emg_recording_free(&src);
}

/* A two-file record in tmp_dir/files: files/rec.hea names rec.dat and sub/b.dat. */
static void make_two_file_record(char *dir, size_t n)
{
    tmp_path(dir, n, "files");
    mkdir(dir, 0777);
    char path[1400];
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0777);
    const unsigned char frames[] = {1, 0, 2, 0, 3, 0};
    snprintf(path, sizeof path, "%s/rec.dat", dir);
    FILE *f = fopen(path, "wb");
    fwrite(frames, 1, sizeof frames, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sub/b.dat", dir);
    f = fopen(path, "wb");
    fwrite(frames, 1, sizeof frames, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/rec.hea", dir);
    write_text(path, "rec 2 100 3\nrec.dat 16 100/mV 16 0 1 6 0 a\nsub/b.dat 16 100/mV 16 0 1 6 0 b\n");
}

static void test_input_files(void **state)
{
    (void)state;
    char dir[1200], path[1400], want[1400];
    make_two_file_record(dir, sizeof dir);
    const char *spellings[] = {"rec.hea", "rec", "rec.dat"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, spellings[k]);
        char **files;
        size_t n;
        emg_error err;
        int rc = emg_input_files(path, EMG_FORMAT_AUTO, &files, &n, &err);
        if (rc < 0)
            fail_msg("%s: %s", spellings[k], err.message);
        assert_int_equal(n, 3);
        snprintf(want, sizeof want, "%s/rec.hea", dir);
        assert_string_equal(files[0], want); /* the same first file for every spelling */
        snprintf(want, sizeof want, "%s/rec.dat", dir);
        assert_string_equal(files[1], want);
        snprintf(want, sizeof want, "%s/sub/b.dat", dir);
        assert_string_equal(files[2], want);
        emg_files_free(files, n);
        /* ... and each spelling opens the record. */
        emg_recording rec;
        rc = load(path, &rec, &err);
        if (rc < 0)
            fail_msg("%s: %s", spellings[k], err.message);
        assert_int_equal(rec.header.n_channels, 2);
        assert_float_equal(rec.data[1][2], 0.03, 1e-12);
        emg_recording_free(&rec);
    }
    /* Other formats, and stdin: the path itself. */
    char **files;
    size_t n;
    emg_error err;
    assert_int_equal(emg_input_files(EMGKIT_DATASETS "/sleepedf_excerpt/short_psg.edf",
                                     EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_non_null(strstr(files[0], "short_psg.edf"));
    emg_files_free(files, n);
    assert_int_equal(emg_input_files("-", EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(files[0], "-");
    emg_files_free(files, n);
}

/* RECORD.dat opens the record only when RECORD.hea beside it names it. */
static void test_dat_needs_its_header(void **state)
{
    (void)state;
    char dir[1200], path[1400];
    make_two_file_record(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/rec.hea", dir);
    write_text(path, "rec 1 100 3\nother.dat 16 100/mV 16 0 0 0 0 a\n");
    snprintf(path, sizeof path, "%s/rec.dat", dir);
    char **files;
    size_t n;
    emg_error err;
    assert_int_equal(emg_input_files(path, EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(files[0], path);
    emg_files_free(files, n);
}

static void test_output_files(void **state)
{
    (void)state;
    char **files;
    size_t n;
    emg_error err;
    assert_int_equal(emg_output_files("dir/out.hea", EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(files[0], "dir/out.hea");
    assert_string_equal(files[1], "dir/out.dat");
    emg_files_free(files, n);
    assert_int_equal(emg_output_files("out.edf", EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(files[0], "out.edf");
    emg_files_free(files, n);
    assert_int_equal(emg_output_files("-", EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(n, 1);
    emg_files_free(files, n);
    assert_int_equal(emg_output_files("out", EMG_FORMAT_WFDB, &files, &n, &err), EMG_ERR_ARG);
    assert_int_equal(emg_output_files("out.xyz", EMG_FORMAT_AUTO, &files, &n, &err), EMG_ERR_ARG);
    /* What the writer really creates. */
    emg_recording src;
    make_recording(&src, 100, 1000.0, 1000.0);
    char hea[1200];
    tmp_path(hea, sizeof hea, "listed.hea");
    assert_int_equal(emg_output_files(hea, EMG_FORMAT_AUTO, &files, &n, &err), 0);
    assert_int_equal(emg_recording_save(&src, hea, EMG_FORMAT_AUTO, NULL, &err), 0);
    struct stat st;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(stat(files[i], &st), 0);
    emg_files_free(files, n);
    emg_recording_free(&src);
}

/* Open hea (with allow_outside_paths as given) and expect status, with needle in
 * the message. */
static void expect_open(const char *hea, int allow_outside, int status, const char *needle)
{
    emg_read_options opts = EMG_READ_OPTIONS_INIT;
    opts.allow_outside_paths = allow_outside;
    emg_reader *r = NULL;
    emg_error err;
    int rc = emg_reader_open(&r, hea, &opts, &err);
    if (rc != status)
        fail_msg("%s: status %d, expected %d (%s)", hea, rc, status, rc < 0 ? err.message : "");
    if (rc < 0 && needle && !strstr(err.message, needle))
        fail_msg("'%s' does not say '%s'", err.message, needle);
    emg_reader_close(r);
}

/* Signal files outside the record's folder ("..", absolute) are refused unless allowed. */
static void test_outside_paths(void **state)
{
    (void)state;
    char dir[1200], path[1400], hea[1400], text[3000];
    tmp_path(dir, sizeof dir, "outside");
    mkdir(dir, 0777);
    tmp_path(path, sizeof path, "outside.dat"); /* beside the folder, not in it */
    FILE *f = fopen(path, "wb");
    fwrite("\1\0\2\0", 1, 4, f);
    fclose(f);
    snprintf(hea, sizeof hea, "%s/rec.hea", dir);
    write_text(hea, "rec 1 100 2\n../outside.dat 16 100/mV 16 0 1 3 0 a\n");
    expect_open(hea, 0, EMG_ERR_FORMAT, "outside the record's folder");
    expect_open(hea, 1, EMG_OK, NULL);
    snprintf(text, sizeof text, "rec 1 100 2\n%s 16 100/mV 16 0 1 3 0 a\n", path);
    write_text(hea, text);
    expect_open(hea, 0, EMG_ERR_FORMAT, path);
    expect_open(hea, 1, EMG_OK, NULL);
    write_text(hea, "rec 1 100 2\nsub/../../outside.dat 16 100/mV 16 0 1 3 0 a\n");
    expect_open(hea, 0, EMG_ERR_FORMAT, "outside");
    write_text(hea, "rec 1 1 1\n/etc/passwd 8 100/mV\n");
    expect_open(hea, 0, EMG_ERR_FORMAT, "/etc/passwd");
}

/* A FIFO, a device or a directory named as the signal file: refused at once. */
static void test_signal_file_not_regular(void **state)
{
    (void)state;
    char dir[1200], path[1400], hea[1400];
    tmp_path(dir, sizeof dir, "special");
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/fifo.dat", dir);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    snprintf(hea, sizeof hea, "%s/rec.hea", dir);
    write_text(hea, "rec 1 100 2\nfifo.dat 16 100/mV 16 0 1 3 0 a\n");
    expect_open(hea, 0, EMG_ERR_FORMAT, "FIFO"); /* used to block forever */
    snprintf(path, sizeof path, "%s/folder.dat", dir);
    mkdir(path, 0777);
    write_text(hea, "rec 1 100 2\nfolder.dat 16 100/mV 16 0 1 3 0 a\n");
    expect_open(hea, 0, EMG_ERR_FORMAT, "directory");
    write_text(hea, "rec 1 100 2\n/dev/zero 16 100/mV 16 0 1 3 0 a\n");
    expect_open(hea, 1, EMG_ERR_FORMAT, "device");
}

/* 100,000 signals of one name: header building and unique names are linear
 * (they took minutes: arrays grown one element at a time, every name compared
 * with every other). */
static void test_many_channels(void **state)
{
    (void)state;
    enum { N = 100000, FRAMES = 2 };
    char hea[1200], dat[1200];
    tmp_path(hea, sizeof hea, "many.hea");
    tmp_path(dat, sizeof dat, "many.dat");
    FILE *f = fopen(hea, "w");
    assert_non_null(f);
    fprintf(f, "many %d 1000 %d\n", N, FRAMES);
    for (int i = 0; i < N; i++)
        fputs("many.dat 16 200/mV 16 0 0 0 0 EMG\n", f);
    fclose(f);
    f = fopen(dat, "wb");
    for (int i = 0; i < N * FRAMES * 2; i++)
        fputc(0, f);
    fclose(f);
    double start = monotonic_seconds();
    emg_recording rec;
    emg_error err;
    int rc = load(hea, &rec, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    double seconds = monotonic_seconds() - start;
    print_message("%d channels read in %.2f s\n", N, seconds);
    assert_true(seconds < 20);
    assert_int_equal(rec.header.n_channels, N);
    assert_string_equal(rec.header.channels[0].name, "EMG");
    assert_string_equal(rec.header.channels[1].name, "EMG#2");
    assert_string_equal(rec.header.channels[N - 1].name, "EMG#100000");
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emgdb_records),
        cmocka_unit_test(test_emgdb_first_values),
        cmocka_unit_test(test_grabmyo),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_round_trip_formats),
        cmocka_unit_test(test_round_trip_multirate),
        cmocka_unit_test(test_round_trip_calibrated),
        cmocka_unit_test(test_format_212_bytes),
        cmocka_unit_test(test_truncated_dat),
        cmocka_unit_test(test_bad_header_line),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_header_variants),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test(test_input_files),
        cmocka_unit_test(test_dat_needs_its_header),
        cmocka_unit_test(test_output_files),
        cmocka_unit_test(test_outside_paths),
        cmocka_unit_test(test_signal_file_not_regular),
        cmocka_unit_test(test_many_channels),
    };
    return cmocka_run_group_tests(tests, setup_tmp, NULL);
}
