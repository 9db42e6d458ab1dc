/* label_internal.h: what the labeller's measurement stage (label_measure.c)
 * hands to its decision stage (label.c). */
#ifndef EMGKIT_LABEL_INTERNAL_H
#define EMGKIT_LABEL_INTERNAL_H

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
    double rhythm_4_7;        /* largest autocorrelation at lags of 4-7 Hz */
    double duty;              /* fraction of the episode with the medium envelope active */
    double amp_over_rest;     /* coarse peak / rest median */
    double level_over_rest;   /* coarse median / rest median */
    int elevated;             /* RMS over the episode significantly above the rest RMS */
    double rise_time;         /* s */
    double waxing;            /* CV of 0.5 s means of the coarse envelope (middle 80 %) */
    double mdf;               /* Hz */
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
    float *coarse, *medium;   /* decimated envelopes */
    double rest_coarse, rsd_coarse, thr_coarse;
    double rest_medium, rsd_medium, thr_medium;
    double rest_fine, rsd_fine, thr_fine;
    double noise_rms;
    double rest_from, rest_to;
    double mains;
    size_t *gaps;             /* [start, end) samples of each run of non-finite samples */
    size_t n_gaps;
    lab_burst *bursts;
    size_t n_bursts;
    lab_episode *episodes;
    size_t n_episodes;
} lab_channel;

/* Work buffers reused from channel to channel. */
typedef struct lab_work {
    double *buf;
    size_t cap; /* samples per buffer (4 buffers) */
} lab_work;
void lab_work_free(lab_work *w);

/* Measure one EMG channel: envelopes, rest, bursts, episodes and their
 * own-channel measures.  x is not modified. */
int lab_measure_channel(lab_channel *ch, lab_work *w, const double *x, size_t n, double fs,
                        int index, int needle, const emg_label_options *o, emg_error *err);
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

#endif
