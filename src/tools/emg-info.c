/* emg-info: one row per channel of each recording: where it came from, its
 * rate, length and unit.  TSV with a header row by default, JSON with --json,
 * and the annotations as an event table with --annotations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum { OPT_JSON = CLI_OPT_TOOL_BASE };

static void usage(FILE *out)
{
    fputs("Usage: emg-info [OPTIONS] FILE...\n"
          "Describe recordings: one row per channel, as TSV with a header row.\n"
          "Columns: file format channel name fs samples duration unit resolution transducer\n"
          "start_time (duration in seconds).  Any format emgkit reads; \"-\" reads standard\n"
          "input.  Every readable file is described; the header comes with the first one.\n\n"
          "      --json             JSON instead of TSV: an array of one object per file\n"
          "  -a, --annotations      list the annotations as an event table\n"
          "                         (file onset duration channel label) instead of channels\n"
          "  (-j, --jobs: no effect here; emg-info reads its inputs one after the other)\n\n",
          out);
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
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
        emg_tsv_time(f, (double)counts[i] / c->fs, 0);
        emg_tsv_str(f, c->unit[0] ? c->unit : "n/a", 0);
        double res = emg_channel_resolution(c);
        emg_tsv_num(f, res > 0 ? res : NAN, 0);
        emg_tsv_str(f, c->transducer[0] ? c->transducer : "n/a", 0);
        emg_tsv_str(f, h->start_time[0] ? h->start_time : "n/a", 1);
    }
}

static void print_json_file(FILE *f, const char *path, const char *format, const emg_header *h,
                            const int64_t *counts)
{
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
        emg_tsv_str(f, path, 0);
        emg_tsv_time(f, a->onset, 0);
        emg_tsv_time(f, a->duration, 0);
        emg_tsv_str(f, a->channel >= 0 ? h->channels[a->channel].name : "n/a", 0);
        emg_tsv_str(f, a->text, 1);
    }
}

enum mode { MODE_TSV, MODE_JSON, MODE_ANNOTATIONS };

/* The output: its header (or JSON's opening bracket) is written with the
 * first file that could be read, so that a run where none can be read
 * writes nothing. */
typedef struct output {
    FILE *f;
    enum mode mode;
    size_t described; /* files written so far */
} output;

static void begin_file(output *o)
{
    static const char *const channel_columns[] = {
        "file", "format", "channel", "name", "fs", "samples", "duration", "unit", "resolution",
        "transducer", "start_time"};
    static const char *const annotation_columns[] = {"file", "onset", "duration", "channel",
                                                     "label"};
    if (o->described++ == 0) {
        if (o->mode == MODE_TSV)
            emg_tsv_header(o->f, 11, channel_columns);
        else if (o->mode == MODE_ANNOTATIONS)
            emg_tsv_header(o->f, 5, annotation_columns);
        else
            fputs("[\n", o->f);
    } else if (o->mode == MODE_JSON) {
        fputs(",\n", o->f);
    }
}

/* "emg-info: message", naming the file when the message does not. */
static int report_failure(const char *path, const emg_error *err)
{
    const char *message = err->message[0] ? err->message : emg_status_name(err->status);
    fflush(stdout);
    if (strstr(message, path))
        fprintf(stderr, "%s: %s\n", cli_prog(), message);
    else
        fprintf(stderr, "%s: %s: %s\n", cli_prog(), path, message);
    return cli_exit_code(err->status);
}

/* Describe one file; returns its exit code (messages already printed). */
static int describe(const char *path, const cli_input *in, output *o)
{
    emg_reader *r;
    emg_error err;
    if (cli_try_open_input(&r, path, in, &err) < 0)
        return report_failure(path, &err);
    const emg_header *h = emg_reader_header(r);
    int64_t *counts = calloc(h->n_channels ? h->n_channels : 1, sizeof *counts);
    if (!counts)
        cli_die(CLI_EXIT_INTERNAL, "%s: out of memory", path);
    if (count_samples(r, counts, &err) < 0) {
        free(counts);
        emg_reader_close(r);
        return report_failure(path, &err);
    }
    h = emg_reader_header(r);
    const char *format = emg_format_name(emg_reader_format(r));
    begin_file(o);
    if (o->mode == MODE_TSV)
        print_tsv_rows(o->f, path, format, h, counts);
    else if (o->mode == MODE_JSON)
        print_json_file(o->f, path, format, h, counts);
    else
        print_annotations(o->f, path, h);
    free(counts);
    emg_reader_close(r);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_init("emg-info", argc, argv, usage);
    static const struct option options[] = {
        CLI_ANALYSIS_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {"annotations", no_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    output o = {NULL, MODE_TSV, 0};
    int opt;
    while ((opt = cli_getopt(argc, argv,
                             CLI_ANALYSIS_SHORT_OPTIONS "a",
                             options)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case OPT_JSON: o.mode = MODE_JSON; break;
        case 'a': o.mode = MODE_ANNOTATIONS; break;
        default: cli_usage_error("unknown option");
        }
    }
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    o.f = cli_open_text_output(cli_output_path() ? cli_output_path() : "-");
    int status = CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        int code = describe(paths[i], &in, &o);
        if (code > status)
            status = code;
    }
    if (o.described == 0) {
        cli_abandon_outputs(); /* no file could be read: leave no output */
    } else {
        if (o.mode == MODE_JSON)
            fputs("\n]\n", o.f);
        cli_close_text_output(o.f);
    }
    cli_report_repeated_warnings();
    cli_finish_stdout();
    return status;
}
