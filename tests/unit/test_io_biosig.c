/* test_io_biosig.c: the libbiosig fallback reader on a BrainVision set
 * (.vhdr/.vmrk/.eeg) written here by hand and a GDF file written here
 * through libbiosig: channel names, units, rate, resolution, sample values,
 * markers; damaged files that crash libbiosig 3.0.1 are refused first. */
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
#if defined(__has_include)
#if __has_include(<biosig.h>)
#include <biosig.h>
#define HAVE_BIOSIG_HEADER 1
#endif
#endif

static char dir[1024];

static int setup_tmp(void **state)
{
    (void)state;
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(dir, sizeof dir, "%s/io_biosig", EMGKIT_TEST_TMP);
    mkdir(dir, 0777);
    return 0;
}

#define N_SAMPLES 2000

static int16_t code(int channel, int k)
{
    return (int16_t)((channel + 1) * 1000 * sin(2 * M_PI * 50 * k / 1000.0)) ;
}

/* BrainVision Core Data Format 1.0: INT_16, multiplexed, 1 kHz, two channels
 * with resolutions 0.5 uV and 0.1 mV, two markers (positions are 1-based). */
static void write_brainvision(char *vhdr, size_t n)
{
    char path[1200];
    snprintf(vhdr, n, "%s/set.vhdr", dir);
    FILE *f = fopen(vhdr, "w");
    assert_non_null(f);
    fputs("Brain Vision Data Exchange Header File Version 1.0\r\n"
          "; written by test_io_biosig\n\n"
          "[Common Infos]\nCodepage=UTF-8\nDataFile=set.eeg\nMarkerFile=set.vmrk\n"
          "DataFormat=BINARY\nDataOrientation=MULTIPLEXED\nNumberOfChannels=2\n"
          "SamplingInterval=1000\n\n"
          "[Binary Infos]\nBinaryFormat=INT_16\n\n"
          "[Channel Infos]\nCh1=EMG1,,0.5,\xc2\xb5V\nCh2=EMG2,,0.1,mV\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/set.vmrk", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("Brain Vision Data Exchange Marker File, Version 1.0\r\n\r\n"
          "[Common Infos]\r\nCodepage=UTF-8\r\nDataFile=set.eeg\r\n\r\n"
          "[Marker Infos]\r\nMk1=New Segment,,1,1,0,20240102030405000000\r\n"
          "Mk2=Stimulus,S  1,501,1,0\r\nMk3=Comment,burst,1001,250,0\r\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/set.eeg", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int k = 0; k < N_SAMPLES; k++)
        for (int c = 0; c < 2; c++) {
            int16_t v = code(c, k);
            unsigned char b[2] = {(unsigned char)(v & 0xff), (unsigned char)((uint16_t)v >> 8)};
            fwrite(b, 1, 2, f);
        }
    fclose(f);
}

static void test_brainvision(void **state)
{
    (void)state;
    char vhdr[1200];
    write_brainvision(vhdr, sizeof vhdr);
    emg_recording rec;
    emg_error err;
    emg_reader *r;
    int rc = emg_reader_open(&r, vhdr, NULL, &err);
    if (rc)
        fail_msg("%s", err.message);
    assert_int_equal(emg_reader_format(r), EMG_FORMAT_BIOSIG);
    emg_reader_close(r);
    assert_int_equal(emg_recording_load(&rec, vhdr, NULL, &err), 0);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 2);
    assert_string_equal(h->channels[0].name, "EMG1");
    assert_string_equal(h->channels[1].name, "EMG2");
    /* libbiosig 3.0.1 labels this mV channel "uV" but returns the values in
     * the file's resolution units (docs/formats/biosig.md): check the values. */
    print_message("EMG2 unit from libbiosig: '%s'\n", h->channels[1].unit);
    assert_true(!strcmp(h->channels[1].unit, "mV") || !strcmp(h->channels[1].unit, "uV"));
    assert_true(h->channels[0].fs == 1000);
    assert_int_equal(h->channels[0].n_samples, N_SAMPLES);
    assert_string_equal(h->start_time, "2024-01-02T03:04:05");
    assert_true(fabs(h->channels[0].gain - 2.0) < 1e-12); /* 0.5 uV per count */
    const double resolution[2] = {0.5, 0.1};
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < N_SAMPLES; k++)
            assert_true(fabs(rec.data[c][k] - code(c, k) * resolution[c]) < 1e-9);
    int found_stimulus = 0, found_burst = 0;
    for (size_t a = 0; a < h->n_annotations; a++) {
        const emg_annotation *an = &h->annotations[a];
        print_message("annotation %.4f s + %.4f s: '%s'\n", an->onset, an->duration, an->text);
        if (strstr(an->text, "S  1")) {
            found_stimulus = 1;
            assert_true(fabs(an->onset - 0.5) < 1e-9);
        }
        if (strstr(an->text, "burst")) {
            found_burst = 1;
            assert_true(fabs(an->onset - 1.0) < 1e-9);
            assert_true(fabs(an->duration - 0.25) < 1e-9);
        }
    }
    assert_true(found_stimulus && found_burst);
    emg_recording_free(&rec);
}

static void test_not_biosig(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof path, "%s/broken.gdf", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("GDF 2.20 but nothing else", f);
    fclose(f);
    emg_recording rec;
    emg_error err;
    int rc = emg_recording_load(&rec, path, NULL, &err);
    print_message("%s\n", err.message);
    assert_true(rc == EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, path));
}

/* Damaged BrainVision sets that crash libbiosig 3.0.1 (found by fuzzing)
 * are refused before libbiosig sees them. */
static void test_damaged_brainvision(void **state)
{
    (void)state;
    char vhdr[1200], path[1200];
    write_brainvision(vhdr, sizeof vhdr);
    emg_recording rec;
    emg_error err;
    /* A zero sampling interval (libbiosig divides by it). */
    snprintf(path, sizeof path, "%s/zero.vhdr", dir);
    FILE *in = fopen(vhdr, "rb"), *out = fopen(path, "wb");
    char line[512];
    while (fgets(line, sizeof line, in))
        fputs(strncmp(line, "SamplingInterval=", 17) ? line : "SamplingInterval=0\r\n", out);
    fclose(in);
    fclose(out);
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "SamplingInterval"));
    /* A truncated marker file (libbiosig reads past its buffer). */
    snprintf(path, sizeof path, "%s/set.vmrk", dir);
    out = fopen(path, "wb");
    fputs("Brain Vision Data Exchange Marker File, Version 1.0\r\n\r\n[Marker Infos]\r\n"
          "Mk1=New ", out);
    fclose(out);
    assert_int_equal(emg_recording_load(&rec, vhdr, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "marker"));
    /* A data file that is not a whole number of samples. */
    write_brainvision(vhdr, sizeof vhdr);
    snprintf(path, sizeof path, "%s/set.eeg", dir);
    out = fopen(path, "ab");
    fputc(0, out);
    fclose(out);
    assert_int_equal(emg_recording_load(&rec, vhdr, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "whole number"));
}

/* Copy vhdr to path with the line starting with key replaced by line. */
static void copy_vhdr_with(const char *vhdr, const char *path, const char *key, const char *line)
{
    FILE *in = fopen(vhdr, "rb"), *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char text[512];
    while (fgets(text, sizeof text, in))
        fputs(strncmp(text, key, strlen(key)) ? text : line, out);
    fclose(in);
    fclose(out);
}

/* Data and marker files outside the header's folder, or not regular files. */
static void test_brainvision_named_files(void **state)
{
    (void)state;
    char vhdr[1200], path[1200], fifo[1200];
    write_brainvision(vhdr, sizeof vhdr);
    emg_recording rec;
    emg_error err;
    snprintf(path, sizeof path, "%s/outside.vhdr", dir);
    copy_vhdr_with(vhdr, path, "DataFile=", "DataFile=../io_biosig/set.eeg\r\n");
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "outside"));
    copy_vhdr_with(vhdr, path, "DataFile=", "DataFile=/etc/passwd\r\n");
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "/etc/passwd"));
    snprintf(fifo, sizeof fifo, "%s/markers.fifo", dir);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    copy_vhdr_with(vhdr, path, "MarkerFile=", "MarkerFile=markers.fifo\r\n");
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "not a regular file"));
}

#ifdef HAVE_BIOSIG_HEADER
/* A GDF 2 file written through libbiosig itself: 2 int16 channels at 250 Hz,
 * 0.5 uV per count, 4 records of 1 s. */
static double gdf_value(int channel, size_t t)
{
    return 0.5 * (int)((channel + 1) * 1000 * sin(t / 10.0));
}

static void write_gdf(const char *path)
{
    const int ns = 2;
    const size_t nrec = 4, spr = 250;
    HDRTYPE *h = constructHDR(ns, 0);
    biosig_set_filetype(h, GDF);
    h->VERSION = 2.22;
    h->SampleRate = 250;
    h->NRec = (nrec_t)nrec;
    h->SPR = spr;
    for (int k = 0; k < ns; k++) {
        CHANNEL_TYPE *ch = biosig_get_channel(h, k);
        snprintf(ch->Label, sizeof ch->Label, "EMG%d", k + 1);
        ch->OnOff = 1;
        ch->SPR = spr;
        ch->GDFTYP = 3; /* int16 */
        ch->PhysDimCode = PhysDimCode("uV");
        ch->DigMax = 32767;
        ch->DigMin = -32768;
        ch->PhysMax = 32767 * 0.5;
        ch->PhysMin = -32768 * 0.5;
        ch->Cal = 0.5;
        ch->Off = 0;
        ch->LowPass = ch->HighPass = ch->Notch = NAN;
    }
    h = sopen(path, "w", h);
    assert_false(biosig_check_error(h));
    double *d = calloc((size_t)ns * nrec * spr, sizeof *d);
    for (int k = 0; k < ns; k++)
        for (size_t t = 0; t < nrec * spr; t++)
            d[(size_t)k * nrec * spr + t] = gdf_value(k, t);
    assert_int_equal(swrite(d, nrec, h), nrec);
    sclose(h);
    destructHDR(h);
    free(d);
}

static void test_gdf(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof path, "%s/written.gdf", dir);
    write_gdf(path);
    emg_recording rec;
    emg_error err;
    int rc = emg_recording_load(&rec, path, NULL, &err);
    if (rc)
        fail_msg("%s", err.message);
    assert_int_equal(rec.header.n_channels, 2);
    assert_string_equal(rec.header.channels[1].name, "EMG2");
    assert_string_equal(rec.header.channels[0].unit, "uV");
    assert_true(rec.header.channels[0].fs == 250);
    assert_int_equal(rec.header.channels[0].n_samples, 1000);
    assert_true(fabs(rec.header.channels[0].gain - 2.0) < 1e-12);
    for (int c = 0; c < 2; c++)
        for (size_t t = 0; t < 1000; t++)
            assert_true(fabs(rec.data[c][t] - gdf_value(c, t)) < 1e-9);
    emg_recording_free(&rec);
    /* A header-3 field whose length runs past the header (crashed libbiosig). */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 256 * 3 + 3, SEEK_SET);
    fputc(0xA0, f);
    fclose(f);
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brainvision),
        cmocka_unit_test(test_not_biosig),
        cmocka_unit_test(test_damaged_brainvision),
        cmocka_unit_test(test_brainvision_named_files),
#ifdef HAVE_BIOSIG_HEADER
        cmocka_unit_test(test_gdf),
#endif
    };
    return cmocka_run_group_tests(tests, setup_tmp, NULL);
}
