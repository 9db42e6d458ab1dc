/* filter_design.c: Butterworth and notch filters as second-order sections.
 *
 * Butterworth (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed.,
 * 2010, sec. 7.1.3, 7.2): the analog prototype's poles lie on the unit circle,
 * p_k = exp(j pi (2k + N + 1) / (2N)); the band edges are pre-warped,
 * c = tan(pi f / fs), so that the bilinear transform z = (1 + s) / (1 - s)
 * maps them exactly; low-pass to band-pass and band-stop use the usual
 * frequency transformations s -> (s^2 + w0^2) / (s bw) and its inverse.
 * Zeros are known in closed form (z = -1, +1 or exp(+-j w0)), so each
 * conjugate pole pair becomes one section with its own pair of zeros, and each
 * section is scaled to unit gain at the pass band's reference frequency.
 * Working in sections rather than one high-order polynomial keeps the poles
 * exact at high order (the direct form's coefficients lose them beyond order
 * ~8 in double: O&S sec. 6.9).  Sections are ordered as SciPy's zpk2sos
 * orders them: poles farthest from the unit circle first.
 *
 * Notch: SciPy's iirnotch (after Sophocles Orfanidis, Introduction to Signal
 * Processing, 1996, sec. 11.3): b = g [1, -2 cos w0, 1],
 * a = [1, -2 g cos w0, 2 g - 1], g = 1 / (1 + tan(bw / 2)). */
#include "emgkit/filter.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define BUTTER_MAX_ORDER 20

static int sos_alloc(emg_sos *sos, size_t n_sections, emg_error *err)
{
    emg_sos_free(sos);
    if (n_sections == 0)
        return 0;
    sos->coef = calloc(6 * n_sections, sizeof(double));
    if (!sos->coef)
        return emg_error_set(err, EMG_ERR_NOMEM, "filter design: out of memory");
    sos->n_sections = n_sections;
    return 0;
}

void emg_sos_free(emg_sos *sos)
{
    if (!sos)
        return;
    free(sos->coef);
    sos->coef = NULL;
    sos->n_sections = 0;
}

int emg_sos_copy(emg_sos *dst, const emg_sos *src, emg_error *err)
{
    if (dst == src)
        return 0;
    int rc = sos_alloc(dst, src->n_sections, err);
    if (rc < 0)
        return rc;
    if (src->n_sections)
        memcpy(dst->coef, src->coef, 6 * src->n_sections * sizeof(double));
    return 0;
}

int emg_sos_append(emg_sos *dst, const emg_sos *src, emg_error *err)
{
    if (src->n_sections == 0)
        return 0;
    size_t n = dst->n_sections + src->n_sections;
    double *coef = realloc(dst->coef, 6 * n * sizeof(double));
    if (!coef)
        return emg_error_set(err, EMG_ERR_NOMEM, "filter design: out of memory");
    memcpy(coef + 6 * dst->n_sections, src->coef, 6 * src->n_sections * sizeof(double));
    dst->coef = coef;
    dst->n_sections = n;
    return 0;
}

static double complex section_response(const double *c, double complex z1)
{
    /* z1 = z^-1 */
    double complex num = c[0] + z1 * (c[1] + z1 * c[2]);
    double complex den = c[3] + z1 * (c[4] + z1 * c[5]);
    return num / den;
}

void emg_sos_freqz(const emg_sos *sos, double f, double fs, double *re, double *im)
{
    double complex z1 = cexp(-I * 2.0 * M_PI * f / fs);
    double complex h = 1.0;
    for (size_t k = 0; k < sos->n_sections; k++)
        h *= section_response(sos->coef + 6 * k, z1);
    if (re)
        *re = creal(h);
    if (im)
        *im = cimag(h);
}

double emg_sos_gain_db(const emg_sos *sos, double f, double fs)
{
    double re, im;
    emg_sos_freqz(sos, f, fs, &re, &im);
    double mag = hypot(re, im);
    return mag > 0 ? 20.0 * log10(mag) : -INFINITY;
}

/* Largest |root| of z^2 + a1 z + a2. */
static double section_pole_radius(const double *c)
{
    double a1 = c[4], a2 = c[5];
    double disc = a1 * a1 - 4.0 * a2;
    if (disc < 0)
        return sqrt(a2);
    double s = sqrt(disc);
    return fmax(fabs((-a1 + s) / 2.0), fabs((-a1 - s) / 2.0));
}

double emg_sos_max_pole_radius(const emg_sos *sos)
{
    double r = 0.0;
    for (size_t k = 0; k < sos->n_sections; k++)
        r = fmax(r, section_pole_radius(sos->coef + 6 * k));
    return r;
}

/* Steady state of one transposed-direct-form-II section for a constant input
 * u: the output is y = H(1) u, and the state equations y = b0 u + z1,
 * z2 = b2 u - a2 y give the rest (equivalent to SciPy's lfilter_zi). */
void emg_sos_steady_state(const emg_sos *sos, double *zi)
{
    double u = 1.0;
    for (size_t k = 0; k < sos->n_sections; k++) {
        const double *c = sos->coef + 6 * k;
        double dc = (c[0] + c[1] + c[2]) / (c[3] + c[4] + c[5]);
        double y = dc * u;
        zi[2 * k] = y - c[0] * u;
        zi[2 * k + 1] = c[2] * u - c[5] * y;
        u = y;
    }
}

size_t emg_sos_default_padlen(const emg_sos *sos)
{
    size_t zero_b2 = 0, zero_a2 = 0;
    for (size_t k = 0; k < sos->n_sections; k++) {
        zero_b2 += sos->coef[6 * k + 2] == 0.0;
        zero_a2 += sos->coef[6 * k + 5] == 0.0;
    }
    size_t first_order = zero_b2 < zero_a2 ? zero_b2 : zero_a2;
    return 3 * (2 * sos->n_sections + 1 - first_order);
}

/* ------------------------------------------------------------------------ */

typedef struct pole_list {
    size_t n;
    double complex p[4 * BUTTER_MAX_ORDER];
} pole_list;

static double complex bilinear(double complex s)
{
    return (1.0 + s) / (1.0 - s);
}

/* Analog prototype poles (cutoff 1 rad/s) mapped through the band
 * transformation and the bilinear transform into the z plane. */
static void digital_poles(pole_list *out, emg_band type, int order, double c1, double c2)
{
    double bw = c2 - c1, w0sq = c1 * c2;
    out->n = 0;
    for (int k = 0; k < order; k++) {
        double complex p = cexp(I * M_PI * (2.0 * k + order + 1) / (2.0 * order));
        switch (type) {
        case EMG_BAND_LOWPASS:
            out->p[out->n++] = bilinear(c1 * p);
            break;
        case EMG_BAND_HIGHPASS:
            out->p[out->n++] = bilinear(c1 / p);
            break;
        case EMG_BAND_BANDPASS: {
            /* roots of s^2 - p bw s + w0^2 = 0 */
            double complex h = p * bw / 2.0, r = csqrt(h * h - w0sq);
            out->p[out->n++] = bilinear(h + r);
            out->p[out->n++] = bilinear(h - r);
            break;
        }
        case EMG_BAND_BANDSTOP: {
            /* roots of s^2 - (bw / p) s + w0^2 = 0 */
            double complex h = bw / p / 2.0, r = csqrt(h * h - w0sq);
            out->p[out->n++] = bilinear(h + r);
            out->p[out->n++] = bilinear(h - r);
            break;
        }
        }
    }
}

static int by_distance_to_circle(const void *a, const void *b)
{
    double da = 1.0 - cabs(*(const double complex *)a);
    double db = 1.0 - cabs(*(const double complex *)b);
    return da < db ? 1 : da > db ? -1 : 0;
}

/* Group poles into sections: each pole with Im > 0 with its conjugate, real
 * poles two by two, a leftover real pole alone.  Writes a1 a2 per section in
 * order of decreasing distance from the unit circle; returns the count and
 * flags first-order sections (one real pole, a2 == 0). */
static size_t pair_poles(const pole_list *poles, double (*den)[2], int *first_order)
{
    double complex cplx[4 * BUTTER_MAX_ORDER];
    double real[4 * BUTTER_MAX_ORDER];
    size_t n_cplx = 0, n_real = 0, n_sec = 0;
    for (size_t i = 0; i < poles->n; i++) {
        double complex p = poles->p[i];
        double tol = 1e-10 * fmax(1.0, cabs(p));
        if (fabs(cimag(p)) <= tol)
            real[n_real++] = creal(p);
        else if (cimag(p) > 0)
            cplx[n_cplx++] = p;
    }
    /* Complex pairs and real pairs, sorted together by radius. */
    double complex group[4 * BUTTER_MAX_ORDER];
    size_t n_group = 0;
    for (size_t i = 0; i < n_cplx; i++)
        group[n_group++] = cplx[i];
    qsort(group, n_group, sizeof group[0], by_distance_to_circle);
    /* Real poles: sort by radius too, pair neighbours. */
    for (size_t i = 1; i < n_real; i++)
        for (size_t j = i; j > 0 && fabs(real[j]) < fabs(real[j - 1]); j--) {
            double t = real[j];
            real[j] = real[j - 1];
            real[j - 1] = t;
        }
    size_t ri = 0;
    if (n_real % 2) { /* the lone real pole is the farthest from the circle: first */
        den[n_sec][0] = -real[0];
        den[n_sec][1] = 0.0;
        first_order[n_sec] = 1;
        n_sec++;
        ri = 1;
    }
    for (; ri + 1 < n_real; ri += 2) {
        den[n_sec][0] = -(real[ri] + real[ri + 1]);
        den[n_sec][1] = real[ri] * real[ri + 1];
        first_order[n_sec] = 0;
        n_sec++;
    }
    for (size_t i = 0; i < n_group; i++) {
        den[n_sec][0] = -2.0 * creal(group[i]);
        den[n_sec][1] = creal(group[i]) * creal(group[i]) + cimag(group[i]) * cimag(group[i]);
        first_order[n_sec] = 0;
        n_sec++;
    }
    return n_sec;
}

static int check_band_args(emg_band type, int order, double f1, double f2, double fs,
                           emg_error *err)
{
    double nyq = fs / 2.0;
    if (!(fs > 0) || !isfinite(fs))
        return emg_error_set(err, EMG_ERR_ARG, "butterworth: sampling rate %g Hz must be > 0", fs);
    if (order < 1 || order > BUTTER_MAX_ORDER)
        return emg_error_set(err, EMG_ERR_ARG, "butterworth: order %d outside 1..%d", order,
                             BUTTER_MAX_ORDER);
    if (!(f1 > 0 && f1 < nyq))
        return emg_error_set(err, EMG_ERR_ARG,
                             "butterworth: corner %g Hz must lie in (0, %g) Hz (Nyquist at %g Hz)",
                             f1, nyq, fs);
    if ((type == EMG_BAND_BANDPASS || type == EMG_BAND_BANDSTOP) && !(f2 > f1 && f2 < nyq))
        return emg_error_set(err, EMG_ERR_ARG,
                             "butterworth: upper edge %g Hz must lie in (%g, %g) Hz", f2, f1, nyq);
    if (type < EMG_BAND_LOWPASS || type > EMG_BAND_BANDSTOP)
        return emg_error_set(err, EMG_ERR_ARG, "butterworth: unknown band type %d", (int)type);
    return 0;
}

int emg_butter_design(emg_sos *sos, emg_band type, int order, double f1, double f2, double fs,
                      emg_error *err)
{
    int rc = check_band_args(type, order, f1, f2, fs, err);
    if (rc < 0)
        return rc;
    /* Pre-warp: analog edges for the bilinear map s = (z - 1) / (z + 1). */
    double c1 = tan(M_PI * f1 / fs);
    double c2 = (type == EMG_BAND_BANDPASS || type == EMG_BAND_BANDSTOP) ? tan(M_PI * f2 / fs) : 0;

    pole_list poles;
    digital_poles(&poles, type, order, c1, c2);
    double den[4 * BUTTER_MAX_ORDER][2];
    int first_order[4 * BUTTER_MAX_ORDER];
    size_t n_sec = pair_poles(&poles, den, first_order);
    if ((rc = sos_alloc(sos, n_sec, err)) < 0)
        return rc;

    /* Reference frequency where the pass band has unit gain. */
    double w_ref = 0.0;
    double cos_w0 = 1.0;
    if (type == EMG_BAND_HIGHPASS)
        w_ref = M_PI;
    else if (type == EMG_BAND_BANDPASS)
        w_ref = 2.0 * atan(sqrt(c1 * c2));
    if (type == EMG_BAND_BANDSTOP)
        cos_w0 = cos(2.0 * atan(sqrt(c1 * c2)));
    double complex z1_ref = cexp(-I * w_ref);

    for (size_t k = 0; k < n_sec; k++) {
        double *c = sos->coef + 6 * k;
        switch (type) {
        case EMG_BAND_LOWPASS: /* zeros at z = -1 */
            c[0] = 1, c[1] = first_order[k] ? 1 : 2, c[2] = first_order[k] ? 0 : 1;
            break;
        case EMG_BAND_HIGHPASS: /* zeros at z = +1 */
            c[0] = 1, c[1] = first_order[k] ? -1 : -2, c[2] = first_order[k] ? 0 : 1;
            break;
        case EMG_BAND_BANDPASS: /* one zero at +1, one at -1 */
            c[0] = 1, c[1] = 0, c[2] = -1;
            break;
        case EMG_BAND_BANDSTOP: /* zeros at exp(+-j w0) */
            c[0] = 1, c[1] = -2.0 * cos_w0, c[2] = 1;
            break;
        }
        c[3] = 1.0;
        c[4] = den[k][0];
        c[5] = den[k][1];
        double g = cabs(section_response(c, z1_ref));
        c[0] /= g, c[1] /= g, c[2] /= g;
    }
    return 0;
}

int emg_notch_design(emg_sos *sos, double f0, double q, int n_harmonics, double max_freq,
                     double fs, emg_error *err)
{
    double nyq = fs / 2.0;
    if (!(fs > 0) || !isfinite(fs))
        return emg_error_set(err, EMG_ERR_ARG, "notch: sampling rate %g Hz must be > 0", fs);
    if (!(f0 > 0 && f0 < nyq))
        return emg_error_set(err, EMG_ERR_ARG, "notch: frequency %g Hz must lie in (0, %g) Hz",
                             f0, nyq);
    if (!(q >= 1 && q <= 1000))
        return emg_error_set(err, EMG_ERR_ARG, "notch: quality factor %g outside 1..1000", q);
    if (n_harmonics < 0)
        return emg_error_set(err, EMG_ERR_ARG, "notch: number of harmonics %d must be >= 0",
                             n_harmonics);
    double top = (max_freq > 0 && max_freq < nyq) ? max_freq : nyq;
    /* Count the notches whose upper -3 dB edge stays below the limit; the
     * fundamental is always kept when it lies below Nyquist. */
    int n = 0;
    for (int k = 1;; k++) {
        double f = k * f0;
        if (n_harmonics > 0 && k > n_harmonics)
            break;
        if (k > 1 && f + f / (2.0 * q) >= top)
            break;
        if (f + f / (2.0 * q) >= nyq)
            break;
        n = k;
    }
    if (n == 0)
        return emg_error_set(err, EMG_ERR_ARG,
                             "notch: %g Hz with Q %g does not fit below Nyquist (%g Hz)", f0, q,
                             nyq);
    int rc = sos_alloc(sos, (size_t)n, err);
    if (rc < 0)
        return rc;
    for (int k = 0; k < n; k++) {
        double w0 = 2.0 * M_PI * (k + 1) * f0 / fs;
        double bw = w0 / q;
        double g = 1.0 / (1.0 + tan(bw / 2.0));
        double *c = sos->coef + 6 * k;
        c[0] = g, c[1] = -2.0 * g * cos(w0), c[2] = g;
        c[3] = 1.0, c[4] = -2.0 * g * cos(w0), c[5] = 2.0 * g - 1.0;
    }
    return 0;
}
