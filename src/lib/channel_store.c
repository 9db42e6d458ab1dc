/* channel_store.c: a recording held channel by channel (include/emgkit/io.h)
 * for work that needs whole channels one at a time.
 *
 * The reader is drained once, block by block.  Channels are kept in memory
 * (one array each, sized by the declared length) while the recording fits
 * the memory budget; past it, every channel spills to an unlinked temporary
 * file of its own and the rest is appended there through a small buffer,
 * so that memory no longer grows with the recording.  Samples are stored as
 * doubles, bit for bit, either way; file reads are pread() ranges.  The
 * header is the reader's with the delivered lengths and the block
 * annotations, as emg_reader_read_all() gives them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "io_internal.h"

#define STORE_BUFFER 8192 /* samples buffered per channel before a write (file mode) */

typedef struct store_channel {
    double *mem;      /* memory mode: the samples; file mode: the write buffer */
    size_t cap;       /* memory mode: capacity of mem, in samples */
    size_t pending;   /* file mode: samples waiting in mem */
    int64_t declared; /* length the reader's header declares (<= 0: unknown) */
    int fd;           /* file mode: the spool; -1 in memory mode */
} store_channel;

struct emg_channel_store {
    char *input;   /* the reader's path, for messages */
    emg_header header;
    size_t n;
    store_channel *ch;
    size_t budget; /* bytes of samples held in memory at most */
    size_t held;   /* bytes allocated for samples in memory mode */
    int in_files;
    void *map;     /* file mode: the channel mapped by emg_channel_store_data */
    size_t map_bytes;
};

static const char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

static int write_all(const emg_channel_store *s, int fd, const double *x, size_t count,
                     emg_error *err)
{
    const char *p = (const char *)x;
    size_t left = count * sizeof *x;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return emg_error_set(err, EMG_ERR_OUTPUT,
                                 "%s: cannot hold the channels in a temporary file in %s: %s",
                                 s->input, temp_dir(), w < 0 ? strerror(errno) : "disk full");
        p += w;
        left -= (size_t)w;
    }
    return EMG_OK;
}

/* Memory mode to file mode: each channel's samples so far go to its file. */
static int spill(emg_channel_store *s, emg_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        store_channel *c = &s->ch[i];
        char path[4096];
        if ((c->fd = emgi_temp_file(path, sizeof path, "emgkit-channel", err)) < 0) {
            char message[EMG_ERROR_MESSAGE_MAX];
            snprintf(message, sizeof message, "%s: %.400s", s->input, err ? err->message : "");
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s", message);
        }
        emg_temp_discard(path); /* gone when closed, whatever happens to the process */
        int rc = write_all(s, c->fd, c->mem, (size_t)s->header.channels[i].n_samples, err);
        free(c->mem);
        c->mem = NULL;
        c->cap = 0;
        if (rc < 0)
            return rc;
        if (!(c->mem = emgi_xcalloc(STORE_BUFFER, sizeof *c->mem, err)))
            return EMG_ERR_NOMEM;
    }
    s->in_files = 1;
    s->held = 0;
    return EMG_OK;
}

/* 1 when the samples would take the memory over budget (nothing done). */
static int append_in_memory(emg_channel_store *s, size_t i, const double *x, size_t count,
                            emg_error *err)
{
    store_channel *c = &s->ch[i];
    size_t have = (size_t)s->header.channels[i].n_samples, need = have + count;
    if (need > c->cap) {
        size_t grow = c->cap ? 2 * c->cap : emgi_first_capacity(c->declared, need);
        while (grow < need)
            grow *= 2;
        size_t more = (grow - c->cap) * sizeof *c->mem;
        if (s->held + more > s->budget)
            return 1;
        double *g = emgi_xrealloc(c->mem, grow, sizeof *g, err);
        if (!g)
            return EMG_ERR_NOMEM;
        s->held += more;
        c->mem = g;
        c->cap = grow;
    }
    memcpy(c->mem + have, x, count * sizeof *x);
    return EMG_OK;
}

static int append_to_file(const emg_channel_store *s, store_channel *c, const double *x,
                          size_t count, emg_error *err)
{
    while (count > 0) {
        size_t take = STORE_BUFFER - c->pending < count ? STORE_BUFFER - c->pending : count;
        memcpy(c->mem + c->pending, x, take * sizeof *x);
        c->pending += take;
        x += take;
        count -= take;
        if (c->pending == STORE_BUFFER) {
            int rc = write_all(s, c->fd, c->mem, c->pending, err);
            if (rc < 0)
                return rc;
            c->pending = 0;
        }
    }
    return EMG_OK;
}

static int append(emg_channel_store *s, size_t i, const double *x, size_t count,
                  emg_error *err)
{
    int rc = s->in_files ? 0 : append_in_memory(s, i, x, count, err);
    if (rc == 1)
        rc = spill(s, err);
    if (rc >= 0 && s->in_files)
        rc = append_to_file(s, &s->ch[i], x, count, err);
    if (rc >= 0)
        s->header.channels[i].n_samples += (int64_t)count;
    return rc;
}

static int drain(emg_channel_store *s, emg_reader *r, emg_error *err)
{
    const emg_block *b;
    int rc;
    while ((rc = emg_reader_read(r, &b, err)) > 0) {
        for (size_t i = 0; rc >= 0 && i < b->n_channels; i++)
            rc = append(s, i, b->data[i], b->count[i], err);
        for (size_t k = 0; rc >= 0 && k < b->n_annotations; k++) {
            const emg_annotation *a = &b->annotations[k];
            rc = emg_header_add_annotation(&s->header, a->onset, a->duration, a->channel,
                                           a->text, err);
        }
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; rc >= 0 && s->in_files && i < s->n; i++) {
        store_channel *c = &s->ch[i];
        rc = write_all(s, c->fd, c->mem, c->pending, err);
        free(c->mem);
        c->mem = NULL;
        c->pending = 0;
    }
    return rc;
}

int emg_channel_store_open(emg_channel_store **out, emg_reader *r, size_t memory_budget,
                           emg_error *err)
{
    *out = NULL;
    emg_channel_store *s = emgi_xcalloc(1, sizeof *s, err);
    if (!s)
        return EMG_ERR_NOMEM;
    emg_header_init(&s->header);
    s->budget = memory_budget;
    int rc = (s->input = emgi_xstrdup(emgi_reader_path(r), err)) ? EMG_OK : EMG_ERR_NOMEM;
    if (rc >= 0)
        rc = emg_header_copy(&s->header, emg_reader_header(r), err);
    s->n = s->header.n_channels;
    if (rc >= 0 && !(s->ch = emgi_xcalloc(s->n + 1, sizeof *s->ch, err)))
        rc = EMG_ERR_NOMEM;
    for (size_t i = 0; rc >= 0 && i < s->n; i++) {
        s->ch[i].fd = -1;
        s->ch[i].declared = s->header.channels[i].n_samples;
        s->header.channels[i].n_samples = 0;
    }
    if (rc >= 0)
        rc = drain(s, r, err);
    if (rc < 0) {
        emg_channel_store_close(s);
        return rc;
    }
    *out = s;
    return EMG_OK;
}

const emg_header *emg_channel_store_header(const emg_channel_store *s)
{
    return &s->header;
}

static void unmap(emg_channel_store *s)
{
    if (s->map)
        munmap(s->map, s->map_bytes);
    s->map = NULL;
    s->map_bytes = 0;
}

const double *emg_channel_store_data(emg_channel_store *s, size_t channel)
{
    if (channel >= s->n)
        return NULL;
    if (!s->in_files)
        return s->ch[channel].mem;
    /* A spooled channel is mapped, not copied: its pages come straight from
     * the page cache. */
    unmap(s);
    size_t bytes = (size_t)s->header.channels[channel].n_samples * sizeof(double);
    if (bytes == 0)
        return NULL;
    void *m = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->ch[channel].fd, 0);
    if (m == MAP_FAILED)
        return NULL;
    s->map = m;
    s->map_bytes = bytes;
    return m;
}

int emg_channel_store_read(const emg_channel_store *s, size_t channel, int64_t first,
                           size_t count, double *dst, emg_error *err)
{
    if (channel >= s->n || first < 0 ||
        first + (int64_t)count > s->header.channels[channel].n_samples)
        return emg_error_set(err, EMG_ERR_ARG, "channel store: samples %lld+%zu of channel %zu "
                             "out of range", (long long)first, count, channel + 1);
    if (!s->in_files) {
        if (count > 0)
            memcpy(dst, s->ch[channel].mem + first, count * sizeof *dst);
        return EMG_OK;
    }
    char *p = (char *)dst;
    size_t left = count * sizeof(double);
    off_t at = (off_t)first * (off_t)sizeof(double);
    while (left > 0) {
        ssize_t got = pread(s->ch[channel].fd, p, left, at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return emg_error_set(err, EMG_ERR_IO,
                                 "%s: cannot read back the temporary copy of its channels: %s",
                                 s->input, got < 0 ? strerror(errno) : "file shorter than written");
        p += got;
        at += got;
        left -= (size_t)got;
    }
    return EMG_OK;
}

/* Reads into one buffer per channel, sized for a second of it. */
typedef struct save_ctx {
    const emg_channel_store *store;
    double **buf;
    size_t *cap;
} save_ctx;

static int store_samples(void *ctx, size_t channel, int64_t first, size_t count,
                         double **data, emg_error *err)
{
    save_ctx *c = ctx;
    if (count > c->cap[channel]) {
        double *g = emgi_xrealloc(c->buf[channel], count, sizeof *g, err);
        if (!g)
            return EMG_ERR_NOMEM;
        c->buf[channel] = g;
        c->cap[channel] = count;
    }
    *data = c->buf[channel];
    return emg_channel_store_read(c->store, channel, first, count, c->buf[channel], err);
}

int emg_channel_store_save(const emg_channel_store *s, const emg_header *h, const char *path,
                           emg_format format, const emg_write_options *opts, emg_error *err)
{
    if (h->n_channels != s->n)
        return emg_error_set(err, EMG_ERR_ARG, "channel store: header has %zu channels, "
                             "store %zu", h->n_channels, s->n);
    save_ctx c = {s, emgi_xcalloc(s->n + 1, sizeof *c.buf, err),
                  emgi_xcalloc(s->n + 1, sizeof *c.cap, err)};
    int rc = c.buf && c.cap ? emgi_save_by_seconds(path, format, h, opts, store_samples, &c, err)
                            : EMG_ERR_NOMEM;
    for (size_t i = 0; c.buf && i < s->n; i++)
        free(c.buf[i]);
    free(c.buf);
    free(c.cap);
    return rc;
}

void emg_channel_store_close(emg_channel_store *s)
{
    if (!s)
        return;
    unmap(s);
    for (size_t i = 0; s->ch && i < s->n; i++) {
        if (s->ch[i].fd >= 0)
            close(s->ch[i].fd);
        free(s->ch[i].mem);
    }
    free(s->ch);
    emg_header_free(&s->header);
    free(s->input);
    free(s);
}
