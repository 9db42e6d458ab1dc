/* gaps.c: finding non-finite samples, the gaps of docs/recording-model.md.
 * Every analysis that must not let one NaN spread over a channel (filters,
 * windows, detection, labelling, spectra) scans with these. */
#include "emgkit/gaps.h"

#include <math.h>

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
