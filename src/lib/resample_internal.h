/* resample_internal.h: rational polyphase resampling of one channel.
 *
 * The method of scipy.signal.resample_poly with its default window: the
 * signal is upsampled by `up` (zeros inserted), low-pass filtered by a
 * linear-phase FIR of 2*10*max(up, down) + 1 taps (windowed sinc with cutoff
 * 1/max(up, down) of the Nyquist rate, Kaiser window beta 5, unit DC gain
 * times up) and decimated by `down`; the samples before the first and after
 * the last count as zeros.  Output sample m is at time m / (fs * up / down),
 * aligned with the input (no delay).  The same numbers as SciPy to rounding
 * (tests/py/test_dataset_h5py.py checks them). */
#ifndef EMGKIT_RESAMPLE_INTERNAL_H
#define EMGKIT_RESAMPLE_INTERNAL_H

#include <stddef.h>
#include "emgkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest up or down factor accepted (the filter has 20 * factor + 1 taps). */
#define EMG_RESAMPLE_MAX_FACTOR 2000

/* up/down in lowest terms for fs_in -> fs_out.  Both rates must be whole
 * numbers of Hz (within 1e-9 relative) and the reduced factors at most
 * EMG_RESAMPLE_MAX_FACTOR; otherwise EMG_ERR_UNSUPPORTED. */
int emgi_resample_ratio(double fs_in, double fs_out, long *up, long *down, emg_error *err);

/* Output length for n input samples: ceil(n * up / down). */
size_t emgi_resample_length(size_t n, long up, long down);

/* Resample x[0..n) into y[0..emgi_resample_length(n, up, down)). */
int emgi_resample_poly(const double *x, size_t n, long up, long down, double *y, emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
