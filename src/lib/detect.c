/* detect.c: muscle activity onset/offset detection on one channel.
 *
 * Every method works on the band-passed signal (20-450 Hz zero-phase
 * Butterworth by default, SENIAM / De Luca 2010) WITHOUT a mains notch: a
 * narrow IIR notch rings for hundreds of ms after a burst (time constant
 * 1/(pi x bandwidth)) and stretches events, whereas hum is stationary, so a
 * rest threshold estimated on the same signal already includes it.
 *
 * Methods and references:
 *  - single threshold: envelope above rest mean + k SD (Hodges & Bui 1996
 *    review the family; k = 3 is the usual choice); by default with
 *    hysteresis, contraction rules and refined onsets (see "THRESHOLD"
 *    below and docs/methods/detection.md), on a rest level from the lowest
 *    consistent cluster of window levels (emg_rest_estimate_lowest);
 *  - Bonato P, D'Alessio T, Knaflitz M (1998) A statistical method for the
 *    measurement of muscle activation intervals from surface myoelectric
 *    signal during gait.  IEEE Trans Biomed Eng 45:287-299.  Pairs of
 *    samples give z = (x1^2 + x2^2) / sigma0^2 ~ chi2(2) at rest, so
 *    P(z > zeta) = exp(-zeta / 2); the state is active when at least r0 of
 *    m successive z exceed zeta, zeta chosen for a false-alarm rate;
 *  - Solnik S, Rider P, Steinweg K, DeVita P, Hortobagyi T (2010)
 *    Teager-Kaiser energy operator signal conditioning improves EMG onset
 *    detection.  Eur J Appl Physiol 110:489-498 (after Li, Zhou & Aruin 2007):
 *    psi = x[n]^2 - x[n-1] x[n+1], rectified, 50 Hz low-pass, threshold
 *    rest mean + j SD;
 *  - Hodges PW, Bui BH (1996) A comparison of computer-based methods for the
 *    determination of onset of muscle contraction using electromyography.
 *    Electroenceph Clin Neurophysiol 101:511-519: rectify, 50 Hz low-pass,
 *    25 ms moving mean above rest mean + 3 SD;
 *  - Lidierth M (1986) A computer based method for automated measurement of
 *    the periods of muscular activity from an EMG and its application to
 *    locomotor EMGs.  Electroenceph Clin Neurophysiol 64:378-380: above the
 *    threshold for at least T1, dips below it shorter than T2 ignored;
 *  - Staude G, Wolf W (1999) Objective motor response onset detection in
 *    surface myoelectric signals.  Med Eng Phys 21:449-467: approximated
 *    GLR test for a variance increase over a sliding window of L samples,
 *    g = L/2 (r - 1 - ln r) with r = var(window) / var(rest), alarm when
 *    g > h, then the change time re-estimated by maximum likelihood
 *    (without the AR pre-whitening of the paper);
 *  - transients: motor-unit-sized potentials on a 3 ms envelope, kept when
 *    shorter than 30 ms (fasciculation potentials last 3-24 ms; Mills 2010,
 *    de Carvalho & Swash 2013). */
#include "emgkit/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/filter.h"
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include "detect_internal.h"
#include "io_internal.h"

/* Rule constants of the detector, one table (docs/methods/detection.md,
 * "Defaults and their sources").  The user-facing defaults (k, k_off,
 * min_duration, merge_gap, rest_window, ...) are EMG_DETECT_OPTIONS_INIT. */
static const struct detect_rules {
    /* Rest level (emg_rest_estimate_lowest). */
    double rest_window;      /* s, 0.2: windows of the lowest cluster, four envelope windows;
                                0.6 s of rest (three windows) is enough */
    size_t rest_min_windows; /* 3: the quietest windows that must agree to anchor the rest
                                cluster (3 x 0.2 s = 0.6 s of rest; one freak window, a
                                dropout or a flat stretch, cannot anchor it alone) */
    double rest_spread;      /* 2.0: a rest window's mean envelope lies within a factor 2
                                (6 dB) of the anchor; activity windows are above.  Rest
                                levels of one stretch vary by less (ECG and electrode
                                noise); a contraction raises the RMS by 10-40 dB */
    double rest_zero;        /* 1e-12 of the largest window level: below, a window is flat
                                (a dropout or digital zero), not rest */
    /* THRESHOLD levels: floors under mean + k SD and mean + k_off SD, from
     * the spread S of the rest windows' levels (largest / smallest, 1-2).
     * The SD of a clean baseline's envelope is 0.1-0.3 of its mean, so
     * mean + 3 SD can lie inside the range over which rest itself drifts
     * between windows (posture, electrode contact, blips): real rest spreads
     * by S = 1.4-2, simulated noise by 1.1-1.15. */
    double on_spread_power;  /* 2: the onset threshold is at least S^2 x rest, beyond the
                                rest range by as much again */
    double off_spread_power; /* 1: the offset threshold is at least S x rest, the top of
                                the rest range */
    double weak_ratio;       /* 0.1 (-20 dB): a segment is split where its envelope stays
                                below a tenth of its own level for a merge gap */
    double core_run;         /* s, 0.075: a contraction holds its envelope above the onset
                                threshold for 1.5 envelope windows without a break (a single
                                potential or blip: about one window) */
    double core_min;         /* s, 0.2: and for at least this long in all */
    /* Edge refinement of THRESHOLD segments (Staude & Wolf 1999: the change
     * time is re-estimated by maximum likelihood near the alarm). */
    double refine_max;       /* s, 0.5: longest walk back from the threshold crossing to
                                where the envelope reaches the rest band */
    double refine_after;     /* s, 0.05: stretch after the crossing whose variance is the
                                active variance of the likelihood ratio (one envelope window) */
    /* Transients (--method transient). */
    double transient_min;    /* s, 0.001: shortest potential kept */
    double transient_merge;  /* s, 0.003: a polyphasic potential dips between its phases */
    double transient_peak;   /* 5: peak at least 5 x the rest RMS */
    double transient_edge;   /* 0.1: a potential's extent is where |y| >= 10 % of its peak */
} RULES = {0.2, 3, 2.0, 1e-12, 2.0, 1.0, 0.1, 0.075, 0.2, 0.5, 0.05, 0.001, 0.003, 5.0, 0.1};

static const char *const method_names[] = {"threshold", "bonato", "tkeo", "hodges",
                                           "lidierth", "aglr", "transient"};

const char *emg_detect_method_name(emg_detect_method m)
{
    return (unsigned)m < sizeof method_names / sizeof *method_names ? method_names[m] : "?";
}

int emg_detect_method_from_name(const char *name, emg_detect_method *out, emg_error *err)
{
    int k = emgi_name_index(method_names, sizeof method_names / sizeof *method_names, name);
    if (k >= 0) {
        *out = (emg_detect_method)k;
        return 0;
    }
    return emg_error_set(err, EMG_ERR_ARG,
                         "unknown detection method '%s' (threshold, bonato, tkeo, hodges, "
                         "lidierth, aglr, transient)", name);
}

void emg_detect_options_burst(emg_detect_options *o)
{
    o->envelope = 0.003;
    o->min_duration = 0.003;
    o->merge_gap = 0.010;
    /* A 3 ms envelope places the edges within a few ms already; the 50 ms
     * likelihood window of the refinement would be longer than the events. */
    o->refine = 0;
}

void emg_detect_result_init(emg_detect_result *r)
{
    memset(r, 0, sizeof *r);
    r->threshold = NAN;
    r->gaps.first = -1;
}

void emg_detect_result_free(emg_detect_result *r)
{
    if (r)
        free(r->events);
    if (r)
        emg_detect_result_init(r);
}

/* ---- building blocks ------------------------------------------------------ */

/* Samples in 20 ms, when four of them fit in n; else 0.  Judged in double:
 * lround(0.02 * fs) overflows for fs above ~4.6e20 and the size_t it gave
 * wrapped, so the fade wrote far past y. */
static size_t fade_length(double fs, size_t n)
{
    double fade = nearbyint(0.02 * fs);
    return fade >= 1 && 4 * fade < (double)n ? (size_t)fade : 0;
}

int detect_band_design(emg_sos *sos, double fs, double band_low, double band_high,
                       emg_error *err)
{
    double hi = fmin(band_high, 0.45 * fs);
    int rc;
    if (band_low <= 0)
        return 0;
    if (hi > band_low * 1.5 && band_high > 0)
        rc = emg_butter_design(sos, EMG_BAND_BANDPASS, 4, band_low, hi, fs, err);
    else if (band_low < 0.45 * fs)
        rc = emg_butter_design(sos, EMG_BAND_HIGHPASS, 4, band_low, 0, fs, err);
    else
        return 0;
    return rc < 0 ? rc : 1;
}

size_t detect_fade_length(double fs, size_t n) { return fade_length(fs, n); }

double detect_fade_gain(size_t i, size_t fade)
{
    return 0.5 - 0.5 * cos(M_PI * (double)i / (double)fade);
}

int emg_detect_bandpass(double *y, const double *x, size_t n, double fs, double band_low,
                        double band_high, emg_error *err)
{
    if (y != x)
        memcpy(y, x, n * sizeof *y);
    if (n < 2)
        return 0;
    emg_sos sos = EMG_SOS_INIT;
    int rc = detect_band_design(&sos, fs, band_low, band_high, err);
    if (rc <= 0)
        return rc;
    rc = emg_sosfiltfilt(&sos, y, n, EMG_PADLEN_DEFAULT, err);
    emg_sos_free(&sos);
    /* The odd extension at the ends turns a noisy first or last sample into
     * a filter transient that looks like a potential: fade the first and
     * last 20 ms in and out (raised cosine) so that nothing is detected there. */
    size_t fade = fade_length(fs, n);
    if (rc == 0 && fade) {
        for (size_t i = 0; i < fade; i++) {
            double g = detect_fade_gain(i, fade);
            y[i] *= g;
            y[n - 1 - i] *= g;
        }
    }
    return rc;
}

int detect_band_reader_open(detect_band_reader *r, emg_sample_read_fn read, void *ctx, size_t n,
                            double fs, double band_low, double band_high, emg_gap_count *gaps,
                            emg_error *err)
{
    memset(r, 0, sizeof *r);
    r->read = read;
    r->ctx = ctx;
    r->n = n;
    r->gaps = gaps;
    r->fade = fade_length(fs, n);
    emg_sos sos = EMG_SOS_INIT;
    int rc = n >= 2 ? detect_band_design(&sos, fs, band_low, band_high, err) : 0;
    if (rc > 0)
        rc = emg_filtfilt_create(&r->ff, &sos, EMG_PADLEN_DEFAULT, err);
    emg_sos_free(&sos);
    if (!r->ff) /* no band-pass: no fades either, as emg_detect_bandpass */
        r->fade = 0;
    if (rc < 0)
        return rc;
    r->y = emgi_xcalloc(DETECT_BAND_CHUNK, sizeof *r->y, err);
    return r->y ? 0 : EMG_ERR_NOMEM;
}

void detect_band_reader_close(detect_band_reader *r)
{
    emg_filtfilt_destroy(r->ff);
    free(r->y);
    memset(r, 0, sizeof *r);
}

int detect_band_reader_next(detect_band_reader *r, size_t *got, emg_error *err)
{
    *got = 0;
    for (;;) {
        if (r->ff && (*got = emg_filtfilt_pull(r->ff, r->y, DETECT_BAND_CHUNK)) > 0)
            break;
        if (r->n_read == r->n) {
            if (!r->ff || r->finished)
                return 0;
            int rc = emg_filtfilt_finish(r->ff, err);
            if (rc < 0)
                return rc;
            r->finished = 1;
            continue;
        }
        size_t c = r->n - r->n_read < DETECT_BAND_CHUNK ? r->n - r->n_read : DETECT_BAND_CHUNK;
        int rc = r->read(r->ctx, r->n_read, c, r->y, err);
        if (rc < 0)
            return rc;
        if (r->gaps)
            emg_gap_count_add(r->gaps, r->y, c, (long long)r->n_read);
        r->n_read += c;
        if (!r->ff) {
            *got = c;
            break;
        }
        if ((rc = emg_filtfilt_push(r->ff, r->y, c, err)) < 0)
            return rc;
    }
    /* the fades of emg_detect_bandpass */
    for (size_t k = 0; k < *got && r->fade; k++) {
        size_t i = r->n_y + k;
        if (i < r->fade)
            r->y[k] *= detect_fade_gain(i, r->fade);
        else if (i >= r->n - r->fade)
            r->y[k] *= detect_fade_gain(r->n - 1 - i, r->fade);
    }
    r->n_y += *got;
    return 1;
}

/* Zero-phase 2nd-order Butterworth low-pass in place (Hodges & Bui, Solnik). */
static int lowpass_in_place(double *y, size_t n, double fc, double fs, emg_error *err)
{
    if (fc >= 0.45 * fs || n < 2)
        return 0;
    emg_sos sos = EMG_SOS_INIT;
    int rc = emg_butter_design(&sos, EMG_BAND_LOWPASS, 2, fc, 0, fs, err);
    if (rc == 0)
        rc = emg_sosfiltfilt(&sos, y, n, EMG_PADLEN_DEFAULT, err);
    emg_sos_free(&sos);
    return rc;
}

static int centred_envelope(double *env, const double *x, size_t n, double fs,
                            emg_envelope_type type, double window, emg_error *err)
{
    size_t win = (size_t)lround(window * fs);
    if (win < 1)
        win = 1;
    size_t half = (win - 1) / 2;
    emg_envelope *e = NULL;
    int rc = emg_envelope_create(&e, type, (double)win / fs, fs, err);
    if (rc < 0)
        return rc;
    /* The trailing window ending at i + half is centred on i. */
    if (n > half) {
        double *tmp = env; /* reuse env: run on x, then shift left by half */
        emg_envelope_execute(e, x, tmp, n);
        memmove(env, env + half, (n - half) * sizeof *env);
    }
    double zero[64] = {0};
    size_t done = n > half ? n - half : 0;
    /* Flush: feed zeros for the last half samples (the window then holds
     * fewer real samples, which only affects the final half-window). */
    while (done < n) {
        size_t k = n - done < 64 ? n - done : 64;
        double out[64];
        emg_envelope_execute(e, zero, out, k);
        memcpy(env + done, out, k * sizeof *env);
        done += k;
    }
    emg_envelope_destroy(e);
    return 0;
}

int emg_centred_rms(double *env, const double *x, size_t n, double fs, double window,
                    emg_error *err)
{
    return centred_envelope(env, x, n, fs, EMG_ENVELOPE_RMS, window, err);
}

typedef struct ranked_window {
    double mean;
    size_t index;
} ranked_window;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked_window *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean < y->mean ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Statistics of env over sample ranges, accumulated range by range in the
 * order given (a caller streaming the envelope gives disjoint ranges in
 * increasing order and feeds every stretch once).  The median and MAD use a
 * thinned copy (<= 20000 samples): the envelope is smooth, and sorting
 * millions of samples per channel would dominate the run time. */
int detect_rest_accum_init(detect_rest_accum *a, size_t count, size_t n_ranges, emg_error *err)
{
    memset(a, 0, sizeof *a);
    a->first = (size_t)-1;
    a->stride = count / 20000 + 1;
    a->thin = emgi_xcalloc(count / a->stride + n_ranges + 1, sizeof *a->thin, err);
    return a->thin ? 0 : EMG_ERR_NOMEM;
}

/* The part [lo, hi) of range [ra, rb) held in env (env[i - lo] is sample i). */
void detect_rest_accum_add(detect_rest_accum *a, const double *env, size_t lo, size_t hi,
                           size_t ra, size_t rb)
{
    size_t from = ra > lo ? ra : lo, to = rb < hi ? rb : hi;
    if (from == ra)
        a->first = ra < a->first ? ra : a->first;
    if (to == rb && rb > a->last)
        a->last = rb;
    if (from >= to)
        return;
    for (size_t i = from; i < to; i++) {
        double v = env[i - lo];
        if (!isfinite(v))
            continue; /* a gap */
        a->sum += v;
        a->sum2 += v * v;
        a->count++;
    }
    /* thinned samples: ra, ra + stride, ... */
    size_t i = ra + (from - ra + a->stride - 1) / a->stride * a->stride;
    for (; i < to; i += a->stride)
        if (isfinite(env[i - lo]))
            a->thin[a->m++] = env[i - lo];
}

int detect_rest_accum_finish(emg_rest_level *out, detect_rest_accum *a, emg_error *err)
{
    if (a->count == 0) {
        free(a->thin);
        a->thin = NULL;
        return emg_error_set(err, EMG_ERR_ARG, "no samples to estimate the rest level from");
    }
    double med = emgi_median_inplace(a->thin, a->m);
    for (size_t i = 0; i < a->m; i++)
        a->thin[i] = fabs(a->thin[i] - med);
    double mad = emgi_median_inplace(a->thin, a->m);
    free(a->thin);
    a->thin = NULL;
    out->mean = a->sum / (double)a->count;
    out->sd = sqrt(fmax(0.0, a->sum2 / (double)a->count - out->mean * out->mean));
    out->median = med;
    out->robust_sd = 1.4826 * mad;
    out->n_samples = a->count;
    out->from = (double)a->first;
    out->to = (double)a->last;
    return 0;
}

void detect_rest_accum_free(detect_rest_accum *a)
{
    free(a->thin);
    a->thin = NULL;
}

/* Statistics of env[0..n) over the windows chosen[0..n_use) of win samples. */
static int rest_stats(emg_rest_level *out, const double *env, size_t n, size_t win,
                      const size_t *chosen, size_t n_use, emg_error *err)
{
    size_t count = 0;
    for (size_t k = 0; k < n_use; k++) {
        size_t a = chosen[k] * win, b = a + win < n ? a + win : n;
        for (size_t i = a; i < b; i++)
            count += isfinite(env[i]) != 0;
    }
    detect_rest_accum acc;
    if (detect_rest_accum_init(&acc, count, n_use, err) < 0)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < n_use; k++) {
        size_t a = chosen[k] * win, b = a + win < n ? a + win : n;
        detect_rest_accum_add(&acc, env, 0, n, a, b);
    }
    return detect_rest_accum_finish(out, &acc, err);
}

size_t detect_rest_window_length(size_t n, double fs, double window)
{
    size_t win = (size_t)lround(window * fs);
    if (win < 1)
        win = 1;
    /* A recording shorter than five windows: shrink the windows so that
     * there are at least five to choose from. */
    if (n < 5 * win)
        win = n / 5 > 0 ? n / 5 : n;
    return win;
}

int detect_rest_choose(size_t *chosen, size_t *n_use, const double *wsum, size_t nw, size_t win,
                       size_t n, double fraction, emg_error *err)
{
    ranked_window *w = emgi_xcalloc(nw, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    size_t ranked = 0;
    for (size_t k = 0; k < nw; k++) {
        size_t a = k * win, b = a + win < n ? a + win : n;
        if (!isfinite(wsum[k]))
            continue; /* a window touching a gap says nothing about rest */
        w[ranked].mean = wsum[k] / (double)(b - a);
        w[ranked++].index = k;
    }
    if (ranked == 0) {
        free(w);
        return emg_error_set(err, EMG_ERR_ARG, "rest level: every window has a gap");
    }
    qsort(w, ranked, sizeof *w, ranked_cmp);
    size_t use = (size_t)ceil(fraction * (double)ranked);
    if (use < 1)
        use = 1;
    if (use > ranked)
        use = ranked;
    for (size_t k = 0; k < use; k++)
        chosen[k] = w[k].index;
    *n_use = use;
    free(w);
    return 0;
}

int detect_rest_interval_samples(size_t *a, size_t *b, double from, double to, size_t n,
                                 double fs, emg_error *err)
{
    *a = from > 0 ? (size_t)(from * fs) : 0;
    *b = (size_t)ceil(to * fs);
    if (*b > n)
        *b = n;
    if (*a >= *b)
        return emg_error_set(err, EMG_ERR_ARG,
                             "rest interval %g-%g s lies outside the recording (%.3f s)", from,
                             to, (double)n / fs);
    return 0;
}

int emg_rest_estimate(emg_rest_level *out, const double *env, size_t n, double fs, double window,
                      double fraction, double from, double to, emg_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || !(fs > 0))
        return emg_error_set(err, EMG_ERR_ARG, "rest level: empty signal");
    if (to > from) {
        size_t a, b;
        int rc = detect_rest_interval_samples(&a, &b, from, to, n, fs, err);
        if (rc < 0)
            return rc;
        size_t one = 0;
        rc = rest_stats(out, env + a, b - a, b - a, &one, 1, err);
        out->from = (double)a / fs;
        out->to = (double)b / fs;
        return rc;
    }
    size_t win = detect_rest_window_length(n, fs, window);
    size_t nw = n / win;
    if (nw == 0)
        nw = 1;
    double *wsum = emgi_xcalloc(nw, sizeof *wsum, err);
    size_t *chosen = emgi_xcalloc(nw, sizeof *chosen, err), n_use = 0;
    int rc = EMG_ERR_NOMEM;
    if (wsum && chosen) {
        for (size_t k = 0; k < nw; k++) {
            size_t a = k * win, b = a + win < n ? a + win : n;
            for (size_t i = a; i < b; i++)
                wsum[k] += env[i];
        }
        rc = detect_rest_choose(chosen, &n_use, wsum, nw, win, n, fraction, err);
    }
    if (rc == 0)
        rc = rest_stats(out, env, n, win, chosen, n_use, err);
    out->from /= fs;
    out->to /= fs;
    free(wsum);
    free(chosen);
    return rc;
}

size_t detect_rest_hop(size_t n, double fs, double window)
{
    size_t hop = (size_t)lround(0.5 * window * fs);
    if (hop < 1)
        hop = 1;
    if (n < 6 * hop) /* a short recording: at least five windows to choose from */
        hop = n / 6 > 0 ? n / 6 : 1;
    return hop;
}

/* The rest blocks of emg_rest_estimate_lowest from the sums bsum[0..nb) of
 * the envelope over hops of `hop` samples (n in all): their indices in
 * increasing order go to blocks[0..*n_blocks) (nb entries), the spread and
 * the unsure flag to out. */
int detect_rest_lowest_blocks(size_t *blocks, size_t *n_blocks, emg_rest_level *out,
                              const double *bsum, size_t nb, size_t hop, size_t n,
                              double fraction, emg_error *err)
{
    ranked_window *w = emgi_xcalloc(nb, sizeof *w, err);
    unsigned char *use = emgi_xcalloc(nb, 1, err);
    int rc = EMG_ERR_NOMEM;
    if (!w || !use)
        goto done;
    size_t nw = 0, span = nb > 1 ? 2 : 1;
    for (size_t k = 0; k + span <= nb; k++) {
        double s = bsum[k] + (span > 1 ? bsum[k + 1] : 0);
        size_t e = (k + span) * hop < n ? (k + span) * hop : n;
        if (!isfinite(s))
            continue; /* a window touching a gap says nothing about rest */
        w[nw].mean = s / (double)(e - k * hop);
        w[nw++].index = k;
    }
    if (nw == 0) {
        rc = emg_error_set(err, EMG_ERR_ARG, "rest level: every window has a gap");
        goto done;
    }
    qsort(w, nw, sizeof *w, ranked_cmp);
    /* Flat windows (a dropout, digital zero) are not rest. */
    size_t lo = 0;
    while (lo + 1 < nw && !(w[lo].mean > RULES.rest_zero * w[nw - 1].mean))
        lo++;
    size_t cap = (size_t)ceil(fraction * (double)nw);
    if (cap < RULES.rest_min_windows)
        cap = RULES.rest_min_windows;
    size_t m = RULES.rest_min_windows, first = nw, count = 0;
    /* The lowest cluster: the quietest m windows that agree within the
     * spread anchor it (looked for among the quietest `fraction`). */
    for (size_t i = lo; i + m <= nw && i < lo + cap; i++) {
        if (w[i + m - 1].mean <= RULES.rest_spread * w[i].mean) {
            first = i;
            break;
        }
    }
    if (first < nw) {
        while (first + count < nw && count < cap &&
               w[first + count].mean <= RULES.rest_spread * w[first].mean)
            count++;
    } else {
        out->unsure = 1;
        first = lo;
        count = cap < nw - lo ? cap : nw - lo;
    }
    /* sorted: the spread of the rest windows is last / first */
    out->spread = w[first].mean > 0 ? w[first + count - 1].mean / w[first].mean : 1.0;
    for (size_t k = first; k < first + count; k++) {
        use[w[k].index] = 1;
        if (span > 1)
            use[w[k].index + 1] = 1;
    }
    size_t nu = 0;
    for (size_t b = 0; b < nb; b++)
        if (use[b])
            blocks[nu++] = b;
    *n_blocks = nu;
    rc = 0;
done:
    free(w);
    free(use);
    return rc;
}

int emg_rest_estimate_lowest(emg_rest_level *out, const double *env, size_t n, double fs,
                             double window, double fraction, double from, double to,
                             emg_error *err)
{
    if (to > from || n == 0 || !(fs > 0))
        return emg_rest_estimate(out, env, n, fs, window, fraction, from, to, err);
    memset(out, 0, sizeof *out);
    /* Half-overlapping windows of two hops each, so that a rest stretch of
     * 1.5 windows still holds two whole windows whatever its alignment. */
    size_t hop = detect_rest_hop(n, fs, window);
    size_t nb = (n + hop - 1) / hop, nu = 0;
    double *bsum = emgi_xcalloc(nb, sizeof *bsum, err);
    size_t *blocks = emgi_xcalloc(nb, sizeof *blocks, err);
    int rc = EMG_ERR_NOMEM;
    if (!bsum || !blocks)
        goto done;
    for (size_t b = 0; b < nb; b++) {
        size_t a = b * hop, e = a + hop < n ? a + hop : n;
        for (size_t i = a; i < e; i++)
            bsum[b] += env[i]; /* a gap makes the block NaN: left out below */
    }
    emg_rest_level sel = {0};
    if ((rc = detect_rest_lowest_blocks(blocks, &nu, &sel, bsum, nb, hop, n, fraction, err)) < 0)
        goto done;
    rc = rest_stats(out, env, n, hop, blocks, nu, err);
    out->unsure = sel.unsure;
    out->spread = sel.spread;
    out->from /= fs;
    out->to /= fs;
done:
    free(bsum);
    free(blocks);
    return rc;
}

int emg_segments_above(size_t **seg, size_t *n_seg, const double *sig, size_t n, double thr,
                       size_t min_len, size_t merge_len, emg_error *err)
{
    size_t cap = 0, m = 0;
    size_t *s = NULL;
    *seg = NULL;
    *n_seg = 0;
    int gap_since = 0; /* a non-finite sample since the previous segment: no merging */
    for (size_t i = 0; i < n;) {
        if (!(sig[i] > thr)) {
            gap_since |= !isfinite(sig[i]);
            i++;
            continue;
        }
        size_t a = i;
        while (i < n && sig[i] > thr)
            i++;
        int bridge = m > 0 && !gap_since && a - s[2 * m - 1] < merge_len;
        gap_since = 0;
        if (bridge) {
            s[2 * m - 1] = i; /* merge with the previous segment */
            continue;
        }
        if (m == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            size_t *g = emgi_xrealloc(s, 2 * ncap, sizeof *s, err);
            if (!g) {
                free(s);
                return EMG_ERR_NOMEM;
            }
            s = g;
            cap = ncap;
        }
        s[2 * m] = a;
        s[2 * m + 1] = i;
        m++;
    }
    size_t k = 0;
    for (size_t j = 0; j < m; j++) {
        if (s[2 * j + 1] - s[2 * j] < min_len)
            continue;
        s[2 * k] = s[2 * j];
        s[2 * k + 1] = s[2 * j + 1];
        k++;
    }
    *seg = s;
    *n_seg = k;
    return 0;
}

/* ---- event measurements --------------------------------------------------- */

/* Phases (sign changes of the excursions beyond the noise band, plus one, as
 * counted for a motor-unit potential in needle EMG) and turns (direction
 * changes larger than twice the noise) over the event. */
static void count_phases_turns(const double *y, size_t a, size_t b, double noise,
                               int *phases, int *turns)
{
    int sign = 0, crossings = 0;
    for (size_t i = a; i < b; i++) {
        if (fabs(y[i]) < 2 * noise)
            continue;
        int s = y[i] > 0 ? 1 : -1;
        if (sign != 0 && s != sign)
            crossings++;
        sign = s;
    }
    *phases = crossings + 1;
    int t = 0, dir = 0;
    double last = y[a];
    for (size_t i = a + 1; i < b; i++) {
        double d = y[i] - last;
        if (dir >= 0 && d < -2 * noise) {
            if (dir > 0)
                t++;
            dir = -1;
            last = y[i];
        } else if (dir <= 0 && d > 2 * noise) {
            if (dir < 0)
                t++;
            dir = 1;
            last = y[i];
        } else if ((dir > 0 && y[i] > last) || (dir < 0 && y[i] < last)) {
            last = y[i];
        }
    }
    *turns = t;
}

static int add_event(emg_detect_result *r, size_t *cap, const double *y, size_t a, size_t b,
                     size_t base, double fs, double noise, emg_error *err)
{
    if (emgi_grow((void **)&r->events, cap, r->n_events + 1, sizeof *r->events, err) < 0)
        return EMG_ERR_NOMEM;
    emg_active_event *e = &r->events[r->n_events++];
    double peak = 0, area = 0, ss = 0;
    for (size_t i = a; i < b; i++) {
        double v = fabs(y[i]);
        peak = v > peak ? v : peak;
        area += v;
        ss += y[i] * y[i];
    }
    e->onset = (double)(base + a) / fs;
    e->duration = (double)(b - a) / fs;
    e->peak = peak;
    e->area = area / fs;
    e->rms = b > a ? sqrt(ss / (double)(b - a)) : 0;
    count_phases_turns(y, a, b, noise, &e->phases, &e->turns);
    return 0;
}

/* ---- methods -------------------------------------------------------------- */

static double default_k(emg_detect_method m)
{
    switch (m) {
    case EMG_DETECT_TKEO: return 15.0;
    case EMG_DETECT_TRANSIENT: return 5.0;
    default: return 3.0;
    }
}

/* P(at least r0 of m Bernoulli(p)) */
static double binom_tail(int m, int r0, double p)
{
    double total = 0;
    for (int k = r0; k <= m; k++) {
        double c = 1;
        for (int j = 0; j < k; j++)
            c = c * (double)(m - j) / (double)(j + 1);
        total += c * pow(p, k) * pow(1 - p, m - k);
    }
    return total;
}

/* Bonato's zeta for a window false-alarm probability pfa. */
static double bonato_zeta(int m, int r0, double pfa)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 100; it++) {
        double p = 0.5 * (lo + hi);
        if (binom_tail(m, r0, p) > pfa)
            hi = p;
        else
            lo = p;
    }
    double p = 0.5 * (lo + hi);
    return -2.0 * log(p);
}

/* Active mask (1 byte per sample) from Bonato's test on y with rest
 * variance v0: in every window of m successive pair statistics with at least
 * r0 above zeta, the samples from the first to the last exceeding pair are
 * active (so the state switches on at the first exceedance, not m pairs
 * before it). */
static int bonato_mask(unsigned char *mask, const double *y, size_t n, double v0,
                       const emg_detect_options *o, emg_error *err)
{
    size_t m = o->bonato_m > 0 ? (size_t)o->bonato_m : 5;
    size_t r0 = o->bonato_r0 > 0 && (size_t)o->bonato_r0 <= m ? (size_t)o->bonato_r0 : 1;
    double pfa = o->bonato_pfa > 0 && o->bonato_pfa < 1 ? o->bonato_pfa : 0.001;
    double zeta = bonato_zeta((int)m, (int)r0, pfa);
    size_t np = n / 2;
    unsigned char *ex = emgi_xcalloc(np + 1, 1, err);
    if (!ex)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < np; k++)
        ex[k] = (y[2 * k] * y[2 * k] + y[2 * k + 1] * y[2 * k + 1]) / v0 > zeta;
    memset(mask, 0, n);
    size_t count = 0;
    for (size_t k = 0; k < np && k < m; k++)
        count += ex[k];
    for (size_t k = 0; k < np; k++) {
        size_t end = k + m < np ? k + m : np;
        if (count >= r0) {
            size_t first = k, last = end - 1;
            while (!ex[first])
                first++;
            while (!ex[last])
                last--;
            memset(mask + 2 * first, 1, 2 * (last - first + 1));
        }
        count -= ex[k];
        if (k + m < np)
            count += ex[k + m];
    }
    free(ex);
    return 0;
}

/* Log-likelihood of y[a..b) as zero-mean Gaussian with variance v, up to a constant. */
static double loglik(const double *cum, size_t a, size_t b, double v)
{
    return -0.5 * (double)(b - a) * log(v) - 0.5 * (cum[b] - cum[a]) / v;
}

/* Maximum-likelihood change time in [lo, hi] between variance v_before (y
 * before the change) and v_after, using y^2 cumulative sums. */
static size_t ml_change(const double *cum, size_t lo, size_t hi, double v_before,
                        double v_after)
{
    size_t best = lo;
    double best_ll = -INFINITY;
    for (size_t j = lo; j <= hi; j++) {
        double ll = loglik(cum, lo, j, v_before) + loglik(cum, j, hi, v_after);
        if (ll > best_ll) {
            best_ll = ll;
            best = j;
        }
    }
    return best;
}

/* AGLR (Staude & Wolf 1999): active mask from the windowed variance test,
 * then each segment's edges moved to their ML change times. */
static int aglr_mask(unsigned char *mask, const double *y, size_t n, double fs, double v0,
                     const emg_detect_options *o, emg_error *err)
{
    size_t L = (size_t)lround(o->aglr_window * fs);
    if (L < 4)
        L = 4;
    double h = o->aglr_h > 0 ? o->aglr_h : 20.0;
    double *cum = emgi_xcalloc(n + 1, sizeof *cum, err);
    if (!cum)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) /* a gap adds nothing (and no NaN to every later sum) */
        cum[i + 1] = cum[i] + (isfinite(y[i]) ? y[i] * y[i] : 0.0);
    memset(mask, 0, n);
    for (size_t i = L; i <= n; i++) {
        double r = (cum[i] - cum[i - L]) / (double)L / v0;
        double g = 0.5 * (double)L * (r - 1 - log(r > 1e-300 ? r : 1e-300));
        if (r > 1 && g > h)
            memset(mask + i - L, 1, L);
    }
    /* Refine edges: the mask over-covers by up to one window at each end. */
    for (size_t i = 0; i < n;) {
        if (!mask[i]) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < n && mask[i])
            i++;
        size_t b = i;
        double v1 = (cum[b] - cum[a]) / (double)(b - a);
        if (v1 <= v0)
            continue;
        size_t lo = a, hi = a + 2 * L < b ? a + 2 * L : b;
        size_t on = ml_change(cum, lo, hi, v0, v1);
        size_t lo2 = b > 2 * L && b - 2 * L > on ? b - 2 * L : on;
        size_t off = ml_change(cum, lo2, b, v1, v0);
        memset(mask + a, 0, b - a);
        if (off > on)
            memset(mask + on, 1, off - on);
    }
    free(cum);
    return 0;
}

/* Turn a 0/1 mask into an envelope-like signal for emg_segments_above. */
static void mask_to_signal(double *sig, const unsigned char *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sig[i] = mask[i] ? 1.0 : 0.0;
}

/* The decision signal is NaN wherever the band-passed signal has a gap, so
 * that emg_segments_above neither keeps nor bridges a segment across it
 * (docs/recording-model.md). */
static void mark_gaps(double *dec, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            dec[i] = NAN;
}

/* The decision signal of the threshold-type methods, in dec. */
static int decision_signal(double *dec, const double *y, size_t n, double fs,
                           const emg_detect_options *o, emg_error *err)
{
    switch (o->method) {
    case EMG_DETECT_TKEO:
        dec[0] = 0;
        for (size_t i = 1; i + 1 < n; i++)
            dec[i] = fabs(y[i] * y[i] - y[i - 1] * y[i + 1]);
        if (n > 1)
            dec[n - 1] = dec[n - 2];
        return lowpass_in_place(dec, n, 50.0, fs, err);
    case EMG_DETECT_HODGES:
    case EMG_DETECT_LIDIERTH: {
        for (size_t i = 0; i < n; i++)
            dec[i] = fabs(y[i]);
        int rc = lowpass_in_place(dec, n, o->hodges_lowpass > 0 ? o->hodges_lowpass : 50.0, fs,
                                  err);
        if (rc < 0 || o->method == EMG_DETECT_LIDIERTH)
            return rc;
        /* 25 ms moving mean (Hodges & Bui's "window" W). */
        double *tmp = emgi_xcalloc(n, sizeof *tmp, err);
        if (!tmp)
            return EMG_ERR_NOMEM;
        rc = centred_envelope(tmp, dec, n, fs, EMG_ENVELOPE_ARV, o->hodges_window, err);
        if (rc == 0)
            memcpy(dec, tmp, n * sizeof *dec);
        free(tmp);
        return rc;
    }
    case EMG_DETECT_TRANSIENT:
        return emg_centred_rms(dec, y, n, fs, 0.003, err);
    default:
        return emg_centred_rms(dec, y, n, fs, o->envelope > 0 ? o->envelope : 0.05, err);
    }
}

/* ---- THRESHOLD: hysteresis, edge refinement, merging ------------------------ */

/* Segments of the envelope with hysteresis: the runs above `off` that reach
 * `on` somewhere.  A contraction whose envelope dips below the onset
 * threshold but stays above the lower offset threshold is one segment
 * (a Schmitt trigger: separate on and off levels, as in the double-threshold
 * detectors reviewed by Staude, Flachenecker, Daumer & Wolf 2001, EURASIP J
 * Appl Signal Process 2001:67-81). */
static int hysteresis_segments(size_t **seg, size_t *ns, const double *env, size_t n, double on,
                               double off, emg_error *err)
{
    int rc = emg_segments_above(seg, ns, env, n, off, 1, 0, err);
    if (rc < 0)
        return rc;
    size_t *s = *seg, k = 0;
    for (size_t j = 0; j < *ns; j++) {
        size_t a = s[2 * j], b = s[2 * j + 1];
        int reaches = 0;
        for (size_t i = a; i < b && !reaches; i++)
            reaches = env[i] > on;
        if (!reaches)
            continue;
        s[2 * k] = a;
        s[2 * k + 1] = b;
        k++;
    }
    *ns = k;
    return 0;
}

/* Maximum-likelihood change time in [lo, hi] of y from zero-mean Gaussian
 * variance vb to va (Staude & Wolf 1999, the refinement step of AGLR);
 * a gap sample adds nothing. */
static size_t ml_change_local(const double *y, size_t lo, size_t hi, double vb, double va)
{
    double total = 0;
    for (size_t i = lo; i < hi; i++)
        total += isfinite(y[i]) ? y[i] * y[i] : 0.0;
    double pre = 0, best_ll = -INFINITY;
    size_t best = lo;
    for (size_t j = lo; j <= hi; j++) {
        double ll = -0.5 * (double)(j - lo) * log(vb) - 0.5 * pre / vb -
                    0.5 * (double)(hi - j) * log(va) - 0.5 * (total - pre) / va;
        if (ll > best_ll) {
            best_ll = ll;
            best = j;
        }
        if (j < hi)
            pre += isfinite(y[j]) ? y[j] * y[j] : 0.0;
    }
    return best;
}

/* Mean square of y over [a, b), gap samples left out. */
static double mean_square(const double *y, size_t a, size_t b)
{
    double s = 0;
    size_t c = 0;
    for (size_t i = a; i < b; i++)
        if (isfinite(y[i])) {
            s += y[i] * y[i];
            c++;
        }
    return c ? s / (double)c : 0.0;
}

/* Contraction rules, per (merged) segment: keep it only when its envelope
 * stays above the onset threshold for core_run without a break somewhere and
 * for core_min in all (one compound potential or movement artefact holds a
 * 50 ms envelope above threshold for about one window; a chain of them
 * joined by the merge gap is still not a contraction), and place its onset
 * at the burst's start: from the first sustained crossing, walk back while
 * the envelope is above the rest band (rest mean + k_off SD, without the
 * offset threshold's floor), so that brief blips before the rise, which
 * fall back into the rest band, do not pull the onset early;
 * then, when `refine`, take the maximum-likelihood change of variance
 * (Staude & Wolf 1999, the refinement step of AGLR) between the rest
 * variance v0 and that of the first 50 ms after the crossing, within half
 * an envelope window of the walked stretch (the envelope spreads a change
 * over its window).  Threshold onsets lag a ramped rise (Hodges & Bui 1996);
 * this undoes most of the lag.  Segments keep their order and never overlap. */
static void settle_onsets(size_t *seg, size_t *ns, const double *y, const double *env,
                          double fs, double on, double rest, double v0, double envw)
{
    size_t maxw = (size_t)lround(RULES.refine_max * fs);
    size_t after = (size_t)lround(RULES.refine_after * fs);
    size_t half = (size_t)lround(0.5 * envw * fs);
    size_t run_min = (size_t)lround(RULES.core_run * fs);
    size_t core_min = (size_t)lround(RULES.core_min * fs);
    if (after < 2)
        after = 2;
    size_t k = 0;
    for (size_t s = 0; s < *ns; s++) {
        size_t a = seg[2 * s], b = seg[2 * s + 1];
        size_t prev_end = k ? seg[2 * k - 1] : 0;
        /* the first sustained crossing and the total time above threshold */
        size_t cross = b, core = 0, run = 0;
        for (size_t i = a; i < b; i++) {
            if (env[i] > on) {
                core++;
                if (++run >= run_min && cross == b)
                    cross = i + 1 - run;
            } else {
                run = 0;
            }
        }
        if (cross == b || core < core_min || core == 0)
            continue;
        size_t i = cross;
        while (i > prev_end && cross - i < maxw && isfinite(env[i - 1]) && env[i - 1] > rest)
            i--;
        size_t onset = i;
        size_t lo = i;
        for (size_t j = 0; j < half && lo > prev_end && isfinite(env[lo - 1]); j++)
            lo--;
        size_t hi = cross + half < b ? cross + half : b;
        double v1 = mean_square(y, cross, cross + after < b ? cross + after : b);
        if (v1 > v0 && hi > lo)
            onset = ml_change_local(y, lo, hi, v0, v1);
        if (onset >= b)
            continue;
        seg[2 * k] = onset;
        seg[2 * k + 1] = b;
        k++;
    }
    *ns = k;
}

/* Growing list of [start, end) sample pairs. */
typedef struct piece_list {
    size_t *v;
    size_t n, cap;
} piece_list;

static int push_piece(piece_list *p, size_t start, size_t end, emg_error *err)
{
    if (p->n + 1 >= p->cap) {
        size_t ncap = 2 * p->cap + 2;
        size_t *g = emgi_xrealloc(p->v, 2 * ncap + 2, sizeof *g, err);
        if (!g)
            return EMG_ERR_NOMEM;
        p->v = g;
        p->cap = ncap;
    }
    p->v[2 * p->n] = start;
    p->v[2 * p->n + 1] = end;
    p->n++;
    return 0;
}

/* Split a (merged) segment where its envelope stays below `ratio` of its
 * own level (the mean envelope over its samples above the onset threshold)
 * for at least min_len samples: a contraction has ended there, and the
 * weaker activity that follows a release (a limb not fully relaxed, tens of
 * dB below the contraction) or a string of rest blips must not join it to
 * the next contraction.  Low-level activity on its own (a strain spasm a
 * few dB above rest) is its own level, so it is never split off itself.
 * *seg is reallocated; returns 0 or EMG_ERR_NOMEM. */
static int split_weak_stretches(size_t **seg, size_t *ns, const double *env, double on,
                                double ratio, size_t min_len, emg_error *err)
{
    size_t *s = *seg;
    piece_list pieces = {emgi_xcalloc(2 * *ns + 2, sizeof *pieces.v, err), 0, *ns};
    if (!pieces.v)
        return EMG_ERR_NOMEM;
    for (size_t j = 0; j < *ns; j++) {
        size_t a = s[2 * j], b = s[2 * j + 1];
        double sum = 0;
        size_t c = 0;
        for (size_t i = a; i < b; i++)
            if (env[i] > on) {
                sum += env[i];
                c++;
            }
        double weak = c ? ratio * sum / (double)c : 0;
        size_t start = a, run = 0;
        for (size_t i = a; i <= b; i++) {
            if (i < b && env[i] < weak) {
                run++;
                continue;
            }
            if (run >= min_len && i - run > start) {
                /* cut: [start, i - run) is one piece, the next starts at i */
                if (push_piece(&pieces, start, i - run, err) < 0) {
                    free(pieces.v);
                    return EMG_ERR_NOMEM;
                }
                start = i;
            } else if (run >= min_len) {
                start = i; /* weak from the start: begin after the run */
            }
            run = 0;
        }
        if (b > start && push_piece(&pieces, start, b, err) < 0) {
            free(pieces.v);
            return EMG_ERR_NOMEM;
        }
    }
    free(s);
    *seg = pieces.v;
    *ns = pieces.n;
    return 0;
}

/* Close gaps shorter than merge_len (never across a gap in the recording:
 * a non-finite sig sample between), then drop segments shorter than
 * min_len; as emg_segments_above does for one threshold. */
static void merge_and_filter(size_t *seg, size_t *ns, const double *sig, size_t min_len,
                             size_t merge_len)
{
    size_t m = 0;
    for (size_t j = 0; j < *ns; j++) {
        size_t a = seg[2 * j], b = seg[2 * j + 1];
        if (m > 0 && a - seg[2 * m - 1] < merge_len) {
            int gap = 0;
            for (size_t i = seg[2 * m - 1]; i < a && !gap; i++)
                gap = !isfinite(sig[i]);
            if (!gap) {
                seg[2 * m - 1] = b;
                continue;
            }
        }
        seg[2 * m] = a;
        seg[2 * m + 1] = b;
        m++;
    }
    size_t k = 0;
    for (size_t j = 0; j < m; j++) {
        if (seg[2 * j + 1] - seg[2 * j] < min_len)
            continue;
        seg[2 * k] = seg[2 * j];
        seg[2 * k + 1] = seg[2 * j + 1];
        k++;
    }
    *ns = k;
}

/* ---- THRESHOLD: levels and segments, shared by the whole-channel and the
 * streamed detector (detect_stream.c) ---------------------------------------- */

double detect_rest_window(void) { return RULES.rest_window; }

double detect_envelope_window(const emg_detect_options *o)
{
    return o->method == EMG_DETECT_THRESHOLD && o->envelope > 0 ? o->envelope : 0.05;
}

void detect_threshold_levels(detect_levels *lv, emg_detect_result *out,
                             const emg_rest_level *rest, double fs, const emg_detect_options *o)
{
    /* Noise variance over the rest windows: the mean square envelope. */
    double v0 = rest->mean * rest->mean + rest->sd * rest->sd;
    if (!(v0 > 0))
        v0 = 1e-30;
    out->noise_rms = sqrt(v0);
    out->rest = *rest;
    double k = isnan(o->k) ? default_k(o->method) : o->k;
    double k_off = isnan(o->k_off) || o->k_off > k ? k : o->k_off;
    double spread = rest->spread > 1 ? rest->spread : 1.0;
    double off = fmax(rest->mean + k_off * rest->sd,
                      pow(spread, RULES.off_spread_power) * rest->mean);
    out->threshold = fmax(rest->mean + k * rest->sd,
                          pow(spread, RULES.on_spread_power) * rest->mean);
    lv->on = out->threshold;
    lv->off = fmin(off, out->threshold);
    lv->band = rest->mean + k_off * rest->sd;
    lv->v0 = v0;
    lv->envw = detect_envelope_window(o);
    lv->min_len = (size_t)lround(o->min_duration * fs);
    lv->merge_len = (size_t)lround(o->merge_gap * fs);
}

size_t detect_threshold_quiet_run(const detect_levels *lv, double fs)
{
    return lv->merge_len + (size_t)lround(RULES.refine_max * fs) +
           (size_t)lround(0.5 * lv->envw * fs) + 2;
}

int detect_threshold_segments(size_t **seg, size_t *ns, const double *y, double *dec, size_t n,
                              double fs, const detect_levels *lv, const emg_detect_options *o,
                              emg_error *err)
{
    int rc;
    mark_gaps(dec, y, n);
    if ((rc = hysteresis_segments(seg, ns, dec, n, lv->on, lv->off, err)) < 0)
        return rc;
    if (!o->refine) { /* burst mode: brief events, no contraction rules */
        merge_and_filter(*seg, ns, dec, lv->min_len, lv->merge_len);
        return 0;
    }
    merge_and_filter(*seg, ns, dec, 0, lv->merge_len);
    if ((rc = split_weak_stretches(seg, ns, dec, lv->on, RULES.weak_ratio,
                                   lv->merge_len > 1 ? lv->merge_len : 1, err)) < 0)
        return rc;
    settle_onsets(*seg, ns, y, dec, fs, lv->on, lv->band, lv->v0, lv->envw);
    merge_and_filter(*seg, ns, dec, lv->min_len, 0);
    return 0;
}

/* One event per segment [seg[2s], seg[2s+1]) of y (whose y[0] is sample
 * `base` of the channel); TRANSIENT trims and checks each potential. */
int detect_add_events(emg_detect_result *out, size_t *cap, const double *y, const size_t *seg,
                      size_t ns, size_t base, double fs, const emg_detect_options *o,
                      emg_error *err)
{
    double tmax = o->transient_max > 0 ? o->transient_max : 0.03;
    int rc = 0;
    for (size_t s = 0; s < ns && rc == 0; s++) {
        size_t a = seg[2 * s], b = seg[2 * s + 1];
        if (o->method == EMG_DETECT_TRANSIENT) {
            /* A potential's extent is measured against its own size: where
             * |y| reaches 10 % of its peak (the band-pass and the envelope
             * spread a large potential's edges into the noise). */
            double peak = 0;
            for (size_t i = a; i < b; i++)
                peak = fmax(peak, fabs(y[i]));
            if (peak < RULES.transient_peak * out->noise_rms)
                continue;
            while (a < b && fabs(y[a]) < RULES.transient_edge * peak)
                a++;
            while (b > a && fabs(y[b - 1]) < RULES.transient_edge * peak)
                b--;
            if ((double)(b - a) / fs > tmax || b <= a)
                continue;
        }
        rc = add_event(out, cap, y, a, b, base, fs, out->noise_rms, err);
    }
    return rc;
}

/* The rest level of the decision signal: the lowest consistent cluster of
 * short windows for THRESHOLD; the other methods keep the quietest
 * rest_fraction of rest_window windows (their fixed SD multiples were tuned
 * on it, and fired more often with the lower cluster level on simulated
 * scenes: docs/methods/detection.md). */
static int rest_estimate(emg_rest_level *rest, const double *dec, size_t n, double fs,
                         const emg_detect_options *o, emg_error *err)
{
    if (o->method == EMG_DETECT_THRESHOLD)
        return emg_rest_estimate_lowest(rest, dec, n, fs, RULES.rest_window, o->rest_fraction,
                                        o->rest_from, o->rest_to, err);
    return emg_rest_estimate(rest, dec, n, fs, o->rest_window, o->rest_fraction, o->rest_from,
                             o->rest_to, err);
}

/* Detect with o->method on the band-passed y; [start, end) sample pairs of
 * the segments go to *seg (malloc'd), their count to *ns. */
static int run_method(emg_detect_result *out, size_t **seg_out, size_t *ns_out, double *y,
                      double *dec, unsigned char *mask, size_t n, double fs,
                      const emg_detect_options *o, emg_error *err)
{
    int rc;
    /* Rest level and noise RMS from the RMS envelope (50 ms or the chosen one). */
    double envw = detect_envelope_window(o);
    if ((rc = emg_centred_rms(dec, y, n, fs, envw, err)) < 0)
        return rc;
    emg_rest_level rest;
    if ((rc = rest_estimate(&rest, dec, n, fs, o, err)) < 0)
        return rc;
    if (o->method == EMG_DETECT_THRESHOLD) {
        detect_levels lv;
        detect_threshold_levels(&lv, out, &rest, fs, o);
        return detect_threshold_segments(seg_out, ns_out, y, dec, n, fs, &lv, o, err);
    }
    int unsure = rest.unsure;
    /* Noise variance over the same windows: the mean square envelope. */
    double v0 = rest.mean * rest.mean + rest.sd * rest.sd;
    if (!(v0 > 0))
        v0 = 1e-30;
    out->noise_rms = sqrt(v0);
    double k = isnan(o->k) ? default_k(o->method) : o->k;
    size_t min_len = (size_t)lround(o->min_duration * fs);
    size_t merge_len = (size_t)lround(o->merge_gap * fs);

    if (o->method == EMG_DETECT_BONATO || o->method == EMG_DETECT_AGLR) {
        out->rest = rest;
        if (o->method == EMG_DETECT_BONATO)
            rc = bonato_mask(mask, y, n, v0, o, err);
        else
            rc = aglr_mask(mask, y, n, fs, v0, o, err);
        if (rc < 0)
            return rc;
        mask_to_signal(dec, mask, n);
        mark_gaps(dec, y, n);
        out->threshold = NAN;
        return emg_segments_above(seg_out, ns_out, dec, n, 0.5, min_len,
                                  merge_len, err);
    }
    if ((rc = decision_signal(dec, y, n, fs, o, err)) < 0)
        return rc;
    if ((rc = rest_estimate(&rest, dec, n, fs, o, err)) < 0)
        return rc;
    out->rest = rest;
    out->rest.unsure |= unsure;
    if (o->method == EMG_DETECT_TRANSIENT) {
        out->threshold = rest.median + k * rest.robust_sd;
        /* Potentials are brief: 1 ms minimum, 3 ms gaps merged (a polyphasic
         * potential dips between phases). */
        min_len = (size_t)lround(RULES.transient_min * fs);
        merge_len = (size_t)lround(RULES.transient_merge * fs);
    } else {
        out->threshold = rest.mean + k * rest.sd;
    }
    if (o->method == EMG_DETECT_LIDIERTH) {
        size_t t1 = (size_t)lround(o->lidierth_t1 * fs), t2 = (size_t)lround(o->lidierth_t2 * fs);
        size_t *seg = NULL, ns = 0;
        if ((rc = emg_segments_above(&seg, &ns, dec, n, out->threshold, t1, t2, err)) < 0)
            return rc;
        memset(mask, 0, n);
        for (size_t s = 0; s < ns; s++)
            memset(mask + seg[2 * s], 1, seg[2 * s + 1] - seg[2 * s]);
        free(seg);
        mask_to_signal(dec, mask, n);
        mark_gaps(dec, y, n);
        return emg_segments_above(seg_out, ns_out, dec, n, 0.5, min_len,
                                  merge_len, err);
    }
    mark_gaps(dec, y, n);
    return emg_segments_above(seg_out, ns_out, dec, n, out->threshold, min_len, merge_len, err);
}

int emg_detect_run(emg_detect_result *out, const double *x, size_t n, double fs,
                   const emg_detect_options *opts, emg_error *err)
{
    emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
    if (opts)
        o = *opts;
    emg_detect_result_init(out);
    if (!(fs > 0))
        return emg_error_set(err, EMG_ERR_ARG, "sampling rate must be > 0");
    emg_gap_count_add(&out->gaps, x, n, 0);
    if (n < 4 || out->gaps.count == n)
        return 0;
    int rc = EMG_ERR_NOMEM;
    double *y = emgi_xcalloc(n, sizeof *y, err);
    double *dec = emgi_xcalloc(n, sizeof *dec, err);
    unsigned char *mask = emgi_xcalloc(n, 1, err);
    if (!y || !dec || !mask)
        goto done;
    if ((rc = emg_detect_bandpass(y, x, n, fs, o.band_low, o.band_high, err)) < 0)
        goto done;
    size_t *seg = NULL, ns = 0, cap = 0;
    if ((rc = run_method(out, &seg, &ns, y, dec, mask, n, fs, &o, err)) < 0)
        goto done;
    rc = detect_add_events(out, &cap, y, seg, ns, 0, fs, &o, err);
    free(seg);
done:
    free(y);
    free(dec);
    free(mask);
    if (rc < 0)
        emg_detect_result_free(out);
    return rc;
}
