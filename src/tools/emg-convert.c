/* emg-convert: any recording format emgkit reads to any format it writes,
 * streaming block by block (memory does not grow with the recording), with
 * channel selection and a time cut.  The output's provenance gains this
 * command line. */
#include <string.h>
#include "cli.h"
#include "cli_bids.h"

enum { OPT_TO = CLI_OPT_TOOL_BASE, OPT_SAMPLE_FORMAT, OPT_FULL_SCALE, OPT_WFDB_FORMAT,
       OPT_SUBJECT, OPT_SESSION, OPT_TASK, OPT_RUN, OPT_EVENTS, OPT_SAMPLE_SHEET,
       OPT_DATA_FORMAT, OPT_MAINS };

static void usage(FILE *out)
{
    fputs("Usage: emg-convert [OPTIONS] IN [OUT]\n"
          "       emg-convert --to bids --task NAME [OPTIONS] IN... -o ROOT\n"
          "       emg-convert --to bids --sample-sheet FILE [OPTIONS] -o ROOT\n"
          "Convert a recording between formats.  The output, OUT or -o FILE, is written in\n"
          "the format its extension names or --to; \"-\" or none writes the emgkit pipe\n"
          "format to standard output (docs/pipe-format.md).  An existing recording is\n"
          "replaced only when named with -o (never the last file of a glob by mistake).\n"
          "--to bids writes the recordings into the BIDS EMG dataset ROOT\n"
          "(docs/formats/bids.md); --to nwb writes an NWB 2.x file (docs/formats/nwb.md).\n\n"
          "Output formats: .hea (WFDB), .edf (EDF+), .bdf (BDF+), .wav .flac .aiff .caf .w64\n"
          ".rf64 (libsndfile), .h5 (emgkit HDF5 layout), .nwb (NWB), .csv .tsv, .emg or -\n"
          "(pipe); a BIDS dataset folder with --to bids.\n\n"
          "      --to FORMAT           output format: pipe wfdb edf bdf wav flac aiff caf w64\n"
          "                            rf64 hdf5 nwb csv tsv bids\n"
          "      --subject ID          subject label (BIDS sub-ID, NWB subject_id; default\n"
          "                            for BIDS: the input's name, letters and digits)\n"
          "      --session ID          session label (BIDS ses-ID, NWB session_id)\n"
          "      --task NAME           BIDS task label (required with --to bids, unless the\n"
          "                            sample sheet has a task column)\n"
          "      --run N               BIDS run index (default: 1, 2, ... for recordings\n"
          "                            that share subject, session and task)\n"
          "      --events FILE         event table of the one input (onset duration channel\n"
          "                            label ...): its rows go into BIDS _events.tsv, or\n"
          "                            the NWB TimeIntervals table /intervals/NAME\n"
          "      --sample-sheet FILE   BIDS: one recording a row, columns file and any of\n"
          "                            subject session task run events (paths relative\n"
          "                            to the sheet)\n"
          "      --data-format edf|bdf BIDS data files: bdf (24-bit BDF+, the default, which\n"
          "                            BIDS recommends) or edf (16-bit EDF+)\n"
          "      --mains 50|60|none    BIDS PowerLineFrequency (default none: n/a)\n"
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


/* --subject for any output (the header's subject); --session for NWB. */
static const char *subject;

/* Options that name BIDS entities or files mean nothing for other outputs. */
static void refuse_bids_only_options(const cli_bids_settings *b, emg_format format)
{
    const char *name = b->task ? "--task" : b->run ? "--run"
                     : b->sample_sheet ? "--sample-sheet" : b->power_line_hz > 0 ? "--mains"
                     : NULL;
    if (name)
        cli_usage_error("%s applies to --to bids only", name);
    /* NWB keeps a session label and an event table too. */
    const char *bids_or_nwb = b->session ? "--session" : b->events ? "--events" : NULL;
    if (bids_or_nwb && format != EMG_FORMAT_NWB)
        cli_usage_error("%s applies to --to bids and --to nwb only", bids_or_nwb);
}

static void convert(emg_reader *r, const char *in_path, const char *out_path,
                    emg_format format, const emg_write_options *wopts)
{
    emg_error err;
    emg_header header;
    if (emg_header_copy(&header, emg_reader_header(r), &err) < 0 ||
        emg_header_add_provenance(&header, cli_command_line(), &err) < 0)
        cli_fail(&err);
    if (subject)
        snprintf(header.subject, sizeof header.subject, "%s", subject);
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
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"session", required_argument, NULL, OPT_SESSION},
        {"task", required_argument, NULL, OPT_TASK},
        {"run", required_argument, NULL, OPT_RUN},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"sample-sheet", required_argument, NULL, OPT_SAMPLE_SHEET},
        {"data-format", required_argument, NULL, OPT_DATA_FORMAT},
        {"mains", required_argument, NULL, OPT_MAINS},
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    emg_format format = EMG_FORMAT_AUTO;
    cli_bids_settings bids = {0};
    bids.data_format = EMG_FORMAT_BDF;
    int to_bids = 0;
    int opt;
    while ((opt = cli_getopt(argc, argv,
                             CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_INPUT_SHORT_OPTIONS,
                             options)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case OPT_TO:
            to_bids = !strcmp(optarg, "bids");
            if (!to_bids && emg_format_from_name(optarg, &format) < 0)
                cli_usage_error("--to: unknown format '%s'", optarg);
            break;
        case OPT_SUBJECT: bids.subject = optarg; break;
        case OPT_SESSION: bids.session = optarg; break;
        case OPT_TASK: bids.task = optarg; break;
        case OPT_RUN:
            cli_parse_long("--run", optarg, 1, 1000000);
            bids.run = optarg;
            break;
        case OPT_EVENTS: bids.events = optarg; break;
        case OPT_SAMPLE_SHEET: bids.sample_sheet = optarg; break;
        case OPT_DATA_FORMAT:
            if (strcmp(optarg, "edf") && strcmp(optarg, "bdf"))
                cli_usage_error("--data-format: edf or bdf, not '%s'", optarg);
            bids.data_format = strcmp(optarg, "edf") ? EMG_FORMAT_BDF : EMG_FORMAT_EDF;
            break;
        case OPT_MAINS: {
            double mains = cli_parse_mains(optarg);
            if (mains == 0)
                cli_usage_error("--mains: a BIDS export records the mains frequency: 50, 60 or "
                                "none, not auto");
            bids.power_line_hz = mains > 0 ? mains : 0;
            break;
        }
        case OPT_SAMPLE_FORMAT: wopts.sample_format = parse_sample_format(optarg); break;
        case OPT_FULL_SCALE: wopts.full_scale = cli_parse_double("--full-scale", optarg); break;
        case OPT_WFDB_FORMAT:
            wopts.wfdb_format = (int)cli_parse_long("--wfdb-format", optarg, 8, 311);
            break;
        default: cli_usage_error("unknown option");
        }
    }
    wopts.precision = cli_precision(); /* 0: text samples round-trip */
    if (to_bids)
        return cli_convert_to_bids(argc, argv, optind, &bids, &in, &wopts);
    wopts.session = bids.session;
    subject = bids.subject;
    if (bids.events)
        cli_register_input(bids.events); /* never written over */
    const char *out_path;
    int explicit_output;
    const char *in_path = cli_converter_args(argc, argv, optind, &out_path, &explicit_output);
    format = cli_signal_output(out_path, format, explicit_output);
    refuse_bids_only_options(&bids, format);
    wopts.events_table = bids.events; /* NWB: /intervals/NAME */
    emg_reader *r = cli_open_input(in_path, &in);
    cli_report_write_notes(&wopts, out_path);
    convert(r, in_path, out_path, format, &wopts);
    emg_reader_close(r);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
