/* emgkit/features.h: per-window EMG features (time and frequency domain),
 * window quality flags, and a streaming engine that cuts a recording into
 * windows and computes the features channel by channel (optionally on
 * several threads).
 *
 * Definitions and references: docs/methods/features.md (Hudgins et al. 1993;
 * Phinyomark et al. 2012; Khushaba et al. 2012; Dimitrov et al. 2006;
 * Hjorth 1970; libemg, Eddy et al. 2023).
 *
 * Units: amplitude features are in the signal's physical unit (rms, mav, ...),
 * var and powers in unit^2, integrated features in unit*s, counts are counts
 * per window, frequencies in Hz, PSD in unit^2/Hz. */
#ifndef EMGKIT_FEATURES_H
#define EMGKIT_FEATURES_H

#include "emgkit/export.h"

#include <stddef.h>
#include "emgkit/error.h"
#include "emgkit/gaps.h"
#include "emgkit/recording.h"
#include "emgkit/io.h"
#include "emgkit/spectrum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- catalogue ---------------------------------------------------------- */

/* Features are identified by an index into a fixed catalogue.  Names are
 * lower case ("rms", "mdf", "fi_nsm5", "ar1", "bp_20_50"...). */
EMGKIT_API size_t emg_feature_count(void);
EMGKIT_API const char *emg_feature_name(size_t id);
EMGKIT_API const char *emg_feature_description(size_t id);
/* 1 when the feature needs the window's power spectrum. */
EMGKIT_API int emg_feature_is_spectral(size_t id);
/* Index of a feature by name (case-insensitive), or -1. */
EMGKIT_API int emg_feature_find(const char *name);

/* Parse a comma-separated list of feature names, or the groups "all",
 * "time", "freq", "default" (rms mav wl zc ssc wamp mnf mdf snr_db ... ),
 * "fatigue" (rms mnf mdf fi_nsm5 snr_db).  *ids is malloc'd; caller frees. */
EMGKIT_API int emg_feature_list_parse(const char *spec, size_t **ids, size_t *n, emg_error *err);

/* ---- options ------------------------------------------------------------ */

typedef struct emg_feature_options {
    double zc_threshold;    /* physical units; a crossing counts if |x[i]-x[i+1]| >= this */
    double ssc_threshold;   /* physical units^2: (x_i-x_{i-1})(x_i-x_{i+1}) >= this */
    double wamp_threshold;  /* physical units: |x[i]-x[i+1]| > this */
    double band_low;        /* Hz, frequency features use [band_low, band_high] */
    double band_high;       /* Hz, clipped at Nyquist; <= 0 means Nyquist */
    /* Window quality.  noise_rms: RMS of the background noise in physical units
     * (0 = unknown: snr_db is NaN and rest/low-SNR flags are not set by the
     * extractor; the engine can estimate it, see emg_window_options). */
    double noise_rms;
    double rest_snr_db;     /* window is "rest" when snr_db < this (default 6 dB) */
    double min_snr_db;      /* window is "low_snr" when snr_db < this (default 10 dB, MNF unreliable) */
    double clip_high;       /* |x| >= clip level counts as clipped (physical units); 0 = off */
    double clip_low;        /*   lower rail (e.g. ADC minimum); used when clip_high != 0 */
    double clip_fraction;   /* window "clipped" when more than this fraction hits a rail (0.001) */
    double flat_rms;        /* window "flat" when RMS <= this (0: exactly constant) */
} emg_feature_options;
#define EMG_FEATURE_OPTIONS_INIT {0.0, 0.0, 0.0, 20.0, 450.0, 0.0, 6.0, 10.0, 0.0, 0.0, 0.001, 0.0}
EMGKIT_API void emg_feature_options_init(emg_feature_options *o); /* the same, as a function */

/* Window quality flags (bit set). */
enum {
    EMG_WINDOW_REST = 1u,     /* muscle at rest: snr_db below rest_snr_db */
    EMG_WINDOW_CLIPPED = 2u,  /* samples at the ADC rails */
    EMG_WINDOW_FLAT = 4u,     /* constant (disconnected electrode, dropout) */
    EMG_WINDOW_LOW_SNR = 8u,  /* snr_db below min_snr_db: spectral features unreliable */
    EMG_WINDOW_GAP = 16u      /* a non-finite sample (a gap, emgkit/gaps.h): every feature n/a */
};
/* Flags that leave a window out of fits and contraction finding by default. */
#define EMG_WINDOW_UNUSABLE (EMG_WINDOW_REST | EMG_WINDOW_CLIPPED | EMG_WINDOW_FLAT | \
                             EMG_WINDOW_LOW_SNR | EMG_WINDOW_GAP)
/* "rest,clipped" style text for flags; "ok" when none.  buf >= 40 bytes. */
EMGKIT_API const char *emg_window_flags_text(unsigned flags, char *buf, size_t n);

/* ---- spectral statistics (usable on any one-sided PSD) ------------------ */

typedef struct emg_spectral_stats {
    double total_power; /* in-band power: sum P(f) df (unit^2) */
    double mnf;         /* mean frequency: sum f P / sum P (Hz) */
    double mdf;         /* median frequency, linearly interpolated inside the bin (Hz) */
    double peak_freq;   /* frequency of the largest in-band bin (Hz) */
    double moment[7];   /* spectral moments M_k = sum f^k P(f) df, k = -1..5, at moment[k + 1] */
    double fi_nsm5;     /* Dimitrov FInsm5 = M_-1 / M_5 (Hz^-6) */
    double entropy;     /* Shannon entropy of the normalised in-band PSD, / log(N bins), 0..1 */
} emg_spectral_stats;

/* Spectral moment of order k (-1..5) from emg_spectral_stats.moment. */
#define EMG_SPECTRAL_MOMENT(stats, k) ((stats)->moment[(k) + 1])

/* Statistics of psd[0..bins) with bin spacing df over [f_low, f_high] Hz.
 * The DC bin is excluded from M_-1.  Bins are weighted whole (bin k covers
 * [k df - df/2, k df + df/2]); the median splits the cumulative in-band power
 * in two halves, interpolated linearly within the bin where it crosses. */
EMGKIT_API void emg_spectral_stats_compute(emg_spectral_stats *out, const double *psd, size_t bins,
                                           double df, double f_low, double f_high);
/* Power in [f_low, f_high) Hz (sum P df). */
EMGKIT_API double emg_band_power(const double *psd, size_t bins, double df, double f_low, double f_high);

/* ---- per-window extractor ----------------------------------------------- */

typedef struct emg_feature_extractor emg_feature_extractor;

typedef enum emg_spectrum_method {
    EMG_SPECTRUM_WELCH = 0,   /* Welch with segment/overlap below */
    EMG_SPECTRUM_PERIODOGRAM  /* one tapered segment as long as the window */
} emg_spectrum_method;

typedef struct emg_spectrum_options {
    emg_spectrum_method method;
    emg_taper taper;
    double taper_alpha;   /* Tukey alpha */
    size_t segment;       /* Welch segment length in samples (0: 256, or the window if shorter) */
    size_t overlap;       /* Welch overlap in samples ((size_t)-1: segment/2) */
} emg_spectrum_options;
#define EMG_SPECTRUM_OPTIONS_INIT {EMG_SPECTRUM_WELCH, EMG_TAPER_HANN, 0.5, 0, (size_t)-1}
EMGKIT_API void emg_spectrum_options_init(emg_spectrum_options *o); /* the same, as a function */

/* An extractor for windows of `window` samples at fs Hz computing features
 * ids[0..n_ids).  Owns its FFTW plans and buffers: use one per thread. */
EMGKIT_API int emg_feature_extractor_create(emg_feature_extractor **out, double fs, size_t window,
                                            const size_t *ids, size_t n_ids,
                                            const emg_feature_options *opts,
                                            const emg_spectrum_options *spec, emg_error *err);
EMGKIT_API void emg_feature_extractor_destroy(emg_feature_extractor *fx);

/* Compute the features of x[0..window) into values[0..n_ids) and the window's
 * flags.  start is the window's absolute first sample (it lets the Welch
 * segment cache reuse segments shared with earlier windows; pass -1 to
 * disable reuse).  Features that cannot be computed are NaN. */
EMGKIT_API int emg_feature_extractor_run(emg_feature_extractor *fx, const double *x, long long start,
                                         double *values, unsigned *flags, emg_error *err);
/* Tell the extractor that windows advance by `step` samples, so that Welch
 * segments shared by overlapping windows are transformed once (see
 * emg_welch_cache); run() must then get the absolute start of each window. */
EMGKIT_API int emg_feature_extractor_set_step(emg_feature_extractor *fx, size_t step, emg_error *err);
/* Mean square of the last window (for noise-floor estimation). */
EMGKIT_API double emg_feature_extractor_last_power(const emg_feature_extractor *fx);
/* The PSD of the last window (borrowed) and its bin count and spacing. */
EMGKIT_API const double *emg_feature_extractor_last_psd(const emg_feature_extractor *fx, size_t *bins,
                                                        double *df);

/* Individual time-domain features on x[0..n) (for callers outside the extractor). */
EMGKIT_API double emg_feat_rms(const double *x, size_t n);
EMGKIT_API double emg_feat_mav(const double *x, size_t n);
EMGKIT_API double emg_feat_wl(const double *x, size_t n);
EMGKIT_API double emg_feat_zc(const double *x, size_t n, double threshold);
EMGKIT_API double emg_feat_ssc(const double *x, size_t n, double threshold);
EMGKIT_API double emg_feat_wamp(const double *x, size_t n, double threshold);

/* ---- streaming window engine -------------------------------------------- */

/* An optional per-channel stage run on each channel's samples before the
 * windows are cut (e.g. the filter chain), inside the worker thread of that
 * channel.  process() gets n new samples and returns through out and n_out the
 * samples it can release now (borrowed until its next call; may lag the
 * input); flush() releases the rest at the end of the input. */
typedef struct emg_channel_stage {
    void *(*create)(void *ctx, size_t channel, double fs, emg_error *err);
    int (*process)(void *state, const double *in, size_t n, const double **out, size_t *n_out,
                   emg_error *err);
    int (*flush)(void *state, const double **out, size_t *n_out, emg_error *err);
    void (*destroy)(void *state);
    void *ctx;
    /* Optional (NULL: one channel at a time): process and flush for k
     * channels' states at once, each given the same n samples (in[i] for
     * states[i]; out[i] and n_out[i] as process and flush return them), so
     * that a stage can run channels side by side in vector lanes.  The engine
     * hands groups of consecutive channels to one worker when it has these. */
    int (*process_group)(void *const *states, size_t k, const double *const *in, size_t n,
                         const double **out, size_t *n_out, emg_error *err);
    int (*flush_group)(void *const *states, size_t k, const double **out, size_t *n_out,
                       emg_error *err);
} emg_channel_stage;

/* A stage that filters each channel with the filter module (include/emgkit/
 * filter.h): a 4th-order Butterworth band-pass band_low-band_high (defaults
 * 20 and 450 Hz, the upper edge clipped to 0.9 Nyquist as in
 * emg_chain_add_default) followed by a mains notch comb (Q 30) at `mains` Hz
 * with notch_harmonics notches (0: every harmonic up to the band's top), the
 * whole cascade run zero-phase (emg_filtfilt) or causal.  mains: 50, 60,
 * 0 = detect (runs emg_chain_add_default), < 0 = no notch.  The options
 * struct is borrowed by the stage and must outlive the engine. */
typedef struct emg_filter_stage_options {
    double band_low, band_high;
    double mains;
    int notch_harmonics;
    int causal;
} emg_filter_stage_options;
#define EMG_FILTER_STAGE_OPTIONS_INIT {0.0, 0.0, 50.0, 0, 0}
EMGKIT_API void emg_filter_stage_options_init(emg_filter_stage_options *o); /* as a function */
EMGKIT_API void emg_channel_stage_filter(emg_channel_stage *stage, const emg_filter_stage_options *opts);

typedef struct emg_window_options {
    double window_s;       /* window length in seconds (default 1) */
    double step_s;         /* step in seconds (default 0.5) */
    int threads;           /* worker threads over channels (1 = in the caller's thread) */
    /* noise floor: when opts.noise_rms is 0, estimate it per channel at the end
     * as the quietest windows' RMS (5th percentile of window power) and apply
     * snr_db / rest / low_snr in emg_window_engine_finish(). */
    int estimate_noise;
} emg_window_options;
#define EMG_WINDOW_OPTIONS_INIT {1.0, 0.5, 1, 1}
EMGKIT_API void emg_window_options_init(emg_window_options *o); /* the same, as a function */

/* One computed window: index k starts at k*step_s seconds. */
typedef struct emg_window_result {
    size_t window;     /* window index */
    size_t channel;    /* 0-based channel index in the header */
    double onset;      /* seconds */
    double duration;   /* seconds */
    const double *values; /* n_ids values, borrowed for the callback */
    unsigned flags;
    double power;      /* mean square of the window (unit^2) */
} emg_window_result;

/* Called in window order (then channel order), from the caller's thread:
 * a block's windows during the next emg_window_engine_push (while the worker
 * threads run that block) or in emg_window_engine_finish.  A negative return
 * stops the engine and is passed on. */
typedef int (*emg_window_emit)(void *ctx, const emg_window_result *w);

typedef struct emg_window_engine emg_window_engine;

/* hdr: the recording's header (channels, rates); stage may be NULL.  Fails
 * (EMG_ERR_ARG) only when no channel at all can be analysed. */
EMGKIT_API int emg_window_engine_create(emg_window_engine **out, const emg_header *hdr,
                                        const size_t *ids, size_t n_ids, const emg_feature_options *fopts,
                                        const emg_spectrum_options *sopts, const emg_window_options *wopts,
                                        const emg_channel_stage *stage, emg_window_emit emit, void *ctx,
                                        emg_error *err);
/* Feed one block (all channels, as returned by emg_reader_read). */
EMGKIT_API int emg_window_engine_push(emg_window_engine *e, const emg_block *blk, emg_error *err);
/* End of input: flush stages, emit the remaining windows.  When the noise
 * floor is estimated, rows are held (in a temporary file, not memory) until
 * here so that snr_db and flags can use the whole recording's floor. */
EMGKIT_API int emg_window_engine_finish(emg_window_engine *e, emg_error *err);
/* Channels that cannot be analysed with these options (fewer than 8 samples
 * per window, or an empty frequency band at their rate) are left out: no
 * rows.  Returns why, or NULL for a channel that is analysed. */
EMGKIT_API const char *emg_window_engine_skipped(const emg_window_engine *e, size_t channel);
/* Give one channel's noise RMS (> 0) instead of estimating it from this
 * input (e.g. the floor of the whole recording when only a range of it is
 * analysed); call before the first push.  Only with the estimate on
 * (emg_window_options.estimate_noise, no emg_feature_options.noise_rms). */
EMGKIT_API void emg_window_engine_set_noise_rms(emg_window_engine *e, size_t channel, double noise_rms);
/* Estimated (or given) noise RMS of a channel after finish; NaN if unknown. */
EMGKIT_API double emg_window_engine_noise_rms(const emg_window_engine *e, size_t channel);
/* Non-finite samples (gaps) seen so far in a channel's input: how many and
 * where the first was (emgkit/gaps.h); a tool warns with emg_gap_warning(). */
EMGKIT_API emg_gap_count emg_window_engine_gaps(const emg_window_engine *e, size_t channel);
EMGKIT_API void emg_window_engine_destroy(emg_window_engine *e);

/* Convenience: run the engine over a whole reader. */
EMGKIT_API int emg_window_engine_run(emg_window_engine *e, emg_reader *r, emg_error *err);

/* ---- HDF5 feature tables ------------------------------------------------ */

/* A table as HDF5: in group `group` ("features", "spectrum"), one 1-D
 * dataset per column (float64; "channel" and "flags" int32), channel_names,
 * and attributes "columns" and (with a flags column) "flag_bits".  Written
 * under a temporary name and renamed by emg_table_h5_close() (abort removes it). */
typedef struct emg_table_h5 emg_table_h5;
EMGKIT_API int emg_table_h5_open(emg_table_h5 **out, const char *path, const char *group,
                                 size_t n_columns, const char *const *columns,
                                 const char *const *channel_names, size_t n_channels, emg_error *err);
/* One row of n_columns values (channel as its 0-based index, flags as bits). */
EMGKIT_API int emg_table_h5_append(emg_table_h5 *t, const double *row, emg_error *err);
/* Write what is buffered, close and move into place.  Frees t. */
EMGKIT_API int emg_table_h5_close(emg_table_h5 *t, emg_error *err);
EMGKIT_API void emg_table_h5_abort(emg_table_h5 *t);

#ifdef __cplusplus
}
#endif
#endif
