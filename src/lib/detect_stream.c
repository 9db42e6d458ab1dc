/* detect_stream.c: THRESHOLD detection on a channel read block by block.
 *
 * emg_detect_run holds the channel, its band-passed copy and its envelope
 * (about 17 bytes per sample), so an overnight recording needs gigabytes.
 * Here the channel is read three times, block by block, through the same
 * streaming filters (the zero-phase band-pass of filter.c and the running
 * RMS of envelope.c carry their state across blocks):
 *   1. the envelope's sums over the rest hops (and the gap count), from
 *      which the rest windows are chosen as emg_rest_estimate_lowest does;
 *   2. the rest statistics over those windows (mean, SD, median, MAD);
 *   3. the segments, block by block.  THRESHOLD's rules look back at most
 *      the merge gap plus the onset refinement's walk (0.5 s) and half an
 *      envelope window, and forward only inside a segment, so a block can
 *      end wherever no hysteresis segment (a run above the offset
 *      threshold that reaches the onset threshold) follows for longer than
 *      that: nothing after depends on anything before, and the segments
 *      are those of the whole channel.  The part after the cut is carried
 *      over to the next block.
 * Every rule and level is detect.c's own (detect_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "io_internal.h"

enum { CHUNK = DETECT_BAND_CHUNK }; /* samples read and filtered at a time */

/* Blocks of pass 3: at least 20 s; a block without a cut grows (doubling)
 * up to the budget or to DETECT_GROW_LIMIT_BYTES of signal and envelope
 * (4 Mi samples), whichever is more. */
#define MIN_BLOCK_SECONDS 20.0

/* ---- the band-passed signal and its centred envelope, in order ------------- */

typedef struct band_stream {
    detect_band_reader r;   /* the band-passed signal, CHUNK samples at a time */
    size_t n;
    emg_envelope *env;
    size_t half;            /* the envelope's centring shift */
    int feed_y;             /* 0 when n <= half: the whole-channel envelope is then 0 */
    size_t n_y, n_env;
    int flushed;
    size_t returned;        /* samples band_next returned last time */
    double *t;              /* CHUNK: trailing envelope */
    double *ywait;          /* y samples n_env.. waiting for their envelope */
    size_t wait_n, wait_cap;
    double *eout;           /* the envelope returned by band_next */
} band_stream;

static void band_close(band_stream *s)
{
    detect_band_reader_close(&s->r);
    emg_envelope_destroy(s->env);
    free(s->t);
    free(s->ywait);
    free(s->eout);
    memset(s, 0, sizeof *s);
}

static int band_open(band_stream *s, emg_sample_read_fn read, void *ctx, size_t n, double fs,
                     const emg_detect_options *o, emg_gap_count *gaps, emg_error *err)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    size_t win = (size_t)lround(detect_envelope_window(o) * fs);
    s->half = ((win < 1 ? 1 : win) - 1) / 2;
    s->feed_y = n > s->half;
    int rc = emg_envelope_create(&s->env, EMG_ENVELOPE_RMS, (double)(win < 1 ? 1 : win) / fs, fs,
                                 err);
    if (rc < 0)
        return rc;
    if ((rc = detect_band_reader_open(&s->r, read, ctx, n, fs, o->band_low, o->band_high, gaps,
                                      err)) < 0)
        return rc;
    s->wait_cap = s->half + CHUNK;
    s->t = emgi_xcalloc(CHUNK, sizeof *s->t, err);
    s->ywait = emgi_xcalloc(s->wait_cap, sizeof *s->ywait, err);
    s->eout = emgi_xcalloc(s->wait_cap, sizeof *s->eout, err);
    return s->t && s->ywait && s->eout ? 0 : EMG_ERR_NOMEM;
}

/* The next stretch of the band-passed signal y and its centred RMS envelope
 * env (emg_centred_rms), first sample `*first`: 1 with *count > 0 samples
 * (borrowed until the next call), 0 at the end. */
static int band_next(band_stream *s, const double **y, const double **env, size_t *first,
                     size_t *count, emg_error *err)
{
    /* drop what the previous call returned */
    memmove(s->ywait, s->ywait + s->returned, (s->wait_n - s->returned) * sizeof *s->ywait);
    s->wait_n -= s->returned;
    s->returned = 0;
    *count = 0;
    while (*count == 0) {
        size_t got = 0, produced = 0;
        int rc = detect_band_reader_next(&s->r, &got, err);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            const double *x = s->r.y;
            memcpy(s->ywait + s->wait_n, x, got * sizeof *x);
            s->wait_n += got;
            if (s->feed_y) {
                emg_envelope_execute(s->env, x, s->t, got);
                /* the trailing window ending at j + half is centred on j */
                size_t skip = s->n_y < s->half ? s->half - s->n_y : 0;
                if (skip < got) {
                    produced = got - skip;
                    memcpy(s->eout, s->t + skip, produced * sizeof *s->t);
                }
            }
            s->n_y += got;
        } else if (!s->flushed) {
            /* the last half window: zeros fed after the end, as emg_centred_rms does */
            size_t left = s->n - s->n_env;
            if (left > CHUNK)
                left = CHUNK;
            static const double zeros[CHUNK];
            emg_envelope_execute(s->env, zeros, s->eout, left);
            produced = left;
            s->flushed = s->n_env + left == s->n;
        } else {
            return 0;
        }
        *first = s->n_env;
        *count = produced;
        s->returned = produced;
        s->n_env += produced;
    }
    *y = s->ywait;
    *env = s->eout;
    return 1;
}

/* ---- passes 1 and 2: the rest level ---------------------------------------- */

/* Pass 1 over the channel: the gaps, and the hop sums of the envelope with
 * the finite samples of each hop (or of the given rest interval). */
typedef struct rest_plan {
    size_t hop, nb;
    double *bsum;
    size_t *blocks, n_blocks;
    size_t from, to;        /* the rest interval in samples when given */
    size_t count;           /* finite envelope samples in the rest ranges */
    size_t *finite;         /* per hop */
} rest_plan;

static void rest_plan_free(rest_plan *p)
{
    free(p->bsum);
    free(p->blocks);
    free(p->finite);
}

static int interval_given(const emg_detect_options *o) { return o->rest_to > o->rest_from; }

static int plan_open(rest_plan *p, size_t n, double fs, const emg_detect_options *o,
                     emg_error *err)
{
    memset(p, 0, sizeof *p);
    if (interval_given(o)) {
        return detect_rest_interval_samples(&p->from, &p->to, o->rest_from, o->rest_to, n, fs,
                                            err);
    }
    p->hop = detect_rest_hop(n, fs, detect_rest_window());
    p->nb = (n + p->hop - 1) / p->hop;
    p->bsum = emgi_xcalloc(p->nb, sizeof *p->bsum, err);
    p->blocks = emgi_xcalloc(p->nb, sizeof *p->blocks, err);
    p->finite = emgi_xcalloc(p->nb, sizeof *p->finite, err);
    return p->bsum && p->blocks && p->finite ? 0 : EMG_ERR_NOMEM;
}

static void plan_add(rest_plan *p, const double *env, size_t first, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        size_t i = first + k;
        if (p->bsum) {
            p->bsum[i / p->hop] += env[k]; /* a gap makes the hop NaN: left out */
            p->finite[i / p->hop] += isfinite(env[k]) != 0;
        } else if (i >= p->from && i < p->to) {
            p->count += isfinite(env[k]) != 0;
        }
    }
}

/* The rest ranges [*a, *b) of range k. */
static void plan_range(const rest_plan *p, size_t k, size_t n, size_t *a, size_t *b)
{
    if (!p->bsum) {
        *a = p->from;
        *b = p->to;
        return;
    }
    *a = p->blocks[k] * p->hop;
    *b = *a + p->hop < n ? *a + p->hop : n;
}

static int plan_choose(rest_plan *p, emg_rest_level *rest, size_t n,
                       const emg_detect_options *o, emg_error *err)
{
    if (!p->bsum) {
        p->n_blocks = 1;
        return 0;
    }
    int rc = detect_rest_lowest_blocks(p->blocks, &p->n_blocks, rest, p->bsum, p->nb, p->hop, n,
                                       o->rest_fraction, err);
    for (size_t k = 0; rc == 0 && k < p->n_blocks; k++)
        p->count += p->finite[p->blocks[k]];
    return rc;
}

/* Passes 1 and 2: the rest level of the channel's envelope, as
 * emg_rest_estimate_lowest gives it on the whole envelope. */
static int stream_rest(emg_rest_level *rest, emg_detect_result *out, emg_sample_read_fn read,
                       void *ctx, size_t n, double fs, const emg_detect_options *o,
                       emg_error *err)
{
    rest_plan p;
    band_stream s;
    detect_rest_accum acc = {0};
    const double *y, *env;
    size_t first = 0, count = 0;
    memset(rest, 0, sizeof *rest);
    int rc = plan_open(&p, n, fs, o, err);
    if (rc == 0)
        rc = band_open(&s, read, ctx, n, fs, o, &out->gaps, err);
    else
        memset(&s, 0, sizeof s);
    while (rc == 0 && (rc = band_next(&s, &y, &env, &first, &count, err)) > 0) {
        plan_add(&p, env, first, count);
        rc = 0;
    }
    band_close(&s);
    if (rc < 0 || out->gaps.count == n) /* all gaps: nothing to detect */
        goto done;
    if ((rc = plan_choose(&p, rest, n, o, err)) < 0 ||
        (rc = detect_rest_accum_init(&acc, p.count, p.n_blocks, err)) < 0 ||
        (rc = band_open(&s, read, ctx, n, fs, o, NULL, err)) < 0)
        goto done;
    size_t next_range = 0;
    count = 0;
    while ((rc = band_next(&s, &y, &env, &first, &count, err)) > 0) {
        /* the ranges are disjoint and increasing: each is added in order */
        for (size_t k = next_range; k < p.n_blocks; k++) {
            size_t a, b;
            plan_range(&p, k, n, &a, &b);
            if (a >= first + count)
                break;
            detect_rest_accum_add(&acc, env, first, first + count, a, b);
            if (b <= first + count)
                next_range = k + 1;
        }
    }
    band_close(&s);
    if (rc == 0) {
        int unsure = rest->unsure;
        double spread = rest->spread;
        rc = detect_rest_accum_finish(rest, &acc, err);
        rest->unsure = unsure;
        rest->spread = spread;
        rest->from /= fs;
        rest->to /= fs;
    }
done:
    detect_rest_accum_free(&acc);
    rest_plan_free(&p);
    return rc;
}

/* ---- pass 3: the segments, block by block ---------------------------------- */

typedef struct seg_block {
    double *y, *env;
    size_t cap, n;   /* samples held */
    size_t max_cap;  /* the block grows up to this while it holds no cut */
    size_t base;     /* channel sample of y[0] */
    size_t ev_cap;
} seg_block;

/* The last cut in b: the start of `quiet` samples outside every segment
 * (at or below the offset threshold, gaps included, or in a run above it
 * that never reaches the onset threshold, which hysteresis drops), after
 * the first sample; 0 if none.  A run still open at the block's end counts
 * as a segment. */
static size_t find_cut(const seg_block *b, double on, double off, size_t quiet)
{
    size_t run = 0; /* free samples from i on */
    for (size_t i = b->n; i-- > 1;) {
        if (!(b->env[i] > off)) {
            if (++run >= quiet)
                return i;
            continue;
        }
        size_t j = i; /* the run above `off` is [j, i] */
        int reaches = b->env[i] > on;
        while (j > 0 && b->env[j - 1] > off)
            reaches |= b->env[--j] > on;
        if (reaches || i == b->n - 1) {
            run = 0;
        } else {
            size_t len = i - j + 1;
            if (run + len >= quiet && i + 1 + run - quiet >= (j > 1 ? j : 1))
                return i + 1 + run - quiet;
            run += len;
        }
        i = j;
    }
    return 0;
}

/* Detect in the first `cut` samples of the block and carry the rest over. */
static int detect_block(emg_detect_result *out, seg_block *b, size_t cut, double fs,
                        const detect_levels *lv, const emg_detect_options *o, emg_error *err)
{
    size_t *seg = NULL, ns = 0;
    out->n_blocks++;
    int rc = detect_threshold_segments(&seg, &ns, b->y, b->env, cut, fs, lv, o, err);
    if (rc == 0)
        rc = detect_add_events(out, &b->ev_cap, b->y, seg, ns, b->base, fs, o, err);
    free(seg);
    memmove(b->y, b->y + cut, (b->n - cut) * sizeof *b->y);
    memmove(b->env, b->env + cut, (b->n - cut) * sizeof *b->env);
    b->n -= cut;
    b->base += cut;
    return rc;
}

int detect_grow_pair(double **a, size_t na, double **b, size_t nb, emg_error *err)
{
    double *p = emgi_xrealloc(*a, na, sizeof *p, err);
    if (!p)
        return EMG_ERR_NOMEM;
    *a = p;
    if (!(p = emgi_xrealloc(*b, nb, sizeof *p, err)))
        return EMG_ERR_NOMEM;
    *b = p;
    return 0;
}

static int grow_block(seg_block *b, emg_error *err)
{
    size_t cap = 2 * b->cap < b->max_cap ? 2 * b->cap : b->max_cap;
    int rc = detect_grow_pair(&b->y, cap, &b->env, cap, err);
    if (rc == 0)
        b->cap = cap;
    return rc;
}

static int stream_segments(emg_detect_result *out, emg_sample_read_fn read, void *ctx,
                           size_t n, double fs, const detect_levels *lv,
                           const emg_detect_options *o, size_t budget, emg_error *err)
{
    size_t quiet = detect_threshold_quiet_run(lv, fs);
    double floor_samples = ceil(MIN_BLOCK_SECONDS * fs);
    size_t cap = budget / (2 * sizeof(double));
    if ((double)cap < floor_samples)
        cap = floor_samples < (double)n ? (size_t)floor_samples : n;
    if (cap < 4 * quiet)
        cap = 4 * quiet;
    if (cap > n)
        cap = n;
    size_t max_cap = budget / (2 * sizeof(double));
    if (max_cap < DETECT_GROW_LIMIT_BYTES / (2 * sizeof(double)))
        max_cap = DETECT_GROW_LIMIT_BYTES / (2 * sizeof(double));
    if (max_cap > n)
        max_cap = n;
    if (max_cap < cap)
        max_cap = cap;
    seg_block b = {emgi_xcalloc(cap, sizeof(double), err), emgi_xcalloc(cap, sizeof(double), err),
                   cap, 0, max_cap, 0, 0};
    band_stream s;
    int rc = b.y && b.env ? band_open(&s, read, ctx, n, fs, o, NULL, err) : EMG_ERR_NOMEM;
    const double *y, *env;
    size_t first = 0, count = 0;
    while (rc == 0 && (rc = band_next(&s, &y, &env, &first, &count, err)) > 0) {
        rc = 0;
        for (size_t k = 0; k < count && rc == 0;) {
            size_t take = count - k < b.cap - b.n ? count - k : b.cap - b.n;
            for (size_t i = 0; i < take; i++) {
                b.y[b.n + i] = y[k + i];
                /* gaps marked, as detect_threshold_segments marks them */
                b.env[b.n + i] = isfinite(y[k + i]) ? env[k + i] : NAN;
            }
            b.n += take;
            k += take;
            if (b.n < b.cap || (k == count && first + count == n))
                continue; /* room left, or the end: the last block below */
            size_t cut = find_cut(&b, lv->on, lv->off, quiet);
            if (cut == 0 && b.cap < b.max_cap) {
                rc = grow_block(&b, err);
                continue;
            }
            if (cut == 0) { /* activity fills the largest block: cut it at its end */
                cut = b.n;
                out->forced_cuts++;
            }
            rc = detect_block(out, &b, cut, fs, lv, o, err);
        }
    }
    if (rc == 0 && b.n > 0)
        rc = detect_block(out, &b, b.n, fs, lv, o, err);
    if (b.y && b.env)
        band_close(&s);
    free(b.y);
    free(b.env);
    return rc;
}

int emg_detect_streams(const emg_detect_options *o)
{
    return o->method == EMG_DETECT_THRESHOLD;
}

int emg_detect_stream(emg_detect_result *out, emg_sample_read_fn read, void *ctx, size_t n,
                      double fs, const emg_detect_options *opts, size_t memory_budget,
                      emg_error *err)
{
    emg_detect_options o = EMG_DETECT_OPTIONS_INIT;
    if (opts)
        o = *opts;
    emg_detect_result_init(out);
    if (!(fs > 0))
        return emg_error_set(err, EMG_ERR_ARG, "sampling rate must be > 0");
    if (!emg_detect_streams(&o))
        return emg_error_set(err, EMG_ERR_ARG, "method %s needs the whole channel",
                             emg_detect_method_name(o.method));
    if (n < 4) { /* nothing to detect; the gaps are still counted */
        double x[4];
        int rc = n ? read(ctx, 0, n, x, err) : 0;
        if (rc == 0)
            emg_gap_count_add(&out->gaps, x, n, 0);
        return rc;
    }
    emg_rest_level rest;
    int rc = stream_rest(&rest, out, read, ctx, n, fs, &o, err);
    if (rc == 0 && out->gaps.count == n)
        return 0;
    if (rc == 0) {
        detect_levels lv;
        detect_threshold_levels(&lv, out, &rest, fs, &o);
        rc = stream_segments(out, read, ctx, n, fs, &lv, &o, memory_budget, err);
    }
    if (rc < 0)
        emg_detect_result_free(out);
    return rc;
}
