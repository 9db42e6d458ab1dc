/* emg-features: features of every window of every channel.
 *
 *   emg-features [-w S] [-s S] [--taper NAME] [--welch SEG:OVERLAP | --periodogram]
 *                [--features LIST] [--band LO:HI] [-j N] [--no-filter] IN [OUT.tsv]
 *
 * The recording is streamed through the filter module's surface-EMG chain
 * (20-450 Hz band-pass + mains notch, zero-phase; --no-filter skips it), cut
 * into windows of -w seconds every -s seconds, and each window's features are
 * written as one row: onset duration channel <features...> flags.  Spectra
 * are Welch estimates exactly as scipy.signal.welch (Hann 256-point segments,
 * 50% overlap by default) on FFTW plans made once per channel.  Methods:
 * docs/methods/features.md; library: include/emgkit/features.h. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emgkit/features.h"

enum { OPT_TAPER = CLI_OPT_TOOL_BASE, OPT_WELCH, OPT_PERIODOGRAM, OPT_FEATURES, OPT_BAND,
       OPT_NO_FILTER, OPT_FILTER_BAND, OPT_MAINS, OPT_CAUSAL, OPT_ZC, OPT_SSC, OPT_WAMP,
       OPT_NOISE, OPT_REST_SNR, OPT_MIN_SNR, OPT_CLIP, OPT_WISDOM, OPT_LIST, OPT_HARMONICS,
       OPT_FLOOR };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] INPUT [OUTPUT.tsv]\n"
            "Compute time- and frequency-domain features of every window of every channel.\n"
            "Output: TSV  onset duration channel <one column per feature> flags\n\n"
            "  -w, --window S         window length in seconds (default 1)\n"
            "  -s, --step S           step between window onsets in seconds (default 0.5)\n"
            "  --features LIST        comma list of features or groups: default, fatigue, time,\n"
            "                         freq, all (see --list); default 'default'\n"
            "  --list                 list the features with their units and exit\n"
            "  --taper NAME           hann (default), hamming, blackman, rectangular, tukey[:A]\n"
            "  --welch SEG:OVERLAP    Welch segment and overlap in samples (default 256:128)\n"
            "  --periodogram          one tapered periodogram per window instead of Welch\n"
            "  --band LO:HI           band for frequency features in Hz (20:450, clipped at\n"
            "                         Nyquist)\n"
            "  --zc-threshold X, --ssc-threshold X, --wamp-threshold X\n"
            "                         thresholds in the signal's unit (ssc: unit^2); default 0\n"
            "  --noise-rms X          background noise RMS for snr_db and the rest flag (default:\n"
            "                         estimated per channel from the quietest windows)\n"
            "  --rest-snr DB          flag 'rest' below this SNR (6)\n"
            "  --min-snr DB           flag 'low_snr' below this SNR (10)\n"
            "  --clip LO:HI           flag 'clipped' when samples reach these rails (default:\n"
            "                         the channel's ADC range when known)\n"
            "  --no-filter            do not filter (input already conditioned)\n"
            "  --filter-band LO:HI    band-pass instead of the default 20-450 Hz\n"
            "  --mains F              mains notch 50 (default), 60, auto, or none\n"
            "  --notch-harmonics N    notches at F, 2F, ... NF (default: all up to the band top)\n"
            "  --causal               causal (forward-only) filtering instead of zero-phase\n"
            "  -j, --jobs N           threads over channels (default 1)\n"
            "  --wisdom FILE          FFTW wisdom to load (and update) for faster planning\n"
            "  --floor                benchmark floor: only read the input and run the same\n"
            "                         FFTW transforms (no filter, no features, no output)\n"
            "  -o, --output FILE      output file (default: OUTPUT or stdout); a name ending\n"
            "                         in .h5 or .hdf5 gets an HDF5 table (docs/methods/features.md)\n"
            "  -h, --help             this help\n\n",
            cli_prog());
    cli_input_help(out);
    cli_help_footer(out);
}


typedef struct writer_ctx {
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
        return emg_table_h5_append(wc->h5, wc->row, &wc->err);
    }
    emg_tsv_num(wc->out, w->onset, 0);
    emg_tsv_num(wc->out, w->duration, 0);
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
    fprintf(stderr, "%s: floor: %zu transforms\n", cli_prog(), transforms);
    for (size_t c = 0; c < hdr->n_channels; c++) {
        emg_psd_plan_destroy(fc[c].plan);
        free(fc[c].buf);
        free(fc[c].psd);
    }
    free(fc);
}

/* Lower-case extension of a path ("" when none). */
static const char *path_extension(const char *path)
{
    static char ext[16];
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    ext[0] = '\0';
    if (!dot || (slash && dot < slash) || strlen(dot + 1) >= sizeof ext)
        return ext;
    for (size_t i = 0; dot[1 + i]; i++)
        ext[i] = (char)tolower((unsigned char)dot[1 + i]), ext[i + 1] = '\0';
    return ext;
}

static void list_features(void)
{
    for (size_t i = 0; i < emg_feature_count(); i++)
        printf("%-18s %-5s %s\n", emg_feature_name(i), emg_feature_is_spectral(i) ? "freq" : "time",
               emg_feature_description(i));
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_LONG_OPTIONS,
        {"window", required_argument, NULL, 'w'},
        {"step", required_argument, NULL, 's'},
        {"taper", required_argument, NULL, OPT_TAPER},
        {"welch", required_argument, NULL, OPT_WELCH},
        {"periodogram", no_argument, NULL, OPT_PERIODOGRAM},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"list", no_argument, NULL, OPT_LIST},
        {"band", required_argument, NULL, OPT_BAND},
        {"zc-threshold", required_argument, NULL, OPT_ZC},
        {"ssc-threshold", required_argument, NULL, OPT_SSC},
        {"wamp-threshold", required_argument, NULL, OPT_WAMP},
        {"noise-rms", required_argument, NULL, OPT_NOISE},
        {"rest-snr", required_argument, NULL, OPT_REST_SNR},
        {"min-snr", required_argument, NULL, OPT_MIN_SNR},
        {"clip", required_argument, NULL, OPT_CLIP},
        {"no-filter", no_argument, NULL, OPT_NO_FILTER},
        {"filter-band", required_argument, NULL, OPT_FILTER_BAND},
        {"mains", required_argument, NULL, OPT_MAINS},
        {"causal", no_argument, NULL, OPT_CAUSAL},
        {"notch-harmonics", required_argument, NULL, OPT_HARMONICS},
        {"jobs", required_argument, NULL, 'j'},
        {"wisdom", required_argument, NULL, OPT_WISDOM},
        {"floor", no_argument, NULL, OPT_FLOOR},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_input in;
    emg_feature_options fo = EMG_FEATURE_OPTIONS_INIT;
    emg_spectrum_options so = EMG_SPECTRUM_OPTIONS_INIT;
    emg_window_options wo = EMG_WINDOW_OPTIONS_INIT;
    emg_filter_stage_options filt = EMG_FILTER_STAGE_OPTIONS_INIT;
    const char *features = "default", *out_path = NULL, *wisdom = NULL;
    int opt, filter = 1, floor_only = 0;
    emg_error err;

    cli_init("emg-features", argc, argv);
    cli_input_init(&in);
    while ((opt = getopt_long(argc, argv, CLI_INPUT_SHORT_OPTIONS "w:s:j:o:h", longopts, NULL)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case 'w':
            wo.window_s = cli_parse_double("--window", optarg);
            if (!(wo.window_s > 0))
                cli_usage_error("--window: must be > 0 seconds");
            break;
        case 's':
            wo.step_s = cli_parse_double("--step", optarg);
            if (!(wo.step_s > 0))
                cli_usage_error("--step: must be > 0 seconds");
            break;
        case 'j': wo.threads = (int)cli_parse_long("--jobs", optarg, 1, 64); break;
        case OPT_TAPER:
            if (emg_taper_from_name(optarg, &so.taper, &so.taper_alpha, &err) < 0)
                cli_usage_error("--taper: %s", err.message);
            break;
        case OPT_WELCH: {
            double seg, ov;
            cli_parse_pair("--welch", optarg, &seg, &ov);
            if (!(seg >= 2 && seg == floor(seg) && ov >= 0 && ov < seg && ov == floor(ov)))
                cli_usage_error("--welch: SEG >= 2 and 0 <= OVERLAP < SEG, in samples");
            so.method = EMG_SPECTRUM_WELCH;
            so.segment = (size_t)seg;
            so.overlap = (size_t)ov;
            break;
        }
        case OPT_PERIODOGRAM: so.method = EMG_SPECTRUM_PERIODOGRAM; break;
        case OPT_FEATURES: features = optarg; break;
        case OPT_LIST: list_features(); cli_finish_stdout(); return 0;
        case OPT_BAND:
            cli_parse_pair("--band", optarg, &fo.band_low, &fo.band_high);
            if (!(fo.band_low >= 0 && fo.band_high > fo.band_low))
                cli_usage_error("--band: need 0 <= LO < HI");
            break;
        case OPT_ZC: fo.zc_threshold = cli_parse_double("--zc-threshold", optarg); break;
        case OPT_SSC: fo.ssc_threshold = cli_parse_double("--ssc-threshold", optarg); break;
        case OPT_WAMP: fo.wamp_threshold = cli_parse_double("--wamp-threshold", optarg); break;
        case OPT_NOISE:
            fo.noise_rms = cli_parse_double("--noise-rms", optarg);
            if (!(fo.noise_rms > 0))
                cli_usage_error("--noise-rms: must be > 0");
            break;
        case OPT_REST_SNR: fo.rest_snr_db = cli_parse_double("--rest-snr", optarg); break;
        case OPT_MIN_SNR: fo.min_snr_db = cli_parse_double("--min-snr", optarg); break;
        case OPT_CLIP:
            cli_parse_pair("--clip", optarg, &fo.clip_low, &fo.clip_high);
            if (!(fo.clip_high > fo.clip_low))
                cli_usage_error("--clip: need LO < HI");
            break;
        case OPT_NO_FILTER: filter = 0; break;
        case OPT_FILTER_BAND:
            cli_parse_pair("--filter-band", optarg, &filt.band_low, &filt.band_high);
            break;
        case OPT_MAINS:
            if (!strcmp(optarg, "auto"))
                filt.mains = 0;
            else if (!strcmp(optarg, "none") || !strcmp(optarg, "off"))
                filt.mains = -1;
            else
                filt.mains = cli_parse_double("--mains", optarg);
            break;
        case OPT_CAUSAL: filt.causal = 1; break;
        case OPT_HARMONICS:
            filt.notch_harmonics = (int)cli_parse_long("--notch-harmonics", optarg, 1, 100);
            break;
        case OPT_WISDOM: wisdom = optarg; break;
        case OPT_FLOOR: floor_only = 1; break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); cli_finish_stdout(); return 0;
        default: cli_usage_error("unknown option");
        }
    }
    if (optind >= argc)
        cli_usage_error("missing INPUT");
    if (argc - optind > 2)
        cli_usage_error("too many arguments");
    const char *in_path = argv[optind];
    if (argc - optind == 2) {
        if (out_path)
            cli_usage_error("give the output either as OUTPUT or with -o, not both");
        out_path = argv[optind + 1];
    }
    if (!out_path)
        out_path = "-";

    size_t *ids, n_ids;
    if (emg_feature_list_parse(features, &ids, &n_ids, &err) < 0)
        cli_usage_error("--features: %s", err.message);
    if (wisdom && emg_fftw_wisdom_load(wisdom, &err) < 0)
        cli_warn("%s (continuing without it)", err.message);

    /* Blocks of a few seconds: each block is one round of the window engine
     * (its worker threads start and meet once per block), and readers choose
     * about 0.5 s by default; memory stays a few MB. */
    if (!in.read.block_seconds_hint_ms)
        in.read.block_seconds_hint_ms = 4000;
    emg_reader *r = cli_open_input(in_path, &in);
    const emg_header *hdr = emg_reader_header(r);
    if (floor_only) {
        run_floor(r, &so, &wo);
        emg_reader_close(r);
        free(ids);
        return 0;
    }
    const char *ext = path_extension(out_path);
    int h5 = !strcmp(ext, "h5") || !strcmp(ext, "hdf5");
    FILE *out = h5 ? NULL : cli_open_text_output(out_path);
    writer_ctx wc = {out, NULL, NULL, {EMG_OK, ""}, hdr, n_ids};
    emg_channel_stage stage;
    emg_channel_stage_filter(&stage, &filt);
    emg_window_engine *eng;
    if (emg_window_engine_create(&eng, hdr, ids, n_ids, &fo, &so, &wo, filter ? &stage : NULL,
                                 write_row, &wc, &err) < 0)
        cli_fail(&err);
    for (size_t c = 0; c < hdr->n_channels; c++)
        if (emg_window_engine_skipped(eng, c))
            cli_warn("channel %s left out: %s", hdr->channels[c].name, emg_window_engine_skipped(eng, c));

    const char **cols = malloc((n_ids + 4) * sizeof *cols);
    const char **names = malloc((hdr->n_channels + 1) * sizeof *names);
    wc.row = malloc((n_ids + 4) * sizeof *wc.row);
    if (!cols || !names || !wc.row)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    cols[0] = "onset";
    cols[1] = "duration";
    cols[2] = "channel";
    for (size_t i = 0; i < n_ids; i++)
        cols[3 + i] = emg_feature_name(ids[i]);
    cols[3 + n_ids] = "flags";
    for (size_t c = 0; c < hdr->n_channels; c++)
        names[c] = hdr->channels[c].name;
    if (h5) {
        if (!strcmp(out_path, "-"))
            cli_usage_error("HDF5 output needs a file name");
        if (emg_table_h5_open(&wc.h5, out_path, "features", n_ids + 4, cols, names, hdr->n_channels, &err) < 0)
            cli_fail(&err);
    } else {
        emg_tsv_header(out, n_ids + 4, cols);
    }

    if (emg_window_engine_run(eng, r, &err) < 0) {
        if (wc.h5) {
            emg_table_h5_abort(wc.h5);
            if (wc.err.status)
                err = wc.err;
        }
        cli_fail(&err);
    }
    emg_window_engine_destroy(eng);
    emg_reader_close(r);
    if (wc.h5 && emg_table_h5_close(wc.h5, &err) < 0)
        cli_fail(&err);
    if (out)
        cli_close_text_output(out);
    if (wisdom && emg_fftw_wisdom_save(wisdom, &err) < 0)
        cli_warn("%s", err.message);
    free(cols);
    free(names);
    free(wc.row);
    free(ids);
    cli_finish_stdout();
    return 0;
}
