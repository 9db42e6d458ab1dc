/* emgkit/bids.h: BIDS EMG datasets (BIDS 1.11, "Electromyography"), written
 * and read (docs/formats/bids.md).
 *
 * Writing: each recording becomes sub-<label>/[ses-<label>/]emg/
 * sub-<label>[_ses-<label>]_task-<label>[_run-<index>]_emg.edf (or .bdf) with
 * its sidecars _emg.json, _channels.tsv, _events.tsv and _events.json; the
 * dataset root gets dataset_description.json and participants.tsv.
 *
 * Reading: emg_reader_open() on a *_emg.edf / *_emg.bdf takes channel types
 * and units from the _channels.tsv beside it and the events of _events.tsv as
 * annotations; on a dataset root it opens the dataset's only recording (tools
 * that take many inputs list them with emg_bids_recordings()). */
#ifndef EMGKIT_BIDS_H
#define EMGKIT_BIDS_H

#include "emgkit/io.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMG_BIDS_LABEL_MAX 64
/* The BIDS version the writer follows (dataset_description.json). */
#define EMG_BIDS_VERSION "1.11.0"

/* The entities of one recording's file names.  Labels are letters and digits
 * only; session and run "" mean none; run is a positive integer as text. */
typedef struct emg_bids_entities {
    char subject[EMG_BIDS_LABEL_MAX];
    char session[EMG_BIDS_LABEL_MAX];
    char task[EMG_BIDS_LABEL_MAX];
    char run[16];
} emg_bids_entities;

/* True when label is a valid BIDS label (one or more ASCII letters or digits). */
EMGKIT_API int emg_bids_label_valid(const char *label);
/* A label from free text: its ASCII letters and digits ("S1_EMG bicep" ->
 * "S1EMGbicep"), cut to fit n; "" when it has none. */
EMGKIT_API void emg_bids_label_from(const char *text, char *out, size_t n);
/* The data file of a recording: ROOT/sub-S/[ses-X/]emg/sub-S[_ses-X]_task-T[_run-R]_emg.EXT
 * with EXT "edf" or "bdf".  EMG_ERR_ARG naming the entity when a label is
 * invalid or the path too long. */
EMGKIT_API int emg_bids_data_path(char *out, size_t n, const char *root, const emg_bids_entities *e,
                       emg_format data_format, emg_error *err);

/* A data file's name read back: 1 when data_path is ..._emg.edf or
 * ..._emg.bdf with a valid sub-<label> first (else 0), filling *e (when not
 * NULL; entities absent from the name are "") and stem[0..n) (when not NULL)
 * with the path without "_emg.EXT", to which the sidecars' suffixes
 * ("_events.tsv", "_channels.tsv") are appended. */
EMGKIT_API int emg_bids_parse_data_path(const char *data_path, emg_bids_entities *e, char *stem,
                                        size_t n);

typedef struct emg_bids_export_options {
    emg_format data_format;   /* EMG_FORMAT_EDF or EMG_FORMAT_BDF (BIDS recommends BDF+) */
    double power_line_hz;     /* PowerLineFrequency; 0 = unknown ("n/a") */
    const char *events_table; /* an event table of this recording (onset duration channel
                                 label ...), or NULL: its rows join the annotations */
    emg_write_options write;  /* passed to the EDF/BDF writer (note, note_ctx) */
} emg_bids_export_options;
#define EMG_BIDS_EXPORT_OPTIONS_INIT {EMG_FORMAT_BDF, 0.0, NULL, EMG_WRITE_OPTIONS_INIT}

/* Write what is left of reader r (selection and range applied) as one
 * recording of the dataset at root: the data file with channels labelled
 * after the EDF+ convention ("EMG agonist"), and its four sidecars.  Each
 * file is written to a temporary name and renamed when complete; folders are
 * created as needed.  *data_path (n bytes) receives the data file's path. */
EMGKIT_API int emg_bids_export(emg_reader *r, const char *root, const emg_bids_entities *e,
                    const emg_bids_export_options *o, char *data_path, size_t n,
                    emg_error *err);
/* The dataset files at root: dataset_description.json (written only when
 * absent: a curated one is kept) and participants.tsv (its rows kept, the
 * subjects[0..n) not yet listed added). */
EMGKIT_API int emg_bids_export_dataset(const char *root, const char *const *subjects, size_t n,
                            emg_error *err);

/* True when path is a folder holding dataset_description.json. */
EMGKIT_API int emg_bids_is_dataset(const char *path);
/* The data files of the dataset at root (sub-S/[ses-X/]emg/..._emg.edf or .bdf),
 * sorted; free with emg_files_free().  None is EMG_ERR_FORMAT. */
EMGKIT_API int emg_bids_recordings(const char *root, char ***paths, size_t *n, emg_error *err);

#ifdef __cplusplus
}
#endif
#endif
