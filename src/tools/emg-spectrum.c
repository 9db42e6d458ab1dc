/* emg-spectrum: power spectral density of each channel, or its spectrogram.
 *
 *   emg-spectrum [--welch SEG:OVERLAP | --periodogram] [--taper NAME] [--stft]
 *                [--filter] [-o OUT] INPUT...
 *
 * PSD (default): Welch's average of the periodograms of SEG-sample segments
 * every SEG-OVERLAP samples over the whole recording (or the -f/-t range),
 * one-sided density in unit^2/Hz exactly as scipy.signal.welch; rows
 * `file channel frequency psd`.  --periodogram: one tapered periodogram of the
 * whole range (loads it into memory).  --stft: the spectrogram, one PSD per
 * segment (scipy.signal.spectrogram, mode 'psd'); rows `file channel time
 * frequency psd` with time at the segment centre.  Welch and STFT stream:
 * memory does not grow with the recording.  By default the signal is not
 * filtered (to show mains and artefacts); --filter applies emg-features'
 * chain.  Methods: docs/methods/features.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/features.h"
#include "emgkit/spectrum.h"

enum { OPT_STFT = CLI_OPT_TOOL_BASE, OPT_FMAX };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT...\n"
            "Power spectral density (Welch or periodogram) or spectrogram (STFT) per channel.\n"
            "Output: TSV  file channel frequency psd   (--stft: file channel time frequency psd)\n"
            "        (-o NAME.h5 or .hdf5, one input: HDF5, group /spectrum, a dataset a column)\n\n"
            "  --stft                 spectrogram: one PSD per segment (hop SEG-OVERLAP)\n"
            "  --max-freq HZ          only write frequencies up to HZ\n"
            "  (--periodogram: one periodogram of the whole input, or of the -f/-t range)\n\n",
            cli_prog());
    cli_common_help(out, CLI_HELP_OUTPUT | CLI_HELP_BATCH | CLI_HELP_PRECISION);
    cli_spectral_help(out, 0);
    cli_input_help(out);
    cli_help_footer(out);
}

typedef struct chan {
    emg_psd_plan *plan;
    void *stage;
    double *buf, *psd, *acc;
    size_t len, cap, hop;
    long long consumed;   /* samples before buf[0] */
    size_t segments;
} chan;

typedef struct spectrum_ctx {
    const char *path;
    FILE *out;
    emg_table_h5 *h5;     /* HDF5 output instead of TSV */
    const emg_header *hdr;
    int stft;
    double fmax;
} spectrum_ctx;

static void write_psd(const spectrum_ctx *sc, size_t c, const chan *ch, const double *psd, double time)
{
    double df = emg_psd_plan_df(ch->plan);
    for (size_t k = 0; k < emg_psd_plan_bins(ch->plan); k++) {
        double f = (double)k * df;
        if (sc->fmax > 0 && f > sc->fmax)
            break;
        if (sc->h5) {
            double row[4] = {(double)c, time, f, psd[k]};
            if (!sc->stft) {
                row[1] = f;
                row[2] = psd[k];
            }
            emg_error err;
            if (emg_table_h5_append(sc->h5, row, &err) < 0) {
                emg_table_h5_abort(sc->h5);
                cli_fail(&err);
            }
            continue;
        }
        emg_tsv_str(sc->out, sc->path, 0);
        emg_tsv_str(sc->out, sc->hdr->channels[c].name, 0);
        if (sc->stft)
            emg_tsv_time(sc->out, time, 0);
        emg_tsv_num(sc->out, f, 0);
        emg_tsv_num(sc->out, psd[k], 1);
    }
}

/* Transform every whole segment in the channel's buffer. */
static void consume(const spectrum_ctx *sc, size_t c, chan *ch)
{
    size_t n = emg_psd_plan_length(ch->plan), start = 0;
    double fs = sc->hdr->channels[c].fs;
    for (; start + n <= ch->len; start += ch->hop) {
        /* Welch averages the segments without missing samples; a spectrogram
         * shows a gap's segment as n/a. */
        if (!sc->stft && emg_has_gap(ch->buf + start, n))
            continue;
        emg_psd_segment(ch->plan, ch->buf + start, ch->psd);
        if (sc->stft) {
            double centre = ((double)ch->consumed + (double)start + (double)n / 2) / fs;
            write_psd(sc, c, ch, ch->psd, centre);
        } else {
            for (size_t k = 0; k < emg_psd_plan_bins(ch->plan); k++)
                ch->acc[k] += ch->psd[k];
        }
        ch->segments++;
    }
    memmove(ch->buf, ch->buf + start, (ch->len - start) * sizeof *ch->buf);
    ch->len -= start;
    ch->consumed += (long long)start;
}

static void append(chan *ch, const double *x, size_t n)
{
    if (ch->len + n > ch->cap) {
        ch->cap = 2 * (ch->len + n);
        ch->buf = realloc(ch->buf, ch->cap * sizeof *ch->buf);
        if (!ch->buf)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
    }
    memcpy(ch->buf + ch->len, x, n * sizeof *x);
    ch->len += n;
}

/* Everything one input's analysis needs, from the command line. */
typedef struct spectrum_job {
    cli_input in;
    cli_analysis a;
    int stft;
    double fmax;
    const char *h5_path; /* -o NAME.h5: an HDF5 table instead of TSV */
} spectrum_job;

static void open_table(spectrum_ctx *sc, const spectrum_job *j)
{
    static const char *cols_psd[] = {"file", "channel", "frequency", "psd"};
    static const char *cols_stft[] = {"file", "channel", "time", "frequency", "psd"};
    emg_error err;
    if (!j->h5_path) {
        emg_tsv_header(sc->out, j->stft ? 5 : 4, j->stft ? cols_stft : cols_psd);
        return;
    }
    size_t nch = sc->hdr->n_channels;
    const char **names = malloc((nch ? nch : 1) * sizeof *names);
    if (!names)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < nch; c++)
        names[c] = sc->hdr->channels[c].name;
    /* HDF5 holds one input: no file column. */
    if (emg_table_h5_open(&sc->h5, j->h5_path, "spectrum", j->stft ? 4 : 3,
                          (j->stft ? cols_stft : cols_psd) + 1, names, nch, &err) < 0)
        cli_fail(&err);
    free(names);
}

static void analyse(void *ctx, const char *path, FILE *out)
{
    spectrum_job *j = ctx;
    const cli_analysis *a = &j->a;
    spectrum_ctx sc = {path, out, NULL, NULL, j->stft, j->fmax};
    emg_error err;
    int periodogram = a->spectrum.method == EMG_SPECTRUM_PERIODOGRAM, filter = a->filter_on;
    emg_taper taper = a->spectrum.taper;
    double alpha = a->spectrum.taper_alpha;
    double seg = a->spectrum.segment ? (double)a->spectrum.segment : 256;
    double overlap = a->spectrum.overlap != (size_t)-1 ? (double)a->spectrum.overlap : seg / 2;

    emg_reader *r = cli_open_input(path, &j->in);
    const emg_header *hdr = emg_reader_header(r);
    sc.hdr = hdr;
    size_t nch = hdr->n_channels;
    chan *ch = calloc(nch ? nch : 1, sizeof *ch);
    emg_channel_stage stage;
    emg_channel_stage_filter(&stage, &a->filter);
    if (!ch)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < nch && !periodogram; c++) {
        if (emg_psd_plan_create(&ch[c].plan, (size_t)seg, taper, alpha, hdr->channels[c].fs, &err) < 0)
            cli_fail(&err);
        ch[c].hop = (size_t)(seg - overlap);
        ch[c].psd = malloc(emg_psd_plan_bins(ch[c].plan) * sizeof(double));
        ch[c].acc = calloc(emg_psd_plan_bins(ch[c].plan), sizeof(double));
        if (!ch[c].psd || !ch[c].acc)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
    }
    for (size_t c = 0; c < nch && filter; c++)
        if (!(ch[c].stage = stage.create(stage.ctx, c, hdr->channels[c].fs, &err)))
            cli_fail(&err);
    open_table(&sc, j);

    const emg_block *blk;
    int rc;
    cli_gap_tracker gaps; /* Welch leaves their segments out */
    cli_gaps_init(&gaps, nch);
    while ((rc = emg_reader_read(r, &blk, &err)) > 0) {
        cli_gaps_add(&gaps, blk);
        for (size_t c = 0; c < nch; c++) {
            const double *x = blk->data[c];
            size_t n = blk->count[c];
            if (filter && stage.process(ch[c].stage, x, n, &x, &n, &err) < 0)
                cli_fail(&err);
            append(&ch[c], x, n);
            if (!periodogram)
                consume(&sc, c, &ch[c]);
        }
    }
    if (rc < 0)
        cli_fail(&err);
    cli_gaps_report(&gaps, path, hdr);
    for (size_t c = 0; c < nch; c++) {
        if (filter) {
            const double *x;
            size_t n;
            if (stage.flush(ch[c].stage, &x, &n, &err) < 0)
                cli_fail(&err);
            append(&ch[c], x, n);
        }
        if (periodogram) {
            if (ch[c].len < 2) {
                cli_warn(path, "channel %s: too short for a periodogram", hdr->channels[c].name);
                continue;
            }
            if (emg_psd_plan_create(&ch[c].plan, ch[c].len, taper, alpha, hdr->channels[c].fs, &err) < 0)
                cli_fail(&err);
            ch[c].psd = malloc(emg_psd_plan_bins(ch[c].plan) * sizeof(double));
            if (!ch[c].psd)
                cli_die(CLI_EXIT_INTERNAL, "out of memory");
            emg_psd_segment(ch[c].plan, ch[c].buf, ch[c].psd);
            write_psd(&sc, c, &ch[c], ch[c].psd, NAN);
            continue;
        }
        consume(&sc, c, &ch[c]);
        if (sc.stft)
            continue;
        if (ch[c].segments == 0) {
            cli_warn(path, "channel %s: shorter than one %g-sample segment, no spectrum",
                     hdr->channels[c].name, seg);
            continue;
        }
        for (size_t k = 0; k < emg_psd_plan_bins(ch[c].plan); k++)
            ch[c].acc[k] /= (double)ch[c].segments;
        write_psd(&sc, c, &ch[c], ch[c].acc, NAN);
    }
    if (sc.h5 && emg_table_h5_close(sc.h5, &err) < 0)
        cli_fail(&err);
    for (size_t c = 0; c < nch; c++) {
        emg_psd_plan_destroy(ch[c].plan);
        if (ch[c].stage)
            stage.destroy(ch[c].stage);
        free(ch[c].buf);
        free(ch[c].psd);
        free(ch[c].acc);
    }
    free(ch);
    emg_reader_close(r);
}

static void parse_options(spectrum_job *j, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_ANALYSIS_LONG_OPTIONS,
        CLI_SPECTRAL_LONG_OPTIONS,
        {"stft", no_argument, NULL, OPT_STFT},
        {"max-freq", required_argument, NULL, OPT_FMAX},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = cli_getopt(argc, argv, CLI_ANALYSIS_SHORT_OPTIONS, longopts)) != -1) {
        if (cli_input_option(&j->in, opt, optarg) || cli_analysis_option(&j->a, opt, optarg))
            continue;
        switch (opt) {
        case OPT_STFT: j->stft = 1; break;
        case OPT_FMAX: j->fmax = cli_parse_double("--max-freq", optarg); break;
        default: cli_usage_error("unknown option");
        }
    }
    if (j->a.spectrum.method == EMG_SPECTRUM_PERIODOGRAM && j->stft)
        cli_usage_error("--periodogram and --stft exclude each other");
}

int main(int argc, char **argv)
{
    spectrum_job j = {0};
    emg_error err;

    cli_init("emg-spectrum", argc, argv, usage);
    cli_input_init(&j.in);
    cli_analysis_init(&j.a, 0, NULL);
    parse_options(&j, argc, argv);
    const char *const *paths;
    size_t n = cli_collect_inputs(argc, argv, optind, &paths);
    j.h5_path = cli_hdf5_table_output(n);
    if (j.a.wisdom && emg_fftw_wisdom_load(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s (continuing without it)", err.message);
    int code = CLI_EXIT_OK;
    if (j.h5_path)
        analyse(&j, paths[0], NULL);
    else
        code = cli_run_table_jobs(paths, n, analyse, &j);
    if (j.a.wisdom && emg_fftw_wisdom_save(j.a.wisdom, &err) < 0)
        cli_warn(NULL, "%s", err.message);
    cli_finish_stdout();
    return code;
}
