/* io_hdf5_internal.h: what the HDF5 layouts share (io_hdf5.c reads the emgkit
 * layout and writes it, io_hdf5_plux.c reads PLUX OpenSignals files,
 * io_hdf5_nwb.c reads NWB).  A layout reader adds sample datasets as series
 * with emgi_h5_add_series() and their channels to the header; io_hdf5.c then
 * streams blocks from all series alike. */
#ifndef EMGKIT_IO_HDF5_INTERNAL_H
#define EMGKIT_IO_HDF5_INTERNAL_H

#include <hdf5.h>
#include "io_internal.h"

/* Rows per pass when a reader scans a whole dataset at open (PLUX checks, timestamps). */
#define HDF5_SCAN_ROWS 65536
/* Bounds that only a damaged file exceeds; they keep allocations and block
 * counts finite whatever the file claims. */
#define HDF5_MAX_COLUMNS 65536

/* One dataset of samples: rows are time, columns (rank 2) are channels.
 * physical = stored * scale[c] + offset[c]. */
typedef struct h5_series {
    hid_t dset;
    hsize_t n_rows, n_cols;
    int rank;
    double fs;
    size_t first_channel;
    double rows_per_block;
    double *scale, *offset;
} h5_series;

typedef struct h5_reader {
    char *path;
    hid_t file;
    h5_series *series;
    size_t n_series;
    size_t n_channels;
    int64_t block_index;
    double *scratch;
    size_t scratch_cap;
    int allow_outside_paths; /* emg_read_options: samples kept outside the file */
} h5_reader;

/* Take ownership of dset (closed on failure) as a new series at rate fs; its
 * scale is 1 and offset 0 per column until the caller sets them. */
int emgi_h5_add_series(h5_reader *r, hid_t dset, double fs, emg_error *err, h5_series **out);
/* Rows [row, row + n) of all columns of a series as doubles; -1 on failure
 * (HDF5's error stack kept for emgi_h5_fail). */
int emgi_h5_read_rows(const h5_series *s, hsize_t row, hsize_t n, double *out);
/* Grow r->scratch to n doubles. */
int emgi_h5_ensure_scratch(h5_reader *r, size_t n, emg_error *err);
/* False when a dataset claims more samples than the file can hold (damaged size). */
int emgi_h5_plausible_length(hid_t file, hid_t dset, hsize_t rows, hsize_t cols);

/* The library never prints, but HDF5 dumps its error stack on stderr unless
 * told not to.  Every entry point that calls HDF5 brackets its work with these,
 * which silence it and then restore the caller's setting, so a program that
 * uses HDF5 itself keeps its own error reporting. */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;
h5_quiet h5_quiet_begin(void);
void h5_quiet_end(h5_quiet q);

/* Before closing a file that is being dropped (a failed or aborted output):
 * point its descriptor at /dev/null, so that closing writes nothing.  HDF5
 * cannot close a file whose last writes fail (a full disk): the file stays
 * half-closed, and HDF5's clean-up at exit then crashes on it. */
void emgi_h5_abandon(hid_t file);
/* Dataset access for an output's chunked datasets: no chunk cache, so that
 * each chunk is allocated and written by H5Dwrite (whose failure HDF5 survives),
 * never by a flush. */
hid_t emgi_h5_uncached_chunks(void);
/* Before closing a finished output: reserve its disk space, then flush it, so
 * that a full disk fails here, cleanly, and the close has nothing left that
 * could fail.  A failure names path (EMG_ERR_OUTPUT); the caller then drops
 * the file (emgi_h5_abandon). */
int emgi_h5_complete(hid_t file, const char *path, emg_error *err);

/* Fail with status and the innermost HDF5 message, in one line:
 * "PATH: WHAT (HDF5: ...)". */
int emgi_h5_fail(emg_error *err, emg_status status, const char *path, const char *what);
void emgi_h5_close_id(hid_t *id, herr_t (*closer)(hid_t));

/* Attributes: the first string or number, whole numeric arrays.  Strings may be
 * fixed or variable length; numbers any integer or float type.  -1 when missing. */
int emgi_h5_attr_string(hid_t obj, const char *name, char *out, size_t size);
int emgi_h5_attr_doubles(hid_t obj, const char *name, double **out, size_t *n);
double emgi_h5_attr_double(hid_t obj, const char *name, double fallback);
/* Small datasets read whole (labels, columns); malloc'd results. */
int emgi_h5_dataset_strings(hid_t loc, const char *path, char ***out, size_t *n);
int emgi_h5_dataset_doubles(hid_t loc, const char *path, double **out, size_t *n);
void emgi_h5_free_strings(char **s, size_t n);
int emgi_h5_link_exists(hid_t loc, const char *path);
int emgi_h5_dataset_is_integer(hid_t dset);
int emgi_h5_dataset_is_numeric(hid_t dset);
/* Digital range of a dataset's integer type, clipped to int32. */
void emgi_h5_integer_range(hid_t dset, int32_t *lo, int32_t *hi);
/* A number read from a file as int32 (0 for NaN, clamped otherwise). */
int32_t emgi_h5_to_int32(double v);

/* Names of the direct members of a group that are groups (H5Literate order: by name). */
typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;
/* The member groups of a group, in name order; -1 on failure (list empty). */
int emgi_h5_list_groups(hid_t group, name_list *list);
/* The same in creation order when the group indexes it (emgkit's NWB
 * /acquisition: the channels' order), else in name order. */
int emgi_h5_list_groups_in_order(hid_t group, name_list *list);
int emgi_h5_list_groups_by(hid_t group, H5_index_t index, name_list *list);

/* Writing (io_hdf5.c; shared by the emgkit layout and the NWB writer). */
/* File access properties: locking where the filesystem can, none where it cannot. */
hid_t emgi_h5_file_access(void);
/* Close after a failed call without losing its error stack. */
void emgi_h5_close_keeping_errors(hid_t *id, herr_t (*closer)(hid_t), int failed);
/* Variable-length UTF-8 string type (h5py reads it as str); close with H5Tclose. */
hid_t emgi_h5_utf8_string_type(void);
/* Creation properties without object timestamps, so that the same content
 * gives a byte-identical file. */
hid_t emgi_h5_untimed_plist(hid_t plist_class);
hid_t emgi_h5_create_group(hid_t parent, const char *name);
/* Attributes: 0, or -1 with HDF5's error stack kept.  strings: a 1-D array
 * of n, or a scalar when scalar is set. */
int emgi_h5_write_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n,
                              int scalar);
int emgi_h5_write_attr_string(hid_t obj, const char *name, const char *value);
int emgi_h5_write_attr_double(hid_t obj, const char *name, double value);
int emgi_h5_write_attr_int(hid_t obj, const char *name, int value);
/* A 1-D dataset of n values written whole. */
int emgi_h5_write_column(hid_t table, const char *name, hid_t file_type, hid_t mem_type,
                        hsize_t n, const void *values);

/* The end of an HDF5 output (the emgkit layout, NWB), after the caller's last
 * writes gave status rc: everything reaches the disk before anything is closed
 * (a full disk shows up here, while the file can still be dropped cleanly:
 * emgi_h5_abandon); then close_objects(state) closes the caller's datasets and
 * groups, what that wrote is flushed, and the file is closed (*file becomes
 * H5I_INVALID_HID on success).  Returns rc or the first failure. */
int emgi_h5_finish_output(hid_t *file, const char *path, int rc, void (*close_objects)(void *),
                          void *state, emg_error *err);

/* An HDF5 writer module (emg_format_writer, io_internal.h) from its four
 * functions, each run with HDF5's error printing silenced (h5_quiet):
 * open_fn(state, tmp_path, final_path, hdr, opts, err), write_fn(state, blk,
 * err), finish_fn(state, err), free_fn(state). */
#define EMGI_H5_WRITER_MODULE(var, name, open_fn, write_fn, finish_fn, free_fn)                  \
    static int var##_open(void **state, struct emg_writer *ew, const char *tmp_path,              \
                          const char *final_path, emg_format format, const emg_header *hdr,      \
                          const emg_write_options *opts, emg_error *err)                         \
    {                                                                                             \
        (void)ew;                                                                                 \
        (void)format;                                                                             \
        h5_quiet q = h5_quiet_begin();                                                            \
        int rc = open_fn(state, tmp_path, final_path, hdr, opts, err);                            \
        h5_quiet_end(q);                                                                          \
        return rc;                                                                                \
    }                                                                                             \
    static int var##_write(void *state, const emg_block *blk, emg_error *err)                     \
    {                                                                                             \
        h5_quiet q = h5_quiet_begin();                                                            \
        int rc = write_fn(state, blk, err);                                                       \
        h5_quiet_end(q);                                                                          \
        return rc;                                                                                \
    }                                                                                             \
    static int var##_finish(void *state, emg_error *err)                                          \
    {                                                                                             \
        h5_quiet q = h5_quiet_begin();                                                            \
        int rc = finish_fn(state, err);                                                           \
        h5_quiet_end(q);                                                                          \
        return rc;                                                                                \
    }                                                                                             \
    static void var##_destroy(void *state)                                                        \
    {                                                                                             \
        h5_quiet q = h5_quiet_begin();                                                            \
        free_fn(state);                                                                           \
        h5_quiet_end(q);                                                                          \
    }                                                                                             \
    const emg_format_writer var = {name, 0, var##_open, var##_write, var##_finish, var##_destroy}

/* The layouts besides emgkit's own. */
int emgi_h5_is_plux_device(hid_t file, const char *name);
int emgi_h5_open_plux(h5_reader *r, const name_list *groups, emg_header *hdr, emg_error *err);
int emgi_h5_is_nwb(hid_t file);
/* The TimeIntervals table the NWB writer puts annotations in (/intervals/...). */
#define NWB_ANNOTATION_TABLE "annotations"
int emgi_h5_open_nwb(h5_reader *r, emg_header *hdr, emg_error *err);

#endif
