/* io_wfdb.c: PhysioNet WFDB records, a text header (RECORD.hea) and binary
 * signal files.
 *
 * Reads storage formats 8, 16, 24, 32, 61, 80, 160, 212, 310 and 311, several
 * signals per file and several signal files per record, frame multiplicity
 * ("16x4": four samples per frame, so that signal runs at 4 x the frame
 * rate), byte offsets ("16+512"), gains with a baseline in parentheses and a
 * unit ("30262.96(3539)/mV"), ADC zero, initial value and checksum (validated
 * mod 65536 once the whole record has been read), the base time and date, and
 * the comment lines.  Samples that hold the format's "invalid" code (the most
 * negative value) become NaN, as in the WFDB library.  Signal files stream in
 * blocks of about a second of frames, so memory does not grow with length.
 *
 * Writes one RECORD.dat with all signals frame-interleaved (format 16 unless
 * asked for 8, 61, 80, 160, 212, 24, 32, 310 or 311) and RECORD.hea with
 * gain, baseline, unit, ADC resolution, initial value and checksum.  Channels
 * whose calibration fits the storage format are encoded as they arrive;
 * otherwise the samples are spooled to an unlinked temporary file until the
 * data range is known, and the gain is chosen to use the format's range.
 * Channels of different rates are written with frame multiplicity when the
 * rates share a common frame rate.
 *
 * References: G. B. Moody, "WFDB Programmer's Guide", header(5) and signal(5)
 * (https://physionet.org/physiotools/wag/); A. L. Goldberger et al.,
 * "PhysioBank, PhysioToolkit, and PhysioNet", Circulation 101(23), 2000. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_internal.h"

#define WFDB_PATH_MAX 4200
#define WFDB_DEFAULT_GAIN 200.0 /* adu per mV when the header gives none (header(5)) */
#define WFDB_DEFAULT_FS 250.0   /* frames per second when the header gives none */
#define WFDB_LINE_MAX 4096

/* ------------------------------------------------------------ formats */

/* Bits per stored sample, 0 for formats this module does not know. */
static int format_bits(int format)
{
    switch (format) {
    case 8: case 80: return 8;
    case 16: case 61: case 160: return 16;
    case 24: return 24;
    case 32: return 32;
    case 212: return 12;
    case 310: case 311: return 10;
    default: return 0;
    }
}

/* Samples decoded from one group of bytes, and that group's size. */
static void format_unit(int format, int *samples, int *bytes)
{
    switch (format) {
    case 212: *samples = 2; *bytes = 3; return;
    case 310: case 311: *samples = 3; *bytes = 4; return;
    default: *samples = 1; *bytes = format_bits(format) / 8; return;
    }
}

/* Samples a file of n bytes holds (after the byte offset). */
static int64_t samples_in_bytes(int format, int64_t n)
{
    int per_unit, unit_bytes;
    format_unit(format, &per_unit, &unit_bytes);
    int64_t whole = n / unit_bytes * per_unit, rest = n % unit_bytes;
    if (format == 212 || format == 310)
        return whole + (rest >= 2);
    if (format == 311)
        return whole + (rest >= 2) + (rest >= 3);
    return whole;
}

/* Bytes needed to store n samples. */
static int64_t bytes_for_samples(int format, int64_t n)
{
    int per_unit, unit_bytes;
    format_unit(format, &per_unit, &unit_bytes);
    int64_t whole = n / per_unit * unit_bytes, rest = n % per_unit;
    if (format == 212 || format == 310)
        return whole + (rest ? 2 * rest : 0);
    if (format == 311)
        return whole + (rest ? rest + 1 : 0);
    return whole;
}

/* The "invalid sample" code of a format (WFDB_INVALID_SAMPLE after conversion). */
static int has_invalid_code(int format) { return format != 8; }
static int32_t invalid_code(int format)
{
    int bits = format_bits(format);
    return bits >= 32 ? INT32_MIN : -(int32_t)(1L << (bits - 1));
}

static int32_t sign_extend(uint32_t v, int bits)
{
    uint32_t m = 1u << (bits - 1);
    v &= (bits >= 32) ? 0xffffffffu : ((1u << bits) - 1);
    return (int32_t)((v ^ m) - m);
}

/* Decode one group of bytes (format_unit) into up to 3 samples. */
static void decode_unit(int format, const unsigned char *b, int32_t *s)
{
    switch (format) {
    case 8: s[0] = (int8_t)b[0]; break;
    case 80: s[0] = (int32_t)b[0] - 128; break;
    case 16: s[0] = (int16_t)(uint16_t)(b[0] | b[1] << 8); break;
    case 61: s[0] = (int16_t)(uint16_t)(b[1] | b[0] << 8); break;
    case 160: s[0] = (int32_t)(b[0] | b[1] << 8) - 32768; break;
    case 24:
        s[0] = sign_extend((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16, 24);
        break;
    case 32:
        s[0] = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                         (uint32_t)b[3] << 24);
        break;
    case 212:
        s[0] = sign_extend((uint32_t)b[0] | (uint32_t)(b[1] & 0x0f) << 8, 12);
        s[1] = sign_extend((uint32_t)b[2] | (uint32_t)(b[1] & 0xf0) << 4, 12);
        break;
    case 310: /* 10-bit samples in bits 1-10 of two 16-bit words; the third in their top bits */
        s[0] = sign_extend((uint32_t)(b[0] >> 1) | (uint32_t)(b[1] & 0x07) << 7, 10);
        s[1] = sign_extend((uint32_t)(b[2] >> 1) | (uint32_t)(b[3] & 0x07) << 7, 10);
        s[2] = sign_extend((uint32_t)(b[1] >> 3) | (uint32_t)(b[3] >> 3) << 5, 10);
        break;
    case 311: { /* three 10-bit samples in one 32-bit little-endian word */
        uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24;
        s[0] = sign_extend(w, 10);
        s[1] = sign_extend(w >> 10, 10);
        s[2] = sign_extend(w >> 20, 10);
        break;
    }
    }
}

/* Encode up to 3 samples (format_unit) into bytes; returns the byte count
 * (fewer for a final partial group of n < samples-per-unit). */
static int encode_unit(int format, const int32_t *s, int n, unsigned char *b)
{
    uint32_t u0 = (uint32_t)s[0], u1 = n > 1 ? (uint32_t)s[1] : 0, u2 = n > 2 ? (uint32_t)s[2] : 0;
    switch (format) {
    case 8: b[0] = (unsigned char)(int8_t)s[0]; return 1;
    case 80: b[0] = (unsigned char)(s[0] + 128); return 1;
    case 16: b[0] = u0 & 0xff; b[1] = (u0 >> 8) & 0xff; return 2;
    case 61: b[1] = u0 & 0xff; b[0] = (u0 >> 8) & 0xff; return 2;
    case 160: u0 = (uint32_t)(s[0] + 32768); b[0] = u0 & 0xff; b[1] = (u0 >> 8) & 0xff; return 2;
    case 24: b[0] = u0 & 0xff; b[1] = (u0 >> 8) & 0xff; b[2] = (u0 >> 16) & 0xff; return 3;
    case 32:
        b[0] = u0 & 0xff; b[1] = (u0 >> 8) & 0xff; b[2] = (u0 >> 16) & 0xff; b[3] = u0 >> 24;
        return 4;
    case 212:
        b[0] = u0 & 0xff;
        b[1] = (unsigned char)(((u0 >> 8) & 0x0f) | ((u1 >> 4) & 0xf0));
        b[2] = u1 & 0xff;
        return n == 1 ? 2 : 3;
    case 310:
        b[0] = (unsigned char)((u0 << 1) & 0xfe);
        b[1] = (unsigned char)(((u0 >> 7) & 0x07) | ((u2 & 0x1f) << 3));
        b[2] = (unsigned char)((u1 << 1) & 0xfe);
        b[3] = (unsigned char)(((u1 >> 7) & 0x07) | (((u2 >> 5) & 0x1f) << 3));
        return n == 1 ? 2 : 4;
    case 311: {
        uint32_t w = (u0 & 0x3ff) | (u1 & 0x3ff) << 10 | (u2 & 0x3ff) << 20;
        b[0] = w & 0xff; b[1] = (w >> 8) & 0xff; b[2] = (w >> 16) & 0xff; b[3] = w >> 24;
        return n == 1 ? 2 : n == 2 ? 3 : 4;
    }
    }
    return 0;
}

/* "mv" -> "mV": PhysioNet headers are not consistent about case.  "NU" (no
 * unit, what this writer puts for an empty unit) reads back as "". */
static void canonical_unit(char *unit)
{
    if (emgi_str_ieq(unit, "NU")) {
        unit[0] = '\0';
        return;
    }
    static const char *const known[] = {"V", "mV", "uV", "nV", "A", "mA", "uA", "Hz"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (emgi_str_ieq(unit, known[i])) {
            strcpy(unit, known[i]);
            return;
        }
}

/* ------------------------------------------------------------ header parsing */

typedef struct wfdb_signal {
    char *file;        /* signal file name as the header writes it (owned) */
    int format;
    int spf;           /* samples per frame */
    int skew;
    long offset;       /* bytes before the first sample */
    double gain;       /* adu per physical unit */
    int gain_given;
    double baseline;   /* an integer in header(5); decimals are accepted */
    int baseline_given;
    char unit[EMG_UNIT_MAX];
    int adcres;
    long adczero;
    long initval;
    int initval_given;
    long checksum;
    int checksum_given;
    char description[EMG_NAME_MAX];
} wfdb_signal;

/* One signal file and the consecutive header signals stored in it. */
typedef struct wfdb_group {
    FILE *f;
    char path[WFDB_PATH_MAX];
    int format;
    size_t first, n;     /* signals [first, first + n) */
    size_t spf_total;    /* samples per frame over the group's signals */
    unsigned char *bytes;
    size_t bytes_cap;
    int32_t *raw;        /* one block of decoded samples, stream order */
    int32_t pending[3];  /* decoded but not yet consumed (212, 310, 311) */
    int n_pending;
    int64_t samples_read;
} wfdb_group;

typedef struct wfdb_reader {
    char hea_path[WFDB_PATH_MAX];
    size_t n_signals;
    wfdb_signal *sig;
    size_t n_groups;
    wfdb_group *groups;
    double frame_fs;
    int64_t n_frames;
    int n_frames_from_header;
    int64_t frames_done;
    size_t block_frames;
    int64_t *sum;        /* running checksums */
    int32_t *prev;       /* format 8: the previous sample of each signal */
} wfdb_reader;

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Split line into whitespace-separated tokens in place; returns the count.
 * rest[i] points at token i in the unmodified copy (for the description). */
static size_t tokenize(char *line, char **tok, size_t max, const char *orig, const char **rest)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        tok[n] = p;
        if (rest)
            rest[n] = orig + (p - line);
        n++;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static void strip_eol(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int is_comment_or_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return !*s || *s == '#';
}

/* Parse "FORMAT[xSPF][:SKEW][+OFFSET]". */
static int parse_format_spec(const char *spec, wfdb_signal *s)
{
    char *end;
    errno = 0;
    long format = strtol(spec, &end, 10);
    if (end == spec || errno)
        return -1;
    s->format = (int)format;
    s->spf = 1;
    if (*end == 'x') {
        long spf = strtol(end + 1, &end, 10);
        if (spf < 1 || spf > 1000000)
            return -1;
        s->spf = (int)spf;
    }
    if (*end == ':') {
        s->skew = (int)strtol(end + 1, &end, 10);
    }
    if (*end == '+') {
        long off = strtol(end + 1, &end, 10);
        if (off < 0)
            return -1;
        s->offset = off;
    }
    return *end ? -1 : 0;
}

/* Parse "GAIN[(BASELINE)][/UNIT]". */
static int parse_gain_spec(const char *spec, wfdb_signal *s)
{
    char *end;
    errno = 0;
    s->gain = strtod(spec, &end);
    if (end == spec || errno || !isfinite(s->gain))
        return -1;
    s->gain_given = 1;
    if (*end == '(') {
        const char *start = end + 1;
        double b = strtod(start, &end);
        if (end == start || *end != ')' || !isfinite(b))
            return -1;
        s->baseline = b;
        s->baseline_given = 1;
        end++;
    }
    if (*end == '/') {
        emgi_strlcpy(s->unit, end + 1, sizeof s->unit);
        end += strlen(end);
    }
    return *end ? -1 : 0;
}

static int default_adcres(int format)
{
    int bits = format_bits(format);
    return bits ? bits : 12;
}

/* Parse one signal specification line. */
static int parse_signal_line(const char *hea, int lineno, char *line, wfdb_signal *s,
                             emg_error *err)
{
    char copy[WFDB_LINE_MAX];
    emgi_strlcpy(copy, line, sizeof copy);
    char *tok[9];
    const char *rest[9];
    size_t n = tokenize(line, tok, 8, copy, rest);
    memset(s, 0, sizeof *s);
    strcpy(s->unit, "mV");
    if (n < 2)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s:%d: signal line needs a file name and a format", hea, lineno);
    if (!(s->file = emgi_xstrdup(tok[0], err)))
        return EMG_ERR_NOMEM;
    if (parse_format_spec(tok[1], s) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad format '%s'", hea, lineno, tok[1]);
    if (n > 2 && parse_gain_spec(tok[2], s) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad gain '%s'", hea, lineno, tok[2]);
    long v;
    if (n > 3) {
        if (parse_long(tok[3], &v) < 0 || v < 0 || v > 32)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad ADC resolution '%s'", hea,
                                 lineno, tok[3]);
        s->adcres = (int)v;
    }
    if (n > 4 && parse_long(tok[4], &s->adczero) < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad ADC zero '%s'", hea, lineno, tok[4]);
    if (n > 5) {
        if (parse_long(tok[5], &s->initval) < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad initial value '%s'", hea,
                                 lineno, tok[5]);
        s->initval_given = 1;
    }
    if (n > 6) {
        if (parse_long(tok[6], &s->checksum) < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad checksum '%s'", hea, lineno,
                                 tok[6]);
        s->checksum_given = 1;
    }
    if (n > 7) {
        if (parse_long(tok[7], &v) < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad block size '%s'", hea, lineno,
                                 tok[7]);
        /* The description is the rest of the line after the block size. */
        const char *d = rest[7] + strlen(tok[7]);
        while (*d && isspace((unsigned char)*d))
            d++;
        emgi_strlcpy(s->description, d, sizeof s->description);
    }
    if (!s->adcres)
        s->adcres = default_adcres(s->format);
    if (!s->initval_given)
        s->initval = s->adczero;
    if (!s->baseline_given)
        s->baseline = (double)s->adczero;
    canonical_unit(s->unit);
    return EMG_OK;
}

/* Base time "HH:MM:SS[.sss]" and date "DD/MM/YYYY" into ISO 8601. */
static void parse_base_time(const char *time, const char *date, emg_header *hdr, emg_error *err)
{
    int hh = 0, mm = 0, day, month, year;
    double ss = 0;
    int fields = sscanf(time, "%d:%d:%lf", &hh, &mm, &ss);
    if (fields == 2) { /* "MM:SS" */
        ss = mm;
        mm = hh;
        hh = 0;
    } else if (fields != 3) {
        emg_header_add_note(hdr, err, "base time '%s' not understood: start time unknown", time);
        return;
    }
    if (!date) {
        emg_header_add_note(hdr, err, "base time %s has no date: start time unknown", time);
        return;
    }
    if (sscanf(date, "%d/%d/%d", &day, &month, &year) != 3 || month < 1 || month > 12 ||
        day < 1 || day > 31) {
        emg_header_add_note(hdr, err, "base date '%s' not understood: start time unknown", date);
        return;
    }
    emg_time_format(hdr->start_time, year, month, day, hh, mm, ss);
}

/* Parse the record line "NAME[/SEGMENTS] NSIG [FS[/CF[(BASE)]] [NSAMP [TIME [DATE]]]]". */
static int parse_record_line(const char *hea, int lineno, char *line, wfdb_reader *r,
                             emg_header *hdr, emg_error *err)
{
    char *tok[7];
    size_t n = tokenize(line, tok, 6, NULL, NULL);
    if (n < 2)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: record line needs a name and a "
                             "signal count", hea, lineno);
    if (strchr(tok[0], '/'))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: multi-segment WFDB records are not supported", hea);
    long nsig;
    if (parse_long(tok[1], &nsig) < 0 || nsig < 0 || nsig > 100000)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad signal count '%s'", hea, lineno,
                             tok[1]);
    if (nsig == 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: the record has no signals", hea);
    r->n_signals = (size_t)nsig;
    r->frame_fs = WFDB_DEFAULT_FS;
    if (n > 2) {
        char *slash = strchr(tok[2], '/'); /* counter frequency: not needed */
        if (slash)
            *slash = '\0';
        if (parse_double(tok[2], &r->frame_fs) < 0 || !(r->frame_fs > 0))
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad sampling frequency '%s'", hea,
                                 lineno, tok[2]);
    } else {
        emg_header_add_note(hdr, err, "%s: no sampling frequency: WFDB default %g Hz", hea,
                            WFDB_DEFAULT_FS);
    }
    r->n_frames = -1;
    if (n > 3) {
        long long ns;
        char *end;
        errno = 0;
        ns = strtoll(tok[3], &end, 10);
        if (end == tok[3] || *end || errno || ns < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: bad sample count '%s'", hea,
                                 lineno, tok[3]);
        if (ns > 0) {
            r->n_frames = ns;
            r->n_frames_from_header = 1;
        }
    }
    if (n > 4)
        parse_base_time(tok[4], n > 5 ? tok[5] : NULL, hdr, err);
    return EMG_OK;
}

/* Comments: "# subject: ...", "# recording: ...", "# provenance: ..." and
 * "# annotation: ONSET DURATION CHANNEL TEXT" are what this writer puts there;
 * other comments (PhysioNet "<age>: 44 <sex>: M" lines, free text) go to the
 * subject or recording description. */
static int take_comment(const char *line, emg_header *hdr, emg_error *err)
{
    while (*line == '#' || isspace((unsigned char)*line))
        line++;
    if (!*line)
        return EMG_OK;
    if (!strncmp(line, "subject: ", 9)) {
        emgi_strlcpy(hdr->subject, line + 9, sizeof hdr->subject);
        return EMG_OK;
    }
    if (!strncmp(line, "recording: ", 11)) {
        emgi_strlcpy(hdr->recording, line + 11, sizeof hdr->recording);
        return EMG_OK;
    }
    if (!strncmp(line, "provenance: ", 12))
        return emg_header_add_provenance(hdr, line + 12, err);
    if (!strncmp(line, "annotation: ", 12)) {
        double onset, duration;
        int channel, used = 0;
        if (sscanf(line + 12, "%lf %lf %d %n", &onset, &duration, &channel, &used) == 3 && used)
            return emg_header_add_annotation(hdr, onset, duration, channel, line + 12 + used, err);
    }
    if ((strstr(line, "<age>") || strstr(line, "<sex>")) && !hdr->subject[0]) {
        emgi_strlcpy(hdr->subject, line, sizeof hdr->subject);
        return EMG_OK;
    }
    size_t len = strlen(hdr->recording);
    if (len + 3 < sizeof hdr->recording)
        snprintf(hdr->recording + len, sizeof hdr->recording - len, "%s%s", len ? " " : "", line);
    return EMG_OK;
}

/* ------------------------------------------------------------ reader */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int header_names_signal_file(const char *hea, const char *path);

/* The header file for path: path itself (.hea), path.hea (path is the record
 * name), or RECORD.hea beside RECORD.dat when that header names RECORD.dat as
 * a signal file.  The same path for all three spellings of a record. */
static int header_path(const char *path, char *out, size_t n)
{
    if (ends_with(path, ".hea")) {
        emgi_strlcpy(out, path, n);
        return 1;
    }
    snprintf(out, n, "%s.hea", path);
    if (file_exists(out))
        return 1;
    if (ends_with(path, ".dat")) {
        snprintf(out, n, "%.*s.hea", (int)(strlen(path) - 4), path);
        if (file_exists(out) && header_names_signal_file(out, path))
            return 1;
    }
    emgi_strlcpy(out, path, n);
    return 0;
}

/* True when a line looks like "NAME NSIG [FS ...]". */
static int looks_like_record_line(const char *line, size_t len)
{
    char buf[512];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *tok[8];
    size_t n = tokenize(buf, tok, 8, NULL, NULL);
    long v;
    double fs;
    if (n < 2 || n > 6 || parse_long(tok[1], &v) < 0 || v < 1)
        return 0;
    if (n > 2) {
        char *slash = strchr(tok[2], '/');
        if (slash)
            *slash = '\0';
        if (parse_double(tok[2], &fs) < 0)
            return 0;
    }
    return 1;
}

/* True when a line looks like "FILE FORMAT ..." with a known format. */
static int looks_like_signal_line(const char *line, size_t len)
{
    char buf[1024];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *tok[3];
    size_t n = tokenize(buf, tok, 2, NULL, NULL);
    wfdb_signal s;
    memset(&s, 0, sizeof s);
    return n == 2 && parse_format_spec(tok[1], &s) == 0 && format_bits(s.format);
}

static int wfdb_probe(const unsigned char *head, size_t len, const char *path)
{
    char hea[WFDB_PATH_MAX];
    if (path && strcmp(path, "-")) {
        if (ends_with(path, ".hea"))
            return 90;
        if (header_path(path, hea, sizeof hea))
            return 95;
    }
    /* Content: the first two non-comment lines are a record line and a signal line. */
    const char *p = (const char *)head, *end = p + len;
    int found = 0;
    while (p < end && found < 2) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return 0;
        size_t n = (size_t)(eol - p);
        if (memchr(p, '\0', n))
            return 0;
        if (!(n == 0 || *p == '#' || (n == 1 && *p == '\r'))) {
            if (found == 0 && !looks_like_record_line(p, n))
                return 0;
            if (found == 1 && !looks_like_signal_line(p, n))
                return 0;
            found++;
        }
        p = eol + 1;
    }
    return found == 2 ? 70 : 0;
}

static void reader_free(wfdb_reader *r)
{
    if (!r)
        return;
    for (size_t g = 0; g < r->n_groups; g++) {
        if (r->groups[g].f)
            fclose(r->groups[g].f);
        free(r->groups[g].bytes);
        free(r->groups[g].raw);
    }
    free(r->groups);
    for (size_t i = 0; r->sig && i < r->n_signals; i++)
        free(r->sig[i].file);
    free(r->sig);
    free(r->sum);
    free(r->prev);
    free(r);
}

/* Read the header file: record line, signal lines, comments. */
static int read_header_file(wfdb_reader *r, emg_header *hdr, emg_error *err)
{
    const char *hea = r->hea_path;
    FILE *f;
    int rc = emgi_open_regular(&f, hea, "WFDB header", err);
    if (rc < 0)
        return rc;
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    size_t signals_seen = 0;
    int record_seen = 0;
    while (rc >= 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        strip_eol(line);
        if (strlen(line) >= WFDB_LINE_MAX) {
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: line too long", hea, lineno);
            break;
        }
        if (is_comment_or_blank(line)) {
            rc = take_comment(line, hdr, err);
            continue;
        }
        if (!record_seen) {
            rc = parse_record_line(hea, lineno, line, r, hdr, err);
            if (rc >= 0) {
                record_seen = 1;
                r->sig = emgi_xcalloc(r->n_signals, sizeof *r->sig, err);
                if (!r->sig)
                    rc = EMG_ERR_NOMEM;
            }
        } else if (signals_seen < r->n_signals) {
            rc = parse_signal_line(hea, lineno, line, &r->sig[signals_seen], err);
            if (rc >= 0 && !format_bits(r->sig[signals_seen].format))
                rc = emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s:%d: WFDB format %d is not "
                                   "supported", hea, lineno, r->sig[signals_seen].format);
            signals_seen++;
        } else {
            /* Extra lines after the signals are "info" strings without '#'. */
            rc = take_comment(line, hdr, err);
        }
    }
    if (rc >= 0 && ferror(f))
        rc = emg_error_set(err, EMG_ERR_IO, "%s: read error", hea);
    free(line);
    fclose(f);
    if (rc < 0)
        return rc;
    if (!record_seen)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no record line", hea);
    if (signals_seen < r->n_signals)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: %zu signal lines, record line declares %zu",
                             hea, signals_seen, r->n_signals);
    return EMG_OK;
}

/* Parse the header at hea into a fresh reader: signals described, no file opened. */
static int parse_header_only(const char *hea, wfdb_reader **out, emg_error *err)
{
    wfdb_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(r->hea_path, hea, sizeof r->hea_path);
    emg_header scratch;
    emg_header_init(&scratch);
    int rc = read_header_file(r, &scratch, err);
    emg_header_free(&scratch);
    if (rc < 0) {
        reader_free(r);
        return rc;
    }
    *out = r;
    return EMG_OK;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* True when the header at hea names path as one of its signal files. */
static int header_names_signal_file(const char *hea, const char *path)
{
    wfdb_reader *r;
    if (parse_header_only(hea, &r, NULL) < 0)
        return 0;
    int found = 0;
    for (size_t i = 0; i < r->n_signals && !found; i++) {
        char signal_path[WFDB_PATH_MAX];
        emgi_sibling_path(hea, r->sig[i].file, signal_path, sizeof signal_path);
        found = same_file(signal_path, path);
    }
    reader_free(r);
    return found;
}

int emgi_wfdb_input_files(const char *path, emg_file_list *files, emg_error *err)
{
    char hea[WFDB_PATH_MAX];
    header_path(path, hea, sizeof hea);
    wfdb_reader *r;
    int rc = parse_header_only(hea, &r, err);
    if (rc < 0)
        return rc;
    rc = emgi_file_list_add(files, hea, err);
    for (size_t i = 0; i < r->n_signals && rc >= 0; i++) {
        if (!strcmp(r->sig[i].file, "-"))
            continue;
        char signal_path[WFDB_PATH_MAX];
        emgi_sibling_path(hea, r->sig[i].file, signal_path, sizeof signal_path);
        rc = emgi_file_list_add(files, signal_path, err);
    }
    reader_free(r);
    return rc;
}

void emgi_wfdb_data_path(const char *hea_path, char *out, size_t n)
{
    size_t len = strlen(hea_path);
    if (ends_with(hea_path, ".hea"))
        len -= 4;
    snprintf(out, n, "%.*s.dat", (int)len, hea_path);
}

/* A new group for signal i, which starts a signal file not seen before. */
static int start_group(wfdb_reader *r, size_t i, const emg_read_options *opts,
                       emg_name_set *files, size_t *cap, emg_error *err)
{
    const char *hea = r->hea_path;
    const wfdb_signal *s = &r->sig[i];
    if (emgi_name_set_contains(files, s->file))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: signals of %s are not "
                             "consecutive", hea, s->file);
    if (!strcmp(s->file, "-"))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: signal file '-' (standard "
                             "input) is not supported", hea);
    if (!(opts && opts->allow_outside_paths) && !emgi_path_stays_inside(s->file))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: signal file '%s' lies outside the "
                             "record's folder (refused)", hea, s->file);
    int rc = emgi_name_set_add(files, s->file, err);
    if (rc >= 0)
        rc = emgi_grow((void **)&r->groups, cap, r->n_groups + 1, sizeof *r->groups, err);
    if (rc < 0)
        return rc;
    wfdb_group *g = &r->groups[r->n_groups++];
    memset(g, 0, sizeof *g);
    g->first = i;
    g->n = 1;
    g->format = s->format;
    g->spf_total = (size_t)s->spf;
    emgi_sibling_path(hea, s->file, g->path, sizeof g->path);
    return EMG_OK;
}

/* Group consecutive signals that share a file. */
static int group_signals(wfdb_reader *r, const emg_read_options *opts, emg_error *err)
{
    emg_name_set files;
    emgi_name_set_init(&files);
    size_t cap = 0;
    int rc = EMG_OK;
    for (size_t i = 0; i < r->n_signals && rc >= 0; i++) {
        wfdb_signal *s = &r->sig[i];
        wfdb_group *g = r->n_groups ? &r->groups[r->n_groups - 1] : NULL;
        if (!g || strcmp(r->sig[g->first].file, s->file)) {
            rc = start_group(r, i, opts, &files, &cap, err);
        } else if (s->format != g->format) {
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: signals %zu and %zu share %s but not "
                               "a format", r->hea_path, g->first + 1, i + 1, s->file);
        } else {
            g->n++;
            g->spf_total += (size_t)s->spf;
        }
    }
    emgi_name_set_free(&files);
    return rc;
}

/* Group the signals, open each signal file and check its size. */
static int open_groups(wfdb_reader *r, const emg_read_options *opts, emg_header *hdr,
                       emg_error *err)
{
    const char *hea = r->hea_path;
    int rc = group_signals(r, opts, err);
    if (rc < 0)
        return rc;
    int64_t frames_available = -1;
    for (size_t k = 0; k < r->n_groups; k++) {
        wfdb_group *g = &r->groups[k];
        long offset = r->sig[g->first].offset;
        char what[WFDB_PATH_MAX + 20];
        snprintf(what, sizeof what, "signal file of %s", hea);
        int rc = emgi_open_regular(&g->f, g->path, what, err);
        if (rc < 0)
            return rc;
        struct stat st;
        if (fstat(fileno(g->f), &st) != 0)
            return emg_error_set(err, EMG_ERR_IO, "%s: %s", g->path, strerror(errno));
        int64_t bytes = (int64_t)st.st_size - offset;
        int64_t frames = bytes > 0 ? samples_in_bytes(g->format, bytes) / (int64_t)g->spf_total : 0;
        if (r->n_frames >= 0 && frames < r->n_frames)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: holds %lld samples per signal, "
                                 "%s declares %lld (file truncated?)", g->path,
                                 (long long)frames, hea, (long long)r->n_frames);
        if (frames_available < 0 || frames < frames_available)
            frames_available = frames;
        if (offset && fseek(g->f, offset, SEEK_SET) != 0)
            return emg_error_set(err, EMG_ERR_IO, "%s: cannot seek to byte %ld", g->path, offset);
    }
    if (r->n_frames < 0) {
        r->n_frames = frames_available;
        emg_header_add_note(hdr, err, "%s: no sample count in the header: %lld frames taken "
                            "from the signal file size", hea, (long long)frames_available);
    }
    return EMG_OK;
}

/* Channel i of the header; its name made unique among names with "#2", "#3". */
static int fill_channel(wfdb_reader *r, size_t i, emg_name_set *names, emg_header *hdr,
                        emg_error *err)
{
    wfdb_signal *s = &r->sig[i];
    emg_channel ch;
    emg_channel_init(&ch);
    if (s->description[0])
        emgi_strlcpy(ch.name, s->description, sizeof ch.name);
    else
        snprintf(ch.name, sizeof ch.name, "sig%zu", i + 1);
    int *suffix = emgi_name_set_suffix(names, ch.name);
    if (suffix) {
        int k = *suffix;
        do
            snprintf(ch.name, sizeof ch.name, "%.50s#%d", s->description, k++);
        while (emgi_name_set_contains(names, ch.name));
        *suffix = k;
    }
    int rc = emgi_name_set_add(names, ch.name, err);
    if (rc < 0)
        return rc;
    emgi_strlcpy(ch.unit, s->unit, sizeof ch.unit);
    ch.fs = r->frame_fs * s->spf;
    ch.n_samples = r->n_frames * s->spf;
    if (!s->gain_given || s->gain == 0) {
        emg_header_add_note(hdr, err, "%s: signal %zu (%s) has no gain: WFDB default %g "
                            "adu/%s", r->hea_path, i + 1, ch.name, WFDB_DEFAULT_GAIN, ch.unit);
        s->gain = WFDB_DEFAULT_GAIN;
    }
    ch.gain = s->gain;
    ch.baseline = (double)s->baseline;
    int bits = s->adcres > 0 && s->adcres <= 32 ? s->adcres : format_bits(s->format);
    int64_t half = (int64_t)1 << (bits - 1);
    int64_t lo = s->adczero - half, hi = s->adczero + half - 1;
    ch.digital_min = (int32_t)(lo < INT32_MIN ? INT32_MIN : lo);
    ch.digital_max = (int32_t)(hi > INT32_MAX ? INT32_MAX : hi);
    if (s->skew)
        emg_header_add_note(hdr, err, "%s: signal %zu skew of %d frames ignored", r->hea_path,
                            i + 1, s->skew);
    rc = emg_header_add_channel(hdr, &ch, err);
    return rc < 0 ? rc : EMG_OK;
}

/* Channel descriptions for the header. */
static int fill_channels(wfdb_reader *r, emg_header *hdr, emg_error *err)
{
    emg_name_set names;
    emgi_name_set_init(&names);
    int rc = EMG_OK;
    for (size_t i = 0; i < r->n_signals && rc >= 0; i++)
        rc = fill_channel(r, i, &names, hdr, err);
    emgi_name_set_free(&names);
    return rc;
}

static int wfdb_open(void **state, const char *path, const emg_read_options *opts,
                     emg_header *hdr, emg_format *detected, emg_error *err)
{
    wfdb_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    header_path(path, r->hea_path, sizeof r->hea_path); /* else path itself is the header */
    int rc = read_header_file(r, hdr, err);
    if (rc >= 0)
        rc = open_groups(r, opts, hdr, err);
    if (rc >= 0)
        rc = fill_channels(r, hdr, err);
    if (rc >= 0) {
        r->sum = emgi_xcalloc(r->n_signals, sizeof *r->sum, err);
        r->prev = emgi_xcalloc(r->n_signals, sizeof *r->prev, err);
        if (!r->sum || !r->prev)
            rc = EMG_ERR_NOMEM;
    }
    if (rc >= 0) {
        for (size_t i = 0; i < r->n_signals; i++)
            r->prev[i] = (int32_t)r->sig[i].initval;
        double seconds =
            opts && opts->block_seconds_hint_ms ? opts->block_seconds_hint_ms / 1e3 : 1.0;
        double frames = ceil(r->frame_fs * seconds);
        size_t spf_all = 0;
        for (size_t k = 0; k < r->n_groups; k++)
            spf_all += r->groups[k].spf_total;
        double cap = (double)(1 << 20) / (double)spf_all; /* at most ~1 M samples per block */
        r->block_frames = (size_t)(frames < 1 ? 1 : frames > cap ? (cap < 1 ? 1 : cap) : frames);
        for (size_t k = 0; k < r->n_groups && rc >= 0; k++) {
            wfdb_group *g = &r->groups[k];
            g->raw = emgi_xcalloc(r->block_frames * g->spf_total, sizeof *g->raw, err);
            int per_unit, unit_bytes;
            format_unit(g->format, &per_unit, &unit_bytes);
            g->bytes_cap = (size_t)bytes_for_samples(g->format,
                                                     (int64_t)(r->block_frames * g->spf_total)) + 8;
            g->bytes = emgi_xcalloc(g->bytes_cap, 1, err);
            if (!g->raw || !g->bytes)
                rc = EMG_ERR_NOMEM;
        }
    }
    if (rc < 0) {
        reader_free(r);
        return rc;
    }
    if (detected)
        *detected = EMG_FORMAT_WFDB;
    *state = r;
    return EMG_OK;
}

/* Decode the next n samples of a group into g->raw; fails on a short file. */
static int decode_group(wfdb_group *g, size_t n, emg_error *err)
{
    int per_unit, unit_bytes;
    format_unit(g->format, &per_unit, &unit_bytes);
    size_t have = 0;
    while (have < n && g->n_pending) { /* leftovers of the previous block's last group */
        g->raw[have++] = g->pending[0];
        memmove(g->pending, g->pending + 1, sizeof g->pending[0] * 2);
        g->n_pending--;
    }
    size_t need = n - have;
    size_t units = (need + (size_t)per_unit - 1) / (size_t)per_unit;
    size_t want = units * (size_t)unit_bytes;
    if (want > g->bytes_cap)
        want = g->bytes_cap / (size_t)unit_bytes * (size_t)unit_bytes;
    size_t got = fread(g->bytes, 1, want, g->f);
    if (ferror(g->f))
        return emg_error_set(err, EMG_ERR_IO, "%s: read error: %s", g->path, strerror(errno));
    if (got < want) /* a final partial group (odd 212 count) still decodes its samples */
        memset(g->bytes + got, 0, want - got);
    size_t avail = (size_t)samples_in_bytes(g->format, (int64_t)got);
    if (avail < need)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: ends after %lld samples, %lld expected "
                             "(file truncated?)", g->path,
                             (long long)(g->samples_read + (int64_t)have + (int64_t)avail),
                             (long long)(g->samples_read + (int64_t)n));
    int32_t s[3];
    for (size_t u = 0; u < units; u++) {
        decode_unit(g->format, g->bytes + u * (size_t)unit_bytes, s);
        for (int k = 0; k < per_unit; k++) {
            if (have < n)
                g->raw[have++] = s[k];
            else if (u * (size_t)per_unit + (size_t)k < avail)
                g->pending[g->n_pending++] = s[k];
        }
    }
    g->samples_read += (int64_t)n;
    return EMG_OK;
}

static int verify_checksums(wfdb_reader *r, emg_error *err)
{
    for (size_t i = 0; i < r->n_signals; i++) {
        const wfdb_signal *s = &r->sig[i];
        if (!s->checksum_given)
            continue;
        /* 16-bit sums: some writers store them signed, others (GRABMyo) unsigned. */
        uint16_t want = (uint16_t)(s->checksum & 0xffff), got = (uint16_t)(r->sum[i] & 0xffff);
        const wfdb_group *g = r->groups;
        while (i >= g->first + g->n)
            g++;
        if (want != got)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: signal %zu (%s) checksum is %d, "
                                 "%s says %ld (corrupt signal file?)", g->path, i + 1,
                                 s->description, (int16_t)got, r->hea_path, s->checksum);
    }
    return EMG_OK;
}

static int wfdb_read(void *state, emg_block *blk, emg_error *err)
{
    wfdb_reader *r = state;
    if (r->frames_done >= r->n_frames)
        return r->n_frames_from_header ? verify_checksums(r, err) : 0;
    int64_t left = r->n_frames - r->frames_done;
    size_t frames = left < (int64_t)r->block_frames ? (size_t)left : r->block_frames;
    size_t max_spf = 1;
    for (size_t i = 0; i < r->n_signals; i++)
        if ((size_t)r->sig[i].spf > max_spf)
            max_spf = (size_t)r->sig[i].spf;
    int rc = emg_block_reserve(blk, r->n_signals, frames * max_spf, err);
    if (rc < 0)
        return rc;
    emg_block_clear(blk);
    for (size_t k = 0; k < r->n_groups; k++) {
        wfdb_group *g = &r->groups[k];
        if ((rc = decode_group(g, frames * g->spf_total, err)) < 0)
            return rc;
        const int32_t *raw = g->raw;
        int32_t invalid = invalid_code(g->format);
        int check_invalid = has_invalid_code(g->format);
        for (size_t f = 0; f < frames; f++) {
            for (size_t i = g->first; i < g->first + g->n; i++) {
                const wfdb_signal *s = &r->sig[i];
                double *out = blk->data[i] + blk->count[i];
                for (int j = 0; j < s->spf; j++) {
                    int32_t v = *raw++;
                    if (g->format == 8) /* first differences */
                        v = r->prev[i] = (int32_t)(r->prev[i] + v);
                    r->sum[i] += v;
                    out[j] = check_invalid && v == invalid ? NAN
                                                           : ((double)v - s->baseline) / s->gain;
                }
                blk->count[i] += (size_t)s->spf;
            }
        }
    }
    r->frames_done += (int64_t)frames;
    return 1;
}

static void wfdb_close(void *state) { reader_free(state); }

const emg_format_reader emgi_wfdb_reader = {"wfdb", wfdb_probe, wfdb_open, wfdb_read, wfdb_close};

/* ------------------------------------------------------------ writer */

typedef struct wfdb_writer {
    char hea_tmp[WFDB_PATH_MAX];
    char dat_tmp[WFDB_PATH_MAX];
    char dat_name[1040];  /* as written in the header (same directory) */
    char record[1024];
    char hea_path[WFDB_PATH_MAX], dat_path[WFDB_PATH_MAX]; /* the user's names, for messages */
    FILE *hea;
    FILE *dat;
    FILE *spool;          /* raw doubles in stream order, when a gain must come from the data */
    int format;
    emg_header hdr;
    size_t nsig;
    double frame_fs;
    int *spf;
    size_t spf_total;
    size_t *slot_signal;  /* position within a frame -> signal */
    int *calibrated;      /* signal's own calibration fits the format: encode directly */
    double *gain;
    long *baseline;
    double *pmin, *pmax;  /* data range of uncalibrated signals */
    double **pending;     /* per-signal samples not yet in a whole frame */
    size_t *n_pending, *cap_pending;
    int64_t frames;
    int64_t *sum;
    int32_t *initval;
    int32_t *prev;        /* format 8 */
    char *init_set;
    int32_t unit_buf[3];  /* samples waiting for a whole 212/310/311 group */
    int unit_n;
    unsigned char *out;   /* encoded bytes waiting for fwrite */
    size_t out_len, out_cap;
    double *frame_buf;    /* one chunk of frames in stream order */
    size_t frame_cap;
} wfdb_writer;

/* Valid digital range of a format (its most negative code means "invalid"). */
static void format_range(int format, int32_t *lo, int32_t *hi)
{
    int bits = format_bits(format);
    if (bits >= 32) {
        *lo = INT32_MIN + 1;
        *hi = INT32_MAX;
    } else {
        *hi = (int32_t)((1L << (bits - 1)) - 1);
        *lo = -*hi;
    }
}

static int writer_flush_bytes(wfdb_writer *s, emg_error *err)
{
    if (s->out_len && fwrite(s->out, 1, s->out_len, s->dat) != s->out_len)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->dat_path,
                             strerror(errno));
    s->out_len = 0;
    return EMG_OK;
}

/* Append one digital sample of signal i to the byte stream. */
static int writer_put(wfdb_writer *s, size_t i, int32_t v, emg_error *err)
{
    if (!s->init_set[i]) {
        s->init_set[i] = 1;
        s->initval[i] = s->prev[i] = v; /* format 8: the first difference is from initval */
    }
    if (s->format == 8) {
        int32_t d = v - s->prev[i];
        d = d < -128 ? -128 : d > 127 ? 127 : d; /* slew-limited, as WFDB's own writer */
        s->prev[i] += d;
        s->sum[i] += s->prev[i];
        v = d;
    } else {
        s->sum[i] += v;
    }
    int per_unit, unit_bytes;
    format_unit(s->format, &per_unit, &unit_bytes);
    s->unit_buf[s->unit_n++] = v;
    if (s->unit_n == per_unit) {
        if (s->out_len + 4 > s->out_cap) {
            int rc = writer_flush_bytes(s, err);
            if (rc < 0)
                return rc;
        }
        s->out_len += (size_t)encode_unit(s->format, s->unit_buf, per_unit, s->out + s->out_len);
        s->unit_n = 0;
    }
    return EMG_OK;
}

static int32_t to_digital(const wfdb_writer *s, size_t i, double x)
{
    int32_t lo, hi;
    format_range(s->format, &lo, &hi);
    if (isnan(x))
        return has_invalid_code(s->format) ? invalid_code(s->format) : 0;
    double d = nearbyint(x * s->gain[i] + (double)s->baseline[i]);
    return d < lo ? lo : d > hi ? hi : (int32_t)d;
}

/* Write (or spool) whole frames from the pending per-signal queues. */
static int writer_emit_frames(wfdb_writer *s, int final, emg_error *err)
{
    size_t n = SIZE_MAX;
    for (size_t i = 0; i < s->nsig; i++) {
        size_t f = s->n_pending[i] / (size_t)s->spf[i];
        if (final && s->n_pending[i] % (size_t)s->spf[i])
            f++;
        if (f < n)
            n = f;
    }
    if (n == 0 || n == SIZE_MAX)
        return EMG_OK;
    size_t len = n * s->spf_total;
    if (len > s->frame_cap) {
        double *grown = emgi_xrealloc(s->frame_buf, len, sizeof *grown, err);
        if (!grown)
            return EMG_ERR_NOMEM;
        s->frame_buf = grown;
        s->frame_cap = len;
    }
    size_t pos = 0;
    for (size_t f = 0; f < n; f++)
        for (size_t i = 0; i < s->nsig; i++)
            for (int j = 0; j < s->spf[i]; j++) {
                size_t k = f * (size_t)s->spf[i] + (size_t)j;
                /* A partial last frame repeats the signal's last sample. */
                size_t have = s->n_pending[i];
                s->frame_buf[pos++] = k < have  ? s->pending[i][k]
                                      : have    ? s->pending[i][have - 1]
                                                : 0;
            }
    for (size_t i = 0; i < s->nsig; i++) {
        size_t used = n * (size_t)s->spf[i];
        if (used > s->n_pending[i])
            used = s->n_pending[i];
        memmove(s->pending[i], s->pending[i] + used, (s->n_pending[i] - used) * sizeof(double));
        s->n_pending[i] -= used;
    }
    if (s->spool) {
        if (fwrite(s->frame_buf, sizeof(double), len, s->spool) != len)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot write the temporary spool "
                                 "file: %s", s->dat_path, strerror(errno));
        for (size_t k = 0; k < len; k++) {
            size_t i = s->slot_signal[k % s->spf_total];
            double x = s->frame_buf[k];
            if (isfinite(x)) {
                if (x < s->pmin[i]) s->pmin[i] = x;
                if (x > s->pmax[i]) s->pmax[i] = x;
            }
        }
    } else {
        for (size_t k = 0; k < len; k++) {
            size_t i = s->slot_signal[k % s->spf_total];
            int rc = writer_put(s, i, to_digital(s, i, s->frame_buf[k]), err);
            if (rc < 0)
                return rc;
            if (k % s->spf_total == s->spf_total - 1)
                s->frames++;
        }
    }
    if (s->spool)
        s->frames += (int64_t)n;
    return EMG_OK;
}

static int wfdb_write(void *state, const emg_block *blk, emg_error *err)
{
    wfdb_writer *s = state;
    if (blk->n_channels != s->nsig)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, header %zu",
                             s->dat_path, blk->n_channels, s->nsig);
    for (size_t i = 0; i < s->nsig; i++) {
        size_t need = s->n_pending[i] + blk->count[i];
        if (need > s->cap_pending[i]) {
            double *grown = emgi_xrealloc(s->pending[i], need, sizeof *grown, err);
            if (!grown)
                return EMG_ERR_NOMEM;
            s->pending[i] = grown;
            s->cap_pending[i] = need;
        }
        if (blk->count[i])
            memcpy(s->pending[i] + s->n_pending[i], blk->data[i], blk->count[i] * sizeof(double));
        s->n_pending[i] += blk->count[i];
    }
    return writer_emit_frames(s, 0, err);
}

/* Gain and baseline that map [pmin, pmax] onto the format's range, one code to spare
 * at each end for rounding the (integer) baseline. */
static void gain_from_range(int format, double pmin, double pmax, double *gain, long *baseline)
{
    int32_t lo, hi;
    format_range(format, &lo, &hi);
    if (!(pmin <= pmax)) { /* no finite sample */
        pmin = -1;
        pmax = 1;
    }
    if (pmin == pmax) { /* a constant: keep zero in range so the value is exact-ish */
        if (pmin > 0) pmin = 0;
        else if (pmax < 0) pmax = 0;
        else { pmin = -1; pmax = 1; }
    }
    double span = (double)hi - (double)lo - 2.0;
    *gain = span / (pmax - pmin);
    double mid_digital = ((double)hi + (double)lo) / 2.0, mid = (pmax + pmin) / 2.0;
    *baseline = lround(mid_digital - mid * *gain);
}

static int writer_drain_spool(wfdb_writer *s, emg_error *err)
{
    for (size_t i = 0; i < s->nsig; i++)
        if (!s->calibrated[i])
            gain_from_range(s->format, s->pmin[i], s->pmax[i], &s->gain[i], &s->baseline[i]);
    if (fflush(s->spool) != 0 || fseek(s->spool, 0, SEEK_SET) != 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot reread the temporary spool file",
                             s->dat_path);
    int64_t frames = s->frames;
    s->frames = 0;
    size_t chunk = s->frame_cap ? s->frame_cap : s->spf_total;
    if (chunk < s->spf_total) chunk = s->spf_total;
    if (chunk > s->frame_cap) {
        double *grown = emgi_xrealloc(s->frame_buf, chunk, sizeof *grown, err);
        if (!grown)
            return EMG_ERR_NOMEM;
        s->frame_buf = grown;
        s->frame_cap = chunk;
    }
    int64_t total = frames * (int64_t)s->spf_total, done = 0;
    while (done < total) {
        size_t want = (size_t)(total - done < (int64_t)chunk ? total - done : (int64_t)chunk);
        if (fread(s->frame_buf, sizeof(double), want, s->spool) != want)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: short read from the temporary spool "
                                 "file", s->dat_path);
        for (size_t k = 0; k < want; k++) {
            size_t slot = (size_t)((done + (int64_t)k) % (int64_t)s->spf_total);
            size_t i = s->slot_signal[slot];
            int rc = writer_put(s, i, to_digital(s, i, s->frame_buf[k]), err);
            if (rc < 0)
                return rc;
            if (slot == s->spf_total - 1)
                s->frames++;
        }
        done += (int64_t)want;
    }
    return EMG_OK;
}

/* Shortest "%g" that reads back as the same double. */
static void format_number(char *out, size_t n, double v)
{
    for (int digits = 12; digits <= 17; digits++) {
        snprintf(out, n, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* A header token cannot hold spaces. */
static void header_token(char *dst, size_t n, const char *src, const char *fallback)
{
    emgi_strlcpy(dst, src && *src ? src : fallback, n);
    for (char *p = dst; *p; p++)
        if (isspace((unsigned char)*p) || *p == '(' || *p == ')')
            *p = '_';
}

static void write_comment(FILE *f, const char *key, const char *text)
{
    fprintf(f, "# %s: ", key);
    for (const char *p = text; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
}

static int writer_write_header(wfdb_writer *s, emg_error *err)
{
    FILE *f = s->hea;
    char fs[40];
    format_number(fs, sizeof fs, s->frame_fs);
    fprintf(f, "%s %zu %s %lld", s->record, s->nsig, fs, (long long)s->frames);
    int year, month, day, hour, minute;
    double second;
    if (s->hdr.start_time[0] &&
        emg_time_parse(s->hdr.start_time, &year, &month, &day, &hour, &minute, &second) == 0) {
        if (second == floor(second))
            fprintf(f, " %02d:%02d:%02d", hour, minute, (int)second);
        else
            fprintf(f, " %02d:%02d:%06.3f", hour, minute, second);
        fprintf(f, " %02d/%02d/%04d", day, month, year);
    }
    fputc('\n', f);
    int bits = format_bits(s->format);
    for (size_t i = 0; i < s->nsig; i++) {
        const emg_channel *ch = &s->hdr.channels[i];
        char gain[40], unit[EMG_UNIT_MAX];
        format_number(gain, sizeof gain, s->gain[i]);
        header_token(unit, sizeof unit, ch->unit, "NU");
        char spec[32];
        if (s->spf[i] > 1)
            snprintf(spec, sizeof spec, "%dx%d", s->format, s->spf[i]);
        else
            snprintf(spec, sizeof spec, "%d", s->format);
        fprintf(f, "%s %s %s(%ld)/%s %d 0 %ld %d 0", s->dat_name, spec, gain, s->baseline[i],
                unit, bits, (long)s->initval[i], (int)(int16_t)(uint16_t)(s->sum[i] & 0xffff));
        if (ch->name[0]) {
            fputc(' ', f);
            for (const char *p = ch->name; *p; p++)
                fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
        }
        fputc('\n', f);
    }
    if (s->hdr.subject[0])
        write_comment(f, "subject", s->hdr.subject);
    if (s->hdr.recording[0])
        write_comment(f, "recording", s->hdr.recording);
    for (size_t k = 0; k < s->hdr.n_provenance; k++)
        write_comment(f, "provenance", s->hdr.provenance[k]);
    for (size_t k = 0; k < s->hdr.n_annotations; k++) {
        const emg_annotation *a = &s->hdr.annotations[k];
        char text[512];
        snprintf(text, sizeof text, "%.17g %.17g %d %s", a->onset, a->duration, a->channel,
                 a->text ? a->text : "");
        write_comment(f, "annotation", text);
    }
    if (ferror(f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error", s->hea_path);
    return EMG_OK;
}

static int wfdb_finish(void *state, emg_error *err)
{
    wfdb_writer *s = state;
    int rc = writer_emit_frames(s, 1, err);
    if (rc >= 0 && s->spool)
        rc = writer_drain_spool(s, err);
    if (rc >= 0 && s->unit_n) { /* last partial 212/310/311 group */
        int per_unit, unit_bytes;
        format_unit(s->format, &per_unit, &unit_bytes);
        if (s->out_len + 4 > s->out_cap)
            rc = writer_flush_bytes(s, err);
        if (rc >= 0)
            s->out_len +=
                (size_t)encode_unit(s->format, s->unit_buf, s->unit_n, s->out + s->out_len);
        s->unit_n = 0;
    }
    if (rc >= 0)
        rc = writer_flush_bytes(s, err);
    if (rc >= 0 && fclose(s->dat) != 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->dat_path,
                           strerror(errno));
    s->dat = NULL;
    if (rc >= 0)
        rc = writer_write_header(s, err);
    if (rc >= 0 && fclose(s->hea) != 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->hea_path,
                           strerror(errno));
    s->hea = NULL;
    return rc;
}

static void wfdb_destroy(void *state)
{
    wfdb_writer *s = state;
    if (!s)
        return;
    if (s->hea) fclose(s->hea);
    if (s->dat) fclose(s->dat);
    if (s->spool) fclose(s->spool);
    if (s->pending)
        for (size_t i = 0; i < s->nsig; i++)
            free(s->pending[i]);
    free(s->pending);
    free(s->n_pending);
    free(s->cap_pending);
    free(s->spf);
    free(s->slot_signal);
    free(s->calibrated);
    free(s->gain);
    free(s->baseline);
    free(s->pmin);
    free(s->pmax);
    free(s->sum);
    free(s->initval);
    free(s->prev);
    free(s->init_set);
    free(s->out);
    free(s->frame_buf);
    emg_header_free(&s->hdr);
    free(s);
}

/* A frame rate every channel's rate is a whole multiple of: the greatest common
 * divisor of integer rates, else the lowest rate if it divides the others. */
static int choose_frame_rate(const emg_header *h, double *frame_fs, int *spf)
{
    int integral = 1;
    double lowest = h->channels[0].fs;
    for (size_t i = 0; i < h->n_channels; i++) {
        double fs = h->channels[i].fs;
        if (fs != floor(fs) || fs > 1e9)
            integral = 0;
        if (fs < lowest)
            lowest = fs;
    }
    double base = lowest;
    if (integral) {
        long long g = (long long)h->channels[0].fs;
        for (size_t i = 1; i < h->n_channels; i++) {
            long long a = (long long)h->channels[i].fs, b = g;
            while (b) { long long t = a % b; a = b; b = t; }
            g = a;
        }
        base = (double)g;
    }
    for (size_t i = 0; i < h->n_channels; i++) {
        double ratio = h->channels[i].fs / base;
        if (fabs(ratio - nearbyint(ratio)) > 1e-9 * ratio || ratio > 100000)
            return -1;
        spf[i] = (int)nearbyint(ratio);
    }
    *frame_fs = base;
    return 0;
}

static int wfdb_writer_open(void **state, struct emg_writer *w, const char *tmp_path,
                            const char *final_path, emg_format format, const emg_header *hdr,
                            const emg_write_options *opts, emg_error *err)
{
    if (!strcmp(final_path, "-") || !strcmp(tmp_path, "-"))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "WFDB output is two files (RECORD.hea "
                             "and RECORD.dat) and cannot go to standard output");
    if (!ends_with(final_path, ".hea"))
        return emg_error_set(err, EMG_ERR_ARG, "%s: WFDB output must be named RECORD.hea",
                             final_path);
    int fmt = opts && opts->wfdb_format ? opts->wfdb_format : 16;
    if (!format_bits(fmt))
        return emg_error_set(err, EMG_ERR_ARG, "%s: WFDB format %d is not supported (16, 212, "
                             "80, 24, 32, 8, 61, 160, 310, 311)", final_path, fmt);
    const char *base = emgi_basename(final_path);
    size_t rec_len = strlen(base) - 4;
    if (rec_len == 0 || rec_len >= 1000)
        return emg_error_set(err, EMG_ERR_ARG, "%s: bad WFDB record name", final_path);
    for (size_t k = 0; k < rec_len; k++)
        if (isspace((unsigned char)base[k]) || base[k] == '/')
            return emg_error_set(err, EMG_ERR_ARG, "%s: a WFDB record name cannot contain "
                                 "spaces", final_path);
    wfdb_writer *s = emgi_xcalloc(1, sizeof *s, err);
    if (!s)
        return EMG_ERR_NOMEM;
    emg_header_init(&s->hdr);
    int rc = emg_header_copy(&s->hdr, hdr, err);
    *state = s; /* destroy() releases whatever is set up below */
    if (rc < 0)
        return rc;
    s->format = fmt;
    s->nsig = hdr->n_channels;
    snprintf(s->record, sizeof s->record, "%.*s", (int)rec_len, base);
    snprintf(s->dat_name, sizeof s->dat_name, "%s.dat", s->record);
    size_t n = s->nsig;
    s->spf = emgi_xcalloc(n, sizeof *s->spf, err);
    s->calibrated = emgi_xcalloc(n, sizeof *s->calibrated, err);
    s->gain = emgi_xcalloc(n, sizeof *s->gain, err);
    s->baseline = emgi_xcalloc(n, sizeof *s->baseline, err);
    s->pmin = emgi_xcalloc(n, sizeof *s->pmin, err);
    s->pmax = emgi_xcalloc(n, sizeof *s->pmax, err);
    s->pending = emgi_xcalloc(n, sizeof *s->pending, err);
    s->n_pending = emgi_xcalloc(n, sizeof *s->n_pending, err);
    s->cap_pending = emgi_xcalloc(n, sizeof *s->cap_pending, err);
    s->sum = emgi_xcalloc(n, sizeof *s->sum, err);
    s->initval = emgi_xcalloc(n, sizeof *s->initval, err);
    s->prev = emgi_xcalloc(n, sizeof *s->prev, err);
    s->init_set = emgi_xcalloc(n, 1, err);
    s->out_cap = 65536;
    s->out = emgi_xcalloc(s->out_cap, 1, err);
    if (!s->spf || !s->calibrated || !s->gain || !s->baseline || !s->pmin || !s->pmax ||
        !s->pending || !s->n_pending || !s->cap_pending || !s->sum || !s->initval || !s->prev ||
        !s->init_set || !s->out)
        return EMG_ERR_NOMEM;
    if (choose_frame_rate(hdr, &s->frame_fs, s->spf) < 0)
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: the channels' sampling rates have "
                             "no common frame rate for WFDB; select channels of one rate with -c",
                             final_path);
    for (size_t i = 0; i < n; i++)
        s->spf_total += (size_t)s->spf[i];
    s->slot_signal = emgi_xcalloc(s->spf_total, sizeof *s->slot_signal, err);
    if (!s->slot_signal)
        return EMG_ERR_NOMEM;
    for (size_t i = 0, k = 0; i < n; i++)
        for (int j = 0; j < s->spf[i]; j++)
            s->slot_signal[k++] = i;
    int32_t lo, hi;
    format_range(fmt, &lo, &hi);
    int need_spool = 0;
    for (size_t i = 0; i < n; i++) {
        const emg_channel *ch = &hdr->channels[i];
        /* The source's own ADC codes fit: keep its calibration (exact round trip). */
        s->calibrated[i] = ch->gain != 0 && isfinite(ch->gain) && isfinite(ch->baseline) &&
                           ch->digital_min < ch->digital_max &&
                           ch->digital_min >= (int64_t)lo - 1 && ch->digital_max <= hi;
        if (s->calibrated[i]) {
            s->gain[i] = ch->gain;
            s->baseline[i] = lround(ch->baseline);
        } else {
            need_spool = 1;
            s->pmin[i] = INFINITY;
            s->pmax[i] = -INFINITY;
        }
    }
    if (need_spool) {
        char spool_path[WFDB_PATH_MAX];
        rc = emg_temp_path(spool_path, sizeof spool_path, final_path, err);
        if (rc < 0)
            return rc;
        s->spool = fopen(spool_path, "w+b");
        int saved = errno;
        emg_temp_discard(spool_path); /* gone when closed, whatever happens */
        if (!s->spool)
            return emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot create a temporary file: %s",
                                 final_path, strerror(saved));
    }
    s->hea = fopen(tmp_path, "w");
    if (!s->hea)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", final_path, strerror(errno));
    char dat_final[WFDB_PATH_MAX];
    emgi_wfdb_data_path(final_path, dat_final, sizeof dat_final);
    emgi_strlcpy(s->hea_path, final_path, sizeof s->hea_path);
    emgi_strlcpy(s->dat_path, dat_final, sizeof s->dat_path);
    if ((rc = emg_temp_path(s->dat_tmp, sizeof s->dat_tmp, dat_final, err)) < 0)
        return rc;
    s->dat = fopen(s->dat_tmp, "wb");
    if (!s->dat)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", dat_final, strerror(errno));
    else
        rc = emgi_writer_add_file(w, s->dat_tmp, dat_final, err);
    if (rc < 0)
        emg_temp_discard(s->dat_tmp); /* not the core's to remove yet */
    return rc;
}

const emg_format_writer emgi_wfdb_writer = {"wfdb", 0, wfdb_writer_open, wfdb_write, wfdb_finish,
                                           wfdb_destroy};
