/* emg-dataset: a labelled HDF5 dataset for learning from recordings and
 * their event tables.
 *
 *   emg-dataset -o DATA.h5 [--append] [--cut windows|events] [-w S] [-s S]
 *               [--rate HZ] [--split A,B,C] [--seed N] [--features LIST]
 *               [--events-suffix SUFFIX | --sample-sheet SHEET.tsv] INPUT...
 *
 * Each recording is paired with an event table: by default the recording's
 * name with its extension replaced by --events-suffix (".events.tsv", what
 * emg-synth writes; ".labels.tsv" for emg-label output saved so), or by a
 * sample sheet (columns file, events, and optionally subject, session).  Rows
 * are fixed windows or one per event; samples, labels, features, metadata,
 * splits grouped by subject, class counts and provenance go to one HDF5 file
 * (docs/dataset-layout.md; library: include/emgkit/dataset.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/bids.h"
#include "emgkit/dataset.h"

enum { OPT_APPEND = CLI_OPT_TOOL_BASE, OPT_CUT, OPT_RATE, OPT_SPLIT, OPT_SEED, OPT_SUFFIX,
       OPT_SHEET, OPT_BACKGROUND, OPT_SKIP, OPT_MAX_CHANNELS };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s -o DATA.h5 [options] INPUT...\n"
            "       %s -o DATA.h5 [options] --sample-sheet SHEET.tsv\n"
            "Build a labelled HDF5 dataset for learning from recordings and their event tables:\n"
            "samples (N x channels x length float32), labels, features, per-row metadata,\n"
            "train/validation/test splits grouped by subject, class counts and provenance\n"
            "(docs/dataset-layout.md).\n\n"
            "  --append               add the inputs to the existing DATA.h5 (its rows and\n"
            "                         subject splits stay; give the options it was built with)\n"
            "  --events-suffix SUFFIX each INPUT's event table is INPUT with its extension\n"
            "                         replaced by SUFFIX (default .events.tsv); a BIDS\n"
            "                         recording's is its _events.tsv (an INPUT may be a BIDS\n"
            "                         dataset root; subjects and sessions from the names)\n"
            "  --sample-sheet FILE    one recording a row: columns file, events, and optionally\n"
            "                         subject, session (paths relative to the sheet)\n"
            "  --cut MODE             windows: fixed windows of -w every -s seconds, labelled by\n"
            "                         the event covering at least half; events: one row per\n"
            "                         event, -w seconds from its onset (default windows)\n"
            "  -w, --window S         row length in seconds (default 1)\n"
            "  -s, --step S           step between windows in seconds (default 0.5)\n"
            "  --rate HZ              resample every channel to HZ (polyphase, as SciPy's\n"
            "                         resample_poly); default: keep the rate, one for all inputs\n"
            "  --max-channels N       channels per row (default: most among the inputs; rows of\n"
            "                         recordings with fewer are padded with NaN)\n"
            "  --background LABEL     label of windows no event covers half of (default rest)\n"
            "  --skip LABELS          leave events with these labels (comma list) out\n"
            "  --split A,B,C          fractions of train, validation, test (default\n"
            "                         0.7,0.15,0.15); subjects are never in two splits\n"
            "  --seed N               seed of the split order (default 1)\n"
            "  --features LIST        features of each row's channels (default 'default';\n"
            "                         emg-features --list shows them all)\n"
            "  --band LO:HI           band for frequency features in Hz (20:450, clipped at\n"
            "                         Nyquist)\n"
            "  --zc-threshold X, --ssc-threshold X, --wamp-threshold X\n"
            "                         thresholds in the signal's unit (ssc: unit^2); default 0\n"
            "  --inputs LIST          also read the recordings listed in LIST, one per line\n\n",
            cli_prog(), cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT);
    cli_input_help(out);
    cli_help_footer(out);
}

typedef struct dataset_job {
    cli_input in;
    cli_analysis a;
    emg_dataset_options o;
    const char *suffix, *sheet, *cut_name, *rate_arg, *split_arg;
    int append;
    size_t *ids;
} dataset_job;

static void parse_split(dataset_job *j, const char *arg)
{
    double *f = j->o.split;
    char tail;
    if (sscanf(arg, "%lf,%lf,%lf%c", &f[0], &f[1], &f[2], &tail) != 3 || f[0] < 0 || f[1] < 0 ||
        f[2] < 0 || fabs(f[0] + f[1] + f[2] - 1) > 1e-6 || !(f[0] > 0))
        cli_usage_error("--split: '%s' is not three fractions >= 0 summing to 1 (train > 0)", arg);
    j->split_arg = arg;
}

static void parse_options(dataset_job *j, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        {"inputs", required_argument, NULL, CLI_OPT_INPUTS},
        CLI_INPUT_LONG_OPTIONS,
        {"window", required_argument, NULL, 'w'},
        {"step", required_argument, NULL, 's'},
        {"features", required_argument, NULL, CLI_OPT_FEATURES},
        {"band", required_argument, NULL, CLI_OPT_BAND},
        {"zc-threshold", required_argument, NULL, CLI_OPT_ZC},
        {"ssc-threshold", required_argument, NULL, CLI_OPT_SSC},
        {"wamp-threshold", required_argument, NULL, CLI_OPT_WAMP},
        {"append", no_argument, NULL, OPT_APPEND},
        {"cut", required_argument, NULL, OPT_CUT},
        {"rate", required_argument, NULL, OPT_RATE},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"events-suffix", required_argument, NULL, OPT_SUFFIX},
        {"sample-sheet", required_argument, NULL, OPT_SHEET},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"max-channels", required_argument, NULL, OPT_MAX_CHANNELS},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS CLI_INPUT_SHORT_OPTIONS "w:s:",
                             longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg) || cli_analysis_option(&j->a, opt, optarg))
            continue;
        switch (opt) {
        case OPT_APPEND: j->append = 1; break;
        case OPT_CUT:
            if (strcmp(optarg, "windows") && strcmp(optarg, "events"))
                cli_usage_error("--cut: '%s' is neither windows nor events", optarg);
            j->cut_name = optarg;
            j->o.cut = !strcmp(optarg, "events") ? EMG_DATASET_EVENTS : EMG_DATASET_WINDOWS;
            break;
        case OPT_RATE:
            j->o.rate = cli_parse_double("--rate", optarg);
            if (!(j->o.rate > 0))
                cli_usage_error("--rate: must be > 0 Hz");
            j->rate_arg = optarg;
            break;
        case OPT_SPLIT: parse_split(j, optarg); break;
        case OPT_SEED: j->o.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 2147483647L); break;
        case OPT_SUFFIX: j->suffix = optarg; break;
        case OPT_SHEET: j->sheet = optarg; cli_register_input(optarg); break;
        case OPT_BACKGROUND: j->o.background = optarg; break;
        case OPT_SKIP: j->o.skip_labels = optarg; break;
        case OPT_MAX_CHANNELS:
            j->o.max_channels = (size_t)cli_parse_long("--max-channels", optarg, 1, 65536);
            break;
        default: cli_usage_error("unknown option");
        }
    }
    if (!cli_output_path() || !strcmp(cli_output_path(), "-"))
        cli_usage_error("name the dataset with -o DATA.h5");
    if (!(j->a.window.window_s > 0) || !(j->a.window.step_s > 0))
        cli_usage_error("-w and -s must be > 0 seconds");
}

/* The canonical text of every option that shapes the rows: stored in the
 * dataset and compared by --append. */
static char *parameter_text(const dataset_job *j)
{
    const emg_feature_options *f = &j->a.features;
    size_t n = 4096 + strlen(j->a.feature_list) + (j->in.channels ? strlen(j->in.channels) : 0) +
               strlen(j->o.background) + (j->o.skip_labels ? strlen(j->o.skip_labels) : 0);
    char *s = malloc(n);
    if (!s)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    char rate[32] = "native";
    if (j->o.rate > 0)
        snprintf(rate, sizeof rate, "%.10g", j->o.rate);
    snprintf(s, n,
             "cut=%s window=%.10g step=%.10g rate=%s max_channels=%zu channels=%s from=%.10g "
             "to=%.10g background=%s skip=%s split=%.10g,%.10g,%.10g seed=%llu features=%s "
             "band=%.10g:%.10g zc=%.10g ssc=%.10g wamp=%.10g",
             j->o.cut == EMG_DATASET_EVENTS ? "events" : "windows", j->a.window.window_s,
             j->a.window.step_s, rate, j->o.max_channels, j->in.channels ? j->in.channels : "all",
             j->in.from, j->in.to, j->o.background, j->o.skip_labels ? j->o.skip_labels : "",
             j->o.split[0], j->o.split[1], j->o.split[2], (unsigned long long)j->o.seed,
             j->a.feature_list, f->band_low, f->band_high, f->zc_threshold, f->ssc_threshold,
             f->wamp_threshold);
    return s;
}

/* One recording to add. */
typedef struct pairing {
    char *file, *events, *subject, *session;
} pairing;

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    return d;
}

/* INPUT with its extension (after the last '.' of the last component) replaced by suffix. */
static char *events_beside(const char *input, const char *suffix)
{
    const char *slash = strrchr(input, '/'), *dot = strrchr(input, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - input) : strlen(input);
    char *p = malloc(stem + strlen(suffix) + 1);
    if (!p)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    memcpy(p, input, stem);
    strcpy(p + stem, suffix);
    return p;
}

/* A BIDS recording (sub-..._emg.edf|bdf, alone or from a dataset root) pairs
 * with its _events.tsv and is its subject's and session's; any other with the
 * table named by the suffix, its subject being its name. */
static void pair_with_events(pairing *p, const char *input, const char *suffix)
{
    emg_bids_entities e;
    char stem[4096];
    if (emg_bids_parse_data_path(input, &e, stem, sizeof stem - sizeof "_events.tsv")) {
        p->events = xstrdup(strcat(stem, "_events.tsv"));
        p->subject = xstrdup(e.subject);
        p->session = xstrdup(e.session);
        return;
    }
    p->events = events_beside(input, suffix);
    p->subject = xstrdup("");
    p->session = xstrdup("");
}

static size_t read_sheet(const char *sheet, pairing **out)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, sheet, &err) < 0)
        cli_fail(&err);
    int c_file = emg_table_column(&t, "file"), c_ev = emg_table_column(&t, "events");
    int c_sub = emg_table_column(&t, "subject"), c_ses = emg_table_column(&t, "session");
    if (c_file < 0 || c_ev < 0)
        cli_die(CLI_EXIT_FORMAT, "%s: %s: a sample sheet needs file and events columns", cli_prog(),
                sheet);
    pairing *p = calloc(t.n_rows ? t.n_rows : 1, sizeof *p);
    if (!p)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t r = 0; r < t.n_rows; r++) {
        if (!emg_table_cell(&t, r, c_file)[0] || !emg_table_cell(&t, r, c_ev)[0])
            cli_die(CLI_EXIT_FORMAT, "%s: %s:%zu: no file or no events", cli_prog(), sheet,
                    emg_table_line(&t, r));
        p[r].file = cli_sheet_path(sheet, emg_table_cell(&t, r, c_file));
        p[r].events = cli_sheet_path(sheet, emg_table_cell(&t, r, c_ev));
        p[r].subject = xstrdup(c_sub >= 0 ? emg_table_cell(&t, r, c_sub) : "");
        p[r].session = xstrdup(c_ses >= 0 ? emg_table_cell(&t, r, c_ses) : "");
        if (!strcmp(p[r].subject, "n/a"))
            p[r].subject[0] = '\0';
        if (!strcmp(p[r].session, "n/a"))
            p[r].session[0] = '\0';
        cli_register_input(p[r].file);
        cli_register_input(p[r].events);
    }
    size_t n = t.n_rows;
    emg_table_free(&t);
    *out = p;
    return n;
}

static size_t collect_pairings(dataset_job *j, int argc, char **argv, pairing **out)
{
    if (j->sheet) {
        if (optind < argc || cli_inputs_list())
            cli_usage_error("give the recordings either as arguments or in --sample-sheet, "
                            "not both");
        return read_sheet(j->sheet, out);
    }
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    pairing *p = calloc(n, sizeof *p);
    if (!p)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(paths[i], "-"))
            cli_usage_error("a recording must be a file (its checksum is recorded), not '-'");
        p[i].file = xstrdup(paths[i]);
        pair_with_events(&p[i], paths[i], j->suffix);
        cli_register_input(p[i].events);
    }
    *out = p;
    return n;
}

/* Channels per row of a new dataset: the most any input has (headers only). */
static size_t most_channels(const dataset_job *j, const pairing *p, size_t n)
{
    size_t most = 0;
    for (size_t i = 0; i < n; i++) {
        emg_reader *r = cli_open_input(p[i].file, &j->in);
        size_t c = emg_reader_header(r)->n_channels;
        most = c > most ? c : most;
        emg_reader_close(r);
    }
    return most;
}

/* The dataset being built or appended to: a failure anywhere (cli_fail exits)
 * drops it, which for an append in place rolls the file back to its committed
 * rows.  Registered with atexit after HDF5 started, so it runs before HDF5's
 * own clean-up. */
static emg_dataset *open_dataset;

static void drop_open_dataset(void)
{
    emg_dataset_abort(open_dataset);
    open_dataset = NULL;
}

static void add_one(emg_dataset *d, const dataset_job *j, const pairing *p)
{
    emg_recording rec;
    emg_table events;
    emg_error err;
    emg_recording_init(&rec);
    emg_table_init(&events);
    cli_load_input(&rec, p->file, &j->in);
    if (emg_table_read(&events, p->events, &err) < 0)
        cli_fail(&err);
    emg_dataset_source src = {p->file, p->events, p->subject, p->session};
    int duplicate = 0;
    int rows = emg_dataset_add(d, &src, &rec, &events, &duplicate, &err);
    if (rows < 0)
        cli_fail(&err); /* removes the temporary dataset: nothing half-built stays */
    if (duplicate)
        cli_warn(p->file, "already in the dataset (same SHA-256): not added again");
    else if (cli_verbose())
        fprintf(stderr, "%s: %s: %d rows\n", cli_prog(), p->file, rows);
    emg_table_free(&events);
    emg_recording_free(&rec);
}

int main(int argc, char **argv)
{
    static dataset_job j;
    emg_error err;
    cli_init("emg-dataset", argc, argv, usage);
    cli_input_init(&j.in);
    cli_analysis_init(&j.a, 0, "default");
    j.o = (emg_dataset_options){.split = {0.7, 0.15, 0.15}, .seed = 1, .background = "rest"};
    j.suffix = ".events.tsv";
    parse_options(&j, argc, argv);
    const char *out = cli_output_path();
    pairing *p = NULL;
    size_t n = collect_pairings(&j, argc, argv, &p);
    if (n == 0)
        cli_usage_error("no recordings");
    cli_refuse_output_over_input(out, EMG_FORMAT_AUTO);
    if (emg_feature_list_parse(j.a.feature_list, &j.ids, &j.o.n_features, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    j.o.feature_ids = j.ids;
    j.o.window_s = j.a.window.window_s;
    j.o.step_s = j.a.window.step_s;
    j.o.features = j.a.features;
    j.o.spectrum = j.a.spectrum;
    emg_fftw_reproducible(1); /* the same inputs give the same file, to the bit */
    char *params = parameter_text(&j);
    j.o.parameters = params;
    if (!j.append && !j.o.max_channels)
        j.o.max_channels = most_channels(&j, p, n);

    emg_dataset *d;
    if (emg_dataset_open(&d, out, j.append, &j.o, &err) < 0) {
        if (err.status == EMG_ERR_ARG)
            cli_usage_error("%s", err.message);
        cli_fail(&err);
    }
    open_dataset = d;
    atexit(drop_open_dataset);
    for (size_t i = 0; i < n; i++)
        add_one(d, &j, &p[i]);
    emg_dataset_summary s;
    open_dataset = NULL; /* closed, or dropped, by emg_dataset_close */
    if (emg_dataset_close(d, &s, &err) < 0)
        cli_fail(&err);
    if (!cli_quiet())
        fprintf(stderr, "%s: %s: %zu rows, %zu subjects, %zu classes; train %zu, validation %zu, "
                        "test %zu rows\n",
                cli_prog(), out, s.rows, s.subjects, s.classes, s.split_rows[0], s.split_rows[1],
                s.split_rows[2]);
    if (s.classes_not_in_every_split[0])
        cli_warn(out, "too few subjects hold %s to put %s in every split (the class table "
                      "shows where they are)", s.classes_not_in_every_split,
                 strchr(s.classes_not_in_every_split, ',') ? "these classes" : "it");
    for (size_t i = 0; i < n; i++)
        free(p[i].file), free(p[i].events), free(p[i].subject), free(p[i].session);
    free(p);
    free(params);
    free(j.ids);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
