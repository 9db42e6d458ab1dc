/* bids_internal.h: what the BIDS modules share (bids_describe.c, bids_write.c). */
#ifndef EMGKIT_BIDS_INTERNAL_H
#define EMGKIT_BIDS_INTERNAL_H

#include "emgkit/bids.h"
#include "emgkit/table.h"
#include "io_internal.h"

/* BIDS channels.tsv type of a channel: EMG for voltage (or unitless) channels
 * that name no other modality; ECG, EOG, TRIG; MISC for the rest (force,
 * acceleration). */
const char *emgi_bids_channel_type(const emg_channel *ch);
/* The EDF+ label "TYPE SENSOR" of a channel (16 printable ASCII characters):
 * "EMG_agonist" -> "EMG agonist", "Force" -> "MISC Force". */
void emgi_bids_channel_label(const emg_channel *ch, const char *type, char *out, size_t n);

/* An events.json entry: what a column means and its unit (NULL: none). */
typedef struct emgi_bids_column {
    const char *name, *description, *unit;
} emgi_bids_column;
/* Describe an event-table column: known names, then a unit suffix (_hz, _ms,
 * _s, _mv, _mps, ...); text (n bytes) holds a description made up for it.
 * 1 when the column is known or has a unit suffix, 0 when only named. */
int emgi_bids_describe_column(const char *name, const char *table, emgi_bids_column *out,
                             char *text, size_t n);
/* 1 for the event-table columns (docs/event-tables.md) that an export maps
 * onto its own fields (onset, duration, label or BIDS trial_type, channel) or
 * leaves out (file: which recording); 0 for the further columns, exported
 * with their descriptions (emgi_bids_describe_column). */
int emgi_bids_core_event_column(const char *name);
/* The onset and duration columns of an event table; EMG_ERR_FORMAT naming
 * path when either is missing. */
int emgi_bids_event_span_columns(const emg_table *t, const char *path, int *c_onset,
                                 int *c_duration, emg_error *err);
/* One sentence for a label of emgkit's vocabulary, NULL for other texts. */
const char *emgi_bids_label_description(const char *label);

#endif
