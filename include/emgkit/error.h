/* emgkit/error.h: status codes and the error record every library call fills.
 *
 * Conventions (after libgit2): functions return 0 on success and a negative
 * emg_status on failure; output parameters come first; the library never
 * prints, exits or aborts, it keeps a one-line message in an emg_error that
 * names the file and the problem.  Tools map statuses to exit codes
 * (docs/exit-codes.md). */
#ifndef EMGKIT_ERROR_H
#define EMGKIT_ERROR_H

#include "emgkit/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emg_status {
    EMG_OK = 0,
    EMG_ERR_ARG = -1,         /* invalid argument or option value */
    EMG_ERR_IO = -2,          /* a file cannot be opened, read or written (system error) */
    EMG_ERR_FORMAT = -3,      /* input corrupt, truncated or inconsistent */
    EMG_ERR_UNSUPPORTED = -4, /* format or feature not supported */
    EMG_ERR_NOMEM = -5,       /* out of memory */
    EMG_ERR_OUTPUT = -6       /* an output file cannot be created or completed */
} emg_status;

#define EMG_ERROR_MESSAGE_MAX 512

typedef struct emg_error {
    emg_status status;
    char message[EMG_ERROR_MESSAGE_MAX]; /* "FILE: problem", no trailing newline */
} emg_error;

/* Record a failure in err (may be NULL) and return status.  printf-style. */
EMGKIT_API int emg_error_set(emg_error *err, emg_status status, const char *fmt, ...)
               __attribute__((format(printf, 3, 4)));

/* Clear err to EMG_OK with an empty message. */
EMGKIT_API void emg_error_clear(emg_error *err);

/* A short English name for a status ("corrupt or inconsistent input", ...). */
EMGKIT_API const char *emg_status_name(emg_status status);

#ifdef __cplusplus
}
#endif
#endif
