/* cli_bids.c: emg-convert --to bids: recordings into a BIDS EMG dataset
 * (docs/formats/bids.md).  The entities of each recording come from the
 * options (one subject, session and task for all inputs; the subject by
 * default from each input's name) or from a sample sheet (one row per
 * recording: file subject session task run events); recordings that share
 * subject, session and task are numbered as runs in input order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_bids.h"

typedef struct bids_job {
    const char *path;
    emg_bids_entities e;
    const char *events; /* event table, or NULL */
    char *owned[2];     /* path and events when copied from a sample sheet */
} bids_job;

static void copy_label(char *dst, size_t n, const char *value, const char *what, const char *where)
{
    if (!value || !value[0] || !strcmp(value, "n/a")) {
        dst[0] = '\0';
        return;
    }
    if (!emg_bids_label_valid(value) && where[0])
        cli_usage_error("%sBIDS %s label '%s' must be letters and digits only", where, what,
                        value);
    if (!emg_bids_label_valid(value))
        cli_usage_error("--%s: BIDS label '%s' must be letters and digits only", what, value);
    snprintf(dst, n, "%s", value);
}

/* The subject label of an input named without one: the letters and digits of
 * its file name without the extension. */
static void subject_from_path(const char *path, char *out, size_t n)
{
    char name[4096];
    const char *slash = strrchr(path, '/');
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    emg_bids_label_from(name, out, n);
    if (!out[0])
        cli_usage_error("%s: no letters or digits in the name to make a BIDS subject label of; "
                        "give --subject or a sample sheet", path);
}

static const char *cell(const emg_table *t, size_t row, const char *column)
{
    int c = emg_table_column(t, column);
    const char *v = c >= 0 ? emg_table_cell(t, row, c) : "";
    return strcmp(v, "n/a") ? v : "";
}

static bids_job *jobs_from_sheet(const cli_bids_settings *s, size_t *n)
{
    emg_table t;
    emg_error err;
    emg_table_init(&t);
    cli_register_input(s->sample_sheet);
    if (emg_table_read(&t, s->sample_sheet, &err) < 0)
        cli_fail(&err);
    if (emg_table_column(&t, "file") < 0)
        cli_die(CLI_EXIT_FORMAT, "%s: a sample sheet needs a 'file' column (and subject, "
                "session, task, run, events as needed)", s->sample_sheet);
    bids_job *jobs = calloc(t.n_rows + 1, sizeof *jobs);
    if (!jobs)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t row = 0; row < t.n_rows; row++) {
        bids_job *j = &jobs[row];
        char where[4200];
        snprintf(where, sizeof where, "%s:%zu: ", s->sample_sheet, emg_table_line(&t, row));
        const char *file = cell(&t, row, "file");
        if (!file[0])
            cli_die(CLI_EXIT_FORMAT, "%sno file", where);
        j->path = j->owned[0] = cli_sheet_path(s->sample_sheet, file);
        cli_register_input(j->path);
        copy_label(j->e.subject, sizeof j->e.subject, cell(&t, row, "subject"), "subject", where);
        if (!j->e.subject[0])
            subject_from_path(j->path, j->e.subject, sizeof j->e.subject);
        copy_label(j->e.session, sizeof j->e.session,
                   cell(&t, row, "session")[0] ? cell(&t, row, "session") : s->session,
                   "session", where);
        copy_label(j->e.task, sizeof j->e.task,
                   cell(&t, row, "task")[0] ? cell(&t, row, "task") : s->task, "task", where);
        snprintf(j->e.run, sizeof j->e.run, "%s", cell(&t, row, "run"));
        const char *events = cell(&t, row, "events");
        if (events[0]) {
            j->events = j->owned[1] = cli_sheet_path(s->sample_sheet, events);
            cli_register_input(j->events);
        }
    }
    *n = t.n_rows;
    emg_table_free(&t);
    return jobs;
}

static bids_job *jobs_from_arguments(int argc, char **argv, int first,
                                     const cli_bids_settings *s, size_t *n)
{
    const char *const *paths;
    *n = cli_collect_inputs(argc, argv, first, &paths);
    if (s->events && *n > 1)
        cli_usage_error("--events names the event table of one recording; for several, give "
                        "a sample sheet with an events column");
    bids_job *jobs = calloc(*n + 1, sizeof *jobs);
    if (!jobs)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        bids_job *j = &jobs[i];
        j->path = paths[i];
        copy_label(j->e.subject, sizeof j->e.subject, s->subject, "subject", "");
        if (!j->e.subject[0])
            subject_from_path(j->path, j->e.subject, sizeof j->e.subject);
        copy_label(j->e.session, sizeof j->e.session, s->session, "session", "");
        copy_label(j->e.task, sizeof j->e.task, s->task, "task", "");
        snprintf(j->e.run, sizeof j->e.run, "%s", s->run ? s->run : "");
        j->events = s->events;
    }
    if (s->events)
        cli_register_input(s->events);
    return jobs;
}

static int same_recording(const emg_bids_entities *a, const emg_bids_entities *b)
{
    return !strcmp(a->subject, b->subject) && !strcmp(a->session, b->session) &&
           !strcmp(a->task, b->task);
}

/* Recordings that share subject, session and task and have no run get runs
 * 1, 2, ... in input order; two that would still share a name are refused. */
static void number_runs(bids_job *jobs, size_t n)
{
    size_t *run = calloc(n + 1, sizeof *run); /* decided before any is assigned */
    if (!run)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].e.task[0])
            cli_usage_error("%s: --to bids needs a task (--task NAME, or a task column in the "
                            "sample sheet): BIDS names every EMG recording's task",
                            jobs[i].path);
        if (jobs[i].e.run[0])
            continue;
        size_t shared = 0, index = 0;
        for (size_t k = 0; k < n; k++)
            if (same_recording(&jobs[i].e, &jobs[k].e) && !jobs[k].e.run[0]) {
                shared++;
                if (k < i)
                    index++;
            }
        run[i] = shared > 1 ? index + 1 : 0;
    }
    for (size_t i = 0; i < n; i++)
        if (run[i])
            snprintf(jobs[i].e.run, sizeof jobs[i].e.run, "%u", (unsigned)run[i]);
    free(run);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (same_recording(&jobs[i].e, &jobs[k].e) && !strcmp(jobs[i].e.run, jobs[k].e.run))
                cli_usage_error("%s and %s would both be sub-%s task-%s run-%s; give them "
                                "different runs", jobs[k].path, jobs[i].path, jobs[i].e.subject,
                                jobs[i].e.task, jobs[i].e.run[0] ? jobs[i].e.run : "(none)");
}

/* Export one recording; 0, or the exit code of its failure (told on stderr). */
static int export_one(const bids_job *j, const char *root, const cli_input *in,
                      emg_bids_export_options *o)
{
    emg_error err;
    char data_path[4096];
    if (emg_bids_data_path(data_path, sizeof data_path, root, &j->e, o->data_format, &err) < 0)
        cli_usage_error("%s: %s", j->path, err.message);
    cli_refuse_output_over_input(data_path, o->data_format);
    emg_reader *r;
    int rc = cli_try_open_input(&r, j->path, in, &err);
    o->events_table = j->events;
    cli_report_write_notes(&o->write, data_path);
    if (rc >= 0) {
        rc = emg_bids_export(r, root, &j->e, o, data_path, sizeof data_path, &err);
        emg_reader_close(r);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", cli_prog(), err.message);
        return cli_exit_code(err.status);
    }
    if (cli_verbose())
        fprintf(stderr, "%s: %s -> %s\n", cli_prog(), j->path, data_path);
    return CLI_EXIT_OK;
}

int cli_convert_to_bids(int argc, char **argv, int first, const cli_bids_settings *s,
                        const cli_input *in, const emg_write_options *wopts)
{
    const char *root = cli_output_path();
    if (!root || !strcmp(root, "-"))
        cli_usage_error("--to bids writes a dataset folder: name it with -o ROOT");
    if (s->sample_sheet && first < argc)
        cli_usage_error("give the recordings either as arguments or in --sample-sheet, not both");
    size_t n;
    bids_job *jobs = s->sample_sheet ? jobs_from_sheet(s, &n)
                                     : jobs_from_arguments(argc, argv, first, s, &n);
    if (n == 0)
        cli_usage_error("%s: no recordings", s->sample_sheet ? s->sample_sheet : "arguments");
    number_runs(jobs, n);
    emg_bids_export_options o = EMG_BIDS_EXPORT_OPTIONS_INIT;
    o.data_format = s->data_format;
    o.power_line_hz = s->power_line_hz;
    o.write = *wopts;
    const char **subjects = calloc(n, sizeof *subjects);
    if (!subjects)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    size_t done = 0;
    int code = CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        int rc = export_one(&jobs[i], root, in, &o);
        if (rc == CLI_EXIT_OK)
            subjects[done++] = jobs[i].e.subject;
        else if (rc > code)
            code = rc;
    }
    emg_error err;
    if (done > 0 && emg_bids_export_dataset(root, subjects, done, &err) < 0)
        cli_fail(&err);
    free(subjects);
    for (size_t i = 0; i < n; i++) {
        free(jobs[i].owned[0]);
        free(jobs[i].owned[1]);
    }
    free(jobs);
    return code;
}
