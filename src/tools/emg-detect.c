/* emg-detect: muscle activity onsets and offsets, per channel.
 *
 *   emg-detect [--method threshold|bonato|tkeo|hodges|lidierth|aglr|transient]
 *              [--rest FROM:TO] [--min-duration S] [--merge-gap S] [--burst]
 *              [--memory MIB] [-o OUT] INPUT...
 *
 * Writes one row per active segment: file onset duration channel label peak
 * area rms (label "active", or "transient" for --method transient, with the
 * potential's phases and turns).  Methods and references:
 * include/emgkit/detect.h and docs/methods/detection.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/detect.h"

enum { OPT_METHOD = CLI_OPT_TOOL_BASE, OPT_REST, OPT_MIN_DUR, OPT_MERGE, OPT_BURST, OPT_K,
       OPT_ENVELOPE, OPT_FILTER_BAND, OPT_NO_FILTER, OPT_BONATO_M, OPT_BONATO_R0, OPT_BONATO_PFA,
       OPT_LID_T1, OPT_LID_T2, OPT_AGLR_L, OPT_AGLR_H, OPT_REST_FRACTION, OPT_TRANSIENT_MAX,
       OPT_VERBOSE, OPT_K_OFF, OPT_MEMORY };

/* Memory for samples (--memory, MiB), as emg-label's: half holds the
 * recording before it spills to temporary files, half the blocks of the
 * streamed detection. */
#define DEFAULT_MEMORY_MIB 256

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Detect muscle activity (onset and offset) in each channel of a recording.\n"
            "Output: TSV event table  file onset duration channel label peak area rms phases\n"
            "        turns\n\n"
            "  -m, --method NAME      threshold (mean + k SD of the rest envelope), bonato\n"
            "                         (Bonato 1998 double threshold), tkeo (Solnik 2010),\n"
            "                         hodges (Hodges & Bui 1996), lidierth (Lidierth 1986),\n"
            "                         aglr (Staude & Wolf 1999), transient (single motor-unit\n"
            "                         potentials < 30 ms, for fasciculations); default threshold\n"
            "  --rest FROM:TO         rest interval in seconds (default, threshold: the lowest\n"
            "                         cluster of 0.2 s windows whose levels agree within a\n"
            "                         factor 2, a warning asks for --rest when no quiet\n"
            "                         stretch agrees; other methods: the quietest 20%% of 1 s\n"
            "                         windows)\n"
            "  --rest-fraction X      at most this fraction of the windows is rest (0.2)\n"
            "  -k, --k SD             threshold in rest SDs (threshold/hodges/lidierth 3,\n"
            "                         tkeo 15, transient 5 robust SDs); threshold: at least\n"
            "                         S^2 x the rest level, S the spread (1-2) of the rest\n"
            "                         windows' levels\n"
            "  --k-off SD             threshold: a segment lasts while the envelope stays\n"
            "                         above rest + SD x this (hysteresis; 1, at least S x the\n"
            "                         rest level)\n"
            "  --min-duration S       drop shorter segments (0.1; burst mode 0.003)\n"
            "  --merge-gap S          merge segments closer than this (0.2; burst mode 0.01)\n"
            "  --envelope-window S    RMS envelope window for threshold (0.05; burst 0.003)\n"
            "  --burst                burst mode for brief events (3 ms envelope, no\n"
            "                         contraction rules or onset refinement)\n"
            "  --filter-band LO:HI    band-pass before detection in Hz (20:450)\n"
            "  --no-filter            do not band-pass (input already filtered)\n"
            "  --bonato-m N, --bonato-r0 N, --bonato-pfa P   Bonato window (5), count (1),\n"
            "                         false-alarm probability per window (0.001)\n"
            "  --lidierth-t1 S, --lidierth-t2 S   minimum time above threshold (0.025), longest\n"
            "                         ignored dip (0.010)\n"
            "  --aglr-window S, --aglr-h H   AGLR window (0.025) and threshold (20)\n"
            "  --transient-max S      longest transient (0.030)\n"
            "  --memory MIB           hold up to MIB of samples in memory (256): half the\n"
            "                         recording, spooled beyond to temporary files ($TMPDIR),\n"
            "                         half the blocks the threshold method detects in;\n"
            "                         the other methods hold a whole channel\n"
            "  (-v, --verbose: the rest level and threshold of each channel on stderr)\n\n",
            cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
    cli_input_help(out);
    cli_help_footer(out);
}


static void write_events(FILE *f, const char *path, const emg_channel *ch, const char *label,
                         const emg_detect_result *r)
{
    for (size_t k = 0; k < r->n_events; k++) {
        const emg_active_event *e = &r->events[k];
        emg_tsv_str(f, path, 0);
        emg_tsv_time(f, e->onset, 0);
        emg_tsv_time(f, e->duration, 0);
        emg_tsv_str(f, ch->name, 0);
        emg_tsv_str(f, label, 0);
        emg_tsv_num(f, e->peak, 0);
        emg_tsv_num(f, e->area, 0);
        emg_tsv_num(f, e->rms, 0);
        emg_tsv_num(f, e->phases, 0);
        emg_tsv_num(f, e->turns, 1);
    }
}

typedef struct detect_job {
    cli_input in;
    emg_detect_options o;
    size_t memory_mib;
} detect_job;

/* A channel of the store, read piece by piece by emg_detect_stream. */
typedef struct channel_cursor {
    emg_channel_store *store;
    size_t channel;
} channel_cursor;

static int read_channel(void *ctx, size_t first, size_t count, double *dst, emg_error *err)
{
    const channel_cursor *cur = ctx;
    return emg_channel_store_read(cur->store, cur->channel, (int64_t)first, count, dst, err);
}

/* One channel: streamed block by block from the store (threshold), else
 * whole (the other methods). */
static int detect_channel(emg_detect_result *r, emg_channel_store *store, size_t c,
                          const emg_channel *ch, const detect_job *j, emg_error *err)
{
    size_t n = (size_t)ch->n_samples;
    size_t budget = (j->memory_mib << 20) / 2;
    if (emg_detect_streams(&j->o)) {
        channel_cursor cur = {store, c};
        return emg_detect_stream(r, read_channel, &cur, n, ch->fs, &j->o, budget, err);
    }
    double *x = malloc(n * sizeof *x);
    if (!x)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory for channel %s", ch->name);
    int rc = emg_channel_store_read(store, c, 0, n, x, err);
    if (rc == 0)
        rc = emg_detect_run(r, x, n, ch->fs, &j->o, err);
    free(x);
    return rc;
}

static void detect(void *ctx, const char *path, FILE *f)
{
    const detect_job *j = ctx;
    const emg_detect_options *o = &j->o;
    emg_error err;
    /* The recording is held channel by channel (spooled to temporary files
     * beyond half the memory budget) and each channel read block by block. */
    emg_channel_store *store;
    emg_reader *reader = cli_open_input(path, &j->in);
    if (emg_channel_store_open(&store, reader, (j->memory_mib << 20) / 2, &err) < 0)
        cli_fail(&err);
    emg_reader_close(reader);
    const emg_header *hdr = emg_channel_store_header(store);
    static const char *cols[] = {"file", "onset", "duration", "channel", "label", "peak",
                                 "area", "rms", "phases", "turns"};
    emg_tsv_header(f, 10, cols);
    const char *label = o->method == EMG_DETECT_TRANSIENT ? "transient" : "active";
    for (size_t c = 0; c < hdr->n_channels; c++) {
        const emg_channel *ch = &hdr->channels[c];
        emg_detect_result r;
        if (ch->n_samples <= 0)
            continue;
        if (detect_channel(&r, store, c, ch, j, &err) < 0) {
            char msg[EMG_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err.message);
            emg_error_set(&err, err.status, "%s: channel %s: %s", path, ch->name, msg);
            cli_fail(&err);
        }
        if (cli_verbose())
            fprintf(stderr,
                    "%s: %s: channel %s: %s: rest %.3f-%.3f s, level %.4g (SD %.4g, spread "
                    "%.2f) %s, threshold %.4g, noise RMS %.4g, %zu events, %zu blocks\n",
                    cli_prog(), path, ch->name, emg_detect_method_name(o->method), r.rest.from,
                    r.rest.to, r.rest.mean, r.rest.sd, r.rest.spread, ch->unit, r.threshold,
                    r.noise_rms, r.n_events, r.n_blocks ? r.n_blocks : 1);
        if (r.rest.unsure)
            cli_warn(path, "channel %s: no quiet stretch found for the rest level (the quietest "
                           "windows disagree); give the rest interval with --rest FROM:TO",
                     ch->name);
        if (r.forced_cuts)
            cli_warn(path, "channel %s: activity longer than a block of --memory %zu MiB without "
                           "a quiet stretch: %zu segment%s cut at block ends (more --memory keeps "
                           "them whole)", ch->name, j->memory_mib, r.forced_cuts,
                     r.forced_cuts == 1 ? "" : "s");
        cli_warn_gaps(path, &r.gaps, ch->name, ch->fs);
        write_events(f, path, ch, label, &r);
        emg_detect_result_free(&r);
    }
    emg_channel_store_close(store);
}

static void parse_options(detect_job *j, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_BATCH_LONG_OPTIONS,
        CLI_PRECISION_LONG_OPTIONS,
        CLI_INPUT_LONG_OPTIONS,
        {"method", required_argument, NULL, 'm'},
        {"rest", required_argument, NULL, OPT_REST},
        {"rest-fraction", required_argument, NULL, OPT_REST_FRACTION},
        {"k", required_argument, NULL, 'k'},
        {"k-off", required_argument, NULL, OPT_K_OFF},
        {"min-duration", required_argument, NULL, OPT_MIN_DUR},
        {"merge-gap", required_argument, NULL, OPT_MERGE},
        {"envelope-window", required_argument, NULL, OPT_ENVELOPE},
        {"burst", no_argument, NULL, OPT_BURST},
        {"filter-band", required_argument, NULL, OPT_FILTER_BAND},
        {"no-filter", no_argument, NULL, OPT_NO_FILTER},
        {"bonato-m", required_argument, NULL, OPT_BONATO_M},
        {"bonato-r0", required_argument, NULL, OPT_BONATO_R0},
        {"bonato-pfa", required_argument, NULL, OPT_BONATO_PFA},
        {"lidierth-t1", required_argument, NULL, OPT_LID_T1},
        {"lidierth-t2", required_argument, NULL, OPT_LID_T2},
        {"aglr-window", required_argument, NULL, OPT_AGLR_L},
        {"aglr-h", required_argument, NULL, OPT_AGLR_H},
        {"transient-max", required_argument, NULL, OPT_TRANSIENT_MAX},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {NULL, 0, NULL, 0}};
    emg_detect_options *o = &j->o;
    int opt, burst = 0, min_set = 0, merge_set = 0, env_set = 0;
    double min_dur = 0, merge = 0, envw = 0;
    emg_error err;
    while ((opt = cli_getopt(argc, argv,
                             CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_BATCH_SHORT_OPTIONS CLI_INPUT_SHORT_OPTIONS "m:k:",
                             longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg))
            continue;
        switch (opt) {
        case 'm':
            if (emg_detect_method_from_name(optarg, &o->method, &err) < 0)
                cli_usage_error("%s", err.message);
            break;
        case OPT_REST: cli_parse_pair("--rest", optarg, &o->rest_from, &o->rest_to); break;
        case OPT_REST_FRACTION:
            o->rest_fraction = cli_parse_double("--rest-fraction", optarg);
            if (!(o->rest_fraction > 0 && o->rest_fraction <= 1))
                cli_usage_error("--rest-fraction: must be in (0, 1]");
            break;
        case 'k': o->k = cli_parse_double("--k", optarg); break;
        case OPT_K_OFF:
            o->k_off = cli_parse_double("--k-off", optarg);
            if (!(o->k_off >= 0))
                cli_usage_error("--k-off: must be >= 0");
            break;
        case OPT_MIN_DUR: min_dur = cli_parse_double("--min-duration", optarg); min_set = 1; break;
        case OPT_MERGE: merge = cli_parse_double("--merge-gap", optarg); merge_set = 1; break;
        case OPT_ENVELOPE:
            envw = cli_parse_double("--envelope-window", optarg);
            if (!(envw > 0))
                cli_usage_error("--envelope-window: must be > 0 seconds");
            env_set = 1;
            break;
        case OPT_BURST: burst = 1; break;
        case OPT_FILTER_BAND:
            cli_parse_pair("--filter-band", optarg, &o->band_low, &o->band_high);
            if (!(o->band_low > 0 && o->band_high > o->band_low))
                cli_usage_error("--filter-band: need 0 < LO < HI");
            break;
        case OPT_NO_FILTER: o->band_low = 0; break;
        case OPT_BONATO_M: o->bonato_m = (int)cli_parse_long("--bonato-m", optarg, 1, 1000); break;
        case OPT_BONATO_R0: o->bonato_r0 = (int)cli_parse_long("--bonato-r0", optarg, 1, 1000); break;
        case OPT_BONATO_PFA:
            o->bonato_pfa = cli_parse_double("--bonato-pfa", optarg);
            if (!(o->bonato_pfa > 0 && o->bonato_pfa < 1))
                cli_usage_error("--bonato-pfa: must be in (0, 1)");
            break;
        case OPT_LID_T1: o->lidierth_t1 = cli_parse_double("--lidierth-t1", optarg); break;
        case OPT_LID_T2: o->lidierth_t2 = cli_parse_double("--lidierth-t2", optarg); break;
        case OPT_AGLR_L: o->aglr_window = cli_parse_double("--aglr-window", optarg); break;
        case OPT_AGLR_H: o->aglr_h = cli_parse_double("--aglr-h", optarg); break;
        case OPT_TRANSIENT_MAX: o->transient_max = cli_parse_double("--transient-max", optarg); break;
        case OPT_MEMORY:
            j->memory_mib = (size_t)cli_parse_long("--memory", optarg, 0, 1L << 30);
            break;
        default: cli_usage_error("unknown option");
        }
    }
    if (o->bonato_r0 > o->bonato_m)
        cli_usage_error("--bonato-r0 must not exceed --bonato-m");
    if (burst)
        emg_detect_options_burst(o);
    if (min_set)
        o->min_duration = min_dur;
    if (merge_set)
        o->merge_gap = merge;
    if (env_set)
        o->envelope = envw;
    if (o->min_duration < 0 || o->merge_gap < 0)
        cli_usage_error("--min-duration and --merge-gap must be >= 0");
}

int main(int argc, char **argv)
{
    detect_job j = {.o = EMG_DETECT_OPTIONS_INIT, .memory_mib = DEFAULT_MEMORY_MIB};
    cli_init("emg-detect", argc, argv, usage);
    cli_input_init(&j.in);
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    int code = cli_run_table_jobs(paths, n, detect, &j);
    cli_finish_stdout();
    return code;
}
