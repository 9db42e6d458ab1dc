/* label_stream.c: the labeller's data flow over a recording read block by
 * block, so that memory holds a block, not the recording (issue 13).
 *
 * Each EMG channel is read three times through the streaming zero-phase
 * band-pass (detect_band_reader):
 *   1. its gaps, the mains frequency, and the sums over the rest windows of
 *      the coarse and fine envelopes (full rate) and of the medium envelope
 *      (decimated), and the running sum of y^2 at the edges of the
 *      rest_window windows (lab_window_rest);
 *   2. the rest statistics over the windows chosen from those sums, as
 *      emg_rest_estimate chooses them on the whole envelope: the levels and
 *      thresholds of the channel;
 *   3. the bursts, episodes and their measures (lab_measure_block), block by
 *      block, with the channels of a --pair together (their cross-channel
 *      measures need both at once).  A block ends in the middle of a
 *      stretch where every channel of the group is quiet (both envelopes at
 *      or below their thresholds) for longer than three episode gaps: no
 *      episode is merged across such a stretch (label_measure.c merges across
 *      at most three), so the episodes are those of the whole recording.
 *      Without such a stretch the block grows up to the larger of the
 *      budget and DETECT_GROW_LIMIT_BYTES, then ends where it is (a forced
 *      cut: the episode across it is measured as two parts, which grouping joins
 *      again when they get the same label; nothing is carried over).
 * The decimated envelopes the rules read (ch->coarse, ch->medium) span the
 * whole channel's address range but only the current block's part (and a
 * margin covering every read of the rules around an episode) is resident:
 * pages behind the block are given back (madvise).  Everything computed is
 * the whole-recording computation's, value for value, except the band-pass
 * itself (within about 1e-12 of the signal's scale). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define LAB_HAVE_MMAP 1
#endif

#include "detect_internal.h"
#include "emgkit/spectrum.h"
#include "io_internal.h"
#include "label_internal.h"

/* Bytes per sample and channel that a block holds: the band-passed signal,
 * its running sum of squares and the fine and coarse envelopes. */
#define BLOCK_BYTES_PER_SAMPLE (4 * sizeof(double))
/* Blocks of at least this long (s), whatever the budget. */
#define MIN_BLOCK_SECONDS 20.0

/* ---- decimated envelopes: the channel's length, resident in part ------------ */

static float *env_alloc(size_t n, emg_error *err)
{
#ifdef LAB_HAVE_MMAP
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    void *p = mmap(NULL, (n + 1) * sizeof(float), PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        emg_error_set(err, EMG_ERR_NOMEM, "out of address space for the envelopes");
        return NULL;
    }
    return p;
#else
    return emgi_xcalloc(n + 1, sizeof(float), err);
#endif
}

/* Give back the pages of a[from, to) up to the last whole page (they read
 * as 0 again); returns where the pages given back end (from when none). */
static size_t env_release(float *a, size_t from, size_t to)
{
#ifdef LAB_HAVE_MMAP
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t lo = from * sizeof *a / page * page, hi = to * sizeof *a / page * page;
    if (!a || hi <= lo)
        return from;
    madvise((char *)a + lo, hi - lo, MADV_DONTNEED);
    return hi / sizeof *a;
#else
    (void)a;
    (void)to;
    return from;
#endif
}

static void env_free(float *a, size_t n)
{
    if (!a)
        return;
#ifdef LAB_HAVE_MMAP
    munmap(a, (n + 1) * sizeof *a);
#else
    (void)n;
    free(a);
#endif
}

void lab_stream_free(lab_channel *ch)
{
    env_free(ch->coarse, ch->nd);
    env_free(ch->medium, ch->nd);
    ch->coarse = ch->medium = NULL;
    lab_channel_free(ch);
}

/* ---- one channel's band-passed signal and running sum of squares ------------ */

typedef struct chan_read {
    emg_label_read read;
    void *source;
    size_t channel;
} chan_read;

static int read_channel(void *ctx, size_t first, size_t count, double *dst, emg_error *err)
{
    const chan_read *r = ctx;
    return r->read(r->source, r->channel, first, count, dst, err);
}

/* The window [base, end) of y and prefix[i - base] = sum of y^2 over
 * [0, i) for i in [base, end] (a gap adds nothing). */
typedef struct sig_window {
    chan_read src;
    detect_band_reader r;
    size_t n;
    double *y, *prefix;
    size_t base, end, cap;
    double *edges;          /* running sum at each rest_window window's start (pass 1) */
    size_t edge_w, n_edges;
} sig_window;

static int sig_open(sig_window *s, const lab_source *src, const lab_channel *ch,
                    const emg_label_options *o, emg_gap_count *gaps, emg_error *err)
{
    memset(s, 0, sizeof *s);
    s->src = (chan_read){src->read, src->source, (size_t)ch->index};
    s->n = ch->n;
    s->cap = 2 * DETECT_BAND_CHUNK;
    s->y = emgi_xcalloc(s->cap, sizeof *s->y, err);
    s->prefix = emgi_xcalloc(s->cap + 1, sizeof *s->prefix, err);
    if (!s->y || !s->prefix)
        return EMG_ERR_NOMEM;
    return detect_band_reader_open(&s->r, read_channel, &s->src, ch->n, ch->fs, o->band_low,
                                   ch->band_high, gaps, err);
}

static void sig_close(sig_window *s)
{
    detect_band_reader_close(&s->r);
    free(s->y);
    free(s->prefix);
    free(s->edges);
    memset(s, 0, sizeof *s);
}

/* Room for cap samples in the window (held ones kept). */
static int sig_reserve(sig_window *s, size_t cap, emg_error *err)
{
    if (cap <= s->cap)
        return 0;
    int rc = detect_grow_pair(&s->y, cap, &s->prefix, cap + 1, err);
    if (rc == 0)
        s->cap = cap;
    return rc;
}

/* Read on until the window reaches sample `upto` (or the channel's end). */
static int sig_fill(sig_window *s, size_t upto, emg_error *err)
{
    while (s->end < upto && s->end < s->n) {
        size_t got;
        int rc = detect_band_reader_next(&s->r, &got, err);
        if (rc <= 0)
            return rc < 0 ? rc : emg_error_set(err, EMG_ERR_IO, "channel ended early");
        size_t held = s->end - s->base;
        /* a block that outgrows its reserve (no quiet stretch) grows by half */
        if (held + got > s->cap && sig_reserve(s, held + got + (held + got) / 2, err) < 0)
            return EMG_ERR_NOMEM;
        for (size_t k = 0; k < got; k++) {
            double v = s->r.y[k];
            size_t j = held + k;
            s->y[j] = v;
            if (s->edges && (s->end + k) % s->edge_w == 0 && (s->end + k) / s->edge_w < s->n_edges)
                s->edges[(s->end + k) / s->edge_w] = s->prefix[j];
            s->prefix[j + 1] = s->prefix[j] + (isfinite(v) ? v * v : 0.0);
        }
        s->end += got;
        if (s->edges && s->end % s->edge_w == 0 && s->end / s->edge_w < s->n_edges)
            s->edges[s->end / s->edge_w] = s->prefix[s->end - s->base];
    }
    return 0;
}

/* Forget the samples before `from`. */
static void sig_drop(sig_window *s, size_t from)
{
    if (from <= s->base)
        return;
    if (from > s->end)
        from = s->end;
    size_t k = from - s->base, held = s->end - from;
    memmove(s->y, s->y + k, held * sizeof *s->y);
    memmove(s->prefix, s->prefix + k, (held + 1) * sizeof *s->prefix);
    s->base = from;
}

/* A centred RMS window: w samples, h of them before the centre. */
typedef struct rms_window {
    size_t w, h;
} rms_window;

static rms_window rms_window_of(double seconds, double fs)
{
    size_t w = (size_t)lround(seconds * fs);
    w = w < 1 ? 1 : w;
    return (rms_window){w, (w - 1) / 2};
}

/* The centred RMS envelope at sample i from the running sum (the window
 * shrinks at the ends of the channel): emg_centred_rms's values. */
static double rms_at(const sig_window *s, size_t i, rms_window win)
{
    size_t a = i > win.h ? i - win.h : 0, b = i + (win.w - win.h) < s->n ? i + (win.w - win.h) : s->n;
    double ms = (s->prefix[b - s->base] - s->prefix[a - s->base]) / (double)(b - a);
    return ms > 0 ? sqrt(ms) : 0;
}

/* The same with the band-passed signal's gaps as NaN (no burst, activity or
 * rest level across one). */
static double env_at(const sig_window *s, size_t i, rms_window win)
{
    return isfinite(s->y[i - s->base]) ? rms_at(s, i, win) : NAN;
}

/* The three envelopes' windows, and how far they reach around a sample. */
typedef struct envelopes {
    rms_window fine, medium, coarse;
    size_t ahead, behind;
} envelopes;

static envelopes envelopes_of(const lab_channel *ch, const emg_label_options *o)
{
    envelopes e = {rms_window_of(o->fine_window, ch->fs), rms_window_of(o->medium_window, ch->fs),
                   rms_window_of(o->coarse_window, ch->fs), 0, 0};
    const rms_window *w[3] = {&e.fine, &e.medium, &e.coarse};
    for (int k = 0; k < 3; k++) {
        if (w[k]->w - w[k]->h > e.ahead)
            e.ahead = w[k]->w - w[k]->h;
        if (w[k]->h > e.behind)
            e.behind = w[k]->h;
    }
    return e;
}

/* ---- passes 1 and 2: the channel's levels ----------------------------------- */

/* The rest windows of one envelope (emg_rest_estimate's). */
typedef struct rest_windows {
    size_t n, win, nw;      /* envelope length, window length, whole windows */
    size_t a, b;            /* a given rest interval (b > a), else 0, 0 */
    double *sum;            /* per window */
    size_t *finite;         /* finite samples per window */
    size_t *chosen, n_chosen; /* increasing */
    size_t next;            /* pass 2: the first chosen window not yet passed */
    detect_rest_accum acc;
} rest_windows;

static int rest_windows_open(rest_windows *r, size_t n, double fs, const emg_label_options *o,
                             emg_error *err)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    if (o->rest_to > o->rest_from) {
        int rc = detect_rest_interval_samples(&r->a, &r->b, o->rest_from, o->rest_to, n, fs, err);
        if (rc < 0)
            return rc;
        r->win = r->b - r->a;
        r->nw = 1;
        r->finite = emgi_xcalloc(1, sizeof *r->finite, err);
        r->chosen = emgi_xcalloc(1, sizeof *r->chosen, err);
        r->n_chosen = 1;
        return r->finite && r->chosen ? 0 : EMG_ERR_NOMEM;
    }
    r->win = detect_rest_window_length(n, fs, o->rest_window);
    r->nw = n / r->win > 0 ? n / r->win : 1;
    r->sum = emgi_xcalloc(r->nw, sizeof *r->sum, err);
    r->finite = emgi_xcalloc(r->nw, sizeof *r->finite, err);
    r->chosen = emgi_xcalloc(r->nw, sizeof *r->chosen, err);
    return r->sum && r->finite && r->chosen ? 0 : EMG_ERR_NOMEM;
}

static void rest_windows_free(rest_windows *r)
{
    free(r->sum);
    free(r->finite);
    free(r->chosen);
    detect_rest_accum_free(&r->acc);
    memset(r, 0, sizeof *r);
}

/* The window of sample i (pass 1), or (size_t)-1 outside every window. */
static size_t window_of(const rest_windows *r, size_t i)
{
    if (r->b > r->a)
        return i >= r->a && i < r->b ? 0 : (size_t)-1;
    size_t k = i / r->win;
    return k < r->nw ? k : (size_t)-1;
}

static void rest_windows_add(rest_windows *r, size_t i, double v)
{
    size_t k = window_of(r, i);
    if (k == (size_t)-1)
        return;
    if (r->sum)
        r->sum[k] += v; /* in sample order, as emg_rest_estimate sums */
    r->finite[k] += isfinite(v) != 0;
}

static int size_cmp(const void *p, const void *q)
{
    size_t x = *(const size_t *)p, y = *(const size_t *)q;
    return (x > y) - (x < y);
}

/* After pass 1: the chosen windows, increasing, and the accumulator. */
static int rest_windows_choose(rest_windows *r, double fraction, emg_error *err)
{
    int rc = 0;
    if (r->sum) {
        rc = detect_rest_choose(r->chosen, &r->n_chosen, r->sum, r->nw, r->win, r->n, fraction,
                                err);
        if (rc < 0)
            return rc;
        qsort(r->chosen, r->n_chosen, sizeof *r->chosen, size_cmp);
    }
    size_t count = 0;
    for (size_t k = 0; k < r->n_chosen; k++)
        count += r->finite[r->sum ? r->chosen[k] : 0];
    return detect_rest_accum_init(&r->acc, count, r->n_chosen, err);
}

/* Pass 2: env[0..count) is samples [first, first + count) of the envelope. */
static void rest_windows_feed(rest_windows *r, const double *env, size_t first, size_t count)
{
    for (size_t k = r->next; k < r->n_chosen; k++) {
        size_t a = r->sum ? r->chosen[k] * r->win : r->a;
        size_t b = r->sum ? (a + r->win < r->n ? a + r->win : r->n) : r->b;
        if (a >= first + count)
            break;
        detect_rest_accum_add(&r->acc, env, first, first + count, a, b);
        if (b <= first + count)
            r->next = k + 1;
    }
}

static int rest_windows_finish(double *median, double *rsd, rest_windows *r, emg_error *err)
{
    emg_rest_level level;
    memset(&level, 0, sizeof level);
    int rc = detect_rest_accum_finish(&level, &r->acc, err);
    if (rc == 0)
        lab_rest_floor(median, rsd, &level);
    return rc;
}

/* What passes 1 and 2 gather for one channel. */
typedef struct level_pass {
    envelopes env;
    rest_windows fine, coarse, medium;
    const double *force;    /* [t0, t1) s of the force segments (ischemic rule) */
    size_t n_force;
    double *buf;            /* pass 2: fine, coarse and medium values of a stretch */
    lab_rest_spectrum spectrum; /* pass 2: over the coarse envelope's rest windows */
} level_pass;

/* Does decimated sample k lie in a force segment (coarse kept for rule 1)? */
static int in_force(const level_pass *p, const lab_channel *ch, size_t k)
{
    double dfs = ch->fs / (double)ch->step;
    for (size_t s = 0; s < p->n_force; s++)
        if (k >= (size_t)(p->force[2 * s] * dfs) && k < (size_t)(p->force[2 * s + 1] * dfs) + 1)
            return 1;
    return 0;
}

/* Pass 1 on sample i: a gap starts or ends, the window sums, the decimated
 * medium envelope's window sums and the coarse one inside force segments. */
static int pass1_sample(lab_channel *ch, level_pass *p, const sig_window *s, size_t i,
                        size_t *gap_cap, emg_error *err)
{
    int finite = isfinite(s->y[i - s->base]) != 0;
    int in_gap = ch->n_gaps > 0 && ch->gaps[2 * ch->n_gaps - 1] == i;
    if (!finite && in_gap) {
        ch->gaps[2 * ch->n_gaps - 1] = i + 1;
    } else if (!finite) {
        if (emgi_grow((void **)&ch->gaps, gap_cap, 2 * ch->n_gaps + 2, sizeof *ch->gaps, err) < 0)
            return EMG_ERR_NOMEM;
        ch->gaps[2 * ch->n_gaps] = i;
        ch->gaps[2 * ch->n_gaps + 1] = i + 1;
        ch->n_gaps++;
    }
    double coarse = env_at(s, i, p->env.coarse);
    rest_windows_add(&p->coarse, i, coarse);
    rest_windows_add(&p->fine, i, env_at(s, i, p->env.fine));
    if (i % ch->step == 0) {
        size_t k = i / ch->step;
        rest_windows_add(&p->medium, k, (double)(float)rms_at(s, i, p->env.medium));
        if (p->n_force && in_force(p, ch, k))
            ch->coarse[k] = (float)(isfinite(coarse) ? coarse : 0.0);
    }
    return 0;
}

/* The envelope over the samples of [first, first + count) that lie in a
 * chosen window of r (the only ones rest_windows_feed reads). */
static void chosen_envelope(double *dst, const rest_windows *r, const sig_window *s,
                            size_t first, size_t count, rms_window win)
{
    for (size_t k = r->next; k < r->n_chosen; k++) {
        size_t a = r->sum ? r->chosen[k] * r->win : r->a;
        size_t b = r->sum ? (a + r->win < r->n ? a + r->win : r->n) : r->b;
        if (a >= first + count)
            break;
        for (size_t i = a > first ? a : first; i < b && i < first + count; i++)
            dst[i - first] = env_at(s, i, win);
    }
}

/* The band-passed signal over the samples of [first, first + count) that
 * lie in a chosen window of r, into the rest spectrum (a window cut by the
 * stretch's end gives its two parts' whole segments). */
static void chosen_spectrum(lab_rest_spectrum *spec, const rest_windows *r, const sig_window *s,
                            size_t first, size_t count)
{
    emg_error err;
    for (size_t k = r->next; k < r->n_chosen; k++) {
        size_t a = r->sum ? r->chosen[k] * r->win : r->a;
        size_t b = r->sum ? (a + r->win < r->n ? a + r->win : r->n) : r->b;
        if (a >= first + count)
            break;
        a = a > first ? a : first;
        b = b < first + count ? b : first + count;
        if (b > a)
            (void)lab_rest_spectrum_add(spec, s->y + (a - s->base), b - a, &err);
    }
}

/* Pass 2 on samples [first, first + count): the chosen windows' values. */
static void pass2_stretch(lab_channel *ch, level_pass *p, const sig_window *s, size_t first,
                          size_t count)
{
    double *fine = p->buf, *coarse = p->buf + count, *medium = p->buf + 2 * count;
    chosen_spectrum(&p->spectrum, &p->coarse, s, first, count);
    chosen_envelope(fine, &p->fine, s, first, count, p->env.fine);
    chosen_envelope(coarse, &p->coarse, s, first, count, p->env.coarse);
    rest_windows_feed(&p->fine, fine, first, count);
    rest_windows_feed(&p->coarse, coarse, first, count);
    size_t k0 = (first + ch->step - 1) / ch->step, m = 0;
    for (size_t i = k0 * ch->step; i < first + count; i += ch->step)
        medium[m++] = (double)(float)rms_at(s, i, p->env.medium);
    if (m)
        rest_windows_feed(&p->medium, medium, k0, m);
}

/* One pass over the channel: each sample once its envelopes are known. */
static int level_pass_run(lab_channel *ch, level_pass *p, const lab_source *src, int pass,
                          const emg_label_options *o, emg_gap_count *gaps, emg_error *err)
{
    sig_window s;
    int rc = sig_open(&s, src, ch, o, pass == 1 ? gaps : NULL, err);
    size_t w = (size_t)lround(o->rest_window * ch->fs);
    if (rc == 0 && pass == 1 && w > 0) {
        s.edge_w = w;
        s.n_edges = ch->n / w + 1;
        s.edges = emgi_xcalloc(s.n_edges, sizeof *s.edges, err);
        rc = s.edges ? 0 : EMG_ERR_NOMEM;
    }
    size_t next = 0, gap_cap = 0;
    while (rc == 0 && next < ch->n) {
        if ((rc = sig_fill(&s, s.end + DETECT_BAND_CHUNK, err)) < 0)
            break;
        size_t ready = s.end == ch->n ? ch->n : s.end > p->env.ahead ? s.end - p->env.ahead : 0;
        if (ready <= next)
            continue;
        if (pass == 1) {
            for (size_t i = next; i < ready && rc == 0; i++)
                rc = pass1_sample(ch, p, &s, i, &gap_cap, err);
        } else {
            for (size_t i = next; i < ready; i += DETECT_BAND_CHUNK)
                pass2_stretch(ch, p, &s, i, ready - i < DETECT_BAND_CHUNK ? ready - i
                                                                           : DETECT_BAND_CHUNK);
        }
        next = ready;
        sig_drop(&s, next > p->env.behind ? next - p->env.behind : 0);
    }
    if (rc == 0 && pass == 1 && s.edges) {
        rc = lab_window_rest(&ch->win_rest, &ch->win_rsd, s.edges, ch->n / w, w, o, err);
        /* kept for the rest around each episode (lab_local_rest): 8 bytes a window */
        ch->win_edges = s.edges;
        ch->n_win = ch->n / w;
        ch->win_len = w;
        s.edges = NULL;
    } else if (rc == 0 && pass == 1) {
        ch->win_rest = ch->win_rsd = NAN;
    }
    sig_close(&s);
    return rc;
}

/* The mains frequency of the spectral measures: given, or detected in the
 * first 10 s of the raw channel. */
static int find_mains(lab_channel *ch, const lab_source *src, const emg_label_options *o,
                      emg_error *err)
{
    ch->mains = o->mains;
    if (!(o->mains == 0 && (double)ch->n >= ch->fs && ch->fs > 120))
        return 0;
    size_t m = ch->n < (size_t)(10 * ch->fs) ? ch->n : (size_t)(10 * ch->fs);
    double *x = emgi_xcalloc(m, sizeof *x, err);
    if (!x)
        return EMG_ERR_NOMEM;
    int rc = src->read(src->source, (size_t)ch->index, 0, m, x, err);
    double f = 0;
    if (rc == 0 && emg_mains_detect(x, m, ch->fs, &f, NULL, NULL) == 0)
        ch->mains = f;
    free(x);
    return rc;
}

int lab_stream_levels(lab_channel *ch, const lab_source *src, const double *force,
                      size_t n_force, const emg_label_options *o, emg_gap_count *gaps,
                      emg_error *err)
{
    level_pass p;
    memset(&p, 0, sizeof p);
    p.env = envelopes_of(ch, o);
    p.force = force;
    p.n_force = n_force;
    double dfs = ch->fs / (double)ch->step;
    int rc = 0;
    if (n_force && !(ch->coarse = env_alloc(ch->nd, err)))
        return EMG_ERR_NOMEM;
    if ((rc = rest_windows_open(&p.fine, ch->n, ch->fs, o, err)) < 0 ||
        (rc = rest_windows_open(&p.coarse, ch->n, ch->fs, o, err)) < 0 ||
        (rc = rest_windows_open(&p.medium, ch->nd, dfs, o, err)) < 0 ||
        (rc = find_mains(ch, src, o, err)) < 0 ||
        (rc = level_pass_run(ch, &p, src, 1, o, gaps, err)) < 0)
        goto done;
    if ((rc = rest_windows_choose(&p.fine, o->rest_fraction, err)) < 0 ||
        (rc = rest_windows_choose(&p.coarse, o->rest_fraction, err)) < 0 ||
        (rc = rest_windows_choose(&p.medium, o->rest_fraction, err)) < 0)
        goto done;
    rc = EMG_ERR_NOMEM;
    if (!(p.buf = emgi_xcalloc(3 * DETECT_BAND_CHUNK, sizeof *p.buf, err)))
        goto done;
    if ((rc = lab_rest_spectrum_open(&p.spectrum, ch->fs, err)) < 0)
        goto done;
    if ((rc = level_pass_run(ch, &p, src, 2, o, NULL, err)) < 0 ||
        (rc = rest_windows_finish(&ch->rest_fine, &ch->rsd_fine, &p.fine, err)) < 0 ||
        (rc = rest_windows_finish(&ch->rest_coarse, &ch->rsd_coarse, &p.coarse, err)) < 0 ||
        (rc = rest_windows_finish(&ch->rest_medium, &ch->rsd_medium, &p.medium, err)) < 0)
        goto done;
    ch->thr_coarse = ch->rest_coarse + o->rest_k * ch->rsd_coarse;
    ch->noise_rms = ch->rest_coarse;
    ch->thr_fine = ch->rest_fine + o->fine_k * ch->rsd_fine;
    ch->thr_medium = ch->rest_medium + o->rest_k * ch->rsd_medium;
    /* Surface channels only (label_rules.c: the surface EMG band). */
    ch->rest_mdf = ch->band_high > o->band_high
                       ? NAN
                       : lab_rest_spectrum_mdf(&p.spectrum, ch->fs, ch->mains, o->band_low,
                                               fmin(ch->band_high, 0.5 * ch->fs));
done:
    lab_rest_spectrum_close(&p.spectrum);
    rest_windows_free(&p.fine);
    rest_windows_free(&p.coarse);
    rest_windows_free(&p.medium);
    free(p.buf);
    return rc;
}

/* ---- pass 3: bursts, episodes and events, block by block -------------------- */

/* One channel of the group in pass 3. */
typedef struct block_chan {
    lab_channel *ch;
    sig_window s;
    envelopes env;
    double *fine, *coarse;  /* the block's envelopes over [env_from, env_to) */
    size_t env_from, env_to, env_cap;
    size_t released;        /* decimated samples before this are given back */
} block_chan;

/* The group's stream: its channels and the reach of the rules around a cut. */
typedef struct group_stream {
    block_chan *c;
    size_t n;
    double quiet;           /* s each side of a cut with every channel quiet */
    double margin;          /* s of decimated envelope the rules read around an episode */
    double block;           /* s of a block within the budget */
    double max_block;       /* s a block without a quiet stretch grows to */
    double end;             /* s, the longest channel */
} group_stream;

static size_t sample_at(double t, double fs, size_t n)
{
    double s = ceil(t * fs);
    return s <= 0 ? 0 : s >= (double)n ? n : (size_t)s;
}

/* Room for cap samples of the block's envelopes (those held kept). */
static int env_reserve(block_chan *bc, size_t cap, emg_error *err)
{
    if (cap <= bc->env_cap)
        return 0;
    int rc = detect_grow_pair(&bc->fine, cap, &bc->coarse, cap, err);
    if (rc == 0)
        bc->env_cap = cap;
    return rc;
}

/* The block's envelopes of channel bc from its first sample a up to b:
 * each sample computed once, however often the block is searched for a
 * cut and grown. */
static int block_envelopes(block_chan *bc, size_t a, size_t b, emg_error *err)
{
    if (bc->env_from != a)
        bc->env_from = bc->env_to = a;
    if (b <= bc->env_to)
        return 0;
    /* a block that outgrows its reserve (no quiet stretch) grows by half */
    if (b - a > bc->env_cap && env_reserve(bc, (b - a) + (b - a) / 2, err) < 0)
        return EMG_ERR_NOMEM;
    for (size_t i = bc->env_to; i < b; i++) {
        bc->fine[i - a] = env_at(&bc->s, i, bc->env.fine);
        bc->coarse[i - a] = env_at(&bc->s, i, bc->env.coarse);
    }
    bc->env_to = b;
    return 0;
}

/* Busy time of channel c in [t0, t1): runs of samples where an envelope
 * stands above its threshold, appended to *runs (seconds, pairs). */
static int busy_runs(double **runs, size_t *n_runs, size_t *cap, block_chan *bc, double t0,
                     double t1, emg_error *err)
{
    const lab_channel *ch = bc->ch;
    size_t a = sample_at(t0, ch->fs, ch->n), b = sample_at(t1, ch->fs, ch->n);
    if (block_envelopes(bc, a, b, err) < 0)
        return EMG_ERR_NOMEM;
    size_t run = (size_t)-1;
    for (size_t i = a; i <= b; i++) {
        int busy = i < b && (bc->coarse[i - a] > ch->thr_coarse || bc->fine[i - a] > ch->thr_fine);
        if (busy && run == (size_t)-1)
            run = i;
        if (!busy && run != (size_t)-1) {
            if (emgi_grow((void **)runs, cap, 2 * *n_runs + 2, sizeof **runs, err) < 0)
                return EMG_ERR_NOMEM;
            (*runs)[2 * *n_runs] = (double)run / ch->fs;
            (*runs)[2 * *n_runs + 1] = (double)i / ch->fs;
            (*n_runs)++;
            run = (size_t)-1;
        }
    }
    return 0;
}

static int run_cmp(const void *p, const void *q)
{
    const double *x = p, *y = q;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The latest cut in (t0, t1]: the middle of the latest stretch where every
 * channel is quiet for `quiet` s each side, moved as late as t1 allows;
 * 0 when there is none.  The signals reach t1 + quiet. */
static int find_cut(double *cut, group_stream *g, double t0, double t1, emg_error *err)
{
    double *runs = NULL;
    size_t n = 0, cap = 0;
    *cut = 0;
    for (size_t k = 0; k < g->n; k++) {
        int rc = busy_runs(&runs, &n, &cap, &g->c[k], t0, t1 + g->quiet, err);
        if (rc < 0) {
            free(runs);
            return rc;
        }
    }
    qsort(runs, n, 2 * sizeof *runs, run_cmp);
    /* one sample of slack at each side for the rounding to samples */
    double slack = 0;
    for (size_t k = 0; k < g->n; k++)
        slack = fmax(slack, 2.0 / g->c[k].ch->fs);
    double free_from = t0, best = 0;
    for (size_t k = 0; k <= n; k++) {
        double free_to = k < n ? runs[2 * k] : t1 + g->quiet;
        double latest = fmin(t1, free_to - g->quiet - slack);
        if (latest >= free_from + g->quiet + slack && latest > t0)
            best = latest;
        if (k < n && runs[2 * k + 1] > free_from)
            free_from = runs[2 * k + 1];
    }
    free(runs);
    *cut = best;
    return 0;
}

/* The decimated envelopes over samples [a, b). */
static void decimate_span(block_chan *bc, size_t a, size_t b)
{
    lab_channel *ch = bc->ch;
    for (size_t k = (a + ch->step - 1) / ch->step; k < ch->nd && k * ch->step < b; k++) {
        size_t i = k * ch->step;
        double c = env_at(&bc->s, i, bc->env.coarse);
        ch->coarse[k] = (float)(isfinite(c) ? c : 0.0); /* a gap: no activity across channels */
        ch->medium[k] = (float)rms_at(&bc->s, i, bc->env.medium);
    }
}

/* Measure [t0, t1) of every channel of the group. */
static int measure_group_block(group_stream *g, double t0, double t1, int last,
                               const emg_label_options *o, emg_error *err)
{
    for (size_t k = 0; k < g->n; k++) {
        block_chan *bc = &g->c[k];
        lab_channel *ch = bc->ch;
        size_t a = sample_at(t0, ch->fs, ch->n), b = last ? ch->n : sample_at(t1, ch->fs, ch->n);
        size_t m = (size_t)ceil(g->margin * ch->fs);
        int rc = block_envelopes(bc, a, b, err);
        if (rc < 0)
            return rc;
        decimate_span(bc, a > m ? a - m : 0, b + m < ch->n ? b + m : ch->n);
        lab_block blk = {a, b - a, bc->s.y + (a - bc->s.base), bc->fine, bc->coarse,
                         bc->s.prefix + (a - bc->s.base)};
        if ((rc = lab_measure_block(ch, &blk, o, err)) < 0)
            return rc;
    }
    return 0;
}

/* Give back what the next block no longer reads. */
static void forget_before(group_stream *g, double t)
{
    for (size_t k = 0; k < g->n; k++) {
        block_chan *bc = &g->c[k];
        lab_channel *ch = bc->ch;
        free(ch->bursts);
        free(ch->episodes);
        ch->bursts = NULL;
        ch->episodes = NULL;
        ch->n_bursts = ch->n_episodes = 0;
        size_t a = sample_at(t - 2 * g->margin, ch->fs, ch->n);
        env_release(ch->medium, bc->released, a / ch->step);
        bc->released = env_release(ch->coarse, bc->released, a / ch->step);
        sig_drop(&bc->s, a > bc->env.behind ? a - bc->env.behind : 0);
        bc->env_from = (size_t)-1; /* the next block computes its own */
    }
}

/* Read every channel of the group up to t s (plus the envelopes' reach). */
static int fill_group(group_stream *g, double t, emg_error *err)
{
    for (size_t k = 0; k < g->n; k++) {
        block_chan *bc = &g->c[k];
        size_t upto = sample_at(t, bc->ch->fs, bc->ch->n) + bc->env.ahead + 1;
        int rc = sig_fill(&bc->s, upto, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Room for a block of g->block s in every channel's window and envelopes
 * at once (growing them step by step copied each block's samples over and
 * over; a block without a quiet stretch grows by half at a time): the window
 * holds the block, the margins the rules read behind it and the quiet
 * stretch and margin read ahead of it, plus a filter chunk.  Behind: 2
 * margins (forget_before keeps them); ahead: the quiet stretch and 1 margin
 * (fill_group reads to t1 + quiet + margin): 3 margins in all.  The few
 * samples more (WINDOW_SLACK, ENV_SLACK) are slack for rounding: sample_at
 * rounds each end of a span up from times that are sums of doubles, and
 * fill_group reads one sample past the envelopes' reach.  The reserve only
 * spares a regrowth (sig_fill and block_envelopes grow past it), so the
 * slack need not be tight. */
static int group_reserve(group_stream *g, emg_error *err)
{
    enum { WINDOW_SLACK = 4, ENV_SLACK = 2 };
    for (size_t k = 0; k < g->n; k++) {
        block_chan *bc = &g->c[k];
        double fs = bc->ch->fs;
        size_t block = (size_t)ceil(g->block * fs), quiet = (size_t)ceil(g->quiet * fs);
        size_t margin = (size_t)ceil(g->margin * fs);
        size_t window = block + quiet + 3 * margin + bc->env.ahead + bc->env.behind +
                        DETECT_BAND_CHUNK + WINDOW_SLACK;
        if (window > bc->ch->n + DETECT_BAND_CHUNK)
            window = bc->ch->n + DETECT_BAND_CHUNK;
        int rc = sig_reserve(&bc->s, window, err);
        if (rc < 0)
            return rc;
        size_t env = block + quiet + ENV_SLACK < bc->ch->n + 1 ? block + quiet + ENV_SLACK
                                                               : bc->ch->n + 1;
        if ((rc = env_reserve(bc, env, err)) < 0)
            return rc;
    }
    return 0;
}

static int group_open(group_stream *g, lab_channel *chs, const int *group, size_t n_group,
                      const lab_source *src, const emg_label_options *o, size_t budget,
                      emg_error *err)
{
    memset(g, 0, sizeof *g);
    g->c = emgi_xcalloc(n_group, sizeof *g->c, err);
    if (!g->c)
        return EMG_ERR_NOMEM;
    g->n = n_group;
    /* Episodes merge across at most 3 episode gaps of low-level activity;
     * synchronous bursts of a pair lie within sync_window. */
    g->quiet = 0.5 * fmax(3 * o->episode_gap, 2 * o->sync_window) + o->coarse_window +
               o->burst_merge;
    /* The rules read the decimated envelopes up to half a second before an
     * episode (rise time) and the partner's up to partner_max_lag beyond it. */
    g->margin = 0.5 + o->partner_max_lag + o->coarse_window + 0.1;
    double rate = 0;
    for (size_t k = 0; k < n_group; k++) {
        block_chan *bc = &g->c[k];
        bc->ch = &chs[group[k]];
        bc->env = envelopes_of(bc->ch, o);
        rate += bc->ch->fs;
        g->end = fmax(g->end, (double)bc->ch->n / bc->ch->fs);
        if (!bc->ch->coarse && !(bc->ch->coarse = env_alloc(bc->ch->nd, err)))
            return EMG_ERR_NOMEM;
        if (!(bc->ch->medium = env_alloc(bc->ch->nd, err)))
            return EMG_ERR_NOMEM;
        int rc = sig_open(&bc->s, src, bc->ch, o, NULL, err);
        if (rc < 0)
            return rc;
        bc->env_from = (size_t)-1;
    }
    g->block = fmax(MIN_BLOCK_SECONDS, (double)budget / (BLOCK_BYTES_PER_SAMPLE * rate));
    /* as emg-detect's blocks (64 MiB: about 9 min of a 2 kHz pair); a forced
     * cut is counted in emg_label_result.forced_cuts */
    double grow_limit = (double)DETECT_GROW_LIMIT_BYTES;
    g->max_block = fmax(g->block, grow_limit / (BLOCK_BYTES_PER_SAMPLE * rate));
    return group_reserve(g, err);
}

static void group_close(group_stream *g)
{
    for (size_t k = 0; g->c && k < g->n; k++) {
        sig_close(&g->c[k].s);
        free(g->c[k].fine);
        free(g->c[k].coarse);
        env_free(g->c[k].ch->coarse, g->c[k].ch->nd);
        env_free(g->c[k].ch->medium, g->c[k].ch->nd);
        g->c[k].ch->coarse = g->c[k].ch->medium = NULL;
    }
    free(g->c);
    memset(g, 0, sizeof *g);
}

int lab_stream_group(lab_channel *chs, const int *group, size_t n_group, const lab_source *src,
                     const emg_label_options *o, size_t budget, lab_block_fn done, void *ctx,
                     size_t *forced_cuts, emg_error *err)
{
    group_stream g;
    int rc = group_open(&g, chs, group, n_group, src, o, budget, err);
    double t0 = 0;
    while (rc == 0 && t0 < g.end) {
        double t1 = t0 + g.block, cut = 0;
        int last = 0;
        for (;;) {
            if ((rc = fill_group(&g, t1 + g.quiet + g.margin, err)) < 0)
                break;
            if (t1 + g.quiet >= g.end) { /* the rest of the recording */
                last = 1;
                cut = g.end;
                break;
            }
            if ((rc = find_cut(&cut, &g, t0, t1, err)) < 0 || cut > t0)
                break;
            if (t1 + g.block - t0 > g.max_block) { /* activity fills the largest block */
                cut = t1;
                (*forced_cuts)++;
                break;
            }
            t1 += g.block; /* no quiet stretch: the block grows */
        }
        if (rc < 0 || (rc = measure_group_block(&g, t0, cut, last, o, err)) < 0)
            break;
        lab_mark_synchronous(chs, o);
        if ((rc = done(ctx, chs, group, n_group, err)) < 0)
            break;
        forget_before(&g, cut);
        t0 = cut;
    }
    group_close(&g);
    return rc;
}
