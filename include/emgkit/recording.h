/* emgkit/recording.h: the recording model shared by every reader, writer and tool.
 *
 * A recording is a header (channels, start time, annotations, provenance) and,
 * per channel, a sequence of samples in physical units (double).  Channels of
 * one recording may have different sampling rates (EDF, WFDB frame
 * multiplicity): samples travel in blocks that cover the same span of time for
 * every channel, so channel i contributes fs_i * block_duration samples.
 *
 * Ownership: every pointer inside an emg_header is owned by the header and
 * released by emg_header_free().  Its arrays (channels, annotations,
 * provenance, notes) grow only through the emg_header_add_* functions, which
 * double them (their capacity follows from the count): shrink a count in
 * place if needed, but never assign an array of your own; to start over, free
 * it and set the pointer to NULL and the count to 0. */
#ifndef EMGKIT_RECORDING_H
#define EMGKIT_RECORDING_H

#include "emgkit/export.h"

#include <stddef.h>
#include <stdint.h>
#include "emgkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMG_NAME_MAX 64
#define EMG_UNIT_MAX 24
#define EMG_TEXT_MAX 96

/* Sampling rates the model holds, for every reader: from 1e-4 Hz (one sample
 * every 2.8 hours: slow EDF channels such as temperature or a hypnogram at one
 * value per 30 s stay well inside) to 1e7 Hz (10 MHz, ten times the fastest
 * intramuscular EMG or neural acquisition).  A reader refuses a channel
 * outside this range, or a non-finite rate, with EMG_ERR_FORMAT, so no
 * analysis is handed a rate like 4.6e20 Hz whose window lengths overflow. */
#define EMG_FS_MIN 1e-4
#define EMG_FS_MAX 1e7
/* True when fs lies in [EMG_FS_MIN, EMG_FS_MAX] (false for NaN). */
EMGKIT_API int emg_fs_in_range(double fs);

typedef struct emg_channel {
    char name[EMG_NAME_MAX];       /* label, e.g. "EMG biceps"; unique within a recording */
    char unit[EMG_UNIT_MAX];       /* physical unit as written by the source ("mV", "uV", "V"); "" unknown */
    char transducer[EMG_TEXT_MAX]; /* electrode or sensor description; may be "" */
    double fs;                     /* sampling rate in Hz, EMG_FS_MIN..EMG_FS_MAX */
    int64_t n_samples;             /* total samples, or -1 while unknown (streams) */
    /* Calibration: physical = (digital - baseline) / gain.
     * gain == 0 means the samples did not come from a known ADC (float data);
     * writers that need integers then choose a scale themselves. */
    double gain;                   /* digital units per physical unit */
    double baseline;               /* digital value of physical zero */
    int32_t digital_min;           /* ADC range, meaningful when gain != 0 */
    int32_t digital_max;
} emg_channel;

typedef struct emg_annotation {
    double onset;    /* seconds from the recording start */
    double duration; /* seconds; 0 for an instant */
    int channel;     /* 0-based channel index, or -1 for the whole recording */
    char *text;      /* UTF-8, owned */
} emg_annotation;

typedef struct emg_header {
    size_t n_channels;
    emg_channel *channels;
    /* Local start time, ISO 8601 "YYYY-MM-DDThh:mm:ss[.ffffff]"; "" when unknown. */
    char start_time[40];
    char subject[EMG_TEXT_MAX];   /* subject/patient identification, may be "" */
    char recording[EMG_TEXT_MAX]; /* recording description, may be "" */
    size_t n_annotations;
    emg_annotation *annotations;
    /* Commands that made this recording, oldest first (e.g. "emg-convert a.hea -"). */
    size_t n_provenance;
    char **provenance;
    /* Things a reader wants the user to know that do not stop reading; like error
     * messages they start with the file name ("FILE: time column irregular: ...").
     * Tools print them on stderr as warnings. */
    size_t n_notes;
    char **notes;
} emg_header;

EMGKIT_API void emg_header_init(emg_header *h);
EMGKIT_API void emg_header_free(emg_header *h);
/* Deep copy of src into *dst (dst is initialised first). */
EMGKIT_API int emg_header_copy(emg_header *dst, const emg_header *src, emg_error *err);
/* Append a channel (copied); returns its index or a negative status. */
EMGKIT_API int emg_header_add_channel(emg_header *h, const emg_channel *ch, emg_error *err);
EMGKIT_API int emg_header_add_annotation(emg_header *h, double onset, double duration, int channel,
                                         const char *text, emg_error *err);
EMGKIT_API int emg_header_add_provenance(emg_header *h, const char *command, emg_error *err);
EMGKIT_API int emg_header_add_note(emg_header *h, emg_error *err, const char *fmt, ...)
               __attribute__((format(printf, 3, 4)));
/* Default channel: name "", unit "", fs 0, n_samples -1, gain 0. */
EMGKIT_API void emg_channel_init(emg_channel *ch);
/* Duration of the recording in seconds (longest channel), or -1 if unknown. */
EMGKIT_API double emg_header_duration(const emg_header *h);
/* True when all channels share one sampling rate. */
EMGKIT_API int emg_header_single_rate(const emg_header *h);
/* Quantisation step of a channel in physical units (1/gain), 0 for float data. */
EMGKIT_API double emg_channel_resolution(const emg_channel *ch);

/* Channel selection in the syntax every tool's -c/--channels takes:
 * a comma-separated list of 1-based indices, ranges "2-5", or names; names
 * match exactly first, then case-insensitively.  Writes 0-based indices into
 * *indices (malloc'd, caller frees) in the order given. */
EMGKIT_API int emg_header_select(const emg_header *h, const char *spec, int **indices, size_t *n,
                                 emg_error *err);
/* Find a channel by 1-based index or by name; returns 0-based index or -1. */
EMGKIT_API int emg_header_find_channel(const emg_header *h, const char *name_or_index);
/* A phrase such as "an EEG channel" when the channel's name or transducer
 * names another modality (EEG, EOG, ECG, respiration, temperature, oximetry,
 * events, triggers, clocks) and not EMG; NULL otherwise.  A type from a BIDS
 * channels.tsv (transducer "TYPE channel (BIDS)...") decides over the name. */
EMGKIT_API const char *emg_channel_other_modality(const emg_channel *ch);
/* True for a unit an EMG channel is recorded in: V, mV, uV (or \u00b5V), nV,
 * or "" (unknown).  Tools analyse only such channels unless told otherwise. */
EMGKIT_API int emg_unit_is_voltage(const char *unit);

/* A block of samples: data[i][0..count[i]) for each channel i, in physical
 * units, plus annotations that arrived with it.  Readers own the blocks they
 * return (valid until the next read); producers build them with these helpers. */
typedef struct emg_block {
    size_t n_channels;
    size_t *count;
    double **data;
    size_t *capacity;
    size_t n_annotations;
    emg_annotation *annotations;
} emg_block;

EMGKIT_API void emg_block_init(emg_block *b);
/* Make room for n_channels channels with at least capacity samples each. */
EMGKIT_API int emg_block_reserve(emg_block *b, size_t n_channels, size_t capacity, emg_error *err);
/* Make room for capacity samples in one channel. */
EMGKIT_API int emg_block_reserve_channel(emg_block *b, size_t channel, size_t capacity, emg_error *err);
/* Set all counts to 0 and drop annotations (keeps buffers). */
EMGKIT_API void emg_block_clear(emg_block *b);
EMGKIT_API int emg_block_add_annotation(emg_block *b, double onset, double duration, int channel,
                                        const char *text, emg_error *err);
EMGKIT_API void emg_block_free(emg_block *b);

/* A whole recording in memory, for tools that need random access. */
typedef struct emg_recording {
    emg_header header;
    double **data; /* data[i] holds header.channels[i].n_samples values */
} emg_recording;

EMGKIT_API void emg_recording_init(emg_recording *rec);
EMGKIT_API void emg_recording_free(emg_recording *rec);

/* Start-time helpers.  Parse "YYYY-MM-DDThh:mm:ss[.f]" into fields; 0 or EMG_ERR_ARG. */
EMGKIT_API int emg_time_parse(const char *iso, int *year, int *month, int *day, int *hour, int *minute,
                              double *second);
EMGKIT_API void emg_time_format(char out[40], int year, int month, int day, int hour, int minute,
                                double second);

#ifdef __cplusplus
}
#endif
#endif
