/* synth_scene.c: compiles a scenario into a scene of drive and ground-truth events.
 *
 * Compilation walks the timeline once with the scene's generator and turns
 * every line into drive for the channels' motor-unit pools: rate segments
 * (an excitation envelope that the pool turns into asynchronous discharges
 * by rate coding, Fuglevand et al. 1993) and bursts (synchronised discharges
 * of many units, or single units and multiplets), plus the ground-truth
 * event rows.  The numbers of each spasm type come from
 * docs/spasm-criteria.md (cramp: Norris et al. 1957, Minetto et al. 2013;
 * clonus: Beres-Jones et al. 2003, Wallace et al. 2005; myoclonus: Shibasaki
 * & Hallett 2005; tetany: Kugelberg 1948; fasciculation: Mills 2010; dystonia:
 * Farmer et al. 1998, Cohen & Hallett 1988; ataxia: Hallett et al. 1975).
 *
 * The scene also owns the channels (pools, nuisance parameters, ADC
 * calibration), the header with the events as annotations, and the event
 * and burst tables.  synth_stream.c plays the scene into samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emgkit/emgkit.h"
#include "emgkit/table.h"
#include "io_internal.h"
#include "synth_internal.h"

/* ------------------------------------------------------------------ helpers */

/* A parameter drawn from the line's value or range, else from the default range. */
static double draw(emg_synth *s, const synth_line *l, const char *key, double lo, double hi)
{
    const synth_param *p = synth_line_param(l, key);
    if (p && p->numeric) {
        lo = p->value.lo;
        hi = p->value.hi;
    }
    return lo == hi ? lo : emg_rng_range(&s->rng, lo, hi);
}

/* The range a per-burst quantity is drawn from. */
static void range_of(const synth_line *l, const char *key, double *lo, double *hi)
{
    const synth_param *p = synth_line_param(l, key);
    if (p && p->numeric) {
        *lo = p->value.lo;
        *hi = p->value.hi;
    }
}


/* Builders add segments and bursts without checking each call: a failure is
 * remembered and reported when the line is done (run_lines). */
static int add_seg(emg_synth *s, int c, const rate_seg *seg)
{
    channel *ch = &s->ch[c];
    if (emgi_grow((void **)&ch->segs, &ch->cap_segs, ch->n_segs + 1, sizeof *seg, s->err) < 0) {
        s->out_of_memory = 1;
        return EMG_ERR_NOMEM;
    }
    ch->segs[ch->n_segs++] = *seg;
    return 0;
}

static int add_burst(emg_synth *s, int c, burst b, int event)
{
    b.event = event;
    channel *ch = &s->ch[c];
    if (emgi_grow((void **)&ch->bursts, &ch->cap_bursts, ch->n_bursts + 1, sizeof b, s->err) < 0) {
        s->out_of_memory = 1;
        return EMG_ERR_NOMEM;
    }
    b.order = s->burst_order++;
    ch->bursts[ch->n_bursts++] = b;
    return 0;
}

static burst make_burst(double t, double width, double intensity, int unit, int spikes,
                        double interval, double p_fire)
{
    burst b;
    memset(&b, 0, sizeof b);
    b.t = t;
    b.width = width;
    b.intensity = intensity;
    b.unit = unit;
    b.spikes = spikes;
    b.interval = interval;
    b.p_fire = p_fire;
    b.event = -1;
    return b;
}

static rate_seg seg_default(double t0, double t1, double level, int event)
{
    rate_seg g;
    memset(&g, 0, sizeof g);
    g.t0 = t0;
    g.t1 = t1;
    g.level = level;
    g.mode = MODE_VOLUNTARY;
    g.isi_cv = 0.2;
    g.cv_scale = 1.0;
    g.ramp_on = g.ramp_off = fmin(0.2, 0.25 * (t1 - t0));
    g.event = event;
    return g;
}

/* Slow random waxing and waning: three sinusoids of 0.05-0.5 Hz. */
static void seg_wax(emg_synth *s, rate_seg *g, double depth)
{
    g->wax_depth = depth;
    for (int k = 0; k < 3; k++) {
        g->wax_hz[k] = emg_rng_range(&s->rng, 0.05, 0.5);
        g->wax_phase[k] = emg_rng_range(&s->rng, 0.0, 2.0 * PI);
    }
}


/* ------------------------------------------------------------------ events */

static int new_event(emg_synth *s, const char *label, emg_event_kind kind, double onset,
                     double duration, int channel, const char *context)
{
    if (emgi_grow((void **)&s->ev, &s->cap_ev, s->n_ev + 1, sizeof *s->ev, s->err) < 0)
        return EMG_ERR_NOMEM;
    event_stats *st = emgi_xrealloc(s->st, s->cap_ev, sizeof *st, s->err);
    if (!st)
        return EMG_ERR_NOMEM;
    s->st = st;
    emg_synth_event *e = &s->ev[s->n_ev];
    memset(e, 0, sizeof *e);
    memset(&s->st[s->n_ev], 0, sizeof *s->st);
    e->onset = onset;
    e->duration = duration;
    e->channel = channel;
    emgi_strlcpy(e->label, label, sizeof e->label);
    e->kind = kind;
    emgi_strlcpy(e->context, context, sizeof e->context);
    e->level = e->rate_hz = e->rate_min_hz = e->rate_max_hz = e->cv = NAN;
    e->burst_ms = e->burst_min_ms = e->burst_max_ms = e->amplitude_mv = NAN;
    e->conduction_mps = e->cv_decline = NAN;
    e->count = -1;
    if (channel >= 0) {
        emgi_strlcpy(e->channels, s->hdr.channels[channel].name, sizeof e->channels);
        if (s->ch[channel].is_emg)
            e->conduction_mps = s->ch[channel].cv0;
    }
    return (int)s->n_ev++;
}

static void event_add_channel(emg_synth *s, int ev, int c)
{
    emg_synth_event *e = &s->ev[ev];
    const char *name = s->hdr.channels[c].name;
    size_t len = strlen(e->channels);
    if (len + strlen(name) + 2 >= sizeof e->channels)
        return;
    if (len)
        strcat(e->channels, ",");
    strcat(e->channels, name);
}

/* Largest amplitude among the units recruited at excitation e. */
static double pool_amplitude(const channel *ch, double e)
{
    double a = 0.0;
    for (int i = 0; i < ch->pool.params.n_units; i++)
        if (ch->pool.units[i].threshold <= e && ch->pool.units[i].amplitude > a)
            a = ch->pool.units[i].amplitude;
    return a;
}

/* Longest potential among the units recruited at excitation e, s. */
static double pool_duration(const channel *ch, double e)
{
    double d = 0.0;
    for (int i = 0; i < ch->pool.params.n_units; i++)
        if (ch->pool.units[i].threshold <= e && ch->tpl_dur[i] > d)
            d = ch->tpl_dur[i];
    return d;
}

/* Rate, interval CV and burst widths of a burst train, into the event row. */
static void burst_stats(emg_synth *s, int ev, const double *times, const double *widths, size_t n)
{
    emg_synth_event *e = &s->ev[ev];
    e->count = (long)n;
    if (n == 0)
        return;
    double wsum = 0, wmin = INFINITY, wmax = 0;
    for (size_t k = 0; k < n; k++) {
        wsum += widths[k];
        wmin = fmin(wmin, widths[k]);
        wmax = fmax(wmax, widths[k]);
    }
    e->burst_ms = 1000.0 * wsum / n;
    e->burst_min_ms = 1000.0 * wmin;
    e->burst_max_ms = 1000.0 * wmax;
    if (n < 2)
        return;
    double sum = 0, sum2 = 0, imin = INFINITY, imax = 0;
    for (size_t k = 1; k < n; k++) {
        double d = times[k] - times[k - 1];
        sum += d;
        sum2 += d * d;
        imin = fmin(imin, d);
        imax = fmax(imax, d);
    }
    double m = sum / (n - 1), var = sum2 / (n - 1) - m * m;
    e->rate_hz = 1.0 / m;
    e->rate_min_hz = 1.0 / imax;
    e->rate_max_hz = 1.0 / imin;
    e->cv = sqrt(var > 0 ? var : 0) / m;
}

/* --------------------------------------------------------- channel lookup */

static int role_channel(const emg_synth *s, synth_role role)
{
    for (size_t c = 0; c < s->n_ch; c++)
        if (s->ch[c].role == role)
            return (int)c;
    return -1;
}

static int target_channel(emg_synth *s, const synth_line *l, int *out)
{
    const synth_param *p = synth_line_param(l, "ch");
    if (!p) {
        *out = s->agonist;
        return 0;
    }
    int c = emg_header_find_channel(&s->hdr, p->text);
    for (int r = 0; c < 0 && r < N_ROLES; r++)
        if (!strcmp(p->text, synth_role_name((synth_role)r)))
            c = role_channel(s, (synth_role)r);
    if (c < 0 || !s->ch[c].is_emg)
        return emg_error_set(s->err, EMG_ERR_FORMAT, "%s:%d: ch=%s names no EMG channel",
                             s->sc->source, l->line_no, p->text);
    *out = c;
    return 0;
}

/* The antagonist of channel c: the scenario's antagonist unless c is it. */
static int partner_of(const emg_synth *s, int c)
{
    if (s->antagonist >= 0 && s->antagonist != c)
        return s->antagonist;
    if (c == s->antagonist && s->agonist >= 0 && s->agonist != c)
        return s->agonist;
    return -1;
}

/* ---------------------------------------------------------- type builders */

typedef struct ctx {
    const synth_line *line;
    double t, dur;       /* timeline slot */
    int c;               /* target channel */
    const char *context;
} ctx;

static void neighbours_follow(emg_synth *s, const ctx *x, const rate_seg *g, double fraction,
                              int ev)
{
    for (size_t n = 0; n < s->n_ch; n++)
        if (s->ch[n].role == ROLE_NEIGHBOUR && (int)n != x->c && fraction > 0.0) {
            rate_seg h = *g;
            h.level *= fraction;
            h.base *= fraction;
            h.event = -1;
            add_seg(s, (int)n, &h);
            event_add_channel(s, ev, (int)n);
        }
}

static int build_rest(emg_synth *s, const ctx *x)
{
    int ev = new_event(s, "rest", EMG_EVENT_NEGATIVE, x->t, x->dur, -1, x->context);
    return ev < 0 ? ev : 0;
}

static int build_voluntary(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    double level = draw(s, l, "level", 0.1, 0.5);
    double fatigue = clampd(draw(s, l, "fatigue", 0.0, 0.0), 0.0, 1.0 - CV_FLOOR);
    double drive = draw(s, l, "drive", fatigue, fatigue);
    double ramp = draw(s, l, "ramp", 0.2 * x->dur, 0.4 * x->dur);
    int ev = new_event(s, "voluntary", EMG_EVENT_NEGATIVE, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    rate_seg g = seg_default(x->t, x->t + x->dur, level, ev);
    g.ramp_on = g.ramp_off = fmin(ramp, 0.5 * x->dur);
    g.fatigue = fatigue;
    g.drift = drive;
    seg_wax(s, &g, 0.05);
    add_seg(s, x->c, &g);
    int a = partner_of(s, x->c);
    if (a >= 0) {
        rate_seg h = g;
        h.level = level * draw(s, l, "cocontraction", 0.05, 0.2);
        h.event = -1;
        h.fatigue = 0.0;
        add_seg(s, a, &h);
        event_add_channel(s, ev, a);
    }
    neighbours_follow(s, x, &g, emg_rng_range(&s->rng, 0.3, 0.6), ev);
    s->ev[ev].level = level * (1.0 + drive);
    s->ev[ev].cv_decline = fatigue;
    s->ev[ev].amplitude_mv = pool_amplitude(&s->ch[x->c], level * (1.0 + drive));
    if (fatigue > 0.0)
        snprintf(s->ev[ev].detail, sizeof s->ev[ev].detail, "sustained, fatiguing");
    return 0;
}

static int build_tonic_or_strain(emg_synth *s, const ctx *x, int tonic)
{
    const synth_line *l = x->line;
    double level = tonic ? draw(s, l, "level", 0.2, 0.5) : draw(s, l, "level", 0.03, 0.08);
    int ev = new_event(s, tonic ? "tonic" : "strain", EMG_EVENT_SPASM, x->t, x->dur, x->c,
                       x->context);
    if (ev < 0)
        return ev;
    rate_seg g = seg_default(x->t, x->t + x->dur, level, ev);
    double ramp = tonic ? draw(s, l, "ramp", 1.0, 3.0) : emg_rng_range(&s->rng, 2.0, 5.0);
    g.ramp_on = fmin(ramp, 0.3 * x->dur);
    g.ramp_off = fmin(emg_rng_range(&s->rng, 1.0, 3.0), 0.3 * x->dur);
    seg_wax(s, &g, tonic ? 0.05 : 0.15);
    add_seg(s, x->c, &g);
    int a = partner_of(s, x->c);
    if (a >= 0 && tonic) {
        rate_seg h = g;
        h.level = level * emg_rng_range(&s->rng, 0.05, 0.15);
        h.event = -1;
        add_seg(s, a, &h);
    }
    if (tonic)
        neighbours_follow(s, x, &g, draw(s, l, "spread", 0.0, 0.6), ev);
    s->ev[ev].level = level;
    s->ev[ev].amplitude_mv = pool_amplitude(&s->ch[x->c], level);
    return 0;
}

static int build_cramp(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    double level = draw(s, l, "level", 0.4, 0.8);
    double prodrome = draw(s, l, "prodrome", 0.0, 0.0);
    double t = x->t, dur = x->dur;
    if (prodrome > 0.0) {
        prodrome = fmin(prodrome, dur);
        int pv = new_event(s, "prodrome", EMG_EVENT_NEGATIVE, t, prodrome, x->c, x->context);
        if (pv < 0)
            return pv;
        /* Before a nocturnal cramp the calf envelope rises ~2-5x over ~40 s:
         * from the first unit's threshold to twice it. */
        double thr = s->ch[x->c].pool.units[0].threshold;
        rate_seg g = seg_default(t, t + prodrome, thr * emg_rng_range(&s->rng, 1.6, 2.4), pv);
        g.base = thr * 0.9;
        g.ramp_on = prodrome;
        g.ramp_off = 0.0;
        add_seg(s, x->c, &g);
        s->ev[pv].level = g.level;
        t += prodrome;
        dur -= prodrome;
    }
    if (dur <= 0.0)
        return 0;
    int ev = new_event(s, "cramp", EMG_EVENT_SPASM, t, dur, x->c, x->context);
    if (ev < 0)
        return ev;
    rate_seg g = seg_default(t, t + dur, level, ev);
    g.mode = MODE_CRAMP;
    g.ramp_on = fmin(draw(s, l, "ramp", 0.1, 0.4), 0.3 * dur);  /* abrupt onset */
    g.ramp_off = fmin(emg_rng_range(&s->rng, 1.0, 3.0), 0.3 * dur); /* ends by itself */
    g.isi_cv = draw(s, l, "cv", 0.45, 0.45);
    g.doublets = draw(s, l, "doublets", 0.04, 0.04);
    g.rate_mean = clampd(draw(s, l, "rate", 14.5, 14.5), 6.0, 25.0);
    seg_wax(s, &g, emg_rng_range(&s->rng, 0.2, 0.4)); /* waxing and waning */
    add_seg(s, x->c, &g);
    emg_synth_event *e = &s->ev[ev];
    e->level = level;
    e->amplitude_mv = pool_amplitude(&s->ch[x->c], level);
    snprintf(e->detail, sizeof e->detail, "doublets=%.3g%s%s", g.doublets,
             prodrome > 0.0 ? " prodrome" : "", !strcmp(x->context, "sleep") ? " nocturnal" : "");
    return 0;
}

static int build_dystonic(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    double level = draw(s, l, "level", 0.2, 0.4);
    double f = draw(s, l, "rate", 4.0, 7.0), depth = draw(s, l, "depth", 0.3, 0.6);
    int ev = new_event(s, "dystonic", EMG_EVENT_SPASM, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    rate_seg g = seg_default(x->t, x->t + x->dur, level, ev);
    g.ramp_on = fmin(emg_rng_range(&s->rng, 0.2, 0.5), 0.3 * x->dur);
    g.ramp_off = fmin(emg_rng_range(&s->rng, 0.5, 1.0), 0.3 * x->dur); /* relaxation delayed */
    g.mod_hz = f;
    g.mod_depth = depth;
    g.mod_phase = emg_rng_range(&s->rng, 0, 2 * PI);
    /* Low median frequency: a 70 Hz cut-off separated dystonia with ~73% sensitivity
     * (criteria page); 45-65% of the resting velocity puts most MDFs below it. */
    g.cv_scale = emg_rng_range(&s->rng, 0.45, 0.65);
    add_seg(s, x->c, &g);
    int a = partner_of(s, x->c);
    if (a >= 0) { /* co-contraction with the same 4-7 Hz common drive */
        rate_seg h = g;
        h.level = level * emg_rng_range(&s->rng, 0.7, 1.0);
        h.event = -1;
        add_seg(s, a, &h);
        event_add_channel(s, ev, a);
    }
    neighbours_follow(s, x, &g, draw(s, l, "spread", 0.3, 0.6), ev);
    /* 50-200 ms bursts on top, at some peaks of the common drive, in both muscles. */
    double wlo = 50, whi = 200;
    range_of(l, "burst", &wlo, &whi);
    wlo /= 1000.0;
    whi /= 1000.0;
    double times[4096], widths[4096];
    size_t n = 0;
    double first_peak = x->t + fmod((0.25 - g.mod_phase / (2 * PI)) / f + 10.0 / f, 1.0 / f);
    for (double tp = first_peak; tp < x->t + x->dur - whi && n < 4096; tp += 1.0 / f) {
        if (tp - x->t < g.ramp_on || emg_rng_uniform(&s->rng) > 0.4)
            continue;
        double w = emg_rng_range(&s->rng, wlo, whi);
        burst b = make_burst(tp - 0.5 * w, w, fmin(1.0, 1.5 * level), -1, (int)ceil(w * 30.0),
                   1.0 / 30.0, 0.7);
        add_burst(s, x->c, b, ev);
        if (a >= 0)
            add_burst(s, a, b, ev);
        times[n] = b.t;
        widths[n++] = w;
    }
    burst_stats(s, ev, times, widths, n);
    emg_synth_event *e = &s->ev[ev];
    e->rate_hz = e->rate_min_hz = e->rate_max_hz = f; /* the common drive */
    e->cv = 0.0;
    e->level = level;
    e->amplitude_mv = pool_amplitude(&s->ch[x->c], fmin(1.0, 1.5 * level));
    e->conduction_mps = s->ch[x->c].cv0 * g.cv_scale;
    snprintf(e->detail, sizeof e->detail, "cocontraction modulation=%.2g", depth);
    return 0;
}

static int build_ischemic(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    if (s->force_ch < 0)
        return emg_error_set(s->err, EMG_ERR_FORMAT,
                             "%s:%d: ischemic needs a force channel (contracture is electrically "
                             "silent): add 'channel force NAME'", s->sc->source, l->line_no);
    double force = draw(s, l, "force", 5.0, 30.0);
    double ramp = fmin(draw(s, l, "ramp", 2.0, 8.0), 0.4 * x->dur);
    int ev = new_event(s, "ischemic", EMG_EVENT_SPASM, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    event_add_channel(s, ev, s->force_ch);
    channel *fc = &s->ch[s->force_ch];
    if (emgi_grow((void **)&fc->fsegs, &fc->cap_fsegs, fc->n_fsegs + 1, sizeof *fc->fsegs, s->err) < 0)
        return EMG_ERR_NOMEM;
    fc->fsegs[fc->n_fsegs++] = (force_seg){x->t, x->t + x->dur, ramp, force};
    s->ev[ev].level = force;
    snprintf(s->ev[ev].detail, sizeof s->ev[ev].detail, "force_pct_mvc=%.3g emg=silent", force);
    return 0;
}

/* Regular or irregular burst trains: clonic, tremor, ataxic.  alternate: the
 * antagonist bursts a fraction of a cycle later (reciprocal). */
typedef struct train_spec {
    const char *label;
    emg_event_kind kind;
    double rate_lo, rate_hi, w_lo, w_hi, cv_lo, cv_hi, level_lo, level_hi;
    double lag_lo, lag_hi, antag_gain, p_fire, unit_rate, background;
    int build_up, min_bursts;
} train_spec;

static int build_train(emg_synth *s, const ctx *x, const train_spec *sp)
{
    const synth_line *l = x->line;
    double f = draw(s, l, "rate", sp->rate_lo, sp->rate_hi);
    double cv = draw(s, l, "cv", sp->cv_lo, sp->cv_hi);
    double level = draw(s, l, "level", sp->level_lo, sp->level_hi);
    double wlo = sp->w_lo, whi = sp->w_hi;
    range_of(l, "burst", &wlo, &whi);
    wlo /= 1000.0;
    whi /= 1000.0;
    int reciprocal = (int)draw(s, l, "reciprocal", 1, 1);
    int a = reciprocal ? partner_of(s, x->c) : -1;
    int ev = new_event(s, sp->label, sp->kind, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    if (a >= 0)
        event_add_channel(s, ev, a);
    size_t cap = (size_t)(x->dur * f * 2.0) + 16, n = 0;
    double *times = malloc(cap * sizeof *times), *widths = malloc(cap * sizeof *widths);
    if (!times || !widths) {
        free(times);
        free(widths);
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    }
    double t = x->t, end = x->t + x->dur, wmax_unit = pool_duration(&s->ch[x->c], level);
    double amp = 0.0;
    for (;;) {
        double w = emg_rng_range(&s->rng, wlo, whi);
        if (n >= cap || (t + w > end && (int)n >= sp->min_bursts))
            break;
        double gain = sp->build_up ? fmin(1.0, 0.4 + 0.2 * (double)n) : 1.0;
        double inten = clampd(level * gain * emg_rng_range(&s->rng, 0.8, 1.2), 0.0, 1.0);
        int spikes = sp->unit_rate > 0 ? (int)fmax(1.0, floor(w * sp->unit_rate)) : 1;
        double ivl = sp->unit_rate > 0 ? 1.0 / sp->unit_rate : 0.0;
        burst b = make_burst(t, w, inten, -1, spikes, ivl, sp->p_fire);
        add_burst(s, x->c, b, ev);
        amp = fmax(amp, pool_amplitude(&s->ch[x->c], inten));
        times[n] = t;
        widths[n++] = fmax(w, fmin(wmax_unit, pool_duration(&s->ch[x->c], inten)));
        if (a >= 0) {
            burst c2 = b;
            c2.t = t + emg_rng_range(&s->rng, sp->lag_lo, sp->lag_hi) / f;
            c2.intensity = inten * sp->antag_gain;
            if (sp->w_lo >= 150) /* ataxic: antagonist bursts prolonged too */
                c2.width = emg_rng_range(&s->rng, wlo, whi);
            add_burst(s, a, c2, ev);
        }
        double period = 1.0 / f * (1.0 + cv * emg_rng_normal(&s->rng));
        t += fmax(period, w + 0.02);
    }
    if (sp->background > 0.0) {
        rate_seg g = seg_default(x->t, times[n - 1] + widths[n - 1], level * sp->background, -1);
        add_seg(s, x->c, &g);
    }
    burst_stats(s, ev, times, widths, n);
    emg_synth_event *e = &s->ev[ev];
    e->duration = times[n - 1] + widths[n - 1] - x->t;
    e->level = level;
    e->amplitude_mv = amp;
    if (a >= 0)
        snprintf(e->detail, sizeof e->detail, "reciprocal");
    free(times);
    free(widths);
    return 0;
}

static int build_clonic(emg_synth *s, const ctx *x)
{
    /* 3.8-8 Hz (SCI 4.7-7 Hz), bursts 50-100 ms, each unit fires once per beat. */
    static const train_spec sp = {"clonic", EMG_EVENT_SPASM, 4.5, 7.0, 50, 100, 0.03, 0.10,
                                  0.3, 0.7, 0.4, 0.6, 0.5, 0.85, 0.0, 0.0, 0, 3};
    return build_train(s, x, &sp);
}

static int build_tremor(emg_synth *s, const ctx *x)
{
    /* Physiological tremor 8-12 Hz: grouped discharges on a weak background. */
    static const train_spec sp = {"tremor", EMG_EVENT_NEGATIVE, 8.5, 11.5, 30, 60, 0.04, 0.08,
                                  0.05, 0.2, 0.4, 0.6, 0.7, 0.6, 0.0, 0.3, 0, 3};
    size_t ev = s->n_ev;
    int rc = build_train(s, x, &sp);
    /* Orthostatic tremor (13-18 Hz, on standing) is a negative too; say which. */
    if (rc == 0 && ev < s->n_ev) {
        emg_synth_event *e = &s->ev[ev];
        const char *kind = e->rate_hz > 12.5 ? "orthostatic" : "physiological";
        char detail[2 * sizeof e->detail];
        snprintf(detail, sizeof detail, "%s%s%s", kind, e->detail[0] ? " " : "", e->detail);
        emgi_strlcpy(e->detail, detail, sizeof e->detail);
    }
    return rc;
}

static int build_ataxic(emg_synth *s, const ctx *x)
{
    /* 2-5 Hz, mistimed alternation, bursts 150-250 ms, agonist builds up. */
    static const train_spec sp = {"ataxic", EMG_EVENT_SPASM, 2.0, 5.0, 150, 250, 0.2, 0.35,
                                  0.2, 0.5, 0.35, 0.75, 0.8, 0.8, 30.0, 0.0, 1, 3};
    return build_train(s, x, &sp);
}

static int build_myoclonic(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    static const char *const ORIGINS[] = {"cortical", "subcortical", "brainstem"};
    static const double W[3][2] = {{10, 45}, {45, 100}, {100, 250}};
    const synth_param *op = synth_line_param(l, "origin");
    int origin = -1;
    for (int k = 0; k < 3; k++)
        if (op && !strcmp(op->text, ORIGINS[k]))
            origin = k;
    if (op && origin < 0)
        return emg_error_set(s->err, EMG_ERR_FORMAT,
                             "%s:%d: origin=%s (cortical, subcortical or brainstem)",
                             s->sc->source, l->line_no, op->text);
    if (origin < 0)
        origin = (int)(emg_rng_uniform(&s->rng) * 3.0);
    double wlo = W[origin][0], whi = W[origin][1];
    range_of(l, "burst", &wlo, &whi);
    wlo /= 1000.0;
    whi /= 1000.0;
    double rate = draw(s, l, "rate", 0.3, 1.5);
    double level = draw(s, l, "level", 0.5, 1.0);
    int a = partner_of(s, x->c);
    int ev = new_event(s, "myoclonic", EMG_EVENT_SPASM, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    if (a >= 0)
        event_add_channel(s, ev, a);
    size_t cap = (size_t)(x->dur * rate * 4.0) + 16, n = 0;
    double *times = malloc(cap * sizeof *times), *widths = malloc(cap * sizeof *widths);
    if (!times || !widths) {
        free(times);
        free(widths);
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    }
    /* Arrhythmic: exponential intervals, at least 0.25 s apart. */
    double t = x->t + emg_rng_range(&s->rng, 0.0, 0.5), amp = 0;
    while (n < cap) {
        double w = emg_rng_range(&s->rng, wlo, whi);
        if (t + w > x->t + x->dur)
            break;
        double inten = clampd(level * emg_rng_range(&s->rng, 0.7, 1.0), 0.0, 1.0);
        int spikes = w > 0.05 ? (int)floor(w * 50.0) : 1;
        burst b = make_burst(t, w, inten, -1, spikes, 0.02, 0.9);
        add_burst(s, x->c, b, ev);
        if (a >= 0) { /* agonist and antagonist together within 10-30 ms */
            burst c2 = b;
            c2.t = t + emg_rng_range(&s->rng, 0.0, 0.03);
            c2.intensity = inten * 0.6;
            add_burst(s, a, c2, ev);
        }
        amp = fmax(amp, pool_amplitude(&s->ch[x->c], inten));
        times[n] = t;
        widths[n++] = fmax(w, pool_duration(&s->ch[x->c], inten));
        t += w + 0.25 - synth_log(1.0 - emg_rng_uniform(&s->rng)) / rate;
    }
    burst_stats(s, ev, times, widths, n);
    emg_synth_event *e = &s->ev[ev];
    if (n > 0)
        e->duration = times[n - 1] + widths[n - 1] - e->onset;
    e->level = level;
    e->amplitude_mv = amp;
    snprintf(e->detail, sizeof e->detail, "origin=%s", ORIGINS[origin]);
    free(times);
    free(widths);
    return 0;
}

/* Units a spontaneous discharge picks: ones the electrode sees clearly (a
 * needle at 0.1-1.5 mV, the criteria page's range; a surface pair at least 5x
 * the noise), so that the ground truth lists potentials that are there. */
static int pick_units(emg_synth *s, int c, int k, int *units)
{
    const channel *ch = &s->ch[c];
    int n = ch->pool.params.n_units, cand[2000], nc = 0;
    for (int i = 0; i < n; i++) {
        double amp = ch->pool.units[i].amplitude;
        int ok = ch->electrode == EMG_ELECTRODE_NEEDLE ? (amp >= 0.1 && amp <= 1.5)
                                                       : amp >= 5.0 * ch->noise_sd;
        if (ok)
            cand[nc++] = i;
    }
    if (nc == 0) { /* none clear of the noise: the largest third */
        int best[2000];
        for (int i = 0; i < n; i++)
            best[i] = i;
        for (int i = 0; i < n / 3 + 1; i++) /* partial selection sort by amplitude */
            for (int j = i + 1; j < n; j++)
                if (ch->pool.units[best[j]].amplitude > ch->pool.units[best[i]].amplitude) {
                    int t = best[i];
                    best[i] = best[j];
                    best[j] = t;
                }
        for (int i = 0; i < n / 3 + 1; i++)
            cand[nc++] = best[i];
    }
    for (int j = 0; j < k; j++)
        units[j] = cand[(int)(emg_rng_uniform(&s->rng) * nc)];
    return k;
}

static int build_fasciculation(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    double per_min = draw(s, l, "rate", 5.0, 40.0);
    int k = (int)lround(draw(s, l, "units", 1, 3));
    int units[16];
    k = k < 1 ? 1 : k > 16 ? 16 : k;
    pick_units(s, x->c, k, units);
    int ev = new_event(s, "fasciculation", EMG_EVENT_SPASM, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    channel *ch = &s->ch[x->c];
    size_t cap = (size_t)(x->dur * per_min / 60.0 * 4.0) + 16, n = 0;
    double *times = malloc(cap * sizeof *times), *widths = malloc(cap * sizeof *widths);
    if (!times || !widths) {
        free(times);
        free(widths);
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    }
    double t = x->t - synth_log(1.0 - emg_rng_uniform(&s->rng)) * 60.0 / per_min, amp = 0;
    while (n < cap && t < x->t + x->dur - 0.05) {
        int u = units[(int)(emg_rng_uniform(&s->rng) * k)];
        burst b = make_burst(t, ch->tpl_dur[u], 1.0, u, 1, 0.0, 1.0);
        add_burst(s, x->c, b, ev);
        times[n] = t;
        widths[n++] = ch->tpl_dur[u];
        amp = fmax(amp, ch->pool.units[u].amplitude);
        /* Random (Poisson) timing, no two potentials closer than 50 ms. */
        t += 0.05 - synth_log(1.0 - emg_rng_uniform(&s->rng)) * 60.0 / per_min;
    }
    burst_stats(s, ev, times, widths, n);
    emg_synth_event *e = &s->ev[ev];
    e->rate_hz = n / x->dur;
    e->amplitude_mv = amp;
    snprintf(e->detail, sizeof e->detail, "units=%d per_minute=%.3g", k, 60.0 * n / x->dur);
    free(times);
    free(widths);
    return 0;
}

static int build_tetanic(emg_synth *s, const ctx *x)
{
    const synth_line *l = x->line;
    double rate = draw(s, l, "rate", 1.0, 4.0), cv0 = draw(s, l, "cv", 0.4, 0.6);
    double slo = 4, shi = 8, ilo = 4, ihi = 12;
    range_of(l, "spikes", &slo, &shi);
    range_of(l, "isi", &ilo, &ihi);
    int k = (int)lround(draw(s, l, "units", 1, 3)), units[16];
    k = k < 1 ? 1 : k > 16 ? 16 : k;
    pick_units(s, x->c, k, units);
    int ev = new_event(s, "tetanic", EMG_EVENT_SPASM, x->t, x->dur, x->c, x->context);
    if (ev < 0)
        return ev;
    channel *ch = &s->ch[x->c];
    size_t cap = (size_t)(x->dur * rate * 3.0) + 16, n = 0;
    double *times = malloc(cap * sizeof *times), *widths = malloc(cap * sizeof *widths);
    if (!times || !widths) {
        free(times);
        free(widths);
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    }
    double t = x->t + emg_rng_range(&s->rng, 0.0, 1.0 / rate), amp = 0, spk = 0;
    while (n < cap) {
        int u = units[(int)(emg_rng_uniform(&s->rng) * k)];
        int spikes = (int)lround(emg_rng_range(&s->rng, slo, shi));
        double isi = emg_rng_range(&s->rng, ilo, ihi) / 1000.0;
        double w = (spikes - 1) * isi + ch->tpl_dur[u];
        if (t + w > x->t + x->dur)
            break;
        burst b = make_burst(t, w, 1.0, u, spikes, isi, 1.0);
        add_burst(s, x->c, b, ev);
        times[n] = t;
        widths[n++] = w;
        spk += spikes;
        amp = fmax(amp, ch->pool.units[u].amplitude);
        /* Multiplets tend to become rhythmic: the interval CV falls to a fifth. */
        double prog = (t - x->t) / x->dur, cv = cv0 * (1.0 - 0.8 * prog);
        t += fmax(w + 0.02, 1.0 / rate * (1.0 + cv * emg_rng_normal(&s->rng)));
    }
    burst_stats(s, ev, times, widths, n);
    emg_synth_event *e = &s->ev[ev];
    e->amplitude_mv = amp;
    snprintf(e->detail, sizeof e->detail, "multiplets spikes_mean=%.3g units=%d",
             n ? spk / n : 0.0, k);
    free(times);
    free(widths);
    return 0;
}

/* A motion artefact on every EMG channel and the accelerometer. */
static int add_artefact(emg_synth *s, double t, double dur, double amp_mv, const char *context,
                        int row)
{
    int ev = -1;
    if (row) {
        ev = new_event(s, "artefact", EMG_EVENT_NUISANCE, t, dur, -1, context);
        if (ev < 0)
            return ev;
        s->ev[ev].amplitude_mv = amp_mv;
    }
    double hz = emg_rng_range(&s->rng, 1.0, 2.5) / dur;
    for (size_t c = 0; c < s->n_ch; c++) {
        if (!s->ch[c].is_emg && s->ch[c].role != ROLE_ACCEL)
            continue;
        double a = s->ch[c].is_emg ? amp_mv * emg_rng_range(&s->rng, 0.4, 1.0)
                                   : emg_rng_range(&s->rng, 0.2, 1.0); /* g */
        burst b = make_burst(t, dur, a, -1, 0, hz, 0.0);
        b.artefact = 1;
        b.phase = emg_rng_range(&s->rng, 0, 2 * PI);
        if (add_burst(s, (int)c, b, ev) < 0)
            return EMG_ERR_NOMEM;
    }
    return 0;
}

static int build_artefact(emg_synth *s, const ctx *x)
{
    double amp = draw(s, x->line, "amplitude", 0.2, 2.0);
    return add_artefact(s, x->t, fmax(x->dur, 0.02), amp, x->context, 1);
}

/* --------------------------------------------------------- the timeline */

static int build_line(emg_synth *s, const synth_line *l, double t, double dur)
{
    ctx x = {l, t, dur, 0, s->sc->context};
    const synth_param *cp = synth_line_param(l, "context");
    if (cp)
        x.context = cp->text;
    int rc = target_channel(s, l, &x.c);
    if (rc < 0)
        return rc;
    switch (l->type) {
    case SYNTH_REST: return build_rest(s, &x);
    case SYNTH_VOLUNTARY: return build_voluntary(s, &x);
    case SYNTH_TREMOR: return build_tremor(s, &x);
    case SYNTH_CRAMP: return build_cramp(s, &x);
    case SYNTH_FASCICULATION: return build_fasciculation(s, &x);
    case SYNTH_TONIC: return build_tonic_or_strain(s, &x, 1);
    case SYNTH_STRAIN: return build_tonic_or_strain(s, &x, 0);
    case SYNTH_DYSTONIC: return build_dystonic(s, &x);
    case SYNTH_ISCHEMIC: return build_ischemic(s, &x);
    case SYNTH_CLONIC: return build_clonic(s, &x);
    case SYNTH_MYOCLONIC: return build_myoclonic(s, &x);
    case SYNTH_ATAXIC: return build_ataxic(s, &x);
    case SYNTH_TETANIC: return build_tetanic(s, &x);
    case SYNTH_ARTEFACT: return build_artefact(s, &x);
    default: return 0;
    }
}

/* Run the timeline from line i to its matching end; advances *t, stops at limit. */
static int run_lines(emg_synth *s, size_t *i, double *t, double limit)
{
    const emg_scenario *sc = s->sc;
    while (*i < sc->n_lines) {
        const synth_line *l = &sc->lines[*i];
        if (l->type == SYNTH_END) {
            (*i)++;
            return 0;
        }
        if (l->type == SYNTH_REPEAT) {
            long count = lround(emg_rng_range(&s->rng, l->duration.lo, l->duration.hi + 1e-9));
            size_t body = *i + 1, after = body;
            for (long k = 0; k < (count > 0 ? count : 1); k++) {
                size_t j = body;
                if (count > 0) {
                    int rc = run_lines(s, &j, t, limit);
                    if (rc < 0)
                        return rc;
                } else { /* skip the body */
                    int depth = 1;
                    while (j < sc->n_lines && depth > 0) {
                        if (sc->lines[j].type == SYNTH_REPEAT) depth++;
                        if (sc->lines[j].type == SYNTH_END) depth--;
                        j++;
                    }
                }
                after = j;
            }
            *i = after;
            continue;
        }
        double dur = l->duration.lo == l->duration.hi
                         ? l->duration.lo
                         : emg_rng_range(&s->rng, l->duration.lo, l->duration.hi);
        if (limit > 0.0 && *t + dur > limit)
            dur = limit - *t;
        if (dur > 0.0 || l->type == SYNTH_ARTEFACT) {
            int rc = build_line(s, l, *t, dur);
            if (rc < 0)
                return rc;
            if (s->out_of_memory)
                return emg_error_set(s->err, EMG_ERR_NOMEM, "%s:%d: out of memory",
                                     s->sc->source, l->line_no);
        }
        *t += dur;
        (*i)++;
    }
    return 0;
}

static int cmp_burst(const void *a, const void *b)
{
    const burst *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_seg(const void *a, const void *b)
{
    const rate_seg *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

static int compile_timeline(emg_synth *s, double duration)
{
    double t = 0.0;
    do {
        double before = t;
        size_t i = 0;
        int rc = run_lines(s, &i, &t, duration);
        if (rc < 0)
            return rc;
        if (t <= before)
            return emg_error_set(s->err, EMG_ERR_FORMAT, "%s: the timeline has no duration",
                                 s->sc->source);
    } while (duration > 0.0 && t < duration);
    if (duration > 0.0)
        t = duration;
    s->total = (int64_t)llround(t * s->fs);
    if (s->total < 1)
        return emg_error_set(s->err, EMG_ERR_FORMAT, "%s: the timeline has no duration",
                             s->sc->source);
    for (size_t i = 0; i < s->n_ev; i++)
        if (s->ev[i].onset + s->ev[i].duration > t)
            s->ev[i].duration = fmax(0.0, t - s->ev[i].onset);
    /* Random motion artefacts over the whole recording. */
    double rate = s->sc->artefacts_per_min / 60.0;
    if (rate > 0.0)
        for (double ta = -synth_log(1.0 - emg_rng_uniform(&s->rng)) / rate; ta < t - 1.0;
             ta += -synth_log(1.0 - emg_rng_uniform(&s->rng)) / rate) {
            double amp = emg_rng_range(&s->rng, 0.2, 2.0);
            int rc = add_artefact(s, ta, emg_rng_range(&s->rng, 0.1, 0.6), amp, "n/a", 1);
            if (rc < 0)
                return rc;
        }
    for (size_t c = 0; c < s->n_ch; c++) {
        if (s->ch[c].n_bursts)
            qsort(s->ch[c].bursts, s->ch[c].n_bursts, sizeof(burst), cmp_burst);
        if (s->ch[c].n_segs)
            qsort(s->ch[c].segs, s->ch[c].n_segs, sizeof(rate_seg), cmp_seg);
    }
    return 0;
}

/* ------------------------------------------------------------- channels */

static int setup_channel_header(emg_synth *s, const char *name, synth_role role, int emg,
                                emg_electrode el)
{
    emg_channel c;
    emg_channel_init(&c);
    emgi_strlcpy(c.name, name, sizeof c.name);
    c.fs = s->fs;
    c.n_samples = -1;
    double lo, hi;
    if (emg) {
        double range = el == EMG_ELECTRODE_NEEDLE ? 20.0 : 5.0;
        emgi_strlcpy(c.unit, "mV", sizeof c.unit);
        snprintf(c.transducer, sizeof c.transducer, "simulated %s EMG (%s)",
                 el == EMG_ELECTRODE_NEEDLE ? "concentric needle" : "bipolar surface 10 mm",
                 synth_role_name(role));
        lo = -range;
        hi = range;
    } else if (role == ROLE_FORCE) {
        emgi_strlcpy(c.unit, "%MVC", sizeof c.unit);
        emgi_strlcpy(c.transducer, "simulated force transducer", sizeof c.transducer);
        lo = -20.0;
        hi = 180.0;
    } else {
        emgi_strlcpy(c.unit, "g", sizeof c.unit);
        emgi_strlcpy(c.transducer, "simulated accelerometer", sizeof c.transducer);
        lo = -8.0;
        hi = 8.0;
    }
    /* A 16-bit converter spanning [lo, hi]. */
    c.digital_min = -32768;
    c.digital_max = 32767;
    c.gain = 65535.0 / (hi - lo);
    c.baseline = -32768.0 - lo * c.gain;
    return emg_header_add_channel(&s->hdr, &c, s->err);
}

static int init_emg_channel(emg_synth *s, channel *ch, size_t index, uint64_t seed)
{
    emg_rng prng;
    emg_rng_seed(&prng, seed, 1000 + index);
    emg_pool_params pp = EMG_POOL_PARAMS_INIT;
    pp.electrode = ch->electrode;
    pp.conduction = emg_rng_range(&prng, 3.7, 4.3);
    double rms_max = emg_rng_range(&prng, 0.3, 0.8);
    int rc = emg_pool_init(&ch->pool, &pp, rms_max, &prng, s->err);
    if (rc < 0)
        return rc;
    int n = pp.n_units;
    ch->cv0 = ch->tpl_cv = pp.conduction;
    ch->unit_rng = calloc((size_t)n, sizeof *ch->unit_rng);
    ch->next = calloc((size_t)n, sizeof *ch->next);
    ch->last = calloc((size_t)n, sizeof *ch->last);
    ch->unit_z = calloc((size_t)n, sizeof *ch->unit_z);
    ch->tpl_dur = calloc((size_t)n, sizeof *ch->tpl_dur);
    ch->last_event = calloc((size_t)n, sizeof *ch->last_event);
    ch->tpl = calloc((size_t)n, sizeof *ch->tpl);
    ch->tpl_len = calloc((size_t)n, sizeof *ch->tpl_len);
    if (!ch->unit_rng || !ch->next || !ch->last || !ch->unit_z || !ch->tpl_dur ||
        !ch->last_event || !ch->tpl || !ch->tpl_len)
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        size_t len = emg_muap_sample(&ch->pool, i, ch->cv0 * CV_FLOOR * 0.9, s->fs, NULL, 0);
        cap = len > cap ? len : cap;
    }
    ch->tpl_cap = cap;
    for (int i = 0; i < n; i++) {
        emg_rng_seed(&ch->unit_rng[i], seed, ((uint64_t)index << 20) + (uint64_t)i + 1);
        ch->next[i] = NAN;
        ch->last[i] = -INFINITY;
        ch->last_event[i] = -1;
        ch->unit_z[i] = emg_rng_normal(&prng);
        ch->tpl[i] = calloc(cap, sizeof **ch->tpl);
        if (!ch->tpl[i])
            return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
        ch->tpl_len[i] = emg_muap_sample(&ch->pool, i, ch->cv0, s->fs, ch->tpl[i], cap);
        ch->tpl_dur[i] = emg_muap_duration(ch->tpl[i], ch->tpl_len[i], s->fs);
    }
    /* Twitch force: one critically damped response with the pool's force-weighted
     * contraction time; MVC = sum P_i PFR_i e T (every unit at its peak rate). */
    double wsum = 0, tsum = 0, mvc = 0;
    for (int i = 0; i < n; i++) {
        wsum += ch->pool.units[i].twitch;
        tsum += ch->pool.units[i].twitch * ch->pool.units[i].twitch_time;
    }
    ch->twitch_t = tsum / wsum;
    for (int i = 0; i < n; i++)
        mvc += ch->pool.units[i].twitch * ch->pool.units[i].peak_rate * synth_exp(1.0) * ch->twitch_t;
    ch->mvc = mvc;
    ch->twitch_gain = 1.0;
    return 0;
}

static void init_nuisances(emg_synth *s, channel *ch, size_t index, uint64_t seed)
{
    static const double HARM[N_HARMONICS] = {1.0, 0.1, 0.4, 0.15}; /* 1st, 2nd, 3rd, 5th */
    emg_rng r;
    emg_rng_seed(&r, seed, 5000 + index);
    emg_rng_seed(&ch->noise_rng, seed, 9000 + index);
    emg_rng_seed(&ch->rng, seed, 7000 + index);
    const emg_scenario *sc = s->sc;
    double mains = s->mains_hz > 0 ? sc->mains_mv * emg_rng_range(&r, 0.5, 1.5) : 0.0;
    for (int h = 0; h < N_HARMONICS; h++) {
        ch->mains_amp[h] = mains * HARM[h];
        ch->mains_phase[h] = emg_rng_range(&r, 0, 2 * PI);
    }
    for (int k = 0; k < 3; k++) {
        ch->wander_amp[k] = sc->wander_mv * emg_rng_range(&r, 0.3, 0.8);
        ch->wander_hz[k] = emg_rng_range(&r, 0.05, 0.5);
        ch->wander_phase[k] = emg_rng_range(&r, 0, 2 * PI);
    }
    for (int k = 0; k < 2; k++) {
        ch->drift_hz[k] = emg_rng_range(&r, 0.005, 0.05);
        ch->drift_phase[k] = emg_rng_range(&r, 0, 2 * PI);
    }
    if (ch->is_emg) {
        /* SNR: RMS of the pool at half its maximal excitation over the noise RMS. */
        double ref = emg_pool_rms(&ch->pool, 0.5, s->fs);
        ch->noise_sd = ref / synth_pow(10.0, s->snr_db / 20.0);
        if (ch->role != ROLE_AGONIST && ch->electrode == EMG_ELECTRODE_SURFACE)
            ch->crosstalk = emg_rng_range(&r, 0.02, 0.08);
    } else {
        ch->noise_sd = ch->role == ROLE_FORCE ? 0.1 : 0.002;
    }
}

static int setup_channels(emg_synth *s, const emg_synth_options *o)
{
    const emg_scenario *sc = s->sc;
    size_t declared = sc->n_channels ? sc->n_channels : 1;
    size_t n = o->n_channels > 0 ? (size_t)o->n_channels : declared;
    if (n < declared)
        return emg_error_set(s->err, EMG_ERR_ARG,
                             "%s: the scenario declares %zu channels; --n-channels must be "
                             "at least that", sc->source, declared);
    if (n > SYNTH_MAX_CHANNELS)
        return emg_error_set(s->err, EMG_ERR_ARG, "synth: at most %d channels",
                             SYNTH_MAX_CHANNELS);
    s->ch = calloc(n, sizeof *s->ch);
    if (!s->ch)
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    s->n_ch = n;
    for (size_t c = 0; c < n; c++) {
        channel *ch = &s->ch[c];
        char name[EMG_NAME_MAX];
        if (c < sc->n_channels) {
            ch->role = sc->channels[c].role;
            ch->electrode = sc->channels[c].electrode >= 0
                                ? (emg_electrode)sc->channels[c].electrode : sc->electrode;
            emgi_strlcpy(name, sc->channels[c].name, sizeof name);
        } else {
            ch->role = c == 0 ? ROLE_AGONIST : ROLE_NEIGHBOUR;
            ch->electrode = sc->electrode;
            snprintf(name, sizeof name, "EMG%zu", c + 1);
            if (emg_header_find_channel(&s->hdr, name) >= 0)
                snprintf(name, sizeof name, "EMG_extra_%zu", c + 1);
        }
        ch->is_emg = ch->role != ROLE_FORCE && ch->role != ROLE_ACCEL;
        int rc = setup_channel_header(s, name, ch->role, ch->is_emg, ch->electrode);
        if (rc < 0)
            return rc;
        if (ch->is_emg && (rc = init_emg_channel(s, ch, c, o->seed)) < 0)
            return rc;
        init_nuisances(s, ch, c, o->seed);
    }
    s->agonist = role_channel(s, ROLE_AGONIST);
    s->antagonist = role_channel(s, ROLE_ANTAGONIST);
    s->force_ch = role_channel(s, ROLE_FORCE);
    s->accel_ch = role_channel(s, ROLE_ACCEL);
    if (s->agonist < 0)
        for (size_t c = 0; c < n && s->agonist < 0; c++)
            if (s->ch[c].is_emg)
                s->agonist = (int)c;
    if (s->agonist < 0)
        return emg_error_set(s->err, EMG_ERR_FORMAT, "%s: the scenario has no EMG channel",
                             sc->source);
    return 0;
}

/* ------------------------------------------------------------- open/close */

static int finish_header(emg_synth *s, const emg_synth_options *o)
{
    emg_header *h = &s->hdr;
    double total_s = s->total / s->fs;
    for (size_t c = 0; c < h->n_channels; c++)
        h->channels[c].n_samples = s->total;
    emgi_strlcpy(h->start_time, "2000-01-01T00:00:00", sizeof h->start_time);
    emgi_strlcpy(h->subject, "simulated", sizeof h->subject);
    snprintf(h->recording, sizeof h->recording, "emg-synth scenario %s seed %llu",
             s->sc->name, (unsigned long long)o->seed);
    char line[256];
    snprintf(line, sizeof line,
             "emgkit synth %s: scenario=%s seed=%llu fs=%g duration=%g channels=%zu mains=%g "
             "snr=%g", EMGKIT_VERSION, s->sc->name, (unsigned long long)o->seed, s->fs, total_s,
             s->n_ch, s->mains_hz, s->snr_db);
    int rc = emg_header_add_provenance(h, line, s->err);
    char ctxt[64];
    snprintf(ctxt, sizeof ctxt, "context %s", s->sc->context);
    if (rc == 0)
        rc = emg_header_add_annotation(h, 0.0, total_s, -1, ctxt, s->err);
    for (size_t i = 0; i < s->n_ev && rc == 0; i++) {
        const emg_synth_event *e = &s->ev[i];
        rc = emg_header_add_annotation(h, e->onset, e->duration, e->channel, e->label, s->err);
        if (rc == 0 && strcmp(e->context, s->sc->context) && strcmp(e->context, "n/a")) {
            snprintf(ctxt, sizeof ctxt, "context %s", e->context);
            rc = emg_header_add_annotation(h, e->onset, e->duration, -1, ctxt, s->err);
        }
    }
    return rc;
}

static int alloc_buffers(emg_synth *s)
{
    size_t len = s->block + s->tail;
    for (size_t c = 0; c < s->n_ch; c++) {
        channel *ch = &s->ch[c];
        if (!ch->is_emg && ch->role != ROLE_ACCEL)
            continue;
        ch->acc = calloc(len, sizeof *ch->acc);
        ch->imp = calloc(len, sizeof *ch->imp);
        ch->force = calloc(s->block, sizeof *ch->force);
        if (!ch->acc || !ch->imp || !ch->force)
            return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    }
    s->n_grid = (size_t)ceil(s->block / s->fs / GRID_S) + 2;
    s->eg = calloc(s->n_grid, sizeof *s->eg);
    s->dg = calloc(s->n_grid, sizeof *s->dg);
    s->normals = calloc(2 * s->block + 2, sizeof *s->normals);
    if (!s->eg || !s->dg || !s->normals)
        return emg_error_set(s->err, EMG_ERR_NOMEM, "synth: out of memory");
    return 0;
}

int emg_synth_open(emg_synth **out, const emg_scenario *sc, const emg_synth_options *opts,
                   emg_error *err)
{
    *out = NULL;
    emg_synth_options o = EMG_SYNTH_OPTIONS_INIT;
    if (opts)
        o = *opts;
    emg_synth *s = emgi_xcalloc(1, sizeof *s, err);
    if (!s)
        return EMG_ERR_NOMEM;
    emg_header_init(&s->hdr);
    emg_block_init(&s->blk);
    s->sc = sc;
    s->err = err;
    s->fs = o.fs > 0 ? o.fs : sc->fs;
    s->mains_hz = o.mains >= 0 ? o.mains : sc->mains_hz;
    s->snr_db = isnan(o.snr_db) ? sc->snr_db : o.snr_db;
    s->clip_mv = sc->clip_mv;
    s->agonist = s->antagonist = s->force_ch = s->accel_ch = -1;
    double block_s = o.block_seconds > 0 ? o.block_seconds : 0.25;
    int rc = 0;
    if (!(s->fs >= 100.0 && s->fs <= 200000.0))
        rc = emg_error_set(err, EMG_ERR_ARG, "synth: sampling rate %g Hz (100-200000)", s->fs);
    else if (o.duration < 0 || o.duration > 30 * 86400.0)
        rc = emg_error_set(err, EMG_ERR_ARG, "synth: duration %g s (0-30 days)", o.duration);
    if (rc == 0) {
        s->block = (size_t)fmax(1.0, floor(block_s * s->fs));
        synth_ziggurat_init(s->zig_x, s->zig_r);
        emg_rng_seed(&s->rng, o.seed, 0);
        rc = setup_channels(s, &o);
    }
    if (rc == 0) {
        size_t tpl = 0;
        for (size_t c = 0; c < s->n_ch; c++)
            tpl = s->ch[c].tpl_cap > tpl ? s->ch[c].tpl_cap : tpl;
        s->tail = (size_t)ceil(TAIL_S * s->fs) + tpl;
        rc = compile_timeline(s, o.duration);
    }
    if (rc == 0)
        rc = alloc_buffers(s);
    if (rc == 0)
        rc = finish_header(s, &o);
    if (rc < 0) {
        emg_synth_close(s);
        return rc;
    }
    s->err = NULL;
    *out = s;
    return 0;
}

const emg_header *emg_synth_header(const emg_synth *s) { return &s->hdr; }

void emg_synth_close(emg_synth *s)
{
    if (!s)
        return;
    for (size_t c = 0; c < s->n_ch; c++) {
        channel *ch = &s->ch[c];
        if (ch->tpl)
            for (int i = 0; i < ch->pool.params.n_units; i++)
                free(ch->tpl[i]);
        free(ch->tpl);
        free(ch->tpl_len);
        free(ch->unit_rng);
        free(ch->next);
        free(ch->last);
        free(ch->unit_z);
        free(ch->tpl_dur);
        free(ch->last_event);
        free(ch->segs);
        free(ch->bursts);
        free(ch->fsegs);
        free(ch->acc);
        free(ch->imp);
        free(ch->force);
        emg_pool_free(&ch->pool);
    }
    free(s->ch);
    free(s->ev);
    free(s->st);
    free(s->eg);
    free(s->dg);
    free(s->normals);
    emg_block_free(&s->blk);
    emg_header_free(&s->hdr);
    free(s);
}

/* ------------------------------------------------------------- events out */

size_t emg_synth_event_count(const emg_synth *s) { return s->n_ev; }

/* Fold the measured discharge statistics into rate-coded events. */
static void settle_event(emg_synth *s, size_t i)
{
    emg_synth_event *e = &s->ev[i];
    const event_stats *st = &s->st[i];
    if (st->spikes == 0 || e->count >= 0)
        return;
    e->count = st->spikes;
    if (st->n >= 2) {
        double m = st->sum_x / st->n, var = st->sum_x2 / st->n - m * m;
        e->rate_hz = st->n / st->sum_isi;
        e->cv = sqrt(var > 0 ? var : 0) / m;
    }
    e->rate_min_hz = st->rate_lo;
    e->rate_max_hz = st->rate_hi;
}

const emg_synth_event *emg_synth_event_at(const emg_synth *s, size_t i)
{
    if (i >= s->n_ev)
        return NULL;
    if (s->pos >= s->total)
        settle_event((emg_synth *)s, i);
    return &s->ev[i];
}

static const char *const KIND_NAMES[] = {"spasm", "negative", "nuisance"};

int emg_synth_write_events(const emg_synth *s, FILE *f, emg_error *err)
{
    static const char *const COLS[] = {
        "onset", "duration", "channel", "label", "kind", "context", "channels", "rate_hz",
        "rate_min_hz", "rate_max_hz", "interval_cv", "burst_ms", "burst_min_ms", "burst_max_ms", "count",
        "level", "amplitude_mv", "conduction_mps", "cv_decline", "detail"};
    emg_tsv_header(f, sizeof COLS / sizeof *COLS, COLS);
    for (size_t i = 0; i < s->n_ev; i++) {
        const emg_synth_event *e = emg_synth_event_at(s, i);
        emg_tsv_time(f, e->onset, 0);
        emg_tsv_time(f, e->duration, 0);
        emg_tsv_str(f, e->channel >= 0 ? s->hdr.channels[e->channel].name : "n/a", 0);
        emg_tsv_str(f, e->label, 0);
        emg_tsv_str(f, KIND_NAMES[e->kind], 0);
        emg_tsv_str(f, e->context, 0);
        emg_tsv_str(f, e->channels[0] ? e->channels : "n/a", 0);
        emg_tsv_num(f, e->rate_hz, 0);
        emg_tsv_num(f, e->rate_min_hz, 0);
        emg_tsv_num(f, e->rate_max_hz, 0);
        emg_tsv_num(f, e->cv, 0);
        emg_tsv_num(f, e->burst_ms, 0);
        emg_tsv_num(f, e->burst_min_ms, 0);
        emg_tsv_num(f, e->burst_max_ms, 0);
        emg_tsv_num(f, e->count >= 0 ? (double)e->count : NAN, 0);
        emg_tsv_num(f, e->level, 0);
        emg_tsv_num(f, e->amplitude_mv, 0);
        emg_tsv_num(f, e->conduction_mps, 0);
        emg_tsv_num(f, e->cv_decline, 0);
        emg_tsv_str(f, e->detail[0] ? e->detail : "n/a", 1);
    }
    if (ferror(f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "events: write error");
    return 0;
}

typedef struct burst_ref {
    const burst *b;
    size_t channel;
} burst_ref;

static int cmp_burst_ref(const void *a, const void *b)
{
    const burst_ref *x = a, *y = b;
    if (x->b->t != y->b->t)
        return x->b->t < y->b->t ? -1 : 1;
    return x->channel < y->channel ? -1 : x->channel > y->channel;
}

int emg_synth_write_bursts(const emg_synth *s, FILE *f, emg_error *err)
{
    static const char *const COLS[] = {"onset", "duration", "channel", "label", "event",
                                       "unit", "spikes", "interval_ms", "intensity"};
    size_t n = 0;
    for (size_t c = 0; c < s->n_ch; c++)
        n += s->ch[c].n_bursts;
    burst_ref *refs = emgi_xcalloc(n, sizeof *refs, err);
    if (!refs)
        return EMG_ERR_NOMEM;
    n = 0;
    for (size_t c = 0; c < s->n_ch; c++)
        for (size_t k = 0; k < s->ch[c].n_bursts; k++)
            if (s->ch[c].bursts[k].t < s->total / s->fs)
                refs[n++] = (burst_ref){&s->ch[c].bursts[k], c};
    if (n)
        qsort(refs, n, sizeof *refs, cmp_burst_ref);
    emg_tsv_header(f, sizeof COLS / sizeof *COLS, COLS);
    for (size_t i = 0; i < n; i++) {
        const burst *b = refs[i].b;
        const channel *ch = &s->ch[refs[i].channel];
        double width = b->width;
        if (b->unit >= 0)
            width = (b->spikes - 1) * b->interval + ch->tpl_dur[b->unit];
        emg_tsv_time(f, b->t, 0);
        emg_tsv_time(f, width, 0);
        emg_tsv_str(f, s->hdr.channels[refs[i].channel].name, 0);
        emg_tsv_str(f, b->event >= 0 ? s->ev[b->event].label : (b->artefact ? "artefact" : "n/a"),
                    0);
        emg_tsv_num(f, b->event >= 0 ? b->event : NAN, 0);
        emg_tsv_num(f, b->unit >= 0 ? b->unit + 1 : NAN, 0);
        emg_tsv_num(f, b->artefact ? NAN : b->spikes, 0);
        emg_tsv_num(f, b->artefact || b->spikes < 2 ? NAN : 1000.0 * b->interval, 0);
        emg_tsv_num(f, b->intensity, 1);
    }
    free(refs);
    if (ferror(f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "bursts: write error");
    return 0;
}

const char *const *emg_synth_labels(size_t *n)
{
    static const char *const LABELS[] = {
        "cramp", "fasciculation", "tonic", "dystonic", "ischemic", "clonic", "myoclonic",
        "ataxic", "tetanic", "strain", "voluntary", "tremor", "rest", "prodrome", "artefact"};
    *n = sizeof LABELS / sizeof *LABELS;
    return LABELS;
}
