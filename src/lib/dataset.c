/* dataset.c: building a labelled dataset (include/emgkit/dataset.h; layout
 * in docs/dataset-layout.md).  This file cuts recordings into rows, labels
 * them and keeps the running state (vocabulary, subjects, checksums);
 * dataset_h5.c writes, dataset_split.c assigns subjects to splits. */
#include "emgkit/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emgkit/emgkit.h"
#include "emgkit/io.h"
#include "resample_internal.h"
#include "dataset_internal.h"
#include "io_hdf5_internal.h"
#include "sha256_internal.h"

/* Rows cut, featured and written at a time (bounds memory on long recordings). */
enum { ROWS_PER_PASS = 256 };
/* A window takes the label of an event that covers at least this fraction of it. */
#define LABEL_COVER_MIN 0.5

/* Evidence columns of the event that gave a row its label, copied into /rows
 * under the same names and units as in the event tables (docs/event-tables.md);
 * NaN when the table has no such column or no event gave the label. */
static const char *const EVIDENCE_COLUMNS[] = {"confidence", "rate_hz", "interval_cv", "burst_ms"};
#define N_EVIDENCE (sizeof EVIDENCE_COLUMNS / sizeof *EVIDENCE_COLUMNS)

struct emg_dataset {
    emg_dataset_options o;
    char *parameters, *background, *skip;
    size_t *feature_ids;
    char final[4096], tmp[4096];
    hid_t file;
    int in_place; /* an append: d->file is the dataset itself */
    size_t channels, length;
    double rate;
    size_t rows_before, rows;
    int build;
    char **vocab;
    size_t n_vocab;
    ds_subject *subjects;
    size_t n_subjects;
    size_t *new_row_subject; /* rows added in this run: their subject */
    size_t new_cap;
    char (*sums)[65];
    size_t n_sums;
    emg_feature_extractor *fx;
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int fail_h5(emg_dataset *d, emg_error *err, const char *what)
{
    return emgi_h5_fail(err, EMG_ERR_OUTPUT, d->final, what);
}

static int label_code(emg_dataset *d, const char *label, emg_error *err)
{
    for (size_t i = 0; i < d->n_vocab; i++)
        if (!strcmp(d->vocab[i], label))
            return (int)i;
    char **v = realloc(d->vocab, (d->n_vocab + 1) * sizeof *v);
    if (!v)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    d->vocab = v;
    if (!(v[d->n_vocab] = strdup(label)))
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    for (size_t s = 0; s < d->n_subjects; s++) {
        size_t *c = realloc(d->subjects[s].class_rows, (d->n_vocab + 1) * sizeof *c);
        if (!c)
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        c[d->n_vocab] = 0;
        d->subjects[s].class_rows = c;
    }
    return (int)d->n_vocab++;
}

static int subject_index(emg_dataset *d, const char *name, emg_error *err)
{
    for (size_t s = 0; s < d->n_subjects; s++)
        if (!strcmp(d->subjects[s].name, name))
            return (int)s;
    ds_subject *p = realloc(d->subjects, (d->n_subjects + 1) * sizeof *p);
    if (!p)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    d->subjects = p;
    ds_subject *s = &p[d->n_subjects];
    s->name = strdup(name);
    s->split = -1;
    s->rows = 0;
    s->class_rows = calloc(d->n_vocab + 1, sizeof *s->class_rows);
    if (!s->name || !s->class_rows)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    return (int)d->n_subjects++;
}

static int count_row(emg_dataset *d, int subject, int code, emg_error *err)
{
    d->subjects[subject].rows++;
    d->subjects[subject].class_rows[code]++;
    if (d->rows - d->rows_before + 1 > d->new_cap) {
        size_t cap = 2 * d->new_cap + 256;
        size_t *p = realloc(d->new_row_subject, cap * sizeof *p);
        if (!p)
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        d->new_row_subject = p, d->new_cap = cap;
    }
    d->new_row_subject[d->rows - d->rows_before] = (size_t)subject;
    d->rows++;
    return EMG_OK;
}

/* ---- opening ------------------------------------------------------------ */

/* The state an append continues from: parameters, shape, vocabulary,
 * subjects with their splits and class counts, input checksums. */
static int load_existing(emg_dataset *d, emg_error *err)
{
    char stored[8192] = "", layout[64] = "";
    if (emgi_h5_attr_string(d->file, "layout", layout, sizeof layout) < 0 ||
        strcmp(layout, "emgkit-dataset") || emgi_h5_attr_string(d->file, "parameters", stored,
                                                                  sizeof stored) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: not an emgkit dataset", d->final);
    if (strcmp(stored, d->parameters))
        return emg_error_set(err, EMG_ERR_ARG,
                             "%s: built with other options (%s); an append must repeat them",
                             d->final, stored);
    d->channels = (size_t)emgi_h5_attr_double(d->file, "channels", 0);
    d->length = (size_t)emgi_h5_attr_double(d->file, "length", 0);
    d->rate = emgi_h5_attr_double(d->file, "rate", 0);
    d->build = (int)emgi_h5_attr_double(d->file, "builds", 0);
    if (emgi_h5_attr_double(d->file, DS_APPEND_MARK, 0) != 0)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: an earlier append was interrupted: the rows it committed read "
                             "back intact, but HDF5 may have written part of its index; rebuild "
                             "the dataset from its inputs (/provenance/inputs)", d->final);
    if (ds_trim_to_committed(d->file) < 0)
        return fail_h5(d, err, "cannot drop the rows of an interrupted append");
    if (ds_attr_double(d->file, DS_APPEND_MARK, 1) < 0 || H5Fflush(d->file, H5F_SCOPE_GLOBAL) < 0)
        return fail_h5(d, err, "cannot mark the append");
    d->in_place = 1; /* from here a failure rolls back (emg_dataset_abort) */
    char **labels = NULL, **row_subjects = NULL, **subjects = NULL, **splits = NULL, **sums = NULL;
    size_t n_labels = 0, n_rows = 0, n_subj = 0, n_splits = 0, n_codes = 0, n_sums = 0;
    double *codes = NULL;
    int rc = EMG_OK;
    if (emgi_h5_dataset_strings(d->file, "classes/label", &labels, &n_labels) < 0 ||
        emgi_h5_dataset_strings(d->file, "rows/subject", &row_subjects, &n_rows) < 0 ||
        emgi_h5_dataset_strings(d->file, "subjects/subject", &subjects, &n_subj) < 0 ||
        emgi_h5_dataset_strings(d->file, "subjects/split", &splits, &n_splits) < 0 ||
        emgi_h5_dataset_strings(d->file, "provenance/inputs/sha256", &sums, &n_sums) < 0 ||
        emgi_h5_dataset_doubles(d->file, "labels", &codes, &n_codes) < 0 || n_codes != n_rows ||
        n_subj != n_splits || !d->channels || !d->length || !(d->rate > 0))
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: dataset tables missing or inconsistent",
                           d->final);
    for (size_t i = 0; rc == EMG_OK && i < n_labels; i++)
        rc = label_code(d, labels[i], err) < 0 ? EMG_ERR_NOMEM : EMG_OK;
    for (size_t i = 0; rc == EMG_OK && i < n_subj; i++) {
        int s = subject_index(d, subjects[i], err);
        rc = s < 0 ? s : EMG_OK;
        for (int k = 0; rc == EMG_OK && k < EMG_DATASET_SPLITS; k++)
            if (!strcmp(splits[i], emgi_dataset_split_names[k]))
                d->subjects[s].split = k;
    }
    for (size_t r = 0; rc == EMG_OK && r < n_rows; r++) {
        int s = subject_index(d, row_subjects[r], err);
        size_t code = (size_t)codes[r];
        if (s < 0 || code >= d->n_vocab) {
            rc = s < 0 ? s : emg_error_set(err, EMG_ERR_FORMAT, "%s: label code out of range", d->final);
            break;
        }
        d->subjects[s].rows++;
        d->subjects[s].class_rows[code]++;
    }
    d->rows = d->rows_before = n_rows;
    if (rc == EMG_OK && n_sums && !(d->sums = malloc(n_sums * sizeof *d->sums)))
        rc = emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == EMG_OK && i < n_sums; i++)
        emgi_strlcpy(d->sums[d->n_sums++], sums[i], 65);
    emgi_h5_free_strings(labels, n_labels);
    emgi_h5_free_strings(row_subjects, n_rows);
    emgi_h5_free_strings(subjects, n_subj);
    emgi_h5_free_strings(splits, n_splits);
    emgi_h5_free_strings(sums, n_sums);
    free(codes);
    return rc;
}

static int copy_options(emg_dataset *d, const emg_dataset_options *o, emg_error *err)
{
    d->o = *o;
    d->parameters = dup_or_empty(o->parameters);
    d->background = dup_or_empty(o->background ? o->background : "rest");
    d->skip = dup_or_empty(o->skip_labels);
    d->feature_ids = malloc((o->n_features ? o->n_features : 1) * sizeof *d->feature_ids);
    if (!d->parameters || !d->background || !d->skip || !d->feature_ids)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    if (o->n_features)
        memcpy(d->feature_ids, o->feature_ids, o->n_features * sizeof *d->feature_ids);
    d->o.parameters = d->parameters, d->o.background = d->background, d->o.skip_labels = d->skip;
    d->o.feature_ids = d->feature_ids;
    d->channels = o->max_channels;
    return EMG_OK;
}

static int open_dataset(emg_dataset *d, const char *path, int append, emg_error *err)
{
    emgi_strlcpy(d->final, path, sizeof d->final);
    int rc = emg_temp_path(d->tmp, sizeof d->tmp, path, err);
    if (rc < 0)
        return rc;
    if (append) { /* in place: docs/dataset-layout.md, "Appending" */
        d->tmp[0] = '\0';
        d->file = ds_file_open_append(path);
        if (d->file < 0)
            return emgi_h5_fail(err, EMG_ERR_FORMAT, path, "cannot open the dataset");
        return load_existing(d, err);
    }
    d->file = ds_file_create(d->tmp);
    return d->file < 0 ? fail_h5(d, err, "cannot create the HDF5 file") : EMG_OK;
}

int emg_dataset_open(emg_dataset **out, const char *path, int append,
                     const emg_dataset_options *opts, emg_error *err)
{
    *out = NULL;
    emg_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    d->file = -1;
    h5_quiet q = h5_quiet_begin();
    int rc = copy_options(d, opts, err);
    if (rc == EMG_OK)
        rc = open_dataset(d, path, append, err);
    h5_quiet_end(q);
    if (rc < 0) {
        emg_dataset_abort(d);
        return rc;
    }
    d->build++;
    *out = d;
    return EMG_OK;
}

size_t emg_dataset_channels(const emg_dataset *d)
{
    return d->channels;
}

/* ---- one recording ------------------------------------------------------ */

typedef struct source_event {
    double onset, duration;
    const char *label;
    double evidence[N_EVIDENCE];
} source_event;

static int skipped(const char *skip, const char *label)
{
    size_t n = strlen(label);
    for (const char *p = skip; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, label, n))
            return 1;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

/* A recording's context marker ("context rest", "context=sleep"; what
 * emg-synth annotates and a BIDS export keeps as an event): it says in which
 * context the events happened, it is no event to learn. */
static int context_marker(const char *label)
{
    if (strncasecmp(label, "context", 7) || !strchr(" =:", label[7]) || !label[7])
        return 0;
    const char *word = label + 8;
    while (*word == ' ' || *word == '=' || *word == ':')
        word++;
    emg_context c;
    return emg_context_from_name(word, &c, NULL) == 0;
}

static int read_events(const emg_dataset *d, const emg_table *t, const char *path,
                       source_event **out, size_t *n, emg_error *err)
{
    int c_on = emg_table_column(t, "onset"), c_dur = emg_table_column(t, "duration");
    int c_lab = emg_table_column(t, "label");
    if (c_lab < 0)
        c_lab = emg_table_column(t, "trial_type"); /* a BIDS _events.tsv */
    *out = NULL, *n = 0;
    if (c_on < 0 || c_dur < 0 || c_lab < 0)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: needs onset, duration and label (or trial_type) columns", path);
    source_event *ev = malloc((t->n_rows ? t->n_rows : 1) * sizeof *ev);
    if (!ev)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    int c_evidence[N_EVIDENCE];
    for (size_t k = 0; k < N_EVIDENCE; k++)
        c_evidence[k] = emg_table_column(t, EVIDENCE_COLUMNS[k]);
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *label = emg_table_cell(t, r, c_lab);
        if (skipped(d->skip, label) || context_marker(label))
            continue;
        int rc = emg_table_event_span(t, r, c_on, c_dur, path, &ev[*n].onset, &ev[*n].duration, err);
        if (rc < 0) {
            free(ev);
            return rc;
        }
        for (size_t k = 0; k < N_EVIDENCE; k++)
            ev[*n].evidence[k] = c_evidence[k] >= 0 ? emg_table_num(t, r, c_evidence[k]) : NAN;
        ev[(*n)++].label = label;
    }
    *out = ev;
    return EMG_OK;
}

/* The event that labels window [t0, t1): the one covering most of it, if at
 * least LABEL_COVER_MIN of it (ties go to the earlier event in the table), or
 * NULL (the background label). */
static const source_event *window_event(const source_event *ev, size_t n, double t0, double t1)
{
    const source_event *best = NULL;
    double best_cover = LABEL_COVER_MIN * (t1 - t0) - 1e-12;
    for (size_t i = 0; i < n; i++) {
        double cover = fmin(t1, ev[i].onset + ev[i].duration) - fmax(t0, ev[i].onset);
        if (cover > best_cover)
            best_cover = cover, best = &ev[i];
    }
    return best;
}

/* The recording's channels at the dataset rate (resampled when asked). */
typedef struct rate_channels {
    double **data;
    size_t *n;
    size_t longest;
    double source_rate;
} rate_channels;

static void rate_channels_free(rate_channels *rc, size_t n_channels)
{
    for (size_t c = 0; rc->data && c < n_channels; c++)
        free(rc->data[c]);
    free(rc->data);
    free(rc->n);
}

static int to_dataset_rate(emg_dataset *d, const emg_dataset_source *src, const emg_recording *rec,
                           rate_channels *out, emg_error *err)
{
    const emg_header *h = &rec->header;
    out->data = calloc(h->n_channels, sizeof *out->data);
    out->n = calloc(h->n_channels, sizeof *out->n);
    out->longest = 0;
    out->source_rate = h->n_channels ? h->channels[0].fs : 0;
    if (!out->data || !out->n)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < h->n_channels; c++) {
        double fs = h->channels[c].fs;
        out->source_rate = fmax(out->source_rate, fs);
        if (!(d->o.rate > 0)) {
            if (!(d->rate > 0))
                d->rate = fs;
            if (fabs(fs - d->rate) > 1e-9 * d->rate)
                return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                                     "%s: channel '%s' at %g Hz, the dataset at %g Hz: use --rate",
                                     src->file, h->channels[c].name, fs, d->rate);
        }
        size_t n = (size_t)h->channels[c].n_samples;
        long up = 1, down = 1;
        if (d->o.rate > 0 && emgi_resample_ratio(fs, d->o.rate, &up, &down, err) < 0) {
            char why[EMG_ERROR_MESSAGE_MAX];
            emgi_strlcpy(why, err->message, sizeof why);
            return emg_error_set(err, err->status, "%s: %.400s", src->file, why);
        }
        out->n[c] = emgi_resample_length(n, up, down);
        if (!(out->data[c] = malloc((out->n[c] + 1) * sizeof(double))))
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        int rc = emgi_resample_poly(rec->data[c], n, up, down, out->data[c], err);
        if (rc < 0)
            return rc;
        if (out->n[c] > out->longest)
            out->longest = out->n[c];
    }
    if (d->o.rate > 0)
        d->rate = d->o.rate;
    return EMG_OK;
}

/* One row waiting to be written. */
typedef struct pending_row {
    long long start;      /* first sample at the dataset rate */
    double onset, duration;
    const char *label;
    const source_event *event; /* that gave the label, or NULL */
} pending_row;

typedef struct row_batch {
    pending_row *rows;
    size_t n, cap;
} row_batch;

static int push_row(row_batch *b, long long start, double onset, double duration, const char *label,
                    const source_event *event, emg_error *err)
{
    if (b->n == b->cap) {
        size_t cap = 2 * b->cap + 64;
        pending_row *p = realloc(b->rows, cap * sizeof *p);
        if (!p)
            return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
        b->rows = p, b->cap = cap;
    }
    b->rows[b->n++] = (pending_row){start, onset, duration, label, event};
    return EMG_OK;
}

static int cut_rows(const emg_dataset *d, const emg_dataset_source *src, const source_event *ev,
                    size_t n_ev, size_t longest, row_batch *b, emg_error *err)
{
    double end = (double)longest / d->rate;
    if (d->o.cut == EMG_DATASET_EVENTS) {
        for (size_t i = 0; i < n_ev; i++) {
            if (ev[i].onset < 0 || ev[i].onset >= end)
                return emg_error_set(err, EMG_ERR_FORMAT,
                                     "%s: event '%s' at %g s lies outside the recording (0-%g s)",
                                     src->events, ev[i].label, ev[i].onset, end);
            int rc = push_row(b, llround(ev[i].onset * d->rate), ev[i].onset, ev[i].duration,
                              ev[i].label, &ev[i], err);
            if (rc < 0)
                return rc;
        }
        return EMG_OK;
    }
    long long step = llround(d->o.step_s * d->rate);
    for (long long s = 0; s + (long long)d->length <= (long long)longest; s += step) {
        double t0 = (double)s / d->rate, t1 = t0 + (double)d->length / d->rate;
        const source_event *e = window_event(ev, n_ev, t0, t1);
        int rc = push_row(b, s, t0, t1 - t0, e ? e->label : d->background, e, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

/* What the rows of one recording share, for the tables. */
typedef struct row_context {
    const emg_dataset_source *src;
    const char *subject;
    char *channel_list, *unit_list;
    double source_rate;
    int subject_index;
} row_context;

/* Samples, labels, row table and feature rows of rows[0..n). */
static int write_rows(emg_dataset *d, const row_context *ctx, const rate_channels *rc,
                      size_t n_channels, const pending_row *rows, size_t n, emg_error *err)
{
    size_t C = d->channels, L = d->length, F = d->o.n_features;
    float *samples = malloc(n * C * L * sizeof *samples);
    double *window = malloc(L * sizeof *window), *values = malloc((F + 1) * sizeof *values);
    int32_t *codes = malloc(n * sizeof *codes), *valid = malloc(n * sizeof *valid);
    double *onset = malloc(n * sizeof *onset), *duration = malloc(n * sizeof *duration);
    double *rate = malloc(n * sizeof *rate), *src_rate = malloc(n * sizeof *src_rate);
    double *evidence = malloc(n * N_EVIDENCE * sizeof *evidence);
    const char **labels = malloc(n * sizeof *labels);
    size_t n_feat = n * n_channels;
    int32_t *f_row = malloc((n_feat + 1) * sizeof *f_row), *f_ch = malloc((n_feat + 1) * sizeof *f_ch);
    int32_t *f_flags = malloc((n_feat + 1) * sizeof *f_flags);
    double *f_val = malloc((n_feat * F + 1) * sizeof *f_val);
    int status = EMG_OK;
    if (!samples || !window || !values || !codes || !valid || !onset || !duration || !rate ||
        !src_rate || !evidence || !labels || !f_row || !f_ch || !f_flags || !f_val)
        status = emg_error_set(err, EMG_ERR_NOMEM, "out of memory for %zu rows", n);
    size_t k = 0;
    for (size_t r = 0; status == EMG_OK && r < n; r++) {
        const pending_row *p = &rows[r];
        int code = label_code(d, p->label, err);
        if (code < 0 || (status = count_row(d, ctx->subject_index, code, err)) < 0) {
            status = code < 0 ? code : status;
            break;
        }
        codes[r] = code, onset[r] = p->onset, duration[r] = p->duration, labels[r] = p->label;
        rate[r] = d->rate, src_rate[r] = ctx->source_rate;
        for (size_t k = 0; k < N_EVIDENCE; k++) {
            double v = p->event ? p->event->evidence[k] : NAN;
            evidence[k * n + r] = isfinite(v) ? v : NAN;
        }
        valid[r] = 0;
        for (size_t c = 0; c < C; c++) {
            float *dst = samples + (r * C + c) * L;
            size_t got = 0;
            for (size_t i = 0; i < L; i++) {
                long long j = p->start + (long long)i;
                int inside = c < n_channels && j >= 0 && (size_t)j < rc->n[c];
                window[i] = inside ? rc->data[c][j] : NAN;
                dst[i] = (float)window[i];
                got += inside;
            }
            if (c == 0 || (int32_t)got > valid[r])
                valid[r] = (int32_t)got;
            if (c >= n_channels)
                continue; /* a padding channel: no feature row */
            unsigned flags = 0;
            if (emg_feature_extractor_run(d->fx, window, -1, values, &flags, err) < 0) {
                status = err->status;
                break;
            }
            f_row[k] = (int32_t)(d->rows - 1), f_ch[k] = (int32_t)c, f_flags[k] = (int32_t)flags;
            for (size_t i = 0; i < F; i++)
                f_val[i * n_feat + k] = isfinite(values[i]) ? values[i] : NAN;
            k++;
        }
    }
    hid_t rows_g = -1, feat_g = -1;
    if (status == EMG_OK) {
        const char **files = malloc(n * sizeof *files), **events = malloc(n * sizeof *events);
        const char **subjects = malloc(n * sizeof *subjects), **sessions = malloc(n * sizeof *sessions);
        const char **chans = malloc(n * sizeof *chans), **units = malloc(n * sizeof *units);
        int ok = files && events && subjects && sessions && chans && units;
        for (size_t r = 0; ok && r < n; r++)
            files[r] = ctx->src->file, events[r] = ctx->src->events, subjects[r] = ctx->subject,
            sessions[r] = ctx->src->session ? ctx->src->session : "", chans[r] = ctx->channel_list,
            units[r] = ctx->unit_list;
        rows_g = ds_group(d->file, "rows");
        feat_g = ds_group(d->file, "features");
        ok = ok && rows_g >= 0 && feat_g >= 0 && ds_samples_append(d->file, C, L, samples, n) == 0 &&
             ds_labels_append(d->file, codes, n) == 0 &&
             ds_column_append(rows_g, "file", DS_STR, files, n) == 0 &&
             ds_column_append(rows_g, "events", DS_STR, events, n) == 0 &&
             ds_column_append(rows_g, "subject", DS_STR, subjects, n) == 0 &&
             ds_column_append(rows_g, "session", DS_STR, sessions, n) == 0 &&
             ds_column_append(rows_g, "onset", DS_F64, onset, n) == 0 &&
             ds_column_append(rows_g, "duration", DS_F64, duration, n) == 0 &&
             ds_column_append(rows_g, "label", DS_STR, labels, n) == 0 &&
             ds_column_append(rows_g, "rate", DS_F64, rate, n) == 0 &&
             ds_column_append(rows_g, "source_rate", DS_F64, src_rate, n) == 0 &&
             ds_column_append(rows_g, "channels", DS_STR, chans, n) == 0 &&
             ds_column_append(rows_g, "units", DS_STR, units, n) == 0 &&
             ds_column_append(rows_g, "n_valid", DS_I32, valid, n) == 0 &&
             ds_column_append(feat_g, "row", DS_I32, f_row, k) == 0 &&
             ds_column_append(feat_g, "channel", DS_I32, f_ch, k) == 0;
        for (size_t k = 0; ok && k < N_EVIDENCE; k++)
            ok = ds_column_append(rows_g, EVIDENCE_COLUMNS[k], DS_F64, evidence + k * n, n) == 0;
        for (size_t i = 0; ok && i < F; i++)
            ok = ds_column_append(feat_g, emg_feature_name(d->o.feature_ids[i]), DS_F64,
                                  f_val + i * n_feat, k) == 0;
        ok = ok && ds_column_append(feat_g, "flags", DS_I32, f_flags, k) == 0;
        if (!ok)
            status = fail_h5(d, err, "cannot write rows");
        free(files), free(events), free(subjects), free(sessions), free(chans), free(units);
    }
    if (rows_g >= 0)
        H5Gclose(rows_g);
    if (feat_g >= 0)
        H5Gclose(feat_g);
    free(samples), free(window), free(values), free(codes), free(valid), free(onset);
    free(duration), free(rate), free(src_rate), free(evidence), free(labels);
    free(f_row), free(f_ch), free(f_flags), free(f_val);
    return status;
}

/* "a,b,c" of the recording's channel names (units: their units, "" unknown). */
static char *channel_list(const emg_header *h, int units)
{
    size_t len = 1;
    for (size_t c = 0; c < h->n_channels; c++)
        len += strlen(units ? h->channels[c].unit : h->channels[c].name) + 1;
    char *s = calloc(len, 1);
    for (size_t c = 0; s && c < h->n_channels; c++) {
        if (c)
            strcat(s, ",");
        strcat(s, units ? h->channels[c].unit : h->channels[c].name);
    }
    return s;
}

/* The file name without directory and extension (the default subject). */
static void file_stem(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    emgi_strlcpy(out, base ? base + 1 : path, n);
    char *dot = strchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int record_input(emg_dataset *d, const emg_dataset_source *src, const char *subject,
                        const char *sum, const char *events_sum, size_t rows, emg_error *err)
{
    hid_t g = ds_group(d->file, "provenance"), in = g < 0 ? -1 : ds_group(g, "inputs");
    const char *session = src->session ? src->session : "";
    int32_t n = (int32_t)rows, build = d->build;
    int ok = in >= 0 && ds_column_append(in, "file", DS_STR, &src->file, 1) == 0 &&
             ds_column_append(in, "events", DS_STR, &src->events, 1) == 0 &&
             ds_column_append(in, "subject", DS_STR, &subject, 1) == 0 &&
             ds_column_append(in, "session", DS_STR, &session, 1) == 0 &&
             ds_column_append(in, "sha256", DS_STR, &sum, 1) == 0 &&
             ds_column_append(in, "events_sha256", DS_STR, &events_sum, 1) == 0 &&
             ds_column_append(in, "rows", DS_I32, &n, 1) == 0 &&
             ds_column_append(in, "build", DS_I32, &build, 1) == 0;
    if (in >= 0)
        H5Gclose(in);
    if (g >= 0)
        H5Gclose(g);
    if (!ok)
        return fail_h5(d, err, "cannot write the provenance table");
    char (*s)[65] = realloc(d->sums, (d->n_sums + 1) * sizeof *s);
    if (!s)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    d->sums = s;
    emgi_strlcpy(d->sums[d->n_sums++], sum, 65);
    return EMG_OK;
}

static int ensure_shape(emg_dataset *d, const emg_dataset_source *src, const emg_header *h,
                        emg_error *err)
{
    if (!d->channels)
        d->channels = h->n_channels;
    if (h->n_channels > d->channels)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: %zu channels, the dataset's rows hold %zu (use -c or --max-channels)",
                             src->file, h->n_channels, d->channels);
    if (!d->length) {
        double l = round(d->o.window_s * d->rate);
        if (!(l >= 2))
            return emg_error_set(err, EMG_ERR_ARG, "%s: -w %g s is under 2 samples at %g Hz",
                                 src->file, d->o.window_s, d->rate);
        d->length = (size_t)l;
    }
    if (!d->fx)
        return emg_feature_extractor_create(&d->fx, d->rate, d->length, d->o.feature_ids,
                                            d->o.n_features, &d->o.features, &d->o.spectrum, err);
    return EMG_OK;
}

static int add_recording(emg_dataset *d, const emg_dataset_source *src, const emg_recording *rec,
                         const emg_table *events, int *duplicate, emg_error *err)
{
    char sum[65], events_sum[65], stem[256];
    int rc = emgi_sha256_file(src->file, sum, err);
    if (rc == EMG_OK)
        rc = emgi_sha256_file(src->events, events_sum, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < d->n_sums; i++)
        if (!strcmp(d->sums[i], sum)) {
            *duplicate = 1;
            return 0;
        }
    file_stem(src->file, stem, sizeof stem);
    const char *subject = src->subject && *src->subject ? src->subject : stem;
    source_event *ev = NULL;
    size_t n_ev = 0, before = d->rows;
    rate_channels chans = {0};
    row_batch batch = {0};
    row_context ctx = {src, subject, channel_list(&rec->header, 0), channel_list(&rec->header, 1),
                       0, 0};
    rc = ctx.channel_list && ctx.unit_list ? read_events(d, events, src->events, &ev, &n_ev, err)
                          : emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    if (rc == EMG_OK)
        rc = to_dataset_rate(d, src, rec, &chans, err);
    if (rc == EMG_OK)
        rc = ensure_shape(d, src, &rec->header, err);
    if (rc == EMG_OK)
        rc = cut_rows(d, src, ev, n_ev, chans.longest, &batch, err);
    if (rc == EMG_OK && (ctx.subject_index = subject_index(d, subject, err)) < 0)
        rc = ctx.subject_index;
    ctx.source_rate = chans.source_rate;
    for (size_t i = 0; rc == EMG_OK && i < batch.n; i += ROWS_PER_PASS)
        rc = write_rows(d, &ctx, &chans, rec->header.n_channels, batch.rows + i,
                        batch.n - i < ROWS_PER_PASS ? batch.n - i : ROWS_PER_PASS, err);
    if (rc == EMG_OK)
        rc = record_input(d, src, subject, sum, events_sum, d->rows - before, err);
    rate_channels_free(&chans, rec->header.n_channels);
    free(batch.rows);
    free(ev);
    free(ctx.channel_list);
    free(ctx.unit_list);
    return rc < 0 ? rc : (int)(d->rows - before);
}

int emg_dataset_add(emg_dataset *d, const emg_dataset_source *src, const emg_recording *rec,
                    const emg_table *events, int *duplicate, emg_error *err)
{
    *duplicate = 0;
    h5_quiet q = h5_quiet_begin();
    int rc = add_recording(d, src, rec, events, duplicate, err);
    h5_quiet_end(q);
    return rc;
}

/* ---- closing ------------------------------------------------------------ */

static int write_split_column(emg_dataset *d)
{
    size_t n = d->rows - d->rows_before;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    hid_t g = ds_group(d->file, "rows");
    int ok = names && g >= 0;
    for (size_t r = 0; ok && r < n; r++)
        names[r] = emgi_dataset_split_names[d->subjects[d->new_row_subject[r]].split];
    ok = ok && ds_column_append(g, "split", DS_STR, names, n) == 0;
    if (g >= 0)
        H5Gclose(g);
    free(names);
    return ok ? 0 : -1;
}

static int write_classes(emg_dataset *d)
{
    size_t V = d->n_vocab;
    int32_t *code = calloc(V + 1, sizeof *code), *total = calloc(V + 1, sizeof *total);
    int32_t *per[EMG_DATASET_SPLITS];
    int ok = code && total;
    for (int k = 0; k < EMG_DATASET_SPLITS; k++)
        ok &= (per[k] = calloc(V + 1, sizeof *per[k])) != NULL;
    for (size_t c = 0; ok && c < V; c++) {
        code[c] = (int32_t)c;
        for (size_t s = 0; s < d->n_subjects; s++) {
            per[d->subjects[s].split][c] += (int32_t)d->subjects[s].class_rows[c];
            total[c] += (int32_t)d->subjects[s].class_rows[c];
        }
    }
    hid_t g = ok ? ds_group(d->file, "classes") : -1;
    ok = g >= 0 && ds_column_replace(g, "label", DS_STR, d->vocab, V) == 0 &&
         ds_column_replace(g, "code", DS_I32, code, V) == 0 &&
         ds_column_replace(g, "n_rows", DS_I32, total, V) == 0;
    for (int k = 0; ok && k < EMG_DATASET_SPLITS; k++) {
        char name[32];
        snprintf(name, sizeof name, "n_%s", emgi_dataset_split_names[k]);
        ok = ds_column_replace(g, name, DS_I32, per[k], V) == 0;
    }
    if (g >= 0)
        H5Gclose(g);
    free(code), free(total);
    for (int k = 0; k < EMG_DATASET_SPLITS; k++)
        free(per[k]);
    return ok ? 0 : -1;
}

static int write_subjects(emg_dataset *d)
{
    size_t n = d->n_subjects;
    const char **names = malloc((n + 1) * sizeof *names), **splits = malloc((n + 1) * sizeof *splits);
    int32_t *rows = malloc((n + 1) * sizeof *rows);
    int ok = names && splits && rows;
    for (size_t s = 0; ok && s < n; s++)
        names[s] = d->subjects[s].name, splits[s] = emgi_dataset_split_names[d->subjects[s].split],
        rows[s] = (int32_t)d->subjects[s].rows;
    hid_t g = ok ? ds_group(d->file, "subjects") : -1;
    ok = g >= 0 && ds_column_replace(g, "subject", DS_STR, names, n) == 0 &&
         ds_column_replace(g, "split", DS_STR, splits, n) == 0 &&
         ds_column_replace(g, "rows", DS_I32, rows, n) == 0;
    if (g >= 0)
        H5Gclose(g);
    free(names), free(splits), free(rows);
    return ok ? 0 : -1;
}

static int write_provenance(emg_dataset *d)
{
    hid_t g = ds_group(d->file, "provenance"), b = g < 0 ? -1 : ds_group(g, "builds");
    const char *version = EMGKIT_VERSION, *params = d->parameters;
    int32_t build = d->build, added = (int32_t)(d->rows - d->rows_before);
    double seed = (double)d->o.seed;
    int ok = b >= 0 && ds_column_append(b, "build", DS_I32, &build, 1) == 0 &&
             ds_column_append(b, "emgkit_version", DS_STR, &version, 1) == 0 &&
             ds_column_append(b, "parameters", DS_STR, &params, 1) == 0 &&
             ds_column_append(b, "seed", DS_F64, &seed, 1) == 0 &&
             ds_column_append(b, "rows_added", DS_I32, &added, 1) == 0;
    if (b >= 0)
        H5Gclose(b);
    if (g >= 0)
        H5Gclose(g);
    hid_t f = d->file;
    ok = ok && ds_attr_string(f, "layout", "emgkit-dataset") == 0 &&
         ds_attr_double(f, "layout_version", 1) == 0 &&
         ds_attr_string(f, "emgkit_version", EMGKIT_VERSION) == 0 &&
         ds_attr_string(f, "parameters", d->parameters) == 0 &&
         ds_attr_string(f, "cut", d->o.cut == EMG_DATASET_EVENTS ? "events" : "windows") == 0 &&
         ds_attr_double(f, "channels", (double)d->channels) == 0 &&
         ds_attr_double(f, "length", (double)d->length) == 0 &&
         ds_attr_double(f, "rate", d->rate) == 0 &&
         ds_attr_double(f, "builds", d->build) == 0;
    return ok ? 0 : -1;
}

static int finish(emg_dataset *d, emg_error *err)
{
    if (d->rows == 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no rows: no recording gave a sample",
                             d->final);
    ds_assign_splits(d->subjects, d->n_subjects, d->n_vocab, d->o.split, d->o.seed);
    if (write_split_column(d) < 0 || write_classes(d) < 0 || write_subjects(d) < 0 ||
        write_provenance(d) < 0)
        return fail_h5(d, err, "cannot write the dataset tables");
    /* Rows first, then the counts that commit them: a crash between the two
     * flushes leaves rows past the committed counts, which the next append drops. */
    int rc = emgi_h5_complete(d->file, d->final, err);
    if (rc < 0)
        return rc;
    if (ds_commit_counts(d->file) < 0 || (H5Aexists(d->file, DS_APPEND_MARK) > 0 &&
                                          H5Adelete(d->file, DS_APPEND_MARK) < 0))
        return fail_h5(d, err, "cannot commit the rows");
    if ((rc = emgi_h5_complete(d->file, d->final, err)) < 0)
        return rc;
    if (H5Fclose(d->file) < 0) {
        d->file = -1;
        return fail_h5(d, err, "cannot complete the HDF5 file");
    }
    d->file = -1;
    if (!d->tmp[0]) /* appended in place */
        return EMG_OK;
    rc = emg_temp_commit(d->tmp, d->final, err);
    d->tmp[0] = '\0';
    return rc;
}

/* The classes some split (with a fraction > 0) has no row of. */
static void list_uncovered(const emg_dataset *d, char *out, size_t size)
{
    size_t len = 0;
    for (size_t c = 0; c < d->n_vocab; c++) {
        int everywhere = 1;
        for (int k = 0; k < EMG_DATASET_SPLITS; k++)
            if (d->o.split[k] > 0 && !ds_split_has_class(d->subjects, d->n_subjects, k, c))
                everywhere = 0;
        if (everywhere)
            continue;
        size_t need = strlen(d->vocab[c]) + (len ? 1 : 0);
        if (len + need + 4 >= size) {
            snprintf(out + len, size - len, "%s...", len ? "," : "");
            return;
        }
        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", d->vocab[c]);
    }
}

static void summarise(const emg_dataset *d, emg_dataset_summary *s)
{
    memset(s, 0, sizeof *s);
    s->rows = d->rows;
    s->subjects = d->n_subjects;
    s->classes = d->n_vocab;
    for (size_t i = 0; i < d->n_subjects; i++)
        if (d->subjects[i].split >= 0)
            s->split_rows[d->subjects[i].split] += d->subjects[i].rows;
    list_uncovered(d, s->classes_not_in_every_split, sizeof s->classes_not_in_every_split);
}

int emg_dataset_close(emg_dataset *d, emg_dataset_summary *summary, emg_error *err)
{
    h5_quiet q = h5_quiet_begin();
    int rc = finish(d, err);
    h5_quiet_end(q);
    if (summary)
        summarise(d, summary);
    emg_dataset_abort(d); /* frees; the committed file stays */
    return rc;
}

/* A failed append in place: back to the committed rows (the class, subject
 * and build tables are only written by a successful close), unmarked, flushed.
 * 1 when done, so the file can be closed normally. */
static int roll_back(hid_t file)
{
    return ds_trim_to_committed(file) == 0 &&
           (H5Aexists(file, DS_APPEND_MARK) <= 0 || H5Adelete(file, DS_APPEND_MARK) >= 0) &&
           H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0;
}

void emg_dataset_abort(emg_dataset *d)
{
    if (!d)
        return;
    if (d->file >= 0) {
        h5_quiet q = h5_quiet_begin();
        if (!(d->in_place && roll_back(d->file)))
            emgi_h5_abandon(d->file);
        H5Fclose(d->file);
        h5_quiet_end(q);
    }
    if (d->tmp[0])
        emg_temp_discard(d->tmp);
    emg_feature_extractor_destroy(d->fx);
    for (size_t i = 0; i < d->n_vocab; i++)
        free(d->vocab[i]);
    for (size_t s = 0; s < d->n_subjects; s++) {
        free(d->subjects[s].name);
        free(d->subjects[s].class_rows);
    }
    free(d->vocab);
    free(d->subjects);
    free(d->new_row_subject);
    free(d->sums);
    free(d->parameters);
    free(d->background);
    free(d->skip);
    free(d->feature_ids);
    free(d);
}
