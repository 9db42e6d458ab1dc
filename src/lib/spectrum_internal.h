/* spectrum_internal.h: spectrum entry points for the library's own callers. */
#ifndef EMGKIT_SPECTRUM_INTERNAL_H
#define EMGKIT_SPECTRUM_INTERNAL_H

#include "emgkit/spectrum.h"

/* emg_welch_cache_window; known_finite: the caller has checked the whole
 * window for gaps, so its segments are not checked again (each check reads
 * the segment once more: the feature extractor's windows were scanned about
 * ten times per sample). */
int emgi_welch_cache_window(emg_welch_cache *c, long long start, const double *x, double *psd,
                            int known_finite, emg_error *err);

#endif
