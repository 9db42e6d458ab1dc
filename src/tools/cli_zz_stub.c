/* TEMPORARY until emg_input_files lands */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
static int one(const char *path, char ***files, size_t *n)
{ *files = malloc(sizeof(char*)); (*files)[0] = strdup(path); *n = 1; return 0; }
int emg_input_files(const char *path, emg_format format, char ***files, size_t *n, emg_error *err)
{ (void)format; (void)err; return one(path, files, n); }
int emg_output_files(const char *path, emg_format format, char ***files, size_t *n, emg_error *err)
{ (void)format; (void)err; return one(path, files, n); }
void emg_files_free(char **files, size_t n) { for (size_t i = 0; i < n; i++) free(files[i]); free(files); }
