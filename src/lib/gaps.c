/* gaps.c: finding non-finite samples, the gaps of docs/recording-model.md.
 * Every analysis that must not let one NaN spread over a channel (filters,
 * windows, detection, labelling, spectra) scans with these. */
#include "emgkit/gaps.h"

#include <math.h>
#include <stdio.h>

size_t emg_finite_run(const double *x, size_t n)
{
    size_t i = 0;
    while (i < n && isfinite(x[i]))
        i++;
    return i;
}

size_t emg_gap_run(const double *x, size_t n)
{
    size_t i = 0;
    while (i < n && !isfinite(x[i]))
        i++;
    return i;
}

int emg_has_gap(const double *x, size_t n)
{
    return emg_finite_run(x, n) < n;
}

void emg_gap_count_add(emg_gap_count *c, const double *x, size_t n, long long start)
{
    for (size_t i = emg_finite_run(x, n); i < n; i++) {
        if (isfinite(x[i]))
            continue;
        if (c->count++ == 0)
            c->first = start + (long long)i;
    }
}

int emg_gap_warning(char *buf, size_t size, const emg_gap_count *g, const char *channel,
                    double fs)
{
    if (size)
        buf[0] = '\0';
    if (g->count == 0)
        return 0;
    return snprintf(buf, size,
                    "channel %s: %zu non-finite sample%s (NaN or infinity), the first at %.6g s "
                    "(sample %lld): treated as gaps",
                    channel, g->count, g->count == 1 ? "" : "s",
                    fs > 0 ? (double)g->first / fs : NAN, g->first);
}
