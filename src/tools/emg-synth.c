/* emg-synth: simulate an EMG session with ground-truth labels.
 *
 * Usage: emg-synth [--scenario NAME|FILE] [--seed N] [--duration S] [--rate HZ]
 *                  [--n-channels N] [--mains 50|60|none] [--snr DB] -o OUT.ext
 *
 * Writes the recording to OUT.ext (any format the toolkit writes, from the
 * extension; events as annotations where the format keeps them, e.g. EDF+)
 * and the ground truth beside it as OUT.events.tsv.  The simulator is the
 * library's (include/emgkit/synth.h, docs/methods/synth.md): a Fuglevand
 * et al. (1993) motor-unit pool, Hermite-Rodriguez action potentials whose
 * spectrum scales with conduction velocity (Lindstrom & Magnusson 1977), and
 * the spasm patterns of docs/spasm-criteria.md. */
#include <string.h>
#include "cli.h"

enum { OPT_SCENARIO = CLI_OPT_TOOL_BASE, OPT_SEED, OPT_DURATION, OPT_RATE, OPT_N_CHANNELS,
       OPT_MAINS, OPT_SNR, OPT_LIST, OPT_SHOW, OPT_EVENTS, OPT_BURSTS, OPT_TO };

static void usage(FILE *out)
{
    fputs("Usage: emg-synth [OPTIONS] -o OUT\n"
          "Simulate an EMG session from a physiological model and write it with its\n"
          "ground truth: OUT (format from the extension or --to) and OUT's name with the\n"
          "extension replaced by .events.tsv (onset duration channel label ... per event).\n"
          "Events are also written as annotations (EDF+/BDF+ keep them).\n\n"
          "      --scenario NAME|FILE  built-in scenario (see --list) or scenario file\n"
          "                            (docs/formats/scenario.md); default: session\n"
          "      --seed N              random seed (default 1); same seed, same output\n"
          "      --duration S          repeat or cut the timeline to S seconds\n"
          "      --rate HZ             sampling rate (default: the scenario's, else 2000)\n"
          "      --n-channels N        total channels; extra ones are neighbour EMG\n"
          "      --mains 50|60|none    mains frequency, or none for no interference\n"
          "                            (default: the scenario's)\n"
          "      --snr DB              EMG at half maximal excitation over electrode noise\n"
          "      --to FORMAT           output format: pipe wfdb edf bdf wav flac aiff caf w64\n"
          "                            rf64 hdf5 csv tsv\n"
          "      --events FILE         event table path (default beside OUT; none for \"-\")\n"
          "      --bursts FILE         also list every burst, potential and multiplet\n"
          "      --list                print the built-in scenarios, one per line\n"
          "      --show NAME           print a built-in scenario's text\n"
          "  (-o, --output OUT: required; \"-\" writes the pipe format to standard output;\n"
          "  an existing OUT is replaced.  --precision: digits of the event tables' numbers)\n\n",
          out);
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_PRECISION);
    cli_help_footer(out);
}

static void list_scenarios(void)
{
    for (size_t i = 0; i < emg_scenario_builtin_count(); i++)
        printf("%-18s %s\n", emg_scenario_builtin_name(i), emg_scenario_builtin_description(i));
}

static void show_scenario(const char *name)
{
    for (size_t i = 0; i < emg_scenario_builtin_count(); i++)
        if (!strcmp(name, emg_scenario_builtin_name(i))) {
            printf("# %s: %s\n%s", name, emg_scenario_builtin_description(i),
                   emg_scenario_builtin_text(i));
            return;
        }
    cli_usage_error("--show: no built-in scenario '%s' (see --list)", name);
}

static int is_builtin(const char *name)
{
    for (size_t i = 0; i < emg_scenario_builtin_count(); i++)
        if (!strcmp(name, emg_scenario_builtin_name(i)))
            return 1;
    return 0;
}

/* OUT.ext -> OUT.events.tsv (WFDB's .hea and others alike). */
static void events_path_for(char *dst, size_t cap, const char *out)
{
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - out) : strlen(out);
    if (stem + sizeof ".events.tsv" > cap)
        cli_usage_error("%s: output name too long", out);
    memcpy(dst, out, stem);
    strcpy(dst + stem, ".events.tsv");
}

static void simulate(emg_synth *s, const char *out_path, emg_format format, const char *events,
                     const char *bursts)
{
    emg_error err;
    emg_header header;
    if (emg_header_copy(&header, emg_synth_header(s), &err) < 0 ||
        emg_header_add_provenance(&header, cli_command_line(), &err) < 0)
        cli_fail(&err);
    emg_writer *w;
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    cli_report_write_notes(&wopts, out_path);
    int rc = emg_writer_open(&w, out_path, format, &header, &wopts, &err);
    emg_header_free(&header);
    if (rc < 0)
        cli_fail(&err);
    const emg_block *b;
    while ((rc = emg_synth_read(s, &b, &err)) > 0)
        if ((rc = emg_writer_write(w, b, &err)) < 0)
            break;
    if (rc < 0) {
        emg_writer_abort(w);
        cli_fail(&err);
    }
    FILE *ef = events ? cli_open_text_output(events) : NULL;
    if (ef && emg_synth_write_events(s, ef, &err) < 0) {
        emg_writer_abort(w);
        cli_fail(&err);
    }
    FILE *bf = bursts ? cli_open_text_output(bursts) : NULL;
    if (bf && emg_synth_write_bursts(s, bf, &err) < 0) {
        emg_writer_abort(w);
        cli_fail(&err);
    }
    if (emg_writer_close(w, &err) < 0)
        cli_fail(&err);
    if (ef)
        cli_close_text_output(ef);
    if (bf)
        cli_close_text_output(bf);
}

int main(int argc, char **argv)
{
    cli_init("emg-synth", argc, argv, usage);
    static const struct option options[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_PRECISION_LONG_OPTIONS,
        {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"seed", required_argument, NULL, OPT_SEED},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"rate", required_argument, NULL, OPT_RATE},
        {"n-channels", required_argument, NULL, OPT_N_CHANNELS},
        {"mains", required_argument, NULL, OPT_MAINS},
        {"snr", required_argument, NULL, OPT_SNR},
        {"to", required_argument, NULL, OPT_TO},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"bursts", required_argument, NULL, OPT_BURSTS},
        {"list", no_argument, NULL, OPT_LIST},
        {"show", required_argument, NULL, OPT_SHOW},
        {NULL, 0, NULL, 0},
    };
    const char *scenario = "session", *events = NULL, *bursts = NULL;
    emg_synth_options so = EMG_SYNTH_OPTIONS_INIT;
    emg_format format = EMG_FORMAT_AUTO;
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS,
                             options)) != -1) {
        switch (opt) {
        case OPT_SCENARIO: scenario = optarg; break;
        case OPT_SEED:
            so.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 2147483647L);
            break;
        case OPT_DURATION:
            so.duration = cli_parse_double("--duration", optarg);
            if (!(so.duration > 0 && so.duration <= 30 * 86400.0))
                cli_usage_error("--duration: %s is not between 0 and 30 days", optarg);
            break;
        case OPT_RATE:
            so.fs = cli_parse_double("--rate", optarg);
            if (!(so.fs >= 100 && so.fs <= 200000))
                cli_usage_error("--rate: %s Hz is not between 100 and 200000", optarg);
            break;
        case OPT_N_CHANNELS:
            so.n_channels = (int)cli_parse_long("--n-channels", optarg, 1, 256);
            break;
        case OPT_MAINS: {
            if (strcmp(optarg, "50") && strcmp(optarg, "60") && strcmp(optarg, "none"))
                cli_usage_error("--mains: expected 50, 60 or none, got '%s' (auto is for "
                                "recordings: a simulation has no mains to detect)", optarg);
            double mains = cli_parse_mains(optarg); /* 50, 60 or -1 for none */
            so.mains = mains < 0 ? 0 : (int)mains; /* the simulator's 0 is none */
            break;
        }
        case OPT_SNR:
            so.snr_db = cli_parse_double("--snr", optarg);
            if (!(so.snr_db >= -20 && so.snr_db <= 120))
                cli_usage_error("--snr: %s dB is not between -20 and 120", optarg);
            break;
        case OPT_TO:
            if (emg_format_from_name(optarg, &format) < 0)
                cli_usage_error("--to: unknown format '%s'", optarg);
            break;
        case OPT_EVENTS: events = optarg; break;
        case OPT_BURSTS: bursts = optarg; break;
        case OPT_LIST: list_scenarios(); cli_finish_stdout(); return CLI_EXIT_OK;
        case OPT_SHOW: show_scenario(optarg); cli_finish_stdout(); return CLI_EXIT_OK;
        default: cli_usage_error("unknown option");
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s' (the output goes after -o)", argv[optind]);
    const char *out_path = cli_output_path();
    if (!out_path)
        cli_usage_error("no output: give -o OUT (e.g. -o session.edf, or -o - for a pipe)");
    if (!is_builtin(scenario))
        cli_register_input(scenario); /* a scenario file is never written over */
    format = cli_signal_output(out_path, format, 1);
    char events_buf[4096];
    if (!events && strcmp(out_path, "-")) {
        events_path_for(events_buf, sizeof events_buf, out_path);
        events = events_buf;
    }
    if (events && !strcmp(events, out_path))
        cli_usage_error("--events: the event table would overwrite the recording");
    if (events && !strcmp(events, "-") && !strcmp(out_path, "-"))
        cli_usage_error("--events -: standard output already carries the recording");
    if (bursts && (!strcmp(bursts, out_path) || (events && !strcmp(bursts, events))))
        cli_usage_error("--bursts: the burst table would overwrite another output");

    emg_error err;
    emg_scenario *sc;
    if (emg_scenario_load(&sc, scenario, &err) < 0)
        cli_fail(&err);
    emg_synth *s;
    if (emg_synth_open(&s, sc, &so, &err) < 0) {
        emg_scenario_free(sc);
        cli_fail(&err);
    }
    simulate(s, out_path, format, events, bursts);
    emg_synth_close(s);
    emg_scenario_free(sc);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
