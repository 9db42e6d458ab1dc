/* cli.c: what every emgkit tool shares (see cli.h): messages in the form
 * "prog: FILE: problem", one exit-code scheme, the common input options,
 * atomic text outputs, and the command line recorded as provenance. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "cli_signals.h"

static const char *program = "emgkit";
static char command_line[8192];

/* Text outputs being written under a temporary name. */
#define MAX_TEXT_OUTPUTS 8
static struct text_output {
    FILE *f;
    char tmp[4200];
    char final[4096];
} text_outputs[MAX_TEXT_OUTPUTS];

static void append_quoted(char *dst, size_t cap, const char *arg)
{
    size_t len = strlen(dst);
    int plain = *arg && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-_./:=,+@%") == strlen(arg);
    if (plain) {
        snprintf(dst + len, cap - len, "%s%s", len ? " " : "", arg);
        return;
    }
    /* Single-quote for the shell: ' becomes '\'' */
    len += (size_t)snprintf(dst + len, cap - len, "%s'", len ? " " : "");
    for (const char *p = arg; *p && len + 5 < cap; p++) {
        if (*p == '\'')
            len += (size_t)snprintf(dst + len, cap - len, "'\\''");
        else
            dst[len++] = *p, dst[len] = '\0';
    }
    snprintf(dst + len, cap - len, "'");
}

void cli_init(const char *prog, int argc, char **argv, void (*usage)(FILE *out))
{
    program = prog;
    cli_set_usage(usage);
    command_line[0] = '\0';
    append_quoted(command_line, sizeof command_line, prog);
    for (int i = 1; i < argc; i++)
        append_quoted(command_line, sizeof command_line, argv[i]);
    cli_signals_install();
}

const char *cli_prog(void) { return program; }
const char *cli_command_line(void) { return command_line; }

int cli_exit_code(emg_status status)
{
    switch (status) {
    case EMG_OK: return CLI_EXIT_OK;
    case EMG_ERR_ARG: return CLI_EXIT_USAGE;
    case EMG_ERR_IO: return CLI_EXIT_INPUT;
    case EMG_ERR_FORMAT: case EMG_ERR_UNSUPPORTED: return CLI_EXIT_FORMAT;
    case EMG_ERR_OUTPUT: return CLI_EXIT_OUTPUT;
    case EMG_ERR_NOMEM: return CLI_EXIT_INTERNAL;
    }
    return CLI_EXIT_INTERNAL;
}

void cli_abandon_outputs(void)
{
    for (int i = 0; i < MAX_TEXT_OUTPUTS; i++)
        if (text_outputs[i].f) {
            fclose(text_outputs[i].f);
            text_outputs[i].f = NULL;
        }
    /* These text outputs, and whatever the library was writing or spooling. */
    emg_temp_remove_all();
}

void cli_forget_outputs(void)
{
    for (int i = 0; i < MAX_TEXT_OUTPUTS; i++)
        text_outputs[i].f = NULL;
    emg_temp_forget_all();
}

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s", program, prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_fail(const emg_error *err)
{
    cli_abandon_outputs();
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", program,
            err->message[0] ? err->message : emg_status_name(err->status));
    exit(cli_exit_code(err->status));
}

void cli_usage_error(const char *fmt, ...)
{
    cli_abandon_outputs();
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "%s: %s (try '%s --help')\n", program, text, program);
    exit(CLI_EXIT_USAGE);
}

void cli_die(int code, const char *fmt, ...)
{
    cli_abandon_outputs();
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
    exit(code);
}

/* With several inputs, a warning whose text (after the file name) was printed
 * for one file is counted for the others and reported once at the end. */
static int collapse_warnings;
static struct repeated_warning {
    char *text;
    size_t more; /* files whose same warning was not printed */
} *repeated;
static size_t n_repeated, cap_repeated;

void cli_collapse_warnings(int on) { collapse_warnings = on && !cli_verbose(); }

int cli_repeated_warning(const char *text)
{
    if (!collapse_warnings)
        return 0;
    for (size_t i = 0; i < n_repeated; i++)
        if (!strcmp(repeated[i].text, text)) {
            repeated[i].more++;
            return 1;
        }
    if (n_repeated == cap_repeated) {
        size_t cap = cap_repeated ? 2 * cap_repeated : 16;
        struct repeated_warning *p = realloc(repeated, cap * sizeof *p);
        if (!p)
            return 0; /* print it again rather than fail */
        repeated = p;
        cap_repeated = cap;
    }
    if ((repeated[n_repeated].text = strdup(text)))
        repeated[n_repeated++].more = 0;
    return 0;
}

void cli_report_repeated_warnings(void)
{
    for (size_t i = 0; i < n_repeated; i++) {
        if (repeated[i].more)
            fprintf(stderr, "%s: warning: the same for %zu more file%s: %s\n", program,
                    repeated[i].more, repeated[i].more == 1 ? "" : "s", repeated[i].text);
        free(repeated[i].text);
    }
    free(repeated);
    repeated = NULL;
    n_repeated = cap_repeated = 0;
}

void cli_warn(const char *file, const char *fmt, ...)
{
    if (cli_quiet())
        return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (file && cli_repeated_warning(text))
        return;
    fflush(stdout);
    fprintf(stderr, "%s: warning: %s%s%s\n", program, file ? file : "", file ? ": " : "", text);
}

void cli_warn_gaps(const char *path, const emg_gap_count *gaps, const char *channel, double fs)
{
    char text[512];
    if (emg_gap_warning(text, sizeof text, gaps, channel, fs) > 0)
        cli_warn(path, "%s", text);
}

void cli_gaps_init(cli_gap_tracker *t, size_t n_channels)
{
    static const emg_gap_count none = EMG_GAP_COUNT_INIT;
    t->n_channels = n_channels;
    t->gaps = malloc((n_channels ? n_channels : 1) * sizeof *t->gaps);
    t->samples = calloc(n_channels ? n_channels : 1, sizeof *t->samples);
    if (!t->gaps || !t->samples)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < n_channels; c++)
        t->gaps[c] = none;
}

void cli_gaps_add(cli_gap_tracker *t, const emg_block *b)
{
    for (size_t c = 0; c < t->n_channels && c < b->n_channels; c++) {
        emg_gap_count_add(&t->gaps[c], b->data[c], b->count[c], t->samples[c]);
        t->samples[c] += (long long)b->count[c];
    }
}

void cli_gaps_report(cli_gap_tracker *t, const char *path, const emg_header *h)
{
    for (size_t c = 0; c < t->n_channels && c < h->n_channels; c++)
        cli_warn_gaps(path, &t->gaps[c], h->channels[c].name, h->channels[c].fs);
    free(t->gaps);
    free(t->samples);
}

static void print_write_note(void *out_path, const char *text)
{
    cli_warn((const char *)out_path, "%s", text);
}

void cli_report_write_notes(emg_write_options *o, const char *out_path)
{
    o->note = print_write_note;
    o->note_ctx = (void *)out_path;
}

double cli_parse_double(const char *option, const char *value)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    /* strtod skips leading blanks; an option value with them is a typo, not a number. */
    if (!*value || isspace((unsigned char)*value) || *end || errno || !isfinite(v))
        cli_usage_error("option %s: '%s' is not a number", option, value);
    return v;
}

long cli_parse_long(const char *option, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!*value || isspace((unsigned char)*value) || *end || errno)
        cli_usage_error("option %s: '%s' is not a whole number", option, value);
    if (v < min || v > max)
        cli_usage_error("option %s: %ld is outside %ld to %ld", option, v, min, max);
    return v;
}

void cli_parse_pair(const char *option, const char *value, double *first, double *second)
{
    const char *colon = strchr(value, ':');
    char text[128];
    size_t len = colon ? (size_t)(colon - value) : 0;
    if (!colon || len >= sizeof text)
        cli_usage_error("option %s: expected two numbers A:B, got '%s'", option, value);
    memcpy(text, value, len);
    text[len] = '\0';
    *first = cli_parse_double(option, text);
    *second = cli_parse_double(option, colon + 1);
}

void cli_input_init(cli_input *in)
{
    static const emg_read_options defaults = EMG_READ_OPTIONS_INIT;
    memset(in, 0, sizeof *in);
    in->to = -1;
    in->read = defaults;
}

int cli_input_option(cli_input *in, int opt, const char *arg)
{
    switch (opt) {
    case 'c': in->channels = arg; return 1;
    case 'f': in->from = cli_parse_double("-f/--from", arg); return 1;
    case 't': in->to = cli_parse_double("-t/--to-time", arg); return 1;
    case CLI_OPT_FS: in->read.fs = cli_parse_double("--fs", arg); return 1;
    case CLI_OPT_SCALE: in->read.full_scale = cli_parse_double("--scale", arg); return 1;
    case CLI_OPT_UNIT: in->read.unit = arg; return 1;
    case CLI_OPT_RESAMPLE: in->read.resample = 1; return 1;
    case CLI_OPT_FORMAT:
        if (emg_format_from_name(arg, &in->read.format) < 0)
            cli_usage_error("--format: unknown format '%s'", arg);
        return 1;
    }
    return 0;
}

void cli_input_help(FILE *out)
{
    fputs("Input options (the same in every tool):\n"
          "  -c, --channels LIST  channels by 1-based index, range (2-5) or name, comma-separated\n"
          "  -f, --from S         start at S seconds from the recording start\n"
          "  -t, --to-time S      stop before S seconds from the recording start\n"
          "      --fs HZ          sampling rate of text input without a time column\n"
          "      --scale X        physical value of digital full scale (audio input)\n"
          "      --unit UNIT      physical unit of audio or text input\n"
          "      --resample       interpolate text input with an irregular time column\n"
          "      --format NAME    read as NAME (pipe wfdb edf bdf wav hdf5 csv tsv text biosig)\n"
          "                       instead of detecting the format from the content\n"
          "Input \"-\" is standard input; output \"-\" or none is standard output.\n\n",
          out);
}

void cli_analysis_init(cli_analysis *a, int filter_on, const char *feature_list)
{
    static const emg_window_options window = EMG_WINDOW_OPTIONS_INIT;
    static const emg_spectrum_options spectrum = EMG_SPECTRUM_OPTIONS_INIT;
    static const emg_feature_options features = EMG_FEATURE_OPTIONS_INIT;
    static const emg_filter_stage_options filter = EMG_FILTER_STAGE_OPTIONS_INIT;
    a->window = window;
    a->spectrum = spectrum;
    a->features = features;
    a->filter = filter;
    a->filter_on = filter_on;
    a->feature_list = feature_list;
    a->wisdom = NULL;
}

static double positive_option(const char *option, const char *arg)
{
    double v = cli_parse_double(option, arg);
    if (!(v > 0))
        cli_usage_error("%s: must be > 0", option);
    return v;
}

static void parse_welch(cli_analysis *a, const char *arg)
{
    double segment, overlap;
    cli_parse_pair("--welch", arg, &segment, &overlap);
    if (!(segment >= 2 && segment == floor(segment) && overlap >= 0 && overlap < segment &&
          overlap == floor(overlap)))
        cli_usage_error("--welch: SEG >= 2 and 0 <= OVERLAP < SEG, in samples");
    a->spectrum.method = EMG_SPECTRUM_WELCH;
    a->spectrum.segment = (size_t)segment;
    a->spectrum.overlap = (size_t)overlap;
}

double cli_parse_mains(const char *arg)
{
    if (!strcmp(arg, "50") || !strcmp(arg, "60"))
        return atof(arg);
    if (!strcmp(arg, "auto"))
        return 0;
    if (!strcmp(arg, "none"))
        return -1;
    cli_usage_error("--mains: expected 50, 60, auto or none, got '%s'", arg);
}

static int spectral_option(cli_analysis *a, int opt, const char *arg)
{
    emg_error err;
    switch (opt) {
    case CLI_OPT_TAPER:
        if (emg_taper_from_name(arg, &a->spectrum.taper, &a->spectrum.taper_alpha, &err) < 0)
            cli_usage_error("--taper: %s", err.message);
        return 1;
    case CLI_OPT_WELCH: parse_welch(a, arg); return 1;
    case CLI_OPT_PERIODOGRAM: a->spectrum.method = EMG_SPECTRUM_PERIODOGRAM; return 1;
    case CLI_OPT_FILTER: a->filter_on = 1; return 1;
    case CLI_OPT_NO_FILTER: a->filter_on = 0; return 1;
    case CLI_OPT_FILTER_BAND:
        cli_parse_pair("--filter-band", arg, &a->filter.band_low, &a->filter.band_high);
        if (!(a->filter.band_low >= 0 && a->filter.band_high > a->filter.band_low))
            cli_usage_error("--filter-band: need 0 <= LO < HI");
        a->filter_on = 1;
        return 1;
    case CLI_OPT_MAINS: a->filter.mains = cli_parse_mains(arg); return 1;
    case CLI_OPT_HARMONICS:
        a->filter.notch_harmonics = (int)cli_parse_long("--notch-harmonics", arg, 1, 100);
        return 1;
    case CLI_OPT_CAUSAL: a->filter.causal = 1; return 1;
    case CLI_OPT_WISDOM: a->wisdom = arg; return 1;
    }
    return 0;
}

static int window_option(cli_analysis *a, int opt, const char *arg)
{
    emg_feature_options *f = &a->features;
    switch (opt) {
    case 'w': a->window.window_s = positive_option("--window", arg); return 1;
    case 's': a->window.step_s = positive_option("--step", arg); return 1;
    case CLI_OPT_FEATURES: a->feature_list = arg; return 1;
    case CLI_OPT_BAND:
        cli_parse_pair("--band", arg, &f->band_low, &f->band_high);
        if (!(f->band_low >= 0 && f->band_high > f->band_low))
            cli_usage_error("--band: need 0 <= LO < HI");
        return 1;
    case CLI_OPT_ZC: f->zc_threshold = cli_parse_double("--zc-threshold", arg); return 1;
    case CLI_OPT_SSC: f->ssc_threshold = cli_parse_double("--ssc-threshold", arg); return 1;
    case CLI_OPT_WAMP: f->wamp_threshold = cli_parse_double("--wamp-threshold", arg); return 1;
    case CLI_OPT_NOISE: f->noise_rms = positive_option("--noise-rms", arg); return 1;
    case CLI_OPT_REST_SNR: f->rest_snr_db = cli_parse_double("--rest-snr", arg); return 1;
    case CLI_OPT_MIN_SNR: f->min_snr_db = cli_parse_double("--min-snr", arg); return 1;
    case CLI_OPT_CLIP:
        cli_parse_pair("--clip", arg, &f->clip_low, &f->clip_high);
        if (!(f->clip_high > f->clip_low))
            cli_usage_error("--clip: need LO < HI");
        return 1;
    }
    return 0;
}

int cli_analysis_option(cli_analysis *a, int opt, const char *arg)
{
    return spectral_option(a, opt, arg) || window_option(a, opt, arg);
}

emg_window_engine *cli_run_window_engine(const char *path, emg_reader *r, const cli_analysis *a,
                                         const size_t *ids, size_t n_ids, emg_window_emit emit,
                                         void *ctx, const double *noise_floors)
{
    const emg_header *hdr = emg_reader_header(r);
    emg_channel_stage stage;
    emg_channel_stage_filter(&stage, &a->filter);
    emg_window_engine *eng;
    emg_error err;
    if (emg_window_engine_create(&eng, hdr, ids, n_ids, &a->features, &a->spectrum, &a->window,
                                 a->filter_on ? &stage : NULL, emit, ctx, &err) < 0)
        cli_fail(&err);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        if (noise_floors && noise_floors[c] > 0)
            emg_window_engine_set_noise_rms(eng, c, noise_floors[c]);
        if (emg_window_engine_skipped(eng, c))
            cli_warn(path, "channel %s left out: %s", hdr->channels[c].name,
                     emg_window_engine_skipped(eng, c));
    }
    if (emg_window_engine_run(eng, r, &err) < 0)
        cli_fail(&err);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        emg_gap_count gaps = emg_window_engine_gaps(eng, c);
        cli_warn_gaps(path, &gaps, hdr->channels[c].name, hdr->channels[c].fs);
    }
    return eng;
}

void cli_spectral_help(FILE *out, int filter_on)
{
    fputs("Spectral options (the same in emg-features, emg-fatigue, emg-spectrum):\n"
          "  --taper NAME           hann (default), hamming, blackman, rectangular, tukey[:A]\n"
          "  --welch SEG:OVERLAP    Welch segment and overlap in samples (default 256:128)\n"
          "  --periodogram          one tapered periodogram instead of Welch\n",
          out);
    fputs(filter_on ? "  --no-filter            do not filter (input already conditioned)\n"
                    : "  --filter               apply the surface-EMG chain first\n",
          out);
    fputs("  --filter-band LO:HI    band-pass LO-HI Hz instead of 20-450 (implies filtering)\n"
          "  --mains F              mains notch 50 (default), 60, auto, or none\n"
          "  --notch-harmonics N    notches at F, 2F, ... NF (default: all up to the band top)\n"
          "  --causal               causal (forward-only) filtering instead of zero-phase\n"
          "  --wisdom FILE          FFTW wisdom to load (and update) for faster planning\n\n",
          out);
}

void cli_window_help(FILE *out, const char *default_features)
{
    fprintf(out,
            "Window options (the same in emg-features and emg-fatigue):\n"
            "  -w, --window S         window length in seconds (default 1)\n"
            "  -s, --step S           step between window onsets in seconds (default 0.5)\n"
            "  --features LIST        comma list of features or groups (default %s;\n"
            "                         emg-features --list shows them all)\n"
            "  --band LO:HI           band for frequency features in Hz (20:450, clipped at\n"
            "                         Nyquist)\n"
            "  --zc-threshold X, --ssc-threshold X, --wamp-threshold X\n"
            "                         thresholds in the signal's unit (ssc: unit^2); default 0\n"
            "  --noise-rms X          background noise RMS for snr_db and the rest flag\n"
            "                         (default: estimated from the quietest windows)\n"
            "  --rest-snr DB          flag 'rest' below this SNR (6)\n"
            "  --min-snr DB           flag 'low_snr' below this SNR (10)\n"
            "  --clip LO:HI           flag 'clipped' when samples reach these rails (default:\n"
            "                         the channel's ADC range when known)\n\n",
            default_features);
}

void cli_help_footer(FILE *out)
{
    fputs("Exit status: 0 success, 1 usage error, 2 input cannot be read, 3 input corrupt or\n"
          "unsupported, 4 output cannot be written, 5 internal error; with several inputs, the\n"
          "highest code of those that failed (docs/exit-codes.md).\n",
          out);
}

/* Notes, like error messages, start with the file name. */
static void print_notes(const char *path, const emg_header *h)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < h->n_notes; i++) {
        const char *note = h->notes[i];
        if (!strncmp(note, path, len) && !strncmp(note + len, ": ", 2))
            cli_warn(path, "%s", note + len + 2);
        else
            cli_warn(NULL, "%s", note);
    }
}

static int is_text_format(emg_format f)
{
    return f == EMG_FORMAT_CSV || f == EMG_FORMAT_TSV || f == EMG_FORMAT_TEXT;
}

static int is_audio_format(emg_format f)
{
    return f >= EMG_FORMAT_WAV && f <= EMG_FORMAT_SNDFILE;
}

/* Options that describe an input which does not describe itself: say so
 * when the file does, rather than ignore them silently. */
static void warn_unused_read_options(const char *path, emg_format f, const emg_read_options *o)
{
    if (o->fs > 0 && !is_text_format(f))
        cli_warn(path, "--fs ignored: the file (%s) carries its own sampling rate",
                 emg_format_name(f));
    if (o->full_scale > 0 && !is_audio_format(f))
        cli_warn(path, "--scale ignored: it applies to audio files, this is %s",
                 emg_format_name(f));
    if (o->unit && !is_audio_format(f) && !is_text_format(f))
        cli_warn(path, "--unit ignored: the file (%s) carries its own units", emg_format_name(f));
    if (o->resample && !is_text_format(f))
        cli_warn(path, "--resample ignored: it applies to text with a time column");
}

static int apply_input_options(emg_reader *r, const cli_input *in, emg_error *err)
{
    int rc = EMG_OK;
    if (in->channels) {
        int *indices;
        size_t n;
                if ((rc = emg_header_select(emg_reader_header(r), in->channels, &indices, &n, err)) < 0) {
            char msg[EMG_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "-c/--channels: %.480s", err->message);
            return emg_error_set(err, rc, "%s", msg);
        }
        rc = emg_reader_select(r, indices, n, err);
        free(indices);
    }
    if (rc >= 0 && (in->from > 0 || in->to >= 0))
        rc = emg_reader_set_range(r, in->from, in->to, err);
    return rc;
}

int cli_try_open_input(emg_reader **out, const char *path, const cli_input *in, emg_error *err)
{
    emg_reader *r;
    int rc = emg_reader_open(&r, path, &in->read, err);
    if (rc < 0)
        return rc;
    print_notes(path, emg_reader_header(r));
    warn_unused_read_options(path, emg_reader_format(r), &in->read);
    if ((rc = apply_input_options(r, in, err)) < 0) {
        emg_reader_close(r);
        return rc;
    }
    *out = r;
    return EMG_OK;
}

void cli_keep_emg_channels(emg_reader *r, const char *path, const cli_input *in)
{
    const emg_header *h = emg_reader_header(r);
    if (in->channels)
        return; /* the user chose */
    int *keep = calloc(h->n_channels, sizeof *keep);
    size_t n = 0;
    if (!keep)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < h->n_channels; i++) {
        const emg_channel *ch = &h->channels[i];
        const char *other = emg_channel_other_modality(ch);
        if (emg_unit_is_voltage(ch->unit) && !other)
            keep[n++] = (int)i;
        else if (other)
            cli_warn(path, "channel '%s' is %s, not EMG: skipped (name it with -c to include "
                     "it)", ch->name, other);
        else
            cli_warn(path, "channel '%s' (unit %s) is not EMG: skipped (name it with -c to "
                     "include it)", ch->name, ch->unit);
    }
    emg_error err;
    if (n == 0)
        cli_die(CLI_EXIT_USAGE, "%s: no EMG channel (unit V, mV, uV or none); choose channels "
                "with -c", path);
    if (n < h->n_channels && emg_reader_select(r, keep, n, &err) < 0)
        cli_fail(&err);
    free(keep);
}

emg_reader *cli_open_input(const char *path, const cli_input *in)
{
    emg_reader *r;
    emg_error err;
    if (cli_try_open_input(&r, path, in, &err) < 0)
        cli_fail(&err);
    return r;
}

void cli_load_input(emg_recording *rec, const char *path, const cli_input *in)
{
    emg_reader *r = cli_open_input(path, in);
    emg_error err;
    int rc = emg_reader_read_all(r, rec, &err);
    emg_reader_close(r);
    if (rc < 0)
        cli_fail(&err);
}

void cli_refuse_binary_tty(const char *path)
{
    if (!strcmp(path, "-") && isatty(STDOUT_FILENO))
        cli_usage_error("refusing to write binary data to a terminal; redirect standard output "
                        "or name an output file");
}

/* Whether path names an existing file that opens as a recording. */
static int holds_recording(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    emg_reader *r;
    emg_error err;
    static const emg_read_options detect = EMG_READ_OPTIONS_INIT;
    if (emg_reader_open(&r, path, &detect, &err) < 0)
        return 0;
    emg_reader_close(r);
    return 1;
}

emg_format cli_signal_output(const char *out_path, emg_format format, int explicit_output)
{
    emg_error err;
    if (format == EMG_FORMAT_AUTO && emg_format_from_path(out_path, &format, &err) < 0)
        cli_usage_error("%s (use --to FORMAT)", err.message);
    if (format != EMG_FORMAT_CSV && format != EMG_FORMAT_TSV)
        cli_refuse_binary_tty(out_path);
    if (strcmp(out_path, "-") != 0) {
        cli_refuse_output_over_input(out_path, format);
        if (!explicit_output && holds_recording(out_path))
            cli_usage_error("%s: exists and holds a recording; to replace it, name it with "
                            "-o %s", out_path, out_path);
    }
    return format;
}

FILE *cli_open_text_output(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    cli_refuse_output_over_input(path, EMG_FORMAT_TSV);
    for (int i = 0; i < MAX_TEXT_OUTPUTS; i++) {
        struct text_output *o = &text_outputs[i];
        if (o->f)
            continue;
        emg_error err;
        if (emg_temp_path(o->tmp, sizeof o->tmp, path, &err) < 0)
            cli_fail(&err);
        snprintf(o->final, sizeof o->final, "%s", path);
        o->f = fopen(o->tmp, "w");
        if (!o->f)
            cli_die(CLI_EXIT_OUTPUT, "%s: %s", path, strerror(errno));
        return o->f;
    }
    cli_die(CLI_EXIT_INTERNAL, "too many open outputs");
}

void cli_close_text_output(FILE *f)
{
    if (f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            cli_die(CLI_EXIT_OUTPUT, "-: write error: %s", strerror(errno));
        return;
    }
    for (int i = 0; i < MAX_TEXT_OUTPUTS; i++) {
        struct text_output *o = &text_outputs[i];
        if (o->f != f)
            continue;
        int failed = ferror(f);
        failed |= fclose(f) != 0;
        o->f = NULL;
        if (failed)
            cli_die(CLI_EXIT_OUTPUT, "%s: write error: %s", o->final, strerror(errno));
        emg_error err;
        if (emg_temp_commit(o->tmp, o->final, &err) < 0)
            cli_fail(&err);
        return;
    }
}

void cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
        cli_die(CLI_EXIT_OUTPUT, "-: write error on standard output: %s", strerror(errno));
}
