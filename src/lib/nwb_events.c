/* nwb_events.c: an event table (docs/event-tables.md: emg-synth's ground truth,
 * emg-label's or emg-detect's output) as the columns of an NWB TimeIntervals
 * table, which io_nwb_write.c writes under /intervals/NAME.
 *
 * Columns (docs/formats/nwb.md): start_time and stop_time (onset, onset +
 * duration), label (or BIDS trial_type) and channel, then every further
 * column in the table's order with its meaning and unit in the description
 * (the descriptions of BIDS _events.json, bids_describe.c: one vocabulary).
 * A column of numbers (and n/a) is float64 with NaN for n/a; `channels`, a
 * comma-separated list of channel names, is a ragged column (VectorData and
 * VectorIndex); any other is text.  What the writer cannot describe -- a
 * column neither known nor named with a unit suffix -- is refused rather than
 * written without its unit, and so are rows of several recordings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/emgkit.h"
#include "bids_internal.h"
#include "nwb_internal.h"

/* The columns that list channels: one cell, several names. */
static int is_list_column(const char *name)
{
    return !strcmp(name, "channels");
}

/* /intervals/NAME: the file name without its extension (".tsv", ".csv", ".txt"),
 * characters other than letters, digits, '_' and '-' made '_' ("rec1.events.tsv"
 * -> "rec1_events"); "annotations" is the recording's own table, so an event
 * table of that name becomes "annotations_events". */
static void table_name(const char *path, char *out, size_t n)
{
    emgi_strlcpy(out, emgi_basename(path), n);
    char *dot = strrchr(out, '.');
    if (dot && (!strcmp(dot, ".tsv") || !strcmp(dot, ".csv") || !strcmp(dot, ".txt")))
        *dot = '\0';
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            *p = '_';
    if (!out[0])
        emgi_strlcpy(out, "events", n);
    if (!strcmp(out, NWB_ANNOTATION_TABLE))
        emgi_strlcpy(out, NWB_ANNOTATION_TABLE "_events", n);
}

static int is_na(const char *cell)
{
    return !cell[0] || !strcmp(cell, "n/a");
}

/* The known columns of words (bids_describe.c): text whatever their cells say. */
static int is_text_column(const char *name)
{
    static const char *const words[] = {"kind", "context", "channels", "partner", "detail",
                                        "rule", "note"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(name, words[i]))
            return 1;
    return 0;
}

/* True when column c is not a column of words and every cell is a finite
 * number or n/a (all n/a too: an evidence column the table could not fill
 * keeps its type, float64 of NaN, in every file). */
static int numeric_column(const emg_table *t, int c)
{
    if (is_text_column(t->columns[c]))
        return 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *cell = emg_table_cell(t, r, c);
        if (is_na(cell))
            continue;
        char *end;
        double v = strtod(cell, &end);
        if (end == cell || *end || !isfinite(v))
            return 0;
    }
    return 1;
}

static emgi_nwb_column *add_column(emgi_nwb_events *ev, const char *name, const char *description,
                                   emg_error *err)
{
    if (emgi_grow_one((void **)&ev->columns, ev->n_columns, sizeof *ev->columns, err) < 0)
        return NULL;
    emgi_nwb_column *col = &ev->columns[ev->n_columns++];
    memset(col, 0, sizeof *col);
    col->name = emgi_xstrdup(name, err);
    col->description = emgi_xstrdup(description, err);
    return col->name && col->description ? col : NULL;
}

/* A text column: each row's cell of column c, or `fallback` without one. */
static int fill_text(emgi_nwb_column *col, const emg_table *t, int c, const char *fallback,
                     emg_error *err)
{
    if (!(col->text = emgi_xcalloc(t->n_rows + 1, sizeof *col->text, err)))
        return EMG_ERR_NOMEM;
    for (size_t r = 0; r < t->n_rows; r++)
        if (!(col->text[r] = emgi_xstrdup(c >= 0 ? emg_table_cell(t, r, c) : fallback, err)))
            return EMG_ERR_NOMEM;
    return EMG_OK;
}

static int fill_numbers(emgi_nwb_column *col, const emg_table *t, int c, emg_error *err)
{
    if (!(col->num = emgi_xcalloc(t->n_rows + 1, sizeof *col->num, err)))
        return EMG_ERR_NOMEM;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *cell = emg_table_cell(t, r, c);
        col->num[r] = is_na(cell) ? NAN : strtod(cell, NULL);
    }
    return EMG_OK;
}

/* The label column's description: what a label is, then every label present
 * with its meaning (the vocabulary; BIDS _events.json's Levels). */
static char *label_description(const emg_table *t, int c, emg_error *err)
{
    static const char head[] = "Event label (docs/event-tables.md, \"Labels\"). Labels:";
    static const char other[] = "a label or annotation text of the event table";
    size_t cap = sizeof head;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *meaning = emgi_bids_label_description(emg_table_cell(t, r, c));
        cap += strlen(emg_table_cell(t, r, c)) + strlen(meaning ? meaning : other) +
               sizeof "; " " = " - 1;
    }
    char *text = emgi_xcalloc(cap, 1, err);
    if (!text)
        return NULL;
    strcpy(text, head);
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *label = emg_table_cell(t, r, c);
        int seen = 0;
        for (size_t q = 0; q < r && !seen; q++)
            seen = !strcmp(emg_table_cell(t, q, c), label);
        if (seen)
            continue;
        const char *meaning = emgi_bids_label_description(label);
        size_t len = strlen(text);
        snprintf(text + len, cap - len, "%s %s = %s", r ? ";" : "", label,
                 meaning ? meaning : other);
    }
    return text;
}

static int add_times(emgi_nwb_events *ev, const emg_table *t, const char *path, emg_error *err)
{
    int c_onset, c_duration;
    int rc = emgi_bids_event_span_columns(t, path, &c_onset, &c_duration, err);
    if (rc < 0)
        return rc;
    emgi_nwb_column *start = add_column(ev, "start_time", "Start of the event (its onset), in "
                                        "seconds from the first sample (unit: s)", err);
    emgi_nwb_column *stop = start ? add_column(ev, "stop_time", "End of the event (onset + "
                                               "duration; an instant: its onset), in seconds "
                                               "(unit: s)", err) : NULL;
    if (!stop)
        return EMG_ERR_NOMEM;
    start = &ev->columns[0]; /* the second add_column may have moved the columns */
    start->num = emgi_xcalloc(t->n_rows + 1, sizeof *start->num, err);
    stop->num = emgi_xcalloc(t->n_rows + 1, sizeof *stop->num, err);
    if (!start->num || !stop->num)
        return EMG_ERR_NOMEM;
    for (size_t r = 0; r < t->n_rows; r++) {
        double onset, duration;
        rc = emg_table_event_span(t, r, c_onset, c_duration, path, &onset, &duration, err);
        if (rc < 0)
            return rc;
        start->num[r] = onset;
        stop->num[r] = onset + duration;
    }
    return EMG_OK;
}

static int add_label_and_channel(emgi_nwb_events *ev, const emg_table *t, emg_error *err)
{
    int c_label = emg_table_column(t, "label");
    if (c_label < 0)
        c_label = emg_table_column(t, "trial_type");
    char *described = c_label >= 0 ? label_description(t, c_label, err) : NULL;
    if (c_label >= 0 && !described)
        return EMG_ERR_NOMEM;
    emgi_nwb_column *label = add_column(ev, "label", described ? described
                                        : "Event label (the table has none: n/a)", err);
    free(described);
    if (!label || fill_text(label, t, c_label, "n/a", err) < 0)
        return EMG_ERR_NOMEM;
    emgi_nwb_column *channel = add_column(ev, "channel", "Name of the channel (the TimeSeries "
                                          "under /acquisition) the event belongs to; n/a: the "
                                          "whole recording", err);
    return channel && fill_text(channel, t, emg_table_column(t, "channel"), "n/a", err) >= 0
               ? EMG_OK
               : EMG_ERR_NOMEM;
}

/* An evidence (or other further) column: described with its unit, or refused. */
static int add_further(emgi_nwb_events *ev, const emg_table *t, int c, const char *path,
                       emg_error *err)
{
    const char *name = t->columns[c];
    emgi_bids_column known;
    char made_up[256], description[512];
    if (!emgi_bids_describe_column(name, emgi_basename(path), &known, made_up, sizeof made_up))
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: column '%s' is no event-table column (docs/event-tables.md) "
                             "and names no unit (_hz, _ms, _s, _mv, ...)", path, name);
    int numeric = numeric_column(t, c);
    if (known.unit)
        snprintf(description, sizeof description, "%s (unit: %s)", known.description,
                 known.unit);
    else /* a count or ratio, or in the channel's unit (emg-detect's peak, rms: said so) */
        snprintf(description, sizeof description,
                 numeric && !strstr(known.description, "unit") ? "%s (dimensionless)" : "%s",
                 known.description);
    emgi_nwb_column *col = add_column(ev, name, description, err);
    if (!col)
        return EMG_ERR_NOMEM;
    if (is_list_column(name)) {
        col->ragged = 1;
        return fill_text(col, t, c, "n/a", err);
    }
    return numeric ? fill_numbers(col, t, c, err) : fill_text(col, t, c, "n/a", err);
}

/* A `file` column naming two recordings: the table is a batch's, not this one's. */
static int one_recording(const emg_table *t, const char *path, emg_error *err)
{
    int c = emg_table_column(t, "file");
    for (size_t r = 1; c >= 0 && r < t->n_rows; r++)
        if (strcmp(emg_table_cell(t, r, c), emg_table_cell(t, 0, c)))
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: rows of several recordings (%s, %s): give one "
                                 "recording's events", path, emg_table_cell(t, 0, c),
                                 emg_table_cell(t, r, c));
    return EMG_OK;
}

int emgi_nwb_events_read(emgi_nwb_events *ev, const char *path, emg_error *err)
{
    memset(ev, 0, sizeof *ev);
    table_name(path, ev->name, sizeof ev->name);
    emg_table t;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, err);
    if (rc >= 0 && !(ev->path = emgi_xstrdup(path, err)))
        rc = EMG_ERR_NOMEM;
    if (rc >= 0)
        rc = one_recording(&t, path, err);
    ev->n_rows = t.n_rows;
    if (rc >= 0)
        rc = add_times(ev, &t, path, err);
    if (rc >= 0)
        rc = add_label_and_channel(ev, &t, err);
    for (size_t c = 0; rc >= 0 && c < t.n_columns; c++)
        if (!emgi_bids_core_event_column(t.columns[c]))
            rc = add_further(ev, &t, (int)c, path, err);
    emg_table_free(&t);
    if (rc < 0)
        emgi_nwb_events_free(ev);
    return rc;
}

int emgi_nwb_events_check_span(const emgi_nwb_events *ev, double length_s, double tolerance_s,
                               emg_error *err)
{
    const double *start = ev->columns[0].num, *stop = ev->columns[1].num;
    for (size_t r = 0; r < ev->n_rows; r++)
        if (start[r] < 0 || stop[r] > length_s + tolerance_s)
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: the event of row %zu (%g to %g s) is outside the recording "
                                 "(0 to %g s)",
                                 ev->path, r + 1, start[r], stop[r], length_s);
    return EMG_OK;
}

void emgi_nwb_events_free(emgi_nwb_events *ev)
{
    for (size_t c = 0; c < ev->n_columns; c++) {
        emgi_nwb_column *col = &ev->columns[c];
        free(col->name);
        free(col->description);
        free(col->num);
        for (size_t r = 0; col->text && r < ev->n_rows; r++)
            free(col->text[r]);
        free(col->text);
    }
    free(ev->columns);
    free(ev->path);
    memset(ev, 0, sizeof *ev);
}
