/* cli_batch.c: many inputs, one table (docs/batch.md).
 *
 * The inputs of an analysis tool are collected once (positional arguments and
 * --inputs lists), each recording once however it is spelled, and remembered
 * so that no output is ever written over one of them.  A run over several
 * inputs forks one child per input (up to -j at once): the child runs the
 * same code as a one-input run, with its table rows and its messages going
 * to anonymous memory files, so that a bad input ends only its own child
 * (one error line, no rows), rows are appended in input order, and a warning
 * repeated for many files is printed once with a count. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

/* ---- inputs and their identities ---- */

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

static struct {
    const char **paths;  /* the inputs, in order, each recording once */
    file_id *recordings; /* their identities (recording_id), {0, 0} when unknown */
    size_t n, cap, cap_recordings;
    file_id *ids;        /* every file of every registered input */
    size_t n_ids, cap_ids;
} inputs;

static void *grow_or_die(void *array, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return array;
    size_t cap2 = *cap ? 2 * *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(array, cap2 * size);
    if (!p)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    *cap = cap2;
    return p;
}

static int id_of(const char *path, file_id *id)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return 0;
}

static int known_id(const file_id *id)
{
    for (size_t i = 0; i < inputs.n_ids; i++)
        if (inputs.ids[i].dev == id->dev && inputs.ids[i].ino == id->ino)
            return 1;
    return 0;
}

/* The files that make up the recording at path (a WFDB record's header and
 * signal files; the path itself otherwise); NULL when none can be named. */
static char **recording_files(const char *path, emg_format format, size_t *n)
{
    char **files;
    emg_error err;
    if (emg_input_files(path, format, &files, n, &err) < 0)
        return NULL;
    return files;
}

static void remember_id(const char *path)
{
    file_id id;
    if (id_of(path, &id) == 0 && !known_id(&id)) {
        inputs.ids = grow_or_die(inputs.ids, &inputs.cap_ids, inputs.n_ids + 1,
                                 sizeof *inputs.ids);
        inputs.ids[inputs.n_ids++] = id;
    }
}

void cli_register_input(const char *path)
{
    if (!strcmp(path, "-"))
        return;
    remember_id(path); /* also a file that is no recording (a table, a scenario) */
    size_t n = 0;
    char **files = recording_files(path, EMG_FORMAT_AUTO, &n);
    for (size_t i = 0; i < n; i++)
        remember_id(files[i]);
    if (files)
        emg_files_free(files, n);
}

void cli_refuse_output_over_input(const char *out_path, emg_format format)
{
    char **written;
    size_t n;
    emg_error err;
    if (emg_output_files(out_path, format, &written, &n, &err) < 0)
        cli_fail(&err);
    for (size_t i = 0; i < n; i++) {
        file_id id;
        if (id_of(written[i], &id) == 0 && known_id(&id))
            cli_usage_error("%s: would write over the input %s; choose another output name",
                            out_path, written[i]);
    }
    emg_files_free(written, n);
}

/* The identity of the recording at path: its first file (a WFDB record's
 * header, whichever of its files or its record name was given). */
static int recording_id(const char *path, file_id *id)
{
    size_t n = 0;
    char **files = recording_files(path, EMG_FORMAT_AUTO, &n);
    int rc = n ? id_of(files[0], id) : id_of(path, id);
    if (files)
        emg_files_free(files, n);
    return rc;
}

static int add_input(const char *path);

/* A BIDS dataset root stands for its recordings, in path order. */
static void add_dataset(const char *root)
{
    char **paths;
    size_t n;
    emg_error err;
    if (emg_bids_recordings(root, &paths, &n, &err) < 0)
        cli_fail(&err);
    for (size_t i = 0; i < n; i++)
        if (add_input(paths[i]))
            paths[i] = NULL; /* kept until exit, like argv */
    emg_files_free(paths, n);
}

/* Take path as an input; 0 when it names a recording taken already (or a
 * dataset, whose recordings are taken instead). */
static int add_input(const char *path)
{
    if (strcmp(path, "-") && emg_bids_is_dataset(path)) {
        add_dataset(path);
        return 0;
    }
    file_id id = {0, 0};
    int known = strcmp(path, "-") != 0 && recording_id(path, &id) == 0;
    for (size_t i = 0; i < inputs.n; i++) {
        const file_id *other = &inputs.recordings[i];
        if (known && other->dev == id.dev && other->ino == id.ino) {
            if (cli_verbose())
                fprintf(stderr, "%s: %s: the same recording as %s: taken once\n", cli_prog(),
                        path, inputs.paths[i]);
            return 0;
        }
        if (!strcmp(path, "-") && !strcmp(inputs.paths[i], "-"))
            cli_usage_error("standard input ('-') is named twice");
    }
    inputs.paths = grow_or_die(inputs.paths, &inputs.cap, inputs.n + 1, sizeof *inputs.paths);
    inputs.recordings = grow_or_die(inputs.recordings, &inputs.cap_recordings, inputs.n + 1,
                                    sizeof *inputs.recordings);
    inputs.recordings[inputs.n] = id; /* an unreadable one: the tool will say why */
    inputs.paths[inputs.n++] = path;
    cli_register_input(path);
    return 1;
}

/* One path per line; blank lines are skipped, a trailing CR is dropped. */
static void add_listed_inputs(const char *list_path)
{
    FILE *f = strcmp(list_path, "-") ? fopen(list_path, "r") : stdin;
    if (!f)
        cli_die(CLI_EXIT_INPUT, "%s: %s", list_path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char *path = strdup(line);
        if (!path)
            cli_die(CLI_EXIT_INTERNAL, "out of memory");
        if (!add_input(path))
            free(path); /* else kept until exit, like argv */
    }
    int failed = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (failed)
        cli_die(CLI_EXIT_INPUT, "%s: read error", list_path);
}

size_t cli_collect_inputs(int argc, char **argv, int first, const char *const **paths)
{
    for (int i = first; i < argc; i++)
        add_input(argv[i]);
    if (cli_inputs_list()) {
        if (!strcmp(cli_inputs_list(), "-"))
            for (size_t i = 0; i < inputs.n; i++)
                if (!strcmp(inputs.paths[i], "-"))
                    cli_usage_error("--inputs - and input '-' both want standard input");
        add_listed_inputs(cli_inputs_list());
    }
    if (inputs.n == 0)
        cli_usage_error("missing INPUT");
    cli_collapse_warnings(inputs.n > 1);
    *paths = inputs.paths;
    return inputs.n;
}

const char *cli_hdf5_table_output(size_t n_inputs)
{
    const char *out = cli_output_path();
    emg_format format;
    emg_error err;
    if (!out || emg_format_from_path(out, &format, &err) < 0 || format != EMG_FORMAT_HDF5)
        return NULL;
    if (n_inputs > 1)
        cli_usage_error("-o %s: an HDF5 table holds one input; for several, write TSV", out);
    cli_refuse_output_over_input(out, EMG_FORMAT_HDF5);
    return out;
}

/* ---- messages of the children ---- */

/* The text of line when it is a warning about path, else NULL. */
static const char *warning_text(const char *line, const char *path)
{
    size_t plen = strlen(cli_prog());
    if (strncmp(line, cli_prog(), plen) || strncmp(line + plen, ": warning: ", 11))
        return NULL;
    const char *p = line + plen + 11;
    size_t len = strlen(path);
    if (strncmp(p, path, len) || strncmp(p + len, ": ", 2))
        return NULL;
    return p + len + 2;
}

/* Print a child's line, unless it is a warning printed already for another
 * file (then it is counted). */
static void relay_line(const char *line, const char *path)
{
    const char *text = warning_text(line, path);
    if (text) {
        char key[2048];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(text, "\n"), text);
        if (cli_repeated_warning(key))
            return;
    }
    fputs(line, stderr);
}

/* "prog: 12/200 inputs" on a terminal, after two seconds; nothing when
 * standard error is a file or pipe (a batch log). */
static int progress_shown;

static void show_progress(size_t done, size_t n, time_t started)
{
    if (cli_quiet() || !isatty(STDERR_FILENO) || time(NULL) - started < 2)
        return;
    fprintf(stderr, "\r%s: %zu/%zu inputs", cli_prog(), done, n);
    progress_shown = 1;
}

static void clear_progress(void)
{
    if (progress_shown)
        fputs("\r\033[K", stderr);
    progress_shown = 0;
}

/* ---- child processes ---- */

typedef struct child {
    pid_t pid;
    int rows, log; /* memory files: the table, the messages */
    const char *path;
} child;

static int memory_file(const char *name)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        cli_die(CLI_EXIT_INTERNAL, "cannot create a memory file: %s", strerror(errno));
    return fd;
}

/* In the child: the job on one input, with standard output and error going
 * to the memory files; exits like a one-input run. */
static void run_child(const child *c, cli_table_job job, void *ctx)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive an interrupted batch */
    cli_forget_outputs();             /* the parent's output is not ours to remove */
    cli_collapse_warnings(0);         /* one input here: the parent counts repeats */
    if (dup2(c->rows, STDOUT_FILENO) < 0 || dup2(c->log, STDERR_FILENO) < 0)
        _exit(CLI_EXIT_INTERNAL);
    job(ctx, c->path, stdout);
    cli_finish_stdout();
    exit(CLI_EXIT_OK);
}

static void start_child(child *c, const char *path, cli_table_job job, void *ctx)
{
    c->path = path;
    c->rows = memory_file("emgkit-rows");
    c->log = memory_file("emgkit-log");
    fflush(NULL); /* nothing buffered may be written twice */
    c->pid = fork();
    if (c->pid < 0)
        cli_die(CLI_EXIT_INTERNAL, "cannot start a process: %s", strerror(errno));
    if (c->pid == 0)
        run_child(c, job, ctx);
}

/* Copy the child's rows to out: all of them for the first table, without the
 * header line after that.  0, or -1 when its header differs from the first. */
static int append_rows(FILE *rows, FILE *out, char **first_header)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, rows);
    int rc = 0;
    if (len > 0) {
        if (!*first_header) {
            *first_header = strdup(line);
            fputs(line, out);
        } else if (strcmp(*first_header, line) != 0) {
            rc = -1;
        }
    }
    while (rc == 0 && (len = getline(&line, &cap, rows)) > 0)
        fwrite(line, 1, (size_t)len, out);
    free(line);
    return rc;
}

static void relay_log(int fd, const char *path)
{
    FILE *log = fdopen(fd, "r");
    if (!log)
        return;
    rewind(log);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, log) > 0) {
        clear_progress();
        relay_line(line, path);
    }
    free(line);
    fclose(log);
}

/* The exit code of a finished child, saying why when it died of a signal. */
static int child_exit_code(int status, const char *path)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "%s: %s: internal error: the analysis ended with signal %d (%s)\n",
            cli_prog(), path, WTERMSIG(status), strsignal(WTERMSIG(status)));
    return CLI_EXIT_INTERNAL;
}

/* Wait for c, then relay its messages and append its rows to out. */
static int finish_child(child *c, FILE *out, char **first_header)
{
    int status;
    while (waitpid(c->pid, &status, 0) < 0)
        if (errno != EINTR)
            cli_die(CLI_EXIT_INTERNAL, "waitpid: %s", strerror(errno));
    relay_log(c->log, c->path);
    int code = child_exit_code(status, c->path);
    FILE *rows = fdopen(c->rows, "r");
    if (!rows)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    rewind(rows);
    if (code == CLI_EXIT_OK && append_rows(rows, out, first_header) < 0) {
        fprintf(stderr, "%s: %s: its table has other columns than the first input's: left out\n",
                cli_prog(), c->path);
        code = CLI_EXIT_USAGE;
    }
    fclose(rows);
    return code;
}

static int run_children(const char *const *paths, size_t n, cli_table_job job, void *ctx,
                        FILE *out, int *any_table)
{
    size_t slots = (size_t)cli_jobs();
    child *running = calloc(slots, sizeof *running);
    char *first_header = NULL;
    int worst = CLI_EXIT_OK;
    time_t started = time(NULL);
    if (!running)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    /* Child i lives in slot i % slots; the oldest is always finished first,
     * so rows come out in input order. */
    for (size_t next = 0, done = 0; done < n; done++) {
        for (; next < n && next < done + slots; next++)
            start_child(&running[next % slots], paths[next], job, ctx);
        int code = finish_child(&running[done % slots], out, &first_header);
        if (code > worst)
            worst = code;
        show_progress(done + 1, n, started);
    }
    clear_progress();
    cli_report_repeated_warnings();
    *any_table = first_header != NULL;
    free(first_header);
    free(running);
    return worst;
}

int cli_run_table_jobs_into(const char *const *paths, size_t n, cli_table_job job, void *ctx,
                            FILE *out, int *any_table)
{
    if (n == 1) {
        job(ctx, paths[0], out);
        *any_table = 1;
        return CLI_EXIT_OK;
    }
    return run_children(paths, n, job, ctx, out, any_table);
}

int cli_run_table_jobs(const char *const *paths, size_t n, cli_table_job job, void *ctx)
{
    const char *out_path = cli_output_path() ? cli_output_path() : "-";
    FILE *out = cli_open_text_output(out_path);
    int any_table;
    int worst = cli_run_table_jobs_into(paths, n, job, ctx, out, &any_table);
    if (any_table)
        cli_close_text_output(out);
    else
        cli_abandon_outputs(); /* no input gave a table: leave no file */
    return worst;
}

char *cli_sheet_path(const char *sheet, const char *cell)
{
    char *copy = strdup(sheet);
    size_t n = strlen(sheet) + strlen(cell) + 2;
    char *p = malloc(n);
    if (!copy || !p)
        cli_die(CLI_EXIT_INTERNAL, "out of memory");
    const char *dir = dirname(copy);
    if (cell[0] == '/' || !strcmp(dir, "."))
        snprintf(p, n, "%s", cell);
    else
        snprintf(p, n, "%s/%s", dir, cell);
    free(copy);
    return p;
}
