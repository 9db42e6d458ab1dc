/* synth_math.c: exp, log, sin, cos and pow for the simulator, from basic
 * IEEE 754 operations only, so that a seed gives the same samples on every
 * machine.
 *
 * The C library's transcendental functions are accurate but not bit-for-bit
 * portable: glibc picks FMA or non-FMA code paths by CPU at run time, and other
 * libraries round differently in the last place.  These versions use only
 * +, -, *, /, nearbyint, frexp and ldexp, which IEEE 754 defines exactly, and
 * no a*b+c is contracted into a fused multiply-add (synth_internal.h).  They follow
 * the classic reductions of fdlibm (Sun Microsystems 1993): Cody & Waite
 * argument reduction with split constants, then Taylor polynomials on the
 * reduced interval; relative error below 1e-15 (checked against the C
 * library in tests/unit/test_synth.c). */
#include <math.h>
#include "synth_internal.h"

/* ln 2 and pi/2 split so that k * HI is exact for the k that occur (fdlibm). */
static const double LN2_HI = 6.93147180369123816490e-01;
static const double LN2_LO = 1.90821492927058770002e-10;
static const double INV_LN2 = 1.44269504088896338700e+00;
static const double PIO2_1 = 1.57079632673412561417e+00;
static const double PIO2_2 = 6.07710050650619224932e-11;
static const double PIO2_3 = 2.02226624871116645580e-21;
static const double TWO_OVER_PI = 6.36619772367581382433e-01;

double synth_exp(double x)
{
    if (x != x)
        return x;
    if (x > 709.78)
        return HUGE_VAL;
    if (x < -745.2)
        return 0.0;
    double k = nearbyint(x * INV_LN2);
    double r = (x - k * LN2_HI) - k * LN2_LO; /* |r| <= 0.347 */
    /* Taylor series to r^15 (remainder < 1e-19 on the interval). */
    double p = 1.0 / 1307674368000.0;
    static const double C[] = {1.0 / 87178291200.0, 1.0 / 6227020800.0, 1.0 / 479001600.0,
                               1.0 / 39916800.0,    1.0 / 3628800.0,    1.0 / 362880.0,
                               1.0 / 40320.0,       1.0 / 5040.0,       1.0 / 720.0,
                               1.0 / 120.0,         1.0 / 24.0,         1.0 / 6.0,
                               0.5,                 1.0,                1.0};
    for (size_t i = 0; i < sizeof C / sizeof *C; i++)
        p = p * r + C[i];
    return ldexp(p, (int)k);
}

double synth_log(double x)
{
    if (x != x || x < 0.0)
        return NAN;
    if (x == 0.0)
        return -HUGE_VAL;
    if (isinf(x))
        return x;
    int e;
    double m = frexp(x, &e); /* x = m 2^e, m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716 */
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double p = 1.0 / 25.0;
    for (int k = 11; k >= 0; k--)
        p = p * s2 + 1.0 / (2.0 * k + 1.0);
    double k = (double)e;
    return k * LN2_HI + (2.0 * s * p + k * LN2_LO);
}

/* sin and cos on |r| <= pi/4, Taylor to r^19 and r^20. */
static double sin_poly(double r)
{
    double r2 = r * r, p = -1.0 / 121645100408832000.0;
    static const double C[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0,
                               1.0 / 6227020800.0,      -1.0 / 39916800.0,
                               1.0 / 362880.0,          -1.0 / 5040.0,
                               1.0 / 120.0,             -1.0 / 6.0};
    for (size_t i = 0; i < sizeof C / sizeof *C; i++)
        p = p * r2 + C[i];
    return r + r * r2 * p;
}

static double cos_poly(double r)
{
    double r2 = r * r, p = 1.0 / 2432902008176640000.0;
    static const double C[] = {-1.0 / 6402373705728000.0, 1.0 / 20922789888000.0,
                               -1.0 / 87178291200.0,      1.0 / 479001600.0,
                               -1.0 / 3628800.0,          1.0 / 40320.0,
                               -1.0 / 720.0,              1.0 / 24.0,
                               -0.5};
    for (size_t i = 0; i < sizeof C / sizeof *C; i++)
        p = p * r2 + C[i];
    return 1.0 + r2 * p;
}

/* x = q pi/2 + r; returns r and the quadrant q mod 4. */
static double reduce(double x, int *quadrant)
{
    double q = nearbyint(x * TWO_OVER_PI);
    double r = ((x - q * PIO2_1) - q * PIO2_2) - q * PIO2_3;
    double m = q - 4.0 * floor(q * 0.25);
    *quadrant = (int)m;
    return r;
}

double synth_sin(double x)
{
    if (!isfinite(x))
        return NAN;
    int n;
    double r = reduce(x, &n);
    switch (n) {
    case 0: return sin_poly(r);
    case 1: return cos_poly(r);
    case 2: return -sin_poly(r);
    default: return -cos_poly(r);
    }
}

double synth_cos(double x)
{
    if (!isfinite(x))
        return NAN;
    int n;
    double r = reduce(x, &n);
    switch (n) {
    case 0: return cos_poly(r);
    case 1: return -sin_poly(r);
    case 2: return -cos_poly(r);
    default: return sin_poly(r);
    }
}

double synth_pow(double x, double y)
{
    if (y == 0.0)
        return 1.0;
    if (x == 0.0)
        return y > 0 ? 0.0 : HUGE_VAL;
    return synth_exp(y * synth_log(x));
}
