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

emg_label_event *lab_ev_push(lab_ev_list *l, emg_error *err)
{
    if (emg_grow((void **)&l->ev, &l->cap, l->n + 1, sizeof *l->ev, err) < 0)
        return NULL;
    emg_label_event *e = &l->ev[l->n++];
    memset(e, 0, sizeof *e);
    e->partner = -1;
    e->burst_duration = e->burst_rate = e->rhythm = e->interval_cv = e->cocon = e->lag = NAN;
    e->mdf = e->amp_over_rest = e->rise_time = e->spikes = NAN;
    return e;
}

/* Merge same-label events on a channel closer than the label's gap. */
static int sparse_label(const char *label)
{
    return !strcmp(label, "fasciculation") || !strcmp(label, "myoclonic") ||
           !strcmp(label, "tetanic");
}

/* Low-level activity breaks up near the threshold: its runs absorb short
 * pieces as the sparse labels do. */
static int run_label(const char *label)
{
    return sparse_label(label) || !strcmp(label, "strain");
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

/* Longest ratio of a jerk's duration to its run's mean: the duration
 * classes of the criteria page (cortical 10-50 ms, cortical-subcortical
 * 25-100 ms, brainstem > 100 ms) are about two-fold apart. */
#define JERK_ORIGIN_RATIO 2.5

/* Runs of sparse events (potentials, jerks, multiplets) come at irregular,
 * Poisson-like times: a run is broken only by a gap of RUN_GAP_MEDIANS
 * median intervals between such events on the channel (jerks: of the same
 * duration class) (5 medians, 3.5
 * mean intervals, occur about once in 30 intervals of a Poisson train), at
 * least 4 s and at most group_gap.  Fasciculation rates vary from ~1 per
 * 90 s to ~40 per minute in one person (criteria page), so their runs
 * bridge twice as many.  gap[i] is that limit for event i (lists sorted by
 * channel, then onset). */
#define RUN_GAP_MEDIANS 5.0

/* Events of one kind of run: the same label, and for jerks the same
 * duration class (one generator; runs of another class have their own rate). */
static int same_run_kind(const emg_label_event *a, const emg_label_event *b)
{
    return !strcmp(a->label, b->label) &&
           (strcmp(a->label, "myoclonic") || !strcmp(a->note, b->note));
}

static int run_gaps(double *gap, const lab_ev_list *l, const emg_label_options *o, emg_error *err)
{
    double *iv = emg_xcalloc(l->n + 1, sizeof *iv, err);
    unsigned char *done = emg_xcalloc(l->n + 1, 1, err);
    int rc = EMG_ERR_NOMEM;
    if (!iv || !done)
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        if (done[i])
            continue;
        const emg_label_event *e = &l->ev[i];
        size_t m = 0;
        for (size_t j = i, last = i; j < l->n && l->ev[j].channel == e->channel; j++) {
            if (!same_run_kind(&l->ev[j], e))
                continue;
            if (j > i)
                iv[m++] = l->ev[j].onset - l->ev[last].onset;
            last = j;
        }
        double limit = o->group_gap;
        if (m > 0) {
            double median = emg_median_inplace(iv, m);
            double medians = RUN_GAP_MEDIANS * (strcmp(e->label, "fasciculation") ? 1 : 2);
            limit = fmin(o->group_gap, fmax(4.0, medians * median));
        }
        for (size_t j = i; j < l->n && l->ev[j].channel == e->channel; j++)
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

int lab_group_events(lab_ev_list *l, const lab_channel *chs, const emg_label_options *o,
                        emg_error *err)
{
    size_t k = 0;
    double *typical = emg_xcalloc(l->n + 1, sizeof *typical, err);
    if (!typical || run_gaps(typical, l, o, err) < 0) {
        free(typical);
        return EMG_ERR_NOMEM;
    }
    for (size_t i = 0; i < l->n; i++) {
        emg_label_event *e = &l->ev[i];
        /* A short event of another label inside a run of sparse events on
         * the same channel (a multiplet read as a jerk, a lone potential) is
         * absorbed when the run resumes within the gap. */
        if (k > 0 && run_label(l->ev[k - 1].label) && strcmp(e->label, l->ev[k - 1].label) &&
            e->duration < 2.0 && e->channel == l->ev[k - 1].channel) {
            const emg_label_event *p = &l->ev[k - 1];
            for (size_t j = i + 1; j < l->n && l->ev[j].onset - (p->onset + p->duration) <
                                                   fmin(o->group_gap, 10.0); j++) {
                if (l->ev[j].channel == p->channel && !strcmp(l->ev[j].label, p->label)) {
                    free(e->explain);
                    e->explain = NULL;
                    e = NULL;
                    break;
                }
                if (l->ev[j].channel == p->channel && l->ev[j].duration >= 2.0)
                    break;
            }
            if (!e)
                continue;
        }
        if (k > 0) {
            emg_label_event *p = &l->ev[k - 1];
            double gap = !strcmp(e->label, "strain") ? 5 * o->rhythm_group_gap
                                                      : o->rhythm_group_gap;
            if (sparse_label(e->label))
                gap = typical[i];
            /* Jerks from one generator have stereotyped durations; a jerk
             * more than JERK_ORIGIN_RATIO times longer or shorter than the
             * run's mean (geometric) starts a new run from another
             * generator (cortical 10-50 ms, brainstem > 100 ms). */
            int same_origin = strcmp(e->label, "myoclonic") || !(p->burst_duration > 0) ||
                              !(e->burst_duration > 0) ||
                              fabs(log(e->burst_duration / p->burst_duration)) <=
                                  log(JERK_ORIGIN_RATIO);
            if (p->channel == e->channel && !strcmp(p->label, e->label) && o->group_gap > 0 &&
                same_origin && e->onset - (p->onset + p->duration) < gap &&
                !lab_gap_between(&chs[e->channel], p->onset + p->duration, e->onset)) {
                /* Keep a record of the potentials' onsets in burst_rate/interval_cv below. */
                if (!strcmp(e->label, "myoclonic") && p->burst_duration > 0 &&
                    e->burst_duration > 0) {
                    double runs = p->rhythm >= 1 ? p->rhythm : 1;
                    p->burst_duration = exp((runs * log(p->burst_duration) +
                                             log(e->burst_duration)) / (runs + 1));
                    lab_set_str(p->note, sizeof p->note, lab_myoclonic_origin(p->burst_duration));
                }
                merge_into(p, e);
                p->spikes = isnan(p->spikes) ? e->spikes : p->spikes;
                if (p->explain && e->explain) {
                    size_t la = strlen(p->explain), lb = strlen(e->explain);
                    char *g = realloc(p->explain, la + lb + 64);
                    if (g) {
                        snprintf(g + la, lb + 64, "  (merged with the episode at %.3f s)\n%s",
                                 e->onset, e->explain);
                        p->explain = g;
                    }
                }
                free(e->explain);
                e->explain = NULL;
                p->rhythm += 1; /* count of merged episodes, fixed below */
                continue;
            }
        }
        if (k != i)
            l->ev[k] = *e;
        l->ev[k].rhythm = 1; /* episodes in this event */
        k++;
    }
    l->n = k;
    free(typical);
    return 0;
}

static int event_cmp(const void *a, const void *b)
{
    const emg_label_event *x = a, *y = b;
    if (x->channel != y->channel)
        return x->channel - y->channel;
    return (x->onset > y->onset) - (x->onset < y->onset);
}

static int onset_cmp(const void *a, const void *b)
{
    const emg_label_event *x = a, *y = b;
    if (x->onset != y->onset)
        return (x->onset > y->onset) - (x->onset < y->onset);
    return x->channel - y->channel;
}
/* Filters over the event list mark the events they drop (label "") and
 * compact_events removes them, saving their explanations. */
static void drop_event(emg_label_event *e, lab_text *unlabelled, const char *why,
                       const emg_header *h, int other)
{
    lab_indent(unlabelled, e->explain, "");
    lab_printf(unlabelled, "  -> %s %s %s\n", e->label, why, h->channels[other].name);
    e->label[0] = '\0';
}

void lab_compact_events(lab_ev_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->ev[i].label[0])
            l->ev[k++] = l->ev[i];
        else
            free(l->ev[i].explain);
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
        emg_label_event *e = &l->ev[i];
        for (size_t q = 0; q < o->n_pairs && e->label[0]; q++) {
            if (o->pairs[q][1] != e->channel)
                continue;
            for (size_t j = 0; j < l->n; j++) {
                const emg_label_event *a = &l->ev[j];
                if (a->label[0] && a->channel == o->pairs[q][0] && overlap_s(a, e) > 0) {
                    drop_event(e, unlabelled, "seen on the antagonist of the event on", h,
                               a->channel);
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
        emg_label_event *e = &l->ev[i];
        for (size_t j = 0; j < l->n && e->label[0] && !isnan(e->amp_over_rest); j++) {
            const emg_label_event *f = &l->ev[j];
            if (!f->label[0] || f->channel == e->channel || isnan(f->amp_over_rest))
                continue;
            if (overlap_s(e, f) > 0.5 * e->duration &&
                e->amp_over_rest - 1 < o->crosstalk * (f->amp_over_rest - 1))
                drop_event(e, unlabelled, "is crosstalk from", h, f->channel);
        }
    }
}

/* The same event seen on several channels is reported once, on the channel
 * where it is largest, the others named in the note: events of the same
 * label (or an unclassified one under a labelled one) overlapping by more
 * than half of the shorter. */
void lab_merge_across_channels(lab_ev_list *l, const emg_header *h, lab_text *unlabelled)
{
    for (size_t i = 0; i < l->n; i++) {
        emg_label_event *e = &l->ev[i];
        for (size_t j = 0; j < l->n && e->label[0] && !isnan(e->amp_over_rest); j++) {
            emg_label_event *f = &l->ev[j];
            if (j == i || !f->label[0] || f->channel == e->channel || isnan(f->amp_over_rest))
                continue;
            int same = !strcmp(f->label, e->label) ||
                       (!strcmp(e->label, "unclassified") && strcmp(f->label, "unclassified"));
            int stronger = f->amp_over_rest > e->amp_over_rest ||
                           (f->amp_over_rest == e->amp_over_rest && j < i);
            if (!same || !stronger || overlap_s(e, f) <= 0.5 * fmin(e->duration, f->duration))
                continue;
            size_t len = strlen(f->note);
            char add[sizeof f->note];
            snprintf(add, sizeof add, "%salso %.24s", len ? "; " : "",
                     h->channels[e->channel].name);
            if (len + strlen(add) < sizeof f->note)
                memcpy(f->note + len, add, strlen(add) + 1);
            drop_event(e, unlabelled, "reported with the larger event on", h, f->channel);
        }
    }
}


void lab_finish_events(lab_ev_list *l, const lab_ctx_table *ctxt, const emg_label_options *o)
{
    /* Fasciculations are sparse (up to ~40 per minute): a run of potentials
     * much denser than fasc_max_rate is the continuous low-level firing of a
     * few units: raised resting activity (strain with an injury), voluntary
     * during movement, else unclassified. */
    for (size_t k = 0; k < l->n; k++) {
        emg_label_event *e = &l->ev[k];
        if (strcmp(e->label, "fasciculation") || e->duration < 5.0 ||
            (double)e->n_bursts / e->duration <= o->fasc_max_rate)
            continue;
        emg_context c = lab_context_over(ctxt, e->channel, e->onset, e->onset + e->duration);
        lab_set_str(e->label, sizeof e->label,
                c == EMG_CONTEXT_INJURY ? "strain"
                : c == EMG_CONTEXT_MOVEMENT || c == EMG_CONTEXT_EXERCISE ? "voluntary"
                                                                          : "unclassified");
        lab_set_str(e->rule, sizeof e->rule, "2a-too-dense");
        snprintf(e->note, sizeof e->note, "%.1f potentials/s > %.1f: continuous firing",
                 (double)e->n_bursts / e->duration, o->fasc_max_rate);
    }
    /* Tetany needs the multiplets to recur for tetanic_min. */
    for (size_t k = 0; k < l->n; k++) {
        emg_label_event *e = &l->ev[k];
        if (!strcmp(e->label, "tetanic") && e->duration < o->tetanic_min) {
            lab_set_str(e->label, sizeof e->label, "unclassified");
            snprintf(e->note, sizeof e->note, "multiplets for %.0f s < %.0f s", e->duration,
                     o->tetanic_min);
        }
        /* rhythm held the number of merged episodes: report it as such in
         * n_bursts for sparse events (potentials, jerks, multiplets). */
        if (sparse_label(e->label) && e->rhythm > 1 && e->duration > 0)
            e->burst_rate = (double)e->n_bursts / e->duration;
        e->rhythm = NAN;
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
