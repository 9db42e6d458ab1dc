/* plot_counts.c: how many events of each label the event tables hold
 * (emg-label, emg-detect, emg-synth ground truth): one group of horizontal
 * bars per label in the palette's colour, most frequent first, one bar per
 * table (the first solid, the others lighter, named in a legend; e.g. the
 * truth beside the labeller's), each with its count at the end.  The counts
 * come from event tables (plot_counts) or from memory (plot_counts_draw:
 * the batch page of emg-report, one bar per recording). */
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

static int by_count(const void *a, const void *b)
{
    const plot_label_count *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->label, y->label);
}

void plot_label_count_add(plot_label_count **c, size_t *n, size_t *cap, const char *label,
                          size_t series, size_t events)
{
    size_t i = 0; /* labels are kept to their first 31 bytes */
    while (i < *n && strncmp((*c)[i].label, label, sizeof (*c)[i].label - 1))
        i++;
    if (i == *n) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *c = realloc(*c, *cap * sizeof **c);
            if (!*c)
                cli_die(CLI_EXIT_INTERNAL, "out of memory");
        }
        memset(&(*c)[i], 0, sizeof **c);
        snprintf((*c)[i].label, sizeof (*c)[i].label, "%s", label);
        (*n)++;
    }
    (*c)[i].n[series] += events;
    (*c)[i].total += events;
}

/* Opacity of table k's bars: the first solid, the last at 0.35. */
static double table_alpha(size_t k, size_t tables)
{
    return tables > 1 ? 1.0 - 0.65 * (double)k / (double)(tables - 1) : 1.0;
}

static void table_legend(const char *const *inputs, size_t tables, double text_scale)
{
    PLINT opt[PLOT_MAX_SERIES], tcol[PLOT_MAX_SERIES], bcol[PLOT_MAX_SERIES], bsty[PLOT_MAX_SERIES];
    PLINT lcol[PLOT_MAX_SERIES], lsty[PLOT_MAX_SERIES], scol[PLOT_MAX_SERIES], snum[PLOT_MAX_SERIES];
    PLFLT bscale[PLOT_MAX_SERIES], lwid[PLOT_MAX_SERIES], bwid[PLOT_MAX_SERIES], sscale[PLOT_MAX_SERIES];
    const char *sym[PLOT_MAX_SERIES], *names[PLOT_MAX_SERIES];
    char fitted[PLOT_MAX_SERIES][48];
    for (size_t k = 0; k < tables; k++) {
        const char *slash = strrchr(inputs[k], '/');
        snprintf(fitted[k], sizeof fitted[k], "%s", slash ? slash + 1 : inputs[k]);
        names[k] = plot_fit_text(fitted[k], 30);
        opt[k] = PL_LEGEND_COLOR_BOX;
        tcol[k] = PLOT_FG;
        bcol[k] = (PLINT)(7 + k); /* cmap0 7-12: the tables' greys */
        plscol0a(bcol[k], 0x55, 0x55, 0x55, table_alpha(k, tables));
        bsty[k] = 0;
        bscale[k] = 0.8;
        bwid[k] = 0;
        lcol[k] = lsty[k] = scol[k] = snum[k] = 1;
        lwid[k] = sscale[k] = 1;
        sym[k] = "";
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_RIGHT | PL_POSITION_BOTTOM | PL_POSITION_INSIDE, 0.02, 0.02, 0.04,
             PLOT_BG, PLOT_GRID, 1, (PLINT)tables, 1, (PLINT)tables, opt, 0.6, text_scale, 1.5,
             0, tcol, names, bcol, bsty, bscale, bwid, lcol, lsty, lwid, scol, sscale, snum, sym);
}

void plot_counts_draw(const plot_request *r, const char *const *series, size_t tables,
                      size_t sources, const char *what, plot_label_count *counts, size_t n)
{
    size_t events = 0;
    for (size_t i = 0; i < n; i++)
        events += counts[i].total;
    qsort(counts, n, sizeof *counts, by_count);
    /* The labels are shortened to fit their margin in a copy: the caller's
     * stay whole. */
    plot_label_count *c = malloc(n * sizeof *c);
    if (!c)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    memcpy(c, counts, n * sizeof *c);
    size_t most = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < tables; k++)
            most = c[i].n[k] > most ? c[i].n[k] : most;
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    size_t fits = (size_t)((0.3 * page_w - 2 * ht) / (PLOT_GLYPH_ADVANCE * ht)), longest = 4;
    for (size_t i = 0; i < n; i++) {
        plot_fit_text(c[i].label, fits);
        longest = strlen(c[i].label) > longest ? strlen(c[i].label) : longest;
    }
    double left = (2 * ht + (double)longest * PLOT_GLYPH_ADVANCE * ht) / page_w;
    double top = 1 - (r->title ? 3.2 : 1.5) * ht / page_h, bottom = 4.2 * ht / page_h;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    plvpor(left, 1 - 3 * ht / page_w, bottom, top);
    /* Room on the right for the counts and the legend. */
    plwind(0, (double)most * 1.45, 0.4, (double)n + 0.6);
    double bar = 0.8 / (double)tables, rows = (double)(n * tables);
    double scale = rows > (top - bottom) * page_h / (1.3 * ht)
                       ? (top - bottom) * page_h / (1.3 * ht) / rows : 1.0;
    plschr(0, scale);
    for (size_t i = 0; i < n; i++) {
        double centre = (double)(n - i);
        for (size_t k = 0; k < tables; k++) {
            double y = centre + 0.4 - bar * ((double)k + 0.5), v = (double)c[i].n[k];
            PLFLT bx[4] = {0, v, v, 0};
            PLFLT by[4] = {y - 0.45 * bar, y - 0.45 * bar, y + 0.45 * bar, y + 0.45 * bar};
            plot_rgb(plot_label_colour(c[i].label), table_alpha(k, tables));
            if (v > 0)
                plfill(4, bx, by);
            plcol0(PLOT_FG);
            char num[32];
            snprintf(num, sizeof num, "%zu", c[i].n[k]);
            plptex(v + (double)most * 0.01, y - 0.3 * plot_text_height(), 1, 0, 0.0, num);
        }
        plot_side_text("l", 0.6, centre, c[i].label);
    }
    if (tables > 1)
        table_legend(series, tables, 0.85 * scale);
    plschr(0, 1.0);
    plcol0(PLOT_FG);
    plbox("bnst", plot_x_tick(1), 0, "b", 0, 0);
    char label[64];
    snprintf(label, sizeof label, "events (%zu in %zu %s%s)", events, sources, what,
             sources > 1 ? "s" : "");
    plmtex("b", 2.8, 0.5, 0.5, label);
    plot_close();
    free(c);
}

void plot_counts(const plot_request *r)
{
    if (r->n_inputs > PLOT_MAX_SERIES)
        cli_usage_error("counts compares at most %d tables (%zu given)", PLOT_MAX_SERIES,
                        r->n_inputs);
    plot_label_count *c = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < r->n_inputs; i++) {
        plot_events ev;
        plot_events_load(&ev, r->inputs[i], NULL, NULL);
        for (size_t k = 0; k < ev.n; k++)
            plot_label_count_add(&c, &n, &cap, ev.ev[k].label[0] ? ev.ev[k].label : "n/a", i, 1);
        plot_events_free(&ev);
    }
    if (n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no events", r->inputs[0]);
    plot_counts_draw(r, r->inputs, r->n_inputs, r->n_inputs, "table", c, n);
    free(c);
}
