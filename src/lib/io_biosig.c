/* io_biosig.c: fallback reader through libbiosig for formats no other
 * module reads (GDF, BrainVision .vhdr/.eeg/.vmrk, and the many others
 * BioSig knows).
 *
 * Reference: Vidaurre C, Sander TH, Schloegl A (2011). BioSig: the free and
 * open source software library for biomedical signal processing. Comput
 * Intell Neurosci 2011:935364.  GDF: Schloegl A (2006), "GDF - A general
 * dataformat for biosignals", arXiv:cs/0608052.  BrainVision Core Data
 * Format 1.0 (Brain Products GmbH).
 *
 * BioSig reads data in records of a common number of samples per record
 * (hdr->SPR, the least common multiple of the channels' rates); channels
 * recorded slower are returned repeated up to the common rate, so every
 * channel here has the file's common rate (a note says when that differs
 * from a channel's own rate).  Physical values come from BioSig's scaling
 * (FLAG.UCAL = 0); the calibration is PhysMin/PhysMax/DigMin/DigMax.
 * Events become annotations (onset and duration in seconds; channel 0 means
 * the whole recording).  Without libbiosig (EMGKIT_HAVE_BIOSIG undefined)
 * the module recognises nothing. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "io_internal.h"

#ifdef EMGKIT_HAVE_BIOSIG
#include <biosig.h>

typedef struct biosig_reader {
    HDRTYPE *h;
    size_t n_records, next_record, spr;
    size_t records_per_block;
    size_t n_channels;
    biosig_data_type *data;     /* whole signal, owned by the handle */
    size_t rows, columns;
    char path[4096];
} biosig_reader;

/* Low confidence: better-suited modules win when they know the file. */
static int biosig_probe(const unsigned char *head, size_t len, const char *path)
{
    if (len >= 3 && !memcmp(head, "GDF", 3))
        return 10;
    if (len >= 12 && (!memcmp(head, "Brain Vision", 12) ||
                      (len >= 15 && !memcmp(head, "\xef\xbb\xbf" "Brain Vision", 15))))
        return 10;
    static const char *const ext[] = {"gdf", "vhdr", "bkr", "cnt", "acq", "scp", "mfer",
                                      "fef", "ebs", "cfs", "smr", "abf", "e"};
    const char *e = emgi_path_extension(path);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        if (emgi_str_ieq(e, ext[i]))
            return 10;
    return 0;
}

/* sclose() crashes on a handle whose sopen() failed half-way (fuzzing):
 * close only what is open. */
static void release(HDRTYPE *h)
{
    if (!h)
        return;
    if (h->FILE.OPEN)
        sclose(h);
    destructHDR(h);
}

static void biosig_close(void *state)
{
    biosig_reader *r = state;
    if (!r)
        return;
    release(r->h);
    free(r);
}

/* The error kept on the handle (serror2() would also print it). */
static int biosig_failure(HDRTYPE *h, const char *path, emg_error *err)
{
    const char *msg = h ? h->AS.B4C_ERRMSG : NULL;
    return emg_error_set(err, EMG_ERR_FORMAT, "%s: libbiosig: %s", path,
                         msg && *msg ? msg : "cannot read the file");
}

/* libbiosig 3.0.1 divides by zero or reads out of bounds on some damaged
 * BrainVision headers (found by fuzzing), so the header is checked here
 * before libbiosig sees it.  BrainVision Core Data Format 1.0: an INI-style
 * text file naming the data file, channel count, sampling interval (us) and
 * binary sample type. */
typedef struct vhdr_facts {
    char data_file[1024];
    char marker_file[1024];
    long channels, channel_lines;
    double interval_us;
    int binary, sample_bytes;
    int sections;       /* bit 0 [Common Infos], 1 [Binary Infos], 2 [Channel Infos] */
} vhdr_facts;

static int vhdr_line(vhdr_facts *v, const char *line, const char *section)
{
    if (!strncmp(line, "DataFile=", 9))
        emgi_strlcpy(v->data_file, line + 9, sizeof v->data_file);
    else if (!strncmp(line, "MarkerFile=", 11))
        emgi_strlcpy(v->marker_file, line + 11, sizeof v->marker_file);
    else if (!strncmp(line, "NumberOfChannels=", 17))
        v->channels = strtol(line + 17, NULL, 10);
    else if (!strncmp(line, "SamplingInterval=", 17)) {
        char *end;
        v->interval_us = strtod(line + 17, &end);
        if (*end && *end != ' ' && *end != ';')
            v->interval_us = -1;
    } else if (!strncmp(line, "DataFormat=", 11))
        v->binary = !strncmp(line + 11, "BINARY", 6);
    else if (!strncmp(line, "BinaryFormat=", 13)) {
        const char *f = line + 13;
        v->sample_bytes = !strncmp(f, "INT_16", 6) || !strncmp(f, "UINT_16", 7)     ? 2
                          : !strncmp(f, "INT_32", 6) || !strncmp(f, "IEEE_FLOAT_32", 13) ? 4
                                                                                        : -1;
    } else if (!strcmp(section, "[Channel Infos]") && line[0] == 'C' && line[1] == 'h' &&
               line[2] >= '1' && line[2] <= '9')
        v->channel_lines++;
    return 0;
}

/* Marker lines "Mk<n>=<type>,<description>,<position>,<points>,<channel>[,<date>]";
 * libbiosig reads past its buffer on some damaged ones (fuzzing). */
static int marker_line_ok(const char *line)
{
    if (line[0] != 'M' || line[1] != 'k')
        return 0;
    const char *p = line + 2;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != '=')
        return 0;
    int commas = 0;
    const char *field[6] = {p};
    for (const char *q = p; *q; q++)
        if (*q == ',' && commas < 5)
            field[++commas] = q + 1;
    if (commas < 4)
        return 0;
    for (int k = 2; k <= 4; k++) { /* position, points, channel: digits */
        const char *q = field[k];
        if (*q < '0' || *q > '9')
            return 0;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q != ',' && *q != '\0')
            return 0;
    }
    if (commas == 5)
        for (const char *q = field[5]; *q; q++)
            if (*q < '0' || *q > '9')
                return 0;
    return 1;
}

static const char *check_markers(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL; /* libbiosig reads the data without markers */
    char line[4096];
    int in_markers = 0, last_newline = 1;
    const char *why = NULL;
    while (!why && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        last_newline = len > 0 && line[len - 1] == '\n';
        for (const unsigned char *p = (const unsigned char *)line; *p && !why; p++)
            if (*p < 32 && *p != '\t' && *p != '\r' && *p != '\n')
                why = "control characters in the marker file";
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '[')
            in_markers = !strcmp(line, "[Marker Infos]");
        else if (in_markers && line[0] && line[0] != ';' && !marker_line_ok(line))
            why = "a marker line is not Mk<n>=<type>,<description>,<position>,<points>,<channel>";
    }
    fclose(f);
    if (!why && !last_newline)
        why = "the marker file does not end with a line break (truncated?)";
    return why;
}

/* The data and marker files a BrainVision header names: inside its folder
 * unless allowed, and regular files (libbiosig would block on a FIFO). */
static int check_brainvision_file(const char *path, const char *name, const char *kind,
                                  int allow_outside, char *resolved, size_t n, emg_error *err)
{
    if (!allow_outside && !emgi_path_stays_inside(name))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision %s file '%s' lies outside "
                             "the recording's folder (refused)", path, kind, name);
    emgi_sibling_path(path, name, resolved, n);
    struct stat st;
    if (stat(resolved, &st) == 0 && !S_ISREG(st.st_mode))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision %s file %s is not a regular "
                             "file", path, kind, resolved);
    return EMG_OK;
}

static int check_brainvision(const char *path, int allow_outside, emg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: cannot open", path);
    vhdr_facts v;
    memset(&v, 0, sizeof v);
    v.binary = 1;
    char line[2048], section[64] = "";
    int bad_byte = 0, first = 1, ok_magic = 0;
    while (fgets(line, sizeof line, f)) {
        for (const unsigned char *p = (const unsigned char *)line; *p; p++)
            if (*p < 32 && *p != '\t' && *p != '\r' && *p != '\n')
                bad_byte = 1;
        line[strcspn(line, "\r\n")] = '\0';
        const char *text = !strncmp(line, "\xef\xbb\xbf", 3) ? line + 3 : line;
        if (first) {
            ok_magic = strstr(text, "Vision Data Exchange Header File") != NULL &&
                       strstr(text, "Version 1.0") != NULL;
            first = 0;
        } else if (text[0] == '[') {
            emgi_strlcpy(section, text, sizeof section);
            v.sections |= !strcmp(section, "[Common Infos]")    ? 1
                          : !strcmp(section, "[Binary Infos]")  ? 2
                          : !strcmp(section, "[Channel Infos]") ? 4
                                                                : 0;
        } else {
            vhdr_line(&v, text, section);
        }
    }
    fclose(f);
    const char *why = NULL;
    if (!ok_magic)
        why = "first line is not 'Brain Vision Data Exchange Header File Version 1.0'";
    else if ((v.sections & 5) != 5 || (v.binary && !(v.sections & 2)))
        why = "a [Common Infos], [Binary Infos] or [Channel Infos] section is missing";
    else if (bad_byte)
        why = "control characters in the header";
    else if (v.channels < 1 || v.channels > 65535)
        why = "NumberOfChannels missing or out of range";
    else if (!(v.interval_us > 0) || v.interval_us > 1e9)
        why = "SamplingInterval missing or not a positive number";
    else if (v.channel_lines < v.channels)
        why = "fewer [Channel Infos] lines than NumberOfChannels";
    else if (!v.data_file[0])
        why = "no DataFile";
    else if (v.binary && v.sample_bytes <= 0)
        why = "BinaryFormat missing or unknown";
    if (why)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision header: %s", path, why);
    char data[2200];
    int rc = check_brainvision_file(path, v.data_file, "data", allow_outside, data, sizeof data,
                                    err);
    if (rc < 0)
        return rc;
    struct stat st;
    if (stat(data, &st) != 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision data file %s: %s", path, data,
                             strerror(errno));
    if (v.marker_file[0]) {
        char markers[2200];
        rc = check_brainvision_file(path, v.marker_file, "marker", allow_outside, markers,
                                    sizeof markers, err);
        if (rc < 0)
            return rc;
        const char *bad = check_markers(markers);
        if (bad)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision markers %s: %s", path,
                                 markers, bad);
    }
    long long frame = (long long)v.channels * v.sample_bytes;
    if (v.binary && st.st_size % frame)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: BrainVision data file %s holds %lld "
                             "bytes, not a whole number of %lld-byte samples (truncated?)",
                             path, data, (long long)st.st_size, frame);
    return EMG_OK;
}

/* GDF 2 "header 3": tag (1 byte), length (3 bytes), value; tag 0 ends it. */
static const char *check_gdf_tags(const char *path, long long from, long long to)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, (long)from, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return "cannot read header 3";
    }
    const char *why = NULL;
    for (long long at = from; at + 4 <= to && !why;) {
        unsigned char tag[4];
        if (fread(tag, 1, 4, f) != 4) {
            why = "header 3 truncated";
            break;
        }
        if (tag[0] == 0)
            break;
        long long len = tag[1] | tag[2] << 8 | (long long)tag[3] << 16;
        if (at + 4 + len > to)
            why = "a header 3 field runs past the header";
        at += 4 + len;
        if (fseek(f, (long)at, SEEK_SET) != 0)
            why = "header 3 truncated";
    }
    fclose(f);
    return why;
}

/* GDF fixed header (Schloegl 2006): version at 0, header length at 184
 * (GDF 2: uint16 count of 256-byte blocks; GDF 1: int64 bytes), number of
 * records at 236 (int64), number of signals at 252 (GDF 2: uint16; GDF 1:
 * uint32).  libbiosig 3.0.1 overruns buffers or allocates absurd sizes when
 * these disagree with the file (fuzzing), so they are checked first. */
static int check_gdf(const char *path, emg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: cannot open", path);
    unsigned char h[256];
    size_t got = fread(h, 1, sizeof h, f);
    struct stat st;
    long long size = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
    fclose(f);
    if (got < 256)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: GDF header truncated (%zu bytes)", path,
                             got);
    int v2 = h[4] >= '2';
    long long head = v2 ? 256LL * (h[184] | h[185] << 8)
                        : (long long)((uint64_t)h[184] | (uint64_t)h[185] << 8 |
                                      (uint64_t)h[186] << 16 | (uint64_t)h[187] << 24);
    long long ns = v2 ? (h[252] | h[253] << 8)
                      : (long long)((uint32_t)h[252] | (uint32_t)h[253] << 8 |
                                    (uint32_t)h[254] << 16 | (uint32_t)h[255] << 24);
    uint64_t records = 0;
    for (int k = 7; k >= 0; k--)
        records = records << 8 | h[236 + k];
    long long nrec = (long long)records;
    const char *why = NULL;
    if (ns < 1 || ns > 65535)
        why = "number of signals out of range";
    else if (head < 256 * (ns + 1))
        why = "header length shorter than its signal headers";
    else if (head > size)
        why = "header length beyond the end of the file";
    else if (nrec < -1)
        why = "negative number of records";
    if (!why && v2 && head > 256 * (ns + 1))
        why = check_gdf_tags(path, 256 * (ns + 1), head);
    if (why)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: GDF header: %s", path, why);
    return EMG_OK;
}

/* After sopen: the records libbiosig will read must be in the file. */
static int check_size(HDRTYPE *h, const char *path, emg_error *err)
{
    struct stat st;
    if (biosig_get_filetype(h) != GDF && biosig_get_filetype(h) != GDF1)
        return EMG_OK;
    if (stat(path, &st) != 0 || h->NRec < 0)
        return EMG_OK;
    double need = (double)h->HeadLen + (double)h->NRec * (double)h->AS.bpb;
    if (need > (double)st.st_size)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: truncated: header declares %lld records (%.0f bytes), file "
                             "holds %lld bytes", path, (long long)h->NRec, need,
                             (long long)st.st_size);
    return EMG_OK;
}

static int is_brainvision(const char *path)
{
    FILE *f = fopen(path, "rb");
    char head[64] = "";
    if (f) {
        size_t n = fread(head, 1, sizeof head - 1, f);
        head[n] = '\0';
        fclose(f);
    }
    return strstr(head, "Vision Data Exchange Header") != NULL ||
           emgi_str_ieq(emgi_path_extension(path), "vhdr");
}

static int add_channel(biosig_reader *r, emg_header *hdr, CHANNEL_TYPE *c, double fs,
                       emg_error *err)
{
    emg_channel ch;
    emg_channel_init(&ch);
    const char *label = biosig_channel_get_label(c);
    emgi_strlcpy(ch.name, label ? label : "", sizeof ch.name);
    for (size_t len = strlen(ch.name); len && ch.name[len - 1] == ' '; len--)
        ch.name[len - 1] = '\0';
    int taken = 0;
    for (size_t i = 0; i < hdr->n_channels; i++)
        taken |= !strcmp(hdr->channels[i].name, ch.name);
    if (!ch.name[0] || taken)
        snprintf(ch.name + strlen(ch.name), sizeof ch.name - strlen(ch.name), "%sch%zu",
                 ch.name[0] ? "-" : "", hdr->n_channels + 1);
    const char *unit = biosig_channel_get_physdim(c);
    emgi_strlcpy(ch.unit, unit ? unit : "", sizeof ch.unit);
    ch.fs = fs;
    ch.n_samples = (int64_t)(r->n_records * r->spr);
    /* physical = digital * Cal + Off */
    double pmax, pmin, dmax, dmin;
    biosig_channel_get_scaling(c, &pmax, &pmin, &dmax, &dmin);
    double cal = biosig_channel_get_cal(c), off = biosig_channel_get_off(c);
    int datatype = biosig_channel_get_datatype(c);
    int is_float = datatype == 16 || datatype == 17 || datatype == 18;
    if (dmin > dmax) {
        double t = dmin;
        dmin = dmax;
        dmax = t;
    }
    if (!is_float && cal != 0 && isfinite(cal) && isfinite(off) && dmax > dmin &&
        dmin >= -2147483648.0 && dmax <= 2147483647.0) {
        ch.gain = 1.0 / cal;
        ch.baseline = off == 0 ? 0.0 : -off / cal;
        ch.digital_min = (int32_t)dmin;
        ch.digital_max = (int32_t)dmax;
    }
    double own = fs * (double)biosig_channel_get_samples_per_record(c) / (double)r->spr;
    int rc = emg_header_add_channel(hdr, &ch, err);
    if (rc >= 0 && own > 0 && fabs(own - fs) > 1e-9 * fs)
        rc = emg_header_add_note(hdr, err, "channel '%s' recorded at %g Hz, read at the file's "
                                 "common %g Hz (samples repeated)", ch.name, own, fs);
    return rc;
}

static int add_events(biosig_reader *r, emg_header *hdr, emg_error *err)
{
    size_t n = biosig_get_number_of_events(r->h);
    double efs = biosig_get_eventtable_samplerate(r->h);
    if (!(efs > 0))
        efs = biosig_get_samplerate(r->h);
    for (size_t k = 0; k < n; k++) {
        uint16_t typ = 0, chn = 0;
        uint32_t pos = 0, dur = 0;
        gdf_time when = 0;
        const char *desc = NULL;
        if (biosig_get_nth_event(r->h, k, &typ, &pos, &chn, &dur, &when, &desc) != 0)
            continue;
        char text[64];
        if (!desc || !*desc) {
            snprintf(text, sizeof text, "event 0x%04x", typ);
            desc = text;
        }
        int channel = chn > 0 && (size_t)chn <= r->n_channels ? chn - 1 : -1;
        int rc = emg_header_add_annotation(hdr, pos / efs, dur / efs, channel, desc, err);
        if (rc < 0)
            return rc;
    }
    return EMG_OK;
}

/* gdf_time: days since 0000-01-01 in fixed point, 32 fractional bits. */
static void start_time(emg_header *hdr, HDRTYPE *h)
{
    gdf_time t = biosig_get_startdatetime_gdf(h);
    if (t == 0)
        return;
    double unix_s = (ldexp((double)t, -32) - 719529.0) * 86400.0;
    if (!(fabs(unix_s) < 1e11)) /* beyond year 5000: damaged */
        return;
    long long micro = llround(unix_s * 1e4) * 100; /* GDF time steps are ~20 us */
    time_t whole = (time_t)(micro >= 0 ? micro / 1000000 : (micro - 999999) / 1000000);
    struct tm tm;
    if (!gmtime_r(&whole, &tm) || tm.tm_year + 1900 < 1800)
        return;
    double second = tm.tm_sec + (double)(micro - (long long)whole * 1000000) / 1e6;
    emg_time_format(hdr->start_time, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                    tm.tm_min, second);
}

static int biosig_open(void **state, const char *path, const emg_read_options *opts,
                       emg_header *hdr, emg_format *detected, emg_error *err)
{
    *state = NULL;
    biosig_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(r->path, path, sizeof r->path);
    FILE *magic = fopen(path, "rb");
    char head[3] = "";
    if (magic) {
        if (fread(head, 1, 3, magic) != 3)
            head[0] = '\0';
        fclose(magic);
    }
    if (!memcmp(head, "GDF", 3) || is_brainvision(path)) {
        int rc = !memcmp(head, "GDF", 3) ? check_gdf(path, err)
                                      : check_brainvision(path, opts->allow_outside_paths, err);
        if (rc < 0) {
            free(r);
            return rc;
        }
    }
    HDRTYPE *h = constructHDR(0, 0);
    if (!h) {
        free(r);
        return emg_error_set(err, EMG_ERR_NOMEM, "%s: libbiosig: out of memory", path);
    }
    h->FLAG.UCAL = 0;
    h->FLAG.ROW_BASED_CHANNELS = 0;
    h->FLAG.OVERFLOWDETECTION = 0;
    h = sopen(path, "r", h);
    if (!h || biosig_check_error(h)) {
        int rc = biosig_failure(h, path, err);
        release(h);
        free(r);
        return rc;
    }
    r->h = h;
    *detected = EMG_FORMAT_BIOSIG;
    if (h->FILE.OPEN != 1) {
        biosig_close(r);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: libbiosig opened no data", path);
    }
    int rc0 = check_size(h, path, err);
    if (rc0 < 0) {
        biosig_close(r);
        return rc0;
    }
    double fs = biosig_get_samplerate(h);
    r->spr = h->SPR;
    r->n_records = h->NRec > 0 ? (size_t)h->NRec : 0;
    int rc = EMG_OK;
    if (!(fs > 0) || r->spr == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: libbiosig: no sampling rate", path);
    for (int k = 0; rc >= 0 && k < h->NS; k++) {
        CHANNEL_TYPE *c = biosig_get_channel(h, k);
        if (c->OnOff != 1) {
            c->OnOff = 0; /* time axes and switched-off channels stay out */
            continue;
        }
        rc = add_channel(r, hdr, c, fs, err);
        r->n_channels++;
    }
    if (rc >= 0)
        rc = add_events(r, hdr, err);
    start_time(hdr, h);
    if (rc >= 0) {
        double seconds = opts && opts->block_seconds_hint_ms ? opts->block_seconds_hint_ms / 1e3
                                                             : 1.0;
        size_t n = (size_t)(seconds * fs / (double)r->spr);
        r->records_per_block = n < 1 ? 1 : n;
    }
    if (rc < 0) {
        biosig_close(r);
        return rc;
    }
    *state = r;
    return EMG_OK;
}

/* libbiosig 3.0.1 returns zeros or misplaced samples when sread() starts
 * anywhere but record 0 (seen with BrainVision files), so the whole signal
 * is read by the first call and handed out in blocks: memory grows with the
 * file for this fallback reader (docs/formats/biosig.md). */
static int biosig_read(void *state, emg_block *blk, emg_error *err)
{
    biosig_reader *r = state;
    if (r->next_record >= r->n_records)
        return 0;
    if (!r->data) {
        size_t got = sread(NULL, 0, r->n_records, r->h);
        if (got != r->n_records || biosig_get_datablock(r->h, &r->data, &r->rows,
                                                        &r->columns) != 0 || !r->data)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: libbiosig: read %zu of %zu records",
                                 r->path, got, r->n_records);
        /* Column-based: rows = samples, one column per channel. */
        if (r->columns < r->n_channels || r->rows < r->n_records * r->spr)
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: libbiosig returned %zu x %zu values, "
                                 "expected %zu x %zu", r->path, r->rows, r->columns,
                                 r->n_records * r->spr, r->n_channels);
    }
    size_t want = r->n_records - r->next_record;
    if (want > r->records_per_block)
        want = r->records_per_block;
    size_t first = r->next_record * r->spr, samples = want * r->spr;
    int rc = emg_block_reserve(blk, r->n_channels, samples, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->n_channels; i++) {
        memcpy(blk->data[i], r->data + i * r->rows + first, samples * sizeof(double));
        blk->count[i] = samples;
    }
    r->next_record += want;
    return 1;
}

#else /* no libbiosig */

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
    return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: built without libbiosig", path);
}

static int biosig_read(void *state, emg_block *blk, emg_error *err)
{
    (void)state;
    (void)blk;
    (void)err;
    return 0;
}

static void biosig_close(void *state) { (void)state; }

#endif

const emg_format_reader emgi_biosig_reader = {
    "biosig", biosig_probe, biosig_open, biosig_read, biosig_close,
};
