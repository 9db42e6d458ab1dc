/* io_sndfile.c: audio containers (WAV, FLAC, AIFF, CAF, W64, RF64, OGG, ...)
 * through libsndfile.
 *
 * References:
 *   libsndfile API, http://libsndfile.github.io/libsndfile/api.html
 *   Microsoft/IBM RIFF WAVE (1991, "Multimedia Programming Interface and Data
 *     Specifications 1.0"): chunk layout, LIST/INFO; EBU Tech 3306 (RF64, ds64).
 *   Backyard Brains Spike Recorder: LIST/INFO sub-chunks "cnam" (channel
 *     names, ';'-separated), "cgin", "ctrs", "cpos", "cclr", "ctms", "clbr"
 *     (display settings, not a calibration).
 *
 * Reading: one channel per audio channel.  Integer PCM of b bits reads as
 * digital / 2^(b-1) (libsndfile's normalisation), float as stored; both are
 * then multiplied by the full scale: the caller's opts->full_scale, else the
 * one this module stored in the file's comment, else 1 (no physical scale).
 * The channel's calibration is that of the PCM: gain = 2^(b-1) / full_scale,
 * baseline 0, digital range [-2^(b-1), 2^(b-1) - 1].
 *
 * libsndfile silently shortens a file whose header promises more samples than
 * it holds.  This module checks first: for RIFF/RIFX/RF64 files it walks the
 * chunks itself (data chunk size against file size, the never-finalised
 * header with RIFF and data sizes 0, no RIFF header at all); for other
 * containers it reads libsndfile's parse log ("should be", frame counts that
 * disagree); and while reading, a stream that ends early is an error.
 *
 * Writing: WAV, AIFF, CAF, W64, RF64 (float32 by default, or float64, PCM16,
 * PCM24, PCM32) and FLAC (PCM24 by default, or PCM16).  Float output holds
 * physical / full_scale (full_scale 1 unless opts->full_scale is given).
 * Integer output needs a full scale: opts->full_scale, else the channel's
 * calibration (the physical value of its ADC's largest magnitude) when every
 * sample fits it, else the largest magnitude in the data; without
 * opts->full_scale the blocks are spooled first to check the data.
 * The scale, unit, names, exact rate, start time and annotations go into the
 * file's comment string (docs/formats/audio.md):
 *   emgkit=1 fs=10000 full_scale=0.5,0.5 unit=mV names=EMG%20biceps,Force
 *   start=2024-01-01T10:00:00 ann=0.5:1.25:-1:contraction,...
 * Lists with one item apply to every channel; items are percent-encoded.
 * W64 holds no strings in libsndfile: its files carry no scale. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sndfile.h>
#include "emgkit/emgkit.h"
#include "io_internal.h"
#include "io_spool.h"

/* Longest comment each container reads back through libsndfile (measured:
 * WAV/RF64 INFO strings over ~2 kB are dropped on reading, AIFF over ~8 kB
 * make the file unreadable). */
#define COMMENT_MAX_RIFF 2000
#define COMMENT_MAX_AIFF 8000
#define COMMENT_MAX_CAF 16000
#define COMMENT_MAX_FLAC 60000

/* ------------------------------------------------------- percent encoding */

static int needs_escape(unsigned char c)
{
    return c <= 32 || c >= 127 || c == '%' || c == ',' || c == '=' || c == ':' || c == ';';
}

/* Append s to buf (size cap, length *len), percent-encoded. */
static void append_escaped(char *buf, size_t cap, size_t *len, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*len + 4 >= cap)
            return;
        if (needs_escape(*p))
            *len += (size_t)snprintf(buf + *len, cap - *len, "%%%02X", *p);
        else
            buf[(*len)++] = (char)*p;
    }
    buf[*len] = '\0';
}

static void append_text(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 >= cap)
        return;
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

/* Decode in place. */
static void unescape(char *s)
{
    char *out = s;
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            *out++ = (char)v;
            s += 2;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* Item k of a comma-separated list (one item: every k); decoded into out. */
static int list_item(const char *list, size_t k, char *out, size_t n)
{
    if (!list)
        return -1;
    size_t count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    if (count == 1)
        k = 0;
    else if (k >= count)
        return -1;
    const char *start = list;
    for (size_t i = 0; i < k; i++)
        start = strchr(start, ',') + 1;
    size_t len = strcspn(start, ",");
    char item[1024];
    snprintf(item, sizeof item, "%.*s", (int)len, start);
    unescape(item);
    emgi_strlcpy(out, item, n);
    return 0;
}

/* ------------------------------------------------------- stored metadata */

typedef struct stored_meta {
    char *text;         /* copy of the comment, split in place */
    const char *fs, *full_scale, *unit, *names, *start, *subject, *recording, *ann;
} stored_meta;

static int parse_meta(stored_meta *m, const char *comment)
{
    memset(m, 0, sizeof *m);
    if (!comment || strncmp(comment, "emgkit=1", 8))
        return 0;
    m->text = strdup(comment);
    if (!m->text)
        return 0;
    for (char *tok = strtok(m->text, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(tok, "fs")) m->fs = v;
        else if (!strcmp(tok, "full_scale")) m->full_scale = v;
        else if (!strcmp(tok, "unit")) m->unit = v;
        else if (!strcmp(tok, "names")) m->names = v;
        else if (!strcmp(tok, "start")) m->start = v;
        else if (!strcmp(tok, "subject")) m->subject = v;
        else if (!strcmp(tok, "recording")) m->recording = v;
        else if (!strcmp(tok, "ann")) m->ann = v;
    }
    return 1;
}

/* ann=onset:duration:channel:text,... */
static int meta_annotations(const stored_meta *m, emg_header *hdr, emg_error *err)
{
    if (!m->ann || !*m->ann)
        return EMG_OK;
    char *copy = strdup(m->ann);
    if (!copy)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    int rc = EMG_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && rc >= 0;
         item = strtok_r(NULL, ",", &save)) {
        double onset, duration;
        int channel, used = 0;
        if (sscanf(item, "%lf:%lf:%d:%n", &onset, &duration, &channel, &used) < 3 || !used)
            continue;
        char *text = item + used;
        unescape(text);
        if (channel >= (int)hdr->n_channels)
            channel = -1;
        rc = emg_header_add_annotation(hdr, onset, duration, channel, text, err);
    }
    free(copy);
    return rc;
}

/* ------------------------------------------------------- RIFF inspection */

typedef struct riff_info {
    int is_riff;        /* RIFF, RIFX or RF64 container */
    char names[1024];   /* Backyard Brains "cnam", UTF-8, ';'-separated */
} riff_info;

static uint32_t u32(const unsigned char *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t u64(const unsigned char *p)
{
    return (uint64_t)u32(p + 4, 0) << 32 | u32(p, 0);
}

static void parse_info(riff_info *info, const unsigned char *p, size_t len)
{
    for (size_t at = 4; at + 8 <= len;) {
        uint32_t size = u32(p + at + 4, 0);
        if (size > len - at - 8)
            break;
        const unsigned char *body = p + at + 8;
        if (!memcmp(p + at, "cnam", 4))
            emgi_utf8_from_bytes(info->names, sizeof info->names, (const char *)body, size);
        at += 8 + size + (size & 1);
    }
}

static int riff_error(const char *path, emg_error *err, const char *fmt, long long a, long long b)
{
    char why[200];
    snprintf(why, sizeof why, fmt, a, b);
    return emg_error_set(err, EMG_ERR_FORMAT, "%s: %s", path, why);
}

/* A chunk other than data that runs past the end of the file: the file was
 * cut.  In the LIST chunk that loses, without a word from libsndfile, the
 * channel names, units, physical scale, start time and annotations stored
 * there (the values would then read as fractions of full scale). */
static int cut_chunk_error(const char *path, const unsigned char *id, long long declared,
                           long long held, emg_error *err)
{
    char name[5];
    for (int k = 0; k < 4; k++)
        name[k] = id[k] >= 32 && id[k] < 127 ? (char)id[k] : '?';
    name[4] = '\0';
    return emg_error_set(err, EMG_ERR_FORMAT, "%s: truncated inside its '%s' chunk (declares "
                         "%lld bytes, file holds %lld)%s", path, name, declared,
                         held > 0 ? held : 0,
                         !strcmp(name, "LIST") ? ": the channel names, units, scale, start time "
                                                 "and annotations stored there are incomplete"
                                               : "");
}

/* Walk a RIFF/RIFX/RF64 file's chunks: find the data chunk, check it against
 * the file size, and pick up LIST/INFO names. */
static int inspect_riff(riff_info *info, const char *path, emg_error *err)
{
    memset(info, 0, sizeof *info);
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    long long size = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
    unsigned char head[12];
    int rc = EMG_OK;
    if (fread(head, 1, 12, f) != 12 ||
        (memcmp(head, "RIFF", 4) && memcmp(head, "RIFX", 4) && memcmp(head, "RF64", 4)) ||
        memcmp(head + 8, "WAVE", 4)) {
        fclose(f);
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: no RIFF/WAVE header (file starts %02x %02x %02x %02x): "
                             "not a WAV file", path, head[0], head[1], head[2], head[3]);
    }
    info->is_riff = 1;
    int big = !memcmp(head, "RIFX", 4), rf64 = !memcmp(head, "RF64", 4);
    uint32_t riff_size = u32(head + 4, big);
    uint64_t ds64_data = 0;
    unsigned block_align = 0;
    long long at = 12;
    unsigned char chunk[8];
    while (rc >= 0 && at + 8 <= size && fseek(f, at, SEEK_SET) == 0 && fread(chunk, 1, 8, f) == 8) {
        uint64_t len = u32(chunk + 4, big);
        if (!memcmp(chunk, "ds64", 4)) {
            unsigned char body[16];
            if (fread(body, 1, 16, f) == 16)
                ds64_data = u64(body + 8);
        } else if (!memcmp(chunk, "fmt ", 4)) {
            unsigned char body[16];
            if (fread(body, 1, 16, f) == 16)
                block_align = (unsigned)(big ? body[12] << 8 | body[13] : body[13] << 8 | body[12]);
        } else if (!memcmp(chunk, "data", 4)) {
            if (rf64 && len == 0xFFFFFFFFu)
                len = ds64_data;
            long long start = at + 8, held = size - start;
            if (len == 0 && riff_size == 0 && held > 0)
                rc = riff_error(path, err,
                                "incomplete header: RIFF and data chunk sizes are 0 (the "
                                "recording was never finalised), %lld bytes follow at %lld",
                                held, start);
            else if ((long long)len > held && block_align)
                rc = riff_error(path, err, "truncated: header declares %lld frames, file holds %lld",
                                (long long)(len / block_align), held / block_align);
            else if ((long long)len > held)
                rc = riff_error(path, err, "truncated: data chunk declares %lld bytes, file holds %lld",
                                (long long)len, held);
        } else if (!memcmp(chunk, "LIST", 4) && len >= 4 && len <= 1 << 20 && at + 8 + (long long)len <= size) {
            unsigned char *body = malloc(len);
            if (body && fread(body, 1, len, f) == len && !memcmp(body, "INFO", 4))
                parse_info(info, body, len);
            free(body);
        }
        if (rc >= 0 && memcmp(chunk, "data", 4) && at + 8 + (long long)len > size)
            rc = cut_chunk_error(path, chunk, (long long)len, size - at - 8, err);
        at += 8 + (long long)len + (long long)(len & 1);
    }
    /* Cut inside the next chunk's header, where the RIFF size promises one. */
    if (rc >= 0 && !rf64 && at < size && at + 8 > size && (long long)riff_size + 8 >= at + 8)
        rc = riff_error(path, err, "truncated inside a chunk header at byte %lld of %lld", at,
                        size);
    fclose(f);
    return rc;
}

static int pcm_bits(int format);

/* Bytes per frame of uncompressed data, 0 when compressed. */
static long long frame_bytes(const SF_INFO *in)
{
    int sub = in->format & SF_FORMAT_SUBMASK;
    int major = in->format & SF_FORMAT_TYPEMASK;
    if (major == SF_FORMAT_FLAC || major == SF_FORMAT_OGG)
        return 0;
    int bytes = sub == SF_FORMAT_FLOAT ? 4 : sub == SF_FORMAT_DOUBLE ? 8 : pcm_bits(in->format) / 8;
    return sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24 || sub == SF_FORMAT_PCM_32 ||
                   sub == SF_FORMAT_PCM_S8 || sub == SF_FORMAT_PCM_U8 || sub == SF_FORMAT_FLOAT ||
                   sub == SF_FORMAT_DOUBLE
               ? (long long)bytes * in->channels
               : 0;
}

/* Containers other than RIFF: libsndfile's log says when sizes disagree
 * ("SSND : 40008 (should be 19981)", frame counts from COMM or ds64). */
static int check_log(SNDFILE *sf, const SF_INFO *in, const char *path, emg_error *err)
{
    char log[8192] = "";
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    long long declared = -1, excess = 0;
    const char *p;
    if ((p = strstr(log, "Frame count read from 'COMM' chunk (")))
        declared = atoll(p + strlen("Frame count read from 'COMM' chunk ("));
    else if ((p = strstr(log, "does not match value from 'ds64' chunk of ")))
        declared = atoll(p + strlen("does not match value from 'ds64' chunk of "));
    for (p = strstr(log, "(should be "); p; p = strstr(p + 1, "(should be ")) {
        const char *colon = p;
        while (colon > log && *colon != ':' && colon[-1] != '\n')
            colon--;
        long long said = *colon == ':' ? atoll(colon + 1) : 0;
        long long actual = atoll(p + strlen("(should be "));
        if (said - actual > excess)
            excess = said - actual;
    }
    long long bpf = frame_bytes(in);
    if (declared < 0 && excess > 0 && bpf > 0)
        declared = in->frames + excess / bpf;
    if (declared > in->frames)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: truncated: header declares %lld frames, file holds %lld", path,
                             declared, (long long)in->frames);
    if (excess > 0)
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: truncated: chunk sizes exceed the file by %lld bytes (file "
                             "holds %lld frames)", path, excess, (long long)in->frames);
    return EMG_OK;
}

/* ------------------------------------------------------------------ reader */

typedef struct sf_reader {
    SNDFILE *sf;
    SF_INFO info;
    double *scale;      /* per channel: physical = normalised * scale */
    double *frames;     /* interleaved block */
    float *frames_f;    /* interleaved block of a float file (read as stored: libsndfile's
                           float -> double pass over the block is the same conversion as
                           ours, done once more) */
    size_t block_frames;
    sf_count_t done;
    int ended_early;    /* the last read returned fewer frames than asked */
    char path[4096];
} sf_reader;

static int audio_magic(const unsigned char *h, size_t len)
{
    if (len < 12)
        return 0;
    return (!memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVE", 4)) ||
           (!memcmp(h, "RIFX", 4) && !memcmp(h + 8, "WAVE", 4)) ||
           (!memcmp(h, "RF64", 4) && !memcmp(h + 8, "WAVE", 4)) ||
           (!memcmp(h, "FORM", 4) && (!memcmp(h + 8, "AIFF", 4) || !memcmp(h + 8, "AIFC", 4))) ||
           !memcmp(h, "caff", 4) || !memcmp(h, "fLaC", 4) || !memcmp(h, "OggS", 4) ||
           !memcmp(h, "riff\x2e\x91\xcf\x11", 8) || !memcmp(h, ".snd", 4) ||
           !memcmp(h, "dns.", 4);
}

static int sf_probe(const unsigned char *head, size_t len, const char *path)
{
    if (audio_magic(head, len))
        return 80;
    static const char *const audio_ext[] = {"wav", "wave", "flac", "aif", "aiff", "aifc", "caf",
                                            "w64", "rf64", "ogg", "oga", "opus", "au", "snd",
                                            "voc", "paf", "svx", "nist", "sph", "sd2", "ircam",
                                            "sf", "htk", "sds", "avr", "xi", "mpc", "wve", "mp3"};
    const char *ext = emgi_path_extension(path);
    for (size_t i = 0; i < sizeof audio_ext / sizeof *audio_ext; i++)
        if (emgi_str_ieq(ext, audio_ext[i]))
            return 5; /* let libsndfile (or the RIFF check) say what is wrong */
    return 0;
}

/* Bits of integer PCM, 0 for float or compressed data without a fixed ADC. */
static int pcm_bits(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: return 8;
    case SF_FORMAT_PCM_16: case SF_FORMAT_ULAW: case SF_FORMAT_ALAW: case SF_FORMAT_IMA_ADPCM:
    case SF_FORMAT_MS_ADPCM: case SF_FORMAT_GSM610: case SF_FORMAT_DPCM_16:
    case SF_FORMAT_DWVW_16: return 16;
    case SF_FORMAT_PCM_24: case SF_FORMAT_DWVW_24: return 24;
    case SF_FORMAT_PCM_32: return 32;
    default: return 0;
    }
}

static emg_format container(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX: return EMG_FORMAT_WAV;
    case SF_FORMAT_FLAC: return EMG_FORMAT_FLAC;
    case SF_FORMAT_AIFF: return EMG_FORMAT_AIFF;
    case SF_FORMAT_CAF: return EMG_FORMAT_CAF;
    case SF_FORMAT_W64: return EMG_FORMAT_W64;
    case SF_FORMAT_RF64: return EMG_FORMAT_RF64;
    default: return EMG_FORMAT_SNDFILE;
    }
}

static void sf_reader_close(void *state)
{
    sf_reader *r = state;
    if (!r)
        return;
    if (r->sf)
        sf_close(r->sf);
    free(r->scale);
    free(r->frames);
    free(r->frames_f);
    free(r);
}

/* Channel names: stored names, else Backyard Brains "cnam", else ch1, ch2... */
static void channel_name(char *out, size_t n, size_t i, const stored_meta *m,
                         const riff_info *riff)
{
    out[0] = '\0';
    if (list_item(m->names, i, out, n) == 0 && *out)
        return;
    const char *p = riff->names;
    for (size_t k = 0; k < i && p; k++) {
        p = strchr(p, ';');
        p = p ? p + 1 : NULL;
    }
    if (p && *p && *p != ';')
        snprintf(out, n, "%.*s", (int)strcspn(p, ";"), p);
    if (!*out)
        snprintf(out, n, "ch%zu", i + 1);
}

static int name_taken(const emg_header *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n_channels; i++)
        if (!strcmp(hdr->channels[i].name, name))
            return 1;
    return 0;
}

static int fill_channels(sf_reader *r, emg_header *hdr, const emg_read_options *opts,
                         const stored_meta *m, const riff_info *riff, emg_error *err)
{
    int bits = pcm_bits(r->info.format);
    double fs = r->info.samplerate;
    if (m->fs && atof(m->fs) > 0 && fabs(atof(m->fs) - fs) < 1)
        fs = atof(m->fs); /* exact rate of a fractional-rate recording */
    r->scale = emgi_xcalloc((size_t)r->info.channels, sizeof *r->scale, err);
    if (!r->scale)
        return EMG_ERR_NOMEM;
    int scaled = opts->full_scale > 0 || m->full_scale;
    for (int i = 0; i < r->info.channels; i++) {
        emg_channel ch;
        emg_channel_init(&ch);
        channel_name(ch.name, sizeof ch.name, (size_t)i, m, riff);
        for (int k = 2; name_taken(hdr, ch.name); k++)
            snprintf(ch.name, sizeof ch.name, "ch%d-%d", i + 1, k);
        char text[64] = "";
        double full_scale = 1.0;
        if (opts->full_scale > 0)
            full_scale = opts->full_scale;
        else if (list_item(m->full_scale, (size_t)i, text, sizeof text) == 0 && atof(text) != 0)
            full_scale = atof(text);
        if (opts->unit)
            emgi_strlcpy(ch.unit, opts->unit, sizeof ch.unit);
        else
            list_item(m->unit, (size_t)i, ch.unit, sizeof ch.unit);
        ch.fs = fs;
        ch.n_samples = r->info.frames;
        if (bits) {
            double top = ldexp(1.0, bits - 1);
            ch.gain = top / full_scale;
            ch.baseline = 0;
            ch.digital_min = (int32_t)-top;
            ch.digital_max = (int32_t)(top - 1);
        }
        r->scale[i] = full_scale;
        int rc = emg_header_add_channel(hdr, &ch, err);
        if (rc < 0)
            return rc;
    }
    if (!scaled)
        return emg_header_add_note(hdr, err,
                                   "%s: no physical scale in the file: values are fractions of "
                                   "digital full scale (give the full scale, --scale in the "
                                   "tools, to calibrate)", r->path);
    return EMG_OK;
}

static int fill_header(sf_reader *r, emg_header *hdr, const emg_read_options *opts,
                       const riff_info *riff, emg_error *err)
{
    stored_meta m;
    parse_meta(&m, sf_get_string(r->sf, SF_STR_COMMENT));
    int rc = fill_channels(r, hdr, opts, &m, riff, err);
    if (rc >= 0 && m.start) {
        char start[40];
        emgi_strlcpy(start, m.start, sizeof start);
        unescape(start);
        emgi_strlcpy(hdr->start_time, start, sizeof hdr->start_time);
    }
    if (m.subject) {
        emgi_strlcpy(hdr->subject, m.subject, sizeof hdr->subject);
        unescape(hdr->subject);
    }
    if (m.recording) {
        emgi_strlcpy(hdr->recording, m.recording, sizeof hdr->recording);
        unescape(hdr->recording);
    }
    if (rc >= 0)
        rc = meta_annotations(&m, hdr, err);
    free(m.text);
    return rc;
}

static int sf_reader_open(void **state, const char *path, const emg_read_options *opts,
                          emg_header *hdr, emg_format *detected, emg_error *err)
{
    *state = NULL;
    riff_info riff;
    memset(&riff, 0, sizeof riff);
    unsigned char head[12] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    const char *ext = emgi_path_extension(path);
    int rc = EMG_OK;
    if ((got == 12 && (!memcmp(head, "RIFF", 4) || !memcmp(head, "RIFX", 4) ||
                       !memcmp(head, "RF64", 4))) ||
        (!audio_magic(head, got) && (emgi_str_ieq(ext, "wav") || emgi_str_ieq(ext, "wave"))))
        rc = inspect_riff(&riff, path, err);
    if (rc < 0)
        return rc;
    sf_reader *r = emgi_xcalloc(1, sizeof *r, err);
    if (!r)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(r->path, path, sizeof r->path);
    r->sf = sf_open(path, SFM_READ, &r->info);
    if (!r->sf) {
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: libsndfile: %s", path, sf_strerror(NULL));
        sf_reader_close(r);
        return rc;
    }
    if (!riff.is_riff)
        rc = check_log(r->sf, &r->info, path, err);
    *detected = container(r->info.format);
    sf_command(r->sf, SFC_SET_NORM_DOUBLE, NULL, SF_TRUE);
    if (rc >= 0)
        rc = fill_header(r, hdr, opts, &riff, err);
    if (rc >= 0) {
        double seconds = opts->block_seconds_hint_ms ? opts->block_seconds_hint_ms / 1000.0 : 0.5;
        double frames = seconds * r->info.samplerate;
        r->block_frames = frames < 1024 ? 1024 : frames > 65536 ? 65536 : (size_t)frames;
        size_t samples = r->block_frames * (size_t)r->info.channels;
        if ((r->info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT)
            r->frames_f = emgi_xcalloc(samples, sizeof(float), err);
        else
            r->frames = emgi_xcalloc(samples, sizeof(double), err);
        if (!r->frames && !r->frames_f)
            rc = EMG_ERR_NOMEM;
    }
    if (rc < 0) {
        sf_reader_close(r);
        return rc;
    }
    *state = r;
    return EMG_OK;
}

/* Frames [0, got) of the interleaved block into the block's channels, in
 * physical units. */
static void sf_reader_spread(const sf_reader *r, emg_block *blk, size_t got)
{
    size_t n = (size_t)r->info.channels;
    for (size_t i = 0; i < n; i++) {
        double *out = blk->data[i], scale = r->scale[i];
        if (r->frames_f)
            for (size_t k = 0; k < got; k++)
                out[k] = (double)r->frames_f[k * n + i] * scale;
        else
            for (size_t k = 0; k < got; k++)
                out[k] = r->frames[k * n + i] * scale;
        blk->count[i] = got;
    }
}

static int sf_reader_read(void *state, emg_block *blk, emg_error *err)
{
    sf_reader *r = state;
    sf_count_t left = r->info.frames - r->done;
    if (left <= 0)
        return 0;
    sf_count_t want = left < (sf_count_t)r->block_frames ? left : (sf_count_t)r->block_frames;
    sf_count_t got = r->ended_early ? 0
                     : r->frames_f ? sf_readf_float(r->sf, r->frames_f, want)
                                   : sf_readf_double(r->sf, r->frames, want);
    if (got < want)
        r->ended_early = 1;
    if (got <= 0) {
        const char *why = sf_error(r->sf) ? sf_strerror(r->sf) : NULL;
        return emg_error_set(err, EMG_ERR_FORMAT,
                             "%s: truncated: header declares %lld frames, file holds %lld%s%s%s",
                             r->path, (long long)r->info.frames, (long long)r->done,
                             why ? " (libsndfile: " : "", why ? why : "", why ? ")" : "");
    }
    int rc = emg_block_reserve(blk, (size_t)r->info.channels, (size_t)got, err);
    if (rc < 0)
        return rc;
    sf_reader_spread(r, blk, (size_t)got);
    r->done += got;
    return 1;
}

const emg_format_reader emgi_sndfile_reader = {
    "sndfile", sf_probe, sf_reader_open, sf_reader_read, sf_reader_close,
};

/* ------------------------------------------------------------------ writer */

typedef struct sf_writer {
    SNDFILE *sf;
    SF_INFO info;
    emg_format format;
    int bits;                /* integer PCM bits, 0 for float */
    char path[4200];
    char name[4096]; /* the user's output path, for messages */
    emg_header hdr;
    size_t n;
    double *full_scale;      /* per channel: physical value of digital full scale */
    int *scale_known;
    int spooling;
    emg_spool spool;
    double *frames_d;        /* interleaved block for float output */
    int *frames_i;           /* interleaved block for integer output */
    size_t cap_frames;
    emg_annotation *late;    /* block annotations (written into the comment at finish) */
    size_t n_late;
    int comment_written;
} sf_writer;

static int sf_major(emg_format f)
{
    switch (f) {
    case EMG_FORMAT_WAV: return SF_FORMAT_WAV;
    case EMG_FORMAT_FLAC: return SF_FORMAT_FLAC;
    case EMG_FORMAT_AIFF: return SF_FORMAT_AIFF;
    case EMG_FORMAT_CAF: return SF_FORMAT_CAF;
    case EMG_FORMAT_W64: return SF_FORMAT_W64;
    case EMG_FORMAT_RF64: return SF_FORMAT_RF64;
    default: return 0;
    }
}

static int sf_sub(emg_format f, emg_sample_format s, int *bits)
{
    *bits = 0;
    switch (s) {
    case EMG_SAMPLE_DEFAULT:
        if (f == EMG_FORMAT_FLAC) {
            *bits = 24;
            return SF_FORMAT_PCM_24;
        }
        return SF_FORMAT_FLOAT;
    case EMG_SAMPLE_FLOAT32: return SF_FORMAT_FLOAT;
    case EMG_SAMPLE_FLOAT64: return SF_FORMAT_DOUBLE;
    case EMG_SAMPLE_PCM16: *bits = 16; return SF_FORMAT_PCM_16;
    case EMG_SAMPLE_PCM24: *bits = 24; return SF_FORMAT_PCM_24;
    case EMG_SAMPLE_PCM32: *bits = 32; return SF_FORMAT_PCM_32;
    }
    return SF_FORMAT_FLOAT;
}

/* Comments written after the audio: only where libsndfile keeps them right. */
static int comment_after_data(emg_format f)
{
    return f == EMG_FORMAT_WAV || f == EMG_FORMAT_CAF || f == EMG_FORMAT_RF64;
}

static size_t comment_limit(emg_format f)
{
    switch (f) {
    case EMG_FORMAT_AIFF: return COMMENT_MAX_AIFF;
    case EMG_FORMAT_CAF: return COMMENT_MAX_CAF;
    case EMG_FORMAT_FLAC: return COMMENT_MAX_FLAC;
    case EMG_FORMAT_W64: return 0;
    default: return COMMENT_MAX_RIFF;
    }
}

/* A list of one value per channel, or one value when all are the same. */
static void append_list(char *buf, size_t cap, size_t *len, const sf_writer *w, int what)
{
    char items[64][EMG_NAME_MAX];
    int same = 1;
    for (size_t i = 0; i < w->n; i++) {
        char one[EMG_NAME_MAX];
        const emg_channel *ch = &w->hdr.channels[i];
        if (what == 0)
            snprintf(one, sizeof one, "%.17g", w->full_scale[i]);
        else
            emgi_strlcpy(one, what == 1 ? ch->unit : ch->name, sizeof one);
        if (i < 64)
            emgi_strlcpy(items[i], one, sizeof items[i]);
        if (i > 0 && strcmp(one, items[0]))
            same = 0;
    }
    for (size_t i = 0; i < (same ? 1 : w->n); i++) {
        if (i)
            append_text(buf, cap, len, ",");
        char one[EMG_NAME_MAX];
        const emg_channel *ch = &w->hdr.channels[i];
        if (what == 0)
            snprintf(one, sizeof one, "%.17g", w->full_scale[i]);
        else
            emgi_strlcpy(one, what == 1 ? ch->unit : ch->name, sizeof one);
        append_escaped(buf, cap, len, one);
    }
}

static void append_annotation(char *buf, size_t cap, size_t *len, const emg_annotation *a,
                              int *first)
{
    char head[80];
    snprintf(head, sizeof head, "%s%.9g:%.9g:%d:", *first ? " ann=" : ",", a->onset,
             a->duration, a->channel);
    append_text(buf, cap, len, head);
    append_escaped(buf, cap, len, a->text);
    *first = 0;
}

static int write_comment(sf_writer *w, emg_error *err)
{
    size_t limit = comment_limit(w->format);
    w->comment_written = 1;
    if (!limit)
        return EMG_OK;
    size_t cap = limit + 4096, len = 0;
    char *buf = emgi_xcalloc(cap, 1, err);
    if (!buf)
        return EMG_ERR_NOMEM;
    char num[64];
    append_text(buf, cap, &len, "emgkit=1");
    snprintf(num, sizeof num, " fs=%.17g", w->hdr.channels[0].fs);
    append_text(buf, cap, &len, num);
    append_text(buf, cap, &len, " full_scale=");
    append_list(buf, cap, &len, w, 0);
    append_text(buf, cap, &len, " unit=");
    append_list(buf, cap, &len, w, 1);
    append_text(buf, cap, &len, " names=");
    append_list(buf, cap, &len, w, 2);
    if (w->hdr.start_time[0]) {
        append_text(buf, cap, &len, " start=");
        append_escaped(buf, cap, &len, w->hdr.start_time);
    }
    if (w->hdr.subject[0]) {
        append_text(buf, cap, &len, " subject=");
        append_escaped(buf, cap, &len, w->hdr.subject);
    }
    if (w->hdr.recording[0]) {
        append_text(buf, cap, &len, " recording=");
        append_escaped(buf, cap, &len, w->hdr.recording);
    }
    int first = 1;
    for (size_t k = 0; k < w->hdr.n_annotations; k++)
        append_annotation(buf, cap, &len, &w->hdr.annotations[k], &first);
    for (size_t k = 0; k < w->n_late; k++)
        append_annotation(buf, cap, &len, &w->late[k], &first);
    int rc = EMG_OK;
    if (len > limit || len + 8 >= cap)
        rc = emg_error_set(err, EMG_ERR_UNSUPPORTED,
                           "%s: names, scale and %zu annotations need %zu bytes of metadata; "
                           "%s keeps %zu (write FLAC, EDF+ or HDF5 instead)",
                           w->name, w->hdr.n_annotations + w->n_late, len,
                           emg_format_name(w->format), limit);
    else if (sf_set_string(w->sf, SF_STR_COMMENT, buf) != 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: libsndfile: cannot store the comment: %s",
                           w->name, sf_strerror(w->sf));
    if (rc >= 0)
        sf_set_string(w->sf, SF_STR_SOFTWARE, "emgkit " EMGKIT_VERSION);
    free(buf);
    return rc;
}

/* The physical value of a channel's digital full scale: 1 when given or
 * implied (float), 2 when taken from the calibration (valid only if the data
 * stay inside it, checked after spooling), 0 when the data must tell. */
static int known_full_scale(const sf_writer *w, const emg_write_options *opts, size_t i,
                            double *out)
{
    const emg_channel *ch = &w->hdr.channels[i];
    if (opts->full_scale > 0) {
        *out = opts->full_scale;
        return 1;
    }
    if (!w->bits) {
        *out = 1.0; /* float output holds physical values */
        return 1;
    }
    if (ch->gain != 0 && isfinite(ch->gain) && ch->digital_min < ch->digital_max) {
        double a = fabs((ch->digital_min - ch->baseline) / ch->gain);
        double b = fabs((ch->digital_max + 1 - ch->baseline) / ch->gain);
        *out = a > b ? a : b;
        return *out > 0 && isfinite(*out) ? 2 : 0;
    }
    return 0;
}

static int start_sndfile(sf_writer *w, emg_error *err)
{
    w->sf = sf_open(w->path, SFM_WRITE, &w->info);
    if (!w->sf)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: libsndfile: %s", w->name,
                             sf_strerror(NULL));
    if (w->bits == 0)
        sf_command(w->sf, SFC_SET_NORM_DOUBLE, NULL, SF_FALSE);
    /* The PEAK chunk carries a timestamp: without it, equal input gives equal files. */
    sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    if (!comment_after_data(w->format))
        return write_comment(w, err);
    return EMG_OK;
}

static void sf_writer_destroy(void *state)
{
    sf_writer *w = state;
    if (!w)
        return;
    if (w->sf)
        sf_close(w->sf);
    if (w->spooling)
        emgi_spool_close(&w->spool);
    for (size_t k = 0; k < w->n_late; k++)
        free(w->late[k].text);
    free(w->late);
    free(w->full_scale);
    free(w->scale_known);
    free(w->frames_d);
    free(w->frames_i);
    emg_header_free(&w->hdr);
    free(w);
}

static int check_rates(const emg_header *hdr, const char *path, emg_error *err)
{
    double fs = hdr->channels[0].fs;
    for (size_t i = 1; i < hdr->n_channels; i++)
        if (hdr->channels[i].fs != fs)
            return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                                 "%s: audio files have one sampling rate; channels '%s' (%g Hz) "
                                 "and '%s' (%g Hz) differ (write EDF+ or HDF5, or select "
                                 "channels)", path, hdr->channels[0].name, fs,
                                 hdr->channels[i].name, hdr->channels[i].fs);
    if (!(fs >= 1 && fs <= 2147483647.0))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED, "%s: sampling rate %g Hz cannot be stored "
                             "in an audio file", path, fs);
    return EMG_OK;
}

static int sf_writer_open(void **state, struct emg_writer *ew, const char *tmp_path,
                          const char *final_path, emg_format format, const emg_header *hdr,
                          const emg_write_options *opts, emg_error *err)
{
    (void)ew;
    *state = NULL;
    int rc = check_rates(hdr, final_path, err);
    if (rc < 0)
        return rc;
    sf_writer *w = emgi_xcalloc(1, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    w->format = format;
    w->n = hdr->n_channels;
    emgi_strlcpy(w->path, tmp_path, sizeof w->path);
    emgi_strlcpy(w->name, final_path, sizeof w->name);
    w->info.samplerate = (int)lround(hdr->channels[0].fs);
    w->info.channels = (int)w->n;
    w->info.format = sf_major(format) | sf_sub(format, opts->sample_format, &w->bits);
    if (!sf_format_check(&w->info)) {
        sf_writer_destroy(w);
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: %s cannot hold %zu channels in this sample format (FLAC: at "
                             "most 8 channels, PCM16 or PCM24)", final_path,
                             emg_format_name(format), hdr->n_channels);
    }
    if (format == EMG_FORMAT_W64 && w->bits && !(opts->full_scale > 0)) {
        sf_writer_destroy(w);
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: W64 keeps no metadata in libsndfile, so integer samples would "
                             "lose their scale: write float32 (physical values), give a full "
                             "scale, or write WAV/RF64", final_path);
    }
    rc = emg_header_copy(&w->hdr, hdr, err);
    w->full_scale = emgi_xcalloc(w->n, sizeof *w->full_scale, err);
    w->scale_known = emgi_xcalloc(w->n, sizeof *w->scale_known, err);
    if (rc >= 0 && (!w->full_scale || !w->scale_known))
        rc = EMG_ERR_NOMEM;
    int all_known = 1, length_known = 1;
    for (size_t i = 0; rc >= 0 && i < w->n; i++) {
        w->scale_known[i] = known_full_scale(w, opts, i, &w->full_scale[i]);
        all_known = all_known && w->scale_known[i] == 1;
        length_known = length_known && hdr->channels[i].n_samples >= 0;
    }
    /* Spool when the scale needs the data, or when annotations may still
     * arrive for a container that takes its comment only before the audio. */
    w->spooling = !all_known || (!comment_after_data(format) && !length_known);
    if (rc >= 0 && w->spooling)
        rc = emgi_spool_open(&w->spool, tmp_path, final_path, w->n, err);
    else if (rc >= 0)
        rc = start_sndfile(w, err);
    if (rc < 0) {
        if (w->spooling && !w->spool.file)
            w->spooling = 0;
        sf_writer_destroy(w);
        return rc;
    }
    *state = w;
    return EMG_OK;
}

static int keep_late_annotations(sf_writer *w, const emg_block *blk, emg_error *err)
{
    if (!blk->n_annotations)
        return EMG_OK;
    if (w->comment_written && !comment_after_data(w->format))
        return emg_error_set(err, EMG_ERR_UNSUPPORTED,
                             "%s: %s takes annotations only before the audio", w->name,
                             emg_format_name(w->format));
    for (size_t k = 0; k < blk->n_annotations; k++) {
        const emg_annotation *a = &blk->annotations[k];
        if (emgi_grow_one((void **)&w->late, w->n_late, sizeof *w->late, err) < 0)
            return EMG_ERR_NOMEM;
        char *text = emgi_xstrdup(a->text, err);
        if (!text)
            return EMG_ERR_NOMEM;
        w->late[w->n_late++] = (emg_annotation){a->onset, a->duration, a->channel, text};
    }
    return EMG_OK;
}

static int write_frames(sf_writer *w, const emg_block *blk, emg_error *err)
{
    size_t frames = blk->count[0];
    for (size_t i = 1; i < w->n; i++)
        if (blk->count[i] != frames)
            return emg_error_set(err, EMG_ERR_ARG, "%s: block channels hold %zu and %zu samples",
                                 w->name, frames, blk->count[i]);
    if (frames > w->cap_frames) {
        free(w->frames_d);
        free(w->frames_i);
        w->frames_d = NULL;
        w->frames_i = NULL;
        if (w->bits)
            w->frames_i = emgi_xcalloc(frames * w->n, sizeof *w->frames_i, err);
        else
            w->frames_d = emgi_xcalloc(frames * w->n, sizeof *w->frames_d, err);
        if (!w->frames_i && !w->frames_d)
            return EMG_ERR_NOMEM;
        w->cap_frames = frames;
    }
    sf_count_t put;
    if (w->bits) {
        /* Round at the file's own depth, then left-justify: libsndfile
         * keeps the top bits of an int, so this is exact. */
        double top = ldexp(1.0, w->bits - 1);
        int shift = 32 - w->bits;
        for (size_t i = 0; i < w->n; i++)
            for (size_t k = 0; k < frames; k++) {
                double x = blk->data[i][k] / w->full_scale[i] * top;
                double d = isfinite(x) ? nearbyint(x) : 0;
                d = d < -top ? -top : d > top - 1 ? top - 1 : d;
                w->frames_i[k * w->n + i] = (int)((int64_t)d * ((int64_t)1 << shift));
            }
        put = sf_writef_int(w->sf, w->frames_i, (sf_count_t)frames);
    } else {
        for (size_t i = 0; i < w->n; i++)
            for (size_t k = 0; k < frames; k++)
                w->frames_d[k * w->n + i] = blk->data[i][k] / w->full_scale[i];
        put = sf_writef_double(w->sf, w->frames_d, (sf_count_t)frames);
    }
    if (put != (sf_count_t)frames)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: libsndfile: %s", w->name,
                             sf_strerror(w->sf));
    return EMG_OK;
}

static int sf_writer_write(void *state, const emg_block *blk, emg_error *err)
{
    sf_writer *w = state;
    if (blk->n_channels != w->n)
        return emg_error_set(err, EMG_ERR_ARG, "%s: block has %zu channels, header %zu", w->name,
                             blk->n_channels, w->n);
    if (w->spooling)
        return emgi_spool_write(&w->spool, blk, err);
    int rc = keep_late_annotations(w, blk, err);
    return rc < 0 ? rc : write_frames(w, blk, err);
}

static int sf_writer_finish(void *state, emg_error *err)
{
    sf_writer *w = state;
    int rc = EMG_OK;
    if (w->spooling) {
        double top = ldexp(1.0, w->bits - 1);
        for (size_t i = 0; i < w->n; i++) {
            double lo = w->spool.min[i], hi = w->spool.max[i];
            int any = lo <= hi;
            /* The calibration's scale holds only if no sample would clip. */
            if (w->scale_known[i] == 2 && any &&
                (hi > w->full_scale[i] * (top - 0.5) / top ||
                 lo < -w->full_scale[i] * (top + 0.5) / top))
                w->scale_known[i] = 0;
            if (!w->scale_known[i]) {
                double m = any ? fmax(fabs(lo), fabs(hi)) : 0;
                /* The largest sample maps to the largest positive code. */
                w->full_scale[i] = m > 0 ? m * top / (top - 1) : 1.0;
            }
        }
        emg_block blk;
        emg_block_init(&blk);
        /* Spooled annotations are known before the audio: collect them
         * first so containers that want the comment first get them all. */
        if (w->spool.n_annotations) {
            rc = emgi_spool_rewind(&w->spool, err);
            while (rc >= 0 && (rc = emgi_spool_read(&w->spool, &blk, err)) > 0)
                rc = keep_late_annotations(w, &blk, err);
        }
        if (rc >= 0)
            rc = start_sndfile(w, err);
        if (rc >= 0)
            rc = emgi_spool_rewind(&w->spool, err);
        while (rc >= 0 && (rc = emgi_spool_read(&w->spool, &blk, err)) > 0)
            if (blk.count[0])
                rc = write_frames(w, &blk, err);
        emg_block_free(&blk);
    }
    if (rc >= 0 && comment_after_data(w->format))
        rc = write_comment(w, err);
    if (w->sf) {
        int closed = sf_close(w->sf);
        w->sf = NULL;
        if (rc >= 0 && closed != 0)
            rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: libsndfile: %s", w->name,
                               sf_error_number(closed));
    }
    return rc;
}

const emg_format_writer emgi_sndfile_writer = {
    "sndfile", 0, sf_writer_open, sf_writer_write, sf_writer_finish, sf_writer_destroy,
};
