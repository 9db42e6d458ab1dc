/* emg-convert: any recording format emgkit reads to any format it writes,
 * streaming block by block (memory does not grow with the recording), with
 * channel selection and a time cut.  The output's provenance gains this
 * command line. */
#include <string.h>
#include "cli.h"

enum { OPT_TO = CLI_OPT_TOOL_BASE, OPT_SAMPLE_FORMAT, OPT_FULL_SCALE, OPT_WFDB_FORMAT,
       OPT_PRECISION };

static void usage(FILE *out)
{
    fputs("Usage: emg-convert [OPTIONS] IN [OUT]\n"
          "Convert a recording between formats.  The output format comes from OUT's\n"
          "extension or --to; OUT \"-\" or none writes the emgkit pipe format to standard\n"
          "output (docs/pipe-format.md).\n\n"
          "Output formats: .hea (WFDB), .edf (EDF+), .bdf (BDF+), .wav .flac .aiff .caf .w64\n"
          ".rf64 (libsndfile), .h5 (emgkit HDF5 layout), .csv .tsv, .emg or - (pipe).\n\n"
          "      --to FORMAT           output format: pipe wfdb edf bdf wav flac aiff caf w64\n"
          "                            rf64 hdf5 csv tsv\n"
          "      --sample-format FMT   audio samples: float32 (WAV default), float64, pcm16,\n"
          "                            pcm24 (FLAC default), pcm32\n"
          "      --full-scale X        physical value written as digital full scale (integer\n"
          "                            audio); default: channel calibration, else data range\n"
          "      --wfdb-format N       WFDB storage format 16 (default), 212, 80, 24, 32\n"
          "      --precision N         significant digits in CSV/TSV (default: round-trip)\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n\n",
          out);
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


static void convert(emg_reader *r, const char *out_path, emg_format format,
                    const emg_write_options *wopts)
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
    while ((rc = emg_reader_read(r, &b, &err)) > 0)
        if ((rc = emg_writer_write(w, b, &err)) < 0)
            break;
    if (rc < 0) {
        emg_writer_abort(w);
        cli_fail(&err);
    }
    if (emg_writer_close(w, &err) < 0)
        cli_fail(&err);
}

int main(int argc, char **argv)
{
    cli_init("emg-convert", argc, argv);
    static const struct option options[] = {
        {"to", required_argument, NULL, OPT_TO},
        {"sample-format", required_argument, NULL, OPT_SAMPLE_FORMAT},
        {"full-scale", required_argument, NULL, OPT_FULL_SCALE},
        {"wfdb-format", required_argument, NULL, OPT_WFDB_FORMAT},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        CLI_INPUT_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    emg_format format = EMG_FORMAT_AUTO;
    int opt;
    while ((opt = getopt_long(argc, argv, "hV" CLI_INPUT_SHORT_OPTIONS, options, NULL)) != -1) {
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
        case OPT_PRECISION:
            wopts.precision = (int)cli_parse_long("--precision", optarg, 1, 17);
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': puts("emg-convert " EMGKIT_VERSION); return CLI_EXIT_OK;
        default: cli_usage_error("unknown option");
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        cli_usage_error("expected IN [OUT]");
    const char *in_path = argv[optind];
    const char *out_path = argc - optind == 2 ? argv[optind + 1] : "-";
    format = cli_signal_output(in_path, out_path, format);
    emg_reader *r = cli_open_input(in_path, &in);
    cli_report_write_notes(&wopts, out_path);
    convert(r, out_path, format, &wopts);
    emg_reader_close(r);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
