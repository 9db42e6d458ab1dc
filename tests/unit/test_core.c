/* test_core.c: the recording model, the streaming reader/writer wrapper
 * (selection, time range, atomic output), the pipe format and the channel
 * store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "emgkit/emgkit.h"

static char tmpdir[1024];

static void path_in_tmp(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Two channels at 1000 Hz and 250 Hz, 3 s, value = channel * 1000 + sample index. */
static void make_header(emg_header *h)
{
    emg_header_init(h);
    emg_channel ch;
    emg_channel_init(&ch);
    snprintf(ch.name, sizeof ch.name, "EMG biceps");
    snprintf(ch.unit, sizeof ch.unit, "mV");
    ch.fs = 1000;
    ch.n_samples = 3000;
    ch.gain = 1000;
    ch.digital_min = -32768;
    ch.digital_max = 32767;
    assert_int_equal(emg_header_add_channel(h, &ch, NULL), 0);
    snprintf(ch.name, sizeof ch.name, "Force\twith tab");
    snprintf(ch.unit, sizeof ch.unit, "N");
    ch.fs = 250;
    ch.n_samples = 750;
    ch.gain = 0;
    assert_int_equal(emg_header_add_channel(h, &ch, NULL), 1);
    snprintf(h->start_time, sizeof h->start_time, "2024-02-29T23:59:58.5");
    assert_int_equal(emg_header_add_annotation(h, 1.25, 0.5, 0, "cramp\nonset", NULL), 0);
    assert_int_equal(emg_header_add_provenance(h, "emg-synth --seed 1", NULL), 0);
}

static double sample_value(size_t channel, size_t index)
{
    return (double)channel * 1000.0 + (double)index + 0.125;
}

static void write_test_stream(const char *path)
{
    emg_header h;
    make_header(&h);
    emg_writer *w;
    emg_error err;
    assert_int_equal(emg_writer_open(&w, path, EMG_FORMAT_AUTO, &h, NULL, &err), 0);
    emg_block b;
    emg_block_init(&b);
    assert_int_equal(emg_block_reserve(&b, 2, 1000, &err), 0);
    for (size_t second = 0; second < 3; second++) {
        for (size_t c = 0; c < 2; c++) {
            size_t n = (size_t)h.channels[c].fs;
            for (size_t k = 0; k < n; k++)
                b.data[c][k] = sample_value(c, second * n + k);
            b.count[c] = n;
        }
        if (second == 2)
            assert_int_equal(emg_block_add_annotation(&b, 2.5, 0, -1, "late", &err), 0);
        assert_int_equal(emg_writer_write(w, &b, &err), 0);
        emg_block_clear(&b);
    }
    assert_int_equal(emg_writer_close(w, &err), 0);
    emg_block_free(&b);
    emg_header_free(&h);
}

static void test_pipe_round_trip(void **state)
{
    (void)state;
    char path[1100];
    path_in_tmp(path, sizeof path, "round.emg");
    write_test_stream(path);
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, path, NULL, &err), 0);
    const emg_header *h = &rec.header;
    assert_int_equal(h->n_channels, 2);
    assert_string_equal(h->channels[1].name, "Force\twith tab");
    assert_string_equal(h->channels[0].unit, "mV");
    assert_true(h->channels[1].fs == 250);
    assert_true(h->channels[0].gain == 1000);
    assert_int_equal(h->channels[0].n_samples, 3000);
    assert_int_equal(h->channels[1].n_samples, 750);
    assert_string_equal(h->start_time, "2024-02-29T23:59:58.5");
    assert_int_equal(h->n_annotations, 2);
    assert_string_equal(h->annotations[0].text, "cramp\nonset");
    assert_string_equal(h->annotations[1].text, "late");
    assert_true(h->annotations[1].onset == 2.5);
    assert_int_equal(h->n_provenance, 1);
    for (size_t c = 0; c < 2; c++)
        for (int64_t k = 0; k < h->channels[c].n_samples; k++)
            assert_true(rec.data[c][k] == sample_value(c, (size_t)k));
    emg_recording_free(&rec);
}

/* cut: a copy of the pipe stream at path without its last 30 bytes (END! chunk). */
static void copy_without_end(const char *cut, const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    char *buf = malloc((size_t)st.st_size);
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, in), (size_t)st.st_size);
    fwrite(buf, 1, (size_t)st.st_size - 30, out);
    fclose(in);
    fclose(out);
    free(buf);
}

static void test_pipe_truncated_is_an_error(void **state)
{
    (void)state;
    char path[1100], cut[1100];
    path_in_tmp(path, sizeof path, "whole.emg");
    path_in_tmp(cut, sizeof cut, "cut.emg");
    write_test_stream(path);
    copy_without_end(cut, path);
    emg_recording rec;
    emg_error err;
    assert_int_equal(emg_recording_load(&rec, cut, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "cut.emg"));
    assert_non_null(strstr(err.message, "truncated"));
}

/* The channel store gives the same header, annotations and samples as a
 * whole load, reads any range, writes the recording back unchanged, and a
 * truncated input fails the same way. */
static void test_channel_store(void **state)
{
    (void)state;
    char path[1100], copy[1100], cut[1100];
    path_in_tmp(path, sizeof path, "store.emg");
    path_in_tmp(copy, sizeof copy, "store-copy.emg");
    write_test_stream(path);
    emg_reader *r;
    emg_error err;
    emg_channel_store *s;
    /* In memory; spilled to files before the first sample; spilled in the
     * middle of a block (channel 1 fits the budget, channel 2 does not). */
    static const size_t budgets[] = {1 << 20, 0, 3000 * sizeof(double)};
    for (int mode = 0; mode < 3; mode++) {
        assert_int_equal(emg_reader_open(&r, path, NULL, &err), 0);
        assert_int_equal(emg_channel_store_open(&s, r, budgets[mode], &err), 0);
        emg_reader_close(r);
        const emg_header *h = emg_channel_store_header(s);
        for (size_t c = 0; c < 2; c++) {
            const double *d = emg_channel_store_data(s, c);
            assert_non_null(d);
            assert_true(d[h->channels[c].n_samples - 1] ==
                        sample_value(c, (size_t)h->channels[c].n_samples - 1));
        }
        assert_int_equal(h->channels[0].n_samples, 3000);
        assert_int_equal(h->channels[1].n_samples, 750);
        assert_int_equal(h->n_annotations, 2);
        assert_string_equal(h->annotations[1].text, "late");
        double x[3000];
        for (size_t c = 0; c < 2; c++) {
            size_t n = (size_t)h->channels[c].n_samples;
            assert_int_equal(emg_channel_store_read(s, c, 0, n, x, &err), 0);
            for (size_t k = 0; k < n; k++)
                assert_true(x[k] == sample_value(c, k));
        }
        assert_int_equal(emg_channel_store_read(s, 1, 700, 50, x, &err), 0);
        assert_true(x[49] == sample_value(1, 749));
        assert_int_equal(emg_channel_store_read(s, 1, 700, 51, x, &err), EMG_ERR_ARG);
        assert_int_equal(emg_channel_store_save(s, h, copy, EMG_FORMAT_AUTO, NULL, &err), 0);
        emg_channel_store_close(s);
        emg_recording rec;
        assert_int_equal(emg_recording_load(&rec, copy, NULL, &err), 0);
        for (size_t c = 0; c < 2; c++)
            for (int64_t k = 0; k < rec.header.channels[c].n_samples; k++)
                assert_true(rec.data[c][k] == sample_value(c, (size_t)k));
        emg_recording_free(&rec);
    }

    /* The pipe stream without its END! chunk. */
    path_in_tmp(cut, sizeof cut, "store-cut.emg");
    copy_without_end(cut, path);
    assert_int_equal(emg_reader_open(&r, cut, NULL, &err), 0);
    assert_int_equal(emg_channel_store_open(&s, r, 0, &err), EMG_ERR_FORMAT);
    assert_null(s);
    assert_non_null(strstr(err.message, "truncated"));
    emg_reader_close(r);
}

static int start_ahead(emg_reader *r, int prefetch, emg_error *err)
{
    return prefetch ? emg_reader_prefetch_start(r, err) : emg_reader_read_ahead(r, err);
}

static void assert_same_block(const emg_block *a, const emg_block *b)
{
    assert_int_equal(a->n_channels, b->n_channels);
    for (size_t c = 0; c < a->n_channels; c++) {
        assert_int_equal(a->count[c], b->count[c]);
        assert_memory_equal(a->data[c], b->data[c], a->count[c] * sizeof(double));
    }
    assert_int_equal(a->n_annotations, b->n_annotations);
    for (size_t i = 0; i < a->n_annotations; i++)
        assert_string_equal(a->annotations[i].text, b->annotations[i].text);
}

/* Reading ahead, on a thread or by emg_reader_prefetch, gives the same blocks
 * (samples and annotations) in the same order; it must start before the
 * first read; the end and an error are reported as without it, and again on
 * later reads.  Prefetched once, twice or not at all, the next read gives
 * the next block, and the block held meanwhile keeps its samples (the
 * buffers are traded, not copied). */
static void check_read_ahead(int prefetch)
{
    char path[1100], cut[1100];
    path_in_tmp(path, sizeof path, "ahead.emg");
    write_test_stream(path);
    emg_reader *plain, *ahead;
    emg_error err;
    const emg_block *a, *b;
    assert_int_equal(emg_reader_open(&plain, path, NULL, &err), 0);
    assert_int_equal(emg_reader_open(&ahead, path, NULL, &err), 0);
    assert_int_equal(start_ahead(ahead, prefetch, &err), 0);
    int ra, rb;
    size_t blocks = 0;
    while ((ra = emg_reader_read(plain, &a, &err)) > 0) {
        assert_int_equal(rb = emg_reader_read(ahead, &b, &err), 1);
        assert_same_block(a, b);
        for (size_t k = 0; k < blocks % 3; k++)
            emg_reader_prefetch(ahead);
        assert_same_block(a, b);
        blocks++;
    }
    assert_int_equal(ra, 0);
    assert_true(blocks > 2);
    emg_reader_prefetch(ahead);
    assert_int_equal(emg_reader_read(ahead, &b, &err), 0);
    assert_int_equal(emg_reader_read(ahead, &b, &err), 0);
    assert_int_equal(start_ahead(plain, prefetch, &err), EMG_ERR_ARG);
    emg_reader_close(plain);
    emg_reader_close(ahead);

    /* Truncated: the error comes in turn, names the file, and stays. */
    path_in_tmp(cut, sizeof cut, "ahead-cut.emg");
    copy_without_end(cut, path);
    assert_int_equal(emg_reader_open(&ahead, cut, NULL, &err), 0);
    assert_int_equal(start_ahead(ahead, prefetch, &err), 0);
    while ((rb = emg_reader_read(ahead, &b, &err)) > 0)
        emg_reader_prefetch(ahead);
    assert_int_equal(rb, EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "truncated"));
    assert_int_equal(emg_reader_read(ahead, &b, &err), EMG_ERR_FORMAT);
    emg_reader_close(ahead);

    /* Closed before the end: the thread stops. */
    assert_int_equal(emg_reader_open(&ahead, path, NULL, &err), 0);
    assert_int_equal(start_ahead(ahead, prefetch, &err), 0);
    assert_int_equal(emg_reader_read(ahead, &b, &err), 1);
    emg_reader_prefetch(ahead);
    emg_reader_close(ahead);
}

static void test_read_ahead(void **state)
{
    (void)state;
    check_read_ahead(0);
}

static void test_prefetch(void **state)
{
    (void)state;
    check_read_ahead(1);
}

/* Channels of other modalities are told by a word of the name or transducer. */
static void test_other_modality(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"EEG Fpz-Cz", "an EEG channel"}, {"EOG horizontal", "an EOG channel"},
        {"Resp oro-nasal", "a respiration channel"}, {"ECG_II", "an ECG channel"},
        {"Temp rectal", "a temperature channel"}, {"EMG submental", NULL},
        {"temporalis", NULL}, {"EMG_temporalis", NULL}, {"biceps", NULL}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        emg_channel ch;
        emg_channel_init(&ch);
        snprintf(ch.name, sizeof ch.name, "%s", cases[k][0]);
        const char *got = emg_channel_other_modality(&ch);
        if (cases[k][1])
            assert_string_equal(got, cases[k][1]);
        else
            assert_null(got);
    }
}

/* Found by fuzzing: numbers that do not fit the header's integer fields, and an
 * annotation for a channel the stream does not have. */
static void test_pipe_header_out_of_range(void **state)
{
    (void)state;
    static const char *const headers[] = {
        "EMGPIPE1\nchannel\tEMG\tmV\t1000\t1e300\t0\t0\t0\t0\t\nend\n",
        "EMGPIPE1\nchannel\tEMG\tmV\t1000\t-1\t0\t0\t-9e99\t0\t\nend\n",
        "EMGPIPE1\nchannel\tEMG\tmV\tnan\t-1\t0\t0\t0\t0\t\nend\n",
        "EMGPIPE1\nchannel\tEMG\tmV\t1000\t-1\t0\t0\t0\t0\t\nannotation\t0\t1\t7\tx\nend\n",
    };
    char path[1100];
    path_in_tmp(path, sizeof path, "bad-header.emg");
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        FILE *f = fopen(path, "wb");
        fputs(headers[i], f);
        fclose(f);
        emg_reader *r;
        emg_error err;
        assert_int_equal(emg_reader_open(&r, path, NULL, &err), EMG_ERR_FORMAT);
        assert_non_null(strstr(err.message, "bad-header.emg"));
    }
}

static void test_selection_and_range(void **state)
{
    (void)state;
    char path[1100];
    path_in_tmp(path, sizeof path, "select.emg");
    write_test_stream(path);
    emg_reader *r;
    emg_error err;
    assert_int_equal(emg_reader_open(&r, path, NULL, &err), 0);
    int *idx;
    size_t n;
    assert_int_equal(emg_header_select(emg_reader_header(r), "force\twith tab,1", &idx, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 0);
    assert_int_equal(emg_reader_select(r, idx, n, &err), 0);
    free(idx);
    assert_int_equal(emg_reader_set_range(r, 0.5, 2.0, &err), 0);
    const emg_header *h = emg_reader_header(r);
    assert_int_equal(h->channels[0].n_samples, 375);
    assert_int_equal(h->channels[1].n_samples, 1500);
    assert_int_equal(h->n_annotations, 1); /* the cramp at 1.25 s, now at 0.75 s on channel 2 */
    assert_true(fabs(h->annotations[0].onset - 0.75) < 1e-12);
    assert_int_equal(h->annotations[0].channel, 1);
    emg_recording rec;
    assert_int_equal(emg_reader_read_all(r, &rec, &err), 0);
    assert_int_equal(rec.header.channels[0].n_samples, 375);
    assert_true(rec.data[0][0] == sample_value(1, 125));
    assert_true(rec.data[1][0] == sample_value(0, 500));
    assert_true(rec.data[1][1499] == sample_value(0, 1999));
    emg_recording_free(&rec);
    emg_reader_close(r);
}

static void test_bad_selection(void **state)
{
    (void)state;
    emg_header h;
    make_header(&h);
    int *idx;
    size_t n;
    emg_error err;
    assert_int_equal(emg_header_select(&h, "3", &idx, &n, &err), EMG_ERR_ARG);
    assert_int_equal(emg_header_select(&h, "nosuch", &idx, &n, &err), EMG_ERR_ARG);
    assert_non_null(strstr(err.message, "nosuch"));
    assert_int_equal(emg_header_select(&h, "1-2", &idx, &n, &err), 0);
    assert_int_equal(n, 2);
    free(idx);
    emg_header_free(&h);
}

static void test_writer_abort_leaves_nothing(void **state)
{
    (void)state;
    char path[1100];
    path_in_tmp(path, sizeof path, "aborted.emg");
    emg_header h;
    make_header(&h);
    emg_writer *w;
    emg_error err;
    assert_int_equal(emg_writer_open(&w, path, EMG_FORMAT_AUTO, &h, NULL, &err), 0);
    emg_writer_abort(w);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(emg_writer_open(&w, "/nonexistent-dir/x.emg", EMG_FORMAT_AUTO, &h, NULL,
                                     &err), EMG_ERR_OUTPUT);
    assert_int_equal(emg_writer_open(&w, "x.unknownext", EMG_FORMAT_AUTO, &h, NULL, &err),
                     EMG_ERR_ARG);
    emg_header_free(&h);
}

static void test_unrecognised_and_missing_files(void **state)
{
    (void)state;
    char path[1100];
    path_in_tmp(path, sizeof path, "garbage.bin");
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 300; i++)
        fputc(i * 7 % 256 ? i * 7 % 256 : 1, f);
    fclose(f);
    emg_reader *r;
    emg_error err;
    assert_int_equal(emg_reader_open(&r, path, NULL, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "garbage.bin"));
    assert_int_equal(emg_reader_open(&r, "/nonexistent/file.edf", NULL, &err), EMG_ERR_IO);
}

static void test_table_read(void **state)
{
    (void)state;
    char path[1100];
    path_in_tmp(path, sizeof path, "events.tsv");
    FILE *f = fopen(path, "w");
    fputs("onset\tduration\tchannel\tlabel\n1.5\t0.25\tEMG\tclonic\n3\tn/a\tEMG\tcramp\n", f);
    fclose(f);
    emg_table t;
    emg_error err;
    assert_int_equal(emg_table_read(&t, path, &err), 0);
    assert_int_equal(t.n_rows, 2);
    int label = emg_table_column(&t, "label");
    assert_string_equal(emg_table_cell(&t, 1, label), "cramp");
    assert_true(emg_table_num(&t, 0, 0) == 1.5);
    assert_true(isnan(emg_table_num(&t, 1, 1)));
    emg_table_free(&t);
    f = fopen(path, "w");
    fputs("onset\tduration\n1\t2\n3\n", f);
    fclose(f);
    assert_int_equal(emg_table_read(&t, path, &err), EMG_ERR_FORMAT);
    assert_non_null(strstr(err.message, "events.tsv:3"));
}

/* Write text to a table file in the test directory and read it back. */
static int read_table_text(emg_table *t, const char *text, emg_error *err)
{
    char path[1100];
    path_in_tmp(path, sizeof path, "lines.tsv");
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return emg_table_read(t, path, err);
}

/* Old Mac (CR), Windows (CRLF) and Unix (LF) endings, and a UTF-8 byte order
 * mark before the header, all read as the same two rows. */
static void test_table_line_endings(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "onset\tduration\tlabel\r1\t2\tcramp\r3\t4\ttonic\r",
        "onset\tduration\tlabel\r\n1\t2\tcramp\r\n3\t4\ttonic\r\n",
        "onset\tduration\tlabel\n1\t2\tcramp\n3\t4\ttonic",
        "\xef\xbb\xbfonset\tduration\tlabel\n1\t2\tcramp\n\n3\t4\ttonic\n",
    };
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        emg_table t;
        emg_error err;
        assert_int_equal(read_table_text(&t, texts[k], &err), 0);
        assert_int_equal(t.n_rows, 2);
        assert_int_equal(emg_table_column(&t, "onset"), 0);
        assert_string_equal(emg_table_cell(&t, 1, 2), "tonic");
        assert_int_equal(emg_table_line(&t, 1), k == 3 ? 4 : 3);
        emg_table_free(&t);
    }
}

/* The line named in an error counts blank lines and CR endings. */
static void test_table_event_span(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        int ok;
    } rows[] = {{"1.5\t0.5", 1}, {"1.5\tn/a", 1}, {"1.5\t-0.5", 0}, {"1.5\tinf", 0},
                {"nan\t1", 0},     {"-inf\t1", 0},   {"1\tabc", 0},   {"\t1", 0}};
    for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
        char text[128];
        snprintf(text, sizeof text, "onset\tduration\r\r%s\r", rows[k].row);
        emg_table t;
        emg_error err;
        assert_int_equal(read_table_text(&t, text, &err), 0);
        double on, du;
        int rc = emg_table_event_span(&t, 0, 0, 1, "ev.tsv", &on, &du, &err);
        assert_int_equal(rc, rows[k].ok ? 0 : EMG_ERR_FORMAT);
        if (!rows[k].ok)
            assert_non_null(strstr(err.message, "ev.tsv:3: "));
        emg_table_free(&t);
    }
}

/* The docs promise n/a for every undefined value: infinities too. */
static void test_tsv_num_non_finite(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    emg_tsv_num(f, INFINITY, 0);
    emg_tsv_num(f, -INFINITY, 0);
    emg_tsv_num(f, NAN, 0);
    emg_tsv_num(f, 2.5, 1);
    fclose(f);
    assert_string_equal(text, "n/a\tn/a\tn/a\t2.5\n");
    free(text);
}

static void test_time_parse(void **state)
{
    (void)state;
    int y, mo, d, h, mi;
    double s;
    assert_int_equal(emg_time_parse("2017-05-30T15:34:25.337", &y, &mo, &d, &h, &mi, &s), 0);
    assert_int_equal(y, 2017);
    assert_true(fabs(s - 25.337) < 1e-9);
    char out[40];
    emg_time_format(out, y, mo, d, h, mi, s);
    assert_string_equal(out, "2017-05-30T15:34:25.337000");
    assert_int_equal(emg_time_parse("30.05.17", &y, &mo, &d, &h, &mi, &s), EMG_ERR_ARG);
}

/* Every task of every round runs exactly once, whatever the number of
 * threads and tasks, rounds following each other back to back (a worker
 * late for one round must not run a task of the next with its function). */
typedef struct pool_tally {
    int *runs;     /* per task */
    int round;
} pool_tally;

static void count_task(void *ctx, size_t i)
{
    pool_tally *t = ctx;
    t->runs[i] += t->round;
}

static void test_pool_runs_every_task_once(void **state)
{
    (void)state;
    enum { MAX_TASKS = 37, ROUNDS = 300 };
    static const int threads[] = {0, 1, 2, 4};
    static const size_t tasks[] = {0, 1, 2, 5, MAX_TASKS};
    for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
        emg_pool *pool;
        emg_error err;
        assert_int_equal(emg_pool_create(&pool, threads[ti], &err), 0);
        assert_true(emg_pool_threads(pool) >= 1 && emg_pool_threads(pool) <= 4);
        for (size_t ni = 0; ni < sizeof tasks / sizeof *tasks; ni++) {
            int runs[MAX_TASKS] = {0};
            pool_tally t = {runs, 0};
            int expected = 0;
            for (int r = 1; r <= ROUNDS; r++) {
                t.round = r;
                expected += r;
                emg_pool_run(pool, tasks[ni], count_task, &t);
            }
            for (size_t i = 0; i < tasks[ni]; i++)
                assert_int_equal(runs[i], expected);
        }
        emg_pool_destroy(pool);
    }
    int runs[3] = {0};
    pool_tally t = {runs, 1};
    emg_pool_run(NULL, 3, count_task, &t); /* no pool: on the caller */
    assert_true(runs[0] == 1 && runs[1] == 1 && runs[2] == 1);
    emg_pool_destroy(NULL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/core", EMGKIT_TEST_TMP);
    mkdir(EMGKIT_TEST_TMP, 0777);
    mkdir(tmpdir, 0777);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_round_trip),
        cmocka_unit_test(test_pipe_truncated_is_an_error),
        cmocka_unit_test(test_pipe_header_out_of_range),
        cmocka_unit_test(test_selection_and_range),
        cmocka_unit_test(test_bad_selection),
        cmocka_unit_test(test_writer_abort_leaves_nothing),
        cmocka_unit_test(test_unrecognised_and_missing_files),
        cmocka_unit_test(test_table_read),
        cmocka_unit_test(test_table_line_endings),
        cmocka_unit_test(test_table_event_span),
        cmocka_unit_test(test_tsv_num_non_finite),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_channel_store),
        cmocka_unit_test(test_read_ahead),
        cmocka_unit_test(test_prefetch),
        cmocka_unit_test(test_other_modality),
        cmocka_unit_test(test_pool_runs_every_task_once),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
