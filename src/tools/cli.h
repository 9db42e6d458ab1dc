/* cli.h: what every emgkit tool shares: exit codes, messages, the common
 * input options (-c -f -t --fs --scale --unit --resample --format), output
 * opening, and provenance.  Only tools include this; the library never prints.
 *
 * Exit codes (docs/exit-codes.md):
 *   0 success; 1 usage error; 2 input cannot be opened or read;
 *   3 input corrupt, truncated, inconsistent or of an unsupported format;
 *   4 output cannot be written; 5 out of memory or internal error. */
#ifndef EMGKIT_CLI_H
#define EMGKIT_CLI_H

#include <getopt.h>
#include <stdio.h>
#include "emgkit/emgkit.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,
    CLI_EXIT_INPUT = 2,
    CLI_EXIT_FORMAT = 3,
    CLI_EXIT_OUTPUT = 4,
    CLI_EXIT_INTERNAL = 5
};

/* Remember the program name, its --help text and the command line (for
 * messages and provenance). */
void cli_init(const char *prog, int argc, char **argv, void (*usage)(FILE *out));
/* The --help text cli_getopt prints (set by cli_init). */
void cli_set_usage(void (*usage)(FILE *out));
const char *cli_prog(void);
/* The command line as one shell-quoted string, e.g. "emg-convert a.hea -". */
const char *cli_command_line(void);

/* Exit code for a library status. */
int cli_exit_code(emg_status status);
/* "prog: message" on stderr, then exit with the code for err->status. */
void cli_fail(const emg_error *err) __attribute__((noreturn));
/* "prog: message (try 'prog --help')" on stderr, one line, exit 1. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "prog: message" on stderr, exit with code. */
void cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "prog: warning: FILE: message" on stderr (FILE NULL: "prog: warning: message");
 * nothing with -q. */
void cli_warn(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Several inputs in this process (emg-info, the batch parent): a warning
 * whose text was printed for one file is then only counted; on by
 * cli_collect_inputs for more than one input, never with -v. */
void cli_collapse_warnings(int on);
/* 1 when text was printed already for another file (it is counted), 0 the
 * first time (it is remembered) or when not collapsing. */
int cli_repeated_warning(const char *text);
/* One line "the same for N more files: TEXT" per counted warning. */
void cli_report_repeated_warnings(void);
/* The one warning for a channel's non-finite samples (gaps), naming the file
 * and channel; nothing when it had none. */
void cli_warn_gaps(const char *path, const emg_gap_count *gaps, const char *channel, double fs);
/* The gaps of every channel of a stream, counted block by block, for tools
 * that pass samples on (emg-convert, emg-filter, emg-spectrum). */
typedef struct cli_gap_tracker {
    size_t n_channels;
    emg_gap_count *gaps;
    long long *samples; /* samples seen per channel */
} cli_gap_tracker;
void cli_gaps_init(cli_gap_tracker *t, size_t n_channels);
void cli_gaps_add(cli_gap_tracker *t, const emg_block *b);
/* Warn for each channel with gaps (cli_warn_gaps), then free. */
void cli_gaps_report(cli_gap_tracker *t, const char *path, const emg_header *h);
/* Print the writer's notes (what the output format could not hold exactly)
 * as warnings naming out_path. */
void cli_report_write_notes(emg_write_options *o, const char *out_path);

/* Strict number parsing for option values; usage error naming the option on failure. */
double cli_parse_double(const char *option, const char *value);
long cli_parse_long(const char *option, const char *value, long min, long max);
/* A pair "A:B" of numbers (bands LO:HI, ranges FROM:TO, Welch SEG:OVERLAP);
 * usage error naming the option when value is not one.  Callers check the order. */
void cli_parse_pair(const char *option, const char *value, double *first, double *second);

/* --mains 50|60|auto|none, the one spelling of every tool: the frequency in
 * Hz, 0 for auto (detected per channel), -1 for none. */
double cli_parse_mains(const char *arg);

/* The input options every tool that reads a recording accepts. */
typedef struct cli_input {
    const char *channels;   /* -c/--channels spec, NULL = all */
    double from;            /* -f/--from seconds */
    double to;              /* -t/--to-time seconds, < 0 = end */
    emg_read_options read;  /* --fs --scale --unit --resample --format */
} cli_input;
void cli_input_init(cli_input *in);

/* getopt_long entries for the input options; splice into a tool's table with
 * CLI_INPUT_LONG_OPTIONS and add CLI_INPUT_SHORT_OPTIONS to its optstring. */
enum { CLI_OPT_FS = 1000, CLI_OPT_SCALE, CLI_OPT_UNIT, CLI_OPT_RESAMPLE, CLI_OPT_FORMAT,
       CLI_OPT_TOOL_BASE = 1100 };
#define CLI_INPUT_SHORT_OPTIONS "c:f:t:"
#define CLI_INPUT_LONG_OPTIONS                                   \
    {"channels", required_argument, NULL, 'c'},                  \
    {"from", required_argument, NULL, 'f'},                      \
    {"to-time", required_argument, NULL, 't'},                   \
    {"fs", required_argument, NULL, CLI_OPT_FS},                 \
    {"scale", required_argument, NULL, CLI_OPT_SCALE},           \
    {"unit", required_argument, NULL, CLI_OPT_UNIT},             \
    {"resample", no_argument, NULL, CLI_OPT_RESAMPLE},           \
    {"format", required_argument, NULL, CLI_OPT_FORMAT}
/* Handle one option; 1 if it was an input option, 0 if not. */
int cli_input_option(cli_input *in, int opt, const char *arg);
/* Help text for the input options (same layout in every tool). */
void cli_input_help(FILE *out);

/* For analyses that only make sense on EMG (fatigue trends): when no -c was
 * given, keep the channels whose unit is a voltage or unknown, and name the
 * others (force in N or %MVC, acceleration in g...) in a warning.  Call after
 * opening, before reading. */
void cli_keep_emg_channels(emg_reader *r, const char *path, const cli_input *in);
/* Open path ("-" = stdin) with the input options applied (selection, range);
 * prints the reader's notes as warnings; exits with a clear message on error. */
emg_reader *cli_open_input(const char *path, const cli_input *in);
/* Same, but returns a status instead of exiting (for tools that go on to the next file). */
int cli_try_open_input(emg_reader **out, const char *path, const cli_input *in, emg_error *err);
/* Same, loading the whole recording into memory (selection and range applied). */
void cli_load_input(emg_recording *rec, const char *path, const cli_input *in);

/* The options every tool shares (docs/options.md), parsed by cli_getopt:
 *   base:      -h/--help -V/--version -q/--quiet -v/--verbose   (every tool)
 *   output:    -o/--output FILE                                  (every tool that writes)
 *   batch:     --inputs LIST -j/--jobs N                         (tools taking INPUT...)
 *   precision: --precision N                                     (every table writer) */
enum { CLI_OPT_INPUTS = 990, CLI_OPT_PRECISION };
#define CLI_BASE_SHORT_OPTIONS "hVqv"
#define CLI_BASE_LONG_OPTIONS                                    \
    {"help", no_argument, NULL, 'h'},                            \
    {"version", no_argument, NULL, 'V'},                         \
    {"quiet", no_argument, NULL, 'q'},                           \
    {"verbose", no_argument, NULL, 'v'}
#define CLI_OUTPUT_SHORT_OPTIONS "o:"
#define CLI_OUTPUT_LONG_OPTIONS {"output", required_argument, NULL, 'o'}
#define CLI_BATCH_SHORT_OPTIONS "j:"
#define CLI_BATCH_LONG_OPTIONS                                   \
    {"inputs", required_argument, NULL, CLI_OPT_INPUTS},         \
    {"jobs", required_argument, NULL, 'j'}
#define CLI_PRECISION_LONG_OPTIONS {"precision", required_argument, NULL, CLI_OPT_PRECISION}
/* Every set an analysis tool (INPUT... into one table) takes, input options included. */
#define CLI_ANALYSIS_SHORT_OPTIONS                                                     \
    CLI_BASE_SHORT_OPTIONS CLI_OUTPUT_SHORT_OPTIONS CLI_BATCH_SHORT_OPTIONS CLI_INPUT_SHORT_OPTIONS
#define CLI_ANALYSIS_LONG_OPTIONS                                                      \
    CLI_BASE_LONG_OPTIONS, CLI_OUTPUT_LONG_OPTIONS, CLI_BATCH_LONG_OPTIONS,            \
    CLI_PRECISION_LONG_OPTIONS, CLI_INPUT_LONG_OPTIONS

/* getopt_long for every tool: handles the shared options itself (help and
 * version print and exit 0) and returns the tool's own ones.  Long options
 * match only when spelled in full (no abbreviations: --to is never
 * --to-time); an unknown option or a missing value is one line and exit 1.
 * Returns -1 at the end of the options, like getopt_long. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Values of the shared options (defaults: not quiet, not verbose, output
 * NULL = none given, 1 job, precision 0 = not given (tables: 6 significant
 * digits), no --inputs list). */
int cli_quiet(void);
/* Silence warnings (a second pass over an input already warned about);
 * returns the previous setting, to restore. */
int cli_set_quiet(int quiet);
int cli_verbose(void);
const char *cli_output_path(void);
int cli_jobs(void);
int cli_precision(void);
const char *cli_inputs_list(void);
/* Help lines for the shared options, in the layout every tool uses; sets is
 * a mask of CLI_HELP_* naming the sets the tool accepts. */
enum { CLI_HELP_OUTPUT = 1, CLI_HELP_BATCH = 2, CLI_HELP_PRECISION = 4 };
void cli_common_help(FILE *out, unsigned sets);

/* The positional arguments IN [OUT] of a converter (emg-convert, emg-filter):
 * OUT may instead come from -o.  Returns IN, sets *out_path ("-" when
 * neither) and *explicit_output (1 when named with -o).  Usage error on a
 * missing input, extra arguments, or both OUT and -o. */
const char *cli_converter_args(int argc, char **argv, int first, const char **out_path,
                               int *explicit_output);

/* The analysis options of the spectral tools (emg-features, emg-fatigue,
 * emg-spectrum), parsed in one place so they mean the same everywhere:
 *   spectral set: --taper --welch --periodogram --filter --no-filter
 *                 --filter-band --mains --notch-harmonics --causal --wisdom
 *   window set:   -w -s --features --band --zc-threshold --ssc-threshold
 *                 --wamp-threshold --noise-rms --rest-snr --min-snr --clip */
typedef struct cli_analysis {
    emg_window_options window;
    emg_spectrum_options spectrum;
    emg_feature_options features;
    emg_filter_stage_options filter;
    int filter_on;            /* apply the surface-EMG filter stage */
    const char *feature_list; /* --features */
    const char *wisdom;       /* --wisdom FILE */
} cli_analysis;
void cli_analysis_init(cli_analysis *a, int filter_on, const char *feature_list);
enum { CLI_OPT_TAPER = 1010, CLI_OPT_WELCH, CLI_OPT_PERIODOGRAM, CLI_OPT_FILTER,
       CLI_OPT_NO_FILTER, CLI_OPT_FILTER_BAND, CLI_OPT_MAINS, CLI_OPT_HARMONICS,
       CLI_OPT_CAUSAL, CLI_OPT_WISDOM, CLI_OPT_FEATURES, CLI_OPT_BAND, CLI_OPT_ZC, CLI_OPT_SSC,
       CLI_OPT_WAMP, CLI_OPT_NOISE, CLI_OPT_REST_SNR, CLI_OPT_MIN_SNR, CLI_OPT_CLIP };
#define CLI_SPECTRAL_LONG_OPTIONS                                          \
    {"taper", required_argument, NULL, CLI_OPT_TAPER},                     \
    {"welch", required_argument, NULL, CLI_OPT_WELCH},                     \
    {"periodogram", no_argument, NULL, CLI_OPT_PERIODOGRAM},               \
    {"filter", no_argument, NULL, CLI_OPT_FILTER},                         \
    {"no-filter", no_argument, NULL, CLI_OPT_NO_FILTER},                   \
    {"filter-band", required_argument, NULL, CLI_OPT_FILTER_BAND},         \
    {"mains", required_argument, NULL, CLI_OPT_MAINS},                     \
    {"notch-harmonics", required_argument, NULL, CLI_OPT_HARMONICS},       \
    {"causal", no_argument, NULL, CLI_OPT_CAUSAL},                         \
    {"wisdom", required_argument, NULL, CLI_OPT_WISDOM}
#define CLI_WINDOW_SHORT_OPTIONS "w:s:"
#define CLI_WINDOW_LONG_OPTIONS                                            \
    {"window", required_argument, NULL, 'w'},                              \
    {"step", required_argument, NULL, 's'},                                \
    {"features", required_argument, NULL, CLI_OPT_FEATURES},               \
    {"band", required_argument, NULL, CLI_OPT_BAND},                       \
    {"zc-threshold", required_argument, NULL, CLI_OPT_ZC},                 \
    {"ssc-threshold", required_argument, NULL, CLI_OPT_SSC},               \
    {"wamp-threshold", required_argument, NULL, CLI_OPT_WAMP},             \
    {"noise-rms", required_argument, NULL, CLI_OPT_NOISE},                 \
    {"rest-snr", required_argument, NULL, CLI_OPT_REST_SNR},               \
    {"min-snr", required_argument, NULL, CLI_OPT_MIN_SNR},                 \
    {"clip", required_argument, NULL, CLI_OPT_CLIP}
/* Handle one option of either set; 1 if it was one, 0 if not. */
int cli_analysis_option(cli_analysis *a, int opt, const char *arg);
/* The window engine of emg-features and emg-fatigue over reader r (from
 * path) with a's settings, emitting to emit(ctx): run to the end, with one
 * warning for each channel it leaves out and each channel with gaps.
 * noise_floors: per channel of r, a noise RMS to use instead of estimating
 * one (0 or NaN: estimate), or NULL.
 * Returns the engine, to be destroyed by the caller; exits on error (emit
 * may exit itself, with its own message). */
emg_window_engine *cli_run_window_engine(const char *path, emg_reader *r, const cli_analysis *a,
                                         const size_t *ids, size_t n_ids, emg_window_emit emit,
                                         void *ctx, const double *noise_floors);
/* Help for the two sets, in the layout every tool uses. */
void cli_spectral_help(FILE *out, int filter_on);
void cli_window_help(FILE *out, const char *default_features);

/* Many inputs, one table (docs/batch.md).  The inputs of an analysis tool
 * are its positional arguments from argv[first] on plus the paths listed by
 * --inputs (one per line, "-" = standard input); a recording named twice (the
 * same file, a link to it, or a WFDB record as .hea, .dat and record name) is
 * taken once.  Every input is registered, so that no output can be written
 * over it.  Usage error when there is none.  Returns the count; *paths stays
 * valid until exit. */
size_t cli_collect_inputs(int argc, char **argv, int first, const char *const **paths);
/* A path named in a cell of a sheet (emg-dataset --sheet, emg-score --pairs):
 * relative to the sheet's directory unless absolute, so that a sheet moves
 * with its files (unlike --inputs lists, whose paths are as find printed
 * them).  malloc'd; exits when out of memory. */
char *cli_sheet_path(const char *sheet, const char *cell);
/* Register a file the tool reads (a table given by an option), so that no
 * output is written over it. */
void cli_register_input(const char *path);
/* Usage error (exit 1) when out_path is one of the registered inputs, or, for
 * a WFDB output, when one of the files it would write is. */
void cli_refuse_output_over_input(const char *out_path, emg_format format);

/* The -o path when it names an HDF5 table (.h5, .hdf5: emg-features and
 * emg-spectrum write one there instead of TSV), else NULL.  An HDF5 table
 * holds one input: usage error with several, or over an input. */
const char *cli_hdf5_table_output(size_t n_inputs);

/* Work on one input: write the table's header and rows for path to out.  On
 * failure it exits through cli_fail or cli_die as a one-input run does. */
typedef void (*cli_table_job)(void *ctx, const char *path, FILE *out);
/* Run job over every input and write one table to the -o output (standard
 * output by default).  One input runs in this process.  Several run each in a
 * child process, up to -j at once; the rows are appended in input order and
 * the header written once; a failed input leaves its error line and no rows.
 * Returns 0, or the highest exit code of the inputs that failed. */
int cli_run_table_jobs(const char *const *paths, size_t n, cli_table_job job, void *ctx);
/* The same into out (a temporary file the caller reads back); *any_table:
 * whether an input gave a table. */
int cli_run_table_jobs_into(const char *const *paths, size_t n, cli_table_job job, void *ctx,
                            FILE *out, int *any_table);

/* Refuse to write binary data to a terminal (exit 1) when path is "-". */
void cli_refuse_binary_tty(const char *path);
/* For a tool that writes a recording to out_path: the output format (format, or
 * from the extension when EMG_FORMAT_AUTO).  Refuses (exit 1) binary output to a
 * terminal, an output over a registered input, and, unless the output was named
 * explicitly (-o), an existing file that holds a recording: a glob's last file
 * is never taken for an output. */
emg_format cli_signal_output(const char *out_path, emg_format format, int explicit_output);
/* Open a text output ("-" = stdout).  Files are written to a temporary name
 * and renamed by cli_close_text_output(); on failure nothing is left behind. */
FILE *cli_open_text_output(const char *path);
/* Flush and close; for files, rename into place.  Exits 4 on a write error. */
void cli_close_text_output(FILE *f);
/* Remove a text output that is being abandoned (called by cli_fail/cli_die). */
void cli_abandon_outputs(void);
/* Forget the text outputs without closing or removing them (a child
 * process of a batch: they are its parent's). */
void cli_forget_outputs(void);
/* Check stdout for write errors at exit (disk full is a failure). */
void cli_finish_stdout(void);

/* Print "--help" footer lines shared by all tools (exit codes, docs pointer). */
void cli_help_footer(FILE *out);

#endif
