/* io_read_ahead.c: a reader that reads its next block on a thread of its own
 * (emg_reader_read_ahead), so that decoding the input overlaps with what the
 * caller does with the current block.
 *
 * Two slots take turns: the caller holds the block it was handed (slot i)
 * until its next read, while the thread fills slot i + 1 with a copy of the
 * next block the reader gives (samples and annotations).  Blocks come in the
 * same order, with the same content, as without read-ahead; an error or the
 * end of the input is handed over in turn like a block. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

struct emgi_read_ahead {
    emg_reader *r;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    emg_block slot[2];
    int full[2];         /* slot i holds a read result the caller has not taken */
    int rc[2];           /* that result: 1 block, 0 end, < 0 error (err[i]) */
    emg_error err[2];
    size_t next_fill;    /* slots filled so far */
    size_t next_take;    /* slots handed to the caller so far */
    int holding;         /* the caller holds slot (next_take - 1) % 2 */
    int stop;            /* close: read no further */
};

/* Copy src's samples and annotations into dst (its buffers reused). */
static int copy_block(emg_block *dst, const emg_block *src, emg_error *err)
{
    emg_block_clear(dst);
    int rc = emg_block_reserve(dst, src->n_channels, 0, err);
    for (size_t c = 0; c < src->n_channels && rc == 0; c++) {
        if ((rc = emg_block_reserve_channel(dst, c, src->count[c], err)) < 0)
            break;
        if (src->count[c])
            memcpy(dst->data[c], src->data[c], src->count[c] * sizeof(double));
        dst->count[c] = src->count[c];
    }
    for (size_t i = 0; i < src->n_annotations && rc == 0; i++) {
        const emg_annotation *a = &src->annotations[i];
        rc = emg_block_add_annotation(dst, a->onset, a->duration, a->channel, a->text, err);
    }
    return rc;
}

static void *read_ahead_main(void *arg)
{
    emgi_read_ahead *a = arg;
    for (int rc = 1; rc > 0;) {
        size_t i = a->next_fill % 2;
        pthread_mutex_lock(&a->mu);
        while (a->full[i] && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
        const emg_block *b;
        emg_error err = {EMG_OK, ""};
        rc = emgi_reader_read_now(a->r, &b, &err);
        if (rc > 0 && copy_block(&a->slot[i], b, &err) < 0)
            rc = err.status;
        pthread_mutex_lock(&a->mu);
        a->rc[i] = rc;
        a->err[i] = err;
        a->full[i] = 1;
        a->next_fill++;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

int emgi_read_ahead_start(emgi_read_ahead **out, emg_reader *r, emg_error *err)
{
    *out = NULL;
    emgi_read_ahead *a = emgi_xcalloc(1, sizeof *a, err);
    if (!a)
        return EMG_ERR_NOMEM;
    a->r = r;
    emg_block_init(&a->slot[0]);
    emg_block_init(&a->slot[1]);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, read_ahead_main, a) != 0) {
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
    pthread_join(a->thread, NULL); /* waits for a read under way */
    emg_block_free(&a->slot[0]);
    emg_block_free(&a->slot[1]);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}
