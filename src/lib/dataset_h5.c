/* dataset_h5.c: the HDF5 side of a dataset (dataset_internal.h): tables as
 * groups of extendible columns, the samples array, attributes; no object
 * modification times, so that the same content gives the same bytes. */
#include "dataset_internal.h"

#include <stdlib.h>
#include <string.h>

#include "io_hdf5_internal.h"

enum { TABLE_CHUNK = 4096, DEFLATE_LEVEL = 4 };
/* Samples: noisy float32 compresses little at any level (about 15%); level 1
 * costs a fraction of level 4's time for nearly the same size. */
enum { SAMPLES_DEFLATE_LEVEL = 1 };
/* Samples: about 1 MiB of float32 per chunk, whole rows. */
#define SAMPLES_CHUNK_BYTES (1u << 20)

static hid_t untimed(hid_t class_id)
{
    hid_t p = H5Pcreate(class_id);
    if (p >= 0)
        H5Pset_obj_track_times(p, 0);
    return p;
}

hid_t ds_file_create(const char *path)
{
    hid_t fcpl = untimed(H5P_FILE_CREATE);
    /* No free-space manager: space an append frees (a partly filled chunk
     * rewritten elsewhere) is never handed out again in that session, so the
     * committed content the file's old metadata points to is not overwritten
     * before the append's flush (docs/dataset-layout.md, "Appending"). */
    if (fcpl >= 0)
        H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_AGGR, 0, 1);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

hid_t ds_group(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        return H5Gopen2(loc, name, H5P_DEFAULT);
    hid_t gcpl = untimed(H5P_GROUP_CREATE);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static hid_t file_type(ds_kind kind)
{
    return kind == DS_STR ? string_type() : H5Tcopy(kind == DS_I32 ? H5T_STD_I32LE : H5T_IEEE_F64LE);
}

static hid_t memory_type(ds_kind kind)
{
    return kind == DS_STR ? string_type() : H5Tcopy(kind == DS_I32 ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE);
}

int ds_attr_string(hid_t obj, const char *name, const char *value)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hid_t t = string_type(), s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, t, &value) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return ok ? 0 : -1;
}

int ds_attr_double(hid_t obj, const char *name, double value)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return ok ? 0 : -1;
}

/* Add name to the group's "columns" attribute (comma-separated order). */
static int list_column(hid_t group, const char *name)
{
    char *old = NULL;
    if (H5Aexists(group, "columns") > 0) {
        hid_t a = H5Aopen(group, "columns", H5P_DEFAULT), t = string_type();
        if (a < 0 || H5Aread(a, t, &old) < 0)
            old = NULL;
        if (a >= 0)
            H5Aclose(a);
        H5Tclose(t);
    }
    size_t len = (old ? strlen(old) + 1 : 0) + strlen(name) + 1;
    char *joined = malloc(len);
    if (!joined) {
        H5free_memory(old);
        return -1;
    }
    snprintf(joined, len, "%s%s%s", old ? old : "", old ? "," : "", name);
    H5free_memory(old);
    int rc = ds_attr_string(group, "columns", joined);
    free(joined);
    return rc;
}

static hid_t open_column(hid_t group, const char *name, ds_kind kind)
{
    if (H5Lexists(group, name, H5P_DEFAULT) > 0)
        return H5Dopen2(group, name, H5P_DEFAULT);
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = TABLE_CHUNK;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = untimed(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (kind != DS_STR) /* variable-length strings live in the global heap: nothing to compress */
        H5Pset_deflate(dcpl, DEFLATE_LEVEL);
    hid_t t = file_type(kind);
    hid_t d = H5Dcreate2(group, name, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Tclose(t);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (d >= 0 && list_column(group, name) < 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

static int write_range(hid_t d, ds_kind kind, const void *data, hsize_t start, hsize_t n)
{
    if (n == 0)
        return 0;
    hid_t mem = H5Screate_simple(1, &n, NULL), file_space = H5Dget_space(d), t = memory_type(kind);
    int ok = file_space >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, NULL, &n, NULL) >= 0 &&
             H5Dwrite(d, t, mem, file_space, H5P_DEFAULT, data) >= 0;
    H5Tclose(t);
    if (file_space >= 0)
        H5Sclose(file_space);
    H5Sclose(mem);
    return ok ? 0 : -1;
}

static hsize_t column_length(hid_t d)
{
    hid_t s = H5Dget_space(d);
    hsize_t n = 0;
    if (s >= 0) {
        H5Sget_simple_extent_dims(s, &n, NULL);
        H5Sclose(s);
    }
    return n;
}

int ds_column_append(hid_t group, const char *name, ds_kind kind, const void *data, size_t n)
{
    hid_t d = open_column(group, name, kind);
    if (d < 0)
        return -1;
    hsize_t start = column_length(d), size = start + n;
    int rc = H5Dset_extent(d, &size) < 0 ? -1 : write_range(d, kind, data, start, n);
    H5Dclose(d);
    return rc;
}

int ds_column_replace(hid_t group, const char *name, ds_kind kind, const void *data, size_t n)
{
    hid_t d = open_column(group, name, kind);
    if (d < 0)
        return -1;
    hsize_t size = n;
    int rc = H5Dset_extent(d, &size) < 0 ? -1 : write_range(d, kind, data, 0, n);
    H5Dclose(d);
    return rc;
}

int ds_column_write_at(hid_t group, const char *name, ds_kind kind, const void *data, size_t start,
                       size_t n)
{
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    int rc = write_range(d, kind, data, start, n);
    H5Dclose(d);
    return rc;
}

static hid_t open_samples(hid_t file, size_t channels, size_t length)
{
    if (H5Lexists(file, "samples", H5P_DEFAULT) > 0)
        return H5Dopen2(file, "samples", H5P_DEFAULT);
    hsize_t dims[3] = {0, channels, length}, maxdims[3] = {H5S_UNLIMITED, channels, length};
    size_t row_bytes = channels * length * sizeof(float);
    hsize_t chunk[3] = {row_bytes >= SAMPLES_CHUNK_BYTES ? 1 : SAMPLES_CHUNK_BYTES / row_bytes,
                        channels, length};
    hid_t space = H5Screate_simple(3, dims, maxdims);
    hid_t dcpl = untimed(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, SAMPLES_DEFLATE_LEVEL);
    hid_t d = H5Dcreate2(file, "samples", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return d;
}

int ds_samples_append(hid_t file, size_t channels, size_t length, const float *data, size_t rows)
{
    hid_t d = open_samples(file, channels, length);
    if (d < 0)
        return -1;
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int ok = s >= 0 && H5Sget_simple_extent_dims(s, dims, NULL) == 3;
    if (s >= 0)
        H5Sclose(s);
    hsize_t start[3] = {dims[0], 0, 0}, count[3] = {rows, channels, length};
    hsize_t size[3] = {dims[0] + rows, channels, length};
    ok = ok && (rows == 0 || H5Dset_extent(d, size) >= 0);
    if (ok && rows > 0) {
        hid_t mem = H5Screate_simple(3, count, NULL), fs = H5Dget_space(d);
        ok = fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(d, H5T_NATIVE_FLOAT, mem, fs, H5P_DEFAULT, data) >= 0;
        if (fs >= 0)
            H5Sclose(fs);
        H5Sclose(mem);
    }
    H5Dclose(d);
    return ok ? 0 : -1;
}

int ds_labels_append(hid_t file, const int32_t *codes, size_t rows)
{
    hid_t d;
    if (H5Lexists(file, "labels", H5P_DEFAULT) > 0) {
        d = H5Dopen2(file, "labels", H5P_DEFAULT);
    } else {
        hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = TABLE_CHUNK;
        hid_t space = H5Screate_simple(1, &zero, &unlimited);
        hid_t dcpl = untimed(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 1, &chunk);
        H5Pset_deflate(dcpl, DEFLATE_LEVEL);
        d = H5Dcreate2(file, "labels", H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    if (d < 0)
        return -1;
    hsize_t start = column_length(d), size = start + rows;
    int rc = H5Dset_extent(d, &size) < 0 ? -1 : write_range(d, DS_I32, codes, start, rows);
    H5Dclose(d);
    return rc;
}

hid_t ds_file_open_append(const char *path)
{
    hid_t fapl = emgi_h5_file_access();
    H5AC_cache_config_t mdc = {.version = H5AC__CURR_CACHE_CONFIG_VERSION};
    if (fapl >= 0 && H5Pget_mdc_config(fapl, &mdc) >= 0) {
        /* Evictions off (which requires fixed size): dirty metadata stays in
         * memory until H5Fflush, so an interrupted append leaves the file's
         * metadata, and so its committed content, as it was. */
        mdc.evictions_enabled = 0;
        mdc.incr_mode = H5C_incr__off;
        mdc.flash_incr_mode = H5C_flash_incr__off;
        mdc.decr_mode = H5C_decr__off;
        H5Pset_mdc_config(fapl, &mdc);
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0)
        H5Pclose(fapl);
    return f;
}

/* The tables whose rows an append adds, and the arrays that follow /rows. */
static const char *const APPENDED_TABLES[] = {"rows", "features", "provenance/inputs",
                                              "provenance/builds"};
static const char *const ROW_ARRAYS[] = {"samples", "labels"};
#define COMMITTED_ATTR "committed_rows"

static hsize_t first_dim(hid_t loc, const char *path)
{
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (d < 0)
        return 0;
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    if (s >= 0) {
        H5Sget_simple_extent_dims(s, dims, NULL);
        H5Sclose(s);
    }
    H5Dclose(d);
    return dims[0];
}

/* The first column of a table (its "columns" attribute), or "" when empty. */
static void first_column(hid_t group, char *out, size_t size)
{
    out[0] = '\0';
    if (emgi_h5_attr_string(group, "columns", out, size) < 0)
        out[0] = '\0';
    char *comma = strchr(out, ',');
    if (comma)
        *comma = '\0';
}

int ds_commit_counts(hid_t file)
{
    for (size_t t = 0; t < sizeof APPENDED_TABLES / sizeof *APPENDED_TABLES; t++) {
        if (H5Lexists(file, "provenance", H5P_DEFAULT) <= 0 && t >= 2)
            break;
        if (H5Lexists(file, APPENDED_TABLES[t], H5P_DEFAULT) <= 0)
            continue;
        hid_t g = H5Gopen2(file, APPENDED_TABLES[t], H5P_DEFAULT);
        char column[256];
        first_column(g, column, sizeof column);
        int rc = g < 0 ? -1 : ds_attr_double(g, COMMITTED_ATTR, (double)first_dim(g, column));
        if (g >= 0)
            H5Gclose(g);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int shrink(hid_t loc, const char *path, hsize_t rows)
{
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    if (s >= 0)
        H5Sclose(s);
    int rc = rank < 1 ? -1 : 0;
    if (rc == 0 && dims[0] > rows) {
        dims[0] = rows;
        rc = H5Dset_extent(d, dims) < 0 ? -1 : 0;
    }
    H5Dclose(d);
    return rc;
}

/* Shrink every column of a table to its committed count; that count (-1: none). */
static double trim_table(hid_t file, const char *path)
{
    if (H5Lexists(file, "provenance", H5P_DEFAULT) <= 0 && strchr(path, '/'))
        return -1;
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0)
        return -1;
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    double committed = g < 0 ? -1 : emgi_h5_attr_double(g, COMMITTED_ATTR, -1);
    char columns[4096];
    if (g < 0 || committed < 0 || emgi_h5_attr_string(g, "columns", columns, sizeof columns) < 0) {
        if (g >= 0)
            H5Gclose(g);
        return -1;
    }
    int rc = 0;
    for (char *name = strtok(columns, ","); rc == 0 && name; name = strtok(NULL, ","))
        rc = shrink(g, name, (hsize_t)committed);
    H5Gclose(g);
    return rc < 0 ? -2 : committed;
}

int ds_trim_to_committed(hid_t file)
{
    double rows = -1;
    for (size_t t = 0; t < sizeof APPENDED_TABLES / sizeof *APPENDED_TABLES; t++) {
        double committed = trim_table(file, APPENDED_TABLES[t]);
        if (committed == -2)
            return -1;
        if (t == 0)
            rows = committed;
    }
    for (size_t a = 0; rows >= 0 && a < sizeof ROW_ARRAYS / sizeof *ROW_ARRAYS; a++)
        if (shrink(file, ROW_ARRAYS[a], (hsize_t)rows) < 0)
            return -1;
    return 0;
}
