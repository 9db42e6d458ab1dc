/* plot_spectrogram.c: short-time PSD of each channel (up to four) in dB,
 * time against frequency, with a colour bar.
 *
 * The frames are emg_stft's (scipy.signal.spectrogram, mode 'psd') with the
 * Welch segment and overlap of --welch (256:128 by default) and the taper of
 * --taper; a long recording takes a longer hop so that there are at most
 * about two frames per pixel column.  The colour range is the top 60 dB of
 * the shown frequencies (the channel's maximum down to 60 dB below it, or
 * to its minimum when that is closer): EMG power spans about that. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/features.h"
#include "emgkit/spectrum.h"
#include "plot.h"

enum { MAX_PANELS = 4, VECTOR_CELLS_X = 240, VECTOR_CELLS_Y = 80 };
static const double DYNAMIC_RANGE_DB = 60.0;

/* Viridis (van der Walt & Smith 2015) at five points: perceptually
 * uniform, readable in grey and by colour-blind readers. */
static void viridis(void)
{
    PLFLT pos[] = {0.0, 0.25, 0.5, 0.75, 1.0};
    PLFLT r[] = {0.267, 0.231, 0.128, 0.369, 0.993};
    PLFLT g[] = {0.005, 0.322, 0.567, 0.789, 0.906};
    PLFLT b[] = {0.329, 0.546, 0.551, 0.383, 0.144};
    plscmap1n(256);
    plscmap1l(1, 5, pos, r, g, b, NULL);
}

typedef struct frames {
    size_t n, cap, bins, shown; /* frames; bins per frame; bins up to --max-freq */
    double *db;                 /* n x shown, dB */
    double *t;                  /* frame centres, s */
} frames;

static int keep_frame(void *ctx, size_t frame, double centre_s, const double *psd)
{
    frames *f = ctx;
    (void)frame;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 512;
        f->db = realloc(f->db, f->cap * f->shown * sizeof *f->db);
        f->t = realloc(f->t, f->cap * sizeof *f->t);
        if (!f->db || !f->t)
            return EMG_ERR_NOMEM;
    }
    for (size_t k = 0; k < f->shown; k++)
        f->db[f->n * f->shown + k] = psd[k] > 0 ? 10 * log10(psd[k]) : NAN;
    f->t[f->n++] = centre_s;
    return 0;
}

static void colour_range(const frames *f, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < f->n * f->shown; i++) {
        if (!isfinite(f->db[i]))
            continue;
        *lo = f->db[i] < *lo ? f->db[i] : *lo;
        *hi = f->db[i] > *hi ? f->db[i] : *hi;
    }
    if (!(*hi > *lo)) {
        *lo = isfinite(*lo) ? *lo - 1 : -1;
        *hi = *lo + 2;
    }
    if (*hi - *lo > DYNAMIC_RANGE_DB)
        *lo = *hi - DYNAMIC_RANGE_DB;
}

static void draw_panel(const frames *f, double df, double t0, double t1, double y0, double y1,
                       const emg_channel *ch, int last, double left, double right, int vector)
{
    double lo, hi;
    colour_range(f, &lo, &hi);
    /* A vector image is a polygon per cell: merge cells (mean power) down
     * to at most VECTOR_CELLS_X x VECTOR_CELLS_Y, which keeps an SVG to a
     * few MB; a raster image keeps every frame and bin. */
    size_t gx = 1, gy = 1;
    if (vector) {
        gx = (f->n + VECTOR_CELLS_X - 1) / VECTOR_CELLS_X;
        gy = (f->shown + VECTOR_CELLS_Y - 1) / VECTOR_CELLS_Y;
    }
    size_t nx = (f->n + gx - 1) / gx, ny = (f->shown + gy - 1) / gy;
    PLFLT **z;
    plAlloc2dGrid(&z, (PLINT)nx, (PLINT)ny);
    for (size_t i = 0; i < nx; i++)
        for (size_t k = 0; k < ny; k++) {
            double power = 0;
            size_t count = 0;
            for (size_t a = i * gx; a < (i + 1) * gx && a < f->n; a++)
                for (size_t b = k * gy; b < (k + 1) * gy && b < f->shown; b++) {
                    double v = f->db[a * f->shown + b];
                    if (isfinite(v)) {
                        power += pow(10, v / 10);
                        count++;
                    }
                }
            double v = count ? 10 * log10(power / (double)count) : lo;
            z[i][k] = isfinite(v) ? (v < lo ? lo : v) : lo;
        }
    double fmax = (double)(f->shown - 1) * df;
    plvpor(left, right, y0, y1);
    plwind(t0, t1, 0, fmax);
    plimagefr((PLFLT_MATRIX)z, (PLINT)nx, (PLINT)ny, t0, t1, 0, fmax, lo, hi, lo, hi, NULL, NULL);
    plFree2dGrid(z, (PLINT)nx, (PLINT)ny);
    plcol0(PLOT_FG);
    plbox(last ? "bcnst" : "bcst", plot_x_tick(0), 0, "bcnstv", plot_y_tick(6), 0);
    plmtex("l", 3.6, 0.5, 0.5, "frequency (Hz)");
    plmtex("t", 0.5, 0.0, 0.0, ch->name[0] ? ch->name : "channel");
    if (last)
        plmtex("b", 2.8, 0.5, 0.5, "time (s)");
    char unit[96];
    snprintf(unit, sizeof unit, "PSD (dB re 1 %s#u2#d/Hz)", ch->unit[0] ? ch->unit : "unit");
    const char *labels[] = {unit};
    PLINT label_opts[] = {PL_COLORBAR_LABEL_RIGHT};
    PLFLT ticks[] = {0};
    PLINT subticks[] = {0};
    const char *axis_opts[] = {"bcvtm"};
    PLFLT values[2] = {lo, hi};
    PLFLT_VECTOR vals[] = {values};
    PLINT nvals[] = {2};
    PLFLT w, h;
    plcolorbar(&w, &h, PL_COLORBAR_IMAGE | PL_COLORBAR_BOUNDING_BOX,
               PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.015, 0, 0.02, 1.0, PLOT_BG, PLOT_FG, 1,
               0, 0, 0, 0, 1, label_opts, labels, 1, axis_opts, ticks, subticks, nvals, vals);
}

void plot_spectrogram(const plot_request *r)
{
    emg_recording rec;
    emg_error err;
    emg_recording_init(&rec);
    plot_load_recording(&rec, r);
    size_t n = rec.header.n_channels;
    if (n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no channel to plot", r->inputs[0]);
    if (n > MAX_PANELS) {
        cli_warn(r->inputs[0], "%zu channels: the spectrogram shows the first %d (choose with -c)",
                 n, MAX_PANELS);
        n = MAX_PANELS;
    }
    const emg_spectrum_options *so = &r->a.spectrum;
    size_t seg = so->segment ? so->segment : 256;
    size_t overlap = so->overlap != (size_t)-1 ? so->overlap : seg / 2;
    double t0 = r->in.from > 0 ? r->in.from : 0, t1 = t0;
    frames *f = calloc(n, sizeof *f);
    double *df = calloc(n, sizeof *df);
    if (!f || !df)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < n; c++) {
        const emg_channel *ch = &rec.header.channels[c];
        size_t len = (size_t)ch->n_samples, hop = seg - overlap;
        size_t max_frames = (size_t)(2 * r->size.width);
        if (len / hop > max_frames)
            hop = len / max_frames;
        if (len < seg) {
            cli_warn(r->inputs[0], "channel %s: shorter than one %zu-sample segment", ch->name, seg);
            continue;
        }
        emg_psd_plan *plan;
        if (emg_psd_plan_create(&plan, seg, so->taper, so->taper_alpha, ch->fs, &err) < 0)
            cli_fail(&err);
        df[c] = emg_psd_plan_df(plan);
        f[c].bins = emg_psd_plan_bins(plan);
        f[c].shown = (size_t)fmin((double)f[c].bins, floor(r->max_freq / df[c]) + 1);
        if (emg_stft(plan, rec.data[c], len, hop, keep_frame, &f[c], &err) < 0)
            cli_fail(&err);
        emg_psd_plan_destroy(plan);
        for (size_t i = 0; i < f[c].n; i++)
            f[c].t[i] += t0;
        t1 = fmax(t1, t0 + (double)len / ch->fs);
    }
    plot_open(r->output, &r->size);
    viridis();
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    double top = 1 - (r->title ? 3.0 : 1.8) * ht / page_h, bottom = 4.2 * ht / page_h;
    double panel = (top - bottom) / (double)n, right = 1 - 16 * ht / page_w;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    for (size_t c = 0; c < n; c++) {
        double y1 = top - panel * (double)c;
        if (f[c].n)
            draw_panel(&f[c], df[c], t0, t1, y1 - panel + 2.2 * ht / page_h, y1, &rec.header.channels[c],
                       c + 1 == n, 7.5 * ht / page_w, right, plot_vector_output(r->output));
        free(f[c].db);
        free(f[c].t);
    }
    plot_close();
    free(f);
    free(df);
    emg_recording_free(&rec);
}
