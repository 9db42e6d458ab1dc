/* spectrum.c: tapers, periodogram, Welch PSD, STFT and a Welch segment
 * cache, on FFTW3 real-to-complex plans made once per segment length.
 *
 * The estimates reproduce scipy.signal.welch / spectrogram (SciPy 1.10):
 * periodic windows (get_window(..., fftbins=True)), constant detrend per
 * segment, one-sided density scaling 1 / (fs * sum w^2) with the bins between
 * DC and Nyquist doubled, Welch = arithmetic mean of the segment periodograms.
 * References: Welch 1967, IEEE Trans. Audio Electroacoust. 15:70-73;
 * Harris 1978, Proc. IEEE 66:51-83 (windows); Frigo & Johnson 2005, Proc.
 * IEEE 93:216-231 (FFTW). */
#include "emgkit/spectrum.h"
#include "emgkit/gaps.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "spectrum_internal.h"

/* The FFTW planner (and wisdom) is not thread-safe; execution is. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
static int reproducible_plans; /* emg_fftw_reproducible() */
/* Plans are timed (FFTW_MEASURE) only when wisdom is kept (emg_fftw_wisdom_load):
 * timing the candidates cost about 60 ms of CPU per process, serial, a tenth
 * of emg-features' whole run on 10 min x 16 channels, and for the power-of-two
 * segments of Welch estimates FFTW_ESTIMATE's plan is as fast (the benchmark's
 * total CPU time went down by 50 ms); an estimated plan is also the same on
 * every run, where a measured one may change the last bits of spectral
 * features from one run to the next. */
static int measured_plans;

void emg_fftw_reproducible(int on)
{
    reproducible_plans = on;
}

struct emg_psd_plan {
    size_t n, bins;
    double fs, df;
    double scale;    /* 1 / (fs * sum w^2) */
    double *window;  /* n */
    double *in;      /* n, fftw_malloc'd */
    fftw_complex *out; /* bins */
    fftw_plan plan;
};

int emg_taper_from_name(const char *name, emg_taper *taper, double *alpha, emg_error *err)
{
    static const struct { const char *name; emg_taper taper; } names[] = {
        {"hann", EMG_TAPER_HANN}, {"hanning", EMG_TAPER_HANN}, {"hamming", EMG_TAPER_HAMMING},
        {"blackman", EMG_TAPER_BLACKMAN}, {"rectangular", EMG_TAPER_RECTANGULAR},
        {"boxcar", EMG_TAPER_RECTANGULAR}, {"rect", EMG_TAPER_RECTANGULAR},
        {"tukey", EMG_TAPER_TUKEY}};
    char base[32];
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    *alpha = 0.5;
    if (len >= sizeof base)
        return emg_error_set(err, EMG_ERR_ARG, "unknown taper '%s'", name);
    memcpy(base, name, len);
    base[len] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!emgi_str_ieq(base, names[i].name))
            continue;
        *taper = names[i].taper;
        if (colon) {
            char *end;
            double a = strtod(colon + 1, &end);
            if (names[i].taper != EMG_TAPER_TUKEY || *end || end == colon + 1 || !(a >= 0 && a <= 1))
                return emg_error_set(err, EMG_ERR_ARG,
                                     "taper '%s': only tukey takes a parameter, in [0, 1]", name);
            *alpha = a;
        }
        return 0;
    }
    return emg_error_set(err, EMG_ERR_ARG,
                         "unknown taper '%s' (hann, hamming, blackman, rectangular, tukey[:ALPHA])",
                         name);
}

const char *emg_taper_name(emg_taper taper)
{
    switch (taper) {
    case EMG_TAPER_HANN: return "hann";
    case EMG_TAPER_HAMMING: return "hamming";
    case EMG_TAPER_BLACKMAN: return "blackman";
    case EMG_TAPER_RECTANGULAR: return "rectangular";
    case EMG_TAPER_TUKEY: return "tukey";
    }
    return "?";
}

/* Symmetric Tukey window of m points, as scipy.signal.windows.tukey(m, alpha, sym=True);
 * only the first n (<= m) values are written. */
static void tukey_symmetric(double *w, size_t n, size_t m, double alpha)
{
    if (alpha <= 0) {
        for (size_t i = 0; i < n; i++)
            w[i] = 1.0;
        return;
    }
    if (alpha >= 1) {
        for (size_t i = 0; i < n; i++)
            w[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(m - 1));
        return;
    }
    size_t width = (size_t)floor(alpha * (double)(m - 1) / 2.0);
    for (size_t i = 0; i < n; i++) {
        double k = (double)i;
        if (i <= width)
            w[i] = 0.5 * (1 + cos(M_PI * (-1 + 2.0 * k / alpha / (double)(m - 1))));
        else if (i < m - width - 1)
            w[i] = 1.0;
        else
            w[i] = 0.5 * (1 + cos(M_PI * (-2.0 / alpha + 1 + 2.0 * k / alpha / (double)(m - 1))));
    }
}

int emg_taper_fill(double *w, size_t n, emg_taper taper, double alpha, emg_error *err)
{
    if (n < 1)
        return emg_error_set(err, EMG_ERR_ARG, "taper length must be at least 1");
    /* Periodic windows: the symmetric window of n + 1 points without its last
     * point, i.e. the cosine terms use 2 pi k / n. */
    for (size_t i = 0; i < n; i++) {
        double c1 = cos(2 * M_PI * (double)i / (double)n);
        switch (taper) {
        case EMG_TAPER_HANN: w[i] = 0.5 - 0.5 * c1; break;
        case EMG_TAPER_HAMMING: w[i] = 0.54 - 0.46 * c1; break;
        case EMG_TAPER_BLACKMAN:
            w[i] = 0.42 - 0.5 * c1 + 0.08 * cos(4 * M_PI * (double)i / (double)n);
            break;
        case EMG_TAPER_RECTANGULAR: w[i] = 1.0; break;
        case EMG_TAPER_TUKEY: break;
        default: return emg_error_set(err, EMG_ERR_ARG, "unknown taper %d", (int)taper);
        }
    }
    if (taper == EMG_TAPER_TUKEY)
        tukey_symmetric(w, n, n + 1, alpha);
    return 0;
}

int emg_fftw_wisdom_load(const char *path, emg_error *err)
{
    pthread_mutex_lock(&planner_lock);
    measured_plans = 1; /* wisdom is kept: timing plans pays off (even if none is read yet) */
    int ok = fftw_import_wisdom_from_filename(path);
    pthread_mutex_unlock(&planner_lock);
    if (!ok)
        return emg_error_set(err, EMG_ERR_IO, "%s: cannot read FFTW wisdom", path);
    return 0;
}

int emg_fftw_wisdom_save(const char *path, emg_error *err)
{
    pthread_mutex_lock(&planner_lock);
    int ok = fftw_export_wisdom_to_filename(path);
    pthread_mutex_unlock(&planner_lock);
    if (!ok)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot write FFTW wisdom", path);
    return 0;
}

int emg_psd_plan_create(emg_psd_plan **out, size_t n, emg_taper taper, double alpha, double fs,
                        emg_error *err)
{
    *out = NULL;
    if (n < 2 || n > (1u << 26))
        return emg_error_set(err, EMG_ERR_ARG, "segment length %zu out of range [2, 2^26]", n);
    if (!(fs > 0) || !isfinite(fs))
        return emg_error_set(err, EMG_ERR_ARG, "sampling rate must be positive");
    emg_psd_plan *p = emgi_xcalloc(1, sizeof *p, err);
    if (!p)
        return EMG_ERR_NOMEM;
    p->n = n;
    p->bins = n / 2 + 1;
    p->fs = fs;
    p->df = fs / (double)n;
    p->window = malloc(n * sizeof *p->window);
    p->in = fftw_malloc(n * sizeof *p->in);
    p->out = fftw_malloc(p->bins * sizeof *p->out);
    if (!p->window || !p->in || !p->out) {
        emg_psd_plan_destroy(p);
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory for a %zu-point spectrum", n);
    }
    int rc = emg_taper_fill(p->window, n, taper, alpha, err);
    if (rc < 0) {
        emg_psd_plan_destroy(p);
        return rc;
    }
    double sum_w2 = 0;
    for (size_t i = 0; i < n; i++)
        sum_w2 += p->window[i] * p->window[i];
    p->scale = 1.0 / (fs * sum_w2);
    /* With wisdom, MEASURE finds fast plans for the sizes used over and over;
     * very long transforms (whole-recording periodograms) are always planned
     * cheaply. */
    pthread_mutex_lock(&planner_lock);
    unsigned flags = n <= 65536 && measured_plans && !reproducible_plans ? FFTW_MEASURE
                                                                         : FFTW_ESTIMATE;
    p->plan = fftw_plan_dft_r2c_1d((int)n, p->in, p->out, flags);
    pthread_mutex_unlock(&planner_lock);
    if (!p->plan) {
        emg_psd_plan_destroy(p);
        return emg_error_set(err, EMG_ERR_NOMEM, "FFTW could not plan a %zu-point transform", n);
    }
    *out = p;
    return 0;
}

void emg_psd_plan_destroy(emg_psd_plan *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&planner_lock);
    if (p->plan)
        fftw_destroy_plan(p->plan);
    pthread_mutex_unlock(&planner_lock);
    fftw_free(p->in);
    fftw_free(p->out);
    free(p->window);
    free(p);
}

size_t emg_psd_plan_length(const emg_psd_plan *p) { return p->n; }
size_t emg_psd_plan_bins(const emg_psd_plan *p) { return p->bins; }
double emg_psd_plan_df(const emg_psd_plan *p) { return p->df; }

/* The element-wise loops around each transform are a third of a Welch
 * estimate's cost.  They take restrict pointers (so the compiler need not
 * reload the plan's fields after every store) and are compiled twice
 * (EMG_VECTOR_CLONES). */

/* Sum of x[0..n) in four interleaved partial sums: one running sum is a
 * chain of dependent additions (four cycles each), four run side by side (or
 * in one vector register); the result differs from the sequential sum only
 * in rounding. */
static inline double sum4(const double *restrict x, size_t n)
{
    double s[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++)
            s[j] += x[i + (size_t)j];
    for (; i < n; i++)
        s[0] += x[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* in = (x - mean(x)) * window (constant detrend, then taper). */
EMG_VECTOR_CLONES
static void detrend_taper(const double *restrict x, const double *restrict window,
                          double *restrict in, size_t n)
{
    double mean = sum4(x, n) / (double)n;
    for (size_t i = 0; i < n; i++)
        in[i] = (x[i] - mean) * window[i];
}

/* One-sided density: |X_k|^2 scaled, doubled between DC and Nyquist. */
EMG_VECTOR_CLONES
static void one_sided_power(const fftw_complex *restrict out, size_t n, size_t bins, double scale,
                            double *restrict psd)
{
    double s2 = 2 * scale;
    psd[0] = scale * (out[0][0] * out[0][0] + out[0][1] * out[0][1]);
    for (size_t k = 1; k < bins; k++)
        psd[k] = s2 * (out[k][0] * out[k][0] + out[k][1] * out[k][1]);
    if (n % 2 == 0) /* the Nyquist bin has no negative-frequency twin */
        psd[bins - 1] *= 0.5;
}

EMG_VECTOR_CLONES
static void add_to(double *restrict acc, const double *restrict v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        acc[k] += v[k];
}

/* Periodogram of one segment into psd (overwrites). */
static void psd_segment_finite(emg_psd_plan *p, const double *x, double *psd)
{
    detrend_taper(x, p->window, p->in, p->n);
    fftw_execute(p->plan);
    one_sided_power(p->out, p->n, p->bins, p->scale, psd);
}

/* A segment's periodogram; known_finite: the caller has checked x for gaps. */
static void psd_segment(emg_psd_plan *p, const double *x, double *psd, int known_finite)
{
    if (!known_finite && emg_has_gap(x, p->n)) {
        /* missing data: no spectrum (docs/recording-model.md) */
        for (size_t k = 0; k < p->bins; k++)
            psd[k] = NAN;
        return;
    }
    psd_segment_finite(p, x, psd);
}

void emg_psd_segment(emg_psd_plan *p, const double *x, double *psd)
{
    psd_segment(p, x, psd, 0);
}

/* Add one segment's periodogram to acc. */
static void add_segment(emg_psd_plan *p, const double *x, double *acc, double *tmp,
                        int known_finite)
{
    psd_segment(p, x, tmp, known_finite);
    add_to(acc, tmp, p->bins);
}

int emg_welch(emg_psd_plan *p, const double *x, size_t len, size_t overlap, double *psd,
              size_t *n_segments, emg_error *err)
{
    if (overlap >= p->n)
        return emg_error_set(err, EMG_ERR_ARG, "Welch overlap %zu must be below the segment length %zu",
                             overlap, p->n);
    if (len < p->n)
        return emg_error_set(err, EMG_ERR_ARG, "signal of %zu samples shorter than a %zu-sample segment",
                             len, p->n);
    size_t hop = p->n - overlap;
    size_t nseg = (len - p->n) / hop + 1;
    double *tmp = malloc(p->bins * sizeof *tmp);
    if (!tmp)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    memset(psd, 0, p->bins * sizeof *psd);
    size_t used = 0;
    for (size_t s = 0; s < nseg; s++) {
        if (emg_has_gap(x + s * hop, p->n))
            continue; /* a segment touching a gap is left out of the average */
        add_segment(p, x + s * hop, psd, tmp, 1);
        used++;
    }
    for (size_t k = 0; k < p->bins; k++)
        psd[k] = used ? psd[k] / (double)used : NAN;
    free(tmp);
    if (n_segments)
        *n_segments = used;
    return 0;
}

long emg_stft(emg_psd_plan *p, const double *x, size_t len, size_t hop, emg_stft_emit emit,
              void *ctx, emg_error *err)
{
    if (hop < 1)
        return emg_error_set(err, EMG_ERR_ARG, "STFT hop must be at least one sample");
    if (len < p->n)
        return 0;
    double *psd = malloc(p->bins * sizeof *psd);
    if (!psd)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    long frames = 0;
    for (size_t start = 0; start + p->n <= len; start += hop, frames++) {
        emg_psd_segment(p, x + start, psd);
        double centre = ((double)start + (double)p->n / 2.0) / p->fs;
        int rc = emit(ctx, (size_t)frames, centre, psd);
        if (rc < 0) {
            free(psd);
            return rc;
        }
    }
    free(psd);
    return frames;
}

/* ---- Welch segment cache ----------------------------------------------- */

struct emg_welch_cache {
    emg_psd_plan *plan;
    size_t window, hop, step, nseg;
    int shared;         /* step is a multiple of hop: segments recur */
    size_t capacity;    /* ring slots (nseg) */
    long long *key;     /* segment index (start / hop) held by each slot, -1 empty */
    double *spectra;    /* capacity x bins */
    double *tmp;
    size_t computed, reused;
};

int emg_welch_cache_create(emg_welch_cache **out, emg_psd_plan *plan, size_t window,
                           size_t overlap, size_t step, emg_error *err)
{
    *out = NULL;
    if (overlap >= plan->n || window < plan->n || step < 1)
        return emg_error_set(err, EMG_ERR_ARG,
                             "Welch: window %zu, segment %zu, overlap %zu, step %zu inconsistent",
                             window, plan->n, overlap, step);
    emg_welch_cache *c = emgi_xcalloc(1, sizeof *c, err);
    if (!c)
        return EMG_ERR_NOMEM;
    c->plan = plan;
    c->window = window;
    c->hop = plan->n - overlap;
    c->step = step;
    c->nseg = (window - plan->n) / c->hop + 1;
    c->shared = step % c->hop == 0 && step < window;
    c->capacity = c->nseg;
    c->key = malloc(c->capacity * sizeof *c->key);
    c->spectra = malloc(c->capacity * plan->bins * sizeof *c->spectra);
    c->tmp = malloc(plan->bins * sizeof *c->tmp);
    if (!c->key || !c->spectra || !c->tmp) {
        emg_welch_cache_destroy(c);
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory for the Welch cache");
    }
    for (size_t i = 0; i < c->capacity; i++)
        c->key[i] = -1;
    *out = c;
    return 0;
}

void emg_welch_cache_destroy(emg_welch_cache *c)
{
    if (!c)
        return;
    free(c->key);
    free(c->spectra);
    free(c->tmp);
    free(c);
}

int emg_welch_cache_window(emg_welch_cache *c, long long start, const double *x, double *psd,
                           emg_error *err)
{
    return emgi_welch_cache_window(c, start, x, psd, 0, err);
}

int emgi_welch_cache_window(emg_welch_cache *c, long long start, const double *x, double *psd,
                            int known_finite, emg_error *err)
{
    size_t bins = c->plan->bins;
    memset(psd, 0, bins * sizeof *psd);
    if (!c->shared || start < 0 || start % (long long)c->hop != 0) {
        for (size_t s = 0; s < c->nseg; s++)
            add_segment(c->plan, x + s * c->hop, psd, c->tmp, known_finite);
        c->computed += c->nseg;
    } else {
        long long first = start / (long long)c->hop;
        for (size_t s = 0; s < c->nseg; s++) {
            long long key = first + (long long)s;
            size_t slot = (size_t)(key % (long long)c->capacity);
            double *spec = c->spectra + slot * bins;
            if (c->key[slot] != key) {
                psd_segment(c->plan, x + s * c->hop, spec, known_finite);
                c->key[slot] = key;
                c->computed++;
            } else {
                c->reused++;
            }
            add_to(psd, spec, bins);
        }
    }
    for (size_t k = 0; k < bins; k++)
        psd[k] /= (double)c->nseg;
    (void)err;
    return 0;
}

void emg_welch_cache_stats(const emg_welch_cache *c, size_t *computed, size_t *reused)
{
    if (computed)
        *computed = c->computed;
    if (reused)
        *reused = c->reused;
}
