/* emgkit/detect.h: muscle activity onset/offset detection on one channel.
 *
 * Methods (docs/methods/detection.md has the details and defaults):
 *   THRESHOLD  envelope above rest mean + k SD (the classic single threshold;
 *              Hodges & Bui 1996 review its variants);
 *   BONATO     double threshold on pairs of squared samples: active when at
 *              least r0 of m successive values exceed zeta (Bonato, D'Alessio &
 *              Knaflitz 1998, IEEE Trans Biomed Eng 45:287-299);
 *   TKEO       Teager-Kaiser energy, rectified and low-passed, above rest
 *              mean + k SD (Li, Zhou & Aruin 2007; Solnik et al. 2010, Eur J
 *              Appl Physiol 110:489-498);
 *   HODGES     rectified, 50 Hz low-pass, 25 ms moving mean above rest mean +
 *              3 SD (Hodges & Bui 1996, Electroenceph Clin Neurophysiol
 *              101:511-519);
 *   LIDIERTH   above threshold for at least T1 with dips shorter than T2
 *              tolerated (Lidierth 1986, Electroenceph Clin Neurophysiol
 *              64:378-380);
 *   AGLR       approximated generalized likelihood ratio for a change of
 *              variance, with maximum-likelihood refinement of the change
 *              time (Staude & Wolf 1999, Med Eng Phys 21:449-467);
 *   TRANSIENT  isolated motor-unit-sized transients (< 30 ms, few phases) on
 *              a fine envelope, for fasciculation potentials.
 *
 * The rest level comes from a given interval or, for THRESHOLD (the
 * default), from the lowest consistent cluster of short windows
 * (emg_rest_estimate_lowest): a spasm or a sustained contraction may fill
 * most of a recording, so neither the median of the file nor a fixed
 * fraction of its quietest windows is the rest level.  The other methods
 * keep the quietest 20 % of 1 s windows (emg_rest_estimate). */
#ifndef EMGKIT_DETECT_H
#define EMGKIT_DETECT_H

#include "emgkit/export.h"

#include <math.h>
#include <stddef.h>
#include "emgkit/error.h"
#include "emgkit/gaps.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emg_detect_method {
    EMG_DETECT_THRESHOLD = 0,
    EMG_DETECT_BONATO,
    EMG_DETECT_TKEO,
    EMG_DETECT_HODGES,
    EMG_DETECT_LIDIERTH,
    EMG_DETECT_AGLR,
    EMG_DETECT_TRANSIENT
} emg_detect_method;

EMGKIT_API const char *emg_detect_method_name(emg_detect_method m);
EMGKIT_API int emg_detect_method_from_name(const char *name, emg_detect_method *out, emg_error *err);

typedef struct emg_detect_options {
    emg_detect_method method;
    double band_low, band_high; /* Hz, band-pass before detection (20, 450; clipped below
                                   Nyquist); band_low <= 0 disables the band-pass */
    double envelope;       /* s, RMS envelope window for THRESHOLD (0.05; burst mode 0.003) */
    double k;              /* threshold in rest SDs; NaN = the method's default
                              (THRESHOLD 3, TKEO 15, HODGES 3, LIDIERTH 3, TRANSIENT 5) */
    double k_off;          /* THRESHOLD: offset (hysteresis) threshold in rest SDs, a
                              segment lasts while the envelope stays above it (1; NaN or
                              >= k: no hysteresis) */
    double rest_from, rest_to; /* s; rest_to > rest_from: take the rest level there */
    double rest_window;    /* s, window length of the quietest-windows estimate of the methods
                              other than THRESHOLD (1.0; THRESHOLD: 0.2 s windows, fixed) */
    double rest_fraction;  /* at most this fraction of the windows is rest (0.2) */
    double min_duration;   /* s, shorter active segments are dropped (0.1; burst 0.003) */
    double merge_gap;      /* s, gaps shorter than this are merged (0.2; burst 0.01) */
    int refine;            /* THRESHOLD: contraction rules (split at weak stretches,
                              sustained activity) and each onset moved to the maximum-
                              likelihood change of variance near the envelope's departure
                              from rest (1; burst mode 0: plain hysteresis segments) */
    int bonato_m;          /* Bonato: window of m pair-statistics (5) */
    int bonato_r0;         /* Bonato: at least r0 above zeta (1) */
    double bonato_pfa;     /* Bonato: false-alarm probability per window, sets zeta (0.001) */
    double hodges_lowpass; /* Hz (50) */
    double hodges_window;  /* s (0.025) */
    double lidierth_t1;    /* s, minimum time above threshold (0.025) */
    double lidierth_t2;    /* s, longest dip below threshold inside activity (0.010) */
    double aglr_window;    /* s, AGLR test window L (0.025) */
    double aglr_h;         /* AGLR decision threshold on the log-likelihood ratio (20) */
    double transient_max;  /* s, TRANSIENT: longest potential (0.030) */
} emg_detect_options;

/* The defaults, one per field in order; docs/methods/detection.md gives the
 * source of each (min_duration 0.1 s, merge_gap 0.2 s, k_off 1 SD: "Defaults"). */
#define EMG_DETECT_OPTIONS_INIT                                                            \
    {EMG_DETECT_THRESHOLD, 20.0, 450.0, 0.05, NAN, 1.0, 0.0, -1.0, 1.0, 0.2, 0.1, 0.2, 1, \
     5, 1, 0.001, 50.0, 0.025, 0.025, 0.010, 0.025, 20.0, 0.030}
/* The same defaults for bindings that cannot use the macro (src/lib/options_init.c). */
EMGKIT_API void emg_detect_options_init(emg_detect_options *o);

/* Switch the options to burst mode: 3 ms envelope, 3 ms minimum duration,
 * 10 ms merge gap, no edge refinement, for events from a few ms to a few
 * hundred ms (fasciculations, myoclonic jerks, clonic beats one by one). */
EMGKIT_API void emg_detect_options_burst(emg_detect_options *o);

/* Rest level of a non-negative envelope env[0..n) at fs Hz. */
typedef struct emg_rest_level {
    double mean, sd;          /* of the envelope over the rest samples */
    double median, robust_sd; /* median and 1.4826 x MAD */
    double from, to;          /* s, span the windows came from (first and last) */
    size_t n_samples;         /* samples used */
    int unsure;               /* emg_rest_estimate_lowest: 1 when no quiet stretch was
                                 consistent (the quietest windows disagree): the level is a
                                 guess and the caller should ask for a rest interval */
    double spread;            /* emg_rest_estimate_lowest: largest / smallest mean envelope
                                 of the rest windows (1-2); 0 for a given interval */
} emg_rest_level;

/* From [from, to) seconds when to > from, else from the quietest `fraction`
 * of `window`-second windows (ranked by mean envelope).  (The labeller's
 * estimate; the detector uses emg_rest_estimate_lowest.) */
EMGKIT_API int emg_rest_estimate(emg_rest_level *out, const double *env, size_t n, double fs, double window,
                                 double fraction, double from, double to, emg_error *err);

/* From [from, to) seconds when to > from, else from the lowest consistent
 * cluster of `window`-second windows (half-overlapping, ranked by mean
 * envelope): the quietest three windows whose levels agree within a factor
 * of 2 anchor the cluster, and every window within that factor of the
 * anchor joins it, up to `fraction` of all windows.  Holds when rest is a
 * small part of the recording (0.6 s of rest in 45 s of contraction).  When
 * no three quiet windows agree, out->unsure is set and the quietest
 * `fraction` of windows is used. */
EMGKIT_API int emg_rest_estimate_lowest(emg_rest_level *out, const double *env, size_t n, double fs,
                                        double window, double fraction, double from, double to,
                                        emg_error *err);

/* One active segment. */
typedef struct emg_active_event {
    double onset;     /* s from the start of x */
    double duration;  /* s */
    double peak;      /* largest |x| of the band-passed signal inside (physical units) */
    double area;      /* integral of |x| over the event (units x s) */
    double rms;       /* RMS of the band-passed signal inside */
    int phases;       /* baseline crossings + 1 of the largest potential (TRANSIENT), else 0 */
    int turns;        /* direction changes larger than the rest SD, inside */
} emg_active_event;

typedef struct emg_detect_result {
    size_t n_events;
    emg_active_event *events;
    emg_rest_level rest;   /* on the method's decision signal */
    double threshold;      /* on the decision signal (NaN for BONATO/AGLR) */
    double noise_rms;      /* RMS of the band-passed signal over the rest windows */
    emg_gap_count gaps;    /* non-finite samples of x (gaps: no event spans one) */
    size_t n_blocks;       /* emg_detect_stream: blocks the segments were found in */
    size_t forced_cuts;    /* emg_detect_stream: blocks that had to end inside activity */
} emg_detect_result;

EMGKIT_API void emg_detect_result_init(emg_detect_result *r);
EMGKIT_API void emg_detect_result_free(emg_detect_result *r);

/* Detect activity in x[0..n) sampled at fs.  x is left unchanged.
 * Non-finite samples are gaps (emgkit/gaps.h): counted in out->gaps, left
 * out of the rest level, and no event starts, ends or is merged across one. */
EMGKIT_API int emg_detect_run(emg_detect_result *out, const double *x, size_t n, double fs,
                              const emg_detect_options *opts, emg_error *err);

/* A channel read piece by piece: samples [first, first + count) into dst;
 * 0 or a negative status. */
typedef int (*emg_sample_read_fn)(void *ctx, size_t first, size_t count, double *dst,
                                  emg_error *err);

/* 1 when emg_detect_stream can run the method of o (THRESHOLD, burst mode
 * included); the other methods need the whole channel (emg_detect_run). */
EMGKIT_API int emg_detect_streams(const emg_detect_options *o);

/* emg_detect_run on a channel of n samples at fs that is read block by
 * block with read(ctx, ...), in three passes (the rest level's windows, the
 * rest statistics, then the segments), filtering continuously across
 * blocks: memory holds about memory_budget bytes of band-passed signal and
 * envelope (at least 20 s of them), not the channel.  A block ends at the
 * start of a stretch without segments long enough that nothing after it
 * depends on anything before it, so the segments are those of the whole
 * channel; only where activity lasts longer than a block without such a
 * stretch is it cut (counted in out->forced_cuts).
 * The band-pass is the streaming zero-phase filter: the values equal the
 * whole-channel filter's within about 1e-12 of the signal's scale. */
EMGKIT_API int emg_detect_stream(emg_detect_result *out, emg_sample_read_fn read, void *ctx,
                                 size_t n, double fs, const emg_detect_options *opts,
                                 size_t memory_budget, emg_error *err);

/* ---- building blocks shared with the labeller ---------------------------- */

/* Segments where sig > thr: at least min_len samples, gaps shorter than
 * merge_len merged, unless a non-finite sample (a gap in the recording)
 * lies between them.  Writes [start, end) pairs into *seg (malloc'd, 2 per
 * segment); returns the count in *n_seg. */
EMGKIT_API int emg_segments_above(size_t **seg, size_t *n_seg, const double *sig, size_t n, double thr,
                                  size_t min_len, size_t merge_len, emg_error *err);

/* Zero-phase band-pass of x into y (may alias) with the filter module; the
 * upper edge is clipped to 0.45 fs; band_low <= 0 copies. */
EMGKIT_API int emg_detect_bandpass(double *y, const double *x, size_t n, double fs, double band_low,
                                   double band_high, emg_error *err);

/* Centred RMS envelope of x over `window` seconds (the filter module's
 * trailing RMS shifted back by half its window, so edges are not delayed).
 * env and x must not alias. */
EMGKIT_API int emg_centred_rms(double *env, const double *x, size_t n, double fs, double window,
                               emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
