/* report.h: emg-report's pages: the HTML building blocks (report_html.c):
 * one self-contained file, styles and a layout self-check inline, figures as
 * inline SVG, nothing fetched from a network; figures drawn into the page
 * (report_plot.c); the batch page and the summary rows it is made from
 * (report_batch.c). */
#ifndef EMGKIT_REPORT_H
#define EMGKIT_REPORT_H

#include <stdio.h>

/* Text with & < > " escaped. */
void report_text(FILE *f, const char *s);
/* <!DOCTYPE>, <head> with the title and the style sheet, <body>, <h1>. */
void report_begin(FILE *f, const char *title);
/* The self-check script and the end of the page. */
void report_end(FILE *f);
/* <h2> with an id for the table of contents. */
void report_section(FILE *f, const char *id, const char *heading);
/* A figure: the SVG of emg-plot (its XML prolog dropped) and a caption. */
void report_figure(FILE *f, const char *id, const char *svg, const char *caption);
/* <table> with an id and a header row of n column names; rows follow as
 * report_row_begin / report_cell... / report_row_end; then report_table_end. */
void report_table_begin(FILE *f, const char *id, size_t n, const char *const *columns);
void report_row_begin(FILE *f);
void report_cell(FILE *f, const char *text);
void report_cell_num(FILE *f, const char *format, double value);
void report_row_end(FILE *f);
void report_table_end(FILE *f);
/* One item of a list of findings (<ul class="flags">, opened and closed by
 * report_flags_begin / report_flags_end). */
void report_flags_begin(FILE *f);
void report_flag(FILE *f, const char *severity, const char *text);
void report_flags_end(FILE *f);
/* <a href> to a page beside this one (its name percent-encoded), text escaped. */
void report_link(FILE *f, const char *page, const char *text);

/* ---- figures (report_plot.c) ------------------------------------------- */
/* A <figure> whose SVG draw(ctx) draws (one emg-plot figure: plot_open ...
 * plot_close), captured in memory; warnings are silenced while it draws
 * (the reader gave them once already). */
void report_plot(FILE *f, const char *id, const char *caption, void (*draw)(void *ctx),
                 void *ctx);

/* ---- the batch page (report_batch.c) ---------------------------------- */
/* With several inputs each recording's page is made in a child process
 * (cli_run_table_jobs_into), which also writes summary rows of what the batch page
 * shows: one table of columns file, page, item, name, feature, count, value,
 * ci_low, ci_high, se, text, whose item is
 *   recording  name: format, count: channels, value: duration (s)
 *   trend      name: channel, feature, count: active windows, value: slope
 *              per minute, ci_low, ci_high, se: per minute (n/a when not
 *              fitted), text: the trend's status
 *   label      name: label, count: events
 *   flag       text: a quality flag of the page. */
typedef struct report_summary {
    FILE *out;
    const char *file, *page;
} report_summary;
struct emg_trend;
void report_summary_header(FILE *out);
void report_summary_recording(const report_summary *s, const char *format, size_t channels,
                              double duration_s);
/* tr NULL: not fitted (the status says why). */
void report_summary_trend(const report_summary *s, const char *channel, const char *feature,
                          const struct emg_trend *tr, size_t windows, const char *status);
void report_summary_label(const report_summary *s, const char *label, size_t events);
void report_summary_flag(const report_summary *s, const char *text);

/* The batch page from the summary table in summary (read from where it
 * stands): a table of the
 * recordings (linked to their pages; inputs without a page named as
 * failed) with their quality flags, the forest of their MDF slopes with
 * the pooled estimate, and their events per label.  figure: the size and
 * confidence of the figures (a struct plot_request). */
struct plot_request;
void report_batch_page(FILE *f, const char *title, FILE *summary,
                       const char *const *paths, size_t n, const struct plot_request *figure);

#endif
