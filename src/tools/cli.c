/* cli.c: what every emgkit tool shares (see cli.h): messages in the form
 * "prog: FILE: problem", one exit-code scheme, the common input options,
 * atomic text outputs, and the command line recorded as provenance. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

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

void cli_init(const char *prog, int argc, char **argv)
{
    program = prog;
    command_line[0] = '\0';
    append_quoted(command_line, sizeof command_line, prog);
    for (int i = 1; i < argc; i++)
        append_quoted(command_line, sizeof command_line, argv[i]);
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
            unlink(text_outputs[i].tmp);
            text_outputs[i].f = NULL;
        }
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
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help'.\n", program);
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

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
}

double cli_parse_double(const char *option, const char *value)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (!*value || *end || errno || !isfinite(v))
        cli_usage_error("option %s: '%s' is not a number", option, value);
    return v;
}

long cli_parse_long(const char *option, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!*value || *end || errno)
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
          "                       instead of detecting the format from the content\n",
          out);
}

void cli_help_footer(FILE *out)
{
    fputs("\nInput \"-\" is standard input; output \"-\" or none is standard output.\n"
          "Exit status: 0 success, 1 usage error, 2 input cannot be read, 3 input corrupt or\n"
          "unsupported, 4 output cannot be written, 5 internal error (docs/exit-codes.md).\n",
          out);
}

/* Notes, like error messages, start with the file name. */
static void print_notes(const emg_header *h)
{
    for (size_t i = 0; i < h->n_notes; i++)
        cli_warn("%s", h->notes[i]);
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
    print_notes(emg_reader_header(r));
    if ((rc = apply_input_options(r, in, err)) < 0) {
        emg_reader_close(r);
        return rc;
    }
    *out = r;
    return EMG_OK;
}

static int is_voltage_unit(const char *unit)
{
    static const char *const volts[] = {"", "V", "mV", "uV", "\xc2\xb5V", "nV"};
    for (size_t i = 0; i < sizeof volts / sizeof *volts; i++)
        if (!strcmp(unit, volts[i]))
            return 1;
    return 0;
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
        if (is_voltage_unit(h->channels[i].unit))
            keep[n++] = (int)i;
        else
            cli_warn("%s: channel '%s' (unit %s) is not EMG: skipped (name it with -c to "
                     "include it)", path, h->channels[i].name, h->channels[i].unit);
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

emg_format cli_signal_output(const char *in_path, const char *out_path, emg_format format)
{
    emg_error err;
    if (format == EMG_FORMAT_AUTO && emg_format_from_path(out_path, &format, &err) < 0)
        cli_usage_error("%s (use --to FORMAT)", err.message);
    if (format != EMG_FORMAT_CSV && format != EMG_FORMAT_TSV)
        cli_refuse_binary_tty(out_path);
    /* Writing over the input would destroy it before it is read. */
    struct stat a, b;
    if (in_path && strcmp(in_path, "-") && strcmp(out_path, "-") && stat(in_path, &a) == 0 &&
        stat(out_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        cli_usage_error("%s: output is the input file; choose another output name", out_path);
    return format;
}

FILE *cli_open_text_output(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    for (int i = 0; i < MAX_TEXT_OUTPUTS; i++) {
        struct text_output *o = &text_outputs[i];
        if (o->f)
            continue;
        emg_error err;
        if (emg_temp_path(o->tmp, sizeof o->tmp, path, &err) < 0)
            cli_usage_error("%s", err.message);
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
        if (failed || rename(o->tmp, o->final) != 0) {
            int saved = errno;
            unlink(o->tmp);
            cli_die(CLI_EXIT_OUTPUT, "%s: write error: %s", o->final, strerror(saved));
        }
        return;
    }
}

void cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
        cli_die(CLI_EXIT_OUTPUT, "-: write error on standard output: %s", strerror(errno));
}
