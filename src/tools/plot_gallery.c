/* plot_gallery.c: each event's waveform and RMS envelope in its own panel,
 * time from the event's onset (so the panels are aligned at 0), the event
 * shaded in its label's colour, with its label, confidence, rule and
 * channel above.  Events are taken in onset order, at most --max-events. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* Envelope: moving RMS over 50 ms, the coarse envelope of the labeller
 * (docs/methods/labelling.md). */
static const double ENVELOPE_S = 0.05;
/* Context shown before and after an event: a quarter of its duration,
 * at least 50 ms, at most 2 s. */
static double context_s(double duration)
{
    return fmin(2.0, fmax(0.05, 0.25 * duration));
}

static int by_onset(const void *a, const void *b)
{
    const plot_event *x = a, *y = b;
    return (x->onset > y->onset) - (x->onset < y->onset);
}

static size_t channel_of(const emg_header *h, const plot_event *e)
{
    for (size_t c = 0; c < h->n_channels; c++)
        if (e->channel[0] && plot_event_on_channel(e, h->channels[c].name, c))
            return c;
    return 0;
}

/* Moving RMS of x[0..n) over w samples, centred. */
static void moving_rms(const double *x, size_t n, size_t w, double *out)
{
    double acc = 0;
    size_t count = 0, half = w / 2;
    for (size_t i = 0; i < n + half; i++) {
        if (i < n && isfinite(x[i])) {
            acc += x[i] * x[i];
            count++;
        }
        if (i >= w && isfinite(x[i - w])) {
            acc -= x[i - w] * x[i - w];
            count--;
        }
        if (i >= half)
            out[i - half] = count ? sqrt(fmax(acc, 0) / (double)count) : NAN;
    }
}

/* The caption, cut with "..." to the panel's width. */
static void caption(char *out, size_t n, const plot_event *e, const char *channel, double width)
{
    char conf[32] = "";
    if (isfinite(e->confidence))
        snprintf(conf, sizeof conf, " %.2f", e->confidence);
    snprintf(out, n, "%s%s %s  %s", e->label[0] ? e->label : "event", conf, e->rule, channel);
    size_t len = strlen(out);
    while (len > 4 && plot_text_width(out) > width) {
        out[--len] = '\0';
        memcpy(out + len - 3, "...", 3);
    }
}

/* t_offset: the time of the recording's first sample in memory (-f). */
static void draw_event(const emg_recording *rec, double t_offset, const plot_event *e, double vx0,
                       double vx1, double vy0, double vy1, int x_label)
{
    size_t c = channel_of(&rec->header, e);
    const emg_channel *ch = &rec->header.channels[c];
    double pre = context_s(e->duration);
    double from = fmax(e->onset - pre, t_offset), to = e->onset + e->duration + pre;
    size_t i0 = (size_t)((from - t_offset) * ch->fs);
    size_t i1 = (size_t)fmin((double)ch->n_samples, (to - t_offset) * ch->fs);
    if (i1 <= i0 + 1)
        return;
    size_t n = i1 - i0;
    const double *x = rec->data[c] + i0;
    double *env = malloc(n * sizeof *env), *te = malloc(n * sizeof *te);
    if (!env || !te)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    moving_rms(x, n, (size_t)fmax(1, ENVELOPE_S * ch->fs), env);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            lo = fmin(lo, x[i]);
            hi = fmax(hi, x[i]);
        }
    if (!(hi > lo)) {
        lo -= 1;
        hi += 1;
    }
    double rel0 = from - e->onset, rel1 = rel0 + (double)n / ch->fs;
    plvpor(vx0, vx1, vy0, vy1);
    plwind(rel0, rel1, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
    PLFLT sx[4] = {0, e->duration, e->duration, 0}, sy[4] = {lo - (hi - lo), lo - (hi - lo),
                                                             hi + (hi - lo), hi + (hi - lo)};
    plot_rgb(plot_label_colour(e->label), 0.25);
    plfill(4, sx, sy);
    plot_minmax m;
    plot_minmax_init(&m, 2000, (int64_t)n);
    plot_minmax_add(&m, x, n);
    plot_minmax_finish(&m);
    plcol0(PLOT_TRACE);
    plwidth(0.6);
    plot_minmax_draw(&m, rel0, ch->fs);
    free(m.lo);
    free(m.hi);
    size_t step = n > 4000 ? n / 4000 : 1, k = 0;
    for (size_t i = 0; i < n; i += step) {
        te[k] = rel0 + (double)i / ch->fs;
        env[k++] = env[i];
    }
    plcol0(PLOT_ACCENT);
    plwidth(1.6);
    plline((PLINT)k, te, env);
    plwidth(1);
    plcol0(PLOT_FG);
    plbox("bcnstf", plot_x_tick(0), 0, "bcst", 0, 0); /* f: no "(x10^k)" beside the axis */
    char cap[160];
    caption(cap, sizeof cap, e, ch->name, rel1 - rel0);
    plmtex("t", 0.9, 0.0, 0.0, cap);
    if (x_label)
        plmtex("b", 3.3, 0.5, 0.5, "time from onset (s)");
    free(env);
    free(te);
}

void plot_gallery(const plot_request *r)
{
    emg_recording rec;
    emg_recording_init(&rec);
    plot_load_recording(&rec, r);
    plot_events ev;
    plot_request_events(&ev, r, &rec.header);
    if (ev.n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no events to show (give --events FILE)",
                r->events ? r->events : r->inputs[0]);
    if (rec.header.n_channels == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no channel to plot", r->inputs[0]);
    qsort(ev.ev, ev.n, sizeof *ev.ev, by_onset);
    size_t n = ev.n < r->max_events ? ev.n : r->max_events;
    if (ev.n > n)
        cli_warn(r->events ? r->events : r->inputs[0],
                 "%zu events: the gallery shows the first %zu (--max-events)", ev.n, n);
    size_t cols = n <= 2 ? n : n <= 6 ? 2 : n <= 12 ? 3 : 4;
    size_t rows = (n + cols - 1) / cols;
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    double top = 1 - (r->title ? 3.0 : 0.8) * ht / page_h, bottom = 1.0 * ht / page_h;
    double left = 2.0 * ht / page_w, right = 1 - 1.0 * ht / page_w;
    double cell_w = (right - left) / (double)cols, cell_h = (top - bottom) / (double)rows;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    plschr(0, rows > 3 ? 0.8 : 1.0);
    for (size_t i = 0; i < n; i++) {
        size_t row = i / cols, col = i % cols;
        double x0 = left + cell_w * (double)col, y1 = top - cell_h * (double)row;
        draw_event(&rec, r->in.from > 0 ? r->in.from : 0, &ev.ev[i], x0 + 1.2 * ht / page_w,
                   x0 + cell_w - 2.4 * ht / page_w,
                   y1 - cell_h + 4.4 * ht / page_h, y1 - 2.6 * ht / page_h, row + 1 == rows);
    }
    plot_close();
    plot_events_free(&ev);
    emg_recording_free(&rec);
}
