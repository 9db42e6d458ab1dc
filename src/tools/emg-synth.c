/* emg-synth: simulate an EMG session with ground-truth labels.
 *
 * Usage: emg-synth [--scenario NAME|FILE] [--seed N] [--duration S] [--fs HZ]
 *                  [--channels N] [--mains 50|60|0] [--snr DB] -o OUT.ext
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

enum { OPT_SCENARIO = CLI_OPT_TOOL_BASE, OPT_SEED, OPT_DURATION, OPT_FS, OPT_CHANNELS, OPT_MAINS,
       OPT_SNR, OPT_LIST, OPT_SHOW, OPT_EVENTS, OPT_BURSTS, OPT_TO };

static void usage(FILE *out)
{
    fputs("Usage: emg-synth [OPTIONS] -o OUT\n"
          "Simulate an EMG session from a physiological model and write it with its\n"
          "ground truth: OUT (format from the extension or --to) and OUT's name with the\n"
          "extension replaced by .events.tsv (onset duration channel label ... per event).\n"
          "Events are also written as annotations (EDF+/BDF+ keep them).\n\n"
          "  -s, --scenario NAME|FILE  built-in scenario (see --list) or scenario file\n"
          "                            (docs/formats/scenario.md); default: session\n"
          "      --seed N              random seed (default 1); same seed, same output\n"
          "      --duration S          repeat or cut the timeline to S seconds\n"
          "      --fs HZ               sampling rate (default: the scenario's, else 2000)\n"
          "      --channels N          total channels; extra ones are neighbour EMG\n"
          "      --mains 50|60|0       mains frequency (0: no interference)\n"
          "      --snr DB              EMG at half maximal excitation over electrode noise\n"
          "  -o, --output OUT          recording to write (\"-\": pipe format on stdout)\n"
          "      --to FORMAT           output format: pipe wfdb edf bdf wav flac aiff caf w64\n"
          "                            rf64 hdf5 csv tsv\n"
          "      --events FILE         event table path (default beside OUT; none for \"-\")\n"
          "      --bursts FILE         also list every burst, potential and multiplet\n"
          "      --list                print the built-in scenarios, one per line\n"
          "      --show NAME           print a built-in scenario's text\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n",
          out);
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
    cli_init("emg-synth", argc, argv);
    static const struct option options[] = {
        {"scenario", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"fs", required_argument, NULL, OPT_FS},
        {"channels", required_argument, NULL, OPT_CHANNELS},
        {"mains", required_argument, NULL, OPT_MAINS},
        {"snr", required_argument, NULL, OPT_SNR},
        {"output", required_argument, NULL, 'o'},
        {"to", required_argument, NULL, OPT_TO},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"bursts", required_argument, NULL, OPT_BURSTS},
        {"list", no_argument, NULL, OPT_LIST},
        {"show", required_argument, NULL, OPT_SHOW},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *scenario = "session", *out_path = NULL, *events = NULL, *bursts = NULL;
    emg_synth_options so = EMG_SYNTH_OPTIONS_INIT;
    emg_format format = EMG_FORMAT_AUTO;
    int opt;
    while ((opt = getopt_long(argc, argv, "hVs:o:", options, NULL)) != -1) {
        switch (opt) {
        case 's': scenario = optarg; break;
        case OPT_SEED:
            so.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 2147483647L);
            break;
        case OPT_DURATION:
            so.duration = cli_parse_double("--duration", optarg);
            if (!(so.duration > 0 && so.duration <= 30 * 86400.0))
                cli_usage_error("--duration: %s is not between 0 and 30 days", optarg);
            break;
        case OPT_FS:
            so.fs = cli_parse_double("--fs", optarg);
            if (!(so.fs >= 100 && so.fs <= 200000))
                cli_usage_error("--fs: %s Hz is not between 100 and 200000", optarg);
            break;
        case OPT_CHANNELS:
            so.n_channels = (int)cli_parse_long("--channels", optarg, 1, 256);
            break;
        case OPT_MAINS:
            so.mains = (int)cli_parse_long("--mains", optarg, 0, 60);
            if (so.mains != 0 && so.mains != 50 && so.mains != 60)
                cli_usage_error("--mains: %s (50, 60 or 0)", optarg);
            break;
        case OPT_SNR:
            so.snr_db = cli_parse_double("--snr", optarg);
            if (!(so.snr_db >= -20 && so.snr_db <= 120))
                cli_usage_error("--snr: %s dB is not between -20 and 120", optarg);
            break;
        case 'o': out_path = optarg; break;
        case OPT_TO:
            if (emg_format_from_name(optarg, &format) < 0)
                cli_usage_error("--to: unknown format '%s'", optarg);
            break;
        case OPT_EVENTS: events = optarg; break;
        case OPT_BURSTS: bursts = optarg; break;
        case OPT_LIST: list_scenarios(); cli_finish_stdout(); return CLI_EXIT_OK;
        case OPT_SHOW: show_scenario(optarg); cli_finish_stdout(); return CLI_EXIT_OK;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': puts("emg-synth " EMGKIT_VERSION); return CLI_EXIT_OK;
        default: cli_usage_error("unknown option");
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s' (the output goes after -o)", argv[optind]);
    if (!out_path)
        cli_usage_error("no output: give -o OUT (e.g. -o session.edf, or -o - for a pipe)");
    emg_error err;
    if (format == EMG_FORMAT_AUTO && emg_format_from_path(out_path, &format, &err) < 0)
        cli_usage_error("%s (use --to FORMAT)", err.message);
    if (format == EMG_FORMAT_PIPE || !strcmp(out_path, "-"))
        cli_refuse_binary_tty(out_path);
    char events_buf[4096];
    if (!events && strcmp(out_path, "-")) {
        events_path_for(events_buf, sizeof events_buf, out_path);
        events = events_buf;
    }
    if (events && !strcmp(events, out_path))
        cli_usage_error("--events: the event table would overwrite the recording");
    if (events && !strcmp(events, "-") && !strcmp(out_path, "-"))
        cli_usage_error("--events -: standard output already carries the recording");

    emg_scenario *sc;
    if (emg_scenario_load(&sc, scenario, &err) < 0)
        cli_fail(&err);
    emg_synth *s;
    if (emg_synth_open(&s, sc, &so, &err) < 0) {
        emg_scenario_free(sc);
        cli_fail(&err);
    }
    if (bursts && (!strcmp(bursts, out_path) || (events && !strcmp(bursts, events))))
        cli_usage_error("--bursts: the burst table would overwrite another output");
    simulate(s, out_path, format, events, bursts);
    emg_synth_close(s);
    emg_scenario_free(sc);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
