/* plot_trend.c: the fatigue trend of each channel (up to four): the window
 * values of the features (MDF and MNF by default) over the active windows,
 * the fitted line and its confidence band, computed as emg-fatigue computes
 * them (the same filter, windows, activity flags, OLS fit with the n_eff
 * inference: include/emgkit/fatigue.h), so that the figure and the table
 * agree.  Windows flagged rest, clipped, flat or low SNR are drawn hollow
 * and left out of the fit, as in the table. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "emgkit/features.h"
#include "plot.h"

enum { MAX_PANELS = 4, BAND_POINTS = 60 };

static void y_range(const plot_series *s, size_t n_ids, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < s->n * n_ids; i++)
        if (isfinite(s->v[i]) && !(s->flags[i / n_ids] & EMG_WINDOW_UNUSABLE)) {
            *lo = fmin(*lo, s->v[i]);
            *hi = fmax(*hi, s->v[i]);
        }
    if (!(*hi > *lo)) {
        *lo = isfinite(*lo) ? *lo - 1 : 0;
        *hi = *lo + 2;
    }
    double pad = 0.08 * (*hi - *lo);
    *lo -= pad;
    *hi += pad * 2.5; /* room for the legend */
}

/* Fit, then draw the band, the points and the line of one feature; the
 * legend text goes to text. */
/* The line fitted to the m points (t, y) and its band; 0 when there is no fit. */
static int draw_fit(const double *t, const double *y, size_t m, double confidence, unsigned rgb,
                    emg_trend *tr)
{
    emg_error err;
    if (m < 3 || emg_trend_fit(tr, t, y, m, EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, confidence,
                               0.1, &err) < 0 || !isfinite(tr->slope))
        return 0;
    PLFLT bx[2 * BAND_POINTS], by[2 * BAND_POINTS];
    int band = 1;
    for (int k = 0; k < BAND_POINTS; k++) {
        double at = t[0] + (t[m - 1] - t[0]) * k / (BAND_POINTS - 1);
        double half = emg_trend_band(tr, t, y, m, at), fit = tr->intercept + tr->slope * at;
        band &= isfinite(half);
        bx[k] = bx[2 * BAND_POINTS - 1 - k] = at;
        by[k] = fit + half;
        by[2 * BAND_POINTS - 1 - k] = fit - half;
    }
    if (band) {
        plot_rgb(rgb, 0.25);
        plfill(2 * BAND_POINTS, bx, by);
    }
    PLFLT lx[2] = {t[0], t[m - 1]}, ly[2] = {tr->intercept + tr->slope * t[0],
                                            tr->intercept + tr->slope * t[m - 1]};
    plot_rgb(rgb, 1.0);
    plwidth(2.0);
    plline(2, lx, ly);
    plwidth(1.0);
    return 1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One fit per contraction (emg-fatigue --per-contraction: runs of active
 * windows bridged over gaps up to 1 s, at least 3 s long); the legend gives
 * how many were fitted and the median slope. */
static void draw_contractions(const plot_series *s, size_t f, size_t n_ids, double window_s,
                              double confidence, unsigned rgb, const char *name, char *text,
                              size_t text_n, double *t, double *y)
{
    const unsigned inactive = EMG_WINDOW_REST | EMG_WINDOW_FLAT | EMG_WINDOW_CLIPPED |
                              EMG_WINDOW_GAP;
    int *active = malloc((s->n ? s->n : 1) * sizeof *active);
    double *onset = malloc((s->n ? s->n : 1) * sizeof *onset);
    double *slopes = malloc((s->n ? s->n : 1) * sizeof *slopes);
    if (!active || !onset || !slopes)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        active[i] = !(s->flags[i] & inactive);
        onset[i] = s->t[i] - window_s / 2;
    }
    emg_segment *seg;
    size_t n_seg, fitted = 0;
    emg_error err;
    if (emg_contractions_from_windows(&seg, &n_seg, onset, active, s->n, window_s, 1.0, 3.0,
                                      &err) < 0)
        cli_fail(&err);
    for (size_t k = 0; k < n_seg; k++) {
        size_t m = 0;
        for (size_t i = 0; i < s->n; i++) {
            double v = s->v[i * n_ids + f];
            if (onset[i] >= seg[k].onset - 1e-9 &&
                onset[i] + window_s <= seg[k].onset + seg[k].duration + 1e-9 &&
                !(s->flags[i] & EMG_WINDOW_UNUSABLE) && isfinite(v)) {
                t[m] = s->t[i];
                y[m++] = v;
            }
        }
        emg_trend tr;
        if (draw_fit(t, y, m, confidence, rgb, &tr))
            slopes[fitted++] = tr.slope_per_min;
    }
    qsort(slopes, fitted, sizeof *slopes, by_value);
    double median = fitted ? (fitted % 2 ? slopes[fitted / 2]
                                         : (slopes[fitted / 2 - 1] + slopes[fitted / 2]) / 2)
                           : NAN;
    snprintf(text, text_n, "%s: %zu of %zu contractions fitted, median %+.3g/min", name, fitted,
             n_seg, median);
    free(seg);
    free(active);
    free(onset);
    free(slopes);
}

static void draw_feature(const plot_series *s, size_t f, size_t n_ids, const char *name,
                         const plot_request *r, unsigned rgb, char *text, size_t text_n,
                         double *t, double *y)
{
    for (size_t i = 0; i < s->n; i++) { /* left-out windows, hollow */
        double v = s->v[i * n_ids + f];
        if ((s->flags[i] & EMG_WINDOW_UNUSABLE) && isfinite(v)) {
            plot_rgb(rgb, 0.5);
            plot_dots(&s->t[i], &v, 1, 0.45, 0);
        }
    }
    size_t m = plot_series_active(s, f, n_ids, t, y);
    plot_rgb(rgb, 0.6);
    plot_dots(t, y, m, 0.45, 1);
    if (r->per_contraction) {
        draw_contractions(s, f, n_ids, r->a.window.window_s, r->confidence, rgb, name, text,
                          text_n, t, y);
        return;
    }
    emg_trend tr;
    if (!draw_fit(t, y, m, r->confidence, rgb, &tr)) {
        snprintf(text, text_n, "%s: no trend (%zu active windows)", name, m);
        return;
    }
    snprintf(text, text_n, "%s %+.3g/min [%.3g, %.3g], %+.1f%%/min", name, tr.slope_per_min,
             tr.ci_low * 60, tr.ci_high * 60, tr.change_pct_per_min);
}

static void draw_channel(const plot_series *s, const emg_channel *ch, const size_t *ids, size_t n_ids,
                         const plot_request *r, double t0, double t1, int last)
{
    double lo, hi;
    y_range(s, n_ids, &lo, &hi);
    plwind(t0, t1, lo, hi);
    double *t = malloc((s->n ? s->n : 1) * sizeof *t), *y = malloc((s->n ? s->n : 1) * sizeof *y);
    if (!t || !y)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    char text[4][160];
    const char *texts[4];
    PLINT opt[4], tcol[4], lcol[4], lsty[4], bcol[4], bsty[4], scol[4], snum[4];
    PLFLT lwid[4], bscale[4], bwid[4], sscale[4];
    const char *sym[4];
    size_t shown = n_ids > 4 ? 4 : n_ids;
    for (size_t f = 0; f < shown; f++) {
        unsigned rgb = plot_series_colour(f);
        draw_feature(s, f, n_ids, emg_feature_name(ids[f]), r, rgb, text[f], sizeof text[f], t,
                     y);
        texts[f] = text[f];
        opt[f] = PL_LEGEND_LINE;
        tcol[f] = PLOT_FG;
        lcol[f] = (PLINT)(7 + f); /* cmap0 7-10: the legend's line colours */
        plscol0a(lcol[f], (PLINT)(rgb >> 16 & 0xff), (PLINT)(rgb >> 8 & 0xff), (PLINT)(rgb & 0xff), 1);
        lsty[f] = 1;
        lwid[f] = 2;
        bcol[f] = bsty[f] = scol[f] = snum[f] = 1;
        bscale[f] = bwid[f] = sscale[f] = 1;
        sym[f] = "";
    }
    free(t);
    free(y);
    plcol0(PLOT_FG);
    plbox(last ? "bcnst" : "bcst", plot_x_tick(0), 0, "bcnstv", plot_y_tick(6), 0);
    char label[96];
    plot_axis_label(label, sizeof label, "frequency", "Hz");
    int spectral = 1;
    for (size_t f = 0; f < n_ids; f++)
        spectral &= emg_feature_is_spectral(ids[f]);
    plmtex("l", 3.6, 0.5, 0.5, spectral ? label : "value");
    plmtex("t", 0.5, 0.0, 0.0, ch->name[0] ? ch->name : "channel");
    char x_label[96];
    snprintf(x_label, sizeof x_label, "time (s); lines: OLS fit, bands: its %.0f%% CI",
             r->confidence * 100);
    if (last)
        plmtex("b", 2.8, 0.5, 0.5, x_label);
    /* The legend's text as large as fits the panel's width (0.85 at most). */
    size_t longest = 1;
    for (size_t f = 0; f < shown; f++)
        longest = strlen(texts[f]) > longest ? strlen(texts[f]) : longest;
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    double scale = fmin(0.85, 0.8 * (x1 - x0) / (plot_text_width("0") * (double)(longest + 6)));
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND, PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE,
             0.01, 0.01, 0.05, PLOT_BG, PLOT_GRID, 1, (PLINT)shown, 1, (PLINT)shown, opt, 0.6, scale,
             1.4, 1.0, tcol, texts, bcol, bsty, bscale, bwid, lcol, lsty, lwid, scol, sscale, snum,
             sym);
}

void plot_trend(const plot_request *r)
{
    const char *path = r->inputs[0];
    plot_windows w;
    plot_windows_collect(&w, r);
    size_t nch = w.n_channels;
    if (nch == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no EMG channel to plot", path);
    size_t shown = nch > MAX_PANELS ? MAX_PANELS : nch;
    if (nch > MAX_PANELS)
        cli_warn(path, "%zu channels: the trend shows the first %d (choose with -c)", nch, MAX_PANELS);
    double t0 = INFINITY, t1 = -INFINITY;
    for (size_t c = 0; c < shown; c++)
        if (w.ch[c].n) {
            t0 = fmin(t0, w.ch[c].t[0]);
            t1 = fmax(t1, w.ch[c].t[w.ch[c].n - 1]);
        }
    if (!(t1 > t0))
        cli_die(CLI_EXIT_FORMAT, "%s: too short for a trend (fewer than two windows)", path);
    double pad = 0.02 * (t1 - t0);
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    double top = 1 - (r->title ? 3.0 : 1.8) * ht / page_h, bottom = 4.2 * ht / page_h;
    double panel = (top - bottom) / (double)shown;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    for (size_t c = 0; c < shown; c++) {
        double y1 = top - panel * (double)c;
        plvpor(6.5 * ht / page_w, 1 - 1.5 * ht / page_w, y1 - panel + 2.2 * ht / page_h, y1);
        draw_channel(&w.ch[c], &w.channels[c], w.ids, w.n_ids, r, t0 - pad, t1 + pad,
                     c + 1 == shown);
    }
    plot_close();
    plot_windows_free(&w);
}
