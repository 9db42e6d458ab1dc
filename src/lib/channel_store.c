/* channel_store.c: a recording spooled channel by channel to temporary
 * files (include/emgkit/io.h), so that a tool that needs whole channels one
 * at a time holds one channel in memory, whatever the number of channels.
 *
 * The reader is drained once, block by block; each channel's samples are
 * appended (as doubles, bit for bit) to an unlinked temporary file of its
 * own, through a buffer; reads are pread() ranges.  The header is the
 * reader's with the delivered lengths and the block annotations, as
 * emg_reader_read_all() gives them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io_internal.h"

#define STORE_BUFFER 8192 /* samples buffered per channel before a write */

typedef struct store_channel {
    int fd;
    double *buf;
    size_t used;
} store_channel;

struct emg_channel_store {
    emg_header header;
    size_t n;
    store_channel *ch;
};

static int flush_channel(store_channel *c, emg_error *err)
{
    const char *p = (const char *)c->buf;
    size_t left = c->used * sizeof(double);
    while (left > 0) {
        ssize_t w = write(c->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return emg_error_set(err, EMG_ERR_IO, "cannot write the channel spool: %s",
                                 w < 0 ? strerror(errno) : "disk full");
        p += w;
        left -= (size_t)w;
    }
    c->used = 0;
    return EMG_OK;
}

static int append(store_channel *c, const double *x, size_t count, emg_error *err)
{
    while (count > 0) {
        size_t take = STORE_BUFFER - c->used < count ? STORE_BUFFER - c->used : count;
        memcpy(c->buf + c->used, x, take * sizeof *x);
        c->used += take;
        x += take;
        count -= take;
        int rc = c->used == STORE_BUFFER ? flush_channel(c, err) : EMG_OK;
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

static int open_channels(emg_channel_store *s, emg_error *err)
{
    s->ch = emg_xcalloc(s->n + 1, sizeof *s->ch, err);
    if (!s->ch)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++)
        s->ch[i].fd = -1;
    for (size_t i = 0; i < s->n; i++) {
        char path[4096];
        if ((s->ch[i].fd = emg_temp_file(path, sizeof path, "emgkit-channel", err)) < 0)
            return s->ch[i].fd;
        unlink(path); /* gone when closed, whatever happens to the process */
        if (!(s->ch[i].buf = emg_xcalloc(STORE_BUFFER, sizeof(double), err)))
            return EMG_ERR_NOMEM;
    }
    return EMG_OK;
}

int emg_channel_store_open(emg_channel_store **out, emg_reader *r, emg_error *err)
{
    *out = NULL;
    emg_channel_store *s = emg_xcalloc(1, sizeof *s, err);
    if (!s)
        return EMG_ERR_NOMEM;
    emg_header_init(&s->header);
    int rc = emg_header_copy(&s->header, emg_reader_header(r), err);
    s->n = s->header.n_channels;
    if (rc >= 0)
        rc = open_channels(s, err);
    for (size_t i = 0; rc >= 0 && i < s->n; i++)
        s->header.channels[i].n_samples = 0;
    const emg_block *b;
    while (rc >= 0 && (rc = emg_reader_read(r, &b, err)) > 0) {
        for (size_t i = 0; rc >= 0 && i < b->n_channels; i++) {
            rc = append(&s->ch[i], b->data[i], b->count[i], err);
            s->header.channels[i].n_samples += (int64_t)b->count[i];
        }
        for (size_t k = 0; rc >= 0 && k < b->n_annotations; k++) {
            const emg_annotation *a = &b->annotations[k];
            rc = emg_header_add_annotation(&s->header, a->onset, a->duration, a->channel,
                                           a->text, err);
        }
    }
    for (size_t i = 0; rc >= 0 && i < s->n; i++) {
        rc = flush_channel(&s->ch[i], err);
        free(s->ch[i].buf);
        s->ch[i].buf = NULL;
    }
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

int emg_channel_store_read(const emg_channel_store *s, size_t channel, int64_t first,
                           size_t count, double *dst, emg_error *err)
{
    if (channel >= s->n || first < 0 || first + (int64_t)count > s->header.channels[channel].n_samples)
        return emg_error_set(err, EMG_ERR_ARG, "channel store: samples %lld+%zu of channel %zu "
                             "out of range", (long long)first, count, channel + 1);
    char *p = (char *)dst;
    size_t left = count * sizeof(double);
    off_t at = (off_t)first * (off_t)sizeof(double);
    while (left > 0) {
        ssize_t got = pread(s->ch[channel].fd, p, left, at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return emg_error_set(err, EMG_ERR_IO, "cannot read the channel spool: %s",
                                 got < 0 ? strerror(errno) : "file shorter than written");
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
        double *g = emg_xrealloc(c->buf[channel], count, sizeof *g, err);
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
    save_ctx c = {s, emg_xcalloc(s->n + 1, sizeof *c.buf, err),
                  emg_xcalloc(s->n + 1, sizeof *c.cap, err)};
    int rc = c.buf && c.cap ? emg_save_by_seconds(path, format, h, opts, store_samples, &c, err)
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
    for (size_t i = 0; s->ch && i < s->n; i++) {
        if (s->ch[i].fd >= 0)
            close(s->ch[i].fd);
        free(s->ch[i].buf);
    }
    free(s->ch);
    emg_header_free(&s->header);
    free(s);
}
