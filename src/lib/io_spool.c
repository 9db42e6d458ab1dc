/* io_spool.c: temporary on-disk copy of a writer's blocks (see io_spool.h).
 *
 * Layout, native byte order (the file never leaves this process):
 *   per block: uint64 count[n_channels], uint64 n_annotations,
 *              count[i] doubles for each channel i,
 *              per annotation: double onset, double duration, int64 channel,
 *                              uint64 text length, text bytes. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io_internal.h"
#include "io_spool.h"

int emgi_spool_open(emg_spool *s, const char *near_path, const char *user_path,
                    size_t n_channels, emg_error *err)
{
    memset(s, 0, sizeof *s);
    emgi_strlcpy(s->user_path, user_path, sizeof s->user_path);
    char path[4400];
    int rc = emg_temp_path(path, sizeof path, near_path, err);
    if (rc < 0)
        return rc;
    s->file = fopen(path, "w+b");
    int saved = errno;
    emg_temp_discard(path); /* the open handle keeps it alive until close */
    if (!s->file)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot create a temporary file: %s",
                             user_path, strerror(saved));
    s->n_channels = n_channels;
    s->min = emgi_xcalloc(n_channels, sizeof *s->min, err);
    s->max = emgi_xcalloc(n_channels, sizeof *s->max, err);
    s->n_samples = emgi_xcalloc(n_channels, sizeof *s->n_samples, err);
    if (!s->min || !s->max || !s->n_samples) {
        emgi_spool_close(s);
        return EMG_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_channels; i++) {
        s->min[i] = INFINITY;
        s->max[i] = -INFINITY;
    }
    return EMG_OK;
}

static int put(emg_spool *s, const void *p, size_t size, size_t n, emg_error *err)
{
    if (n && fwrite(p, size, n, s->file) != n)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot write its temporary copy: %s",
                             s->user_path, strerror(errno));
    return EMG_OK;
}

static int get(emg_spool *s, void *p, size_t size, size_t n, emg_error *err)
{
    if (n && fread(p, size, n, s->file) != n)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot read back its temporary copy",
                             s->user_path);
    return EMG_OK;
}

int emgi_spool_write(emg_spool *s, const emg_block *blk, emg_error *err)
{
    int rc = EMG_OK;
    for (size_t i = 0; rc >= 0 && i < s->n_channels; i++) {
        uint64_t count = blk->count[i];
        rc = put(s, &count, sizeof count, 1, err);
    }
    uint64_t n_ann = blk->n_annotations;
    if (rc >= 0)
        rc = put(s, &n_ann, sizeof n_ann, 1, err);
    for (size_t i = 0; rc >= 0 && i < s->n_channels; i++) {
        const double *x = blk->data[i];
        size_t n = blk->count[i];
        for (size_t k = 0; k < n; k++) {
            if (!isfinite(x[k]))
                continue;
            if (x[k] < s->min[i])
                s->min[i] = x[k];
            if (x[k] > s->max[i])
                s->max[i] = x[k];
        }
        s->n_samples[i] += (int64_t)n;
        if (n > s->max_count)
            s->max_count = n;
        rc = put(s, x, sizeof *x, n, err);
    }
    for (size_t k = 0; rc >= 0 && k < blk->n_annotations; k++) {
        const emg_annotation *a = &blk->annotations[k];
        double times[2] = {a->onset, a->duration};
        int64_t channel = a->channel;
        uint64_t len = a->text ? strlen(a->text) : 0;
        rc = put(s, times, sizeof *times, 2, err);
        if (rc >= 0)
            rc = put(s, &channel, sizeof channel, 1, err);
        if (rc >= 0)
            rc = put(s, &len, sizeof len, 1, err);
        if (rc >= 0)
            rc = put(s, a->text, 1, len, err);
        s->n_annotations++;
    }
    return rc;
}

int emgi_spool_rewind(emg_spool *s, emg_error *err)
{
    if (fflush(s->file) != 0 || fseek(s->file, 0, SEEK_SET) != 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot write its temporary copy: %s",
                             s->user_path, strerror(errno));
    return EMG_OK;
}

static int read_annotation(emg_spool *s, emg_block *blk, emg_error *err)
{
    double times[2];
    int64_t channel;
    uint64_t len;
    int rc = get(s, times, sizeof *times, 2, err);
    if (rc >= 0)
        rc = get(s, &channel, sizeof channel, 1, err);
    if (rc >= 0)
        rc = get(s, &len, sizeof len, 1, err);
    if (rc < 0)
        return rc;
    char *text = emgi_xcalloc(len + 1, 1, err);
    if (!text)
        return EMG_ERR_NOMEM;
    rc = get(s, text, 1, len, err);
    if (rc >= 0)
        rc = emg_block_add_annotation(blk, times[0], times[1], (int)channel, text, err);
    free(text);
    return rc;
}

int emgi_spool_read(emg_spool *s, emg_block *blk, emg_error *err)
{
    uint64_t count;
    emg_block_clear(blk);
    if (fread(&count, sizeof count, 1, s->file) != 1)
        return ferror(s->file) ? emg_error_set(err, EMG_ERR_OUTPUT,
                                               "%s: cannot read back its temporary copy",
                                               s->user_path)
                               : 0;
    int rc = emg_block_reserve(blk, s->n_channels, s->max_count ? s->max_count : 1, err);
    if (rc < 0)
        return rc;
    blk->count[0] = (size_t)count;
    for (size_t i = 1; rc >= 0 && i < s->n_channels; i++) {
        rc = get(s, &count, sizeof count, 1, err);
        blk->count[i] = (size_t)count;
    }
    uint64_t n_ann = 0;
    if (rc >= 0)
        rc = get(s, &n_ann, sizeof n_ann, 1, err);
    for (size_t i = 0; rc >= 0 && i < s->n_channels; i++)
        rc = get(s, blk->data[i], sizeof(double), blk->count[i], err);
    for (uint64_t k = 0; rc >= 0 && k < n_ann; k++)
        rc = read_annotation(s, blk, err);
    return rc < 0 ? rc : 1;
}

void emgi_spool_close(emg_spool *s)
{
    if (s->file)
        fclose(s->file);
    free(s->min);
    free(s->max);
    free(s->n_samples);
    memset(s, 0, sizeof *s);
}
