/* io_hdf5.c: recordings in HDF5 files.
 *
 * Reads three layouts, recognised from the file's content:
 *   - the emgkit layout (docs/hdf5-layout.md), which the writer below produces:
 *     one float dataset per channel under /recording/channels, annotations as a
 *     column table, provenance;
 *   - PLUX OpenSignals files (io_hdf5_plux.c);
 *   - NWB 2.x TimeSeries under /acquisition (io_hdf5_nwb.c).
 * This file holds what they share: detection, attribute helpers, and the
 * block reader that streams every layout's sample datasets ("series").
 *
 * Samples are read with hyperslab selections one block at a time, so memory
 * does not grow with the recording's length.  HDF5's automatic error printing
 * is silenced during each call (and the caller's setting restored): failures
 * come back as emg_error messages naming the file. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emgkit/emgkit.h"
#include "io_hdf5_internal.h"

#define EMGKIT_HDF5_FORMAT "emgkit-hdf5"
#define EMGKIT_HDF5_VERSION 1
/* Samples of the fastest channel per block read. */
#define HDF5_BLOCK_SAMPLES 32768
/* Bounds that only a damaged file exceeds; they keep allocations and block
 * counts finite whatever the file claims. */
#define HDF5_MIN_FS 1e-6
#define HDF5_MAX_FS 1e8
/* Opening (all metadata, PLUX checks, NWB timestamps) takes longer than this
 * only when libhdf5 loops on a damaged file. */
#define HDF5_OPEN_SECONDS 60
/* Attributes and metadata datasets (labels, annotation columns) are read whole. */
#define HDF5_MAX_ITEMS (1 << 24)
#define HDF5_MAX_STRING (1 << 20)
/* Writer: deflate level (on EMG, level 6 is 1.5 times slower and only 2-7% smaller). */
#define HDF5_DEFLATE_LEVEL 1

/* H5Treclaim is declared by 1.10.7+ headers but Debian's 1.10 library does not export it. */
#if H5_VERSION_GE(1, 12, 0)
#define h5_reclaim H5Treclaim
#else
#define h5_reclaim H5Dvlen_reclaim
#endif

h5_quiet h5_quiet_begin(void)
{
    h5_quiet q = {NULL, NULL};
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

void h5_quiet_end(h5_quiet q)
{
    H5Eset_auto2(H5E_DEFAULT, q.func, q.data);
}

/* HDF5 closes whatever is still open at exit.  libemgkit closes every object
 * it opens, except a dropped output whose close failed even on scratch (under
 * a file-size limit, ulimit -f, closing still extends the file): HDF5 1.10
 * leaves such a file half-closed and its clean-up at exit crashes on it.  So
 * HDF5 is told, before its first use, not to clean up at exit.  (Called after
 * HDF5 is initialised by other code, this does nothing.) */
__attribute__((constructor)) static void no_hdf5_cleanup_at_exit(void)
{
    H5dont_atexit();
}

/* The descriptor of a file opened with the default (sec2) driver, or -1. */
static int file_descriptor(hid_t file)
{
    void *handle = NULL;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle)
        return -1;
    return *(int *)handle;
}

/* Somewhere to write that cannot be full: an anonymous file in memory (only
 * the pages written take memory), else /dev/null. */
static int scratch_descriptor(void)
{
#ifdef MFD_CLOEXEC
    int fd = memfd_create("emgkit-abandoned-hdf5", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
#endif
    return open("/dev/null", O_RDWR | O_CLOEXEC);
}

void emgi_h5_abandon(hid_t file)
{
    int fd = file >= 0 ? file_descriptor(file) : -1;
    if (fd < 0)
        return;
    int scratch = scratch_descriptor();
    if (scratch >= 0) {
        dup2(scratch, fd);
        close(scratch);
    }
}

hid_t emgi_h5_uncached_chunks(void)
{
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl >= 0)
        H5Pset_chunk_cache(dapl, 0, 0, 1.0);
    return dapl;
}

int emgi_h5_finish_output(hid_t *file, const char *path, int rc, void (*close_objects)(void *),
                          void *state, emg_error *err)
{
    if (rc >= 0)
        rc = emgi_h5_complete(*file, path, err);
    if (rc < 0)
        emgi_h5_abandon(*file);
    close_objects(state);
    if (rc >= 0)
        rc = emgi_h5_complete(*file, path, err); /* what closing the objects wrote */
    if (rc >= 0 && H5Fclose(*file) < 0)
        rc = emgi_h5_fail(err, EMG_ERR_OUTPUT, path, "cannot complete the HDF5 file");
    if (rc >= 0)
        *file = H5I_INVALID_HID;
    return rc;
}

int emgi_h5_complete(hid_t file, const char *path, emg_error *err)
{
    /* Everything a flush writes lies below the end of allocated space (chunks
     * are written, and allocated, by H5Dwrite: emgi_h5_uncached_chunks).
     * Reserving the disk blocks up to there first turns a full disk into an
     * error here, before HDF5 has flushed anything: a failed flush leaves
     * HDF5 1.10's metadata cache unable to flush again, so the file could
     * never be closed, and HDF5's clean-up at exit would crash on it.  This
     * also extends the file to that end, which H5Fclose would otherwise do. */
    haddr_t end;
    int fd = file_descriptor(file);
    if (fd >= 0 && H5Fget_eoa(file, &end) >= 0 && end > 0) {
        int rc = posix_fallocate(fd, 0, (off_t)end);
        if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot complete the HDF5 file: %s",
                                 path, strerror(rc));
    }
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, path, "cannot complete the HDF5 file");
    return EMG_OK;
}

/* File access: lock the file where the filesystem can, and go on without a lock
 * where it cannot (NFS and read-only mounts fail HDF5's default "unable to lock file"). */
hid_t emgi_h5_file_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    if (fapl >= 0)
        H5Pset_file_locking(fapl, 1, 1);
#endif
    return fapl;
}

void emgi_h5_close_id(hid_t *id, herr_t (*closer)(hid_t))
{
    if (*id >= 0)
        closer(*id);
    *id = H5I_INVALID_HID;
}

/* Close after a failed call without losing its error stack (every HDF5 API
 * call, a close included, clears the stack on entry). */
void emgi_h5_close_keeping_errors(hid_t *id, herr_t (*closer)(hid_t), int failed)
{
    hid_t stack = failed ? H5Eget_current_stack() : H5I_INVALID_HID;
    emgi_h5_close_id(id, closer);
    if (stack >= 0)
        H5Eset_current_stack(stack);
}

static herr_t innermost_error(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc)
        emgi_strlcpy(data, e->desc, 400);
    return 0;
}

/* HDF5's message in one line and without our temporary file's name: a failed
 * system call ("file write failed: time = ..., filename = '.out.h5.tmp-1-0',
 * ..., error message = 'No space left on device', ...") keeps its first
 * words and the system's message; anything else is cut at the first newline. */
static void one_line_detail(char *detail, size_t size)
{
    const char *system = strstr(detail, "error message = '");
    const char *colon = strchr(detail, ':');
    if (system && colon && colon < system) {
        char message[160];
        emgi_strlcpy(message, system + strlen("error message = '"), sizeof message);
        char *quote = strchr(message, '\'');
        if (quote)
            *quote = '\0';
        char words[160];
        snprintf(words, sizeof words, "%.*s", (int)(colon - detail), detail);
        snprintf(detail, size, "%s: %s", words, message);
    }
    detail[strcspn(detail, "\r\n")] = '\0';
}

/* Fail with the innermost HDF5 message, e.g. "truncated file: eof = ...". */
int emgi_h5_fail(emg_error *err, emg_status status, const char *path, const char *what)
{
    char detail[400] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, detail);
    one_line_detail(detail, sizeof detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return emg_error_set(err, status, "%s: %s (HDF5: %s)", path, what, detail);
    return emg_error_set(err, status, "%s: %s", path, what);
}

/* ------------------------------------------------ attribute and dataset helpers */

/* An attribute (is_attr) or a small dataset, read whole. */
static hid_t obj_type(hid_t id, int is_attr) { return is_attr ? H5Aget_type(id) : H5Dget_type(id); }
static hid_t obj_space(hid_t id, int is_attr) { return is_attr ? H5Aget_space(id) : H5Dget_space(id); }
static herr_t obj_read(hid_t id, int is_attr, hid_t mem_type, void *buf)
{
    return is_attr ? H5Aread(id, mem_type, buf)
                   : H5Dread(id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

void emgi_h5_free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

/* All strings of a string attribute or dataset (fixed or variable length). */
static int obj_strings(hid_t id, int is_attr, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hid_t ftype = obj_type(id, is_attr), space = obj_space(id, is_attr);
    hid_t mtype = H5I_INVALID_HID;
    hssize_t npts = H5Sget_simple_extent_npoints(space);
    int rc = -1;
    char **list = NULL;
    if (ftype < 0 || space < 0 || npts < 0 || npts > HDF5_MAX_ITEMS ||
        H5Tget_class(ftype) != H5T_STRING)
        goto done;
    list = calloc((size_t)npts + 1, sizeof *list);
    if (!list)
        goto done;
    mtype = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ftype) > 0) {
        char **raw = calloc((size_t)npts + 1, sizeof *raw);
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        if (raw && obj_read(id, is_attr, mtype, raw) >= 0) {
            rc = 0;
            for (hssize_t i = 0; i < npts; i++)
                if (!(list[i] = strdup(raw[i] ? raw[i] : "")))
                    rc = -1;
            h5_reclaim(mtype, space, H5P_DEFAULT, raw);
        }
        free(raw);
    } else {
        size_t size = H5Tget_size(ftype);
        char *raw = size > 0 && size <= HDF5_MAX_STRING ? malloc(size * (size_t)npts + 1) : NULL;
        H5Tset_size(mtype, size);
        int space_padded = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
        if (raw && obj_read(id, is_attr, mtype, raw) >= 0) {
            rc = 0;
            for (hssize_t i = 0; i < npts; i++) {
                if (!(list[i] = strndup(raw + (size_t)i * size, size))) {
                    rc = -1;
                    continue;
                }
                for (size_t k = strlen(list[i]); space_padded && k > 0 && list[i][k - 1] == ' '; k--)
                    list[i][k - 1] = '\0';
            }
        }
        free(raw);
    }
done:
    if (rc == 0) {
        *out = list;
        *n = (size_t)npts;
    } else {
        emgi_h5_free_strings(list, npts > 0 ? (size_t)npts : 0);
    }
    emgi_h5_close_id(&mtype, H5Tclose);
    emgi_h5_close_id(&ftype, H5Tclose);
    emgi_h5_close_id(&space, H5Sclose);
    return rc;
}

/* All values of a numeric attribute or dataset as doubles (malloc'd). */
static int obj_doubles(hid_t id, int is_attr, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hid_t ftype = obj_type(id, is_attr), space = obj_space(id, is_attr);
    hssize_t npts = H5Sget_simple_extent_npoints(space);
    int rc = -1;
    H5T_class_t cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    if (npts >= 0 && npts <= HDF5_MAX_ITEMS && (cls == H5T_INTEGER || cls == H5T_FLOAT)) {
        double *v = malloc(((size_t)npts + 1) * sizeof *v);
        if (v && obj_read(id, is_attr, H5T_NATIVE_DOUBLE, v) >= 0) {
            *out = v;
            *n = (size_t)npts;
            rc = 0;
        } else {
            free(v);
        }
    }
    emgi_h5_close_id(&ftype, H5Tclose);
    emgi_h5_close_id(&space, H5Sclose);
    return rc;
}

static int attr_strings(hid_t obj, const char *name, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = a < 0 ? -1 : obj_strings(a, 1, out, n);
    emgi_h5_close_id(&a, H5Aclose);
    return rc;
}

/* The first string of an attribute into out; -1 (out unchanged) when missing. */
int emgi_h5_attr_string(hid_t obj, const char *name, char *out, size_t size)
{
    char **list;
    size_t n;
    if (attr_strings(obj, name, &list, &n) < 0)
        return -1;
    if (n > 0)
        emgi_strlcpy(out, list[0], size);
    emgi_h5_free_strings(list, n);
    return n > 0 ? 0 : -1;
}

int emgi_h5_attr_doubles(hid_t obj, const char *name, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = a < 0 ? -1 : obj_doubles(a, 1, out, n);
    emgi_h5_close_id(&a, H5Aclose);
    return rc;
}

/* The first value of a numeric attribute, or fallback when missing. */
double emgi_h5_attr_double(hid_t obj, const char *name, double fallback)
{
    double *v;
    size_t n;
    if (emgi_h5_attr_doubles(obj, name, &v, &n) < 0)
        return fallback;
    double value = n > 0 ? v[0] : fallback;
    free(v);
    return value;
}

/* A number from a file as int32: damaged files may hold NaN or huge values,
 * whose conversion would be undefined. */
int32_t emgi_h5_to_int32(double v)
{
    if (!(v == v))
        return 0;
    return v <= INT32_MIN ? INT32_MIN : v >= INT32_MAX ? INT32_MAX : (int32_t)v;
}

int emgi_h5_link_exists(hid_t loc, const char *path)
{
    return H5Lexists(loc, path, H5P_DEFAULT) > 0;
}

int emgi_h5_dataset_strings(hid_t loc, const char *path, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!emgi_h5_link_exists(loc, path))
        return -1;
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    int rc = d < 0 ? -1 : obj_strings(d, 0, out, n);
    emgi_h5_close_id(&d, H5Dclose);
    return rc;
}

int emgi_h5_dataset_doubles(hid_t loc, const char *path, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!emgi_h5_link_exists(loc, path))
        return -1;
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    int rc = d < 0 ? -1 : obj_doubles(d, 0, out, n);
    emgi_h5_close_id(&d, H5Dclose);
    return rc;
}


static herr_t collect_group(hid_t loc, const char *name, const H5L_info_t *info, void *data)
{
    name_list *list = data;
    if (info->type != H5L_TYPE_HARD)
        return 0;
    /* H5Oopen + H5Iget_type rather than H5Oget_info, whose signature changed in 1.12. */
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    int is_group = obj >= 0 && H5Iget_type(obj) == H5I_GROUP;
    emgi_h5_close_id(&obj, H5Oclose);
    if (!is_group)
        return 0;
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 8;
        char **grown = realloc(list->names, cap * sizeof *grown);
        if (!grown)
            return -1;
        list->names = grown;
        list->cap = cap;
    }
    if (!(list->names[list->n] = strdup(name)))
        return -1;
    list->n++;
    return 0;
}

int emgi_h5_list_groups(hid_t group, name_list *list)
{
    return emgi_h5_list_groups_by(group, H5_INDEX_NAME, list);
}

int emgi_h5_list_groups_in_order(hid_t group, name_list *list)
{
    hid_t gcpl = H5Gget_create_plist(group);
    unsigned flags = 0;
    if (gcpl >= 0)
        H5Pget_link_creation_order(gcpl, &flags);
    emgi_h5_close_id(&gcpl, H5Pclose);
    return emgi_h5_list_groups_by(group, (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER
                                                                         : H5_INDEX_NAME,
                                 list);
}

int emgi_h5_list_groups_by(hid_t group, H5_index_t index, name_list *list)
{
    memset(list, 0, sizeof *list);
    hsize_t idx = 0;
    if (H5Literate(group, index, H5_ITER_INC, &idx, collect_group, list) >= 0)
        return 0;
    emgi_h5_free_strings(list->names, list->n);
    memset(list, 0, sizeof *list);
    return -1;
}

/* ------------------------------------------------------------------ probe */

static int hdf5_probe(const unsigned char *head, size_t len, const char *path)
{
    /* The superblock signature sits at 0 or, after a user block, at 512, 1024, 2048, ... */
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (size_t at = 0; at + sizeof signature <= len; at = at ? 2 * at : 512)
        if (!memcmp(head + at, signature, sizeof signature))
            return 100;
    return 0;
}

/* ------------------------------------------------------------- reader state */


static void reader_free(h5_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_series; i++) {
        emgi_h5_close_id(&r->series[i].dset, H5Dclose);
        free(r->series[i].scale);
        free(r->series[i].offset);
    }
    free(r->series);
    free(r->scratch);
    emgi_h5_close_id(&r->file, H5Fclose);
    free(r->path);
    free(r);
}

/* A damaged size field can claim 10^18 samples, which HDF5 would serve as fill
 * values for ages.  Deflate packs at most about 1000:1, so a dataset larger than
 * 2000 times the file is not real. */
int emgi_h5_plausible_length(hid_t file, hid_t dset, hsize_t rows, hsize_t cols)
{
    hsize_t file_size = 0;
    hid_t type = H5Dget_type(dset);
    size_t item = type >= 0 ? H5Tget_size(type) : 1;
    emgi_h5_close_id(&type, H5Tclose);
    if (H5Fget_filesize(file, &file_size) < 0)
        return 1;
    return (double)rows * (double)cols * (double)item <= 2000.0 * (double)file_size + 1e6;
}

/* Why the samples of dset lie outside the file the user named (raw data in
 * external files, a virtual dataset's sources, an external link to another
 * file: /etc/passwd can be named in each), or NULL. */
static const char *dataset_elsewhere(hid_t file, hid_t dset)
{
    const char *why = NULL;
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl >= 0 && H5Pget_external_count(dcpl) > 0)
        why = "keeps its samples in external files";
    else if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_VIRTUAL)
        why = "is a virtual dataset mapping other files";
    emgi_h5_close_id(&dcpl, H5Pclose);
    hid_t own = why ? H5I_INVALID_HID : H5Iget_file_id(dset);
    char a[4096], b[4096];
    if (own >= 0 && H5Fget_name(own, a, sizeof a) > 0 && H5Fget_name(file, b, sizeof b) > 0 &&
        strcmp(a, b))
        why = "lies in another file (an external link)";
    emgi_h5_close_id(&own, H5Fclose);
    return why;
}

/* Take ownership of dset as a new series; its channels are added by the caller. */
int emgi_h5_add_series(h5_reader *r, hid_t dset, double fs, emg_error *err, h5_series **out)
{
    hid_t space = H5Dget_space(dset);
    hsize_t dims[2] = {0, 1};
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank == 1 || rank == 2)
        H5Sget_simple_extent_dims(space, dims, NULL);
    emgi_h5_close_id(&space, H5Sclose);
    if ((rank != 1 && rank != 2) || dims[1] > HDF5_MAX_COLUMNS) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: sample dataset of rank %d with %llu columns",
                             r->path, rank, (unsigned long long)dims[1]);
    }
    const char *elsewhere = r->allow_outside_paths ? NULL : dataset_elsewhere(r->file, dset);
    if (elsewhere) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: a sample dataset %s (refused)", r->path,
                             elsewhere);
    }
    if (!(fs >= HDF5_MIN_FS && fs <= HDF5_MAX_FS)) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: implausible sampling rate %g Hz", r->path,
                             fs);
    }
    if (!emgi_h5_plausible_length(r->file, dset, dims[0], rank == 2 ? dims[1] : 1)) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: a dataset claims %llu samples, more than the file can hold",
                             r->path, (unsigned long long)dims[0]);
    }
    if (emgi_grow_one((void **)&r->series, r->n_series, sizeof *r->series, err) < 0) {
        H5Dclose(dset);
        return EMG_ERR_NOMEM;
    }
    h5_series *s = &r->series[r->n_series++];
    memset(s, 0, sizeof *s);
    s->dset = dset;
    s->rank = rank;
    s->n_rows = dims[0];
    s->n_cols = rank == 2 ? dims[1] : 1;
    s->fs = fs;
    s->first_channel = r->n_channels;
    s->scale = emgi_xcalloc(s->n_cols + 1, sizeof *s->scale, err);
    s->offset = emgi_xcalloc(s->n_cols + 1, sizeof *s->offset, err);
    if (!s->scale || !s->offset)
        return EMG_ERR_NOMEM;
    for (hsize_t c = 0; c < s->n_cols; c++)
        s->scale[c] = 1.0;
    *out = s;
    return EMG_OK;
}

/* Rows [row, row + n) of all columns as doubles (HDF5 converts the stored type). */
int emgi_h5_read_rows(const h5_series *s, hsize_t row, hsize_t n, double *out)
{
    hid_t fspace = H5Dget_space(s->dset);
    hsize_t start[2] = {row, 0}, count[2] = {n, s->n_cols}, total = n * s->n_cols;
    hid_t mspace = H5Screate_simple(1, &total, NULL);
    herr_t st = -1;
    if (fspace >= 0 && mspace >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
        st = H5Dread(s->dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, out);
    emgi_h5_close_keeping_errors(&fspace, H5Sclose, st < 0);
    emgi_h5_close_keeping_errors(&mspace, H5Sclose, st < 0);
    return st < 0 ? -1 : 0;
}

int emgi_h5_ensure_scratch(h5_reader *r, size_t n, emg_error *err)
{
    if (n <= r->scratch_cap)
        return EMG_OK;
    double *grown = emgi_xrealloc(r->scratch, n, sizeof *grown, err);
    if (!grown)
        return EMG_ERR_NOMEM;
    r->scratch = grown;
    r->scratch_cap = n;
    return EMG_OK;
}

/* First row of block k of a series, clipped to its length. */
static hsize_t block_row(const h5_series *s, int64_t k)
{
    double row = floor((double)k * s->rows_per_block + 0.5);
    return row >= (double)s->n_rows ? s->n_rows : (hsize_t)row;
}

/* "FILE: /recording/channels/3: samples 65536.. unreadable, file corrupt (HDF5: inflate() failed)" */
static int read_failure(h5_reader *r, const h5_series *s, hsize_t row, emg_error *err)
{
    hid_t stack = H5Eget_current_stack();
    char dataset[200] = "";
    if (H5Iget_name(s->dset, dataset, sizeof dataset) < 0)
        dataset[0] = '\0';
    if (stack >= 0)
        H5Eset_current_stack(stack);
    char what[300];
    snprintf(what, sizeof what, "%s: samples from %llu on unreadable, file corrupt or truncated",
             dataset, (unsigned long long)row);
    return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, what);
}

static int read_block(void *state, emg_block *blk, emg_error *err)
{
    h5_reader *r = state;
    int64_t k = r->block_index;
    size_t most = 0;
    for (;;) {
        int any = 0;
        double next = INFINITY; /* first later block in which some series has a sample */
        for (size_t i = 0; i < r->n_series; i++) {
            const h5_series *s = &r->series[i];
            hsize_t a = block_row(s, k), b = block_row(s, k + 1);
            if (a < s->n_rows) {
                any = 1;
                next = fmin(next, ceil(((double)a + 0.5) / s->rows_per_block) - 1);
            }
            if (b - a > most)
                most = (size_t)(b - a);
        }
        if (!any)
            return 0;
        if (most > 0)
            break;
        /* Rates far apart can leave blocks empty: jump to the next sample. */
        k = next > (double)k && next < 9e18 ? (int64_t)next : k + 1;
    }
    emg_block_clear(blk);
    int rc = emg_block_reserve(blk, r->n_channels, most + 1, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->n_series; i++) {
        const h5_series *s = &r->series[i];
        hsize_t a = block_row(s, k), n = block_row(s, k + 1) - a;
        for (hsize_t c = 0; c < s->n_cols; c++)
            blk->count[s->first_channel + c] = (size_t)n;
        if (n == 0 || s->n_cols == 0)
            continue;
        if ((rc = emgi_h5_ensure_scratch(r, (size_t)(n * s->n_cols), err)) < 0)
            return rc;
        if (emgi_h5_read_rows(s, a, n, r->scratch) < 0)
            return read_failure(r, s, a, err);
        for (hsize_t c = 0; c < s->n_cols; c++) {
            double *dst = blk->data[s->first_channel + c];
            for (hsize_t j = 0; j < n; j++)
                dst[j] = r->scratch[j * s->n_cols + c] * s->scale[c] + s->offset[c];
        }
    }
    r->block_index = k + 1;
    return 1;
}



/* Digital range of an integer HDF5 type, for channels that hold ADC counts. */
void emgi_h5_integer_range(hid_t dset, int32_t *lo, int32_t *hi)
{
    hid_t t = H5Dget_type(dset);
    size_t bits = t >= 0 ? 8 * H5Tget_size(t) : 16;
    int is_signed = t >= 0 && H5Tget_sign(t) == H5T_SGN_2;
    emgi_h5_close_id(&t, H5Tclose);
    if (bits > 32)
        bits = 32;
    if (is_signed) {
        *lo = (int32_t)(-(INT64_C(1) << (bits - 1)));
        *hi = (int32_t)((INT64_C(1) << (bits - 1)) - 1);
    } else {
        *lo = 0;
        *hi = (int32_t)(bits >= 32 ? INT32_MAX : (INT64_C(1) << bits) - 1);
    }
}

int emgi_h5_dataset_is_integer(hid_t dset)
{
    hid_t t = H5Dget_type(dset);
    int yes = t >= 0 && H5Tget_class(t) == H5T_INTEGER;
    emgi_h5_close_id(&t, H5Tclose);
    return yes;
}

int emgi_h5_dataset_is_numeric(hid_t dset)
{
    hid_t t = H5Dget_type(dset);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    emgi_h5_close_id(&t, H5Tclose);
    return c == H5T_INTEGER || c == H5T_FLOAT;
}

/* Choose the block length: about HDF5_BLOCK_SAMPLES of the fastest channel, or the hint. */
static void plan_blocks(h5_reader *r, const emg_read_options *opts)
{
    double fastest = 0;
    for (size_t i = 0; i < r->n_series; i++)
        if (r->series[i].fs > fastest)
            fastest = r->series[i].fs;
    double seconds = HDF5_BLOCK_SAMPLES / fastest;
    if (opts && opts->block_seconds_hint_ms > 0)
        seconds = (double)opts->block_seconds_hint_ms / 1000.0;
    if (seconds * fastest < 1)
        seconds = 1 / fastest;
    for (size_t i = 0; i < r->n_series; i++)
        r->series[i].rows_per_block = seconds * r->series[i].fs;
    r->block_index = 0;
}

/* ------------------------------------------------------- the emgkit layout */

static int read_annotation_table(h5_reader *r, hid_t table, emg_header *hdr, emg_error *err)
{
    double *onset = NULL, *duration = NULL, *channel = NULL;
    char **text = NULL;
    size_t n_on = 0, n_du = 0, n_ch = 0, n_tx = 0;
    int rc = EMG_OK;
    if (emgi_h5_dataset_doubles(table, "onset", &onset, &n_on) < 0 ||
        emgi_h5_dataset_doubles(table, "duration", &duration, &n_du) < 0 ||
        emgi_h5_dataset_doubles(table, "channel", &channel, &n_ch) < 0 ||
        emgi_h5_dataset_strings(table, "text", &text, &n_tx) < 0 || n_du != n_on || n_ch != n_on ||
        n_tx != n_on)
        rc = emgi_h5_fail(err, EMG_ERR_FORMAT, r->path,
                     "/recording/annotations: onset, duration, channel and text columns "
                     "missing or of different lengths");
    for (size_t i = 0; rc >= 0 && i < n_on; i++) {
        int ch = channel[i] >= 0 && channel[i] < (double)hdr->n_channels ? (int)channel[i] : -1;
        rc = emg_header_add_annotation(hdr, onset[i], duration[i], ch, text[i], err);
    }
    free(onset);
    free(duration);
    free(channel);
    emgi_h5_free_strings(text, n_tx);
    return rc;
}

static int read_channel(h5_reader *r, hid_t channels, size_t index, emg_header *hdr,
                        emg_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "%zu", index);
    hid_t dset = H5Dopen2(channels, name, H5P_DEFAULT);
    if (dset < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot open a channel dataset");
    emg_channel ch;
    emg_channel_init(&ch);
    snprintf(ch.name, sizeof ch.name, "%zu", index + 1);
    emgi_h5_attr_string(dset, "name", ch.name, sizeof ch.name);
    emgi_h5_attr_string(dset, "unit", ch.unit, sizeof ch.unit);
    emgi_h5_attr_string(dset, "transducer", ch.transducer, sizeof ch.transducer);
    ch.fs = emgi_h5_attr_double(dset, "fs", 0);
    ch.gain = emgi_h5_attr_double(dset, "gain", 0);
    ch.baseline = emgi_h5_attr_double(dset, "baseline", 0);
    ch.digital_min = emgi_h5_to_int32(emgi_h5_attr_double(dset, "digital_min", 0));
    ch.digital_max = emgi_h5_to_int32(emgi_h5_attr_double(dset, "digital_max", 0));
    if (!(ch.fs > 0) || !isfinite(ch.fs)) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: /recording/channels/%s: missing or invalid fs attribute",
                             r->path, name);
    }
    if (!emgi_h5_dataset_is_numeric(dset)) {
        H5Dclose(dset);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: /recording/channels/%s: not numeric",
                             r->path, name);
    }
    h5_series *s = NULL;
    int rc = emgi_h5_add_series(r, dset, ch.fs, err, &s);
    if (rc < 0)
        return rc;
    if (s->n_cols != 1 || s->rank != 1)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: /recording/channels/%s: not 1-D", r->path,
                             name);
    ch.n_samples = (int64_t)s->n_rows;
    r->n_channels++;
    rc = emg_header_add_channel(hdr, &ch, err);
    return rc < 0 ? rc : EMG_OK;
}

static int open_emgkit(h5_reader *r, emg_header *hdr, emg_error *err)
{
    int version = emgi_h5_to_int32(emgi_h5_attr_double(r->file, "version", 0));
    if (version != EMGKIT_HDF5_VERSION)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: emgkit HDF5 layout version %d (this emgkit reads version %d)",
                             r->path, version, EMGKIT_HDF5_VERSION);
    hid_t rec = H5Gopen2(r->file, "/recording", H5P_DEFAULT);
    if (rec < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "no /recording group");
    emgi_h5_attr_string(rec, "start_time", hdr->start_time, sizeof hdr->start_time);
    emgi_h5_attr_string(rec, "subject", hdr->subject, sizeof hdr->subject);
    emgi_h5_attr_string(rec, "description", hdr->recording, sizeof hdr->recording);
    char **prov;
    size_t n_prov;
    int rc = EMG_OK;
    if (attr_strings(rec, "provenance", &prov, &n_prov) == 0) {
        for (size_t i = 0; rc >= 0 && i < n_prov; i++)
            rc = emg_header_add_provenance(hdr, prov[i], err);
        emgi_h5_free_strings(prov, n_prov);
    }
    hid_t channels = rc >= 0 ? H5Gopen2(rec, "channels", H5P_DEFAULT) : H5I_INVALID_HID;
    if (rc >= 0 && channels < 0)
        rc = emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "no /recording/channels group");
    for (size_t i = 0; rc >= 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "%zu", i);
        if (!emgi_h5_link_exists(channels, name))
            break;
        rc = read_channel(r, channels, i, hdr, err);
    }
    if (rc >= 0 && r->n_channels == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: /recording/channels holds no channel",
                           r->path);
    if (rc >= 0 && emgi_h5_link_exists(rec, "annotations")) {
        hid_t table = H5Gopen2(rec, "annotations", H5P_DEFAULT);
        rc = table < 0 ? emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot open annotations")
                       : read_annotation_table(r, table, hdr, err);
        emgi_h5_close_id(&table, H5Gclose);
    }
    emgi_h5_close_id(&channels, H5Gclose);
    emgi_h5_close_id(&rec, H5Gclose);
    return rc;
}

/* ------------------------------------------------------------------- open */

static int detect_and_read(h5_reader *r, emg_header *hdr, emg_error *err)
{
    char format[40] = "";
    emgi_h5_attr_string(r->file, "emgkit_format", format, sizeof format);
    if (!strcmp(format, EMGKIT_HDF5_FORMAT))
        return open_emgkit(r, hdr, err);
    if (emgi_h5_is_nwb(r->file))
        return emgi_h5_open_nwb(r, hdr, err);
    name_list groups;
    if (emgi_h5_list_groups(r->file, &groups) < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot list the root group");
    int plux = 0;
    for (size_t i = 0; i < groups.n && !plux; i++)
        plux = emgi_h5_is_plux_device(r->file, groups.names[i]);
    int rc = plux ? emgi_h5_open_plux(r, &groups, hdr, err)
                  : emg_error_set(err, EMG_ERR_UNSUPPORTED,
                                  "%s: HDF5 file holds no emgkit, OpenSignals or NWB recording",
                                  r->path);
    emgi_h5_free_strings(groups.names, groups.n);
    return rc;
}

static int open_reader(void **state, const char *path, const emg_read_options *opts,
                       emg_header *hdr, emg_format *detected, emg_error *err)
{
    h5_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    r->file = H5I_INVALID_HID;
    r->allow_outside_paths = opts && opts->allow_outside_paths;
    if (!(r->path = emgi_xstrdup(path, err))) {
        reader_free(r);
        return EMG_ERR_NOMEM;
    }
    hid_t fapl = emgi_h5_file_access();
    r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    emgi_h5_close_keeping_errors(&fapl, H5Pclose, r->file < 0);
    int rc = r->file < 0 ? emgi_h5_fail(err, EMG_ERR_FORMAT, path, "corrupt or truncated HDF5 file")
                         : detect_and_read(r, hdr, err);
    if (rc < 0) {
        reader_free(r);
        return rc;
    }
    plan_blocks(r, opts);
    *detected = EMG_FORMAT_HDF5;
    *state = r;
    return EMG_OK;
}

typedef struct open_args {
    const char *path;
    const emg_read_options *opts;
} open_args;

static void hdf5_close(void *state);

/* The whole open, in the isolated copy: only whether it crashes or hangs
 * matters.  What it opened is released, so that a memory checker following
 * the copy finds nothing left. */
static int trial_open(void *ctx)
{
    const open_args *a = ctx;
    void *state = NULL;
    emg_header hdr;
    emg_format detected;
    emg_header_init(&hdr);
    int rc = open_reader(&state, a->path, a->opts, &hdr, &detected, NULL);
    if (rc >= 0)
        hdf5_close(state);
    emg_header_free(&hdr);
    return rc;
}

static int hdf5_open(void **state, const char *path, const emg_read_options *opts,
                     emg_header *hdr, emg_format *detected, emg_error *err)
{
    h5_quiet q = h5_quiet_begin();
    /* libhdf5 itself can crash or loop on a damaged file's metadata: try the
     * open in a copy of the process first (isolate.c). */
    open_args args = {path, opts};
    int rc = emgi_try_isolated(trial_open, &args, HDF5_OPEN_SECONDS, path, "HDF5 file", err);
    if (rc >= 0)
        rc = open_reader(state, path, opts, hdr, detected, err);
    h5_quiet_end(q);
    return rc;
}

static int hdf5_read(void *state, emg_block *blk, emg_error *err)
{
    h5_quiet q = h5_quiet_begin();
    int rc = read_block(state, blk, err);
    h5_quiet_end(q);
    return rc;
}

static void hdf5_close(void *state)
{
    h5_quiet q = h5_quiet_begin();
    reader_free(state);
    h5_quiet_end(q);
}

const emg_format_reader emgi_hdf5_reader = {"hdf5", hdf5_probe, hdf5_open, hdf5_read, hdf5_close};

/* ------------------------------------------------------------------ writer */

typedef struct h5_writer {
    char *path;
    hid_t file, recording, channels;
    hid_t file_type; /* H5T_IEEE_F64LE or F32LE */
    size_t n_channels;
    hid_t *dset;
    hsize_t *written;   /* samples already in each dataset */
    hsize_t *chunk;     /* chunk length of each dataset */
    double **pending;   /* one chunk of samples waiting per channel */
    size_t *n_pending;
    emg_annotation *annotations;
    size_t n_annotations, cap_annotations;
} h5_writer;

static int write_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, hid_t space,
                      const void *value)
{
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, mem_type, value);
    emgi_h5_close_id(&a, H5Aclose);
    return st < 0 ? -1 : 0;
}

hid_t emgi_h5_utf8_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* Variable-length UTF-8 strings: what h5py reads back as str. */
int emgi_h5_write_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n,
                              int scalar)
{
    hid_t t = emgi_h5_utf8_string_type();
    hsize_t dims = n;
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL);
    static const char *const empty = "";
    int rc = write_attr(obj, name, t, t, space, n ? (const void *)values : (const void *)&empty);
    emgi_h5_close_id(&space, H5Sclose);
    emgi_h5_close_id(&t, H5Tclose);
    return rc;
}

int emgi_h5_write_attr_string(hid_t obj, const char *name, const char *value)
{
    return emgi_h5_write_attr_strings(obj, name, &value, 1, 1);
}

int emgi_h5_write_attr_double(hid_t obj, const char *name, double value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    int rc = write_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, &value);
    emgi_h5_close_id(&space, H5Sclose);
    return rc;
}

int emgi_h5_write_attr_int(hid_t obj, const char *name, int value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    int rc = write_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, space, &value);
    emgi_h5_close_id(&space, H5Sclose);
    return rc;
}

static void writer_free(h5_writer *w)
{
    if (!w)
        return;
    emgi_h5_abandon(w->file); /* still open: the output is being dropped */
    for (size_t i = 0; i < w->n_channels; i++) {
        if (w->dset)
            emgi_h5_close_id(&w->dset[i], H5Dclose);
        if (w->pending)
            free(w->pending[i]);
    }
    free(w->dset);
    free(w->written);
    free(w->chunk);
    free(w->pending);
    free(w->n_pending);
    for (size_t i = 0; i < w->n_annotations; i++)
        free(w->annotations[i].text);
    free(w->annotations);
    emgi_h5_close_id(&w->channels, H5Gclose);
    emgi_h5_close_id(&w->recording, H5Gclose);
    emgi_h5_close_id(&w->file, H5Fclose);
    free(w->path);
    free(w);
}

static int keep_annotation(h5_writer *w, const emg_annotation *a, emg_error *err)
{
    if (emgi_grow((void **)&w->annotations, &w->cap_annotations, w->n_annotations + 1,
                  sizeof *w->annotations, err) < 0)
        return EMG_ERR_NOMEM;
    emg_annotation *dst = &w->annotations[w->n_annotations];
    *dst = *a;
    if (!(dst->text = emgi_xstrdup(a->text ? a->text : "", err)))
        return EMG_ERR_NOMEM;
    w->n_annotations++;
    return EMG_OK;
}

/* One extendible, chunked dataset per channel: shuffle + deflate when available. */
/* Creation properties without object timestamps: the same recording then gives
 * a byte-identical file (emg-synth promises this for a fixed seed). */
hid_t emgi_h5_untimed_plist(hid_t plist_class)
{
    hid_t p = H5Pcreate(plist_class);
    if (p >= 0)
        H5Pset_obj_track_times(p, 0);
    return p;
}

hid_t emgi_h5_create_group(hid_t parent, const char *name)
{
    hid_t gcpl = emgi_h5_untimed_plist(H5P_GROUP_CREATE);
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    emgi_h5_close_id(&gcpl, H5Pclose);
    return g;
}

static hid_t create_channel(h5_writer *w, size_t i, const emg_channel *ch)
{
    char name[32];
    snprintf(name, sizeof name, "%zu", i);
    /* Chunks of about 8 s, between 256 and 16384 samples (128 KiB of float64). */
    double want = ceil(ch->fs * 8);
    w->chunk[i] = want < 256 ? 256 : want > 16384 ? 16384 : (hsize_t)want;
    hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &w->chunk[i]);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, HDF5_DEFLATE_LEVEL);
    }
    hid_t dapl = emgi_h5_uncached_chunks();
    hid_t d = H5Dcreate2(w->channels, name, w->file_type, space, H5P_DEFAULT, dcpl, dapl);
    emgi_h5_close_id(&dapl, H5Pclose);
    emgi_h5_close_id(&dcpl, H5Pclose);
    emgi_h5_close_id(&space, H5Sclose);
    if (d < 0)
        return d;
    int bad = emgi_h5_write_attr_string(d, "name", ch->name) || emgi_h5_write_attr_double(d, "fs", ch->fs) ||
              emgi_h5_write_attr_string(d, "unit", ch->unit) ||
              emgi_h5_write_attr_string(d, "transducer", ch->transducer) ||
              emgi_h5_write_attr_double(d, "gain", ch->gain) ||
              emgi_h5_write_attr_double(d, "baseline", ch->baseline) ||
              emgi_h5_write_attr_int(d, "digital_min", ch->digital_min) ||
              emgi_h5_write_attr_int(d, "digital_max", ch->digital_max);
    if (bad) {
        H5Dclose(d);
        return H5I_INVALID_HID;
    }
    return d;
}

static int write_recording_attrs(h5_writer *w, const emg_header *hdr)
{
    return emgi_h5_write_attr_string(w->file, "emgkit_format", EMGKIT_HDF5_FORMAT) ||
           emgi_h5_write_attr_int(w->file, "version", EMGKIT_HDF5_VERSION) ||
           emgi_h5_write_attr_string(w->file, "created_by", "emgkit " EMGKIT_VERSION) ||
           emgi_h5_write_attr_string(w->recording, "start_time", hdr->start_time) ||
           emgi_h5_write_attr_string(w->recording, "subject", hdr->subject) ||
           emgi_h5_write_attr_string(w->recording, "description", hdr->recording) ||
           emgi_h5_write_attr_strings(w->recording, "provenance", (const char *const *)hdr->provenance,
                              hdr->n_provenance, 0) ||
           emgi_h5_write_attr_strings(w->recording, "notes", (const char *const *)hdr->notes,
                              hdr->n_notes, 0);
}

static int open_writer(void **state, const char *tmp_path, const char *final_path,
                       const emg_header *hdr, const emg_write_options *opts, emg_error *err)
{
    emg_sample_format sf = opts ? opts->sample_format : EMG_SAMPLE_DEFAULT;
    if (sf != EMG_SAMPLE_DEFAULT && sf != EMG_SAMPLE_FLOAT64 && sf != EMG_SAMPLE_FLOAT32)
        return emg_error_set(err, EMG_ERR_ARG,
                             "%s: HDF5 output stores float32 or float64 samples, not integers",
                             final_path);
    if (hdr->n_channels == 0)
        return emg_error_set(err, EMG_ERR_ARG, "%s: no channels to write", final_path);
    /* A .nwb name would promise NWB, which this writer does not produce. */
    if (emgi_str_ieq(emgi_path_extension(final_path), "nwb"))
        return emg_error_set(err, EMG_ERR_ARG,
                             "%s: a .nwb name promises NWB, not the emgkit HDF5 layout; "
                             "name the output .h5, or write NWB (--to nwb)",
                             final_path);
    h5_writer *w = emgi_xcalloc(1, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    w->file = w->recording = w->channels = H5I_INVALID_HID;
    w->file_type = sf == EMG_SAMPLE_FLOAT32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    size_t n = hdr->n_channels;
    w->path = emgi_xstrdup(final_path, err);
    w->dset = emgi_xcalloc(n, sizeof *w->dset, err);
    w->written = emgi_xcalloc(n, sizeof *w->written, err);
    w->chunk = emgi_xcalloc(n, sizeof *w->chunk, err);
    w->pending = emgi_xcalloc(n, sizeof *w->pending, err);
    w->n_pending = emgi_xcalloc(n, sizeof *w->n_pending, err);
    if (!w->path || !w->dset || !w->written || !w->chunk || !w->pending || !w->n_pending) {
        writer_free(w);
        return EMG_ERR_NOMEM;
    }
    w->n_channels = n;
    for (size_t i = 0; i < n; i++)
        w->dset[i] = H5I_INVALID_HID;
    int rc = EMG_OK;
    hid_t fapl = emgi_h5_file_access();
    w->file = H5Fcreate(tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl >= 0 ? fapl : H5P_DEFAULT);
    emgi_h5_close_keeping_errors(&fapl, H5Pclose, w->file < 0);
    if (w->file >= 0)
        w->recording = emgi_h5_create_group(w->file, "recording");
    if (w->recording >= 0)
        w->channels = emgi_h5_create_group(w->recording, "channels");
    if (w->channels < 0 || write_recording_attrs(w, hdr))
        rc = emgi_h5_fail(err, EMG_ERR_OUTPUT, final_path, "cannot create the HDF5 file");
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if ((w->dset[i] = create_channel(w, i, &hdr->channels[i])) < 0)
            rc = emgi_h5_fail(err, EMG_ERR_OUTPUT, final_path, "cannot create a channel dataset");
        else if (!(w->pending[i] = emgi_xcalloc(w->chunk[i], sizeof(double), err)))
            rc = EMG_ERR_NOMEM;
    }
    for (size_t i = 0; rc >= 0 && i < hdr->n_annotations; i++)
        rc = keep_annotation(w, &hdr->annotations[i], err);
    if (rc < 0) {
        writer_free(w);
        return rc;
    }
    *state = w;
    return EMG_OK;
}

/* Append a channel's pending samples to its dataset. */
static int flush_channel(h5_writer *w, size_t i, emg_error *err)
{
    hsize_t n = w->n_pending[i];
    if (n == 0)
        return EMG_OK;
    hsize_t start = w->written[i], total = start + n;
    herr_t st = H5Dset_extent(w->dset[i], &total);
    hid_t fspace = st >= 0 ? H5Dget_space(w->dset[i]) : H5I_INVALID_HID;
    hid_t mspace = H5Screate_simple(1, &n, NULL);
    st = fspace >= 0 && mspace >= 0 &&
                 H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &n, NULL) >= 0
             ? H5Dwrite(w->dset[i], H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT,
                        w->pending[i])
             : -1;
    emgi_h5_close_keeping_errors(&fspace, H5Sclose, st < 0);
    emgi_h5_close_keeping_errors(&mspace, H5Sclose, st < 0);
    if (st < 0)
        return emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write samples");
    w->written[i] = total;
    w->n_pending[i] = 0;
    return EMG_OK;
}

static int write_block(void *state, const emg_block *blk, emg_error *err)
{
    h5_writer *w = state;
    if (blk->n_channels != w->n_channels)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, file has %zu", w->path,
                             blk->n_channels, w->n_channels);
    for (size_t i = 0; i < w->n_channels; i++) {
        const double *src = blk->data[i];
        size_t left = blk->count[i];
        while (left > 0) {
            size_t room = (size_t)w->chunk[i] - w->n_pending[i];
            size_t take = left < room ? left : room;
            memcpy(w->pending[i] + w->n_pending[i], src, take * sizeof *src);
            w->n_pending[i] += take;
            src += take;
            left -= take;
            int rc = w->n_pending[i] == w->chunk[i] ? flush_channel(w, i, err) : EMG_OK;
            if (rc < 0)
                return rc;
        }
    }
    for (size_t k = 0; k < blk->n_annotations; k++) {
        int rc = keep_annotation(w, &blk->annotations[k], err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

int emgi_h5_write_column(hid_t table, const char *name, hid_t file_type, hid_t mem_type,
                        hsize_t n, const void *values)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    hid_t d = H5Dcreate2(table, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    emgi_h5_close_id(&dcpl, H5Pclose);
    herr_t st = d < 0 ? -1 : n == 0 ? 0 : H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    emgi_h5_close_id(&d, H5Dclose);
    emgi_h5_close_id(&space, H5Sclose);
    return st < 0 ? -1 : 0;
}

/* /recording/annotations: a column table (one 1-D dataset per column). */
static int write_annotations(h5_writer *w, emg_error *err)
{
    /* An annotation may come both in the header and in a block, depending on
     * the reader that produced it. */
    w->n_annotations = emgi_annotations_sort_unique(w->annotations, w->n_annotations);
    size_t n = w->n_annotations;
    double *onset = emgi_xcalloc(n + 1, sizeof *onset, err);
    double *duration = emgi_xcalloc(n + 1, sizeof *duration, err);
    int *channel = emgi_xcalloc(n + 1, sizeof *channel, err);
    const char **text = emgi_xcalloc(n + 1, sizeof *text, err);
    int rc = onset && duration && channel && text ? EMG_OK : EMG_ERR_NOMEM;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        onset[i] = w->annotations[i].onset;
        duration[i] = w->annotations[i].duration;
        channel[i] = w->annotations[i].channel;
        text[i] = w->annotations[i].text;
    }
    hid_t table = rc >= 0 ? emgi_h5_create_group(w->recording, "annotations") : H5I_INVALID_HID;
    hid_t str = emgi_h5_utf8_string_type();
    static const char *const columns[] = {"onset", "duration", "channel", "text"};
    if (rc >= 0 &&
        (table < 0 || emgi_h5_write_attr_strings(table, "columns", columns, 4, 0) ||
         emgi_h5_write_column(table, "onset", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, onset) ||
         emgi_h5_write_column(table, "duration", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, duration) ||
         emgi_h5_write_column(table, "channel", H5T_STD_I32LE, H5T_NATIVE_INT, n, channel) ||
         emgi_h5_write_column(table, "text", str, str, n, text)))
        rc = emgi_h5_fail(err, EMG_ERR_OUTPUT, w->path, "cannot write annotations");
    emgi_h5_close_id(&str, H5Tclose);
    emgi_h5_close_id(&table, H5Gclose);
    free(onset);
    free(duration);
    free(channel);
    free(text);
    return rc;
}

static void close_objects(void *state)
{
    h5_writer *w = state;
    for (size_t i = 0; i < w->n_channels; i++)
        emgi_h5_close_id(&w->dset[i], H5Dclose);
    emgi_h5_close_id(&w->channels, H5Gclose);
    emgi_h5_close_id(&w->recording, H5Gclose);
}

static int finish_file(void *state, emg_error *err)
{
    h5_writer *w = state;
    int rc = EMG_OK;
    for (size_t i = 0; rc >= 0 && i < w->n_channels; i++)
        rc = flush_channel(w, i, err);
    if (rc >= 0)
        rc = write_annotations(w, err);
    return emgi_h5_finish_output(&w->file, w->path, rc, close_objects, w, err);
}

EMGI_H5_WRITER_MODULE(emgi_hdf5_writer, "hdf5", open_writer, write_block, finish_file,
                      writer_free);
