/* pipe.c: the emgkit pipe format, the stream that flows between tools.
 *
 * Specified in docs/pipe-format.md.  In short: the magic line "EMGPIPE1",
 * a text header of tab-separated "key value..." lines closed by "end", then
 * binary chunks (4-byte tag, little-endian uint32 payload length, payload):
 * DATA blocks of float64 samples, ANNO annotations, and one END! chunk with
 * the total sample count per channel, so a truncated stream is detected.
 * Like SoX's self-describing pipe format, it lets a tool start writing
 * before it has read all of its input. */
#define _GNU_SOURCE 1 /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "io_internal.h"

#define PIPE_MAGIC "EMGPIPE1\n"
#define PIPE_MAGIC_LEN 9
#define PIPE_LINE_MAX (1 << 20)
#define PIPE_CHUNK_MAX (1u << 30)

/* ------------------------------------------------------------ byte order */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void swap_bytes(void *p, size_t size, size_t n)
{
    unsigned char *b = p;
    for (size_t k = 0; k < n; k++, b += size)
        for (size_t i = 0; i < size / 2; i++) {
            unsigned char t = b[i];
            b[i] = b[size - 1 - i];
            b[size - 1 - i] = t;
        }
}

static void to_little_endian(void *p, size_t size, size_t n)
{
    if (!host_is_little_endian())
        swap_bytes(p, size, n);
}

/* ------------------------------------------------------------ text escapes */

static void write_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Undo write_escaped in place. */
static void unescape(char *s)
{
    char *out = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *out++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* ------------------------------------------------------------ writer */

typedef struct pipe_writer {
    FILE *f;
    int owns_file;
    char path[4096];
    size_t n_channels;
    uint64_t *totals;
    unsigned char *scratch; /* byte-swapped copy on big-endian hosts */
    size_t scratch_size;
} pipe_writer;

static void write_header(FILE *f, const emg_header *h)
{
    fputs(PIPE_MAGIC, f);
    fputs("start_time\t", f);
    write_escaped(f, h->start_time);
    fputs("\nsubject\t", f);
    write_escaped(f, h->subject);
    fputs("\nrecording\t", f);
    write_escaped(f, h->recording);
    fputc('\n', f);
    for (size_t i = 0; i < h->n_channels; i++) {
        const emg_channel *c = &h->channels[i];
        fputs("channel\t", f);
        write_escaped(f, c->name);
        fputc('\t', f);
        write_escaped(f, c->unit);
        fprintf(f, "\t%.17g\t%lld\t%.17g\t%.17g\t%ld\t%ld\t", c->fs, (long long)c->n_samples,
                c->gain, c->baseline, (long)c->digital_min, (long)c->digital_max);
        write_escaped(f, c->transducer);
        fputc('\n', f);
    }
    for (size_t i = 0; i < h->n_annotations; i++) {
        const emg_annotation *a = &h->annotations[i];
        fprintf(f, "annotation\t%.17g\t%.17g\t%d\t", a->onset, a->duration, a->channel);
        write_escaped(f, a->text);
        fputc('\n', f);
    }
    for (size_t i = 0; i < h->n_provenance; i++) {
        fputs("provenance\t", f);
        write_escaped(f, h->provenance[i]);
        fputc('\n', f);
    }
    fputs("end\n", f);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int write_chunk_head(pipe_writer *pw, const char tag[4], uint32_t len)
{
    unsigned char head[8];
    memcpy(head, tag, 4);
    put_u32(head + 4, len);
    return fwrite(head, 1, 8, pw->f) == 8;
}

static int write_doubles(pipe_writer *pw, const double *x, size_t n, emg_error *err)
{
    if (host_is_little_endian())
        return fwrite(x, sizeof *x, n, pw->f) == n;
    size_t bytes = n * sizeof *x;
    if (bytes > pw->scratch_size) {
        unsigned char *s = emgi_xrealloc(pw->scratch, bytes, 1, err);
        if (!s)
            return 0;
        pw->scratch = s;
        pw->scratch_size = bytes;
    }
    memcpy(pw->scratch, x, bytes);
    swap_bytes(pw->scratch, sizeof *x, n);
    return fwrite(pw->scratch, 1, bytes, pw->f) == bytes;
}

static int pipe_write_annotation(pipe_writer *pw, const emg_annotation *a)
{
    size_t text_len = strlen(a->text);
    unsigned char fixed[20];
    double od[2] = {a->onset, a->duration};
    int32_t channel = a->channel;
    memcpy(fixed, od, 16);
    memcpy(fixed + 16, &channel, 4);
    to_little_endian(fixed, 8, 2);
    to_little_endian(fixed + 16, 4, 1);
    return write_chunk_head(pw, "ANNO", (uint32_t)(20 + text_len)) &&
           fwrite(fixed, 1, 20, pw->f) == 20 && fwrite(a->text, 1, text_len, pw->f) == text_len;
}

/* A pipe between two tools holds 64 KB by default, so the producer stops and
 * wakes the consumer every 64 KB (for a 16-channel recording, every 256
 * samples per channel).  A 1 MB pipe lets both run in longer stretches.  Only
 * an attempt: F_SETPIPE_SZ is Linux's, and a limit (pipe-max-size) may refuse. */
static void widen_pipe(FILE *f)
{
#ifdef F_SETPIPE_SZ
    struct stat st;
    int fd = fileno(f);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
        (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
    (void)f;
#endif
}

static int pipe_writer_open(void **state, struct emg_writer *w, const char *tmp_path,
                            const char *final_path, emg_format format, const emg_header *hdr,
                            const emg_write_options *opts, emg_error *err)
{
    pipe_writer *pw = emgi_xcalloc(1, sizeof *pw, err);
    if (!pw)
        return EMG_ERR_NOMEM;
    *state = pw;
    emgi_strlcpy(pw->path, final_path, sizeof pw->path);
    pw->n_channels = hdr->n_channels;
    if (!(pw->totals = emgi_xcalloc(hdr->n_channels, sizeof *pw->totals, err)))
        return EMG_ERR_NOMEM;
    if (!strcmp(tmp_path, "-")) {
        pw->f = stdout;
        widen_pipe(stdout);
    } else {
        pw->f = fopen(tmp_path, "wb");
        if (!pw->f)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", final_path, strerror(errno));
        pw->owns_file = 1;
    }
    write_header(pw->f, hdr);
    if (ferror(pw->f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error", final_path);
    return EMG_OK;
}

static int pipe_writer_write(void *state, const emg_block *b, emg_error *err)
{
    pipe_writer *pw = state;
    if (b->n_channels != pw->n_channels)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, stream has %zu",
                             pw->path, b->n_channels, pw->n_channels);
    int ok = 1;
    for (size_t k = 0; k < b->n_annotations && ok; k++)
        ok = pipe_write_annotation(pw, &b->annotations[k]);
    uint64_t bytes = 4 + 4 * (uint64_t)b->n_channels;
    size_t samples = 0;
    for (size_t i = 0; i < b->n_channels; i++)
        samples += b->count[i];
    bytes += 8 * (uint64_t)samples;
    if (bytes > PIPE_CHUNK_MAX)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block too large for one chunk", pw->path);
    if (samples) {
        ok = ok && write_chunk_head(pw, "DATA", (uint32_t)bytes);
        unsigned char n[4];
        put_u32(n, (uint32_t)b->n_channels);
        ok = ok && fwrite(n, 1, 4, pw->f) == 4;
        for (size_t i = 0; i < b->n_channels && ok; i++) {
            put_u32(n, (uint32_t)b->count[i]);
            ok = fwrite(n, 1, 4, pw->f) == 4;
        }
        for (size_t i = 0; i < b->n_channels && ok; i++) {
            ok = !b->count[i] || write_doubles(pw, b->data[i], b->count[i], err);
            pw->totals[i] += b->count[i];
        }
    }
    if (!ok || ferror(pw->f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", pw->path,
                             errno ? strerror(errno) : "short write");
    return EMG_OK;
}

static int pipe_writer_finish(void *state, emg_error *err)
{
    pipe_writer *pw = state;
    int ok = write_chunk_head(pw, "END!", (uint32_t)(8 * pw->n_channels));
    uint64_t *totals = pw->totals;
    to_little_endian(totals, 8, pw->n_channels);
    ok = ok && fwrite(totals, 8, pw->n_channels, pw->f) == pw->n_channels;
    ok = (fflush(pw->f) == 0) && ok && !ferror(pw->f);
    if (pw->owns_file) {
        ok = (fclose(pw->f) == 0) && ok;
        pw->f = NULL;
    }
    return ok ? EMG_OK : emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error", pw->path);
}

static void pipe_writer_destroy(void *state)
{
    pipe_writer *pw = state;
    if (!pw)
        return;
    if (pw->owns_file && pw->f)
        fclose(pw->f);
    free(pw->totals);
    free(pw->scratch);
    free(pw);
}

const emg_format_writer emgi_pipe_writer = {
    "pipe", 1, pipe_writer_open, pipe_writer_write, pipe_writer_finish, pipe_writer_destroy,
};

/* ------------------------------------------------------------ reader */

typedef struct pipe_reader {
    FILE *f;
    int owns_file;
    const unsigned char *prefix; /* bytes already taken from stdin while probing */
    size_t prefix_len, prefix_pos;
    unsigned char *prefix_copy;
    char path[4096];
    size_t n_channels;
    uint64_t *totals;
    double *fs;           /* per channel, from the header */
    unsigned char *done;  /* per channel: fell behind the others, so it has ended */
    int ended;
    unsigned char *chunk;
    size_t chunk_size;
} pipe_reader;

static size_t pipe_read_bytes(pipe_reader *pr, void *dst, size_t n)
{
    unsigned char *out = dst;
    size_t got = 0;
    if (pr->prefix_pos < pr->prefix_len) {
        size_t take = pr->prefix_len - pr->prefix_pos;
        take = take < n ? take : n;
        memcpy(out, pr->prefix + pr->prefix_pos, take);
        pr->prefix_pos += take;
        got = take;
    }
    if (got < n)
        got += fread(out + got, 1, n - got, pr->f);
    return got;
}

/* One header line without its newline; 0 on success. */
static int read_line(pipe_reader *pr, char *line, size_t cap, emg_error *err)
{
    size_t n = 0;
    for (;;) {
        unsigned char c;
        if (pipe_read_bytes(pr, &c, 1) != 1)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe stream ends inside its header",
                                 pr->path);
        if (c == '\n')
            break;
        if (n + 1 >= cap)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe header line too long", pr->path);
        line[n++] = (char)c;
    }
    line[n] = '\0';
    return EMG_OK;
}

/* Split a header line at tabs into at most max fields (unescaped). */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    for (size_t i = 0; i < n; i++)
        unescape(fields[i]);
    return n;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *s && !*end && !errno;
}

/* A whole number within [lo, hi] (casting an out-of-range double is undefined). */
static int parse_integer(const char *s, double lo, double hi, double *out)
{
    return parse_number(s, out) && *out == floor(*out) && *out >= lo && *out <= hi;
}

static int parse_channel_line(pipe_reader *pr, char **f, size_t n, emg_header *h,
                              emg_error *err)
{
    emg_channel ch;
    emg_channel_init(&ch);
    double v[6];
    if (n != 10)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe channel line has %zu fields, not 10",
                             pr->path, n);
    for (int k = 0; k < 6; k++) {
        int ok = k == 1   ? parse_integer(f[3 + k], -1, 9007199254740992.0, &v[k])
                 : k >= 4 ? parse_integer(f[3 + k], INT32_MIN, INT32_MAX, &v[k])
                          : parse_number(f[3 + k], &v[k]) && isfinite(v[k]);
        if (!ok)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: bad number '%s' in pipe channel line",
                                 pr->path, f[3 + k]);
    }
    emgi_strlcpy(ch.name, f[1], sizeof ch.name);
    emgi_strlcpy(ch.unit, f[2], sizeof ch.unit);
    ch.fs = v[0];
    ch.n_samples = (int64_t)v[1];
    ch.gain = v[2];
    ch.baseline = v[3];
    ch.digital_min = (int32_t)v[4];
    ch.digital_max = (int32_t)v[5];
    emgi_strlcpy(ch.transducer, f[9], sizeof ch.transducer);
    int rc = emg_header_add_channel(h, &ch, err);
    return rc < 0 ? rc : EMG_OK;
}

static int parse_header_line(pipe_reader *pr, char *line, emg_header *h, emg_error *err)
{
    char *f[12];
    size_t n = split_fields(line, f, 12);
    if (!strcmp(f[0], "channel"))
        return parse_channel_line(pr, f, n, h, err);
    if (!strcmp(f[0], "annotation") && n == 5) {
        double onset, duration, channel;
        if (!parse_number(f[1], &onset) || !parse_number(f[2], &duration) ||
            !parse_integer(f[3], -1, INT32_MAX, &channel))
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: bad pipe annotation line", pr->path);
        return emg_header_add_annotation(h, onset, duration, (int)channel, f[4], err);
    }
    if (n == 2 && !strcmp(f[0], "provenance"))
        return emg_header_add_provenance(h, f[1], err);
    if (n == 2 && !strcmp(f[0], "start_time"))
        emgi_strlcpy(h->start_time, f[1], sizeof h->start_time);
    else if (n == 2 && !strcmp(f[0], "subject"))
        emgi_strlcpy(h->subject, f[1], sizeof h->subject);
    else if (n == 2 && !strcmp(f[0], "recording"))
        emgi_strlcpy(h->recording, f[1], sizeof h->recording);
    /* Unknown keys are skipped: later versions may add lines (docs/pipe-format.md). */
    return EMG_OK;
}

static int pipe_read_header(pipe_reader *pr, emg_header *h, emg_error *err)
{
    char magic[PIPE_MAGIC_LEN];
    if (pipe_read_bytes(pr, magic, PIPE_MAGIC_LEN) != PIPE_MAGIC_LEN ||
        memcmp(magic, PIPE_MAGIC, PIPE_MAGIC_LEN))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: not an emgkit pipe stream", pr->path);
    char *line = emgi_xcalloc(PIPE_LINE_MAX, 1, err);
    if (!line)
        return EMG_ERR_NOMEM;
    int rc;
    while ((rc = read_line(pr, line, PIPE_LINE_MAX, err)) == EMG_OK && strcmp(line, "end"))
        if ((rc = parse_header_line(pr, line, h, err)) < 0)
            break;
    free(line);
    if (rc < 0)
        return rc;
    pr->n_channels = h->n_channels;
    pr->totals = emgi_xcalloc(h->n_channels + 1, sizeof *pr->totals, err);
    pr->fs = emgi_xcalloc(h->n_channels + 1, sizeof *pr->fs, err);
    pr->done = emgi_xcalloc(h->n_channels + 1, sizeof *pr->done, err);
    if (!pr->totals || !pr->fs || !pr->done)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < h->n_channels; i++)
        pr->fs[i] = h->channels[i].fs;
    return EMG_OK;
}

static int pipe_probe(const unsigned char *head, size_t len, const char *path)
{
    return len >= PIPE_MAGIC_LEN && !memcmp(head, PIPE_MAGIC, PIPE_MAGIC_LEN) ? 100 : 0;
}

static int pipe_reader_create(pipe_reader **out, const char *path, emg_error *err)
{
    pipe_reader *pr = emgi_xcalloc(1, sizeof *pr, err);
    if (!pr)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(pr->path, path, sizeof pr->path);
    *out = pr;
    return EMG_OK;
}

static void pipe_reader_close(void *state);

static int pipe_reader_open(void **state, const char *path, const emg_read_options *opts,
                            emg_header *hdr, emg_format *detected, emg_error *err)
{
    pipe_reader *pr;
    int rc = pipe_reader_create(&pr, path, err);
    if (rc < 0)
        return rc;
    pr->f = fopen(path, "rb");
    if (!pr->f) {
        rc = emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
        pipe_reader_close(pr);
        return rc;
    }
    pr->owns_file = 1;
    *detected = EMG_FORMAT_PIPE;
    if ((rc = pipe_read_header(pr, hdr, err)) < 0) {
        pipe_reader_close(pr);
        return rc;
    }
    *state = pr;
    return EMG_OK;
}

int emgi_pipe_open_stdin(void **state, const unsigned char *prefix, size_t prefix_len,
                         emg_header *hdr, emg_error *err)
{
    pipe_reader *pr;
    int rc = pipe_reader_create(&pr, "-", err);
    if (rc < 0)
        return rc;
    pr->f = stdin;
    pr->prefix_copy = emgi_xcalloc(prefix_len, 1, err);
    if (!pr->prefix_copy) {
        pipe_reader_close(pr);
        return EMG_ERR_NOMEM;
    }
    memcpy(pr->prefix_copy, prefix, prefix_len);
    pr->prefix = pr->prefix_copy;
    pr->prefix_len = prefix_len;
    if ((rc = pipe_read_header(pr, hdr, err)) < 0) {
        pipe_reader_close(pr);
        return rc;
    }
    *state = pr;
    return EMG_OK;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_chunk_payload(pipe_reader *pr, uint32_t len, emg_error *err)
{
    if (len > PIPE_CHUNK_MAX)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe chunk of %u bytes is too large",
                             pr->path, len);
    if (len > pr->chunk_size) {
        unsigned char *c = emgi_xrealloc(pr->chunk, len, 1, err);
        if (!c)
            return EMG_ERR_NOMEM;
        pr->chunk = c;
        pr->chunk_size = len;
    }
    if (pipe_read_bytes(pr, pr->chunk, len) != len)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe stream truncated inside a chunk",
                             pr->path);
    return EMG_OK;
}

/* A DATA block covers the same span of time on every channel: after each
 * block, every channel's samples reach as far in time as the others', within
 * the rounding of a block boundary (two samples of each channel).  A channel
 * that falls further behind has ended (channels may differ in length) and
 * must get no more samples; one that gets them was given counts out of
 * proportion to its rate, and its samples would be misplaced in time. */
static int check_block_times(pipe_reader *pr, const emg_block *b, emg_error *err)
{
    double furthest = -INFINITY;
    for (size_t i = 0; i < pr->n_channels; i++) {
        if (!(pr->fs[i] > 0))
            return EMG_OK; /* the header check (io.c) rejects the stream */
        if (b->count[i] > 0 && pr->done[i])
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: pipe DATA blocks out of proportion to the channel rates "
                                 "(channel %zu fell behind, then went on)",
                                 pr->path, i + 1);
        furthest = fmax(furthest, (double)pr->totals[i] / pr->fs[i] - 2 / pr->fs[i]);
    }
    for (size_t i = 0; i < pr->n_channels; i++) {
        double reached = (double)pr->totals[i] / pr->fs[i] + 2 / pr->fs[i];
        if (reached < furthest * (1 - 1e-12))
            pr->done[i] = 1;
    }
    return EMG_OK;
}

static int decode_data(pipe_reader *pr, uint32_t len, emg_block *b, emg_error *err)
{
    size_t n = pr->n_channels;
    if (len < 4 + 4 * n || get_u32(pr->chunk) != n)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe DATA chunk for the wrong channels",
                             pr->path);
    uint64_t samples = 0;
    for (size_t i = 0; i < n; i++)
        samples += get_u32(pr->chunk + 4 + 4 * i);
    if (4 + 4 * (uint64_t)n + 8 * samples != len)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe DATA chunk size inconsistent",
                             pr->path);
    int rc = emg_block_reserve(b, n, 0, err);
    const unsigned char *p = pr->chunk + 4 + 4 * n;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        size_t count = get_u32(pr->chunk + 4 + 4 * i);
        if ((rc = emg_block_reserve_channel(b, i, count, err)) < 0)
            break;
        if (count > 0) { /* an empty channel may have no buffer */
            memcpy(b->data[i], p, count * 8);
            to_little_endian(b->data[i], 8, count);
        }
        b->count[i] = count;
        pr->totals[i] += count;
        p += count * 8;
    }
    return rc < 0 ? rc : check_block_times(pr, b, err);
}

static int decode_annotation(pipe_reader *pr, uint32_t len, emg_block *b, emg_error *err)
{
    if (len < 20)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe ANNO chunk too short", pr->path);
    double od[2];
    int32_t channel;
    memcpy(od, pr->chunk, 16);
    memcpy(&channel, pr->chunk + 16, 4);
    to_little_endian(od, 8, 2);
    to_little_endian(&channel, 4, 1);
    char *text = emgi_xcalloc(len - 20 + 1, 1, err);
    if (!text)
        return EMG_ERR_NOMEM;
    memcpy(text, pr->chunk + 20, len - 20);
    if (b->n_channels != pr->n_channels)
        emg_block_reserve(b, pr->n_channels, 0, err);
    int rc = emg_block_add_annotation(b, od[0], od[1], channel, text, err);
    free(text);
    return rc;
}

static int check_end(pipe_reader *pr, uint32_t len, emg_error *err)
{
    if (len != 8 * pr->n_channels)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: pipe END! chunk has the wrong size",
                             pr->path);
    for (size_t i = 0; i < pr->n_channels; i++) {
        uint64_t declared;
        memcpy(&declared, pr->chunk + 8 * i, 8);
        to_little_endian(&declared, 8, 1);
        if (declared != pr->totals[i])
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: pipe stream lost data: channel %zu ended with %llu of %llu "
                                 "samples", pr->path, i + 1, (unsigned long long)pr->totals[i],
                                 (unsigned long long)declared);
    }
    /* One stream holds one recording: a second one (cat a.emg b.emg) or any
     * other bytes after the end marker would otherwise be ignored. */
    unsigned char extra;
    if (pipe_read_bytes(pr, &extra, 1) == 1)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: data after the end marker of the pipe stream (a stream holds "
                             "one recording)", pr->path);
    pr->ended = 1;
    return EMG_OK;
}

static int pipe_reader_read(void *state, emg_block *b, emg_error *err)
{
    pipe_reader *pr = state;
    while (!pr->ended) {
        unsigned char head[8];
        size_t got = pipe_read_bytes(pr, head, 8);
        if (got != 8)
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: pipe stream truncated (no end marker; the producer may "
                                 "have failed)", pr->path);
        uint32_t len = get_u32(head + 4);
        int rc = read_chunk_payload(pr, len, err);
        if (rc < 0)
            return rc;
        if (!memcmp(head, "DATA", 4)) {
            rc = decode_data(pr, len, b, err);
            return rc < 0 ? rc : 1;
        }
        if (!memcmp(head, "ANNO", 4)) {
            rc = decode_annotation(pr, len, b, err);
            if (rc < 0)
                return rc;
            if (b->n_annotations >= 64)
                return 1;
            continue;
        }
        if (!memcmp(head, "END!", 4)) {
            if ((rc = check_end(pr, len, err)) < 0)
                return rc;
            return b->n_annotations ? 1 : 0;
        }
        /* Unknown chunk types are skipped (forward compatibility). */
    }
    return 0;
}

static void pipe_reader_close(void *state)
{
    pipe_reader *pr = state;
    if (!pr)
        return;
    if (pr->owns_file && pr->f)
        fclose(pr->f);
    free(pr->totals);
    free(pr->fs);
    free(pr->done);
    free(pr->chunk);
    free(pr->prefix_copy);
    free(pr);
}

const emg_format_reader emgi_pipe_reader = {
    "pipe", pipe_probe, pipe_reader_open, pipe_reader_read, pipe_reader_close,
};
