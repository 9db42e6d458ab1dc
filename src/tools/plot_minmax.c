/* plot_minmax.c: min/max decimation of a long signal for drawing.
 *
 * Samples go into buckets of B samples keeping the smallest and largest
 * value, and the band between the buckets' minima and maxima is drawn.  With
 * about two buckets per pixel column, what a column shows is what drawing
 * every sample would show there (the envelope of the samples under it), from
 * a few thousand points however long the signal.  Memory
 * does not grow with the signal: when the buckets fill their array, pairs
 * merge and B doubles. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"



void plot_minmax_init(plot_minmax *m, size_t max_buckets, int64_t expected)
{
    memset(m, 0, sizeof *m);
    m->cap = max_buckets;
    m->per_bucket = expected > 0 ? (size_t)((expected + (int64_t)max_buckets / 2 - 1) /
                                            (int64_t)(max_buckets / 2))
                                 : 1;
    if (m->per_bucket < 1)
        m->per_bucket = 1;
    m->lo = malloc(max_buckets * sizeof *m->lo);
    m->hi = malloc(max_buckets * sizeof *m->hi);
    if (!m->lo || !m->hi)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    m->cur_lo = INFINITY;
    m->cur_hi = -INFINITY;
}

/* Halve the bucket count: merge neighbours, double B.  The count is even
 * (cap is), so the open bucket starts on a boundary of the doubled ones. */
static void merge(plot_minmax *m)
{
    size_t k = 0;
    for (size_t i = 0; i + 1 < m->n; i += 2, k++) {
        m->lo[k] = isnan(m->lo[i]) ? m->lo[i + 1] : isnan(m->lo[i + 1]) ? m->lo[i]
                                                   : fmin(m->lo[i], m->lo[i + 1]);
        m->hi[k] = isnan(m->hi[i]) ? m->hi[i + 1] : isnan(m->hi[i + 1]) ? m->hi[i]
                                                   : fmax(m->hi[i], m->hi[i + 1]);
    }
    m->n = k;
    m->per_bucket *= 2;
}

static void close_bucket(plot_minmax *m)
{
    if (m->n == m->cap)
        merge(m);
    m->lo[m->n] = isfinite(m->cur_lo) ? m->cur_lo : NAN;
    m->hi[m->n] = isfinite(m->cur_hi) ? m->cur_hi : NAN;
    m->n++;
    m->fill = 0;
    m->cur_lo = INFINITY;
    m->cur_hi = -INFINITY;
}

void plot_minmax_add(plot_minmax *m, const double *x, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t take = m->per_bucket - m->fill;
        if (take > n - i)
            take = n - i;
        double lo = m->cur_lo, hi = m->cur_hi;
        for (size_t k = i; k < i + take; k++) {
            double v = x[k];
            lo = v < lo ? v : lo; /* NaN compares false: gaps are skipped */
            hi = v > hi ? v : hi;
        }
        m->cur_lo = lo;
        m->cur_hi = hi;
        m->fill += take;
        m->samples += (long long)take;
        i += take;
        if (m->fill >= m->per_bucket)
            close_bucket(m);
    }
}

void plot_minmax_finish(plot_minmax *m)
{
    if (m->fill)
        close_bucket(m);
}

/* Stroke each bucket from its minimum to its maximum, a line through runs
 * of buckets with samples. */
/* One run of buckets with samples, [k0, k1): a line through the samples
 * when a bucket holds one, else the band between the minima and the maxima
 * filled: the same pixels as a stroke per bucket, at a fraction of the cost
 * to rasterise (a zigzag of thousands of vertical strokes overdraws). */
static void draw_run(const plot_minmax *m, size_t k0, size_t k1, double t0, double dt, double *x,
                     double *y)
{
    size_t n = k1 - k0;
    for (size_t k = k0; k < k1; k++) {
        double t = t0 + ((double)k + 0.5) * dt;
        x[k - k0] = t;
        y[k - k0] = m->hi[k];
        x[2 * n - 1 - (k - k0)] = t;
        y[2 * n - 1 - (k - k0)] = m->lo[k];
    }
    if (m->per_bucket == 1) {
        plline((PLINT)n, x, y);
        return;
    }
    plfill((PLINT)(2 * n), x, y);
    plline((PLINT)n, x, y);         /* the maxima and minima stroked too: a band */
    plline((PLINT)n, x + n, y + n); /* thinner than a pixel stays visible */
}

void plot_minmax_draw(const plot_minmax *m, double t0, double fs)
{
    double dt = (double)m->per_bucket / fs;
    double *x = malloc(2 * (m->n ? m->n : 1) * sizeof *x), *y = malloc(2 * (m->n ? m->n : 1) * sizeof *y);
    if (!x || !y)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    size_t start = 0;
    for (size_t k = 0; k <= m->n; k++) {
        if (k < m->n && !isnan(m->lo[k]))
            continue;
        if (k > start + 1)
            draw_run(m, start, k, t0, dt, x, y);
        start = k + 1;
    }
    free(x);
    free(y);
}
