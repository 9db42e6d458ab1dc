/* detect_internal.h: the pieces of the detector (detect.c) that the streamed
 * detector (detect_stream.c) shares, so that both compute the same thing
 * the same way: the band-pass design and its end fades, the rest level of
 * the THRESHOLD method from block sums of the envelope and statistics over
 * sample ranges, the THRESHOLD levels and segment rules, and the events. */
#ifndef EMGKIT_DETECT_INTERNAL_H
#define EMGKIT_DETECT_INTERNAL_H

#include "emgkit/detect.h"
#include "emgkit/filter.h"

/* The band-pass of emg_detect_bandpass: 1 with *sos designed, 0 when the
 * signal is left as it is (no band), < 0 on error. */
int detect_band_design(emg_sos *sos, double fs, double band_low, double band_high,
                       emg_error *err);
/* emg_detect_bandpass on a channel of n samples read in order, block by
 * block (the streaming zero-phase filter: within about 1e-12 of the
 * whole-channel filter), DETECT_BAND_CHUNK samples at a time. */
#define DETECT_BAND_CHUNK 16384
/* A streamed block without a quiet stretch to cut at grows up to the
 * memory budget or to this many bytes of signal and envelopes, whichever
 * is more (emg-detect's and emg-label's alike), so that a long contraction
 * (a cramp, a tonic spasm of minutes) is kept whole under a small budget;
 * only activity longer than that is cut at the block's end (a forced cut). */
#define DETECT_GROW_LIMIT_BYTES ((size_t)1 << 26) /* 64 MiB */
/* Reallocate a block's two arrays together, *a to na and *b to nb doubles,
 * their contents kept (each pointer updated as soon as it moves); < 0 when
 * out of memory. */
int detect_grow_pair(double **a, size_t na, double **b, size_t nb, emg_error *err);
typedef struct detect_band_reader {
    emg_sample_read_fn read;
    void *ctx;
    size_t n;
    emg_filtfilt *ff;       /* NULL: no band-pass */
    size_t fade;
    size_t n_read, n_y;     /* samples read, band-passed samples returned */
    int finished;
    emg_gap_count *gaps;    /* when set, the gaps of the samples read are counted */
    double *y;              /* DETECT_BAND_CHUNK: the samples returned */
} detect_band_reader;
int detect_band_reader_open(detect_band_reader *r, emg_sample_read_fn read, void *ctx, size_t n,
                            double fs, double band_low, double band_high, emg_gap_count *gaps,
                            emg_error *err);
/* The next *got band-passed samples (samples r->n_y - *got .. of the
 * channel) in r->y: 1, or 0 at the end of the channel, < 0 on error. */
int detect_band_reader_next(detect_band_reader *r, size_t *got, emg_error *err);
void detect_band_reader_close(detect_band_reader *r);

/* Samples faded in and out at each end of a channel of n samples (0: none),
 * and the raised-cosine gain of the i-th sample from an end. */
size_t detect_fade_length(double fs, size_t n);
double detect_fade_gain(size_t i, size_t fade);

/* Rest statistics accumulated over sample ranges of an envelope (the mean,
 * SD, count and the thinned samples of the median and MAD). */
typedef struct detect_rest_accum {
    double sum, sum2;
    size_t count, first, last;
    size_t stride, m;
    double *thin;
} detect_rest_accum;
/* count: finite samples the ranges hold in all; n_ranges: how many ranges. */
int detect_rest_accum_init(detect_rest_accum *a, size_t count, size_t n_ranges, emg_error *err);
/* The part of range [ra, rb) inside [lo, hi), env[0] being sample lo. */
void detect_rest_accum_add(detect_rest_accum *a, const double *env, size_t lo, size_t hi,
                           size_t ra, size_t rb);
/* mean, sd, median, robust_sd, n_samples; from and to in samples.  Frees. */
int detect_rest_accum_finish(emg_rest_level *out, detect_rest_accum *a, emg_error *err);
void detect_rest_accum_free(detect_rest_accum *a);

/* A given rest interval from..to s of a signal of n samples at fs as the
 * samples [*a, *b), clipped to the signal; an interval outside it is EMG_ERR_ARG. */
int detect_rest_interval_samples(size_t *a, size_t *b, double from, double to, size_t n,
                                 double fs, emg_error *err);

/* The rest windows of emg_rest_estimate: their length in samples for a
 * signal of n samples, and the quietest `fraction` of them (at least one)
 * from their sums wsum[0..nw) (a non-finite sum: a window with a gap, left
 * out), into chosen[0..*n_use) (nw entries), quietest first. */
size_t detect_rest_window_length(size_t n, double fs, double window);
int detect_rest_choose(size_t *chosen, size_t *n_use, const double *wsum, size_t nw, size_t win,
                       size_t n, double fraction, emg_error *err);

/* Hop of the half-overlapping rest windows of emg_rest_estimate_lowest. */
size_t detect_rest_hop(size_t n, double fs, double window);
/* The rest blocks (indices of hops, increasing) chosen from the hop sums. */
int detect_rest_lowest_blocks(size_t *blocks, size_t *n_blocks, emg_rest_level *out,
                              const double *bsum, size_t nb, size_t hop, size_t n,
                              double fraction, emg_error *err);
/* s, window of the rest level's (and THRESHOLD's) RMS envelope. */
double detect_envelope_window(const emg_detect_options *o);
/* s, window of THRESHOLD's rest windows. */
double detect_rest_window(void);

/* THRESHOLD's levels from the rest level (out's rest, noise_rms and
 * threshold are set). */
typedef struct detect_levels {
    double on, off;  /* onset and offset thresholds on the envelope */
    double band;     /* top of the rest band (rest mean + k_off SD) */
    double v0;       /* rest variance */
    double envw;     /* s, envelope window */
    size_t min_len, merge_len; /* samples */
} detect_levels;
void detect_threshold_levels(detect_levels *lv, emg_detect_result *out,
                             const emg_rest_level *rest, double fs,
                             const emg_detect_options *o);
/* Samples of envelope at or below the offset threshold after which nothing
 * that comes later depends on anything before: longer than the merge gap
 * plus the onset refinement's walk back and its half window. */
size_t detect_threshold_quiet_run(const detect_levels *lv, double fs);
/* THRESHOLD's segments of y[0..n) with envelope dec (gaps marked in it). */
int detect_threshold_segments(size_t **seg, size_t *ns, const double *y, double *dec, size_t n,
                              double fs, const detect_levels *lv, const emg_detect_options *o,
                              emg_error *err);
/* Events of the segments of y, y[0] being sample `base` of the channel. */
int detect_add_events(emg_detect_result *out, size_t *cap, const double *y, const size_t *seg,
                      size_t ns, size_t base, double fs, const emg_detect_options *o,
                      emg_error *err);

#endif
