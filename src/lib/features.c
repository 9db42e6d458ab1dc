/* features.c: the feature catalogue and the per-window extractor.
 *
 * Time domain: Hudgins et al. 1993 (IEEE TBME 40:82, MAV ZC SSC WL);
 * Phinyomark, Phukpattaranont & Limsakul 2012 (Expert Syst. Appl. 39:7420,
 * IEMG VAR LOG DASDV WAMP MFL MSR ...); Hjorth 1970 (EEG Clin. Neurophysiol.
 * 29:306, activity/mobility/complexity); Khushaba et al. 2012 (Expert Syst.
 * Appl. 39:10731, TD-PSD m0 m2 m4 sparsi irf wlf, as coded in libemg);
 * Burg 1975 (AR coefficients, as librosa.lpc); Richman & Moorman 2000 (Am J
 * Physiol 278:H2039, sample entropy); libemg (Eddy et al. 2023, IEEE Access)
 * for the remaining catalogue names.  Frequency domain: Merletti & Parker
 * 2004 (MNF, MDF, spectral moments); Dimitrov et al. 2006 (Med. Sci. Sports
 * Exerc. 38:1971, FInsm5 = M_-1 / M_5); Bigland-Ritchie et al. 1981 (high /
 * low band ratio).  Definitions, units and the libemg comparison are in
 * docs/methods/features.md. */
#include "emgkit/features.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "spectrum_internal.h"

enum feature_kind { TIME = 0, FREQ = 1 };

typedef struct feature_def {
    const char *name;
    enum feature_kind kind;
    const char *description;
} feature_def;

/* The order here is the catalogue order (ids). */
enum {
    F_MEAN, F_RMS, F_MAV, F_IEMG, F_VAR, F_WL, F_ZC, F_SSC, F_WAMP, F_LOG, F_LD, F_DASDV,
    F_SKEW, F_KURT, F_HJ_ACT, F_HJ_MOB, F_HJ_COMP, F_LS, F_MFL, F_MSR, F_MAVFD, F_MAVSLP,
    F_MPK, F_TM3, F_ISD, F_COR, F_MDIFF, F_MLK, F_MZP, F_PAP, F_TD_M0, F_TD_M2, F_TD_M4,
    F_SPARSI, F_IRF, F_WLF, F_AR1, F_AR2, F_AR3, F_AR4, F_CC1, F_CC2, F_CC3, F_CC4, F_SAMPEN,
    F_SNR_DB,
    F_TOTAL_POWER, F_MNF, F_MDF, F_PEAK_FREQ, F_MNP, F_SM_NEG1, F_SM0, F_SM1, F_SM2, F_SM3,
    F_SM4, F_SM5, F_FI_NSM5, F_SPEC_ENTROPY, F_BP_LOW, F_BP_HIGH, F_RATIO_HL, F_DFTR1, F_DFTR2,
    F_DFTR3, F_DFTR4, F_DFTR5, F_DFTR6,
    F_COUNT
};

static const feature_def catalogue[F_COUNT] = {
    [F_MEAN] = {"mean", TIME, "mean value (unit)"},
    [F_RMS] = {"rms", TIME, "root mean square (unit)"},
    [F_MAV] = {"mav", TIME, "mean absolute value (unit)"},
    [F_IEMG] = {"iemg", TIME, "integrated EMG, sum |x| / fs (unit*s)"},
    [F_VAR] = {"var", TIME, "variance, population (unit^2)"},
    [F_WL] = {"wl", TIME, "waveform length, sum |x[i+1]-x[i]| (unit)"},
    [F_ZC] = {"zc", TIME, "zero crossings with |step| >= zc threshold (count)"},
    [F_SSC] = {"ssc", TIME, "slope sign changes, product >= ssc threshold (count)"},
    [F_WAMP] = {"wamp", TIME, "Willison amplitude, |step| > wamp threshold (count)"},
    [F_LOG] = {"log", TIME, "log detector exp(mean ln|x|) (unit)"},
    [F_LD] = {"ld", TIME, "libemg log detector exp(mean ln(|x|+1))"},
    [F_DASDV] = {"dasdv", TIME, "RMS of the first difference (unit)"},
    [F_SKEW] = {"skew", TIME, "skewness (biased, as scipy.stats.skew)"},
    [F_KURT] = {"kurt", TIME, "kurtosis, Pearson (normal = 3)"},
    [F_HJ_ACT] = {"hjorth_activity", TIME, "Hjorth activity, variance (unit^2)"},
    [F_HJ_MOB] = {"hjorth_mobility", TIME, "Hjorth mobility sqrt(var(dx)/var(x)) (per sample)"},
    [F_HJ_COMP] = {"hjorth_complexity", TIME, "Hjorth complexity mobility(dx)/mobility(x)"},
    [F_LS] = {"ls", TIME, "L-scale, second L-moment (unit)"},
    [F_MFL] = {"mfl", TIME, "maximum fractal length log10 sqrt(sum dx^2)"},
    [F_MSR] = {"msr", TIME, "mean square root, mean sqrt|x| (unit^0.5)"},
    [F_MAVFD] = {"mavfd", TIME, "mean |first difference| (unit)"},
    [F_MAVSLP] = {"mavslp", TIME, "MAV slope: MAV of second half minus first half (unit)"},
    [F_MPK] = {"mpk", TIME, "maximum value (unit)"},
    [F_TM3] = {"tm3", TIME, "third absolute temporal moment mean |x|^3 (unit^3)"},
    [F_ISD] = {"isd", TIME, "integral square descriptor sum x^2 (unit^2)"},
    [F_COR] = {"cor", TIME, "coefficient of regularization (libemg)"},
    [F_MDIFF] = {"mdiff", TIME, "mean squared first difference sum dx^2 / N (unit^2)"},
    [F_MLK] = {"mlk", TIME, "mean logarithm kernel ln(sum|x|) / N"},
    [F_MZP] = {"mzp", TIME, "sqrt(sum dx^2 / N) (libemg MZP) (unit)"},
    [F_PAP] = {"pap", TIME, "peak average power m0 m2 / m4 (libemg PAP)"},
    [F_TD_M0] = {"tdpsd_m0", TIME, "TD-PSD f1: normalised zeroth moment (Khushaba 2012)"},
    [F_TD_M2] = {"tdpsd_m2", TIME, "TD-PSD f2: second moment"},
    [F_TD_M4] = {"tdpsd_m4", TIME, "TD-PSD f3: fourth moment"},
    [F_SPARSI] = {"sparsi", TIME, "TD-PSD sparseness"},
    [F_IRF] = {"irf", TIME, "TD-PSD irregularity factor"},
    [F_WLF] = {"wlf", TIME, "TD-PSD waveform length factor"},
    [F_AR1] = {"ar1", TIME, "autoregressive coefficient 1 (Burg, order 4)"},
    [F_AR2] = {"ar2", TIME, "autoregressive coefficient 2"},
    [F_AR3] = {"ar3", TIME, "autoregressive coefficient 3"},
    [F_AR4] = {"ar4", TIME, "autoregressive coefficient 4"},
    [F_CC1] = {"cc1", TIME, "cepstral coefficient 1 (from the AR model)"},
    [F_CC2] = {"cc2", TIME, "cepstral coefficient 2"},
    [F_CC3] = {"cc3", TIME, "cepstral coefficient 3"},
    [F_CC4] = {"cc4", TIME, "cepstral coefficient 4"},
    [F_SAMPEN] = {"sampen", TIME, "sample entropy, m = 2, r = 0.2 std"},
    [F_SNR_DB] = {"snr_db", TIME, "window power over the noise floor (dB)"},
    [F_TOTAL_POWER] = {"total_power", FREQ, "in-band power sum P df (unit^2)"},
    [F_MNF] = {"mnf", FREQ, "mean frequency (Hz)"},
    [F_MDF] = {"mdf", FREQ, "median frequency, interpolated (Hz)"},
    [F_PEAK_FREQ] = {"peak_freq", FREQ, "frequency of the PSD maximum (Hz)"},
    [F_MNP] = {"mnp", FREQ, "mean in-band PSD (unit^2/Hz)"},
    [F_SM_NEG1] = {"sm_neg1", FREQ, "spectral moment M_-1 (unit^2 Hz^-1)"},
    [F_SM0] = {"sm0", FREQ, "spectral moment M_0 = total power (unit^2)"},
    [F_SM1] = {"sm1", FREQ, "spectral moment M_1 (unit^2 Hz)"},
    [F_SM2] = {"sm2", FREQ, "spectral moment M_2 (unit^2 Hz^2)"},
    [F_SM3] = {"sm3", FREQ, "spectral moment M_3 (unit^2 Hz^3)"},
    [F_SM4] = {"sm4", FREQ, "spectral moment M_4 (unit^2 Hz^4)"},
    [F_SM5] = {"sm5", FREQ, "spectral moment M_5 (unit^2 Hz^5)"},
    [F_FI_NSM5] = {"fi_nsm5", FREQ, "Dimitrov fatigue index M_-1/M_5 (Hz^-6)"},
    [F_SPEC_ENTROPY] = {"spec_entropy", FREQ, "normalised spectral entropy (0..1)"},
    [F_BP_LOW] = {"bp_low", FREQ, "power 20-40 Hz (unit^2)"},
    [F_BP_HIGH] = {"bp_high", FREQ, "power 130-238 Hz (unit^2)"},
    [F_RATIO_HL] = {"ratio_hl", FREQ, "high/low band power ratio bp_high/bp_low"},
    [F_DFTR1] = {"dftr1", FREQ, "power 20-92 Hz (He et al. 2015 bands)"},
    [F_DFTR2] = {"dftr2", FREQ, "power 92-163 Hz"},
    [F_DFTR3] = {"dftr3", FREQ, "power 163-235 Hz"},
    [F_DFTR4] = {"dftr4", FREQ, "power 235-307 Hz"},
    [F_DFTR5] = {"dftr5", FREQ, "power 307-378 Hz"},
    [F_DFTR6] = {"dftr6", FREQ, "power 378-450 Hz"},
};

size_t emg_feature_count(void) { return F_COUNT; }
const char *emg_feature_name(size_t id) { return id < F_COUNT ? catalogue[id].name : NULL; }
const char *emg_feature_description(size_t id)
{
    return id < F_COUNT ? catalogue[id].description : NULL;
}
int emg_feature_is_spectral(size_t id) { return id < F_COUNT && catalogue[id].kind == FREQ; }

int emg_feature_find(const char *name)
{
    for (size_t i = 0; i < F_COUNT; i++)
        if (emgi_str_ieq(name, catalogue[i].name))
            return (int)i;
    /* libemg / common aliases */
    static const struct { const char *alias; int id; } aliases[] = {
        {"iav", F_IEMG}, {"act", F_HJ_ACT}, {"mob", F_HJ_MOB}, {"comp", F_HJ_COMP},
        {"mobility", F_HJ_MOB}, {"complexity", F_HJ_COMP}, {"mdf_hz", F_MDF}, {"mnf_hz", F_MNF},
        {"fi", F_FI_NSM5}, {"finsm5", F_FI_NSM5}, {"pkf", F_PEAK_FREQ}, {"ttp", F_TOTAL_POWER},
        {"m0", F_TD_M0}, {"m2", F_TD_M2}, {"m4", F_TD_M4}, {"tm", F_TM3}, {"sm", F_SM2},
        {"snr", F_SNR_DB}, {"entropy", F_SPEC_ENTROPY}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (emgi_str_ieq(name, aliases[i].alias))
            return aliases[i].id;
    return -1;
}

static const int group_default[] = {F_RMS, F_MAV, F_IEMG, F_VAR, F_WL, F_ZC, F_SSC, F_WAMP,
                                    F_LOG, F_DASDV, F_SKEW, F_KURT, F_HJ_MOB, F_HJ_COMP,
                                    F_TOTAL_POWER, F_MNF, F_MDF, F_PEAK_FREQ, F_FI_NSM5,
                                    F_SPEC_ENTROPY, F_RATIO_HL, F_SNR_DB};
static const int group_fatigue[] = {F_RMS, F_MNF, F_MDF, F_FI_NSM5, F_SNR_DB};

static int add_id(size_t **ids, size_t *n, size_t *cap, size_t id, emg_error *err)
{
    for (size_t i = 0; i < *n; i++)
        if ((*ids)[i] == id)
            return 0; /* each feature once */
    if (emgi_grow((void **)ids, cap, *n + 1, sizeof **ids, err) < 0)
        return EMG_ERR_NOMEM;
    (*ids)[(*n)++] = id;
    return 0;
}

int emg_feature_list_parse(const char *spec, size_t **ids, size_t *n, emg_error *err)
{
    *ids = NULL;
    *n = 0;
    size_t cap = 0;
    char *copy = emgi_xstrdup(spec ? spec : "default", err);
    if (!copy)
        return EMG_ERR_NOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok && rc == 0; tok = strtok_r(NULL, ", ", &save)) {
        if (emgi_str_ieq(tok, "all") || emgi_str_ieq(tok, "time") || emgi_str_ieq(tok, "freq")) {
            int want = emgi_str_ieq(tok, "all") ? -1 : emgi_str_ieq(tok, "time") ? TIME : FREQ;
            for (size_t i = 0; i < F_COUNT && rc == 0; i++)
                if (want < 0 || (int)catalogue[i].kind == want)
                    rc = add_id(ids, n, &cap, i, err);
        } else if (emgi_str_ieq(tok, "default") || emgi_str_ieq(tok, "fatigue")) {
            const int *g = emgi_str_ieq(tok, "default") ? group_default : group_fatigue;
            size_t gn = emgi_str_ieq(tok, "default") ? sizeof group_default / sizeof(int)
                                                    : sizeof group_fatigue / sizeof(int);
            for (size_t i = 0; i < gn && rc == 0; i++)
                rc = add_id(ids, n, &cap, (size_t)g[i], err);
        } else {
            int id = emg_feature_find(tok);
            if (id < 0)
                rc = emg_error_set(err, EMG_ERR_ARG,
                                   "unknown feature '%s' (emg-features --list shows them)", tok);
            else
                rc = add_id(ids, n, &cap, (size_t)id, err);
        }
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = emg_error_set(err, EMG_ERR_ARG, "empty feature list");
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

const char *emg_window_flags_text(unsigned flags, char *buf, size_t n)
{
    static const char *names[] = {"rest", "clipped", "flat", "low_snr", "gap"};
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned b = 0; b < sizeof names / sizeof *names; b++) {
        if (!(flags & (1u << b)))
            continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[b]);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    if (!used)
        snprintf(buf, n, "ok");
    return buf;
}

/* ---- spectral statistics ------------------------------------------------ */

double emg_band_power(const double *psd, size_t bins, double df, double f_low, double f_high)
{
    double sum = 0;
    for (size_t k = 0; k < bins; k++) {
        double f = (double)k * df;
        if (f >= f_low && f < f_high)
            sum += psd[k];
    }
    return sum * df;
}

/* emg_spectral_stats_compute; the entropy (a logarithm per bin, the dearest
 * part) only when with_entropy, else NAN. */
static void spectral_stats(emg_spectral_stats *out, const double *psd, size_t bins, double df,
                           double f_low, double f_high, int with_entropy)
{
    size_t k0 = (size_t)ceil(f_low / df - 1e-9), k1 = (size_t)floor(f_high / df + 1e-9);
    if (k1 >= bins)
        k1 = bins - 1;
    double total = 0, m[7] = {0}, peak = -1, peak_f = NAN;
    for (size_t k = k0; k <= k1 && k < bins; k++) {
        double p = psd[k], f = (double)k * df;
        total += p;
        if (f > 0)
            m[0] += p / f;
        double fk = 1;
        for (int j = 1; j < 7; j++) {
            m[j] += p * fk;
            fk *= f;
        }
        if (p > peak) {
            peak = p;
            peak_f = f;
        }
    }
    out->total_power = total * df;
    for (int j = 0; j < 7; j++)
        out->moment[j] = m[j] * df;
    out->peak_freq = peak_f;
    if (!(total > 0) || k0 > k1) {
        /* No power in the band (an all-zero window): powers and moments are
         * 0, but a frequency that locates or shapes the spectrum is
         * undefined; the first bin would pass for a peak. */
        out->mnf = out->mdf = out->fi_nsm5 = out->entropy = out->peak_freq = NAN;
        return;
    }
    out->mnf = m[2] / total;
    out->fi_nsm5 = m[6] > 0 ? m[0] / m[6] : NAN;
    /* Median: bin k holds power spread evenly over [f_k - df/2, f_k + df/2]. */
    double half = total / 2, cum = 0;
    out->mdf = NAN;
    for (size_t k = k0; k <= k1; k++) {
        double p = psd[k];
        if (cum + p >= half && p > 0) {
            out->mdf = ((double)k - 0.5) * df + df * (half - cum) / p;
            break;
        }
        cum += p;
    }
    out->entropy = NAN;
    if (!with_entropy)
        return;
    double h = 0;
    size_t nb = 0;
    for (size_t k = k0; k <= k1; k++, nb++) {
        double q = psd[k] / total;
        if (q > 0)
            h -= q * log(q);
    }
    out->entropy = nb > 1 ? h / log((double)nb) : NAN;
}

void emg_spectral_stats_compute(emg_spectral_stats *out, const double *psd, size_t bins,
                                double df, double f_low, double f_high)
{
    spectral_stats(out, psd, bins, df, f_low, f_high, 1);
}

/* ---- time-domain helpers ------------------------------------------------ */

double emg_feat_rms(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return n ? sqrt(s / (double)n) : NAN;
}

double emg_feat_mav(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(x[i]);
    return n ? s / (double)n : NAN;
}

double emg_feat_wl(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 1; i < n; i++)
        s += fabs(x[i] - x[i - 1]);
    return s;
}

double emg_feat_zc(const double *x, size_t n, double threshold)
{
    double c = 0;
    for (size_t i = 1; i < n; i++)
        if (((x[i - 1] > 0 && x[i] < 0) || (x[i - 1] < 0 && x[i] > 0)) &&
            fabs(x[i] - x[i - 1]) >= threshold)
            c++;
    return c;
}

double emg_feat_ssc(const double *x, size_t n, double threshold)
{
    double c = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        double prod = (x[i] - x[i - 1]) * (x[i] - x[i + 1]);
        if (prod > 0 && prod >= threshold)
            c++;
    }
    return c;
}

double emg_feat_wamp(const double *x, size_t n, double threshold)
{
    double c = 0;
    for (size_t i = 1; i < n; i++)
        if (fabs(x[i] - x[i - 1]) > threshold)
            c++;
    return c;
}

/* TD-PSD closure of libemg (Khushaba et al. 2012): the six log-features of one
 * signal before the ebp/efp combination. */
static void tdpsd_closure(const double *x, size_t n, double out[6])
{
    double s0 = 0, s1 = 0, s2 = 0, a1 = 0, a2 = 0;
    for (size_t i = 0; i < n; i++) {
        s0 += x[i] * x[i];
        if (i >= 1) {
            double d1 = x[i] - x[i - 1];
            s1 += d1 * d1;
            a1 += fabs(d1);
        }
        if (i >= 2) {
            double d2 = x[i] - 2 * x[i - 1] + x[i - 2];
            s2 += d2 * d2;
            a2 += fabs(d2);
        }
    }
    double nm1 = (double)(n - 1);
    double m0 = pow(sqrt(s0) / nm1, 0.1) / 0.1;
    double m2 = pow(sqrt(s1 / nm1), 0.1) / 0.1;
    double m4 = pow(sqrt(s2 / nm1), 0.1) / 0.1;
    out[0] = log(fabs(m0));
    out[1] = log(fabs(m0 - m2));
    out[2] = log(fabs(m0 - m4));
    out[3] = log(fabs(sqrt(fabs((m0 - m2) * (m0 - m4))) / m0));
    out[4] = log(fabs(m2 / sqrt(m0 * m4)));
    out[5] = log(fabs(sqrt(a1 / a2)));
}

/* Burg's method for the AR prediction-error filter 1 + a1 z^-1 + ... (as
 * librosa.lpc); f, b are n-sample scratch arrays. */
static void burg_ar(const double *x, size_t n, int order, double *a, double *f, double *b)
{
    double ar[16] = {1}, tmp[16];
    for (int i = 1; i <= order; i++)
        ar[i] = 0;
    memcpy(f, x, n * sizeof *f);
    memcpy(b, x, n * sizeof *b);
    double dk = 0;
    for (size_t i = 0; i < n; i++)
        dk += 2 * x[i] * x[i];
    dk -= x[0] * x[0] + x[n - 1] * x[n - 1];
    for (int k = 0; k < order && (size_t)k + 2 <= n; k++) {
        double num = 0;
        for (size_t i = 0; i + (size_t)k + 1 < n; i++)
            num += f[i + (size_t)k + 1] * b[i];
        double mu = dk > 0 ? -2.0 * num / dk : 0;
        for (int i = 0; i <= k + 1; i++)
            tmp[i] = ar[i] + mu * ar[k + 1 - i];
        memcpy(ar, tmp, (size_t)(k + 2) * sizeof *ar);
        for (size_t i = 0; i + (size_t)k + 1 < n; i++) {
            double t1 = f[i + (size_t)k + 1] + mu * b[i];
            double t2 = b[i] + mu * f[i + (size_t)k + 1];
            f[i + (size_t)k + 1] = t1;
            b[i] = t2;
        }
        dk = (1 - mu * mu) * dk - f[k + 1] * f[k + 1] - b[n - (size_t)k - 2] * b[n - (size_t)k - 2];
    }
    for (int i = 0; i < order; i++)
        a[i] = ar[i + 1];
}

/* Sample entropy (Richman & Moorman 2000), m = 2, tolerance r (Chebyshev). */
static double sample_entropy(const double *x, size_t n, double r)
{
    if (n < 4)
        return NAN;
    double count_m = 0, count_m1 = 0;
    size_t templates = n - 2; /* templates of length m+1 = 3 start at 0..n-3 */
    for (size_t i = 0; i < templates; i++) {
        for (size_t j = i + 1; j < templates; j++) {
            if (fabs(x[i] - x[j]) > r || fabs(x[i + 1] - x[j + 1]) > r)
                continue;
            count_m++;
            if (fabs(x[i + 2] - x[j + 2]) <= r)
                count_m1++;
        }
    }
    if (count_m == 0 || count_m1 == 0)
        return NAN;
    return -log(count_m1 / count_m);
}

/* ---- extractor ----------------------------------------------------------- */

struct emg_feature_extractor {
    double fs;
    size_t window;
    size_t n_ids;
    size_t *ids;
    emg_feature_options opts;
    emg_spectrum_options spec;
    int need_spectrum;
    int need[F_COUNT];      /* 1 when feature i is requested */
    emg_psd_plan *plan;
    emg_welch_cache *cache;
    size_t segment, overlap;
    double *psd;            /* bins */
    double *scratch, *scratch2; /* window-sized */
    double f_low, f_high;   /* clipped band */
    double last_power;
};

int emg_feature_extractor_create(emg_feature_extractor **out, double fs, size_t window,
                                 const size_t *ids, size_t n_ids,
                                 const emg_feature_options *opts,
                                 const emg_spectrum_options *spec, emg_error *err)
{
    *out = NULL;
    if (!(fs > 0))
        return emg_error_set(err, EMG_ERR_ARG, "sampling rate must be positive");
    if (window < 8)
        return emg_error_set(err, EMG_ERR_ARG, "window of %zu samples is too short (at least 8)",
                             window);
    emg_feature_extractor *fx = emgi_xcalloc(1, sizeof *fx, err);
    if (!fx)
        return EMG_ERR_NOMEM;
    emg_feature_options dopts = EMG_FEATURE_OPTIONS_INIT;
    emg_spectrum_options dspec = EMG_SPECTRUM_OPTIONS_INIT;
    fx->opts = opts ? *opts : dopts;
    fx->spec = spec ? *spec : dspec;
    fx->fs = fs;
    fx->window = window;
    fx->n_ids = n_ids;
    fx->ids = malloc((n_ids ? n_ids : 1) * sizeof *fx->ids);
    fx->scratch = malloc(window * sizeof(double));
    fx->scratch2 = malloc(window * sizeof(double));
    if (!fx->ids || !fx->scratch || !fx->scratch2) {
        emg_feature_extractor_destroy(fx);
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_ids; i++) {
        if (ids[i] >= F_COUNT) {
            emg_feature_extractor_destroy(fx);
            return emg_error_set(err, EMG_ERR_ARG, "feature id %zu out of range", ids[i]);
        }
        fx->ids[i] = ids[i];
        fx->need[ids[i]] = 1;
        if (catalogue[ids[i]].kind == FREQ)
            fx->need_spectrum = 1;
    }
    double nyq = fs / 2;
    fx->f_low = fx->opts.band_low > 0 ? fx->opts.band_low : 0;
    fx->f_high = fx->opts.band_high > 0 && fx->opts.band_high < nyq ? fx->opts.band_high : nyq;
    if (fx->need_spectrum && fx->f_low >= fx->f_high) {
        emg_feature_extractor_destroy(fx);
        return emg_error_set(err, EMG_ERR_ARG, "frequency band %g-%g Hz is empty at fs %g Hz",
                             fx->opts.band_low, fx->opts.band_high, fs);
    }
    if (fx->need_spectrum) {
        int rc;
        if (fx->spec.method == EMG_SPECTRUM_PERIODOGRAM) {
            fx->segment = window;
            fx->overlap = 0;
        } else {
            fx->segment = fx->spec.segment ? fx->spec.segment : 256;
            if (fx->segment > window) /* as SciPy: the segment shrinks to the window */
                fx->segment = window;
            fx->overlap = fx->spec.overlap == (size_t)-1 ? fx->segment / 2 : fx->spec.overlap;
            if (fx->overlap >= fx->segment) {
                emg_feature_extractor_destroy(fx);
                return emg_error_set(err, EMG_ERR_ARG, "Welch overlap %zu must be below the segment %zu",
                                     fx->overlap, fx->segment);
            }
        }
        rc = emg_psd_plan_create(&fx->plan, fx->segment, fx->spec.taper, fx->spec.taper_alpha, fs, err);
        if (rc < 0) {
            emg_feature_extractor_destroy(fx);
            return rc;
        }
        fx->psd = malloc(emg_psd_plan_bins(fx->plan) * sizeof *fx->psd);
        if (!fx->psd) {
            emg_feature_extractor_destroy(fx);
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        }
    }
    *out = fx;
    return 0;
}

int emg_feature_extractor_set_step(emg_feature_extractor *fx, size_t step, emg_error *err)
{
    if (!fx->need_spectrum || fx->spec.method != EMG_SPECTRUM_WELCH)
        return 0;
    emg_welch_cache_destroy(fx->cache);
    fx->cache = NULL;
    return emg_welch_cache_create(&fx->cache, fx->plan, fx->window, fx->overlap, step, err);
}

void emg_feature_extractor_destroy(emg_feature_extractor *fx)
{
    if (!fx)
        return;
    emg_welch_cache_destroy(fx->cache);
    emg_psd_plan_destroy(fx->plan);
    free(fx->psd);
    free(fx->ids);
    free(fx->scratch);
    free(fx->scratch2);
    free(fx);
}

double emg_feature_extractor_last_power(const emg_feature_extractor *fx) { return fx->last_power; }

const double *emg_feature_extractor_last_psd(const emg_feature_extractor *fx, size_t *bins,
                                             double *df)
{
    if (!fx->plan)
        return NULL;
    if (bins)
        *bins = emg_psd_plan_bins(fx->plan);
    if (df)
        *df = emg_psd_plan_df(fx->plan);
    return fx->psd;
}

/* Basic sums over one pass (always computed: a handful of flops per sample). */
typedef struct basic_sums {
    double sum, sum2, sumabs, wl, d2sum, zc, ssc, wamp, max;
    double dd2sum, sumabs3, sumlog, sumlog1, sumsqrt;
    int has_zero;
} basic_sums;

/* Branch-free and vectorised: four interleaved partial sums per feature
 * (lanes j = i mod 4) in GCC vector types, so that the comparisons become
 * 0/1 counts by masking and one loop keeps every sum in registers.  One
 * running sum would be a chain of dependent additions (four cycles each);
 * four lanes fill one 256-bit register (two SSE2 registers on a baseline
 * x86-64 build; the AVX2 clone is chosen at load time where the processor has
 * it).  The totals differ from sequential sums only in rounding; the counts
 * and the maximum not at all.  The second-difference loop runs only when a
 * feature needs it. */
/* The helpers below are always inlined, so passing 256-bit vectors by value
 * has no calling convention to agree on: GCC's note about the AVX ABI does
 * not apply.  (GCC reports it at the end of the file, so it is silenced from
 * here on rather than around the helpers.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double vd4 __attribute__((vector_size(32)));
typedef long long vi4 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) vd4 vd4_load(const double *p)
{
    vd4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline __attribute__((always_inline)) vd4 vd4_set1(double a) { return (vd4){a, a, a, a}; }
static inline __attribute__((always_inline)) vd4 vd4_abs(vd4 v) { return (vd4)((vi4)v & ~(vi4)vd4_set1(-0.0)); }
/* 1.0 where the mask is set, else 0.0 */
static inline __attribute__((always_inline)) vd4 vd4_ones(vi4 mask) { return (vd4)(mask & (vi4)vd4_set1(1.0)); }
static inline __attribute__((always_inline)) double vd4_total(vd4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

EMG_VECTOR_CLONES
static void basic_pass(const double *x, size_t n, const emg_feature_options *o, int need_dd,
                       basic_sums *s)
{
    memset(s, 0, sizeof *s);
    double zc_t = o->zc_threshold, ssc_t = o->ssc_threshold, wamp_t = o->wamp_threshold;
    vd4 zero = vd4_set1(0), zct = vd4_set1(zc_t), wampt = vd4_set1(wamp_t);
    vd4 sum = zero, sum2 = zero, sumabs = zero, wl = zero, d2 = zero, zc = zero, wamp = zero;
    vd4 mx = vd4_set1(x[0]);
    size_t i = 1;
    for (; i + 4 <= n; i += 4) {
        vd4 v = vd4_load(x + i), p = vd4_load(x + i - 1), d = v - p, ad = vd4_abs(d);
        sum += v;
        sum2 += v * v;
        sumabs += vd4_abs(v);
        vi4 above = v > mx;
        mx = (vd4)(((vi4)v & above) | ((vi4)mx & ~above));
        wl += ad;
        d2 += d * d;
        zc += vd4_ones((p * v < zero) & (ad >= zct));
        wamp += vd4_ones(ad > wampt);
    }
    double tsum = x[0], tsum2 = x[0] * x[0], tabs = fabs(x[0]), tmx = x[0], twl = 0, td2 = 0;
    double tzc = 0, twamp = 0;
    for (; i < n; i++) {
        double v = x[i], p = x[i - 1], d = v - p, ad = fabs(d);
        tsum += v;
        tsum2 += v * v;
        tabs += fabs(v);
        tmx = v > tmx ? v : tmx;
        twl += ad;
        td2 += d * d;
        tzc += (p * v < 0) & (ad >= zc_t);
        twamp += ad > wamp_t;
    }
    s->sum = vd4_total(sum) + tsum;
    s->sum2 = vd4_total(sum2) + tsum2;
    s->sumabs = vd4_total(sumabs) + tabs;
    s->max = fmax(fmax(fmax(mx[0], mx[1]), fmax(mx[2], mx[3])), tmx);
    s->wl = vd4_total(wl) + twl;
    s->d2sum = vd4_total(d2) + td2;
    s->zc = vd4_total(zc) + tzc;
    s->wamp = vd4_total(wamp) + twamp;
    if (need_dd) {
        double dd2 = 0;
        size_t ssc = 0;
        for (size_t k = 1; k + 1 < n; k++) {
            double a = x[k] - x[k - 1], b = x[k] - x[k + 1], prod = a * b, dd = -(a + b);
            ssc += (size_t)((prod > 0) & (prod >= ssc_t));
            dd2 += dd * dd;
        }
        s->ssc = (double)ssc;
        s->dd2sum = dd2;
    }
}

static void extra_pass(const double *x, size_t n, basic_sums *s)
{
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        s->sumabs3 += a * a * a;
        if (a > 0)
            s->sumlog += log(a);
        else
            s->has_zero = 1;
        s->sumlog1 += log(a + 1);
        s->sumsqrt += sqrt(a);
    }
}

static int compute_spectrum(emg_feature_extractor *fx, const double *x, long long start,
                            emg_error *err)
{
    if (fx->spec.method == EMG_SPECTRUM_PERIODOGRAM) {
        emg_psd_segment(fx->plan, x, fx->psd);
        return 0;
    }
    if (fx->cache) /* emg_feature_extractor_run has checked the window for gaps */
        return emgi_welch_cache_window(fx->cache, start, x, fx->psd, 1, err);
    return emg_welch(fx->plan, x, fx->window, fx->overlap, fx->psd, NULL, err);
}

int emg_feature_extractor_run(emg_feature_extractor *fx, const double *x, long long start,
                              double *values, unsigned *flags, emg_error *err)
{
    size_t n = fx->window;
    const int *need = fx->need;
    if (emg_has_gap(x, n)) {
        /* Missing data (docs/recording-model.md): no feature is known. */
        for (size_t i = 0; i < fx->n_ids; i++)
            values[i] = NAN;
        fx->last_power = NAN;
        if (flags)
            *flags = EMG_WINDOW_GAP;
        return 0;
    }
    basic_sums s;
    basic_pass(x, n, &fx->opts, need[F_SSC] || need[F_COR] || need[F_PAP], &s);
    double dn = (double)n, mean = s.sum / dn;
    double var = s.sum2 / dn - mean * mean;
    if (var < 0)
        var = 0;
    fx->last_power = s.sum2 / dn;
    if (need[F_LOG] || need[F_LD] || need[F_MSR] || need[F_TM3])
        extra_pass(x, n, &s);

    /* Central moments, Hjorth parameters (on the mean-removed derivative series). */
    double m3 = 0, m4 = 0, dvar = 0, ddvar = 0;
    if (need[F_SKEW] || need[F_KURT]) {
        for (size_t i = 0; i < n; i++) {
            double d = x[i] - mean, d2 = d * d;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        m3 /= dn;
        m4 /= dn;
    }
    if (need[F_HJ_MOB] || need[F_HJ_COMP]) {
        double dmean = (x[n - 1] - x[0]) / (dn - 1), ddmean = 0;
        for (size_t i = 1; i < n; i++) {
            double d = x[i] - x[i - 1] - dmean;
            dvar += d * d;
        }
        dvar /= dn - 1;
        for (size_t i = 2; i < n; i++)
            ddmean += x[i] - 2 * x[i - 1] + x[i - 2];
        ddmean /= dn - 2;
        for (size_t i = 2; i < n; i++) {
            double d = x[i] - 2 * x[i - 1] + x[i - 2] - ddmean;
            ddvar += d * d;
        }
        ddvar /= dn - 2;
    }
    double td[6] = {0}, ar[4] = {0}, cc[4] = {0};
    int need_td = need[F_TD_M0] || need[F_TD_M2] || need[F_TD_M4] || need[F_SPARSI] ||
                  need[F_IRF] || need[F_WLF];
    if (need_td) {
        double ebp[6], efp[6];
        tdpsd_closure(x, n, ebp);
        for (size_t i = 0; i < n; i++)
            fx->scratch[i] = log(x[i] * x[i] + 2.220446049250313e-16);
        tdpsd_closure(fx->scratch, n, efp);
        for (int j = 0; j < 6; j++)
            td[j] = -2 * efp[j] * ebp[j] / (efp[j] * efp[j] + ebp[j] * ebp[j]);
    }
    if (need[F_AR1] || need[F_AR2] || need[F_AR3] || need[F_AR4] || need[F_CC1] ||
        need[F_CC2] || need[F_CC3] || need[F_CC4]) {
        burg_ar(x, n, 4, ar, fx->scratch, fx->scratch2);
        /* Cepstrum of the all-pole model (Atal 1974): c1 = -a1,
         * c_p = -a_p - sum_{l=1}^{p-1} (1 - l/p) a_l c_{p-l}. */
        for (int p = 1; p <= 4; p++) {
            double c = -ar[p - 1];
            for (int l = 1; l < p; l++)
                c -= (1.0 - (double)l / p) * ar[l - 1] * cc[p - l - 1];
            cc[p - 1] = c;
        }
    }
    double ls = NAN;
    if (need[F_LS]) {
        /* Second L-moment: l2 = 2 b1 - b0, b1 = mean over sorted x of (i/(n-1)) x_(i). */
        memcpy(fx->scratch, x, n * sizeof *x);
        qsort(fx->scratch, n, sizeof *fx->scratch, emgi_double_cmp);
        double b1 = 0;
        for (size_t i = 0; i < n; i++)
            b1 += (double)i / (dn - 1) * fx->scratch[i];
        ls = 2 * b1 / dn - mean;
    }
    double mavslp = NAN;
    if (need[F_MAVSLP]) {
        size_t h = (n + 1) / 2;
        double a = 0, b = 0;
        for (size_t i = 0; i < h; i++)
            a += fabs(x[i]);
        for (size_t i = h; i < n && i < 2 * h; i++)
            b += fabs(x[i]);
        mavslp = b / (double)(n - h) - a / (double)h;
    }

    emg_spectral_stats st;
    double df = 0;
    size_t bins = 0;
    if (fx->need_spectrum) {
        int rc = compute_spectrum(fx, x, start, err);
        if (rc < 0)
            return rc;
        bins = emg_psd_plan_bins(fx->plan);
        df = emg_psd_plan_df(fx->plan);
        spectral_stats(&st, fx->psd, bins, df, fx->f_low, fx->f_high, need[F_SPEC_ENTROPY]);
    }

    /* Quality flags. */
    unsigned fl = 0;
    double rms = sqrt(s.sum2 / dn);
    if (var <= fx->opts.flat_rms * fx->opts.flat_rms)
        fl |= EMG_WINDOW_FLAT;
    if (fx->opts.clip_high != 0) {
        size_t hits = 0;
        for (size_t i = 0; i < n; i++)
            if (x[i] >= fx->opts.clip_high || x[i] <= fx->opts.clip_low)
                hits++;
        if ((double)hits > fx->opts.clip_fraction * dn)
            fl |= EMG_WINDOW_CLIPPED;
    }
    double snr = NAN;
    if (fx->opts.noise_rms > 0) {
        snr = 10 * log10(s.sum2 / dn / (fx->opts.noise_rms * fx->opts.noise_rms));
        if (snr < fx->opts.rest_snr_db)
            fl |= EMG_WINDOW_REST;
        if (snr < fx->opts.min_snr_db)
            fl |= EMG_WINDOW_LOW_SNR;
    }
    if (flags)
        *flags = fl;

    double isd = s.sum2, mdiff = s.d2sum / dn;
    for (size_t i = 0; i < fx->n_ids; i++) {
        double v = NAN;
        switch (fx->ids[i]) {
        case F_MEAN: v = mean; break;
        case F_RMS: v = rms; break;
        case F_MAV: v = s.sumabs / dn; break;
        case F_IEMG: v = s.sumabs / fx->fs; break;
        case F_VAR: v = var; break;
        case F_WL: v = s.wl; break;
        case F_ZC: v = s.zc; break;
        case F_SSC: v = s.ssc; break;
        case F_WAMP: v = s.wamp; break;
        case F_LOG: v = s.has_zero ? 0 : exp(s.sumlog / dn); break;
        case F_LD: v = exp(s.sumlog1 / dn); break;
        case F_DASDV: v = sqrt(s.d2sum / (dn - 1)); break;
        case F_SKEW: v = var > 0 ? m3 / pow(var, 1.5) : NAN; break;
        case F_KURT: v = var > 0 ? m4 / (var * var) : NAN; break;
        case F_HJ_ACT: v = var; break;
        case F_HJ_MOB: v = var > 0 ? sqrt(dvar / var) : NAN; break;
        case F_HJ_COMP: v = var > 0 && dvar > 0 ? sqrt(ddvar / dvar) / sqrt(dvar / var) : NAN; break;
        case F_LS: v = ls; break;
        case F_MFL: v = log10(sqrt(s.d2sum)); break;
        case F_MSR: v = s.sumsqrt / dn; break;
        case F_MAVFD: v = s.wl / (dn - 1); break;
        case F_MAVSLP: v = mavslp; break;
        case F_MPK: v = s.max; break;
        case F_TM3: v = s.sumabs3 / dn; break;
        case F_ISD: v = isd; break;
        case F_COR: v = (s.dd2sum / dn) > 0 && isd > 0 ? mdiff / ((s.dd2sum / dn) * isd) : NAN; break;
        case F_MDIFF: v = mdiff; break;
        case F_MLK: v = log(s.sumabs + 2.220446049250313e-16) / dn; break;
        case F_MZP: v = sqrt(mdiff); break;
        case F_PAP: v = s.dd2sum > 0 ? sqrt(isd) / (sqrt(s.dd2sum) / sqrt(s.d2sum)) : NAN; break;
        case F_TD_M0: v = td[0]; break;
        case F_TD_M2: v = td[1]; break;
        case F_TD_M4: v = td[2]; break;
        case F_SPARSI: v = td[3]; break;
        case F_IRF: v = td[4]; break;
        case F_WLF: v = td[5]; break;
        case F_AR1: case F_AR2: case F_AR3: case F_AR4: v = ar[fx->ids[i] - F_AR1]; break;
        case F_CC1: case F_CC2: case F_CC3: case F_CC4: v = cc[fx->ids[i] - F_CC1]; break;
        case F_SAMPEN: v = sample_entropy(x, n, 0.2 * sqrt(var)); break;
        case F_SNR_DB: v = snr; break;
        case F_TOTAL_POWER: v = st.total_power; break;
        case F_MNF: v = st.mnf; break;
        case F_MDF: v = st.mdf; break;
        case F_PEAK_FREQ: v = st.peak_freq; break;
        case F_MNP: {
            size_t k0 = (size_t)ceil(fx->f_low / df - 1e-9), k1 = (size_t)floor(fx->f_high / df + 1e-9);
            if (k1 >= bins)
                k1 = bins - 1;
            v = k1 >= k0 ? st.total_power / df / (double)(k1 - k0 + 1) : NAN;
            break;
        }
        case F_SM_NEG1: case F_SM0: case F_SM1: case F_SM2: case F_SM3: case F_SM4: case F_SM5:
            v = st.moment[fx->ids[i] - F_SM_NEG1];
            break;
        case F_FI_NSM5: v = st.fi_nsm5; break;
        case F_SPEC_ENTROPY: v = st.entropy; break;
        case F_BP_LOW: v = emg_band_power(fx->psd, bins, df, 20, 40); break;
        case F_BP_HIGH: v = emg_band_power(fx->psd, bins, df, 130, 238); break;
        case F_RATIO_HL: {
            double lo = emg_band_power(fx->psd, bins, df, 20, 40);
            v = lo > 0 ? emg_band_power(fx->psd, bins, df, 130, 238) / lo : NAN;
            break;
        }
        case F_DFTR1: case F_DFTR2: case F_DFTR3: case F_DFTR4: case F_DFTR5: case F_DFTR6: {
            static const double edges[7] = {20, 92, 163, 235, 307, 378, 450};
            size_t b = fx->ids[i] - F_DFTR1;
            v = edges[b + 1] <= fx->fs / 2 ? emg_band_power(fx->psd, bins, df, edges[b], edges[b + 1])
                                           : NAN;
            break;
        }
        }
        values[i] = v;
    }
    return 0;
}

