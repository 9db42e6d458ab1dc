/* filter_chain.c: a chain of filter stages applied in order to one channel.
 *
 * Modelled on SoX's effects chain: every stage has the same push / finish /
 * reset interface and may hold samples back (zero-phase look-ahead, the auto
 * notch's detection buffer, whole-signal detrending); the chain moves blocks
 * from stage to stage through two scratch buffers and queues the final output
 * until the caller pulls it.  Over a whole signal each stage emits exactly as
 * many samples as it received, so the chain preserves length and time.
 *
 * The default surface-EMG chain follows the SENIAM recommendations
 * (Hermens et al. 2000, J. Electromyogr. Kinesiol. 10:361) and De Luca et al.
 * 2010 (J. Biomech. 43:1573): band-pass 20-450 Hz, 4th-order Butterworth,
 * plus a mains notch. */
#include "emgkit/filter.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Growable sample buffer with a read offset. */
typedef struct buf {
    double *v;
    size_t start, end, cap;
} buf;

static size_t buf_count(const buf *b) { return b->end - b->start; }
static void buf_clear(buf *b) { b->start = b->end = 0; }

static double *buf_grow(buf *b, size_t extra, emg_error *err)
{
    if (b->start > 0) {
        memmove(b->v, b->v + b->start, (b->end - b->start) * sizeof(double));
        b->end -= b->start;
        b->start = 0;
    }
    if (b->end + extra > b->cap || !b->v) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->end + extra)
            cap *= 2;
        double *v = realloc(b->v, cap * sizeof(double));
        if (!v) {
            emg_error_set(err, EMG_ERR_NOMEM, "filter chain: out of memory");
            return NULL;
        }
        b->v = v;
        b->cap = cap;
    }
    return b->v + b->end;
}

static int buf_append(buf *b, const double *x, size_t n, emg_error *err)
{
    if (!n)
        return 0;
    double *w = buf_grow(b, n, err);
    if (!w)
        return EMG_ERR_NOMEM;
    memcpy(w, x, n * sizeof(double));
    b->end += n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Stages                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum stage_kind {
    STAGE_IIR,      /* causal sections */
    STAGE_ZERO,     /* forward-backward sections */
    STAGE_NOTCH_AUTO,
    STAGE_DC,
    STAGE_DETREND,
    STAGE_RECTIFY,
    STAGE_ENVELOPE
} stage_kind;

typedef struct stage {
    stage_kind kind;
    emg_iirfilt *iir;
    emg_filtfilt *zero;
    emg_envelope *env;
    size_t skip;       /* envelope outputs still to drop (delay compensation) */
    double last_in;    /* last input seen (TKEO end padding) */
    int have_last;
    buf hold;          /* whole-signal stages, auto notch detection buffer */
    /* auto notch */
    double q, max_freq, detect_seconds, detected;
    int n_harmonics;
    emg_phase phase;
    int decided;
} stage;

struct emg_chain {
    double fs;
    size_t n_stages, cap_stages;
    stage *stages;
    buf tmp[2];
    buf out;
    char desc[1024];
};

int emg_chain_create(emg_chain **out, double fs, emg_error *err)
{
    *out = NULL;
    if (!(fs > 0) || !isfinite(fs))
        return emg_error_set(err, EMG_ERR_ARG, "filter chain: sampling rate %g Hz must be > 0", fs);
    emg_chain *c = calloc(1, sizeof *c);
    if (!c)
        return emg_error_set(err, EMG_ERR_NOMEM, "filter chain: out of memory");
    c->fs = fs;
    *out = c;
    return 0;
}

static void stage_free(stage *s)
{
    emg_iirfilt_destroy(s->iir);
    emg_filtfilt_destroy(s->zero);
    emg_envelope_destroy(s->env);
    free(s->hold.v);
    memset(s, 0, sizeof *s);
}

void emg_chain_destroy(emg_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_stages; i++)
        stage_free(&c->stages[i]);
    free(c->stages);
    free(c->tmp[0].v);
    free(c->tmp[1].v);
    free(c->out.v);
    free(c);
}

static void describe(emg_chain *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void describe(emg_chain *c, const char *fmt, ...)
{
    size_t len = strlen(c->desc);
    if (len && len + 2 < sizeof c->desc)
        strcat(c->desc, "; "), len += 2;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->desc + len, sizeof c->desc - len, fmt, ap);
    va_end(ap);
}

static stage *new_stage(emg_chain *c, stage_kind kind, emg_error *err)
{
    if (c->n_stages == c->cap_stages) {
        size_t cap = c->cap_stages ? 2 * c->cap_stages : 8;
        stage *s = realloc(c->stages, cap * sizeof *s);
        if (!s) {
            emg_error_set(err, EMG_ERR_NOMEM, "filter chain: out of memory");
            return NULL;
        }
        c->stages = s;
        c->cap_stages = cap;
    }
    stage *s = &c->stages[c->n_stages];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->detected = -1;
    return s;
}

/* Stage running sos causally or forward-backward; takes the stage slot only
 * on success. */
static int add_sos_stage(emg_chain *c, const emg_sos *sos, emg_phase phase, emg_error *err)
{
    stage *s = new_stage(c, phase == EMG_PHASE_CAUSAL ? STAGE_IIR : STAGE_ZERO, err);
    if (!s)
        return EMG_ERR_NOMEM;
    int rc = phase == EMG_PHASE_CAUSAL ? emg_iirfilt_create(&s->iir, sos, err)
                                       : emg_filtfilt_create(&s->zero, sos, EMG_PADLEN_DEFAULT, err);
    if (rc < 0)
        return rc;
    c->n_stages++;
    return 0;
}

static const char *phase_name(emg_phase phase)
{
    return phase == EMG_PHASE_CAUSAL ? "causal" : "zero-phase";
}

static const char *band_name(emg_band type)
{
    static const char *names[] = {"lowpass", "highpass", "bandpass", "bandstop"};
    return type >= EMG_BAND_LOWPASS && type <= EMG_BAND_BANDSTOP ? names[type] : "?";
}

int emg_chain_add_butter(emg_chain *c, emg_band type, int order, double f1, double f2,
                         emg_phase phase, emg_error *err)
{
    emg_sos sos = EMG_SOS_INIT;
    int rc = emg_butter_design(&sos, type, order, f1, f2, c->fs, err);
    if (rc == 0)
        rc = add_sos_stage(c, &sos, phase, err);
    emg_sos_free(&sos);
    if (rc < 0)
        return rc;
    if (type == EMG_BAND_BANDPASS || type == EMG_BAND_BANDSTOP)
        describe(c, "%s %g-%g Hz order %d %s", band_name(type), f1, f2, order, phase_name(phase));
    else
        describe(c, "%s %g Hz order %d %s", band_name(type), f1, order, phase_name(phase));
    return 0;
}

int emg_chain_add_notch(emg_chain *c, double f0, double q, int n_harmonics, double max_freq,
                        double detect_seconds, emg_phase phase, emg_error *err)
{
    if (f0 != 0) {
        emg_sos sos = EMG_SOS_INIT;
        int rc = emg_notch_design(&sos, f0, q, n_harmonics, max_freq, c->fs, err);
        size_t n = sos.n_sections;
        if (rc == 0)
            rc = add_sos_stage(c, &sos, phase, err);
        emg_sos_free(&sos);
        if (rc < 0)
            return rc;
        describe(c, "notch %g Hz x%zu Q %g %s", f0, n, q, phase_name(phase));
        return 0;
    }
    if (!(q >= 1 && q <= 1000))
        return emg_error_set(err, EMG_ERR_ARG, "notch: quality factor %g outside 1..1000", q);
    if (!(detect_seconds >= 1))
        return emg_error_set(err, EMG_ERR_ARG, "notch: detection needs >= 1 s, not %g s",
                             detect_seconds);
    stage *s = new_stage(c, STAGE_NOTCH_AUTO, err);
    if (!s)
        return EMG_ERR_NOMEM;
    s->q = q;
    s->n_harmonics = n_harmonics;
    s->max_freq = max_freq;
    s->detect_seconds = detect_seconds;
    s->phase = phase;
    c->n_stages++;
    describe(c, "notch auto Q %g %s", q, phase_name(phase));
    return 0;
}

static int add_simple(emg_chain *c, stage_kind kind, const char *what, emg_error *err)
{
    if (!new_stage(c, kind, err))
        return EMG_ERR_NOMEM;
    c->n_stages++;
    describe(c, "%s", what);
    return 0;
}

int emg_chain_add_dc(emg_chain *c, emg_error *err) { return add_simple(c, STAGE_DC, "dc", err); }
int emg_chain_add_detrend(emg_chain *c, emg_error *err)
{
    return add_simple(c, STAGE_DETREND, "detrend", err);
}
int emg_chain_add_rectify(emg_chain *c, emg_error *err)
{
    return add_simple(c, STAGE_RECTIFY, "rectify", err);
}

int emg_chain_add_envelope(emg_chain *c, emg_envelope_type type, double window,
                           emg_phase phase, emg_error *err)
{
    int rc;
    if (type == EMG_ENVELOPE_LINEAR && phase == EMG_PHASE_ZERO) {
        emg_sos sos = EMG_SOS_INIT;
        if (!new_stage(c, STAGE_RECTIFY, err))
            return EMG_ERR_NOMEM;
        rc = emg_butter_design(&sos, EMG_BAND_LOWPASS, 2, window, 0, c->fs, err);
        if (rc == 0) {
            c->n_stages++; /* the rectifier */
            rc = add_sos_stage(c, &sos, phase, err);
            if (rc < 0)
                c->n_stages--;
        }
        emg_sos_free(&sos);
        if (rc < 0)
            return rc;
        describe(c, "envelope linear %g Hz zero-phase", window);
        return 0;
    }
    stage *s = new_stage(c, STAGE_ENVELOPE, err);
    if (!s)
        return EMG_ERR_NOMEM;
    if ((rc = emg_envelope_create(&s->env, type, window, c->fs, err)) < 0)
        return rc;
    s->skip = emg_envelope_delay(s->env);
    c->n_stages++;
    if (type == EMG_ENVELOPE_LINEAR)
        describe(c, "envelope linear %g Hz causal", window);
    else if (type == EMG_ENVELOPE_TKEO)
        describe(c, "envelope tkeo");
    else
        describe(c, "envelope %s %g s", emg_envelope_name(type), window);
    return 0;
}

int emg_chain_add_default(emg_chain *c, double mains, emg_phase phase, emg_error *err)
{
    double nyq = c->fs / 2.0, lo = 20.0, hi = fmin(450.0, 0.9 * nyq);
    double notch_top = nyq;
    int rc = 0;
    if (hi >= 40.0) {
        rc = emg_chain_add_butter(c, EMG_BAND_BANDPASS, 4, lo, hi, phase, err);
        notch_top = hi;
    } else if (0.9 * nyq > lo) {
        rc = emg_chain_add_butter(c, EMG_BAND_HIGHPASS, 4, lo, 0, phase, err);
    }
    if (rc < 0 || mains < 0)
        return rc;
    /* Notch only where mains fits below Nyquist; otherwise it is aliased and
     * out of reach of a notch at its nominal frequency. */
    double need = mains > 0 ? mains : 50.0;
    if (need * (1 + 1 / 60.0) >= nyq)
        return 0;
    return emg_chain_add_notch(c, mains, 30.0, 0, notch_top, 10.0, phase, err);
}

/* ------------------------------------------------------------------------ */
/* Running                                                                   */
/* ------------------------------------------------------------------------ */

static int stage_push(emg_chain *c, stage *s, const double *x, size_t n, buf *out,
                      emg_error *err);

/* Auto notch: detect on the held samples, build the notch, replay them. */
static int notch_decide(emg_chain *c, stage *s, buf *out, emg_error *err)
{
    double f = 0, score = 0;
    size_t n = buf_count(&s->hold);
    const double *x = s->hold.v + s->hold.start;
    emg_error ignored;
    if (c->fs > 120 && n >= (size_t)floor(c->fs + 0.5))
        emg_mains_detect(x, n, c->fs, &f, &score, &ignored);
    s->decided = 1;
    s->detected = f;
    if (f > 0) {
        emg_sos sos = EMG_SOS_INIT;
        int rc = emg_notch_design(&sos, f, s->q, s->n_harmonics, s->max_freq, c->fs, err);
        if (rc == 0) {
            if (s->phase == EMG_PHASE_CAUSAL)
                rc = emg_iirfilt_create(&s->iir, &sos, err);
            else
                rc = emg_filtfilt_create(&s->zero, &sos, EMG_PADLEN_DEFAULT, err);
        }
        emg_sos_free(&sos);
        if (rc < 0)
            return rc;
    }
    int rc = stage_push(c, s, x, n, out, err);
    buf_clear(&s->hold);
    return rc;
}

static int stage_push(emg_chain *c, stage *s, const double *x, size_t n, buf *out,
                      emg_error *err)
{
    int rc;
    double *w;
    if (s->kind == STAGE_NOTCH_AUTO && !s->decided) {
        if ((rc = buf_append(&s->hold, x, n, err)) < 0)
            return rc;
        if ((double)buf_count(&s->hold) >= s->detect_seconds * c->fs)
            return notch_decide(c, s, out, err);
        return 0;
    }
    if (!n)
        return 0;
    switch (s->kind) {
    case STAGE_DC:
    case STAGE_DETREND:
        return buf_append(&s->hold, x, n, err);
    case STAGE_ZERO:
        return emg_filtfilt_push(s->zero, x, n, err); /* output stays there (stage_output) */
    case STAGE_NOTCH_AUTO:
        if (s->zero)
            return emg_filtfilt_push(s->zero, x, n, err);
        break; /* causal or pass-through: below */
    default:
        break;
    }
    if (!(w = buf_grow(out, n, err)))
        return EMG_ERR_NOMEM;
    switch (s->kind) {
    case STAGE_IIR:
    case STAGE_NOTCH_AUTO:
        if (s->iir)
            emg_iirfilt_execute(s->iir, x, w, n);
        else
            memcpy(w, x, n * sizeof(double));
        break;
    case STAGE_RECTIFY:
        emg_rectify(x, w, n);
        break;
    case STAGE_ENVELOPE: {
        emg_envelope_execute(s->env, x, w, n);
        s->last_in = x[n - 1];
        s->have_last = 1;
        size_t drop = s->skip < n ? s->skip : n;
        if (drop) {
            memmove(w, w + drop, (n - drop) * sizeof(double));
            s->skip -= drop;
            n -= drop;
        }
        break;
    }
    default:
        break;
    }
    out->end += n;
    return 0;
}

static int stage_finish(emg_chain *c, stage *s, buf *out, emg_error *err)
{
    int rc;
    switch (s->kind) {
    case STAGE_NOTCH_AUTO:
        if (!s->decided && (rc = notch_decide(c, s, out, err)) < 0)
            return rc;
        if (!s->zero)
            return 0;
        /* fall through */
    case STAGE_ZERO:
        return emg_filtfilt_finish(s->zero, err);
    case STAGE_DC:
    case STAGE_DETREND: {
        size_t n = buf_count(&s->hold);
        double *x = s->hold.v + s->hold.start;
        if (s->kind == STAGE_DC)
            emg_remove_dc(x, n);
        else
            emg_detrend_linear(x, n);
        rc = buf_append(out, x, n, err);
        buf_clear(&s->hold);
        return rc;
    }
    case STAGE_ENVELOPE: {
        /* Flush the delayed outputs, extending the signal by its last value. */
        size_t delay = emg_envelope_delay(s->env);
        for (size_t i = 0; i < delay && s->have_last; i++) {
            double pad = s->last_in;
            if ((rc = stage_push(c, s, &pad, 1, out, err)) < 0)
                return rc;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Where stage s's output lies: a zero-phase stage keeps it in its filter,
 * lent from there to the next stage (which copies it into its own filter)
 * or to the caller, so that no sample is copied between stages; the other
 * stages write it to buffer b. */
static const double *stage_output(const stage *s, const buf *b, size_t *n)
{
    if (s->zero)
        return emg_filtfilt_peek(s->zero, n);
    *n = buf_count(b);
    return b->v ? b->v + b->start : NULL;
}

/* The next stage has taken what stage s lent it. */
static void stage_release(stage *s)
{
    if (s->zero)
        emg_filtfilt_consume(s->zero, emg_filtfilt_available(s->zero));
}

static buf *stage_buf(emg_chain *c, size_t i)
{
    return i + 1 == c->n_stages ? &c->out : &c->tmp[i % 2];
}

/* Stage i of k chains runs in the vector lanes when it is a zero-phase
 * filter in every chain and all are fed alike (emg_filtfilt_push_group then
 * checks that they share one cascade and state shape). */
static int lane_filters(emg_chain *const *c, size_t k, size_t i, const size_t *n,
                        emg_filtfilt **f)
{
    if (k < 2 || k > 4)
        return 0;
    for (size_t j = 0; j < k; j++) {
        const stage *s = &c[j]->stages[i];
        if (!s->zero || n[j] != n[0] || (s->kind == STAGE_NOTCH_AUTO && !s->decided))
            return 0;
        f[j] = s->zero;
    }
    return 1;
}

/* Push in[j][0..n[j]) into stage i of chain j, then finish it if asked. */
static int step_stage(emg_chain *const *c, size_t k, size_t i, const double *const *in,
                      const size_t *n, int finish, emg_error *err)
{
    emg_filtfilt *f[4];
    int rc = 0;
    if (lane_filters(c, k, i, n, f)) {
        if (n[0] && (rc = emg_filtfilt_push_group(f, k, in, n[0], err)) < 0)
            return rc;
        return finish ? emg_filtfilt_finish_group(f, k, err) : 0;
    }
    for (size_t j = 0; j < k && rc == 0; j++) {
        stage *s = &c[j]->stages[i];
        buf *out = stage_buf(c[j], i);
        if (out != &c[j]->out)
            buf_clear(out);
        rc = stage_push(c[j], s, in[j], n[j], out, err);
        if (rc == 0 && finish)
            rc = stage_finish(c[j], s, out, err);
    }
    return rc;
}

/* Run k chains with the same number of stages (k <= 4) through their
 * stages, stage by stage, each fed in[j][0..n[j]) (then finished). */
static int run_chains(emg_chain *const *c, size_t k, const double **in, size_t *n, int finish,
                      emg_error *err)
{
    size_t ns = c[0]->n_stages;
    if (ns == 0) {
        int rc = 0;
        for (size_t j = 0; j < k && rc == 0; j++)
            rc = buf_append(&c[j]->out, in[j], n[j], err); /* no stages: pass through */
        return rc;
    }
    for (size_t i = 0; i < ns; i++) {
        int rc = step_stage(c, k, i, in, n, finish, err);
        for (size_t j = 0; j < k && i > 0; j++)
            stage_release(&c[j]->stages[i - 1]);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < k && i + 1 < ns; j++)
            in[j] = stage_output(&c[j]->stages[i], &c[j]->tmp[i % 2], &n[j]);
    }
    return 0;
}

/* Groups of up to four chains alike in length, each run on its own
 * otherwise. */
static int run_group(emg_chain *const *c, size_t k, const double *const *x, size_t n, int finish,
                     emg_error *err)
{
    const double *in[4];
    size_t count[4];
    int rc = 0;
    for (size_t g = 0; g < k && rc == 0; g += 4) {
        size_t m = k - g < 4 ? k - g : 4, same = 1;
        for (size_t j = 0; j < m; j++) {
            in[j] = x ? x[g + j] : NULL;
            count[j] = x ? n : 0;
            same &= c[g + j]->n_stages == c[g]->n_stages;
        }
        if (same)
            rc = run_chains(c + g, m, in, count, finish, err);
        for (size_t j = 0; j < m && !same && rc == 0; j++)
            rc = run_chains(c + g + j, 1, in + j, count + j, finish, err);
    }
    return rc;
}

int emg_chain_push(emg_chain *c, const double *x, size_t n, emg_error *err)
{
    return run_group(&c, 1, &x, n, 0, err);
}

int emg_chain_finish(emg_chain *c, emg_error *err)
{
    return run_group(&c, 1, NULL, 0, 1, err);
}

int emg_chain_push_group(emg_chain *const *c, size_t k, const double *const *x, size_t n,
                         emg_error *err)
{
    return run_group(c, k, x, n, 0, err);
}

int emg_chain_finish_group(emg_chain *const *c, size_t k, emg_error *err)
{
    return run_group(c, k, NULL, 0, 1, err);
}

/* The last stage's filter, where a zero-phase last stage keeps the output. */
static emg_filtfilt *last_filter(const emg_chain *c)
{
    return c->n_stages ? c->stages[c->n_stages - 1].zero : NULL;
}

size_t emg_chain_available(const emg_chain *c)
{
    const emg_filtfilt *f = last_filter(c);
    return buf_count(&c->out) + (f ? emg_filtfilt_available(f) : 0);
}

const double *emg_chain_peek(const emg_chain *c, size_t *n)
{
    const emg_filtfilt *f = last_filter(c);
    if (buf_count(&c->out) || !f) {
        *n = buf_count(&c->out);
        return c->out.v ? c->out.v + c->out.start : NULL;
    }
    return emg_filtfilt_peek(f, n);
}

void emg_chain_consume(emg_chain *c, size_t n)
{
    size_t from_buf = buf_count(&c->out) < n ? buf_count(&c->out) : n;
    c->out.start += from_buf;
    if (c->out.start == c->out.end)
        buf_clear(&c->out);
    emg_filtfilt *f = last_filter(c);
    if (f && n > from_buf)
        emg_filtfilt_consume(f, n - from_buf);
}

size_t emg_chain_pull(emg_chain *c, double *y, size_t max)
{
    size_t got = 0;
    while (got < max) {
        size_t n;
        const double *p = emg_chain_peek(c, &n);
        if (!n)
            break;
        n = n < max - got ? n : max - got;
        memcpy(y + got, p, n * sizeof(double));
        emg_chain_consume(c, n);
        got += n;
    }
    return got;
}

void emg_chain_reset(emg_chain *c)
{
    for (size_t i = 0; i < c->n_stages; i++) {
        stage *s = &c->stages[i];
        if (s->iir)
            emg_iirfilt_reset(s->iir);
        if (s->zero)
            emg_filtfilt_reset(s->zero);
        if (s->env) {
            emg_envelope_reset(s->env);
            s->skip = emg_envelope_delay(s->env);
        }
        s->have_last = 0;
        buf_clear(&s->hold);
        if (s->kind == STAGE_NOTCH_AUTO) {
            emg_iirfilt_destroy(s->iir);
            emg_filtfilt_destroy(s->zero);
            s->iir = NULL;
            s->zero = NULL;
            s->decided = 0;
            s->detected = -1;
        }
    }
    buf_clear(&c->tmp[0]);
    buf_clear(&c->tmp[1]);
    buf_clear(&c->out);
}

int emg_chain_apply(emg_chain *c, double *x, size_t n, emg_error *err)
{
    emg_chain_reset(c);
    int rc = emg_chain_push(c, x, n, err);
    if (rc == 0)
        rc = emg_chain_finish(c, err);
    if (rc < 0)
        return rc;
    size_t got = emg_chain_pull(c, x, n);
    if (got != n || emg_chain_available(c))
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "filter chain: produced %zu samples for %zu (internal error)", got, n);
    return 0;
}

const char *emg_chain_describe(const emg_chain *c)
{
    return c->n_stages ? c->desc : "none";
}

double emg_chain_detected_mains(const emg_chain *c)
{
    for (size_t i = 0; i < c->n_stages; i++)
        if (c->stages[i].kind == STAGE_NOTCH_AUTO)
            return c->stages[i].decided ? c->stages[i].detected : -1;
    return -1;
}
