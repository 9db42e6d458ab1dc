/* pipe_throughput.c: how fast the pipe format (src/lib/pipe.c) encodes and
 * decodes, against memcpy of the same bytes (the memory-bandwidth ceiling).
 *   pipe_throughput FILE.emg     (a pipe stream; written to stdout again)
 * Decode: emg_reader over FILE (page cache), every block touched.  Encode:
 * the decoded recording, held in memory, written with emg_writer to stdout
 * (into a pipe: | wc -c) in blocks of 8192 samples per channel, as
 * emg-filter writes.  Prints MB/s of sample bytes (8 per sample), best of 5,
 * CPU time of this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "emgkit/io.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double decode(const char *path, double *sum)
{
    emg_error err;
    emg_reader *r;
    emg_read_options o = EMG_READ_OPTIONS_INIT;
    double t0 = cpu_now();
    if (emg_reader_open(&r, path, &o, &err) < 0)
        return fprintf(stderr, "%s\n", err.message), exit(1), 0;
    const emg_block *b;
    while (emg_reader_read(r, &b, &err) > 0)
        for (size_t i = 0; i < b->n_channels; i++)
            if (b->count[i])
                *sum += b->data[i][b->count[i] - 1];
    emg_reader_close(r);
    return cpu_now() - t0;
}

static double encode(const emg_recording *rec)
{
    emg_error err;
    emg_writer *w;
    emg_write_options o = EMG_WRITE_OPTIONS_INIT;
    size_t nc = rec->header.n_channels, n = (size_t)rec->header.channels[0].n_samples;
    emg_block b;
    memset(&b, 0, sizeof b);
    b.n_channels = nc;
    b.count = calloc(nc, sizeof *b.count);
    b.data = calloc(nc, sizeof *b.data);
    double t0 = cpu_now();
    if (emg_writer_open(&w, "-", EMG_FORMAT_PIPE, &rec->header, &o, &err) < 0)
        return fprintf(stderr, "%s\n", err.message), exit(1), 0;
    for (size_t at = 0; at < n; at += 8192) {
        for (size_t i = 0; i < nc; i++) {
            b.count[i] = n - at < 8192 ? n - at : 8192;
            b.data[i] = rec->data[i] + at;
        }
        emg_writer_write(w, &b, &err);
    }
    emg_writer_close(w, &err);
    double t = cpu_now() - t0;
    free(b.count);
    free(b.data);
    return t;
}

static double copy(char *dst, const char *src, size_t bytes)
{
    double t0 = cpu_now();
    for (size_t at = 0; at < bytes; at += 1 << 20)
        memcpy(dst + at, src + at, bytes - at < (1 << 20) ? bytes - at : (1 << 20));
    return cpu_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: pipe_throughput FILE.emg | wc -c\n"), 2;
    emg_error err;
    emg_recording rec;
    emg_read_options o = EMG_READ_OPTIONS_INIT;
    if (emg_recording_load(&rec, argv[1], &o, &err) < 0)
        return fprintf(stderr, "%s\n", err.message), 1;
    size_t bytes = 0;
    for (size_t i = 0; i < rec.header.n_channels; i++)
        bytes += 8 * (size_t)rec.header.channels[i].n_samples;
    char *a = malloc(bytes), *c = malloc(bytes);
    memset(a, 1, bytes);
    memset(c, 2, bytes);
    double best[3] = {1e9, 1e9, 1e9}, sum = 0;
    for (int k = 0; k < 5; k++) {
        double t[3] = {decode(argv[1], &sum), encode(&rec), copy(c, a, bytes)};
        for (int j = 0; j < 3; j++)
            best[j] = t[j] < best[j] ? t[j] : best[j];
    }
    double mb = (double)bytes / 1e6;
    fprintf(stderr, "%.0f MB of samples; MB/s (CPU time, best of 5): decode %.0f, encode %.0f, "
            "memcpy %.0f  (decode %.2fx, encode %.2fx memcpy time) [%g]\n", mb, mb / best[0],
            mb / best[1], mb / best[2], best[0] / best[2], best[1] / best[2], sum);
    emg_recording_free(&rec);
    free(a);
    free(c);
    return 0;
}
