/* label_events.c: from decided episodes to reported events: runs of
 * same-label episodes grouped into one event, partner duplicates,
 * crosstalk and the same event seen on several channels reported once,
 * then the checks that need the whole run (fasciculation density, tetany
 * duration). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

lab_event *lab_ev_push(lab_ev_list *l, emg_error *err)
{
    if (emgi_grow((void **)&l->ev, &l->cap, l->n + 1, sizeof *l->ev, err) < 0)
        return NULL;
    lab_event *w = &l->ev[l->n++];
    memset(w, 0, sizeof *w);
    emg_label_event *e = &w->ev;
    e->partner = -1;
    e->burst_duration = e->burst_rate = e->rhythm = e->interval_cv = e->cocon = e->lag = NAN;
    e->mdf = e->amp_over_rest = e->rise_time = e->spikes = NAN;
    return w;
}

void lab_event_label(lab_event *e, lab_label label)
{
    e->label = label;
    lab_set_str(e->ev.label, sizeof e->ev.label, lab_label_name(label));
}

int lab_ev_release(lab_ev_list *l, emg_label_event **events, size_t *n, emg_error *err)
{
    *events = emgi_xcalloc(l->n + 1, sizeof **events, err);
    if (!*events)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < l->n; k++)
        (*events)[k] = l->ev[k].ev;
    *n = l->n;
    free(l->ev);
    memset(l, 0, sizeof *l);
    return 0;
}

void lab_ev_free(lab_ev_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->ev[k].ev.explain);
    free(l->ev);
    memset(l, 0, sizeof *l);
}

/* Labels of sparse events (potentials, jerks, multiplets): their runs are
 * grouped at their own rate (run_gaps). */
static int sparse_label(lab_label label)
{
    return label == LAB_FASCICULATION || label == LAB_MYOCLONIC || label == LAB_TETANIC;
}

/* Low-level activity breaks up near the threshold: its runs absorb short
 * pieces as the sparse labels do. */
static int run_label(lab_label label)
{
    return sparse_label(label) || label == LAB_STRAIN;
}

static void merge_into(emg_label_event *a, const emg_label_event *b)
{
    double end = fmax(a->onset + a->duration, b->onset + b->duration);
    a->n_bursts += b->n_bursts;
    a->amp_over_rest = fmax(a->amp_over_rest, b->amp_over_rest);
    a->confidence = fmax(a->confidence, b->confidence);
    if (b->phases > a->phases)
        a->phases = b->phases;
    a->duration = end - a->onset;
}

/* Events of one kind of run: the same label, and for jerks the same
 * duration class (one generator; runs of another class have their own rate). */
static int same_run_kind(const lab_event *a, const lab_event *b)
{
    return a->label == b->label && (a->label != LAB_MYOCLONIC || !strcmp(a->ev.note, b->ev.note));
}

/* Runs of sparse events (potentials, jerks, multiplets) come at irregular,
 * Poisson-like times: a run is broken only by a gap of run_gap_medians
 * median intervals between such events on the channel (jerks: of the same
 * duration class) (5 medians, 3.5 mean intervals, occur about once in 30
 * intervals of a Poisson train), at least run_gap_min and at most group_gap.
 * Fasciculation rates vary from ~1 per 90 s to ~40 per minute in one person
 * (criteria page), so their runs bridge twice as many.  gap[i] is that limit
 * for event i (lists sorted by channel, then onset). */
static int run_gaps(double *gap, const lab_ev_list *l, const emg_label_options *o, emg_error *err)
{
    double *iv = emgi_xcalloc(l->n + 1, sizeof *iv, err);
    unsigned char *done = emgi_xcalloc(l->n + 1, 1, err);
    int rc = EMG_ERR_NOMEM;
    if (!iv || !done)
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        if (done[i])
            continue;
        const lab_event *e = &l->ev[i];
        size_t m = 0;
        for (size_t j = i, last = i; j < l->n && l->ev[j].ev.channel == e->ev.channel; j++) {
            if (!same_run_kind(&l->ev[j], e))
                continue;
            if (j > i)
                iv[m++] = l->ev[j].ev.onset - l->ev[last].ev.onset;
            last = j;
        }
        double limit = o->group_gap;
        if (m > 0) {
            double median = emgi_median_inplace(iv, m);
            double medians = o->run_gap_medians * (e->label == LAB_FASCICULATION ? 2 : 1);
            limit = fmin(o->group_gap, fmax(o->run_gap_min, medians * median));
        }
        for (size_t j = i; j < l->n && l->ev[j].ev.channel == e->ev.channel; j++)
            if (same_run_kind(&l->ev[j], e)) {
                gap[j] = limit;
                done[j] = 1;
            }
    }
    rc = 0;
out:
    free(iv);
    free(done);
    return rc;
}

/* A short event of another label inside a run of sparse events on the same
 * channel (a multiplet read as a jerk, a lone potential): absorbed when the
 * run (p, the last event kept) resumes within the gap. */
static int absorbed(const lab_ev_list *l, size_t i, const lab_event *p,
                    const emg_label_options *o)
{
    const emg_label_event *e = &l->ev[i].ev, *pe = &p->ev;
    if (!run_label(p->label) || l->ev[i].label == p->label || e->duration >= o->absorb_max ||
        e->channel != pe->channel)
        return 0;
    for (size_t j = i + 1; j < l->n && l->ev[j].ev.onset - (pe->onset + pe->duration) <
                                           fmin(o->group_gap, o->absorb_gap); j++) {
        if (l->ev[j].ev.channel == pe->channel && l->ev[j].label == p->label)
            return 1;
        if (l->ev[j].ev.channel == pe->channel && l->ev[j].ev.duration >= o->absorb_max)
            return 0;
    }
    return 0;
}

/* Does e continue the run of p (same channel and label, within the label's
 * gap, no recording gap between)?  gap: the sparse labels' run limit. */
static int continues_run(const lab_event *p, const lab_event *e, double gap,
                         const lab_channel *chs, const emg_label_options *o)
{
    const emg_label_event *pe = &p->ev, *ee = &e->ev;
    if (!sparse_label(e->label))
        gap = e->label == LAB_STRAIN ? 5 * o->rhythm_group_gap : o->rhythm_group_gap;
    /* Jerks from one generator have stereotyped durations; a jerk more than
     * jerk_ratio times longer or shorter than the run's mean (geometric)
     * starts a new run from another generator (cortical 10-50 ms,
     * brainstem > 100 ms). */
    int same_origin = e->label != LAB_MYOCLONIC || !(pe->burst_duration > 0) ||
                      !(ee->burst_duration > 0) ||
                      fabs(log(ee->burst_duration / pe->burst_duration)) <= log(o->jerk_ratio);
    return pe->channel == ee->channel && p->label == e->label && o->group_gap > 0 &&
           same_origin && ee->onset - (pe->onset + pe->duration) < gap &&
           !lab_gap_between(&chs[ee->channel], pe->onset + pe->duration, ee->onset);
}

/* Merge e into the run p: span, evidence, the jerks' mean duration and
 * class, the explanations. */
static void join_run(lab_event *p, lab_event *e, const emg_label_options *o)
{
    emg_label_event *pe = &p->ev, *ee = &e->ev;
    if (e->label == LAB_MYOCLONIC && pe->burst_duration > 0 && ee->burst_duration > 0) {
        double runs = p->episodes >= 1 ? p->episodes : 1;
        pe->burst_duration = exp((runs * log(pe->burst_duration) + log(ee->burst_duration)) /
                                 (runs + 1));
        lab_myoclonic_origin(pe->note, sizeof pe->note, pe->burst_duration, o);
    }
    merge_into(pe, ee);
    pe->spikes = isnan(pe->spikes) ? ee->spikes : pe->spikes;
    if (pe->explain && ee->explain) {
        size_t la = strlen(pe->explain), lb = strlen(ee->explain);
        char *g = realloc(pe->explain, la + lb + 64);
        if (g) {
            snprintf(g + la, lb + 64, "  (merged with the episode at %.3f s)\n%s", ee->onset,
                     ee->explain);
            pe->explain = g;
        }
    }
    free(ee->explain);
    ee->explain = NULL;
    p->episodes += 1;
}

int lab_group_events(lab_ev_list *l, const lab_channel *chs, const emg_label_options *o,
                     emg_error *err)
{
    size_t k = 0;
    double *typical = emgi_xcalloc(l->n + 1, sizeof *typical, err);
    if (!typical || run_gaps(typical, l, o, err) < 0) {
        free(typical);
        return EMG_ERR_NOMEM;
    }
    for (size_t i = 0; i < l->n; i++) {
        lab_event *e = &l->ev[i];
        if (k > 0 && absorbed(l, i, &l->ev[k - 1], o)) {
            free(e->ev.explain);
            e->ev.explain = NULL;
            continue;
        }
        if (k > 0 && continues_run(&l->ev[k - 1], e, typical[i], chs, o)) {
            join_run(&l->ev[k - 1], e, o);
            continue;
        }
        if (k != i)
            l->ev[k] = *e;
        l->ev[k].episodes = 1;
        k++;
    }
    l->n = k;
    free(typical);
    return 0;
}

static int event_cmp(const void *a, const void *b)
{
    const emg_label_event *x = &((const lab_event *)a)->ev, *y = &((const lab_event *)b)->ev;
    if (x->channel != y->channel)
        return x->channel - y->channel;
    return (x->onset > y->onset) - (x->onset < y->onset);
}

static int onset_cmp(const void *a, const void *b)
{
    const emg_label_event *x = &((const lab_event *)a)->ev, *y = &((const lab_event *)b)->ev;
    if (x->onset != y->onset)
        return (x->onset > y->onset) - (x->onset < y->onset);
    return x->channel - y->channel;
}
/* Filters over the event list mark the events they drop and
 * lab_compact_events removes them, saving their explanations. */
static void drop_event(lab_event *e, lab_text *unlabelled, const char *why,
                       const emg_header *h, int other)
{
    lab_indent(unlabelled, e->ev.explain, "");
    lab_printf(unlabelled, "  -> %s %s %s\n", e->ev.label, why, h->channels[other].name);
    e->dropped = 1;
}

void lab_compact_events(lab_ev_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!l->ev[i].dropped)
            l->ev[k++] = l->ev[i];
        else
            free(l->ev[i].ev.explain);
    }
    l->n = k;
}

static double overlap_s(const emg_label_event *a, const emg_label_event *b)
{
    return fmin(a->onset + a->duration, b->onset + b->duration) - fmax(a->onset, b->onset);
}

/* Events on an antagonist that overlap an event on its agonist are the same
 * physiological event seen in the partner: report it once, on the agonist. */
void lab_drop_partner_duplicates(lab_ev_list *l, const emg_label_options *o,
                                 const emg_header *h, lab_text *unlabelled)
{
    for (size_t i = 0; i < l->n; i++) {
        lab_event *e = &l->ev[i];
        for (size_t q = 0; q < o->n_pairs && !e->dropped; q++) {
            if (o->pairs[q][1] != e->ev.channel)
                continue;
            for (size_t j = 0; j < l->n; j++) {
                const lab_event *a = &l->ev[j];
                if (!a->dropped && a->ev.channel == o->pairs[q][0] && overlap_s(&a->ev, &e->ev) > 0) {
                    drop_event(e, unlabelled, "seen on the antagonist of the event on", h,
                               a->ev.channel);
                    break;
                }
            }
        }
    }
}

/* An event whose amplitude over rest is a small fraction of a simultaneous
 * event's on another channel is volume-conducted crosstalk from that muscle
 * (the "neighbour head silent" of a cramp): report the source only. */
void lab_drop_crosstalk(lab_ev_list *l, const emg_label_options *o, const emg_header *h,
                        lab_text *unlabelled)
{
    for (size_t i = 0; i < l->n; i++) {
        lab_event *e = &l->ev[i];
        for (size_t j = 0; j < l->n && !e->dropped && !isnan(e->ev.amp_over_rest); j++) {
            const emg_label_event *f = &l->ev[j].ev;
            if (l->ev[j].dropped || f->channel == e->ev.channel || isnan(f->amp_over_rest))
                continue;
            if (overlap_s(&e->ev, f) > 0.5 * e->ev.duration &&
                e->ev.amp_over_rest - 1 < o->crosstalk * (f->amp_over_rest - 1))
                drop_event(e, unlabelled, "is crosstalk from", h, f->channel);
        }
    }
}

/* Name channel c in the note of the event reported for it. */
static void note_also(emg_label_event *f, const emg_header *h, int c)
{
    size_t len = strlen(f->note);
    char add[sizeof f->note];
    snprintf(add, sizeof add, "%salso %.24s", len ? "; " : "", h->channels[c].name);
    if (len + strlen(add) < sizeof f->note)
        memcpy(f->note + len, add, strlen(add) + 1);
}

/* The same event seen on several channels is reported once, on the channel
 * where it is largest, the others named in the note: events of the same
 * label (or an unclassified one under a labelled one) overlapping by more
 * than half of the shorter. */
void lab_merge_across_channels(lab_ev_list *l, const emg_header *h, lab_text *unlabelled)
{
    for (size_t i = 0; i < l->n; i++) {
        lab_event *e = &l->ev[i];
        for (size_t j = 0; j < l->n && !e->dropped && !isnan(e->ev.amp_over_rest); j++) {
            lab_event *f = &l->ev[j];
            if (j == i || f->dropped || f->ev.channel == e->ev.channel ||
                isnan(f->ev.amp_over_rest))
                continue;
            int same = f->label == e->label ||
                       (e->label == LAB_UNCLASSIFIED && f->label != LAB_UNCLASSIFIED);
            int stronger = f->ev.amp_over_rest > e->ev.amp_over_rest ||
                           (f->ev.amp_over_rest == e->ev.amp_over_rest && j < i);
            if (!same || !stronger ||
                overlap_s(&e->ev, &f->ev) <= 0.5 * fmin(e->ev.duration, f->ev.duration))
                continue;
            note_also(&f->ev, h, e->ev.channel);
            drop_event(e, unlabelled, "reported with the larger event on", h, f->ev.channel);
        }
    }
}

/* Fasciculations are sparse (up to ~40 per minute): a run of potentials much
 * denser than fasc_max_rate is the continuous low-level firing of a few
 * units: raised resting activity (strain with an injury), voluntary during
 * movement, else unclassified. */
static void too_dense(lab_event *w, const lab_ctx_table *ctxt, const emg_label_options *o)
{
    emg_label_event *e = &w->ev;
    if (w->label != LAB_FASCICULATION || e->duration < o->fasc_dense_min ||
        (double)e->n_bursts / e->duration <= o->fasc_max_rate)
        return;
    emg_context c = lab_context_over(ctxt, e->channel, e->onset, e->onset + e->duration);
    lab_event_label(w, c == EMG_CONTEXT_INJURY ? LAB_STRAIN
                       : c == EMG_CONTEXT_MOVEMENT || c == EMG_CONTEXT_EXERCISE ? LAB_VOLUNTARY
                                                                                 : LAB_UNCLASSIFIED);
    lab_set_str(e->rule, sizeof e->rule, "2a-too-dense");
    snprintf(e->note, sizeof e->note, "%.1f potentials/s > %.1f: continuous firing",
             (double)e->n_bursts / e->duration, o->fasc_max_rate);
}

void lab_finish_events(lab_ev_list *l, const lab_ctx_table *ctxt, const emg_label_options *o)
{
    for (size_t k = 0; k < l->n; k++)
        too_dense(&l->ev[k], ctxt, o);
    for (size_t k = 0; k < l->n; k++) {
        lab_event *w = &l->ev[k];
        emg_label_event *e = &w->ev;
        /* Tetany needs the multiplets to recur for tetanic_min. */
        if (w->label == LAB_TETANIC && e->duration < o->tetanic_min) {
            lab_event_label(w, LAB_UNCLASSIFIED);
            snprintf(e->note, sizeof e->note, "multiplets for %.0f s < %.0f s", e->duration,
                     o->tetanic_min);
        }
        /* A run of sparse events (potentials, jerks, multiplets) reports its
         * rate of events in burst_rate. */
        if (sparse_label(w->label) && w->episodes > 1 && e->duration > 0)
            e->burst_rate = (double)e->n_bursts / e->duration;
    }
}

void lab_sort_by_channel(lab_ev_list *l)
{
    if (l->n > 1)
        qsort(l->ev, l->n, sizeof *l->ev, event_cmp);
}

void lab_sort_by_onset(lab_ev_list *l)
{
    if (l->n > 1)
        qsort(l->ev, l->n, sizeof *l->ev, onset_cmp);
}
