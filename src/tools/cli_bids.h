/* cli_bids.h: emg-convert --to bids (cli_bids.c; docs/formats/bids.md). */
#ifndef EMGKIT_CLI_BIDS_H
#define EMGKIT_CLI_BIDS_H

#include "cli.h"

typedef struct cli_bids_settings {
    const char *subject, *session, *task, *run; /* --subject --session --task --run, or NULL */
    const char *events;                         /* --events TABLE (one input), or NULL */
    const char *sample_sheet;                   /* --sample-sheet FILE, or NULL */
    emg_format data_format;                     /* --data-format: EDF or BDF */
    double power_line_hz;                       /* --mains 50|60; 0 unknown */
} cli_bids_settings;

/* Export the inputs (argv[first..argc), or the sample sheet's rows) into the
 * dataset named by -o; returns 0, or the highest exit code of the recordings
 * that failed (each told on stderr; the others are written). */
int cli_convert_to_bids(int argc, char **argv, int first, const cli_bids_settings *s,
                        const cli_input *in, const emg_write_options *wopts);

#endif
