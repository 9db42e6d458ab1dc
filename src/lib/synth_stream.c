/* synth_stream.c: plays a compiled scene (synth_scene.c) block by block.
 *
 * Each block, every recruited unit's discharges are drawn by rate coding from
 * the excitation of the rate segments (Fuglevand, Winter & Patla 1993:
 * FR = g_e (E - RTE) + MFR up to the unit's peak rate, Gaussian intervals with
 * CV 0.2; cramps: lognormal intervals with CV ~0.45 and doublets), the bursts
 * that start in the block fire their units, and each spike adds the unit's
 * action potential (synth_pool.c) into an accumulator that reaches one second
 * past the block, so memory does not grow with the recording.  Fatigue lowers
 * conduction velocity and the potentials are regenerated at the new velocity
 * (their spectrum scales with it: Lindstrom & Magnusson 1977).  Nuisances
 * (electrode noise at the configured SNR, mains with harmonics, baseline
 * wander, clipping) and a 16-bit ADC come last.  Force channels sum the
 * agonist's twitches (critically damped impulse response, Fuglevand et al.
 * 1993) in %MVC; accelerometers see the band-passed net force of agonist and
 * antagonist. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "synth_internal.h"

static double seg_env(const rate_seg *g, double t)
{
    if (t < g->t0 || t >= g->t1)
        return 0.0;
    double up = t - g->t0, down = g->t1 - t, a = 1.0;
    if (up < g->ramp_on)
        a = 0.5 - 0.5 * synth_cos(PI * up / g->ramp_on);
    if (down < g->ramp_off)
        a = fmin(a, 0.5 - 0.5 * synth_cos(PI * down / g->ramp_off));
    double prog = up / (g->t1 - g->t0);
    double e = (g->base + (g->level - g->base) * a) * (1.0 + g->drift * prog);
    if (g->wax_depth > 0.0) {
        double w = 0.0;
        for (int k = 0; k < 3; k++)
            w += synth_sin(2.0 * PI * g->wax_hz[k] * up + g->wax_phase[k]);
        e *= 1.0 + g->wax_depth * w / 3.0;
    }
    if (g->mod_depth > 0.0)
        e *= 1.0 + g->mod_depth * synth_sin(2.0 * PI * g->mod_hz * up + g->mod_phase);
    return clampd(e, 0.0, 1.0);
}

static void regenerate_templates(emg_synth *s, channel *ch, double cv)
{
    for (int i = 0; i < ch->pool.params.n_units; i++)
        ch->tpl_len[i] = emg_muap_sample(&ch->pool, i, cv, s->fs, ch->tpl[i], ch->tpl_cap);
    ch->tpl_cv = cv;
}

static void add_spike(emg_synth *s, channel *ch, int i, double t, int64_t n0)
{
    int64_t k = (int64_t)llround(t * s->fs) - n0;
    if (k < 0)
        k = 0;
    size_t len = s->block + s->tail;
    if ((size_t)k >= len)
        return;
    size_t m = ch->tpl_len[i];
    if ((size_t)k + m > len)
        m = len - (size_t)k;
    double *dst = ch->acc + k;
    const double *src = ch->tpl[i];
    for (size_t j = 0; j < m; j++)
        dst[j] += src[j];
    ch->imp[k] += ch->pool.units[i].twitch * ch->twitch_gain;
}

/* Excitation and dominant segment on the block's grid; returns the block's maximum. */
static double excitation_grid(emg_synth *s, channel *ch, double t0, double t1)
{
    while (ch->seg_pos < ch->n_segs && ch->segs[ch->seg_pos].t1 <= t0)
        ch->seg_pos++;
    double emax = 0.0;
    for (size_t k = 0; k < s->n_grid; k++) {
        double t = t0 + GRID_S * (double)k;
        double best = 0.0;
        int dom = -1;
        for (size_t j = ch->seg_pos; j < ch->n_segs && ch->segs[j].t0 <= t; j++) {
            double e = seg_env(&ch->segs[j], t);
            if (e > best) {
                best = e;
                dom = (int)j;
            }
        }
        s->eg[k] = best;
        s->dg[k] = dom;
        emax = fmax(emax, best);
        if (t > t1)
            break;
    }
    return emax;
}

static double isi_draw(emg_rng *r, double rate, double cv, rate_mode mode)
{
    double m = 1.0 / rate, isi;
    if (mode == MODE_CRAMP) { /* irregular: lognormal with the given CV */
        double sig2 = synth_log(1.0 + cv * cv);
        isi = synth_exp(synth_log(m) - 0.5 * sig2 + sqrt(sig2) * emg_rng_normal(r));
    } else { /* Fuglevand: Gaussian ISI, CV 0.2 */
        isi = m * (1.0 + cv * clampd(emg_rng_normal(r), -3.5, 3.5));
    }
    return fmax(isi, 0.002);
}

/* A uniform number in [0, 1) fixed by (a, b, salt): per-unit choices that must
 * not depend on when the unit is first looked at (splitmix64 finaliser). */
static double unit_hash(uint64_t a, uint64_t b, uint64_t salt)
{
    uint64_t z = a * 0x9e3779b97f4a7c15ULL + b * 0xbf58476d1ce4e5b9ULL + salt;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* In a cramp each unit is active for ~24 s (SD 16 s; Minetto et al. 2013, the
 * criteria page), then rests 5-30 s and may return.  Every unit starts active
 * (abrupt onset); their own on and off times desynchronise them. */
static int cramp_unit_active(const rate_seg *g, int i, double t)
{
    uint64_t key = (uint64_t)(g->event + 1);
    double z = unit_hash(key, (uint64_t)i, 1) + unit_hash(key, (uint64_t)i, 2) +
               unit_hash(key, (uint64_t)i, 3) - 1.5; /* mean 0, SD 0.5 */
    double on = clampd(24.0 + 32.0 * z, 5.0, 70.0);
    double off = 5.0 + 25.0 * unit_hash(key, (uint64_t)i, 4);
    return fmod(t - g->t0, on + off) < on;
}

static double unit_rate(const channel *ch, const rate_seg *g, int i, double e, double t)
{
    if (g->mode == MODE_CRAMP) {
        if (!cramp_unit_active(g, i, t))
            return 0.0;
        /* Cramp discharge: 6-25 pps around the mean, irregular, per unit. */
        double r = g->rate_mean + 4.5 * ch->unit_z[i];
        double depth = clampd((e - ch->pool.units[i].threshold) / (0.5 * g->level), 0.0, 1.0);
        return clampd(r * (0.6 + 0.4 * depth), 6.0, 25.0);
    }
    return emg_pool_rate(&ch->pool, i, e);
}

/* First grid point at or after k where the excitation reaches thr inside the block. */
static long recruit_point(const emg_synth *s, double thr, size_t k, double t0, double t1)
{
    for (; k < s->n_grid && t0 + GRID_S * (double)k < t1; k++)
        if (s->eg[k] >= thr && s->dg[k] >= 0)
            return (long)k;
    return -1;
}

static void record_isi(event_stats *st, double isi, double rate)
{
    double x = isi * rate;
    st->n += 1;
    st->sum_x += x;
    st->sum_x2 += x * x;
    st->sum_isi += isi;
}

/* Asynchronous discharges of every recruited unit in [t0, t1) (rate coding). */
static void rate_units(emg_synth *s, channel *ch, double t0, double t1, int64_t n0)
{
    double emax = excitation_grid(s, ch, t0, t1);
    int n = ch->pool.params.n_units;
    for (int i = 0; i < n; i++) {
        double thr = ch->pool.units[i].threshold;
        if (thr > emax) {
            ch->next[i] = NAN;
            continue;
        }
        double t = ch->next[i];
        emg_rng *r = &ch->unit_rng[i];
        size_t k = 0;
        for (;;) {
            if (isnan(t)) { /* idle: start when the excitation reaches threshold */
                long kr = recruit_point(s, thr, k, t0, t1);
                if (kr < 0)
                    break;
                const rate_seg *g = &ch->segs[s->dg[kr]];
                double tk = t0 + GRID_S * (double)kr;
                double rate = unit_rate(ch, g, i, s->eg[kr], tk);
                if (rate <= 0.0) { /* resting in a cramp: look again later */
                    k = (size_t)kr + 1;
                    continue;
                }
                t = tk + emg_rng_uniform(r) / rate; /* random phase */
                ch->last[i] = -INFINITY;
                continue;
            }
            if (t >= t1)
                break;
            k = (size_t)((t - t0) / GRID_S);
            if (k >= s->n_grid)
                k = s->n_grid - 1;
            double e = s->eg[k];
            const rate_seg *g = s->dg[k] >= 0 ? &ch->segs[s->dg[k]] : NULL;
            double rate = g && e >= thr ? unit_rate(ch, g, i, e, t) : 0.0;
            if (rate <= 0.0) { /* derecruited: look again later */
                t = NAN;
                k++;
                continue;
            }
            event_stats *st = g->event >= 0 ? &s->st[g->event] : NULL;
            add_spike(s, ch, i, t, n0);
            if (st) {
                if (st->spikes == 0 || rate < st->rate_lo)
                    st->rate_lo = rate;
                if (st->spikes == 0 || rate > st->rate_hi)
                    st->rate_hi = rate;
                st->spikes++;
                if (ch->last_event[i] == g->event && t - ch->last[i] < 0.5)
                    record_isi(st, t - ch->last[i], rate);
                ch->last_event[i] = g->event;
            }
            ch->last[i] = t;
            if (g->doublets > 0.0 && emg_rng_uniform(r) < g->doublets) {
                double d = emg_rng_range(r, 0.003, 0.010);
                add_spike(s, ch, i, t + d, n0);
                if (st) {
                    st->spikes++;
                    record_isi(st, d, rate);
                }
                t += d;
                ch->last[i] = t;
            }
            double cv = g->mode == MODE_CRAMP ? g->isi_cv : ch->pool.params.isi_cv;
            t += isi_draw(r, rate, cv, g->mode);
        }
        ch->next[i] = t;
    }
}

static void artefact_wave(emg_synth *s, channel *ch, const burst *b, int64_t n0)
{
    int64_t k0 = (int64_t)llround(b->t * s->fs) - n0;
    int64_t len = (int64_t)(b->width * s->fs);
    int64_t cap = (int64_t)(s->block + s->tail);
    for (int64_t j = 0; j < len; j++) {
        int64_t k = k0 + j;
        if (k < 0 || k >= cap)
            continue;
        double u = (double)j / len;
        double w = 0.5 - 0.5 * synth_cos(2 * PI * u);
        ch->acc[k] += b->intensity * w * synth_sin(2 * PI * b->interval * j / s->fs + b->phase);
    }
}

static void burst_units(emg_synth *s, channel *ch, double t1, int64_t n0)
{
    while (ch->burst_pos < ch->n_bursts && ch->bursts[ch->burst_pos].t < t1) {
        const burst *b = &ch->bursts[ch->burst_pos++];
        if (b->artefact) {
            artefact_wave(s, ch, b, n0);
            continue;
        }
        int lo = b->unit >= 0 ? b->unit : 0;
        int hi = b->unit >= 0 ? b->unit + 1 : ch->pool.params.n_units;
        for (int i = lo; i < hi; i++) {
            if (b->unit < 0 &&
                (ch->pool.units[i].threshold > b->intensity || emg_rng_uniform(&ch->rng) > b->p_fire))
                continue;
            double span = b->width - ch->tpl_dur[i] - (b->spikes - 1) * b->interval;
            /* Spike times spread over the window, denser in its middle. */
            double u = 0.5 * (emg_rng_uniform(&ch->rng) + emg_rng_uniform(&ch->rng));
            double t = b->t + (span > 0 ? span * (b->unit >= 0 ? 0.0 : u) : 0.0);
            for (int k = 0; k < b->spikes; k++) {
                add_spike(s, ch, i, t, n0);
                t += b->interval * (b->unit >= 0 ? 1.0 : emg_rng_range(&ch->rng, 0.85, 1.15));
            }
        }
    }
}

/* Critically damped twitch response h(t) = (t/T) exp(1 - t/T) per impulse. */
static void force_block(emg_synth *s, channel *ch, size_t B)
{
    double a = synth_exp(-1.0 / (ch->twitch_t * s->fs)), b = synth_exp(1.0) / (ch->twitch_t * s->fs) * a;
    double y1 = ch->fy1, y2 = ch->fy2, scale = 100.0 / ch->mvc;
    /* impulse at sample k drives the output from k + 1 on: keep the previous input */
    for (size_t k = 0; k < B; k++) {
        double y = 2.0 * a * y1 - a * a * y2 + b * (k ? ch->imp[k - 1] : ch->imp_prev);
        y2 = y1;
        y1 = y;
        ch->force[k] = y * scale;
    }
    ch->imp_prev = B ? ch->imp[B - 1] : ch->imp_prev;
    ch->fy1 = y1;
    ch->fy2 = y2;
}

/* Mean force of the pool at excitation e (sum of twitch x rate), arbitrary units. */
static double pool_force(const emg_pool *p, double e)
{
    double f = 0.0;
    for (int i = 0; i < p->params.n_units; i++)
        f += p->units[i].twitch * emg_pool_rate(p, i, e);
    return f;
}

static void update_fatigue(emg_synth *s, channel *ch, double tmid, double dt)
{
    double decay = synth_exp(-dt / FATIGUE_RECOVERY_S);
    double deficit = ch->cv_deficit * decay, scale = 1.0;
    double force_loss = (1.0 - ch->twitch_gain) * decay;
    for (size_t j = ch->seg_pos; j < ch->n_segs && ch->segs[j].t0 <= tmid; j++) {
        const rate_seg *g = &ch->segs[j];
        if (tmid >= g->t1)
            continue;
        if (g->fatigue > 0.0) {
            double prog = (tmid - g->t0) / (g->t1 - g->t0);
            deficit = fmax(deficit, g->fatigue * prog);
            /* Contractile fatigue: the rising drive only holds the force. */
            double held = pool_force(&ch->pool, g->level);
            double driven = pool_force(&ch->pool, fmin(1.0, g->level * (1.0 + g->drift * prog)));
            if (driven > 0.0)
                force_loss = fmax(force_loss, 1.0 - held / driven);
        }
        if (g->cv_scale != 1.0)
            scale = g->cv_scale;
    }
    ch->cv_deficit = deficit;
    ch->twitch_gain = 1.0 - force_loss;
    double cv = fmax(ch->cv0 * scale * (1.0 - deficit), ch->cv0 * CV_FLOOR);
    /* Regenerate when the velocity moved by 0.3%: MDF follows in steps of 0.3%. */
    if (fabs(cv - ch->tpl_cv) > 0.003 * ch->cv0)
        regenerate_templates(s, ch, cv);
}

/* Electrode noise: standard normal deviates by the ziggurat method (Marsaglia &
 * Tsang 2000, J Stat Softw 5(8)) in Doornik's ZIGNOR form (2005), which takes
 * the layer and the abscissa from independent bits.  128 layers, tail beyond
 * R = 3.442619855899.  Exact normal distribution; the fast path costs one
 * draw, and exp/log (the portable ones) are needed in 1-2% of draws. */
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

void synth_ziggurat_init(double x[129], double r[128])
{
    double f = synth_exp(-0.5 * ZIG_R * ZIG_R);
    x[0] = ZIG_V / f;
    x[1] = ZIG_R;
    x[128] = 0.0;
    for (int i = 2; i < 128; i++) {
        x[i] = sqrt(-2.0 * synth_log(ZIG_V / x[i - 1] + f));
        f = synth_exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < 128; i++)
        r[i] = x[i + 1] / x[i];
}

static double zig_normal(const emg_synth *s, emg_rng *rng)
{
    for (;;) {
        uint64_t bits = emg_rng_next(rng);
        double u = 2.0 * ((double)(bits >> 11) * 0x1.0p-53) - 1.0;
        int i = (int)(bits & 0x7f);
        if (fabs(u) < s->zig_r[i])
            return u * s->zig_x[i];
        if (i == 0) { /* the tail: Marsaglia (1964) */
            double x, y;
            do {
                x = synth_log(1.0 - emg_rng_uniform(rng)) / ZIG_R;
                y = synth_log(1.0 - emg_rng_uniform(rng));
            } while (-2.0 * y < x * x);
            return u < 0 ? x - ZIG_R : ZIG_R - x;
        }
        double x = u * s->zig_x[i];
        double f0 = synth_exp(-0.5 * (s->zig_x[i] * s->zig_x[i] - x * x));
        double f1 = synth_exp(-0.5 * (s->zig_x[i + 1] * s->zig_x[i + 1] - x * x));
        if (f1 + emg_rng_uniform(rng) * (f0 - f1) < 1.0)
            return x;
    }
}

static void fill_normals(const emg_synth *s, emg_rng *r, double *out, size_t n)
{
    for (size_t k = 0; k < n; k++)
        out[k] = zig_normal(s, r);
}

/* Noise, mains, wander, clipping and the ADC: the signal as the amplifier sees it. */
static void finish_channel(emg_synth *s, size_t c, const double *clean, double *out, size_t B,
                           int64_t n0)
{
    channel *ch = &s->ch[c];
    const emg_channel *hc = &s->hdr.channels[c];
    const double *src = clean;
    double fs = s->fs, t0 = n0 / fs, t1 = (n0 + (int64_t)B) / fs;
    /* Drifting SNR: noise level wanders over +-snr_drift/2 dB. */
    double drift0 = 0, drift1 = 0;
    for (int k = 0; k < 2; k++) {
        drift0 += synth_sin(2 * PI * ch->drift_hz[k] * t0 + ch->drift_phase[k]);
        drift1 += synth_sin(2 * PI * ch->drift_hz[k] * t1 + ch->drift_phase[k]);
    }
    double half = ch->is_emg ? 0.25 * s->sc->snr_drift_db : 0.0;
    double sd0 = ch->noise_sd * synth_pow(10.0, half * drift0 / 20.0);
    double sd1 = ch->noise_sd * synth_pow(10.0, half * drift1 / 20.0);
    fill_normals(s, &ch->noise_rng, s->normals, B);
    /* Sinusoids by rotation, re-anchored to the exact phase every block. */
    int nh = ch->is_emg ? N_HARMONICS : 0, nw = ch->is_emg ? 3 : 0;
    static const int ORDER[N_HARMONICS] = {1, 2, 3, 5};
    double zr[N_HARMONICS + 3], zi[N_HARMONICS + 3], wr[N_HARMONICS + 3], wi[N_HARMONICS + 3],
        amp[N_HARMONICS + 3];
    int m = 0;
    for (int h = 0; h < nh; h++) {
        double f = s->mains_hz * ORDER[h];
        if (ch->mains_amp[h] <= 0.0 || f >= fs / 2)
            continue;
        double ph = 2 * PI * fmod(f * (double)n0 / fs, 1.0) + ch->mains_phase[h];
        zr[m] = synth_cos(ph); zi[m] = synth_sin(ph);
        wr[m] = synth_cos(2 * PI * f / fs); wi[m] = synth_sin(2 * PI * f / fs);
        amp[m++] = ch->mains_amp[h];
    }
    for (int k = 0; k < nw; k++) {
        if (ch->wander_amp[k] <= 0.0)
            continue;
        double f = ch->wander_hz[k];
        double ph = 2 * PI * fmod(f * (double)n0 / fs, 1.0) + ch->wander_phase[k];
        zr[m] = synth_cos(ph); zi[m] = synth_sin(ph);
        wr[m] = synth_cos(2 * PI * f / fs); wi[m] = synth_sin(2 * PI * f / fs);
        amp[m++] = ch->wander_amp[k];
    }
    double clip = ch->is_emg ? s->clip_mv : 0.0;
    double gain = hc->gain, base = hc->baseline;
    for (size_t k = 0; k < B; k++) {
        double v = src[k] + (sd0 + (sd1 - sd0) * k / B) * s->normals[k];
        for (int j = 0; j < m; j++) {
            v += amp[j] * zi[j];
            double r = zr[j] * wr[j] - zi[j] * wi[j];
            zi[j] = zr[j] * wi[j] + zi[j] * wr[j];
            zr[j] = r;
        }
        if (clip > 0.0)
            v = clampd(v, -clip, clip);
        double d = clampd(nearbyint(v * gain + base), hc->digital_min, hc->digital_max);
        out[k] = (d - base) / gain;
    }
}

static void accel_block(emg_synth *s, channel *ch, double *buf, size_t B)
{
    /* Net force of agonist and antagonist, band-passed 1-20 Hz, 0.02 g per %MVC. */
    const channel *ag = &s->ch[s->agonist];
    const channel *an = s->antagonist >= 0 ? &s->ch[s->antagonist] : NULL;
    double fs = s->fs, ahp = synth_exp(-2 * PI * 1.0 / fs), alp = synth_exp(-2 * PI * 20.0 / fs);
    for (size_t k = 0; k < B; k++) {
        double x = ag->force[k] - (an ? an->force[k] : 0.0);
        double hp = ahp * (ch->hp_y + x - ch->hp_x);
        ch->hp_x = x;
        ch->hp_y = hp;
        ch->lp1 = alp * ch->lp1 + (1 - alp) * hp;
        ch->lp2 = alp * ch->lp2 + (1 - alp) * ch->lp1;
        buf[k] += 0.02 * ch->lp2;
    }
}

static double contracture(const channel *ch, double t)
{
    double f = 0.0;
    for (size_t j = 0; j < ch->n_fsegs; j++) {
        const force_seg *g = &ch->fsegs[j];
        if (t < g->t0 || t >= g->t1)
            continue;
        double up = t - g->t0, down = g->t1 - t, a = 1.0;
        if (up < g->ramp)
            a = 0.5 - 0.5 * synth_cos(PI * up / g->ramp);
        if (down < g->ramp)
            a = fmin(a, 0.5 - 0.5 * synth_cos(PI * down / g->ramp));
        f += g->level * a;
    }
    return f;
}

int emg_synth_read(emg_synth *s, const emg_block **block, emg_error *err)
{
    if (s->pos >= s->total)
        return 0;
    s->err = err;
    size_t B = s->block;
    if ((int64_t)B > s->total - s->pos)
        B = (size_t)(s->total - s->pos);
    int64_t n0 = s->pos;
    double t0 = n0 / s->fs, t1 = (n0 + (int64_t)B) / s->fs;
    emg_block_clear(&s->blk);
    int rc = emg_block_reserve(&s->blk, s->n_ch, s->block, err);
    if (rc < 0)
        return rc;
    for (size_t c = 0; c < s->n_ch; c++) {
        channel *ch = &s->ch[c];
        if (!ch->is_emg && ch->role != ROLE_ACCEL)
            continue;
        if (ch->is_emg) {
            update_fatigue(s, ch, 0.5 * (t0 + t1), (double)B / s->fs);
            rate_units(s, ch, t0, t1, n0);
        }
        burst_units(s, ch, t1, n0);
        if (ch->is_emg)
            force_block(s, ch, B);
    }
    const channel *ag = &s->ch[s->agonist];
    for (size_t c = 0; c < s->n_ch; c++) {
        channel *ch = &s->ch[c];
        double *clean = s->normals + s->block; /* scratch after the noise buffer */
        if (ch->is_emg) {
            for (size_t k = 0; k < B; k++)
                clean[k] = ch->acc[k] + ch->crosstalk * ag->acc[k];
        } else if (ch->role == ROLE_FORCE) {
            for (size_t k = 0; k < B; k++)
                clean[k] = ag->force[k] + contracture(ch, (n0 + (int64_t)k) / s->fs);
        } else {
            for (size_t k = 0; k < B; k++)
                clean[k] = ch->acc[k];
            accel_block(s, ch, clean, B);
        }
        finish_channel(s, c, clean, s->blk.data[c], B, n0);
        s->blk.count[c] = B;
    }
    /* Shift the accumulators by one block. */
    size_t len = s->block + s->tail;
    for (size_t c = 0; c < s->n_ch; c++) {
        channel *ch = &s->ch[c];
        if (!ch->acc)
            continue;
        memmove(ch->acc, ch->acc + B, (len - B) * sizeof *ch->acc);
        memset(ch->acc + len - B, 0, B * sizeof *ch->acc);
        memmove(ch->imp, ch->imp + B, (len - B) * sizeof *ch->imp);
        memset(ch->imp + len - B, 0, B * sizeof *ch->imp);
    }
    s->pos += (int64_t)B;
    *block = &s->blk;
    return 1;
}
