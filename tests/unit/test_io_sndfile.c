/* test_io_sndfile.c: the libsndfile reader on the Backyard Brains WAVs in
 * datasets/ (first samples against the raw int16 / 32768), the malformed
 * WAVs (truncated, never-finalised, no RIFF header), truncated FLAC/AIFF
 * made here, and round trips through WAV, FLAC, AIFF, CAF, RF64 and W64. */
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

#define BYB EMGKIT_DATASETS "/backyardbrains_wav/"
#define BAD EMGKIT_DATASETS "/malformed/"

static char tmp_dir[1024];

static int setup_tmp(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(tmp_dir, sizeof tmp_dir, "%s/io_sndfile", EMGKIT_TEST_TMP);
    mkdir(tmp_dir, 0777);
    return 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp_dir, name);
}

/* Interleaved int16 sample k of the data chunk that starts at byte 44. */
static int16_t raw_int16(const char *path, long k)
{
    unsigned char b[2];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 44 + 2 * k, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, 2, f), 2);
    fclose(f);
    return (int16_t)(uint16_t)(b[0] | b[1] << 8);
}

static void check_byb(const char *name, double fs, size_t channels, int64_t frames,
                      const char *first_name)
{
    char path[512];
    snprintf(path, sizeof path, BYB "%s", name);
    emg_recording rec;
    emg_error err;
    int rc = emg_recording_load(&rec, path, NULL, &err);
    if (rc)
        fail_msg("%s", err.message);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, channels);
    assert_string_equal(h->channels[0].name, first_name);
    for (size_t i = 0; i < channels; i++) {
        assert_true(h->channels[i].fs == fs);
        assert_int_equal(h->channels[i].n_samples, frames);
        assert_true(h->channels[i].gain == 32768.0);
        assert_int_equal(h->channels[i].digital_min, -32768);
        for (long k = 0; k < 8; k++)
            assert_true(rec.data[i][k] == raw_int16(path, k * (long)channels + (long)i) / 32768.0);
    }
    /* The last frame too: nothing shortened. */
    long last = (long)(frames - 1) * (long)channels;
    assert_true(rec.data[0][frames - 1] == raw_int16(path, last) / 32768.0);
    assert_true(h->n_notes >= 1); /* "no physical scale" */
    emg_recording_free(&rec);
}

static void test_byb_wavs(void **state)
{
    (void)state;
    check_byb("S1_EMG_bicepTricep2.wav", 10000, 2, 492652, "Hid channel 1");
    check_byb("S8_EMG_bicep_sustained.wav", 10000, 2, 445935, "Hid channel 1");
    check_byb("S5_EMG_abs_legLift1.wav", 10000, 1, 94658, "Hid channel 1");
    check_byb("S10_EMG_bicep_intermittent.wav", 44100, 1, 854349,
              "Micr\xc3\xb3" "fono (Realtek High Definition Audio) [Left]");
}

/* A full scale and unit given by the caller calibrate the PCM. */
static void test_full_scale_option(void **state)
{
    (void)state;
    emg_recording rec;
    emg_error err;
    emg_read_options opts = EMG_READ_OPTIONS_INIT;
    opts.full_scale = 5.0;
    opts.unit = "mV";
    assert_int_equal(emg_recording_load(&rec, BYB "S5_EMG_abs_legLift1.wav", &opts, &err), 0);
    assert_string_equal(rec.header.channels[0].unit, "mV");
    assert_true(fabs(rec.header.channels[0].gain - 32768.0 / 5.0) < 1e-9);
    assert_true(rec.data[0][0] == raw_int16(BYB "S5_EMG_abs_legLift1.wav", 0) / 32768.0 * 5.0);
    assert_true(fabs(emg_channel_resolution(&rec.header.channels[0]) - 5.0 / 32768) < 1e-15);
    emg_recording_free(&rec);
}

static void expect_format_error(const char *path, const char *words)
{
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, words));
}

static void test_malformed(void **state)
{
    (void)state;
    expect_format_error(BAD "S3_EMG.wav", "truncated: header declares 5175296 frames, file holds "
                                          "1293824");
    expect_format_error(BAD "S1_EMG_bicepTricep5.wav", "never finalised");
    expect_format_error(BAD "S1_EMG_bicepTricep9.wav", "not a WAV file");
}

/* 2 channels at 2 kHz, 1.5 s of a sine in mV, annotations, start time. */
static void make_recording(emg_recording *rec, double gain)
{
    emg_error err;
    emg_recording_init(rec);
    emg_channel ch;
    emg_channel_init(&ch);
    ch.fs = 2000;
    ch.n_samples = 3000;
    strcpy(ch.unit, "mV");
    if (gain) {
        ch.gain = gain;
        ch.digital_min = -32768;
        ch.digital_max = 32767;
    }
    rec->data = calloc(2, sizeof *rec->data);
    for (int i = 0; i < 2; i++) {
        snprintf(ch.name, sizeof ch.name, i ? "triceps, long head" : "EMG biceps");
        assert_true(emg_header_add_channel(&rec->header, &ch, &err) >= 0);
        rec->data[i] = calloc(3000, sizeof(double));
        for (int k = 0; k < 3000; k++) {
            double x = (i + 1) * 0.8 * sin(2 * M_PI * 70 * k / 2000.0);
            rec->data[i][k] = gain ? nearbyint(x * gain) / gain : x;
        }
    }
    strcpy(rec->header.start_time, "2023-06-01T08:00:00.500000");
    assert_int_equal(emg_header_add_annotation(&rec->header, 0.25, 0.5, -1, "burst 1", &err), 0);
    assert_int_equal(emg_header_add_annotation(&rec->header, 1.0, 0, 1, "rest, then go", &err), 0);
}

static void check_round_trip(const char *name, emg_format format, emg_sample_format sample,
                             double gain, double tolerance_steps)
{
    char path[1200];
    tmp_path(path, sizeof path, name);
    emg_recording rec, back;
    emg_error err;
    emg_write_options opts = EMG_WRITE_OPTIONS_INIT;
    opts.sample_format = sample;
    make_recording(&rec, gain);
    int rc = emg_recording_save(&rec, path, format, &opts, &err);
    if (rc)
        fail_msg("%s", err.message);
    rc = emg_recording_load(&back, path, NULL, &err);
    if (rc)
        fail_msg("%s", err.message);
    const emg_header *h = &back.header;
    assert_int_equal(h->n_channels, 2);
    assert_string_equal(h->channels[0].name, "EMG biceps");
    assert_string_equal(h->channels[1].name, "triceps, long head");
    assert_string_equal(h->channels[1].unit, "mV");
    assert_true(h->channels[0].fs == 2000);
    assert_int_equal(h->channels[0].n_samples, 3000);
    assert_string_equal(h->start_time, "2023-06-01T08:00:00.500000");
    assert_int_equal(h->n_annotations, 2);
    assert_string_equal(h->annotations[1].text, "rest, then go");
    assert_int_equal(h->annotations[1].channel, 1);
    assert_true(h->annotations[0].duration == 0.5);
    for (size_t i = 0; i < 2; i++) {
        double step = emg_channel_resolution(&h->channels[i]);
        if (step == 0) /* float: relative precision of float32 */
            step = 1.6 * 2 * 1.2e-7;
        double worst = 0;
        for (int k = 0; k < 3000; k++)
            worst = fmax(worst, fabs(back.data[i][k] - rec.data[i][k]));
        print_message("%s channel %zu: worst error %.3g, step %.3g\n", name, i, worst, step);
        assert_true(worst <= tolerance_steps * step);
    }
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

static void test_round_trips(void **state)
{
    (void)state;
    check_round_trip("float.wav", EMG_FORMAT_AUTO, EMG_SAMPLE_DEFAULT, 0, 0.5);
    check_round_trip("pcm16.wav", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM16, 0, 0.5);
    check_round_trip("pcm24.flac", EMG_FORMAT_AUTO, EMG_SAMPLE_DEFAULT, 0, 0.5);
    check_round_trip("pcm16.flac", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM16, 0, 0.5);
    check_round_trip("pcm32.aiff", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM32, 0, 0.5);
    check_round_trip("pcm24.caf", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM24, 0, 0.5);
    check_round_trip("double.rf64", EMG_FORMAT_AUTO, EMG_SAMPLE_FLOAT64, 0, 1e-6);
    /* Calibrated 16-bit data written as PCM16 keep their exact codes. */
    check_round_trip("calibrated.flac", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM16, 20000, 1e-9);
    check_round_trip("calibrated.wav", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM16, 20000, 1e-9);
    /* Samples outside the calibration's range (+-0.66 mV): the data's range is
     * used instead, nothing clips. */
    check_round_trip("beyond_adc.wav", EMG_FORMAT_AUTO, EMG_SAMPLE_PCM16, 50000, 0.5);
}

/* W64 holds no strings in libsndfile: float values survive, names do not. */
static void test_w64(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "plain.w64");
    emg_recording rec, back;
    emg_error err;
    make_recording(&rec, 0);
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, NULL, &err), 0);
    assert_int_equal(emg_recording_load(&back, path, NULL, &err), 0);
    assert_string_equal(back.header.channels[0].name, "ch1");
    for (int k = 0; k < 3000; k++)
        assert_true(fabs(back.data[1][k] - rec.data[1][k]) < 1e-6);
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

/* Streams (length unknown) with annotations in the blocks, into FLAC. */
static void test_stream_annotations(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "stream.flac");
    emg_recording rec, back;
    emg_error err;
    make_recording(&rec, 0);
    emg_header h;
    emg_header_init(&h);
    assert_int_equal(emg_header_copy(&h, &rec.header, &err), 0);
    for (size_t i = 0; i < h.n_channels; i++)
        h.channels[i].n_samples = -1;
    emg_writer *w;
    assert_int_equal(emg_writer_open(&w, path, EMG_FORMAT_AUTO, &h, NULL, &err), 0);
    emg_block blk;
    emg_block_init(&blk);
    blk.n_channels = 2;
    size_t count[2] = {1500, 1500};
    double *data[2] = {rec.data[0], rec.data[1]};
    blk.count = count;
    blk.data = data;
    assert_int_equal(emg_writer_write(w, &blk, &err), 0);
    assert_int_equal(emg_block_add_annotation(&blk, 0.8, 0.1, 0, "late event", &err), 0);
    data[0] += 1500;
    data[1] += 1500;
    assert_int_equal(emg_writer_write(w, &blk, &err), 0);
    free(blk.annotations[0].text);
    free(blk.annotations);
    assert_int_equal(emg_writer_close(w, &err), 0);
    assert_int_equal(emg_recording_load(&back, path, NULL, &err), 0);
    assert_int_equal(back.header.n_annotations, 3);
    assert_string_equal(back.header.annotations[2].text, "late event");
    assert_int_equal(back.header.annotations[2].channel, 0);
    assert_int_equal(back.header.channels[0].n_samples, 3000);
    emg_header_free(&h);
    emg_recording_free(&rec);
    emg_recording_free(&back);
}

static void truncate_half(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
}

/* libsndfile shortens these silently; the reader must not. */
static void test_truncated_containers(void **state)
{
    (void)state;
    static const char *const names[] = {"cut.flac", "cut.aiff", "cut.wav", "cut.rf64",
                                        "cut.w64"};
    emg_write_options opts = EMG_WRITE_OPTIONS_INIT;
    opts.sample_format = EMG_SAMPLE_PCM16;
    opts.full_scale = 2.0; /* W64 takes integers only with a stated scale */
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[1200];
        tmp_path(path, sizeof path, names[k]);
        emg_recording rec;
        emg_error err;
        make_recording(&rec, 0);
        assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, &opts, &err), 0);
        emg_recording_free(&rec);
        truncate_half(path);
        int rc = emg_recording_load(&rec, path, NULL, &err);
        print_message("%s: %s\n", names[k], err.message);
        assert_int_equal(rc, EMG_ERR_FORMAT);
        assert_non_null(strstr(err.message, "truncated"));
    }
}

/* Offset of the first chunk named id in a RIFF file, or -1. */
static long riff_chunk_offset(const char *path, const char *id)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char h[8];
    long at = 12, found = -1;
    while (found < 0 && fseek(f, at, SEEK_SET) == 0 && fread(h, 1, 8, f) == 8) {
        long len = (long)(h[4] | h[5] << 8 | h[6] << 16 | (unsigned long)h[7] << 24);
        if (!memcmp(h, id, 4))
            found = at;
        at += 8 + len + (len & 1);
    }
    fclose(f);
    return found;
}

/* A WAV cut inside its LIST chunk (names, units, scale, start time,
 * annotations) or inside the chunk header: it read with the metadata gone,
 * values as fractions of full scale, and no word. */
static void test_cut_metadata(void **state)
{
    (void)state;
    char path[1200];
    tmp_path(path, sizeof path, "cut_list.wav");
    emg_recording rec;
    emg_error err;
    make_recording(&rec, 0);
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, NULL, &err), 0);
    emg_recording_free(&rec);
    long list = riff_chunk_offset(path, "LIST");
    assert_true(list > 0);
    const long cuts[] = {list + 40, list + 4};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(truncate(path, cuts[k]), 0);
        int rc = emg_recording_load(&rec, path, NULL, &err);
        print_message("%s\n", err.message);
        assert_int_equal(rc, EMG_ERR_FORMAT);
        assert_non_null(strstr(err.message, path));
        assert_non_null(strstr(err.message, "truncated inside"));
    }
}

static void test_refusals(void **state)
{
    (void)state;
    char path[1200];
    emg_recording rec;
    emg_error err;
    make_recording(&rec, 0);
    rec.header.channels[1].fs = 1000;
    rec.header.channels[1].n_samples = 1500;
    tmp_path(path, sizeof path, "two_rates.wav");
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, NULL, &err),
                     EMG_ERR_OUTPUT);
    assert_non_null(strstr(err.message, "one sampling rate"));
    assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
    rec.header.channels[1].fs = 2000;
    rec.header.channels[1].n_samples = 3000;
    emg_write_options opts = EMG_WRITE_OPTIONS_INIT;
    opts.sample_format = EMG_SAMPLE_FLOAT32;
    tmp_path(path, sizeof path, "float.flac");
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, &opts, &err),
                     EMG_ERR_OUTPUT);
    opts.sample_format = EMG_SAMPLE_PCM16;
    tmp_path(path, sizeof path, "pcm16.w64");
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_AUTO, &opts, &err),
                     EMG_ERR_OUTPUT);
    assert_non_null(strstr(err.message, "W64"));
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byb_wavs),          cmocka_unit_test(test_full_scale_option),
        cmocka_unit_test(test_malformed),         cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_w64),               cmocka_unit_test(test_stream_annotations),
        cmocka_unit_test(test_truncated_containers), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cut_metadata),
    };
    return cmocka_run_group_tests(tests, setup_tmp, NULL);
}
