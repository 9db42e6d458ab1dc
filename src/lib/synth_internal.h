/* synth_internal.h: what the simulator's modules share: the parsed scenario
 * (synth_scenario.c), and the compiled scene that synth_scene.c builds from it
 * and synth_stream.c turns into samples. */
#ifndef EMGKIT_SYNTH_INTERNAL_H
#define EMGKIT_SYNTH_INTERNAL_H

#include "emgkit/emgkit.h"
#include "emgkit/synth.h"

/* The same samples on every machine: no a*b+c may become a fused multiply-add.
 * GCC does not contract in ISO C mode (-std=c11, as the build sets); clang
 * needs the standard pragma, which holds to the end of each file. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* Timeline entries, in the order of the scenario's keywords. */
typedef enum synth_type {
    SYNTH_REST = 0,
    SYNTH_VOLUNTARY,
    SYNTH_TREMOR,
    SYNTH_CRAMP,
    SYNTH_FASCICULATION,
    SYNTH_TONIC,
    SYNTH_DYSTONIC,
    SYNTH_ISCHEMIC,
    SYNTH_CLONIC,
    SYNTH_MYOCLONIC,
    SYNTH_ATAXIC,
    SYNTH_TETANIC,
    SYNTH_STRAIN,
    SYNTH_ARTEFACT,
    SYNTH_N_TYPES,
    SYNTH_REPEAT = 100, /* control lines */
    SYNTH_END
} synth_type;

typedef enum synth_role {
    ROLE_AGONIST = 0,
    ROLE_ANTAGONIST,
    ROLE_NEIGHBOUR,
    ROLE_FORCE,
    ROLE_ACCEL,
    N_ROLES
} synth_role;

/* A number or a range "lo-hi" drawn uniformly each time the line runs. */
typedef struct synth_value {
    double lo, hi;
} synth_value;

#define SYNTH_MAX_PARAMS 12
typedef struct synth_param {
    char key[16];
    char text[40];   /* raw value (for words: ch=, context=, origin=) */
    synth_value value;
    int numeric;
} synth_param;

typedef struct synth_line {
    synth_type type;
    synth_value duration; /* s; for repeat: the count */
    int n_params;
    synth_param params[SYNTH_MAX_PARAMS];
    int line_no;
} synth_line;

typedef struct synth_channel_decl {
    synth_role role;
    char name[EMG_NAME_MAX];
    int electrode; /* -1 = the scenario's */
} synth_channel_decl;

#define SYNTH_MAX_CHANNELS 256

struct emg_scenario {
    char name[64];
    char source[256];  /* file path or built-in name, for messages */
    char description[160];
    double fs;
    emg_electrode electrode;
    double mains_hz, mains_mv;
    double snr_db, snr_drift_db;
    double wander_mv;
    double artefacts_per_min;
    double clip_mv;
    char context[24];
    size_t n_channels;
    synth_channel_decl channels[SYNTH_MAX_CHANNELS];
    size_t n_lines;
    synth_line *lines;
};

const char *synth_type_name(synth_type t);
const char *synth_role_name(synth_role r);
/* Parameter lookup on a line: the entry or NULL. */
const synth_param *synth_line_param(const synth_line *l, const char *key);
/* Portable exp, log, sin, cos, pow (synth_math.c): the same bits on every
 * machine, so that a seed gives the same samples everywhere. */
double synth_exp(double x);
double synth_log(double x);
double synth_sin(double x);
double synth_cos(double x);
double synth_pow(double x, double y);
/* Set up the ziggurat tables of a scene (synth_stream.c). */
void synth_ziggurat_init(double x[129], double r[128]);

/* Is word one of the contexts of the criteria page? */
int synth_context_valid(const char *word);

/* ---- The compiled scene (synth_scene.c builds it, synth_stream.c plays it). */

#define PI 3.14159265358979323846
#define GRID_S 0.005          /* excitation grid inside a block, s */
#define TAIL_S 1.0            /* accumulator reach beyond the block, s */
#define CV_FLOOR 0.4          /* conduction velocity never falls below 40% of rest */
#define FATIGUE_RECOVERY_S 20.0
#define N_HARMONICS 4

typedef enum { MODE_VOLUNTARY = 0, MODE_CRAMP } rate_mode;

typedef struct rate_seg {
    double t0, t1, ramp_on, ramp_off;
    double base, level, drift;   /* excitation fractions; drift: relative rise by t1 */
    double mod_hz, mod_depth, mod_phase;
    double wax_depth, wax_hz[3], wax_phase[3];
    rate_mode mode;
    double isi_cv, doublets, rate_mean;
    double fatigue, cv_scale;
    int event;
} rate_seg;

typedef struct burst {
    double t, width;       /* s: first possible spike, window of the burst */
    double intensity;      /* recruit units with threshold <= intensity */
    int unit;              /* >= 0: this unit only */
    int spikes;            /* spikes per unit */
    double interval;       /* s between one unit's spikes */
    double p_fire;         /* probability that a recruited unit takes part */
    int artefact;          /* motion artefact: intensity = mV, interval = Hz */
    double phase;
    long order;            /* creation order: ties sort stably */
    int event;             /* row of the event table, -1 none */
} burst;

typedef struct force_seg {
    double t0, t1, ramp, level; /* contracture, %MVC */
} force_seg;

typedef struct event_stats {
    double n, sum_x, sum_x2, sum_isi; /* ISIs x nominal rate; for rate-coded discharges */
    double rate_lo, rate_hi;          /* range of the units' nominal rates, pps */
    long spikes;
} event_stats;

typedef struct channel {
    synth_role role;
    int is_emg;
    emg_electrode electrode;
    emg_pool pool;
    double cv0, tpl_cv, cv_deficit;
    emg_rng *unit_rng;
    double *next, *last, *unit_z, *tpl_dur;
    int *last_event;
    double **tpl;
    size_t *tpl_len, tpl_cap;
    rate_seg *segs;
    size_t n_segs, cap_segs, seg_pos;
    burst *bursts;
    size_t n_bursts, cap_bursts, burst_pos;
    force_seg *fsegs;
    size_t n_fsegs, cap_fsegs;
    double *acc, *imp, *force; /* accumulator (B + tail), twitch impulses, force of the block */
    double fy1, fy2, imp_prev, twitch_t, mvc, twitch_gain;
    emg_rng rng, noise_rng;
    double noise_sd, crosstalk, gain_adc, range;
    double mains_amp[N_HARMONICS], mains_phase[N_HARMONICS];
    double wander_amp[3], wander_hz[3], wander_phase[3];
    double drift_hz[2], drift_phase[2];
    double hp_x, hp_y, lp1, lp2; /* accelerometer filter state */
} channel;

struct emg_synth {
    emg_header hdr;
    emg_block blk;
    const emg_scenario *sc;
    double fs;
    int64_t total, pos;
    size_t block, tail;
    channel *ch;
    size_t n_ch;
    int agonist, antagonist, force_ch, accel_ch;
    emg_synth_event *ev;
    event_stats *st;
    size_t n_ev, cap_ev;
    emg_rng rng;
    long burst_order;
    int out_of_memory; /* a builder could not grow a list (checked after each line) */
    double mains_hz, snr_db, clip_mv;
    double *eg, *normals;
    double zig_x[129], zig_r[128]; /* ziggurat layers for the noise (synth_stream.c) */
    int *dg;
    size_t n_grid;
    emg_error *err;
};

static inline double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

#endif
