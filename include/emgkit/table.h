/* emgkit/table.h: tab-separated tables with a header row (docs/event-tables.md).
 *
 * Every table a tool writes (events, features, fatigue statistics, labels,
 * scores) is TSV: one header row of column names, then one row per record;
 * times in seconds from the recording start; events follow BIDS events.tsv:
 * onset, duration, then channel, label and further columns.  Missing values
 * are written "n/a" (BIDS). */
#ifndef EMGKIT_TABLE_H
#define EMGKIT_TABLE_H

#include "emgkit/export.h"

#include <stdio.h>
#include <stddef.h>
#include "emgkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writing: thin helpers so every tool formats numbers the same way. */
EMGKIT_API void emg_tsv_header(FILE *f, size_t n, const char *const *columns);
/* A measurement with the table precision's significant digits (6 unless
 * set), or "n/a" for NaN and +-Inf. */
EMGKIT_API void emg_tsv_num(FILE *f, double value, int last);
/* A time or duration in seconds, to the microsecond with trailing zeros cut
 * (12.5, 3600.000125): a sample's time reads back to the same sample at any
 * rate up to 500 kHz, whatever the precision.  "n/a" when not finite. */
EMGKIT_API void emg_tsv_time(FILE *f, double seconds, int last);
/* Significant digits of emg_tsv_num for the rest of the process (1-17;
 * 6 by default: enough for every measurement the tools report, short enough
 * to read; 17 round-trips any double). */
EMGKIT_API void emg_tsv_set_precision(int digits);
/* A text cell; tabs and newlines are replaced by spaces. */
EMGKIT_API void emg_tsv_str(FILE *f, const char *text, int last);

/* Reading: a whole table of text cells. */
typedef struct emg_table {
    size_t n_columns;
    char **columns;
    size_t n_rows;
    char **cells; /* row-major: cells[row * n_columns + col] */
    size_t *row_lines; /* line of each row in the file (1-based; blank lines are skipped) */
} emg_table;

EMGKIT_API void emg_table_init(emg_table *t);
/* Read a TSV (or CSV when the header has commas and no tabs) from path ("-" = stdin).
 * Lines may end in LF, CRLF or CR alone; a UTF-8 byte order mark is skipped. */
EMGKIT_API int emg_table_read(emg_table *t, const char *path, emg_error *err);
/* The same from an open stream, read to its end; name is used in messages. */
EMGKIT_API int emg_table_read_stream(emg_table *t, FILE *f, const char *name, emg_error *err);
EMGKIT_API void emg_table_free(emg_table *t);
/* Column index by name, or -1. */
EMGKIT_API int emg_table_column(const emg_table *t, const char *name);
EMGKIT_API const char *emg_table_cell(const emg_table *t, size_t row, int col);
/* Cell as a number; NaN for "n/a", empty or unparsable. */
EMGKIT_API double emg_table_num(const emg_table *t, size_t row, int col);
/* Line number in the file of a row, for messages. */
EMGKIT_API size_t emg_table_line(const emg_table *t, size_t row);
/* Onset and duration of an event row: the onset must be a finite number, the
 * duration a finite number >= 0 or "n/a" (an instant: 0).  Otherwise
 * EMG_ERR_FORMAT with "PATH:LINE: ..." in err. */
EMGKIT_API int emg_table_event_span(const emg_table *t, size_t row, int c_onset, int c_duration,
                                    const char *path, double *onset, double *duration, emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
