/* features_engine.c: the streaming window engine behind emg-features and
 * emg-fatigue.
 *
 * Each channel keeps only the samples of the window being filled (memory does
 * not grow with the recording).  Window k of a channel starts at sample
 * k * step, so Welch segments recur at fixed sample positions and the
 * extractor's segment cache can share them between overlapping windows.
 * Channels are independent: with threads > 1, every block is split over the
 * workers by channel (the per-channel stage, e.g. the filter chain, runs in
 * the worker too), in groups of four consecutive channels when the stage can
 * run them side by side (the zero-phase filter's vector lanes); results are
 * emitted in window order from the caller's thread.  When the noise floor is to be estimated from the whole recording,
 * results are parked in an unlinked temporary file and emitted at the end with
 * their snr_db and rest / low_snr flags. */
#include "emgkit/features.h"
#include "emgkit/pool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_internal.h"

/* Samples arriving in blocks, cut into windows `win` long every `step`
 * samples; holds only what later windows need (cutter_take). */
typedef struct window_cutter {
    double *buf;              /* samples from absolute index start */
    size_t len, cap;
    long long start;
    long long next_start;     /* absolute first sample of the next window */
} window_cutter;

typedef struct channel_state {
    size_t index;
    double fs;
    size_t win, step;
    void *stage;
    emg_feature_extractor *fx;
    window_cutter cut;        /* the (filtered) samples */
    window_cutter raw;        /* with a stage: the unfiltered samples, whose clipped / flat
                                 flags wait in raw_flags until their window is cut (the
                                 stage's output is aligned with its input) */
    unsigned *raw_flags;
    size_t n_raw_flags, cap_raw_flags, raw_flags_head;
    double clip_low, clip_high; /* rails in physical units; clip_high == clip_low: off */
    size_t next_k;
    double *res;              /* records: k, flags, power, values[n_ids] */
    size_t n_res, cap_res, head;
    int finished;
    int skipped;              /* cannot be analysed (too few samples per window...) */
    char skip_reason[EMG_ERROR_MESSAGE_MAX];
    /* input of the current round */
    const double *in;
    size_t n_in;
    int flush;
    int rc;
    emg_error err;
    /* noise estimation: window powers */
    double *powers;
    size_t n_powers, cap_powers;
    double noise_rms;
    int noise_given;          /* set by emg_window_engine_set_noise_rms: not estimated */
    /* non-finite input samples (gaps) */
    emg_gap_count gaps;
    long long n_seen;
} channel_state;

struct emg_window_engine {
    size_t n_channels;
    channel_state *ch;
    size_t n_ids;
    size_t stride;            /* doubles per record */
    int snr_pos;              /* position of snr_db among ids, or -1 */
    emg_feature_options fopts;
    emg_window_options wopts;
    emg_channel_stage stage;
    int has_stage;
    emg_window_emit emit;
    void *ctx;
    size_t next_emit;
    int estimate;             /* park results and estimate the noise floor */
    FILE *park;
    size_t parked;
    const char *input;  /* the reader's path, for messages (emg_window_engine_run) */
    double *scratch;          /* one record */
    emg_pool *pool;           /* wopts.threads threads over the channel groups */
    emg_reader *prefetch;     /* emg_window_engine_run with a pool: its reader, whose next
                                 block is read as the round's first task */
    double *outbox;           /* collected records waiting for delivery: channel, record */
    size_t n_outbox, cap_outbox;
};

static int grow(void **p, size_t *cap, size_t need, size_t size, emg_error *err)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = emgi_xrealloc(*p, nc, size, err);
    if (!q)
        return EMG_ERR_NOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

/* Channels handed to one worker together: as many as the stage runs side by
 * side (four vector lanes) when there are enough channels for every thread to
 * get a group, else one. */
enum { GROUP_MAX = 4 };

static size_t group_size(const emg_window_engine *e)
{
    int grouped = e->has_stage && e->stage.process_group && e->stage.flush_group &&
                  e->n_channels >= GROUP_MAX * (size_t)e->wopts.threads;
    return grouped ? GROUP_MAX : 1;
}

/* The groups of one round are the tasks of the engine's thread pool
 * (emg_pool_run): persistent threads take the next untaken group until none
 * is left, the caller's thread among them. */
static size_t round_groups(const emg_window_engine *e)
{
    size_t g = group_size(e);
    return (e->n_channels + g - 1) / g;
}

/* Window results wait in an unlinked file in $TMPDIR (recorded while it has a
 * name, so that a signal cannot leave it behind). */
static int open_park(emg_window_engine *e, emg_error *err)
{
    char path[4200];
    int fd = emgi_temp_file(path, sizeof path, "emgkit-windows", err);
    if (fd < 0)
        return fd;
    e->park = fdopen(fd, "w+b");
    emg_temp_discard(path);
    if (!e->park) {
        close(fd);
        return EMG_ERR_NOMEM;
    }
    return EMG_OK;
}


static int park_failure(const emg_window_engine *e, emg_error *err)
{
    const char *dir = getenv("TMPDIR");
    return emg_error_set(err, EMG_ERR_OUTPUT, "%s%scannot keep window results in a temporary "
                         "file in %s: %s", e->input ? e->input : "", e->input ? ": " : "",
                         dir && *dir ? dir : "/tmp", strerror(errno));
}

int emg_window_engine_create(emg_window_engine **out, const emg_header *hdr,
                             const size_t *ids, size_t n_ids, const emg_feature_options *fopts,
                             const emg_spectrum_options *sopts, const emg_window_options *wopts,
                             const emg_channel_stage *stage, emg_window_emit emit, void *ctx,
                             emg_error *err)
{
    *out = NULL;
    emg_window_options dw = EMG_WINDOW_OPTIONS_INIT;
    emg_feature_options df = EMG_FEATURE_OPTIONS_INIT;
    emg_window_engine *e = emgi_xcalloc(1, sizeof *e, err);
    if (!e)
        return EMG_ERR_NOMEM;
    e->wopts = wopts ? *wopts : dw;
    e->fopts = fopts ? *fopts : df;
    e->n_ids = n_ids;
    e->stride = 3 + n_ids;
    e->emit = emit;
    e->ctx = ctx;
    e->snr_pos = -1;
    int snr_id = emg_feature_find("snr_db");
    for (size_t i = 0; i < n_ids; i++)
        if ((int)ids[i] == snr_id)
            e->snr_pos = (int)i;
    if (stage) {
        e->stage = *stage;
        e->has_stage = 1;
    }
    int rc = 0;
    if (!(e->wopts.window_s > 0) || !(e->wopts.step_s > 0)) {
        rc = emg_error_set(err, EMG_ERR_ARG, "window and step must be positive (got %g s, %g s)",
                           e->wopts.window_s, e->wopts.step_s);
        goto fail;
    }
    if (e->wopts.threads < 1)
        e->wopts.threads = 1;
    e->estimate = e->wopts.estimate_noise && !(e->fopts.noise_rms > 0);
    e->n_channels = hdr->n_channels;
    e->ch = emgi_xcalloc(hdr->n_channels ? hdr->n_channels : 1, sizeof *e->ch, err);
    e->scratch = emgi_xcalloc(e->stride, sizeof(double), err);
    if (!e->ch || !e->scratch) {
        rc = EMG_ERR_NOMEM;
        goto fail;
    }
    for (size_t c = 0; c < hdr->n_channels; c++) {
        channel_state *cs = &e->ch[c];
        cs->index = c;
        cs->fs = hdr->channels[c].fs;
        cs->gaps = (emg_gap_count)EMG_GAP_COUNT_INIT;
        cs->win = (size_t)llround(e->wopts.window_s * cs->fs);
        cs->step = (size_t)llround(e->wopts.step_s * cs->fs);
        cs->noise_rms = e->fopts.noise_rms > 0 ? e->fopts.noise_rms : NAN;
        if (cs->step < 1)
            cs->step = 1;
        /* Rails: given, or the ADC range of the channel when it came from an ADC. */
        const emg_channel *hc = &hdr->channels[c];
        if (e->fopts.clip_high != 0) {
            cs->clip_low = e->fopts.clip_low;
            cs->clip_high = e->fopts.clip_high;
        } else if (hc->gain != 0 && hc->digital_max > hc->digital_min) {
            double a = ((double)hc->digital_min - hc->baseline) / hc->gain;
            double b = ((double)hc->digital_max - hc->baseline) / hc->gain;
            cs->clip_low = fmin(a, b);
            cs->clip_high = fmax(a, b);
        }
        emg_feature_options copts = e->fopts;
        copts.clip_low = cs->clip_low;
        copts.clip_high = e->has_stage ? 0 : cs->clip_high;
        rc = emg_feature_extractor_create(&cs->fx, cs->fs, cs->win, ids, n_ids, &copts, sopts, err);
        if (rc == 0)
            rc = emg_feature_extractor_set_step(cs->fx, cs->step, err);
        if (rc == EMG_ERR_ARG) {
            /* e.g. a 1 Hz channel beside EMG channels: leave it out, say why */
            snprintf(cs->skip_reason, sizeof cs->skip_reason, "%s", err ? err->message : "");
            emg_feature_extractor_destroy(cs->fx);
            cs->fx = NULL;
            cs->skipped = cs->finished = 1;
            rc = 0;
            continue;
        }
        if (rc < 0) {
            char msg[EMG_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->message : "");
            rc = emg_error_set(err, rc, "channel %zu (%s, %g Hz): %s", c + 1,
                               hdr->channels[c].name, cs->fs, msg);
            goto fail;
        }
        if (e->has_stage) {
            cs->stage = e->stage.create(e->stage.ctx, c, cs->fs, err);
            if (!cs->stage) {
                rc = err && err->status ? err->status : EMG_ERR_NOMEM;
                goto fail;
            }
        }
    }
    size_t usable = 0;
    for (size_t c = 0; c < e->n_channels; c++)
        usable += !e->ch[c].skipped;
    if (e->n_channels > 0 && usable == 0) {
        rc = emg_error_set(err, EMG_ERR_ARG, "channel 1 (%s, %g Hz): %s", hdr->channels[0].name,
                           e->ch[0].fs, e->ch[0].skip_reason);
        goto fail;
    }
    if (e->estimate && (rc = open_park(e, err)) < 0)
        goto fail;
    if ((rc = emg_pool_create_for(&e->pool, e->wopts.threads, round_groups(e), err)) < 0)
        goto fail;
    *out = e;
    return 0;
fail:
    emg_window_engine_destroy(e);
    return rc;
}

void emg_window_engine_destroy(emg_window_engine *e)
{
    if (!e)
        return;
    for (size_t c = 0; c < e->n_channels && e->ch; c++) {
        channel_state *cs = &e->ch[c];
        emg_feature_extractor_destroy(cs->fx);
        if (cs->stage && e->stage.destroy)
            e->stage.destroy(cs->stage);
        free(cs->cut.buf);
        free(cs->raw.buf);
        free(cs->raw_flags);
        free(cs->res);
        free(cs->powers);
    }
    free(e->ch);
    free(e->scratch);
    if (e->park)
        fclose(e->park);
    emg_pool_destroy(e->pool);
    free(e->outbox);
    free(e);
}

/* Append n samples to a cutter's buffer. */
static int cutter_append(window_cutter *w, const double *x, size_t n, emg_error *err)
{
    if (n == 0)
        return 0;
    if (grow((void **)&w->buf, &w->cap, w->len + n, sizeof(double), err) < 0)
        return EMG_ERR_NOMEM;
    memcpy(w->buf + w->len, x, n * sizeof *x);
    w->len += n;
    return 0;
}

/* Whether x[0..n) is one constant value (NaN samples aside, as a running
 * minimum and maximum would skip them); stops at the first other value, so a
 * live signal costs a sample or two. */
static int constant_run(const double *x, size_t n)
{
    if (x[0] != x[0])
        return 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] == x[i] && x[i] != x[0])
            return 0;
    return 1;
}

/* Clipped / flat flags from the unfiltered samples of a window: rail hits,
 * and the exact-constant test; the variance only when a flat threshold was
 * given. */
static unsigned raw_quality(const channel_state *cs, const double *x, size_t n,
                            const emg_feature_options *o)
{
    unsigned fl = 0;
    size_t hits = 0;
    if (emg_has_gap(x, n))
        return EMG_WINDOW_GAP;
    if (cs->clip_high > cs->clip_low)
        for (size_t i = 0; i < n; i++)
            hits += (size_t)((x[i] >= cs->clip_high) | (x[i] <= cs->clip_low));
    if ((double)hits > o->clip_fraction * (double)n)
        fl |= EMG_WINDOW_CLIPPED;
    if (o->flat_rms > 0) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            var += (x[i] - mean) * (x[i] - mean);
        if (var / (double)n <= o->flat_rms * o->flat_rms)
            fl |= EMG_WINDOW_FLAT;
    } else if (constant_run(x, n)) {
        fl |= EMG_WINDOW_FLAT;
    }
    return fl;
}

/* The features of window next_k, from its samples x. */
static int run_window(emg_window_engine *e, channel_state *cs, const double *x)
{
    if (grow((void **)&cs->res, &cs->cap_res, cs->n_res + e->stride, sizeof(double), &cs->err) < 0)
        return EMG_ERR_NOMEM;
    double *rec = cs->res + cs->n_res;
    unsigned flags = 0;
    int rc = emg_feature_extractor_run(cs->fx, x, cs->cut.next_start, rec + 3, &flags, &cs->err);
    if (rc < 0)
        return rc;
    if (e->has_stage && cs->raw_flags_head < cs->n_raw_flags) {
        /* raw windows are cut first (the stage's output lags its input) */
        flags &= ~(unsigned)(EMG_WINDOW_CLIPPED | EMG_WINDOW_FLAT);
        flags |= cs->raw_flags[cs->raw_flags_head++];
        if (cs->raw_flags_head == cs->n_raw_flags)
            cs->raw_flags_head = cs->n_raw_flags = 0;
    }
    rec[0] = (double)cs->next_k;
    rec[1] = (double)flags;
    rec[2] = emg_feature_extractor_last_power(cs->fx);
    cs->n_res += e->stride;
    cs->next_k++;
    return 0;
}

/* The clipped / flat flags of the next raw window, queued for run_window. */
static int raw_window(emg_window_engine *e, channel_state *cs, const double *x)
{
    if (cs->raw_flags_head > 0 && cs->raw_flags_head == cs->n_raw_flags)
        cs->raw_flags_head = cs->n_raw_flags = 0;
    if (cs->raw_flags_head > 4096) {
        memmove(cs->raw_flags, cs->raw_flags + cs->raw_flags_head,
                (cs->n_raw_flags - cs->raw_flags_head) * sizeof *cs->raw_flags);
        cs->n_raw_flags -= cs->raw_flags_head;
        cs->raw_flags_head = 0;
    }
    if (grow((void **)&cs->raw_flags, &cs->cap_raw_flags, cs->n_raw_flags + 1, sizeof(unsigned),
             &cs->err) < 0)
        return EMG_ERR_NOMEM;
    cs->raw_flags[cs->n_raw_flags++] = raw_quality(cs, x, cs->win, &e->fopts);
    return 0;
}

typedef int (*window_fn)(emg_window_engine *e, channel_state *cs, const double *x);

/* Drop samples no later window needs, but move the rest down only when the
 * dead part outweighs the live part (amortised: each sample moves about
 * once). */
static void drop_dead(window_cutter *w)
{
    long long drop = w->next_start - w->start;
    if (drop > (long long)w->len)
        drop = (long long)w->len;
    if (drop > 0 && (size_t)drop >= w->len - (size_t)drop) {
        memmove(w->buf, w->buf + drop, (w->len - (size_t)drop) * sizeof *w->buf);
        w->len -= (size_t)drop;
        w->start += drop;
    }
}

/* Take the next n samples y (they follow the cutter's) and run `window` on
 * every window they complete, then keep what later windows need.  Windows
 * lying wholly in y are taken where y lies, so only the samples that windows
 * share with the buffer (fewer than one window) and the unfinished tail are
 * copied: the zero-phase stage lends its output in blocks of about 10^5
 * samples, and copying every block whole would move every sample through
 * memory once more. */
static int cutter_take(emg_window_engine *e, channel_state *cs, window_cutter *w,
                       const double *y, size_t n, window_fn window)
{
    long long y_start = w->start + (long long)w->len, y_end = y_start + (long long)n;
    long long win = (long long)cs->win, step = (long long)cs->step;
    size_t used = 0; /* the first `used` samples of y are in the buffer */
    int rc;
    if (w->next_start < y_start) {
        /* Windows begun in the buffer end within win - 1 samples of y. */
        used = n < cs->win - 1 ? n : cs->win - 1;
        if ((rc = cutter_append(w, y, used, &cs->err)) < 0)
            return rc;
        for (; w->next_start + win <= w->start + (long long)w->len; w->next_start += step)
            if ((rc = window(e, cs, w->buf + (w->next_start - w->start))) < 0)
                return rc;
    }
    for (; w->next_start >= y_start && w->next_start + win <= y_end; w->next_start += step)
        if ((rc = window(e, cs, y + (w->next_start - y_start))) < 0)
            return rc;
    if (w->next_start > y_start + (long long)used) {
        /* Nothing in the buffer is needed any more: restart it at the next
         * window's start (or the end of y, for windows further on). */
        long long from = w->next_start < y_end ? w->next_start : y_end;
        w->len = 0;
        w->start = from;
        used = (size_t)(from - y_start);
    }
    drop_dead(w);
    return cutter_append(w, y + used, n - used, &cs->err);
}

/* The stage's input, for the clipped / flat flags. */
static int take_input(emg_window_engine *e, channel_state *cs)
{
    return cutter_take(e, cs, &cs->raw, cs->in, cs->n_in, raw_window);
}

static int take_output(emg_window_engine *e, channel_state *cs, const double *y, size_t n)
{
    return cutter_take(e, cs, &cs->cut, y, n, run_window);
}

static int process_channel(emg_window_engine *e, channel_state *cs)
{
    if (cs->skipped)
        return 0;
    const double *y = cs->in;
    size_t ny = cs->n_in;
    int rc = 0;
    if (e->has_stage && ny > 0) {
        if ((rc = take_input(e, cs)) < 0)
            return rc;
        rc = e->stage.process(cs->stage, cs->in, cs->n_in, &y, &ny, &cs->err);
        if (rc < 0)
            return rc;
    }
    if ((rc = take_output(e, cs, y, ny)) < 0)
        return rc;
    if (cs->flush && e->has_stage) {
        rc = e->stage.flush(cs->stage, &y, &ny, &cs->err);
        if (rc < 0)
            return rc;
        if ((rc = take_output(e, cs, y, ny)) < 0)
            return rc;
    }
    if (cs->flush)
        cs->finished = 1;
    return rc;
}

/* process_channel for k channels whose stage can take them together (same
 * input length, none skipped); the others go one by one.  A failure is
 * reported on the group's first channel. */
static void process_group(emg_window_engine *e, channel_state *cs, size_t k)
{
    size_t n = cs[0].n_in;
    int together = k > 1;
    for (size_t i = 0; i < k; i++)
        together &= !cs[i].skipped && cs[i].n_in == n && cs[i].flush == cs[0].flush;
    if (!together) {
        for (size_t i = 0; i < k; i++)
            cs[i].rc = process_channel(e, &cs[i]);
        return;
    }
    void *states[GROUP_MAX];
    const double *in[GROUP_MAX], *out[GROUP_MAX];
    size_t n_out[GROUP_MAX];
    int rc = 0;
    for (size_t i = 0; i < k; i++) {
        states[i] = cs[i].stage;
        in[i] = cs[i].in;
        cs[i].rc = 0;
        if (n > 0 && rc == 0)
            rc = take_input(e, &cs[i]);
    }
    if (n > 0 && rc == 0) {
        rc = e->stage.process_group(states, k, in, n, out, n_out, &cs[0].err);
        for (size_t i = 0; i < k && rc == 0; i++)
            rc = take_output(e, &cs[i], out[i], n_out[i]);
    }
    if (cs[0].flush && rc == 0) {
        rc = e->stage.flush_group(states, k, out, n_out, &cs[0].err);
        for (size_t i = 0; i < k && rc == 0; i++)
            rc = take_output(e, &cs[i], out[i], n_out[i]);
    }
    for (size_t i = 0; i < k && rc == 0; i++)
        if (cs[i].flush)
            cs[i].finished = 1;
    if (rc < 0) {
        for (size_t i = 1; i < k; i++)
            if (cs[i].err.status < 0 && cs[0].err.status >= 0)
                cs[0].err = cs[i].err;
        cs[0].rc = rc;
    }
}

/* With a reader to prefetch from, task 0 reads the next block (taken first,
 * it ends before the groups do) and the groups follow. */
static size_t round_tasks(const emg_window_engine *e)
{
    return round_groups(e) + (e->prefetch != NULL);
}

static void run_group_task(void *ctx, size_t k)
{
    emg_window_engine *e = ctx;
    if (e->prefetch && k-- == 0) {
        emg_reader_prefetch(e->prefetch);
        return;
    }
    size_t g = group_size(e), c = k * g, n = e->n_channels - c < g ? e->n_channels - c : g;
    for (size_t i = c; i < c + n; i++) { /* the gap count is per channel work too */
        channel_state *cs = &e->ch[i];
        emg_gap_count_add(&cs->gaps, cs->in, cs->n_in, cs->n_seen);
        cs->n_seen += (long long)cs->n_in;
    }
    process_group(e, &e->ch[c], n);
}

/* Start one round over all channels: the groups go to the pool's workers;
 * finish_round takes part in what is left and waits for the rest. */
static void start_round(emg_window_engine *e)
{
    emg_pool_start(e->pool, round_tasks(e), run_group_task, e);
}

static int finish_round(emg_window_engine *e, emg_error *err)
{
    emg_pool_wait(e->pool);
    for (size_t c = 0; c < e->n_channels; c++) {
        if (e->ch[c].rc < 0) {
            if (err)
                *err = e->ch[c].err;
            return e->ch[c].rc;
        }
    }
    return 0;
}

static int deliver(emg_window_engine *e, size_t c, const double *rec)
{
    channel_state *cs = &e->ch[c];
    emg_window_result w;
    w.window = (size_t)rec[0];
    w.channel = c;
    w.onset = (double)w.window * (double)cs->step / cs->fs;
    w.duration = (double)cs->win / cs->fs;
    w.values = rec + 3;
    w.flags = (unsigned)rec[1];
    w.power = rec[2];
    return e->emit(e->ctx, &w);
}

/* Move every window index all channels have produced or never will into the
 * outbox, in window then channel order: the channels' queues belong to the
 * workers again once the next round starts, the outbox to the caller. */
static int collect_ready(emg_window_engine *e, emg_error *err)
{
    size_t entry = 1 + e->stride; /* channel, record */
    for (;;) {
        size_t k = e->next_emit;
        int any = 0;
        for (size_t c = 0; c < e->n_channels; c++) {
            channel_state *cs = &e->ch[c];
            int has = cs->head < cs->n_res && (size_t)cs->res[cs->head] == k;
            if (!has && !(cs->finished && cs->next_k <= k))
                return 0; /* this channel will still produce window k */
            any |= has;
        }
        if (!any)
            return 0; /* every channel finished */
        for (size_t c = 0; c < e->n_channels; c++) {
            channel_state *cs = &e->ch[c];
            if (!(cs->head < cs->n_res && (size_t)cs->res[cs->head] == k))
                continue;
            if (grow((void **)&e->outbox, &e->cap_outbox, (e->n_outbox + 1) * entry,
                     sizeof(double), err) < 0)
                return EMG_ERR_NOMEM;
            double *slot = e->outbox + e->n_outbox * entry;
            slot[0] = (double)c;
            memcpy(slot + 1, cs->res + cs->head, e->stride * sizeof(double));
            e->n_outbox++;
            cs->head += e->stride;
        }
        e->next_emit++;
        /* Drop collected records from the queues now and then. */
        for (size_t c = 0; c < e->n_channels; c++) {
            channel_state *cs = &e->ch[c];
            if (cs->head > 0 && cs->head == cs->n_res) {
                cs->head = cs->n_res = 0;
            } else if (cs->head > 4096) {
                memmove(cs->res, cs->res + cs->head, (cs->n_res - cs->head) * sizeof *cs->res);
                cs->n_res -= cs->head;
                cs->head = 0;
            }
        }
    }
}

/* Emit (or park) the outbox's records; runs while the workers start on the
 * next round, so the caller's formatting overlaps their work. */
static int deliver_outbox(emg_window_engine *e, emg_error *err)
{
    size_t entry = 1 + e->stride;
    int rc = 0;
    for (size_t i = 0; i < e->n_outbox && rc == 0; i++) {
        const double *slot = e->outbox + i * entry;
        size_t c = (size_t)slot[0];
        const double *rec = slot + 1;
        if (e->estimate) {
            channel_state *cs = &e->ch[c];
            if (grow((void **)&cs->powers, &cs->cap_powers, cs->n_powers + 1, sizeof(double),
                     err) < 0)
                return EMG_ERR_NOMEM;
            cs->powers[cs->n_powers++] = rec[2];
            if (fwrite(&slot[0], sizeof *slot, 1, e->park) != 1 ||
                fwrite(rec, sizeof *rec, e->stride, e->park) != e->stride)
                return park_failure(e, err);
            e->parked++;
        } else {
            rc = deliver(e, c, rec);
        }
    }
    e->n_outbox = 0;
    return rc;
}

/* One round over a block (or the end of input, when the channels' flush is
 * set): the previous round's windows are delivered while this one runs. */
static int run_round(emg_window_engine *e, emg_error *err)
{
    start_round(e);
    emg_error deliver_err = {EMG_OK, ""};
    int delivered = deliver_outbox(e, &deliver_err);
    int rc = finish_round(e, err);
    if (delivered < 0) {
        if (err)
            *err = deliver_err;
        return delivered;
    }
    return rc < 0 ? rc : collect_ready(e, err);
}

int emg_window_engine_push(emg_window_engine *e, const emg_block *blk, emg_error *err)
{
    for (size_t c = 0; c < e->n_channels; c++) {
        channel_state *cs = &e->ch[c];
        cs->in = c < blk->n_channels ? blk->data[c] : NULL;
        cs->n_in = c < blk->n_channels ? blk->count[c] : 0;
        cs->flush = 0;
    }
    return run_round(e, err);
}

/* Noise floor of one channel: the quietest windows (5th percentile of window
 * power).  If the loudest windows (95th percentile) are not at least 10 dB
 * above that, the recording shows no rest to measure the floor on, and the
 * floor stays unknown (the muscle may be active throughout). */
static double estimate_noise_rms(channel_state *cs)
{
    size_t n = 0;
    for (size_t i = 0; i < cs->n_powers; i++)
        if (cs->powers[i] > 0)
            cs->powers[n++] = cs->powers[i];
    if (n < 10)
        return NAN;
    qsort(cs->powers, n, sizeof *cs->powers, emgi_double_cmp);
    double p05 = cs->powers[(size_t)floor(0.05 * (double)(n - 1))];
    double p95 = cs->powers[(size_t)floor(0.95 * (double)(n - 1))];
    if (!(p95 > 10 * p05))
        return NAN;
    return sqrt(p05);
}

static int replay_parked(emg_window_engine *e, emg_error *err)
{
    for (size_t c = 0; c < e->n_channels; c++)
        if (!e->ch[c].noise_given)
            e->ch[c].noise_rms = estimate_noise_rms(&e->ch[c]);
    if (fflush(e->park) != 0 || fseek(e->park, 0, SEEK_SET) != 0)
        return park_failure(e, err);
    for (size_t i = 0; i < e->parked; i++) {
        double chan;
        if (fread(&chan, sizeof chan, 1, e->park) != 1 ||
            fread(e->scratch, sizeof(double), e->stride, e->park) != e->stride)
            return park_failure(e, err);
        size_t c = (size_t)chan;
        double noise = e->ch[c].noise_rms;
        unsigned flags = (unsigned)e->scratch[1];
        if (noise > 0) {
            double snr = 10 * log10(e->scratch[2] / (noise * noise));
            if (snr < e->fopts.rest_snr_db)
                flags |= EMG_WINDOW_REST;
            if (snr < e->fopts.min_snr_db)
                flags |= EMG_WINDOW_LOW_SNR;
            if (e->snr_pos >= 0)
                e->scratch[3 + e->snr_pos] = snr;
        }
        e->scratch[1] = (double)flags;
        int rc = deliver(e, c, e->scratch);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int emg_window_engine_finish(emg_window_engine *e, emg_error *err)
{
    for (size_t c = 0; c < e->n_channels; c++) {
        e->ch[c].in = NULL;
        e->ch[c].n_in = 0;
        e->ch[c].flush = 1;
    }
    int rc = run_round(e, err);
    if (rc == 0)
        rc = deliver_outbox(e, err);
    if (rc == 0 && e->estimate)
        rc = replay_parked(e, err);
    return rc;
}

const char *emg_window_engine_skipped(const emg_window_engine *e, size_t channel)
{
    return channel < e->n_channels && e->ch[channel].skipped ? e->ch[channel].skip_reason : NULL;
}

void emg_window_engine_set_noise_rms(emg_window_engine *e, size_t channel, double noise_rms)
{
    if (channel < e->n_channels && noise_rms > 0) {
        e->ch[channel].noise_rms = noise_rms;
        e->ch[channel].noise_given = 1;
    }
}

double emg_window_engine_noise_rms(const emg_window_engine *e, size_t channel)
{
    return channel < e->n_channels ? e->ch[channel].noise_rms : NAN;
}

emg_gap_count emg_window_engine_gaps(const emg_window_engine *e, size_t channel)
{
    emg_gap_count none = EMG_GAP_COUNT_INIT;
    return channel < e->n_channels ? e->ch[channel].gaps : none;
}

/* With threads, the next block is read in the pool's rounds (round_tasks),
 * or on the reader's own thread when one channel group leaves no pool; not
 * when the caller has read already (read-ahead is only faster, so its
 * refusal is no error). */
int emg_window_engine_run(emg_window_engine *e, emg_reader *r, emg_error *err)
{
    const emg_block *blk;
    int rc;
    e->input = emgi_reader_path(r);
    emg_error unused;
    if (e->pool && emg_reader_prefetch_start(r, &unused) == 0)
        e->prefetch = r;
    else if (!e->pool && e->wopts.threads > 1)
        (void)emg_reader_read_ahead(r, &unused);
    while ((rc = emg_reader_read(r, &blk, err)) > 0) {
        rc = emg_window_engine_push(e, blk, err);
        if (rc < 0)
            break;
    }
    e->prefetch = NULL;
    if (rc < 0)
        return rc;
    return emg_window_engine_finish(e, err);
}

/* ---- the filter chain as a channel stage -------------------------------- */

#include "emgkit/filter.h"

/* The stage designs its cascade with the filter module (Butterworth band-pass
 * plus the notch comb, emg_sos_append) and runs it through one streaming
 * zero-phase filter (emg_filtfilt) or one causal filter (emg_iirfilt).
 * Automatic mains detection needs the filter chain's buffering stage, so
 * mains == 0 runs an emg_chain instead. */
typedef struct chain_stage {
    emg_chain *chain;       /* mains auto only */
    emg_filtfilt *zero;
    emg_iirfilt *causal;
    double *out;
    size_t cap;
} chain_stage;

static void chain_stage_destroy(void *state)
{
    chain_stage *s = state;
    if (!s)
        return;
    emg_chain_destroy(s->chain);
    emg_filtfilt_destroy(s->zero);
    emg_iirfilt_destroy(s->causal);
    free(s->out);
    free(s);
}

/* Band edges as emg_chain_add_default: 20-450 Hz, the top clipped to 0.9 Nyquist. */
static int design_cascade(emg_sos *sos, const emg_filter_stage_options *o, double fs,
                          size_t channel, emg_error *err)
{
    double nyq = fs / 2;
    double lo = o->band_low > 0 ? o->band_low : (o->band_high > 0 ? 0 : 20.0);
    double hi = o->band_high > 0 ? o->band_high : 450.0;
    hi = fmin(hi, 0.9 * nyq);
    emg_sos part = EMG_SOS_INIT;
    int rc = 0;
    if (lo > 0 && hi > lo && hi - lo >= 1e-3 * fs && hi >= 2 * lo)
        rc = emg_butter_design(&part, EMG_BAND_BANDPASS, 4, lo, hi, fs, err);
    else if (lo > 0 && lo < 0.9 * nyq)
        rc = emg_butter_design(&part, EMG_BAND_HIGHPASS, 4, lo, 0, fs, err);
    else if (lo <= 0 && hi > 0)
        rc = emg_butter_design(&part, EMG_BAND_LOWPASS, 4, hi, 0, fs, err);
    if (rc == 0 && part.n_sections)
        rc = emg_sos_append(sos, &part, err);
    emg_sos_free(&part);
    if (rc == 0 && o->mains > 0 && o->mains < nyq) {
        double top = hi > o->mains ? hi : o->mains * 1.5;
        rc = emg_notch_design(&part, o->mains, 30, o->notch_harmonics, top, fs, err);
        if (rc == 0)
            rc = emg_sos_append(sos, &part, err);
        emg_sos_free(&part);
    }
    if (rc < 0) {
        char msg[EMG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return emg_error_set(err, rc, "channel %zu at %g Hz: %s", channel + 1, fs, msg);
    }
    return 0;
}

static void *chain_stage_create(void *ctx, size_t channel, double fs, emg_error *err)
{
    const emg_filter_stage_options *o = ctx;
    chain_stage *s = emgi_xcalloc(1, sizeof *s, err);
    if (!s)
        return NULL;
    emg_phase phase = o->causal ? EMG_PHASE_CAUSAL : EMG_PHASE_ZERO;
    int rc;
    if (o->mains == 0) {
        rc = emg_chain_create(&s->chain, fs, err);
        if (rc == 0)
            rc = emg_chain_add_default(s->chain, 0, phase, err);
    } else {
        emg_sos sos = EMG_SOS_INIT;
        rc = design_cascade(&sos, o, fs, channel, err);
        if (rc == 0 && o->causal)
            rc = emg_iirfilt_create(&s->causal, &sos, err);
        else if (rc == 0)
            rc = emg_filtfilt_create(&s->zero, &sos, EMG_PADLEN_DEFAULT, err);
        emg_sos_free(&sos);
    }
    if (rc < 0) {
        chain_stage_destroy(s);
        return NULL;
    }
    return s;
}

/* The stage's output so far.  The zero-phase filter's is lent where it lies
 * (the engine copies it before the next call), the chain's is copied out. */
static int chain_stage_drain(chain_stage *s, const double **out, size_t *n_out, emg_error *err)
{
    if (!s->chain) {
        *out = emg_filtfilt_peek(s->zero, n_out);
        emg_filtfilt_consume(s->zero, *n_out);
        return 0;
    }
    size_t avail = emg_chain_available(s->chain);
    if (grow((void **)&s->out, &s->cap, avail ? avail : 1, sizeof(double), err) < 0)
        return EMG_ERR_NOMEM;
    *n_out = avail ? emg_chain_pull(s->chain, s->out, avail) : 0;
    *out = s->out;
    return 0;
}

static int chain_stage_process(void *state, const double *in, size_t n, const double **out,
                               size_t *n_out, emg_error *err)
{
    chain_stage *s = state;
    if (s->causal) {
        if (grow((void **)&s->out, &s->cap, n, sizeof(double), err) < 0)
            return EMG_ERR_NOMEM;
        emg_iirfilt_execute(s->causal, in, s->out, n);
        *out = s->out;
        *n_out = n;
        return 0;
    }
    int rc = s->chain ? emg_chain_push(s->chain, in, n, err) : emg_filtfilt_push(s->zero, in, n, err);
    if (rc < 0)
        return rc;
    return chain_stage_drain(s, out, n_out, err);
}

/* The states of a group run side by side when they are all zero-phase
 * cascades (emg_filtfilt_push_group checks they share one); otherwise one by
 * one. */
static int zero_phase_group(void *const *states, size_t k, emg_filtfilt **f)
{
    enum { MAX_GROUP = 4 };
    if (k > MAX_GROUP)
        return 0;
    for (size_t i = 0; i < k; i++) {
        const chain_stage *s = states[i];
        if (!s->zero || s->chain || s->causal)
            return 0;
        f[i] = s->zero;
    }
    return 1;
}

static int chain_stage_process_group(void *const *states, size_t k, const double *const *in,
                                     size_t n, const double **out, size_t *n_out, emg_error *err)
{
    emg_filtfilt *f[4] = {NULL, NULL, NULL, NULL};
    int rc = 0;
    if (zero_phase_group(states, k, f)) {
        if ((rc = emg_filtfilt_push_group(f, k, in, n, err)) < 0)
            return rc;
        for (size_t i = 0; i < k && rc == 0; i++)
            rc = chain_stage_drain(states[i], &out[i], &n_out[i], err);
        return rc;
    }
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = chain_stage_process(states[i], in[i], n, &out[i], &n_out[i], err);
    return rc;
}

static int chain_stage_flush(void *state, const double **out, size_t *n_out, emg_error *err);

static int chain_stage_flush_group(void *const *states, size_t k, const double **out,
                                   size_t *n_out, emg_error *err)
{
    emg_filtfilt *f[4] = {NULL, NULL, NULL, NULL};
    int rc = 0;
    if (zero_phase_group(states, k, f)) {
        if ((rc = emg_filtfilt_finish_group(f, k, err)) < 0)
            return rc;
        for (size_t i = 0; i < k && rc == 0; i++)
            rc = chain_stage_drain(states[i], &out[i], &n_out[i], err);
        return rc;
    }
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = chain_stage_flush(states[i], &out[i], &n_out[i], err);
    return rc;
}

static int chain_stage_flush(void *state, const double **out, size_t *n_out, emg_error *err)
{
    chain_stage *s = state;
    if (s->causal) {
        *n_out = 0;
        *out = s->out;
        return 0;
    }
    int rc = s->chain ? emg_chain_finish(s->chain, err) : emg_filtfilt_finish(s->zero, err);
    if (rc < 0)
        return rc;
    return chain_stage_drain(s, out, n_out, err);
}

void emg_channel_stage_filter(emg_channel_stage *stage, const emg_filter_stage_options *opts)
{
    stage->create = chain_stage_create;
    stage->process = chain_stage_process;
    stage->flush = chain_stage_flush;
    stage->destroy = chain_stage_destroy;
    stage->ctx = (void *)opts;
    stage->process_group = chain_stage_process_group;
    stage->flush_group = chain_stage_flush_group;
}
