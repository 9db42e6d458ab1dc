/* sha256_internal.h: SHA-256 of a file (FIPS 180-4), for the input checksums a
 * dataset records as provenance (dataset_h5.c). */
#ifndef EMGKIT_SHA256_INTERNAL_H
#define EMGKIT_SHA256_INTERNAL_H

#include "emgkit/error.h"

/* Lower-case hex digest of the file at path into hex[65]. */
int emgi_sha256_file(const char *path, char hex[65], emg_error *err);

#endif
