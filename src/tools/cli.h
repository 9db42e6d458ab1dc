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

/* Remember the program name and command line (for messages and provenance). */
void cli_init(const char *prog, int argc, char **argv);
const char *cli_prog(void);
/* The command line as one shell-quoted string, e.g. "emg-convert a.hea -". */
const char *cli_command_line(void);

/* Exit code for a library status. */
int cli_exit_code(emg_status status);
/* "prog: message" on stderr, then exit with the code for err->status. */
void cli_fail(const emg_error *err) __attribute__((noreturn));
/* "prog: message" and "Try 'prog --help'." on stderr, exit 1. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "prog: message" on stderr, exit with code. */
void cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "prog: warning: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the writer's notes (what the output format could not hold exactly)
 * as warnings naming out_path. */
void cli_report_write_notes(emg_write_options *o, const char *out_path);

/* Strict number parsing for option values; usage error naming the option on failure. */
double cli_parse_double(const char *option, const char *value);
long cli_parse_long(const char *option, const char *value, long min, long max);
/* A pair "A:B" of numbers (bands LO:HI, ranges FROM:TO, Welch SEG:OVERLAP);
 * usage error naming the option when value is not one.  Callers check the order. */
void cli_parse_pair(const char *option, const char *value, double *first, double *second);

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

/* The positional arguments INPUT [OUTPUT] of a table-writing tool, where OUTPUT may
 * also come from -o (*out_path, NULL if not given); returns INPUT and sets *out_path
 * ("-" when neither).  Usage error on a missing input, extra arguments, or both. */
const char *cli_input_output_args(int argc, char **argv, int first, const char **out_path);

/* The analysis options of the spectral tools (emg-features, emg-fatigue,
 * emg-spectrum), parsed in one place so they mean the same everywhere:
 *   spectral set: --taper --welch --periodogram --filter --no-filter
 *                 --filter-band --mains --notch-harmonics --causal --wisdom
 *   window set:   -w -s -j --features --band --zc-threshold --ssc-threshold
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
#define CLI_WINDOW_SHORT_OPTIONS "w:s:j:"
#define CLI_WINDOW_LONG_OPTIONS                                            \
    {"window", required_argument, NULL, 'w'},                              \
    {"step", required_argument, NULL, 's'},                                \
    {"jobs", required_argument, NULL, 'j'},                                \
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
/* Help for the two sets, in the layout every tool uses. */
void cli_spectral_help(FILE *out, int filter_on);
void cli_window_help(FILE *out, const char *default_features);

/* Refuse to write binary data to a terminal (exit 1) when path is "-". */
void cli_refuse_binary_tty(const char *path);
/* For a tool that writes a recording to out_path: the output format (format, or
 * from the extension when EMG_FORMAT_AUTO); refuses binary output to a terminal
 * and an output that is the input file (in_path, may be NULL).  Exits 1 on a problem. */
emg_format cli_signal_output(const char *in_path, const char *out_path, emg_format format);
/* Open a text output ("-" = stdout).  Files are written to a temporary name
 * and renamed by cli_close_text_output(); on failure nothing is left behind. */
FILE *cli_open_text_output(const char *path);
/* Flush and close; for files, rename into place.  Exits 4 on a write error. */
void cli_close_text_output(FILE *f);
/* Remove a text output that is being abandoned (called by cli_fail/cli_die). */
void cli_abandon_outputs(void);
/* Check stdout for write errors at exit (disk full is a failure). */
void cli_finish_stdout(void);

/* Print "--help" footer lines shared by all tools (exit codes, docs pointer). */
void cli_help_footer(FILE *out);

#endif
