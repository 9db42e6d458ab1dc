/* synth_pool.c: the simulator's random numbers, motor-unit pool and action potentials.
 *
 * Random numbers: xoshiro256** seeded through splitmix64 (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", ACM TOMS 2021), so a seed
 * gives the same sequence on every machine.
 *
 * Pool: Fuglevand AJ, Winter DA, Patla AE (1993) "Models of recruitment and
 * rate coding organization in motor-unit pools", J Neurophysiol 70:2470-2488.
 *   recruitment threshold   RTE(i) = exp(ln(RR) i / n)
 *   firing rate             FR(i) = g_e (E - RTE(i)) + MFR, at most PFR(i)
 *   peak rate               PFR(i) = PFR1 - PFRD RTE(i) / RTE(n)
 *   twitch force            P(i) = exp(ln(RP) i / n)
 *   contraction time        T(i) = T_L (1 / P(i))^(1/c), c = log_RT(RP)
 *   maximal excitation      E_max = RTE(n) + (PFR(n) - MFR) / g_e
 *
 * Action potentials: the monopolar potential of a unit is a sum of the first-
 * and second-order Hermite-Rodriguez functions (Lo Conte LR, Merletti R,
 * Sandri GV 1994, "Hermite expansions of compact support waveforms:
 * applications to myoelectric signals", IEEE TBME 41:1147-1159)
 *   psi1(x) = x exp(-x^2),  psi2(x) = (1 - 2x^2) exp(-x^2),  x = t / lambda
 * with lambda = L / v: a spatial length L (mm, growing with the distance
 * between the unit and the electrode, the volume conductor's spatial low-pass)
 * divided by the conduction velocity v.  A bipolar pair d mm apart sees
 * phi(t) - phi(t - d/v).  Every time constant is a length over v, so a fall in
 * v stretches the potential in time and compresses the spectrum by the same
 * factor: MDF and MNF are proportional to v (Lindstrom L, Magnusson R 1977,
 * "Interpretation of myoelectric power spectra: a model and its applications",
 * Proc IEEE 65:653-662; Merletti R, Lo Conte LR 1997, J Electromyogr Kinesiol
 * 7:241-250).  The amplifier's anti-aliasing filter is a Gaussian low-pass;
 * Hermite-Rodriguez functions are derivatives of a Gaussian, so the filtered
 * potential is again one, with lambda_e^2 = lambda^2 + lambda_aa^2 and weights
 * scaled by (lambda / lambda_e)^(k + 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "emgkit/synth.h"
#include "io_internal.h"
#include "synth_internal.h"

/* ---- xoshiro256** */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void emg_rng_seed(emg_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t emg_rng_next(emg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double emg_rng_uniform(emg_rng *r) { return (double)(emg_rng_next(r) >> 11) * 0x1.0p-53; }

double emg_rng_range(emg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * emg_rng_uniform(r);
}

double emg_rng_normal(emg_rng *r)
{
    /* Polar method; the spare value is dropped so that the state alone decides
     * the sequence (no hidden cache to copy or reset). */
    for (;;) {
        double u = 2.0 * emg_rng_uniform(r) - 1.0;
        double v = 2.0 * emg_rng_uniform(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * synth_log(s) / s);
    }
}

/* ---- Electrode presets (docs/methods/synth.md, "Volume conductor"). */

typedef struct electrode_preset {
    double spacing_mm;   /* inter-electrode distance of the differential pair */
    double length_mm;    /* L at zero distance */
    double length_slope; /* mm of L per mm of distance */
    double dist_min, dist_max; /* mm */
    double attenuation_mm;     /* amplitude falls as exp(-distance / this) */
} electrode_preset;

static const electrode_preset SURFACE = {10.0, 9.0, 0.4, 3.0, 18.0, 6.0};
static const electrode_preset NEEDLE = {0.5, 3.0, 1.0, 0.05, 2.0, 0.5};

static const electrode_preset *preset_of(emg_electrode e)
{
    return e == EMG_ELECTRODE_NEEDLE ? &NEEDLE : &SURFACE;
}

/* ---- Pool */

static int check_params(const emg_pool_params *q, emg_error *err)
{
    if (q->n_units < 1 || q->n_units > 2000)
        return emg_error_set(err, EMG_ERR_ARG, "synth: %d motor units (1-2000)", q->n_units);
    if (!(q->recruit_range > 1.0) || !(q->min_rate > 0.0) || !(q->rate_gain > 0.0) ||
        !(q->twitch_range >= 1.0) || !(q->twitch_time > 0.0) || !(q->twitch_time_range > 1.0) ||
        !(q->conduction > 0.0) || !(q->isi_cv >= 0.0))
        return emg_error_set(err, EMG_ERR_ARG, "synth: motor-unit pool parameter out of range");
    if (!(q->peak_rate_first - q->peak_rate_drop > q->min_rate))
        return emg_error_set(err, EMG_ERR_ARG,
                             "synth: peak rates (%g - %g pps) must exceed the minimum rate %g",
                             q->peak_rate_first, q->peak_rate_drop, q->min_rate);
    return 0;
}

/* Continuous monopolar potential (before amplitude scaling) at time t (s). */
static double hr_shape(const emg_motor_unit *u, double lambda, double t)
{
    double x = t / lambda;
    double g = synth_exp(-x * x);
    return u->hr1 * x * g + u->hr2 * (1.0 - 2.0 * x * x) * g;
}

/* Peak |bipolar potential| of a unit with unit amplitude at velocity cv, found on a fine grid. */
static double shape_peak(const emg_motor_unit *u, double spacing_mm, double cv)
{
    double lambda = u->length / cv * 1e-3, tau = spacing_mm / cv * 1e-3;
    double t0 = -3.5 * lambda, t1 = 3.5 * lambda + tau, dt = lambda / 200.0, peak = 0.0;
    for (double t = t0; t <= t1; t += dt) {
        double v = fabs(hr_shape(u, lambda, t) - hr_shape(u, lambda, t - tau));
        if (v > peak)
            peak = v;
    }
    return peak;
}

int emg_pool_init(emg_pool *p, const emg_pool_params *params, double rms_max_mv, emg_rng *rng,
                  emg_error *err)
{
    memset(p, 0, sizeof *p);
    int rc = check_params(params, err);
    if (rc < 0)
        return rc;
    p->params = *params;
    const emg_pool_params *q = &p->params;
    int n = q->n_units;
    p->units = emgi_xcalloc((size_t)n, sizeof *p->units, err);
    if (!p->units)
        return EMG_ERR_NOMEM;
    const electrode_preset *e = preset_of(q->electrode);
    double a = synth_log(q->recruit_range) / n, b = synth_log(q->twitch_range) / n;
    double c = synth_log(q->twitch_range) / synth_log(q->twitch_time_range);
    double pfr_last = q->peak_rate_first - q->peak_rate_drop;
    p->max_excitation = q->recruit_range + (pfr_last - q->min_rate) / q->rate_gain;
    for (int i = 0; i < n; i++) {
        emg_motor_unit *u = &p->units[i];
        double rte = synth_exp(a * (i + 1));
        u->threshold = rte / p->max_excitation;
        u->peak_rate = q->peak_rate_first - q->peak_rate_drop * rte / q->recruit_range;
        u->twitch = synth_exp(b * (i + 1));
        u->twitch_time = q->twitch_time * synth_pow(1.0 / u->twitch, 1.0 / c);
        /* Units lie uniformly in the muscle's cross-section: depth uniform for a
         * surface pair over a thick muscle, radius ~ sqrt(U) in the needle's disc. */
        double w = emg_rng_uniform(rng);
        if (q->electrode == EMG_ELECTRODE_NEEDLE)
            w = sqrt(w);
        u->distance = e->dist_min + (e->dist_max - e->dist_min) * w;
        u->length = e->length_mm + e->length_slope * u->distance;
        double theta = emg_rng_range(rng, 0.2, 1.4);
        double sign = emg_rng_uniform(rng) < 0.5 ? -1.0 : 1.0;
        u->hr1 = sign * synth_cos(theta);
        u->hr2 = sign * synth_sin(theta);
        double peak = shape_peak(u, e->spacing_mm, q->conduction);
        u->hr1 /= peak;
        u->hr2 /= peak;
        double atten = synth_exp(-(u->distance - e->dist_min) / e->attenuation_mm);
        if (q->electrode == EMG_ELECTRODE_NEEDLE)
            u->amplitude = 5.0 * sqrt(u->twitch / q->twitch_range) * atten;
        else
            u->amplitude = u->twitch * atten;
    }
    if (q->electrode == EMG_ELECTRODE_SURFACE && rms_max_mv > 0.0) {
        double rms = emg_pool_rms(p, 1.0, 0.0);
        if (rms > 0.0)
            for (int i = 0; i < n; i++)
                p->units[i].amplitude *= rms_max_mv / rms;
    }
    return 0;
}

void emg_pool_free(emg_pool *p)
{
    free(p->units);
    p->units = NULL;
}

double emg_pool_rate(const emg_pool *p, int i, double e)
{
    const emg_motor_unit *u = &p->units[i];
    if (e < u->threshold)
        return 0.0;
    double rate = p->params.rate_gain * (e - u->threshold) * p->max_excitation + p->params.min_rate;
    return rate < u->peak_rate ? rate : u->peak_rate;
}

/* Energy (mV^2 s) of a potential sampled at fs; fs 0 = the continuous integral. */
static double muap_energy(const emg_pool *p, int i, double fs)
{
    double rate = fs > 0.0 ? fs : 40000.0;
    size_t n = emg_muap_sample(p, i, p->params.conduction, fs > 0.0 ? fs : rate, NULL, 0);
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 0.0;
    emg_muap_sample(p, i, p->params.conduction, rate, v, n);
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += v[k] * v[k];
    free(v);
    return sum / rate;
}

double emg_pool_rms(const emg_pool *p, double e, double fs)
{
    double power = 0.0;
    for (int i = 0; i < p->params.n_units; i++) {
        double rate = emg_pool_rate(p, i, e);
        if (rate > 0.0)
            power += rate * muap_energy(p, i, fs);
    }
    return sqrt(power);
}

size_t emg_muap_sample(const emg_pool *p, int i, double cv, double fs, double *out, size_t cap)
{
    const emg_motor_unit *u = &p->units[i];
    const electrode_preset *e = preset_of(p->params.electrode);
    double lambda = u->length / cv * 1e-3, tau = e->spacing_mm / cv * 1e-3;
    /* Gaussian anti-aliasing filter: -35 dB (exp(-4)) at fs/2. */
    double lambda_aa = 1.27 / fs;
    double lambda_e = sqrt(lambda * lambda + lambda_aa * lambda_aa);
    double r = lambda / lambda_e;
    double w1 = u->hr1 * r * r * u->amplitude, w2 = u->hr2 * r * r * r * u->amplitude;
    double t0 = -3.5 * lambda_e;
    size_t n = (size_t)ceil((7.0 * lambda_e + tau) * fs) + 1;
    if (!out || cap == 0)
        return n;
    size_t m = n < cap ? n : cap;
    for (size_t k = 0; k < m; k++) {
        double t = t0 + (double)k / fs;
        double x1 = t / lambda_e, x2 = (t - tau) / lambda_e;
        double g1 = synth_exp(-x1 * x1), g2 = synth_exp(-x2 * x2);
        double a = w1 * x1 * g1 + w2 * (1.0 - 2.0 * x1 * x1) * g1;
        double b = w1 * x2 * g2 + w2 * (1.0 - 2.0 * x2 * x2) * g2;
        out[k] = a - b;
    }
    return n;
}

double emg_muap_duration(const double *v, size_t n, double fs)
{
    double peak = 0.0;
    for (size_t k = 0; k < n; k++)
        if (fabs(v[k]) > peak)
            peak = fabs(v[k]);
    if (peak <= 0.0)
        return 0.0;
    size_t first = n, last = 0;
    for (size_t k = 0; k < n; k++)
        if (fabs(v[k]) >= 0.05 * peak) {
            if (first == n)
                first = k;
            last = k;
        }
    return (double)(last - first + 1) / fs;
}
