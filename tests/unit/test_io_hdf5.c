/* test_io_hdf5.c: the HDF5 reader and writer (src/lib/io_hdf5.c).
 *
 * PLUX OpenSignals files from datasets/ are checked against their raw ADC
 * counts read here with the HDF5 C API and converted with the PLUX EMG transfer
 * function; the emgkit layout is round-tripped (multi-rate, annotations,
 * provenance); an NWB-shaped file is written here with the HDF5 C API; corrupt
 * and truncated copies must fail with EMG_ERR_FORMAT naming the file. */
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

#if defined(__has_include)
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif
#else
#include <hdf5.h>
#endif

#include "emgkit/emgkit.h"
#include "io_internal.h"

#define PLUX EMGKIT_DATASETS "/plux_opensignals/"

static void tmp_path(char *out, size_t n, const char *name)
{
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(out, n, "%s/hdf5-%s", EMGKIT_TEST_TMP, name);
}

/* Raw ADC counts of a PLUX channel, read independently of the reader. */
static double *raw_counts(const char *path, const char *dataset, size_t *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t s = H5Dget_space(d);
    hsize_t dims[2];
    assert_int_equal(H5Sget_simple_extent_dims(s, dims, NULL), 2);
    double *v = malloc(dims[0] * sizeof *v);
    assert_non_null(v);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    *n = dims[0];
    return v;
}

/* Read a whole file through the public API; returns samples of channel 0. */
static double *read_all(const char *path, emg_header *hdr, int64_t *counts)
{
    emg_reader *r;
    emg_error err;
    int rc = emg_reader_open(&r, path, NULL, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(emg_reader_format(r), EMG_FORMAT_HDF5);
    emg_header_init(hdr);
    assert_int_equal(emg_header_copy(hdr, emg_reader_header(r), &err), 0);
    size_t cap = 1 << 16, n0 = 0;
    double *first = malloc(cap * sizeof *first);
    for (size_t i = 0; i < hdr->n_channels; i++)
        counts[i] = 0;
    const emg_block *b;
    while ((rc = emg_reader_read(r, &b, &err)) == 1) {
        for (size_t i = 0; i < b->n_channels; i++)
            counts[i] += (int64_t)b->count[i];
        if (n0 + b->count[0] > cap) {
            while (n0 + b->count[0] > cap)
                cap *= 2;
            first = realloc(first, cap * sizeof *first);
        }
        memcpy(first + n0, b->data[0], b->count[0] * sizeof *first);
        n0 += b->count[0];
    }
    if (rc < 0)
        fail_msg("%s", err.message);
    emg_reader_close(r);
    return first;
}

static int has_note(const emg_header *h, const char *needle)
{
    for (size_t i = 0; i < h->n_notes; i++)
        if (strstr(h->notes[i], needle))
            return 1;
    return 0;
}

static void test_probe(void **state)
{
    (void)state;
    unsigned char head[2048] = {0};
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    assert_int_equal(emgi_hdf5_reader.probe(head, sizeof head, "x.h5"), 0);
    memcpy(head + 512, sig, 8); /* after a 512-byte user block */
    assert_int_equal(emgi_hdf5_reader.probe(head, sizeof head, "x"), 100);
    memcpy(head, sig, 8);
    assert_int_equal(emgi_hdf5_reader.probe(head, 8, "x"), 100);
    assert_int_equal(emgi_hdf5_reader.probe(head, 7, "x"), 0);
}

/* emg_fatigue.h5: bioplux, 12-bit, 1000 Hz, 126900 samples (126.9 s). */
static void test_plux_fatigue(void **state)
{
    (void)state;
    emg_header h;
    int64_t count[4];
    double *x = read_all(PLUX "emg_fatigue.h5", &h, count);
    assert_int_equal(h.n_channels, 1);
    assert_string_equal(h.channels[0].name, "CH2");
    assert_string_equal(h.channels[0].unit, "mV");
    assert_true(h.channels[0].fs == 1000.0);
    assert_int_equal(h.channels[0].n_samples, 126900);
    assert_int_equal(count[0], 126900);
    assert_string_equal(h.start_time, "2017-05-30T15:34:25.337000");
    /* 2^12 / 3 counts per mV, zero at 2048, ADC range 0..4095. */
    assert_float_equal(h.channels[0].gain, 4096.0 / 3.0, 1e-9);
    assert_float_equal(h.channels[0].baseline, 2048.0, 0);
    assert_int_equal(h.channels[0].digital_max, 4095);
    /* 12 samples at 0 and 26 at 4095; nSeq stops at 65535 in this file. */
    assert_true(has_note(&h, "38 sample(s) at the 12-bit ADC limits"));
    assert_true(has_note(&h, "nSeq stops at 65535"));

    size_t n;
    double *raw = raw_counts(PLUX "emg_fatigue.h5", "/00:07:80:4C:01:B1/raw/channel_2", &n);
    assert_int_equal(n, 126900);
    assert_float_equal(raw[0], 2068, 0);
    /* PLUX EMG datasheet: EMG(mV) = (ADC / 2^n - 1/2) * VCC / G_EMG * 1000. */
    for (size_t i = 0; i < n; i++) {
        double mv = (raw[i] / 4096.0 - 0.5) * 3.0 / 1000.0 * 1000.0;
        if (fabs(x[i] - mv) > 1e-12)
            fail_msg("sample %zu: %.17g mV, expected %.17g", i, x[i], mv);
    }
    assert_float_equal(x[0], 0.0146484375, 1e-15);
    free(raw);
    free(x);
    emg_header_free(&h);
}

/* emg_bursts.h5: channeller, 16-bit, 1000 Hz, 28519 samples (28.5 s), no gaps. */
static void test_plux_bursts(void **state)
{
    (void)state;
    emg_header h;
    int64_t count[4];
    double *x = read_all(PLUX "emg_bursts.h5", &h, count);
    assert_int_equal(h.n_channels, 1);
    assert_string_equal(h.channels[0].name, "PORT3_CHN1");
    assert_true(h.channels[0].fs == 1000.0);
    assert_int_equal(count[0], 28519);
    assert_string_equal(h.start_time, "2017-01-23T10:28:51.690000");
    assert_false(has_note(&h, "nSeq"));
    assert_false(has_note(&h, "clips"));
    size_t n;
    double *raw = raw_counts(PLUX "emg_bursts.h5", "/00:07:80:3B:46:61/raw/channel_3", &n);
    assert_int_equal(n, 28519);
    for (size_t i = 0; i < 8; i++)
        assert_float_equal(x[i], (raw[i] / 65536.0 - 0.5) * 3.0, 1e-12);
    assert_float_equal(x[0], (32718 / 65536.0 - 0.5) * 3.0, 1e-15);
    free(raw);
    free(x);
    emg_header_free(&h);
}

/* The emgkit layout: two rates, annotations from header and blocks, provenance. */
static void test_roundtrip(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "roundtrip.h5");
    emg_error err;
    emg_header h;
    emg_header_init(&h);
    emg_channel ch;
    emg_channel_init(&ch);
    strcpy(ch.name, "EMG biceps");
    strcpy(ch.unit, "mV");
    strcpy(ch.transducer, "Ag/AgCl surface electrodes");
    ch.fs = 2000;
    ch.gain = 1000;
    ch.baseline = 12;
    ch.digital_min = -32768;
    ch.digital_max = 32767;
    assert_int_equal(emg_header_add_channel(&h, &ch, &err), 0);
    emg_channel_init(&ch);
    strcpy(ch.name, "force/torque");
    strcpy(ch.unit, "N");
    ch.fs = 500;
    assert_int_equal(emg_header_add_channel(&h, &ch, &err), 1);
    strcpy(h.start_time, "2024-02-29T23:59:58.5");
    strcpy(h.subject, "S07");
    strcpy(h.recording, "fatigue protocol, trial 3");
    assert_int_equal(emg_header_add_annotation(&h, 1.25, 0.5, 0, "burst", &err), 0);
    assert_int_equal(emg_header_add_annotation(&h, 0.0, 0, -1, "start \xc2\xb5V", &err), 0);
    assert_int_equal(emg_header_add_provenance(&h, "emg-convert a.hea b.edf", &err), 0);
    assert_int_equal(emg_header_add_provenance(&h, "emg-convert b.edf c.h5", &err), 0);

    emg_writer *w;
    int rc = emg_writer_open(&w, path, EMG_FORMAT_HDF5, &h, NULL, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    /* 3.1 s in blocks of 0.1 s: 6200 and 1550 samples, crossing chunk borders. */
    emg_block b;
    emg_block_init(&b);
    for (int k = 0; k < 31; k++) {
        emg_block_clear(&b);
        assert_int_equal(emg_block_reserve(&b, 2, 200, &err), 0);
        b.count[0] = 200;
        b.count[1] = 50;
        for (int j = 0; j < 200; j++)
            b.data[0][j] = sin(0.001 * (k * 200 + j)) + 1e-9 * j;
        for (int j = 0; j < 50; j++)
            b.data[1][j] = (k * 50 + j) / 7.0;
        if (k == 20)
            assert_int_equal(emg_block_add_annotation(&b, 2.0, 0, 1, "block note", &err), 0);
        if ((rc = emg_writer_write(w, &b, &err)) < 0)
            fail_msg("%s", err.message);
    }
    emg_block_free(&b);
    if ((rc = emg_writer_close(w, &err)) < 0)
        fail_msg("%s", err.message);

    emg_reader *r;
    if ((rc = emg_reader_open(&r, path, NULL, &err)) < 0)
        fail_msg("%s", err.message);
    const emg_header *g = emg_reader_header(r);
    assert_int_equal(g->n_channels, 2);
    assert_string_equal(g->channels[0].name, "EMG biceps");
    assert_string_equal(g->channels[0].unit, "mV");
    assert_string_equal(g->channels[0].transducer, "Ag/AgCl surface electrodes");
    assert_true(g->channels[0].fs == 2000 && g->channels[1].fs == 500);
    assert_true(g->channels[0].gain == 1000 && g->channels[0].baseline == 12);
    assert_int_equal(g->channels[0].digital_min, -32768);
    assert_int_equal(g->channels[0].n_samples, 6200);
    assert_int_equal(g->channels[1].n_samples, 1550);
    assert_string_equal(g->channels[1].name, "force/torque");
    assert_true(g->channels[1].gain == 0);
    assert_string_equal(g->start_time, "2024-02-29T23:59:58.5");
    assert_string_equal(g->subject, "S07");
    assert_string_equal(g->recording, "fatigue protocol, trial 3");
    assert_int_equal(g->n_annotations, 3);
    assert_string_equal(g->annotations[0].text, "start \xc2\xb5V");
    assert_int_equal(g->annotations[0].channel, -1);
    assert_true(g->annotations[1].onset == 1.25 && g->annotations[1].duration == 0.5);
    assert_int_equal(g->annotations[1].channel, 0);
    assert_string_equal(g->annotations[2].text, "block note");
    assert_int_equal(g->annotations[2].channel, 1);
    assert_true(g->n_provenance >= 2);
    assert_string_equal(g->provenance[0], "emg-convert a.hea b.edf");
    assert_string_equal(g->provenance[1], "emg-convert b.edf c.h5");

    const emg_block *rb;
    size_t got[2] = {0, 0};
    while ((rc = emg_reader_read(r, &rb, &err)) == 1) {
        /* Blocks span the same time in both channels: 4 samples at 2 kHz per 1 at 500 Hz. */
        assert_true(rb->count[0] == 4 * rb->count[1] || rb->count[1] == 0);
        for (size_t j = 0; j < rb->count[0]; j++) {
            size_t i = got[0] + j;
            assert_true(rb->data[0][j] == sin(0.001 * i) + 1e-9 * (double)(i % 200));
        }
        for (size_t j = 0; j < rb->count[1]; j++)
            assert_true(rb->data[1][j] == (double)(got[1] + j) / 7.0);
        got[0] += rb->count[0];
        got[1] += rb->count[1];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(got[0], 6200);
    assert_int_equal(got[1], 1550);
    emg_reader_close(r);
    emg_header_free(&h);
}

/* --sample-format float32 stores float32 and reads back the rounded values;
 * integer sample formats are refused. */
static void test_float32(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "float32.h5");
    emg_error err;
    emg_recording rec;
    emg_recording_init(&rec);
    emg_channel ch;
    emg_channel_init(&ch);
    strcpy(ch.name, "EMG");
    strcpy(ch.unit, "uV");
    ch.fs = 1000;
    ch.n_samples = 3000;
    assert_int_equal(emg_header_add_channel(&rec.header, &ch, &err), 0);
    rec.data = calloc(1, sizeof *rec.data);
    rec.data[0] = malloc(3000 * sizeof(double));
    for (int i = 0; i < 3000; i++)
        rec.data[0][i] = 100.0 * sin(0.01 * i) + 1.0 / 3.0;
    emg_write_options w = EMG_WRITE_OPTIONS_INIT;
    w.sample_format = EMG_SAMPLE_PCM16;
    assert_int_equal(emg_recording_save(&rec, path, EMG_FORMAT_HDF5, &w, &err), EMG_ERR_ARG);
    w.sample_format = EMG_SAMPLE_FLOAT32;
    char nwb[512];
    tmp_path(nwb, sizeof nwb, "not-really.nwb");
    assert_int_equal(emg_recording_save(&rec, nwb, EMG_FORMAT_HDF5, &w, &err), EMG_ERR_ARG);
    assert_non_null(strstr(err.message, "name the output .h5"));
    if (emg_recording_save(&rec, path, EMG_FORMAT_HDF5, &w, &err) < 0)
        fail_msg("%s", err.message);
    emg_recording back;
    if (emg_recording_load(&back, path, NULL, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(back.header.channels[0].n_samples, 3000);
    assert_string_equal(back.header.channels[0].unit, "uV");
    for (int i = 0; i < 3000; i++)
        assert_true(back.data[0][i] == (double)(float)rec.data[0][i]);
    emg_recording_free(&back);
    emg_recording_free(&rec);
}

/* ---------------------------------------------------------------- NWB */

static void put_str_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &value);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void put_num_attr(hid_t obj, const char *name, hid_t file_type, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
    H5Aclose(a);
    H5Sclose(s);
}

static hid_t put_dataset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                         const hsize_t *dims, const void *data)
{
    hid_t s = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(loc, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Sclose(s);
    return d;
}

static void put_strings(hid_t loc, const char *name, const char **values, hsize_t n, int scalar)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Dclose(put_dataset(loc, name, t, t, scalar ? 0 : 1, &n, values));
    H5Tclose(t);
}

#define NWB_ROWS 5000

/* An NWB 2.x-shaped file: an int16 ElectricalSeries (2 electrodes, 2 kHz,
 * conversion 1e-6 V, channel_conversion) and a float force TimeSeries with
 * timestamps at 100 Hz (jittered when irregular). */
static void write_nwb(const char *path, int irregular)
{
    /* The irregular variant also starts with a 1024-byte user block before the superblock. */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (irregular)
        H5Pset_userblock(fcpl, 1024);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    assert_true(f >= 0);
    put_str_attr(f, "nwb_version", "2.5.0");
    put_str_attr(f, "neurodata_type", "NWBFile");
    const char *start = "2021-06-01T09:30:00.250000+02:00";
    put_strings(f, "session_start_time", &start, 1, 1);
    const char *desc = "isometric contractions";
    put_strings(f, "session_description", &desc, 1, 1);
    hid_t g = H5Gcreate2(f, "general", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sub = H5Gcreate2(g, "subject", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *sid = "P12";
    put_strings(sub, "subject_id", &sid, 1, 1);
    hid_t ee = H5Gcreate2(g, "extracellular_ephys", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t el = H5Gcreate2(ee, "electrodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *labels[3] = {"unused", "vastus lateralis", "rectus femoris"};
    put_strings(el, "label", labels, 3, 0);
    hid_t acq = H5Gcreate2(f, "acquisition", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

    hid_t es = H5Gcreate2(acq, "emg", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_str_attr(es, "neurodata_type", "ElectricalSeries");
    static int16_t data[NWB_ROWS][2];
    for (int i = 0; i < NWB_ROWS; i++) {
        data[i][0] = (int16_t)(i % 2000 - 1000);
        data[i][1] = (int16_t)(-3 * (i % 1000));
    }
    hsize_t dims[2] = {NWB_ROWS, 2};
    hid_t d = put_dataset(es, "data", H5T_STD_I16LE, H5T_NATIVE_INT16, 2, dims, data);
    put_str_attr(d, "unit", "volts");
    put_num_attr(d, "conversion", H5T_IEEE_F32LE, 1e-6);
    put_num_attr(d, "offset", H5T_IEEE_F32LE, 0.0);
    put_num_attr(d, "resolution", H5T_IEEE_F32LE, -1.0);
    H5Dclose(d);
    double t0 = 0;
    d = put_dataset(es, "starting_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &t0);
    put_num_attr(d, "rate", H5T_IEEE_F32LE, 2000.0);
    put_str_attr(d, "unit", "seconds");
    H5Dclose(d);
    int32_t rows[2] = {1, 2};
    hsize_t two = 2;
    H5Dclose(put_dataset(es, "electrodes", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &two, rows));
    float cc[2] = {1.0f, 0.5f};
    H5Dclose(put_dataset(es, "channel_conversion", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &two, cc));
    H5Gclose(es);

    hid_t fo = H5Gcreate2(acq, "force", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_str_attr(fo, "neurodata_type", "TimeSeries");
    static double force[250], stamps[250];
    for (int i = 0; i < 250; i++) {
        force[i] = 10.0 + 0.25 * i;
        stamps[i] = i * 0.01 + (irregular && i % 50 == 49 ? 0.004 : 0);
    }
    hsize_t n = 250;
    d = put_dataset(fo, "data", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, force);
    /* A fixed-length, space-padded string, as some writers make them. */
    hid_t fixed = H5Tcopy(H5T_C_S1);
    H5Tset_size(fixed, 10);
    H5Tset_strpad(fixed, H5T_STR_SPACEPAD);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t unit = H5Acreate2(d, "unit", fixed, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(unit, fixed, "newtons   ");
    H5Aclose(unit);
    H5Sclose(scalar);
    H5Tclose(fixed);
    H5Dclose(d);
    H5Dclose(put_dataset(fo, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, stamps));
    H5Gclose(fo);

    /* Text events and a trials table become annotations. */
    hid_t an = H5Gcreate2(acq, "cues", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_str_attr(an, "neurodata_type", "AnnotationSeries");
    const char *cues[2] = {"go", "stop"};
    double cue_times[2] = {0.5, 1.75};
    put_strings(an, "data", cues, 2, 0);
    H5Dclose(put_dataset(an, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &two, cue_times));
    H5Gclose(an);
    hid_t iv = H5Gcreate2(f, "intervals", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t tr = H5Gcreate2(iv, "trials", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_str_attr(tr, "neurodata_type", "TimeIntervals");
    double t_start[2] = {0.25, 1.25}, t_stop[2] = {1.0, 2.25};
    H5Dclose(put_dataset(tr, "start_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &two, t_start));
    H5Dclose(put_dataset(tr, "stop_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &two, t_stop));
    const char *trial_labels[2] = {"rest", "MVC"};
    put_strings(tr, "label", trial_labels, 2, 0);
    H5Gclose(tr);
    H5Gclose(iv);
    H5Gclose(acq);
    H5Gclose(el);
    H5Gclose(ee);
    H5Gclose(sub);
    H5Gclose(g);
    assert_true(H5Fclose(f) >= 0);
}

static void test_nwb(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "session.nwb");
    write_nwb(path, 0);
    emg_reader *r;
    emg_error err;
    if (emg_reader_open(&r, path, NULL, &err) < 0)
        fail_msg("%s", err.message);
    const emg_header *h = emg_reader_header(r);
    assert_int_equal(h->n_channels, 3);
    assert_string_equal(h->channels[0].name, "vastus lateralis");
    assert_string_equal(h->channels[1].name, "rectus femoris");
    assert_string_equal(h->channels[2].name, "force");
    assert_string_equal(h->channels[0].unit, "V");
    assert_string_equal(h->channels[2].unit, "N");
    assert_true(h->channels[0].fs == 2000);
    assert_float_equal(h->channels[2].fs, 100.0, 1e-9);
    assert_int_equal(h->channels[0].n_samples, NWB_ROWS);
    assert_int_equal(h->channels[2].n_samples, 250);
    /* int16 data: 1 count is conversion * channel_conversion volts. */
    assert_float_equal(h->channels[0].gain, 1e6, 1e-3);
    assert_float_equal(h->channels[1].gain, 2e6, 1e-3);
    assert_string_equal(h->start_time, "2021-06-01T09:30:00.250000");
    assert_string_equal(h->subject, "P12");
    assert_string_equal(h->recording, "isometric contractions");
    assert_int_equal(h->n_notes, 0);
    assert_int_equal(h->n_annotations, 4);
    assert_string_equal(h->annotations[0].text, "go");
    assert_true(h->annotations[1].onset == 1.75 && h->annotations[1].duration == 0);
    assert_string_equal(h->annotations[2].text, "trials: rest");
    assert_true(h->annotations[3].onset == 1.25 && h->annotations[3].duration == 1.0);
    assert_string_equal(h->annotations[3].text, "trials: MVC");
    const emg_block *b;
    size_t seen[3] = {0, 0, 0};
    int rc;
    /* The conversion attribute is float32, so compare within its precision. */
    while ((rc = emg_reader_read(r, &b, &err)) == 1) {
        for (size_t j = 0; j < b->count[0]; j++) {
            size_t i = seen[0] + j;
            assert_float_equal(b->data[0][j], (double)((int)(i % 2000) - 1000) * 1e-6, 1e-12);
            assert_float_equal(b->data[1][j], -3.0 * (double)(i % 1000) * 0.5e-6, 1e-12);
        }
        for (size_t j = 0; j < b->count[2]; j++)
            assert_float_equal(b->data[2][j], 10.0 + 0.25 * (double)(seen[2] + j), 0);
        for (int c = 0; c < 3; c++)
            seen[c] += b->count[c];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(seen[0], NWB_ROWS);
    assert_int_equal(seen[1], NWB_ROWS);
    assert_int_equal(seen[2], 250);
    emg_reader_close(r);

    write_nwb(path, 1);
    if (emg_reader_open(&r, path, NULL, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(emg_reader_format(r), EMG_FORMAT_HDF5);
    assert_int_equal(emg_reader_header(r)->n_channels, 3);
    assert_true(has_note(emg_reader_header(r), "/acquisition/force: timestamps irregular"));
    emg_reader_close(r);
}

/* ------------------------------------------------ synthetic OpenSignals */

static void put_int_attr(hid_t obj, const char *name, const int *values, hsize_t n)
{
    hid_t s = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, values);
    H5Aclose(a);
    H5Sclose(s);
}

/* One OpenSignals device group: channels 1 (EMG) and 4 (sensor "XYZ"), 10-bit,
 * 100 rows whose nSeq skips the values 40..42 (3 dropped samples). */
static void put_plux_device(hid_t f, const char *mac, const char *device, int rate)
{
    hid_t g = H5Gcreate2(f, mac, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int channels[2] = {1, 4}, resolution[2] = {10, 10};
    put_int_attr(g, "channels", channels, 2);
    put_int_attr(g, "resolution", resolution, 2);
    put_int_attr(g, "sampling rate", &rate, 0);
    int nsamples = 100;
    put_int_attr(g, "nsamples", &nsamples, 0);
    put_str_attr(g, "device", device);
    put_str_attr(g, "date", "2020-2-3");
    put_str_attr(g, "time", "8:05:09.5");
    hid_t raw = H5Gcreate2(g, "raw", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    uint16_t seq[100], emg[100], other[100];
    for (int i = 0; i < 100; i++) {
        seq[i] = (uint16_t)(i < 40 ? i : i + 3);
        emg[i] = (uint16_t)(i * 10 % 1024);
        other[i] = (uint16_t)(1000 - i);
    }
    hsize_t dims[2] = {100, 1};
    H5Dclose(put_dataset(raw, "nSeq", H5T_STD_U16LE, H5T_NATIVE_UINT16, 2, dims, seq));
    hid_t d = put_dataset(raw, "channel_1", H5T_STD_U16LE, H5T_NATIVE_UINT16, 2, dims, emg);
    put_str_attr(d, "label", "EMG1");
    put_str_attr(d, "sensor", "EMG");
    H5Dclose(d);
    d = put_dataset(raw, "channel_4", H5T_STD_U16LE, H5T_NATIVE_UINT16, 2, dims, other);
    put_str_attr(d, "label", "X");
    put_str_attr(d, "sensor", "XYZ");
    H5Dclose(d);
    H5Gclose(raw);
    H5Gclose(g);
}

/* Two devices (a BITalino and a biosignalsplux) in one file: names get the MAC,
 * each device its transfer function, dropped samples and unknown sensors noted. */
static void test_plux_synthetic(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "two-devices.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    put_plux_device(f, "20:16:07:18:17:02", "bitalino_rev", 100);
    put_plux_device(f, "00:07:80:0F:30:EE", "biosignalsplux", 100);
    H5Fclose(f);
    emg_header h;
    int64_t count[4];
    double *x = read_all(path, &h, count);
    assert_int_equal(h.n_channels, 4);
    /* Devices in name order: 00:07... before 20:16... */
    assert_string_equal(h.channels[0].name, "00:07:80:0F:30:EE EMG1");
    assert_string_equal(h.channels[2].name, "20:16:07:18:17:02 EMG1");
    assert_string_equal(h.channels[1].unit, "");
    assert_string_equal(h.start_time, "2020-02-03T08:05:09.500000");
    /* biosignalsplux: (ADC / 2^10 - 1/2) * 3 V / 1000 * 1000 mV */
    assert_float_equal(x[1], (10 / 1024.0 - 0.5) * 3.0, 1e-12);
    assert_float_equal(h.channels[0].gain, 1000 * 1024 / 3000.0, 1e-9);
    /* BITalino (revolution): VCC 3.3 V, G_EMG 1009 */
    assert_float_equal(h.channels[2].gain, 1009 * 1024 / 3300.0, 1e-9);
    assert_int_equal(h.channels[2].digital_max, 1023);
    assert_true(h.channels[1].gain == 1 && h.channels[1].baseline == 0);
    assert_int_equal(count[0], 100);
    assert_int_equal(count[3], 100);
    assert_true(has_note(&h, "X: sensor \"XYZ\" has no known transfer function"));
    assert_true(has_note(&h, "00:07:80:0F:30:EE: nSeq shows 1 gap(s), 3 sample(s) dropped"));
    assert_true(has_note(&h, "20:16:07:18:17:02: nSeq shows 1 gap(s), 3 sample(s) dropped"));
    free(x);
    emg_header_free(&h);
}

/* -------------------------------------------------------- broken files */

static void copy_prefix(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t got;
    long total = 0;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0 && (keep < 0 || total < keep)) {
        size_t take = keep >= 0 && total + (long)got > keep ? (size_t)(keep - total) : got;
        assert_int_equal(fwrite(buf, 1, take, out), take);
        total += (long)take;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void overwrite(const char *path, long at, size_t n, int byte)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    for (size_t i = 0; i < n; i++)
        fputc(byte, f);
    assert_int_equal(fclose(f), 0);
}

/* Open and read to the end; the first failure's status (0 if none). */
static int read_status(const char *path, emg_error *err)
{
    emg_reader *r;
    int rc = emg_reader_open(&r, path, NULL, err);
    if (rc < 0)
        return rc;
    const emg_block *b;
    while ((rc = emg_reader_read(r, &b, err)) == 1)
        ;
    emg_reader_close(r);
    return rc;
}

static void expect_format_error(const char *path, const char *also)
{
    emg_error err;
    int rc = read_status(path, &err);
    if (rc != EMG_ERR_FORMAT)
        fail_msg("%s: status %d (%s), expected EMG_ERR_FORMAT", path, rc, rc ? err.message : "");
    assert_non_null(strstr(err.message, path));
    assert_null(strchr(err.message, '\n'));
    if (also && !strstr(err.message, also))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, also);
}

static void test_truncated(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "truncated.h5");
    long cuts[] = {100, 4000, 150000};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        copy_prefix(PLUX "emg_bursts.h5", path, cuts[i]);
        expect_format_error(path, "truncated file");
    }
}

static void test_corrupt(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "corrupt.h5");
    /* Object headers and B-trees near the start of the file overwritten. */
    copy_prefix(PLUX "emg_bursts.h5", path, -1);
    overwrite(path, 96, 3000, 0xa5);
    expect_format_error(path, NULL);
    /* The superblock's root group address damaged. */
    copy_prefix(PLUX "emg_fatigue.h5", path, -1);
    overwrite(path, 8, 64, 0xff);
    expect_format_error(path, NULL);
    /* Deflated sample chunks of an emgkit file damaged: open works, reading fails. */
    char good[512];
    tmp_path(good, sizeof good, "roundtrip.h5");
    struct stat st;
    assert_int_equal(stat(good, &st), 0);
    copy_prefix(good, path, -1);
    overwrite(path, (long)st.st_size / 2, 2000, 0xa5);
    expect_format_error(path, "/recording/channels/");
}

static int hdf5_prints;
static herr_t count_prints(hid_t stack, void *data)
{
    (void)stack;
    (void)data;
    hdf5_prints++;
    return 0;
}

/* The library never prints HDF5's error stack, and leaves the caller's own
 * HDF5 error handler in place. */
static void test_error_handler_kept(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "truncated.h5");
    copy_prefix(PLUX "emg_bursts.h5", path, 5000);
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, count_prints, NULL);
    emg_error err;
    assert_int_equal(read_status(path, &err), EMG_ERR_FORMAT);
    assert_int_equal(hdf5_prints, 0);
    H5E_auto2_t now;
    void *now_data;
    H5Eget_auto2(H5E_DEFAULT, &now, &now_data);
    assert_true(now == count_prints);
    /* A failing call of the caller's own still reaches its handler. */
    assert_true(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
    assert_int_equal(hdf5_prints, 1);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
}

/* A valid HDF5 file with nothing emgkit reads: unsupported, not corrupt. */
static void test_foreign_hdf5(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "foreign.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    double v[3] = {1, 2, 3};
    hsize_t n = 3;
    H5Dclose(put_dataset(f, "values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, v));
    H5Fclose(f);
    emg_error err;
    assert_int_equal(read_status(path, &err), EMG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, path));
}

/* The feature table writer stores NaN (n/a) for infinities, as the TSV
 * tables write n/a. */
static void test_feature_table_non_finite(void **state)
{
    (void)state;
    char path[1100];
    tmp_path(path, sizeof path, "features-inf.h5");
    static const char *const columns[] = {"onset", "snr_db"};
    static const char *const names[] = {"EMG"};
    emg_table_h5 *t;
    emg_error err;
    assert_int_equal(emg_table_h5_open(&t, path, "features", 2, columns, names, 1, &err), 0);
    const double row[2] = {0.5, -INFINITY};
    assert_int_equal(emg_table_h5_append(t, row, &err), 0);
    assert_int_equal(emg_table_h5_close(t, &err), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/features/snr_db", H5P_DEFAULT);
    assert_true(f >= 0 && d >= 0);
    double v = 0;
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0);
    assert_true(isnan(v));
    H5Dclose(d);
    H5Fclose(f);
}

/* A channel dataset replaced by an external link into another file: the
 * samples would come from wherever the link points; refused unless allowed. */
static void test_external_link(void **state)
{
    (void)state;
    char a[1200], b[1200];
    tmp_path(a, sizeof a, "linked.h5");
    tmp_path(b, sizeof b, "target.h5");
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, EMGKIT_DATASETS "/plux_opensignals/emg_bursts.h5",
                                        NULL, &err), 0);
    assert_int_equal(emg_recording_save(&rec, a, EMG_FORMAT_HDF5, NULL, &err), 0);
    assert_int_equal(emg_recording_save(&rec, b, EMG_FORMAT_HDF5, NULL, &err), 0);
    emg_recording_free(&rec);
    hid_t f = H5Fopen(a, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "/recording/channels/0", H5P_DEFAULT) >= 0);
    assert_true(H5Lcreate_external(b, "/recording/channels/0", f, "/recording/channels/0",
                                   H5P_DEFAULT, H5P_DEFAULT) >= 0);
    H5Fclose(f);
    assert_int_equal(emg_recording_load(&rec, a, NULL, &err), EMG_ERR_FORMAT);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "external link"));
    emg_read_options opts = EMG_READ_OPTIONS_INIT;
    opts.allow_outside_paths = 1;
    int rc = emg_recording_load(&rec, a, &opts, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    emg_recording_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),       cmocka_unit_test(test_plux_fatigue),
        cmocka_unit_test(test_plux_bursts), cmocka_unit_test(test_plux_synthetic),
        cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_float32),
        cmocka_unit_test(test_nwb),         cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_external_link),
        cmocka_unit_test(test_corrupt),     cmocka_unit_test(test_foreign_hdf5),
        cmocka_unit_test(test_error_handler_kept),
        cmocka_unit_test(test_feature_table_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
