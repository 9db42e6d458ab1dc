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

#include "emgkit/export.h"

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

EMGKIT_API const char *emg_context_name(emg_context c);
/* "rest", "sleep", ... ; EMG_ERR_ARG for anything else. */
EMGKIT_API int emg_context_from_name(const char *name, emg_context *out, emg_error *err);

#define EMG_LABEL_MAX_PAIRS 32
#define EMG_LABEL_MAX_FORCE 8

typedef struct emg_label_options {
    /* Every numeric threshold of the rules, one field per entry of
     * emgkit/label_params.def (its default, unit, the rule that uses it and
     * where the value comes from). */
#define EMG_LABEL_PARAM(type, field, option, def, unit, rule, source, help) type field;
#include "emgkit/label_params.def"
#undef EMG_LABEL_PARAM
    /* Pre-processing. */
    double band_low, band_high; /* Hz (20, 450; upper edge clipped to 0.45 fs) */
    double rest_from, rest_to; /* s; rest_to > rest_from: rest level from this interval */
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

EMGKIT_API void emg_label_options_init(emg_label_options *o);

/* One entry of emgkit/label_params.def, for tools and documents that list
 * the thresholds (emg-label's options and --help, the man page, the table of
 * docs/methods/labelling.md). */
typedef struct emg_label_param {
    const char *option;  /* long option, without "--" */
    const char *unit;    /* "s", "Hz", ... or "" */
    const char *rule;    /* the rule or stage that uses it */
    const char *source;  /* where the default comes from */
    const char *help;    /* one line */
    double def;          /* default */
    int is_int;          /* the field is an int, else a double */
    size_t offset;       /* offsetof(emg_label_options, field) */
} emg_label_param;

enum {
    EMG_LABEL_N_PARAMS = 0
#define EMG_LABEL_PARAM(type, field, option, def, unit, rule, source, help) +1
#include "emgkit/label_params.def"
#undef EMG_LABEL_PARAM
};

/* The EMG_LABEL_N_PARAMS entries, in the order of the table; *n set if n. */
EMGKIT_API const emg_label_param *emg_label_params(size_t *n);

/* Inputs whose absence left events unclassified (bit set). */
enum {
    EMG_LABEL_MISSING_FORCE = 1u,     /* ischemic needs a force/MMG channel */
    EMG_LABEL_MISSING_PAIR = 2u,      /* dystonic / ataxic need an agonist:antagonist pair */
    EMG_LABEL_MISSING_CONTEXT = 4u,   /* tonic / tetanic / cramp-vs-voluntary need a context */
    EMG_LABEL_MISSING_MOVEMENT = 8u   /* ataxic needs the movement context */
};
/* One sentence naming the input that would decide, for one missing bit. */
EMGKIT_API const char *emg_label_missing_text(unsigned bit);

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
    size_t forced_cuts;       /* emg_label_stream: blocks that had to end inside activity */
} emg_label_result;

EMGKIT_API void emg_label_result_init(emg_label_result *r);
EMGKIT_API void emg_label_result_free(emg_label_result *r);

/* Label the EMG channels of rec (force channels are used as force, not
 * labelled).  Channels may have different rates. */
EMGKIT_API int emg_label_recording(emg_label_result *out, const emg_recording *rec,
                                   const emg_label_options *opts, emg_error *err);

/* The same for a recording whose channels come one at a time (e.g. from an
 * emg_channel_store): fetch sets *data to the header's n_samples samples of
 * channel (0-based); the samples may live in the source's buffer and need
 * to stay valid only until the next fetch.  A channel may be fetched
 * several times (emg_label_stream reads it in three passes). */
typedef int (*emg_label_fetch)(void *source, size_t channel, const double **data,
                               emg_error *err);
EMGKIT_API int emg_label_channels(emg_label_result *out, const emg_header *h, emg_label_fetch fetch,
                                  void *source, const emg_label_options *opts, emg_error *err);

/* Samples [first, first + count) of channel (0-based) into dst; 0 or a
 * negative status. */
typedef int (*emg_label_read)(void *source, size_t channel, size_t first, size_t count,
                              double *dst, emg_error *err);
/* The memory budget of emg_label_recording and emg_label_channels. */
#define EMG_LABEL_MEMORY_DEFAULT ((size_t)128 << 20)
/* emg_label_channels on a recording read piece by piece, within about
 * memory_budget bytes (at least 20 s of every channel of a pair): each EMG
 * channel is read three times through the streaming band-pass (its rest
 * levels, then its rest statistics, then bursts and episodes block by block,
 * the channels of a pair together).  A block ends in a stretch where the
 * block's channels are quiet for longer than three episode gaps, so the
 * labels are those of the whole recording; where activity goes on without
 * such a stretch the block grows up to the budget or 64 MiB, whichever is
 * more (32 bytes per sample and channel of the pair), then ends inside the
 * activity (counted in out->forced_cuts; an episode across it is measured as two parts,
 * which grouping joins again when they get the same label).
 * The force channel (rule 1) is read whole (24 bytes per sample). */
EMGKIT_API int emg_label_stream(emg_label_result *out, const emg_header *h, emg_label_read read,
                                void *source, const emg_label_options *opts, size_t memory_budget,
                                emg_error *err);

/* Context from annotations: the first annotation whose text is a context
 * name or "context=NAME" / "context: NAME"; else "context=NAME" in the
 * recording description.  EMG_CONTEXT_NONE if none. */
EMGKIT_API emg_context emg_context_from_annotations(const emg_header *h);

#ifdef __cplusplus
}
#endif
#endif
