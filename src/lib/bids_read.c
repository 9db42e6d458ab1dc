/* bids_read.c: reading a BIDS EMG dataset (BIDS 1.11, "Electromyography").
 *
 * A data file named sub-..._emg.edf or .bdf takes from the sidecars beside it
 * what EDF cannot say: each channel's type (a non-EMG type such as ECG, TRIG
 * or MISC goes into the transducer text, where every tool's check for EMG
 * channels finds it) and its unit when the file has none, from _channels.tsv;
 * and the events of _events.tsv, which replace the file's own annotations
 * (the dataset's record of events is the table).  Sidecars inherited from
 * higher folders are not looked for: emgkit's exports put them beside the
 * data.  A dataset root lists its recordings. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "emgkit/bids.h"
#include "emgkit/table.h"
#include "io_internal.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int emg_bids_is_dataset(const char *path)
{
    char file[4200];
    snprintf(file, sizeof file, "%s/dataset_description.json", path);
    return is_dir(path) && access(file, F_OK) == 0;
}

/* ------------------------------------------------------------- listing */

static int has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* The data files in one emg folder. */
static int list_emg_folder(const char *folder, emg_file_list *list, emg_error *err)
{
    DIR *d = opendir(folder);
    if (!d)
        return EMG_OK;
    int rc = EMG_OK;
    char stem[4200], path[4200];
    struct dirent *e;
    while (rc >= 0 && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        if (emgi_bids_sidecar_stem(path, stem, sizeof stem) && !is_dir(path))
            rc = emgi_file_list_add(list, path, err);
    }
    closedir(d);
    return rc;
}

/* Entries of folder whose names start with prefix and are folders, sorted. */
static int list_subfolders(const char *folder, const char *prefix, emg_file_list *list,
                           emg_error *err)
{
    DIR *d = opendir(folder);
    if (!d)
        return EMG_OK;
    int rc = EMG_OK;
    char path[4200];
    struct dirent *e;
    while (rc >= 0 && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        if (has_prefix(e->d_name, prefix) && is_dir(path))
            rc = emgi_file_list_add(list, path, err);
    }
    closedir(d);
    return rc;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int emg_bids_recordings(const char *root, char ***paths, size_t *n, emg_error *err)
{
    emg_file_list subjects = {0}, sessions = {0}, found = {0};
    int rc = list_subfolders(root, "sub-", &subjects, err);
    char folder[4200];
    for (size_t i = 0; rc >= 0 && i < subjects.n; i++) {
        snprintf(folder, sizeof folder, "%s/emg", subjects.files[i]);
        rc = list_emg_folder(folder, &found, err);
        if (rc >= 0)
            rc = list_subfolders(subjects.files[i], "ses-", &sessions, err);
    }
    for (size_t i = 0; rc >= 0 && i < sessions.n; i++) {
        snprintf(folder, sizeof folder, "%s/emg", sessions.files[i]);
        rc = list_emg_folder(folder, &found, err);
    }
    emg_files_free(subjects.files, subjects.n);
    emg_files_free(sessions.files, sessions.n);
    if (rc >= 0 && found.n == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT,
                           "%s: BIDS dataset without EMG recordings "
                           "(sub-<label>/[ses-<label>/]emg/*_emg.edf or .bdf)",
                           root);
    if (rc < 0) {
        emg_files_free(found.files, found.n);
        return rc;
    }
    qsort(found.files, found.n, sizeof *found.files, compare_paths);
    *paths = found.files;
    *n = found.n;
    return EMG_OK;
}

/* ------------------------------------------------------------ sidecars */

static int column_or_fail(const emg_table *t, const char *name, const char *path,
                          const char *needs, emg_error *err)
{
    int c = emg_table_column(t, name);
    if (c < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no '%s' column (BIDS %s)", path, name,
                             needs);
    return c;
}

static int channel_by_name(const emg_header *h, const char *name)
{
    for (size_t i = 0; i < h->n_channels; i++)
        if (!strcmp(h->channels[i].name, name))
            return (int)i;
    return -1;
}

/* BIDS writes micro as "µ" or "u"; emgkit's units use "u". */
static void unit_from_bids(const char *bids, char *out, size_t n)
{
    if (!strcmp(bids, "n/a")) {
        out[0] = '\0';
        return;
    }
    if (!strncmp(bids, "\xc2\xb5", 2) || !strncmp(bids, "\xce\xbc", 2))
        snprintf(out, n, "u%s", bids + 2);
    else
        emgi_strlcpy(out, bids, n);
}

static int apply_channel_row(emg_header *h, const emg_table *t, size_t row, int c_name,
                             int c_type, int c_units, const char *path, emg_error *err)
{
    const char *name = emg_table_cell(t, row, c_name);
    int i = channel_by_name(h, name);
    if (i < 0)
        return emg_header_add_note(h, err, "%s:%zu: channel '%s' is not in the data file", path,
                                   emg_table_line(t, row), name);
    emg_channel *ch = &h->channels[i];
    char unit[EMG_UNIT_MAX];
    unit_from_bids(emg_table_cell(t, row, c_units), unit, sizeof unit);
    int rc = EMG_OK;
    if (!ch->unit[0])
        emgi_strlcpy(ch->unit, unit, sizeof ch->unit);
    else if (unit[0] && strcmp(unit, ch->unit))
        rc = emg_header_add_note(h, err, "%s: channel '%s' has units '%s' here and '%s' in the "
                                 "data file: the data file's kept", path, name, unit, ch->unit);
    const char *type = emg_table_cell(t, row, c_type);
    if (strcmp(type, "EMG") && strcmp(type, "n/a")) {
        char text[EMG_TEXT_MAX];
        /* recording.c's emg_channel_other_modality() reads the type back from here. */
        snprintf(text, sizeof text, "%.16s channel (BIDS)%s%.60s", type,
                 ch->transducer[0] ? ": " : "", ch->transducer);
        emgi_strlcpy(ch->transducer, text, sizeof ch->transducer);
    }
    return rc;
}

static int apply_channels(const char *path, emg_header *h, emg_error *err)
{
    emg_table t;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, err);
    int c_name = rc < 0 ? rc : column_or_fail(&t, "name", path, "channels.tsv", err);
    int c_type = c_name < 0 ? c_name : column_or_fail(&t, "type", path, "channels.tsv", err);
    int c_units = c_type < 0 ? c_type : column_or_fail(&t, "units", path, "channels.tsv", err);
    rc = c_units < 0 ? c_units : EMG_OK;
    for (size_t row = 0; rc >= 0 && row < t.n_rows; row++)
        rc = apply_channel_row(h, &t, row, c_name, c_type, c_units, path, err);
    emg_table_free(&t);
    return rc;
}

/* The text of an event: trial_type (BIDS), else value, else "event". */
static const char *event_text(const emg_table *t, size_t row, int c_type, int c_value)
{
    const char *type = c_type >= 0 ? emg_table_cell(t, row, c_type) : "n/a";
    if (strcmp(type, "n/a") && type[0])
        return type;
    const char *value = c_value >= 0 ? emg_table_cell(t, row, c_value) : "n/a";
    return strcmp(value, "n/a") && value[0] ? value : "event";
}

static int apply_events(const char *path, emg_header *h, emg_error *err)
{
    emg_table t;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, err);
    int c_onset = rc < 0 ? rc : column_or_fail(&t, "onset", path, "events.tsv", err);
    int c_duration = c_onset < 0 ? c_onset : column_or_fail(&t, "duration", path, "events.tsv",
                                                            err);
    rc = c_duration < 0 ? c_duration : EMG_OK;
    int c_type = emg_table_column(&t, "trial_type"), c_value = emg_table_column(&t, "value");
    int c_channel = emg_table_column(&t, "channel");
    if (rc >= 0 && h->n_annotations > 0) {
        rc = emg_header_add_note(h, err, "%s: holds the recording's events; the %zu annotations "
                                 "inside the data file are set aside", path, h->n_annotations);
        for (size_t i = 0; i < h->n_annotations; i++)
            free(h->annotations[i].text);
        h->n_annotations = 0;
    }
    size_t unknown = 0;
    for (size_t row = 0; rc >= 0 && row < t.n_rows; row++) {
        double onset, duration;
        rc = emg_table_event_span(&t, row, c_onset, c_duration, path, &onset, &duration, err);
        const char *name = c_channel >= 0 ? emg_table_cell(&t, row, c_channel) : "n/a";
        int channel = strcmp(name, "n/a") ? channel_by_name(h, name) : -1;
        if (channel < 0 && strcmp(name, "n/a"))
            unknown++;
        if (rc >= 0)
            rc = emg_header_add_annotation(h, onset, duration, channel,
                                           event_text(&t, row, c_type, c_value), err);
    }
    if (rc >= 0 && unknown)
        rc = emg_header_add_note(h, err, "%s: %zu events name a channel the data file does not "
                                 "have: read as events of the whole recording", path, unknown);
    emg_table_free(&t);
    return rc;
}

int emgi_bids_apply_sidecars(const char *data_path, emg_header *h, emg_error *err)
{
    char stem[4096], path[4200];
    if (!emgi_bids_sidecar_stem(data_path, stem, sizeof stem))
        return EMG_OK;
    int rc = EMG_OK;
    snprintf(path, sizeof path, "%s_channels.tsv", stem);
    if (access(path, F_OK) == 0)
        rc = apply_channels(path, h, err);
    snprintf(path, sizeof path, "%s_events.tsv", stem);
    if (rc >= 0 && access(path, F_OK) == 0)
        rc = apply_events(path, h, err);
    return rc;
}

/* A dataset root opens its only recording (io.c). */
int emgi_bids_single_recording(const char *root, char *out, size_t n, emg_error *err)
{
    char **paths;
    size_t count;
    int rc = emg_bids_recordings(root, &paths, &count, err);
    if (rc < 0)
        return rc;
    if (count > 1)
        rc = emg_error_set(err, EMG_ERR_ARG,
                           "%s: BIDS dataset of %zu recordings; name one (%s), or give the "
                           "dataset to a tool that takes many inputs",
                           root, count, paths[0]);
    else
        emgi_strlcpy(out, paths[0], n);
    emg_files_free(paths, count);
    return rc;
}
