/* dataset_h5.c: the HDF5 side of a dataset (dataset_internal.h): tables as
 * groups of extendible columns, the samples array, attributes; no object
 * modification times, so that the same content gives the same bytes.  The
 * property lists, string type, groups and attributes are io_hdf5.c's
 * (io_hdf5_internal.h), as the emgkit and NWB writers use them. */
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

hid_t ds_file_create(const char *path)
{
    hid_t fcpl = emgi_h5_untimed_plist(H5P_FILE_CREATE);
    /* No free-space manager: space an append frees (a partly filled chunk
     * rewritten elsewhere) is never handed out again in that session, so the
     * committed content the file's old metadata points to is not overwritten
     * before the append's flush (docs/dataset-layout.md, "Appending"). */
    if (fcpl >= 0)
        H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_AGGR, 0, 1);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    emgi_h5_close_id(&fcpl, H5Pclose);
    return f;
}

hid_t ds_group(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        return H5Gopen2(loc, name, H5P_DEFAULT);
    return emgi_h5_create_group(loc, name);
}

static hid_t file_type(ds_kind kind)
{
    return kind == DS_STR ? emgi_h5_utf8_string_type()
                          : H5Tcopy(kind == DS_I32 ? H5T_STD_I32LE : H5T_IEEE_F64LE);
}

static hid_t memory_type(ds_kind kind)
{
    return kind == DS_STR ? emgi_h5_utf8_string_type()
                          : H5Tcopy(kind == DS_I32 ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE);
}

/* An attribute is written once per build and again by every append: the old
 * value goes first (H5Acreate2 refuses an existing name). */
static int drop_attr(hid_t obj, const char *name)
{
    return H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0 ? -1 : 0;
}

int ds_attr_string(hid_t obj, const char *name, const char *value)
{
    return drop_attr(obj, name) < 0 ? -1 : emgi_h5_write_attr_string(obj, name, value);
}

int ds_attr_double(hid_t obj, const char *name, double value)
{
    return drop_attr(obj, name) < 0 ? -1 : emgi_h5_write_attr_double(obj, name, value);
}

/* Add name to the group's "columns" attribute (comma-separated order). */
static int list_column(hid_t group, const char *name)
{
    char *old = NULL;
    if (H5Aexists(group, "columns") > 0) {
        hid_t a = H5Aopen(group, "columns", H5P_DEFAULT), t = emgi_h5_utf8_string_type();
        if (a < 0 || H5Aread(a, t, &old) < 0)
            old = NULL;
        emgi_h5_close_id(&a, H5Aclose);
        emgi_h5_close_id(&t, H5Tclose);
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

/* An empty 1-D dataset that appends extend: chunks of TABLE_CHUNK rows,
 * deflated unless its values are variable-length strings (they live in the
 * global heap: nothing to compress). */
static hid_t create_extendible(hid_t loc, const char *name, ds_kind kind)
{
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = TABLE_CHUNK;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (kind != DS_STR)
        H5Pset_deflate(dcpl, DEFLATE_LEVEL);
    hid_t t = file_type(kind);
    hid_t d = H5Dcreate2(loc, name, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    emgi_h5_close_id(&t, H5Tclose);
    emgi_h5_close_id(&dcpl, H5Pclose);
    emgi_h5_close_id(&space, H5Sclose);
    return d;
}

static hid_t open_column(hid_t group, const char *name, ds_kind kind)
{
    if (H5Lexists(group, name, H5P_DEFAULT) > 0)
        return H5Dopen2(group, name, H5P_DEFAULT);
    hid_t d = create_extendible(group, name, kind);
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
    emgi_h5_close_id(&t, H5Tclose);
    emgi_h5_close_id(&file_space, H5Sclose);
    emgi_h5_close_id(&mem, H5Sclose);
    return ok ? 0 : -1;
}

/* A dataset's extent: its rank (-1 on failure) and dims (H5S_MAX_RANK). */
static int extent(hid_t d, hsize_t *dims)
{
    hid_t s = H5Dget_space(d);
    int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    emgi_h5_close_id(&s, H5Sclose);
    return rank;
}

/* Rows of a dataset (its first dimension); 0 when it cannot be read. */
static hsize_t n_rows(hid_t d)
{
    hsize_t dims[H5S_MAX_RANK] = {0};
    return extent(d, dims) >= 1 ? dims[0] : 0;
}

/* Append n values to the 1-D dataset d. */
static int append_range(hid_t d, ds_kind kind, const void *data, size_t n)
{
    hsize_t start = n_rows(d), size = start + n;
    return H5Dset_extent(d, &size) < 0 ? -1 : write_range(d, kind, data, start, n);
}

int ds_column_append(hid_t group, const char *name, ds_kind kind, const void *data, size_t n)
{
    hid_t d = open_column(group, name, kind);
    if (d < 0)
        return -1;
    int rc = append_range(d, kind, data, n);
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
    hid_t dcpl = emgi_h5_untimed_plist(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, SAMPLES_DEFLATE_LEVEL);
    hid_t d = H5Dcreate2(file, "samples", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    emgi_h5_close_id(&dcpl, H5Pclose);
    emgi_h5_close_id(&space, H5Sclose);
    return d;
}

int ds_samples_append(hid_t file, size_t channels, size_t length, const float *data, size_t rows)
{
    hid_t d = open_samples(file, channels, length);
    if (d < 0)
        return -1;
    hsize_t dims[H5S_MAX_RANK] = {0};
    int ok = extent(d, dims) == 3;
    hsize_t start[3] = {dims[0], 0, 0}, count[3] = {rows, channels, length};
    hsize_t size[3] = {dims[0] + rows, channels, length};
    ok = ok && (rows == 0 || H5Dset_extent(d, size) >= 0);
    if (ok && rows > 0) {
        hid_t mem = H5Screate_simple(3, count, NULL), fs = H5Dget_space(d);
        ok = fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(d, H5T_NATIVE_FLOAT, mem, fs, H5P_DEFAULT, data) >= 0;
        emgi_h5_close_id(&fs, H5Sclose);
        emgi_h5_close_id(&mem, H5Sclose);
    }
    H5Dclose(d);
    return ok ? 0 : -1;
}

int ds_labels_append(hid_t file, const int32_t *codes, size_t rows)
{
    hid_t d = H5Lexists(file, "labels", H5P_DEFAULT) > 0 ? H5Dopen2(file, "labels", H5P_DEFAULT)
                                                          : create_extendible(file, "labels", DS_I32);
    if (d < 0)
        return -1;
    int rc = append_range(d, DS_I32, codes, rows);
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

/* Rows of the dataset at path (0 when it cannot be opened: a table without columns). */
static hsize_t dataset_rows(hid_t loc, const char *path)
{
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    hsize_t rows = d >= 0 ? n_rows(d) : 0;
    emgi_h5_close_id(&d, H5Dclose);
    return rows;
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
        int rc = g < 0 ? -1 : ds_attr_double(g, COMMITTED_ATTR, (double)dataset_rows(g, column));
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
    hsize_t dims[H5S_MAX_RANK] = {0};
    int rc = extent(d, dims) < 1 ? -1 : 0;
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
