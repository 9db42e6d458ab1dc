/* io_biosig.c: fallback reader through libbiosig (GDF, BrainVision, ...).
 * Placeholder while the module is written: recognises nothing. */
#include "io_internal.h"

static int biosig_probe(const unsigned char *head, size_t len, const char *path)
{
    (void)head;
    (void)len;
    (void)path;
    return 0;
}

static int biosig_open(void **state, const char *path, const emg_read_options *opts,
                       emg_header *hdr, emg_format *detected, emg_error *err)
{
    (void)opts;
    (void)hdr;
    (void)detected;
    *state = NULL;
    return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: libbiosig support not built", path);
}

static int biosig_read(void *state, emg_block *blk, emg_error *err)
{
    (void)state;
    (void)blk;
    (void)err;
    return 0;
}

static void biosig_close(void *state) { (void)state; }

const emg_format_reader emg_biosig_reader = {
    "biosig", biosig_probe, biosig_open, biosig_read, biosig_close,
};
