/* plot_confusion.c: an emg-score --confusion matrix (rows: truth, columns:
 * predicted, the last "none") as a grid of cells shaded by the fraction of
 * the truth row (so that rare classes read as well as common ones), each
 * with its count. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* White to Okabe & Ito's blue. */
static unsigned shade_of(double fraction)
{
    const unsigned from[3] = {0xff, 0xff, 0xff}, to[3] = {0x00, 0x72, 0xb2};
    unsigned rgb = 0;
    for (int k = 0; k < 3; k++)
        rgb = rgb << 8 | (unsigned)lround(from[k] + (to[k] - (double)from[k]) * fraction);
    return rgb;
}

void plot_confusion(const plot_request *r)
{
    if (r->n_inputs != 1)
        cli_usage_error("confusion draws one matrix (%zu given)", r->n_inputs);
    const char *path = r->inputs[0];
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, path, &err) < 0)
        cli_fail(&err);
    size_t k = t.n_rows;
    if (k == 0 || t.n_columns != k + 1)
        cli_die(CLI_EXIT_FORMAT, "%s: not a confusion matrix (%zu rows, %zu columns; emg-score "
                "--confusion writes labels x labels after a label column)", path, k, t.n_columns);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            if (!(emg_table_num(&t, i, (int)j + 1) >= 0))
                cli_die(CLI_EXIT_FORMAT, "%s:%zu: a count is not a number >= 0", path,
                        emg_table_line(&t, i));
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    enum { LABEL_CHARS = 16 };
    size_t longest = 9;
    for (size_t i = 0; i < k; i++) {
        plot_fit_text(t.cells[i * t.n_columns], LABEL_CHARS);
        plot_fit_text(t.columns[i + 1], LABEL_CHARS);
        size_t len = strlen(t.cells[i * t.n_columns]);
        longest = len > longest ? len : longest;
    }
    double label_mm = (2 * ht + (double)longest * PLOT_GLYPH_ADVANCE * ht);
    double top = 1 - (r->title ? 3.2 : 1.5) * ht / page_h, bottom = (label_mm + 3 * ht) / page_h;
    /* Square cells: as wide as they are high. */
    double side_mm = fmax(4 * ht, fmin((top - bottom) * page_h, page_w - label_mm - 4 * ht));
    /* Centred: the labels and the grid side by side in the middle. */
    double left = (page_w - side_mm + label_mm + 2.5 * ht) / 2 / page_w;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    plvpor(left, left + side_mm / page_w, top - side_mm / page_h, top);
    plwind(0, (double)k, 0, (double)k);
    if (side_mm / (double)k < 2.2 * ht)
        plschr(0, side_mm / (double)k / (2.2 * ht));
    for (size_t i = 0; i < k; i++) {
        double row_total = 0;
        for (size_t j = 0; j < k; j++)
            row_total += emg_table_num(&t, i, (int)j + 1);
        for (size_t j = 0; j < k; j++) {
            double v = emg_table_num(&t, i, (int)j + 1), y = (double)(k - 1 - i);
            double frac = row_total > 0 ? v / row_total : 0;
            PLFLT cx[4] = {(double)j, j + 1.0, j + 1.0, (double)j}, cy[4] = {y, y, y + 1, y + 1};
            plot_rgb(shade_of(frac), 1.0);
            plfill(4, cx, cy);
            plcol0(frac > 0.5 ? PLOT_BG : PLOT_FG);
            char num[32];
            snprintf(num, sizeof num, "%.0f", v);
            plptex(j + 0.5, y + 0.5 - 0.3 * plot_text_height(), 1, 0, 0.5, num);
        }
        plcol0(PLOT_FG);
        plot_side_text("l", 0.6, (double)(k - 1 - i) + 0.5, emg_table_cell(&t, i, 0));
        plot_side_text("b", 0.6, i + 0.5, t.columns[i + 1]);
    }
    plcol0(PLOT_FG);
    plbox("bc", 0, 0, "bc", 0, 0);
    plmtex("l", 1.6 + (double)longest * PLOT_GLYPH_ADVANCE, 0.5, 0.5, "truth");
    plmtex("b", (double)longest * PLOT_GLYPH_ADVANCE + 1.8, 0.5, 0.5, "predicted");
    plot_close();
    emg_table_free(&t);
}
