/* emg-info: one row per channel of each recording: where it came from, its
 * rate, length and unit.  TSV with a header row by default, JSON with --json,
 * and the annotations as an event table with --annotations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static void usage(FILE *out)
{
    fputs("Usage: emg-info [OPTIONS] FILE...\n"
          "Describe recordings: one row per channel, as TSV with a header row.\n"
          "Columns: file format channel name fs samples duration unit resolution transducer\n"
          "start_time.  Any format emgkit reads; \"-\" reads standard input.\n\n"
          "  -j, --json         JSON instead of TSV: one object per file\n"
          "  -a, --annotations  list the annotations as an event table\n"
          "                     (onset duration channel label file) instead of channels\n"
          "  -h, --help         show this help\n"
          "  -V, --version      show the version\n\n",
          out);
    cli_input_help(out);
    cli_help_footer(out);
}

/* Sample counts of streams are known only once the stream has been read. */
static int count_samples(emg_reader *r, int64_t *counts, emg_error *err)
{
    const emg_header *h = emg_reader_header(r);
    for (size_t i = 0; i < h->n_channels; i++)
        counts[i] = 0;
    const emg_block *b;
    int rc;
    while ((rc = emg_reader_read(r, &b, err)) > 0)
        for (size_t i = 0; i < h->n_channels; i++)
            counts[i] += (int64_t)b->count[i];
    return rc;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static void print_tsv_rows(FILE *f, const char *path, const char *format, const emg_header *h,
                           const int64_t *counts)
{
    for (size_t i = 0; i < h->n_channels; i++) {
        const emg_channel *c = &h->channels[i];
        emg_tsv_str(f, path, 0);
        emg_tsv_str(f, format, 0);
        fprintf(f, "%zu\t", i + 1);
        emg_tsv_str(f, c->name, 0);
        emg_tsv_num(f, c->fs, 0);
        fprintf(f, "%lld\t", (long long)counts[i]);
        emg_tsv_num(f, (double)counts[i] / c->fs, 0);
        emg_tsv_str(f, c->unit[0] ? c->unit : "n/a", 0);
        double res = emg_channel_resolution(c);
        emg_tsv_num(f, res > 0 ? res : NAN, 0);
        emg_tsv_str(f, c->transducer[0] ? c->transducer : "n/a", 0);
        emg_tsv_str(f, h->start_time[0] ? h->start_time : "n/a", 1);
    }
}

static void print_json_file(FILE *f, const char *path, const char *format, const emg_header *h,
                            const int64_t *counts, int first)
{
    fputs(first ? "[\n" : ",\n", f);
    fputs("  {\"file\": ", f);
    json_string(f, path);
    fputs(", \"format\": ", f);
    json_string(f, format);
    fputs(", \"start_time\": ", f);
    if (h->start_time[0])
        json_string(f, h->start_time);
    else
        fputs("null", f);
    fprintf(f, ", \"annotations\": %zu, \"provenance\": [", h->n_annotations);
    for (size_t i = 0; i < h->n_provenance; i++) {
        fputs(i ? ", " : "", f);
        json_string(f, h->provenance[i]);
    }
    fputs("],\n   \"channels\": [", f);
    for (size_t i = 0; i < h->n_channels; i++) {
        const emg_channel *c = &h->channels[i];
        fprintf(f, "%s\n    {\"channel\": %zu, \"name\": ", i ? "," : "", i + 1);
        json_string(f, c->name);
        fputs(", \"fs\": ", f);
        json_number(f, c->fs);
        fprintf(f, ", \"samples\": %lld, \"duration\": ", (long long)counts[i]);
        json_number(f, (double)counts[i] / c->fs);
        fputs(", \"unit\": ", f);
        json_string(f, c->unit);
        fputs(", \"resolution\": ", f);
        json_number(f, emg_channel_resolution(c) > 0 ? emg_channel_resolution(c) : NAN);
        fputs(", \"transducer\": ", f);
        json_string(f, c->transducer);
        fputc('}', f);
    }
    fputs("]}", f);
}

static void print_annotations(FILE *f, const char *path, const emg_header *h)
{
    for (size_t i = 0; i < h->n_annotations; i++) {
        const emg_annotation *a = &h->annotations[i];
        emg_tsv_num(f, a->onset, 0);
        emg_tsv_num(f, a->duration, 0);
        emg_tsv_str(f, a->channel >= 0 ? h->channels[a->channel].name : "n/a", 0);
        emg_tsv_str(f, a->text, 0);
        emg_tsv_str(f, path, 1);
    }
}

enum mode { MODE_TSV, MODE_JSON, MODE_ANNOTATIONS };

/* Describe one file; returns its exit code (messages already printed). */
static int describe(const char *path, const cli_input *in, enum mode mode, int *first_json)
{
    emg_reader *r;
    emg_error err;
    if (cli_try_open_input(&r, path, in, &err) < 0) {
        fprintf(stderr, "%s: %s\n", cli_prog(), err.message);
        return cli_exit_code(err.status);
    }
    const emg_header *h = emg_reader_header(r);
    int64_t *counts = calloc(h->n_channels, sizeof *counts);
    if (!counts)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    int rc = count_samples(r, counts, &err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", cli_prog(), err.message);
        free(counts);
        emg_reader_close(r);
        return cli_exit_code(err.status);
    }
    h = emg_reader_header(r);
    const char *format = emg_format_name(emg_reader_format(r));
    if (mode == MODE_TSV)
        print_tsv_rows(stdout, path, format, h, counts);
    else if (mode == MODE_JSON)
        print_json_file(stdout, path, format, h, counts, (*first_json)++ == 0);
    else
        print_annotations(stdout, path, h);
    free(counts);
    emg_reader_close(r);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_init("emg-info", argc, argv);
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"annotations", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        CLI_INPUT_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    enum mode mode = MODE_TSV;
    int opt;
    while ((opt = getopt_long(argc, argv, "jahV" CLI_INPUT_SHORT_OPTIONS, options, NULL)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case 'j': mode = MODE_JSON; break;
        case 'a': mode = MODE_ANNOTATIONS; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': puts("emg-info " EMGKIT_VERSION); return CLI_EXIT_OK;
        default: cli_usage_error("unknown option");
        }
    }
    if (optind >= argc)
        cli_usage_error("no input file");
    static const char *const channel_columns[] = {
        "file", "format", "channel", "name", "fs", "samples", "duration", "unit", "resolution",
        "transducer", "start_time"};
    static const char *const annotation_columns[] = {"onset", "duration", "channel", "label",
                                                     "file"};
    if (mode == MODE_TSV)
        emg_tsv_header(stdout, 11, channel_columns);
    else if (mode == MODE_ANNOTATIONS)
        emg_tsv_header(stdout, 5, annotation_columns);
    int status = CLI_EXIT_OK, first_json = 0;
    for (int i = optind; i < argc; i++) {
        int code = describe(argv[i], &in, mode, &first_json);
        if (code > status)
            status = code;
    }
    if (mode == MODE_JSON)
        fputs(first_json ? "\n]\n" : "[]\n", stdout);
    cli_finish_stdout();
    return status;
}
