/* cli_options.c: the options every tool shares (docs/options.md) and the one
 * way every tool parses its command line: getopt_long with long options
 * matched only in full, and one line for every usage error. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* The -h text of the running tool (set by cli_init). */
static void (*tool_usage)(FILE *out);

static struct shared_options {
    int quiet, verbose, jobs, precision;
    const char *output, *inputs_list;
} shared = {0, 0, 1, 0, NULL, NULL};

int cli_quiet(void) { return shared.quiet; }
int cli_set_quiet(int quiet)
{
    int was = shared.quiet;
    shared.quiet = quiet;
    return was;
}
int cli_verbose(void) { return shared.verbose; }
const char *cli_output_path(void) { return shared.output; }
int cli_jobs(void) { return shared.jobs; }
int cli_precision(void) { return shared.precision; }
const char *cli_inputs_list(void) { return shared.inputs_list; }

void cli_set_usage(void (*usage)(FILE *out)) { tool_usage = usage; }

/* The argument as the user typed it: getopt_long has just consumed it (and
 * its value, when that was the next argument). */
static const char *typed_option(char **argv)
{
    if (optarg && optind >= 2 && optarg == argv[optind - 1])
        return argv[optind - 2];
    return argv[optind - 1];
}

/* getopt_long accepts any unambiguous prefix of a long option; the toolkit
 * does not, because a prefix that is unique in one tool names a different
 * option in another (--to is --to-time in one tool, the output format in
 * three). */
static void require_full_name(char **argv, const struct option *o)
{
    const char *typed = typed_option(argv);
    if (strncmp(typed, "--", 2) != 0)
        return; /* a short option */
    size_t len = strcspn(typed + 2, "=");
    if (len != strlen(o->name) || strncmp(typed + 2, o->name, len) != 0)
        cli_usage_error("unknown option '%.*s' (did you mean '--%s'?)", (int)(len + 2), typed,
                        o->name);
}

static void print_version(void)
{
    printf("%s (emgkit) %s\n", cli_prog(), EMGKIT_VERSION);
    cli_finish_stdout();
    exit(CLI_EXIT_OK);
}

static void print_help(void)
{
    if (tool_usage)
        tool_usage(stdout);
    cli_finish_stdout();
    exit(CLI_EXIT_OK);
}

/* Handle a shared option; 1 if it was one. */
static int shared_option(int opt, const char *arg)
{
    switch (opt) {
    case 'h': print_help(); return 1;
    case 'V': print_version(); return 1;
    case 'q': shared.quiet = 1; return 1;
    case 'v': shared.verbose = 1; return 1;
    case 'o': shared.output = arg; return 1;
    case 'j': shared.jobs = (int)cli_parse_long("-j/--jobs", arg, 1, 256); return 1;
    case CLI_OPT_INPUTS: shared.inputs_list = arg; return 1;
    case CLI_OPT_PRECISION:
        shared.precision = (int)cli_parse_long("--precision", arg, 1, 17);
        emg_tsv_set_precision(shared.precision);
        return 1;
    }
    return 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    /* A leading ':' makes getopt report a missing value as ':' and print nothing. */
    char optstring[128];
    snprintf(optstring, sizeof optstring, ":%s", shortopts);
    opterr = 0;
    for (;;) {
        int index = -1;
        int opt = getopt_long(argc, argv, optstring, longopts, &index);
        if (opt == '?') {
            if (optopt && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
                cli_usage_error("unknown option '-%c'", optopt);
            cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (opt == ':')
            cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        if (index >= 0)
            require_full_name(argv, &longopts[index]);
        if (opt == -1 || !shared_option(opt, optarg))
            return opt;
    }
}

void cli_common_help(FILE *out, unsigned sets)
{
    fputs("Common options (the same in every tool, docs/options.md):\n", out);
    if (sets & CLI_HELP_OUTPUT)
        fputs("  -o, --output FILE      write to FILE (default: standard output)\n", out);
    if (sets & CLI_HELP_BATCH)
        fputs("      --inputs LIST      also read the input paths listed in LIST, one per line\n"
              "                         (\"-\": standard input)\n"
              "  -j, --jobs N           process up to N inputs at once (default 1)\n",
              out);
    if (sets & CLI_HELP_PRECISION)
        fputs("      --precision N      significant digits of numbers in tables (default 6)\n", out);
    fputs("  -q, --quiet            no warnings\n"
          "  -v, --verbose          more detail on standard error\n"
          "  -h, --help             this help\n"
          "  -V, --version          the version\n\n",
          out);
}

const char *cli_converter_args(int argc, char **argv, int first, const char **out_path,
                               int *explicit_output)
{
    if (first >= argc)
        cli_usage_error("missing INPUT");
    if (argc - first > 2)
        cli_usage_error("too many arguments: expected IN [OUT] (one input; to convert many, "
                        "run once per file)");
    *out_path = cli_output_path();
    *explicit_output = *out_path != NULL;
    if (argc - first == 2) {
        if (*out_path)
            cli_usage_error("give the output either as OUT or with -o, not both");
        *out_path = argv[first + 1];
    }
    if (!*out_path)
        *out_path = "-";
    cli_register_input(argv[first]);
    return argv[first];
}
