/* io_hdf5_nwb.c: NWB 2.x files (Ruebel et al. 2022, eLife 11:e78362).
 *
 * Each TimeSeries or ElectricalSeries group directly under /acquisition with
 * numeric data and a rate (starting_time@rate, or regular timestamps) becomes
 * channels: physical = data * conversion * channel_conversion + offset.
 * AnnotationSeries and /intervals tables become annotations (emgkit's own
 * /intervals/annotations with their texts and channels); the session start
 * time, description and subject fill the header.  docs/hdf5-layout.md
 * describes the mapping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io_hdf5_internal.h"

/* "2019-03-05T10:00:00.123456-05:00" -> "2019-03-05T10:00:00.123456" (local time). */
static void nwb_start_time(const char *iso, char out[40])
{
    int y, mo, d, h = 0, mi = 0;
    double s = 0;
    int used = 0;
    if (sscanf(iso, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return;
    if (iso[used] == 'T' || iso[used] == ' ')
        sscanf(iso + used + 1, "%2d:%2d:%lf", &h, &mi, &s);
    emg_time_format(out, y, mo, d, h, mi, s);
}

/* Move an ISO start time forward by seconds (NWB starting_time). */
static void shift_start_time(char start[40], double seconds)
{
    int y, mo, d, h, mi;
    double s;
    if (!start[0] || seconds == 0 || emg_time_parse(start, &y, &mo, &d, &h, &mi, &s) < 0)
        return;
    double whole = floor(s + seconds);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = 0};
    time_t t = timegm(&tm) + (time_t)whole;
    struct tm out;
    if (!gmtime_r(&t, &out))
        return;
    emg_time_format(start, out.tm_year + 1900, out.tm_mon + 1, out.tm_mday, out.tm_hour,
                    out.tm_min, out.tm_sec + (s + seconds - whole));
}

/* NWB units are words ("volts"); the rest of emgkit uses symbols. */
static void nwb_unit(const char *unit, char *out, size_t n)
{
    static const char *const map[][2] = {{"volts", "V"},         {"volt", "V"},
                                         {"millivolts", "mV"},   {"microvolts", "uV"},
                                         {"newtons", "N"},       {"seconds", "s"},
                                         {"n/a", ""}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (emgi_str_ieq(unit, map[i][0])) {
            emgi_strlcpy(out, map[i][1], n);
            return;
        }
    emgi_strlcpy(out, unit, n);
}

/* Rate and start of a series from its timestamps, scanned in passes; notes irregular
 * steps.  0 = done, 1 = series skipped (a single sample), < 0 error. */
static int nwb_timestamps(h5_reader *r, hid_t group, const char *name, double *fs, double *t0,
                          emg_header *hdr, emg_error *err)
{
    h5_series ts = {0};
    ts.dset = H5Dopen2(group, "timestamps", H5P_DEFAULT);
    hid_t space = ts.dset >= 0 ? H5Dget_space(ts.dset) : H5I_INVALID_HID;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank == 1)
        H5Sget_simple_extent_dims(space, &ts.n_rows, NULL);
    emgi_h5_close_id(&space, H5Sclose);
    ts.n_cols = 1;
    if (rank == 1 && ts.n_rows < 2) {
        /* A single sample has no rate: skip the series rather than the file. */
        emgi_h5_close_id(&ts.dset, H5Dclose);
        int rc = emg_header_add_note(hdr, err,
                                     "%s: /acquisition/%s skipped: fewer than 2 timestamps",
                                     r->path, name);
        return rc < 0 ? rc : 1;
    }
    if (rank != 1 || !emgi_h5_plausible_length(r->file, ts.dset, ts.n_rows, 1)) {
        emgi_h5_close_id(&ts.dset, H5Dclose);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: /acquisition/%s: timestamps unusable",
                             r->path, name);
    }
    double first = 0, last = 0, min_step = INFINITY, max_step = -INFINITY, prev = NAN;
    int rc = EMG_OK;
    for (hsize_t row = 0; row < ts.n_rows; row += HDF5_SCAN_ROWS) {
        hsize_t n = ts.n_rows - row < HDF5_SCAN_ROWS ? ts.n_rows - row : HDF5_SCAN_ROWS;
        if ((rc = emgi_h5_ensure_scratch(r, (size_t)n, err)) < 0)
            break;
        if (emgi_h5_read_rows(&ts, row, n, r->scratch) < 0) {
            rc = emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot read NWB timestamps");
            break;
        }
        for (hsize_t j = 0; j < n; j++) {
            double t = r->scratch[j];
            if (row + j == 0)
                first = t;
            else if (t - prev < min_step)
                min_step = t - prev;
            if (row + j > 0 && t - prev > max_step)
                max_step = t - prev;
            prev = last = t;
        }
    }
    emgi_h5_close_id(&ts.dset, H5Dclose);
    if (rc < 0)
        return rc;
    double step = (last - first) / (double)(ts.n_rows - 1);
    if (!(step > 0))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: /acquisition/%s: timestamps do not increase",
                             r->path, name);
    *fs = 1.0 / step;
    *t0 = first;
    /* Sampling clocks jitter a little; more than 1% of a step is a real irregularity. */
    if (max_step - min_step > 0.01 * step)
        rc = emg_header_add_note(hdr, err,
                                 "%s: /acquisition/%s: timestamps irregular (steps %.9g to %.9g s); "
                                 "read as uniform at %.9g Hz",
                                 r->path, name, min_step, max_step, *fs);
    return rc;
}

/* Electrode labels for the columns of an ElectricalSeries, from the electrodes
 * table's "label" column (or "location" when there is no label). */
static char **nwb_electrode_names(h5_reader *r, hid_t group, size_t n_cols)
{
    double *rows = NULL;
    size_t n_rows = 0, n_labels = 0;
    char **labels = NULL, **names = NULL;
    if (emgi_h5_dataset_doubles(group, "electrodes", &rows, &n_rows) < 0 || n_rows != n_cols)
        goto done;
    if (emgi_h5_dataset_strings(r->file, "/general/extracellular_ephys/electrodes/label", &labels,
                        &n_labels) < 0 &&
        emgi_h5_dataset_strings(r->file, "/general/extracellular_ephys/electrodes/location", &labels,
                        &n_labels) < 0)
        goto done;
    names = calloc(n_cols, sizeof *names);
    for (size_t c = 0; names && c < n_cols; c++) {
        size_t row = rows[c] >= 0 ? (size_t)rows[c] : n_labels;
        names[c] = row < n_labels ? labels[row] : NULL;
        if (row < n_labels)
            labels[row] = NULL;
    }
    /* A location shared by several electrodes names none of them. */
    for (size_t c = 0; names && c < n_cols; c++)
        for (size_t k = 0; k < c; k++)
            if (!names[c] || (names[k] && !strcmp(names[k], names[c]))) {
                emgi_h5_free_strings(names, n_cols);
                names = NULL;
                break;
            }
done:
    free(rows);
    emgi_h5_free_strings(labels, n_labels);
    return names;
}

static int nwb_series(h5_reader *r, const char *name, emg_header *hdr, double *t0,
                      emg_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/acquisition/%s", name);
    hid_t group = H5Gopen2(r->file, path, H5P_DEFAULT);
    if (group < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot open an /acquisition group");
    int rc = 1; /* 1 = skipped */
    hid_t dset = emgi_h5_link_exists(group, "data") ? H5Dopen2(group, "data", H5P_DEFAULT)
                                            : H5I_INVALID_HID;
    double fs = 0;
    *t0 = 0;
    if (dset >= 0 && emgi_h5_dataset_is_numeric(dset)) {
        double *start = NULL;
        size_t n_start = 0;
        if (emgi_h5_dataset_doubles(group, "starting_time", &start, &n_start) == 0 && n_start == 1) {
            hid_t st = H5Dopen2(group, "starting_time", H5P_DEFAULT);
            fs = emgi_h5_attr_double(st, "rate", 0);
            emgi_h5_close_id(&st, H5Dclose);
            *t0 = start[0];
            rc = 0;
        } else if (emgi_h5_link_exists(group, "timestamps")) {
            rc = nwb_timestamps(r, group, name, &fs, t0, hdr, err);
        }
        free(start);
    }
    if (rc == 0 && !(fs > 0))
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: %s: no sampling rate", r->path, path);
    if (rc != 0) {
        emgi_h5_close_id(&dset, H5Dclose);
        emgi_h5_close_id(&group, H5Gclose);
        return rc;
    }
    char unit[EMG_UNIT_MAX] = "", type[64] = "TimeSeries";
    emgi_h5_attr_string(dset, "unit", unit, sizeof unit);
    emgi_h5_attr_string(group, "neurodata_type", type, sizeof type);
    char description[EMG_TEXT_MAX] = "";
    emgi_h5_attr_string(group, "description", description, sizeof description);
    double conversion = emgi_h5_attr_double(dset, "conversion", 1.0);
    double offset = emgi_h5_attr_double(dset, "offset", 0.0);
    int integer = emgi_h5_dataset_is_integer(dset);
    int32_t lo, hi;
    emgi_h5_integer_range(dset, &lo, &hi);
    h5_series *s = NULL;
    rc = emgi_h5_add_series(r, dset, fs, err, &s);
    double *per_channel = NULL;
    size_t n_per_channel = 0;
    if (rc >= 0)
        emgi_h5_dataset_doubles(group, "channel_conversion", &per_channel, &n_per_channel);
    char **names = rc >= 0 ? nwb_electrode_names(r, group, (size_t)s->n_cols) : NULL;
    size_t n_names = names ? (size_t)s->n_cols : 0;
    for (hsize_t c = 0; rc >= 0 && c < s->n_cols; c++) {
        double scale = conversion * (c < n_per_channel ? per_channel[c] : 1.0);
        s->scale[c] = scale;
        s->offset[c] = offset;
        emg_channel ch;
        emg_channel_init(&ch);
        if (names)
            emgi_strlcpy(ch.name, names[c], sizeof ch.name);
        else if (s->n_cols == 1)
            emgi_strlcpy(ch.name, name, sizeof ch.name);
        else
            snprintf(ch.name, sizeof ch.name, "%.40s %llu", name, (unsigned long long)c + 1);
        nwb_unit(unit, ch.unit, sizeof ch.unit);
        if (description[0] && strcmp(description, "no description"))
            emgi_strlcpy(ch.transducer, description, sizeof ch.transducer);
        else
            snprintf(ch.transducer, sizeof ch.transducer, "NWB %.40s %.40s", type, name);
        ch.fs = fs;
        ch.n_samples = (int64_t)s->n_rows;
        if (integer && scale != 0) {
            ch.gain = 1.0 / scale;
            ch.baseline = offset != 0 ? -offset / scale : 0;
            ch.digital_min = lo;
            ch.digital_max = hi;
        }
        r->n_channels++;
        rc = emg_header_add_channel(hdr, &ch, err);
    }
    free(per_channel);
    emgi_h5_free_strings(names, n_names);
    emgi_h5_close_id(&group, H5Gclose);
    return rc < 0 ? rc : 0;
}

/* Text events of an AnnotationSeries (string data with timestamps) as annotations. */
static int nwb_annotation_series(h5_reader *r, const char *name, double origin, emg_header *hdr,
                                 emg_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/acquisition/%s", name);
    hid_t group = H5Gopen2(r->file, path, H5P_DEFAULT);
    char **text = NULL;
    double *times = NULL;
    size_t n_text = 0, n_times = 0;
    int rc = EMG_OK;
    if (group >= 0 && emgi_h5_dataset_strings(group, "data", &text, &n_text) == 0 &&
        emgi_h5_dataset_doubles(group, "timestamps", &times, &n_times) == 0)
        for (size_t i = 0; rc >= 0 && i < n_text && i < n_times; i++)
            rc = emg_header_add_annotation(hdr, times[i] - origin, 0, -1, text[i], err);
    emgi_h5_free_strings(text, n_text);
    free(times);
    emgi_h5_close_id(&group, H5Gclose);
    return rc;
}

/* The channel an interval's "channel" cell names (exactly), or -1. */
static int nwb_channel_index(const emg_header *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n_channels; i++)
        if (!strcmp(hdr->channels[i].name, name))
            return (int)i;
    return -1;
}

/* Rows of the TimeIntervals tables under /intervals (trials, epochs, ...) as
 * annotations "<table>" or "<table>: <label>" spanning start_time..stop_time. */
static int nwb_intervals(h5_reader *r, double origin, emg_header *hdr, emg_error *err)
{
    hid_t intervals = emgi_h5_link_exists(r->file, "/intervals")
                          ? H5Gopen2(r->file, "/intervals", H5P_DEFAULT)
                          : H5I_INVALID_HID;
    name_list tables;
    if (intervals < 0 || emgi_h5_list_groups(intervals, &tables) < 0) {
        emgi_h5_close_id(&intervals, H5Gclose);
        return EMG_OK;
    }
    int rc = EMG_OK;
    for (size_t t = 0; rc >= 0 && t < tables.n; t++) {
        hid_t g = H5Gopen2(intervals, tables.names[t], H5P_DEFAULT);
        double *start = NULL, *stop = NULL;
        char **label = NULL, **channel = NULL;
        size_t n_start = 0, n_stop = 0, n_label = 0, n_channel = 0;
        /* emgkit's own table (io_nwb_write.c) holds the texts themselves. */
        int own = !strcmp(tables.names[t], NWB_ANNOTATION_TABLE);
        if (g >= 0 && emgi_h5_dataset_doubles(g, "start_time", &start, &n_start) == 0 &&
            emgi_h5_dataset_doubles(g, "stop_time", &stop, &n_stop) == 0) {
            emgi_h5_dataset_strings(g, "label", &label, &n_label);
            emgi_h5_dataset_strings(g, "channel", &channel, &n_channel);
            for (size_t i = 0; rc >= 0 && i < n_start && i < n_stop; i++) {
                char text[EMG_TEXT_MAX * 2];
                if (own && i < n_label)
                    snprintf(text, sizeof text, "%s", label[i]);
                else if (i < n_label && label[i][0])
                    snprintf(text, sizeof text, "%.90s: %.90s", tables.names[t], label[i]);
                else
                    snprintf(text, sizeof text, "%.90s", tables.names[t]);
                int ch = i < n_channel ? nwb_channel_index(hdr, channel[i]) : -1;
                rc = emg_header_add_annotation(hdr, start[i] - origin, stop[i] - start[i], ch,
                                               text, err);
            }
        }
        free(start);
        free(stop);
        emgi_h5_free_strings(label, n_label);
        emgi_h5_free_strings(channel, n_channel);
        emgi_h5_close_id(&g, H5Gclose);
    }
    emgi_h5_free_strings(tables.names, tables.n);
    emgi_h5_close_id(&intervals, H5Gclose);
    return rc;
}

int emgi_h5_open_nwb(h5_reader *r, emg_header *hdr, emg_error *err)
{
    char **text;
    size_t n;
    if (emgi_h5_dataset_strings(r->file, "/session_start_time", &text, &n) == 0) {
        if (n > 0)
            nwb_start_time(text[0], hdr->start_time);
        emgi_h5_free_strings(text, n);
    }
    if (emgi_h5_dataset_strings(r->file, "/session_description", &text, &n) == 0) {
        if (n > 0)
            emgi_strlcpy(hdr->recording, text[0], sizeof hdr->recording);
        emgi_h5_free_strings(text, n);
    }
    if (emgi_h5_dataset_strings(r->file, "/general/subject/subject_id", &text, &n) == 0) {
        if (n > 0)
            emgi_strlcpy(hdr->subject, text[0], sizeof hdr->subject);
        emgi_h5_free_strings(text, n);
    }
    hid_t acq = H5Gopen2(r->file, "/acquisition", H5P_DEFAULT);
    name_list groups;
    int rc = acq >= 0 && emgi_h5_list_groups_in_order(acq, &groups) == 0
                 ? EMG_OK
                 : emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot list /acquisition");
    emgi_h5_close_id(&acq, H5Gclose);
    if (rc < 0)
        return rc;
    double first_start = INFINITY, *starts = calloc(groups.n + 1, sizeof *starts);
    size_t used = 0;
    char **used_names = calloc(groups.n + 1, sizeof *used_names);
    if (!starts || !used_names)
        rc = emg_error_set(err, EMG_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; rc >= 0 && i < groups.n; i++) {
        double t0 = 0;
        int got = nwb_series(r, groups.names[i], hdr, &t0, err);
        if (got < 0)
            rc = got;
        else if (got == 0) {
            starts[used] = t0;
            used_names[used++] = groups.names[i];
            if (t0 < first_start)
                first_start = t0;
        }
    }
    if (rc >= 0 && used == 0)
        rc = emg_error_set(err, EMG_ERR_UNSUPPORTED,
                           "%s: NWB file without a TimeSeries (data with starting_time or "
                           "timestamps) under /acquisition",
                           r->path);
    if (rc >= 0)
        shift_start_time(hdr->start_time, first_start);
    /* Annotations: onsets in NWB are from the session start, emgkit's from the first sample. */
    for (size_t i = 0; rc >= 0 && i < groups.n; i++) {
        char type[64] = "", path[512];
        snprintf(path, sizeof path, "/acquisition/%s", groups.names[i]);
        hid_t g = H5Gopen2(r->file, path, H5P_DEFAULT);
        if (g >= 0)
            emgi_h5_attr_string(g, "neurodata_type", type, sizeof type);
        emgi_h5_close_id(&g, H5Gclose);
        if (!strcmp(type, "AnnotationSeries"))
            rc = nwb_annotation_series(r, groups.names[i], first_start, hdr, err);
    }
    if (rc >= 0)
        rc = nwb_intervals(r, first_start, hdr, err);
    /* Series that start later are not padded: say so rather than shift them silently. */
    for (size_t i = 0; rc >= 0 && i < used; i++)
        if (starts[i] - first_start > 1e-9)
            rc = emg_header_add_note(hdr, err,
                                     "%s: /acquisition/%s starts %.6g s after the first series; "
                                     "its samples are read from the recording start",
                                     r->path, used_names[i], starts[i] - first_start);
    free(starts);
    free(used_names);
    emgi_h5_free_strings(groups.names, groups.n);
    return rc;
}

int emgi_h5_is_nwb(hid_t file)
{
    return emgi_h5_link_exists(file, "/acquisition") &&
           (H5Aexists(file, "nwb_version") > 0 || emgi_h5_link_exists(file, "/session_start_time"));
}
