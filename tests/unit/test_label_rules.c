/* test_label_rules: the decision procedure of docs/spasm-criteria.md
 * (label_rules.c, lab_decide) one row per line of the rules table of
 * docs/methods/labelling.md: an episode's measures, the partner's measures
 * and the context in, the rule id and label out, with the default options.
 * Each row is built from a neutral episode of its kind (brief bursts,
 * sustained activity, isolated potentials) with the measures that decide
 * changed, so that a row fails when a threshold or the order of the rules
 * changes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "label_internal.h"

typedef enum kind { POTENTIALS, BURSTS, SUSTAINED, SHORT } kind;
typedef enum partner_kind { NO_PARTNER, TOGETHER, ALTERNATING, QUIET } partner_kind;

typedef struct row {
    const char *what;
    kind kind;
    partner_kind partner;
    emg_context ctx;
    /* measures that decide (0: the kind's neutral value) */
    double rate, cv, rhythm, burst_duration, duration, duty, amp, level, rhythm_4_7, rise,
        waxing;
    double mdf, rest_mdf; /* Hz: the episode's and the rest's median frequency */
    double snr;    /* largest potential over the rest RMS */
    double single; /* share of bursts like one motor unit */
    double spikes; /* spikes per burst */
    int multiplets;
    int majors; /* bursts of at least a quarter of the largest */
    lab_label label;
    const char *rule;
    unsigned missing;
} row;

/* Neutral episodes: 10 compound bursts, 10 s of sustained firing, or three
 * single-unit potentials. */
static void episode_of(lab_episode *e, const row *r)
{
    memset(e, 0, sizeof *e);
    e->interval_cv = e->interval_rate = e->burst_rate = e->rhythm = NAN;
    e->amp_over_rest = 20;
    e->level_over_rest = 10;
    e->rise_time = 0.2;
    e->waxing = 0.2;
    e->mdf = 90;
    e->rest_mdf = 120;
    e->peak_snr = 30;
    e->spikes = 3;
    switch (r->kind) {
    case POTENTIALS:
        e->n_bursts = 3;
        e->n_major = 1;
        e->duration = 2;
        e->burst_duration = e->longest_burst = 0.01;
        e->single_fraction = e->major_single_fraction = 1;
        e->amp_over_rest = 3;
        e->peak_snr = 12;
        e->spikes = 1;
        break;
    case BURSTS:
        e->n_bursts = e->n_major = 10;
        e->duration = 2;
        e->burst_duration = e->longest_burst = 0.07;
        e->duty = 0.3;
        e->interval_cv = 0.8;
        e->interval_rate = e->burst_rate = 1;
        e->rhythm = 0.1;
        break;
    case SUSTAINED:
        e->n_bursts = 1;
        e->duration = 10;
        e->burst_duration = e->longest_burst = 10;
        e->duty = 1;
        e->sustained_share = 1;
        e->rhythm = 0.1;
        e->burst_rate = 3;
        e->n_major = 1;
        break;
    case SHORT:
        e->n_bursts = e->n_major = 1;
        e->duration = 0.5;
        e->burst_duration = e->longest_burst = 0.4;
        e->duty = 0.8;
        break;
    }
    if (r->rate)
        e->interval_rate = e->burst_rate = r->rate;
    if (r->cv)
        e->interval_cv = r->cv;
    if (r->rhythm)
        e->rhythm = r->rhythm;
    if (r->burst_duration)
        e->burst_duration = e->longest_burst = r->burst_duration;
    if (r->duration)
        e->duration = r->duration;
    if (r->duty)
        e->duty = r->duty;
    if (r->amp)
        e->amp_over_rest = r->amp;
    if (r->level)
        e->level_over_rest = r->level;
    if (r->rhythm_4_7)
        e->rhythm_4_7 = r->rhythm_4_7;
    if (r->rise)
        e->rise_time = r->rise;
    if (r->waxing)
        e->waxing = r->waxing;
    if (r->mdf)
        e->mdf = r->mdf;
    if (r->rest_mdf)
        e->rest_mdf = r->rest_mdf;
    if (r->snr)
        e->peak_snr = r->snr;
    if (r->single)
        e->single_fraction = r->single;
    if (r->spikes)
        e->spikes = r->spikes;
    e->multiplets = r->multiplets;
    if (r->majors)
        e->n_major = e->n_bursts = (size_t)r->majors;
}

static void partner_of_row(lab_partner *p, partner_kind k)
{
    memset(p, 0, sizeof *p);
    p->index = k == NO_PARTNER ? -1 : 1;
    p->active = k == QUIET ? 0.05 : 0.9;
    p->level = k == QUIET ? 1.1 : 10;
    p->cocon = k == TOGETHER ? 80 : 20;
    p->lag = k == ALTERNATING ? 0.1 : 0.01;
    p->r0 = k == ALTERNATING ? -0.3 : 0.5;
    p->rmax = 0.6;
    p->self_active = 0.9;
    if (k == NO_PARTNER)
        p->active = p->self_active = p->level = p->cocon = p->lag = p->r0 = p->rmax = NAN;
}

static const row rows[] = {
    /* rule 2: isolated potentials */
    {"tetanic multiplets, hyperventilation", POTENTIALS, NO_PARTNER, EMG_CONTEXT_HYPERVENTILATION,
     .multiplets = 3, .label = LAB_TETANIC, .rule = "2c-multiplets"},
    {"multiplets without a context", POTENTIALS, NO_PARTNER, EMG_CONTEXT_NONE, .multiplets = 3,
     .label = LAB_UNCLASSIFIED, .rule = "2c-needs-context", .missing = EMG_LABEL_MISSING_CONTEXT},
    {"regular single-unit train", POTENTIALS, NO_PARTNER, EMG_CONTEXT_REST, .rate = 10,
     .cv = 0.01, .rhythm = 0.5, .majors = 3, .label = LAB_NONE, .rule = "2b-regular-train"},
    {"fasciculation at rest", POTENTIALS, NO_PARTNER, EMG_CONTEXT_REST,
     .label = LAB_FASCICULATION, .rule = "2a-isolated-potentials"},
    {"potentials not clear of the noise (fasc-snr)", POTENTIALS, NO_PARTNER, EMG_CONTEXT_REST,
     .snr = 5, .label = LAB_NONE, .rule = "2a-below-noise"},
    {"isolated potentials during movement", POTENTIALS, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .label = LAB_NONE, .rule = "2a-not-at-rest"},
    /* rule 3: brief bursts */
    {"clonic 6 Hz regular", BURSTS, NO_PARTNER, EMG_CONTEXT_REST, .rate = 6, .cv = 0.1,
     .rhythm = 0.6, .label = LAB_CLONIC, .rule = "3a-regular-bursts"},
    {"ataxic 3 Hz alternating in movement", BURSTS, ALTERNATING, EMG_CONTEXT_MOVEMENT, .rate = 3,
     .cv = 0.3, .burst_duration = 0.1, .duration = 3, .label = LAB_ATAXIC,
     .rule = "3b-alternating"},
    {"three small alternating bursts under 1 s in movement (voluntary-amp)", BURSTS, ALTERNATING,
     EMG_CONTEXT_MOVEMENT, .rate = 4.7, .cv = 0.43, .duration = 0.45, .amp = 4.7,
     .burst_duration = 0.02, .majors = 3, .label = LAB_NONE, .rule = "3e-too-small"},
    {"ataxic pattern without a pair, movement", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rate = 3, .cv = 0.3, .burst_duration = 0.1, .duration = 3, .label = LAB_VOLUNTARY,
     .rule = "4e-movement-unpaired", .missing = EMG_LABEL_MISSING_PAIR},
    {"ataxic pattern without a pair, no context", BURSTS, NO_PARTNER, EMG_CONTEXT_NONE,
     .rate = 3, .cv = 0.3, .burst_duration = 0.1, .duration = 3, .label = LAB_UNCLASSIFIED,
     .rule = "3-needs-input", .missing = EMG_LABEL_MISSING_PAIR},
    {"ataxic pattern at rest: not ataxic, no pair needed", BURSTS, NO_PARTNER, EMG_CONTEXT_REST,
     .rate = 3, .cv = 0.3, .burst_duration = 0.1, .duration = 3, .label = LAB_MYOCLONIC,
     .rule = "3e-arrhythmic-compound"},
    {"dystonic 5.5 Hz together on a background", BURSTS, TOGETHER, EMG_CONTEXT_REST, .rate = 5.5,
     .cv = 0.5, .duty = 0.6, .label = LAB_DYSTONIC, .rule = "3c-together-4-7Hz"},
    {"tremor 10 Hz regular", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 10, .cv = 0.1,
     .rhythm = 0.6, .burst_duration = 0.05, .label = LAB_TREMOR, .rule = "3d-tremor"},
    {"10 Hz regular bursts at rest: no tremor without a posture", BURSTS, NO_PARTNER,
     EMG_CONTEXT_REST, .rate = 10, .cv = 0.1, .rhythm = 0.6, .burst_duration = 0.05,
     .label = LAB_NONE, .rule = "3d-not-at-rest"},
    {"regular bursts of single units (tremor-single-max)", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rate = 10, .cv = 0.1, .rhythm = 0.6, .burst_duration = 0.05, .single = 0.7,
     .label = LAB_VOLUNTARY, .rule = "3e-movement-bursts"},
    {"regular bursts of one spike (tremor-spikes)", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rate = 10, .cv = 0.1, .rhythm = 0.6, .burst_duration = 0.05, .spikes = 1,
     .label = LAB_VOLUNTARY, .rule = "3e-movement-bursts"},
    {"orthostatic tremor 15 Hz", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 15, .cv = 0.1,
     .rhythm = 0.6, .burst_duration = 0.03, .label = LAB_TREMOR, .rule = "3d-tremor"},
    {"15 Hz ripple of a 0.6 s blip (tremor-brief-min)", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rate = 15, .cv = 0.1, .rhythm = 0.6, .burst_duration = 0.03, .duration = 0.6,
     .label = LAB_NONE, .rule = "3d-too-brief"},
    {"myoclonic arrhythmic compound jerks", BURSTS, NO_PARTNER, EMG_CONTEXT_REST,
     .burst_duration = 0.03, .label = LAB_MYOCLONIC, .rule = "3e-arrhythmic-compound"},
    {"jerks too small", BURSTS, NO_PARTNER, EMG_CONTEXT_REST, .duration = 0.9, .amp = 4, .majors = 3,
     .label = LAB_NONE, .rule = "3e-too-small"},
    {"bursts during movement", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .burst_duration = 0.2,
     .label = LAB_VOLUNTARY, .rule = "3e-movement-bursts"},
    /* up to sustained_min, neither brief bursts nor sustained */
    {"single jerk", SHORT, NO_PARTNER, EMG_CONTEXT_REST, .label = LAB_MYOCLONIC,
     .rule = "3e-single-jerk"},
    {"short contraction during movement", SHORT, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .label = LAB_VOLUNTARY, .rule = "4e-movement-short"},
    {"brief small event", SHORT, NO_PARTNER, EMG_CONTEXT_REST, .amp = 3, .label = LAB_NONE,
     .rule = "noise"},
    {"rest-noise blip during movement (voluntary-amp)", SHORT, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .amp = 3, .label = LAB_NONE, .rule = "noise"},
    /* rule 4: sustained activity */
    {"dystonic co-contraction", SUSTAINED, TOGETHER, EMG_CONTEXT_REST, .rhythm_4_7 = 0.3,
     .label = LAB_DYSTONIC, .rule = "4a-cocontraction"},
    {"4-7 Hz modulation without a pair, movement", SUSTAINED, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rhythm_4_7 = 0.4, .label = LAB_VOLUNTARY, .rule = "4e-movement-unpaired",
     .missing = EMG_LABEL_MISSING_PAIR},
    {"4-7 Hz modulation without a pair, no context", SUSTAINED, NO_PARTNER, EMG_CONTEXT_NONE,
     .rhythm_4_7 = 0.4, .label = LAB_UNCLASSIFIED, .rule = "4a-needs-pair",
     .missing = EMG_LABEL_MISSING_PAIR},
    {"tremor on a postural background", SUSTAINED, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 10,
     .rhythm = 0.6, .majors = 30, .label = LAB_TREMOR, .rule = "3d-tremor-on-background"},
    {"8-12 Hz envelope rhythm of a contraction at rest: cramp, not tremor", SUSTAINED,
     NO_PARTNER, EMG_CONTEXT_REST, .rate = 10, .rhythm = 0.6, .majors = 30, .label = LAB_CRAMP,
     .rule = "4c-single-muscle"},
    {"one unit's firing on a background (tremor-single-max)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_MOVEMENT, .rate = 10, .rhythm = 0.6, .majors = 30, .single = 0.7,
     .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"shallow modulation of a swinging envelope (tremor-beat-share, tremor-waxing)", SUSTAINED,
     NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 10, .rhythm = 0.6, .majors = 5, .waxing = 0.6,
     .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"shallow modulation of a steady background", SUSTAINED, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .rate = 10, .rhythm = 0.6, .majors = 5, .waxing = 0.1, .label = LAB_TREMOR,
     .rule = "3d-tremor-on-background"},
    {"modulation without a background (tremor-duty)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_MOVEMENT, .rate = 10, .rhythm = 0.6, .majors = 30, .duty = 0.1,
     .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"low-level spikes at rest (activity-level, activity-duty)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_REST, .level = 1.2, .duty = 0.05, .label = LAB_NONE, .rule = "4-not-active"},
    {"low-level bursts held 20 s (activity-long)", SUSTAINED, NO_PARTNER, EMG_CONTEXT_NONE,
     .level = 1.5, .duty = 0.1, .duration = 20, .majors = 200, .label = LAB_UNCLASSIFIED,
     .rule = "4-none", .missing = EMG_LABEL_MISSING_CONTEXT},
    {"low-level spikes with an injury: strain", SUSTAINED, NO_PARTNER, EMG_CONTEXT_INJURY,
     .level = 1.2, .duty = 0.05, .label = LAB_STRAIN, .rule = "4d-injury-low-level"},
    {"raised but weak activity at rest (cramp-level)", SUSTAINED, NO_PARTNER, EMG_CONTEXT_REST,
     .level = 2.5, .label = LAB_NONE, .rule = "4c-too-weak"},
    {"strong but intermittent activity at rest (cramp-duty)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_SLEEP, .duty = 0.45, .label = LAB_NONE, .rule = "4c-too-weak"},
    {"one jerk and its quiet tail over 1 s: not co-contraction", SUSTAINED, TOGETHER,
     EMG_CONTEXT_REST, .duration = 1.1, .duty = 0.2, .level = 1.1, .amp = 500,
     .burst_duration = 0.2, .rhythm_4_7 = 0.4, .label = LAB_MYOCLONIC, .rule = "3e-single-jerk"},
    {"tonic plateau, cns-lesion", SUSTAINED, NO_PARTNER, EMG_CONTEXT_CNS_LESION, .duration = 60,
     .label = LAB_TONIC, .rule = "4b-plateau-cns"},
    {"cramp at rest", SUSTAINED, NO_PARTNER, EMG_CONTEXT_REST, .label = LAB_CRAMP,
     .rule = "4c-single-muscle"},
    {"cramp, antagonist quiet, no context", SUSTAINED, QUIET, EMG_CONTEXT_NONE,
     .label = LAB_CRAMP, .rule = "4c-single-muscle"},
    {"steady contraction during exercise", SUSTAINED, NO_PARTNER, EMG_CONTEXT_EXERCISE,
     .rise = 1, .waxing = 0.01, .label = LAB_VOLUNTARY, .rule = "4c-exercise-steady"},
    {"strain with an injury", SUSTAINED, NO_PARTNER, EMG_CONTEXT_INJURY, .level = 3,
     .label = LAB_STRAIN, .rule = "4d-injury-low-level"},
    {"sustained alternation in movement", SUSTAINED, ALTERNATING, EMG_CONTEXT_MOVEMENT,
     .rate = 3, .cv = 0.3, .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"contraction during movement", SUSTAINED, NO_PARTNER, EMG_CONTEXT_MOVEMENT,
     .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"sustained without a context", SUSTAINED, NO_PARTNER, EMG_CONTEXT_NONE,
     .label = LAB_UNCLASSIFIED, .rule = "4-none", .missing = EMG_LABEL_MISSING_CONTEXT},
    {"louder rest noise at rest: the rest's spectrum (rest-mdf-margin)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_REST, .amp = 7, .level = 3.3, .mdf = 145, .rest_mdf = 115, .label = LAB_NONE,
     .rule = "4-rest-spectrum"},
    {"louder rest noise, no context (rest-mdf-margin)", SUSTAINED, QUIET, EMG_CONTEXT_NONE,
     .amp = 6, .level = 3, .mdf = 130, .rest_mdf = 120, .label = LAB_NONE,
     .rule = "4-rest-spectrum"},
    {"weak contraction at rest whose spectrum moved below the rest's", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_REST, .amp = 6, .level = 3, .mdf = 125, .rest_mdf = 120, .label = LAB_CRAMP,
     .rule = "4c-single-muscle"},
    {"contraction over low-frequency rest noise, in the muscle band (muscle-mdf-max)",
     SUSTAINED, NO_PARTNER, EMG_CONTEXT_REST, .amp = 8, .level = 4, .mdf = 118, .rest_mdf = 85,
     .label = LAB_CRAMP, .rule = "4c-single-muscle"},
    {"movement: the quietest windows may be the task's, spectrum not judged", SUSTAINED,
     NO_PARTNER, EMG_CONTEXT_MOVEMENT, .amp = 6, .level = 3, .mdf = 150, .rest_mdf = 120,
     .label = LAB_VOLUNTARY, .rule = "4e-movement"},
    {"strong contraction above the rest's spectrum (rest-spectrum-amp)", SUSTAINED, NO_PARTNER,
     EMG_CONTEXT_REST, .amp = 12, .mdf = 145, .rest_mdf = 115, .label = LAB_CRAMP,
     .rule = "4c-single-muscle"},
    {"rest-like spectrum with an injury: strain", SUSTAINED, NO_PARTNER, EMG_CONTEXT_INJURY,
     .amp = 5, .level = 3, .mdf = 145, .rest_mdf = 115, .label = LAB_STRAIN,
     .rule = "4d-injury-low-level"},
};

static void test_rules_table(void **state)
{
    (void)state;
    emg_label_options o;
    emg_label_options_init(&o);
    int failed = 0;
    for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
        const row *r = &rows[k];
        lab_episode e;
        lab_partner p;
        lab_decision d;
        lab_text x = {NULL, 0, 0, 1};
        episode_of(&e, r);
        partner_of_row(&p, r->partner);
        lab_decide(&d, &e, &p, r->ctx, &o, &x);
        if (d.label != r->label || strcmp(d.rule, r->rule) || d.missing != r->missing) {
            print_error("row '%s': got %s (%s, missing %u), expected %s (%s, missing %u)\n%s",
                        r->what, lab_label_name(d.label), d.rule, d.missing,
                        lab_label_name(r->label), r->rule, r->missing, x.s ? x.s : "");
            failed++;
        }
        free(x.s);
    }
    assert_int_equal(failed, 0);
}

/* Every rule that fires a label does so with a confidence of at least the
 * documented floor, 0.5 at the rule's limit (issue 12 item 3). */
static void test_confidence_floor(void **state)
{
    (void)state;
    emg_label_options o;
    emg_label_options_init(&o);
    for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
        const row *r = &rows[k];
        if (r->label == LAB_NONE || r->label == LAB_UNCLASSIFIED)
            continue;
        lab_episode e;
        lab_partner p;
        lab_decision d;
        lab_text x = {NULL, 0, 0, 0};
        episode_of(&e, r);
        partner_of_row(&p, r->partner);
        lab_decide(&d, &e, &p, r->ctx, &o, &x);
        if (!(d.confidence >= 0.5 && d.confidence <= 1))
            fail_msg("row '%s': confidence %g", r->what, d.confidence);
        free(x.s);
    }
    /* A tremor found by the envelope rhythm with irregular burst intervals
     * (the case of the 0.09 confidence) stays at the floor or above. */
    row t = {"tremor, irregular intervals", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 10,
             .cv = 0.9, .rhythm = 0.4, .burst_duration = 0.05};
    lab_episode e;
    lab_partner p;
    lab_decision d;
    lab_text x = {NULL, 0, 0, 0};
    episode_of(&e, &t);
    partner_of_row(&p, NO_PARTNER);
    lab_decide(&d, &e, &p, t.ctx, &o, &x);
    assert_int_equal(d.label, LAB_TREMOR);
    assert_true(d.confidence >= 0.5);
    free(x.s);
}

/* Opt-in measures (off by default): --drive-share needs a common in-phase
 * 4-7 Hz modulation of the pair for dystonic co-contraction; --spectral-share
 * makes a sharp envelope-spectrum peak in the clonic band a regular rhythm. */
static void test_drive_and_spectral_options(void **state)
{
    (void)state;
    emg_label_options o;
    emg_label_options_init(&o);
    lab_episode e;
    lab_partner p;
    lab_decision d;
    lab_text x = {NULL, 0, 0, 0};
    row co = {"co-contraction", SUSTAINED, TOGETHER, EMG_CONTEXT_REST, .rhythm_4_7 = 0.3};
    episode_of(&e, &co);
    partner_of_row(&p, TOGETHER);
    p.drive = 0.05; /* a normal co-activation: no common 4-7 Hz drive */
    lab_decide(&d, &e, &p, co.ctx, &o, &x);
    assert_int_equal(d.label, LAB_DYSTONIC); /* off by default */
    o.drive_share = 0.18;
    lab_decide(&d, &e, &p, co.ctx, &o, &x);
    assert_int_not_equal(d.label, LAB_DYSTONIC);
    p.drive = 0.3;
    lab_decide(&d, &e, &p, co.ctx, &o, &x);
    assert_int_equal(d.label, LAB_DYSTONIC);
    row cl = {"fragmented clonus", BURSTS, NO_PARTNER, EMG_CONTEXT_REST, .burst_duration = 0.06};
    episode_of(&e, &cl);
    partner_of_row(&p, NO_PARTNER);
    e.spectral_rate = 6.9;
    e.spectral_share = 0.4;
    emg_label_options_init(&o);
    lab_decide(&d, &e, &p, cl.ctx, &o, &x);
    assert_int_equal(d.label, LAB_MYOCLONIC); /* off by default: arrhythmic */
    o.spectral_share = 0.25;
    lab_decide(&d, &e, &p, cl.ctx, &o, &x);
    assert_int_equal(d.label, LAB_CLONIC);
    assert_true(d.confidence >= 0.5);
}

/* Rest-noise blips during movement (voluntary-amp) and brief regular ripples
 * (tremor-brief-min): each option set explicitly, so that the rows hold
 * whatever the default. */
static void test_blip_options(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        row r;
        double voluntary_amp, tremor_brief_min;
        lab_label label;
        const char *rule;
    } cases[] = {
        {"blip during movement, option off", {"", SHORT, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .amp = 3},
         0, 0, LAB_VOLUNTARY, "4e-movement-short"},
        {"blip during movement under voluntary-amp: noise",
         {"", SHORT, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .amp = 3}, 6, 0, LAB_NONE, "noise"},
        {"contraction during movement over voluntary-amp",
         {"", SHORT, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .amp = 6}, 6, 0, LAB_VOLUNTARY,
         "4e-movement-short"},
        {"brief 15 Hz ripple, option off",
         {"", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 15, .cv = 0.1, .rhythm = 0.6,
          .burst_duration = 0.03, .duration = 0.6},
         0, 0, LAB_TREMOR, "3d-tremor"},
        {"brief 15 Hz ripple under tremor-brief-min: noise",
         {"", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 15, .cv = 0.1, .rhythm = 0.6,
          .burst_duration = 0.03, .duration = 0.6},
         0, 1, LAB_NONE, "3d-too-brief"},
        {"15 Hz tremor of 2 s over tremor-brief-min",
         {"", BURSTS, NO_PARTNER, EMG_CONTEXT_MOVEMENT, .rate = 15, .cv = 0.1, .rhythm = 0.6,
          .burst_duration = 0.03, .duration = 2},
         0, 1, LAB_TREMOR, "3d-tremor"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        emg_label_options o;
        emg_label_options_init(&o);
        o.voluntary_amp = cases[k].voluntary_amp;
        o.tremor_brief_min = cases[k].tremor_brief_min;
        lab_episode e;
        lab_partner p;
        lab_decision d;
        lab_text x = {NULL, 0, 0, 0};
        episode_of(&e, &cases[k].r);
        partner_of_row(&p, cases[k].r.partner);
        lab_decide(&d, &e, &p, cases[k].r.ctx, &o, &x);
        if (d.label != cases[k].label || strcmp(d.rule, cases[k].rule))
            fail_msg("%s: got %s (%s), expected %s (%s)", cases[k].what,
                     lab_label_name(d.label), d.rule, lab_label_name(cases[k].label),
                     cases[k].rule);
    }
}

/* Filter transients at the recording's edges are never events (edge-guard). */
static void test_edge_transient(void **state)
{
    (void)state;
    emg_label_options o;
    emg_label_options_init(&o);
    assert_true(lab_is_edge_transient(0.018, 0.021, 60, &o));  /* 3 ms blip at 18 ms */
    assert_true(lab_is_edge_transient(59.97, 59.99, 60, &o));  /* at the end */
    assert_false(lab_is_edge_transient(0.018, 0.2, 60, &o));   /* longer than the guard */
    assert_false(lab_is_edge_transient(10.0, 10.003, 60, &o)); /* inside the recording */
}

/* Every label of the criteria page that rules 2-4 decide has a row. */
static void test_every_label_has_a_row(void **state)
{
    (void)state;
    static const lab_label decided[] = {LAB_CRAMP,    LAB_FASCICULATION, LAB_TONIC,
                                        LAB_DYSTONIC, LAB_CLONIC,        LAB_MYOCLONIC,
                                        LAB_ATAXIC,   LAB_TETANIC,       LAB_STRAIN,
                                        LAB_VOLUNTARY, LAB_TREMOR,       LAB_UNCLASSIFIED};
    for (size_t k = 0; k < sizeof decided / sizeof *decided; k++) {
        int found = 0;
        for (size_t j = 0; j < sizeof rows / sizeof *rows; j++)
            found |= rows[j].label == decided[k];
        if (!found)
            fail_msg("no row for %s", lab_label_name(decided[k]));
    }
}

/* The vocabulary: names as written in the label table; spasms as rule 5 mixes. */
static void test_vocabulary(void **state)
{
    (void)state;
    assert_string_equal(lab_label_name(LAB_CRAMP), "cramp");
    assert_string_equal(lab_label_name(LAB_UNCLASSIFIED), "unclassified");
    assert_string_equal(lab_label_name(LAB_N_LABELS), "?");
    assert_true(lab_label_is_spasm(LAB_TETANIC));
    assert_false(lab_label_is_spasm(LAB_VOLUNTARY));
    assert_false(lab_label_is_spasm(LAB_MIXED));
    assert_false(lab_label_is_spasm(LAB_NONE));
}

/* The parameter table: every entry's field holds its default after init. */
static void test_params_defaults(void **state)
{
    (void)state;
    emg_label_options o;
    emg_label_options_init(&o);
    size_t n;
    const emg_label_param *p = emg_label_params(&n);
    assert_int_equal(n, EMG_LABEL_N_PARAMS);
    for (size_t k = 0; k < n; k++) {
        const char *field = (const char *)&o + p[k].offset;
        double v = p[k].is_int ? *(const int *)(const void *)field
                               : *(const double *)(const void *)field;
        if (v != p[k].def)
            fail_msg("--%s: %g, default %g", p[k].option, v, p[k].def);
        for (size_t j = 0; j < k; j++)
            if (!strcmp(p[j].option, p[k].option))
                fail_msg("--%s twice", p[k].option);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),
        cmocka_unit_test(test_every_label_has_a_row),
        cmocka_unit_test(test_confidence_floor),
        cmocka_unit_test(test_edge_transient),
        cmocka_unit_test(test_drive_and_spectral_options),
        cmocka_unit_test(test_blip_options),
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test(test_params_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
