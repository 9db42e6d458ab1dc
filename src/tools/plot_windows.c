/* plot_windows.c: the window features of a recording and their trends,
 * computed as emg-fatigue computes them (the same filter stage, windows,
 * activity flags and noise floor through cli_run_window_engine; OLS with
 * the n_eff inference), for the trend figure and the report's fatigue
 * table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/fatigue.h"
#include "emgkit/features.h"
#include "plot.h"

typedef struct collect_ctx {
    plot_series *ch;
    size_t n_ids;
} collect_ctx;

static int collect(void *ctx, const emg_window_result *w)
{
    collect_ctx *cc = ctx;
    plot_series *s = &cc->ch[w->channel];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->t = realloc(s->t, s->cap * sizeof *s->t);
        s->v = realloc(s->v, s->cap * cc->n_ids * sizeof *s->v);
        s->flags = realloc(s->flags, s->cap * sizeof *s->flags);
        if (!s->t || !s->v || !s->flags)
            return EMG_ERR_NOMEM;
    }
    s->t[s->n] = w->onset + w->duration / 2;
    memcpy(s->v + s->n * cc->n_ids, w->values, cc->n_ids * sizeof *w->values);
    s->flags[s->n++] = w->flags;
    return 0;
}

void plot_windows_collect(plot_windows *w, const plot_request *r)
{
    const char *path = r->inputs[0];
    emg_error err;
    memset(w, 0, sizeof *w);
    if (emg_feature_list_parse(r->a.feature_list, &w->ids, &w->n_ids, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    emg_reader *rd = cli_open_input(path, &r->in);
    cli_keep_emg_channels(rd, path, &r->in);
    const emg_header *h = emg_reader_header(rd);
    w->n_channels = h->n_channels;
    w->ch = calloc(h->n_channels ? h->n_channels : 1, sizeof *w->ch);
    w->channels = calloc(h->n_channels ? h->n_channels : 1, sizeof *w->channels);
    if (!w->ch || !w->channels)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < h->n_channels; c++)
        w->channels[c] = h->channels[c];
    collect_ctx cc = {w->ch, w->n_ids};
    emg_window_engine *eng = cli_run_window_engine(path, rd, &r->a, w->ids, w->n_ids, collect, &cc,
                                                   NULL);
    emg_window_engine_destroy(eng);
    emg_reader_close(rd);
}

size_t plot_series_active(const plot_series *s, size_t f, size_t n_ids, double *t, double *y)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!(s->flags[i] & EMG_WINDOW_UNUSABLE) && isfinite(s->v[i * n_ids + f])) {
            t[m] = s->t[i];
            y[m++] = s->v[i * n_ids + f];
        }
    return m;
}

size_t plot_series_fit(const plot_series *s, size_t f, size_t n_ids, double confidence,
                       emg_trend *tr, double *t, double *y)
{
    size_t m = plot_series_active(s, f, n_ids, t, y);
    emg_error err; /* fewer than 3 points: every statistic NaN (EMG_ERR_ARG) */
    if (emg_trend_fit(tr, t, y, m, EMG_REGRESSION_OLS, EMG_INFERENCE_NEFF, confidence, 0.1,
                      &err) < 0 && err.status != EMG_ERR_ARG)
        cli_fail(&err);
    return m;
}

void plot_windows_free(plot_windows *w)
{
    for (size_t c = 0; c < w->n_channels; c++) {
        free(w->ch[c].t);
        free(w->ch[c].v);
        free(w->ch[c].flags);
    }
    free(w->ch);
    free(w->channels);
    free(w->ids);
    memset(w, 0, sizeof *w);
}
