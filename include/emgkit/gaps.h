/* emgkit/gaps.h: non-finite samples are gaps (docs/recording-model.md).
 *
 * A NaN or an infinity in a channel (a CSV "nan", a float WAV, a pipe stream)
 * is missing data, not a value: every analysis finds them with these
 * functions, reports how many there were and where the first was, and treats
 * the span as a gap: filters restart after it, windows touching it are
 * flagged "gap", detection and labelling place no event across it. */
#ifndef EMGKIT_GAPS_H
#define EMGKIT_GAPS_H

#include "emgkit/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What an analysis saw of one channel's gaps. */
typedef struct emg_gap_count {
    size_t count;     /* non-finite samples */
    long long first;  /* index of the first one from the channel start, or -1 */
} emg_gap_count;
#define EMG_GAP_COUNT_INIT {0, -1}

/* Number of leading finite samples of x[0..n). */
EMGKIT_API size_t emg_finite_run(const double *x, size_t n);
/* Number of leading non-finite samples of x[0..n). */
EMGKIT_API size_t emg_gap_run(const double *x, size_t n);
/* 1 if x[0..n) holds a non-finite sample. */
EMGKIT_API int emg_has_gap(const double *x, size_t n);
/* Add the non-finite samples of x[0..n), whose first sample is sample `start`
 * of the channel, to c. */
EMGKIT_API void emg_gap_count_add(emg_gap_count *c, const double *x, size_t n, long long start);

/* The one warning a tool prints for a channel with gaps, e.g.
 * "channel EMG1: 2 non-finite samples (NaN or infinity), the first at
 * 12.5 s (sample 25000): treated as gaps".  Writes "" and returns 0 when
 * the channel has none; else returns what snprintf returns. */
EMGKIT_API int emg_gap_warning(char *buf, size_t size, const emg_gap_count *g, const char *channel,
                               double fs);

#ifdef __cplusplus
}
#endif
#endif
