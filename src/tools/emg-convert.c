/* emg-convert: any recording format emgkit reads to any format it writes,
 * streaming block by block (memory does not grow with the recording), with
 * channel selection and a time cut.  The output's provenance gains this
 * command line. */
#include <string.h>
#include "cli.h"

enum { OPT_TO = CLI_OPT_TOOL_BASE, OPT_SAMPLE_FORMAT, OPT_FULL_SCALE, OPT_WFDB_FORMAT };

static void usage(FILE *out)
{
    fputs("Usage: emg-convert [OPTIONS] IN [OUT]\n"
          "Convert a recording between formats.  The output, OUT or -o FILE, is written in\n"
          "the format its extension names or --to; \"-\" or none writes the emgkit pipe\n"
          "format to standard output (docs/pipe-format.md).  An existing recording is\n"
          "replaced only when named with -o (never the last file of a glob by mistake).\n\n"
          "Output formats: .hea (WFDB), .edf (EDF+), .bdf (BDF+), .wav .flac .aiff .caf .w64\n"
          ".rf64 (libsndfile), .h5 (emgkit HDF5 layout), .csv .tsv, .emg or - (pipe).\n\n"
          "      --to FORMAT           output format: pipe wfdb edf bdf wav flac aiff caf w64\n"
          "                            rf64 hdf5 csv tsv\n"
          "      --sample-format FMT   audio samples: float32 (WAV default), float64, pcm16,\n"
          "                            pcm24 (FLAC default), pcm32\n"
          "      --full-scale X        physical value written as digital full scale (integer\n"
          "                            audio); default: channel calibration, else data range\n"
          "      --wfdb-format N       WFDB storage format 16 (default), 212, 80, 24, 32\n"
          "      --precision N         significant digits of the samples in CSV/TSV output\n"
          "                            (default: as many as they need to read back exactly)\n\n",
          out);
    cli_common_help(out, CLI_HELP_OUTPUT);
    cli_input_help(out);
    cli_help_footer(out);
}

static emg_sample_format parse_sample_format(const char *s)
{
    static const struct { const char *name; emg_sample_format f; } names[] = {
        {"float32", EMG_SAMPLE_FLOAT32}, {"float", EMG_SAMPLE_FLOAT32},
        {"float64", EMG_SAMPLE_FLOAT64}, {"double", EMG_SAMPLE_FLOAT64},
        {"pcm16", EMG_SAMPLE_PCM16},     {"pcm24", EMG_SAMPLE_PCM24},
        {"pcm32", EMG_SAMPLE_PCM32},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i].name, s))
            return names[i].f;
    cli_usage_error("--sample-format: unknown sample format '%s'", s);
}


static void convert(emg_reader *r, const char *in_path, const char *out_path,
                    emg_format format, const emg_write_options *wopts)
{
    emg_error err;
    emg_header header;
    if (emg_header_copy(&header, emg_reader_header(r), &err) < 0 ||
        emg_header_add_provenance(&header, cli_command_line(), &err) < 0)
        cli_fail(&err);
    emg_writer *w;
    int rc = emg_writer_open(&w, out_path, format, &header, wopts, &err);
    emg_header_free(&header);
    if (rc < 0)
        cli_fail(&err);
    const emg_block *b;
    cli_gap_tracker gaps;
    cli_gaps_init(&gaps, emg_reader_header(r)->n_channels);
    while ((rc = emg_reader_read(r, &b, &err)) > 0) {
        cli_gaps_add(&gaps, b);
        if ((rc = emg_writer_write(w, b, &err)) < 0)
            break;
    }
    if (rc < 0) {
        emg_writer_abort(w);
        cli_fail(&err);
    }
    if (emg_writer_close(w, &err) < 0)
        cli_fail(&err);
    cli_gaps_report(&gaps, in_path, emg_reader_header(r)); /* kept as NaN in the output */
}

int main(int argc, char **argv)
{
    cli_init("emg-convert", argc, argv, usage);
    static const struct option options[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_PRECISION_LONG_OPTIONS,
        CLI_INPUT_LONG_OPTIONS,
        {"to", required_argument, NULL, OPT_TO},
        {"sample-format", required_argument, NULL, OPT_SAMPLE_FORMAT},
        {"full-scale", required_argument, NULL, OPT_FULL_SCALE},
        {"wfdb-format", required_argument, NULL, OPT_WFDB_FORMAT},
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    emg_format format = EMG_FORMAT_AUTO;
    int opt;
    while ((opt = cli_getopt(argc, argv,
                             CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_INPUT_SHORT_OPTIONS,
                             options)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case OPT_TO:
            if (emg_format_from_name(optarg, &format) < 0)
                cli_usage_error("--to: unknown format '%s'", optarg);
            break;
        case OPT_SAMPLE_FORMAT: wopts.sample_format = parse_sample_format(optarg); break;
        case OPT_FULL_SCALE: wopts.full_scale = cli_parse_double("--full-scale", optarg); break;
        case OPT_WFDB_FORMAT:
            wopts.wfdb_format = (int)cli_parse_long("--wfdb-format", optarg, 8, 311);
            break;
        default: cli_usage_error("unknown option");
        }
    }
    wopts.precision = cli_precision(); /* 0: text samples round-trip */
    const char *out_path;
    int explicit_output;
    const char *in_path = cli_converter_args(argc, argv, optind, &out_path, &explicit_output);
    format = cli_signal_output(out_path, format, explicit_output);
    emg_reader *r = cli_open_input(in_path, &in);
    cli_report_write_notes(&wopts, out_path);
    convert(r, in_path, out_path, format, &wopts);
    emg_reader_close(r);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
