/* emgkit/io.h: reading and writing recordings, one opaque handle per open file.
 *
 * Readers detect the format from the content (magic numbers, header syntax),
 * not only from the extension.  They stream: emg_reader_read() returns one
 * block at a time, so memory does not grow with the recording's length.
 * "-" is standard input: the pipe format is read as it streams; any other
 * format on stdin is first spooled to a temporary file.
 *
 * Writers never leave a half-written file: they write to a temporary file
 * beside the target and rename it in emg_writer_close(); emg_writer_abort()
 * (or a failed close) removes it.  "-" is standard output. */
#ifndef EMGKIT_IO_H
#define EMGKIT_IO_H

#include "emgkit/export.h"

#include <stdio.h>
#include "emgkit/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emg_format {
    EMG_FORMAT_AUTO = 0,
    EMG_FORMAT_PIPE,   /* emgkit pipe stream (docs/pipe-format.md) */
    EMG_FORMAT_WFDB,   /* PhysioNet WFDB record: .hea + signal files */
    EMG_FORMAT_EDF,    /* EDF / EDF+ (16-bit) */
    EMG_FORMAT_BDF,    /* BDF / BDF+ (24-bit) */
    EMG_FORMAT_WAV,    /* libsndfile containers ... */
    EMG_FORMAT_FLAC,
    EMG_FORMAT_AIFF,
    EMG_FORMAT_CAF,
    EMG_FORMAT_W64,
    EMG_FORMAT_RF64,
    EMG_FORMAT_SNDFILE, /* any other container libsndfile reads (read side only) */
    EMG_FORMAT_HDF5,   /* emgkit layout (docs/hdf5-layout.md); reads PLUX OpenSignals, NWB too */
    EMG_FORMAT_CSV,    /* delimited text with a header row */
    EMG_FORMAT_TSV,
    EMG_FORMAT_TEXT,   /* other text: OpenSignals "#" header, whitespace columns (read side) */
    EMG_FORMAT_BIOSIG, /* anything libbiosig reads: GDF, BrainVision, ... (read side) */
    EMG_FORMAT_NWB     /* Neurodata Without Borders 2.x (docs/formats/nwb.md); read as HDF5 */
} emg_format;

/* "pipe", "wfdb", "edf", ... */
EMGKIT_API const char *emg_format_name(emg_format f);
/* Parse a format name or file extension ("edf", "flac", "hea", "h5", "csv", "pipe"...). */
EMGKIT_API int emg_format_from_name(const char *name, emg_format *out);
/* Output format implied by a path's extension; "-" gives EMG_FORMAT_PIPE.
 * Returns EMG_ERR_ARG when the extension names no writable format. */
EMGKIT_API int emg_format_from_path(const char *path, emg_format *out, emg_error *err);

typedef struct emg_read_options {
    emg_format format;  /* EMG_FORMAT_AUTO: detect from content */
    double fs;          /* sampling rate for text without a time column or rate header; 0 = none */
    double full_scale;  /* physical value of digital full scale for audio files; 0 = keep +-1.0 */
    const char *unit;   /* physical unit to assign (audio, text); NULL = source's or "" */
    int resample;       /* text with an irregular time column: interpolate onto a uniform grid */
    size_t block_seconds_hint_ms; /* preferred block duration in ms; 0 = reader's choice */
    /* Follow data that a recording keeps outside itself: a WFDB signal file or a
     * BrainVision data/marker file named with an absolute path or a ".."
     * component, an HDF5 sample dataset in external files, a virtual dataset or
     * behind an external link.  0 (default): refuse them (EMG_ERR_FORMAT), so a
     * hostile header cannot read /etc/passwd as samples. */
    int allow_outside_paths;
} emg_read_options;
#define EMG_READ_OPTIONS_INIT {EMG_FORMAT_AUTO, 0.0, 0.0, NULL, 0, 0, 0}
EMGKIT_API void emg_read_options_init(emg_read_options *o); /* the same, as a function */

typedef struct emg_reader emg_reader;

EMGKIT_API int emg_reader_open(emg_reader **out, const char *path, const emg_read_options *opts,
                               emg_error *err);
/* The header as known after open (n_samples may be -1 for streams). Borrowed. */
EMGKIT_API const emg_header *emg_reader_header(const emg_reader *r);
/* Format that was detected. */
EMGKIT_API emg_format emg_reader_format(const emg_reader *r);
/* Keep only these channels (0-based, in this order).  Call before the first read. */
EMGKIT_API int emg_reader_select(emg_reader *r, const int *indices, size_t n, emg_error *err);
/* Keep only samples with time t in [from, to) seconds; to < 0 means to the end.
 * Call before the first read.  Annotations are shifted by -from. */
EMGKIT_API int emg_reader_set_range(emg_reader *r, double from, double to, emg_error *err);
/* Read the next block.  Returns 1 with *block set (borrowed, valid until the
 * next call), 0 at the end, or a negative status. */
EMGKIT_API int emg_reader_read(emg_reader *r, const emg_block **block, emg_error *err);
/* From now on (before the first emg_reader_read), read each next block on a
 * thread of the reader's own while the caller works on the current one: the
 * same blocks, in the same order, with decoding overlapped with the caller's
 * work.  Costs a thread and a second block's buffers (no copy);
 * emg_reader_close waits for a read under way.  0, or EMG_ERR_ARG after the
 * first read, EMG_ERR_NOMEM when no thread can start. */
EMGKIT_API int emg_reader_read_ahead(emg_reader *r, emg_error *err);
/* The same without a thread (before the first read): emg_reader_prefetch
 * reads the next block where the caller has a core to spare, e.g. as one
 * task of its thread pool's round beside the work on the current block (the
 * window engine and emg-filter with -j 2 or more), and the next
 * emg_reader_read hands it over, or reads it then if it was not prefetched.
 * The block the caller holds stays valid.  emg_reader_prefetch must not run
 * beside emg_reader_read on the same reader.  Returns as
 * emg_reader_read_ahead; a no-op once a read-ahead thread runs. */
EMGKIT_API int emg_reader_prefetch_start(emg_reader *r, emg_error *err);
EMGKIT_API void emg_reader_prefetch(emg_reader *r);
EMGKIT_API void emg_reader_close(emg_reader *r);

typedef enum emg_sample_format {
    EMG_SAMPLE_DEFAULT = 0, /* the format's natural choice (float for WAV, PCM24 for FLAC) */
    EMG_SAMPLE_FLOAT32,
    EMG_SAMPLE_FLOAT64,
    EMG_SAMPLE_PCM16,
    EMG_SAMPLE_PCM24,
    EMG_SAMPLE_PCM32
} emg_sample_format;

typedef struct emg_write_options {
    emg_sample_format sample_format; /* audio containers */
    double full_scale;   /* physical value written as digital full scale (integer audio);
                            0 = from the channel calibration, else the data's range */
    int wfdb_format;     /* WFDB storage format: 16 (default), 212, 80, 24, 32 */
    int precision;       /* significant digits in text output; 0 = enough to round-trip */
    /* Called with one sentence for each thing the format could not hold
     * exactly (an EDF+ label cut to 16 characters, annotation texts cut to
     * EDFlib's 40 bytes...), so that nothing is shortened silently; NULL:
     * not told. */
    void (*note)(void *note_ctx, const char *text);
    void *note_ctx;
    const char *session; /* session label (NWB /general/session_id); NULL: none */
    /* An event table of the recording (docs/event-tables.md: ground truth or
     * emg-label output), written as the TimeIntervals table /intervals/NAME
     * (NAME: the table's file name without extension; docs/formats/nwb.md).
     * NWB only; NULL: none.  Columns that are neither known nor carry a unit
     * suffix, and events outside the recording, are EMG_ERR_FORMAT. */
    const char *events_table;
} emg_write_options;
#define EMG_WRITE_OPTIONS_INIT {EMG_SAMPLE_DEFAULT, 0.0, 0, 0, NULL, NULL, NULL, NULL}

typedef struct emg_writer emg_writer;

/* Open a writer for path in format (EMG_FORMAT_AUTO: from the extension).
 * hdr gives channels and metadata; n_samples may be -1 (unknown until close). */
EMGKIT_API int emg_writer_open(emg_writer **out, const char *path, emg_format format,
                               const emg_header *hdr, const emg_write_options *opts, emg_error *err);
/* Append one block (channel counts in the same proportion as the rates). */
EMGKIT_API int emg_writer_write(emg_writer *w, const emg_block *block, emg_error *err);
/* Finish the file and move it into place.  Frees w whatever the result. */
EMGKIT_API int emg_writer_close(emg_writer *w, emg_error *err);
/* Drop the output: remove temporary files.  Frees w. */
EMGKIT_API void emg_writer_abort(emg_writer *w);

/* Temporary files.  The library records every temporary file it creates until
 * it is renamed into place or removed, so that an interrupted program can
 * remove them all (tools call emg_temp_remove_all() from their SIGINT, SIGTERM,
 * SIGHUP and SIGPIPE handlers).
 *
 * emg_temp_path(): a temporary name beside final_path ("dir/.name.tmp-PID-N";
 * beside the target when final_path is a symbolic link), for an output written
 * first and moved into place when complete; recorded until emg_temp_commit()
 * or emg_temp_discard().  Errors name final_path. */
EMGKIT_API int emg_temp_path(char *out, size_t n, const char *final_path, emg_error *err);
/* Move the finished temporary file tmp onto final_path (onto its target when
 * final_path is a symbolic link, which stays), giving it the permissions of the
 * file it replaces (and the owner and group, as root).  On failure tmp is
 * removed and the message names final_path. */
EMGKIT_API int emg_temp_commit(const char *tmp, const char *final_path, emg_error *err);
/* Remove a temporary file and forget it ("-" and NULL are ignored). */
EMGKIT_API void emg_temp_discard(const char *tmp);
/* Remove every temporary file not yet committed or discarded.
 * Async-signal-safe: meant for signal handlers and exit paths. */
EMGKIT_API void emg_temp_remove_all(void);
/* Forget every recorded temporary file without removing it: a process forked
 * from the one writing them (they are its parent's to finish or remove). */
EMGKIT_API void emg_temp_forget_all(void);

/* The files that make up the recording at path, so that a batch tool can tell
 * which inputs belong together and that an output would overwrite none of them.
 * WFDB: the header (RECORD.hea) first, then each signal file it names, relative
 * to the header's folder, as the header names them (also files the reader
 * would refuse).  RECORD.hea, RECORD and RECORD.dat give the same header path
 * first, so a record given several times can be recognised.  Every other
 * format: path itself ("-" too).  format EMG_FORMAT_AUTO detects it as
 * emg_reader_open() would.  On success *files holds *n malloc'd paths; free
 * them with emg_files_free(). */
EMGKIT_API int emg_input_files(const char *path, emg_format format, char ***files, size_t *n,
                               emg_error *err);
/* The files a writer creates for path: WFDB RECORD.hea and the RECORD.dat it
 * names; every other format path itself.  format EMG_FORMAT_AUTO: from the
 * extension, as emg_writer_open(); a path the writer would refuse gives its error. */
EMGKIT_API int emg_output_files(const char *path, emg_format format, char ***files, size_t *n,
                                emg_error *err);
/* Free the list of emg_input_files() / emg_output_files(); NULL is fine. */
EMGKIT_API void emg_files_free(char **files, size_t n);

/* Whole-recording helpers built on the streaming calls above.
 * emg_reader_read_all() reads what is left of an open reader into rec
 * (selection and range applied; block annotations join the header's). */
EMGKIT_API int emg_reader_read_all(emg_reader *r, emg_recording *rec, emg_error *err);
EMGKIT_API int emg_recording_load(emg_recording *rec, const char *path, const emg_read_options *opts,
                                  emg_error *err);
EMGKIT_API int emg_recording_save(const emg_recording *rec, const char *path, emg_format format,
                                  const emg_write_options *opts, emg_error *err);

/* A recording held channel by channel, for work that needs whole channels
 * one at a time.  Channels stay in memory while their samples fit
 * memory_budget bytes; beyond, they spill to temporary files (in $TMPDIR,
 * else /tmp; removed when closed), and memory holds a small buffer per
 * channel.  open drains what is left of r (selection and range applied) with
 * every check a reader makes; the header then holds the delivered lengths and
 * the block annotations, as emg_reader_read_all() gives them. */
typedef struct emg_channel_store emg_channel_store;
EMGKIT_API int emg_channel_store_open(emg_channel_store **out, emg_reader *r, size_t memory_budget,
                                      emg_error *err);
EMGKIT_API const emg_header *emg_channel_store_header(const emg_channel_store *s);
/* All samples of channel without a copy (held in memory, or the spool mapped),
 * valid until the next call or close; NULL if the channel is empty or cannot
 * be mapped (emg_channel_store_read still works). */
EMGKIT_API const double *emg_channel_store_data(emg_channel_store *s, size_t channel);
/* Samples [first, first + count) of channel (0-based) into dst. */
EMGKIT_API int emg_channel_store_read(const emg_channel_store *s, size_t channel, int64_t first,
                                      size_t count, double *dst, emg_error *err);
/* Write the stored samples with header h (the store's channels, other
 * metadata or annotations) as emg_recording_save() does. */
EMGKIT_API int emg_channel_store_save(const emg_channel_store *s, const emg_header *h, const char *path,
                                      emg_format format, const emg_write_options *opts, emg_error *err);
EMGKIT_API void emg_channel_store_close(emg_channel_store *s);

#ifdef __cplusplus
}
#endif
#endif
