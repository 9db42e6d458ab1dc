/* io_files.c: which files make up a recording, and which files a writer
 * creates: the lists batch tools need to process a WFDB record (a header and
 * its signal files) once, and never to write over an input. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "io_internal.h"

int emgi_file_list_add(emg_file_list *list, const char *path, emg_error *err)
{
    for (size_t i = 0; i < list->n; i++)
        if (!strcmp(list->files[i], path))
            return EMG_OK;
    int rc = emgi_grow((void **)&list->files, &list->cap, list->n + 1, sizeof *list->files, err);
    if (rc < 0)
        return rc;
    if (!(list->files[list->n] = emgi_xstrdup(path, err)))
        return EMG_ERR_NOMEM;
    list->n++;
    return EMG_OK;
}

void emg_files_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

/* Hand the list to the caller, or free it after a failure. */
static int give_list(emg_file_list *list, int rc, char ***files, size_t *n)
{
    if (rc < 0) {
        emg_files_free(list->files, list->n);
        return rc;
    }
    *files = list->files;
    *n = list->n;
    return EMG_OK;
}

int emg_input_files(const char *path, emg_format format, char ***files, size_t *n,
                    emg_error *err)
{
    *files = NULL;
    *n = 0;
    emg_file_list list = {NULL, 0, 0};
    int rc;
    if (strcmp(path, "-") && emgi_path_reader(path, format) == &emgi_wfdb_reader)
        rc = emgi_wfdb_input_files(path, &list, err);
    else
        rc = emgi_file_list_add(&list, path, err);
    /* A BIDS data file is read with its sidecars: no output may replace them. */
    char stem[4096], sidecar[4200];
    static const char *const sidecars[] = {"_channels.tsv", "_events.tsv"};
    for (size_t i = 0; rc >= 0 && i < 2 && emgi_bids_sidecar_stem(path, stem, sizeof stem); i++) {
        snprintf(sidecar, sizeof sidecar, "%s%s", stem, sidecars[i]);
        if (access(sidecar, F_OK) == 0)
            rc = emgi_file_list_add(&list, sidecar, err);
    }
    return give_list(&list, rc, files, n);
}

int emg_output_files(const char *path, emg_format format, char ***files, size_t *n,
                     emg_error *err)
{
    *files = NULL;
    *n = 0;
    int rc = EMG_OK;
    if (format == EMG_FORMAT_AUTO && (rc = emg_format_from_path(path, &format, err)) < 0)
        return rc;
    emg_file_list list = {NULL, 0, 0};
    if (format == EMG_FORMAT_WFDB) {
        if (!strcmp(path, "-") || strcmp(emgi_path_extension(path), "hea"))
            return emg_error_set(err, EMG_ERR_ARG, "%s: WFDB output must be named RECORD.hea",
                                 path);
        char dat[4200];
        emgi_wfdb_data_path(path, dat, sizeof dat);
        rc = emgi_file_list_add(&list, path, err);
        if (rc >= 0)
            rc = emgi_file_list_add(&list, dat, err);
    } else {
        rc = emgi_file_list_add(&list, path, err);
    }
    return give_list(&list, rc, files, n);
}
