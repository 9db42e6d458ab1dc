/* io.c: opening recordings and outputs, whatever their format.
 *
 * Readers: the format is detected from the first bytes of the file (each
 * format module's probe() scores them), the module fills the header and
 * returns blocks, and this wrapper applies channel selection and a time range
 * without copying samples (the returned block points into the module's).
 * It also checks that every channel delivered exactly the number of samples
 * its header declared, so no format can shorten a recording silently.
 *
 * Writers: output goes to a temporary file beside the target and is renamed
 * into place only when the writer finished without error (rename(2) is atomic
 * within a directory), so a failed run leaves no half-written file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "emgkit/bids.h"
#include "emgkit/gaps.h"
#include "io_internal.h"

/* Pipe streams read from stdin without spooling (pipe.c). */
int emgi_pipe_open_stdin(void **state, const unsigned char *prefix, size_t prefix_len,
                         emg_header *hdr, emg_error *err);

static const struct format_name {
    emg_format format;
    const char *name; /* canonical name first, then other extensions */
} format_names[] = {
    {EMG_FORMAT_PIPE, "pipe"}, {EMG_FORMAT_PIPE, "emg"},
    {EMG_FORMAT_WFDB, "wfdb"}, {EMG_FORMAT_WFDB, "hea"}, {EMG_FORMAT_WFDB, "dat"},
    {EMG_FORMAT_EDF, "edf"},   {EMG_FORMAT_BDF, "bdf"},
    {EMG_FORMAT_WAV, "wav"},   {EMG_FORMAT_FLAC, "flac"},
    {EMG_FORMAT_AIFF, "aiff"}, {EMG_FORMAT_AIFF, "aif"},
    {EMG_FORMAT_CAF, "caf"},   {EMG_FORMAT_W64, "w64"},   {EMG_FORMAT_RF64, "rf64"},
    {EMG_FORMAT_SNDFILE, "sndfile"},
    {EMG_FORMAT_HDF5, "hdf5"}, {EMG_FORMAT_HDF5, "h5"}, {EMG_FORMAT_NWB, "nwb"},
    {EMG_FORMAT_CSV, "csv"},   {EMG_FORMAT_TSV, "tsv"},   {EMG_FORMAT_TEXT, "text"},
    {EMG_FORMAT_TEXT, "txt"},  {EMG_FORMAT_BIOSIG, "biosig"},
};

const char *emg_format_name(emg_format f)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (format_names[i].format == f)
            return format_names[i].name;
    return "auto";
}

int emg_format_from_name(const char *name, emg_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (emgi_str_ieq(format_names[i].name, name)) {
            *out = format_names[i].format;
            return EMG_OK;
        }
    return EMG_ERR_ARG;
}

static const emg_format_writer *writer_for(emg_format f)
{
    switch (f) {
    case EMG_FORMAT_PIPE: return &emgi_pipe_writer;
    case EMG_FORMAT_WFDB: return &emgi_wfdb_writer;
    case EMG_FORMAT_EDF: case EMG_FORMAT_BDF: return &emgi_edf_writer;
    case EMG_FORMAT_WAV: case EMG_FORMAT_FLAC: case EMG_FORMAT_AIFF: case EMG_FORMAT_CAF:
    case EMG_FORMAT_W64: case EMG_FORMAT_RF64: return &emgi_sndfile_writer;
    case EMG_FORMAT_HDF5: return &emgi_hdf5_writer;
    case EMG_FORMAT_NWB: return &emgi_nwb_writer;
    case EMG_FORMAT_CSV: case EMG_FORMAT_TSV: return &emgi_text_writer;
    default: return NULL;
    }
}

int emg_format_from_path(const char *path, emg_format *out, emg_error *err)
{
    if (!strcmp(path, "-")) {
        *out = EMG_FORMAT_PIPE;
        return EMG_OK;
    }
    const char *ext = emgi_path_extension(path);
    emg_format f;
    if (emg_format_from_name(ext, &f) < 0 || !writer_for(f == EMG_FORMAT_TEXT ? EMG_FORMAT_TSV : f))
        return emg_error_set(err, EMG_ERR_ARG,
                             "%s: cannot tell the output format from the extension '%s'", path,
                             ext);
    *out = f == EMG_FORMAT_TEXT ? EMG_FORMAT_TSV : f;
    return EMG_OK;
}

/* ---------------------------------------------------------------- readers */

static const emg_format_reader *const all_readers[] = {
    &emgi_pipe_reader, &emgi_wfdb_reader, &emgi_edf_reader, &emgi_hdf5_reader,
    &emgi_sndfile_reader, &emgi_biosig_reader, &emgi_text_reader,
};

static const emg_format_reader *reader_for(emg_format f)
{
    switch (f) {
    case EMG_FORMAT_PIPE: return &emgi_pipe_reader;
    case EMG_FORMAT_WFDB: return &emgi_wfdb_reader;
    case EMG_FORMAT_EDF: case EMG_FORMAT_BDF: return &emgi_edf_reader;
    case EMG_FORMAT_HDF5: case EMG_FORMAT_NWB: return &emgi_hdf5_reader;
    case EMG_FORMAT_CSV: case EMG_FORMAT_TSV: case EMG_FORMAT_TEXT: return &emgi_text_reader;
    case EMG_FORMAT_BIOSIG: return &emgi_biosig_reader;
    case EMG_FORMAT_AUTO: return NULL;
    default: return &emgi_sndfile_reader;
    }
}

struct emg_reader {
    const emg_format_reader *ops;
    void *state;
    emg_format format;
    char *spool_path;      /* temporary copy of stdin, unlinked once the module opened it */
    emg_header source;     /* the module's header, all channels */
    emg_header header;     /* what the caller sees: selection and range applied */
    int *selection;        /* header channel j is source channel selection[j] */
    int64_t *position;     /* per source channel: samples delivered by the module */
    int64_t *first, *last; /* per source channel: kept sample range [first, last), last -1 open */
    double from;           /* range start in seconds (annotation shift) */
    double to;             /* range end in seconds, < 0 open */
    int started;
    emg_block raw;         /* filled by the module */
    emg_block view;        /* handed out: pointers into raw */
    emgi_read_ahead *ahead; /* emg_reader_read_ahead: blocks read on a thread */
    char path[4096];
};

const emg_header *emg_reader_header(const emg_reader *r) { return &r->header; }
emg_format emg_reader_format(const emg_reader *r) { return r->format; }
const char *emgi_reader_path(const emg_reader *r) { return r->path; }

static int read_head(const char *path, unsigned char *head, size_t cap, size_t *len,
                     emg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return emg_error_set(err, EMG_ERR_IO, "%s: is a directory", path);
    }
    *len = fread(head, 1, cap, f);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return emg_error_set(err, EMG_ERR_IO, "%s: read error", path);
    return EMG_OK;
}

static const emg_format_reader *detect_format(const unsigned char *head, size_t len,
                                              const char *path)
{
    const emg_format_reader *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < sizeof all_readers / sizeof *all_readers; i++) {
        int score = all_readers[i]->probe(head, len, path);
        if (score > best_score) {
            best_score = score;
            best = all_readers[i];
        }
    }
    return best;
}

/* The first bytes of path; none (len 0) for a WFDB record named without its
 * ".hea", which is no file itself. */
static int read_head_or_record(const char *path, unsigned char *head, size_t cap, size_t *len,
                               emg_error *err)
{
    int rc = read_head(path, head, cap, len, err);
    if (rc < 0) {
        char hea[4200];
        snprintf(hea, sizeof hea, "%s.hea", path);
        if (access(hea, R_OK) != 0)
            return rc;
        emg_error_clear(err);
        *len = 0;
    }
    return EMG_OK;
}

const emg_format_reader *emgi_path_reader(const char *path, emg_format format)
{
    if (format != EMG_FORMAT_AUTO)
        return reader_for(format);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return NULL; /* reading a FIFO's first bytes here would take them from the reader */
    unsigned char head[4096];
    size_t len = 0;
    if (read_head_or_record(path, head, sizeof head, &len, NULL) < 0)
        return NULL;
    return detect_format(head, len, path);
}

static const char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

/* A failure to make a temporary file, told as what it stopped (prefix). */
static void prefix_error(emg_error *err, const char *prefix)
{
    if (!err)
        return;
    /* The cause keeps up to 400 bytes; a prefix (a path) longer than the rest is cut. */
    char message[EMG_ERROR_MESSAGE_MAX];
    size_t cause = strnlen(err->message, 400);
    int room = (int)(sizeof message - 3 - cause);
    snprintf(message, sizeof message, "%.*s: %.400s", room, prefix, err->message);
    emgi_strlcpy(err->message, message, sizeof err->message);
}

/* Copy a stream (after the bytes already read into head) into a temporary
 * file; name is the user's name for the stream ("-", or a FIFO's path). */
static int spool_stream(emg_reader *r, FILE *in, const char *name, const unsigned char *head,
                        size_t len, emg_error *err)
{
    char path[4096];
    int fd = emgi_temp_file(path, sizeof path, "emgkit-stdin", err);
    if (fd < 0) {
        char what[4200];
        snprintf(what, sizeof what, "%s: cannot copy the input", name);
        prefix_error(err, what);
        return fd;
    }
    r->spool_path = emgi_xstrdup(path, err);
    FILE *out = fdopen(fd, "wb");
    if (!r->spool_path || !out) {
        if (out)
            fclose(out);
        else
            close(fd);
        emg_temp_discard(path);
        return EMG_ERR_NOMEM;
    }
    int ok = fwrite(head, 1, len, out) == len;
    char buf[65536];
    size_t got;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, got, out) == got;
    int read_error = ferror(in);
    ok = (fclose(out) == 0) && ok;
    if (read_error)
        return emg_error_set(err, EMG_ERR_IO, "%s: read error", name);
    if (!ok)
        return emg_error_set(err, EMG_ERR_OUTPUT,
                             "%s: cannot copy the input to a temporary file in %s: %s", name,
                             temp_dir(), strerror(errno));
    return EMG_OK;
}

/* A FIFO given as the input (a shell's <(...)) is read once, like standard
 * input: probing it and opening it again would lose what was read first.
 * Devices are refused: /dev/zero would be spooled until the disk is full.
 * 1 when path was spooled, 0 when it is an ordinary file, or an error. */
static int spool_special(emg_reader *r, const char *path, const char **open_path,
                         unsigned char *head, size_t cap, size_t *len, emg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return 0;
    if (!S_ISFIFO(st.st_mode))
        return emg_error_set(err, EMG_ERR_IO, "%s: is a device or socket, not a recording",
                             path);
    FILE *in = fopen(path, "rb");
    if (!in)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    *len = fread(head, 1, cap, in);
    int rc = ferror(in) ? emg_error_set(err, EMG_ERR_IO, "%s: read error", path)
                        : spool_stream(r, in, path, head, *len, err);
    fclose(in);
    if (rc < 0)
        return rc;
    *open_path = r->spool_path;
    return 1;
}

/* Resolve which module reads path; for "-", either the pipe stream or a spooled copy. */
static int choose_module(emg_reader *r, const char *path, const emg_read_options *opts,
                         const char **open_path, emg_error *err)
{
    unsigned char head[4096];
    size_t len = 0;
    *open_path = path;
    if (!strcmp(path, "-")) {
        len = fread(head, 1, sizeof head, stdin);
        if (ferror(stdin))
            return emg_error_set(err, EMG_ERR_IO, "-: read error on standard input");
        if (emgi_pipe_reader.probe(head, len, "-") == 100 &&
            (opts->format == EMG_FORMAT_AUTO || opts->format == EMG_FORMAT_PIPE)) {
            r->ops = &emgi_pipe_reader;
            r->format = EMG_FORMAT_PIPE;
            int rc = emgi_pipe_open_stdin(&r->state, head, len, &r->source, err);
            return rc < 0 ? rc : 1;
        }
        int rc = spool_stream(r, stdin, "-", head, len, err);
        if (rc < 0)
            return rc;
        *open_path = r->spool_path;
    } else {
        int rc = spool_special(r, path, open_path, head, sizeof head, &len, err);
        if (rc == 0)
            rc = read_head_or_record(path, head, sizeof head, &len, err);
        if (rc < 0)
            return rc;
    }
    r->ops = opts->format != EMG_FORMAT_AUTO ? reader_for(opts->format)
                                             : detect_format(head, len, *open_path);
    if (!r->ops) {
        if (len == 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: empty file", path);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: unrecognised file format", path);
    }
    return EMG_OK;
}

/* Messages about a spooled copy should name the user's input ("-" or the
 * FIFO), not the copy: the message renamed in place (size bytes). */
static void name_input(char *message, size_t size, const char *spool_path, const char *path)
{
    size_t len = strlen(spool_path);
    if (strncmp(message, spool_path, len) != 0)
        return;
    char text[EMG_ERROR_MESSAGE_MAX + 1100];
    snprintf(text, sizeof text, "%.1000s%s", path, message + len);
    emgi_strlcpy(message, text, size);
}

/* The same for a heap string (a note), which may need to grow. */
static int name_input_heap(char **message, const char *spool_path, const char *path,
                           emg_error *err)
{
    size_t size = strlen(*message) + strlen(path) + 1;
    char *grown = emgi_xrealloc(*message, size, 1, err);
    if (!grown)
        return EMG_ERR_NOMEM;
    *message = grown;
    name_input(grown, size, spool_path, path);
    return EMG_OK;
}

static int check_annotation_channel(const char *path, int channel, size_t n_channels,
                                    emg_error *err)
{
    if (channel < -1 || (channel >= 0 && (size_t)channel >= n_channels))
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: annotation for channel %d, the recording has %zu", path,
                             channel + 1, n_channels);
    return EMG_OK;
}

static int validate_header(const char *path, const emg_header *h, emg_error *err)
{
    if (h->n_channels == 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no signal channels", path);
    for (size_t i = 0; i < h->n_annotations; i++) {
        int rc = check_annotation_channel(path, h->annotations[i].channel, h->n_channels, err);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < h->n_channels; i++)
        if (!emg_fs_in_range(h->channels[i].fs))
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: channel %zu ('%s') has sampling rate "
                                 "%g Hz, outside %g-%g Hz", path, i + 1, h->channels[i].name,
                                 h->channels[i].fs, EMG_FS_MIN, EMG_FS_MAX);
    return EMG_OK;
}

/* The caller's index of a source channel (-1, the whole recording, stays -1),
 * or -2 when the channel is not selected. */
static int view_channel(const emg_reader *r, int source_channel)
{
    if (source_channel < 0 || !r->selection)
        return source_channel;
    for (size_t j = 0; j < r->view.n_channels; j++)
        if (r->selection[j] == source_channel)
            return (int)j;
    return -2;
}

/* Move an annotation into range time: one that began before the range start
 * begins at 0 and keeps the part of its duration inside the range. */
static void clip_to_range(const emg_reader *r, double *onset, double *duration)
{
    if (*onset < r->from) {
        *duration -= r->from - *onset;
        *onset = r->from;
    }
    if (r->to >= 0 && *onset + *duration > r->to)
        *duration = r->to - *onset;
    *onset -= r->from;
}

/* The start time of a range that begins `from` seconds into the recording. */
static void shift_start_time(char start_time[40], double from)
{
    int year, month, day, hour, minute;
    double second;
    if (from <= 0 || emg_time_parse(start_time, &year, &month, &day, &hour, &minute, &second) < 0)
        return;
    /* Local time without a zone: do the calendar arithmetic in UTC, where no day
     * has a daylight-saving jump. */
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = minute};
    double whole = floor(second + from);
    time_t t = timegm(&tm) + (time_t)whole;
    struct tm shifted;
    gmtime_r(&t, &shifted);
    emg_time_format(start_time, shifted.tm_year + 1900, shifted.tm_mon + 1, shifted.tm_mday,
                    shifted.tm_hour, shifted.tm_min, (double)shifted.tm_sec + (second + from - whole));
}

/* Rebuild the caller's header from the source header, selection and range. */
static int build_view_header(emg_reader *r, emg_error *err)
{
    emg_header *h = &r->header;
    emg_header_free(h);
    int rc = emg_header_copy(h, &r->source, err);
    if (rc < 0)
        return rc;
    shift_start_time(h->start_time, r->from);
    size_t n = h->n_channels;
    if (r->selection) {
        free(h->channels);
        h->channels = NULL;
        h->n_channels = 0;
        for (size_t j = 0; j < r->view.n_channels; j++)
            if ((rc = emg_header_add_channel(h, &r->source.channels[r->selection[j]], err)) < 0)
                return rc;
        n = h->n_channels;
    }
    for (size_t j = 0; j < n; j++) {
        int src = r->selection ? r->selection[j] : (int)j;
        emg_channel *ch = &h->channels[j];
        if (ch->n_samples >= 0) {
            int64_t last = r->last[src] < 0 ? ch->n_samples
                                            : (r->last[src] < ch->n_samples ? r->last[src]
                                                                             : ch->n_samples);
            ch->n_samples = last > r->first[src] ? last - r->first[src] : 0;
        }
    }
    /* Annotations: keep those that touch the range and belong to a kept channel. */
    size_t kept = 0;
    for (size_t i = 0; i < h->n_annotations; i++) {
        emg_annotation a = h->annotations[i];
        int channel = view_channel(r, a.channel);
        int inside = a.onset + a.duration >= r->from && (r->to < 0 || a.onset < r->to);
        if (channel == -2 || !inside) {
            free(a.text);
            continue;
        }
        clip_to_range(r, &a.onset, &a.duration);
        a.channel = channel;
        h->annotations[kept++] = a;
    }
    h->n_annotations = kept;
    return EMG_OK;
}

static int reset_view(emg_reader *r, size_t n_view, emg_error *err)
{
    emg_block *v = &r->view;
    free(v->count);
    free(v->data);
    v->count = emgi_xcalloc(n_view, sizeof *v->count, err);
    v->data = emgi_xcalloc(n_view, sizeof *v->data, err);
    v->n_channels = n_view;
    return (v->count && v->data) ? EMG_OK : EMG_ERR_NOMEM;
}

int emg_reader_open(emg_reader **out, const char *path, const emg_read_options *opts,
                    emg_error *err)
{
    static const emg_read_options defaults = EMG_READ_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    emg_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    emg_header_init(&r->source);
    emg_header_init(&r->header);
    r->to = -1;
    int rc = EMG_OK;
    char recording[4096];
    if (strcmp(path, "-") && emg_bids_is_dataset(path)) {
        if ((rc = emgi_bids_single_recording(path, recording, sizeof recording, err)) < 0) {
            emg_reader_close(r);
            return rc;
        }
        path = recording;
    }
    emgi_strlcpy(r->path, path, sizeof r->path);
    const char *open_path;
    rc = choose_module(r, path, opts, &open_path, err);
    if (rc == EMG_OK) {
        r->format = opts->format;
        rc = r->ops->open(&r->state, open_path, opts, &r->source, &r->format, err);
        if (rc < 0) {
            r->ops = NULL; /* nothing to close */
            if (r->spool_path && err)
                name_input(err->message, sizeof err->message, open_path, path);
        }
    }
    for (size_t i = 0; rc >= 0 && r->spool_path && i < r->source.n_notes; i++)
        rc = name_input_heap(&r->source.notes[i], open_path, path, err);
    /* A BIDS data file: channel types, units and events from its sidecars. */
    if (rc >= 0 && !r->spool_path &&
        (r->format == EMG_FORMAT_EDF || r->format == EMG_FORMAT_BDF))
        rc = emgi_bids_apply_sidecars(path, &r->source, err);
    if (rc >= 0)
        rc = emgi_header_make_utf8(&r->source, err);
    /* The module holds the copy open: its name can go now, so that nothing is
     * left behind however the program ends. */
    if (r->spool_path)
        emg_temp_discard(r->spool_path);
    if (rc >= 0)
        rc = validate_header(path, &r->source, err);
    size_t n = r->source.n_channels;
    if (rc >= 0) {
        r->position = emgi_xcalloc(n, sizeof *r->position, err);
        r->first = emgi_xcalloc(n, sizeof *r->first, err);
        r->last = emgi_xcalloc(n, sizeof *r->last, err);
        rc = (r->position && r->first && r->last) ? EMG_OK : EMG_ERR_NOMEM;
    }
    if (rc >= 0) {
        for (size_t i = 0; i < n; i++)
            r->last[i] = -1;
        rc = reset_view(r, n, err);
    }
    if (rc >= 0)
        rc = build_view_header(r, err);
    if (rc < 0) {
        emg_reader_close(r);
        return rc;
    }
    *out = r;
    return EMG_OK;
}

int emg_reader_select(emg_reader *r, const int *indices, size_t n, emg_error *err)
{
    if (r->started)
        return emg_error_set(err, EMG_ERR_ARG, "%s: channel selection after reading began",
                             r->path);
    for (size_t j = 0; j < n; j++)
        if (indices[j] < 0 || (size_t)indices[j] >= r->source.n_channels)
            return emg_error_set(err, EMG_ERR_ARG, "%s: no channel %d", r->path, indices[j] + 1);
    int *copy = emgi_xcalloc(n, sizeof *copy, err);
    if (!copy)
        return EMG_ERR_NOMEM;
    memcpy(copy, indices, n * sizeof *copy);
    free(r->selection);
    r->selection = copy;
    int rc = reset_view(r, n, err);
    return rc < 0 ? rc : build_view_header(r, err);
}

int emg_reader_set_range(emg_reader *r, double from, double to, emg_error *err)
{
    if (r->started)
        return emg_error_set(err, EMG_ERR_ARG, "%s: time range after reading began", r->path);
    if (!(from >= 0) || (to >= 0 && to <= from))
        return emg_error_set(err, EMG_ERR_ARG, "%s: empty or negative time range %g to %g s",
                             r->path, from, to);
    double duration = emg_header_duration(&r->source);
    if (duration >= 0 && from >= duration)
        return emg_error_set(err, EMG_ERR_ARG, "%s: start %g s is past the end (%g s)", r->path,
                             from, duration);
    r->from = from;
    r->to = to;
    for (size_t i = 0; i < r->source.n_channels; i++) {
        double fs = r->source.channels[i].fs;
        /* Sample k lies at k/fs: keep from <= k/fs < to. */
        r->first[i] = (int64_t)ceil(from * fs - 1e-9);
        r->last[i] = to < 0 ? -1 : (int64_t)ceil(to * fs - 1e-9);
    }
    return build_view_header(r, err);
}

/* Remap, shift and filter the module's block annotations into the view. */
static int view_annotations(emg_reader *r, emg_error *err)
{
    emg_block *v = &r->view;
    for (size_t i = 0; i < v->n_annotations; i++)
        free(v->annotations[i].text);
    v->n_annotations = 0;
    for (size_t i = 0; i < r->raw.n_annotations; i++) {
        const emg_annotation *a = &r->raw.annotations[i];
        int rc = check_annotation_channel(r->path, a->channel, r->source.n_channels, err);
        if (rc < 0)
            return rc;
        int channel = view_channel(r, a->channel);
        if (channel == -2 || a->onset + a->duration < r->from || (r->to >= 0 && a->onset >= r->to))
            continue;
        double onset = a->onset, duration = a->duration;
        clip_to_range(r, &onset, &duration);
        char *text = emgi_utf8_dup(a->text, err); /* the model's text is UTF-8 */
        if (!text)
            return EMG_ERR_NOMEM;
        rc = emg_block_add_annotation(v, onset, duration, channel, text, err);
        free(text);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

/* Point the view at the part of the module's block inside the range; 1 when
 * every selected channel is past the range end (nothing more to read). */
static int fill_view(emg_reader *r)
{
    int all_done = 1;
    for (size_t j = 0; j < r->view.n_channels; j++) {
        int src = r->selection ? r->selection[j] : (int)j;
        int64_t start = r->position[src];
        int64_t end = start + (int64_t)r->raw.count[src];
        int64_t lo = start > r->first[src] ? start : r->first[src];
        int64_t hi = (r->last[src] >= 0 && end > r->last[src]) ? r->last[src] : end;
        r->view.data[j] = r->raw.data[src] ? r->raw.data[src] + (lo - start) : NULL;
        r->view.count[j] = hi > lo ? (size_t)(hi - lo) : 0;
        if (r->last[src] < 0 || end < r->last[src])
            all_done = 0;
    }
    for (size_t i = 0; i < r->source.n_channels; i++)
        r->position[i] += (int64_t)r->raw.count[i];
    return all_done;
}

/* After the module's last block: every channel must have what its header promised. */
static int check_complete(const emg_reader *r, emg_error *err)
{
    for (size_t i = 0; i < r->source.n_channels; i++) {
        const emg_channel *ch = &r->source.channels[i];
        if (ch->n_samples >= 0 && r->position[i] != ch->n_samples)
            return emg_error_set(err, EMG_ERR_FORMAT,
                                 "%s: channel '%s' holds %lld samples, header declares %lld",
                                 r->path, ch->name, (long long)r->position[i],
                                 (long long)ch->n_samples);
    }
    return EMG_OK;
}

static int start_read_ahead(emg_reader *r, int threaded, emg_error *err)
{
    if (r->ahead)
        return 0;
    if (r->started)
        return emg_error_set(err, EMG_ERR_ARG, "%s: read-ahead must start before the first read",
                             r->path);
    r->started = 1;
    return emgi_read_ahead_start(&r->ahead, r, threaded, err);
}

int emg_reader_read_ahead(emg_reader *r, emg_error *err) { return start_read_ahead(r, 1, err); }

int emg_reader_prefetch_start(emg_reader *r, emg_error *err)
{
    return start_read_ahead(r, 0, err);
}

void emg_reader_prefetch(emg_reader *r)
{
    if (r->ahead)
        emgi_read_ahead_prefetch(r->ahead);
}

int emg_reader_read(emg_reader *r, const emg_block **block, emg_error *err)
{
    if (r->ahead)
        return emgi_read_ahead_next(r->ahead, block, err);
    return emgi_reader_read_now(r, block, err);
}

int emgi_reader_read_now(emg_reader *r, const emg_block **block, emg_error *err)
{
    r->started = 1;
    for (;;) {
        if (r->to >= 0) {
            int done = 1;
            for (size_t j = 0; j < r->view.n_channels && done; j++) {
                int src = r->selection ? r->selection[j] : (int)j;
                done = r->position[src] >= r->last[src];
            }
            if (done)
                return 0;
        }
        emg_block_clear(&r->raw);
        int rc = r->ops->read(r->state, &r->raw, err);
        if (rc < 0) {
            if (r->spool_path && err)
                name_input(err->message, sizeof err->message, r->spool_path, r->path);
            return rc;
        }
        if (rc == 0)
            return check_complete(r, err);
        if (r->raw.n_channels != r->source.n_channels)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: block with %zu channels, expected %zu",
                                 r->path, r->raw.n_channels, r->source.n_channels);
        fill_view(r);
        if ((rc = view_annotations(r, err)) < 0)
            return rc;
        size_t total = 0;
        for (size_t j = 0; j < r->view.n_channels; j++)
            total += r->view.count[j];
        if (total || r->view.n_annotations) {
            *block = &r->view;
            return 1;
        }
    }
}

void emg_reader_close(emg_reader *r)
{
    if (!r)
        return;
    emgi_read_ahead_stop(r->ahead); /* before the state it reads goes */
    if (r->ops && r->state)
        r->ops->close(r->state);
    if (r->spool_path) {
        emg_temp_discard(r->spool_path); /* a no-op unless opening failed early */
        free(r->spool_path);
    }
    emg_header_free(&r->source);
    emg_header_free(&r->header);
    free(r->selection);
    free(r->position);
    free(r->first);
    free(r->last);
    emg_block_free(&r->raw);
    emgi_block_view_free(&r->view);
    free(r);
}

void emgi_block_view_free(emg_block *view)
{
    for (size_t i = 0; i < view->n_annotations; i++)
        free(view->annotations[i].text);
    free(view->annotations);
    free(view->count);
    free(view->data);
    emg_block_init(view);
}

void emgi_reader_trade_raw(emg_reader *r, emg_block *store)
{
    emg_block filled = r->raw;
    r->raw = *store;
    *store = filled;
}

/* ---------------------------------------------------------------- writers */

typedef struct output_file {
    char *tmp;
    char *final;
} output_file;

struct emg_writer {
    const emg_format_writer *ops;
    void *state;
    output_file *files; /* files[0] is the main output */
    size_t n_files;
    int to_stdout;      /* final path "-" */
    int refuses_gaps;   /* the format has no NaN: non-finite samples are an error */
    emg_format format;
};

/* Whether a format can store a non-finite sample (a gap, emgkit/gaps.h) as it
 * is: floating-point formats and text can; integer formats (EDF, BDF, WFDB,
 * PCM audio, FLAC) would turn it into some number, silently. */
static int format_holds_gaps(emg_format f, const emg_write_options *o)
{
    switch (f) {
    case EMG_FORMAT_PIPE: case EMG_FORMAT_HDF5: case EMG_FORMAT_NWB: case EMG_FORMAT_CSV:
    case EMG_FORMAT_TSV:
        return 1;
    case EMG_FORMAT_WAV: case EMG_FORMAT_AIFF: case EMG_FORMAT_CAF: case EMG_FORMAT_W64:
    case EMG_FORMAT_RF64:
        return o->sample_format == EMG_SAMPLE_DEFAULT || o->sample_format == EMG_SAMPLE_FLOAT32 ||
               o->sample_format == EMG_SAMPLE_FLOAT64;
    default:
        return 0;
    }
}

static int refuse_gaps(const emg_writer *w, const emg_block *block, emg_error *err)
{
    for (size_t c = 0; c < block->n_channels; c++)
        if (emg_has_gap(block->data[c], block->count[c]))
            return emg_error_set(err, EMG_ERR_OUTPUT,
                                 "%s: channel %zu has non-finite samples (NaN or infinity: gaps) "
                                 "that %s cannot hold; write a format that can (.h5, .emg, .csv, "
                                 "float WAV)",
                                 w->files[0].final, c + 1, emg_format_name(w->format));
    return EMG_OK;
}

int emgi_writer_add_file(emg_writer *w, const char *tmp_path, const char *final_path,
                         emg_error *err)
{
    int rc = emgi_grow_one((void **)&w->files, w->n_files, sizeof *w->files, err);
    if (rc < 0)
        return rc;
    output_file *f = &w->files[w->n_files];
    f->tmp = emgi_xstrdup(tmp_path, err);
    f->final = emgi_xstrdup(final_path, err);
    if (!f->tmp || !f->final) {
        free(f->tmp);
        free(f->final);
        return EMG_ERR_NOMEM;
    }
    w->n_files++;
    return EMG_OK;
}

static void remove_temporaries(emg_writer *w)
{
    for (size_t i = 0; i < w->n_files; i++)
        emg_temp_discard(w->files[i].tmp);
}

static void free_writer(emg_writer *w)
{
    if (w->ops && w->state)
        w->ops->destroy(w->state);
    for (size_t i = 0; i < w->n_files; i++) {
        free(w->files[i].tmp);
        free(w->files[i].final);
    }
    free(w->files);
    free(w);
}

/* Temporary file for output to stdout from a format that needs to seek. */
static int stdout_spool_path(char *out, size_t n, emg_error *err)
{
    int fd = emgi_temp_file(out, n, "emgkit-out", err);
    if (fd < 0) {
        prefix_error(err, "-: cannot write standard output");
        return fd;
    }
    close(fd);
    return EMG_OK;
}

/* A writer that cannot hold what it is given (too many channels for FLAC, several
 * rates for WAV) fails on the output side, whatever status the module chose. */
static int output_status(int rc, emg_error *err)
{
    if (rc == EMG_ERR_UNSUPPORTED) {
        if (err)
            err->status = EMG_ERR_OUTPUT;
        return EMG_ERR_OUTPUT;
    }
    return rc;
}

int emg_writer_open(emg_writer **out, const char *path, emg_format format,
                    const emg_header *hdr, const emg_write_options *opts, emg_error *err)
{
    static const emg_write_options defaults = EMG_WRITE_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    int rc = EMG_OK;
    if (format == EMG_FORMAT_AUTO && (rc = emg_format_from_path(path, &format, err)) < 0)
        return rc;
    const emg_format_writer *ops = writer_for(format);
    if (!ops)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: cannot write %s files", path,
                             emg_format_name(format));
    if (hdr->n_channels == 0)
        return emg_error_set(err, EMG_ERR_ARG, "%s: no channels to write", path);
    if (opts->events_table && format != EMG_FORMAT_NWB) /* not dropped silently */
        return emg_error_set(err, EMG_ERR_ARG, "%s: an event table is written with NWB output "
                             "only, not %s", path, emg_format_name(format));
    emg_writer *w = emgi_xcalloc(1, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    w->to_stdout = !strcmp(path, "-");
    w->format = format;
    w->refuses_gaps = !format_holds_gaps(format, opts);
    char tmp[4200];
    if (w->to_stdout && ops->streams_to_stdout)
        strcpy(tmp, "-");
    else if (w->to_stdout)
        rc = stdout_spool_path(tmp, sizeof tmp, err);
    else
        rc = emg_temp_path(tmp, sizeof tmp, path, err);
    if (rc >= 0 && (rc = emgi_writer_add_file(w, tmp, path, err)) < 0)
        emg_temp_discard(tmp);
    if (rc >= 0) {
        w->ops = ops;
        rc = output_status(ops->open(&w->state, w, tmp, path, format, hdr, opts, err), err);
    }
    if (rc < 0) {
        remove_temporaries(w);
        free_writer(w);
        return rc;
    }
    *out = w;
    return EMG_OK;
}

int emg_writer_write(emg_writer *w, const emg_block *block, emg_error *err)
{
    if (w->refuses_gaps && refuse_gaps(w, block, err) < 0)
        return EMG_ERR_OUTPUT;
    return output_status(w->ops->write(w->state, block, err), err);
}

static int copy_to_stdout(const char *path, emg_error *err)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return emg_error_set(err, EMG_ERR_OUTPUT, "-: cannot read back the temporary copy: %s",
                             strerror(errno));
    char buf[65536];
    size_t got;
    int ok = 1;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, got, stdout) == got;
    ok = ok && !ferror(in) && fflush(stdout) == 0;
    fclose(in);
    return ok ? EMG_OK : emg_error_set(err, EMG_ERR_OUTPUT, "-: write error on standard output");
}

static int commit_files(emg_writer *w, emg_error *err)
{
    for (size_t i = 0; i < w->n_files; i++) {
        output_file *f = &w->files[i];
        if (!strcmp(f->tmp, "-"))
            continue;
        if (w->to_stdout) {
            if (i == 0) {
                int rc = copy_to_stdout(f->tmp, err);
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        int rc = emg_temp_commit(f->tmp, f->final, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

int emg_writer_close(emg_writer *w, emg_error *err)
{
    int rc = output_status(w->ops->finish(w->state, err), err);
    w->ops->destroy(w->state);
    w->state = NULL;
    if (rc >= 0)
        rc = commit_files(w, err);
    if (rc < 0 || w->to_stdout)
        remove_temporaries(w);
    free_writer(w);
    return rc;
}

void emg_writer_abort(emg_writer *w)
{
    if (!w)
        return;
    remove_temporaries(w);
    free_writer(w);
}

/* ---------------------------------------------------------- whole recordings */

static int append_samples(emg_recording *rec, size_t *capacity, const emg_block *b,
                          int64_t *filled, emg_error *err)
{
    for (size_t i = 0; i < b->n_channels; i++) {
        size_t need = (size_t)filled[i] + b->count[i];
        if (need > capacity[i]) {
            size_t grow = capacity[i] ? capacity[i] * 2
                                      : emgi_first_capacity(rec->header.channels[i].n_samples, need);
            while (grow < need)
                grow *= 2;
            double *d = emgi_xrealloc(rec->data[i], grow, sizeof *d, err);
            if (!d)
                return EMG_ERR_NOMEM;
            rec->data[i] = d;
            capacity[i] = grow;
        }
        memcpy(rec->data[i] + filled[i], b->data[i], b->count[i] * sizeof(double));
        filled[i] += (int64_t)b->count[i];
    }
    for (size_t k = 0; k < b->n_annotations; k++) {
        const emg_annotation *a = &b->annotations[k];
        int rc = emg_header_add_annotation(&rec->header, a->onset, a->duration, a->channel,
                                           a->text, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

int emg_reader_read_all(emg_reader *r, emg_recording *rec, emg_error *err)
{
    emg_recording_init(rec);
    int rc = emg_header_copy(&rec->header, emg_reader_header(r), err);
    size_t n = rec->header.n_channels;
    size_t *capacity = NULL;
    int64_t *filled = NULL;
    if (rc >= 0) {
        rec->data = emgi_xcalloc(n, sizeof *rec->data, err);
        capacity = emgi_xcalloc(n, sizeof *capacity, err);
        filled = emgi_xcalloc(n, sizeof *filled, err);
        rc = (rec->data && capacity && filled) ? EMG_OK : EMG_ERR_NOMEM;
    }
    const emg_block *b;
    while (rc >= 0 && (rc = emg_reader_read(r, &b, err)) > 0)
        rc = append_samples(rec, capacity, b, filled, err);
    for (size_t i = 0; rc >= 0 && i < n; i++)
        rec->header.channels[i].n_samples = filled[i];
    free(capacity);
    free(filled);
    if (rc < 0) {
        emg_recording_free(rec);
        return rc;
    }
    return EMG_OK;
}

int emg_recording_load(emg_recording *rec, const char *path, const emg_read_options *opts,
                       emg_error *err)
{
    emg_recording_init(rec);
    emg_reader *r;
    int rc = emg_reader_open(&r, path, opts, err);
    if (rc < 0)
        return rc;
    rc = emg_reader_read_all(r, rec, err);
    emg_reader_close(r);
    return rc;
}

int emgi_save_by_seconds(const char *path, emg_format format, const emg_header *h,
                         const emg_write_options *opts, emg_sample_source source, void *ctx,
                         emg_error *err)
{
    emg_writer *w;
    int rc = emg_writer_open(&w, path, format, h, opts, err);
    if (rc < 0)
        return rc;
    emg_block view;
    emg_block_init(&view);
    view.n_channels = h->n_channels;
    view.count = emgi_xcalloc(h->n_channels, sizeof *view.count, err);
    view.data = emgi_xcalloc(h->n_channels, sizeof *view.data, err);
    rc = (view.count && view.data) ? EMG_OK : EMG_ERR_NOMEM;
    /* One-second blocks: channel i gets floor((k+1) fs_i) - floor(k fs_i) samples. */
    double duration = emg_header_duration(h);
    for (int64_t k = 0; rc >= 0 && k < (int64_t)ceil(duration); k++) {
        for (size_t i = 0; rc >= 0 && i < h->n_channels; i++) {
            int64_t n = h->channels[i].n_samples;
            int64_t lo = (int64_t)floor((double)k * h->channels[i].fs);
            int64_t hi = (int64_t)floor((double)(k + 1) * h->channels[i].fs);
            lo = lo < n ? lo : n;
            hi = hi < n ? hi : n;
            view.count[i] = (size_t)(hi - lo);
            rc = source(ctx, i, lo, view.count[i], &view.data[i], err);
        }
        if (rc >= 0)
            rc = emg_writer_write(w, &view, err);
    }
    free(view.count);
    free(view.data);
    if (rc < 0) {
        emg_writer_abort(w);
        return rc;
    }
    return emg_writer_close(w, err);
}

static int recording_samples(void *ctx, size_t channel, int64_t first, size_t count,
                             double **data, emg_error *err)
{
    const emg_recording *rec = ctx;
    (void)count;
    (void)err;
    *data = rec->data[channel] ? rec->data[channel] + first : NULL;
    return EMG_OK;
}

int emg_recording_save(const emg_recording *rec, const char *path, emg_format format,
                       const emg_write_options *opts, emg_error *err)
{
    return emgi_save_by_seconds(path, format, &rec->header, opts, recording_samples, (void *)rec,
                                err);
}
