/* plot_forest.c: a forest plot of fatigue slopes: each recording's
 * (channel's, contraction's) slope per minute of one feature (--features,
 * mdf by default) with its confidence interval, and the pooled estimate of
 * DerSimonian & Laird's random-effects model (emg_random_effects_dl, as
 * docs/methods/fatigue.md pools a cohort) as a diamond.  The slopes come from
 * emg-fatigue tables (plot_forest) or from memory (plot_forest_draw: the
 * batch page of emg-report).  From a table, each slope's
 * standard error is recovered from its interval: half its width over the
 * Student-t quantile at the table's n_eff - 2 degrees of freedom (n_windows - 2
 * for iid inference) at --confidence, which must be the level the tables
 * were made with (emg-fatigue's default 0.95). */
#include <math.h>
#include <plplot/plplot.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "plot.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static double cell_num(const emg_table *t, size_t row, const char *column)
{
    int c = emg_table_column(t, column);
    return c >= 0 ? emg_table_num(t, row, c) : NAN;
}

static const char *cell_str(const emg_table *t, size_t row, const char *column)
{
    int c = emg_table_column(t, column);
    return c >= 0 ? emg_table_cell(t, row, c) : "";
}

/* The rows of one table for the feature with a fitted slope. */
static void read_studies(const char *path, const char *feature, double confidence, plot_study **s,
                         size_t *n, size_t *cap)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, path, &err) < 0)
        cli_fail(&err);
    if (emg_table_column(&t, "slope_per_min") < 0 || emg_table_column(&t, "feature") < 0)
        cli_die(CLI_EXIT_FORMAT, "%s: not an emg-fatigue table (no feature and slope_per_min "
                "columns)", path);
    for (size_t r = 0; r < t.n_rows; r++) {
        if (strcmp(cell_str(&t, r, "feature"), feature))
            continue;
        double slope = cell_num(&t, r, "slope_per_min"), lo = cell_num(&t, r, "ci_low") * 60;
        double hi = cell_num(&t, r, "ci_high") * 60, neff = cell_num(&t, r, "n_eff");
        if (!strcmp(cell_str(&t, r, "inference"), "iid"))
            neff = cell_num(&t, r, "n_windows");
        if (!isfinite(slope) || !isfinite(lo) || !isfinite(hi) || !(neff > 2))
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *s = realloc(*s, *cap * sizeof **s);
            if (!*s)
                cli_die(CLI_EXIT_INTERNAL, "out of memory");
        }
        plot_study *x = &(*s)[(*n)++];
        const char *contraction = cell_str(&t, r, "contraction");
        snprintf(x->name, sizeof x->name, "%s %s%s%s", base_name(cell_str(&t, r, "file")),
                 cell_str(&t, r, "channel"), strcmp(contraction, "all") && *contraction ? " #" : "",
                 strcmp(contraction, "all") ? contraction : "");
        x->slope = slope;
        x->lo = lo;
        x->hi = hi;
        double q = emg_student_t_quantile(1 - (1 - confidence) / 2, neff - 2);
        x->se = (hi - lo) / (2 * q);
    }
    emg_table_free(&t);
}

static void draw_row(double y, double est, double lo, double hi, const char *name, int pooled)
{
    char text[96];
    plcol0(pooled ? PLOT_ACCENT : PLOT_FG);
    if (pooled) {
        PLFLT dx[4] = {lo, est, hi, est}, dy[4] = {y, y + 0.25, y, y - 0.25};
        plfill(4, dx, dy);
    } else {
        PLFLT lx[2] = {lo, hi}, ly[2] = {y, y};
        plline(2, lx, ly);
        plot_dots(&est, &y, 1, 0.8, 1);
    }
    plcol0(PLOT_FG);
    plot_side_text("l", 0.8, y, name);
    snprintf(text, sizeof text, "%.3g [%.3g, %.3g]", est, lo, hi);
    plot_side_text("r", 0.8, y, text);
}

int plot_forest_draw(const plot_request *r, plot_study *s, size_t n, const char *feature,
                     emg_random_effects *pooled_out)
{
    emg_random_effects re = {0};
    double *y = malloc((n ? n : 1) * sizeof *y), *se = malloc((n ? n : 1) * sizeof *se);
    if (!y || !se)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        y[i] = s[i].slope;
        se[i] = s[i].se;
    }
    emg_error err;
    int pooled = n >= 2 && emg_random_effects_dl(&re, y, se, n, r->confidence, &err) == 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, s[i].lo);
        hi = fmax(hi, s[i].hi);
    }
    double span = hi - lo > 0 ? hi - lo : 1;
    lo -= 0.05 * span;
    hi += 0.05 * span;
    plot_open(r->output, &r->size);
    double page_w, page_h, ht;
    plot_page_mm(&page_w, &page_h, &ht);
    /* The values' column as wide as its longest entry; the names in what
     * is left beside at least 45 % of the width for the intervals. */
    double glyph = PLOT_GLYPH_ADVANCE * ht;
    size_t longest_value = 0;
    for (size_t i = 0; i <= n; i++) {
        char text[96];
        size_t len = i < n ? (size_t)snprintf(text, sizeof text, "%.3g [%.3g, %.3g]", s[i].slope,
                                              s[i].lo, s[i].hi)
                           : (size_t)snprintf(text, sizeof text, "%.3g [%.3g, %.3g]", re.estimate,
                                              re.ci_low, re.ci_high);
        longest_value = len > longest_value ? len : longest_value;
    }
    double right_mm = 1.5 * ht + (double)longest_value * glyph;
    size_t fits = (size_t)(fmax(0.15 * page_w, 0.55 * page_w - right_mm - 2 * ht) / glyph);
    size_t longest = 16; /* "pooled (I2 100%)" */
    for (size_t i = 0; i < n; i++) {
        plot_fit_text(s[i].name, fits);
        longest = strlen(s[i].name) > longest ? strlen(s[i].name) : longest;
    }
    double left = (2 * ht + (double)longest * glyph) / page_w, right = 1 - right_mm / page_w;
    double top = 1 - (r->title ? 3.2 : 1.5) * ht / page_h, bottom = 4.2 * ht / page_h;
    if (r->title) {
        plvpor(0, 1, 0, 1);
        plmtex("t", -1.6, 0.5, 0.5, r->title);
    }
    double rows = (double)n + (pooled ? 2 : 0);
    plvpor(left, right, bottom, top);
    plwind(lo, hi, 0.3, rows + 0.7);
    if (rows > (top - bottom) * page_h / (1.3 * ht))
        plschr(0, (top - bottom) * page_h / (1.3 * ht) / rows);
    plcol0(PLOT_GRID);
    PLFLT zx[2] = {0, 0}, zy[2] = {0.3, rows + 0.7};
    pllsty(2);
    plline(2, zx, zy);
    pllsty(1);
    for (size_t i = 0; i < n; i++)
        draw_row(rows - (double)i, s[i].slope, s[i].lo, s[i].hi, s[i].name, 0);
    if (pooled) {
        char name[64];
        snprintf(name, sizeof name, "pooled (I#u2#d %.0f%%)", re.i2 * 100);
        draw_row(1, re.estimate, re.ci_low, re.ci_high, name, 1);
    }
    plcol0(PLOT_FG);
    plbox("bnst", plot_x_tick(0), 0, "", 0, 0);
    char label[96];
    int hz = !strcmp(feature, "mdf") || !strcmp(feature, "mnf");
    snprintf(label, sizeof label, "%s slope (%s/min), %.0f%% CI", feature, hz ? "Hz" : "unit",
             r->confidence * 100);
    plmtex("b", 2.8, 0.5, 0.5, label);
    plot_close();
    free(y);
    free(se);
    if (pooled_out)
        *pooled_out = re;
    return pooled;
}

void plot_forest(const plot_request *r)
{
    plot_study *s = NULL;
    size_t n = 0, cap = 0;
    const char *feature = r->a.feature_list;
    if (strchr(feature, ','))
        cli_usage_error("--features: forest pools one feature ('%s' names several)", feature);
    for (size_t i = 0; i < r->n_inputs; i++)
        read_studies(r->inputs[i], feature, r->confidence, &s, &n, &cap);
    if (n == 0)
        cli_die(CLI_EXIT_FORMAT, "%s: no fitted %s slope in the table%s", r->inputs[0], feature,
                r->n_inputs > 1 ? "s" : "");
    plot_forest_draw(r, s, n, feature, NULL);
    free(s);
}
