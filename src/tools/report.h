/* report.h: the HTML of emg-report's page (report_html.c): one
 * self-contained file, styles and a layout self-check inline, figures as
 * inline SVG, nothing fetched from a network. */
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

#endif
