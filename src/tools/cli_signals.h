/* cli_signals.h: what a tool does when it is interrupted or killed. */
#ifndef EMGKIT_CLI_SIGNALS_H
#define EMGKIT_CLI_SIGNALS_H

/* On SIGINT, SIGTERM, SIGHUP and SIGPIPE: remove every temporary file
 * (emg_temp_remove_all), then die of the same signal, so the exit status
 * still says which signal ended the tool.  Signals the tool was started with
 * ignored (nohup, background jobs) stay ignored.  SIGXFSZ is ignored, so that
 * an output past the file size limit (ulimit -f) fails like a full disk:
 * exit 4 with a message, nothing left behind.  Called by cli_init(). */
void cli_signals_install(void);

#endif
