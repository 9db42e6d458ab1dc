/* io_spool.h: a temporary on-disk copy of the blocks given to a writer.
 *
 * Some writers must know something about the whole recording before they
 * write the first sample: EDF needs each channel's physical range in its
 * header, integer audio needs the full scale, and some containers take
 * their metadata only before the audio.  They spool the blocks here
 * (samples and block annotations, in order), learn each channel's range
 * and sample count, then replay the blocks.  Memory stays flat; the disk
 * holds 8 bytes per sample.  The file is unlinked as soon as it is
 * created, so nothing is left behind whatever happens. */
#ifndef EMGKIT_IO_SPOOL_H
#define EMGKIT_IO_SPOOL_H

#include <stdio.h>
#include "emgkit/recording.h"

typedef struct emg_spool {
    FILE *file;
    char user_path[4096]; /* the output being written, for messages */
    size_t n_channels;
    double *min, *max;   /* per channel, over finite samples; min > max when none */
    int64_t *n_samples;  /* per channel */
    size_t n_annotations;
    size_t max_count;    /* largest per-channel count of one block (replay buffer size) */
} emg_spool;

/* Create the spool beside near_path (a temporary output path); messages name
 * user_path (the output the user asked for). */
int emgi_spool_open(emg_spool *s, const char *near_path, const char *user_path,
                    size_t n_channels, emg_error *err);
/* Append one block. */
int emgi_spool_write(emg_spool *s, const emg_block *blk, emg_error *err);
/* Rewind for replay. */
int emgi_spool_rewind(emg_spool *s, emg_error *err);
/* Read the next block into blk (1), 0 at the end, < 0 on error. */
int emgi_spool_read(emg_spool *s, emg_block *blk, emg_error *err);
void emgi_spool_close(emg_spool *s);

#endif
