/* synth_internal.h: the parsed scenario shared by the parser (synth_scenario.c)
 * and the scene generator (synth_scene.c). */
#ifndef EMGKIT_SYNTH_INTERNAL_H
#define EMGKIT_SYNTH_INTERNAL_H

#include "emgkit/synth.h"

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
/* Is word one of the contexts of the criteria page? */
int synth_context_valid(const char *word);

#endif
