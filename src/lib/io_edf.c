/* io_edf.c: EDF, EDF+, BDF and BDF+ recordings through EDFlib.
 *
 * References:
 *   Kemp B, Varri A, Rosa AC, Nielsen KD, Gade J (1992). A simple format for
 *     exchange of digitized polygraphic recordings. Electroencephalogr Clin
 *     Neurophysiol 82:391-393 (EDF).
 *   Kemp B, Olivan J (2003). European data format 'plus' (EDF+), an EDF alike
 *     standard format for the exchange of physiological data. Clin Neurophysiol
 *     114:1755-1761; https://www.edfplus.info/specs/ (annotations, TALs).
 *   BioSemi BDF (24-bit EDF) and BDF+: https://www.biosemi.com/faq/file_format.htm,
 *     https://www.teuniz.net/edfbrowser/bdfplus%20format%20description.html
 *   EDFlib (T. van Beelen), Debian libedf-dev: header validation, annotations,
 *     writing.
 *
 * Reading: EDFlib opens and validates the file and parses its EDF+
 * annotations; the samples are then read here record by record with plain
 * fread (EDFlib reads one sample per fgetc and seeks per signal, which is
 * several times slower), so a block is a whole number of data records and
 * memory does not grow with the file.  physical = bitvalue * (offset + digital)
 * exactly as EDFlib computes it; digital values are not clamped.
 *
 * Choices a user should know (docs/formats/edf.md):
 *   - EDF+D (discontinuous) files are refused with EMG_ERR_UNSUPPORTED: the
 *     recording model has no gaps, and EDFlib does not read them either.
 *   - A start of 01.01.85 00.00.00 (the EDF+ anonymisation convention, also
 *     what this writer uses for an unknown start) reads as "unknown".
 *   - The prefilter field is kept in the transducer text as
 *     "TRANSDUCER [prefilter: PREFILTER]", and split again when written.
 *   - An annotation of one channel is written "text (LABEL)", underscores of
 *     the label shown as spaces ("cramp (EMG agonist)": readable in any EDF
 *     viewer); read back, "text (NAME)" and MNE's "text@@NAME" belong to the
 *     channel named NAME (underscores and spaces alike).
 *   - "Recording ends" inside the last data record marks where the samples end
 *     (the writer pads the last record); the reader trims to it.
 *
 * Writing: EDF+ (16-bit) or BDF+ (24-bit).  The blocks are spooled to a
 * temporary file first (io_spool.c), because the header needs each channel's
 * range and the number of annotation slots before the first record.  A
 * channel keeps its own calibration (digital range and gain: its codes are
 * written unchanged) when that fits the format and holds every sample;
 * otherwise its digital range is the format's full range and its physical
 * range the data's minimum and maximum.  Data records last 1 s
 * when every rate is a whole number of Hz, otherwise the shortest duration
 * (1..60 s, then 1/k s) that gives every channel a whole number of samples. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <edflib.h>
#include "io_internal.h"
#include "io_spool.h"

#define EDF_LABEL_LEN 16
#define EDF_UNIT_LEN 8
#define EDF_TEXT_LEN 80
/* EDFlib stores at most 40 bytes of an annotation's text when writing. */
#define EDF_WRITE_ANNOTATION_LEN 40
#define EDF_RECORD_MAX_BYTES (10 * 1024 * 1024)

/* ----------------------------------------------------------- header parsing */

/* The fixed-width header as written in the file, signals in file order
 * (annotation signals included), so records can be decoded without EDFlib. */
typedef struct raw_header {
    char version[9];
    char patient[81];
    char recording[81];
    char reserved[45];
    long header_bytes;
    long long n_records;
    int n_signals;
    int *samples_per_record;
    int *is_annotation;
    char *sig;             /* the signal headers as written (ns x 256 bytes) */
} raw_header;

static void raw_header_free(raw_header *h)
{
    free(h->samples_per_record);
    free(h->is_annotation);
    free(h->sig);
    memset(h, 0, sizeof *h);
}

/* Copy a fixed-width field and trim trailing spaces. */
static void field(char *dst, const char *src, size_t width)
{
    memcpy(dst, src, width);
    dst[width] = '\0';
    for (size_t n = width; n > 0 && dst[n - 1] == ' '; n--)
        dst[n - 1] = '\0';
}

/* A fixed-width integer field; 0 when it is one, else -1. */
static int int_field(const char *src, size_t width, long long *out)
{
    char text[32];
    field(text, src, width);
    char *s = text;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int read_raw_header(raw_header *h, FILE *f, const char *path, emg_error *err)
{
    char fixed[256];
    memset(h, 0, sizeof *h);
    if (fseek(f, 0, SEEK_SET) != 0 || fread(fixed, 1, 256, f) != 256)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: shorter than an EDF header (256 bytes)",
                             path);
    field(h->version, fixed, 8);
    field(h->patient, fixed + 8, 80);
    field(h->recording, fixed + 88, 80);
    field(h->reserved, fixed + 192, 44);
    long long v;
    if (int_field(fixed + 184, 8, &v) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: header size field is not a number", path);
    h->header_bytes = (long)v;
    if (int_field(fixed + 236, 8, &v) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: record count field is not a number", path);
    h->n_records = v;
    if (int_field(fixed + 252, 4, &v) < 0 || v < 1 || v > EDFLIB_MAXSIGNALS)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: signal count field is not a number", path);
    h->n_signals = (int)v;
    size_t ns = (size_t)h->n_signals;
    char *sig = h->sig = emgi_xcalloc(ns, 256, err);
    h->samples_per_record = emgi_xcalloc(ns, sizeof(int), err);
    h->is_annotation = emgi_xcalloc(ns, sizeof(int), err);
    if (!sig || !h->samples_per_record || !h->is_annotation)
        return EMG_ERR_NOMEM;
    int rc = EMG_OK;
    if (fread(sig, 256, ns, f) != ns)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: signal header truncated", path);
    for (size_t i = 0; rc >= 0 && i < ns; i++) {
        char label[17];
        field(label, sig + 16 * i, 16);
        h->is_annotation[i] = !strcmp(label, "EDF Annotations") || !strcmp(label, "BDF Annotations");
        if (int_field(sig + ns * 216 + 8 * i, 8, &v) < 0 || v < 1 || v > INT_MAX)
            rc = emg_error_set(err, EMG_ERR_FORMAT,
                               "%s: signal %zu: samples per record is not a positive number",
                               path, i + 1);
        else
            h->samples_per_record[i] = (int)v;
    }
    return rc;
}

/* The signal header: per field, its width; signal i's field lies at
 * 256 + ns * (widths of the fields before) + i * width. */
static const struct signal_field {
    int width;
    const char *name;
    int number; /* 1: a number, 2: an integer */
} signal_fields[] = {
    {16, "label", 0},           {80, "transducer", 0},     {8, "physical dimension", 0},
    {8, "physical minimum", 1}, {8, "physical maximum", 1}, {8, "digital minimum", 2},
    {8, "digital maximum", 2},  {80, "prefilter", 0},      {8, "samples per record", 2},
    {32, "reserved", 0}};

static const char *signal_field_at(const char *sig, size_t ns, size_t field, size_t i)
{
    size_t at = 0;
    for (size_t k = 0; k < field; k++)
        at += (size_t)signal_fields[k].width * ns;
    return sig + at + i * (size_t)signal_fields[field].width;
}

/* A field's value as a finite number; 0, or -1 when it is none. */
static int number_field(const char *src, int width, double *out)
{
    char text[32];
    field(text, src, (size_t)width);
    const char *t = text;
    while (*t == ' ')
        t++;
    char *end;
    *out = strtod(t, &end);
    return *t && !*end && isfinite(*out) ? 0 : -1;
}

/* What is wrong with signal i's header fields, in words; 1 when something is. */
static int diagnose_signal(const char *sig, size_t ns, size_t i, char *why, size_t n)
{
    char label[17];
    field(label, signal_field_at(sig, ns, 0, i), 16);
    double v[10] = {0};
    for (size_t f = 0; f < sizeof signal_fields / sizeof *signal_fields; f++) {
        const char *p = signal_field_at(sig, ns, f, i);
        for (int k = 0; k < signal_fields[f].width; k++)
            if ((unsigned char)p[k] < 32 || (unsigned char)p[k] > 126) {
                snprintf(why, n, "signal %zu ('%s'): byte 0x%02x in its %s field (EDF headers "
                         "are ASCII)", i + 1, label, (unsigned char)p[k], signal_fields[f].name);
                return 1;
            }
        if (signal_fields[f].number &&
            (number_field(p, signal_fields[f].width, &v[f]) < 0 ||
             (signal_fields[f].number == 2 && v[f] != floor(v[f])))) {
            char text[32];
            field(text, p, (size_t)signal_fields[f].width);
            snprintf(why, n, "signal %zu ('%s'): %s field reads '%s', not %s", i + 1, label,
                     signal_fields[f].name, text,
                     signal_fields[f].number == 2 ? "an integer" : "a number");
            return 1;
        }
    }
    if (v[3] == v[4])
        snprintf(why, n, "signal %zu ('%s'): physical minimum equals physical maximum (%g): no "
                 "calibration", i + 1, label, v[3]);
    else if (v[5] >= v[6])
        snprintf(why, n, "signal %zu ('%s'): digital minimum %g is not below digital maximum %g",
                 i + 1, label, v[5], v[6]);
    else if (v[8] < 1)
        snprintf(why, n, "signal %zu ('%s'): %g samples per record", i + 1, label, v[8]);
    else
        return 0;
    return 1;
}

/* What is wrong with the signal headers that follow the fixed header; 1 when found. */
static int diagnose_signals(FILE *f, long long ns, char *why, size_t n)
{
    if (ns < 1 || ns > EDFLIB_MAXSIGNALS)
        return 0;
    char *sig = malloc((size_t)ns * 256);
    if (!sig)
        return 0;
    int found = 0;
    if (fseek(f, 256, SEEK_SET) != 0 || fread(sig, 256, (size_t)ns, f) != (size_t)ns) {
        snprintf(why, n, "the %lld signal headers (%lld bytes) are cut short", ns, ns * 256);
        found = 1;
    }
    for (size_t i = 0; !found && i < (size_t)ns; i++)
        found = diagnose_signal(sig, (size_t)ns, i, why, n);
    free(sig);
    return found;
}

static void diagnose_fixed(const char *fixed, long long size, FILE *f, char *why, size_t n);

/* Find what makes a file EDFlib rejects inconsistent, in words. */
static void diagnose(const char *path, char *why, size_t n)
{
    snprintf(why, n, "a header field is out of specification");
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    struct stat st;
    char fixed[256];
    long long size = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : -1;
    size_t got = fread(fixed, 1, sizeof fixed, f);
    if (got < 256) {
        fclose(f);
        snprintf(why, n, "file holds %zu bytes, less than the 256-byte fixed header", got);
        return;
    }
    diagnose_fixed(fixed, size, f, why, n);
    fclose(f);
}

/* The fixed header, then the signal headers, then the size (f is open at the start). */
static void diagnose_fixed(const char *fixed, long long size, FILE *f, char *why, size_t n)
{
    for (int i = 0; i < 256; i++)
        if (i > 0 && ((unsigned char)fixed[i] < 32 || (unsigned char)fixed[i] > 126)) {
            snprintf(why, n, "non-printable byte 0x%02x at offset %d of the fixed header",
                     (unsigned char)fixed[i], i);
            return;
        }
    long long hb, nr, ns;
    static const struct { int at, width; const char *name; } numbers[] = {
        {184, 8, "header size"}, {236, 8, "number of data records"},
        {244, 8, "data record duration"}, {252, 4, "number of signals"}};
    for (size_t k = 0; k < sizeof numbers / sizeof *numbers; k++) {
        char text[16];
        field(text, fixed + numbers[k].at, (size_t)numbers[k].width);
        char *end;
        strtod(text, &end);
        while (*end == ' ')
            end++;
        if (!*text || *end) {
            snprintf(why, n, "%s field (bytes %d-%d) reads '%s', not a number; a field before "
                     "it is probably one byte short or long",
                     numbers[k].name, numbers[k].at, numbers[k].at + numbers[k].width - 1, text);
            return;
        }
    }
    int_field(fixed + 184, 8, &hb);
    int_field(fixed + 236, 8, &nr);
    int_field(fixed + 252, 4, &ns);
    double duration;
    if (number_field(fixed + 244, 8, &duration) < 0 || duration <= 0) {
        char text[16];
        field(text, fixed + 244, 8);
        snprintf(why, n, "data record duration field reads '%s', not a duration in seconds",
                 text);
        return;
    }
    if (hb != 256 * (ns + 1)) {
        snprintf(why, n, "header size field says %lld bytes but %lld signals need %lld", hb, ns,
                 256 * (ns + 1));
        return;
    }
    if (diagnose_signals(f, ns, why, n))
        return;
    if (size >= 0 && size < hb)
        snprintf(why, n, "file holds %lld bytes, less than its %lld-byte header", size, hb);
    else if (size >= 0)
        snprintf(why, n, "file size %lld bytes does not match the header (%lld data records "
                 "after %lld header bytes): truncated or padded", size, nr, hb);
}

static const char *edflib_words(int code)
{
    switch (code) {
    case EDFLIB_MALLOC_ERROR: return "out of memory";
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY: return "cannot open the file";
    case EDFLIB_FILE_CONTAINS_FORMAT_ERRORS: return "the file is not valid EDF/BDF";
    case EDFLIB_MAXFILES_REACHED: return "too many EDF files open at once";
    case EDFLIB_FILE_READ_ERROR: return "read error";
    case EDFLIB_FILE_ALREADY_OPENED: return "the file is already open";
    case EDFLIB_FILETYPE_ERROR: return "wrong file type";
    case EDFLIB_FILE_WRITE_ERROR: return "write error";
    case EDFLIB_NUMBER_OF_SIGNALS_INVALID: return "invalid number of signals";
    case EDFLIB_FILE_IS_DISCONTINUOUS: return "EDF+D/BDF+D (discontinuous) recording";
    case EDFLIB_INVALID_READ_ANNOTS_VALUE: return "invalid annotation mode";
    case EDFLIB_ARCH_ERROR: return "unsupported architecture";
    default: return "unknown error";
    }
}

static int open_error(const char *path, int code, emg_error *err)
{
    if (code == EDFLIB_FILE_IS_DISCONTINUOUS)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: EDFlib: %s: data records with gaps are not supported; "
                             "convert to EDF+C first", path, edflib_words(code));
    if (code == EDFLIB_NO_SUCH_FILE_OR_DIRECTORY)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno ? errno : ENOENT));
    if (code == EDFLIB_FILE_CONTAINS_FORMAT_ERRORS || code == EDFLIB_FILE_READ_ERROR) {
        char why[300];
        diagnose(path, why, sizeof why);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: EDFlib: %s: %s", path, edflib_words(code),
                             why);
    }
    return emg_error_set(err, code == EDFLIB_MALLOC_ERROR ? EMG_ERR_NOMEM : EMG_ERR_FORMAT,
                         "%s: EDFlib: %s", path, edflib_words(code));
}

/* ------------------------------------------------------------------ reader */

typedef struct edf_reader {
    FILE *file;
    int bytes_per_sample;       /* 2 EDF, 3 BDF */
    long header_bytes;
    size_t record_bytes;
    long long n_records, next_record;
    size_t n_channels;
    size_t *byte_offset;        /* per channel: offset of its samples in a record */
    int *samples_per_record;    /* per channel */
    double *bitvalue, *offset;  /* physical = bitvalue * (offset + digital) */
    int64_t *keep, *delivered;  /* samples to deliver per channel (after trimming) */
    size_t records_per_block;
    unsigned char *buffer;
    char path[4096];
} edf_reader;

static int edf_probe(const unsigned char *head, size_t len, const char *path)
{
    (void)path;
    if (len >= 8 && !memcmp(head, "0       ", 8))
        return 90;
    if (len >= 8 && !memcmp(head, "\xff" "BIOSEMI", 8))
        return 95;
    return 0;
}

static void edf_reader_close(void *state)
{
    edf_reader *r = state;
    if (!r)
        return;
    if (r->file)
        fclose(r->file);
    free(r->byte_offset);
    free(r->samples_per_record);
    free(r->bitvalue);
    free(r->offset);
    free(r->keep);
    free(r->delivered);
    free(r->buffer);
    free(r);
}

/* EDF+ subfields "X" mean unknown; keep the free text when the rest is unknown. */
static void plus_subject(char *out, size_t n, const char *patient, int plus)
{
    char code[81], sex[81], birth[81], name[81];
    int used = 0;
    if (plus && sscanf(patient, "%80s %80s %80s %80s %n", code, sex, birth, name, &used) == 4 &&
        !strcmp(code, "X") && !strcmp(sex, "X") && !strcmp(birth, "X") && !strcmp(name, "X")) {
        emgi_strlcpy(out, patient + used, n);
        return;
    }
    if (plus && !strcmp(patient, "X X X X")) {
        out[0] = '\0';
        return;
    }
    emgi_strlcpy(out, patient, n);
}

static void plus_recording(char *out, size_t n, const char *recording, int plus)
{
    char start[81], date[81], admin[81], tech[81], equip[81];
    int used = 0;
    int got = plus ? sscanf(recording, "%80s %80s %80s %80s %80s %n", start, date, admin, tech,
                            equip, &used)
                   : 0;
    if (got == 5 && !strcmp(start, "Startdate") && !strcmp(admin, "X") && !strcmp(tech, "X") &&
        !strcmp(equip, "X")) {
        emgi_strlcpy(out, recording + used, n);
        return;
    }
    if (plus && got == 5 && used == 0 && !strcmp(admin, "X") && !strcmp(tech, "X") &&
        !strcmp(equip, "X")) {
        out[0] = '\0';
        return;
    }
    emgi_strlcpy(out, recording, n);
}

static void start_time(emg_header *hdr, const struct edf_hdr_struct *e)
{
    if (e->startdate_year == 1985 && e->startdate_month == 1 && e->startdate_day == 1 &&
        e->starttime_hour == 0 && e->starttime_minute == 0 && e->starttime_second == 0 &&
        e->starttime_subsecond == 0) {
        hdr->start_time[0] = '\0';
        return;
    }
    double second = e->starttime_second + (double)e->starttime_subsecond / EDFLIB_TIME_DIMENSION;
    emg_time_format(hdr->start_time, e->startdate_year, e->startdate_month, e->startdate_day,
                    e->starttime_hour, e->starttime_minute, second);
}

/* Labels must be unique and non-empty in the recording model. */
static int name_taken(const emg_header *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n_channels; i++)
        if (!strcmp(hdr->channels[i].name, name))
            return 1;
    return 0;
}

static int unique_name(emg_header *hdr, char *name, size_t n, size_t index, emg_error *err)
{
    char base[EMG_NAME_MAX];
    if (!*name)
        snprintf(name, n, "ch%zu", index + 1);
    emgi_strlcpy(base, name, sizeof base);
    for (int k = 2; name_taken(hdr, name); k++)
        snprintf(name, n, "%.*s-%d", (int)(n - 12), base, k);
    if (strcmp(base, name))
        return emg_header_add_note(hdr, err, "channel %zu: label '%s' repeats; renamed '%s'",
                                   index + 1, base, name);
    return EMG_OK;
}

static int add_channels(edf_reader *r, emg_header *hdr, const struct edf_hdr_struct *e,
                        const raw_header *raw, emg_error *err)
{
    double record_s = (double)e->datarecord_duration / EDFLIB_TIME_DIMENSION;
    size_t n = (size_t)e->edfsignals;
    r->n_channels = n;
    r->byte_offset = emgi_xcalloc(n, sizeof *r->byte_offset, err);
    r->samples_per_record = emgi_xcalloc(n, sizeof *r->samples_per_record, err);
    r->bitvalue = emgi_xcalloc(n, sizeof *r->bitvalue, err);
    r->offset = emgi_xcalloc(n, sizeof *r->offset, err);
    r->keep = emgi_xcalloc(n, sizeof *r->keep, err);
    r->delivered = emgi_xcalloc(n, sizeof *r->delivered, err);
    if (!r->byte_offset || !r->samples_per_record || !r->bitvalue || !r->offset || !r->keep ||
        !r->delivered)
        return EMG_ERR_NOMEM;
    size_t at = 0, channel = 0;
    for (int s = 0; s < raw->n_signals; s++) {
        size_t bytes = (size_t)raw->samples_per_record[s] * (size_t)r->bytes_per_sample;
        if (raw->is_annotation[s]) {
            at += bytes;
            continue;
        }
        if (channel >= n)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: signal count disagrees with EDFlib",
                                 r->path);
        const struct edf_param_struct *p = &e->signalparam[channel];
        r->byte_offset[channel] = at;
        r->samples_per_record[channel] = p->smp_in_datarecord;
        r->bitvalue[channel] = (p->phys_max - p->phys_min) / (double)(p->dig_max - p->dig_min);
        r->offset[channel] = p->phys_max / r->bitvalue[channel] - p->dig_max;
        emg_channel ch;
        emg_channel_init(&ch);
        /* The texts as written (EDFlib's are ASCII-only; Latin-1 "\xb5V" becomes
         * "µV" when the reader makes the header UTF-8). */
        char transducer[81], prefilter[81], label[17], unit[9];
        size_t ns = (size_t)raw->n_signals;
        field(label, signal_field_at(raw->sig, ns, 0, (size_t)s), 16);
        field(transducer, signal_field_at(raw->sig, ns, 1, (size_t)s), 80);
        field(unit, signal_field_at(raw->sig, ns, 2, (size_t)s), 8);
        field(prefilter, signal_field_at(raw->sig, ns, 7, (size_t)s), 80);
        emgi_utf8_from_bytes(ch.name, sizeof ch.name, label, strlen(label));
        emgi_utf8_from_bytes(ch.unit, sizeof ch.unit, unit, strlen(unit));
        char both[200]; /* cut to the model's field below, as before */
        if (prefilter[0])
            snprintf(both, sizeof both, "%s%s[prefilter: %s]", transducer,
                     transducer[0] ? " " : "", prefilter);
        else
            emgi_strlcpy(both, transducer, sizeof both);
        emgi_strlcpy(ch.transducer, both, sizeof ch.transducer);
        ch.fs = p->smp_in_datarecord / record_s;
        ch.n_samples = p->smp_in_file;
        ch.gain = 1.0 / r->bitvalue[channel];
        ch.baseline = -r->offset[channel];
        ch.digital_min = p->dig_min;
        ch.digital_max = p->dig_max;
        int rc = unique_name(hdr, ch.name, sizeof ch.name, channel, err);
        if (rc >= 0)
            rc = emg_header_add_channel(hdr, &ch, err);
        if (rc < 0)
            return rc;
        r->keep[channel] = ch.n_samples;
        at += bytes;
        channel++;
    }
    r->record_bytes = at;
    return EMG_OK;
}

/* Channel names compared with underscores and spaces alike ("EMG_agonist"
 * is written "EMG agonist" in an annotation); name is len bytes. */
static int same_channel_name(const char *channel, const char *name, size_t len)
{
    size_t i = 0;
    for (; i < len && channel[i]; i++) {
        char a = channel[i] == '_' ? ' ' : channel[i], b = name[i] == '_' ? ' ' : name[i];
        if (a != b)
            return 0;
    }
    return i == len && channel[i] == '\0';
}

/* "text (NAME)" (this writer) or "text@@NAME" (MNE-Python) is an annotation of
 * the channel named NAME: returns its index and cuts the text before the
 * suffix, or -1 when the text names no channel. */
static int channel_of(const emg_header *hdr, char *text)
{
    char *at = strstr(text, "@@"), *open = strrchr(text, '(');
    size_t len = strlen(text);
    char *name = at ? at + 2 : NULL, *cut = at;
    size_t name_len = at ? strlen(at + 2) : 0;
    if (!at && open && open > text + 1 && open[-1] == ' ' && len > 0 && text[len - 1] == ')')
        name = open + 1, name_len = (size_t)(text + len - 1 - name), cut = open - 1;
    if (!name)
        return -1;
    for (size_t i = 0; i < hdr->n_channels; i++)
        if (same_channel_name(hdr->channels[i].name, name, name_len)) {
            *cut = '\0';
            return (int)i;
        }
    return -1;
}

static int add_annotations(edf_reader *r, emg_header *hdr, const struct edf_hdr_struct *e,
                           emg_error *err)
{
    double duration = (double)e->file_duration / EDFLIB_TIME_DIMENSION;
    double record_s = (double)e->datarecord_duration / EDFLIB_TIME_DIMENSION;
    for (long long k = 0; k < e->annotations_in_file; k++) {
        struct edf_annotation_struct a;
        if (edf_get_annotation(e->handle, (int)k, &a) < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: EDFlib: cannot read annotation %lld",
                                 r->path, k + 1);
        double onset = (double)a.onset / EDFLIB_TIME_DIMENSION;
        double length = a.duration_l > 0 ? (double)a.duration_l / EDFLIB_TIME_DIMENSION : 0.0;
        if (!strcmp(a.annotation, "Recording ends") && onset < duration &&
            onset > duration - record_s - 1e-9) {
            /* The writer padded the last record: deliver only what was recorded. */
            for (size_t i = 0; i < hdr->n_channels; i++) {
                emg_channel *ch = &hdr->channels[i];
                int64_t keep = (int64_t)ceil(onset * ch->fs - 1e-6);
                if (keep < ch->n_samples)
                    ch->n_samples = r->keep[i] = keep;
            }
            continue;
        }
        int channel = channel_of(hdr, a.annotation);
        int rc = emg_header_add_annotation(hdr, onset, length, channel, a.annotation, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

static int fill_header(edf_reader *r, emg_header *hdr, const struct edf_hdr_struct *e,
                       const raw_header *raw, emg_format *detected, emg_error *err)
{
    int plus = e->filetype == EDFLIB_FILETYPE_EDFPLUS || e->filetype == EDFLIB_FILETYPE_BDFPLUS;
    int bdf = e->filetype == EDFLIB_FILETYPE_BDF || e->filetype == EDFLIB_FILETYPE_BDFPLUS;
    *detected = bdf ? EMG_FORMAT_BDF : EMG_FORMAT_EDF;
    r->bytes_per_sample = bdf ? 3 : 2;
    r->header_bytes = raw->header_bytes;
    r->n_records = e->datarecords_in_file;
    if (e->datarecord_duration <= 0)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: data records of duration 0 (annotations only) hold no signal",
                             r->path);
    if (e->edfsignals < 1)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no signals besides annotations", r->path);
    start_time(hdr, e);
    plus_subject(hdr->subject, sizeof hdr->subject, raw->patient, plus);
    plus_recording(hdr->recording, sizeof hdr->recording, raw->recording, plus);
    int rc = add_channels(r, hdr, e, raw, err);
    if (rc >= 0)
        rc = add_annotations(r, hdr, e, err);
    if (rc >= 0 && !plus && bdf && raw->reserved[0] && strcmp(raw->reserved, "24BIT"))
        rc = emg_header_add_note(hdr, err, "BDF reserved field reads '%s'", raw->reserved);
    return rc;
}

static size_t choose_records_per_block(const edf_reader *r, double record_s,
                                       const emg_read_options *opts)
{
    double target = opts && opts->block_seconds_hint_ms ? opts->block_seconds_hint_ms / 1000.0
                                                        : 1.0;
    size_t n = (size_t)floor(target / record_s);
    if (n < 1)
        n = 1;
    /* Keep one block under ~8 MB of file bytes whatever the hint. */
    while (n > 1 && n * r->record_bytes > 8u * 1024 * 1024)
        n /= 2;
    return n;
}

/* Replace bytes outside ASCII in [at, at + len) of the file by '?'; 1 when any was. */
static int make_field_ascii(FILE *f, long at, size_t len)
{
    char buf[256 * 16];
    int changed = 0;
    while (len > 0) {
        size_t take = len < sizeof buf ? len : sizeof buf;
        if (fseek(f, at, SEEK_SET) != 0 || fread(buf, 1, take, f) != take)
            return changed;
        int here = 0;
        for (size_t k = 0; k < take; k++)
            if ((unsigned char)buf[k] > 126) {
                buf[k] = '?';
                here = 1;
            }
        if (here && (fseek(f, at, SEEK_SET) != 0 || fwrite(buf, 1, take, f) != take))
            return changed;
        changed |= here;
        at += (long)take;
        len -= take;
    }
    return changed;
}

/* Copy path to a temporary file with the header's text fields (patient,
 * recording, label, transducer, unit, prefilter) made ASCII, for EDFlib,
 * which refuses the Latin-1 "\xb5V" clinical exports write.  1 with the copy
 * in tmp when a byte was replaced, else 0 (no copy kept). */
static int ascii_copy(const char *path, long long ns, char *tmp, size_t n)
{
    if (ns < 1 || ns > EDFLIB_MAXSIGNALS)
        return 0;
    int fd = emgi_temp_file(tmp, n, "emgkit-edf", NULL);
    if (fd < 0)
        return 0;
    FILE *in = fopen(path, "rb"), *out = fdopen(fd, "w+b");
    int ok = in && out;
    char buf[65536];
    size_t got;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, got, out) == got;
    ok = ok && !ferror(in);
    int changed = 0;
    if (ok) {
        changed |= make_field_ascii(out, 8, 160);                      /* patient, recording */
        changed |= make_field_ascii(out, 256, (size_t)(ns * (16 + 80 + 8))); /* label..unit */
        changed |= make_field_ascii(out, (long)(256 + ns * 160), (size_t)(ns * 80)); /* prefilter */
    }
    ok = (out ? fclose(out) == 0 : (close(fd), 0)) && ok;
    if (in)
        fclose(in);
    if (!ok || !changed) {
        unlink(tmp);
        return 0;
    }
    return 1;
}

/* Open path with EDFlib; a file refused only for text outside ASCII is opened
 * through an ASCII copy (removed by the caller: *copy non-empty). */
static int open_with_edflib(const char *path, struct edf_hdr_struct *e, char *copy, size_t n,
                            emg_error *err)
{
    copy[0] = '\0';
    if (edfopen_file_readonly(path, e, EDFLIB_READ_ALL_ANNOTATIONS) == 0)
        return EMG_OK;
    int code = e->filetype;
    FILE *f = fopen(path, "rb");
    char fixed[256];
    long long ns = -1;
    if (f && fread(fixed, 1, 256, f) == 256)
        int_field(fixed + 252, 4, &ns);
    if (f)
        fclose(f);
    if (code == EDFLIB_FILE_CONTAINS_FORMAT_ERRORS && ascii_copy(path, ns, copy, n)) {
        memset(e, 0, sizeof *e);
        if (edfopen_file_readonly(copy, e, EDFLIB_READ_ALL_ANNOTATIONS) == 0)
            return EMG_OK;
        unlink(copy);
        copy[0] = '\0';
    }
    return open_error(path, code, err);
}

static int edf_reader_open(void **state, const char *path, const emg_read_options *opts,
                           emg_header *hdr, emg_format *detected, emg_error *err)
{
    *state = NULL;
    edf_reader *r = emgi_xcalloc(1, sizeof *r, err);
    struct edf_hdr_struct *e = emgi_xcalloc(1, sizeof *e, err);
    if (!r || !e) {
        free(r);
        free(e);
        return EMG_ERR_NOMEM;
    }
    emgi_strlcpy(r->path, path, sizeof r->path);
    errno = 0;
    char copy[4096];
    int rc = open_with_edflib(path, e, copy, sizeof copy, err);
    if (rc < 0) {
        free(e);
        edf_reader_close(r);
        return rc;
    }
    raw_header raw;
    memset(&raw, 0, sizeof raw);
    r->file = fopen(path, "rb");
    if (!r->file)
        rc = emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc >= 0)
        rc = read_raw_header(&raw, r->file, path, err);
    if (rc >= 0)
        rc = fill_header(r, hdr, e, &raw, detected, err);
    if (rc >= 0) {
        double record_s = (double)e->datarecord_duration / EDFLIB_TIME_DIMENSION;
        r->records_per_block = choose_records_per_block(r, record_s, opts);
        r->buffer = emgi_xcalloc(r->records_per_block, r->record_bytes, err);
        if (!r->buffer)
            rc = EMG_ERR_NOMEM;
    }
    if (rc >= 0 && fseek(r->file, r->header_bytes, SEEK_SET) != 0)
        rc = emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    edfclose_file(e->handle);
    if (copy[0])
        unlink(copy);
    raw_header_free(&raw);
    free(e);
    if (rc < 0) {
        edf_reader_close(r);
        return rc;
    }
    *state = r;
    return EMG_OK;
}

static inline int32_t decode(const unsigned char *p, int bytes)
{
    if (bytes == 2)
        return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
    uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    return (int32_t)(v ^ 0x800000u) - 0x800000; /* sign-extend 24 bits */
}

static int edf_reader_read(void *state, emg_block *blk, emg_error *err)
{
    edf_reader *r = state;
    long long left = r->n_records - r->next_record;
    if (left <= 0)
        return 0;
    size_t n_rec = (size_t)(left < (long long)r->records_per_block ? left
                                                                    : (long long)r->records_per_block);
    size_t got = fread(r->buffer, r->record_bytes, n_rec, r->file);
    if (got != n_rec)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: truncated: data record %lld of %lld is incomplete", r->path,
                             r->next_record + (long long)got + 1, r->n_records);
    int rc = EMG_OK;
    size_t most = 0;
    for (size_t i = 0; i < r->n_channels; i++)
        if ((size_t)r->samples_per_record[i] > most)
            most = (size_t)r->samples_per_record[i];
    if ((rc = emg_block_reserve(blk, r->n_channels, most * n_rec, err)) < 0)
        return rc;
    const int bps = r->bytes_per_sample;
    for (size_t i = 0; i < r->n_channels; i++) {
        size_t spr = (size_t)r->samples_per_record[i];
        int64_t room = r->keep[i] - r->delivered[i];
        size_t want = spr * n_rec;
        if ((int64_t)want > room)
            want = room > 0 ? (size_t)room : 0;
        double *out = blk->data[i];
        const double bv = r->bitvalue[i], off = r->offset[i];
        for (size_t rec = 0, k = 0; k < want; rec++) {
            const unsigned char *p = r->buffer + rec * r->record_bytes + r->byte_offset[i];
            size_t end = k + spr < want ? k + spr : want;
            if (bps == 2)
                for (; k < end; k++, p += 2)
                    out[k] = bv * (off + (int16_t)(uint16_t)(p[0] | (p[1] << 8)));
            else
                for (; k < end; k++, p += 3)
                    out[k] = bv * (off + decode(p, 3));
        }
        blk->count[i] = want;
        r->delivered[i] += (int64_t)want;
    }
    r->next_record += (long long)n_rec;
    return 1;
}

const emg_format_reader emgi_edf_reader = {
    "edf", edf_probe, edf_reader_open, edf_reader_read, edf_reader_close,
};

/* ------------------------------------------------------------------ writer */

typedef struct edf_writer {
    int handle;                 /* EDFlib handle, -1 before start */
    int bdf;
    char path[4200];            /* where EDFlib writes (the core's temporary path) */
    char name[4096];            /* the user's output path, for messages */
    emg_header hdr;             /* copy of the header given to open */
    size_t n;
    long record_units;          /* record duration in units of 10 us */
    double record_s;
    int *spr;                   /* samples per record per channel */
    int *dmin, *dmax;
    double *pmin, *pmax;        /* as written in the header (8 characters) */
    char (*pmin_text)[9], (*pmax_text)[9];
    double **pending;           /* per channel: samples not yet in a record */
    size_t *n_pending, *cap_pending;
    double *last;               /* last sample per channel (padding) */
    int *record;                /* one record of digital samples, all channels */
    long long records;
    int64_t *received;          /* samples per channel */
    size_t annotations, annotation_capacity;
    int annotation_signals;
    long long end_annotation;   /* index of our "Recording ends", -1 if none */
    double end_time;            /* its exact time, seconds from the start */
    long subsecond;             /* start's fraction of a second, units of 100 ns */
    int spooling;
    emg_spool spool;
    emg_write_options opts;     /* for the notes */
    size_t cut_annotations;     /* texts cut to EDF_WRITE_ANNOTATION_LEN */
} edf_writer;

/* Shortest text of at most 8 characters for v; dir < 0 rounds down, > 0 up, 0 nearest. */
static int edf_number(double v, int dir, char out[9], double *value)
{
    for (int decimals = 7; decimals >= 0; decimals--) {
        double scale = pow(10.0, decimals);
        double q = v * scale;
        double r = dir < 0 ? floor(q + 1e-9) : dir > 0 ? ceil(q - 1e-9) : nearbyint(q);
        char text[64];
        snprintf(text, sizeof text, "%.*f", decimals, r / scale);
        if (strchr(text, '.')) { /* drop trailing zeros */
            size_t len = strlen(text);
            while (text[len - 1] == '0')
                text[--len] = '\0';
            if (text[len - 1] == '.')
                text[--len] = '\0';
        }
        if (!strcmp(text, "-0"))
            strcpy(text, "0");
        if (strlen(text) <= 8) {
            strcpy(out, text);
            *value = strtod(text, NULL);
            return 0;
        }
    }
    return -1;
}

/* Record duration: 1 s, else whole seconds up to 60, else 1/k s on the 10 us grid,
 * such that every channel has a whole number of samples and a record stays small. */
static int choose_record(edf_writer *w, emg_error *err)
{
    int bytes = w->bdf ? 3 : 2;
    long candidates[60 + 1000];
    size_t nc = 0;
    for (long k = 1; k <= 60; k++)
        candidates[nc++] = k * 100000L;
    for (long k = 2; k <= 1000; k++) /* EDFlib takes 1 ms to 60 s */
        if (100000L % k == 0)
            candidates[nc++] = 100000L / k;
    /* Prefer 1 s; shorter records only when a record would be too big. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < nc; c++) {
            long units = candidates[c];
            double d = units / 100000.0;
            double total = 0;
            int ok = 1;
            for (size_t i = 0; ok && i < w->n; i++) {
                double x = w->hdr.channels[i].fs * d;
                double r = nearbyint(x);
                ok = r >= 1 && r <= INT_MAX && fabs(x - r) <= 1e-6 * r;
                w->spr[i] = ok ? (int)r : 0;
                total += r * bytes;
            }
            if (ok && (total <= EDF_RECORD_MAX_BYTES || pass == 1)) {
                if (total > EDF_RECORD_MAX_BYTES && units > 100000L)
                    continue;
                w->record_units = units;
                w->record_s = d;
                return EMG_OK;
            }
        }
    return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                         "%s: the sampling rates have no common EDF data record duration "
                         "(1 ms to 60 s with a whole number of samples per channel)",
                         w->name);
}

/* The channel's own ADC range can be written when it fits the format and
 * every (spooled) sample lies inside it: otherwise EDF would clip. */
static int channel_calibration_fits(const edf_writer *w, const emg_channel *ch, size_t i)
{
    long lo = w->bdf ? -8388608L : -32768L, hi = w->bdf ? 8388607L : 32767L;
    if (!(ch->gain != 0 && isfinite(ch->gain) && isfinite(ch->baseline) &&
          ch->digital_min < ch->digital_max && ch->digital_min >= lo && ch->digital_max <= hi))
        return 0;
    double a = (ch->digital_min - ch->baseline) / ch->gain;
    double b = (ch->digital_max - ch->baseline) / ch->gain;
    double half_step = 0.5 / fabs(ch->gain);
    double low = fmin(a, b) - half_step, high = fmax(a, b) + half_step;
    return !(w->spool.min[i] <= w->spool.max[i]) ||
           (w->spool.min[i] >= low && w->spool.max[i] <= high);
}

static int set_ranges(edf_writer *w, emg_error *err)
{
    long lo = w->bdf ? -8388608L : -32768L, hi = w->bdf ? 8388607L : 32767L;
    for (size_t i = 0; i < w->n; i++) {
        const emg_channel *ch = &w->hdr.channels[i];
        int rc = 0;
        if (channel_calibration_fits(w, ch, i)) {
            w->dmin[i] = ch->digital_min;
            w->dmax[i] = ch->digital_max;
            double a = (ch->digital_min - ch->baseline) / ch->gain;
            double b = (ch->digital_max - ch->baseline) / ch->gain;
            rc |= edf_number(a, 0, w->pmin_text[i], &w->pmin[i]);
            rc |= edf_number(b, 0, w->pmax_text[i], &w->pmax[i]);
            double tiny = 1e-9 * fabs(b - a);
            if (fabs(w->pmin[i] - a) > tiny || fabs(w->pmax[i] - b) > tiny) {
                /* Not exact in 8 characters: round outwards over the ADC
                 * range and the data, so that no sample clips. */
                double lo = fmin(fmin(a, b), w->spool.min[i]);
                double hi = fmax(fmax(a, b), w->spool.max[i]);
                int up = a > b; /* negative gain: physical min is the larger */
                rc |= edf_number(up ? hi : lo, up ? +1 : -1, w->pmin_text[i], &w->pmin[i]);
                rc |= edf_number(up ? lo : hi, up ? -1 : +1, w->pmax_text[i], &w->pmax[i]);
            }
        } else {
            double a = w->spool.min[i], b = w->spool.max[i];
            if (!(a <= b)) { /* no finite sample */
                a = -1;
                b = 1;
            }
            if (a == b) {
                double pad = fabs(a) > 1 ? fabs(a) * 1e-3 : 1e-3;
                a -= pad;
                b += pad;
            }
            w->dmin[i] = (int)lo;
            w->dmax[i] = (int)hi;
            rc |= edf_number(a, -1, w->pmin_text[i], &w->pmin[i]);
            rc |= edf_number(b, +1, w->pmax_text[i], &w->pmax[i]);
        }
        if (rc || w->pmin[i] == w->pmax[i])
            return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                                 "%s: channel '%s': physical range cannot be written in the "
                                 "8 characters EDF allows; change its unit",
                                 w->name, ch->name);
    }
    return EMG_OK;
}

/* Printable ASCII for EDF header fields: "µ" becomes "u", other non-ASCII "_". */
static void ascii(char *out, size_t n, const char *in)
{
    size_t k = 0;
    const unsigned char *s = (const unsigned char *)in;
    while (*s && k + 1 < n) {
        if ((s[0] == 0xC2 && s[1] == 0xB5) || (s[0] == 0xCE && s[1] == 0xBC)) {
            out[k++] = 'u';
            s += 2;
        } else if (*s >= 0x80) {
            out[k++] = '_';
            s++;
            while ((*s & 0xC0) == 0x80)
                s++;
        } else {
            out[k++] = (*s >= 32 && *s < 127) ? (char)*s : ' ';
            s++;
        }
    }
    out[k] = '\0';
}

/* Labels: 16 ASCII characters, still unique after truncation. */
/* Label of channel i, made unique against the labels of channels 0..i-1
 * (already in labels[]) by a "~2", "~3"... suffix. */
static void unique_label(const edf_writer *w, size_t i, char labels[][EDF_LABEL_LEN + 1])
{
    char *out = labels[i];
    ascii(out, EDF_LABEL_LEN + 1, w->hdr.channels[i].name);
    for (int k = 2;; k++) {
        int clash = 0;
        for (size_t j = 0; j < i && !clash; j++)
            clash = !strcmp(labels[j], out);
        if (!clash)
            return;
        char suffix[12];
        int len = snprintf(suffix, sizeof suffix, "~%d", k);
        char base[EDF_LABEL_LEN + 1];
        ascii(base, EDF_LABEL_LEN + 1, w->hdr.channels[i].name);
        snprintf(out, EDF_LABEL_LEN + 1, "%.*s%s", EDF_LABEL_LEN - len, base, suffix);
    }
}

static void edf_label(const edf_writer *w, size_t i, char out[EDF_LABEL_LEN + 1])
{
    char (*labels)[EDF_LABEL_LEN + 1] = calloc(i + 1, sizeof *labels);
    if (!labels) {
        ascii(out, EDF_LABEL_LEN + 1, w->hdr.channels[i].name);
        return;
    }
    for (size_t k = 0; k <= i; k++)
        unique_label(w, k, labels);
    memcpy(out, labels[i], EDF_LABEL_LEN + 1);
    free(labels);
}

static int set_signal(edf_writer *w, size_t i)
{
    const emg_channel *ch = &w->hdr.channels[i];
    int h = w->handle, s = (int)i, bad = 0;
    char label[EDF_LABEL_LEN + 1], unit[EDF_UNIT_LEN + 1], text[EMG_TEXT_MAX], prefilter[81];
    edf_label(w, i, label);
    if (strcmp(label, ch->name))
        emgi_write_note(&w->opts, "channel '%s' is labelled '%s' (EDF+ labels are 16 ASCII "
                       "characters)", ch->name, label);
    ascii(unit, sizeof unit, ch->unit);
    ascii(text, sizeof text, ch->transducer);
    prefilter[0] = '\0';
    char *pf = strstr(text, "[prefilter: ");
    if (pf && text[strlen(text) - 1] == ']') {
        snprintf(prefilter, sizeof prefilter, "%.*s", (int)(strlen(pf) - 13), pf + 12);
        *pf = '\0';
        for (size_t len = strlen(text); len && text[len - 1] == ' '; len--)
            text[len - 1] = '\0';
    }
    /* Nudge the physical limits so EDFlib's number printer (which truncates)
     * writes our 8-character texts; finish() rewrites them anyway. */
    double nudge_max = w->pmax[i] + fabs(w->pmax[i]) * 1e-12 * (w->pmax[i] < 0 ? -1 : 1);
    double nudge_min = w->pmin[i] + fabs(w->pmin[i]) * 1e-12 * (w->pmin[i] < 0 ? -1 : 1);
    bad |= edf_set_samplefrequency(h, s, w->spr[i]);
    bad |= edf_set_physical_maximum(h, s, nudge_max);
    bad |= edf_set_physical_minimum(h, s, nudge_min);
    bad |= edf_set_digital_maximum(h, s, w->dmax[i]);
    bad |= edf_set_digital_minimum(h, s, w->dmin[i]);
    bad |= edf_set_label(h, s, label);
    bad |= edf_set_physical_dimension(h, s, unit);
    bad |= edf_set_transducer(h, s, text);
    bad |= edf_set_prefilter(h, s, prefilter);
    return bad ? -1 : 0;
}

static void set_identity(edf_writer *w)
{
    int year, month, day, hour, minute;
    double second;
    if (w->hdr.start_time[0] &&
        emg_time_parse(w->hdr.start_time, &year, &month, &day, &hour, &minute, &second) == 0 &&
        year >= 1985 && year <= 2084 && second < 60) {
        edf_set_startdatetime(w->handle, year, month, day, hour, minute, (int)second);
        long sub = lround((second - floor(second)) * 1e4) * 1000; /* 100 us steps */
        if (sub > 0 && sub < 10000000L && edf_set_subsecond_starttime(w->handle, (int)sub) == 0)
            w->subsecond = sub;
    } else {
        edf_set_startdatetime(w->handle, 1985, 1, 1, 0, 0, 0); /* EDF+ "unknown" */
    }
    char text[81];
    /* EDF+ keeps 80 characters for "code sex birthdate name additional"
     * and "Startdate date admin technician equipment additional". */
    ascii(text, 72, w->hdr.subject);
    edf_set_patient_additional(w->handle, text);
    ascii(text, 52, w->hdr.recording);
    edf_set_recording_additional(w->handle, text);
}

/* Annotation slots: EDFlib puts one annotation per annotation signal per record. */
static int annotation_signals(long long records, size_t annotations)
{
    if (records < 1)
        records = 1;
    long long need = ((long long)annotations + records - 1) / records + 1;
    return need < 1 ? 1 : need > 64 ? 64 : (int)need;
}

static long long expected_records(const edf_writer *w)
{
    long long most = 0;
    for (size_t i = 0; i < w->n; i++) {
        int64_t n = w->spooling ? w->spool.n_samples[i] : w->hdr.channels[i].n_samples;
        long long r = (long long)((n + w->spr[i] - 1) / w->spr[i]);
        if (r > most)
            most = r;
    }
    return most;
}

static int write_annotation(edf_writer *w, const emg_annotation *a, emg_error *err)
{
    double onset = a->onset, duration = a->duration;
    if (onset < 0) { /* cut by a time range: keep the part inside */
        duration = duration + onset > 0 ? duration + onset : 0;
        onset = 0;
    }
    char suffix[EDF_LABEL_LEN + 4] = "";
    if (a->channel >= 0 && (size_t)a->channel < w->n) {
        char label[EDF_LABEL_LEN + 1];
        edf_label(w, (size_t)a->channel, label);
        for (char *c = label; *c; c++)
            *c = *c == '_' ? ' ' : *c;
        snprintf(suffix, sizeof suffix, " (%s)", label);
    }
    /* EDFlib keeps 40 bytes: cut the text at a UTF-8 boundary to leave the suffix. */
    char text[EDF_WRITE_ANNOTATION_LEN + 1];
    size_t room = EDF_WRITE_ANNOTATION_LEN - strlen(suffix);
    size_t len = strlen(a->text);
    if (len > room) {
        w->cut_annotations++;
        len = room;
        while (len > 0 && ((unsigned char)a->text[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(text, sizeof text, "%.*s%s", (int)len, a->text, suffix);
    long long on = llround(onset * 1e4), dur = duration > 0 ? llround(duration * 1e4) : -1;
    if (edfwrite_annotation_utf8(w->handle, on, dur, text) < 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: EDFlib refused annotation '%s'", w->name,
                             text);
    w->annotations++;
    return EMG_OK;
}

/* Create the file with EDFlib once ranges and sizes are known. */
static int start_edflib(edf_writer *w, long long records, size_t annotations, emg_error *err)
{
    int rc = set_ranges(w, err);
    if (rc < 0)
        return rc;
    w->handle = edfopen_file_writeonly(w->path, w->bdf ? EDFLIB_FILETYPE_BDFPLUS
                                                       : EDFLIB_FILETYPE_EDFPLUS, (int)w->n);
    if (w->handle < 0) {
        int code = w->handle;
        w->handle = -1;
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: EDFlib: %s", w->name, edflib_words(code));
    }
    int bad = 0;
    if (w->record_units != 100000L)
        bad |= edf_set_datarecord_duration(w->handle, (int)w->record_units);
    w->annotation_signals = annotation_signals(records, annotations);
    bad |= edf_set_number_of_annotation_signals(w->handle, w->annotation_signals);
    for (size_t i = 0; i < w->n && !bad; i++)
        bad |= set_signal(w, i);
    if (bad)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: EDFlib refused the signal parameters",
                             w->name);
    set_identity(w);
    for (size_t k = 0; rc >= 0 && k < w->hdr.n_annotations; k++)
        rc = write_annotation(w, &w->hdr.annotations[k], err);
    return rc;
}

static inline int to_digital(const edf_writer *w, size_t i, double x)
{
    if (!isfinite(x))
        x = 0.0 < w->pmin[i] ? w->pmin[i] : 0.0 > w->pmax[i] ? w->pmax[i] : 0.0;
    double bitvalue = (w->pmax[i] - w->pmin[i]) / (double)(w->dmax[i] - w->dmin[i]);
    double d = nearbyint(w->dmax[i] + (x - w->pmax[i]) / bitvalue);
    int lo = w->dmin[i] < w->dmax[i] ? w->dmin[i] : w->dmax[i];
    int hi = w->dmin[i] < w->dmax[i] ? w->dmax[i] : w->dmin[i];
    return d < lo ? lo : d > hi ? hi : (int)d;
}

static int emit_record(edf_writer *w, emg_error *err)
{
    size_t at = 0;
    for (size_t i = 0; i < w->n; i++) {
        size_t spr = (size_t)w->spr[i];
        for (size_t k = 0; k < spr; k++)
            w->record[at + k] = to_digital(w, i, w->pending[i][k]);
        at += spr;
        w->n_pending[i] -= spr;
        if (w->n_pending[i])
            memmove(w->pending[i], w->pending[i] + spr, w->n_pending[i] * sizeof(double));
    }
    if (edf_blockwrite_digital_samples(w->handle, w->record) < 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: EDFlib: write error: %s", w->name,
                             strerror(errno));
    w->records++;
    return EMG_OK;
}

static int records_ready(const edf_writer *w)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->n_pending[i] < (size_t)w->spr[i])
            return 0;
    return 1;
}

static int feed(edf_writer *w, const emg_block *blk, emg_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        size_t need = w->n_pending[i] + blk->count[i];
        if (need > w->cap_pending[i]) {
            size_t cap = need * 2;
            double *p = emgi_xrealloc(w->pending[i], cap, sizeof *p, err);
            if (!p)
                return EMG_ERR_NOMEM;
            w->pending[i] = p;
            w->cap_pending[i] = cap;
        }
        if (blk->count[i])
            memcpy(w->pending[i] + w->n_pending[i], blk->data[i],
                   blk->count[i] * sizeof(double));
        w->n_pending[i] += blk->count[i];
        w->received[i] += (int64_t)blk->count[i];
        if (blk->count[i])
            w->last[i] = blk->data[i][blk->count[i] - 1];
    }
    int rc = EMG_OK;
    for (size_t k = 0; rc >= 0 && k < blk->n_annotations; k++)
        rc = write_annotation(w, &blk->annotations[k], err);
    while (rc >= 0 && records_ready(w))
        rc = emit_record(w, err);
    return rc;
}

static int edf_writer_write(void *state, const emg_block *blk, emg_error *err)
{
    edf_writer *w = state;
    if (blk->n_channels != w->n)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, header %zu",
                             w->name, blk->n_channels, w->n);
    return w->spooling ? emgi_spool_write(&w->spool, blk, err) : feed(w, blk, err);
}

static void edf_writer_destroy(void *state)
{
    edf_writer *w = state;
    if (!w)
        return;
    if (w->handle >= 0)
        edfclose_file(w->handle);
    if (w->spooling)
        emgi_spool_close(&w->spool);
    for (size_t i = 0; w->pending && i < w->n; i++)
        free(w->pending[i]);
    free(w->pending);
    free(w->n_pending);
    free(w->cap_pending);
    free(w->last);
    free(w->record);
    free(w->received);
    free(w->spr);
    free(w->dmin);
    free(w->dmax);
    free(w->pmin);
    free(w->pmax);
    free(w->pmin_text);
    free(w->pmax_text);
    emg_header_free(&w->hdr);
    free(w);
}

static int allocate(edf_writer *w, emg_error *err)
{
    size_t n = w->n;
    w->spr = emgi_xcalloc(n, sizeof *w->spr, err);
    w->dmin = emgi_xcalloc(n, sizeof *w->dmin, err);
    w->dmax = emgi_xcalloc(n, sizeof *w->dmax, err);
    w->pmin = emgi_xcalloc(n, sizeof *w->pmin, err);
    w->pmax = emgi_xcalloc(n, sizeof *w->pmax, err);
    w->pmin_text = emgi_xcalloc(n, sizeof *w->pmin_text, err);
    w->pmax_text = emgi_xcalloc(n, sizeof *w->pmax_text, err);
    w->pending = emgi_xcalloc(n, sizeof *w->pending, err);
    w->n_pending = emgi_xcalloc(n, sizeof *w->n_pending, err);
    w->cap_pending = emgi_xcalloc(n, sizeof *w->cap_pending, err);
    w->last = emgi_xcalloc(n, sizeof *w->last, err);
    w->received = emgi_xcalloc(n, sizeof *w->received, err);
    return (w->spr && w->dmin && w->dmax && w->pmin && w->pmax && w->pmin_text &&
            w->pmax_text && w->pending && w->n_pending && w->cap_pending && w->last &&
            w->received)
               ? EMG_OK
               : EMG_ERR_NOMEM;
}

static int edf_writer_open(void **state, struct emg_writer *ew, const char *tmp_path,
                           const char *final_path, emg_format format, const emg_header *hdr,
                           const emg_write_options *opts, emg_error *err)
{
    (void)ew;
    (void)final_path;
    *state = NULL;
    if (hdr->n_channels > EDFLIB_MAXSIGNALS - 64)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: %zu channels; EDF takes at most %d",
                             final_path, hdr->n_channels, EDFLIB_MAXSIGNALS - 64);
    edf_writer *w = emgi_xcalloc(1, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    w->handle = -1;
    w->end_annotation = -1;
    if (opts)
        w->opts = *opts;
    w->bdf = format == EMG_FORMAT_BDF;
    w->n = hdr->n_channels;
    emgi_strlcpy(w->path, tmp_path, sizeof w->path);
    emgi_strlcpy(w->name, final_path, sizeof w->name);
    int rc = emg_header_copy(&w->hdr, hdr, err);
    if (rc >= 0)
        rc = allocate(w, err);
    if (rc >= 0)
        rc = choose_record(w, err);
    size_t total = 0;
    for (size_t i = 0; rc >= 0 && i < w->n; i++)
        total += (size_t)w->spr[i];
    if (rc >= 0 && !(w->record = emgi_xcalloc(total, sizeof *w->record, err)))
        rc = EMG_ERR_NOMEM;
    /* Spool first: the header needs each channel's range (from the data, or
     * the calibration if the data stay inside it) and the annotation count. */
    if (rc >= 0) {
        rc = emgi_spool_open(&w->spool, tmp_path, final_path, w->n, err);
        w->spooling = rc >= 0;
    }
    if (rc < 0) {
        edf_writer_destroy(w);
        return rc;
    }
    *state = w;
    return EMG_OK;
}

/* Write the last, partial record padded with each channel's last value, and
 * mark where the recording really ends. */
static int flush_partial(edf_writer *w, emg_error *err)
{
    int partial = 0;
    for (size_t i = 0; i < w->n; i++)
        partial |= w->n_pending[i] > 0;
    if (!partial)
        return EMG_OK;
    double end = 0;
    for (size_t i = 0; i < w->n; i++) {
        double t = w->received[i] / w->hdr.channels[i].fs;
        end = t > end ? t : end;
        if (w->cap_pending[i] < (size_t)w->spr[i]) {
            double *p = emgi_xrealloc(w->pending[i], (size_t)w->spr[i], sizeof *p, err);
            if (!p)
                return EMG_ERR_NOMEM;
            w->pending[i] = p;
            w->cap_pending[i] = (size_t)w->spr[i];
        }
        while (w->n_pending[i] < (size_t)w->spr[i])
            w->pending[i][w->n_pending[i]++] = w->last[i];
    }
    emg_annotation ends = {end, 0, -1, "Recording ends"};
    int rc = write_annotation(w, &ends, err);
    w->end_annotation = (long long)w->annotations - 1;
    w->end_time = end;
    return rc < 0 ? rc : emit_record(w, err);
}

/* EDFlib prints physical limits by truncation; put our exact texts in place. */
static int patch_limits(edf_writer *w, emg_error *err)
{
    FILE *f = fopen(w->path, "r+b");
    if (!f)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", w->name, strerror(errno));
    size_t ns = w->n + (size_t)w->annotation_signals;
    int ok = 1;
    for (size_t i = 0; ok && i < w->n; i++) {
        char text[9];
        snprintf(text, sizeof text, "%-8s", w->pmin_text[i]);
        ok = fseek(f, (long)(256 + ns * 104 + i * 8), SEEK_SET) == 0 && fwrite(text, 1, 8, f) == 8;
        snprintf(text, sizeof text, "%-8s", w->pmax_text[i]);
        ok = ok && fseek(f, (long)(256 + ns * 112 + i * 8), SEEK_SET) == 0 &&
             fwrite(text, 1, 8, f) == 8;
    }
    ok = (fclose(f) == 0) && ok;
    return ok ? EMG_OK : emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot finish the header",
                                       w->name);
}

/* EDFlib writes annotation onsets in 100-us steps, too coarse to say which
 * sample ends a recording above 10 kHz.  Rewrite the "Recording ends" TAL
 * with 100-ns resolution (EDF+ onsets are free-length decimals), rounded
 * down so that the reader's ceil(onset * fs) gives the exact sample count.
 * EDFlib fills annotation slots in the order written: annotation k sits in
 * data record k / S, annotation signal k % S (S signals of 114 bytes each,
 * after the data signals; slot 0 of a record starts with its time-keeping
 * TAL). */
static int patch_end_onset(edf_writer *w, emg_error *err)
{
    if (w->end_annotation < 0)
        return EMG_OK;
    const long slot_bytes = 114;
    long long data_bytes = 0;
    for (size_t i = 0; i < w->n; i++)
        data_bytes += (long long)w->spr[i] * (w->bdf ? 3 : 2);
    long long signals = (long long)w->n + w->annotation_signals;
    long long record_bytes = data_bytes + slot_bytes * w->annotation_signals;
    long long k = w->end_annotation;
    long long at = 256 * (signals + 1) + (k / w->annotation_signals) * record_bytes + data_bytes +
                   (k % w->annotation_signals) * slot_bytes;
    FILE *f = fopen(w->path, "r+b");
    if (!f)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", w->name, strerror(errno));
    char slot[114];
    int ok = fseeko(f, (off_t)at, SEEK_SET) == 0 && fread(slot, 1, sizeof slot, f) == sizeof slot;
    const char *mark = "\x14Recording ends\x14";
    char *found = NULL;
    for (long p = 0; ok && !found && p + (long)strlen(mark) <= slot_bytes; p++)
        if (!memcmp(slot + p, mark, strlen(mark)))
            found = slot + p;
    char *start = found;
    while (start && start > slot && start[-1] != '\0' && start[-1] != '\x14')
        start--; /* back to the '+' that opens this TAL */
    if (start && *start == '+') {
        long long units = w->subsecond + (long long)floor(w->end_time * 1e7);
        char tal[64];
        int len = snprintf(tal, sizeof tal, "+%lld.%07lld%s", units / 10000000LL,
                           units % 10000000LL, mark);
        long room = slot_bytes - (long)(start - slot);
        if (len < room) {
            memset(start, 0, (size_t)room);
            memcpy(start, tal, (size_t)len);
            ok = fseeko(f, (off_t)at, SEEK_SET) == 0 && fwrite(slot, 1, sizeof slot, f) == sizeof slot;
        }
    }
    ok = (fclose(f) == 0) && ok;
    return ok ? EMG_OK : emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot finish the annotations",
                                       w->name);
}

static int edf_writer_finish(void *state, emg_error *err)
{
    edf_writer *w = state;
    int rc = EMG_OK;
    if (w->spooling) {
        long long records = expected_records(w);
        rc = start_edflib(w, records, w->hdr.n_annotations + w->spool.n_annotations + 1, err);
        if (rc >= 0)
            rc = emgi_spool_rewind(&w->spool, err);
        emg_block blk;
        emg_block_init(&blk);
        while (rc >= 0 && (rc = emgi_spool_read(&w->spool, &blk, err)) > 0)
            rc = feed(w, &blk, err);
        emg_block_free(&blk);
    }
    if (rc >= 0)
        rc = flush_partial(w, err);
    if (rc >= 0 && w->records == 0)
        rc = emg_error_set(err, EMG_ERR_ARG, "%s: no samples: an EDF file needs one data record",
                           w->name);
    long long slots = (w->records > 0 ? w->records : 1) * w->annotation_signals;
    if (rc >= 0 && (long long)w->annotations > slots)
        rc = emg_error_set(err, EMG_ERR_OUTPUT,
                           "%s: %zu annotations do not fit in %lld data records x %d "
                           "annotation signals", w->name, w->annotations, w->records,
                           w->annotation_signals);
    if (w->handle >= 0) {
        int closed = edfclose_file(w->handle);
        w->handle = -1;
        if (rc >= 0 && closed < 0)
            rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: EDFlib: cannot finish the file",
                               w->name);
    }
    if (rc >= 0)
        rc = patch_limits(w, err);
    if (rc >= 0)
        rc = patch_end_onset(w, err);
    if (rc >= 0 && w->cut_annotations > 0)
        emgi_write_note(&w->opts, "%zu annotation text%s cut to %d bytes (EDFlib's limit)",
                        w->cut_annotations, w->cut_annotations == 1 ? "" : "s",
                        EDF_WRITE_ANNOTATION_LEN);
    return rc;
}

const emg_format_writer emgi_edf_writer = {
    "edf", 0, edf_writer_open, edf_writer_write, edf_writer_finish, edf_writer_destroy,
};
