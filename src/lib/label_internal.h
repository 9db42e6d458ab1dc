/* label_internal.h: the labeller's internal interfaces: what the
 * measurement stage (label_measure.c) hands to the decision stage, and the
 * pieces of that stage: vocabulary and rules (label_rules.c), rule 5
 * (label_mixed.c), partner muscle (label_partner.c), contexts
 * (label_context.c), explain text (label_text.c), events (label_events.c),
 * driven by label.c.  lab_decide is exposed for tests/unit/test_label_rules.c. */
#ifndef EMGKIT_LABEL_INTERNAL_H
#define EMGKIT_LABEL_INTERNAL_H

#include "emgkit/detect.h"
#include "emgkit/label.h"

/* Envelopes kept for cross-channel work are decimated to about this rate. */
#define LAB_ENV_RATE 200.0

/* A burst on the fine envelope (full-rate sample range). */
typedef struct lab_burst {
    size_t a, b;
    double peak;     /* largest |y| */
    int phases;      /* baseline crossings + 1 beyond the noise band */
    int spikes;      /* distinct peaks >= half the burst's peak, >= 2 ms apart */
    double spike_cv; /* CV of those peaks' sizes (one unit repeating: small) */
    int single;      /* looks like one motor-unit potential */
} lab_burst;

/* An episode: bursts and coarse activity closer than episode_gap. */
typedef struct lab_episode {
    size_t a, b;              /* full-rate samples */
    size_t first_burst, n_bursts;
    double duration;          /* s */
    double burst_duration;    /* s, median */
    double longest_burst;     /* s */
    double interval_cv, interval_rate; /* from burst onsets */
    double burst_rate, rhythm; /* envelope autocorrelation peak (Hz, height) */
    double rhythm_4_7;        /* share of the envelope's 1-20 Hz power at 4-7 Hz */
    double spectral_rate;     /* Hz, peak of the envelope spectrum at 1-20 Hz */
    double spectral_share;    /* share of the 1-20 Hz power within +-spectral_halfwidth of it */
    double duty;              /* fraction of the episode with the medium envelope active */
    double amp_over_rest;     /* coarse peak / rest median */
    double level_over_rest;   /* coarse median / rest median */
    double peak_snr;          /* largest burst peak (|y|) / the rest RMS (noise_rms) */
    int elevated;             /* RMS over the episode significantly above the rest RMS */
    double local_rest;        /* the rest around the episode over the channel's rest (>= 1):
                                 every "over rest" measure of the episode is over this much
                                 louder rest (lab_local_rest) */
    double rise_time;         /* s */
    double waxing;            /* CV of 0.5 s means of the coarse envelope (middle 80 %) */
    double mdf;               /* Hz */
    double rest_mdf;          /* Hz, the channel's rest (lab_channel.rest_mdf) */
    double single_fraction;   /* bursts that look like one motor-unit potential */
    double spikes;            /* mean spikes per burst */
    int max_phases;
    int multiplets;           /* bursts (or burst groups) with >= multiplet_spikes spikes
                                 of one size: one unit discharging repeatedly */
    double median_interval;   /* s, between major burst onsets */
    double sustained_share;   /* fraction of the episode in bursts longer than brief_max */
    double major_single_fraction; /* of the major bursts, those like one unit */
    size_t n_major;           /* bursts with a peak >= 1/4 of the episode's largest */
} lab_episode;

typedef struct lab_channel {
    int index;
    double fs;
    size_t n;
    size_t step;              /* decimation factor of the kept envelopes */
    size_t nd;                /* decimated length */
    float *coarse, *medium;   /* decimated envelopes, nd each (label_stream.c keeps only
                                 the current block's part resident) */
    double rest_coarse, rsd_coarse, thr_coarse;
    double rest_medium, rsd_medium, thr_medium;
    double rest_fine, rsd_fine, thr_fine;
    double win_rest, win_rsd; /* RMS of rest_window windows at rest (lab_window_rest) */
    double *win_edges;        /* running sum of y^2 at the start of each rest_window window
                                 of the whole channel (n_win + 1 values; pass 1) */
    size_t n_win, win_len;    /* whole windows, samples per window */
    double noise_rms;
    double rest_from, rest_to;
    double mains;
    double rest_mdf;          /* Hz, median frequency of the rest windows' Welch PSD */
    double band_high;         /* Hz, of the band-pass (needle EMG keeps more) */
    size_t *gaps;             /* [start, end) samples of each run of non-finite samples */
    size_t n_gaps;
    lab_burst *bursts;        /* those of the current block (label_stream.c) */
    size_t n_bursts;
    lab_episode *episodes;    /* those of the current block */
    size_t n_episodes;
} lab_channel;

/* A stretch [base, base + len) of a channel's full-rate signals, i for
 * channel sample base + i: the band-passed signal y, its fine and coarse
 * centred RMS envelopes (NaN in gaps) and the running sum of y^2 (prefix[i]:
 * over channel samples [0, base + i), len + 1 values). */
typedef struct lab_block {
    size_t base, len;
    const double *y, *fine, *coarse, *prefix;
} lab_block;

/* Measure one EMG channel's block (label_stream.c cuts the recording where
 * nothing before depends on anything after): bursts, episodes and their
 * own-channel measures, into ch->bursts and ch->episodes, from the block's
 * signals, the channel's levels and its decimated envelopes. */
int lab_measure_block(lab_channel *ch, const lab_block *blk, const emg_label_options *o,
                      emg_error *err);
/* Median and robust SD of the RMS of the quietest rest_window windows of w
 * samples (rest_fraction of them); edges[k] is the running sum of y^2 at the
 * start of window k (nw + 1 values). */
int lab_window_rest(double *median, double *rsd, const double *edges, size_t nw, size_t w,
                    const emg_label_options *o, emg_error *err);
/* The rest around samples [a, b) of the channel over its quiet rest (>= 1):
 * the local_rest_quantile of the RMS of the rest_window windows within
 * local_rest s before a and after b (not beyond a gap in the recording),
 * over win_rest when it stands more than rest_k robust SD above it, else 1
 * (also when off or without two windows around). */
double lab_local_rest(const lab_channel *ch, size_t a, size_t b, const emg_label_options *o);
/* The Welch PSD (segments as the episodes' median frequency: 128 ms Hann,
 * 50 % overlap) averaged over the rest windows, for the rest's median
 * frequency (label_stream.c feeds the chosen windows in pass 2). */
typedef struct lab_rest_spectrum {
    struct emg_psd_plan *plan;
    size_t seg, bins, n_segments;
    double *sum, *psd;
} lab_rest_spectrum;
int lab_rest_spectrum_open(lab_rest_spectrum *r, double fs, emg_error *err);
/* Add the segments of y[0..len) (none when len is under one segment). */
int lab_rest_spectrum_add(lab_rest_spectrum *r, const double *y, size_t len, emg_error *err);
/* Median frequency in [f_low, f_high] of the mean PSD, mains harmonics
 * removed as for the episodes; NaN without a segment. */
double lab_rest_spectrum_mdf(lab_rest_spectrum *r, double fs, double mains, double f_low,
                             double f_high);
void lab_rest_spectrum_close(lab_rest_spectrum *r);
/* A rest level's median and robust SD, floored so that a digitally silent
 * channel still gives a usable threshold. */
void lab_rest_floor(double *median, double *rsd, const emg_rest_level *r);
void lab_channel_free(lab_channel *ch);
/* Whether a gap of the channel's recording (emgkit/gaps.h) lies within
 * [t0, t1) seconds: no episode or event is joined across one. */
int lab_gap_between(const lab_channel *ch, double t0, double t1);
/* Recompute the episodes' single-unit fractions after bursts' `single`
 * flags changed (a burst synchronous with the partner muscle is compound). */
void lab_recount_singles(lab_channel *ch);

/* Measure the part [a, b) (full-rate samples) of episode parent as an
 * episode of its own, from the channel's kept bursts and envelopes. */
int lab_measure_part(lab_episode *part, const lab_channel *ch, const lab_episode *parent,
                     size_t a, size_t b, const emg_label_options *o, emg_error *err);

/* Force channel activity: [start, end) sample pairs where the force rises
 * above its rest level + force_k robust SD for at least 0.5 s. */
int lab_force_segments(size_t **seg, size_t *n_seg, const double *x, size_t n, double fs,
                       const emg_label_options *o, emg_error *err);

/* ---- label vocabulary (label_rules.c) ---------------------------------------- */

/* The labels of docs/spasm-criteria.md's vocabulary, the non-spasms a user
 * sees (voluntary, tremor) and "none" (no event): name as written in the
 * label table, and whether it names a spasm pattern (rule 5 mixes those). */
#define LAB_LABELS(X)                                                                             \
    X(LAB_NONE, "none", 0)                                                                        \
    X(LAB_UNCLASSIFIED, "unclassified", 0)                                                        \
    X(LAB_CRAMP, "cramp", 1)                                                                      \
    X(LAB_FASCICULATION, "fasciculation", 1)                                                      \
    X(LAB_TONIC, "tonic", 1)                                                                      \
    X(LAB_DYSTONIC, "dystonic", 1)                                                                \
    X(LAB_ISCHEMIC, "ischemic", 1)                                                                \
    X(LAB_CLONIC, "clonic", 1)                                                                    \
    X(LAB_MYOCLONIC, "myoclonic", 1)                                                              \
    X(LAB_ATAXIC, "ataxic", 1)                                                                    \
    X(LAB_TETANIC, "tetanic", 1)                                                                  \
    X(LAB_STRAIN, "strain", 1)                                                                    \
    X(LAB_MIXED, "mixed", 0)                                                                      \
    X(LAB_VOLUNTARY, "voluntary", 0)                                                              \
    X(LAB_TREMOR, "tremor", 0)

typedef enum lab_label {
#define LAB_ENUM(id, name, spasm) id,
    LAB_LABELS(LAB_ENUM)
#undef LAB_ENUM
    LAB_N_LABELS
} lab_label;

const char *lab_label_name(lab_label l);
/* A spasm pattern (not a non-spasm, not undecided, not mixed itself). */
int lab_label_is_spasm(lab_label l);

/* ---- text (label_text.c) ---------------------------------------------------- */

/* A growing string; with on == 0 every call is a no-op (no --explain). */
typedef struct lab_text {
    char *s;
    size_t len, cap;
    int on;
} lab_text;
void lab_printf(lab_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text as is (lab_printf cuts at 512 characters), each line prefixed. */
void lab_indent(lab_text *b, const char *text, const char *prefix);
/* Copy src (NULL: "") into the n-byte field dst, truncated. */
void lab_set_str(char *dst, size_t n, const char *src);

/* ---- contexts (label_context.c) --------------------------------------------- */

/* Per-event context.  The context annotations are read once into a table;
 * an event's context is, in this order of precedence:
 *   1. the options' (--context) when given: it overrides every annotation;
 *   2. the annotations that overlap the event: at each instant the innermost
 *      (shortest) context span covering it, else the last instant (zero-length)
 *      context annotation before it; the event takes the context that holds
 *      for the largest share of its time (an event straddling the edge of a
 *      span takes the span's context when most of it lies inside);
 *   3. the recording-wide context (emg_context_from_annotations) where no
 *      annotation applies.
 * An annotation tied to a channel applies to that channel's events only. */
typedef struct lab_ctx_span {
    double onset, duration; /* duration 0: from onset on */
    int channel;            /* -1: every channel */
    emg_context context;
} lab_ctx_span;

typedef struct lab_ctx_table {
    lab_ctx_span *spans;
    size_t n;
    emg_context forced; /* --context, or EMG_CONTEXT_NONE */
    emg_context global; /* recording-wide fallback */
} lab_ctx_table;

int lab_ctx_build(lab_ctx_table *t, const emg_header *h, const emg_label_options *o,
                  emg_context global, emg_error *err);
void lab_ctx_free(lab_ctx_table *t);
/* Context of an event on channel c over [t0, t1): the precedence above. */
emg_context lab_context_over(const lab_ctx_table *t, int c, double t0, double t1);

/* ---- envelope modulation (label_measure.c) --------------------------------- */

/* The band of the decimated envelope's modulation that the rhythm measures
 * read (Hz): below 1 Hz is the slow course of force that the 1 s detrending
 * removes, above 20 Hz no clonus or tremor beats.  Its power is summed at
 * fixed steps: 0.5 Hz for the 4-7 Hz shares (rhythm_4_7, the pair's common
 * drive), 0.25 Hz for the spectral peak (LAB_PEAK_BINS frequencies). */
#define LAB_MOD_LOW_HZ 1.0
#define LAB_MOD_HIGH_HZ 20.0
#define LAB_MOD_STEP_HZ 0.5
#define LAB_PEAK_STEP_HZ 0.25
enum { LAB_PEAK_BINS = 77 }; /* (LAB_MOD_HIGH_HZ - LAB_MOD_LOW_HZ) / LAB_PEAK_STEP_HZ + 1 */

/* How many frequencies LAB_MOD_LOW_HZ + k * step, k = 0, 1, ..., reach up to
 * LAB_MOD_HIGH_HZ (included). */
size_t lab_mod_bins(double step);
/* v[i] = x[i] minus the centred 1 s moving mean of x (n samples at dfs Hz;
 * shorter windows at the edges): the slow course of force leaves, the
 * 1-20 Hz modulation stays.  v and x must not overlap. */
void lab_detrend(double *v, const float *x, size_t n, double dfs);
/* Power of the n samples v at f Hz (sampled at dfs Hz), Goertzel's
 * recurrence. */
double lab_goertzel_power(const double *v, size_t n, double f, double dfs);

/* ---- partner muscle (label_partner.c) --------------------------------------- */

typedef struct lab_partner {
    int index;            /* channel, -1 none */
    double active;        /* fraction of the episode with its coarse envelope active */
    double self_active;   /* the same for this channel (both sides of the relation) */
    double cocon;         /* % */
    double lag;           /* s, partner relative to this channel (positive: partner later) */
    double r0, rmax;      /* correlation at zero lag and at the peak */
    double level;         /* partner's median coarse envelope over its rest level */
    double drive_r;       /* in-phase correlation of the two detrended envelopes at 4-7 Hz */
    double drive;         /* share of their 1-20 Hz modulation common and in phase at 4-7 Hz */
} lab_partner;

/* The partner p's measures over [t0, t1) s of channel c (lags up to partner_max_lag s). */
void lab_partner_measures(lab_partner *pi, const lab_channel *c, const lab_channel *p,
                          double t0, double t1, const emg_label_options *o);
/* The other channel of c's pair, or -1. */
int lab_partner_of(const emg_label_options *o, int c);
/* Bursts seen in both muscles of a pair at once are compound, not single units. */
void lab_mark_synchronous(lab_channel *chs, const emg_label_options *o);

/* ---- events (label_events.c) ------------------------------------------------ */

/* An event as the labeller builds it: what is reported, and what grouping
 * and the cross-channel checks need besides. */
typedef struct lab_event {
    emg_label_event ev;
    lab_label label;   /* ev.label as a vocabulary entry */
    int episodes;      /* episodes grouped into this event */
    int dropped;       /* reported with another event (lab_compact_events removes it) */
} lab_event;

typedef struct lab_ev_list {
    lab_event *ev;
    size_t n, cap;
} lab_ev_list;

/* A new event with its evidence NaN (not measured); NULL when out of memory. */
lab_event *lab_ev_push(lab_ev_list *l, emg_error *err);
/* Set the event's label (the enum and the reported string). */
void lab_event_label(lab_event *e, lab_label label);
/* Hand the events over as the public array (*events, *n; the list is
 * emptied); < 0 when out of memory. */
int lab_ev_release(lab_ev_list *l, emg_label_event **events, size_t *n, emg_error *err);
void lab_ev_free(lab_ev_list *l);

/* ---- rules (label_rules.c) -------------------------------------------------- */

typedef struct lab_decision {
    lab_label label;
    const char *rule;
    char note[48];
    double confidence;
    unsigned missing;
} lab_decision;

/* Rules 2-4 for one episode e (or part of one) with its partner's measures
 * and its context; the reasons go to x. */
void lab_decide(lab_decision *d, const lab_episode *e, const lab_partner *pi, emg_context ctx,
                const emg_label_options *o, lab_text *x);
/* Decide the span [t0, t1) s of channel c, measured as e: the partner p's
 * measures over the span (pi), the context holding over it, then the rules.
 * Returns that context. */
emg_context lab_decide_span(lab_decision *d, lab_partner *pi, const lab_episode *e,
                            const lab_channel *chs, int c, int p, double t0, double t1,
                            const lab_ctx_table *ctxt, const emg_label_options *o, lab_text *x);
/* Rule 1: force segments during which the EMG stays silent, as ischemic events. */
int lab_ischemic_events(lab_ev_list *l, const emg_header *h, const double *force,
                        const lab_channel *chs, const int *is_emg, int force_c,
                        const emg_label_options *o, const lab_ctx_table *ctxt, unsigned *missing,
                        emg_error *err);
/* The origin a jerk's burst duration suggests, into note (of n bytes). */
/* Whether the episode [t0, t1) s of a recording lasting total s is a filter
 * transient at its edge (edge_guard). */
int lab_is_edge_transient(double t0, double t1, double total, const emg_label_options *o);
void lab_myoclonic_origin(char *note, size_t n, double burst_duration,
                          const emg_label_options *o);

/* ---- rule 5 (label_mixed.c) ------------------------------------------------- */

/* 1 when the episode's segments match two or more spasm rules (mix filled),
 * 0 when not, < 0 on error. */
int lab_mixed_patterns(emg_label_event *mix, const lab_episode *e, const lab_channel *chs,
                       int c, int p, const lab_ctx_table *ctxt, const emg_label_options *o,
                       lab_text *x, emg_error *err);

/* ---- the recording read block by block (label_stream.c) -------------------- */

typedef struct lab_source {
    emg_label_read read;
    void *source;
} lab_source;

/* Passes 1 and 2 over EMG channel ch (index, fs, n, step, nd and band_high
 * set; at least 16 samples): its gaps (also counted in gaps), mains, rest
 * levels and thresholds.  force[0..2 n_force): [t0, t1) s of the force
 * segments, over which ch->coarse is kept for rule 1 (lab_ischemic_events). */
int lab_stream_levels(lab_channel *ch, const lab_source *src, const double *force,
                      size_t n_force, const emg_label_options *o, emg_gap_count *gaps,
                      emg_error *err);
/* Called when a block of a group's channels is measured (their bursts and
 * episodes in chs[group[k]], synchronous bursts marked): decide them. */
typedef int (*lab_block_fn)(void *ctx, lab_channel *chs, const int *group, size_t n_group,
                            emg_error *err);
/* Pass 3 over the channels chs[group[0..n_group)] together (a pair), block by
 * block within about budget bytes; done after each block; blocks that had to
 * end inside activity are added to *forced_cuts. */
int lab_stream_group(lab_channel *chs, const int *group, size_t n_group, const lab_source *src,
                     const emg_label_options *o, size_t budget, lab_block_fn done, void *ctx,
                     size_t *forced_cuts, emg_error *err);
/* lab_channel_free for a channel whose envelopes label_stream.c allocated. */
void lab_stream_free(lab_channel *ch);

/* ---- grouping and cross-channel checks (label_events.c) --------------------- */

/* Same-label episodes on a channel closer than their label's gap: one event
 * (list sorted by channel, then onset). */
int lab_group_events(lab_ev_list *l, const lab_channel *chs, const emg_label_options *o,
                     emg_error *err);
void lab_drop_partner_duplicates(lab_ev_list *l, const emg_label_options *o,
                                 const emg_header *h, lab_text *unlabelled);
void lab_drop_crosstalk(lab_ev_list *l, const emg_label_options *o, const emg_header *h,
                        lab_text *unlabelled);
void lab_merge_across_channels(lab_ev_list *l, const emg_header *h, lab_text *unlabelled);
/* Remove the events the three filters above dropped. */
void lab_compact_events(lab_ev_list *l);
/* Checks on whole runs: too dense for fasciculations, too short for tetany. */
void lab_finish_events(lab_ev_list *l, const lab_ctx_table *ctxt, const emg_label_options *o);
void lab_sort_by_channel(lab_ev_list *l);
void lab_sort_by_onset(lab_ev_list *l);

#endif
