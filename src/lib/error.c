/* error.c: the error record filled by every library call (see emgkit/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include "emgkit/error.h"

int emg_error_set(emg_error *err, emg_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void emg_error_clear(emg_error *err)
{
    if (err) {
        err->status = EMG_OK;
        err->message[0] = '\0';
    }
}

const char *emg_status_name(emg_status status)
{
    switch (status) {
    case EMG_OK: return "success";
    case EMG_ERR_ARG: return "invalid argument";
    case EMG_ERR_IO: return "input/output error";
    case EMG_ERR_FORMAT: return "corrupt or inconsistent input";
    case EMG_ERR_UNSUPPORTED: return "unsupported format or feature";
    case EMG_ERR_NOMEM: return "out of memory";
    case EMG_ERR_OUTPUT: return "cannot write output";
    }
    return "unknown error";
}
