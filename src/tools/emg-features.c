/* emg-features: features of every window of every channel.
 *
 *   emg-features [-w S] [-s S] [--taper NAME] [--welch SEG:OVERLAP | --periodogram]
 *                [--features LIST] [--band LO:HI] [-j N] [--no-filter] [-o OUT] INPUT...
 *
 * The recording is streamed through the filter module's surface-EMG chain
 * (20-450 Hz band-pass + mains notch, zero-phase; --no-filter skips it), cut
 * into windows of -w seconds every -s seconds, and each window's features are
 * written as one row: file onset duration channel <features...> flags.  Spectra
 * are Welch estimates exactly as scipy.signal.welch (Hann 256-point segments,
 * 50% overlap by default) on FFTW plans made once per channel.  Methods:
 * docs/methods/features.md; library: include/emgkit/features.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/features.h"

enum { OPT_LIST = CLI_OPT_TOOL_BASE, OPT_FLOOR };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Compute time- and frequency-domain features of every window of every channel.\n"
            "Output: TSV  file onset duration channel <one column per feature> flags\n"
            "        (-o NAME.h5 or .hdf5, one input: an HDF5 table, docs/methods/features.md)\n\n"
            "  --list                 list the features with their units and exit\n"
            "  --floor                benchmark floor: only read the input and run the same\n"
            "                         FFTW transforms (no filter, no features, no output)\n\n",
            cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
    fputs("(With one input, -j N gives its channels N threads.)\n\n", out);
    cli_window_help(out, "'default'");
    cli_spectral_help(out, 1);
    cli_input_help(out);
    cli_help_footer(out);
}

typedef struct writer_ctx {
    const char *path;
    FILE *out;
    emg_table_h5 *h5;
    double *row;
    emg_error err;
    const emg_header *hdr;
    size_t n_ids;
} writer_ctx;

static int write_row(void *ctx, const emg_window_result *w)
{
    writer_ctx *wc = ctx;
    char flags[64];
    if (wc->h5) {
        wc->row[0] = w->onset;
        wc->row[1] = w->duration;
        wc->row[2] = (double)w->channel;
        memcpy(wc->row + 3, w->values, wc->n_ids * sizeof *w->values);
        wc->row[3 + wc->n_ids] = (double)w->flags;
        if (emg_table_h5_append(wc->h5, wc->row, &wc->err) < 0) {
            /* Closed onto scratch now: libhdf5 could not close a file whose
             * flush failed (a full disk) at exit. */
            emg_table_h5_abort(wc->h5);
            cli_fail(&wc->err);
        }
        return 0;
    }
    emg_tsv_str(wc->out, wc->path, 0);
    emg_tsv_time(wc->out, w->onset, 0);
    emg_tsv_time(wc->out, w->duration, 0);
    emg_tsv_str(wc->out, wc->hdr->channels[w->channel].name, 0);
    for (size_t i = 0; i < wc->n_ids; i++)
        emg_tsv_num(wc->out, w->values[i], 0);
    emg_tsv_str(wc->out, emg_window_flags_text(w->flags, flags, sizeof flags), 1);
    return 0;
}

/* The benchmark floor (scripts/bench_features.sh): reading plus the Welch
 * transforms every window needs, nothing else. */
typedef struct floor_channel {
    emg_psd_plan *plan;
    double *buf, *psd;
    size_t len, cap, win, step;
} floor_channel;

static void run_floor(emg_reader *r, const emg_spectrum_options *so, const emg_window_options *wo)
{
    const emg_header *hdr = emg_reader_header(r);
    floor_channel *fc = calloc(hdr->n_channels, sizeof *fc);
    emg_error err;
    size_t transforms = 0;
    if (!fc)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < hdr->n_channels; c++) {
        fc[c].win = (size_t)llround(wo->window_s * hdr->channels[c].fs);
        fc[c].step = (size_t)llround(wo->step_s * hdr->channels[c].fs);
        size_t seg = so->method == EMG_SPECTRUM_PERIODOGRAM ? fc[c].win : (so->segment ? so->segment : 256);
        if (emg_psd_plan_create(&fc[c].plan, seg, so->taper, so->taper_alpha, hdr->channels[c].fs, &err) < 0)
            cli_fail(&err);
        fc[c].psd = malloc(emg_psd_plan_bins(fc[c].plan) * sizeof(double));
    }
    const emg_block *blk;
    int rc;
    while ((rc = emg_reader_read(r, &blk, &err)) > 0) {
        for (size_t c = 0; c < hdr->n_channels; c++) {
            floor_channel *f = &fc[c];
            size_t n = blk->count[c];
            if (f->len + n > f->cap) {
                f->cap = 2 * (f->len + n);
                f->buf = realloc(f->buf, f->cap * sizeof *f->buf);
                if (!f->buf)
                    cli_die(CLI_EXIT_INTERNAL, "out of memory");
            }
            memcpy(f->buf + f->len, blk->data[c], n * sizeof(double));
            f->len += n;
            size_t seg = emg_psd_plan_length(f->plan);
            size_t hop = so->method == EMG_SPECTRUM_PERIODOGRAM ? seg
                         : seg - (so->overlap == (size_t)-1 ? seg / 2 : so->overlap);
            size_t start = 0;
            for (; start + f->win <= f->len; start += f->step)
                for (size_t s = 0; s + seg <= f->win; s += hop, transforms++)
                    emg_psd_segment(f->plan, f->buf + start + s, f->psd);
            memmove(f->buf, f->buf + start, (f->len - start) * sizeof *f->buf);
            f->len -= start;
        }
    }
    if (rc < 0)
        cli_fail(&err);
    if (cli_verbose())
        fprintf(stderr, "%s: floor: %zu transforms\n", cli_prog(), transforms);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        emg_psd_plan_destroy(fc[c].plan);
        free(fc[c].buf);
        free(fc[c].psd);
    }
    free(fc);
}

static void list_features(void)
{
    for (size_t i = 0; i < emg_feature_count(); i++)
        printf("%-18s %-5s %s\n", emg_feature_name(i), emg_feature_is_spectral(i) ? "freq" : "time",
               emg_feature_description(i));
}

/* Everything one input's analysis needs, from the command line. */
typedef struct features_job {
    cli_input in;
    cli_analysis a;
    size_t *ids, n_ids;
    int floor_only;
    const char *h5_path; /* -o NAME.h5: an HDF5 table instead of TSV */
} features_job;

/* The table's columns: file onset duration channel <features> flags (n + 5);
 * the HDF5 table, which holds one input, has no file column (cols + 1). */
static const char **table_columns(const features_job *j)
{
    const char **cols = malloc((j->n_ids + 5) * sizeof *cols);
    if (!cols)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    cols[0] = "file";
    cols[1] = "onset";
    cols[2] = "duration";
    cols[3] = "channel";
    for (size_t i = 0; i < j->n_ids; i++)
        cols[4 + i] = emg_feature_name(j->ids[i]);
    cols[4 + j->n_ids] = "flags";
    return cols;
}

static void write_tsv_header(FILE *out, const features_job *j)
{
    const char **cols = table_columns(j);
    emg_tsv_header(out, j->n_ids + 5, cols);
    free(cols);
}

static void open_h5(writer_ctx *wc, const features_job *j, const emg_header *hdr)
{
    const char **cols = table_columns(j);
    const char **names = malloc((hdr->n_channels + 1) * sizeof *names);
    emg_error err;
    if (!names)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < hdr->n_channels; c++)
        names[c] = hdr->channels[c].name;
    if (emg_table_h5_open(&wc->h5, j->h5_path, "features", j->n_ids + 4, cols + 1, names,
                          hdr->n_channels, &err) < 0)
        cli_fail(&err);
    free(cols);
    free(names);
}

static void analyse(void *ctx, const char *path, FILE *out)
{
    features_job *j = ctx;
    emg_error err;
    emg_reader *r = cli_open_input(path, &j->in);
    const emg_header *hdr = emg_reader_header(r);
    if (j->floor_only) {
        /* With threads, decoding the next block overlaps with the transforms
         * (the window engine does this in its pool's rounds). */
        if (j->a.window.threads > 1 && emg_reader_read_ahead(r, &err) < 0)
            cli_fail(&err);
        run_floor(r, &j->a.spectrum, &j->a.window);
        emg_reader_close(r);
        return;
    }
    writer_ctx wc = {path, out, NULL, NULL, {EMG_OK, ""}, hdr, j->n_ids};
    if (!(wc.row = malloc((j->n_ids + 4) * sizeof *wc.row)))
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    if (j->h5_path)
        open_h5(&wc, j, hdr);
    else
        write_tsv_header(out, j);
    emg_window_engine *eng = cli_run_window_engine(path, r, &j->a, j->ids, j->n_ids, write_row,
                                                   &wc, NULL);
    emg_window_engine_destroy(eng);
    emg_reader_close(r);
    if (wc.h5 && emg_table_h5_close(wc.h5, &err) < 0)
        cli_fail(&err);
    free(wc.row);
}

static void parse_options(features_job *j, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_ANALYSIS_LONG_OPTIONS,
        CLI_WINDOW_LONG_OPTIONS,
        CLI_SPECTRAL_LONG_OPTIONS,
        {"list", no_argument, NULL, OPT_LIST},
        {"floor", no_argument, NULL, OPT_FLOOR},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_ANALYSIS_SHORT_OPTIONS CLI_WINDOW_SHORT_OPTIONS,
                             longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg) || cli_analysis_option(&j->a, opt, optarg))
            continue;
        switch (opt) {
        case OPT_LIST: list_features(); cli_finish_stdout(); exit(CLI_EXIT_OK);
        case OPT_FLOOR: j->floor_only = 1; break;
        default: cli_usage_error("unknown option");
        }
    }
}

int main(int argc, char **argv)
{
    features_job j = {0};
    emg_error err;

    cli_init("emg-features", argc, argv, usage);
    cli_input_init(&j.in);
    cli_analysis_init(&j.a, 1, "default");
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    if (n == 1)
        j.a.window.threads = cli_jobs(); /* one input: the jobs share its channels */
    j.h5_path = cli_hdf5_table_output(n);
    if (emg_feature_list_parse(j.a.feature_list, &j.ids, &j.n_ids, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    if (j.a.wisdom && emg_fftw_wisdom_load(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s (continuing without it)", err.message);

    /* Blocks of a few seconds: each block is one round of the window engine
     * (its thread pool's threads meet once per block), and readers choose
     * about 0.5 s by default; memory stays a few MB. */
    if (!j.in.read.block_seconds_hint_ms)
        j.in.read.block_seconds_hint_ms = 4000;
    int code;
    if (j.h5_path || j.floor_only) {
        for (size_t i = 0; i < n; i++)
            analyse(&j, paths[i], NULL); /* no table on standard output */
        code = CLI_EXIT_OK;
    } else {
        code = cli_run_table_jobs(paths, n, analyse, &j);
    }
    if (j.a.wisdom && emg_fftw_wisdom_save(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s", err.message);
    free(j.ids);
    cli_finish_stdout();
    return code;
}
