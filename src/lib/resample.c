/* resample.c: rational polyphase resampling (resample_internal.h).
 *
 * Filter and alignment as scipy.signal.resample_poly (SciPy 1.x, window
 * ('kaiser', 5.0)): h = firwin(2 L + 1, 1 / max(up, down)) * up with
 * L = 10 max(up, down), and output m = sum_k x[k] h[m down + L - k up], the
 * filter centred on the output instant; only the taps that meet an input
 * sample are visited (one polyphase branch per output). */
#include "resample_internal.h"

#include <math.h>
#include <stdlib.h>

/* Half-length of the filter in upsampled samples per unit of max(up, down) (SciPy's 10). */
#define HALF_LENGTH_PER_FACTOR 10
/* Kaiser window shape (SciPy's default for resample_poly). */
#define KAISER_BETA 5.0

static long gcd_long(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int whole_hz(double fs, long *out)
{
    double r = round(fs);
    if (!(r >= 1) || fabs(fs - r) > 1e-9 * r || r > 1e12)
        return 0;
    *out = (long)r;
    return 1;
}

int emgi_resample_ratio(double fs_in, double fs_out, long *up, long *down, emg_error *err)
{
    long a, b;
    if (!whole_hz(fs_in, &a) || !whole_hz(fs_out, &b))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "resampling %g Hz to %g Hz: both rates must be whole numbers of Hz",
                             fs_in, fs_out);
    long g = gcd_long(a, b);
    *up = b / g;
    *down = a / g;
    if (*up > EMG_RESAMPLE_MAX_FACTOR || *down > EMG_RESAMPLE_MAX_FACTOR)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "resampling %g Hz to %g Hz: ratio %ld/%ld has factors above %d",
                             fs_in, fs_out, *up, *down, EMG_RESAMPLE_MAX_FACTOR);
    return EMG_OK;
}

size_t emgi_resample_length(size_t n, long up, long down)
{
    unsigned long long total = (unsigned long long)n * (unsigned long long)up;
    return (size_t)(total / (unsigned long long)down + (total % (unsigned long long)down != 0));
}

/* Modified Bessel function of the first kind, order 0 (power series; the
 * terms fall fast for the arguments a Kaiser window uses, beta <= 20). */
static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

/* firwin(taps, cutoff, window=('kaiser', beta)) with scale=True, times gain. */
static double *lowpass_taps(size_t taps, double cutoff, double gain)
{
    double *h = malloc(taps * sizeof *h);
    if (!h)
        return NULL;
    double centre = 0.5 * (double)(taps - 1), sum = 0, i0_beta = bessel_i0(KAISER_BETA);
    for (size_t i = 0; i < taps; i++) {
        double m = (double)i - centre, arg = M_PI * cutoff * m;
        double sinc = m == 0 ? 1.0 : sin(arg) / arg;
        double r = taps > 1 ? 2.0 * (double)i / (double)(taps - 1) - 1.0 : 0.0;
        double w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) / i0_beta;
        h[i] = cutoff * sinc * w;
        sum += h[i];
    }
    for (size_t i = 0; i < taps; i++)
        h[i] *= gain / sum;
    return h;
}

int emgi_resample_poly(const double *x, size_t n, long up, long down, double *y, emg_error *err)
{
    size_t n_out = emgi_resample_length(n, up, down);
    if (up == down) {
        for (size_t i = 0; i < n; i++)
            y[i] = x[i];
        return EMG_OK;
    }
    long factor = up > down ? up : down;
    long half = HALF_LENGTH_PER_FACTOR * factor;
    double *h = lowpass_taps((size_t)(2 * half + 1), 1.0 / (double)factor, (double)up);
    if (!h)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory for a resampling filter");
    for (size_t m = 0; m < n_out; m++) {
        long long c = (long long)m * down + half; /* filter index of input sample 0 */
        long long lo = c - 2LL * half;
        long long k0 = lo <= 0 ? 0 : (lo + up - 1) / up, k1 = c / up;
        if (k1 > (long long)n - 1)
            k1 = (long long)n - 1;
        double acc = 0;
        for (long long k = k0; k <= k1; k++)
            acc += x[k] * h[c - k * up];
        y[m] = acc;
    }
    free(h);
    return EMG_OK;
}
