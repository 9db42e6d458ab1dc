/* recording.c: the recording model: headers, channel selection, sample blocks.
 *
 * The header's and blocks' arrays (channels, annotations, provenance, notes)
 * grow only through the append functions here, by emgi_grow_one(): doubling,
 * so that building a header of 100,000 channels is linear, without a capacity
 * field in the public structs.  Code that shrinks a count in place (a
 * filter) keeps that rule; code that replaces an array must free it and start
 * from NULL and 0. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

void emg_channel_init(emg_channel *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->n_samples = -1;
}

void emg_header_init(emg_header *h)
{
    memset(h, 0, sizeof *h);
}

static void free_annotations(emg_annotation *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].text);
    free(a);
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void emg_header_free(emg_header *h)
{
    if (!h)
        return;
    free(h->channels);
    free_annotations(h->annotations, h->n_annotations);
    free_strings(h->provenance, h->n_provenance);
    free_strings(h->notes, h->n_notes);
    emg_header_init(h);
}

int emg_header_add_channel(emg_header *h, const emg_channel *ch, emg_error *err)
{
    int rc = emgi_grow_one((void **)&h->channels, h->n_channels, sizeof *h->channels, err);
    if (rc < 0)
        return rc;
    h->channels[h->n_channels] = *ch;
    return (int)h->n_channels++;
}

static int append_annotation(emg_annotation **list, size_t *n, double onset, double duration,
                             int channel, const char *text, emg_error *err)
{
    int rc = emgi_grow_one((void **)list, *n, sizeof **list, err);
    if (rc < 0)
        return rc;
    char *copy = emgi_xstrdup(text, err);
    if (!copy)
        return EMG_ERR_NOMEM;
    (*list)[*n] = (emg_annotation){onset, duration, channel, copy};
    (*n)++;
    return EMG_OK;
}

static int compare_annotations(const void *pa, const void *pb)
{
    const emg_annotation *a = pa, *b = pb;
    if (a->onset != b->onset)
        return a->onset < b->onset ? -1 : 1;
    if (a->duration != b->duration)
        return a->duration < b->duration ? -1 : 1;
    if (a->channel != b->channel)
        return a->channel < b->channel ? -1 : 1;
    return strcmp(a->text, b->text);
}

size_t emgi_annotations_sort_unique(emg_annotation *a, size_t n)
{
    if (n == 0)
        return 0;
    qsort(a, n, sizeof *a, compare_annotations);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && !compare_annotations(&a[kept - 1], &a[i])) {
            free(a[i].text);
            continue;
        }
        a[kept++] = a[i];
    }
    return kept;
}

int emg_header_add_annotation(emg_header *h, double onset, double duration, int channel,
                              const char *text, emg_error *err)
{
    return append_annotation(&h->annotations, &h->n_annotations, onset, duration, channel, text,
                             err);
}

static int append_string(char ***list, size_t *n, const char *s, emg_error *err)
{
    int rc = emgi_grow_one((void **)list, *n, sizeof **list, err);
    if (rc < 0)
        return rc;
    if (!((*list)[*n] = emgi_xstrdup(s, err)))
        return EMG_ERR_NOMEM;
    (*n)++;
    return EMG_OK;
}

int emg_header_add_provenance(emg_header *h, const char *command, emg_error *err)
{
    return append_string(&h->provenance, &h->n_provenance, command, err);
}

int emg_header_add_note(emg_header *h, emg_error *err, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return append_string(&h->notes, &h->n_notes, text, err);
}

int emg_header_copy(emg_header *dst, const emg_header *src, emg_error *err)
{
    emg_header_init(dst);
    memcpy(dst->start_time, src->start_time, sizeof dst->start_time);
    memcpy(dst->subject, src->subject, sizeof dst->subject);
    memcpy(dst->recording, src->recording, sizeof dst->recording);
    int rc = EMG_OK;
    for (size_t i = 0; i < src->n_channels && rc >= 0; i++)
        rc = emg_header_add_channel(dst, &src->channels[i], err);
    for (size_t i = 0; i < src->n_annotations && rc >= 0; i++) {
        const emg_annotation *a = &src->annotations[i];
        rc = emg_header_add_annotation(dst, a->onset, a->duration, a->channel, a->text, err);
    }
    for (size_t i = 0; i < src->n_provenance && rc >= 0; i++)
        rc = emg_header_add_provenance(dst, src->provenance[i], err);
    for (size_t i = 0; i < src->n_notes && rc >= 0; i++)
        rc = append_string(&dst->notes, &dst->n_notes, src->notes[i], err);
    if (rc < 0) {
        emg_header_free(dst);
        return rc;
    }
    return EMG_OK;
}

int emg_fs_in_range(double fs)
{
    return fs >= EMG_FS_MIN && fs <= EMG_FS_MAX;
}

double emg_header_duration(const emg_header *h)
{
    double longest = 0;
    for (size_t i = 0; i < h->n_channels; i++) {
        if (h->channels[i].n_samples < 0)
            return -1;
        double d = (double)h->channels[i].n_samples / h->channels[i].fs;
        if (d > longest)
            longest = d;
    }
    return longest;
}

int emg_header_single_rate(const emg_header *h)
{
    for (size_t i = 1; i < h->n_channels; i++)
        if (h->channels[i].fs != h->channels[0].fs)
            return 0;
    return 1;
}

double emg_channel_resolution(const emg_channel *ch)
{
    return ch->gain != 0 ? 1.0 / fabs(ch->gain) : 0.0;
}

int emg_header_find_channel(const emg_header *h, const char *key)
{
    char *end;
    errno = 0;
    long index = strtol(key, &end, 10);
    if (*key && !*end && !errno)
        return (index >= 1 && (size_t)index <= h->n_channels) ? (int)index - 1 : -1;
    for (size_t i = 0; i < h->n_channels; i++)
        if (!strcmp(h->channels[i].name, key))
            return (int)i;
    for (size_t i = 0; i < h->n_channels; i++)
        if (emgi_str_ieq(h->channels[i].name, key))
            return (int)i;
    return -1;
}

/* A range "A-B" of 1-based indices; 1 if item is one, 0 otherwise. */
static int parse_index_range(const char *item, long *first, long *last)
{
    char *end;
    if (!isdigit((unsigned char)item[0]))
        return 0;
    *first = strtol(item, &end, 10);
    if (*end != '-' || !isdigit((unsigned char)end[1]))
        return 0;
    *last = strtol(end + 1, &end, 10);
    return *end == '\0';
}

static int push_index(int **indices, size_t *n, int index, emg_error *err)
{
    int rc = emgi_grow_one((void **)indices, *n, sizeof **indices, err);
    if (rc < 0)
        return rc;
    (*indices)[(*n)++] = index;
    return EMG_OK;
}

int emg_header_select(const emg_header *h, const char *spec, int **indices, size_t *n,
                      emg_error *err)
{
    *indices = NULL;
    *n = 0;
    char *copy = emgi_xstrdup(spec, err);
    if (!copy)
        return EMG_ERR_NOMEM;
    int rc = EMG_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && rc >= 0;
         item = strtok_r(NULL, ",", &save)) {
        long first, last;
        if (parse_index_range(item, &first, &last)) {
            if (first < 1 || last > (long)h->n_channels || first > last) {
                rc = emg_error_set(err, EMG_ERR_ARG,
                                   "channel range '%s' outside 1-%zu", item, h->n_channels);
                break;
            }
            for (long i = first; i <= last && rc >= 0; i++)
                rc = push_index(indices, n, (int)i - 1, err);
            continue;
        }
        int index = emg_header_find_channel(h, item);
        if (index < 0)
            rc = emg_error_set(err, EMG_ERR_ARG, "no channel '%s' (the recording has %zu)",
                               item, h->n_channels);
        else
            rc = push_index(indices, n, index, err);
    }
    free(copy);
    if (rc >= 0 && *n == 0)
        rc = emg_error_set(err, EMG_ERR_ARG, "empty channel selection '%s'", spec);
    if (rc < 0) {
        free(*indices);
        *indices = NULL;
        *n = 0;
    }
    return rc < 0 ? rc : EMG_OK;
}

void emg_block_init(emg_block *b)
{
    memset(b, 0, sizeof *b);
}

int emg_block_reserve(emg_block *b, size_t n_channels, size_t capacity, emg_error *err)
{
    if (n_channels != b->n_channels) {
        size_t old = b->n_channels;
        for (size_t i = n_channels; i < old; i++)
            free(b->data[i]);
        size_t *count = emgi_xrealloc(b->count, n_channels, sizeof *count, err);
        if (!count)
            return EMG_ERR_NOMEM;
        b->count = count;
        size_t *cap = emgi_xrealloc(b->capacity, n_channels, sizeof *cap, err);
        if (!cap)
            return EMG_ERR_NOMEM;
        b->capacity = cap;
        double **data = emgi_xrealloc(b->data, n_channels, sizeof *data, err);
        if (!data)
            return EMG_ERR_NOMEM;
        b->data = data;
        for (size_t i = old; i < n_channels; i++) {
            b->count[i] = 0;
            b->capacity[i] = 0;
            b->data[i] = NULL;
        }
        b->n_channels = n_channels;
    }
    for (size_t i = 0; i < n_channels; i++) {
        int rc = emg_block_reserve_channel(b, i, capacity, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

int emg_block_reserve_channel(emg_block *b, size_t channel, size_t capacity, emg_error *err)
{
    if (capacity <= b->capacity[channel])
        return EMG_OK;
    double *grown = emgi_xrealloc(b->data[channel], capacity, sizeof *grown, err);
    if (!grown)
        return EMG_ERR_NOMEM;
    b->data[channel] = grown;
    b->capacity[channel] = capacity;
    return EMG_OK;
}

static void clear_annotations(emg_block *b)
{
    for (size_t i = 0; i < b->n_annotations; i++)
        free(b->annotations[i].text);
    b->n_annotations = 0;
}

void emg_block_clear(emg_block *b)
{
    for (size_t i = 0; i < b->n_channels; i++)
        b->count[i] = 0;
    clear_annotations(b);
}

int emg_block_add_annotation(emg_block *b, double onset, double duration, int channel,
                             const char *text, emg_error *err)
{
    return append_annotation(&b->annotations, &b->n_annotations, onset, duration, channel, text,
                             err);
}

void emg_block_free(emg_block *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_channels; i++)
        free(b->data[i]);
    free(b->data);
    free(b->count);
    free(b->capacity);
    clear_annotations(b);
    free(b->annotations);
    emg_block_init(b);
}

void emg_recording_init(emg_recording *rec)
{
    emg_header_init(&rec->header);
    rec->data = NULL;
}

void emg_recording_free(emg_recording *rec)
{
    if (!rec)
        return;
    if (rec->data)
        for (size_t i = 0; i < rec->header.n_channels; i++)
            free(rec->data[i]);
    free(rec->data);
    emg_header_free(&rec->header);
    rec->data = NULL;
}

int emg_time_parse(const char *iso, int *year, int *month, int *day, int *hour, int *minute,
                   double *second)
{
    int consumed = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%lf%n", year, month, day, hour, minute, second,
               &consumed) != 6 || iso[consumed] != '\0')
        return EMG_ERR_ARG;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second < 0 || *second >= 61)
        return EMG_ERR_ARG;
    return EMG_OK;
}

void emg_time_format(char out[40], int year, int month, int day, int hour, int minute,
                     double second)
{
    int whole = (int)second;
    long micro = lround((second - whole) * 1e6);
    if (micro >= 1000000) {
        whole++;
        micro -= 1000000;
    }
    char text[96];
    if (micro)
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", year, month, day, hour, minute,
                 whole, micro);
    else
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour,
                 minute, whole);
    emgi_strlcpy(out, text, 40);
}

int emg_unit_is_voltage(const char *unit)
{
    static const char *const volts[] = {"", "V", "mV", "uV", "\xc2\xb5V", "nV"};
    for (size_t i = 0; i < sizeof volts / sizeof *volts; i++)
        if (!strcmp(unit, volts[i]))
            return 1;
    return 0;
}

/* What bids_read.c writes into the transducer of a channel whose BIDS type is not EMG. */
#define BIDS_TYPE_MARK " channel (BIDS)"

/* EEG, EOG, ECG, respiration, temperature, oximetry and event channels come
 * with EMG in polysomnography and lab files: a word of the name or
 * transducer says so (a name that says EMG is EMG). */

const char *emg_channel_other_modality(const emg_channel *ch)
{
    static const char *const words[][2] = {
        {"eeg", "an EEG channel"},           {"eog", "an EOG channel"},
        {"ecg", "an ECG channel"},           {"ekg", "an ECG channel"},
        {"resp", "a respiration channel"},   {"respiration", "a respiration channel"},
        {"temp", "a temperature channel"},   {"temperature", "a temperature channel"},
        {"spo2", "an oximetry channel"},     {"sao2", "an oximetry channel"},
        {"pleth", "an oximetry channel"},    {"event", "an event channel"},
        {"hypnogram", "a hypnogram"},
        /* BIDS channel types (channels.tsv; bids_read.c puts them in the transducer) */
        {"heog", "an EOG channel"},          {"veog", "an EOG channel"},
        {"trig", "a trigger channel"},       {"misc", "a miscellaneous channel"},
        {"sysclock", "a clock channel"},     {"latency", "a clock channel"}};
    char text[EMG_NAME_MAX + EMG_TEXT_MAX + 2];
    /* A type given by a BIDS channels.tsv ("ECG channel (BIDS): ...", bids_read.c)
     * decides, whatever the name says. */
    if (strstr(ch->transducer, BIDS_TYPE_MARK)) {
        snprintf(text, sizeof text, "%s", ch->transducer);
        *strchr(text, ' ') = '\0';
        for (char *p = text; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (!strcmp(text, words[k][0]))
                return words[k][1];
        return "a channel of another type (BIDS channels.tsv)";
    }
    snprintf(text, sizeof text, "%s %s", ch->name, ch->transducer);
    for (char *p = text; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strstr(text, "emg"))
        return NULL;
    char *save = NULL;
    for (char *w = strtok_r(text, " \t_-.,;:/()[]", &save); w;
         w = strtok_r(NULL, " \t_-.,;:/()[]", &save)) {
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (!strcmp(w, words[k][0]))
                return words[k][1];
    }
    return NULL;
}
