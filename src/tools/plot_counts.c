/* plot_counts.c: how many events of each label the event tables hold
 * (emg-label, emg-detect, emg-synth ground truth), pooled over the inputs:
 * one horizontal bar per label in the palette's colour, most frequent
 * first, with its count at the end. */
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

typedef struct label_count {
    char label[32];
    size_t n;
} label_count;

static int by_count(const void *a, const void *b)
{
    const label_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->label, y->label);
}

static void count(label_count **c, size_t *n, size_t *cap, const char *label)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*c)[i].label, label)) {
            (*c)[i].n++;
            return;
        }
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *c = realloc(*c, *cap * sizeof **c);
        if (!*c)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
    }
    snprintf((*c)[*n].label, sizeof (*c)[*n].label, "%s", label);
    (*c)[(*n)++].n = 1;
}

void plot_counts(const plot_request *r)
{
    label_count *c = NULL;
    size_t n = 0, cap = 0, events = 0;
    for (size_t i = 0; i < r->n_inputs; i++) {
        plot_events ev;
        plot_events_load(&ev, r->inputs[i], NULL, NULL);
        for (size_t k = 0; k < ev.n; k++)
            count(&c, &n, &cap, ev.ev[k].label[0] ? ev.ev[k].label : "n/a");
        events += ev.n;
        plot_events_free(&ev);
    }
    if (n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no events", r->inputs[0]);
    qsort(c, n, sizeof *c, by_count);
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    size_t fits = (size_t)((0.3 * page_w - 2 * ht) / (PLOT_GLYPH_ADVANCE * ht)), longest = 4;
    for (size_t i = 0; i < n; i++)
        plot_fit_text(c[i].label, fits);
    for (size_t i = 0; i < n; i++)
        longest = strlen(c[i].label) > longest ? strlen(c[i].label) : longest;
    double left = (2 * ht + (double)longest * PLOT_GLYPH_ADVANCE * ht) / page_w;
    double top = 1 - (r->title ? 3.2 : 1.5) * ht / page_h, bottom = 4.2 * ht / page_h;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    plvpor(left, 1 - 3 * ht / page_w, bottom, top);
    double most = (double)c[0].n;
    plwind(0, most * 1.15, 0.4, (double)n + 0.6);
    if ((double)n > (top - bottom) * page_h / (1.3 * ht))
        plschr(0, (top - bottom) * page_h / (1.3 * ht) / (double)n);
    for (size_t i = 0; i < n; i++) {
        double y = (double)(n - i), v = (double)c[i].n;
        PLFLT bx[4] = {0, v, v, 0}, by[4] = {y - 0.35, y - 0.35, y + 0.35, y + 0.35};
        plot_rgb(plot_label_colour(c[i].label), 1.0);
        plfill(4, bx, by);
        plcol0(PLOT_FG);
        char num[32];
        snprintf(num, sizeof num, "%zu", c[i].n);
        plptex(v + most * 0.01, y - 0.3 * plot_text_height(), 1, 0, 0.0, num);
        plot_side_text("l", 0.6, y, c[i].label);
    }
    plcol0(PLOT_FG);
    plbox("bnst", plot_x_tick(1), 0, "b", 0, 0);
    char label[64];
    snprintf(label, sizeof label, "events (%zu in %zu table%s)", events, r->n_inputs,
             r->n_inputs > 1 ? "s" : "");
    plmtex("b", 2.8, 0.5, 0.5, label);
    plot_close();
    free(c);
}
