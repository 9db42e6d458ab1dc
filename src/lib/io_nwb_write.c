/* io_nwb_write.c: writing NWB 2.x files (Ruebel et al. 2022, eLife 11:e78362;
 * schema: nwb-schema core 2.7.0, hdmf-common 1.8.0).
 *
 * The layout (docs/formats/nwb.md): the root NWBFile with its required
 * datasets and groups; one TimeSeries per channel under /acquisition, named
 * after the channel (so every channel keeps its name, unit and rate), its
 * samples in `data` (float64, or float32 when asked; conversion 1, the
 * channel's unit) and `starting_time` with the rate; the annotations as the
 * TimeIntervals table /intervals/annotations (start_time, stop_time, label,
 * channel), and an event table (emg_write_options.events_table; columns from
 * nwb_events.c) as /intervals/NAME; the subject in /general/subject and the
 * session label in /general/session_id.
 *
 * Deterministic output: no HDF5 object timestamps; the identifier and every
 * object_id are derived from a hash of the content (header and samples), so
 * the same recording gives the same identifiers; file_create_date is
 * $SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the
 * time of writing -- the one field that then differs between two runs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emgkit/emgkit.h"
#include "io_hdf5_internal.h"
#include "nwb_internal.h"

#define NWB_VERSION "2.7.0"
#define NWB_DEFLATE_LEVEL 1
/* Written when the recording's start time is unknown: NWB requires one. */
#define NWB_UNKNOWN_START "1970-01-01T00:00:00+00:00"

typedef struct nwb_series {
    hid_t dset;
    hsize_t written, chunk;
    double *pending;
    size_t n_pending;
} nwb_series;

typedef struct nwb_writer {
    char *path;
    hid_t file, acquisition;
    hid_t file_type; /* H5T_IEEE_F64LE or F32LE */
    emg_header hdr;  /* channels, subject, start, provenance; annotations gathered */
    char session[EMG_TEXT_MAX];
    nwb_series *series;
    emgi_nwb_events events; /* the event table (emg_write_options.events_table), or none */
    uint64_t hash[2]; /* FNV-1a of the content, two seeds: identifiers */
} nwb_writer;

/* ---------------------------------------------------------- identifiers */

static void hash_bytes(uint64_t hash[2], const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        hash[0] = (hash[0] ^ p[i]) * 0x100000001b3ULL;
        hash[1] = (hash[1] ^ p[i]) * 0x100000001b3ULL;
    }
}

static void hash_text(uint64_t hash[2], const char *text)
{
    hash_bytes(hash, text, strlen(text) + 1);
}

/* A UUID-shaped text (version 4 layout) from the content hash and a salt (an
 * object's path): the same content gives the same identifiers. */
static void content_uuid(const nwb_writer *w, const char *salt, char out[37])
{
    uint64_t h[2] = {w->hash[0], w->hash[1]};
    hash_text(h, salt);
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(h[0] >> (8 * i));
        b[8 + i] = (unsigned char)(h[1] >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* ------------------------------------------------------------ helpers */

static int write_scalar_string(hid_t loc, const char *name, const char *value)
{
    hid_t t = emgi_h5_utf8_string_type();
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    hid_t d = H5Dcreate2(loc, name, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
    emgi_h5_close_id(&d, H5Dclose);
    emgi_h5_close_id(&dcpl, H5Pclose);
    emgi_h5_close_id(&space, H5Sclose);
    emgi_h5_close_id(&t, H5Tclose);
    return st < 0 ? -1 : 0;
}

static int write_string_column(hid_t loc, const char *name, const char *const *values, size_t n)
{
    hid_t t = emgi_h5_utf8_string_type();
    int rc = emgi_h5_write_column(loc, name, t, t, n, values);
    emgi_h5_close_id(&t, H5Tclose);
    return rc;
}

/* neurodata_type, namespace and object_id of a typed object at path. */
static int type_attrs(const nwb_writer *w, hid_t obj, const char *path, const char *type,
                      const char *ns)
{
    char id[37];
    content_uuid(w, path, id);
    return emgi_h5_write_attr_string(obj, "neurodata_type", type) ||
           emgi_h5_write_attr_string(obj, "namespace", ns) ||
           emgi_h5_write_attr_string(obj, "object_id", id);
}

static int add_group(hid_t parent, const char *name)
{
    hid_t g = emgi_h5_create_group(parent, name);
    int bad = g < 0;
    emgi_h5_close_id(&g, H5Gclose);
    return bad ? -1 : 0;
}

/* ISO 8601 with the zone offset, as NWB's isodatetime wants. */
static void iso_time(time_t t, int utc, char out[40])
{
    struct tm tm;
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    char zone[8] = "+00:00";
    if (!utc) {
        char z[8];
        strftime(z, sizeof z, "%z", &tm); /* "+0100" */
        snprintf(zone, sizeof zone, "%.3s:%.2s", z, z + 3);
    }
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s%s", date, zone);
}

/* file_create_date: $SOURCE_DATE_EPOCH (seconds since 1970, UTC) when set, for
 * reproducible files; else now, in local time with its offset. */
static void create_date(char out[40])
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long seconds = epoch && *epoch ? strtoll(epoch, &end, 10) : -1;
    if (epoch && *epoch && end && !*end && seconds >= 0)
        iso_time((time_t)seconds, 1, out);
    else
        iso_time(time(NULL), 0, out);
}

/* An HDF5 link name for a channel: NWB names hold no "/", and "." alone
 * would name the group itself. */
static void series_name(const char *channel, char *out, size_t n)
{
    emgi_strlcpy(out, channel[0] ? channel : "channel", n);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '_';
    if (!strcmp(out, ".") || !strcmp(out, ".."))
        emgi_strlcpy(out, "channel", n);
}

/* ------------------------------------------------------------- series */

static hid_t create_data(nwb_writer *w, hid_t group, size_t i, const emg_channel *ch)
{
    double want = ceil(ch->fs * 8); /* chunks of about 8 s, 256..16384 samples */
    w->series[i].chunk = want < 256 ? 256 : want > 16384 ? 16384 : (hsize_t)want;
    hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &w->series[i].chunk);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, NWB_DEFLATE_LEVEL);
    }
    hid_t dapl = emgi_h5_uncached_chunks();
    hid_t d = H5Dcreate2(group, "data", w->file_type, space, H5P_DEFAULT, dcpl, dapl);
    emgi_h5_close_id(&dapl, H5Pclose);
    emgi_h5_close_id(&dcpl, H5Pclose);
    emgi_h5_close_id(&space, H5Sclose);
    double resolution = emg_channel_resolution(ch);
    if (d >= 0 &&
        (emgi_h5_write_attr_string(d, "unit", ch->unit[0] ? ch->unit : "n/a") ||
         emgi_h5_write_attr_double(d, "conversion", 1.0) ||
         emgi_h5_write_attr_double(d, "offset", 0.0) ||
         emgi_h5_write_attr_double(d, "resolution", resolution > 0 ? resolution : -1.0) ||
         emgi_h5_write_attr_string(d, "continuity", "continuous"))) {
        H5Dclose(d);
        return H5I_INVALID_HID;
    }
    return d;
}

static int create_series(nwb_writer *w, size_t i, emg_error *err)
{
    const emg_channel *ch = &w->hdr.channels[i];
    char name[EMG_NAME_MAX];
    series_name(ch->name, name, sizeof name);
    if (H5Lexists(w->acquisition, name, H5P_DEFAULT) > 0)
        return emg_error_set(err, EMG_ERR_ARG, "%s: two channels would both be /acquisition/%s",
                             w->path, name);
    hid_t g = emgi_h5_create_group(w->acquisition, name);
    hid_t start = H5I_INVALID_HID;
    int bad = g < 0;
    if (!bad) {
        w->series[i].dset = create_data(w, g, i, ch);
        hid_t space = H5Screate(H5S_SCALAR);
        hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
        start = H5Dcreate2(g, "starting_time", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                           H5P_DEFAULT);
        double zero = 0.0;
        bad = w->series[i].dset < 0 || start < 0 ||
              H5Dwrite(start, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &zero) < 0 ||
              emgi_h5_write_attr_double(start, "rate", ch->fs) ||
              emgi_h5_write_attr_string(start, "unit", "seconds") ||
              emgi_h5_write_attr_string(g, "description",
                                       ch->transducer[0] ? ch->transducer : "no description") ||
              emgi_h5_write_attr_string(g, "comments", "no comments");
        emgi_h5_close_id(&dcpl, H5Pclose);
        emgi_h5_close_id(&space, H5Sclose);
    }
    emgi_h5_close_id(&start, H5Dclose);
    emgi_h5_close_id(&g, H5Gclose);
    if (bad)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot create an NWB TimeSeries");
    if (!(w->series[i].pending = emgi_xcalloc(w->series[i].chunk, sizeof(double), err)))
        return EMG_ERR_NOMEM;
    hash_text(w->hash, ch->name);
    hash_text(w->hash, ch->unit);
    hash_bytes(w->hash, &ch->fs, sizeof ch->fs);
    return EMG_OK;
}

static int flush_series(nwb_writer *w, nwb_series *s, emg_error *err)
{
    hsize_t n = s->n_pending;
    if (n == 0)
        return EMG_OK;
    hash_bytes(w->hash, s->pending, n * sizeof *s->pending);
    hsize_t start = s->written, total = start + n;
    herr_t st = H5Dset_extent(s->dset, &total);
    hid_t fspace = st >= 0 ? H5Dget_space(s->dset) : H5I_INVALID_HID;
    hid_t mspace = H5Screate_simple(1, &n, NULL);
    st = fspace >= 0 && mspace >= 0 &&
                 H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &n, NULL) >= 0
             ? H5Dwrite(s->dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, s->pending)
             : -1;
    emgi_h5_close_keeping_errors(&fspace, H5Sclose, st < 0);
    emgi_h5_close_keeping_errors(&mspace, H5Sclose, st < 0);
    if (st < 0)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write samples");
    s->written = total;
    s->n_pending = 0;
    return EMG_OK;
}

/* ---------------------------------------------------------- open/write */

static void writer_free(nwb_writer *w)
{
    if (!w)
        return;
    emgi_h5_abandon(w->file); /* still open: the output is being dropped */
    for (size_t i = 0; w->series && i < w->hdr.n_channels; i++) {
        emgi_h5_close_id(&w->series[i].dset, H5Dclose);
        free(w->series[i].pending);
    }
    free(w->series);
    emgi_nwb_events_free(&w->events);
    emg_header_free(&w->hdr);
    emgi_h5_close_id(&w->acquisition, H5Gclose);
    emgi_h5_close_id(&w->file, H5Fclose);
    free(w->path);
    free(w);
}

/* The groups every NWBFile has, whether or not they hold anything. */
static int create_skeleton(nwb_writer *w)
{
    hid_t stimulus = H5I_INVALID_HID;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    /* /acquisition keeps the channels' order for readers that ask for it. */
    int bad = gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
              H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0;
    if (!bad)
        w->acquisition = H5Gcreate2(w->file, "acquisition", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    emgi_h5_close_id(&gcpl, H5Pclose);
    bad = bad || w->acquisition < 0 || add_group(w->file, "analysis") ||
          add_group(w->file, "processing") ||
          (stimulus = emgi_h5_create_group(w->file, "stimulus")) < 0 ||
          add_group(stimulus, "presentation") || add_group(stimulus, "templates");
    emgi_h5_close_id(&stimulus, H5Gclose);
    return bad ? -1 : 0;
}

static int open_writer(void **state, const char *tmp_path, const char *final_path,
                       const emg_header *hdr, const emg_write_options *opts, emg_error *err)
{
    emg_sample_format sf = opts ? opts->sample_format : EMG_SAMPLE_DEFAULT;
    if (sf != EMG_SAMPLE_DEFAULT && sf != EMG_SAMPLE_FLOAT64 && sf != EMG_SAMPLE_FLOAT32)
        return emg_error_set(err, EMG_ERR_ARG,
                             "%s: NWB output stores float32 or float64 samples, not integers",
                             final_path);
    nwb_writer *w = emgi_xcalloc(1, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    w->file = w->acquisition = H5I_INVALID_HID;
    w->file_type = sf == EMG_SAMPLE_FLOAT32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    w->hash[0] = 0xcbf29ce484222325ULL;
    w->hash[1] = 0x84222325cbf29ce4ULL;
    if (opts && opts->session)
        emgi_strlcpy(w->session, opts->session, sizeof w->session);
    emg_header_init(&w->hdr);
    int rc = emg_header_copy(&w->hdr, hdr, err);
    w->path = rc >= 0 ? emgi_xstrdup(final_path, err) : NULL;
    w->series = w->path ? emgi_xcalloc(hdr->n_channels, sizeof *w->series, err) : NULL;
    if (!w->series) {
        writer_free(w);
        return rc < 0 ? rc : EMG_ERR_NOMEM;
    }
    for (size_t i = 0; i < hdr->n_channels; i++)
        w->series[i].dset = H5I_INVALID_HID;
    /* The event table is read first: a bad one fails before any sample is written. */
    if (opts && opts->events_table && (rc = emgi_nwb_events_read(&w->events, opts->events_table,
                                                                 err)) < 0) {
        writer_free(w);
        return rc;
    }
    hid_t fapl = emgi_h5_file_access();
    w->file = H5Fcreate(tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl >= 0 ? fapl : H5P_DEFAULT);
    emgi_h5_close_keeping_errors(&fapl, H5Pclose, w->file < 0);
    if (w->file < 0 || create_skeleton(w) < 0)
        rc = emgi_h5_fail(err, EMG_ERR_OUTPUT, final_path, "cannot create the NWB file");
    for (size_t i = 0; rc >= 0 && i < hdr->n_channels; i++)
        rc = create_series(w, i, err);
    if (rc < 0) {
        writer_free(w);
        return rc;
    }
    *state = w;
    return EMG_OK;
}

static int write_block(void *state, const emg_block *blk, emg_error *err)
{
    nwb_writer *w = state;
    if (blk->n_channels != w->hdr.n_channels)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, file has %zu", w->path,
                             blk->n_channels, w->hdr.n_channels);
    for (size_t i = 0; i < blk->n_channels; i++) {
        nwb_series *s = &w->series[i];
        const double *src = blk->data[i];
        size_t left = blk->count[i];
        while (left > 0) {
            size_t room = (size_t)s->chunk - s->n_pending;
            size_t take = left < room ? left : room;
            memcpy(s->pending + s->n_pending, src, take * sizeof *src);
            s->n_pending += take;
            src += take;
            left -= take;
            int rc = s->n_pending == s->chunk ? flush_series(w, s, err) : EMG_OK;
            if (rc < 0)
                return rc;
        }
    }
    for (size_t k = 0; k < blk->n_annotations; k++) {
        const emg_annotation *a = &blk->annotations[k];
        int rc = emg_header_add_annotation(&w->hdr, a->onset, a->duration, a->channel, a->text,
                                           err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

/* ------------------------------------------------------------- finish */

/* neurodata_type (and description) of a DynamicTable's dataset at table_path/name. */
static int type_table_dataset(const nwb_writer *w, hid_t table, const char *table_path,
                              const char *name, const char *type, const char *description)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", table_path, name);
    hid_t d = H5Dopen2(table, name, H5P_DEFAULT);
    int bad = d < 0 || type_attrs(w, d, path, type, "hdmf-common") ||
              (description && emgi_h5_write_attr_string(d, "description", description));
    emgi_h5_close_id(&d, H5Dclose);
    return bad ? -1 : 0;
}

/* A ragged column's items (each cell split at commas; n/a: none) and the
 * index of each row's end, as hdmf-common's VectorData + VectorIndex. */
static int split_lists(char *const *cells, size_t n, char ***items, size_t *n_items,
                       uint64_t *ends, emg_error *err)
{
    size_t cap = 1;
    for (size_t r = 0; r < n; r++)
        cap += strlen(cells[r]) / 2 + 1;
    *n_items = 0;
    if (!(*items = emgi_xcalloc(cap, sizeof **items, err)))
        return EMG_ERR_NOMEM;
    for (size_t r = 0; r < n; r++) {
        char *copy = strcmp(cells[r], "n/a") ? emgi_xstrdup(cells[r], err) : NULL, *save = NULL;
        for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item;
             item = strtok_r(NULL, ",", &save))
            if (!((*items)[(*n_items)++] = emgi_xstrdup(item, err)))
                break;
        free(copy);
        ends[r] = *n_items;
    }
    for (size_t i = 0; i < *n_items; i++)
        if (!(*items)[i])
            return EMG_ERR_NOMEM;
    return EMG_OK;
}

/* NAME_index: the VectorIndex of the ragged column NAME, its `target` an
 * object reference to NAME. */
static int write_index(const nwb_writer *w, hid_t table, const char *table_path,
                       const emgi_nwb_column *col, const uint64_t *ends, size_t n)
{
    char name[300], description[340];
    snprintf(name, sizeof name, "%s_index", col->name);
    snprintf(description, sizeof description, "Index for VectorData '%s'", col->name);
    hobj_ref_t target;
    if (emgi_h5_write_column(table, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, n, ends) ||
        type_table_dataset(w, table, table_path, name, "VectorIndex", description) ||
        H5Rcreate(&target, table, col->name, H5R_OBJECT, -1) < 0)
        return -1;
    hid_t d = H5Dopen2(table, name, H5P_DEFAULT);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = d >= 0 ? H5Acreate2(d, "target", H5T_STD_REF_OBJ, space, H5P_DEFAULT, H5P_DEFAULT)
                     : H5I_INVALID_HID;
    int bad = a < 0 || H5Awrite(a, H5T_STD_REF_OBJ, &target) < 0;
    emgi_h5_close_id(&a, H5Aclose);
    emgi_h5_close_id(&space, H5Sclose);
    emgi_h5_close_id(&d, H5Dclose);
    return bad ? -1 : 0;
}

static void hash_column(nwb_writer *w, const emgi_nwb_column *col, size_t n)
{
    hash_text(w->hash, col->name);
    for (size_t r = 0; r < n; r++) {
        if (col->num)
            hash_bytes(w->hash, &col->num[r], sizeof col->num[r]);
        else
            hash_text(w->hash, col->text[r]);
    }
}

/* A ragged column's VectorData: its items, and each row's end for NAME_index. */
static int write_ragged_items(hid_t table, const emgi_nwb_column *col, size_t n, uint64_t *ends,
                              emg_error *err)
{
    char **items = NULL;
    size_t n_items = 0;
    int rc = split_lists(col->text, n, &items, &n_items, ends, err);
    if (rc >= 0 && write_string_column(table, col->name, (const char *const *)items, n_items))
        rc = -1;
    for (size_t i = 0; items && i < n_items; i++)
        free(items[i]);
    free(items);
    return rc;
}

/* One column of a DynamicTable: numbers as float64, texts as UTF-8 strings,
 * a ragged column as its items and NAME_index.  -1 when HDF5 failed (the
 * caller names the file), EMG_ERR_NOMEM. */
static int write_table_column(nwb_writer *w, hid_t table, const char *table_path,
                              const emgi_nwb_column *col, size_t n, emg_error *err)
{
    hash_column(w, col, n);
    uint64_t *ends = NULL;
    int rc = EMG_OK;
    if (col->num)
        rc = emgi_h5_write_column(table, col->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n,
                                  col->num);
    else if (!col->ragged)
        rc = write_string_column(table, col->name, (const char *const *)col->text, n);
    else if (!(ends = emgi_xcalloc(n + 1, sizeof *ends, err)))
        rc = EMG_ERR_NOMEM;
    else
        rc = write_ragged_items(table, col, n, ends, err);
    if (rc == 0 &&
        (type_table_dataset(w, table, table_path, col->name, "VectorData", col->description) ||
         (ends && write_index(w, table, table_path, col, ends, n))))
        rc = -1;
    free(ends);
    return rc;
}

/* /intervals/NAME: a TimeIntervals table (nwb-schema core; hdmf-common
 * DynamicTable) of n rows, its columns in order (start_time and stop_time
 * first), `colnames` naming them and `id` 0..n-1. */
static int write_time_intervals(nwb_writer *w, hid_t intervals, const char *name,
                                const char *description, size_t n, const emgi_nwb_column *cols,
                                size_t n_cols, emg_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "/intervals/%s", name);
    const char **colnames = emgi_xcalloc(n_cols + 1, sizeof *colnames, err);
    int *id = emgi_xcalloc(n + 1, sizeof *id, err);
    if (!colnames || !id) {
        free(colnames);
        free(id);
        return EMG_ERR_NOMEM;
    }
    for (size_t c = 0; c < n_cols; c++)
        colnames[c] = cols[c].name;
    for (size_t i = 0; i < n; i++)
        id[i] = (int)i;
    hid_t table = emgi_h5_create_group(intervals, name);
    int rc = table < 0 || type_attrs(w, table, path, "TimeIntervals", "core") ||
                     emgi_h5_write_attr_string(table, "description", description) ||
                     emgi_h5_write_attr_strings(table, "colnames", colnames, n_cols, 0) ||
                     emgi_h5_write_column(table, "id", H5T_STD_I32LE, H5T_NATIVE_INT, n, id) ||
                     type_table_dataset(w, table, path, "id", "ElementIdentifiers", NULL)
                 ? -1
                 : EMG_OK;
    for (size_t c = 0; rc >= 0 && c < n_cols; c++)
        rc = write_table_column(w, table, path, &cols[c], n, err);
    emgi_h5_close_id(&table, H5Gclose);
    free(colnames);
    free(id);
    if (rc == -1)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write an NWB TimeIntervals table");
    return rc;
}

/* /intervals/annotations: one row per annotation. */
static int write_annotations(nwb_writer *w, hid_t intervals, emg_error *err)
{
    emg_header *h = &w->hdr;
    h->n_annotations = emgi_annotations_sort_unique(h->annotations, h->n_annotations);
    size_t n = h->n_annotations;
    double *start = emgi_xcalloc(n + 1, sizeof *start, err);
    double *stop = emgi_xcalloc(n + 1, sizeof *stop, err);
    char **label = emgi_xcalloc(n + 1, sizeof *label, err);
    char **channel = emgi_xcalloc(n + 1, sizeof *channel, err);
    int rc = start && stop && label && channel ? EMG_OK : EMG_ERR_NOMEM;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        const emg_annotation *a = &h->annotations[i];
        start[i] = a->onset;
        stop[i] = a->onset + a->duration;
        label[i] = a->text;
        channel[i] = a->channel >= 0 ? h->channels[a->channel].name : (char *)"n/a";
    }
    emgi_nwb_column cols[] = {
        {"start_time", "start of the event, in seconds", start, NULL, 0},
        {"stop_time", "end of the event, in seconds", stop, NULL, 0},
        {"label", "annotation text or event label", NULL, label, 0},
        {"channel", "name of the channel (TimeSeries) the event belongs to, n/a for all", NULL,
         channel, 0},
    };
    if (rc >= 0)
        rc = write_time_intervals(w, intervals, NWB_ANNOTATION_TABLE,
                                  "annotations and event labels of the recording (emgkit)", n,
                                  cols, sizeof cols / sizeof *cols, err);
    free(start);
    free(stop);
    free(label);
    free(channel);
    return rc;
}

/* The recording's length: its longest channel, in seconds; *longest_period:
 * the sample period of its slowest channel (the tolerance for an event's end,
 * docs/formats/nwb.md). */
static double recording_length(const nwb_writer *w, double *longest_period)
{
    double length = 0;
    *longest_period = 0;
    for (size_t i = 0; i < w->hdr.n_channels; i++) {
        double fs = w->hdr.channels[i].fs, t = (double)w->series[i].written / fs;
        length = t > length ? t : length;
        *longest_period = 1 / fs > *longest_period ? 1 / fs : *longest_period;
    }
    return length;
}

/* /intervals: the annotations' table, and the event table's when given. */
static int write_intervals(nwb_writer *w, emg_error *err)
{
    int rc = EMG_OK;
    if (w->events.path) {
        double period, length = recording_length(w, &period);
        rc = emgi_nwb_events_check_span(&w->events, length, period, err);
    }
    if (rc < 0 || (w->hdr.n_annotations == 0 && !w->events.path))
        return rc;
    hid_t intervals = emgi_h5_create_group(w->file, "intervals");
    if (intervals < 0)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot create /intervals");
    if (w->hdr.n_annotations)
        rc = write_annotations(w, intervals, err);
    if (rc >= 0 && w->events.path) {
        char description[600];
        snprintf(description, sizeof description,
                 "events of the event table %s (docs/event-tables.md): each column's "
                 "description gives its meaning and unit", emgi_basename(w->events.path));
        rc = write_time_intervals(w, intervals, w->events.name, description, w->events.n_rows,
                                  w->events.columns, w->events.n_columns, err);
    }
    emgi_h5_close_id(&intervals, H5Gclose);
    return rc;
}

/* The provenance, one command a line: /general/notes. */
static char *joined_provenance(const emg_header *h, emg_error *err)
{
    size_t len = 1;
    for (size_t i = 0; i < h->n_provenance; i++)
        len += strlen(h->provenance[i]) + 1;
    char *text = emgi_xcalloc(len, 1, err);
    for (size_t i = 0; text && i < h->n_provenance; i++) {
        strcat(text, h->provenance[i]);
        if (i + 1 < h->n_provenance)
            strcat(text, "\n");
    }
    return text;
}

static int write_general(nwb_writer *w, emg_error *err)
{
    const emg_header *h = &w->hdr;
    hid_t general = emgi_h5_create_group(w->file, "general"), subject = H5I_INVALID_HID;
    char *notes = joined_provenance(h, err);
    int bad = general < 0 || !notes;
    if (!bad && h->n_provenance)
        bad = write_scalar_string(general, "notes", notes);
    if (!bad && w->session[0])
        bad = write_scalar_string(general, "session_id", w->session);
    if (!bad && h->subject[0]) {
        subject = emgi_h5_create_group(general, "subject");
        bad = subject < 0 || type_attrs(w, subject, "/general/subject", "Subject", "core") ||
              write_scalar_string(subject, "subject_id", h->subject);
    }
    emgi_h5_close_id(&subject, H5Gclose);
    emgi_h5_close_id(&general, H5Gclose);
    free(notes);
    if (bad && notes)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write /general");
    return bad ? EMG_ERR_NOMEM : EMG_OK;
}

/* Root datasets and attributes, and the object_id of every series (known
 * only now that the content hash is complete). */
static int write_root(nwb_writer *w, emg_error *err)
{
    const emg_header *h = &w->hdr;
    char start[48], created[40], identifier[37];
    if (h->start_time[0])
        emgi_strlcpy(start, h->start_time, sizeof start);
    else
        emgi_strlcpy(start, NWB_UNKNOWN_START, sizeof start);
    create_date(created);
    content_uuid(w, "identifier", identifier);
    const char *created_list[1] = {created};
    hid_t t = emgi_h5_utf8_string_type();
    int bad = type_attrs(w, w->file, "/", "NWBFile", "core") ||
              emgi_h5_write_attr_string(w->file, "nwb_version", NWB_VERSION) ||
              write_scalar_string(w->file, "identifier", identifier) ||
              write_scalar_string(w->file, "session_description",
                                  h->recording[0] ? h->recording : "EMG recording") ||
              write_scalar_string(w->file, "session_start_time", start) ||
              write_scalar_string(w->file, "timestamps_reference_time", start) ||
              emgi_h5_write_column(w->file, "file_create_date", t, t, 1, created_list);
    emgi_h5_close_id(&t, H5Tclose);
    for (size_t i = 0; !bad && i < h->n_channels; i++) {
        char name[EMG_NAME_MAX], path[EMG_NAME_MAX + 16];
        series_name(h->channels[i].name, name, sizeof name);
        snprintf(path, sizeof path, "/acquisition/%s", name);
        hid_t g = H5Gopen2(w->acquisition, name, H5P_DEFAULT);
        bad = g < 0 || type_attrs(w, g, path, "TimeSeries", "core");
        emgi_h5_close_id(&g, H5Gclose);
    }
    return bad ? emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write the NWB root") : EMG_OK;
}

static void close_objects(void *state)
{
    nwb_writer *w = state;
    for (size_t i = 0; i < w->hdr.n_channels; i++)
        emgi_h5_close_id(&w->series[i].dset, H5Dclose);
    emgi_h5_close_id(&w->acquisition, H5Gclose);
}

static int finish_file(void *state, emg_error *err)
{
    nwb_writer *w = state;
    int rc = EMG_OK;
    for (size_t i = 0; rc >= 0 && i < w->hdr.n_channels; i++)
        rc = flush_series(w, &w->series[i], err);
    if (rc >= 0)
        rc = write_intervals(w, err);
    if (rc >= 0)
        rc = write_general(w, err);
    if (rc >= 0)
        rc = write_root(w, err);
    return emgi_h5_finish_output(&w->file, w->path, rc, close_objects, w, err);
}

/* ------------------------------------------------------------ module */

EMGI_H5_WRITER_MODULE(emgi_nwb_writer, "nwb", open_writer, write_block, finish_file,
                      writer_free);
