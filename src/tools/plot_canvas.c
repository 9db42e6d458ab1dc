/* plot_canvas.c: the figure's output file, size and colours on PLplot.
 *
 * Devices: PNG through pngcairo (antialiased), PDF through pdfcairo, SVG
 * through PLplot's own svg driver, which writes text as <text> elements
 * (searchable, and checked for overlap by the tests) and no timestamp or
 * random id, so the same input gives the same bytes. */
#include <errno.h>
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* The output while the figure is drawn: PLplot writes tmp, plot_close()
 * renames it to path. */
static char output_tmp[4096];
static const char *output_path;
/* plot_capture_svg(): the figure goes to memory. */
static char **capture_svg;
static size_t *capture_len;
static FILE *capture_file;

void plot_capture_svg(char **svg, size_t *len)
{
    capture_svg = svg;
    capture_len = len;
}


static const struct {
    const char *name;
    plot_size size;
} NAMED_SIZES[] = {
    /* Text: 3 mm on a screen (12 px at 96 dpi); 1.9 mm (an 8 pt font's
     * capitals) in a paper column, 2.1 mm on a page. */
    {"screen", {1280, 720, 96, 3.0}},
    {"column", {1050, 780, 300, 1.9}}, /* 3.5 x 2.6 in */
    {"page", {2100, 1350, 300, 2.1}},  /* 7 x 4.5 in */
};

plot_size plot_parse_size(const char *value)
{
    for (size_t i = 0; i < sizeof NAMED_SIZES / sizeof *NAMED_SIZES; i++)
        if (!strcmp(value, NAMED_SIZES[i].name))
            return NAMED_SIZES[i].size;
    char *end;
    double w = strtod(value, &end), h = 0;
    if (end != value && *end == 'x')
        h = strtod(end + 1, &end);
    if (*end || !(w >= 400 && w <= 20000 && h >= 300 && h <= 20000))
        cli_usage_error("--size: '%s' is not screen, column, page or WxH pixels "
                        "(400x300 to 20000x20000)", value);
    /* The screen's 3 mm text, smaller on a smaller image, 2 mm at least. */
    return (plot_size){w, h, 96, fmax(2.0, 3.0 * fmin(1, sqrt(fmin(w / 1280, h / 720))))};
}

static int on_plplot_error(const char *message)
{
    cli_die(CLI_EXIT_OUTPUT, "%s: %s", output_path, message);
}

static const char *device_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".png"))
        return "pngcairo";
    if (dot && !strcasecmp(dot, ".svg"))
        return "svg";
    if (dot && !strcasecmp(dot, ".pdf"))
        return "pdfcairo";
    cli_usage_error("-o %s: the name must end in .png, .svg or .pdf", path);
}

int plot_vector_output(const char *path)
{
    return capture_svg || strcmp(device_for(path), "pngcairo") != 0;
}

void plot_open(const char *path, const plot_size *size)
{
    const char *device = capture_svg ? "svg" : device_for(path);
    emg_error err;
    output_path = path;
    plsexit(on_plplot_error);
    plsdev(device);
    if (capture_svg) {
        /* PLplot closes the stream at plend(), which sets the buffer. */
        if (!(capture_file = open_memstream(capture_svg, capture_len)))
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
        plsfile(capture_file);
    } else {
        cli_refuse_output_over_input(path, EMG_FORMAT_TSV); /* not a recording: no WFDB siblings */
        if (emg_temp_path(output_tmp, sizeof output_tmp, path, &err) < 0)
            cli_fail(&err);
        FILE *probe = fopen(output_tmp, "wb"); /* PLplot's own message would not name it */
        if (!probe)
            cli_die(CLI_EXIT_OUTPUT, "%s: %s", path, strerror(errno));
        fclose(probe);
        plsfnam(output_tmp);
    }
    int vector = strcmp(device, "pngcairo") != 0;
    double scale = vector ? 72.0 / size->dpi : 1.0;
    plspage(vector ? 72 : size->dpi, vector ? 72 : size->dpi, (PLINT)(size->width * scale + 0.5),
            (PLINT)(size->height * scale + 0.5), 0, 0);
    plscolbg(255, 255, 255);
    plscmap0n(16);
    plinit();
    plscol0a(PLOT_BG, 255, 255, 255, 1.0);
    plscol0a(PLOT_FG, 0, 0, 0, 1.0);
    plscol0a(PLOT_GRID, 0xbb, 0xbb, 0xbb, 1.0);
    plscol0a(PLOT_TRACE, 0x1f, 0x3b, 0x73, 1.0);
    plscol0a(PLOT_ACCENT, 0xd5, 0x5e, 0x00, 1.0);
    plscol0a(PLOT_BAND, 0xd5, 0x5e, 0x00, 0.25);
    plscol0a(PLOT_SECOND, 0x00, 0x72, 0xb2, 1.0);
    plschr(size->text_mm, 1.0);
    plcol0(PLOT_FG);
}

void plot_page_mm(double *width, double *height, double *text)
{
    PLFLT x0, x1, y0, y1, def, ht;
    pladv(0);
    plgspa(&x0, &x1, &y0, &y1);
    plgchr(&def, &ht);
    *width = x1 - x0;
    *height = y1 - y0;
    *text = ht;
}

void plot_close(void)
{
    emg_error err;
    plend();
    if (capture_svg) { /* the stream was closed by plend() */
        capture_svg = NULL;
        capture_file = NULL;
        return;
    }
    if (emg_temp_commit(output_tmp, output_path, &err) < 0)
        cli_fail(&err);
}

void plot_rgb(unsigned rgb, double alpha)
{
    plscol0a(PLOT_SCRATCH, (PLINT)(rgb >> 16 & 0xff), (PLINT)(rgb >> 8 & 0xff), (PLINT)(rgb & 0xff),
             alpha);
    plcol0(PLOT_SCRATCH);
}

/* World units per millimetre of the current viewport, along x and y. */
static void world_per_mm(double *wx, double *wy)
{
    PLFLT sx0, sx1, sy0, sy1, vx0, vx1, vy0, vy1, w0, w1, h0, h1;
    plgspa(&sx0, &sx1, &sy0, &sy1);
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    plgvpw(&w0, &w1, &h0, &h1);
    *wx = (w1 - w0) / ((vx1 - vx0) * (sx1 - sx0));
    *wy = (h1 - h0) / ((vy1 - vy0) * (sy1 - sy0));
}

void plot_dots(const double *x, const double *y, size_t n, double radius_mm, int filled)
{
    enum { SIDES = 10 };
    double wx, wy;
    world_per_mm(&wx, &wy);
    PLFLT px[SIDES + 1], py[SIDES + 1];
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k <= SIDES; k++) {
            double a = 2 * M_PI * k / SIDES;
            px[k] = x[i] + radius_mm * wx * cos(a);
            py[k] = y[i] + radius_mm * wy * sin(a);
        }
        if (filled)
            plfill(SIDES, px, py);
        else
            plline(SIDES + 1, px, py);
    }
}

char *plot_fit_text(char *text, size_t max_chars)
{
    size_t len = strlen(text);
    if (len <= max_chars || max_chars < 5)
        return text;
    size_t head = (max_chars - 3) / 2, tail = max_chars - 3 - head;
    memmove(text + head + 3, text + len - tail, tail + 1);
    memcpy(text + head, "...", 3);
    return text;
}

void plot_side_text(const char *side, double disp, double at, const char *text)
{
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    if (side[0] == 'b') { /* vertical text hangs from the frame: PLplot's "bv" */
        plmtex("bv", disp, (at - x0) / (x1 - x0), 1.0, text);
        return;
    }
    /* Centre the line of text on at: PLplot puts the baseline there. */
    double pos = (at - y0) / (y1 - y0) - 0.3 * plot_text_height() / (y1 - y0);
    plmtex(side[0] == 'l' ? "lv" : "rv", disp, pos, side[0] == 'l' ? 1.0 : 0.0, text);
}

/* 1, 2 or 5 times a power of ten: the nearest at or above raw (minimum:
 * labels must not crowd), the nearest to it (target: as many as asked). */
static double nice_at_least(double raw)
{
    double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static double nice_near(double raw)
{
    double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

double plot_x_tick(double least)
{
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    double span = fabs(x1 - x0);
    if (!(span > 0))
        return 0;
    /* A label of up to 7 characters ("-0.025", "3600") and 2 of space. */
    double label = 9 * plot_text_width("0") / 1.0;
    size_t fit = (size_t)(span / label);
    double step = nice_at_least(span / (double)(fit > 1 ? fit : 1));
    return step < least ? least : step;
}

double plot_y_tick(size_t n)
{
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    double span = fabs(y1 - y0);
    size_t fit = (size_t)(span / (2.2 * plot_text_height()));
    if (!(span > 0))
        return 0;
    if (fit < n)
        return nice_at_least(span / (double)(fit > 1 ? fit : 1));
    return nice_near(span / (double)(n > 1 ? n : 1));
}

double plot_text_width(const char *text)
{
    PLFLT def, ht;
    double wx, wy;
    plgchr(&def, &ht);
    world_per_mm(&wx, &wy);
    return (double)strlen(text) * ht * PLOT_GLYPH_ADVANCE * wx;
}

double plot_text_height(void)
{
    PLFLT def, ht;
    double wx, wy;
    plgchr(&def, &ht);
    world_per_mm(&wx, &wy);
    return ht * wy;
}

void plot_axis_label(char *out, size_t n, const char *name, const char *unit)
{
    if (unit && *unit)
        snprintf(out, n, "%s (%s)", name, unit);
    else
        snprintf(out, n, "%s", name);
}
