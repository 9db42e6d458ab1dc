/* label.c: the labeller's driver and public API: channel roles (EMG,
 * force, other modalities), then per channel the measurement stage
 * (label_measure.c), the rules (label_rules.c, rule 5 in label_mixed.c) in
 * each event's own context (label_context.c) with the partner muscle
 * (label_partner.c), then the events grouped and checked across channels
 * (label_events.c).  The method is docs/methods/labelling.md. */
#include "emgkit/label.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

void emg_label_options_init(emg_label_options *o)
{
    memset(o, 0, sizeof *o);
#define EMG_LABEL_PARAM(type, field, option, def, unit, rule, source, help) o->field = def;
#include "emgkit/label_params.def"
#undef EMG_LABEL_PARAM
    o->band_low = 20.0;
    o->band_high = 450.0;
    o->rest_from = 0;
    o->rest_to = -1;
    o->mains = 0.0;
    o->context = EMG_CONTEXT_NONE;
    o->auto_roles = 1;
}

static const emg_label_param params[] = {
#define EMG_LABEL_PARAM(type, field, option, def, unit, rule, source, help)                      \
    {option, unit, rule, source, help, def,                                                       \
     _Generic(((emg_label_options *)0)->field, int: 1, default: 0),                               \
     offsetof(emg_label_options, field)},
#include "emgkit/label_params.def"
#undef EMG_LABEL_PARAM
};

const emg_label_param *emg_label_params(size_t *n)
{
    if (n)
        *n = sizeof params / sizeof *params;
    return params;
}

const char *emg_label_missing_text(unsigned bit)
{
    switch (bit) {
    case EMG_LABEL_MISSING_FORCE:
        return "ischemic contracture is electrically silent: give a force, MMG or accelerometer "
               "channel with --force CHANNEL";
    case EMG_LABEL_MISSING_PAIR:
        return "dystonic and ataxic spasms need an agonist and its antagonist: give "
               "--pair AGONIST:ANTAGONIST";
    case EMG_LABEL_MISSING_CONTEXT:
        return "tonic, tetanic and cramp (versus voluntary effort) need the recording context: "
               "give --context rest|sleep|exercise|movement|cns-lesion|ischemia|"
               "hyperventilation|injury";
    case EMG_LABEL_MISSING_MOVEMENT:
        return "ataxic spasms are decided only in the movement context (--context movement)";
    default:
        return "";
    }
}

void emg_label_result_init(emg_label_result *r)
{
    memset(r, 0, sizeof *r);
}

void emg_label_result_free(emg_label_result *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->n_events; k++)
        free(r->events[k].explain);
    free(r->events);
    free(r->unlabelled);
    free(r->not_labelled);
    free(r->gaps);
    emg_label_result_init(r);
}

static int name_has(const emg_channel *ch, const char *word)
{
    char lower[EMG_NAME_MAX + EMG_TEXT_MAX + 2];
    snprintf(lower, sizeof lower, "%s %s", ch->name, ch->transducer);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return strstr(lower, word) != NULL;
}

typedef enum role { ROLE_EMG = 0, ROLE_FORCE, ROLE_AUX } role;

/* EMG needs its 20-450 Hz band: a channel sampled slower than this holds an
 * envelope or a summary (Sleep-EDF's submental EMG at 1 Hz), not the EMG. */
#define EMG_MIN_RATE 100.0

/* The channel's role; for a channel not labelled, why in *why (or NULL). */
static role role_of(const emg_header *h, const emg_label_options *o, int c, const char **why)
{
    *why = NULL;
    for (size_t k = 0; k < o->n_force; k++)
        if (o->force[k] == c)
            return ROLE_FORCE;
    const emg_channel *ch = &h->channels[c];
    if (!o->auto_roles)
        return ROLE_EMG;
    if (name_has(ch, "force") || name_has(ch, "mmg") || name_has(ch, "torque") ||
        name_has(ch, "dynamometer"))
        return o->n_force == 0 ? ROLE_FORCE : ROLE_AUX;
    if (name_has(ch, "acc") || name_has(ch, "gyro") || name_has(ch, "trigger") ||
        name_has(ch, "marker")) {
        *why = "a motion or marker channel";
        return ROLE_AUX;
    }
    if ((*why = emg_channel_other_modality(ch)))
        return ROLE_AUX;
    if (ch->fs < EMG_MIN_RATE) {
        *why = "sampled below 100 Hz, too slowly for the EMG's 20-450 Hz band (an envelope?)";
        return ROLE_AUX;
    }
    return ROLE_EMG;
}

/* Does [t0, t1) overlap an ischemic event of the list? */
static int inside_ischemic(const lab_ev_list *l, double t0, double t1)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->ev[k].label == LAB_ISCHEMIC && t0 < l->ev[k].ev.onset + l->ev[k].ev.duration &&
            t1 > l->ev[k].ev.onset)
            return 1;
    return 0;
}

/* Noise: no burst and barely above rest, unless it is low-level activity:
 * over a second with its RMS significantly above rest. */
static int is_noise(const lab_episode *e, const emg_label_options *o)
{
    int low_level = e->elevated && e->duration > o->sustained_min;
    return e->n_bursts == 0 && !low_level &&
           !(e->amp_over_rest >= o->min_amp && e->duration >= o->burstless_min);
}

/* Rest noise at the level of the rest around it: where that rest is louder
 * than the quiet rest (lab_local_rest), an episode shorter than
 * activity_long (noise episodes of real rest last at most ~4 s) whose
 * coarse peak stays under local_rest_amp times it is a louder piece of rest,
 * not activity: a level step of noise has no burst standing out of it.
 * Episodes of potentials (most bursts like one motor unit) are left to
 * rule 2, which judges their shape and size. */
static int is_local_rest(const lab_episode *e, const emg_label_options *o)
{
    return e->local_rest > 1 && e->duration < o->activity_long &&
           e->amp_over_rest < o->local_rest_amp &&
           !(e->n_bursts > 0 && e->single_fraction >= o->compound_single_max);
}

/* The event of episode e on channel c, decided as d (or as the mixed event
 * mix) in context ctx, with the partner p's measures pi as evidence. */
static void fill_event(lab_event *w, const lab_episode *e, const lab_channel *ch, int c, int p,
                       const lab_decision *d, const emg_label_event *mix,
                       const lab_partner *pi, emg_context ctx)
{
    emg_label_event *ev = &w->ev;
    ev->onset = (double)e->a / ch->fs;
    ev->duration = (double)e->b / ch->fs - ev->onset;
    ev->channel = c;
    ev->partner = p;
    lab_event_label(w, mix ? LAB_MIXED : d->label);
    lab_set_str(ev->rule, sizeof ev->rule, mix ? mix->rule : d->rule);
    lab_set_str(ev->note, sizeof ev->note, mix ? mix->note : d->note);
    lab_set_str(ev->context, sizeof ev->context, emg_context_name(ctx));
    ev->confidence = mix ? mix->confidence : d->confidence;
    ev->n_bursts = (int)e->n_bursts;
    ev->burst_duration = e->burst_duration;
    ev->burst_rate = !isnan(e->interval_rate) && e->n_bursts >= 3 ? e->interval_rate
                                                                    : e->burst_rate;
    ev->interval_cv = e->interval_cv;
    ev->cocon = p >= 0 ? pi->cocon : NAN;
    ev->lag = p >= 0 ? pi->lag : NAN;
    ev->mdf = e->mdf;
    ev->amp_over_rest = e->amp_over_rest;
    ev->rise_time = e->rise_time;
    ev->phases = e->max_phases;
    ev->spikes = e->spikes;
}

/* Decide every episode of channel c (rules 2-5) into events of l; episodes
 * that get no event say why in unlabelled. */
static int label_channel_events(lab_ev_list *l, const emg_header *h, const lab_channel *chs,
                                const int *is_emg, int c, const emg_label_options *o,
                                const lab_ctx_table *ctxt, unsigned *missing,
                                const lab_ev_list *isch, lab_text *unlabelled, emg_error *err)
{
    const lab_channel *ch = &chs[c];
    int p = lab_partner_of(o, c);
    if (p >= 0 && !is_emg[p])
        p = -1;
    for (size_t k = 0; k < ch->n_episodes; k++) {
        const lab_episode *e = &ch->episodes[k];
        double t0 = (double)e->a / ch->fs, t1 = (double)e->b / ch->fs;
        if (is_noise(e, o)) {
            lab_printf(unlabelled, "%s %.3f-%.3f s:\n  -> no label (no burst, %.1f x rest: "
                                   "noise)\n", h->channels[c].name, t0, t1, e->amp_over_rest);
            continue;
        }
        if (is_local_rest(e, o)) {
            lab_printf(unlabelled, "%s %.3f-%.3f s:\n  -> no label (rest: %.1f x the rest "
                                   "around it, which is %.2f x the quiet rest)\n",
                       h->channels[c].name, t0, t1, e->amp_over_rest, e->local_rest);
            continue;
        }
        if (lab_is_edge_transient(t0, t1, (double)ch->n / ch->fs, o)) {
            lab_printf(unlabelled, "%s %.3f-%.3f s:\n  -> no label (edge transient: within "
                                   "%.3f s of the recording's edge)\n", h->channels[c].name, t0,
                       t1, o->edge_guard);
            continue;
        }
        if (inside_ischemic(isch, t0, t1)) {
            lab_printf(unlabelled, "%s %.3f-%.3f s:\n  -> part of an ischemic event\n",
                       h->channels[c].name, t0, t1);
            continue;
        }
        lab_partner pi;
        lab_text x = {NULL, 0, 0, o->explain};
        lab_printf(&x, "%s %.3f-%.3f s:\n", h->channels[c].name, t0, t1);
        lab_decision d;
        emg_context ctx = lab_decide_span(&d, &pi, e, chs, c, p, t0, t1, ctxt, o, &x);
        emg_label_event mix;
        memset(&mix, 0, sizeof mix);
        int mixed = lab_mixed_patterns(&mix, e, chs, c, p, ctxt, o, &x, err);
        if (mixed < 0) {
            free(x.s);
            return mixed;
        }
        if (!mixed && d.label == LAB_NONE) {
            lab_printf(&x, "  -> no label (%s)\n", d.rule);
            lab_indent(unlabelled, x.s, "");
            free(x.s);
            continue;
        }
        if (!mixed)
            *missing |= d.missing;
        lab_event *w = lab_ev_push(l, err);
        if (!w) {
            free(x.s);
            return EMG_ERR_NOMEM;
        }
        fill_event(w, e, ch, c, p, &d, mixed ? &mix : NULL, &pi, ctx);
        if (o->explain) {
            lab_printf(&x, "  -> %s (%s)\n", w->ev.label, w->ev.rule);
            w->ev.explain = x.s;
        } else {
            free(x.s);
        }
    }
    return 0;
}

/* Channel roles from names when none are given: "...agonist..." and
 * "...antagonist..." make a pair. */
static void auto_pairs(emg_label_options *o, const emg_header *h, const int *is_emg)
{
    if (o->n_pairs > 0 || !o->auto_roles)
        return;
    int ag = -1, ant = -1;
    for (size_t c = 0; c < h->n_channels; c++) {
        if (!is_emg[c])
            continue;
        if (name_has(&h->channels[c], "antagonist"))
            ant = ant < 0 ? (int)c : ant;
        else if (name_has(&h->channels[c], "agonist"))
            ag = ag < 0 ? (int)c : ag;
    }
    if (ag >= 0 && ant >= 0) {
        o->pairs[0][0] = ag;
        o->pairs[0][1] = ant;
        o->n_pairs = 1;
    }
}

/* emg_label_read over a recording in memory. */
static int recording_read(void *source, size_t channel, size_t first, size_t count, double *dst,
                          emg_error *err)
{
    (void)err;
    memcpy(dst, ((const emg_recording *)source)->data[channel] + first, count * sizeof *dst);
    return EMG_OK;
}

int emg_label_recording(emg_label_result *out, const emg_recording *rec,
                        const emg_label_options *opts, emg_error *err)
{
    return emg_label_stream(out, &rec->header, recording_read, (void *)rec, opts,
                            EMG_LABEL_MEMORY_DEFAULT, err);
}

/* emg_label_read over emg_label_fetch. */
typedef struct fetch_source {
    emg_label_fetch fetch;
    void *source;
} fetch_source;

static int fetch_read(void *source, size_t channel, size_t first, size_t count, double *dst,
                      emg_error *err)
{
    const fetch_source *f = source;
    const double *data;
    int rc = f->fetch(f->source, channel, &data, err);
    if (rc == 0)
        memcpy(dst, data + first, count * sizeof *dst);
    return rc;
}

int emg_label_channels(emg_label_result *out, const emg_header *h, emg_label_fetch fetch,
                       void *source, const emg_label_options *opts, emg_error *err)
{
    fetch_source f = {fetch, source};
    return emg_label_stream(out, h, fetch_read, &f, opts, EMG_LABEL_MEMORY_DEFAULT, err);
}

/* "channel NAME: message" for an error rc while measuring a channel. */
static int channel_error(int rc, emg_error *err, const emg_channel *ch)
{
    if (!err)
        return rc;
    char msg[EMG_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    return emg_error_set(err, err->status, "channel %s: %s", ch->name, msg);
}

/* Roles of the header's channels: is_emg[c], the force channel (or -1), and
 * one line per channel taken for another modality in *not_labelled. */
static int assign_roles(int *is_emg, char **not_labelled, const emg_header *h,
                        const emg_label_options *o)
{
    int force_c = -1;
    lab_text skipped = {NULL, 0, 0, 1};
    for (size_t c = 0; c < h->n_channels; c++) {
        const char *why;
        role r = role_of(h, o, (int)c, &why);
        is_emg[c] = r == ROLE_EMG && h->channels[c].n_samples > 0;
        if (r == ROLE_FORCE && force_c < 0)
            force_c = (int)c;
        if (why)
            lab_printf(&skipped, "channel '%s' not labelled: %s (--no-auto-roles labels it)\n",
                       h->channels[c].name, why);
    }
    *not_labelled = skipped.s;
    return force_c;
}

/* The whole force channel force_c into *force (n samples, gaps counted
 * when gaps is set). */
static int read_force(double **force, size_t *n, const emg_header *h, int force_c,
                      const lab_source *src, emg_gap_count *gaps, emg_error *err)
{
    *n = (size_t)h->channels[force_c].n_samples;
    *force = emgi_xcalloc(*n + 1, sizeof **force, err);
    if (!*force)
        return EMG_ERR_NOMEM;
    int rc = src->read(src->source, (size_t)force_c, 0, *n, *force, err);
    if (rc == 0 && gaps)
        emg_gap_count_add(gaps, *force, *n, 0);
    return rc;
}

/* The force segments of rule 1 in seconds ([t0, t1) pairs), over which the
 * EMG channels' coarse envelopes are kept for lab_ischemic_events. */
static int force_spans(double **spans, size_t *n_spans, const emg_header *h, int force_c,
                       const lab_source *src, const emg_label_options *o, emg_error *err)
{
    *spans = NULL;
    *n_spans = 0;
    if (force_c < 0 || h->channels[force_c].n_samples <= 0)
        return 0;
    double *force;
    size_t n, *seg = NULL, ns = 0;
    double fs = h->channels[force_c].fs;
    int rc = read_force(&force, &n, h, force_c, src, NULL, err);
    if (rc == 0)
        rc = lab_force_segments(&seg, &ns, force, n, fs, o, err);
    free(force);
    if (rc == 0 && !(*spans = emgi_xcalloc(2 * ns + 1, sizeof **spans, err)))
        rc = EMG_ERR_NOMEM;
    for (size_t k = 0; rc == 0 && k < 2 * ns; k++)
        (*spans)[k] = (double)seg[k] / fs;
    if (rc == 0)
        *n_spans = ns;
    free(seg);
    return rc;
}

/* Passes 1 and 2 over every EMG channel, one at a time: gaps, levels. */
static int measure_levels(lab_channel *chs, const int *is_emg, emg_gap_count *gaps,
                          const emg_header *h, const lab_source *src, const double *force,
                          size_t n_force, const emg_label_options *o, emg_error *err)
{
    for (size_t c = 0; c < h->n_channels; c++) {
        if (!is_emg[c])
            continue;
        const emg_channel *hc = &h->channels[c];
        lab_channel *ch = &chs[c];
        ch->index = (int)c;
        ch->fs = hc->fs;
        ch->n = (size_t)hc->n_samples;
        ch->step = (size_t)lround(hc->fs / LAB_ENV_RATE);
        ch->step = ch->step < 1 ? 1 : ch->step;
        ch->nd = (ch->n + ch->step - 1) / ch->step;
        /* Needle EMG keeps its high frequencies (criteria page: up to 5-10 kHz). */
        int needle = name_has(hc, "needle") || name_has(hc, "concentric");
        ch->band_high = needle && o->band_high == 450.0 ? 5000.0 : o->band_high;
        int rc;
        if (ch->n < 16) { /* too short to measure: its gaps are still counted */
            double x[16];
            if ((rc = src->read(src->source, c, 0, ch->n, x, err)) == 0)
                emg_gap_count_add(&gaps[c], x, ch->n, 0);
        } else {
            rc = lab_stream_levels(ch, src, force, n_force, o, &gaps[c], err);
        }
        if (rc < 0)
            return channel_error(rc, err, hc);
    }
    return 0;
}

/* Rule 1 from the force channel force_c (or the missing-force flag). */
static int force_events(lab_ev_list *isch, emg_label_result *out, const lab_channel *chs,
                        const int *is_emg, int force_c, const emg_header *h,
                        const lab_source *src, const emg_label_options *o,
                        const lab_ctx_table *ctxt, emg_error *err)
{
    if (force_c < 0) {
        if (out->context_used == EMG_CONTEXT_ISCHEMIA)
            out->missing |= EMG_LABEL_MISSING_FORCE;
        return 0;
    }
    double *force;
    size_t n;
    int rc = read_force(&force, &n, h, force_c, src, &out->gaps[force_c], err);
    if (rc == 0)
        rc = lab_ischemic_events(isch, h, force, chs, is_emg, force_c, o, ctxt, &out->missing,
                                 err);
    free(force);
    return rc;
}

/* What deciding a block's episodes needs (decide_block). */
typedef struct decide_ctx {
    lab_ev_list *list;
    const lab_ev_list *isch;
    const emg_header *h;
    const int *is_emg;
    const emg_label_options *o;
    const lab_ctx_table *ctxt;
    unsigned *missing;
    lab_text *unlabelled;   /* per channel, joined in channel order at the end */
} decide_ctx;

/* Rules 2-5 for the episodes of a block of a group's channels. */
static int decide_block(void *ctx, lab_channel *chs, const int *group, size_t n_group,
                        emg_error *err)
{
    const decide_ctx *d = ctx;
    for (size_t k = 0; k < n_group; k++) {
        int rc = label_channel_events(d->list, d->h, chs, d->is_emg, group[k], d->o, d->ctxt,
                                      d->missing, d->isch, &d->unlabelled[group[k]], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The channels measured together: the EMG channels of a pair (the pairs'
 * graph's components), else one by one; group_of[c] numbers them. */
static size_t channel_groups(int *group_of, const int *is_emg, const lab_channel *chs,
                             size_t nc, const emg_label_options *o)
{
    for (size_t c = 0; c < nc; c++)
        group_of[c] = is_emg[c] && chs[c].n >= 16 ? (int)c : -1;
    /* join the pairs' channels under the smallest index, until nothing changes */
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < o->n_pairs; k++) {
            int a = o->pairs[k][0], b = o->pairs[k][1];
            if (group_of[a] < 0 || group_of[b] < 0 || group_of[a] == group_of[b])
                continue;
            int g = group_of[a] < group_of[b] ? group_of[a] : group_of[b];
            group_of[a] = group_of[b] = g;
            changed = 1;
        }
    }
    size_t n = 0;
    for (size_t c = 0; c < nc; c++)
        n += group_of[c] == (int)c;
    return n;
}

/* Pass 3 for every group of channels: their episodes decided into list. */
static int decide_groups(lab_channel *chs, const int *is_emg, const emg_header *h,
                         const lab_source *src, const decide_ctx *d, size_t budget,
                         size_t *forced_cuts, emg_error *err)
{
    size_t nc = h->n_channels;
    int *group_of = emgi_xcalloc(nc + 1, sizeof *group_of, err);
    int *members = emgi_xcalloc(nc + 1, sizeof *members, err);
    int rc = EMG_ERR_NOMEM;
    if (!group_of || !members)
        goto done;
    channel_groups(group_of, is_emg, chs, nc, d->o);
    rc = 0;
    for (size_t g = 0; rc == 0 && g < nc; g++) {
        if (group_of[g] != (int)g)
            continue;
        size_t m = 0;
        for (size_t c = g; c < nc; c++)
            if (group_of[c] == (int)g)
                members[m++] = (int)c;
        rc = lab_stream_group(chs, members, m, src, d->o, budget, decide_block, (void *)d,
                              forced_cuts, err);
    }
done:
    free(group_of);
    free(members);
    return rc;
}

/* The events of every channel (rules 2-5, decided block by block), then
 * the ischemic ones (rule 1), grouped into runs and checked across channels. */
static int collect_events(lab_ev_list *list, lab_ev_list *isch, const lab_channel *chs,
                          const emg_header *h, const emg_label_options *o,
                          const lab_ctx_table *ctxt, lab_text *unlabelled, emg_error *err)
{
    int rc;
    for (size_t k = 0; k < isch->n; k++) {
        lab_event *e = lab_ev_push(list, err);
        if (!e)
            return EMG_ERR_NOMEM;
        *e = isch->ev[k];
        isch->ev[k].ev.explain = NULL;
    }
    lab_sort_by_channel(list);
    if ((rc = lab_group_events(list, chs, o, err)) < 0)
        return rc;
    lab_drop_partner_duplicates(list, o, h, unlabelled);
    lab_drop_crosstalk(list, o, h, unlabelled);
    lab_merge_across_channels(list, h, unlabelled);
    lab_compact_events(list);
    lab_finish_events(list, ctxt, o);
    lab_sort_by_onset(list);
    return 0;
}

/* The channels' explanations of episodes given no event, in channel order. */
static void join_unlabelled(lab_text *all, lab_text *per_channel, size_t nc)
{
    for (size_t c = 0; c < nc; c++)
        if (per_channel[c].s)
            lab_indent(all, per_channel[c].s, "");
}

int emg_label_stream(emg_label_result *out, const emg_header *h, emg_label_read read,
                     void *source, const emg_label_options *opts, size_t memory_budget,
                     emg_error *err)
{
    emg_label_options o;
    if (opts)
        o = *opts;
    else
        emg_label_options_init(&o);
    emg_label_result_init(out);
    size_t nc = h->n_channels;
    for (size_t k = 0; k < o.n_pairs; k++)
        for (int j = 0; j < 2; j++)
            if (o.pairs[k][j] < 0 || (size_t)o.pairs[k][j] >= nc)
                return emg_error_set(err, EMG_ERR_ARG, "pair channel %d does not exist",
                                     o.pairs[k][j] + 1);
    lab_channel *chs = emgi_xcalloc(nc + 1, sizeof *chs, err);
    int *is_emg = emgi_xcalloc(nc + 1, sizeof *is_emg, err);
    lab_text *per_channel = emgi_xcalloc(nc + 1, sizeof *per_channel, err);
    out->gaps = emgi_xcalloc(nc + 1, sizeof *out->gaps, err);
    out->n_channels = out->gaps ? nc : 0;
    for (size_t c = 0; out->gaps && c < nc; c++)
        out->gaps[c].first = -1;
    lab_ev_list list = {NULL, 0, 0}, isch = {NULL, 0, 0};
    lab_text unlabelled = {NULL, 0, 0, o.explain};
    lab_source src = {read, source};
    double *force = NULL;
    size_t n_force = 0;
    lab_ctx_table ctxt;
    memset(&ctxt, 0, sizeof ctxt);
    int rc = EMG_ERR_NOMEM;
    if (!chs || !is_emg || !per_channel || !out->gaps)
        goto done;
    for (size_t c = 0; c < nc; c++)
        per_channel[c].on = o.explain;
    out->context_used = o.context != EMG_CONTEXT_NONE ? o.context
                                                      : emg_context_from_annotations(h);
    if ((rc = lab_ctx_build(&ctxt, h, &o, out->context_used, err)) < 0)
        goto done;
    int force_c = assign_roles(is_emg, &out->not_labelled, h, &o);
    auto_pairs(&o, h, is_emg);
    decide_ctx d = {&list, &isch, h, is_emg, &o, &ctxt, &out->missing, per_channel};
    if ((rc = force_spans(&force, &n_force, h, force_c, &src, &o, err)) < 0 ||
        (rc = measure_levels(chs, is_emg, out->gaps, h, &src, force, n_force, &o, err)) < 0 ||
        (rc = force_events(&isch, out, chs, is_emg, force_c, h, &src, &o, &ctxt, err)) < 0 ||
        (rc = decide_groups(chs, is_emg, h, &src, &d, memory_budget, &out->forced_cuts, err)) < 0)
        goto done;
    join_unlabelled(&unlabelled, per_channel, nc);
    if ((rc = collect_events(&list, &isch, chs, h, &o, &ctxt, &unlabelled, err)) < 0 ||
        (rc = lab_ev_release(&list, &out->events, &out->n_events, err)) < 0)
        goto done;
    out->unlabelled = unlabelled.s;
    unlabelled.s = NULL;
done:
    if (rc < 0)
        emg_label_result_free(out);
    lab_ev_free(&list);
    lab_ev_free(&isch);
    for (size_t c = 0; chs && c < nc; c++)
        lab_stream_free(&chs[c]);
    for (size_t c = 0; per_channel && c < nc; c++)
        free(per_channel[c].s);
    free(chs);
    free(is_emg);
    free(per_channel);
    free(force);
    lab_ctx_free(&ctxt);
    free(unlabelled.s);
    return rc;
}
