/* plot.h: emg-plot's figures, drawn with PLplot (docs/plotting.md says why
 * PLplot and not cairo by hand).  One figure per process: PLplot keeps its
 * state in a global stream.
 *
 *   plot_canvas.c   the output (device from the extension, written to a
 *                   temporary file and renamed), sizes, colours, text width
 *   plot_palette.c  the one palette of the spasm vocabulary
 *   plot_events.c   events from a table or the recording's annotations
 *   plot_signal.c   stacked channels, min/max decimated, events shaded
 *   plot_spectrogram.c, plot_trend.c, plot_gallery.c
 *   plot_forest.c, plot_counts.c  cohorts: from tables, or from memory
 *                   (emg-report's batch page) through the same drawing
 *
 * Only emg-plot and emg-report include this; the library never draws. */
#ifndef EMGKIT_PLOT_H
#define EMGKIT_PLOT_H

#include <stddef.h>
#include "cli.h"

/* ---- canvas (plot_canvas.c) ------------------------------------------- */
/* A figure's size: width and height in pixels at dpi (PNG); SVG and PDF
 * take the same size in points at 72 per inch of the pixel size. */
typedef struct plot_size {
    double width, height, dpi;
    double text_mm;  /* character height */
} plot_size;
/* "screen" (1280x720 at 96 dpi), "column" (a paper column: 3.5 x 2.6 in at
 * 300 dpi), "page" (7 x 4.5 in at 300 dpi) or "WxH" pixels at 96 dpi;
 * usage error naming --size otherwise. */
plot_size plot_parse_size(const char *value);
/* Open the figure at path (.png, .svg or .pdf; usage error otherwise), with
 * white background and the palette's colours set.  The file is written
 * under a temporary name and renamed by plot_close(). */
void plot_open(const char *path, const plot_size *size);
/* Whether the figure for path is drawn as vectors (SVG, PDF, or captured). */
int plot_vector_output(const char *path);
/* Finish the figure and move it into place (exit 4 on failure). */
void plot_close(void);
/* The next figure is SVG written into memory instead of a file (emg-report
 * inlines it): plot_close() sets *svg (malloc'd, NUL-terminated, the
 * caller's) and *len; the path of plot_open() only names it in messages. */
void plot_capture_svg(char **svg, size_t *len);

/* Colours of cmap0 set by plot_open. */
enum { PLOT_BG = 0, PLOT_FG = 1, PLOT_GRID = 2, PLOT_TRACE = 3, PLOT_ACCENT = 4,
       PLOT_BAND = 5, PLOT_SECOND = 6, PLOT_SCRATCH = 15 };
/* The page and the character height in millimetres (after plot_open). */
void plot_page_mm(double *width, double *height, double *text);
/* Select colour rgb (0xRRGGBB) with opacity alpha (0-1) for what follows. */
void plot_rgb(unsigned rgb, double alpha);
/* Average advance of a glyph in units of PLplot's character height: its
 * drivers set the font size to 1.3 character heights, and DejaVu Sans
 * letters and digits advance 0.55-0.65 em; a little generous, so that text
 * estimated apart is apart. */
#define PLOT_GLYPH_ADVANCE 0.82
/* Round markers of radius_mm at (x[i], y[i]) in the current colour, filled
 * or as rings: polygons, not glyphs, so they are not text in an SVG. */
void plot_dots(const double *x, const double *y, size_t n, double radius_mm, int filled);
/* Text beside the viewport (not clipped, as plptex inside it is): side "l",
 * "r" (horizontal text right- or left-justified against the frame, disp
 * character heights away) or "b" (text written downwards), at world
 * coordinate `at` along that side. */
void plot_side_text(const char *side, double disp, double at, const char *text);
/* Cut the middle of text out (replaced by "...") until it is at most
 * max_chars characters: long file and channel names keep their start and
 * end.  Returns text. */
char *plot_fit_text(char *text, size_t max_chars);
/* The spacing of labelled ticks on the x axis of the current viewport:
 * 1, 2 or 5 times a power of ten, as many as fit with room between their
 * labels (PLplot's own choice ignores how wide the labels are), at least
 * `least` (1 for counts). */
double plot_x_tick(double least);
/* The same for the y axis, for about n labels. */
double plot_y_tick(size_t n);
/* Width of text at the current character height, in world units along x. */
double plot_text_width(const char *text);
/* Height of one line of text in world units along y. */
double plot_text_height(void);
/* Axis label strings with units: "amplitude (mV)", or the name alone when
 * the unit is empty. */
void plot_axis_label(char *out, size_t n, const char *name, const char *unit);

/* ---- palette (plot_palette.c) ----------------------------------------- */
/* The colour of a label of the spasm vocabulary (docs/plotting.md); labels
 * outside it get the neutral grey. */
unsigned plot_label_colour(const char *label);
/* A colour for the k-th series of a plot (channels, features). */
unsigned plot_series_colour(size_t k);

/* ---- min/max decimation (plot_minmax.c) ------------------------------ */
typedef struct plot_minmax {
    size_t per_bucket;   /* B: samples per bucket */
    size_t n, cap;       /* finished buckets */
    double *lo, *hi;     /* NaN: the bucket held only missing samples */
    size_t fill;         /* samples in the open bucket */
    double cur_lo, cur_hi;
    long long samples;
} plot_minmax;
/* Room for max_buckets (even) buckets; expected samples (or <= 0 when not
 * known) sets the first bucket size. */
void plot_minmax_init(plot_minmax *m, size_t max_buckets, int64_t expected);
void plot_minmax_add(plot_minmax *m, const double *x, size_t n);
/* Close the last, partly filled bucket. */
void plot_minmax_finish(plot_minmax *m);
/* Draw the strokes in the current window, sample 0 at time t0, rate fs. */
void plot_minmax_draw(const plot_minmax *m, double t0, double fs);

/* ---- events (plot_events.c) ------------------------------------------- */
typedef struct plot_event {
    double onset, duration;  /* s */
    char channel[64];        /* "" = every channel */
    char label[32];
    double confidence;       /* NaN when the table has none */
    char rule[32];
} plot_event;
typedef struct plot_events {
    size_t n;
    plot_event *ev;
} plot_events;
/* Events of the table at path (onset, duration, optional channel, label or
 * trial_type, confidence, rule columns; only recording's rows when it has a
 * file column), or with path NULL the recording's annotations.  Exits with
 * the error on a bad table. */
void plot_events_load(plot_events *out, const char *path, const char *recording,
                      const emg_header *h);
void plot_events_free(plot_events *e);
/* Whether event e belongs on channel c (named name, 1-based index c+1). */
int plot_event_on_channel(const plot_event *e, const char *name, size_t c);

/* ---- recordings in memory (plot_load.c) ------------------------------ */
struct plot_request;
/* The request's one recording, whole (-c, -f/-t applied), filtered by the
 * surface-EMG chain when --filter was given. */
void plot_load_recording(emg_recording *rec, const struct plot_request *r);

/* ---- window features and trends (plot_windows.c) --------------------- */
/* One channel's windows: centre time, the features' values, flags. */
typedef struct plot_series {
    size_t n, cap;
    double *t, *v;      /* s; n x n_ids values */
    unsigned *flags;    /* EMG_WINDOW_* */
} plot_series;
typedef struct plot_windows {
    size_t n_channels;
    emg_channel *channels; /* names, units, rates (EMG channels only, as emg-fatigue) */
    plot_series *ch;
    size_t *ids, n_ids;    /* the features (--features) */
} plot_windows;
/* The request's recording through emg-fatigue's window engine. */
void plot_windows_collect(plot_windows *w, const struct plot_request *r);
void plot_windows_free(plot_windows *w);
/* The active windows' times and values of feature f into t, y (s->n each). */
size_t plot_series_active(const plot_series *s, size_t f, size_t n_ids, double *t, double *y);
/* emg-fatigue's fit (OLS, n_eff inference, first/last 10 %) of feature f over
 * the active windows; t, y scratch of s->n.  Returns the points used (fewer
 * than 3: the trend is NaN). */
struct emg_trend;
size_t plot_series_fit(const plot_series *s, size_t f, size_t n_ids, double confidence,
                       struct emg_trend *tr, double *t, double *y);

/* The events of a signal or gallery figure: r's given ones (copied), its
 * --events table, or (with h) the recording's annotations. */
void plot_request_events(plot_events *out, const struct plot_request *r, const emg_header *h);

/* ---- plot kinds ------------------------------------------------------- */
/* What every kind reads from the command line. */
typedef struct plot_request {
    /* see emg-plot --help */
    const char *kind;
    const char *const *inputs;
    size_t n_inputs;
    const char *output;
    plot_size size;
    cli_input in;
    cli_analysis a;          /* --filter, Welch, windows (spectrogram, trend) */
    const char *events;      /* --events FILE */
    const plot_events *given_events; /* instead of reading events (emg-report), or NULL */
    const char *title;       /* --title */
    const char *feature;     /* --feature for trend and forest (mdf, mnf...) */
    double max_freq;         /* --max-freq, spectrogram */
    double confidence;       /* --confidence of bands and intervals (0.95) */
    size_t max_events;       /* --max-events, gallery */
    int per_contraction;     /* --per-contraction, trend */
} plot_request;

void plot_signal(const plot_request *r);
void plot_spectrogram(const plot_request *r);
void plot_trend(const plot_request *r);
void plot_gallery(const plot_request *r);
void plot_forest(const plot_request *r);
void plot_counts(const plot_request *r);
void plot_confusion(const plot_request *r);

/* ---- cohorts from memory (emg-report's batch page) -------------------- */
/* One slope of a forest plot: a recording's (channel's, contraction's)
 * slope per minute, its interval at r->confidence and standard error. */
typedef struct plot_study {
    char name[128];
    double slope, lo, hi, se;
} plot_study;
/* The forest of n >= 1 slopes of feature, and for n >= 2 their
 * DerSimonian-Laird pooled estimate, also set in *pooled (when not NULL;
 * returns 1 when there is one); names are shortened to fit. */
struct emg_random_effects;
int plot_forest_draw(const plot_request *r, plot_study *s, size_t n, const char *feature,
                     struct emg_random_effects *pooled);

enum { PLOT_MAX_SERIES = 6 };
/* Events of one label in up to PLOT_MAX_SERIES series (tables, recordings). */
typedef struct plot_label_count {
    char label[32];
    size_t n[PLOT_MAX_SERIES];
    size_t total;
} plot_label_count;
/* Count `events` more events of label in series k (a new label appended). */
void plot_label_count_add(plot_label_count **c, size_t *n, size_t *cap, const char *label,
                          size_t series, size_t events);
/* The bars of n >= 1 labels (c sorted here, most frequent first) in
 * n_series series named by series[] (file names: their directory is
 * dropped; a legend when more than one), and "events (N in M <what>s)"
 * under the axis, M = sources (the tables or recordings counted). */
void plot_counts_draw(const plot_request *r, const char *const *series, size_t n_series,
                      size_t sources, const char *what, plot_label_count *c, size_t n);

#endif
