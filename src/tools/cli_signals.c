/* cli_signals.c: a tool killed by a signal leaves no temporary file behind.
 *
 * Outputs are written under temporary names and renamed into place at the
 * end, so an interrupted tool never leaves a half-written output; but the
 * temporary files themselves (.OUT.tmp-PID-N beside the output, spools in
 * $TMPDIR) would stay.  The handler removes them with the library's
 * async-signal-safe emg_temp_remove_all(), then restores the default action
 * and raises the signal again: the shell sees "killed by SIGINT" (status
 * 130), as it would without the handler. */
#include <signal.h>
#include <stddef.h>
#include "emgkit/emgkit.h"
#include "cli_signals.h"

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void remove_temporaries_and_die(int sig)
{
    emg_temp_remove_all();
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns and the signal is unblocked */
}

void cli_signals_install(void)
{
    struct sigaction action = {0};
    action.sa_handler = remove_temporaries_and_die;
    sigfillset(&action.sa_mask); /* one clean-up at a time */
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++) {
        struct sigaction old;
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(fatal_signals[i], &action, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}
