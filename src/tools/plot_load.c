/* plot_load.c: a recording in memory for the figures that need random
 * access (spectrogram, gallery), filtered as emg-filter's default chain
 * when asked (--filter), so that a figure shows what the analyses see. */
#include <stdlib.h>
#include <string.h>

#include "emgkit/features.h"
#include "plot.h"

/* Run the filter stage over one channel's samples in place. */
static void filter_channel(emg_channel_stage *stage, size_t c, double fs, double *x, size_t n)
{
    emg_error err;
    void *state = stage->create(stage->ctx, c, fs, &err);
    if (!state)
        cli_fail(&err);
    size_t done = 0;
    const double *out;
    size_t n_out;
    if (stage->process(state, x, n, &out, &n_out, &err) < 0)
        cli_fail(&err);
    /* Zero-phase stages release nothing before flush; causal ones may. */
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    memcpy(copy, out, n_out * sizeof *out);
    done = n_out;
    if (stage->flush(state, &out, &n_out, &err) < 0)
        cli_fail(&err);
    if (done + n_out > n)
        n_out = n - done;
    memcpy(copy + done, out, n_out * sizeof *out);
    done += n_out;
    memcpy(x, copy, done * sizeof *x);
    free(copy);
    stage->destroy(state);
}

void plot_load_recording(emg_recording *rec, const plot_request *r)
{
    cli_load_input(rec, r->inputs[0], &r->in);
    if (!r->a.filter_on)
        return;
    emg_channel_stage stage;
    emg_channel_stage_filter(&stage, &r->a.filter);
    for (size_t c = 0; c < rec->header.n_channels; c++) {
        const emg_channel *ch = &rec->header.channels[c];
        filter_channel(&stage, c, ch->fs, rec->data[c], (size_t)ch->n_samples);
    }
}
