/* io_read_ahead.c: a reader that reads its next block on a thread of its own
 * (emg_reader_read_ahead), so that decoding the input overlaps with what the
 * caller does with the current block; or, without a thread, whenever the
 * caller says (emg_reader_prefetch): the window engine reads the next block
 * as one task of its thread pool's round, so that -j 2 runs two threads on
 * two cores, not three (a third thread preempted one holding a round's task,
 * and the round waited for it).
 *
 * Two slots take turns: the caller holds the block it was handed (slot i)
 * until its next read, while the thread fills slot i + 1 with the next block
 * the reader gives.  The samples are not copied: the slot keeps the buffers
 * the reader has just filled and gives it its own, free since the caller
 * released the slot, for the next read (emgi_reader_trade_raw); a copy cost
 * as much as decoding a float WAV.  Blocks come in the same order, with the
 * same content, as without read-ahead; an error or the end of the input is
 * handed over in turn like a block. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

struct emgi_read_ahead {
    emg_reader *r;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    emg_block slot[2];   /* the blocks handed out: pointers into store, own annotations */
    emg_block store[2];  /* the sample buffers slot i points into */
    int full[2];         /* slot i holds a read result the caller has not taken */
    int rc[2];           /* that result: 1 block, 0 end, < 0 error (err[i]) */
    emg_error err[2];
    size_t next_fill;    /* slots filled so far */
    size_t next_take;    /* slots handed to the caller so far */
    int holding;         /* the caller holds slot (next_take - 1) % 2 */
    int ended;           /* the last fill gave the end or an error: read no further */
    int threaded;        /* a thread fills the slots; else emgi_read_ahead_prefetch */
    int stop;            /* close: read no further */
};

/* Slot i takes the block src the reader has just handed out: its sample
 * pointers and a copy of its annotations; the buffers they point into go to
 * store i in exchange for the ones slot i held before. */
static int take_block(emgi_read_ahead *a, size_t i, const emg_block *src, emg_error *err)
{
    emg_block *dst = &a->slot[i];
    emg_block_clear(dst);
    if (dst->n_channels != src->n_channels) {
        size_t n = src->n_channels ? src->n_channels : 1;
        size_t *count = emgi_xrealloc(dst->count, n, sizeof *count, err);
        if (count)
            dst->count = count;
        double **data = count ? emgi_xrealloc(dst->data, n, sizeof *data, err) : NULL;
        if (!data)
            return EMG_ERR_NOMEM;
        dst->data = data;
        dst->n_channels = src->n_channels;
    }
    memcpy(dst->count, src->count, src->n_channels * sizeof *src->count);
    memcpy(dst->data, src->data, src->n_channels * sizeof *src->data);
    int rc = 0;
    for (size_t k = 0; k < src->n_annotations && rc == 0; k++) {
        const emg_annotation *an = &src->annotations[k];
        rc = emg_block_add_annotation(dst, an->onset, an->duration, an->channel, an->text, err);
    }
    emgi_reader_trade_raw(a->r, &a->store[i]);
    return rc;
}

/* Read the next block into slot next_fill % 2, which the caller has
 * released; the result waits there for emgi_read_ahead_next. */
static int fill_one(emgi_read_ahead *a)
{
    size_t i = a->next_fill % 2;
    const emg_block *b;
    emg_error err = {EMG_OK, ""};
    int rc = emgi_reader_read_now(a->r, &b, &err);
    if (rc > 0 && take_block(a, i, b, &err) < 0)
        rc = err.status;
    pthread_mutex_lock(&a->mu);
    a->rc[i] = rc;
    a->err[i] = err;
    a->full[i] = 1;
    a->ended = rc <= 0;
    a->next_fill++;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void *read_ahead_main(void *arg)
{
    emgi_read_ahead *a = arg;
    for (int rc = 1; rc > 0;) {
        pthread_mutex_lock(&a->mu);
        while (a->full[a->next_fill % 2] && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
        rc = fill_one(a);
    }
    return NULL;
}

/* Without a thread, the slots are filled only between the caller's reads
 * (the pool's round orders a prefetch task before the caller's next read),
 * so nothing here runs beside emgi_read_ahead_next. */
void emgi_read_ahead_prefetch(emgi_read_ahead *a)
{
    if (!a->threaded && !a->ended && !a->full[a->next_fill % 2])
        fill_one(a);
}

int emgi_read_ahead_start(emgi_read_ahead **out, emg_reader *r, int threaded, emg_error *err)
{
    *out = NULL;
    emgi_read_ahead *a = emgi_xcalloc(1, sizeof *a, err);
    if (!a)
        return EMG_ERR_NOMEM;
    a->r = r;
    for (size_t i = 0; i < 2; i++) {
        emg_block_init(&a->slot[i]);
        emg_block_init(&a->store[i]);
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->threaded = threaded;
    if (threaded && pthread_create(&a->thread, NULL, read_ahead_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a);
        return emg_error_set(err, EMG_ERR_NOMEM, "read-ahead: cannot start a thread");
    }
    *out = a;
    return 0;
}

int emgi_read_ahead_next(emgi_read_ahead *a, const emg_block **block, emg_error *err)
{
    pthread_mutex_lock(&a->mu);
    if (a->holding) { /* the caller is done with the block it holds */
        a->full[(a->next_take - 1) % 2] = 0;
        a->holding = 0;
        pthread_cond_broadcast(&a->cv);
    }
    size_t i = a->next_take % 2;
    if (!a->threaded && !a->full[i]) { /* not prefetched: read it now */
        pthread_mutex_unlock(&a->mu);
        fill_one(a);
        pthread_mutex_lock(&a->mu);
    }
    while (!a->full[i])
        pthread_cond_wait(&a->cv, &a->mu);
    int rc = a->rc[i];
    if (rc > 0) {
        *block = &a->slot[i];
        a->holding = 1;
        a->next_take++;
    } else if (rc < 0 && err) {
        *err = a->err[i];
    }
    /* an end or an error stays in its slot: later reads give it again */
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void emgi_read_ahead_stop(emgi_read_ahead *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (a->threaded)
        pthread_join(a->thread, NULL); /* waits for a read under way */
    for (size_t i = 0; i < 2; i++) {
        emgi_block_view_free(&a->slot[i]);
        emg_block_free(&a->store[i]);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}
