/* emgkit/label.h: labelling EMG activity with the spasm types of
 * docs/spasm-criteria.md (the decision procedure there, first match wins;
 * rule 5: an episode whose sustained and burst segments, decided on their
 * own, match two different spasm rules is "mixed").
 *
 * Pipeline per EMG channel (docs/methods/labelling.md):
 *   band-pass 20-450 Hz (zero-phase, no notch: detection must not see notch
 *   ringing; the rest level includes any hum) -> three RMS envelopes:
 *   fine (3 ms) for burst edges and single potentials, medium (20 ms) for
 *   beats and rhythm, coarse (50 ms) for amplitude and co-contraction ->
 *   rest level from the quietest 20 % of 1 s windows (median + k robust SD)
 *   -> bursts (fine) and episodes (activity separated by less than
 *   episode_gap) -> per-episode measures: duration, beats, burst rate
 *   (envelope autocorrelation peak in 1-20 Hz), interval CV, spikes per
 *   burst, phases of single potentials, amplitude over rest, rise time,
 *   median frequency (Welch PSD with the mains bins removed) -> with a
 *   partner channel: %COCON and the lag of the envelope cross-correlation ->
 *   rules.  Episodes of the same label on a channel separated by less than
 *   group_gap are reported as one event (a run of jerks or potentials).
 *
 * Where a rule needs an input that is missing (force channel, channel pair,
 * context), the event is labelled "unclassified" and the result says which
 * input would decide it (emg_label_result.missing). */
#ifndef EMGKIT_LABEL_H
#define EMGKIT_LABEL_H

#include <stddef.h>
#include "emgkit/error.h"
#include "emgkit/gaps.h"
#include "emgkit/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Recording contexts of the criteria page. */
typedef enum emg_context {
    EMG_CONTEXT_NONE = 0,
    EMG_CONTEXT_REST,
    EMG_CONTEXT_SLEEP,
    EMG_CONTEXT_EXERCISE,
    EMG_CONTEXT_MOVEMENT,
    EMG_CONTEXT_CNS_LESION,
    EMG_CONTEXT_ISCHEMIA,
    EMG_CONTEXT_HYPERVENTILATION,
    EMG_CONTEXT_INJURY
} emg_context;

const char *emg_context_name(emg_context c);
/* "rest", "sleep", ... ; EMG_ERR_ARG for anything else. */
int emg_context_from_name(const char *name, emg_context *out, emg_error *err);

#define EMG_LABEL_MAX_PAIRS 32
#define EMG_LABEL_MAX_FORCE 8

typedef struct emg_label_options {
    /* Pre-processing and activity. */
    double band_low, band_high; /* Hz (20, 450; upper edge clipped to 0.45 fs) */
    double fine_window;     /* s, burst edges (0.003) */
    double medium_window;   /* s, beats and rhythm (0.02) */
    double coarse_window;   /* s, amplitude and co-contraction (0.05) */
    double rest_k;          /* activity: envelope > rest median + rest_k robust SD (3) */
    double fine_k;          /* bursts on the fine envelope: median + fine_k robust SD (5) */
    double rest_window;     /* s (1) */
    double rest_fraction;   /* quietest fraction of windows (0.2) */
    double rest_from, rest_to; /* s; rest_to > rest_from: rest level from this interval */
    double min_active;      /* s, shortest active segment on the coarse envelope (0.02) */
    double min_amp;         /* episode kept only if its coarse peak exceeds min_amp x rest (1.5) */
    double burst_merge;     /* s, gaps inside one burst (0.015) */
    double burst_snr;       /* a burst's peak |x| must exceed this x the rest RMS (4) */
    double episode_gap;     /* s, bursts closer than this form one episode (0.6) */
    double gap_rise;        /* a longer gap whose RMS stays this fraction above the rest RMS
                               (and significantly so) does not end the episode: low-level
                               activity goes on under the threshold (0.1; 0 = off) */
    double group_gap;       /* s, runs of jerks, potentials or multiplets: same-label events
                               closer than this are one event (30; 0 = off) */
    double rhythm_group_gap; /* s, the same for rhythmic and sustained labels (1; 0 = off) */
    /* Rule 2: isolated potentials. */
    double transient_max;   /* s, a single potential is shorter (0.03) */
    int max_phases;         /* a single motor-unit potential has at most this many phases (5) */
    double sparse_rate;     /* isolated potentials: at most this many per second of episode (5) */
    double fasc_max_rate;   /* a run of fasciculations averages at most this many per second (2) */
    double train_cv;        /* regular single-unit train: interval CV <= this (0.05) */
    int multiplet_spikes;   /* tetanic multiplet: >= this many spikes (4) */
    double multiplet_isi;   /* s, longest interval inside a multiplet (0.03) */
    double tetanic_min;     /* s, multiplets recurring at least this long (20) */
    /* Rule 3: brief bursts. */
    double brief_max;       /* s, a brief burst lasts at most this (0.25) */
    int rhythm_min_bursts;  /* consecutive bursts for a rhythm (3) */
    double clonic_cv;       /* regular: interval CV below this (0.2) */
    double rhythm_r;        /* ... or envelope autocorrelation peak at least this (0.35) */
    double clonic_low, clonic_high;     /* Hz (3.5, 8) */
    double clonic_max_burst; /* s, clonic beats are 50-100 ms; longer ones are not clonus (0.15) */
    double ataxic_low, ataxic_high;     /* Hz (2, 5) */
    double dystonic_low, dystonic_high; /* Hz (4, 7) */
    double tremor_low, tremor_high;     /* Hz (8, 12); orthostatic 13-18 is also tremor */
    double myoclonic_amp;   /* a compound jerk's coarse peak is at least this x rest (6) */
    double myoclonic_max_rate; /* more irregular bursts per second than this are continuous
                                  activity, not jerks (6) */
    /* Rule 4: sustained activity. */
    double sustained_min;   /* s (1) */
    double cocon;           /* %COCON above this with the partner: together (50) */
    double together_lag;    /* s, |lag| of the envelope cross-correlation below this (0.05) */
    double modulation;      /* dystonic: share of the envelope's 1-20 Hz power at 4-7 Hz >= this
                               (0.15); without a pair, twice this leaves the event undecided */
    double partner_quiet;   /* partner active less than this fraction of the event: quiet (0.2) */
    double crosstalk;       /* partner whose level over rest is below this fraction of the
                               channel's is crosstalk, i.e. quiet (0.15) */
    double tonic_min, tonic_max; /* s, tonic plateau (25, 240) */
    double cramp_rise;      /* s, exercise context: a cramp rises faster than this ... (0.3) */
    double cramp_waxing;    /* ... or waxes and wanes at least this much (detrended CV, 0.09) */
    double strain_max_amp;  /* strain: coarse median over rest below this ratio (10) */
    double force_k;         /* force/MMG contraction: above rest median + force_k robust SD (5) */
    double mdf_low;         /* Hz, "low" median frequency (evidence only) (70) */
    double mains;           /* Hz for the MDF mains bins: 50, 60, 0 = detect, < 0 = none */
    /* Inputs. */
    emg_context context;    /* given: every event's context, overriding annotations;
                               EMG_CONTEXT_NONE: per event from the context annotations
                               overlapping it, else the recording-wide one, else unknown */
    size_t n_pairs;
    int pairs[EMG_LABEL_MAX_PAIRS][2]; /* 0-based agonist, antagonist */
    size_t n_force;
    int force[EMG_LABEL_MAX_FORCE];    /* 0-based force / MMG / accelerometer channels */
    int auto_roles;         /* 1: take roles from channel names when none are given (1) */
    int explain;            /* 1: fill emg_label_event.explain */
} emg_label_options;

void emg_label_options_init(emg_label_options *o);

/* Inputs whose absence left events unclassified (bit set). */
enum {
    EMG_LABEL_MISSING_FORCE = 1u,     /* ischemic needs a force/MMG channel */
    EMG_LABEL_MISSING_PAIR = 2u,      /* dystonic / ataxic need an agonist:antagonist pair */
    EMG_LABEL_MISSING_CONTEXT = 4u,   /* tonic / tetanic / cramp-vs-voluntary need a context */
    EMG_LABEL_MISSING_MOVEMENT = 8u   /* ataxic needs the movement context */
};
/* One sentence naming the input that would decide, for one missing bit. */
const char *emg_label_missing_text(unsigned bit);

typedef struct emg_label_event {
    double onset, duration;  /* s */
    int channel;             /* 0-based */
    int partner;             /* 0-based antagonist used, or -1 */
    char label[24];
    double confidence;       /* 0-1 */
    /* Evidence (NaN where not measured). */
    int n_bursts;            /* bursts (beats) in the event */
    double burst_duration;   /* s, median burst duration (fine envelope) */
    double burst_rate;       /* Hz, envelope autocorrelation peak in 1-20 Hz */
    double rhythm;           /* height of that autocorrelation peak (0-1) */
    double interval_cv;      /* CV of burst onset intervals */
    double cocon;            /* %COCON with the partner */
    double lag;              /* s, lag of the partner's envelope (cross-correlation peak) */
    double mdf;              /* Hz, median frequency after mains removal */
    double amp_over_rest;    /* coarse envelope peak / rest median */
    double rise_time;        /* s, 10-90 % rise of the coarse envelope at onset */
    int phases;              /* phases of the largest single potential (transients) */
    double spikes;           /* mean spikes per burst */
    char context[24];        /* the context the event was decided with */
    char rule[32];           /* which rule fired, e.g. "3a-rhythmic", "5-mixed:cramp+clonic" */
    char note[96];           /* e.g. "nocturnal", "cortical (<45 ms)" */
    char *explain;           /* rules tested and why, or NULL; owned */
} emg_label_event;

typedef struct emg_label_result {
    size_t n_events;
    emg_label_event *events;  /* sorted by onset */
    unsigned missing;         /* EMG_LABEL_MISSING_* bits */
    emg_context context_used; /* the global context (options or annotations) */
    char *unlabelled;         /* with options.explain: why each episode that is not an
                                 event got no label (noise, a regular single-unit train,
                                 crosstalk, the partner's view of an event...); owned */
    char *not_labelled;       /* one line per channel taken for another modality (EEG, EOG,
                                 ECG, respiration, motion...) or sampled too slowly for EMG,
                                 and why; NULL if none; owned */
    size_t n_channels;        /* of the header; gaps[c] for each */
    emg_gap_count *gaps;      /* non-finite samples of each labelled channel (gaps: no
                                 event spans one); owned */
} emg_label_result;

void emg_label_result_init(emg_label_result *r);
void emg_label_result_free(emg_label_result *r);

/* Label the EMG channels of rec (force channels are used as force, not
 * labelled).  Channels may have different rates. */
int emg_label_recording(emg_label_result *out, const emg_recording *rec,
                        const emg_label_options *opts, emg_error *err);

/* The same for a recording whose channels come one at a time (e.g. from an
 * emg_channel_store), so that only one channel is in memory: fetch sets
 * *data to the header's n_samples samples of channel (0-based); the samples
 * may live in the source's buffer and need to stay valid only until the next
 * fetch.  Each channel is fetched at most once, in order, then the force
 * channel. */
typedef int (*emg_label_fetch)(void *source, size_t channel, const double **data,
                               emg_error *err);
int emg_label_channels(emg_label_result *out, const emg_header *h, emg_label_fetch fetch,
                       void *source, const emg_label_options *opts, emg_error *err);

/* Context from annotations: the first annotation whose text is a context
 * name or "context=NAME" / "context: NAME"; else "context=NAME" in the
 * recording description.  EMG_CONTEXT_NONE if none. */
emg_context emg_context_from_annotations(const emg_header *h);

#ifdef __cplusplus
}
#endif
#endif
