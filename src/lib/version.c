/* version.c: the version of the library that is loaded (emgkit/version.h). */
#include "emgkit/version.h"

const char *emg_version(void)
{
    return EMGKIT_VERSION;
}
