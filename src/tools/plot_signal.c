/* plot_signal.c: the recording, channels stacked, time in s, each channel
 * in its own unit, with events (a table's or the recording's annotations)
 * shaded in the palette's colours and named above the traces.  The channels
 * are read block by block into min/max buckets (plot_minmax.c), so an hour
 * of 16 channels is drawn from a few thousand points each and memory does
 * not grow with the recording. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/features.h"
#include "plot.h"

/* Buckets kept per pixel column of the plot (2: a stroke per half column). */
static const double BUCKETS_PER_COLUMN = 2.0;
/* Rows of event names above the traces before a name is left to the legend. */
enum { NAME_ROWS = 3 };

/* The decimated channels of one recording. */
typedef struct trace_set {
    emg_header hdr;      /* copy of the names, units and rates */
    size_t n;
    plot_minmax *ch;
    double t0, t1;       /* s */
} trace_set;

static void read_traces(trace_set *ts, const plot_request *r, const char *path, size_t columns,
                        plot_events *annotations)
{
    emg_error err;
    emg_reader *rd = cli_open_input(path, &r->in);
    const emg_header *h = emg_reader_header(rd);
    size_t nch = h->n_channels;
    ts->n = nch;
    ts->ch = calloc(nch ? nch : 1, sizeof *ts->ch);
    void **stage = calloc(nch ? nch : 1, sizeof *stage);
    emg_channel_stage filter;
    emg_channel_stage_filter(&filter, &r->a.filter);
    if (!ts->ch || !stage)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    size_t buckets = 2 * (size_t)(BUCKETS_PER_COLUMN * (double)columns / 2) + 2; /* even */
    for (size_t c = 0; c < nch; c++) {
        plot_minmax_init(&ts->ch[c], buckets, h->channels[c].n_samples);
        if (r->a.filter_on && !(stage[c] = filter.create(filter.ctx, c, h->channels[c].fs, &err)))
            cli_fail(&err);
    }
    const emg_block *blk;
    int rc;
    cli_gap_tracker gaps;
    cli_gaps_init(&gaps, nch);
    while ((rc = emg_reader_read(rd, &blk, &err)) > 0) {
        cli_gaps_add(&gaps, blk);
        for (size_t c = 0; c < nch; c++) {
            const double *x = blk->data[c];
            size_t n = blk->count[c];
            if (stage[c] && filter.process(stage[c], x, n, &x, &n, &err) < 0)
                cli_fail(&err);
            plot_minmax_add(&ts->ch[c], x, n);
        }
    }
    if (rc < 0)
        cli_fail(&err);
    cli_gaps_report(&gaps, path, h);
    ts->t0 = r->in.from > 0 ? r->in.from : 0;
    ts->t1 = ts->t0;
    for (size_t c = 0; c < nch; c++) {
        if (stage[c]) {
            const double *x;
            size_t n;
            if (filter.flush(stage[c], &x, &n, &err) < 0)
                cli_fail(&err);
            plot_minmax_add(&ts->ch[c], x, n);
            filter.destroy(stage[c]);
        }
        plot_minmax_finish(&ts->ch[c]);
        double end = ts->t0 + (double)ts->ch[c].samples / h->channels[c].fs;
        ts->t1 = end > ts->t1 ? end : ts->t1;
    }
    plot_events_load(annotations, NULL, NULL, h);
    ts->hdr.n_channels = nch;
    ts->hdr.channels = calloc(nch ? nch : 1, sizeof *ts->hdr.channels);
    if (!ts->hdr.channels)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < nch; c++)
        ts->hdr.channels[c] = h->channels[c];
    free(stage);
    emg_reader_close(rd);
}

/* The value range of a channel, padded by 5 %; [-1, 1] when it has none. */
static void value_range(const plot_minmax *m, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < m->n; k++) {
        if (m->lo[k] < *lo)
            *lo = m->lo[k];
        if (m->hi[k] > *hi)
            *hi = m->hi[k];
    }
    if (!(*hi > *lo)) {
        double mid = isfinite(*lo) ? *lo : 0;
        *lo = mid - 1;
        *hi = mid + 1;
    }
    double pad = 0.05 * (*hi - *lo);
    *lo -= pad;
    *hi += pad;
}

static void shade(double from, double to, double lo, double hi, unsigned rgb)
{
    PLFLT x[4] = {from, to, to, from}, y[4] = {lo, lo, hi, hi};
    plot_rgb(rgb, 0.28);
    plfill(4, x, y);
}

/* Names of the events in rows above the traces, each where it starts,
 * skipped when no row has room (the legend still gives its colour). */
static size_t name_events(const plot_events *ev, double t0, double t1)
{
    double row_end[NAME_ROWS];
    size_t skipped = 0;
    for (int i = 0; i < NAME_ROWS; i++)
        row_end[i] = -INFINITY;
    double line = 1.0 / NAME_ROWS, gap = plot_text_width("m") * 0.5;
    for (size_t i = 0; i < ev->n; i++) {
        const plot_event *e = &ev->ev[i];
        if (!e->label[0] || e->onset + e->duration < t0 || e->onset > t1)
            continue;
        double x = e->onset < t0 ? t0 : e->onset, w = plot_text_width(e->label);
        int row = -1;
        for (int k = 0; k < NAME_ROWS && row < 0; k++)
            if (x > row_end[k] + gap && x + w <= t1)
                row = k;
        if (row < 0) {
            skipped++;
            continue;
        }
        row_end[row] = x + w;
        plot_rgb(plot_label_colour(e->label), 1.0);
        PLFLT lx[2] = {x, x}, ly[2] = {0, 1 - line * row - line * 0.15};
        plline(2, lx, ly);
        plcol0(PLOT_FG);
        plptex(x + gap * 0.4, 1 - line * (row + 1) + line * 0.2, 1, 0, 0, e->label);
    }
    return skipped;
}

/* Distinct labels of the events, in order of first appearance. */
static size_t distinct_labels(const plot_events *ev, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < ev->n; i++) {
        size_t k = 0;
        while (k < n && strcmp(out[k], ev->ev[i].label))
            k++;
        if (k == n && n < max && ev->ev[i].label[0])
            out[n++] = ev->ev[i].label;
    }
    return n;
}

/* A legend of the labels' colours outside the top right of the viewport. */
static void label_legend(const char *const *labels, size_t n, double text_scale, double offset)
{
    enum { MAX = 16 };
    PLINT opt[MAX], tcol[MAX], bcol[MAX], bsty[MAX], lcol[MAX], lsty[MAX], scol[MAX], snum[MAX];
    PLFLT bscale[MAX], lwid[MAX], bwid[MAX], sscale[MAX];
    const char *sym[MAX];
    n = n > MAX ? MAX : n;
    for (size_t i = 0; i < n; i++) {
        opt[i] = PL_LEGEND_COLOR_BOX;
        tcol[i] = PLOT_FG;
        bcol[i] = 7 + (PLINT)(i % 8); /* cmap0 7-14: the legend's label colours */
        unsigned rgb = plot_label_colour(labels[i]);
        plscol0a(bcol[i], (PLINT)(rgb >> 16 & 0xff), (PLINT)(rgb >> 8 & 0xff), (PLINT)(rgb & 0xff),
                 0.5);
        bsty[i] = 0;
        bscale[i] = 0.7;
        bwid[i] = 0;
        lcol[i] = lsty[i] = scol[i] = snum[i] = 1;
        lwid[i] = sscale[i] = 1;
        sym[i] = "";
    }
    PLFLT w, h;
    pllegend(&w, &h, 0, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, offset, 0.0,
             0.025, PLOT_BG, PLOT_GRID, 1, (PLINT)n, 1, (PLINT)n, opt, 0.6, text_scale, 1.6, 0, tcol,
             labels, bcol, bsty, bscale, bwid, lcol, lsty, lwid, scol, sscale, snum, sym);
}

/* Where the parts of the figure go, in normalised page coordinates. */
typedef struct layout {
    double left, right, bottom, top; /* the traces */
    double names;                    /* height of the strip of event names above them */
    double panel;                    /* height of one channel */
    int tick_labels;                 /* room for numbers on the y axes */
    double text_scale;               /* of the channel names, to fit a panel */
    size_t name_every;               /* name every k-th channel (crowded panels) */
    size_t name_chars;               /* longest channel name shown */
    double legend_scale;             /* of the legend's text */
    double gap;                      /* above and below each panel's frame */
    double legend_offset;            /* from the frame, in units of the traces' width */
} layout;

static layout lay_out(const trace_set *ts, const plot_events *ev, const char *const *labels,
                      size_t n_labels, int titled)
{
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    size_t longest = 0, longest_label = 0;
    for (size_t c = 0; c < ts->n; c++) {
        size_t len = strlen(ts->hdr.channels[c].name) + strlen(ts->hdr.channels[c].unit) + 3;
        longest = len > longest ? len : longest;
    }
    for (size_t i = 0; i < n_labels; i++) {
        size_t len = strlen(labels[i]);
        longest_label = len > longest_label ? len : longest_label;
    }
    layout L;
    L.top = 1 - (titled ? 2.6 : 1.0) * ht / page_h;
    L.bottom = 4.2 * ht / page_h;
    L.names = ev->n ? NAME_ROWS * 1.5 * ht / page_h : 0;
    L.panel = (L.top - L.names - L.bottom) / (double)(ts->n ? ts->n : 1);
    L.tick_labels = L.panel * page_h > 5 * ht;
    /* Tick labels stand half a line beyond a frame: with numbers, the gap
     * keeps those of neighbouring panels apart. */
    L.gap = fmax(0.06 * L.panel, L.tick_labels ? 0.6 * ht / page_h : 0);
    /* A name fits a panel at 1.25 character heights; below 0.55 of the
     * size text is unreadable, so then only every k-th channel is named. */
    double fit = L.panel * page_h / (1.25 * ht);
    L.text_scale = fit >= 1 ? 1 : fit >= 0.55 ? fit : 0.55;
    L.name_every = fit >= 0.55 ? 1 : (size_t)ceil(0.55 / fit);
    double glyph = PLOT_GLYPH_ADVANCE * ht; /* as plot_text_width() */
    /* Names take at most 30 % of the width, the legend 25 %. */
    double tick_mm = L.tick_labels ? 7 * glyph : 0;
    L.name_chars = (size_t)fmax(4, (0.3 * page_w - 1.5 * ht - tick_mm) / glyph);
    longest = longest < L.name_chars ? longest : L.name_chars;
    double legend_mm = 6.5 * ht + (double)longest_label * glyph;
    L.legend_scale = fmin(0.9, 0.9 * 0.25 * page_w / legend_mm);
    legend_mm = fmin(legend_mm, 0.25 * page_w);
    /* Channel name, then (with room) tick labels of up to 6 characters. */
    L.left = (1.5 * ht + (double)longest * glyph + tick_mm) / page_w;
    /* Without tick labels each panel's height is written at its right. */
    double span_mm = L.tick_labels ? 0 : 5 * glyph + ht;
    L.right = 1 - (n_labels ? legend_mm + span_mm : fmax(1.5 * ht, span_mm)) / page_w;
    L.legend_offset = (span_mm + 0.5 * ht) / ((L.right - L.left) * page_w);
    return L;
}

static void draw_channel(const trace_set *ts, size_t c, const plot_events *ev, const layout *L)
{
    const emg_channel *ch = &ts->hdr.channels[c];
    double lo, hi;
    value_range(&ts->ch[c], &lo, &hi);
    double y1 = L->top - L->names - L->panel * (double)c, y0 = y1 - L->panel;
    plvpor(L->left, L->right, y0 + L->gap, y1 - L->gap);
    plwind(ts->t0, ts->t1, lo, hi);
    for (size_t i = 0; i < ev->n; i++)
        if (plot_event_on_channel(&ev->ev[i], ch->name, c))
            shade(ev->ev[i].onset, ev->ev[i].onset + ev->ev[i].duration, lo, hi,
                  plot_label_colour(ev->ev[i].label));
    plcol0(PLOT_TRACE);
    plwidth(0.8);
    plot_minmax_draw(&ts->ch[c], ts->t0, ch->fs);
    plwidth(1);
    plcol0(PLOT_FG);
    int last = c + 1 == ts->n;
    plbox(last ? "bcnst" : "bcst", plot_x_tick(0), 0, L->tick_labels ? "bcnstv" : "bc", plot_y_tick(3),
          0);
    char label[160];
    plot_axis_label(label, sizeof label, ch->name[0] ? ch->name : "channel", ch->unit);
    plot_fit_text(label, L->name_chars);
    plschr(0, L->text_scale);
    if (c % L->name_every == 0)
        plmtex("lv", (L->tick_labels ? 7 * PLOT_GLYPH_ADVANCE + 0.8 : 0.8) / L->text_scale, 0.5,
               1.0, label);
    if (!L->tick_labels && c % L->name_every == 0) { /* the panel's full height: the scale */
        char span[64];
        snprintf(span, sizeof span, "%.2g", hi - lo);
        plmtex("rv", 0.4 / L->text_scale, 0.5, 0.0, span);
    }
    plschr(0, 1.0);
    if (last)
        plmtex("b", 2.8, 0.5, 0.5, "time (s)");
}

void plot_signal(const plot_request *r)
{
    const char *path = r->inputs[0];
    plot_events ev = {0};
    trace_set ts = {0};
    /* The traces take about four fifths of the width. */
    read_traces(&ts, r, path, (size_t)(r->size.width * 0.8), &ev); /* its annotations */
    if (r->events || r->given_events) {
        plot_events_free(&ev);
        plot_request_events(&ev, r, NULL);
    }
    if (ts.n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no channel to plot", path);
    const char *labels[16];
    size_t n_labels = distinct_labels(&ev, labels, 16);
    plot_open(r->output, &r->size);
    layout L = lay_out(&ts, &ev, labels, n_labels, r->title != NULL);
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    for (size_t c = 0; c < ts.n; c++)
        draw_channel(&ts, c, &ev, &L);
    if (ev.n) {
        plvpor(L.left, L.right, L.top - L.names, L.top);
        plwind(ts.t0, ts.t1, 0, 1);
        size_t skipped = name_events(&ev, ts.t0, ts.t1);
        if (skipped && cli_verbose())
            cli_warn(path, "%zu event names left to the legend (no room above the traces)", skipped);
        plvpor(L.left, L.right, L.bottom, L.top);
        label_legend(labels, n_labels, L.legend_scale, L.legend_offset);
    }
    plot_close();
    for (size_t c = 0; c < ts.n; c++) {
        free(ts.ch[c].lo);
        free(ts.ch[c].hi);
    }
    free(ts.ch);
    free(ts.hdr.channels);
    plot_events_free(&ev);
}
