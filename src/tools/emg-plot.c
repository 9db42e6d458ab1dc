/* emg-plot: figures of recordings, events, fatigue trends and scores.
 *
 *   emg-plot KIND [options] INPUT... -o OUT.png|OUT.svg|OUT.pdf
 *
 * Kinds: signal (channels stacked, events shaded and named), spectrogram
 * (with a colour bar), trend (MDF/MNF over the active windows with the fitted
 * line and its confidence band, as emg-fatigue computes them), gallery (each
 * labelled event's waveform and envelope), forest (per-recording slopes of
 * emg-fatigue tables with the pooled random-effects estimate), counts (events
 * per label), confusion (an emg-score --confusion matrix).  Drawn with PLplot
 * (docs/plotting.md); the SVG output is the same bytes for the same input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/spectrum.h"
#include "plot.h"

enum { OPT_SIZE = CLI_OPT_TOOL_BASE, OPT_TITLE, OPT_EVENTS, OPT_MAX_FREQ, OPT_CONFIDENCE,
       OPT_MAX_EVENTS, OPT_PER_CONTRACTION };

static const struct {
    const char *name;
    void (*draw)(const plot_request *r);
    int reads_recording; /* else its inputs are tables */
    const char *help;
} KINDS[] = {
    {"signal", plot_signal, 1, "channels stacked, events shaded and named (one input)"},
    {"spectrogram", plot_spectrogram, 1, "short-time PSD in dB with a colour bar (one input)"},
    {"trend", plot_trend, 1, "MDF/MNF of the active windows, fitted line, CI band"},
    {"gallery", plot_gallery, 1, "each event's waveform and envelope (needs --events)"},
    {"forest", plot_forest, 0, "slopes of emg-fatigue tables with the pooled estimate"},
    {"counts", plot_counts, 0, "events per label in event tables"},
    {"confusion", plot_confusion, 0, "an emg-score --confusion matrix"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s KIND [options] INPUT... -o OUT.png|OUT.svg|OUT.pdf\n"
            "Figures of recordings, events, fatigue trends and scores (PLplot; SVG output is\n"
            "byte-for-byte reproducible).  KIND is one of:\n",
            cli_prog());
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        fprintf(out, "  %-12s %s\n", KINDS[i].name, KINDS[i].help);
    fputs("\n"
          "  --size NAME|WxH        screen (1280x720, default), column (3.5 x 2.6 in at\n"
          "                         300 dpi), page (7 x 4.5 in at 300 dpi) or W x H pixels\n"
          "  --title TEXT           a title above the figure\n"
          "  --events FILE          event table to draw (signal, gallery; default: the\n"
          "                         recording's annotations)\n"
          "  --max-freq HZ          spectrogram: highest frequency shown (default 500)\n"
          "  --confidence P         trend band and forest intervals (default 0.95)\n"
          "  --max-events N         gallery: at most N events, the first by onset (12)\n"
          "  --per-contraction      trend: a line and band per contraction (as emg-fatigue\n"
          "                         --per-contraction finds them) instead of one\n"
          "  --no-filter            trend: do not filter (the default is emg-fatigue's chain;\n"
          "                         signal, spectrogram, gallery: raw unless --filter)\n"
          "  (--features LIST: trend, the features drawn (default mdf,mnf); forest, the\n"
          "   feature whose slopes are pooled (default mdf))\n\n",
          out);
    cli_common_help(out, CLI_HELP_OUTPUT);
    cli_window_help(out, "mdf,mnf");
    cli_spectral_help(out, 0);
    cli_input_help(out);
    cli_help_footer(out);
}

static void parse_options(plot_request *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_INPUT_LONG_OPTIONS,
        CLI_WINDOW_LONG_OPTIONS,
        CLI_SPECTRAL_LONG_OPTIONS,
        {"size", required_argument, NULL, OPT_SIZE},
        {"title", required_argument, NULL, OPT_TITLE},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"max-freq", required_argument, NULL, OPT_MAX_FREQ},
        {"confidence", required_argument, NULL, OPT_CONFIDENCE},
        {"max-events", required_argument, NULL, OPT_MAX_EVENTS},
        {"per-contraction", no_argument, NULL, OPT_PER_CONTRACTION},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = cli_getopt(argc, argv,
                             CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_INPUT_SHORT_OPTIONS CLI_WINDOW_SHORT_OPTIONS,
                             longopts)) != -1) {
        if (cli_input_option(&r->in, opt, optarg) || cli_analysis_option(&r->a, opt, optarg))
            continue;
        switch (opt) {
        case OPT_SIZE: r->size = plot_parse_size(optarg); break;
        case OPT_TITLE: r->title = optarg; break;
        case OPT_EVENTS: r->events = optarg; break;
        case OPT_MAX_FREQ:
            r->max_freq = cli_parse_double("--max-freq", optarg);
            if (!(r->max_freq > 0))
                cli_usage_error("--max-freq: must be > 0");
            break;
        case OPT_CONFIDENCE:
            r->confidence = cli_parse_double("--confidence", optarg);
            if (!(r->confidence > 0 && r->confidence < 1))
                cli_usage_error("--confidence: must be in (0, 1)");
            break;
        case OPT_MAX_EVENTS:
            r->max_events = (size_t)cli_parse_long("--max-events", optarg, 1, 1000);
            break;
        case OPT_PER_CONTRACTION: r->per_contraction = 1; break;
        default: cli_usage_error("unknown option");
        }
    }
}

/* The kind named by the first argument; NULL when it is an option (--help). */
static int find_kind(const char *arg)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (!strcmp(arg, KINDS[i].name))
            return (int)i;
    return -1;
}

int main(int argc, char **argv)
{
    plot_request r = {.size = plot_parse_size("screen"), .confidence = 0.95, .max_events = 12,
                      .max_freq = 500};
    cli_init("emg-plot", argc, argv, usage);
    cli_input_init(&r.in);
    cli_analysis_init(&r.a, -1, NULL); /* -1: the kind's default, below */
    int kind = argc > 1 ? find_kind(argv[1]) : -1;
    if (kind < 0 && argc > 1 && argv[1][0] != '-')
        cli_usage_error("'%s' is not a kind of plot (signal, spectrogram, trend, gallery, "
                        "forest, counts, confusion)", argv[1]);
    int shift = kind >= 0;
    parse_options(&r, argc - shift, argv + shift);
    if (kind < 0)
        cli_usage_error("no kind of plot given");
    r.kind = KINDS[kind].name;
    if (r.a.filter_on < 0)
        r.a.filter_on = !strcmp(r.kind, "trend");
    if (!r.a.feature_list)
        r.a.feature_list = !strcmp(r.kind, "forest") ? "mdf" : "mdf,mnf";
    r.output = cli_output_path();
    if (!r.output)
        cli_usage_error("no output: name it with -o OUT.png, OUT.svg or OUT.pdf");
    r.n_inputs = cli_collect_inputs(argc - shift, argv + shift, optind, &r.inputs);
    if (KINDS[kind].reads_recording && r.n_inputs != 1)
        cli_usage_error("%s draws one recording (%zu given)", r.kind, r.n_inputs);
    if (r.events)
        cli_register_input(r.events);
    emg_error err;
    if (r.a.wisdom && emg_fftw_wisdom_load(r.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s (continuing without it)", err.message);
    KINDS[kind].draw(&r);
    if (r.a.wisdom && emg_fftw_wisdom_save(r.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s", err.message);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
