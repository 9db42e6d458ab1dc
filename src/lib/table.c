/* table.c: tab-separated tables with a header row (docs/event-tables.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "emgkit/table.h"

void emg_tsv_header(FILE *f, size_t n, const char *const *columns)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%c", columns[i], i + 1 < n ? '\t' : '\n');
}

static int tsv_precision = 6;

void emg_tsv_set_precision(int digits)
{
    tsv_precision = digits < 1 ? 1 : digits > 17 ? 17 : digits;
}

void emg_tsv_num(FILE *f, double value, int last)
{
    /* BIDS has no spelling for infinity: an infinite statistic is as undefined
     * to the reader of a table as a NaN one. */
    if (!isfinite(value))
        fputs("n/a", f);
    else
        fprintf(f, "%.*g", tsv_precision, value);
    fputc(last ? '\n' : '\t', f);
}

void emg_tsv_time(FILE *f, double seconds, int last)
{
    char text[64];
    if (!(fabs(seconds) < 1e12)) { /* non-finite, or beyond any recording's length */
        emg_tsv_num(f, seconds, last);
        return;
    }
    int len = snprintf(text, sizeof text, "%.6f", seconds);
    while (len > 1 && text[len - 1] == '0')
        text[--len] = '\0';
    if (text[len - 1] == '.')
        text[--len] = '\0';
    if (!strcmp(text, "-0"))
        strcpy(text, "0");
    fputs(text, f);
    fputc(last ? '\n' : '\t', f);
}

/* The text is written in runs between the characters that would break a row
 * (one fwrite each, not one locked fputc per character: emg-features writes
 * the input's path on every row). */
void emg_tsv_str(FILE *f, const char *text, int last)
{
    for (const char *p = text; *p;) {
        size_t run = strcspn(p, "\t\n\r");
        fwrite(p, 1, run, f);
        p += run;
        if (*p) {
            fputc(' ', f);
            p++;
        }
    }
    fputc(last ? '\n' : '\t', f);
}

void emg_table_init(emg_table *t)
{
    memset(t, 0, sizeof *t);
}

void emg_table_free(emg_table *t)
{
    for (size_t i = 0; i < t->n_columns; i++)
        free(t->columns[i]);
    for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
        free(t->cells[i]);
    free(t->columns);
    free(t->cells);
    free(t->row_lines);
    emg_table_init(t);
}

/* Split line (without its ending) at delim into a freshly allocated array of
 * strdup'd fields. */
static int split_line(char *line, char delim, char ***fields, size_t *n, emg_error *err)
{
    size_t count = 1;
    for (char *p = line; *p; p++)
        count += *p == delim;
    char **out = emgi_xcalloc(count, sizeof *out, err);
    if (!out)
        return EMG_ERR_NOMEM;
    char *p = line;
    for (size_t i = 0; i < count; i++) {
        char *end = strchr(p, delim);
        if (end)
            *end = '\0';
        if (!(out[i] = emgi_xstrdup(p, err))) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return EMG_ERR_NOMEM;
        }
        p = end ? end + 1 : p + strlen(p);
    }
    *fields = out;
    *n = count;
    return EMG_OK;
}

static void free_fields(char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(fields[i]);
    free(fields);
}

static int append_row(emg_table *t, char **fields, size_t line_no, size_t *cap, emg_error *err)
{
    if (t->n_rows == *cap) {
        size_t grow = *cap ? *cap * 2 : 64;
        char **cells = emgi_xrealloc(t->cells, grow * t->n_columns, sizeof *cells, err);
        if (!cells)
            return EMG_ERR_NOMEM;
        t->cells = cells;
        size_t *lines = emgi_xrealloc(t->row_lines, grow, sizeof *lines, err);
        if (!lines)
            return EMG_ERR_NOMEM;
        t->row_lines = lines;
        *cap = grow;
    }
    memcpy(t->cells + t->n_rows * t->n_columns, fields, t->n_columns * sizeof *fields);
    t->row_lines[t->n_rows] = line_no;
    t->n_rows++;
    return EMG_OK;
}

/* One line without its ending, whichever of LF (Unix), CRLF (Windows) or CR
 * alone (classic Mac OS, still written by some spreadsheet exports) ends it.
 * Returns the length, or -1 at the end of the file. */
static long read_line(FILE *f, char **line, size_t *cap, emg_error *err)
{
    size_t len = 0;
    int c = getc(f);
    if (c == EOF)
        return -1;
    for (; c != EOF && c != '\n' && c != '\r'; c = getc(f)) {
        if (emgi_grow((void **)line, cap, len + 2, 1, err) < 0)
            return EMG_ERR_NOMEM;
        (*line)[len++] = (char)c;
    }
    if (c == '\r') {
        int next = getc(f);
        if (next != '\n' && next != EOF)
            ungetc(next, f);
    }
    if (emgi_grow((void **)line, cap, len + 1, 1, err) < 0)
        return EMG_ERR_NOMEM;
    (*line)[len] = '\0';
    return (long)len;
}

static int read_rows(emg_table *t, FILE *f, const char *path, char delim, emg_error *err)
{
    char *line = NULL;
    size_t line_cap = 0, row_cap = 0, line_no = 1;
    long len;
    int rc = EMG_OK;
    while (rc >= 0 && (len = read_line(f, &line, &line_cap, err)) != -1) {
        if (len < 0) {
            rc = (int)len;
            break;
        }
        line_no++;
        if (line[strspn(line, " \t")] == '\0')
            continue;
        char **fields;
        size_t n;
        if ((rc = split_line(line, delim, &fields, &n, err)) < 0)
            break;
        if (n != t->n_columns) {
            free_fields(fields, n);
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s:%zu: %zu columns, header has %zu", path,
                               line_no, n, t->n_columns);
            break;
        }
        if ((rc = append_row(t, fields, line_no, &row_cap, err)) < 0)
            free_fields(fields, n);
        else
            free(fields);
    }
    free(line);
    return rc;
}

/* The header row, without the UTF-8 byte order mark some editors (Excel,
 * Notepad) put first: the recording readers accept it too (io_text.c). */
static int read_header(emg_table *t, FILE *f, const char *path, char *delim, emg_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    long len = read_line(f, &line, &cap, err);
    int rc;
    if (len == -1 || len == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: empty table (no header row)", path);
    else if (len < 0)
        rc = (int)len;
    else {
        char *text = strncmp(line, "\xef\xbb\xbf", 3) ? line : line + 3;
        *delim = (!strchr(text, '\t') && strchr(text, ',')) ? ',' : '\t';
        rc = split_line(text, *delim, &t->columns, &t->n_columns, err);
    }
    free(line);
    return rc;
}

int emg_table_read_stream(emg_table *t, FILE *f, const char *name, emg_error *err)
{
    emg_table_init(t);
    char delim = '\t';
    int rc = read_header(t, f, name, &delim, err);
    if (rc >= 0)
        rc = read_rows(t, f, name, delim, err);
    if (rc < 0)
        emg_table_free(t);
    return rc < 0 ? rc : EMG_OK;
}

int emg_table_read(emg_table *t, const char *path, emg_error *err)
{
    emg_table_init(t);
    int is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    int rc = emg_table_read_stream(t, f, path, err);
    if (!is_stdin)
        fclose(f);
    return rc;
}

int emg_table_column(const emg_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_columns; i++)
        if (!strcmp(t->columns[i], name))
            return (int)i;
    return -1;
}

const char *emg_table_cell(const emg_table *t, size_t row, int col)
{
    if (col < 0 || (size_t)col >= t->n_columns || row >= t->n_rows)
        return "";
    return t->cells[row * t->n_columns + (size_t)col];
}

size_t emg_table_line(const emg_table *t, size_t row)
{
    return t->row_lines && row < t->n_rows ? t->row_lines[row] : row + 2;
}

double emg_table_num(const emg_table *t, size_t row, int col)
{
    const char *s = emg_table_cell(t, row, col);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno)
        return NAN;
    return v;
}

/* BIDS events.tsv allows "n/a" for a duration: an instant.  Anything else that
 * is not a finite number >= 0 would be silently counted as an event of the
 * wrong length (or matched nowhere), so it is an error naming the line. */
int emg_table_event_span(const emg_table *t, size_t row, int c_onset, int c_duration,
                         const char *path, double *onset, double *duration, emg_error *err)
{
    const char *on_text = emg_table_cell(t, row, c_onset);
    const char *du_text = emg_table_cell(t, row, c_duration);
    *onset = emg_table_num(t, row, c_onset);
    *duration = strcmp(du_text, "n/a") ? emg_table_num(t, row, c_duration) : 0.0;
    if (!isfinite(*onset))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%zu: onset '%s' is not a finite number",
                             path, emg_table_line(t, row), on_text);
    if (!isfinite(*duration) || *duration < 0)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s:%zu: duration '%s' is not a finite number >= 0 (or n/a)", path,
                             emg_table_line(t, row), du_text);
    return EMG_OK;
}
