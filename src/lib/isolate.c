/* isolate.c: running a risky step in a child process first.
 *
 * Some libraries cannot be trusted with damaged input: libhdf5 can crash or
 * loop forever inside its own code while it reads a corrupt file's metadata
 * (variable-length strings whose heap references point anywhere, found by
 * fuzzing), and no check from outside can foresee every such case.  The step
 * is therefore tried in a forked copy of the process: if the copy dies of a
 * signal or does not finish in time, the caller reports the input as corrupt
 * instead of crashing or hanging; if it finishes, the caller runs the step for
 * real, which then behaves the same (the input and the code are the same). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "io_internal.h"

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

/* Wait for the child at most `seconds`: its status, or -1 when it is still running. */
static int wait_at_most(pid_t child, double seconds, int *status)
{
    struct timespec start, pause = {0, 100000}; /* 0.1 ms, doubling to 10 ms */
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t done = waitpid(child, status, WNOHANG);
        if (done == child)
            return 0;
        if (done < 0 && errno != EINTR)
            return 0; /* reaped elsewhere: nothing to report */
        if (seconds_since(&start) > seconds)
            return -1;
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 10000000)
            pause.tv_nsec *= 2;
    }
}

int emgi_try_isolated(int (*step)(void *ctx), void *ctx, double seconds, const char *path,
                      const char *what, emg_error *err)
{
    pid_t child = fork();
    if (child < 0)
        return EMG_OK; /* cannot isolate: the caller runs the step unguarded */
    if (child == 0) {
        /* Silent: a sanitizer's report (the way a crash ends under ASan) would
         * otherwise add lines to the one message the parent prints. */
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, STDOUT_FILENO);
            dup2(null_fd, STDERR_FILENO);
        }
        step(ctx);
        _exit(0); /* no atexit handlers, no stdio flush: the parent's state is untouched */
    }
    int status = 0;
    if (wait_at_most(child, seconds, &status) < 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: corrupt %s: reading it did not finish "
                             "within %g s", path, what, seconds);
    }
    if (WIFSIGNALED(status))
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: corrupt %s: reading it crashed the "
                             "library (%s)", path, what, strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) /* a sanitizer's way to crash */
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: corrupt %s: reading it crashed the "
                             "library", path, what);
    return EMG_OK;
}
