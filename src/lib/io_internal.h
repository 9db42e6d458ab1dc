/* io_internal.h: the interface every format module implements.
 *
 * The core (io.c) opens the file, detects the format with probe(), and wraps
 * the module's blocks with channel selection, time range and provenance.
 * A module fills the header in open() and returns blocks from read(); blocks
 * must cover the same span of time for every channel (count[i] proportional
 * to fs[i]) except possibly the last one. */
#ifndef EMGKIT_IO_INTERNAL_H
#define EMGKIT_IO_INTERNAL_H

#include "emgkit/io.h"

typedef struct emg_format_reader {
    const char *name;
    /* How sure the module is that these first bytes are its format: 0 (no) to 100.
     * path is the file name (for extension hints and sidecar files). */
    int (*probe)(const unsigned char *head, size_t len, const char *path);
    /* Open path, fill hdr (already initialised), store module state in *state. */
    int (*open)(void **state, const char *path, const emg_read_options *opts, emg_header *hdr,
                emg_format *detected, emg_error *err);
    /* Fill blk (reserve with emg_block_reserve): 1 = block, 0 = end, < 0 error. */
    int (*read)(void *state, emg_block *blk, emg_error *err);
    void (*close)(void *state);
} emg_format_reader;

typedef struct emg_format_writer {
    const char *name;
    /* 1 when the writer can write "-" (standard output) as it goes; otherwise the
     * core writes a temporary file and copies it to stdout on commit. */
    int streams_to_stdout;
    /* Create the output at tmp_path (the core renames it to final_path on success;
     * tmp_path is "-" when the output is stdout and streams_to_stdout is set).
     * Writers that create extra files (WFDB .dat) derive them from final_path and
     * register them with emgi_writer_add_file() so they are committed together. */
    int (*open)(void **state, struct emg_writer *w, const char *tmp_path, const char *final_path,
                emg_format format, const emg_header *hdr, const emg_write_options *opts,
                emg_error *err);
    int (*write)(void *state, const emg_block *blk, emg_error *err);
    /* Finish the file(s).  After success the core renames; on failure it removes. */
    int (*finish)(void *state, emg_error *err);
    /* Release state (always called, after finish or on abort). */
    void (*destroy)(void *state);
} emg_format_writer;

/* The path a reader was opened with ("-" for standard input), for messages. */
const char *emgi_reader_path(const struct emg_reader *r);

/* emg_reader_read without read-ahead (io.c), and the read-ahead thread that
 * calls it (io_read_ahead.c; see emg_reader_read_ahead). */
int emgi_reader_read_now(struct emg_reader *r, const emg_block **block, emg_error *err);
typedef struct emgi_read_ahead emgi_read_ahead;
int emgi_read_ahead_start(emgi_read_ahead **out, struct emg_reader *r, int threaded,
                          emg_error *err);
void emgi_read_ahead_prefetch(emgi_read_ahead *a);
int emgi_read_ahead_next(emgi_read_ahead *a, const emg_block **block, emg_error *err);
void emgi_read_ahead_stop(emgi_read_ahead *a);
/* Give the reader the sample buffers of store for its next read and keep the
 * ones it has just filled in store: the block emgi_reader_read_now handed out
 * points into them, so it stays valid, without a copy, while the next block
 * is read (io_read_ahead.c). */
void emgi_reader_trade_raw(struct emg_reader *r, emg_block *store);
/* Free a block that borrows its samples (a reader's view): its count and data
 * arrays and its annotations, not the samples. */
void emgi_block_view_free(emg_block *view);

/* Register an additional temporary file that becomes final_path on commit. */
int emgi_writer_add_file(struct emg_writer *w, const char *tmp_path, const char *final_path,
                         emg_error *err);

/* Format modules (one .c file each). */
extern const emg_format_reader emgi_pipe_reader, emgi_wfdb_reader, emgi_edf_reader,
    emgi_sndfile_reader, emgi_hdf5_reader, emgi_text_reader, emgi_biosig_reader;
extern const emg_format_writer emgi_pipe_writer, emgi_wfdb_writer, emgi_edf_writer,
    emgi_sndfile_writer, emgi_hdf5_writer, emgi_nwb_writer, emgi_text_writer;

/* The module emg_reader_open() would choose for path (a file, not "-"), or
 * NULL when none would (io.c). */
const emg_format_reader *emgi_path_reader(const char *path, emg_format format);

/* A list of file names without repeats (emg_input_files, emg_output_files). */
typedef struct emg_file_list {
    char **files;
    size_t n, cap;
} emg_file_list;
/* Append a copy of path unless the list holds it already. */
int emgi_file_list_add(emg_file_list *list, const char *path, emg_error *err);

/* WFDB (io_wfdb.c): the header of the record at path (RECORD.hea, RECORD, or
 * RECORD.dat) and then each signal file it names; and the signal file the
 * writer creates beside hea_path (RECORD.hea -> RECORD.dat). */
int emgi_wfdb_input_files(const char *path, emg_file_list *files, emg_error *err);
void emgi_wfdb_data_path(const char *hea_path, char *out, size_t n);

/* BIDS (bids_names.c, bids_read.c).  The sidecar stem of a BIDS data file
 * (".../sub-01_task-x" for ".../sub-01_task-x_emg.edf"): 1, or 0 when path
 * is not named as one. */
int emgi_bids_sidecar_stem(const char *data_path, char *stem, size_t n);
/* Channel types, units and events from the sidecars beside a BIDS data file
 * (nothing when path is not one, or has none). */
int emgi_bids_apply_sidecars(const char *data_path, emg_header *h, emg_error *err);
/* The data file of a dataset that holds exactly one recording; EMG_ERR_ARG
 * for several. */
int emgi_bids_single_recording(const char *root, char *out, size_t n, emg_error *err);

/* Write a recording whose samples come from source, one second of every
 * channel at a time (emg_recording_save, emg_channel_store_save).  source sets
 * *data to samples [first, first + count) of channel, valid until its next call. */
typedef int (*emg_sample_source)(void *ctx, size_t channel, int64_t first, size_t count,
                                 double **data, emg_error *err);
int emgi_save_by_seconds(const char *path, emg_format format, const emg_header *h,
                         const emg_write_options *opts, emg_sample_source source, void *ctx,
                         emg_error *err);

/* Hot element-wise loops are compiled twice, for baseline x86-64 and for
 * AVX2, the clone chosen at load time (GCC on x86-64; elsewhere one build). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define EMG_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define EMG_VECTOR_CLONES
#endif

/* Tell the caller of a writer what the format could not hold (opts->note;
 * opts may be NULL). */
void emgi_write_note(const emg_write_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Run step(ctx) first in a forked copy of the process (isolate.c), for steps
 * that a damaged input can make crash or hang inside a third-party library.
 * EMG_ERR_FORMAT ("PATH: corrupt WHAT: ...") when the copy died of a signal or
 * did not finish within seconds; otherwise EMG_OK, and the caller runs the
 * step for real (also when fork is not possible). */
int emgi_try_isolated(int (*step)(void *ctx), void *ctx, double seconds, const char *path,
                      const char *what, emg_error *err);

/* Small shared helpers (util.c). */
/* Index of name in names[0..n) ignoring case, or -1. */
int emgi_name_index(const char *const *names, size_t n, const char *name);
/* Room for need elements of size bytes in *p (capacity *cap, doubled as
 * needed, from 64): 0, or EMG_ERR_NOMEM with *p and *cap unchanged. */
int emgi_grow(void **p, size_t *cap, size_t need, size_t size, emg_error *err);
/* Room for element n of an array that only this function ever grows (from
 * empty, one element at a time): its capacity then follows from n, as
 * emgi_grow's doubling from 64 leaves it, so the array needs no capacity
 * field.  0, or EMG_ERR_NOMEM with *p unchanged. */
int emgi_grow_one(void **p, size_t n, size_t size, emg_error *err);
/* A set of strings (copied), for unique channel names in linear time (name_set.c).
 * Each name keeps the next suffix to try for its repeats ("EMG#2", "EMG#3"),
 * so that 100,000 channels of one name do not try every suffix again. */
typedef struct emg_name_slot {
    char *name;
    int next_suffix;
} emg_name_slot;
typedef struct emg_name_set {
    emg_name_slot *slots;
    size_t cap, n;
} emg_name_set;
void emgi_name_set_init(emg_name_set *set);
int emgi_name_set_contains(emg_name_set *set, const char *name);
/* The next suffix to try for repeats of name (2 when added), or NULL when name
 * is not in the set; valid until the next add. */
int *emgi_name_set_suffix(emg_name_set *set, const char *name);
int emgi_name_set_add(emg_name_set *set, const char *name, emg_error *err);
void emgi_name_set_free(emg_name_set *set);
/* First capacity, in samples, for a channel whose header declares `declared`
 * samples (<= 0: unknown) when need have arrived: the declared length (one
 * allocation, no copies) up to 2^24 samples, since a stream's header can
 * declare anything (1e12 samples would fail as "out of memory" before the
 * reader could say the stream is short); 65536 when unknown. */
size_t emgi_first_capacity(int64_t declared, size_t need);
/* Text as valid UTF-8 (utf8.c): valid sequences of in[0..len) are kept, every
 * other byte is taken as Latin-1 and re-encoded; the result is cut at a whole
 * character to fit n bytes.  Returns how many bytes were re-encoded. */
size_t emgi_utf8_from_bytes(char *out, size_t n, const char *in, size_t len);
/* The same in place, for a string in a buffer of size bytes. */
size_t emgi_utf8_fix(char *text, size_t size);
/* A malloc'd copy of text as valid UTF-8. */
char *emgi_utf8_dup(const char *text, emg_error *err);
/* Every text of h (names, units, transducers, subject, recording,
 * annotations, provenance, notes) as valid UTF-8: what emg_reader_open()
 * does to every reader's header. */
int emgi_header_make_utf8(emg_header *h, emg_error *err);
/* Sort a[0..n) by onset (then duration, channel, text) and drop exact repeats,
 * freeing their texts; returns the new count (recording.c). */
size_t emgi_annotations_sort_unique(emg_annotation *a, size_t n);
/* qsort comparison of doubles, ascending. */
int emgi_double_cmp(const void *a, const void *b);
/* Median of v[0..n) (NaN if n is 0) in linear time; reorders v. */
double emgi_median_inplace(double *v, size_t n);
void *emgi_xcalloc(size_t n, size_t size, emg_error *err);
void *emgi_xrealloc(void *p, size_t n, size_t size, emg_error *err);
/* Map the pages of p[0..bytes) now, in one system call, for a buffer about to
 * be written from end to end (advice only). */
void emgi_prefault(void *p, size_t bytes);
char *emgi_xstrdup(const char *s, emg_error *err);
/* Copy at most n-1 bytes and terminate. */
void emgi_strlcpy(char *dst, const char *src, size_t n);
/* Last path component. */
const char *emgi_basename(const char *path);
int emgi_str_ieq(const char *a, const char *b);
/* Create and open a temporary file $TMPDIR/STEM-XXXXXX (else /tmp); its name
 * in path, recorded like emg_temp_path()'s until emg_temp_discard().  The
 * descriptor, or EMG_ERR_OUTPUT (the message names the directory). */
int emgi_temp_file(char *path, size_t n, const char *stem, emg_error *err);
/* Open path for reading into *out only if it is a regular file: a FIFO,
 * device or directory named inside a recording would block or make no sense.
 * 0, EMG_ERR_IO (cannot open) or EMG_ERR_FORMAT (not a regular file); what
 * says where the name came from ("signal file of X.hea") in the message. */
int emgi_open_regular(FILE **out, const char *path, const char *what, emg_error *err);
/* True when a file name that a header gives stays inside the header's folder:
 * relative, without a ".." component. */
int emgi_path_stays_inside(const char *name);
/* Where a file name that header gives lies: relative to the header's folder. */
void emgi_sibling_path(const char *header, const char *name, char *out, size_t n);
/* Lower-case extension of path without the dot, "" when none. */
const char *emgi_path_extension(const char *path);

#endif
