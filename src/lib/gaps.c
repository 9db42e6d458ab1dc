/* gaps.c: finding non-finite samples, the gaps of docs/recording-model.md.
 * Every analysis that must not let one NaN spread over a channel (filters,
 * windows, detection, labelling, spectra) scans with these. */
#include "emgkit/gaps.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Whether the 16 samples at x are all finite.  A NaN or infinity has all
 * exponent bits set, so adding one to the exponent of its magnitude carries
 * into the sign bit: integer and / add / or on vectors of four (GCC / Clang
 * vector extensions, two SSE2 registers each where nothing wider exists).
 * The scan runs once or twice per sample in every filter stage, and sample
 * by sample it cost a fair part of a filter section. */
typedef uint64_t u64x4 __attribute__((vector_size(32)));

static int finite16(const double *x)
{
    const u64x4 magnitude = {0x7fffffffffffffffu, 0x7fffffffffffffffu, 0x7fffffffffffffffu,
                             0x7fffffffffffffffu};
    const u64x4 exponent_one = {0x0010000000000000u, 0x0010000000000000u,
                                0x0010000000000000u, 0x0010000000000000u};
    u64x4 carry = {0, 0, 0, 0};
    for (int k = 0; k < 16; k += 4) {
        u64x4 u;
        memcpy(&u, x + k, sizeof u);
        carry |= (u & magnitude) + exponent_one;
    }
    return !((carry[0] | carry[1] | carry[2] | carry[3]) >> 63);
}

size_t emg_finite_run(const double *x, size_t n)
{
    size_t i = 0;
    while (i + 16 <= n && finite16(x + i))
        i += 16;
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
