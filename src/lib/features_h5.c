/* features_h5.c: feature and spectrum tables as HDF5 (emg-features and
 * emg-spectrum OUT.h5).
 *
 * Layout: one group (/features, /spectrum) with one extendible, chunked 1-D dataset per
 * column (float64; "channel" and "flags" as int32: the 0-based channel
 * index and the EMG_WINDOW_* bits), all of the same length (one entry per
 * row), and /features/channel_names (variable-length strings).  Attributes
 * on the group: "columns" (the column order, comma-separated) and, when
 * there is a flags column, "flag_bits" (the meaning of the bits).  Rows are buffered and written
 * a chunk at a time.  The file is written under a temporary name and renamed
 * on a successful close (removed on failure). */
#include "emgkit/features.h"

#include <hdf5.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_hdf5_internal.h"

enum { CHUNK_ROWS = 4096 };

struct emg_table_h5 {
    hid_t file, group;
    size_t n_columns;
    hid_t *dset;
    int *is_int;
    double *rows;      /* CHUNK_ROWS x n_columns */
    size_t n_buffered;
    hsize_t n_written;
    char tmp[4096], final[4096];
};

static int h5_fail(emg_error *err, const char *path, const char *what)
{
    return emgi_h5_fail(err, EMG_ERR_OUTPUT, path, what);
}

static int open_table(emg_table_h5 **out, const char *path, const char *group,
                      size_t n_columns, const char *const *columns,
                      const char *const *channel_names, size_t n_channels, emg_error *err)
{
    *out = NULL;
    emg_table_h5 *t = emgi_xcalloc(1, sizeof *t, err);
    if (!t)
        return EMG_ERR_NOMEM;
    t->file = t->group = -1;
    t->n_columns = n_columns;
    t->dset = emgi_xcalloc(n_columns, sizeof *t->dset, err);
    t->is_int = emgi_xcalloc(n_columns, sizeof *t->is_int, err);
    t->rows = emgi_xcalloc((size_t)CHUNK_ROWS * n_columns, sizeof *t->rows, err);
    if (!t->dset || !t->is_int || !t->rows) {
        emg_table_h5_abort(t);
        return EMG_ERR_NOMEM;
    }
    for (size_t c = 0; c < n_columns; c++)
        t->dset[c] = -1;
    emgi_strlcpy(t->final, path, sizeof t->final);
    int rc = emg_temp_path(t->tmp, sizeof t->tmp, path, err);
    if (rc < 0) {
        emg_table_h5_abort(t);
        return rc;
    }
    t->file = H5Fcreate(t->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (t->file < 0) {
        rc = h5_fail(err, path, "cannot create the HDF5 file");
        emg_table_h5_abort(t);
        return rc;
    }
    t->group = H5Gcreate2(t->file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = CHUNK_ROWS;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_deflate(dcpl, 4);
    hid_t dapl = emgi_h5_uncached_chunks();
    for (size_t c = 0; c < n_columns && t->group >= 0; c++) {
        t->is_int[c] = !strcmp(columns[c], "channel") || !strcmp(columns[c], "flags");
        t->dset[c] = H5Dcreate2(t->group, columns[c], t->is_int[c] ? H5T_STD_I32LE : H5T_IEEE_F64LE,
                                space, H5P_DEFAULT, dcpl, dapl);
        if (t->dset[c] < 0)
            break;
    }
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(space);
    int ok = t->group >= 0 && (n_columns == 0 || t->dset[n_columns - 1] >= 0);
    /* channel names and the column order as attributes / a string dataset */
    if (ok) {
        hid_t str = H5Tcopy(H5T_C_S1);
        H5Tset_size(str, H5T_VARIABLE);
        H5Tset_cset(str, H5T_CSET_UTF8);
        hsize_t nch = n_channels;
        hid_t s2 = H5Screate_simple(1, &nch, NULL);
        hid_t names = H5Dcreate2(t->group, "channel_names", str, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ok = names >= 0 && (n_channels == 0 ||
                            H5Dwrite(names, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, channel_names) >= 0);
        if (names >= 0)
            H5Dclose(names);
        H5Sclose(s2);
        size_t len = 1;
        for (size_t c = 0; c < n_columns; c++)
            len += strlen(columns[c]) + 1;
        char *joined = calloc(len, 1);
        for (size_t c = 0; joined && c < n_columns; c++) {
            if (c)
                strcat(joined, ",");
            strcat(joined, columns[c]);
        }
        const char *bits = "1 rest, 2 clipped, 4 flat, 8 low_snr, 16 gap";
        hid_t s1 = H5Screate(H5S_SCALAR);
        const char *vals[2] = {joined ? joined : "", bits};
        const char *anames[2] = {"columns", "flag_bits"};
        int has_flags = 0;
        for (size_t c = 0; c < n_columns; c++)
            has_flags |= !strcmp(columns[c], "flags");
        for (int a = 0; a < 1 + has_flags && ok; a++) {
            hid_t attr = H5Acreate2(t->group, anames[a], str, s1, H5P_DEFAULT, H5P_DEFAULT);
            ok = attr >= 0 && H5Awrite(attr, str, &vals[a]) >= 0;
            if (attr >= 0)
                H5Aclose(attr);
        }
        H5Sclose(s1);
        H5Tclose(str);
        free(joined);
    }
    if (!ok) {
        rc = h5_fail(err, path, "cannot create the feature datasets");
        emg_table_h5_abort(t);
        return rc;
    }
    *out = t;
    return 0;
}

int emg_table_h5_open(emg_table_h5 **out, const char *path, const char *group,
                      size_t n_columns, const char *const *columns,
                      const char *const *channel_names, size_t n_channels, emg_error *err)
{
    h5_quiet q = h5_quiet_begin();
    int rc = open_table(out, path, group, n_columns, columns, channel_names, n_channels, err);
    h5_quiet_end(q);
    return rc;
}

static int flush_rows(emg_table_h5 *t, emg_error *err)
{
    if (t->n_buffered == 0)
        return 0;
    hsize_t start = t->n_written, count = t->n_buffered, size = start + count;
    double *col = malloc(t->n_buffered * sizeof *col);
    int *icol = malloc(t->n_buffered * sizeof *icol);
    int ok = col && icol;
    for (size_t c = 0; c < t->n_columns && ok; c++) {
        for (size_t r = 0; r < t->n_buffered; r++) {
            double v = t->rows[r * t->n_columns + c];
            if (t->is_int[c])
                icol[r] = (int)v;
            else
                col[r] = v;
        }
        hid_t mem = H5Screate_simple(1, &count, NULL);
        ok = H5Dset_extent(t->dset[c], &size) >= 0;
        hid_t file_space = ok ? H5Dget_space(t->dset[c]) : -1;
        ok = ok && file_space >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0 &&
             H5Dwrite(t->dset[c], t->is_int[c] ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, mem, file_space,
                      H5P_DEFAULT, t->is_int[c] ? (const void *)icol : (const void *)col) >= 0;
        if (file_space >= 0)
            H5Sclose(file_space);
        H5Sclose(mem);
    }
    free(col);
    free(icol);
    if (!ok)
        return h5_fail(err, t->final, "cannot write table rows");
    t->n_written = size;
    t->n_buffered = 0;
    return 0;
}

int emg_table_h5_append(emg_table_h5 *t, const double *row, emg_error *err)
{
    double *dst = t->rows + t->n_buffered * t->n_columns;
    /* NaN is the n/a of these tables; an infinity (the snr_db of a window
     * without power) is as undefined to a reader as in the TSV tables. */
    for (size_t c = 0; c < t->n_columns; c++)
        dst[c] = isfinite(row[c]) ? row[c] : NAN;
    if (++t->n_buffered < CHUNK_ROWS)
        return 0;
    h5_quiet q = h5_quiet_begin();
    int rc = flush_rows(t, err);
    h5_quiet_end(q);
    return rc;
}

static void close_objects(emg_table_h5 *t)
{
    for (size_t c = 0; t->dset && c < t->n_columns; c++)
        emgi_h5_close_id(&t->dset[c], H5Dclose);
    emgi_h5_close_id(&t->group, H5Gclose);
}

static void close_handles(emg_table_h5 *t)
{
    close_objects(t);
    emgi_h5_close_id(&t->file, H5Fclose);
}

static void table_free(emg_table_h5 *t)
{
    free(t->dset);
    free(t->is_int);
    free(t->rows);
    free(t);
}

/* Everything reaches the disk before anything is closed: a full disk shows up
 * while the file can still be dropped cleanly (emgi_h5_abandon). */
static int close_table(emg_table_h5 *t, emg_error *err)
{
    int rc = flush_rows(t, err);
    if (rc == 0)
        rc = emgi_h5_complete(t->file, t->final, err);
    if (rc < 0)
        emgi_h5_abandon(t->file);
    close_objects(t);
    if (rc == 0)
        rc = emgi_h5_complete(t->file, t->final, err); /* what closing the objects wrote */
    if (rc < 0)
        emgi_h5_abandon(t->file);
    if (t->file >= 0 && H5Fclose(t->file) < 0 && rc == 0)
        rc = h5_fail(err, t->final, "cannot complete the HDF5 file");
    t->file = -1;
    if (rc == 0)
        rc = emg_temp_commit(t->tmp, t->final, err);
    else
        emg_temp_discard(t->tmp);
    table_free(t);
    return rc;
}

int emg_table_h5_close(emg_table_h5 *t, emg_error *err)
{
    h5_quiet q = h5_quiet_begin();
    int rc = close_table(t, err);
    h5_quiet_end(q);
    return rc;
}

void emg_table_h5_abort(emg_table_h5 *t)
{
    if (!t)
        return;
    h5_quiet q = h5_quiet_begin();
    emgi_h5_abandon(t->file);
    close_handles(t);
    h5_quiet_end(q);
    emg_temp_discard(t->tmp);
    table_free(t);
}
