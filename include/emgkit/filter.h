/* emgkit/filter.h: filters and envelopes for EMG, after liquid-dsp's object style.
 *
 * Every signal-processing object follows one life cycle:
 *   emg_OBJECT_create(&obj, ..., err)   design and allocate (the only allocation)
 *   emg_OBJECT_execute(obj, x, y, n)    process n samples; x == y is allowed;
 *                                       state is kept, so a signal may be cut into
 *                                       blocks of any length and gives the same
 *                                       output bit for bit
 *   emg_OBJECT_reset(obj)               forget the past (as if freshly created)
 *   emg_OBJECT_destroy(obj)             free (NULL is a no-op)
 * Samples are double, one channel per contiguous array.  Frequencies are in Hz
 * and times in seconds; fs is the sampling rate in Hz (> 0).
 *
 * Methods and references (details in docs/methods/filtering.md):
 *  - Butterworth design by the bilinear transform with pre-warping, factored
 *    into second-order sections (SOS) for stability at high order
 *    (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., 2010,
 *    sec. 7.1 and 6.3; the layout and initial conditions follow SciPy's
 *    butter(output='sos'), sosfilt_zi and sosfiltfilt).
 *  - Zero-phase filtering by forward-backward filtering (Gustafsson 1996,
 *    IEEE Trans. Signal Process. 44:988) with SciPy's odd-extension padding.
 *  - Mains notch: second-order IIR notch (SciPy iirnotch) at the fundamental
 *    and its harmonics below Nyquist.
 *  - Teager-Kaiser energy operator (Kaiser 1990, ICASSP; Li, Zhou & Aruin 2007,
 *    J. Electromyogr. Kinesiol. 17:471, for EMG onset).
 *
 * Ownership (libgit2 convention): objects returned through **out are owned by
 * the caller and released with their destroy function; emg_sos arrays are
 * released with emg_sos_free(). */
#ifndef EMGKIT_FILTER_H
#define EMGKIT_FILTER_H

#include "emgkit/export.h"

#include <stddef.h>
#include "emgkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Design: second-order sections                                             */
/* ------------------------------------------------------------------------ */

typedef enum emg_band {
    EMG_BAND_LOWPASS = 0,  /* pass f < f1 */
    EMG_BAND_HIGHPASS,     /* pass f > f1 */
    EMG_BAND_BANDPASS,     /* pass f1 < f < f2 */
    EMG_BAND_BANDSTOP      /* stop f1 < f < f2 */
} emg_band;

/* A cascade of second-order sections.  Section k has the coefficients
 * coef[6k .. 6k+5] = b0 b1 b2 a0 a1 a2 with a0 == 1 (SciPy's sos layout):
 *   H_k(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
 * A first-order section has b2 == a2 == 0. */
typedef struct emg_sos {
    size_t n_sections;
    double *coef;  /* 6 * n_sections values, owned */
} emg_sos;
#define EMG_SOS_INIT {0, NULL}

/* Butterworth filter of the given order designed by the bilinear transform
 * with pre-warping of the band edges.
 *   type   low-, high-, band-pass or band-stop
 *   order  1..20; band-pass and band-stop filters have 2*order poles
 *          (as SciPy's butter(order, [f1, f2]))
 *   f1     corner (-3 dB) frequency in Hz, 0 < f1 < fs/2; lower edge for bands
 *   f2     upper edge in Hz for bands, f1 < f2 < fs/2; ignored otherwise
 *   fs     sampling rate in Hz, > 0
 * Each section is scaled to unit gain at the pass-band reference frequency
 * (DC, Nyquist, or the band centre), so the cascade has no internal overflow
 * and the overall response equals SciPy's to rounding.  Fills *sos (any
 * previous content is freed).  EMG_ERR_ARG names the bad parameter. */
EMGKIT_API int emg_butter_design(emg_sos *sos, emg_band type, int order, double f1, double f2, double fs,
                                 emg_error *err);

/* Comb of second-order IIR notches (SciPy iirnotch) at f0, 2 f0, 3 f0, ...
 *   f0           fundamental in Hz, 0 < f0 < fs/2 (mains: 50 or 60)
 *   q            quality factor f/bandwidth(-3 dB) of every notch, 1..1000 (30 is usual)
 *   n_harmonics  number of notches including the fundamental, >= 1, or 0 for
 *                every harmonic whose upper -3 dB edge lies below max_freq
 *   max_freq     highest notch centre in Hz; <= 0 means fs/2.  Harmonics at or
 *                above min(max_freq, fs/2) are left out.
 *   fs           sampling rate in Hz, > 0
 * Fills *sos with one section per notch. */
EMGKIT_API int emg_notch_design(emg_sos *sos, double f0, double q, int n_harmonics, double max_freq,
                                double fs, emg_error *err);

/* Append the sections of src to dst (cascade: dst then src). */
EMGKIT_API int emg_sos_append(emg_sos *dst, const emg_sos *src, emg_error *err);
/* Deep copy; *dst is freed first. */
EMGKIT_API int emg_sos_copy(emg_sos *dst, const emg_sos *src, emg_error *err);
EMGKIT_API void emg_sos_free(emg_sos *sos);

/* Complex frequency response H(e^{j 2 pi f / fs}) at f Hz (0 <= f <= fs/2):
 * real and imaginary parts through *re and *im (either may be NULL). */
EMGKIT_API void emg_sos_freqz(const emg_sos *sos, double f, double fs, double *re, double *im);
/* |H| in dB at f Hz (-inf at an exact zero). */
EMGKIT_API double emg_sos_gain_db(const emg_sos *sos, double f, double fs);
/* Largest pole radius (< 1 for a stable filter). */
EMGKIT_API double emg_sos_max_pole_radius(const emg_sos *sos);
/* Initial state (2 values per section, transposed direct form II) that makes
 * the cascade's output start in steady state for a constant input of 1
 * (SciPy sosfilt_zi).  zi must hold 2 * n_sections values. */
EMGKIT_API void emg_sos_steady_state(const emg_sos *sos, double *zi);
/* Padding SciPy's sosfiltfilt uses by default: 3 * (2 * n_sections + 1 -
 * number of sections with b2 == 0 and a2 == 0). */
EMGKIT_API size_t emg_sos_default_padlen(const emg_sos *sos);

/* ------------------------------------------------------------------------ */
/* Causal IIR filter (streaming)                                             */
/* ------------------------------------------------------------------------ */

typedef struct emg_iirfilt emg_iirfilt;

/* Causal filter running the cascade sos (copied) in transposed direct form II,
 * starting from rest (zero state). */
EMGKIT_API int emg_iirfilt_create(emg_iirfilt **out, const emg_sos *sos, emg_error *err);
/* y[0..n) = filter(x[0..n)); x == y allowed; no allocation. */
EMGKIT_API void emg_iirfilt_execute(emg_iirfilt *f, const double *x, double *y, size_t n);
/* Zero state (rest). */
EMGKIT_API void emg_iirfilt_reset(emg_iirfilt *f);
/* State as if the input had been the constant x0 forever (no start-up
 * transient for a signal that begins at x0). */
EMGKIT_API void emg_iirfilt_set_steady(emg_iirfilt *f, double x0);
EMGKIT_API void emg_iirfilt_destroy(emg_iirfilt *f);

/* ------------------------------------------------------------------------ */
/* Zero-phase (forward-backward) filtering                                   */
/* ------------------------------------------------------------------------ */

/* Whole-array zero-phase filtering in place, equal to SciPy's
 * sosfiltfilt(sos, x, padtype='odd', padlen=padlen): odd extension of padlen
 * samples at each end, steady-state initial conditions for both passes.
 *   padlen  samples of extension; (size_t)-1 for SciPy's default
 *           (emg_sos_default_padlen).  Where n <= padlen (SciPy raises an
 *           error) padlen is reduced to n - 1.
 * Magnitude response |H|^2, no delay.  Allocates n + 2 padlen doubles. */
#define EMG_PADLEN_DEFAULT ((size_t)-1)
EMGKIT_API int emg_sosfiltfilt(const emg_sos *sos, double *x, size_t n, size_t padlen, emg_error *err);

/* Streaming zero-phase filter with the same result as emg_sosfiltfilt on the
 * whole signal, within a relative error of about 1e-12 of the signal's scale.
 * The backward pass of each segment starts `overlap` samples beyond the
 * segment, from where the influence of the unknown future has decayed below
 * 1e-13 (overlap = log(1e-13) / log(largest pole radius)).  Output lags input
 * by up to segment + overlap samples; memory is bounded by that, not by the
 * signal's length.  Usage: push blocks, pull whatever is available, call
 * finish at the end of the signal, then pull the rest. */
typedef struct emg_filtfilt emg_filtfilt;

/* padlen as for emg_sosfiltfilt (EMG_PADLEN_DEFAULT for SciPy's). */
EMGKIT_API int emg_filtfilt_create(emg_filtfilt **out, const emg_sos *sos, size_t padlen, emg_error *err);
/* Feed n samples.  May allocate (its buffers grow up to segment + overlap). */
EMGKIT_API int emg_filtfilt_push(emg_filtfilt *f, const double *x, size_t n, emg_error *err);
/* The input has ended: everything becomes available. */
EMGKIT_API int emg_filtfilt_finish(emg_filtfilt *f, emg_error *err);
/* The same for k filters at once, one signal each (x[i] to f[i], n samples
 * each): where four consecutive filters share one cascade and have been fed
 * alike, they run together in the lanes of one vector register (AVX2 with
 * FMA, chosen at run time), about three times faster, with the same output
 * bits as one by one. */
EMGKIT_API int emg_filtfilt_push_group(emg_filtfilt *const *f, size_t k, const double *const *x, size_t n,
                                       emg_error *err);
EMGKIT_API int emg_filtfilt_finish_group(emg_filtfilt *const *f, size_t k, emg_error *err);
/* Output samples ready to be pulled. */
EMGKIT_API size_t emg_filtfilt_available(const emg_filtfilt *f);
/* Copy up to max ready samples into y; returns how many. */
EMGKIT_API size_t emg_filtfilt_pull(emg_filtfilt *f, double *y, size_t max);
/* The ready samples where they lie, without a copy (*n of them; borrowed,
 * valid until the next push, finish or reset), and dropping the first n of
 * them once used: together, emg_filtfilt_pull without the copy. */
EMGKIT_API const double *emg_filtfilt_peek(const emg_filtfilt *f, size_t *n);
EMGKIT_API void emg_filtfilt_consume(emg_filtfilt *f, size_t n);
/* Samples of look-ahead the backward pass uses beyond each segment. */
EMGKIT_API size_t emg_filtfilt_overlap(const emg_filtfilt *f);
EMGKIT_API void emg_filtfilt_reset(emg_filtfilt *f);
EMGKIT_API void emg_filtfilt_destroy(emg_filtfilt *f);

/* ------------------------------------------------------------------------ */
/* Mains detection                                                           */
/* ------------------------------------------------------------------------ */

/* Decide whether x carries 50 Hz or 60 Hz mains interference.  Power is
 * measured (Goertzel, half-overlapping Hann segments of 1-4 s over at most the
 * first 60 s) at 50/60 Hz and their first four harmonics and at 2-6 Hz either
 * side of each.  A base is present when its fundamental stands at least 6 dB
 * above its neighbours; if both are, the one whose harmonics together stand
 * higher wins.
 *   x, n    at least 1 s of signal (fs samples); 8 s or more gives finer bins
 *   fs      sampling rate in Hz, > 120
 *   *freq   50, 60, or 0 when neither fundamental stands out by 6 dB
 *   *score_db  (may be NULL) the fundamental's excess in dB over its neighbours
 * Returns 0, or EMG_ERR_ARG when n < fs or fs <= 120. */
EMGKIT_API int emg_mains_detect(const double *x, size_t n, double fs, double *freq, double *score_db,
                                emg_error *err);

/* ------------------------------------------------------------------------ */
/* Whole-array operations                                                    */
/* ------------------------------------------------------------------------ */

/* Subtract the mean (scipy.signal.detrend(type='constant')). */
EMGKIT_API void emg_remove_dc(double *x, size_t n);
/* Subtract the least-squares line (scipy.signal.detrend(type='linear')). */
EMGKIT_API void emg_detrend_linear(double *x, size_t n);
/* Full-wave rectification |x|; x == y allowed. */
EMGKIT_API void emg_rectify(const double *x, double *y, size_t n);

/* ------------------------------------------------------------------------ */
/* Envelopes (streaming, causal)                                             */
/* ------------------------------------------------------------------------ */

typedef enum emg_envelope_type {
    EMG_ENVELOPE_RMS = 0,  /* sqrt(mean(x^2)) over a trailing window */
    EMG_ENVELOPE_ARV,      /* mean(|x|) over a trailing window (average rectified value) */
    EMG_ENVELOPE_LINEAR,   /* |x| then 2nd-order Butterworth low-pass (causal) */
    EMG_ENVELOPE_TKEO      /* Teager-Kaiser: x[n]^2 - x[n-1] x[n+1], output one sample late */
} emg_envelope_type;

typedef struct emg_envelope emg_envelope;

/* Streaming envelope.
 *   window  RMS and ARV: window length in s, >= 1/fs (rounded to whole samples);
 *           LINEAR: low-pass cut-off in Hz, 0 < window < fs/2; TKEO: ignored
 *   fs      sampling rate in Hz, > 0
 * The first window-1 outputs of RMS and ARV average over the samples seen so
 * far.  TKEO's output y[n] is the operator centred on x[n-1] (y[0] = 0);
 * emg_envelope_delay() tells how many samples late the output is. */
EMGKIT_API int emg_envelope_create(emg_envelope **out, emg_envelope_type type, double window, double fs,
                                   emg_error *err);
EMGKIT_API void emg_envelope_execute(emg_envelope *e, const double *x, double *y, size_t n);
EMGKIT_API void emg_envelope_reset(emg_envelope *e);
/* Output delay in samples (1 for TKEO, 0 for the others). */
EMGKIT_API size_t emg_envelope_delay(const emg_envelope *e);
EMGKIT_API void emg_envelope_destroy(emg_envelope *e);
/* "rms", "arv", "linear", "tkeo" <-> enum; parse returns EMG_ERR_ARG if unknown. */
EMGKIT_API const char *emg_envelope_name(emg_envelope_type type);
EMGKIT_API int emg_envelope_from_name(const char *name, emg_envelope_type *out, emg_error *err);

/* ------------------------------------------------------------------------ */
/* Filter chain: stages applied in order to one channel (streaming)          */
/* ------------------------------------------------------------------------ */

typedef enum emg_phase {
    EMG_PHASE_ZERO = 0,  /* forward-backward, no delay (default for offline work) */
    EMG_PHASE_CAUSAL     /* forward only, as a real-time system would see it */
} emg_phase;

typedef struct emg_chain emg_chain;

/* An empty chain for a channel sampled at fs Hz (> 0). */
EMGKIT_API int emg_chain_create(emg_chain **out, double fs, emg_error *err);
/* Append a Butterworth stage (arguments as emg_butter_design). */
EMGKIT_API int emg_chain_add_butter(emg_chain *c, emg_band type, int order, double f1, double f2,
                                    emg_phase phase, emg_error *err);
/* Append a mains notch comb (arguments as emg_notch_design, max_freq <= 0: fs/2).
 * f0 == 0 means auto: the stage buffers the first detect_seconds (> 1; 10 is
 * usual) of its input, runs emg_mains_detect on it, then notches what it found
 * (nothing when no mains is detected). */
EMGKIT_API int emg_chain_add_notch(emg_chain *c, double f0, double q, int n_harmonics, double max_freq,
                                   double detect_seconds, emg_phase phase, emg_error *err);
/* Append whole-signal mean removal or linear detrend.  These stages hold the
 * whole signal in memory and release it at emg_chain_finish(). */
EMGKIT_API int emg_chain_add_dc(emg_chain *c, emg_error *err);
EMGKIT_API int emg_chain_add_detrend(emg_chain *c, emg_error *err);
/* Append full-wave rectification. */
EMGKIT_API int emg_chain_add_rectify(emg_chain *c, emg_error *err);
/* Append an envelope (arguments as emg_envelope_create).  LINEAR follows
 * phase (zero-phase low-pass when EMG_PHASE_ZERO); TKEO is re-aligned so its
 * output is not delayed (the last sample uses x[n+1] = x[n]). */
EMGKIT_API int emg_chain_add_envelope(emg_chain *c, emg_envelope_type type, double window,
                                      emg_phase phase, emg_error *err);

/* The default surface-EMG chain (SENIAM / De Luca 2010 recommendations):
 * 4th-order Butterworth band-pass 20-450 Hz plus a mains notch comb at
 * `mains` Hz (50, 60, 0 = auto, < 0 = none) with harmonics up to the upper
 * band edge.  Low sampling rates: the upper edge is min(450, 0.9 * fs/2); if
 * that falls below 40 Hz the band-pass becomes a 20 Hz high-pass, and if
 * fs/2 * 0.9 <= 20 Hz there is no band filter at all.  Appended to c. */
EMGKIT_API int emg_chain_add_default(emg_chain *c, double mains, emg_phase phase, emg_error *err);

/* Feed n samples of the channel. */
EMGKIT_API int emg_chain_push(emg_chain *c, const double *x, size_t n, emg_error *err);
/* The channel has ended: all remaining output becomes available. */
EMGKIT_API int emg_chain_finish(emg_chain *c, emg_error *err);
/* The same for k chains at once, one signal each (x[i] to c[i], n samples
 * each): where four consecutive chains have the same zero-phase stage, fed
 * alike, it runs in the lanes of one vector register (as
 * emg_filtfilt_push_group), with the same output bits as one by one. */
EMGKIT_API int emg_chain_push_group(emg_chain *const *c, size_t k, const double *const *x, size_t n,
                                    emg_error *err);
EMGKIT_API int emg_chain_finish_group(emg_chain *const *c, size_t k, emg_error *err);
EMGKIT_API size_t emg_chain_available(const emg_chain *c);
/* Copy up to max output samples into y; returns how many.  Over the whole
 * signal the chain outputs exactly as many samples as it was given. */
EMGKIT_API size_t emg_chain_pull(emg_chain *c, double *y, size_t max);
/* Output samples where they lie, without a copy: *n of them (possibly fewer
 * than emg_chain_available; the rest follow once these are consumed),
 * borrowed until the next push, finish, consume or reset; then drop the first
 * n.  Together, emg_chain_pull without the copy. */
EMGKIT_API const double *emg_chain_peek(const emg_chain *c, size_t *n);
EMGKIT_API void emg_chain_consume(emg_chain *c, size_t n);
/* Whole array in place: reset, push, finish, pull. */
EMGKIT_API int emg_chain_apply(emg_chain *c, double *x, size_t n, emg_error *err);
EMGKIT_API void emg_chain_reset(emg_chain *c);
/* One line describing the stages, e.g.
 * "bandpass 20-450 Hz order 4 zero-phase; notch 50 Hz x9 Q 30 zero-phase". */
EMGKIT_API const char *emg_chain_describe(const emg_chain *c);
/* Mains frequency found by an auto notch stage: 50, 60, 0 (none found), or
 * -1 (no auto stage, or not yet decided). */
EMGKIT_API double emg_chain_detected_mains(const emg_chain *c);
EMGKIT_API void emg_chain_destroy(emg_chain *c);

#ifdef __cplusplus
}
#endif
#endif
