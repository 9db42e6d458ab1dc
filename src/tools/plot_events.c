/* plot_events.c: the events a figure shows, from an event table
 * (docs/event-tables.md: emg-label, emg-detect, emg-synth's ground truth) or
 * from the recording's own annotations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot.h"

/* Whether a table's file cell names recording: the same text or the same file. */
static int same_recording(const char *cell, const char *recording)
{
    struct stat a, b;
    if (!strcmp(cell, recording))
        return 1;
    return stat(cell, &a) == 0 && stat(recording, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static void copy_cell(char *out, size_t n, const emg_table *t, size_t row, int col)
{
    const char *s = col >= 0 ? emg_table_cell(t, row, col) : "";
    snprintf(out, n, "%s", strcmp(s, "n/a") ? s : "");
}

static void from_table(plot_events *out, const char *path, const char *recording)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    if (emg_table_read(&t, path, &err) < 0)
        cli_fail(&err);
    int c_on = emg_table_column(&t, "onset"), c_du = emg_table_column(&t, "duration");
    int c_label = emg_table_column(&t, "label"), c_file = emg_table_column(&t, "file");
    if (c_label < 0)
        c_label = emg_table_column(&t, "trial_type"); /* BIDS events.tsv */
    if (c_on < 0 || c_du < 0)
        cli_die(CLI_EXIT_FORMAT, "%s: needs 'onset' and 'duration' columns", path);
    int c_ch = emg_table_column(&t, "channel"), c_conf = emg_table_column(&t, "confidence");
    int c_rule = emg_table_column(&t, "rule");
    out->ev = calloc(t.n_rows ? t.n_rows : 1, sizeof *out->ev);
    if (!out->ev)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t r = 0; r < t.n_rows; r++) {
        if (recording && c_file >= 0 && !same_recording(emg_table_cell(&t, r, c_file), recording))
            continue;
        plot_event *e = &out->ev[out->n];
        if (emg_table_event_span(&t, r, c_on, c_du, path, &e->onset, &e->duration, &err) < 0)
            cli_fail(&err);
        copy_cell(e->channel, sizeof e->channel, &t, r, c_ch);
        copy_cell(e->label, sizeof e->label, &t, r, c_label);
        copy_cell(e->rule, sizeof e->rule, &t, r, c_rule);
        e->confidence = c_conf >= 0 ? emg_table_num(&t, r, c_conf) : NAN;
        out->n++;
    }
    emg_table_free(&t);
}

static void from_annotations(plot_events *out, const emg_header *h)
{
    out->ev = calloc(h->n_annotations ? h->n_annotations : 1, sizeof *out->ev);
    if (!out->ev)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < h->n_annotations; i++) {
        const emg_annotation *a = &h->annotations[i];
        plot_event *e = &out->ev[out->n++];
        e->onset = a->onset;
        e->duration = a->duration;
        e->confidence = NAN;
        if (a->channel >= 0 && (size_t)a->channel < h->n_channels)
            snprintf(e->channel, sizeof e->channel, "%s", h->channels[a->channel].name);
        snprintf(e->label, sizeof e->label, "%s", a->text ? a->text : "");
    }
}

void plot_events_load(plot_events *out, const char *path, const char *recording,
                      const emg_header *h)
{
    out->n = 0;
    out->ev = NULL;
    if (path)
        from_table(out, path, recording);
    else if (h)
        from_annotations(out, h);
}

void plot_request_events(plot_events *out, const plot_request *r, const emg_header *h)
{
    if (!r->given_events) {
        plot_events_load(out, r->events, r->inputs[0], r->events ? NULL : h);
        return;
    }
    out->n = r->given_events->n;
    out->ev = malloc((out->n ? out->n : 1) * sizeof *out->ev);
    if (!out->ev)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    memcpy(out->ev, r->given_events->ev, out->n * sizeof *out->ev);
}

void plot_events_free(plot_events *e)
{
    free(e->ev);
    e->ev = NULL;
    e->n = 0;
}

int plot_event_on_channel(const plot_event *e, const char *name, size_t c)
{
    char index[32];
    snprintf(index, sizeof index, "%zu", c + 1);
    return !e->channel[0] || !strcmp(e->channel, name) || !strcmp(e->channel, index);
}
