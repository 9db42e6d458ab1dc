/* bids_write.c: exporting recordings as a BIDS EMG dataset (BIDS 1.11,
 * "Electromyography"; docs/formats/bids.md).
 *
 * One recording gives its data file (EDF+ or BDF+, channels labelled "TYPE
 * SENSOR" after the EDF+ convention, no annotations inside: the events live
 * in _events.tsv, so that a reader meets each event once) and four sidecars:
 * _channels.tsv (name type units ... per channel, in the file's order),
 * _emg.json (the required and recommended EMG fields), _events.tsv (onset
 * duration trial_type channel, then the event table's further columns) and
 * _events.json (every column described, with its unit, and the labels).
 * The sidecars are written to temporary files and renamed only after the
 * data file is complete; if one fails, the data file is removed again, so a
 * recording is either complete or absent. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "emgkit/emgkit.h"
#include "bids_internal.h"

typedef struct bids_event {
    double onset, duration;
    char *type;    /* trial_type */
    char *channel; /* a channels.tsv name, or "n/a" */
    char **extra;  /* cells of the event table's further columns, or NULL (n/a) */
} bids_event;

typedef struct bids_export {
    const char *root;
    const emg_bids_entities *e;
    const emg_bids_export_options *o;
    emg_header h;        /* the data file's header: BIDS labels */
    const char **types;  /* BIDS type of each channel */
    char **source_names; /* each channel's name in the source, for event tables */
    int64_t *samples;    /* samples written per channel */
    bids_event *events;
    size_t n_events;
    char **extra_names; /* the event table's further columns */
    size_t n_extra;
    const char *table_name; /* the event table's path, for descriptions */
    char data_path[4096], stem[4096];
} bids_export;

/* ------------------------------------------------------------ helpers */

static int make_folders(const char *file_path, emg_error *err)
{
    char path[4096];
    emgi_strlcpy(path, file_path, sizeof path);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot create the folder: %s", path,
                                 strerror(errno));
        *p = '/';
    }
    return EMG_OK;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* "key": value lines of a JSON object, with the separating commas. */
static void json_key(FILE *f, int *first, int indent, const char *key)
{
    fprintf(f, "%s\n%*s", *first ? "" : ",", indent, "");
    json_string(f, key);
    fputs(": ", f);
    *first = 0;
}

static void json_number(FILE *f, double v)
{
    fprintf(f, "%.17g", v);
}

/* A sidecar written to a temporary file beside its final name. */
typedef struct sidecar {
    char final[4200], tmp[4300];
    FILE *f;
} sidecar;

static int sidecar_open(sidecar *s, const char *stem, const char *suffix, emg_error *err)
{
    snprintf(s->final, sizeof s->final, "%s%s", stem, suffix);
    s->f = NULL;
    int rc = emg_temp_path(s->tmp, sizeof s->tmp, s->final, err);
    if (rc < 0)
        return rc;
    if (!(s->f = fopen(s->tmp, "w"))) {
        emg_temp_discard(s->tmp);
        s->tmp[0] = '\0';
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", s->final, strerror(errno));
    }
    return EMG_OK;
}

/* Close a sidecar; its temporary file stays for commit or discard. */
static int sidecar_close(sidecar *s, emg_error *err)
{
    if (!s->f)
        return EMG_OK;
    int bad = ferror(s->f);
    bad |= fclose(s->f) != 0;
    s->f = NULL;
    if (bad)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->final,
                             strerror(errno));
    return EMG_OK;
}

static void sidecar_discard(sidecar *s)
{
    if (s->f)
        fclose(s->f);
    s->f = NULL;
    if (s->tmp[0])
        emg_temp_discard(s->tmp);
    s->tmp[0] = '\0';
}

/* ------------------------------------------------------------- events */

static int add_event(bids_export *x, double onset, double duration, const char *type,
                     const char *channel, char **extra, emg_error *err)
{
    int rc = emgi_grow_one((void **)&x->events, x->n_events, sizeof *x->events, err);
    if (rc < 0)
        return rc;
    bids_event *ev = &x->events[x->n_events];
    ev->onset = onset;
    ev->duration = duration;
    ev->extra = extra;
    ev->type = emgi_xstrdup(type && type[0] ? type : "n/a", err);
    ev->channel = emgi_xstrdup(channel, err);
    x->n_events++;
    return ev->type && ev->channel ? EMG_OK : EMG_ERR_NOMEM;
}

static int add_annotation(bids_export *x, const emg_annotation *a, emg_error *err)
{
    const char *channel = a->channel >= 0 && (size_t)a->channel < x->h.n_channels
                              ? x->h.channels[a->channel].name
                              : "n/a";
    return add_event(x, a->onset, a->duration, a->text, channel, NULL, err);
}

/* The BIDS name of a channel an event table names, or the name as it is. */
static const char *bids_channel_name(const bids_export *x, const char *name)
{
    for (size_t i = 0; i < x->h.n_channels; i++)
        if (!strcmp(x->source_names[i], name))
            return x->h.channels[i].name;
    return name;
}

/* A cell that lists source channels ("EMG_agonist,EMG_antagonist": emg-synth's
 * channels, emg-label's partner) in their BIDS names; any other text as it is. */
static char *bids_channel_list(const bids_export *x, const char *cell, emg_error *err)
{
    size_t cap = strlen(cell) * 2 + 8 * (x->h.n_channels + 1) + 1;
    char *out = emgi_xcalloc(cap, 1, err), *copy = emgi_xstrdup(cell, err);
    int all_channels = out && copy && cell[0];
    char *save = NULL;
    for (char *name = copy ? strtok_r(copy, ",", &save) : NULL; all_channels && name;
         name = strtok_r(NULL, ",", &save)) {
        const char *bids = bids_channel_name(x, name);
        all_channels = bids != name;
        if (out[0])
            strcat(out, ",");
        strncat(out, bids, cap - strlen(out) - 1);
    }
    if (out && !all_channels)
        emgi_strlcpy(out, cell, cap);
    free(copy);
    return out;
}

static int read_event_table(bids_export *x, const char *path, emg_error *err)
{
    emg_table t;
    emg_table_init(&t);
    int rc = emg_table_read(&t, path, err);
    int c_onset, c_duration;
    int c_label = emg_table_column(&t, "label"), c_channel = emg_table_column(&t, "channel");
    if (c_label < 0)
        c_label = emg_table_column(&t, "trial_type");
    if (rc >= 0)
        rc = emgi_bids_event_span_columns(&t, path, &c_onset, &c_duration, err);
    int *extra_cols = rc >= 0 ? emgi_xcalloc(t.n_columns + 1, sizeof *extra_cols, err) : NULL;
    if (rc >= 0 && !extra_cols)
        rc = EMG_ERR_NOMEM;
    x->extra_names = rc >= 0 ? emgi_xcalloc(t.n_columns + 1, sizeof *x->extra_names, err) : NULL;
    for (size_t c = 0; rc >= 0 && x->extra_names && c < t.n_columns; c++)
        if (!emgi_bids_core_event_column(t.columns[c])) {
            extra_cols[x->n_extra] = (int)c;
            if (!(x->extra_names[x->n_extra++] = emgi_xstrdup(t.columns[c], err)))
                rc = EMG_ERR_NOMEM;
        }
    for (size_t row = 0; rc >= 0 && row < t.n_rows; row++) {
        double onset, duration;
        rc = emg_table_event_span(&t, row, c_onset, c_duration, path, &onset, &duration, err);
        char **extra = rc >= 0 ? emgi_xcalloc(x->n_extra + 1, sizeof *extra, err) : NULL;
        for (size_t k = 0; extra && k < x->n_extra && rc >= 0; k++)
            if (!(extra[k] = bids_channel_list(x, emg_table_cell(&t, row, extra_cols[k]), err)))
                rc = EMG_ERR_NOMEM;
        const char *channel = c_channel >= 0 ? emg_table_cell(&t, row, c_channel) : "n/a";
        if (rc >= 0 && extra)
            rc = add_event(x, onset, duration, c_label >= 0 ? emg_table_cell(&t, row, c_label)
                                                             : "n/a",
                           bids_channel_name(x, channel), extra, err);
        else if (extra) {
            for (size_t k = 0; k < x->n_extra; k++)
                free(extra[k]);
            free(extra);
        }
    }
    free(extra_cols);
    emg_table_free(&t);
    return rc;
}

static int compare_events(const void *pa, const void *pb)
{
    const bids_event *a = pa, *b = pb;
    if (a->onset != b->onset)
        return a->onset < b->onset ? -1 : 1;
    if (a->duration != b->duration)
        return a->duration < b->duration ? -1 : 1;
    int c = strcmp(a->type, b->type);
    return c ? c : strcmp(a->channel, b->channel);
}

static void free_event(bids_export *x, bids_event *ev)
{
    free(ev->type);
    free(ev->channel);
    for (size_t k = 0; ev->extra && k < x->n_extra; k++)
        free(ev->extra[k]);
    free(ev->extra);
}

/* The coarsest time step of the annotations emgkit writes (EDFlib's EDF+
 * onsets and durations: 100 us): an annotation that close to a table row in
 * onset and duration, with the same text and channel, repeats it. */
#define ANNOTATION_TIME_STEP 1e-4

/* True when annotation a (no table cells) says what event e says. */
static int repeats(const bids_event *a, const bids_event *e)
{
    /* Times in the table have microseconds; annotations read from EDF+/BDF+
     * have EDFlib's 100-us steps (io_edf.c), other formats full precision. */
    return !a->extra && e->type && fabs(a->onset - e->onset) < ANNOTATION_TIME_STEP &&
           fabs(a->duration - e->duration) < ANNOTATION_TIME_STEP && !strcmp(a->type, e->type) &&
           !strcmp(a->channel, e->channel);
}

/* Sort by onset; an annotation that repeats an event-table row (the
 * simulator writes its ground truth both ways) or an earlier annotation is
 * dropped, the row kept.  Every event within the time step is compared, not
 * only the next: another event (a context annotation) may sort between. */
static void sort_events(bids_export *x)
{
    if (x->n_events == 0)
        return;
    qsort(x->events, x->n_events, sizeof *x->events, compare_events);
    bids_event *ev = x->events;
    for (size_t i = 0; i < x->n_events; i++) {
        int dup = 0;
        for (size_t j = i; !dup && j-- > 0 && ev[i].onset - ev[j].onset < ANNOTATION_TIME_STEP;)
            dup = repeats(&ev[i], &ev[j]);
        for (size_t j = i + 1; !dup && j < x->n_events &&
                               ev[j].onset - ev[i].onset < ANNOTATION_TIME_STEP; j++)
            dup = ev[j].extra && repeats(&ev[i], &ev[j]);
        if (dup) {
            free_event(x, &ev[i]);
            ev[i].type = NULL; /* dropped */
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < x->n_events; i++)
        if (ev[i].type)
            ev[kept++] = ev[i];
    x->n_events = kept;
}

/* ---------------------------------------------------------- data file */

static int prepare_header(bids_export *x, const emg_header *src, emg_error *err)
{
    int rc = emg_header_copy(&x->h, src, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < x->h.n_annotations; i++)
        free(x->h.annotations[i].text);
    x->h.n_annotations = 0;
    emgi_strlcpy(x->h.subject, x->e->subject, sizeof x->h.subject);
    size_t n = x->h.n_channels;
    x->types = emgi_xcalloc(n, sizeof *x->types, err);
    x->source_names = emgi_xcalloc(n, sizeof *x->source_names, err);
    x->samples = emgi_xcalloc(n, sizeof *x->samples, err);
    if (!x->types || !x->source_names || !x->samples)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        emg_channel *ch = &x->h.channels[i];
        if (!(x->source_names[i] = emgi_xstrdup(ch->name, err)))
            return EMG_ERR_NOMEM;
        x->types[i] = emgi_bids_channel_type(ch);
        char label[EMG_NAME_MAX];
        emgi_bids_channel_label(ch, x->types[i], label, sizeof label);
        /* Unique within 16 characters: "~2", "~3"... as the EDF writer does. */
        char unique[EMG_NAME_MAX];
        emgi_strlcpy(unique, label, sizeof unique);
        for (int k = 2;; k++) {
            int clash = 0;
            for (size_t j = 0; j < i && !clash; j++)
                clash = !strcmp(x->h.channels[j].name, unique);
            if (!clash)
                break;
            char suffix[12];
            int len = snprintf(suffix, sizeof suffix, "~%d", k);
            snprintf(unique, sizeof unique, "%.*s%s", 16 - len, label, suffix);
        }
        emgi_strlcpy(ch->name, unique, sizeof ch->name);
    }
    return EMG_OK;
}

static int write_data(bids_export *x, emg_reader *r, emg_error *err)
{
    emg_writer *w;
    int rc = emg_writer_open(&w, x->data_path, x->o->data_format, &x->h, &x->o->write, err);
    if (rc < 0)
        return rc;
    const emg_block *b;
    while ((rc = emg_reader_read(r, &b, err)) > 0) {
        emg_block plain = *b; /* the samples; annotations go to _events.tsv */
        plain.n_annotations = 0;
        for (size_t i = 0; i < b->n_channels; i++)
            x->samples[i] += (int64_t)b->count[i];
        for (size_t k = 0; rc >= 0 && k < b->n_annotations; k++)
            rc = add_annotation(x, &b->annotations[k], err);
        if (rc < 0 || (rc = emg_writer_write(w, &plain, err)) < 0)
            break;
    }
    if (rc < 0) {
        emg_writer_abort(w);
        return rc;
    }
    return emg_writer_close(w, err);
}

/* ------------------------------------------------------------ sidecars */

static void write_channels(const bids_export *x, FILE *f)
{
    fputs("name\ttype\tunits\tdescription\tsampling_frequency\tstatus\n", f);
    for (size_t i = 0; i < x->h.n_channels; i++) {
        const emg_channel *ch = &x->h.channels[i];
        emg_tsv_str(f, ch->name, 0);
        emg_tsv_str(f, x->types[i], 0);
        emg_tsv_str(f, ch->unit[0] ? ch->unit : "n/a", 0);
        emg_tsv_str(f, ch->transducer[0] ? ch->transducer : "n/a", 0);
        fprintf(f, "%.17g\t", ch->fs);
        emg_tsv_str(f, "good", 1);
    }
}

static double recording_duration(const bids_export *x)
{
    double most = 0;
    for (size_t i = 0; i < x->h.n_channels; i++)
        most = fmax(most, (double)x->samples[i] / x->h.channels[i].fs);
    return most;
}

/* SoftwareFilters: the emg-filter commands of the provenance, else "n/a". */
static void write_software_filters(const bids_export *x, FILE *f)
{
    int first = 1, k = 0;
    for (size_t i = 0; i < x->h.n_provenance; i++) {
        if (strncmp(x->h.provenance[i], "emg-filter", 10))
            continue;
        char key[32];
        k++;
        if (k > 1)
            snprintf(key, sizeof key, "emgkit emg-filter %d", k);
        else
            emgi_strlcpy(key, "emgkit emg-filter", sizeof key);
        if (first)
            fputc('{', f);
        json_key(f, &first, 4, key);
        fputs("{\"Command\": ", f);
        json_string(f, x->h.provenance[i]);
        fputc('}', f);
    }
    fputs(first ? "\"n/a\"" : "\n  }", f);
}

static void write_emg_json(const bids_export *x, FILE *f)
{
    size_t n_emg = 0, main = 0;
    for (size_t i = x->h.n_channels; i-- > 0;)
        if (!strcmp(x->types[i], "EMG")) {
            n_emg++;
            main = i; /* the first EMG channel's rate is the recording's */
        }
    int first = 1;
    fputc('{', f);
    json_key(f, &first, 2, "TaskName");
    json_string(f, x->e->task);
    json_key(f, &first, 2, "EMGPlacementScheme");
    json_string(f, "Other");
    json_key(f, &first, 2, "EMGPlacementSchemeDescription");
    json_string(f, "n/a: the source recording does not describe the electrode placement");
    json_key(f, &first, 2, "EMGReference");
    json_string(f, "n/a");
    json_key(f, &first, 2, "SamplingFrequency");
    json_number(f, x->h.channels[main].fs);
    json_key(f, &first, 2, "PowerLineFrequency");
    if (x->o->power_line_hz > 0)
        json_number(f, x->o->power_line_hz);
    else
        json_string(f, "n/a");
    json_key(f, &first, 2, "RecordingType");
    json_string(f, "continuous");
    json_key(f, &first, 2, "SoftwareFilters");
    write_software_filters(x, f);
    json_key(f, &first, 2, "HardwareFilters");
    json_string(f, "n/a");
    json_key(f, &first, 2, "EMGChannelCount");
    fprintf(f, "%zu", n_emg);
    json_key(f, &first, 2, "RecordingDuration");
    json_number(f, recording_duration(x));
    fputs("\n}\n", f);
}

static void write_events(const bids_export *x, FILE *f)
{
    fputs("onset\tduration\ttrial_type\tchannel", f);
    for (size_t k = 0; k < x->n_extra; k++)
        fprintf(f, "\t%s", x->extra_names[k]);
    fputc('\n', f);
    for (size_t i = 0; i < x->n_events; i++) {
        const bids_event *ev = &x->events[i];
        emg_tsv_time(f, ev->onset, 0);
        emg_tsv_time(f, ev->duration, 0);
        emg_tsv_str(f, ev->type, 0);
        emg_tsv_str(f, ev->channel, x->n_extra == 0);
        for (size_t k = 0; k < x->n_extra; k++)
            emg_tsv_str(f, ev->extra ? ev->extra[k] : "n/a", k + 1 == x->n_extra);
    }
}

static void write_column_description(FILE *f, int *first, const emgi_bids_column *c)
{
    json_key(f, first, 2, c->name);
    fputs("{\"Description\": ", f);
    json_string(f, c->description);
    if (c->unit) {
        fputs(", \"Units\": ", f);
        json_string(f, c->unit);
    }
}

/* trial_type: its Levels, each value present with its meaning. */
static void write_levels(const bids_export *x, FILE *f)
{
    fputs(", \"Levels\": {", f);
    int first = 1;
    for (size_t i = 0; i < x->n_events; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(x->events[j].type, x->events[i].type);
        if (seen)
            continue;
        const char *text = emgi_bids_label_description(x->events[i].type);
        json_key(f, &first, 4, x->events[i].type);
        json_string(f, text ? text : "Annotation text of the source recording");
    }
    fputs(first ? "}" : "\n  }", f);
}

static void write_events_json(const bids_export *x, FILE *f)
{
    int first = 1;
    char text[256];
    emgi_bids_column c;
    static const char *const core[] = {"onset", "duration", "trial_type", "channel"};
    fputc('{', f);
    for (size_t i = 0; i < 4; i++) {
        emgi_bids_describe_column(core[i], "", &c, text, sizeof text);
        write_column_description(f, &first, &c);
        if (!strcmp(core[i], "trial_type"))
            write_levels(x, f);
        fputc('}', f);
    }
    for (size_t k = 0; k < x->n_extra; k++) {
        emgi_bids_describe_column(x->extra_names[k], emgi_basename(x->table_name), &c, text,
                                 sizeof text);
        write_column_description(f, &first, &c);
        fputc('}', f);
    }
    fputs("\n}\n", f);
}

static int write_sidecars(bids_export *x, emg_error *err)
{
    enum { CHANNELS, EMG_JSON, EVENTS, EVENTS_JSON, N_SIDECARS };
    static const char *const suffixes[N_SIDECARS] = {"_channels.tsv", "_emg.json",
                                                     "_events.tsv", "_events.json"};
    sidecar s[N_SIDECARS];
    memset(s, 0, sizeof s);
    int rc = EMG_OK;
    for (int i = 0; rc >= 0 && i < N_SIDECARS; i++)
        rc = sidecar_open(&s[i], x->stem, suffixes[i], err);
    if (rc >= 0) {
        write_channels(x, s[CHANNELS].f);
        write_emg_json(x, s[EMG_JSON].f);
        write_events(x, s[EVENTS].f);
        write_events_json(x, s[EVENTS_JSON].f);
    }
    for (int i = 0; i < N_SIDECARS; i++) {
        int closed = sidecar_close(&s[i], rc >= 0 ? err : NULL);
        if (rc >= 0)
            rc = closed;
    }
    for (int i = 0; rc >= 0 && i < N_SIDECARS; i++) {
        rc = emg_temp_commit(s[i].tmp, s[i].final, err);
        s[i].tmp[0] = '\0';
    }
    for (int i = 0; i < N_SIDECARS; i++)
        sidecar_discard(&s[i]);
    return rc;
}

static void free_export(bids_export *x)
{
    for (size_t i = 0; i < x->n_events; i++)
        free_event(x, &x->events[i]);
    free(x->events);
    for (size_t i = 0; x->source_names && i < x->h.n_channels; i++)
        free(x->source_names[i]);
    free(x->source_names);
    free(x->types);
    free(x->samples);
    for (size_t k = 0; k < x->n_extra; k++)
        free(x->extra_names[k]);
    free(x->extra_names);
    emg_header_free(&x->h);
}

int emg_bids_export(emg_reader *r, const char *root, const emg_bids_entities *e,
                    const emg_bids_export_options *o, char *data_path, size_t n,
                    emg_error *err)
{
    bids_export x;
    memset(&x, 0, sizeof x);
    x.root = root;
    x.e = e;
    x.o = o;
    x.table_name = o->events_table;
    emg_header_init(&x.h);
    int rc = emg_bids_data_path(x.data_path, sizeof x.data_path, root, e, o->data_format, err);
    if (rc >= 0)
        emgi_bids_sidecar_stem(x.data_path, x.stem, sizeof x.stem);
    if (rc >= 0)
        rc = prepare_header(&x, emg_reader_header(r), err);
    const emg_header *src = emg_reader_header(r);
    for (size_t i = 0; rc >= 0 && i < src->n_annotations; i++)
        rc = add_annotation(&x, &src->annotations[i], err);
    if (rc >= 0 && o->events_table)
        rc = read_event_table(&x, o->events_table, err);
    if (rc >= 0)
        rc = make_folders(x.data_path, err);
    if (rc >= 0)
        rc = write_data(&x, r, err);
    if (rc >= 0) {
        sort_events(&x);
        if ((rc = write_sidecars(&x, err)) < 0)
            unlink(x.data_path); /* the recording is complete or absent */
    }
    if (rc >= 0 && data_path)
        emgi_strlcpy(data_path, x.data_path, n);
    free_export(&x);
    return rc;
}

/* ------------------------------------------------------------- dataset */

static int write_description(const char *root, emg_error *err)
{
    char final[4200];
    snprintf(final, sizeof final, "%s/dataset_description.json", root);
    if (access(final, F_OK) == 0)
        return EMG_OK; /* curated by hand, perhaps: kept */
    sidecar s;
    memset(&s, 0, sizeof s);
    char stem[4096];
    snprintf(stem, sizeof stem, "%s/dataset_description", root);
    int rc = sidecar_open(&s, stem, ".json", err);
    if (rc >= 0) {
        char name[256];
        emgi_strlcpy(name, emgi_basename(root), sizeof name);
        fputs("{\n  \"Name\": ", s.f);
        json_string(s.f, name[0] ? name : "EMG dataset");
        fputs(",\n  \"BIDSVersion\": \"" EMG_BIDS_VERSION "\",\n"
              "  \"DatasetType\": \"raw\",\n"
              "  \"GeneratedBy\": [{\"Name\": \"emgkit\", \"Version\": \"" EMGKIT_VERSION "\", "
              "\"Description\": \"emg-convert --to bids\"}]\n}\n",
              s.f);
        rc = sidecar_close(&s, err);
    }
    if (rc >= 0)
        rc = emg_temp_commit(s.tmp, s.final, err);
    else
        sidecar_discard(&s);
    return rc;
}

/* participants.tsv: the rows it has, then a row (n/a beyond the id) per new subject. */
static int write_participants(const char *root, const char *const *subjects, size_t n,
                              emg_error *err)
{
    char final[4200];
    snprintf(final, sizeof final, "%s/participants.tsv", root);
    emg_table t;
    emg_table_init(&t);
    int rc = access(final, F_OK) == 0 ? emg_table_read(&t, final, err) : EMG_OK;
    int c_id = t.n_columns ? emg_table_column(&t, "participant_id") : 0;
    if (rc >= 0 && c_id < 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: no participant_id column", final);
    sidecar s;
    memset(&s, 0, sizeof s);
    char stem[4096];
    snprintf(stem, sizeof stem, "%s/participants", root);
    if (rc >= 0)
        rc = sidecar_open(&s, stem, ".tsv", err);
    if (rc >= 0) {
        static const char *const only_id[] = {"participant_id"};
        size_t n_columns = t.n_columns ? t.n_columns : 1;
        const char *const *columns = t.n_columns ? (const char *const *)t.columns : only_id;
        emg_tsv_header(s.f, n_columns, columns);
        for (size_t row = 0; row < t.n_rows; row++)
            for (size_t c = 0; c < n_columns; c++)
                emg_tsv_str(s.f, emg_table_cell(&t, row, (int)c), c + 1 == n_columns);
        for (size_t i = 0; i < n; i++) {
            char id[EMG_BIDS_LABEL_MAX + 8];
            snprintf(id, sizeof id, "sub-%s", subjects[i]);
            int listed = 0;
            for (size_t row = 0; row < t.n_rows && !listed; row++)
                listed = !strcmp(emg_table_cell(&t, row, c_id), id);
            for (size_t j = 0; j < i && !listed; j++)
                listed = !strcmp(subjects[j], subjects[i]);
            for (size_t c = 0; !listed && c < n_columns; c++)
                emg_tsv_str(s.f, (int)c == c_id ? id : "n/a", c + 1 == n_columns);
        }
        rc = sidecar_close(&s, err);
    }
    if (rc >= 0)
        rc = emg_temp_commit(s.tmp, s.final, err);
    else
        sidecar_discard(&s);
    emg_table_free(&t);
    return rc;
}

int emg_bids_export_dataset(const char *root, const char *const *subjects, size_t n,
                            emg_error *err)
{
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.", root);
    int rc = make_folders(probe, err);
    if (rc >= 0)
        rc = write_description(root, err);
    if (rc >= 0)
        rc = write_participants(root, subjects, n, err);
    return rc;
}
