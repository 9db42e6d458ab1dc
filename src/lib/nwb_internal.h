/* nwb_internal.h: an event table as an NWB TimeIntervals table (nwb_events.c
 * reads and checks it; io_nwb_write.c writes it: docs/formats/nwb.md). */
#ifndef EMGKIT_NWB_INTERNAL_H
#define EMGKIT_NWB_INTERNAL_H

#include <stddef.h>
#include "io_hdf5_internal.h" /* NWB_ANNOTATION_TABLE */

/* One column of a DynamicTable: numbers (num, NaN for n/a) or texts (text);
 * a ragged column's texts are comma-separated lists, written as VectorData of
 * their items and a VectorIndex. */
typedef struct emgi_nwb_column {
    char *name;
    char *description; /* meaning, and unit */
    double *num;
    char **text;
    int ragged;
} emgi_nwb_column;

typedef struct emgi_nwb_events {
    char name[64]; /* /intervals/NAME */
    char *path;    /* the event table, for messages */
    size_t n_rows;
    emgi_nwb_column *columns; /* start_time, stop_time, label, channel, further columns */
    size_t n_columns;
} emgi_nwb_events;

/* Read the event table at path into ev's columns; EMG_ERR_FORMAT naming the
 * file for a table without onset and duration, a bad onset or duration, a
 * column that is neither known nor named with a unit suffix, or rows of
 * several recordings (a `file` column with two names). */
int emgi_nwb_events_read(emgi_nwb_events *ev, const char *path, emg_error *err);
/* EMG_ERR_FORMAT when an event starts before 0 or ends after length_s
 * (+ tolerance_s). */
int emgi_nwb_events_check_span(const emgi_nwb_events *ev, double length_s, double tolerance_s,
                               emg_error *err);
void emgi_nwb_events_free(emgi_nwb_events *ev);

#endif
