/* emgkit/synth.h: a physiological EMG simulator with ground-truth events.
 *
 * The simulator follows published models rather than shaping noise
 * (docs/methods/synth.md gives every parameter with its unit and range):
 *   - motor-unit pool after Fuglevand, Winter & Patla (1993): exponentially
 *     distributed recruitment thresholds, rate coding up to unit-specific peak
 *     rates, Gaussian inter-spike variability;
 *   - motor-unit action potentials built from Hermite-Rodriguez functions
 *     (Lo Conte et al. 1994) whose time scale is a spatial length divided by
 *     the conduction velocity, seen through a bipolar electrode pair, so that
 *     the spectrum scales with conduction velocity (Lindstrom & Magnusson 1977);
 *   - twitch forces after Fuglevand et al. (1993) for force channels;
 *   - spasm patterns with the numbers of docs/spasm-criteria.md, plus
 *     voluntary contractions, tremor and rest as negatives, and nuisances.
 *
 * A scenario (docs/formats/scenario.md) describes a session as text; it is
 * compiled with a seed into a scene that streams blocks like a reader, so an
 * hour of 16 channels needs no more memory than a second of it (only the
 * list of events and bursts grows with the duration).  The same
 * seed and options give the same samples on every machine: the simulator uses
 * its own generator (xoshiro256**), never rand(). */
#ifndef EMGKIT_SYNTH_H
#define EMGKIT_SYNTH_H

#include "emgkit/export.h"

#include <stdint.h>
#include <stdio.h>
#include "emgkit/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Random numbers: xoshiro256** (Blackman & Vigna 2018), seeded by splitmix64. */
typedef struct emg_rng {
    uint64_t s[4];
} emg_rng;

/* Seed a generator; different streams of one seed are independent sequences. */
EMGKIT_API void emg_rng_seed(emg_rng *r, uint64_t seed, uint64_t stream);
EMGKIT_API uint64_t emg_rng_next(emg_rng *r);
/* Uniform in [0, 1). */
EMGKIT_API double emg_rng_uniform(emg_rng *r);
/* Uniform in [lo, hi). */
EMGKIT_API double emg_rng_range(emg_rng *r, double lo, double hi);
/* Standard normal (Marsaglia polar method). */
EMGKIT_API double emg_rng_normal(emg_rng *r);

/* ---- Motor-unit pool (Fuglevand, Winter & Patla 1993). */
typedef enum emg_electrode {
    EMG_ELECTRODE_SURFACE = 0, /* bipolar surface pair, 10 mm apart, over 3-18 mm of tissue */
    EMG_ELECTRODE_NEEDLE       /* concentric needle: units 0.05-2 mm from the core */
} emg_electrode;

typedef struct emg_pool_params {
    int n_units;            /* motor units in the pool, 10-500 (Fuglevand: 120) */
    double recruit_range;   /* RR: last/first recruitment threshold, 5-100 (30) */
    double min_rate;        /* MFR: firing rate at recruitment, pps, 4-12 (8) */
    double peak_rate_first; /* PFR1: peak rate of the first unit, pps, 20-60 (35) */
    double peak_rate_drop;  /* PFRD: PFR1 minus the last unit's peak rate, pps, 0-30 (10) */
    double rate_gain;       /* g_e: pps per excitation unit, 0.5-3 (1) */
    double isi_cv;          /* inter-spike interval CV of voluntary firing, 0-0.4 (0.2) */
    double twitch_range;    /* RP: largest/smallest twitch force, 10-200 (100) */
    double twitch_time;     /* T_L: contraction time of the smallest unit, s, 0.03-0.15 (0.09) */
    double twitch_time_range; /* RT: slowest/fastest contraction time, 1-5 (3) */
    double conduction;      /* conduction velocity at rest, m/s, 2.5-6 (4) */
    emg_electrode electrode;
} emg_pool_params;
#define EMG_POOL_PARAMS_INIT {120, 30.0, 8.0, 35.0, 10.0, 1.0, 0.2, 100.0, 0.09, 3.0, 4.0, \
                              EMG_ELECTRODE_SURFACE}

typedef struct emg_motor_unit {
    double threshold;  /* recruitment threshold as a fraction of maximal excitation, (0, 1) */
    double peak_rate;  /* pps */
    double twitch;     /* peak twitch force, relative to the smallest unit (1..RP) */
    double twitch_time;/* contraction time, s */
    double distance;   /* electrode-to-unit distance, mm */
    double length;     /* spatial extent of the potential along the fibre, mm */
    double amplitude;  /* peak |potential| in mV (after pool calibration) */
    double hr1, hr2;   /* weights of the first- and second-order Hermite-Rodriguez functions */
} emg_motor_unit;

typedef struct emg_pool {
    emg_pool_params params;
    emg_motor_unit *units; /* n_units, sorted by threshold (size principle) */
    double max_excitation; /* E_max of Fuglevand et al., excitation units */
} emg_pool;

/* Build a pool; unit distances and shapes are drawn from rng.  Amplitudes are
 * calibrated so that the pool's RMS at maximal excitation is rms_max_mv for a
 * surface electrode; a needle's amplitudes follow distance (5 mV for the largest unit at 0.05 mm). */
EMGKIT_API int emg_pool_init(emg_pool *p, const emg_pool_params *params, double rms_max_mv, emg_rng *rng,
                             emg_error *err);
EMGKIT_API void emg_pool_free(emg_pool *p);
/* Firing rate (pps) of unit i at excitation e (fraction of maximal, 0-1); 0 below threshold. */
EMGKIT_API double emg_pool_rate(const emg_pool *p, int i, double e);
/* RMS (mV) of the pool's summed potentials at excitation e, from the rates and
 * the potentials' energies (independent trains: power = sum rate x energy). */
EMGKIT_API double emg_pool_rms(const emg_pool *p, double e, double fs);

/* Samples of unit i's potential at sampling rate fs and conduction velocity cv
 * (m/s): writes up to cap samples into out (starting at the spike time) and
 * returns the number needed; call with cap 0 to ask for the length. */
EMGKIT_API size_t emg_muap_sample(const emg_pool *p, int i, double cv, double fs, double *out, size_t cap);
/* Duration (s) of a potential: span where |v| >= 5% of its peak. */
EMGKIT_API double emg_muap_duration(const double *v, size_t n, double fs);

/* ---- Scenarios (docs/formats/scenario.md). */
typedef struct emg_scenario emg_scenario;

/* Parse scenario text; name is used in messages ("FILE:LINE: problem"). */
EMGKIT_API int emg_scenario_parse(emg_scenario **out, const char *text, const char *name, emg_error *err);
/* A built-in scenario by name, or else a scenario file. */
EMGKIT_API int emg_scenario_load(emg_scenario **out, const char *name_or_path, emg_error *err);
EMGKIT_API void emg_scenario_free(emg_scenario *sc);
EMGKIT_API const char *emg_scenario_name(const emg_scenario *sc);

EMGKIT_API size_t emg_scenario_builtin_count(void);
EMGKIT_API const char *emg_scenario_builtin_name(size_t i);
EMGKIT_API const char *emg_scenario_builtin_description(size_t i);
EMGKIT_API const char *emg_scenario_builtin_text(size_t i);

/* ---- A compiled scene: streams the recording block by block. */
typedef struct emg_synth_options {
    uint64_t seed;
    double duration;   /* s; the timeline is repeated (new draws) or cut to fit; 0 = as written */
    double fs;         /* Hz; 0 = the scenario's (default 2000) */
    int n_channels;    /* total channels; extra ones are neighbours; 0 = the scenario's */
    int mains;         /* 50, 60, 0 = none, -1 = the scenario's */
    double snr_db;     /* dB; NaN = the scenario's */
    double block_seconds; /* block length, 0 = 0.25 s; fatigue is updated once per block,
                             so the samples depend on it (keep the default) */
} emg_synth_options;
#define EMG_SYNTH_OPTIONS_INIT {1, 0.0, 0.0, 0, -1, __builtin_nan(""), 0.0}
EMGKIT_API void emg_synth_options_init(emg_synth_options *o); /* the same, as a function */

typedef struct emg_synth emg_synth;

EMGKIT_API int emg_synth_open(emg_synth **out, const emg_scenario *sc, const emg_synth_options *opts,
                              emg_error *err);
/* Header with channels, the events as annotations and a provenance line
 * naming the scenario and the seed.  Borrowed. */
EMGKIT_API const emg_header *emg_synth_header(const emg_synth *s);
/* Next block: 1 with *block set (borrowed until the next call), 0 at the end. */
EMGKIT_API int emg_synth_read(emg_synth *s, const emg_block **block, emg_error *err);
EMGKIT_API void emg_synth_close(emg_synth *s);

/* Ground-truth event kinds. */
typedef enum emg_event_kind {
    EMG_EVENT_SPASM = 0,   /* a label of the criteria page */
    EMG_EVENT_NEGATIVE,    /* voluntary, tremor, rest, prodrome */
    EMG_EVENT_NUISANCE     /* artefact */
} emg_event_kind;

typedef struct emg_synth_event {
    double onset, duration;  /* s */
    int channel;             /* 0-based primary channel, -1 = all */
    char label[24];          /* cramp, fasciculation, ..., voluntary, tremor, rest, artefact */
    emg_event_kind kind;
    char context[24];
    char channels[512];      /* names of every channel involved, comma-separated */
    char detail[96];         /* type-specific notes, e.g. "origin=cortical" */
    double level;            /* peak excitation, fraction of maximal; force in %MVC for ischemic */
    /* Realised generating parameters (NaN where they do not apply). */
    double rate_hz, rate_min_hz, rate_max_hz; /* burst / discharge / potential rate */
    double cv;               /* coefficient of variation of the intervals behind rate_hz */
    double burst_ms, burst_min_ms, burst_max_ms; /* burst, multiplet or potential duration */
    long count;              /* bursts, potentials, multiplets or spikes counted */
    double amplitude_mv;     /* peak |potential| of the largest unit involved */
    double conduction_mps;   /* conduction velocity at the start of the event */
    double cv_decline;       /* configured fractional fall of conduction velocity */
} emg_synth_event;

/* Events known so far: all after the last block has been read (rates and
 * interval CVs of discharges are measured while the samples are made). */
EMGKIT_API size_t emg_synth_event_count(const emg_synth *s);
EMGKIT_API const emg_synth_event *emg_synth_event_at(const emg_synth *s, size_t i);
/* Write the event table (TSV, BIDS columns first). */
EMGKIT_API int emg_synth_write_events(const emg_synth *s, FILE *f, emg_error *err);

/* Write every burst, potential, multiplet and artefact behind the events (TSV:
 * onset duration channel label event unit spikes interval_ms intensity), one
 * row per channel; event is the 0-based row of the event table.  For
 * fasciculations and tetany this lists each potential or multiplet. */
EMGKIT_API int emg_synth_write_bursts(const emg_synth *s, FILE *f, emg_error *err);

/* Label vocabulary used in the event table. */
EMGKIT_API const char *const *emg_synth_labels(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
