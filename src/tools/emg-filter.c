/* emg-filter: filter a recording, streaming block by block.
 *
 * Usage: emg-filter [OPTIONS] IN [OUT]
 *
 * Operations (Butterworth band filters, mains notch, detrending,
 * rectification, envelopes) apply in the order they appear on the command
 * line, to every selected channel, through one emgkit filter chain per
 * channel (include/emgkit/filter.h; methods and references in
 * docs/methods/filtering.md).  Zero-phase filtering streams with a bounded
 * look-ahead, so memory stays flat however long the recording; only --dc and
 * --detrend hold whole channels in memory (they need the whole signal's mean
 * or trend).  The output keeps the input's length, channels and annotations,
 * its samples become floating point (calibration dropped), and its provenance
 * gains this command line. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum {
    OPT_HIGHPASS = CLI_OPT_TOOL_BASE, OPT_LOWPASS, OPT_BANDPASS, OPT_BANDSTOP, OPT_ORDER,
    OPT_CAUSAL, OPT_ZERO_PHASE, OPT_MAINS, OPT_NOTCH_HARMONICS, OPT_NOTCH_Q, OPT_DETREND, OPT_DC,
    OPT_RECTIFY, OPT_ENVELOPE, OPT_ENVELOPE_WINDOW, OPT_ENVELOPE_CUTOFF, OPT_DEFAULT_CHAIN, OPT_TO
};

static void usage(FILE *out)
{
    fputs("Usage: emg-filter [OPTIONS] IN [OUT]\n"
          "Filter every selected channel of a recording.  Operations apply in the order\n"
          "given.  The output, OUT or -o FILE, is written in the format its extension names\n"
          "(as emg-convert); \"-\" or none writes the emgkit pipe format to standard output.\n"
          "An existing recording is replaced only when named with -o.\n\n"
          "Operations:\n"
          "      --highpass HZ         Butterworth high-pass, corner at HZ (-3 dB causal,\n"
          "                            -6 dB zero-phase)\n"
          "      --lowpass HZ          Butterworth low-pass\n"
          "      --bandpass LO:HI      Butterworth band-pass (2 x order poles)\n"
          "      --bandstop LO:HI      Butterworth band-stop\n"
          "      --mains 50|60|auto|none  mains notch comb at 50 or 60 Hz and harmonics;\n"
          "                            auto detects 50 or 60 Hz from the first 10 s of\n"
          "                            each channel (no notch if neither is present)\n"
          "      --dc                  subtract each channel's mean (holds the channel)\n"
          "      --detrend             subtract each channel's least-squares line (holds\n"
          "                            the channel)\n"
          "      --rectify             full-wave rectification |x|\n"
          "      --envelope TYPE       rms | arv (moving window, trailing) | linear\n"
          "                            (rectify + 2nd-order low-pass) | tkeo (Teager-Kaiser\n"
          "                            energy x[n]^2 - x[n-1] x[n+1], unit squared)\n"
          "      --default-chain       surface-EMG chain: 4th-order band-pass 20-450 Hz\n"
          "                            (upper edge at most 0.9 x Nyquist; 20 Hz high-pass\n"
          "                            if that is below 40 Hz) plus the mains notch\n"
          "                            (that of --mains, default auto) up to the upper edge\n\n"
          "Settings (apply to every operation; the last one given wins):\n"
          "      --order N             Butterworth order 1-20 (default 4)\n"
          "      --zero-phase          forward-backward filtering, no delay (default)\n"
          "      --causal              forward only, as a real-time system would\n"
          "      --notch-harmonics N   notches including the fundamental (default: all\n"
          "                            below Nyquist)\n"
          "      --notch-q Q           quality factor of each notch, 1-1000 (default 30)\n"
          "      --envelope-window S   rms/arv window in seconds (default 0.1)\n"
          "      --envelope-cutoff HZ  linear envelope low-pass cut-off (default 6)\n"
          "  -j, --jobs N              threads over channels (default 1); with 2 or more,\n"
          "                            reading and writing overlap the filtering on\n"
          "                            threads of their own; the result does not depend\n"
          "                            on it\n\n"
          "Output:\n"
          "      --to FORMAT           output format instead of the output's extension:\n"
          "                            pipe wfdb edf bdf wav flac aiff caf w64 rf64 hdf5\n"
          "                            csv tsv\n"
          "  (-v, --verbose: print each channel's chain and the mains auto found)\n\n"
          "Example: emg-filter --default-chain --mains 50 --envelope rms in.hea out.h5\n\n",
          out);
    cli_common_help(out, CLI_HELP_OUTPUT);
    cli_input_help(out);
    cli_help_footer(out);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum op_kind {
    OP_BUTTER, OP_NOTCH, OP_DC, OP_DETREND, OP_RECTIFY, OP_ENVELOPE, OP_DEFAULT_CHAIN
} op_kind;

typedef struct op {
    op_kind kind;
    emg_band band;
    double f1, f2;
    double mains;                 /* OP_NOTCH: 50, 60, 0 auto */
    emg_envelope_type envelope;
} op;

typedef struct settings {
    op ops[64];
    size_t n_ops;
    int order;
    emg_phase phase;
    int notch_harmonics;
    double notch_q;
    double envelope_window, envelope_cutoff;
    double chain_mains;           /* --default-chain's notch: 0 auto, < 0 none */
    int has_default_chain, verbose;
    int jobs;                     /* threads over channels */
} settings;

static op *add_op(settings *s, op_kind kind)
{
    if (s->n_ops == sizeof s->ops / sizeof s->ops[0])
        cli_usage_error("too many operations (at most 64)");
    op *o = &s->ops[s->n_ops++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    return o;
}

static void parse_band(const char *option, const char *arg, double *lo, double *hi)
{
    cli_parse_pair(option, arg, lo, hi);
    if (!(*lo > 0 && *hi > *lo))
        cli_usage_error("option %s: need 0 < LO < HI, got %g:%g", option, *lo, *hi);
}

static double positive(const char *option, const char *arg)
{
    double v = cli_parse_double(option, arg);
    if (!(v > 0))
        cli_usage_error("option %s: %g must be > 0", option, v);
    return v;
}

static void parse_operation(settings *s, int opt, const char *arg)
{
    op *o;
    switch (opt) {
    case OPT_HIGHPASS:
    case OPT_LOWPASS:
        o = add_op(s, OP_BUTTER);
        o->band = opt == OPT_HIGHPASS ? EMG_BAND_HIGHPASS : EMG_BAND_LOWPASS;
        o->f1 = positive(opt == OPT_HIGHPASS ? "--highpass" : "--lowpass", arg);
        break;
    case OPT_BANDPASS:
    case OPT_BANDSTOP:
        o = add_op(s, OP_BUTTER);
        o->band = opt == OPT_BANDPASS ? EMG_BAND_BANDPASS : EMG_BAND_BANDSTOP;
        parse_band(opt == OPT_BANDPASS ? "--bandpass" : "--bandstop", arg, &o->f1, &o->f2);
        break;
    case OPT_MAINS: {
        double mains = cli_parse_mains(arg); /* 50, 60, 0 auto, -1 none */
        s->chain_mains = mains; /* also the default chain's notch */
        if (mains >= 0)
            add_op(s, OP_NOTCH)->mains = mains;
        break;
    }
    case OPT_DC: add_op(s, OP_DC); break;
    case OPT_DETREND: add_op(s, OP_DETREND); break;
    case OPT_RECTIFY: add_op(s, OP_RECTIFY); break;
    case OPT_ENVELOPE: {
        emg_error err;
        o = add_op(s, OP_ENVELOPE);
        if (emg_envelope_from_name(arg, &o->envelope, &err) < 0)
            cli_usage_error("option --envelope: %s", err.message);
        break;
    }
    case OPT_DEFAULT_CHAIN:
        add_op(s, OP_DEFAULT_CHAIN);
        s->has_default_chain = 1;
        break;
    }
}

/* With --default-chain, --mains chooses the chain's notch instead of adding
 * a second one. */
static void fold_notch_into_chain(settings *s)
{
    if (!s->has_default_chain)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < s->n_ops; i++)
        if (s->ops[i].kind != OP_NOTCH)
            s->ops[kept++] = s->ops[i];
    s->n_ops = kept;
}

/* ------------------------------------------------------------------------ */
/* Chains                                                                    */
/* ------------------------------------------------------------------------ */

static int build_chain(emg_chain *c, const settings *s, emg_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->n_ops && rc == 0; i++) {
        const op *o = &s->ops[i];
        switch (o->kind) {
        case OP_BUTTER:
            rc = emg_chain_add_butter(c, o->band, s->order, o->f1, o->f2, s->phase, err);
            break;
        case OP_NOTCH:
            rc = emg_chain_add_notch(c, o->mains, s->notch_q, s->notch_harmonics, 0, 10.0,
                                     s->phase, err);
            break;
        case OP_DC: rc = emg_chain_add_dc(c, err); break;
        case OP_DETREND: rc = emg_chain_add_detrend(c, err); break;
        case OP_RECTIFY: rc = emg_chain_add_rectify(c, err); break;
        case OP_ENVELOPE:
            rc = emg_chain_add_envelope(c, o->envelope,
                                        o->envelope == EMG_ENVELOPE_LINEAR ? s->envelope_cutoff
                                                                           : s->envelope_window,
                                        s->phase, err);
            break;
        case OP_DEFAULT_CHAIN:
            rc = emg_chain_add_default(c, s->chain_mains, s->phase, err);
            break;
        }
    }
    return rc;
}

static emg_chain **make_chains(const char *in_path, const emg_header *h, const settings *s)
{
    emg_chain **chains = calloc(h->n_channels ? h->n_channels : 1, sizeof *chains);
    if (!chains)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < h->n_channels; i++) {
        emg_error err;
        const emg_channel *ch = &h->channels[i];
        if (emg_chain_create(&chains[i], ch->fs, &err) < 0 || build_chain(chains[i], s, &err) < 0)
            cli_die(cli_exit_code(err.status), "%s: channel %zu '%s' (%g Hz): %s", in_path, i + 1,
                    ch->name, ch->fs, err.message);
        if (s->verbose)
            fprintf(stderr, "%s: %s: channel %zu '%s' (%g Hz): %s\n", cli_prog(), in_path, i + 1,
                    ch->name, ch->fs, emg_chain_describe(chains[i]));
        else if (!strcmp(emg_chain_describe(chains[i]), "none"))
            cli_warn(in_path, "channel %zu '%s' (%g Hz): the default chain does not apply at "
                     "this rate; copied unchanged", i + 1, ch->name, ch->fs);
    }
    return chains;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

/* The output header: the input's, with float samples (the ADC calibration
 * no longer describes filtered values), squared units after TKEO, and this
 * command in the provenance. */
static void output_header(emg_header *out, const emg_header *in, const settings *s)
{
    emg_error err;
    if (emg_header_copy(out, in, &err) < 0 ||
        emg_header_add_provenance(out, cli_command_line(), &err) < 0)
        cli_fail(&err);
    int squared = 0;
    for (size_t i = 0; i < s->n_ops; i++)
        squared |= s->ops[i].kind == OP_ENVELOPE && s->ops[i].envelope == EMG_ENVELOPE_TKEO;
    for (size_t i = 0; i < out->n_channels; i++) {
        emg_channel *ch = &out->channels[i];
        ch->gain = 0;
        ch->baseline = 0;
        ch->digital_min = ch->digital_max = 0;
        if (squared && ch->unit[0] && strlen(ch->unit) + 3 < sizeof ch->unit)
            strcat(ch->unit, "^2");
    }
}

typedef struct output {
    emg_writer *w;
    emg_block block;     /* owned buffers: output that cannot be lent (see emit_piece) */
    emg_block view;      /* what is written: samples lent by the chains where they lie */
    emg_block pending;   /* annotations waiting for the next written block */
    const emg_header *h;
    int single_rate;
    int64_t *emitted;    /* samples written per channel */
    unsigned char *copied; /* per channel: emit_piece copied instead of lending */
    emg_chain **chains;
    struct async_writer *async; /* with -j 2 or more: blocks written on their own thread */
    emg_pool *pool;      /* with -j 2 or more: threads over the channel groups */
    emg_reader *prefetch; /* with a pool: the reader, whose next block is read as the
                             round's first task (read_ahead) */
    int *group_rc;       /* per group of channels: its last push's result */
    emg_error *group_err;
} output;

/* ---- Writing on its own thread ---------------------------------------------
 *
 * Encoding the output and passing it to the kernel (a pipe's copy) costs about
 * as much CPU as a third of the filtering.  With -j 2 or more it runs on its
 * own thread, overlapped with reading and filtering the next block: the main
 * thread copies each piece of output into one of two slots and goes on; the
 * writer thread writes the slots in the order they were filled, so the output
 * is the same bytes as with -j 1. */
typedef struct async_writer {
    emg_writer *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    emg_block slot[2];
    int full[2];          /* slot i holds a piece not yet written */
    size_t next_fill, next_write;
    int closing;          /* no more pieces will come */
    int rc;               /* first write failure */
    emg_error err;
} async_writer;

static void *async_writer_main(void *arg)
{
    async_writer *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        size_t i = a->next_write % 2;
        while (!a->full[i] && !a->closing)
            pthread_cond_wait(&a->cv, &a->mu);
        if (!a->full[i])
            break; /* closing and nothing left */
        int skip = a->rc < 0; /* a failure: what is left is not written */
        pthread_mutex_unlock(&a->mu);
        emg_error err;
        int rc = skip ? 0 : emg_writer_write(a->w, &a->slot[i], &err);
        pthread_mutex_lock(&a->mu);
        if (rc < 0 && a->rc == 0)
            a->rc = rc, a->err = err;
        a->full[i] = 0;
        a->next_write++;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static void async_writer_free(async_writer *a)
{
    for (int i = 0; i < 2; i++)
        emg_block_free(&a->slot[i]);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}

/* NULL (write on the caller's thread) when no thread can be started. */
static async_writer *async_writer_start(emg_writer *w, size_t n_channels)
{
    async_writer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->w = w;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    emg_error err;
    for (int i = 0; i < 2; i++) {
        emg_block_init(&a->slot[i]);
        if (n_channels && emg_block_reserve(&a->slot[i], n_channels, 0, &err) < 0)
            cli_fail(&err);
    }
    if (pthread_create(&a->thread, NULL, async_writer_main, a) != 0) {
        async_writer_free(a);
        return NULL;
    }
    return a;
}

/* The next free slot (waiting for the writer if both are full), or NULL after
 * a write failed (*err says why). */
static emg_block *async_writer_slot(async_writer *a, emg_error *err)
{
    size_t i = a->next_fill % 2;
    pthread_mutex_lock(&a->mu);
    while (a->full[i] && a->rc == 0)
        pthread_cond_wait(&a->cv, &a->mu);
    int rc = a->rc;
    if (rc < 0)
        *err = a->err;
    pthread_mutex_unlock(&a->mu);
    if (rc < 0)
        return NULL;
    emg_block_clear(&a->slot[i]);
    return &a->slot[i];
}

/* The slot from async_writer_slot is filled: hand it to the writer. */
static void async_writer_submit(async_writer *a)
{
    pthread_mutex_lock(&a->mu);
    a->full[a->next_fill % 2] = 1;
    a->next_fill++;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Write what is queued (nothing more when discard), end the thread and free
 * it; returns the first write failure (then *err). */
static int async_writer_stop(async_writer *a, int discard, emg_error *err)
{
    pthread_mutex_lock(&a->mu);
    a->closing = 1;
    if (discard && a->rc == 0)
        a->rc = EMG_ERR_IO; /* the writer skips what is left */
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    int rc = a->rc;
    if (rc < 0)
        *err = a->err;
    async_writer_free(a);
    return rc;
}

static void fail_output(output *o, const emg_error *err)
{
    if (o->async) {
        emg_error ignored;
        async_writer_stop(o->async, 1, &ignored); /* the writer must not be in use */
        o->async = NULL;
    }
    emg_writer_abort(o->w);
    cli_fail(err);
}

static void keep_annotations(output *o, const emg_block *b)
{
    emg_error err;
    for (size_t i = 0; i < b->n_annotations; i++) {
        const emg_annotation *a = &b->annotations[i];
        if (emg_block_add_annotation(&o->pending, a->onset, a->duration, a->channel, a->text,
                                     &err) < 0)
            fail_output(o, &err);
    }
}

/* Samples each channel should write now, keeping channels aligned in time:
 * afterwards channel i has written round(T * fs_i) samples, T the earliest
 * time all channels have reached.  At the end, everything.  Returns the
 * largest count. */
static size_t ready_counts(const output *o, int at_end, size_t *want)
{
    size_t nc = o->h->n_channels, most = 0;
    if (at_end || o->single_rate) {
        size_t common = (size_t)-1;
        for (size_t i = 0; i < nc; i++) {
            size_t a = emg_chain_available(o->chains[i]);
            common = a < common ? a : common;
            want[i] = a;
        }
        if (!at_end)
            for (size_t i = 0; i < nc; i++)
                want[i] = common;
    } else {
        double t = INFINITY;
        for (size_t i = 0; i < nc; i++)
            t = fmin(t, (double)(o->emitted[i] + (int64_t)emg_chain_available(o->chains[i])) /
                            o->h->channels[i].fs);
        for (size_t i = 0; i < nc; i++) {
            int64_t target = (int64_t)floor(t * o->h->channels[i].fs + 1e-6);
            want[i] = target > o->emitted[i] ? (size_t)(target - o->emitted[i]) : 0;
        }
    }
    for (size_t i = 0; i < nc; i++)
        most = want[i] > most ? want[i] : most;
    return most;
}

/* Write take[i] samples of every channel as one block, on the writer thread:
 * copied into its next free slot. */
static void emit_piece_async(output *o, const size_t *take, int with_annotations)
{
    emg_error err;
    emg_block *b = async_writer_slot(o->async, &err);
    if (!b)
        fail_output(o, &err);
    for (size_t i = 0; i < o->h->n_channels; i++) {
        if (emg_block_reserve_channel(b, i, take[i], &err) < 0)
            fail_output(o, &err);
        b->count[i] = emg_chain_pull(o->chains[i], b->data[i], take[i]);
        o->emitted[i] += (int64_t)take[i];
    }
    for (size_t i = 0; with_annotations && i < o->pending.n_annotations; i++) {
        const emg_annotation *a = &o->pending.annotations[i];
        if (emg_block_add_annotation(b, a->onset, a->duration, a->channel, a->text, &err) < 0)
            fail_output(o, &err);
    }
    async_writer_submit(o->async);
}

/* Write take[i] samples of every channel as one block.  Each channel's
 * samples are lent by its chain where they lie; only where the chain holds
 * them in two places are they copied (into o->block). */
static void emit_piece(output *o, const size_t *take, int with_annotations)
{
    if (o->async) {
        emit_piece_async(o, take, with_annotations);
        return;
    }
    size_t nc = o->h->n_channels;
    emg_error err;
    for (size_t i = 0; i < nc; i++) {
        size_t lent;
        const double *p = emg_chain_peek(o->chains[i], &lent);
        o->copied[i] = lent < take[i];
        if (o->copied[i]) {
            if (emg_block_reserve_channel(&o->block, i, take[i], &err) < 0)
                fail_output(o, &err);
            emg_chain_pull(o->chains[i], o->block.data[i], take[i]);
            p = o->block.data[i];
        }
        o->view.data[i] = (double *)p; /* the writer only reads it */
        o->view.count[i] = take[i];
        o->emitted[i] += (int64_t)take[i];
    }
    o->view.n_annotations = with_annotations ? o->pending.n_annotations : 0;
    o->view.annotations = with_annotations ? o->pending.annotations : NULL;
    if (emg_writer_write(o->w, &o->view, &err) < 0)
        fail_output(o, &err);
    for (size_t i = 0; i < nc; i++)
        if (!o->copied[i])
            emg_chain_consume(o->chains[i], take[i]);
}

/* Write what every channel has ready (at the end, everything), in blocks of
 * at most PIECE samples per channel, so that neither this tool nor a reader
 * of its output holds a whole backward segment (about 10^5 samples per
 * channel) at once.  Each block takes the same share of every channel's
 * samples, so the channels stay aligned in time. */
static void emit_ready(output *o, int at_end)
{
    enum { PIECE = 8192 };
    size_t nc = o->h->n_channels;
    size_t want[nc ? nc : 1], take[nc ? nc : 1];
    size_t most = ready_counts(o, at_end, want);
    if (most == 0 && !(at_end && o->pending.n_annotations))
        return;
    size_t pieces = most ? (most + PIECE - 1) / PIECE : 1;
    for (size_t k = 0; k < pieces; k++) {
        for (size_t i = 0; i < nc; i++)
            take[i] = want[i] * (k + 1) / pieces - want[i] * k / pieces;
        emit_piece(o, take, k == 0);
    }
    emg_block_clear(&o->pending);
}

/* Channels are independent: the groups of four consecutive channels of each
 * block (or of the end of the input, when finishing) are the tasks of a
 * thread pool with -j threads; a group fed alike runs in vector lanes
 * (emg_chain_push_group). */
typedef struct channel_work {
    emg_chain **chains;
    const emg_block *block;   /* NULL: finish */
    size_t n_channels;
    int *rc;                  /* per group */
    emg_error *err;           /* per group */
    emg_reader *prefetch;     /* read the next block as task 0, or NULL */
} channel_work;

enum { GROUP = 4 };

static int run_group(const channel_work *w, size_t c, size_t k, emg_error *err)
{
    const emg_block *b = w->block;
    if (!b)
        return emg_chain_finish_group(w->chains + c, k, err);
    int alike = 1;
    for (size_t j = 1; j < k; j++)
        alike &= b->count[c + j] == b->count[c];
    if (alike)
        return emg_chain_push_group(w->chains + c, k, (const double *const *)b->data + c,
                                    b->count[c], err);
    int rc = 0;
    for (size_t j = 0; j < k && rc == 0; j++)
        rc = emg_chain_push(w->chains[c + j], b->data[c + j], b->count[c + j], err);
    return rc;
}

static void run_group_task(void *arg, size_t g)
{
    const channel_work *w = arg;
    if (w->prefetch && g-- == 0) { /* taken first, it ends before the groups do */
        emg_reader_prefetch(w->prefetch);
        return;
    }
    size_t c = g * GROUP, k = w->n_channels - c < GROUP ? w->n_channels - c : GROUP;
    w->rc[g] = run_group(w, c, k, &w->err[g]);
}

static size_t channel_groups(size_t n_channels) { return (n_channels + GROUP - 1) / GROUP; }

/* Push a block (or finish, block == NULL) through every channel's chain;
 * the first failing group's error. */
static int process_channels(output *o, const emg_block *block, emg_error *err)
{
    size_t groups = channel_groups(o->h->n_channels);
    channel_work w = {o->chains, block, o->h->n_channels, o->group_rc, o->group_err,
                      block ? o->prefetch : NULL};
    emg_pool_run(o->pool, groups + (w.prefetch != NULL), run_group_task, &w);
    for (size_t g = 0; g < groups; g++) {
        if (o->group_rc[g] < 0) {
            *err = o->group_err[g];
            return o->group_rc[g];
        }
    }
    return 0;
}

/* A pool for the channel groups (none with -j 1 or one group). */
static emg_pool *make_pool(size_t n_channels, int jobs)
{
    emg_pool *pool = NULL;
    emg_error err;
    if (emg_pool_create_for(&pool, jobs, channel_groups(n_channels), &err) < 0)
        cli_fail(&err);
    return pool;
}

/* With -j 2 or more, the next block is read while this one is filtered: as
 * the first task of the pool's rounds when there is a pool (so that two
 * threads share two cores, not three), else on the reader's own thread. */
static void read_ahead(output *o, emg_reader *r, int jobs)
{
    emg_error err;
    int rc = 0;
    if (o->pool && (rc = emg_reader_prefetch_start(r, &err)) == 0)
        o->prefetch = r;
    else if (!o->pool && jobs > 1)
        rc = emg_reader_read_ahead(r, &err);
    if (rc < 0)
        cli_fail(&err);
}

static void output_init(output *o, const emg_header *h, emg_chain **chains)
{
    emg_error err;
    size_t nc = h->n_channels ? h->n_channels : 1;
    memset(o, 0, sizeof *o);
    emg_block_init(&o->block);
    emg_block_init(&o->view);
    emg_block_init(&o->pending);
    o->h = h;
    o->single_rate = emg_header_single_rate(h);
    o->chains = chains;
    o->emitted = calloc(nc, sizeof *o->emitted);
    o->copied = calloc(nc, 1);
    o->group_rc = calloc(channel_groups(nc), sizeof *o->group_rc);
    o->group_err = calloc(channel_groups(nc), sizeof *o->group_err);
    /* The view's arrays only: its samples belong to the chains. */
    o->view.n_channels = h->n_channels;
    o->view.count = calloc(nc, sizeof *o->view.count);
    o->view.data = calloc(nc, sizeof *o->view.data);
    if (!o->emitted || !o->copied || !o->view.count || !o->view.data || !o->group_rc ||
        !o->group_err)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    if (h->n_channels && emg_block_reserve(&o->block, h->n_channels, 0, &err) < 0)
        cli_fail(&err);
}

static void output_free(output *o)
{
    free(o->chains);
    free(o->emitted);
    free(o->copied);
    free(o->group_rc);
    free(o->group_err);
    emg_pool_destroy(o->pool);
    free(o->view.count);
    free(o->view.data);
    emg_block_free(&o->block);
    emg_block_free(&o->pending);
}

static void filter(emg_reader *r, const char *in_path, const char *out_path, emg_format format,
                   const settings *s)
{
    emg_error err;
    const emg_header *in = emg_reader_header(r);
    emg_header header;
    output_header(&header, in, s);
    output o;
    output_init(&o, &header, make_chains(in_path, &header, s));
    emg_write_options wopts = EMG_WRITE_OPTIONS_INIT;
    cli_report_write_notes(&wopts, out_path);
    if (emg_writer_open(&o.w, out_path, format, &header, &wopts, &err) < 0)
        cli_fail(&err);
    if (s->jobs > 1)
        o.async = async_writer_start(o.w, header.n_channels);
    o.pool = make_pool(header.n_channels, s->jobs);
    read_ahead(&o, r, s->jobs);

    const emg_block *b;
    int rc;
    cli_gap_tracker gaps;
    cli_gaps_init(&gaps, header.n_channels);
    while ((rc = emg_reader_read(r, &b, &err)) > 0) {
        cli_gaps_add(&gaps, b);
        if (process_channels(&o, b, &err) < 0)
            fail_output(&o, &err);
        keep_annotations(&o, b);
        emit_ready(&o, 0);
    }
    if (rc < 0)
        fail_output(&o, &err);
    if (process_channels(&o, NULL, &err) < 0)
        fail_output(&o, &err);
    emit_ready(&o, 1);
    if (o.async) {
        async_writer *a = o.async;
        o.async = NULL;
        if (async_writer_stop(a, 0, &err) < 0)
            fail_output(&o, &err);
    }
    if (emg_writer_close(o.w, &err) < 0)
        cli_fail(&err);
    cli_gaps_report(&gaps, in_path, &header);

    for (size_t i = 0; i < header.n_channels; i++) {
        double mains = emg_chain_detected_mains(o.chains[i]);
        if (s->verbose && mains >= 0)
            fprintf(stderr, "%s: %s: channel %zu '%s': mains %s\n", cli_prog(), in_path, i + 1,
                    header.channels[i].name,
                    mains == 50 ? "50 Hz" : mains == 60 ? "60 Hz" : "not detected");
        emg_chain_destroy(o.chains[i]);
    }
    output_free(&o);
    emg_header_free(&header);
}

int main(int argc, char **argv)
{
    cli_init("emg-filter", argc, argv, usage);
    static const struct option options[] = {
        CLI_BASE_LONG_OPTIONS,
        CLI_OUTPUT_LONG_OPTIONS,
        CLI_BATCH_LONG_OPTIONS,
        CLI_INPUT_LONG_OPTIONS,
        {"highpass", required_argument, NULL, OPT_HIGHPASS},
        {"lowpass", required_argument, NULL, OPT_LOWPASS},
        {"bandpass", required_argument, NULL, OPT_BANDPASS},
        {"bandstop", required_argument, NULL, OPT_BANDSTOP},
        {"order", required_argument, NULL, OPT_ORDER},
        {"causal", no_argument, NULL, OPT_CAUSAL},
        {"zero-phase", no_argument, NULL, OPT_ZERO_PHASE},
        {"mains", required_argument, NULL, OPT_MAINS},
        {"notch-harmonics", required_argument, NULL, OPT_NOTCH_HARMONICS},
        {"notch-q", required_argument, NULL, OPT_NOTCH_Q},
        {"detrend", no_argument, NULL, OPT_DETREND},
        {"dc", no_argument, NULL, OPT_DC},
        {"rectify", no_argument, NULL, OPT_RECTIFY},
        {"envelope", required_argument, NULL, OPT_ENVELOPE},
        {"envelope-window", required_argument, NULL, OPT_ENVELOPE_WINDOW},
        {"envelope-cutoff", required_argument, NULL, OPT_ENVELOPE_CUTOFF},
        {"default-chain", no_argument, NULL, OPT_DEFAULT_CHAIN},
        {"to", required_argument, NULL, OPT_TO},
        {NULL, 0, NULL, 0},
    };
    cli_input in;
    cli_input_init(&in);
    static settings s;
    s.order = 4;
    s.phase = EMG_PHASE_ZERO;
    s.notch_q = 30;
    s.envelope_window = 0.1;
    s.envelope_cutoff = 6;
    emg_format format = EMG_FORMAT_AUTO;
    int opt;
    while ((opt = cli_getopt(argc, argv,
                             CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS
                             CLI_BATCH_SHORT_OPTIONS CLI_INPUT_SHORT_OPTIONS,
                             options)) != -1) {
        if (cli_input_option(&in, opt, optarg))
            continue;
        switch (opt) {
        case OPT_ORDER: s.order = (int)cli_parse_long("--order", optarg, 1, 20); break;
        case OPT_CAUSAL: s.phase = EMG_PHASE_CAUSAL; break;
        case OPT_ZERO_PHASE: s.phase = EMG_PHASE_ZERO; break;
        case OPT_NOTCH_HARMONICS:
            s.notch_harmonics = (int)cli_parse_long("--notch-harmonics", optarg, 1, 1000);
            break;
        case OPT_NOTCH_Q:
            s.notch_q = cli_parse_double("--notch-q", optarg);
            if (!(s.notch_q >= 1 && s.notch_q <= 1000))
                cli_usage_error("option --notch-q: %g is outside 1 to 1000", s.notch_q);
            break;
        case OPT_ENVELOPE_WINDOW:
            s.envelope_window = positive("--envelope-window", optarg);
            break;
        case OPT_ENVELOPE_CUTOFF:
            s.envelope_cutoff = positive("--envelope-cutoff", optarg);
            break;
        case OPT_TO:
            if (emg_format_from_name(optarg, &format) < 0)
                cli_usage_error("--to: unknown format '%s'", optarg);
            break;
        default:
            if (opt >= OPT_HIGHPASS && opt <= OPT_DEFAULT_CHAIN)
                parse_operation(&s, opt, optarg);
            else
                cli_usage_error("unknown option");
        }
    }
    if (cli_inputs_list())
        cli_usage_error("--inputs: emg-filter takes one input (IN [OUT]); run it once per file");
    s.jobs = cli_jobs();
    s.verbose = cli_verbose();
    fold_notch_into_chain(&s);
    if (s.n_ops == 0)
        cli_usage_error("no operation given (e.g. --default-chain or --bandpass 20:450)");
    const char *out_path;
    int explicit_output;
    const char *in_path = cli_converter_args(argc, argv, optind, &out_path, &explicit_output);
    format = cli_signal_output(out_path, format, explicit_output);
    /* Blocks of a few seconds (readers choose about 0.5 s by default): each
     * block is one round of the thread pool and of the reader's and writer's
     * threads, so fewer meetings; memory stays a few MB. */
    if (!in.read.block_seconds_hint_ms)
        in.read.block_seconds_hint_ms = 4000;
    emg_reader *r = cli_open_input(in_path, &in);
    /* With -j 2 or more, decoding the next block overlaps with filtering
     * this one (read_ahead), and writing (emit_piece_async) with both. */
    filter(r, in_path, out_path, format, &s);
    emg_reader_close(r);
    cli_finish_stdout();
    return CLI_EXIT_OK;
}
