/* filter.c: running second-order sections causally and forward-backward,
 * mains detection, and whole-array detrending.
 *
 * Each section runs in transposed direct form II (O&S 3rd ed., sec. 6.5.2),
 * up to four sections at a time over a whole block, so that their states stay
 * in registers, their recursions overlap in the processor, and no sample
 * allocates; the same arithmetic happens in the same order however the signal
 * is cut into blocks, so streaming output equals whole-array output bit for
 * bit.  Four channels filtered by one cascade can also run together, one per
 * lane of an AVX2 register (emg_filtfilt_push_group), with the same bits.
 *
 * Zero-phase filtering is Gustafsson's forward-backward scheme (IEEE Trans.
 * Signal Process. 44:988, 1996) as SciPy's sosfiltfilt implements it: the
 * signal is extended at both ends by padlen samples of odd reflection
 * (2 x[0] - x[padlen..1] and 2 x[n-1] - x[n-2..n-1-padlen]), each pass starts
 * from the steady state for the first value it sees (sosfilt_zi), and the
 * padding is cut off afterwards.  The streaming variant runs the forward pass
 * exactly and the backward pass per segment, starting each segment's backward
 * pass `overlap` samples in its future; the error from not knowing the true
 * backward state there decays as r^overlap for the largest pole radius r.
 *
 * Mains detection: Goertzel's algorithm (Goertzel 1958, Am. Math. Monthly
 * 65:34) evaluates the spectrum at the 50/60 Hz harmonics and at neighbouring
 * frequencies of half-overlapping Hann-windowed segments of 1-4 s. */
#include "emgkit/filter.h"
#include "emgkit/gaps.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ------------------------------------------------------------------------ */
/* Kernels                                                                   */
/* ------------------------------------------------------------------------ */

/* G consecutive sections (G <= 4) over n samples in place, sample by sample,
 * walking x with stride `step` (+1 forward in time, -1 backward).  Each
 * section is the transposed direct form II rewritten so that the recursion
 * runs through one multiply-subtract per sample:
 *   y   = b0 u + z1
 *   z1' = (c1 u + z2) - a1 z1,   c1 = b1 - a1 b0
 *   z2' =  c2 u - a2 z1,         c2 = b2 - a2 b0
 * (substituting y into the usual updates z1' = b1 u - a1 y + z2,
 * z2' = b2 u - a2 y).  Running several sections in one pass lets their
 * independent recursions overlap in the processor.  With fused multiply-add
 * (use_fma, chosen at run time where the processor has it) each section
 * costs four FMAs and a multiply per sample. */
static inline __attribute__((always_inline)) void
section_group(int g, int use_fma, const double *coef, double *z, double *x, size_t n,
              ptrdiff_t step)
{
    double b0[4], c1[4], c2[4], a1[4], a2[4], z1[4], z2[4];
    for (int k = 0; k < g; k++) {
        const double *c = coef + 6 * k;
        b0[k] = c[0], a1[k] = c[4], a2[k] = c[5];
        c1[k] = c[1] - c[4] * c[0];
        c2[k] = c[2] - c[5] * c[0];
        z1[k] = z[2 * k], z2[k] = z[2 * k + 1];
    }
    double *p = x;
    for (size_t i = 0; i < n; i++, p += step) {
        double v = *p;
        for (int k = 0; k < g; k++) {
            double u = v;
            if (use_fma) {
                v = __builtin_fma(b0[k], u, z1[k]);
                double t1 = __builtin_fma(c1[k], u, z2[k]);
                z2[k] = __builtin_fma(-a2[k], z1[k], c2[k] * u);
                z1[k] = __builtin_fma(-a1[k], z1[k], t1);
            } else {
                v = b0[k] * u + z1[k];
                double t1 = c1[k] * u + z2[k];
                double t2 = c2[k] * u - a2[k] * z1[k];
                z1[k] = t1 - a1[k] * z1[k];
                z2[k] = t2;
            }
        }
        *p = v;
    }
    for (int k = 0; k < g; k++)
        z[2 * k] = z1[k], z[2 * k + 1] = z2[k];
}

static inline __attribute__((always_inline)) void
run_groups(int use_fma, const emg_sos *sos, double *z, double *start, size_t n, ptrdiff_t step)
{
    size_t k = 0, ns = sos->n_sections;
    for (; k + 4 <= ns; k += 4)
        section_group(4, use_fma, sos->coef + 6 * k, z + 2 * k, start, n, step);
    if (ns - k == 3)
        section_group(3, use_fma, sos->coef + 6 * k, z + 2 * k, start, n, step);
    else if (ns - k == 2)
        section_group(2, use_fma, sos->coef + 6 * k, z + 2 * k, start, n, step);
    else if (ns - k == 1)
        section_group(1, use_fma, sos->coef + 6 * k, z + 2 * k, start, n, step);
}

static void run_groups_plain(const emg_sos *sos, double *z, double *start, size_t n,
                             ptrdiff_t step)
{
    run_groups(0, sos, z, start, n, step);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define EMG_FILTER_FMA_DISPATCH 1
__attribute__((target("fma"))) static void
run_groups_fma(const emg_sos *sos, double *z, double *start, size_t n, ptrdiff_t step)
{
    run_groups(1, sos, z, start, n, step);
}

static int cpu_has_fma(void)
{
    static int has = -1; /* a benign race: every thread computes the same */
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return has;
}
#endif

static void run_finite(const emg_sos *sos, double *z, double *x, size_t n, int forward)
{
    if (n == 0)
        return;
    double *start = forward ? x : x + n - 1;
    ptrdiff_t step = forward ? 1 : -1;
#ifdef EMG_FILTER_FMA_DISPATCH
    if (cpu_has_fma()) {
        run_groups_fma(sos, z, start, n, step);
        return;
    }
#endif
    run_groups_plain(sos, z, start, n, step);
}

static int state_finite(const double *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(z[i]))
            return 0;
    return 1;
}

/* Restart the cascade as if the signal began at x0: the steady state for a
 * constant x0 (sosfilt_zi), or rest when there is no memory for it. */
static void restart_state(const emg_sos *sos, double *z, double x0)
{
    size_t ns2 = 2 * sos->n_sections;
    double *zi = malloc((ns2 + 1) * sizeof *zi);
    for (size_t i = 0; i < ns2; i++)
        z[i] = 0.0;
    if (!zi)
        return;
    emg_sos_steady_state(sos, zi);
    for (size_t i = 0; i < ns2; i++)
        z[i] = zi[i] * x0;
    free(zi);
}

/* Non-finite samples are gaps (docs/recording-model.md): they come out as
 * NaN, and the cascade restarts after each gap from the steady state of the
 * first finite sample, as at the start of a recording, so that one bad sample
 * costs the filter's settling time instead of the rest of the channel.  A
 * state that is already non-finite (initialised from a gap) restarts too. */
static void run_sections(const emg_sos *sos, double *z, double *x, size_t n, int forward)
{
    size_t ns2 = 2 * sos->n_sections;
    int restart = !state_finite(z, ns2);
    if (!restart && !emg_has_gap(x, n)) {
        run_finite(sos, z, x, n, forward);
        return;
    }
    /* Walk in processing order; seg(i, m) is the m samples processed i-th on. */
    for (size_t i = 0; i < n;) {
        double *seg = forward ? x + i : x;
        size_t left = n - i, len;
        if (forward)
            len = emg_finite_run(seg, left);
        else
            for (len = 0; len < left && isfinite(x[left - 1 - len]); len++)
                ;
        if (len) {
            double *first = forward ? seg : x + left - len;
            if (restart)
                restart_state(sos, z, forward ? first[0] : first[len - 1]);
            run_finite(sos, z, first, len, forward);
            restart = 0;
            i += len;
        }
        for (; i < n && !isfinite(x[forward ? i : n - 1 - i]); i++) {
            x[forward ? i : n - 1 - i] = NAN;
            restart = 1;
        }
    }
}

/* ---- Four channels in the lanes of one AVX2 register ---------------------
 *
 * One channel's cascade is a chain of dependent multiply-adds; per sample the
 * processor can do little more than one section's worth of them at a time.
 * Four channels filtered by the same cascade are four independent chains, so
 * each section runs on all four at once in the lanes of a 256-bit register:
 * the same multiply-adds, in the same order, on each lane, hence the same
 * bits as the scalar FMA kernel above, at about a quarter of the cost.  The
 * four signals are interleaved into a small block (block[4 i + lane]) that
 * stays in the L1 cache, filtered, and spread back. */
#if defined(EMG_FILTER_FMA_DISPATCH) && defined(__x86_64__)
#define EMG_FILTER_LANES 4
#include <immintrin.h>

/* Samples per interleaved block (8 KB), and sections per pass over a block
 * (5 sections keep their 10 state vectors and the temporaries within the
 * 16 vector registers). */
enum { LANE_BLOCK = 256, LANE_GROUP = 5 };

static int cpu_has_avx2_fma(void)
{
    static int has = -1; /* a benign race, as cpu_has_fma */
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return has;
}

/* G sections over n interleaved samples in place; z[lane] are the four
 * channels' states (2 per section, from section `first`).  The arithmetic
 * per lane is section_group's with use_fma. */
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void
lane_group(int g, const double *coef, double *const *z, size_t first, double *blk, size_t n,
           ptrdiff_t step)
{
    __m256d b0[LANE_GROUP], c1[LANE_GROUP], c2[LANE_GROUP], na1[LANE_GROUP], na2[LANE_GROUP];
    __m256d z1[LANE_GROUP], z2[LANE_GROUP];
    for (int k = 0; k < g; k++) {
        const double *c = coef + 6 * k;
        size_t j = 2 * (first + (size_t)k);
        b0[k] = _mm256_set1_pd(c[0]);
        c1[k] = _mm256_set1_pd(c[1] - c[4] * c[0]);
        c2[k] = _mm256_set1_pd(c[2] - c[5] * c[0]);
        na1[k] = _mm256_set1_pd(-c[4]);
        na2[k] = _mm256_set1_pd(-c[5]);
        z1[k] = _mm256_set_pd(z[3][j], z[2][j], z[1][j], z[0][j]);
        z2[k] = _mm256_set_pd(z[3][j + 1], z[2][j + 1], z[1][j + 1], z[0][j + 1]);
    }
    double *p = blk;
    for (size_t i = 0; i < n; i++, p += 4 * step) {
        __m256d v = _mm256_load_pd(p);
        for (int k = 0; k < g; k++) {
            __m256d u = v;
            v = _mm256_fmadd_pd(b0[k], u, z1[k]);
            __m256d t1 = _mm256_fmadd_pd(c1[k], u, z2[k]);
            z2[k] = _mm256_fmadd_pd(na2[k], z1[k], _mm256_mul_pd(c2[k], u));
            z1[k] = _mm256_fmadd_pd(na1[k], z1[k], t1);
        }
        _mm256_store_pd(p, v);
    }
    for (int k = 0; k < g; k++) {
        double a[4] __attribute__((aligned(32))), b[4] __attribute__((aligned(32)));
        size_t j = 2 * (first + (size_t)k);
        _mm256_store_pd(a, z1[k]);
        _mm256_store_pd(b, z2[k]);
        for (int l = 0; l < 4; l++)
            z[l][j] = a[l], z[l][j + 1] = b[l];
    }
}

__attribute__((target("avx2,fma"))) static void
lane_sections(const emg_sos *sos, double *const *z, double *blk, size_t n, ptrdiff_t step)
{
    double *start = step > 0 ? blk : blk + 4 * (n - 1);
    for (size_t k = 0; k < sos->n_sections; k += LANE_GROUP) {
        size_t left = sos->n_sections - k;
        const double *coef = sos->coef + 6 * k;
        switch (left < LANE_GROUP ? left : LANE_GROUP) {
        case 1: lane_group(1, coef, z, k, start, n, step); break;
        case 2: lane_group(2, coef, z, k, start, n, step); break;
        case 3: lane_group(3, coef, z, k, start, n, step); break;
        case 4: lane_group(4, coef, z, k, start, n, step); break;
        default: lane_group(5, coef, z, k, start, n, step); break;
        }
    }
}

/* 4 x 4 transpose: rows r[l] = four consecutive samples of channel l become
 * four consecutive interleaved samples (one per lane each). */
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void
transpose4(__m256d *r)
{
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* blk[4 i + l] = src[l][i], i < m (four samples at a time by transposes). */
__attribute__((target("avx2,fma"))) static void interleave(const double *const *src, size_t at,
                                                          size_t m, double *blk)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d r[4];
        for (int l = 0; l < 4; l++)
            r[l] = _mm256_loadu_pd(src[l] + at + i);
        transpose4(r);
        for (int l = 0; l < 4; l++)
            _mm256_store_pd(blk + 4 * (i + (size_t)l), r[l]);
    }
    for (; i < m; i++)
        for (int l = 0; l < 4; l++)
            blk[4 * i + (size_t)l] = src[l][at + i];
}

/* dst[l][i] = blk[4 i + l], i < m (the inverse of interleave). */
__attribute__((target("avx2,fma"))) static void spread(const double *blk, size_t m,
                                                      double *const *dst, size_t at)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d r[4];
        for (int l = 0; l < 4; l++)
            r[l] = _mm256_load_pd(blk + 4 * (i + (size_t)l));
        transpose4(r);
        for (int l = 0; l < 4; l++)
            _mm256_storeu_pd(dst[l] + at + i, r[l]);
    }
    for (; i < m; i++)
        for (int l = 0; l < 4; l++)
            dst[l][at + i] = blk[4 * i + (size_t)l];
}

/* The cascade over src[lane][0..n) into dst[lane][0..n) (src == dst
 * allowed) for four channels with states z[lane], forward or backward in
 * time, block by block (blocks in time order going forward, in reverse order
 * going backward).  Reading the input straight from src spares the callers a
 * copy into their buffers. */
static void cascade_lanes(const emg_sos *sos, double *const *z, const double *const *src,
                          double *const *dst, size_t n, int forward)
{
    double blk[4 * LANE_BLOCK] __attribute__((aligned(32)));
    for (size_t done = 0; done < n;) {
        size_t m = n - done < LANE_BLOCK ? n - done : LANE_BLOCK;
        size_t at = forward ? done : n - done - m;
        interleave(src, at, m, blk);
        lane_sections(sos, z, blk, m, forward ? 1 : -1);
        spread(blk, m, dst, at);
        done += m;
    }
}
#endif

static void cascade_forward(const emg_sos *sos, double *z, double *x, size_t n)
{
    run_sections(sos, z, x, n, 1);
}

static void cascade_backward(const emg_sos *sos, double *z, double *x, size_t n)
{
    run_sections(sos, z, x, n, 0);
}

static void scaled_state(double *z, const double *zi, size_t n_state, double x0)
{
    for (size_t i = 0; i < n_state; i++)
        z[i] = zi[i] * x0;
}

/* ------------------------------------------------------------------------ */
/* Causal filter                                                             */
/* ------------------------------------------------------------------------ */

struct emg_iirfilt {
    emg_sos sos;
    double *zi;    /* steady state for a unit input */
    double *state; /* 2 per section */
};

int emg_iirfilt_create(emg_iirfilt **out, const emg_sos *sos, emg_error *err)
{
    *out = NULL;
    emg_iirfilt *f = calloc(1, sizeof *f);
    size_t ns = sos->n_sections;
    if (!f)
        return emg_error_set(err, EMG_ERR_NOMEM, "iir filter: out of memory");
    if (emg_sos_copy(&f->sos, sos, err) < 0) {
        free(f);
        return EMG_ERR_NOMEM;
    }
    f->zi = calloc(2 * ns + 1, sizeof(double));
    f->state = calloc(2 * ns + 1, sizeof(double));
    if (!f->zi || !f->state) {
        emg_iirfilt_destroy(f);
        return emg_error_set(err, EMG_ERR_NOMEM, "iir filter: out of memory");
    }
    emg_sos_steady_state(&f->sos, f->zi);
    *out = f;
    return 0;
}

void emg_iirfilt_execute(emg_iirfilt *f, const double *x, double *y, size_t n)
{
    if (x != y && n)
        memmove(y, x, n * sizeof(double));
    cascade_forward(&f->sos, f->state, y, n);
}

void emg_iirfilt_reset(emg_iirfilt *f)
{
    memset(f->state, 0, 2 * f->sos.n_sections * sizeof(double));
}

void emg_iirfilt_set_steady(emg_iirfilt *f, double x0)
{
    scaled_state(f->state, f->zi, 2 * f->sos.n_sections, x0);
}

void emg_iirfilt_destroy(emg_iirfilt *f)
{
    if (!f)
        return;
    emg_sos_free(&f->sos);
    free(f->zi);
    free(f->state);
    free(f);
}

/* ------------------------------------------------------------------------ */
/* Whole-array zero-phase                                                    */
/* ------------------------------------------------------------------------ */

static size_t effective_padlen(const emg_sos *sos, size_t padlen, size_t n)
{
    if (padlen == EMG_PADLEN_DEFAULT)
        padlen = emg_sos_default_padlen(sos);
    if (n > 0 && padlen >= n)
        padlen = n - 1;
    return padlen;
}

/* Head extension ext[i] = 2 x[0] - x[padlen - i], i = 0..padlen-1. */
static void odd_head(const double *x, size_t padlen, double *ext)
{
    for (size_t i = 0; i < padlen; i++)
        ext[i] = 2.0 * x[0] - x[padlen - i];
}

/* Tail extension ext[i] = 2 x[n-1] - x[n-2-i], i = 0..padlen-1, from the
 * last padlen + 1 samples last[0..padlen] (last[padlen] = x[n-1]). */
static void odd_tail(const double *last, size_t padlen, double *ext)
{
    for (size_t i = 0; i < padlen; i++)
        ext[i] = 2.0 * last[padlen] - last[padlen - 1 - i];
}

int emg_sosfiltfilt(const emg_sos *sos, double *x, size_t n, size_t padlen, emg_error *err)
{
    size_t ns = sos->n_sections;
    if (n == 0 || ns == 0)
        return 0;
    size_t p = effective_padlen(sos, padlen, n);
    double *work = malloc((2 * p + 4 * ns + 1) * sizeof(double));
    if (!work)
        return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
    double *head = work, *tail = work + p, *zi = tail + p, *z = zi + 2 * ns;
    emg_sos_steady_state(sos, zi);
    odd_head(x, p, head);
    odd_tail(x + n - 1 - p, p, tail);

    /* Forward over head + x + tail, section by section (the head's outputs
     * only set the state the signal starts from). */
    scaled_state(z, zi, 2 * ns, p ? head[0] : x[0]);
    cascade_forward(sos, z, head, p);
    cascade_forward(sos, z, x, n);
    cascade_forward(sos, z, tail, p);
    /* Backward from the end of the tail; the head's outputs are cut off. */
    scaled_state(z, zi, 2 * ns, p ? tail[p - 1] : x[n - 1]);
    cascade_backward(sos, z, tail, p);
    cascade_backward(sos, z, x, n);
    free(work);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Streaming zero-phase                                                      */
/* ------------------------------------------------------------------------ */

/* A growable array with a read offset. */
typedef struct fifo {
    double *v;
    size_t start, end, cap;
} fifo;

static size_t fifo_count(const fifo *q) { return q->end - q->start; }

/* Make room for extra more samples at the end; returns the write position. */
static double *fifo_reserve(fifo *q, size_t extra)
{
    if (q->start > 0 && (q->start >= q->end || q->end + extra > q->cap)) {
        memmove(q->v, q->v + q->start, (q->end - q->start) * sizeof(double));
        q->end -= q->start;
        q->start = 0;
    }
    if (q->end + extra > q->cap || !q->v) {
        /* Half as much again, not twice: the forward queue is sized once for
         * its steady state (start_forward), and every byte it spans is
         * touched, so rounding it up would cost memory and page faults. */
        size_t cap = q->cap + q->cap / 2;
        if (cap < q->end + extra)
            cap = q->end + extra;
        if (cap < 1024)
            cap = 1024;
        double *v = realloc(q->v, cap * sizeof(double));
        if (!v)
            return NULL;
        emgi_prefault(v + q->cap, (cap - q->cap) * sizeof(double));
        q->v = v;
        q->cap = cap;
    }
    return q->v + q->end;
}

static int fifo_append(fifo *q, const double *x, size_t n)
{
    double *w = fifo_reserve(q, n);
    if (!w)
        return -1;
    if (n)
        memcpy(w, x, n * sizeof(double));
    q->end += n;
    return 0;
}

enum { FF_HEAD, FF_RUNNING, FF_DONE };

struct emg_filtfilt {
    emg_sos sos;
    size_t padlen_request;
    size_t padlen;     /* p: samples of odd extension */
    size_t overlap;    /* L: look-ahead of each backward segment */
    size_t segment;    /* S: samples emitted per backward segment */
    int phase;
    double *zi;        /* unit steady state, 2 per section */
    double *zf;        /* forward state */
    double *zb;        /* backward state scratch */
    double *scratch;   /* max(overlap, padlen) values */
    double *last;      /* the last p + 1 raw inputs, oldest first */
    size_t n_in;       /* raw samples received */
    int saw_gap;       /* a non-finite sample came in: no more lanes (they do not restart) */
    fifo head;         /* first p + 1 raw samples, until the head is known */
    fifo fwd;          /* finished output (the first `ready` samples), then
                          forward output waiting for its backward pass */
    size_t ready;
};

static size_t pending_count(const emg_filtfilt *f) { return fifo_count(&f->fwd) - f->ready; }
static double *pending_start(emg_filtfilt *f) { return f->fwd.v + f->fwd.start + f->ready; }

/* Samples needed for r^L < 1e-13, with a margin for the polynomial factor
 * of nearly repeated poles. */
static size_t decay_length(const emg_sos *sos)
{
    double r = emg_sos_max_pole_radius(sos);
    size_t base = 4 * sos->n_sections + 8;
    if (!(r > 0))
        return base;
    if (r >= 1.0)
        return (size_t)1 << 26;
    double l = log(1e-13) / log(r);
    return base + (size_t)ceil(1.25 * l);
}

int emg_filtfilt_create(emg_filtfilt **out, const emg_sos *sos, size_t padlen, emg_error *err)
{
    *out = NULL;
    emg_filtfilt *f = calloc(1, sizeof *f);
    size_t ns = sos->n_sections;
    if (!f)
        return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
    if (emg_sos_copy(&f->sos, sos, err) < 0) {
        free(f);
        return EMG_ERR_NOMEM;
    }
    f->padlen_request = padlen;
    f->padlen = padlen == EMG_PADLEN_DEFAULT ? emg_sos_default_padlen(sos) : padlen;
    f->overlap = decay_length(sos);
    f->segment = 8 * f->overlap > 65536 ? 8 * f->overlap : 65536;
    size_t scratch = f->overlap > f->padlen ? f->overlap : f->padlen;
    f->zi = calloc(2 * ns + 1, sizeof(double));
    f->zf = calloc(2 * ns + 1, sizeof(double));
    f->zb = calloc(2 * ns + 1, sizeof(double));
    f->scratch = calloc(scratch + 1, sizeof(double));
    f->last = calloc(f->padlen + 1, sizeof(double));
    if (!f->zi || !f->zf || !f->zb || !f->scratch || !f->last) {
        emg_filtfilt_destroy(f);
        return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
    }
    emg_sos_steady_state(&f->sos, f->zi);
    f->phase = FF_HEAD;
    *out = f;
    return 0;
}

size_t emg_filtfilt_overlap(const emg_filtfilt *f) { return f->overlap; }

void emg_filtfilt_reset(emg_filtfilt *f)
{
    f->phase = FF_HEAD;
    f->n_in = 0;
    f->saw_gap = 0;
    f->head.start = f->head.end = 0;
    f->fwd.start = f->fwd.end = 0;
    f->ready = 0;
}

void emg_filtfilt_destroy(emg_filtfilt *f)
{
    if (!f)
        return;
    emg_sos_free(&f->sos);
    free(f->zi);
    free(f->zf);
    free(f->zb);
    free(f->scratch);
    free(f->last);
    free(f->head.v);
    free(f->fwd.v);
    free(f);
}

/* Keep the last p + 1 raw samples, in time order, for the tail extension;
 * known_finite: the caller has just checked x for gaps. */
static void remember_raw(emg_filtfilt *f, const double *x, size_t n, int known_finite)
{
    size_t ring = f->padlen + 1;
    if (!known_finite)
        f->saw_gap |= emg_has_gap(x, n);
    if (n >= ring) {
        memcpy(f->last, x + n - ring, ring * sizeof(double));
    } else if (n) {
        memmove(f->last, f->last + n, (ring - n) * sizeof(double));
        memcpy(f->last + ring - n, x, n * sizeof(double));
    }
    f->n_in += n;
}

/* Forward-filter raw samples and queue them for the backward pass. */
static int forward_append(emg_filtfilt *f, const double *x, size_t n, emg_error *err)
{
    double *w = fifo_reserve(&f->fwd, n);
    if (!w)
        return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
    if (n)
        memcpy(w, x, n * sizeof(double));
    cascade_forward(&f->sos, f->zf, w, n);
    f->fwd.end += n;
    return 0;
}

/* Run the backward pass over the first `count` pending forward samples plus
 * `look` samples beyond them, starting from steady state at the far end; the
 * first `count` become finished output, in place. */
static void backward_segment(emg_filtfilt *f, size_t count, size_t look)
{
    size_t ns2 = 2 * f->sos.n_sections;
    double *w = pending_start(f);
    if (look) {
        memcpy(f->scratch, w + count, look * sizeof(double));
        scaled_state(f->zb, f->zi, ns2, f->scratch[look - 1]);
        cascade_backward(&f->sos, f->zb, f->scratch, look);
    } else {
        scaled_state(f->zb, f->zi, ns2, w[count - 1]);
    }
    cascade_backward(&f->sos, f->zb, w, count);
    f->ready += count;
}

/* The first p + 1 samples are known: start the forward pass from the head
 * extension, as emg_sosfiltfilt does. */
static int start_forward(emg_filtfilt *f, emg_error *err)
{
    size_t p = f->padlen;
    const double *x = f->head.v + f->head.start;
    /* The queue's steady state: a segment and its look-ahead waiting for the
     * backward pass, plus an input block (as the readers' blocks: a few
     * thousand samples).  Sized in one step, no larger allocations are
     * touched on the way (and left behind by realloc) for a bigger one. */
    if (!fifo_reserve(&f->fwd, f->segment + f->overlap + 4096))
        return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
    odd_head(x, p, f->scratch);
    scaled_state(f->zf, f->zi, 2 * f->sos.n_sections, p ? f->scratch[0] : x[0]);
    cascade_forward(&f->sos, f->zf, f->scratch, p);
    int rc = forward_append(f, x, fifo_count(&f->head), err);
    f->head.start = f->head.end = 0;
    f->phase = FF_RUNNING;
    return rc;
}

int emg_filtfilt_push(emg_filtfilt *f, const double *x, size_t n, emg_error *err)
{
    if (f->phase == FF_DONE)
        return emg_error_set(err, EMG_ERR_ARG, "zero-phase filter: push after finish");
    if (f->sos.n_sections == 0) {
        if (fifo_append(&f->fwd, x, n) < 0)
            return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
        f->ready += n;
        return 0;
    }
    remember_raw(f, x, n, 0);
    int rc;
    if (f->phase == FF_HEAD) {
        size_t need = f->padlen + 1 - fifo_count(&f->head);
        size_t take = n < need ? n : need;
        if (fifo_append(&f->head, x, take) < 0)
            return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
        x += take;
        n -= take;
        if (fifo_count(&f->head) < f->padlen + 1)
            return 0;
        if ((rc = start_forward(f, err)) < 0)
            return rc;
    }
    if ((rc = forward_append(f, x, n, err)) < 0)
        return rc;
    while (pending_count(f) >= f->segment + f->overlap)
        backward_segment(f, f->segment, f->overlap);
    return 0;
}

int emg_filtfilt_finish(emg_filtfilt *f, emg_error *err)
{
    if (f->phase == FF_DONE || f->sos.n_sections == 0) {
        f->phase = FF_DONE;
        return 0;
    }
    int rc;
    if (f->phase == FF_HEAD) {
        /* Shorter than the padding: the whole signal is in the head buffer. */
        size_t n = fifo_count(&f->head);
        double *x = f->head.v + f->head.start;
        if (n && (rc = emg_sosfiltfilt(&f->sos, x, n, f->padlen_request, err)) < 0)
            return rc;
        if (fifo_append(&f->fwd, x, n) < 0)
            return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
        f->ready += n;
        f->head.start = f->head.end = 0;
        f->phase = FF_DONE;
        return 0;
    }
    /* Tail extension from the last p + 1 raw samples. */
    size_t p = f->padlen;
    double *tail = f->scratch;
    const double *lastp = f->last;
    odd_tail(lastp, p, tail);
    cascade_forward(&f->sos, f->zf, tail, p);
    scaled_state(f->zb, f->zi, 2 * f->sos.n_sections, p ? tail[p - 1] : 0.0);
    cascade_backward(&f->sos, f->zb, tail, p);
    /* The backward state now continues into the pending forward output. */
    size_t count = pending_count(f);
    if (count) {
        double *w = pending_start(f);
        if (!p)
            scaled_state(f->zb, f->zi, 2 * f->sos.n_sections, w[count - 1]);
        cascade_backward(&f->sos, f->zb, w, count);
        f->ready += count;
    }
    f->phase = FF_DONE;
    return 0;
}

/* ---- Four channels at once ----------------------------------------------
 *
 * Filters built from the same cascade and fed the same number of samples go
 * through the same phases with the same pending counts, so their forward
 * passes and backward segments line up and can run four at a time in the
 * lanes (cascade_lanes).  Each step below is the single-filter step of
 * emg_filtfilt_push / emg_filtfilt_finish, with the cascades batched. */

#ifdef EMG_FILTER_LANES
/* Four filters that can share the lanes from here on. */
static int lanes_compatible(emg_filtfilt *const *f)
{
    if (!cpu_has_avx2_fma())
        return 0;
    const emg_filtfilt *a = f[0];
    if (a->phase != FF_RUNNING || a->sos.n_sections == 0 || a->saw_gap)
        return 0;
    for (int l = 1; l < 4; l++) {
        const emg_filtfilt *b = f[l];
        if (b->phase != FF_RUNNING || b->saw_gap || b->sos.n_sections != a->sos.n_sections ||
            b->padlen != a->padlen || b->overlap != a->overlap || b->segment != a->segment ||
            pending_count(b) != pending_count(a) ||
            memcmp(b->sos.coef, a->sos.coef, 6 * a->sos.n_sections * sizeof(double)) != 0)
            return 0;
    }
    return 1;
}

static int lanes_have_gap(const double *const *x, size_t n)
{
    for (int l = 0; l < 4; l++)
        if (emg_has_gap(x[l], n))
            return 1;
    return 0;
}

static void backward_segments_lanes(emg_filtfilt *const *f)
{
    emg_filtfilt *a = f[0];
    size_t ns2 = 2 * a->sos.n_sections, count = a->segment, look = a->overlap;
    while (pending_count(a) >= count + look) {
        double *zb[4], *w[4], *ahead[4];
        const double *beyond[4];
        for (int l = 0; l < 4; l++) {
            w[l] = pending_start(f[l]);
            beyond[l] = w[l] + count;
            ahead[l] = f[l]->scratch;
            zb[l] = f[l]->zb;
            scaled_state(zb[l], f[l]->zi, ns2, beyond[l][look - 1]);
        }
        cascade_lanes(&a->sos, zb, beyond, ahead, look, 0);
        cascade_lanes(&a->sos, zb, (const double *const *)w, w, count, 0);
        for (int l = 0; l < 4; l++)
            f[l]->ready += count;
    }
}

static int push_lanes(emg_filtfilt *const *f, const double *const *x, size_t n, emg_error *err)
{
    double *zf[4], *w[4];
    for (int l = 0; l < 4; l++) {
        remember_raw(f[l], x[l], n, 1); /* lanes_have_gap checked */
        if (!(w[l] = fifo_reserve(&f[l]->fwd, n)))
            return emg_error_set(err, EMG_ERR_NOMEM, "zero-phase filter: out of memory");
        zf[l] = f[l]->zf;
    }
    cascade_lanes(&f[0]->sos, zf, x, w, n, 1);
    for (int l = 0; l < 4; l++)
        f[l]->fwd.end += n;
    backward_segments_lanes(f);
    return 0;
}

/* emg_filtfilt_finish's running case, batched. */
static void finish_lanes(emg_filtfilt *const *f)
{
    size_t p = f[0]->padlen, ns2 = 2 * f[0]->sos.n_sections, count = pending_count(f[0]);
    double *tail[4], *zf[4], *zb[4], *w[4];
    for (int l = 0; l < 4; l++) {
        tail[l] = f[l]->scratch;
        odd_tail(f[l]->last, p, tail[l]);
        zf[l] = f[l]->zf;
        zb[l] = f[l]->zb;
        w[l] = pending_start(f[l]);
    }
    cascade_lanes(&f[0]->sos, zf, (const double *const *)tail, tail, p, 1);
    for (int l = 0; l < 4; l++)
        scaled_state(zb[l], f[l]->zi, ns2, p ? tail[l][p - 1] : 0.0);
    cascade_lanes(&f[0]->sos, zb, (const double *const *)tail, tail, p, 0);
    if (count) {
        for (int l = 0; l < 4 && !p; l++)
            scaled_state(zb[l], f[l]->zi, ns2, w[l][count - 1]);
        cascade_lanes(&f[0]->sos, zb, (const double *const *)w, w, count, 0);
    }
    for (int l = 0; l < 4; l++) {
        f[l]->ready += count;
        f[l]->phase = FF_DONE;
    }
}
#endif

int emg_filtfilt_push_group(emg_filtfilt *const *f, size_t k, const double *const *x, size_t n,
                            emg_error *err)
{
    size_t i = 0;
#ifdef EMG_FILTER_LANES
    for (; i + 4 <= k && lanes_compatible(f + i) && !lanes_have_gap(x + i, n); i += 4) {
        int rc = push_lanes(f + i, x + i, n, err);
        if (rc < 0)
            return rc;
    }
#endif
    for (; i < k; i++) {
        int rc = emg_filtfilt_push(f[i], x[i], n, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int emg_filtfilt_finish_group(emg_filtfilt *const *f, size_t k, emg_error *err)
{
    size_t i = 0;
#ifdef EMG_FILTER_LANES
    for (; i + 4 <= k && lanes_compatible(f + i); i += 4)
        finish_lanes(f + i);
#endif
    for (; i < k; i++) {
        int rc = emg_filtfilt_finish(f[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

size_t emg_filtfilt_available(const emg_filtfilt *f) { return f->ready; }

const double *emg_filtfilt_peek(const emg_filtfilt *f, size_t *n)
{
    *n = f->ready;
    return f->fwd.v ? f->fwd.v + f->fwd.start : NULL;
}

void emg_filtfilt_consume(emg_filtfilt *f, size_t n)
{
    if (n > f->ready)
        n = f->ready;
    f->fwd.start += n;
    f->ready -= n;
    if (f->fwd.start == f->fwd.end)
        f->fwd.start = f->fwd.end = 0;
}

size_t emg_filtfilt_pull(emg_filtfilt *f, double *y, size_t max)
{
    size_t n = f->ready < max ? f->ready : max;
    if (n)
        memcpy(y, f->fwd.v + f->fwd.start, n * sizeof(double));
    emg_filtfilt_consume(f, n);
    return n;
}
/* ------------------------------------------------------------------------ */
/* Mains detection                                                           */
/* ------------------------------------------------------------------------ */

/* |DTFT|^2 of x[0..n) at w rad/sample (generalised Goertzel). */
static double goertzel_power(const double *x, size_t n, double w)
{
    double coeff = 2.0 * cos(w), s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

enum { MAINS_HARMONICS = 4, MAINS_NEIGHBOURS = 5, MAINS_PEAK_PROBES = 3 };
static const double mains_offsets[MAINS_NEIGHBOURS] = {2, 3, 4, 5, 6};

/* Frequencies probed around one harmonic: the line itself at the nominal
 * frequency and half a bin either side (mains drifts by a few tenths of a
 * hertz), and neighbours 2-6 Hz either side for the broadband floor. */
typedef struct mains_probe {
    double base;   /* 50 or 60 */
    int harmonic;  /* 1 = fundamental */
    double peak_freq[MAINS_PEAK_PROBES];
    double neighbour_freq[2 * MAINS_NEIGHBOURS];
    double peak_power[MAINS_PEAK_PROBES];
    double neighbour_power[2 * MAINS_NEIGHBOURS];
} mains_probe;

static double probe_peak(const mains_probe *p)
{
    double peak = 0;
    for (int k = 0; k < MAINS_PEAK_PROBES; k++)
        peak = fmax(peak, p->peak_power[k]);
    return peak;
}

static double probe_floor(const mains_probe *p)
{
    double floor_ = 0;
    for (int k = 0; k < 2 * MAINS_NEIGHBOURS; k++)
        floor_ += p->neighbour_power[k] / (2.0 * MAINS_NEIGHBOURS);
    return floor_;
}

static double excess_db(double peak, double floor_)
{
    return peak > 0 && floor_ > 0 ? 10.0 * log10(peak / floor_) : 0.0;
}

/* The fundamental's excess over its neighbours (*fundamental) and the
 * excess of all harmonics' power over all their floors (*combined). */
static void mains_scores(const mains_probe *probes, size_t n, double base, double *fundamental,
                         double *combined)
{
    double peak = 0, floor_ = 0;
    *fundamental = 0;
    for (size_t i = 0; i < n; i++) {
        if (probes[i].base != base)
            continue;
        if (probes[i].harmonic == 1)
            *fundamental = excess_db(probe_peak(&probes[i]), probe_floor(&probes[i]));
        peak += probe_peak(&probes[i]);
        floor_ += probe_floor(&probes[i]);
    }
    *combined = excess_db(peak, floor_);
}

static void probe_segment(mains_probe *probes, size_t n_probes, const double *seg, size_t m,
                          double fs)
{
    for (size_t i = 0; i < n_probes; i++) {
        mains_probe *p = &probes[i];
        for (int k = 0; k < MAINS_PEAK_PROBES; k++)
            p->peak_power[k] += goertzel_power(seg, m, 2.0 * M_PI * p->peak_freq[k] / fs);
        for (int k = 0; k < 2 * MAINS_NEIGHBOURS; k++)
            p->neighbour_power[k] += goertzel_power(seg, m, 2.0 * M_PI * p->neighbour_freq[k] / fs);
    }
}

int emg_mains_detect(const double *x, size_t n, double fs, double *freq, double *score_db,
                     emg_error *err)
{
    *freq = 0;
    if (score_db)
        *score_db = 0;
    if (!(fs > 120))
        return emg_error_set(err, EMG_ERR_ARG,
                             "mains detection: sampling rate %g Hz too low (needs > 120 Hz)", fs);
    if ((double)n < floor(fs + 0.5))
        return emg_error_set(err, EMG_ERR_ARG,
                             "mains detection: %zu samples are less than 1 s at %g Hz", n, fs);
    /* Segments of 1-4 s, long enough for a fine resolution (a narrow line
     * stands higher above a broadband floor in a narrower bin), short enough
     * for at least 8 of them (15 with half overlap) to steady the estimate. */
    double seg_s = fmin(4.0, fmax(1.0, floor((double)n / fs / 8.0)));
    size_t m = (size_t)floor(seg_s * fs + 0.5), hop = m / 2;
    if (m > n)
        m = n;
    mains_probe probes[2 * MAINS_HARMONICS];
    size_t np = 0;
    static const double bases[2] = {50.0, 60.0};
    for (int b = 0; b < 2; b++)
        for (int h = 1; h <= MAINS_HARMONICS; h++) {
            double f = bases[b] * h;
            if (f + mains_offsets[MAINS_NEIGHBOURS - 1] >= 0.95 * fs / 2)
                continue;
            mains_probe *p = &probes[np++];
            memset(p, 0, sizeof *p);
            p->base = bases[b];
            p->harmonic = h;
            for (int k = 0; k < MAINS_PEAK_PROBES; k++)
                p->peak_freq[k] = f + (k - MAINS_PEAK_PROBES / 2) * 0.5 / seg_s;
            for (int k = 0; k < MAINS_NEIGHBOURS; k++) {
                p->neighbour_freq[2 * k] = f - mains_offsets[k];
                p->neighbour_freq[2 * k + 1] = f + mains_offsets[k];
            }
        }
    double *seg = malloc(2 * m * sizeof(double));
    if (!seg)
        return emg_error_set(err, EMG_ERR_NOMEM, "mains detection: out of memory");
    double *win = seg + m;
    for (size_t i = 0; i < m; i++)
        win[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)m);
    /* Half-overlapping segments over at most the first 60 s. */
    size_t max_seg = (size_t)(2 * 60.0 / seg_s);
    for (size_t start = 0, s = 0; start + m <= n && s < max_seg; start += hop, s++) {
        const double *xs = x + start;
        if (emg_has_gap(xs, m))
            continue; /* a gap would make every probe's power NaN */
        double mean = 0;
        for (size_t i = 0; i < m; i++)
            mean += xs[i];
        mean /= (double)m;
        for (size_t i = 0; i < m; i++)
            seg[i] = (xs[i] - mean) * win[i];
        probe_segment(probes, np, seg, m, fs);
    }
    free(seg);
    /* A base is present when its fundamental stands 6 dB above its
     * neighbours; if both are, the one whose harmonics together stand
     * higher wins. */
    double f50, c50, f60, c60;
    mains_scores(probes, np, 50.0, &f50, &c50);
    mains_scores(probes, np, 60.0, &f60, &c60);
    int has50 = f50 >= 6.0, has60 = f60 >= 6.0;
    if (has50 && (!has60 || c50 >= c60))
        *freq = 50.0;
    else if (has60)
        *freq = 60.0;
    if (score_db)
        *score_db = *freq == 50.0 ? f50 : *freq == 60.0 ? f60 : fmax(f50, f60);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Whole-array operations                                                    */
/* ------------------------------------------------------------------------ */

/* Gaps (non-finite samples) take no part in the mean or the trend and stay
 * as they are (docs/recording-model.md). */
void emg_remove_dc(double *x, size_t n)
{
    double sum = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            sum += x[i], used++;
    if (!used)
        return;
    double mean = sum / (double)used;
    for (size_t i = 0; i < n; i++)
        x[i] -= mean;
}

/* Least squares on a centred time axis t = i - c, c the mean index of the
 * finite samples, where sum(t) = 0, so slope = sum(t x) / sum(t^2) and
 * intercept = mean(x) with no cancellation. */
void emg_detrend_linear(double *x, size_t n)
{
    double mid = 0, sx = 0, stx = 0, stt = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            mid += (double)i, sx += x[i], used++;
    if (used < 2) {
        emg_remove_dc(x, n);
        return;
    }
    mid /= (double)used;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        double t = (double)i - mid;
        stx += t * x[i];
        stt += t * t;
    }
    double mean = sx / (double)used, slope = stx / stt;
    for (size_t i = 0; i < n; i++)
        x[i] -= mean + slope * ((double)i - mid);
}

void emg_rectify(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = fabs(x[i]);
}
