/* emg-label: label EMG activity with the spasm types of docs/spasm-criteria.md.
 *
 *   emg-label [--context CTX] [--pair AG:ANT]... [--force CH] [--explain[=FILE]]
 *             [--annotate OUT.edf] [-o OUT.tsv] [options] INPUT...
 *
 * One row per event: file onset duration channel label confidence, then the
 * evidence the decision used (bursts, burst rate, interval CV, %COCON and
 * lag with the partner, MDF, amplitude over rest, rise time, phases, spikes
 * per burst, context, rule, note).  Where an input that would decide is
 * missing (force channel, pair, context), the events are "unclassified" and
 * a message names the input once on stderr.  Every threshold of the rules is
 * an option, from the one table include/emgkit/label_params.def. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/label.h"

enum { OPT_CONTEXT = CLI_OPT_TOOL_BASE, OPT_PAIR, OPT_FORCE, OPT_EXPLAIN, OPT_ANNOTATE,
       OPT_REST, OPT_NO_AUTO, OPT_FILTER_BAND, OPT_MAINS, OPT_MEMORY,
       OPT_NUMERIC_BASE = CLI_OPT_TOOL_BASE + 50 };

/* Memory for samples (--memory, MiB), as emg-detect's: half holds the
 * recording (spooled beyond to temporary files), half the blocks of the
 * streamed labelling. */
#define DEFAULT_MEMORY_MIB 256

/* The thresholds: one long option each, from emgkit/label_params.def. */
#define N_NUM ((size_t)EMG_LABEL_N_PARAMS)

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Label EMG activity with spasm types (cramp fasciculation tonic dystonic ischemic\n"
            "clonic myoclonic ataxic tetanic strain mixed unclassified; voluntary and tremor\n"
            "are reported as non-spasms) after docs/spasm-criteria.md. An event whose\n"
            "sustained and burst segments match two spasm rules is mixed (rule column\n"
            "e.g. 5-mixed:cramp+clonic).\n\n"
            "Inputs that decide:\n"
            "  --context CTX          rest sleep exercise movement cns-lesion ischemia\n"
            "                         hyperventilation injury; overrides every annotation.\n"
            "                         Without it, each event takes the context of the\n"
            "                         'context CTX' annotations that overlap it (the one\n"
            "                         holding for most of the event; innermost span wins),\n"
            "                         else the recording-wide one (first context annotation,\n"
            "                         or context=CTX in the recording description)\n"
            "  --pair AG:ANT          agonist and antagonist channels (name or 1-based index),\n"
            "                         repeatable\n"
            "  --force CH             force, MMG or accelerometer channel\n"
            "  --no-auto-roles        do not take roles from channel names\n"
            "Output (the label table, TSV, goes to -o or standard output):\n"
            "  --annotate OUT         write the recording with the labels as annotations\n"
            "                         (EDF+, HDF5, pipe...: format from the extension; one\n"
            "                         input)\n"
            "  --explain[=FILE]       rules tested per event and why (default stderr; FILE:\n"
            "                         one input)\n"
            "  --memory MIB           hold up to MIB of samples in memory (256): half the\n"
            "                         recording, spooled beyond to temporary files ($TMPDIR),\n"
            "                         half the blocks it is labelled in\n"
            "Measurement:\n"
            "  --rest FROM:TO         rest interval in seconds (default: quietest windows)\n"
            "  --filter-band LO:HI    band-pass in Hz (20:450)\n"
            "  --mains F              mains removed from the spectral measures: 50, 60, auto\n"
            "                         (default: detected per channel), or none\n\n",
            cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
    fprintf(out, "Thresholds (defaults from the criteria page or documented design choices;\n"
                 "rules and sources: docs/methods/labelling.md):\n");
    const emg_label_param *p = emg_label_params(NULL);
    for (size_t k = 0; k < N_NUM; k++)
        fprintf(out, "  --%-20s %s (%g%s%s)\n", p[k].option, p[k].help, p[k].def,
                p[k].unit[0] ? " " : "", p[k].unit);
    fputc('\n', out);
    cli_input_help(out);
    cli_help_footer(out);
}

/* FROM:TO with TO > FROM. */
static void parse_range(const char *opt, const char *arg, double *a, double *b)
{
    cli_parse_pair(opt, arg, a, b);
    if (!(*b > *a))
        cli_usage_error("%s: the second value must be greater than the first", opt);
}

static int find_channel(const emg_header *h, const char *spec, const char *opt)
{
    int c = emg_header_find_channel(h, spec);
    if (c < 0)
        cli_usage_error("%s: no channel '%s'", opt, spec);
    return c;
}

static void write_table(FILE *f, const char *path, const emg_label_result *r,
                        const emg_header *h)
{
    static const char *cols[] = {"file", "onset", "duration", "channel", "label", "confidence",
                                 "n_bursts", "burst_ms", "rate_hz", "interval_cv",
                                 "cocon", "partner", "lag", "mdf", "amp_over_rest",
                                 "rise_time", "phases", "spikes", "context", "rule", "note"};
    emg_tsv_header(f, sizeof cols / sizeof *cols, cols);
    for (size_t k = 0; k < r->n_events; k++) {
        const emg_label_event *e = &r->events[k];
        emg_tsv_str(f, path, 0);
        emg_tsv_time(f, e->onset, 0);
        emg_tsv_time(f, e->duration, 0);
        emg_tsv_str(f, h->channels[e->channel].name, 0);
        emg_tsv_str(f, e->label, 0);
        emg_tsv_num(f, round(e->confidence * 100) / 100, 0);
        emg_tsv_num(f, e->n_bursts, 0);
        emg_tsv_num(f, 1e3 * e->burst_duration, 0); /* ms, as the truth tables' burst_ms */
        emg_tsv_num(f, e->burst_rate, 0);            /* Hz: rate_hz */
        emg_tsv_num(f, e->interval_cv, 0);
        emg_tsv_num(f, e->cocon, 0);
        emg_tsv_str(f, e->partner >= 0 ? h->channels[e->partner].name : "n/a", 0);
        emg_tsv_time(f, e->lag, 0);
        emg_tsv_num(f, e->mdf, 0);
        emg_tsv_num(f, e->amp_over_rest, 0);
        emg_tsv_time(f, e->rise_time, 0);
        emg_tsv_num(f, e->phases, 0);
        emg_tsv_num(f, e->spikes, 0);
        emg_tsv_str(f, e->context, 0);
        emg_tsv_str(f, e->rule, 0);
        emg_tsv_str(f, e->note[0] ? e->note : "n/a", 1);
    }
}

/* The recording again, with one annotation per label ("cramp", or
 * "cramp nocturnal"), through the ordinary writer. */
static void write_annotated(const char *path, const emg_channel_store *store,
                            const emg_label_result *r)
{
    emg_header copy;
    emg_error err;
    emg_header_init(&copy);
    if (emg_header_copy(&copy, emg_channel_store_header(store), &err) < 0)
        cli_fail(&err);
    for (size_t k = 0; k < r->n_events; k++) {
        const emg_label_event *e = &r->events[k];
        char text[160];
        snprintf(text, sizeof text, "%s%s%s", e->label, e->note[0] ? " " : "", e->note);
        if (emg_header_add_annotation(&copy, e->onset, e->duration, e->channel, text, &err) < 0)
            cli_fail(&err);
    }
    emg_header_add_provenance(&copy, cli_command_line(), &err);
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    cli_report_write_notes(&wopts, path);
    int rc = emg_channel_store_save(store, &copy, path, EMG_FORMAT_AUTO, &wopts, &err);
    emg_header_free(&copy);
    if (rc < 0)
        cli_fail(&err);
}

/* emg_label_read over the channel store. */
static int read_store(void *source, size_t channel, size_t first, size_t count, double *dst,
                      emg_error *err)
{
    return emg_channel_store_read(source, channel, (int64_t)first, count, dst, err);
}

/* Everything one input's labelling needs, from the command line. */
typedef struct label_job {
    cli_input in;
    emg_label_options o;
    const char *annotate, *explain_path;
    const char *pair_specs[EMG_LABEL_MAX_PAIRS], *force_specs[EMG_LABEL_MAX_FORCE];
    size_t n_pair_specs, n_force_specs;
    size_t memory_mib;
} label_job;

/* The channel roles named on the command line, found in this recording. */
static void resolve_roles(emg_label_options *o, const label_job *j, const emg_header *hdr)
{
    for (size_t k = 0; k < j->n_pair_specs; k++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", j->pair_specs[k]);
        char *colon = strchr(buf, ':');
        *colon = '\0';
        o->pairs[k][0] = find_channel(hdr, buf, "--pair");
        o->pairs[k][1] = find_channel(hdr, colon + 1, "--pair");
        if (o->pairs[k][0] == o->pairs[k][1])
            cli_usage_error("--pair: agonist and antagonist are the same channel");
    }
    o->n_pairs = j->n_pair_specs;
    for (size_t k = 0; k < j->n_force_specs; k++)
        o->force[k] = find_channel(hdr, j->force_specs[k], "--force");
    o->n_force = j->n_force_specs;
}

/* What the labeller could not decide, and why, as warnings naming the file. */
static void warn_undecided(const char *path, const emg_label_result *r)
{
    for (const char *line = r->not_labelled; line && *line;) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        cli_warn(path, "%.*s", len, line);
        line += len + (end != NULL);
    }
    for (unsigned bit = 1; bit <= EMG_LABEL_MISSING_MOVEMENT; bit <<= 1) {
        if (!(r->missing & bit))
            continue;
        size_t n = 0;
        for (size_t k = 0; k < r->n_events; k++)
            n += !strcmp(r->events[k].label, "unclassified");
        if (n == 0) /* the undecided part ended up inside a decided event */
            continue;
        cli_warn(path, "%s (%zu event%s left unclassified)", emg_label_missing_text(bit), n,
                 n == 1 ? "" : "s");
    }
}

static void write_explanation(const label_job *j, const emg_label_result *r)
{
    FILE *xf = j->explain_path ? cli_open_text_output(j->explain_path) : stderr;
    for (size_t k = 0; k < r->n_events; k++)
        if (r->events[k].explain)
            fputs(r->events[k].explain, xf);
    if (r->unlabelled)
        fprintf(xf, "\nEpisodes given no event of their own:\n%s", r->unlabelled);
    if (j->explain_path)
        cli_close_text_output(xf);
}

static void label(void *ctx, const char *path, FILE *out)
{
    const label_job *j = ctx;
    emg_label_options o = j->o;
    emg_error err;
    /* The recording is held channel by channel (spooled to temporary files
     * beyond half the memory budget) and labelled block by block within the
     * other half (emg_label_stream), whatever the number and length of the
     * channels. */
    emg_channel_store *store;
    emg_reader *reader = cli_open_input(path, &j->in);
    size_t budget = (j->memory_mib << 20) / 2;
    if (emg_channel_store_open(&store, reader, budget, &err) < 0)
        cli_fail(&err);
    emg_reader_close(reader);
    const emg_header *hdr = emg_channel_store_header(store);
    resolve_roles(&o, j, hdr);

    emg_label_result r;
    int labelled = emg_label_stream(&r, hdr, read_store, store, &o, budget, &err);
    if (labelled < 0) {
        char msg[EMG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err.message);
        emg_error_set(&err, err.status, "%s: %s", path, msg);
        cli_fail(&err);
    }
    for (size_t c = 0; c < r.n_channels && r.gaps; c++)
        cli_warn_gaps(path, &r.gaps[c], hdr->channels[c].name, hdr->channels[c].fs);
    if (r.forced_cuts)
        cli_warn(path, "activity longer than a block of --memory %zu MiB without a quiet "
                       "stretch: %zu block%s ended inside an episode, whose two "
                       "parts were measured apart (more --memory keeps them whole)", j->memory_mib, r.forced_cuts,
                 r.forced_cuts == 1 ? "" : "s");
    warn_undecided(path, &r);
    if (o.explain)
        write_explanation(j, &r);
    write_table(out, path, &r, hdr);
    if (j->annotate)
        write_annotated(j->annotate, store, &r);
    emg_label_result_free(&r);
    emg_channel_store_close(store);
}

/* A threshold of emgkit/label_params.def. */
static void set_numeric_option(emg_label_options *o, const emg_label_param *no, const char *arg)
{
    char name[64];
    snprintf(name, sizeof name, "--%s", no->option);
    double v = cli_parse_double(name, arg);
    if (!(v >= 0))
        cli_usage_error("%s: must be >= 0", name);
    if (no->is_int)
        *(int *)((char *)o + no->offset) = (int)cli_parse_long(name, arg, 0, 1000000);
    else
        *(double *)((char *)o + no->offset) = v;
}

static void tool_option(label_job *j, int opt, const char *arg)
{
    emg_error err;
    switch (opt) {
    case OPT_CONTEXT:
        if (emg_context_from_name(arg, &j->o.context, &err) < 0)
            cli_usage_error("%s", err.message);
        break;
    case OPT_PAIR:
        if (j->n_pair_specs == EMG_LABEL_MAX_PAIRS)
            cli_usage_error("--pair: at most %d pairs", EMG_LABEL_MAX_PAIRS);
        if (!strchr(arg, ':'))
            cli_usage_error("--pair: expected AGONIST:ANTAGONIST, got '%s'", arg);
        j->pair_specs[j->n_pair_specs++] = arg;
        break;
    case OPT_FORCE:
        if (j->n_force_specs == EMG_LABEL_MAX_FORCE)
            cli_usage_error("--force: at most %d channels", EMG_LABEL_MAX_FORCE);
        j->force_specs[j->n_force_specs++] = arg;
        break;
    case OPT_NO_AUTO: j->o.auto_roles = 0; break;
    case OPT_EXPLAIN:
        j->o.explain = 1;
        j->explain_path = arg;
        break;
    case OPT_ANNOTATE: j->annotate = arg; break;
    case OPT_REST: parse_range("--rest", arg, &j->o.rest_from, &j->o.rest_to); break;
    case OPT_FILTER_BAND:
        parse_range("--filter-band", arg, &j->o.band_low, &j->o.band_high);
        break;
    case OPT_MAINS: j->o.mains = cli_parse_mains(arg); break;
    case OPT_MEMORY:
        j->memory_mib = (size_t)cli_parse_long("--memory", arg, 0, 1L << 30);
        break;
    default: cli_usage_error("unknown option");
    }
}

static void parse_options(label_job *j, int argc, char **argv)
{
    struct option longopts[40 + N_NUM];
    static const struct option fixed[] = {
        CLI_ANALYSIS_LONG_OPTIONS,
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"pair", required_argument, NULL, OPT_PAIR},
        {"force", required_argument, NULL, OPT_FORCE},
        {"no-auto-roles", no_argument, NULL, OPT_NO_AUTO},
        {"explain", optional_argument, NULL, OPT_EXPLAIN},
        {"annotate", required_argument, NULL, OPT_ANNOTATE},
        {"rest", required_argument, NULL, OPT_REST},
        {"filter-band", required_argument, NULL, OPT_FILTER_BAND},
        {"mains", required_argument, NULL, OPT_MAINS},
        {"memory", required_argument, NULL, OPT_MEMORY}};
    size_t nl = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
        longopts[nl++] = fixed[k];
    for (size_t k = 0; k < N_NUM; k++)
        longopts[nl++] = (struct option){emg_label_params(NULL)[k].option, required_argument, NULL,
                                         OPT_NUMERIC_BASE + (int)k};
    memset(&longopts[nl], 0, sizeof longopts[nl]);
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_ANALYSIS_SHORT_OPTIONS, longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg))
            continue;
        if (opt >= OPT_NUMERIC_BASE && opt < OPT_NUMERIC_BASE + (int)N_NUM)
            set_numeric_option(&j->o, &emg_label_params(NULL)[opt - OPT_NUMERIC_BASE], optarg);
        else
            tool_option(j, opt, optarg);
    }
}

int main(int argc, char **argv)
{
    label_job j = {.memory_mib = DEFAULT_MEMORY_MIB};
    emg_error err;

    cli_init("emg-label", argc, argv, usage);
    cli_input_init(&j.in);
    emg_label_options_init(&j.o);
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    if (n > 1 && (j.annotate || j.explain_path))
        cli_usage_error("--annotate and --explain=FILE take one input");
    /* -o is the label table; a signal format there would get a TSV under its name. */
    const char *out_path = cli_output_path();
    emg_format table_format;
    if (out_path && strcmp(out_path, "-") &&
        emg_format_from_path(out_path, &table_format, &err) == 0 &&
        table_format != EMG_FORMAT_TSV && table_format != EMG_FORMAT_CSV)
        cli_usage_error("%s: -o writes the label table (TSV); to store the labels with the "
                        "signal in HDF5, EDF+ or another format use --annotate %s", out_path,
                        out_path);
    if (j.annotate)
        cli_signal_output(j.annotate, EMG_FORMAT_AUTO, 1);
    int code = cli_run_table_jobs(paths, n, label, &j);
    cli_finish_stdout();
    return code;
}
