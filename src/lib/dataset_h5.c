/* dataset_h5.c: the HDF5 side of a dataset (dataset_internal.h): tables as
 * groups of extendible columns, the samples array, attributes; no object
 * modification times, so that the same content gives the same bytes. */
#include "dataset_internal.h"

#include <stdlib.h>
#include <string.h>

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
