/* io_text.c: delimited text recordings (CSV, TSV, whitespace columns) and the
 * OpenSignals text format.
 *
 * Reading takes two passes over the file.  The first learns the layout
 * (delimiter, header row, which columns are time, labels or signals), checks
 * every row (column count, numbers; errors name file:line), counts the rows
 * and studies the time column: its nominal interval is the most common one,
 * and intervals that differ from it by more than 1 % are irregular.  The
 * second pass streams rows into blocks of about a second, so memory does not
 * grow with the file.  An irregular time column (the UCI gesture files hold
 * 200 Hz data on a jittery 1 kHz grid with gaps) is reported in a header note
 * and, only when asked (resample), interpolated linearly onto a uniform grid
 * at the nominal rate.  Label columns ("class", "label", ...) become
 * annotations, one per run of equal values.
 *
 * The OpenSignals text formats are read from their "#" header: the older
 * "Simple Text Format" ("# Sampling Rate (Hz):= 1000.00", "# Labels:= EMG",
 * "# Resolution:= 12") and the newer one whose second line is a JSON object
 * per device ("sampling rate", "column", "label", "sensor", "resolution",
 * "device", "date", "time") ended by "# EndOfHeader".  EMG and ECG counts of
 * a named PLUX device are converted with the sensor's transfer function
 * (PLUX EMG and ECG sensor datasheets, as biosignalsnotebooks' raw_to_phy:
 * mV = (ADC / 2^n - 1/2) * VCC / G * 1000); other counts stay counts.
 *
 * Writing: a header row "time (s)" then "NAME (UNIT)" per channel, comma- or
 * tab-separated, one row per sample, numbers with the fewest digits that
 * read back exactly (or the precision asked); it streams, so it can write to
 * standard output.
 * Channels must share one sampling rate. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

#define TEXT_MAX_CLUSTERS 32
#define TEXT_MAX_LABEL_RUNS 100000
#define TEXT_IRREGULAR_TOLERANCE 0.01 /* relative deviation from the nominal interval */

enum column_role { ROLE_SIGNAL, ROLE_TIME, ROLE_LABEL, ROLE_IGNORED };

typedef struct text_column {
    char name[EMG_NAME_MAX];
    char unit[EMG_UNIT_MAX];
    int role;
    int channel; /* header channel index of a signal column */
    int counts;  /* ADC counts to convert: (value - baseline) / gain */
    double gain, baseline;
} text_column;

/* What the "#" lines of an OpenSignals file say. */
typedef struct opensignals_info {
    int present;
    double fs;
    int resolution[64];
    size_t n_resolution;
    char columns[64][EMG_NAME_MAX]; /* JSON "column": every data column */
    size_t n_columns;
    char labels[64][EMG_NAME_MAX];  /* signal columns */
    size_t n_labels;
    char sensors[64][EMG_NAME_MAX];
    size_t n_sensors;
    char device[64];
    char start_time[40];
    int n_devices;
} opensignals_info;

typedef struct label_run {
    int64_t row;
    double t;
    char text[48];
} label_run;

/* Intervals of the time column, clustered to find the nominal one. */
typedef struct interval_stats {
    double center[TEXT_MAX_CLUSTERS];
    int64_t count[TEXT_MAX_CLUSTERS];
    size_t n;
    int64_t overflow;   /* intervals that fitted no cluster */
    double largest;
    int64_t backwards;  /* intervals <= 0 */
    int64_t first_backwards_line;
} interval_stats;

typedef struct text_reader {
    char path[4200];
    FILE *f;
    char delim;          /* '\t', ',', ';' or ' ' (runs of blanks) */
    size_t n_columns;
    text_column *cols;
    size_t n_signals;
    int time_col, label_col;
    double time_scale;   /* time column units to seconds */
    long data_offset;    /* file offset of the first data row */
    int data_line;       /* its line number */
    int64_t n_rows;
    double fs;
    double t_first, t_last; /* seconds */
    double t_first_column;  /* in the time column's units */
    int resample;
    int64_t n_out;       /* samples per channel delivered */
    size_t block_len;
    /* Streaming state. */
    char *line;
    size_t line_cap;
    int lineno;
    long line_offset;    /* file offset where r->line starts */
    int line_has_break;  /* r->line ended with a line break */
    int cut_line;        /* line number of a last row without a line break (dropped), or 0 */
    int64_t rows_read;   /* pass 2: data rows read so far */
    int64_t out_done;
    double *fields;      /* numbers of the current row, per column */
    double *prev;        /* previous row (resampling) */
    double t_prev;
    int have_prev;
    char **split;        /* field pointers */
} text_reader;

/* ------------------------------------------------------------ small parsers */

static void strip_eol(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\''))) {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

static int is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* Split line in place; returns the field count (fields beyond max are counted, not stored). */
static size_t split_fields(char *line, char delim, char **out, size_t max)
{
    size_t n = 0;
    char *p = line;
    if (delim == ' ') {
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p)
                return n;
            if (n < max)
                out[n] = p;
            n++;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
    for (;;) {
        char *end = strchr(p, delim);
        if (end)
            *end = '\0';
        if (n < max)
            out[n] = trim(p);
        n++;
        if (!end)
            return n;
        p = end + 1;
    }
}

/* Decimal numbers of at most 15 significant digits and a small exponent,
 * converted exactly: an integer mantissa below 2^53 and a power of ten up to
 * 1e22 are both exact doubles, so one multiplication or division rounds
 * correctly (Clinger, "How to read floating point numbers accurately", PLDI
 * 1990).  Returns 0 when the text needs the general strtod. */
static int parse_decimal_fast(const char *s, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int negative = 0, digits = 0, exponent = 0;
    uint64_t mantissa = 0;
    if (*s == '-' || *s == '+')
        negative = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        mantissa = mantissa * 10 + (uint64_t)(*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++, exponent--)
            mantissa = mantissa * 10 + (uint64_t)(*s - '0');
    if (digits == 0 || digits > 15)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        int sign = 1, e = 0, edigits = 0;
        if (*s == '-' || *s == '+')
            sign = *s++ == '-' ? -1 : 1;
        for (; *s >= '0' && *s <= '9' && edigits < 4; s++, edigits++)
            e = e * 10 + (*s - '0');
        if (!edigits)
            return 0;
        exponent += sign * e;
    }
    if (*s || exponent < -22 || exponent > 22)
        return 0;
    double v = (double)mantissa;
    v = exponent < 0 ? v / pow10[-exponent] : v * pow10[exponent];
    *out = negative ? -v : v;
    return 1;
}

/* A number, or NaN for "nan"/"n/a"/"NA"; decimal commas when ';' separates. */
static int parse_number(const char *s, char delim, double *out)
{
    if (!*s)
        return -1;
    if (parse_decimal_fast(s, out))
        return 0;
    if (emgi_str_ieq(s, "nan") || emgi_str_ieq(s, "n/a") || emgi_str_ieq(s, "na")) {
        *out = NAN;
        return 0;
    }
    char buf[64];
    if (delim == ';' && strchr(s, ',') && !strchr(s, '.') && strlen(s) < sizeof buf) {
        strcpy(buf, s);
        *strchr(buf, ',') = '.';
        s = buf;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || (errno == ERANGE && fabs(v) > 1))
        return -1;
    *out = v;
    return 0;
}

static int looks_numeric(const char *s, char delim)
{
    double v;
    return parse_number(s, delim, &v) == 0;
}

/* "1,2,3," : a trailing delimiter (some exporters end every row with one). */
static int ends_with_delimiter(const char *line, char delim)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || (delim != '\t' && line[n - 1] == '\t')))
        n--;
    return delim != ' ' && n && line[n - 1] == delim;
}

static char guess_delimiter(const char *line)
{
    if (strchr(line, '\t'))
        return '\t';
    if (strchr(line, ';'))
        return ';';
    if (strchr(line, ','))
        return ',';
    return ' ';
}

/* ------------------------------------------------------------ column names */

static void lower_copy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Units accepted in "name (unit)" or "name [unit]": an SI prefix and base unit,
 * or one of a few dimensionless or customary ones. */
static int is_unit(const char *u)
{
    static const char *const plain[] = {"%", "deg", "degc", "rad", "bpm", "mmhg", "a.u.", "au",
                                        "adu", "counts", "count", "m/s^2", "m/s2", "g/s", "nu",
                                        "ohm", "kohm"};
    char low[EMG_UNIT_MAX];
    if (!*u || strlen(u) >= sizeof low)
        return 0;
    lower_copy(low, u, sizeof low);
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (!strcmp(low, plain[i]))
            return 1;
    static const char *const base[] = {"V", "A", "Hz", "g", "N", "Pa",
                                       "s", "m", "W",  "S", "K", "C"};
    const char *b = u;
    if (strchr("pnumkMG", *u) && u[1])
        b = u + 1;
    else if (!strncmp(u, "\xc2\xb5", 2) && u[2]) /* micro sign */
        b = u + 2;
    for (size_t i = 0; i < sizeof base / sizeof *base; i++)
        if (!strcmp(u, base[i]) || !strcmp(b, base[i]))
            return 1;
    return 0;
}

/* "EMG left (mV)" -> name "EMG left", unit "mV"; names without a unit are kept whole. */
static void split_name_unit(const char *raw, char *name, size_t nn, char *unit, size_t nu)
{
    char field[4 * EMG_NAME_MAX]; /* Latin-1 "(\xb5V)" is recognised as "(µV)" */
    emgi_utf8_from_bytes(field, sizeof field, raw, strlen(raw));
    size_t len = strlen(field);
    unit[0] = '\0';
    emgi_strlcpy(name, field, nn);
    if (len < 3)
        return;
    char close = field[len - 1], open = close == ')' ? '(' : close == ']' ? '[' : 0;
    if (!open)
        return;
    const char *o = strrchr(field, open);
    if (!o)
        return;
    char u[EMG_UNIT_MAX];
    size_t ulen = (size_t)(field + len - 1 - (o + 1));
    if (ulen == 0 || ulen >= sizeof u)
        return;
    memcpy(u, o + 1, ulen);
    u[ulen] = '\0';
    char *ut = trim(u);
    if (!is_unit(ut))
        return;
    emgi_strlcpy(unit, ut, nu);
    if (!strcmp(unit, "\xc2\xb5V"))
        strcpy(unit, "uV");
    size_t keep = (size_t)(o - field);
    while (keep && (field[keep - 1] == ' ' || field[keep - 1] == '_'))
        keep--;
    if (keep + 1 < nn) {
        memcpy(name, field, keep);
        name[keep] = '\0';
    }
}

/* Seconds per unit of a time column, from its name: 1, 1e-3, 1e-6, or 0 when
 * the name says nothing (guessed later from the values); -1 if not a time column. */
static double time_column_scale(const char *name, const char *unit)
{
    char low[EMG_NAME_MAX];
    lower_copy(low, name, sizeof low);
    static const struct { const char *name; double scale; } names[] = {
        {"time", 0}, {"t", 0}, {"timestamp", 0}, {"timestamps", 0}, {"elapsed time", 0},
        {"time_s", 1}, {"time_sec", 1}, {"seconds", 1}, {"sec", 1}, {"secs", 1}, {"t_s", 1},
        {"time_ms", 1e-3}, {"ms", 1e-3}, {"t_ms", 1e-3}, {"milliseconds", 1e-3},
        {"time_us", 1e-6}, {"us", 1e-6}};
    double scale = -1;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(low, names[i].name))
            scale = names[i].scale;
    if (scale < 0)
        return -1;
    if (!strcmp(unit, "s"))
        return 1;
    if (!strcmp(unit, "ms"))
        return 1e-3;
    if (!strcmp(unit, "us") || !strcmp(unit, "\xc2\xb5s"))
        return 1e-6;
    return scale;
}

static int is_label_column(const char *name)
{
    static const char *const names[] = {"class", "label", "labels", "gesture", "marker", "markers",
                                        "event", "events", "annotation", "annotations",
                                        "condition", "stimulus", "restimulus", "trial_type"};
    return emgi_name_index(names, sizeof names / sizeof *names, name) >= 0;
}

static int is_counter_column(const char *name)
{
    static const char *const names[] = {"nseq", "sample", "samples", "index", "idx", "n",
                                        "frame", "sample_index", "sample number", "seq"};
    return emgi_name_index(names, sizeof names / sizeof *names, name) >= 0;
}

/* ------------------------------------------------------------ OpenSignals header */

/* Pointer to the value of "key" in a JSON text, or NULL. */
static const char *json_value(const char *json, const char *key)
{
    char pattern[80];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p)
        return NULL;
    p += strlen(pattern);
    while (isspace((unsigned char)*p))
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static void json_string(const char *json, const char *key, char *out, size_t n)
{
    const char *p = json_value(json, key);
    out[0] = '\0';
    if (!p || *p != '"')
        return;
    p++;
    const char *end = strchr(p, '"');
    if (!end)
        return;
    size_t len = (size_t)(end - p) < n - 1 ? (size_t)(end - p) : n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

/* A JSON array of strings into names; returns the count. */
static size_t json_string_list(const char *json, const char *key, char (*out)[EMG_NAME_MAX],
                               size_t max)
{
    const char *p = json_value(json, key);
    size_t n = 0;
    if (!p || *p != '[')
        return 0;
    p++;
    while (*p && *p != ']' && n < max) {
        const char *q = strchr(p, '"');
        const char *close = strchr(p, ']');
        if (!q || (close && close < q))
            break;
        const char *end = strchr(q + 1, '"');
        if (!end)
            break;
        size_t len = (size_t)(end - q - 1);
        if (len > EMG_NAME_MAX - 1)
            len = EMG_NAME_MAX - 1;
        memcpy(out[n], q + 1, len);
        out[n][len] = '\0';
        n++;
        p = end + 1;
    }
    return n;
}

static size_t json_int_list(const char *json, const char *key, int *out, size_t max)
{
    const char *p = json_value(json, key);
    size_t n = 0;
    if (!p || *p != '[')
        return 0;
    p++;
    while (n < max) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (int)v;
        p = end;
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
    }
    return n;
}

static void opensignals_json(const char *json, opensignals_info *os)
{
    os->present = 1;
    const char *p = json_value(json, "sampling rate");
    if (p)
        os->fs = strtod(p, NULL);
    for (const char *q = json; (q = strstr(q, "\"sampling rate\"")); q++)
        os->n_devices++;
    os->n_columns = json_string_list(json, "column", os->columns, 64);
    os->n_labels = json_string_list(json, "label", os->labels, 64);
    os->n_sensors = json_string_list(json, "sensor", os->sensors, 64);
    os->n_resolution = (size_t)json_int_list(json, "resolution", os->resolution, 64);
    json_string(json, "device", os->device, sizeof os->device);
    char date[40], clock[40];
    json_string(json, "date", date, sizeof date);
    json_string(json, "time", clock, sizeof clock);
    int y, mo, d, h = 0, mi = 0;
    double s = 0;
    if (sscanf(date, "%d-%d-%d", &y, &mo, &d) == 3) {
        if (sscanf(clock, "%d:%d:%lf", &h, &mi, &s) != 3)
            h = mi = 0, s = 0;
        emg_time_format(os->start_time, y, mo, d, h, mi, s);
    }
}

/* "# Key:= value" lines of the Simple Text Format. */
static void opensignals_simple(const char *line, opensignals_info *os)
{
    const char *sep = strstr(line, ":=");
    if (!sep)
        return;
    char key[64];
    const char *k = line;
    while (*k == '#' || *k == ' ')
        k++;
    size_t len = (size_t)(sep - k) < sizeof key - 1 ? (size_t)(sep - k) : sizeof key - 1;
    memcpy(key, k, len);
    key[len] = '\0';
    const char *value = sep + 2;
    while (*value == ' ')
        value++;
    os->present = 1;
    if (!strncmp(key, "Sampling Rate", 13)) {
        os->fs = strtod(value, NULL);
    } else if (!strncmp(key, "Resolution", 10)) {
        os->n_resolution = 0;
        char *end;
        for (const char *p = value; os->n_resolution < 64; p = end) {
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            os->resolution[os->n_resolution++] = (int)v;
        }
    } else if (!strncmp(key, "Labels", 6)) {
        char buf[1024];
        emgi_strlcpy(buf, value, sizeof buf);
        os->n_labels = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, ",\t ", &save); t && os->n_labels < 64;
             t = strtok_r(NULL, ",\t ", &save))
            emgi_strlcpy(os->labels[os->n_labels++], t, EMG_NAME_MAX);
    }
}

/* Transfer function of a PLUX sensor (as io_hdf5.c): 0 when none is known. */
static int plux_transfer(const char *sensor, const char *device, double *vcc, double *gain)
{
    int bitalino = !strncmp(device, "bitalino", 8);
    if (!device[0])
        return 0;
    if (!strcmp(sensor, "EMG")) {
        *vcc = bitalino ? 3.3 : 3.0;
        *gain = !bitalino ? 1000 : !strcmp(device, "bitalino") ? 1008 : 1009;
        return 1;
    }
    if (!strcmp(sensor, "ECG")) {
        *vcc = bitalino ? 3.3 : 3.0;
        *gain = bitalino ? 1100 : 1019;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ probe */

static int is_text(const unsigned char *head, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (head[i] == 0 || (head[i] < 32 && !isspace(head[i])))
            return 0;
    return len > 0;
}

static int text_probe(const unsigned char *head, size_t len, const char *path)
{
    if (!head || !is_text(head, len))
        return 0;
    const char *ext = path ? emgi_path_extension(path) : "";
    const char *s = (const char *)head;
    if (len > 15 && (!strncmp(s, "# OpenSignals", 13) || !strncmp(s, "# Simple Text Format", 20)))
        return 90;
    if (!strcmp(ext, "csv") || !strcmp(ext, "tsv"))
        return 60;
    /* Content: a data line of numbers after at most one header line. */
    char buf[4097];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, head, n);
    buf[n] = '\0';
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line && lines < 3;
         line = strtok_r(NULL, "\n", &save)) {
        strip_eol(line);
        if (is_blank(line) || line[0] == '#')
            continue;
        lines++;
        char *f[256];
        char copy[4097];
        strcpy(copy, line);
        size_t nf = split_fields(copy, guess_delimiter(line), f, 256);
        int numeric = nf > 0 && nf <= 256;
        for (size_t i = 0; numeric && i < nf; i++)
            numeric = looks_numeric(f[i], guess_delimiter(line));
        if (numeric)
            return !strcmp(ext, "txt") ? 40 : 25;
        if (lines >= 2)
            return 0;
    }
    return 0;
}

/* ------------------------------------------------------------ reader: pass 1 */

static void reader_free(text_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->cols);
    free(r->line);
    free(r->fields);
    free(r->prev);
    free(r->split);
    free(r);
}

static int read_line(text_reader *r, emg_error *err)
{
    errno = 0;
    r->line_offset = ftell(r->f);
    ssize_t got = getline(&r->line, &r->line_cap, r->f);
    if (got < 0) {
        if (ferror(r->f))
            return emg_error_set(err, EMG_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
        return 0;
    }
    r->lineno++;
    r->line_has_break = r->line[got - 1] == '\n';
    strip_eol(r->line);
    if (r->lineno == 1 && !strncmp(r->line, "\xef\xbb\xbf", 3)) /* UTF-8 byte order mark */
        memmove(r->line, r->line + 3, strlen(r->line + 3) + 1);
    return 1;
}

/* Header lines: "#" comments (OpenSignals) up to the first other line, which is
 * left in r->line.  Returns 1 when such a line exists. */
static int read_preamble(text_reader *r, opensignals_info *os, emg_error *err)
{
    int rc;
    while ((rc = read_line(r, err)) > 0) {
        if (is_blank(r->line))
            continue;
        if (r->line[0] != '#')
            return 1;
        const char *body = r->line + 1;
        while (*body == ' ')
            body++;
        if (*body == '{')
            opensignals_json(body, os);
        else if (!strncmp(body, "OpenSignals", 11) || !strncmp(body, "Simple Text Format", 18))
            os->present = 1;
        else
            opensignals_simple(r->line, os);
    }
    return rc;
}

/* Decide the columns from the first non-comment line (header row or data). */
static int setup_columns(text_reader *r, const opensignals_info *os, int *has_header,
                         emg_error *err)
{
    char *copy = emgi_xstrdup(r->line, err);
    if (!copy)
        return EMG_ERR_NOMEM;
    /* OpenSignals rows are blank-separated (often with a trailing tab). */
    int blanks = os->present && !strchr(r->line, ',') && !strchr(r->line, ';');
    r->delim = blanks ? ' ' : guess_delimiter(r->line);
    size_t n = split_fields(copy, r->delim, NULL, 0);
    if (n > 1 && ends_with_delimiter(r->line, r->delim))
        n--;
    r->n_columns = n;
    r->cols = emgi_xcalloc(n, sizeof *r->cols, err);
    r->split = emgi_xcalloc(n + 1, sizeof *r->split, err);
    r->fields = emgi_xcalloc(n, sizeof *r->fields, err);
    r->prev = emgi_xcalloc(n, sizeof *r->prev, err);
    if (!r->cols || !r->split || !r->fields || !r->prev) {
        free(copy);
        return EMG_ERR_NOMEM;
    }
    strcpy(copy, r->line);
    split_fields(copy, r->delim, r->split, n);
    *has_header = 0;
    for (size_t i = 0; i < n; i++)
        if (!looks_numeric(r->split[i], r->delim))
            *has_header = 1;
    r->time_col = r->label_col = -1;
    for (size_t i = 0; i < n; i++) {
        text_column *c = &r->cols[i];
        if (*has_header) {
            split_name_unit(r->split[i], c->name, sizeof c->name, c->unit, sizeof c->unit);
        } else if (os->n_columns == n) {
            emgi_strlcpy(c->name, os->columns[i], sizeof c->name);
        } else if (os->n_labels == n) {
            emgi_strlcpy(c->name, os->labels[i], sizeof c->name);
        } else {
            snprintf(c->name, sizeof c->name, "ch%zu", i + 1);
        }
        c->role = ROLE_SIGNAL;
        double scale;
        if (!*has_header && os->n_columns == n) {
            /* OpenSignals: only the columns listed as labels are signals. */
            int listed = 0;
            for (size_t k = 0; k < os->n_labels; k++)
                listed |= !strcmp(os->labels[k], c->name);
            c->role = listed ? ROLE_SIGNAL : ROLE_IGNORED;
        } else if (r->time_col < 0 && (scale = time_column_scale(c->name, c->unit)) >= 0) {
            c->role = ROLE_TIME;
            r->time_col = (int)i;
            r->time_scale = scale;
        } else if (r->label_col < 0 && is_label_column(c->name)) {
            c->role = ROLE_LABEL;
            r->label_col = (int)i;
        } else if (is_counter_column(c->name)) {
            c->role = ROLE_IGNORED;
        }
    }
    free(copy);
    return EMG_OK;
}

static void add_interval(interval_stats *st, double dt)
{
    if (dt > st->largest)
        st->largest = dt;
    for (size_t k = 0; k < st->n; k++)
        if (fabs(dt - st->center[k]) <= TEXT_IRREGULAR_TOLERANCE * st->center[k]) {
            st->count[k]++;
            st->center[k] += (dt - st->center[k]) / (double)st->count[k];
            return;
        }
    if (st->n < TEXT_MAX_CLUSTERS) {
        st->center[st->n] = dt;
        st->count[st->n++] = 1;
    } else {
        st->overflow++;
    }
}

typedef struct scan_result {
    interval_stats intervals;
    int64_t repeated_rows;
    label_run *runs;
    size_t n_runs, cap_runs;
    int runs_truncated;
    int *non_numeric; /* per column: first data value was not a number */
} scan_result;

static int add_label_run(scan_result *s, int64_t row, double t, const char *text, emg_error *err)
{
    if (s->n_runs && !strcmp(s->runs[s->n_runs - 1].text, text))
        return EMG_OK;
    if (s->n_runs >= TEXT_MAX_LABEL_RUNS) {
        s->runs_truncated = 1;
        return EMG_OK;
    }
    if (s->n_runs == s->cap_runs) {
        size_t cap = s->cap_runs ? s->cap_runs * 2 : 16;
        label_run *grown = emgi_xrealloc(s->runs, cap, sizeof *grown, err);
        if (!grown)
            return EMG_ERR_NOMEM;
        s->runs = grown;
        s->cap_runs = cap;
    }
    label_run *run = &s->runs[s->n_runs++];
    run->row = row;
    run->t = t;
    emgi_strlcpy(run->text, text, sizeof run->text);
    return EMG_OK;
}

/* Parse the numeric fields of the row in r->line into r->fields. */
static int parse_row(text_reader *r, const char **label, emg_error *err)
{
    int trailing = ends_with_delimiter(r->line, r->delim);
    size_t n = split_fields(r->line, r->delim, r->split, r->n_columns);
    if (trailing && n == r->n_columns + 1)
        n--;
    if (n != r->n_columns)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: %zu columns, the header has %zu",
                             r->path, r->lineno, n, r->n_columns);
    for (size_t i = 0; i < n; i++) {
        const text_column *c = &r->cols[i];
        if (c->role == ROLE_LABEL) {
            *label = r->split[i];
            continue;
        }
        if (c->role == ROLE_IGNORED)
            continue;
        if (parse_number(r->split[i], r->delim, &r->fields[i]) < 0)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: column '%s': '%s' is not a number",
                                 r->path, r->lineno, c->name, r->split[i]);
        if (c->counts)
            r->fields[i] = (r->fields[i] - c->baseline) / c->gain;
    }
    return EMG_OK;
}

/* First pass: check every row, count them, study the time column and labels. */
static int scan_rows(text_reader *r, int first_is_data, scan_result *s, emg_error *err)
{
    int rc = 1;
    double t_prev = 0;
    int have_row = 0;
    double *last = emgi_xcalloc(r->n_columns, sizeof *last, err);
    if (!last)
        return EMG_ERR_NOMEM;
    /* Columns whose first value is not a number hold text: not signals. */
    int checked_first = 0;
    for (;;) {
        if (first_is_data) {
            first_is_data = 0;
        } else {
            rc = read_line(r, err);
            if (rc <= 0)
                break;
        }
        if (is_blank(r->line) || r->line[0] == '#')
            continue;
        if (!r->line_has_break) {
            /* Only the last line can lack a line break: a file cut there may end
             * mid-number ("0.12" of "0.1234"), which no check can tell. */
            r->cut_line = r->lineno;
            break;
        }
        if (!checked_first) {
            checked_first = 1;
            char *copy = emgi_xstrdup(r->line, err);
            if (!copy) {
                rc = EMG_ERR_NOMEM;
                break;
            }
            size_t n = split_fields(copy, r->delim, r->split, r->n_columns);
            for (size_t i = 0; i < n && i < r->n_columns; i++)
                if (r->cols[i].role == ROLE_SIGNAL && !looks_numeric(r->split[i], r->delim)) {
                    r->cols[i].role = ROLE_IGNORED;
                    s->non_numeric[i] = 1;
                }
            free(copy);
        }
        const char *label = NULL;
        if ((rc = parse_row(r, &label, err)) < 0)
            break;
        double t = r->time_col >= 0 ? r->fields[r->time_col] : 0;
        if (r->time_col >= 0) {
            if (!isfinite(t)) {
                rc = emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: time '%s' is not a number",
                                   r->path, r->lineno, r->split[r->time_col]);
                break;
            }
            if (r->n_rows == 0)
                r->t_first = t;
            else if (t - t_prev <= 0) {
                if (!s->intervals.backwards++)
                    s->intervals.first_backwards_line = r->lineno;
            } else {
                add_interval(&s->intervals, t - t_prev);
            }
            r->t_last = t;
            t_prev = t;
        }
        int same = have_row;
        for (size_t i = 0; i < r->n_columns; i++)
            if (r->cols[i].role == ROLE_SIGNAL) {
                if (have_row && !(r->fields[i] == last[i]))
                    same = 0;
                last[i] = r->fields[i];
            }
        have_row = 1;
        s->repeated_rows += same;
        if (label && (rc = add_label_run(s, r->n_rows, t, label, err)) < 0)
            break;
        r->n_rows++;
        rc = 1;
    }
    free(last);
    return rc < 0 ? rc : EMG_OK;
}

/* ------------------------------------------------------------ reader: open */

/* The nominal interval (most common cluster) and the irregular count. */
static double nominal_interval(const interval_stats *st, int64_t *irregular)
{
    size_t best = 0;
    int64_t total = st->overflow + st->backwards;
    for (size_t k = 0; k < st->n; k++) {
        total += st->count[k];
        if (st->count[k] > st->count[best])
            best = k;
    }
    *irregular = st->n ? total - st->count[best] : total;
    return st->n ? st->center[best] : 0;
}

/* A rate within 1e-6 of a whole number of hertz is that number. */
static double tidy_rate(double fs)
{
    double r = nearbyint(fs);
    return r > 0 && fabs(fs - r) <= 1e-6 * fs ? r : fs;
}

static int decide_rate(text_reader *r, const emg_read_options *opts, const opensignals_info *os,
                       const scan_result *s, emg_header *hdr, emg_error *err)
{
    int64_t irregular = 0;
    double dt = 0;
    if (r->time_col >= 0 && r->n_rows > 1) {
        dt = nominal_interval(&s->intervals, &irregular);
        if (r->time_scale == 0) {
            /* No unit in the name: an interval of 0.05 or more would mean a rate of
             * 20 Hz or less in seconds, so take milliseconds (the UCI files). */
            r->time_scale = dt >= 0.05 ? 1e-3 : 1.0;
            int rc = emg_header_add_note(hdr, err, "%s: time column '%s' has no unit: taken as %s",
                                         r->path, r->cols[r->time_col].name,
                                         r->time_scale == 1 ? "seconds" : "milliseconds");
            if (rc < 0)
                return rc;
        }
    }
    if (r->time_scale == 0)
        r->time_scale = 1;
    r->t_first_column = r->t_first;
    r->t_first *= r->time_scale;
    r->t_last *= r->time_scale;
    dt *= r->time_scale;
    if (opts && opts->fs > 0) {
        r->fs = opts->fs;
        double column_fs =
            dt > 0 && irregular == 0 ? (double)(r->n_rows - 1) / (r->t_last - r->t_first) : 0;
        if (column_fs > 0 && fabs(column_fs - r->fs) > 1e-3 * r->fs) {
            int rc = emg_header_add_note(hdr, err, "%s: the time column says %.6g Hz; the rate "
                                         "given (%.6g Hz) is used", r->path, column_fs, r->fs);
            if (rc < 0)
                return rc;
        }
    } else if (os->present && os->fs > 0)
        r->fs = os->fs;
    else if (dt > 0 && irregular == 0)
        r->fs = tidy_rate((double)(r->n_rows - 1) / (r->t_last - r->t_first));
    else if (dt > 0)
        r->fs = tidy_rate(1.0 / dt);
    else if (r->time_col >= 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: the time column has fewer than two "
                             "increasing values: give the sampling rate (--fs)", r->path);
    else
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no time column and no sampling rate: "
                             "give the sampling rate (--fs)", r->path);
    r->resample = 0;
    r->n_out = r->n_rows;
    if (r->time_col < 0 || irregular == 0)
        return EMG_OK;
    const interval_stats *st = &s->intervals;
    char largest[64] = "";
    if (st->largest > 0)
        snprintf(largest, sizeof largest, ", largest gap %.6g ms",
                 st->largest * r->time_scale * 1e3);
    if (opts && opts->resample) {
        if (st->backwards)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s:%lld: time does not increase: cannot "
                                 "resample", r->path, (long long)st->first_backwards_line);
        r->resample = 1;
        r->n_out = (int64_t)floor((r->t_last - r->t_first) * r->fs + 1e-6) + 1;
        return emg_header_add_note(hdr, err, "%s: time column irregular (nominal %.6g Hz, %lld of "
                                   "%lld intervals differ by more than 1%%%s): resampled onto a "
                                   "uniform %.6g Hz grid by linear interpolation, %lld rows -> "
                                   "%lld samples", r->path, 1.0 / dt, (long long)irregular,
                                   (long long)(r->n_rows - 1), largest, r->fs,
                                   (long long)r->n_rows, (long long)r->n_out);
    }
    return emg_header_add_note(hdr, err, "%s: time column irregular (nominal %.6g Hz, %lld of %lld "
                               "intervals differ by more than 1%%%s): rows taken as uniform "
                               "samples at %.6g Hz (%.6g s vs %.6g s in the time column); use "
                               "--resample to interpolate onto a uniform grid",
                               r->path, 1.0 / dt, (long long)irregular,
                               (long long)(r->n_rows - 1), largest, r->fs,
                               (double)r->n_rows / r->fs, r->t_last - r->t_first);
}

static int add_channels(text_reader *r, const emg_read_options *opts, const opensignals_info *os,
                        emg_header *hdr, emg_error *err)
{
    size_t label_index = 0;
    for (size_t i = 0; i < r->n_columns; i++) {
        text_column *c = &r->cols[i];
        if (c->role != ROLE_SIGNAL)
            continue;
        emg_channel ch;
        emg_channel_init(&ch);
        emgi_strlcpy(ch.name, c->name, sizeof ch.name);
        emgi_strlcpy(ch.unit, c->unit, sizeof ch.unit);
        ch.fs = r->fs;
        ch.n_samples = r->n_out;
        if (os->present) {
            /* Resolution per column (JSON) or per signal (Simple Text Format). */
            int bits = 0;
            if (os->n_resolution == r->n_columns)
                bits = os->resolution[i];
            else if (label_index < os->n_resolution)
                bits = os->resolution[label_index];
            else if (os->n_resolution == 1)
                bits = os->resolution[0];
            const char *sensor = label_index < os->n_sensors ? os->sensors[label_index] : "";
            if (sensor[0])
                snprintf(ch.transducer, sizeof ch.transducer, "PLUX %.40s sensor, %.40s", sensor,
                         os->device[0] ? os->device : "unknown device");
            if (bits > 0 && bits <= 24) {
                double levels = ldexp(1.0, bits), vcc, g;
                ch.digital_min = 0;
                ch.digital_max = (int32_t)(levels - 1);
                if (plux_transfer(sensor, os->device, &vcc, &g)) {
                    emgi_strlcpy(ch.unit, "mV", sizeof ch.unit);
                    ch.gain = g * levels / (vcc * 1000.0);
                    ch.baseline = levels / 2;
                    c->counts = 1; /* converted as the rows are read (second pass) */
                    c->gain = ch.gain;
                    c->baseline = ch.baseline;
                } else {
                    ch.gain = 1;
                    ch.baseline = 0;
                    int rc = emg_header_add_note(hdr, err, "%s: %s: values are raw %d-bit ADC "
                                                 "counts (no sensor transfer function known)",
                                                 r->path, ch.name, bits);
                    if (rc < 0)
                        return rc;
                }
            }
            label_index++;
        }
        if (opts && opts->unit)
            emgi_strlcpy(ch.unit, opts->unit, sizeof ch.unit);
        int idx = emg_header_add_channel(hdr, &ch, err);
        if (idx < 0)
            return idx;
        c->channel = idx;
        r->n_signals++;
    }
    if (r->n_signals == 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no numeric signal columns", r->path);
    return EMG_OK;
}

/* Labels: one annotation per run of equal values, times on the output grid. */
static int add_label_annotations(text_reader *r, const scan_result *s, emg_header *hdr,
                                 emg_error *err)
{
    double duration_all = (double)r->n_out / r->fs;
    const char *name = r->cols[r->label_col].name;
    for (size_t k = 0; k < s->n_runs; k++) {
        const label_run *run = &s->runs[k];
        double onset = r->resample ? run->t * r->time_scale - r->t_first : (double)run->row / r->fs;
        double end;
        if (k + 1 < s->n_runs)
            end = r->resample ? s->runs[k + 1].t * r->time_scale - r->t_first
                              : (double)s->runs[k + 1].row / r->fs;
        else
            end = duration_all;
        char text[EMG_NAME_MAX + 64];
        snprintf(text, sizeof text, "%s=%s", name, run->text);
        int rc = emg_header_add_annotation(hdr, onset, end - onset, -1, text, err);
        if (rc < 0)
            return rc;
    }
    if (s->runs_truncated)
        return emg_header_add_note(hdr, err, "%s: column '%s' changes more than %d times: only "
                                   "the first %d runs became annotations", r->path, name,
                                   TEXT_MAX_LABEL_RUNS, TEXT_MAX_LABEL_RUNS);
    return EMG_OK;
}

static int report_columns(text_reader *r, const scan_result *s, emg_header *hdr, emg_error *err)
{
    for (size_t i = 0; i < r->n_columns; i++) {
        const text_column *c = &r->cols[i];
        int rc = EMG_OK;
        if (s->non_numeric[i])
            rc = emg_header_add_note(hdr, err, "%s: column '%s' is not numeric: not a signal "
                                     "channel", r->path, c->name);
        else if (c->role == ROLE_LABEL)
            rc = emg_header_add_note(hdr, err, "%s: column '%s' holds labels: not a signal "
                                     "channel; its runs became %zu annotations", r->path, c->name,
                                     s->n_runs);
        if (rc < 0)
            return rc;
    }
    if (r->n_rows > 10 && s->repeated_rows * 2 > r->n_rows)
        return emg_header_add_note(hdr, err, "%s: %.0f%% of rows repeat the previous row's "
                                   "values: the signal may have been held at a lower rate",
                                   r->path,
                                   100.0 * (double)s->repeated_rows / (double)(r->n_rows - 1));
    return EMG_OK;
}

/* Rows per block: about `seconds` of signal, but no more rows than the file
 * delivers, and about a million samples at most however many columns (a
 * second of 100,000 columns at 1 kHz would be 800 MB of blocks). */
static size_t text_block_len(const text_reader *r, double seconds)
{
    double len = ceil(r->fs * seconds);
    double most = fmin(65536.0, fmax(1.0, (double)(1 << 20) / (double)r->n_signals));
    if (len > most)
        len = most;
    if (len > (double)r->n_out)
        len = (double)r->n_out;
    return len < 1 ? 1 : (size_t)len;
}

static int text_open(void **state, const char *path, const emg_read_options *opts,
                     emg_header *hdr, emg_format *detected, emg_error *err)
{
    text_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(r->path, path, sizeof r->path);
    opensignals_info *os = emgi_xcalloc(1, sizeof *os, err);
    scan_result scan;
    memset(&scan, 0, sizeof scan);
    int rc = os ? EMG_OK : EMG_ERR_NOMEM, has_header = 0;
    if (rc >= 0 && !(r->f = fopen(path, "r")))
        rc = emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc >= 0) {
        rc = read_preamble(r, os, err);
        if (rc == 0)
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: no data rows", path);
    }
    if (rc >= 0)
        rc = setup_columns(r, os, &has_header, err);
    if (rc >= 0) {
        scan.non_numeric = emgi_xcalloc(r->n_columns, sizeof *scan.non_numeric, err);
        if (!scan.non_numeric)
            rc = EMG_ERR_NOMEM;
    }
    if (rc >= 0) {
        /* The second pass starts at the first data row: the line just read when
         * it is data, else the line after the header row. */
        r->data_offset = has_header ? ftell(r->f) : r->line_offset;
        r->data_line = has_header ? r->lineno + 1 : r->lineno;
        rc = scan_rows(r, !has_header, &scan, err);
    }
    if (rc >= 0 && r->n_rows == 0 && r->cut_line)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s:%d: the only data row has no line break "
                           "(file cut short?)", path, r->cut_line);
    if (rc >= 0 && r->n_rows == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: no data rows", path);
    if (rc >= 0 && r->cut_line)
        rc = emg_header_add_note(hdr, err, "%s:%d: the last line has no line break (file cut "
                                 "short?): that row was dropped", path, r->cut_line);
    if (rc >= 0)
        rc = decide_rate(r, opts, os, &scan, hdr, err);
    if (rc >= 0)
        rc = add_channels(r, opts, os, hdr, err);
    if (rc >= 0 && r->label_col >= 0)
        rc = add_label_annotations(r, &scan, hdr, err);
    if (rc >= 0)
        rc = report_columns(r, &scan, hdr, err);
    if (rc >= 0 && os->start_time[0])
        emgi_strlcpy(hdr->start_time, os->start_time, sizeof hdr->start_time);
    if (rc >= 0 && os->n_devices > 1)
        rc = emg_header_add_note(hdr, err, "%s: %d OpenSignals devices in the header: columns "
                                 "named after the first", path, os->n_devices);
    if (rc >= 0 && fseek(r->f, r->data_offset, SEEK_SET) != 0)
        rc = emg_error_set(err, EMG_ERR_IO, "%s: cannot seek back to the data", path);
    if (rc >= 0) {
        r->lineno = r->data_line - 1;
        double seconds =
            opts && opts->block_seconds_hint_ms ? opts->block_seconds_hint_ms / 1e3 : 1.0;
        r->block_len = text_block_len(r, seconds);
        if (detected)
            *detected = os->present ? EMG_FORMAT_TEXT
                        : r->delim == '\t' ? EMG_FORMAT_TSV
                        : r->delim == ' ' ? EMG_FORMAT_TEXT : EMG_FORMAT_CSV;
    }
    free(os);
    free(scan.runs);
    free(scan.non_numeric);
    if (rc < 0) {
        reader_free(r);
        return rc;
    }
    *state = r;
    return EMG_OK;
}

/* ------------------------------------------------------------ reader: pass 2 */

/* Next data row into r->fields; 0 at the end. */
static int next_row(text_reader *r, emg_error *err)
{
    if (r->rows_read >= r->n_rows) /* not the dropped last line */
        return 0;
    r->rows_read++;
    for (;;) {
        int rc = read_line(r, err);
        if (rc <= 0)
            return rc;
        if (is_blank(r->line) || r->line[0] == '#')
            continue;
        const char *label = NULL;
        rc = parse_row(r, &label, err);
        return rc < 0 ? rc : 1;
    }
}

static void emit(text_reader *r, emg_block *blk, const double *values)
{
    for (size_t i = 0; i < r->n_columns; i++)
        if (r->cols[i].role == ROLE_SIGNAL) {
            int c = r->cols[i].channel;
            blk->data[c][blk->count[c]++] = values[i];
        }
}

static int text_read(void *state, emg_block *blk, emg_error *err)
{
    text_reader *r = state;
    if (r->out_done >= r->n_out)
        return 0;
    int rc = emg_block_reserve(blk, r->n_signals, r->block_len, err);
    if (rc < 0)
        return rc;
    emg_block_clear(blk);
    size_t made = 0;
    while (made < r->block_len && r->out_done < r->n_out) {
        if (!r->resample) {
            rc = next_row(r, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                return emg_error_set(err, EMG_ERR_FORMAT, "%s: file changed while reading",
                                     r->path);
            emit(r, blk, r->fields);
            made++;
            r->out_done++;
            continue;
        }
        /* Resampling: grid time t lies in [t_prev, t_row]; interpolate linearly.
         * Times stay in the column's own units (ms for UCI: whole numbers, exact). */
        double t = r->t_first_column + (double)r->out_done / (r->fs * r->time_scale);
        double t_row = r->have_prev ? r->fields[r->time_col] : -INFINITY;
        while (!r->have_prev || t_row < t) {
            if (r->have_prev) {
                memcpy(r->prev, r->fields, r->n_columns * sizeof *r->prev);
                r->t_prev = t_row;
            }
            rc = next_row(r, err);
            if (rc < 0)
                return rc;
            if (rc == 0) { /* grid rounding past the last row: hold the last value */
                t_row = t;
                memcpy(r->fields, r->prev, r->n_columns * sizeof *r->prev);
                break;
            }
            t_row = r->fields[r->time_col];
            if (!r->have_prev) {
                memcpy(r->prev, r->fields, r->n_columns * sizeof *r->prev);
                r->t_prev = t_row;
                r->have_prev = 1;
            }
        }
        double w = t_row > r->t_prev ? (t - r->t_prev) / (t_row - r->t_prev) : 1.0;
        if (w < 0) w = 0;
        if (w > 1) w = 1;
        for (size_t i = 0; i < r->n_columns; i++)
            if (r->cols[i].role == ROLE_SIGNAL) {
                int c = r->cols[i].channel;
                blk->data[c][blk->count[c]++] = r->prev[i] + w * (r->fields[i] - r->prev[i]);
            }
        made++;
        r->out_done++;
    }
    return 1;
}

static void text_close(void *state) { reader_free(state); }

const emg_format_reader emgi_text_reader = {"text", text_probe, text_open, text_read, text_close};

/* ------------------------------------------------------------ writer */

typedef struct text_writer {
    FILE *f;
    int to_stdout;
    char delim;
    int precision;
    double fs;
    size_t n;
    int64_t index;
    char path[4200];
} text_writer;

/* A header cell: CSV quotes cells holding its delimiter or quotes; TSV has no quoting. */
static void write_cell(FILE *f, const char *text, char delim)
{
    int quote = delim == ',' && strpbrk(text, ",\"");
    if (quote)
        fputc('"', f);
    for (const char *p = text; *p; p++) {
        char c = *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p;
        if (quote && c == '"')
            fputc('"', f);
        fputc(c, f);
    }
    if (quote)
        fputc('"', f);
}

static int text_writer_open(void **state, struct emg_writer *w, const char *tmp_path,
                            const char *final_path, emg_format format, const emg_header *hdr,
                            const emg_write_options *opts, emg_error *err)
{
    (void)w;
    if (!emg_header_single_rate(hdr))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: text output needs channels of one "
                             "sampling rate (%g Hz and %g Hz here): select channels of one rate "
                             "with -c", final_path, hdr->channels[0].fs,
                             hdr->channels[hdr->n_channels - 1].fs);
    text_writer *s = emgi_xcalloc(1, sizeof *s, err);
    if (!s)
        return EMG_ERR_NOMEM;
    *state = s;
    emgi_strlcpy(s->path, final_path, sizeof s->path);
    s->delim = format == EMG_FORMAT_CSV ? ',' : '\t';
    s->precision = opts && opts->precision > 0 ? opts->precision : 0; /* 0: round trip */
    s->n = hdr->n_channels;
    s->fs = hdr->channels[0].fs;
    s->to_stdout = !strcmp(tmp_path, "-");
    s->f = s->to_stdout ? stdout : fopen(tmp_path, "w");
    if (!s->f)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: %s", final_path, strerror(errno));
    fputs("time (s)", s->f);
    for (size_t i = 0; i < s->n; i++) {
        const emg_channel *ch = &hdr->channels[i];
        char cell[EMG_NAME_MAX + EMG_UNIT_MAX + 4];
        if (ch->name[0])
            snprintf(cell, sizeof cell, ch->unit[0] ? "%s (%s)" : "%s", ch->name, ch->unit);
        else
            snprintf(cell, sizeof cell, ch->unit[0] ? "ch%zu (%s)" : "ch%zu", i + 1, ch->unit);
        fputc(s->delim, s->f);
        write_cell(s->f, cell, s->delim);
    }
    fputc('\n', s->f);
    if (ferror(s->f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error", final_path);
    return EMG_OK;
}

/* With a precision, that many significant digits; else the shortest of 9, 16
 * or 17 digits that reads back as the same double (9 suffice for samples of a
 * decimal ADC scale such as 10000 adu/mV). */
static void write_number(FILE *f, double v, int precision)
{
    char buf[40];
    if (precision > 0) {
        fprintf(f, "%.*g", precision, v);
        return;
    }
    static const int digits[] = {9, 16, 17};
    for (size_t i = 0; i < sizeof digits / sizeof *digits; i++) {
        snprintf(buf, sizeof buf, "%.*g", digits[i], v);
        double back;
        if (digits[i] == 17 || (parse_decimal_fast(buf, &back) ? back : strtod(buf, NULL)) == v)
            break;
    }
    fputs(buf, f);
}

static int text_write(void *state, const emg_block *blk, emg_error *err)
{
    text_writer *s = state;
    if (blk->n_channels != s->n)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, header %zu", s->path,
                             blk->n_channels, s->n);
    size_t rows = blk->count[0];
    for (size_t i = 1; i < s->n; i++)
        if (blk->count[i] != rows)
            return emg_error_set(err, EMG_ERR_ARG, "%s: channels of one block differ in length",
                                 s->path);
    for (size_t k = 0; k < rows; k++) {
        /* Time k / fs, exact: "0", "0.00025", "4.99951171875". */
        write_number(s->f, (double)s->index++ / s->fs, 0);
        for (size_t i = 0; i < s->n; i++) {
            double v = blk->data[i][k];
            fputc(s->delim, s->f);
            if (isnan(v))
                fputs("nan", s->f);
            else
                write_number(s->f, v, s->precision);
        }
        fputc('\n', s->f);
    }
    if (ferror(s->f))
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->path, strerror(errno));
    return EMG_OK;
}

static int text_finish(void *state, emg_error *err)
{
    text_writer *s = state;
    int bad = s->to_stdout ? fflush(s->f) != 0 || ferror(s->f) : fclose(s->f) != 0;
    s->f = NULL;
    if (bad)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: write error: %s", s->path, strerror(errno));
    return EMG_OK;
}

static void text_destroy(void *state)
{
    text_writer *s = state;
    if (!s)
        return;
    if (s->f && !s->to_stdout)
        fclose(s->f);
    free(s);
}

const emg_format_writer emgi_text_writer = {"text", 1, text_writer_open, text_write, text_finish,
                                           text_destroy};
