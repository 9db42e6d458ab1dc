/* envelope.c: streaming amplitude envelopes of EMG.
 *
 *  - moving RMS and ARV (average rectified value) over a trailing window, the
 *    amplitude estimators recommended for surface EMG (Merletti & Di Torino
 *    1999, "Standards for reporting EMG data", J. Electromyogr. Kinesiol. 9;
 *    De Luca 1997, J. Appl. Biomech. 13:135);
 *  - the linear envelope: full-wave rectification then a 2nd-order
 *    Butterworth low-pass (Winter, Biomechanics and Motor Control of Human
 *    Movement, 4th ed., 2009, sec. 10.3);
 *  - the Teager-Kaiser energy operator psi[n] = x[n]^2 - x[n-1] x[n+1]
 *    (Kaiser 1990, Proc. ICASSP, 381), used to sharpen EMG onsets (Li, Zhou
 *    & Aruin 2007, J. Electromyogr. Kinesiol. 17:471).
 *
 * Running sums are recomputed from the window every `window` samples, on a
 * schedule tied to the absolute sample index, so that rounding does not
 * accumulate and block boundaries do not change the result. */
#include "emgkit/filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct emg_envelope {
    emg_envelope_type type;
    size_t window;     /* samples (RMS, ARV) */
    double *ring;      /* last `window` squared or rectified samples */
    size_t count;      /* samples seen */
    double sum;
    emg_iirfilt *lowpass; /* LINEAR */
    double x1, x2;     /* TKEO: x[n-1], x[n-2] */
};

const char *emg_envelope_name(emg_envelope_type type)
{
    switch (type) {
    case EMG_ENVELOPE_RMS: return "rms";
    case EMG_ENVELOPE_ARV: return "arv";
    case EMG_ENVELOPE_LINEAR: return "linear";
    case EMG_ENVELOPE_TKEO: return "tkeo";
    }
    return "?";
}

int emg_envelope_from_name(const char *name, emg_envelope_type *out, emg_error *err)
{
    static const emg_envelope_type all[] = {EMG_ENVELOPE_RMS, EMG_ENVELOPE_ARV,
                                            EMG_ENVELOPE_LINEAR, EMG_ENVELOPE_TKEO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, emg_envelope_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return emg_error_set(err, EMG_ERR_ARG,
                         "unknown envelope '%s' (expected rms, arv, linear or tkeo)", name);
}

int emg_envelope_create(emg_envelope **out, emg_envelope_type type, double window, double fs,
                        emg_error *err)
{
    *out = NULL;
    if (!(fs > 0) || !isfinite(fs))
        return emg_error_set(err, EMG_ERR_ARG, "envelope: sampling rate %g Hz must be > 0", fs);
    emg_envelope *e = calloc(1, sizeof *e);
    if (!e)
        return emg_error_set(err, EMG_ERR_NOMEM, "envelope: out of memory");
    e->type = type;
    int rc = 0;
    switch (type) {
    case EMG_ENVELOPE_RMS:
    case EMG_ENVELOPE_ARV: {
        double w = floor(window * fs + 0.5);
        if (!(w >= 1) || w > 1e9) {
            rc = emg_error_set(err, EMG_ERR_ARG,
                               "envelope: window %g s must be at least one sample (1/%g s)",
                               window, fs);
            break;
        }
        e->window = (size_t)w;
        if (!(e->ring = calloc(e->window, sizeof(double))))
            rc = emg_error_set(err, EMG_ERR_NOMEM, "envelope: out of memory");
        break;
    }
    case EMG_ENVELOPE_LINEAR: {
        emg_sos sos = EMG_SOS_INIT;
        rc = emg_butter_design(&sos, EMG_BAND_LOWPASS, 2, window, 0, fs, err);
        if (rc == 0)
            rc = emg_iirfilt_create(&e->lowpass, &sos, err);
        emg_sos_free(&sos);
        break;
    }
    case EMG_ENVELOPE_TKEO:
        break;
    default:
        rc = emg_error_set(err, EMG_ERR_ARG, "envelope: unknown type %d", (int)type);
    }
    if (rc < 0) {
        emg_envelope_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* RMS (square = 1) or ARV (square = 0) over the trailing window. */
static void moving_mean(emg_envelope *e, int square, const double *x, double *y, size_t n)
{
    size_t w = e->window;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) { /* a gap: no envelope, and a fresh window after it */
            emg_envelope_reset(e);
            y[i] = NAN;
            continue;
        }
        double v = square ? x[i] * x[i] : fabs(x[i]);
        size_t slot = e->count % w;
        e->sum += v - e->ring[slot];
        e->ring[slot] = v;
        e->count++;
        if (slot == w - 1) { /* refresh the running sum once per window */
            double s = 0;
            for (size_t k = 0; k < w; k++)
                s += e->ring[k];
            e->sum = s;
        }
        size_t seen = e->count < w ? e->count : w;
        double mean = e->sum / (double)seen;
        if (mean < 0)
            mean = 0; /* rounding in the running sum */
        y[i] = square ? sqrt(mean) : mean;
    }
}

static void tkeo(emg_envelope *e, const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], out;
        if (e->count == 0)
            out = 0.0;
        else if (e->count == 1)
            out = e->x1 * e->x1 - e->x1 * xi; /* x[-1] taken as x[0] */
        else
            out = e->x1 * e->x1 - e->x2 * xi;
        e->x2 = e->x1;
        e->x1 = xi;
        e->count++;
        y[i] = out;
    }
}

void emg_envelope_execute(emg_envelope *e, const double *x, double *y, size_t n)
{
    switch (e->type) {
    case EMG_ENVELOPE_RMS:
        moving_mean(e, 1, x, y, n);
        break;
    case EMG_ENVELOPE_ARV:
        moving_mean(e, 0, x, y, n);
        break;
    case EMG_ENVELOPE_LINEAR:
        emg_rectify(x, y, n);
        emg_iirfilt_execute(e->lowpass, y, y, n);
        break;
    case EMG_ENVELOPE_TKEO:
        tkeo(e, x, y, n);
        break;
    }
}

void emg_envelope_reset(emg_envelope *e)
{
    e->count = 0;
    e->sum = 0;
    e->x1 = e->x2 = 0;
    if (e->ring)
        memset(e->ring, 0, e->window * sizeof(double));
    if (e->lowpass)
        emg_iirfilt_reset(e->lowpass);
}

size_t emg_envelope_delay(const emg_envelope *e)
{
    return e->type == EMG_ENVELOPE_TKEO ? 1 : 0;
}

void emg_envelope_destroy(emg_envelope *e)
{
    if (!e)
        return;
    free(e->ring);
    emg_iirfilt_destroy(e->lowpass);
    free(e);
}
