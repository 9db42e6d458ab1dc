/* io_sndfile.c: audio containers through libsndfile.
 * Placeholder while the module is written. */
#include "io_internal.h"

static int sf_probe(const unsigned char *head, size_t len, const char *path)
{
    (void)head;
    (void)len;
    (void)path;
    return 0;
}

static int sf_open_reader(void **state, const char *path, const emg_read_options *opts,
                          emg_header *hdr, emg_format *detected, emg_error *err)
{
    (void)opts;
    (void)hdr;
    (void)detected;
    *state = NULL;
    return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: audio reading not built yet", path);
}

static int sf_read_block(void *state, emg_block *blk, emg_error *err)
{
    (void)state;
    (void)blk;
    (void)err;
    return 0;
}

static void sf_close_reader(void *state) { (void)state; }

static int sf_open_writer(void **state, struct emg_writer *w, const char *tmp_path,
                          const char *final_path, emg_format format, const emg_header *hdr,
                          const emg_write_options *opts, emg_error *err)
{
    (void)w;
    (void)tmp_path;
    (void)format;
    (void)hdr;
    (void)opts;
    *state = NULL;
    return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: audio writing not built yet", final_path);
}

static int sf_write_block(void *state, const emg_block *blk, emg_error *err)
{
    (void)state;
    (void)blk;
    (void)err;
    return EMG_ERR_UNSUPPORTED;
}

static int sf_finish(void *state, emg_error *err)
{
    (void)state;
    (void)err;
    return EMG_ERR_UNSUPPORTED;
}

static void sf_destroy(void *state) { (void)state; }

const emg_format_reader emg_sndfile_reader = {
    "sndfile", sf_probe, sf_open_reader, sf_read_block, sf_close_reader,
};
const emg_format_writer emg_sndfile_writer = {
    "sndfile", 0, sf_open_writer, sf_write_block, sf_finish, sf_destroy,
};
