/* emgkit/spectrum.h: tapers, periodogram, Welch PSD and STFT on FFTW3 plans.
 *
 * A psd plan is made once for one segment length and reused for every
 * segment (FFTW: plan once, execute many).  The spectral estimates follow
 * scipy.signal.welch / periodogram / spectrogram exactly: periodic
 * ("sym=False") windows as scipy.signal.get_window, constant detrend per
 * segment, one-sided density scaling (units^2/Hz, bins 1..n/2-1 doubled, the
 * Nyquist bin not doubled for even n), Welch = mean of the segment
 * periodograms (Welch 1967, IEEE Trans. Audio Electroacoust. 15:70-73).
 *
 * Thread safety: creating and destroying plans is serialised internally (the
 * FFTW planner is not thread-safe); one plan must not be executed by two
 * threads at once (each holds its own work buffers), so give every thread
 * its own plan. */
#ifndef EMGKIT_SPECTRUM_H
#define EMGKIT_SPECTRUM_H

#include "emgkit/export.h"

#include <stddef.h>
#include "emgkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emg_taper {
    EMG_TAPER_HANN = 0,
    EMG_TAPER_HAMMING,
    EMG_TAPER_BLACKMAN,
    EMG_TAPER_RECTANGULAR,
    EMG_TAPER_TUKEY /* parameter alpha in [0, 1], default 0.5 */
} emg_taper;

/* Parse "hann", "hamming", "blackman", "rectangular" (or "boxcar"), "tukey"
 * or "tukey:ALPHA".  *alpha receives the Tukey fraction (0.5 when not given). */
EMGKIT_API int emg_taper_from_name(const char *name, emg_taper *taper, double *alpha, emg_error *err);
EMGKIT_API const char *emg_taper_name(emg_taper taper);
/* Fill w[0..n) with the periodic window (scipy.signal.get_window(name, n, fftbins=True)). */
EMGKIT_API int emg_taper_fill(double *w, size_t n, emg_taper taper, double alpha, emg_error *err);

/* Load / save FFTW wisdom (optional).  Plans are made with FFTW_ESTIMATE
 * unless wisdom was loaded (or a load was tried): then with FFTW_MEASURE,
 * whose timings the wisdom keeps for the next run. */
EMGKIT_API int emg_fftw_wisdom_load(const char *path, emg_error *err);
EMGKIT_API int emg_fftw_wisdom_save(const char *path, emg_error *err);
/* Plan every later transform with FFTW_ESTIMATE, even with wisdom: the plan,
 * hence every rounding, is then the same on each run on one machine (MEASURE
 * times candidates and may pick another), as a dataset that must be rebuilt
 * identically needs.  Process-wide; set before planning. */
EMGKIT_API void emg_fftw_reproducible(int on);

typedef struct emg_psd_plan emg_psd_plan;

/* A plan for n-point segments (n >= 2) tapered by taper, at sampling rate fs (Hz > 0). */
EMGKIT_API int emg_psd_plan_create(emg_psd_plan **out, size_t n, emg_taper taper, double alpha, double fs,
                                   emg_error *err);
EMGKIT_API void emg_psd_plan_destroy(emg_psd_plan *p);
EMGKIT_API size_t emg_psd_plan_length(const emg_psd_plan *p);
/* Number of one-sided frequency bins, n/2 + 1. */
EMGKIT_API size_t emg_psd_plan_bins(const emg_psd_plan *p);
/* Bin spacing fs/n in Hz; bin k is at k * df. */
EMGKIT_API double emg_psd_plan_df(const emg_psd_plan *p);

/* One-sided density periodogram of x[0..n) (n = plan length), constant
 * detrend, into psd[0..bins).  Thread-safe across different plans.  A
 * segment holding a non-finite sample (a gap, emgkit/gaps.h) gives NaN
 * everywhere: callers averaging segments skip it (emg_has_gap). */
EMGKIT_API void emg_psd_segment(emg_psd_plan *p, const double *x, double *psd);

/* Welch PSD of x[0..len) with the plan's segment length and hop = n - overlap
 * (0 <= overlap < n): psd[0..bins) = mean of the segment periodograms, as
 * scipy.signal.welch(x, fs, window, nperseg=n, noverlap=overlap,
 * detrend='constant', scaling='density', average='mean').  len < n is
 * EMG_ERR_ARG (SciPy would shrink the segment; we keep the resolution
 * fixed).  Samples after the last whole segment are unused, as in SciPy.
 * Segments touching a gap (a non-finite sample) are left out of the mean;
 * *n_segments (may be NULL) gets the number averaged, and with none the PSD
 * is NaN. */
EMGKIT_API int emg_welch(emg_psd_plan *p, const double *x, size_t len, size_t overlap, double *psd,
                         size_t *n_segments, emg_error *err);

/* Short-time Fourier transform power (scipy.signal.spectrogram with
 * mode='psd', scaling='density', detrend='constant'): frames start at
 * 0, hop, 2*hop, ...; calls emit(ctx, frame_index, centre_time_s, psd) for
 * each frame; psd is borrowed for the call.  Returns the number of frames
 * or a negative status (the callback's negative return stops and is passed on). */
typedef int (*emg_stft_emit)(void *ctx, size_t frame, double centre_s, const double *psd);
EMGKIT_API long emg_stft(emg_psd_plan *p, const double *x, size_t len, size_t hop, emg_stft_emit emit,
                         void *ctx, emg_error *err);

/* Welch over consecutive windows that share segments.  Windows start at
 * multiples of `step` samples and span `window` samples; their Welch
 * segments start at window_start + j*hop.  When step is a multiple of hop,
 * a segment belongs to several windows: the cache keeps each segment's
 * periodogram in a ring and transforms it only once.  Otherwise it simply
 * computes each window's segments (results are identical either way). */
typedef struct emg_welch_cache emg_welch_cache;
EMGKIT_API int emg_welch_cache_create(emg_welch_cache **out, emg_psd_plan *plan, size_t window,
                                      size_t overlap, size_t step, emg_error *err);
EMGKIT_API void emg_welch_cache_destroy(emg_welch_cache *c);
/* PSD of the window that starts at absolute sample `start` (a multiple of
 * step; windows must be requested in increasing order) whose samples are
 * x[0..window).  Same result as emg_welch(plan, x, window, overlap, psd). */
EMGKIT_API int emg_welch_cache_window(emg_welch_cache *c, long long start, const double *x, double *psd,
                                      emg_error *err);
/* Segments transformed so far and segments served from the ring (statistics). */
EMGKIT_API void emg_welch_cache_stats(const emg_welch_cache *c, size_t *computed, size_t *reused);

#ifdef __cplusplus
}
#endif
#endif
