/* emgkit/dataset.h: a labelled HDF5 dataset for learning, built from
 * recordings and their event tables (emg-dataset; layout in
 * docs/dataset-layout.md).
 *
 * Every row is one sample: all channels of a recording over `length` samples
 * at one rate, cut either as fixed windows (-w every -s seconds, labelled by
 * the event that covers most of the window, at least half of it, else the
 * background label) or one per event (from its onset, -w seconds).  Rows are
 * appended recording by recording; at the end the subjects are assigned to
 * train/validation/test (grouped: a subject's rows are all in one split;
 * stratified by class: every class in every split where enough subjects hold
 * it, then greedily; seeded) and the class, subject and
 * provenance tables are written.  Appending to an existing dataset keeps its
 * rows and the split of its subjects. */
#ifndef EMGKIT_DATASET_H
#define EMGKIT_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "emgkit/error.h"
#include "emgkit/export.h"
#include "emgkit/features.h"
#include "emgkit/recording.h"
#include "emgkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emg_dataset_cut {
    EMG_DATASET_WINDOWS = 0, /* fixed windows */
    EMG_DATASET_EVENTS       /* one row per event */
} emg_dataset_cut;

/* Splits, in this order in emg_dataset_options.split and
 * emg_dataset_summary.split_rows: train, validation, test. */
#define EMG_DATASET_SPLITS 3

typedef struct emg_dataset_options {
    emg_dataset_cut cut;
    double window_s;           /* sample length, seconds */
    double step_s;             /* window step (EMG_DATASET_WINDOWS), seconds */
    double rate;               /* Hz: resample every channel to it; 0 = keep (one rate for all) */
    size_t max_channels;       /* channels per row; 0 = most among the first build's inputs */
    const char *background;    /* label of windows no event covers half of */
    const char *skip_labels;   /* comma list of event labels left out, or NULL */
    double split[EMG_DATASET_SPLITS]; /* fractions of the rows (train, validation, test) */
    uint64_t seed;             /* split order */
    const size_t *feature_ids;
    size_t n_features;
    emg_feature_options features;
    emg_spectrum_options spectrum;
    const char *parameters;    /* canonical text of every option, stored and compared on append */
} emg_dataset_options;

/* One recording: where it came from and who it is. */
typedef struct emg_dataset_source {
    const char *file;     /* the recording as named */
    const char *events;   /* its event table */
    const char *subject;  /* "" = the recording's file name without directory and extension */
    const char *session;  /* may be "" */
} emg_dataset_source;

typedef struct emg_dataset emg_dataset;

/* Start a dataset at path (written under a temporary name, renamed by
 * emg_dataset_close), or, with append, a copy of the existing one that gets
 * the new rows.  On append the stored parameters must equal opts->parameters
 * (EMG_ERR_ARG otherwise). */
EMGKIT_API int emg_dataset_open(emg_dataset **out, const char *path, int append,
                                const emg_dataset_options *opts, emg_error *err);
/* Channels per row (after open; 0 until the first recording of a new dataset
 * when max_channels was 0). */
EMGKIT_API size_t emg_dataset_channels(const emg_dataset *d);
/* Add one recording (samples in physical units) and its events.  Returns the
 * rows added (>= 0), or a negative status naming src->file or src->events.
 * A recording whose checksum is already in the dataset adds nothing and
 * returns 0 with *duplicate set. */
EMGKIT_API int emg_dataset_add(emg_dataset *d, const emg_dataset_source *src,
                               const emg_recording *rec, const emg_table *events,
                               int *duplicate, emg_error *err);
/* What a dataset holds, as emg_dataset_close leaves it. */
typedef struct emg_dataset_summary {
    size_t rows, subjects, classes;
    size_t split_rows[EMG_DATASET_SPLITS];
    /* Classes missing from some split with a fraction > 0 (too few subjects
     * hold them), comma-separated, truncated with "..."; "" when every class
     * is in every split. */
    char classes_not_in_every_split[512];
} emg_dataset_summary;

/* Assign splits, write the class, subject and provenance tables, commit;
 * fills *summary (may be NULL).  Frees d in every case. */
EMGKIT_API int emg_dataset_close(emg_dataset *d, emg_dataset_summary *summary, emg_error *err);
/* Drop everything written (the original file of an append is untouched). */
EMGKIT_API void emg_dataset_abort(emg_dataset *d);

#ifdef __cplusplus
}
#endif
#endif
