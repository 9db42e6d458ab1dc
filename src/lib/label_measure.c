/* label_measure.c: the labeller's measurement stage, one EMG channel at a time.
 *
 * Follows the "signal-processing pitfalls" of docs/spasm-criteria.md:
 *  - rest level from the quietest 20 % of 1 s windows, not the whole file
 *    (a cramp or tonic spasm may fill most of a recording);
 *  - detection on the band-passed signal without a notch (IIR notches ring
 *    for ~1/(pi x bandwidth) after a burst); the quiet-window threshold
 *    already includes any hum; the median frequency is computed after the
 *    mains bins are removed from the spectrum (no ringing, no bias);
 *  - burst edges on a 3 ms envelope, amplitude and co-contraction on a 50 ms
 *    one, rhythm on a 20 ms one;
 *  - one unit or many: phases (baseline crossings beyond the noise band) and
 *    spikes per burst separate a motor-unit potential from a compound burst.
 *
 * Burst rate is the peak of the envelope autocorrelation in 1-20 Hz
 * (criteria page); the median frequency is that of the Welch PSD (Welch
 * 1967) through emg_spectral_stats_compute (features module). */
#include <math.h>
#include <stdlib.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <string.h>

#include "emgkit/detect.h"
#include "emgkit/features.h"
#include "emgkit/filter.h"
#include "emgkit/spectrum.h"
#include "io_internal.h"
#include "label_internal.h"

void lab_channel_free(lab_channel *ch)
{
    if (!ch)
        return;
    free(ch->coarse);
    free(ch->medium);
    free(ch->bursts);
    free(ch->episodes);
    free(ch->gaps);
    free(ch->win_edges);
    memset(ch, 0, sizeof *ch);
}

int lab_gap_between(const lab_channel *ch, double t0, double t1)
{
    for (size_t k = 0; k < ch->n_gaps; k++) {
        double a = (double)ch->gaps[2 * k] / ch->fs, b = (double)ch->gaps[2 * k + 1] / ch->fs;
        if (a < t1 && b > t0)
            return 1;
    }
    return 0;
}


void lab_rest_floor(double *median, double *rsd, const emg_rest_level *r)
{
    *median = r->median > 0 ? r->median : 1e-12;
    *rsd = fmax(r->robust_sd, 0.02 * *median);
}

/* Rest median and robust SD of env, floored so that a digitally silent
 * channel still gives a usable threshold (lab_rest_floor). */
static int rest_of(double *median, double *rsd, const double *env, size_t n, double fs,
                   const emg_label_options *o, emg_error *err)
{
    emg_rest_level r;
    int rc = emg_rest_estimate(&r, env, n, fs, o->rest_window, o->rest_fraction, o->rest_from,
                               o->rest_to, err);
    if (rc < 0)
        return rc;
    lab_rest_floor(median, rsd, &r);
    return 0;
}

/* ---- bursts ---------------------------------------------------------------- */

static void measure_burst(lab_burst *b, const double *y, double fs, double noise,
                          const emg_label_options *o)
{
    double peak = 0;
    for (size_t i = b->a; i < b->b; i++)
        peak = fmax(peak, fabs(y[i]));
    b->peak = peak;
    /* Phases: sign changes between excursions beyond three times the noise
     * RMS and a fifth of the peak, an amplitude criterion as for MUAP phases
     * and turns in needle EMG (Stalberg et al. 1986): the band-pass rings
     * after a large potential (most near a band edge close to Nyquist) and
     * noise rides on a small one; neither is a phase. */
    int sign = 0, crossings = 0;
    double band = fmax(3.0 * noise, 0.2 * peak);
    for (size_t i = b->a; i < b->b; i++) {
        if (fabs(y[i]) < band)
            continue;
        int s = y[i] > 0 ? 1 : -1;
        if (sign && s != sign)
            crossings++;
        sign = s;
    }
    b->phases = crossings + 1;
    /* Spikes: local maxima of |y| above half the peak, at least 2 ms apart
     * (one discharge of a unit gives one such peak; a multiplet gives one
     * per discharge; a compound burst many of varying size). */
    size_t sep = (size_t)lround(0.002 * fs), last = 0;
    int spikes = 0, have = 0;
    double lastv = 0, sum = 0, sum2 = 0;
    for (size_t i = b->a + 1; i + 1 < b->b; i++) {
        double v = fabs(y[i]);
        if (v < 0.5 * peak || v < fabs(y[i - 1]) || v < fabs(y[i + 1]))
            continue;
        if (have && i - last < sep) {
            if (v > lastv) {
                sum += v - lastv;
                sum2 += v * v - lastv * lastv;
                last = i;
                lastv = v;
            }
            continue;
        }
        spikes++;
        sum += v;
        sum2 += v * v;
        have = 1;
        last = i;
        lastv = v;
    }
    b->spikes = spikes > 0 ? spikes : 1;
    if (spikes > 1) {
        double mean = sum / spikes;
        b->spike_cv = sqrt(fmax(0, sum2 / spikes - mean * mean)) / mean;
    } else {
        b->spike_cv = 0;
    }
    /* The potential's own extent: where |y| reaches 10 % of its peak (the
     * threshold crossing of a large potential includes filter tails). */
    size_t ca = b->a, cb = b->b;
    while (ca < cb && fabs(y[ca]) < 0.1 * peak)
        ca++;
    while (cb > ca && fabs(y[cb - 1]) < 0.1 * peak)
        cb--;
    double dur = (double)(cb - ca) / fs;
    /* A motor-unit potential lasts 3-24 ms (criteria page); shorter blips
     * are noise spikes. */
    b->single = dur >= 0.003 && dur <= o->transient_max && b->phases <= o->max_phases &&
                b->spikes <= 2;
}

/* The bursts of the block (channel samples). */
static int find_bursts(lab_channel *ch, const lab_block *blk, const emg_label_options *o,
                       emg_error *err)
{
    double fs = ch->fs;
    size_t *seg = NULL, ns = 0;
    size_t min_len = (size_t)lround(0.001 * fs);
    size_t merge = (size_t)lround(o->burst_merge * fs);
    int rc = emg_segments_above(&seg, &ns, blk->fine, blk->len, ch->thr_fine,
                                min_len ? min_len : 1, merge, err);
    if (rc < 0)
        return rc;
    ch->bursts = emgi_xcalloc(ns + 1, sizeof *ch->bursts, err);
    if (!ch->bursts) {
        free(seg);
        return EMG_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t s = 0; s < ns; s++) {
        lab_burst *b = &ch->bursts[k];
        b->a = seg[2 * s]; /* measured in block samples, kept in channel samples */
        b->b = seg[2 * s + 1];
        measure_burst(b, blk->y, fs, ch->noise_rms, o);
        b->a += blk->base;
        b->b += blk->base;
        if (b->peak >= o->burst_snr * ch->noise_rms)
            k++;
    }
    ch->n_bursts = k;
    free(seg);
    return 0;
}

/* ---- episodes -------------------------------------------------------------- */

typedef struct span {
    size_t a, b;
} span;

static int span_cmp(const void *p, const void *q)
{
    const span *x = p, *y = q;
    return (x->a > y->a) - (x->a < y->a);
}

int lab_window_rest(double *median, double *rsd, const double *edges, size_t nw, size_t w,
                    const emg_label_options *o, emg_error *err)
{
    *median = *rsd = NAN;
    if (nw < 2)
        return 0;
    double *r = emgi_xcalloc(nw, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < nw; k++)
        r[k] = sqrt((edges[k + 1] - edges[k]) / (double)w);
    qsort(r, nw, sizeof *r, emgi_double_cmp);
    size_t q = (size_t)ceil(o->rest_fraction * (double)nw);
    q = q < 2 ? 2 : q > nw ? nw : q;
    *median = emgi_median_inplace(r, q);
    for (size_t k = 0; k < q; k++)
        r[k] = fabs(r[k] - *median);
    *rsd = 1.4826 * emgi_median_inplace(r, q);
    free(r);
    return 0;
}

/* ---- the rest around an episode ---------------------------------------------- */

/* Windows looked at on each side of an episode, at most (the nearest). */
#define LOCAL_REST_MAX_WINDOWS 128

/* The RMS of whole window k of the channel, or NaN when a gap in the
 * recording lies within [from, to) samples (what lies beyond a gap is not
 * around the episode). */
static double window_rms(const lab_channel *ch, size_t k, size_t from, size_t to)
{
    if (lab_gap_between(ch, (double)from / ch->fs, (double)to / ch->fs))
        return NAN;
    return sqrt(fmax(0, ch->win_edges[k + 1] - ch->win_edges[k]) / (double)ch->win_len);
}

/* The p-quantile of v[0..m) (sorted here), NaN when m < 2. */
static double quantile_of(double *v, size_t m, double p)
{
    if (m < 2)
        return NAN;
    qsort(v, m, sizeof *v, emgi_double_cmp);
    double q = fmin(fmax(p, 0), 1) * (double)(m - 1);
    size_t i = (size_t)q;
    return i + 1 < m ? v[i] + (q - (double)i) * (v[i + 1] - v[i]) : v[m - 1];
}

/* Rest noise is not one level: its RMS steps with the electrode-skin
 * contact, skin impedance and cable motion (De Luca et al. 2010; Clancy et
 * al. 2002), and a recording tiled from several rest stretches steps
 * between them (realsim: 1-5x the quietest windows in 0.3-3 s pieces).  The
 * quietest 20 % of the windows give the rest of the quiet stretches only;
 * an episode is judged against the rest around it: the rest_window windows
 * within local_rest s before and after it, the episode itself left out (a
 * cramp that lasts minutes is judged against the rest before and after it)
 * and never beyond a gap in the recording; their local_rest_quantile (the
 * median: other activity nearby, jerks of a run or the beats of a clonus
 * 6-15 s away, fills fewer than half of them).  Where that level stays
 * within rest_k robust SD of the quiet windows (their own window-to-window
 * spread: stationary noise) the rest around is the quiet rest and every
 * measure is as before; above it, the rest around is that much louder. */
double lab_local_rest(const lab_channel *ch, size_t a, size_t b, const emg_label_options *o)
{
    if (!(o->local_rest > 0) || !ch->win_edges || ch->win_len == 0 || !(ch->win_rest > 0))
        return 1.0;
    double v[2 * LOCAL_REST_MAX_WINDOWS];
    size_t m = 0, w = ch->win_len, span = (size_t)(o->local_rest * ch->fs);
    /* before: whole windows ending at or before a, starting within span of it */
    for (size_t k = a / w, n = 0; k > 0 && n < LOCAL_REST_MAX_WINDOWS; n++) {
        k--;
        double r = window_rms(ch, k, k * w, a);
        if (k * w + span < a || isnan(r))
            break;
        v[m++] = r;
    }
    /* after: whole windows starting at or after b, ending within span of it */
    for (size_t k = (b + w - 1) / w, n = 0; k < ch->n_win && n < LOCAL_REST_MAX_WINDOWS;
         k++, n++) {
        double r = window_rms(ch, k, b, (k + 1) * w);
        if ((k + 1) * w > b + span || isnan(r))
            break;
        v[m++] = r;
    }
    double level = quantile_of(v, m, o->local_rest_quantile);
    double rsd = isnan(ch->win_rsd) ? 0 : ch->win_rsd;
    return level > ch->win_rest + o->rest_k * rsd ? level / ch->win_rest : 1.0;
}

/* Does [a, b) hold low-level activity?  Its RMS must stand gap_rise above
 * the rest RMS and 4 standard errors above it: a rest window's RMS varies by
 * rsd, a span of g windows by rsd / sqrt(g). */
static int span_elevated(const double *prefix, size_t a, size_t b, double fs, double rest,
                         double rsd, const emg_label_options *o)
{
    if (!(o->gap_rise > 0) || isnan(rest) || b <= a)
        return 0;
    double rms = sqrt((prefix[b] - prefix[a]) / (double)(b - a));
    double windows = (double)(b - a) / (o->rest_window * fs);
    return rms > rest * (1 + o->gap_rise) && rms > rest + 4 * rsd / sqrt(fmax(windows, 1e-3));
}

/* A gap between two spans of activity holds low-level activity when it is
 * elevated away from the edges (where the neighbours' envelopes spill).
 * Only gaps up to three episode gaps: over longer ones a drifting noise
 * level would pass for activity and join separate events. */
static int gap_active(const double *prefix, size_t a, size_t b, double fs, double rest,
                      double rsd, const emg_label_options *o)
{
    size_t margin = (size_t)lround(o->coarse_window * fs);
    return b > a + 2 * margin + 1 && (double)(b - a) <= 3 * o->episode_gap * fs &&
           span_elevated(prefix, a + margin, b - margin, fs, rest, rsd, o);
}

/* A burst's peak must clear burst_snr times the noise of the rest around
 * its episode, not only of the quiet rest: the spikes of a louder rest are
 * no bursts.  Drops the others (ch->bursts compacted, the episodes'
 * first_burst and n_bursts renumbered). */
static void keep_bursts_over_local_rest(lab_channel *ch, const emg_label_options *o)
{
    size_t kept = 0;
    for (size_t k = 0; k < ch->n_episodes; k++) {
        lab_episode *e = &ch->episodes[k];
        double floor = o->burst_snr * ch->noise_rms * e->local_rest;
        size_t first = kept;
        for (size_t j = e->first_burst; j < e->first_burst + e->n_bursts; j++)
            if (e->local_rest <= 1 || ch->bursts[j].peak >= floor)
                ch->bursts[kept++] = ch->bursts[j];
        e->first_burst = first;
        e->n_bursts = kept - first;
    }
    ch->n_bursts = kept;
}

/* Union of bursts and coarse activity, merged across gaps < episode_gap
 * and across longer gaps that hold low-level activity: the episodes of the
 * block, in channel samples. */
static int build_episodes(lab_channel *ch, const lab_block *blk, const emg_label_options *o,
                          emg_error *err)
{
    double fs = ch->fs, rest = ch->win_rest, rsd = ch->win_rsd;
    const double *prefix = blk->prefix; /* sample base + i is prefix[i] */
    size_t base = blk->base;
    size_t *seg = NULL, ns = 0;
    int rc = emg_segments_above(&seg, &ns, blk->coarse, blk->len, ch->thr_coarse,
                                (size_t)lround(o->min_active * fs), 0, err);
    if (rc < 0)
        return rc;
    span *sp = emgi_xcalloc(ns + ch->n_bursts + 1, sizeof *sp, err);
    if (!sp) {
        free(seg);
        return EMG_ERR_NOMEM;
    }
    size_t m = 0, half = (size_t)lround(0.5 * o->coarse_window * fs);
    for (size_t s = 0; s < ns; s++) {
        size_t a = base + seg[2 * s], b = base + seg[2 * s + 1];
        /* The 50 ms window spreads activity by half a window each side. */
        if (b - a > 2 * half + 1) {
            a += half;
            b -= half;
        }
        sp[m].a = a;
        sp[m].b = b;
        m++;
    }
    free(seg);
    for (size_t k = 0; k < ch->n_bursts; k++) {
        sp[m].a = ch->bursts[k].a;
        sp[m].b = ch->bursts[k].b;
        m++;
    }
    qsort(sp, m, sizeof *sp, span_cmp);
    size_t gap = (size_t)lround(o->episode_gap * fs), ne = 0;
    for (size_t k = 0; k < m; k++) {
        /* Never across a gap in the recording (docs/recording-model.md). */
        if (ne > 0 && !lab_gap_between(ch, (double)sp[ne - 1].b / fs, (double)sp[k].a / fs) &&
            (sp[k].a <= sp[ne - 1].b + gap ||
             gap_active(prefix, sp[ne - 1].b - base, sp[k].a - base, fs, rest, rsd, o))) {
            if (sp[k].b > sp[ne - 1].b)
                sp[ne - 1].b = sp[k].b;
            continue;
        }
        sp[ne++] = sp[k];
    }
    ch->episodes = emgi_xcalloc(ne + 1, sizeof *ch->episodes, err);
    if (!ch->episodes) {
        free(sp);
        return EMG_ERR_NOMEM;
    }
    size_t bi = 0;
    for (size_t k = 0; k < ne; k++) {
        lab_episode *e = &ch->episodes[k];
        e->a = sp[k].a;
        e->b = sp[k].b;
        while (bi < ch->n_bursts && ch->bursts[bi].b <= e->a)
            bi++;
        e->first_burst = bi;
        while (bi < ch->n_bursts && ch->bursts[bi].a < e->b)
            bi++;
        e->n_bursts = bi - e->first_burst;
        e->local_rest = lab_local_rest(ch, e->a, e->b, o);
        e->elevated = span_elevated(prefix, e->a - base, e->b - base, fs,
                                    rest * e->local_rest, rsd * e->local_rest, o);
    }
    ch->n_episodes = ne;
    keep_bursts_over_local_rest(ch, o);
    free(sp);
    return 0;
}

size_t lab_mod_bins(double step)
{
    return (size_t)((LAB_MOD_HIGH_HZ - LAB_MOD_LOW_HZ) / step + 1e-9) + 1;
}

void lab_detrend(double *v, const float *x, size_t n, double dfs)
{
    size_t half = (size_t)(0.5 * dfs);
    double run = 0;
    size_t lo = 0, hi = 0; /* window [lo, hi) */
    for (size_t i = 0; i < n; i++) {
        size_t want_hi = i + half + 1 < n ? i + half + 1 : n;
        size_t want_lo = i > half ? i - half : 0;
        while (hi < want_hi)
            run += x[hi++];
        while (lo < want_lo)
            run -= x[lo++];
        v[i] = x[i] - run / (double)(hi - lo);
    }
}

double lab_goertzel_power(const double *v, size_t n, double f, double dfs)
{
    double w = 2 * M_PI * f / dfs, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = v[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* The envelope spectrum's peak: the frequency of the largest power of the
 * detrended envelope v at 1-20 Hz (0.25 Hz steps) and the share of the
 * 1-20 Hz power within +-spectral_halfwidth of it.  A clonus drives every
 * beat at one frequency, so its envelope spectrum has one sharp peak at the
 * beat rate however the real texture splits the beats into fragments
 * (which inflates the interval CV) or modulates their size (which can put
 * the autocorrelation's strongest early peak on a multiple of the period);
 * a flat spectrum gives the share the width of the window alone (about
 * 0.07 at the defaults). */
static void spectral_peak(lab_episode *e, const double *v, size_t len, double dfs,
                          const emg_label_options *o)
{
    double pw[LAB_PEAK_BINS], total = 0;
    for (size_t k = 0; k < LAB_PEAK_BINS; k++) {
        pw[k] = lab_goertzel_power(v, len, LAB_MOD_LOW_HZ + LAB_PEAK_STEP_HZ * (double)k, dfs);
        total += pw[k];
    }
    size_t best = 0;
    for (size_t k = 1; k < LAB_PEAK_BINS; k++)
        if (pw[k] > pw[best])
            best = k;
    double near = 0, fb = LAB_MOD_LOW_HZ + LAB_PEAK_STEP_HZ * (double)best;
    for (size_t k = 0; k < LAB_PEAK_BINS; k++)
        if (fabs(LAB_MOD_LOW_HZ + LAB_PEAK_STEP_HZ * (double)k - fb) <=
            o->spectral_halfwidth + 1e-9)
            near += pw[k];
    e->spectral_rate = total > 0 ? fb : NAN;
    e->spectral_share = total > 0 ? near / total : NAN;
}

/* Autocorrelation of the decimated medium envelope over the episode (at most
 * the first 10 s) after removing its slow course (a 1 s moving mean), so that
 * the smooth rise and fall of a contraction does not pass for a rhythm: the
 * highest local maximum at lags of 1-20 Hz that stands at least 0.1 above
 * the trough before it. */
static void rhythm_of(lab_episode *e, const lab_channel *ch, const emg_label_options *o,
                      double *scratch)
{
    double dfs = ch->fs / (double)ch->step;
    size_t a = e->a / ch->step, b = e->b / ch->step;
    if (b > ch->nd)
        b = ch->nd;
    if (b > a + (size_t)(10 * dfs))
        b = a + (size_t)(10 * dfs);
    e->burst_rate = e->rhythm = NAN;
    e->spectral_rate = e->spectral_share = NAN;
    e->rhythm_4_7 = 0;
    size_t len = b > a ? b - a : 0;
    size_t lag_min = (size_t)floor(dfs / 20.0), lag_max = (size_t)ceil(dfs / 1.0);
    if (lag_min < 1)
        lag_min = 1;
    if (len < 2 * lag_min + 4)
        return;
    if (lag_max > len / 2)
        lag_max = len / 2;
    /* Detrend: subtract a centred 1 s moving mean (edges: shorter windows). */
    double *v = scratch;
    lab_detrend(v, ch->medium + a, len, dfs);
    double var = 0;
    for (size_t i = 0; i < len; i++)
        var += v[i] * v[i];
    if (!(var > 0))
        return;
    double prev2 = NAN, prev = NAN, trough = 1, best = -1, best_lag = 0;
    double peak_r[64];
    size_t peak_l[64], n_peaks = 0;
    for (size_t l = 1; l <= lag_max + 1 && l < len; l++) {
        double s = 0;
        for (size_t i = 0; i + l < len; i++)
            s += v[i] * v[i + l];
        double r = s / var * (double)len / (double)(len - l); /* unbiased */
        if (!isnan(prev2) && prev >= prev2 && prev > r) {
            size_t pl = l - 1;
            int prominent = prev - trough >= 0.1 && prev > 0;
            if (prominent && pl >= lag_min && pl <= lag_max && n_peaks < 64) {
                peak_r[n_peaks] = prev;
                peak_l[n_peaks++] = pl;
                best = fmax(best, prev);
            }
        }
        if (!isnan(prev) && prev < trough)
            trough = prev;
        prev2 = prev;
        prev = r;
    }
    /* The period is the earliest peak nearly as high as the highest (a
     * rhythm also correlates at two and three periods). */
    for (size_t k = 0; k < n_peaks; k++) {
        if (peak_r[k] >= 0.8 * best) {
            best_lag = (double)peak_l[k];
            best = peak_r[k];
            break;
        }
    }
    if (best_lag > 0) {
        /* Parabolic interpolation of the peak: lags are only 5 ms apart, too
         * coarse at 8 Hz, where clonus ends and tremor begins. */
        size_t L = (size_t)best_lag;
        double r_m = 0, r_0 = 0, r_p = 0;
        for (size_t i = 0; i + L + 1 < len; i++) {
            r_m += v[i] * v[i + L - 1];
            r_0 += v[i] * v[i + L];
            r_p += v[i] * v[i + L + 1];
        }
        double den = r_m - 2 * r_0 + r_p, shift = den < 0 ? 0.5 * (r_m - r_p) / den : 0;
        if (fabs(shift) < 1)
            best_lag += shift;
        e->burst_rate = dfs / best_lag;
        e->rhythm = best;
    }
    /* Modulation share: power of the detrended envelope at 4-7 Hz over its
     * power at 1-20 Hz (Goertzel at 0.5 Hz steps), the "common drive" of
     * dystonic co-contraction (criteria page). */
    double p47 = 0, pall = 0;
    for (size_t k = 0, nf = lab_mod_bins(LAB_MOD_STEP_HZ); k < nf; k++) {
        double f = LAB_MOD_LOW_HZ + LAB_MOD_STEP_HZ * (double)k;
        double pw = lab_goertzel_power(v, len, f, dfs);
        pall += pw;
        if (f >= o->dystonic_low && f <= o->dystonic_high)
            p47 += pw;
    }
    e->rhythm_4_7 = pall > 0 ? p47 / pall : 0;
    spectral_peak(e, v, len, dfs, o);
}

/* Coarse-envelope measures: amplitude and level over rest, rise time, and
 * the fraction of the episode with the medium envelope active. */
static void levels_of(lab_episode *e, const lab_channel *ch, double *scratch)
{
    size_t a = e->a / ch->step, b = e->b / ch->step + 1;
    if (b > ch->nd)
        b = ch->nd;
    if (a >= b) {
        e->amp_over_rest = e->level_over_rest = e->duty = NAN;
        e->rise_time = NAN;
        return;
    }
    /* Over the rest around the episode (lab_local_rest). */
    double rest = ch->rest_coarse * e->local_rest, thr = ch->thr_medium * e->local_rest;
    double peak = 0;
    size_t active = 0;
    for (size_t i = a; i < b; i++) {
        peak = fmax(peak, ch->coarse[i]);
        active += ch->medium[i] > thr;
        scratch[i - a] = ch->coarse[i];
    }
    e->duty = (double)active / (double)(b - a);
    e->amp_over_rest = peak / rest;
    e->level_over_rest = emgi_median_inplace(scratch, b - a) / rest;
    /* Rise: 10 % to 90 % of the plateau (90th percentile of the first 10 s). */
    double dfs = ch->fs / (double)ch->step;
    size_t c = b - a > (size_t)(10 * dfs) ? a + (size_t)(10 * dfs) : b;
    for (size_t i = a; i < c; i++)
        scratch[i - a] = ch->coarse[i];
    qsort(scratch, c - a, sizeof *scratch, emgi_double_cmp);
    double plateau = scratch[(size_t)(0.9 * (double)(c - a - 1))];
    double base = rest, lo = base + 0.1 * (plateau - base),
           hi = base + 0.9 * (plateau - base);
    /* Search from half a second before the episode (the coarse envelope
     * starts rising before the first burst edge). */
    size_t start = a > (size_t)(0.5 * dfs) ? a - (size_t)(0.5 * dfs) : 0;
    size_t t10 = start, t90 = c;
    while (t10 < c && ch->coarse[t10] < lo)
        t10++;
    t90 = t10;
    while (t90 < c && ch->coarse[t90] < hi)
        t90++;
    e->rise_time = (double)(t90 - t10) / dfs;
    /* Waxing and waning: CV of the 0.5 s means of the coarse envelope over
     * the middle 80 % of the episode (a held voluntary contraction is
     * steady; a cramp's discharge swells and fades). */
    size_t len = b - a, blk = (size_t)(0.5 * dfs);
    size_t m0 = a + len / 10, m1 = b - len / 10;
    e->waxing = NAN;
    if (blk >= 1 && m1 > m0 + 4 * blk) {
        /* Residual CV about a straight line, so that the steady amplitude
         * rise of a fatiguing contraction is not taken for waxing. */
        double st = 0, sy = 0, stt = 0, sty = 0, syy = 0;
        size_t nb = 0;
        for (size_t i = m0; i + blk <= m1; i += blk) {
            double mu = 0;
            for (size_t j = i; j < i + blk; j++)
                mu += ch->coarse[j];
            mu /= (double)blk;
            double t = (double)nb;
            st += t;
            sy += mu;
            stt += t * t;
            sty += t * mu;
            syy += mu * mu;
            nb++;
        }
        double nn = (double)nb, den = nn * stt - st * st;
        double slope = den > 0 ? (nn * sty - st * sy) / den : 0;
        double icpt = (sy - slope * st) / nn;
        double sse = syy - 2 * slope * sty - 2 * icpt * sy + slope * slope * stt +
                     2 * slope * icpt * st + nn * icpt * icpt;
        double mean = sy / nn;
        e->waxing = sqrt(fmax(0, sse / nn)) / mean;
    }
}

/* Burst statistics.  Durations, intervals and their regularity use the
 * "major" bursts (peak at least a quarter of the episode's largest), so that
 * small fragments of low-level firing between beats do not break a rhythm;
 * single-unit shape and multiplets use every burst. */
static void bursts_of(lab_episode *e, const lab_channel *ch, double fs,
                      const emg_label_options *o, double *scratch)
{
    const lab_burst *b = ch->bursts + e->first_burst;
    size_t n = e->n_bursts;
    e->burst_duration = e->longest_burst = e->interval_cv = e->interval_rate = NAN;
    e->median_interval = e->single_fraction = e->spikes = NAN;
    e->sustained_share = 0;
    e->peak_snr = NAN;
    e->max_phases = 0;
    e->multiplets = 0;
    e->n_major = 0;
    if (n == 0)
        return;
    size_t singles = 0, spikes = 0;
    double longest = 0, maxpeak = 0, long_time = 0;
    for (size_t k = 0; k < n; k++) {
        double d = (double)(b[k].b - b[k].a) / fs;
        longest = fmax(longest, d);
        maxpeak = fmax(maxpeak, b[k].peak);
        singles += b[k].single;
        spikes += (size_t)b[k].spikes;
        if (d > o->brief_max)
            long_time += d;
        if (b[k].phases > e->max_phases)
            e->max_phases = b[k].phases;
    }
    e->longest_burst = longest;
    e->peak_snr = ch->noise_rms > 0 ? maxpeak / (ch->noise_rms * e->local_rest) : NAN;
    e->single_fraction = (double)singles / (double)n;
    e->spikes = (double)spikes / (double)n;
    e->sustained_share = e->duration > 0 ? long_time / e->duration : 0;
    /* Multiplets: runs of bursts whose gaps are below multiplet_isi, counting
     * the spikes of the run. */
    size_t gap = (size_t)lround(o->multiplet_isi * fs);
    int run_spikes = b[0].spikes, uniform = b[0].spike_cv <= 0.3;
    for (size_t k = 1; k <= n; k++) {
        if (k < n && b[k].a - b[k - 1].b < gap) {
            run_spikes += b[k].spikes;
            uniform &= b[k].spike_cv <= 0.3;
            continue;
        }
        if (run_spikes >= o->multiplet_spikes && uniform)
            e->multiplets++;
        if (k < n) {
            run_spikes = b[k].spikes;
            uniform = b[k].spike_cv <= 0.3;
        }
    }
    /* Beats: major bursts, merged when closer than a fifth of the rhythm's
     * period (a compound beat breaks into fragments on a 3 ms envelope). */
    double merge_s = !isnan(e->burst_rate) && e->rhythm >= 0.2 ? 0.2 / e->burst_rate
                                                                : o->burst_merge;
    /* ... but never across a gap of 30 ms: the autocorrelation may lock on
     * twice the period, and two beats must not become one. */
    merge_s = fmin(fmax(merge_s, o->burst_merge), 2 * o->burst_merge);
    size_t merge = (size_t)lround(merge_s * fs);
    size_t m = 0, major_singles = 0, beat_a = 0, beat_b = 0, prev_a = 0;
    int beat_single = 1, open = 0;
    double sum = 0, sum2 = 0;
    size_t ni = 0;
    double *iv = scratch + n;
    for (size_t k = 0; k <= n; k++) {
        int major = k < n && b[k].peak >= 0.25 * maxpeak;
        if (k < n && !major)
            continue;
        if (k < n && open && b[k].a < beat_b + merge) {
            beat_b = b[k].b > beat_b ? b[k].b : beat_b;
            beat_single = 0; /* several fragments: not one potential */
            continue;
        }
        if (open) { /* close the current beat */
            scratch[m] = (double)(beat_b - beat_a) / fs;
            major_singles += (size_t)beat_single;
            if (m > 0) {
                double d = (double)(beat_a - prev_a) / fs;
                iv[ni++] = d;
                sum += d;
                sum2 += d * d;
            }
            prev_a = beat_a;
            m++;
        }
        if (k < n) {
            beat_a = b[k].a;
            beat_b = b[k].b;
            beat_single = b[k].single;
            open = 1;
        }
    }
    e->n_major = m;
    e->major_single_fraction = m ? (double)major_singles / (double)m : NAN;
    e->burst_duration = emgi_median_inplace(scratch, m);
    if (ni >= 1) {
        double mean = sum / (double)ni;
        if (ni >= 2)
            e->interval_cv = sqrt(fmax(0, sum2 / (double)ni - mean * mean)) / mean;
        e->median_interval = emgi_median_inplace(iv, ni);
        e->interval_rate = 1.0 / e->median_interval;
    }
}

void lab_recount_singles(lab_channel *ch)
{
    for (size_t k = 0; k < ch->n_episodes; k++) {
        lab_episode *e = &ch->episodes[k];
        const lab_burst *b = ch->bursts + e->first_burst;
        size_t singles = 0, major = 0, major_singles = 0;
        double maxpeak = 0;
        for (size_t j = 0; j < e->n_bursts; j++)
            maxpeak = fmax(maxpeak, b[j].peak);
        for (size_t j = 0; j < e->n_bursts; j++) {
            singles += b[j].single;
            if (b[j].peak >= 0.25 * maxpeak) {
                major++;
                major_singles += b[j].single;
            }
        }
        if (e->n_bursts) {
            e->single_fraction = (double)singles / (double)e->n_bursts;
            double f = major ? (double)major_singles / (double)major : NAN;
            /* Synchrony only turns singles off: never raise the beat-based value. */
            if (isnan(e->major_single_fraction))
                e->major_single_fraction = f;
            else if (!isnan(f))
                e->major_single_fraction = fmin(e->major_single_fraction, f);
        }
    }
}

/* A part [a, b) of an episode measured as an episode of its own (rule 5,
 * mixed patterns): the bursts it holds, rhythm, beats and levels from the
 * kept envelopes; the median frequency needs the band-passed signal, which
 * is gone by now, so the part keeps its parent's. */
int lab_measure_part(lab_episode *part, const lab_channel *ch, const lab_episode *parent,
                     size_t a, size_t b, const emg_label_options *o, emg_error *err)
{
    memset(part, 0, sizeof *part);
    part->a = a;
    part->b = b;
    part->local_rest = parent->local_rest;
    size_t k = parent->first_burst, end = parent->first_burst + parent->n_bursts;
    /* The part's bursts are those that start in it: a long burst that began
     * in the segment before belongs to that segment. */
    while (k < end && ch->bursts[k].a < a)
        k++;
    part->first_burst = k;
    while (k < end && ch->bursts[k].a < b)
        k++;
    part->n_bursts = k - part->first_burst;
    part->duration = (double)(b - a) / ch->fs;
    /* Scratch: the decimated span (levels, rhythm) or two values per burst. */
    size_t need = (b - a) / ch->step + 2;
    if (need < 2 * part->n_bursts + 2)
        need = 2 * part->n_bursts + 2;
    double *scratch = emgi_xcalloc(need, sizeof *scratch, err);
    if (!scratch)
        return EMG_ERR_NOMEM;
    rhythm_of(part, ch, o, scratch);
    bursts_of(part, ch, ch->fs, o, scratch);
    levels_of(part, ch, scratch);
    part->mdf = parent->mdf;
    part->rest_mdf = parent->rest_mdf;
    free(scratch);
    return 0;
}

/* ---- median frequency ------------------------------------------------------ */

typedef struct psd_cache {
    size_t len[4];
    emg_psd_plan *plan[4];
    double *psd;
} psd_cache;

static emg_psd_plan *plan_for(psd_cache *pc, size_t len, double fs, emg_error *err)
{
    for (int k = 0; k < 4; k++)
        if (pc->plan[k] && pc->len[k] == len)
            return pc->plan[k];
    for (int k = 0; k < 4; k++) {
        if (pc->plan[k])
            continue;
        if (emg_psd_plan_create(&pc->plan[k], len, EMG_TAPER_HANN, 0.5, fs, err) < 0)
            return NULL;
        pc->len[k] = len;
        return pc->plan[k];
    }
    return NULL;
}

static void psd_cache_free(psd_cache *pc)
{
    for (int k = 0; k < 4; k++)
        emg_psd_plan_destroy(pc->plan[k]);
    free(pc->psd);
}

/* Welch segment length: the power of two of at least 128 ms. */
static size_t welch_segment(double fs)
{
    size_t seg = 1;
    while ((double)seg < 0.128 * fs)
        seg <<= 1;
    return seg;
}

/* Median frequency in the band of psd (bins of df Hz), the mains harmonics
 * (+-2 Hz) replaced by a line between their neighbours (in place). */
static double mdf_of_psd(double *psd, size_t bins, double df, double fs, double mains,
                         double f_low, double f_high)
{
    if (mains > 0) {
        for (double h = mains; h < 0.5 * fs; h += mains) {
            long lo = (long)floor((h - 2.0) / df) - 1, hi = (long)ceil((h + 2.0) / df) + 1;
            if (lo < 1 || (size_t)hi >= bins)
                continue;
            for (long k = lo + 1; k < hi; k++)
                psd[k] = psd[lo] + (psd[hi] - psd[lo]) * (double)(k - lo) / (double)(hi - lo);
        }
    }
    emg_spectral_stats st;
    emg_spectral_stats_compute(&st, psd, bins, df, f_low, f_high);
    return st.mdf;
}

/* Welch PSD of y over the episode (at most 10 s from its middle), mains
 * harmonics replaced by their neighbours, median frequency in the band. */
static double mdf_of(const lab_episode *e, const double *y, double fs, double mains,
                     double f_low, double f_high, psd_cache *pc, emg_error *err)
{
    size_t seg = welch_segment(fs);
    size_t len = e->b - e->a, a = e->a;
    while (seg > 64 && seg > len)
        seg >>= 1;
    if (len < seg || seg < 32)
        return NAN;
    if ((double)len > 10 * fs) {
        a += (len - (size_t)(10 * fs)) / 2;
        len = (size_t)(10 * fs);
    }
    emg_psd_plan *p = plan_for(pc, seg, fs, err);
    if (!p)
        return NAN;
    size_t bins = emg_psd_plan_bins(p);
    double *psd = emgi_xrealloc(pc->psd, 8192 > bins ? 8192 : bins, sizeof *psd, err);
    if (!psd)
        return NAN;
    pc->psd = psd;
    if (emg_welch(p, y + a, len, seg / 2, psd, NULL, err) < 0)
        return NAN;
    return mdf_of_psd(psd, bins, emg_psd_plan_df(p), fs, mains, f_low, f_high);
}

/* ---- the rest's spectrum ------------------------------------------------------ */

int lab_rest_spectrum_open(lab_rest_spectrum *r, double fs, emg_error *err)
{
    memset(r, 0, sizeof *r);
    r->seg = welch_segment(fs);
    if (r->seg < 32)
        return 0;
    if (emg_psd_plan_create(&r->plan, r->seg, EMG_TAPER_HANN, 0.5, fs, err) < 0)
        return EMG_ERR_NOMEM;
    r->bins = emg_psd_plan_bins(r->plan);
    r->sum = emgi_xcalloc(r->bins, sizeof *r->sum, err);
    r->psd = emgi_xcalloc(r->bins, sizeof *r->psd, err);
    return r->sum && r->psd ? 0 : EMG_ERR_NOMEM;
}

int lab_rest_spectrum_add(lab_rest_spectrum *r, const double *y, size_t len, emg_error *err)
{
    size_t n = 0;
    if (!r->plan || len < r->seg)
        return 0;
    if (emg_welch(r->plan, y, len, r->seg / 2, r->psd, &n, err) < 0)
        return EMG_ERR_ARG;
    for (size_t k = 0; n > 0 && k < r->bins; k++)
        r->sum[k] += (double)n * r->psd[k];
    r->n_segments += n;
    return 0;
}

double lab_rest_spectrum_mdf(lab_rest_spectrum *r, double fs, double mains, double f_low,
                             double f_high)
{
    if (!r->plan || r->n_segments == 0)
        return NAN;
    for (size_t k = 0; k < r->bins; k++)
        r->psd[k] = r->sum[k] / (double)r->n_segments;
    return mdf_of_psd(r->psd, r->bins, emg_psd_plan_df(r->plan), fs, mains, f_low, f_high);
}

void lab_rest_spectrum_close(lab_rest_spectrum *r)
{
    emg_psd_plan_destroy(r->plan);
    free(r->sum);
    free(r->psd);
    memset(r, 0, sizeof *r);
}

/* ---- the block -------------------------------------------------------------- */

int lab_measure_block(lab_channel *ch, const lab_block *blk, const emg_label_options *o,
                      emg_error *err)
{
    int rc;
    if (ch->n < 16)
        return 0;
    if ((rc = find_bursts(ch, blk, o, err)) < 0 || (rc = build_episodes(ch, blk, o, err)) < 0)
        return rc;
    psd_cache pc;
    memset(&pc, 0, sizeof pc);
    double *scratch = NULL;
    size_t cap = 0;
    rc = 0;
    for (size_t k = 0; rc == 0 && k < ch->n_episodes; k++) {
        lab_episode *e = &ch->episodes[k];
        /* Scratch: the decimated span (levels, rhythm) or two values per burst. */
        size_t need = (e->b - e->a) / ch->step + 2;
        if (need < 2 * e->n_bursts + 2)
            need = 2 * e->n_bursts + 2;
        if (emgi_grow((void **)&scratch, &cap, need, sizeof *scratch, err) < 0) {
            rc = EMG_ERR_NOMEM;
            break;
        }
        e->duration = (double)(e->b - e->a) / ch->fs;
        rhythm_of(e, ch, o, scratch);
        bursts_of(e, ch, ch->fs, o, scratch);
        levels_of(e, ch, scratch);
        lab_episode in_block = *e; /* the band-passed signal is the block's */
        in_block.a -= blk->base;
        in_block.b -= blk->base;
        e->mdf = mdf_of(&in_block, blk->y, ch->fs, ch->mains, o->band_low,
                        fmin(ch->band_high, 0.5 * ch->fs), &pc, err);
        e->rest_mdf = ch->rest_mdf;
    }
    free(scratch);
    psd_cache_free(&pc);
    return rc;
}

int lab_force_segments(size_t **seg, size_t *n_seg, const double *x, size_t n, double fs,
                       const emg_label_options *o, emg_error *err)
{
    *seg = NULL;
    *n_seg = 0;
    if (n < 16)
        return 0;
    double *d = emgi_xcalloc(n, sizeof *d, err), *s = emgi_xcalloc(n, sizeof *s, err);
    int rc = EMG_ERR_NOMEM;
    if (!d || !s)
        goto done;
    /* Smoothed level (0.2 s moving mean).  The rest level is that of the
     * quietest windows, ranked by their mean level for a force (a
     * contraction raises it); the excursion from rest in either direction
     * counts, so a sensor wired with the opposite sign works too. */
    memcpy(d, x, n * sizeof *d);
    emg_envelope *e = NULL;
    if ((rc = emg_envelope_create(&e, EMG_ENVELOPE_ARV, 0.2, fs, err)) < 0)
        goto done;
    double lo = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) /* a gap is no level (docs/recording-model.md) */
            lo = fmin(lo, x[i]);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i] - lo; /* non-negative, so the ARV is the moving mean */
    emg_envelope_execute(e, d, s, n);
    emg_envelope_destroy(e);
    double rest, rsd;
    if ((rc = rest_of(&rest, &rsd, s, n, fs, o, err)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        s[i] = fabs(s[i] - rest);
    rest = 0;
    double peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fmax(peak, s[i]);
    /* At least 5 % of the largest excursion: a force sensor's drift is not a contraction. */
    double thr = fmax(rest + o->force_k * rsd, rest + 0.05 * (peak - rest));
    rc = emg_segments_above(seg, n_seg, s, n, thr, (size_t)lround(0.5 * fs),
                            (size_t)lround(0.5 * fs), err);
    /* The 0.2 s trailing window delays the edges by 0.1 s. */
    size_t half = (size_t)lround(0.1 * fs);
    for (size_t k = 0; rc == 0 && k < *n_seg; k++) {
        (*seg)[2 * k] = (*seg)[2 * k] > half ? (*seg)[2 * k] - half : 0;
        (*seg)[2 * k + 1] = (*seg)[2 * k + 1] > half ? (*seg)[2 * k + 1] - half : 0;
    }
done:
    free(d);
    free(s);
    return rc;
}
