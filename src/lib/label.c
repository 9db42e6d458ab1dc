/* label.c: the labeller's decision stage: the ordered rules of
 * docs/spasm-criteria.md ("first match wins") applied to the episodes that
 * label_measure.c found, then rule 5 ("two or more patterns within one
 * event": the episode's sustained and burst segments decided on their own),
 * in each event's own context (annotations overlapping it), with the
 * partner channel's envelopes for co-contraction (%COCON, Falconer & Winter
 * 1985) and timing (lag of the envelope cross-correlation: together vs
 * alternating) and the force channel for ischemic contracture.
 *
 * Physiological sources behind the rules are those of the criteria page:
 * fasciculation potentials (Mills 2010; de Carvalho & Swash 2013), clonus
 * 3.8-8 Hz with 50-100 ms beats (Beres-Jones et al. 2003; Wallace et al.
 * 2005), cortical myoclonus < 50 ms (Shibasaki & Hallett 2005), dystonic
 * co-contraction and 4-7 Hz drive (Farmer et al. 1998), ataxic alternation
 * (Hallett et al. 1975), tetanic multiplets (Turpin 1993 review of
 * hyperventilation tetany), cramp discharge (Minetto et al. 2013). */
#include "emgkit/label.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

static const char *const context_names[] = {"none", "rest", "sleep", "exercise", "movement",
                                            "cns-lesion", "ischemia", "hyperventilation",
                                            "injury"};

const char *emg_context_name(emg_context c)
{
    return (unsigned)c < sizeof context_names / sizeof *context_names ? context_names[c] : "?";
}

int emg_context_from_name(const char *name, emg_context *out, emg_error *err)
{
    /* (context_names[0], "none", is not a context a user gives) */
    int k = emg_name_index(context_names + 1, sizeof context_names / sizeof *context_names - 1,
                           name);
    if (k >= 0) {
        *out = (emg_context)(k + 1);
        return 0;
    }
    if (emg_str_ieq(name, "nocturnal")) {
        *out = EMG_CONTEXT_SLEEP;
        return 0;
    }
    return emg_error_set(err, EMG_ERR_ARG,
                         "unknown context '%s' (rest sleep exercise movement cns-lesion "
                         "ischemia hyperventilation injury)", name);
}

void emg_label_options_init(emg_label_options *o)
{
    memset(o, 0, sizeof *o);
    o->band_low = 20.0;
    o->band_high = 450.0;
    o->fine_window = 0.003;
    o->medium_window = 0.02;
    o->coarse_window = 0.05;
    o->rest_k = 3.0;
    o->fine_k = 5.0;
    o->rest_window = 1.0;
    o->rest_fraction = 0.2;
    o->rest_from = 0;
    o->rest_to = -1;
    o->min_active = 0.02;
    o->min_amp = 1.5;
    o->burst_merge = 0.015;
    o->burst_snr = 4.0;
    o->episode_gap = 0.6;
    o->gap_rise = 0.1;
    o->group_gap = 30.0;
    o->sparse_rate = 5.0;
    o->fasc_max_rate = 2.0;
    o->rhythm_group_gap = 1.0;
    o->transient_max = 0.03;
    o->max_phases = 5;
    o->train_cv = 0.05;
    o->multiplet_spikes = 4;
    o->multiplet_isi = 0.03;
    o->tetanic_min = 20.0;
    o->brief_max = 0.25;
    o->rhythm_min_bursts = 3;
    o->clonic_cv = 0.2;
    o->clonic_low = 3.5;
    o->clonic_high = 8.0;
    o->clonic_max_burst = 0.15;
    o->ataxic_low = 2.0;
    o->ataxic_high = 5.0;
    o->dystonic_low = 4.0;
    o->dystonic_high = 7.0;
    o->tremor_low = 8.0;
    o->tremor_high = 12.0;
    o->sustained_min = 1.0;
    o->cocon = 50.0;
    o->together_lag = 0.05;
    o->modulation = 0.15;
    o->rhythm_r = 0.35;
    o->partner_quiet = 0.2;
    o->crosstalk = 0.15;
    o->cramp_rise = 0.3;
    o->cramp_waxing = 0.09;
    o->myoclonic_amp = 6.0;
    o->myoclonic_max_rate = 6.0;
    o->tonic_min = 25.0;
    o->tonic_max = 240.0;
    o->strain_max_amp = 10.0;
    o->force_k = 5.0;
    o->mdf_low = 70.0;
    o->mains = 0.0;
    o->context = EMG_CONTEXT_NONE;
    o->auto_roles = 1;
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

/* ---- context ------------------------------------------------------------------ */

static emg_context context_in_text(const char *raw)
{
    char word[64], text[256];
    size_t len = 0;
    for (; raw[len] && len + 1 < sizeof text; len++) /* case-insensitive */
        text[len] = (char)tolower((unsigned char)raw[len]);
    text[len] = '\0';
    const char *p = text;
    const char *key = strstr(text, "context");
    if (key) {
        p = key + 7;
        while (*p == '=' || *p == ':' || *p == ' ')
            p++;
    }
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-') && n + 1 < sizeof word) {
        word[n] = p[n];
        n++;
    }
    word[n] = '\0';
    emg_context c;
    /* Without the "context" key only an annotation that is exactly a context
     * word counts (event labels such as "cramp" must not be read). */
    if (!key && p[n] != '\0')
        return EMG_CONTEXT_NONE;
    if (emg_context_from_name(word, &c, NULL) == 0 && strcmp(word, "nocturnal") != 0)
        return c;
    return EMG_CONTEXT_NONE;
}

emg_context emg_context_from_annotations(const emg_header *h)
{
    for (size_t k = 0; k < h->n_annotations; k++) {
        emg_context c = context_in_text(h->annotations[k].text ? h->annotations[k].text : "");
        if (c != EMG_CONTEXT_NONE)
            return c;
    }
    /* A recording description such as "... context=sleep ..." (EDF+ and
     * HDF5 carry one); only with the "context" key. */
    char lower[sizeof h->recording];
    size_t i = 0;
    for (; h->recording[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)h->recording[i]);
    lower[i] = '\0';
    const char *key = strstr(lower, "context");
    return key ? context_in_text(key) : EMG_CONTEXT_NONE;
}

/* Per-event context.  The context annotations are read once into a table;
 * an event's context is, in this order of precedence:
 *   1. the options' (--context) when given: it overrides every annotation;
 *   2. the annotations that overlap the event: at each instant the innermost
 *      (shortest) context span covering it, else the last instant (zero-length)
 *      context annotation before it; the event takes the context that holds
 *      for the largest share of its time (an event straddling the edge of a
 *      span takes the span's context when most of it lies inside);
 *   3. the recording-wide context (emg_context_from_annotations) where no
 *      annotation applies.
 * An annotation tied to a channel applies to that channel's events only. */
typedef struct ctx_span {
    double onset, duration; /* duration 0: from onset on */
    int channel;            /* -1: every channel */
    emg_context context;
} ctx_span;

typedef struct ctx_table {
    ctx_span *spans;
    size_t n;
    emg_context forced; /* --context, or EMG_CONTEXT_NONE */
    emg_context global; /* recording-wide fallback */
} ctx_table;

static int ctx_table_build(ctx_table *t, const emg_header *h, const emg_label_options *o,
                           emg_context global, emg_error *err)
{
    memset(t, 0, sizeof *t);
    t->forced = o->context;
    t->global = global;
    if (o->context != EMG_CONTEXT_NONE || h->n_annotations == 0)
        return 0;
    t->spans = emg_xcalloc(h->n_annotations, sizeof *t->spans, err);
    if (!t->spans)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < h->n_annotations; k++) {
        const emg_annotation *a = &h->annotations[k];
        emg_context c = context_in_text(a->text ? a->text : "");
        if (c == EMG_CONTEXT_NONE)
            continue;
        t->spans[t->n].onset = a->onset;
        t->spans[t->n].duration = a->duration > 0 ? a->duration : 0;
        t->spans[t->n].channel = a->channel;
        t->spans[t->n].context = c;
        t->n++;
    }
    return 0;
}

static void ctx_table_free(ctx_table *t)
{
    free(t->spans);
    memset(t, 0, sizeof *t);
}

/* Context at instant t on channel c, from the annotations alone (rule 2), or
 * EMG_CONTEXT_NONE. */
static emg_context ctx_annotated_at(const ctx_table *t, int c, double time)
{
    emg_context best = EMG_CONTEXT_NONE, last = EMG_CONTEXT_NONE;
    double best_len = INFINITY, last_on = -INFINITY;
    for (size_t k = 0; k < t->n; k++) {
        const ctx_span *s = &t->spans[k];
        if (s->channel >= 0 && s->channel != c)
            continue;
        if (s->duration > 0) {
            if (time >= s->onset && time < s->onset + s->duration && s->duration < best_len) {
                best = s->context;
                best_len = s->duration;
            }
        } else if (s->onset <= time && s->onset >= last_on) {
            last = s->context;
            last_on = s->onset;
        }
    }
    return best != EMG_CONTEXT_NONE ? best : last;
}

/* Context of an event on channel c over [t0, t1): the precedence above. */
static emg_context context_over(const ctx_table *t, int c, double t0, double t1)
{
    if (t->forced != EMG_CONTEXT_NONE)
        return t->forced;
    if (!(t1 > t0))
        t1 = t0;
    /* Where the annotated context can change inside the event: span edges
     * and instant annotations; between two of them it is constant. */
    double cuts[66];
    size_t nc = 0;
    cuts[nc++] = t0;
    for (size_t k = 0; k < t->n && nc < 64; k++) {
        const ctx_span *s = &t->spans[k];
        if (s->channel >= 0 && s->channel != c)
            continue;
        if (s->onset > t0 && s->onset < t1)
            cuts[nc++] = s->onset;
        double end = s->onset + s->duration;
        if (s->duration > 0 && end > t0 && end < t1 && nc < 64)
            cuts[nc++] = end;
    }
    cuts[nc++] = t1;
    qsort(cuts, nc, sizeof *cuts, emg_double_cmp);
    double share[EMG_CONTEXT_INJURY + 1] = {0};
    for (size_t k = 0; k + 1 < nc; k++) {
        double len = cuts[k + 1] - cuts[k];
        if (len <= 0)
            continue;
        emg_context x = ctx_annotated_at(t, c, 0.5 * (cuts[k] + cuts[k + 1]));
        share[x] += len;
    }
    if (t1 == t0)
        share[ctx_annotated_at(t, c, t0)] += 1;
    /* The largest share among annotated contexts; unannotated time
     * (EMG_CONTEXT_NONE) falls back to the recording-wide context. */
    emg_context best = EMG_CONTEXT_NONE;
    double best_share = 0;
    for (int k = 1; k <= EMG_CONTEXT_INJURY; k++) {
        if (share[k] > best_share) {
            best = (emg_context)k;
            best_share = share[k];
        }
    }
    if (best == EMG_CONTEXT_NONE || share[EMG_CONTEXT_NONE] > best_share)
        return best == EMG_CONTEXT_NONE || t->global != EMG_CONTEXT_NONE ? t->global : best;
    return best;
}

/* ---- explanations --------------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int on;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (!b->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t add = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    if (b->len + add + 1 > b->cap) {
        size_t ncap = (b->cap ? 2 * b->cap : 512) + add;
        char *g = realloc(b->s, ncap);
        if (!g)
            return;
        b->s = g;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, tmp, add);
    b->len += add;
    b->s[b->len] = '\0';
}

/* Append text as is (sb_printf cuts at 512 characters), each line prefixed. */
static void sb_indent(sbuf *b, const char *text, const char *prefix)
{
    if (!b->on || !text)
        return;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
        size_t need = b->len + strlen(prefix) + len + 1;
        if (need > b->cap) {
            char *g = realloc(b->s, need + 512);
            if (!g)
                return;
            b->s = g;
            b->cap = need + 512;
        }
        memcpy(b->s + b->len, prefix, strlen(prefix));
        b->len += strlen(prefix);
        memcpy(b->s + b->len, text, len);
        b->len += len;
        b->s[b->len] = '\0';
        text += len;
    }
}

/* ---- partner measures -------------------------------------------------------------- */

typedef struct partner_info {
    int index;            /* channel, -1 none */
    double active;        /* fraction of the episode with its coarse envelope active */
    double cocon;         /* % */
    double lag;           /* s, partner relative to this channel (positive: partner later) */
    double r0, rmax;      /* correlation at zero lag and at the peak */
    double level;         /* partner's median coarse envelope over its rest level */
} partner_info;

/* Coarse envelope above rest, normalised by its own largest value in the
 * episode; %COCON = 2 x common area / (area A + area B) x 100 (Falconer &
 * Winter 1985; Unnithan et al. 1996).  A partner that never crosses its
 * activity threshold co-contracts 0 %. */
static void partner_measures(partner_info *pi, const lab_channel *c, const lab_channel *p,
                             double t0, double t1, double max_lag)
{
    double dfc = c->fs / (double)c->step, dfp = p->fs / (double)p->step;
    size_t a = (size_t)(t0 * dfc), b = (size_t)ceil(t1 * dfc);
    if (b > c->nd)
        b = c->nd;
    if (b > a + (size_t)(20 * dfc))
        b = a + (size_t)(20 * dfc);
    pi->active = pi->cocon = pi->lag = pi->r0 = pi->rmax = pi->level = NAN;
    if (b <= a + 1)
        return;
    {
        size_t m = 0, stride = (b - a) / 4000 + 1;
        float tmp[4096];
        for (size_t i = a; i < b && m < 4096; i += stride) {
            size_t j = (size_t)((double)i / dfc * dfp);
            tmp[m++] = p->coarse[j < p->nd ? j : p->nd - 1];
        }
        /* median by partial selection sort is too slow; a simple insertion on
         * at most 4096 floats is fine for one episode */
        for (size_t u = 1; u < m; u++) {
            float v = tmp[u];
            size_t w = u;
            while (w > 0 && tmp[w - 1] > v) {
                tmp[w] = tmp[w - 1];
                w--;
            }
            tmp[w] = v;
        }
        pi->level = m ? tmp[m / 2] / p->rest_coarse : NAN;
    }
    double maxa = 0, maxb = 0, suma = 0, sumb = 0, common = 0;
    size_t act = 0, len = b - a;
    for (size_t i = a; i < b; i++) {
        size_t j = (size_t)((double)i / dfc * dfp);
        if (j >= p->nd)
            j = p->nd - 1;
        maxa = fmax(maxa, c->coarse[i] - c->rest_coarse);
        maxb = fmax(maxb, p->coarse[j] - p->rest_coarse);
        act += p->coarse[j] > p->thr_coarse;
    }
    pi->active = (double)act / (double)len;
    if (act == 0 || maxa <= 0 || maxb <= 0) {
        pi->cocon = 0;
    } else {
        for (size_t i = a; i < b; i++) {
            size_t j = (size_t)((double)i / dfc * dfp);
            if (j >= p->nd)
                j = p->nd - 1;
            double x = fmax(0, c->coarse[i] - c->rest_coarse) / maxa;
            double y = fmax(0, p->coarse[j] - p->rest_coarse) / maxb;
            suma += x;
            sumb += y;
            common += fmin(x, y);
        }
        pi->cocon = suma + sumb > 0 ? 200.0 * common / (suma + sumb) : 0;
    }
    /* Cross-correlation of the medium envelopes, mean removed, lags +-max_lag. */
    double ma = 0, mb = 0;
    for (size_t i = a; i < b; i++) {
        size_t j = (size_t)((double)i / dfc * dfp);
        ma += c->medium[i];
        mb += p->medium[j < p->nd ? j : p->nd - 1];
    }
    ma /= (double)len;
    mb /= (double)len;
    double va = 0, vb = 0;
    for (size_t i = a; i < b; i++) {
        size_t j = (size_t)((double)i / dfc * dfp);
        double y = p->medium[j < p->nd ? j : p->nd - 1] - mb;
        va += (c->medium[i] - ma) * (c->medium[i] - ma);
        vb += y * y;
    }
    if (!(va > 0 && vb > 0))
        return;
    long L = (long)(max_lag * dfc);
    double best = -2;
    long best_l = 0;
    for (long l = -L; l <= L; l++) {
        double s = 0;
        for (size_t i = a; i < b; i++) {
            long j = (long)((double)i / dfc * dfp) + l;
            if (j < 0 || (size_t)j >= p->nd)
                continue;
            s += (c->medium[i] - ma) * (p->medium[j] - mb);
        }
        double r = s / sqrt(va * vb);
        if (l == 0)
            pi->r0 = r;
        if (r > best) {
            best = r;
            best_l = l;
        }
    }
    pi->rmax = best;
    pi->lag = (double)best_l / dfc;
}

/* ---- decisions ---------------------------------------------------------------- */

typedef struct decision {
    const char *label;
    const char *rule;
    char note[48];
    double confidence;
    unsigned missing;
} decision;

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Confidence from a relative margin: 0.5 at the limit, 1 at a margin of 50 %. */
static double conf_of(double margin)
{
    return clamp01(0.5 + margin);
}

static int in_range(double v, double lo, double hi)
{
    return !isnan(v) && v >= lo && v <= hi;
}

static int is_rest_like(emg_context c)
{
    return c == EMG_CONTEXT_REST || c == EMG_CONTEXT_SLEEP || c == EMG_CONTEXT_EXERCISE;
}

/* What the rules look at, computed once per episode. */
typedef struct facts {
    const lab_episode *e;
    const partner_info *pi;
    emg_context ctx;
    double rel_level;    /* partner's level over rest relative to this channel's */
    int has_partner, partner_active, together, alternating;
    int enough;          /* enough major bursts for a rhythm */
    int iv_regular;      /* burst intervals regular */
    int ac_regular;      /* envelope autocorrelation strong */
    int regular;
    double rate;         /* Hz, burst rate the rhythm rules use */
} facts;

static void facts_of(facts *f, const lab_episode *e, const partner_info *pi, emg_context ctx,
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
                    (isnan(pi->lag) || fabs(pi->lag) <= o->together_lag || pi->r0 > 0.3);
    f->partner_active = f->has_partner && pi->active >= o->partner_quiet && !crosstalk;
    f->together = f->partner_active && pi->cocon > o->cocon && !isnan(pi->lag) &&
                  fabs(pi->lag) <= o->together_lag && pi->r0 > 0;
    f->alternating = f->partner_active && !f->together &&
                     (!(pi->r0 > 0) || (!isnan(pi->lag) && fabs(pi->lag) > o->together_lag));
    /* Regular: burst intervals with a small CV, or, when weak beats are
     * missed (which inflates the CV), a strong envelope autocorrelation. */
    f->enough = e->n_major >= (size_t)o->rhythm_min_bursts;
    f->iv_regular = f->enough && !isnan(e->interval_cv) && e->interval_cv < o->clonic_cv;
    f->ac_regular = f->enough && !isnan(e->rhythm) && e->rhythm >= o->rhythm_r;
    f->regular = f->iv_regular || f->ac_regular;
    f->rate = f->iv_regular ? e->interval_rate
              : f->ac_regular ? e->burst_rate
              : f->enough && !isnan(e->interval_rate) ? e->interval_rate
                                                      : e->burst_rate;
}

static void explain_measures(sbuf *x, const facts *f)
{
    const lab_episode *e = f->e;
    const partner_info *pi = f->pi;
    sb_printf(x, "  measures: D %.3f s, %zu bursts, %zu major (median %.1f ms, longest %.1f ms, "
                 "%.2f single-unit, %.2f of the time in long bursts), "
                 "interval rate %.2f Hz CV %.2f, autocorr rate %.2f Hz (r %.2f), "
                 "single-unit fraction %.2f, spikes/burst %.1f, multiplets %d, duty %.2f, "
                 "amp/rest %.1f, level/rest %.1f, rise %.2f s, waxing %.2f, MDF %.1f Hz, context %s\n",
              e->duration, e->n_bursts, e->n_major, 1e3 * e->burst_duration,
              1e3 * e->longest_burst, e->major_single_fraction, e->sustained_share,
              e->interval_rate, e->interval_cv, e->burst_rate, e->rhythm, e->single_fraction,
              e->spikes, e->multiplets, e->duty, e->amp_over_rest, e->level_over_rest,
              e->rise_time, e->waxing, e->mdf, emg_context_name(f->ctx));
    if (f->has_partner)
        sb_printf(x, "  partner channel %d: active %.2f of the time, level %.1f x rest "
                     "(%.2f of this channel's), %%COCON %.0f, lag %.0f ms, r(0) %.2f -> %s\n",
                  pi->index + 1, pi->active, pi->level, f->rel_level, pi->cocon, 1e3 * pi->lag,
                  pi->r0, f->together ? "together" : f->alternating ? "alternating" : "quiet");
    else
        sb_printf(x, "  no partner channel (--pair)\n");
}

static void decided(decision *d, const char *label, const char *rule, double confidence)
{
    d->label = label;
    d->rule = rule;
    d->confidence = confidence;
}

/* Rule 2: isolated motor-unit-sized transients; 1 when it decides. */
static int rule_isolated(decision *d, const facts *f, const emg_label_options *o, sbuf *x)
{
    const lab_episode *e = f->e;
    int brief_bursts = !isnan(e->burst_duration) && e->burst_duration <= o->brief_max;
    int tetanic_ctx = f->ctx == EMG_CONTEXT_ISCHEMIA || f->ctx == EMG_CONTEXT_HYPERVENTILATION;
    if (e->multiplets > 0 && brief_bursts && e->multiplets * 2 >= (int)e->n_bursts) {
        if (tetanic_ctx) {
            sb_printf(x, "  rule 2c tetanic: match (%d multiplets of >= %d spikes of one size, "
                         "context %s)\n", e->multiplets, o->multiplet_spikes,
                      emg_context_name(f->ctx));
            decided(d, "tetanic", "2c-multiplets",
                    conf_of((double)e->multiplets / (double)e->n_bursts - 0.5));
            return 1;
        }
        if (f->ctx == EMG_CONTEXT_NONE) {
            sb_printf(x, "  rule 2c tetanic: undecided: multiplets present but no "
                         "ischemia/hyperventilation context\n");
            d->missing |= EMG_LABEL_MISSING_CONTEXT;
            d->rule = "2c-needs-context";
            return 1;
        }
        sb_printf(x, "  rule 2c tetanic: no (context %s is not ischemia/hyperventilation)\n",
                  emg_context_name(f->ctx));
    } else {
        sb_printf(x, "  rule 2c tetanic: no (%d multiplets in %zu bursts)\n", e->multiplets,
                  e->n_bursts);
    }
    /* Sparse: a few potentials, not the continuous firing of a contraction. */
    double potential_rate = (double)e->n_bursts / (e->duration + o->episode_gap);
    int isolated = e->n_bursts > 0 && e->single_fraction >= 0.8 &&
                   potential_rate <= o->sparse_rate && e->longest_burst <= 2 * o->transient_max &&
                   e->amp_over_rest >= o->min_amp;
    if (!isolated) {
        sb_printf(x, "  rule 2a fasciculation: no (single-unit fraction %.2f, %.1f potentials/s, "
                     "longest burst %.1f ms)\n",
                  e->single_fraction, potential_rate, 1e3 * e->longest_burst);
        return 0;
    }
    if (f->regular && in_range(e->interval_rate, 1, 18) && e->interval_cv <= o->train_cv) {
        sb_printf(x, "  rule 2b regular single-unit train (CV %.3f <= %.2f): no spasm\n",
                  e->interval_cv, o->train_cv);
        decided(d, "none", "2b-regular-train", 0.8);
        return 1;
    }
    if (f->ctx == EMG_CONTEXT_MOVEMENT || f->ctx == EMG_CONTEXT_EXERCISE) {
        /* Fasciculations are judged at rest; during a task isolated
         * potentials are units recruited at low force. */
        sb_printf(x, "  rule 2a fasciculation: no (isolated potentials, but context %s is "
                     "not rest): no spasm\n", emg_context_name(f->ctx));
        decided(d, "none", "2a-not-at-rest", 0.3);
        return 1;
    }
    sb_printf(x, "  rule 2a fasciculation: match (%zu isolated potential(s), max %d phases, "
                 "median %.1f ms)\n", e->n_bursts, e->max_phases, 1e3 * e->burst_duration);
    decided(d, "fasciculation", "2a-isolated-potentials",
            conf_of(0.5 * (e->single_fraction - 0.8) / 0.2 +
                    0.25 * (o->transient_max - e->burst_duration) / o->transient_max));
    return 1;
}

/* Does the episode consist of brief bursts (rule 3)?  May set f->rate to the
 * envelope rhythm. */
static int is_phasic(facts *f, const emg_label_options *o, sbuf *x)
{
    const lab_episode *e = f->e;
    int brief_bursts = !isnan(e->burst_duration) && e->burst_duration <= o->brief_max;
    /* Phasic: compound brief bursts (many units at once) with little time in
     * long bursts; asynchronous low-level firing breaks into single-unit
     * fragments and is not a burst pattern. */
    int phasic = brief_bursts && e->sustained_share < 0.3 && e->major_single_fraction < 0.5 &&
                 (e->n_major >= 2 || e->duration <= o->brief_max + 0.05) &&
                 !(e->duty > 0.9 && e->duration > o->sustained_min);
    /* Many irregular bursts per second are not jerks but the fragments of
     * continuous firing: treat them as sustained activity.  Where the
     * envelope is active most of the time, the rate between burst onsets
     * counts (fragments cluster where the contraction is strongest). */
    double density = (double)e->n_major / (e->duration + 0.1);
    if (e->duty > 0.5 && e->interval_rate > density)
        density = e->interval_rate;
    if (phasic && !f->regular && density > o->myoclonic_max_rate) {
        sb_printf(x, "  %.1f irregular bursts/s > %.1f: continuous activity, not jerks\n",
                  density, o->myoclonic_max_rate);
        phasic = 0;
    }
    /* A strong envelope rhythm at 3.5-18 Hz is a burst pattern even when weak
     * beats break into single-unit fragments on the fine envelope. */
    if (!phasic && f->ac_regular && in_range(e->burst_rate, o->clonic_low, 18.0) &&
        e->sustained_share < 0.3) {
        sb_printf(x, "  rhythmic envelope (%.2f Hz, r %.2f): treated as bursts\n", e->burst_rate,
                  e->rhythm);
        phasic = 1;
        f->rate = e->burst_rate;
    }
    if (!phasic)
        sb_printf(x, "  rule 3 brief bursts: no (median burst %.0f ms, longest %.0f ms, "
                     "duty %.2f)\n", 1e3 * e->burst_duration, 1e3 * e->longest_burst, e->duty);
    return phasic;
}

/* Rule 3 ataxic: 2-5 Hz alternation during movement with mistimed
 * (irregular) or prolonged (150-250 ms) bursts; 1 when it matches. */
static int rule_ataxic(decision *d, const facts *f, const emg_label_options *o, sbuf *x)
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
    if (!ataxic_like) {
        sb_printf(x, "  rule 3b ataxic: no (rate %.2f Hz, regular %d, bursts %.0f ms)\n", rate,
                  regular, 1e3 * e->burst_duration);
    } else if (!f->has_partner) {
        sb_printf(x, "  rule 3b ataxic: undecided: needs an antagonist (--pair)\n");
        d->missing |= EMG_LABEL_MISSING_PAIR;
    } else if (f->alternating && f->ctx == EMG_CONTEXT_MOVEMENT) {
        sb_printf(x, "  rule 3b ataxic: match (%.2f Hz, CV %.2f, bursts %.0f ms, antagonist "
                     "lags %.0f ms, movement)\n", rate, e->interval_cv,
                  1e3 * e->burst_duration, 1e3 * f->pi->lag);
        decided(d, "ataxic", "3b-alternating", conf_of(0.2 + 0.3 * !regular));
        return 1;
    } else if (f->alternating && f->ctx == EMG_CONTEXT_NONE) {
        sb_printf(x, "  rule 3b ataxic: undecided: alternating, but needs the movement "
                     "context\n");
        d->missing |= EMG_LABEL_MISSING_MOVEMENT;
    } else {
        sb_printf(x, "  rule 3b ataxic: no (alternating %d, context %s)\n", f->alternating,
                  emg_context_name(f->ctx));
    }
    return 0;
}

/* Rule 3e: arrhythmic compound bursts; the note gives the origin that the
 * burst duration suggests (criteria page: 45 ms separates cortical). */
static const char *myoclonic_origin(double burst_duration)
{
    return burst_duration < 0.045 ? "cortical (<45 ms)"
           : burst_duration > 0.1 ? "brainstem (>100 ms)"
                                  : "subcortical (45-100 ms)";
}

static void myoclonic(decision *d, const lab_episode *e, const char *rule, double confidence)
{
    decided(d, "myoclonic", rule, confidence);
    snprintf(d->note, sizeof d->note, "%s", myoclonic_origin(e->burst_duration));
}

/* Rule 3: brief bursts.  1 when decided; 0 when the bursts are too small
 * for jerks and the episode is long enough to be judged as sustained
 * low-level activity (rule 4). */
static int rule_brief(decision *d, const facts *f, const emg_label_options *o, sbuf *x)
{
    const lab_episode *e = f->e;
    /* Clonic beats are compound bursts of 50-100 ms: at least 20 ms. */
    if (f->regular && in_range(f->rate, o->clonic_low, o->clonic_high) &&
        e->burst_duration <= o->clonic_max_burst && e->burst_duration >= 0.02) {
        sb_printf(x, "  rule 3a clonic: match (%zu regular bursts, CV %.2f < %.2f, %.2f Hz "
                     "in %.1f-%.1f, bursts %.0f ms)\n", e->n_bursts, e->interval_cv,
                  o->clonic_cv, f->rate, o->clonic_low, o->clonic_high, 1e3 * e->burst_duration);
        decided(d, "clonic", "3a-regular-bursts",
                conf_of(0.5 * (o->clonic_cv - e->interval_cv) / o->clonic_cv +
                        0.25 * (e->n_major >= 6)));
        return 1;
    }
    sb_printf(x, "  rule 3a clonic: no (regular %d, rate %.2f Hz, bursts %.0f ms)\n",
              f->regular, f->rate, 1e3 * e->burst_duration);
    /* Bursts this small (under a compound jerk's size) and irregular over
     * more than a second are the fragments of low-level firing hovering about
     * the threshold (raised resting activity), not a burst pattern: judged
     * as sustained activity (rule 4), where tremor is still found. */
    if (e->amp_over_rest < o->myoclonic_amp && e->duration > o->sustained_min) {
        sb_printf(x, "  rule 3: bursts of %.1f x rest < %.1f over %.1f s: judged as low-level "
                     "sustained activity\n", e->amp_over_rest, o->myoclonic_amp, e->duration);
        return 0;
    }
    if (rule_ataxic(d, f, o, x))
        return 1;
    if (in_range(e->burst_rate, o->dystonic_low, o->dystonic_high) && f->together &&
        e->duty > 0.5) {
        sb_printf(x, "  rule 3c dystonic: match (%.2f Hz, together with the antagonist, "
                     "%%COCON %.0f, background duty %.2f)\n", e->burst_rate, f->pi->cocon,
                  e->duty);
        decided(d, "dystonic", "3c-together-4-7Hz", conf_of((f->pi->cocon - o->cocon) / 100.0 + 0.2));
        return 1;
    }
    sb_printf(x, "  rule 3c dystonic: no (together %d, duty %.2f)\n", f->together, e->duty);
    if (f->regular &&
        (in_range(f->rate, o->tremor_low, o->tremor_high) || in_range(f->rate, 13, 18))) {
        sb_printf(x, "  rule 3d tremor: match (%.2f Hz regular): not a spasm\n", f->rate);
        decided(d, "tremor", "3d-tremor",
                conf_of(0.5 * (o->clonic_cv - e->interval_cv) / o->clonic_cv));
        return 1;
    }
    sb_printf(x, "  rule 3d tremor: no\n");
    if (d->missing) {
        sb_printf(x, "  rule 3e myoclonic: not applied (a rhythm that another input would "
                     "decide)\n");
        d->rule = "3-needs-input";
        return 1;
    }
    /* During a task, bursts that are regular, longer than a jerk, or that
     * fill most of a contraction lasting over a second (jerks stand out of
     * silence) are the task's contraction. */
    int fills = e->duty > 0.4 && e->duration > o->sustained_min;
    if (f->ctx == EMG_CONTEXT_MOVEMENT &&
        (f->regular || e->burst_duration > o->clonic_max_burst || fills)) {
        sb_printf(x, "  rule 3e myoclonic: no (%s during movement): voluntary\n",
                  f->regular ? "regular bursts"
                  : fills    ? "activity most of the time"
                             : "bursts longer than a jerk");
        decided(d, "voluntary", "3e-movement-bursts", 0.5);
        return 1;
    }
    if (e->amp_over_rest < o->myoclonic_amp) {
        sb_printf(x, "  rule 3e myoclonic: no (amplitude %.1f x rest < %.1f: not a compound "
                     "jerk): no label\n", e->amp_over_rest, o->myoclonic_amp);
        decided(d, "none", "3e-too-small", 0.3);
        return 1;
    }
    sb_printf(x, "  rule 3e myoclonic: match (%s compound bursts, median %.0f ms)\n",
              f->regular ? "regular but out-of-band" : "arrhythmic", 1e3 * e->burst_duration);
    myoclonic(d, e, "3e-arrhythmic-compound",
              conf_of(0.5 * (1 - e->single_fraction) - 0.1 * f->regular));
    return 1;
}

/* Shortest tremor on a background: about 30 cycles at 10 Hz. */
#define TREMOR_MIN_S 3.0

/* Rule 4: sustained activity (D > sustained_min). */
static void rule_sustained(decision *d, const facts *f, const emg_label_options *o, sbuf *x)
{
    const lab_episode *e = f->e;
    emg_context ctx = f->ctx;
    if (f->together && e->rhythm_4_7 >= o->modulation) {
        sb_printf(x, "  rule 4a dystonic: match (%%COCON %.0f > %.0f, lag %.0f ms, 4-7 Hz "
                     "modulation %.2f%s)\n", f->pi->cocon, o->cocon, 1e3 * f->pi->lag,
                  e->rhythm_4_7, e->mdf < o->mdf_low ? ", low MDF" : "");
        decided(d, "dystonic", "4a-cocontraction",
                conf_of((f->pi->cocon - o->cocon) / 100.0 + e->rhythm_4_7));
        return;
    }
    if (!f->has_partner && e->rhythm_4_7 >= 2 * o->modulation && ctx != EMG_CONTEXT_REST &&
        ctx != EMG_CONTEXT_SLEEP) {
        sb_printf(x, "  rule 4a dystonic: undecided (4-7 Hz modulation %.2f) without an "
                     "antagonist (--pair)\n", e->rhythm_4_7);
        d->missing |= EMG_LABEL_MISSING_PAIR;
        d->rule = "4a-needs-pair";
        return;
    }
    sb_printf(x, "  rule 4a dystonic: no (together %d, 4-7 Hz modulation %.2f)\n", f->together,
              e->rhythm_4_7);
    /* Tremor rides on a postural or voluntary background: sustained activity
     * whose envelope is regularly modulated at 8-12 Hz (physiological) or
     * 13-18 Hz (orthostatic) for at least TREMOR_MIN_S is tremor (rule 3d),
     * whatever the bursts.  Shorter contractions show their units' firing
     * rate in the envelope, which is not yet a tremor. */
    if (e->rhythm >= o->rhythm_r && e->duration >= TREMOR_MIN_S &&
        (in_range(e->burst_rate, o->tremor_low, o->tremor_high) ||
         in_range(e->burst_rate, 13, 18))) {
        sb_printf(x, "  rule 3d tremor: match (envelope of the sustained activity regular at "
                     "%.2f Hz, r %.2f): not a spasm\n", e->burst_rate, e->rhythm);
        decided(d, "tremor", "3d-tremor-on-background", conf_of(e->rhythm - o->rhythm_r));
        return;
    }
    int tonic_len = in_range(e->duration, o->tonic_min, o->tonic_max);
    if (ctx == EMG_CONTEXT_CNS_LESION && tonic_len) {
        sb_printf(x, "  rule 4b tonic: match (plateau %.0f s in %.0f-%.0f s, cns-lesion)\n",
                  e->duration, o->tonic_min, o->tonic_max);
        decided(d, "tonic", "4b-plateau-cns", conf_of(0.3 + 0.2 * (e->duty > 0.8)));
        return;
    }
    sb_printf(x, "  rule 4b tonic: no (context %s, %.0f s)\n", emg_context_name(ctx),
              e->duration);
    int partner_quiet = f->has_partner && !f->partner_active;
    /* During exercise a held voluntary contraction is expected: a cramp
     * there must show its abrupt onset or its waxing and waning. */
    if (ctx == EMG_CONTEXT_EXERCISE && e->rise_time >= o->cramp_rise &&
        e->waxing < o->cramp_waxing) {
        sb_printf(x, "  rule 4c cramp: no (exercise, rise %.2f s >= %.2f and waxing %.2f < "
                     "%.2f: a held voluntary contraction)\n", e->rise_time, o->cramp_rise,
                  e->waxing, o->cramp_waxing);
        decided(d, "voluntary", "4c-exercise-steady",
                conf_of((o->cramp_waxing - e->waxing) / o->cramp_waxing));
        return;
    }
    if ((is_rest_like(ctx) && (!f->has_partner || partner_quiet)) ||
        (ctx == EMG_CONTEXT_NONE && partner_quiet)) {
        sb_printf(x, "  rule 4c cramp: match (one muscle active, %s, context %s, rise "
                     "%.2f s)\n", f->has_partner ? "antagonist quiet" : "no antagonist given",
                  emg_context_name(ctx), e->rise_time);
        decided(d, "cramp", "4c-single-muscle",
                conf_of(0.2 + 0.2 * partner_quiet + 0.1 * (e->rise_time < 1.0) -
                        0.2 * (ctx == EMG_CONTEXT_NONE)));
        if (ctx == EMG_CONTEXT_SLEEP)
            snprintf(d->note, sizeof d->note, "nocturnal");
        return;
    }
    sb_printf(x, "  rule 4c cramp: no (context %s, partner %s)\n", emg_context_name(ctx),
              !f->has_partner ? "none" : partner_quiet ? "quiet" : "active");
    if (ctx == EMG_CONTEXT_INJURY && e->level_over_rest < o->strain_max_amp) {
        sb_printf(x, "  rule 4d strain: match (injury, level %.1f x rest < %.0f)\n",
                  e->level_over_rest, o->strain_max_amp);
        decided(d, "strain", "4d-injury-low-level", 0.6);
        return;
    }
    sb_printf(x, "  rule 4d strain: no\n");
    /* Prolonged ataxic bursts (150-250 ms) at 2-5 Hz leave little quiet
     * between them: the activity looks sustained, the alternation with the
     * antagonist remains. */
    if (ctx == EMG_CONTEXT_MOVEMENT && f->alternating && rule_ataxic(d, f, o, x))
        return;
    if (ctx == EMG_CONTEXT_MOVEMENT) {
        sb_printf(x, "  rule 4e voluntary: match (movement context, rise %.2f s)\n",
                  e->rise_time);
        decided(d, "voluntary", "4e-movement", conf_of(0.2 + 0.2 * (e->rise_time >= 0.2)));
        return;
    }
    if (ctx == EMG_CONTEXT_NONE) {
        d->missing |= EMG_LABEL_MISSING_CONTEXT;
        sb_printf(x, tonic_len ? "  rule 4: undecided: tonic, cramp or voluntary by context\n"
                               : "  rule 4: undecided: cramp or voluntary by context or "
                                 "antagonist\n");
    } else {
        sb_printf(x, "  rule 4: no rule matches in context %s\n", emg_context_name(ctx));
    }
    d->rule = "4-none";
}

/* Shortest voluntary contraction: a ballistic movement's agonist burst
 * lasts about 100 ms. */
#define VOLUNTARY_MIN_S 0.1

/* Neither brief bursts nor sustained: up to sustained_min of activity. */
static void rule_between(decision *d, const facts *f, const emg_label_options *o, sbuf *x)
{
    const lab_episode *e = f->e;
    /* A voluntary contraction lasts at least VOLUNTARY_MIN_S; a shorter
     * blip during movement is a jerk if large, else noise (below). */
    if (f->ctx == EMG_CONTEXT_MOVEMENT && e->duration >= VOLUNTARY_MIN_S) {
        sb_printf(x, "  short contraction during movement: voluntary\n");
        decided(d, "voluntary", "4e-movement-short", 0.5);
        return;
    }
    /* One compound burst of 10 ms (the shortest cortical jerk) up to twice
     * a brief burst: a jerk (brainstem myoclonus lasts over 100 ms, with no
     * upper bound on the criteria page). */
    if (e->n_major >= 1 && e->major_single_fraction < 0.5 && e->burst_duration >= 0.01 &&
        e->longest_burst <= 2 * o->brief_max && e->amp_over_rest >= o->myoclonic_amp) {
        sb_printf(x, "  rule 3e myoclonic: match (one compound burst of %.0f ms)\n",
                  1e3 * e->burst_duration);
        myoclonic(d, e, "3e-single-jerk", 0.5);
        return;
    }
    if (e->amp_over_rest < o->myoclonic_amp) {
        sb_printf(x, "  no rule matches a brief, small event (%.3f s, %.1f x rest): noise, no "
                     "label\n", e->duration, e->amp_over_rest);
        decided(d, "none", "noise", 0.3);
        return;
    }
    sb_printf(x, "  no rule matches (%.2f s of activity)\n", e->duration);
}

static void decide(decision *d, const lab_episode *e, const partner_info *pi, emg_context ctx,
                   const emg_label_options *o, sbuf *x)
{
    facts f;
    facts_of(&f, e, pi, ctx, o);
    memset(d, 0, sizeof *d);
    decided(d, "unclassified", "none", 0.3);
    explain_measures(x, &f);
    if (rule_isolated(d, &f, o, x))
        return;
    if (is_phasic(&f, o, x) && rule_brief(d, &f, o, x))
        return;
    if (e->duration > o->sustained_min)
        rule_sustained(d, &f, o, x);
    else
        rule_between(d, &f, o, x);
}

/* ---- assembling events ------------------------------------------------------------- */

typedef struct ev_list {
    emg_label_event *ev;
    size_t n, cap;
} ev_list;

static void set_str(char *dst, size_t n, const char *src)
{
    emg_strlcpy(dst, src ? src : "", n);
}

static emg_label_event *ev_push(ev_list *l, emg_error *err)
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

static int partner_of(const emg_label_options *o, int c)
{
    for (size_t k = 0; k < o->n_pairs; k++) {
        if (o->pairs[k][0] == c)
            return o->pairs[k][1];
        if (o->pairs[k][1] == c)
            return o->pairs[k][0];
    }
    return -1;
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

static int run_gaps(double *gap, const ev_list *l, const emg_label_options *o, emg_error *err)
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

static int group_events(ev_list *l, const lab_channel *chs, const emg_label_options *o,
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
                    set_str(p->note, sizeof p->note, myoclonic_origin(p->burst_duration));
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

/* Ischemic contracture: force segments during which the EMG stays silent. */
static int ischemic_events(ev_list *l, const emg_header *h, const double *force,
                           const lab_channel *chs, const int *is_emg, int force_c,
                           const emg_label_options *o, const ctx_table *ctxt, unsigned *missing,
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
            if (o->n_pairs > 0 && partner_of(o, (int)c) >= 0 && o->pairs[0][0] != (int)c &&
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
        emg_label_event *e = ev_push(l, err);
        if (!e) {
            free(seg);
            return EMG_ERR_NOMEM;
        }
        e->onset = t0;
        e->duration = t1 - t0;
        e->channel = target;
        set_str(e->label, sizeof e->label, "ischemic");
        set_str(e->rule, sizeof e->rule, "1-force-without-emg");
        set_str(e->context, sizeof e->context,
                emg_context_name(context_over(ctxt, target, t0, t1)));
        snprintf(e->note, sizeof e->note, "force channel %.32s", fc->name);
        e->confidence = conf_of(0.5 * (o->partner_quiet - worst) / o->partner_quiet);
        e->rhythm = 1;
        if (o->explain) {
            char buf[256];
            snprintf(buf, sizeof buf,
                     "  rule 1 ischemic: match (force %s active %.1f-%.1f s while the EMG is "
                     "active %.0f%% of the time < %.0f%%)\n",
                     fc->name, t0, t1, 100 * worst, 100 * o->partner_quiet);
            e->explain = emg_xstrdup(buf, NULL);
        }
    }
    (void)missing;
    free(seg);
    return 0;
}

/* Decide the span [t0, t1) s of channel c, measured as e: the partner's
 * measures over the span, the context holding over it, then the rules.
 * Returns that context. */
static emg_context decide_span(decision *d, partner_info *pi, const lab_episode *e,
                               const lab_channel *chs, int c, int p, double t0, double t1,
                               const ctx_table *ctxt, const emg_label_options *o, sbuf *x)
{
    memset(pi, 0, sizeof *pi);
    pi->index = p;
    if (p >= 0)
        partner_measures(pi, &chs[c], &chs[p], t0, t1, 0.3);
    emg_context ctx = context_over(ctxt, c, t0, t1);
    decide(d, e, pi, ctx, o, x);
    return ctx;
}

/* ---- rule 5: two or more patterns within one event ------------------------------ */

/* Labels that name a spasm pattern (not a non-spasm, not undecided). */
static int spasm_label(const char *label)
{
    static const char *const spasms[] = {"cramp",  "fasciculation", "tonic",   "dystonic",
                                         "clonic", "myoclonic",     "ataxic",  "tetanic",
                                         "strain"};
    for (size_t k = 0; k < sizeof spasms / sizeof *spasms; k++)
        if (!strcmp(label, spasms[k]))
            return 1;
    return 0;
}

#define MIXED_MAX_PARTS 8
#define MIXED_BLOCK 0.5 /* s */
#define MIXED_MIN_CONFIDENCE 0.6

typedef struct mix_part {
    size_t a, b;   /* full-rate samples */
    int sustained; /* 1: sustained segment, 0: burst segment */
} mix_part;

/* Split an episode where its kind of activity changes: 0.5 s blocks are
 * sustained (>= 60 % of the block inside fine-envelope bursts longer than
 * brief_max: continuous firing) or bursty (<= 20 %: brief bursts and the
 * quiet between them); blocks in between belong to neither.  Runs of one
 * kind longer than sustained_min are the parts.  An episode yields parts
 * only when it holds at least one of each kind: a sustained segment next to
 * a burst segment is what two patterns in one event look like on one
 * channel (e.g. a cramp that turns into clonus, tonic spasm with clonic
 * beats).  Two burst patterns in one run are not separated. */
static size_t split_episode(mix_part *parts, const lab_episode *e, const lab_channel *ch,
                            const emg_label_options *o)
{
    size_t blk = (size_t)lround(MIXED_BLOCK * ch->fs);
    if (blk == 0 || e->duration <= 2 * o->sustained_min || e->n_bursts == 0)
        return 0;
    size_t nb = (e->b - e->a + blk - 1) / blk, np = 0;
    int run_kind = -1, have[2] = {0, 0};
    size_t run_a = e->a, bi = e->first_burst, end = e->first_burst + e->n_bursts;
    for (size_t k = 0; k <= nb; k++) {
        int kind = -1;
        size_t a = k < nb ? e->a + k * blk : e->b, b = a + blk < e->b ? a + blk : e->b;
        if (k < nb) {
            size_t covered = 0;
            while (bi < end && ch->bursts[bi].b <= a)
                bi++;
            for (size_t j = bi; j < end && ch->bursts[j].a < b; j++) {
                const lab_burst *u = &ch->bursts[j];
                if ((double)(u->b - u->a) / ch->fs <= o->brief_max)
                    continue;
                size_t lo = u->a > a ? u->a : a, hi = u->b < b ? u->b : b;
                covered += hi > lo ? hi - lo : 0;
            }
            double share = (double)covered / (double)(b - a);
            kind = share >= 0.6 ? 1 : share <= 0.2 ? 0 : -1;
        }
        if (kind == run_kind)
            continue;
        if (run_kind >= 0 && (double)(a - run_a) / ch->fs > o->sustained_min &&
            np < MIXED_MAX_PARTS) {
            parts[np].a = run_a;
            parts[np].b = a;
            parts[np].sustained = run_kind;
            have[run_kind] = 1;
            np++;
        }
        run_kind = kind;
        run_a = a;
    }
    return have[0] && have[1] ? np : 0;
}

/* Rule 5: decide each part of the episode with rules 2-4 (its own measures,
 * partner measures and context); when the parts clearly match two or more
 * different spasm rules (confidence >= 0.6 each), the event is "mixed", its
 * rule names the patterns in time order ("5-mixed:cramp+clonic") and its
 * note where each lies.  Returns 1 when mixed (ev filled), 0 when not, < 0
 * on error. */
static int mixed_patterns(emg_label_event *mix, const lab_episode *e, const lab_channel *chs,
                          int c, int p, const ctx_table *ctxt, const emg_label_options *o,
                          sbuf *x, emg_error *err)
{
    const lab_channel *ch = &chs[c];
    mix_part parts[MIXED_MAX_PARTS];
    size_t np = split_episode(parts, e, ch, o);
    if (np == 0) {
        sb_printf(x, "  rule 5 mixed: no (no sustained and burst segments of > %.1f s each)\n",
                  o->sustained_min);
        return 0;
    }
    const char *labels[MIXED_MAX_PARTS];
    size_t n_labels = 0;
    char note[sizeof mix->note] = "", rule[sizeof mix->rule] = "5-mixed:";
    double confidence = 1;
    sbuf px = {NULL, 0, 0, x->on};
    sb_printf(&px, "rule 5 mixed: %zu segments tested on their own:\n", np);
    for (size_t k = 0; k < np; k++) {
        lab_episode part;
        int rc = lab_measure_part(&part, ch, e, parts[k].a, parts[k].b, o, err);
        if (rc < 0) {
            free(px.s);
            return rc;
        }
        double t0 = (double)parts[k].a / ch->fs, t1 = (double)parts[k].b / ch->fs;
        partner_info pi;
        sbuf y = {NULL, 0, 0, x->on};
        decision d;
        decide_span(&d, &pi, &part, chs, c, p, t0, t1, ctxt, o, &y);
        /* Tetany needs its multiplets to recur for tetanic_min (as for a whole event). */
        int clear = spasm_label(d.label) && d.confidence >= MIXED_MIN_CONFIDENCE &&
                    !(strcmp(d.label, "tetanic") == 0 && part.duration < o->tetanic_min);
        sb_printf(&px, "%s segment %.3f-%.3f s: %s (%s, confidence %.2f)%s\n",
                  parts[k].sustained ? "sustained" : "burst", t0, t1, d.label, d.rule,
                  d.confidence, clear ? "" : ": not a clear spasm pattern");
        sb_indent(&px, y.s, "  ");
        free(y.s);
        if (!clear)
            continue;
        int seen = 0;
        for (size_t j = 0; j < n_labels; j++)
            seen |= !strcmp(labels[j], d.label);
        size_t nl = strlen(note);
        snprintf(note + nl, sizeof note - nl, "%s%s %.1f-%.1f s", nl ? "; " : "", d.label, t0,
                 t1);
        if (seen)
            continue;
        size_t rl = strlen(rule);
        snprintf(rule + rl, sizeof rule - rl, "%s%s", n_labels ? "+" : "", d.label);
        labels[n_labels++] = d.label;
        confidence = fmin(confidence, d.confidence);
    }
    if (n_labels < 2) {
        sb_printf(&px, "-> no (%s)\n", n_labels ? "one spasm pattern" : "no clear spasm pattern");
        sb_indent(x, px.s, "  ");
        free(px.s);
        return 0;
    }
    sb_printf(&px, "-> match (%s)\n", rule + 8);
    sb_indent(x, px.s, "  ");
    free(px.s);
    set_str(mix->label, sizeof mix->label, "mixed");
    set_str(mix->rule, sizeof mix->rule, rule);
    set_str(mix->note, sizeof mix->note, note);
    mix->confidence = confidence;
    return 1;
}

/* Does [t0, t1) overlap an ischemic event of the list? */
static int inside_ischemic(const ev_list *l, double t0, double t1)
{
    for (size_t k = 0; k < l->n; k++)
        if (!strcmp(l->ev[k].label, "ischemic") && t0 < l->ev[k].onset + l->ev[k].duration &&
            t1 > l->ev[k].onset)
            return 1;
    return 0;
}

static int label_channel_events(ev_list *l, const emg_header *h, const lab_channel *chs,
                                const int *is_emg, int c, const emg_label_options *o,
                                const ctx_table *ctxt, unsigned *missing, const ev_list *isch,
                                sbuf *unlabelled, emg_error *err)
{
    const lab_channel *ch = &chs[c];
    int p = partner_of(o, c);
    if (p >= 0 && !is_emg[p])
        p = -1;
    for (size_t k = 0; k < ch->n_episodes; k++) {
        const lab_episode *e = &ch->episodes[k];
        double t0 = (double)e->a / ch->fs, t1 = (double)e->b / ch->fs;
        /* Noise: no burst and barely above rest, unless it is low-level
         * activity: over a second with its RMS significantly above rest. */
        int low_level = e->elevated && e->duration > o->sustained_min;
        if (e->n_bursts == 0 && !low_level &&
            !(e->amp_over_rest >= o->min_amp && e->duration >= 0.1)) {
            sb_printf(unlabelled, "%s %.3f-%.3f s:\n  -> no label (no burst, %.1f x rest: "
                                  "noise)\n", h->channels[c].name, t0, t1,
                      e->amp_over_rest);
            continue;
        }
        if (inside_ischemic(isch, t0, t1)) {
            sb_printf(unlabelled, "%s %.3f-%.3f s:\n  -> part of an ischemic event\n",
                      h->channels[c].name, t0, t1);
            continue;
        }
        partner_info pi;
        sbuf x = {NULL, 0, 0, o->explain};
        sb_printf(&x, "%s %.3f-%.3f s:\n", h->channels[c].name, t0, t1);
        decision d;
        emg_context ctx = decide_span(&d, &pi, e, chs, c, p, t0, t1, ctxt, o, &x);
        emg_label_event mix;
        memset(&mix, 0, sizeof mix);
        int mixed = mixed_patterns(&mix, e, chs, c, p, ctxt, o, &x, err);
        if (mixed < 0) {
            free(x.s);
            return mixed;
        }
        if (!mixed && !strcmp(d.label, "none")) {
            sb_printf(&x, "  -> no label (%s)\n", d.rule);
            sb_indent(unlabelled, x.s, "");
            free(x.s);
            continue;
        }
        if (!mixed)
            *missing |= d.missing;
        emg_label_event *ev = ev_push(l, err);
        if (!ev) {
            free(x.s);
            return EMG_ERR_NOMEM;
        }
        ev->onset = t0;
        ev->duration = t1 - t0;
        ev->channel = c;
        ev->partner = p;
        set_str(ev->label, sizeof ev->label, d.label);
        set_str(ev->rule, sizeof ev->rule, d.rule);
        set_str(ev->note, sizeof ev->note, d.note);
        set_str(ev->context, sizeof ev->context, emg_context_name(ctx));
        ev->confidence = d.confidence;
        ev->n_bursts = (int)e->n_bursts;
        ev->burst_duration = e->burst_duration;
        ev->burst_rate = !isnan(e->interval_rate) && e->n_bursts >= 3 ? e->interval_rate
                                                                        : e->burst_rate;
        ev->interval_cv = e->interval_cv;
        ev->cocon = p >= 0 ? pi.cocon : NAN;
        ev->lag = p >= 0 ? pi.lag : NAN;
        ev->mdf = e->mdf;
        ev->amp_over_rest = e->amp_over_rest;
        ev->rise_time = e->rise_time;
        ev->phases = e->max_phases;
        ev->spikes = e->spikes;
        if (mixed) {
            set_str(ev->label, sizeof ev->label, mix.label);
            set_str(ev->rule, sizeof ev->rule, mix.rule);
            set_str(ev->note, sizeof ev->note, mix.note);
            ev->confidence = mix.confidence;
        }
        if (o->explain) {
            sb_printf(&x, "  -> %s (%s)\n", ev->label, ev->rule);
            ev->explain = x.s;
        } else {
            free(x.s);
        }
    }
    return 0;
}

/* A burst with a burst of the partner muscle within sync_window is compound:
 * one motor unit cannot fire in two muscles (the cortical reflex myoclonus
 * of the criteria page drives agonist and antagonist within 10-30 ms). */
static void mark_synchronous(lab_channel *chs, const emg_label_options *o)
{
    for (size_t k = 0; k < o->n_pairs; k++) {
        for (int side = 0; side < 2; side++) {
            lab_channel *c = &chs[o->pairs[k][side]], *p = &chs[o->pairs[k][1 - side]];
            if (!c->n || !p->n)
                continue;
            size_t j = 0;
            for (size_t i = 0; i < c->n_bursts; i++) {
                lab_burst *b = &c->bursts[i];
                if (!b->single)
                    continue;
                double t0 = (double)b->a / c->fs - 0.03, t1 = (double)b->b / c->fs + 0.03;
                while (j < p->n_bursts && (double)p->bursts[j].b / p->fs < t0)
                    j++;
                /* The same potential volume-conducted to the partner's
                 * electrodes (a small fraction of its size over rest) is
                 * crosstalk, not a second muscle. */
                for (size_t q = j; q < p->n_bursts && (double)p->bursts[q].a / p->fs <= t1; q++)
                    if (p->bursts[q].peak / p->noise_rms >=
                        o->crosstalk * (b->peak / c->noise_rms))
                        b->single = 0;
            }
        }
    }
    for (size_t k = 0; k < o->n_pairs; k++)
        for (int side = 0; side < 2; side++)
            lab_recount_singles(&chs[o->pairs[k][side]]);
}

/* Filters over the event list mark the events they drop (label "") and
 * compact_events removes them, saving their explanations. */
static void drop_event(emg_label_event *e, sbuf *unlabelled, const char *why,
                       const emg_header *h, int other)
{
    sb_indent(unlabelled, e->explain, "");
    sb_printf(unlabelled, "  -> %s %s %s\n", e->label, why, h->channels[other].name);
    e->label[0] = '\0';
}

static void compact_events(ev_list *l)
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
static void drop_partner_duplicates(ev_list *l, const emg_label_options *o,
                                    const emg_header *h, sbuf *unlabelled)
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
static void drop_crosstalk(ev_list *l, const emg_label_options *o, const emg_header *h,
                           sbuf *unlabelled)
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
static void merge_across_channels(ev_list *l, const emg_header *h, sbuf *unlabelled)
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

static int recording_fetch(void *source, size_t channel, const double **data, emg_error *err)
{
    (void)err;
    *data = ((const emg_recording *)source)->data[channel];
    return EMG_OK;
}

int emg_label_recording(emg_label_result *out, const emg_recording *rec,
                        const emg_label_options *opts, emg_error *err)
{
    return emg_label_channels(out, &rec->header, recording_fetch, (void *)rec, opts, err);
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

int emg_label_channels(emg_label_result *out, const emg_header *h, emg_label_fetch fetch,
                       void *source, const emg_label_options *opts, emg_error *err)
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
    lab_channel *chs = emg_xcalloc(nc + 1, sizeof *chs, err);
    int *is_emg = emg_xcalloc(nc + 1, sizeof *is_emg, err);
    out->gaps = emg_xcalloc(nc + 1, sizeof *out->gaps, err);
    out->n_channels = out->gaps ? nc : 0;
    for (size_t c = 0; out->gaps && c < nc; c++)
        out->gaps[c].first = -1;
    ev_list list = {NULL, 0, 0}, isch = {NULL, 0, 0};
    lab_work work = {NULL, 0};
    sbuf unlabelled = {NULL, 0, 0, o.explain};
    ctx_table ctxt;
    memset(&ctxt, 0, sizeof ctxt);
    int rc = EMG_ERR_NOMEM;
    if (!chs || !is_emg || !out->gaps)
        goto done;
    emg_context global = o.context != EMG_CONTEXT_NONE ? o.context
                                                       : emg_context_from_annotations(h);
    out->context_used = global;
    if ((rc = ctx_table_build(&ctxt, h, &o, global, err)) < 0)
        goto done;
    int force_c = -1;
    sbuf skipped = {NULL, 0, 0, 1};
    for (size_t c = 0; c < nc; c++) {
        const char *why;
        role r = role_of(h, &o, (int)c, &why);
        is_emg[c] = r == ROLE_EMG && h->channels[c].n_samples > 0;
        if (r == ROLE_FORCE && force_c < 0)
            force_c = (int)c;
        if (why)
            sb_printf(&skipped, "channel '%s' not labelled: %s (--no-auto-roles labels it)\n",
                      h->channels[c].name, why);
    }
    out->not_labelled = skipped.s;
    auto_pairs(&o, h, is_emg);
    for (size_t c = 0; c < nc; c++) {
        if (!is_emg[c])
            continue;
        const emg_channel *ch = &h->channels[c];
        int needle = name_has(ch, "needle") || name_has(ch, "concentric");
        const double *x;
        if ((rc = fetch(source, c, &x, err)) < 0) {
            rc = channel_error(rc, err, ch);
            goto done;
        }
        emg_gap_count_add(&out->gaps[c], x, (size_t)ch->n_samples, 0);
        if ((rc = lab_measure_channel(&chs[c], &work, x, (size_t)ch->n_samples, ch->fs, (int)c,
                                      needle, &o, err)) < 0) {
            rc = channel_error(rc, err, ch);
            goto done;
        }
    }
    mark_synchronous(chs, &o);
    if (force_c >= 0) {
        const double *force;
        if ((rc = fetch(source, (size_t)force_c, &force, err)) < 0)
            goto done;
        emg_gap_count_add(&out->gaps[force_c], force, (size_t)h->channels[force_c].n_samples, 0);
        if ((rc = ischemic_events(&isch, h, force, chs, is_emg, force_c, &o, &ctxt,
                                  &out->missing, err)) < 0)
            goto done;
    } else if (global == EMG_CONTEXT_ISCHEMIA) {
        out->missing |= EMG_LABEL_MISSING_FORCE;
    }
    for (size_t c = 0; c < nc; c++) {
        if (!is_emg[c])
            continue;
        if ((rc = label_channel_events(&list, h, chs, is_emg, (int)c, &o, &ctxt,
                                       &out->missing, &isch, &unlabelled, err)) < 0)
            goto done;
    }
    for (size_t k = 0; k < isch.n; k++) {
        emg_label_event *e = ev_push(&list, err);
        rc = EMG_ERR_NOMEM;
        if (!e)
            goto done;
        *e = isch.ev[k];
        isch.ev[k].explain = NULL;
    }
    if (list.n > 1)
        qsort(list.ev, list.n, sizeof *list.ev, event_cmp);
    if ((rc = group_events(&list, chs, &o, err)) < 0)
        goto done;
    drop_partner_duplicates(&list, &o, h, &unlabelled);
    drop_crosstalk(&list, &o, h, &unlabelled);
    merge_across_channels(&list, h, &unlabelled);
    compact_events(&list);
    /* Fasciculations are sparse (up to ~40 per minute): a run of potentials
     * much denser than fasc_max_rate is the continuous low-level firing of a
     * few units: raised resting activity (strain with an injury), voluntary
     * during movement, else unclassified. */
    for (size_t k = 0; k < list.n; k++) {
        emg_label_event *e = &list.ev[k];
        if (strcmp(e->label, "fasciculation") || e->duration < 5.0 ||
            (double)e->n_bursts / e->duration <= o.fasc_max_rate)
            continue;
        emg_context c = context_over(&ctxt, e->channel, e->onset, e->onset + e->duration);
        set_str(e->label, sizeof e->label,
                c == EMG_CONTEXT_INJURY ? "strain"
                : c == EMG_CONTEXT_MOVEMENT || c == EMG_CONTEXT_EXERCISE ? "voluntary"
                                                                          : "unclassified");
        set_str(e->rule, sizeof e->rule, "2a-too-dense");
        snprintf(e->note, sizeof e->note, "%.1f potentials/s > %.1f: continuous firing",
                 (double)e->n_bursts / e->duration, o.fasc_max_rate);
    }
    /* Tetany needs the multiplets to recur for tetanic_min. */
    for (size_t k = 0; k < list.n; k++) {
        emg_label_event *e = &list.ev[k];
        if (!strcmp(e->label, "tetanic") && e->duration < o.tetanic_min) {
            set_str(e->label, sizeof e->label, "unclassified");
            snprintf(e->note, sizeof e->note, "multiplets for %.0f s < %.0f s", e->duration,
                     o.tetanic_min);
        }
        /* rhythm held the number of merged episodes: report it as such in
         * n_bursts for sparse events (potentials, jerks, multiplets). */
        if (sparse_label(e->label) && e->rhythm > 1 && e->duration > 0)
            e->burst_rate = (double)e->n_bursts / e->duration;
        e->rhythm = NAN;
    }
    if (list.n > 1)
        qsort(list.ev, list.n, sizeof *list.ev, onset_cmp);
    out->events = list.ev;
    out->n_events = list.n;
    list.ev = NULL;
    out->unlabelled = unlabelled.s;
    unlabelled.s = NULL;
    rc = 0;
done:
    if (rc < 0)
        emg_label_result_free(out);
    if (list.ev) {
        for (size_t k = 0; k < list.n; k++)
            free(list.ev[k].explain);
        free(list.ev);
    }
    for (size_t k = 0; k < isch.n; k++)
        free(isch.ev[k].explain);
    free(isch.ev);
    if (chs)
        for (size_t c = 0; c < nc; c++)
            lab_channel_free(&chs[c]);
    free(chs);
    free(is_emg);
    lab_work_free(&work);
    ctx_table_free(&ctxt);
    free(unlabelled.s);
    return rc;
}
