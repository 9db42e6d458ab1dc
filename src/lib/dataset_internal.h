/* dataset_internal.h: what dataset.c, dataset_split.c and dataset_h5.c share. */
#ifndef EMGKIT_DATASET_INTERNAL_H
#define EMGKIT_DATASET_INTERNAL_H

#include <hdf5.h>
#include "emgkit/dataset.h"

/* "train", "validation", "test": the order of emg_dataset_options.split. */
extern const char *const emgi_dataset_split_names[EMG_DATASET_SPLITS];

/* ---- HDF5 tables (dataset_h5.c) ------------------------------------------
 * A table is a group with one extendible 1-D dataset per column and a
 * "columns" attribute giving their order (the layout of emg-features' HDF5
 * tables, docs/hdf5-layout.md).  No object carries a modification time, so
 * the same content gives the same bytes. */
typedef enum ds_kind { DS_F64, DS_I32, DS_STR } ds_kind;

hid_t ds_file_create(const char *path);
/* Open an existing dataset for an append in place: the metadata cache never
 * evicts, so no metadata reaches the file before the append's own flush. */
hid_t ds_file_open_append(const char *path);
/* The committed row counts (attributes rows_committed, feature_rows_committed,
 * inputs_committed of "/"): set them to the tables' lengths, the last write of
 * a build or append.  ds_trim_to_committed shrinks every table to them (rows an
 * interrupted append left past them); a file without them is all committed. */
int ds_commit_counts(hid_t file);
/* Attribute of "/" set (and flushed) when an append starts, deleted with the
 * commit: found set, an append was interrupted. */
#define DS_APPEND_MARK "append_in_progress"

int ds_trim_to_committed(hid_t file);
hid_t ds_group(hid_t loc, const char *name); /* open, or create when missing */
/* Append n values (double*, int32_t*, or const char** for DS_STR) to a column,
 * creating it (and listing it in "columns") when missing. */
int ds_column_append(hid_t group, const char *name, ds_kind kind, const void *data, size_t n);
/* Set a column to exactly these n values. */
int ds_column_replace(hid_t group, const char *name, ds_kind kind, const void *data, size_t n);
/* Overwrite values [start, start + n) of an existing column. */
int ds_column_write_at(hid_t group, const char *name, ds_kind kind, const void *data, size_t start,
                       size_t n);
int ds_attr_string(hid_t obj, const char *name, const char *value);
int ds_attr_double(hid_t obj, const char *name, double value);
/* The N x channels x length float32 array (created on first use). */
int ds_samples_append(hid_t file, size_t channels, size_t length, const float *data, size_t rows);
/* The labels code array. */
int ds_labels_append(hid_t file, const int32_t *codes, size_t rows);

/* ---- splits (dataset_split.c) ------------------------------------------ */
typedef struct ds_subject {
    char *name;
    int split;            /* index into emgi_dataset_split_names, -1 until assigned */
    size_t rows;
    size_t *class_rows;   /* rows per class code */
} ds_subject;

/* Assign every subject with split -1 to a split.  First coverage: classes
 * rarest first (fewest subjects holding them), each split with a fraction > 0
 * that has no row of the class gets an unassigned subject holding it (the one
 * that costs least by the rule below), while such subjects are left.  Then the
 * rest in a seeded random order (emg_rng), larger first, each to the split
 * whose class counts fall furthest below their target fractions
 * (StratifiedGroupKFold's greedy rule, Pedregosa et al. 2011, adapted to
 * fractions), an empty split first while there are no more subjects left than
 * empty splits. */
void ds_assign_splits(ds_subject *subjects, size_t n, size_t n_classes,
                      const double fraction[EMG_DATASET_SPLITS], uint64_t seed);
/* Whether some subject in split holds rows of class code. */
int ds_split_has_class(const ds_subject *subjects, size_t n, int split, size_t code);

#endif
