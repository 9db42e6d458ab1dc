/* label_rules.c: the decision procedure of docs/spasm-criteria.md ("first
 * match wins"), top to bottom in the order of the criteria page: rule 1
 * (ischemic: force without EMG), rule 2 (isolated potentials: tetanic,
 * fasciculation, regular trains), rule 3 (brief bursts: clonic, ataxic,
 * dystonic, tremor, myoclonic), rule 4 (sustained activity: dystonic,
 * tremor on a background, tonic, cramp, strain, voluntary).  Rule 5 (mixed
 * patterns) is in label_mixed.c.  Every threshold is an option
 * (label_params.def).
 *
 * Physiological sources behind the rules are those of the criteria page:
 * fasciculation potentials (Mills 2010; de Carvalho & Swash 2013), clonus
 * 3.8-8 Hz with 50-100 ms beats (Beres-Jones et al. 2003; Wallace et al.
 * 2005), cortical myoclonus < 50 ms (Shibasaki & Hallett 2005), dystonic
 * co-contraction and 4-7 Hz drive (Farmer et al. 1998), ataxic alternation
 * (Hallett et al. 1975), tetanic multiplets (Turpin 1993 review of
 * hyperventilation tetany), cramp discharge (Minetto et al. 2013). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

static const struct {
    const char *name;
    int spasm;
} vocabulary[] = {
#define LAB_ENTRY(id, name, spasm) {name, spasm},
    LAB_LABELS(LAB_ENTRY)
#undef LAB_ENTRY
};

const char *lab_label_name(lab_label l)
{
    return (unsigned)l < LAB_N_LABELS ? vocabulary[l].name : "?";
}

int lab_label_is_spasm(lab_label l)
{
    return (unsigned)l < LAB_N_LABELS && vocabulary[l].spasm;
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Confidence from a relative margin: 0.5 at the limit, 1 at a margin of 50 %.
 * A rule that fired met its limits, so a negative margin (evidence that
 * another test let through, e.g. a regular envelope with irregular burst
 * intervals) never takes it under the documented floor of 0.5; monotone in
 * the margin. */
static double conf_of(double margin)
{
    return clamp01(0.5 + fmax(0.0, margin));
}

static int in_range(double v, double lo, double hi)
{
    return !isnan(v) && v >= lo && v <= hi;
}

static int is_rest_like(emg_context c)
{
    return c == EMG_CONTEXT_REST || c == EMG_CONTEXT_SLEEP || c == EMG_CONTEXT_EXERCISE;
}

/* Physiological (8-12 Hz) tremor is a postural and action tremor: it appears
 * while a posture is held or a movement made and is absent from a relaxed
 * muscle (Elble & Deuschl 2011; McAuley & Marsden 2000); orthostatic tremor
 * (13-18 Hz) appears on standing (criteria page, line 31).  At rest or
 * asleep neither is the explanation of activity, so rule 3d is not applied
 * there (the realsim rest scenes: noise bursts at 8-18 Hz were called
 * tremor, and a cramp's envelope rhythm made a cramp tremor). */
static int tremor_possible(emg_context c)
{
    return c != EMG_CONTEXT_REST && c != EMG_CONTEXT_SLEEP;
}

/* What the rules look at, computed once per episode. */
typedef struct facts {
    const lab_episode *e;
    const lab_partner *pi;
    emg_context ctx;
    double rel_level;    /* partner's level over rest relative to this channel's */
    int has_partner, partner_active, together, alternating;
    int common_drive;    /* the pair's envelopes share an in-phase 4-7 Hz modulation */
    int enough;          /* enough major bursts for a rhythm */
    int iv_regular;      /* burst intervals regular */
    int ac_regular;      /* envelope autocorrelation strong */
    int sp_regular;      /* envelope spectrum sharply peaked in the clonic band */
    int regular;
    double rate;         /* Hz, burst rate the rhythm rules use */
} facts;

static void facts_of(facts *f, const lab_episode *e, const lab_partner *pi, emg_context ctx,
                     const emg_label_options *o)
{
    memset(f, 0, sizeof *f);
    f->e = e;
    f->pi = pi;
    f->ctx = ctx;
    f->has_partner = pi->index >= 0;
    /* The partner is active when its envelope is above its threshold for a
     * good part of the event and it is not crosstalk: volume-conducted
     * crosstalk follows this channel at zero lag with a small fraction of its
     * level over rest; a small partner that lags is a muscle of its own. */
    f->rel_level = (pi->level - 1) / (e->level_over_rest - 1);
    int crosstalk = f->rel_level < o->crosstalk &&
                    (isnan(pi->lag) || fabs(pi->lag) <= o->together_lag || pi->r0 > o->crosstalk_r);
    f->partner_active = f->has_partner && pi->active >= o->partner_quiet && !crosstalk;
    /* Together or alternating is a relation of the pair: judged from both
     * muscles' activity over the episode, so that the same pair gets the
     * same relation from either side (issue 12 item 2); %COCON, |lag| and
     * r(0) are symmetric already. */
    int both = f->partner_active && !(pi->self_active < o->partner_quiet);
    f->together = both && pi->cocon > o->cocon && !isnan(pi->lag) &&
                  fabs(pi->lag) <= o->together_lag && pi->r0 > 0;
    /* Dystonic co-contraction is more than both muscles on at zero lag (a
     * normal antagonist co-activation is that too, and %COCON normalises
     * each envelope to its own peak): the two share a 4-7 Hz modulation
     * as a share of their modulation (crosstalk couples every frequency
     * alike; label_partner.c). */
    f->common_drive = f->together && (!(o->drive_share > 0) || pi->drive >= o->drive_share);
    f->alternating = both && !f->together &&
                     (!(pi->r0 > 0) || (!isnan(pi->lag) && fabs(pi->lag) > o->together_lag));
    /* Regular: burst intervals with a small CV, or, when weak beats are
     * missed (which inflates the CV), a strong envelope autocorrelation. */
    f->enough = e->n_major >= (size_t)o->rhythm_min_bursts;
    f->iv_regular = f->enough && !isnan(e->interval_cv) && e->interval_cv < o->clonic_cv;
    f->ac_regular = f->enough && !isnan(e->rhythm) && e->rhythm >= o->rhythm_r;
    /* Or, where real texture splits beats into fragments (interval CV) and
     * modulates their size (the autocorrelation's early peak falls on a
     * multiple of the period), one sharp peak of the envelope spectrum in
     * the clonic band: a clonus keeps its frequency (criteria page). */
    f->sp_regular = f->enough && o->spectral_share > 0 && e->spectral_share >= o->spectral_share &&
                    in_range(e->spectral_rate, o->clonic_low, o->clonic_high);
    f->regular = f->iv_regular || f->ac_regular || f->sp_regular;
    f->rate = f->iv_regular ? e->interval_rate
              : f->sp_regular ? e->spectral_rate
              : f->ac_regular ? e->burst_rate
              : f->enough && !isnan(e->interval_rate) ? e->interval_rate
                                                      : e->burst_rate;
}

static void explain_measures(lab_text *x, const facts *f, const emg_label_options *o)
{
    const lab_episode *e = f->e;
    const lab_partner *pi = f->pi;
    lab_printf(x, "  measures: D %.3f s, %zu bursts, %zu major (median %.1f ms, longest %.1f ms, "
                 "%.2f single-unit, %.2f of the time in long bursts), "
                 "interval rate %.2f Hz CV %.2f, autocorr rate %.2f Hz (r %.2f), "
                 "spectral peak %.2f Hz (share %.2f), "
                 "single-unit fraction %.2f, spikes/burst %.1f, multiplets %d, duty %.2f, "
                 "amp/rest %.1f, peak/noise %.1f, level/rest %.1f, rise %.2f s, waxing %.2f, MDF %.1f Hz, context %s\n",
              e->duration, e->n_bursts, e->n_major, 1e3 * e->burst_duration,
              1e3 * e->longest_burst, e->major_single_fraction, e->sustained_share,
              e->interval_rate, e->interval_cv, e->burst_rate, e->rhythm, e->spectral_rate,
              e->spectral_share, e->single_fraction,
              e->spikes, e->multiplets, e->duty, e->amp_over_rest, e->peak_snr, e->level_over_rest,
              e->rise_time, e->waxing, e->mdf, emg_context_name(f->ctx));
    lab_printf(x, "  rest median frequency %.1f Hz\n", e->rest_mdf);
    if (e->local_rest > 1)
        lab_printf(x, "  rest around the episode (--local-rest): %.2f x the quiet rest; amp, "
                     "level, duty and peaks above are over it\n", e->local_rest);
    if (!f->has_partner) {
        lab_printf(x, "  no partner channel (--pair)\n");
        return;
    }
    lab_printf(x, "  partner channel %d: active %.2f of the time, level %.1f x rest "
                 "(%.2f of this channel's), %%COCON %.0f, lag %.0f ms, r(0) %.2f -> %s\n",
              pi->index + 1, pi->active, pi->level, f->rel_level, pi->cocon, 1e3 * pi->lag,
              pi->r0, f->together ? "together" : f->alternating ? "alternating" : "quiet");
    lab_printf(x, "  pair 4-7 Hz drive: in-phase r %.2f at 4-7 Hz, common in-phase share "
                 "%.2f of the modulation (needs %.2f)\n", pi->drive_r, pi->drive, o->drive_share);
}

static void decided(lab_decision *d, lab_label label, const char *rule, double confidence)
{
    d->label = label;
    d->rule = rule;
    d->confidence = confidence;
}

/* Rule 2: isolated motor-unit-sized transients; 1 when it decides. */
static int rule_isolated(lab_decision *d, const facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    int brief_bursts = !isnan(e->burst_duration) && e->burst_duration <= o->brief_max;
    int tetanic_ctx = f->ctx == EMG_CONTEXT_ISCHEMIA || f->ctx == EMG_CONTEXT_HYPERVENTILATION;
    if (e->multiplets > 0 && brief_bursts &&
        (double)e->multiplets >= o->multiplet_share * (double)e->n_bursts) {
        if (tetanic_ctx) {
            lab_printf(x, "  rule 2c tetanic: match (%d multiplets of >= %d spikes of one size, "
                         "context %s)\n", e->multiplets, o->multiplet_spikes,
                      emg_context_name(f->ctx));
            decided(d, LAB_TETANIC, "2c-multiplets",
                    conf_of((double)e->multiplets / (double)e->n_bursts - o->multiplet_share));
            return 1;
        }
        if (f->ctx == EMG_CONTEXT_NONE) {
            lab_printf(x, "  rule 2c tetanic: undecided: multiplets present but no "
                         "ischemia/hyperventilation context\n");
            d->missing |= EMG_LABEL_MISSING_CONTEXT;
            d->rule = "2c-needs-context";
            return 1;
        }
        lab_printf(x, "  rule 2c tetanic: no (context %s is not ischemia/hyperventilation)\n",
                  emg_context_name(f->ctx));
    } else {
        lab_printf(x, "  rule 2c tetanic: no (%d multiplets in %zu bursts)\n", e->multiplets,
                  e->n_bursts);
    }
    /* Sparse: a few potentials, not the continuous firing of a contraction. */
    double potential_rate = (double)e->n_bursts / (e->duration + o->episode_gap);
    int isolated = e->n_bursts > 0 && e->single_fraction >= o->single_min &&
                   potential_rate <= o->sparse_rate && e->longest_burst <= 2 * o->transient_max &&
                   e->amp_over_rest >= o->min_amp;
    /* A fasciculation potential stands clearly above the noise: on real rest,
     * noise spikes (1/f, mains residue, the steps of data sampled at 200 Hz
     * and held) reach ~5.6 x the rest RMS and pass every shape test. */
    if (isolated && !(e->peak_snr >= o->fasc_snr)) {
        lab_printf(x, "  rule 2a fasciculation: no (largest potential %.1f x rest RMS < %.1f: "
                     "noise): no label\n", e->peak_snr, o->fasc_snr);
        decided(d, LAB_NONE, "2a-below-noise", 0.5);
        return 1;
    }
    if (!isolated) {
        lab_printf(x, "  rule 2a fasciculation: no (single-unit fraction %.2f, %.1f potentials/s, "
                     "longest burst %.1f ms)\n",
                  e->single_fraction, potential_rate, 1e3 * e->longest_burst);
        return 0;
    }
    if (f->regular && in_range(e->interval_rate, o->train_low, o->train_high) &&
        e->interval_cv <= o->train_cv) {
        lab_printf(x, "  rule 2b regular single-unit train (CV %.3f <= %.2f): no spasm\n",
                  e->interval_cv, o->train_cv);
        decided(d, LAB_NONE, "2b-regular-train", 0.8);
        return 1;
    }
    if (f->ctx == EMG_CONTEXT_MOVEMENT || f->ctx == EMG_CONTEXT_EXERCISE) {
        /* Fasciculations are judged at rest; during a task isolated
         * potentials are units recruited at low force. */
        lab_printf(x, "  rule 2a fasciculation: no (isolated potentials, but context %s is "
                     "not rest): no spasm\n", emg_context_name(f->ctx));
        decided(d, LAB_NONE, "2a-not-at-rest", 0.3);
        return 1;
    }
    lab_printf(x, "  rule 2a fasciculation: match (%zu isolated potential(s), max %d phases, "
                 "median %.1f ms)\n", e->n_bursts, e->max_phases, 1e3 * e->burst_duration);
    decided(d, LAB_FASCICULATION, "2a-isolated-potentials",
            conf_of(0.5 * (e->single_fraction - o->single_min) / 0.2 +
                    0.25 * (o->transient_max - e->burst_duration) / o->transient_max));
    return 1;
}

/* Does the episode consist of brief bursts (rule 3)?  May set f->rate to the
 * envelope rhythm. */
static int is_phasic(facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    int brief_bursts = !isnan(e->burst_duration) && e->burst_duration <= o->brief_max;
    /* Phasic: compound brief bursts (many units at once) with little time in
     * long bursts; asynchronous low-level firing breaks into single-unit
     * fragments and is not a burst pattern. */
    int phasic = brief_bursts && e->sustained_share < o->brief_sustained_share &&
                 e->major_single_fraction < o->compound_single_max &&
                 (e->n_major >= 2 || e->duration <= o->brief_max + 0.05) &&
                 !(e->duty > o->brief_max_duty && e->duration > o->sustained_min);
    /* Many irregular bursts per second are not jerks but the fragments of
     * continuous firing: treat them as sustained activity.  Where the
     * envelope is active most of the time, the rate between burst onsets
     * counts (fragments cluster where the contraction is strongest). */
    double density = (double)e->n_major / (e->duration + 0.1);
    if (e->duty > o->dense_duty && e->interval_rate > density)
        density = e->interval_rate;
    if (phasic && !f->regular && density > o->myoclonic_max_rate) {
        lab_printf(x, "  %.1f irregular bursts/s > %.1f: continuous activity, not jerks\n",
                  density, o->myoclonic_max_rate);
        phasic = 0;
    }
    /* A strong envelope rhythm at 3.5-18 Hz is a burst pattern even when weak
     * beats break into single-unit fragments on the fine envelope. */
    if (!phasic && f->ac_regular && in_range(e->burst_rate, o->clonic_low, o->orthostatic_high) &&
        e->sustained_share < o->brief_sustained_share) {
        lab_printf(x, "  rhythmic envelope (%.2f Hz, r %.2f): treated as bursts\n", e->burst_rate,
                  e->rhythm);
        phasic = 1;
        f->rate = e->burst_rate;
    }
    if (!phasic)
        lab_printf(x, "  rule 3 brief bursts: no (median burst %.0f ms, longest %.0f ms, "
                     "duty %.2f)\n", 1e3 * e->burst_duration, 1e3 * e->longest_burst, e->duty);
    return phasic;
}

/* Rule 3 ataxic: 2-5 Hz alternation during movement with mistimed
 * (irregular) or prolonged (150-250 ms) bursts; 1 when it matches. */
static int rule_ataxic(lab_decision *d, const facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    /* A mistimed rhythm can put the envelope autocorrelation peak at a
     * multiple of the period (a subharmonic): nearly regular burst intervals
     * (CV under twice the clonic limit) in the band decide then. */
    double rate = f->rate;
    int regular = f->regular;
    if (!in_range(rate, o->ataxic_low, o->ataxic_high) && f->enough &&
        e->interval_cv < 2 * o->clonic_cv && in_range(e->interval_rate, o->ataxic_low,
                                                      o->ataxic_high)) {
        rate = e->interval_rate;
        regular = f->iv_regular; /* the intervals, not the subharmonic, decide */
    }
    int ataxic_like = in_range(rate, o->ataxic_low, o->ataxic_high) && f->enough &&
                      (!regular || e->burst_duration > o->clonic_max_burst);
    /* Activity during movement shorter than sustained_min must stand
     * voluntary_amp over rest to be told from a rest-noise blip (rule 4e;
     * Clancy et al. 2002): two or three small bursts of under a second are
     * not yet an ataxic alternation either. */
    int blip = e->duration < o->sustained_min && !(e->amp_over_rest >= o->voluntary_amp);
    if (!ataxic_like) {
        lab_printf(x, "  rule 3b ataxic: no (rate %.2f Hz, regular %d, bursts %.0f ms)\n", rate,
                  regular, 1e3 * e->burst_duration);
    } else if (blip && f->ctx == EMG_CONTEXT_MOVEMENT) {
        lab_printf(x, "  rule 3b ataxic: no (%.2f s < %.2f s at %.1f x rest < %.1f: a rest-noise "
                     "blip)\n", e->duration, o->sustained_min, e->amp_over_rest,
                  o->voluntary_amp);
    } else if (f->ctx != EMG_CONTEXT_NONE && f->ctx != EMG_CONTEXT_MOVEMENT) {
        /* Ataxic alternation happens during movement (Hallett et al. 1975):
         * a known context that is not movement rules it out, pair or not. */
        lab_printf(x, "  rule 3b ataxic: no (context %s is not movement)\n",
                  emg_context_name(f->ctx));
    } else if (!f->has_partner) {
        lab_printf(x, "  rule 3b ataxic: undecided: needs an antagonist (--pair)\n");
        d->missing |= EMG_LABEL_MISSING_PAIR;
    } else if (f->alternating && f->ctx == EMG_CONTEXT_MOVEMENT) {
        lab_printf(x, "  rule 3b ataxic: match (%.2f Hz, CV %.2f, bursts %.0f ms, antagonist "
                     "lags %.0f ms, movement)\n", rate, e->interval_cv,
                  1e3 * e->burst_duration, 1e3 * f->pi->lag);
        decided(d, LAB_ATAXIC, "3b-alternating", conf_of(0.2 + 0.3 * !regular));
        return 1;
    } else if (f->alternating && f->ctx == EMG_CONTEXT_NONE) {
        lab_printf(x, "  rule 3b ataxic: undecided: alternating, but needs the movement "
                     "context\n");
        d->missing |= EMG_LABEL_MISSING_MOVEMENT;
    } else {
        lab_printf(x, "  rule 3b ataxic: no (alternating %d, context %s)\n", f->alternating,
                  emg_context_name(f->ctx));
    }
    return 0;
}

/* Rule 3e: arrhythmic compound bursts; the note gives the origin that the
 * burst duration suggests (criteria page: 45 ms separates cortical,
 * brainstem jerks last over 100 ms). */
void lab_myoclonic_origin(char *note, size_t n, double burst_duration,
                          const emg_label_options *o)
{
    double cortical = 1e3 * o->cortical_max, brainstem = 1e3 * o->brainstem_min;
    if (burst_duration < o->cortical_max)
        snprintf(note, n, "cortical (<%g ms)", cortical);
    else if (burst_duration > o->brainstem_min)
        snprintf(note, n, "brainstem (>%g ms)", brainstem);
    else
        snprintf(note, n, "subcortical (%g-%g ms)", cortical, brainstem);
}

static void myoclonic(lab_decision *d, const lab_episode *e, const char *rule, double confidence,
                      const emg_label_options *o)
{
    decided(d, LAB_MYOCLONIC, rule, confidence);
    lab_myoclonic_origin(d->note, sizeof d->note, e->burst_duration, o);
}

/* During a task, a contraction that only an antagonist could tell from a
 * dystonic or ataxic pattern is the task's own contraction: one channel's
 * envelope modulated at 2-7 Hz is also what voluntary movement produces
 * (repetitive movement cadence, motor units recruited at 6-8/s firing
 * rates), and dystonic co-contraction or ataxic alternation are relations
 * between two muscles (Farmer et al. 1998; Hallett et al. 1975).  Labelled
 * voluntary, with the missing pair reported. */
static void movement_unpaired(lab_decision *d, const char *which, lab_text *x)
{
    lab_printf(x, "  movement context, no antagonist: voluntary (%s would need --pair)\n",
              which);
    decided(d, LAB_VOLUNTARY, "4e-movement-unpaired", 0.5);
    snprintf(d->note, sizeof d->note, "%s needs --pair", which);
}

/* Tremor EMG is grouped discharges: many units firing together in each
 * tremor beat, so that the envelope is deeply modulated at the tremor rate
 * (Elble & Deuschl 2011; McAuley & Marsden 2000 on physiological tremor).
 * One motor unit firing regularly at 8-12/s during a gentle contraction
 * (a needle recording's single-unit train) modulates the envelope at its
 * firing rate too, but its bursts are single potentials. */
static int grouped(const lab_episode *e, const emg_label_options *o)
{
    return !(e->single_fraction >= o->tremor_single_max) && e->spikes >= o->tremor_spikes;
}

/* Tremor modulates a postural background: the tremor beats stand out as
 * major bursts (peak at least a quarter of the largest) in a good share of
 * the cycles, or the background they ride on is steady.  A phasic voluntary
 * contraction's envelope also has an autocorrelation peak at its units'
 * firing rate (8-20/s; McAuley & Marsden 2000), but its major bursts are
 * the few peaks of the movement, not one per cycle, and its envelope swings
 * with the movement (waxing 0.57-0.68 on the real leg lift and biceps
 * bursts of docs/methods/specificity.md; tremor scenes 0.03-0.36). */
static int deep(const lab_episode *e, const emg_label_options *o)
{
    double cycles = e->burst_rate * e->duration;
    int beats = cycles > 0 && (double)e->n_major >= o->tremor_beat_share * cycles;
    return beats || !(e->waxing >= o->tremor_waxing);
}

/* Rule 3: brief bursts.  1 when decided; 0 when the bursts are too small
 * for jerks and the episode is long enough to be judged as sustained
 * low-level activity (rule 4). */
static int rule_brief(lab_decision *d, const facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    /* Clonic beats are compound bursts of 50-100 ms: at least 20 ms. */
    if (f->regular && in_range(f->rate, o->clonic_low, o->clonic_high) &&
        e->burst_duration <= o->clonic_max_burst && e->burst_duration >= o->clonic_min_burst) {
        lab_printf(x, "  rule 3a clonic: match (%zu regular bursts, CV %.2f < %.2f, %.2f Hz "
                     "in %.1f-%.1f, bursts %.0f ms)\n", e->n_bursts, e->interval_cv,
                  o->clonic_cv, f->rate, o->clonic_low, o->clonic_high, 1e3 * e->burst_duration);
        /* The burst intervals' margin, or the spectral peak's where it made
         * the rhythm regular and is the larger. */
        double margin = 0.5 * (o->clonic_cv - e->interval_cv) / o->clonic_cv;
        if (f->sp_regular)
            margin = fmax(margin, 0.5 * (e->spectral_share - o->spectral_share) /
                                      o->spectral_share);
        decided(d, LAB_CLONIC, "3a-regular-bursts", conf_of(margin + 0.25 * (e->n_major >= 6)));
        return 1;
    }
    lab_printf(x, "  rule 3a clonic: no (regular %d, rate %.2f Hz, bursts %.0f ms)\n",
              f->regular, f->rate, 1e3 * e->burst_duration);
    /* Bursts this small (under a compound jerk's size) and irregular over
     * more than a second are the fragments of low-level firing hovering about
     * the threshold (raised resting activity), not a burst pattern: judged
     * as sustained activity (rule 4), where tremor is still found. */
    if (e->amp_over_rest < o->myoclonic_amp && e->duration > o->sustained_min) {
        lab_printf(x, "  rule 3: bursts of %.1f x rest < %.1f over %.1f s: judged as low-level "
                     "sustained activity\n", e->amp_over_rest, o->myoclonic_amp, e->duration);
        return 0;
    }
    if (rule_ataxic(d, f, o, x))
        return 1;
    if (in_range(e->burst_rate, o->dystonic_low, o->dystonic_high) && f->common_drive &&
        e->duty > o->dystonic_duty) {
        lab_printf(x, "  rule 3c dystonic: match (%.2f Hz, together with the antagonist, "
                     "%%COCON %.0f, common drive %.2f, background duty %.2f)\n", e->burst_rate,
                  f->pi->cocon, f->pi->drive, e->duty);
        decided(d, LAB_DYSTONIC, "3c-together-4-7Hz", conf_of((f->pi->cocon - o->cocon) / 100.0 + 0.2));
        return 1;
    }
    lab_printf(x, "  rule 3c dystonic: no (together %d, common drive %d, duty %.2f)\n",
              f->together, f->common_drive, e->duty);
    int tremor_band = in_range(f->rate, o->tremor_low, o->tremor_high) ||
                      in_range(f->rate, o->orthostatic_low, o->orthostatic_high);
    if (f->regular && grouped(e, o) && tremor_band && !tremor_possible(f->ctx)) {
        /* A regular 8-18 Hz rhythm in a relaxed muscle is no tremor and no
         * spasm of the criteria page: no label, or noise when small. */
        lab_printf(x, "  rule 3d tremor: no (%.2f Hz regular, but context %s: tremor needs a "
                     "posture or movement): no label\n", f->rate, emg_context_name(f->ctx));
        decided(d, LAB_NONE, "3d-not-at-rest", 0.5);
        return 1;
    }
    if (f->regular && grouped(e, o) && tremor_band && e->duration < o->tremor_brief_min) {
        /* Tremor is an ongoing oscillation (Elble & Deuschl 2011): a few
         * regular beats of a brief episode are a noise burst's ripple. */
        lab_printf(x, "  rule 3d tremor: no (%.2f Hz regular, but %.2f s < %.2f s): noise, no "
                     "label\n", f->rate, e->duration, o->tremor_brief_min);
        decided(d, LAB_NONE, "3d-too-brief", 0.5);
        return 1;
    }
    if (f->regular && grouped(e, o) && tremor_band) {
        lab_printf(x, "  rule 3d tremor: match (%.2f Hz regular): not a spasm\n", f->rate);
        /* The margin of the regularity test that passed: burst intervals or
         * the envelope autocorrelation. */
        double cv_margin = f->iv_regular ? 0.5 * (o->clonic_cv - e->interval_cv) / o->clonic_cv
                                         : 0;
        double ac_margin = f->ac_regular ? (e->rhythm - o->rhythm_r) / o->rhythm_r : 0;
        decided(d, LAB_TREMOR, "3d-tremor", conf_of(fmax(cv_margin, ac_margin)));
        return 1;
    }
    lab_printf(x, "  rule 3d tremor: no\n");
    if (d->missing) {
        lab_printf(x, "  rule 3e myoclonic: not applied (a rhythm that another input would "
                     "decide)\n");
        d->rule = "3-needs-input";
        if (f->ctx == EMG_CONTEXT_MOVEMENT && !f->has_partner)
            movement_unpaired(d, "ataxic", x);
        return 1;
    }
    /* During a task, bursts that are regular, longer than a jerk, or that
     * fill most of a contraction lasting over a second (jerks stand out of
     * silence) are the task's contraction. */
    int fills = e->duty > o->task_duty && e->duration > o->sustained_min;
    if (f->ctx == EMG_CONTEXT_MOVEMENT &&
        (f->regular || e->burst_duration > o->clonic_max_burst || fills)) {
        lab_printf(x, "  rule 3e myoclonic: no (%s during movement): voluntary\n",
                  f->regular ? "regular bursts"
                  : fills    ? "activity most of the time"
                             : "bursts longer than a jerk");
        decided(d, LAB_VOLUNTARY, "3e-movement-bursts", 0.5);
        return 1;
    }
    if (e->amp_over_rest < o->myoclonic_amp) {
        lab_printf(x, "  rule 3e myoclonic: no (amplitude %.1f x rest < %.1f: not a compound "
                     "jerk): no label\n", e->amp_over_rest, o->myoclonic_amp);
        decided(d, LAB_NONE, "3e-too-small", 0.3);
        return 1;
    }
    lab_printf(x, "  rule 3e myoclonic: match (%s compound bursts, median %.0f ms)\n",
              f->regular ? "regular but out-of-band" : "arrhythmic", 1e3 * e->burst_duration);
    myoclonic(d, e, "3e-arrhythmic-compound",
              conf_of(0.5 * (1 - e->single_fraction) - 0.1 * f->regular), o);
    return 1;
}

/* One compound burst of 10 ms (the shortest cortical jerk) up to twice a
 * brief burst: a jerk (brainstem myoclonus lasts over 100 ms, with no upper
 * bound on the criteria page). */
static int is_single_jerk(const lab_episode *e, const emg_label_options *o)
{
    return e->n_major >= 1 && e->major_single_fraction < o->compound_single_max &&
           e->burst_duration >= o->jerk_min && e->longest_burst <= 2 * o->brief_max &&
           e->amp_over_rest >= o->myoclonic_amp;
}

/* Sustained activity is both raised and lasting: real rest noise is
 * non-stationary (1/f drift, mains residue, ECG spikes in trunk muscles) and
 * crosses the rest threshold in brief spikes (duty ~0.01-0.36 on the real
 * rest stretches of docs/methods/specificity.md) while its median stays near
 * the rest level.  Either a raised median or an envelope active a good part
 * of the time is activity (raised resting activity in strain keeps the
 * envelope active about half the time at ~1.5 x rest). */
static int is_active(const lab_episode *e, const emg_label_options *o)
{
    /* Noise episodes on real rest last at most ~4 s; firing that keeps
     * producing bursts for longer than activity_long is held activity
     * whatever its level against a rest level that the contraction itself
     * may have set (a contraction filling the recording). */
    int held = e->duration >= o->activity_long &&
               (double)e->n_bursts >= o->sparse_rate * e->duration;
    return e->level_over_rest >= o->activity_level || e->duty >= o->activity_duty || held;
}

/* Muscle activity shapes the spectrum: surface EMG of a contraction has its
 * median frequency at 50-120 Hz (MUAP shape and the tissue's low-pass;
 * criteria page, fatigue section: biceps ~90 Hz, tibialis anterior ~116),
 * so activity added to the rest noise pulls the episode's median frequency
 * down toward that band.  Rest noise that is louder for a while (electrode
 * contact, skin impedance, cable motion: Clancy et al. 2002) keeps the rest's
 * spectrum or raises it.  An episode whose median frequency lies
 * rest_mdf_margin or more above the rest windows' and above the band of
 * surface EMG (muscle_mdf_max: over rest dominated by low-frequency noise a
 * contraction raises the median frequency, but into that band) holds no
 * muscle activity the spectrum shows; it is judged so only while its peak
 * is small enough for rest to make up most of its power (rest_spectrum_amp).
 * Surface channels only: label_stream.c leaves rest_mdf unknown for needle
 * EMG, whose spectrum reaches kHz.  Not during movement: the quietest
 * windows of a task recording may be the task's own low-level activity, not
 * rest (real voluntary stretches of docs/methods/specificity.md, whose
 * quietest windows are their contraction's weaker phases, had median
 * frequencies of 161-177 Hz, 12-27 Hz above those windows'). */
static int rest_spectrum(const lab_episode *e, const emg_label_options *o)
{
    return o->rest_mdf_margin > 0 && !isnan(e->mdf) && e->rest_mdf > 0 &&
           e->mdf >= e->rest_mdf + o->rest_mdf_margin && e->mdf >= o->muscle_mdf_max &&
           e->amp_over_rest < o->rest_spectrum_amp;
}

/* Rule 4: sustained activity (D > sustained_min). */
static void rule_sustained(lab_decision *d, const facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    emg_context ctx = f->ctx;
    /* Co-contraction is sustained activity of both muscles: an episode
     * whose own activity is not sustained (one jerk and its quiet tail: the
     * median level at rest) is not co-contraction, whatever the shapes of
     * the two envelopes (%COCON normalises each to its own peak). */
    /* In the injury context raised resting activity barely above rest is
     * the finding (strain), whatever its spectrum; during movement the
     * quietest windows are not surely rest (rest_spectrum). */
    int noise_spectrum = ctx != EMG_CONTEXT_INJURY && ctx != EMG_CONTEXT_MOVEMENT &&
                         rest_spectrum(e, o);
    int active = is_active(e, o) && !noise_spectrum;
    if (f->common_drive && e->rhythm_4_7 >= o->modulation && active) {
        lab_printf(x, "  rule 4a dystonic: match (%%COCON %.0f > %.0f, lag %.0f ms, 4-7 Hz "
                     "modulation %.2f, common drive %.2f%s)\n", f->pi->cocon, o->cocon,
                  1e3 * f->pi->lag, e->rhythm_4_7, f->pi->drive,
                  e->mdf < o->mdf_low ? ", low MDF" : "");
        decided(d, LAB_DYSTONIC, "4a-cocontraction",
                conf_of((f->pi->cocon - o->cocon) / 100.0 + e->rhythm_4_7));
        return;
    }
    /* Tremor rides on a postural or voluntary background: sustained activity
     * whose envelope is regularly modulated at 8-12 Hz (physiological) or
     * 13-18 Hz (orthostatic) for at least tremor_min is tremor (rule 3d),
     * whatever the bursts.  Shorter contractions show their units' firing
     * rate in the envelope, which is not yet a tremor.  Tested before the
     * activity test: grouped, deeply modulated bursts are not noise even on
     * a low background. */
    if (tremor_possible(ctx) && e->rhythm >= o->rhythm_r && e->duration >= o->tremor_min &&
        grouped(e, o) &&
        deep(e, o) && e->duty >= o->tremor_duty &&
        (in_range(e->burst_rate, o->tremor_low, o->tremor_high) ||
         in_range(e->burst_rate, o->orthostatic_low, o->orthostatic_high))) {
        lab_printf(x, "  rule 3d tremor: match (envelope of the sustained activity regular at "
                     "%.2f Hz, r %.2f): not a spasm\n", e->burst_rate, e->rhythm);
        decided(d, LAB_TREMOR, "3d-tremor-on-background", conf_of(e->rhythm - o->rhythm_r));
        return;
    }
    if (noise_spectrum && is_active(e, o)) {
        lab_printf(x, "  rule 4: no (median frequency %.1f Hz >= the rest's %.1f + %.1f Hz and >= %.0f Hz, "
                     "peak %.1f x rest < %.1f: louder rest noise, not muscle): no label\n",
                  e->mdf, e->rest_mdf, o->rest_mdf_margin, o->muscle_mdf_max, e->amp_over_rest,
                  o->rest_spectrum_amp);
        decided(d, LAB_NONE, "4-rest-spectrum", 0.5);
        return;
    }
    /* In the injury context the finding sought is exactly raised resting
     * activity barely above rest (strain: no validated signature, criteria
     * page), so the activity test does not apply there. */
    if (ctx != EMG_CONTEXT_INJURY && !active && ctx != EMG_CONTEXT_MOVEMENT &&
        is_single_jerk(e, o)) {
        /* Over a second long but not sustained: one compound jerk and the
         * quiet (or noise) around it. */
        lab_printf(x, "  rule 4: not sustained (level %.1f x rest, active %.2f); rule 3e "
                     "myoclonic: match (one compound burst of %.0f ms)\n", e->level_over_rest,
                  e->duty, 1e3 * e->longest_burst);
        myoclonic(d, e, "3e-single-jerk", 0.5, o);
        return;
    }
    if (ctx != EMG_CONTEXT_INJURY && !active) {
        lab_printf(x, "  rule 4: no (level %.1f x rest < %.1f and active %.2f < %.2f of the "
                     "time: noise, not sustained activity): no label\n", e->level_over_rest,
                  o->activity_level, e->duty, o->activity_duty);
        decided(d, LAB_NONE, "4-not-active", 0.5);
        return;
    }
    if (!f->has_partner && e->rhythm_4_7 >= 2 * o->modulation && ctx != EMG_CONTEXT_REST &&
        ctx != EMG_CONTEXT_SLEEP) {
        lab_printf(x, "  rule 4a dystonic: undecided (4-7 Hz modulation %.2f) without an "
                     "antagonist (--pair)\n", e->rhythm_4_7);
        d->missing |= EMG_LABEL_MISSING_PAIR;
        d->rule = "4a-needs-pair";
        if (ctx == EMG_CONTEXT_MOVEMENT)
            movement_unpaired(d, "dystonic", x);
        return;
    }
    lab_printf(x, "  rule 4a dystonic: no (together %d, common drive %d, 4-7 Hz modulation "
                 "%.2f)\n", f->together, f->common_drive, e->rhythm_4_7);
    int tonic_len = in_range(e->duration, o->tonic_min, o->tonic_max);
    if (ctx == EMG_CONTEXT_CNS_LESION && tonic_len) {
        lab_printf(x, "  rule 4b tonic: match (plateau %.0f s in %.0f-%.0f s, cns-lesion)\n",
                  e->duration, o->tonic_min, o->tonic_max);
        decided(d, LAB_TONIC, "4b-plateau-cns", conf_of(0.3 + 0.2 * (e->duty > 0.8)));
        return;
    }
    lab_printf(x, "  rule 4b tonic: no (context %s, %.0f s)\n", emg_context_name(ctx),
              e->duration);
    int partner_quiet = f->has_partner && !f->partner_active;
    /* During exercise a held voluntary contraction is expected: a cramp
     * there must show its abrupt onset or its waxing and waning. */
    if (ctx == EMG_CONTEXT_EXERCISE && e->rise_time >= o->cramp_rise &&
        e->waxing < o->cramp_waxing) {
        lab_printf(x, "  rule 4c cramp: no (exercise, rise %.2f s >= %.2f and waxing %.2f < "
                     "%.2f: a held voluntary contraction)\n", e->rise_time, o->cramp_rise,
                  e->waxing, o->cramp_waxing);
        decided(d, LAB_VOLUNTARY, "4c-exercise-steady",
                conf_of((o->cramp_waxing - e->waxing) / o->cramp_waxing));
        return;
    }
    int cramp_ctx = (is_rest_like(ctx) && (!f->has_partner || partner_quiet)) ||
                    (ctx == EMG_CONTEXT_NONE && partner_quiet);
    /* A cramp is a strong, sustained contraction (criteria page: high
     * amplitude against rest, units active ~24 s): weaker or intermittent
     * activity lacks a cramp's features whatever the context claims. */
    if (cramp_ctx && !(e->level_over_rest >= o->cramp_level && e->duty >= o->cramp_duty)) {
        lab_printf(x, "  rule 4c cramp: no (level %.1f x rest, needs %.1f; active %.2f, needs "
                     "%.2f): not strong and sustained enough for a cramp\n",
                  e->level_over_rest, o->cramp_level, e->duty, o->cramp_duty);
        /* Not a spasm of the criteria page, and at rest not told from a
         * noise level that steps with electrode contact or posture (the
         * realsim rest joins real rest noise of levels 1-5x apart): no
         * label, the reason in the note of --explain. */
        decided(d, LAB_NONE, "4c-too-weak", 0.5);
        snprintf(d->note, sizeof d->note, "weak for a cramp: %.1fx %.2f",
                 fmin(e->level_over_rest, 999.0), fmin(e->duty, 1.0));
        return;
    }
    if (cramp_ctx) {
        lab_printf(x, "  rule 4c cramp: match (one muscle active, %s, context %s, rise "
                     "%.2f s)\n", f->has_partner ? "antagonist quiet" : "no antagonist given",
                  emg_context_name(ctx), e->rise_time);
        decided(d, LAB_CRAMP, "4c-single-muscle",
                conf_of(0.2 + 0.2 * partner_quiet + 0.1 * (e->rise_time < 1.0) -
                        0.2 * (ctx == EMG_CONTEXT_NONE)));
        if (ctx == EMG_CONTEXT_SLEEP)
            snprintf(d->note, sizeof d->note, "nocturnal");
        return;
    }
    lab_printf(x, "  rule 4c cramp: no (context %s, partner %s)\n", emg_context_name(ctx),
              !f->has_partner ? "none" : partner_quiet ? "quiet" : "active");
    if (ctx == EMG_CONTEXT_INJURY && e->level_over_rest < o->strain_max_amp) {
        lab_printf(x, "  rule 4d strain: match (injury, level %.1f x rest < %.0f)\n",
                  e->level_over_rest, o->strain_max_amp);
        decided(d, LAB_STRAIN, "4d-injury-low-level", 0.6);
        return;
    }
    lab_printf(x, "  rule 4d strain: no\n");
    /* Prolonged ataxic bursts (150-250 ms) at 2-5 Hz leave little quiet
     * between them: the activity looks sustained, the alternation with the
     * antagonist remains. */
    if (ctx == EMG_CONTEXT_MOVEMENT && f->alternating && rule_ataxic(d, f, o, x))
        return;
    if (ctx == EMG_CONTEXT_MOVEMENT) {
        lab_printf(x, "  rule 4e voluntary: match (movement context, rise %.2f s)\n",
                  e->rise_time);
        decided(d, LAB_VOLUNTARY, "4e-movement", conf_of(0.2 + 0.2 * (e->rise_time >= 0.2)));
        return;
    }
    if (ctx == EMG_CONTEXT_NONE) {
        d->missing |= EMG_LABEL_MISSING_CONTEXT;
        lab_printf(x, tonic_len ? "  rule 4: undecided: tonic, cramp or voluntary by context\n"
                               : "  rule 4: undecided: cramp or voluntary by context or "
                                 "antagonist\n");
    } else {
        lab_printf(x, "  rule 4: no rule matches in context %s\n", emg_context_name(ctx));
    }
    d->rule = "4-none";
}

/* Neither brief bursts nor sustained: up to sustained_min of activity. */
static void rule_between(lab_decision *d, const facts *f, const emg_label_options *o, lab_text *x)
{
    const lab_episode *e = f->e;
    /* A voluntary contraction lasts at least voluntary_min (a ballistic
     * movement's agonist burst lasts about 100 ms); a shorter
     * blip during movement is a jerk if large, else noise (below).  Rest
     * noise crosses the onset threshold in blips too (its level steps with
     * electrode contact, Clancy et al. 2002): a contraction also stands
     * voluntary_amp over rest, else it is judged as such a blip. */
    if (f->ctx == EMG_CONTEXT_MOVEMENT && e->duration >= o->voluntary_min &&
        e->amp_over_rest >= o->voluntary_amp) {
        lab_printf(x, "  short contraction during movement: voluntary\n");
        decided(d, LAB_VOLUNTARY, "4e-movement-short", 0.5);
        return;
    }
    if (is_single_jerk(e, o)) {
        lab_printf(x, "  rule 3e myoclonic: match (one compound burst of %.0f ms)\n",
                  1e3 * e->burst_duration);
        myoclonic(d, e, "3e-single-jerk", 0.5, o);
        return;
    }
    if (e->amp_over_rest < o->myoclonic_amp) {
        lab_printf(x, "  no rule matches a brief, small event (%.3f s, %.1f x rest): noise, no "
                     "label\n", e->duration, e->amp_over_rest);
        decided(d, LAB_NONE, "noise", 0.3);
        return;
    }
    lab_printf(x, "  no rule matches (%.2f s of activity)\n", e->duration);
}

void lab_decide(lab_decision *d, const lab_episode *e, const lab_partner *pi, emg_context ctx,
                   const emg_label_options *o, lab_text *x)
{
    facts f;
    facts_of(&f, e, pi, ctx, o);
    memset(d, 0, sizeof *d);
    decided(d, LAB_UNCLASSIFIED, "none", 0.3);
    explain_measures(x, &f, o);
    if (rule_isolated(d, &f, o, x))
        return;
    if (is_phasic(&f, o, x) && rule_brief(d, &f, o, x))
        return;
    if (e->duration > o->sustained_min)
        rule_sustained(d, &f, o, x);
    else
        rule_between(d, &f, o, x);
}

/* Filters start up and wind down at the recording's edges: the 20 Hz
 * high-pass has a time constant of ~8 ms and settles over a few of them, the
 * mains notch rings longer.  A blip that fits inside the guard at either end
 * is the filter's transient, never an event (issue 12 item 3: a 3 ms blip
 * 18 ms after the start was labelled fasciculation). */
int lab_is_edge_transient(double t0, double t1, double total, const emg_label_options *o)
{
    int short_blip = t1 - t0 < o->edge_guard;
    return short_blip && (t0 < o->edge_guard || t1 > total - o->edge_guard);
}

/* Ischemic contracture: force segments during which the EMG stays silent. */
int lab_ischemic_events(lab_ev_list *l, const emg_header *h, const double *force,
                           const lab_channel *chs, const int *is_emg, int force_c,
                           const emg_label_options *o, const lab_ctx_table *ctxt, unsigned *missing,
                           emg_error *err)
{
    const emg_channel *fc = &h->channels[force_c];
    size_t *seg = NULL, ns = 0;
    if (fc->n_samples <= 0)
        return 0;
    int rc = lab_force_segments(&seg, &ns, force, (size_t)fc->n_samples, fc->fs, o, err);
    if (rc < 0)
        return rc;
    for (size_t s = 0; s < ns; s++) {
        double t0 = (double)seg[2 * s] / fc->fs, t1 = (double)seg[2 * s + 1] / fc->fs;
        int target = -1;
        double worst = 0;
        for (size_t c = 0; c < h->n_channels; c++) {
            if (!is_emg[c])
                continue;
            const lab_channel *ch = &chs[c];
            if (o->n_pairs > 0 && lab_partner_of(o, (int)c) >= 0 && o->pairs[0][0] != (int)c &&
                target >= 0)
                continue;
            double dfs = ch->fs / (double)ch->step;
            size_t a = (size_t)(t0 * dfs), b = (size_t)(t1 * dfs), act = 0;
            double peak = 0;
            if (b > ch->nd)
                b = ch->nd;
            for (size_t i = a; i < b; i++) {
                act += ch->coarse[i] > ch->thr_coarse;
                peak = fmax(peak, ch->coarse[i]);
            }
            double frac = b > a ? (double)act / (double)(b - a) : 0;
            /* Silent means no burst either: brief jerks also move a force
             * sensor while the envelope is quiet most of the time. */
            if (peak > ch->rest_coarse + 3 * (ch->thr_coarse - ch->rest_coarse))
                frac = 1;
            worst = fmax(worst, frac);
            if (target < 0)
                target = (int)c;
        }
        if (target < 0 || worst >= o->partner_quiet || t1 - t0 < o->sustained_min)
            continue;
        lab_event *w = lab_ev_push(l, err);
        if (!w) {
            free(seg);
            return EMG_ERR_NOMEM;
        }
        emg_label_event *e = &w->ev;
        lab_event_label(w, LAB_ISCHEMIC);
        e->onset = t0;
        e->duration = t1 - t0;
        e->channel = target;
        lab_set_str(e->rule, sizeof e->rule, "1-force-without-emg");
        lab_set_str(e->context, sizeof e->context,
                emg_context_name(lab_context_over(ctxt, target, t0, t1)));
        snprintf(e->note, sizeof e->note, "force channel %.32s", fc->name);
        e->confidence = conf_of(0.5 * (o->partner_quiet - worst) / o->partner_quiet);
        if (o->explain) {
            char buf[256];
            snprintf(buf, sizeof buf,
                     "  rule 1 ischemic: match (force %s active %.1f-%.1f s while the EMG is "
                     "active %.0f%% of the time < %.0f%%)\n",
                     fc->name, t0, t1, 100 * worst, 100 * o->partner_quiet);
            e->explain = emgi_xstrdup(buf, NULL);
        }
    }
    (void)missing;
    free(seg);
    return 0;
}

/* Decide the span [t0, t1) s of channel c, measured as e: the partner's
 * measures over the span, the context holding over it, then the rules.
 * Returns that context. */
emg_context lab_decide_span(lab_decision *d, lab_partner *pi, const lab_episode *e,
                               const lab_channel *chs, int c, int p, double t0, double t1,
                               const lab_ctx_table *ctxt, const emg_label_options *o, lab_text *x)
{
    memset(pi, 0, sizeof *pi);
    pi->index = p;
    if (p >= 0)
        lab_partner_measures(pi, &chs[c], &chs[p], t0, t1, o);
    emg_context ctx = lab_context_over(ctxt, c, t0, t1);
    lab_decide(d, e, pi, ctx, o, x);
    return ctx;
}
